//! The receipt store's commands end to end: list (and its filters), report, validate,
//! prune, delete, doctor, snapshot and demo, and how they treat a broken receipt.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use common::{receipts, run_script, runglass, stderr};
use serde_json::Value;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Three receipts: a completed one, a failed one, and one in deep mode.
fn three_receipts(data: &Path, work: &Path) {
    assert!(run_script(data, work, &[], "echo one > one.txt").status.success());
    assert_eq!(run_script(data, work, &[], "exit 4").status.code(), Some(4));
    assert!(run_script(data, work, &["--deep"], "echo deep > deep.txt; ls >/dev/null").status.success());
}

fn list_json(data: &Path, args: &[&str]) -> Vec<Value> {
    let out = runglass(data).arg("list").arg("--json").args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

#[test]
fn list_filters_by_query_risk_mode_and_limit() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    three_receipts(data.path(), work.path());
    let all = list_json(data.path(), &[]);
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["mode"], "deep", "newest first");
    assert_eq!(list_json(data.path(), &["--mode", "deep"]).len(), 1);
    assert_eq!(list_json(data.path(), &["--mode", "normal"]).len(), 2);
    let failed = list_json(data.path(), &["--risk", "medium"]);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(list_json(data.path(), &["--query", "ONE.TXT"]).len(), 1);
    assert_eq!(list_json(data.path(), &["--limit", "2"]).len(), 2);
    let table = runglass(data.path()).arg("list").output().unwrap();
    assert_eq!(stdout(&table).lines().count(), 3);
}

#[test]
fn report_shows_the_executed_commands_tree() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run_script(data.path(), work.path(), &["--deep"], "sh -c 'true; echo child-ran > c.txt'; ls > /dev/null");
    assert!(out.status.success());
    let report = runglass(data.path()).args(["report", "latest"]).output().unwrap();
    let text = stdout(&report);
    assert!(text.contains("Executed commands: "), "{text}");
    assert!(text.contains("└─ ") || text.contains("├─ "), "children are drawn under their parent: {text}");
    assert!(text.contains("ls"), "short-lived children are listed: {text}");
    assert!(text.contains("+ created   c.txt"), "{text}");
    // By id prefix too.
    let id = receipts(data.path())[0].file_name().unwrap().to_string_lossy().into_owned();
    let by_prefix = runglass(data.path()).args(["report", &id[..20]]).output().unwrap();
    assert!(by_prefix.status.success(), "{}", stderr(&by_prefix));
}

#[test]
fn names_from_the_command_cannot_reach_the_terminal_raw() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run_script(data.path(), work.path(), &["--deep"], "printf x > \"$(printf 'evil\\033[2J.txt')\"");
    assert!(out.status.success());
    let report = runglass(data.path()).args(["report", "latest"]).output().unwrap();
    let text = stdout(&report);
    assert!(!text.contains('\x1b'), "an escape sequence reached the report");
    assert!(text.contains("evil\\u{1b}[2J.txt"), "{text}");
}

#[test]
fn a_broken_receipt_is_skipped_with_a_warning_and_fails_validation() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    three_receipts(data.path(), work.path());
    let dirs = receipts(data.path());
    std::fs::write(dirs[1].join("receipt.json"), b"{\"format_version\": 1, \"id\": ").unwrap();
    let list = runglass(data.path()).args(["list", "--json"]).output().unwrap();
    assert!(list.status.success());
    assert_eq!(serde_json::from_slice::<Value>(&list.stdout).unwrap().as_array().unwrap().len(), 2);
    assert!(stderr(&list).contains("warning: skipping receipt"), "{}", stderr(&list));

    let v = runglass(data.path()).arg("validate").arg(&dirs[1]).output().unwrap();
    assert_eq!(v.status.code(), Some(1));
    assert!(stderr(&v).contains("not a valid receipt"), "{}", stderr(&v));
    assert_eq!(stderr(&v).lines().count(), 1);

    // A newer format is refused with the fix.
    std::fs::write(dirs[1].join("receipt.json"), b"{\"format_version\": 99}").unwrap();
    let v = runglass(data.path()).arg("validate").arg(&dirs[1]).output().unwrap();
    assert!(stderr(&v).contains("upgrade runglass"), "{}", stderr(&v));

    // A missing artifact warns; the receipt stays valid.
    std::fs::remove_file(dirs[2].join("stdout")).unwrap();
    let v = runglass(data.path()).arg("validate").arg("latest").output().unwrap();
    assert!(v.status.success(), "{}", stderr(&v));
    assert!(stderr(&v).contains("artifact stdout is missing"), "{}", stderr(&v));

    // A structural error fails.
    let mut r: Value = serde_json::from_slice(&std::fs::read(dirs[0].join("receipt.json")).unwrap()).unwrap();
    r["timing"]["duration_ms"] = Value::from(123_456_789u64);
    std::fs::write(dirs[0].join("receipt.json"), serde_json::to_vec(&r).unwrap()).unwrap();
    let v = runglass(data.path()).arg("validate").arg(dirs[0].join("receipt.json")).output().unwrap();
    assert_eq!(v.status.code(), Some(1));
    assert!(stderr(&v).contains("duration_ms"), "{}", stderr(&v));

    // Prune keeps the newest and skips the broken one.
    let p = runglass(data.path()).args(["prune", "--keep", "1", "--dry-run"]).output().unwrap();
    assert_eq!(stdout(&p).lines().count(), 1, "{}", stdout(&p));
    assert_eq!(receipts(data.path()).len(), 3, "a dry run deletes nothing");
    let p = runglass(data.path()).args(["prune", "--keep", "1"]).output().unwrap();
    assert!(p.status.success());
    assert!(stderr(&p).contains("skipping receipt"), "{}", stderr(&p));
    let left = receipts(data.path());
    assert_eq!(left.len(), 2, "the newest and the broken one remain");
    assert!(left.contains(&dirs[1]) && left.contains(&dirs[2]));
}

