//! What can go wrong while starting or running a trace, each with what to do about it.

use std::ffi::{OsStr, OsString};
use std::fmt;

use nix::errno::Errno;

use crate::sys::ChildStep;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("command not found: {}; check the name or PATH", .0.to_string_lossy())]
    CommandNotFound(OsString),
    #[error("{}: {}", .program.to_string_lossy(), .errno.desc())]
    CannotExecute { program: OsString, errno: Errno },
    /// The program exists but what runs it does not: the interpreter of its `#!` line, or
    /// the ELF loader it names (exec fails with ENOENT, as for a missing program).
    #[error("{}: cannot execute: its interpreter (the #! line, or the ELF loader) was not found", .0.to_string_lossy())]
    InterpreterNotFound(OsString),
    #[error(
        "ptrace is not permitted here (PTRACE_SEIZE: {0}); tracing needs it: allow ptrace (e.g. docker run --cap-add=SYS_PTRACE, or sysctl kernel.yama.ptrace_scope=1)"
    )]
    PtraceRefused(Errno),
    #[error(
        "the command is already traced by pid {tracer} ({name}): runglass itself runs under a tracer that follows its \
         children (strace -f, a debugger), and there can be only one: run runglass outside it"
    )]
    AlreadyTraced { tracer: i32, name: String },
    #[error(
        "seccomp filters are not permitted here ({0}); tracing needs seccomp-bpf: allow it (e.g. docker run --security-opt seccomp=unconfined)"
    )]
    SeccompRefused(Errno),
    #[error("this kernel lacks PTRACE_GET_SYSCALL_INFO ({0}); tracing needs Linux 5.3 or newer")]
    KernelTooOld(Errno),
    #[error("{what} ({on}): {errno}")]
    Sys { what: String, on: Subject, errno: Errno },
}

impl Error {
    pub(crate) fn sys(what: impl Into<String>, on: Subject, errno: Errno) -> Self {
        Error::Sys { what: what.into(), on, errno }
    }

    /// Whether tracing cannot work here at all (no ptrace, no seccomp, an old kernel, or
    /// another tracer): the caller may offer a way that does not trace.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Error::PtraceRefused(_) | Error::AlreadyTraced { .. } | Error::SeccompRefused(_) | Error::KernelTooOld(_)
        )
    }

    /// The error for a child that stopped short of running `program`, at `step`.
    pub(crate) fn from_child((step, errno): (ChildStep, Errno), program: &OsStr) -> Error {
        match step {
            ChildStep::Seccomp => Error::SeccompRefused(errno),
            // No such program: a shell says "not found" and exits 127.
            ChildStep::Exec if errno == Errno::ENOENT => Error::CommandNotFound(program.to_owned()),
            ChildStep::Exec => Error::CannotExecute { program: program.to_owned(), errno },
            ChildStep::Interpreter => Error::InterpreterNotFound(program.to_owned()),
            ChildStep::Terminal => Error::sys("giving the command its terminal", Subject::program(program), errno),
            step => Error::sys(format!("preparing the command ({step:?})"), Subject::program(program), errno),
        }
    }
}

/// What a failed system call was acting on.
#[derive(Debug)]
pub enum Subject {
    /// The command about to start.
    Program(OsString),
    /// One traced process or thread.
    Pid(i32),
    /// The whole traced tree, named by its root.
    Tree(i32),
}

impl Subject {
    pub(crate) fn program(program: &OsStr) -> Subject {
        Subject::Program(program.to_owned())
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Program(program) => write!(f, "program {}", program.to_string_lossy()),
            Subject::Pid(pid) => write!(f, "pid {pid}"),
            Subject::Tree(root) => write!(f, "the tree of pid {root}"),
        }
    }
}
