//! The risk rules about git: a hook created or changed, and configuration that makes git
//! run a program set or changed. Both are high: git runs such programs later, on the next
//! commit, checkout, fetch or status, as whoever runs git then, long after the receipt.

use runglass_model::ByteString;
use runglass_model::receipt::{Actor, ChangeKind, FileKind, GitConfigEdit, Receipt, RiskNote, Severity};

use super::risk_note::{actor, capped, note};

/// A file under a git hooks directory (not a `*.sample`) that the command created or
/// changed, inside the working directory or outside it: any `hooks/` below a `.git`
/// directory, and the directory `core.hooksPath` names after the command.
pub(super) fn hook_changed(r: &Receipt) -> Option<RiskNote> {
    let hooks_dir = r.git.as_ref().and_then(|g| g.hooks_dir.as_ref()).map(ByteString::as_bytes);
    let mut evidence = Vec::new();
    let mut consider =
        |full: Vec<u8>, shown: String, change: ChangeKind, kind: Option<FileKind>, by: Option<&Actor>| {
            let changed = matches!(change, ChangeKind::Created | ChangeKind::Modified | ChangeKind::TypeChanged);
            if changed && kind.is_some_and(|k| k != FileKind::Dir) && is_hook(&full, hooks_dir) {
                let by = by.map(|a| format!(" by {}", actor(r, Some(a)))).unwrap_or_default();
                evidence.push(format!("{shown} ({}){by}", change.as_str()));
            }
        };
    for c in &r.files.changes {
        let kind = c.after.as_ref().map(|s| s.kind);
        consider(join(&r.files.root, &c.path), c.path.shell_word(), c.change, kind, c.ended_by());
    }
    for o in &r.files.outside {
        let kind = o.after.as_ref().map(|s| s.kind);
        consider(o.path.as_bytes().to_vec(), o.path.shell_word(), o.change, kind, o.ended_by());
    }
    (!evidence.is_empty()).then(|| {
        note(
            "git-hook-changed",
            Severity::High,
            "A git hook was created or changed",
            format!(
                "{} hook file(s) written. git runs a hook by itself on the next commit, checkout, merge or push in \
                 that repository, as whoever runs git.",
                evidence.len()
            ),
            capped(evidence),
            "Read each hook. Remove any you did not mean to install (`runglass revert` restores the hooks it saw).",
        )
    })
}

/// Whether `path` (absolute) is a hook: below `hooks_dir`, or below a `hooks` directory
/// somewhere under a `.git` directory (a repository's, or a submodule's in
/// `.git/modules/`). Sample hooks are not run by git.
fn is_hook(path: &[u8], hooks_dir: Option<&[u8]>) -> bool {
    if path.ends_with(b".sample") {
        return false;
    }
    let under = |dir: &[u8]| path.len() > dir.len() + 1 && path.starts_with(dir) && path[dir.len()] == b'/';
    if hooks_dir.is_some_and(under) {
        return true;
    }
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let Some(git) = parts.iter().position(|p| *p == b".git") else { return false };
    // `hooks` below `.git`, with something in it.
    parts[git + 1..parts.len().saturating_sub(1)].contains(&&b"hooks"[..])
}

/// Configuration that makes git run a program (or read configuration from elsewhere),
/// added or changed by the command: the key, its new value, the file, and who wrote it.
pub(super) fn config_runs_program(r: &Receipt) -> Option<RiskNote> {
    let g = r.git.as_ref()?;
    let evidence: Vec<String> = g
        .config
        .iter()
        .filter(|c| c.runs_program && c.change != GitConfigEdit::Removed)
        .map(|c| {
            let values: Vec<String> = c.after.iter().map(|v| cut(&v.escaped())).collect();
            let files: Vec<String> = c.files.iter().map(ByteString::shell_word).collect();
            let writer = c.files.iter().find_map(|f| written_by(r, f.as_bytes()));
            let by = writer.map(|a| format!(", by {}", actor(r, Some(a)))).unwrap_or_default();
            format!("{} = {} (in {}{by})", c.key.escaped(), values.join("; "), files.join(", "))
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "git-config-runs-program",
            Severity::High,
            "git was configured to run a program",
            format!(
                "{} configuration key(s) that make git run a program (hooks path, fsmonitor, ssh command, pager, \
                 editor, shell aliases, credential helpers, filters, diff and merge drivers) or read configuration \
                 from elsewhere (include.path) were set or changed.",
                evidence.len()
            ),
            capped(evidence),
            "Check each value with `git config --show-origin --get-all KEY`; remove what you did not set.",
        )
    })
}

/// The process that left the file at `path` (absolute) as it is, when the trace saw it.
fn written_by<'r>(r: &'r Receipt, path: &[u8]) -> Option<&'r Actor> {
    let inside = r.files.changes.iter().find(|c| join(&r.files.root, &c.path) == path).and_then(|c| c.ended_by());
    inside.or_else(|| r.files.outside.iter().find(|o| o.path.as_bytes() == path).and_then(|o| o.ended_by()))
}

fn join(root: &ByteString, rel: &ByteString) -> Vec<u8> {
    let mut p = root.as_bytes().to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(rel.as_bytes());
    p
}

/// A value in evidence is cut to this many characters.
const MAX_VALUE: usize = 200;

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_VALUE) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_are_found_below_git_directories_and_the_configured_hooks_path() {
        assert!(is_hook(b"/r/.git/hooks/pre-commit", None));
        assert!(is_hook(b"/r/.git/modules/sub/hooks/post-checkout", None));
        assert!(is_hook(b"/r/.git/hooks/pre-commit.d/lint", None));
        assert!(!is_hook(b"/r/.git/hooks/pre-commit.sample", None));
        assert!(!is_hook(b"/r/.git/hooks", None), "the directory itself");
        assert!(!is_hook(b"/r/hooks/pre-commit", None));
        assert!(!is_hook(b"/r/.git/config", None));
        assert!(is_hook(b"/tmp/evil/pre-push", Some(b"/tmp/evil")));
        assert!(!is_hook(b"/tmp/evilness", Some(b"/tmp/evil")));
    }
}