#[test]
fn delete_removes_one_receipt() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    three_receipts(data.path(), work.path());
    let out = runglass(data.path()).args(["delete", "latest"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(receipts(data.path()).len(), 2);
    let out = runglass(data.path()).args(["delete", "../x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a receipt id"), "{}", stderr(&out));
}

#[test]
fn doctor_reports_each_capability() {
    let data = tempfile::tempdir().unwrap();
    let out = runglass(data.path()).arg("doctor").output().unwrap();
    let text = stdout(&out);
    for name in ["deep mode", "/proc", "data dir", "snapshot cap", "docker"] {
        assert!(text.contains(name), "{name} missing: {text}");
    }
    assert!(text.contains("ok    deep mode"), "ptrace works on the test machines: {text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn snapshot_dry_run_reports_without_storing() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("node_modules")).unwrap();
    std::fs::write(work.path().join("a.txt"), "a").unwrap();
    let out = runglass(data.path()).current_dir(work.path()).args(["snapshot", "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("node_modules"), "{}", stdout(&out));
    assert!(!data.path().join("blobs").exists() || std::fs::read_dir(data.path().join("blobs")).unwrap().count() == 0);
    let out = runglass(data.path()).current_dir(work.path()).arg("snapshot").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 entries") || stdout(&out).contains("1 entries"), "{}", stdout(&out));
}

#[test]
fn demo_makes_a_receipt_worth_reading() {
    let data = tempfile::tempdir().unwrap();
    let out = runglass(data.path()).arg("demo").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = common::latest_json(data.path());
    let kinds: Vec<&str> =
        r["files"]["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap()).collect();
    for k in ["created", "modified", "deleted"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    assert!(!r["risk"]["notes"].as_array().unwrap().is_empty());
    let v = runglass(data.path()).args(["validate", "latest"]).output().unwrap();
    assert!(v.status.success(), "{}", stderr(&v));
}

/// A receipt written by runglass before receipt format 2 (actors with copied argv) is read,
/// reported, validated and exported as today's format.
#[test]
fn a_format_1_receipt_in_the_store_still_reads_in_every_command() {
    let data = tempfile::tempdir().unwrap();
    let old = include_str!("../fuzz/seeds/receipt_json/deep-mode.json");
    let id = serde_json::from_str::<Value>(old).unwrap()["id"].as_str().unwrap().to_string();
    let dir = data.path().join("receipts").join(&id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("receipt.json"), old).unwrap();

    let report = runglass(data.path()).args(["report", &id]).output().unwrap();
    assert!(report.status.success(), "{}", stderr(&report));
    // The copied argv became a reference to the process, and reads back as that command.
    assert!(stdout(&report).contains("by 8824 (sh -c"), "{}", stdout(&report));
    let json = runglass(data.path()).args(["report", &id, "--print-json"]).output().unwrap();
    let r: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(r["format_version"], 2);
    assert_eq!(r["files"]["changes"][0]["by"][0]["process"], 0);
    assert!(r["files"]["changes"][0]["by"][0].get("argv").is_none());
    let v = runglass(data.path()).args(["validate", &id]).output().unwrap();
    assert!(!stderr(&v).contains("error"), "{}", stderr(&v));
    let out = tempfile::tempdir().unwrap();
    let export = runglass(data.path())
        .args(["export", &id, "--html", "--markdown", "--output"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(std::fs::read_to_string(out.path().join("receipt.html")).unwrap().contains("outside.txt"));
}
