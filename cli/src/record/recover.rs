//! Receipts for runs whose runglass was killed: rebuilt from the event log (and the
//! output files) as an `interrupted` receipt, written once so later reads are plain loads.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use runglass_model::log::{LogReader, Observer};
use runglass_model::receipt::{Artifacts, CaptureMode, Mode, Outcome, Output, RunStatus, SnapshotSummary, Stream};
use runglass_model::{EventKind, ExitStatus, Receipt};

use crate::record::output::excerpt::Excerpt;
use crate::receipt::coverage::Recovery;
use crate::receipt::{self, Folder, RunFacts};
use crate::record::shortfall::Shortfall;
use crate::collect::after_run::LiveDisk;
use crate::collect::snapshot;
use crate::store::{self, catalog, lock};

/// The receipt of a receipt directory: loaded, or recovered from its event log when
/// runglass did not live to write it.
pub fn load_or_recover(data: &Path, dir: &Path) -> anyhow::Result<Receipt> {
    if dir.join(store::RECEIPT_FILE).exists() {
        return Ok(catalog::load(dir)?);
    }
    if lock::in_progress(dir) {
        anyhow::bail!("{} is still running; its receipt is written when it ends", store::receipt_id(dir));
    }
    let receipt = recover(data, dir)?;
    let json = runglass_model::receipt_json::write(&receipt);
    store::atomic::write(&dir.join(store::RECEIPT_FILE), &json)?;
    match Shortfall::load(dir) {
        Some(s) => eprintln!("runglass: recovered receipt {} of a run whose receipt {}", receipt.id, s.unwritten()),
        None => eprintln!("runglass: recovered receipt {} of an interrupted run", receipt.id),
    }
    Ok(receipt)
}

/// Every receipt of the store that can be read, newest first (recovering interrupted
/// runs), and the ids of runs still in progress; unreadable ones are skipped with a warning.
pub struct Readable {
    pub receipts: Vec<Receipt>,
    pub running: Vec<String>,
}

pub fn load_all(data: &Path) -> anyhow::Result<Readable> {
    let mut all = Readable { receipts: Vec::new(), running: Vec::new() };
    for listed in catalog::scan(data)?.into_iter().rev() {
        match listed.slot {
            catalog::Slot::Done(r) => all.receipts.push(*r),
            catalog::Slot::Unfinished => match load_or_recover(data, &listed.dir) {
                Ok(r) => all.receipts.push(r),
                Err(e) => catalog::warn_skipped(&listed.id, &e),
            },
            catalog::Slot::Running => all.running.push(listed.id),
            catalog::Slot::Broken(e) => catalog::warn_skipped(&listed.id, &e),
        }
    }
    Ok(all)
}

