//! A deep run: the engine on its own thread, and processes that outlive the command
//! handed to a background tracer.
//!
//! Events reach their sink one of two ways. A run that keeps a log ([`run_with_hook`])
//! gives the engine the sink itself, on the tracer's thread, behind the hosts-file naming
//! ([`Naming`]): each stop's events are written before its tracee runs on. `runglass trace`
//! ([`run_forwarded`]) prints to a terminal or a pipe that the command may hold up, so its
//! events cross a channel and the caller's thread writes them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::time::Duration;

use anyhow::anyhow;
use crossbeam_channel::{Receiver, TryRecvError};
use runglass_model::{Event, ExitStatus};
use runglass_tracer::{BeforeChange, Survivor, Tid, Tracer};

pub use runglass_tracer::EventSink;

use crate::collect::host_names::{HostNames, Naming};

pub struct DeepOptions {
    pub reads: bool,
    /// Where the background tracer writes the survivors' events (None: discard them).
    pub keeper_log: Option<PathBuf>,
}

pub struct DeepOutcome {
    pub status: ExitStatus,
    /// Processes still running when the command ended.
    pub survivors: Vec<Survivor>,
}

/// Runs `cmd` under the engine, handing each event, and the `hosts_name` event that names
/// its peer, to `sink` on the tracer's thread: the engine flushes the sink before it
/// resumes the tracee that caused the event. `before_change` is asked about each path a
/// traced call is about to change while its caller is stopped (the capture of
/// before-states). `started` learns the root's pid as soon as it exists (None: it never
/// started), for whoever must signal it.
pub fn run_with_hook<S: EventSink + Send>(
    cmd: runglass_tracer::Command,
    opts: DeepOptions,
    before_change: Option<Box<dyn BeforeChange>>,
    sink: &mut S,
    started: impl FnOnce(Option<i32>) + Send,
) -> anyhow::Result<DeepOutcome> {
    let tracer_opts = runglass_tracer::Options { reads: opts.reads, ..Default::default() };
    // A thread of its own: the engine waits for its own children only (__WNOTHREAD), and a
    // new thread has none that the caller started.
    let outcome = std::thread::scope(|s| {
        let tracer = std::thread::Builder::new().name("tracer".into()).spawn_scoped(s, move || {
            let mut named = Naming::new(sink);
            trace(cmd, tracer_opts, opts, before_change, &mut named, started)
        })?;
        tracer.join().map_err(|_| anyhow!("the tracer thread panicked"))
    })?;
    Ok(outcome?)
}

/// Runs `cmd` under the engine, its events crossing a channel to `sink` on the caller's
/// thread, which names their peers and writes them in batches ([`drain`]). For a sink
/// that may block (`runglass trace` printing to a pipe): the tracees never wait for it.
pub fn run_forwarded(
    cmd: runglass_tracer::Command,
    opts: DeepOptions,
    sink: &mut impl EventSink,
    started: impl FnOnce(Option<i32>) + Send + 'static,
) -> anyhow::Result<DeepOutcome> {
    let tracer_opts = runglass_tracer::Options { reads: opts.reads, ..Default::default() };
    let (tx, rx) = crossbeam_channel::unbounded::<Event>();
    let consumer = std::thread::current();

    let tracer_thread = std::thread::Builder::new().name("tracer".into()).spawn(move || {
        let mut tx = tx;
        let outcome = trace(cmd, tracer_opts, opts, None, &mut tx, started);
        // The drain below polls: tell it at once that no more events will come.
        drop(tx);
        consumer.unpark();
        outcome
    })?;

    drain(&rx, sink);
    let outcome = tracer_thread.join().map_err(|_| anyhow!("the tracer thread panicked"))?;
    Ok(outcome?)
}

