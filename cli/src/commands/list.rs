//! `runglass list`: the receipts, newest first, filtered by text, risk and mode.

use std::io::Write;

use runglass_model::Receipt;
use runglass_model::receipt::{Mode, Severity};
use serde::Serialize;

use crate::args::{ListArgs, ModeArg, RiskLevel};
use crate::record::recover;
use crate::store;

/// One row of `list --json`.
#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    status: &'a str,
    mode: &'a str,
    risk: &'a str,
    started_at: &'a str,
    duration_ms: u64,
    exit_code: Option<i32>,
    command: &'a str,
    cwd: String,
    files_changed: usize,
}

pub fn run(args: ListArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let recover::Readable { mut receipts, running } = recover::load_all(&data)?;
    receipts.retain(|r| keep(r, &args));
    receipts.truncate(args.limit.unwrap_or(usize::MAX));

    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<Row> = receipts.iter().map(row).collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(0);
    }
    for id in &running {
        writeln!(out, "{id}  (running)")?;
    }
    if receipts.is_empty() && running.is_empty() {
        eprintln!("runglass: no receipts match; make one with `runglass run -- CMD`");
        return Ok(0);
    }
    for r in &receipts {
        let row = row(r);
        writeln!(
            out,
            "{:<40} {:<15} {:<6} {:<6} {:>12}  {}",
            row.id,
            row.status,
            row.mode,
            row.risk,
            runglass_render::text::duration(row.duration_ms),
            truncate(row.command, 70)
        )?;
    }
    Ok(0)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}...", s.chars().take(n - 3).collect::<String>()) }
}

fn row(r: &Receipt) -> Row<'_> {
    Row {
        id: &r.id,
        status: r.outcome.status.as_str(),
        mode: r.mode.as_str(),
        risk: r.risk.level.as_str(),
        started_at: &r.timing.started_at,
        duration_ms: r.timing.duration_ms,
        exit_code: r.outcome.exit_code,
        command: &r.command.display,
        cwd: r.command.cwd.to_string_lossy().into_owned(),
        files_changed: r.files.changed_count(),
    }
}

fn keep(r: &Receipt, args: &ListArgs) -> bool {
    if let Some(q) = &args.query {
        let q = q.to_lowercase();
        let hay =
            [r.id.to_lowercase(), r.command.display.to_lowercase(), r.command.cwd.to_string_lossy().to_lowercase()];
        if !hay.iter().any(|h| h.contains(&q)) {
            return false;
        }
    }
    if let Some(level) = args.risk {
        let min = match level {
            RiskLevel::Info => Severity::Info,
            RiskLevel::Low => Severity::Low,
            RiskLevel::Medium => Severity::Medium,
            RiskLevel::High => Severity::High,
        };
        if r.risk.level < min {
            return false;
        }
    }
    match args.mode {
        Some(ModeArg::Normal) => r.mode == Mode::Normal,
        Some(ModeArg::Deep) => r.mode == Mode::Deep,
        None => true,
    }
}
