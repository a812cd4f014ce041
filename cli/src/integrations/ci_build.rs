//! The CI build a receipt records: which repository, pull request (GitLab: merge request),
//! commit and run this is, from GitHub Actions' or GitLab CI's variables or, outside CI,
//! from the clone's remote `origin` on github.com. The result is the receipt's own
//! [`CiBuild`].
//!
//! Detection never fails: what cannot be found is `None`, and a build that is not for a
//! pull request simply has no `pull_request`.

use std::path::Path;

use runglass_model::receipt::{CiBuild, CiProvider};

use super::github::remote;

/// The build the user chose (`None`: the one the environment shows, else a generic build),
/// reading variables through `var` (the process environment, or a map in tests) and, for a
/// generic build, the clone at `dir`.
pub fn build(choice: Option<CiProvider>, dir: &Path, var: &dyn Fn(&str) -> Option<String>) -> CiBuild {
    match choice {
        None => from_env(var).unwrap_or_else(|| generic(dir)),
        Some(CiProvider::Github) => github_actions(var),
        Some(CiProvider::Gitlab) => gitlab_ci(var),
        Some(CiProvider::Generic) => generic(dir),
    }
}

/// When the chosen provider's own marker variable is missing, the facts it reads are
/// probably too: a line for stderr saying so.
pub fn mismatch(choice: Option<CiProvider>, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let (marker, name) = match choice? {
        CiProvider::Github => ("GITHUB_ACTIONS", "github"),
        CiProvider::Gitlab => ("GITLAB_CI", "gitlab"),
        CiProvider::Generic => return None,
    };
    (var(marker).as_deref() != Some("true"))
        .then(|| format!("--provider {name}, but {marker} is not \"true\": the build's facts may be missing"))
}

/// The build of the process environment, else of the clone at `dir`; `None` when neither
/// says anything.
pub fn detect(dir: &Path) -> Option<CiBuild> {
    from_env(&process_env).or_else(|| git_remote(dir))
}

/// The CI run described by the environment `var` reads (the process's, or a map in tests).
pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Option<CiBuild> {
    let var = non_empty(var);
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        Some(github_actions(&var))
    } else if var("GITLAB_CI").as_deref() == Some("true") {
        Some(gitlab_ci(&var))
    } else {
        None
    }
}

/// A build no provider variables describe: what the clone's origin and HEAD say.
fn generic(dir: &Path) -> CiBuild {
    git_remote(dir).unwrap_or_else(unknown)
}

/// A generic build of which nothing is known.
pub fn unknown() -> CiBuild {
    CiBuild {
        provider: CiProvider::Generic,
        repository: None,
        pull_request: None,
        commit: None,
        run_url: None,
        server_url: None,
    }
}

/// A clone whose `origin` is on github.com: its repository and HEAD.
pub fn git_remote(dir: &Path) -> Option<CiBuild> {
    let (repo, head) = remote::origin(dir)?;
    Some(CiBuild {
        provider: CiProvider::Generic,
        repository: Some(repo.to_string()),
        pull_request: None,
        commit: head,
        run_url: None,
        server_url: Some("https://github.com".into()),
    })
}

/// The process environment, as [`from_env`] reads it. Non-UTF-8 values are treated as unset:
/// none of the variables read can be valid so.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A GitHub Actions run (`runglass ci --provider github` asks for this one).
pub fn github_actions(var: &dyn Fn(&str) -> Option<String>) -> CiBuild {
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
    CiBuild {
        provider: CiProvider::Github,
        repository,
        pull_request,
        commit: var("GITHUB_SHA"),
        run_url,
        server_url: Some(server),
    }
}

/// A GitLab CI pipeline.
pub fn gitlab_ci(var: &dyn Fn(&str) -> Option<String>) -> CiBuild {
    let var = non_empty(var);
    CiBuild {
        provider: CiProvider::Gitlab,
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

    fn ci_of(vars: &[(&str, &str)]) -> Option<CiBuild> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_env(&|name| map.get(name).cloned())
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
        assert_eq!(d.provider, CiProvider::Gitlab);
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

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn auto_takes_github_actions_facts_when_its_variables_are_set() {
        let var = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "octo/site"),
            ("GITHUB_SHA", "0123456789abcdef"),
            ("GITHUB_REF", "refs/pull/42/merge"),
            ("GITHUB_RUN_ID", "7"),
        ]);
        let ci = build(None, Path::new("/nonexistent"), &var);
        assert_eq!(ci.provider, CiProvider::Github);
        assert_eq!(ci.repository.as_deref(), Some("octo/site"));
        assert_eq!(ci.pull_request, Some(42));
        assert_eq!(ci.commit.as_deref(), Some("0123456789abcdef"));
        assert_eq!(ci.run_url.as_deref(), Some("https://github.com/octo/site/actions/runs/7"));
    }

    #[test]
    fn auto_takes_gitlab_merge_request_facts() {
        let var = env(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "group/sub/app"),
            ("CI_MERGE_REQUEST_IID", "9"),
            ("CI_PIPELINE_URL", "https://gitlab.example/group/sub/app/-/pipelines/5"),
        ]);
        let ci = build(None, Path::new("/nonexistent"), &var);
        assert_eq!(ci.provider, CiProvider::Gitlab);
        assert_eq!(ci.repository.as_deref(), Some("group/sub/app"));
        assert_eq!(ci.pull_request, Some(9));
        assert_eq!(ci.run_url.as_deref(), Some("https://gitlab.example/group/sub/app/-/pipelines/5"));
    }

    #[test]
    fn auto_without_provider_variables_is_generic_and_claims_nothing() {
        let ci = build(None, Path::new("/nonexistent"), &env(&[("CI", "true")]));
        assert_eq!(
            ci,
            CiBuild {
                provider: CiProvider::Generic,
                repository: None,
                pull_request: None,
                commit: None,
                run_url: None,
                server_url: None
            }
        );
    }

    #[test]
    fn a_chosen_provider_is_kept_even_where_the_environment_shows_another() {
        let var = env(&[("GITLAB_CI", "true"), ("CI_PROJECT_PATH", "g/app"), ("GITHUB_REPOSITORY", "o/n")]);
        let ci = build(Some(CiProvider::Github), Path::new("/nonexistent"), &var);
        assert_eq!((ci.provider, ci.repository.as_deref()), (CiProvider::Github, Some("o/n")));
        assert!(mismatch(Some(CiProvider::Github), &var).is_some_and(|m| m.contains("GITHUB_ACTIONS")));
        assert_eq!(mismatch(Some(CiProvider::Gitlab), &var), None);
    }
}
