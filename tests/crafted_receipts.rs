//! Receipts edited after a real run to name files outside their directory (an output
//! stream called `/etc/passwd` or `../../../etc/passwd`, a symlink planted in the
//! receipt's directory, an id that climbs): `runglass open` does not serve those files,
//! `export` and its bundle refuse the receipt, and `validate` calls it invalid, naming the
//! field. The server's revert refuses a receipt whose root was edited, as the command does
//! (tests/revert_apply.rs).

#[path = "common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::{receipts, run_script, runglass, stderr};
use serde_json::Value;

/// What every line of /etc/passwd on this machine starts with: never in a reply.
const PASSWD_ROOT: &str = "root:x:0:0";

/// A store holding one real receipt whose command printed to stdout, and its directory.
fn one_receipt() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = run_script(data.path(), work.path(), &[], "echo hello; echo more > made.txt");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = receipts(data.path()).pop().expect("a receipt");
    assert!(std::fs::read_to_string("/etc/passwd").unwrap().contains(PASSWD_ROOT), "this machine's /etc/passwd");
    (data, work, dir)
}

/// Rewrites the receipt.json of `dir` with `change`.
fn edit(dir: &Path, change: impl FnOnce(&mut Value)) {
    let path = dir.join("receipt.json");
    let mut receipt: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    change(&mut receipt);
    std::fs::write(&path, serde_json::to_vec_pretty(&receipt).unwrap()).unwrap();
}

fn id_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Puts a symlink to /etc/passwd where the receipt's stdout file was.
fn plant_stdout_symlink(dir: &Path) {
    std::fs::remove_file(dir.join("stdout")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("stdout")).unwrap();
}

/// GET `path` from the server on `port` over a raw socket: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    exchange(port, &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"))
}

/// POST the form `body` to `path`, from the server's own origin: (status, body).
fn post(port: u16, path: &str, body: &str) -> (u16, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    exchange(port, &format!("{head}{body}"))
}

fn exchange(port: u16, req: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a reply: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The port and the `/TOKEN/` path of a started `runglass open`.
fn address(server: &common::Opened) -> (u16, String) {
    let rest = server.url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("a loopback URL: {}", server.url));
    let (port, path) = rest.split_once('/').unwrap();
    let token = path.split('/').next().unwrap();
    (port.parse().unwrap(), format!("/{token}/"))
}

fn export(data: &Path, cwd: &Path, args: &[&str]) -> Output {
    runglass(data).current_dir(cwd).arg("export").arg("latest").args(args).output().unwrap()
}

fn validate(data: &Path, dir: &Path) -> Output {
    runglass(data).arg("validate").arg(dir).output().unwrap()
}

#[test]
fn the_server_does_not_serve_a_file_that_a_crafted_receipt_names_outside_its_directory() {
    let (data, _work, dir) = one_receipt();
    let id = id_of(&dir);
    let server = common::open_server(data.path(), &[]);
    let (port, base) = address(&server);
    let (status, body) = get(port, &format!("{base}r/{id}/stdout"));
    assert_eq!((status, body.trim()), (200, "hello"), "the real output is served");

    let climbs = "../../../../../../../../../../etc/passwd";
    for name in ["/etc/passwd", climbs] {
        edit(&dir, |r| r["output"]["stdout"]["file"] = name.into());
        let (status, body) = get(port, &format!("{base}r/{id}/{name}"));
        assert!(!body.contains(PASSWD_ROOT), "{name} was served: {status} {body}");
        assert_ne!(status, 200, "{name}: {body}");
        assert!(body.contains("output.stdout.file"), "the refusal names the field: {body}");
    }
}

#[test]
fn the_server_does_not_follow_a_symlink_planted_in_a_receipts_directory() {
    let (data, _work, dir) = one_receipt();
    plant_stdout_symlink(&dir);
    let server = common::open_server(data.path(), &[]);
    let (port, base) = address(&server);
    let (status, body) = get(port, &format!("{base}r/{}/stdout", id_of(&dir)));
    assert!(!body.contains(PASSWD_ROOT), "the symlink was followed: {status} {body}");
    assert_ne!(status, 200, "{body}");
    assert!(body.contains("symlink"), "{body}");
}

#[test]
fn export_and_its_bundle_refuse_a_receipt_naming_a_file_outside_its_directory() {
    let (data, work, dir) = one_receipt();
    let out = tempfile::tempdir().unwrap();
    let to = out.path().to_str().unwrap();
    for name in ["/etc/passwd", "../../../../../../../../../../etc/passwd"] {
        edit(&dir, |r| r["output"]["stdout"]["file"] = name.into());
        let exported = export(data.path(), work.path(), &["--bundle", "--output", to]);
        assert_ne!(exported.status.code(), Some(0), "{name}: {}", stderr(&exported));
        let err = stderr(&exported);
        assert!(err.contains("output.stdout.file") && err.contains("refusing"), "{err}");
        for written in std::fs::read_dir(out.path()).unwrap() {
            let bytes = std::fs::read(written.unwrap().path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains(PASSWD_ROOT), "{name} was bundled");
        }
    }
}

#[test]
fn the_bundle_refuses_a_symlink_planted_in_a_receipts_directory() {
    let (data, work, dir) = one_receipt();
    plant_stdout_symlink(&dir);
    let out = tempfile::tempdir().unwrap();
    let exported = export(data.path(), work.path(), &["--bundle", "--output", out.path().to_str().unwrap()]);
    assert_ne!(exported.status.code(), Some(0), "{}", stderr(&exported));
    assert!(stderr(&exported).contains("symlink"), "{}", stderr(&exported));
    for written in std::fs::read_dir(out.path()).unwrap() {
        let bytes = std::fs::read(written.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(PASSWD_ROOT), "the symlink was followed into the bundle");
    }
}

