//! One path's state as runglass records it: kind, size, mode, mtime, a symlink's target,
//! and a regular file's BLAKE3 up to the cap, its content kept (in the blob store, now or
//! by a writer thread) when a [`Keep`] is given. Used for the state before a traced call
//! changes a path, for the state after the command, and to keep the after-content of
//! files a deep run changed.
//!
//! A path longer than PATH_MAX is reached through its open parent directory.
//!
//! Only a regular file is ever opened, and only with O_NONBLOCK|O_NOCTTY (O_NOFOLLOW too
//! unless the symlink is followed on purpose), then checked again through the open file:
//! a path swapped for a fifo, a device or a symlink between the look and the open is
//! never read.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Read};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use runglass_model::receipt::FileKind;
use runglass_model::{ByteString, PathState};

mod long_path;

use crate::collect::snapshot::{hash_capped, kind_of, nanos};
use crate::store::blobs::BlobStore;
use long_path::reachable;

/// Files up to this size are read whole and stored only when the store lacks them;
/// larger ones stream through a temporary blob.
const WHOLE_READ_MAX: u64 = 1024 * 1024;

/// Where the content of a regular file goes.
pub trait Keep {
    /// Keeps `content`, a whole file within the cap.
    fn keep(&self, content: Vec<u8>) -> anyhow::Result<()>;
    /// Streams a larger file into the blob store: its hash, or None when it holds more
    /// than `cap` bytes (then nothing is kept).
    fn keep_stream(&self, r: &mut dyn Read, cap: u64) -> anyhow::Result<Option<blake3::Hash>>;
}

impl Keep for BlobStore {
    fn keep(&self, content: Vec<u8>) -> anyhow::Result<()> {
        self.put_bytes(&content).map(drop)
    }

    fn keep_stream(&self, r: &mut dyn Read, cap: u64) -> anyhow::Result<Option<blake3::Hash>> {
        Ok(self.put_reader_capped(r, cap)?.map(|(hash, _)| hash))
    }
}

/// A path's state, and whether the symlink at it was followed to get it.
#[derive(Debug)]
pub struct Observed {
    pub state: PathState,
    pub followed: bool,
}

/// The state of `path` (None: nothing is there). With `follow`, a symlink at `path` is
/// followed to what it leads to (a dangling one is recorded as the symlink). A regular
/// file within `cap` is hashed, and kept by `store` when given. Fails when the path
/// cannot be examined, or when the content cannot be kept (the state is then lost too:
/// a capture is all or nothing about its content).
pub fn observe(path: &Path, follow: bool, cap: u64, store: Option<&dyn Keep>) -> anyhow::Result<Option<Observed>> {
    let reachable = match reachable(path) {
        Ok(reachable) => reachable,
        Err(e) if absent(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let path = reachable.path();
    let link = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if absent(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (meta, followed) = match follow && link.file_type().is_symlink() {
        true => std::fs::metadata(path).map_or((link, false), |target| (target, true)),
        false => (link, false),
    };
    let mut state = state_of(&meta);
    match state.kind {
        FileKind::File if meta.len() > cap => state.capped = true,
        FileKind::File => match content(path, &meta, followed, cap, store)? {
            Content::Read { hash, stored } => {
                state.blake3 = Some(hash.to_hex().to_string());
                state.stored = stored;
            }
            Content::OverCap => state.capped = true,
            Content::Unreadable => {}
        },
        FileKind::Symlink => state.target = std::fs::read_link(path).ok().map(|t| t.into_os_string().into_vec().into()),
        FileKind::Dir | FileKind::Other => {}
    }
    state.xattrs = xattr_names(path, followed);
    Ok(Some(Observed { state, followed }))
}

/// The most an attribute list can hold (XATTR_LIST_MAX).
const XATTR_LIST_MAX: usize = 64 * 1024;

/// The names of the extended attributes of `path` (of the file a symlink leads to, with
/// `follow`), sorted; None when they cannot be listed. A file system without extended
/// attributes has none.
pub fn xattr_names(path: &Path, follow: bool) -> Option<Vec<ByteString>> {
    let mut buf = vec![0u8; XATTR_LIST_MAX];
    let listed =
        if follow { rustix::fs::listxattr(path, &mut buf[..]) } else { rustix::fs::llistxattr(path, &mut buf[..]) };
    let len = match listed {
        Ok(len) => len,
        Err(rustix::io::Errno::OPNOTSUPP) => 0,
        Err(_) => return None,
    };
    let mut names: Vec<ByteString> =
        buf[..len].split(|&b| b == 0).filter(|n| !n.is_empty()).map(|n| ByteString(n.to_vec())).collect();
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Some(names)
}

/// Whether anything is at `path` (a symlink counts, dangling or not), however long it is.
pub fn exists(path: &Path) -> bool {
    reachable(path).is_ok_and(|r| std::fs::symlink_metadata(r.path()).is_ok())
}

/// Stores the content of the regular file at `path` (never through a symlink) if it still
/// hashes to `expected`. Returns whether the store now holds it.
pub fn keep_if_unchanged(path: &Path, expected: &blake3::Hash, cap: u64, store: &BlobStore) -> anyhow::Result<bool> {
    let Ok(reachable) = reachable(path) else { return Ok(false) };
    let path = reachable.path();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() <= cap => meta,
        _ => return Ok(false),
    };
    let Ok(Some(bytes)) = read_capped(path, &meta, false, cap) else { return Ok(false) };
    if blake3::hash(&bytes) != *expected {
        return Ok(false);
    }
    store.put_bytes(&bytes)?;
    Ok(true)
}

fn absent(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENOTDIR))
}

