//! The event log as the engine's sink: events encoded into a buffer during a stop, and
//! written with one write(2) before the tracee is resumed, so that a runglass killed at
//! any moment leaves every event of what the command already did in the log (in the page
//! cache: no fsync, a crash of the machine is another matter).
//!
//! The command runs as the same user and may truncate, replace or fill the disk under the
//! log. A write error never stops tracing nor holds the tracee: the first one is kept, the
//! log is written no further (it ends at most in a torn frame, which readers take as its
//! end), the events that follow are counted, and all of it is reported when the run ends,
//! for the receipt to say what its observation lacks.

use runglass_model::Event;
use runglass_model::log::{LogError, LogWriter};
use runglass_tracer::EventSink;

pub struct LogSink {
    writer: LogWriter,
    error: Option<LogError>,
    /// Events handed to the writer since its last successful flush, and the time of the
    /// first of them: if the flush fails, they may not have reached the log.
    unflushed: u64,
    unflushed_from_ns: Option<u64>,
    /// Events not written for certain since the error (counting the unflushed ones then).
    lost: u64,
    lost_from_ns: u64,
}

/// How a log's writing went, once the run ended.
pub enum LogEnd {
    /// Every event is in the log; the writer, to sync it.
    Whole(LogWriter),
    /// The log could not be written from some point on.
    Cut(LogCut),
}

pub struct LogCut {
    pub error: LogError,
    /// Events that may be missing from the log: the log holds none, or only the first,
    /// of them.
    pub lost_events: u64,
    /// The time of the first of them, in ns since the log's start: the log is whole up to
    /// then.
    pub from_ns: u64,
}

impl LogSink {
    pub fn new(writer: LogWriter) -> Self {
        LogSink { writer, error: None, unflushed: 0, unflushed_from_ns: None, lost: 0, lost_from_ns: 0 }
    }

    /// Writes what is buffered, and says whether the log holds every event.
    pub fn finish(mut self) -> LogEnd {
        self.flush();
        match self.error {
            Some(error) => LogEnd::Cut(LogCut { error, lost_events: self.lost, from_ns: self.lost_from_ns }),
            None => LogEnd::Whole(self.writer),
        }
    }

    fn fail(&mut self, error: LogError, now_ns: u64) {
        self.error = Some(error);
        self.lost = self.unflushed;
        self.lost_from_ns = self.unflushed_from_ns.unwrap_or(now_ns);
    }
}

impl EventSink for LogSink {
    fn event(&mut self, event: Event) {
        if self.error.is_some() {
            self.lost += 1;
            return;
        }
        self.unflushed += 1;
        self.unflushed_from_ns.get_or_insert(event.time_ns);
        if let Err(e) = self.writer.append(&event) {
            self.fail(e, event.time_ns);
        }
    }

    fn flush(&mut self) {
        if self.error.is_some() {
            return;
        }
        match self.writer.flush() {
            Ok(()) => {
                self.unflushed = 0;
                self.unflushed_from_ns = None;
            }
            Err(e) => self.fail(e, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::log::{LogHeader, LogReader, Observer};
    use runglass_model::{ByteString, EventKind, ExitStatus};

    fn header() -> LogHeader {
        LogHeader {
            runglass_version: "test".into(),
            started_unix_ns: 1,
            argv: vec![ByteString::from("true")],
            cwd: ByteString::from("/"),
            reads: false,
            observer: Observer::Trace,
        }
    }

    fn exit(pid: u32) -> Event {
        Event { time_ns: u64::from(pid), pid, tid: pid, kind: EventKind::Exit { status: ExitStatus::Code(0) } }
    }

    #[test]
    fn events_are_in_the_file_once_flushed_without_finishing_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let mut sink = LogSink::new(LogWriter::create(&path, &header()).unwrap());
        sink.event(exit(7));
        sink.event(exit(8));
        sink.flush();
        // Read back while the sink is still alive: a runglass killed now left this.
        let pids: Vec<u32> = LogReader::open(&path).unwrap().map(|e| e.unwrap().pid).collect();
        assert_eq!(pids, [7, 8]);
        drop(sink);
    }
}
