//! execve and execveat: the program, its argv and the caller's cwd, read at entry
//! because a successful exec replaces the memory they live in.

use runglass_model::ByteString;

use super::{Pending, Syscall};
use crate::arch::Call;
use crate::memory::{MAX_ARG, MAX_ARGS, MAX_PATH, Memory};
use crate::paths::{self, AT_FDCWD};
use crate::sys::Tid;

pub fn decode(mem: &Memory, tid: Tid, sc: &Syscall) -> Pending {
    let (dirfd, path_ptr, argv_ptr) = match sc.call {
        Call::Execveat => (sc.int(0), sc.ptr(1), sc.ptr(2)),
        _ => (AT_FDCWD, sc.ptr(0), sc.ptr(1)),
    };
    let raw_path = mem.read_cstr(tid, path_ptr, MAX_PATH).unwrap_or_default();
    // execveat(fd, "", ..., AT_EMPTY_PATH) runs the file the fd refers to.
    let path = paths::resolve(tid, dirfd, &raw_path);
    let argv = mem
        .read_ptr_array(tid, argv_ptr, sc.abi.word_size(), MAX_ARGS)
        .unwrap_or_default()
        .into_iter()
        .map(|p| ByteString(mem.read_cstr(tid, p, MAX_ARG).unwrap_or_default()))
        .collect();
    let cwd = paths::cwd(tid).unwrap_or_default();
    Pending::Exec { path: ByteString(path), argv, cwd: ByteString(cwd) }
}
