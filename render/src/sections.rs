//! What each section of a text report shows, taken from the receipt once: the selection,
//! the counts, the cuts (`... N more`), and when a section has nothing to show. The
//! formats (`markdown`, `terminal`, `ai`, `summary_md`) only say how it looks; the order
//! and which sections each takes are in [`crate::scaffold`].

use std::collections::BTreeSet;

use runglass_model::ByteString;
use runglass_model::receipt::{
    ChangeKind, Diff, FileChange, FileRead, GitInfo, Listener, Lookup, OutsideChange, Peer, Probe, Receipt, RiskNote,
    RunStatus, Stream, TimelineEntry, TransientPath, UnixSocket, Unreadable,
};

use crate::shape::Shape;
use crate::text::kind_counts;
use crate::{docker_lines, git_lines, process_tree};

/// The first `max` of a list and how many were left out.
pub(crate) struct Cut<T> {
    pub shown: Vec<T>,
    pub left_out: usize,
}

impl<T> Cut<T> {
    pub fn new(items: impl IntoIterator<Item = T>, max: usize) -> Cut<T> {
        let mut shown = Vec::new();
        let mut left_out = 0;
        for item in items {
            if shown.len() < max {
                shown.push(item);
            } else {
                left_out += 1;
            }
        }
        Cut { shown, left_out }
    }

    pub fn total(&self) -> usize {
        self.shown.len() + self.left_out
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty() && self.left_out == 0
    }
}

/// The risk notes, each with its evidence cut. Empty when none was noted.
pub(crate) struct Risk<'a> {
    pub level: &'static str,
    pub notes: Cut<Note<'a>>,
}

pub(crate) struct Note<'a> {
    pub note: &'a RiskNote,
    pub evidence: Cut<&'a String>,
}

pub(crate) fn risk<'a>(r: &'a Receipt, shape: &Shape) -> Risk<'a> {
    let notes = r.risk.notes.iter().map(|note| Note { note, evidence: Cut::new(&note.evidence, shape.evidence) });
    Risk { level: r.risk.level.as_str(), notes: Cut::new(notes, shape.notes) }
}

/// The counted changes inside the working directory: those the snapshots walked, then one
/// group per directory they skip (where only the trace saw changes).
pub(crate) struct Files<'a> {
    /// `2 created, 1 modified, 0 deleted` of every counted change.
    pub kinds: String,
    /// Every counted change in the receipt's order, cut (for formats that do not group).
    pub all: Cut<&'a FileChange>,
    pub walked: Cut<&'a FileChange>,
    pub skipped: Vec<SkippedDir<'a>>,
}

pub(crate) struct SkippedDir<'a> {
    pub dir: &'a ByteString,
    pub kinds: String,
    pub changes: Cut<&'a FileChange>,
}

pub(crate) fn files<'a>(r: &'a Receipt, shape: &Shape) -> Files<'a> {
    let f = &r.files;
    let skipped = f
        .skipped_groups()
        .into_iter()
        .map(|(dir, changes)| SkippedDir {
            dir,
            kinds: kind_counts(changes.iter().map(|c| c.change)),
            changes: Cut::new(changes, shape.group_rows),
        })
        .collect();
    Files {
        kinds: kind_counts(f.counted_changes().map(|c| c.change)),
        all: Cut::new(f.counted_changes(), shape.rows),
        walked: Cut::new(f.counted_changes().filter(|c| c.skipped_dir.is_none()), shape.rows),
        skipped,
    }
}

/// The paths folded away instead of counted: made and removed within the run, or opened
/// for writing and left as they were. None when there are none.
pub(crate) struct NotCounted<'a> {
    /// A few examples of the transient paths, and how many there are.
    pub transient: Cut<&'a TransientPath>,
    pub unchanged: usize,
}

/// Transient paths named as examples.
const TRANSIENT_EXAMPLES: usize = 3;

pub(crate) fn not_counted(r: &Receipt) -> Option<NotCounted<'_>> {
    let f = &r.files;
    let unchanged = f.changes.len() + f.outside.len() - f.changed_count();
    let transient = Cut::new(&f.transient, TRANSIENT_EXAMPLES);
    (!transient.is_empty() || unchanged > 0).then_some(NotCounted { transient, unchanged })
}

