//! What a receipt says of files, against real commands: changes inside directories the
//! snapshots skip (a git hook, node_modules), paths that came and went, O_TMPFILE files
//! named by linkat, the process shown for a change, and a receipt whose size does not
//! multiply argv by the number of changes.

mod common;

use std::path::Path;

use common::{change, command_of, latest_json, run_script, runglass, stderr};
use serde_json::{Value, json};

fn git_init(dir: &Path) {
    let out = std::process::Command::new("git").args(["init", "-q"]).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git init: {}", String::from_utf8_lossy(&out.stderr));
}

fn outside<'a>(r: &'a Value, path: &str) -> Option<&'a Value> {
    r["files"]["outside"].as_array().unwrap().iter().find(|o| o["path"] == path)
}

fn transient_paths(r: &Value) -> Vec<String> {
    r["files"]["transient"].as_array().unwrap().iter().map(|t| t["path"].as_str().unwrap().to_string()).collect()
}

fn report(data: &Path) -> String {
    let out = runglass(data).args(["report", "latest"]).output().unwrap();
    assert!(out.status.success(), "report: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_git_hook_planted_in_deep_mode_is_listed_with_its_content_and_reverts() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    git_init(w);
    let script = r#"printf '#!/bin/sh\necho hi\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit"#;
    let out = run_script(data.path(), w, &["--deep"], script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    // .git/hooks is snapshotted; the rest of .git (objects, index...) only the trace sees.
    let hook = change(&r, ".git/hooks/pre-commit");
    assert_eq!(hook["change"], "created");
    assert_eq!(hook["after"]["mode"].as_u64().unwrap() & 0o111, 0o111);
    let unified = hook["diff"]["unified"].as_str().unwrap_or_else(|| panic!("the hook's content as a diff: {hook:#}"));
    assert!(unified.contains("+echo hi"), "{unified}");
    let last = hook["by"].as_array().unwrap().last().unwrap();
    assert_eq!(command_of(&r, last)[0], "chmod", "the file ended as chmod left it: {hook:#}");
    let text = report(data.path());
    assert!(text.contains("+ created   .git/hooks/pre-commit (+2 -0)"), "{text}");
    assert!(!text.contains("0 file(s) changed"), "{text}");

    let revert = runglass(data.path()).args(["revert", "latest", "--apply"]).current_dir(w).output().unwrap();
    assert!(revert.status.success(), "revert: {}{}", String::from_utf8_lossy(&revert.stdout), stderr(&revert));
    assert!(!w.join(".git/hooks/pre-commit").exists(), "revert removed the hook");
}

#[test]
fn writes_in_node_modules_are_listed_and_a_modified_file_is_restored_by_revert() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::create_dir_all(w.join("node_modules/left-pad")).unwrap();
    std::fs::write(w.join("node_modules/left-pad/index.js"), "module.exports = 1;\n").unwrap();
    let script = "echo 'module.exports = 2;' > node_modules/left-pad/index.js; mkdir -p node_modules/.bin; \
                  printf '#!/bin/sh\\n' > node_modules/.bin/tool; chmod 755 node_modules/.bin/tool";
    let out = run_script(data.path(), w, &["--deep"], script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    let index = change(&r, "node_modules/left-pad/index.js");
    assert_eq!((&index["change"], &index["before"]["stored"]), (&json!("modified"), &json!(true)), "{index:#}");
    assert_eq!(change(&r, "node_modules/.bin/tool")["change"], "created");
    let notes: Vec<&Value> = r["risk"]["notes"].as_array().unwrap().iter().collect();
    let dep = notes.iter().find(|n| n["id"] == "dependency-executables").unwrap_or_else(|| panic!("{notes:#?}"));
    assert_eq!(dep["severity"], "medium");
    assert!(dep["evidence"].to_string().contains("node_modules/.bin/tool"), "{dep:#}");

    let revert = runglass(data.path()).args(["revert", "latest", "--apply"]).current_dir(w).output().unwrap();
    assert!(revert.status.success(), "revert: {}{}", String::from_utf8_lossy(&revert.stdout), stderr(&revert));
    assert_eq!(std::fs::read_to_string(w.join("node_modules/left-pad/index.js")).unwrap(), "module.exports = 1;\n");
    assert!(!w.join("node_modules/.bin/tool").exists());
}

#[test]
fn files_made_and_removed_again_are_transient_not_changes_inside_and_outside() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let s = scratch.path().canonicalize().unwrap();
    let s = s.display();
    let script = format!(
        "echo y > tmpf; rm tmpf; mkdir {s}/d; echo x > {s}/d/f; rm -r {s}/d; echo kept > kept.txt; \
         echo a > {s}/a.tmp; mv {s}/a.tmp {s}/a"
    );
    let out = run_script(data.path(), work.path(), &["--deep"], &script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    let transient = transient_paths(&r);
    for path in ["tmpf".to_string(), format!("{s}/d/f"), format!("{s}/d"), format!("{s}/a.tmp")] {
        assert!(transient.contains(&path), "{path} in {transient:?}");
    }
    let changes: Vec<&str> =
        r["files"]["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(changes, ["kept.txt"]);
    let outside_paths: Vec<&str> =
        r["files"]["outside"].as_array().unwrap().iter().map(|o| o["path"].as_str().unwrap()).collect();
    assert_eq!(outside_paths, [format!("{s}/a").as_str()], "only the renamed file is a change outside");
    assert_eq!(outside(&r, &format!("{s}/a")).unwrap()["change"], "created");
    let line = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(line.contains(": 2 file(s) changed"), "kept.txt and the renamed file: {line}");
}

#[test]
fn an_o_tmpfile_file_is_the_name_linkat_gives_it_not_a_write_to_its_directory() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let s = scratch.path().canonicalize().unwrap();
    // linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, name, AT_SYMLINK_FOLLOW), as the
    // man page's O_TMPFILE example does (os.link calls link(2), which would not follow).
    let program = format!(
        "import ctypes, os\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         fd = os.open('{dir}', os.O_TMPFILE | os.O_WRONLY, 0o644)\n\
         os.write(fd, b'made unnamed\\n')\n\
         assert libc.linkat(-100, f'/proc/self/fd/{{fd}}'.encode(), -100, b'{dir}/named', 0x400) == 0, ctypes.get_errno()\n",
        dir = s.display()
    );
    let out = runglass(data.path())
        .current_dir(work.path())
        .args(["run", "--deep", "--", "/usr/bin/python3", "-c", &program])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    let named = format!("{}/named", s.display());
    assert_eq!(outside(&r, &named).unwrap_or_else(|| panic!("{:#}", r["files"]))["change"], "created");
    assert!(
        outside(&r, &s.display().to_string()).is_none(),
        "the directory was not written: {:#}",
        r["files"]["outside"]
    );
}

#[test]
fn a_deleted_file_names_the_process_that_deleted_it() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for n in 1..=3 {
        std::fs::write(work.path().join(format!("f{n}.txt")), "a\n").unwrap();
    }
    let out = run_script(data.path(), work.path(), &["--deep"], "sed -i s/a/b/ *.txt; rm f3.txt");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = report(data.path());
    let line = text.lines().find(|l| l.contains("deleted") && l.contains("f3.txt")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("(rm f3.txt)"), "{line}");
    let f1 = text.lines().find(|l| l.contains("modified") && l.contains("f1.txt")).unwrap_or_else(|| panic!("{text}"));
    assert!(f1.contains("(sed -i"), "{f1}");
}

#[test]
fn a_receipt_grows_with_its_changes_not_with_changes_times_argv() {
    let data = tempfile::tempdir().unwrap();
    let size_for = |files: usize| {
        let work = tempfile::tempdir().unwrap();
        // The kernel's limit for one argument is 128 KiB with its NUL.
        let big = "x".repeat(128 * 1024 - 1);
        let script = format!("i=0; while [ $i -lt {files} ]; do echo > f$i; i=$((i+1)); done");
        let mut cmd = runglass(data.path());
        cmd.current_dir(work.path()).args(["run", "--deep", "--", "sh", "-c", &script, "sh"]);
        for _ in 0..8 {
            cmd.arg(&big);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let dir = common::receipts(data.path()).pop().unwrap();
        std::fs::metadata(dir.join("receipt.json")).unwrap().len()
    };
    let (ten, two_hundred) = (size_for(10), size_for(200));
    // 190 more files cost far less than 190 copies of the 1 MiB command line.
    assert!(two_hundred - ten < 190 * 4096, "{ten} bytes for 10 files, {two_hundred} for 200");
    assert!(two_hundred < 16 << 20, "{two_hundred} bytes");
}

#[test]
fn file_capabilities_and_setuid_bits_raise_high_notes_in_both_modes() {
    // vfs_cap_data revision 2 with CAP_NET_RAW permitted and effective: what
    // `setcap cap_net_raw=ep` writes. Setting it takes CAP_SETFCAP (root here).
    let program = "import os, struct\n\
                   open('tool', 'w').write('#!/bin/sh\\n')\n\
                   os.chmod('tool', 0o4755)\n\
                   os.setxattr('tool', 'security.capability', struct.pack('<IIIII', 0x02000001, 1 << 13, 0, 0, 0))\n";
    for args in [&[][..], &["--deep"][..]] {
        let data = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let out = runglass(data.path())
            .current_dir(work.path())
            .arg("run")
            .args(args)
            .args(["--", "/usr/bin/python3", "-c", program])
            .output()
            .unwrap();
        if stderr(&out).contains("PermissionError") {
            eprintln!("skipped: setting security.capability needs CAP_SETFCAP");
            return;
        }
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let r = latest_json(data.path());
        let tool = change(&r, "tool");
        assert_eq!(tool["after"]["xattrs"], json!(["security.capability"]), "{args:?}: {tool:#}");
        let high: Vec<&str> = r["risk"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["severity"] == "high")
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert!(high.contains(&"file-capabilities") && high.contains(&"setuid-setgid"), "{args:?}: {high:?}");
        assert_eq!(r["risk"]["level"], "high");
    }
}

#[test]
fn a_commit_in_deep_mode_lists_what_git_wrote_in_dot_git_as_one_group() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    git_init(w);
    let script = "git -c user.name=n -c user.email=e@x commit -q --allow-empty -m first";
    let out = run_script(data.path(), w, &["--deep"], script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    let changes = r["files"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    for c in changes {
        assert_eq!((&c["seen_by"], &c["skipped_dir"]), (&json!("trace"), &json!(".git")), "{c:#}");
    }
    let text = report(data.path());
    assert!(text.contains("    .git/: "), "{text}");
    // The trace saw git write its refs: reverting those files undoes the commit, and the
    // preview says so rather than claiming git is left alone.
    let preview = runglass(data.path()).args(["revert", "latest"]).current_dir(w).output().unwrap();
    let preview = String::from_utf8_lossy(&preview.stdout).into_owned();
    assert!(preview.contains("puts HEAD and the branches back"), "{preview}");
    let apply = runglass(data.path()).args(["revert", "latest", "--apply"]).current_dir(w).output().unwrap();
    assert!(apply.status.success(), "{}{}", String::from_utf8_lossy(&apply.stdout), stderr(&apply));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(w)
        .output()
        .unwrap();
    assert!(!head.status.success(), "no commit after the revert: {}", String::from_utf8_lossy(&head.stdout));
    // git init's sample hooks are not new programs to look at.
    let init = run_script(data.path(), w, &[], "git init -q again");
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let r = latest_json(data.path());
    let notes: Vec<&str> = r["risk"]["notes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert!(!notes.contains(&"executable-created"), "{notes:?}");
}

#[test]
fn a_process_that_sets_up_an_io_uring_is_named_in_the_limits_with_a_risk_note() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = runglass(data.path())
        .current_dir(work.path())
        .args(["run", "--deep", "--"])
        .arg(runglass_fixtures::path("uring_setup"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let r = latest_json(data.path());
    let uses = r["observation"]["io_uring"].as_array().unwrap();
    // Each setup that returned a ring (the x32 one may be refused by the kernel).
    let rings = printed.lines().filter(|l| l.split(' ').nth(1).is_some_and(|v| !v.starts_with('-'))).count();
    assert_eq!(uses.len(), rings, "{printed} {uses:#?}");
    assert!(rings >= 1, "{printed}");
    let pid = r["processes"][0]["pid"].as_u64().unwrap();
    assert_eq!(uses[0]["pid"].as_u64(), Some(pid));
    let limits = r["observation"]["limits"].to_string();
    assert!(limits.contains(&format!("pid {pid}")) && limits.contains("io_uring"), "{limits}");
    let network = r["observation"]["coverage"].as_array().unwrap().iter().find(|c| c["aspect"] == "network").unwrap();
    assert_eq!(network["confidence"], "partial");
    let note = r["risk"]["notes"].as_array().unwrap().iter().find(|n| n["id"] == "io-uring").expect("an io-uring note");
    assert_eq!(note["severity"], "medium");
    assert!(report(data.path()).contains("io_uring"));
}
