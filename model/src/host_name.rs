//! Host names as text: the presentation form of RFC 1035 (section 5.1), with RFC 4343's
//! escaping, for names read from DNS messages and from hosts files.
//!
//! A name's labels are bytes, chosen by whoever answered the query or wrote the file, so
//! anything but the usual host-name characters is escaped. The result is printable ASCII
//! without spaces: it fits a terminal line or a table cell as it is, and a reader can tell
//! `a\.b` (one label) from `a.b` (two).

use std::fmt::Write;

/// A DNS name in presentation form from its labels (RFC 1035 5.1 / RFC 4343 escaping):
/// bytes [A-Za-z0-9-_*] as they are, `.` inside a label as `\.`, `\` as `\\`, every other
/// byte as `\DDD` (three decimal digits). Labels joined by '.', no trailing dot; the root
/// name is ".". Case is kept as received.
///
/// Empty labels are skipped: in a message the only empty label is the root's, which ends
/// the name, so skipping them keeps "." the one spelling of the root.
pub fn presentation<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut out = String::new();
    for label in labels.into_iter().filter(|label| !label.is_empty()) {
        if !out.is_empty() {
            out.push('.');
        }
        escape_label(label, &mut out);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// The same for a name written as text (a hosts file's names): split at '.', empty labels
/// (a trailing dot) dropped.
pub fn from_text(name: &[u8]) -> String {
    presentation(name.split(|&b| b == b'.'))
}

fn escape_label(label: &[u8], out: &mut String) {
    for &b in label {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'*' => out.push(char::from(b)),
            b'.' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            // Writing to a String cannot fail.
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_name_characters_and_case_are_kept() {
        let labels: [&[u8]; 3] = [b"WWW", b"Ex-am_ple", b"*"];
        assert_eq!(presentation(labels), "WWW.Ex-am_ple.*");
    }

    #[test]
    fn dots_and_backslashes_inside_a_label_are_escaped_with_a_backslash() {
        let labels: [&[u8]; 2] = [b"a.b\\c", b"d"];
        assert_eq!(presentation(labels), "a\\.b\\\\c.d");
    }

    #[test]
    fn other_bytes_become_three_decimal_digits() {
        let labels: [&[u8]; 1] = [b"\0 \x7f\xff\"<"];
        assert_eq!(presentation(labels), "\\000\\032\\127\\255\\034\\060");
    }

    #[test]
    fn the_root_name_is_a_single_dot() {
        assert_eq!(presentation(std::iter::empty()), ".");
        let only_root: [&[u8]; 1] = [b""];
        assert_eq!(presentation(only_root), ".");
    }

    #[test]
    fn text_names_split_at_dots_and_lose_a_trailing_dot() {
        assert_eq!(from_text(b"localhost.localdomain."), "localhost.localdomain");
        assert_eq!(from_text(b"a..b"), "a.b");
        assert_eq!(from_text(b"."), ".");
        assert_eq!(from_text(b"caf\xc3\xa9"), "caf\\195\\169");
    }
}
