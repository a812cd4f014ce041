//! A git-style patch that undoes a receipt's changes inside the working directory, built by
//! reversing the receipt's forward unified diffs. `git apply` and `patch -p1`, run in the
//! directory after the command, give back the files as they were before it.
//!
//! Modes follow git's model: a regular file is `100644` or `100755` (the owner's execute
//! bit), a symlink `120000` with its target as content. What a patch cannot carry (binary
//! content, directories, changes of type, diffs cut short, other permission bits) is
//! listed in `#` comment lines at the top, which both tools skip.

use std::fmt::Write;

use runglass_model::ByteString;
use runglass_model::path_bytes::is_plain_relative;
use runglass_model::receipt::{ChangeKind, Diff, FileChange, FileKind, FileState, Receipt};

use crate::patch_name::{label, name};

/// git's ids of no file and of the empty blob. `patch` creates or deletes an empty file
/// from git headers alone only when an `index` line names them; git does not need it.
const NO_BLOB: &str = "0000000";
const EMPTY_BLOB: &str = "e69de29";
const NO_NEWLINE: &str = "\\ No newline at end of file\n";

/// A git-style patch that undoes the receipt's text changes: `git apply` and `patch -p1` apply it
/// cleanly to the after-state and give back the before-state. `full` supplies the complete forward diff
/// for changes whose receipt diff is truncated (None: that file is listed as a comment instead).
pub fn reverse_patch(r: &Receipt, full: &dyn Fn(&FileChange) -> Option<String>) -> String {
    let id = ByteString::from(r.id.as_str()).escaped();
    if r.files.changes.is_empty() {
        return format!("# runglass receipt {id}: no file changes to reverse\n");
    }
    let mut notes = String::new();
    let mut body = String::new();
    for c in &r.files.changes {
        let unreversed = match reverse_change(c, full) {
            Ok(Reversal { patch, unreversed }) => {
                body.push_str(&patch);
                unreversed
            }
            Err(why) => Some(why),
        };
        if let Some(why) = unreversed {
            let _ = writeln!(notes, "# not reversible by this patch: {} ({why})", c.path.escaped());
        }
    }
    let root = r.files.root.escaped();
    format!("# Undoes the file changes of runglass receipt {id}: git apply, or patch -p1, in {root}\n{notes}{body}")
}

/// One change's part of the patch, and what it leaves undone.
struct Reversal {
    patch: String,
    unreversed: Option<String>,
}

fn reverse_change(c: &FileChange, full: &dyn Fn(&FileChange) -> Option<String>) -> Result<Reversal, String> {
    if c.change == ChangeKind::TypeChanged {
        return Err("it changed type".into());
    }
    // Snapshot paths never climb out; a receipt edited to say otherwise gets no patch entry.
    let path = c.path.as_bytes();
    if !is_plain_relative(path) {
        return Err("not a path inside the working directory".into());
    }
    match c.after.as_ref().or(c.before.as_ref()).map(|s| s.kind) {
        Some(FileKind::File) => regular(c, full),
        Some(FileKind::Symlink) => symlink(c).map(|patch| Reversal { patch, unreversed: None }),
        Some(FileKind::Dir) => Err(format!("directory {}", c.change.as_str())),
        Some(FileKind::Other) => Err("not a regular file or symlink".into()),
        None => Err("no state recorded".into()),
    }
}

