//! `runglass ci`: the artifact directory a CI job keeps, the build recorded in the receipt,
//! GitHub Actions' job summary, the wrapped command's exit status (a signal too), the
//! directory replaced whole on a re-run and never when it holds someone else's files, and
//! `runglass validate` of the directory, which checks the stored contents by hash.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use walkdir::WalkDir;

use common::{runglass, stderr};

/// A work tree with one committed file, and a data directory.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("kept.txt"), "one\ntwo\n").unwrap();
    std::fs::write(work.join("gone.txt"), "bye\n").unwrap();
    (tmp, work, data)
}

fn ci(data: &Path, work: &Path, args: &[&str], env: &[(&str, &str)], script: &str) -> Output {
    let mut cmd: Command = runglass(data);
    cmd.current_dir(work).arg("ci").args(args).args(["--", "sh", "-c", script]);
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

/// Every file under `dir`, relative, '/'-separated.
fn files(dir: &Path) -> BTreeSet<String> {
    WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn validate(data: &Path, dir: &Path) -> Output {
    runglass(data).arg("validate").arg(dir).output().unwrap()
}

const EDIT: &str = "echo three >> kept.txt; echo new > made.txt; rm gone.txt; echo to-stdout; echo to-stderr >&2";

#[test]
fn a_failing_command_on_github_actions_keeps_its_status_its_receipt_and_the_job_summary() {
    let (tmp, work, data) = setup();
    let event = tmp.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 31}}"#).unwrap();
    let summary = tmp.path().join("step-summary.md");
    std::fs::write(&summary, "# Earlier step\n").unwrap();
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "acme/widgets"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    let out = ci(&data, &work, &[], &env, &format!("{EDIT}; exit 3"));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "to-stdout\n", "the command's output passes through untouched");

    let dir = work.join("runglass-ci");
    let expected: BTreeSet<String> = [
        "receipt.html",
        "receipt.md",
        "receipt.json",
        "summary.md",
        "ai-summary.txt",
        "reverse.patch",
        "bundle.tar",
        "artifacts/metadata.json",
        "artifacts/stdout",
        "artifacts/stderr",
        "artifacts/events.log",
        "artifacts/snapshots/snapshot-before.bin",
        "artifacts/snapshots/snapshot-after.bin",
        "artifacts/diffs/kept.txt.diff",
        "artifacts/diffs/made.txt.diff",
        "artifacts/diffs/gone.txt.diff",
        "artifacts/files/before/kept.txt",
        "artifacts/files/before/gone.txt",
        "artifacts/files/after/kept.txt",
        "artifacts/files/after/made.txt",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(files(&dir), expected);

    let receipt = json(&dir.join("receipt.json"));
    assert_eq!(receipt["outcome"]["exit_code"], 3);
    assert_eq!(
        receipt["ci"],
        serde_json::json!({
            "provider": "github",
            "repository": "acme/widgets",
            "pull_request": 31,
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "run_url": "https://github.com/acme/widgets/actions/runs/4242",
            "server_url": "https://github.com",
        })
    );
    assert_eq!(json(&dir.join("artifacts/metadata.json"))["ci"]["pull_request"], 31);
    assert_eq!(std::fs::read_to_string(dir.join("artifacts/stdout")).unwrap(), "to-stdout\n");
    assert_eq!(std::fs::read_to_string(dir.join("artifacts/files/before/kept.txt")).unwrap(), "one\ntwo\n");
    assert_eq!(std::fs::read_to_string(dir.join("artifacts/files/after/kept.txt")).unwrap(), "one\ntwo\nthree\n");
    let patch = std::fs::read_to_string(dir.join("reverse.patch")).unwrap();
    assert!(patch.contains("-three"), "{patch}");
    let md = std::fs::read_to_string(dir.join("receipt.md")).unwrap();
    assert!(
        md.contains(
            r"- **CI:** GitHub Actions, acme/widgets, pull request \#31, commit 0123456789ab; run: https://github"
        ),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("receipt.html")).unwrap();
    assert!(html.contains(r#"href="https://github.com/acme/widgets/actions/runs/4242""#));

    let tar = Command::new("tar").arg("-tf").arg(dir.join("bundle.tar")).output().unwrap();
    let listed = String::from_utf8_lossy(&tar.stdout);
    let id = receipt["id"].as_str().unwrap();
    for entry in ["receipt.json", "artifacts/files/before/kept.txt", "artifacts/diffs/made.txt.diff"] {
        assert!(listed.lines().any(|l| l == format!("runglass-receipt-{id}/{entry}")), "{entry} in {listed}");
    }

    let job_summary = std::fs::read_to_string(&summary).unwrap();
    let own = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(job_summary.starts_with("# Earlier step\n"), "appended, not replaced: {job_summary}");
    assert!(job_summary.contains(&own), "{job_summary}");
    assert!(job_summary.contains("runglass-ci"), "names the artifact directory: {job_summary}");

    let checked = validate(&data, &dir);
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    assert!(String::from_utf8_lossy(&checked.stdout).contains("valid (0 warning(s))"), "{checked:?}");
    // Files mode 0644 and a 0755 directory: artifacts are made to be shared.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o755);
    let patch_mode = std::fs::metadata(dir.join("artifacts/files/before/kept.txt")).unwrap().permissions().mode();
    assert_eq!(patch_mode & 0o044, 0o044, "readable by group and others");
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_n_after_the_directory_is_written_in_deep_mode() {
    let (_tmp, work, data) = setup();
    let out = ci(&data, &work, &["--deep", "--output", "out/receipt"], &[], "echo x > made.txt; kill -TERM $$");
    assert_eq!(out.status.code(), Some(128 + 15), "{}", stderr(&out));
    let dir = work.join("out/receipt");
    let receipt = json(&dir.join("receipt.json"));
    assert_eq!(receipt["mode"], "deep");
    assert_eq!(receipt["outcome"]["exit"]["signal"]["signal"], 15, "{:#}", receipt["outcome"]);
    assert_eq!(receipt["ci"]["provider"], "generic");
    assert!(files(&dir).contains("artifacts/files/after/made.txt"));
    assert_eq!(validate(&data, &dir).status.code(), Some(0));
}

#[test]
fn a_rerun_replaces_the_earlier_directory_whole_and_never_records_it_as_a_change() {
    let (_tmp, work, data) = setup();
    let first = ci(&data, &work, &[], &[], EDIT);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = ci(&data, &work, &[], &[], "echo again > second.txt");
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let dir = work.join("runglass-ci");
    let now = files(&dir);
    assert!(now.contains("artifacts/diffs/second.txt.diff"), "{now:?}");
    assert!(!now.iter().any(|f| f.contains("made.txt") || f.contains("kept.txt")), "no stale files: {now:?}");
    let receipt = json(&dir.join("receipt.json"));
    let changed: Vec<&str> =
        receipt["files"]["changes"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(changed, ["second.txt"]);
    let siblings: Vec<String> =
        std::fs::read_dir(&work).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!siblings.iter().any(|n| n.starts_with(".runglass-ci-")), "no temporary left: {siblings:?}");
}

#[test]
fn a_directory_holding_other_files_is_refused_before_the_command_runs() {
    let (_tmp, work, data) = setup();
    std::fs::create_dir(work.join("reports")).unwrap();
    std::fs::write(work.join("reports/precious.txt"), "mine").unwrap();
    let out = ci(&data, &work, &["--output", "reports"], &[], "touch ran");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("reports holds files that are not an earlier `runglass ci` run"), "{err}");
    assert!(err.contains("choose another --output"), "{err}");
    assert!(!work.join("ran").exists(), "the command did not run");
    assert_eq!(std::fs::read_to_string(work.join("reports/precious.txt")).unwrap(), "mine");

    std::fs::write(work.join("a-file"), "x").unwrap();
    let out = ci(&data, &work, &["--output", "a-file"], &[], "touch ran");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("a-file exists and is not a directory"), "{}", stderr(&out));

    let out = ci(&data, &work, &["--output", "a-file/receipt"], &[], "touch ran");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("a-file is not a directory, so a-file/receipt cannot be made"), "{}", stderr(&out));
    assert!(!work.join("ran").exists(), "the command did not run");
}

