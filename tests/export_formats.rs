//! `runglass export` end to end: every format written from a real run's receipt, the
//! reverse patch applied with `git apply` and `patch -p1` to the real after-state (giving
//! back the before-state byte for byte), and the bundle's contents.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{latest_json, run_script, runglass, stderr};

/// A project with text files of every shape a patch must handle.
fn project() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("README.md"), "line 1\nline 2\nline 3\n").unwrap();
    std::fs::write(w.join("old.txt"), "to be deleted\n").unwrap();
    std::fs::write(w.join("no-newline.txt"), "last line without newline").unwrap();
    std::fs::write(w.join("with space.txt"), "a\nb\n").unwrap();
    std::fs::write(w.join("run.sh"), "echo hi\n").unwrap();
    std::fs::create_dir(w.join("src")).unwrap();
    std::fs::write(w.join("src/lib.rs"), "fn main() {}\n").unwrap();
    // Big enough that its diff passes the receipt's 256 KiB per-file bound: the reverse
    // patch must take the whole diff from the blob store.
    let big: String = (0..20_000).map(|i| format!("original line {i}\n")).collect();
    std::fs::write(w.join("big.txt"), big).unwrap();
    work
}

const CHANGES: &str = "\
printf 'line 1\\nline two\\nline 3\\n' > README.md
rm old.txt
printf 'changed, still without newline' > no-newline.txt
printf 'a\\nB\\n' > 'with space.txt'
chmod 755 run.sh
echo 'new file' > src/new.rs
: > empty.txt
sed -i 's/original/rewritten/' big.txt
echo done
";

/// Every regular file under `root` (relative path -> content and mode).
fn tree(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, (std::fs::read(&path).unwrap(), meta.permissions().mode() & 0o777));
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp").arg("-a").arg(format!("{}/.", from.display())).arg(to).status().unwrap();
    assert!(ok.success());
}

fn export(data: &Path, args: &[&str]) -> Vec<PathBuf> {
    let out = runglass(data).arg("export").args(args).output().unwrap();
    assert!(out.status.success(), "export failed: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().lines().map(PathBuf::from).collect()
}

#[test]
fn export_writes_every_format_but_the_bundle_by_default_and_prints_their_paths() {
    let (data, work, out) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], CHANGES);
    let written = export(data.path(), &["latest", "--output", out.path().to_str().unwrap()]);
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["receipt.html", "receipt.md", "receipt.json", "summary.md", "ai-summary.txt", "reverse.patch"]);
    for path in &written {
        assert!(path.starts_with(out.path()), "{}", path.display());
        let meta = std::fs::metadata(path).unwrap();
        assert!(meta.len() > 0, "{} is empty", path.display());
        assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{} can be shared", path.display());
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&written[2]).unwrap()).unwrap();
    assert_eq!(json, latest_json(data.path()));
    let html = std::fs::read_to_string(&written[0]).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..100]);
    assert!(html.contains("line two"), "the page shows the diff");
    let ai = runglass(data.path()).args(["report", "latest", "--ai"]).output().unwrap();
    assert_eq!(std::fs::read(&written[4]).unwrap(), ai.stdout, "report --ai prints what export writes");
}