fn state_of(meta: &Metadata) -> PathState {
    PathState {
        kind: kind_of(meta),
        size: meta.len(),
        mode: meta.mode() & 0o7777,
        mtime_ns: nanos(meta.mtime(), meta.mtime_nsec()),
        blake3: None,
        target: None,
        capped: false,
        stored: false,
        uid: Some(meta.uid()),
        gid: Some(meta.gid()),
        xattrs: None,
    }
}

enum Content {
    Read {
        hash: blake3::Hash,
        stored: bool,
    },
    /// It grew past the cap after it was looked at.
    OverCap,
    /// It could not be opened or read, or it is no longer the file looked at.
    Unreadable,
}

/// Hashes (and keeps, given a store) the regular file `meta` describes. Only the store
/// failing is an error: a problem with the file itself leaves its content unknown.
fn content(path: &Path, meta: &Metadata, follow: bool, cap: u64, store: Option<&dyn Keep>) -> anyhow::Result<Content> {
    if meta.len() <= WHOLE_READ_MAX.min(cap) {
        let bytes = match read_capped(path, meta, follow, cap) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(Content::OverCap),
            Err(_) => return Ok(Content::Unreadable),
        };
        let hash = blake3::hash(&bytes);
        if let Some(store) = store {
            store.keep(bytes)?;
        }
        return Ok(Content::Read { hash, stored: store.is_some() });
    }
    let Ok(file) = open_same(path, meta, follow) else { return Ok(Content::Unreadable) };
    let mut reader = Remember { file, failed: false };
    let outcome = match store {
        Some(store) => store.keep_stream(&mut reader, cap).map(|r| r.map(|hash| (hash, true))),
        None => Ok(hash_capped(&mut reader, cap).map(|(hash, _)| (hash, false))),
    };
    // The file's own failure means its content is unknown; any other is the store's.
    if reader.failed {
        return Ok(Content::Unreadable);
    }
    Ok(match outcome? {
        Some((hash, stored)) => Content::Read { hash, stored },
        None => Content::OverCap,
    })
}

/// The whole content of the file, or None when it holds more than `cap` bytes.
fn read_capped(path: &Path, meta: &Metadata, follow: bool, cap: u64) -> io::Result<Option<Vec<u8>>> {
    let file = open_same(path, meta, follow)?;
    let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize + 1);
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

/// Opens the regular file `meta` describes, refusing anything else found at `path` now.
fn open_same(path: &Path, meta: &Metadata, follow: bool) -> io::Result<File> {
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow).open(path)?;
    let now = file.metadata()?;
    if !now.is_file() || now.dev() != meta.dev() || now.ino() != meta.ino() {
        return Err(io::Error::other("replaced while it was examined"));
    }
    Ok(file)
}

