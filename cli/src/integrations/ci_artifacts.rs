//! `runglass ci`'s artifact directory: every format of the receipt, the bundle as
//! bundle.tar, and artifacts/ laid out as in the bundle (so `runglass validate DIR` checks it
//! whole, and the directory reads the same after a CI system downloads it).
//!
//! The directory is written under a temporary name beside DIR and then put in place in one
//! rename (an exchange when DIR exists), so a job never uploads a half-written or mixed
//! directory: DIR is the old run's or this run's, whole. Only an earlier runglass ci
//! directory (or an empty one) is ever replaced, and that is checked before the command runs.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use runglass_render::bundle::BundleContent;
use rustix::fs::{CWD, RenameFlags};

use crate::formats::{ARTIFACTS_DIR, Format, METADATA_FILE, Source};

/// The bundle's stable name here (its `export` name carries the receipt id).
pub const BUNDLE_FILE: &str = "bundle.tar";

/// Where the directory goes; checked before the command runs.
pub struct ArtifactDir {
    path: PathBuf,
}

impl ArtifactDir {
    /// Refuses a DIR that runglass must not replace: a file, or a directory holding
    /// anything but an earlier runglass ci run.
    pub fn check(path: &Path) -> anyhow::Result<ArtifactDir> {
        // The nearest existing ancestor must be a directory for DIR to be made under it.
        let nearest = path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).find(|a| a.exists());
        if let Some(found) = nearest.filter(|a| !a.is_dir()) {
            let (found, dir) = (found.display(), path.display());
            anyhow::bail!("{found} is not a directory, so {dir} cannot be made; choose another --output");
        }
        replaceable(path)?;
        Ok(ArtifactDir { path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the receipt's `formats` (receipt.json always) and artifacts/, then puts the
    /// directory in place. On failure nothing is left but what was there before.
    pub fn write(&self, source: &Source, formats: &[Format]) -> anyhow::Result<()> {
        let parent = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}; choose another --output", parent.display()))?;
        let staged = tempfile::Builder::new()
            .prefix(".runglass-ci-")
            .tempdir_in(parent)
            .with_context(|| format!("creating a temporary directory in {}; check it is writable", parent.display()))?;
        fill(staged.path(), source, formats)?;
        // Shared as a CI artifact: readable by all, like what a checkout holds.
        set_mode(staged.path(), 0o755)?;
        replaceable(&self.path)?;
        if self.path.symlink_metadata().is_ok() {
            rustix::fs::renameat_with(CWD, staged.path(), CWD, &self.path, RenameFlags::EXCHANGE)
                .with_context(|| format!("putting the new {} in place", self.path.display()))?;
            // `staged` now names the earlier run's directory, which its drop removes.
        } else {
            rustix::fs::renameat_with(CWD, staged.path(), CWD, &self.path, RenameFlags::NOREPLACE)
                .with_context(|| format!("putting {} in place", self.path.display()))?;
            // Renamed away: nothing is left under the temporary name to remove.
            let _ = staged.keep();
        }
        Ok(())
    }
}

/// Whether `path` may be replaced: absent, an empty directory, or an earlier runglass ci
/// directory (one with artifacts/metadata.json beside receipt.json).
fn replaceable(path: &Path) -> anyhow::Result<()> {
    let Ok(meta) = path.symlink_metadata() else { return Ok(()) };
    if !meta.is_dir() {
        anyhow::bail!("{} exists and is not a directory; choose another --output", path.display());
    }
    let mut entries = std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))?;
    let ours = path.join("receipt.json").is_file() && path.join(ARTIFACTS_DIR).join(METADATA_FILE).is_file();
    if !ours && entries.next().is_some() {
        anyhow::bail!(
            "{} holds files that are not an earlier `runglass ci` run; remove it or choose another --output",
            path.display()
        );
    }
    Ok(())
}

fn fill(dir: &Path, source: &Source, formats: &[Format]) -> anyhow::Result<()> {
    let with_json = formats.iter().copied().chain([Format::Json]);
    for format in Format::FILES.into_iter().filter(|f| with_json.clone().any(|w| w == *f)) {
        put(&dir.join(format.file_name(&source.receipt.id)), source.text(format).as_bytes())?;
    }
    if formats.contains(&Format::Bundle) {
        let path = dir.join(BUNDLE_FILE);
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::new(file);
        source.write_bundle(&mut out)?;
        out.flush().with_context(|| format!("writing {}", path.display()))?;
    }
    let artifacts = dir.join(ARTIFACTS_DIR);
    for file in source.artifacts()? {
        let path = artifacts.join(&file.name);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        }
        match &file.content {
            BundleContent::Bytes(bytes) => put(&path, bytes)?,
            BundleContent::File { label, open } => {
                let from = open().with_context(|| format!("reading {label}"))?;
                copy(from, label, &path)?
            }
        }
    }
    Ok(())
}

fn put(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Copies the content only: store files are private (0600), the copy gets the usual mode.
fn copy(mut src: File, label: &str, to: &Path) -> anyhow::Result<()> {
    let mut dst = File::create(to).with_context(|| format!("creating {}", to.display()))?;
    std::io::copy(&mut src, &mut dst).with_context(|| format!("copying {label} to {}", to.display()))?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("making {} readable", path.display()))
}
