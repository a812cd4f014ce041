//! The i386 table, entered from a 64-bit or 32-bit process with `int $0x80`.

use syscalls::x86::Sysno;

sysno_table! {
    Execve = execve, Execveat = execveat,
    Open = open, Openat = openat, Creat = creat, Openat2 = openat2,
    Unlink = unlink, Unlinkat = unlinkat, Rmdir = rmdir,
    Rename = rename, Renameat = renameat, Renameat2 = renameat2,
    Link = link, Linkat = linkat, Symlink = symlink, Symlinkat = symlinkat,
    Mkdir = mkdir, Mkdirat = mkdirat, Truncate = truncate, Truncate64 = truncate64,
    Chmod = chmod, Fchmodat = fchmodat, Fchmodat2 = fchmodat2,
    Connect = connect, Bind = bind, Listen = listen,
    Sendto = sendto, Sendmsg = sendmsg, Sendmmsg = sendmmsg, Recvfrom = recvfrom,
    Getsockopt = getsockopt,
    Socketcall = socketcall,
}
