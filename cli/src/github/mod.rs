//! GitHub: detecting the build runglass runs in (also GitLab's, for `runglass ci`) and
//! keeping a receipt's summary as a comment on its pull request through the REST API.

pub mod api;
pub mod comment;
pub mod detect;
pub mod endpoint;
mod explain;
mod http;
mod link;
mod remote;
pub mod repo;
pub mod token;
