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
pub const RECEIPT_FORMAT_VERSION: u32 = 1;

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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Process {
    pub pid: Pid,
    /// The parent process, when it is part of the tree too (absent for the root).
    #[serde(default)]
    pub parent: Option<Pid>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Files {
    /// The directory that was snapshotted (the command's cwd).
    pub root: ByteString,
    /// Changes inside `root`, by path.
    pub changes: Vec<FileChange>,
    /// Changes outside `root`, from the trace (deep mode only), by path.
    #[serde(default)]
    pub outside: Vec<OutsideChange>,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Modified,
    Deleted,
    /// The path became another kind of thing (a file became a directory or symlink...).
    TypeChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
            ChangeKind::TypeChanged => "type changed",
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
}

impl From<PathState> for FileState {
    fn from(s: PathState) -> Self {
        let PathState { kind, size, mode, mtime_ns, blake3, target, capped, stored } = s;
        FileState { kind, size, mode, mtime_ns, blake3, target, capped, stored }
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

/// A process that acted on a file or peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Actor {
    pub pid: Pid,
    pub argv: Vec<ByteString>,
    pub action: Action,
    pub at_ms: u64,
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
        }
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
    /// Peers the tree connected or sent to, by (protocol, address, process).
    pub outbound: Vec<Peer>,
    pub listening: Vec<Listener>,
    /// Unix sockets the tree connected to or bound.
    pub unix: Vec<UnixSocket>,
    /// The names the tree looked up over DNS and what came back (deep mode), by (name,
    /// process).
    #[serde(default)]
    pub lookups: Vec<Lookup>,
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
    pub argv: Vec<ByteString>,
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
    pub argv: Vec<ByteString>,
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
    /// A non-blocking connect that was still in progress (EINPROGRESS).
    InProgress,
    /// Another error, by name.
    Failed { error: String },
    /// A datagram was sent to it.
    Sent,
    /// Polling saw an open socket to it, or the trace saw a connect whose result it
    /// could not learn (the process died during the call).
    Open,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Listener {
    pub protocol: Protocol,
    pub address: String,
    pub port: u16,
    /// Bound to every interface (0.0.0.0 or ::).
    pub wildcard: bool,
    pub pid: Pid,
    pub argv: Vec<ByteString>,
    pub at_ms: u64,
    pub seen_by: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UnixSocket {
    /// The socket's path, or `@name` for the abstract namespace.
    pub path: ByteString,
    pub role: UnixRole,
    pub pid: Pid,
    pub argv: Vec<ByteString>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitInfo {
    /// The repository's top-level directory.
    pub root: ByteString,
    /// HEAD's commit id; absent in a repository without commits.
    #[serde(default)]
    pub commit: Option<String>,
    /// The checked-out branch; absent on a detached HEAD.
    #[serde(default)]
    pub branch: Option<String>,
    /// Uncommitted changes (tracked or untracked) before the command ran.
    pub dirty_before: bool,
    /// Uncommitted changes after it.
    pub dirty_after: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Observation {
    /// For each aspect of the run: what saw it and how completely.
    pub coverage: Vec<Coverage>,
    /// What this receipt cannot show, one sentence each.
    pub limits: Vec<String>,
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
