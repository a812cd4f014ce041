//! The CI build a receipt records, from the provider the user chose (or the one the
//! environment shows), reusing what `github detect` reads.

use std::path::Path;

use runglass_model::receipt::{CiBuild, CiProvider};

use crate::args::Provider;
use crate::github::detect::{self, Detected, Source};

/// The build for `choice`, reading variables through `var` (the process environment, or a
/// map in tests) and, for a generic build, the clone at `dir`.
pub fn build(choice: Provider, dir: &Path, var: &dyn Fn(&str) -> Option<String>) -> CiBuild {
    match choice {
        Provider::Auto => match detect::ci(var) {
            Some(found) => from_detected(found),
            None => generic(dir),
        },
        Provider::Github => from_detected(detect::github_actions(var)),
        Provider::Gitlab => from_detected(detect::gitlab_ci(var)),
        Provider::Generic => generic(dir),
    }
}

/// When the chosen provider's own marker variable is missing, the facts it reads are
/// probably too: a line for stderr saying so.
pub fn mismatch(choice: Provider, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let (marker, name) = match choice {
        Provider::Github => ("GITHUB_ACTIONS", "github"),
        Provider::Gitlab => ("GITLAB_CI", "gitlab"),
        Provider::Auto | Provider::Generic => return None,
    };
    (var(marker).as_deref() != Some("true"))
        .then(|| format!("--provider {name}, but {marker} is not \"true\": the build's facts may be missing"))
}

/// A build no provider variables describe: what the clone's origin and HEAD say.
fn generic(dir: &Path) -> CiBuild {
    let found = detect::git_remote(dir).unwrap_or_default();
    CiBuild { provider: CiProvider::Generic, ..from_detected(found) }
}

fn from_detected(d: Detected) -> CiBuild {
    let provider = match d.source {
        Some(Source::GithubActions) => CiProvider::Github,
        Some(Source::GitlabCi) => CiProvider::Gitlab,
        Some(Source::GitRemote) | None => CiProvider::Generic,
    };
    CiBuild {
        provider,
        repository: d.repository,
        pull_request: d.pull_request,
        commit: d.commit,
        run_url: d.run_url,
        server_url: d.server_url,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

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
        let ci = build(Provider::Auto, Path::new("/nonexistent"), &var);
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
        let ci = build(Provider::Auto, Path::new("/nonexistent"), &var);
        assert_eq!(ci.provider, CiProvider::Gitlab);
        assert_eq!(ci.repository.as_deref(), Some("group/sub/app"));
        assert_eq!(ci.pull_request, Some(9));
        assert_eq!(ci.run_url.as_deref(), Some("https://gitlab.example/group/sub/app/-/pipelines/5"));
    }

    #[test]
    fn auto_without_provider_variables_is_generic_and_claims_nothing() {
        let ci = build(Provider::Auto, Path::new("/nonexistent"), &env(&[("CI", "true")]));
        assert_eq!(ci, CiBuild {
            provider: CiProvider::Generic,
            repository: None,
            pull_request: None,
            commit: None,
            run_url: None,
            server_url: None
        });
    }

    #[test]
    fn a_chosen_provider_is_kept_even_where_the_environment_shows_another() {
        let var = env(&[("GITLAB_CI", "true"), ("CI_PROJECT_PATH", "g/app"), ("GITHUB_REPOSITORY", "o/n")]);
        let ci = build(Provider::Github, Path::new("/nonexistent"), &var);
        assert_eq!((ci.provider, ci.repository.as_deref()), (CiProvider::Github, Some("o/n")));
        assert!(mismatch(Provider::Github, &var).is_some_and(|m| m.contains("GITHUB_ACTIONS")));
        assert_eq!(mismatch(Provider::Gitlab, &var), None);
    }
}
