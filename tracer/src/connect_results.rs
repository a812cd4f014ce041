//! The late results of non-blocking connects, as the engine learns them.
//!
//! A connect that returns EINPROGRESS is watched: a copy of its socket goes to the
//! [`SocketPoller`], which reports when it connected or failed. When it failed, the error
//! is the one the process itself reads with getsockopt(SO_ERROR) (the filter stops those
//! calls, and the engine waits for their exit only for a descriptor watched here). When the
//! process exits, or closes the socket, the connect is settled: its state then, the error
//! read from the copy when no process of the tree can ask for it any more, or "pending".
//! Each yields one `connect_result` event, which the engine emits on its own thread like
//! every other event; nothing here ever waits for the poller, except [`ConnectResults::finish`]
//! at the end of tracing.

use std::collections::HashMap;
use std::fs::File;
use std::time::Instant;

use runglass_model::{Errno, SockAddr, SyscallResult};

use crate::socket_poller::{Order, Report, Settled, SocketPoller, WatchId};
use crate::sys::{self, Tid};

/// At most this many sockets are watched at once (each is a descriptor of runglass's); a
/// connect beyond that keeps no result.
pub const MAX_WATCHED: usize = 256;

/// A connect's result, learnt: the event to emit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learnt {
    pub pid: Tid,
    pub tid: Tid,
    pub addr: SockAddr,
    pub result: SyscallResult,
    pub at: Instant,
}

/// A watched connect whose result is not known yet.
struct Open {
    pid: Tid,
    tid: Tid,
    fd: i32,
    addr: SockAddr,
    /// The process made a child process since: the socket may be shared with it.
    shared: bool,
    /// Asked to settle: its report is awaited, and its descriptor means nothing any more.
    settling: bool,
}

#[derive(Default)]
pub struct ConnectResults {
    open: HashMap<WatchId, Open>,
    by_fd: HashMap<(Tid, i32), WatchId>,
    /// Started at the first connect in progress.
    poller: Option<SocketPoller>,
    next: WatchId,
}

impl ConnectResults {
    /// Nothing watched and nothing to report: the common case, checked at every stop.
    pub fn idle(&self) -> bool {
        self.open.is_empty()
    }

    /// Starts watching descriptor `fd` of process `pid`, whose connect to `addr` (made by
    /// thread `tid`) just returned EINPROGRESS, while the caller is still stopped.
    pub fn watch(&mut self, pid: Tid, tid: Tid, fd: i32, addr: SockAddr) {
        if let Some(old) = self.by_fd.remove(&(pid, fd)) {
            // A new attempt at the same descriptor: the old socket was closed, or is this one
            // again (its error then belongs to this attempt: it is not taken).
            self.settle(old, false);
        }
        if self.open.len() >= MAX_WATCHED {
            return;
        }
        let Ok(copy) = sys::socket_of(pid, fd) else { return };
        if self.poller.is_none() {
            match SocketPoller::start() {
                Ok(poller) => self.poller = Some(poller),
                Err(_) => return,
            }
        }
        let id = self.next;
        self.next += 1;
        self.open.insert(id, Open { pid, tid, fd, addr, shared: false, settling: false });
        self.by_fd.insert((pid, fd), id);
        self.order(Order::Watch { id, pid, fd, socket: File::from(copy) });
    }

    /// Whether getsockopt(`fd`, SOL_SOCKET, SO_ERROR) by process `pid` may be the result
    /// of a watched connect (its exit is then worth waiting for).
    pub fn awaits(&self, pid: Tid, fd: i32) -> bool {
        !self.by_fd.is_empty() && self.by_fd.contains_key(&(pid, fd))
    }

    /// Process `pid` read `error` with getsockopt(`fd`, SOL_SOCKET, SO_ERROR). Zero says
    /// nothing (connected, or still connecting: the poller tells which).
    pub fn so_error(&mut self, pid: Tid, fd: i32, error: i32) -> Option<Learnt> {
        if error == 0 {
            return None;
        }
        let id = self.by_fd.remove(&(pid, fd))?;
        let open = self.open.remove(&id)?;
        self.order(Order::Forget(id));
        Some(Learnt {
            pid,
            tid: open.tid,
            addr: open.addr,
            result: SyscallResult::Err(Errno(error)),
            at: Instant::now(),
        })
    }

