//! Whole diffs for changes whose receipt diff was cut short: the receipt keeps at most
//! 256 KiB of diff per file, but the blob store may hold both sides in full, and a
//! reverse patch must carry every hunk to undo a change.

use runglass_model::receipt::{Diff, FileChange, FileKind, FileState};

use crate::store::blobs::BlobStore;
use crate::collect::snapshot::diff;

/// The complete forward diff of `change`, when both of its sides are stored (or absent).
pub fn forward(blobs: &BlobStore, change: &FileChange) -> Option<String> {
    let before = side(blobs, change.before.as_ref())?;
    let after = side(blobs, change.after.as_ref())?;
    match diff::full(change.path.as_bytes(), before.as_deref(), after.as_deref()) {
        Diff::Text { unified, .. } => Some(unified),
        _ => None,
    }
}

/// One side's content: `Some(None)` when the file did not exist there, `None` when it
/// existed but its content is not in the store.
fn side(blobs: &BlobStore, state: Option<&FileState>) -> Option<Option<Vec<u8>>> {
    let Some(state) = state else { return Some(None) };
    if state.kind != FileKind::File || !state.stored {
        return None;
    }
    let hash = blake3::Hash::from_hex(state.blake3.as_deref()?).ok()?;
    blobs.read(&hash, state.size).ok().map(Some)
}
