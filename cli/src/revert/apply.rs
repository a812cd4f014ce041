//! Applying a plan: the gate (a change made since the receipt, or one that cannot be
//! undone, stops the whole apply before anything is touched, unless the caller chose to
//! skip or force), then every step in an order that works for nested trees, each one
//! checked again just before it is taken and recorded in the journal.

use anyhow::{Context, bail};
use runglass_model::ByteString;
use runglass_model::receipt::{FileKind, FileState};
use rustix::fs::FileType;

use super::atomic::{self, Owner, Removed, Spot};
use super::confine::Now;
use super::journal::Journal;
use super::plan::{self, Roots, Step, Undo, Verdict};
use crate::store::blobs::BlobStore;

/// What to do with a path changed since the receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflicts {
    /// Stop the whole apply before touching anything.
    Stop,
    /// Leave such paths (and those that cannot be reverted) as they are.
    Skip,
    /// Overwrite them.
    Force,
}

/// What happened to one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Reverted,
    AlreadyReverted,
    /// Left as it is, and why.
    Skipped(String),
    /// A directory the command created still holds something: left in place.
    KeptNotEmpty,
}

#[derive(Debug)]
pub struct Applied {
    pub path: ByteString,
    pub undo: Undo,
    pub outcome: Outcome,
}

/// Why an apply stopped.
#[derive(Debug)]
pub enum Stopped {
    /// Before touching anything: these steps cannot be taken as asked.
    Blocked(Vec<Step>),
    /// In the middle: what was done, the step that failed and why. Running the same
    /// apply again finishes it.
    Failed { done: Vec<Applied>, path: ByteString, error: anyhow::Error },
}

pub struct Apply<'a> {
    pub roots: &'a Roots,
    pub blobs: &'a BlobStore,
    pub conflicts: Conflicts,
    /// Temporary names start with this ([`atomic::temp_prefix`]).
    pub temp_prefix: Vec<u8>,
}

impl Apply<'_> {
    /// Takes `steps` (a plan made with the journal's unfinished steps), or none of them
    /// when the gate stops it.
    pub fn run(&self, steps: Vec<Step>, journal: &mut Journal) -> Result<Vec<Applied>, Stopped> {
        let blocked: Vec<Step> = steps.iter().filter(|s| self.blocks(&s.verdict)).cloned().collect();
        if !blocked.is_empty() {
            return Err(Stopped::Blocked(blocked));
        }
        let mut done: Vec<Applied> = Vec::new();
        let mut left = std::collections::HashSet::new();
        for (phase, step) in ordered(&steps) {
            let result = match phase {
                Phase::DirModes if left.contains(&step.key()) => continue,
                Phase::DirModes => self.dir_mode(step, journal).map(|()| None),
                _ => {
                    let resumed = journal.unfinished().contains(&step.key());
                    self.take(phase, step, resumed, journal).map(Some)
                }
            };
            match result {
                Ok(Some(outcome)) => {
                    if matches!(outcome, Outcome::Skipped(_)) {
                        left.insert(step.key());
                    }
                    done.push(Applied { path: step.path.clone(), undo: step.undo, outcome });
                }
                Ok(None) => {}
                Err(error) => return Err(Stopped::Failed { done, path: step.path.clone(), error }),
            }
        }
        Ok(done)
    }

    fn blocks(&self, v: &Verdict) -> bool {
        match v {
            Verdict::Safe | Verdict::AlreadyReverted => false,
            Verdict::ChangedSince(_) => self.conflicts == Conflicts::Stop,
            Verdict::NotStored(_) | Verdict::Refused(_) => self.conflicts != Conflicts::Skip,
        }
    }

    /// Removes what a killed apply left under temporary names beside the paths it had
    /// to change. Returns how many.
    pub fn sweep(&self, steps: &[Step]) -> anyhow::Result<usize> {
        let mut seen = std::collections::HashSet::new();
        let mut swept = 0;
        for s in steps {
            let Some(root) = self.roots.root(s.outside) else { continue };
            let Ok(Some(spot)) = root.spot(s.rel()) else { continue };
            let parent = s.rel().iter().rposition(|&b| b == b'/').map(|i| s.rel()[..i].to_vec()).unwrap_or_default();
            if seen.insert((s.outside, parent)) {
                swept += atomic::sweep(std::os::fd::AsFd::as_fd(&spot.dir), &self.temp_prefix)?;
            }
        }
        Ok(swept)
    }

    /// Checks the step against the tree once more and takes it. A directory's step is
    /// finished in the journal only once its mode is set ([`Apply::dir_mode`]).
    fn take(&self, phase: Phase, step: &Step, resumed: bool, journal: &mut Journal) -> anyhow::Result<Outcome> {
        let verdict = plan::recheck(step, self.roots, self.blobs, resumed);
        match verdict {
            Verdict::AlreadyReverted => return Ok(Outcome::AlreadyReverted),
            Verdict::Safe => {}
            Verdict::ChangedSince(_) if self.conflicts == Conflicts::Force => {}
            Verdict::ChangedSince(_) if self.conflicts == Conflicts::Stop => {
                bail!("it was changed while revert ran ({}); nothing more was done", verdict.text())
            }
            other => return Ok(Outcome::Skipped(other.text())),
        }
        let root = self.roots.root(step.outside).context("no root for this path")?;
        let Some(spot) = root.spot(step.rel())? else {
            bail!("its directory is gone");
        };
        journal.start(step)?;
        let now = root.now(step.rel())?;
        let outcome = match &step.before {
            None => remove(&spot, now)?,
            Some(before) => {
                self.make(&spot, before, now, step)?;
                Outcome::Reverted
            }
        };
        if phase != Phase::Dirs {
            journal.done(step)?;
        }
        Ok(outcome)
    }
    /// Puts `before` back at `spot`, replacing what is there (`now`).
    fn make(&self, spot: &Spot, before: &FileState, now: Option<Now>, step: &Step) -> anyhow::Result<()> {
        let now_kind = now.map(|n| n.kind);
        let owner = owner(spot, now)?;
        if now_kind == Some(FileType::Directory)
            && before.kind != FileKind::Dir
            && atomic::remove(spot, true)? == Removed::NotEmpty
        {
            bail!("the directory in its place still holds files the receipt did not record");
        }
        match before.kind {
            FileKind::File => {
                let same_content = step.after.as_ref().is_some_and(|a| a.blake3.is_some() && a.blake3 == before.blake3);
                let hash = before.blake3.as_deref().and_then(|h| blake3::Hash::from_hex(h).ok());
                match hash.filter(|h| before.stored && self.blobs.contains(h)) {
                    Some(hash) => {
                        let mut content = self.blobs.open_blob(&hash)?;
                        atomic::put_file(
                            spot,
                            &mut content,
                            &hash,
                            before.mode,
                            before.mtime_ns,
                            owner,
                            &self.temp_prefix,
                        )
                    }
                    None if same_content && now_kind == Some(FileType::RegularFile) => {
                        atomic::set_file_mode(spot, before.mode)
                    }
                    None => bail!("its content before the command is not stored"),
                }
            }
            FileKind::Symlink => {
                let target = before.target.as_ref().context("the receipt does not record the symlink's target")?;
                atomic::put_symlink(spot, target.as_bytes(), before.mtime_ns, owner, &self.temp_prefix)
            }
            FileKind::Dir => match now_kind {
                Some(FileType::Directory) => Ok(()),
                Some(_) => {
                    atomic::remove(spot, false)?;
                    atomic::put_dir(spot, before.mode, owner, &self.temp_prefix)
                }
                None => atomic::put_dir(spot, before.mode, owner, &self.temp_prefix),
            },
            FileKind::Other => bail!("revert makes only files, directories and symlinks"),
        }
    }

    /// Gives a directory brought back or kept in the first phase its exact mode.
    fn dir_mode(&self, step: &Step, journal: &mut Journal) -> anyhow::Result<()> {
        let Some(before) = step.before.as_ref() else { return Ok(()) };
        let root = self.roots.root(step.outside).context("no root for this path")?;
        let rel = step.rel();
        match root.now(rel)? {
            Some(now) if now.kind == FileType::Directory => {}
            _ => bail!("the directory revert made is gone"),
        }
        let spot = root.spot(rel)?.context("its directory is gone")?;
        atomic::set_dir_mode(&spot, before.mode)?;
        journal.done(step)
    }
}