    /// Process `pid` made a child process, which shares its sockets.
    pub fn forked(&mut self, pid: Tid) {
        for open in self.open.values_mut().filter(|o| o.pid == pid) {
            open.shared = true;
        }
    }

    /// Process `pid` ended: each of its connects is settled as it stands.
    pub fn exited(&mut self, pid: Tid) {
        let ids: Vec<WatchId> =
            self.open.iter().filter(|(_, o)| o.pid == pid && !o.settling).map(|(id, _)| *id).collect();
        for id in ids {
            // Nobody else holds the socket unless a child inherited it (or it was passed
            // on, which is rare enough to be a stated limit): its error is ours to read.
            let may_take_error = self.open.get(&id).is_some_and(|o| !o.shared);
            self.settle(id, may_take_error);
        }
    }

    /// The results the poller has reported since the last call.
    pub fn learnt(&mut self) -> Vec<Learnt> {
        let mut learnt = Vec::new();
        while let Some(report) = self.poller.as_ref().and_then(SocketPoller::report) {
            self.take(report, &mut learnt);
        }
        learnt
    }

    /// Tracing ends: every connect still watched is settled (its process still runs, or
    /// is now another tracer's), the poller stops, and every result not yet taken is
    /// returned.
    pub fn finish(&mut self) -> Vec<Learnt> {
        let ids: Vec<WatchId> = self.open.iter().filter(|(_, o)| !o.settling).map(|(id, _)| *id).collect();
        for id in ids {
            // Its process may still read the error: it is not taken from it.
            self.settle(id, false);
        }
        let reports = self.poller.take().map(SocketPoller::stop).unwrap_or_default();
        let mut learnt = Vec::new();
        for report in reports {
            self.take(report, &mut learnt);
        }
        // A copy the poller closed without a word (it could not be polled) has no result.
        self.open.clear();
        self.by_fd.clear();
        learnt
    }

    /// Asks the poller how connect `id` stands and to close its copy. `may_take_error`:
    /// no process of the tree can read the socket's error any more.
    fn settle(&mut self, id: WatchId, may_take_error: bool) {
        let Some(open) = self.open.get_mut(&id) else { return };
        if open.settling {
            return;
        }
        open.settling = true;
        if self.by_fd.get(&(open.pid, open.fd)) == Some(&id) {
            self.by_fd.remove(&(open.pid, open.fd));
        }
        self.order(Order::Settle { id, may_take_error });
    }

    fn take(&mut self, report: Report, learnt: &mut Vec<Learnt>) {
        let (id, at, result) = match report {
            Report::Connected { id, at } => (id, at, SyscallResult::Ok(0)),
            // The error is the process's to read first; its getsockopt will say.
            Report::Failed { .. } => return,
            // Closed at that descriptor, but maybe held at another (dup2 onto stdout): the
            // error stays the process's.
            Report::Closed { id } => return self.settle(id, false),
            Report::Settled { id, at, state } => match state {
                Settled::Connected => (id, at, SyscallResult::Ok(0)),
                Settled::Failed(Some(error)) => (id, at, SyscallResult::Err(Errno(error))),
                // It failed and its error is not known: no result is better than a made-up one.
                Settled::Failed(None) => {
                    self.forget(id);
                    return;
                }
                Settled::Pending => (id, at, SyscallResult::Unknown),
            },
        };
        if let Some(open) = self.forget(id) {
            learnt.push(Learnt { pid: open.pid, tid: open.tid, addr: open.addr, result, at });
        }
    }

    fn forget(&mut self, id: WatchId) -> Option<Open> {
        let open = self.open.remove(&id)?;
        if self.by_fd.get(&(open.pid, open.fd)) == Some(&id) {
            self.by_fd.remove(&(open.pid, open.fd));
        }
        Some(open)
    }

    fn order(&self, order: Order) {
        if let Some(poller) = &self.poller {
            poller.order(order);
        }
    }
}
