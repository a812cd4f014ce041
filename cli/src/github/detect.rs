//! Which repository, pull request, commit and CI run this is, from the CI environment
//! (GitHub Actions, GitLab CI) or, outside CI, from the clone's remote `origin`.
//!
//! Detection never fails: what cannot be found is `None`, and a build that is not for a
//! pull request simply has no `pull_request`.

use std::path::Path;

use serde::Serialize;

use super::remote;

/// Where the facts came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    GithubActions,
    GitlabCi,
    /// A github.com URL in `git remote get-url origin` (and HEAD for the commit).
    GitRemote,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::GithubActions => "github_actions",
            Source::GitlabCi => "gitlab_ci",
            Source::GitRemote => "git_remote",
        }
    }
}

/// The build runglass runs in. Serialized as is into `github detect --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Detected {
    /// Where the rest came from; `None` when nothing was found.
    pub source: Option<Source>,
    /// `owner/name` on GitHub; the project path on GitLab (`group/subgroup/name`).
    pub repository: Option<String>,
    /// The pull request (GitLab: merge request IID) the build is for; `None` for other builds.
    pub pull_request: Option<u64>,
    /// The commit built: GITHUB_SHA (for a pull request, GitHub's test merge commit),
    /// CI_COMMIT_SHA, or the clone's HEAD.
    pub commit: Option<String>,
    /// The page of this CI run (pipeline on GitLab).
    pub run_url: Option<String>,
    /// The forge's web address: GITHUB_SERVER_URL, CI_SERVER_URL, or https://github.com.
    pub server_url: Option<String>,
}

/// The build of the process environment, else of the clone at `dir`.
pub fn detect(dir: &Path) -> Detected {
    ci(&process_env).or_else(|| git_remote(dir)).unwrap_or_default()
}

/// The CI run described by the environment `var` reads (the process's, or a map in tests).
pub fn ci(var: &dyn Fn(&str) -> Option<String>) -> Option<Detected> {
    let var = non_empty(var);
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        Some(github_actions(&var))
    } else if var("GITLAB_CI").as_deref() == Some("true") {
        Some(gitlab_ci(&var))
    } else {
        None
    }
}

/// A clone whose `origin` is on github.com: its repository and HEAD.
pub fn git_remote(dir: &Path) -> Option<Detected> {
    let (repo, head) = remote::origin(dir)?;
    Some(Detected {
        source: Some(Source::GitRemote),
        repository: Some(repo.to_string()),
        commit: head,
        server_url: Some("https://github.com".into()),
        ..Detected::default()
    })
}

/// The process environment, as [`ci`] reads it. Non-UTF-8 values are treated as unset:
/// none of the variables read can be valid so.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A GitHub Actions run (`runglass ci --provider github` asks for this one).
pub fn github_actions(var: &dyn Fn(&str) -> Option<String>) -> Detected {
    let var = non_empty(var);
    let repository = var("GITHUB_REPOSITORY");
    let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
    let server = server.trim_end_matches('/').to_string();
    let run_url = match (&repository, var("GITHUB_RUN_ID")) {
        (Some(repo), Some(id)) => {
            let attempt = var("GITHUB_RUN_ATTEMPT").and_then(|a| a.parse::<u32>().ok()).filter(|&a| a > 1);
            let attempt = attempt.map(|a| format!("/attempts/{a}")).unwrap_or_default();
            Some(format!("{server}/{repo}/actions/runs/{id}{attempt}"))
        }
        _ => None,
    };
    // The event payload names the pull request for every event about one; the ref
    // (refs/pull/N/merge) is the fallback when the payload cannot be read.
    let pull_request = var("GITHUB_EVENT_PATH")
        .and_then(|path| event_pull_request(Path::new(&path)))
        .or_else(|| var("GITHUB_REF").and_then(|r| ref_pull_request(&r)));
    Detected {
        source: Some(Source::GithubActions),
        repository,
        pull_request,
        commit: var("GITHUB_SHA"),
        run_url,
        server_url: Some(server),
    }
}

/// A GitLab CI pipeline.
pub fn gitlab_ci(var: &dyn Fn(&str) -> Option<String>) -> Detected {
    let var = non_empty(var);
    Detected {
        source: Some(Source::GitlabCi),
        repository: var("CI_PROJECT_PATH"),
        pull_request: var("CI_MERGE_REQUEST_IID").and_then(|n| n.parse().ok()),
        commit: var("CI_COMMIT_SHA"),
        run_url: var("CI_PIPELINE_URL"),
        server_url: var("CI_SERVER_URL"),
    }
}

