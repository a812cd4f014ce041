//! `runglass doctor`: what runglass can do on this machine, each check one line, with
//! the fix when something is missing. strace is not needed and not checked.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::record::deep;
use crate::store;

enum Level {
    Ok,
    Warn,
    Fail,
}

struct Check {
    level: Level,
    name: &'static str,
    text: String,
}

pub fn run() -> anyhow::Result<u8> {
    let checks = [kernel(), deep_mode(), proc_fs(), hand_off(), data_dir(), snapshot_cap(), docker(), git()];
    let mut failed = false;
    for c in &checks {
        let tag = match c.level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => {
                failed = true;
                "FAIL"
            }
        };
        println!("{tag}  {:<13} {}", c.name, c.text);
    }
    Ok(u8::from(failed))
}

fn check(level: Level, name: &'static str, text: impl Into<String>) -> Check {
    Check { level, name, text: text.into() }
}

fn kernel() -> Check {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let arch = std::env::consts::ARCH;
    check(Level::Ok, "kernel", format!("Linux {} on {arch}", release.trim()))
}

/// Runs `true` under the engine: ptrace and seccomp both work, or the error says why.
fn deep_mode() -> Check {
    match deep::probe() {
        Ok(()) => check(Level::Ok, "deep mode", "ptrace and seccomp work (run --deep)"),
        Err(e) => check(Level::Warn, "deep mode", format!("unavailable: {e:#}; normal mode still works")),
    }
}

fn proc_fs() -> Check {
    let me = std::process::id();
    let children = PathBuf::from(format!("/proc/{me}/task/{me}/children"));
    match procfs::process::Process::myself().and_then(|p| p.stat()) {
        Err(e) => check(Level::Fail, "/proc", format!("cannot read /proc ({e}); mount procfs")),
        Ok(_) if children.exists() => check(Level::Ok, "/proc", "readable, with task children lists (normal mode)"),
        Ok(_) => check(Level::Ok, "/proc", "readable; no task children lists, normal mode scans all of /proc (slower)"),
    }
}

fn hand_off() -> Check {
    match runglass_tracer::can_attach_non_descendants() {
        Ok(()) => check(Level::Ok, "daemons", "processes outliving a deep run are handed to a background tracer"),
        Err(why) => check(Level::Warn, "daemons", format!("{why}: runglass waits for processes outliving a deep run")),
    }
}

fn data_dir() -> Check {
    let dir = match store::data_dir() {
        Ok(d) => d,
        Err(e) => return check(Level::Fail, "data dir", format!("{e:#}")),
    };
    let probe = std::fs::create_dir_all(&dir).and_then(|()| tempfile::tempfile_in(&dir).map(drop));
    match probe {
        Ok(()) => check(Level::Ok, "data dir", format!("{} is writable", dir.display())),
        Err(e) => check(Level::Fail, "data dir", format!("{} is not writable ({e}); set RUNGLASS_DATA_HOME", dir.display())),
    }
}

fn snapshot_cap() -> Check {
    match crate::collect::snapshot::cap_from_env() {
        Ok(cap) => check(Level::Ok, "snapshot cap", format!("{cap} bytes per file (RUNGLASS_MAX_SNAPSHOT_BYTES)")),
        Err(e) => check(Level::Fail, "snapshot cap", format!("{e:#}")),
    }
}

/// Asks the Docker engine's API for `/_ping` over its unix socket.
fn docker() -> Check {
    let host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let Some(path) = host.strip_prefix("unix://") else {
        return check(Level::Warn, "docker", format!("DOCKER_HOST={host} is not a unix socket; not checked"));
    };
    let ping = || -> std::io::Result<String> {
        let mut s = UnixStream::connect(path)?;
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")?;
        let mut reply = String::new();
        s.take(4096).read_to_string(&mut reply)?;
        Ok(reply)
    };
    match ping() {
        Ok(reply) if reply.starts_with("HTTP/1.") && reply.contains(" 200 ") => {
            check(Level::Ok, "docker", format!("engine reachable at {path}"))
        }
        Ok(_) => check(Level::Warn, "docker", format!("{path} answered, but not like a Docker engine")),
        Err(e) => check(Level::Warn, "docker", format!("no engine at {path} ({e}); receipts will say so")),
    }
}

fn git() -> Check {
    match std::process::Command::new("git").arg("--version").output() {
        Ok(out) if out.status.success() => {
            check(Level::Ok, "git", String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => check(Level::Warn, "git", "not found: receipts will not record the repository's commit and branch"),
    }
}
