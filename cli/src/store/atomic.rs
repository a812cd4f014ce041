//! Writing a file so that readers see the old content or the new, never a part: a
//! temporary file in the same directory, fsync, rename over, fsync the directory.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Replaces `path` with `bytes`, creating its directory if needed.
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}; check it is writable", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}; check it is writable", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.as_file().sync_all().with_context(|| format!("syncing {}", tmp.path().display()))?;
    // A failed persist drops (deletes) the temporary file: nothing partial is left.
    tmp.persist(path).with_context(|| format!("renaming into {}", path.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_unwritable_directory_is_an_error_naming_it() {
        let err = write(Path::new("/proc/runglass-nope/r.json"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/proc/runglass-nope"), "{err:#}");
    }
}
