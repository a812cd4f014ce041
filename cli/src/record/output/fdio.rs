//! Reads, writes and waits on raw fds that may be non-blocking.
//!
//! The output threads share fds with the command's terminal and must be stoppable at
//! any moment, so they wait in poll() (beside a stop signal) rather than in read() or
//! write().

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// What one read brought.
pub enum Chunk {
    Data(usize),
    /// End of the stream. A pty's master reports EIO once every holder of the follower
    /// side has closed it: that is its end of file.
    End,
    /// Nothing to read right now (a non-blocking fd, or a signal interrupted the read).
    Again,
}

pub fn read_chunk(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Chunk> {
    match nix::unistd::read(fd, buf) {
        Ok(0) | Err(Errno::EIO) => Ok(Chunk::End),
        Ok(n) => Ok(Chunk::Data(n)),
        Err(Errno::EAGAIN | Errno::EINTR) => Ok(Chunk::Again),
        Err(e) => Err(e.into()),
    }
}

/// Writes all of `buf`, waiting for room when `fd` is non-blocking. Returns false when
/// `stop` fired before everything was written.
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8], stop: Option<BorrowedFd<'_>>) -> io::Result<bool> {
    while !buf.is_empty() {
        match nix::unistd::write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => {
                let ready = wait(fd, PollFlags::POLLOUT, stop, None)?;
                if ready.stop {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// Which of the fds given to [`wait`] are ready. Both may be false: the wait timed out
/// or a signal interrupted it.
pub struct Ready {
    pub fd: bool,
    pub stop: bool,
}

/// Waits until `fd` is ready for `events` (or hung up), `stop` is readable, or the
/// `deadline` passes (None: no deadline).
pub fn wait(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    stop: Option<BorrowedFd<'_>>,
    deadline: Option<Instant>,
) -> io::Result<Ready> {
    let timeout = match deadline {
        None => PollTimeout::NONE,
        // Rounded up: a poll that wakes a little early would only spin.
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now()) + Duration::from_micros(999);
            PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)
        }
    };
    let mut fds = vec![PollFd::new(fd, events)];
    if let Some(stop) = stop {
        fds.push(PollFd::new(stop, PollFlags::POLLIN));
    }
    match poll(&mut fds, timeout) {
        Ok(_) | Err(Errno::EINTR) => {}
        Err(e) => return Err(e.into()),
    }
    let is_ready = |p: &PollFd<'_>| p.revents().is_some_and(|r| !r.is_empty());
    Ok(Ready { fd: is_ready(&fds[0]), stop: fds.get(1).is_some_and(is_ready) })
}

pub fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    let flags = OFlag::from_bits_retain(fcntl(fd.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}
