//! The receipt as a terminal report (`runglass report`): the facts first, then the
//! risks, files, the tree of executed commands, network and output.
//!
//! Everything from the command is shown through `escaped`/`shell_word`, so a file name
//! holding escape sequences cannot repaint the reader's terminal.

use std::fmt::Write;

use runglass_model::ByteString;
use runglass_model::receipt::{Actor, ChangeKind, Diff, FileChange, Receipt, UnixRole};

use crate::text::{
    ci_build, ci_run_url, duration, kind_counts, lookup_answer, metadata_changes, named_peer, outside_after,
    outside_before, outside_metadata_changes, short_command, socket_address,
};
use crate::{docker_lines, git_lines, process_tree};

/// At most this many rows per list; the receipt has the rest.
const MAX_ROWS: usize = 50;
/// At most this many rows per skipped directory (a `node_modules` can hold thousands).
const MAX_GROUP_ROWS: usize = 10;
/// Command lines are cut to this many characters.
const SHORT_COMMAND: usize = 60;

pub fn report(r: &Receipt) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "runglass receipt {}", r.id);
    let _ = writeln!(o, "  command   {}", r.command.display);
    let _ = writeln!(o, "  cwd       {}", r.command.cwd.escaped());
    let exit = r.outcome.exit.map(|e| format!(" ({e})")).unwrap_or_default();
    let _ = writeln!(
        o,
        "  status    {}{exit} · {} · {} mode · risk {}",
        r.outcome.status.as_str(),
        duration(r.timing.duration_ms),
        r.mode.as_str(),
        r.risk.level.as_str()
    );
    if let Some(msg) = &r.outcome.message {
        let _ = writeln!(o, "            {}", shown(msg));
    }
    let _ = writeln!(o, "  started   {}", r.timing.started_at);
    if let Some(g) = &r.git {
        let dirty = if g.dirty_before { ", dirty before" } else { "" };
        let _ = writeln!(o, "  git       {}{dirty}", git_lines::head_before(g));
        if let Some(after) = git_lines::head_after(g) {
            let how = git_lines::head_move(g).map(|m| format!(" ({m})")).unwrap_or_default();
            let _ = writeln!(o, "            -> {after}{how}");
        }
    }
    if let Some(ci) = &r.ci {
        let run = ci_run_url(ci).map(|u| format!(" · {u}")).unwrap_or_default();
        let _ = writeln!(o, "  ci        {}{run}", ci_build(ci));
    }

    risks(o, r);
    files(o, r);
    git(o, r);
    processes(o, r);
    network(o, r);
    docker(o, r);
    output(o, r);
    seen(o, r);
    out
}

fn risks(o: &mut String, r: &Receipt) {
    if r.risk.notes.is_empty() {
        let _ = writeln!(o, "\nRisk: none noted");
        return;
    }
    let _ = writeln!(o, "\nRisk: {}", r.risk.level.as_str());
    for n in &r.risk.notes {
        let _ = writeln!(o, "  [{}] {}: {}", n.severity.as_str(), shown(&n.title), shown(&n.detail));
        for e in n.evidence.iter().take(5) {
            let _ = writeln!(o, "      {}", shown(e));
        }
        let _ = writeln!(o, "      -> {}", shown(&n.recommendation));
    }
}

