//! What `runglass ci` adds to a recorded run: the CI build's facts for the receipt
//! (`provider`), the artifact directory written whole and swapped in (`artifact_dir`), and
//! GitHub Actions' job summary (`step_summary`).

pub mod artifact_dir;
pub mod provider;
pub mod step_summary;
