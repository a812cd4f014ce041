//! Helpers shared by the end-to-end tests: running the `runglass` binary with a private
//! data directory, finding its receipts, and waiting for a started command.

#![allow(dead_code)]

pub mod dns_server;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn runglass(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runglass"));
    cmd.env("RUNGLASS_DATA_HOME", data);
    // Receipts must not depend on whether this machine runs a Docker engine; the docker
    // tests point this at their own.
    cmd.env("DOCKER_HOST", "unix:///nonexistent/runglass-tests/docker.sock");
    // Nor on the CI they run in: `ci` and `github` read these; their tests set their own.
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if ["GITHUB_", "GITLAB_", "CI_"].iter().any(|p| name_text.starts_with(p)) {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// The receipt directories, oldest first.
pub fn receipts(data: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(data.join("receipts")) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = read.map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs
}

/// `runglass run [ARGS] -- sh -c SCRIPT` in `work`.
pub fn run_script(data: &Path, work: &Path, args: &[&str], script: &str) -> Output {
    runglass(data).current_dir(work).arg("run").args(args).args(["--", "sh", "-c", script]).output().unwrap()
}

/// The receipt JSON of the newest receipt.
pub fn latest_json(data: &Path) -> serde_json::Value {
    let out = runglass(data).args(["report", "latest", "--print-json"]).output().unwrap();
    assert!(out.status.success(), "report failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts `runglass ARGS... -- sh -c SCRIPT` in `work` and waits until the script has
/// created `work/started`.
pub fn spawn_started(data: &Path, work: &Path, args: &[&str], script: &str) -> std::process::Child {
    let child = runglass(data).current_dir(work).args(args).args(["--", "sh", "-c", script]).spawn().unwrap();
    wait_for(&work.join("started"), Duration::from_secs(10));
    child
}

pub fn wait_for(path: &Path, within: Duration) {
    let deadline = Instant::now() + within;
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} did not appear", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The file change for `path` in a receipt's JSON.
pub fn change<'a>(receipt: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    receipt["files"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("no change for {path} in {:#}", receipt["files"]["changes"]))
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running `runglass open ARGS --no-browser --port 0`, killed when dropped.
pub struct Opened {
    child: Child,
    /// The URL it printed.
    pub url: String,
}

pub fn open_server(data: &Path, args: &[&str]) -> Opened {
    let mut child = runglass(data)
        .arg("open")
        .args(args)
        .args(["--no-browser", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
    Opened { child, url: url.trim().to_string() }
}

impl Drop for Opened {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command line of the process a receipt row (a file actor, a peer, a listener...)
/// refers to, resolved as `Receipt::command_of` does: its `process` entry and `exec`.
#[allow(dead_code)]
pub fn command_of(receipt: &serde_json::Value, row: &serde_json::Value) -> serde_json::Value {
    let parsed = runglass_model::receipt_json::parse(receipt.to_string().as_bytes()).expect("a receipt");
    let process = row["process"].as_u64().unwrap_or_else(|| panic!("a row with a process: {row}")) as u32;
    let exec = row["exec"].as_u64().map(|e| e as u32);
    let argv = parsed.command_of(process, exec);
    serde_json::Value::Array(argv.iter().map(|a| serde_json::Value::String(a.to_string_lossy().into_owned())).collect())
}
