//! Reverting from the served receipt: the buttons the served page adds to the receipt, and
//! the pages of a revert, each a step the reader takes on purpose (preview, confirm, the
//! result, or why the apply stopped and what can be done about it).
//!
//! Every form posts back to `revert` beside the receipt's page and carries the reader's
//! choice in its fields: `path` (repeated; each hex-encoded, since paths are bytes),
//! `all=1`, `outside=1`, and on an apply `conflicts=stop|skip|force`. No script is involved;
//! paths from the receipt are spliced as text, escaped, like everywhere else.

use maud::{Markup, html};
use runglass_model::ByteString;
use runglass_model::receipt::{GitInfo, Receipt};

use super::parts::{count, path};
use super::{Forms, document};
use crate::git_lines;

/// The id of the receipt page's revert form, which every file's button submits.
const FORM_ID: &str = "revert";

/// A path as a form value: its bytes in lowercase hex, so any name survives the round trip.
pub fn path_value(path: &ByteString) -> String {
    hex::encode(path.as_bytes())
}

/// The receipt page's form to revert all its changes (its button asks for a preview).
pub(super) fn all_form(r: &Receipt) -> Markup {
    if r.files.changes.is_empty() {
        return html! {};
    }
    html! {
        form.revert-all id=(FORM_ID) method="post" action="revert" {
            button name="all" value="1" title="Preview undoing every change (asks before touching anything)" {
                "Revert changes…"
            }
        }
    }
}

/// One file's button on the receipt page: it submits the page's revert form with the
/// file's path alone (a button may sit in a summary; a form may not).
pub(super) fn one_button(file: &ByteString) -> Markup {
    html! {
        button.revert-one form=(FORM_ID) name="path" value=(path_value(file))
            title="Preview undoing this change (asks before touching anything)" { "Revert…" }
    }
}

/// The receipt a revert page is about.
pub struct RevertHead<'a> {
    pub id: &'a str,
    /// The command as one display line.
    pub command: &'a str,
    /// The working directory its changes are relative to.
    pub root: &'a ByteString,
    /// The repository, whose commits and refs a revert does not undo.
    pub git: Option<&'a GitInfo>,
    /// The receipt's changes include git's files of HEAD and the refs (see
    /// [`git_lines::reverts_git_refs`]).
    pub reverts_git_refs: bool,
}

/// How a row reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Done, or can be done safely.
    Ok,
    /// Needs a decision: changed since the receipt.
    Warn,
    /// Cannot be done: refused, or the content before is not at hand.
    Bad,
    /// Nothing to do.
    Quiet,
}

/// One path on a revert page.
#[derive(Clone, Debug)]
pub struct RevertRow {
    /// As the receipt names it.
    pub path: ByteString,
    /// What revert would do or did: `restore`, `deleted`, `left`.
    pub action: String,
    /// Whether it can, or how it went: a verdict, or why a path was left.
    pub note: String,
    pub tone: Tone,
    /// On a preview: `Some(checked)` when the path can be chosen.
    pub pick: Option<bool>,
}

/// What the reader chose, carried from page to page in hidden fields.
#[derive(Clone, Debug, Default)]
pub struct RevertChoice {
    /// Every recorded change (then `paths` is empty).
    pub all: bool,
    /// The chosen paths, as the receipt names them.
    pub paths: Vec<ByteString>,
    /// Include changes outside the working directory.
    pub outside: bool,
}

/// Why an apply stopped.
pub enum RevertStop<'a> {
    /// Before touching anything: the rows could not be reverted as asked. `changed`: some
    /// were changed since the receipt, so overwriting them is an option.
    Blocked { changed: bool },
    /// In the middle, at `path`: the rows are what was done before it. Repeating the
    /// apply (with the same `conflicts`: `stop`, `skip` or `force`) finishes it.
    Failed { path: &'a ByteString, error: &'a str, conflicts: &'a str },
}

/// The preview: every chosen change, what undoing it would do and whether it can, with a
/// checkbox for each that can be chosen. Touches nothing; its button asks for confirmation.
/// `unlisted`: changes outside the working directory left out (`choice.outside` unset);
/// a button previews again with them.
pub fn revert_preview(
    head: &RevertHead,
    rows: &[RevertRow],
    notes: &[String],
    choice: &RevertChoice,
    unlisted: usize,
) -> String {
    let safe = rows.iter().filter(|r| r.tone == Tone::Ok).count();
    let pickable = rows.iter().any(|r| r.pick.is_some());
    let body = html! {
        (top(head, "Revert: preview"))
        main.panel {
            p {
                (safe) " of " (count(rows.len(), "change", "changes")) " can be reverted safely. "
                strong { "Nothing has been changed." }
            }
            @for note in notes { p.note { (note) } }
            (git_note(head))
            @if unlisted > 0 {
                form.note method="post" action="revert" {
                    (carried(&RevertChoice { outside: true, ..choice.clone() }))
                    (count(unlisted, "change", "changes")) " outside the working directory not listed. "
                    button type="submit" { "Include them" }
                }
            }
            @if rows.is_empty() {
                p.quiet { "No recorded change was chosen." }
            } @else {
                form method="post" action="revert?confirm=1" {
                    @if choice.outside { input type="hidden" name="outside" value="1"; }
                    (table(rows, true, PLANNED))
                    @if pickable {
                        p.actions { button.primary type="submit" { "Revert selected…" } }
                    }
                }
            }
            (back())
        }
    };
    document(&format!("Revert {} · runglass", head.id), None, Forms::SameOrigin, body)
}

