//! Capturing the command's output: shown live to the user and stored in the receipt at
//! the same time.
//!
//! With pipes, the command's stdout and stderr are two pipes, each copied to runglass's
//! own stdout or stderr and to the receipt's `stdout` or `stderr` file; stdin is
//! inherited. In a terminal, the command gets a pseudo-terminal of its own, so that
//! colours, prompts and full-screen programs work as they would without runglass: what
//! it shows is copied to runglass's stdout and to `transcript`, keys go from runglass's
//! stdin to it (the user's terminal in raw mode meanwhile), and its window size follows
//! the user's. runglass's own logs go to its stderr, never into the capture.

mod copier;
pub mod excerpt;
mod fdio;
mod pty;
mod raw_mode;
mod stdin_pump;
mod stop;
mod terminal;
mod winch;

#[cfg(test)]
mod tests;

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use nix::fcntl::OFlag;
use runglass_model::receipt::{CaptureMode, Output};

use copier::Copier;
use terminal::Terminal;

pub struct CaptureOptions {
    /// The receipt directory: the output files are created in it.
    pub dir: PathBuf,
    /// Give the command a pty (see [`want_pty`]) rather than pipes.
    pub pty: bool,
}

/// Whether the command should get a pty: when runglass's stdin and stdout are both
/// terminals, unless `RUNGLASS_NO_PTY` is set (to anything but empty or `0`), which keeps
/// the command's stdout and stderr apart in a terminal too.
pub fn want_pty() -> bool {
    pty_wanted(
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
        std::env::var_os("RUNGLASS_NO_PTY").as_deref(),
    )
}

fn pty_wanted(stdin_is_tty: bool, stdout_is_tty: bool, no_pty: Option<&OsStr>) -> bool {
    let refused = no_pty.is_some_and(|v| !v.is_empty() && v != "0");
    stdin_is_tty && stdout_is_tty && !refused
}

/// The command's side of the capture, to hand to `tracer::Command` (`stdio`,
/// `controlling_terminal`). Drop these, and the Command holding them, as soon as the
/// command started: while runglass holds them, the command's output never ends for the
/// capture, which then waits out the grace period and reports itself cut short.
pub struct ChildIo {
    /// The command's stdin; None: it inherits runglass's.
    pub stdin: Option<OwnedFd>,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
    /// The pty to make the command's controlling terminal (pty mode only).
    pub controlling_tty: Option<OwnedFd>,
}

impl ChildIo {
    /// Sets these as the command's stdio (and controlling terminal).
    pub fn give_to(self, mut command: runglass_tracer::Command) -> runglass_tracer::Command {
        if let Some(stdin) = self.stdin {
            command = command.stdio(0, stdin);
        }
        command = command.stdio(1, self.stdout).stdio(2, self.stderr);
        match self.controlling_tty {
            Some(tty) => command.controlling_terminal(tty),
            None => command,
        }
    }
}

pub struct CaptureResult {
    pub output: Output,
    /// The command's output was still open when the capture stopped: processes that
    /// outlived the command (a daemon) may have written more than the receipt holds.
    pub cut_short: bool,
    /// Why a stream's file holds less than the stream (its `stored_bytes` says how much):
    /// the echo to the user and the byte count went on regardless.
    pub store_errors: Vec<anyhow::Error>,
}

pub struct Capture {
    mode: Mode,
}

enum Mode {
    Pipes { stdout: Copier, stderr: Copier },
    // Field order is drop order: the user's terminal gets its settings back before the
    // copy thread is let go.
    Pty { terminal: Terminal, transcript: Copier },
}

/// The user's side: runglass's own stdin, stdout and stderr (duplicates, so that
/// closing them leaves runglass's alone). Tests put a terminal of their own here.
struct UserIo {
    stdin: OwnedFd,
    stdout: OwnedFd,
    stderr: OwnedFd,
}

impl UserIo {
    fn inherited() -> anyhow::Result<UserIo> {
        Ok(UserIo {
            stdin: std::io::stdin().as_fd().try_clone_to_owned().context("duplicating runglass's stdin")?,
            stdout: std::io::stdout().as_fd().try_clone_to_owned().context("duplicating runglass's stdout")?,
            stderr: std::io::stderr().as_fd().try_clone_to_owned().context("duplicating runglass's stderr")?,
        })
    }
}

