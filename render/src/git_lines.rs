//! The receipt's git facts in words, shared by every format: where HEAD was and went, the
//! commits added and dropped, the branches and tags created, deleted and moved, the
//! configuration changed, and the git commands that undo what `runglass revert` does not.
//!
//! Names, subjects and values come from the repository, which the command may have
//! written: lines escape them ([`ByteString::escaped`]); commands quote them for a POSIX
//! shell ([`sh_word`]), so that a tag named `$(rm -rf ~)` is printed as text to paste,
//! never as a command inside the command.

use runglass_model::ByteString;
use runglass_model::receipt::{Files, GitConfigChange, GitConfigEdit, GitInfo, GitRefChange};

/// Commit ids are shown this long (the receipt has them whole).
const SHORT_ID: usize = 12;

/// An id cut to [`SHORT_ID`], escaped (a receipt is untrusted too).
pub fn short_id(id: &str) -> String {
    ByteString::from(id.get(..SHORT_ID).unwrap_or(id)).escaped()
}

/// `main @ 1a2b3c4d5e6f`, `detached HEAD @ 1a2b3c4d5e6f`, `main (no commits)`.
pub fn head(commit: Option<&str>, branch: Option<&ByteString>) -> String {
    let branch = branch.map_or_else(|| "detached HEAD".to_string(), ByteString::escaped);
    match commit {
        Some(c) => format!("{branch} @ {}", short_id(c)),
        None => format!("{branch} (no commits)"),
    }
}

/// HEAD before the command.
pub fn head_before(g: &GitInfo) -> String {
    if g.created {
        return "no repository".to_string();
    }
    head(g.commit.as_deref(), g.branch.as_ref())
}

/// HEAD after the command, when it was read and differs from before.
pub fn head_after(g: &GitInfo) -> Option<String> {
    let a = g.after.as_ref()?;
    (g.created || a.commit != g.commit || a.branch != g.branch).then(|| head(a.commit.as_deref(), a.branch.as_ref()))
}

/// How HEAD moved, in words: `switched from main to feature`, `2 commits forward`,
/// `3 commits back (a reset)`, `rewritten: 1 commit dropped, 1 added`. None when it
/// did not move (or was not read after the command).
pub fn head_move(g: &GitInfo) -> Option<String> {
    if g.created {
        return Some("repository created by the command".to_string());
    }
    let a = g.after.as_ref()?;
    let mut parts = Vec::new();
    if a.branch != g.branch {
        let name = |b: Option<&ByteString>| b.map_or_else(|| "a detached HEAD".to_string(), ByteString::escaped);
        parts.push(format!("switched from {} to {}", name(g.branch.as_ref()), name(a.branch.as_ref())));
    }
    if a.commit != g.commit {
        let n = |n: u64| commits(n);
        parts.push(match (a.head_behind, a.head_ahead) {
            (0, 0) => "moved".to_string(),
            (0, ahead) => format!("{} forward", n(ahead)),
            (behind, 0) => format!("{} back (a reset)", n(behind)),
            (behind, ahead) => {
                format!("rewritten: {} dropped, {ahead} added (an amend, a rebase or a reset)", n(behind))
            }
        });
    }
    (!parts.is_empty()).then(|| format!("HEAD {}", parts.join("; ")))
}

/// `1 commit`, `3 commits`.
fn commits(n: u64) -> String {
    format!("{n} commit{}", if n == 1 { "" } else { "s" })
}

/// Whether the command changed anything git records (HEAD, refs, commits, configuration).
pub fn changed(g: &GitInfo) -> bool {
    if g.created {
        return true;
    }
    let moved = g
        .after
        .as_ref()
        .is_some_and(|a| a.commit != g.commit || a.branch != g.branch || !a.refs.is_empty() || a.refs_more > 0);
    moved || !g.config.is_empty() || g.config_more > 0
}

