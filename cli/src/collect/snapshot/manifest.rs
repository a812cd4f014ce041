//! Reading a manifest file (its format is [`runglass_model::manifest`]'s).

use std::path::Path;

use anyhow::Context;

use super::Manifest;

/// The manifest in the file at `path`.
pub fn load(path: &Path) -> anyhow::Result<Manifest> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Manifest::from_bytes(&bytes).with_context(|| format!("reading the snapshot manifest {}", path.display()))
}
