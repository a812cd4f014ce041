//! The process tree as polling sees it: which processes belong to it, what each one runs,
//! and which have ended, turned into the engine's events.
//!
//! Each poll costs little per process: its /proc/PID/stat and `children` files are held
//! open and re-read, and its executable and argv are read only when its stat shows an exec.
//! A held stat file also pins the identity: its reads fail once the process is gone, even
//! if its pid is reused meanwhile. Ended processes are remembered by pid and start time.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::os::unix::ffi::OsStringExt;

use anyhow::Context;
use procfs::FromRead;
use procfs::process::Stat;
use runglass_model::{ByteString, CloneKind, EventKind, Pid, SyscallResult};

use super::children::{self, ChildFiles, read_at_start};

/// A process and when it started (clock ticks since boot): an identity that survives pid reuse.
type Identity = (Pid, u64);

/// What an exec changes in /proc/PID/stat: the name, and where code and stack are mapped
/// (the stack at a random place each exec). The addresses read as 0 where the process may
/// not be inspected.
#[derive(Clone, Debug, PartialEq)]
struct Fingerprint {
    comm: String,
    start_code: u64,
    end_code: u64,
    start_stack: u64,
}

impl Fingerprint {
    fn of(stat: &Stat) -> Fingerprint {
        Fingerprint {
            comm: stat.comm.clone(),
            start_code: stat.startcode,
            end_code: stat.endcode,
            start_stack: stat.startstack,
        }
    }

    /// True when the program's mapping changed: a new image, whatever its name and argv.
    fn remapped(&self, before: &Fingerprint) -> bool {
        matches!((self.mapping(), before.mapping()), (Some(now), Some(then)) if now != then)
    }

    /// Code and stack addresses, when shown and complete (an exec sets the stack first).
    fn mapping(&self) -> Option<(u64, u64, u64)> {
        (self.start_code != 0 && self.start_stack != 0).then_some((self.start_code, self.end_code, self.start_stack))
    }
}

/// The program a process runs, as /proc shows it.
#[derive(Clone, Debug, PartialEq)]
struct Image {
    exe: ByteString,
    argv: Vec<ByteString>,
}

struct Tracked {
    /// The process it was first seen a child of.
    parent: Pid,
    stat: File,
    children: ChildFiles,
    start_time: u64,
    threads: i64,
    fingerprint: Fingerprint,
    /// None until it could be read (the process was between two programs).
    image: Option<Image>,
}

pub(super) struct Tree {
    root: Pid,
    /// runglass itself, when it is the child subreaper: orphans of the tree then become its
    /// children, and join the tree when first seen there.
    me: Pid,
    me_as_reaper: Option<(File, ChildFiles)>,
    live: HashMap<Pid, Tracked>,
    /// Processes of the tree that ended: never taken in again.
    ended: HashSet<Identity>,
    /// runglass's children that are not of the tree: those there before polling started.
    foreign: HashSet<Identity>,
    children_files: bool,
    started: bool,
    seen: u64,
    buf: Vec<u8>,
}

impl Tree {
    /// A tree of `root` alone, not looked at yet.
    pub fn new(root: Pid) -> anyhow::Result<Tree> {
        std::fs::metadata(format!("/proc/{root}")).with_context(|| format!("looking at /proc/{root}"))?;
        let me = std::process::id();
        let me_as_reaper = if nix::sys::prctl::get_child_subreaper().unwrap_or(false) {
            let stat = File::open("/proc/self/stat").context("opening /proc/self/stat")?;
            Some((stat, ChildFiles::new(me)))
        } else {
            None
        };
        let mut tree = Tree {
            root,
            me,
            me_as_reaper,
            live: HashMap::new(),
            ended: HashSet::new(),
            foreign: HashSet::new(),
            children_files: children::files_available(),
            started: false,
            seen: 0,
            buf: Vec::new(),
        };
        let scan = (!tree.children_files).then(children::scan_parents);
        for pid in tree.my_children(scan.as_ref()) {
            if let Some((_, stat)) = tree.open(pid) {
                tree.foreign.insert((pid, stat.starttime));
            }
        }
        Ok(tree)
    }

    /// Looks at the tree once: returns what happened since the last look, in order.
    pub fn poll(&mut self) -> Vec<(Pid, EventKind)> {
        let mut events = Vec::new();
        if !self.started {
            self.started = true;
            self.take_root(&mut events);
        }
        self.refresh(&mut events);
        self.discover(&mut events);
        events
    }

