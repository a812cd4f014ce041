//! Pty mode: the command has a terminal of its own, sized like the user's, fed with the
//! user's keys; the user's terminal is raw meanwhile and never left so.

use std::fs;
use std::sync::mpsc::Receiver;

use nix::poll::PollFlags;
use runglass_model::receipt::CaptureMode;
use rustix::termios::{LocalModes, SpecialCodeIndex, Termios, Winsize, tcgetattr, tcsetwinsize};

use super::*;
use crate::record::output::fdio::{self, Chunk};
use crate::record::output::pty;

/// A pty standing in for the terminal runglass runs in: the test types on its master
/// side and watches what it shows there.
struct UserTerminal {
    master: OwnedFd,
    follower: OwnedFd,
    shown: Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl UserTerminal {
    fn open(rows: u16, cols: u16) -> UserTerminal {
        let pair = pty::open(None, None).expect("opening the user's pty");
        resize(&pair.master, rows, cols);
        let (tx, shown) = mpsc::channel();
        let mut screen = File::from(dup(&pair.master));
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = screen.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        UserTerminal { master: pair.master, follower: pair.follower, shown, seen: Vec::new() }
    }

    /// runglass's stdin, stdout and stderr, all on this terminal.
    fn io(&self) -> UserIo {
        UserIo { stdin: dup(&self.follower), stdout: dup(&self.follower), stderr: dup(&self.follower) }
    }

    fn type_keys(&self, keys: &[u8]) {
        assert!(fdio::write_all(self.master.as_fd(), keys, None).unwrap());
    }

    /// Waits until the terminal has shown `text`.
    fn wait_for(&mut self, text: &[u8]) {
        let deadline = Instant::now() + PATIENCE;
        while !contains(&self.seen, text) {
            match self.shown.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!(
                    "the terminal never showed {:?}: {:?}",
                    text.escape_ascii().to_string(),
                    self.seen.escape_ascii().to_string()
                ),
            }
        }
    }

    fn settings(&self) -> Termios {
        tcgetattr(&self.follower).unwrap()
    }
}

fn resize(terminal: &OwnedFd, rows: u16, cols: u16) {
    tcsetwinsize(terminal, Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }).unwrap();
}

fn same_settings(a: &Termios, b: &Termios) -> bool {
    (a.input_modes, a.output_modes, a.control_modes, a.local_modes)
        == (b.input_modes, b.output_modes, b.control_modes, b.local_modes)
        && [SpecialCodeIndex::VMIN, SpecialCodeIndex::VTIME].iter().all(|&i| a.special_codes[i] == b.special_codes[i])
}

fn is_raw(t: &Termios) -> bool {
    !t.local_modes.intersects(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG)
}

#[test]
fn the_command_sees_a_terminal_of_the_users_size_and_its_output_lands_in_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let mut user = UserTerminal::open(33, 111);
    let (mut capture, io) = start(dir.path(), true, user.io());
    assert!(io.stdin.is_some() && io.controlling_tty.is_some());
    // /dev/tty opens only for a process with a controlling terminal.
    let pid =
        spawn(io, "test -t 0 && test -t 1 && test -t 2 && echo is-a-tty; exec 3</dev/tty && echo ctty; stty size");
    capture.command_started().unwrap();
    assert_eq!(exit_code(pid), 0);
    let result = finish(capture);

    assert!(!result.cut_short, "the pty closed with the command");
    assert_eq!(result.output.capture, CaptureMode::Pty);
    assert!(result.output.stdout.is_none() && result.output.stderr.is_none());
    let transcript = result.output.transcript.unwrap();
    assert_eq!(transcript.head.0, b"is-a-tty\r\nctty\r\n33 111\r\n");
    assert_eq!(fs::read(dir.path().join("transcript")).unwrap(), transcript.head.0);
    // What came before raw mode went through the user's line discipline too (\r\r\n).
    user.wait_for(b"33 111");
}

#[test]
fn keys_reach_the_command_and_the_next_key_after_it_is_left_to_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let mut user = UserTerminal::open(24, 80);
    let (mut capture, io) = start(dir.path(), true, user.io());
    let pid = spawn(io, "echo ready; read line; echo \"got:$line\"");
    capture.command_started().unwrap();
    user.wait_for(b"ready");
    user.type_keys(b"hello\r");
    assert_eq!(exit_code(pid), 0);
    let transcript = finish(capture).output.transcript.unwrap();
    assert!(contains(&transcript.head.0, b"got:hello\r\n"), "{:?}", transcript.head);

    // Nothing of runglass reads the terminal any more: the key is there for the shell.
    user.type_keys(b"next\n");
    let ready = fdio::wait(user.follower.as_fd(), PollFlags::POLLIN, None, Some(Instant::now() + PATIENCE)).unwrap();
    assert!(ready.fd, "the key was swallowed");
    let mut buf = [0u8; 64];
    let Ok(Chunk::Data(n)) = fdio::read_chunk(user.follower.as_fd(), &mut buf) else { panic!("no key to read") };
    assert_eq!(&buf[..n], b"next\n");
}

#[test]
fn the_window_size_follows_sigwinch() {
    let dir = tempfile::tempdir().unwrap();
    let mut user = UserTerminal::open(24, 80);
    let (mut capture, io) = start(dir.path(), true, user.io());
    let pid = spawn(io, "trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.05; done");
    capture.command_started().unwrap();
    user.wait_for(b"ready");
    resize(&user.master, 40, 120);
    kill(Pid::this(), Signal::SIGWINCH).unwrap();
    assert_eq!(exit_code(pid), 0);
    let transcript = finish(capture).output.transcript.unwrap();
    assert!(contains(&transcript.head.0, b"40 120"), "{:?}", transcript.head);
}

#[test]
fn the_terminal_is_raw_while_the_command_runs_and_restored_by_finish() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserTerminal::open(24, 80);
    let before = user.settings();
    assert!(!is_raw(&before));
    let (mut capture, io) = start(dir.path(), true, user.io());
    drop(io);
    capture.command_started().unwrap();
    assert!(is_raw(&user.settings()));
    finish(capture);
    assert!(same_settings(&user.settings(), &before));
}

#[test]
fn dropping_the_capture_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserTerminal::open(24, 80);
    let before = user.settings();
    let (mut capture, _io) = start(dir.path(), true, user.io());
    capture.command_started().unwrap();
    assert!(is_raw(&user.settings()));
    drop(capture);
    assert!(same_settings(&user.settings(), &before));
}

#[test]
fn a_panic_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserTerminal::open(24, 80);
    let before = user.settings();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (mut capture, _io) = start(dir.path(), true, user.io());
        capture.command_started().unwrap();
        assert!(is_raw(&user.settings()));
        panic!("something went wrong while the command ran");
    }));
    assert!(panicked.is_err());
    assert!(same_settings(&user.settings(), &before));
}
