//! Opening a URL in the user's browser: `$BROWSER` when set (a `:`-separated list, as
//! sensible-browser reads it; `%s` stands for the URL), else xdg-open and its kin.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

/// Starts a browser on `url` without waiting for it; an error says what to do instead.
pub fn open(url: &str) -> Result<(), String> {
    for candidate in candidates() {
        let mut words: Vec<String> = candidate.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            continue;
        }
        if words.iter().any(|w| w.contains("%s")) {
            words.iter_mut().for_each(|w| *w = w.replace("%s", url));
        } else {
            words.push(url.to_string());
        }
        let started = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = started {
            // Reap it whenever it ends, so a long-running server leaves no zombie.
            std::thread::spawn(move || child.wait());
            return Ok(());
        }
    }
    Err(format!("no browser found (set $BROWSER or install xdg-open); open {url} yourself"))
}

fn candidates() -> Vec<String> {
    let from_env = std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty());
    match from_env {
        Some(list) => list.split(':').map(str::to_string).collect(),
        None => ["xdg-open", "sensible-browser", "x-www-browser"].map(String::from).to_vec(),
    }
}

/// The `file://` URL of an absolute path, with every byte a URL cannot hold as-is
/// percent-encoded.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", percent_encode(path.as_os_str().as_bytes(), PATH_BYTES))
}

/// Bytes a `file://` URL's path holds as they are: RFC 3986's unreserved ones and `/`.
const PATH_BYTES: &AsciiSet = &NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'.').remove(b'_').remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_encode_what_a_url_cannot_hold() {
        assert_eq!(file_url(Path::new("/tmp/a b/r#1.html")), "file:///tmp/a%20b/r%231.html");
    }
}
