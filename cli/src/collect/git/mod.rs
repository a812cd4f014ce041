//! The git repository a command ran in, read with the `git` program before and after the
//! command: HEAD, the branch, the local branches and tags, the configuration and whether
//! the work tree has uncommitted changes, and from the two readings the commits made and
//! dropped, the refs moved and the configuration changed. No repository (or no git) means
//! none. Every git runs under [`run`]'s rules: nothing the repository configures is run.

mod config;
mod history;
mod run;
mod state;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use runglass_model::ByteString;
use runglass_model::receipt::GitInfo;

use run::Runner;
use state::{State, trimmed};

/// The repository as the command found it.
pub struct Before {
    /// The directory git was run in (the command's working directory).
    dir: PathBuf,
    /// The work tree's top level.
    top: PathBuf,
    /// The git directory shared by all work trees (`.git` of the main one).
    common_dir: PathBuf,
    state: State,
}

/// Reads the repository that contains `dir`, if any.
pub fn inspect(dir: &Path) -> Option<Before> {
    if !may_be_in_repository(dir) {
        return None;
    }
    let mut runner = Runner::new(dir);
    let (top, common_dir) = locate(&runner, dir)?;
    let state = state::read(&mut runner, &top, "before the command");
    Some(Before { dir: dir.to_path_buf(), top, common_dir, state })
}

/// Whether no repository can contain `dir`: no `.git` in it or above, no `GIT_DIR`.
pub fn absent(dir: &Path) -> bool {
    !may_be_in_repository(dir)
}

/// The repository the command created around `dir`, when there was none before
/// ([`absent`] said so) and there is one now: compared with nothing, except that the
/// configuration from outside its own git directory (system, global) is taken as it was.
pub fn created(dir: &Path) -> Option<GitInfo> {
    if !may_be_in_repository(dir) {
        return None;
    }
    let mut runner = Runner::new(dir);
    let (top, common_dir) = locate(&runner, dir)?;
    let after = state::read(&mut runner, &top, "after the command");
    let outside = |e: &config::Entry| !Path::new(std::ffi::OsStr::from_bytes(&e.origin)).starts_with(&common_dir);
    let before = State {
        refs: Some(state::Refs::default()),
        config: after.config.as_ref().map(|c| c.iter().filter(|e| outside(e)).cloned().collect()),
        dirty: Some(false),
        limits: Vec::new(),
    };
    let mut info = Before { dir: dir.to_path_buf(), top, common_dir, state: before }.compare(&runner, after);
    info.created = true;
    Some(info)
}

/// The work tree's top level and the common git directory of the repository at `dir`.
fn locate(runner: &Runner, dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let paths = runner.run(&["rev-parse", "--show-toplevel", "--git-common-dir"]).ok()?.ok().ok()?;
    let mut lines = paths.split(|&b| b == b'\n');
    let top = PathBuf::from(std::ffi::OsStr::from_bytes(lines.next()?));
    let common_dir = dir.join(std::ffi::OsStr::from_bytes(lines.next()?));
    Some((top, common_dir))
}

impl Before {
    /// Reads the repository again after the command, and says what changed.
    pub fn finish(self) -> GitInfo {
        let dir = self.dir.clone();
        let mut runner = Runner::new(&dir);
        let after = state::read(&mut runner, &self.top, "after the command");
        self.compare(&runner, after)
    }

    /// This reading and `after`, compared.
    fn compare(self, runner: &Runner, after: State) -> GitInfo {
        let before = self.state;
        let mut limits = before.limits;
        limits.extend(after.limits);
        let moved = match (&before.refs, &after.refs) {
            (Some(b), Some(a)) => Some(history::compare(runner, b, a, &mut limits)),
            _ => None,
        };
        let (config, config_more) = match (&before.config, &after.config) {
            (Some(b), Some(a)) => config::changes(b, a),
            _ => (Vec::new(), 0),
        };
        if before.config.is_some() != after.config.is_some() {
            limits.push("configuration changes: not compared, since only one of the two readings was made".into());
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let hooks_dir =
            after.config.as_deref().map(|a| config::hooks_dir(a, &self.top, &self.common_dir, home.as_deref()));
        if let Some(hooks) = &hooks_dir
            && !Path::new(std::ffi::OsStr::from_bytes(hooks)).starts_with(&self.dir)
        {
            limits.push(format!(
                "the hooks directory {} is outside the working directory: the snapshots do not see it (the trace of \
                 --deep does)",
                ByteString::from(&hooks[..]).shell_word()
            ));
        }
        let refs_before = before.refs.unwrap_or_default();
        GitInfo {
            root: ByteString(self.top.as_os_str().as_bytes().to_vec()),
            commit: refs_before.head,
            branch: refs_before.branch.map(ByteString),
            dirty_before: before.dirty.unwrap_or_default(),
            dirty_after: after.dirty.unwrap_or_default(),
            after: moved,
            config,
            config_more,
            hooks_dir: hooks_dir.map(ByteString),
            created: false,
            limits,
        }
    }
}

/// False when git would find no work tree for `dir`: no `.git` in it or any directory above,
/// and no `GIT_DIR` or `GIT_WORK_TREE` to point elsewhere. Most runs outside a repository are
/// then spared starting git, a millisecond or more before the command can start.
fn may_be_in_repository(dir: &Path) -> bool {
    let pointed = ["GIT_DIR", "GIT_WORK_TREE"].iter().any(|var| std::env::var_os(var).is_some());
    pointed || dir.ancestors().any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

/// Runs git in `dir` under [`run`]'s rules and returns its trimmed stdout when it succeeds.
pub fn git(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Runner::new(dir).run(args).ok()?.ok().ok()?;
    Some(trimmed(&out).to_vec())
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