#[test]
fn format_picks_the_views_and_gitlab_facts_are_recorded_without_touching_a_github_summary() {
    let (tmp, work, data) = setup();
    let summary = tmp.path().join("step-summary.md");
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "group/sub/app"),
        ("CI_MERGE_REQUEST_IID", "12"),
        ("CI_COMMIT_SHA", "feedface"),
        ("CI_PIPELINE_URL", "https://gitlab.example/group/sub/app/-/pipelines/77"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    let out = ci(&data, &work, &["--format", "summary-md,ai"], &env, EDIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = work.join("runglass-ci");
    let top: BTreeSet<String> = files(&dir).into_iter().filter(|f| !f.starts_with("artifacts/")).collect();
    assert_eq!(top, ["ai-summary.txt", "receipt.json", "summary.md"].into_iter().map(String::from).collect());
    let receipt = json(&dir.join("receipt.json"));
    assert_eq!(receipt["ci"]["provider"], "gitlab");
    assert_eq!(receipt["ci"]["repository"], "group/sub/app");
    assert_eq!(receipt["ci"]["pull_request"], 12);
    let ai = std::fs::read_to_string(dir.join("ai-summary.txt")).unwrap();
    assert!(
        ai.contains("ci: GitLab CI, group/sub/app, pull request #12, commit feedface (https://gitlab.example/"),
        "{ai}"
    );
    assert!(!summary.exists(), "GitHub's job summary is GitHub's alone");
}

#[test]
fn validate_finds_a_stored_content_that_was_altered_in_the_directory() {
    let (_tmp, work, data) = setup();
    let out = ci(&data, &work, &[], &[], EDIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = work.join("runglass-ci");
    std::fs::write(dir.join("artifacts/files/after/made.txt"), "forged\n").unwrap();
    std::fs::remove_file(dir.join("artifacts/files/before/gone.txt")).unwrap();
    std::fs::remove_file(dir.join("artifacts/stdout")).unwrap();
    let checked = validate(&data, &dir);
    assert_eq!(checked.status.code(), Some(1));
    let err = stderr(&checked);
    assert!(err.contains("error: ") && err.contains("made.txt does not match its recorded BLAKE3"), "{err}");
    assert!(err.contains("1 stored content(s) are missing from artifacts/files/"), "{err}");
    assert!(err.contains("artifact stdout is missing"), "{err}");
}

/// Runs `runglass ci ARGS -- sh -c SCRIPT` in a private mount namespace where `frozen` is a
/// fresh tmpfs, which the script can make read-only (`mount -o remount,ro "$FROZEN"`) once
/// runglass has checked its output directory: a disk that fails while the command runs.
/// None where mount namespaces are refused.
fn ci_with_a_freezable_dir(
    data: &Path,
    work: &Path,
    frozen: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    script: &str,
) -> Option<Output> {
    if !Command::new("unshare").args(["--mount", "true"]).status().is_ok_and(|s| s.success()) {
        eprintln!("SKIP ci_command: mount namespaces are refused here");
        return None;
    }
    let inner = runglass(data);
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        r#"mount -t tmpfs none "$FROZEN" && exec "$@""#,
        "sh",
    ]);
    cmd.arg(inner.get_program()).arg("ci").args(args).args(["--", "sh", "-c", script]);
    for (name, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.current_dir(work).env("FROZEN", frozen).envs(env.iter().copied());
    Some(cmd.output().unwrap())
}

#[test]
fn a_passing_command_whose_artifacts_cannot_be_written_fails_the_job_and_keeps_the_receipt() {
    let (tmp, work, data) = setup();
    let frozen = tmp.path().join("frozen");
    std::fs::create_dir(&frozen).unwrap();
    let output = frozen.join("out");
    let script = format!(r#"{EDIT}; mount -o remount,ro "$FROZEN""#);
    let args = ["--output", output.to_str().unwrap()];
    let Some(out) = ci_with_a_freezable_dir(&data, &work, &frozen, &args, &[], &script) else { return };
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("runglass: the artifact directory was not written: ") && err.contains("Read-only"), "{err}");
    // The receipt itself is in the store, whole.
    let receipts = common::receipts(&data);
    assert_eq!(receipts.len(), 1);
    assert_eq!(validate(&data, &receipts[0]).status.code(), Some(0));
    let receipt = json(&receipts[0].join("receipt.json"));
    assert_eq!(receipt["outcome"]["status"], "completed");
}

#[test]
fn a_job_summary_that_cannot_be_appended_to_is_a_warning_and_the_job_passes() {
    let (tmp, work, data) = setup();
    let frozen = tmp.path().join("frozen");
    std::fs::create_dir(&frozen).unwrap();
    let summary = frozen.join("step-summary.md");
    let script = format!(r#"{EDIT}; : > "$FROZEN/step-summary.md"; mount -o remount,ro "$FROZEN""#);
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "acme/widgets"),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    let Some(out) = ci_with_a_freezable_dir(&data, &work, &frozen, &[], &env, &script) else { return };
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let warning: Vec<&str> = err.lines().filter(|l| l.starts_with("runglass: warning: ")).collect();
    assert_eq!(warning.len(), 1, "{err}");
    assert!(
        warning[0].contains("only the job summary is missing") && warning[0].contains("GITHUB_STEP_SUMMARY"),
        "{err}"
    );
    let dir = work.join("runglass-ci");
    assert!(dir.join("receipt.json").is_file() && dir.join("bundle.tar").is_file());
    assert_eq!(validate(&data, &dir).status.code(), Some(0), "{}", stderr(&validate(&data, &dir)));
}
