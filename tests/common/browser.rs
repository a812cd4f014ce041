//! A headless-chromium harness for the end-to-end tests: launches Debian's `chromium` with a
//! throwaway profile, speaks the Chrome DevTools Protocol (CDP) to it over its websocket, and
//! lets a test open pages, evaluate JavaScript in them, take screenshots and read what they logged.
//!
//! Every wait has a deadline, so a hung browser fails the test instead of hanging it, and every
//! chromium process is killed, and every file it wrote removed, when the `Browser` is dropped.

#![allow(dead_code)]

use std::ffi::OsString;
use std::fs::File;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// How long chromium may take to start listening; generous because the tests share two cores.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one protocol command may take before the browser counts as hung.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long closing a page may take; it is best effort, as it happens in `Drop`.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long dropping the browser waits for the processes that escaped its process group to die.
const ESCAPEE_TIMEOUT: Duration = Duration::from_secs(5);
/// Full-page screenshots stop at this height: chromium cannot rasterize arbitrarily tall surfaces.
const MAX_SCREENSHOT_HEIGHT: f64 = 16_384.0;
/// Screenshots arrive base64-encoded in one message, which can exceed tungstenite's 16 MiB default.
const MAX_MESSAGE: usize = 256 << 20;

/// The flags of a quiet, reproducible headless chromium that runs as root in a container.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--window-size=1280,900",
    "--remote-debugging-port=0",
];

/// What chromium prints on stderr once its DevTools websocket accepts connections.
const LISTENING: &str = "DevTools listening on ";

/// A running headless chromium and the websocket to its browser target.
pub struct Browser {
    // Fields drop in this order: the socket closes, then chromium is killed and reaped, and only
    // then is its profile directory removed, so no chromium process writes into a removed tree.
    ws: WebSocket<TcpStream>,
    next_id: u64,
    process: Chromium,
    dir: tempfile::TempDir,
}

/// The chromium process, leader of its own process group, and the directory it was told to keep
/// its files in. Dropping it kills the whole group (zygote, renderers, GPU and network services),
/// reaps the leader, and kills what escaped the group.
struct Chromium {
    child: Child,
    dir: PathBuf,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let Ok(pgid) = i32::try_from(self.child.id()) {
            // Killed before being reaped, the leader keeps the group id valid for killpg.
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
        let _ = self.child.wait();
        // Chromium's crash handler (crashpad) starts a session of its own, out of killpg's reach;
        // it names the directory on its command line, as its database lives in the HOME given to
        // chromium. Left alone, it would only exit once it noticed the browser was gone.
        let deadline = Instant::now() + ESCAPEE_TIMEOUT;
        loop {
            let escaped = processes_naming(&self.dir);
            if escaped.is_empty() || Instant::now() >= deadline {
                break;
            }
            for pid in escaped {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Browser {
    /// Starts headless chromium; panics with a clear message naming the fix when chromium is missing
    /// ("chromium not found: install it (tests/run-all.sh does: apt-get install chromium)").
    pub fn launch() -> Browser {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("creating a temporary directory for chromium: {e}"));
        let (profile, home, tmp) = (dir.path().join("profile"), dir.path().join("home"), dir.path().join("tmp"));
        for made in [&home, &tmp] {
            std::fs::create_dir(made).unwrap_or_else(|e| panic!("creating {}: {e}", made.display()));
        }
        let log_path = dir.path().join("stderr.log");
        let log = File::create(&log_path).unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
        let mut profile_flag = OsString::from("--user-data-dir=");
        profile_flag.push(&profile);
        // stderr goes to a file rather than a pipe: nobody has to keep draining it once the
        // DevTools line is read, and it is all there for the panic message when launching fails.
        let spawned = Command::new("chromium")
            .args(FLAGS)
            .arg(profile_flag)
            .arg("about:blank")
            // Chromium also writes outside its profile: a singleton socket under $TMPDIR, crash
            // reports under ~/.config, dconf's cache under ~/.cache. All of it goes into the
            // directory that is removed with the browser.
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_RUNTIME_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                panic!("chromium not found: install it (tests/run-all.sh does: apt-get install chromium)")
            }
            Err(e) => panic!("starting chromium: {e}"),
        };
        let mut process = Chromium { child, dir: dir.path().to_owned() };
        let ws = devtools_url(&mut process.child, &log_path)
            .and_then(|url| connect(&url))
            .unwrap_or_else(|e| panic!("launching chromium: {e}\nchromium's stderr:\n{}", read_log(&log_path)));
        Browser { ws, next_id: 1, process, dir }
    }

    /// Opens `url` in a new page and waits for its load event within `timeout`; Err when it does
    /// not load in time or fails to load.
    pub fn open(&mut self, url: &str, timeout: Duration) -> Result<Page<'_>, String> {
        let deadline = Instant::now() + timeout;
        let opening = |e: String| format!("opening {url} (timeout {timeout:?}): {e}");
        let created = self.call(None, "Target.createTarget", json!({"url": "about:blank"}), deadline, &mut |_| {});
        let target = string_field(&created.map_err(opening)?, "targetId").map_err(opening)?;
        let mut page = Page { browser: self, target, session: String::new(), events: PageEvents::default() };
        let attach = json!({"targetId": page.target, "flatten": true});
        let attached = page.browser.call(None, "Target.attachToTarget", attach, deadline, &mut |_| {});
        page.session = string_field(&attached.map_err(opening)?, "sessionId").map_err(opening)?;
        page.navigate(url, deadline).map_err(opening)?;
        Ok(page)
    }

