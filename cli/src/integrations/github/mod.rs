//! GitHub: its REST API as runglass uses it (a token, an endpoint, pages of comments) to
//! keep a receipt's summary as a comment on a pull request, and the github.com repository
//! of a clone's remote.

pub mod api;
pub mod comment;
pub mod endpoint;
mod explain;
mod http;
mod link;
pub mod remote;
pub mod repo;
pub mod target;
pub mod token;
