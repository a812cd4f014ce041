//! Making one run's files durable together, at its end.
//!
//! A file synced on its own costs a journal commit, a few milliseconds on a virtual disk and
//! far more beside another program's writes; a run writes half a dozen. So the session writes
//! each file at once (placed atomically: readers, and `runglass recover` after a crash of
//! runglass, see the old content or the new, never a part), and [`Durable::commit`] syncs them
//! all concurrently, which the filesystem serves with about one commit, then their directory.
//! A file [`Durable::stage`]d is renamed into place only by the commit, after its content is
//! on disk, so that even a power loss never leaves it half-written: the receipt itself.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use tempfile::NamedTempFile;

use super::atomic;

#[derive(Default)]
pub struct Durable {
    /// Files in place, to be synced.
    placed: Vec<PathBuf>,
    /// Temporaries to sync, then rename to their path.
    staged: Vec<(NamedTempFile, PathBuf)>,
}

impl Durable {
    /// Replaces `path` with `bytes` now; durable after [`Durable::commit`].
    pub fn place(&mut self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        atomic::replace(path, bytes)?;
        self.include(path);
        Ok(())
    }

    /// A file written some other way (the event log), synced by [`Durable::commit`].
    pub fn include(&mut self, path: &Path) {
        if !self.placed.iter().any(|p| p == path) {
            self.placed.push(path.to_owned());
        }
    }

    /// Writes `bytes` for `path`, which appears only at [`Durable::commit`], whole and durable.
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let tmp = atomic::temporary(path, bytes)?;
        self.staged.push((tmp, path.to_owned()));
        Ok(())
    }

    /// Syncs every file at once, renames the staged ones into place and syncs their
    /// directories. The first failure is the error; the staged files then stay out of place.
    pub fn commit(self) -> anyhow::Result<()> {
        let Durable { placed, staged } = self;
        let results: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
            let placed = placed.iter().map(|path| s.spawn(move || sync_path(path)));
            let staged = staged.iter().map(|(tmp, _)| {
                s.spawn(move || tmp.as_file().sync_all().with_context(|| format!("syncing {}", tmp.path().display())))
            });
            let handles: Vec<_> = placed.chain(staged).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a sync thread panicked")))).collect()
        });
        results.into_iter().collect::<anyhow::Result<()>>()?;
        let mut dirs = placed;
        for (tmp, path) in staged {
            tmp.persist(&path).with_context(|| format!("renaming into {}", path.display()))?;
            dirs.push(path);
        }
        dirs.sort_by(|a, b| a.parent().cmp(&b.parent()));
        dirs.dedup_by(|a, b| a.parent() == b.parent());
        for path in dirs {
            atomic::sync_dir(&path);
        }
        Ok(())
    }
}

fn sync_path(path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {} to sync it", path.display()))?;
    file.sync_all().with_context(|| format!("syncing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placed_files_appear_at_once_and_staged_ones_only_at_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (placed, staged, log) = (dir.path().join("a.bin"), dir.path().join("r.json"), dir.path().join("log"));
        std::fs::write(&log, b"events").unwrap();
        let mut durable = Durable::default();
        durable.place(&placed, b"one").unwrap();
        durable.place(&placed, b"two").unwrap();
        durable.include(&log);
        durable.stage(&staged, b"{}").unwrap();
        assert_eq!(std::fs::read(&placed).unwrap(), b"two");
        assert!(!staged.exists(), "a staged file is not in place before the commit");
        durable.commit().unwrap();
        assert_eq!(std::fs::read(&staged).unwrap(), b"{}");
        let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["a.bin", "log", "r.json"], "no temporaries are left");
    }

    #[test]
    fn a_file_that_cannot_be_synced_fails_the_commit_and_keeps_staged_files_out() {
        let dir = tempfile::tempdir().unwrap();
        let staged = dir.path().join("r.json");
        let mut durable = Durable::default();
        durable.include(&dir.path().join("gone"));
        durable.stage(&staged, b"{}").unwrap();
        let err = durable.commit().unwrap_err();
        assert!(format!("{err:#}").contains("gone"), "{err:#}");
        assert!(!staged.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the temporary is removed");
    }
}
