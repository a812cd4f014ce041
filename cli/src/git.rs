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
    let root = git(dir, &["rev-parse", "--show-toplevel"])?;
    let commit = git(dir, &["rev-parse", "--verify", "-q", "HEAD"]).map(lossy);
    let branch = git(dir, &["symbolic-ref", "--short", "-q", "HEAD"]).map(lossy);
    Some(GitBefore { root, commit, branch, dirty: is_dirty(dir) })
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
