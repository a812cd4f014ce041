//! The host's moment before a change: while a tracee is stopped at a call that is about
//! to change a path (truncate it, write to it, rename over or away from it, remove it,
//! chmod it, create it), the engine asks the host what to record of that path first.
//!
//! The engine knows nothing of what is recorded or where content goes: the host decides
//! (the CLI captures the path's state and content into its blob store), and returns an
//! event that the engine sends before the call's own, so the log keeps the order in which
//! things happened.

use runglass_model::{ByteString, EventKind};

/// Called on the tracer's thread for every path a stopped call is about to change, before
/// the call runs. The tracee (and every other tracee waiting for the tracer) stays stopped
/// until it returns, so an implementation must be quick for paths it has seen already:
/// a build opens the same files for writing over and over.
pub trait BeforeChange: Send {
    /// `path` is absolute, as the call resolves it (symlinks in the last component not
    /// followed); `follow` is true when the call follows a symlink there (an open without
    /// O_NOFOLLOW, truncate, chmod). Returns the event to record before the call's own.
    fn before_change(&mut self, path: &ByteString, follow: bool) -> Option<EventKind>;
}
