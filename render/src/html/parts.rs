//! Small pieces of markup the sections share (badges, commands, paths, process links,
//! section frames), so every part of the page shows the same fact the same way.

use maud::{Markup, html};
use runglass_model::receipt::{Actor, Process, Receipt, RunStatus, Severity};
use runglass_model::{ByteString, Pid, command_line};

use crate::text::{self, shorten};

/// Commands in one-line places (summaries, table cells) are cut to this many characters;
/// the process tree has them whole.
pub(super) const SHORT_COMMAND: usize = 90;
/// A file lists this many of the actions on it: one every process of a big build touched
/// would otherwise fill the page.
const MAX_ACTIONS: usize = 20;

/// A table that scrolls sideways on a narrow screen: its column heads (`true`: a column of
/// numbers, right-aligned) and its rows.
pub(super) fn table(heads: &[(&str, bool)], rows: Markup) -> Markup {
    html! {
        div.table-scroll {
            table {
                thead { tr { @for (head, num) in heads { th class=[num.then_some("num")] { (head) } } } }
                tbody { (rows) }
            }
        }
    }
}

/// A section of the page: an anchor, a heading with an optional figure beside it, a body.
pub(super) fn frame(id: &str, title: &str, figure: Option<String>, body: Markup) -> Markup {
    html! {
        section id=(id) {
            h2 {
                (title)
                @if let Some(figure) = figure { " " span.figure { (figure) } }
            }
            (body)
        }
    }
}

/// The run's status, coloured by how it went.
pub(super) fn status_badge(status: RunStatus) -> Markup {
    let tone = match status {
        RunStatus::Completed => "ok",
        RunStatus::Failed | RunStatus::FailedToStart => "bad",
        RunStatus::Interrupted | RunStatus::TimedOut => "warn",
    };
    html! { span class={ "badge " (tone) } { (status.as_str()) } }
}

pub(super) fn severity_badge(severity: Severity) -> Markup {
    html! { span class={ "badge risk-" (severity.as_str()) } { (severity.as_str()) } }
}

/// A path from the command: escaped, so control characters and invalid UTF-8 show as
/// `\n` or `\xff` instead of vanishing.
pub(super) fn path(path: &ByteString) -> Markup {
    html! { code.path { (path.escaped()) } }
}

/// A command line cut to fit one line; the whole of it is in the tooltip.
pub(super) fn short_command(argv: &[ByteString]) -> Markup {
    let line = command_line(argv);
    let short = shorten(&line, SHORT_COMMAND);
    let full = (short != line).then_some(&line);
    html! { code.cmd title=[full] { (short) } }
}

/// A pid that leads to its place in the process tree.
pub(super) fn pid_link(pid: Pid) -> Markup {
    html! { a.pid href={ "#proc-" (pid) } { (pid) } }
}

/// `pid 412 sh -c …`: who did something, in one line.
pub(super) fn actor(pid: Pid, argv: &[ByteString]) -> Markup {
    html! { span.actor { (pid_link(pid)) " " (short_command(argv)) } }
}

/// Who acted on a file, what they did and when, one line each.
pub(super) fn actors(r: &Receipt, by: &[Actor]) -> Markup {
    html! {
        ul.actors {
            @for a in by.iter().take(MAX_ACTIONS) {
                li {
                    (actor(a.pid, r.command_of(a.process, a.exec))) " " span.action { (a.action.as_str()) }
                    " " span.when { "at " (a.at_ms) " ms" }
                }
            }
            @if by.len() > MAX_ACTIONS { li.muted { "… and " (by.len() - MAX_ACTIONS) " more in receipt.json" } }
        }
    }
}

/// How a process ended, coloured: a clean exit, a failure, or still running.
pub(super) fn process_end(p: &Process) -> Markup {
    let tone = match (p.exit, p.outlived_command) {
        (Some(e), _) => {
            if e.shell_code() == 0 {
                "ok"
            } else {
                "bad"
            }
        }
        (None, true) => "warn",
        (None, false) => "muted",
    };
    html! { span class={ "end " (tone) } { (text::process_end(p)) } }
}

/// `1 file`, `3 files`.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
