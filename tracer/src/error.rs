//! What can go wrong while starting or running a trace, each with what to do about it.

use std::ffi::OsString;

use nix::errno::Errno;

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
        "ptrace is not permitted here (PTRACE_SEIZE: {0}); deep mode needs it: allow ptrace (e.g. docker run --cap-add=SYS_PTRACE, or sysctl kernel.yama.ptrace_scope=1) or run without --deep"
    )]
    PtraceRefused(Errno),
    #[error(
        "the command is already traced by pid {tracer} ({name}): runglass itself runs under a tracer that follows its \
         children (strace -f, a debugger); deep mode must be the only tracer: run runglass outside it, or without --deep"
    )]
    AlreadyTraced { tracer: i32, name: String },
    #[error(
        "seccomp filters are not permitted here ({0}); deep mode needs seccomp-bpf: allow it (e.g. docker run --security-opt seccomp=unconfined) or run without --deep"
    )]
    SeccompRefused(Errno),
    #[error(
        "this kernel lacks PTRACE_GET_SYSCALL_INFO ({0}); deep mode needs Linux 5.3 or newer, or run without --deep"
    )]
    KernelTooOld(Errno),
    #[error("{what}: {errno}")]
    Sys { what: String, errno: Errno },
}

impl Error {
    pub(crate) fn sys(what: impl Into<String>, errno: Errno) -> Self {
        Error::Sys { what: what.into(), errno }
    }
}