/// Whether revert leaves something in git undone: HEAD or a ref moved, or the repository
/// is new.
pub fn history_changed(g: &GitInfo) -> bool {
    g.created
        || g.after
            .as_ref()
            .is_some_and(|a| a.commit != g.commit || a.branch != g.branch || !a.refs.is_empty() || a.refs_more > 0)
}

/// `2 commits added, 1 branch moved, 1 tag created, 1 configuration key changed`: the
/// counts, for one-line places. None when nothing changed.
pub fn summary(g: &GitInfo) -> Option<String> {
    let mut parts = history_parts(g);
    let config = g.config.len() as u64 + g.config_more;
    if config > 0 {
        let programs = g.config.iter().filter(|c| c.runs_program).count();
        let which = if programs > 0 { format!(" ({programs} that run programs)") } else { String::new() };
        parts.push(format!("{config} configuration change{}{which}", if config == 1 { "" } else { "s" }));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The counts of [`summary`] about commits, HEAD and refs only.
fn history_parts(g: &GitInfo) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(a) = &g.after {
        let added = a.commits.len() as u64 + a.commits_more;
        let dropped = a.dropped.len() as u64 + a.dropped_more;
        if added > 0 {
            parts.push(format!("{} added", commits(added)));
        }
        if dropped > 0 {
            parts.push(format!("{} dropped", commits(dropped)));
        }
        if a.branch != g.branch && !g.created {
            parts.push("branch switched".to_string());
        }
        let refs = a.refs.len() as u64 + a.refs_more;
        if refs > 0 {
            parts.push(format!("{refs} branch or tag change{}", if refs == 1 { "" } else { "s" }));
        }
        if a.commit != g.commit && a.branch == g.branch && added + dropped == 0 {
            parts.push("HEAD moved".to_string());
        }
    }
    parts
}

/// One line per thing that changed: commits added, commits dropped, branches and tags,
/// configuration keys, then what could not be read. The lists are as the receipt bounds
/// them, with a line for the rest.
pub fn lines(g: &GitInfo) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = &g.after {
        for c in &a.commits {
            out.push(format!("commit {} added: {}", short_id(&c.id), c.subject.escaped()));
        }
        if a.commits_more > 0 {
            out.push(format!("... and {} more added", commits(a.commits_more)));
        }
        for c in &a.dropped {
            out.push(format!("commit {} dropped (on no branch or tag now): {}", short_id(&c.id), c.subject.escaped()));
        }
        if a.dropped_more > 0 {
            out.push(format!("... and {} more dropped", commits(a.dropped_more)));
        }
        out.extend(a.refs.iter().map(ref_line));
        if a.refs_more > 0 {
            out.push(format!("... and {} more branch or tag changes", a.refs_more));
        }
    }
    out.extend(g.config.iter().map(config_line));
    if g.config_more > 0 {
        out.push(format!("... and {} more configuration changes", g.config_more));
    }
    out.extend(g.limits.iter().map(|l| format!("not seen: {}", ByteString::from(l.as_str()).printable())));
    out
}

/// `branch feature created at 1a2b3c4d5e6f`, `tag v1 moved 1a2b… -> 3c4d…`.
pub fn ref_line(r: &GitRefChange) -> String {
    let (kind, name) = match (r.branch(), r.tag()) {
        (Some(name), _) => ("branch", name),
        (_, Some(name)) => ("tag", name),
        _ => ("ref", r.name.as_bytes()),
    };
    let name = ByteString::from(name).escaped();
    match (&r.before, &r.after) {
        (None, Some(a)) => format!("{kind} {name} created at {}", short_id(a)),
        (Some(b), None) => format!("{kind} {name} deleted (was {})", short_id(b)),
        (Some(b), Some(a)) => format!("{kind} {name} moved {} -> {}", short_id(b), short_id(a)),
        (None, None) => format!("{kind} {name}"),
    }
}

