//! Paths longer than PATH_MAX (4096 bytes), which the kernel refuses whole
//! (ENAMETOOLONG): the parent directory is opened a piece at a time, each piece relative
//! to the directory opened before, and the path is then named through that open
//! directory (`/proc/self/fd/N/name`), which is short. Directories on the way are followed
//! as the kernel follows them for the full path; the last component is not touched.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Longer paths than this are reached through their parent directory.
const MAX_WHOLE: usize = 4000;

/// A path the kernel accepts, naming the same file as the one it was made from; holds the
/// parent directory open while it is in use.
pub struct Reachable {
    path: PathBuf,
    _parent: Option<File>,
}

impl Reachable {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `path` itself when it is short enough; otherwise the same file through its open parent.
pub fn reachable(path: &Path) -> io::Result<Reachable> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() <= MAX_WHOLE {
        return Ok(Reachable { path: path.to_path_buf(), _parent: None });
    }
    let split =
        bytes.iter().rposition(|&b| b == b'/').ok_or_else(|| io::Error::from_raw_os_error(libc::ENAMETOOLONG))?;
    let (parent, name) = (&bytes[..split.max(1)], &bytes[split + 1..]);
    let dir = open_dir_in_pieces(parent)?;
    let path = through(&dir, name);
    Ok(Reachable { path, _parent: Some(dir) })
}

fn through(dir: &File, rest: &[u8]) -> PathBuf {
    let mut path = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
    path.extend_from_slice(rest);
    PathBuf::from(OsStr::from_bytes(&path))
}

/// Opens the directory `path` (absolute, of any length) with O_PATH, each piece of at
/// most [`MAX_WHOLE`] bytes relative to the directory opened before.
fn open_dir_in_pieces(path: &[u8]) -> io::Result<File> {
    let open = |p: &Path| OpenOptions::new().read(true).custom_flags(libc::O_PATH | libc::O_DIRECTORY).open(p);
    let mut dir: Option<File> = None;
    let mut rest = path;
    while !rest.is_empty() {
        let cut = if rest.len() <= MAX_WHOLE {
            rest.len()
        } else {
            // The last separator within the limit; a single name is at most 255 bytes.
            rest[..MAX_WHOLE]
                .iter()
                .rposition(|&b| b == b'/')
                .filter(|&at| at > 0)
                .ok_or_else(|| io::Error::from_raw_os_error(libc::ENAMETOOLONG))?
        };
        let (piece, after) = rest.split_at(cut);
        let next = match &dir {
            None => open(Path::new(OsStr::from_bytes(piece)))?,
            Some(dir) => open(&through(dir, piece.strip_prefix(b"/").unwrap_or(piece)))?,
        };
        dir = Some(next);
        rest = after;
    }
    dir.ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_deeper_than_path_max_is_reached_through_its_parent() {
        let top = tempfile::tempdir().unwrap();
        let name = "d".repeat(200);
        let mut dir = File::open(top.path()).unwrap();
        for _ in 0..25 {
            let next = through(&dir, name.as_bytes());
            std::fs::create_dir(&next).unwrap();
            dir = File::open(next).unwrap();
        }
        std::fs::write(through(&dir, b"f"), b"deep").unwrap();
        let deep = (0..25).fold(top.path().to_path_buf(), |p, _| p.join(&name)).join("f");
        assert!(deep.as_os_str().len() > 4096);
        assert!(std::fs::read(&deep).is_err(), "too long for the kernel whole");
        let reached = reachable(&deep).unwrap();
        assert_eq!(std::fs::read(reached.path()).unwrap(), b"deep");
        assert!(reachable(&deep.with_file_name("absent")).is_ok_and(|r| !r.path().exists()));
        let short = top.path().join("x");
        assert_eq!(reachable(&short).unwrap().path(), short);
    }
}
