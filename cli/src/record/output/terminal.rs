//! The user's terminal joined to the command's pty while the command runs: raw mode,
//! keys passed through, window size kept in step.

use std::os::fd::OwnedFd;

use anyhow::Context;

use super::raw_mode::RawMode;
use super::stdin_pump::StdinPump;
use super::winch::WinchForwarder;

pub struct Terminal {
    // Field order is drop order: no key is read once the command is done, and only
    // then do the terminal's settings come back.
    stdin_pump: Option<StdinPump>,
    winch: Option<WinchForwarder>,
    raw_mode: Option<RawMode>,
    /// The command's pty (non-blocking).
    master: OwnedFd,
    /// The user's keyboard and screen: runglass's stdin and stdout.
    input: OwnedFd,
    output: OwnedFd,
}

impl Terminal {
    pub fn new(master: OwnedFd, input: OwnedFd, output: OwnedFd) -> Terminal {
        Terminal { stdin_pump: None, winch: None, raw_mode: None, master, input, output }
    }

    /// Puts the user's terminal in raw mode and starts passing keys and window sizes to
    /// the pty. Once only: later calls do nothing.
    pub fn connect(&mut self) -> anyhow::Result<()> {
        if self.stdin_pump.is_some() {
            return Ok(());
        }
        let dup = |fd: &OwnedFd| fd.try_clone().context("duplicating a terminal fd");
        self.raw_mode = RawMode::enter(dup(&self.input)?).context("putting the terminal in raw mode")?;
        self.winch =
            Some(WinchForwarder::start(dup(&self.output)?, dup(&self.master)?).context("watching the window size")?);
        self.stdin_pump =
            Some(StdinPump::start(dup(&self.input)?, dup(&self.master)?).context("starting the stdin thread")?);
        Ok(())
    }

    /// Stops reading the user's keys and following the window size. The terminal stays
    /// raw: what the command wrote last is still to be shown.
    pub fn stop_input(&mut self) {
        self.stdin_pump = None;
        self.winch = None;
    }

    /// Gives the user's terminal its settings back.
    pub fn restore(mut self) -> anyhow::Result<()> {
        self.stop_input();
        match self.raw_mode.take() {
            Some(raw) => raw.restore().context("restoring the terminal's settings"),
            None => Ok(()),
        }
    }
}
