//! Before-states captured by the trace (deep mode): the first `before` event of each path
//! is what was there before the command, taken while the first process about to change it
//! was stopped at that call. A content the event says is stored counts as stored only if
//! the blob store has it: the capture hands contents to a writer thread, and a run killed
//! before that thread caught up leaves events that claim more than the store holds.

use std::collections::{HashMap, HashSet};

use runglass_model::{Event, EventKind, PathState};

use crate::collect::after_run::DiskView;
use super::real_path::RealPaths;

/// What was at one path before the command.
#[derive(Clone, Debug, PartialEq)]
pub struct Before {
    /// The symlink at the path was followed: the state is of the file it leads to.
    pub followed: bool,
    /// None: nothing was there.
    pub state: Option<PathState>,
}

pub struct Captured {
    /// By absolute path, as the kernel resolved it (as `FileActions` keys them).
    first: HashMap<Vec<u8>, Before>,
    real: RealPaths,
}

impl Captured {
    pub fn new() -> Captured {
        Captured { first: HashMap::new(), real: RealPaths::default() }
    }

    pub fn observe(&mut self, event: &Event, disk: &dyn DiskView) {
        if let EventKind::Before { path, followed, state } = &event.kind {
            // A later capture of the same path (the background tracer's, say) comes after
            // the command's own changes: only the first is the state before it.
            self.first
                .entry(self.real.of(path.as_bytes(), disk))
                .or_insert_with(|| Before { followed: *followed, state: state.clone() });
        }
    }

    /// The state captured for `path` (absolute) before its first change, `stored` only
    /// where the blob store holds the content.
    pub fn get(&self, path: &[u8], disk: &dyn DiskView) -> Option<Before> {
        let mut before = self.first.get(path)?.clone();
        if let Some(state) = before.state.as_mut() {
            state.stored = stored(state, disk).is_some();
        }
        Some(before)
    }

    /// The BLAKE3 of every content the captures put into the blob store.
    pub fn stored_hashes(&self, disk: &dyn DiskView) -> HashSet<[u8; 32]> {
        self.first.values().filter_map(|b| stored(b.state.as_ref()?, disk)).map(|h| *h.as_bytes()).collect()
    }
}

/// The hash of the state's content when it is in the store.
fn stored(state: &PathState, disk: &dyn DiskView) -> Option<blake3::Hash> {
    let hash = blake3::Hash::from_hex(state.blake3.as_deref()?).ok()?;
    (state.stored && disk.stored(&hash)).then_some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::after_run::LiveDisk;
    use crate::store::blobs::BlobStore;
    use runglass_model::receipt::FileKind;

    fn before(path: &str, content: &[u8]) -> Event {
        let state = PathState {
            kind: FileKind::File,
            size: content.len() as u64,
            mode: 0o644,
            mtime_ns: 0,
            blake3: Some(blake3::hash(content).to_hex().to_string()),
            target: None,
            capped: false,
            stored: true,
            gid: None,
            uid: None,
            xattrs: None,
        };
        let kind = EventKind::Before { path: path.into(), followed: false, state: Some(state) };
        Event { time_ns: 0, pid: 1, tid: 1, kind }
    }

    #[test]
    fn the_first_capture_of_a_path_is_its_state_before_the_command() {
        let dir = tempfile::tempdir().unwrap();
        BlobStore::open(&dir.path().join("blobs")).unwrap().put_bytes(b"original").unwrap();
        let disk = LiveDisk::new(&dir.path().join("blobs"), 1 << 20);
        let mut captured = Captured::new();
        captured.observe(&before("/h/.bashrc", b"original"), &disk);
        captured.observe(&before("/h/.bashrc", b"already changed"), &disk);
        let first = captured.get(b"/h/.bashrc", &disk).unwrap().state.unwrap();
        assert_eq!(first.blake3, Some(blake3::hash(b"original").to_hex().to_string()));
        assert!(first.stored);
        assert_eq!(captured.stored_hashes(&disk), HashSet::from([*blake3::hash(b"original").as_bytes()]));
    }

    #[test]
    fn a_content_the_store_lacks_is_not_claimed_stored() {
        let dir = tempfile::tempdir().unwrap();
        let disk = LiveDisk::new(&dir.path().join("blobs"), 1 << 20);
        let mut captured = Captured::new();
        captured.observe(&before("/etc/hosts", b"never written"), &disk);
        assert!(!captured.get(b"/etc/hosts", &disk).unwrap().state.unwrap().stored);
        assert!(captured.stored_hashes(&disk).is_empty());
    }
}
