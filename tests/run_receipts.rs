//! `runglass run` end to end, in both modes: real shell scripts that create, modify,
//! delete, chmod and rename files (and write outside the working directory), commands
//! that fail, are killed or time out, concurrent runs; each receipt checked field by field.

#[path = "common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{change, command_of, latest_json, receipts, run_script, runglass, stderr};
use serde_json::{Value, json};

/// A small project to change.
fn project() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("README.md"), "line 1\nline 2\nline 3\n").unwrap();
    std::fs::write(w.join("old.txt"), "to be deleted\n").unwrap();
    std::fs::write(w.join("script.sh"), "echo hi\n").unwrap();
    std::fs::write(w.join("name-a.txt"), "renamed content\n").unwrap();
    std::fs::create_dir(w.join("node_modules")).unwrap();
    std::fs::write(w.join("node_modules/dep.js"), "x\n").unwrap();
    work
}

const CHANGES: &str = "\
printf 'line 1\\nline two\\nline 3\\n' > README.md
echo new > created.txt
rm old.txt
chmod +x script.sh
mv name-a.txt name-b.txt
echo changed > node_modules/dep.js
mkdir -p sub/dir && echo deep > sub/dir/f.txt
echo to-stdout
echo to-stderr >&2
";

fn assert_file_changes(r: &Value) {
    let readme = change(r, "README.md");
    assert_eq!(readme["change"], "modified");
    assert_eq!(readme["content_changed"], true);
    let unified = readme["diff"]["unified"].as_str().unwrap();
    assert!(unified.contains("-line 2\n+line two\n"), "{unified}");
    assert_eq!(readme["diff"]["added"], 1);
    assert_eq!(readme["diff"]["removed"], 1);

    let created = change(r, "created.txt");
    assert_eq!(created["change"], "created");
    assert!(created["before"].is_null());
    assert_eq!(created["after"]["size"], 4);

    assert_eq!(change(r, "old.txt")["change"], "deleted");
    let script = change(r, "script.sh");
    assert_eq!(script["change"], "modified");
    assert_eq!(script["content_changed"], false);
    assert_eq!(script["mode_changed"], true);
    assert_eq!(script["after"]["mode"].as_u64().unwrap() & 0o111, 0o111);

    assert_eq!(change(r, "name-a.txt")["change"], "deleted");
    assert_eq!(change(r, "name-b.txt")["change"], "created");
    assert_eq!(change(r, "sub/dir/f.txt")["change"], "created");
    let paths: Vec<&str> =
        r["files"]["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    if r["mode"] == "deep" {
        // The snapshots skip node_modules; the trace saw the write there.
        let dep = change(r, "node_modules/dep.js");
        assert_eq!(
            (&dep["change"], &dep["seen_by"], &dep["skipped_dir"]),
            (&json!("modified"), &json!("trace"), &json!("node_modules"))
        );
        assert_eq!((&dep["before"]["size"], &dep["after"]["size"]), (&json!(2), &json!(8)), "{dep:#}");
    } else {
        assert!(!paths.iter().any(|p| p.starts_with("node_modules")), "node_modules is ignored by default: {paths:?}");
    }
    assert!(r["files"]["snapshot"]["ignored"].as_u64().unwrap() >= 1);

    let notes: Vec<&str> = r["risk"]["notes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert!(notes.contains(&"executable-created"), "{notes:?}");
}

fn assert_common(r: &Value, work: &Path, mode: &str) {
    assert_eq!(r["format_version"], 2);
    assert_eq!(r["mode"], mode);
    assert_eq!(r["outcome"]["status"], "completed");
    assert_eq!(r["outcome"]["exit_code"], 0);
    assert_eq!(r["command"]["argv"][0], "sh");
    assert_eq!(r["command"]["cwd"], work.canonicalize().unwrap().to_str().unwrap());
    assert!(r["timing"]["ended_unix_ms"].as_u64() >= r["timing"]["started_unix_ms"].as_u64());
    assert!(r["timing"]["started_at"].as_str().unwrap().ends_with('Z'));
    // Pipes keep the streams apart, captured in full.
    assert_eq!(r["output"]["capture"], "pipes");
    assert_eq!(r["output"]["stdout"]["head"], "to-stdout\n");
    assert_eq!(r["output"]["stderr"]["head"], "to-stderr\n");
    let root = &r["processes"][0];
    assert_eq!(root["argv"][0], "sh");
    assert!(root["parent"].is_null());
    assert_eq!(root["exit"]["code"], 0);
    let kinds: Vec<&str> =
        r["timeline"]["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"phase"), "{kinds:?}");
    assert!(!r["observation"]["coverage"].as_array().unwrap().is_empty());
}

#[test]
fn normal_mode_receipt_records_every_kind_of_change() {
    let data = tempfile::tempdir().unwrap();
    let work = project();
    let out = run_script(data.path(), work.path(), &[], CHANGES);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The command's output reaches runglass's own streams, apart.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "to-stdout\n");
    assert!(stderr(&out).starts_with("to-stderr\n"), "{}", stderr(&out));
    let r = latest_json(data.path());
    assert_common(&r, work.path(), "normal");
    assert_file_changes(&r);
    assert_eq!(r["processes"][0]["seen_by"], "polling");
    let processes =
        r["observation"]["coverage"].as_array().unwrap().iter().find(|c| c["aspect"] == "processes").unwrap();
    assert_eq!(processes["confidence"], "partial");
    // The captured streams are files of the receipt directory.
    let dir = &receipts(data.path())[0];
    assert_eq!(std::fs::read(dir.join("stdout")).unwrap(), b"to-stdout\n");
}

#[test]
fn deep_mode_attributes_changes_and_sees_writes_outside_the_working_directory() {
    let data = tempfile::tempdir().unwrap();
    let work = project();
    let home = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let script = format!(
        "{CHANGES}\necho 'alias ls=rm' >> \"$HOME/.bashrc\"\nsh -c 'echo out > {}/elsewhere.txt'\n",
        outside.path().display()
    );
    let out = runglass(data.path())
        .current_dir(work.path())
        .env("HOME", home.path())
        .args(["run", "--deep", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    assert_common(&r, work.path(), "deep");
    assert_file_changes(&r);
    assert_eq!(r["processes"][0]["seen_by"], "trace");

    let created = change(&r, "created.txt");
    assert_eq!(command_of(&r, &created["by"][0])[0], "sh");
    assert!(created["by"][0].get("argv").is_none(), "actors refer to their process, they do not copy its argv");
    assert_eq!(created["by"][0]["pid"], r["processes"][0]["pid"]);
    assert_eq!(change(&r, "old.txt")["by"][0]["action"], "removed");

    let outside_paths: Vec<&str> =
        r["files"]["outside"].as_array().unwrap().iter().map(|o| o["path"].as_str().unwrap()).collect();
    let bashrc = home.path().join(".bashrc");
    let elsewhere = outside.path().join("elsewhere.txt");
    assert!(outside_paths.contains(&bashrc.to_str().unwrap()), "{outside_paths:?}");
    assert!(outside_paths.contains(&elsewhere.to_str().unwrap()), "{outside_paths:?}");
    let by_child =
        r["files"]["outside"].as_array().unwrap().iter().find(|o| o["path"] == elsewhere.to_str().unwrap()).unwrap();
    assert_eq!(
        command_of(&r, &by_child["by"][0]),
        serde_json::json!(["sh", "-c", format!("echo out > {}/elsewhere.txt", outside.path().display())])
    );
    assert_ne!(by_child["by"][0]["pid"], r["processes"][0]["pid"], "a child process wrote it");

    let shell = r["risk"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "shell-startup-changed")
        .expect("a shell startup note");
    assert_eq!(shell["severity"], "high");
    assert_eq!(r["risk"]["level"], "high");
}

#[test]
fn deep_mode_sees_writes_that_leave_the_working_directory_by_dot_dot_or_a_symlinked_directory() {
    let data = tempfile::tempdir().unwrap();
    let base = tempfile::tempdir().unwrap();
    let base_path = base.path().canonicalize().unwrap();
    let work = base_path.join("proj");
    let elsewhere = base_path.join("elsewhere");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("old.txt"), "old\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, work.join("link")).unwrap();
    let script = "echo up > ../up.txt; echo more >> link/old.txt; echo in > sub.txt";
    let out = run_script(data.path(), &work, &["--deep"], script);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = latest_json(data.path());
    let outside = r["files"]["outside"].as_array().unwrap();
    let find = |p: &Path| {
        outside
            .iter()
            .find(|o| o["path"] == p.to_str().unwrap())
            .unwrap_or_else(|| panic!("{} in {outside:#?}", p.display()))
    };
    let up = find(&base_path.join("up.txt"));
    assert_eq!(
        (&up["exists_after"], &up["captured"], &up["before"]),
        (&Value::Bool(true), &Value::Bool(true), &Value::Null)
    );
    let old = find(&elsewhere.join("old.txt"));
    assert_eq!(old["by"][0]["action"], "wrote");
    assert_eq!(old["captured"], true, "the before-state is keyed by the same real path: {old:#}");
    assert_eq!(outside.len(), 2, "{outside:#?}");
    let inside: Vec<&str> =
        r["files"]["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(inside, ["sub.txt"]);
}

#[test]
fn a_failing_command_keeps_its_status_and_its_receipt() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run_script(data.path(), work.path(), &[], "echo broken >&2; exit 3");
    assert_eq!(out.status.code(), Some(3));
    let r = latest_json(data.path());
    assert_eq!(r["outcome"]["status"], "failed");
    assert_eq!(r["outcome"]["exit"]["code"], 3);
    assert_eq!(r["risk"]["notes"][0]["id"], "command-failed");
    let ai = runglass(data.path()).args(["report", "latest", "--ai"]).output().unwrap();
    assert!(String::from_utf8_lossy(&ai.stdout).contains("  broken"), "the ai block carries the failing output");
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_n() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for (mode, args) in [("normal", &[][..]), ("deep", &["--deep"][..])] {
        let out = run_script(data.path(), work.path(), args, "kill -KILL $$");
        assert_eq!(out.status.code(), Some(137), "{mode}");
        let r = latest_json(data.path());
        assert_eq!(r["outcome"]["status"], "failed", "{mode}");
        assert_eq!(r["outcome"]["exit"]["signal"]["signal"], 9, "{mode}");

        let out = run_script(data.path(), work.path(), args, "kill -TERM $$");
        assert_eq!(out.status.code(), Some(143), "{mode}");
        assert_eq!(latest_json(data.path())["outcome"]["status"], "interrupted", "{mode}");
    }
}

#[test]
fn timeout_ends_the_whole_tree_and_says_so() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for args in [&["--timeout", "300ms"][..], &["--deep", "--timeout", "300ms"][..]] {
        let out = run_script(data.path(), work.path(), args, "sleep 30 & sleep 30; echo never > after.txt");
        assert_eq!(out.status.code(), Some(143), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("timed out after 300ms"), "{}", stderr(&out));
        let r = latest_json(data.path());
        assert_eq!(r["outcome"]["status"], "timed_out");
        assert_eq!(r["outcome"]["timeout_ms"], 300);
        assert!(!work.path().join("after.txt").exists());
        // No sleep of the tree survives the timeout.
        for p in r["processes"].as_array().unwrap() {
            let alive = Path::new(&format!("/proc/{}", p["pid"])).exists()
                && std::fs::read_to_string(format!("/proc/{}/cmdline", p["pid"]))
                    .unwrap_or_default()
                    .starts_with("sleep\u{0}30\u{0}");
            assert!(!alive, "pid {} still runs", p["pid"]);
        }
    }
    let bad = runglass(data.path()).args(["run", "--timeout", "soon", "--", "true"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not a duration"), "{}", stderr(&bad));
}

#[test]
fn a_missing_command_fails_to_start_with_127_and_a_receipt() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for args in [&[][..], &["--deep"][..]] {
        let out = runglass(data.path())
            .current_dir(work.path())
            .arg("run")
            .args(args)
            .args(["--", "no-such-runglass-command"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(127));
        assert!(stderr(&out).contains("no-such-runglass-command"), "{}", stderr(&out));
        let r = latest_json(data.path());
        assert_eq!(r["outcome"]["status"], "failed_to_start");
    }
}

#[test]
fn concurrent_runs_make_separate_valid_receipts() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4)
        .map(|i| {
            runglass(data.path())
                .current_dir(work.path())
                .args(["run", "--", "sh", "-c", &format!("echo {i} > file-{i}.txt")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let dirs = receipts(data.path());
    assert_eq!(dirs.len(), 4);
    for d in &dirs {
        let v = runglass(data.path()).arg("validate").arg(d).output().unwrap();
        assert!(v.status.success(), "{}: {}", d.display(), stderr(&v));
        // Argv, output and events are private to the user, whatever the umask.
        assert_eq!(std::fs::metadata(d).unwrap().permissions().mode() & 0o777, 0o700, "{}", d.display());
    }
}

#[test]
fn ignore_rules_follow_gitignore_with_negation() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join(".runglassignore"), "*.log\n!keep.log\nbuild/\n").unwrap();
    let out = run_script(
        data.path(),
        work.path(),
        &[],
        "echo a > x.log; echo b > keep.log; mkdir build; echo c > build/out; echo d > y.txt",
    );
    assert!(out.status.success());
    let r = latest_json(data.path());
    let paths: Vec<&str> =
        r["files"]["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["keep.log", "y.txt"]);
}

#[test]
fn a_command_cannot_hide_what_it_makes_by_writing_runglassignore() {
    for mode in [&[][..], &["--deep"][..]] {
        let data = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let script = "printf '.runglassignore\\npayload.sh\\n' > .runglassignore; echo evil > payload.sh";
        let out = run_script(data.path(), work.path(), mode, script);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(work.path().join(".runglassignore")).unwrap(),
            ".runglassignore\npayload.sh\n"
        );
        let r = latest_json(data.path());
        let paths: Vec<&str> =
            r["files"]["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
        assert_eq!(paths, [".runglassignore", "payload.sh"], "{mode:?}");
    }
}

#[test]
fn git_info_is_recorded_in_a_repository_and_absent_outside() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let s = std::process::Command::new("git").current_dir(work.path()).args(args).output().unwrap();
        assert!(s.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&s.stderr));
        String::from_utf8(s.stdout).unwrap()
    };
    run_script(data.path(), work.path(), &[], "true");
    assert!(latest_json(data.path())["git"].is_null());
    git(&["init", "-q", "-b", "trunk"]);
    std::fs::write(work.path().join("a"), "a").unwrap();
    git(&["add", "a"]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"]);
    let head = git(&["rev-parse", "HEAD"]);
    run_script(data.path(), work.path(), &[], "echo b > b");
    let r = latest_json(data.path());
    assert_eq!(r["git"]["commit"], head.trim());
    assert_eq!(r["git"]["branch"], "trunk");
    assert_eq!(r["git"]["dirty_before"], false);
    assert_eq!(r["git"]["dirty_after"], true);
}

#[test]
fn a_program_the_command_plants_as_git_fsmonitor_is_never_run_by_runglass() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let init = std::process::Command::new("git").current_dir(w).args(["init", "-q"]).output().unwrap();
    assert!(init.status.success());
    let planted = w.join("planted-ran");
    let script = format!(
        "printf '#!/bin/sh\\ntouch {}\\n' > monitor.sh; chmod +x monitor.sh; git config core.fsmonitor \"$PWD/monitor.sh\"",
        planted.display()
    );
    let out = run_script(data.path(), w, &[], &script);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(w.join("monitor.sh").exists());
    // git runs a configured fsmonitor on `git status`: this proves the plant works.
    let status = std::process::Command::new("git").current_dir(w).args(["status", "--porcelain"]).output().unwrap();
    assert!(status.status.success());
    assert!(planted.exists(), "git itself runs the planted program");
    std::fs::remove_file(&planted).unwrap();
    // runglass, before and after another command, does not.
    let out = run_script(data.path(), w, &[], "true");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!planted.exists(), "runglass ran the repository's fsmonitor program");
    assert_eq!(latest_json(data.path())["git"]["dirty_after"], true);
}

#[test]
fn a_wildcard_listener_is_seen_in_both_modes_and_noted() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let script =
        "python3 -c 'import socket, time; s = socket.socket(); s.bind((\"0.0.0.0\", 0)); s.listen(); time.sleep(0.5)'";
    for args in [&[][..], &["--deep"][..]] {
        let out = run_script(data.path(), work.path(), args, script);
        assert!(out.status.success(), "{}", stderr(&out));
        let r = latest_json(data.path());
        let l = &r["network"]["listening"][0];
        assert_eq!(l["address"], "0.0.0.0", "{args:?}: {:#}", r["network"]);
        assert_eq!(l["wildcard"], true);
        let argv = command_of(&r, l);
        assert!(argv[0].as_str().unwrap().ends_with("python3"), "{argv}");
        assert!(r["risk"]["notes"].as_array().unwrap().iter().any(|n| n["id"] == "wildcard-listen"));
    }
}

