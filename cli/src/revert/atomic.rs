//! Every change revert makes to a tree, each one atomic: a file or symlink is built under
//! a temporary name in its own directory, fsynced, and renamed over its path, so the path
//! holds either what was there or what is restored, never half of it. All of it happens
//! through a directory descriptor reached by the confined walk ([`super::confine`]), and
//! no final symlink is ever followed: rename and unlink act on the link itself.

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use anyhow::{Context, bail};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags, Timespec, Timestamps};
use rustix::io::Errno;

/// Where a path lives: its directory, held open, and its name there.
pub struct Spot {
    pub dir: OwnedFd,
    pub name: Vec<u8>,
}

/// The owner to give what revert makes (only root can give one away).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

/// Temporary names start with this and the receipt's id, so leftovers of an apply that
/// was killed can be found and removed by the next one.
pub fn temp_prefix(receipt_id: &str) -> Vec<u8> {
    format!(".runglass-revert-{receipt_id}-").into_bytes()
}

fn temp_name(prefix: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("reading random bytes for a temporary name: {e}"))?;
    let mut name = prefix.to_vec();
    name.extend(hex::encode(bytes).bytes());
    Ok(name)
}

/// Writes `content` to a new file at `spot` (replacing what is there), with `mode` and
/// modification time `mtime_ns`. The bytes are hashed while they are copied: content
/// that does not hash to `expect` is never put in place.
pub fn put_file(
    spot: &Spot,
    content: &mut impl Read,
    expect: &blake3::Hash,
    mode: u32,
    mtime_ns: i64,
    owner: Option<Owner>,
    prefix: &[u8],
) -> anyhow::Result<()> {
    let tmp = temp_name(prefix)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&spot.dir, tmp.as_slice(), flags, Mode::from_raw_mode(0o600))
        .context("creating a temporary file")?;
    let written = fill(&fd, content, expect, mode, mtime_ns, owner);
    let placed = written.and_then(|()| rename(spot, &tmp, RenameFlags::empty()));
    if placed.is_err() {
        let _ = rustix::fs::unlinkat(&spot.dir, tmp.as_slice(), AtFlags::empty());
    }
    placed
}

fn fill(
    fd: &OwnedFd,
    content: &mut impl Read,
    expect: &blake3::Hash,
    mode: u32,
    mtime_ns: i64,
    owner: Option<Owner>,
) -> anyhow::Result<()> {
    let mut file = std::fs::File::from(fd.try_clone().context("duplicating a descriptor")?);
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match content.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading the stored content"),
        };
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).context("writing the temporary file")?;
    }
    if hasher.finalize() != *expect {
        bail!("the stored content is damaged (its BLAKE3 no longer matches)");
    }
    if let Some(o) = owner {
        chown(fd.as_fd(), o)?;
    }
    // After chown, which clears setuid and setgid bits.
    rustix::fs::fchmod(fd, Mode::from_raw_mode(mode)).context("setting the mode")?;
    rustix::fs::futimens(fd, &times(mtime_ns)).context("setting the modification time")?;
    rustix::fs::fsync(fd).context("syncing the temporary file")?;
    Ok(())
}

