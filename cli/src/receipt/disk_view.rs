//! The one door through which the fold looks at the file system and the blob store as the
//! run left them. The fold reads nothing itself: what it needs of the disk it asks here,
//! and [`crate::collect::after_run::LiveDisk`] answers from the live system, so a live run
//! and recovery build their receipts the same way, and a test can answer from a fixed
//! world.

use std::path::Path;

use runglass_model::ByteString;
use runglass_model::receipt::FileState;

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
