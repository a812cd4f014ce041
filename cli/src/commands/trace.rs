//! `runglass trace`: print events as they happen.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::Context;

use crate::args::TraceArgs;
use crate::deep::{self, DeepOptions};

pub fn run(args: TraceArgs) -> anyhow::Result<u8> {
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("creating {}; check the directory exists and is writable", path.display()))?,
        )),
        None => Box::new(std::io::stderr()),
    };
    let json = args.json;
    let outcome = deep::run(
        &args.command,
        DeepOptions { reads: args.reads, keeper_log: None },
        move |event| {
            let line = if json { runglass_render::event_line::json(event) } else { runglass_render::event_line::text(event) };
            // An unwritable output must not stop the command: its events are lost, it is not.
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        },
    )?;
    Ok(super::exit_code(outcome.status))
}
