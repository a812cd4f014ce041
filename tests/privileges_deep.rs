//! setuid, setgid and file-capability programs under `run --deep`: run by a user without
//! CAP_SYS_PTRACE they lose their privileges (the kernel's rule for traced execs), and the
//! receipt names each one in `observation.limits` and `observation.privileges_dropped`,
//! with one line on runglass's stderr; run by root they keep them, and nothing is said.
//!
//! The programs are copies of the `privileged_probe` fixture made setuid root, setgid root
//! and `cap_net_raw+ep` (setcap, from libcap2-bin), in a directory `nobody` can reach. Making
//! them needs root: without it the tests say so and do nothing.

#[path = "common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A world-reachable directory holding the probes, a data directory and a working
/// directory that `nobody` may write.
struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    work: PathBuf,
    runglass: PathBuf,
}

impl Setup {
    /// None when not root (setuid-root files and file capabilities cannot be made).
    fn new() -> Option<Setup> {
        if std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).ok() != Some(0) {
            eprintln!("skipped: making setuid-root and file-capability programs needs root");
            return None;
        }
        let dir = tempfile::Builder::new().prefix("runglass-privileges-").tempdir_in("/tmp").unwrap();
        let root = dir.path().canonicalize().unwrap();
        chmod(&root, 0o755);
        let probe = runglass_fixtures::path("privileged_probe");
        for (name, mode) in
            [("probe-setuid", 0o4755), ("probe-setgid", 0o2755), ("probe-cap", 0o755), ("probe-plain", 0o755)]
        {
            let to = root.join(name);
            std::fs::copy(&probe, &to).unwrap();
            std::os::unix::fs::chown(&to, Some(0), Some(0)).unwrap();
            chmod(&to, mode);
        }
        let setcap = Command::new("setcap").arg("cap_net_raw+ep").arg(root.join("probe-cap")).output();
        let setcap = setcap.expect("setcap (libcap2-bin) is installed: tests/run-all.sh installs it");
        assert!(setcap.status.success(), "setcap: {}", common::stderr(&setcap));
        let (data, work) = (root.join("data"), root.join("work"));
        for d in [&data, &work] {
            std::fs::create_dir(d).unwrap();
            chmod(d, 0o777);
        }
        // The binary, where nobody can run it (the build tree may sit under /root).
        let runglass = root.join("runglass");
        std::fs::copy(env!("CARGO_BIN_EXE_runglass"), &runglass).unwrap();
        chmod(&runglass, 0o755);
        Some(Setup { _dir: dir, root, data, work, runglass })
    }

    fn probe(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_string()
    }

    /// `runglass run --deep -- sh -c SCRIPT` as `nobody`, or as root.
    fn run_deep(&self, as_nobody: bool, script: &str) -> Output {
        let mut cmd = if as_nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]).arg(&self.runglass);
            c
        } else {
            Command::new(&self.runglass)
        };
        cmd.current_dir(&self.work)
            .env("RUNGLASS_DATA_HOME", &self.data)
            .env("RUNGLASS_NO_PTY", "1")
            .env("DOCKER_HOST", "unix:///nonexistent/runglass-tests/docker.sock")
            .args(["run", "--deep", "--", "sh", "-c", script]);
        cmd.output().unwrap()
    }

    fn receipt(&self) -> Value {
        let dirs = common::receipts(&self.data);
        let last = dirs.last().expect("a receipt");
        serde_json::from_slice(&std::fs::read(last.join("receipt.json")).unwrap()).unwrap()
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The probe's report lines (`euid 0`, `raw_socket -1`) for the program at `path`, in the
/// order they were printed: each probe run is preceded by `== path` in the scripts.
fn probe_reports(stdout: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(stdout);
    let mut reports = Vec::new();
    for block in text.split("== ").skip(1) {
        let (name, rest) = block.split_once('\n').unwrap();
        reports.push((name.to_string(), rest.trim().replace('\n', " ")));
    }
    reports
}

fn limits(receipt: &Value) -> Vec<String> {
    receipt["observation"]["limits"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
}

#[test]
fn programs_that_lose_setuid_setgid_or_capabilities_under_deep_as_a_user_are_named_in_the_receipt_and_on_stderr() {
    let Some(s) = Setup::new() else { return };
    let (setuid, setgid, cap, plain) =
        (s.probe("probe-setuid"), s.probe("probe-setgid"), s.probe("probe-cap"), s.probe("probe-plain"));
    // Untraced, nobody gets what the files grant.
    let untraced = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "sh", "-c"])
        .arg(format!("echo == setuid; {setuid}; echo == cap; {cap}"))
        .output()
        .unwrap();
    let untraced = probe_reports(&untraced.stdout);
    assert_eq!(untraced[0].1, "euid 0 egid 65534 raw_socket 0", "{untraced:?}");
    assert_eq!(untraced[1].1, "euid 65534 egid 65534 raw_socket 0", "{untraced:?}");

    let script = format!(
        "echo == setuid; {setuid}; echo == setuid; {setuid}; echo == setgid; {setgid}; echo == cap; {cap}; \
         echo == plain; {plain}"
    );
    let out = s.run_deep(true, &script);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Traced, they run as nobody: that is the loss the receipt must own up to.
    let eperm = format!("raw_socket -{}", libc_eperm());
    let reports = probe_reports(&out.stdout);
    let names: Vec<&str> = reports.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["setuid", "setuid", "setgid", "cap", "plain"], "{reports:?}");
    for (name, report) in &reports {
        assert_eq!(report, &format!("euid 65534 egid 65534 {eperm}"), "{name}");
    }

    let receipt = s.receipt();
    let processes = receipt["processes"].as_array().unwrap();
    let dropped = receipt["observation"]["privileges_dropped"].as_array().unwrap();
    let paths: Vec<&str> = dropped.iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [&setuid, &setuid, &setgid, &cap], "{dropped:#?}");
    let lost: Vec<(Value, Value, Value)> =
        dropped.iter().map(|d| (d["setuid"].clone(), d["setgid"].clone(), d["capabilities"].clone())).collect();
    let none = Value::Null;
    assert_eq!(lost[0], (0.into(), none.clone(), serde_json::json!([])));
    assert_eq!(lost[2], (none.clone(), 0.into(), serde_json::json!([])));
    assert_eq!(lost[3], (none, Value::Null, serde_json::json!(["cap_net_raw"])));
    let limits = limits(&receipt);
    for d in dropped {
        assert_eq!((d["euid"].as_u64(), d["egid"].as_u64()), (Some(65534), Some(65534)), "{d:#}");
        // The entry names the process that ran the program: its pid, its entry, its exec.
        let index = d["process"].as_u64().unwrap() as usize;
        let process = &processes[index];
        assert_eq!(process["pid"], d["pid"], "{d:#}");
        let exec = &process["execs"][d["exec"].as_u64().unwrap() as usize];
        assert_eq!(exec["argv"][0], d["path"], "{exec:#}");
        let named = format!(
            "pid {} (process {index}, exec {}: {}) ran {} without its privileges (",
            d["pid"],
            d["exec"],
            d["path"].as_str().unwrap(),
            d["path"].as_str().unwrap()
        );
        assert_eq!(limits.iter().filter(|l| l.starts_with(&named)).count(), 1, "{named}\n{limits:#?}");
    }
    assert!(limits.iter().any(|l| l.contains("(setuid to uid 0)")), "{limits:#?}");
    assert!(limits.iter().any(|l| l.contains("(setgid to gid 0)")), "{limits:#?}");
    assert!(limits.iter().any(|l| l.contains("(capabilities cap_net_raw)")), "{limits:#?}");
    assert!(!limits.iter().any(|l| l.contains(&plain)), "a plain program grants nothing: {limits:#?}");

    // One line per program on runglass's stderr, never in the command's output.
    for (path, what, more) in [
        (&setuid, "setuid to uid 0", " and 1 more"),
        (&setgid, "setgid to gid 0", ""),
        (&cap, "capabilities cap_net_raw", ""),
    ] {
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&format!("{path} ran without"))).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with(&format!("runglass: {path} ran without its privileges ({what}) in pid ")),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains(&format!("{more}: traced programs")), "{}", lines[0]);
    }
    assert!(!stderr.contains(&format!("{plain} ran without")), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("without its privileges"));
}

