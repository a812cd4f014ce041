//! One GitHub API request over HTTPS: the token and GitHub's versioned headers on every
//! request, 5xx answers retried a couple of times, and any other error status turned into
//! a [`Refused`] that quotes GitHub's message (token-like words redacted).

use std::fmt;
use std::time::Duration;

use anyhow::Context;
use ureq::http::{Method, Request, StatusCode};

use super::token::{Token, redact};

pub const USER_AGENT: &str = concat!("runglass/", env!("CARGO_PKG_VERSION"));
pub const ACCEPT: &str = "application/vnd.github+json";
pub const API_VERSION: &str = "2022-11-28";

/// Waits before the retries of a request answered with 5xx: GitHub's are mostly brief.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1500)];
/// A request that gets no answer in this long fails rather than hang a CI job.
const TIMEOUT: Duration = Duration::from_secs(30);
/// GitHub's messages are one sentence; more would not be one line of error.
const MAX_MESSAGE: usize = 200;

pub struct Http<'t> {
    agent: ureq::Agent,
    token: &'t Token,
}

/// A successful answer.
pub struct Answer {
    /// The `Link` header, for pagination.
    pub link: Option<String>,
    pub body: String,
}

/// GitHub answered with an error status (after the retries, for 5xx).
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    /// GitHub's `message`, on one line, cut short and redacted.
    pub message: String,
    /// The rate limit is used up (a 403 or 429 with `x-ratelimit-remaining: 0`).
    pub rate_limited: bool,
    /// How many times the request was sent.
    pub attempts: usize,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Refused {}

impl<'t> Http<'t> {
    pub fn new(token: &'t Token) -> Http<'t> {
        let config = ureq::Agent::config_builder()
            // Error statuses are answers to read (GitHub's message), not transport errors.
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build();
        Http { agent: config.into(), token }
    }

    /// Sends `body` (JSON) with `method` to `url`; 5xx answers are retried.
    pub fn send(&self, method: Method, url: &str, body: Option<&serde_json::Value>) -> anyhow::Result<Answer> {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut request = Request::builder()
                .method(method.clone())
                .uri(url)
                .header("Authorization", format!("Bearer {}", self.token.secret()))
                .header("Accept", ACCEPT)
                .header("X-GitHub-Api-Version", API_VERSION)
                .header("User-Agent", USER_AGENT);
            if body.is_some() {
                request = request.header("Content-Type", "application/json");
            }
            let request = request.body(bytes.clone()).with_context(|| format!("building {method} {url}"))?;
            let mut response = self.agent.run(request).with_context(|| format!("{method} {url}"))?;
            let status = response.status().as_u16();
            let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
            let link = header("link");
            let rate_limited = header("x-ratelimit-remaining").as_deref() == Some("0");
            let answer =
                response.body_mut().read_to_vec().with_context(|| format!("reading the answer to {method} {url}"))?;
            let text = String::from_utf8_lossy(&answer).into_owned();
            if (200..300).contains(&status) {
                return Ok(Answer { link, body: text });
            }
            if status >= 500 && attempts <= RETRY_DELAYS.len() {
                std::thread::sleep(RETRY_DELAYS[attempts - 1]);
                continue;
            }
            let message = message(&text, response.status(), self.token);
            return Err(Refused { status, message, rate_limited: rate_limited || status == 429, attempts }.into());
        }
    }
}

/// GitHub's `message` from an error body, made one short line without anything
/// token-like; the status's name when the body is not GitHub's JSON (a proxy's HTML page).
fn message(body: &str, status: StatusCode, token: &Token) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let text = json.as_ref().and_then(|j| j.get("message")?.as_str());
    let line = text.unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    let line = if line.is_empty() { status.canonical_reason().unwrap_or("no message").to_string() } else { line };
    let mut line = redact(&line, Some(token));
    if line.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str("...");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_githubs_on_one_line() {
        let token = Token::checked("ghs_x", "a test").unwrap();
        let body = r#"{"message": "Validation\nFailed", "errors": []}"#;
        assert_eq!(message(body, StatusCode::UNPROCESSABLE_ENTITY, &token), "Validation Failed");
    }

    #[test]
    fn a_page_that_is_not_githubs_json_is_named_by_its_status() {
        let token = Token::checked("ghs_x", "a test").unwrap();
        let html = "<html><body><h1>502 Bad Gateway</h1>\n</body></html>";
        assert_eq!(message(html, StatusCode::BAD_GATEWAY, &token), "Bad Gateway");
    }

    #[test]
    fn a_long_message_is_cut() {
        let token = Token::checked("ghs_x", "a test").unwrap();
        let long = format!(r#"{{"message": "{}"}}"#, "é".repeat(300));
        let line = message(&long, StatusCode::FORBIDDEN, &token);
        assert!(line.len() <= MAX_MESSAGE + 3 && line.ends_with("..."), "{line}");
    }
}
