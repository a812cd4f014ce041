//! `POST r/ID/revert`: undoing a receipt's file changes from the browser, in three
//! deliberate steps through the same [`Target`] as `runglass revert`, so the same rules
//! hold (the gate, confinement, the journal):
//!
//! ```text
//! POST revert             a preview of the chosen changes; touches nothing
//! POST revert?confirm=1   "about to revert N changes", asking once more
//! POST revert?apply=1     the apply, and what it did; or where it stopped, and the ways on
//! ```

use std::path::Path;

use runglass_model::ByteString;
use runglass_model::receipt::Receipt;
use runglass_render::html::{self, RevertChoice, RevertHead, RevertRow, RevertStop, Tone};
use tiny_http::ResponseBox;

use super::form::{self, RevertForm};
use super::headers::{HTML, TEXT, page, respond};
use crate::record::recover;
use crate::revert::apply::{Applied, Conflicts, Outcome, Stopped};
use crate::revert::error::RevertError;
use crate::revert::plan::{self, Change, Step, Verdict};
use crate::revert::target::Target;
use crate::store::lock;

/// Which step of a revert a request is, by its query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Preview,
    Confirm,
    Apply,
}

impl Stage {
    fn from_query(query: &str) -> Option<Stage> {
        match query {
            "" => Some(Stage::Preview),
            "confirm=1" => Some(Stage::Confirm),
            "apply=1" => Some(Stage::Apply),
            _ => None,
        }
    }
}

/// Answers a revert POST for receipt `id` (in `dir` of the store `data`).
pub fn answer(data: &Path, id: &str, dir: &Path, query: &str, form: RevertForm) -> anyhow::Result<ResponseBox> {
    let Some(stage) = Stage::from_query(query) else {
        return Ok(respond(
            400,
            TEXT,
            format!("unknown query {query:?}: expected none, confirm=1 or apply=1\n").into_bytes(),
        ));
    };
    if lock::in_progress(dir) {
        return Ok(page(409, "Still running", &format!("{id} is still running; revert it after it ends.")));
    }
    let receipt = recover::load_or_recover(data, dir)?;
    let target = Target::open(data, dir, receipt, form.outside)?;
    let chosen = |c: &Change| form.all || form.paths.iter().any(|p| p == c.path);
    match stage {
        Stage::Preview => preview(&target, &chosen, &form),
        Stage::Confirm => confirm(&target, &chosen, &form),
        Stage::Apply => apply(&target, &chosen, &form),
    }
}

fn head(r: &Receipt) -> RevertHead<'_> {
    RevertHead {
        id: &r.id,
        command: &r.command.display,
        root: &r.files.root,
        git: r.git.as_ref(),
        reverts_git_refs: runglass_render::git_lines::reverts_git_refs(&r.files),
    }
}

fn preview(target: &Target, chosen: &dyn Fn(&Change) -> bool, form: &RevertForm) -> anyhow::Result<ResponseBox> {
    let r = &target.receipt;
    let p = target.preview(chosen)?;
    let mut rows: Vec<RevertRow> = p.steps.iter().map(|s| step_row(s, true)).collect();
    let mut notes = Vec::new();
    if p.interrupted {
        notes.push("An earlier revert of this receipt was interrupted: reverting again finishes it.".to_string());
    }
    // Outside changes go with "all", as `runglass revert --include-outside` lists them.
    if form.all && form.outside {
        rows.extend(r.files.outside.iter().filter_map(|c| {
            plan::outside_unplanned(c).map(|why| RevertRow {
                path: c.path.clone(),
                action: "-".into(),
                note: why.to_string(),
                tone: Tone::Bad,
                pick: None,
            })
        }));
    }
    let unlisted = if form.all && !form.outside { r.files.outside.len() } else { 0 };
    let choice = RevertChoice { all: form.all, paths: form.paths.clone(), outside: form.outside };
    let body = html::revert_preview(&head(r), &rows, &notes, &choice, unlisted);
    Ok(respond(200, HTML, body.into_bytes()))
}

fn confirm(target: &Target, chosen: &dyn Fn(&Change) -> bool, form: &RevertForm) -> anyhow::Result<ResponseBox> {
    let r = &target.receipt;
    let steps = target.preview(chosen)?.steps;
    let rows: Vec<RevertRow> = steps.iter().map(|s| step_row(s, false)).collect();
    // The apply posts the paths this page names, even after a preview of "all", so that
    // what it reverts is exactly what the reader confirmed.
    let choice = RevertChoice { all: false, paths: steps.into_iter().map(|s| s.path).collect(), outside: form.outside };
    Ok(respond(200, HTML, html::revert_confirm(&head(r), &rows, &choice).into_bytes()))
}

