//! File names in patch headers as git writes them, shared by the receipt's diffs and the
//! reverse patch so that both read back the same way: plain when a name is printable
//! ASCII without `"` or `\`, C-quoted otherwise (`"bad\377name"`), so that `git apply`
//! and `patch` recover every byte.

use std::fmt::Write;

/// A `---`/`+++` line: `/dev/null` for a side that does not exist, and a tab after a
/// plain name holding a space so that `patch` reads all of it.
pub fn label(marker: &str, prefix: &str, path: &[u8], exists: bool) -> String {
    if !exists {
        return format!("{marker} /dev/null\n");
    }
    let shown = name(prefix, path);
    let tab = if !shown.starts_with('"') && shown.contains(' ') { "\t" } else { "" };
    format!("{marker} {shown}{tab}\n")
}

/// `prefix` + `path`, C-quoted as git's `quote_c_style` does when it holds a byte that is
/// not printable ASCII, a double quote or a backslash.
pub fn name(prefix: &str, path: &[u8]) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.extend_from_slice(path);
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut out = String::from("\"");
    for b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_git_would() {
        assert_eq!(name("a/", b"src/lib.rs"), "a/src/lib.rs");
        assert_eq!(name("b/", b"bad\xffname"), "\"b/bad\\377name\"");
        assert_eq!(name("a/", b"say \"hi\"\t.txt"), "\"a/say \\\"hi\\\"\\t.txt\"");
        assert_eq!(label("+++", "b/", b"with space.txt", true), "+++ b/with space.txt\t\n");
        assert_eq!(label("---", "a/", b"gone", false), "--- /dev/null\n");
    }
}
