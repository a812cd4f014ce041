//! Where receipts live: the data directory, one directory per receipt, and the files
//! inside it.
//!
//! ```text
//! <data>/receipts/<id>/receipt.json        the receipt (written last, atomically)
//!                      events.log          the event log, written as the command runs
//!                      survivors.events.log  events of processes that outlived it (deep)
//!                      stdout, stderr | transcript   the captured output
//!                      snapshot-before.bin, snapshot-after.bin   snapshot manifests
//!                      lock                held (flock) while the run is in progress
//!                      shortfall.json      what a run could not store, when its receipt.json
//!                                          could not be written either (read by recovery)
//! <data>/blobs/        file contents by BLAKE3, shared by all receipts
//! <data>/reserve       space kept for the receipts of runs that fill the disk (`space`)
//! <data>/cache/        the snapshot stat caches
//! ```
//!
//! A file a receipt names is read only through [`receipt_files`]: a plain name, inside the
//! receipt's directory, no symlink followed.

pub mod atomic;
mod blob_refs;
pub mod blobs;
pub mod catalog;
pub mod durable;
pub mod error;
pub mod lock;
pub mod receipt_files;
pub mod space;

use std::ffi::OsString;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub use error::StoreError;

pub const RECEIPT_FILE: &str = "receipt.json";
/// The event log of a run, inside its receipt directory.
pub const EVENT_LOG: &str = "events.log";
/// Events of processes that outlived the command, written by the background tracer.
pub const SURVIVOR_EVENT_LOG: &str = "survivors.events.log";
pub const SNAPSHOT_BEFORE: &str = "snapshot-before.bin";
pub const SNAPSHOT_AFTER: &str = "snapshot-after.bin";
pub const LOCK_FILE: &str = "lock";
/// What a run could not store (`crate::record::shortfall`), kept for recovery when even its
/// receipt could not be written.
pub const SHORTFALL_FILE: &str = "shortfall.json";

/// The receipts folder of a data directory.
pub fn receipts_dir(data: &Path) -> PathBuf {
    data.join("receipts")
}

/// $RUNGLASS_DATA_HOME, else $XDG_DATA_HOME/runglass, else ~/.local/share/runglass.
pub fn data_dir() -> Result<PathBuf, StoreError> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = non_empty("RUNGLASS_DATA_HOME") {
        return Ok(dir);
    }
    if let Some(dir) = non_empty("XDG_DATA_HOME") {
        return Ok(dir.join("runglass"));
    }
    match non_empty("HOME") {
        Some(home) => Ok(home.join(".local/share/runglass")),
        None => Err(StoreError::NoDataHome),
    }
}

/// Creates a new, empty receipt directory with a sortable id (UTC time, then a slug of
/// the command) under `data/receipts/`.
pub fn create_receipt_dir(data: &Path, command: &[OsString]) -> anyhow::Result<PathBuf> {
    let receipts = receipts_dir(data);
    std::fs::create_dir_all(&receipts).with_context(|| {
        format!("creating the data directory {}; make it writable or set RUNGLASS_DATA_HOME", receipts.display())
    })?;
    let base = format!("{}-{}", crate::time::utc_stamp(unix_now_ns() / 1_000_000_000), slug(command));
    for n in 1..1000 {
        let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let dir = receipts.join(&id);
        // Private, whatever the umask: argv, output and the event log are the user's alone.
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("creating {}; make the data directory writable or set RUNGLASS_DATA_HOME", dir.display()));
            }
        }
    }
    bail!("too many receipts named {base} in {}", receipts.display())
}

/// Deletes a receipt directory and everything in it. Its blobs stay in the shared store
/// until [`collect_blobs`] finds no receipt using them.
pub fn remove_receipt(dir: &Path) -> anyhow::Result<()> {
    std::fs::remove_dir_all(dir).with_context(|| format!("deleting {}", dir.display()))
}

/// Blobs younger than this are never collected: they may belong to a run whose snapshot
/// manifest is not written yet.
const BLOB_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes the blobs that no remaining receipt uses (its snapshots, or the before-states
/// its trace captured). A receipt whose manifests or event log cannot be read keeps
/// everything (nothing is deleted on a guess). Returns (files, bytes).
pub fn collect_blobs(data: &Path) -> anyhow::Result<(u64, u64)> {
    let mut keep = std::collections::HashSet::new();
    for listed in catalog::scan(data)? {
        if let Err(e) = blob_refs::collect(&listed, &mut keep) {
            eprintln!("runglass: warning: keeping every blob: {e:#}");
            return Ok((0, 0));
        }
    }
    crate::store::blobs::BlobStore::open(&data.join("blobs"))?.collect_garbage(&keep, BLOB_GRACE)
}

pub fn receipt_id(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

pub fn unix_now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// A short, file-name-safe slug of the command: its program's base name and first
/// argument, lower-case letters, digits and dashes.
fn slug(command: &[OsString]) -> String {
    let mut words = Vec::new();
    if let Some(prog) = command.first() {
        let prog = Path::new(prog).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        words.push(prog);
    }
    if let Some(arg) = command.get(1) {
        words.push(arg.to_string_lossy().into_owned());
    }
    let mut out = String::new();
    for c in words.join("-").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 24 {
            break;
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "command".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_and_safe() {
        let cmd: Vec<OsString> = ["/usr/bin/NPM", "install", "--x"].iter().map(OsString::from).collect();
        assert_eq!(slug(&cmd), "npm-install");
        assert_eq!(slug(&[OsString::from("../../<x>")]), "x");
        assert_eq!(slug(&[OsString::from("日本")]), "command");
    }
}
