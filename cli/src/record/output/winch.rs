//! Keeping the command's pty as large as the user's terminal: on SIGWINCH, copy the
//! terminal's window size to the pty (whose kernel then signals the command).

use std::os::fd::OwnedFd;
use std::thread::JoinHandle;

use signal_hook::consts::SIGWINCH;
use signal_hook::iterator::{Handle, Signals};

use super::pty;

pub struct WinchForwarder {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl WinchForwarder {
    /// Copies the size once now (it may have changed since the pty was opened), then on
    /// every SIGWINCH until dropped.
    pub fn start(terminal: OwnedFd, master: OwnedFd) -> std::io::Result<WinchForwarder> {
        let mut signals = Signals::new([SIGWINCH])?;
        let handle = signals.handle();
        pty::copy_window_size(&terminal, &master);
        let thread = std::thread::Builder::new().name("output-winch".into()).spawn(move || {
            for _ in signals.forever() {
                pty::copy_window_size(&terminal, &master);
            }
        })?;
        Ok(WinchForwarder { handle, thread: Some(thread) })
    }
}

impl Drop for WinchForwarder {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
