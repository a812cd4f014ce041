//! `runglass open` over real HTTP: what it serves with its token, and what it refuses
//! (no token, a foreign Host header, cross-origin POSTs, other methods); deleting a
//! receipt, and reverting its changes (preview, confirm, apply; conflicts; a run still
//! going) on a real project changed by a real run. Requests are written by hand so that
//! each header is exactly what the test says.

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{receipts, run_script, runglass, stderr};

/// A running `runglass open` and where it listens.
struct Served {
    _server: common::Opened,
    port: u16,
    /// The URL's path: `/TOKEN/`.
    base: String,
}

/// Starts `runglass open ARGS --no-browser --port 0` and reads the URL it prints.
fn serve(data: &Path, args: &[&str]) -> (Served, String) {
    let server = common::open_server(data, args);
    let url = server.url.clone();
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("not a loopback URL: {url:?}"));
    let (port, path) = rest.split_once('/').unwrap();
    let token = path.split('/').next().unwrap();
    assert_eq!(token.len(), 64, "a 256-bit token in {url}");
    let served = Served { port: port.parse().unwrap(), base: format!("/{token}/"), _server: server };
    (served, url)
}

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request (`Connection: close`) with exactly `headers` and reads the reply.
fn request(port: u16, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete HTTP reply");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Reply { status, headers: head, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + size]);
        b = &b[line_end + 2 + size + 2..];
    }
}

fn host(s: &Served) -> (&'static str, String) {
    ("Host", format!("127.0.0.1:{}", s.port))
}

fn get(s: &Served, path: &str) -> Reply {
    request(s.port, "GET", path, &[host(s)], "")
}

/// Two receipts in a fresh store.
fn store() -> (tempfile::TempDir, Vec<String>) {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], "echo one > one.txt");
    run_script(data.path(), work.path(), &[], "echo '<b>two</b>' > two.txt; echo failing >&2; exit 4");
    let ids = receipts(data.path()).iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    (data, ids)
}

