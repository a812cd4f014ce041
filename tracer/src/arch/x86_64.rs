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
    Fchmod = fchmod, Ftruncate = ftruncate,
    Chown = chown, Lchown = lchown, Fchown = fchown, Fchownat = fchownat,
    Setxattr = setxattr, Lsetxattr = lsetxattr, Fsetxattr = fsetxattr, Setxattrat = setxattrat,
    Removexattr = removexattr, Lremovexattr = lremovexattr, Fremovexattr = fremovexattr,
    Removexattrat = removexattrat,
    Mknod = mknod, Mknodat = mknodat,
    IoUringSetup = io_uring_setup,
    Connect = connect, Bind = bind, Listen = listen,
    Sendto = sendto, Sendmsg = sendmsg, Sendmmsg = sendmmsg, Recvfrom = recvfrom,
    Getsockopt = getsockopt,
}