    /// The live processes of the tree, each with the parent it was first seen under.
    pub fn live(&self) -> impl Iterator<Item = (Pid, Pid)> + '_ {
        self.live.iter().map(|(&pid, t)| (pid, t.parent))
    }

    /// Live processes other than the root: those that outlived it once it has ended.
    pub fn others(&self) -> Vec<Pid> {
        let mut pids: Vec<Pid> = self.live.keys().copied().filter(|&p| p != self.root).collect();
        pids.sort_unstable();
        pids
    }

    /// How many processes of the tree were seen, the root included.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    fn take_root(&mut self, events: &mut Vec<(Pid, EventKind)>) {
        let Some((file, stat)) = self.open(self.root) else { return };
        self.seen += 1;
        events.push((self.root, EventKind::Spawn { parent: self.me, parent_tid: self.me, kind: CloneKind::Root }));
        self.take(self.root, self.me, file, &stat, None, events);
    }

    /// Notes execs and ends of the processes already known.
    fn refresh(&mut self, events: &mut Vec<(Pid, EventKind)>) {
        let mut ended = Vec::new();
        for (&pid, tracked) in &mut self.live {
            let stat = match read_stat(&tracked.stat, &mut self.buf) {
                Some(stat) if !exited(&stat) => stat,
                _ => {
                    ended.push(pid);
                    continue;
                }
            };
            tracked.threads = stat.num_threads;
            let fingerprint = Fingerprint::of(&stat);
            if fingerprint == tracked.fingerprint && tracked.image.is_some() {
                continue;
            }
            // Not readable now (mid-exec, or ending): the next poll tries again.
            let Some((fingerprint, image)) = read_program(pid, &tracked.stat, fingerprint, &mut self.buf) else {
                continue;
            };
            if tracked.image.as_ref() != Some(&image) || fingerprint.remapped(&tracked.fingerprint) {
                events.push((pid, exec_event(pid, &image)));
            }
            tracked.fingerprint = fingerprint;
            tracked.image = Some(image);
        }
        for pid in ended {
            if let Some(tracked) = self.live.remove(&pid) {
                self.ended.insert((pid, tracked.start_time));
                // The caller reaps the root and reports its exit with its status.
                if pid != self.root {
                    events.push((pid, EventKind::Gone));
                }
            }
        }
    }

    /// Takes in the children of known processes, and their children, and so on; and the
    /// orphans that reparented to runglass.
    fn discover(&mut self, events: &mut Vec<(Pid, EventKind)>) {
        let scan = (!self.children_files).then(children::scan_parents);
        let mut parents: VecDeque<Pid> = self.live.keys().copied().collect();
        for pid in self.my_children(scan.as_ref()) {
            if pid != self.root && !self.live.contains_key(&pid) && self.adopt(pid, self.me, events) {
                parents.push_back(pid);
            }
        }
        while let Some(parent) = parents.pop_front() {
            let Some(tracked) = self.live.get_mut(&parent) else { continue };
            let children = match &scan {
                Some(by_parent) => by_parent.get(&parent).cloned().unwrap_or_default(),
                None => tracked.children.read(tracked.threads, &mut self.buf),
            };
            for pid in children {
                if !self.live.contains_key(&pid) && self.adopt(pid, parent, events) {
                    parents.push_back(pid);
                }
            }
        }
    }

    /// runglass's own children, when it is the subreaper (else orphans go elsewhere).
    fn my_children(&mut self, scan: Option<&HashMap<Pid, Vec<Pid>>>) -> Vec<Pid> {
        let Some((stat, children)) = &mut self.me_as_reaper else { return Vec::new() };
        match scan {
            Some(by_parent) => by_parent.get(&self.me).cloned().unwrap_or_default(),
            None => match read_stat(stat, &mut self.buf) {
                Some(stat) => children.read(stat.num_threads, &mut self.buf),
                None => Vec::new(),
            },
        }
    }

    /// Takes in `pid`, a child of `parent`, unless it is one already seen to end or not of
    /// the tree. Returns true when it is live and its children are to be looked for.
    fn adopt(&mut self, pid: Pid, parent: Pid, events: &mut Vec<(Pid, EventKind)>) -> bool {
        let Some((file, stat)) = self.open(pid) else { return false };
        let identity = (pid, stat.starttime);
        if self.ended.contains(&identity) || (parent == self.me && self.foreign.contains(&identity)) {
            return false;
        }
        self.seen += 1;
        events.push((pid, EventKind::Spawn { parent, parent_tid: parent, kind: CloneKind::Unknown }));
        let parent_program = self.live.get(&parent).and_then(|t| Some((t.fingerprint.clone(), t.image.clone()?)));
        self.take(pid, parent, file, &stat, parent_program, events)
    }

    /// Starts tracking a newly seen process; reports its program unless it still runs its
    /// parent's (a fork that has not exec'd yet), or that it already ended.
    fn take(
        &mut self,
        pid: Pid,
        parent: Pid,
        stat_file: File,
        stat: &Stat,
        parent_program: Option<(Fingerprint, Image)>,
        events: &mut Vec<(Pid, EventKind)>,
    ) -> bool {
        if exited(stat) {
            self.ended.insert((pid, stat.starttime));
            if pid != self.root {
                events.push((pid, EventKind::Gone));
            }
            return false;
        }
        let mut fingerprint = Fingerprint::of(stat);
        let mut image = None;
        if let Some((now, program)) = read_program(pid, &stat_file, fingerprint.clone(), &mut self.buf) {
            if parent_program.as_ref() != Some(&(now.clone(), program.clone())) {
                events.push((pid, exec_event(pid, &program)));
            }
            (fingerprint, image) = (now, Some(program));
        }
        let tracked = Tracked {
            parent,
            stat: stat_file,
            children: ChildFiles::new(pid),
            start_time: stat.starttime,
            threads: stat.num_threads,
            fingerprint,
            image,
        };
        self.live.insert(pid, tracked);
        true
    }

    /// Opens a process's stat and reads it; None when the process is no longer there.
    fn open(&mut self, pid: Pid) -> Option<(File, Stat)> {
        let file = File::open(format!("/proc/{pid}/stat")).ok()?;
        let stat = read_stat(&file, &mut self.buf)?;
        Some((file, stat))
    }
}

