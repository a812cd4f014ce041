//! A normal-mode run: the command started untraced, its tree watched by polling /proc,
//! its exit reaped here, and the events handed to the caller's sink like a deep run's.

use std::time::Instant;

use anyhow::Context;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use runglass_model::{Event, EventKind, ExitStatus};

use crate::record::deep::{self, EventSink};
use crate::collect::poll::{self, PollOptions, Poller};

pub struct NormalOutcome {
    pub status: ExitStatus,
    /// How polling went, in a few words, for the receipt's coverage notes.
    pub polling: String,
    /// What polling could not see, for the receipt's limits.
    pub limits: Vec<String>,
    /// Processes of the tree still running when the command ended: (pid, argv).
    pub survivors: Vec<(u32, Vec<runglass_model::ByteString>)>,
}

/// Runs `cmd`, handing events to `sink`. `started` learns the root's pid as soon as it
/// exists (None: it never started).
pub fn run(
    cmd: runglass_tracer::Command,
    sink: &mut impl EventSink,
    started: impl FnOnce(Option<i32>),
) -> anyhow::Result<NormalOutcome> {
    // Orphaned grandchildren (daemons) then come to runglass instead of init, where
    // polling still finds them.
    poll::reap::become_subreaper()?;
    let start = Instant::now();
    let root = match cmd.spawn_untraced() {
        Ok(pid) => pid,
        Err(e) => {
            started(None);
            return Err(e.into());
        }
    };
    // Our copies of the command's stdio must go, or the capture never sees its output end.
    drop(cmd);
    started(Some(root as i32));
    let (tx, rx) = crossbeam_channel::unbounded::<Event>();
    let poller = Poller::start(root, start, PollOptions::default(), tx.clone())?;
    let consumer = std::thread::current();
    // The waiter owns the poller, so the channel closes (and the drain below ends) once
    // the root has exited and the last poll is in.
    let waiter = std::thread::Builder::new().name("waiter".into()).spawn(move || {
        let status = wait_for(root);
        if let Ok(status) = status {
            let time_ns = start.elapsed().as_nanos() as u64;
            let _ = tx.send(Event { time_ns, pid: root, tid: root, kind: EventKind::Exit { status } });
        }
        drop(tx);
        let summary = poller.stop();
        // The last sender is gone with the poller: the drain below polls, so wake it now.
        consumer.unpark();
        if let Err(e) = poll::reap::reap_orphans(root) {
            eprintln!("runglass: warning: {e:#}");
        }
        (status, summary)
    })?;
    deep::drain(&rx, sink);
    let (status, summary) = waiter.join().map_err(|_| anyhow::anyhow!("the waiter thread panicked"))?;
    let status = status.with_context(|| format!("waiting for the command (pid {root})"))?;
    let polling = format!(
        "{} polls, every {} to {} ms",
        summary.polls,
        summary.min_interval.as_millis(),
        summary.max_interval.as_millis()
    );
    let survivors = summary.survivors.iter().map(|&pid| (pid, poll::current_argv(pid))).collect();
    Ok(NormalOutcome { status, polling, limits: summary.limits(), survivors })
}

/// Reaps the root and returns how it ended.
fn wait_for(pid: u32) -> nix::Result<ExitStatus> {
    loop {
        match waitpid(Pid::from_raw(pid as i32), None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(ExitStatus::Code(code)),
            Ok(WaitStatus::Signaled(_, sig, core_dumped)) => {
                return Ok(ExitStatus::Signal { signal: sig as i32, core_dumped });
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}
