//! What the tracing engine reports: one [`Event`] per observed fact.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::receipt::FileKind;
use crate::{ByteString, SockAddr};

/// A process or thread id, as the kernel numbers it in runglass's pid namespace.
pub type Pid = u32;

/// One observed fact about one task of the traced tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Nanoseconds since the trace started (monotonic clock).
    pub time_ns: u64,
    /// The process (thread-group id) the event belongs to.
    pub pid: Pid,
    /// The thread that made the call; equal to `pid` for single-threaded processes.
    pub tid: Pid,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A task joined the traced tree. `pid`/`tid` of the event are the new task's.
    Spawn {
        /// Process of the task that created it (for the root: runglass itself).
        parent: Pid,
        /// Thread that made the fork/clone call.
        parent_tid: Pid,
        kind: CloneKind,
    },
    /// An execve/execveat, successful or not. A failed exec leaves the old image in place.
    Exec {
        /// The program path as resolved against the caller's cwd or dirfd.
        path: ByteString,
        argv: Vec<ByteString>,
        /// The caller's working directory at the time of the call.
        cwd: ByteString,
        /// Set when a non-leader thread exec'd and took over the process id.
        #[serde(default)]
        former_tid: Option<Pid>,
        result: SyscallResult,
    },
    /// open/openat/creat/openat2 (read-only opens only when reads are traced).
    Open {
        /// The file the kernel opened: after a successful open, where the new descriptor
        /// leads; otherwise the path as the kernel would resolve it (see [`Self::File`]).
        path: ByteString,
        flags: OpenFlags,
        mode: u32,
        /// The new file descriptor, or the error.
        result: SyscallResult,
        /// The path as the call named it (made absolute), when it led elsewhere: through a
        /// symlink in its last component, or a magic link (`/proc/self/fd/N`, `/dev/fd/N`,
        /// `/proc/PID/cwd`, `/proc/PID/root`).
        #[serde(default)]
        named: Option<ByteString>,
    },
    /// A path operation other than open, or one made on a file descriptor (`fchmod`,
    /// `ftruncate`, `fchown`, `fsetxattr`...), whose `path` is then the file the
    /// descriptor refers to.
    File {
        op: FileOp,
        /// The path the call acts on, with magic links resolved and, for calls that follow
        /// symlinks (chmod, truncate, chown, setxattr), the symlink in its last component
        /// followed. Directories on the way are kept as named.
        path: ByteString,
        result: SyscallResult,
        /// As for [`Self::Open`]: the path as named, when it led elsewhere.
        #[serde(default)]
        named: Option<ByteString>,
    },
    /// A connect(2) to a peer.
    Connect {
        addr: SockAddr,
        result: SyscallResult,
        /// The socket's type, where it could be learnt (TCP is a stream, UDP a datagram socket).
        #[serde(default)]
        socket: Option<SocketKind>,
    },
    /// A bind(2) to a local address.
    Bind {
        addr: SockAddr,
        result: SyscallResult,
        #[serde(default)]
        socket: Option<SocketKind>,
    },
    /// A listen(2); `addr` is the socket's local address where it could be found.
    Listen {
        #[serde(default)]
        addr: Option<SockAddr>,
        result: SyscallResult,
    },
    /// A datagram sent with an explicit destination (sendto/sendmsg/sendmmsg).
    Send { addr: SockAddr },
    /// A signal about to be delivered to the task.
    Signal { signal: i32 },
    /// The task ended.
    Exit { status: ExitStatus },
    /// The task outlived the root command and was handed to a background tracer
    /// (`keeper`), whose events follow in the same log.
    HandedOff { keeper: Pid },
    /// The task was attached by a background tracer after a hand-off.
    Adopted,
    /// The process was no longer there when polling looked (normal mode); how it ended
    /// is not known.
    Gone,
    /// What was at `path` the instant before a traced call changed it, taken while the
    /// caller was stopped at the call (deep mode), so that the change can be undone. Only
    /// the first call about to change a path records it, just before that call's own
    /// event. Appended last: older logs stay readable.
    Before {
        path: ByteString,
        /// The call follows a symlink at `path` and one was there: `state` is that of the
        /// file it leads to (a shell's `>>` through a symlinked `~/.bashrc`).
        followed: bool,
        /// None: nothing was there.
        state: Option<PathState>,
    },
    /// A DNS answer the task received from `server` (a datagram from port 53): the first
    /// question's name, the answer's RCODE (0 answered, 3 no such name, ...), and the
    /// addresses given for the name or its CNAME chain.
    DnsAnswer {
        server: SockAddr,
        /// In presentation form (`runglass_model::host_name`): printable ASCII.
        name: String,
        rcode: u8,
        addrs: Vec<IpAddr>,
    },
    /// Not a call of the task: runglass found the address the task was about to talk to in
    /// the hosts file the task resolves names with, listed under `name`, and no DNS answer
    /// of the tree had named it. Written just before that connect or send.
    HostsName { addr: IpAddr, name: String },
    /// The result of a connect that returned EINPROGRESS (a non-blocking connect), learnt
    /// later from a copy of the socket: `Ok(0)` connected, an error (ECONNREFUSED,
    /// ETIMEDOUT, EHOSTUNREACH...), or `Unknown` when it was still pending when the process
    /// exited or tracing ended. Refers to the latest pending connect of this process to `addr`.
    ConnectResult { addr: SockAddr, result: SyscallResult },
    /// An io_uring_setup(2): from here on this process can open, write and connect through
    /// the ring, which neither seccomp nor ptrace sees.
    IoUringSetup { result: SyscallResult },
    /// The program a successful exec started is setuid, setgid or has file capabilities,
    /// and the process did not get what they grant because it was traced: the kernel
    /// withholds them under ptrace unless the tracer is privileged over the process, and
    /// always under no_new_privs, which an unprivileged tracer must set to install its
    /// filter. Read from the process's own credentials at the exec stop, just after the
    /// exec's event; only written when tracing made the difference. Appended last: older
    /// logs stay readable.
    PrivilegesDropped {
        /// The program the process runs (`/proc/PID/exe`).
        path: ByteString,
        /// The file is setuid to this owner, and the process's effective uid is not it.
        setuid: Option<u32>,
        /// The file is setgid to this group, and the process's effective gid is not it.
        setgid: Option<u32>,
        /// The capabilities of the file's permitted set (within the bounding set) that the
        /// process's permitted set lacks: bit n is capability n (CAP_NET_RAW is 13).
        capabilities: u64,
        /// The effective uid and gid the process runs with.
        euid: u32,
        egid: u32,
    },
}

