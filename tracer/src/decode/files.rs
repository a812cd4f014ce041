//! Opens and file operations: which file, reached how, with which flags. A path argument
//! is made absolute and then followed to the file the kernel will act on, by each call's
//! rules ([`crate::reach`]); a call on a descriptor (fchmod, ftruncate, fchown, fsetxattr,
//! an AT_EMPTY_PATH call) acts on the file the descriptor refers to.

use runglass_model::{ByteString, EventKind, FileOp, OpenFlags};

use super::{Entry, Pending, Syscall};
use crate::arch::{Abi, Call};
use crate::before_change::Change;
use crate::memory::{MAX_PATH, Memory};
use crate::paths::{self, AT_FDCWD};
use crate::reach;
use crate::sys::Tid;

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_EMPTY_PATH: u32 = 0x1000;
const CREAT_FLAGS: u32 = OpenFlags::WRONLY | OpenFlags::CREAT | OpenFlags::TRUNC;
/// openat2's `resolve` flags (linux/openat2.h): no symlink followed at all, and the
/// lookup scoped to the dirfd.
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;
const RESOLVE_IN_ROOT: u64 = 0x10;
/// The longest extended attribute name (XATTR_NAME_MAX).
const MAX_XATTR_NAME: usize = 255;

/// The file a call acts on.
struct Target {
    path: ByteString,
    /// The path as named, when it led elsewhere.
    named: Option<ByteString>,
    /// The file has no name (a pipe, a socket, a file removed since it was opened): a
    /// change to it changes no path.
    unnamed: bool,
}

/// The calling task, stopped at the call.
struct Caller<'a> {
    mem: &'a Memory,
    pid: Tid,
    tid: Tid,
    sc: &'a Syscall,
}

impl Caller<'_> {
    /// The file argument `arg` names, relative to `dirfd`; its last symlink followed when
    /// `follow`; with `empty_path` (AT_EMPTY_PATH) an empty path names `dirfd` itself.
    fn path(&self, dirfd: i64, arg: usize, follow: bool, empty_path: bool) -> Target {
        let raw = match self.mem.read_cstr(self.tid, self.sc.ptr(arg), MAX_PATH) {
            Ok(raw) => raw,
            // An unreadable pointer names nothing; the call's own result (EFAULT) says why.
            Err(_) => return Target { path: ByteString::default(), named: None, unnamed: false },
        };
        if raw.is_empty() && empty_path {
            return self.descriptor(dirfd);
        }
        let named = paths::resolve(self.tid, dirfd, &raw);
        let reached = reach::reach(self.pid, self.tid, named, follow);
        Target { path: ByteString(reached.path), named: reached.named.map(ByteString), unnamed: false }
    }

    /// The file descriptor `fd` refers to (AT_FDCWD: the working directory).
    fn descriptor(&self, fd: i64) -> Target {
        let found = if fd as i32 == libc::AT_FDCWD { paths::cwd(self.tid) } else { paths::fd_path(self.tid, fd) };
        match found {
            Ok(path) => Target { unnamed: reach::unnamed(&path), path: ByteString(path), named: None },
            // A closed descriptor: the call fails with EBADF and changes nothing.
            Err(_) => Target { path: ByteString::default(), named: None, unnamed: true },
        }
    }

    /// A string argument kept exactly as given (a symlink's target, an attribute's name).
    fn text(&self, arg: usize, max: usize) -> ByteString {
        ByteString(self.mem.read_cstr(self.tid, self.sc.ptr(arg), max).unwrap_or_default())
    }
}

