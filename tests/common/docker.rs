//! A private Docker engine for the docker tests: Debian's dockerd on its own socket and
//! data root under the target directory, started once per test binary, and a tiny image
//! made offline from busybox-static.
//!
//! dockerd runs under a `sh` minder whose stdin is a pipe from the test binary: when the
//! binary exits, however it exits, the pipe closes and the minder stops dockerd and
//! removes its data. A minder left by a killed earlier run is stopped through its pidfile.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// A running private engine.
pub struct Engine {
    dir: PathBuf,
    /// Keeps the minder's stdin open for the life of the test binary.
    _minder: Mutex<Child>,
    /// Receipts compare the whole engine, so tests that change it take turns.
    turn: Mutex<()>,
}

impl Engine {
    /// `unix://...` for DOCKER_HOST.
    pub fn host(&self) -> String {
        format!("unix://{}", self.dir.join("docker.sock").display())
    }

    /// `docker ARGS` against this engine; panics with its stderr when it fails.
    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker").env("DOCKER_HOST", self.host()).args(args).output().unwrap();
        assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Exclusive use of the engine for one test.
    pub fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A tar of a root filesystem holding busybox as /bin/busybox, sh and sleep.
    pub fn rootfs_tar(&self) -> PathBuf {
        let root = self.dir.join("rootfs");
        let tar = self.dir.join("rootfs.tar");
        if !tar.exists() {
            std::fs::create_dir_all(root.join("bin")).unwrap();
            std::fs::copy(busybox().unwrap(), root.join("bin/busybox")).unwrap();
            for applet in ["sh", "sleep", "true"] {
                symlink("busybox", root.join("bin").join(applet)).unwrap();
            }
            let status = Command::new("tar").arg("-C").arg(&root).arg("-cf").arg(&tar).arg(".").status().unwrap();
            assert!(status.success(), "tar of the root filesystem failed");
        }
        tar
    }
}

/// The shared engine, or why there is none (the caller prints "skipping: ...").
pub fn engine() -> Result<&'static Engine, &'static str> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE.get_or_init(start).as_ref().map_err(String::as_str)
}

fn busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"].into_iter().map(PathBuf::from).find(|p| p.exists())
}

fn on_path(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

fn start() -> Result<Engine, String> {
    for program in ["dockerd", "docker"] {
        if !on_path(program) {
            return Err(format!("{program} is not installed (apt-get install docker.io)"));
        }
    }
    if busybox().is_none() {
        return Err("busybox is not installed (apt-get install busybox-static)".into());
    }
    // Short and fixed per target directory: a unix socket path must fit in 108 bytes, and
    // the next run must find a stale pidfile.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dockerd");
    stop_stale(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let d = dir.display();
    let script = format!(
        "echo $$ > {d}/minder.pid
         dockerd --host unix://{d}/docker.sock --data-root {d}/data --exec-root {d}/exec --pidfile {d}/docker.pid \
           --iptables=false --ip6tables=false --bridge=none >{d}/dockerd.log 2>&1 &
         engine=$!
         read _
         kill $engine; wait $engine; rm -rf {d}/data {d}/exec"
    );
    let minder = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting dockerd: {e}"))?;
    let engine = Engine { dir: dir.clone(), _minder: Mutex::new(minder), turn: Mutex::new(()) };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = Command::new("docker").env("DOCKER_HOST", engine.host()).arg("info").output();
        if info.is_ok_and(|o| o.status.success()) {
            return Ok(engine);
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            return Err(format!("dockerd did not answer within 30 s: {}", tail.join(" | ")));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Stops the engine of an earlier run that was killed before its minder could: the
/// minder first (so it does not wait on), then dockerd, waiting until it is gone.
fn stop_stale(dir: &Path) {
    for pidfile in ["minder.pid", "docker.pid"] {
        let Ok(pid) = std::fs::read_to_string(dir.join(pidfile)) else { continue };
        let pid = pid.trim();
        // Only a process of this directory's engine: the pid may have been reused since.
        let cmdline = std::fs::read(Path::new("/proc").join(pid).join("cmdline")).unwrap_or_default();
        let ours = dir.to_str().is_some_and(|d| cmdline.windows(d.len()).any(|w| w == d.as_bytes()));
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || !ours {
            continue;
        }
        let _ = Command::new("kill").arg(pid).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Path::new("/proc").join(pid).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
