//! The full receipt as GitHub-flavoured Markdown (`receipt.md`): the facts, risk notes, files
//! with their diffs, outside changes, reads, the process tree, network, timeline, output
//! excerpts, and what was and was not seen.
//!
//! Everything from the command stays in code spans or fenced blocks (see [`escape`]), since
//! GitHub renders raw HTML; every list is bounded, so a run touching a million files still
//! gives a file one can open.

pub(crate) mod escape;

use std::fmt::Write;

use runglass_model::ByteString;
use runglass_model::receipt::{
    Actor, ChangeKind, Diff, FileChange, FileKind, FileState, NameSource, Receipt, Stream, UnixRole,
};

use crate::text::{
    ci_build, ci_run_url, duration, kind_counts, lookup_answer, metadata_changes, mode_change, outcome, outside_after,
    outside_before, outside_metadata_changes, short_command, socket_address,
};
use crate::{docker_lines, git_lines, process_tree};
use escape::{cell_code, code, fenced, html, text};

/// At most this many rows per table; the receipt has the rest.
const MAX_ROWS: usize = 100;
/// At most this many rows per directory the snapshots skip (a `node_modules` can hold thousands).
const MAX_GROUP_ROWS: usize = 20;
/// At most this many diffs inline.
const MAX_DIFFS: usize = 50;
/// At most this many processes in the tree.
const MAX_PROCESSES: usize = 200;
/// Timelines longer than this show their first and last entries only.
const TIMELINE_HEAD: usize = 100;
const TIMELINE_TAIL: usize = 50;
/// Git lines (commits, refs, configuration) shown.
const MAX_GIT_LINES: usize = 50;
/// Evidence lines shown per risk note.
const MAX_EVIDENCE: usize = 10;
/// Command lines in tables are cut to this many characters.
const SHORT_COMMAND: usize = 80;

pub fn receipt(r: &Receipt) -> String {
    let mut out = String::new();
    let o = &mut out;
    header(o, r);
    risks(o, r);
    files(o, r);
    diffs(o, r);
    outside(o, r);
    reads(o, r);
    git(o, r);
    processes(o, r);
    network(o, r);
    docker(o, r);
    timeline(o, r);
    output(o, r);
    coverage(o, r);
    out
}

fn header(o: &mut String, r: &Receipt) {
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
            let state = |dirty| if dirty { "uncommitted changes" } else { "clean" };
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

fn risks(o: &mut String, r: &Receipt) {
    if r.risk.notes.is_empty() {
        let _ = writeln!(o, "\n## Risk: none noted");
        return;
    }
    let _ = writeln!(o, "\n## Risk: {}\n", r.risk.level.as_str());
    for n in &r.risk.notes {
        let _ = writeln!(o, "- **{}** ({}). {}", text(&n.title), n.severity.as_str(), text(&n.detail));
        for e in n.evidence.iter().take(MAX_EVIDENCE) {
            let _ = writeln!(o, "  - {}", code(e));
        }
        if n.evidence.len() > MAX_EVIDENCE {
            let _ = writeln!(o, "  - ... {} more in the receipt", n.evidence.len() - MAX_EVIDENCE);
        }
        let _ = writeln!(o, "  - *Recommendation:* {}", text(&n.recommendation));
    }
}

fn files(o: &mut String, r: &Receipt) {
    let f = &r.files;
    let _ = writeln!(o, "\n## Files: {}\n", kind_counts(f.counted_changes().map(|c| c.change)));
    let _ = writeln!(o, "In {}.", code(&f.root.escaped()));
    let walked: Vec<&FileChange> = f.counted_changes().filter(|c| c.skipped_dir.is_none()).collect();
    if !walked.is_empty() {
        change_table(o, r, &walked, MAX_ROWS);
    }
    for (dir, changes) in f.skipped_groups() {
        let _ = writeln!(
            o,
            "\nIn {}, which the snapshots skip, the trace saw: {}.",
            code(&format!("{}/", dir.escaped())),
            kind_counts(changes.iter().map(|c| c.change))
        );
        change_table(o, r, &changes, MAX_GROUP_ROWS);
    }
    not_counted(o, r);
}

/// The paths runglass folds away instead of counting: made and removed within the run, or
/// opened for writing and left as they were.
fn not_counted(o: &mut String, r: &Receipt) {
    let f = &r.files;
    let unchanged = f.changes.len() + f.outside.len() - f.changed_count();
    if f.transient.is_empty() && unchanged == 0 {
        return;
    }
    let mut parts = Vec::new();
    if !f.transient.is_empty() {
        let examples: Vec<String> = f.transient.iter().take(3).map(|t| code(&t.path.escaped())).collect();
        parts.push(format!("{} path(s) made and removed again (e.g. {})", f.transient.len(), examples.join(", ")));
    }
    if unchanged > 0 {
        parts.push(format!("{unchanged} path(s) opened for writing and left as they were"));
    }
    let _ = writeln!(o, "\nNot counted as changes: {}; the receipt lists them.", parts.join("; "));
}

fn change_table(o: &mut String, r: &Receipt, changes: &[&FileChange], max: usize) {
    let _ = writeln!(o, "\n| Path | Change | Details | By |\n|---|---|---|---|");
    for c in changes.iter().take(max) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            cell_code(&c.path.escaped()),
            c.change.as_str(),
            change_details(c),
            actors(r, c.ended_by(), c.by.len())
        );
    }
    more(o, changes.len(), max);
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
    let Some(last) = shown else { return String::new() };
    let others = match count {
        0 | 1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    let command = short_command(r.command_of(last.process, last.exec), SHORT_COMMAND);
    format!("{} {} ({}){others}", last.pid, cell_code(&command), last.action.as_str())
}

