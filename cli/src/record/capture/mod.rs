//! Capturing a path's before-state at the syscall (deep mode): while a traced process is
//! stopped at a call about to change a path, the path's state, and a regular file's
//! content up to the snapshot cap, go into the blob store. That is what lets a change be
//! undone anywhere on disk, and what lets a deep run's snapshots hash files without
//! copying them: only what is about to change is kept.
//!
//! Only the first change of each path is captured (later ones would see the command's
//! own work). Skipped: runglass's data directory, /dev, /proc and /sys, and, inside the
//! working directory, new paths in directories the before-snapshot walked (it already says
//! nothing was there). Paths in directories it skipped (`.git`, `node_modules`) are
//! captured like paths outside it. A capture that fails is not recorded and never stops
//! the command; the first failure is reported on stderr.

mod after_contents;
mod writer;

use std::collections::{BTreeMap, HashSet};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::sync::Arc;

use runglass_model::receipt::FileKind;
use runglass_model::{ByteString, EventKind};
use runglass_tracer::{BeforeChange, Change};

use crate::receipt::file_actions::{NOT_FILES, relative};
use crate::collect::snapshot::{Coverage, Entry, Manifest, Rules};

pub use after_contents::{keep_changed_after_contents, mark_captured};
use crate::collect::path_state::observe;
use crate::store::blobs::BlobStore;
use writer::BlobWriter;

pub struct BeforeCapture {
    blobs: BlobWriter,
    cap: u64,
    data_dir: Vec<u8>,
    /// The working directory's before-snapshot, when there is one, and the rules it
    /// skipped paths by.
    before: Option<(Arc<Manifest>, Arc<Rules>)>,
    /// Paths already captured (or deliberately left out): a build opens the same files
    /// for writing again and again, and each must then cost one lookup.
    seen: HashSet<Vec<u8>>,
    warned: bool,
}

impl BeforeCapture {
    /// Captures into `blobs` (the store of the data home `data`), reading regular files up
    /// to `cap` bytes. Inside `before`'s root, paths the snapshot looked for and did not
    /// find are not captured.
    pub fn new(
        data: &Path,
        blobs: BlobStore,
        cap: u64,
        before: Option<(Arc<Manifest>, Arc<Rules>)>,
    ) -> anyhow::Result<BeforeCapture> {
        Ok(BeforeCapture {
            blobs: BlobWriter::start(blobs)?,
            cap,
            data_dir: std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf()).into_os_string().into_vec(),
            before,
            seen: HashSet::new(),
            warned: false,
        })
    }

    /// Whether `path` is one to capture: not runglass's own, not the kernel's, and, inside
    /// the snapshotted root, a path the snapshot holds, one it did not look for (in a
    /// skipped directory), or one that may lead out of it (through `..` or a directory the
    /// snapshot saw as a symlink). A new path in a walked directory of the root needs
    /// nothing: the snapshot already says it was not there.
    fn wanted(&self, path: &[u8]) -> bool {
        if !path.starts_with(b"/") || NOT_FILES.iter().any(|p| path.starts_with(p)) {
            return false;
        }
        if path == self.data_dir || relative(path, &self.data_dir).is_some() {
            return false;
        }
        match &self.before {
            Some((before, rules)) => match relative(path, before.root.as_os_str().as_bytes()) {
                Some(rel) => {
                    before.entries.contains_key(rel) || may_lead_out(rel, &before.entries) || !before.covers(rel, rules)
                }
                None => true,
            },
            None => true,
        }
    }

    fn warn_once(&mut self, path: &ByteString, error: &anyhow::Error) {
        if !std::mem::replace(&mut self.warned, true) {
            eprintln!(
                "runglass: warning: the state of \"{}\" before the command changed it was not captured ({error:#}); \
                 revert cannot restore paths that were not captured",
                path.escaped()
            );
        }
    }

    /// The `before` event of `path`, the first time it is asked for.
    fn capture(&mut self, path: &ByteString, follow: bool) -> Option<EventKind> {
        if self.seen.contains(path.as_bytes()) {
            return None;
        }
        self.seen.insert(path.0.clone());
        if !self.wanted(path.as_bytes()) {
            return None;
        }
        match observe(path.as_path(), follow, self.cap, Some(&self.blobs)) {
            Ok(observed) => Some(EventKind::Before {
                path: path.clone(),
                followed: observed.as_ref().is_some_and(|o| o.followed),
                state: observed.map(|o| o.state),
            }),
            Err(e) => {
                self.warn_once(path, &e);
                None
            }
        }
    }

    /// The regular files the before-snapshot lists under the directory `path`.
    fn listed_files_under(&self, path: &[u8]) -> Vec<ByteString> {
        let Some((before, _)) = &self.before else { return Vec::new() };
        let root = before.root.as_os_str().as_bytes();
        let Some(rel) = relative(path, root) else { return Vec::new() };
        let prefix = [rel, b"/"].concat();
        before
            .entries
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter(|(_, entry)| entry.kind == FileKind::File)
            .map(|(key, _)| ByteString([root, b"/", key].concat()))
            .collect()
    }
}

