//! A manifest on disk: eight magic bytes naming the format and its version, then the
//! [`Manifest`] in postcard. Written atomically, so a receipt never holds half of one.

use std::path::Path;

use anyhow::{Context, bail};

use super::Manifest;

/// The first bytes of a manifest file; the last one is the format's version.
const MAGIC: &[u8; 8] = b"RGMANIF1";

impl Manifest {
    /// The file's content (a run writes it with the rest of its receipt, see
    /// [`crate::store::durable::Durable`]).
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_stdvec(self).context("encoding a snapshot manifest")?);
        Ok(bytes)
    }

    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let Some(body) = bytes.strip_prefix(MAGIC) else {
            if bytes.starts_with(&MAGIC[..7]) {
                bail!("{} is a snapshot manifest of a newer runglass; upgrade runglass to read it", path.display());
            }
            bail!("{} is not a runglass snapshot manifest", path.display());
        };
        postcard::from_bytes(body).with_context(|| format!("{} is damaged: it cannot be decoded", path.display()))
    }
}

/// The root as bytes, exactly: serde's own path encoding refuses paths that are not UTF-8.
pub(super) mod path_bytes {
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
        path.as_os_str().as_bytes().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Vec::<u8>::deserialize(d).map(|bytes| PathBuf::from(OsString::from_vec(bytes)))
    }
}
