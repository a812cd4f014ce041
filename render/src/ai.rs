//! The `ai` summary: a deterministic plain-text block to paste back into a coding agent.
//! Short, factual, the same receipt always gives the same bytes; when the command
//! failed, it carries the end of the failing output.

use std::collections::BTreeSet;
use std::fmt::Write;

use runglass_model::command_line;
use runglass_model::receipt::{Diff, Receipt, RunStatus};

use crate::text::{ci_build, ci_run_url, duration, lookup_answer, metadata_changes, named_peer, outcome};
use crate::{docker_lines, git_lines};

/// At most this many lines of failing output.
const FAILING_LINES: usize = 20;
/// Each of them cut to its last this many characters: a progress bar redrawn with `\r` is one
/// line, and what it showed last is at its end.
const FAILING_LINE_CHARS: usize = 200;
const MAX_ITEMS: usize = 15;

pub fn summary(r: &Receipt) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "runglass receipt {}", r.id);
    let _ = writeln!(o, "command: {}", r.command.display);
    let _ = writeln!(o, "cwd: {}", r.command.cwd.escaped());
    let _ =
        writeln!(o, "status: {}, {}, {} mode", outcome(&r.outcome), duration(r.timing.duration_ms), r.mode.as_str());
    if let Some(msg) = &r.outcome.message {
        let _ = writeln!(o, "message: {msg}");
    }
    if let Some(ci) = &r.ci {
        let run = ci_run_url(ci).map(|u| format!(" ({u})")).unwrap_or_default();
        let _ = writeln!(o, "ci: {}{run}", ci_build(ci));
    }
    let _ = writeln!(o, "risk: {}", r.risk.level.as_str());
    for n in &r.risk.notes {
        let fact = n.evidence.first().unwrap_or(&n.detail);
        let _ = writeln!(o, "- [{}] {}: {fact}", n.severity.as_str(), n.title);
    }
    let changes: Vec<_> = r.files.counted_changes().collect();
    let _ = writeln!(o, "files changed: {}", changes.len());
    for c in changes.iter().take(MAX_ITEMS) {
        let mut details = Vec::new();
        match &c.diff {
            Diff::Text { added, removed, .. } => details.push(format!("+{added} -{removed}")),
            Diff::Binary => details.push("binary".into()),
            _ => {}
        }
        details.extend(metadata_changes(c));
        if let Some(dir) = &c.skipped_dir {
            details.push(format!("in {}, which snapshots skip", dir.shell_word()));
        }
        let details = if details.is_empty() { String::new() } else { format!(" ({})", details.join(", ")) };
        let _ = writeln!(o, "- {} {}{details}", c.change.as_str(), c.path.shell_word());
    }
    if changes.len() > MAX_ITEMS {
        let _ = writeln!(o, "- ... {} more", changes.len() - MAX_ITEMS);
    }
    let outside: Vec<_> = r.files.counted_outside().collect();
    if !outside.is_empty() {
        let _ = writeln!(o, "changed outside the working directory: {}", outside.len());
        for c in outside.iter().take(MAX_ITEMS) {
            let _ = writeln!(o, "- {} {}", c.change.as_str(), c.path.shell_word());
        }
    }
    if !r.files.transient.is_empty() {
        let _ = writeln!(o, "made and removed again (not changes): {}", r.files.transient.len());
    }
    if let Some(g) = &r.git {
        let after = git_lines::head_after(g).map(|h| format!(" -> {h}")).unwrap_or_default();
        let how = git_lines::head_move(g).map(|m| format!(" ({m})")).unwrap_or_default();
        let _ = writeln!(o, "git: {}{after}{how}", git_lines::head_before(g));
        let lines = git_lines::lines(g);
        for line in lines.iter().take(MAX_ITEMS) {
            let _ = writeln!(o, "- {line}");
        }
        if lines.len() > MAX_ITEMS {
            let _ = writeln!(o, "- ... {} more", lines.len() - MAX_ITEMS);
        }
        let commands = git_lines::undo_commands(g);
        if !commands.is_empty() {
            let _ = writeln!(o, "not undone by runglass revert; to undo in git: {}", commands.join("; "));
        }
    }
    let _ = writeln!(o, "processes: {}", r.processes.len());
    for p in &r.network.listening {
        let command = command_line(r.command_of(p.process, p.exec));
        let _ = writeln!(o, "listening: {} {}:{} ({command})", p.protocol.as_str(), p.address, p.port);
    }
    // Sorted and without repeats: the same peer is listed once per process in the receipt.
    let peers: BTreeSet<String> = r.network.outbound.iter().map(named_peer).collect();
    if !peers.is_empty() {
        let _ = writeln!(o, "connected to: {}", peers.into_iter().collect::<Vec<_>>().join(", "));
    }
    let lookups: BTreeSet<String> =
        r.network.lookups.iter().map(|l| format!("{} ({})", l.name, lookup_answer(l))).collect();
    if !lookups.is_empty() {
        let _ = writeln!(o, "looked up: {}", lookups.into_iter().collect::<Vec<_>>().join(", "));
    }
    if let Some(d) = &r.docker {
        match docker_lines::unavailable(d) {
            Some(line) => {
                let _ = writeln!(o, "docker: {line}");
            }
            None => {
                let lines = docker_lines::lines(d);
                let _ = writeln!(o, "docker changes: {}", lines.len());
                for line in lines.iter().take(MAX_ITEMS) {
                    let _ = writeln!(o, "- {line}");
                }
            }
        }
    }
    if !matches!(r.outcome.status, RunStatus::Completed) {
        failing_output(o, r);
    }
    out
}

/// The last lines the command wrote: stderr first (where failures go), else stdout or
/// the terminal transcript.
fn failing_output(o: &mut String, r: &Receipt) {
    let streams = [&r.output.stderr, &r.output.transcript, &r.output.stdout];
    let Some(s) = streams.into_iter().flatten().find(|s| s.bytes > 0) else { return };
    let text = if s.truncated { s.tail.printable() } else { s.head.printable() };
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(FAILING_LINES);
    let _ = writeln!(o, "last output ({}):", s.file);
    for l in &lines[from..] {
        let chars = l.chars().count();
        if chars > FAILING_LINE_CHARS {
            let end: String = l.chars().skip(chars - FAILING_LINE_CHARS).collect();
            let _ = writeln!(o, "  ...{end}");
        } else {
            let _ = writeln!(o, "  {l}");
        }
    }
}
