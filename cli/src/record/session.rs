//! One recorded run, start to finish, as phases read one by one in [`record_run`]:
//! [`Run::prepare`] (the receipt's directory, locked), [`Run::before`] (the before-snapshot,
//! with Git and Docker), [`Run::watch`] (the command with its output captured, polled or
//! traced, ended on timeout), [`Run::after`] (the after-snapshot), [`Run::fold_and_compare`]
//! (the event log folded, the snapshots compared), [`Run::receipt`] (the fold into a
//! receipt) and [`Run::persist`] (every file of it made durable at once).
//!
//! In normal mode the before-snapshot stores every file's content (within the cap): any
//! file may change unseen. In deep mode the trace captures each file's content the instant
//! before it changes, so the snapshots only hash, and only changed files' contents are
//! kept: a first run in a big tree does not copy the tree into the blob store.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use runglass_model::log::{LogError, LogHeader, LogReader, LogWriter, Observer};
use runglass_model::receipt::{
    Artifacts, CiBuild, DirId, Docker, FileChange, FileKind, GitInfo, Mode, Outcome, RunStatus,
};
use runglass_model::{ByteString, ExitStatus, Receipt};

use crate::collect::after_run::LiveDisk;
use crate::collect::snapshot::{self, Manifest, SnapshotOptions, StatCache};
use crate::collect::{docker, git};
use crate::receipt::{self, Folder, RunFacts};
use crate::record::capture::{self, BeforeCapture};
use crate::record::deep::{self, DeepOptions};
use crate::record::exit::NotRecorded;
use crate::record::log_sink::{LogEnd, LogSink};
use crate::record::output::{Capture, CaptureOptions};
use crate::record::shortfall::{LogKept, Shortfall};
use crate::record::signals::Forwarder;
use crate::record::timeout::Watchdog;
use crate::record::{normal, output};
use crate::store::blobs::BlobStore;
use crate::store::{self, durable::Durable, lock::RunLock, space::Reserve};

pub struct SessionOptions {
    pub command: Vec<OsString>,
    pub mode: Mode,
    pub reads: bool,
    pub timeout: Option<Duration>,
    /// The directory the command runs in and that is snapshotted (canonical).
    pub cwd: PathBuf,
    pub data: PathBuf,
    /// The CI build to record (`runglass ci`).
    pub ci: Option<CiBuild>,
    /// What the snapshots skip besides the data directory: runglass's own output, such as
    /// `ci`'s artifact directory (absolute paths).
    pub exclude: Vec<PathBuf>,
}

pub struct Session {
    /// The receipt, as written to `dir` (or, when `shortfall` says it was not written, as
    /// it would have been).
    pub receipt: Receipt,
    pub dir: PathBuf,
    /// The data home the receipt is in.
    pub data: PathBuf,
    /// What runglass exits with: the command's status, or 127/126/1 when it did not start.
    pub exit_code: u8,
    /// What the data home refused to store (None: everything was stored), and whether
    /// `receipt.json` was written despite it.
    pub shortfall: Option<(Shortfall, bool)>,
    /// Why the command did not start, when it did not.
    pub start_error: Option<anyhow::Error>,
    /// Processes still running when the command ended: (pid, argv).
    pub survivors: Vec<(u32, Vec<ByteString>)>,
}

/// How long output may keep flowing after the command ended (a daemon holding the pipe)
/// before capture stops.
const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// How the command's part went, whichever mode watched it.
struct Watched {
    result: anyhow::Result<ExitStatus>,
    started: bool,
    polling: Option<String>,
    limits: Vec<String>,
    survivors: Vec<(u32, Vec<ByteString>)>,
    timed_out: bool,
    signal: Option<i32>,
}

pub fn record(opts: SessionOptions) -> anyhow::Result<Session> {
    let data = opts.data.clone();
    let mut reached = Reached::default();
    record_run(opts, &mut reached).map_err(|e| match reached {
        Reached { dir: Some(dir), exit_code: Some(exit_code) } => {
            let id = store::receipt_id(&dir);
            let message = if store::space::is_full(&e) {
                format!(
                    "the data home {} is full (ENOSPC): the receipt of run {id} could not be made ({e:#}); free \
                     space, then `runglass report {id}` recovers it from what was kept",
                    data.display()
                )
            } else {
                format!("the receipt of run {id} could not be made: {e:#}")
            };
            anyhow::Error::new(NotRecorded::new(exit_code, message))
        }
        // Before the command: nothing happened yet that the directory could tell.
        Reached { dir, exit_code: None } => {
            if let Some(dir) = dir {
                let _ = store::remove_receipt(&dir);
            }
            if store::space::is_full(&e) {
                e.context(format!(
                    "the data home {} is full (ENOSPC), so the command was not run: there is no room to start its \
                     receipt; free space, or set RUNGLASS_DATA_HOME to a disk with room",
                    data.display()
                ))
            } else {
                e
            }
        }
        Reached { dir: None, exit_code: Some(_) } => e,
    })
}