    /// The process id of chromium, which is also the id of its process group.
    pub fn pid(&self) -> u32 {
        self.process.child.id()
    }

    /// The directory holding chromium's profile, home and temporary files; removed when the
    /// browser is dropped.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends `method` (to the page of `session`, or to the browser itself) and waits for its
    /// reply until `deadline`, handing every event that arrives meanwhile to `on_event`.
    fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
        deadline: Instant,
        on_event: &mut dyn FnMut(&Value),
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            request["sessionId"] = session.into();
        }
        self.ws.send(Message::text(request.to_string())).map_err(|e| format!("sending {method}: {e}"))?;
        loop {
            let mut message = self.receive(deadline).map_err(|e| format!("waiting for the reply to {method}: {e}"))?;
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    let text = error["message"].as_str().map_or_else(|| error.to_string(), str::to_owned);
                    return Err(format!("{method}: {text}"));
                }
                return Ok(message["result"].take());
            }
            // Anything else with an id is the late reply to a command that timed out earlier.
            if message.get("method").is_some() {
                on_event(&message);
            }
        }
    }

    /// The next protocol message, waiting no later than `deadline`.
    fn receive(&mut self, deadline: Instant) -> Result<Value, String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("timed out".to_owned());
            }
            self.ws.get_mut().set_read_timeout(Some(left)).map_err(|e| format!("setting a read timeout: {e}"))?;
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str()).map_err(|e| format!("parsing {text}: {e}"));
                }
                Ok(Message::Close(_)) => return Err("chromium closed the DevTools connection".to_owned()),
                // Pings are answered by tungstenite itself; chromium sends nothing else.
                Ok(_) => {}
                // A read that timed out leaves tungstenite's partial frame buffered; just read on.
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// A page (tab) of the browser, attached with its own CDP session; closed when dropped.
pub struct Page<'a> {
    browser: &'a mut Browser,
    target: String,
    session: String,
    events: PageEvents,
}

/// What a page reported through events: its console, and the navigations that finished loading.
#[derive(Default)]
struct PageEvents {
    console: Vec<String>,
    loaded: Vec<String>,
}

impl PageEvents {
    /// Records `event` if it belongs to the page of `session`.
    fn observe(&mut self, session: &str, event: &Value) {
        if event["sessionId"] != session {
            return;
        }
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") => {
                let args: Vec<String> = params["args"].as_array().into_iter().flatten().map(remote_text).collect();
                self.console.push(format!("console.{}: {}", params["type"].as_str().unwrap_or("log"), args.join(" ")));
            }
            Some("Runtime.exceptionThrown") => {
                self.console.push(format!("exception: {}", exception_text(&params["exceptionDetails"])));
            }
            Some("Log.entryAdded") => {
                let entry = &params["entry"];
                let (source, level) = (entry["source"].as_str().unwrap_or(""), entry["level"].as_str().unwrap_or(""));
                self.console.push(format!("{source} {level}: {}", entry["text"].as_str().unwrap_or("")));
            }
            Some("Page.lifecycleEvent") if params["name"] == "load" => {
                if let Some(loader) = params["loaderId"].as_str() {
                    self.loaded.push(loader.to_owned());
                }
            }
            _ => {}
        }
    }
}

