//! Which paths a snapshot speaks for. A path absent from a manifest was not there only if
//! the snapshot looked for it: its directory was walked (the root, or a directory the
//! manifest lists and could read) and the ignore rules do not skip it. Anywhere else (in
//! `.git/objects`, `.git/index`, `node_modules`, a directory that could not be read, or a
//! path `.runglassignore` skips) the snapshot says nothing, and only the trace can tell what
//! happened there. `.git` itself is walked (for its hooks, `info/` and `config`), so a path
//! skipped directly in it, such as `.git/index`, is in no skipped directory.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Manifest, Rules};

/// Which paths a manifest speaks for, by the rules its snapshot skipped by.
pub trait Coverage {
    fn covers(&self, rel: &[u8], rules: &Rules) -> bool;
    fn skipped_dir_of<'a>(&self, rel: &'a [u8]) -> Option<&'a [u8]>;
}

impl Coverage for Manifest {
    /// Whether this snapshot looked for `rel` (relative to the root): if it does not list
    /// it, nothing was there.
    fn covers(&self, rel: &[u8], rules: &Rules) -> bool {
        if self.entries.contains_key(rel) {
            return true;
        }
        let parent = rel.iter().rposition(|&b| b == b'/').map_or(&b""[..], |at| &rel[..at]);
        if !self.walked(parent) {
            return false;
        }
        // The rules decide by kind; a path that no longer exists may have been either.
        let path = Path::new(OsStr::from_bytes(rel));
        rules.skips(path, false).is_none() && rules.skips(path, true).is_none()
    }

    /// The skipped place that holds `rel`, which reports group its changes under: the
    /// outermost directory on the way to it that this snapshot did not walk (`node_modules`),
    /// or, for what lies in a `.git` directory (walked only for its hooks, `info/` and
    /// `config`), that `.git` directory, so that a commit's objects, refs, logs and index are
    /// one group. None for a path in a walked directory other than `.git`.
    fn skipped_dir_of<'a>(&self, rel: &'a [u8]) -> Option<&'a [u8]> {
        let parent = |p: &'a [u8]| p.iter().rposition(|&b| b == b'/').map(|at| &p[..at]);
        let in_git = |p: &'a [u8]| parent(p).filter(|dir| dir.rsplit(|&b| b == b'/').next() == Some(&b".git"[..]));
        let unwalked =
            rel.iter().enumerate().filter(|&(_, &b)| b == b'/').map(|(at, _)| &rel[..at]).find(|dir| !self.walked(dir));
        match unwalked {
            Some(dir) => in_git(dir).or(Some(dir)),
            None => in_git(rel),
        }
    }
}
