//! The journal of an apply, kept in the receipt's directory while it runs: which steps
//! it started and finished. Every step is atomic on its own, so an apply that was killed
//! is finished by running it again; the journal tells that run which paths it left in
//! the middle of a step (a directory removed to put a file back, a directory made but not
//! yet given its mode), and its lock keeps two applies of one receipt from racing.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use runglass_model::ByteString;
use rustix::fs::FlockOperation;
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use super::error::{Busy, RevertError, TooNew};
use super::plan::Step;

const FILE: &str = "revert-journal.jsonl";

/// Steps started and not finished, as (outside the root, path).
pub type Unfinished = HashSet<(bool, Vec<u8>)>;

/// The journal's format, on its first line (`{"journal_format":1}`). A journal without
/// that line was written before formats were numbered; its entries are read the same.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    journal_format: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    Start { path: ByteString, outside: bool },
    Done { path: ByteString, outside: bool },
}

pub struct Journal {
    file: File,
    path: PathBuf,
    /// Steps an earlier, interrupted apply started and did not finish.
    unfinished: Unfinished,
    /// Whether an earlier apply was interrupted.
    interrupted: bool,
}

/// Whether an apply of the receipt in `dir` was interrupted, and which steps it left
/// unfinished (for a preview, which takes no lock).
pub fn unfinished(dir: &Path) -> Result<Option<Unfinished>, TooNew> {
    let path = dir.join(FILE);
    let Ok(file) = File::open(&path) else { return Ok(None) };
    let read = read(&file, &path)?;
    Ok(read.began.then_some(read.open))
}

impl Journal {
    /// Opens the journal of the receipt in `dir` for an apply, locked; what an earlier,
    /// interrupted apply recorded is read first.
    pub fn open(dir: &Path) -> Result<Journal, RevertError> {
        let path = dir.join(FILE);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .with_context(|| format!("opening the revert journal {}", path.display()))?;
        match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(Errno::WOULDBLOCK) => return Err(Busy.into()),
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("locking the revert journal {}", path.display()))
                    .into());
            }
        }
        let empty = file.metadata().is_ok_and(|m| m.len() == 0);
        let read = read(&file, &path)?;
        let mut journal = Journal { file, path, unfinished: read.open, interrupted: read.began };
        if empty {
            let mut line =
                serde_json::to_vec(&Header { journal_format: FORMAT }).context("encoding the journal header")?;
            line.push(b'\n');
            journal.write(&line)?;
        }
        Ok(journal)
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    pub fn unfinished(&self) -> &Unfinished {
        &self.unfinished
    }

    pub fn start(&mut self, step: &Step) -> anyhow::Result<()> {
        self.append(Entry::Start { path: step.path.clone(), outside: step.outside })
    }

    pub fn done(&mut self, step: &Step) -> anyhow::Result<()> {
        self.append(Entry::Done { path: step.path.clone(), outside: step.outside })
    }

    /// The apply got to its end: the journal goes.
    pub fn finish(self) -> anyhow::Result<()> {
        std::fs::remove_file(&self.path).with_context(|| format!("removing the revert journal {}", self.path.display()))
    }

    fn append(&mut self, entry: Entry) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&entry).context("encoding a journal entry")?;
        line.push(b'\n');
        self.write(&line)
    }

    /// One write per line, so a kill leaves at most a torn last line, which is skipped.
    fn write(&mut self, line: &[u8]) -> anyhow::Result<()> {
        self.file.write_all(line).with_context(|| format!("writing the revert journal {}", self.path.display()))
    }
}

/// What a journal says of the apply that wrote it.
struct Read {
    /// It began a step (so it was interrupted, if the journal is still there).
    began: bool,
    /// The steps it started and did not finish.
    open: Unfinished,
}

/// The journal at `path`; refused when a newer runglass wrote it.
fn read(file: &File, path: &Path) -> Result<Read, TooNew> {
    let mut open = HashSet::new();
    let mut began = false;
    for (n, line) in BufReader::new(file).split(b'\n').map_while(Result::ok).enumerate() {
        if n == 0
            && let Ok(header) = serde_json::from_slice::<Header>(&line)
        {
            if header.journal_format > FORMAT {
                return Err(TooNew { path: path.to_owned(), format: header.journal_format, reads: FORMAT });
            }
            continue;
        }
        match serde_json::from_slice::<Entry>(&line) {
            Ok(Entry::Start { path, outside }) => {
                began = true;
                open.insert((outside, path.0));
            }
            Ok(Entry::Done { path, outside }) => {
                open.remove(&(outside, path.0));
            }
            Err(_) => {}
        }
    }
    Ok(Read { began, open })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revert::plan::{Undo, Verdict};

    fn step(path: &str) -> Step {
        Step {
            path: ByteString(path.as_bytes().to_vec()),
            outside: false,
            undo: Undo::Restore,
            verdict: Verdict::Safe,
            before: None,
            after: None,
        }
    }

    #[test]
    fn a_reopened_journal_knows_the_unfinished_steps_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path()).unwrap();
        assert!(!j.interrupted());
        j.start(&step("a")).unwrap();
        j.done(&step("a")).unwrap();
        j.start(&step("b")).unwrap();
        drop(j);
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE))
            .unwrap()
            .write_all(b"{\"start\":{\"pa")
            .unwrap();

        let j = Journal::open(dir.path()).unwrap();
        assert!(j.interrupted());
        assert_eq!(j.unfinished(), &HashSet::from([(false, b"b".to_vec())]));
        assert_eq!(unfinished(dir.path()).unwrap(), Some(HashSet::from([(false, b"b".to_vec())])));
        j.finish().unwrap();
        assert_eq!(unfinished(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_journal_names_its_format_and_one_of_a_newer_runglass_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(text, "{\"journal_format\":1}\n");
        drop(j);
        // Killed before its first step: nothing to finish, so not interrupted.
        assert!(!Journal::open(dir.path()).unwrap().interrupted());
        assert_eq!(unfinished(dir.path()).unwrap(), None);

        std::fs::write(
            dir.path().join(FILE),
            "{\"journal_format\":2}\n{\"start\":{\"path\":\"a\",\"outside\":false}}\n",
        )
        .unwrap();
        let err = Journal::open(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("is format 2, newer than this runglass reads (1)") && err.contains("finish the revert"),
            "{err}"
        );
        assert!(unfinished(dir.path()).is_err());
    }

    #[test]
    fn a_journal_from_before_formats_were_numbered_reads_as_before() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "{\"start\":{\"path\":\"a\",\"outside\":false}}\n").unwrap();
        let j = Journal::open(dir.path()).unwrap();
        assert!(j.interrupted());
        assert_eq!(j.unfinished(), &HashSet::from([(false, b"a".to_vec())]));
    }

    #[test]
    fn a_second_apply_of_the_same_receipt_is_refused_while_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let _running = Journal::open(dir.path()).unwrap();
        let err = Journal::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("another revert of this receipt is running"), "{err}");
    }
}
