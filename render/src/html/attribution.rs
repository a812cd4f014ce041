//! Which files each process changed, for the process tree: the receipt records who acted
//! on each file, and this turns it around, in one pass, into a map looked up by process
//! entry (a scan of every change per process would be quadratic on big runs).

use std::collections::HashMap;

use runglass_model::receipt::{Action, Files};

/// A file a process acted on: an index into `files.changes` or `files.outside`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    Inside(usize),
    Outside(usize),
}

/// One file and what one process did to it, in order, without repeats.
#[derive(Debug)]
pub(super) struct Touch {
    pub target: Target,
    pub actions: Vec<Action>,
}

pub(super) struct ChangedBy {
    /// By index in `processes`.
    by_process: HashMap<usize, Vec<Touch>>,
}

impl ChangedBy {
    pub fn new(files: &Files) -> Self {
        let mut by_process: HashMap<usize, Vec<Touch>> = HashMap::new();
        let inside = files.changes.iter().enumerate().map(|(i, c)| (Target::Inside(i), &c.by));
        let outside = files.outside.iter().enumerate().map(|(i, c)| (Target::Outside(i), &c.by));
        for (target, by) in inside.chain(outside) {
            for actor in by {
                let touches = by_process.entry(actor.process as usize).or_default();
                // A file's actors are visited together, so a repeat is always the last touch.
                match touches.last_mut() {
                    Some(last) if last.target == target => {
                        if !last.actions.contains(&actor.action) {
                            last.actions.push(actor.action);
                        }
                    }
                    _ => touches.push(Touch { target, actions: vec![actor.action] }),
                }
            }
        }
        ChangedBy { by_process }
    }

    /// The files process entry `process` changed, inside the cwd first, each in receipt order.
    pub fn of(&self, process: usize) -> &[Touch] {
        self.by_process.get(&process).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use runglass_model::receipt::{Actor, ChangeKind, Files, OutsideChange};

    use super::*;

    fn actor(process: u32, action: Action) -> Actor {
        Actor { pid: process + 100, process, exec: None, action, at_ms: 0 }
    }

    #[test]
    fn each_process_gets_its_files_once_with_every_distinct_action() {
        let mut files = Files {
            root: "/p".into(),
            root_id: None,
            changes: vec![],
            outside: vec![],
            reads: vec![],
            snapshot: Default::default(),
            transient: Vec::new(),
        };
        let outside = |by| OutsideChange {
            path: "/etc/x".into(),
            by,
            exists_after: true,
            captured: false,
            before: None,
            after: None,
            followed: false,
            change: ChangeKind::Modified,
            content_changed: true,
            mode_changed: false,
            owner_changed: false,
            xattrs_changed: false,
        };
        files.outside.push(outside(vec![
            actor(7, Action::Truncated),
            actor(7, Action::Wrote),
            actor(7, Action::Wrote),
        ]));
        files.outside.push(outside(vec![actor(8, Action::Removed), actor(7, Action::Chmod)]));
        let changed = ChangedBy::new(&files);
        let seven: Vec<_> = changed.of(7).iter().map(|t| (t.target, t.actions.clone())).collect();
        assert_eq!(
            seven,
            [(Target::Outside(0), vec![Action::Truncated, Action::Wrote]), (Target::Outside(1), vec![Action::Chmod])]
        );
        assert_eq!(changed.of(8).len(), 1);
        assert!(changed.of(9).is_empty());
    }
}