fn files(o: &mut String, r: &Receipt) {
    let f = &r.files;
    let _ = writeln!(o, "\nFiles: {}", kind_counts(f.counted_changes().map(|c| c.change)));
    let (walked, skipped): (Vec<_>, Vec<_>) = f.counted_changes().partition(|c| c.skipped_dir.is_none());
    for c in walked.iter().take(MAX_ROWS) {
        change_line(o, r, c, "  ");
    }
    more(o, walked.len());
    if !skipped.is_empty() {
        let _ = writeln!(o, "  Seen by the trace in directories the snapshots skip:");
        for (dir, changes) in f.skipped_groups() {
            let _ = writeln!(o, "    {}/: {}", dir.shell_word(), kind_counts(changes.iter().map(|c| c.change)));
            for c in changes.iter().take(MAX_GROUP_ROWS) {
                change_line(o, r, c, "      ");
            }
            if changes.len() > MAX_GROUP_ROWS {
                let _ = writeln!(o, "      ... {} more in the receipt", changes.len() - MAX_GROUP_ROWS);
            }
        }
    }
    let outside: Vec<_> = f.counted_outside().collect();
    if !outside.is_empty() {
        let _ = writeln!(o, "\nOutside the working directory: {}", kind_counts(outside.iter().map(|c| c.change)));
        for c in outside.iter().take(MAX_ROWS) {
            let actions: Vec<&str> = c.by.iter().map(|a| a.action.as_str()).collect();
            let by = ended_by(r, c.ended_by());
            let states = format!("{} -> {}", outside_before(c), outside_after(c));
            let metadata = outside_metadata_changes(c);
            let metadata = if metadata.is_empty() { String::new() } else { format!("; {}", metadata.join(", ")) };
            let _ = writeln!(
                o,
                "  {} {} ({}; {states}{metadata}){by}",
                mark(c.change),
                c.path.shell_word(),
                actions.join(", ")
            );
        }
        more(o, outside.len());
    }
    let unchanged = f.changes.len() + f.outside.len() - f.changed_count();
    if !f.transient.is_empty() || unchanged > 0 {
        let mut folded = Vec::new();
        if !f.transient.is_empty() {
            folded.push(format!("{} path(s) made and removed again", f.transient.len()));
        }
        if unchanged > 0 {
            folded.push(format!("{unchanged} opened for writing and left as they were"));
        }
        let _ = writeln!(o, "  Not counted: {} (listed in the receipt's JSON and page)", folded.join("; "));
    }
    if !r.files.reads.is_empty() {
        let _ = writeln!(o, "\nFiles read: {}", r.files.reads.len());
        for f in r.files.reads.iter().take(10) {
            let hash = f.blake3.as_deref().map(|h| h.get(..16).unwrap_or(h)).unwrap_or("-");
            let _ = writeln!(o, "  {hash}  {}", f.path.shell_word());
        }
        if r.files.reads.len() > 10 {
            let _ = writeln!(o, "  ... {} more in the receipt", r.files.reads.len() - 10);
        }
    }
}

fn mark(change: ChangeKind) -> char {
    match change {
        ChangeKind::Created => '+',
        ChangeKind::Modified => '~',
        ChangeKind::Deleted => '-',
        ChangeKind::TypeChanged => '!',
        ChangeKind::Unchanged => '=',
    }
}

/// One change inside the root: what happened, the diff's size or the metadata that changed,
/// and who left it so.
fn change_line(o: &mut String, r: &Receipt, c: &FileChange, indent: &str) {
    let detail = match &c.diff {
        Diff::Text { added, removed, .. } => format!(" (+{added} -{removed})"),
        Diff::Binary => " (binary)".into(),
        Diff::Capped => " (over the snapshot cap)".into(),
        _ => String::new(),
    };
    let metadata = metadata_changes(c);
    let metadata = if metadata.is_empty() { String::new() } else { format!(" ({})", metadata.join(", ")) };
    let by = ended_by(r, c.ended_by());
    let _ = writeln!(
        o,
        "{indent}{} {:<9} {}{detail}{metadata}{by}",
        mark(c.change),
        c.change.as_str(),
        c.path.shell_word()
    );
}

/// `  by PID (command)` for the process that left a path as it ended.
fn ended_by(r: &Receipt, actor: Option<&Actor>) -> String {
    actor
        .map(|a| format!("  by {} ({})", a.pid, short_command(r.command_of(a.process, a.exec), SHORT_COMMAND)))
        .unwrap_or_default()
}

/// What the command did in git: commits, branches and tags, configuration.
fn git(o: &mut String, r: &Receipt) {
    let Some(g) = &r.git else { return };
    let lines = git_lines::lines(g);
    if lines.is_empty() {
        return;
    }
    let what = git_lines::summary(g).unwrap_or_else(|| "nothing changed".into());
    let _ = writeln!(o, "\nGit: {what}");
    for l in lines.iter().take(MAX_ROWS) {
        let _ = writeln!(o, "  {l}");
    }
    more(o, lines.len());
}

fn more(o: &mut String, total: usize) {
    if total > MAX_ROWS {
        let _ = writeln!(o, "  ... {} more in the receipt", total - MAX_ROWS);
    }
}

/// The process tree, each process under its parent, with what it ran and how it ended.
fn processes(o: &mut String, r: &Receipt) {
    let _ = writeln!(o, "\nExecuted commands: {} process(es)", r.processes.len());
    let (lines, left_out) = process_tree::text_lines(&r.processes, 4 * MAX_ROWS, SHORT_COMMAND);
    for line in lines {
        let _ = writeln!(o, "  {line}");
    }
    if left_out > 0 {
        let _ = writeln!(o, "  ... {left_out} more in the receipt");
    }
}

