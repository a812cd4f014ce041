//! The receipt in a few lines of Markdown for a pull-request comment: one status line, a
//! table of counts, the risk notes, and the few things a reviewer should look at first.
//!
//! Every part is bounded (names and evidence are cut, lists are capped), so the summary
//! stays under 4 KB on any receipt, far below GitHub's 65 536-character comment limit.
//! The same receipt always gives the same bytes.
//!
//! Which sections, in which order, with which cuts, comes from `scaffold.rs`; this
//! file only says how each looks.

use std::fmt::Write;

use runglass_model::ByteString;
use runglass_model::receipt::Receipt;

use crate::git_lines;
use crate::markdown::escape::{code, text};
use crate::review::{Item, What, Why};
use crate::scaffold::{self, Layout, Page};
use crate::shape::{SUMMARY, Shape};
use crate::sections::{Counts, Docker, Git, Risk};
use crate::text::{duration, outcome};

/// Names, evidence and titles are cut to this many bytes.
const MAX_TEXT: usize = 80;

pub fn summary(r: &Receipt) -> String {
    scaffold::render::<Summary>(r)
}

struct Summary;

impl Layout for Summary {
    const SHAPE: &'static Shape = &SUMMARY;

    fn head(p: &mut Page) {
        let (o, r) = (&mut p.o, p.r);
        let _ = writeln!(
            o,
            "**runglass:** **{}** · {} · {} mode · risk **{}**\n",
            text(&outcome(&r.outcome)),
            duration(r.timing.duration_ms),
            r.mode.as_str(),
            r.risk.level.as_str()
        );
        let _ = writeln!(o, "{}", code(&cut(&r.command.display)));
    }

    fn counts(p: &mut Page, c: &Counts) {
        let o = &mut p.o;
        let mut columns = vec![("Created", c.created), ("Modified", c.modified), ("Deleted", c.deleted)];
        if c.type_changed > 0 {
            columns.push(("Changed type", c.type_changed));
        }
        columns.extend([
            ("Outside cwd", c.outside),
            ("Processes", c.processes),
            ("Outbound hosts", c.hosts),
            ("Listening ports", c.ports),
        ]);
        let row = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
        let _ = writeln!(o, "\n{}", row(columns.iter().map(|(name, _)| name.to_string()).collect()));
        let _ = writeln!(o, "{}", row(columns.iter().map(|_| "---:".to_string()).collect()));
        let _ = writeln!(o, "{}", row(columns.iter().map(|(_, n)| n.to_string()).collect()));
        if !c.skipped.is_empty() {
            let lines: Vec<String> = c
                .skipped
                .iter()
                .map(|(dir, n)| format!("{}: {n}", code(&cut(&format!("{}/", dir.escaped())))))
                .collect();
            let _ = writeln!(
                o,
                "\nIn directories the snapshots skip (seen by the trace, counted above): {}",
                lines.join(", ")
            );
        }
    }

    /// Counts only, no name: short on any receipt. Nothing when the command changed
    /// nothing in git.
    fn git(p: &mut Page, git: &Git) {
        let g = git.info;
        if !git_lines::changed(g) {
            return;
        }
        let what = git_lines::summary(g).unwrap_or_default();
        let head = git_lines::head_move(g).map(|m| format!("; {}", text(&cut(&m)))).unwrap_or_default();
        let _ = writeln!(p.o, "\n**Git:** {}{head}", text(&what));
    }

    /// What the engine showed, or that it was not read.
    fn docker(p: &mut Page, d: &Docker) {
        match d {
            Docker::Unread(line) => {
                let _ = writeln!(p.o, "\n**Docker:** {}", text(line));
            }
            Docker::Read { lines, .. } => {
                let _ = writeln!(p.o, "\n**Docker changes:** {}", lines.total());
            }
        }
    }

    fn risk(p: &mut Page, risk: &Risk) {
        let o = &mut p.o;
        if risk.notes.is_empty() {
            let _ = writeln!(o, "\n**Risk notes:** none");
            return;
        }
        let _ = writeln!(o, "\n**Risk notes**\n");
        for n in &risk.notes.shown {
            let evidence = n.evidence.shown.first().map(|e| format!(": {}", code(&cut(e)))).unwrap_or_default();
            let _ = writeln!(o, "- **{}** {}{evidence}", n.note.severity.as_str(), text(&cut(&n.note.title)));
        }
        if risk.notes.left_out > 0 {
            let _ = writeln!(o, "- ... {} more in the receipt", risk.notes.left_out);
        }
    }

    fn review(p: &mut Page, items: &[Item]) {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(p.o, "\n**Review next**\n");
        for i in items {
            let shown = match i.what {
                What::Path(p) => code(&cut(&ByteString::from(p).escaped())),
                What::Evidence(e) => code(&cut(e)),
            };
            let why = match &i.why {
                Why::HighRisk(title) => format!("high risk, {}", text(&cut(title))),
                Why::Outside(actions) if actions.is_empty() => "outside the working directory".to_string(),
                Why::Outside(actions) => {
                    format!("outside the working directory ({})", actions.join(", "))
                }
                Why::Executable(why) => why.clone(),
                Why::Deleted => "deleted".to_string(),
                Why::Diff(change, added, removed) => {
                    format!("{} +{added} -{removed}", change.as_str())
                }
            };
            let _ = writeln!(p.o, "- {shown}: {why}");
        }
    }

    fn foot(p: &mut Page) {
        let r = p.r;
        let _ =
            writeln!(p.o, "\n<sub>Receipt {}, runglass {}</sub>", code(&cut(&r.id)), text(&cut(&r.runglass_version)));
    }
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
