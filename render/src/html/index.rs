//! The index of receipts that `runglass open` serves: one row per receipt, in the order
//! given, each linking to its page and, when the server allows it, with buttons to revert
//! its changes and to delete it.

use maud::html;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use runglass_model::ByteString;
use runglass_model::receipt::{Mode, Receipt, RunStatus, Severity};

use super::parts::{count, severity_badge, status_badge};
use super::{Forms, document};
use crate::text::duration;

/// One row of the receipts index that `runglass open` serves.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    pub id: String,
    /// The command as one display line (`CommandInfo::display`).
    pub command: String,
    pub cwd: ByteString,
    pub started_at: String,
    pub duration_ms: u64,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub mode: Mode,
    pub risk: Severity,
    pub files_changed: usize,
    pub processes: usize,
}

impl IndexEntry {
    /// The row of receipt `r`.
    pub fn of(r: &Receipt) -> IndexEntry {
        IndexEntry {
            id: r.id.clone(),
            command: r.command.display.clone(),
            cwd: r.command.cwd.clone(),
            started_at: r.timing.started_at.clone(),
            duration_ms: r.timing.duration_ms,
            status: r.outcome.status,
            exit_code: r.outcome.exit_code,
            mode: r.mode,
            risk: r.risk.level,
            files_changed: r.files.changed_count(),
            processes: r.processes.len(),
        }
    }
}

/// The index page of all receipts, newest first as given. Each row links to `r/<id>/`
/// (relative, id percent-encoded). With `actions`, each row also has buttons that post to
/// `r/<id>/revert` (a preview of undoing its changes, when it has any) and `r/<id>/delete`;
/// the server answers both with a page that asks first, so neither needs a script and
/// each takes deliberate clicks.
pub fn index(entries: &[IndexEntry], actions: bool) -> String {
    let body = html! {
        header.top {
            p.eyebrow { "runglass" }
            h1 { "Receipts" }
            p.muted { (count(entries.len(), "receipt", "receipts")) ", newest first" }
        }
        main.panel {
            @if entries.is_empty() {
                p.quiet { "No receipt yet: run a command with " code { "runglass run" } " to make one." }
            } @else {
                div.table-scroll {
                    table.index {
                        thead {
                            tr {
                                th { "Started" } th { "Command" } th { "Status" } th { "Risk" } th.num { "Files" }
                                th.num { "Processes" } th.num { "Duration" } th { "Mode" }
                                @if actions { th { span.visually-hidden { "Actions" } } }
                            }
                        }
                        tbody {
                            @for e in entries {
                                @let base = format!("r/{}/", percent_encode(&e.id));
                                tr {
                                    td.when { (e.started_at) }
                                    td {
                                        a href=(base) { code.cmd { (e.command) } }
                                        br;
                                        span.muted { code { (e.cwd.escaped()) } }
                                    }
                                    td {
                                        (status_badge(e.status))
                                        @if let Some(code) = e.exit_code.filter(|&c| c != 0) {
                                            " " span.muted { "exit " (code) }
                                        }
                                    }
                                    td { (severity_badge(e.risk)) }
                                    td.num { (e.files_changed) }
                                    td.num { (e.processes) }
                                    td.num { (duration(e.duration_ms)) }
                                    td { (e.mode.as_str()) }
                                    @if actions {
                                        td.actions {
                                            @if e.files_changed > 0 {
                                                form.inline method="post" action={ (base) "revert" } {
                                                    input type="hidden" name="all" value="1";
                                                    button type="submit" title="Preview undoing its file changes" {
                                                        "Revert…"
                                                    }
                                                }
                                            }
                                            form.inline method="post" action={ (base) "delete" } {
                                                button.danger type="submit" title="Delete this receipt (asks first)" {
                                                    "Delete"
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    document("Receipts · runglass", None, Forms::SameOrigin, body)
}

/// Every byte but RFC 3986's unreserved ones (letters, digits, `-._~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A URL path segment for `text`: every byte but the unreserved ones as `%XX`, so an id
/// can never add a path separator, a query or a fragment.
fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_path_segment_whatever_they_hold() {
        assert_eq!(percent_encode("20261121T045024Z-sh-x"), "20261121T045024Z-sh-x");
        assert_eq!(percent_encode("../a b/?#é"), "..%2Fa%20b%2F%3F%23%C3%A9");
    }
}
