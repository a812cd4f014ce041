//! The thread that sees how non-blocking connects end, without stopping anyone.
//!
//! It holds a copy of each socket whose connect returned EINPROGRESS (taken with
//! pidfd_getfd at the connect's exit) and polls the copies for writability, which is how
//! the kernel says a connect finished: writable alone means connected, an error or a
//! hang-up means it failed. poll(2) only looks; it changes nothing the process sees.
//! Which error a connect failed with is another matter: `SO_ERROR` hands it out once and
//! clears it for every holder, and the process needs it (curl reads it to tell "refused"
//! from "connected"). So the error is learnt from the process's own getsockopt (the engine
//! stops it), and this thread reads `SO_ERROR` only when told that no process of the tree
//! will ask the socket any more.
//!
//! A copy keeps its socket open after the process closes it (the peer would not see the
//! close), so each copy is closed as soon as its connect is over, or the engine says so
//! (the process exited or read the result), or this thread finds the process no longer
//! holds the socket at that descriptor (checked every [`CLOSE_CHECK`] while copies are
//! held). The engine never waits for this thread: orders and reports cross channels, and
//! a datagram wakes it from poll(2).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use crate::sys::{self, Tid};

/// How often the thread checks that the processes still hold the sockets it watches.
pub const CLOSE_CHECK: Duration = Duration::from_millis(250);

/// Names one watched socket between the engine and the thread.
pub type WatchId = u64;

/// What the engine tells the thread.
#[derive(Debug)]
pub enum Order {
    /// Watch this copy of descriptor `fd` of process `pid`.
    Watch { id: WatchId, pid: Tid, fd: i32, socket: File },
    /// The engine learnt the result (the process read it): close the copy.
    Forget(WatchId),
    /// Report how the connect stands now, and close the copy. `may_take_error`: no process
    /// of the tree will ask this socket for its error any more, so it may be read here.
    Settle { id: WatchId, may_take_error: bool },
}

/// What the thread tells the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// It connected (writable, no error); the copy is closed.
    Connected { id: WatchId, at: Instant },
    /// It failed; the copy is kept until the error is learnt or the socket is settled.
    Failed { id: WatchId },
    /// The process no longer holds the socket at its descriptor (it closed it).
    Closed { id: WatchId },
    /// How it stood when it was settled; the copy is closed.
    Settled { id: WatchId, at: Instant, state: Settled },
}

/// A connect's state when it is settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    Connected,
    /// Failed, with its error when it could be read (None: not readable, or already taken
    /// by the process through a call the engine does not stop).
    Failed(Option<i32>),
    /// Still connecting.
    Pending,
}

/// The engine's handle on the thread.
pub struct SocketPoller {
    orders: Option<Sender<Order>>,
    reports: Receiver<Report>,
    wake: UnixDatagram,
    thread: Option<JoinHandle<()>>,
}

impl SocketPoller {
    pub fn start() -> std::io::Result<SocketPoller> {
        let (wake, woken) = UnixDatagram::pair()?;
        wake.set_nonblocking(true)?;
        woken.set_nonblocking(true)?;
        let (orders, inbox) = crossbeam_channel::unbounded();
        let (outbox, reports) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new().name("connect-results".into()).spawn(move || {
            Watcher { held: Vec::new(), reports: outbox, last_check: Instant::now() }.serve(&inbox, &woken)
        })?;
        Ok(SocketPoller { orders: Some(orders), reports, wake, thread: Some(thread) })
    }

    /// Hands the thread an order and wakes it; never blocks.
    pub fn order(&self, order: Order) {
        if let Some(orders) = &self.orders {
            let _ = orders.send(order);
        }
        // A full buffer means a wake-up is pending already.
        let _ = self.wake.send(&[1]);
    }

    /// The next report, if one has come.
    pub fn report(&self) -> Option<Report> {
        self.reports.try_recv().ok()
    }

    /// Lets the thread carry out the orders given so far, waits for it to end (it closes
    /// whatever it still holds), and returns the reports not yet taken.
    pub fn stop(mut self) -> Vec<Report> {
        self.end();
        self.reports.try_iter().collect()
    }

