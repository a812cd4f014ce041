//! A receipt opened for revert: its recorded changes, the roots they may touch, the blob
//! store holding before-contents, and the journal in its directory. The command line and
//! the local server both preview and apply through this, so they follow the same rules.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use runglass_model::receipt::Receipt;

use super::apply::{Applied, Apply, Conflicts, Stopped};
use super::atomic;
use super::confine::Root;
use super::error::RevertError;
use super::journal::{self, Journal};
use super::plan::{self, Change, Roots, Step};
use crate::store::blobs::BlobStore;

pub struct Target {
    pub receipt: Receipt,
    /// The receipt's directory in the store, where the journal lives.
    dir: PathBuf,
    blobs: BlobStore,
    roots: Roots,
}

/// What a preview found.
pub struct Preview {
    pub steps: Vec<Step>,
    /// An earlier apply was interrupted: applying again finishes it.
    pub interrupted: bool,
}

/// What an apply did.
pub struct Done {
    pub applied: Vec<Applied>,
    /// It finished an interrupted apply.
    pub resumed: bool,
    /// Temporary files the interrupted apply left, removed.
    pub swept: usize,
}

impl Target {
    /// Opens the receipt `receipt` (loaded from `dir` in the store `data`) for revert.
    /// With `include_outside`, changes outside the working directory may be reverted too.
    pub fn open(data: &Path, dir: &Path, receipt: Receipt, include_outside: bool) -> Result<Target, RevertError> {
        let blobs = BlobStore::open(&data.join("blobs"))?;
        let inside = Root::open(receipt.files.root.as_path(), receipt.files.root_id)?;
        let outside = if include_outside { Some(Root::open(Path::new("/"), None)?) } else { None };
        Ok(Target { receipt, dir: dir.to_path_buf(), blobs, roots: Roots { inside, outside } })
    }

    /// The recorded changes `chosen` accepts: inside the root, and outside it (those whose
    /// before-state was captured) when the target was opened with `include_outside`.
    pub fn changes<'r>(&'r self, chosen: &'r dyn Fn(&Change) -> bool) -> impl Iterator<Item = Change<'r>> + 'r {
        let outside = self.roots.outside.is_some().then(|| plan::outside(&self.receipt));
        plan::inside(&self.receipt).chain(outside.into_iter().flatten()).filter(move |c| chosen(c))
    }

    /// What undoing the chosen changes would do, path by path. Touches nothing.
    pub fn preview(&self, chosen: &dyn Fn(&Change) -> bool) -> Result<Preview, RevertError> {
        let unfinished = journal::unfinished(&self.dir)?;
        let steps =
            plan::plan(self.changes(chosen), &self.roots, &self.blobs, unfinished.as_ref().unwrap_or(&HashSet::new()));
        Ok(Preview { steps, interrupted: unfinished.is_some() })
    }

    /// Undoes the chosen changes, or none of them when the gate stops it (see
    /// [`Apply::run`]). Holds the receipt's journal for as long as it runs.
    pub fn apply(
        &self,
        chosen: &dyn Fn(&Change) -> bool,
        conflicts: Conflicts,
    ) -> Result<Result<Done, Stopped>, RevertError> {
        if crate::store::lock::in_progress(&self.dir) {
            return Err(RevertError::StillRunning(self.receipt.id.clone()));
        }
        let mut journal = Journal::open(&self.dir)?;
        let steps = plan::plan(self.changes(chosen), &self.roots, &self.blobs, journal.unfinished());
        let apply = Apply {
            roots: &self.roots,
            blobs: &self.blobs,
            conflicts,
            temp_prefix: atomic::temp_prefix(&self.receipt.id),
        };
        let resumed = journal.interrupted();
        let swept = if resumed { apply.sweep(&steps)? } else { 0 };
        Ok(match apply.run(steps, &mut journal) {
            Ok(applied) => {
                journal.finish()?;
                Ok(Done { applied, resumed, swept })
            }
            Err(Stopped::Blocked(blocked)) => {
                // Nothing was done: an apply that had not begun before leaves no journal.
                if !resumed {
                    journal.finish()?;
                }
                Err(Stopped::Blocked(blocked))
            }
            Err(failed) => Err(failed),
        })
    }
}
