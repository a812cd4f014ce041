//! Where revert refuses a path. The receipt's root is opened from `/` one component at a
//! time with O_NOFOLLOW, and must be the directory the run recorded (its device and
//! inode), so neither a symlink planted above the root nor a `root` edited in the receipt
//! leads revert to another tree. Every path a receipt names is then walked from the root
//! the same way, so neither a `..` in a crafted receipt nor a directory swapped for a
//! symlink since the run can lead revert anywhere else, and no symlink is ever followed on
//! the way to a file or at its end.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use runglass_model::receipt::DirId;

use runglass_model::path_bytes::is_plain_relative;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::atomic::Spot;
use super::error::RevertError;

/// Why revert will not touch a path, whatever the tree looks like now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a plain relative path: empty, absolute, with `.`, `..` or empty components, or
    /// holding a NUL byte.
    #[error("refused: not a plain path inside the receipt's root")]
    NotPlain,
    /// A directory on its way is now a symlink.
    #[error("refused: a directory on its way has been replaced by a symlink")]
    SymlinkOnTheWay,
    /// Something on the way could not be looked at.
    #[error("refused: its directory cannot be read ({0})")]
    Unreadable(Errno),
    /// The trace saw the change in a directory the snapshots skip, with no capture.
    #[error("before-state not captured: the trace saw this change, but could not record what was there before")]
    BeforeNotCaptured,
    /// All that changed is what revert does not restore.
    #[error("revert does not restore owners or extended attributes; only content, mode, times and symlinks")]
    OwnerOrXattrsOnly,
    /// A change outside the root, and the revert was not asked to include those.
    #[error("refused: outside the working directory (add --include-outside)")]
    OutsideNotIncluded,
    /// A change outside the root that normal mode saw, with no before-state.
    #[error("before-state not captured (only deep mode captures it)")]
    OutsideNotCaptured,
    /// A change outside the root made through a symlink.
    #[error("refused: it was changed through a symlink, which revert never follows")]
    ThroughSymlink,
}

/// The receipt's root, held open: every path is resolved beneath it.
pub struct Root {
    fd: OwnedFd,
}

/// A path's state now, never following a final symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub kind: FileType,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
}

const DIR_FLAGS: OFlags = OFlags::PATH.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

impl Root {
    /// Opens the absolute directory `root` from `/`, one component at a time, following no
    /// symlink on the way; with `recorded`, it must be that directory (its device and
    /// inode). Each refusal is one line saying why.
    pub fn open(root: &Path, recorded: Option<DirId>) -> Result<Root, RevertError> {
        let bytes = root.as_os_str().as_bytes();
        let parts: Vec<&[u8]> = bytes.split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
        if !bytes.starts_with(b"/") || bytes.contains(&0) || parts.iter().any(|p| *p == b"." || *p == b"..") {
            return Err(RevertError::RootNotPlain(root.to_owned()));
        }
        let mut reached = PathBuf::from("/");
        let unreadable = |reached: &Path, errno| RevertError::RootUnreadable {
            root: root.to_owned(),
            reached: reached.to_owned(),
            errno,
        };
        let mut fd = rustix::fs::open("/", DIR_FLAGS, Mode::empty()).map_err(|e| unreadable(&reached, e))?;
        for part in parts {
            reached.push(OsStr::from_bytes(part));
            fd = match rustix::fs::openat(fd.as_fd(), part, DIR_FLAGS, Mode::empty()) {
                Ok(next) => next,
                Err(Errno::NOTDIR) | Err(Errno::LOOP) => {
                    let what = match rustix::fs::statat(fd.as_fd(), part, AtFlags::SYMLINK_NOFOLLOW) {
                        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => "is a symlink",
                        _ => "is not a directory",
                    };
                    return Err(RevertError::RootDetour { root: root.to_owned(), reached, what });
                }
                Err(Errno::NOENT) => return Err(RevertError::RootGone { root: root.to_owned(), reached }),
                Err(e) => return Err(unreadable(&reached, e)),
            };
        }
        if let Some(id) = recorded {
            let st = rustix::fs::fstat(&fd).map_err(|e| unreadable(&reached, e))?;
            let now = DirId { dev: st.st_dev as u64, ino: st.st_ino as u64 };
            if (now.dev, now.ino) != (id.dev, id.ino) {
                return Err(RevertError::RootReplaced { root: root.to_owned(), recorded: id, now });
            }
        }
        Ok(Root { fd })
    }