    fn end(&mut self) {
        drop(self.orders.take());
        let _ = self.wake.send(&[1]);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SocketPoller {
    fn drop(&mut self) {
        self.end();
    }
}

/// A socket the thread holds a copy of.
struct Held {
    id: WatchId,
    pid: Tid,
    fd: i32,
    socket: File,
    /// The socket's inode, to tell it from another file at the same descriptor later.
    inode: (u64, u64),
    /// Its connect failed (reported): no longer polled.
    failed: bool,
    /// Reported closed by its process: not checked again.
    closed: bool,
}

struct Watcher {
    held: Vec<Held>,
    reports: Sender<Report>,
    last_check: Instant,
}

impl Watcher {
    fn serve(mut self, inbox: &Receiver<Order>, woken: &UnixDatagram) {
        loop {
            let polled: Vec<usize> = (0..self.held.len()).filter(|&i| !self.held[i].failed).collect();
            let mut fds = Vec::with_capacity(polled.len() + 1);
            fds.push(libc::pollfd { fd: woken.as_raw_fd(), events: libc::POLLIN, revents: 0 });
            fds.extend(polled.iter().map(|&i| libc::pollfd {
                fd: self.held[i].socket.as_raw_fd(),
                events: libc::POLLOUT,
                revents: 0,
            }));
            let timeout = if self.held.is_empty() { -1 } else { CLOSE_CHECK.as_millis() as i32 };
            if sys::poll(&mut fds, timeout).is_err() {
                // Never spin on a poll that keeps failing (EINVAL, ENOMEM).
                std::thread::sleep(CLOSE_CHECK);
            }
            if fds[0].revents != 0 {
                let mut byte = [0u8; 64];
                while woken.recv(&mut byte).is_ok_and(|n| n > 0) {}
            }
            self.take_results(&polled, &fds[1..]);
            loop {
                match inbox.try_recv() {
                    Ok(order) => self.obey(order),
                    Err(TryRecvError::Empty) => break,
                    // The engine is gone: the copies close as `held` drops.
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            if !self.held.is_empty() && self.last_check.elapsed() >= CLOSE_CHECK {
                self.check_closed();
            }
        }
    }

    /// Reports the connects that poll says have ended.
    fn take_results(&mut self, polled: &[usize], fds: &[libc::pollfd]) {
        let at = Instant::now();
        let mut connected = Vec::new();
        for (&i, fd) in polled.iter().zip(fds) {
            let held = &mut self.held[i];
            if fd.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                held.failed = true;
                let _ = self.reports.send(Report::Failed { id: held.id });
            } else if fd.revents & libc::POLLOUT != 0 {
                connected.push(held.id);
                let _ = self.reports.send(Report::Connected { id: held.id, at });
            }
        }
        self.held.retain(|h| !connected.contains(&h.id));
    }

    fn obey(&mut self, order: Order) {
        match order {
            Order::Watch { id, pid, fd, socket } => {
                let inode = socket.metadata().map(|m| (m.dev(), m.ino())).unwrap_or_default();
                self.held.push(Held { id, pid, fd, socket, inode, failed: false, closed: false });
            }
            Order::Forget(id) => self.held.retain(|h| h.id != id),
            Order::Settle { id, may_take_error } => {
                let Some(i) = self.held.iter().position(|h| h.id == id) else { return };
                let held = self.held.swap_remove(i);
                let state = settle(&held.socket, may_take_error);
                let _ = self.reports.send(Report::Settled { id, at: Instant::now(), state });
            }
        }
    }

    /// Reports each socket whose process no longer has it at its descriptor.
    fn check_closed(&mut self) {
        self.last_check = Instant::now();
        for held in self.held.iter_mut().filter(|h| !h.closed) {
            let now = std::fs::metadata(format!("/proc/{}/fd/{}", held.pid, held.fd)).map(|m| (m.dev(), m.ino()));
            if now.ok() != Some(held.inode) {
                held.closed = true;
                let _ = self.reports.send(Report::Closed { id: held.id });
            }
        }
    }
}

/// How a connect stands, from a look at its socket now.
fn settle(socket: &File, may_take_error: bool) -> Settled {
    let mut fds = [libc::pollfd { fd: socket.as_raw_fd(), events: libc::POLLOUT, revents: 0 }];
    let revents = match sys::poll(&mut fds, 0) {
        Ok(_) => fds[0].revents,
        Err(_) => return Settled::Failed(None),
    };
    if revents & libc::POLLERR != 0 {
        let error = may_take_error.then(|| sys::take_socket_error(socket).ok()).flatten().filter(|&e| e != 0);
        Settled::Failed(error)
    } else if revents & libc::POLLHUP != 0 {
        // Closed, and its error already taken by the process.
        Settled::Failed(None)
    } else if revents & libc::POLLOUT != 0 {
        Settled::Connected
    } else {
        Settled::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::os::fd::OwnedFd;

    /// Waits up to 5 s for the poller's next report.
    fn next(poller: &SocketPoller) -> Option<Report> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(report) = poller.report() {
                return Some(report);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    #[test]
    fn a_socket_its_process_closed_is_reported_and_settled_as_pending() {
        // A listening socket never becomes writable: like a connect that never ends.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = listener.as_raw_fd();
        let copy = File::from(OwnedFd::from(listener.try_clone().unwrap()));
        let poller = SocketPoller::start().unwrap();
        poller.order(Order::Watch { id: 7, pid: std::process::id() as Tid, fd, socket: copy });
        std::thread::sleep(CLOSE_CHECK / 2);
        assert_eq!(poller.report(), None, "nothing happened yet");
        let closed_at = Instant::now();
        drop(listener);
        assert_eq!(next(&poller), Some(Report::Closed { id: 7 }));
        assert!(closed_at.elapsed() < CLOSE_CHECK * 3, "{:?}", closed_at.elapsed());
        poller.order(Order::Settle { id: 7, may_take_error: true });
        assert!(matches!(next(&poller), Some(Report::Settled { id: 7, state: Settled::Pending, .. })));
        assert_eq!(poller.stop(), Vec::new());
    }

    #[test]
    fn a_writable_socket_is_reported_connected_at_once() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let fd = socket.as_raw_fd();
        let poller = SocketPoller::start().unwrap();
        let copy = File::from(OwnedFd::from(socket.try_clone().unwrap()));
        poller.order(Order::Watch { id: 1, pid: std::process::id() as Tid, fd, socket: copy });
        assert!(matches!(next(&poller), Some(Report::Connected { id: 1, .. })));
        // Settling what is no longer held says nothing.
        poller.order(Order::Settle { id: 1, may_take_error: false });
        assert_eq!(poller.stop(), Vec::new());
    }
}
