//! Who may ask what: the checks every request passes before any route sees it.

use anyhow::Context;

/// What the guard decided about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict<'u> {
    /// Allowed; the path after the token: empty or starting with `/`.
    Pass(&'u str),
    /// The Host header is not ours: a page on another name reached us (DNS rebinding).
    ForeignHost,
    /// No token or a wrong one.
    NoToken,
    /// A POST without our own Origin (a cross-site form or script).
    CrossOrigin,
    /// Neither GET/HEAD nor POST.
    BadMethod,
}

#[derive(Clone)]
pub struct Guard {
    port: u16,
    token: String,
}

/// 32 random bytes from the kernel, as hex.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("{e}")).context("reading random bytes for the token")?;
    Ok(hex::encode(bytes))
}

impl Guard {
    pub fn new(port: u16, token: String) -> Guard {
        Guard { port, token }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Checks one request: its method, Host, Origin (for POSTs) and token, in that order.
    pub fn check<'u>(
        &self,
        method: &tiny_http::Method,
        url: &'u str,
        header: impl Fn(&str) -> Option<String>,
    ) -> Verdict<'u> {
        use tiny_http::Method;
        let post = match method {
            Method::Get | Method::Head => false,
            Method::Post => true,
            _ => return Verdict::BadMethod,
        };
        if !header("Host").is_some_and(|h| self.is_our_host(&h)) {
            return Verdict::ForeignHost;
        }
        if post {
            let same_origin = header("Origin").is_some_and(|o| self.is_our_origin(&o));
            let fetch_site_ok = header("Sec-Fetch-Site").is_none_or(|s| s == "same-origin");
            if !same_origin || !fetch_site_ok {
                return Verdict::CrossOrigin;
            }
        }
        let path = url.split(['?', '#']).next().unwrap_or_default();
        let Some(tail) = path.strip_prefix('/') else { return Verdict::NoToken };
        let (token, rest) = match tail.find('/') {
            Some(i) => (&tail[..i], &tail[i..]),
            None => (tail, ""),
        };
        if constant_time_eq(token.as_bytes(), self.token.as_bytes()) { Verdict::Pass(rest) } else { Verdict::NoToken }
    }

    fn is_our_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        ["127.0.0.1", "localhost"].iter().any(|name| host == format!("{name}:{}", self.port))
    }

    fn is_our_origin(&self, origin: &str) -> bool {
        let origin = origin.trim().to_ascii_lowercase();
        ["127.0.0.1", "localhost"].iter().any(|name| origin == format!("http://{name}:{}", self.port))
    }
}

/// Compares without stopping at the first differing byte, so response times do not
/// reveal how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiny_http::Method;

    fn guard() -> Guard {
        Guard::new(8080, "t0k".into())
    }

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_token_prefix_is_stripped_and_required() {
        let h = [("Host", "127.0.0.1:8080")];
        assert_eq!(guard().check(&Method::Get, "/t0k/r/x/", headers(&h)), Verdict::Pass("/r/x/"));
        assert_eq!(guard().check(&Method::Get, "/t0k", headers(&h)), Verdict::Pass(""));
        assert_eq!(guard().check(&Method::Get, "/t0k/", headers(&h)), Verdict::Pass("/"));
        assert_eq!(guard().check(&Method::Get, "/t0k/?x=1", headers(&h)), Verdict::Pass("/"));
        assert_eq!(guard().check(&Method::Get, "/", headers(&h)), Verdict::NoToken);
        assert_eq!(guard().check(&Method::Get, "/t0kk/", headers(&h)), Verdict::NoToken);
        assert_eq!(guard().check(&Method::Get, "/r/x/", headers(&h)), Verdict::NoToken);
    }

    #[test]
    fn hosts_other_than_loopback_at_our_port_are_foreign() {
        for host in ["evil.example:8080", "127.0.0.1:8081", "127.0.0.1", "0.0.0.0:8080"] {
            let h = [("Host", host)];
            assert_eq!(guard().check(&Method::Get, "/t0k/", headers(&h)), Verdict::ForeignHost, "{host}");
        }
        assert_eq!(guard().check(&Method::Get, "/t0k/", headers(&[])), Verdict::ForeignHost);
        let h = [("Host", "localhost:8080")];
        assert_eq!(guard().check(&Method::Get, "/t0k/", headers(&h)), Verdict::Pass("/"));
    }

    #[test]
    fn posts_need_our_origin() {
        let ok = [("Host", "127.0.0.1:8080"), ("Origin", "http://127.0.0.1:8080")];
        assert_eq!(guard().check(&Method::Post, "/t0k/r/x/delete", headers(&ok)), Verdict::Pass("/r/x/delete"));
        for bad in [
            vec![("Host", "127.0.0.1:8080")],
            vec![("Host", "127.0.0.1:8080"), ("Origin", "http://evil.example")],
            vec![("Host", "127.0.0.1:8080"), ("Origin", "null")],
            vec![("Host", "127.0.0.1:8080"), ("Origin", "http://127.0.0.1:8080"), ("Sec-Fetch-Site", "cross-site")],
        ] {
            assert_eq!(guard().check(&Method::Post, "/t0k/r/x/delete", headers(&bad)), Verdict::CrossOrigin, "{bad:?}");
        }
        assert_eq!(guard().check(&Method::Put, "/t0k/", headers(&ok)), Verdict::BadMethod);
    }

    #[test]
    fn tokens_are_long_and_fresh() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
