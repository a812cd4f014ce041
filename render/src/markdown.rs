//! The full receipt as GitHub-flavoured Markdown (`receipt.md`): the facts, risk notes, files
//! with their diffs, outside changes, reads, the process tree, network, timeline, output
//! excerpts, and what was and was not seen.
//!
//! Everything from the command stays in code spans or fenced blocks (see [`escape`]), since
//! GitHub renders raw HTML; every list is bounded, so a run touching a million files still
//! gives a file one can open.
//!
//! Which sections, in which order, with which cuts, comes from `scaffold.rs`; this
//! file only says how each looks.

pub(crate) mod escape;

use std::fmt::Write;

use runglass_model::ByteString;
use runglass_model::receipt::{
    Actor, ChangeKind, Diff, FileChange, FileKind, FileRead, FileState, NameSource, Receipt, UnixRole,
};

use crate::scaffold::{self, Layout, Page};
use crate::shape::{MARKDOWN, Shape};
use crate::sections::{Cut, Docker, Files, Git, Network, NotCounted, Observation, Outside, Processes, Risk, Timeline};
use crate::text::{
    ci_build, ci_run_url, duration, lookup_answer, metadata_changes, mode_change, outcome, outside_after,
    outside_before, outside_metadata_changes, short_command, socket_address,
};
use crate::{docker_lines, git_lines, sections};
use escape::{cell_code, code, fenced, html, text};

pub fn receipt(r: &Receipt) -> String {
    scaffold::render::<Markdown>(r)
}

struct Markdown;

impl Layout for Markdown {
    const SHAPE: &'static Shape = &MARKDOWN;

