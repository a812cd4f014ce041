//! File actions from the trace (deep mode): which process wrote, renamed or removed
//! which path, inside the working directory (to attribute snapshot changes) and outside
//! it (listed from the trace alone), and, with --reads, which files were read.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use runglass_model::receipt::{Action, Actor};
use runglass_model::{ByteString, Event, EventKind, FileOp, OpenFlags, SyscallResult};

use crate::collect::after_run::DiskView;
use super::ms;
use super::processes::Who;
use super::real_path::RealPaths;

/// Paths whose changes are the system's plumbing, not the command's work.
pub const NOT_FILES: [&[u8]; 3] = [b"/dev/", b"/proc/", b"/sys/"];

#[derive(Default)]
pub struct FileActions {
    root: Vec<u8>,
    /// Inside the root, by path relative to it.
    pub inside: BTreeMap<Vec<u8>, Vec<Actor>>,
    /// Outside the root, by absolute path.
    pub outside: BTreeMap<Vec<u8>, Vec<Actor>>,
    /// Files read (successful read-only opens), by absolute path.
    pub reads: BTreeMap<Vec<u8>, Vec<Actor>>,
    /// The data directory: runglass's own files are never the command's doing.
    data_dir: Vec<u8>,
    /// Paths as the kernel resolved them, not as the command spelled them.
    real: RealPaths,
}

/// At most this many actors are kept per path (a log file appended to by every process
/// of a build would otherwise list them all).
const MAX_ACTORS_PER_PATH: usize = 16;

impl FileActions {
    pub fn new(root: &Path, data_dir: &Path) -> Self {
        FileActions {
            root: root.as_os_str().as_bytes().to_vec(),
            data_dir: data_dir.as_os_str().as_bytes().to_vec(),
            ..Default::default()
        }
    }

    pub fn observe(&mut self, event: &Event, who: impl FnOnce() -> Who, disk: &dyn DiskView) {
        let done = |r: &SyscallResult| !matches!(r, SyscallResult::Err(_));
        let mut acts: Vec<(&ByteString, Action)> = Vec::new();
        match &event.kind {
            // An O_TMPFILE open makes an unnamed file in the directory: nothing has a name
            // until a later linkat gives it one, and that name is the change.
            EventKind::Open { flags, .. } if flags.has(OpenFlags::TMPFILE) => return,
            EventKind::Open { path, flags, result, .. } if done(result) => {
                let action = if !flags.writes() {
                    Action::Read
                } else if flags.has(OpenFlags::TRUNC) {
                    Action::Truncated
                } else if flags.has(OpenFlags::CREAT) {
                    Action::Created
                } else {
                    Action::Wrote
                };
                acts.push((path, action));
            }
            EventKind::File { op, path, result, .. } if done(result) => match op {
                FileOp::Unlink | FileOp::Rmdir => acts.push((path, Action::Removed)),
                FileOp::Rename { to, .. } => {
                    acts.push((path, Action::RenamedFrom));
                    acts.push((to, Action::RenamedTo));
                }
                FileOp::Link { to } => acts.push((to, Action::Linked)),
                FileOp::Symlink { .. } => acts.push((path, Action::Symlinked)),
                FileOp::Mkdir { .. } => acts.push((path, Action::Mkdir)),
                FileOp::Truncate { .. } => acts.push((path, Action::Truncated)),
                FileOp::Chmod { .. } => acts.push((path, Action::Chmod)),
                FileOp::Chown { .. } => acts.push((path, Action::Chown)),
                FileOp::SetXattr { .. } => acts.push((path, Action::SetXattr)),
                FileOp::RemoveXattr { .. } => acts.push((path, Action::RemoveXattr)),
                FileOp::Mknod { .. } => acts.push((path, Action::Mknod)),
            },
            _ => return,
        }
        // A path the engine could not make absolute (its process died, or a bad dirfd) named
        // nothing the call could act on.
        acts.retain(|(path, _)| path.as_bytes().starts_with(b"/"));
        if acts.is_empty() {
            return;
        }
        let who = who();
        for (path, action) in acts {
            let path = &self.real.of(path.as_bytes(), disk)[..];
            if NOT_FILES.iter().any(|p| path.starts_with(p)) || under(path, &self.data_dir) {
                continue;
            }
            let actor = Actor { pid: who.pid, process: who.process, exec: who.exec, action, at_ms: ms(event.time_ns) };
            let (map, key) = if action == Action::Read {
                (&mut self.reads, path.to_vec())
            } else if let Some(rel) = relative(path, &self.root) {
                (&mut self.inside, rel.to_vec())
            } else {
                (&mut self.outside, path.to_vec())
            };
            add_actor(map.entry(key).or_default(), actor);
        }
    }
}

/// Adds `actor` to a path's list so that the last entry is always the latest to act (the
/// one that left the path as it ended). The same process doing the same thing again adds
/// nothing, but moves to the end when someone else acted in between. A full list keeps its
/// first entry and the latest ones.
fn add_actor(actors: &mut Vec<Actor>, actor: Actor) {
    let same = |a: &Actor| a.process == actor.process && a.action == actor.action;
    if actors.last().is_some_and(same) {
        return;
    }
    if let Some(i) = actors.iter().position(same) {
        actors.remove(i);
    } else if actors.len() >= MAX_ACTORS_PER_PATH {
        actors.remove(1.min(actors.len() - 1));
    }
    actors.push(actor);
}

/// `path` relative to `root` when it lies strictly inside it.
pub fn relative<'a>(path: &'a [u8], root: &[u8]) -> Option<&'a [u8]> {
    let root = root.strip_suffix(b"/").unwrap_or(root);
    path.strip_prefix(root)?.strip_prefix(b"/").filter(|rest| !rest.is_empty())
}

