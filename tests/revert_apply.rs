//! `runglass revert --apply` on real trees changed by real runs: the tree ends byte for
//! byte (content, modes, symlinks, file times) as it was before the command; changes made
//! since the receipt stop it, or are left or overwritten as asked; crafted receipts and
//! symlinks planted after the run (inside the root or above it) never lead it anywhere
//! else, nor a receipt whose root was edited; and an apply killed with SIGKILL is finished
//! by running it again.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::{receipts, run_script, runglass, stderr};

/// A tree as revert must restore it: per path, its kind, permission bits, and content or
/// symlink target; regular files also their modification time.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    mode: u32,
    bytes: Vec<u8>,
    mtime_ns: Option<i128>,
}

fn tree(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).min_depth(1).follow_links(false) {
        let e = e.unwrap();
        let meta = e.path().symlink_metadata().unwrap();
        let rel = e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let mode = meta.permissions().mode() & 0o7777;
        let entry = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(e.path()).unwrap().into_os_string().into_encoded_bytes();
            Entry { kind: "symlink", mode: 0, bytes: target, mtime_ns: None }
        } else if meta.is_dir() {
            Entry { kind: "dir", mode, bytes: Vec::new(), mtime_ns: None }
        } else {
            let mtime_ns = Some(meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128);
            Entry { kind: "file", mode, bytes: std::fs::read(e.path()).unwrap(), mtime_ns }
        };
        out.insert(rel, entry);
    }
    out
}

fn revert(data: &Path, cwd: &Path, args: &[&str]) -> Output {
    runglass(data).current_dir(cwd).arg("revert").args(args).output().unwrap()
}

fn applied(data: &Path, cwd: &Path, args: &[&str]) -> String {
    let out = revert(data, cwd, &[&["--apply"], args].concat());
    assert!(out.status.success(), "apply failed: {}\n{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stdout).unwrap()
}

/// A project with nested directories, modes, symlinks and a read-only directory.
fn project() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::create_dir_all(w.join("src/deep")).unwrap();
    std::fs::create_dir_all(w.join("old/locked")).unwrap();
    std::fs::create_dir_all(w.join("becomes-file")).unwrap();
    for (name, content) in [
        ("a.txt", &b"a\n"[..]),
        ("c.txt", b"c\n"),
        ("keep.sh", b"#!/bin/sh\n"),
        ("no-newline", b"last line"),
        ("src/deep/main.c", b"int main(void) { return 0; }\n"),
        ("old/locked/o.txt", b"o\n"),
        ("rename me.txt", b"moved\n"),
        ("becomes-dir", b"file\n"),
        ("binary", &[0, 1, 2, 255, 254, b'\n', 0]),
    ] {
        std::fs::write(w.join(name), content).unwrap();
    }
    std::fs::set_permissions(w.join("keep.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(w.join("old/locked"), std::fs::Permissions::from_mode(0o555)).unwrap();
    std::os::unix::fs::symlink("a.txt", w.join("link")).unwrap();
    std::os::unix::fs::symlink("gone", w.join("dangling")).unwrap();
    work
}

const EVERYTHING: &str = "printf 'A\\n' > a.txt; echo b > b.txt; rm c.txt; chmod 600 keep.sh; \
    printf 'last line, longer' > no-newline; echo '// edited' >> src/deep/main.c; \
    mkdir -p new/nested/dir; echo n > new/nested/dir/n.txt; ln -s ../a.txt new/up; \
    chmod 755 old/locked; rm -r old; mv 'rename me.txt' renamed.txt; \
    rm link; ln -s c.txt link; rm dangling; echo now-a-file > dangling; \
    rmdir becomes-file; echo f > becomes-file; rm becomes-dir; mkdir becomes-dir; \
    printf '\\001\\002' > binary; chmod 4755 a.txt";

#[test]
fn every_kind_of_change_is_undone_and_the_tree_is_byte_for_byte_as_before() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    let before = tree(work.path());
    let out = run_script(data.path(), work.path(), &[], EVERYTHING);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(tree(work.path()), before);

    let text = applied(data.path(), work.path(), &[]);
    assert!(text.contains("left as they are") && text.contains("0 left"), "{text}");
    assert_eq!(tree(work.path()), before, "{text}");
    assert!(!receipts(data.path())[0].join("revert-journal.jsonl").exists(), "the journal goes when done");

    let again = applied(data.path(), work.path(), &[]);
    assert!(again.contains("Reverted 0 change(s)"), "a second apply finds nothing to do: {again}");
    assert_eq!(tree(work.path()), before);
}

#[test]
fn the_same_round_trip_from_a_deep_run() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    let before = tree(work.path());
    let out = run_script(data.path(), work.path(), &["--deep"], EVERYTHING);
    assert!(out.status.success(), "{}", stderr(&out));
    applied(data.path(), work.path(), &[]);
    assert_eq!(tree(work.path()), before);
}

