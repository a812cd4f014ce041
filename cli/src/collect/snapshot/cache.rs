//! The stat cache: for each file of the last snapshot of a root, its identity and times and
//! the hash of its content, so a file whose device, inode, size, mtime and ctime did not
//! change is not read again. One file per root: `<data>/cache/stat-<blake3 of root>.bin`.
//!
//! The file is replaced atomically but not synced (losing it to a power loss costs one
//! full read); a BLAKE3 checksum of its body makes sure that whatever a crash leaves in its
//! place reads as no cache at all, never as wrong hashes.
//!
//! Racy files: a file changed within the timestamp granularity of its last stat keeps the
//! same mtime and ctime, and would look unchanged. So, as git does with its index, a file is
//! vouched for only when its times are older than the snapshot that recorded it by more
//! than any filesystem's granularity ([`RACY_WINDOW_NS`]); recent files are simply read
//! again next time.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Entry;

/// The first bytes of a cache file; the digit is the format's version. Then the BLAKE3 of
/// the body, then the body ([`CacheFile`] in postcard).
const MAGIC: &[u8; 8] = b"RGSTATC3";
/// Larger than the coarsest common timestamp granularity (2 s on FAT) plus the coarse
/// clock's lag behind real time.
const RACY_WINDOW_NS: i64 = 3_000_000_000;

/// The body of a cache file whose magic and checksum hold.
fn checked_body(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, body) = rest.split_at_checked(32)?;
    (blake3::hash(body).as_bytes() == sum).then_some(body)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Cached {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    hash: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    root: Vec<u8>,
    files: HashMap<Vec<u8>, Cached>,
}

pub struct StatCache {
    path: PathBuf,
    root: Vec<u8>,
    files: HashMap<Vec<u8>, Cached>,
    racy_window_ns: i64,
}

impl StatCache {
    /// The cache of `root`'s last snapshot; a missing or damaged cache is an empty one (it
    /// only saves work).
    pub fn load(data_dir: &Path, root: &Path) -> StatCache {
        let root = root.as_os_str().as_bytes().to_vec();
        let name = format!("stat-{}.bin", blake3::hash(&root).to_hex());
        let path = data_dir.join("cache").join(name);
        let files = std::fs::read(&path)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<CacheFile>(checked_body(&bytes)?).ok())
            .filter(|file| file.root == root)
            .map(|file| file.files)
            .unwrap_or_default();
        StatCache { path, root, files, racy_window_ns: RACY_WINDOW_NS }
    }

    /// Writes the cache, atomically.
    pub fn save(&self) -> anyhow::Result<()> {
        let file = CacheFile { root: self.root.clone(), files: self.files.clone() };
        let body = postcard::to_stdvec(&file).with_context(|| format!("encoding {}", self.path.display()))?;
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(blake3::hash(&body).as_bytes());
        bytes.extend(body);
        crate::store::atomic::replace(&self.path, &bytes)
    }

    /// A cache that trusts files however recently they changed, for tests of cache hits on
    /// files they just wrote.
    #[cfg(test)]
    pub(super) fn trusting_recent_files(mut self) -> StatCache {
        self.racy_window_ns = 0;
        self
    }

    /// The hash of `rel` if the cache vouches that `e` (a regular file, as just listed) has
    /// not changed since it was hashed.
    pub(super) fn hash(&self, rel: &[u8], e: &Entry) -> Option<[u8; 32]> {
        let c = self.files.get(rel)?;
        let same_file = c.dev == e.dev && c.ino == e.ino && c.size == e.size;
        let same_times = c.mtime_ns == e.mtime_ns && c.ctime_ns == e.ctime_ns;
        (same_file && same_times).then_some(c.hash)
    }

    /// Replaces the cache with the hashed files of a snapshot that started at `started_ns`
    /// (Unix time), leaving out files too recent to vouch for later.
    pub(super) fn replace<'a>(&mut self, entries: impl Iterator<Item = (&'a Vec<u8>, &'a Entry)>, started_ns: i64) {
        let trusted_before = started_ns.saturating_sub(self.racy_window_ns);
        self.files = entries
            .filter(|(_, e)| e.mtime_ns.max(e.ctime_ns) < trusted_before)
            .filter_map(|(rel, e)| {
                let hash = e.hash?;
                let cached =
                    Cached { dev: e.dev, ino: e.ino, size: e.size, mtime_ns: e.mtime_ns, ctime_ns: e.ctime_ns, hash };
                Some((rel.clone(), cached))
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::receipt::FileKind;

    #[test]
    fn a_damaged_cache_file_reads_as_no_cache() {
        let data = tempfile::tempdir().unwrap();
        let root = data.path().join("root");
        let entry = Entry {
            kind: FileKind::File,
            size: 1,
            mode: 0o644,
            mtime_ns: 0,
            ctime_ns: 0,
            ino: 1,
            dev: 1,
            hash: Some([7; 32]),
            target: None,
            capped: false,
            stored: false,
            uid: Some(0),
            gid: Some(0),
        };
        let mut cache = StatCache::load(data.path(), &root);
        cache.replace([(&b"f".to_vec(), &entry)].into_iter(), i64::MAX);
        cache.save().unwrap();
        assert_eq!(StatCache::load(data.path(), &root).hash(b"f", &entry), Some([7; 32]));

        let mut bytes = std::fs::read(&cache.path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&cache.path, &bytes).unwrap();
        assert_eq!(StatCache::load(data.path(), &root).hash(b"f", &entry), None);
    }
}
