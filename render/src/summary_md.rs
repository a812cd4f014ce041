//! The receipt in a few lines of Markdown for a pull-request comment: one status line, a
//! table of counts, the risk notes, and the few things a reviewer should look at first.
//!
//! Every part is bounded (names and evidence are cut, lists are capped), so the summary
//! stays under 4 KB on any receipt, far below GitHub's 65 536-character comment limit.
//! The same receipt always gives the same bytes.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write;

use runglass_model::receipt::{ChangeKind, Diff, FileChange, FileKind, Receipt, Severity};

use crate::markdown::escape::{code, text};
use crate::text::{duration, mode_change, outcome};
use crate::{docker_lines, git_lines};

/// Risk notes listed; the full receipt has the rest.
const MAX_NOTES: usize = 5;
/// Items under "Review next".
const MAX_REVIEW: usize = 5;
/// Names, evidence and titles are cut to this many bytes.
const MAX_TEXT: usize = 80;

pub fn summary(r: &Receipt) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(
        o,
        "**runglass:** **{}** · {} · {} mode · risk **{}**\n",
        text(&outcome(&r.outcome)),
        duration(r.timing.duration_ms),
        r.mode.as_str(),
        r.risk.level.as_str()
    );
    let _ = writeln!(o, "{}", code(&cut(&r.command.display)));
    counts(o, r);
    notes(o, r);
    review(o, r);
    let _ = writeln!(o, "\n<sub>Receipt {}, runglass {}</sub>", code(&cut(&r.id)), text(&cut(&r.runglass_version)));
    out
}

fn counts(o: &mut String, r: &Receipt) {
    let count = |k| r.files.count_of(k);
    let hosts: BTreeSet<&str> = r.network.outbound.iter().map(|p| p.host.as_deref().unwrap_or(&p.address)).collect();
    let ports: BTreeSet<(&str, u16)> = r.network.listening.iter().map(|l| (l.protocol.as_str(), l.port)).collect();
    let mut columns = vec![
        ("Created", count(ChangeKind::Created)),
        ("Modified", count(ChangeKind::Modified)),
        ("Deleted", count(ChangeKind::Deleted)),
    ];
    if count(ChangeKind::TypeChanged) > 0 {
        columns.push(("Changed type", count(ChangeKind::TypeChanged)));
    }
    columns.extend([
        ("Outside cwd", r.files.counted_outside().count()),
        ("Processes", r.processes.len()),
        ("Outbound hosts", hosts.len()),
        ("Listening ports", ports.len()),
    ]);
    let row = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    let _ = writeln!(o, "\n{}", row(columns.iter().map(|(name, _)| name.to_string()).collect()));
    let _ = writeln!(o, "{}", row(columns.iter().map(|_| "---:".to_string()).collect()));
    let _ = writeln!(o, "{}", row(columns.iter().map(|(_, n)| n.to_string()).collect()));
    let groups = r.files.skipped_groups();
    if !groups.is_empty() {
        let lines: Vec<String> = groups
            .iter()
            .map(|(dir, changes)| format!("{}: {}", code(&cut(&format!("{}/", dir.escaped()))), changes.len()))
            .collect();
        let _ =
            writeln!(o, "\nIn directories the snapshots skip (seen by the trace, counted above): {}", lines.join(", "));
    }
    // What the command did in git, when it did anything there.
    if let Some(g) = r.git.as_ref().filter(|g| git_lines::changed(g)) {
        // Counts only, no name: short on any receipt.
        let what = git_lines::summary(g).unwrap_or_default();
        let head = git_lines::head_move(g).map(|m| format!("; {}", text(&cut(&m)))).unwrap_or_default();
        let _ = writeln!(o, "\n**Git:** {}{head}", text(&what));
    }
    // A receipt that looked at Docker says what it found, or that the engine was not read.
    match r.docker.as_ref().map(|d| (d, docker_lines::unavailable(d))) {
        Some((_, Some(line))) => {
            let _ = writeln!(o, "\n**Docker:** {}", text(&line));
        }
        Some((d, None)) => {
            let _ = writeln!(o, "\n**Docker changes:** {}", d.change_count());
        }
        None => {}
    }
}

