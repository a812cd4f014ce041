//! What revert would do to each path a receipt recorded, and whether it can: the current
//! state is compared with the receipt's after-state (by BLAKE3 for content) before
//! anything is touched, and the before-state must be at hand (stored content, a symlink's
//! target, a directory's mode).

use std::collections::HashSet;
use std::io::Read;

use runglass_model::ByteString;
use runglass_model::receipt::{ChangeKind, FileChange, FileKind, FileState, OutsideChange, Receipt, Source};
use rustix::fs::FileType;

use super::confine::{Refusal, Root, check_plain};
use crate::store::blobs::BlobStore;

/// What undoing a change means for its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undo {
    /// The command created it: delete it.
    Delete,
    /// The command created this directory: remove it once empty.
    RemoveDir,
    /// The command deleted it: make it again.
    Recreate,
    /// The command changed it: put back its content, mode or kind.
    Restore,
}

impl Undo {
    pub fn as_str(self) -> &'static str {
        match self {
            Undo::Delete => "delete",
            Undo::RemoveDir => "remove dir",
            Undo::Recreate => "recreate",
            Undo::Restore => "restore",
        }
    }

    /// The same, done.
    pub fn done_str(self) -> &'static str {
        match self {
            Undo::Delete => "deleted",
            Undo::RemoveDir => "removed dir",
            Undo::Recreate => "recreated",
            Undo::Restore => "restored",
        }
    }
}

/// Whether a step can be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Safe,
    /// The path is already as it was before the command.
    AlreadyReverted,
    /// The path is no longer as the command left it: reverting would lose that change.
    ChangedSince(String),
    /// The before-content is not at hand.
    NotStored(String),
    Refused(Refusal),
}

impl Verdict {
    pub fn text(&self) -> String {
        match self {
            Verdict::Safe => "safe".into(),
            Verdict::AlreadyReverted => "already reverted".into(),
            Verdict::ChangedSince(how) => format!("changed since the receipt ({how})"),
            Verdict::NotStored(why) => format!("before-content not stored ({why})"),
            Verdict::Refused(why) => why.to_string(),
        }
    }
}

/// One recorded change, from the receipt's changes inside its root or (captured) outside.
#[derive(Clone, Copy)]
pub struct Change<'r> {
    /// As the receipt names it: relative to the root inside, absolute outside.
    pub path: &'r ByteString,
    pub outside: bool,
    pub before: Option<&'r FileState>,
    pub after: Option<&'r FileState>,
    /// Why this change cannot be undone whatever the tree looks like, when that is so.
    pub cannot: Option<Refusal>,
}

/// The receipt's changes inside its root; paths left as they were need no undoing.
pub fn inside(r: &Receipt) -> impl Iterator<Item = Change<'_>> {
    r.files.changes.iter().filter(|c| c.change != ChangeKind::Unchanged).map(|c: &FileChange| Change {
        path: &c.path,
        outside: false,
        before: c.before.as_ref(),
        after: c.after.as_ref(),
        cannot: cannot_undo(
            c.seen_by == Source::Trace && !c.captured,
            c.content_changed || c.mode_changed,
            c.owner_changed || c.xattrs_changed,
        ),
    })
}

/// Why a change cannot be undone: its state before is not known (a change the trace saw in
/// a directory the snapshots skip, with no capture), or all that changed is what revert does
/// not restore (owner, extended attributes).
fn cannot_undo(before_unknown: bool, content_or_mode: bool, owner_or_xattrs: bool) -> Option<Refusal> {
    if before_unknown {
        Some(Refusal::BeforeNotCaptured)
    } else if owner_or_xattrs && !content_or_mode {
        Some(Refusal::OwnerOrXattrsOnly)
    } else {
        None
    }
}

