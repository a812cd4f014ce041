//! A manifest on disk: eight magic bytes naming the format and its version, then the
//! [`Manifest`] in postcard. Written atomically, so a receipt never holds half of one.
//! Version 2 added each entry's owner and group; version 1 manifests (receipts of older
//! runglass, which `prune` and recovery still read) are read through [`v1`].

use std::path::Path;

use anyhow::{Context, bail};

use super::Manifest;

/// The first bytes of a manifest file; the last one is the format's version.
const MAGIC: &[u8; 8] = b"RGMANIF2";
/// The magic of version 1.
const MAGIC_V1: &[u8; 8] = b"RGMANIF1";

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
        if let Some(body) = bytes.strip_prefix(MAGIC_V1) {
            let old: v1::Manifest = postcard::from_bytes(body)
                .with_context(|| format!("{} is damaged: it cannot be decoded", path.display()))?;
            return Ok(old.into());
        }
        let Some(body) = bytes.strip_prefix(MAGIC) else {
            if bytes.starts_with(&MAGIC[..7]) {
                bail!("{} is a snapshot manifest of a newer runglass; upgrade runglass to read it", path.display());
            }
            bail!("{} is not a runglass snapshot manifest", path.display());
        };
        postcard::from_bytes(body).with_context(|| format!("{} is damaged: it cannot be decoded", path.display()))
    }
}

/// Version 1's layout, read as it was.
mod v1 {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use runglass_model::receipt::FileKind;
    use serde::Deserialize;

    use crate::collect::snapshot::{Entry as EntryV2, Manifest as ManifestV2, Stats};

    #[derive(Deserialize)]
    pub struct Manifest {
        #[serde(with = "super::path_bytes")]
        root: PathBuf,
        entries: BTreeMap<Vec<u8>, Entry>,
        stats: Stats,
    }

    #[derive(Deserialize)]
    struct Entry {
        kind: FileKind,
        size: u64,
        mode: u32,
        mtime_ns: i64,
        ctime_ns: i64,
        ino: u64,
        dev: u64,
        hash: Option<[u8; 32]>,
        target: Option<Vec<u8>>,
        capped: bool,
        stored: bool,
    }

    impl From<Manifest> for ManifestV2 {
        fn from(m: Manifest) -> ManifestV2 {
            let entries = m
                .entries
                .into_iter()
                .map(|(path, e)| {
                    let Entry { kind, size, mode, mtime_ns, ctime_ns, ino, dev, hash, target, capped, stored } = e;
                    let e = EntryV2 {
                        kind,
                        size,
                        mode,
                        mtime_ns,
                        ctime_ns,
                        ino,
                        dev,
                        hash,
                        target,
                        capped,
                        stored,
                        uid: None,
                        gid: None,
                    };
                    (path, e)
                })
                .collect();
            ManifestV2 { root: m.root, entries, stats: m.stats }
        }
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
