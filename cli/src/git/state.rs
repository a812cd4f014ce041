//! One reading of a repository: HEAD, the checked-out branch, the local branches and tags,
//! the configuration, and whether the work tree has uncommitted changes. Four gits, one
//! after another: the status needs the configuration's filter drivers, to disarm them.

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
    let mut note = |what: &str, e: GitError| limits.push(format!("{what} {when}: {e}"));
    let refs = read_refs(runner).map_err(|e| note("HEAD, branches and tags", e)).ok();
    let config = runner
        .run(&["config", "--list", "-z", "--show-origin"])
        .and_then(|ran| ran.ok())
        .map(|listing| config::parse(&listing, top))
        .map_err(|e| note("the configuration", e))
        .ok();
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

fn read_refs(runner: &Runner) -> Result<Refs, GitError> {
    // 1: HEAD is detached.
    let (code, symbolic) = runner.run(&["symbolic-ref", "-q", "HEAD"])?.ok_or_code(&[1])?;
    let branch = (code == 0).then(|| {
        let full = trimmed(&symbolic);
        full.strip_prefix(b"refs/heads/").unwrap_or(full).to_vec()
    });
    // 1: no ref at all (a new repository), and HEAD names no commit.
    let (_, listed) = runner.run(&["show-ref", "--head", "--heads", "--tags"])?.ok_or_code(&[1])?;
    let mut refs = Refs { branch, ..Refs::default() };
    for line in listed.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let Some(at) = line.iter().position(|&b| b == b' ') else { continue };
        let (id, name) = (String::from_utf8_lossy(&line[..at]).into_owned(), &line[at + 1..]);
        if name == b"HEAD" {
            refs.head = Some(id);
        } else {
            refs.refs.insert(name.to_vec(), id);
        }
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