/// A file reader that remembers whether the file itself failed, so that a failure to
/// read it can be told from a failure to write the store.
struct Remember {
    file: File,
    failed: bool,
}

impl Read for Remember {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.file.read(buf);
        if result.as_ref().is_err_and(|e| e.kind() != ErrorKind::Interrupted) {
            self.failed = true;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(blobs: &BlobStore) -> Option<&dyn Keep> {
        Some(blobs)
    }

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_regular_file_within_the_cap_is_hashed_and_stored() {
        let (dir, blobs) = store();
        let f = dir.path().join("f");
        std::fs::write(&f, b"old").unwrap();
        let seen = observe(&f, false, 100, kept(&blobs)).unwrap().unwrap();
        let hash = blake3::hash(b"old");
        assert_eq!(seen.state.blake3, Some(hash.to_hex().to_string()));
        assert!(seen.state.stored && !seen.followed);
        assert_eq!(blobs.read(&hash, 3).unwrap(), b"old");
    }

    #[test]
    fn over_the_cap_is_capped_and_not_stored_whether_read_whole_or_streamed() {
        let (dir, blobs) = store();
        for size in [10, 2 * WHOLE_READ_MAX as usize] {
            let f = dir.path().join(format!("big{size}"));
            std::fs::write(&f, vec![b'x'; size]).unwrap();
            let seen = observe(&f, false, size as u64 - 1, kept(&blobs)).unwrap().unwrap().state;
            assert!(seen.capped && !seen.stored && seen.blake3.is_none(), "{size}: {seen:?}");
            assert!(!blobs.contains(&blake3::hash(&vec![b'x'; size])));
        }
        let f = dir.path().join("streamed");
        std::fs::write(&f, vec![b'y'; 2 * WHOLE_READ_MAX as usize]).unwrap();
        let seen = observe(&f, false, u64::MAX, kept(&blobs)).unwrap().unwrap().state;
        assert!(seen.stored, "a large file within the cap streams into the store");
    }

    #[test]
    fn a_symlink_is_recorded_as_one_unless_followed_and_a_dangling_one_stays_one() {
        let (dir, blobs) = store();
        let d = dir.path();
        std::fs::write(d.join("target"), b"content").unwrap();
        std::os::unix::fs::symlink("target", d.join("link")).unwrap();
        std::os::unix::fs::symlink("nowhere", d.join("dangling")).unwrap();
        let link = observe(&d.join("link"), false, 100, kept(&blobs)).unwrap().unwrap();
        assert_eq!((link.state.kind, link.state.target.clone()), (FileKind::Symlink, Some("target".into())));
        let through = observe(&d.join("link"), true, 100, kept(&blobs)).unwrap().unwrap();
        assert!(through.followed);
        assert_eq!(through.state.blake3, Some(blake3::hash(b"content").to_hex().to_string()));
        let dangling = observe(&d.join("dangling"), true, 100, kept(&blobs)).unwrap().unwrap();
        assert_eq!((dangling.state.kind, dangling.followed), (FileKind::Symlink, false));
        assert!(observe(&d.join("absent/below"), true, 100, kept(&blobs)).unwrap().is_none());
    }

    #[test]
    fn a_fifo_is_never_opened() {
        let (dir, blobs) = store();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // Opening a fifo without a writer would block: returning at all proves it was not opened.
        let seen = observe(&fifo, true, 100, kept(&blobs)).unwrap().unwrap().state;
        assert_eq!((seen.kind, seen.blake3), (FileKind::Other, None));
    }

    #[test]
    fn keeping_after_content_needs_the_same_content() {
        let (dir, blobs) = store();
        let f = dir.path().join("f");
        std::fs::write(&f, b"now").unwrap();
        assert!(!keep_if_unchanged(&f, &blake3::hash(b"then"), 100, &blobs).unwrap());
        assert!(keep_if_unchanged(&f, &blake3::hash(b"now"), 100, &blobs).unwrap());
        assert!(blobs.contains(&blake3::hash(b"now")));
    }
}
