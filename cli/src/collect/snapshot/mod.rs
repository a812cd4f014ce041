//! Snapshots of the working directory, taken before and after the command, and the changes
//! between two of them.
//!
//! A snapshot walks the tree once without following symlinks, records every entry's kind,
//! size, mode, times and symlink target, and hashes regular files with BLAKE3, storing their
//! contents in the [`BlobStore`] from the same read. A [`StatCache`] lets a file whose inode,
//! size, mtime and ctime did not change since the last snapshot go unread. Files over the cap
//! (`RUNGLASS_MAX_SNAPSHOT_BYTES`, 10 MiB by default) are neither read nor stored: they are
//! compared by size and times only. Memory is bounded by the cap, not by the tree: a snapshot
//! holds metadata for every entry but the content of at most one file per hashing thread.
//!
//! Skipped: the runglass data directory (always), what `.runglassignore` at the root ignores
//! (gitignore syntax, negation included) and the default dependency and cache directories
//! listed in [`rules`] (`.git` but its hooks, `info/` and `config`; `node_modules`, `target`,
//! `__pycache__`, `.venv`, ...), which `.runglassignore` can re-include with `!name/`.

mod cache;
mod compare;
mod content;
mod covered;
pub mod diff;
mod dryrun;
mod error;
mod manifest;
mod progress;
mod rules;
mod take;
mod walk;

pub(crate) use content::hash_capped;
pub(crate) use take::{kind_of, nanos};

#[cfg(test)]
mod tests;

use std::ffi::OsStr;
use std::path::PathBuf;

use runglass_model::receipt::FileState;

pub use error::SnapshotError;
pub use runglass_model::manifest::{Entry, Manifest, Stats};
pub use {cache::StatCache, compare::compare, covered::Coverage, dryrun::dry_run, manifest::load, rules::Rules, take::take};

/// The environment variable that sets the per-file cap, in bytes.
pub const CAP_ENV: &str = "RUNGLASS_MAX_SNAPSHOT_BYTES";
/// The per-file cap when [`CAP_ENV`] is not set.
pub const DEFAULT_CAP_BYTES: u64 = 10 * 1024 * 1024;

pub struct SnapshotOptions {
    /// Files larger than this are not read: compared by size and times only.
    pub cap_bytes: u64,
    /// Absolute directories never walked, even inside the root (the runglass data directory).
    pub exclude: Vec<PathBuf>,
    /// Put the contents of files within the cap into the blob store.
    pub store_contents: bool,
    /// Show a progress bar on stderr when the snapshot takes a while (the caller decides
    /// whether stderr is a terminal).
    pub progress: bool,
}

/// The per-file cap: [`CAP_ENV`] when set (bytes, or with a K, M or G suffix for KiB, MiB,
/// GiB), else [`DEFAULT_CAP_BYTES`].
pub fn cap_from_env() -> Result<u64, SnapshotError> {
    match std::env::var_os(CAP_ENV) {
        Some(value) if !value.is_empty() => parse_cap(&value),
        _ => Ok(DEFAULT_CAP_BYTES),
    }
}

fn parse_cap(value: &OsStr) -> Result<u64, SnapshotError> {
    let parsed = value.to_str().map(str::trim).and_then(|text| {
        let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => text.split_at(i),
            None => (text, ""),
        };
        let shift = match unit.to_ascii_uppercase().as_str() {
            "" => 0,
            "K" | "KIB" => 10,
            "M" | "MIB" => 20,
            "G" | "GIB" => 30,
            _ => return None,
        };
        digits.parse::<u64>().ok()?.checked_mul(1 << shift)
    });
    match parsed {
        Some(cap) => Ok(cap),
        None => Err(SnapshotError::BadCap(value.to_owned())),
    }
}

/// The receipt's account of a before/after pair of snapshots (times are the caller's).
pub fn summary(before: &Manifest, after: &Manifest) -> runglass_model::receipt::SnapshotSummary {
    let bytes = |v: &[Vec<u8>]| v.iter().cloned().map(Into::into).collect::<Vec<_>>();
    let mut capped = bytes(&before.stats.capped);
    capped.extend(bytes(&after.stats.capped));
    capped.sort_by(|a: &runglass_model::ByteString, b| a.as_bytes().cmp(b.as_bytes()));
    capped.dedup();
    let unreadable = before
        .stats
        .unreadable
        .iter()
        .chain(&after.stats.unreadable)
        .map(|(path, error)| runglass_model::receipt::Unreadable { path: path.clone().into(), error: error.clone() })
        .collect();
    runglass_model::receipt::SnapshotSummary {
        entries_before: before.stats.entries,
        entries_after: after.stats.entries,
        bytes_hashed: before.stats.bytes_hashed + after.stats.bytes_hashed,
        before_ms: before.stats.took_ms,
        after_ms: after.stats.took_ms,
        cap_bytes: after.stats.cap_bytes,
        capped,
        unreadable,
        ignored: after.stats.ignored,
        ignore_sources: after.stats.ignore_sources.clone(),
    }
}

/// The model's view of an entry, for the receipt.
pub fn entry_state(e: &Entry) -> FileState {
    FileState {
        kind: e.kind,
        size: e.size,
        mode: e.mode,
        mtime_ns: e.mtime_ns,
        blake3: e.hash.map(|h| blake3::Hash::from_bytes(h).to_hex().to_string()),
        target: e.target.clone().map(Into::into),
        capped: e.capped,
        stored: e.stored,
        uid: e.uid,
        gid: e.gid,
        xattrs: None,
    }
}
