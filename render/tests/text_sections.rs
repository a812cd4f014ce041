//! The four text reports (Markdown, terminal, ai, pull-request summary) pinned on receipts
//! that reach the edges of every section: one where each section is empty or absent, one
//! crowded past every cut, and the engines that could not be read or changed nothing.

use runglass_model::receipt::{GitCommit, GitInfo, Receipt};
use runglass_render::{ai, markdown, summary_md, terminal};
use serde_json::{Value, json};

mod support {
    pub mod big;
}

use support::big::{big_receipt, fixture};

/// The four reports, one after the other, each under a marker line.
fn all_four(r: &Receipt) -> String {
    format!(
        "==== markdown\n{}==== terminal\n{}==== ai\n{}==== summary\n{}",
        markdown::receipt(r),
        terminal::report(r),
        ai::summary(r),
        summary_md::summary(r)
    )
}

/// `r` edited as JSON, so a test can grow any list by cloning its first entry.
fn edited(r: &Receipt, edit: impl FnOnce(&mut Value)) -> Receipt {
    let mut v = serde_json::to_value(r).expect("a receipt is JSON");
    edit(&mut v);
    serde_json::from_value(v).expect("still a receipt")
}

/// `n` copies of `template`, each changed by `each(i, copy)`.
fn copies(template: &Value, n: usize, each: impl Fn(usize, &mut Value)) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let mut v = template.clone();
                each(i, &mut v);
                v
            })
            .collect(),
    )
}

#[test]
fn every_text_report_of_a_receipt_with_nothing_in_it() {
    let r = edited(&fixture(), |v| {
        v["files"]["changes"] = json!([]);
        v["files"]["outside"] = json!([]);
        v["processes"] = json!([]);
        v["network"] = json!({"outbound": [], "listening": [], "unix": [], "lookups": [], "probes": []});
        v["docker"] = Value::Null;
        v["git"] = Value::Null;
        v["ci"] = Value::Null;
        v["risk"]["notes"] = json!([]);
        v["timeline"]["entries"] = json!([]);
        v["output"]["stdout"] = Value::Null;
        v["output"]["stderr"] = Value::Null;
        v["output"]["transcript"] = Value::Null;
        v["observation"]["limits"] = json!([]);
    });
    insta::assert_snapshot!(all_four(&r));
}

#[test]
fn every_text_report_of_a_receipt_past_every_cut() {
    let mut r = big_receipt(130, 260);
    let mut commits = Vec::new();
    for i in 0..70 {
        commits.push(GitCommit { id: format!("{i:040}"), subject: format!("commit {i}").as_str().into() });
    }
    r.git = Some(GitInfo {
        root: "/tmp/fx/proj".into(),
        commit: Some("a".repeat(40)),
        branch: Some("main".into()),
        dirty_before: true,
        dirty_after: false,
        after: Some(runglass_model::receipt::GitAfter {
            commit: Some("b".repeat(40)),
            branch: Some("main".into()),
            head_ahead: 70,
            commits,
            ..Default::default()
        }),
        config: Vec::new(),
        config_more: 0,
        hooks_dir: None,
        created: false,
        limits: Vec::new(),
    });
    let r = edited(&r, |v| {
        let note = v["risk"]["notes"][0].clone();
        v["risk"]["notes"] = copies(&note, 12, |i, n| {
            n["title"] = json!(format!("note {i}"));
            n["severity"] = json!(if i == 3 { "high" } else { "medium" });
            n["evidence"] = json!((0..12).map(|e| format!("evidence {i}.{e}")).collect::<Vec<_>>());
        });
        // Thirty changes in a directory the snapshots skip, five in another.
        let changes = v["files"]["changes"].as_array_mut().expect("changes");
        for (i, c) in changes.iter_mut().enumerate().take(35) {
            let dir = if i < 30 { "node_modules" } else { "target" };
            c["skipped_dir"] = json!(dir);
            c["path"] = json!(format!("{dir}/f{i:02}"));
        }
        let outside = v["files"]["outside"][0].clone();
        v["files"]["outside"] = copies(&outside, 110, |i, c| c["path"] = json!(format!("/tmp/fx/out{i:03}")));
        let by = v["files"]["outside"][0]["by"].clone();
        v["files"]["transient"] =
            copies(&json!({"path": "", "inside": true, "by": by}), 5, |i, t| t["path"] = json!(format!("tmp{i}")));
        v["files"]["reads"] = copies(&json!({"path": "", "blake3": "ab".repeat(32), "size": 10, "by": by}), 120, |i, f| {
            f["path"] = json!(format!("read{i:03}"))
        });
        v["files"]["snapshot"]["capped"] = copies(&json!(""), 110, |i, p| *p = json!(format!("capped{i:03}")));
        v["files"]["snapshot"]["unreadable"] = copies(&json!({"path": "", "error": "EACCES"}), 110, |i, u| {
            u["path"] = json!(format!("locked{i:03}"))
        });
        let n = &mut v["network"];
        let (listening, unix, lookup) = (n["listening"][0].clone(), n["unix"][0].clone(), n["lookups"][0].clone());
        n["listening"] = copies(&listening, 110, |i, l| l["port"] = json!(9000 + i));
        n["unix"] = copies(&unix, 110, |i, u| u["path"] = json!(format!("/run/s{i:03}.sock")));
        n["lookups"] = copies(&lookup, 110, |i, l| l["name"] = json!(format!("h{i:03}.example")));
        n["probes"] = copies(&json!({"address": "10.0.0.1", "port": 0, "pid": 1, "process": 0, "exec": null, "first_ms": 1, "count": 1}), 7, |i, p| {
            p["port"] = json!(i + 1)
        });
        v["observation"]["limits"] = json!(["one limit", "another"]);
        v["timeline"]["omitted"] = json!(12);
        let tail: String = (0..40).map(|i| format!("tail line {i}\n")).collect();
        v["output"]["stderr"] = json!({"file": "stderr", "bytes": 50000, "head": "head line\n", "tail": tail, "truncated": true, "stored_bytes": 40000});
    });
    insta::assert_snapshot!(all_four(&r));
}

#[test]
fn every_text_report_of_engines_unread_or_unchanged() {
    let unread = edited(&fixture(), |v| {
        v["docker"]["unavailable"] = json!("cannot connect to unix:///var/run/docker.sock");
        v["outcome"] = json!({"status": "completed", "exit": {"code": 0}, "exit_code": 0, "timeout_ms": 5000, "message": "done"});
        v["output"]["stdout"] = json!({"file": "stdout", "bytes": 0, "head": "", "tail": "", "truncated": false});
    });
    let unchanged = edited(&fixture(), |v| {
        for list in ["containers", "images", "volumes", "networks"] {
            v["docker"][list] = json!([]);
        }
    });
    insta::assert_snapshot!(format!("{}\n#### unchanged\n{}", all_four(&unread), all_four(&unchanged)));
}

#[test]
fn terminal_of_the_fixture() {
    insta::assert_snapshot!(terminal::report(&fixture()));
}
