//! The receipt: what one command did, as `receipt.json` stores it.
//!
//! This is runglass's public contract. Every field is documented in docs/receipt.md and
//! described by the JSON Schema in docs/receipt.schema.json, generated from these types
//! ([`schema`]). A change that breaks readers bumps [`RECEIPT_FORMAT_VERSION`].
//!
//! Times inside a run (`*_ms` fields without `unix`) are milliseconds since the command
//! started. Anything that came from the command (paths, argv, output) is a [`ByteString`]:
//! untrusted bytes that renderers must escape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{ByteString, ExitStatus, PathState, Pid};

/// The receipt format this version of runglass writes. Readers accept this version and
/// older ones they know; a newer one is refused with a message to upgrade.
/// 2: file changes, peers, listeners, unix sockets and lookups refer to their process in
/// `processes` instead of copying its argv; trace-seen changes in skipped directories,
/// transient paths, owners and extended attributes, connect results and address probes.
pub const RECEIPT_FORMAT_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Receipt {
    /// [`RECEIPT_FORMAT_VERSION`] of the runglass that wrote it.
    pub format_version: u32,
    /// The receipt's id: its directory name in the store (UTC time, then a slug).
    pub id: String,
    pub runglass_version: String,
    pub command: CommandInfo,
    /// How the command was observed.
    pub mode: Mode,
    pub timing: Timing,
    pub outcome: Outcome,
    pub output: Output,
    /// Every process of the command's tree that was seen, in order of appearance.
    pub processes: Vec<Process>,
    pub files: Files,
    pub network: Network,
    /// What the command changed in the Docker engine. Null in receipts that did not look
    /// (recovered runs, older runglass).
    #[serde(default)]
    pub docker: Option<Docker>,
    pub risk: Risk,
    pub timeline: Timeline,
    /// The git repository the command ran in; null when the cwd is not in one, when git
    /// is not installed, and in recovered receipts.
    #[serde(default)]
    pub git: Option<GitInfo>,
    /// The CI build the command ran in, as `runglass ci` found it; null for receipts made
    /// by `run` (and for recovered ones).
    #[serde(default)]
    pub ci: Option<CiBuild>,
    /// What was seen by which means, and what could not be seen.
    pub observation: Observation,
    /// Files of the receipt directory that hold more than the receipt itself.
    pub artifacts: Artifacts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommandInfo {
    /// The command exactly as given, argv[0] first.
    pub argv: Vec<ByteString>,
    /// The command as one shell-quoted line, for people (not for running).
    pub display: String,
    /// The working directory it ran in (absolute).
    pub cwd: ByteString,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Without ptrace: the process tree and sockets by polling /proc, files by snapshots.
    Normal,
    /// The ptrace engine followed every process; files by snapshots and by the trace.
    Deep,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Deep => "deep",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timing {
    /// RFC 3339, UTC, milliseconds (`2026-11-21T03:11:22.123Z`).
    pub started_at: String,
    pub ended_at: String,
    pub started_unix_ms: u64,
    pub ended_unix_ms: u64,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    pub status: RunStatus,
    /// How the command ended, when it ran and its end was seen.
    #[serde(default)]
    pub exit: Option<ExitStatus>,
    /// The command's status as a shell reports it: the code, or 128+N for signal N
    /// (runglass exits with it). Null when the command did not run (runglass then exits
    /// 127 when it was not found, 126 when it could not be executed, 1 otherwise).
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// The `--timeout` in force, if any.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Why the command failed to start, timed out or was interrupted, in one line.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Exited with status 0.
    Completed,
    /// Exited non-zero, or was killed by a signal nobody asked for.
    Failed,
    /// Ended by SIGINT, SIGTERM, SIGHUP or SIGQUIT, or runglass received one of them
    /// while it ran, or runglass itself was killed (the receipt was recovered).
    Interrupted,
    /// Ended by `--timeout`.
    TimedOut,
    /// Never ran: not found, not executable, or the tracer could not start it.
    FailedToStart,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::TimedOut => "timed out",
            RunStatus::FailedToStart => "failed to start",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    pub capture: CaptureMode,
    /// With pipes: the command's stdout.
    #[serde(default)]
    pub stdout: Option<Stream>,
    /// With pipes: the command's stderr.
    #[serde(default)]
    pub stderr: Option<Stream>,
    /// With a pseudo-terminal: everything the command wrote to it, stdout and stderr
    /// interleaved as the terminal showed them.
    #[serde(default)]
    pub transcript: Option<Stream>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// stdout and stderr were separate pipes.
    Pipes,
    /// The command had a pseudo-terminal of its own.
    Pty,
    /// Nothing was captured (a recovered run that left no output files).
    None,
}

/// One captured output stream: the whole of it in a file of the receipt directory, and
/// a bounded excerpt inline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stream {
    /// File name inside the receipt directory.
    pub file: String,
    /// Total bytes the command wrote.
    pub bytes: u64,
    /// The start of the stream (all of it when `truncated` is false).
    pub head: ByteString,
    /// The end of the stream when it was too long to keep inline; empty otherwise.
    pub tail: ByteString,
    /// True when bytes between `head` and `tail` are left out.
    pub truncated: bool,
    /// How many bytes of the stream `file` holds, when fewer than `bytes`: the file could
    /// not be written in full (the data home was full), and holds the stream's first
    /// `stored_bytes` only. Null when the file holds the whole stream.
    #[serde(default)]
    pub stored_bytes: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Process {
    pub pid: Pid,
    /// The parent process, when it is part of the tree too (absent for the root).
    #[serde(default)]
    pub parent: Option<Pid>,
    /// The parent's entry, as its index in `processes`.
    #[serde(default)]
    pub parent_process: Option<u32>,
    /// Which of the parent's `execs` was running when it made this process (null: the
    /// parent had not exec'd either); this process ran that program until its own first exec.
    #[serde(default)]
    pub parent_exec: Option<u32>,
    /// The argv of the program it ran last (its parent's, when it never exec'd).
    pub argv: Vec<ByteString>,
    /// Path of the program it ran last.
    #[serde(default)]
    pub exe: Option<ByteString>,
    #[serde(default)]
    pub cwd: Option<ByteString>,
    /// Every program it exec'd, in order (successful execs only).
    #[serde(default)]
    pub execs: Vec<ExecRecord>,
    /// When it was first seen.
    #[serde(default)]
    pub started_ms: Option<u64>,
    /// When its end was seen.
    #[serde(default)]
    pub ended_ms: Option<u64>,
    /// How it ended, where that is known (polling sees only the root's status).
    #[serde(default)]
    pub exit: Option<ExitStatus>,
    /// Still running when the command ended (a daemon or a left-behind child).
    #[serde(default)]
    pub outlived_command: bool,
    pub seen_by: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExecRecord {
    pub path: ByteString,
    pub argv: Vec<ByteString>,
    pub at_ms: u64,
}

/// Which means of observation saw a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The ptrace engine (deep mode): every occurrence, exactly.
    Trace,
    /// Polling /proc (normal mode): what was there when a poll looked.
    Polling,
    /// Comparing snapshots taken before and after the command.
    Snapshot,
    /// Capturing the command's output.
    Capture,
}

/// A directory's identity on this machine: its device and inode numbers (`st_dev`,
/// `st_ino`), as stat(2) gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DirId {
    pub dev: u64,
    pub ino: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Files {
    /// The directory that was snapshotted (the command's cwd).
    pub root: ByteString,
    /// Which directory `root` was when the command started (device and inode): revert
    /// refuses a root that is another directory now (docs/revert.md). Absent in receipts of
    /// older runglass versions and in receipts recovered after runglass was killed.
    #[serde(default)]
    pub root_id: Option<DirId>,
    /// Changes inside `root`, by path.
    pub changes: Vec<FileChange>,
    /// Changes outside `root`, from the trace (deep mode only), by path.
    #[serde(default)]
    pub outside: Vec<OutsideChange>,
    /// Paths the command made and removed again (or renamed away) during the run, inside
    /// `root` and outside it (deep mode): not changes, and not counted as such.
    #[serde(default)]
    pub transient: Vec<TransientPath>,
    /// Files the command read (deep mode with --reads only), by path.
    #[serde(default)]
    pub reads: Vec<FileRead>,
    pub snapshot: SnapshotSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FileChange {
    /// Relative to `files.root`.
    pub path: ByteString,
    pub change: ChangeKind,
    #[serde(default)]
    pub before: Option<FileState>,
    #[serde(default)]
    pub after: Option<FileState>,
    pub content_changed: bool,
    pub mode_changed: bool,
    pub diff: Diff,
    /// The processes that changed it (deep mode), in the order they acted.
    #[serde(default)]
    pub by: Vec<Actor>,
    /// The owner or group differs.
    #[serde(default)]
    pub owner_changed: bool,
    /// The extended attributes differ (set, changed or removed; deep mode).
    #[serde(default)]
    pub xattrs_changed: bool,
    /// `snapshot`: found by comparing the snapshots. `trace`: found by the trace (deep mode)
    /// where the snapshots could not tell: in a directory they skip (`skipped_dir`), or an
    /// extended attribute, which they do not read; `before` is then as captured at the first
    /// call that changed it.
    #[serde(default = "Source::snapshot")]
    pub seen_by: Source,
    /// With `seen_by: trace`: the before-state was captured at the call, so `before` is
    /// exact (null: nothing was there). Without it, `before` is not known.
    #[serde(default)]
    pub captured: bool,
    /// The directory the snapshots skip that holds it (`node_modules`, `.git`), relative to
    /// the root; null for snapshot changes.
    #[serde(default)]
    pub skipped_dir: Option<ByteString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Modified,
    Deleted,
    /// The path became another kind of thing (a file became a directory or symlink...).
    TypeChanged,
    /// Acted on (opened for writing, chmod'ed to the mode it had...) but as it was before:
    /// only trace-seen entries, and not counted as a change.
    Unchanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
            ChangeKind::TypeChanged => "type changed",
            ChangeKind::Unchanged => "unchanged",
        }
    }
}

/// A path's state in one snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileState {
    pub kind: FileKind,
    pub size: u64,
    /// Permission bits and setuid/setgid/sticky (`st_mode & 0o7777`).
    pub mode: u32,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// BLAKE3 of the content, hex (regular files that were read).
    #[serde(default)]
    pub blake3: Option<String>,
    /// A symlink's target, exactly as stored (never followed).
    #[serde(default)]
    pub target: Option<ByteString>,
    /// Larger than the snapshot cap: not hashed, compared by size and times only.
    #[serde(default)]
    pub capped: bool,
    /// The content is in the blob store under `blake3`.
    #[serde(default)]
    pub stored: bool,
    /// The owner and group; null where they were not recorded.
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub gid: Option<u32>,
    /// The names of its extended attributes, sorted; null where they were not read
    /// (snapshots do not read them; captures and after-states of traced paths do).
    #[serde(default)]
    pub xattrs: Option<Vec<ByteString>>,
}

