//! `runglass __keep`: the background tracer for processes that outlive a traced command.
//!
//! It is started by the tracer that hands them off, which has left them in group-stop.
//! It adopts them, prints `ready` on stdout so the hand-off can complete, lets them
//! continue, and traces them until they exit, writing events to the given log. With a
//! log, it captures before-states as the run's own tracer does, into the same store.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use runglass_model::Event;
use runglass_model::log::{LogHeader, LogWriter};
use runglass_tracer::EventSink;

use crate::args::KeepArgs;
use crate::record::capture::BeforeCapture;
use crate::collect::host_names::Naming;
use crate::record::log_sink::{LogEnd, LogSink};
use crate::collect::snapshot;
use crate::store;
use crate::store::blobs::BlobStore;

pub fn run(args: KeepArgs) -> anyhow::Result<u8> {
    // Leave runglass's session and process group: terminal signals meant for the
    // original command must not reach its background tracer.
    let _ = nix::unistd::setsid();
    let log = match &args.log {
        Some(path) => Some(LogSink::new(LogWriter::create(
            path,
            &LogHeader {
                runglass_version: env!("CARGO_PKG_VERSION").to_string(),
                started_unix_ns: store::unix_now_ns(),
                argv: Vec::new(),
                cwd: runglass_model::ByteString::default(),
                reads: args.reads,
                observer: runglass_model::log::Observer::Trace,
            },
        )?)),
        None => None,
    };
    // This thread is the tracer's: each stop's events are in the log before the survivor
    // that caused them runs on, as in the run's own tracer.
    let mut sink = Naming::new(OptionalLog(log));
    let opts = runglass_tracer::Options { reads: args.reads, ..Default::default() };
    let capture = args.log.as_deref().and_then(|log| {
        capture_for(log).map_err(|e| eprintln!("runglass: warning: no before-states captured: {e:#}")).ok()
    });
    let mut tracer = runglass_tracer::Tracer::adopt(&args.pids, opts, &mut sink).context("adopting the survivors")?;
    if let Some(capture) = capture {
        tracer.set_before_change(Box::new(capture));
    }
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "ready")?;
        stdout.flush()?;
    }
    // Close stdout so that whoever waits for `ready` is not held by our copy of the pipe.
    let devnull = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    nix::unistd::dup2_stdout(&devnull)?;
    tracer.run_to_end(&mut sink)?;
    if let Some(log) = sink.into_inner().0 {
        match log.finish() {
            LogEnd::Whole(writer) => writer.finish()?,
            LogEnd::Cut(cut) => return Err(cut.error.into()),
        }
    }
    Ok(0)
}

/// The log when there is one; without, events go nowhere.
struct OptionalLog(Option<LogSink>);

impl EventSink for OptionalLog {
    fn event(&mut self, event: Event) {
        if let Some(log) = self.0.as_mut() {
            log.event(event);
        }
    }

    fn flush(&mut self) {
        if let Some(log) = self.0.as_mut() {
            log.flush();
        }
    }
}

/// The capture for the survivors of the run whose receipt directory holds `log`: the same
/// data directory and cap (runglass's environment is inherited), and the run's
/// before-snapshot and ignore rules to tell which paths of its working directory matter.
fn capture_for(log: &Path) -> anyhow::Result<BeforeCapture> {
    let data = store::data_dir()?;
    let cap = snapshot::cap_from_env()?;
    let before = log.parent().map(|dir| dir.join(store::SNAPSHOT_BEFORE));
    let before = before.filter(|path| path.exists()).map(|path| snapshot::load(&path)).transpose()?;
    let before = before.map(|m| {
        let rules = snapshot::Rules::load(&m.root);
        (Arc::new(m), Arc::new(rules))
    });
    BeforeCapture::new(&data, BlobStore::open(&data.join("blobs"))?, cap, before)
}
