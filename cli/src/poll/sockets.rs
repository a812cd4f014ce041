//! The sockets of the tree: each process's socket descriptors (/proc/PID/fd), matched by
//! inode against its network namespace's tables, reported once per (process, socket, fact).

use std::collections::HashSet;

use procfs::process::{FDTarget, Process};
use runglass_model::{EventKind, Pid, SyscallResult};

use super::procnet::{Report, Tables};

#[derive(Default)]
pub(super) struct Sockets {
    reported: HashSet<(Pid, u64, Report)>,
    /// (process, inode) pairs the tables can tell nothing more about.
    settled: HashSet<(Pid, u64)>,
}

impl Sockets {
    /// Looks at the sockets of `processes` and returns the new facts, in order. The tables
    /// are read only when some socket is not settled yet, from the first such process's
    /// namespace: the tree is assumed to share one (a process in another namespace has its
    /// sockets looked up in the wrong tables and found in none).
    pub fn poll<'a>(&mut self, processes: impl Iterator<Item = (Pid, &'a Process)>) -> Vec<(Pid, EventKind)> {
        let mut open = Vec::new();
        let mut reader = None;
        for (pid, process) in processes {
            let Ok(fds) = process.fd() else { continue };
            for fd in fds.flatten() {
                if let FDTarget::Socket(inode) = fd.target
                    && !self.settled.contains(&(pid, inode))
                {
                    reader.get_or_insert(process);
                    open.push((pid, inode));
                }
            }
        }
        let Some(reader) = reader else { return Vec::new() };
        let tables = Tables::read(reader);
        let mut facts = Vec::new();
        for (pid, inode) in open {
            let verdict = tables.verdict(inode);
            if verdict.settled {
                self.settled.insert((pid, inode));
            }
            if let Some(report) = verdict.report
                && self.reported.insert((pid, inode, report.clone()))
            {
                facts.push((pid, event_kind(report)));
            }
        }
        facts
    }

    /// Forgets an ended process, whose pid may come back as another one.
    pub fn forget(&mut self, pid: Pid) {
        self.reported.retain(|(p, _, _)| *p != pid);
        self.settled.retain(|(p, _)| *p != pid);
    }
}

fn event_kind(report: Report) -> EventKind {
    match report {
        // Polling sees the connection, not the call, so its result is not known.
        Report::Connect(addr) => EventKind::Connect { addr, result: SyscallResult::Unknown },
        Report::Listen(addr) => EventKind::Listen { addr: Some(addr), result: SyscallResult::Ok(0) },
        Report::Bind(addr) => EventKind::Bind { addr, result: SyscallResult::Ok(0) },
        Report::Send(addr) => EventKind::Send { addr },
    }
}