/// The receipt's changes outside its root whose before-state was captured at the system
/// call (deep mode). One first reached through a symlink (`followed`) is left out: its
/// states describe the file the link leads to, which a walk that never follows a symlink
/// does not reach.
pub fn outside(r: &Receipt) -> impl Iterator<Item = Change<'_>> {
    r.files.outside.iter().filter(|o| o.captured && !o.followed && o.change != ChangeKind::Unchanged).map(|o| Change {
        path: &o.path,
        outside: true,
        before: o.before.as_ref(),
        after: o.after.as_ref(),
        cannot: cannot_undo(false, o.content_changed || o.mode_changed, o.owner_changed || o.xattrs_changed),
    })
}

/// Why an outside change cannot be reverted at all (None: it can be planned).
pub fn outside_unplanned(o: &OutsideChange) -> Option<Refusal> {
    match (o.captured, o.followed) {
        (false, _) => Some(Refusal::OutsideNotCaptured),
        (true, true) => Some(Refusal::ThroughSymlink),
        (true, false) => None,
    }
}

/// Where revert may act: the receipt's root, and `/` for changes outside it (only when
/// asked for them).
pub struct Roots {
    pub inside: Root,
    pub outside: Option<Root>,
}

impl Roots {
    pub fn root(&self, outside: bool) -> Option<&Root> {
        if outside { self.outside.as_ref() } else { Some(&self.inside) }
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub path: ByteString,
    pub outside: bool,
    pub undo: Undo,
    pub verdict: Verdict,
    pub before: Option<FileState>,
    pub after: Option<FileState>,
}

impl Step {
    /// The path relative to its root (an outside path without its leading `/`; a
    /// relative one, which only a crafted receipt holds, becomes empty and is refused).
    pub fn rel(&self) -> &[u8] {
        rel(self.path.as_bytes(), self.outside)
    }

    /// The key a journal knows the step by.
    pub fn key(&self) -> (bool, Vec<u8>) {
        (self.outside, self.path.as_bytes().to_vec())
    }
}

fn rel(path: &[u8], outside: bool) -> &[u8] {
    match outside {
        false => path,
        true => path.strip_prefix(b"/").unwrap_or_default(),
    }
}

/// One step per change. `resuming` holds the steps an interrupted apply had started: for
/// them, an absent path or a directory whose mode is still being restored is revert's
/// own doing, not a change since the receipt.
pub fn plan<'r>(
    changes: impl Iterator<Item = Change<'r>>,
    roots: &Roots,
    blobs: &BlobStore,
    resuming: &HashSet<(bool, Vec<u8>)>,
) -> Vec<Step> {
    changes
        .map(|c| {
            let undo = match (c.before, c.after) {
                (None, Some(a)) if a.kind == FileKind::Dir => Undo::RemoveDir,
                (None, _) => Undo::Delete,
                (Some(_), None) => Undo::Recreate,
                (Some(_), Some(_)) => Undo::Restore,
            };
            let resumed = resuming.contains(&(c.outside, c.path.as_bytes().to_vec()));
            let verdict = match (c.cannot, roots.root(c.outside)) {
                (Some(why), _) => Verdict::Refused(why),
                (None, Some(root)) => verdict(c, root, blobs, resumed).unwrap_or_else(Verdict::Refused),
                (None, None) => Verdict::Refused(Refusal::OutsideNotIncluded),
            };
            Step {
                path: c.path.clone(),
                outside: c.outside,
                undo,
                verdict,
                before: c.before.cloned(),
                after: c.after.cloned(),
            }
        })
        .collect()
}

/// Checks a step again against the tree as it is now, just before acting on it.
pub fn recheck(step: &Step, roots: &Roots, blobs: &BlobStore, resumed: bool) -> Verdict {
    let c = Change {
        path: &step.path,
        outside: step.outside,
        before: step.before.as_ref(),
        after: step.after.as_ref(),
        cannot: None,
    };
    match roots.root(step.outside) {
        Some(root) => verdict(c, root, blobs, resumed).unwrap_or_else(Verdict::Refused),
        None => Verdict::Refused(Refusal::OutsideNotIncluded),
    }
}