/// How far [`record_run`] got: the receipt directory once made, the command's exit code
/// once it ran.
#[derive(Default)]
struct Reached {
    dir: Option<PathBuf>,
    exit_code: Option<u8>,
}

/// [`record`], noting in `reached` how far it got: the phases of a run, one after another.
fn record_run(opts: SessionOptions, reached: &mut Reached) -> anyhow::Result<Session> {
    let mut run = Run::prepare(opts, reached)?;
    let before = run.before()?;
    let ran = run.watch(&before, reached)?;
    let After { snapshot: after, git, docker } = run.after(before.git, before.docker, before.no_repository)?;
    let (folder, before, after, changes) = run.fold_and_compare(&ran, before.snapshot, after)?;
    let receipt = run.receipt(&ran, folder, before, after, changes, AfterFacts { git, docker });
    run.persist(ran, receipt)
}

/// What every phase of one run shares: the command, where its receipt goes, and what the
/// data home may still take.
struct Run {
    command: Vec<OsString>,
    mode: Mode,
    reads: bool,
    timeout: Option<Duration>,
    cwd: PathBuf,
    data: PathBuf,
    ci: Option<CiBuild>,
    dir: PathBuf,
    /// Held for the whole run: `list` and `revert` see it is still running.
    _lock: RunLock,
    /// Which directory the root is, before the command can move it: revert checks it.
    root_id: DirId,
    cap: u64,
    blobs: BlobStore,
    snap_opts: SnapshotOptions,
    cache: StatCache,
    /// Read before the command: it may write `.runglassignore`, and the after-snapshot
    /// must skip by the same rules.
    rules: Arc<snapshot::Rules>,
    /// Every file of the receipt is made durable at once, at the end (see `Durable`).
    durable: Durable,
    /// Room for the receipt, however much of the disk the command's output takes.
    reserve: Reserve,
    /// What the data home refused to store, said once at the end.
    shortfall: Shortfall,
}

/// The tree, the repository and the Docker engine before the command.
struct Before {
    snapshot: Arc<Manifest>,
    git: Option<git::Before>,
    docker: docker::Before,
    /// No repository anywhere around the cwd: one that is there after, the command made.
    no_repository: bool,
}

/// The command's part: how it ended, its output, and its event log.
struct Ran {
    watched: Watched,
    header: LogHeader,
    log_path: PathBuf,
    command_ms: i64,
    ended_unix_ns: u64,
    exit_code: u8,
    captured: output::CaptureResult,
}

/// The tree, the repository and the Docker engine after the command.
struct After {
    snapshot: Manifest,
    git: Option<GitInfo>,
    docker: Docker,
}

/// The facts the after-phase adds to the receipt beside the snapshot.
struct AfterFacts {
    git: Option<GitInfo>,
    docker: Docker,
}

