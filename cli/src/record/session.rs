//! One recorded run, start to finish: snapshot, start the command with its output
//! captured, watch it (poll or trace), end it on timeout, snapshot again, fold the event
//! log into a receipt, write the receipt atomically.
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
use runglass_model::receipt::{Artifacts, CiBuild, DirId, FileKind, Mode, Outcome, RunStatus};
use runglass_model::{ByteString, ExitStatus, Receipt};

use crate::collect::after_run::LiveDisk;
use crate::store::blobs::BlobStore;
use crate::record::capture::{self, BeforeCapture};
use crate::record::deep::{self, DeepOptions};
use crate::record::log_sink::{LogEnd, LogSink};
use crate::record::output::{Capture, CaptureOptions};
use crate::receipt::{self, Folder, RunFacts};
use crate::record::shortfall::{LogKept, Shortfall};
use crate::record::signals::Forwarder;
use crate::collect::snapshot::{self, SnapshotOptions, StatCache};
use crate::store::{self, durable::Durable, lock::RunLock, space::Reserve};
use crate::record::timeout::Watchdog;
use crate::collect::{docker, git};
use crate::record::exit::NotRecorded;
use crate::record::{normal, output};

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

/// [`record`], noting in `reached` how far it got.
fn record_run(opts: SessionOptions, reached: &mut Reached) -> anyhow::Result<Session> {
    let SessionOptions { command, mode, reads, timeout, cwd, data, ci, mut exclude } = opts;
    let cap = snapshot::cap_from_env()?;
    let blobs = BlobStore::open(&data.join("blobs"))?;
    let dir = store::create_receipt_dir(&data, &command)?;
    reached.dir = Some(dir.clone());
    let _lock = RunLock::acquire(&dir)?;
    // Which directory the root is, before the command can move it: revert checks it.
    let root_id = {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&cwd).with_context(|| format!("reading {}", cwd.display()))?;
        DirId { dev: meta.dev(), ino: meta.ino() }
    };
    // Room for the receipt, however much of the disk the command's output takes.
    let mut reserve = Reserve::take(&data);
    let progress = std::io::stderr().is_terminal();
    let deep = mode == Mode::Deep;
    exclude.push(data.clone());
    let snap_opts = SnapshotOptions { cap_bytes: cap, exclude, store_contents: !deep, progress };

    // Git and Docker are asked while the snapshot is taken: each costs a process or a
    // connection, and none of the three changes what the others see.
    let mut cache = StatCache::load(&data, &cwd);
    let rules = Arc::new(snapshot::Rules::load(&cwd));
    let (git_before, docker_before, before) = std::thread::scope(|s| {
        let git = s.spawn(|| git::inspect(&cwd));
        let docker = s.spawn(docker::before);
        let before = snapshot::take(&cwd, &rules, &snap_opts, &blobs, &mut cache);
        (joined(git, "git"), joined(docker, "docker"), before)
    });
    let (git_before, docker_before, before) = (git_before?, docker_before?, Arc::new(before?));
    // No repository anywhere around the cwd: one that is there after, the command made.
    let no_repository = git_before.is_none() && git::absent(&cwd);
    // Every file of the receipt is made durable at once, at the end (see `Durable`).
    let mut durable = Durable::default();
    durable.place(&dir.join(store::SNAPSHOT_BEFORE), &before.to_bytes())?;
    let how = match mode {
        Mode::Normal => How::Normal,
        Mode::Deep => How::Deep {
            opts: DeepOptions { reads, keeper_log: Some(dir.join(store::SURVIVOR_EVENT_LOG)) },
            capture: Box::new(BeforeCapture::new(&data, cap, Some((before.clone(), rules.clone())))?),
        },
    };

    let (mut capture, io) = Capture::start(CaptureOptions { dir: dir.clone(), pty: output::want_pty() })?;
    let own_terminal = io.controlling_tty.is_some();
    let cmd = io.give_to(runglass_tracer::Command::new(&command[0]).args(&command[1..]).current_dir(&cwd));
    let header = LogHeader {
        runglass_version: env!("CARGO_PKG_VERSION").to_string(),
        started_unix_ns: store::unix_now_ns(),
        argv: command.iter().map(|a| ByteString(a.as_bytes().to_vec())).collect(),
        cwd: ByteString(cwd.as_os_str().as_bytes().to_vec()),
        reads,
        observer: if mode == Mode::Deep { Observer::Trace } else { Observer::Polling },
    };
    let log_path = dir.join(store::EVENT_LOG);
    let mut sink = LogSink::new(LogWriter::create(&log_path, &header)?);

    let t = Instant::now();
    capture.command_started()?;
    let watched = watch(cmd, how, timeout, own_terminal, &mut sink)?;
    let command_ms = t.elapsed().as_millis() as i64;
    let ended_unix_ns = store::unix_now_ns();
    let exit_code = match &watched.result {
        Ok(status) => super::exit::exit_code(*status),
        Err(e) => super::exit::error_exit_code(e),
    };
    // From here on the command has run, and runglass exits with its status whatever
    // fails. What the data home refuses to store is left out and said (`Shortfall`).
    reached.exit_code = Some(exit_code);
    let mut shortfall = Shortfall::default();
    match sink.finish() {
        LogEnd::Whole(_) => durable.include(&log_path),
        LogEnd::Cut(cut) => {
            let error = match cut.error {
                LogError::Io { path, source } => {
                    anyhow::Error::from(source).context(format!("writing the event log {}", path.display()))
                }
                other => anyhow::Error::from(other).context("writing the event log"),
            };
            shortfall.note(&error);
            shortfall.log = Some(LogKept { lost_events: cut.lost_events, from_ms: receipt::ms(cut.from_ns) });
        }
    }
    let captured = capture.finish(OUTPUT_GRACE)?;
    for e in &captured.store_errors {
        shortfall.note(e);
    }
    shortfall.note_streams(&captured.output);

    // By the rules read before the command: it may have written .runglassignore.
    let (after, git, docker) = std::thread::scope(|s| {
        // A repository the command created is read too, compared with nothing.
        let git = s.spawn(|| match git_before {
            Some(before) => Some(before.finish()),
            None if no_repository => git::created(&cwd),
            None => None,
        });
        let docker = s.spawn(move || docker_before.after());
        let after = snapshot::take(&cwd, &rules, &snap_opts, &blobs, &mut cache);
        (after, joined(git, "git"), joined(docker, "docker"))
    });
    let (mut after, git, docker) = (after?, git?, docker?);
    shortfall.note_contents(blobs.full());
    // A full data home is said once, below; the cache only saves time.
    if let Err(e) = cache.save()
        && !store::space::is_full(&e)
    {
        eprintln!("runglass: warning: the snapshot cache was not saved ({e:#}); the next run reads every file again");
    }
    let mut folder = Folder::new(mode, &cwd, &data, Box::new(LiveDisk::new(&data.join("blobs"), cap)));
    fold_log(&log_path, 0, &mut folder)?;
    let survivors_log = dir.join(store::SURVIVOR_EVENT_LOG);
    if survivors_log.exists() {
        fold_survivors(&survivors_log, header.started_unix_ns, &mut folder);
    }
    // The capture is gone with the tracer thread: the snapshot is this function's again.
    let mut before = Arc::unwrap_or_clone(before);
    if deep {
        capture::mark_captured(&mut before, &folder.captured_contents());
        if let Err(e) =
            place_with_room(&mut durable, &mut reserve, &dir.join(store::SNAPSHOT_BEFORE), &before.to_bytes())
        {
            shortfall.note(&e);
            shortfall.snapshot_before_marks = true;
        }
    }
    let mut changes = snapshot::compare(&before, &after, &blobs);
    // Deep mode keeps the after-contents of changed files only now. On a disk that was
    // full they would take the room kept for the manifests and the receipt: not tried.
    let kept_after = match deep {
        false => Ok(()),
        true if !shortfall.is_empty() => Err(anyhow::anyhow!("the data home was full")),
        true => capture::keep_changed_after_contents(&mut changes, &mut after, &blobs),
    };
    if let Err(e) = kept_after {
        if !shortfall.is_empty() || store::space::is_full(&e) {
            // Said with the rest of what the full disk cost.
            let unkept = |c: &&runglass_model::receipt::FileChange| {
                c.after.as_ref().is_some_and(|a| a.kind == FileKind::File && !a.stored && !a.capped)
            };
            shortfall.note(&e);
            shortfall.contents += changes.iter().filter(unkept).count() as u64;
        } else {
            eprintln!("runglass: warning: the contents of changed files were not all kept ({e:#})");
        }
    }
    if let Err(e) = place_with_room(&mut durable, &mut reserve, &dir.join(store::SNAPSHOT_AFTER), &after.to_bytes()) {
        shortfall.note(&e);
        shortfall.snapshot_after = true;
    }
    let after = Arc::new(after);

    let outcome = outcome(&watched, timeout);
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
    let facts = RunFacts {
        id: store::receipt_id(&dir),
        header,
        mode,
        ended_unix_ns,
        outcome,
        output: captured.output,
        changes: Some(changes),
        before: Some(Arc::new(before)),
        after: Some(after),
        rules,
        snapshot: summary,
        root: cwd.clone(),
        root_id: Some(root_id),
        git,
        ci,
        docker: Some(docker),
        phases,
        polling: watched.polling.clone(),
        limits: watched.limits.clone(),
        output_cut_short: captured.cut_short,
        recovered: None,
        artifacts: Artifacts {
            event_log: Some(store::EVENT_LOG.into()),
            survivors_log: survivors_log.exists().then(|| store::SURVIVOR_EVENT_LOG.into()),
            snapshot_before: Some(store::SNAPSHOT_BEFORE.into()),
            snapshot_after: (!shortfall.snapshot_after).then(|| store::SNAPSHOT_AFTER.into()),
        },
        home: std::env::var_os("HOME").map(Into::into),
    };
    let mut receipt = receipt::build(facts, folder);
    shortfall.mark(&mut receipt);
    let survivor_pids: Vec<u32> = watched.survivors.iter().map(|(pid, _)| *pid).collect();
    shortfall.unclaim_survivors(&mut receipt, &survivor_pids);
    let json = runglass_model::receipt_json::write(&receipt);
    let receipt_path = dir.join(store::RECEIPT_FILE);
    let mut staged = durable.stage(&receipt_path, &json);
    if staged.as_ref().is_err_and(store::space::is_full) && reserve.release() {
        staged = durable.stage(&receipt_path, &json);
    }
    let saved = staged.and_then(|()| durable.commit());
    let written = match saved.context("saving the receipt") {
        Ok(()) => true,
        Err(e) if shortfall.is_empty() && !store::space::is_full(&e) => return Err(e),
        Err(e) => {
            shortfall.note(&e);
            // What was not stored, for the receipt recovered from what was.
            if let Err(e) = shortfall.save(&dir) {
                eprintln!("runglass: warning: {e:#}");
            }
            false
        }
    };
    let shortfall = (!shortfall.is_empty()).then_some((shortfall, written));
    Ok(Session {
        receipt,
        dir,
        data,
        exit_code,
        shortfall,
        start_error: watched.result.err(),
        survivors: watched.survivors,
    })
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
