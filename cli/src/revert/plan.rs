//! What revert would do to each path a receipt recorded, and whether it can: the current
//! state is compared with the receipt's after-state (by BLAKE3 for content) before
//! anything is touched, and the before-state must be at hand (stored content, a symlink's
//! target, a directory's mode).

use std::io::Read;

use runglass_model::ByteString;
use runglass_model::receipt::{FileChange, FileKind, FileState, Receipt};
use rustix::fs::FileType;

use super::confine::{Refusal, Root, check_plain};
use crate::blobs::BlobStore;

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
    Refused(String),
}

impl Verdict {
    pub fn text(&self) -> String {
        match self {
            Verdict::Safe => "safe".into(),
            Verdict::AlreadyReverted => "already reverted".into(),
            Verdict::ChangedSince(how) => format!("changed since the receipt ({how})"),
            Verdict::NotStored(why) => format!("before-content not stored ({why})"),
            Verdict::Refused(why) => why.clone(),
        }
    }
}

pub struct Step {
    pub path: ByteString,
    pub undo: Undo,
    pub verdict: Verdict,
}

/// One step per change of `r` inside its root whose path `wanted` accepts.
pub fn plan(r: &Receipt, root: &Root, blobs: &BlobStore, wanted: impl Fn(&[u8]) -> bool) -> Vec<Step> {
    r.files.changes.iter().filter(|c| wanted(c.path.as_bytes())).map(|c| step(c, root, blobs)).collect()
}

fn step(c: &FileChange, root: &Root, blobs: &BlobStore) -> Step {
    let undo = match (&c.before, &c.after) {
        (None, Some(a)) if a.kind == FileKind::Dir => Undo::RemoveDir,
        (None, _) => Undo::Delete,
        (Some(_), None) => Undo::Recreate,
        (Some(_), Some(_)) => Undo::Restore,
    };
    let verdict = verdict(c, root, blobs).unwrap_or_else(|refusal| Verdict::Refused(refusal.reason()));
    Step { path: c.path.clone(), undo, verdict }
}

fn verdict(c: &FileChange, root: &Root, blobs: &BlobStore) -> Result<Verdict, Refusal> {
    let rel = c.path.as_bytes();
    check_plain(rel)?;
    if is(root, rel, c.before.as_ref())? {
        return Ok(Verdict::AlreadyReverted);
    }
    if !is(root, rel, c.after.as_ref())? {
        return Ok(Verdict::ChangedSince(match root.now(rel)? {
            None => "it is gone".into(),
            Some(_) => "it was changed after the run".into(),
        }));
    }
    Ok(match c.before.as_ref() {
        Some(b) if b.kind == FileKind::File => stored(b, blobs),
        _ => Verdict::Safe,
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
        (FileKind::File, FileType::RegularFile) | (FileKind::Dir, FileType::Directory) | (FileKind::Symlink, FileType::Symlink)
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
            Err(e) => return Err(Refusal::Unreadable(rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO))),
        }
    }
}
