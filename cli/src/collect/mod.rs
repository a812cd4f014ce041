//! The facts a run collects beside the event log, each from where it lives: snapshots of
//! the working directory and its contents ([`snapshot`]), the process tree and sockets by
//! polling /proc in normal mode ([`poll`]), Docker's engine ([`docker`]), the git
//! repository ([`git`]), and names from the hosts file ([`host_names`], read by
//! [`hosts_file`]).

pub mod after_run;
pub mod docker;
pub mod git;
pub mod host_names;
pub mod hosts_file;
pub mod path_state;
pub mod poll;
pub mod snapshot;
