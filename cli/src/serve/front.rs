//! The server's front door: the only code that reads from the network. It accepts each
//! TCP connection itself, reads one request within bounds and deadlines ([`head`]), asks
//! the [`guard`](super::guard) about it, and passes only allowed, bounded, whole requests
//! on to tiny_http, which listens on a Unix socket no one else can reach; the answer is
//! copied back and the connection closed.
//!
//! tiny_http cannot be given these limits: it reads header lines of any length, keeps a
//! thread per connection without a timeout, and drains an unread body into a buffer of
//! the announced size (`EqualReader`'s drop) or panics on one. Here a request that is
//! refused is answered at once and its body is never read; a connection that stalls is
//! closed when its deadline passes. Each connection has its own thread, so a few slow
//! clients hold a few threads and starve no one; past [`MAX_CONNECTIONS`], a new
//! connection closes the one that has waited longest for its request to arrive, so that
//! even many idle connections cannot lock the user out.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::guard::{Guard, Verdict};
use super::head::{self, Head, Refusal};
use super::headers::respond;
use super::headers::TEXT;
use super::routes;

/// Connections open at a time before the slowest is closed for a new one; twice as many
/// (all of them with whole requests being answered) and a new one is answered 503.
const MAX_CONNECTIONS: usize = 64;
/// From accepting a connection to the end of its request head.
const HEAD_TIME: Duration = Duration::from_secs(10);
/// For the body, once the head is in (1 MiB at most).
const BODY_TIME: Duration = Duration::from_secs(30);
/// For each write to the client: one that does not read its answer is dropped.
const WRITE_TIME: Duration = Duration::from_secs(30);
/// For each read of the answer from tiny_http (a bundle is written before it is sent).
const ANSWER_TIME: Duration = Duration::from_secs(300);
/// Closing: what the client still sends is discarded, for this long and this much at
/// most, so that it reads our answer instead of a reset.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 2 * head::MAX_BODY;
/// Request lines in the log are cut to this many bytes.
const LOGGED_LINE: usize = 200;

/// The listening half: the public TCP socket, and the private Unix socket tiny_http reads.
pub struct Front {
    listener: TcpListener,
    door: Arc<Door>,
}

/// What every connection's thread needs.
struct Door {
    guard: Guard,
    /// tiny_http's socket, reached through this process's descriptor of it: the socket's
    /// file is unlinked as soon as it is bound, so no other process can connect to it.
    inner: PathBuf,
    _inner_file: File,
    open: AtomicUsize,
    /// The connections still sending their request, by the order they came in.
    waiting: Mutex<BTreeMap<u64, TcpStream>>,
    arrivals: AtomicU64,
}

/// The Unix socket tiny_http listens on, with no name left in the file system.
pub fn private_socket() -> anyhow::Result<(UnixListener, File)> {
    let dir = tempfile::Builder::new().prefix("runglass-open-").tempdir().context("creating a private directory")?;
    let path = dir.path().join("s");
    let listener = UnixListener::bind(&path).with_context(|| format!("listening on {}", path.display()))?;
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new().read(true).custom_flags(libc::O_PATH).open(&path)
    }
    .with_context(|| format!("opening {}", path.display()))?;
    drop(dir); // removes the socket's name and the directory; the socket itself lives on
    Ok((listener, file))
}

impl Front {
    pub fn new(listener: TcpListener, guard: Guard, inner_file: File) -> Front {
        let inner = PathBuf::from(format!("/proc/self/fd/{}", inner_file.as_raw_fd()));
        let door = Door {
            guard,
            inner,
            _inner_file: inner_file,
            open: AtomicUsize::new(0),
            waiting: Mutex::new(BTreeMap::new()),
            arrivals: AtomicU64::new(0),
        };
        Front { listener, door: Arc::new(door) }
    }