fn notes(o: &mut String, r: &Receipt) {
    if r.risk.notes.is_empty() {
        let _ = writeln!(o, "\n**Risk notes:** none");
        return;
    }
    let _ = writeln!(o, "\n**Risk notes**\n");
    for n in r.risk.notes.iter().take(MAX_NOTES) {
        let evidence = n.evidence.first().map(|e| format!(": {}", code(&cut(e)))).unwrap_or_default();
        let _ = writeln!(o, "- **{}** {}{evidence}", n.severity.as_str(), text(&cut(&n.title)));
    }
    if r.risk.notes.len() > MAX_NOTES {
        let _ = writeln!(o, "- ... {} more in the receipt", r.risk.notes.len() - MAX_NOTES);
    }
}

/// One thing to look at, and why.
struct Item {
    /// What makes two items the same thing (a path, an evidence line).
    key: Vec<u8>,
    shown: String,
    why: String,
}

/// The most important things to look at, in order: evidence of high risks, changes outside
/// the working directory, new executables, deleted files, then the largest diffs.
fn review(o: &mut String, r: &Receipt) {
    let mut items = high_risk_evidence(r);
    items.extend(r.files.counted_outside().map(|c| {
        let actions: Vec<&str> = c.by.iter().map(|a| a.action.as_str()).collect();
        let how = if actions.is_empty() { String::new() } else { format!(" ({})", actions.join(", ")) };
        item(c.path.as_bytes(), format!("outside the working directory{how}"))
    }));
    items.extend(r.files.counted_changes().filter_map(|c| executable(c).map(|why| item(c.path.as_bytes(), why))));
    items.extend(
        r.files
            .changes
            .iter()
            .filter(|c| c.change == ChangeKind::Deleted && c.before.as_ref().is_some_and(|s| s.kind != FileKind::Dir))
            .map(|c| item(c.path.as_bytes(), "deleted".into())),
    );
    items.extend(largest_diffs(r));

    let mut seen = HashSet::new();
    let chosen: Vec<Item> = items.into_iter().filter(|i| seen.insert(i.key.clone())).take(MAX_REVIEW).collect();
    if chosen.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n**Review next**\n");
    for i in chosen {
        let _ = writeln!(o, "- {}: {}", i.shown, i.why);
    }
}

fn item(path: &[u8], why: String) -> Item {
    let shown = code(&cut(&runglass_model::ByteString::from(path).escaped()));
    Item { key: path.to_vec(), shown, why }
}

fn high_risk_evidence(r: &Receipt) -> Vec<Item> {
    let high = r.risk.notes.iter().filter(|n| n.severity == Severity::High);
    high.flat_map(|n| {
        n.evidence.iter().map(|e| Item {
            key: e.as_bytes().to_vec(),
            shown: code(&cut(e)),
            why: format!("high risk, {}", text(&cut(&n.title))),
        })
    })
    .collect()
}

/// Why a change made a program one can run: a new executable, or a file made executable.
fn executable(c: &FileChange) -> Option<String> {
    let after = c.after.as_ref().filter(|s| s.kind == FileKind::File && s.mode & 0o111 != 0)?;
    let before_exec = c.before.as_ref().is_some_and(|s| s.kind == FileKind::File && s.mode & 0o111 != 0);
    match c.change {
        ChangeKind::Created | ChangeKind::TypeChanged => Some(format!("new executable (mode {:o})", after.mode)),
        ChangeKind::Modified if !before_exec => Some(format!("made executable ({})", mode_change(c)?)),
        _ => None,
    }
}

/// Text diffs, the most changed lines first (the receipt's path order breaks ties).
fn largest_diffs(r: &Receipt) -> Vec<Item> {
    let mut diffs: Vec<(&FileChange, u64, u64)> = r
        .files
        .changes
        .iter()
        .filter_map(|c| match c.diff {
            Diff::Text { added, removed, .. } => Some((c, added, removed)),
            _ => None,
        })
        .collect();
    diffs.sort_by_key(|&(_, added, removed)| std::cmp::Reverse(added + removed));
    diffs
        .into_iter()
        .take(MAX_REVIEW)
        .map(|(c, added, removed)| item(c.path.as_bytes(), format!("{} +{added} -{removed}", c.change.as_str())))
        .collect()
}

/// `s` cut to [`MAX_TEXT`] bytes at a character boundary, `...` marking the cut.
fn cut(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}
