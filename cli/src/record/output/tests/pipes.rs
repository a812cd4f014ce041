//! Pipes mode: stdout and stderr apart, live and stored, whatever the size or the fate of
//! runglass's own stdout.

use std::fs;

use nix::fcntl::OFlag;
use nix::poll::PollFlags;
use nix::unistd::pipe2;
use runglass_model::receipt::CaptureMode;

use super::*;
use crate::record::output::excerpt::{HEAD, TAIL};
use crate::record::output::fdio::{self, Chunk};

fn pipe() -> (OwnedFd, OwnedFd) {
    pipe2(OFlag::O_CLOEXEC).expect("pipe")
}

/// The user's side made of pipes the test reads, so that the echo can be checked.
fn user_pipes() -> (UserIo, JoinHandle<Vec<u8>>, JoinHandle<Vec<u8>>) {
    let (out_read, out_write) = pipe();
    let (err_read, err_write) = pipe();
    let user = UserIo { stdin: dup(std::io::stdin()), stdout: out_write, stderr: err_write };
    (user, collect(out_read), collect(err_read))
}

#[test]
fn stdout_and_stderr_stay_apart_and_reach_both_the_user_and_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (user, shown_out, shown_err) = user_pipes();
    let (capture, io) = start(dir.path(), false, user);
    assert!(io.stdin.is_none() && io.controlling_tty.is_none(), "stdin is inherited, no terminal");
    let pid = spawn(io, "printf 'out1\\n'; printf 'err1\\n' >&2; printf 'out2\\n'");
    assert_eq!(exit_code(pid), 0);
    let result = finish(capture);

    assert!(!result.cut_short, "the streams ended with the command");
    let output = result.output;
    assert_eq!(output.capture, CaptureMode::Pipes);
    assert!(output.transcript.is_none());
    let (stdout, stderr) = (output.stdout.unwrap(), output.stderr.unwrap());
    assert_eq!((stdout.head.0.as_slice(), stdout.bytes, stdout.truncated), (&b"out1\nout2\n"[..], 10, false));
    assert_eq!((stderr.head.0.as_slice(), stderr.bytes), (&b"err1\n"[..], 5));
    assert_eq!(fs::read(dir.path().join(&stdout.file)).unwrap(), b"out1\nout2\n");
    assert_eq!(fs::read(dir.path().join(&stderr.file)).unwrap(), b"err1\n");
    assert_eq!((stdout.file.as_str(), stderr.file.as_str()), ("stdout", "stderr"));
    assert_eq!(shown_out.join().unwrap(), b"out1\nout2\n");
    assert_eq!(shown_err.join().unwrap(), b"err1\n");
}

#[test]
fn ten_megabytes_are_stored_whole_with_the_right_head_and_tail() {
    const LAST: u32 = 1_500_000;
    let dir = tempfile::tempdir().unwrap();
    let user = UserIo { stdin: dup(std::io::stdin()), stdout: dev_null(), stderr: dev_null() };
    let (capture, io) = start(dir.path(), false, user);
    let pid = spawn(io, &format!("seq 1 {LAST}"));
    assert_eq!(exit_code(pid), 0);
    let stdout = finish(capture).output.stdout.unwrap();

    let expected: Vec<u8> = (1..=LAST).flat_map(|i| format!("{i}\n").into_bytes()).collect();
    assert!(expected.len() > 10_000_000);
    assert_eq!(stdout.bytes, expected.len() as u64);
    assert!(stdout.truncated);
    assert_eq!(stdout.head.0, &expected[..HEAD]);
    assert_eq!(stdout.tail.0, &expected[expected.len() - TAIL..]);
    assert!(fs::read(dir.path().join("stdout")).unwrap() == expected, "the file holds the whole stream");
}

#[test]
fn a_daemon_holding_the_pipes_does_not_make_finish_hang() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("daemon.pid");
    let (user, _, _) = user_pipes();
    let (capture, io) = start(dir.path(), false, user);
    let script = format!("echo started; sleep 60 & echo $! > '{}'", pid_file.display());
    let pid = spawn(io, &script);
    assert_eq!(exit_code(pid), 0);
    let result = finish(capture);

    let daemon = fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    let _ = kill(Pid::from_raw(daemon), Signal::SIGKILL);
    assert!(result.cut_short, "the pipes were still open when the capture stopped");
    assert_eq!(result.output.stdout.unwrap().head.0, b"started\n");
}

#[test]
fn a_closed_stdout_stops_the_echo_but_not_the_capture_or_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (closed_read, closed_write) = pipe();
    drop(closed_read);
    let user = UserIo { stdin: dup(std::io::stdin()), stdout: closed_write, stderr: dev_null() };
    let (capture, io) = start(dir.path(), false, user);
    // More than a pipe holds, so that the command would block if the capture gave up.
    let pid = spawn(io, "head -c 1000000 /dev/zero; echo done >&2");
    assert_eq!(exit_code(pid), 0, "the command ran to its end");
    let output = finish(capture).output;

    assert_eq!(output.stdout.unwrap().bytes, 1_000_000);
    assert_eq!(fs::read(dir.path().join("stdout")).unwrap().len(), 1_000_000);
    assert_eq!(output.stderr.unwrap().head.0, b"done\n");
}

#[test]
fn output_reaches_the_user_while_the_command_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (shown, out_write) = pipe();
    let user = UserIo { stdin: dup(std::io::stdin()), stdout: out_write, stderr: dev_null() };
    let (capture, io) = start(dir.path(), false, user);
    let pid = spawn(io, "echo first; exec sleep 60");

    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    let mut buf = [0u8; 64];
    while !contains(&seen, b"first\n") && Instant::now() < deadline {
        if fdio::wait(shown.as_fd(), PollFlags::POLLIN, None, Some(deadline)).unwrap().fd
            && let Chunk::Data(n) = fdio::read_chunk(shown.as_fd(), &mut buf).unwrap()
        {
            seen.extend_from_slice(&buf[..n]);
        }
    }
    let _ = kill(pid, Signal::SIGKILL);
    let _ = waitpid(pid, None);
    finish(capture);
    assert_eq!(seen, b"first\n", "shown before the command ended");
}