fn more(o: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(o, "\n... {} more in the receipt.", total - shown);
    }
}

/// Each text diff in a collapsible block, its name in the summary line.
fn diffs(o: &mut String, r: &Receipt) {
    let texts: Vec<(&FileChange, &Diff)> = r
        .files
        .changes
        .iter()
        .filter(|c| matches!(&c.diff, Diff::Text { unified, .. } if !unified.is_empty()))
        .map(|c| (c, &c.diff))
        .collect();
    if texts.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n### Diffs");
    for &(c, diff) in texts.iter().take(MAX_DIFFS) {
        let Diff::Text { unified, added, removed, truncated } = diff else { continue };
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
    if texts.len() > MAX_DIFFS {
        let _ = writeln!(o, "\n... {} more diffs in the receipt.", texts.len() - MAX_DIFFS);
    }
}

fn outside(o: &mut String, r: &Receipt) {
    let outside: Vec<_> = r.files.counted_outside().collect();
    if outside.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Outside the working directory: {}\n", kind_counts(outside.iter().map(|c| c.change)));
    let _ = writeln!(o, "| Path | Change | What happened | Before | After | By |\n|---|---|---|---|---|---|");
    for c in outside.iter().take(MAX_ROWS) {
        let actions: Vec<&str> = c.by.iter().map(|a| a.action.as_str()).collect();
        let mut after = outside_after(c);
        for m in outside_metadata_changes(c) {
            after.push_str(&format!("; {m}"));
        }
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            cell_code(&c.path.escaped()),
            c.change.as_str(),
            actions.join(", "),
            text(&outside_before(c)),
            text(&after),
            actors(r, c.ended_by(), c.by.len())
        );
    }
    more(o, outside.len(), MAX_ROWS);
}

fn reads(o: &mut String, r: &Receipt) {
    if r.files.reads.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Files read: {}\n", r.files.reads.len());
    let _ = writeln!(o, "| Path | Size | BLAKE3 | By |\n|---|---|---|---|");
    for f in r.files.reads.iter().take(MAX_ROWS) {
        let size = f.size.map(|s| s.to_string()).unwrap_or_default();
        let hash = f.blake3.as_deref().map(|h| cell_code(h.get(..16).unwrap_or(h))).unwrap_or_default();
        let _ = writeln!(
            o,
            "| {} | {size} | {hash} | {} |",
            cell_code(&f.path.escaped()),
            actors(r, f.by.last(), f.by.len())
        );
    }
    more(o, r.files.reads.len(), MAX_ROWS);
}

/// The process tree in a code block, each process under its parent.
fn processes(o: &mut String, r: &Receipt) {
    let _ = writeln!(o, "\n## Processes: {}\n", r.processes.len());
    if r.processes.is_empty() {
        return;
    }
    let (lines, left_out) = process_tree::text_lines(&r.processes, MAX_PROCESSES, SHORT_COMMAND);
    let mut tree = lines.join("\n");
    tree.push('\n');
    if left_out > 0 {
        let _ = writeln!(tree, "... {left_out} more in the receipt");
    }
    let _ = write!(o, "{}", fenced("text", &tree));
}

