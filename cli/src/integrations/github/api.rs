//! The REST calls a pull-request comment needs: who the token belongs to, every page of
//! an issue's comments, and creating or updating one comment.

use anyhow::{Context, bail};
use serde::Deserialize;
use ureq::http::Method;

use super::endpoint::Endpoint;
use super::http::{Http, Refused};
use super::link;
use super::repo::Repo;
use super::token::Token;

/// Pages of comments read at most (10 000 comments): a bound for a server that keeps
/// answering with a `next` link.
const MAX_PAGES: usize = 100;

pub struct Api<'t> {
    endpoint: Endpoint,
    http: Http<'t>,
}

#[derive(Debug, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    /// `null` for comments of deleted accounts.
    #[serde(default)]
    pub user: Option<User>,
    pub html_url: String,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub login: String,
    /// "User", "Bot" or "Organization".
    #[serde(rename = "type")]
    pub kind: String,
}

impl<'t> Api<'t> {
    pub fn new(endpoint: Endpoint, token: &'t Token) -> Api<'t> {
        Api { endpoint, http: Http::new(token) }
    }

    /// The account the token acts as; `None` for tokens that are not a user's, like the
    /// GITHUB_TOKEN of Actions (an app installation), which GitHub answers with 403.
    pub fn me(&self) -> anyhow::Result<Option<User>> {
        let url = self.endpoint.user_url();
        match self.http.send(Method::GET, &url, None) {
            Ok(answer) => Ok(Some(parse(&answer.body, &url)?)),
            Err(e) if e.downcast_ref::<Refused>().is_some_and(|r| matches!(r.status, 403 | 404)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every comment of pull request `pr`, oldest first, following the `next` links.
    pub fn comments(&self, repo: &Repo, pr: u64) -> anyhow::Result<Vec<Comment>> {
        let mut url = self.endpoint.comments_url(repo, pr);
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.http.send(Method::GET, &url, None)?;
            let page: Vec<Comment> = parse(&answer.body, &url)?;
            all.extend(page);
            let Some(next) = answer.link.as_deref().and_then(link::next) else { return Ok(all) };
            if !self.endpoint.owns(next) {
                bail!("GitHub's next page of comments {next:?} is not under the API URL; not sending the token there");
            }
            url = next.to_string();
        }
        bail!("{repo}#{pr} has more than {MAX_PAGES} pages of comments; not reading further")
    }

    pub fn create_comment(&self, repo: &Repo, pr: u64, body: &str) -> anyhow::Result<Comment> {
        let url = self.endpoint.new_comment_url(repo, pr);
        let answer = self.http.send(Method::POST, &url, Some(&serde_json::json!({ "body": body })))?;
        parse(&answer.body, &url)
    }

    pub fn update_comment(&self, repo: &Repo, id: u64, body: &str) -> anyhow::Result<Comment> {
        let url = self.endpoint.comment_url(repo, id);
        let answer = self.http.send(Method::PATCH, &url, Some(&serde_json::json!({ "body": body })))?;
        parse(&answer.body, &url)
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &str, url: &str) -> anyhow::Result<T> {
    serde_json::from_str(body).with_context(|| format!("GitHub's answer to {url} is not what the API documents"))
}
