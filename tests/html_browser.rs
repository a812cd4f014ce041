//! Receipt pages in a real browser (headless chromium through tests/common/browser.rs):
//! a real receipt opened from disk shows its process tree and diffs and runs nothing that
//! came from the command; the pages `open` serves list the receipts, delete one through
//! the browser's own same-origin form, and revert one file through the served receipt's
//! own buttons; a receipt of 10 000 file changes and 5 000 processes opens without
//! hanging. Screenshots go to the target directory.

#[path = "common/browser.rs"]
mod browser;
#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use browser::{Browser, Page};
use common::{receipts, run_script, runglass, stderr};
use serde_json::{Value, json};

const LOAD: Duration = Duration::from_secs(20);

/// Where screenshots are kept for people to look at.
fn screenshot_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `runglass export ID --html` into a temp dir; the page's path.
fn export_html(data: &Path, id: &str, out: &Path) -> PathBuf {
    let export = runglass(data).args(["export", id, "--html", "--output"]).arg(out).output().unwrap();
    assert!(export.status.success(), "{}", stderr(&export));
    PathBuf::from(String::from_utf8(export.stdout).unwrap().trim())
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Asks the page until `js` is true (navigations happen after a click returns).
fn wait_until(page: &mut Page, js: &str) {
    let deadline = Instant::now() + LOAD;
    loop {
        if page.eval(js).is_ok_and(|v| v == json!(true)) {
            return;
        }
        if Instant::now() > deadline {
            let shown = page.eval("location.href + '\\n' + (document.body ? document.body.innerText : '')");
            panic!("timed out waiting for {js}; the page shows: {shown:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A command whose file names and output try to become markup.
const HOSTILE: &str = "\
mkdir '<script>alert(1)<'
echo pwned > '<script>alert(1)</script>.txt'
echo x > '<img src=x onerror=window.pwned=1>.txt'
printf 'line 1\\nline two\\nline 3\\n' > README.md
sh -c 'echo from a child > child.txt'
echo '</pre><img src=x onerror=window.pwned=2>'
";

#[test]
fn a_real_receipt_from_disk_shows_its_tree_and_diffs_and_runs_nothing_from_the_command() {
    let (data, work, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(work.path().join("README.md"), "line 1\nline 2\nline 3\n").unwrap();
    let run = run_script(data.path(), work.path(), &["--deep"], HOSTILE);
    assert!(run.status.success(), "{}", stderr(&run));
    let page_path = export_html(data.path(), "latest", out.path());

    let mut browser = Browser::launch();
    let mut page = browser.open(&file_url(&page_path), LOAD).unwrap();
    let visible = |page: &mut Page, js: &str| page.eval(js).unwrap_or_else(|e| panic!("{js}: {e}"));
    assert_eq!(visible(&mut page, "document.querySelector('#process-tree').checkVisibility()"), json!(true));
    let tree = visible(&mut page, "document.querySelector('#process-tree').innerText");
    assert!(tree.as_str().unwrap().contains("sh -c 'echo from a child > child.txt'"), "the child is in the tree: {tree}");
    let diff_line = "[...document.querySelectorAll('#files tr.add')]\
        .some(r => r.textContent.includes('+line two') && r.checkVisibility())";
    assert_eq!(visible(&mut page, diff_line), json!(true), "an added line of README.md's diff is visible");
    let removed = "[...document.querySelectorAll('#files tr.del')].some(r => r.textContent.includes('-line 2'))";
    assert_eq!(visible(&mut page, removed), json!(true));

    let files = visible(&mut page, "document.querySelector('#files').innerText");
    assert!(files.as_str().unwrap().contains("<script>alert(1)</script>.txt"), "hostile names show as text");
    assert!(files.as_str().unwrap().contains("<img src=x onerror=window.pwned=1>.txt"));
    assert_eq!(visible(&mut page, "window.pwned === undefined"), json!(true), "no handler from the command ran");
    assert_eq!(visible(&mut page, "document.querySelectorAll('img').length"), json!(0));
    assert_eq!(visible(&mut page, "document.scripts.length"), json!(1), "only the page's own script");
    assert_eq!(visible(&mut page, "document.querySelector('[data-tools]').hidden"), json!(false), "its script ran");
    let complaints: Vec<String> = page.console().into_iter().filter(|m| !m.starts_with("console.log")).collect();
    assert!(complaints.is_empty(), "no exception and no CSP violation: {complaints:?}");

    let shot = screenshot_path("receipt-light.png");
    page.screenshot(&shot).unwrap();
    page.set_dark(true);
    page.screenshot(&screenshot_path("receipt-dark.png")).unwrap();
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot ({} bytes)", png.len());
}

#[test]
fn served_pages_list_the_receipts_and_delete_one_through_the_browsers_own_form() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], "echo one > one.txt");
    run_script(data.path(), work.path(), &[], "echo two > two.txt; exit 2");
    let ids: Vec<String> =
        receipts(data.path()).iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let server = common::open_server(data.path(), &[]);
    let url = server.url.clone();

    let mut browser = Browser::launch();
    {
        let mut page = browser.open(&url, LOAD).unwrap();
        let links = page.eval("[...document.querySelectorAll('a[href^=\"r/\"]')].map(a => a.getAttribute('href'))").unwrap();
        for id in &ids {
            assert!(links.as_array().unwrap().contains(&json!(format!("r/{id}/"))), "{id} listed in {links}");
        }
        page.screenshot(&screenshot_path("index.png")).unwrap();
        // Follow the link to the first receipt, as a reader would.
        page.eval(&format!("document.querySelector('a[href=\"r/{}/\"]').click()", ids[0])).unwrap();
        wait_until(&mut page, "!!document.querySelector('#process-tree')");
        assert_eq!(page.eval("document.querySelector('#files').innerText.includes('one.txt')").unwrap(), json!(true));
    }
    {
        let mut page = browser.open(&url, LOAD).unwrap();
        let button = format!("document.querySelector('form[action=\"r/{}/delete\"] button')", ids[1]);
        page.eval(&format!("{button}.click()")).unwrap();
        wait_until(&mut page, "location.pathname.endsWith('/delete') && !!document.querySelector('form button')");
        assert_eq!(receipts(data.path()).len(), 2, "the first POST only asks");
        page.eval("document.querySelector('form button').click()").unwrap();
        wait_until(&mut page, "location.pathname.endsWith('/') && !!document.querySelector('a[href^=\"r/\"]')");
        let links = page.eval("document.querySelectorAll('a[href^=\"r/\"]').length").unwrap();
        assert_eq!(links, json!(1));
        let complaints: Vec<String> = page.console().into_iter().filter(|m| !m.starts_with("console.log")).collect();
        assert!(complaints.is_empty(), "{complaints:?}");
    }
    let left: Vec<PathBuf> = receipts(data.path());
    assert_eq!(left.len(), 1);
    assert!(left[0].ends_with(&ids[0]), "the second receipt was deleted");
    drop(server);
}

#[test]
fn the_served_receipt_reverts_one_file_through_its_own_buttons() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(work.path().join("config.txt"), "before\n").unwrap();
    std::fs::write(work.path().join("notes.txt"), "notes before\n").unwrap();
    let script = "echo after > config.txt; echo later > notes.txt; echo n > new.txt";
    let run = run_script(data.path(), work.path(), &[], script);
    assert!(run.status.success(), "{}", stderr(&run));
    let id = receipts(data.path()).pop().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let server = common::open_server(data.path(), &[&id]);
    let config_hex: String = b"config.txt".iter().map(|b| format!("{b:02x}")).collect();
    let read = |name: &str| std::fs::read_to_string(work.path().join(name)).unwrap();

    let mut browser = Browser::launch();
    let mut page = browser.open(&server.url, LOAD).unwrap();
    assert_eq!(page.eval("document.querySelectorAll('button.revert-one').length").unwrap(), json!(3));
    page.screenshot(&screenshot_path("served-receipt.png")).unwrap();
    page.eval(&format!("document.querySelector('button.revert-one[value=\"{config_hex}\"]').click()")).unwrap();
    wait_until(&mut page, "location.pathname.endsWith('/revert') && !!document.querySelector('table.revert')");
    let chosen = page.eval("[...document.querySelectorAll('input[name=path]:checked')].map(i => i.value)").unwrap();
    assert_eq!(chosen, json!([config_hex]), "the preview is of that file alone, and it is safe");
    page.screenshot(&screenshot_path("revert-preview.png")).unwrap();
    assert_eq!(read("config.txt"), "after\n", "a preview touches nothing");

    page.eval("document.querySelector('form[action=\"revert?confirm=1\"] button').click()").unwrap();
    let confirming = "location.search === '?confirm=1' && !!document.querySelector('form[action=\"revert?apply=1\"]')";
    wait_until(&mut page, confirming);
    let asked = page.eval("document.querySelector('main').innerText").unwrap();
    assert!(asked.as_str().unwrap().contains("About to revert 1 change:"), "{asked}");
    assert_eq!(read("config.txt"), "after\n", "asking touches nothing");

    page.eval("document.querySelector('form[action=\"revert?apply=1\"] button').click()").unwrap();
    wait_until(&mut page, "location.search === '?apply=1' && document.querySelector('h1').innerText === 'Reverted'");
    page.screenshot(&screenshot_path("revert-done.png")).unwrap();
    assert_eq!(read("config.txt"), "before\n", "the file is restored");
    assert_eq!(read("notes.txt"), "later\n", "and only that file");
    assert!(work.path().join("new.txt").exists());
    let complaints: Vec<String> = page.console().into_iter().filter(|m| !m.starts_with("console.log")).collect();
    assert!(complaints.is_empty(), "no exception and no CSP violation: {complaints:?}");
    drop(page);
    drop(server);
}

/// Grows a real receipt to `files` file changes and `procs` processes (half of them one
/// chain, each the child of the one before, the rest children of the root).
fn inflate(receipt: &mut Value, files: usize, procs: usize) {
    let change = receipt["files"]["changes"][0].clone();
    let changes: Vec<Value> = (0..files)
        .map(|i| {
            let mut c = change.clone();
            c["path"] = json!(format!("src/module{}/file{i}.rs", i % 100));
            c["change"] = json!("modified");
            c["diff"] = json!({"kind": "text", "added": 1, "removed": 1, "truncated": false,
                "unified": format!("--- a/f{i}\n+++ b/f{i}\n@@ -1,2 +1,2 @@\n keep\n-old {i}\n+new {i}\n")});
            c
        })
        .collect();
    receipt["files"]["changes"] = json!(changes);
    let root = receipt["processes"][0].clone();
    let root_pid = root["pid"].as_i64().unwrap();
    let processes: Vec<Value> = (0..procs as i64)
        .map(|i| {
            let mut p = root.clone();
            let pid = root_pid + i;
            p["pid"] = json!(pid);
            p["argv"] = json!(["worker", format!("--n={i}")]);
            p["parent"] = match i {
                0 => Value::Null,
                i if i < procs as i64 / 2 => json!(pid - 1),
                _ => json!(root_pid),
            };
            p
        })
        .collect();
    receipt["processes"] = json!(processes);
}

#[test]
fn a_receipt_of_10000_file_changes_and_5000_processes_opens_without_hanging() {
    let (data, work, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_script(data.path(), work.path(), &[], "echo seed > seed.txt");
    let dir = receipts(data.path()).pop().unwrap();
    let mut receipt: Value = serde_json::from_slice(&std::fs::read(dir.join("receipt.json")).unwrap()).unwrap();
    inflate(&mut receipt, 10_000, 5_000);
    std::fs::write(dir.join("receipt.json"), serde_json::to_vec(&receipt).unwrap()).unwrap();
    let page_path = export_html(data.path(), "latest", out.path());

    let mut browser = Browser::launch();
    let started = Instant::now();
    let mut page = browser.open(&file_url(&page_path), Duration::from_secs(120)).expect("the page loads");
    let files = page.eval("document.querySelectorAll('#file-list > details').length").unwrap();
    let procs = page.eval("document.querySelectorAll('#process-tree li').length").unwrap();
    eprintln!(
        "big receipt: {} MB of HTML loaded and counted in {:.1} s",
        std::fs::metadata(&page_path).unwrap().len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(files, json!(10_000));
    assert_eq!(procs, json!(5_000));
    assert_eq!(page.eval("document.querySelector('#process-tree').checkVisibility()").unwrap(), json!(true));
    let deepest = page.eval("Math.max(...[...document.querySelectorAll('details')].map(d => { let n = 0; \
        for (let e = d; e; e = e.parentElement) if (e.tagName === 'DETAILS') n++; return n; }))").unwrap();
    assert!(deepest.as_u64().unwrap() <= 40, "nesting stays bounded: {deepest}");
}
