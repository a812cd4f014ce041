//! The pull request a comment is for, and how messages name it (`owner/name#N`).

use std::fmt;

use super::repo::Repo;

/// A pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub repo: Repo,
    pub pr: u64,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.repo, self.pr)
    }
}
