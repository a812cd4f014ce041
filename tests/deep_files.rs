//! `runglass run --deep` end to end, for files a path's text does not name: a write
//! through a symlink, calls through /proc/self/fd, /dev/fd and /proc/PID, owner, attribute,
//! mode, size and node changes (on paths and on descriptors), and files below a directory
//! deeper than PATH_MAX. The receipt lists the file each call reached, with its state
//! before, taken while the call was stopped, and revert restores it.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{latest_json, runglass, stderr};
use serde_json::Value;

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

/// The paths of a list of the receipt's files (`outside`, `transient`), under `dir`,
/// relative to it.
fn listed(r: &Value, list: &str, dir: &Path) -> BTreeSet<String> {
    let dir = format!("{}/", dir.display());
    r["files"][list]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str()?.strip_prefix(&dir).map(str::to_string))
        .collect()
}

fn actions(c: &Value) -> BTreeSet<String> {
    c["by"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap().to_string()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `runglass run --deep -- PROGRAM ARGS...` in `work`, which must succeed.
fn run_deep(data: &Path, work: &Path, program: impl AsRef<std::ffi::OsStr>, args: &[&std::ffi::OsStr]) {
    let out = runglass(data).current_dir(work).args(["run", "--deep", "--"]).arg(program).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_write_through_a_symlink_lists_the_file_it_reached_and_revert_restores_it() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let e = elsewhere.path().canonicalize().unwrap();
    std::fs::write(e.join("target"), "old\n").unwrap();
    std::os::unix::fs::symlink(e.join("target"), work.path().join("lnk")).unwrap();
    std::os::unix::fs::symlink(e.join("created"), work.path().join("dangling")).unwrap();
    let sh = std::ffi::OsStr::new;
    run_deep(data.path(), work.path(), "sh", &[sh("-c"), sh("echo x > lnk; echo y > dangling")]);
    let r = latest_json(data.path());

    let target = outside(&r, &e.join("target"));
    assert_eq!((&target["change"], &target["captured"]), (&"modified".into(), &true.into()), "{target:#}");
    assert_eq!(target["before"]["blake3"], hex(b"old\n"));
    assert_eq!(target["before"]["stored"], true, "its content before is kept for revert");
    assert_eq!(target["after"]["blake3"], hex(b"x\n"));
    // The O_CREAT through a dangling link made the file it points to.
    let created = outside(&r, &e.join("created"));
    assert_eq!(
        (&created["change"], &created["captured"], &created["before"]),
        (&"created".into(), &true.into(), &Value::Null)
    );
    // The links themselves did not change, in the working directory or anywhere else.
    assert_eq!(r["files"]["changes"].as_array().unwrap().len(), 0, "{:#}", r["files"]["changes"]);
    assert_eq!(r["files"]["outside"].as_array().unwrap().len(), 2, "{:#}", r["files"]["outside"]);

    let out = runglass(data.path())
        .current_dir(work.path())
        .args(["revert", "latest", "--include-outside", "--apply"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(e.join("target")).unwrap(), b"old\n");
    assert!(!e.join("created").exists());
    assert!(std::fs::symlink_metadata(work.path().join("dangling")).unwrap().file_type().is_symlink());
}

#[test]
fn calls_through_proc_self_fd_dev_fd_and_proc_pid_are_listed_at_the_files_they_reached() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    run_deep(data.path(), work.path(), runglass_fixtures::path("reached_paths"), &[d.as_os_str()]);
    let r = latest_json(data.path());

    // Every file the fixture made, by its own name: none by a /proc or /dev/fd alias, and
    // the directory symlink on the way of `dirlink/through-dir` resolved.
    let made = [
        "elsewhere",
        "elsewhere/existing",
        "elsewhere/created",
        "elsewhere/through-dir",
        "lnk",
        "lnk2",
        "dirlink",
        "renamed",
        "via-root",
    ];
    assert_eq!(listed(&r, "outside", &d), set(&made), "{:#}", r["files"]["outside"]);
    assert_eq!(listed(&r, "transient", &d), set(&["dangling", "via-cwd"]), "{:#}", r["files"]["transient"]);
    let text = r["files"].to_string();
    assert!(!text.contains("/proc/") && !text.contains("/dev/fd"), "{text}");

    // The chmods through /proc/self/fd and /proc/PID/fd, the truncate through
    // /proc/thread-self/fd and the writes through /dev/fd and lnk2 all acted on `existing`.
    let existing = outside(&r, &d.join("elsewhere/existing"));
    let did = actions(existing);
    assert!(["chmod", "truncated", "wrote"].iter().all(|a| did.contains(*a)), "{existing:#}");
    assert_eq!(existing["after"]["blake3"], hex(b"ne!?"));
    assert_eq!(existing["after"]["mode"], 0o644);
    let renamed = outside(&r, &d.join("renamed"));
    assert!(actions(renamed).contains("renamed_to"), "{renamed:#}");
}

#[test]
fn owner_attribute_mode_size_and_node_changes_are_listed_with_their_states_before_and_after() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    std::fs::write(d.join("f"), "abcdef").unwrap();
    std::fs::set_permissions(d.join("f"), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    rustix::fs::setxattr(d.join("f"), "user.before", b"1", rustix::fs::XattrFlags::empty()).unwrap();
    std::os::unix::fs::symlink("f", d.join("lnk")).unwrap();
    std::fs::write(d.join("g"), "owned").unwrap();
    let root = rustix::process::geteuid().is_root();
    // The fixture's calls, then (as root) a chown to another owner by coreutils.
    let script = format!(
        "'{}' '{}' > /dev/null && if [ {} = yes ]; then chown 1:1 '{}'; fi",
        runglass_fixtures::path("owner_xattr").display(),
        d.display(),
        if root { "yes" } else { "no" },
        d.join("g").display()
    );
    let sh = std::ffi::OsStr::new;
    run_deep(data.path(), work.path(), "sh", &[sh("-c"), sh(&script)]);
    let r = latest_json(data.path());

    let f = outside(&r, &d.join("f"));
    assert_eq!((&f["change"], &f["captured"]), (&"modified".into(), &true.into()), "{f:#}");
    let (before, after) = (&f["before"], &f["after"]);
    assert_eq!((&before["mode"], &before["size"]), (&0o644.into(), &6.into()), "{f:#}");
    assert_eq!(
        (&after["mode"], &after["size"]),
        (&0o640.into(), &3.into()),
        "fchmod and ftruncate on a descriptor: {f:#}"
    );
    assert_eq!(before["xattrs"], serde_json::json!(["user.before"]));
    assert_eq!(after["xattrs"], serde_json::json!(["user.before", "user.runglass"]), "{f:#}");
    assert_eq!(
        (&f["mode_changed"], &f["content_changed"], &f["xattrs_changed"]),
        (&true.into(), &true.into(), &true.into())
    );
    let did = actions(f);
    for action in ["chown", "set_xattr", "remove_xattr", "chmod", "truncated"] {
        assert!(did.contains(action), "{action} in {did:?}");
    }
    for fifo in ["fifo", "fifo2", "fifo3"] {
        let node = outside(&r, &d.join(fifo));
        assert_eq!((&node["change"], &node["after"]["kind"]), (&"created".into(), &"other".into()), "{node:#}");
        assert_eq!(actions(node), set(&["mknod"]));
    }
    // A pipe's fchmod and a bad descriptor's fchown name no path.
    let text = r["files"].to_string();
    assert!(!text.contains("pipe:") && !text.contains("\"\""), "{text}");
    if root {
        let g = outside(&r, &d.join("g"));
        assert_eq!(
            (&g["before"]["uid"], &g["after"]["uid"], &g["after"]["gid"]),
            (&0.into(), &1.into(), &1.into()),
            "{g:#}"
        );
        assert_eq!((&g["owner_changed"], &g["content_changed"]), (&true.into(), &false.into()), "{g:#}");
    }
}

#[test]
fn files_below_a_directory_deeper_than_path_max_are_listed_by_their_absolute_paths() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    run_deep(
        data.path(),
        work.path(),
        runglass_fixtures::path("deep_cwd"),
        &[d.as_os_str(), std::ffi::OsStr::new("25")],
    );
    let r = latest_json(data.path());
    let deep = (0..25).fold(d.clone(), |at, _| at.join("d".repeat(200)));
    assert!(deep.as_os_str().len() > 4096);
    let file = outside(&r, &deep.join("deep-file"));
    assert_eq!(
        (&file["change"], &file["captured"], &file["exists_after"]),
        (&"created".into(), &true.into(), &true.into()),
        "{file:#}"
    );
    assert_eq!(file["after"]["blake3"], hex(b"deep\n"));
    let made = outside(&r, &deep.join("deep-dir"));
    assert_eq!((&made["change"], &made["after"]["kind"]), (&"created".into(), &"dir".into()));
    // Every level is listed, each by its absolute path.
    let outside_paths: Vec<&str> =
        r["files"]["outside"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(outside_paths.len(), 27, "25 levels, the file and the directory: {outside_paths:?}");
    assert!(outside_paths.iter().all(|p| p.starts_with(d.to_str().unwrap())));
    assert_eq!(r["files"]["transient"].as_array().unwrap().len(), 0);
    let execs = r["processes"].to_string();
    assert!(execs.contains(deep.to_str().unwrap()), "the exec's working directory, absolute");
}
