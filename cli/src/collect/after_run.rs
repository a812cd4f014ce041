//! The file system and blob store as a run left them, as the fold asks about them: the
//! fold's one door to the disk ([`DiskView`]: states of paths now, extended attribute
//! names, hashes of files read, directories resolved, the contents the captures stored),
//! and [`LiveDisk`], which answers from the live system for a live run and recovery alike.
//! The fold reads nothing itself, so a test can answer from a fixed world.

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use runglass_model::ByteString;
use runglass_model::receipt::FileState;

use crate::collect::path_state::{self as capture, Keep};
use crate::collect::snapshot::hash_capped;
use crate::store::blobs::BlobStore;

/// What the fold may ask of the disk as the run left it.
pub trait DiskView {
    /// Where directory `dir` (absolute) really is, every symlink on the way resolved; None
    /// when it cannot be resolved (it is gone).
    fn real_dir(&self, dir: &[u8]) -> Option<Vec<u8>>;
    /// A path's state now, looked at the way the capture looked (through the symlink it
    /// followed, if it did), hashed up to the cap; with `keep`, its content is kept in the
    /// blob store for a diff.
    fn state(&self, path: &Path, followed: bool, keep: bool) -> Option<FileState>;
    /// The names of a path's extended attributes now (not following a final symlink).
    fn xattr_names(&self, path: &Path) -> Option<Vec<ByteString>>;
    /// Whether anything is at `path` now (a dangling symlink counts).
    fn exists(&self, path: &Path) -> bool;
    /// The hash (up to the cap) and size of the regular file at `path` now.
    fn read_hash(&self, path: &Path) -> (Option<String>, Option<u64>);
    /// Whether the blob store holds this content.
    fn stored(&self, hash: &blake3::Hash) -> bool;
    /// A content of the blob store, at most `size` bytes, for a diff; why not, otherwise.
    fn blob(&self, hash: &blake3::Hash, size: u64) -> Result<Vec<u8>, String>;
}

/// The live system, with contents hashed up to `cap` bytes.
pub struct LiveDisk {
    cap: u64,
    /// The store the captures put contents in (None: it cannot be opened, so nothing is
    /// stored and nothing is kept).
    blobs: Option<BlobStore>,
}

impl LiveDisk {
    pub fn new(blobs_dir: &Path, cap: u64) -> LiveDisk {
        LiveDisk { cap, blobs: BlobStore::open(blobs_dir).ok() }
    }
}

impl DiskView for LiveDisk {
    fn real_dir(&self, dir: &[u8]) -> Option<Vec<u8>> {
        std::fs::canonicalize(Path::new(OsStr::from_bytes(dir))).ok().map(|p| p.into_os_string().into_vec())
    }

    fn state(&self, path: &Path, followed: bool, keep: bool) -> Option<FileState> {
        let keep = if keep { self.blobs.as_ref().map(|b| b as &dyn Keep) } else { None };
        capture::observe(path, followed, self.cap, keep).ok().flatten().map(|o| o.state.into())
    }

    fn xattr_names(&self, path: &Path) -> Option<Vec<ByteString>> {
        capture::xattr_names(path, false)
    }

    fn exists(&self, path: &Path) -> bool {
        capture::exists(path)
    }

    /// The path was read by the command, which may since have swapped it for a fifo or a
    /// device: it is opened without blocking or taking a terminal, and only a regular file
    /// (by fstat) is read, never past the cap even if it grows.
    fn read_hash(&self, path: &Path) -> (Option<String>, Option<u64>) {
        let opened = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path);
        let Ok(mut file) = opened else { return (None, None) };
        let Some(meta) = file.metadata().ok().filter(|m| m.is_file()) else { return (None, None) };
        let hash = (meta.len() <= self.cap).then(|| hash_capped(&mut file, self.cap)).flatten();
        (hash.map(|(h, _)| h.to_hex().to_string()), Some(meta.len()))
    }

    fn stored(&self, hash: &blake3::Hash) -> bool {
        self.blobs.as_ref().is_some_and(|b| b.contains(hash))
    }

    fn blob(&self, hash: &blake3::Hash, size: u64) -> Result<Vec<u8>, String> {
        let blobs = self.blobs.as_ref().ok_or("the blob store cannot be opened")?;
        blobs.read(hash, size).map_err(|e| format!("{e:#}"))
    }
}