#[test]
fn a_path_changed_since_the_receipt_stops_the_apply_unless_told_to_skip_or_force() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    let w = work.path();
    let before = tree(w);
    run_script(data.path(), w, &[], "printf 'A\\n' > a.txt; echo b > b.txt; rm c.txt");
    std::fs::write(w.join("b.txt"), "edited after the run\n").unwrap();
    let edited = tree(w);

    let out = revert(data.path(), w, &["--apply"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("b.txt") && err.contains("changed since the receipt"), "{err}");
    assert!(err.contains("stopped before changing anything") && err.contains("--skip-changed"), "{err}");
    assert_eq!(tree(w), edited, "nothing was touched");

    let text = applied(data.path(), w, &["--skip-changed"]);
    assert!(text.contains("left") && text.contains("b.txt"), "{text}");
    assert_eq!(std::fs::read_to_string(w.join("b.txt")).unwrap(), "edited after the run\n", "left as it is");
    assert_eq!(std::fs::read_to_string(w.join("a.txt")).unwrap(), "a\n");
    assert!(w.join("c.txt").exists());

    applied(data.path(), w, &["--force"]);
    assert_eq!(tree(w), before, "--force overwrote the later edit");
}

#[test]
fn a_created_file_replaced_by_a_symlink_to_a_file_outside_is_never_followed() {
    let (data, work, outside) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    let (w, secret) = (work.path(), outside.path().join("secret"));
    std::fs::write(&secret, "not yours\n").unwrap();
    run_script(data.path(), w, &[], "echo b > b.txt; printf 'A\\n' > a.txt");
    // After the run, both paths revert would act on become links to the file outside.
    for name in ["b.txt", "a.txt"] {
        std::fs::remove_file(w.join(name)).unwrap();
        std::os::unix::fs::symlink(&secret, w.join(name)).unwrap();
    }

    assert_eq!(revert(data.path(), w, &["--apply"]).status.code(), Some(1));
    applied(data.path(), w, &["--skip-changed"]);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "not yours\n");

    applied(data.path(), w, &["--force"]);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "not yours\n", "the target was neither written nor deleted");
    assert!(w.join("b.txt").symlink_metadata().is_err(), "the link itself was removed");
    let a = w.join("a.txt").symlink_metadata().unwrap();
    assert!(
        a.is_file() && std::fs::read_to_string(w.join("a.txt")).unwrap() == "a\n",
        "the link was replaced, not followed"
    );
}