#[test]
fn the_index_lists_every_receipt_and_each_page_matches_what_export_writes() {
    let (data, ids) = store();
    let (s, url) = serve(data.path(), &[]);
    assert!(url.ends_with(&s.base), "without an id the URL is the index: {url}");
    let index = get(&s, &s.base);
    assert_eq!(index.status, 200, "{}", index.text());
    for id in &ids {
        assert!(index.text().contains(&format!("href=\"r/{id}/\"")), "index links {id}: {}", index.text());
    }
    let policy = index.header("Content-Security-Policy").expect("a CSP header");
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(index.header("X-Content-Type-Options"), Some("nosniff"));

    let out = tempfile::tempdir().unwrap();
    let export = runglass(data.path())
        .args(["export", &ids[1], "--bundle", "--format", "html,markdown,json,summary-md,ai,reverse-patch"])
        .arg("--output")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", stderr(&export));
    for path in String::from_utf8(export.stdout).unwrap().lines() {
        let name = Path::new(path).file_name().unwrap().to_str().unwrap();
        let served = get(&s, &format!("{}r/{}/{name}", s.base, ids[1]));
        assert_eq!(served.status, 200, "{name}");
        assert!(served.body == std::fs::read(path).unwrap(), "{name}: the server's bytes differ from export's");
    }
    let page = get(&s, &format!("{}r/{}/", s.base, ids[1]));
    let served = page.text();
    assert!(served.contains(r#"<form class="revert-all" id="revert" method="post" action="revert">"#), "{served}");
    assert_eq!(served.matches(r#"<button class="revert-one" form="revert" name="path""#).count(), 1, "one per change");
    let exported = std::fs::read_to_string(out.path().join("receipt.html")).unwrap();
    assert_ne!(served, exported, "the exported page, opened from disk, has nothing to post to");
    assert_eq!(without_revert_forms(&served), exported, "but the served page is receipt.html plus its revert forms");
    assert!(page.header("Content-Type").unwrap().starts_with("text/html"));
    let stderr_stream = get(&s, &format!("{}r/{}/stderr", s.base, ids[1]));
    assert_eq!(stderr_stream.text(), "failing\n");
    assert!(stderr_stream.header("Content-Type").unwrap().starts_with("text/plain"));

    let missing = get(&s, &format!("{}r/no-such-receipt/", s.base));
    assert_eq!(missing.status, 404);
    let climbing = get(&s, &format!("{}r/../receipts/", s.base));
    assert_eq!(climbing.status, 404);
}

/// A served receipt page without what only the server can offer: its revert form and
/// buttons, and the policy that lets them post back to it.
fn without_revert_forms(page: &str) -> String {
    let mut page = page.replacen("form-action 'self'", "form-action 'none'", 1);
    for (start, end) in [(r#"<form class="revert-all""#, "</form>"), (r#"<button class="revert-one""#, "</button>")] {
        while let Some(at) = page.find(start) {
            let len = page[at..].find(end).expect("a closed element") + end.len();
            page.replace_range(at..at + len, "");
        }
    }
    page
}

#[test]
fn requests_without_the_token_or_with_a_wrong_one_are_refused() {
    let (data, ids) = store();
    let (s, _) = serve(data.path(), &[]);
    let wrong = format!("/{}/", "0".repeat(64));
    for path in ["/".to_string(), format!("/r/{}/", ids[0]), format!("{wrong}r/{}/", ids[0]), wrong.clone()] {
        let reply = get(&s, &path);
        assert_eq!(reply.status, 403, "{path}");
        assert!(!reply.text().contains(&ids[0]), "{path} leaked a receipt id");
    }
    let page = get(&s, &format!("{}r/{}/", s.base, ids[0]));
    assert_eq!(page.status, 200);
}

#[test]
fn a_foreign_host_header_is_refused_even_with_the_token() {
    let (data, _) = store();
    let (s, _) = serve(data.path(), &[]);
    for foreign in ["rebind.example:PORT", "127.0.0.1:1", "192.168.1.5:PORT", "localhost.evil.example:PORT"] {
        let value = foreign.replace("PORT", &s.port.to_string());
        let reply = request(s.port, "GET", &s.base, &[("Host", value.clone())], "");
        assert_eq!(reply.status, 403, "Host: {value}");
        assert!(reply.text().contains("Host"), "says why: {}", reply.text());
    }
    let ok = request(s.port, "GET", &s.base, &[("Host", format!("localhost:{}", s.port))], "");
    assert_eq!(ok.status, 200, "localhost at our port is ours");
}

#[test]
fn deleting_takes_a_same_origin_post_and_a_confirmation() {
    let (data, ids) = store();
    let (s, _) = serve(data.path(), &[]);
    let path = format!("{}r/{}/delete", s.base, ids[0]);
    let form = ("Content-Type", "application/x-www-form-urlencoded".to_string());
    let origin = |o: &str| ("Origin", o.to_string());
    let ours = format!("http://127.0.0.1:{}", s.port);

    let get_delete = get(&s, &format!("{path}?confirmed=1"));
    assert_ne!(get_delete.status, 303, "a GET never deletes");
    for headers in [
        vec![host(&s), form.clone()],
        vec![host(&s), form.clone(), origin("http://evil.example")],
        vec![host(&s), form.clone(), origin("null")],
        vec![host(&s), form.clone(), origin(&ours), ("Sec-Fetch-Site", "cross-site".into())],
    ] {
        let reply = request(s.port, "POST", &format!("{path}?confirmed=1"), &headers, "");
        assert_eq!(reply.status, 403, "{headers:?}");
    }
    let put = request(s.port, "PUT", &path, &[host(&s), origin(&ours)], "");
    assert_eq!(put.status, 405);
    assert_eq!(receipts(data.path()).len(), 2, "nothing was deleted");

    let ask = request(s.port, "POST", &path, &[host(&s), form.clone(), origin(&ours)], "");
    assert_eq!(ask.status, 200);
    assert!(ask.text().contains("delete?confirmed=1"), "a confirmation form: {}", ask.text());
    assert_eq!(receipts(data.path()).len(), 2, "asking is not deleting");

    let done = request(s.port, "POST", &format!("{path}?confirmed=1"), &[host(&s), form, origin(&ours)], "");
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.header("Location"), Some("../../"));
    let left: Vec<_> =
        receipts(data.path()).iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(left, [ids[1].clone()]);
}

/// A stand-in browser: a script that records the URL it was given.
fn fake_browser(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let script = dir.join("browser.sh");
    let log = dir.join("opened");
    // Written whole and renamed into place: the test may look as soon as the file exists.
    let record = format!("#!/bin/sh\necho \"$1\" > '{0}.tmp' && mv '{0}.tmp' '{0}'\n", log.display());
    std::fs::write(&script, record).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

#[test]
fn open_starts_the_browser_on_the_receipt_and_run_open_opens_the_page_from_disk() {
    let (data, ids) = store();
    let tools = tempfile::tempdir().unwrap();
    let (browser, log) = fake_browser(tools.path());
    let mut child = runglass(data.path())
        .args(["open", &ids[0], "--port", "0"])
        .env("BROWSER", &browser)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
    common::wait_for(&log, Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    let opened = std::fs::read_to_string(&log).unwrap();
    assert_eq!(opened.trim(), url.trim());
    assert!(url.trim().ends_with(&format!("/r/{}/", ids[0])), "{url}");

    let work = tempfile::tempdir().unwrap();
    std::fs::remove_file(&log).unwrap();
    let run = runglass(data.path())
        .current_dir(work.path())
        .env("BROWSER", &browser)
        .args(["run", "--open", "--", "sh", "-c", "echo hi > page.txt; exit 3"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "run --open keeps the command's status");
    common::wait_for(&log, Duration::from_secs(10));
    let opened = std::fs::read_to_string(&log).unwrap();
    let page = opened.trim().strip_prefix("file://").unwrap_or_else(|| panic!("a file URL: {opened}"));
    let newest = receipts(data.path()).pop().unwrap();
    assert_eq!(Path::new(page), newest.join("receipt.html"));
    assert!(std::fs::read_to_string(page).unwrap().contains("page.txt"));
}

/// A path as the revert forms send it: its bytes in hex.
fn hex(path: &str) -> String {
    path.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Every file of a flat directory and its content.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>.txt";

/// A project changed by a real run: two files modified, one deleted, two created (one
/// with a name that tries to be markup). Returns the store, the project, the receipt's id
/// and the project's files before the run.
fn changed_project() -> (tempfile::TempDir, tempfile::TempDir, String, std::collections::BTreeMap<String, Vec<u8>>) {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (name, content) in [("mod.txt", "before\n"), ("other.txt", "other before\n"), ("del.txt", "deleted\n")] {
        std::fs::write(work.path().join(name), content).unwrap();
    }
    let before = files(work.path());
    let script = format!(
        "echo after > mod.txt; echo other after > other.txt; rm del.txt; echo new > new.txt; echo x > '{HOSTILE_NAME}'"
    );
    let run = run_script(data.path(), work.path(), &[], &script);
    assert!(run.status.success(), "{}", stderr(&run));
    let id = receipts(data.path()).pop().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    (data, work, id, before)
}

/// How a revert page shows a (plain) path in its table.
fn path_cell(path: &str) -> String {
    format!("<code class=\"path\">{path}</code>")
}

/// A same-origin form POST, as our own pages send it.
fn post_form(s: &Served, path: &str, body: &str) -> Reply {
    let headers = [
        host(s),
        ("Origin", format!("http://127.0.0.1:{}", s.port)),
        ("Content-Type", "application/x-www-form-urlencoded".to_string()),
    ];
    request(s.port, "POST", path, &headers, body)
}

#[test]
fn a_revert_is_previewed_confirmed_and_applied_one_file_then_the_rest() {
    let (data, work, id, before) = changed_project();
    let after = files(work.path());
    let (s, _) = serve(data.path(), &[]);
    let revert = format!("{}r/{id}/revert", s.base);

    let preview = post_form(&s, &revert, "all=1");
    assert_eq!(preview.status, 200, "{}", preview.text());
    let text = preview.text();
    for (path, undo) in
        [("mod.txt", "restore"), ("other.txt", "restore"), ("del.txt", "recreate"), ("new.txt", "delete")]
    {
        let row = format!("{}</td><td>{undo}</td><td class=\"ok\">safe</td>", path_cell(path));
        assert!(text.contains(&row), "{path}: {undo}, safe in {text}");
        let checkbox = format!("name=\"path\" value=\"{}\" checked", hex(path));
        assert!(text.contains(&checkbox), "{path} is chosen: {text}");
    }
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;.txt"), "the hostile name shows escaped");
    assert!(!text.contains("<img"), "and is no element");
    assert!(text.contains("action=\"revert?confirm=1\""));
    assert_eq!(files(work.path()), after, "a preview changes nothing");

    let confirm = post_form(&s, &format!("{revert}?confirm=1"), &format!("path={}", hex("mod.txt")));
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    let text = confirm.text();
    assert!(text.contains("About to revert 1 change:"), "{text}");
    assert!(text.contains(&path_cell("mod.txt")) && !text.contains(&path_cell("other.txt")), "only mod.txt: {text}");
    assert!(text.contains(&format!("name=\"path\" value=\"{}\"", hex("mod.txt"))), "carried to the apply: {text}");
    assert!(text.contains("action=\"revert?apply=1\""));
    assert_eq!(files(work.path()), after, "confirming changes nothing");

    let one = post_form(&s, &format!("{revert}?apply=1"), &format!("path={}&conflicts=stop", hex("mod.txt")));
    assert_eq!(one.status, 200, "{}", one.text());
    assert!(one.text().contains("Reverted 1 change(s)"), "{}", one.text());
    let mut expected = after.clone();
    expected.insert("mod.txt".into(), before["mod.txt"].clone());
    assert_eq!(files(work.path()), expected, "only mod.txt was reverted");

    let rest = post_form(&s, &format!("{revert}?apply=1"), "all=1");
    assert_eq!(rest.status, 200, "{}", rest.text());
    assert!(rest.text().contains("Reverted 4 change(s); 1 already reverted"), "{}", rest.text());
    assert_eq!(files(work.path()), before, "the project is as it was before the run");
}

#[test]
fn a_file_edited_after_the_run_stops_the_apply_until_it_is_left_or_overwritten() {
    let (data, work, id, before) = changed_project();
    std::fs::write(work.path().join("mod.txt"), "edited since\n").unwrap();
    let edited = files(work.path());
    let (s, _) = serve(data.path(), &[]);
    let apply = format!("{}r/{id}/revert?apply=1", s.base);

    let stopped = post_form(&s, &apply, "all=1&conflicts=stop");
    assert_eq!(stopped.status, 409, "{}", stopped.text());
    let text = stopped.text();
    assert!(text.contains(&path_cell("mod.txt")) && text.contains("changed since the receipt"), "{text}");
    assert!(!text.contains(&path_cell("other.txt")), "only the blocked path is listed: {text}");
    assert!(text.contains("name=\"conflicts\" value=\"skip\"") && text.contains("name=\"conflicts\" value=\"force\""));
    assert!(text.contains("name=\"all\" value=\"1\""), "the buttons post the same choice: {text}");
    assert_eq!(files(work.path()), edited, "nothing was touched");

    let skipped = post_form(&s, &apply, "all=1&conflicts=skip");
    assert_eq!(skipped.status, 200, "{}", skipped.text());
    let mut expected = before.clone();
    expected.insert("mod.txt".into(), b"edited since\n".to_vec());
    assert_eq!(files(work.path()), expected, "the rest was reverted; the edit was left");

    let forced = post_form(&s, &apply, &format!("path={}&conflicts=force", hex("mod.txt")));
    assert_eq!(forced.status, 200, "{}", forced.text());
    assert_eq!(files(work.path()), before, "the edit was overwritten");
}

#[test]
fn revert_posts_from_elsewhere_without_the_token_or_malformed_change_nothing() {
    let (data, work, id, _) = changed_project();
    let after = files(work.path());
    let (s, _) = serve(data.path(), &[]);
    let apply = format!("{}r/{id}/revert?apply=1", s.base);
    let form = ("Content-Type", "application/x-www-form-urlencoded".to_string());
    let origin = |o: &str| ("Origin", o.to_string());
    let ours = format!("http://127.0.0.1:{}", s.port);

    for (path, headers) in [
        (format!("/r/{id}/revert?apply=1"), vec![host(&s), form.clone(), origin(&ours)]),
        (format!("/{}/r/{id}/revert?apply=1", "0".repeat(64)), vec![host(&s), form.clone(), origin(&ours)]),
        (apply.clone(), vec![host(&s), form.clone()]),
        (apply.clone(), vec![host(&s), form.clone(), origin("http://evil.example")]),
        (apply.clone(), vec![host(&s), form.clone(), origin("null")]),
        (apply.clone(), vec![host(&s), form.clone(), origin(&ours), ("Sec-Fetch-Site", "cross-site".into())]),
    ] {
        let reply = request(s.port, "POST", &path, &headers, "all=1&conflicts=force");
        assert_eq!(reply.status, 403, "{path} {headers:?}: {}", reply.text());
    }
    let get = get(&s, &format!("{apply}&all=1"));
    assert_eq!(get.status, 405, "a GET never reverts: {}", get.text());
    for (body, status) in [
        ("all=1&rm=1", 400),
        ("path=zz", 400),
        ("all=yes", 400),
        ("conflicts=always&all=1", 400),
        (&*format!("path={}", "61".repeat(600_000)), 413),
    ] {
        let reply = post_form(&s, &apply, body);
        assert_eq!(reply.status, status, "{}: {}", &body[..body.len().min(40)], reply.text());
        assert_eq!(reply.text().lines().count(), 1, "one line says why: {}", reply.text());
    }
    let plain =
        request(s.port, "POST", &apply, &[host(&s), origin(&ours), ("Content-Type", "text/plain".into())], "all=1");
    assert_eq!(plain.status, 400, "only form bodies: {}", plain.text());
    let unknown_stage = post_form(&s, &format!("{}r/{id}/revert?now=1", s.base), "all=1");
    assert_eq!(unknown_stage.status, 400);
    let unrecorded = post_form(&s, &apply, &format!("path={}", hex("../outside.txt")));
    assert_eq!(unrecorded.status, 200, "{}", unrecorded.text());
    assert!(unrecorded.text().contains("No change this receipt records was chosen"), "{}", unrecorded.text());
    assert_eq!(files(work.path()), after, "nothing changed on disk");
}

#[test]
fn a_receipt_still_running_cannot_be_reverted() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut run = common::spawn_started(
        data.path(),
        work.path(),
        &["run"],
        "echo x > made.txt; touch started; while [ ! -e stop ]; do sleep 0.05; done",
    );
    let id = receipts(data.path()).pop().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let (s, _) = serve(data.path(), &[]);
    let reply = post_form(&s, &format!("{}r/{id}/revert?apply=1", s.base), "all=1&conflicts=force");
    std::fs::write(work.path().join("stop"), "").unwrap();
    let status = run.wait().unwrap();
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert!(status.success());
    assert!(work.path().join("made.txt").exists(), "nothing was reverted");
}

#[test]
fn the_served_revert_pages_say_commits_are_not_undone_and_give_the_git_commands() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let identity = [
        ("GIT_AUTHOR_NAME", "t"),
        ("GIT_AUTHOR_EMAIL", "t@t"),
        ("GIT_COMMITTER_NAME", "t"),
        ("GIT_COMMITTER_EMAIL", "t@t"),
    ];
    let git = |args: &[&str]| {
        let out =
            std::process::Command::new("git").current_dir(work.path()).args(args).envs(identity).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "first"]);
    let before = git(&["rev-parse", "HEAD"]);
    let run = runglass(data.path())
        .current_dir(work.path())
        .envs(identity)
        .args(["run", "--", "sh", "-c", "echo x > x; git add x; git commit -qm '<b>second</b>'; git tag '<i>'"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let id = receipts(data.path()).pop().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let (s, _) = serve(data.path(), &[]);
    let page = request(s.port, "GET", &format!("{}r/{id}/", s.base), &[host(&s)], "").text();
    assert!(page.contains("&lt;b&gt;second&lt;/b&gt;"), "the subject, escaped: {page}");
    for stage in ["", "?confirm=1"] {
        let body = format!("path={}", hex("x"));
        let text = post_form(&s, &format!("{}r/{id}/revert{stage}", s.base), &body).text();
        assert!(text.contains("Revert restores files only: it does not undo what the command did in git"), "{text}");
        assert!(text.contains(&format!("git reset --soft {before}\ngit tag -d -- '&lt;i&gt;'")), "{text}");
    }
}