/// `var` with empty values as unset, as CI systems leave them for what does not apply.
fn non_empty(var: &dyn Fn(&str) -> Option<String>) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| var(name).filter(|v| !v.is_empty())
}

/// The pull request of a GitHub event payload: `pull_request.number` (pull_request,
/// pull_request_target, pull_request_review... events), or the number of an issue that
/// is a pull request (issue_comment on a pull request).
fn event_pull_request(path: &Path) -> Option<u64> {
    let event: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    if let Some(n) = event.pointer("/pull_request/number").and_then(|n| n.as_u64()) {
        return Some(n);
    }
    let issue = event.get("issue").filter(|i| i.get("pull_request").is_some())?;
    issue.get("number")?.as_u64()
}

/// N of `refs/pull/N/merge` or `refs/pull/N/head`.
fn ref_pull_request(git_ref: &str) -> Option<u64> {
    let rest = git_ref.strip_prefix("refs/pull/")?;
    let (n, kind) = rest.split_once('/')?;
    ["merge", "head"].contains(&kind).then(|| n.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn ci_of(vars: &[(&str, &str)]) -> Option<Detected> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ci(&|name| map.get(name).cloned())
    }

    #[test]
    fn github_push_build_has_no_pull_request() {
        let d = ci_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/widgets"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_SHA", "abc123"),
            ("GITHUB_RUN_ID", "42"),
        ])
        .unwrap();
        assert_eq!(d.pull_request, None);
        assert_eq!(d.commit.as_deref(), Some("abc123"));
        assert_eq!(d.run_url.as_deref(), Some("https://github.com/acme/widgets/actions/runs/42"));
    }

    #[test]
    fn github_pull_request_from_the_ref_when_the_event_file_is_missing() {
        let d = ci_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_PATH", "/nonexistent/event.json"),
            ("GITHUB_REF", "refs/pull/17/merge"),
        ])
        .unwrap();
        assert_eq!(d.pull_request, Some(17));
    }

    #[test]
    fn github_rerun_links_its_attempt_on_an_enterprise_server() {
        let d = ci_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/widgets"),
            ("GITHUB_SERVER_URL", "https://ghe.example/"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ])
        .unwrap();
        assert_eq!(d.run_url.as_deref(), Some("https://ghe.example/acme/widgets/actions/runs/42/attempts/2"));
        assert_eq!(d.server_url.as_deref(), Some("https://ghe.example"));
    }

    #[test]
    fn event_of_a_comment_on_a_pull_request_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(&path, r#"{"issue": {"number": 9, "pull_request": {"url": "x"}}}"#).unwrap();
        assert_eq!(event_pull_request(&path), Some(9));
        std::fs::write(&path, r#"{"issue": {"number": 9}}"#).unwrap();
        assert_eq!(event_pull_request(&path), None, "a comment on a plain issue");
    }

    #[test]
    fn gitlab_merge_request_pipeline() {
        let d = ci_of(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "group/sub/widgets"),
            ("CI_MERGE_REQUEST_IID", "5"),
            ("CI_COMMIT_SHA", "def456"),
            ("CI_PIPELINE_URL", "https://gitlab.example/group/sub/widgets/-/pipelines/7"),
            ("CI_SERVER_URL", "https://gitlab.example"),
        ])
        .unwrap();
        assert_eq!(d.source, Some(Source::GitlabCi));
        assert_eq!(d.repository.as_deref(), Some("group/sub/widgets"));
        assert_eq!(d.pull_request, Some(5));
        assert_eq!(d.run_url.as_deref(), Some("https://gitlab.example/group/sub/widgets/-/pipelines/7"));
    }

    #[test]
    fn outside_ci_and_empty_values_are_not_ci() {
        assert_eq!(ci_of(&[("CI", "true")]), None);
        assert_eq!(ci_of(&[("GITHUB_ACTIONS", "")]), None);
        let asked_for = github_actions(&|name| (name == "GITHUB_REPOSITORY").then(String::new));
        assert_eq!(asked_for.repository, None, "an empty GITHUB_REPOSITORY");
    }

    #[test]
    fn only_pull_refs_name_a_pull_request() {
        assert_eq!(ref_pull_request("refs/pull/3/head"), Some(3));
        assert_eq!(ref_pull_request("refs/heads/pull/3/merge"), None);
        assert_eq!(ref_pull_request("refs/pull/x/merge"), None);
        assert_eq!(ref_pull_request("refs/pull/3/other"), None);
    }
}
