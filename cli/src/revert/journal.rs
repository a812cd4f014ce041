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

use super::plan::Step;

const FILE: &str = "revert-journal.jsonl";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    Start { path: ByteString, outside: bool },
    Done { path: ByteString, outside: bool },
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

pub struct Journal {
    file: File,
    path: PathBuf,
    /// Steps an earlier, interrupted apply started and did not finish.
    unfinished: HashSet<(bool, Vec<u8>)>,
    /// Whether an earlier apply was interrupted.
    interrupted: bool,
}

/// Whether an apply of the receipt in `dir` was interrupted, and which steps it left
/// unfinished (for a preview, which takes no lock).
pub fn unfinished(dir: &Path) -> Option<HashSet<(bool, Vec<u8>)>> {
    let file = File::open(dir.join(FILE)).ok()?;
    let began = file.metadata().is_ok_and(|m| m.len() > 0);
    began.then(|| read(&file))
}

impl Journal {
    /// Opens the journal of the receipt in `dir` for an apply, locked; what an earlier,
    /// interrupted apply recorded is read first.
    pub fn open(dir: &Path) -> anyhow::Result<Journal> {
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
            Err(e) => return Err(e).with_context(|| format!("locking the revert journal {}", path.display())),
        }
        let interrupted = file.metadata().map(|m| m.len() > 0).unwrap_or(false);
        let unfinished = read(&file);
        Ok(Journal { file, path, unfinished, interrupted })
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    pub fn unfinished(&self) -> &HashSet<(bool, Vec<u8>)> {
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
        // One write per entry, so a kill leaves at most a torn last line, which is skipped.
        self.file.write_all(&line).with_context(|| format!("writing the revert journal {}", self.path.display()))
    }
}

fn read(file: &File) -> HashSet<(bool, Vec<u8>)> {
    let mut open = HashSet::new();
    for line in BufReader::new(file).split(b'\n').map_while(Result::ok) {
        match serde_json::from_slice::<Entry>(&line) {
            Ok(Entry::Start { path, outside }) => {
                open.insert((outside, path.0));
            }
            Ok(Entry::Done { path, outside }) => {
                open.remove(&(outside, path.0));
            }
            Err(_) => {}
        }
    }
    open
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
        assert_eq!(unfinished(dir.path()), Some(HashSet::from([(false, b"b".to_vec())])));
        j.finish().unwrap();
        assert_eq!(unfinished(dir.path()), None);
    }

    #[test]
    fn a_second_apply_of_the_same_receipt_is_refused_while_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let _running = Journal::open(dir.path()).unwrap();
        let err = Journal::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("another revert of this receipt is running"), "{err}");
    }
}
