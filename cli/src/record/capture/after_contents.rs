//! What a deep run's hash-only snapshots leave to fill in: the before-content of changed
//! files, which the captures kept at the syscall, and the after-content of changed files,
//! which is kept once the changes are known (diffs, exports and revert read both from the
//! blob store). Unchanged files are never copied.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use runglass_model::receipt::{FileChange, FileKind};

use crate::store::blobs::BlobStore;
use crate::collect::snapshot::Manifest;

use crate::collect::path_state::keep_if_unchanged;

/// Marks as stored every regular file of `before` whose content a capture kept (same
/// BLAKE3): its diff and its revert then read the content from the blob store.
pub fn mark_captured(before: &mut Manifest, kept: &HashSet<[u8; 32]>) {
    if kept.is_empty() {
        return;
    }
    for entry in before.entries.values_mut() {
        if entry.kind == FileKind::File && entry.hash.is_some_and(|h| kept.contains(&h)) {
            entry.stored = true;
        }
    }
}

/// Stores the after-content of each changed regular file that still holds what the
/// after-snapshot hashed, and says so in `changes` and in `after`.
pub fn keep_changed_after_contents(
    changes: &mut [FileChange],
    after: &mut Manifest,
    blobs: &BlobStore,
) -> anyhow::Result<()> {
    let cap = after.stats.cap_bytes;
    for change in changes {
        let Some(state) = change.after.as_mut() else { continue };
        if state.kind != FileKind::File || state.stored || state.capped {
            continue;
        }
        let Some(hash) = state.blake3.as_deref().and_then(|h| blake3::Hash::from_hex(h).ok()) else { continue };
        let path = after.root.join(OsStr::from_bytes(change.path.as_bytes()));
        if keep_if_unchanged(&path, &hash, cap, blobs)? {
            state.stored = true;
            if let Some(entry) = after.entries.get_mut(change.path.as_bytes()) {
                entry.stored = true;
            }
        }
    }
    Ok(())
}
