//! The changes between two snapshots of one root, as the receipt lists them.
//!
//! - A path in one snapshot only is created or deleted; a path whose kind changed (file,
//!   directory, symlink, other) is type-changed. For these, `content_changed` is true.
//! - A regular file is modified when its content hash differs. When a side has no hash
//!   (over the cap, or unreadable) it is compared by identity, size, mtime and ctime; a
//!   ctime change alone counts only when the mode did not change too (chmod sets ctime).
//! - A symlink is modified when its target differs, anything else when its mode differs.
//!   Any path is modified when its owner or group differs (`owner_changed`).
//! - Paths inside a directory that could not be listed in either snapshot are left out:
//!   their absence says nothing.
//!
//! Diffs come from the blob store, or, for the after side when its content was not stored,
//! from the file on disk if it still has the content the snapshot hashed.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use runglass_model::receipt::{ChangeKind, Diff, FileChange, FileKind, Source};

use crate::store::blobs::BlobStore;

use super::diff::{self, Budget};
use super::{Entry, Manifest, entry_state};

/// Compares two manifests of the same root, returning the changes sorted by path.
pub fn compare(before: &Manifest, after: &Manifest, blobs: &BlobStore) -> Vec<FileChange> {
    let unlisted = unlisted_dirs(before).union(&unlisted_dirs(after)).cloned().collect::<BTreeSet<_>>();
    let mut budget = Budget::new(diff::TOTAL_LIMIT);
    let mut changes = Vec::new();
    let mut old = before.entries.iter().peekable();
    let mut new = after.entries.iter().peekable();
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((pb, _)), Some((pa, _))) => pb.cmp(pa),
        };
        let (b, a) = match order {
            Ordering::Less => (old.next(), None),
            Ordering::Greater => (None, new.next()),
            Ordering::Equal => (old.next(), new.next()),
        };
        let Some(path) = b.or(a).map(|(path, _)| path.as_slice()) else { break };
        if inside(path, &unlisted) {
            continue;
        }
        let sides = Sides { path, before, after, blobs };
        if let Some(change) = change(&sides, b.map(|(_, e)| e), a.map(|(_, e)| e), &mut budget) {
            changes.push(change);
        }
    }
    changes
}

/// Where the two versions of a path come from.
struct Sides<'a> {
    path: &'a [u8],
    before: &'a Manifest,
    after: &'a Manifest,
    blobs: &'a BlobStore,
}

fn change(s: &Sides, b: Option<&Entry>, a: Option<&Entry>, budget: &mut Budget) -> Option<FileChange> {
    let owner_changed = match (b, a) {
        (Some(b), Some(a)) => {
            b.uid.zip(a.uid).is_some_and(|(x, y)| x != y) || b.gid.zip(a.gid).is_some_and(|(x, y)| x != y)
        }
        _ => false,
    };
    let (kind, content_changed, mode_changed) = match (b, a) {
        (None, None) => return None,
        (None, Some(_)) => (ChangeKind::Created, true, false),
        (Some(_), None) => (ChangeKind::Deleted, true, false),
        (Some(b), Some(a)) if b.kind != a.kind => (ChangeKind::TypeChanged, true, b.mode != a.mode),
        (Some(b), Some(a)) => {
            let content = match a.kind {
                FileKind::File => file_changed(b, a),
                FileKind::Symlink => b.target != a.target,
                FileKind::Dir | FileKind::Other => false,
            };
            // Symlink permissions mean nothing on Linux.
            let mode = a.kind != FileKind::Symlink && b.mode != a.mode;
            if !content && !mode && !owner_changed {
                return None;
            }
            (ChangeKind::Modified, content, mode)
        }
    };
    let is_file = |e: Option<&Entry>| e.is_some_and(|e| e.kind == FileKind::File);
    let diff = if kind != ChangeKind::TypeChanged && content_changed && (is_file(b) || is_file(a)) {
        content_diff(s, b, a, budget)
    } else {
        Diff::None
    };
    Some(FileChange {
        path: s.path.into(),
        change: kind,
        before: b.map(entry_state),
        after: a.map(entry_state),
        content_changed,
        mode_changed,
        diff,
        by: Vec::new(),
        owner_changed,
        xattrs_changed: false,
        seen_by: Source::Snapshot,
        captured: false,
        skipped_dir: None,
    })
}

