//! Non-blocking connects (curl, pip, browsers make them) end to end: each peer row of a
//! deep receipt carries the connect's real result, learnt after connect(2) returned
//! EINPROGRESS: connected, refused, or still pending when its process ended.

#[path = "common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;

use common::{latest_json, runglass, stderr};
use serde_json::{Value, json};

/// A real executable, not a version manager's shim script.
const PYTHON: &str = "/usr/bin/python3";

fn on_path(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_deep(data: &Path, work: &Path, command: &[&str]) -> Output {
    runglass(data).current_dir(work).args(["run", "--deep", "--"]).args(command).output().unwrap()
}

/// The outbound rows to 127.0.0.1:`port`.
fn peers_at(receipt: &Value, port: u16) -> Vec<Value> {
    let rows = receipt["network"]["outbound"].as_array().unwrap();
    rows.iter().filter(|p| p["address"] == "127.0.0.1" && p["port"] == port).cloned().collect()
}

fn timeline_texts(receipt: &Value) -> Vec<String> {
    receipt["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn curl_to_a_closed_port_is_refused_and_to_a_server_connected() {
    if !on_path("curl") {
        eprintln!("SKIP connect_results: curl is not installed");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // The issue's reproduction: curl exits 7, and the receipt must say refused.
    let out = run_deep(data.path(), work.path(), &["curl", "-sS", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let receipt = latest_json(data.path());
    let rows = peers_at(&receipt, 1);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["result"], "refused", "{:#}", rows[0]);
    assert_eq!(rows[0]["protocol"], "tcp");
    let texts = timeline_texts(&receipt);
    assert!(texts.iter().any(|t| t == "connect 127.0.0.1:1: failed (ECONNREFUSED)"), "{texts:#?}");
    let report = runglass(data.path()).args(["report", "latest"]).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(text.contains("refused") && !text.contains("in progress"), "{text}");

    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = conn.read(&mut request);
        conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n").unwrap();
    });
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let out = run_deep(data.path(), work.path(), &["curl", "-sS", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serving.join().unwrap();
    let receipt = latest_json(data.path());
    let rows = peers_at(&receipt, port);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["result"], "connected", "{:#}", rows[0]);
    let texts = timeline_texts(&receipt);
    assert!(texts.iter().any(|t| t == &format!("connect 127.0.0.1:{port}: connected")), "{texts:#?}");
}

/// Python's non-blocking sockets: a refused connect whose error the program reads, and one
/// that is still connecting when the program exits (its listener, with a backlog of 0,
/// already holds a connection and drops further SYNs).
const NONBLOCKING_PY: &str = r#"import select, socket, sys

closed = socket.socket(); closed.bind(("127.0.0.1", 0)); port = closed.getsockname()[1]; closed.close()
s = socket.socket(); s.setblocking(False)
assert s.connect_ex(("127.0.0.1", port)) == 115
select.select([], [s], [], 5)
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 111, "the program reads its own error"
print(port)

full = socket.socket(); full.bind(("127.0.0.1", 0)); full.listen(0); port = full.getsockname()[1]
first = socket.create_connection(("127.0.0.1", port))
late = socket.socket(); late.setblocking(False)
assert late.connect_ex(("127.0.0.1", port)) == 115
assert select.select([], [late], [], 0.1)[1] == [], "still connecting"
print(port)
"#;

#[test]
fn python_non_blocking_connects_are_refused_or_still_pending_when_it_exits() {
    if !Path::new(PYTHON).exists() {
        eprintln!("SKIP connect_results: {PYTHON} is missing");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run_deep(data.path(), work.path(), &[PYTHON, "-c", NONBLOCKING_PY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ports: Vec<u16> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.parse().unwrap()).collect();
    let [refused, full] = ports[..] else { panic!("two ports: {ports:?}") };
    let receipt = latest_json(data.path());
    let rows = peers_at(&receipt, refused);
    assert_eq!((rows.len(), &rows[0]["result"]), (1, &json!("refused")), "{rows:#?}");
    // One row for the two connects to the full listener: the last one is still pending.
    let rows = peers_at(&receipt, full);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!((rows[0]["count"].as_u64(), &rows[0]["result"]), (Some(2), &json!("pending")), "{:#}", rows[0]);
    let texts = timeline_texts(&receipt);
    let pending = format!("connect 127.0.0.1:{full}: still pending when its process ended or tracing stopped");
    assert!(texts.contains(&pending), "{texts:#?}");
}
