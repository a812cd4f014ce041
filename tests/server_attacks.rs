//! `runglass open` attacked over raw TCP by a local user without the token: announced
//! bodies it cannot hold, bodies promised and never sent, a header line without end, a
//! client that stalls, terminal escapes in the request line. After each, the real server
//! must still be running, answer the user's own request, have grown by no more than a
//! few MB, and have written no raw control byte to the terminal.

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{run_script, runglass};

/// How much the server may grow (its peak resident size) under one attack.
const GROWTH_KB: u64 = 16 * 1024;

/// A running `runglass open --no-browser --port 0`, its stderr in a file.
struct Server {
    child: Child,
    port: u16,
    token: String,
    stderr: PathBuf,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Server {
    /// A server over a store with one receipt.
    fn start() -> Server {
        let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let out = run_script(data.path(), work.path(), &[], "echo one > one.txt");
        assert!(out.status.success(), "{}", common::stderr(&out));
        let stderr = work.path().join("open.stderr");
        let mut child = runglass(data.path())
            .args(["open", "--no-browser", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        let rest =
            url.trim().strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("not a loopback URL: {url:?}"));
        let (port, path) = rest.split_once('/').unwrap();
        let token = path.trim_end_matches('/').to_string();
        let server = Server { child, port: port.parse().unwrap(), token, stderr, _dirs: (data, work) };
        assert_eq!(server.users_request(), 200, "the server answers before the attack");
        server
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream
    }

    fn host(&self) -> String {
        format!("Host: 127.0.0.1:{}\r\n", self.port)
    }

    /// The status of the user's own request for the index, token included; 0 when none
    /// came within 10 s (the server is frozen) or the connection failed (it is gone).
    fn users_request(&self) -> u16 {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return 0 };
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let request = format!("GET /{}/ HTTP/1.1\r\n{}Connection: close\r\n\r\n", self.token, self.host());
        if stream.write_all(request.as_bytes()).is_err() {
            return 0;
        }
        let mut reply = Vec::new();
        if stream.read_to_end(&mut reply).is_err() {
            return 0;
        }
        // Every answer says the connection closes: one request per connection.
        let head = String::from_utf8_lossy(&reply[..reply.len().min(2048)]).to_ascii_lowercase();
        assert!(head.contains("\r\nconnection: close\r\n"), "no Connection: close in {head}");
        status(&reply)
    }

    /// (VmRSS, VmHWM) in kB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap();
            line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Asserts that the server still runs, answers the user and did not grow past
    /// [`GROWTH_KB`] since `before` (its peak, so that a spike that was freed counts).
    fn assert_unharmed(&mut self, before: (u64, u64), attack: &str) {
        let status = self.users_request();
        if let Some(exit) = self.child.try_wait().unwrap() {
            panic!("{attack}: the server ended ({exit}); stderr: {}", self.stderr_text());
        }
        assert_eq!(status, 200, "{attack}: the user's request was not answered within 10 s");
        let after = self.memory();
        assert!(
            after.1 <= before.1 + GROWTH_KB,
            "{attack}: the server's peak grew from {} kB to {} kB (resident now {} kB)",
            before.1,
            after.1,
            after.0
        );
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap()).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status(reply: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(&reply[..reply.len().min(64)]).into_owned();
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Sends `request` and reads the reply until the server closes, however that happens.
fn send(stream: &mut TcpStream, request: &[u8]) -> Vec<u8> {
    let _ = stream.write_all(request);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    reply
}

#[test]
fn a_body_announced_at_i64_max_neither_aborts_nor_bloats_the_server() {
    let mut server = Server::start();
    let before = server.memory();
    let request = format!("POST /x HTTP/1.1\r\n{}Content-Length: 9223372036854775807\r\n\r\n", server.host());
    let reply = send(&mut server.connect(), request.as_bytes());
    assert_eq!(status(&reply), 403, "refused for its missing token: {}", String::from_utf8_lossy(&reply));
    server.assert_unharmed(before, "Content-Length: 9223372036854775807");
}

#[test]
fn bodies_announced_at_u64_max_on_every_worker_do_not_end_the_server() {
    let mut server = Server::start();
    let before = server.memory();
    for _ in 0..8 {
        let request = format!("POST /x HTTP/1.1\r\n{}Content-Length: 18446744073709551615\r\n\r\n", server.host());
        send(&mut server.connect(), request.as_bytes());
    }
    // With the token too: the bound holds before any handler runs.
    let request = format!(
        "POST /{}/r/x/delete HTTP/1.1\r\n{}Origin: http://127.0.0.1:{}\r\nContent-Length: 18446744073709551615\r\n\r\n",
        server.token,
        server.host(),
        server.port
    );
    let reply = send(&mut server.connect(), request.as_bytes());
    assert_eq!(status(&reply), 413, "{}", String::from_utf8_lossy(&reply));
    server.assert_unharmed(before, "8 x Content-Length: 18446744073709551615");
}

#[test]
fn clients_that_promise_a_body_and_never_send_it_do_not_freeze_the_server() {
    let mut server = Server::start();
    let before = server.memory();
    let stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut stream = server.connect();
            let request = format!("POST /x HTTP/1.1\r\n{}Content-Length: 10000000\r\n\r\n", server.host());
            stream.write_all(request.as_bytes()).unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    server.assert_unharmed(before, "8 clients promising 10 MB and sending nothing");
    drop(stalled);
}

#[test]
fn a_header_line_without_end_is_cut_off_without_growing_the_server() {
    let mut server = Server::start();
    let before = server.memory();
    let mut stream = server.connect();
    stream.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut sent = 0usize;
    let mut line = format!("GET /x HTTP/1.1\r\n{}X-Long: ", server.host()).into_bytes();
    line.resize(1 << 16, b'a');
    while sent < 1 << 30 {
        match stream.write(&line) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
        line.fill(b'a');
    }
    assert!(sent < 64 << 20, "the server read {} MB of one header line before closing", sent >> 20);
    server.assert_unharmed(before, &format!("a header line of {} bytes", sent));
}

#[test]
fn a_client_that_stalls_inside_its_request_is_cut_off() {
    let mut server = Server::start();
    let before = server.memory();
    let mut stream = server.connect();
    stream.write_all(b"GET /x HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut reply = Vec::new();
    // One byte a second keeps any per-read timeout from firing; the deadline is for the whole head.
    while started.elapsed() < Duration::from_secs(40) {
        if stream.write_all(b"X").is_err() {
            break;
        }
        stream.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        match stream.read(&mut [0u8; 1024]) {
            Ok(0) => break,
            Ok(n) => reply.push(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    assert!(started.elapsed() < Duration::from_secs(30), "the stalled connection was still open after 30 s");
    server.assert_unharmed(before, "a client sending its head one byte a second");
}

/// The front door's bound on connections must not become a way to lock the user out:
/// (tiny_http alone had no bound, so this one holds on main too).
#[test]
fn a_crowd_of_idle_connections_does_not_lock_the_user_out() {
    let mut server = Server::start();
    let before = server.memory();
    let idle: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut stream = server.connect();
            if i % 2 == 0 {
                stream.write_all(b"GET /x HTTP/1.1\r\n").unwrap();
            }
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    server.assert_unharmed(before, "300 connections sending nothing or half a head");
    drop(idle);
}

#[test]
fn terminal_escapes_in_requests_reach_the_log_escaped() {
    let mut server = Server::start();
    let before = server.memory();
    let escapes = "\x1b]0;TITLE\x07\x1b[2J";
    for request in [
        format!("{escapes} / HTTP/1.1\r\n{}\r\n", server.host()),
        format!("GET /{escapes} HTTP/1.1\r\n{}\r\n", server.host()),
        format!("GET /{}/r/{escapes}/ HTTP/1.1\r\n{}\r\n", server.token, server.host()),
        format!("GET / HTTP/1.1\r\n{}X-Title: {escapes}\r\n\r\n", server.host()),
    ] {
        let reply = send(&mut server.connect(), request.as_bytes());
        assert!(matches!(status(&reply), 400 | 403 | 404 | 405), "{request:?}: {}", String::from_utf8_lossy(&reply));
    }
    server.assert_unharmed(before, "requests with terminal escapes");
    let log = std::fs::read(&server.stderr).unwrap();
    let raw = log.iter().position(|&b| b < 0x20 && b != b'\n' || b == 0x7f);
    assert_eq!(raw, None, "a raw control byte in the log: {}", String::from_utf8_lossy(&log));
    let text = server.stderr_text();
    assert!(text.contains("refused \\u{1b}]0;TITLE\\u{7}\\u{1b}[2J /"), "the refusal is logged, escaped: {text}");
}
