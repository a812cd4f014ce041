//! The sockets of the tree: each process's socket descriptors (/proc/PID/fd), matched by
//! inode against its network namespace's tables, reported once per (process, socket, fact).

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;

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
    pub fn poll(&mut self, processes: impl Iterator<Item = Pid>) -> Vec<(Pid, EventKind)> {
        let mut open = Vec::new();
        for pid in processes {
            open.extend(socket_inodes(pid).filter(|&inode| !self.settled.contains(&(pid, inode))).map(|i| (pid, i)));
        }
        let Some(&(reader, _)) = open.first() else { return Vec::new() };
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

/// The inodes of the sockets `pid` holds: its /proc/PID/fd links that read `socket:[N]`.
fn socket_inodes(pid: Pid) -> impl Iterator<Item = u64> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).into_iter().flatten().flatten();
    fds.filter_map(|fd| socket_inode(std::fs::read_link(fd.path()).ok()?.as_os_str().as_bytes()))
}

/// `socket:[12345]` → 12345.
fn socket_inode(link: &[u8]) -> Option<u64> {
    let inner = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(inner).ok()?.parse().ok()
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