pub fn decode(mem: &Memory, pid: Tid, tid: Tid, sc: &Syscall) -> Entry {
    let c = Caller { mem, pid, tid, sc };
    let at = |dirfd: i64, arg: usize, follow: bool| c.path(dirfd, arg, follow, false);
    // A path call whose AT_ flags are in argument `flags`: follows unless
    // AT_SYMLINK_NOFOLLOW, and AT_EMPTY_PATH names the dirfd itself.
    let at_flags = |dirfd: i64, arg: usize, flags: usize| {
        let flags = sc.u32(flags);
        c.path(dirfd, arg, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)
    };
    let fd = |arg: usize| c.descriptor(sc.int(arg));
    let name = |arg: usize| c.text(arg, MAX_XATTR_NAME);
    let file = |op: FileOp, target: Target, follow: bool| {
        // A change to a file with no name changes no path: nothing to record.
        if target.unnamed {
            return Entry::Done(Vec::new());
        }
        Entry::AwaitExit(Pending::File { op, path: target.path, named: target.named, follow })
    };
    match sc.call {
        Call::Open => open(&c, AT_FDCWD, 0, u64::from(sc.u32(1)), sc.u32(2), 0),
        Call::Openat => open(&c, sc.int(0), 1, u64::from(sc.u32(2)), sc.u32(3), 0),
        Call::Creat => open(&c, AT_FDCWD, 0, u64::from(CREAT_FLAGS), sc.u32(1), 0),
        Call::Openat2 => {
            // struct open_how { u64 flags; u64 mode; u64 resolve; }, the same in every ABI.
            let how = mem.read_exact(tid, sc.ptr(2), 24).unwrap_or_else(|_| vec![0; 24]);
            let word = |i: usize| u64::from_le_bytes(how[8 * i..8 * i + 8].try_into().expect("8 bytes"));
            open(&c, sc.int(0), 1, word(0), word(1) as u32, word(2))
        }
        Call::Unlink => file(FileOp::Unlink, at(AT_FDCWD, 0, false), false),
        Call::Unlinkat if sc.u32(2) & AT_REMOVEDIR != 0 => file(FileOp::Rmdir, at(sc.int(0), 1, false), false),
        Call::Unlinkat => file(FileOp::Unlink, at(sc.int(0), 1, false), false),
        Call::Rmdir => file(FileOp::Rmdir, at(AT_FDCWD, 0, false), false),
        Call::Rename => rename(at(AT_FDCWD, 0, false), at(AT_FDCWD, 1, false), 0),
        Call::Renameat => rename(at(sc.int(0), 1, false), at(sc.int(2), 3, false), 0),
        Call::Renameat2 => rename(at(sc.int(0), 1, false), at(sc.int(2), 3, false), sc.u32(4)),
        Call::Link => link(at(AT_FDCWD, 0, false), at(AT_FDCWD, 1, false)),
        Call::Linkat => {
            let flags = sc.u32(4);
            let old = c.path(sc.int(0), 1, flags & AT_SYMLINK_FOLLOW != 0, flags & AT_EMPTY_PATH != 0);
            link(old, at(sc.int(2), 3, false))
        }
        Call::Symlink => file(FileOp::Symlink { target: c.text(0, MAX_PATH) }, at(AT_FDCWD, 1, false), false),
        Call::Symlinkat => file(FileOp::Symlink { target: c.text(0, MAX_PATH) }, at(sc.int(1), 2, false), false),
        Call::Mkdir => file(FileOp::Mkdir { mode: sc.u32(1) }, at(AT_FDCWD, 0, false), false),
        Call::Mkdirat => file(FileOp::Mkdir { mode: sc.u32(2) }, at(sc.int(0), 1, false), false),
        Call::Mknod => {
            file(FileOp::Mknod { mode: sc.u32(1), dev: u64::from(sc.u32(2)) }, at(AT_FDCWD, 0, false), false)
        }
        Call::Mknodat => {
            file(FileOp::Mknod { mode: sc.u32(2), dev: u64::from(sc.u32(3)) }, at(sc.int(0), 1, false), false)
        }
        Call::Truncate => file(FileOp::Truncate { length: length_arg(sc) }, at(AT_FDCWD, 0, true), true),
        Call::Truncate64 => file(FileOp::Truncate { length: split_length(sc) }, at(AT_FDCWD, 0, true), true),
        Call::Ftruncate => file(FileOp::Truncate { length: length_arg(sc) }, fd(0), false),
        Call::Ftruncate64 => file(FileOp::Truncate { length: split_length(sc) }, fd(0), false),
        Call::Chmod => file(FileOp::Chmod { mode: sc.u32(1) }, at(AT_FDCWD, 0, true), true),
        // fchmodat(2) has no flags argument: it always follows.
        Call::Fchmodat => file(FileOp::Chmod { mode: sc.u32(2) }, at(sc.int(0), 1, true), true),
        Call::Fchmodat2 => {
            let follow = sc.u32(3) & AT_SYMLINK_NOFOLLOW == 0;
            file(FileOp::Chmod { mode: sc.u32(2) }, at_flags(sc.int(0), 1, 3), follow)
        }
        Call::Fchmod => file(FileOp::Chmod { mode: sc.u32(1) }, fd(0), false),
        Call::Chown => file(chown(id32(sc.u32(1)), id32(sc.u32(2))), at(AT_FDCWD, 0, true), true),
        Call::Lchown => file(chown(id32(sc.u32(1)), id32(sc.u32(2))), at(AT_FDCWD, 0, false), false),
        Call::Fchown => file(chown(id32(sc.u32(1)), id32(sc.u32(2))), fd(0), false),
        Call::Chown16 => file(chown(id16(sc.u32(1)), id16(sc.u32(2))), at(AT_FDCWD, 0, true), true),
        Call::Lchown16 => file(chown(id16(sc.u32(1)), id16(sc.u32(2))), at(AT_FDCWD, 0, false), false),
        Call::Fchown16 => file(chown(id16(sc.u32(1)), id16(sc.u32(2))), fd(0), false),
        Call::Fchownat => {
            let follow = sc.u32(4) & AT_SYMLINK_NOFOLLOW == 0;
            file(chown(id32(sc.u32(2)), id32(sc.u32(3))), at_flags(sc.int(0), 1, 4), follow)
        }
        Call::Setxattr => file(FileOp::SetXattr { name: name(1) }, at(AT_FDCWD, 0, true), true),
        Call::Lsetxattr => file(FileOp::SetXattr { name: name(1) }, at(AT_FDCWD, 0, false), false),
        Call::Fsetxattr => file(FileOp::SetXattr { name: name(1) }, fd(0), false),
        Call::Setxattrat => {
            let follow = sc.u32(2) & AT_SYMLINK_NOFOLLOW == 0;
            file(FileOp::SetXattr { name: name(3) }, at_flags(sc.int(0), 1, 2), follow)
        }
        Call::Removexattr => file(FileOp::RemoveXattr { name: name(1) }, at(AT_FDCWD, 0, true), true),
        Call::Lremovexattr => file(FileOp::RemoveXattr { name: name(1) }, at(AT_FDCWD, 0, false), false),
        Call::Fremovexattr => file(FileOp::RemoveXattr { name: name(1) }, fd(0), false),
        Call::Removexattrat => {
            let follow = sc.u32(2) & AT_SYMLINK_NOFOLLOW == 0;
            file(FileOp::RemoveXattr { name: name(3) }, at_flags(sc.int(0), 1, 2), follow)
        }
        other => unreachable!("{other:?} is not a file call"),
    }
}

