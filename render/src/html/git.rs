//! Git: where HEAD went, the commits added and dropped, the branches and tags moved, the
//! configuration changed, and the git commands that undo what revert does not. Names,
//! subjects and values come from the repository: escaped, then maud escapes HTML.

use maud::{Markup, html};
use runglass_model::receipt::{GitCommit, GitInfo, Receipt};

use super::parts::{count, frame, table};
use crate::git_lines;

pub(super) fn section(r: &Receipt) -> Markup {
    let Some(g) = &r.git else {
        let body = html! {
            p.quiet {
                "Not read: the working directory is not in a git repository, git is not installed, or the \
                 receipt was recovered."
            }
        };
        return frame("git", "Git", None, body);
    };
    let figure = git_lines::summary(g);
    let body = html! {
        p {
            "HEAD before: " code { (git_lines::head_before(g)) }
            @if let Some(after) = git_lines::head_after(g) {
                " · after: " code { (after) }
            }
            span.muted { " in " code { (g.root.escaped()) } }
        }
        @if let Some(how) = git_lines::head_move(g) { p { (how) "." } }
        @if !git_lines::changed(g) && g.limits.is_empty() {
            p.quiet { "No commit, branch, tag or configuration change." }
        }
        @if let Some(a) = &g.after {
            (commits("Commits added", &a.commits, a.commits_more))
            (commits("Commits dropped (on no branch or tag now)", &a.dropped, a.dropped_more))
            @if !a.refs.is_empty() {
                h3 { "Branches and tags " span.figure { (a.refs.len() as u64 + a.refs_more) } }
                ul.paths {
                    @for line in a.refs.iter().map(git_lines::ref_line) { li { code { (line) } } }
                    @if a.refs_more > 0 { li.muted { "… " (a.refs_more) " more in receipt.json" } }
                }
            }
        }
        (config(g))
        @for limit in &g.limits { p.note { "Not seen: " (limit) } }
        @if let Some(note) = git_lines::revert_note(g, git_lines::reverts_git_refs(&r.files)) {
            h3 { "Undoing it" }
            p { (note) }
            @let commands = git_lines::undo_commands(g);
            @if !commands.is_empty() { pre.commands { code { (commands.join("\n")) } } }
        }
    };
    frame("git", "Git", figure, body)
}

fn commits(title: &str, list: &[GitCommit], more: u64) -> Markup {
    html! {
        @if !list.is_empty() {
            h3 { (title) " " span.figure { (list.len() as u64 + more) } }
            ul.paths {
                @for c in list {
                    li { code title=(c.id) { (git_lines::short_id(&c.id)) } " " (c.subject.escaped()) }
                }
                @if more > 0 { li.muted { "… " (count(more as usize, "more commit", "more commits")) " not listed" } }
            }
        }
    }
}

fn config(g: &GitInfo) -> Markup {
    html! {
        @if !g.config.is_empty() {
            h3 { "Configuration " span.figure { (g.config.len() as u64 + g.config_more) } }
            (table(&[("Key", false), ("Change", false), ("Before", false), ("After", false), ("In", false)], html! {
                @for c in &g.config {
                    tr class=[c.runs_program.then_some("wildcard")] {
                        td { code { (c.key.escaped()) } @if c.runs_program { br; span.muted { "runs programs" } } }
                        td { (c.change.as_str()) }
                        @if c.runs_program {
                            td { @for v in &c.before { code { (v.escaped()) } br; } }
                            td { @for v in &c.after { code { (v.escaped()) } br; } }
                        } @else {
                            td.muted colspan="2" { "values not kept (they may hold secrets)" }
                        }
                        td { @for f in &c.files { code.path { (f.escaped()) } br; } }
                    }
                }
            }))
            @if g.config_more > 0 { p.muted { "… " (g.config_more) " more in receipt.json" } }
        }
    }
}