#[test]
fn export_writes_only_the_formats_asked_for_and_defaults_to_a_folder_named_for_the_receipt() {
    let (data, work, cwd) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], "echo hi > hello.txt");
    let id = latest_json(data.path())["id"].as_str().unwrap().to_string();
    let out = runglass(data.path()).current_dir(cwd.path()).args(["export", "--json", "--format", "summary-md,ai"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = format!("runglass-receipt-{id}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected: Vec<String> =
        ["receipt.json", "summary.md", "ai-summary.txt"].iter().map(|f| format!("{folder}/{f}")).collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
    assert_eq!(std::fs::read_dir(cwd.path().join(&folder)).unwrap().count(), 3);
}

#[test]
fn export_errors_are_one_line_and_leave_nothing_behind() {
    let (data, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = runglass(data.path()).current_dir(cwd.path()).args(["export", "latest"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("runglass run"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);

    let out = runglass(data.path()).args(["export", "--format", "pdf"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("summary-md"), "the error lists the formats: {}", stderr(&out));

    let work = project();
    run_script(data.path(), work.path(), &[], "echo hi > hello.txt");
    let out = runglass(data.path()).args(["export", "--output", "/proc/runglass-nope"]).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/proc/runglass-nope"), "{}", stderr(&out));
}

#[test]
fn the_reverse_patch_restores_the_before_state_with_git_apply_and_patch() {
    let (data, work, out) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    let before = tempfile::tempdir().unwrap();
    copy_tree(work.path(), before.path());
    let run = run_script(data.path(), work.path(), &[], CHANGES);
    assert!(run.status.success(), "{}", stderr(&run));
    let receipt = latest_json(data.path());
    let big = common::change(&receipt, "big.txt");
    assert_eq!(big["diff"]["truncated"], true, "the test needs a diff the receipt cut short");

    let patch = export(data.path(), &["--reverse-patch", "--output", out.path().to_str().unwrap()]).remove(0);
    let text = std::fs::read_to_string(&patch).unwrap();
    assert!(!text.contains("not reversible by this patch: big.txt"), "{text}");

    let with_patch = tempfile::tempdir().unwrap();
    copy_tree(work.path(), with_patch.path());
    let git = Command::new("git").arg("apply").arg(&patch).current_dir(work.path()).output().unwrap();
    assert!(git.status.success(), "git apply: {}\n{text}", stderr(&git));
    assert_eq!(tree(work.path()), tree(before.path()), "git apply gives back the before-state");

    let gnu = Command::new("patch").args(["-p1", "-s", "-i"]).arg(&patch).current_dir(with_patch.path()).output().unwrap();
    assert!(gnu.status.success(), "patch -p1: {}{}", String::from_utf8_lossy(&gnu.stdout), stderr(&gnu));
    assert_eq!(tree(with_patch.path()), tree(before.path()), "patch -p1 gives back the before-state");
}

#[test]
fn the_bundle_holds_every_format_and_the_artifacts() {
    let (data, work, out) = (tempfile::tempdir().unwrap(), project(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], CHANGES);
    let id = latest_json(data.path())["id"].as_str().unwrap().to_string();
    let bundle = export(data.path(), &["--bundle", "--output", out.path().to_str().unwrap()]).remove(0);
    assert_eq!(bundle.file_name().unwrap().to_string_lossy(), format!("runglass-receipt-{id}.tar"));
    let list = Command::new("tar").arg("-tf").arg(&bundle).output().unwrap();
    assert!(list.status.success(), "tar -tf: {}", stderr(&list));
    let entries = String::from_utf8(list.stdout).unwrap();
    let top = format!("runglass-receipt-{id}/");
    for name in [
        "receipt.html",
        "receipt.md",
        "summary.md",
        "ai-summary.txt",
        "receipt.json",
        "reverse.patch",
        "artifacts/stdout",
        "artifacts/stderr",
        "artifacts/events.log",
        "artifacts/metadata.json",
        "artifacts/snapshots/snapshot-before.bin",
        "artifacts/snapshots/snapshot-after.bin",
        "artifacts/diffs/README.md.diff",
        "artifacts/diffs/big.txt.diff",
        "artifacts/files/before/README.md",
        "artifacts/files/after/README.md",
        "artifacts/files/before/old.txt",
        "artifacts/files/after/src/new.rs",
    ] {
        assert!(entries.lines().any(|l| l == format!("{top}{name}")), "no {name} in:\n{entries}");
    }
    let unpacked = tempfile::tempdir().unwrap();
    let ok = Command::new("tar").arg("-xf").arg(&bundle).current_dir(unpacked.path()).status().unwrap();
    assert!(ok.success());
    let root = unpacked.path().join(&top);
    assert_eq!(std::fs::read(root.join("artifacts/files/before/old.txt")).unwrap(), b"to be deleted\n");
    let full = std::fs::read_to_string(root.join("artifacts/diffs/big.txt.diff")).unwrap();
    assert_eq!(full.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).count(), 20_000, "the whole diff");
    assert_eq!(std::fs::read(root.join("artifacts/stdout")).unwrap(), b"done\n");
}

/// Insta snapshots of every text format (tests/snapshots/), with what changes from run to
/// run redacted: receipt ids, temporary paths, times, durations, pids, the version.
#[test]
fn every_text_format_of_a_real_deep_run_is_stable_once_redacted() {
    let (data, work, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(work.path().join("notes.txt"), "first\nsecond\n").unwrap();
    std::fs::write(work.path().join("old.log"), "old\n").unwrap();
    let script = "printf 'first\\n2nd\\n' > notes.txt; rm old.log; echo hello > new.txt; echo done; exit 1";
    let run = run_script(data.path(), work.path(), &["--deep"], script);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let dir = out.path().to_str().unwrap();
    let paths = export(data.path(), &["--format", "markdown,summary-md,ai,reverse-patch", "--output", dir]);
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in [
        (r"\d{8}T\d{6}Z-[A-Za-z0-9_.-]+", "[ID]"),
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", "[TIME]"),
        (r"-?\b\d+(\.\d+)? (ms|s|min)\b", "[DUR]"),
        // Durations of different widths are right-aligned in the timeline.
        (r"(?m)^ +\[DUR\]", "  [DUR]"),
        (r"\b[1-9]\d{2,6}\b", "[PID]"),
        (r"runglass \d+\.\d+\.\d+", "runglass [VERSION]"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for path in paths {
            let name = path.file_name().unwrap().to_string_lossy().replace('.', "_");
            insta::assert_snapshot!(format!("real_run_{name}"), std::fs::read_to_string(&path).unwrap());
        }
        let report = runglass(data.path()).args(["report", "latest"]).output().unwrap();
        insta::assert_snapshot!("real_run_terminal_report", String::from_utf8(report.stdout).unwrap());
    });
}