/// `config core.hookspath added: /tmp/h (runs programs; in /r/.git/config)`, or for a key
/// whose values are not kept, `config user.email changed (in /r/.git/config)`.
pub fn config_line(c: &GitConfigChange) -> String {
    let values = |v: &[ByteString]| v.iter().map(ByteString::escaped).collect::<Vec<_>>().join("; ");
    let value = match (c.runs_program, c.change) {
        (false, _) => String::new(),
        (true, GitConfigEdit::Added) => format!(": {}", values(&c.after)),
        (true, GitConfigEdit::Removed) => format!(": was {}", values(&c.before)),
        (true, GitConfigEdit::Changed) => format!(": {} -> {}", values(&c.before), values(&c.after)),
    };
    let files = c.files.iter().map(ByteString::escaped).collect::<Vec<_>>().join(", ");
    let program = if c.runs_program { "runs programs; " } else { "" };
    let place = if files.is_empty() && program.is_empty() { String::new() } else { format!(" ({program}in {files})") };
    format!("config {} {}{value}{place}", c.key.escaped(), c.change.as_str())
}

/// Whether a receipt's file changes hold git's own record of HEAD and the refs (the trace
/// saw the command write them in a `.git` directory, in deep mode): reverting those files
/// puts HEAD and the branches back too.
pub fn reverts_git_refs(files: &Files) -> bool {
    files.counted_changes().any(|c| {
        let parts: Vec<&[u8]> = c.path.as_bytes().split(|&b| b == b'/').collect();
        parts.windows(2).any(|w| w[0] == b".git" && matches!(w[1], b"refs" | b"HEAD" | b"packed-refs"))
    })
}

/// What to tell someone about to revert: revert restores files, not git's history, unless
/// (`reverts_refs`, see [`reverts_git_refs`]) the receipt holds the files git keeps it in.
pub fn revert_note(g: &GitInfo, reverts_refs: bool) -> Option<String> {
    if !history_changed(g) {
        return None;
    }
    if reverts_refs && !g.created {
        let what = history_parts(g).join(", ");
        return Some(format!(
            "Revert restores files, and this receipt holds the files the command wrote in git's own directory \
             (refs, index, objects): reverting all of them puts HEAD and the branches back as they were ({what}). \
             To undo it in git instead, keeping those files, run in {}:",
            g.root.escaped()
        ));
    }
    if g.created {
        return Some(format!(
            "Revert restores files only: the command created the git repository at {}, and revert does not \
             remove its git directory (only the hooks, info/ and config files it recorded there).",
            g.root.escaped()
        ));
    }
    let what = history_parts(g).join(", ");
    Some(format!(
        "Revert restores files only: it does not undo what the command did in git ({what}). \
         These commands would, run in {}:",
        g.root.escaped()
    ))
}

