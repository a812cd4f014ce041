//! The x32 table: x86_64 numbers with bit 0x40000000 set, except for the calls whose
//! arguments differ in layout, which x32 enters at numbers 512 and above
//! (arch/x86/entry/syscalls/syscall_64.tbl, the "x32" rows).

use syscalls::x86_64::Sysno;

use super::{Call, Table, X32_SYSCALL_BIT};

const fn x32(nr: u32) -> u32 {
    X32_SYSCALL_BIT | nr
}

macro_rules! table {
    ($($call:ident = $nr:expr),* $(,)?) => {
        pub static TABLE: Table = Table {
            calls: &[$((x32($nr), Call::$call)),*],
            last: x32(if X32_LAST > Sysno::last() as u32 { X32_LAST } else { Sysno::last() as u32 }),
        };
    };
}

/// The highest x32-specific number (pwritev2).
const X32_LAST: u32 = 547;
const X32_RECVFROM: u32 = 517;
const X32_SENDMSG: u32 = 518;
const X32_EXECVE: u32 = 520;
const X32_SENDMMSG: u32 = 538;
/// x32's own getsockopt (542) and, on kernels that route x32 there too, the common one.
const X32_GETSOCKOPT: u32 = 542;
const X32_EXECVEAT: u32 = 545;

table! {
    Execve = X32_EXECVE, Execveat = X32_EXECVEAT,
    Open = Sysno::open as u32, Openat = Sysno::openat as u32, Creat = Sysno::creat as u32,
    Openat2 = Sysno::openat2 as u32,
    Unlink = Sysno::unlink as u32, Unlinkat = Sysno::unlinkat as u32, Rmdir = Sysno::rmdir as u32,
    Rename = Sysno::rename as u32, Renameat = Sysno::renameat as u32,
    Renameat2 = Sysno::renameat2 as u32,
    Link = Sysno::link as u32, Linkat = Sysno::linkat as u32,
    Symlink = Sysno::symlink as u32, Symlinkat = Sysno::symlinkat as u32,
    Mkdir = Sysno::mkdir as u32, Mkdirat = Sysno::mkdirat as u32,
    Truncate = Sysno::truncate as u32,
    Chmod = Sysno::chmod as u32, Fchmodat = Sysno::fchmodat as u32,
    Fchmodat2 = Sysno::fchmodat2 as u32,
    Fchmod = Sysno::fchmod as u32, Ftruncate = Sysno::ftruncate as u32,
    Chown = Sysno::chown as u32, Lchown = Sysno::lchown as u32, Fchown = Sysno::fchown as u32,
    Fchownat = Sysno::fchownat as u32,
    Setxattr = Sysno::setxattr as u32, Lsetxattr = Sysno::lsetxattr as u32,
    Fsetxattr = Sysno::fsetxattr as u32, Setxattrat = Sysno::setxattrat as u32,
    Removexattr = Sysno::removexattr as u32, Lremovexattr = Sysno::lremovexattr as u32,
    Fremovexattr = Sysno::fremovexattr as u32, Removexattrat = Sysno::removexattrat as u32,
    Mknod = Sysno::mknod as u32, Mknodat = Sysno::mknodat as u32,
    IoUringSetup = Sysno::io_uring_setup as u32,
    Connect = Sysno::connect as u32, Bind = Sysno::bind as u32, Listen = Sysno::listen as u32,
    Sendto = Sysno::sendto as u32, Sendmsg = X32_SENDMSG, Sendmmsg = X32_SENDMMSG,
    Recvfrom = X32_RECVFROM,
    Getsockopt = Sysno::getsockopt as u32, Getsockopt = X32_GETSOCKOPT,
}
