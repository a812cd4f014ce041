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
    Fchmod = fchmod, Ftruncate = ftruncate, Ftruncate64 = ftruncate64,
    Chown16 = chown, Lchown16 = lchown, Fchown16 = fchown,
    Chown = chown32, Lchown = lchown32, Fchown = fchown32, Fchownat = fchownat,
    Setxattr = setxattr, Lsetxattr = lsetxattr, Fsetxattr = fsetxattr, Setxattrat = setxattrat,
    Removexattr = removexattr, Lremovexattr = lremovexattr, Fremovexattr = fremovexattr,
    Removexattrat = removexattrat,
    Mknod = mknod, Mknodat = mknodat,
    IoUringSetup = io_uring_setup,
    Connect = connect, Bind = bind, Listen = listen,
    Sendto = sendto, Sendmsg = sendmsg, Sendmmsg = sendmmsg, Recvfrom = recvfrom,
    Getsockopt = getsockopt,
    Socketcall = socketcall,
}