/// Undoes a creation: the file or symlink goes, a directory only once empty.
fn remove(spot: &Spot, now: Option<Now>) -> anyhow::Result<Outcome> {
    let dir = now.is_some_and(|n| n.kind == FileType::Directory);
    Ok(match atomic::remove(spot, dir)? {
        Removed::Yes | Removed::Gone => Outcome::Reverted,
        Removed::NotEmpty => Outcome::KeptNotEmpty,
    })
}

/// Who should own what revert makes: what it replaces keeps its owner, and a path made
/// anew gets its directory's. Only root can give files away; anyone else makes their own.
fn owner(spot: &Spot, now: Option<Now>) -> anyhow::Result<Option<Owner>> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    Ok(Some(match now {
        Some(now) => Owner { uid: now.uid, gid: now.gid },
        None => {
            let st = rustix::fs::fstat(&spot.dir).context("reading its directory's owner")?;
            Owner { uid: st.st_uid, gid: st.st_gid }
        }
    }))
}

/// The order steps are taken in, so that nested trees work out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Directories to bring back, parents first.
    Dirs,
    /// Files and symlinks to put back.
    Files,
    /// Files and symlinks the command created.
    Deletes,
    /// Directories the command created (and directories in the way of a file to put
    /// back), children first.
    RemoveDirs,
    /// Directories' exact modes, children first (a read-only parent would stop the rest).
    DirModes,
}

fn ordered(steps: &[Step]) -> Vec<(Phase, &Step)> {
    let depth = |s: &Step| s.rel().iter().filter(|&&b| b == b'/').count();
    let kind = |state: &Option<FileState>| state.as_ref().map(|s| s.kind);
    let mut out = Vec::new();
    for s in steps {
        let phase = match (kind(&s.before), kind(&s.after)) {
            (Some(FileKind::Dir), _) => Phase::Dirs,
            (None, Some(FileKind::Dir)) => Phase::RemoveDirs,
            (None, _) => Phase::Deletes,
            (Some(_), Some(FileKind::Dir)) => Phase::RemoveDirs,
            (Some(_), _) => Phase::Files,
        };
        out.push((phase, s));
        if phase == Phase::Dirs {
            out.push((Phase::DirModes, s));
        }
    }
    out.sort_by(|(pa, a), (pb, b)| {
        pa.cmp(pb).then_with(|| match pa {
            Phase::Dirs => depth(a).cmp(&depth(b)),
            Phase::RemoveDirs | Phase::DirModes => depth(b).cmp(&depth(a)),
            _ => std::cmp::Ordering::Equal,
        })
    });
    out
}
