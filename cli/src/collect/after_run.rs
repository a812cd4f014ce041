//! The file system and blob store as a run left them, as the fold asks about them
//! ([`DiskView`]): states of paths now, extended attribute names, hashes of files read,
//! directories resolved, and the contents the captures stored.

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use runglass_model::ByteString;
use runglass_model::receipt::FileState;

use crate::collect::snapshot::hash_capped;
use crate::receipt::disk_view::DiskView;
use crate::record::capture::{self, Keep};
use crate::store::blobs::BlobStore;

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
