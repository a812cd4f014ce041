//! The event log: a versioned header, then length-delimited frames.
//!
//! Layout on disk:
//!
//! ```text
//! magic     8 bytes   "RGEVLOG\0"
//! version   u16 LE    FORMAT_VERSION
//! frames    repeated: the payload's length (a LEB128 varint; before format 4, u32 LE),
//!           then the payload
//! ```
//!
//! The first frame is a [`LogHeader`] in postcard; every later frame is an [`Event`], in the
//! compact encoding of [`compact`] (before format 4: postcard). Frames are only ever appended
//! whole, and the writer hands them to the kernel promptly, so a writer killed with SIGKILL
//! leaves a log that [`LogReader`] reads back up to its last whole frame (a torn final frame
//! is reported, not treated as corruption).

mod compact;
mod legacy;
mod varint;

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{ByteString, Event};

pub const MAGIC: &[u8; 8] = b"RGEVLOG\0";
/// The version this build writes. Bump it on any incompatible change of the frames.
/// 3 added the `before` event (captured before-states), which version 2 readers cannot
/// decode; version 2 logs are version 3 logs without it. 4 changed the framing to varint
/// lengths and the events to the compact encoding (a fifth of the size on fork-heavy work).
/// 5 added the socket type to connect and bind, and the `dns_answer` and `hosts_name` events.
/// 6 added owners and extended attributes to captured states, the path as named to opens and
/// file operations, the chown, setxattr, removexattr and mknod operations, and the
/// `connect_result` and `io_uring_setup` events (older logs are read through [`legacy`]).
/// 7 added the `privileges_dropped` event, appended last: a version 6 log is a version 7 log
/// without it, and a version 6 reader refuses version 7 logs rather than call one corrupt.
pub const FORMAT_VERSION: u16 = 7;
/// The first version with varint frame lengths and compact events.
const COMPACT_VERSION: u16 = 4;
/// The oldest version this build still reads (1 lacked the header's `observer`).
pub const MIN_READ_VERSION: u16 = 2;
/// No frame is larger than this; a larger length prefix means the log is corrupt.
pub const MAX_FRAME_LEN: u32 = 16 << 20;

/// What the log is about; the first frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogHeader {
    /// Version of the runglass that started the log.
    pub runglass_version: String,
    /// Wall-clock start, nanoseconds since the Unix epoch; event times are relative to it.
    pub started_unix_ns: u64,
    pub argv: Vec<ByteString>,
    pub cwd: ByteString,
    /// Whether read-only opens were traced.
    pub reads: bool,
    /// What produced the events.
    pub observer: Observer,
}

/// What wrote a log's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observer {
    /// The ptrace engine (`run --deep`, `trace`): every occurrence.
    Trace,
    /// Polling /proc (`run` in normal mode): what was there when a poll looked.
    Polling,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: not a runglass event log (bad magic bytes)")]
    NotALog { path: PathBuf },
    #[error(
        "{path}: event log format {found} is newer than this runglass reads (up to {FORMAT_VERSION}); upgrade runglass"
    )]
    TooNew { path: PathBuf, found: u16 },
    #[error(
        "{path}: event log format {found} is older than this runglass reads (from {MIN_READ_VERSION}); read it with an older runglass"
    )]
    TooOld { path: PathBuf, found: u16 },
    #[error("{path}: corrupt frame at byte {offset}: {reason}")]
    Corrupt { path: PathBuf, offset: u64, reason: String },
    #[error("{path}: the log ends before its header frame")]
    NoHeader { path: PathBuf },
}

/// Appends frames to a log file.
pub struct LogWriter {
    out: BufWriter<File>,
    path: PathBuf,
    encoder: compact::Encoder,
    scratch: Vec<u8>,
}

