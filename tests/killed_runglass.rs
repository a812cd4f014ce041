//! A command that kills runglass itself (`kill -9 $PPID`): the receipt recovered from the
//! event log still lists what it did before, says that observation ended early, and tells
//! created files from modified ones.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;

use common::{latest_json, receipts, runglass};
use serde_json::Value;

/// `runglass run --deep -- sh -c SCRIPT` in `work`, which must end with runglass killed.
fn killed_run(data: &Path, work: &Path, script: &str) {
    let out = runglass(data).current_dir(work).args(["run", "--deep", "--", "sh", "-c", script]).output().unwrap();
    assert_eq!(out.status.code(), None, "runglass was killed: {}", common::stderr(&out));
    assert_eq!(receipts(data).len(), 1);
    assert!(!receipts(data)[0].join("receipt.json").exists(), "a killed runglass wrote no receipt");
}

fn coverage<'a>(receipt: &'a Value, aspect: &str) -> &'a Value {
    let all = receipt["observation"]["coverage"].as_array().unwrap();
    all.iter().find(|c| c["aspect"] == aspect).unwrap_or_else(|| panic!("no {aspect} in {all:#?}"))
}

/// What every recovered receipt of a killed deep run says about itself.
fn assert_observation_ended_early(receipt: &Value) {
    assert_eq!(receipt["outcome"]["status"], "interrupted", "{:#}", receipt["outcome"]);
    assert!(receipt["outcome"]["exit"].is_null(), "the command's exit was never seen");
    for aspect in ["processes", "network", "files_outside"] {
        let c = coverage(receipt, aspect);
        assert_eq!(c["confidence"], "partial", "{c:#}");
        assert!(c["note"].as_str().unwrap().contains("until runglass stopped"), "{c:#}");
    }
    let limits: Vec<&str> =
        receipt["observation"]["limits"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    let ended =
        limits.iter().find(|l| l.starts_with("Observation ended early")).unwrap_or_else(|| panic!("{limits:#?}"));
    assert!(ended.contains(" ms into the run"), "{ended}");
    assert!(
        !limits.iter().any(|l| l.contains("still running when the command ended")),
        "nothing outlived it: {limits:#?}"
    );

    let processes = receipt["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 1, "{processes:#?}");
    let sh = &processes[0];
    assert_eq!(sh["argv"][0], "sh");
    assert!(sh["argv"][2].as_str().unwrap().ends_with("kill -9 $PPID"), "{sh:#}");
    assert!(sh["exit"].is_null() && sh["ended_ms"].is_null(), "{sh:#}");
    assert_eq!(sh["outlived_command"], false, "killed with runglass, not left running: {sh:#}");
}

#[test]
fn a_command_that_kills_runglass_leaves_a_receipt_with_its_file_created_outside() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // The reproduction, with a private directory standing for /tmp.
    let outside = tempfile::tempdir().unwrap();
    let x = outside.path().canonicalize().unwrap().join("x");
    killed_run(data.path(), work.path(), &format!("echo o > {}; kill -9 $PPID", x.display()));
    assert_eq!(std::fs::read_to_string(&x).unwrap(), "o\n");

    let receipt = latest_json(data.path());
    assert_observation_ended_early(&receipt);
    let outside = receipt["files"]["outside"].as_array().unwrap();
    assert_eq!(outside.len(), 1, "{outside:#?}");
    let row = &outside[0];
    assert_eq!(row["path"], x.to_str().unwrap());
    assert_eq!(row["change"], "created", "{row:#}");
    assert!(row["before"].is_null() && row["captured"] == true, "{row:#}");
    assert_eq!(row["by"][0]["action"], "truncated", "the shell's `>`: {row:#}");
    assert_eq!(row["after"]["blake3"], blake3::hash(b"o\n").to_hex().as_str(), "hashed, within the cap: {row:#}");

    let report = runglass(data.path()).args(["report", "latest"]).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(text.contains("Outside the working directory: 1 created, 0 modified"), "{text}");
    assert!(text.contains(&format!("+ {} (truncated; absent -> file", x.display())), "{text}");
    assert!(text.contains("[end not seen]") && !text.contains("[still running]"), "{text}");
}

#[test]
fn a_command_that_kills_runglass_leaves_a_receipt_with_its_files_in_the_working_directory() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("existing.txt"), "a\n").unwrap();
    killed_run(data.path(), work.path(), "echo o > new.txt; echo m >> existing.txt; kill -9 $PPID");

    let receipt = latest_json(data.path());
    assert_observation_ended_early(&receipt);
    let new = common::change(&receipt, "new.txt");
    assert_eq!(new["change"], "created", "{new:#}");
    assert!(new["before"].is_null(), "{new:#}");
    assert_eq!(new["by"][0]["action"], "truncated");
    let existing = common::change(&receipt, "existing.txt");
    assert_eq!(existing["change"], "modified", "{existing:#}");
    assert_eq!(existing["by"][0]["action"], "wrote");
    assert_eq!(receipt["files"]["changes"].as_array().unwrap().len(), 2, "{:#}", receipt["files"]["changes"]);
    let files = coverage(&receipt, "files");
    assert_eq!((files["source"].as_str(), files["confidence"].as_str()), (Some("trace"), Some("partial")), "{files:#}");
}