/// The text diffs that have content, cut. None when there are none.
pub(crate) fn diffs<'a>(r: &'a Receipt, shape: &Shape) -> Option<Cut<&'a FileChange>> {
    let texts = r.files.changes.iter().filter(|c| matches!(&c.diff, Diff::Text { unified, .. } if !unified.is_empty()));
    Some(Cut::new(texts, shape.diffs)).filter(|c| !c.is_empty())
}

/// Counted changes outside the working directory. None when there are none.
pub(crate) struct Outside<'a> {
    pub kinds: String,
    pub changes: Cut<&'a OutsideChange>,
}

pub(crate) fn outside<'a>(r: &'a Receipt, shape: &Shape) -> Option<Outside<'a>> {
    let changes = Cut::new(r.files.counted_outside(), shape.rows);
    let kinds = kind_counts(r.files.counted_outside().map(|c| c.change));
    (!changes.is_empty()).then_some(Outside { kinds, changes })
}

/// The files the tree read. None when none was recorded.
pub(crate) fn reads<'a>(r: &'a Receipt, shape: &Shape) -> Option<Cut<&'a FileRead>> {
    Some(Cut::new(&r.files.reads, shape.reads)).filter(|c| !c.is_empty())
}

/// What the command did in git. None outside a repository; its `lines` are empty when the
/// command changed nothing git shows line by line.
pub(crate) struct Git<'a> {
    pub info: &'a GitInfo,
    pub lines: Cut<String>,
}

pub(crate) fn git<'a>(r: &'a Receipt, shape: &Shape) -> Option<Git<'a>> {
    let info = r.git.as_ref()?;
    Some(Git { info, lines: Cut::new(git_lines::lines(info), shape.git_lines) })
}

/// The process tree as lines, each process under its parent.
pub(crate) struct Processes {
    pub count: usize,
    pub tree: Cut<String>,
}

pub(crate) fn processes(r: &Receipt, shape: &Shape) -> Processes {
    let (lines, left_out) = process_tree::text_lines(&r.processes, shape.processes, shape.command);
    Processes { count: r.processes.len(), tree: Cut { shown: lines, left_out } }
}

/// The network, each list cut.
pub(crate) struct Network<'a> {
    pub probes: Cut<&'a Probe>,
    pub outbound: Cut<&'a Peer>,
    pub listening: Cut<&'a Listener>,
    pub lookups: Cut<&'a Lookup>,
    pub unix: Cut<&'a UnixSocket>,
}

/// Address probes named before the rest are summed up.
const PROBES: usize = 5;

impl Network<'_> {
    pub fn is_empty(&self) -> bool {
        self.probes.is_empty()
            && self.outbound.is_empty()
            && self.listening.is_empty()
            && self.lookups.is_empty()
            && self.unix.is_empty()
    }
}

pub(crate) fn network<'a>(r: &'a Receipt, shape: &Shape) -> Network<'a> {
    let n = &r.network;
    Network {
        probes: Cut::new(&n.probes, PROBES),
        outbound: Cut::new(&n.outbound, shape.network),
        listening: Cut::new(&n.listening, shape.network),
        lookups: Cut::new(&n.lookups, shape.network),
        unix: Cut::new(&n.unix, shape.network),
    }
}

/// What the Docker engine showed. None for receipts that did not look at Docker.
pub(crate) enum Docker<'a> {
    /// The engine could not be read: the one line that says so.
    Unread(String),
    /// The engine was read: its address and the changes, one line each (empty when none).
    Read { host: &'a str, lines: Cut<String> },
}

pub(crate) fn docker<'a>(r: &'a Receipt, shape: &Shape) -> Option<Docker<'a>> {
    let d = r.docker.as_ref()?;
    Some(match docker_lines::unavailable(d) {
        Some(line) => Docker::Unread(line),
        None => Docker::Read { host: &d.host, lines: Cut::new(docker_lines::lines(d), shape.docker_lines) },
    })
}

/// The timeline's first and last entries. None when it is empty.
pub(crate) struct Timeline<'a> {
    pub head: &'a [TimelineEntry],
    /// Entries between head and tail that are not shown (0 when all are).
    pub left_out: usize,
    pub tail: &'a [TimelineEntry],
    /// Entries the receipt itself left out.
    pub omitted: u64,
}

