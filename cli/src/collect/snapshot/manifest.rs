//! Reading a manifest file (its format is [`runglass_model::manifest`]'s).

use std::path::Path;

use anyhow::Context;

use super::{Manifest, SnapshotError};

/// The manifest in the file at `path`.
pub fn load(path: &Path) -> Result<Manifest, SnapshotError> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Manifest::from_bytes(&bytes).map_err(|source| SnapshotError::Manifest { path: path.to_path_buf(), source })
}
