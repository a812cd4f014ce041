//! The whole path of one connection to `runglass open`'s server: any bytes a local
//! process can send, read by the front door's request reader, passed on to tiny_http as
//! the front door does, and sent to a real `runglass open` whose store holds a receipt.
//!
//! Input: the bytes of one connection. `{token}`, `{host}` and `{id}` in them are replaced
//! by the server's token, `127.0.0.1:PORT` and the receipt's id, so that the fuzzer gets
//! past the guard into every route (the seeds use them).
//!
//! A bug is, in this process:
//! - a panic in the reader (`cli/src/serve/head.rs`, compiled in), or reading more than
//!   `MAX_HEAD` plus one read before a head is refused;
//! - a head let through whose request tiny_http reads otherwise: method, target, version,
//!   fields or body of the request passed on differ from what the reader parsed;
//! and in the real server (the CLI binary, `RUNGLASS_BIN` or `target/debug/runglass` of
//! the workspace; built by `run-all.sh`):
//! - it ends, or does not answer within 5 s;
//! - its peak resident size grows by more than 128 MiB;
//! - every 64 inputs: the user's own request for the index is not answered 200, or its
//!   stderr holds a raw control byte (what came from the network must be escaped).

#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

#[path = "../../cli/src/serve/head.rs"]
mod head;

/// Growth of the server's peak resident size that counts as a bug.
const GROWTH_KB: u64 = 128 * 1024;

/// A real `runglass open` over a store with one receipt, for the whole run.
struct Real {
    child: Child,
    port: u16,
    token: String,
    id: String,
    receipt: PathBuf,
    /// A copy of the store as it was, put back when a request deletes the receipt.
    pristine: PathBuf,
    data: PathBuf,
    stderr: PathBuf,
    baseline_kb: u64,
    inputs: u64,
    _dirs: tempfile::TempDir,
}

/// tiny_http on a private Unix socket, as the CLI runs it behind the front door.
struct Inner {
    http: tiny_http::Server,
    socket: String,
    _file: std::fs::File,
}

fn runglass() -> PathBuf {
    std::env::var_os("RUNGLASS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/runglass"))
}

impl Real {
    fn start() -> Real {
        let bin = runglass();
        assert!(
            bin.exists(),
            "{} is missing: build it (`cargo build -p runglass-cli`) or set RUNGLASS_BIN",
            bin.display()
        );
        let dirs = tempfile::tempdir().unwrap();
        let (data, work) = (dirs.path().join("data"), dirs.path().join("work"));
        std::fs::create_dir_all(&work).unwrap();
        let ran = Command::new(&bin)
            .env("RUNGLASS_DATA_HOME", &data)
            .current_dir(&work)
            .args(["run", "--", "sh", "-c", "echo one > one.txt; echo out; echo err >&2"])
            .output()
            .unwrap();
        assert!(ran.status.success(), "runglass run: {}", String::from_utf8_lossy(&ran.stderr));
        let receipt = std::fs::read_dir(data.join("receipts")).unwrap().next().unwrap().unwrap().path();
        let id = receipt.file_name().unwrap().to_string_lossy().into_owned();
        let pristine = dirs.path().join("pristine");
        copy_dir(&data, &pristine);
        let stderr = dirs.path().join("open.stderr");
        let mut command = Command::new(&bin);
        command
            .env("RUNGLASS_DATA_HOME", &data)
            .args(["open", "--no-browser", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        // SAFETY: prctl is async-signal-safe; the server must not outlive the fuzzer.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().unwrap();
        let mut url = String::new();
        let mut out = child.stdout.take().unwrap();
        let mut byte = [0u8];
        while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            url.push(byte[0] as char);
        }
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("not a loopback URL: {url:?}"));
        let (port, path) = rest.split_once('/').unwrap();
        let mut real = Real {
            child,
            port: port.parse().unwrap(),
            token: path.trim_end_matches('/').to_string(),
            id,
            receipt,
            pristine,
            data,
            stderr,
            baseline_kb: 0,
            inputs: 0,
            _dirs: dirs,
        };
        real.check_health();
        real.baseline_kb = real.peak_kb();
        real
    }

    fn substitute(&self, data: &[u8]) -> Vec<u8> {
        let host = format!("127.0.0.1:{}", self.port);
        let mut out = data.to_vec();
        for (from, to) in [("{token}", self.token.as_str()), ("{host}", &host), ("{id}", &self.id)] {
            out = replace(&out, from.as_bytes(), to.as_bytes());
        }
        out
    }

    /// Sends one connection's bytes and reads the answer to its end.
    fn send(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the server accepts connections");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(bytes);
        let _ = stream.shutdown(Shutdown::Write);
        let mut reply = Vec::new();
        match stream.read_to_end(&mut reply) {
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                panic!("no answer within 5 s to {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]))
            }
            _ => {}
        }
        reply
    }

