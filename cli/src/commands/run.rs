//! `runglass run`: run a command and keep a receipt directory for it.

use anyhow::{Context, bail};
use runglass_model::log::{LogHeader, LogWriter};

use runglass_model::Event;
use runglass_model::log::LogError;

use crate::args::RunArgs;
use crate::deep::{self, DeepOptions, EventSink};
use crate::store;

/// Appends events to the receipt's log, flushing whenever it has caught up, and keeps
/// the first write error (the command runs on; the error is reported at the end).
struct LogSink {
    writer: LogWriter,
    error: Option<LogError>,
}

impl EventSink for LogSink {
    fn event(&mut self, event: &Event) {
        if self.error.is_none() {
            self.error = self.writer.append(event).err();
        }
    }

    fn caught_up(&mut self) {
        if self.error.is_none() {
            self.error = self.writer.flush().err();
        }
    }
}

pub fn run(args: RunArgs) -> anyhow::Result<u8> {
    if !args.deep {
        bail!("only deep mode is available in this version: use `runglass run --deep -- CMD`");
    }
    let data = store::data_dir()?;
    let receipt = store::create_receipt_dir(&data, &args.command)?;
    let log_path = receipt.join(store::EVENT_LOG);
    let header = LogHeader {
        runglass_version: env!("CARGO_PKG_VERSION").to_string(),
        started_unix_ns: store::unix_now_ns(),
        argv: args.command.iter().map(|a| runglass_model::ByteString(a.as_encoded_bytes().to_vec())).collect(),
        cwd: runglass_model::ByteString(std::env::current_dir().map(|p| p.into_os_string().into_encoded_bytes()).unwrap_or_default()),
        reads: args.reads,
        observer: runglass_model::log::Observer::Trace,
    };
    let mut sink = LogSink { writer: LogWriter::create(&log_path, &header)?, error: None };
    let keeper_log = Some(receipt.join(store::SURVIVOR_EVENT_LOG));
    let outcome = deep::run(&args.command, DeepOptions { reads: args.reads, keeper_log }, &mut sink);
    let finished = sink.writer.finish();
    let outcome = outcome?;
    if let Some(e) = sink.error {
        return Err(e).context("writing the event log");
    }
    finished.context("writing the event log")?;
    eprintln!("runglass: receipt {} in {}", store::receipt_id(&receipt), receipt.display());
    for s in &outcome.survivors {
        let argv: Vec<String> = s.argv.iter().map(|a| a.escaped()).collect();
        eprintln!("runglass: still running: pid {} ({})", s.pid, argv.join(" "));
    }
    Ok(super::exit_code(outcome.status))
}
