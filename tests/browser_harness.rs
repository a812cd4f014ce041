//! The headless-chromium harness itself (tests/common/browser.rs), against small real HTML
//! files opened via file://: evaluation, exceptions, console and CSP reports, screenshots,
//! dark mode, load timeouts, and that nothing of chromium survives the `Browser`.

#[path = "common/browser.rs"]
mod browser;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use browser::Browser;
use serde_json::json;

const LOAD: Duration = Duration::from_secs(30);

/// Writes `html` to `dir/name` and returns its file:// URL.
fn page_file(dir: &Path, name: &str, html: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, html).unwrap();
    format!("file://{}", path.display())
}

#[test]
fn eval_returns_values_computed_by_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let url = page_file(dir.path(), "values.html", "<p id=p>hello</p><script>window.answer = 6 * 7;</script>");
    let mut browser = Browser::launch();
    let mut page = browser.open(&url, LOAD).unwrap();

    assert_eq!(page.eval("window.answer").unwrap(), json!(42));
    assert_eq!(page.eval("document.getElementById('p').textContent").unwrap(), json!("hello"));
    assert_eq!(page.eval("({list: [1, 'two'], yes: true})").unwrap(), json!({"list": [1, "two"], "yes": true}));
    assert_eq!(page.eval("Promise.resolve(window.answer + 1)").unwrap(), json!(43), "promises are awaited");
    assert_eq!(page.eval("undefined").unwrap(), json!(null));
    assert_eq!(page.eval("0 / 0").unwrap(), json!("NaN"));
}

#[test]
fn content_of_a_closed_details_element_is_not_visible_until_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<details><summary>more</summary><p id=inside>hidden text</p></details>";
    let url = page_file(dir.path(), "details.html", html);
    let mut browser = Browser::launch();
    let mut page = browser.open(&url, LOAD).unwrap();

    assert_eq!(page.eval("document.getElementById('inside').checkVisibility()").unwrap(), json!(false));
    page.eval("document.querySelector('details').open = true").unwrap();
    assert_eq!(page.eval("document.getElementById('inside').checkVisibility()").unwrap(), json!(true));
}

#[test]
fn an_exception_thrown_in_eval_is_an_error_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let url = page_file(dir.path(), "empty.html", "<p>nothing</p>");
    let mut browser = Browser::launch();
    let mut page = browser.open(&url, LOAD).unwrap();

    let thrown = page.eval("throw new Error('boom in eval')").unwrap_err();
    assert!(thrown.contains("boom in eval"), "{thrown}");
    let rejected = page.eval("Promise.reject(new TypeError('rejected promise'))").unwrap_err();
    assert!(rejected.contains("TypeError: rejected promise"), "{rejected}");
    assert_eq!(page.eval("1 + 1").unwrap(), json!(2), "the page still works after an exception");
}

#[test]
fn console_shows_logs_uncaught_exceptions_and_csp_violations() {
    let dir = tempfile::tempdir().unwrap();
    let logs = "<script>console.log('logged', 7); setTimeout(() => { throw new Error('uncaught later') });</script>";
    let logging = page_file(dir.path(), "logs.html", logs);
    let csp = "<meta http-equiv=Content-Security-Policy content=\"script-src 'none'\">\
               <script>document.title = 'inline script ran';</script>";
    let blocked = page_file(dir.path(), "csp.html", csp);
    let mut browser = Browser::launch();

    let mut page = browser.open(&logging, LOAD).unwrap();
    page.eval("new Promise(resolve => setTimeout(resolve, 50))").unwrap();
    let console = page.console();
    assert!(console.contains(&"console.log: logged 7".to_owned()), "{console:#?}");
    assert!(console.iter().any(|m| m.starts_with("exception: ") && m.contains("uncaught later")), "{console:#?}");
    drop(page);

    let mut page = browser.open(&blocked, LOAD).unwrap();
    assert_ne!(page.eval("document.title").unwrap(), json!("inline script ran"));
    let console = page.console();
    assert!(console.iter().any(|m| m.contains("Content Security Policy")), "{console:#?}");
}

#[test]
fn a_page_that_logs_nothing_has_an_empty_console() {
    let dir = tempfile::tempdir().unwrap();
    let url = page_file(dir.path(), "quiet.html", "<script>window.x = 1;</script><p>quiet</p>");
    let mut browser = Browser::launch();
    let page = browser.open(&url, LOAD).unwrap();
    assert_eq!(page.console(), Vec::<String>::new());
}

