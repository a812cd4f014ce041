//! The API's base address (https://api.github.com, or a GitHub Enterprise Server's
//! `https://HOST/api/v3`) and the URLs of the calls made under it. It also decides where
//! the token may be sent: only under this base, and over plain http only to this machine.

use anyhow::{Context, bail};
use ureq::http::Uri;

use super::repo::Repo;

pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Comments per page, GitHub's maximum, so that few pages are needed.
pub const PER_PAGE: u32 = 100;

#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The base without a trailing slash.
    base: String,
    host: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        let base = url.trim().trim_end_matches('/');
        let uri: Uri = base.parse().with_context(|| format!("{base:?} is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            bail!("the API URL {base:?} needs a scheme and a host, like {DEFAULT_API_URL}");
        };
        if authority.as_str().contains('@') || uri.query().is_some() || base.contains('#') {
            bail!("the API URL {base:?} must not hold credentials, a query or a fragment");
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        match scheme {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => bail!("refusing to send the token over plain http to {host}; use https"),
            _ => bail!("the API URL {base:?} is not http(s)"),
        }
        Ok(Endpoint { base: base.to_string(), host })
    }

    /// The host `gh` keeps the token under: github.com for api.github.com, the server itself
    /// for GitHub Enterprise Server.
    pub fn gh_host(&self) -> &str {
        if self.host == "api.github.com" { "github.com" } else { &self.host }
    }

    pub fn user_url(&self) -> String {
        format!("{}/user", self.base)
    }

    /// The first page of a pull request's comments (they are its issue's comments).
    pub fn comments_url(&self, repo: &Repo, pr: u64) -> String {
        format!("{}/repos/{}/{}/issues/{pr}/comments?per_page={PER_PAGE}", self.base, repo.owner(), repo.name())
    }

    pub fn new_comment_url(&self, repo: &Repo, pr: u64) -> String {
        format!("{}/repos/{}/{}/issues/{pr}/comments", self.base, repo.owner(), repo.name())
    }

    /// A comment's URL; `id` is a number, or a placeholder in `--dry-run`'s plan.
    pub fn comment_url(&self, repo: &Repo, id: impl std::fmt::Display) -> String {
        format!("{}/repos/{}/{}/issues/comments/{id}", self.base, repo.owner(), repo.name())
    }

    /// Whether `url` (a `Link: rel="next"` from an answer) lies under this base, so that
    /// following it sends the token nowhere else.
    pub fn owns(&self, url: &str) -> bool {
        let path = |rest: &str| rest.split(['?', '#']).next().unwrap_or("").to_string();
        url.strip_prefix(&self.base)
            .is_some_and(|rest| rest.starts_with('/') && !path(rest).split('/').any(|segment| segment == ".."))
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://[::1]:8080/").is_ok());
        let err = Endpoint::parse("http://api.github.com").unwrap_err().to_string();
        assert!(err.contains("plain http"), "{err}");
        assert!(Endpoint::parse("ftp://example.com").is_err());
        assert!(Endpoint::parse("https://user:pw@example.com").is_err());
        assert!(Endpoint::parse("api.github.com").is_err());
    }

    #[test]
    fn gh_host_of_github_and_enterprise() {
        assert_eq!(Endpoint::parse(DEFAULT_API_URL).unwrap().gh_host(), "github.com");
        assert_eq!(Endpoint::parse("https://GHE.example/api/v3/").unwrap().gh_host(), "ghe.example");
    }

    #[test]
    fn next_links_must_stay_under_the_base() {
        let e = Endpoint::parse("https://ghe.example/api/v3").unwrap();
        assert!(e.owns("https://ghe.example/api/v3/repositories/1/issues/2/comments?page=2"));
        assert!(!e.owns("https://ghe.example/api/v30/x"));
        assert!(!e.owns("https://ghe.example/other/api/v3/x"));
        assert!(!e.owns("https://ghe.example.evil/api/v3/x"));
        assert!(!e.owns("https://ghe.example/api/v3/../../login"));
        assert!(!e.owns("https://ghe.example/api/v3/.."));
        assert!(!e.owns("http://ghe.example/api/v3/x"));
    }
}
