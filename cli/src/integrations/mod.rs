//! What runglass does with the systems around it: the CI build a receipt records
//! (`ci_build`, GitHub Actions and GitLab CI), the artifact directory `runglass ci` writes
//! (`ci_artifacts`), GitHub Actions' job summary (`step_summary`), GitHub's REST API for
//! pull-request comments (`github`), and the user's browser (`browser`).

pub mod browser;
pub mod ci_artifacts;
pub mod ci_build;
pub mod github;
pub mod step_summary;
