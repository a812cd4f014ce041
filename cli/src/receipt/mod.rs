//! Making a receipt: folding the event log into processes, network and file actions,
//! joining them with the snapshot changes, the output and the outcome, then the risk
//! notes over the whole.
//!
//! The same builder serves a finished run, and a run recovered from its event log after
//! runglass was killed; both modes produce the same events (the engine's, or polling's).

pub mod captured;
pub mod coverage;
pub mod file_actions;
pub mod files;
mod git_risk;
pub mod network;
pub mod privileges;
pub mod processes;
pub mod real_path;
pub mod risk;
mod risk_note;
pub mod timeline;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use runglass_model::log::LogHeader;
use runglass_model::receipt::{
    Artifacts, CiBuild, CommandInfo, DirId, Docker, DroppedPrivileges, FileChange, Files, GitInfo, IoUringUse, Mode,
    Outcome, Output, Process, RECEIPT_FORMAT_VERSION, Receipt, SnapshotSummary, Source, Timing,
};
use runglass_model::{ByteString, Event, EventKind, SyscallResult, command_line};

use crate::collect::snapshot::{Manifest, Rules};
use crate::time;
use captured::Captured;
use crate::collect::after_run::DiskView;
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
    /// The snapshots themselves (None: not taken, or not readable), and the rules they
    /// skipped by.
    pub before: Option<Arc<Manifest>>,
    pub after: Option<Arc<Manifest>>,
    pub rules: Arc<Rules>,
    pub snapshot: SnapshotSummary,
    /// The canonical directory that was snapshotted.
    pub root: PathBuf,
    /// Which directory it was when the command started (None: not known, as in a recovered run).
    pub root_id: Option<DirId>,
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
    /// Rebuilt from the event log of a runglass that was killed: how far the log goes.
    pub recovered: Option<coverage::Recovery>,
    pub artifacts: Artifacts,
    pub home: Option<PathBuf>,
}

/// Folds events into the parts of a receipt, one event at a time.
pub struct Folder {
    processes: ProcessTable,
    network: NetworkTable,
    files: FileActions,
    captured: Captured,
    timeline: TimelineBuilder,
    /// Processes that set up an io_uring, whose work through it is unseen.
    io_uring: Vec<IoUringUse>,
    /// Programs that ran without their setuid, setgid or file-capability privileges.
    privileges_dropped: Vec<DroppedPrivileges>,
    /// Where the fold looks at the disk as the run left it (and nowhere else).
    disk: Box<dyn DiskView>,
}

impl Folder {
    pub fn new(mode: Mode, root: &Path, data_dir: &Path, disk: Box<dyn DiskView>) -> Self {
        let source = if mode == Mode::Deep { Source::Trace } else { Source::Polling };
        Folder {
            processes: ProcessTable::new(source),
            network: NetworkTable::new(source),
            files: FileActions::new(root, data_dir),
            captured: Captured::new(),
            timeline: TimelineBuilder::default(),
            io_uring: Vec::new(),
            privileges_dropped: Vec::new(),
            disk,
        }
    }

    pub fn observe(&mut self, event: &Event) {
        // The acting process as it was before this event changes it (an exec's own line
        // shows the new argv itself).
        let (pid, at) = (event.pid, ms(event.time_ns));
        let processes = &mut self.processes;
        self.network.observe(event, || processes.who(pid, at));
        self.files.observe(event, || processes.who(pid, at), &*self.disk);
        if let EventKind::IoUringSetup { result: SyscallResult::Ok(_) } = event.kind {
            let who = processes.who(pid, at);
            self.io_uring.push(IoUringUse { pid, process: who.process, exec: who.exec, at_ms: at });
        }
        if let EventKind::PrivilegesDropped { .. } = event.kind {
            // It follows the exec it is about, already folded: `who` names that exec.
            let who = processes.who(pid, at);
            self.privileges_dropped.extend(privileges::entry(event, who, at));
        }
        self.captured.observe(event, &*self.disk);
        self.timeline.observe(event, || self.processes.argv_of(pid));
        self.processes.observe(event);
    }

    /// The BLAKE3 of every before-content the trace's captures kept in the blob store.
    pub fn captured_contents(&self) -> std::collections::HashSet<[u8; 32]> {
        self.captured.stored_hashes(&*self.disk)
    }
}

pub fn build(facts: RunFacts, folder: Folder) -> Receipt {
    let Folder { processes, network, files: actions, captured, mut timeline, io_uring, privileges_dropped, disk } = folder;
    let started_unix_ms = facts.header.started_unix_ns / 1_000_000;
    let ended_unix_ms = (facts.ended_unix_ns / 1_000_000).max(started_unix_ms);
    for (at, text) in &facts.phases {
        timeline.phase(*at, text.clone());
    }
    let processes = processes.finish(facts.recovered.is_none());
    let survivors = processes.iter().filter(|p| p.outlived_command).count();
    let unseen_ends = processes.iter().filter(|p| p.ended_ms.is_none() && !p.outlived_command).count();
    let timeline = timeline.finish();

    let seen = files::Snapshots {
        root: &facts.root,
        changes: facts.changes.as_deref(),
        before: facts.before.as_deref(),
        after: facts.after.as_deref(),
        rules: &facts.rules,
    };
    let folded = files::fold(&actions, &captured, &seen, &*disk);
    let files = Files {
        root: ByteString(facts.root.as_os_str().as_bytes().to_vec()),
        root_id: facts.root_id,
        changes: folded.changes,
        outside: folded.outside,
        transient: folded.transient,
        reads: folded.reads,
        snapshot: facts.snapshot.clone(),
    };
    let mut observation = coverage::observation(&coverage::Seen {
        mode: facts.mode,
        reads: facts.header.reads,
        polling: facts.polling.as_deref(),
        snapshot: facts.changes.is_some().then_some(&facts.snapshot),
        output_cut_short: facts.output_cut_short,
        recovered: facts.recovered,
        unseen_ends,
        survivors,
        timeline_omitted: timeline.omitted,
        docker: facts.docker.as_ref(),
        io_uring: io_uring.len(),
    });
    observation.limits.extend(facts.limits.iter().cloned());
    observation.limits.extend(io_uring_limits(&io_uring, &processes));
    observation.io_uring = io_uring;
    observation.limits.extend(privileges::limits(&privileges_dropped, &processes));
    observation.privileges_dropped = privileges_dropped;
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

/// At most this many io_uring users are named one by one in the limits.
const MAX_IO_URING_LIMITS: usize = 5;

/// One sentence per process that set up an io_uring, naming it and when.
fn io_uring_limits(uses: &[IoUringUse], processes: &[Process]) -> Vec<String> {
    let mut limits: Vec<String> = uses
        .iter()
        .take(MAX_IO_URING_LIMITS)
        .map(|u| {
            let argv = processes.get(u.process as usize).map(|p| command_line(&p.argv)).unwrap_or_default();
            format!(
                "pid {} ({argv}) set up an io_uring at {} ms: what it did through the ring (opens, writes, connects) \
                 passes neither seccomp nor ptrace and is not in this receipt.",
                u.pid, u.at_ms
            )
        })
        .collect();
    if uses.len() > MAX_IO_URING_LIMITS {
        limits.push(format!(
            "{} more io_uring setups are listed in observation.io_uring.",
            uses.len() - MAX_IO_URING_LIMITS
        ));
    }
    limits
}