/// The last question before an apply: these changes, reverted with conflicts stopping it.
pub fn revert_confirm(head: &RevertHead, rows: &[RevertRow], choice: &RevertChoice) -> String {
    let body = html! {
        (top(head, "Revert these changes?"))
        main.panel {
            @if rows.is_empty() {
                p { "No change was chosen: nothing to revert." }
            } @else {
                p { "About to revert " (count(rows.len(), "change", "changes")) ":" }
                (table(rows, false, PLANNED))
                (git_note(head))
                p.note {
                    "Each path is checked again first: if one was changed since the receipt, nothing is touched \
                     and you are asked what to do."
                }
                form method="post" action="revert?apply=1" {
                    (carried(choice))
                    input type="hidden" name="conflicts" value="stop";
                    p.actions { button.primary type="submit" { "Revert " (count(rows.len(), "change", "changes")) } }
                }
            }
            (back())
        }
    };
    document(&format!("Revert {} · runglass", head.id), None, Forms::SameOrigin, body)
}

/// What an apply did (`summary`, then a row per path), or where it stopped and the ways on.
pub fn revert_done(
    head: &RevertHead,
    rows: &[RevertRow],
    summary: &str,
    stop: Option<&RevertStop>,
    choice: &RevertChoice,
) -> String {
    let title = match stop {
        None => "Reverted",
        Some(RevertStop::Blocked { .. }) => "Revert stopped before changing anything",
        Some(RevertStop::Failed { .. }) => "Revert stopped part way",
    };
    let body = html! {
        (top(head, title))
        main.panel {
            @match stop {
                None => p { (summary) },
                Some(RevertStop::Blocked { changed }) => {
                    p { (count(rows.len(), "change", "changes")) " cannot be reverted as asked, so none was:" }
                    (table(rows, false, PLANNED))
                    form method="post" action="revert?apply=1" {
                        (carried(choice))
                        p.actions {
                            button.primary name="conflicts" value="skip" { "Leave those, revert the rest" }
                            @if *changed {
                                button.danger name="conflicts" value="force"
                                    title="Their changes made after the run are lost" { "Overwrite them" }
                            }
                        }
                    }
                }
                Some(RevertStop::Failed { path: at, error, conflicts }) => {
                    p.message { "Stopped at " (path(at)) ": " (error) }
                    p { (summary) }
                    p.note {
                        "No file is left half-written. Fix the cause and repeat the revert: it finishes what was \
                         begun."
                    }
                    form method="post" action="revert?apply=1" {
                        (carried(choice))
                        p.actions { button.primary name="conflicts" value=(conflicts) { "Repeat the revert" } }
                    }
                }
            }
            @if !rows.is_empty() && !matches!(stop, Some(RevertStop::Blocked { .. })) { (table(rows, false, DONE)) }
            (git_note(head))
            (back())
        }
    };
    document(&format!("Revert {} · runglass", head.id), None, Forms::SameOrigin, body)
}

/// What a revert leaves in git, and the commands that would undo it; nothing when the
/// command moved no commit, branch or tag.
fn git_note(head: &RevertHead) -> Markup {
    let Some(g) = head.git else { return html! {} };
    let Some(note) = git_lines::revert_note(g, head.reverts_git_refs) else { return html! {} };
    html! {
        div.git-undo {
            p.note { (note) }
            @let commands = git_lines::undo_commands(g);
            @if !commands.is_empty() { pre.commands { code { (commands.join("\n")) } } }
        }
    }
}

fn top(head: &RevertHead, title: &str) -> Markup {
    html! {
        header.top {
            p.eyebrow { "runglass receipt " span.id { (head.id) } }
            h1 { (title) }
            p.muted { code.cmd { (head.command) } " in " code { (head.root.escaped()) } }
        }
    }
}

/// Rows about what revert would do (a preview), and about what it did.
const PLANNED: [&str; 2] = ["Revert", "Verdict"];
const DONE: [&str; 2] = ["Done", "Why"];

/// One row per path under the headings `[action, note]`; with `picks`, a first column of
/// checkboxes for the rows that have one.
fn table(rows: &[RevertRow], picks: bool, heads: [&str; 2]) -> Markup {
    html! {
        div.table-scroll {
            table.revert {
                thead {
                    tr {
                        @if picks { th.pick { span.visually-hidden { "Revert" } } }
                        th { "Path" } th { (heads[0]) } th { (heads[1]) }
                    }
                }
                tbody {
                    @for r in rows {
                        tr {
                            @if picks {
                                td.pick {
                                    @if let Some(checked) = r.pick {
                                        input type="checkbox" name="path" value=(path_value(&r.path)) checked[checked]
                                            aria-label="revert this change";
                                    }
                                }
                            }
                            td { (path(&r.path)) }
                            td { (r.action) }
                            td class=(tone_class(r.tone)) { (r.note) }
                        }
                    }
                }
            }
        }
    }
}

fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Ok => "ok",
        Tone::Warn => "warn",
        Tone::Bad => "bad",
        Tone::Quiet => "muted",
    }
}

/// The reader's choice as hidden fields, for the next step to post again.
fn carried(choice: &RevertChoice) -> Markup {
    html! {
        @if choice.all { input type="hidden" name="all" value="1"; }
        @for p in &choice.paths { input type="hidden" name="path" value=(path_value(p)); }
        @if choice.outside { input type="hidden" name="outside" value="1"; }
    }
}

fn back() -> Markup {
    html! { p { a href="./" { "← Back to the receipt" } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_values_are_hex_of_every_byte() {
        assert_eq!(path_value(&ByteString(b"a/<b>\xff\n".to_vec())), "612f3c623eff0a");
        assert_eq!(path_value(&ByteString(Vec::new())), "");
    }
}