impl LogWriter {
    /// Creates a new log at `path` (which must not exist) and writes its header.
    pub fn create(path: &Path, header: &LogHeader) -> Result<Self, LogError> {
        let io_err = |source| LogError::Io { path: path.to_owned(), source };
        let file = OpenOptions::new().write(true).create_new(true).open(path).map_err(io_err)?;
        let mut writer = LogWriter {
            out: BufWriter::new(file),
            path: path.to_owned(),
            encoder: compact::Encoder::default(),
            scratch: Vec::new(),
        };
        writer.out.write_all(MAGIC).map_err(io_err)?;
        writer.out.write_all(&FORMAT_VERSION.to_le_bytes()).map_err(io_err)?;
        let payload = postcard::to_allocvec(header).map_err(|e| LogError::Corrupt {
            path: path.to_owned(),
            offset: 0,
            reason: format!("encoding the header: {e}"),
        })?;
        writer.frame(&payload)?;
        writer.flush()?;
        Ok(writer)
    }

    pub fn append(&mut self, event: &Event) -> Result<(), LogError> {
        let mut payload = std::mem::take(&mut self.scratch);
        payload.clear();
        self.encoder.encode(event, &mut payload);
        let res = self.frame(&payload);
        self.scratch = payload;
        res
    }

    /// Hands buffered frames to the kernel: after this they survive the writer's death.
    pub fn flush(&mut self) -> Result<(), LogError> {
        self.out.flush().map_err(|source| LogError::Io { path: self.path.clone(), source })
    }

    /// Flushes and fsyncs the log.
    pub fn finish(mut self) -> Result<(), LogError> {
        self.flush()?;
        self.out.get_ref().sync_all().map_err(|source| LogError::Io { path: self.path.clone(), source })
    }

    /// Writes one frame: the payload's length, then the payload.
    fn frame(&mut self, payload: &[u8]) -> Result<(), LogError> {
        let mut len = [0u8; 10];
        let n = varint::encode(payload.len() as u64, &mut len);
        let res = self.out.write_all(&len[..n]).and_then(|()| self.out.write_all(payload));
        res.map_err(|source| LogError::Io { path: self.path.clone(), source })
    }
}

/// Reads a log back, frame by frame. After an error it yields nothing more: in a compact
/// log, the events after a damaged one cannot be decoded.
pub struct LogReader<R = BufReader<File>> {
    input: R,
    path: PathBuf,
    version: u16,
    header: LogHeader,
    decoder: compact::Decoder,
    /// Byte offset just past the last whole frame read (for error messages).
    offset: u64,
    truncated: bool,
    failed: bool,
    /// The payload of the frame just read, and the frame's whole length.
    buf: Vec<u8>,
    frame_len: u64,
}

impl LogReader {
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let file = File::open(path).map_err(|source| LogError::Io { path: path.to_owned(), source })?;
        LogReader::new(BufReader::new(file), path)
    }
}

impl<R: Read> LogReader<R> {
    /// Reads the prelude and header from `input`; `path` names it in errors.
    pub fn new(mut input: R, path: &Path) -> Result<Self, LogError> {
        let path = path.to_owned();
        let mut prelude = [0u8; 10];
        match read_full(&mut input, &mut prelude) {
            Ok(10) => {}
            Ok(n) if prelude[..n] == MAGIC[..n.min(8)] => return Err(LogError::NoHeader { path }),
            Ok(_) => return Err(LogError::NotALog { path }),
            Err(source) => return Err(LogError::Io { path, source }),
        }
        if &prelude[..8] != MAGIC {
            return Err(LogError::NotALog { path });
        }
        let version = u16::from_le_bytes([prelude[8], prelude[9]]);
        if version > FORMAT_VERSION {
            return Err(LogError::TooNew { path, found: version });
        }
        if version < MIN_READ_VERSION {
            return Err(LogError::TooOld { path, found: version });
        }
        let mut reader = LogReader {
            input,
            path,
            version,
            header: LogHeader {
                runglass_version: String::new(),
                started_unix_ns: 0,
                argv: Vec::new(),
                cwd: ByteString::default(),
                reads: false,
                observer: Observer::Trace,
            },
            decoder: compact::Decoder::for_format(version),
            offset: 10,
            truncated: false,
            failed: false,
            buf: Vec::new(),
            frame_len: 0,
        };
        if !reader.next_frame()? {
            return Err(LogError::NoHeader { path: reader.path });
        }
        reader.header = postcard::from_bytes(&reader.buf).map_err(|e| reader.corrupt(e.to_string()))?;
        reader.offset += reader.frame_len;
        Ok(reader)
    }