fn recover(data: &Path, dir: &Path) -> anyhow::Result<Receipt> {
    let log_path = dir.join(store::EVENT_LOG);
    let mut log = LogReader::open(&log_path).with_context(|| format!("recovering {}", dir.display()))?;
    let header = log.header().clone();
    let mode = match header.observer {
        Observer::Trace => Mode::Deep,
        Observer::Polling => Mode::Normal,
    };
    let root = header.cwd.as_path().to_path_buf();
    // The snapshot cap of this environment: the run's own is not recorded, and with none
    // at all every file would read as over the cap.
    let cap = snapshot::cap_from_env().unwrap_or(snapshot::DEFAULT_CAP_BYTES);
    let disk = Box::new(LiveDisk::new(&data.join("blobs"), cap));
    let mut folder = Folder::new(mode, &root, data, disk);
    let mut last_ns = 0;
    let mut root_exit = None;
    let mut root_pid = None;
    for event in log.by_ref() {
        let Ok(event) = event else { break };
        last_ns = last_ns.max(event.time_ns);
        match &event.kind {
            EventKind::Spawn { kind: runglass_model::CloneKind::Root, .. } => root_pid = Some(event.pid),
            EventKind::Exit { status } if Some(event.pid) == root_pid && event.pid == event.tid => {
                root_exit = Some(*status)
            }
            _ => {}
        }
        folder.observe(&event);
    }
    // A run whose receipt the data home refused (not a killed runglass) left a note of
    // what it could not store.
    let shortfall = Shortfall::load(dir);
    let message = match (root_exit, &shortfall) {
        (Some(exit), Some(s)) => format!("the receipt {}; the command {exit}", s.unwritten()),
        (None, Some(s)) if s.log.is_some() => format!(
            "the receipt {}, and the event log was cut before the command's end; this receipt was recovered from \
             what was kept",
            s.unwritten()
        ),
        (Some(exit), None) => format!("runglass stopped before it finished the receipt; the command {exit}"),
        (None, _) => {
            "runglass stopped while the command ran; this receipt was recovered from its event log".to_string()
        }
    };
    let status = match (root_exit, &shortfall) {
        (Some(ExitStatus::Code(0)), Some(_)) => RunStatus::Completed,
        (Some(_), Some(_)) => RunStatus::Failed,
        _ => RunStatus::Interrupted,
    };
    let mut output = output_files(dir);
    if let Some(shortfall) = &shortfall {
        shortfall.restore_streams(&mut output);
    }
    let facts = RunFacts {
        id: store::receipt_id(dir),
        ended_unix_ns: header.started_unix_ns + last_ns,
        header,
        mode,
        outcome: Outcome {
            status,
            exit: root_exit,
            exit_code: root_exit.map(|e| e.shell_code()),
            timeout_ms: None,
            message: Some(message),
        },
        output,
        changes: None,
        before: snapshot::load(&dir.join(store::SNAPSHOT_BEFORE)).ok().map(Arc::new),
        after: None,
        rules: Arc::new(snapshot::Rules::load(&root)),
        snapshot: SnapshotSummary::default(),
        root,
        // The directory the run started in is not in the event log: revert of a recovered
        // receipt relies on its walk from `/` alone (docs/revert.md).
        root_id: None,
        git: None,
        ci: None,
        docker: None,
        phases: Vec::new(),
        polling: None,
        limits: Vec::new(),
        output_cut_short: false,
        recovered: Some(Recovery { last_event_ms: receipt::ms(last_ns), command_ended: root_exit.is_some() }),
        artifacts: Artifacts {
            event_log: Some(store::EVENT_LOG.into()),
            survivors_log: dir.join(store::SURVIVOR_EVENT_LOG).exists().then(|| store::SURVIVOR_EVENT_LOG.into()),
            snapshot_before: dir.join(store::SNAPSHOT_BEFORE).exists().then(|| store::SNAPSHOT_BEFORE.into()),
            snapshot_after: None,
        },
        home: std::env::var_os("HOME").map(Into::into),
    };
    let mut receipt = receipt::build(facts, folder);
    if let Some(shortfall) = shortfall {
        let limits = &mut receipt.observation.limits;
        if let Some(stopped) = limits.iter_mut().find(|l| l.starts_with("runglass was stopped after the command ended"))
        {
            *stopped = "runglass could not write this receipt when the command ended; it was recovered from the event \
                        log and the files the run kept."
                .into();
        }
        shortfall.mark(&mut receipt);
    }
    Ok(receipt)
}

/// The output files a killed run left, as the receipt's output.
fn output_files(dir: &Path) -> Output {
    let dir = store::receipt_files::ReceiptDir::open(dir).ok();
    let stream = |name: &str| stream_from_file(dir.as_ref()?.open_file(name).ok()??, name).ok();
    if let Some(t) = stream("transcript") {
        return Output { capture: CaptureMode::Pty, stdout: None, stderr: None, transcript: Some(t) };
    }
    let (stdout, stderr) = (stream("stdout"), stream("stderr"));
    let capture = if stdout.is_some() || stderr.is_some() { CaptureMode::Pipes } else { CaptureMode::None };
    Output { capture, stdout, stderr, transcript: None }
}

/// An output file as a finished run would have kept it: the same excerpt, read through.
fn stream_from_file(mut file: std::fs::File, name: &str) -> std::io::Result<Stream> {
    let mut excerpt = Excerpt::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(excerpt.into_stream(name)),
            n => excerpt.push(&buf[..n]),
        }
    }
}