impl Run {
    /// The receipt's directory, locked, and what the snapshots need.
    fn prepare(opts: SessionOptions, reached: &mut Reached) -> anyhow::Result<Run> {
        let SessionOptions { command, mode, reads, timeout, cwd, data, ci, mut exclude } = opts;
        let cap = snapshot::cap_from_env()?;
        let blobs = BlobStore::open(&data.join("blobs"))?;
        let dir = store::create_receipt_dir(&data, &command)?;
        reached.dir = Some(dir.clone());
        let lock = RunLock::acquire(&dir)?;
        let root_id = {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&cwd).with_context(|| format!("reading {}", cwd.display()))?;
            DirId { dev: meta.dev(), ino: meta.ino() }
        };
        let reserve = Reserve::take(&data);
        let progress = std::io::stderr().is_terminal();
        exclude.push(data.clone());
        let snap_opts = SnapshotOptions { cap_bytes: cap, exclude, store_contents: mode != Mode::Deep, progress };
        let cache = StatCache::load(&data, &cwd);
        let rules = Arc::new(snapshot::Rules::load(&cwd));
        Ok(Run {
            command,
            mode,
            reads,
            timeout,
            cwd,
            data,
            ci,
            dir,
            _lock: lock,
            root_id,
            cap,
            blobs,
            snap_opts,
            cache,
            rules,
            durable: Durable::default(),
            reserve,
            shortfall: Shortfall::default(),
        })
    }

    /// Phase 1: the before-snapshot. Git and Docker are asked while it is taken: each
    /// costs a process or a connection, and none of the three changes what the others see.
    fn before(&mut self) -> anyhow::Result<Before> {
        let (cwd, rules, snap_opts, blobs, cache) =
            (&self.cwd, &self.rules, &self.snap_opts, &self.blobs, &mut self.cache);
        let (git_before, docker_before, before) = std::thread::scope(|s| {
            let git = s.spawn(|| git::inspect(cwd));
            let docker = s.spawn(docker::before);
            let before = snapshot::take(cwd, rules, snap_opts, blobs, cache);
            (joined(git, "git"), joined(docker, "docker"), before)
        });
        let (git, docker, snapshot) = (git_before?, docker_before?, Arc::new(before?));
        let no_repository = git.is_none() && git::absent(&self.cwd);
        self.durable.place(&self.dir.join(store::SNAPSHOT_BEFORE), &snapshot.to_bytes())?;
        Ok(Before { snapshot, git, docker, no_repository })
    }

    /// Phase 2: the command, started with its output captured and watched (polled, or
    /// traced with each file's content captured before it changes) until it ends.
    fn watch(&mut self, before: &Before, reached: &mut Reached) -> anyhow::Result<Ran> {
        let how = match self.mode {
            Mode::Normal => How::Normal,
            Mode::Deep => How::Deep {
                opts: DeepOptions { reads: self.reads, keeper_log: Some(self.dir.join(store::SURVIVOR_EVENT_LOG)) },
                capture: Box::new(BeforeCapture::new(
                    &self.data,
                    self.blobs.clone(),
                    self.cap,
                    Some((before.snapshot.clone(), self.rules.clone())),
                )?),
            },
        };
        let (mut capture, io) = Capture::start(CaptureOptions { dir: self.dir.clone(), pty: output::want_pty() })?;
        let own_terminal = io.controlling_tty.is_some();
        let command = &self.command;
        let cmd = io.give_to(runglass_tracer::Command::new(&command[0]).args(&command[1..]).current_dir(&self.cwd));
        let header = LogHeader {
            runglass_version: env!("CARGO_PKG_VERSION").to_string(),
            started_unix_ns: store::unix_now_ns(),
            argv: command.iter().map(|a| ByteString(a.as_bytes().to_vec())).collect(),
            cwd: ByteString(self.cwd.as_os_str().as_bytes().to_vec()),
            reads: self.reads,
            observer: if self.mode == Mode::Deep { Observer::Trace } else { Observer::Polling },
        };
        let log_path = self.dir.join(store::EVENT_LOG);
        let mut sink = LogSink::new(LogWriter::create(&log_path, &header)?);

        let t = Instant::now();
        capture.command_started()?;
        let watched = watch(cmd, how, self.timeout, own_terminal, &mut sink)?;
        let command_ms = t.elapsed().as_millis() as i64;
        let ended_unix_ns = store::unix_now_ns();
        let exit_code = match &watched.result {
            Ok(status) => super::exit::exit_code(*status),
            Err(e) => super::exit::error_exit_code(e),
        };
        // From here on the command has run, and runglass exits with its status whatever
        // fails. What the data home refuses to store is left out and said (`Shortfall`).
        reached.exit_code = Some(exit_code);
        match sink.finish() {
            LogEnd::Whole(_) => self.durable.include(&log_path),
            LogEnd::Cut(cut) => {
                let error = match cut.error {
                    LogError::Io { path, source } => {
                        anyhow::Error::from(source).context(format!("writing the event log {}", path.display()))
                    }
                    other => anyhow::Error::from(other).context("writing the event log"),
                };
                self.shortfall.note(&error);
                self.shortfall.log = Some(LogKept { lost_events: cut.lost_events, from_ms: receipt::ms(cut.from_ns) });
            }
        }
        let captured = capture.finish(OUTPUT_GRACE)?;
        for e in &captured.store_errors {
            self.shortfall.note(e);
        }
        self.shortfall.note_streams(&captured.output);
        Ok(Ran { watched, header, log_path, command_ms, ended_unix_ns, exit_code, captured })
    }

    /// Phase 3: the after-snapshot, by the rules read before the command, with Git and
    /// Docker read again beside it.
    fn after(
        &mut self,
        git_before: Option<git::Before>,
        docker_before: docker::Before,
        no_repository: bool,
    ) -> anyhow::Result<After> {
        let (cwd, rules, snap_opts, blobs, cache) =
            (&self.cwd, &self.rules, &self.snap_opts, &self.blobs, &mut self.cache);
        let (after, git, docker) = std::thread::scope(|s| {
            // A repository the command created is read too, compared with nothing.
            let git = s.spawn(|| match git_before {
                Some(before) => Some(before.finish()),
                None if no_repository => git::created(cwd),
                None => None,
            });
            let docker = s.spawn(move || docker_before.after());
            let after = snapshot::take(cwd, rules, snap_opts, blobs, cache);
            (after, joined(git, "git"), joined(docker, "docker"))
        });
        let (snapshot, git, docker) = (after?, git?, docker?);
        self.shortfall.note_contents(self.blobs.full());
        // A full data home is said once, at the end; the cache only saves time.
        if let Err(e) = self.cache.save()
            && !store::space::is_full(&e)
        {
            eprintln!(
                "runglass: warning: the snapshot cache was not saved ({e:#}); the next run reads every file again"
            );
        }
        Ok(After { snapshot, git, docker })
    }

    /// Phase 4: the event logs folded, and the snapshots compared (in deep mode, with the
    /// contents the trace captured marked, and the after-contents of changed files kept).
    fn fold_and_compare(
        &mut self,
        ran: &Ran,
        before: Arc<Manifest>,
        mut after: Manifest,
    ) -> anyhow::Result<(Folder, Manifest, Manifest, Vec<FileChange>)> {
        let deep = self.mode == Mode::Deep;
        let disk = Box::new(LiveDisk::new(&self.data.join("blobs"), self.cap));
        let mut folder = Folder::new(self.mode, &self.cwd, &self.data, disk);
        fold_log(&ran.log_path, 0, &mut folder)?;
        let survivors_log = self.dir.join(store::SURVIVOR_EVENT_LOG);
        if survivors_log.exists() {
            fold_survivors(&survivors_log, ran.header.started_unix_ns, &mut folder);
        }
        // The capture is gone with the tracer thread: the snapshot is this run's again.
        let mut before = Arc::unwrap_or_clone(before);
        if deep {
            capture::mark_captured(&mut before, &folder.captured_contents());
            let path = self.dir.join(store::SNAPSHOT_BEFORE);
            if let Err(e) = place_with_room(&mut self.durable, &mut self.reserve, &path, &before.to_bytes()) {
                self.shortfall.note(&e);
                self.shortfall.snapshot_before_marks = true;
            }
        }
        let mut changes = snapshot::compare(&before, &after, &self.blobs);
        // Deep mode keeps the after-contents of changed files only now. On a disk that was
        // full they would take the room kept for the manifests and the receipt: not tried.
        let kept_after = match deep {
            false => Ok(()),
            true if !self.shortfall.is_empty() => Err(anyhow::anyhow!("the data home was full")),
            true => capture::keep_changed_after_contents(&mut changes, &mut after, &self.blobs),
        };
        if let Err(e) = kept_after {
            if !self.shortfall.is_empty() || store::space::is_full(&e) {
                // Said with the rest of what the full disk cost.
                let unkept = |c: &&FileChange| {
                    c.after.as_ref().is_some_and(|a| a.kind == FileKind::File && !a.stored && !a.capped)
                };
                self.shortfall.note(&e);
                self.shortfall.contents += changes.iter().filter(unkept).count() as u64;
            } else {
                eprintln!("runglass: warning: the contents of changed files were not all kept ({e:#})");
            }
        }
        let path = self.dir.join(store::SNAPSHOT_AFTER);
        if let Err(e) = place_with_room(&mut self.durable, &mut self.reserve, &path, &after.to_bytes()) {
            self.shortfall.note(&e);
            self.shortfall.snapshot_after = true;
        }
        Ok((folder, before, after, changes))
    }

    /// Phase 5: the receipt, from the folded events and the collected facts.
    fn receipt(
        &mut self,
        ran: &Ran,
        folder: Folder,
        before: Manifest,
        after: Manifest,
        changes: Vec<FileChange>,
        facts_after: AfterFacts,
    ) -> Receipt {
        let watched = &ran.watched;
        let command_ms = ran.command_ms;
        let outcome = outcome(watched, self.timeout);
        let status_text = match watched.result.as_ref() {
            Ok(exit) => format!("command ended: {exit}"),
            Err(_) => "command did not start".to_string(),
        };
        let phases = vec![
            (-(before.stats.took_ms as i64), format!("snapshot before: {} entries", before.stats.entries)),
            (0, "command started".to_string()),
            (command_ms, status_text),
            (command_ms + after.stats.took_ms as i64, format!("snapshot after: {} entries", after.stats.entries)),
        ];
        let summary = snapshot::summary(&before, &after);
        let survivors_log = self.dir.join(store::SURVIVOR_EVENT_LOG);
        let facts = RunFacts {
            id: store::receipt_id(&self.dir),
            header: ran.header.clone(),
            mode: self.mode,
            ended_unix_ns: ran.ended_unix_ns,
            outcome,
            output: ran.captured.output.clone(),
            changes: Some(changes),
            before: Some(Arc::new(before)),
            after: Some(Arc::new(after)),
            rules: self.rules.clone(),
            snapshot: summary,
            root: self.cwd.clone(),
            root_id: Some(self.root_id),
            git: facts_after.git,
            ci: self.ci.take(),
            docker: Some(facts_after.docker),
            phases,
            polling: watched.polling.clone(),
            limits: watched.limits.clone(),
            output_cut_short: ran.captured.cut_short,
            recovered: None,
            artifacts: Artifacts {
                event_log: Some(store::EVENT_LOG.into()),
                survivors_log: survivors_log.exists().then(|| store::SURVIVOR_EVENT_LOG.into()),
                snapshot_before: Some(store::SNAPSHOT_BEFORE.into()),
                snapshot_after: (!self.shortfall.snapshot_after).then(|| store::SNAPSHOT_AFTER.into()),
            },
            home: std::env::var_os("HOME").map(Into::into),
        };
        let mut receipt = receipt::build(facts, folder);
        self.shortfall.mark(&mut receipt);
        let survivor_pids: Vec<u32> = watched.survivors.iter().map(|(pid, _)| *pid).collect();
        self.shortfall.unclaim_survivors(&mut receipt, &survivor_pids);
        receipt
    }

    /// Phase 6: every file of the receipt made durable at once; what the data home refused
    /// is kept beside what was written, for recovery.
    fn persist(mut self, ran: Ran, receipt: Receipt) -> anyhow::Result<Session> {
        let json = runglass_model::receipt_json::write(&receipt);
        let receipt_path = self.dir.join(store::RECEIPT_FILE);
        let mut staged = self.durable.stage(&receipt_path, &json);
        if staged.as_ref().is_err_and(store::space::is_full) && self.reserve.release() {
            staged = self.durable.stage(&receipt_path, &json);
        }
        let saved = staged.and_then(|()| self.durable.commit());
        let mut shortfall = self.shortfall;
        let written = match saved.context("saving the receipt") {
            Ok(()) => true,
            Err(e) if shortfall.is_empty() && !store::space::is_full(&e) => return Err(e),
            Err(e) => {
                shortfall.note(&e);
                // What was not stored, for the receipt recovered from what was.
                if let Err(e) = shortfall.save(&self.dir) {
                    eprintln!("runglass: warning: {e:#}");
                }
                false
            }
        };
        let shortfall = (!shortfall.is_empty()).then_some((shortfall, written));
        Ok(Session {
            receipt,
            dir: self.dir,
            data: self.data,
            exit_code: ran.exit_code,
            shortfall,
            start_error: ran.watched.result.err(),
            survivors: ran.watched.survivors,
        })
    }
}

