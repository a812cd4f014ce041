//! Paths as bytes, by their text alone: joining, normalising, and the test for a path a
//! receipt may name inside its root. The workspace's one copy of each: the tracer makes a
//! tracee's paths absolute with them, the fold normalises directories that are gone, and
//! revert, validate and the reverse patch refuse what is not plain.
//!
//! Nothing here touches the file system, so `..` is kept by [`normalize`] (a symlink may
//! stand before it, and only a walk can tell where it leads); [`resolve_dot_dot`] is for
//! paths whose directories no longer exist, where the text is all there is.

/// `base/rel`, normalised as [`normalize`] does.
pub fn join(base: &[u8], rel: &[u8]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(base.len() + 1 + rel.len());
    joined.extend_from_slice(base);
    joined.push(b'/');
    joined.extend_from_slice(rel);
    normalize(&joined)
}

/// An absolute path with `.` components, repeated slashes and a trailing slash dropped;
/// `..` is kept.
pub fn normalize(path: &[u8]) -> Vec<u8> {
    rebuild(path, false)
}

/// An absolute path as [`normalize`] makes it, with each `..` also taking away the name
/// before it; it never climbs above `/`.
pub fn resolve_dot_dot(path: &[u8]) -> Vec<u8> {
    rebuild(path, true)
}

/// Whether `rel` is a path a receipt may name inside its root: relative, not empty, no
/// NUL, and made of plain names (no `.`, `..` or empty component).
pub fn is_plain_relative(rel: &[u8]) -> bool {
    !rel.is_empty()
        && !rel.contains(&0)
        && rel.split(|&b| b == b'/').all(|part| !part.is_empty() && part != b"." && part != b"..")
}

fn rebuild(path: &[u8], resolve: bool) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." if resolve => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for part in parts {
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_cleans_without_touching_dot_dot() {
        assert_eq!(join(b"/home/u", b"./a//b/"), b"/home/u/a/b");
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"/a/b", b"../c"), b"/a/b/../c");
        assert_eq!(normalize(b"//"), b"/");
        assert_eq!(join(b"/t", b"\xff name\n"), b"/t/\xff name\n");
    }

    #[test]
    fn resolving_dot_dot_never_climbs_above_the_root() {
        assert_eq!(resolve_dot_dot(b"/a/../../b/./c/"), b"/b/c");
        assert_eq!(resolve_dot_dot(b"/.."), b"/");
    }

    #[test]
    fn only_plain_relative_paths_are_plain() {
        assert!(is_plain_relative(b"a/b c/\xff"));
        for bad in [&b""[..], b"/a", b"a/../b", b"./a", b"a//b", b"a/", b"a\0b", b".."] {
            assert!(!is_plain_relative(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
