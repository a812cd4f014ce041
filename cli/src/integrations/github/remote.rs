//! The GitHub repository of a clone, from its remote `origin`: the https, ssh and scp-like
//! (`git@github.com:owner/name.git`) forms of github.com URLs.

use std::path::Path;

use super::repo::Repo;

/// Hosts that serve github.com repositories (ssh.github.com is ssh over port 443).
const GITHUB_HOSTS: [&str; 3] = ["github.com", "www.github.com", "ssh.github.com"];

/// `owner/name` and HEAD of the clone at `dir` when its `origin` is on github.com.
pub fn origin(dir: &Path) -> Option<(Repo, Option<String>)> {
    let url = git(dir, &["remote", "get-url", "origin"])?;
    let repo = github_repository(&url)?;
    Some((repo, git(dir, &["rev-parse", "--verify", "-q", "HEAD"])))
}

/// The repository a remote URL names, when it is a github.com URL.
pub fn github_repository(url: &str) -> Option<Repo> {
    let url = url.trim();
    let (authority, path) = match url.split_once("://") {
        Some((scheme, rest)) => {
            if !["https", "http", "ssh", "git", "git+ssh", "ssh+git"].contains(&scheme.to_ascii_lowercase().as_str()) {
                return None;
            }
            rest.split_once('/')?
        }
        // scp-like syntax: [user@]host:path, which has no slash before the colon.
        None => url.split_once(':').filter(|(authority, _)| !authority.contains('/'))?,
    };
    // Credentials (`https://x-access-token:...@github.com/...`) and ports are not the host.
    let host_port = authority.rsplit('@').next()?;
    let host = host_port.split(':').next()?;
    if !GITHUB_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return None;
    }
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    Repo::parse(path).ok()
}

/// Runs git in `dir`; its trimmed stdout when it succeeds, is not empty and is UTF-8.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    crate::collect::git::git(dir, args).and_then(|out| String::from_utf8(out).ok()).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::github_repository;

    fn repo(url: &str) -> Option<String> {
        github_repository(url).map(|r| r.to_string())
    }

    #[test]
    fn reads_https_and_ssh_forms() {
        for url in [
            "https://github.com/acme/widgets.git",
            "https://github.com/acme/widgets",
            "https://github.com/acme/widgets/",
            "http://www.github.com/acme/widgets.git",
            "https://x-access-token:ghs_secret@github.com/acme/widgets.git",
            "git@github.com:acme/widgets.git",
            "github.com:acme/widgets",
            "ssh://git@github.com/acme/widgets.git",
            "ssh://git@ssh.github.com:443/acme/widgets.git",
            "git://github.com/acme/widgets.git\n",
        ] {
            assert_eq!(repo(url).as_deref(), Some("acme/widgets"), "{url}");
        }
    }

    #[test]
    fn ignores_other_hosts_and_malformed_paths() {
        for url in [
            "https://gitlab.com/acme/widgets.git",
            "git@gitlab.com:acme/widgets.git",
            "https://github.com.evil.example/acme/widgets",
            "https://github.com/acme",
            "https://github.com/acme/widgets/tree/main",
            "file:///srv/github.com/acme/widgets",
            "/srv/git/github.com:acme/widgets",
            "",
        ] {
            assert_eq!(repo(url), None, "{url}");
        }
    }
}