    /// Accepts connections until the process ends; errors (out of descriptors) are
    /// waited out, never the end of the server.
    pub fn run(self) {
        let mut last_error = None;
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) => {
                    if last_error.as_ref() != Some(&e.kind()) {
                        super::log(&format!("accepting a connection: {e} (going on)"));
                        last_error = Some(e.kind());
                    }
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            let open = self.door.open.fetch_add(1, Ordering::SeqCst);
            if open >= 2 * MAX_CONNECTIONS || (open >= MAX_CONNECTIONS && !self.door.close_slowest()) {
                self.door.open.fetch_sub(1, Ordering::SeqCst);
                busy(stream);
                continue;
            }
            let arrival = self.door.arrivals.fetch_add(1, Ordering::SeqCst);
            if let Ok(clone) = stream.try_clone() {
                self.door.waiting.lock().unwrap_or_else(|e| e.into_inner()).insert(arrival, clone);
            }
            let slot = Slot(Arc::clone(&self.door), arrival);
            let spawned = std::thread::Builder::new()
                .name("runglass-conn".into())
                .spawn(move || slot.0.connection(stream, &slot));
            if let Err(e) = spawned {
                super::log(&format!("starting a thread for a connection: {e}"));
            }
        }
    }
}

/// One open connection (and when it came), counted until dropped (even by a panic).
struct Slot(Arc<Door>, u64);