#[test]
fn a_parent_swapped_for_a_symlink_is_refused_even_with_force() {
    let (data, work, outside) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    let w = work.path();
    run_script(data.path(), w, &[], "echo edit >> src/deep/main.c; echo new > src/deep/new.c");
    // src/deep moves away and a symlink to a look-alike directory outside takes its place.
    let decoy = outside.path().join("deep");
    std::fs::create_dir(&decoy).unwrap();
    std::fs::write(decoy.join("main.c"), "int main(void) { return 0; }\n// edit\n").unwrap();
    std::fs::write(decoy.join("new.c"), "new\n").unwrap();
    std::fs::rename(w.join("src/deep"), outside.path().join("moved")).unwrap();
    std::os::unix::fs::symlink(&decoy, w.join("src/deep")).unwrap();

    let out = revert(data.path(), w, &["--apply", "--force"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("replaced by a symlink"), "{}", stderr(&out));
    applied(data.path(), w, &["--skip-changed"]);
    assert_eq!(std::fs::read_to_string(decoy.join("main.c")).unwrap(), "int main(void) { return 0; }\n// edit\n");
    assert_eq!(std::fs::read_to_string(decoy.join("new.c")).unwrap(), "new\n", "nothing outside was deleted");
}

#[test]
fn a_receipt_edited_to_reach_outside_its_root_is_refused() {
    let (data, work, outside) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    let w = work.path();
    run_script(data.path(), w, &[], "echo b > b.txt");
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    let receipt_file = receipts(data.path())[0].join("receipt.json");
    let mut receipt: serde_json::Value = serde_json::from_slice(&std::fs::read(&receipt_file).unwrap()).unwrap();
    let created = receipt["files"]["changes"][0].clone();
    let relative = pathdiff(&victim, w);
    for path in [relative.as_str(), victim.to_str().unwrap()] {
        let mut crafted = created.clone();
        crafted["path"] = serde_json::Value::from(path);
        receipt["files"]["changes"].as_array_mut().unwrap().push(crafted);
    }
    std::fs::write(&receipt_file, serde_json::to_vec(&receipt).unwrap()).unwrap();

    for args in [&["--apply"][..], &["--apply", "--force"]] {
        let out = revert(data.path(), w, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("refused: not a plain path"), "{}", stderr(&out));
    }
    let text = applied(data.path(), w, &["--skip-changed"]);
    assert!(text.contains("deleted") && !w.join("b.txt").exists(), "{text}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
}

/// `victim` relative to `from`, through `..`.
fn pathdiff(victim: &Path, from: &Path) -> String {
    let ups = from.components().count() - 1;
    format!("{}{}", "../".repeat(ups), victim.strip_prefix("/").unwrap().display())
}

#[test]
fn content_that_was_not_stored_stops_the_apply_and_the_rest_can_still_be_reverted() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    let w = work.path();
    std::fs::write(w.join("big.bin"), vec![7u8; 64 * 1024]).unwrap();
    let out = runglass(data.path())
        .current_dir(w)
        .env("RUNGLASS_MAX_SNAPSHOT_BYTES", "16K")
        .args(["run", "--", "sh", "-c", "echo more >> big.bin; printf 'A\\n' > a.txt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let out = revert(data.path(), w, &["--apply"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("big.bin") && stderr(&out).contains("before-content not stored"), "{}", stderr(&out));
    let text = applied(data.path(), w, &["--skip-changed"]);
    assert!(text.contains("big.bin") && text.contains("before-content not stored"), "{text}");
    assert_eq!(std::fs::read_to_string(w.join("a.txt")).unwrap(), "a\n");
}

#[test]
fn a_created_directory_that_now_holds_other_files_is_kept() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    let w = work.path();
    run_script(data.path(), w, &[], "mkdir out; echo x > out/x");
    std::fs::write(w.join("out/mine"), "added after the run\n").unwrap();
    let text = applied(data.path(), w, &[]);
    assert!(text.contains("kept dir") && text.contains("holds files the receipt did not record"), "{text}");
    assert!(!w.join("out/x").exists());
    assert_eq!(std::fs::read_to_string(w.join("out/mine")).unwrap(), "added after the run\n");
}

#[test]
fn an_apply_killed_halfway_is_finished_by_running_it_again() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let w = work.path();
    const N: usize = 1500;
    for i in 0..N {
        let dir = w.join(format!("d{}", i % 30));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("f{i}")), format!("before {i}\n").repeat(50)).unwrap();
    }
    let before = tree(w);
    let script = "for f in d*/f*; do echo after >> \"$f\"; done; for i in $(seq 0 299); do echo new > d0/n$i; done";
    assert!(run_script(data.path(), w, &[], script).status.success());
    let journal = receipts(data.path())[0].join("revert-journal.jsonl");

    let mut child = runglass(data.path())
        .current_dir(w)
        .args(["revert", "--apply"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let done_lines = || std::fs::read_to_string(&journal).map(|j| j.matches("\"done\"").count()).unwrap_or(0);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while done_lines() < 100 {
        assert!(child.try_wait().unwrap().is_none(), "the apply finished before it could be killed");
        assert!(std::time::Instant::now() < deadline, "the apply made no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());

    // Halfway: some files are back, some are not, and none is anything else.
    let now = tree(w);
    let restored = before.iter().filter(|(p, e)| now.get(*p) == Some(*e)).count();
    assert!(restored > 0 && restored < before.len(), "killed halfway: {restored} of {}", before.len());
    for (path, entry) in now.iter().filter(|(p, e)| e.kind == "file" && before.contains_key(*p)) {
        let old = &before[path].bytes;
        let whole = entry.bytes == *old || entry.bytes == [&old[..], b"after\n"].concat();
        assert!(whole, "{path} is half-written: {:?}", String::from_utf8_lossy(&entry.bytes));
    }
    let preview = String::from_utf8(revert(data.path(), w, &[]).stdout).unwrap();
    assert!(preview.contains("an apply of this receipt was interrupted"), "{preview}");

    let text = applied(data.path(), w, &[]);
    assert!(text.starts_with("finished the interrupted revert"), "{text}");
    assert_eq!(tree(w), before, "the tree ends exactly in the before-state, with no temporary file left");
    assert!(!journal.exists());
}

#[test]
fn a_receipt_still_running_is_not_reverted() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    let w = work.path();
    let mut child = common::spawn_started(data.path(), w, &["run"], "echo b > b.txt; touch started; sleep 30");
    let id = receipts(data.path())[0].file_name().unwrap().to_str().unwrap().to_string();
    let out = revert(data.path(), w, &[&id, "--apply", "--force"]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is still running"), "{}", stderr(&out));
    assert!(w.join("b.txt").exists());
}

#[test]
fn files_outside_the_working_directory_written_by_a_traced_command_are_reverted_with_include_outside() {
    let (data, work, home) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    let h = home.path();
    std::fs::write(h.join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    std::fs::write(h.join("sed.conf"), "port=80\n").unwrap();
    std::fs::write(h.join("gone"), "remove me\n").unwrap();
    std::fs::set_permissions(h.join("gone"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = tree(h);
    let script = format!(
        "echo 'export PATH=/opt/evil:$PATH' >> {h}/.bashrc; sed -i s/80/8080/ {h}/sed.conf; rm {h}/gone; \
         echo new > {h}/new; mkdir {h}/dir; echo inside > a.txt",
        h = h.display()
    );
    let out = run_script(data.path(), work.path(), &["--deep"], &script);
    assert!(out.status.success(), "{}", stderr(&out));
    let changed = tree(h);

    // Without asking, only the working directory is touched.
    applied(data.path(), work.path(), &[]);
    assert_eq!(tree(h), changed, "outside files are left without --include-outside");
    assert_eq!(std::fs::read_to_string(work.path().join("a.txt")).unwrap(), "a\n");

    let preview = String::from_utf8(revert(data.path(), work.path(), &["--include-outside"]).stdout).unwrap();
    assert!(preview.contains(".bashrc") && preview.contains("safe"), "{preview}");
    let text = applied(data.path(), work.path(), &["--include-outside"]);
    assert_eq!(tree(h), before, "{text}");
}

/// A real run in `root` that deletes `gone.txt`, whose receipt revert can undo.
fn deleting_run(data: &Path, root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("gone.txt"), "keep me\n").unwrap();
    let out = run_script(data, root, &[], "rm gone.txt");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The one line a refused revert prints, after asserting it failed and printed only that.
fn refused(out: &Output) -> String {
    assert_ne!(out.status.code(), Some(0), "revert must refuse: {}", String::from_utf8_lossy(&out.stdout));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(err.starts_with("runglass: refusing to revert: "), "{err}");
    err
}

#[test]
fn revert_refuses_a_symlink_planted_above_the_receipts_root_and_touches_the_other_tree_not() {
    let (data, base) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let base = base.path().canonicalize().unwrap();
    let root = base.join("x/proj");
    deleting_run(data.path(), &root);
    // The root's parent moved away, and a symlink to another tree put in its place.
    std::fs::rename(base.join("x"), base.join("moved")).unwrap();
    std::fs::create_dir_all(base.join("other/proj")).unwrap();
    std::os::unix::fs::symlink(base.join("other"), base.join("x")).unwrap();

    let err = refused(&revert(data.path(), &base, &["latest", "--apply"]));
    assert!(err.contains(&format!("{} on the way to the receipt's root", base.join("x").display())), "{err}");
    assert!(err.contains("is a symlink now"), "{err}");
    assert!(!base.join("other/proj/gone.txt").exists(), "revert recreated the file in the other tree");
    refused(&revert(data.path(), &base, &["latest"]));
}

#[test]
fn revert_refuses_a_receipt_whose_root_was_edited_to_another_directory() {
    let (data, base) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let base = base.path().canonicalize().unwrap();
    deleting_run(data.path(), &base.join("proj"));
    let victim = base.join("victim");
    std::fs::create_dir(&victim).unwrap();
    let receipt_json = receipts(data.path()).pop().unwrap().join("receipt.json");
    let mut receipt: serde_json::Value = serde_json::from_slice(&std::fs::read(&receipt_json).unwrap()).unwrap();
    receipt["files"]["root"] = victim.to_str().unwrap().into();
    std::fs::write(&receipt_json, serde_json::to_vec(&receipt).unwrap()).unwrap();

    let err = refused(&revert(data.path(), &base, &["latest", "--apply"]));
    assert!(err.contains("is not the directory the command ran in"), "{err}");
    assert!(!victim.join("gone.txt").exists(), "revert recreated the file in the edited root");
    assert!(receipt["files"]["root_id"]["ino"].is_u64(), "the run recorded its root's identity: {}", receipt["files"]);
}

#[test]
fn revert_of_an_untouched_root_still_restores_what_the_command_deleted() {
    let (data, base) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = base.path().canonicalize().unwrap().join("x/proj");
    deleting_run(data.path(), &root);
    applied(data.path(), &root, &["latest"]);
    assert_eq!(std::fs::read_to_string(root.join("gone.txt")).unwrap(), "keep me\n");
}
