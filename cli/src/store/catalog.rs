//! Finding and loading receipts: by id, `latest`, or a path; listing them all. One
//! malformed receipt never breaks the others: it is skipped with a warning.

use std::path::{Path, PathBuf};

use anyhow::Context;
use runglass_model::{Receipt, receipt_json};

use super::error::StoreError;
use super::{EVENT_LOG, RECEIPT_FILE, lock, receipts_dir};
use crate::escape;

/// A receipt directory in the store and what is in it.
pub enum Slot {
    Done(Box<Receipt>),
    /// A run still in progress (its lock is held).
    Running,
    /// runglass was killed before writing the receipt; the event log remains.
    Unfinished,
    /// The receipt is there but cannot be read.
    Broken(anyhow::Error),
}

pub struct Listed {
    pub id: String,
    pub dir: PathBuf,
    pub slot: Slot,
}

/// Every receipt directory, oldest first (ids start with the UTC time).
pub fn scan(data: &Path) -> anyhow::Result<Vec<Listed>> {
    let receipts = receipts_dir(data);
    let read = match std::fs::read_dir(&receipts) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", receipts.display())),
    };
    let mut out = Vec::new();
    for entry in read.flatten() {
        let dir = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let id = entry.file_name().to_string_lossy().into_owned();
        let slot = slot_of(&dir);
        out.push(Listed { id, dir, slot });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn slot_of(dir: &Path) -> Slot {
    if dir.join(RECEIPT_FILE).exists() {
        return match load(dir) {
            Ok(r) => Slot::Done(Box::new(r)),
            Err(e) => Slot::Broken(e.into()),
        };
    }
    if lock::in_progress(dir) {
        Slot::Running
    } else if dir.join(EVENT_LOG).exists() {
        Slot::Unfinished
    } else {
        Slot::Broken(anyhow::anyhow!("{} holds no receipt and no event log", dir.display()))
    }
}

/// Loads `receipt.json` from a receipt directory (never through a symlink there: see
/// [`super::receipt_files`]) or the file itself, checking its format.
pub fn load(path: &Path) -> Result<Receipt, StoreError> {
    let (file, bytes) = if path.is_dir() {
        (path.join(RECEIPT_FILE), super::receipt_files::ReceiptDir::open(path)?.read(RECEIPT_FILE)?)
    } else {
        (path.to_path_buf(), std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
    };
    receipt_json::parse(&bytes).map_err(|source| StoreError::Invalid { file, source })
}

/// Prints the one-line warning for a receipt that is skipped.
pub fn warn_skipped(id: &str, err: &anyhow::Error) {
    eprintln!("runglass: warning: skipping receipt {}: {}", escape::text(id), escape::error(err));
}

/// Finds a receipt directory by `latest`, an id, or a unique prefix of one.
pub fn resolve(data: &Path, spec: &str) -> Result<PathBuf, StoreError> {
    let receipts = receipts_dir(data);
    if spec == "latest" {
        return latest(data)?.ok_or(StoreError::Empty(receipts));
    }
    if spec.is_empty() || spec.contains('/') || spec.starts_with('.') {
        return Err(StoreError::NotAnId(spec.to_string()));
    }
    let exact = receipts.join(spec);
    // A symlink in the store is not a receipt (`scan` passes them over too).
    if std::fs::symlink_metadata(&exact).is_ok_and(|m| m.is_dir()) {
        return Ok(exact);
    }
    let matches: Vec<Listed> = scan(data)?.into_iter().filter(|l| l.id.starts_with(spec)).collect();
    match matches.as_slice() {
        [one] => Ok(one.dir.clone()),
        [] => Err(StoreError::NoSuchReceipt { id: spec.to_string(), receipts }),
        many => Err(StoreError::Ambiguous { id: spec.to_string(), count: many.len() }),
    }
}

/// The newest readable receipt, skipping broken ones with a warning.
pub fn latest(data: &Path) -> anyhow::Result<Option<PathBuf>> {
    for listed in scan(data)?.into_iter().rev() {
        match listed.slot {
            Slot::Done(_) | Slot::Unfinished => return Ok(Some(listed.dir)),
            Slot::Running => continue,
            Slot::Broken(e) => warn_skipped(&listed.id, &e),
        }
    }
    Ok(None)
}