/// An open: the symlink in the last component is followed unless O_NOFOLLOW, or
/// O_CREAT|O_EXCL (which fails on any existing path, a symlink included), or openat2's
/// RESOLVE_NO_SYMLINKS.
fn open(c: &Caller, dirfd: i64, arg: usize, flags: u64, mode: u32, resolve: u64) -> Entry {
    let flags = OpenFlags(flags as u32);
    let follow = !flags.has(OpenFlags::NOFOLLOW)
        && !flags.has(OpenFlags::CREAT | OpenFlags::EXCL)
        && resolve & RESOLVE_NO_SYMLINKS == 0;
    // An O_TMPFILE open names the directory the unnamed file is made in.
    let tmpfile = flags.has(OpenFlags::TMPFILE);
    let scoped = resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) != 0;
    let target = c.path(dirfd, arg, follow || tmpfile, false);
    // Where the lookup went its own way (a symlink, a magic link, a lookup scoped to the
    // dirfd), the new descriptor tells, after the call, where it really led.
    let check_fd = !tmpfile && (target.named.is_some() || scoped);
    Entry::AwaitExit(Pending::Open { path: target.path, flags, mode, named: target.named, follow, check_fd })
}

/// A rename: neither path's last symlink is followed (a symlink is moved, or replaced).
fn rename(from: Target, to: Target, flags: u32) -> Entry {
    Entry::AwaitExit(Pending::File {
        op: FileOp::Rename { to: to.path, flags },
        path: from.path,
        named: from.named,
        follow: false,
    })
}

