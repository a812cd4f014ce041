//! Running the `git` program so that nothing the repository configures can run.
//!
//! The command under observation may have just written the repository's configuration,
//! its hooks or its attributes, and runglass runs git after it: every git runglass starts
//! is told not to run any program a configuration names. The commands runglass runs
//! (`rev-parse`, `symbolic-ref`, `show-ref`, `config --list`, `status`, `rev-list`, `log`)
//! would reach few of them anyway; each is closed off here all the same, so that a later
//! change of those commands cannot open one:
//!
//! - hooks: `core.hooksPath` points at `/dev/null`, where no hook can be found;
//! - the fsmonitor hook or daemon: `core.fsmonitor=false`;
//! - clean, smudge and process filters (which `git status` runs to compare a file):
//!   each driver the configuration defines gets empty commands and `required=false`, passed
//!   through `GIT_CONFIG_COUNT` so that any driver name survives ([`Runner::blank_filters`]);
//! - submodules: `git status` is asked to ignore their work trees, or it would run git in
//!   each, under configuration runglass has not read;
//! - signatures (`log.showSignature` runs `gpg.program`): off;
//! - the pager: `--no-pager`, and stdout is a pipe;
//! - the network, and with it `core.sshCommand`, credential helpers and lazy fetches of a
//!   partial clone: `protocol.allow=never`, `credential.helper` emptied, `GIT_NO_LAZY_FETCH`,
//!   `GIT_TERMINAL_PROMPT=0`;
//! - replace refs (`refs/replace/`), which could make the history read differ from the
//!   objects: `--no-replace-objects`.
//!
//! Optional locks are off (`GIT_OPTIONAL_LOCKS=0`), so reading the status never rewrites the
//! index under the command's feet. Each git gets [`TIMEOUT`] (the status [`STATUS_TIMEOUT`]):
//! a configuration can include a fifo, on which git would wait forever. After one timeout
//! the runner starts no more git: each would wait on the same thing.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long one git may take.
pub(super) const TIMEOUT: Duration = Duration::from_secs(10);
/// How long `git status` may take: it reads every file of a big work tree whose times changed.
pub(super) const STATUS_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of a git's stderr kept for an error message.
const STDERR_MAX: usize = 4096;

/// Options that close off what git could run, before any subcommand.
const SAFE_OPTIONS: &[&str] = &[
    "--no-pager",
    "--no-replace-objects",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "log.showSignature=false",
    "-c",
    "status.submoduleSummary=false",
    "-c",
    "protocol.allow=never",
    "-c",
    "credential.helper=",
    "-c",
    "core.askPass=",
];

/// Why a git gave no answer.
#[derive(Debug)]
pub(super) enum GitError {
    /// It could not be started (no git installed).
    Spawn(std::io::Error),
    /// It exited with a failure: its code (None: killed by a signal) and first line of stderr.
    Failed { code: Option<i32>, stderr: String },
    /// It did not answer in time, and was killed.
    TimedOut(Duration),
    /// Not started: an earlier git did not answer.
    GaveUp,
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GitError::Spawn(e) => write!(f, "git could not be started: {e}"),
            GitError::Failed { code: Some(code), stderr } if stderr.is_empty() => write!(f, "git exited with {code}"),
            GitError::Failed { code: Some(code), stderr } => write!(f, "git exited with {code}: {stderr}"),
            GitError::Failed { code: None, .. } => write!(f, "git was killed by a signal"),
            GitError::TimedOut(limit) => write!(f, "git did not answer within {} s and was stopped", limit.as_secs()),
            GitError::GaveUp => write!(f, "not read: an earlier git did not answer"),
        }
    }
}

/// What a git that ran to its end said.
pub(super) struct Ran {
    pub code: i32,
    pub stdout: Vec<u8>,
    stderr: String,
}

impl Ran {
    /// Its stdout when it succeeded.
    pub fn ok(self) -> Result<Vec<u8>, GitError> {
        self.ok_or_code(&[]).map(|(_, out)| out)
    }

    /// Its exit code and stdout when the code is 0 or one of `also`.
    pub fn ok_or_code(self, also: &[i32]) -> Result<(i32, Vec<u8>), GitError> {
        if self.code == 0 || also.contains(&self.code) {
            Ok((self.code, self.stdout))
        } else {
            Err(GitError::Failed { code: Some(self.code), stderr: self.stderr })
        }
    }
}

/// Runs git in one directory, safely.
pub(super) struct Runner<'a> {
    dir: &'a Path,
    /// Filter drivers to disarm: (name) of every `filter.<name>.*` the configuration sets.
    filters: Vec<Vec<u8>>,
    /// Shared with its siblings: one timeout stops them all.
    gave_up: Arc<AtomicBool>,
}

impl<'a> Runner<'a> {
    pub fn new(dir: &'a Path) -> Self {
        Runner { dir, filters: Vec::new(), gave_up: Arc::default() }
    }