impl From<PathState> for FileState {
    fn from(s: PathState) -> Self {
        let PathState { kind, size, mode, mtime_ns, blake3, target, capped, stored, uid, gid, xattrs } = s;
        FileState { kind, size, mode, mtime_ns, blake3, target, capped, stored, uid, gid, xattrs }
    }
}

impl FileState {
    /// The owner or group differs, where both sides recorded them.
    pub fn owner_differs(&self, other: &FileState) -> bool {
        let differs = |a: Option<u32>, b: Option<u32>| a.zip(b).is_some_and(|(a, b)| a != b);
        differs(self.uid, other.uid) || differs(self.gid, other.gid)
    }

    /// The extended attributes' names differ, where both sides read them.
    pub fn xattrs_differ(&self, other: &FileState) -> bool {
        self.xattrs.as_ref().zip(other.xattrs.as_ref()).is_some_and(|(a, b)| a != b)
    }

    /// It has file capabilities (the `security.capability` attribute setcap writes).
    pub fn has_capabilities(&self) -> bool {
        self.xattrs.iter().flatten().any(|x| x.as_bytes() == b"security.capability")
    }
}

/// The kind of a path (as `lstat` tells it). Event-log frames use it too: new kinds go last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// A fifo, socket or device node.
    Other,
}