#[test]
fn export_refuses_a_receipt_whose_id_climbs_out_of_the_output_directory() {
    let (data, _work, dir) = one_receipt();
    edit(&dir, |r| r["id"] = "../../../escaped".into());
    let base = tempfile::tempdir().unwrap();
    let cwd = base.path().join("a/b");
    std::fs::create_dir_all(&cwd).unwrap();
    let exported = export(data.path(), &cwd, &[]);
    assert_ne!(exported.status.code(), Some(0), "{}", stderr(&exported));
    assert!(stderr(&exported).contains("id \"../../../escaped\" is not a plain name"), "{}", stderr(&exported));
    assert!(!base.path().join("a/escaped").exists(), "export wrote outside its directory");
}

#[test]
fn validate_calls_a_receipt_naming_a_file_outside_its_directory_invalid_and_names_the_field() {
    let (data, _work, dir) = one_receipt();
    let fine = validate(data.path(), &dir);
    assert_eq!(fine.status.code(), Some(0), "{}", stderr(&fine));

    edit(&dir, |r| r["output"]["stdout"]["file"] = "../../../etc/passwd".into());
    let crafted = validate(data.path(), &dir);
    assert_eq!(crafted.status.code(), Some(1), "{}", stderr(&crafted));
    assert!(stderr(&crafted).contains("error: output.stdout.file \"../../../etc/passwd\""), "{}", stderr(&crafted));

    edit(&dir, |r| {
        r["output"]["stdout"]["file"] = "stdout".into();
        r["id"] = "../../../escaped".into();
    });
    let climbing_id = validate(data.path(), &dir);
    assert_eq!(climbing_id.status.code(), Some(1), "{}", stderr(&climbing_id));
    assert!(stderr(&climbing_id).contains("error: id \"../../../escaped\""), "{}", stderr(&climbing_id));
}

#[test]
fn validate_calls_a_symlink_planted_in_a_receipts_directory_an_error() {
    let (data, _work, dir) = one_receipt();
    plant_stdout_symlink(&dir);
    let v = validate(data.path(), &dir);
    assert_eq!(v.status.code(), Some(1), "{}", stderr(&v));
    assert!(stderr(&v).contains("error: refusing to read") && stderr(&v).contains("symlink"), "{}", stderr(&v));
}

#[test]
fn the_servers_revert_refuses_a_receipt_whose_root_was_edited_to_another_directory() {
    let (data, work, dir) = one_receipt();
    let victim = tempfile::tempdir().unwrap();
    let victim_root = victim.path().canonicalize().unwrap();
    std::fs::write(victim_root.join("made.txt"), "more\n").unwrap();
    edit(&dir, |r| r["files"]["root"] = victim_root.to_str().unwrap().into());
    let server = common::open_server(data.path(), &[]);
    let (port, base) = address(&server);
    let (status, body) = post(port, &format!("{base}r/{}/revert?apply=1", id_of(&dir)), "all=1&conflicts=force");
    assert_ne!(status, 200, "{body}");
    assert!(body.contains("refusing to revert") && body.contains("not the directory the command ran in"), "{body}");
    assert!(victim_root.join("made.txt").exists(), "the server's revert deleted a file of the edited root");
    assert!(work.path().join("made.txt").exists(), "nor was the real root touched");
}

#[test]
fn a_receipt_json_planted_as_a_symlink_in_the_store_is_not_read() {
    let (data, _work, dir) = one_receipt();
    let elsewhere = tempfile::tempdir().unwrap();
    let planted = elsewhere.path().join("receipt.json");
    std::fs::rename(dir.join("receipt.json"), &planted).unwrap();
    std::os::unix::fs::symlink(&planted, dir.join("receipt.json")).unwrap();
    let out = runglass(data.path()).args(["report", &id_of(&dir)]).output().unwrap();
    assert_ne!(out.status.code(), Some(0), "the planted receipt was read: {}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("symlink"), "{}", stderr(&out));
}

#[test]
fn recovering_an_interrupted_receipt_does_not_read_output_through_a_planted_symlink() {
    let (data, _work, dir) = one_receipt();
    // As runglass leaves a run it did not live to finish: the event log, no receipt.
    std::fs::remove_file(dir.join("receipt.json")).unwrap();
    plant_stdout_symlink(&dir);
    let out = runglass(data.path()).args(["report", &id_of(&dir), "--print-json"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(PASSWD_ROOT), "the recovered receipt holds /etc/passwd: {text}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recovered: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(recovered["outcome"]["status"], "interrupted", "{}", recovered["outcome"]);
}

#[test]
fn a_symlink_in_the_receipts_folder_is_not_a_receipt() {
    let (data, _work, dir) = one_receipt();
    // A receipt directory outside the store, reached through a link planted in it.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("outside");
    std::fs::rename(&dir, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &dir).unwrap();
    let id = id_of(&dir);

    let report = runglass(data.path()).args(["report", &id]).output().unwrap();
    assert_ne!(report.status.code(), Some(0), "{}", String::from_utf8_lossy(&report.stdout));
    let server = common::open_server(data.path(), &[]);
    let (port, base) = address(&server);
    let (status, body) = get(port, &format!("{base}r/{id}/stdout"));
    assert_eq!(status, 404, "{body}");
}
