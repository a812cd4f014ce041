//! What a run could not store: the output, events, manifests and contents that a full (or
//! failing) data home refused. The command is never held or failed for it: the run goes
//! on, and the shortfall is said three times, each true to what was kept: in the receipt
//! (its limits and coverage), in one line on stderr, and, when even the receipt could not
//! be written, in `shortfall.json` beside what was, for the receipt recovered from it.

use std::path::Path;

use runglass_model::Receipt;
use runglass_model::receipt::{Confidence, Output, Source, Stream};
use serde::{Deserialize, Serialize};

use crate::store::{self, space};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    /// The first write error, in one line (`writing /x/stdout: No space left on device ...`).
    pub first_error: Option<String>,
    /// Whether a write was refused for lack of space or quota (ENOSPC, EDQUOT).
    pub full: bool,
    /// Output streams whose file holds less than the stream.
    pub streams: Vec<StreamKept>,
    /// The event log could not be written from some point on.
    pub log: Option<LogKept>,
    /// The after-snapshot's manifest was not stored.
    pub snapshot_after: bool,
    /// The before-snapshot's manifest was not updated with the trace's captures.
    pub snapshot_before_marks: bool,
    /// File contents the snapshots did not keep in the blob store.
    pub contents: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamKept {
    pub file: String,
    pub bytes: u64,
    pub stored: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogKept {
    /// Events that may be missing from the log.
    pub lost_events: u64,
    /// The log is whole up to this time, in ms from the command's start.
    pub from_ms: u64,
}

impl Shortfall {
    /// Records a failed write (the first one's message is kept).
    pub fn note(&mut self, e: &anyhow::Error) {
        self.full |= space::is_full(e);
        self.first_error.get_or_insert_with(|| format!("{e:#}"));
    }

    /// The streams of `output` whose file holds less than them.
    pub fn note_streams(&mut self, output: &Output) {
        for s in [&output.stdout, &output.stderr, &output.transcript].into_iter().flatten() {
            if let Some(stored) = s.stored_bytes {
                self.streams.push(StreamKept { file: s.file.clone(), bytes: s.bytes, stored });
            }
        }
    }

    /// Contents the blob store did not keep for lack of space.
    pub fn note_contents(&mut self, refused: u64) {
        if refused > 0 {
            self.full = true;
            self.contents += refused;
            self.first_error.get_or_insert_with(|| "storing file contents: no space left on device".to_string());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.first_error.is_none()
    }

    /// Why the receipt was not written, after "the receipt": for a recovered receipt.
    pub fn unwritten(&self) -> &'static str {
        if self.full { "could not be written: the data home was full" } else { "could not be written" }
    }

    /// Why, for the receipt: "the data home was full" or the error.
    fn cause(&self) -> String {
        match (&self.first_error, self.full) {
            (_, true) => "The data home was full".to_string(),
            (Some(e), false) => format!("The data home could not be written ({e})"),
            (None, false) => "The data home could not be written".to_string(),
        }
    }

    /// Says in `receipt` what it lacks: one limit for each part not stored, and the
    /// coverage of what the lost events would have shown made partial.
    pub fn mark(&self, receipt: &mut Receipt) {
        if self.is_empty() {
            return;
        }
        let cause = self.cause();
        let limits = &mut receipt.observation.limits;
        for s in &self.streams {
            limits.push(format!(
                "{cause}: the file {} holds only the first {} of the {} bytes the command wrote there.",
                s.file, s.stored, s.bytes
            ));
        }
        if let Some(log) = &self.log {
            limits.push(format!(
                "{cause}: the event log could not be written from {} ms into the run on; {} event(s) from then on \
                 are missing from it and from this receipt, so processes, file operations and connections after \
                 that moment may be missing.",
                log.from_ms, log.lost_events
            ));
            for c in &mut receipt.observation.coverage {
                if matches!(c.source, Some(Source::Trace | Source::Polling)) && c.confidence == Confidence::Complete {
                    c.confidence = Confidence::Partial;
                    c.note.push_str(&format!(
                        " Only until {} ms into the run: the event log was cut there.",
                        log.from_ms
                    ));
                }
            }
        }
        if !self.streams.is_empty() {
            for c in &mut receipt.observation.coverage {
                if c.source == Some(Source::Capture) {
                    c.confidence = Confidence::Partial;
                    c.note.push_str(" Every byte was counted and passed on, but the stored files are cut short.");
                }
            }
        }
        if self.snapshot_after {
            limits.push(format!(
                "{cause}: the after-snapshot's manifest was not stored; the changes listed were compared before it \
                 was lost."
            ));
        }
        if self.snapshot_before_marks {
            limits.push(format!(
                "{cause}: the before-snapshot's manifest does not note which contents the trace captured."
            ));
        }
        if self.contents > 0 {
            limits.push(format!(
                "{cause}: {} file content(s) were not kept in the blob store: the diffs that need them cannot be \
                 shown, and revert cannot restore a state whose content is missing.",
                self.contents
            ));
        }
        if let Some(e) = &self.first_error
            && self.full
        {
            limits.push(format!("The first write refused: {e}."));
        }
    }

    /// With the event log cut, a process whose end is not in it may well have ended: only
    /// the survivors the observer itself still saw at the end (`known`, by pid) outlived the
    /// command, and the limit counting them says so.
    pub fn unclaim_survivors(&self, receipt: &mut Receipt, known: &[u32]) {
        if self.log.is_none() {
            return;
        }
        let mut outlived = 0;
        for p in &mut receipt.processes {
            if p.outlived_command && p.ended_ms.is_none() && !known.contains(&p.pid) {
                p.outlived_command = false;
            }
            outlived += usize::from(p.outlived_command);
        }
        let limits = &mut receipt.observation.limits;
        let counted = |l: &String| l.contains(" process(es) were still running when the command ended;");
        if let Some(at) = limits.iter().position(counted) {
            if outlived == 0 {
                limits.remove(at);
            } else {
                limits[at] = format!(
                    "{outlived} process(es) were still running when the command ended; their later actions are not \
                     in this receipt."
                );
            }
        }
    }

    /// The one line runglass prints about it, naming what was kept.
    pub fn line(&self, data: &Path, id: &str, receipt_written: bool) -> String {
        let why = if self.full {
            format!("the data home {} is full (ENOSPC)", data.display())
        } else {
            format!(
                "the data home {} could not be written ({})",
                data.display(),
                self.first_error.as_deref().unwrap_or("unknown error")
            )
        };
        let mut kept: Vec<String> = Vec::new();
        for s in &self.streams {
            kept.push(format!("{} of {} of {}", size(s.stored), size(s.bytes), s.file));
        }
        if let Some(log) = &self.log {
            kept.push(format!("the event log up to {} ms ({} later event(s) lost)", log.from_ms, log.lost_events));
        }
        let mut lost: Vec<String> = Vec::new();
        if self.snapshot_after {
            lost.push("the after-snapshot manifest".to_string());
        }
        if self.snapshot_before_marks {
            lost.push("the before-snapshot's capture marks".to_string());
        }
        if self.contents > 0 {
            lost.push(format!("{} file content(s)", self.contents));
        }
        let mut what = Vec::new();
        if !kept.is_empty() {
            what.push(format!("keeps {}", join(&kept)));
        }
        if !lost.is_empty() {
            what.push(format!("lacks {}", join(&lost)));
        }
        let what = if what.is_empty() { "is incomplete".to_string() } else { what.join(" but ") };
        if receipt_written {
            format!(
                "runglass: {why}: the receipt of run {id} {what}, and says so in its limits; free space before the \
                 next run"
            )
        } else {
            format!(
                "runglass: {why}: receipt.json of run {id} could not be written; the run {what}; free space, then \
                 `runglass report {id}` recovers its receipt"
            )
        }
    }

    /// Saves this beside a run whose receipt could not be written, for recovery. Best
    /// effort: with no room even for it, recovery reads the files as they are.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec(self)?;
        store::atomic::replace(&dir.join(store::SHORTFALL_FILE), &json)
    }

    /// The shortfall saved in `dir`, if any.
    pub fn load(dir: &Path) -> Option<Shortfall> {
        let bytes = std::fs::read(dir.join(store::SHORTFALL_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Gives the recovered `output` the real length of each stream cut short.
    pub fn restore_streams(&self, output: &mut Output) {
        let streams = [&mut output.stdout, &mut output.stderr, &mut output.transcript];
        for s in streams.into_iter().flatten() {
            if let Some(kept) = self.streams.iter().find(|k| k.file == s.file) {
                restore(s, kept);
            }
        }
    }
}

/// A stream read back from its cut file: its excerpt's tail is the end of what was
/// stored, not of the stream, so only the head is kept.
fn restore(s: &mut Stream, kept: &StreamKept) {
    s.stored_bytes = Some(s.bytes.min(kept.stored));
    if kept.bytes > s.bytes {
        s.bytes = kept.bytes;
        s.truncated = true;
        s.tail = Default::default();
        s.head.0.truncate(crate::record::output::excerpt::HEAD);
    }
}

fn join(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `4.9 MiB`, `12.0 KiB`, `300 bytes`.
pub fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_stdout() -> Shortfall {
        let mut s = Shortfall::default();
        let e = anyhow::Error::from(std::io::Error::from_raw_os_error(libc::ENOSPC)).context("writing /d/stdout");
        s.note(&e);
        s.streams.push(StreamKept { file: "stdout".into(), bytes: 20 << 20, stored: 5_234_688 });
        s
    }

    #[test]
    fn the_line_names_what_was_kept_of_what() {
        let line = full_stdout().line(Path::new("/d"), "ID", true);
        assert_eq!(
            line,
            "runglass: the data home /d is full (ENOSPC): the receipt of run ID keeps 5.0 MiB of 20.0 MiB of stdout, \
             and says so in its limits; free space before the next run"
        );
        let line = full_stdout().line(Path::new("/d"), "ID", false);
        assert!(line.contains("receipt.json of run ID could not be written; the run keeps 5.0 MiB"), "{line}");
        assert!(line.ends_with("`runglass report ID` recovers its receipt"), "{line}");
    }

    #[test]
    fn a_recovered_stream_gets_its_real_length_and_no_tail_from_the_cut_file() {
        let mut stream = Stream {
            file: "stdout".into(),
            bytes: 5_234_688,
            head: vec![b'x'; 8192].into(),
            tail: vec![b'x'; 8192].into(),
            truncated: true,
            stored_bytes: None,
        };
        restore(&mut stream, &full_stdout().streams[0]);
        assert_eq!((stream.bytes, stream.stored_bytes, stream.tail.0.len()), (20 << 20, Some(5_234_688), 0));
    }
}