fn verdict(c: Change, root: &Root, blobs: &BlobStore, resumed: bool) -> Result<Verdict, Refusal> {
    let rel = rel(c.path.as_bytes(), c.outside);
    check_plain(rel)?;
    if is(root, rel, c.before)? {
        return Ok(Verdict::AlreadyReverted);
    }
    if c.before.is_some_and(|b| b.kind == FileKind::Other) {
        return Ok(Verdict::NotStored(
            "it was a fifo, socket or device; revert makes only files, directories and symlinks".into(),
        ));
    }
    let as_left = is(root, rel, c.after)? || (resumed && interrupted(root, rel, c.before)?);
    if !as_left {
        return Ok(Verdict::ChangedSince(match root.now(rel)? {
            None => "it is gone".into(),
            Some(_) => "it was changed after the run".into(),
        }));
    }
    Ok(match c.before {
        Some(b) if b.kind == FileKind::File && !mode_only(b, c.after) => stored(b, blobs),
        _ => Verdict::Safe,
    })
}

/// Whether the path is as an apply interrupted while working on it can leave it: gone
/// (a directory removed to put a file back), or a directory made but not given its mode.
fn interrupted(root: &Root, rel: &[u8], before: Option<&FileState>) -> Result<bool, Refusal> {
    Ok(match root.now(rel)? {
        None => true,
        Some(now) => now.kind == FileType::Directory && before.is_some_and(|b| b.kind == FileKind::Dir),
    })
}

/// Whether only the mode changed, so no stored content is needed to restore it.
fn mode_only(before: &FileState, after: Option<&FileState>) -> bool {
    after.is_some_and(|a| {
        a.kind == FileKind::File && a.size == before.size && a.blake3.is_some() && a.blake3 == before.blake3
    })
}

/// Whether the before-content of a regular file can be had from the blob store.
fn stored(b: &FileState, blobs: &BlobStore) -> Verdict {
    if b.capped {
        return Verdict::NotStored("it was over the snapshot cap".into());
    }
    let hash = b.blake3.as_deref().and_then(|h| blake3::Hash::from_hex(h).ok());
    match hash {
        Some(h) if b.stored && blobs.contains(&h) => Verdict::Safe,
        Some(_) if b.stored => Verdict::NotStored("its blob is missing from the store".into()),
        _ => Verdict::NotStored("it was not kept".into()),
    }
}

/// Whether the path is in `state` now (`None`: absent). Content is compared by BLAKE3;
/// a file over the cap, recorded without a hash, by size.
fn is(root: &Root, rel: &[u8], state: Option<&FileState>) -> Result<bool, Refusal> {
    let now = root.now(rel)?;
    let (Some(now), Some(state)) = (now, state) else { return Ok(now.is_none() && state.is_none()) };
    let same_kind = matches!(
        (state.kind, now.kind),
        (FileKind::File, FileType::RegularFile)
            | (FileKind::Dir, FileType::Directory)
            | (FileKind::Symlink, FileType::Symlink)
    ) || (state.kind == FileKind::Other
        && !matches!(now.kind, FileType::RegularFile | FileType::Directory | FileType::Symlink));
    if !same_kind {
        return Ok(false);
    }
    match state.kind {
        FileKind::File => {
            if now.mode != state.mode || now.size != state.size {
                return Ok(false);
            }
            match &state.blake3 {
                Some(expected) => Ok(content_hash(root, rel)?.is_some_and(|h| h.to_hex().as_str() == expected)),
                None => Ok(true),
            }
        }
        FileKind::Symlink => Ok(root.link_target(rel)?.as_deref() == state.target.as_ref().map(|t| t.as_bytes())),
        FileKind::Dir => Ok(now.mode == state.mode),
        FileKind::Other => Ok(true),
    }
}

fn content_hash(root: &Root, rel: &[u8]) -> Result<Option<blake3::Hash>, Refusal> {
    let Some(mut file) = root.open_file(rel)? else { return Ok(None) };
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(Some(hasher.finalize())),
            Ok(n) => {
                hasher.update(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Refusal::Unreadable(rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO)));
            }
        }
    }
}