/// Places a manifest, freeing the data home's reserve for it if the disk is full.
fn place_with_room(durable: &mut Durable, reserve: &mut Reserve, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    match durable.place(path, bytes) {
        Err(e) if store::space::is_full(&e) && reserve.release() => durable.place(path, bytes),
        placed => placed,
    }
}

/// The result of a helper thread of [`record`]; a panic there is a bug, reported as an error.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>, what: &str) -> anyhow::Result<T> {
    handle.join().map_err(|_| anyhow::anyhow!("the thread asking {what} panicked"))
}

/// How the command is watched.
enum How {
    Normal,
    Deep { opts: DeepOptions, capture: Box<BeforeCapture> },
}

/// Starts and watches the command in the chosen mode, with signals forwarded and the
/// timeout armed.
fn watch(
    cmd: runglass_tracer::Command,
    how: How,
    timeout: Option<Duration>,
    own_terminal: bool,
    sink: &mut LogSink,
) -> anyhow::Result<Watched> {
    // Take over the signals before the command exists, so none can kill runglass first.
    let (fwd_tx, fwd_rx) = crossbeam_channel::bounded(1);
    let (dog_tx, dog_rx) = crossbeam_channel::bounded(1);
    let forwarder = Forwarder::start(fwd_rx, own_terminal)?;
    let watchdog = timeout.map(|limit| Watchdog::start(limit, dog_rx)).transpose()?;
    let started = Arc::new(AtomicBool::new(false));
    let flag = started.clone();
    let on_start = move |pid: Option<i32>| {
        flag.store(pid.is_some(), Ordering::Relaxed);
        let _ = fwd_tx.send(pid);
        let _ = dog_tx.send(pid);
    };
    let (result, polling, limits, survivors) = match how {
        How::Deep { opts, capture } => match deep::run_with_hook(cmd, opts, Some(capture), sink, on_start) {
            Ok(o) => {
                let survivors = o.survivors.into_iter().map(|s| (s.pid as u32, s.argv)).collect();
                (Ok(o.status), None, Vec::new(), survivors)
            }
            Err(e) => (Err(e), None, Vec::new(), Vec::new()),
        },
        How::Normal => match normal::run(cmd, sink, on_start) {
            Ok(o) => (Ok(o.status), Some(o.polling), o.limits, o.survivors),
            Err(e) => (Err(e), None, Vec::new(), Vec::new()),
        },
    };
    let timed_out = watchdog.is_some_and(Watchdog::disarm);
    let signal = forwarder.stop();
    Ok(Watched { result, started: started.load(Ordering::Relaxed), polling, limits, survivors, timed_out, signal })
}

