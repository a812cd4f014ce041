//! The native x86_64 table.

use syscalls::x86_64::Sysno;

sysno_table! {
    Execve = execve, Execveat = execveat,
    Open = open, Openat = openat, Creat = creat, Openat2 = openat2,
    Unlink = unlink, Unlinkat = unlinkat, Rmdir = rmdir,
    Rename = rename, Renameat = renameat, Renameat2 = renameat2,
    Link = link, Linkat = linkat, Symlink = symlink, Symlinkat = symlinkat,
    Mkdir = mkdir, Mkdirat = mkdirat, Truncate = truncate,
    Chmod = chmod, Fchmodat = fchmodat, Fchmodat2 = fchmodat2,
    Connect = connect, Bind = bind, Listen = listen,
    Sendto = sendto, Sendmsg = sendmsg, Sendmmsg = sendmmsg, Recvfrom = recvfrom,
    Getsockopt = getsockopt,
}
