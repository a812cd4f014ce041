//! What to tell the user when GitHub refuses a call: one line naming the call, GitHub's
//! status and message, and what to change (usually a permission of the token).

use anyhow::anyhow;

use super::http::Refused;
use super::target::Target;

/// The part of posting a comment that failed.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    /// Asking whose the token is.
    Identify,
    /// Listing the pull request's comments.
    Read,
    /// Creating or updating our comment.
    Write,
}

/// `err` as one actionable line when it is GitHub's refusal; other errors pass unchanged.
pub fn refusal(err: anyhow::Error, action: Action, target: &Target) -> anyhow::Error {
    let Some(r) = err.downcast_ref::<Refused>() else { return err };
    let what = match action {
        Action::Identify => "say whose the token is".to_string(),
        Action::Read => format!("list the comments of {target}"),
        Action::Write => format!("comment on {target}"),
    };
    let line = match (r.status, action) {
        (401, _) => format!(
            "GitHub rejected the token ({r}): it is wrong, expired or revoked; \
             set GITHUB_TOKEN or GH_TOKEN to a valid one"
        ),
        _ if r.rate_limited => {
            format!("GitHub refused to {what} ({r}): the token's rate limit is used up; try again later")
        }
        (403 | 404, Action::Write) => format!(
            "GitHub refused to {what} ({r}): the token needs `pull-requests: write` (or `issues: write`) permission; \
             in Actions add `permissions: pull-requests: write` to the job"
        ),
        (403 | 404, _) => format!(
            "GitHub refused to {what} ({r}): the pull request does not exist or the token cannot read it; \
             the token needs `pull-requests: read` (or `issues: read`) permission on the repository"
        ),
        (500.., _) => format!("GitHub failed to {what} ({r}), {} times; try again later", r.attempts),
        _ => format!("GitHub refused to {what} ({r})"),
    };
    anyhow!(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::github::repo::Repo;

    fn explain(status: u16, rate_limited: bool, action: Action) -> String {
        let refused = Refused { status, message: "Nope".into(), rate_limited, attempts: 3 };
        let target = Target { repo: Repo::parse("acme/widgets").unwrap(), pr: 7 };
        refusal(refused.into(), action, &target).to_string()
    }

    #[test]
    fn a_refused_write_names_the_permission() {
        let line = explain(403, false, Action::Write);
        assert!(line.starts_with("GitHub refused to comment on acme/widgets#7 (403: Nope): the token needs"), "{line}");
        assert!(line.contains("permissions: pull-requests: write"), "{line}");
    }

    #[test]
    fn a_refused_read_names_the_read_permission() {
        assert!(explain(404, false, Action::Read).contains("`pull-requests: read`"));
    }

    #[test]
    fn rate_limit_and_bad_credentials_are_not_permission_problems() {
        assert!(explain(403, true, Action::Write).contains("rate limit"));
        assert!(explain(401, false, Action::Identify).contains("rejected the token (401: Nope)"));
    }

    #[test]
    fn server_errors_say_how_often_they_were_tried() {
        assert!(explain(503, false, Action::Write).contains("(503: Nope), 3 times"));
    }

    #[test]
    fn other_errors_pass_unchanged() {
        let target = Target { repo: Repo::parse("acme/widgets").unwrap(), pr: 7 };
        assert_eq!(refusal(anyhow!("connection refused"), Action::Read, &target).to_string(), "connection refused");
    }
}