#[test]
fn bad_input_gets_one_line_errors() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // A receipt id that does not exist.
    let out = runglass(data.path()).args(["report", "20990101T000000Z-nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no receipt 20990101T000000Z-nope"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
    // No receipts yet.
    let out = runglass(data.path()).args(["report", "latest"]).output().unwrap();
    assert!(stderr(&out).contains("make one with `runglass run -- CMD`"), "{}", stderr(&out));
    // A working directory that no longer exists.
    let gone = work.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let mut cmd = runglass(data.path());
    cmd.current_dir(&gone).args(["run", "--", "true"]);
    std::fs::remove_dir(&gone).unwrap();
    let out = cmd.output();
    if let Ok(out) = out {
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("current directory cannot be read"), "{}", stderr(&out));
    }
    // A bad snapshot cap names the variable.
    let out = runglass(data.path())
        .current_dir(work.path())
        .env("RUNGLASS_MAX_SNAPSHOT_BYTES", "lots")
        .args(["run", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("RUNGLASS_MAX_SNAPSHOT_BYTES"), "{}", stderr(&out));
    assert!(receipts(data.path()).is_empty(), "nothing ran, nothing was recorded");
}

#[test]
fn a_runglass_killed_mid_run_is_recovered_as_interrupted() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for args in [&["run"][..], &["run", "--deep"][..]] {
        let mut child =
            common::spawn_started(data.path(), work.path(), args, "echo partial; touch started; exec sleep 30");
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::remove_file(work.path().join("started")).unwrap();
        let list = runglass(data.path()).args(["list", "--json"]).output().unwrap();
        assert!(list.status.success(), "{}", stderr(&list));
        let rows: Value = serde_json::from_slice(&list.stdout).unwrap();
        assert_eq!(rows[0]["status"], "interrupted", "{args:?}: {rows:#}");
        let r = latest_json(data.path());
        assert_eq!(r["outcome"]["status"], "interrupted");
        assert!(
            r["observation"]["limits"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("recovered"))
        );
        assert_eq!(r["output"]["stdout"]["head"], "partial\n");
        let _ = std::process::Command::new("pkill").args(["-f", "sleep 30"]).status();
    }
}

#[test]
fn the_command_gets_a_terminal_when_runglass_runs_in_one() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_runglass");
    let inner = format!("{bin} run -- sh -c 'test -t 0 && test -t 1 && echo on-a-tty'");
    let out = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .current_dir(work.path())
        .env("RUNGLASS_DATA_HOME", data.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = latest_json(data.path());
    assert_eq!(r["output"]["capture"], "pty");
    let transcript = r["output"]["transcript"]["head"].as_str().unwrap();
    assert!(transcript.contains("on-a-tty"), "{transcript:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("on-a-tty"), "the user sees it live too");
}

#[test]
fn executable_scripts_and_setuid_bits_raise_notes() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run_script(data.path(), work.path(), &[], "printf '#!/bin/sh\\n' > tool; chmod 4755 tool");
    assert!(out.status.success());
    let r = latest_json(data.path());
    let ids: Vec<&str> = r["risk"]["notes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"setuid-setgid") && ids.contains(&"executable-created"), "{ids:?}");
    assert_eq!(r["risk"]["level"], "high");
    let mode = std::fs::metadata(work.path().join("tool")).unwrap().permissions().mode();
    assert_eq!(mode & 0o4000, 0o4000);
}