fn regular(c: &FileChange, full: &dyn Fn(&FileChange) -> Option<String>) -> Result<Reversal, String> {
    let mut head = diff_git(&c.path);
    let mut unreversed = None;
    // The reversed direction: what is there now becomes what was there before.
    let (now, then) = (c.after.as_ref(), c.before.as_ref());
    match (now, then) {
        (Some(now), None) => {
            let _ = writeln!(head, "deleted file mode {}", git_mode(now.mode));
        }
        (None, Some(then)) => {
            let _ = writeln!(head, "new file mode {}", git_mode(then.mode));
            if then.mode != 0o644 && then.mode != 0o755 {
                unreversed = Some(format!(
                    "mode {:o} comes back as {}: git patches carry only the execute bit",
                    then.mode,
                    &git_mode(then.mode)[3..]
                ));
            }
        }
        (Some(now), Some(then)) if git_mode(now.mode) != git_mode(then.mode) => {
            let _ = writeln!(head, "old mode {}\nnew mode {}", git_mode(now.mode), git_mode(then.mode));
        }
        (Some(now), Some(then)) if now.mode != then.mode => {
            unreversed = Some(format!(
                "mode {:o} -> {:o} not restored: git patches carry only the execute bit",
                now.mode, then.mode
            ));
        }
        _ => {}
    }
    let hunks = match &c.diff {
        Diff::Text { unified, truncated: false, .. } => reverse_hunks(unified)?,
        Diff::Text { truncated: true, .. } => reverse_hunks(&full(c).ok_or("diff cut short in the receipt")?)?,
        Diff::None if !c.content_changed => String::new(),
        Diff::None if now.is_some() != then.is_some() && is_empty(now) && is_empty(then) => {
            let (from, to) = if now.is_some() { (EMPTY_BLOB, NO_BLOB) } else { (NO_BLOB, EMPTY_BLOB) };
            let _ = writeln!(head, "index {from}..{to}");
            String::new()
        }
        Diff::None => return Err("content change not recorded".into()),
        Diff::Binary => return Err("binary content".into()),
        Diff::Capped => return Err("over the snapshot cap".into()),
        Diff::Unavailable { reason } => return Err(format!("content unavailable: {reason}")),
    };
    let mode_only = now.is_some() && then.is_some() && hunks.is_empty();
    if mode_only && head.lines().count() == 1 {
        // Nothing git can express changed: no entry at all, or the tools would reject it.
        return Ok(Reversal { patch: String::new(), unreversed });
    }
    if !hunks.is_empty() {
        head.push_str(&label("---", "a/", c.path.as_bytes(), now.is_some()));
        head.push_str(&label("+++", "b/", c.path.as_bytes(), then.is_some()));
    }
    Ok(Reversal { patch: head + &hunks, unreversed })
}

/// A side that does not exist or is an empty file.
fn is_empty(s: Option<&FileState>) -> bool {
    s.is_none_or(|s| s.size == 0)
}

/// A symlink in git's form: mode 120000, the target as one line without a newline. A link
/// that changed target is removed and made again, since `patch` refuses to edit a link.
fn symlink(c: &FileChange) -> Result<String, String> {
    let target = |s: Option<&FileState>| -> Result<Option<String>, String> {
        let Some(s) = s else { return Ok(None) };
        let t = s.target.as_ref().ok_or("symlink target not recorded")?;
        match std::str::from_utf8(t.as_bytes()) {
            Ok(t) if !t.contains('\n') => Ok(Some(t.to_string())),
            _ => Err("symlink target is not one line of UTF-8".into()),
        }
    };
    let (now, then) = (target(c.after.as_ref())?, target(c.before.as_ref())?);
    if now == then {
        return Err("nothing to reverse".into());
    }
    let mut out = String::new();
    if let Some(now) = now {
        out.push_str(&diff_git(&c.path));
        out.push_str("deleted file mode 120000\n");
        out.push_str(&label("---", "a/", c.path.as_bytes(), true));
        let _ = write!(out, "+++ /dev/null\n@@ -1 +0,0 @@\n-{now}\n{NO_NEWLINE}");
    }
    if let Some(then) = then {
        out.push_str(&diff_git(&c.path));
        out.push_str("new file mode 120000\n--- /dev/null\n");
        out.push_str(&label("+++", "b/", c.path.as_bytes(), true));
        let _ = write!(out, "@@ -0,0 +1 @@\n+{then}\n{NO_NEWLINE}");
    }
    Ok(out)
}

/// Where a hunk body line came from in the forward diff.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Context,
    Removed,
    Added,
}

