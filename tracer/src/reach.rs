//! Which file a path argument reaches: the symlink in its last component followed when the
//! call follows it, and /proc's magic links (`/proc/self/fd/N`, `/dev/fd/N`,
//! `/proc/PID/cwd/...`, `/proc/PID/root/...`) resolved as the CALLING task sees them. In
//! the tracer, /proc/self is runglass itself, so `self` and `thread-self` are read as the
//! caller's pid and thread.
//!
//! The common case costs one readlink, or nothing: a path outside /proc and /dev/fd whose
//! call does not follow its last component needs no look at all, and one that follows it
//! needs one readlink to learn that it is no symlink (or is absent). Anything else is
//! walked one component at a time, as the kernel walks it, with one readlink per
//! component. Directories on the way of a path taken the cheap way are kept as named: the
//! receipt resolves them.

use nix::errno::Errno;

use crate::paths;
use crate::sys::Tid;

/// The kernel gives up after this many symlinks in one lookup (MAXSYMLINKS).
const MAX_LINKS: usize = 40;

/// Where a path argument led.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reached {
    /// The file the call acts on (absolute, unless the caller's path could not be made so).
    pub path: Vec<u8>,
    /// The path as named, when it led elsewhere.
    pub named: Option<Vec<u8>>,
}

/// Where `named` (absolute, as made by [`paths::resolve`] for a call of thread `tid` of
/// process `pid`) leads, following a symlink in its last component when `follow`. What
/// cannot be resolved (a magic link to a pipe, a socket or a deleted file, a loop of
/// symlinks, a directory gone) keeps the path as named.
pub fn reach(pid: Tid, tid: Tid, named: Vec<u8>, follow: bool) -> Reached {
    let plain = |named| Reached { path: named, named: None };
    if !named.starts_with(b"/") {
        return plain(named);
    }
    if !through_proc(&named) {
        // Not a symlink (EINVAL), not there (ENOENT), or not to be followed: as named.
        if !follow || paths::readlink(&named).is_err() {
            return plain(named);
        }
    }
    match walk(pid, tid, &named, follow) {
        Some(path) if path != named => Reached { path, named: Some(named) },
        _ => plain(named),
    }
}

/// Whether a file the kernel names `target` (a magic link's target) has no name a path
/// could reach: a pipe, socket or anonymous inode (`pipe:[N]`), or a file removed since
/// it was opened (`/tmp/x (deleted)`, a memfd), unless a file of that very name exists.
pub fn unnamed(target: &[u8]) -> bool {
    !target.starts_with(b"/") || (target.ends_with(b" (deleted)") && paths::readlink(target) == Err(Errno::ENOENT))
}

/// Paths that go through /proc (or /dev/fd, /dev/stdin..., which lead there): only a
/// walk from the caller's point of view can tell where they lead.
fn through_proc(path: &[u8]) -> bool {
    let under = |dir: &[u8]| path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with(b"/"));
    under(b"/proc") || under(b"/dev/fd") || [&b"/dev/stdin"[..], b"/dev/stdout", b"/dev/stderr"].contains(&path)
}

/// Resolves `path` component by component. None when it cannot be resolved.
fn walk(pid: Tid, tid: Tid, path: &[u8], follow: bool) -> Option<Vec<u8>> {
    // Components still to look up, the next one last.
    let mut todo: Vec<Vec<u8>> = components(path).rev().map(<[u8]>::to_vec).collect();
    // The directories resolved so far, with no symlink left in them ("" is the root).
    let mut at: Vec<u8> = Vec::new();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        match &part[..] {
            b"" | b"." => continue,
            b".." => {
                let parent = at.iter().rposition(|&b| b == b'/').unwrap_or(0);
                at.truncate(parent);
                continue;
            }
            _ => {}
        }
        let last = todo.iter().all(|p| p.is_empty() || p == b".");
        // /proc/self and /proc/thread-self, as the caller would see them.
        let part = match (&at[..], &part[..]) {
            (b"/proc", b"self") => pid.to_string().into_bytes(),
            (b"/proc", b"thread-self") => {
                todo.push(tid.to_string().into_bytes());
                todo.push(b"task".to_vec());
                pid.to_string().into_bytes()
            }
            _ => part,
        };
        let mut candidate = at.clone();
        candidate.push(b'/');
        candidate.extend_from_slice(&part);
        if last && !follow {
            return Some(candidate);
        }
        if proc_dir(&candidate) {
            at = candidate;
            continue;
        }
        let magic = is_magic(&candidate);
        let read = if magic { paths::magic_target(&candidate) } else { paths::readlink(&candidate) };
        match read {
            Err(Errno::EINVAL) => at = candidate,
            Err(Errno::ENOENT | Errno::ENOTDIR) => {
                // Nothing there: the call creates it, or fails. The rest stays as named.
                at = candidate;
                while let Some(rest) = todo.pop() {
                    if !rest.is_empty() && rest != b"." {
                        at.push(b'/');
                        at.extend_from_slice(&rest);
                    }
                }
                return Some(at);
            }
            Err(_) => return None,
            Ok(target) => {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                if magic {
                    // A magic link jumps to the object itself: its target is already the
                    // file's name, and is not looked up again (it may be a symlink itself,
                    // opened with O_PATH|O_NOFOLLOW, and is then what the call acts on).
                    if unnamed(&target) {
                        return None;
                    }
                    at = if target == b"/" { Vec::new() } else { target };
                    continue;
                }
                if target.starts_with(b"/") {
                    at.clear();
                }
                todo.extend(components(&target).rev().map(<[u8]>::to_vec));
            }
        }
    }
    Some(if at.is_empty() { b"/".to_vec() } else { at })
}

fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
}

/// The parts of `path` after `/proc/PID`, with `/task/TID` dropped, when it is under a
/// numbered process directory.
fn in_process_dir(path: &[u8]) -> Option<Vec<&[u8]>> {
    let rest = path.strip_prefix(b"/proc/")?;
    let mut parts: Vec<&[u8]> = rest.split(|&b| b == b'/').collect();
    let numeric = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    if !numeric(parts[0]) {
        return None;
    }
    parts.remove(0);
    if parts.first() == Some(&&b"task"[..]) && parts.get(1).is_some_and(|p| numeric(p)) {
        parts.drain(..2);
    }
    Some(parts)
}

/// Directories of /proc that are never symlinks: `/proc`, `/proc/PID`, `/proc/PID/task`,
/// `/proc/PID/task/TID`, and their `fd`. Looking at them costs nothing.
fn proc_dir(path: &[u8]) -> bool {
    if path == b"/proc" {
        return true;
    }
    match in_process_dir(path) {
        Some(parts) => matches!(&parts[..], [] | [b"fd"] | [b"task"]),
        None => false,
    }
}

/// Magic links: `/proc/PID/fd/N`, `cwd`, `root`, `exe`, `map_files/...` (of a process or
/// one of its threads). Following one jumps straight to the file it stands for.
fn is_magic(path: &[u8]) -> bool {
    match in_process_dir(path) {
        Some(parts) => matches!(&parts[..], [b"fd" | b"map_files", _] | [b"cwd" | b"root" | b"exe"]),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> (Tid, Tid) {
        (nix::unistd::getpid().as_raw(), nix::unistd::gettid().as_raw())
    }

    fn bytes(p: &std::path::Path) -> Vec<u8> {
        p.as_os_str().as_encoded_bytes().to_vec()
    }

    #[test]
    fn the_last_symlink_is_followed_only_when_the_call_follows_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().canonicalize().unwrap();
        std::fs::create_dir(d.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere/target"), d.join("lnk")).unwrap();
        std::os::unix::fs::symlink("elsewhere", d.join("reldir")).unwrap();
        std::os::unix::fs::symlink("reldir/target", d.join("rel")).unwrap();
        let (pid, tid) = me();
        let lnk = bytes(&d.join("lnk"));
        let target = bytes(&d.join("elsewhere/target"));
        assert_eq!(reach(pid, tid, lnk.clone(), true), Reached { path: target.clone(), named: Some(lnk.clone()) });
        assert_eq!(reach(pid, tid, lnk.clone(), false), Reached { path: lnk, named: None });
        let rel = bytes(&d.join("rel"));
        assert_eq!(reach(pid, tid, rel.clone(), true).path, target, "relative targets through a symlinked directory");
        let plain = bytes(&d.join("elsewhere"));
        assert_eq!(reach(pid, tid, plain.clone(), true), Reached { path: plain, named: None });
    }

    #[test]
    fn proc_self_means_the_caller_and_magic_links_jump_to_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().canonicalize().unwrap();
        let file = std::fs::File::create(d.join("f")).unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        let (pid, tid) = me();
        for named in [
            format!("/proc/self/fd/{fd}"),
            format!("/proc/thread-self/fd/{fd}"),
            format!("/dev/fd/{fd}"),
            format!("/proc/{pid}/fd/{fd}"),
        ] {
            let got = reach(pid, tid, named.clone().into_bytes(), true);
            assert_eq!(got.path, bytes(&d.join("f")), "{named}");
            assert_eq!(got.named, Some(named.into_bytes()));
        }
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(reach(pid, tid, b"/proc/self/cwd/new-file".to_vec(), false).path, bytes(&cwd.join("new-file")));
        assert_eq!(reach(pid, tid, b"/proc/self/root/etc/hostname".to_vec(), true).path, b"/etc/hostname");
    }

    #[test]
    fn what_has_no_name_keeps_the_path_as_named() {
        let (pid, tid) = me();
        let (read, _write) = nix::unistd::pipe().unwrap();
        let named = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&read)).into_bytes();
        assert_eq!(reach(pid, tid, named.clone(), true), Reached { path: named, named: None });
        assert!(unnamed(b"pipe:[1234]"));
        assert!(unnamed(b"/nonexistent-runglass/x (deleted)"));
        assert!(!unnamed(b"/etc/hostname"));
    }

    #[test]
    fn magic_links_and_proc_directories_are_told_apart() {
        assert!(is_magic(b"/proc/12/fd/3") && is_magic(b"/proc/12/task/13/cwd") && is_magic(b"/proc/1/root"));
        assert!(!is_magic(b"/proc/12/fdinfo/3") && !is_magic(b"/proc/self/fd/3") && !is_magic(b"/proc/12/fd"));
        assert!(proc_dir(b"/proc") && proc_dir(b"/proc/12") && proc_dir(b"/proc/12/task/13/fd"));
        assert!(!proc_dir(b"/proc/self") && !proc_dir(b"/proc/12/cwd"));
        assert!(through_proc(b"/dev/fd/3") && through_proc(b"/dev/stdout") && through_proc(b"/proc"));
        assert!(!through_proc(b"/dev/null") && !through_proc(b"/procfoo/x") && !through_proc(b"/dev/fdx"));
    }
}
