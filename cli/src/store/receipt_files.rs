//! Where runglass reads a file that a receipt names: only a plain file name, opened inside
//! that receipt's directory without following a symlink, whatever receipt.json says.
//!
//! receipt.json is data, not a map of the disk: it may have been edited, or copied from
//! someone else. The names it holds for the output streams and the artifacts
//! (`output.*.file`, `artifacts.*`) and its `id` (which names exported files) must each be
//! one plain component: not empty, no `/`, no leading `.` (so neither `.` nor `..`), no
//! NUL or other control character. The receipt's directory is opened without following a
//! symlink at its end, and each file in it with `openat(O_NOFOLLOW)`, so a symlink planted
//! in the store leads nowhere either; a name that is not a regular file (a FIFO, a device)
//! is refused before it is read. Stored contents are found by their BLAKE3, parsed as a
//! hash, never as a path ([`crate::store::blobs`]).

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use anyhow::bail;
use runglass_model::Receipt;
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

/// Why a name in a receipt is not one of a file in its directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadName {
    Empty,
    Slash,
    LeadingDot,
    Control,
    TooLong,
}

impl BadName {
    fn text(self) -> &'static str {
        match self {
            BadName::Empty => "it is empty",
            BadName::Slash => "it holds a `/`",
            BadName::LeadingDot => "it starts with `.`",
            BadName::Control => "it holds a control character",
            BadName::TooLong => "it is longer than 255 bytes",
        }
    }
}

/// Whether `name` is one plain file name (see the module's rules).
pub fn check_name(name: &str) -> Result<(), BadName> {
    if name.is_empty() {
        Err(BadName::Empty)
    } else if name.contains('/') {
        Err(BadName::Slash)
    } else if name.starts_with('.') {
        Err(BadName::LeadingDot)
    } else if name.chars().any(char::is_control) {
        Err(BadName::Control)
    } else if name.len() > 255 {
        Err(BadName::TooLong)
    } else {
        Ok(())
    }
}

/// Every file name the receipt gives, with the field that gives it.
pub fn named_files(r: &Receipt) -> Vec<(&'static str, &str)> {
    let a = &r.artifacts;
    let o = &r.output;
    let artifacts = [
        ("artifacts.event_log", &a.event_log),
        ("artifacts.survivors_log", &a.survivors_log),
        ("artifacts.snapshot_before", &a.snapshot_before),
        ("artifacts.snapshot_after", &a.snapshot_after),
    ];
    let streams = [
        ("output.stdout.file", &o.stdout),
        ("output.stderr.file", &o.stderr),
        ("output.transcript.file", &o.transcript),
    ];
    let artifacts = artifacts.into_iter().filter_map(|(field, name)| Some((field, name.as_deref()?)));
    let streams = streams.into_iter().filter_map(|(field, s)| Some((field, s.as_ref()?.file.as_str())));
    artifacts.chain(streams).collect()
}

/// What makes the receipt name a file outside its directory, one line per field (empty
/// when nothing does).
pub fn problems(r: &Receipt) -> Vec<String> {
    let mut out = Vec::new();
    if let Err(why) = check_name(&r.id) {
        out.push(format!("id {:?} is not a plain name: {}", r.id, why.text()));
    }
    for (field, name) in named_files(r) {
        if let Err(why) = check_name(name) {
            out.push(format!("{field} {name:?} is not a file name inside the receipt's directory: {}", why.text()));
        }
    }
    out
}

/// Refuses a receipt that names a file outside its directory (see [`problems`]).
pub fn ensure_confined(r: &Receipt) -> anyhow::Result<()> {
    let problems = problems(r);
    if let Some(first) = problems.first() {
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        bail!("refusing receipt {:?}: {first}{more}; `runglass validate` lists what is wrong", r.id);
    }
    Ok(())
}

/// A receipt's directory, held open: its files are opened beneath it.
pub struct ReceiptDir {
    fd: OwnedFd,
    path: PathBuf,
}

const DIR_FLAGS: OFlags = OFlags::PATH.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);
/// O_NONBLOCK: opening a FIFO planted under a receipt's name must not hang the reader.
const FILE_FLAGS: OFlags =
    OFlags::RDONLY.union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC).union(OFlags::NOCTTY).union(OFlags::NONBLOCK);

impl ReceiptDir {
    /// Opens the directory `dir`, refusing a symlink in its place.
    pub fn open(dir: &Path) -> anyhow::Result<ReceiptDir> {
        match rustix::fs::open(dir, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(ReceiptDir { fd, path: dir.to_path_buf() }),
            Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                bail!("refusing {}: a receipt's directory must be a directory, not a symlink", dir.display())
            }
            Err(e) => bail!("opening the receipt directory {}: {e}", dir.display()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the regular file `name` of this directory for reading; `None` when there is
    /// none. A name that is not plain, a symlink and anything but a regular file are errors.
    pub fn open_file(&self, name: &str) -> anyhow::Result<Option<File>> {
        let shown = self.path.join(name.escape_debug().to_string());
        if let Err(why) = check_name(name) {
            bail!("refusing to read {name:?} for the receipt in {}: {}", self.path.display(), why.text());
        }
        let fd = match rustix::fs::openat(self.fd.as_fd(), name, FILE_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => bail!(
                "refusing to read {}: it is a symlink, and runglass follows none out of a receipt's directory",
                shown.display()
            ),
            Err(e) => bail!("reading {}: {e}", shown.display()),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| anyhow::anyhow!("reading {}: {e}", shown.display()))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            bail!("refusing to read {}: it is not a regular file", shown.display());
        }
        Ok(Some(File::from(fd)))
    }

    /// The whole content of `name` (see [`ReceiptDir::open_file`]); a missing file is an error.
    pub fn read(&self, name: &str) -> anyhow::Result<Vec<u8>> {
        use std::io::Read;
        let Some(mut file) = self.open_file(name)? else {
            bail!("reading {}: it is not there", self.path.join(name).display());
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| anyhow::anyhow!("reading {}: {e}", self.path.join(name).display()))?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_plain_component_is_a_file_name() {
        for ok in ["stdout", "events.log", "snapshot-before.bin", "a..b"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        let bad = [
            ("", BadName::Empty),
            ("/etc/shadow", BadName::Slash),
            ("../../../etc/passwd", BadName::Slash),
            ("..", BadName::LeadingDot),
            (".", BadName::LeadingDot),
            ("a\0b", BadName::Control),
            ("a\nb", BadName::Control),
        ];
        for (name, why) in bad {
            assert_eq!(check_name(name), Err(why), "{name:?}");
        }
        assert_eq!(check_name(&"x".repeat(256)), Err(BadName::TooLong));
    }

    #[test]
    fn a_symlink_a_fifo_and_a_symlinked_directory_are_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("r");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("stdout"), "out").unwrap();
        std::fs::write(base.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(base.path().join("secret"), dir.join("stderr")).unwrap();
        rustix::fs::mkfifoat(rustix::fs::CWD, dir.join("transcript"), Mode::from_raw_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&dir, base.path().join("linked")).unwrap();

        let d = ReceiptDir::open(&dir).unwrap();
        assert_eq!(d.read("stdout").unwrap(), b"out");
        assert!(d.open_file("missing").unwrap().is_none());
        let err = |name: &str| format!("{:#}", d.open_file(name).unwrap_err());
        assert!(err("stderr").contains("symlink"), "{}", err("stderr"));
        assert!(err("transcript").contains("not a regular file"), "{}", err("transcript"));
        assert!(err("../secret").contains("`/`"), "{}", err("../secret"));
        assert!(ReceiptDir::open(&base.path().join("linked")).is_err());
    }
}
