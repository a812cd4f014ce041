//! The snapshot manifest's format: what one snapshot of a tree recorded ([`Manifest`]),
//! and its bytes on disk: eight magic bytes naming the format and its version, then the
//! manifest in postcard. Version 2 added each entry's owner and group; version 1 manifests
//! (receipts of older runglass, which `prune` and recovery still read) are read through
//! [`v1`]. The CLI takes, compares and stores snapshots; this is only what they are.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::receipt::FileKind;

/// The first bytes of a manifest file; the last one is the format's version.
const MAGIC: &[u8; 8] = b"RGMANIF2";
/// The magic of version 1.
const MAGIC_V1: &[u8; 8] = b"RGMANIF1";

/// Why bytes are not a manifest this runglass can read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("it is not a runglass snapshot manifest")]
    NotAManifest,
    #[error("it is a snapshot manifest of a newer runglass (format {0}); upgrade runglass to read it")]
    TooNew(char),
    #[error("it is damaged: it cannot be decoded ({0})")]
    Damaged(postcard::Error),
}

/// One snapshot of a tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The directory snapshotted, canonical.
    #[serde(with = "path_bytes")]
    pub root: PathBuf,
    /// Every entry by its path relative to `root` ('/'-separated bytes); the root itself is
    /// not included.
    pub entries: BTreeMap<Vec<u8>, Entry>,
    pub stats: Stats,
}

/// One path in a snapshot, as `lstat` saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: FileKind,
    pub size: u64,
    /// `st_mode & 0o7777`.
    pub mode: u32,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
    /// BLAKE3 of the content: regular files within the cap that could be read.
    pub hash: Option<[u8; 32]>,
    /// A symlink's target, exactly as stored (never followed).
    pub target: Option<Vec<u8>>,
    /// Over the cap: not read, compared by size and times only.
    pub capped: bool,
    /// The content is in the blob store under `hash`.
    pub stored: bool,
    /// The owner and group (None in manifests of runglass before receipt format 2).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Entries recorded.
    pub entries: u64,
    /// Entries the ignore rules and exclusions skipped (a skipped directory counts once).
    pub ignored: u64,
    /// Bytes read to hash content (files the stat cache vouched for are not read).
    pub bytes_hashed: u64,
    /// The per-file cap in force.
    pub cap_bytes: u64,
    /// Files over the cap.
    pub capped: Vec<Vec<u8>>,
    /// Paths that could not be read, with the reason.
    pub unreadable: Vec<(Vec<u8>, String)>,
    /// Where the ignore rules came from: `defaults` and, if present, `.runglassignore`.
    pub ignore_sources: Vec<String>,
    pub took_ms: u64,
}

impl Manifest {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        // A manifest has no map with non-string keys and no serializer that can fail.
        bytes.extend(postcard::to_stdvec(self).expect("a manifest encodes in postcard"));
        bytes
    }

    /// Whether the directory `rel` (empty: the root) was listed by this snapshot, and read.
    pub fn walked(&self, rel: &[u8]) -> bool {
        if rel.is_empty() {
            return true;
        }
        let listed = self.entries.get(rel).is_some_and(|e| e.kind == FileKind::Dir);
        listed && !self.stats.unreadable.iter().any(|(p, _)| p == rel)
    }

    /// A manifest from a file's bytes, of this format or version 1.
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        if let Some(body) = bytes.strip_prefix(MAGIC_V1) {
            let old: v1::Manifest = postcard::from_bytes(body).map_err(ManifestError::Damaged)?;
            return Ok(old.into());
        }
        let Some(body) = bytes.strip_prefix(MAGIC) else {
            return Err(match bytes.strip_prefix(&MAGIC[..7]) {
                Some([version, ..]) if version.is_ascii_digit() && *version > MAGIC[7] => {
                    ManifestError::TooNew(char::from(*version))
                }
                _ => ManifestError::NotAManifest,
            });
        };
        postcard::from_bytes(body).map_err(ManifestError::Damaged)
    }
}

/// Version 1's layout, read as it was.
mod v1 {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use crate::receipt::FileKind;
    use serde::Deserialize;

    use super::{Entry as EntryV2, Manifest as ManifestV2, Stats};

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
mod path_bytes {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_and_other_bytes_say_what_they_are() {
        let mut entries = BTreeMap::new();
        let entry = Entry {
            kind: FileKind::File,
            size: 3,
            mode: 0o644,
            mtime_ns: 1,
            ctime_ns: 2,
            ino: 3,
            dev: 4,
            hash: Some([7; 32]),
            target: None,
            capped: false,
            stored: true,
            uid: Some(1000),
            gid: Some(100),
        };
        entries.insert(b"a \xff".to_vec(), entry);
        use std::os::unix::ffi::OsStringExt;
        let root = PathBuf::from(std::ffi::OsString::from_vec(b"/w/\xfe".to_vec()));
        let m = Manifest { root, entries, stats: Stats::default() };
        assert_eq!(Manifest::from_bytes(&m.to_bytes()).unwrap(), m);
        assert!(matches!(Manifest::from_bytes(b"RGMANIF9...."), Err(ManifestError::TooNew('9'))));
        assert!(matches!(Manifest::from_bytes(b"not one"), Err(ManifestError::NotAManifest)));
        let cut = &m.to_bytes()[..12];
        assert!(matches!(Manifest::from_bytes(cut), Err(ManifestError::Damaged(_))));
    }
}