    pub fn header(&self) -> &LogHeader {
        &self.header
    }

    /// True once the reader met a torn final frame (the writer died mid-write).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The next event, `None` at the end (or at a torn final frame, or after an error).
    pub fn next_event(&mut self) -> Option<Result<Event, LogError>> {
        if self.failed {
            return None;
        }
        let event = self.read_event().transpose();
        self.failed = matches!(event, Some(Err(_)));
        event
    }

    fn read_event(&mut self) -> Result<Option<Event>, LogError> {
        if !self.next_frame()? {
            return Ok(None);
        }
        let event = if self.version >= COMPACT_VERSION {
            self.decoder.decode(&self.buf).map_err(|reason| self.corrupt(reason))?
        } else {
            postcard::from_bytes::<legacy::EventV4>(&self.buf).map_err(|e| self.corrupt(e.to_string()))?.into()
        };
        self.offset += self.frame_len;
        Ok(Some(event))
    }

    fn corrupt(&self, reason: String) -> LogError {
        LogError::Corrupt { path: self.path.clone(), offset: self.offset, reason }
    }

    /// Reads the next frame's payload into `buf` and its whole length into `frame_len`: false
    /// at the end of the log or at a torn final frame.
    fn next_frame(&mut self) -> Result<bool, LogError> {
        let io_err = |path: &Path, source| LogError::Io { path: path.to_owned(), source };
        let (len, len_bytes) = if self.version >= COMPACT_VERSION {
            match varint::read(&mut self.input) {
                Ok((Some(len), read)) => (len, read),
                Ok((None, read)) => {
                    self.truncated = read > 0;
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err(self.corrupt(e.to_string())),
                Err(e) => return Err(io_err(&self.path, e)),
            }
        } else {
            let mut len = [0u8; 4];
            match read_full(&mut self.input, &mut len).map_err(|e| io_err(&self.path, e))? {
                4 => (u64::from(u32::from_le_bytes(len)), 4),
                read => {
                    self.truncated = read > 0;
                    return Ok(false);
                }
            }
        };
        if len > u64::from(MAX_FRAME_LEN) {
            return Err(self.corrupt(format!("frame length {len} exceeds the {MAX_FRAME_LEN}-byte limit")));
        }
        // Read what is there rather than allocating the claimed length up front: a torn
        // or hostile length costs only the bytes actually present.
        self.buf.clear();
        let got = (&mut self.input).take(len).read_to_end(&mut self.buf).map_err(|e| io_err(&self.path, e))?;
        if (got as u64) < len {
            self.truncated = true;
            return Ok(false);
        }
        self.frame_len = len_bytes as u64 + len;
        Ok(true)
    }
}

impl<R: Read> Iterator for LogReader<R> {
    type Item = Result<Event, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

/// Like `read_exact`, but returns how many bytes were read when the input ends early.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, ExitStatus, SyscallResult};

    fn header() -> LogHeader {
        LogHeader {
            runglass_version: "test".into(),
            started_unix_ns: 1,
            argv: vec!["sh".into(), ByteString(vec![0xff])],
            cwd: "/tmp".into(),
            reads: false,
            observer: Observer::Polling,
        }
    }

    fn event(i: u32) -> Event {
        Event {
            time_ns: u64::from(i),
            pid: i,
            tid: i,
            kind: EventKind::Open {
                path: ByteString(format!("/tmp/file{i}").into_bytes()),
                flags: crate::OpenFlags(0o101),
                mode: 0o644,
                result: SyscallResult::Ok(3),
                named: None,
            },
        }
    }

