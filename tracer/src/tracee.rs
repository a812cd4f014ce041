//! What the engine remembers about each traced task between stops.

use nix::errno::Errno;
use runglass_model::ExitStatus;

use crate::decode::Pending;
use crate::sys::{self, Tid};

pub struct Task {
    /// The process (thread group) this task belongs to.
    pub tgid: Tid,
    /// A call decoded at its seccomp stop whose syscall-exit stop is awaited.
    pub pending: Option<Pending>,
    /// Whether the task's first stop after attaching has been seen and resumed.
    pub started: bool,
}

impl Task {
    pub fn new(tgid: Tid, started: bool) -> Self {
        Task { tgid, pending: None, started }
    }
}

/// How a stopped task is to be resumed. Every stop handler returns exactly one, and the
/// engine applies it in one place, so no stop is resumed twice or forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Resume {
    /// PTRACE_CONT, delivering this signal (0: none): run to the next seccomp stop.
    Cont(i32),
    /// PTRACE_SYSCALL: run to this call's syscall-exit stop, for its result.
    ToSyscallExit,
    /// PTRACE_LISTEN: stay in group-stop until SIGCONT, as an untraced process would.
    Listen,
    /// Nothing to resume (the task is gone or has been left stopped on purpose).
    Nothing,
}

impl Resume {
    /// Applies the resumption. ESRCH means the task was killed meanwhile; its exit will
    /// be reported by waitpid, so that is not an error.
    pub fn apply(self, tid: Tid) -> Result<(), Errno> {
        let res = match self {
            Resume::Cont(sig) => sys::cont(tid, sig),
            Resume::ToSyscallExit => sys::cont_to_syscall_exit(tid, 0),
            Resume::Listen => sys::listen(tid),
            Resume::Nothing => Ok(()),
        };
        match res {
            Err(Errno::ESRCH) => Ok(()),
            other => other,
        }
    }
}

/// The first report of a task whose creator's fork/clone event has not arrived yet.
#[derive(Clone, Copy, Debug)]
pub enum Early {
    /// Stopped; resume it like this once its parent is known.
    Stopped(Resume),
    /// Already gone.
    Exited(ExitStatus),
}

/// The thread-group id of `tid`, from /proc (for tasks met without their creation).
pub fn tgid_of(tid: Tid) -> Option<Tid> {
    status_field(tid, "Tgid:")
}

/// The process that ptraces `tid`, if another one does.
pub fn tracer_of(tid: Tid) -> Option<Tid> {
    status_field(tid, "TracerPid:").filter(|&pid| pid != 0)
}

fn status_field(tid: Tid, name: &str) -> Option<Tid> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok())
}

/// The argv of a running process, from /proc/PID/cmdline.
pub fn cmdline(pid: Tid) -> Vec<Vec<u8>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Each argument ends with a NUL; an empty argument is an argument.
    match raw.strip_suffix(b"\0") {
        Some(args) => args.split(|&b| b == 0).map(<[u8]>::to_vec).collect(),
        None if raw.is_empty() => Vec::new(),
        None => vec![raw],
    }
}

/// A process's command name (`comm`), for messages; "?" when it is gone.
pub fn comm(pid: Tid) -> String {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_else(|_| "?".into());
    name.trim_end().escape_default().to_string()
}

/// The thread ids of process `pid`.
pub fn threads(pid: Tid) -> Vec<Tid> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}
