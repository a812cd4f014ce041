//! Making a tracee's path argument absolute, the way the kernel will resolve it.
//!
//! A relative path is resolved against a directory fd or the caller's working directory
//! AT THE TIME OF THE CALL, so both are read from /proc while the tracee is stopped.
//! Symlinks are not followed and `..` is kept: the result names what the caller named
//! (`reach` finds the file it leads to).
//!
//! A directory deeper than PATH_MAX has no name readlink can give (ENAMETOOLONG): its
//! name is then found by climbing from it with `..` and looking for each directory in its
//! parent's entries, so that no path is left relative.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirEntryExt, MetadataExt, OpenOptionsExt};

use nix::errno::Errno;
use runglass_model::path_bytes::{join, normalize};

use crate::sys::Tid;

/// The `dirfd` value meaning "the current working directory".
pub const AT_FDCWD: i64 = libc::AT_FDCWD as i64;

/// The working directory of thread `tid` (threads may have their own, without CLONE_FS).
pub fn cwd(tid: Tid) -> Result<Vec<u8>, Errno> {
    magic_target(format!("/proc/{tid}/cwd").as_bytes())
}

/// What file descriptor `fd` of thread `tid` refers to.
pub fn fd_path(tid: Tid, fd: i64) -> Result<Vec<u8>, Errno> {
    if fd < 0 {
        return Err(Errno::EBADF);
    }
    magic_target(format!("/proc/{tid}/fd/{fd}").as_bytes())
}

/// Where a /proc magic link (`fd/N`, `cwd`, `root`) leads, as the kernel names it
/// (`pipe:[N]`, `/path (deleted)` and the like included). A directory too deep for
/// readlink is named by climbing from it.
pub fn magic_target(link: &[u8]) -> Result<Vec<u8>, Errno> {
    match readlink(link) {
        Err(Errno::ENAMETOOLONG) => climb(link),
        other => other,
    }
}

/// The target of the symlink at `link`; EINVAL when it is not one.
pub fn readlink(link: &[u8]) -> Result<Vec<u8>, Errno> {
    std::fs::read_link(OsStr::from_bytes(link)).map(|p| p.into_os_string().into_vec()).map_err(|e| errno_of(&e))
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// Most directories climbed to name one (a path is at most a few MiB of `a/`).
const MAX_CLIMB: usize = 1 << 20;

/// The absolute name of the directory `dir` leads to, found without readlink: open it,
/// then repeatedly open `..` and find the entry of the parent that is the directory just
/// left (same device and inode), until `..` is the directory itself (the root). Every
/// step goes through this process's own descriptors (`/proc/self/fd/N/...`), so no path
/// given to the kernel is long.
fn climb(dir: &[u8]) -> Result<Vec<u8>, Errno> {
    let open_dir = |path: &std::path::Path| {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| errno_of(&e))
    };
    let via = |fd: &File, rest: &str| std::path::PathBuf::from(format!("/proc/self/fd/{}{rest}", fd.as_raw_fd()));
    let mut current = open_dir(std::path::Path::new(OsStr::from_bytes(dir)))?;
    let mut names: Vec<Vec<u8>> = Vec::new();
    loop {
        let here = current.metadata().map_err(|e| errno_of(&e))?;
        let parent = open_dir(&via(&current, "/.."))?;
        let up = parent.metadata().map_err(|e| errno_of(&e))?;
        if (up.dev(), up.ino()) == (here.dev(), here.ino()) {
            break;
        }
        names.push(entry_named(&via(&parent, ""), here.dev(), here.ino())?);
        if names.len() > MAX_CLIMB {
            return Err(Errno::ELOOP);
        }
        current = parent;
    }
    let mut path = Vec::new();
    for name in names.iter().rev() {
        path.push(b'/');
        path.extend_from_slice(name);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    Ok(path)
}

/// The name, in the directory at `parent`, of the entry that is (`dev`, `ino`). The
/// inode in a directory entry is the covered one for a mount point, so entries are first
/// matched by it and then, failing that, each is looked at.
fn entry_named(parent: &std::path::Path, dev: u64, ino: u64) -> Result<Vec<u8>, Errno> {
    let is_it =
        |name: &OsStr| std::fs::symlink_metadata(parent.join(name)).is_ok_and(|m| (m.dev(), m.ino()) == (dev, ino));
    let entries: Vec<std::fs::DirEntry> =
        std::fs::read_dir(parent).map_err(|e| errno_of(&e))?.filter_map(Result::ok).collect();
    let by_inode = entries.iter().find(|e| e.ino() == ino && is_it(&e.file_name()));
    let found = by_inode.or_else(|| entries.iter().find(|e| is_it(&e.file_name())));
    found.map(|e| e.file_name().into_vec()).ok_or(Errno::ENOENT)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_deeper_than_path_max_is_named_by_climbing_from_it() {
        let top = tempfile::tempdir().unwrap();
        let top_path = top.path().canonicalize().unwrap();
        let name = "d".repeat(200);
        let mut dir = File::open(&top_path).unwrap();
        for _ in 0..25 {
            let next = format!("/proc/self/fd/{}/{name}", dir.as_raw_fd());
            std::fs::create_dir(&next).unwrap();
            dir = File::open(next).unwrap();
        }
        let link = format!("/proc/self/fd/{}", dir.as_raw_fd());
        assert_eq!(readlink(link.as_bytes()), Err(Errno::ENAMETOOLONG), "too long for readlink");
        let deep = (0..25).fold(top_path, |p, _| p.join(&name));
        assert_eq!(magic_target(link.as_bytes()).unwrap(), deep.into_os_string().into_vec());
    }
}