/// The git commands that put HEAD, the branches and the tags back as they were before the
/// command, in order: deleted refs come back first, HEAD returns to its branch (or commit),
/// moved refs go back, created refs go. `git reset --soft` moves the branch without touching
/// files or the index. Empty when nothing moved, when HEAD was not read after the command,
/// and for a repository the command created (no command short of removing it undoes that).
pub fn undo_commands(g: &GitInfo) -> Vec<String> {
    let Some(a) = g.after.as_ref().filter(|_| !g.created) else { return Vec::new() };
    let mut cmds = Vec::new();
    let head_ref = g.branch.as_ref().map(|b| [b"refs/heads/".as_slice(), b.as_bytes()].concat());
    let is_head = |r: &GitRefChange| head_ref.as_deref() == Some(r.name.as_bytes());
    let mut head_done = false;
    for r in &a.refs {
        if let (Some(b), None) = (&r.before, &r.after) {
            cmds.push(match r.branch() {
                Some(name) => format!("git branch -- {} {}", sh_word(name), sh_word(b.as_bytes())),
                None => format!("git update-ref {} {}", sh_word(r.name.as_bytes()), sh_word(b.as_bytes())),
            });
        }
    }
    if a.branch != g.branch {
        match (&g.branch, &g.commit) {
            (Some(b), Some(_)) => cmds.push(format!("git switch -- {}", sh_word(b.as_bytes()))),
            (Some(b), None) => {
                let full = [b"refs/heads/".as_slice(), b.as_bytes()].concat();
                cmds.push(format!("git symbolic-ref HEAD {}", sh_word(&full)));
            }
            (None, Some(c)) => {
                cmds.push(format!("git switch --detach {}", sh_word(c.as_bytes())));
                head_done = true;
            }
            (None, None) => {}
        }
    }
    for r in &a.refs {
        let (Some(b), Some(_)) = (&r.before, &r.after) else { continue };
        if is_head(r) {
            cmds.push(format!("git reset --soft {}", sh_word(b.as_bytes())));
            head_done = true;
        } else if let Some(name) = r.branch() {
            cmds.push(format!("git branch -f -- {} {}", sh_word(name), sh_word(b.as_bytes())));
        } else {
            cmds.push(format!("git update-ref {} {}", sh_word(r.name.as_bytes()), sh_word(b.as_bytes())));
        }
    }
    for r in &a.refs {
        let (None, Some(_)) = (&r.before, &r.after) else { continue };
        if is_head(r) {
            // HEAD's branch had no commit before: deleting the ref gives it none again.
            cmds.push(format!("git update-ref -d {}", sh_word(r.name.as_bytes())));
            head_done = true;
        } else if let Some(name) = r.branch() {
            cmds.push(format!("git branch -D -- {}", sh_word(name)));
        } else if let Some(name) = r.tag() {
            cmds.push(format!("git tag -d -- {}", sh_word(name)));
        } else {
            cmds.push(format!("git update-ref -d {}", sh_word(r.name.as_bytes())));
        }
    }
    // HEAD moved with no ref listed for it: a detached HEAD, or a list cut short.
    if !head_done
        && a.commit != g.commit
        && (a.branch == g.branch || g.branch.is_none())
        && let Some(c) = &g.commit
    {
        cmds.push(format!("git reset --soft {}", sh_word(c.as_bytes())));
    }
    if a.refs_more > 0 {
        cmds.push(format!("# and {} more branch or tag changes, listed in receipt.json", a.refs_more));
    }
    cmds
}