#[test]
fn screenshot_writes_a_png_of_the_whole_page() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<body style='margin:0'><div style='height:3000px;background:linear-gradient(red,blue)'></div></body>";
    let url = page_file(dir.path(), "tall.html", html);
    let shot = dir.path().join("tall.png");
    let mut browser = Browser::launch();
    let mut page = browser.open(&url, LOAD).unwrap();

    page.screenshot(&shot).unwrap();
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG: {:?}", &png[..png.len().min(8)]);
    assert!(png.len() > 1000, "suspiciously small PNG: {} bytes", png.len());
    // IHDR, the first chunk, holds the width and height as big-endian u32s at bytes 16 and 20.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!((1200..=1280).contains(&width), "the window's width, less any scrollbar: {width}");
    assert_eq!(height, 3000, "the whole page, beyond the 900 pixels of the window");
}

#[test]
fn screenshot_of_a_very_tall_page_stops_at_16384_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<body style='margin:0'><div style='height:40000px'></div></body>";
    let url = page_file(dir.path(), "very-tall.html", html);
    let shot = dir.path().join("very-tall.png");
    let mut browser = Browser::launch();
    let mut page = browser.open(&url, LOAD).unwrap();

    page.screenshot(&shot).unwrap();
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 16_384);
}

#[test]
fn set_dark_switches_prefers_color_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<style>body { background: white } @media (prefers-color-scheme: dark) { body { background: black } }\
                </style><p>theme</p>";
    let url = page_file(dir.path(), "theme.html", html);
    let mut browser = Browser::launch();
    let mut page = browser.open(&url, LOAD).unwrap();
    let background = "getComputedStyle(document.body).backgroundColor";

    page.set_dark(true);
    assert_eq!(page.eval("matchMedia('(prefers-color-scheme: dark)').matches").unwrap(), json!(true));
    assert_eq!(page.eval(background).unwrap(), json!("rgb(0, 0, 0)"));
    page.set_dark(false);
    assert_eq!(page.eval("matchMedia('(prefers-color-scheme: dark)').matches").unwrap(), json!(false));
    assert_eq!(page.eval(background).unwrap(), json!("rgb(255, 255, 255)"));
}

#[test]
fn open_fails_for_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("missing.html").display());
    let mut browser = Browser::launch();
    let Err(e) = browser.open(&url, LOAD) else { panic!("opened a missing file") };
    assert!(e.contains("ERR_FILE_NOT_FOUND"), "{e}");
}

#[test]
fn a_page_that_never_loads_is_an_error_within_the_timeout_and_the_browser_stays_usable() {
    // The kernel accepts the connection into the listener's backlog; nobody ever answers it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let fine = page_file(dir.path(), "fine.html", "<p>fine</p>");
    let mut browser = Browser::launch();

    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let Err(e) = browser.open(&url, timeout) else { panic!("a page that never answers loaded") };
    let waited = started.elapsed();
    assert!(e.contains("timed out"), "{e}");
    assert!(waited >= timeout, "gave up after {waited:?}, before the timeout");
    // Far below chromium's own network timeouts: the harness's deadline ended the wait.
    assert!(waited < timeout + Duration::from_secs(20), "waited {waited:?}");

    let mut page = browser.open(&fine, LOAD).unwrap();
    assert_eq!(page.eval("document.body.textContent").unwrap(), json!("fine"));
}

#[test]
fn dropping_the_browser_kills_every_chromium_process_and_removes_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = page_file(dir.path(), "page.html", "<p>renderer needed</p>");
    let mut browser = Browser::launch();
    browser.open(&url, LOAD).unwrap().eval("1").unwrap();
    let pgid = i32::try_from(browser.pid()).unwrap();
    let own = browser.dir().to_owned();
    assert!(own.join("profile").is_dir());
    assert!(chromium_processes(pgid, &own, true) > 1, "chromium runs as several processes");

    drop(browser);
    assert!(!own.exists(), "{} survived", own.display());
    // Crashpad runs in a session of its own, beyond the group's SIGKILL; naming the directory,
    // it is gone by the time the drop returns.
    assert_eq!(chromium_processes(pgid, &own, false), 0, "processes naming {} survived", own.display());
    // SIGKILL reaches the group's processes other than the reaped leader asynchronously.
    let deadline = Instant::now() + Duration::from_secs(10);
    while chromium_processes(pgid, &own, true) > 0 {
        assert!(Instant::now() < deadline, "{} chromium processes survived", chromium_processes(pgid, &own, true));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The live (not zombie) processes of a browser that name its directory `own` on their command
/// line, and with `group`, also those in its process group `pgid`.
fn chromium_processes(pgid: i32, own: &Path, group: bool) -> usize {
    let own = own.as_os_str().as_encoded_bytes();
    procfs::process::all_processes()
        .unwrap()
        .filter_map(Result::ok)
        .filter(|p| {
            let Ok(stat) = p.stat() else { return false };
            let mentions_own = |arg: &String| arg.as_bytes().windows(own.len()).any(|w| w == own);
            let names_own = || p.cmdline().is_ok_and(|argv| argv.iter().any(mentions_own));
            stat.state != 'Z' && ((group && stat.pgrp == pgid) || names_own())
        })
        .count()
}
