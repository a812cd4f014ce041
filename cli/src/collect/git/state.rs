//! One reading of a repository: HEAD, the checked-out branch, the local branches and tags,
//! the configuration, and whether the work tree has uncommitted changes. Three gits in
//! the common case, two at a time: the refs beside the configuration, then the status,
//! which needs the configuration's filter drivers to disarm them.

use std::collections::BTreeMap;
use std::path::Path;

use super::config::{self, Entry};
use super::run::{GitError, Runner, STATUS_TIMEOUT};

/// HEAD and the refs runglass compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Refs {
    /// HEAD's commit; None when HEAD names no commit yet.
    pub head: Option<String>,
    /// The branch HEAD is on (without `refs/heads/`); None on a detached HEAD.
    pub branch: Option<Vec<u8>>,
    /// Every local branch and tag, full name to object id.
    pub refs: BTreeMap<Vec<u8>, String>,
}

/// A reading; each part is None when it could not be read (`limits` then says why).
pub(super) struct State {
    pub refs: Option<Refs>,
    pub config: Option<Vec<Entry>>,
    pub dirty: Option<bool>,
    pub limits: Vec<String>,
}

/// Reads the repository at `runner`'s directory, whose top level is `top`. `when` names
/// the moment in the limits (`before the command`).
pub(super) fn read(runner: &mut Runner, top: &Path, when: &str) -> State {
    let mut limits = Vec::new();
    let sibling = runner.sibling();
    let (refs, config) = std::thread::scope(|s| {
        let refs = s.spawn(move || read_refs(&sibling));
        let config = runner.run(&["config", "--list", "-z", "--show-origin"]).and_then(|ran| ran.ok());
        (refs.join().unwrap_or(Err(GitError::GaveUp)), config)
    });
    let mut note = |what: &str, e: GitError| limits.push(format!("{what} {when}: {e}"));
    let refs = refs.map_err(|e| note("HEAD, branches and tags", e)).ok();
    let config = config.map(|listing| config::parse(&listing, top)).map_err(|e| note("the configuration", e)).ok();
    let dirty = match &config {
        Some(entries) => {
            runner.blank_filters(config::filter_drivers(entries));
            read_dirty(runner).map_err(|e| note("uncommitted changes", e)).ok()
        }
        // Without the filter drivers, `git status` could run one.
        None => {
            limits.push(format!("uncommitted changes {when}: not read, since the configuration was not"));
            None
        }
    };
    State { refs, config, dirty, limits }
}

/// HEAD, its branch, and every local branch and tag: one `for-each-ref`, whose `*` marks
/// HEAD's branch. With no branch marked, HEAD is detached (`rev-parse` names its commit)
/// or on a branch with no commit yet (`symbolic-ref` names the branch).
fn read_refs(runner: &Runner) -> Result<Refs, GitError> {
    let listed = runner
        .run(&["for-each-ref", "--format=%(HEAD) %(objectname) %(refname)", "refs/heads/", "refs/tags/"])?
        .ok()?;
    let mut refs = Refs::default();
    for line in listed.split(|&b| b == b'\n') {
        // `* ID NAME` or `  ID NAME`.
        let (Some(mark), Some(rest)) = (line.first(), line.get(2..)) else { continue };
        let Some(at) = rest.iter().position(|&b| b == b' ') else { continue };
        let (id, name) = (String::from_utf8_lossy(&rest[..at]).into_owned(), &rest[at + 1..]);
        if *mark == b'*' {
            refs.head = Some(id.clone());
            refs.branch = name.strip_prefix(b"refs/heads/").map(<[u8]>::to_vec);
        }
        refs.refs.insert(name.to_vec(), id);
    }
    if refs.branch.is_some() {
        return Ok(refs);
    }
    // 1: HEAD names no commit (its branch has none yet).
    let (code, head) = runner.run(&["rev-parse", "--verify", "-q", "HEAD"])?.ok_or_code(&[1])?;
    if code == 0 {
        refs.head = Some(String::from_utf8_lossy(trimmed(&head)).into_owned());
        return Ok(refs);
    }
    // 1: HEAD is detached (and names nothing).
    let (code, symbolic) = runner.run(&["symbolic-ref", "-q", "HEAD"])?.ok_or_code(&[1])?;
    if code == 0 {
        let full = trimmed(&symbolic);
        refs.branch = Some(full.strip_prefix(b"refs/heads/").unwrap_or(full).to_vec());
    }
    Ok(refs)
}

/// Whether the work tree has uncommitted changes, tracked or untracked. Submodules' work
/// trees are not looked into: git would run in each, under configuration not read here.
fn read_dirty(runner: &Runner) -> Result<bool, GitError> {
    let args: [&[u8]; 4] = [b"status", b"--porcelain", b"--untracked-files=normal", b"--ignore-submodules=dirty"];
    let out = runner.run_with(&args, None, STATUS_TIMEOUT)?.ok()?;
    Ok(!trimmed(&out).is_empty())
}

/// `bytes` without the whitespace git ends its output with.
pub(super) fn trimmed(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii_end()
}