/// Omitted for receipts that did not look at Docker; one line when the engine was not read.
/// What the command did in git, and the commands that undo what revert does not.
fn git(o: &mut String, r: &Receipt) {
    let Some(g) = &r.git else { return };
    let lines = git_lines::lines(g);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Git\n");
    if let Some(what) = git_lines::summary(g) {
        let _ = writeln!(o, "{}\n", text(&what));
    }
    for line in lines.iter().take(MAX_GIT_LINES) {
        let _ = writeln!(o, "- {}", code(line));
    }
    more(o, lines.len(), MAX_GIT_LINES);
    if let Some(note) = git_lines::revert_note(g, git_lines::reverts_git_refs(&r.files)) {
        let _ = writeln!(o, "\n{}\n", text(&note));
        let commands = git_lines::undo_commands(g);
        if !commands.is_empty() {
            let _ = write!(o, "{}", fenced("sh", &commands.join("\n")));
        }
    }
}

fn docker(o: &mut String, r: &Receipt) {
    let Some(d) = &r.docker else { return };
    let _ = writeln!(o, "\n## Docker\n");
    if let Some(line) = docker_lines::unavailable(d) {
        let _ = writeln!(o, "{}", text(&line));
        return;
    }
    let lines = docker_lines::lines(d);
    if lines.is_empty() {
        let _ = writeln!(o, "No changes in the engine at {}.", code(&docker_lines::engine_text(&d.host)));
        return;
    }
    for line in lines.iter().take(docker_lines::MAX_LINES) {
        let _ = writeln!(o, "- {}", code(line));
    }
    more(o, lines.len(), docker_lines::MAX_LINES);
}

fn network(o: &mut String, r: &Receipt) {
    let n = &r.network;
    let _ = writeln!(o, "\n## Network\n");
    if n.outbound.is_empty()
        && n.listening.is_empty()
        && n.unix.is_empty()
        && n.lookups.is_empty()
        && n.probes.is_empty()
    {
        let _ = writeln!(o, "None seen.");
        return;
    }
    if !n.probes.is_empty() {
        let shown: Vec<String> =
            n.probes.iter().take(5).map(|p| cell_code(&socket_address(&p.address, p.port))).collect();
        let more = if n.probes.len() > 5 { format!(", ... {} more", n.probes.len() - 5) } else { String::new() };
        let _ = writeln!(
            o,
            "Address probes, not counted as peers (UDP connects with no datagram seen): {}{more}\n",
            shown.join(", ")
        );
    }
    if !n.outbound.is_empty() {
        let _ = writeln!(o, "Outbound:\n\n| Protocol | Peer | Result | Times | By |\n|---|---|---|---|---|");
        for p in n.outbound.iter().take(MAX_ROWS) {
            let result = text(&p.result.describe());
            let host = match (&p.host, p.host_from) {
                (Some(h), Some(NameSource::Hosts)) => format!("{} (hosts file) ", cell_code(h)),
                (Some(h), _) => format!("{} ", cell_code(h)),
                (None, _) => String::new(),
            };
            let peer = cell_code(&socket_address(&p.address, p.port));
            let by = format!("{} {}", p.pid, cell_code(&short_command(r.command_of(p.process, p.exec), SHORT_COMMAND)));
            let _ = writeln!(o, "| {} | {host}{peer} | {result} | {} | {by} |", p.protocol.as_str(), p.count);
        }
        more(o, n.outbound.len(), MAX_ROWS);
    }
    if !n.listening.is_empty() {
        let _ = writeln!(o, "\nListening:\n\n| Protocol | Address | Every interface | By |\n|---|---|---|---|");
        for l in n.listening.iter().take(MAX_ROWS) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} {} |",
                l.protocol.as_str(),
                cell_code(&socket_address(&l.address, l.port)),
                if l.wildcard { "**yes**" } else { "no" },
                l.pid,
                cell_code(&short_command(r.command_of(l.process, l.exec), SHORT_COMMAND))
            );
        }
        more(o, n.listening.len(), MAX_ROWS);
    }
    if !n.lookups.is_empty() {
        let _ = writeln!(o, "\nDNS lookups:\n\n| Name | Answer | Server | Times | By |\n|---|---|---|---|---|");
        for l in n.lookups.iter().take(MAX_ROWS) {
            let by = format!("{} {}", l.pid, cell_code(&short_command(r.command_of(l.process, l.exec), SHORT_COMMAND)));
            let answer = lookup_answer(l);
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {by} |",
                cell_code(&l.name),
                text(&answer),
                cell_code(&l.server),
                l.count
            );
        }
        more(o, n.lookups.len(), MAX_ROWS);
    }
    if !n.unix.is_empty() {
        let _ = writeln!(o, "\nUnix sockets:\n\n| Path | Role | Times | By |\n|---|---|---|---|");
        for u in n.unix.iter().take(MAX_ROWS) {
            let role = match u.role {
                UnixRole::Connected => "connected",
                UnixRole::Bound => "bound",
                UnixRole::Listening => "listening",
            };
            let by = format!("{} {}", u.pid, cell_code(&short_command(r.command_of(u.process, u.exec), SHORT_COMMAND)));
            let _ = writeln!(o, "| {} | {role} | {} | {by} |", cell_code(&u.path.escaped()), u.count);
        }
        more(o, n.unix.len(), MAX_ROWS);
    }
}

