//! The lock a run holds on its receipt directory: while it is held the run is in
//! progress; a directory without a receipt whose lock is free belongs to a runglass
//! that was killed, and its receipt can be recovered from the event log.

use std::fs::File;
use std::path::Path;

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};

/// Held for as long as the run is in progress; released when dropped or when the
/// process dies (the kernel drops flocks of a dead process).
pub struct RunLock {
    _lock: Flock<File>,
}

impl RunLock {
    pub fn acquire(receipt_dir: &Path) -> anyhow::Result<RunLock> {
        let path = receipt_dir.join(super::LOCK_FILE);
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let lock = Flock::lock(file, FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| e)
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(RunLock { _lock: lock })
    }
}

/// Whether some process holds the run lock of this directory right now.
pub fn in_progress(receipt_dir: &Path) -> bool {
    let Ok(file) = File::open(receipt_dir.join(super::LOCK_FILE)) else { return false };
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(_) => false,
        Err((_, errno)) => errno == nix::errno::Errno::EWOULDBLOCK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_means_in_progress_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!in_progress(dir.path()));
        let lock = RunLock::acquire(dir.path()).unwrap();
        assert!(in_progress(dir.path()));
        drop(lock);
        assert!(!in_progress(dir.path()));
    }
}
