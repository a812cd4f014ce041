//! The process tree: each process under its parent as nested, collapsible entries, with
//! its command line, the programs it ran, how it ended and the files it changed.
//!
//! Big trees stay cheap: children are found through one map built up front, a process's
//! files through [`ChangedBy`], and nesting stops at [`MAX_NESTING`] levels, below which a
//! branch is listed flat. The recursion is therefore at most that deep, however deep the
//! tree, and so is the page's nesting of elements.

use maud::{Markup, html};
use runglass_model::command_line;
use runglass_model::receipt::{Aspect, Receipt};

use super::attribution::{ChangedBy, Target, Touch};
use super::observation::unseen_note;
use super::parts::{SHORT_COMMAND, count, frame, path, process_end, short_command};
use crate::process_tree::{Shape, shape};
use crate::text::shorten;

/// Processes nest this many levels deep at most. Browsers stop nesting elements at some
/// depth (Chromium at 512), and a tree deeper than this is not readable as a tree anyway.
const MAX_NESTING: usize = 32;
/// A process lists at most this many of the files it changed; the Files section has all.
const MAX_FILES_SHOWN: usize = 50;

pub(super) fn section(r: &Receipt, changed: &ChangedBy) -> Markup {
    let Shape { roots, children } = shape(&r.processes);
    let tree = Tree { r, children, changed };
    let body = html! {
        @if r.processes.is_empty() {
            @match unseen_note(r, Aspect::Processes) {
                Some(note) => (note),
                None => p.quiet { "No process was seen." },
            }
        } @else {
            div.tools data-tools="process-tree" hidden {
                button type="button" data-open="true" { "Expand all" }
                button type="button" data-open="false" { "Collapse all" }
            }
            ul.tree #process-tree { @for &i in &roots { (tree.node(i, 0)) } }
        }
    };
    frame("processes", "Processes", Some(r.processes.len().to_string()), body)
}

struct Tree<'a> {
    r: &'a Receipt,
    children: Vec<Vec<usize>>,
    changed: &'a ChangedBy,
}

impl Tree<'_> {
    /// A process and, nested below it, its descendants. `depth` is 0 for a root.
    fn node(&self, i: usize, depth: usize) -> Markup {
        let p = &self.r.processes[i];
        let kids = &self.children[i];
        html! {
            li id={ "proc-" (p.pid) } {
                @if kids.is_empty() {
                    div.proc.leaf { (self.row(i)) }
                    (self.body(i))
                } @else {
                    details open {
                        summary.proc { (self.row(i)) }
                        (self.body(i))
                        @if depth + 1 < MAX_NESTING {
                            ul.tree { @for &k in kids { (self.node(k, depth + 1)) } }
                        } @else {
                            (self.flat(i, depth))
                        }
                    }
                }
            }
        }
    }

    /// Every descendant of `i` as one flat list in tree order, each with its depth.
    /// Walked with an explicit stack: a chain can be thousands of processes deep.
    fn flat(&self, i: usize, depth: usize) -> Markup {
        let mut order = Vec::new();
        let mut stack: Vec<(usize, usize)> = self.children[i].iter().rev().map(|&k| (k, depth + 1)).collect();
        while let Some((k, d)) = stack.pop() {
            order.push((k, d));
            stack.extend(self.children[k].iter().rev().map(|&c| (c, d + 1)));
        }
        html! {
            p.note { "Deeper than " (MAX_NESTING) " levels: the rest of this branch is listed flat, in tree order." }
            ol.flat {
                @for (k, d) in order {
                    @let p = &self.r.processes[k];
                    li id={ "proc-" (p.pid) } {
                        div.proc { span.depth { "depth " (d) } (self.row(k)) }
                        (self.body(k))
                    }
                }
            }
        }
    }

    /// The process in one line: pid, command, how it ended, when, how many files.
    fn row(&self, i: usize) -> Markup {
        let p = &self.r.processes[i];
        let files = self.changed.of(i).len();
        let line = command_line(&p.argv);
        let short = shorten(&line, SHORT_COMMAND);
        html! {
            span.pid { (p.pid) }
            @if p.argv.is_empty() {
                span.muted { "no program seen" }
            } @else {
                // A fork that never exec'd shows its parent's command, muted.
                code.cmd.inherited[p.execs.is_empty()] { (short) }
                @if p.execs.is_empty() { span.tag { "forked, no exec" } }
            }
            (process_end(p))
            @if let Some(start) = p.started_ms {
                span.when { (start) @if let Some(end) = p.ended_ms { "–" (end) } " ms" }
            }
            @if p.outlived_command { span.tag.warn { "outlived the command" } }
            @if files > 0 { span.tag { (count(files, "file changed", "files changed")) } }
        }
    }

    /// What the row leaves out: the whole command, each program it ran in turn, an unusual
    /// cwd, and the files changed. Nothing when there is nothing more to say.
    fn body(&self, i: usize) -> Markup {
        let p = &self.r.processes[i];
        let line = command_line(&p.argv);
        // A forked copy runs its parent's program: its command line is the parent's to show.
        let long = !p.execs.is_empty() && shorten(&line, SHORT_COMMAND) != line;
        let other_cwd = p.cwd.as_ref().filter(|cwd| **cwd != self.r.command.cwd);
        let touches = self.changed.of(i);
        if !long && p.execs.len() < 2 && other_cwd.is_none() && touches.is_empty() {
            return html! {};
        }
        html! {
            div.proc-body {
                @if long { p { code.cmd { (line) } } }
                @if p.execs.len() > 1 {
                    ol.execs {
                        @for e in &p.execs {
                            li { (short_command(&e.argv)) " " span.when { "at " (e.at_ms) " ms" } }
                        }
                    }
                }
                @if let Some(cwd) = other_cwd { p.muted { "in " (path(cwd)) } }
                @if !touches.is_empty() {
                    ul.changed {
                        @for t in touches.iter().take(MAX_FILES_SHOWN) { li { (self.touch(t)) } }
                        @if touches.len() > MAX_FILES_SHOWN {
                            li.muted { "… and " (touches.len() - MAX_FILES_SHOWN) " more in Files" }
                        }
                    }
                }
            }
        }
    }

    /// A changed file, linking to its entry, with what this process did to it.
    fn touch(&self, t: &Touch) -> Markup {
        let (href, file) = match t.target {
            Target::Inside(i) => (format!("#file-{i}"), &self.r.files.changes[i].path),
            Target::Outside(i) => (format!("#outside-{i}"), &self.r.files.outside[i].path),
        };
        let actions: Vec<&str> = t.actions.iter().map(|a| a.as_str()).collect();
        html! { a href=(href) { (path(file)) } " " span.action { (actions.join(", ")) } }
    }
}
