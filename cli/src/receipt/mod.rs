//! Making a receipt: folding the event log into processes, network and file actions,
//! joining them with the snapshot changes, the output and the outcome, then the risk
//! notes over the whole.
//!
//! The same builder serves a finished run, and a run recovered from its event log after
//! runglass was killed; both modes produce the same events (the engine's, or polling's).

pub mod captured;
pub mod coverage;
pub mod file_actions;
pub mod network;
pub mod processes;
pub mod real_path;
pub mod risk;
pub mod timeline;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use runglass_model::log::LogHeader;
use runglass_model::receipt::{
    Action, Actor, Artifacts, CiBuild, CommandInfo, Docker, FileChange, FileRead, Files, GitInfo, Mode, OutsideChange, Outcome, Output, Receipt,
    RECEIPT_FORMAT_VERSION, SnapshotSummary, Source, Timing,
};
use runglass_model::{ByteString, Event, command_line};

use crate::snapshot::hash_capped;
use crate::time;
use captured::Captured;
use file_actions::FileActions;
use network::NetworkTable;
use processes::ProcessTable;
use timeline::TimelineBuilder;

/// Milliseconds from an event's nanoseconds.
pub fn ms(ns: u64) -> u64 {
    ns / 1_000_000
}

/// Everything about a run except its events.
pub struct RunFacts {
    pub id: String,
    pub header: LogHeader,
    pub mode: Mode,
    pub ended_unix_ns: u64,
    pub outcome: Outcome,
    pub output: Output,
    /// Changes inside the cwd from the snapshots (None: no after-snapshot was taken).
    pub changes: Option<Vec<FileChange>>,
    pub snapshot: SnapshotSummary,
    /// The canonical directory that was snapshotted.
    pub root: PathBuf,
    pub git: Option<GitInfo>,
    /// The CI build (`runglass ci`).
    pub ci: Option<CiBuild>,
    /// The Docker engine's changes (None: not looked at, as in a recovered run).
    pub docker: Option<Docker>,
    /// runglass's own steps, at milliseconds from the command's start.
    pub phases: Vec<(i64, String)>,
    /// How polling went, for the coverage notes (normal mode).
    pub polling: Option<String>,
    /// What the observer could not see, beyond what the mode implies.
    pub limits: Vec<String>,
    pub output_cut_short: bool,
    pub recovered: bool,
    pub artifacts: Artifacts,
    pub home: Option<PathBuf>,
    /// Files read are hashed up to this size.
    pub cap_bytes: u64,
}

/// Folds events into the parts of a receipt, one event at a time.
pub struct Folder {
    processes: ProcessTable,
    network: NetworkTable,
    files: FileActions,
    captured: Captured,
    timeline: TimelineBuilder,
}

impl Folder {
    pub fn new(mode: Mode, root: &Path, data_dir: &Path) -> Self {
        let source = if mode == Mode::Deep { Source::Trace } else { Source::Polling };
        Folder {
            processes: ProcessTable::new(source),
            network: NetworkTable::new(source),
            files: FileActions::new(root, data_dir),
            captured: Captured::new(&data_dir.join("blobs")),
            timeline: TimelineBuilder::default(),
        }
    }

    pub fn observe(&mut self, event: &Event) {
        // The acting process's argv before this event changes it (an exec's own line
        // shows the new argv itself).
        let argv = || self.processes.argv_of(event.pid);
        self.network.observe(event, argv);
        self.files.observe(event, argv);
        self.captured.observe(event);
        self.timeline.observe(event, argv);
        self.processes.observe(event);
    }

    /// The BLAKE3 of every before-content the trace's captures kept in the blob store.
    pub fn captured_contents(&self) -> std::collections::HashSet<[u8; 32]> {
        self.captured.stored_hashes()
    }
}

pub fn build(facts: RunFacts, folder: Folder) -> Receipt {
    let Folder { processes, network, files: actions, captured, mut timeline } = folder;
    let started_unix_ms = facts.header.started_unix_ns / 1_000_000;
    let ended_unix_ms = (facts.ended_unix_ns / 1_000_000).max(started_unix_ms);
    for (at, text) in &facts.phases {
        timeline.phase(*at, text.clone());
    }
    let processes = processes.finish();
    let survivors = processes.iter().filter(|p| p.outlived_command).count();
    let timeline = timeline.finish();

    let changes = facts.changes.as_ref().map(|changes| attribute(changes.clone(), &actions));
    let files = Files {
        root: ByteString(facts.root.as_os_str().as_bytes().to_vec()),
        changes: changes.unwrap_or_else(|| changes_from_trace(&actions)),
        outside: outside_changes(&actions, &captured, facts.cap_bytes),
        reads: reads(&actions, facts.cap_bytes),
        snapshot: facts.snapshot.clone(),
    };
    let mut observation = coverage::observation(&coverage::Seen {
        mode: facts.mode,
        reads: facts.header.reads,
        polling: facts.polling.as_deref(),
        snapshot: facts.changes.is_some().then_some(&facts.snapshot),
        output_cut_short: facts.output_cut_short,
        recovered: facts.recovered,
        survivors,
        timeline_omitted: timeline.omitted,
        docker: facts.docker.as_ref(),
    });
    observation.limits.extend(facts.limits.iter().cloned());
    let mut receipt = Receipt {
        format_version: RECEIPT_FORMAT_VERSION,
        id: facts.id,
        runglass_version: facts.header.runglass_version.clone(),
        command: CommandInfo {
            display: command_line(&facts.header.argv),
            argv: facts.header.argv.clone(),
            cwd: facts.header.cwd.clone(),
        },
        mode: facts.mode,
        timing: Timing {
            started_at: time::rfc3339_ms(started_unix_ms),
            ended_at: time::rfc3339_ms(ended_unix_ms),
            started_unix_ms,
            ended_unix_ms,
            duration_ms: ended_unix_ms - started_unix_ms,
        },
        outcome: facts.outcome,
        output: facts.output,
        processes,
        files,
        network: network.finish(),
        docker: facts.docker,
        risk: Default::default(),
        timeline,
        git: facts.git,
        ci: facts.ci,
        observation,
        artifacts: facts.artifacts,
    };
    let home = facts.home.as_deref();
    receipt.risk = risk::assess(&receipt, &risk::RiskContext { home });
    receipt
}

