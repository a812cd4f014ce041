//! The sockets of the tree: each process's socket descriptors (/proc/PID/fd), matched by
//! inode against its network namespace's tables, reported once per (process, socket, fact).
//!
//! Reading every descriptor's link of every process would be most of a poll's cost, so a
//! process is looked at only when something may have changed for it: when the namespace's
//! socket counts (/proc/PID/net/sockstat) moved, which every socket creation, TCP listen or
//! connect, and UDP bind does; when it holds sockets the tables could not settle yet
//! (unbound, bound but not listening...); or when it is new and its parent held sockets
//! (without new sockets, a child has only those it inherited). A socket handed in from
//! outside the tree (over a unix socket, or by pidfd_getfd) moves no count, and waits for
//! the next move to be seen.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::ffi::OsStrExt;

use runglass_model::{EventKind, Pid, SocketKind, SyscallResult};

use super::children::read_at_start;
use super::socket_verdict::{Report, Tables};

#[derive(Clone, Copy, Default)]
struct Holding {
    any: bool,
    /// Some the tables could not settle yet.
    unsettled: bool,
}

pub(super) struct Sockets {
    /// The root's /proc/PID/net/sockstat, held open (it stays readable after the root
    /// ends), and what it said last.
    sockstat: Option<File>,
    counts: Vec<u8>,
    buf: Vec<u8>,
    /// What is known of each process's sockets since it was last looked at.
    processes: HashMap<Pid, Holding>,
    reported: HashSet<(Pid, u64, Report)>,
    /// (process, inode) pairs the tables can tell nothing more about.
    settled: HashSet<(Pid, u64)>,
}

impl Sockets {
    pub fn new(root: Pid) -> Sockets {
        Sockets {
            sockstat: File::open(format!("/proc/{root}/net/sockstat")).ok(),
            counts: Vec::new(),
            buf: Vec::new(),
            processes: HashMap::new(),
            reported: HashSet::new(),
            settled: HashSet::new(),
        }
    }

    /// Looks at the sockets of the `live` processes (with their parents) and returns the
    /// new facts, in order. The tables are read only when some socket is not settled yet,
    /// from the first such process's namespace: the tree is assumed to share one (a process
    /// in another namespace has its sockets looked up in the wrong tables and found in none).
    pub fn poll(&mut self, live: &[(Pid, Pid)]) -> Vec<(Pid, EventKind)> {
        self.forget_all_but(live);
        let counts_moved = self.counts_moved();
        let mut open = Vec::new();
        for &(pid, parent) in live {
            let look = match self.processes.get(&pid) {
                Some(known) => counts_moved || known.unsettled,
                None => counts_moved || self.processes.get(&parent).is_none_or(|p| p.any),
            };
            if !look {
                self.processes.entry(pid).or_default();
                continue;
            }
            let inodes: Vec<u64> = socket_inodes(pid).collect();
            let unsettled: Vec<u64> = inodes.iter().copied().filter(|&i| !self.settled.contains(&(pid, i))).collect();
            self.processes.insert(pid, Holding { any: !inodes.is_empty(), unsettled: !unsettled.is_empty() });
            open.extend(unsettled.into_iter().map(|inode| (pid, inode)));
        }
        let Some(&(reader, _)) = open.first() else { return Vec::new() };
        let tables = Tables::read(reader);
        let mut facts = Vec::new();
        let mut still_open = HashSet::new();
        for (pid, inode) in open {
            let verdict = tables.verdict(inode);
            if verdict.settled {
                self.settled.insert((pid, inode));
            } else {
                still_open.insert(pid);
            }
            if let Some(report) = verdict.report
                && self.reported.insert((pid, inode, report.clone()))
            {
                facts.push((pid, event_kind(report)));
            }
        }
        for (pid, holding) in &mut self.processes {
            holding.unsettled &= still_open.contains(pid);
        }
        facts
    }

    /// True when the namespace's socket counts changed since the last look (or cannot be
    /// read, which must not hide anything).
    fn counts_moved(&mut self) -> bool {
        let Some(file) = &self.sockstat else { return true };
        match read_at_start(file, &mut self.buf) {
            Ok(counts) if counts == self.counts => false,
            Ok(counts) => {
                self.counts = counts.to_vec();
                true
            }
            Err(_) => true,
        }
    }

    /// Drops what is known of processes that ended, whose pids may come back as others.
    fn forget_all_but(&mut self, live: &[(Pid, Pid)]) {
        let live: HashSet<Pid> = live.iter().map(|&(pid, _)| pid).collect();
        self.processes.retain(|pid, _| live.contains(pid));
        self.reported.retain(|(pid, _, _)| live.contains(pid));
        self.settled.retain(|(pid, _)| live.contains(pid));
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
        // Connections come from the TCP table, and inet binds from the UDP table.
        Report::Connect(addr) => {
            EventKind::Connect { addr, result: SyscallResult::Unknown, socket: Some(SocketKind::Stream) }
        }
        Report::Listen(addr) => EventKind::Listen { addr: Some(addr), result: SyscallResult::Ok(0) },
        Report::Bind(addr) => {
            let socket = addr.port().map(|_| SocketKind::Datagram);
            EventKind::Bind { addr, result: SyscallResult::Ok(0), socket }
        }
        Report::Send(addr) => EventKind::Send { addr },
    }
}
