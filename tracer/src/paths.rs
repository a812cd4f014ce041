//! Making a tracee's path argument absolute, the way the kernel will resolve it.
//!
//! A relative path is resolved against a directory fd or the caller's working directory
//! AT THE TIME OF THE CALL, so both are read from /proc while the tracee is stopped.
//! Symlinks are not followed and `..` is kept: the result names what the caller named.

use std::os::unix::ffi::OsStringExt;

use nix::errno::Errno;

use crate::sys::Tid;

/// The `dirfd` value meaning "the current working directory".
pub const AT_FDCWD: i64 = libc::AT_FDCWD as i64;

/// The working directory of thread `tid` (threads may have their own, without CLONE_FS).
pub fn cwd(tid: Tid) -> Result<Vec<u8>, Errno> {
    readlink(&format!("/proc/{tid}/cwd"))
}

/// What file descriptor `fd` of thread `tid` refers to.
pub fn fd_path(tid: Tid, fd: i64) -> Result<Vec<u8>, Errno> {
    if fd < 0 {
        return Err(Errno::EBADF);
    }
    readlink(&format!("/proc/{tid}/fd/{fd}"))
}

fn readlink(link: &str) -> Result<Vec<u8>, Errno> {
    std::fs::read_link(link)
        .map(|p| p.into_os_string().into_vec())
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))
}

/// Resolves `path` as the kernel would for a call with `dirfd` made by `tid`.
/// An empty path (AT_EMPTY_PATH) names the dirfd itself.
pub fn resolve(tid: Tid, dirfd: i64, path: &[u8]) -> Vec<u8> {
    if path.first() == Some(&b'/') {
        return normalize(path);
    }
    let base = if dirfd as i32 == libc::AT_FDCWD { cwd(tid) } else { fd_path(tid, dirfd as i32 as i64) };
    match base {
        Ok(base) if path.is_empty() => base,
        Ok(base) => join(&base, path),
        // The base is gone (the tracee died, or a bad fd): keep what the caller wrote.
        Err(_) => path.to_vec(),
    }
}

/// `base/rel`, with `.` components and repeated slashes dropped.
pub fn join(base: &[u8], rel: &[u8]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(base.len() + 1 + rel.len());
    joined.extend_from_slice(base);
    joined.push(b'/');
    joined.extend_from_slice(rel);
    normalize(&joined)
}

/// Drops `.` components, empty components and a trailing slash (keeps `..`, since a
/// symlink may stand before it).
pub fn normalize(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for part in path.split(|&b| b == b'/') {
        if part.is_empty() || part == b"." {
            continue;
        }
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_cleans_without_touching_dotdot() {
        assert_eq!(join(b"/home/u", b"./a//b/"), b"/home/u/a/b");
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"/a/b", b"../c"), b"/a/b/../c");
        assert_eq!(normalize(b"//"), b"/");
        assert_eq!(join(b"/t", b"\xff name\n"), b"/t/\xff name\n");
    }
}
