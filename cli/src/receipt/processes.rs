//! The process tree, folded from events: who ran what, when, and how it ended.

use std::collections::HashMap;

use runglass_model::receipt::{ExecRecord, Process, Source};
use runglass_model::{ByteString, CloneKind, Event, EventKind, Pid, SyscallResult};

use super::ms;

/// Who acted: a process entry and the program it was running at that moment, which is how
/// file actors and network rows refer to processes (never by copying argv).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Who {
    pub pid: Pid,
    /// The index of its entry in the receipt's `processes`.
    pub process: u32,
    /// The index of that entry's exec it was running (None: none yet).
    pub exec: Option<u32>,
}

/// Builds the receipt's process list one event at a time.
pub struct ProcessTable {
    processes: Vec<Process>,
    /// The live entry of each pid (a pid reused within one run gets a new entry).
    by_pid: HashMap<Pid, usize>,
    source: Source,
}

impl ProcessTable {
    pub fn new(source: Source) -> Self {
        ProcessTable { processes: Vec::new(), by_pid: HashMap::new(), source }
    }

    pub fn observe(&mut self, event: &Event) {
        let at = ms(event.time_ns);
        match &event.kind {
            EventKind::Spawn { kind: CloneKind::Thread, .. } => {}
            EventKind::Spawn { parent, kind, .. } => {
                let parent_index = self.by_pid.get(parent).copied().filter(|_| *kind != CloneKind::Root);
                let mut child = first_seen(event.pid, at, self.source);
                if let Some(i) = parent_index {
                    let p = &self.processes[i];
                    child.parent = Some(*parent);
                    child.parent_process = Some(i as u32);
                    child.parent_exec = p.execs.len().checked_sub(1).map(|e| e as u32);
                    (child.argv, child.exe, child.cwd) = (p.argv.clone(), p.exe.clone(), p.cwd.clone());
                }
                self.by_pid.insert(event.pid, self.processes.len());
                self.processes.push(child);
            }
            EventKind::Exec { path, argv, cwd, result, .. } => {
                if matches!(result, SyscallResult::Err(_)) {
                    return;
                }
                let p = self.entry(event.pid, at);
                p.execs.push(ExecRecord { path: path.clone(), argv: argv.clone(), at_ms: at });
                p.argv = argv.clone();
                p.exe = Some(path.clone());
                if !cwd.is_empty() {
                    p.cwd = Some(cwd.clone());
                }
            }
            // A thread's exit carries its own tid; only the process's end counts.
            EventKind::Exit { status } if event.pid == event.tid => {
                let p = self.entry(event.pid, at);
                p.exit = Some(*status);
                p.ended_ms = Some(at);
            }
            EventKind::Gone => {
                let p = self.entry(event.pid, at);
                p.ended_ms.get_or_insert(at);
            }
            EventKind::HandedOff { .. } => self.entry(event.pid, at).outlived_command = true,
            _ => {}
        }
    }

    /// The entry for a pid, made on first sight when its spawn was not seen (a process
    /// adopted by the background tracer, or one polling found late).
    fn entry(&mut self, pid: Pid, at: u64) -> &mut Process {
        let i = *self.by_pid.entry(pid).or_insert_with(|| {
            self.processes.push(first_seen(pid, at, self.source));
            self.processes.len() - 1
        });
        &mut self.processes[i]
    }

    /// The argv a pid had at the moment of the latest event (for timeline lines).
    pub fn argv_of(&self, pid: Pid) -> Vec<ByteString> {
        self.by_pid.get(&pid).map(|&i| self.processes[i].argv.clone()).unwrap_or_default()
    }

    /// The entry of `pid` and the program it runs now, as of the latest event; an entry is
    /// made for a pid met first by one of its actions.
    pub fn who(&mut self, pid: Pid, at: u64) -> Who {
        let p = self.entry(pid, at);
        let exec = p.execs.len().checked_sub(1).map(|e| e as u32);
        let process = self.by_pid[&pid] as u32;
        Who { pid, process, exec }
    }

    /// Marks processes whose end was never seen as having outlived the command, when the
    /// observer saw the command to its end (`saw_the_end`). In a run recovered from the
    /// log of a runglass that was killed, an unseen end is only that: not seen.
    pub fn finish(mut self, saw_the_end: bool) -> Vec<Process> {
        if saw_the_end {
            for p in &mut self.processes {
                if p.ended_ms.is_none() {
                    p.outlived_command = true;
                }
            }
        }
        self.processes
    }
}

/// A process as known from its first sighting alone.
fn first_seen(pid: Pid, at: u64, seen_by: Source) -> Process {
    Process {
        pid,
        parent: None,
        parent_process: None,
        parent_exec: None,
        argv: Vec::new(),
        exe: None,
        cwd: None,
        execs: Vec::new(),
        started_ms: Some(at),
        ended_ms: None,
        exit: None,
        outlived_command: false,
        seen_by,
    }
}