#[test]
fn as_root_setuid_and_capability_programs_keep_their_privileges_under_deep_and_nothing_is_said() {
    let Some(s) = Setup::new() else { return };
    let (setuid, cap) = (s.probe("probe-setuid"), s.probe("probe-cap"));
    // A setuid-nobody program run by root, and root's tracees run as nobody: the kernel
    // grants each what its file says, because runglass as root may trace privileged execs.
    let to_nobody = s.probe("probe-plain");
    std::os::unix::fs::chown(&to_nobody, Some(65534), Some(65534)).unwrap();
    chmod(Path::new(&to_nobody), 0o6755);
    let as_nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups --";
    // A process that sets no_new_privs itself loses them untraced too: not the trace's doing.
    let nnp = "setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs --";
    let script = format!(
        "echo == to-nobody; {to_nobody}; echo == setuid; {as_nobody} {setuid}; echo == cap; {as_nobody} {cap}; \
         echo == nnp; {nnp} {setuid}"
    );
    let out = s.run_deep(false, &script);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let reports = probe_reports(&out.stdout);
    let eperm = format!("raw_socket -{}", libc_eperm());
    assert_eq!(
        reports,
        [
            // Its real uid stays 0: permitted capabilities but no effective ones.
            ("to-nobody".to_string(), format!("euid 65534 egid 65534 {eperm}")),
            ("setuid".to_string(), "euid 0 egid 65534 raw_socket 0".to_string()),
            ("cap".to_string(), "euid 65534 egid 65534 raw_socket 0".to_string()),
            ("nnp".to_string(), format!("euid 65534 egid 65534 {eperm}")),
        ]
    );
    let receipt = s.receipt();
    assert_eq!(receipt["observation"]["privileges_dropped"], serde_json::json!([]));
    assert!(!limits(&receipt).iter().any(|l| l.contains("without its privileges")), "{:#?}", limits(&receipt));
    assert!(!stderr.contains("without its privileges"), "{stderr}");
}

/// EPERM's number (Linux: 1).
fn libc_eperm() -> i32 {
    1
}