/// Makes a symlink to `target` at `spot` (replacing what is there).
pub fn put_symlink(
    spot: &Spot,
    target: &[u8],
    mtime_ns: i64,
    owner: Option<Owner>,
    prefix: &[u8],
) -> anyhow::Result<()> {
    let tmp = temp_name(prefix)?;
    rustix::fs::symlinkat(target, &spot.dir, tmp.as_slice()).context("creating a temporary symlink")?;
    let placed = (|| {
        if let Some(o) = owner {
            rustix::fs::chownat(
                &spot.dir,
                tmp.as_slice(),
                Some(rustix::fs::Uid::from_raw(o.uid)),
                Some(rustix::fs::Gid::from_raw(o.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .context("setting the symlink's owner")?;
        }
        rustix::fs::utimensat(&spot.dir, tmp.as_slice(), &times(mtime_ns), AtFlags::SYMLINK_NOFOLLOW)
            .context("setting the symlink's time")?;
        rename(spot, &tmp, RenameFlags::empty())
    })();
    if placed.is_err() {
        let _ = rustix::fs::unlinkat(&spot.dir, tmp.as_slice(), AtFlags::empty());
    }
    placed
}

/// Makes a directory at `spot`, where nothing may be. It gets `mode` plus owner write
/// and search when `mode` lacks them, so what belongs inside can be put back;
/// [`set_dir_mode`] gives it its exact mode once it is filled.
pub fn put_dir(spot: &Spot, mode: u32, owner: Option<Owner>, prefix: &[u8]) -> anyhow::Result<()> {
    let tmp = temp_name(prefix)?;
    rustix::fs::mkdirat(&spot.dir, tmp.as_slice(), Mode::from_raw_mode(0o700))
        .context("creating a temporary directory")?;
    let placed = (|| {
        let fd = rustix::fs::openat(
            &spot.dir,
            tmp.as_slice(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .context("opening the temporary directory")?;
        if let Some(o) = owner {
            chown(fd.as_fd(), o)?;
        }
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode | 0o300)).context("setting the directory's mode")?;
        rename(spot, &tmp, RenameFlags::NOREPLACE)
    })();
    if placed.is_err() {
        let _ = rustix::fs::unlinkat(&spot.dir, tmp.as_slice(), AtFlags::REMOVEDIR);
    }
    placed
}

/// Gives the directory at `spot` its exact mode.
pub fn set_dir_mode(spot: &Spot, mode: u32) -> anyhow::Result<()> {
    let fd = rustix::fs::openat(
        &spot.dir,
        spot.name.as_slice(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .context("opening the directory")?;
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode)).context("setting the directory's mode")?;
    rustix::fs::fsync(&fd).context("syncing the directory")
}

/// Sets the mode of the regular file at `spot`, its content untouched. Opened without
/// following a symlink and without blocking, and only changed when it is a regular file.
pub fn set_file_mode(spot: &Spot, mode: u32) -> anyhow::Result<()> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&spot.dir, spot.name.as_slice(), flags, Mode::empty()).context("opening the file")?;
    let st = rustix::fs::fstat(&fd).context("reading the file's state")?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        bail!("it is no longer a regular file");
    }
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode)).context("setting the mode")?;
    rustix::fs::fsync(&fd).context("syncing the file")
}

/// What removing a path did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    Yes,
    /// It was already gone.
    Gone,
    /// A directory that still holds something: left in place.
    NotEmpty,
}

/// Removes the file, symlink (the link itself) or empty directory at `spot`.
pub fn remove(spot: &Spot, dir: bool) -> anyhow::Result<Removed> {
    let flags = if dir { AtFlags::REMOVEDIR } else { AtFlags::empty() };
    match rustix::fs::unlinkat(&spot.dir, spot.name.as_slice(), flags) {
        Ok(()) => {
            sync_dir(spot.dir.as_fd())?;
            Ok(Removed::Yes)
        }
        Err(Errno::NOENT) => Ok(Removed::Gone),
        Err(Errno::NOTEMPTY) | Err(Errno::EXIST) if dir => Ok(Removed::NotEmpty),
        Err(e) => Err(e).context("removing it"),
    }
}

