//! A GitHub repository's `owner/name`, checked against GitHub's naming rules so that it
//! can go into an API path as it is (no `..`, no slash, no query).

use std::fmt;

use anyhow::bail;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    owner: String,
    name: String,
}

impl Repo {
    /// Parses `owner/name`: an owner of letters, digits and hyphens (at most 39), a name of
    /// letters, digits, `.`, `_` and `-` (at most 100, not `.` or `..`).
    pub fn parse(s: &str) -> anyhow::Result<Repo> {
        let Some((owner, name)) = s.split_once('/') else {
            bail!("{s:?} is not a repository: give it as OWNER/NAME");
        };
        let owner_ok = (1..=39).contains(&owner.len()) && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name_ok = (1..=100).contains(&name.len())
            && name != "."
            && name != ".."
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !owner_ok || !name_ok {
            bail!("{s:?} is not a GitHub repository name (OWNER/NAME of letters, digits, '-', '_' and '.')");
        }
        Ok(Repo { owner: owner.to_string(), name: name.to_string() })
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::Repo;

    #[test]
    fn accepts_owner_slash_name() {
        let repo = Repo::parse("rust-lang/rust.vim").unwrap();
        assert_eq!((repo.owner(), repo.name()), ("rust-lang", "rust.vim"));
        assert_eq!(repo.to_string(), "rust-lang/rust.vim");
    }

    #[test]
    fn refuses_what_would_change_the_api_path() {
        let bad_names = ["acme", "acme/..", "acme/.", "../x", "acme/a/b", "acme/a?b", "acme/a#b", "/name", "acme/"];
        for bad in bad_names.iter().chain(&["a b/c", "a_b/c"]) {
            assert!(Repo::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
