//! Opens and path operations: which path, resolved how, with which flags.

use runglass_model::{ByteString, FileOp, OpenFlags};

use super::{Pending, Syscall, path_arg};
use crate::arch::Call;
use crate::before_change::Change;
use crate::memory::{MAX_PATH, Memory};
use crate::paths::AT_FDCWD;
use crate::sys::Tid;

const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const CREAT_FLAGS: u32 = OpenFlags::WRONLY | OpenFlags::CREAT | OpenFlags::TRUNC;

pub fn decode(mem: &Memory, tid: Tid, sc: &Syscall) -> Pending {
    let path = |dirfd: i64, arg: usize| path_arg(mem, tid, dirfd, sc.ptr(arg));
    let file = |op: FileOp, path: ByteString| Pending::File { op, path };
    match sc.call {
        Call::Open => Pending::Open { path: path(AT_FDCWD, 0), flags: OpenFlags(sc.u32(1)), mode: sc.u32(2) },
        Call::Openat => Pending::Open { path: path(sc.int(0), 1), flags: OpenFlags(sc.u32(2)), mode: sc.u32(3) },
        Call::Creat => Pending::Open { path: path(AT_FDCWD, 0), flags: OpenFlags(CREAT_FLAGS), mode: sc.u32(1) },
        Call::Openat2 => {
            // struct open_how { u64 flags; u64 mode; u64 resolve; }, the same in every ABI.
            let how = mem.read_exact(tid, sc.ptr(2), 16).unwrap_or_else(|_| vec![0; 16]);
            let flags = u64::from_le_bytes(how[0..8].try_into().expect("8 bytes"));
            let mode = u64::from_le_bytes(how[8..16].try_into().expect("8 bytes"));
            Pending::Open { path: path(sc.int(0), 1), flags: OpenFlags(flags as u32), mode: mode as u32 }
        }
        Call::Unlink => file(FileOp::Unlink, path(AT_FDCWD, 0)),
        Call::Unlinkat if sc.u32(2) & AT_REMOVEDIR != 0 => file(FileOp::Rmdir, path(sc.int(0), 1)),
        Call::Unlinkat => file(FileOp::Unlink, path(sc.int(0), 1)),
        Call::Rmdir => file(FileOp::Rmdir, path(AT_FDCWD, 0)),
        Call::Rename => file(FileOp::Rename { to: path(AT_FDCWD, 1), flags: 0 }, path(AT_FDCWD, 0)),
        Call::Renameat => file(FileOp::Rename { to: path(sc.int(2), 3), flags: 0 }, path(sc.int(0), 1)),
        Call::Renameat2 => file(FileOp::Rename { to: path(sc.int(2), 3), flags: sc.u32(4) }, path(sc.int(0), 1)),
        Call::Link => file(FileOp::Link { to: path(AT_FDCWD, 1) }, path(AT_FDCWD, 0)),
        Call::Linkat => file(FileOp::Link { to: path(sc.int(2), 3) }, path(sc.int(0), 1)),
        Call::Symlink => file(FileOp::Symlink { target: raw(mem, tid, sc.ptr(0)) }, path(AT_FDCWD, 1)),
        Call::Symlinkat => file(FileOp::Symlink { target: raw(mem, tid, sc.ptr(0)) }, path(sc.int(1), 2)),
        Call::Mkdir => file(FileOp::Mkdir { mode: sc.u32(1) }, path(AT_FDCWD, 0)),
        Call::Mkdirat => file(FileOp::Mkdir { mode: sc.u32(2) }, path(sc.int(0), 1)),
        Call::Truncate => file(FileOp::Truncate { length: length_arg(sc) }, path(AT_FDCWD, 0)),
        Call::Truncate64 => {
            let length = (sc.args[1] & 0xffff_ffff) | (sc.args[2] << 32);
            file(FileOp::Truncate { length: length as i64 }, path(AT_FDCWD, 0))
        }
        Call::Chmod => file(FileOp::Chmod { mode: sc.u32(1) }, path(AT_FDCWD, 0)),
        Call::Fchmodat | Call::Fchmodat2 => file(FileOp::Chmod { mode: sc.u32(2) }, path(sc.int(0), 1)),
        other => unreachable!("{other:?} is not a file call"),
    }
}

/// The paths `pending` (decoded from `sc`) is about to change: at most two, a rename's
/// source and destination. Opens count only with write intent; an O_PATH or O_TMPFILE
/// open changes no path, and a path that could not be read is left out.
pub fn changes<'a>(sc: &Syscall, pending: &'a Pending) -> [Option<Change<'a>>; 2] {
    let one = |path: &'a ByteString, follow: bool| [Some(Change { path, follow, renamed: false }), None];
    let found = match pending {
        Pending::Open { path, flags, .. } => {
            let writes = flags.writes() && !flags.has(OpenFlags::PATH) && !flags.has(OpenFlags::TMPFILE);
            if !writes {
                return [None, None];
            }
            // O_CREAT|O_EXCL fails on any existing path, a symlink included: nothing is followed.
            let exclusive = flags.has(OpenFlags::CREAT | OpenFlags::EXCL);
            one(path, !flags.has(OpenFlags::NOFOLLOW) && !exclusive)
        }
        Pending::File { op, path } => match op {
            FileOp::Unlink | FileOp::Rmdir | FileOp::Symlink { .. } | FileOp::Mkdir { .. } => one(path, false),
            FileOp::Rename { to, .. } => {
                let renamed = |path| Some(Change { path, follow: false, renamed: true });
                [renamed(path), renamed(to)]
            }
            FileOp::Link { to } => one(to, false),
            FileOp::Truncate { .. } => one(path, true),
            FileOp::Chmod { .. } => {
                let nofollow = sc.call == Call::Fchmodat2 && sc.u32(3) & AT_SYMLINK_NOFOLLOW != 0;
                one(path, !nofollow)
            }
            FileOp::Chown { .. } | FileOp::SetXattr { .. } | FileOp::RemoveXattr { .. } => one(path, true),
            FileOp::Mknod { .. } => one(path, false),
        },
        Pending::Exec { .. }
        | Pending::Connect { .. }
        | Pending::Bind { .. }
        | Pending::Listen { .. }
        | Pending::Recvfrom(_)
        | Pending::SoError { .. } => return [None, None],
    };
    found.map(|c| c.filter(|c| !c.path.is_empty()))
}

/// A string argument kept exactly as given (a symlink's target is not resolved).
fn raw(mem: &Memory, tid: Tid, ptr: u64) -> ByteString {
    ByteString(mem.read_cstr(tid, ptr, MAX_PATH).unwrap_or_default())
}

fn length_arg(sc: &Syscall) -> i64 {
    match sc.abi {
        crate::arch::Abi::X86_64 | crate::arch::Abi::X32 => sc.args[1] as i64,
        crate::arch::Abi::I386 => sc.int(1),
    }
}