    fn write_log(dir: &Path, n: u32) -> PathBuf {
        let path = dir.join("events.log");
        let mut w = LogWriter::create(&path, &header()).unwrap();
        for i in 0..n {
            w.append(&event(i)).unwrap();
        }
        w.append(&Event { time_ns: 9, pid: 1, tid: 1, kind: EventKind::Exit { status: ExitStatus::Code(0) } }).unwrap();
        w.finish().unwrap();
        path
    }

    #[test]
    fn events_round_trip_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path(), 50);
        let reader = LogReader::open(&path).unwrap();
        assert_eq!(reader.header(), &header());
        let events: Vec<Event> = reader.map(Result::unwrap).collect();
        assert_eq!(events.len(), 51);
        assert_eq!(events[7], event(7));
    }

    #[test]
    fn a_torn_final_frame_reads_back_to_the_last_whole_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path(), 10);
        let full = std::fs::read(&path).unwrap();
        // Every cut point inside the event frames yields a prefix of the events, never an error.
        for cut in 40..full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let mut reader = LogReader::open(&path).unwrap();
            let times: Vec<u64> = reader.by_ref().map(|e| e.unwrap().time_ns).collect();
            let expected: Vec<u64> = (0..10).chain([9]).take(times.len()).collect();
            assert_eq!(times, expected, "cut at {cut}");
            assert!(times.len() < 11);
        }
        std::fs::write(&path, &full[..full.len() - 1]).unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        assert_eq!(reader.by_ref().count(), 10);
        assert!(reader.truncated(), "a cut inside the last frame is reported as torn");
    }

    #[test]
    fn foreign_and_future_files_get_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, b"hello world, not a log").unwrap();
        assert!(matches!(LogReader::open(&path), Err(LogError::NotALog { .. })));
        let mut future = MAGIC.to_vec();
        future.extend_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        std::fs::write(&path, &future).unwrap();
        let err = LogReader::open(&path).err().unwrap();
        assert!(err.to_string().contains("upgrade runglass"), "{err}");
    }

    /// A log as format 2 and 3 wrote it: u32 LE frame lengths, postcard events.
    fn postcard_log(version: u16, events: &[Event]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&version.to_le_bytes());
        let mut frame = |payload: Vec<u8>| {
            bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&payload);
        };
        frame(postcard::to_allocvec(&header()).unwrap());
        for event in events {
            frame(postcard::to_allocvec(event).unwrap());
        }
        bytes
    }

    #[test]
    fn version_2_and_3_logs_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let events: Vec<Event> = (0..3).map(event).collect();
        for version in [2, 3] {
            std::fs::write(&path, postcard_log(version, &events)).unwrap();
            let reader = LogReader::open(&path).unwrap();
            assert_eq!(reader.header(), &header());
            let read: Vec<Event> = reader.map(Result::unwrap).collect();
            assert_eq!(read, events, "version {version}");
        }
        // A torn last frame of an old log is still only the end.
        let full = postcard_log(3, &events);
        std::fs::write(&path, &full[..full.len() - 2]).unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        assert_eq!(reader.by_ref().count(), 2);
        assert!(reader.truncated());
    }

    #[test]
    fn fork_and_exec_events_cost_a_few_bytes_each() {
        // What a shell loop running /bin/true produces: spawn, exec, exit, a thousand times.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let mut w = LogWriter::create(&path, &header()).unwrap();
        let mut events = Vec::new();
        for i in 0..1000u32 {
            let (pid, t) = (20_000 + 2 * i, u64::from(i) * 500_000);
            let spawn = EventKind::Spawn { parent: 19_000, parent_tid: 19_000, kind: crate::CloneKind::Fork };
            let exec = EventKind::Exec {
                path: "/bin/true".into(),
                argv: vec!["/bin/true".into()],
                cwd: "/tmp/runglass-bench-1234/cwd-forks.sh-abcd".into(),
                former_tid: None,
                result: SyscallResult::Ok(0),
            };
            let exit = EventKind::Exit { status: ExitStatus::Code(0) };
            for (dt, kind) in [(0, spawn), (90_000, exec), (400_000, exit)] {
                events.push(Event { time_ns: t + dt, pid, tid: pid, kind });
            }
        }
        let before = std::fs::metadata(&path).unwrap().len();
        for e in &events {
            w.append(e).unwrap();
        }
        w.finish().unwrap();
        let per_event = (std::fs::metadata(&path).unwrap().len() - before) as f64 / events.len() as f64;
        assert!(per_event < 10.0, "{per_event} bytes per event");
        let read: Vec<Event> = LogReader::open(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(read, events);
    }

    #[test]
    fn before_events_round_trip_and_leave_older_variants_tags_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let state = crate::PathState {
            kind: crate::receipt::FileKind::File,
            size: 3,
            mode: 0o644,
            mtime_ns: -1,
            blake3: Some("ab".repeat(32)),
            target: None,
            capped: false,
            stored: true,
            gid: None,
            uid: None,
            xattrs: None,
        };
        let before = |state| Event {
            time_ns: 1,
            pid: 2,
            tid: 2,
            kind: EventKind::Before { path: ByteString(b"/t/\xff".to_vec()), followed: true, state },
        };
        let mut w = LogWriter::create(&path, &header()).unwrap();
        w.append(&before(Some(state.clone()))).unwrap();
        w.append(&before(None)).unwrap();
        w.finish().unwrap();
        let events: Vec<Event> = LogReader::open(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(events, [before(Some(state)), before(None)]);
        // Version 2 frames keep their meaning: `gone` is still variant 12, `before` comes after.
        assert_eq!(postcard::to_allocvec(&EventKind::Gone).unwrap(), [12]);
        assert_eq!(postcard::to_allocvec(&before(None).kind).unwrap()[0], 13);
    }

    #[test]
    fn a_privileges_dropped_event_round_trips_and_a_format_6_log_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path(), 2);
        let mut w = LogWriter::create(&dir.path().join("new.log"), &header()).unwrap();
        let dropped = Event {
            time_ns: 3,
            pid: 4,
            tid: 4,
            kind: EventKind::PrivilegesDropped {
                path: "/usr/bin/ping".into(),
                setuid: None,
                setgid: Some(0),
                capabilities: 1 << 13,
                euid: 1000,
                egid: 1000,
            },
        };
        w.append(&dropped).unwrap();
        w.finish().unwrap();
        let read: Vec<Event> = LogReader::open(&dir.path().join("new.log")).unwrap().map(Result::unwrap).collect();
        assert_eq!(read, [dropped]);
        // A log written as format 6 (the same frames, without the new kind) reads as it did.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..10].copy_from_slice(&6u16.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(LogReader::open(&path).unwrap().map(Result::unwrap).count(), 3);
        // Earlier kinds keep their tags: io_uring_setup is still variant 17, the new kind 18.
        let ring = EventKind::IoUringSetup { result: SyscallResult::Ok(0) };
        assert_eq!(postcard::to_allocvec(&ring).unwrap()[0], 17);
        assert_eq!(postcard::to_allocvec(&read[0].kind).unwrap()[0], 18);
    }

    #[test]
    fn a_corrupt_length_is_an_error_with_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path(), 2);
        let bytes = std::fs::read(&path).unwrap();
        let first_event = 10 + 1 + usize::from(bytes[10]);
        let mut damaged = bytes[..first_event].to_vec();
        varint::put(&mut damaged, u64::from(u32::MAX));
        damaged.extend_from_slice(&bytes[first_event + 1..]);
        std::fs::write(&path, &damaged).unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        let err = reader.next().unwrap().unwrap_err();
        assert!(err.to_string().contains(&format!("byte {first_event}")), "{err}");
    }

    #[test]
    fn the_reader_stops_at_a_damaged_event() {
        // Events after a damaged one are relative to it: reading on would give wrong events.
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path(), 3);
        let mut bytes = std::fs::read(&path).unwrap();
        let first_event = 10 + 1 + usize::from(bytes[10]);
        bytes[first_event + 1] = 0xff; // the head byte: unknown flags
        std::fs::write(&path, &bytes).unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        assert!(reader.next().unwrap().is_err());
        assert!(reader.next().is_none());
    }
}