fn apply(target: &Target, chosen: &dyn Fn(&Change) -> bool, form: &RevertForm) -> anyhow::Result<ResponseBox> {
    let r = &target.receipt;
    if target.changes(chosen).next().is_none() {
        return Ok(page(200, "Nothing to revert", "No change this receipt records was chosen."));
    }
    let choice = RevertChoice { all: form.all, paths: form.paths.clone(), outside: form.outside };
    let conflicts = form.conflicts.unwrap_or(Conflicts::Stop);
    let outcome = match target.apply(chosen, conflicts) {
        Err(e @ RevertError::Busy(_)) => return Ok(page(409, "Revert already running", &e.to_string())),
        other => other?,
    };
    let (status, body) = match outcome {
        Ok(done) => {
            let (rows, tally) = applied_rows(&done.applied);
            super::log(&format!("reverted {} change(s) of {} (from the browser)", tally.reverted, r.id));
            let summary = match (done.resumed, done.swept) {
                (false, _) => tally.text(),
                (true, 0) => format!("Finished the interrupted revert. {}", tally.text()),
                (true, n) => {
                    format!("Finished the interrupted revert; removed {n} temporary file(s) it left. {}", tally.text())
                }
            };
            (200, html::revert_done(&head(r), &rows, &summary, None, &choice))
        }
        Err(Stopped::Blocked(blocked)) => {
            super::log(&format!("revert of {} stopped before changing anything (from the browser)", r.id));
            let rows: Vec<RevertRow> = blocked.iter().map(|s| step_row(s, false)).collect();
            let changed = blocked.iter().any(|s| matches!(s.verdict, Verdict::ChangedSince(_)));
            (409, html::revert_done(&head(r), &rows, "", Some(&RevertStop::Blocked { changed }), &choice))
        }
        Err(Stopped::Failed { done, path, error }) => {
            let error = format!("{error:#}");
            super::log(&format!("revert of {} stopped at {} (from the browser): {error}", r.id, path.shell_word()));
            let (rows, tally) = applied_rows(&done);
            let stop = RevertStop::Failed { path: &path, error: &error, conflicts: form::conflicts_value(conflicts) };
            (500, html::revert_done(&head(r), &rows, &tally.text(), Some(&stop), &choice))
        }
    };
    Ok(respond(status, HTML, body.into_bytes()))
}

/// A planned step as a row; `pick`: with a checkbox when it can be chosen, checked when safe.
fn step_row(s: &Step, pick: bool) -> RevertRow {
    let (tone, can_pick, checked) = match s.verdict {
        Verdict::Safe => (Tone::Ok, true, true),
        Verdict::AlreadyReverted => (Tone::Quiet, false, false),
        // Only an apply told to overwrite it reverts it; the apply asks.
        Verdict::ChangedSince(_) => (Tone::Warn, true, false),
        Verdict::NotStored(_) | Verdict::Refused(_) => (Tone::Bad, false, false),
    };
    RevertRow {
        path: s.path.clone(),
        action: s.undo.as_str().into(),
        note: s.verdict.text(),
        tone,
        pick: (pick && can_pick).then_some(checked),
    }
}

/// How many changes an apply reverted, found already reverted, and left.
struct Tally {
    reverted: usize,
    already: usize,
    left: usize,
}

impl Tally {
    fn text(&self) -> String {
        format!(
            "Reverted {} change(s); {} already reverted; {} left as they are.",
            self.reverted, self.already, self.left
        )
    }
}

/// What an apply did, a row per path in path order, and its tally.
fn applied_rows(done: &[Applied]) -> (Vec<RevertRow>, Tally) {
    let mut sorted: Vec<&Applied> = done.iter().collect();
    sorted.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let rows = sorted
        .into_iter()
        .map(|a| {
            let (action, note, tone) = match &a.outcome {
                Outcome::Reverted => (a.undo.done_str(), String::new(), Tone::Ok),
                Outcome::AlreadyReverted => ("unchanged", "already reverted".to_string(), Tone::Quiet),
                Outcome::Skipped(why) => ("left", why.clone(), Tone::Warn),
                Outcome::KeptNotEmpty => ("kept dir", "it holds files the receipt did not record".into(), Tone::Warn),
            };
            RevertRow { path: ByteString::clone(&a.path), action: action.into(), note, tone, pick: None }
        })
        .collect();
    let count = |f: fn(&Outcome) -> bool| done.iter().filter(|a| f(&a.outcome)).count();
    let reverted = count(|o| *o == Outcome::Reverted);
    let already = count(|o| *o == Outcome::AlreadyReverted);
    (rows, Tally { reverted, already, left: done.len() - reverted - already })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_the_stage_and_nothing_else() {
        assert_eq!(Stage::from_query(""), Some(Stage::Preview));
        assert_eq!(Stage::from_query("confirm=1"), Some(Stage::Confirm));
        assert_eq!(Stage::from_query("apply=1"), Some(Stage::Apply));
        for other in ["apply=0", "confirmed=1", "apply=1&confirm=1", "x"] {
            assert_eq!(Stage::from_query(other), None, "{other}");
        }
    }
}
