//! Before-states captured at the syscall in deep mode, end to end: a traced command edits
//! files outside the working directory in every way a shell, sed, rm, chmod, mkdir and ln
//! can, and the receipt holds each path's state before the command, its original bytes in
//! the blob store, and its state after; inside the working directory only the contents of
//! files that changed are stored; and prune keeps what the captures stored.

#[path = "common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{change, latest_json, receipts, run_script, runglass, stderr};
use serde_json::{Value, json};

fn blob_path(data: &Path, hash: &str) -> PathBuf {
    data.join("blobs").join(&hash[..2]).join(&hash[2..])
}

fn hex(content: &[u8]) -> String {
    blake3::hash(content).to_hex().to_string()
}

/// The outside change of `path` in the receipt.
fn outside<'a>(r: &'a Value, path: &Path) -> &'a Value {
    let path = path.to_str().unwrap();
    r["files"]["outside"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("no outside change for {path} in {:#}", r["files"]["outside"]))
}

/// Asserts that `c` was captured as a regular file holding `original` with `mode`, and
/// that the blob store holds exactly those bytes.
fn assert_captured_file(data: &Path, c: &Value, original: &[u8], mode: u32) {
    assert_eq!(c["captured"], true, "{c:#}");
    let before = &c["before"];
    assert_eq!(before["kind"], "file", "{c:#}");
    assert_eq!(before["mode"], mode, "{c:#}");
    assert_eq!(before["size"], original.len(), "{c:#}");
    assert_eq!(before["blake3"], hex(original), "{c:#}");
    assert_eq!(before["stored"], true, "{c:#}");
    assert_eq!(std::fs::read(blob_path(data, &hex(original))).unwrap(), original, "the blob holds the original bytes");
}

/// Asserts that `c`'s after-state describes the file now at `path`.
fn assert_after_is_current(c: &Value, path: &Path) {
    let now = std::fs::read(path).unwrap();
    assert_eq!(c["after"]["kind"], "file", "{c:#}");
    assert_eq!(c["after"]["blake3"], hex(&now), "{c:#}");
    assert_eq!(c["after"]["size"], now.len(), "{c:#}");
    assert_eq!(c["after"]["stored"], false, "after-contents outside are hashed, not kept: {c:#}");
    assert_eq!(c["exists_after"], true);
}