/// What a receipt can show of a change's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Diff {
    /// Nothing to show: a directory, a symlink, a change of type, an empty file, or only
    /// the mode changed.
    None,
    /// A unified diff (histogram algorithm, 3 lines of context) with `a/` and `b/` names.
    Text {
        unified: String,
        added: u64,
        removed: u64,
        /// The diff was cut to keep the receipt bounded (the blob store holds both
        /// sides where their states say `stored`).
        truncated: bool,
    },
    /// One side or both are not UTF-8 text, or hold a NUL byte.
    Binary,
    /// One side was over the snapshot cap, so its content was not kept.
    Capped,
    /// A side's content could not be read or was not kept.
    Unavailable { reason: String },
}

/// A process that acted on a file. Which program it was running is `exec` of its
/// entry in `processes` ([`Receipt::command_of`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Actor {
    pub pid: Pid,
    /// Its entry, as the index in `processes`.
    pub process: u32,
    /// Which of that entry's `execs` it was running (null: none yet, it was running what
    /// its parent ran: `parent_exec`).
    #[serde(default)]
    pub exec: Option<u32>,
    pub action: Action,
    pub at_ms: u64,
}

/// The process that left a path in the state it ended in: for a deletion the last to remove
/// it, for a content change the last to write it (not a later chmod), for a change of mode,
/// owner or attributes alone the last to make that change. `content` says whether the
/// content (or existence) changed. Falls back to the last actor.
pub fn ended_by(by: &[Actor], change: ChangeKind, content: bool) -> Option<&Actor> {
    let relevant = |a: &&Actor| match change {
        ChangeKind::Deleted => matches!(a.action, Action::Removed | Action::RenamedFrom),
        _ if content || change == ChangeKind::Created => a.action.makes_content(),
        _ => !a.action.makes_content() && a.action != Action::Read,
    };
    by.iter().rev().find(relevant).or(by.last())
}

impl FileChange {
    /// See [`ended_by`].
    pub fn ended_by(&self) -> Option<&Actor> {
        ended_by(&self.by, self.change, self.content_changed)
    }
}

impl OutsideChange {
    /// See [`ended_by`].
    pub fn ended_by(&self) -> Option<&Actor> {
        ended_by(&self.by, self.change, self.content_changed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Opened it with write access, without O_CREAT or O_TRUNC.
    Wrote,
    /// Opened it with O_CREAT and without O_TRUNC (it may have existed already).
    Created,
    /// Opened it with O_TRUNC (a shell's `>`, creat(2)), or truncate(2).
    Truncated,
    /// Renamed it away (it was the source of a rename).
    RenamedFrom,
    /// Renamed something over or onto it.
    RenamedTo,
    Removed,
    Chmod,
    Mkdir,
    Symlinked,
    Linked,
    Read,
    /// Its owner or group changed (chown and friends).
    Chown,
    /// An extended attribute was set (setcap writes `security.capability`).
    SetXattr,
    RemoveXattr,
    /// Made as a fifo, socket or device node.
    Mknod,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Wrote => "wrote",
            Action::Created => "created",
            Action::Truncated => "truncated",
            Action::RenamedFrom => "renamed away",
            Action::RenamedTo => "renamed onto",
            Action::Removed => "removed",
            Action::Chmod => "chmod",
            Action::Mkdir => "mkdir",
            Action::Symlinked => "symlinked",
            Action::Linked => "linked",
            Action::Read => "read",
            Action::Chown => "chown",
            Action::SetXattr => "set xattr",
            Action::RemoveXattr => "removed xattr",
            Action::Mknod => "mknod",
        }
    }

