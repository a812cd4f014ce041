//! What stops a revert before it acts, as its own error type: the command line and the
//! server each say it their way (the server answers 409 to a revert already running), and
//! a refusal of the root is one line that names the path.

use std::path::PathBuf;

use runglass_model::receipt::DirId;

#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    #[error("refusing to revert: the receipt's root {} is not a plain absolute path", .0.display())]
    RootNotPlain(PathBuf),
    #[error(
        "refusing to revert: {} on the way to the receipt's root {} {what} now, and revert follows no symlink there",
        reached.display(),
        root.display()
    )]
    RootDetour { root: PathBuf, reached: PathBuf, what: &'static str },
    #[error("refusing to revert: the receipt's root {} is gone ({} does not exist)", root.display(), reached.display())]
    RootGone { root: PathBuf, reached: PathBuf },
    #[error(
        "refusing to revert: {} is not the directory the command ran in (the receipt records device {} inode {}, \
         it is device {} inode {} now); the receipt's root was edited or the directory replaced",
        root.display(),
        recorded.dev,
        recorded.ino,
        now.dev,
        now.ino
    )]
    RootReplaced { root: PathBuf, recorded: DirId, now: DirId },
    #[error("opening the receipt's root {}: {}: {errno}", root.display(), reached.display())]
    RootUnreadable { root: PathBuf, reached: PathBuf, errno: rustix::io::Errno },
    #[error("receipt {0} is still running; revert it after the command ends")]
    StillRunning(String),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    JournalTooNew(#[from] TooNew),
    /// Reading the blob store, writing the journal: the message says what and where.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Another apply of the same receipt holds the journal.
#[derive(Debug)]
pub struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("another revert of this receipt is running; wait for it to finish")
    }
}

impl std::error::Error for Busy {}

/// The journal was written by a newer runglass, whose entries this one cannot be sure to
/// read: finishing that revert is the newer runglass's job.
#[derive(Debug)]
pub struct TooNew {
    pub path: PathBuf,
    pub format: u32,
    /// The newest format this runglass reads.
    pub reads: u32,
}

impl std::fmt::Display for TooNew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the revert journal {} is format {}, newer than this runglass reads ({}): finish the revert with \
             the runglass that began it, or remove the journal if no revert of this receipt is running",
            self.path.display(),
            self.format,
            self.reads
        )
    }
}

impl std::error::Error for TooNew {}
