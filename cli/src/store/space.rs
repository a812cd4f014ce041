//! A full data home: telling it from other write failures, and the room a run keeps for
//! its receipt.
//!
//! A command that fills the disk the data home is on (or prints more than it holds) must
//! not cost its run the receipt. So each run reserves a little space in its receipt
//! directory before the command starts ([`Reserve`]), and gives it back just before it
//! writes the receipt: the receipt then fits even when the command's output did not.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{FallocateFlags, fallocate};

/// The reserve's file name in the receipt directory (removed before the receipt is written).
pub const RESERVE_FILE: &str = "reserve";

/// The space kept for the receipt: it holds the receipt of a run with thousands of
/// processes and file changes, and costs no write (fallocate only reserves blocks). On a
/// disk with less room than that, the most that fits of the smaller sizes is kept: enough
/// for a small receipt, or at least for `shortfall.json`, which says what was lost.
pub const RESERVE_BYTES: [i64; 3] = [2 << 20, 256 << 10, 16 << 10];

/// True when `e` (or what caused it) is a write refused for lack of space or quota.
pub fn is_full(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| cause.downcast_ref::<io::Error>().is_some_and(is_full_io))
}

/// True for ENOSPC and EDQUOT, also when wrapped in another io::Error (tempfile's
/// errors name the path that way, keeping the kind but not the code).
pub fn is_full_io(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
        || e.kind() == io::ErrorKind::StorageFull
        || e.get_ref().and_then(|inner| inner.downcast_ref::<io::Error>()).is_some_and(is_full_io)
}

/// Space held in a receipt directory until [`Reserve::release`].
pub struct Reserve {
    path: Option<PathBuf>,
}

impl Reserve {
    /// Reserves the first of [`RESERVE_BYTES`] that fits in `dir`. Best effort: on a
    /// filesystem without fallocate(2), or one already full, the run goes on with none.
    pub fn take(dir: &Path) -> Reserve {
        let path = dir.join(RESERVE_FILE);
        let Ok(file) = OpenOptions::new().write(true).create_new(true).open(&path) else {
            return Reserve { path: None };
        };
        let fits = |len: &i64| fallocate(&file, FallocateFlags::empty(), 0, *len).is_ok();
        if RESERVE_BYTES.iter().any(fits) {
            return Reserve { path: Some(path) };
        }
        let _ = std::fs::remove_file(&path);
        Reserve { path: None }
    }

    /// Gives the space back (removes the file). Safe to call more than once.
    pub fn release(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        self.release();
    }
}

/// Removes the reserve a runglass that was killed left in `dir`.
pub fn remove_leftover(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(RESERVE_FILE));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_holds_its_space_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let mut reserve = Reserve::take(dir.path());
        let path = dir.path().join(RESERVE_FILE);
        if reserve.path.is_some() {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&path).unwrap();
            assert!(meta.blocks() * 512 >= RESERVE_BYTES[0] as u64, "{} blocks", meta.blocks());
        }
        reserve.release();
        assert!(!path.exists());
    }

    #[test]
    fn a_full_disk_is_told_from_other_errors_through_context() {
        let full = anyhow::Error::from(io::Error::from_raw_os_error(libc::ENOSPC)).context("writing x");
        let denied = anyhow::Error::from(io::Error::from_raw_os_error(libc::EACCES)).context("writing x");
        let wrapped = io::Error::other(io::Error::from_raw_os_error(libc::EDQUOT));
        assert!(is_full(&full));
        assert!(is_full(&anyhow::Error::from(wrapped).context("writing y")));
        assert!(!is_full(&denied));
    }
}
