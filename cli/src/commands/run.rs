//! `runglass run`: run a command, record its receipt, exit with its status.

use std::path::Path;

use anyhow::Context;
use runglass_model::command_line;
use runglass_model::receipt::{Mode, Receipt};

use crate::args::RunArgs;
use crate::store::blobs::BlobStore;
use crate::integrations::browser;
use crate::formats::{Format, Source};
use crate::receipt;
use crate::record::session::{self, Session, SessionOptions};
use crate::store;

pub fn run(args: RunArgs) -> anyhow::Result<u8> {
    let cwd = current_dir()?;
    let data = store::data_dir()?;
    let mode = if args.watch.deep { Mode::Deep } else { Mode::Normal };
    let opts = SessionOptions {
        command: args.command,
        mode,
        reads: args.watch.reads,
        timeout: args.watch.timeout,
        cwd,
        data: data.clone(),
        ci: None,
        exclude: Vec::new(),
    };
    let s = session::record(opts)?;
    report(&s);
    if args.open {
        open_page(&data, &s.dir, &s.receipt);
    }
    Ok(s.exit_code)
}

/// The directory a recorded command runs in: the current one, canonical.
pub fn current_dir() -> anyhow::Result<std::path::PathBuf> {
    std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .context("the current directory cannot be read; cd to a directory that exists")
}

/// What a recorded run tells on stderr once it ended: why the command did not start,
/// what still runs, the summary line and where the receipt is (or, when the data home
/// refused part of it, what it keeps).
pub fn report(s: &Session) {
    if let Some(e) = &s.start_error {
        eprintln!("runglass: {}{}", crate::escape::error(e), super::untraced_remedy(e, false));
    }
    for (pid, argv) in &s.survivors {
        eprintln!("runglass: still running: pid {pid} ({})", command_line(argv));
    }
    for line in dropped_privileges_lines(&s.receipt) {
        eprintln!("runglass: {line}");
    }
    eprintln!("runglass: {}", summary_line(&s.receipt));
    match &s.shortfall {
        Some((shortfall, written)) => eprintln!("{}", shortfall.line(&s.data, &s.receipt.id, *written)),
        None => {
            eprintln!("runglass: receipt {} in {}; see it with `runglass report latest`", s.receipt.id, s.dir.display())
        }
    }
}

/// Writes the receipt's page beside it and opens it from disk. Failing here costs the
/// reader a page, not the receipt, so problems are reported and the run's status stands.
fn open_page(data: &Path, dir: &Path, receipt: &Receipt) {
    let opened = BlobStore::open(&data.join("blobs"))
        .and_then(|blobs| Source { receipt, dir, blobs: &blobs }.write_file(Format::Html, dir));
    let result = opened.map_err(|e| format!("{e:#}")).and_then(|page| {
        let url = browser::file_url(&page);
        eprintln!("runglass: opening {url}");
        browser::open(&url)
    });
    if let Err(e) = result {
        eprintln!("runglass: {e}");
    }
}

/// One line per program that ran without its setuid, setgid or file-capability privileges
/// because it was traced (the same program and loss once, with how many processes).
pub fn dropped_privileges_lines(r: &Receipt) -> Vec<String> {
    let mut seen: Vec<(&runglass_model::ByteString, String, u32, usize)> = Vec::new();
    for d in &r.observation.privileges_dropped {
        let what = receipt::privileges::what(d);
        match seen.iter_mut().find(|(path, w, ..)| *path == &d.path && *w == what) {
            Some(entry) => entry.3 += 1,
            None => seen.push((&d.path, what, d.pid, 1)),
        }
    }
    seen.into_iter()
        .map(|(path, what, pid, n)| {
            let more = if n > 1 { format!(" and {} more", n - 1) } else { String::new() };
            format!(
                "{} ran without its privileges ({what}) in pid {pid}{more}: traced programs do not get them unless \
                 runglass runs as root (see the receipt's limits)",
                path.escaped()
            )
        })
        .collect()
}

/// `completed in 1.2 s: 3 files changed, 2 processes, risk low`.
pub fn summary_line(r: &Receipt) -> String {
    let files = r.files.changed_count();
    format!(
        "{} in {:.1} s: {files} file(s) changed, {} process(es), {} peer(s), risk {}",
        r.outcome.status.as_str(),
        r.timing.duration_ms as f64 / 1000.0,
        r.processes.len(),
        r.network.outbound.len(),
        r.risk.level.as_str()
    )
}
