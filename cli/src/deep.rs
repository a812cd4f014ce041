//! A deep run: the engine on its own thread, events handed over a channel to the
//! caller's writer, runglass's signals passed to the command, and processes that outlive
//! the command handed to a background tracer.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::anyhow;
use runglass_model::{Event, ExitStatus};
use runglass_tracer::{Survivor, Tid, Tracer};

use crate::signals::Forwarder;

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
    /// Every event produced so far has been given to `event`: a moment to flush, so
    /// that a runglass killed now loses nothing already seen.
    fn caught_up(&mut self);
}

/// Runs `command` under the engine, handing each event to `sink`.
pub fn run(command: &[OsString], opts: DeepOptions, sink: &mut impl EventSink) -> anyhow::Result<DeepOutcome> {
    let (program, args) = command.split_first().ok_or_else(|| anyhow!("no command given"))?;
    let cmd = runglass_tracer::Command::new(program).args(args);
    let tracer_opts = runglass_tracer::Options { reads: opts.reads, ..Default::default() };
    let (tx, rx) = crossbeam_channel::unbounded::<Event>();
    let (root_tx, root_rx) = crossbeam_channel::bounded(1);

    // Take over the signals before the command exists, so none can kill runglass first.
    let forwarder = Forwarder::start(root_rx)?;
    let tracer_thread = std::thread::Builder::new().name("tracer".into()).spawn(move || {
        let spawned = Tracer::spawn(&cmd, tracer_opts, &tx);
        let _ = root_tx.send(spawned.as_ref().ok().and_then(Tracer::root_pid));
        let mut tracer = spawned?;
        let status = tracer.run(&tx)?;
        let survivors = tracer.survivors();
        if !survivors.is_empty() {
            match runglass_tracer::can_attach_non_descendants() {
                Ok(()) => {
                    tracer.hand_off(&tx, |pids| launch_keeper(pids, opts.keeper_log.as_deref(), opts.reads))?;
                }
                Err(why) => {
                    eprintln!(
                        "runglass: {} process(es) outlived the command; tracing them until they exit ({why} prevents handing them to a background tracer)",
                        survivors.len()
                    );
                    tracer.run_to_end(&tx)?;
                }
            }
        }
        Ok::<_, runglass_tracer::Error>(DeepOutcome { status, survivors })
    })?;

    for event in rx.iter() {
        sink.event(&event);
        if rx.is_empty() {
            sink.caught_up();
        }
    }
    let outcome = tracer_thread.join().map_err(|_| anyhow!("the tracer thread panicked"))?;
    forwarder.stop();
    Ok(outcome?)
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
