//! Taking a snapshot: one walk of the tree, then the files the stat cache cannot vouch for
//! are read (hashed, and stored when asked) on a few threads.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::anyhow;
use runglass_model::receipt::FileKind;

use crate::store::blobs::BlobStore;

use super::content::{self, Outcome};
use super::progress::Progress;
use super::rules::{IGNORE_FILE, Rules};
use super::{Entry, Manifest, SnapshotError, SnapshotOptions, StatCache, Stats, walk};

/// Reading threads at most: hashing is fast enough that more mostly contend for the disk.
const MAX_THREADS: usize = 4;

/// A file to read.
struct Job {
    /// Its place in the list of entries.
    index: usize,
    path: PathBuf,
    meta: Metadata,
}

/// Snapshots `root` (canonical) by `rules`. Fails only when the root itself cannot be read,
/// or when the blob store cannot be written; entries that cannot be read are listed in the
/// stats.
///
/// The snapshots around a command share the rules loaded before it ran: rules read
/// afterwards would let the command hide what it made by writing `.runglassignore`.
pub fn take(
    root: &Path,
    rules: &Rules,
    opts: &SnapshotOptions,
    blobs: &BlobStore,
    cache: &mut StatCache,
) -> Result<Manifest, SnapshotError> {
    let started = Instant::now();
    let started_ns = crate::store::unix_now_ns() as i64;
    check_root(root)?;
    let exclude = canonical(&opts.exclude);
    let progress = Progress::new(opts.progress);
    let walk = walk::walk(root, rules, &exclude, &progress);

    let mut stats = Stats {
        ignored: walk.skipped.len() as u64,
        cap_bytes: opts.cap_bytes,
        unreadable: walk.unreadable,
        ignore_sources: rules.sources.clone(),
        ..Stats::default()
    };
    if let Some(reason) = &rules.unreadable {
        stats.unreadable.push((IGNORE_FILE.as_bytes().to_vec(), reason.clone()));
    }
    let mut entries = Vec::with_capacity(walk.found.len());
    let mut jobs = Vec::new();
    for found in walk.found {
        let mut entry = entry_of(&found.meta);
        match entry.kind {
            FileKind::Symlink => match std::fs::read_link(&found.path) {
                Ok(target) => entry.target = Some(target.into_os_string().into_vec()),
                Err(e) => stats.unreadable.push((found.rel.clone(), e.to_string())),
            },
            FileKind::File if entry.size > opts.cap_bytes => {
                entry.capped = true;
                stats.capped.push(found.rel.clone());
            }
            FileKind::File => match cache.hash(&found.rel, &entry) {
                Some(hash) if !opts.store_contents => entry.hash = Some(hash),
                Some(hash) if blobs.contains(&blake3::Hash::from_bytes(hash)) => {
                    entry.hash = Some(hash);
                    entry.stored = true;
                }
                _ => jobs.push(Job { index: entries.len(), path: found.path, meta: found.meta }),
            },
            FileKind::Dir | FileKind::Other => {}
        }
        entries.push((found.rel, entry));
    }

    progress.reading(jobs.iter().map(|j| j.meta.len()).sum());
    let outcomes = read_all(&jobs, opts, blobs, &progress)?;
    for (job, outcome) in jobs.iter().zip(outcomes) {
        let (rel, entry) = &mut entries[job.index];
        match outcome {
            Outcome::Read { hash, len, stored } => {
                entry.hash = Some(hash);
                entry.stored = stored;
                stats.bytes_hashed += len;
            }
            Outcome::OverCap => {
                entry.capped = true;
                stats.capped.push(rel.clone());
            }
            Outcome::Unreadable(reason) => stats.unreadable.push((rel.clone(), reason)),
        }
    }

    let entries: BTreeMap<Vec<u8>, Entry> = entries.into_iter().collect();
    cache.replace(entries.iter(), started_ns);
    stats.entries = entries.len() as u64;
    stats.capped.sort();
    stats.unreadable.sort();
    stats.took_ms = started.elapsed().as_millis() as u64;
    Ok(Manifest { root: root.to_path_buf(), entries, stats })
}

/// One clear line when the root cannot be listed: nothing could be snapshotted.
pub(super) fn check_root(root: &Path) -> Result<(), SnapshotError> {
    match std::fs::read_dir(root) {
        Ok(_) => Ok(()),
        Err(source) => Err(SnapshotError::RootUnreadable { root: root.to_path_buf(), source }),
    }
}

/// The exclusions as the walk will see them (the walk compares canonical paths).
pub(super) fn canonical(exclude: &[PathBuf]) -> Vec<PathBuf> {
    exclude.iter().map(|x| std::fs::canonicalize(x).unwrap_or_else(|_| x.clone())).collect()
}

/// What kind of thing `meta` describes, as receipts name it.
pub(crate) fn kind_of(meta: &Metadata) -> FileKind {
    let file_type = meta.file_type();
    if file_type.is_file() {
        FileKind::File
    } else if file_type.is_dir() {
        FileKind::Dir
    } else if file_type.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::Other
    }
}

/// A time from `stat` (seconds and nanoseconds) in nanoseconds since the epoch.
pub(crate) fn nanos(secs: i64, nsec: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(nsec)
}

fn entry_of(meta: &Metadata) -> Entry {
    Entry {
        kind: kind_of(meta),
        size: meta.len(),
        mode: meta.mode() & 0o7777,
        mtime_ns: nanos(meta.mtime(), meta.mtime_nsec()),
        ctime_ns: nanos(meta.ctime(), meta.ctime_nsec()),
        ino: meta.ino(),
        dev: meta.dev(),
        hash: None,
        target: None,
        capped: false,
        stored: false,
        uid: Some(meta.uid()),
        gid: Some(meta.gid()),
    }
}

/// Reads every job, on up to [`MAX_THREADS`] threads, returning outcomes in job order.
fn read_all(
    jobs: &[Job],
    opts: &SnapshotOptions,
    blobs: &BlobStore,
    progress: &Progress,
) -> anyhow::Result<Vec<Outcome>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS).min(jobs.len());
    let store = opts.store_contents.then_some(blobs);
    let next = AtomicUsize::new(0);
    let worker = || -> anyhow::Result<Vec<(usize, Outcome)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { return Ok(done) };
            match content::read(&job.path, &job.meta, opts.cap_bytes, store, progress) {
                Ok(outcome) => done.push((i, outcome)),
                Err(e) => {
                    // The store is failing: stop the other threads too.
                    next.fetch_max(jobs.len(), Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
    };
    let results: Vec<anyhow::Result<Vec<(usize, Outcome)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a snapshot thread panicked")))).collect()
    });
    let mut outcomes: Vec<Option<Outcome>> = jobs.iter().map(|_| None).collect();
    for result in results {
        for (i, outcome) in result? {
            outcomes[i] = Some(outcome);
        }
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::Unreadable("not read".to_string()))).collect())
}
