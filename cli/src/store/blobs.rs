//! The content-addressed blob store shared by all receipts: one file per distinct content,
//! named by its BLAKE3 hash (`<dir>/ab/cdef…`), so a file that did not change between runs
//! costs nothing the next time.
//!
//! Blobs are written to a temporary file inside the store and renamed into place, so a
//! concurrent run or a crash never leaves a partial blob under a hash name. Blobs are not
//! fsynced (that would cost one sync per file); reading verifies the hash instead, so a blob
//! damaged by a power loss is an error, never wrong data.
//!
//! A blob is named by a parsed [`blake3::Hash`], never by a string from a receipt, and
//! opened without following a symlink at its name.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use tempfile::NamedTempFile;

/// Read and write in chunks of this size when streaming.
const CHUNK: usize = 128 * 1024;

/// A handle on the store; its clones share the count of contents it could not keep (a
/// run hands clones of its store to the snapshots and to the trace's capture writer).
#[derive(Clone)]
pub struct BlobStore {
    dir: PathBuf,
    /// Contents this store and its clones were asked for and could not keep for lack of space.
    not_kept_full: Arc<AtomicU64>,
}

impl BlobStore {
    /// Opens the store at `dir`, creating it if needed.
    pub fn open(dir: &Path) -> anyhow::Result<BlobStore> {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "creating the blob store {}; make the data directory writable or set RUNGLASS_DATA_HOME",
                dir.display()
            )
        })?;
        Ok(BlobStore { dir: dir.to_path_buf(), not_kept_full: Arc::default() })
    }

    /// Counts a content that was not kept because the disk was full (the caller goes on
    /// without it).
    pub fn note_full(&self) {
        self.not_kept_full.fetch_add(1, Ordering::Relaxed);
    }

    /// How many contents this store and its clones did not keep because the disk was full
    /// ([`BlobStore::note_full`]).
    pub fn full(&self) -> u64 {
        self.not_kept_full.load(Ordering::Relaxed)
    }

    pub fn contains(&self, hash: &blake3::Hash) -> bool {
        std::fs::symlink_metadata(self.path(hash)).is_ok_and(|m| m.is_file())
    }

    /// Where the blob of `hash` lives (whether or not it is there).
    pub fn path(&self, hash: &blake3::Hash) -> PathBuf {
        let hex = hash.to_hex();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// Streams `r` into the store, returning its hash and size; stores nothing and returns
    /// `None` when `r` holds more than `cap` bytes (a file that grew past the cap while
    /// being read is not kept).
    pub fn put_reader_capped(&self, mut r: impl Read, cap: u64) -> anyhow::Result<Option<(blake3::Hash, u64)>> {
        let mut tmp = self.temp_file()?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; CHUNK];
        let mut len = 0u64;
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading the content to store"),
            };
            len += n as u64;
            if len > cap {
                return Ok(None);
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).with_context(|| format!("writing {}", tmp.path().display()))?;
        }
        let hash = hasher.finalize();
        self.commit(tmp, &hash)?;
        Ok(Some((hash, len)))
    }

    /// Stores `b` unless the store already has it.
    pub fn put_bytes(&self, b: &[u8]) -> anyhow::Result<blake3::Hash> {
        let hash = blake3::hash(b);
        if self.contains(&hash) {
            return Ok(hash);
        }
        let path = self.path(&hash);
        // The hash is known first, so the temporary file can sit beside the blob: one
        // directory per blob prefix rather than one for all spreads the filesystem work.
        let dir = path.parent().unwrap_or(&self.dir);
        let mut tmp = match NamedTempFile::new_in(dir) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                NamedTempFile::new_in(dir)
            }
            tmp => tmp,
        }
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        tmp.write_all(b).with_context(|| format!("writing {}", tmp.path().display()))?;
        tmp.persist(&path).with_context(|| format!("storing blob {}", path.display()))?;
        Ok(hash)
    }

    /// Reads a blob back, verifying its hash (a damaged blob is an error, not wrong data).
    /// A blob larger than `limit` is an error too, so a caller's memory stays bounded.
    pub fn read(&self, hash: &blake3::Hash, limit: u64) -> anyhow::Result<Vec<u8>> {
        let path = self.path(hash);
        let file = self.open_blob(hash)?;
        let mut content = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut content)
            .with_context(|| format!("reading blob {}", path.display()))?;
        if content.len() as u64 > limit {
            bail!("blob {} is larger than the {limit} bytes expected", path.display());
        }
        if blake3::hash(&content) != *hash {
            bail!("blob {} is damaged: its content no longer matches its hash; delete it", path.display());
        }
        Ok(content)
    }

    /// Opens the blob of `hash` for reading, refusing a symlink in its place. Its content is
    /// not verified: [`BlobStore::read`] does that.
    pub fn open_blob(&self, hash: &blake3::Hash) -> anyhow::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path(hash);
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .with_context(|| format!("reading blob {}", path.display()))
    }

    /// Deletes blobs not in `keep` and older than `min_age` (younger ones may belong to a
    /// run whose manifest is not written yet), and temporaries a crash left behind.
    /// Returns how many files and bytes were freed.
    pub fn collect_garbage(
        &self,
        keep: &std::collections::HashSet<[u8; 32]>,
        min_age: std::time::Duration,
    ) -> anyhow::Result<(u64, u64)> {
        let now = std::time::SystemTime::now();
        let old = |m: &std::fs::Metadata| {
            m.modified().ok().and_then(|t| now.duration_since(t).ok()).is_some_and(|a| a >= min_age)
        };
        let (mut files, mut bytes) = (0, 0);
        let read = |dir: &Path| std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()));
        for shard in read(&self.dir)?.flatten() {
            let name = shard.file_name();
            let name = name.to_string_lossy();
            let Ok(meta) = shard.metadata() else { continue };
            if meta.is_file() && name.starts_with('.') && old(&meta) {
                files += 1;
                bytes += meta.len();
                let _ = std::fs::remove_file(shard.path());
                continue;
            }
            if !meta.is_dir() || name.len() != 2 {
                continue;
            }
            for blob in read(&shard.path())?.flatten() {
                let Ok(meta) = blob.metadata() else { continue };
                let hex = format!("{name}{}", blob.file_name().to_string_lossy());
                let referenced = blake3::Hash::from_hex(&hex).is_ok_and(|h| keep.contains(h.as_bytes()));
                if meta.is_file() && !referenced && old(&meta) {
                    std::fs::remove_file(blob.path()).with_context(|| format!("deleting {}", blob.path().display()))?;
                    files += 1;
                    bytes += meta.len();
                }
            }
        }
        Ok((files, bytes))
    }

    /// A temporary file in the store itself, so the final rename stays on one filesystem.
    /// Its name starts with a dot, so it is never mistaken for a blob; it is removed when
    /// dropped unless persisted.
    fn temp_file(&self) -> anyhow::Result<NamedTempFile> {
        NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("creating a temporary file in the blob store {}", self.dir.display()))
    }

    /// Moves a streamed blob into place unless the store already has it.
    fn commit(&self, tmp: NamedTempFile, hash: &blake3::Hash) -> anyhow::Result<()> {
        if self.contains(hash) {
            return Ok(());
        }
        let path = self.path(hash);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        tmp.persist(&path).with_context(|| format!("storing blob {}", path.display()))?;
        Ok(())
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::open(&dir.path().join("blobs")).expect("open");
        (dir, store)
    }

    #[test]
    fn put_bytes_and_put_reader_agree_on_the_name_and_read_back_the_content() {
        let (_dir, store) = store();
        let hash = store.put_bytes(b"hello\n").expect("put_bytes");
        assert_eq!(hash, blake3::hash(b"hello\n"));
        let (again, len) =
            store.put_reader_capped(&b"hello\n"[..], u64::MAX).expect("put_reader_capped").expect("within the cap");
        assert_eq!((again, len), (hash, 6));
        assert!(store.contains(&hash));
        let hex = hash.to_hex();
        assert!(store.path(&hash).ends_with(format!("{}/{}", &hex[..2], &hex[2..])));
        assert_eq!(store.read(&hash, 6).expect("read"), b"hello\n");
    }

    #[test]
    fn garbage_collection_keeps_referenced_and_young_blobs() {
        let (_dir, store) = store();
        let kept = store.put_bytes(b"kept").unwrap();
        let dropped = store.put_bytes(b"dropped").unwrap();
        let keep: std::collections::HashSet<[u8; 32]> = [*kept.as_bytes()].into();
        assert_eq!(
            store.collect_garbage(&keep, std::time::Duration::from_secs(3600)).unwrap(),
            (0, 0),
            "young blobs stay"
        );
        assert_eq!(store.collect_garbage(&keep, std::time::Duration::ZERO).unwrap(), (1, 7));
        assert!(store.contains(&kept) && !store.contains(&dropped));
    }

    #[test]
    fn a_damaged_blob_is_an_error_not_wrong_data() {
        let (_dir, store) = store();
        let hash = store.put_bytes(b"original").expect("put");
        std::fs::write(store.path(&hash), b"tampered").expect("damage");
        let err = store.read(&hash, 100).expect_err("damage must be detected");
        assert!(format!("{err:#}").contains("damaged"), "{err:#}");
    }

    #[test]
    fn read_refuses_a_blob_over_the_limit() {
        let (_dir, store) = store();
        let hash = store.put_bytes(&[7u8; 100]).expect("put");
        assert!(store.read(&hash, 99).is_err());
        assert_eq!(store.read(&hash, 100).expect("read").len(), 100);
    }

    #[test]
    fn content_over_the_cap_is_not_stored_and_leaves_no_temporary_file() {
        let (dir, store) = store();
        let outcome = store.put_reader_capped(&[1u8; 1000][..], 999).expect("put");
        assert!(outcome.is_none());
        assert!(!store.contains(&blake3::hash(&[1u8; 1000])));
        let left: Vec<_> = std::fs::read_dir(dir.path().join("blobs")).expect("list").collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
