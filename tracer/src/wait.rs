//! Waiting for tracees and telling the kinds of ptrace stop apart.

use nix::errno::Errno;
use runglass_model::ExitStatus;

use crate::sys::{self, Tid};

const SIGTRAP: i32 = libc::SIGTRAP;

/// One state change of one task, as waitpid reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The task is gone.
    Exited { tid: Tid, status: ExitStatus },
    /// A system call the filter traps is about to run.
    Seccomp(Tid),
    /// The current system call returned (after a PTRACE_SYSCALL resume).
    SyscallExit(Tid),
    /// The task created a new task; its id is in the event message.
    NewTask { tid: Tid, how: NewTask },
    /// A successful exec; the former thread id is in the event message.
    Exec(Tid),
    /// Group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) under PTRACE_SEIZE.
    GroupStop { tid: Tid, sig: i32 },
    /// PTRACE_EVENT_STOP with SIGTRAP: a new task's first stop, or a PTRACE_INTERRUPT.
    Trap(Tid),
    /// A signal is about to be delivered.
    Signal { tid: Tid, sig: i32 },
    /// Any other ptrace event, resumed as is.
    OtherEvent(Tid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewTask {
    Fork,
    Vfork,
    Clone,
}

impl Stop {
    pub fn tid(&self) -> Tid {
        match *self {
            Stop::Exited { tid, .. }
            | Stop::Seccomp(tid)
            | Stop::SyscallExit(tid)
            | Stop::NewTask { tid, .. }
            | Stop::Exec(tid)
            | Stop::GroupStop { tid, .. }
            | Stop::Trap(tid)
            | Stop::Signal { tid, .. }
            | Stop::OtherEvent(tid) => tid,
        }
    }

    /// Decodes a raw wait status word (see wait(2) and ptrace(2)).
    pub fn decode(tid: Tid, status: i32) -> Stop {
        let low = status & 0x7f;
        if low == 0 {
            return Stop::Exited { tid, status: ExitStatus::Code((status >> 8) & 0xff) };
        }
        if status & 0xff != 0x7f {
            return Stop::Exited { tid, status: ExitStatus::Signal { signal: low, core_dumped: status & 0x80 != 0 } };
        }
        let sig = (status >> 8) & 0xff;
        let event = (status >> 16) & 0xffff;
        if sig == SIGTRAP | 0x80 {
            return Stop::SyscallExit(tid);
        }
        match event {
            0 => Stop::Signal { tid, sig },
            libc::PTRACE_EVENT_FORK => Stop::NewTask { tid, how: NewTask::Fork },
            libc::PTRACE_EVENT_VFORK => Stop::NewTask { tid, how: NewTask::Vfork },
            libc::PTRACE_EVENT_CLONE => Stop::NewTask { tid, how: NewTask::Clone },
            libc::PTRACE_EVENT_EXEC => Stop::Exec(tid),
            libc::PTRACE_EVENT_SECCOMP => Stop::Seccomp(tid),
            libc::PTRACE_EVENT_STOP if sig == SIGTRAP => Stop::Trap(tid),
            libc::PTRACE_EVENT_STOP => Stop::GroupStop { tid, sig },
            _ => Stop::OtherEvent(tid),
        }
    }
}

/// The next stop of any task of this thread; `None` with `nohang` when nothing is ready.
/// `Err(ECHILD)` means there is nothing left to wait for.
pub fn next(nohang: bool) -> Result<Option<Stop>, Errno> {
    Ok(sys::wait_any(nohang)?.map(|(tid, status)| Stop::decode(tid, status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_status_words_ptrace_produces() {
        assert_eq!(Stop::decode(5, 3 << 8), Stop::Exited { tid: 5, status: ExitStatus::Code(3) });
        assert_eq!(Stop::decode(5, 15), Stop::Exited { tid: 5, status: ExitStatus::Signal { signal: 15, core_dumped: false } });
        assert_eq!(Stop::decode(5, 0x7f | ((SIGTRAP | 0x80) << 8)), Stop::SyscallExit(5));
        let ev = |e: i32, sig: i32| 0x7f | (sig << 8) | (e << 16);
        assert_eq!(Stop::decode(5, ev(libc::PTRACE_EVENT_SECCOMP, SIGTRAP)), Stop::Seccomp(5));
        assert_eq!(Stop::decode(5, ev(libc::PTRACE_EVENT_STOP, libc::SIGTSTP)), Stop::GroupStop { tid: 5, sig: libc::SIGTSTP });
        assert_eq!(Stop::decode(5, ev(libc::PTRACE_EVENT_STOP, SIGTRAP)), Stop::Trap(5));
        // Real-time signals (glibc's SIGSETXID is 33) decode like any other.
        assert_eq!(Stop::decode(5, 0x7f | (33 << 8)), Stop::Signal { tid: 5, sig: 33 });
    }
}
