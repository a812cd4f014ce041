//! `runglass revert` (preview): what undoing each change would do and whether it can, on
//! real trees changed by real runs, then changed again, attacked through a symlinked
//! parent, or described by a receipt edited to point outside its root.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use common::{receipts, run_script, runglass, stderr};

const CHANGES: &str = "echo A > a.txt; echo b > b.txt; rm c.txt; mkdir -p sub; echo f > sub/f.txt; \
    ln -s a.txt link; chmod 700 keep.txt";

fn project() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    for (name, content) in [("a.txt", "a\n"), ("c.txt", "c\n"), ("keep.txt", "k\n")] {
        std::fs::write(work.path().join(name), content).unwrap();
    }
    work
}

/// The preview's line for `path`: what it would do and its verdict.
fn line(data: &Path, args: &[&str], path: &str) -> String {
    let out = runglass(data).arg("revert").args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find(|l| l.split_whitespace().any(|w| w == path))
        .unwrap_or_else(|| panic!("no line for {path} in:\n{text}"))
        .to_string()
}

#[test]
fn every_kind_of_change_previews_as_safe_right_after_the_run_and_nothing_is_touched() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    run_script(data.path(), work.path(), &[], CHANGES);
    let before: Vec<_> = std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().path()).collect();
    for (path, undo) in [
        ("a.txt", "restore"),
        ("b.txt", "delete"),
        ("c.txt", "recreate"),
        ("keep.txt", "restore"),
        ("link", "delete"),
        ("sub", "remove dir"),
        ("sub/f.txt", "delete"),
    ] {
        let l = line(data.path(), &[], path);
        assert!(l.trim_start().starts_with(undo) && l.ends_with("safe"), "{path}: {l}");
    }
    let after: Vec<_> = std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(before, after, "a preview changes nothing");
    assert_eq!(std::fs::read_to_string(work.path().join("a.txt")).unwrap(), "A\n");
}

#[test]
fn changes_since_the_run_and_hand_reverted_paths_are_told_apart() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    run_script(data.path(), work.path(), &[], CHANGES);
    std::fs::write(work.path().join("b.txt"), "edited after the run\n").unwrap();
    std::fs::write(work.path().join("a.txt"), "a\n").unwrap();
    std::fs::remove_file(work.path().join("link")).unwrap();
    assert!(line(data.path(), &[], "b.txt").ends_with("changed since the receipt (it was changed after the run)"));
    assert!(line(data.path(), &[], "a.txt").ends_with("already reverted"), "content back, mode unchanged");
    assert!(line(data.path(), &[], "link").ends_with("already reverted"), "a created link that is gone");
}

#[test]
fn a_parent_swapped_for_a_symlink_and_a_receipt_edited_to_leave_its_root_are_refused() {
    let (data, work, elsewhere) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], CHANGES);
    std::fs::create_dir(elsewhere.path().join("sub")).unwrap();
    std::fs::write(elsewhere.path().join("sub/f.txt"), "f\n").unwrap();
    std::fs::rename(work.path().join("sub"), work.path().join("sub.real")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("sub"), work.path().join("sub")).unwrap();
    let l = line(data.path(), &[], "sub/f.txt");
    assert!(l.ends_with("refused: a directory on its way has been replaced by a symlink"), "{l}");

    let receipt_file = receipts(data.path()).pop().unwrap().join("receipt.json");
    let mut r: serde_json::Value = serde_json::from_slice(&std::fs::read(&receipt_file).unwrap()).unwrap();
    let outside = elsewhere.path().join("sub/f.txt");
    r["files"]["changes"][0]["path"] = serde_json::json!("../outside.txt");
    r["files"]["changes"][1]["path"] = serde_json::json!(outside.to_str().unwrap());
    std::fs::write(&receipt_file, serde_json::to_vec(&r).unwrap()).unwrap();
    for path in ["../outside.txt", outside.to_str().unwrap()] {
        let l = line(data.path(), &[], path);
        assert!(l.ends_with("refused: not a plain path inside the receipt's root"), "{l}");
    }
}

#[test]
fn file_filters_pick_paths_and_directories_and_a_path_outside_the_root_is_an_error() {
    let (data, work) = (tempfile::tempdir().unwrap(), project());
    run_script(data.path(), work.path(), &[], CHANGES);
    let out = runglass(data.path()).current_dir(work.path()).args(["revert", "--file", "sub"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(" sub ") && text.contains("sub/f.txt") && !text.contains("a.txt"), "{text}");

    let out = runglass(data.path()).current_dir(work.path()).args(["revert", "--file", "/etc/passwd"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("not inside the receipt's root"), "{}", stderr(&out));
    let out = runglass(data.path()).current_dir(work.path()).args(["revert", "--file", "nothing-here"]).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("records no change of nothing-here"), "{}", stderr(&out));
}
