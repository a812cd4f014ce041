//! What goes into a bundle's artifacts/ folder beside the rendered formats: the captured
//! output, the event logs, metadata, one diff per changed text file, the snapshot
//! manifests, and the stored before and after contents of every changed file.
//!
//! Names inside the archive come from the receipt's paths, which came from the command:
//! they are shown escaped, and a path that could climb out of its folder (`..`, absolute,
//! empty components) is left out and listed in metadata.json instead. The files of the
//! receipt's directory are opened by [`store::receipt_files`]'s rules, stored contents
//! by their hash.

use std::sync::Arc;

use runglass_model::receipt::{Diff, FileChange, FileKind, FileState};
use runglass_model::ByteString;
use runglass_render::bundle::{BundleContent, BundleFile};
use serde_json::json;

use super::{Source, full_diffs};
use crate::store;
use crate::store::receipt_files::{self, ReceiptDir};

/// The folder beside the formats that holds these files, in a bundle and in `runglass ci`'s
/// directory.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// Its file of facts about the receipt; also what marks a directory as an exported receipt.
pub const METADATA_FILE: &str = "metadata.json";

/// The artifacts of `src`; an error when the receipt names a file outside its directory.
pub fn collect(src: &Source) -> anyhow::Result<Vec<BundleFile>> {
    let r = src.receipt;
    receipt_files::ensure_confined(r)?;
    let dir = Arc::new(ReceiptDir::open(src.dir)?);
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (_, name) in receipt_files::named_files(r) {
        if dir.open_file(name)?.is_some() {
            let (opener, owned) = (dir.clone(), name.to_string());
            let label = dir.path().join(name).display().to_string();
            let open = move || {
                let found = opener.open_file(&owned).map_err(std::io::Error::other)?;
                found.ok_or_else(|| std::io::ErrorKind::NotFound.into())
            };
            files.push(BundleFile { name: artifact_entry(name), content: BundleContent::file(label, open) });
        }
    }
    for change in &r.files.changes {
        let Some(rel) = safe_name(&change.path) else {
            skipped.push(change.path.escaped());
            continue;
        };
        if let Some(diff) = diff_text(src, change) {
            files.push(BundleFile { name: format!("diffs/{rel}.diff"), content: BundleContent::Bytes(diff.into_bytes()) });
        }
        for (side, state) in [("before", &change.before), ("after", &change.after)] {
            if let Some(hash) = stored_blob(src, state.as_ref()) {
                let (blobs, label) = (src.blobs.clone(), src.blobs.path(&hash).display().to_string());
                let open = move || blobs.open_blob(&hash).map_err(std::io::Error::other);
                files.push(BundleFile { name: content_entry(side, &rel), content: BundleContent::file(label, open) });
            }
        }
    }
    let metadata = json!({
        "id": r.id,
        "runglass_version": r.runglass_version,
        "receipt_format_version": r.format_version,
        "command": r.command.display,
        "cwd": r.command.cwd.escaped(),
        "mode": r.mode.as_str(),
        "status": r.outcome.status.as_str(),
        "exit_code": r.outcome.exit_code,
        "started_at": r.timing.started_at,
        "ended_at": r.timing.ended_at,
        "git": r.git,
        "ci": r.ci,
        "paths_left_out": skipped,
    });
    let mut metadata = serde_json::to_vec_pretty(&metadata).unwrap_or_default();
    metadata.push(b'\n');
    files.push(BundleFile { name: METADATA_FILE.into(), content: BundleContent::Bytes(metadata) });
    Ok(files)
}

/// Where a file of the receipt's directory goes under artifacts/: the snapshots in their
/// own folder, the rest as they are.
pub fn artifact_entry(name: &str) -> String {
    let folder = if name == store::SNAPSHOT_BEFORE || name == store::SNAPSHOT_AFTER { "snapshots/" } else { "" };
    format!("{folder}{name}")
}

/// Where the stored content of one side (`before` or `after`) of a change goes, by the
/// change's safe name.
pub fn content_entry(side: &str, rel: &str) -> String {
    format!("files/{side}/{rel}")
}

/// The path as a name inside the archive, or `None` when it could leave its folder.
pub fn safe_name(path: &ByteString) -> Option<String> {
    let name = path.escaped();
    let climbs = name.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    (!climbs).then_some(name)
}

/// The change's whole diff: the receipt's, or rebuilt from the store when it was cut.
fn diff_text(src: &Source, change: &FileChange) -> Option<String> {
    match &change.diff {
        Diff::Text { truncated: true, unified, .. } => {
            Some(full_diffs::forward(src.blobs, change).unwrap_or_else(|| unified.clone()))
        }
        Diff::Text { unified, .. } if !unified.is_empty() => Some(unified.clone()),
        _ => None,
    }
}

/// The hash of the state's content, when the store holds it.
fn stored_blob(src: &Source, state: Option<&FileState>) -> Option<blake3::Hash> {
    let state = state?;
    if state.kind != FileKind::File || !state.stored {
        return None;
    }
    let hash = blake3::Hash::from_hex(state.blake3.as_deref()?).ok()?;
    src.blobs.contains(&hash).then_some(hash)
}
