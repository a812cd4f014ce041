//! Passing the user's keys to the command's pty while the command runs.
//!
//! The thread waits in poll() beside a stop signal, never in read(): a thread left
//! blocked in read(0) after the command would swallow the next key meant for the
//! user's shell.

use std::os::fd::{AsFd, OwnedFd};
use std::thread::JoinHandle;

use nix::poll::PollFlags;

use super::fdio::{self, Chunk};
use super::stop::{self, StopReceiver, StopSender};

pub struct StdinPump {
    stop: Option<StopSender>,
    thread: Option<JoinHandle<()>>,
}

impl StdinPump {
    /// Copies `input` to `master` (non-blocking) until dropped, or until `input` ends
    /// or fails.
    pub fn start(input: OwnedFd, master: OwnedFd) -> std::io::Result<StdinPump> {
        let (stop, stopped) = stop::channel()?;
        let thread =
            std::thread::Builder::new().name("output-stdin".into()).spawn(move || pump(input, master, stopped))?;
        Ok(StdinPump { stop: Some(stop), thread: Some(thread) })
    }
}

/// Returns once the thread is gone, so that nothing reads the user's stdin any more.
impl Drop for StdinPump {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn pump(input: OwnedFd, master: OwnedFd, stopped: StopReceiver) {
    let mut buf = [0u8; 4096];
    loop {
        let Ok(ready) = fdio::wait(input.as_fd(), PollFlags::POLLIN, Some(stopped.as_fd()), None) else { return };
        if ready.stop {
            return;
        }
        if !ready.fd {
            continue;
        }
        // poll() said readable and nothing else reads this terminal while the command
        // runs in raw mode (background jobs would be stopped by SIGTTIN), so this read
        // returns at once.
        match fdio::read_chunk(input.as_fd(), &mut buf) {
            Ok(Chunk::Data(n)) => match fdio::write_all(master.as_fd(), &buf[..n], Some(stopped.as_fd())) {
                Ok(true) => {}
                Ok(false) | Err(_) => return,
            },
            Ok(Chunk::Again) => {}
            Ok(Chunk::End) | Err(_) => return,
        }
    }
}