fn under(path: &[u8], dir: &[u8]) -> bool {
    !dir.is_empty() && (path == dir || relative(path, dir).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::after_run::LiveDisk;
    use runglass_model::{CloneKind, Event};

    fn ev(kind: EventKind) -> Event {
        Event { time_ns: 5_000_000, pid: 7, tid: 7, kind }
    }

    #[test]
    fn relative_paths_need_a_separator_after_the_root() {
        assert_eq!(relative(b"/w/a/b", b"/w/a"), Some(&b"b"[..]));
        assert_eq!(relative(b"/w/ab", b"/w/a"), None);
        assert_eq!(relative(b"/w/a", b"/w/a"), None);
        assert_eq!(relative(b"/x", b"/"), Some(&b"x"[..]));
    }

    #[test]
    fn actions_split_into_inside_outside_and_reads() {
        let mut fa = FileActions::new(Path::new("/w"), Path::new("/w/.data"));
        let disk = LiveDisk::new(Path::new("/nonexistent/blobs"), 1 << 20);
        let argv = || Who { pid: 7, process: 0, exec: None };
        let open = |p: &str, flags| EventKind::Open {
            path: p.into(),
            flags: OpenFlags(flags),
            mode: 0o644,
            result: SyscallResult::Ok(3),
            named: None,
        };
        fa.observe(&ev(open("/w/out.txt", 0o1101)), argv, &disk);
        fa.observe(&ev(open("/home/u/.bashrc", 0o2001)), argv, &disk);
        fa.observe(&ev(open("/etc/passwd", 0)), argv, &disk);
        fa.observe(&ev(open("/dev/null", 0o1)), argv, &disk);
        fa.observe(&ev(open("/w/.data/receipts/x", 0o1)), argv, &disk);
        fa.observe(
            &ev(EventKind::File {
                op: FileOp::Rename { to: "/w/b".into(), flags: 0 },
                path: "/tmp/a".into(),
                result: SyscallResult::Ok(0),
                named: None,
            }),
            argv,
            &disk,
        );
        fa.observe(
            &ev(EventKind::File {
                op: FileOp::Unlink,
                path: "/w/gone".into(),
                result: SyscallResult::Err(runglass_model::Errno(2)),
                named: None,
            }),
            argv,
            &disk,
        );
        fa.observe(&ev(EventKind::Spawn { parent: 1, parent_tid: 1, kind: CloneKind::Fork }), argv, &disk);

        assert_eq!(fa.inside[&b"out.txt"[..]][0].action, Action::Truncated);
        assert_eq!(fa.inside[&b"b"[..]][0].action, Action::RenamedTo);
        assert!(!fa.inside.contains_key(&b"gone"[..]), "a failed unlink changed nothing");
        assert_eq!(fa.outside[&b"/home/u/.bashrc"[..]][0].action, Action::Wrote);
        assert_eq!(fa.outside[&b"/tmp/a"[..]][0].action, Action::RenamedFrom);
        assert_eq!(fa.reads[&b"/etc/passwd"[..]][0].at_ms, 5);
        assert_eq!(fa.outside.len() + fa.inside.len() + fa.reads.len(), 5, "/dev and the data dir are left out");
    }

    #[test]
    fn the_last_actor_is_the_latest_to_act_and_repeats_add_nothing() {
        let actor = |process, action| Actor { pid: process, process, exec: None, action, at_ms: 0 };
        let mut by = Vec::new();
        for (process, action) in
            [(1, Action::Wrote), (1, Action::Wrote), (2, Action::Wrote), (1, Action::Wrote), (3, Action::Removed)]
        {
            add_actor(&mut by, actor(process, action));
        }
        let got: Vec<(u32, Action)> = by.iter().map(|a| (a.process, a.action)).collect();
        assert_eq!(got, [(2, Action::Wrote), (1, Action::Wrote), (3, Action::Removed)]);
        // A full list keeps the first and the latest.
        let mut by = Vec::new();
        for process in 0..40 {
            add_actor(&mut by, actor(process, Action::Wrote));
        }
        assert_eq!(by.len(), MAX_ACTORS_PER_PATH);
        assert_eq!((by[0].process, by.last().unwrap().process), (0, 39));
    }

    #[test]
    fn an_o_tmpfile_open_names_nothing_and_its_link_is_the_change() {
        let mut fa = FileActions::new(Path::new("/w"), Path::new("/data"));
        let disk = LiveDisk::new(Path::new("/nonexistent/blobs"), 1 << 20);
        let who = || Who { pid: 7, process: 0, exec: None };
        let tmpfile = EventKind::Open {
            path: "/tmp".into(),
            flags: OpenFlags(OpenFlags::TMPFILE | OpenFlags::RDWR),
            mode: 0o600,
            result: SyscallResult::Ok(3),
            named: None,
        };
        fa.observe(&ev(tmpfile), who, &disk);
        let link = FileOp::Link { to: "/var/lib/x/new".into() };
        fa.observe(
            &ev(EventKind::File {
                op: link,
                path: "/tmp/#123 (deleted)".into(),
                result: SyscallResult::Ok(0),
                named: None,
            }),
            who,
            &disk,
        );
        let paths: Vec<&[u8]> = fa.outside.keys().map(Vec::as_slice).collect();
        assert_eq!(paths, [&b"/var/lib/x/new"[..]]);
        assert_eq!(fa.outside[&b"/var/lib/x/new"[..]][0].action, Action::Linked);
    }
}