fn timeline(o: &mut String, r: &Receipt) {
    let entries = &r.timeline.entries;
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Timeline\n");
    let line = |e: &runglass_model::receipt::TimelineEntry| {
        let pid = e.pid.map(|p| format!("[{p}] ")).unwrap_or_default();
        // The receipt escaped the text already; a line break would still split the entry.
        let text = ByteString::from(e.text.as_str()).printable().replace('\n', "\\n");
        format!("{:>8} ms  {pid}{text}\n", e.at_ms)
    };
    let mut body = String::new();
    if entries.len() > TIMELINE_HEAD + TIMELINE_TAIL {
        entries.iter().take(TIMELINE_HEAD).for_each(|e| body.push_str(&line(e)));
        let _ = writeln!(body, "... {} entries left out", entries.len() - TIMELINE_HEAD - TIMELINE_TAIL);
        entries[entries.len() - TIMELINE_TAIL..].iter().for_each(|e| body.push_str(&line(e)));
    } else {
        entries.iter().for_each(|e| body.push_str(&line(e)));
    }
    let _ = write!(o, "{}", fenced("text", &body));
    if r.timeline.omitted > 0 {
        let _ = writeln!(o, "\nThe receipt itself left out {} entries.", r.timeline.omitted);
    }
}

fn output(o: &mut String, r: &Receipt) {
    let streams = [("stdout", &r.output.stdout), ("stderr", &r.output.stderr), ("terminal", &r.output.transcript)];
    let present: Vec<(&str, &Stream)> = streams.into_iter().filter_map(|(n, s)| s.as_ref().map(|s| (n, s))).collect();
    let _ = writeln!(o, "\n## Output");
    if present.is_empty() {
        let _ = writeln!(o, "\nNothing was captured.");
        return;
    }
    for (name, s) in present {
        if s.bytes == 0 {
            let _ = writeln!(o, "\n### {name}: empty");
            continue;
        }
        match s.stored_bytes {
            Some(stored) => {
                let _ =
                    writeln!(o, "\n### {name}: {} bytes, the first {stored} of them in {}\n", s.bytes, code(&s.file));
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

fn coverage(o: &mut String, r: &Receipt) {
    let _ = writeln!(o, "\n## Coverage and limits\n");
    // The receipt's own names for aspects, sources and confidences.
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().replace('_', " ");
    let _ = writeln!(o, "| Aspect | Seen by | Confidence | Note |\n|---|---|---|---|");
    for c in &r.observation.coverage {
        let source = c.source.map_or_else(|| "not observed".into(), |s| name(serde_json::json!(s)));
        let _ = writeln!(
            o,
            "| {} | {source} | {} | {} |",
            name(serde_json::json!(c.aspect)),
            name(serde_json::json!(c.confidence)),
            text(&c.note)
        );
    }
    let s = &r.files.snapshot;
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
    if !s.capped.is_empty() {
        let _ = writeln!(o, "\nOver the snapshot cap:\n");
        for p in s.capped.iter().take(MAX_ROWS) {
            let _ = writeln!(o, "- {}", code(&p.escaped()));
        }
        more(o, s.capped.len(), MAX_ROWS);
    }
    if !s.unreadable.is_empty() {
        let _ = writeln!(o, "\nCould not be read:\n");
        for u in s.unreadable.iter().take(MAX_ROWS) {
            let _ = writeln!(o, "- {}: {}", code(&u.path.escaped()), text(&u.error));
        }
        more(o, s.unreadable.len(), MAX_ROWS);
    }
    if !r.observation.limits.is_empty() {
        let _ = writeln!(o, "\nLimits:\n");
        for l in &r.observation.limits {
            let _ = writeln!(o, "- {}", text(l));
        }
    }
    let artifacts = r.artifact_files();
    if !artifacts.is_empty() {
        let names: Vec<String> = artifacts.iter().map(|a| code(a)).collect();
        let _ = writeln!(o, "\nFiles of the receipt: {}.", names.join(", "));
    }
}