    fn head(p: &mut Page) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(o, "# runglass receipt\n");
        let _ = writeln!(o, "- **Command:** {}", code(&r.command.display));
        let _ = writeln!(o, "- **Working directory:** {}", code(&r.command.cwd.escaped()));
        let _ = writeln!(o, "- **Status:** {}", text(&outcome(&r.outcome)));
        if let Some(msg) = &r.outcome.message {
            let _ = writeln!(o, "- **Message:** {}", text(msg));
        }
        if let Some(t) = r.outcome.timeout_ms {
            let _ = writeln!(o, "- **Timeout:** {}", duration(t));
        }
        let _ = writeln!(o, "- **Duration:** {}", duration(r.timing.duration_ms));
        let _ = writeln!(o, "- **Mode:** {}", r.mode.as_str());
        let _ = writeln!(o, "- **Started:** {}", text(&r.timing.started_at));
        let _ = writeln!(o, "- **Risk:** {}", r.risk.level.as_str());
        match &r.git {
            Some(g) => {
                let state = |dirty| {
                    if dirty { "uncommitted changes" } else { "clean" }
                };
                let after = git_lines::head_after(g).map(|h| format!(" -> {}", code(&h))).unwrap_or_default();
                let how = git_lines::head_move(g).map(|m| format!(" ({})", text(&m))).unwrap_or_default();
                let _ = writeln!(
                    o,
                    "- **Git:** {}{after}{how} in {}; {} before, {} after",
                    code(&git_lines::head_before(g)),
                    code(&g.root.escaped()),
                    state(g.dirty_before),
                    state(g.dirty_after)
                );
            }
            None => {
                let _ = writeln!(o, "- **Git:** not in a repository");
            }
        }
        if let Some(ci) = &r.ci {
            let run = ci_run_url(ci).map(|u| format!("; run: {}", text(u))).unwrap_or_default();
            let _ = writeln!(o, "- **CI:** {}{run}", text(&ci_build(ci)));
        }
        let _ = writeln!(o, "- **Receipt:** {} (runglass {})", code(&r.id), text(&r.runglass_version));
    }

    fn risk(p: &mut Page, risk: &Risk) {
        let o = &mut p.o;
        if risk.notes.is_empty() {
            let _ = writeln!(o, "\n## Risk: none noted");
            return;
        }
        let _ = writeln!(o, "\n## Risk: {}\n", risk.level);
        for n in &risk.notes.shown {
            let _ =
                writeln!(o, "- **{}** ({}). {}", text(&n.note.title), n.note.severity.as_str(), text(&n.note.detail));
            for e in &n.evidence.shown {
                let _ = writeln!(o, "  - {}", code(e));
            }
            if n.evidence.left_out > 0 {
                let _ = writeln!(o, "  - ... {} more in the receipt", n.evidence.left_out);
            }
            let _ = writeln!(o, "  - *Recommendation:* {}", text(&n.note.recommendation));
        }
    }

    fn files(p: &mut Page, f: &Files) {
        let _ = writeln!(p.o, "\n## Files: {}\n", f.kinds);
        let _ = writeln!(p.o, "In {}.", code(&p.r.files.root.escaped()));
        if !f.walked.is_empty() {
            change_table(p, &f.walked);
        }
        for group in &f.skipped {
            let _ = writeln!(
                p.o,
                "\nIn {}, which the snapshots skip, the trace saw: {}.",
                code(&format!("{}/", group.dir.escaped())),
                group.kinds
            );
            change_table(p, &group.changes);
        }
    }

    /// The paths runglass folds away instead of counting: made and removed within the run, or
    /// opened for writing and left as they were.
    fn not_counted(p: &mut Page, n: &NotCounted) {
        let mut parts = Vec::new();
        if !n.transient.is_empty() {
            let examples: Vec<String> = n.transient.shown.iter().map(|t| code(&t.path.escaped())).collect();
            parts.push(format!(
                "{} path(s) made and removed again (e.g. {})",
                n.transient.total(),
                examples.join(", ")
            ));
        }
        if n.unchanged > 0 {
            parts.push(format!("{} path(s) opened for writing and left as they were", n.unchanged));
        }
        let _ = writeln!(p.o, "\nNot counted as changes: {}; the receipt lists them.", parts.join("; "));
    }

    /// Each text diff in a collapsible block, its name in the summary line.
    fn diffs(p: &mut Page, texts: &Cut<&FileChange>) {
        let o = &mut p.o;
        let _ = writeln!(o, "\n### Diffs");
        for c in &texts.shown {
            let Diff::Text { unified, added, removed, truncated } = &c.diff else {
                continue;
            };
            let mode = mode_change(c).map(|m| format!(", {m}")).unwrap_or_default();
            let cut = if *truncated { ", cut short (the blob store has both sides)" } else { "" };
            // Inside an HTML block Markdown is not parsed: only HTML escaping applies.
            let _ = writeln!(
                o,
                "\n<details><summary><code>{}</code>: {} +{added} -{removed}{mode}{cut}</summary>\n",
                html(&c.path.escaped()),
                c.change.as_str()
            );
            // Control characters in a text file are shown escaped, as everywhere else.
            let _ = write!(o, "{}", fenced("diff", &ByteString::from(unified.as_str()).printable()));
            let _ = writeln!(o, "\n</details>");
        }
        if texts.left_out > 0 {
            let _ = writeln!(o, "\n... {} more diffs in the receipt.", texts.left_out);
        }
    }

    fn outside(p: &mut Page, outside: &Outside) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(o, "\n## Outside the working directory: {}\n", outside.kinds);
        let rows = outside.changes.shown.iter().map(|c| {
            let actions: Vec<&str> = c.by.iter().map(|a| a.action.as_str()).collect();
            let mut after = outside_after(c);
            for m in outside_metadata_changes(c) {
                after.push_str(&format!("; {m}"));
            }
            vec![
                cell_code(&c.path.escaped()),
                c.change.as_str().into(),
                actions.join(", "),
                text(&outside_before(c)),
                text(&after),
                actors(r, c.ended_by(), c.by.len()),
            ]
        });
        let columns = ["Path", "Change", "What happened", "Before", "After", "By"];
        table(o, &columns, rows, outside.changes.left_out);
    }

    fn reads(p: &mut Page, reads: &Cut<&FileRead>) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(o, "\n## Files read: {}\n", reads.total());
        let rows = reads.shown.iter().map(|f| {
            let size = f.size.map(|s| s.to_string()).unwrap_or_default();
            let hash = f.blake3.as_deref().map(|h| cell_code(h.get(..16).unwrap_or(h))).unwrap_or_default();
            vec![cell_code(&f.path.escaped()), size, hash, actors(r, f.by.last(), f.by.len())]
        });
        table(o, &["Path", "Size", "BLAKE3", "By"], rows, reads.left_out);
    }

    /// What the command did in git, and the commands that undo what revert does not.
    /// Nothing when git shows no change line by line.
    fn git(p: &mut Page, git: &Git) {
        let (o, g) = (&mut p.o, git.info);
        if git.lines.is_empty() {
            return;
        }
        let _ = writeln!(o, "\n## Git\n");
        if let Some(what) = git_lines::summary(g) {
            let _ = writeln!(o, "{}\n", text(&what));
        }
        for line in &git.lines.shown {
            let _ = writeln!(o, "- {}", code(line));
        }
        more(o, git.lines.left_out);
        if let Some(note) = git_lines::revert_note(g, git_lines::reverts_git_refs(&p.r.files)) {
            let _ = writeln!(o, "\n{}\n", text(&note));
            let commands = git_lines::undo_commands(g);
            if !commands.is_empty() {
                let _ = write!(o, "{}", fenced("sh", &commands.join("\n")));
            }
        }
    }

    /// The process tree in a code block, each process under its parent.
    fn processes(p: &mut Page, procs: &Processes) {
        let o = &mut p.o;
        let _ = writeln!(o, "\n## Processes: {}\n", procs.count);
        if procs.count == 0 {
            return;
        }
        let mut tree = procs.tree.shown.join("\n");
        tree.push('\n');
        if procs.tree.left_out > 0 {
            let _ = writeln!(tree, "... {} more in the receipt", procs.tree.left_out);
        }
        let _ = write!(o, "{}", fenced("text", &tree));
    }

    fn network(p: &mut Page, n: &Network) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(o, "\n## Network\n");
        if n.is_empty() {
            let _ = writeln!(o, "None seen.");
            return;
        }
        if !n.probes.is_empty() {
            let shown: Vec<String> =
                n.probes.shown.iter().map(|p| cell_code(&socket_address(&p.address, p.port))).collect();
            let more = if n.probes.left_out > 0 { format!(", ... {} more", n.probes.left_out) } else { String::new() };
            let _ = writeln!(
                o,
                "Address probes, not counted as peers (UDP connects with no datagram seen): {}{more}\n",
                shown.join(", ")
            );
        }
        let by = |pid, process, exec| {
            format!("{pid} {}", cell_code(&short_command(r.command_of(process, exec), SHORT_COMMAND)))
        };
        if !n.outbound.is_empty() {
            let _ = writeln!(o, "Outbound:\n");
            let rows = n.outbound.shown.iter().map(|p| {
                let host = match (&p.host, p.host_from) {
                    (Some(h), Some(NameSource::Hosts)) => format!("{} (hosts file) ", cell_code(h)),
                    (Some(h), _) => format!("{} ", cell_code(h)),
                    (None, _) => String::new(),
                };
                let peer = cell_code(&socket_address(&p.address, p.port));
                let (result, times) = (text(&p.result.describe()), p.count.to_string());
                vec![p.protocol.as_str().into(), format!("{host}{peer}"), result, times, by(p.pid, p.process, p.exec)]
            });
            table(o, &["Protocol", "Peer", "Result", "Times", "By"], rows, n.outbound.left_out);
        }
        if !n.listening.is_empty() {
            let _ = writeln!(o, "\nListening:\n");
            let rows = n.listening.shown.iter().map(|l| {
                let every = if l.wildcard { "**yes**" } else { "no" };
                let address = cell_code(&socket_address(&l.address, l.port));
                vec![l.protocol.as_str().into(), address, every.into(), by(l.pid, l.process, l.exec)]
            });
            table(o, &["Protocol", "Address", "Every interface", "By"], rows, n.listening.left_out);
        }
        if !n.lookups.is_empty() {
            let _ = writeln!(o, "\nDNS lookups:\n");
            let rows = n.lookups.shown.iter().map(|l| {
                let (name, server) = (cell_code(&l.name), cell_code(&l.server));
                vec![name, text(&lookup_answer(l)), server, l.count.to_string(), by(l.pid, l.process, l.exec)]
            });
            table(o, &["Name", "Answer", "Server", "Times", "By"], rows, n.lookups.left_out);
        }
        if !n.unix.is_empty() {
            let _ = writeln!(o, "\nUnix sockets:\n");
            let rows = n.unix.shown.iter().map(|u| {
                let role = match u.role {
                    UnixRole::Connected => "connected",
                    UnixRole::Bound => "bound",
                    UnixRole::Listening => "listening",
                };
                vec![cell_code(&u.path.escaped()), role.into(), u.count.to_string(), by(u.pid, u.process, u.exec)]
            });
            table(o, &["Path", "Role", "Times", "By"], rows, n.unix.left_out);
        }
    }

    /// One line when the engine was not read, one when nothing changed in it.
    fn docker(p: &mut Page, d: &Docker) {
        let o = &mut p.o;
        let _ = writeln!(o, "\n## Docker\n");
        match d {
            Docker::Unread(line) => {
                let _ = writeln!(o, "{}", text(line));
            }
            Docker::Read { host, lines } if lines.is_empty() => {
                let _ = writeln!(o, "No changes in the engine at {}.", code(&docker_lines::engine_text(host)));
            }
            Docker::Read { lines, .. } => {
                for line in &lines.shown {
                    let _ = writeln!(o, "- {}", code(line));
                }
                more(o, lines.left_out);
            }
        }
    }

    fn timeline(p: &mut Page, t: &Timeline) {
        let o = &mut p.o;
        let _ = writeln!(o, "\n## Timeline\n");
        let line = |e: &runglass_model::receipt::TimelineEntry| {
            let pid = e.pid.map(|p| format!("[{p}] ")).unwrap_or_default();
            // The receipt escaped the text already; a line break would still split the entry.
            let text = ByteString::from(e.text.as_str()).printable().replace('\n', "\\n");
            format!("{:>8} ms  {pid}{text}\n", e.at_ms)
        };
        let mut body = String::new();
        t.head.iter().for_each(|e| body.push_str(&line(e)));
        if t.left_out > 0 {
            let _ = writeln!(body, "... {} entries left out", t.left_out);
        }
        t.tail.iter().for_each(|e| body.push_str(&line(e)));
        let _ = write!(o, "{}", fenced("text", &body));
        if t.omitted > 0 {
            let _ = writeln!(o, "\nThe receipt itself left out {} entries.", t.omitted);
        }
    }

    fn output(p: &mut Page, out: &sections::Output) {
        let o = &mut p.o;
        let _ = writeln!(o, "\n## Output");
        if out.streams.is_empty() {
            let _ = writeln!(o, "\nNothing was captured.");
            return;
        }
        for &(name, s) in &out.streams {
            if s.bytes == 0 {
                let _ = writeln!(o, "\n### {name}: empty");
                continue;
            }
            match s.stored_bytes {
                Some(stored) => {
                    let _ = writeln!(
                        o,
                        "\n### {name}: {} bytes, the first {stored} of them in {}\n",
                        s.bytes,
                        code(&s.file)
                    );
                }
                None => {
                    let _ = writeln!(o, "\n### {name}: {} bytes, in {}\n", s.bytes, code(&s.file));
                }
            }
            let _ = write!(o, "{}", fenced("text", &s.head.printable()));
            if s.truncated {
                let left_out = s.bytes.saturating_sub((s.head.as_bytes().len() + s.tail.as_bytes().len()) as u64);
                let _ = writeln!(o, "\n... {left_out} bytes left out ...\n");
                let _ = write!(o, "{}", fenced("text", &s.tail.printable()));
            }
        }
    }

    fn observation(p: &mut Page, seen: &Observation) {
        let o = &mut p.o;
        let _ = writeln!(o, "\n## Coverage and limits\n");
        let rows = seen.coverage.iter().map(|[aspect, source, confidence, note]| {
            vec![aspect.clone(), source.clone(), confidence.clone(), text(note)]
        });
        table(o, &["Aspect", "Seen by", "Confidence", "Note"], rows, 0);
        let s = &p.r.files.snapshot;
        let _ = writeln!(
            o,
            "\nSnapshots: {} entries before, {} after; {} bytes hashed; files over {} bytes compared by size and \
             time only; {} entries ignored ({}).",
            s.entries_before,
            s.entries_after,
            s.bytes_hashed,
            s.cap_bytes,
            s.ignored,
            text(&s.ignore_sources.join(", "))
        );
        if !seen.capped.is_empty() {
            let _ = writeln!(o, "\nOver the snapshot cap:\n");
            for p in &seen.capped.shown {
                let _ = writeln!(o, "- {}", code(&p.escaped()));
            }
            more(o, seen.capped.left_out);
        }
        if !seen.unreadable.is_empty() {
            let _ = writeln!(o, "\nCould not be read:\n");
            for u in &seen.unreadable.shown {
                let _ = writeln!(o, "- {}: {}", code(&u.path.escaped()), text(&u.error));
            }
            more(o, seen.unreadable.left_out);
        }
        if !seen.limits.is_empty() {
            let _ = writeln!(o, "\nLimits:\n");
            for l in seen.limits {
                let _ = writeln!(o, "- {}", text(l));
            }
        }
        if !seen.artifacts.is_empty() {
            let names: Vec<String> = seen.artifacts.iter().map(|a| code(a)).collect();
            let _ = writeln!(o, "\nFiles of the receipt: {}.", names.join(", "));
        }
    }
}

