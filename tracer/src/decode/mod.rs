//! Turning a stopped system call into an event.
//!
//! At the seccomp stop (syscall entry) the arguments are read from registers and tracee
//! memory ([`on_entry`]); calls whose result matters are completed at the syscall-exit
//! stop ([`Pending::finish`]). One file per family: exec, files, net; the bytes a call
//! carries are parsed by their own modules: sockaddr and dns (the socket tables of /proc/net are `crate::proc_net`).

pub mod dns;
mod exec;
mod files;
mod net;
pub mod sockaddr;

pub use files::changes;

use runglass_model::{ByteString, EventKind, FileOp, OpenFlags, SockAddr, SyscallResult};

use crate::arch::{Abi, Call};
use crate::memory::Memory;
use crate::sys::Tid;

/// A system call at its seccomp stop.
#[derive(Clone, Copy, Debug)]
pub struct Syscall {
    pub abi: Abi,
    pub call: Call,
    pub args: [u64; 6],
}

impl Syscall {
    /// Argument `i` as a C `int` (file descriptors, flags), sign-extended.
    pub fn int(&self, i: usize) -> i64 {
        self.args[i] as i32 as i64
    }

    /// Argument `i` as an unsigned 32-bit value (modes, flags).
    pub fn u32(&self, i: usize) -> u32 {
        self.args[i] as u32
    }

    /// Argument `i` as a user-space pointer of this ABI. The i386 entry uses only the low
    /// 32 bits of each register; x32 calls get the whole register, as native ones do (an
    /// x32 program's pointers fit in 32 bits, but a 64-bit program may make x32 calls with
    /// any pointer, and the kernel follows it).
    pub fn ptr(&self, i: usize) -> u64 {
        match self.abi {
            Abi::X86_64 | Abi::X32 => self.args[i],
            Abi::I386 => self.args[i] & 0xffff_ffff,
        }
    }
}

/// What reading a call's entry yields.
#[derive(Debug)]
pub enum Entry {
    /// Wait for the syscall-exit stop, then finish this.
    AwaitExit(Pending),
    /// Complete already; resume without an exit stop.
    Done(Vec<EventKind>),
}

/// A call decoded at entry, waiting for its result.
#[derive(Clone, Debug)]
pub enum Pending {
    Exec {
        path: ByteString,
        argv: Vec<ByteString>,
        cwd: ByteString,
    },
    Open {
        path: ByteString,
        flags: OpenFlags,
        mode: u32,
        /// The path as named, when it led elsewhere.
        named: Option<ByteString>,
        /// The open follows a symlink at `path` (for the before-state).
        follow: bool,
        /// Ask the new descriptor where the open led (the lookup went its own way).
        check_fd: bool,
    },
    File {
        op: FileOp,
        path: ByteString,
        named: Option<ByteString>,
        /// The call follows a symlink at `path` (for the before-state).
        follow: bool,
    },
    Connect {
        addr: SockAddr,
        fd: i32,
    },
    Bind {
        addr: SockAddr,
        fd: i32,
    },
    Listen {
        fd: i64,
    },
    /// A recvfrom with a source-address buffer: a DNS answer when it came from port 53.
    Recvfrom(net::Recvfrom),
    IoUringSetup,
    /// getsockopt(fd, SOL_SOCKET, SO_ERROR, optval, ...): the error the process reads, at
    /// `optval`, is the result of the connect in progress on `fd` (see
    /// [`crate::connect_results`]). Makes no event of its own.
    SoError {
        fd: i32,
        optval: u64,
    },
}

/// The task a finishing call belongs to, still stopped at the call's exit.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub mem: &'a Memory,
    /// The process (thread group), whose descriptor table the call used.
    pub pid: Tid,
    pub tid: Tid,
}

impl Pending {
    /// The event for this call given its result, if it makes one.
    pub fn finish(self, caller: Caller, result: SyscallResult) -> Option<EventKind> {
        Some(match self {
            Pending::Exec { path, argv, cwd } => EventKind::Exec { path, argv, cwd, former_tid: None, result },
            Pending::Open { path, flags, mode, named, check_fd, .. } => {
                files::finish_open(caller.tid, path, flags, mode, named, check_fd, result)
            }
            Pending::File { op, path, named, .. } => EventKind::File { op, path, result, named },
            Pending::Connect { addr, fd } => {
                let (socket, _) = net::socket_facts(caller.pid, fd, result, None);
                EventKind::Connect { socket, addr, result }
            }
            Pending::Bind { addr, fd } => {
                // A port-0 bind is shown with the port it got (a UDP socket listens there).
                let (socket, chosen) = net::socket_facts(caller.pid, fd, result, Some(&addr));
                EventKind::Bind { socket, addr: chosen.unwrap_or(addr), result }
            }
            Pending::Listen { fd } => EventKind::Listen { addr: net::listen_addr(caller.tid, fd), result },
            Pending::Recvfrom(recv) => return recv.finish(caller, result),
            Pending::IoUringSetup => EventKind::IoUringSetup { result },
            Pending::SoError { .. } => return None,
        })
    }

    /// A connect that returned EINPROGRESS: its descriptor and address, whose result comes
    /// later.
    pub fn connect_in_progress(&self, result: SyscallResult) -> Option<(i32, SockAddr)> {
        const EINPROGRESS: i32 = 115;
        match self {
            Pending::Connect { addr, fd } if result == SyscallResult::Err(runglass_model::Errno(EINPROGRESS)) => {
                Some((*fd, addr.clone()))
            }
            _ => None,
        }
    }
}

/// Decodes `sc`, made by thread `tid` of process `pid`, at its seccomp stop.
pub fn on_entry(mem: &Memory, pid: Tid, tid: Tid, sc: &Syscall) -> Entry {
    match sc.call {
        Call::Execve | Call::Execveat => Entry::AwaitExit(exec::decode(mem, tid, sc)),
        // Only the result matters: the ring's own work is out of sight from here on.
        Call::IoUringSetup => Entry::AwaitExit(Pending::IoUringSetup),
        Call::Connect
        | Call::Bind
        | Call::Listen
        | Call::Sendto
        | Call::Sendmsg
        | Call::Sendmmsg
        | Call::Recvfrom
        | Call::Getsockopt
        | Call::Socketcall => net::decode(mem, pid, tid, sc),
        _ => files::decode(mem, pid, tid, sc),
    }
}
