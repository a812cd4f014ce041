//! The "Review next" section's data: the few things in a receipt to look at first, and
//! why, in order: evidence of high risks, changes outside the working directory, new
//! executables, deleted files, then the largest diffs; each thing once.

use std::collections::HashSet;

use runglass_model::receipt::{ChangeKind, Diff, FileChange, FileKind, Receipt, Severity};

use crate::text::mode_change;

/// One thing to look at, and why.
pub(crate) struct Item<'a> {
    pub what: What<'a>,
    pub why: Why<'a>,
}

/// A path, or an evidence line of a risk note.
pub(crate) enum What<'a> {
    Path(&'a [u8]),
    Evidence(&'a str),
}

pub(crate) enum Why<'a> {
    /// Evidence of a high risk, with the note's title.
    HighRisk(&'a str),
    /// Changed outside the working directory, with what the processes did to it.
    Outside(Vec<&'a str>),
    /// `new executable (mode 755)`, `made executable (mode 644 -> 755)`.
    Executable(String),
    Deleted,
    /// A text diff: the change and its size.
    Diff(ChangeKind, u64, u64),
}

/// At most `max` items, each thing (a path, an evidence line) once.
pub(crate) fn review(r: &Receipt, max: usize) -> Vec<Item<'_>> {
    let mut items = high_risk_evidence(r);
    items.extend(r.files.counted_outside().map(|c| Item {
        what: What::Path(c.path.as_bytes()),
        why: Why::Outside(c.by.iter().map(|a| a.action.as_str()).collect()),
    }));
    items.extend(r.files.counted_changes().filter_map(|c| {
        executable(c).map(|why| Item { what: What::Path(c.path.as_bytes()), why: Why::Executable(why) })
    }));
    items.extend(
        r.files
            .changes
            .iter()
            .filter(|c| c.change == ChangeKind::Deleted && c.before.as_ref().is_some_and(|s| s.kind != FileKind::Dir))
            .map(|c| Item { what: What::Path(c.path.as_bytes()), why: Why::Deleted }),
    );
    items.extend(largest_diffs(r, max));
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| seen.insert(i.what.key())).take(max).collect()
}

impl What<'_> {
    /// What makes two items the same thing.
    fn key(&self) -> Vec<u8> {
        match self {
            What::Path(p) => p.to_vec(),
            What::Evidence(e) => e.as_bytes().to_vec(),
        }
    }
}

fn high_risk_evidence(r: &Receipt) -> Vec<Item<'_>> {
    let high = r.risk.notes.iter().filter(|n| n.severity == Severity::High);
    high.flat_map(|n| n.evidence.iter().map(|e| Item { what: What::Evidence(e), why: Why::HighRisk(&n.title) }))
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

/// The `max` largest text diffs, the most changed lines first (the receipt's path order
/// breaks ties).
fn largest_diffs(r: &Receipt, max: usize) -> Vec<Item<'_>> {
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
        .take(max)
        .map(|(c, added, removed)| Item {
            what: What::Path(c.path.as_bytes()),
            why: Why::Diff(c.change, added, removed),
        })
        .collect()
}
