//! System-call tables: which numbers of which architecture are the calls we decode.
//!
//! A tracee on x86_64 can enter the kernel through three tables: the native one, the
//! i386 one (`int $0x80`, seen with `AUDIT_ARCH_I386`), and x32 (native arch, with bit
//! 0x40000000 set in the number). Each table lives in its own file.

#[cfg(not(target_arch = "x86_64"))]
compile_error!("runglass's tracer supports x86_64 hosts only (with their i386 and x32 tables)");

/// A table from `Call = name` pairs, numbered by the `Sysno` (one architecture of the
/// `syscalls` crate) in scope where it is used.
macro_rules! sysno_table {
    ($($call:ident = $sys:ident),* $(,)?) => {
        pub static TABLE: $crate::arch::Table = $crate::arch::Table {
            calls: &[$((Sysno::$sys as u32, $crate::arch::Call::$call)),*],
            last: Sysno::last() as u32,
        };
    };
}

mod i386;
mod x32;
mod x86_64;

/// `AUDIT_ARCH_*` values found in `seccomp_data.arch` and PTRACE_GET_SYSCALL_INFO.
pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The three syscall tables of an x86_64 kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    X86_64,
    I386,
    X32,
}

impl Abi {
    pub fn from_audit(arch: u32, nr: u64) -> Option<Abi> {
        match arch {
            AUDIT_ARCH_X86_64 if nr & u64::from(X32_SYSCALL_BIT) != 0 => Some(Abi::X32),
            AUDIT_ARCH_X86_64 => Some(Abi::X86_64),
            AUDIT_ARCH_I386 => Some(Abi::I386),
            _ => None,
        }
    }

    /// Size of a pointer (and of `long`) in this ABI's user space.
    pub fn word_size(self) -> usize {
        match self {
            Abi::X86_64 => 8,
            Abi::I386 | Abi::X32 => 4,
        }
    }

    /// This ABI's table: (number, call) pairs, and the highest number it defines.
    pub fn table(self) -> &'static Table {
        match self {
            Abi::X86_64 => &x86_64::TABLE,
            Abi::I386 => &i386::TABLE,
            Abi::X32 => &x32::TABLE,
        }
    }

    /// The call a number stands for in this ABI, if it is one we decode.
    pub fn call(self, nr: u64) -> Option<Call> {
        let nr = u32::try_from(nr).ok()?;
        self.table().calls.iter().find(|(n, _)| *n == nr).map(|(_, c)| *c)
    }
}

pub struct Table {
    pub calls: &'static [(u32, Call)],
    /// Numbers above this are unknown to this build and are traced (fail towards tracing).
    pub last: u32,
}

/// The system calls the engine stops for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    Execve,
    Execveat,
    Open,
    Openat,
    Creat,
    Openat2,
    Unlink,
    Unlinkat,
    Rmdir,
    Rename,
    Renameat,
    Renameat2,
    Link,
    Linkat,
    Symlink,
    Symlinkat,
    Mkdir,
    Mkdirat,
    Truncate,
    /// i386's truncate64: the length is split over two argument registers.
    Truncate64,
    Chmod,
    Fchmodat,
    Fchmodat2,
    /// fchmod and ftruncate act on a descriptor: the path is what it refers to.
    Fchmod,
    Ftruncate,
    /// i386's ftruncate64: the length is split over two argument registers.
    Ftruncate64,
    Chown,
    Lchown,
    Fchown,
    Fchownat,
    /// i386's original chown, lchown and fchown, with 16-bit ids (0xffff: unchanged);
    /// its `chown32` family is [`Call::Chown`] and the rest.
    Chown16,
    Lchown16,
    Fchown16,
    Setxattr,
    Lsetxattr,
    Fsetxattr,
    /// Linux 6.13: setxattr and removexattr relative to a directory fd, with AT_ flags.
    Setxattrat,
    Removexattr,
    Lremovexattr,
    Fremovexattr,
    Removexattrat,
    Mknod,
    Mknodat,
    /// From here on the process can do through the ring what no stop shows.
    IoUringSetup,
    Connect,
    Bind,
    Listen,
    Sendto,
    Sendmsg,
    Sendmmsg,
    /// Only with a source-address buffer: how resolvers take their answers.
    Recvfrom,
    /// Only getsockopt(fd, SOL_SOCKET, SO_ERROR): how a process learns the result of a
    /// non-blocking connect.
    Getsockopt,
    /// i386's multiplexer for socket calls (call number in the first argument).
    Socketcall,
}

/// How the filter decides whether a call stops the tracee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    Always,
    /// Only when the open flags in this argument ask to write, create or truncate
    /// (or always, when reads are traced).
    OpenFlagsInArg(u8),
    /// Only when this argument (a pointer) is non-null: sendto's destination address,
    /// recvfrom's source-address buffer (bulk traffic on connected sockets passes null).
    NonNullArg(u8),
    /// i386 socketcall: only for these sub-call numbers in argument 0.
    SocketcallOf(&'static [u32]),
    /// Only when argument 1 is SOL_SOCKET and argument 2 SO_ERROR (getsockopt).
    SoError,
}

/// socketcall(2) sub-call numbers (linux/net.h).
pub mod socketcall {
    pub const BIND: u32 = 2;
    pub const CONNECT: u32 = 3;
    pub const LISTEN: u32 = 4;
    pub const SENDTO: u32 = 11;
    pub const RECVFROM: u32 = 12;
    pub const SENDMSG: u32 = 16;
    pub const GETSOCKOPT: u32 = 15;
    pub const SENDMMSG: u32 = 20;
    /// GETSOCKOPT stops for every option: the filter cannot read the argument block.
    pub const TRACED: &[u32] = &[BIND, CONNECT, LISTEN, SENDTO, RECVFROM, GETSOCKOPT, SENDMSG, SENDMMSG];
}

impl Call {
    pub fn trap(self) -> Trap {
        match self {
            Call::Open => Trap::OpenFlagsInArg(1),
            Call::Openat => Trap::OpenFlagsInArg(2),
            Call::Sendto | Call::Recvfrom => Trap::NonNullArg(4),
            Call::Socketcall => Trap::SocketcallOf(socketcall::TRACED),
            Call::Getsockopt => Trap::SoError,
            _ => Trap::Always,
        }
    }
}