/// A socket's type (`SO_TYPE`), as far as runglass tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketKind {
    /// SOCK_STREAM: TCP for inet sockets.
    Stream,
    /// SOCK_DGRAM: UDP for inet sockets.
    Datagram,
    SeqPacket,
    Raw,
    Other,
}

impl SocketKind {
    /// From the `SO_TYPE` value (linux/net.h).
    pub fn from_so_type(value: i32) -> SocketKind {
        match value {
            1 => SocketKind::Stream,
            2 => SocketKind::Datagram,
            3 => SocketKind::Raw,
            5 => SocketKind::SeqPacket,
            _ => SocketKind::Other,
        }
    }
}

/// A path's state as a capture saw it, with its content kept in the blob store when
/// `stored`. Its own type rather than the receipt's `FileState`, so that the receipt can
/// grow fields without changing the event log's frames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathState {
    pub kind: FileKind,
    pub size: u64,
    /// `st_mode & 0o7777`.
    pub mode: u32,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// BLAKE3 of the content, hex: regular files within the cap that could be read.
    pub blake3: Option<String>,
    /// A symlink's target, exactly as stored.
    pub target: Option<ByteString>,
    /// A regular file over the cap: neither read nor stored.
    pub capped: bool,
    /// The content is in the blob store under `blake3`.
    pub stored: bool,
    /// The owner and group (None in logs before format 6).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// The names of its extended attributes, sorted (None: they could not be listed).
    pub xattrs: Option<Vec<ByteString>>,
}

