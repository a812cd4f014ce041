//! What keeps a snapshot from being taken or read, as its own error type: a root that
//! cannot be listed, a cap that is not a size, a manifest this runglass cannot read.

use std::ffi::OsString;
use std::path::PathBuf;

use runglass_model::manifest::ManifestError;

use super::CAP_ENV;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot snapshot {}: {source}; run runglass in a directory you can read", root.display())]
    RootUnreadable { root: PathBuf, source: std::io::Error },
    #[error("{CAP_ENV}={0:?} is not a size in bytes (like 10485760 or 10M); fix it or unset it")]
    BadCap(OsString),
    #[error("reading the snapshot manifest {}: {source}", path.display())]
    Manifest { path: PathBuf, source: ManifestError },
    /// Reading a file, a thread that failed: the message says what and where.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}