impl Page<'_> {
    /// Runtime.evaluate with returnByValue and awaitPromise; Err on exceptions (with their text).
    /// Values JSON cannot hold (NaN, Infinity, -0, bigints) come back as their JavaScript spelling.
    pub fn eval(&mut self, js: &str) -> Result<Value, String> {
        let params = json!({"expression": js, "returnByValue": true, "awaitPromise": true});
        let mut reply = self.call("Runtime.evaluate", params, Instant::now() + CALL_TIMEOUT)?;
        if let Some(details) = reply.get("exceptionDetails") {
            return Err(exception_text(details));
        }
        let result = &mut reply["result"];
        Ok(match result.get_mut("value") {
            Some(value) => value.take(),
            None => result.get_mut("unserializableValue").map_or(Value::Null, Value::take),
        })
    }

    /// A PNG of the whole page (beyond the viewport, up to a height of 16384 CSS pixels),
    /// written to `path`.
    pub fn screenshot(&mut self, path: &Path) -> Result<(), String> {
        let deadline = Instant::now() + CALL_TIMEOUT;
        let metrics = self.call("Page.getLayoutMetrics", json!({}), deadline)?;
        let size = &metrics["cssContentSize"];
        let (Some(width), Some(height)) = (size["width"].as_f64(), size["height"].as_f64()) else {
            return Err(format!("Page.getLayoutMetrics: no content size in {metrics}"));
        };
        let clip = json!({"x": 0, "y": 0, "width": width.max(1.0), "height": height.clamp(1.0, MAX_SCREENSHOT_HEIGHT),
            "scale": 1});
        let params = json!({"format": "png", "captureBeyondViewport": true, "clip": clip});
        let shot = self.call("Page.captureScreenshot", params, deadline)?;
        let data = shot["data"].as_str().ok_or("Page.captureScreenshot: no data")?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("decoding the screenshot: {e}"))?;
        std::fs::write(path, png).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// Console messages and uncaught exceptions seen so far, and CSP violations and other
    /// browser-side log entries — so a test can assert a page ran no unexpected script and
    /// logged no CSP errors. Entries read "console.log: …", "exception: …" or "security error: …".
    /// Events are read while waiting for replies: what the page logs after the latest reply shows
    /// up once another call (an `eval`, say) has been answered.
    pub fn console(&self) -> Vec<String> {
        self.events.console.clone()
    }

    /// Emulates `prefers-color-scheme: dark` (or light); panics when chromium refuses, as a test
    /// about dark mode cannot go on without it.
    pub fn set_dark(&mut self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        let params = json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]});
        if let Err(e) = self.call("Emulation.setEmulatedMedia", params, Instant::now() + CALL_TIMEOUT) {
            panic!("emulating prefers-color-scheme: {scheme}: {e}");
        }
    }

    /// Enables the events the page reports, navigates to `url` and waits for that navigation's
    /// load event. The page starts on about:blank, whose own load event has another loader id,
    /// so it cannot be mistaken for the one of `url`.
    fn navigate(&mut self, url: &str, deadline: Instant) -> Result<(), String> {
        for method in ["Page.enable", "Runtime.enable", "Log.enable"] {
            self.call(method, json!({}), deadline)?;
        }
        self.call("Page.setLifecycleEventsEnabled", json!({"enabled": true}), deadline)?;
        let navigated = self.call("Page.navigate", json!({"url": url}), deadline)?;
        if let Some(error) = navigated["errorText"].as_str() {
            return Err(error.to_owned());
        }
        // A navigation within the same document has no loader and no load event.
        let Some(loader) = navigated["loaderId"].as_str() else { return Ok(()) };
        while !self.events.loaded.iter().any(|l| l == loader) {
            let event = self.browser.receive(deadline).map_err(|e| format!("waiting for the load event: {e}"))?;
            self.events.observe(&self.session, &event);
        }
        Ok(())
    }

    /// Sends `method` to this page and waits for its reply, recording the page's events meanwhile.
    fn call(&mut self, method: &str, params: Value, deadline: Instant) -> Result<Value, String> {
        let (session, events) = (&self.session, &mut self.events);
        self.browser.call(Some(session), method, params, deadline, &mut |event| events.observe(session, event))
    }
}

