//! The one comment runglass keeps on a pull request: its body (a hidden marker naming the
//! pull request, the receipt's compact summary, a link to the CI run) and posting it, as a
//! new comment or by updating the one posted before.

use super::api::{Api, Comment, User};
use super::explain::{Action, refusal};
use super::target::Target;

pub enum Posted {
    Created(Comment),
    Updated(Comment),
}

/// The first line of our comment: invisible on the page, it finds the comment again.
pub fn marker(target: &Target) -> String {
    format!("<!-- runglass-receipt {target} -->")
}

/// The comment: the marker, the summary, and a link to the CI run when there is one that
/// can be linked (an http(s) URL).
pub fn body(target: &Target, summary: &str, run_url: Option<&str>) -> String {
    let mut body = format!("{}\n{summary}", marker(target));
    if let Some(url) = run_url.and_then(link_destination) {
        body.push_str(&format!("\n[CI run]({url})\n"));
    }
    body
}

/// Posts `body` on the pull request: updates our earlier comment there (found on any page
/// of its comments), else creates one.
pub fn post(api: &Api<'_>, target: &Target, body: &str) -> anyhow::Result<Posted> {
    let me = api.me().map_err(|e| refusal(e, Action::Identify, target))?;
    let comments = api.comments(&target.repo, target.pr).map_err(|e| refusal(e, Action::Read, target))?;
    let marker = marker(target);
    let posted = match comments.iter().find(|c| is_ours(c, me.as_ref(), &marker)) {
        Some(earlier) => api.update_comment(&target.repo, earlier.id, body).map(Posted::Updated),
        None => api.create_comment(&target.repo, target.pr, body).map(Posted::Created),
    };
    posted.map_err(|e| refusal(e, Action::Write, target))
}

/// Ours: it starts with our marker (a quote of it in someone's reply does not), and its
/// author is the token's account or, for a token that is no account's (the GITHUB_TOKEN
/// of Actions posts as the `github-actions[bot]` app), a bot, which no person can post as.
fn is_ours(comment: &Comment, me: Option<&User>, marker: &str) -> bool {
    let (Some(body), Some(author)) = (&comment.body, &comment.user) else { return false };
    body.starts_with(marker)
        && match me {
            Some(me) => author.login.eq_ignore_ascii_case(&me.login),
            None => author.kind == "Bot",
        }
}

/// `url` as a Markdown link destination: http(s) and printable ASCII, with the characters
/// that would end the destination early percent-encoded.
fn link_destination(url: &str) -> Option<String> {
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || !url.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some(url.replace('(', "%28").replace(')', "%29").replace('<', "%3C").replace('>', "%3E"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::github::repo::Repo;

    fn target() -> Target {
        Target { repo: Repo::parse("acme/widgets").unwrap(), pr: 7 }
    }

    fn comment(body: &str, login: &str, kind: &str) -> Comment {
        let user = Some(User { login: login.into(), kind: kind.into() });
        Comment { id: 1, body: Some(body.into()), user, html_url: String::new() }
    }

    #[test]
    fn body_starts_with_the_marker_and_ends_with_the_run_link() {
        let body = body(&target(), "**runglass:** ok\n", Some("https://github.com/acme/widgets/actions/runs/1"));
        assert_eq!(
            body,
            "<!-- runglass-receipt acme/widgets#7 -->\n**runglass:** ok\n\n\
             [CI run](https://github.com/acme/widgets/actions/runs/1)\n"
        );
    }

    #[test]
    fn a_run_url_that_is_not_a_web_address_is_left_out() {
        let body = body(&target(), "s\n", Some("javascript:alert(1)"));
        assert_eq!(body, "<!-- runglass-receipt acme/widgets#7 -->\ns\n");
        assert_eq!(link_destination("https://x/a b"), None);
        assert_eq!(link_destination("https://x/(a)").as_deref(), Some("https://x/%28a%29"));
    }

    #[test]
    fn ours_is_by_the_token_account_and_starts_with_the_marker() {
        let marker = marker(&target());
        let me = User { login: "Robot".into(), kind: "User".into() };
        assert!(is_ours(&comment(&format!("{marker}\nold"), "robot", "User"), Some(&me), &marker));
        assert!(!is_ours(&comment(&format!("{marker}\nold"), "someone", "User"), Some(&me), &marker));
        assert!(!is_ours(&comment(&format!("> {marker}\nquoted"), "robot", "User"), Some(&me), &marker));
        let other_pr = "<!-- runglass-receipt acme/widgets#70 -->";
        assert!(!is_ours(&comment(other_pr, "robot", "User"), Some(&me), &marker));
    }

    #[test]
    fn without_an_account_a_bot_comment_is_ours() {
        let marker = marker(&target());
        assert!(is_ours(&comment(&marker, "github-actions[bot]", "Bot"), None, &marker));
        assert!(!is_ours(&comment(&marker, "mallory", "User"), None, &marker));
    }
}
