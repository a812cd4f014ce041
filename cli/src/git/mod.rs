//! The git repository a command ran in, read with the `git` program: commit, branch and
//! whether the work tree has uncommitted changes. No repository (or no git) means none.

use std::path::Path;
use std::process::{Command, Stdio};

/// HEAD, branch and dirtiness as the command found them.
pub struct GitBefore {
    pub root: Vec<u8>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
}

/// Reads the repository that contains `dir`, if any.
pub fn inspect(dir: &Path) -> Option<GitBefore> {
    if !may_be_in_repository(dir) {
        return None;
    }
    let root = git(dir, &["rev-parse", "--show-toplevel"])?;
    let commit = git(dir, &["rev-parse", "--verify", "-q", "HEAD"]).map(lossy);
    let branch = git(dir, &["symbolic-ref", "--short", "-q", "HEAD"]).map(lossy);
    Some(GitBefore { root, commit, branch, dirty: is_dirty(dir) })
}

/// False when git would find no work tree for `dir`: no `.git` in it or any directory above,
/// and no `GIT_DIR` or `GIT_WORK_TREE` to point elsewhere. Most runs outside a repository are
/// then spared starting git, a millisecond or more before the command can start.
fn may_be_in_repository(dir: &Path) -> bool {
    let pointed = ["GIT_DIR", "GIT_WORK_TREE"].iter().any(|var| std::env::var_os(var).is_some());
    pointed || dir.ancestors().any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

/// Whether the work tree has uncommitted changes, tracked or untracked.
pub fn is_dirty(dir: &Path) -> bool {
    git(dir, &["status", "--porcelain", "--untracked-files=normal"]).is_some_and(|out| !out.is_empty())
}

fn lossy(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

/// Runs git in `dir` and returns its trimmed stdout when it succeeds. Optional locks are
/// off so that reading the status never rewrites the index under the command's feet. The
/// fsmonitor hook is off: it is a program named by the repository's config, which the
/// command may have just written, and it would run after the observation, unseen.
pub fn git(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.fsmonitor=false"])
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut s = out.stdout;
    while s.last().is_some_and(|b| b.is_ascii_whitespace()) {
        s.pop();
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_git_entry_in_the_directory_or_above_means_a_repository_may_be_there() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        // The temporary directory may itself sit inside a repository; only a clean one tells.
        let outside = !dir.path().ancestors().any(|d| d.join(".git").exists())
            && std::env::var_os("GIT_DIR").is_none()
            && std::env::var_os("GIT_WORK_TREE").is_none();
        if outside {
            assert!(!may_be_in_repository(&deep));
        }
        // A worktree's or submodule's `.git` is a file, and counts as much as a directory.
        std::fs::write(dir.path().join("a/.git"), "gitdir: elsewhere\n").unwrap();
        assert!(may_be_in_repository(&deep));
    }
}
