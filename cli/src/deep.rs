//! A deep run: the engine on its own thread, events handed over a channel to the
//! caller's writer, and processes that outlive the command handed to a background
//! tracer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::time::Duration;

use anyhow::anyhow;
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use runglass_model::{Event, ExitStatus};
use runglass_tracer::{BeforeChange, Survivor, Tid, Tracer};

use crate::host_names::HostNames;

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

/// Where a deep run's events go, in order, on the caller's thread.
pub trait EventSink {
    fn event(&mut self, event: &Event);
    /// A moment to flush: called at most every few milliseconds while events flow and
    /// soon after the last one, so a runglass killed now loses at most that much.
    fn caught_up(&mut self);
}

/// Runs `cmd` under the engine, handing each event to `sink`. `started` learns the
/// root's pid as soon as it exists (None: it never started), for whoever must signal it.
pub fn run(
    cmd: runglass_tracer::Command,
    opts: DeepOptions,
    sink: &mut impl EventSink,
    started: impl FnOnce(Option<i32>) + Send + 'static,
) -> anyhow::Result<DeepOutcome> {
    run_with_hook(cmd, opts, None, sink, started)
}

/// [`run`], with `before_change` asked about each path a traced call is about to change
/// while its caller is stopped (the capture of before-states).
pub fn run_with_hook(
    cmd: runglass_tracer::Command,
    opts: DeepOptions,
    before_change: Option<Box<dyn BeforeChange>>,
    sink: &mut impl EventSink,
    started: impl FnOnce(Option<i32>) + Send + 'static,
) -> anyhow::Result<DeepOutcome> {
    let tracer_opts = runglass_tracer::Options { reads: opts.reads, ..Default::default() };
    let (tx, rx) = crossbeam_channel::unbounded::<Event>();
    let consumer = std::thread::current();

    let tracer_thread = std::thread::Builder::new().name("tracer".into()).spawn(move || {
        let outcome = trace(cmd, tracer_opts, opts, before_change, &tx, started);
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
    tx: &Sender<Event>,
    started: impl FnOnce(Option<i32>),
) -> Result<DeepOutcome, runglass_tracer::Error> {
    let spawned = Tracer::spawn(&cmd, tracer_opts, tx);
    // The command's stdio (pipes, a pty) must not stay open here: the capture sees the
    // end of the output only when every writer is gone.
    drop(cmd);
    started(spawned.as_ref().ok().and_then(Tracer::root_pid));
    let mut tracer = spawned?;
    if let Some(hook) = before_change {
        tracer.set_before_change(hook);
    }
    let status = tracer.run(tx)?;
    let survivors = tracer.survivors();
    if !survivors.is_empty() {
        match runglass_tracer::can_attach_non_descendants() {
            Ok(()) => {
                tracer.hand_off(tx, |pids| launch_keeper(pids, opts.keeper_log.as_deref(), opts.reads))?;
            }
            Err(why) => {
                eprintln!(
                    "runglass: {} process(es) outlived the command; tracing them until they exit ({why} prevents handing them to a background tracer)",
                    survivors.len()
                );
                tracer.run_to_end(tx)?;
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
        fn event(&mut self, _: &Event) {
            self.0 += 1;
        }
        fn caught_up(&mut self) {}
    }
    let mut counter = Counter(0);
    run(runglass_tracer::Command::new("true"), DeepOptions { reads: false, keeper_log: None }, &mut counter, |_| {})?;
    if counter.0 == 0 {
        anyhow::bail!("the engine ran `true` but saw nothing");
    }
    Ok(())
}

/// How long an event may wait in the channel or the sink's buffer before it is flushed.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Hands events to the sink in batches, every `FLUSH_EVERY`, and lets it flush after each:
/// one write per batch. A connect or send to an address the hosts file names is preceded
/// by its `hosts_name` event ([`HostNames`]). The consumer polls rather than waiting on the channel, so that
/// sending an event never has to wake it: on a small machine each wake-up is a context
/// switch on a CPU the command wants, once per traced call. The producer must unpark the
/// calling thread when it drops the last sender, or the end is seen up to `FLUSH_EVERY` late.
pub fn drain(rx: &Receiver<Event>, sink: &mut impl EventSink) {
    let mut names = HostNames::default();
    loop {
        let mut got = false;
        loop {
            match rx.try_recv() {
                Ok(event) => {
                    if let Some(named) = names.before(&event) {
                        sink.event(&named);
                    }
                    sink.event(&event);
                    got = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    sink.caught_up();
                    return;
                }
            }
        }
        if got {
            sink.caught_up();
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