/// Removes what an interrupted apply left under temporary names in `dir`.
pub fn sweep(dir: BorrowedFd<'_>, prefix: &[u8]) -> anyhow::Result<usize> {
    let fd = rustix::fs::openat(dir, c".", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .context("listing the directory")?;
    let mut leftovers = Vec::new();
    for entry in rustix::fs::Dir::read_from(&fd).context("listing the directory")? {
        let entry = entry.context("listing the directory")?;
        let name = entry.file_name().to_bytes();
        if name.starts_with(prefix) {
            leftovers.push((name.to_vec(), entry.file_type() == FileType::Directory));
        }
    }
    for (name, is_dir) in &leftovers {
        let flags = if *is_dir { AtFlags::REMOVEDIR } else { AtFlags::empty() };
        match rustix::fs::unlinkat(&fd, name.as_slice(), flags) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(e).context("removing a temporary file an interrupted revert left"),
        }
    }
    Ok(leftovers.len())
}

fn rename(spot: &Spot, tmp: &[u8], flags: RenameFlags) -> anyhow::Result<()> {
    rustix::fs::renameat_with(&spot.dir, tmp, &spot.dir, spot.name.as_slice(), flags).context("putting it in place")?;
    sync_dir(spot.dir.as_fd())
}

/// Makes a rename or unlink in `dir` durable. `dir` may be an O_PATH descriptor, which
/// cannot be synced itself, so the directory is opened for reading through it.
fn sync_dir(dir: BorrowedFd<'_>) -> anyhow::Result<()> {
    let fd = rustix::fs::openat(dir, c".", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .context("opening the directory to sync it")?;
    rustix::fs::fsync(&fd).context("syncing the directory")
}

fn chown(fd: BorrowedFd<'_>, o: Owner) -> anyhow::Result<()> {
    rustix::fs::fchown(fd, Some(rustix::fs::Uid::from_raw(o.uid)), Some(rustix::fs::Gid::from_raw(o.gid)))
        .context("setting the owner")
}

fn times(mtime_ns: i64) -> Timestamps {
    Timestamps {
        last_access: Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_OMIT },
        last_modification: Timespec {
            tv_sec: mtime_ns.div_euclid(1_000_000_000),
            tv_nsec: mtime_ns.rem_euclid(1_000_000_000) as _,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn spot(dir: &std::path::Path, name: &str) -> Spot {
        let fd = rustix::fs::open(dir, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap();
        Spot { dir: fd, name: name.as_bytes().to_vec() }
    }

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn content_that_does_not_match_its_hash_is_never_put_in_place_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "current").unwrap();
        let expect = blake3::hash(b"what the store should hold");
        let err = put_file(&spot(dir.path(), "f"), &mut &b"damaged"[..], &expect, 0o644, 0, None, b".t-").unwrap_err();
        assert!(format!("{err:#}").contains("damaged"), "{err:#}");
        assert_eq!(std::fs::read_to_string(dir.path().join("f")).unwrap(), "current");
        assert_eq!(names(dir.path()), ["f"]);

        let good = b"restored";
        let hash = blake3::hash(good);
        put_file(&spot(dir.path(), "f"), &mut &good[..], &hash, 0o600, 1_000_000_007, None, b".t-").unwrap();
        let meta = std::fs::metadata(dir.path().join("f")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), good);
        assert_eq!((meta.mode() & 0o7777, meta.mtime(), meta.mtime_nsec()), (0o600, 1, 7));
        assert_eq!(names(dir.path()), ["f"]);
    }

    #[test]
    fn sweep_removes_only_what_carries_the_receipts_temporary_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = temp_prefix("20261121T000000Z-x");
        let ours = format!("{}0011223344556677", String::from_utf8(prefix.clone()).unwrap());
        std::fs::write(dir.path().join(&ours), "half").unwrap();
        std::fs::create_dir(dir.path().join(format!("{ours}-dir"))).unwrap();
        std::fs::write(dir.path().join(".runglass-revert-other-receipt-00"), "not ours").unwrap();
        std::fs::write(dir.path().join("user file"), "keep").unwrap();
        let s = spot(dir.path(), "user file");
        assert_eq!(sweep(s.dir.as_fd(), &prefix).unwrap(), 2);
        assert_eq!(names(dir.path()), [".runglass-revert-other-receipt-00", "user file"]);
    }
}
