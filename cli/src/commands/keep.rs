//! `runglass __keep`: the background tracer for processes that outlive a traced command.
//!
//! It is started by the tracer that hands them off, which has left them in group-stop.
//! It adopts them, prints `ready` on stdout so the hand-off can complete, lets them
//! continue, and traces them until they exit, writing events to the given log.

use std::io::Write;

use anyhow::Context;
use runglass_model::log::{LogHeader, LogWriter};

use crate::args::KeepArgs;
use crate::store;

pub fn run(args: KeepArgs) -> anyhow::Result<u8> {
    // Leave runglass's session and process group: terminal signals meant for the
    // original command must not reach its background tracer.
    let _ = nix::unistd::setsid();
    let mut log = match &args.log {
        Some(path) => Some(LogWriter::create(
            path,
            &LogHeader {
                runglass_version: env!("CARGO_PKG_VERSION").to_string(),
                started_unix_ns: store::unix_now_ns(),
                argv: Vec::new(),
                cwd: runglass_model::ByteString::default(),
                reads: args.reads,
                observer: runglass_model::log::Observer::Trace,
            },
        )?),
        None => None,
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let opts = runglass_tracer::Options { reads: args.reads, ..Default::default() };
    let writer = std::thread::spawn(move || -> anyhow::Result<()> {
        for event in rx {
            if let Some(log) = log.as_mut() {
                log.append(&event)?;
                log.flush()?;
            }
        }
        if let Some(log) = log {
            log.finish()?;
        }
        Ok(())
    });
    let mut tracer = runglass_tracer::Tracer::adopt(&args.pids, opts, &tx).context("adopting the survivors")?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "ready")?;
        stdout.flush()?;
    }
    // Close stdout so that whoever waits for `ready` is not held by our copy of the pipe.
    let devnull = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    nix::unistd::dup2_stdout(&devnull)?;
    tracer.run_to_end(&tx)?;
    drop(tx);
    writer.join().map_err(|_| anyhow::anyhow!("the event writer panicked"))??;
    Ok(0)
}
