//! Reading one regular file for a snapshot: hashing it and, when asked, storing it in the
//! blob store from the same read, never reading more than the cap.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::store::blobs::BlobStore;
use crate::store::space::is_full;

use super::progress::Progress;

/// Files up to this size are read whole into memory, hashed, and written to the store only
/// when it lacks them; larger ones stream through a temporary blob in chunks.
const WHOLE_READ_MAX: u64 = 1024 * 1024;
const CHUNK: usize = 128 * 1024;

pub(super) enum Outcome {
    Read {
        hash: [u8; 32],
        len: u64,
        stored: bool,
    },
    /// It grew past the cap after it was listed.
    OverCap,
    /// It could not be read, or it was replaced by something else after it was listed.
    Unreadable(String),
}

/// Reads the regular file at `path` that the walk saw as `listed`. Fails only when the
/// blob store cannot be written: a problem with the file itself is an [`Outcome`]. A store
/// that is full is no failure: the file is hashed without its content kept (`stored`
/// false, as the deep mode's snapshots do), and the store counts it ([`BlobStore::full`]).
pub(super) fn read(
    path: &Path,
    listed: &Metadata,
    cap: u64,
    blobs: Option<&BlobStore>,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    // O_NOFOLLOW and the identity check below: a file swapped for a symlink (to a secret
    // elsewhere) or a fifo after the walk listed it is never read or stored.
    let file = match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path) {
        Ok(file) => file,
        Err(e) => return Ok(Outcome::Unreadable(e.to_string())),
    };
    match file.metadata() {
        Ok(m) if m.is_file() && m.dev() == listed.dev() && m.ino() == listed.ino() => {}
        Ok(_) => return Ok(Outcome::Unreadable("replaced while the snapshot was taken".to_string())),
        Err(e) => return Ok(Outcome::Unreadable(e.to_string())),
    }
    if listed.len() <= WHOLE_READ_MAX.min(cap) {
        read_whole(file, listed.len(), cap, blobs, progress)
    } else {
        read_streaming(file, cap, blobs, progress)
    }
}

fn read_whole(
    file: File,
    size: u64,
    cap: u64,
    blobs: Option<&BlobStore>,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    let mut content = Vec::with_capacity(size as usize + 1);
    if let Err(e) = file.take(cap.saturating_add(1)).read_to_end(&mut content) {
        return Ok(Outcome::Unreadable(e.to_string()));
    }
    let len = content.len() as u64;
    progress.inc(len);
    if len > cap {
        return Ok(Outcome::OverCap);
    }
    let (hash, stored) = match blobs.map(|blobs| (blobs, blobs.put_bytes(&content))) {
        Some((_, Ok(hash))) => (hash, true),
        Some((blobs, Err(e))) if is_full(&e) => {
            blobs.note_full();
            (blake3::hash(&content), false)
        }
        Some((_, Err(e))) => return Err(e),
        None => (blake3::hash(&content), false),
    };
    Ok(Outcome::Read { hash: *hash.as_bytes(), len, stored })
}

fn read_streaming(file: File, cap: u64, blobs: Option<&BlobStore>, progress: &Progress) -> anyhow::Result<Outcome> {
    let mut reader = Tracked { file, progress, error: None };
    let mut read = match blobs {
        Some(blobs) => blobs.put_reader_capped(&mut reader, cap).map(|r| r.map(|(hash, len)| (hash, len, true))),
        None => Ok(hash_capped(&mut reader, cap).map(|(hash, len)| (hash, len, false))),
    };
    // The reader's own failure is the file's problem; any other is the store's.
    if let Some(e) = reader.error.take() {
        return Ok(Outcome::Unreadable(e.to_string()));
    }
    if let (Some(blobs), Err(e)) = (blobs, &read)
        && is_full(e)
    {
        blobs.note_full();
        if let Err(e) = reader.file.rewind() {
            return Ok(Outcome::Unreadable(e.to_string()));
        }
        read = Ok(hash_capped(&mut reader, cap).map(|(hash, len)| (hash, len, false)));
        if let Some(e) = reader.error {
            return Ok(Outcome::Unreadable(e.to_string()));
        }
    }
    Ok(match read? {
        Some((hash, len, stored)) => Outcome::Read { hash: *hash.as_bytes(), len, stored },
        None => Outcome::OverCap,
    })
}

/// Hashes `r` in chunks, with its length; `None` when it holds more than `cap` bytes or
/// fails (a [`Tracked`] reader keeps the failure).
pub(crate) fn hash_capped(r: &mut impl Read, cap: u64) -> Option<(blake3::Hash, u64)> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Some((hasher.finalize(), len)),
            Ok(n) => {
                len += n as u64;
                if len > cap {
                    return None;
                }
                hasher.update(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// A file reader that counts progress and remembers its own error, so that a failure to
/// read the file can be told from a failure to write the store.
struct Tracked<'a> {
    file: File,
    progress: &'a Progress,
    error: Option<io::Error>,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.file.read(buf) {
            Ok(n) => {
                self.progress.inc(n as u64);
                Ok(n)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.error = Some(e);
                Err(copy)
            }
        }
    }
}
