//! Before-states captured by the trace (deep mode): the first `before` event of each path
//! is what was there before the command, taken while the first process about to change it
//! was stopped at that call.

use std::collections::{HashMap, HashSet};

use runglass_model::{Event, EventKind, PathState};

/// What was at one path before the command.
#[derive(Clone, Debug, PartialEq)]
pub struct Before {
    /// The symlink at the path was followed: the state is of the file it leads to.
    pub followed: bool,
    /// None: nothing was there.
    pub state: Option<PathState>,
}

#[derive(Default)]
pub struct Captured {
    /// By absolute path.
    first: HashMap<Vec<u8>, Before>,
}

impl Captured {
    pub fn observe(&mut self, event: &Event) {
        if let EventKind::Before { path, followed, state } = &event.kind {
            // A later capture of the same path (the background tracer's, say) comes after
            // the command's own changes: only the first is the state before it.
            self.first.entry(path.0.clone()).or_insert_with(|| Before { followed: *followed, state: state.clone() });
        }
    }

    /// The state captured for `path` (absolute) before its first change.
    pub fn get(&self, path: &[u8]) -> Option<&Before> {
        self.first.get(path)
    }

    /// The BLAKE3 of every content the captures put into the blob store.
    pub fn stored_hashes(&self) -> HashSet<[u8; 32]> {
        self.first
            .values()
            .filter_map(|b| b.state.as_ref())
            .filter(|s| s.stored)
            .filter_map(|s| blake3::Hash::from_hex(s.blake3.as_deref()?).ok())
            .map(|h| *h.as_bytes())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        };
        let kind = EventKind::Before { path: path.into(), followed: false, state: Some(state) };
        Event { time_ns: 0, pid: 1, tid: 1, kind }
    }

    #[test]
    fn the_first_capture_of_a_path_is_its_state_before_the_command() {
        let mut captured = Captured::default();
        captured.observe(&before("/h/.bashrc", b"original"));
        captured.observe(&before("/h/.bashrc", b"already changed"));
        let first = captured.get(b"/h/.bashrc").unwrap().state.as_ref().unwrap();
        assert_eq!(first.blake3, Some(blake3::hash(b"original").to_hex().to_string()));
        assert_eq!(captured.stored_hashes(), HashSet::from([*blake3::hash(b"original").as_bytes()]));
    }
}
