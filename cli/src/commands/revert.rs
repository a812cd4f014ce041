//! `runglass revert`: what undoing a receipt's file changes would do, path by path.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::args::RevertArgs;
use crate::blobs::BlobStore;
use crate::recover;
use crate::revert::confine::Root;
use crate::revert::plan::{self, Verdict};
use crate::store::{self, catalog};

pub fn run(args: RevertArgs) -> anyhow::Result<u8> {
    let data = store::data_dir()?;
    let dir = catalog::resolve(&data, &args.receipt)?;
    let receipt = recover::load_or_recover(&data, &dir)?;
    let blobs = BlobStore::open(&data.join("blobs"))?;
    let root_path = receipt.files.root.as_path().to_path_buf();
    let root = Root::open(&root_path)?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let wanted: Vec<Vec<u8>> = args.file.iter().map(|f| inside(&root_path, &cwd, f)).collect::<anyhow::Result<_>>()?;
    let steps = plan::plan(&receipt, &root, &blobs, |p| wanted.is_empty() || wanted.iter().any(|w| covers(w, p)));
    if steps.is_empty() && !wanted.is_empty() {
        bail!("receipt {} records no change of {}; see `runglass report {}`", receipt.id, show(&args.file), receipt.id);
    }

    let mut out = std::io::stdout().lock();
    writeln!(out, "revert preview of receipt {} in {}", receipt.id, receipt.files.root.escaped())?;
    for s in &steps {
        writeln!(out, "  {:<10} {:<40} {}", s.undo.as_str(), s.path.shell_word(), s.verdict.text())?;
    }
    if args.include_outside {
        for c in &receipt.files.outside {
            writeln!(out, "  {:<10} {:<40} before-content not captured", "-", c.path.shell_word())?;
        }
    } else if !receipt.files.outside.is_empty() {
        let n = receipt.files.outside.len();
        writeln!(out, "  ({n} change(s) outside the working directory not listed; add --include-outside)")?;
    }
    let safe = steps.iter().filter(|s| s.verdict == Verdict::Safe).count();
    writeln!(out, "{safe} of {} change(s) can be reverted safely. Preview only: nothing was changed.", steps.len())?;
    Ok(0)
}

/// `file` as a path relative to the receipt's root (it may be given relative to the
/// current directory or absolute).
fn inside(root: &Path, cwd: &Path, file: &Path) -> anyhow::Result<Vec<u8>> {
    let absolute: PathBuf = if file.is_absolute() { file.to_path_buf() } else { cwd.join(file) };
    let rel = absolute.strip_prefix(root).map_err(|_| {
        anyhow::anyhow!("{} is not inside the receipt's root {}; give a path under it", file.display(), root.display())
    })?;
    let normal = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !normal {
        bail!("{} is not a plain path; give it without `.` or `..`", file.display());
    }
    Ok(rel.as_os_str().as_bytes().to_vec())
}

/// Whether `wanted` is `path` or a directory holding it.
fn covers(wanted: &[u8], path: &[u8]) -> bool {
    wanted.is_empty() || path == wanted || (path.starts_with(wanted) && path.get(wanted.len()) == Some(&b'/'))
}

fn show(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}