/// Command lines in tables are cut to this many characters.
const SHORT_COMMAND: usize = MARKDOWN.command;

fn change_table(p: &mut Page, changes: &Cut<&FileChange>) {
    let (o, r) = (&mut p.o, p.r);
    o.push('\n');
    let rows = changes.shown.iter().map(|c| {
        let by = actors(r, c.ended_by(), c.by.len());
        vec![cell_code(&c.path.escaped()), c.change.as_str().into(), change_details(c), by]
    });
    table(o, &["Path", "Change", "Details", "By"], rows, changes.left_out);
}

/// A table: its header, a row of cells (each already escaped for a cell) per item, and
/// what was left out under it.
fn table(o: &mut String, columns: &[&str], rows: impl Iterator<Item = Vec<String>>, left_out: usize) {
    let _ = writeln!(o, "| {} |\n|{}", columns.join(" | "), "---|".repeat(columns.len()));
    for cells in rows {
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    more(o, left_out);
}

/// What a file table row says about the content: the diff's size, or why there is none.
fn change_details(c: &FileChange) -> String {
    let kind = |s: &Option<FileState>| s.as_ref().map(|s| s.kind);
    let mut parts = Vec::new();
    match (&c.diff, c.change) {
        (Diff::Text { added, removed, truncated, .. }, _) => {
            parts.push(format!("+{added} -{removed}"));
            if *truncated {
                parts.push("diff cut short".into());
            }
        }
        (Diff::Binary, _) => parts.push("binary".into()),
        (Diff::Capped, _) => parts.push("over the snapshot cap".into()),
        (Diff::Unavailable { reason }, _) => parts.push(format!("content unavailable: {}", text(reason))),
        (Diff::None, ChangeKind::TypeChanged) => {
            parts.push(format!("{} -> {}", kind_name(kind(&c.before)), kind_name(kind(&c.after))));
        }
        (Diff::None, _) => match kind(&c.after).or(kind(&c.before)) {
            Some(FileKind::Dir) => parts.push("directory".into()),
            Some(FileKind::Symlink) => {
                let target = c.after.as_ref().or(c.before.as_ref()).and_then(|s| s.target.as_ref());
                parts.push(format!("symlink to {}", target.map_or_else(|| "?".into(), |t| cell_code(&t.escaped()))));
            }
            Some(FileKind::File) if c.content_changed => parts.push("empty file".into()),
            Some(FileKind::Other) => parts.push("special file".into()),
            _ => {}
        },
    }
    parts.extend(metadata_changes(c).into_iter().map(|m| text(&m)));
    parts.join(", ")
}

fn kind_name(k: Option<FileKind>) -> &'static str {
    match k {
        Some(FileKind::File) => "file",
        Some(FileKind::Dir) => "directory",
        Some(FileKind::Symlink) => "symlink",
        Some(FileKind::Other) => "special file",
        None => "nothing",
    }
}

/// The process that left the path as it ended (`shown`) and how many others acted, for a
/// table cell.
fn actors(r: &Receipt, shown: Option<&Actor>, count: usize) -> String {
    let Some(last) = shown else {
        return String::new();
    };
    let others = match count {
        0 | 1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    let command = short_command(r.command_of(last.process, last.exec), SHORT_COMMAND);
    format!("{} {} ({}){others}", last.pid, cell_code(&command), last.action.as_str())
}

/// `... N more in the receipt.` under a cut list.
fn more(o: &mut String, left_out: usize) {
    if left_out > 0 {
        let _ = writeln!(o, "\n... {left_out} more in the receipt.");
    }
}