/// How a task was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloneKind {
    /// The command runglass started.
    Root,
    Fork,
    Vfork,
    /// A clone/clone3 that made a new process (no CLONE_THREAD): posix_spawn, raw clone.
    Clone,
    /// A new thread in an existing process.
    Thread,
    /// A process found by polling /proc (normal mode): how it was created is not known.
    Unknown,
}

/// A path operation and its second operand, if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOp {
    Unlink,
    Rmdir,
    /// rename/renameat/renameat2 from `path` to `to`.
    Rename {
        to: ByteString,
        flags: u32,
    },
    /// A hard link `to` made for the existing `path`.
    Link {
        to: ByteString,
    },
    /// A symbolic link made at `path`, holding `target` exactly as given (not resolved).
    Symlink {
        target: ByteString,
    },
    Mkdir {
        mode: u32,
    },
    Truncate {
        length: i64,
    },
    Chmod {
        mode: u32,
    },
    /// chown/lchown/fchown/fchownat: the new owner and group (None: left as it was, -1).
    Chown {
        uid: Option<u32>,
        gid: Option<u32>,
    },
    /// setxattr and its l/f/at variants: an extended attribute set (`security.capability`
    /// is what setcap writes).
    SetXattr {
        name: ByteString,
    },
    /// removexattr and its l/f/at variants.
    RemoveXattr {
        name: ByteString,
    },
    /// mknod/mknodat: a fifo, socket or device node made at `path` (`mode` includes the
    /// file type bits).
    Mknod {
        mode: u32,
        dev: u64,
    },
}

/// The outcome of a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyscallResult {
    /// The call returned this non-negative value (a file descriptor for opens).
    Ok(i64),
    /// The call failed with this error number.
    Err(Errno),
    /// Not known: the task died before the call returned, or the result was not waited for.
    Unknown,
}

impl SyscallResult {
    /// From a raw kernel return value (negative errno on failure).
    pub fn from_raw(rval: i64) -> Self {
        if (-4095..0).contains(&rval) { SyscallResult::Err(Errno(-rval as i32)) } else { SyscallResult::Ok(rval) }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, SyscallResult::Ok(_))
    }
}

impl fmt::Display for SyscallResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyscallResult::Ok(v) => write!(f, "{v}"),
            SyscallResult::Err(e) => write!(f, "{e}"),
            SyscallResult::Unknown => f.write_str("?"),
        }
    }
}

/// A Linux error number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Errno(pub i32);

impl Errno {
    /// The symbolic name (`ENOENT`) where it is one of the common ones.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            3 => "ESRCH",
            4 => "EINTR",
            5 => "EIO",
            6 => "ENXIO",
            7 => "E2BIG",
            8 => "ENOEXEC",
            9 => "EBADF",
            10 => "ECHILD",
            11 => "EAGAIN",
            12 => "ENOMEM",
            13 => "EACCES",
            14 => "EFAULT",
            16 => "EBUSY",
            17 => "EEXIST",
            18 => "EXDEV",
            19 => "ENODEV",
            20 => "ENOTDIR",
            21 => "EISDIR",
            22 => "EINVAL",
            23 => "ENFILE",
            24 => "EMFILE",
            26 => "ETXTBSY",
            27 => "EFBIG",
            28 => "ENOSPC",
            30 => "EROFS",
            31 => "EMLINK",
            32 => "EPIPE",
            36 => "ENAMETOOLONG",
            38 => "ENOSYS",
            39 => "ENOTEMPTY",
            40 => "ELOOP",
            88 => "ENOTSOCK",
            95 => "EOPNOTSUPP",
            97 => "EAFNOSUPPORT",
            98 => "EADDRINUSE",
            99 => "EADDRNOTAVAIL",
            101 => "ENETUNREACH",
            104 => "ECONNRESET",
            106 => "EISCONN",
            110 => "ETIMEDOUT",
            111 => "ECONNREFUSED",
            113 => "EHOSTUNREACH",
            114 => "EALREADY",
            115 => "EINPROGRESS",
            122 => "EDQUOT",
            _ => return None,
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "errno {}", self.0),
        }
    }
}