#[test]
fn edits_outside_the_working_directory_keep_each_paths_first_state_and_original_bytes() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let o = elsewhere.path().canonicalize().unwrap();
    let write = |name: &str, content: &[u8], mode: u32| {
        std::fs::write(o.join(name), content).unwrap();
        std::fs::set_permissions(o.join(name), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("append.txt", b"first line\n", 0o644);
    write("trunc.txt", b"old", 0o600);
    write("sed.txt", b"hello world\n", 0o640);
    write("rm.txt", b"to be removed\n", 0o644);
    write("chmod.sh", b"#!/bin/sh\n", 0o644);
    write("big.bin", &[7u8; 4096], 0o644);
    std::os::unix::fs::symlink("target-a", o.join("link")).unwrap();

    let script = "set -e\n\
        printf 'second line\\n' >> append.txt\n\
        printf new > trunc.txt\n\
        printf newer > trunc.txt\n\
        sed -i s/hello/goodbye/ sed.txt\n\
        rm rm.txt\n\
        chmod 755 chmod.sh\n\
        printf fresh >> new.txt\n\
        mkdir newdir\n\
        ln -sfn target-b link\n\
        printf more >> big.bin\n";
    let out = runglass(data.path())
        .current_dir(work.path())
        .env("RUNGLASS_MAX_SNAPSHOT_BYTES", "1K")
        .args(["run", "--deep", "--", "sh", "-c"])
        .arg(format!("cd '{}' && {script}", o.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    let d = data.path();

    let append = outside(&r, &o.join("append.txt"));
    assert_captured_file(d, append, b"first line\n", 0o644);
    assert_after_is_current(append, &o.join("append.txt"));
    assert_eq!(append["by"][0]["action"], "wrote", "`>>` on a file that existed is a write, not a create");

    let trunc = outside(&r, &o.join("trunc.txt"));
    assert_captured_file(d, trunc, b"old", 0o600);
    assert_eq!(trunc["after"]["blake3"], hex(b"newer"), "changed twice: before is the first state, after the last");

    let sed = outside(&r, &o.join("sed.txt"));
    assert_captured_file(d, sed, b"hello world\n", 0o640);
    assert_after_is_current(sed, &o.join("sed.txt"));
    assert!(sed["by"].as_array().unwrap().iter().any(|a| a["action"] == "renamed_to"), "{sed:#}");

    let removed = outside(&r, &o.join("rm.txt"));
    assert_captured_file(d, removed, b"to be removed\n", 0o644);
    assert!(removed["after"].is_null());
    assert_eq!(removed["exists_after"], false);

    let chmod = outside(&r, &o.join("chmod.sh"));
    assert_captured_file(d, chmod, b"#!/bin/sh\n", 0o644);
    assert_eq!(chmod["after"]["mode"], 0o755);

    let new = outside(&r, &o.join("new.txt"));
    assert_eq!((&new["captured"], &new["before"]), (&Value::Bool(true), &Value::Null), "nothing was there: {new:#}");
    assert_eq!(new["by"][0]["action"], "created");
    assert_after_is_current(new, &o.join("new.txt"));

    let dir = outside(&r, &o.join("newdir"));
    assert_eq!((&dir["captured"], &dir["before"]), (&Value::Bool(true), &Value::Null), "{dir:#}");
    assert_eq!(dir["after"]["kind"], "dir");

    let link = outside(&r, &o.join("link"));
    assert_eq!(link["captured"], true, "{link:#}");
    let kind_target = |s: &Value| (s["kind"].clone(), s["target"].clone());
    assert_eq!(kind_target(&link["before"]), ("symlink".into(), "target-a".into()), "{link:#}");
    assert_eq!(kind_target(&link["after"]), ("symlink".into(), "target-b".into()), "{link:#}");
    assert_eq!(link["followed"], false);

    let big = outside(&r, &o.join("big.bin"));
    assert_eq!((&big["before"]["capped"], &big["before"]["stored"]), (&true.into(), &false.into()), "{big:#}");
    assert!(big["before"]["blake3"].is_null());
    assert!(!blob_path(d, &hex(&[7u8; 4096])).exists(), "content over the cap is not stored");
}

#[test]
fn a_shell_append_through_a_symlink_lists_and_captures_the_file_it_leads_to() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path().canonicalize().unwrap();
    std::fs::create_dir(h.join("dotfiles")).unwrap();
    std::fs::write(h.join("dotfiles/bashrc"), "export A=1\n").unwrap();
    std::os::unix::fs::symlink(h.join("dotfiles/bashrc"), h.join(".bashrc")).unwrap();
    let script = format!("echo 'export B=2' >> '{}'", h.join(".bashrc").display());
    let out = run_script(data.path(), work.path(), &["--deep"], &script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = latest_json(data.path());
    // The file the kernel wrote is the one listed, with its state before and after.
    let bashrc = outside(&r, &h.join("dotfiles/bashrc"));
    assert_captured_file(data.path(), bashrc, b"export A=1\n", 0o644);
    assert_eq!(bashrc["after"]["blake3"], hex(b"export A=1\nexport B=2\n"));
    assert_eq!(bashrc["change"], "modified", "{bashrc:#}");
    assert_eq!(bashrc["by"][0]["action"], "wrote");
    // The symlink itself did not change.
    let listed: Vec<&str> =
        r["files"]["outside"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert!(!listed.contains(&h.join(".bashrc").to_str().unwrap()), "{listed:?}");
}

#[test]
fn a_deep_run_stores_only_the_contents_of_files_that_changed_and_still_diffs_them() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("unchanged.txt"), "left alone\n").unwrap();
    std::fs::write(w.join("edited.txt"), "line one\nline two\n").unwrap();
    std::fs::write(w.join("removed.txt"), "bye\n").unwrap();
    std::fs::create_dir(w.join("target")).unwrap();
    std::fs::write(w.join("target/ignored.o"), "build output\n").unwrap();
    std::fs::create_dir_all(w.join("src/deeper")).unwrap();
    std::fs::write(w.join("src/deeper/moved.rs"), "fn moved() {}\n").unwrap();
    let script = "printf 'line one\\nline 2\\n' > edited.txt; rm removed.txt; echo rebuilt > target/ignored.o; \
        mv src old-src";
    let out = run_script(data.path(), w, &["--deep"], script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = data.path();
    assert!(!blob_path(d, &hex(b"left alone\n")).exists(), "an unchanged file's content is not copied");
    let r = latest_json(d);
    // What the snapshots skip, the trace sees: its state before is captured, so it can be undone.
    let ignored = change(&r, "target/ignored.o");
    assert_eq!(
        (&ignored["change"], &ignored["seen_by"], &ignored["captured"]),
        (&json!("modified"), &json!("trace"), &json!(true))
    );
    assert_eq!(ignored["skipped_dir"], "target");
    assert_eq!(std::fs::read(blob_path(d, &hex(b"build output\n"))).unwrap(), b"build output\n");
    let edited = change(&r, "edited.txt");
    assert_eq!((&edited["before"]["stored"], &edited["after"]["stored"]), (&Value::Bool(true), &Value::Bool(true)));
    assert_eq!(std::fs::read(blob_path(d, &hex(b"line one\nline two\n"))).unwrap(), b"line one\nline two\n");
    assert_eq!(std::fs::read(blob_path(d, &hex(b"line one\nline 2\n"))).unwrap(), b"line one\nline 2\n");
    let unified = edited["diff"]["unified"].as_str().unwrap_or_else(|| panic!("a text diff: {edited:#}"));
    assert!(unified.contains("-line two\n+line 2\n"), "{unified}");
    let removed = change(&r, "removed.txt");
    assert_eq!(removed["before"]["stored"], true, "a removed file's content is kept for revert");
    assert_eq!(std::fs::read(blob_path(d, &hex(b"bye\n"))).unwrap(), b"bye\n");
    let moved_away = change(&r, "src/deeper/moved.rs");
    assert_eq!(moved_away["change"], "deleted");
    assert_eq!(moved_away["before"]["stored"], true, "a directory renamed away has its files captured: {moved_away:#}");

    // Normal mode cannot know what will change, so its before-snapshot stores every file.
    let normal = run_script(d, w, &[], "echo again >> edited.txt");
    assert_eq!(normal.status.code(), Some(0), "{}", stderr(&normal));
    assert!(blob_path(d, &hex(b"left alone\n")).exists(), "normal mode stores unchanged files too");
}

#[test]
fn prune_keeps_the_blobs_captured_outside_with_or_without_a_receipt() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().canonicalize().unwrap().join("config");
    std::fs::write(&file, "setting=1\n").unwrap();
    let out = run_script(data.path(), work.path(), &["--deep"], &format!("echo setting=2 > '{}'", file.display()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let captured = blob_path(data.path(), &hex(b"setting=1\n"));
    assert!(captured.exists());
    let stray = data.path().join("blobs/00").join("0".repeat(62));
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, "referenced by nothing").unwrap();

    let prune = |why: &str| {
        // Blobs younger than an hour are never collected: make them all old.
        let old = nix::sys::time::TimeSpec::new(1_000_000_000, 0);
        for blob in [&captured, &stray] {
            if blob.exists() {
                nix::sys::stat::utimensat(
                    nix::fcntl::AT_FDCWD,
                    blob.as_path(),
                    &old,
                    &old,
                    nix::sys::stat::UtimensatFlags::NoFollowSymlink,
                )
                .unwrap();
            }
        }
        let out = runglass(data.path()).args(["prune", "--keep", "5"]).output().unwrap();
        assert!(out.status.success(), "{why}: {}", stderr(&out));
    };
    prune("with the receipt");
    assert!(!stray.exists(), "an old blob nothing refers to is collected");
    assert!(captured.exists(), "the receipt's outside before-state keeps its blob");

    // A run killed before its receipt was written still refers to its captures by its log.
    std::fs::remove_file(receipts(data.path())[0].join("receipt.json")).unwrap();
    prune("with only the event log");
    assert!(captured.exists(), "the event log's before event keeps its blob");
}
