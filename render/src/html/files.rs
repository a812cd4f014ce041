//! The files the command changed: inside the working directory, each a collapsible entry
//! with its diff; outside it, as a table; and the files it read, when they were traced.

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;

use maud::{Markup, html};
use runglass_model::receipt::{Aspect, ChangeKind, Diff, FileChange, FileKind, FileState, Receipt};
use runglass_model::{ByteString, Pid};

use super::diff;
use super::observation::unseen_note;
use super::parts::{actor, actors, count, frame, path};
use super::{Served, revert};
use crate::text::{outside_after, outside_before, size};

/// This many text diffs are open when the page loads, so a reader sees changes without a
/// click; the rest are closed to keep a big run's page scannable.
const OPEN_DIFFS: usize = 20;
/// Above this many files read, their table starts closed.
const OPEN_READS: usize = 50;
/// A table cell names this many processes; a file every process read would otherwise
/// fill the page.
const MAX_CELL_ACTORS: usize = 5;

pub(super) fn section(r: &Receipt, served: Served) -> Markup {
    let changes = &r.files.changes;
    let figure = format!("{} in {}", count(changes.len(), "change", "changes"), r.files.root.escaped());
    let body = html! {
        @if changes.is_empty() {
            @match unseen_note(r, Aspect::Files) {
                Some(note) => (note),
                None => p.quiet { "No file changed in the working directory." },
            }
        } @else {
            div.tools data-tools="file-list" hidden {
                button type="button" data-open="true" { "Expand all" }
                button type="button" data-open="false" { "Collapse all" }
                input type="search" placeholder="Filter paths" aria-label="Filter file paths";
                output {}
            }
            div #file-list {
                @for (i, (c, open)) in changes.iter().zip(open_flags(changes)).enumerate() {
                    (change(r, i, c, open, served))
                }
            }
        }
        (outside(r))
        (reads(r))
    };
    frame("files", "Files", Some(figure), body)
}

/// Which changes start open: the first [`OPEN_DIFFS`] that have a text diff to show.
fn open_flags(changes: &[FileChange]) -> impl Iterator<Item = bool> + '_ {
    let mut texts = 0;
    changes.iter().map(move |c| {
        let text = matches!(c.diff, Diff::Text { .. });
        texts += usize::from(text);
        text && texts <= OPEN_DIFFS
    })
}

fn change(r: &Receipt, i: usize, c: &FileChange, open: bool, served: Served) -> Markup {
    let cap_bytes = r.files.snapshot.cap_bytes;
    let kind = match c.change {
        ChangeKind::Created => "created",
        ChangeKind::Modified => "modified",
        ChangeKind::Deleted => "deleted",
        ChangeKind::TypeChanged => "type-changed",
        ChangeKind::Unchanged => "unchanged",
    };
    html! {
        details.file id={ "file-" (i) } open[open] {
            summary {
                span class={ "kind " (kind) } { (c.change.as_str()) }
                " " (path(&c.path)) " "
                (figures(c))
                (who(r, c))
                @if served == Served::Yes { (revert::one_button(&c.path)) }
            }
            div.file-body {
                p.meta { (state(c)) }
                @if !c.by.is_empty() { (actors(r, &c.by)) }
                (diff::body(c, cap_bytes))
            }
        }
    }
}

/// The summary line's short facts: lines added and removed, or what kind of change it was.
fn figures(c: &FileChange) -> Markup {
    let mode = |s: &Option<FileState>| s.as_ref().map_or(0, |s| s.mode);
    let kind = c.after.as_ref().or(c.before.as_ref()).map(|s| s.kind);
    html! {
        span.figures {
            @match &c.diff {
                Diff::Text { added, removed, .. } => {
                    span.plus { "+" (added) } " " span.minus { "−" (removed) }
                }
                Diff::Binary => span.tag { "binary" },
                Diff::Capped => span.tag { "over the cap" },
                Diff::Unavailable { .. } => span.tag { "no diff" },
                Diff::None => {},
            }
            @if c.mode_changed {
                span.tag { "mode " (format!("{:o} → {:o}", mode(&c.before), mode(&c.after))) }
            }
            @if let Some(kind @ (FileKind::Dir | FileKind::Symlink | FileKind::Other)) = kind {
                span.tag { (kind_name(kind)) }
            }
        }
    }
}

