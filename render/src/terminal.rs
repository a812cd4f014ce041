//! The receipt as a terminal report (`runglass report`): the facts first, then the
//! risks, files, the tree of executed commands, network and output.
//!
//! Everything from the command is shown through `escaped`/`shell_word`, so a file name
//! holding escape sequences cannot repaint the reader's terminal.
//!
//! Which sections, in which order, with which cuts, comes from `scaffold.rs`; this
//! file only says how each looks.

use std::fmt::Write;

use runglass_model::ByteString;
use runglass_model::receipt::{Actor, ChangeKind, Diff, FileChange, FileRead, Receipt, UnixRole};

use crate::git_lines;
use crate::scaffold::{self, Layout, Page};
use crate::shape::{Shape, TERMINAL};
use crate::sections::{self, Cut, Docker, Files, Git, Network, NotCounted, Observation, Outside, Processes, Risk};
use crate::text::{
    ci_build, ci_run_url, duration, lookup_answer, metadata_changes, named_peer, outside_after, outside_before,
    outside_metadata_changes, short_command, socket_address,
};

/// Command lines are cut to this many characters.
const SHORT_COMMAND: usize = TERMINAL.command;

pub fn report(r: &Receipt) -> String {
    scaffold::render::<Terminal>(r)
}

struct Terminal;

impl Layout for Terminal {
    const SHAPE: &'static Shape = &TERMINAL;

    fn head(p: &mut Page) {
        let (o, r) = (&mut p.o, p.r);
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
    }

    fn risk(p: &mut Page, risk: &Risk) {
        let o = &mut p.o;
        if risk.notes.is_empty() {
            let _ = writeln!(o, "\nRisk: none noted");
            return;
        }
        let _ = writeln!(o, "\nRisk: {}", risk.level);
        for n in &risk.notes.shown {
            let _ = writeln!(o, "  [{}] {}: {}", n.note.severity.as_str(), shown(&n.note.title), shown(&n.note.detail));
            for e in &n.evidence.shown {
                let _ = writeln!(o, "      {}", shown(e));
            }
            if n.evidence.left_out > 0 {
                let _ = writeln!(o, "      ... {} more in the receipt", n.evidence.left_out);
            }
            let _ = writeln!(o, "      -> {}", shown(&n.note.recommendation));
        }
    }

    fn files(p: &mut Page, f: &Files) {
        let _ = writeln!(p.o, "\nFiles: {}", f.kinds);
        for c in &f.walked.shown {
            change_line(p, c, "  ");
        }
        more(&mut p.o, f.walked.left_out);
        if !f.skipped.is_empty() {
            let _ = writeln!(p.o, "  Seen by the trace in directories the snapshots skip:");
            for group in &f.skipped {
                let _ = writeln!(p.o, "    {}/: {}", group.dir.shell_word(), group.kinds);
                for c in &group.changes.shown {
                    change_line(p, c, "      ");
                }
                if group.changes.left_out > 0 {
                    let _ = writeln!(p.o, "      ... {} more in the receipt", group.changes.left_out);
                }
            }
        }
    }

    fn outside(p: &mut Page, outside: &Outside) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(o, "\nOutside the working directory: {}", outside.kinds);
        for c in &outside.changes.shown {
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
        more(o, outside.changes.left_out);
    }

    fn not_counted(p: &mut Page, n: &NotCounted) {
        let mut folded = Vec::new();
        if !n.transient.is_empty() {
            folded.push(format!("{} path(s) made and removed again", n.transient.total()));
        }
        if n.unchanged > 0 {
            folded.push(format!("{} opened for writing and left as they were", n.unchanged));
        }
        let _ = writeln!(p.o, "  Not counted: {} (listed in the receipt's JSON and page)", folded.join("; "));
    }

    fn reads(p: &mut Page, reads: &Cut<&FileRead>) {
        let o = &mut p.o;
        let _ = writeln!(o, "\nFiles read: {}", reads.total());
        for f in &reads.shown {
            let hash = f.blake3.as_deref().map(|h| h.get(..16).unwrap_or(h)).unwrap_or("-");
            let _ = writeln!(o, "  {hash}  {}", f.path.shell_word());
        }
        more(o, reads.left_out);
    }

    /// What the command did in git: commits, branches and tags, configuration. Nothing when
    /// git shows no change line by line.
    fn git(p: &mut Page, git: &Git) {
        let o = &mut p.o;
        if git.lines.is_empty() {
            return;
        }
        let what = git_lines::summary(git.info).unwrap_or_else(|| "nothing changed".into());
        let _ = writeln!(o, "\nGit: {what}");
        for l in &git.lines.shown {
            let _ = writeln!(o, "  {l}");
        }
        more(o, git.lines.left_out);
    }

    /// The process tree, each process under its parent, with what it ran and how it ended.
    fn processes(p: &mut Page, procs: &Processes) {
        let o = &mut p.o;
        let _ = writeln!(o, "\nExecuted commands: {} process(es)", procs.count);
        for line in &procs.tree.shown {
            let _ = writeln!(o, "  {line}");
        }
        more(o, procs.tree.left_out);
    }