/// The tracer thread's work: start the command, trace it to its end, and hand its survivors
/// to a background tracer (or trace them here when that cannot be done).
fn trace(
    cmd: runglass_tracer::Command,
    tracer_opts: runglass_tracer::Options,
    opts: DeepOptions,
    before_change: Option<Box<dyn BeforeChange>>,
    sink: &mut dyn EventSink,
    started: impl FnOnce(Option<i32>),
) -> Result<DeepOutcome, runglass_tracer::Error> {
    let spawned = Tracer::spawn(&cmd, tracer_opts, sink);
    // The command's stdio (pipes, a pty) must not stay open here: the capture sees the
    // end of the output only when every writer is gone.
    drop(cmd);
    started(spawned.as_ref().ok().and_then(Tracer::root_pid));
    let mut tracer = spawned?;
    if let Some(hook) = before_change {
        tracer.set_before_change(hook);
    }
    let status = tracer.run(sink)?;
    let survivors = tracer.survivors();
    if !survivors.is_empty() {
        match runglass_tracer::can_attach_non_descendants() {
            Ok(()) => {
                tracer.hand_off(sink, |pids| launch_keeper(pids, opts.keeper_log.as_deref(), opts.reads))?;
            }
            Err(why) => {
                eprintln!(
                    "runglass: {} process(es) outlived the command; tracing them until they exit ({why} prevents handing them to a background tracer)",
                    survivors.len()
                );
                tracer.run_to_end(sink)?;
            }
        }
    }
    Ok(DeepOutcome { status, survivors })
}

/// Runs `true` under the engine: Ok when ptrace and seccomp both work here, else the
/// reason they do not.
pub fn probe() -> anyhow::Result<()> {
    struct Counter(usize);
    impl EventSink for Counter {
        fn event(&mut self, _: Event) {
            self.0 += 1;
        }
        fn flush(&mut self) {}
    }
    let mut counter = Counter(0);
    let opts = DeepOptions { reads: false, keeper_log: None };
    run_with_hook(runglass_tracer::Command::new("true"), opts, None, &mut counter, |_| {})?;
    if counter.0 == 0 {
        anyhow::bail!("the engine ran `true` but saw nothing");
    }
    Ok(())
}

/// How long an event may wait in the channel or the sink's buffer before it is flushed.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Hands events to the sink in batches, every `FLUSH_EVERY`, and lets it flush after each:
/// one write per batch. A connect or send to an address the hosts file names is preceded
/// by its `hosts_name` event ([`HostNames`]). The consumer polls rather than waiting on the
/// channel, so that sending an event never has to wake it: on a small machine each wake-up
/// is a context switch on a CPU the command wants, once per event. The producer must unpark
/// the calling thread when it drops the last sender, or the end is seen up to `FLUSH_EVERY`
/// late. (Polling's events in normal mode, and `runglass trace`'s.)
pub fn drain(rx: &Receiver<Event>, sink: &mut impl EventSink) {
    let mut names = HostNames::default();
    loop {
        let mut got = false;
        loop {
            match rx.try_recv() {
                Ok(event) => {
                    if let Some(named) = names.before(&event) {
                        sink.event(named);
                    }
                    sink.event(event);
                    got = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    sink.flush();
                    return;
                }
            }
        }
        if got {
            sink.flush();
        }
        std::thread::park_timeout(FLUSH_EVERY);
    }
}

/// Starts `runglass __keep` for these stopped processes and waits until it has adopted
/// them. It runs in its own session with no terminal, so runglass can exit at once.
fn launch_keeper(pids: &[Tid], log: Option<&Path>, reads: bool) -> Result<Tid, String> {
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg("__keep");
    if let Some(log) = log {
        cmd.arg("--log").arg(log);
    }
    if reads {
        cmd.arg("--reads");
    }
    cmd.args(pids.iter().map(|p| p.to_string()));
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().map_err(|e| format!("starting the background tracer: {e}"))?;
    let stdout = child.stdout.take().ok_or("the background tracer has no stdout")?;
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    if line.trim() == "ready" {
        Ok(child.id() as Tid)
    } else {
        let _ = child.kill();
        let _ = child.wait();
        Err("the background tracer did not adopt the processes".into())
    }
}
