//! The files the command changed: inside the working directory, each a collapsible entry
//! with its diff; outside it, as a table; and the files it read, when they were traced.

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;

use maud::{Markup, html};
use runglass_model::receipt::{
    Actor, Aspect, ChangeKind, Diff, FileChange, FileKind, FileState, OutsideChange, Receipt,
};
use runglass_model::{ByteString, Pid};

use super::diff;
use super::observation::unseen_note;
use super::parts::{actor, actors, count, frame, path, table};
use super::{Served, revert};
use crate::text::{kind_counts, metadata_changes, outside_after, outside_before, outside_metadata_changes, size};

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
    let counted = r.files.counted_changes().count();
    let figure = format!("{} in {}", count(counted, "change", "changes"), r.files.root.escaped());
    // Each entry keeps its index in `files.changes`: the process tree links to `#file-N`.
    let walked: Vec<(usize, &FileChange)> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.change != ChangeKind::Unchanged && c.skipped_dir.is_none())
        .collect();
    let opens = open_flags(walked.iter().map(|(_, c)| *c));
    let body = html! {
        @if counted == 0 {
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
                @for ((i, c), open) in walked.iter().zip(opens) {
                    (change(r, *i, c, open, served))
                }
            }
            (skipped(r, served))
        }
        (not_counted(r))
        (outside(r))
        (reads(r))
    };
    frame("files", "Files", Some(figure), body)
}

/// The changes the trace saw in directories the snapshots skip, one closed group per
/// directory (a `node_modules` can hold thousands), with its counts in the summary line.
fn skipped(r: &Receipt, served: Served) -> Markup {
    // Grouped here with each change's index, as `Files::skipped_groups` groups them.
    let mut groups: Vec<(&ByteString, Vec<(usize, &FileChange)>)> = Vec::new();
    for (i, c) in r.files.changes.iter().enumerate().filter(|(_, c)| c.change != ChangeKind::Unchanged) {
        let Some(dir) = &c.skipped_dir else { continue };
        match groups.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, list)) => list.push((i, c)),
            None => groups.push((dir, vec![(i, c)])),
        }
    }
    html! {
        @for (dir, changes) in &groups {
            details.skipped {
                summary {
                    code.path { (dir.escaped()) "/" } " "
                    span.muted { "skipped by the snapshots, seen by the trace: " }
                    (kind_counts(changes.iter().map(|(_, c)| c.change)))
                }
                div.file-list {
                    @for (i, c) in changes { (change(r, *i, c, false, served)) }
                }
            }
        }
    }
}

/// What is folded away rather than counted: paths made and removed again within the run,
/// and paths opened for writing and left as they were. Closed, shown on request.
fn not_counted(r: &Receipt) -> Markup {
    let f = &r.files;
    let unchanged_inside: Vec<&FileChange> = f.changes.iter().filter(|c| c.change == ChangeKind::Unchanged).collect();
    let unchanged_outside: Vec<&OutsideChange> =
        f.outside.iter().filter(|c| c.change == ChangeKind::Unchanged).collect();
    let unchanged = unchanged_inside.len() + unchanged_outside.len();
    if f.transient.is_empty() && unchanged == 0 {
        return html! {};
    }
    let actions = |by: &[Actor]| by.iter().map(|a| a.action.as_str()).collect::<Vec<_>>().join(", ");
    let shown_by = |by: &[Actor]| distinct_actors(by.iter().map(|a| (a.pid, r.command_of(a.process, a.exec))));
    html! {
        details.noise #not-counted {
            summary {
                h3 { "Not counted as changes" } " "
                span.muted {
                    (count(f.transient.len(), "path made and removed again", "paths made and removed again"))
                    @if unchanged > 0 { ", " (count(unchanged, "path left as it was", "paths left as they were")) }
                }
            }
            (table(&[("Path", false), ("What happened", false), ("By", false)], html! {
                @for t in &f.transient {
                    tr {
                        td { (path(&t.path)) @if !t.inside { " " span.tag { "outside" } } }
                        td { "made and removed again: " (actions(&t.by)) }
                        td { (shown_by(&t.by)) }
                    }
                }
                @for c in &unchanged_inside {
                    tr { td { (path(&c.path)) } td { "left as it was: " (actions(&c.by)) } td { (shown_by(&c.by)) } }
                }
                @for c in &unchanged_outside {
                    tr {
                        td { (path(&c.path)) " " span.tag { "outside" } }
                        td { "left as it was: " (actions(&c.by)) }
                        td { (shown_by(&c.by)) }
                    }
                }
            }))
        }
    }
}

/// Which changes start open: the first [`OPEN_DIFFS`] that have a text diff to show.
fn open_flags<'a>(changes: impl Iterator<Item = &'a FileChange> + 'a) -> impl Iterator<Item = bool> + 'a {
    let mut texts = 0;
    changes.map(move |c| {
        let text = matches!(c.diff, Diff::Text { .. });
        texts += usize::from(text);
        text && texts <= OPEN_DIFFS
    })
}

fn change(r: &Receipt, i: usize, c: &FileChange, open: bool, served: Served) -> Markup {
    let cap_bytes = r.files.snapshot.cap_bytes;
    let kind = kind_class(c.change);
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

/// The CSS class of a change's kind.
fn kind_class(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Created => "created",
        ChangeKind::Modified => "modified",
        ChangeKind::Deleted => "deleted",
        ChangeKind::TypeChanged => "type-changed",
        ChangeKind::Unchanged => "unchanged",
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
            @for m in metadata_changes(c).into_iter().filter(|m| !m.starts_with("mode ")) {
                span.tag { (m) }
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
    let outside: Vec<(usize, &OutsideChange)> =
        r.files.outside.iter().enumerate().filter(|(_, c)| c.change != ChangeKind::Unchanged).collect();
    html! {
        h3 #outside { "Outside the working directory" }
        @if outside.is_empty() {
            @match unseen_note(r, Aspect::FilesOutside) {
                Some(note) => (note),
                None => p.quiet { "No change seen outside it." },
            }
        } @else {
            (table(&[("Path", false), ("Change", false), ("What happened", false), ("Before", false), ("After", false), ("By", false)], html! {
                @for (i, c) in &outside {
                    tr id={ "outside-" (i) } {
                        td { (path(&c.path)) }
                        td { span class={ "kind " (kind_class(c.change)) } { (c.change.as_str()) } }
                        td { (c.by.iter().map(|a| a.action.as_str()).collect::<Vec<_>>().join(", ")) }
                        td { (outside_before(c)) }
                        td {
                            (outside_after(c))
                            @for m in outside_metadata_changes(c) { br; span.tag { (m) } }
                        }
                        td { (distinct_actors(c.by.iter().map(|a| (a.pid, r.command_of(a.process, a.exec))))) }
                    }
                }
            }))
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
            (table(&[("Path", false), ("Size", false), ("BLAKE3", false), ("By", false)], html! {
                @for f in reads {
                    tr {
                        td { (path(&f.path)) }
                        td.num { @if let Some(s) = f.size { (size(s)) } }
                        td { @if let Some(h) = &f.blake3 { code title=(h) { (h.get(..16).unwrap_or(h)) } } }
                        td { (distinct_actors(f.by.iter().map(|a| (a.pid, r.command_of(a.process, a.exec))))) }
                    }
                }
            }))
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