    fn after(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "the server ended: {status}; stderr: {}",
                String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap())
            );
        }
        if !self.receipt.exists() {
            copy_dir(&self.pristine, &self.data);
        }
        let peak = self.peak_kb();
        assert!(
            peak <= self.baseline_kb + GROWTH_KB,
            "the server's peak grew from {} kB to {peak} kB",
            self.baseline_kb
        );
        self.inputs += 1;
        if self.inputs % 64 == 0 {
            self.check_health();
        }
    }

    fn check_health(&mut self) {
        let request =
            format!("GET /{}/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", self.token, self.port);
        let reply = self.send(request.as_bytes());
        assert!(reply.starts_with(b"HTTP/1.1 200 "), "the index: {}", String::from_utf8_lossy(&reply));
        let log = std::fs::read(&self.stderr).unwrap();
        if let Some(at) = log.iter().position(|&b| (b < 0x20 && b != b'\n') || b == 0x7f) {
            panic!(
                "a raw control byte in the server's log: {}",
                String::from_utf8_lossy(&log[at.saturating_sub(200)..])
            );
        }
    }

    fn peak_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Inner {
    fn start() -> Inner {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let file = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_PATH).open(&path).unwrap()
        };
        let http = tiny_http::Server::from_listener(listener, None).unwrap();
        Inner { http, socket: format!("/proc/self/fd/{}", file.as_raw_fd()), _file: file }
    }

    /// Passes `forwarded` to tiny_http and checks it reads `head` and `body` from it.
    fn check(&self, head: &head::Head, forwarded: &[u8], body: &[u8]) {
        let mut stream = std::os::unix::net::UnixStream::connect(&self.socket).unwrap();
        stream.write_all(forwarded).unwrap();
        let _ = stream.shutdown(Shutdown::Write);
        let mut request = self
            .http
            .recv_timeout(Duration::from_secs(5))
            .unwrap()
            .unwrap_or_else(|| panic!("tiny_http read no request from {:?}", String::from_utf8_lossy(forwarded)));
        assert_eq!(request.method().to_string(), head.method);
        assert_eq!(request.url(), head.target);
        let version = request.http_version();
        assert_eq!(format!("HTTP/{}.{}", version.0, version.1), head.version);
        let read: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|h| (h.field.as_str().as_str().to_string(), h.value.as_str().to_string()))
            .collect();
        let hop = [
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "te",
            "upgrade",
            "expect",
            "content-length",
        ];
        let mut expected: Vec<(String, String)> =
            head.headers.iter().filter(|(n, _)| !hop.contains(&n.to_ascii_lowercase().as_str())).cloned().collect();
        expected.push(("Content-Length".into(), body.len().to_string()));
        expected.push(("Connection".into(), "close".into()));
        assert_eq!(read, expected, "tiny_http reads other fields");
        let mut got = Vec::new();
        request.as_reader().read_to_end(&mut got).unwrap();
        assert_eq!(got, body, "tiny_http reads another body");
        let _ = request.respond(tiny_http::Response::empty(204));
    }
}

/// A reader that hands out `data` a few bytes at a time, counting what it gave.
struct Trickle<'d> {
    data: &'d [u8],
    step: usize,
    given: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.given += n;
        Ok(n)
    }
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

static REAL: OnceLock<Mutex<Real>> = OnceLock::new();
static INNER: OnceLock<Inner> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut real = REAL.get_or_init(|| Mutex::new(Real::start())).lock().unwrap_or_else(|e| e.into_inner());
    let bytes = real.substitute(data);

    // The front door's reader, in this process.
    let step = 1 + bytes.iter().map(|&b| b as usize).sum::<usize>() % 1500;
    let mut source = Trickle { data: &bytes, step, given: 0 };
    let mut raw = Vec::new();
    let read = head::read_head(&mut source, &mut raw);
    assert!(source.given <= head::MAX_HEAD + 4096, "read {} bytes of a head", source.given);
    let line = head::log_line(&raw, 200);
    assert!(!line.bytes().any(|b| b < 0x20 || b == 0x7f), "a control byte in the logged line {line:?}");
    if let Err(refusal) = &read {
        assert!(refusal.status().is_some() || *refusal == head::Refusal::Gone, "{refusal:?}");
        assert!(!refusal.reason().is_empty());
    }
    if let Ok(h) = &read {
        assert!(h.len <= head::MAX_HEAD);
        let _ = h.header("Host");
        if let Ok(length) = h.body {
            assert!(length <= head::MAX_BODY);
            if let Ok(body) = head::read_body(&mut source, &raw[h.len..], length) {
                let forwarded = h.forward(&body);
                let again = head::parse(&forwarded[..forwarded.len() - body.len()]).expect("what is passed on parses");
                assert_eq!((&again.method, &again.target, again.version), (&h.method, &h.target, h.version));
                assert_eq!(again.body, Ok(body.len()));
                INNER.get_or_init(Inner::start).check(h, &forwarded, &body);
            }
        }
    }

    // The real server, over TCP.
    real.send(&bytes);
    real.after();
});
