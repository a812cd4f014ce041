//! Putting untrusted text into GitHub-flavoured Markdown so that it shows literally.
//!
//! GitHub renders raw HTML in Markdown and splits table rows on `|` even inside code spans,
//! so names from the command go into code spans (or fenced blocks) whose fences are longer
//! than any backtick run inside, with pipes escaped in table cells, and prose outside code
//! has its HTML and Markdown punctuation escaped.

/// An inline code span showing `text` literally. `text` should be one line already escaped
/// for display (`ByteString::escaped`); a stray line break is shown as a space, since a real
/// one would end a table row.
pub(crate) fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    if text.is_empty() {
        return "*(empty)*".to_string();
    }
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    // A span that starts or ends with a backtick or space needs a space of padding, which
    // the renderer strips again.
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A code span for a table cell: GFM splits a row on every unescaped `|`, code spans
/// included, and shows `\|` as `|`.
pub(crate) fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Prose: HTML-significant characters as entities, Markdown punctuation backslash-escaped,
/// line breaks as spaces. Safe in table cells (`|` is escaped too).
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '@' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element such as `<summary>`, where Markdown is not parsed.
pub(crate) fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace(['\n', '\r'], " ")
}

/// A fenced code block holding `body` literally, its fence longer than any backtick run in it.
pub(crate) fn fenced(info: &str, body: &str) -> String {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let newline = if body.is_empty() || body.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{info}\n{body}{newline}{fence}\n")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_span_fence_outgrows_backtick_runs_inside() {
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("plain"), "`plain`");
    }

    #[test]
    fn code_span_cannot_break_a_line() {
        assert_eq!(code("a\nb"), "`a b`");
    }

    #[test]
    fn table_cells_escape_pipes_even_inside_code() {
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn prose_cannot_carry_html_or_markup() {
        assert_eq!(text("<b>*x*</b> & [l](u) @me"), "&lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\[l\\](u) \\@me");
    }

    #[test]
    fn fenced_block_outgrows_backtick_runs_inside() {
        assert_eq!(fenced("diff", "x\n````\n"), "`````diff\nx\n````\n`````\n");
        assert_eq!(fenced("", "no newline"), "```\nno newline\n```\n");
    }
}