/// Who changed the file, briefly: the process that left it as it ended, by program name,
/// and how many others acted on it.
fn who(r: &Receipt, c: &FileChange) -> Markup {
    let Some(last) = c.ended_by() else { return html! {} };
    let mut pids: Vec<_> = c.by.iter().map(|a| a.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    let program = r.command_of(last.process, last.exec).first().map(|a| {
        let name = a.as_path().file_name().map_or(a.as_bytes(), OsStrExt::as_bytes);
        ByteString::from(name).escaped()
    });
    html! {
        span.by {
            "by " (program.unwrap_or_default()) " (" (last.pid) ")"
            @if pids.len() > 1 { " and " (count(pids.len() - 1, "other", "others")) }
        }
    }
}

/// What the path was and is, as one line: kind, size, link target, mode, each shown as
/// `before → after` where it changed.
fn state(c: &FileChange) -> String {
    let side = |s: &Option<FileState>| {
        s.as_ref().map(|s| {
            let size = (s.kind == FileKind::File).then(|| size(s.size));
            let target = s.target.as_ref().map(|t| format!("target {}", t.escaped()));
            (kind_name(s.kind).to_string(), size, target, format!("mode {:o}", s.mode), s.capped)
        })
    };
    let (parts, capped) = match (side(&c.before), side(&c.after)) {
        (Some(b), Some(a)) => {
            let parts = [
                Some(changed(b.0, a.0)),
                b.1.zip(a.1).map(|(b, a)| changed(b, a)),
                b.2.zip(a.2).map(|(b, a)| changed(b, a)),
                Some(changed(b.3, a.3)),
            ];
            (parts, a.4)
        }
        (None, Some(s)) => ([Some(s.0), s.1, s.2, Some(s.3)], s.4),
        (Some(s), None) => ([Some(format!("was a {}", s.0)), s.1, s.2, Some(s.3)], s.4),
        (None, None) => return String::new(),
    };
    let mut line: Vec<String> = parts.into_iter().flatten().collect();
    if capped {
        line.push("over the snapshot cap".into());
    }
    line.join(" · ")
}

/// `before` when nothing changed, otherwise `before → after`.
fn changed(before: String, after: String) -> String {
    if before == after { before } else { format!("{before} → {after}") }
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::File => "file",
        FileKind::Dir => "directory",
        FileKind::Symlink => "symlink",
        FileKind::Other => "fifo, socket or device",
    }
}

fn outside(r: &Receipt) -> Markup {
    let outside = &r.files.outside;
    html! {
        h3 #outside { "Outside the working directory" }
        @if outside.is_empty() {
            @match unseen_note(r, Aspect::FilesOutside) {
                Some(note) => (note),
                None => p.quiet { "No change seen outside it." },
            }
        } @else {
            div.table-scroll {
                table {
                    thead { tr { th { "Path" } th { "What happened" } th { "Before" } th { "After" } th { "By" } } }
                    tbody {
                        @for (i, c) in outside.iter().enumerate() {
                            tr id={ "outside-" (i) } {
                                td { (path(&c.path)) }
                                td { (c.by.iter().map(|a| a.action.as_str()).collect::<Vec<_>>().join(", ")) }
                                td { (outside_before(c)) }
                                td { (outside_after(c)) }
                                td { (distinct_actors(c.by.iter().map(|a| (a.pid, r.command_of(a.process, a.exec))))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reads(r: &Receipt) -> Markup {
    let reads = &r.files.reads;
    if reads.is_empty() {
        return html! {};
    }
    html! {
        details.reads open[reads.len() <= OPEN_READS] {
            summary { h3 #reads { "Files read " span.figure { (reads.len()) } } }
            div.table-scroll {
                table {
                    thead { tr { th { "Path" } th { "Size" } th { "BLAKE3" } th { "By" } } }
                    tbody {
                        @for f in reads {
                            tr {
                                td { (path(&f.path)) }
                                td.num { @if let Some(s) = f.size { (size(s)) } }
                                td { @if let Some(h) = &f.blake3 { code title=(h) { (h.get(..16).unwrap_or(h)) } } }
                                td { (distinct_actors(f.by.iter().map(|a| (a.pid, r.command_of(a.process, a.exec))))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each process once, in order of first appearance; past [`MAX_CELL_ACTORS`], only how
/// many more there are.
fn distinct_actors<'a>(by: impl Iterator<Item = (Pid, &'a [ByteString])>) -> Markup {
    let mut seen = HashSet::new();
    let mut shown = Vec::new();
    for (pid, argv) in by {
        if seen.insert(pid) && shown.len() < MAX_CELL_ACTORS {
            shown.push((pid, argv));
        }
    }
    let more = seen.len() - shown.len();
    html! {
        @for (pid, argv) in shown { (actor(pid, argv)) }
        @if more > 0 { span.muted { "and " (count(more, "other process", "other processes")) } }
    }
}
