//! The process tree as polling sees it: which processes belong to it, what each one runs,
//! and which have ended, turned into the engine's events.
//!
//! A process is known by its pid and its start time (from /proc/PID/stat), so a pid that
//! is reused by an unrelated process is not taken for the one that ended. Each known
//! process is held open as a `procfs::process::Process` (an fd on its /proc directory),
//! whose reads fail once the process is gone, even if its pid comes back.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;
use std::os::unix::ffi::OsStringExt;

use procfs::process::{Process, Stat};
use runglass_model::{ByteString, CloneKind, EventKind, Pid, SyscallResult};

use super::children::{self, Lookup};

/// A process and when it started (clock ticks since boot): an identity that survives pid reuse.
type Identity = (Pid, u64);

struct Tracked {
    process: Process,
    start_time: u64,
    threads: i64,
    exe: ByteString,
    argv: Vec<ByteString>,
}

pub(super) struct Tree {
    root: Pid,
    /// runglass itself: orphans of the tree that reparent to it (as child subreaper) join.
    me: Pid,
    me_process: Process,
    /// Live processes of the tree.
    live: HashMap<Pid, Tracked>,
    /// Processes of the tree that ended: never taken in again.
    ended: HashSet<Identity>,
    /// runglass's children that are not of the tree: those there before polling started.
    foreign: HashSet<Identity>,
    children_files: bool,
    /// Whether the first poll took in the root yet.
    started: bool,
    seen: u64,
}

impl Tree {
    /// A tree of `root` alone, not looked at yet.
    pub fn new(root: Pid) -> anyhow::Result<Tree> {
        use anyhow::Context;
        Process::new(i32::try_from(root)?).with_context(|| format!("opening /proc/{root}"))?;
        let me = std::process::id();
        let me_process = Process::myself().context("opening /proc/self")?;
        let children_files = children::files_available();
        let mut foreign = HashSet::new();
        let threads = me_process.stat().map(|s| s.num_threads).unwrap_or(1);
        for pid in Lookup::now(children_files).children_of(me, &me_process, threads) {
            if let Some((_, stat)) = open(pid) {
                foreign.insert((pid, stat.starttime));
            }
        }
        Ok(Tree {
            root,
            me,
            me_process,
            live: HashMap::new(),
            ended: HashSet::new(),
            foreign,
            children_files,
            started: false,
            seen: 0,
        })
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

    /// The live processes of the tree, for looking at their sockets.
    pub fn live(&self) -> impl Iterator<Item = (Pid, &Process)> {
        self.live.iter().map(|(pid, t)| (*pid, &t.process))
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
        let Some((process, stat)) = open(self.root) else { return };
        self.seen += 1;
        events.push((self.root, EventKind::Spawn { parent: self.me, parent_tid: self.me, kind: CloneKind::Root }));
        self.take(self.root, process, stat, events, None);
    }

    /// Notes execs and ends of the processes already known.
    fn refresh(&mut self, events: &mut Vec<(Pid, EventKind)>) {
        let mut ended = Vec::new();
        for (&pid, tracked) in &mut self.live {
            let stat = match tracked.process.stat() {
                Ok(stat) if !exited(&stat) => stat,
                _ => {
                    ended.push(pid);
                    continue;
                }
            };
            tracked.threads = stat.num_threads;
            let (exe, argv) = image(&tracked.process);
            if exe != tracked.exe || argv != tracked.argv {
                events.push((pid, exec_event(&tracked.process, &exe, &argv)));
                tracked.exe = exe;
                tracked.argv = argv;
            }
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
        let lookup = Lookup::now(self.children_files);
        let mut parents: VecDeque<Pid> = self.live.keys().copied().collect();
        let my_threads = self.me_process.stat().map(|s| s.num_threads).unwrap_or(1);
        for pid in lookup.children_of(self.me, &self.me_process, my_threads) {
            if pid != self.root && !self.live.contains_key(&pid) && self.adopt(pid, self.me, events) {
                parents.push_back(pid);
            }
        }
        while let Some(parent) = parents.pop_front() {
            let Some(tracked) = self.live.get(&parent) else { continue };
            for pid in lookup.children_of(parent, &tracked.process, tracked.threads) {
                if !self.live.contains_key(&pid) && self.adopt(pid, parent, events) {
                    parents.push_back(pid);
                }
            }
        }
    }

    /// Takes in `pid`, a child of `parent`, unless it is one already seen to end or not of
    /// the tree. Returns true when it is live and its children are to be looked for.
    fn adopt(&mut self, pid: Pid, parent: Pid, events: &mut Vec<(Pid, EventKind)>) -> bool {
        let Some((process, stat)) = open(pid) else { return false };
        let identity = (pid, stat.starttime);
        if self.ended.contains(&identity) || (parent == self.me && self.foreign.contains(&identity)) {
            return false;
        }
        self.seen += 1;
        events.push((pid, EventKind::Spawn { parent, parent_tid: parent, kind: CloneKind::Unknown }));
        let parent_image = self.live.get(&parent).map(|t| (t.exe.clone(), t.argv.clone()));
        self.take(pid, process, stat, events, parent_image)
    }

    /// Starts tracking a newly seen process; reports its program unless it still runs its
    /// parent's (a fork that has not exec'd yet), or that it already ended.
    fn take(
        &mut self,
        pid: Pid,
        process: Process,
        stat: Stat,
        events: &mut Vec<(Pid, EventKind)>,
        parent_image: Option<(ByteString, Vec<ByteString>)>,
    ) -> bool {
        if exited(&stat) {
            self.ended.insert((pid, stat.starttime));
            if pid != self.root {
                events.push((pid, EventKind::Gone));
            }
            return false;
        }
        let (exe, argv) = image(&process);
        if parent_image.as_ref() != Some(&(exe.clone(), argv.clone())) {
            events.push((pid, exec_event(&process, &exe, &argv)));
        }
        let tracked = Tracked { process, start_time: stat.starttime, threads: stat.num_threads, exe, argv };
        self.live.insert(pid, tracked);
        true
    }
}

/// Opens a process and reads its stat; None when it is no longer there.
fn open(pid: Pid) -> Option<(Process, Stat)> {
    let process = Process::new(i32::try_from(pid).ok()?).ok()?;
    let stat = process.stat().ok()?;
    Some((process, stat))
}

/// A zombie ('Z') or dead ('X') process has exited; only its parent's wait is left.
fn exited(stat: &Stat) -> bool {
    matches!(stat.state, 'Z' | 'X')
}

/// The program a process runs: its executable and argv (empty when unreadable).
fn image(process: &Process) -> (ByteString, Vec<ByteString>) {
    let exe = process.exe().map(|p| ByteString(p.into_os_string().into_vec())).unwrap_or_default();
    let mut cmdline = Vec::new();
    let argv = match process.open_relative("cmdline").map(|mut f| f.read_to_end(&mut cmdline)) {
        Ok(Ok(_)) => split_cmdline(&cmdline),
        _ => Vec::new(),
    };
    (exe, argv)
}

fn exec_event(process: &Process, exe: &ByteString, argv: &[ByteString]) -> EventKind {
    let cwd = process.cwd().map(|p| ByteString(p.into_os_string().into_vec())).unwrap_or_default();
    EventKind::Exec { path: exe.clone(), argv: argv.to_vec(), cwd, former_tid: None, result: SyscallResult::Ok(0) }
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
        let expected: Vec<ByteString> =
            vec!["prog".into(), "".into(), "a b".into(), ByteString::from(&b"\xff"[..])];
        assert_eq!(argv, expected);
        assert!(split_cmdline(b"").is_empty());
    }
}