/// Adds to each snapshot change the processes that acted on its path (deep mode).
fn attribute(mut changes: Vec<FileChange>, actions: &FileActions) -> Vec<FileChange> {
    for c in &mut changes {
        if let Some(by) = actions.inside.get(c.path.as_bytes()) {
            c.by = by.clone();
            settle_creates(&mut c.by, c.before.is_some());
        }
    }
    changes
}

/// An open with O_CREAT (a shell's `>>`) creates the file only when it is not there. The
/// trace cannot tell, but the before-snapshot can: until something removes or replaces
/// a path that existed before, such opens only wrote to it.
fn settle_creates(by: &mut [Actor], existed_before: bool) {
    let mut exists = existed_before;
    for actor in by {
        match actor.action {
            Action::Created if exists => actor.action = Action::Wrote,
            Action::Removed | Action::RenamedFrom => exists = false,
            _ => exists = true,
        }
    }
}

/// Without an after-snapshot (a recovered run), the trace's own record of changes
/// inside the cwd is all there is: paths and actors, no states or diffs.
fn changes_from_trace(actions: &FileActions) -> Vec<FileChange> {
    use runglass_model::receipt::{Action, ChangeKind, Diff};
    actions
        .inside
        .iter()
        .map(|(path, by)| {
            let created = by.iter().any(|a| matches!(a.action, Action::Created | Action::Mkdir | Action::Symlinked | Action::RenamedTo | Action::Linked));
            let removed = by.last().is_some_and(|a| matches!(a.action, Action::Removed | Action::RenamedFrom));
            FileChange {
                path: ByteString(path.clone()),
                change: if removed { ChangeKind::Deleted } else if created { ChangeKind::Created } else { ChangeKind::Modified },
                before: None,
                after: None,
                content_changed: true,
                mode_changed: by.iter().any(|a| a.action == Action::Chmod),
                diff: Diff::Unavailable { reason: "no after-snapshot was taken".into() },
                by: by.clone(),
            }
        })
        .collect()
}

/// Changes outside the root, each with its captured before-state (when the trace took
/// one) and its state now, looked at the way the capture looked (through the symlink it
/// followed, if it did), so that the two compare.
fn outside_changes(actions: &FileActions, captured: &Captured, cap: u64) -> Vec<OutsideChange> {
    actions
        .outside
        .iter()
        .map(|(path, by)| {
            let before = captured.get(path);
            let followed = before.as_ref().is_some_and(|b| b.followed);
            let mut by = by.clone();
            if let Some(b) = &before {
                settle_creates(&mut by, b.state.is_some());
            }
            let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
            let after = crate::capture::observe(path, followed, cap, None).ok().flatten().map(|o| o.state.into());
            OutsideChange {
                path: ByteString(path.as_os_str().as_bytes().to_vec()),
                by,
                exists_after: std::fs::symlink_metadata(path).is_ok(),
                captured: before.is_some(),
                before: before.and_then(|b| b.state).map(Into::into),
                after,
                followed,
            }
        })
        .collect()
}

/// Files read, with the hash of their content now (regular files up to the cap).
fn reads(actions: &FileActions, cap: u64) -> Vec<FileRead> {
    actions
        .reads
        .iter()
        .map(|(path, by)| {
            let (blake3, size) = hash_regular(Path::new(std::ffi::OsStr::from_bytes(path)), cap);
            FileRead { path: ByteString(path.clone()), blake3, size, by: by.clone() }
        })
        .collect()
}

/// The hash (up to `cap` bytes) and size of the regular file at `path` now. The path was
/// read by the command, which may since have swapped it for a fifo or a device: it is
/// opened without blocking or taking a terminal, and only a regular file (by fstat) is
/// read, never past the cap even if it grows.
fn hash_regular(path: &Path, cap: u64) -> (Option<String>, Option<u64>) {
    let opened = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path);
    let Ok(mut file) = opened else { return (None, None) };
    let Some(meta) = file.metadata().ok().filter(|m| m.is_file()) else { return (None, None) };
    let hash = (meta.len() <= cap).then(|| hash_capped(&mut file, cap)).flatten();
    (hash.map(|(h, _)| h.to_hex().to_string()), Some(meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actors(actions: &[Action]) -> Vec<Actor> {
        actions.iter().map(|&action| Actor { pid: 7, argv: Vec::new(), action, at_ms: 0 }).collect()
    }

    #[test]
    fn an_append_to_a_file_that_existed_is_a_write_and_a_create_after_removal_stays_one() {
        let mut by = actors(&[Action::Created]);
        settle_creates(&mut by, true);
        assert_eq!(by[0].action, Action::Wrote, "`>>` on an existing file");
        let mut by = actors(&[Action::Created]);
        settle_creates(&mut by, false);
        assert_eq!(by[0].action, Action::Created, "a new file");
        let mut by = actors(&[Action::Removed, Action::Created, Action::Created]);
        settle_creates(&mut by, true);
        let got: Vec<Action> = by.iter().map(|a| a.action).collect();
        assert_eq!(got, [Action::Removed, Action::Created, Action::Wrote]);
    }
}