impl BeforeChange for BeforeCapture {
    fn before_change(&mut self, change: Change<'_>) -> Vec<EventKind> {
        let Some(first) = self.capture(change.path, change.follow) else { return Vec::new() };
        let is_dir = matches!(&first, EventKind::Before { state: Some(s), .. } if s.kind == FileKind::Dir);
        let mut events = vec![first];
        if change.renamed && is_dir {
            // A directory renamed away takes its files along, each leaving its own path:
            // inside the working directory, where hash-only snapshots kept no contents,
            // capture those the snapshot listed (outside, only the directory is recorded).
            for path in self.listed_files_under(change.path.as_bytes()) {
                events.extend(self.capture(&path, false));
            }
        }
        events
    }
}

/// Whether `rel` climbs with `..` or passes through a directory that is a symlink.
fn may_lead_out(rel: &[u8], entries: &BTreeMap<Vec<u8>, Entry>) -> bool {
    let mut prefix_end = 0;
    for part in rel.split(|&b| b == b'/') {
        if part == b".." {
            return true;
        }
        let prefix = &rel[..prefix_end + part.len()];
        prefix_end += part.len() + 1;
        if prefix_end > rel.len() {
            break; // the last component: the path itself
        }
        if entries.get(prefix).is_some_and(|e| e.kind == FileKind::Symlink) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_may_lead_out_of_the_root_are_captured_and_new_ones_in_real_directories_not() {
        let entry = |kind| Entry {
            kind,
            size: 0,
            mode: 0o755,
            mtime_ns: 0,
            ctime_ns: 0,
            ino: 0,
            dev: 0,
            hash: None,
            target: None,
            capped: false,
            stored: false,
            gid: None,
            uid: None,
        };
        let entries: BTreeMap<Vec<u8>, Entry> = [
            (b"src".to_vec(), entry(FileKind::Dir)),
            (b"link".to_vec(), entry(FileKind::Symlink)),
            (b"src/lib".to_vec(), entry(FileKind::Symlink)),
        ]
        .into();
        for (rel, expected) in [
            (&b"../up.txt"[..], true),
            (b"src/../../x", true),
            (b"link/f", true),
            (b"src/lib/deep/f", true),
            (b"src/new.rs", false),
            (b"newdir/f", false),
            (b"link", false),
        ] {
            assert_eq!(may_lead_out(rel, &entries), expected, "{}", String::from_utf8_lossy(rel));
        }
    }

    #[test]
    fn each_path_is_captured_once_and_plumbing_never() {
        let data = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"first").unwrap();
        let blobs = BlobStore::open(&data.path().join("blobs")).unwrap();
        let mut capture = BeforeCapture::new(data.path(), blobs, 100, None).unwrap();
        let path = ByteString(f.as_os_str().as_bytes().to_vec());
        let first = capture.capture(&path, true);
        assert!(matches!(first, Some(EventKind::Before { state: Some(_), .. })), "{first:?}");
        std::fs::write(&f, b"second").unwrap();
        assert_eq!(capture.capture(&path, true), None, "the first state is the one that counts");
        for plumbing in ["/dev/null", "/proc/self/attr/current", "relative/path"] {
            assert_eq!(capture.capture(&plumbing.into(), true), None, "{plumbing}");
        }
        let own = data.path().canonicalize().unwrap().join("receipts/x/events.log");
        let own = ByteString(own.into_os_string().into_encoded_bytes());
        assert_eq!(capture.capture(&own, true), None, "runglass's own files");
        let gone = ByteString(dir.path().join("new").into_os_string().into_encoded_bytes());
        assert!(matches!(capture.capture(&gone, false), Some(EventKind::Before { state: None, .. })));
    }
}