/// One word for a POSIX shell, to paste: as is when it holds only characters no shell
/// treats specially; in single quotes when it is printable text; otherwise as `$'...'`
/// with every other byte as `\xNN` (bash, zsh, ksh and POSIX.1-2024 shells read it).
pub fn sh_word(word: &[u8]) -> String {
    // `=` first is zsh's command lookup (`=ls`); `~` first, a home directory.
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
    if !word.is_empty() && word.iter().all(plain) && word[0] != b'=' {
        return String::from_utf8_lossy(word).into_owned();
    }
    match std::str::from_utf8(word) {
        Ok(text) if !text.chars().any(char::is_control) => format!("'{}'", text.replace('\'', "'\\''")),
        _ => {
            let mut out = String::from("$'");
            for &b in word {
                match b {
                    b'\'' | b'\\' => {
                        out.push('\\');
                        out.push(b as char);
                    }
                    0x20..=0x7e => out.push(b as char),
                    _ => out.push_str(&format!("\\x{b:02x}")),
                }
            }
            out.push('\'');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use runglass_model::receipt::{GitAfter, GitCommit};

    use super::*;

    fn info(branch: Option<&str>, commit: Option<&str>, after: GitAfter) -> GitInfo {
        GitInfo {
            root: "/r".into(),
            commit: commit.map(Into::into),
            branch: branch.map(Into::into),
            dirty_before: false,
            dirty_after: false,
            after: Some(after),
            config: Vec::new(),
            config_more: 0,
            hooks_dir: None,
            created: false,
            limits: Vec::new(),
        }
    }

    fn moved(name: &str, before: Option<&str>, after: Option<&str>) -> GitRefChange {
        GitRefChange { name: name.into(), before: before.map(Into::into), after: after.map(Into::into) }
    }

    #[test]
    fn a_commit_on_the_branch_is_undone_by_a_soft_reset() {
        let after = GitAfter {
            commit: Some("bbbb".into()),
            branch: Some("main".into()),
            head_ahead: 1,
            commits: vec![GitCommit { id: "bbbb".into(), subject: "msg".into() }],
            refs: vec![moved("refs/heads/main", Some("aaaa"), Some("bbbb"))],
            ..GitAfter::default()
        };
        let g = info(Some("main"), Some("aaaa"), after);
        assert_eq!(undo_commands(&g), ["git reset --soft aaaa"]);
        assert_eq!(head_move(&g).as_deref(), Some("HEAD 1 commit forward"));
        assert_eq!(lines(&g), ["commit bbbb added: msg", "branch main moved aaaa -> bbbb"]);
    }

    #[test]
    fn a_switch_to_a_new_branch_and_a_new_tag_are_undone_in_order() {
        let after = GitAfter {
            commit: Some("bbbb".into()),
            branch: Some("feat".into()),
            refs: vec![
                moved("refs/heads/feat", None, Some("bbbb")),
                moved("refs/heads/gone", Some("cccc"), None),
                moved("refs/tags/v1", None, Some("bbbb")),
                moved("refs/tags/v0", Some("dddd"), Some("eeee")),
            ],
            ..GitAfter::default()
        };
        let g = info(Some("main"), Some("aaaa"), after);
        assert_eq!(
            undo_commands(&g),
            [
                "git branch -- gone cccc",
                "git switch -- main",
                "git update-ref refs/tags/v0 dddd",
                "git branch -D -- feat",
                "git tag -d -- v1",
            ]
        );
    }

    #[test]
    fn the_first_commit_of_a_new_repository_is_undone_by_deleting_the_branch() {
        let after = GitAfter {
            commit: Some("bbbb".into()),
            branch: Some("main".into()),
            refs: vec![moved("refs/heads/main", None, Some("bbbb"))],
            ..GitAfter::default()
        };
        assert_eq!(undo_commands(&info(Some("main"), None, after)), ["git update-ref -d refs/heads/main"]);
    }

    #[test]
    fn a_detached_head_that_moved_is_reset() {
        let after = GitAfter { commit: Some("bbbb".into()), head_behind: 2, ..GitAfter::default() };
        let g = info(None, Some("aaaa"), after);
        assert_eq!(undo_commands(&g), ["git reset --soft aaaa"]);
        assert_eq!(head_move(&g).as_deref(), Some("HEAD 2 commits back (a reset)"));
    }

    #[test]
    fn hostile_names_are_quoted_for_the_shell_and_escaped_for_the_terminal() {
        let after = GitAfter {
            commit: Some("aaaa".into()),
            branch: Some("main".into()),
            refs: vec![
                moved("refs/tags/$(touch pwned)'x", None, Some("aaaa")),
                moved("refs/tags/x", None, Some("aaaa")),
            ],
            ..GitAfter::default()
        };
        let mut g = info(Some("main"), Some("aaaa"), after);
        g.after.as_mut().unwrap().refs[1].name = ByteString(b"refs/tags/\x1b[2J\xff".to_vec());
        let cmds = undo_commands(&g);
        assert_eq!(cmds[0], r"git tag -d -- '$(touch pwned)'\''x'");
        assert_eq!(cmds[1], r"git tag -d -- $'\x1b[2J\xff'");
        assert!(lines(&g).iter().all(|l| !l.contains('\x1b')), "{:?}", lines(&g));
        assert_eq!(sh_word(b"-x"), "-x");
        assert_eq!(sh_word(b"~root"), "'~root'");
        assert_eq!(sh_word(b"=ls"), "'=ls'");
        assert_eq!(sh_word(b""), "''");
    }

    #[test]
    fn nothing_to_undo_when_nothing_moved() {
        let after = GitAfter { commit: Some("aaaa".into()), branch: Some("main".into()), ..GitAfter::default() };
        let g = info(Some("main"), Some("aaaa"), after);
        assert!(undo_commands(&g).is_empty());
        assert!(revert_note(&g, false).is_none() && head_move(&g).is_none() && !changed(&g));
    }
}