/// A hard link `to` for `old`. An unnamed `old` (linkat of an O_TMPFILE descriptor) is
/// kept as the kernel names it: the new name is the change.
fn link(old: Target, to: Target) -> Entry {
    Entry::AwaitExit(Pending::File {
        op: FileOp::Link { to: to.path },
        path: old.path,
        named: old.named,
        follow: false,
    })
}

fn chown(uid: Option<u32>, gid: Option<u32>) -> FileOp {
    FileOp::Chown { uid, gid }
}

/// A 32-bit owner or group id; -1 leaves it as it was.
fn id32(id: u32) -> Option<u32> {
    (id != u32::MAX).then_some(id)
}

/// A 16-bit id of i386's original chown family; 0xffff leaves it as it was.
fn id16(id: u32) -> Option<u32> {
    let id = id & 0xffff;
    (id != 0xffff).then_some(id)
}

/// The paths `pending` is about to change: at most two, a rename's source and
/// destination. Opens count only with write intent; an O_PATH or O_TMPFILE open changes no
/// path, and a path that could not be read is left out.
pub fn changes(pending: &Pending) -> [Option<Change<'_>>; 2] {
    let one = |path, follow: bool| [Some(Change { path, follow, renamed: false }), None];
    let found = match pending {
        Pending::Open { path, flags, follow, .. } => {
            let writes = flags.writes() && !flags.has(OpenFlags::PATH) && !flags.has(OpenFlags::TMPFILE);
            if !writes {
                return [None, None];
            }
            one(path, *follow)
        }
        Pending::File { op, path, follow, .. } => match op {
            FileOp::Rename { to, .. } => {
                let renamed = |path| Some(Change { path, follow: false, renamed: true });
                [renamed(path), renamed(to)]
            }
            FileOp::Link { to } => one(to, false),
            _ => one(path, *follow),
        },
        Pending::Exec { .. }
        | Pending::Connect { .. }
        | Pending::Bind { .. }
        | Pending::Listen { .. }
        | Pending::Recvfrom(_)
        | Pending::SoError { .. }
        | Pending::IoUringSetup => return [None, None],
    };
    found.map(|c| c.filter(|c| !c.path.is_empty()))
}

/// The event of an open, given its result: after a successful open whose lookup went its
/// own way, the new descriptor names the file it reached.
pub fn finish_open(
    tid: Tid,
    path: ByteString,
    flags: OpenFlags,
    mode: u32,
    named: Option<ByteString>,
    check_fd: bool,
    result: runglass_model::SyscallResult,
) -> EventKind {
    let (path, named) = match result {
        runglass_model::SyscallResult::Ok(fd) if check_fd => match paths::fd_path(tid, fd) {
            Ok(real) if !reach::unnamed(&real) => {
                let as_named = named.unwrap_or(path);
                let named = (real != as_named.0).then_some(as_named);
                (ByteString(real), named)
            }
            _ => (path, named),
        },
        _ => (path, named),
    };
    EventKind::Open { path, flags, mode, result, named }
}

fn length_arg(sc: &Syscall) -> i64 {
    match sc.abi {
        Abi::X86_64 | Abi::X32 => sc.args[1] as i64,
        Abi::I386 => sc.int(1),
    }
}

/// i386's truncate64 and ftruncate64: the length's low and high halves in two registers.
fn split_length(sc: &Syscall) -> i64 {
    ((sc.args[1] & 0xffff_ffff) | (sc.args[2] << 32)) as i64
}
