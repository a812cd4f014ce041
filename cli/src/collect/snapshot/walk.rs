//! One walk of the tree: every entry with its `lstat`, what was skipped and why, and what
//! could not be read. Symlinks are never followed, skipped directories never descended.

use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::progress::Progress;
use super::rules::{Rule, Rules};

/// An entry to record.
pub(super) struct Found {
    /// Relative to the root, '/'-separated.
    pub rel: Vec<u8>,
    pub path: PathBuf,
    pub meta: Metadata,
}

/// An entry left out, with everything under it when it is a directory.
pub(super) struct Skipped {
    pub rel: Vec<u8>,
    pub is_dir: bool,
    /// The ignore rule that matched; `None` for an excluded path (the data directory).
    pub rule: Option<Rule>,
}

#[derive(Default)]
pub(super) struct Walk {
    /// In walk order (sorted by name within each directory).
    pub found: Vec<Found>,
    pub skipped: Vec<Skipped>,
    pub unreadable: Vec<(Vec<u8>, String)>,
}

/// Walks `root` (canonical), leaving out what `rules` skip and the `exclude` directories.
pub(super) fn walk(root: &Path, rules: &Rules, exclude: &[PathBuf], progress: &Progress) -> Walk {
    let mut skipped = Vec::new();
    let mut unreadable = Vec::new();
    let mut found = Vec::new();
    let walker = WalkDir::new(root).follow_links(false).min_depth(1).sort_by_file_name();
    let entries = walker.into_iter().filter_entry(|e| {
        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
        let is_dir = e.file_type().is_dir();
        // Excluded paths are skipped whatever the rules say.
        let rule = if exclude.iter().any(|x| x == e.path()) {
            None
        } else {
            match rules.skips(rel, is_dir) {
                Some(rule) => Some(rule),
                None => return true,
            }
        };
        skipped.push(Skipped { rel: rel.as_os_str().as_bytes().to_vec(), is_dir, rule });
        false
    });
    for entry in entries {
        // A directory whose listing failed was itself found first, so its error is listed
        // under its own path.
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let rel = err.path().map(|p| relative(root, p).to_vec()).unwrap_or_default();
                unreadable.extend(problem(&err).map(|reason| (rel, reason)));
                continue;
            }
        };
        progress.inc(1);
        let rel = relative(root, entry.path()).to_vec();
        match entry.metadata() {
            Ok(meta) => found.push(Found { rel, path: entry.into_path(), meta }),
            Err(err) => unreadable.extend(problem(&err).map(|reason| (rel, reason))),
        }
    }
    Walk { found, skipped, unreadable }
}

/// Why an entry could not be read; `None` when it vanished between listing and `lstat`
/// (it was simply not there).
fn problem(err: &walkdir::Error) -> Option<String> {
    match err.io_error() {
        Some(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Some(e) => Some(e.to_string()),
        None => Some(err.to_string()),
    }
}

/// `path` relative to `root`, as bytes.
fn relative<'a>(root: &Path, path: &'a Path) -> &'a [u8] {
    path.strip_prefix(root).unwrap_or(path).as_os_str().as_bytes()
}