    /// A runner for another thread, in the same directory, that gives up with this one.
    pub fn sibling(&self) -> Runner<'a> {
        Runner { dir: self.dir, filters: self.filters.clone(), gave_up: self.gave_up.clone() }
    }

    /// Disarms these filter drivers in every later git of this runner.
    pub fn blank_filters(&mut self, names: Vec<Vec<u8>>) {
        self.filters = names;
    }

    /// `git ARGS` with `input` on its stdin, within `limit`.
    pub fn run_with(&self, args: &[&[u8]], input: Option<Vec<u8>>, limit: Duration) -> Result<Ran, GitError> {
        if self.gave_up.load(Ordering::Relaxed) {
            return Err(GitError::GaveUp);
        }
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(self.dir).args(SAFE_OPTIONS).args(args.iter().map(|a| OsStr::from_bytes(a)));
        cmd.env("GIT_OPTIONAL_LOCKS", "0").env("GIT_TERMINAL_PROMPT", "0").env("GIT_NO_LAZY_FETCH", "1");
        self.filter_env(&mut cmd);
        cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(GitError::Spawn)?;
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (answered, stderr) = std::thread::scope(|s| {
            if let (Some(mut pipe), Some(input)) = (stdin, input) {
                // A git killed for its time closes the pipe: the write then fails, and ends.
                s.spawn(move || pipe.write_all(&input));
            }
            let stderr = s.spawn(move || stderr.map(first_line).unwrap_or_default());
            s.spawn(move || {
                let mut out = Vec::new();
                let read = stdout.map_or(Ok(0), |mut pipe| pipe.read_to_end(&mut out));
                let _ = tx.send(read.map(|_| out));
            });
            let answered = rx.recv_timeout(limit);
            if answered.is_err() {
                // Our own child, by its handle: the pipes close and the threads above end.
                let _ = child.kill();
            }
            (answered, stderr.join().unwrap_or_default())
        });
        let status = child.wait().map_err(GitError::Spawn)?;
        let Ok(stdout) = answered else {
            self.gave_up.store(true, Ordering::Relaxed);
            return Err(GitError::TimedOut(limit));
        };
        let stdout = stdout.map_err(GitError::Spawn)?;
        match status.code() {
            Some(code) => Ok(Ran { code, stdout, stderr }),
            None => Err(GitError::Failed { code: None, stderr }),
        }
    }

    /// `git ARGS` within [`TIMEOUT`].
    pub fn run(&self, args: &[&str]) -> Result<Ran, GitError> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.run_with(&args, None, TIMEOUT)
    }

    /// The filter drivers' commands emptied and made optional, through git's numbered
    /// configuration variables (after any the environment already sets), which carry a
    /// driver name of any bytes; `-c` would split a name holding `=`.
    fn filter_env(&self, cmd: &mut Command) {
        if self.filters.is_empty() {
            return;
        }
        let mut n: usize = std::env::var("GIT_CONFIG_COUNT").ok().and_then(|c| c.trim().parse().ok()).unwrap_or(0);
        for name in &self.filters {
            for (setting, value) in [("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")] {
                let mut key = b"filter.".to_vec();
                key.extend_from_slice(name);
                key.push(b'.');
                key.extend_from_slice(setting.as_bytes());
                cmd.env(format!("GIT_CONFIG_KEY_{n}"), OsStr::from_bytes(&key));
                cmd.env(format!("GIT_CONFIG_VALUE_{n}"), value);
                n += 1;
            }
        }
        cmd.env("GIT_CONFIG_COUNT", n.to_string());
    }
}

/// The first line of what a pipe carries (read to its end, at most [`STDERR_MAX`] kept).
fn first_line(mut pipe: impl Read) -> String {
    let mut kept = Vec::new();
    let _ = (&mut pipe).take(STDERR_MAX as u64).read_to_end(&mut kept);
    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    let line = kept.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)).unwrap_or_default();
    runglass_model::ByteString::from(line.trim_ascii()).escaped()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git").current_dir(dir).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn a_fifo_the_configuration_includes_costs_one_timeout_and_no_more_git() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        git(dir.path(), &["config", "include.path", fifo.to_str().unwrap()]);
        let runner = Runner::new(dir.path());
        let args: Vec<&[u8]> = vec![b"config", b"--list"];
        let err = runner.run_with(&args, None, Duration::from_millis(300)).err().unwrap();
        assert!(matches!(err, GitError::TimedOut(_)), "{err}");
        assert!(matches!(runner.run(&["rev-parse", "--show-toplevel"]), Err(GitError::GaveUp)));
    }

    #[test]
    fn a_failure_says_what_git_said() {
        let dir = tempfile::tempdir().unwrap();
        let err = Runner::new(dir.path()).run(&["rev-parse", "--verify", "no-such-thing"]).unwrap().ok().err().unwrap();
        assert!(err.to_string().starts_with("git exited with 128: fatal:"), "{err}");
    }
}