fn outcome(w: &Watched, timeout: Option<Duration>) -> Outcome {
    const INTERRUPTS: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];
    let timeout_ms = timeout.map(|t| t.as_millis() as u64);
    let exit = w.result.as_ref().ok().copied();
    let (status, message) = match &w.result {
        Err(e) if !w.started => (RunStatus::FailedToStart, Some(format!("{e:#}"))),
        Err(e) => (RunStatus::Interrupted, Some(format!("runglass lost track of the command: {e:#}"))),
        Ok(_) if w.timed_out => {
            let limit = timeout_ms.unwrap_or_default();
            (RunStatus::TimedOut, Some(format!("ended by --timeout after {limit} ms (SIGTERM, then SIGKILL)")))
        }
        Ok(ExitStatus::Code(0)) => (RunStatus::Completed, None),
        Ok(ExitStatus::Signal { signal, .. }) if INTERRUPTS.contains(signal) => {
            (RunStatus::Interrupted, Some(format!("ended by {}", runglass_model::event::signal_name(*signal))))
        }
        Ok(_) => match w.signal {
            Some(sig) => {
                let sig = runglass_model::event::signal_name(sig);
                (RunStatus::Interrupted, Some(format!("runglass received {sig} while the command ran")))
            }
            None => (RunStatus::Failed, None),
        },
    };
    Outcome { status, exit, exit_code: exit.map(ExitStatus::shell_code), timeout_ms, message }
}

/// Folds a log's events in, their times shifted by `shift_ns` (a later log's start).
fn fold_log(path: &Path, shift_ns: u64, folder: &mut Folder) -> anyhow::Result<()> {
    let reader = LogReader::open(path).with_context(|| format!("reading the event log {}", path.display()))?;
    for event in reader {
        let mut event = event.with_context(|| format!("reading the event log {}", path.display()))?;
        event.time_ns += shift_ns;
        folder.observe(&event);
    }
    Ok(())
}

/// The background tracer's log: it may still be being written (the survivors run on),
/// so whatever part is readable now counts, and an unreadable one is only a warning.
fn fold_survivors(path: &Path, main_start_ns: u64, folder: &mut Folder) {
    let shift = LogReader::open(path).map(|r| r.header().started_unix_ns.saturating_sub(main_start_ns));
    let result = shift.map_err(anyhow::Error::from).and_then(|shift| fold_log(path, shift, folder));
    if let Err(e) = result {
        eprintln!("runglass: warning: {e:#}");
    }
}