impl Drop for Page<'_> {
    fn drop(&mut self) {
        // Best effort: a page left open only costs memory until the browser is killed.
        let close = json!({"targetId": self.target});
        let _ = self.browser.call(None, "Target.closeTarget", close, Instant::now() + CLOSE_TIMEOUT, &mut |_| {});
    }
}

/// Waits for chromium to print its DevTools websocket address on stderr (captured in `log`).
fn devtools_url(child: &mut Child, log: &Path) -> Result<String, String> {
    let deadline = Instant::now() + LAUNCH_TIMEOUT;
    loop {
        let text = std::fs::read(log).map_err(|e| format!("reading {}: {e}", log.display()))?;
        let text = String::from_utf8_lossy(&text);
        if let Some(line) = text.lines().find_map(|line| line.strip_prefix(LISTENING)) {
            return Ok(line.trim().to_owned());
        }
        if let Some(status) = child.try_wait().map_err(|e| format!("waiting for chromium: {e}"))? {
            return Err(format!("chromium exited ({status}) before listening for DevTools"));
        }
        if Instant::now() >= deadline {
            return Err(format!("chromium did not print its DevTools address within {LAUNCH_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Opens the websocket at `url` (`ws://127.0.0.1:PORT/devtools/browser/ID`).
fn connect(url: &str) -> Result<WebSocket<TcpStream>, String> {
    let authority = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| format!("unexpected DevTools address {url}"))?;
    let stream = TcpStream::connect(authority).map_err(|e| format!("connecting to {authority}: {e}"))?;
    // Bounds the handshake; `Browser::receive` sets the timeout of each later read.
    stream.set_read_timeout(Some(CALL_TIMEOUT)).map_err(|e| format!("setting a read timeout: {e}"))?;
    stream.set_write_timeout(Some(CALL_TIMEOUT)).map_err(|e| format!("setting a write timeout: {e}"))?;
    let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE)).max_frame_size(Some(MAX_MESSAGE));
    let (ws, _) = tungstenite::client::client_with_config(url, stream, Some(config))
        .map_err(|e| format!("websocket handshake with {url}: {e}"))?;
    Ok(ws)
}

/// The live processes whose command line mentions `dir` (a zombie's command line is empty).
fn processes_naming(dir: &Path) -> Vec<i32> {
    let needle = dir.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let argv = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            argv.windows(needle.len()).any(|window| window == needle)
        })
        .collect()
}

/// Chromium's stderr so far, for a panic message.
fn read_log(log: &Path) -> String {
    match std::fs::read(log) {
        Ok(text) => String::from_utf8_lossy(&text).into_owned(),
        Err(e) => format!("(reading {}: {e})", log.display()),
    }
}

/// The string `field` of a CDP result.
fn string_field(result: &Value, field: &str) -> Result<String, String> {
    result[field].as_str().map(str::to_owned).ok_or_else(|| format!("no {field} in {result}"))
}

/// A CDP exception's text with the thrown value, e.g. "Uncaught Error: boom\n    at <anonymous>:1:7".
fn exception_text(details: &Value) -> String {
    let text = details["text"].as_str().unwrap_or("exception");
    match details.get("exception") {
        Some(thrown) => format!("{text} {}", remote_text(thrown)),
        None => text.to_owned(),
    }
}

/// A CDP remote object as a console would print it: strings bare, other values as JSON, objects
/// by their description.
fn remote_text(object: &Value) -> String {
    match object.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(value) => value.to_string(),
        None => object["description"]
            .as_str()
            .or_else(|| object["unserializableValue"].as_str())
            .or_else(|| object["type"].as_str())
            .unwrap_or("?")
            .to_owned(),
    }
}
