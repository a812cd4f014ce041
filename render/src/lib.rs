//! Pure functions from runglass's model to the text people and programs read.
//! Nothing here knows about ptrace, the CLI's flags, or the file system.

#![forbid(unsafe_code)]

pub mod ai;
pub mod bundle;
pub mod docker_lines;
pub mod event_line;
pub mod git_lines;
pub mod html;
pub mod json;
pub mod markdown;
pub mod patch_name;
pub mod process_tree;
pub mod reverse_patch;
mod review;
mod scaffold;
mod shape;
mod sections;
pub mod summary_md;
pub mod terminal;
pub mod text;