    /// The directory holding `rel`, and `rel`'s last component; `None` when a directory
    /// on the way does not exist (or is no longer a directory), so `rel` cannot either.
    fn parent<'p>(&self, rel: &'p [u8]) -> Result<Option<(OwnedFd, &'p [u8])>, Refusal> {
        check_plain(rel)?;
        let mut parts: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
        let name = parts.pop().unwrap_or_default();
        let mut dir =
            rustix::fs::openat(self.fd.as_fd(), c".", DIR_FLAGS, Mode::empty()).map_err(Refusal::Unreadable)?;
        for part in parts {
            match rustix::fs::statat(dir.as_fd(), part, AtFlags::SYMLINK_NOFOLLOW) {
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(Refusal::Unreadable(e)),
                Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                    FileType::Symlink => return Err(Refusal::SymlinkOnTheWay),
                    FileType::Directory => {}
                    _ => return Ok(None),
                },
            }
            // O_NOFOLLOW with O_DIRECTORY fails on a symlink: one swapped in since the
            // stat above is refused too.
            dir = match rustix::fs::openat(dir.as_fd(), part, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOTDIR) | Err(Errno::LOOP) => return Err(Refusal::SymlinkOnTheWay),
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(Refusal::Unreadable(e)),
            };
        }
        Ok(Some((dir, name)))
    }

    /// The directory holding `rel`, held open, and `rel`'s name in it: where revert acts
    /// on `rel`. `None` when a directory on the way does not exist.
    pub fn spot(&self, rel: &[u8]) -> Result<Option<Spot>, Refusal> {
        Ok(self.parent(rel)?.map(|(dir, name)| Spot { dir, name: name.to_vec() }))
    }

    /// What is at `rel` now: `None` when nothing is there.
    pub fn now(&self, rel: &[u8]) -> Result<Option<Now>, Refusal> {
        let Some((dir, name)) = self.parent(rel)? else { return Ok(None) };
        match rustix::fs::statat(dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Now {
                kind: FileType::from_raw_mode(st.st_mode),
                mode: st.st_mode & 0o7777,
                size: st.st_size as u64,
                uid: st.st_uid,
                gid: st.st_gid,
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(Refusal::Unreadable(e)),
        }
    }

    /// The target of the symlink at `rel` (`None` when it is not there).
    pub fn link_target(&self, rel: &[u8]) -> Result<Option<Vec<u8>>, Refusal> {
        let Some((dir, name)) = self.parent(rel)? else { return Ok(None) };
        match rustix::fs::readlinkat(dir.as_fd(), name, Vec::new()) {
            Ok(target) => Ok(Some(target.into_bytes())),
            Err(Errno::NOENT) | Err(Errno::INVAL) => Ok(None),
            Err(e) => Err(Refusal::Unreadable(e)),
        }
    }

    /// Opens the regular file at `rel` for reading; a symlink at its end is refused.
    pub fn open_file(&self, rel: &[u8]) -> Result<Option<File>, Refusal> {
        let Some((dir, name)) = self.parent(rel)? else { return Ok(None) };
        match rustix::fs::openat(dir.as_fd(), name, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
        {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP) => Err(Refusal::SymlinkOnTheWay),
            Err(e) => Err(Refusal::Unreadable(e)),
        }
    }
}

/// A receipt's path must be relative, and made of plain names: no `.`, `..` or empty
/// component, no NUL.
pub fn check_plain(rel: &[u8]) -> Result<(), Refusal> {
    if is_plain_relative(rel) { Ok(()) } else { Err(Refusal::NotPlain) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        for ok in [&b"a"[..], b"a/b.txt", b"dir/.hidden", b"x..y"] {
            assert_eq!(check_plain(ok), Ok(()), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [&b""[..], b"/etc/passwd", b"../outside", b"a/../../b", b"a//b", b"./a", b"a/", b"a\0b"] {
            assert_eq!(check_plain(bad), Err(Refusal::NotPlain), "{}", String::from_utf8_lossy(bad));
        }
    }

    fn dir_id(path: &Path) -> DirId {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).unwrap();
        DirId { dev: meta.dev(), ino: meta.ino() }
    }

    #[test]
    fn a_root_is_opened_from_the_top_without_a_symlink_and_must_be_the_recorded_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let (root, other) = (base.join("x/proj"), base.join("other/proj"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        let id = dir_id(&root);
        assert!(Root::open(&root, Some(id)).is_ok());
        assert!(Root::open(Path::new("/"), None).is_ok());

        let err = |root: &Path, id| format!("{:#}", Root::open(root, id).err().expect("a refusal"));
        let edited = err(&other, Some(id));
        assert!(
            edited.starts_with("refusing to revert: ") && edited.contains("not the directory the command ran in"),
            "{edited}"
        );
        assert!(!edited.contains('\n'), "one line: {edited}");
        assert!(err(&base.join("x/../other/proj"), None).contains("not a plain absolute path"));
        assert!(err(Path::new("x/proj"), None).contains("not a plain absolute path"));

        std::fs::rename(base.join("x"), base.join("moved")).unwrap();
        std::os::unix::fs::symlink(base.join("other"), base.join("x")).unwrap();
        let planted = err(&root, None);
        let above = base.join("x");
        assert!(planted.contains(&format!("{} on the way to the receipt's root", above.display())), "{planted}");
        assert!(planted.contains("is a symlink now"), "{planted}");
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_is_refused_and_a_final_symlink_is_not_followed() {
        let base = tempfile::tempdir().unwrap();
        let (root, outside) = (base.path().join("root"), base.path().join("outside"));
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret"), "s").unwrap();
        std::fs::write(root.join("real/f"), "f").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("swapped")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), root.join("link")).unwrap();
        let r = Root::open(&root, None).unwrap();

        assert_eq!(r.now(b"real/f").unwrap().unwrap().kind, FileType::RegularFile);
        assert_eq!(r.now(b"swapped/secret"), Err(Refusal::SymlinkOnTheWay));
        assert!(matches!(r.open_file(b"swapped/secret"), Err(Refusal::SymlinkOnTheWay)));
        assert_eq!(r.now(b"link").unwrap().unwrap().kind, FileType::Symlink, "the link itself");
        assert!(matches!(r.open_file(b"link"), Err(Refusal::SymlinkOnTheWay)), "never followed");
        assert_eq!(r.now(b"missing/dir/f"), Ok(None));
        assert_eq!(r.now(b"real/f/below-a-file"), Ok(None));
        assert_eq!(r.now(b"../outside/secret"), Err(Refusal::NotPlain));
    }
}
