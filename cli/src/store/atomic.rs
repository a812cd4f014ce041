//! Writing a file so that readers see the old content or the new, never a part: a
//! temporary file in the same directory, renamed over. [`write`] also fsyncs the file before
//! the rename and the directory after, so that it survives a power loss whole.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use tempfile::NamedTempFile;

/// Replaces `path` with `bytes` durably, creating its directory if needed.
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = temporary(path, bytes)?;
    tmp.as_file().sync_all().with_context(|| format!("syncing {}", tmp.path().display()))?;
    // A failed persist drops (deletes) the temporary file: nothing partial is left.
    tmp.persist(path).with_context(|| format!("renaming into {}", path.display()))?;
    sync_dir(path);
    Ok(())
}

/// Replaces `path` with `bytes` without waiting for the disk: for what can be lost in a
/// power loss (a cache), or is made durable later ([`super::durable::Durable`]).
pub fn replace(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = temporary(path, bytes)?;
    tmp.persist(path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// `bytes` in a new temporary file beside `path` (its directory created if needed).
pub(super) fn temporary(path: &Path, bytes: &[u8]) -> anyhow::Result<NamedTempFile> {
    let dir = parent(path);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}; check it is writable", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}; check it is writable", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("writing {}", tmp.path().display()))?;
    Ok(tmp)
}

/// Makes the renames in `path`'s directory durable. Best effort: some filesystems refuse
/// to sync a directory, and the file itself is already on disk.
pub(super) fn sync_dir(path: &Path) {
    if let Ok(d) = std::fs::File::open(parent(path)) {
        let _ = d.sync_all();
    }
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        replace(&p, b"three").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_unwritable_directory_is_an_error_naming_it() {
        let err = write(Path::new("/proc/runglass-nope/r.json"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/proc/runglass-nope"), "{err:#}");
    }
}