impl Capture {
    /// Creates the pipes or the pty (with the size and settings of the user's terminal)
    /// and the output files (`stdout` and `stderr`, or `transcript` for a pty) in
    /// `opts.dir`, and starts copying at once.
    pub fn start(opts: CaptureOptions) -> anyhow::Result<(Capture, ChildIo)> {
        Capture::start_with(opts, UserIo::inherited()?)
    }

    fn start_with(opts: CaptureOptions, user: UserIo) -> anyhow::Result<(Capture, ChildIo)> {
        if opts.pty {
            return Capture::start_pty(opts, user);
        }
        let pipe = || nix::unistd::pipe2(OFlag::O_CLOEXEC).context("creating a pipe for the command's output");
        let (stdout_read, stdout_write) = pipe()?;
        let (stderr_read, stderr_write) = pipe()?;
        let stdout = Copier::start(stdout_read, user.stdout, &opts.dir, "stdout")?;
        let stderr = Copier::start(stderr_read, user.stderr, &opts.dir, "stderr")?;
        let io = ChildIo { stdin: None, stdout: stdout_write, stderr: stderr_write, controlling_tty: None };
        Ok((Capture { mode: Mode::Pipes { stdout, stderr } }, io))
    }

    fn start_pty(opts: CaptureOptions, user: UserIo) -> anyhow::Result<(Capture, ChildIo)> {
        let pair = pty::open(Some(user.stdin.as_fd()), Some(user.stdout.as_fd()))?;
        // Threads share the master and must stay stoppable: none may block on it.
        fdio::set_nonblocking(&pair.master).context("making the pty non-blocking")?;
        let dup = |fd: &OwnedFd| fd.try_clone().context("duplicating a pty fd");
        let transcript = Copier::start(dup(&pair.master)?, dup(&user.stdout)?, &opts.dir, "transcript")?;
        let io = ChildIo {
            stdin: Some(dup(&pair.follower)?),
            stdout: dup(&pair.follower)?,
            stderr: dup(&pair.follower)?,
            controlling_tty: Some(pair.follower),
        };
        let terminal = Terminal::new(pair.master, user.stdin, user.stdout);
        Ok((Capture { mode: Mode::Pty { terminal, transcript } }, io))
    }

    /// To call once the command started. With a pty: puts the user's terminal in raw
    /// mode, so that keys reach the command as typed, and starts passing keys and window
    /// size changes on. The terminal's settings come back on [`Capture::finish`], or
    /// when the Capture is dropped (a panic included).
    pub fn command_started(&mut self) -> anyhow::Result<()> {
        match &mut self.mode {
            Mode::Pipes { .. } => Ok(()),
            Mode::Pty { terminal, .. } => terminal.connect(),
        }
    }

    /// To call once the command's root process ended: stops reading the user's keys,
    /// takes what remains of the output until its end or until nothing came for `grace`
    /// (a daemon may hold it open for ever), gives the terminal its settings back, and
    /// returns the receipt's view of the output.
    pub fn finish(self, grace: Duration) -> anyhow::Result<CaptureResult> {
        match self.mode {
            Mode::Pipes { stdout, stderr } => {
                let (stdout, stderr) = (stdout.drain(grace), stderr.drain(grace));
                let (stdout, stderr) = (stdout.finish()?, stderr.finish()?);
                let cut_short = stdout.cut_short || stderr.cut_short;
                let store_errors = stdout.store_error.into_iter().chain(stderr.store_error).collect();
                let output = Output {
                    capture: CaptureMode::Pipes,
                    stdout: Some(stdout.stream),
                    stderr: Some(stderr.stream),
                    transcript: None,
                };
                Ok(CaptureResult { output, cut_short, store_errors })
            }
            Mode::Pty { mut terminal, transcript } => {
                terminal.stop_input();
                let drained = transcript.drain(grace).finish();
                terminal.restore()?;
                let transcript = drained?;
                let output = Output {
                    capture: CaptureMode::Pty,
                    stdout: None,
                    stderr: None,
                    transcript: Some(transcript.stream),
                };
                Ok(CaptureResult {
                    output,
                    cut_short: transcript.cut_short,
                    store_errors: transcript.store_error.into_iter().collect(),
                })
            }
        }
    }
}
