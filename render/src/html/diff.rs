//! A file's diff as table rows (hunk headers, context, additions, removals, each with its
//! old and new line numbers and a class the CSS colours), or, when the receipt has no text
//! diff, the reason in words.

use maud::{Markup, html};
use runglass_model::ByteString;
use runglass_model::receipt::{Diff, FileChange};

use crate::text::size;

pub(super) fn body(c: &FileChange, cap_bytes: u64) -> Markup {
    match &c.diff {
        Diff::Text { unified, truncated, .. } => html! {
            (table(unified))
            @if *truncated {
                p.note {
                    "The diff was cut here to keep the receipt bounded"
                    @if [&c.before, &c.after].into_iter().flatten().all(|s| s.stored) {
                        "; both versions are in the blob store"
                    }
                    "."
                }
            }
        },
        Diff::Binary => html! {
            p.note { "Binary content (not UTF-8 text, or it holds a NUL byte): no text diff." }
        },
        Diff::Capped => html! {
            p.note {
                "Larger than the snapshot cap (" (size(cap_bytes)) "): the content was not kept, so there is "
                "no diff; it was compared by size and times only."
            }
        },
        Diff::Unavailable { reason } => html! { p.note { "No diff: " (reason) "." } },
        Diff::None => html! {},
    }
}

/// One line of a unified diff, ready to show.
#[derive(Debug, PartialEq)]
struct Row<'a> {
    class: &'static str,
    old: Option<u64>,
    new: Option<u64>,
    text: &'a str,
}

fn table(unified: &str) -> Markup {
    html! {
        div.diff-scroll {
            table.diff {
                @for row in rows(unified) {
                    tr class=(row.class) {
                        td.ln { @if let Some(n) = row.old { (n) } }
                        td.ln { @if let Some(n) = row.new { (n) } }
                        // The diff's text came from the command: control bytes are shown escaped.
                        td.code { (ByteString::from(row.text).printable()) }
                    }
                }
            }
        }
    }
}

/// The rows of a unified diff. The `---`/`+++` header is left out (the summary names the
/// file); after it, a line's first character says what it is, and hunk headers give the
/// line numbers to count from.
fn rows(unified: &str) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    let (mut old, mut new) = (0, 0);
    let mut in_hunk = false;
    for text in unified.lines() {
        let row = |class, old, new| Row { class, old, new, text };
        if let Some((o, n)) = hunk_start(text) {
            (old, new, in_hunk) = (o, n, true);
            rows.push(row("hunk", None, None));
        } else if !in_hunk {
            if !text.starts_with("--- ") && !text.starts_with("+++ ") {
                rows.push(row("meta", None, None));
            }
        } else if text.starts_with('+') {
            rows.push(row("add", None, Some(new)));
            new += 1;
        } else if text.starts_with('-') {
            rows.push(row("del", Some(old), None));
            old += 1;
        } else if text.starts_with('\\') {
            rows.push(row("meta", None, None));
        } else {
            rows.push(row("ctx", Some(old), Some(new)));
            old += 1;
            new += 1;
        }
    }
    rows
}

/// The first old and new line numbers of a hunk header, `@@ -3,7 +3,8 @@ context`.
fn hunk_start(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let start = |range: &str| range.split(',').next()?.parse().ok();
    Some((start(old)?, start(new)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_count_old_and_new_lines_from_the_hunk_header() {
        let unified = "--- a/f\n+++ b/f\n@@ -4,3 +4,3 @@ fn x\n a\n-b\n+c\n--d\n\\ No newline at end of file\n";
        let got: Vec<_> = rows(unified).into_iter().map(|r| (r.class, r.old, r.new)).collect();
        assert_eq!(
            got,
            [
                ("hunk", None, None),
                ("ctx", Some(4), Some(4)),
                ("del", Some(5), None),
                ("add", None, Some(5)),
                ("del", Some(6), None),
                ("meta", None, None),
            ]
        );
    }

    #[test]
    fn a_header_line_inside_a_hunk_is_a_removed_line() {
        let rows = rows("@@ -1 +0,0 @@\n--- x\n");
        assert_eq!(rows[1], Row { class: "del", old: Some(1), new: None, text: "--- x" });
    }
}