/// Nothing when the engine was read and nothing changed, one line when it was not read.
fn docker(o: &mut String, r: &Receipt) {
    let Some(d) = &r.docker else { return };
    if let Some(line) = docker_lines::unavailable(d) {
        let _ = writeln!(o, "\nDocker    {line}");
        return;
    }
    let lines = docker_lines::lines(d);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(o, "\nDocker");
    for line in lines.iter().take(docker_lines::MAX_LINES) {
        let _ = writeln!(o, "  {line}");
    }
    if lines.len() > docker_lines::MAX_LINES {
        let _ = writeln!(o, "  ... {} more in the receipt", lines.len() - docker_lines::MAX_LINES);
    }
}

fn network(o: &mut String, r: &Receipt) {
    let n = &r.network;
    if n.outbound.is_empty()
        && n.listening.is_empty()
        && n.unix.is_empty()
        && n.lookups.is_empty()
        && n.probes.is_empty()
    {
        return;
    }
    let _ = writeln!(o, "\nNetwork");
    if !n.probes.is_empty() {
        let shown: Vec<String> = n.probes.iter().take(5).map(|p| socket_address(&p.address, p.port)).collect();
        let more = if n.probes.len() > 5 { format!(", ... {} more", n.probes.len() - 5) } else { String::new() };
        let _ = writeln!(
            o,
            "  address probes, not counted as peers (UDP connects with no datagram seen): {}{more}",
            shown.join(", ")
        );
    }
    for p in n.outbound.iter().take(MAX_ROWS) {
        let result = shown(&p.result.describe());
        let times = if p.count > 1 { format!(" x{}", p.count) } else { String::new() };
        let _ = writeln!(
            o,
            "  -> {} {} {result}{times}  by {} ({})",
            p.protocol.as_str(),
            shown(&named_peer(p)),
            p.pid,
            short_command(r.command_of(p.process, p.exec), SHORT_COMMAND)
        );
    }
    for l in n.lookups.iter().take(MAX_ROWS) {
        let _ = writeln!(
            o,
            "  ?  looked up {}: {}  by {} ({})",
            shown(&l.name),
            shown(&lookup_answer(l)),
            l.pid,
            short_command(r.command_of(l.process, l.exec), SHORT_COMMAND)
        );
    }
    for l in n.listening.iter().take(MAX_ROWS) {
        let every = if l.wildcard { " (every interface)" } else { "" };
        let _ = writeln!(
            o,
            "  <- listening {} {}:{}{every}  by {} ({})",
            l.protocol.as_str(),
            l.address,
            l.port,
            l.pid,
            short_command(r.command_of(l.process, l.exec), SHORT_COMMAND)
        );
    }
    for u in n.unix.iter().take(MAX_ROWS) {
        let role = match u.role {
            UnixRole::Connected => "connected to",
            UnixRole::Bound => "bound",
            UnixRole::Listening => "listening on",
        };
        let command = short_command(r.command_of(u.process, u.exec), SHORT_COMMAND);
        let _ = writeln!(o, "  unix {role} {}  by {} ({command})", u.path.shell_word(), u.pid);
    }
}

fn output(o: &mut String, r: &Receipt) {
    let streams = [("stdout", &r.output.stdout), ("stderr", &r.output.stderr), ("terminal", &r.output.transcript)];
    for (name, stream) in streams {
        let Some(s) = stream.as_ref().filter(|s| s.bytes > 0) else { continue };
        match s.stored_bytes {
            Some(stored) => {
                let _ = writeln!(o, "\nOutput ({name}): {} bytes, the first {stored} of them in {}", s.bytes, s.file);
            }
            None => {
                let _ = writeln!(o, "\nOutput ({name}): {} bytes, in {}", s.bytes, s.file);
            }
        }
        let text = if s.truncated { s.tail.printable() } else { s.head.printable() };
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(10);
        if from > 0 || s.truncated {
            let _ = writeln!(o, "  (last lines)");
        }
        for line in &lines[from..] {
            let _ = writeln!(o, "  | {line}");
        }
    }
}

fn seen(o: &mut String, r: &Receipt) {
    let _ = writeln!(o, "\nSeen");
    // The receipt's own names for aspects, sources and confidences.
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().replace('_', " ");
    for c in &r.observation.coverage {
        let source = c.source.map_or_else(|| "not observed".into(), |s| name(serde_json::json!(s)));
        let aspect = name(serde_json::json!(c.aspect));
        let _ = writeln!(o, "  {aspect:<14} {source}, {}: {}", name(serde_json::json!(c.confidence)), c.note);
    }
    if !r.observation.limits.is_empty() {
        let _ = writeln!(o, "Limits");
        for l in &r.observation.limits {
            let _ = writeln!(o, "  - {l}");
        }
    }
}

/// Text that holds names from the command (risk notes, messages, git's names): control
/// characters shown escaped, so it cannot repaint the reader's terminal.
fn shown(text: &str) -> String {
    ByteString::from(text).printable()
}
