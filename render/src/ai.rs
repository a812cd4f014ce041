//! The `ai` summary: a deterministic plain-text block to paste back into a coding agent.
//! Short, factual, the same receipt always gives the same bytes; when the command
//! failed, it carries the end of the failing output.
//!
//! Which sections, in which order, with which cuts, comes from `scaffold.rs`; this
//! file only says how each looks.

use std::collections::BTreeSet;
use std::fmt::Write;

use runglass_model::command_line;
use runglass_model::receipt::{Diff, Receipt};

use crate::git_lines;
use crate::scaffold::{self, Layout, Page};
use crate::shape::{AI, Shape};
use crate::sections::{self, Docker, Files, Git, Network, NotCounted, Outside, Processes, Risk};
use crate::text::{ci_build, ci_run_url, duration, lookup_answer, metadata_changes, named_peer, outcome};

/// Each line of failing output cut to its last this many characters: a progress bar
/// redrawn with `\r` is one line, and what it showed last is at its end.
const FAILING_LINE_CHARS: usize = 200;

pub fn summary(r: &Receipt) -> String {
    scaffold::render::<Ai>(r)
}

struct Ai;

impl Layout for Ai {
    const SHAPE: &'static Shape = &AI;

    fn head(p: &mut Page) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(o, "runglass receipt {}", r.id);
        let _ = writeln!(o, "command: {}", r.command.display);
        let _ = writeln!(o, "cwd: {}", r.command.cwd.escaped());
        let _ = writeln!(
            o,
            "status: {}, {}, {} mode",
            outcome(&r.outcome),
            duration(r.timing.duration_ms),
            r.mode.as_str()
        );
        if let Some(msg) = &r.outcome.message {
            let _ = writeln!(o, "message: {msg}");
        }
        if let Some(ci) = &r.ci {
            let run = ci_run_url(ci).map(|u| format!(" ({u})")).unwrap_or_default();
            let _ = writeln!(o, "ci: {}{run}", ci_build(ci));
        }
    }

    /// The level, and each note with its first piece of evidence (or its detail).
    fn risk(p: &mut Page, risk: &Risk) {
        let _ = writeln!(p.o, "risk: {}", risk.level);
        for n in &risk.notes.shown {
            let fact = n.evidence.shown.first().copied().unwrap_or(&n.note.detail);
            let _ = writeln!(p.o, "- [{}] {}: {fact}", n.note.severity.as_str(), n.note.title);
        }
    }

    /// Every counted change in one list, a skipped directory named on its line.
    fn files(p: &mut Page, f: &Files) {
        let o = &mut p.o;
        let _ = writeln!(o, "files changed: {}", f.all.total());
        for c in &f.all.shown {
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
        if f.all.left_out > 0 {
            let _ = writeln!(o, "- ... {} more", f.all.left_out);
        }
    }

    fn outside(p: &mut Page, outside: &Outside) {
        let _ = writeln!(p.o, "changed outside the working directory: {}", outside.changes.total());
        for c in &outside.changes.shown {
            let _ = writeln!(p.o, "- {} {}", c.change.as_str(), c.path.shell_word());
        }
        if outside.changes.left_out > 0 {
            let _ = writeln!(p.o, "- ... {} more", outside.changes.left_out);
        }
    }

    /// The transient paths only.
    fn not_counted(p: &mut Page, n: &NotCounted) {
        if !n.transient.is_empty() {
            let _ = writeln!(p.o, "made and removed again (not changes): {}", n.transient.total());
        }
    }

    /// HEAD before and after, whether or not anything changed, then the changes and how to
    /// undo them in git.
    fn git(p: &mut Page, git: &Git) {
        let (o, g) = (&mut p.o, git.info);
        let after = git_lines::head_after(g).map(|h| format!(" -> {h}")).unwrap_or_default();
        let how = git_lines::head_move(g).map(|m| format!(" ({m})")).unwrap_or_default();
        let _ = writeln!(o, "git: {}{after}{how}", git_lines::head_before(g));
        for line in &git.lines.shown {
            let _ = writeln!(o, "- {line}");
        }
        if git.lines.left_out > 0 {
            let _ = writeln!(o, "- ... {} more", git.lines.left_out);
        }
        let commands = git_lines::undo_commands(g);
        if !commands.is_empty() {
            let _ = writeln!(o, "not undone by runglass revert; to undo in git: {}", commands.join("; "));
        }
    }

    fn processes(p: &mut Page, procs: &Processes) {
        let _ = writeln!(p.o, "processes: {}", procs.count);
    }

    /// Listening ports, then peers and lookups sorted and without repeats (the same peer is
    /// listed once per process in the receipt).
    fn network(p: &mut Page, n: &Network) {
        let (o, r) = (&mut p.o, p.r);
        for p in &n.listening.shown {
            let command = command_line(r.command_of(p.process, p.exec));
            let _ = writeln!(o, "listening: {} {}:{} ({command})", p.protocol.as_str(), p.address, p.port);
        }
        let peers: BTreeSet<String> = n.outbound.shown.iter().map(|p| named_peer(p)).collect();
        if !peers.is_empty() {
            let _ = writeln!(o, "connected to: {}", peers.into_iter().collect::<Vec<_>>().join(", "));
        }
        let lookups: BTreeSet<String> =
            n.lookups.shown.iter().map(|l| format!("{} ({})", l.name, lookup_answer(l))).collect();
        if !lookups.is_empty() {
            let _ = writeln!(o, "looked up: {}", lookups.into_iter().collect::<Vec<_>>().join(", "));
        }
    }

    fn docker(p: &mut Page, d: &Docker) {
        let o = &mut p.o;
        match d {
            Docker::Unread(line) => {
                let _ = writeln!(o, "docker: {line}");
            }
            Docker::Read { lines, .. } => {
                let _ = writeln!(o, "docker changes: {}", lines.total());
                for line in &lines.shown {
                    let _ = writeln!(o, "- {line}");
                }
                if lines.left_out > 0 {
                    let _ = writeln!(o, "- ... {} more", lines.left_out);
                }
            }
        }
    }

    /// When the command did not complete, the last lines it wrote where failures go.
    fn output(p: &mut Page, out: &sections::Output) {
        let Some(s) = out.failing else { return };
        let (lines, _) = sections::last_lines(s, AI.output_lines);
        let _ = writeln!(p.o, "last output ({}):", s.file);
        for l in &lines {
            let chars = l.chars().count();
            if chars > FAILING_LINE_CHARS {
                let end: String = l.chars().skip(chars - FAILING_LINE_CHARS).collect();
                let _ = writeln!(p.o, "  ...{end}");
            } else {
                let _ = writeln!(p.o, "  {l}");
            }
        }
    }
}
