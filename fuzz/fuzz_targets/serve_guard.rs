//! The checks `runglass open`'s server makes of every request before any route sees it:
//! the method, the Host and Origin headers, and the token at the start of the URL's path.
//! Anything on the machine (or a web page, through the browser) can send those, so any
//! URL and headers must be decided without a panic, and a request let through must really
//! carry the token, name our host and, for a POST, come from our origin.
//!
//! Input: a method byte, then the URL, Host, Origin and Sec-Fetch-Site separated by NUL
//! bytes (a header missing from the input is absent from the request). The guard is the
//! CLI's own file, compiled in here: it depends on nothing else of the CLI (see README.md).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tiny_http::Method;

// `new_token` (random bytes from the kernel) is not called: the target uses a fixed token.
#[allow(dead_code)]
#[path = "../../cli/src/serve/guard.rs"]
mod guard;

use guard::{Guard, Verdict};

const PORT: u16 = 8080;
/// Short, so that the fuzzer can spell it; the real one is 64 hex digits.
const TOKEN: &str = "t0k";

fuzz_target!(|data: &[u8]| {
    let Some((&method, rest)) = data.split_first() else {
        return;
    };
    let method = match method % 4 {
        0 => Method::Get,
        1 => Method::Head,
        2 => Method::Post,
        _ => Method::Delete,
    };
    let mut parts = rest.split(|&b| b == 0).map(|p| String::from_utf8_lossy(p).into_owned());
    let url = parts.next().unwrap_or_default();
    let headers: Vec<(&str, Option<String>)> =
        ["Host", "Origin", "Sec-Fetch-Site"].into_iter().map(|name| (name, parts.next())).collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.clone());

    let verdict = Guard::new(PORT, TOKEN.to_string()).check(&method, &url, header);
    let Verdict::Pass(path) = verdict else {
        return;
    };
    assert!(matches!(method, Method::Get | Method::Head | Method::Post), "{method} let through");
    let host = header("Host").unwrap_or_default().trim().to_ascii_lowercase();
    assert!(host == "127.0.0.1:8080" || host == "localhost:8080", "Host {host:?} let through");
    if method == Method::Post {
        let origin = header("Origin").unwrap_or_default().trim().to_ascii_lowercase();
        let ours = origin == "http://127.0.0.1:8080" || origin == "http://localhost:8080";
        assert!(ours, "Origin {origin:?} let through");
        assert!(header("Sec-Fetch-Site").is_none_or(|s| s == "same-origin"), "a cross-site POST let through");
    }
    let url_path = url.split(['?', '#']).next().unwrap_or_default();
    assert_eq!(url_path, format!("/{TOKEN}{path}"), "the path passed on is not what follows the token");
    assert!(path.is_empty() || path.starts_with('/'), "{path:?} passed on");
});
