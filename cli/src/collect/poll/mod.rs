//! Normal mode's observer: the command's process tree and sockets, seen by polling /proc on
//! a thread of its own, reported as the same [`Event`]s the ptrace engine makes (so one
//! receipt builder and one event log serve both modes).
//!
//! Polling sees what is there when it looks: a process that lived only between two polls,
//! or a socket opened and closed between them, is missed. The interval adapts
//! ([`interval`]): at the minimum while the tree changes, backing off to the maximum while it
//! does not, which keeps the cost low on a busy machine and the gaps short when it matters.

mod children;
mod interval;
#[cfg(test)]
mod overhead;
pub mod reap;
mod socket_verdict;
mod sockets;
#[cfg(test)]
mod tests;
mod tree;

pub use tree::current_argv;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crossbeam_channel::Sender;
use runglass_model::{Event, Pid};

use interval::Backoff;
use sockets::Sockets;
use tree::Tree;

#[derive(Clone, Copy, Debug)]
pub struct PollOptions {
    /// The interval right after a poll saw something change.
    pub min_interval: Duration,
    /// The interval the poller backs off to while nothing changes.
    pub max_interval: Duration,
    /// Sockets are looked at by polls at least this far apart: a look at a process's
    /// sockets reads the link of each of its descriptors, several times the cost of the
    /// rest of a poll.
    pub socket_interval: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            min_interval: Duration::from_millis(3),
            max_interval: Duration::from_millis(50),
            socket_interval: Duration::from_millis(10),
        }
    }
}

/// What the poller saw of its own working, for the receipt's coverage and limits.
#[derive(Clone, Debug, PartialEq)]
pub struct PollSummary {
    /// Polls made, the last one (at [`Poller::stop`]) included.
    pub polls: u64,
    /// Processes of the tree seen, the root included.
    pub processes_seen: u64,
    /// The intervals polling used (see [`PollOptions`]).
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub socket_interval: Duration,
    /// Processes of the tree still running at the last poll, other than the root: those that
    /// outlived it when the poller is stopped after the root ended.
    pub survivors: Vec<Pid>,
}

impl PollSummary {
    /// What polling could not see, one sentence each, for the receipt's limits.
    pub fn limits(&self) -> Vec<String> {
        vec![
            format!(
                "Processes were seen by polling /proc every {}-{} ms: processes that lived less than that may be \
                 missing, and argv, cwd and sockets are as a poll found them.",
                millis(self.min_interval),
                millis(self.max_interval)
            ),
            format!(
                "Sockets were looked at every {}-{} ms: sockets opened and closed in between are missing; \
                 connections accepted by a listener are not listed.",
                millis(self.socket_interval.max(self.min_interval)),
                millis(self.socket_interval.max(self.max_interval))
            ),
            "UDP peers are seen only for connected sockets; datagrams sent with sendto() show as the bound port."
                .to_string(),
            "Unix sockets are seen only when bound to a name; the peers of connected unix sockets are not resolved \
             in normal mode."
                .to_string(),
        ]
    }
}

fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms.fract() == 0.0 { format!("{ms}") } else { format!("{ms:.1}") }
}

/// The observer of one command's tree, polling on its own thread until stopped (or dropped).
pub struct Poller {
    stop: Arc<AtomicBool>,
    /// Taken by [`Poller::stop`]; a poller dropped without it stops without a last poll.
    thread: Option<JoinHandle<PollSummary>>,
}

impl Poller {
    /// Starts polling the tree rooted at `root` (already running, a child of this process;
    /// the caller reaps it: the poller never waits for anything) on a thread of its own,
    /// sending events to `sink`. `start` is the instant event times (`time_ns`) count from.
    ///
    /// The first poll is made before this returns, so the root's program is seen even when
    /// it ends at once. When runglass is the child subreaper ([`reap::become_subreaper`]),
    /// children of runglass other than the root that appear later are taken for orphans of
    /// the tree: the caller must then start no other processes while the poller runs.
    pub fn start(root: Pid, start: Instant, opts: PollOptions, sink: Sender<Event>) -> anyhow::Result<Poller> {
        if opts.min_interval.is_zero() || opts.min_interval > opts.max_interval {
            bail!("poll intervals must satisfy 0 < min ({:?}) <= max ({:?})", opts.min_interval, opts.max_interval);
        }
        let mut watch = Watch {
            tree: Tree::new(root)?,
            sockets: Sockets::new(root),
            socket_interval: opts.socket_interval,
            sockets_seen: None,
            start,
            sink,
            polls: 0,
        };
        let Ok(changed) = watch.poll(false) else { bail!("the receiver of the poller's events is gone") };
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("poller".into())
            .spawn(move || watch.run(opts, changed, &stopping))
            .context("starting the polling thread")?;
        Ok(Poller { stop, thread: Some(thread) })
    }

    /// Polls one last time, stops the thread and returns what it saw of its own working.
    pub fn stop(mut self) -> PollSummary {
        let thread = self.thread.take().expect("a poller's thread is taken only by stop(self)");
        self.stop.store(true, Ordering::Release);
        thread.thread().unpark();
        match thread.join() {
            Ok(summary) => summary,
            // A bug in the poller, not something a command can cause: keep its message.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        if let Some(thread) = &self.thread {
            self.stop.store(true, Ordering::Release);
            thread.thread().unpark();
        }
    }
}

/// The receiver of the events is gone: polling is pointless.
#[derive(Debug)]
struct SinkGone;

struct Watch {
    tree: Tree,
    sockets: Sockets,
    socket_interval: Duration,
    /// When sockets were last looked at.
    sockets_seen: Option<Instant>,
    start: Instant,
    sink: Sender<Event>,
    polls: u64,
}

impl Watch {
    fn run(mut self, opts: PollOptions, mut changed: bool, stop: &AtomicBool) -> PollSummary {
        let mut backoff = Backoff::new(opts.min_interval, opts.max_interval);
        loop {
            // Parked rather than waiting on a channel, which spins and yields before it sleeps.
            let deadline = Instant::now() + backoff.next(changed);
            while !stop.load(Ordering::Acquire) && Instant::now() < deadline {
                std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
            }
            if stop.load(Ordering::Acquire) {
                break;
            }
            match self.poll(false) {
                Ok(c) => changed = c,
                Err(SinkGone) => return self.summary(opts),
            }
        }
        // The last look: whatever ended or started since the previous poll.
        let _ = self.poll(true);
        self.summary(opts)
    }

    /// Looks once and sends what changed; returns whether anything did. Sockets are looked
    /// at when `socket_interval` has passed since the last time, or when `last`.
    fn poll(&mut self, last: bool) -> Result<bool, SinkGone> {
        self.polls += 1;
        let mut facts = self.tree.poll();
        if last || self.sockets_seen.is_none_or(|t| t.elapsed() >= self.socket_interval) {
            self.sockets_seen = Some(Instant::now());
            let live: Vec<(Pid, Pid)> = self.tree.live().collect();
            facts.extend(self.sockets.poll(&live));
        }
        let time_ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let changed = !facts.is_empty();
        for (pid, kind) in facts {
            self.sink.send(Event { time_ns, pid, tid: pid, kind }).map_err(|_| SinkGone)?;
        }
        Ok(changed)
    }

    fn summary(&self, opts: PollOptions) -> PollSummary {
        PollSummary {
            polls: self.polls,
            processes_seen: self.tree.seen(),
            min_interval: opts.min_interval,
            max_interval: opts.max_interval,
            socket_interval: opts.socket_interval,
            survivors: self.tree.others(),
        }
    }
}