    /// Whether it makes what is at the path (content, or the thing itself), rather than
    /// changing its mode, owner or attributes.
    pub fn makes_content(self) -> bool {
        matches!(
            self,
            Action::Wrote
                | Action::Created
                | Action::Truncated
                | Action::RenamedTo
                | Action::Mkdir
                | Action::Symlinked
                | Action::Linked
                | Action::Mknod
        )
    }
}

/// A path outside the working directory that the traced tree changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutsideChange {
    /// Absolute path, as the process named it, resolved against its cwd.
    pub path: ByteString,
    /// What happened to it, in order.
    pub by: Vec<Actor>,
    /// Whether it exists now, after the command (false when removed or renamed away).
    pub exists_after: bool,
    /// Its state before the command was captured while the first process about to change
    /// it was stopped at that call: `before` is then exact.
    #[serde(default)]
    pub captured: bool,
    /// Its state before the command (with `captured`; null with `captured` true: nothing
    /// was there). A regular file's content is in the blob store where `stored` says so.
    #[serde(default)]
    pub before: Option<FileState>,
    /// Its state when the receipt was made (null: nothing is there), hashed up to the
    /// snapshot cap as snapshots do; its content is not kept (`stored` is false).
    #[serde(default)]
    pub after: Option<FileState>,
    /// The first call about to change it followed a symlink at `path`: `before` and
    /// `after` describe the file the symlink leads to, not the symlink.
    #[serde(default)]
    pub followed: bool,
    /// What `before` and `after` say happened: with `captured` false the before-state is
    /// not known, and this is read from the trace (what the first call did) and the state now.
    #[serde(default = "ChangeKind::modified")]
    pub change: ChangeKind,
    #[serde(default)]
    pub content_changed: bool,
    #[serde(default)]
    pub mode_changed: bool,
    #[serde(default)]
    pub owner_changed: bool,
    #[serde(default)]
    pub xattrs_changed: bool,
}

impl Files {
    /// The changes inside the root that count: all but those left as they were.
    pub fn counted_changes(&self) -> impl Iterator<Item = &FileChange> {
        self.changes.iter().filter(|c| c.change != ChangeKind::Unchanged)
    }

    /// The changes outside the root that count.
    pub fn counted_outside(&self) -> impl Iterator<Item = &OutsideChange> {
        self.outside.iter().filter(|c| c.change != ChangeKind::Unchanged)
    }

    /// How many paths changed, inside and outside the root: what "N file(s) changed" says.
    /// Transient paths and paths left as they were are not counted.
    pub fn changed_count(&self) -> usize {
        self.counted_changes().count() + self.counted_outside().count()
    }

    /// How many changes inside the root are of `kind`.
    pub fn count_of(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.change == kind).count()
    }

    /// The changes the trace saw in directories the snapshots skip, by that directory, in
    /// the order the directories first appear.
    pub fn skipped_groups(&self) -> Vec<(&ByteString, Vec<&FileChange>)> {
        let mut groups: Vec<(&ByteString, Vec<&FileChange>)> = Vec::new();
        for c in self.counted_changes() {
            let Some(dir) = &c.skipped_dir else { continue };
            match groups.iter_mut().find(|(d, _)| *d == dir) {
                Some((_, list)) => list.push(c),
                None => groups.push((dir, vec![c])),
            }
        }
        groups
    }
}

/// A path made and removed again (or renamed away) within the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TransientPath {
    /// Relative to `files.root` when `inside`, else absolute.
    pub path: ByteString,
    pub inside: bool,
    /// What the processes did to it, in order (the last took it away).
    pub by: Vec<Actor>,
}

/// A file the traced tree read (deep mode with --reads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FileRead {
    pub path: ByteString,
    /// BLAKE3 of its content when the receipt was made (absent for directories, files
    /// over the cap, or files that no longer exist).
    #[serde(default)]
    pub blake3: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    pub by: Vec<Actor>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotSummary {
    /// Entries (files, directories, links) in the before and after snapshots.
    pub entries_before: u64,
    pub entries_after: u64,
    /// Bytes read to hash content (files unchanged since the last run are not re-read).
    pub bytes_hashed: u64,
    pub before_ms: u64,
    pub after_ms: u64,
    /// The per-file cap in bytes (`RUNGLASS_MAX_SNAPSHOT_BYTES`).
    pub cap_bytes: u64,
    /// Files over the cap: compared by size and times only.
    #[serde(default)]
    pub capped: Vec<ByteString>,
    /// Paths that could not be read, with the reason.
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
    /// How many entries the ignore rules skipped (whole directories count once).
    pub ignored: u64,
    /// Where the ignore rules came from: the defaults and, if present, `.runglassignore`.
    #[serde(default)]
    pub ignore_sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Unreadable {
    pub path: ByteString,
    pub error: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Network {
    /// Peers the tree connected or sent to, by (protocol, host name, address, port, process).
    pub outbound: Vec<Peer>,
    pub listening: Vec<Listener>,
    /// Unix sockets the tree connected to or bound.
    pub unix: Vec<UnixSocket>,
    /// The names the tree looked up over DNS and what came back (deep mode), by (name,
    /// process).
    #[serde(default)]
    pub lookups: Vec<Lookup>,
    /// UDP sockets connected to an address with no datagram seen going there and no DNS
    /// answer from it (deep mode): how resolvers rank the addresses of a name (getaddrinfo).
    /// Listed apart from peers. A send(2), write(2) or sendto(2) without an address on such a
    /// socket is not seen, so a program that talks that way shows here too.
    #[serde(default)]
    pub probes: Vec<Probe>,
}

/// A UDP connect with no datagram seen: an address probe, by (address, port, process).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    pub address: String,
    pub port: u16,
    pub pid: Pid,
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    pub first_ms: u64,
    pub count: u64,
}

/// Where a peer's host name came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// A DNS answer the traced tree itself received for that name, the latest one that
    /// gave this address before the connect (deep mode).
    Dns,
    /// The hosts file the tree resolves with lists the address under this name; no DNS
    /// answer of the tree named it. The trace cannot see which name the program asked
    /// for: this is the file's first name for the address.
    Hosts,
}

