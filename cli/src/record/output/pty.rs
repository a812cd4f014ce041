//! Opening a pseudo-terminal for the command, set up like the user's terminal.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use anyhow::Context;
use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::Mode;
use rustix::termios::{OptionalActions, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};

pub struct PtyPair {
    /// runglass's side: what the command writes comes out here, keys go in here.
    pub master: OwnedFd,
    /// The command's terminal.
    pub follower: OwnedFd,
}

/// Opens a pty whose follower has the settings of `settings_from` (echo, erase key,
/// ...) and the window size of `size_from`, where those are terminals. Both fds are
/// close-on-exec, so that neither leaks into the command but through its stdio.
pub fn open(settings_from: Option<BorrowedFd<'_>>, size_from: Option<BorrowedFd<'_>>) -> anyhow::Result<PtyPair> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).context("opening a pty")?;
    grantpt(&master).context("granting a pty")?;
    unlockpt(&master).context("unlocking a pty")?;
    let name = ptsname_r(&master).context("naming a pty")?;
    let follower = nix::fcntl::open(name.as_str(), OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC, Mode::empty())
        .with_context(|| format!("opening {name}"))?;
    if let Some(Ok(settings)) = settings_from.map(tcgetattr) {
        tcsetattr(&follower, OptionalActions::Now, &settings).with_context(|| format!("setting up {name}"))?;
    }
    let master = OwnedFd::from(master);
    if let Some(Ok(size)) = size_from.map(tcgetwinsize) {
        tcsetwinsize(&master, size).with_context(|| format!("setting the window size of {name}"))?;
    }
    Ok(PtyPair { master, follower })
}

/// Gives the pty behind `master` the window size of the terminal `from`; false when
/// `from` has none (it is not a terminal) or the size could not be set.
pub fn copy_window_size(from: impl AsFd, master: impl AsFd) -> bool {
    tcgetwinsize(from).and_then(|size| tcsetwinsize(master, size)).is_ok()
}
