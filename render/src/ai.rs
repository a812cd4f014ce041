//! The `ai` summary: a deterministic plain-text block to paste back into a coding agent.
//! Short, factual, the same receipt always gives the same bytes; when the command
//! failed, it carries the end of the failing output.

use std::fmt::Write;

use runglass_model::receipt::{Diff, Receipt, RunStatus};
use runglass_model::command_line;

use crate::text::duration;

/// At most this many lines of failing output.
const FAILING_LINES: usize = 20;
const MAX_ITEMS: usize = 15;

pub fn summary(r: &Receipt) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "runglass receipt {}", r.id);
    let _ = writeln!(o, "command: {}", r.command.display);
    let _ = writeln!(o, "cwd: {}", r.command.cwd.escaped());
    let exit = r.outcome.exit.map(|e| format!(", {e}")).unwrap_or_default();
    let _ = writeln!(o, "status: {}{exit}, {}, {} mode", r.outcome.status.as_str(), duration(r.timing.duration_ms), r.mode.as_str());
    let _ = writeln!(o, "risk: {}", r.risk.level.as_str());
    for n in &r.risk.notes {
        let _ = writeln!(o, "- [{}] {}: {}", n.severity.as_str(), n.title, n.evidence.first().map(String::as_str).unwrap_or(&n.detail));
    }
    let _ = writeln!(o, "files changed: {}", r.files.changes.len());
    for c in r.files.changes.iter().take(MAX_ITEMS) {
        let size = match &c.diff {
            Diff::Text { added, removed, .. } => format!(" (+{added} -{removed})"),
            Diff::Binary => " (binary)".into(),
            _ => String::new(),
        };
        let _ = writeln!(o, "- {} {}{size}", c.change.as_str(), c.path.shell_word());
    }
    if r.files.changes.len() > MAX_ITEMS {
        let _ = writeln!(o, "- ... {} more", r.files.changes.len() - MAX_ITEMS);
    }
    if !r.files.outside.is_empty() {
        let _ = writeln!(o, "changed outside the working directory: {}", r.files.outside.len());
        for c in r.files.outside.iter().take(MAX_ITEMS) {
            let _ = writeln!(o, "- {}", c.path.shell_word());
        }
    }
    let _ = writeln!(o, "processes: {}", r.processes.len());
    for p in &r.network.listening {
        let _ = writeln!(o, "listening: {} {}:{} ({})", p.protocol.as_str(), p.address, p.port, command_line(&p.argv));
    }
    let mut peers: Vec<String> = r.network.outbound.iter().map(|p| format!("{}:{}", p.host.clone().unwrap_or_else(|| p.address.clone()), p.port)).collect();
    peers.dedup();
    if !peers.is_empty() {
        let _ = writeln!(o, "connected to: {}", peers.join(", "));
    }
    if !matches!(r.outcome.status, RunStatus::Completed) {
        failing_output(o, r);
    }
    out
}

/// The last lines the command wrote: stderr first (where failures go), else stdout or
/// the terminal transcript.
fn failing_output(o: &mut String, r: &Receipt) {
    let stream = [&r.output.stderr, &r.output.transcript, &r.output.stdout].into_iter().flatten().find(|s| s.bytes > 0);
    let Some(s) = stream else { return };
    let text = if s.truncated { s.tail.printable() } else { s.head.printable() };
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(FAILING_LINES);
    let _ = writeln!(o, "last output ({}):", s.file);
    for l in &lines[from..] {
        let _ = writeln!(o, "  {l}");
    }
}
