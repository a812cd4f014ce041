//! A one-shot stop signal that a thread can poll() beside the fds it serves.
//!
//! It is a pipe whose write end gets closed: the read end then stays readable for good,
//! so the thread sees the signal however late it looks, and dropping the sender on any
//! path (an early return, a panic) is the signal too.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::fcntl::OFlag;

pub struct StopSender {
    _write_end: OwnedFd,
}

pub struct StopReceiver {
    read_end: OwnedFd,
}

pub fn channel() -> io::Result<(StopSender, StopReceiver)> {
    let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    Ok((StopSender { _write_end: write_end }, StopReceiver { read_end }))
}

impl StopSender {
    pub fn stop(self) {}
}

impl AsFd for StopReceiver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read_end.as_fd()
    }
}
