//! The data contract of runglass.
//!
//! `tracer/` produces [`Event`]s, the CLI stores them in an event log ([`log`]), and later
//! stages read them back and make a [`Receipt`] ([`receipt`]), which renderers turn into
//! HTML, Markdown and the rest. Nothing in this crate knows about ptrace, flags or HTML.

#![forbid(unsafe_code)]

pub mod bytes;
pub mod capability;
pub mod event;
pub mod host_name;
pub mod log;
pub mod manifest;
pub mod path_bytes;
pub mod receipt;
pub mod receipt_json;
pub mod receipt_legacy;
pub mod sockaddr;

pub use bytes::{ByteString, command_line};
pub use event::{
    CloneKind, Errno, Event, EventKind, ExitStatus, FileOp, OpenFlags, PathState, Pid, SocketKind, SyscallResult,
};
pub use receipt::Receipt;
pub use sockaddr::SockAddr;
