//! Text that reaches the terminal in runglass's own messages: ids and paths the user gave
//! (or a receipt holds) and whole error messages, escaped by the model's one escaping
//! function ([`ByteString::escaped`], [`ByteString::printable`]), so that no control
//! character given on the command line (`\e]0;TITLE\a`, `\e[2J`) reaches the terminal raw.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use runglass_model::ByteString;

/// An id, a path or another value named in a message: control characters, invalid UTF-8,
/// backslashes and double quotes escaped (`\u{1b}`, `\x ff`), on one line.
pub fn text(value: impl AsRef<OsStr>) -> String {
    ByteString(value.as_ref().as_bytes().to_vec()).escaped()
}

/// A whole error message with its causes (`{err:#}`), for one line on stderr: whatever a
/// message took in without escaping it, its control characters are escaped here (line
/// breaks and tabs of the message itself are kept).
pub fn error(err: &anyhow::Error) -> String {
    message(&format!("{err:#}"))
}

/// Any message for the terminal, as [`error`] does.
pub fn message(text: &str) -> String {
    ByteString::from(text).printable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_in_values_and_messages_are_escaped() {
        assert_eq!(text("\u{1b}]0;X\u{7}\u{1b}[2J"), "\\u{1b}]0;X\\u{7}\\u{1b}[2J");
        assert_eq!(text(OsStr::from_bytes(b"a\nb\xff")), "a\\nb\\xff");
        let err = anyhow::anyhow!("no receipt \u{1b}[2J").context("reading\tit");
        assert_eq!(error(&err), "reading\tit: no receipt \\u{1b}[2J");
    }
}
