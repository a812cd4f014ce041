//! File actions from the trace (deep mode): which process wrote, renamed or removed
//! which path, inside the working directory (to attribute snapshot changes) and outside
//! it (listed from the trace alone), and, with --reads, which files were read.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use runglass_model::receipt::{Action, Actor};
use runglass_model::{ByteString, Event, EventKind, FileOp, OpenFlags, SyscallResult};

use super::ms;
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

    pub fn observe(&mut self, event: &Event, argv: impl Fn() -> Vec<ByteString>) {
        let done = |r: &SyscallResult| !matches!(r, SyscallResult::Err(_));
        let mut acts: Vec<(&ByteString, Action)> = Vec::new();
        match &event.kind {
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
            EventKind::File { op, path, result } if done(result) => match op {
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
            },
            _ => return,
        }
        for (path, action) in acts {
            let path = &self.real.of(path.as_bytes())[..];
            if NOT_FILES.iter().any(|p| path.starts_with(p)) || under(path, &self.data_dir) {
                continue;
            }
            let actor = Actor { pid: event.pid, argv: argv(), action, at_ms: ms(event.time_ns) };
            let (map, key) = if action == Action::Read {
                (&mut self.reads, path.to_vec())
            } else if let Some(rel) = relative(path, &self.root) {
                (&mut self.inside, rel.to_vec())
            } else {
                (&mut self.outside, path.to_vec())
            };
            let actors = map.entry(key).or_default();
            // The same process doing the same thing again adds nothing.
            let repeat = actors.iter().any(|a| a.pid == actor.pid && a.action == actor.action);
            if !repeat && actors.len() < MAX_ACTORS_PER_PATH {
                actors.push(actor);
            }
        }
    }
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
        let argv = || vec![ByteString::from("sh")];
        let open = |p: &str, flags| EventKind::Open { path: p.into(), flags: OpenFlags(flags), mode: 0o644, result: SyscallResult::Ok(3) };
        fa.observe(&ev(open("/w/out.txt", 0o1101)), argv);
        fa.observe(&ev(open("/home/u/.bashrc", 0o2001)), argv);
        fa.observe(&ev(open("/etc/passwd", 0)), argv);
        fa.observe(&ev(open("/dev/null", 0o1)), argv);
        fa.observe(&ev(open("/w/.data/receipts/x", 0o1)), argv);
        fa.observe(
            &ev(EventKind::File { op: FileOp::Rename { to: "/w/b".into(), flags: 0 }, path: "/tmp/a".into(), result: SyscallResult::Ok(0) }),
            argv,
        );
        fa.observe(&ev(EventKind::File { op: FileOp::Unlink, path: "/w/gone".into(), result: SyscallResult::Err(runglass_model::Errno(2)) }), argv);
        fa.observe(&ev(EventKind::Spawn { parent: 1, parent_tid: 1, kind: CloneKind::Fork }), argv);

        assert_eq!(fa.inside[&b"out.txt"[..]][0].action, Action::Truncated);
        assert_eq!(fa.inside[&b"b"[..]][0].action, Action::RenamedTo);
        assert!(!fa.inside.contains_key(&b"gone"[..]), "a failed unlink changed nothing");
        assert_eq!(fa.outside[&b"/home/u/.bashrc"[..]][0].action, Action::Wrote);
        assert_eq!(fa.outside[&b"/tmp/a"[..]][0].action, Action::RenamedFrom);
        assert_eq!(fa.reads[&b"/etc/passwd"[..]][0].at_ms, 5);
        assert_eq!(fa.outside.len() + fa.inside.len() + fa.reads.len(), 5, "/dev and the data dir are left out");
    }
}
