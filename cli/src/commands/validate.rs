//! `runglass validate`: structure errors fail (a name that leads out of the receipt's
//! directory among them); missing artifacts and blobs warn.
//!
//! A receipt is checked where it lies: in the store (artifacts beside receipt.json, stored
//! contents in the blob store) or exported (`runglass ci`'s directory or an unpacked bundle:
//! artifacts/ beside receipt.json, stored contents under artifacts/files/, each checked
//! against its recorded BLAKE3).

use std::path::{Path, PathBuf};

use anyhow::Context;
use runglass_model::Receipt;
use runglass_model::path_bytes::is_plain_relative;
use runglass_model::receipt::FileState;

use crate::args::ValidateArgs;
use crate::escape;
use crate::store::blobs::BlobStore;
use crate::formats::{ARTIFACTS_DIR, METADATA_FILE, artifact_entry, content_entry, safe_name};
use crate::store::receipt_files::{self, ReceiptDir};
use crate::store::{self, catalog};

/// Where the receipt's files are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Store,
    Exported,
}

impl Layout {
    fn of(dir: &Path) -> Layout {
        if dir.join(ARTIFACTS_DIR).join(METADATA_FILE).is_file() { Layout::Exported } else { Layout::Store }
    }
}

pub fn run(args: ValidateArgs) -> anyhow::Result<u8> {
    let path = locate(&args.receipt)?;
    let dir = if path.is_dir() { path.clone() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
    let receipt = catalog::load(&path)?;
    let (errors, warnings) = check(&receipt, &dir);
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        println!("{}: valid ({} warning(s))", receipt.id, warnings.len());
        Ok(0)
    } else {
        println!("{}: invalid ({} error(s), {} warning(s))", receipt.id, errors.len(), warnings.len());
        Ok(1)
    }
}

/// A path on disk (a receipt directory or receipt.json), else `latest` or an id.
pub fn locate(spec: &str) -> anyhow::Result<PathBuf> {
    let as_path = Path::new(spec);
    if spec.contains('/') || as_path.exists() && spec != "latest" {
        if !as_path.exists() {
            anyhow::bail!(
                "{} does not exist; give a receipt directory, a receipt.json, an id, or latest",
                escape::text(spec)
            );
        }
        // A symlink given here is followed: the user named it (inside the directory, none is).
        return as_path.canonicalize().with_context(|| format!("resolving {spec}"));
    }
    let data = store::data_dir()?;
    Ok(catalog::resolve(&data, spec)?)
}

/// What is wrong with a receipt that parsed: (errors, warnings).
fn check(r: &Receipt, dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let layout = Layout::of(dir);
    if r.id.is_empty() {
        errors.push("the id is empty".to_string());
    } else if layout == Layout::Exported {
        errors.extend(metadata_mismatch(r, dir));
    } else if dir.file_name().is_some_and(|n| n.to_string_lossy() != r.id) {
        warnings.push(format!("the id {} differs from its directory name {}", r.id, dir.display()));
    }
    if r.timing.ended_unix_ms < r.timing.started_unix_ms {
        errors.push("timing.ended_unix_ms is before timing.started_unix_ms".into());
    } else if r.timing.ended_unix_ms - r.timing.started_unix_ms != r.timing.duration_ms {
        errors.push("timing.duration_ms does not match the start and end".into());
    }
    if r.command.argv.is_empty() {
        errors.push("command.argv is empty".into());
    }
    let highest = r.risk.notes.iter().map(|n| n.severity).max().unwrap_or_default();
    if highest != r.risk.level {
        errors.push(format!("risk.level is {} but the highest note is {}", r.risk.level.as_str(), highest.as_str()));
    }
    let pids: std::collections::HashSet<u32> = r.processes.iter().map(|p| p.pid).collect();
    for p in &r.processes {
        if let Some(parent) = p.parent.filter(|pp| !pids.contains(pp)) {
            errors.push(format!("process {} names parent {parent}, which is not in the receipt", p.pid));
        }
    }
    for c in &r.files.changes {
        let path = c.path.as_bytes();
        if !is_plain_relative(path) {
            errors.push(format!("file change path {} is not a plain relative path", c.path.shell_word()));
        }
    }
    // A name that could lead out of the receipt's directory is an error, whatever is on disk.
    let names_outside = receipt_files::problems(r);
    let confined = names_outside.is_empty();
    errors.extend(names_outside);
    if confined {
        let store_dir = (layout == Layout::Store).then(|| ReceiptDir::open(dir));
        for (_, file) in receipt_files::named_files(r) {
            let found = match &store_dir {
                Some(Ok(d)) => d.open_file(file).map(|f| f.is_some()),
                Some(Err(e)) => Err(anyhow::anyhow!("{e:#}")),
                None => Ok(dir.join(ARTIFACTS_DIR).join(artifact_entry(file)).is_file()),
            };
            match found {
                Ok(true) => {}
                Ok(false) => warnings.push(format!("artifact {file} is missing from {}", dir.display())),
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
    }
    let blobs = match layout {
        Layout::Store => store::data_dir().ok().and_then(|d| BlobStore::open(&d.join("blobs")).ok()),
        Layout::Exported => None,
    };
    let mut missing = 0;
    for c in &r.files.changes {
        for (side, state) in [("before", &c.before), ("after", &c.after)] {
            let Some(state) = state.as_ref().filter(|s: &&FileState| s.stored) else { continue };
            let hash = match state.blake3.as_deref().map(blake3::Hash::from_hex) {
                None => {
                    errors.push("a stored file state has no blake3".into());
                    continue;
                }
                Some(Err(_)) => {
                    errors.push(format!("{:?} is not a BLAKE3 hex digest", state.blake3));
                    continue;
                }
                Some(Ok(hash)) => hash,
            };
            match layout {
                Layout::Store => missing += u32::from(blobs.as_ref().is_some_and(|b| !b.contains(&hash))),
                Layout::Exported => {
                    // A path the export left out (see metadata.json) has no copy to check.
                    let Some(rel) = safe_name(&c.path) else { continue };
                    let copy = dir.join(ARTIFACTS_DIR).join(content_entry(side, &rel));
                    match hash_file(&copy) {
                        Ok(found) if found == hash => {}
                        Ok(_) => errors.push(format!("{} does not match its recorded BLAKE3", copy.display())),
                        Err(_) => missing += 1,
                    }
                }
            }
        }
    }
    if missing > 0 {
        let place = match layout {
            Layout::Store => "the blob store",
            Layout::Exported => "artifacts/files/",
        };
        warnings.push(format!(
            "{missing} stored content(s) are missing from {place} (diffs still show; revert of those files is not possible)"
        ));
    }
    (errors, warnings)
}

/// An exported receipt's metadata.json must describe the receipt beside it.
fn metadata_mismatch(r: &Receipt, dir: &Path) -> Option<String> {
    let path = dir.join(ARTIFACTS_DIR).join(METADATA_FILE);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => return Some(format!("reading {}: {e}", path.display())),
    };
    let id = serde_json::from_slice::<serde_json::Value>(&text).ok().and_then(|v| v.get("id")?.as_str().map(String::from));
    match id {
        Some(id) if id == r.id => None,
        Some(id) => Some(format!("{} names receipt {id}, not {}", path.display(), r.id)),
        None => Some(format!("{} has no receipt id", path.display())),
    }
}

fn hash_file(path: &Path) -> std::io::Result<blake3::Hash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize())
}
