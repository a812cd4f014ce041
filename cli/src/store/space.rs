//! A full data home: telling it from other write failures, and the room kept for receipts.
//!
//! A command that fills the disk the data home is on (or prints more than it holds) must
//! not cost its run the receipt. So the data home keeps a little space in reserve
//! ([`Reserve`], one file for every run, allocated once and kept): a run whose manifest or
//! receipt is refused for lack of space frees it and writes again, so that the receipt fits
//! even when the command's output did not, and the next run with room allocates it again. A run that
//! meets no full disk leaves it alone, at the cost of one fallocate(2) of blocks already
//! allocated (no unlink, which costs milliseconds on ext4).

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{FallocateFlags, fallocate};

/// The reserve's file name in the data home.
pub const RESERVE_FILE: &str = "reserve";

/// The space kept for receipts: it holds the receipt of a run with thousands of processes
/// and file changes, and costs no write (fallocate only reserves blocks). On a disk with
/// less room than that, the most that fits of the smaller sizes is kept: enough for a small
/// receipt, or at least for `shortfall.json`, which says what was lost.
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

/// The data home's reserve, as one run holds it.
pub struct Reserve {
    path: PathBuf,
    held: bool,
}

impl Reserve {
    /// Makes sure the data home's reserve holds the first of [`RESERVE_BYTES`] that fits.
    /// Best effort: on a filesystem without fallocate(2), or one already full, the run goes
    /// on with none.
    pub fn take(data: &Path) -> Reserve {
        let path = data.join(RESERVE_FILE);
        let held = OpenOptions::new().write(true).create(true).truncate(false).open(&path).is_ok_and(|file| {
            RESERVE_BYTES.iter().any(|len| fallocate(&file, FallocateFlags::empty(), 0, *len).is_ok())
        });
        Reserve { path, held }
    }

    /// Whether there is a reserve this run has not freed yet.
    #[cfg(test)]
    fn held(&self) -> bool {
        self.held
    }

    /// Frees the reserve for this run's own files (removes it); true when there was one.
    pub fn release(&mut self) -> bool {
        std::mem::replace(&mut self.held, false) && std::fs::remove_file(&self.path).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_holds_its_space_across_runs_until_a_run_releases_it() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RESERVE_FILE);
        let first = Reserve::take(dir.path());
        if !first.held() {
            eprintln!("SKIP: no fallocate(2) on this filesystem");
            return;
        }
        drop(first);
        let mut second = Reserve::take(dir.path());
        assert!(second.held());
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.blocks() * 512 >= RESERVE_BYTES[0] as u64, "{} blocks", meta.blocks());
        assert!(second.release());
        assert!(!path.exists());
        assert!(!second.release(), "released once");
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
