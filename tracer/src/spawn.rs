//! The command to trace, and turning it into what the forked child needs.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Subject};
use crate::filter;
use crate::sys::{self, ChildSpec};

/// A command line to run under the tracer.
#[derive(Debug)]
pub struct Command {
    program: OsString,
    args: Vec<OsString>,
    env: Option<Vec<(OsString, OsString)>>,
    cwd: Option<PathBuf>,
    stdio: [Option<OwnedFd>; 3],
    controlling_tty: Option<OwnedFd>,
}

impl Command {
    /// `argv[0]` is `program`; more arguments follow with [`Command::args`].
    pub fn new(program: impl Into<OsString>) -> Self {
        Command {
            program: program.into(),
            args: Vec::new(),
            env: None,
            cwd: None,
            stdio: [None, None, None],
            controlling_tty: None,
        }
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Replaces the inherited environment.
    pub fn env_clear_and_set(mut self, vars: Vec<(OsString, OsString)>) -> Self {
        self.env = Some(vars);
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Gives the command this fd as its stdin (0), stdout (1) or stderr (2).
    pub fn stdio(mut self, target: usize, fd: OwnedFd) -> Self {
        self.stdio[target] = Some(fd);
        self
    }

    /// Runs the command in a session of its own with this terminal (a pty's follower
    /// side) as its controlling terminal, so that job control and ^C work inside it.
    /// Give the terminal as its stdio too.
    pub fn controlling_terminal(mut self, tty: OwnedFd) -> Self {
        self.controlling_tty = Some(tty);
        self
    }

    /// Starts the command without tracing it and returns its pid; the caller reaps it.
    /// Errors are the same as a traced start's: not found, cannot execute, or a failed
    /// set-up step.
    pub fn spawn_untraced(&self) -> Result<u32, Error> {
        let spec = self.child_spec(None)?;
        let child = sys::fork_child(&spec).map_err(|e| Error::sys("fork", Subject::program(self.program()), e))?;
        if let Err(errno) = sys::release(&child) {
            sys::kill_and_reap(child.pid);
            return Err(Error::sys("starting the command", Subject::Pid(child.pid), errno));
        }
        // The error pipe reads EOF once the child exec'd, or a report if it failed.
        match sys::read_child_error(&child) {
            None => Ok(child.pid as u32),
            Some(report) => {
                sys::kill_and_reap(child.pid);
                Err(Error::from_child(report, self.program()))
            }
        }
    }

    pub fn program(&self) -> &OsStr {
        &self.program
    }

    pub(crate) fn child_spec(&self, filter: Option<filter::FilterOptions>) -> Result<ChildSpec, Error> {
        let env: Vec<(OsString, OsString)> = match &self.env {
            Some(vars) => vars.clone(),
            None => std::env::vars_os().collect(),
        };
        let path_var = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
        let program = resolve_program(&self.program, path_var.as_deref(), self.cwd.as_deref())?;
        let cstr = |s: &OsStr| {
            CString::new(s.as_bytes()).map_err(|_| {
                Error::sys(
                    format!("{s:?} contains a NUL byte"),
                    Subject::program(&self.program),
                    nix::errno::Errno::EINVAL,
                )
            })
        };
        let mut argv = vec![cstr(&self.program)?];
        for a in &self.args {
            argv.push(cstr(a)?);
        }
        let envp = env
            .iter()
            .map(|(k, v)| {
                let mut kv = k.clone().into_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv).map_err(|_| {
                    Error::sys(
                        "the environment holds a NUL byte",
                        Subject::program(&self.program),
                        nix::errno::Errno::EINVAL,
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ChildSpec {
            program: cstr(program.as_os_str())?,
            argv,
            envp,
            cwd: self.cwd.as_deref().map(|c| cstr(c.as_os_str())).transpose()?,
            stdio: [0, 1, 2].map(|i| self.stdio[i].as_ref().map(|fd| fd.as_raw_fd())),
            controlling_tty: self.controlling_tty.as_ref().map(|fd| fd.as_raw_fd()),
            filter: filter.map(filter::build),
        })
    }
}

/// Finds the program the way a shell's exec would: a name with a slash is taken as a
/// path, anything else is searched in PATH.
fn resolve_program(program: &OsStr, path_var: Option<&OsStr>, cwd: Option<&Path>) -> Result<PathBuf, Error> {
    if program.is_empty() {
        return Err(Error::CommandNotFound(program.to_owned()));
    }
    if program.as_bytes().contains(&b'/') {
        return Ok(PathBuf::from(program));
    }
    let default_path = OsStr::new("/usr/local/bin:/usr/bin:/bin");
    for dir in std::env::split_paths(path_var.unwrap_or(default_path)) {
        let dir = match (dir.is_relative(), cwd) {
            (true, Some(cwd)) => cwd.join(dir),
            _ => dir,
        };
        let candidate = dir.join(program);
        if let Ok(meta) = std::fs::metadata(&candidate)
            && meta.is_file()
            && meta.permissions().mode() & 0o111 != 0
        {
            return Ok(candidate);
        }
    }
    Err(Error::CommandNotFound(program.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_in_path_or_taken_as_paths() {
        let sh = resolve_program(OsStr::new("sh"), Some(OsStr::new("/nonexistent:/bin:/usr/bin")), None).unwrap();
        assert!(sh.ends_with("sh"));
        assert_eq!(resolve_program(OsStr::new("./x"), None, None).unwrap(), PathBuf::from("./x"));
        assert!(matches!(
            resolve_program(OsStr::new("no-such-runglass-cmd"), Some(OsStr::new("/bin")), None),
            Err(Error::CommandNotFound(_))
        ));
    }
}