impl Slot {
    /// Its request is in: it no longer counts as waiting.
    fn arrived(&self) {
        self.0.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.1);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.arrived();
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Too many connections: a fixed answer without reading anything, then close.
fn busy(stream: TcpStream) {
    let _ = stream.set_nonblocking(true);
    let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Length: 26\r\nConnection: close\r\n\r\ntoo many open connections\n";
    let _ = (&stream).write_all(answer.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

impl Door {
    /// Closes the connection that has waited longest for its request, if one still waits;
    /// its thread then sees the end of the stream and ends.
    fn close_slowest(&self) -> bool {
        let oldest = self.waiting.lock().unwrap_or_else(|e| e.into_inner()).pop_first();
        oldest.is_some_and(|(_, stream)| stream.shutdown(Shutdown::Both).is_ok())
    }

    fn connection(&self, stream: TcpStream, slot: &Slot) {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(WRITE_TIME));
        let mut raw = Vec::new();
        let head = match head::read_head(&mut Timed::new(&stream, HEAD_TIME), &mut raw) {
            Ok(head) => head,
            Err(refusal) => return refuse(stream, &refusal, &raw, None),
        };
        // A token of ASCII always parses (an unknown one as `NonStandard`, which the guard refuses).
        let Ok(method) = head.method.parse::<tiny_http::Method>() else {
            return refuse(stream, &Refusal::Malformed("the method is not ASCII"), &raw, None);
        };
        let verdict = self.guard.check(&method, &head.target, |name| head.header(name).map(str::to_string));
        if !matches!(verdict, Verdict::Pass(_)) {
            super::log(&format!("refused {}: {}", head::log_line(&raw, LOGGED_LINE), routes::reason(&verdict)));
            let answer = routes::refused(&verdict);
            return close(stream, &answer_bytes(answer, &head));
        }
        let length = match &head.body {
            Ok(length) => *length,
            Err(refusal) => return refuse(stream, refusal, &raw, Some(&head)),
        };
        if head.expects_continue && length > 0 {
            let _ = (&stream).write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let body = match head::read_body(&mut Timed::new(&stream, BODY_TIME), &raw[head.len..], length) {
            Ok(body) => body,
            Err(refusal) => return refuse(stream, &refusal, &raw, Some(&head)),
        };
        drop(raw);
        slot.arrived();
        self.relay(stream, &head.forward(&body));
    }

    /// Passes one allowed request on to tiny_http and copies its answer back.
    fn relay(&self, client: TcpStream, request: &[u8]) {
        let inner = match UnixStream::connect(&self.inner) {
            Ok(inner) => inner,
            Err(e) => {
                super::log(&format!("reaching the request handlers: {e}"));
                return close(client, &plain(503, "the server cannot answer now\n"));
            }
        };
        let _ = inner.set_read_timeout(Some(ANSWER_TIME));
        let _ = inner.set_write_timeout(Some(ANSWER_TIME));
        std::thread::scope(|scope| {
            // Written apart from the reading below: a handler may answer before it has
            // read the whole body.
            scope.spawn(|| {
                let _ = (&inner).write_all(request);
                let _ = inner.shutdown(Shutdown::Write);
            });
            let _ = copy_closing(&inner, &client);
            let _ = inner.shutdown(Shutdown::Both);
        });
        close(client, &[]);
    }
}

/// Answers a request that could not be read or is refused for its body, then closes.
fn refuse(stream: TcpStream, refusal: &Refusal, raw: &[u8], head: Option<&Head>) {
    let Some(status) = refusal.status() else { return };
    // A connection that sent nothing (a browser's spare one) is closed without a word.
    if !raw.is_empty() {
        super::log(&format!("refused {}: {}", head::log_line(raw, LOGGED_LINE), refusal.reason()));
    }
    let response = respond(status, TEXT, format!("{}\n", refusal.reason()).into_bytes());
    let bytes = match head {
        Some(head) => answer_bytes(response, head),
        None => print(response, false),
    };
    close(stream, &bytes)
}

fn plain(status: u16, text: &str) -> Vec<u8> {
    print(respond(status, TEXT, text.as_bytes().to_vec()), false)
}

fn answer_bytes(response: tiny_http::ResponseBox, head: &Head) -> Vec<u8> {
    print(response, head.method == "HEAD")
}

/// A response as bytes on the wire, announcing that the connection closes.
fn print(response: tiny_http::ResponseBox, head_only: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = response.raw_print(&mut out, tiny_http::HTTPVersion(1, 1), &[], head_only, None);
    match status_line_end(&out) {
        Some(end) => [&out[..end], CLOSE, &out[end..]].concat(),
        None => out,
    }
}

/// Said in every answer (tiny_http leaves out a `Connection` field it is given), so that a
/// browser does not send its next request on a connection that is closing.
const CLOSE: &[u8] = b"Connection: close\r\n";

/// Where the status line of an answer ends (after its CRLF).
fn status_line_end(answer: &[u8]) -> Option<usize> {
    answer.windows(2).position(|w| w == b"\r\n").map(|at| at + 2)
}

/// Copies tiny_http's answer to the client, with [`CLOSE`] after its status line.
fn copy_closing(inner: &UnixStream, client: &TcpStream) -> io::Result<u64> {
    let (mut from, mut to) = (inner, client);
    let mut start = Vec::new();
    let mut chunk = [0u8; 1024];
    while status_line_end(&start).is_none() && start.len() < 4096 {
        match from.read(&mut chunk)? {
            0 => break,
            n => start.extend_from_slice(&chunk[..n]),
        }
    }
    match status_line_end(&start) {
        Some(end) => to.write_all(&[&start[..end], CLOSE, &start[end..]].concat())?,
        None => to.write_all(&start)?,
    }
    io::copy(&mut from, &mut to)
}

/// Sends `answer`, then closes: no more is read from the client than what is discarded
/// while it reads the answer (bounded in time and bytes).
fn close(stream: TcpStream, answer: &[u8]) {
    if (&stream).write_all(answer).is_err() || stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let mut sink = [0u8; 8192];
    let (mut left, mut timed) = (LINGER_BYTES, Timed::new(&stream, LINGER_TIME));
    while left > 0 {
        match timed.read(&mut sink[..left.min(8192)]) {
            Ok(0) | Err(_) => break,
            Ok(n) => left -= n,
        }
    }
}

/// Reads from a connection until a deadline, however the reads are spread out.
struct Timed<'s> {
    stream: &'s TcpStream,
    deadline: Instant,
}

impl<'s> Timed<'s> {
    fn new(stream: &'s TcpStream, within: Duration) -> Timed<'s> {
        Timed { stream, deadline: Instant::now() + within }
    }
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        (&*self.stream).read(buf)
    }
}