/// Whether a regular file's content changed: by hash when both sides have one, else by
/// what `stat` tells.
fn file_changed(b: &Entry, a: &Entry) -> bool {
    if let (Some(hb), Some(ha)) = (b.hash, a.hash) {
        return hb != ha;
    }
    let replaced = b.dev != a.dev || b.ino != a.ino;
    let ctime_alone = b.ctime_ns != a.ctime_ns && b.mode == a.mode && b.uid == a.uid && b.gid == a.gid;
    replaced || b.size != a.size || b.mtime_ns != a.mtime_ns || ctime_alone
}

/// One side's content, for a diff.
enum Loaded {
    Absent,
    Bytes(Vec<u8>),
    Capped,
    Unavailable(String),
}

impl Loaded {
    /// The side of a diff, or why there is no diff.
    fn side(&self) -> Result<Option<&[u8]>, Diff> {
        match self {
            Loaded::Absent => Ok(None),
            Loaded::Bytes(bytes) => Ok(Some(bytes)),
            Loaded::Capped => Err(Diff::Capped),
            Loaded::Unavailable(reason) => Err(Diff::Unavailable { reason: reason.clone() }),
        }
    }
}

fn content_diff(s: &Sides, b: Option<&Entry>, a: Option<&Entry>, budget: &mut Budget) -> Diff {
    let old = b.map_or(Loaded::Absent, |e| load(s, s.before, e, false));
    let new = a.map_or(Loaded::Absent, |e| load(s, s.after, e, true));
    match (old.side(), new.side()) {
        (Err(Diff::Capped), _) | (_, Err(Diff::Capped)) => Diff::Capped,
        (Err(unavailable), _) | (_, Err(unavailable)) => unavailable,
        (Ok(old), Ok(new)) => diff::unified(s.path, old, new, budget),
    }
}

/// The content of `e` in `manifest`: from the blob store when stored, else, for the after
/// side, from disk.
fn load(s: &Sides, manifest: &Manifest, e: &Entry, is_after: bool) -> Loaded {
    if e.capped {
        return Loaded::Capped;
    }
    let Some(hash) = e.hash.map(blake3::Hash::from_bytes) else {
        let why = manifest.stats.unreadable.iter().find(|(p, _)| p == s.path).map(|(_, why)| why.as_str());
        return Loaded::Unavailable(format!("not read: {}", why.unwrap_or("unknown reason")));
    };
    let limit = manifest.stats.cap_bytes.max(e.size);
    if e.stored {
        return match s.blobs.read(&hash, limit) {
            Ok(bytes) => Loaded::Bytes(bytes),
            Err(err) => Loaded::Unavailable(format!("{err:#}")),
        };
    }
    if !is_after {
        return Loaded::Unavailable("the before snapshot did not keep the content".to_string());
    }
    let path = manifest.root.join(Path::new(OsStr::from_bytes(s.path)));
    let read =
        OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(&path).and_then(|f| {
            let mut bytes = Vec::new();
            f.take(limit.saturating_add(1)).read_to_end(&mut bytes).map(|_| bytes)
        });
    match read {
        Ok(bytes) if blake3::hash(&bytes) == hash => Loaded::Bytes(bytes),
        Ok(_) => Loaded::Unavailable("changed on disk since the snapshot".to_string()),
        Err(e) => Loaded::Unavailable(format!("reading {}: {e}", path.display())),
    }
}

/// Directories whose listing failed in `m`.
fn unlisted_dirs(m: &Manifest) -> BTreeSet<Vec<u8>> {
    let is_dir = |p: &Vec<u8>| m.entries.get(p).is_some_and(|e| e.kind == FileKind::Dir);
    m.stats.unreadable.iter().map(|(p, _)| p).filter(|p| is_dir(p)).cloned().collect()
}

/// Whether `path` is strictly inside one of `dirs`.
fn inside(path: &[u8], dirs: &BTreeSet<Vec<u8>>) -> bool {
    !dirs.is_empty() && path.iter().enumerate().any(|(i, &b)| b == b'/' && dirs.contains(&path[..i]))
}