    fn network(p: &mut Page, n: &Network) {
        let (o, r) = (&mut p.o, p.r);
        if n.is_empty() {
            return;
        }
        let _ = writeln!(o, "\nNetwork");
        if !n.probes.is_empty() {
            let shown: Vec<String> = n.probes.shown.iter().map(|p| socket_address(&p.address, p.port)).collect();
            let more = if n.probes.left_out > 0 { format!(", ... {} more", n.probes.left_out) } else { String::new() };
            let _ = writeln!(
                o,
                "  address probes, not counted as peers (UDP connects with no datagram seen): {}{more}",
                shown.join(", ")
            );
        }
        let by =
            |pid, process, exec| format!("by {pid} ({})", short_command(r.command_of(process, exec), SHORT_COMMAND));
        for p in &n.outbound.shown {
            let result = shown(&p.result.describe());
            let times = if p.count > 1 { format!(" x{}", p.count) } else { String::new() };
            let by = by(p.pid, p.process, p.exec);
            let _ = writeln!(o, "  -> {} {} {result}{times}  {by}", p.protocol.as_str(), shown(&named_peer(p)));
        }
        more(o, n.outbound.left_out);
        for l in &n.lookups.shown {
            let by = by(l.pid, l.process, l.exec);
            let _ = writeln!(o, "  ?  looked up {}: {}  {by}", shown(&l.name), shown(&lookup_answer(l)));
        }
        more(o, n.lookups.left_out);
        for l in &n.listening.shown {
            let every = if l.wildcard { " (every interface)" } else { "" };
            let by = by(l.pid, l.process, l.exec);
            let _ = writeln!(o, "  <- listening {} {}:{}{every}  {by}", l.protocol.as_str(), l.address, l.port);
        }
        more(o, n.listening.left_out);
        for u in &n.unix.shown {
            let role = match u.role {
                UnixRole::Connected => "connected to",
                UnixRole::Bound => "bound",
                UnixRole::Listening => "listening on",
            };
            let _ = writeln!(o, "  unix {role} {}  {}", u.path.shell_word(), by(u.pid, u.process, u.exec));
        }
        more(o, n.unix.left_out);
    }

    /// Nothing when the engine was read and nothing changed, one line when it was not read.
    fn docker(p: &mut Page, d: &Docker) {
        let o = &mut p.o;
        match d {
            Docker::Unread(line) => {
                let _ = writeln!(o, "\nDocker    {line}");
            }
            Docker::Read { lines, .. } if lines.is_empty() => {}
            Docker::Read { lines, .. } => {
                let _ = writeln!(o, "\nDocker");
                for line in &lines.shown {
                    let _ = writeln!(o, "  {line}");
                }
                more(o, lines.left_out);
            }
        }
    }

    fn output(p: &mut Page, out: &sections::Output) {
        let o = &mut p.o;
        for &(name, s) in out.streams.iter().filter(|(_, s)| s.bytes > 0) {
            match s.stored_bytes {
                Some(stored) => {
                    let _ =
                        writeln!(o, "\nOutput ({name}): {} bytes, the first {stored} of them in {}", s.bytes, s.file);
                }
                None => {
                    let _ = writeln!(o, "\nOutput ({name}): {} bytes, in {}", s.bytes, s.file);
                }
            }
            let (lines, earlier) = sections::last_lines(s, TERMINAL.output_lines);
            if earlier {
                let _ = writeln!(o, "  (last lines)");
            }
            for line in &lines {
                let _ = writeln!(o, "  | {line}");
            }
        }
    }

    fn observation(p: &mut Page, seen: &Observation) {
        let o = &mut p.o;
        let _ = writeln!(o, "\nSeen");
        for [aspect, source, confidence, note] in &seen.coverage {
            let _ = writeln!(o, "  {aspect:<14} {source}, {confidence}: {note}");
        }
        if !seen.limits.is_empty() {
            let _ = writeln!(o, "Limits");
            for l in seen.limits {
                let _ = writeln!(o, "  - {l}");
            }
        }
    }
}

/// One change inside the root: what happened, the diff's size or the metadata that
/// changed, and who left it so.
fn change_line(p: &mut Page, c: &FileChange, indent: &str) {
    let detail = match &c.diff {
        Diff::Text { added, removed, .. } => format!(" (+{added} -{removed})"),
        Diff::Binary => " (binary)".into(),
        Diff::Capped => " (over the snapshot cap)".into(),
        _ => String::new(),
    };
    let metadata = metadata_changes(c);
    let metadata = if metadata.is_empty() { String::new() } else { format!(" ({})", metadata.join(", ")) };
    let by = ended_by(p.r, c.ended_by());
    let _ = writeln!(
        p.o,
        "{indent}{} {:<9} {}{detail}{metadata}{by}",
        mark(c.change),
        c.change.as_str(),
        c.path.shell_word()
    );
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

/// `  by PID (command)` for the process that left a path as it ended.
fn ended_by(r: &Receipt, actor: Option<&Actor>) -> String {
    actor
        .map(|a| format!("  by {} ({})", a.pid, short_command(r.command_of(a.process, a.exec), SHORT_COMMAND)))
        .unwrap_or_default()
}

/// `  ... N more in the receipt` under a cut list.
fn more(o: &mut String, left_out: usize) {
    if left_out > 0 {
        let _ = writeln!(o, "  ... {left_out} more in the receipt");
    }
}

/// Text that holds names from the command (risk notes, messages, git's names): control
/// characters shown escaped, so it cannot repaint the reader's terminal.
fn shown(text: &str) -> String {
    ByteString::from(text).printable()
}
