//! The host's moment before a change: while a tracee is stopped at a call that is about
//! to change a path (truncate it, write to it, rename over or away from it, remove it,
//! chmod it, create it), the engine asks the host what to record of that path first.
//!
//! The engine knows nothing of what is recorded or where content goes: the host decides
//! (the CLI captures the path's state and content into its blob store), and returns an
//! event that the engine sends before the call's own, so the log keeps the order in which
//! things happened.

use runglass_model::{ByteString, EventKind};

/// A path a stopped call is about to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    /// The file the call is about to act on, absolute: a symlink in the last component
    /// already followed where the call follows it, /proc's links resolved as the caller
    /// sees them, a descriptor's file for a call on a descriptor.
    pub path: &'a ByteString,
    /// The call follows a symlink at `path` (an open without O_NOFOLLOW, truncate, chmod,
    /// chown, setxattr): it matters only if one is there now, put there since the engine
    /// looked.
    pub follow: bool,
    /// The path is a rename's source or destination: whatever is there moves away or is
    /// replaced, a whole directory included.
    pub renamed: bool,
}

/// Called on the tracer's thread for every path a stopped call is about to change, before
/// the call runs. The tracee (and every other tracee waiting for the tracer) stays stopped
/// until it returns, so an implementation must be quick for paths it has seen already:
/// a build opens the same files for writing over and over.
pub trait BeforeChange: Send {
    /// Returns the events to record before the call's own (usually none or one).
    fn before_change(&mut self, change: Change<'_>) -> Vec<EventKind>;
}
