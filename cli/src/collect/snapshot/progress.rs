//! The progress bar of a long snapshot, on stderr.
//!
//! It appears only once a snapshot has run for a moment, so quick snapshots print nothing,
//! and it is cleared when the snapshot ends (or fails): snapshots run before the command
//! starts and after it ends, so the bar never mixes with the command's own output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a snapshot runs before its bar appears.
const DELAY: Duration = Duration::from_millis(300);

pub(super) struct Progress {
    /// `None` when progress is off.
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    /// A bar counting entries while the tree is walked.
    pub(super) fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(style("{spinner} snapshot: {human_pos} entries listed"));
            bar
        });
        Progress { bar, started: Instant::now(), shown: AtomicBool::new(false) }
    }

    /// Switches to a bar of `total` bytes to read.
    pub(super) fn reading(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_style(style("snapshot: {wide_bar} {binary_bytes}/{binary_total_bytes} read"));
            bar.set_length(total);
            bar.set_position(0);
        }
    }

    /// Counts entries listed or bytes read; thread-safe.
    pub(super) fn inc(&self, delta: u64) {
        let Some(bar) = &self.bar else { return };
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= DELAY
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.inc(delta);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
