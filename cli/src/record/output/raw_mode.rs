//! Raw mode on the user's terminal while the command has a pty of its own: every key
//! goes to the command untouched (^C included: the command's own terminal turns it into
//! its SIGINT), and the settings come back whatever happens.

use std::io;
use std::os::fd::OwnedFd;

use rustix::termios::{OptionalActions, Termios, isatty, tcgetattr, tcsetattr};

pub struct RawMode {
    terminal: OwnedFd,
    /// The settings to put back; None once they were.
    saved: Option<Termios>,
}

impl RawMode {
    /// Puts `terminal` in raw mode; None when it is not a terminal.
    pub fn enter(terminal: OwnedFd) -> io::Result<Option<RawMode>> {
        if !isatty(&terminal) {
            return Ok(None);
        }
        let saved = tcgetattr(&terminal)?;
        let mut raw = saved.clone();
        raw.make_raw();
        // Drain, not Flush: keys typed ahead of the command are its input, not noise.
        tcsetattr(&terminal, OptionalActions::Drain, &raw)?;
        Ok(Some(RawMode { terminal, saved: Some(saved) }))
    }

    pub fn restore(mut self) -> io::Result<()> {
        self.put_back()
    }

    fn put_back(&mut self) -> io::Result<()> {
        match self.saved.take() {
            Some(saved) => Ok(tcsetattr(&self.terminal, OptionalActions::Drain, &saved)?),
            None => Ok(()),
        }
    }
}

/// A terminal must never be left raw: on an early return or a panic, this is the restore.
impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = self.put_back();
    }
}
