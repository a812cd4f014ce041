//! The event log as the engine's sink: events encoded into a buffer during a stop, and
//! written with one write(2) before the tracee is resumed, so that a runglass killed at
//! any moment leaves every event of what the command already did in the log (in the page
//! cache: no fsync, a crash of the machine is another matter).
//!
//! The command runs as the same user and may truncate, replace or fill the disk under the
//! log. A write error never stops tracing: the first one is kept, the log is written no
//! further, and the error is reported when the run ends.

use runglass_model::Event;
use runglass_model::log::{LogError, LogWriter};
use runglass_tracer::EventSink;

pub struct LogSink {
    writer: LogWriter,
    error: Option<LogError>,
}

impl LogSink {
    pub fn new(writer: LogWriter) -> Self {
        LogSink { writer, error: None }
    }

    /// Writes what is buffered, and returns the first error met, if any.
    pub fn finish(mut self) -> Result<LogWriter, LogError> {
        self.flush();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.writer),
        }
    }
}

impl EventSink for LogSink {
    fn event(&mut self, event: Event) {
        if self.error.is_none() {
            self.error = self.writer.append(&event).err();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            self.error = self.writer.flush().err();
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