/// The hunks of a forward unified diff, reversed: ranges swapped, `-` and `+` swapped, and in
/// each run of changes the new removals (the forward additions) before the new additions.
/// A `\ No newline at end of file` marker stays with the line it follows. Anything before
/// the first hunk (the `---`/`+++` names) is left out; a diff that does not read as hunks
/// whose line counts match their headers is refused.
fn reverse_hunks(unified: &str) -> Result<String, String> {
    let malformed = || "the receipt's diff is malformed".to_string();
    let mut lines = unified.split_inclusive('\n').skip_while(|l| !l.starts_with("@@ ")).peekable();
    let mut out = String::new();
    while let Some(header) = lines.next() {
        let (old, new, rest) = hunk_header(header).ok_or_else(malformed)?;
        let _ = write!(out, "@@ -{new} +{old} @@{rest}");
        let (mut old_left, mut new_left) =
            (range_len(old).ok_or_else(malformed)?, range_len(new).ok_or_else(malformed)?);
        // Forward removals and additions of the current run of changes, markers attached.
        let (mut removed, mut added): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        let mut last = None;
        while let Some(line) = lines.next_if(|l| !l.starts_with("@@ ")) {
            // Lines from split_inclusive are never empty; the sign is one ASCII byte.
            let rest = line.get(1..).unwrap_or_default();
            let side = match line.as_bytes().first() {
                Some(b' ' | b'\n') => Side::Context,
                Some(b'-') => Side::Removed,
                Some(b'+') => Side::Added,
                Some(b'\\') => {
                    match last {
                        Some(Side::Context) => out.push_str(line),
                        Some(Side::Removed) => removed.last_mut().ok_or_else(malformed)?.push_str(line),
                        Some(Side::Added) => added.last_mut().ok_or_else(malformed)?.push_str(line),
                        None => return Err(malformed()),
                    }
                    continue;
                }
                _ => return Err(malformed()),
            };
            if side != Side::Added {
                old_left = old_left.checked_sub(1).ok_or_else(malformed)?;
            }
            if side != Side::Removed {
                new_left = new_left.checked_sub(1).ok_or_else(malformed)?;
            }
            match side {
                Side::Context => {
                    flush(&mut out, &mut removed, &mut added);
                    out.push_str(line);
                }
                Side::Removed => removed.push(rest.to_string()),
                Side::Added => added.push(rest.to_string()),
            }
            last = Some(side);
        }
        flush(&mut out, &mut removed, &mut added);
        if old_left != 0 || new_left != 0 {
            return Err(malformed());
        }
    }
    if out.is_empty() {
        return Err(malformed());
    }
    Ok(out)
}

/// Writes a run of changes reversed: what was added is removed, then what was removed is added.
fn flush(out: &mut String, removed: &mut Vec<String>, added: &mut Vec<String>) {
    for l in added.drain(..) {
        out.push('-');
        out.push_str(&l);
    }
    for l in removed.drain(..) {
        out.push('+');
        out.push_str(&l);
    }
}

/// `@@ -1,3 +1,5 @@ section` as its old range, new range, and the rest of the line.
fn hunk_header(line: &str) -> Option<(&str, &str, &str)> {
    let ranges = line.strip_prefix("@@ -")?;
    let (old, ranges) = ranges.split_once(" +")?;
    let (new, rest) = ranges.split_once(" @@")?;
    Some((old, new, rest))
}

/// The line count of a hunk range: `start,count`, or `start` alone for one line.
fn range_len(range: &str) -> Option<u64> {
    match range.split_once(',') {
        Some((start, len)) => start.parse::<u64>().ok().and(len.parse().ok()),
        None => range.parse::<u64>().ok().map(|_| 1),
    }
}

/// git's mode for a regular file: only the owner's execute bit counts.
fn git_mode(mode: u32) -> &'static str {
    if mode & 0o100 != 0 { "100755" } else { "100644" }
}

/// The `diff --git` line. A name with a space is quoted there: `patch` cannot split the
/// line otherwise, and an entry without `---`/`+++` lines (a mode change, an empty file) has
/// no other name.
fn diff_git(path: &ByteString) -> String {
    let side = |prefix| {
        let shown = name(prefix, path.as_bytes());
        if !shown.starts_with('"') && shown.contains(' ') { format!("\"{shown}\"") } else { shown }
    };
    format!("diff --git {} {}\n", side("a/"), side("b/"))
}

