//! `runglass trace` end to end: the real binary on real commands.

use std::process::{Command, Output};

use runglass_model::{Event, EventKind, ExitStatus};

fn runglass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runglass"))
}

fn fixture(name: &str) -> std::path::PathBuf {
    runglass_fixtures::path(name)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn trace_ls_prints_the_exec_and_exits_with_its_status() {
    let out = runglass().args(["trace", "--", "ls", "/"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.lines().any(|l| l.contains("exec \"") && l.contains("[\"ls\", \"/\"]") && l.ends_with("= 0")), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).lines().any(|l| l == "etc"), "the command's own output is untouched");
}

#[test]
fn json_lines_go_to_the_output_file_and_parse() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let target = dir.path().join("made");
    let script = format!("echo hi > '{}'; exit 3", target.display());
    let out =
        runglass().args(["trace", "--json", "-o"]).arg(&events).args(["--", "sh", "-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).is_empty(), "with -o nothing goes to stderr: {}", stderr(&out));
    let text = std::fs::read_to_string(&events).unwrap();
    let parsed: Vec<Event> = text.lines().map(|l| serde_json::from_str(l).expect("each line is one event")).collect();
    let made = target.into_os_string().into_encoded_bytes();
    assert!(parsed.iter().any(|e| matches!(&e.kind, EventKind::Open { path, .. } if path.0 == made)));
    assert!(matches!(parsed.last().unwrap().kind, EventKind::Exit { status: ExitStatus::Code(3) }));
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_n() {
    let out = runglass().args(["trace", "--"]).arg(fixture("kill_self")).output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert!(stderr(&out).contains("killed by SIGTERM"));
}

#[test]
fn a_missing_command_is_one_clear_line_and_exit_127() {
    let out = runglass().args(["trace", "--", "runglass-no-such-command"]).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(stderr(&out), "runglass: command not found: runglass-no-such-command; check the name or PATH\n");
}

#[test]
fn a_file_that_is_not_executable_exits_126() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("not-exec");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let out = runglass().args(["trace", "--"]).arg(&script).output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("Permission denied"), "{}", stderr(&out));
}

/// `runglass trace -- true` where system call `call` is refused; returns the exit code
/// and stderr.
fn trace_where_refused(call: &str) -> (Option<i32>, String) {
    let out = Command::new(fixture("deny_syscall"))
        .arg(call)
        .arg(env!("CARGO_BIN_EXE_runglass"))
        .args(["trace", "--", "true"])
        .output()
        .unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn refused_ptrace_is_one_line_naming_the_fix() {
    let (code, err) = trace_where_refused("ptrace");
    assert_eq!(code, Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("runglass: ptrace is not permitted here") && err.contains("SYS_PTRACE"), "{err}");
    // trace has no untraced mode: the way round it is `runglass run` without --deep.
    assert!(err.trim_end().ends_with("or record without tracing: `runglass run` without --deep"), "{err}");
}

#[test]
fn run_deep_where_ptrace_is_refused_offers_the_untraced_run() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(fixture("deny_syscall"))
        .arg("ptrace")
        .arg(env!("CARGO_BIN_EXE_runglass"))
        .args(["run", "--deep", "--", "true"])
        .env("RUNGLASS_DATA_HOME", data.path())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("runglass: ptrace is not permitted here"), "{err}");
    assert!(err.lines().next().unwrap().ends_with("; or run without --deep"), "{err}");
}

#[test]
fn refused_seccomp_is_one_line_naming_the_fix() {
    let (code, err) = trace_where_refused("seccomp");
    assert_eq!(code, Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("runglass: seccomp filters are not permitted here"), "{err}");
}

#[test]
fn under_an_outer_tracer_the_error_names_it_instead_of_suggesting_ptrace_permissions() {
    // strace -f follows runglass's fork, so the command has a tracer before runglass can seize it.
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", env!("CARGO_BIN_EXE_runglass"), "trace", "--", "true"])
        .output()
        .expect("running strace (tests/run-all.sh installs it)");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("runglass: the command is already traced by pid "), "{err}");
    assert!(err.contains("(strace)") && err.contains("without --deep") && !err.contains("SYS_PTRACE"), "{err}");
}

#[test]
fn names_from_the_command_are_escaped_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = runglass().args(["trace", "--"]).arg(fixture("weird_names")).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("new\\nline"), "{err}");
    assert!(err.contains("\\xff\\xfe-not-utf8"), "{err}");
    assert!(!err.contains("new\nline"));
}

#[test]
fn works_without_strace_on_the_path() {
    // PATH holds only a directory with `sh` and `true`: no strace can be found or run.
    let dir = tempfile::tempdir().unwrap();
    for tool in ["sh", "true"] {
        std::os::unix::fs::symlink(format!("/bin/{tool}"), dir.path().join(tool)).unwrap();
    }
    let out = runglass().env("PATH", dir.path()).args(["trace", "--", "sh", "-c", "true"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("exec \""));
}