/// One name looked up by one process, with every answer it got merged (the A and AAAA
/// queries of one getaddrinfo are two answers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lookup {
    /// In presentation form: printable ASCII, other bytes escaped as `\DDD`.
    pub name: String,
    /// IP addresses as text, in the order first given.
    pub addresses: Vec<String>,
    pub status: LookupStatus,
    /// The DNS server that answered (address:port).
    pub server: String,
    pub pid: Pid,
    /// The process, as its index in `processes`, and the program it ran (see [`Actor`]).
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    pub first_ms: u64,
    /// Answers received.
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookupStatus {
    /// At least one answer without error (perhaps with no address of a kind asked for).
    Answered,
    /// NXDOMAIN: the name does not exist.
    NoSuchName,
    /// Another error code (RFC 1035 RCODE: 2 server failure, 5 refused, ...).
    Failed { rcode: u8 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Tcp,
    Udp,
    /// An inet socket whose type could not be learnt (a kernel before 5.6, or a process
    /// killed during the call).
    Ip,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Ip => "ip",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Peer {
    pub protocol: Protocol,
    /// IP address, v4 or v6, as text.
    pub address: String,
    pub port: u16,
    /// The host name it was looked up by, when known; see `host_from`.
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub host_from: Option<NameSource>,
    pub pid: Pid,
    /// The process, as its index in `processes`, and the program it ran (see [`Actor`]).
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    /// The result of the latest connect (or `sent`).
    pub result: PeerResult,
    pub first_ms: u64,
    pub last_ms: u64,
    /// Connects or sends seen.
    pub count: u64,
    pub seen_by: Source,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeerResult {
    Connected,
    /// The peer refused (ECONNREFUSED).
    Refused,
    /// No answer in time (ETIMEDOUT).
    TimedOut,
    /// No route to the network or host (ENETUNREACH, EHOSTUNREACH), by name.
    Unreachable {
        error: String,
    },
    /// A non-blocking connect still pending when its process exited or tracing ended.
    Pending,
    /// A non-blocking connect (EINPROGRESS) whose result runglass did not learn (receipts
    /// before format 2).
    InProgress,
    /// Another error, by name.
    Failed {
        error: String,
    },
    /// A datagram was sent to it.
    Sent,
    /// Polling saw an open socket to it, or the trace saw a connect whose result it
    /// could not learn (the process died during the call).
    Open,
}

impl PeerResult {
    /// In words, for reports: `connected`, `refused`, `unreachable (EHOSTUNREACH)`...
    pub fn describe(&self) -> String {
        match self {
            PeerResult::Connected => "connected".into(),
            PeerResult::Refused => "refused".into(),
            PeerResult::TimedOut => "timed out".into(),
            PeerResult::Unreachable { error } => format!("unreachable ({error})"),
            PeerResult::Pending => "still pending when its process ended".into(),
            PeerResult::InProgress => "in progress".into(),
            PeerResult::Failed { error } => format!("failed: {error}"),
            PeerResult::Sent => "sent".into(),
            PeerResult::Open => "open".into(),
        }
    }

    /// Whether it reached the peer (a connection made, a datagram sent, a socket open).
    pub fn reached(&self) -> bool {
        matches!(self, PeerResult::Connected | PeerResult::Sent | PeerResult::Open)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Listener {
    pub protocol: Protocol,
    pub address: String,
    pub port: u16,
    /// Bound to every interface (0.0.0.0 or ::).
    pub wildcard: bool,
    pub pid: Pid,
    /// The process, as its index in `processes`, and the program it ran (see [`Actor`]).
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    pub at_ms: u64,
    pub seen_by: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UnixSocket {
    /// The socket's path, or `@name` for the abstract namespace.
    pub path: ByteString,
    pub role: UnixRole,
    pub pid: Pid,
    /// The process, as its index in `processes`, and the program it ran (see [`Actor`]).
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    pub count: u64,
    pub seen_by: Source,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnixRole {
    Connected,
    Bound,
    Listening,
}

/// The Docker engine's state before and after the command, compared. Strings come from
/// the engine (names, tags, paths) and are as untrusted as the command's own output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Docker {
    /// The engine's address: `DOCKER_HOST`, or the default unix socket.
    pub host: String,
    /// Why the engine could not be read before or after the command, in one line; null
    /// when both reads worked (the lists below are then complete).
    #[serde(default)]
    pub unavailable: Option<String>,
    /// Containers created, removed or changed, by name.
    #[serde(default)]
    pub containers: Vec<ContainerChange>,
    /// Images added, removed or retagged, by id.
    #[serde(default)]
    pub images: Vec<ImageChange>,
    /// Volumes created or removed, by name.
    #[serde(default)]
    pub volumes: Vec<DockerObjectChange>,
    /// Networks created or removed, by name.
    #[serde(default)]
    pub networks: Vec<DockerObjectChange>,
}

impl Docker {
    /// How many objects changed, of every kind.
    pub fn change_count(&self) -> usize {
        self.containers.len() + self.images.len() + self.volumes.len() + self.networks.len()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DockerChange {
    /// Present after the command, not before.
    Added,
    /// Present before the command, not after.
    Removed,
    /// Present both times, but different: a container's name, state, ports or mounts, an
    /// image's tags or digests.
    Changed,
}

impl DockerChange {
    pub fn as_str(self) -> &'static str {
        match self {
            DockerChange::Added => "added",
            DockerChange::Removed => "removed",
            DockerChange::Changed => "changed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContainerChange {
    pub change: DockerChange,
    /// The container's full id.
    pub id: String,
    /// Its name, without the leading `/`.
    pub name: String,
    /// The image as the container was created from it (a tag, or an id).
    pub image: String,
    /// Its state before the command; null when it was added.
    #[serde(default)]
    pub before: Option<ContainerState>,
    /// Its state after the command; null when it was removed.
    #[serde(default)]
    pub after: Option<ContainerState>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContainerState {
    /// The engine's word for it: `created`, `running`, `exited`, `paused`...
    pub state: String,
    /// Ports published on the host (the engine lists them for running containers only),
    /// sorted.
    #[serde(default)]
    pub ports: Vec<PublishedPort>,
    /// Volumes and host paths mounted into it, sorted by destination.
    #[serde(default)]
    pub mounts: Vec<DockerMount>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PublishedPort {
    /// The host address it is published on (`0.0.0.0`, `::`, `127.0.0.1`...).
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// Published on every host interface (0.0.0.0 or ::), reachable from other machines.
    pub wildcard: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct DockerMount {
    /// Where it is mounted inside the container.
    pub destination: String,
    /// `volume`, `bind`, `tmpfs`...
    pub kind: String,
    /// The volume's name, or the host path of a bind mount.
    pub source: String,
    /// Mounted writable.
    pub read_write: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImageChange {
    pub change: DockerChange,
    /// The image id (`sha256:...`).
    pub id: String,
    /// Its tags (`name:tag`) after the command, or before it for a removed image.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A changed image's tags before the command (empty otherwise).
    #[serde(default)]
    pub tags_before: Vec<String>,
    /// Its registry digests (`name@sha256:...`); empty for images never pushed or pulled.
    #[serde(default)]
    pub digests: Vec<String>,
}

/// A volume or network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DockerObjectChange {
    pub change: DockerChange,
    pub name: String,
    /// The driver that manages it (`local`, `bridge`, `null`...).
    pub driver: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Overall level only: there are no notes.
    #[default]
    None,
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Risk {
    /// The highest severity among the notes (`none` without notes).
    pub level: Severity,
    pub notes: Vec<RiskNote>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RiskNote {
    /// Stable identifier of the rule (`wildcard-listen`, `shell-startup-changed`, ...).
    pub id: String,
    pub title: String,
    pub detail: String,
    pub severity: Severity,
    /// The facts that raised it: paths, addresses, processes.
    pub evidence: Vec<String>,
    pub recommendation: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timeline {
    pub entries: Vec<TimelineEntry>,
    /// Entries left out to keep the receipt bounded (the first and last are kept).
    pub omitted: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEntry {
    /// Milliseconds since the command started (negative: before it, e.g. the snapshot).
    pub at_ms: i64,
    pub kind: TimelineKind,
    #[serde(default)]
    pub pid: Option<Pid>,
    /// One line for people; parts from the command are escaped.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// runglass's own steps: snapshots, start, end.
    Phase,
    Exec,
    Exit,
    File,
    Network,
    Signal,
}

/// A CI build, from the provider's environment (and the git remote where it says nothing).
/// Every field but the provider is absent when the environment did not say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CiBuild {
    pub provider: CiProvider,
    /// `owner/name` on GitHub; the project path on GitLab (`group/subgroup/name`).
    #[serde(default)]
    pub repository: Option<String>,
    /// The pull request (GitLab: merge request IID) the build is for.
    #[serde(default)]
    pub pull_request: Option<u64>,
    /// The commit built (on GitHub, for a pull request, its test merge commit).
    #[serde(default)]
    pub commit: Option<String>,
    /// The page of the CI run (GitLab: the pipeline).
    #[serde(default)]
    pub run_url: Option<String>,
    /// The forge's web address, e.g. `https://github.com`.
    #[serde(default)]
    pub server_url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CiProvider {
    /// GitHub Actions (GITHUB_* variables).
    Github,
    /// GitLab CI (CI_* variables).
    Gitlab,
    /// Any other CI: only what the git clone tells.
    Generic,
}

impl CiProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            CiProvider::Github => "github",
            CiProvider::Gitlab => "gitlab",
            CiProvider::Generic => "generic",
        }
    }

    /// The provider's name for people.
    pub fn title(self) -> &'static str {
        match self {
            CiProvider::Github => "GitHub Actions",
            CiProvider::Gitlab => "GitLab CI",
            CiProvider::Generic => "CI",
        }
    }
}

/// The git repository the command ran in, read before and after it (`cli/src/collect/git/`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitInfo {
    /// The repository's top-level directory.
    pub root: ByteString,
    /// HEAD's commit id before the command; absent in a repository without commits.
    #[serde(default)]
    pub commit: Option<String>,
    /// The branch checked out before the command; absent on a detached HEAD. A name from
    /// the repository: untrusted bytes.
    #[serde(default)]
    pub branch: Option<ByteString>,
    /// Uncommitted changes (tracked or untracked) before the command ran.
    pub dirty_before: bool,
    /// Uncommitted changes after it.
    pub dirty_after: bool,
    /// HEAD, the local branches and the tags after the command, compared with before.
    /// Absent when they could not be read after it (`limits` says why), and in receipts of
    /// runglass before this field.
    #[serde(default)]
    pub after: Option<GitAfter>,
    /// Configuration entries the command added, changed or removed, as git reads them for
    /// this repository (every scope: system, global, local, worktree, and included files),
    /// sorted by key. Values are kept only for keys that make git run a program.
    #[serde(default)]
    pub config: Vec<GitConfigChange>,
    /// Configuration changes beyond those listed in `config`.
    #[serde(default)]
    pub config_more: u64,
    /// The directory git takes hooks from after the command (`core.hooksPath`, else the
    /// `hooks` directory of the repository's git directory), absolute.
    #[serde(default)]
    pub hooks_dir: Option<ByteString>,
    /// The repository did not exist before the command (it ran `git init` or a clone into
    /// the working directory): `commit`, `branch` and `dirty_before` are then empty, every
    /// ref is new, and every configuration entry in its own git directory is `added`.
    #[serde(default)]
    pub created: bool,
    /// What this reading of the repository could not read or see, one sentence each
    /// (`git status after the command: did not answer within 10 s`).
    #[serde(default)]
    pub limits: Vec<String>,
}

/// The repository after the command, and how its history moved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitAfter {
    /// HEAD's commit id after the command; absent when HEAD names no commit.
    #[serde(default)]
    pub commit: Option<String>,
    /// The branch checked out after the command; absent on a detached HEAD.
    #[serde(default)]
    pub branch: Option<ByteString>,
    /// Commits reachable from HEAD after the command and not from HEAD before it.
    #[serde(default)]
    pub head_ahead: u64,
    /// Commits reachable from HEAD before the command and not from HEAD after it (a reset,
    /// an amend, a rebase, a switch to another branch).
    #[serde(default)]
    pub head_behind: u64,
    /// Commits reachable after the command from HEAD, a local branch or a tag, and before it
    /// from none of them: made by the command (or brought in by it, as a pull does), newest
    /// first.
    #[serde(default)]
    pub commits: Vec<GitCommit>,
    /// Such commits beyond those listed in `commits`.
    #[serde(default)]
    pub commits_more: u64,
    /// Commits reachable before the command from HEAD, a local branch or a tag, and after it
    /// from none of them (reset away, amended, rebased, on a deleted branch): still in the
    /// object store until git prunes them, newest first.
    #[serde(default)]
    pub dropped: Vec<GitCommit>,
    /// Such commits beyond those listed in `dropped`.
    #[serde(default)]
    pub dropped_more: u64,
    /// Local branches (`refs/heads/`) and tags (`refs/tags/`) created, deleted or moved,
    /// sorted by name.
    #[serde(default)]
    pub refs: Vec<GitRefChange>,
    /// Such ref changes beyond those listed in `refs`.
    #[serde(default)]
    pub refs_more: u64,
}

/// One commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitCommit {
    /// The commit id.
    pub id: String,
    /// The first line of its message, at most 500 bytes of it. Untrusted bytes.
    pub subject: ByteString,
}

/// A branch or tag the command created, deleted or moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitRefChange {
    /// The full ref name (`refs/heads/main`, `refs/tags/v1.0`). Untrusted bytes.
    pub name: ByteString,
    /// The object it named before; absent when the command created it.
    #[serde(default)]
    pub before: Option<String>,
    /// The object it names after; absent when the command deleted it.
    #[serde(default)]
    pub after: Option<String>,
}

impl GitRefChange {
    /// The branch name, when this is a local branch.
    pub fn branch(&self) -> Option<&[u8]> {
        self.name.as_bytes().strip_prefix(b"refs/heads/")
    }

    /// The tag name, when this is a tag.
    pub fn tag(&self) -> Option<&[u8]> {
        self.name.as_bytes().strip_prefix(b"refs/tags/")
    }
}

/// One configuration key the command added, changed or removed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitConfigChange {
    /// The key as git lists it: section and name in lower case, the subsection as written
    /// (`core.hookspath`, `filter.lfs.clean`). Untrusted bytes.
    pub key: ByteString,
    pub change: GitConfigEdit,
    /// Whether the key makes git run a program (`core.hooksPath`, `core.fsmonitor`,
    /// `alias.*` starting with `!`, credential helpers, filters...) or read configuration
    /// from elsewhere (`include.path`, `includeIf.*.path`): only then are its values kept.
    pub runs_program: bool,
    /// Its values before the command, in the order git reads them; empty when the key was
    /// not set or its values are not kept (`runs_program` false).
    #[serde(default)]
    pub before: Vec<ByteString>,
    /// Its values after the command, likewise.
    #[serde(default)]
    pub after: Vec<ByteString>,
    /// The files that set it after the command (before it, when it was removed),
    /// absolute.
    #[serde(default)]
    pub files: Vec<ByteString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GitConfigEdit {
    /// Not set before, set after.
    Added,
    /// Set before and after, to other values (or in other files).
    Changed,
    /// Set before, not after.
    Removed,
}

impl GitConfigEdit {
    pub fn as_str(self) -> &'static str {
        match self {
            GitConfigEdit::Added => "added",
            GitConfigEdit::Changed => "changed",
            GitConfigEdit::Removed => "removed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Observation {
    /// For each aspect of the run: what saw it and how completely.
    pub coverage: Vec<Coverage>,
    /// What this receipt cannot show, one sentence each.
    pub limits: Vec<String>,
    /// Processes that set up an io_uring (deep mode): what they did through it (opens,
    /// writes, connects) passes neither seccomp nor ptrace and is not in this receipt.
    #[serde(default)]
    pub io_uring: Vec<IoUringUse>,
    /// setuid, setgid and file-capability programs that ran without their privileges
    /// because they were traced (deep mode as a user without CAP_SYS_PTRACE): what they
    /// did, and failed to do, is not what they would do untraced.
    #[serde(default)]
    pub privileges_dropped: Vec<DroppedPrivileges>,
}

/// A setuid, setgid or file-capability program that ran without what its file grants,
/// because it ran traced. From the process's own credentials after the exec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DroppedPrivileges {
    pub pid: Pid,
    /// The process, as its index in `processes`, and its exec that ran the program (see
    /// [`Actor`]).
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    pub at_ms: u64,
    /// The program (`/proc/PID/exe` after the exec). Untrusted bytes.
    pub path: ByteString,
    /// The file is setuid to this uid, and the process did not run as it.
    #[serde(default)]
    pub setuid: Option<u32>,
    /// The file is setgid to this gid, and the process did not run as it.
    #[serde(default)]
    pub setgid: Option<u32>,
    /// File capabilities the process did not get, as `getcap` names them (`cap_net_raw`).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// The effective uid and gid the process ran with instead.
    pub euid: u32,
    pub egid: u32,
}

/// An io_uring set up by a process of the tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IoUringUse {
    pub pid: Pid,
    /// The process, as its index in `processes`, and the program it ran (see [`Actor`]).
    pub process: u32,
    #[serde(default)]
    pub exec: Option<u32>,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    pub aspect: Aspect,
    /// What saw it; absent when nothing did.
    #[serde(default)]
    pub source: Option<Source>,
    pub confidence: Confidence,
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Processes,
    /// Changes inside the working directory.
    Files,
    /// Changes outside the working directory.
    FilesOutside,
    /// Files read.
    Reads,
    Network,
    Output,
    /// Containers, images, volumes and networks of the Docker engine.
    Docker,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Everything of this kind was seen.
    Complete,
    /// Some was seen; some may have been missed (see `note`).
    Partial,
    /// Not observed at all.
    None,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Artifacts {
    /// The event log (postcard frames; docs/event-log.md).
    #[serde(default)]
    pub event_log: Option<String>,
    /// Events of processes that outlived the command, from the background tracer.
    #[serde(default)]
    pub survivors_log: Option<String>,
    /// The before and after snapshot manifests.
    #[serde(default)]
    pub snapshot_before: Option<String>,
    #[serde(default)]
    pub snapshot_after: Option<String>,
}

impl Receipt {
    /// The command line process entry `process` was running as its exec `exec` (null:
    /// before its first exec, what its parent ran when it made it). Empty for an index no
    /// entry has (a crafted receipt).
    pub fn command_of(&self, process: u32, exec: Option<u32>) -> &[ByteString] {
        let mut at = (process, exec);
        // Each step goes to an earlier entry; a crafted loop ends after as many steps as entries.
        for _ in 0..=self.processes.len() {
            let Some(p) = self.processes.get(at.0 as usize) else { return &[] };
            match at.1 {
                Some(i) => return p.execs.get(i as usize).map_or(&[][..], |e| &e.argv),
                None => match p.parent_process {
                    Some(parent) if !p.execs.is_empty() || p.argv.is_empty() => at = (parent, p.parent_exec),
                    _ => return &p.argv,
                },
            }
        }
        &[]
    }

    /// Every file of the receipt directory the receipt refers to.
    pub fn artifact_files(&self) -> Vec<&str> {
        let a = &self.artifacts;
        let streams = [&self.output.stdout, &self.output.stderr, &self.output.transcript];
        [&a.event_log, &a.survivors_log, &a.snapshot_before, &a.snapshot_after]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain(streams.into_iter().flatten().map(|s| s.file.as_str()))
            .collect()
    }
}

/// The JSON Schema of `receipt.json`, as docs/receipt.schema.json holds it.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Receipt)).expect("a schema is plain JSON")
}

impl Source {
    /// The default of a file change's `seen_by`.
    fn snapshot() -> Source {
        Source::Snapshot
    }
}

impl ChangeKind {
    /// The default of an outside change's `change`.
    fn modified() -> ChangeKind {
        ChangeKind::Modified
    }
}