pub(crate) fn timeline<'a>(r: &'a Receipt, shape: &Shape) -> Option<Timeline<'a>> {
    let entries = &r.timeline.entries;
    if entries.is_empty() {
        return None;
    }
    let (head, tail) = shape.timeline;
    let (head, left_out, tail) = if entries.len() > head + tail {
        (&entries[..head], entries.len() - head - tail, &entries[entries.len() - tail..])
    } else {
        (&entries[..], 0, &entries[..0])
    };
    Some(Timeline { head, left_out, tail, omitted: r.timeline.omitted })
}

/// The captured streams, and the one a failure shows in.
pub(crate) struct Output<'a> {
    /// Each captured stream by name, in the receipt's order (stdout, stderr, the terminal).
    pub streams: Vec<(&'static str, &'a Stream)>,
    /// When the command did not complete: stderr first (where failures go), else the
    /// terminal transcript or stdout, the first that holds anything.
    pub failing: Option<&'a Stream>,
}

pub(crate) fn output(r: &Receipt) -> Output<'_> {
    let o = &r.output;
    let streams = [("stdout", &o.stdout), ("stderr", &o.stderr), ("terminal", &o.transcript)];
    let streams = streams.into_iter().filter_map(|(name, s)| s.as_ref().map(|s| (name, s))).collect();
    let failing = [&o.stderr, &o.transcript, &o.stdout].into_iter().flatten().find(|s| s.bytes > 0);
    Output { streams, failing: failing.filter(|_| !matches!(r.outcome.status, RunStatus::Completed)) }
}

/// The last `max` lines a stream holds (its tail when it was cut, else its head), shown
/// escaped, and whether anything came before them.
pub(crate) fn last_lines(s: &Stream, max: usize) -> (Vec<String>, bool) {
    let text = if s.truncated { s.tail.printable() } else { s.head.printable() };
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(max);
    (lines[from..].iter().map(|l| l.to_string()).collect(), from > 0 || s.truncated)
}

/// What the receipt saw and could not see.
pub(crate) struct Observation<'a> {
    /// Aspect, source, confidence and note of each coverage row, in the receipt's own words.
    pub coverage: Vec<[String; 4]>,
    pub capped: Cut<&'a ByteString>,
    pub unreadable: Cut<&'a Unreadable>,
    pub limits: &'a [String],
    pub artifacts: Vec<&'a str>,
}

pub(crate) fn observation<'a>(r: &'a Receipt, shape: &Shape) -> Observation<'a> {
    // The receipt's own names for aspects, sources and confidences.
    let name = |v: serde_json::Value| v.as_str().unwrap_or_default().replace('_', " ");
    let coverage = r
        .observation
        .coverage
        .iter()
        .map(|c| {
            let source = c.source.map_or_else(|| "not observed".into(), |s| name(serde_json::json!(s)));
            [name(serde_json::json!(c.aspect)), source, name(serde_json::json!(c.confidence)), c.note.clone()]
        })
        .collect();
    let s = &r.files.snapshot;
    Observation {
        coverage,
        capped: Cut::new(&s.capped, shape.rows),
        unreadable: Cut::new(&s.unreadable, shape.rows),
        limits: &r.observation.limits,
        artifacts: r.artifact_files(),
    }
}

/// The counts at the top of a short summary.
pub(crate) struct Counts<'a> {
    pub created: usize,
    pub modified: usize,
    pub deleted: usize,
    pub type_changed: usize,
    pub outside: usize,
    pub processes: usize,
    /// Distinct peers by name (or address).
    pub hosts: usize,
    /// Distinct (protocol, port) listened on.
    pub ports: usize,
    /// Each directory the snapshots skip, with how many changes the trace saw in it.
    pub skipped: Vec<(&'a ByteString, usize)>,
}

pub(crate) fn counts(r: &Receipt) -> Counts<'_> {
    let count = |k| r.files.count_of(k);
    let hosts: BTreeSet<&str> = r.network.outbound.iter().map(|p| p.host.as_deref().unwrap_or(&p.address)).collect();
    let ports: BTreeSet<(&str, u16)> = r.network.listening.iter().map(|l| (l.protocol.as_str(), l.port)).collect();
    Counts {
        created: count(ChangeKind::Created),
        modified: count(ChangeKind::Modified),
        deleted: count(ChangeKind::Deleted),
        type_changed: count(ChangeKind::TypeChanged),
        outside: r.files.counted_outside().count(),
        processes: r.processes.len(),
        hosts: hosts.len(),
        ports: ports.len(),
        skipped: r.files.skipped_groups().into_iter().map(|(dir, changes)| (dir, changes.len())).collect(),
    }
}
