//! `runglass trace`: print events as they happen.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::Context;

use runglass_model::Event;

use crate::args::TraceArgs;
use crate::record::deep::{self, DeepOptions, EventSink};
use crate::record::signals::Forwarder;

/// Prints each event as a line, on the caller's thread (the output may be a pipe that
/// blocks: the tracees must not wait for it); an unwritable output must not stop the
/// command, so write errors lose events, never the run.
struct LinePrinter {
    out: Box<dyn Write>,
    json: bool,
}

impl EventSink for LinePrinter {
    fn event(&mut self, event: Event) {
        let line = if self.json {
            runglass_render::event_line::json(&event)
        } else {
            runglass_render::event_line::text(&event)
        };
        let _ = writeln!(self.out, "{line}");
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

pub fn run(args: TraceArgs) -> anyhow::Result<u8> {
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(File::create(path).with_context(|| {
            format!("creating {}; check the directory exists and is writable", crate::escape::text(path))
        })?)),
        None => Box::new(std::io::stderr()),
    };
    let mut printer = LinePrinter { out, json: args.json };
    // Take over the signals before the command exists, so none can kill runglass first.
    let (root_tx, root_rx) = crossbeam_channel::bounded(1);
    let forwarder = Forwarder::start(root_rx, false)?;
    let cmd = runglass_tracer::Command::new(&args.command[0]).args(&args.command[1..]);
    let outcome =
        deep::run_forwarded(cmd, DeepOptions { reads: args.reads, keeper_log: None }, &mut printer, move |pid| {
            let _ = root_tx.send(pid);
        });
    forwarder.stop();
    printer.flush();
    let outcome = outcome?;
    Ok(crate::record::exit::exit_code(outcome.status))
}