/// What `pid` runs, with the fingerprint `before` it was seen with, when that held while
/// the program was read (else an exec may have come between the two).
fn read_program(pid: Pid, stat: &File, before: Fingerprint, buf: &mut Vec<u8>) -> Option<(Fingerprint, Image)> {
    let image = image(pid, buf)?;
    let after = Fingerprint::of(&read_stat(stat, buf)?);
    (after == before).then_some((after, image))
}

fn read_stat(file: &File, buf: &mut Vec<u8>) -> Option<Stat> {
    Stat::from_read(read_at_start(file, buf).ok()?).ok()
}

/// A zombie ('Z') or dead ('X') process has exited; only its parent's wait is left.
fn exited(stat: &Stat) -> bool {
    matches!(stat.state, 'Z' | 'X')
}

/// The program `pid` runs; None while its argv cannot be read: every program has one (the
/// kernel gives an empty argv an empty argv[0]), so it is between two programs (the new
/// one's arguments are not set up yet) or it is ending.
fn image(pid: Pid, buf: &mut Vec<u8>) -> Option<Image> {
    let cmdline = File::open(format!("/proc/{pid}/cmdline")).ok()?;
    let argv = split_cmdline(read_at_start(&cmdline, buf).ok()?);
    if argv.is_empty() {
        return None;
    }
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).map(|p| ByteString(p.into_os_string().into_vec()));
    Some(Image { exe: exe.unwrap_or_default(), argv })
}

fn exec_event(pid: Pid, image: &Image) -> EventKind {
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"))
        .map(|p| ByteString(p.into_os_string().into_vec()))
        .unwrap_or_default();
    let Image { exe, argv } = image.clone();
    EventKind::Exec { path: exe, argv, cwd, former_tid: None, result: SyscallResult::Ok(0) }
}

/// A process's argv as /proc has it now (empty when it is gone).
pub fn current_argv(pid: u32) -> Vec<ByteString> {
    split_cmdline(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default())
}

/// /proc/PID/cmdline is each argument followed by a NUL; empty arguments are kept.
fn split_cmdline(raw: &[u8]) -> Vec<ByteString> {
    if raw.is_empty() {
        return Vec::new();
    }
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    raw.split(|&b| b == 0).map(ByteString::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_keeps_empty_and_non_utf8_arguments() {
        let argv = split_cmdline(b"prog\0\0a b\0\xff\0");
        let expected: Vec<ByteString> = vec!["prog".into(), "".into(), "a b".into(), ByteString::from(&b"\xff"[..])];
        assert_eq!(argv, expected);
        assert!(split_cmdline(b"").is_empty());
    }

    #[test]
    fn a_new_mapping_is_an_exec_but_a_rename_or_hidden_mapping_is_not() {
        let before = Fingerprint { comm: "sh".into(), start_code: 0x1000, end_code: 0x2000, start_stack: 0x7ff0 };
        let exec = Fingerprint { start_stack: 0x7fa0, ..before.clone() };
        assert!(exec.remapped(&before));
        let renamed = Fingerprint { comm: "worker".into(), ..before.clone() };
        assert!(!renamed.remapped(&before));
        let hidden = Fingerprint { start_code: 0, end_code: 0, start_stack: 0, ..before.clone() };
        assert!(!hidden.remapped(&before));
    }
}
