//! Which blobs a receipt directory refers to, so that garbage collection keeps them: the
//! contents its snapshot manifests say are stored, and the before-contents its trace
//! captured outside the working directory (from the receipt, or from the event log while
//! the run has no receipt yet: it may be running for hours).

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use runglass_model::log::LogReader;
use runglass_model::manifest::Manifest;
use runglass_model::{EventKind, Receipt};

use super::catalog::{Listed, Slot};
use super::{EVENT_LOG, SNAPSHOT_AFTER, SNAPSHOT_BEFORE};

/// Adds to `keep` every blob `listed` refers to. Fails when a file that may refer to blobs
/// cannot be read: the caller then keeps everything rather than guess.
pub fn collect(listed: &Listed, keep: &mut HashSet<[u8; 32]>) -> anyhow::Result<()> {
    for name in [SNAPSHOT_BEFORE, SNAPSHOT_AFTER] {
        let path = listed.dir.join(name);
        if path.exists() {
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let manifest = Manifest::from_bytes(&bytes)
                .with_context(|| format!("reading the snapshot manifest {}", path.display()))?;
            keep.extend(manifest.entries.values().filter(|e| e.stored).filter_map(|e| e.hash));
        }
    }
    match &listed.slot {
        Slot::Done(receipt) => keep.extend(outside_befores(receipt)),
        Slot::Running | Slot::Unfinished | Slot::Broken(_) => {
            let log = listed.dir.join(EVENT_LOG);
            if log.exists() {
                keep.extend(captured_in_log(&log)?);
            }
        }
    }
    Ok(())
}

/// The stored before-contents of the receipt's changes outside the working directory.
fn outside_befores(receipt: &Receipt) -> impl Iterator<Item = [u8; 32]> + '_ {
    receipt
        .files
        .outside
        .iter()
        .filter_map(|c| c.before.as_ref())
        .filter(|s| s.stored)
        .filter_map(|s| blake3::Hash::from_hex(s.blake3.as_deref()?).ok())
        .map(|h| *h.as_bytes())
}

/// Every stored content a `before` event of the log names. A torn last frame is only the
/// end of a log whose writer died; any other damage is an error.
fn captured_in_log(path: &Path) -> anyhow::Result<HashSet<[u8; 32]>> {
    let reader = LogReader::open(path).with_context(|| format!("reading the event log {}", path.display()))?;
    let mut hashes = HashSet::new();
    for event in reader {
        let event = event.with_context(|| format!("reading the event log {}", path.display()))?;
        if let EventKind::Before { state: Some(state), .. } = event.kind
            && state.stored
            && let Some(hash) = state.blake3.as_deref().and_then(|h| blake3::Hash::from_hex(h).ok())
        {
            hashes.insert(*hash.as_bytes());
        }
    }
    Ok(hashes)
}
