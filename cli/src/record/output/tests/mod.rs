//! Tests of the capture with real processes, real pipes and real ptys; the "user's
//! terminal" is a pty the test opens, standing in for runglass's stdin and stdout.

mod pipes;
mod pty;

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::{Capture, CaptureOptions, CaptureResult, ChildIo, UserIo};

/// The grace runglass gives a left-behind daemon's output.
const GRACE: Duration = Duration::from_millis(200);
/// How long a test waits for something that should happen at once before it fails
/// instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

fn start(dir: &Path, pty: bool, user: UserIo) -> (Capture, ChildIo) {
    Capture::start_with(CaptureOptions { dir: dir.to_path_buf(), pty }, user).expect("starting the capture")
}

/// Runs `sh -c script` with the capture's fds, as `runglass run` does.
fn spawn(io: ChildIo, script: &str) -> Pid {
    let command = io.give_to(runglass_tracer::Command::new("sh").args(["-c", script]));
    Pid::from_raw(command.spawn_untraced().expect("starting sh") as i32)
}

/// The exit code of `pid`; kills it and fails when it does not end in time.
fn exit_code(pid: Pid) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)).expect("waitpid") {
            WaitStatus::Exited(_, code) => return code,
            WaitStatus::StillAlive if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            status => {
                let _ = kill(pid, Signal::SIGKILL);
                panic!("the command did not exit in time: {status:?}");
            }
        }
    }
}

/// `finish(GRACE)`, failing the test instead of hanging when it does not return.
fn finish(capture: Capture) -> CaptureResult {
    let (tx, rx) = mpsc::channel();
    // The receiver gives up after PATIENCE; a result sent later has nowhere to go.
    std::thread::spawn(move || {
        let _ = tx.send(capture.finish(GRACE));
    });
    rx.recv_timeout(PATIENCE).expect("finish() did not return").expect("finish() failed")
}

/// Everything read from `fd` until its end (or EIO: a pty's master once it is closed).
fn collect(fd: OwnedFd) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = File::from(fd).read_to_end(&mut all);
        all
    })
}

fn dev_null() -> OwnedFd {
    File::options().write(true).open("/dev/null").expect("opening /dev/null").into()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn dup(fd: impl AsFd) -> OwnedFd {
    fd.as_fd().try_clone_to_owned().expect("dup")
}

#[test]
fn a_pty_is_wanted_only_between_two_terminals_and_not_when_refused() {
    use super::pty_wanted;
    use std::ffi::OsStr;

    assert!(pty_wanted(true, true, None));
    assert!(!pty_wanted(false, true, None));
    assert!(!pty_wanted(true, false, None));
    assert!(!pty_wanted(true, true, Some(OsStr::new("1"))));
    assert!(pty_wanted(true, true, Some(OsStr::new("0"))));
    assert!(pty_wanted(true, true, Some(OsStr::new(""))));
}