/// Raw open(2) flags as the caller passed them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpenFlags(pub u32);

impl OpenFlags {
    pub const WRONLY: u32 = 0o1;
    pub const RDWR: u32 = 0o2;
    pub const CREAT: u32 = 0o100;
    pub const EXCL: u32 = 0o200;
    pub const TRUNC: u32 = 0o1000;
    pub const APPEND: u32 = 0o2000;
    pub const DIRECTORY: u32 = 0o200000;
    pub const NOFOLLOW: u32 = 0o400000;
    pub const CLOEXEC: u32 = 0o2000000;
    pub const PATH: u32 = 0o10000000;
    pub const TMPFILE: u32 = 0o20200000;

    /// True when the open can change the file: write access, create or truncate.
    pub fn writes(self) -> bool {
        self.0 & (Self::WRONLY | Self::RDWR | Self::CREAT | Self::TRUNC) != 0
    }

    pub fn has(self, flag: u32) -> bool {
        self.0 & flag == flag
    }
}

impl fmt::Display for OpenFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let access = match self.0 & 0o3 {
            0 => "O_RDONLY",
            1 => "O_WRONLY",
            2 => "O_RDWR",
            _ => "O_ACCMODE",
        };
        f.write_str(access)?;
        let named = [
            (Self::TMPFILE, "O_TMPFILE"),
            (Self::CREAT, "O_CREAT"),
            (Self::EXCL, "O_EXCL"),
            (Self::TRUNC, "O_TRUNC"),
            (Self::APPEND, "O_APPEND"),
            (Self::DIRECTORY, "O_DIRECTORY"),
            (Self::NOFOLLOW, "O_NOFOLLOW"),
            (Self::CLOEXEC, "O_CLOEXEC"),
            (Self::PATH, "O_PATH"),
        ];
        let mut rest = self.0 & !0o3;
        for (bits, name) in named {
            if rest & bits == bits {
                write!(f, "|{name}")?;
                rest &= !bits;
            }
        }
        if rest != 0 {
            write!(f, "|{rest:#o}")?;
        }
        Ok(())
    }
}

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    Code(i32),
    Signal { signal: i32, core_dumped: bool },
}

impl ExitStatus {
    /// The status a shell would report: the code, or 128 + the signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Code(c) => c,
            ExitStatus::Signal { signal, .. } => 128 + signal,
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Code(c) => write!(f, "exited with {c}"),
            ExitStatus::Signal { signal, core_dumped } => {
                write!(f, "killed by {}", signal_name(*signal))?;
                if *core_dumped {
                    f.write_str(" (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

/// The conventional name of a Linux signal number (`SIGTERM`), or `signal N`.
pub fn signal_name(signal: i32) -> String {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match usize::try_from(signal).ok().and_then(|i| NAMES.get(i)) {
        Some(name) if signal > 0 => (*name).to_string(),
        _ => format!("signal {signal}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_return_values_split_into_ok_and_errno() {
        assert_eq!(SyscallResult::from_raw(3), SyscallResult::Ok(3));
        assert_eq!(SyscallResult::from_raw(-2), SyscallResult::Err(Errno(2)));
        // Large "negative" values that are really addresses are successes.
        assert_eq!(SyscallResult::from_raw(-5000), SyscallResult::Ok(-5000));
    }

    #[test]
    fn open_flags_name_their_bits() {
        let f = OpenFlags(0o1 | 0o100 | 0o1000 | 0o2000000);
        assert_eq!(f.to_string(), "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
        assert!(f.writes());
        assert!(!OpenFlags(0o2000000).writes());
    }

    #[test]
    fn exit_status_maps_signals_to_128_plus_n() {
        assert_eq!(ExitStatus::Code(3).shell_code(), 3);
        assert_eq!(ExitStatus::Signal { signal: 15, core_dumped: false }.shell_code(), 143);
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(signal_name(64), "signal 64");
    }
}
