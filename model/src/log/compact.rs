//! The compact event frames of formats 4 to 7: an event is written as the difference from the one
//! before it, and byte strings seen before are written as an index into a table both sides
//! build as they go.
//!
//! An event's payload is one head byte, then fields:
//!
//! ```text
//! head      bits 0-3: kind (below); bit 4: tid equals pid; bit 5: the kind's usual case;
//!           bit 6 (open and file, format 6): the path as named follows the result, as P
//! time      signed varint, nanoseconds since the previous event (the first: since 0)
//! pid       signed varint, difference from the previous event's pid
//! tid       signed varint, difference from pid (absent when head bit 4 is set)
//! then by kind:
//!   0 spawn   parent (signed, from pid); parent_tid (signed, from parent; absent when usual:
//!             the same); clone kind (byte: root fork vfork clone thread unknown)
//!   1 exec    path S, argc, argv S..., cwd S; when not usual (usual: no former tid and
//!             result Ok(0)): former tid (0: none, else tid + 1), result R
//!   2 open    path P, flags, mode, result R
//!   3 file    op (byte: unlink rmdir rename link symlink mkdir truncate chmod, and from format
//!             6 chown setxattr removexattr mknod) and its operand (rename: to P, flags; link:
//!             to P; symlink: target S; mkdir, chmod: mode; truncate: signed length; chown: uid
//!             and gid, each 0 for none or the id + 1; setxattr, removexattr: name S; mknod:
//!             mode, dev), path P, result R
//!   4 exit    when not usual (usual: exit code 0): 0 and a signed code, or 1, signal, core byte
//!   15 other  the event kind in postcard (rare kinds: connect, bind, listen, send, signal,
//!             handed_off, adopted, gone, before, dns_answer, hosts_name, connect_result,
//!             io_uring_setup, and from format 7 privileges_dropped); formats 4 and 5 wrote them in the layouts of [`super::legacy`]
//! S         a byte string: varint 0 then length and bytes (not kept), 1 then length and bytes
//!           (kept: appended to the table), n >= 2: the table's entry n - 2
//! P         a path: S of everything up to and including its last '/', then S of the rest, so
//!           that a directory is written once for all the files in it
//! R         a result: byte 0 and a signed value (ok), 1 and a signed errno (error), 2 (unknown)
//! ```
//!
//! Numbers are LEB128 varints ([`varint`]) unless marked as bytes. A frame is decoded only after
//! the ones before it, so a reader keeps the same table as the writer had; a torn last frame
//! loses nothing that an earlier frame needs.

use std::collections::HashMap;

use crate::{ByteString, CloneKind, Errno, Event, EventKind, ExitStatus, FileOp, OpenFlags, SyscallResult};

use super::legacy::{KindV4, KindV5};
use super::varint::{self, Cursor, Malformed};

const SPAWN: u8 = 0;
const EXEC: u8 = 1;
const OPEN: u8 = 2;
const FILE: u8 = 3;
const EXIT: u8 = 4;
const OTHER: u8 = 15;
const KIND_MASK: u8 = 0x0f;
const SAME_TID: u8 = 0x10;
const USUAL: u8 = 0x20;
const NAMED: u8 = 0x40;

/// The table holds at most this many strings; later new strings are written out in full.
const MAX_STRINGS: usize = 1 << 15;
/// Strings longer than this are never kept: a long one is rarely repeated, and the table's
/// memory stays bounded (at most `MAX_STRINGS * MAX_KEPT_LEN` bytes, 16 MiB).
const MAX_KEPT_LEN: usize = 512;

/// Clone kinds by their code.
const CLONE_KINDS: [CloneKind; 6] =
    [CloneKind::Root, CloneKind::Fork, CloneKind::Vfork, CloneKind::Clone, CloneKind::Thread, CloneKind::Unknown];

fn clone_kind_code(kind: CloneKind) -> u8 {
    match kind {
        CloneKind::Root => 0,
        CloneKind::Fork => 1,
        CloneKind::Vfork => 2,
        CloneKind::Clone => 3,
        CloneKind::Thread => 4,
        CloneKind::Unknown => 5,
    }
}

/// The writer's side: the previous event and the strings written so far.
#[derive(Default)]
pub struct Encoder {
    time_ns: u64,
    pid: u32,
    table: HashMap<Vec<u8>, usize>,
}

impl Encoder {
    /// Appends `event`'s payload to `out`.
    pub fn encode(&mut self, event: &Event, out: &mut Vec<u8>) {
        let head_at = out.len();
        out.push(0);
        varint::put_signed(out, event.time_ns.wrapping_sub(self.time_ns) as i64);
        varint::put_signed(out, i64::from(event.pid.wrapping_sub(self.pid) as i32));
        let mut head = 0;
        if event.tid == event.pid {
            head |= SAME_TID;
        } else {
            varint::put_signed(out, i64::from(event.tid.wrapping_sub(event.pid) as i32));
        }
        self.time_ns = event.time_ns;
        self.pid = event.pid;
        head |= match &event.kind {
            EventKind::Spawn { parent, parent_tid, kind } => {
                varint::put_signed(out, i64::from(parent.wrapping_sub(event.pid) as i32));
                let usual = parent_tid == parent;
                if !usual {
                    varint::put_signed(out, i64::from(parent_tid.wrapping_sub(*parent) as i32));
                }
                out.push(clone_kind_code(*kind));
                SPAWN | if usual { USUAL } else { 0 }
            }
            EventKind::Exec { path, argv, cwd, former_tid, result } => {
                self.string(path, out);
                varint::put(out, argv.len() as u64);
                for arg in argv {
                    self.string(arg, out);
                }
                self.string(cwd, out);
                let usual = former_tid.is_none() && *result == SyscallResult::Ok(0);
                if !usual {
                    varint::put(out, former_tid.map_or(0, |t| u64::from(t) + 1));
                    put_result(out, *result);
                }
                EXEC | if usual { USUAL } else { 0 }
            }
            EventKind::Open { path, flags, mode, result, named } => {
                self.path(path, out);
                varint::put(out, u64::from(flags.0));
                varint::put(out, u64::from(*mode));
                put_result(out, *result);
                OPEN | self.named(named.as_ref(), out)
            }
            EventKind::File { op, path, result, named } => {
                self.file_op(op, out);
                self.path(path, out);
                put_result(out, *result);
                FILE | self.named(named.as_ref(), out)
            }
            EventKind::Exit { status: ExitStatus::Code(0) } => EXIT | USUAL,
            EventKind::Exit { status } => {
                match *status {
                    ExitStatus::Code(code) => {
                        out.push(0);
                        varint::put_signed(out, i64::from(code));
                    }
                    ExitStatus::Signal { signal, core_dumped } => {
                        out.push(1);
                        varint::put_signed(out, i64::from(signal));
                        out.push(u8::from(core_dumped));
                    }
                }
                EXIT
            }
            other => {
                // Serializing into a Vec cannot fail: every event kind is plain data.
                let bytes = postcard::to_allocvec(other).unwrap_or_default();
                out.extend_from_slice(&bytes);
                OTHER
            }
        };
        out[head_at] = head;
    }

    fn file_op(&mut self, op: &FileOp, out: &mut Vec<u8>) {
        match op {
            FileOp::Unlink => out.push(0),
            FileOp::Rmdir => out.push(1),
            FileOp::Rename { to, flags } => {
                out.push(2);
                self.path(to, out);
                varint::put(out, u64::from(*flags));
            }
            FileOp::Link { to } => {
                out.push(3);
                self.path(to, out);
            }
            FileOp::Symlink { target } => {
                out.push(4);
                self.string(target, out);
            }
            FileOp::Mkdir { mode } => {
                out.push(5);
                varint::put(out, u64::from(*mode));
            }
            FileOp::Truncate { length } => {
                out.push(6);
                varint::put_signed(out, *length);
            }
            FileOp::Chmod { mode } => {
                out.push(7);
                varint::put(out, u64::from(*mode));
            }
            FileOp::Chown { uid, gid } => {
                out.push(8);
                varint::put(out, uid.map_or(0, |id| u64::from(id) + 1));
                varint::put(out, gid.map_or(0, |id| u64::from(id) + 1));
            }
            FileOp::SetXattr { name } => {
                out.push(9);
                self.string(name, out);
            }
            FileOp::RemoveXattr { name } => {
                out.push(10);
                self.string(name, out);
            }
            FileOp::Mknod { mode, dev } => {
                out.push(11);
                varint::put(out, u64::from(*mode));
                varint::put(out, *dev);
            }
        }
    }

    /// Writes the path as named, when there is one, and returns the head bit that says so.
    fn named(&mut self, named: Option<&ByteString>, out: &mut Vec<u8>) -> u8 {
        match named {
            Some(named) => {
                self.path(named, out);
                NAMED
            }
            None => 0,
        }
    }

    fn path(&mut self, path: &ByteString, out: &mut Vec<u8>) {
        let (dir, name) = split_path(path.as_bytes());
        self.bytes(dir, out);
        self.bytes(name, out);
    }

    fn string(&mut self, s: &ByteString, out: &mut Vec<u8>) {
        self.bytes(s.as_bytes(), out);
    }

    fn bytes(&mut self, s: &[u8], out: &mut Vec<u8>) {
        if let Some(&index) = self.table.get(s) {
            varint::put(out, index as u64 + 2);
            return;
        }
        let keep = s.len() <= MAX_KEPT_LEN && self.table.len() < MAX_STRINGS;
        if keep {
            self.table.insert(s.to_vec(), self.table.len());
        }
        varint::put(out, u64::from(keep));
        varint::put(out, s.len() as u64);
        out.extend_from_slice(s);
    }
}

/// The reader's side: the previous event and the strings read so far.
pub struct Decoder {
    time_ns: u64,
    pid: u32,
    table: Vec<Vec<u8>>,
    /// The log's format: before 6, rare kinds are in the layouts of [`super::legacy`].
    format: u16,
}

impl Decoder {
    /// A decoder for a log of this format (4 or later).
    pub fn for_format(format: u16) -> Decoder {
        Decoder { time_ns: 0, pid: 0, table: Vec::new(), format }
    }

    /// Decodes one payload. On an error the decoder's state is undefined: the log is corrupt.
    pub fn decode(&mut self, payload: &[u8]) -> Result<Event, Malformed> {
        let mut c = Cursor::new(payload);
        let head = c.byte()?;
        if head & !(KIND_MASK | SAME_TID | USUAL | NAMED) != 0 {
            return Err(format!("unknown flags in event head {head:#04x}"));
        }
        let usual = head & USUAL != 0;
        let time_ns = self.time_ns.wrapping_add(c.get_signed()? as u64);
        let pid = self.pid.wrapping_add(c.get_i32()? as u32);
        let tid = if head & SAME_TID != 0 { pid } else { pid.wrapping_add(c.get_i32()? as u32) };
        self.time_ns = time_ns;
        self.pid = pid;
        let kind = match head & KIND_MASK {
            SPAWN => {
                let parent = pid.wrapping_add(c.get_i32()? as u32);
                let parent_tid = if usual { parent } else { parent.wrapping_add(c.get_i32()? as u32) };
                let kind = *CLONE_KINDS.get(usize::from(c.byte()?)).ok_or("unknown clone kind")?;
                EventKind::Spawn { parent, parent_tid, kind }
            }
            EXEC => {
                let path = self.string(&mut c)?;
                let argc = c.get()?;
                // No allocation sized by the claimed count: each argument takes at least a byte.
                let mut argv = Vec::new();
                for _ in 0..argc {
                    argv.push(self.string(&mut c)?);
                }
                let cwd = self.string(&mut c)?;
                let (former_tid, result) = if usual {
                    (None, SyscallResult::Ok(0))
                } else {
                    let former = c.get()?;
                    let former =
                        former.checked_sub(1).map(u32::try_from).transpose().map_err(|_| "former tid overflows")?;
                    (former, get_result(&mut c)?)
                };
                EventKind::Exec { path, argv, cwd, former_tid, result }
            }
            OPEN => EventKind::Open {
                path: self.path(&mut c)?,
                flags: OpenFlags(c.get_u32()?),
                mode: c.get_u32()?,
                result: get_result(&mut c)?,
                named: self.named(head, &mut c)?,
            },
            FILE => {
                let op = self.file_op(&mut c)?;
                let path = self.path(&mut c)?;
                EventKind::File { op, path, result: get_result(&mut c)?, named: self.named(head, &mut c)? }
            }
            EXIT if usual => EventKind::Exit { status: ExitStatus::Code(0) },
            EXIT => {
                let status = match c.byte()? {
                    0 => ExitStatus::Code(c.get_i32()?),
                    1 => {
                        let signal = c.get_i32()?;
                        let core_dumped = match c.byte()? {
                            0 => false,
                            1 => true,
                            _ => return Err("bad core-dump flag".into()),
                        };
                        ExitStatus::Signal { signal, core_dumped }
                    }
                    _ => return Err("unknown exit status".into()),
                };
                EventKind::Exit { status }
            }
            OTHER => {
                let (kind, rest) = match self.format {
                    ..=4 => {
                        let (kind, rest) = postcard::take_from_bytes::<KindV4>(c.rest()).map_err(|e| e.to_string())?;
                        (kind.into(), rest)
                    }
                    5 => {
                        let (kind, rest) = postcard::take_from_bytes::<KindV5>(c.rest()).map_err(|e| e.to_string())?;
                        (kind.into(), rest)
                    }
                    _ => postcard::take_from_bytes(c.rest()).map_err(|e| e.to_string())?,
                };
                c = Cursor::new(rest);
                kind
            }
            kind => return Err(format!("unknown event kind {kind}")),
        };
        if !c.is_empty() {
            return Err("bytes left over after the event".into());
        }
        if usual && !matches!(head & KIND_MASK, SPAWN | EXEC | EXIT) {
            return Err("the usual-case flag on an event kind that has none".into());
        }
        if head & NAMED != 0 && !matches!(head & KIND_MASK, OPEN | FILE) {
            return Err("a named path on an event kind that has none".into());
        }
        Ok(Event { time_ns, pid, tid, kind })
    }

    fn file_op(&mut self, c: &mut Cursor) -> Result<FileOp, Malformed> {
        Ok(match c.byte()? {
            0 => FileOp::Unlink,
            1 => FileOp::Rmdir,
            2 => FileOp::Rename { to: self.path(c)?, flags: c.get_u32()? },
            3 => FileOp::Link { to: self.path(c)? },
            4 => FileOp::Symlink { target: self.string(c)? },
            5 => FileOp::Mkdir { mode: c.get_u32()? },
            6 => FileOp::Truncate { length: c.get_signed()? },
            7 => FileOp::Chmod { mode: c.get_u32()? },
            8 => FileOp::Chown { uid: get_id(c)?, gid: get_id(c)? },
            9 => FileOp::SetXattr { name: self.string(c)? },
            10 => FileOp::RemoveXattr { name: self.string(c)? },
            11 => FileOp::Mknod { mode: c.get_u32()?, dev: c.get()? },
            op => return Err(format!("unknown file operation {op}")),
        })
    }

    /// The path as named, when the head says one follows.
    fn named(&mut self, head: u8, c: &mut Cursor) -> Result<Option<ByteString>, Malformed> {
        if head & NAMED == 0 {
            return Ok(None);
        }
        self.path(c).map(Some)
    }

    fn path(&mut self, c: &mut Cursor) -> Result<ByteString, Malformed> {
        let mut path = self.bytes(c)?;
        let name = self.bytes(c)?;
        // Only a split the writer could have made decodes: the directory part is empty or
        // ends with the last '/', so every path has exactly one encoding.
        if !(path.is_empty() || path.ends_with(b"/")) || name.contains(&b'/') {
            return Err("a path split at the wrong place".into());
        }
        path.extend_from_slice(&name);
        Ok(ByteString(path))
    }

    fn string(&mut self, c: &mut Cursor) -> Result<ByteString, Malformed> {
        self.bytes(c).map(ByteString)
    }

    fn bytes(&mut self, c: &mut Cursor) -> Result<Vec<u8>, Malformed> {
        let tag = c.get()?;
        if tag >= 2 {
            let index = usize::try_from(tag - 2).map_err(|_| "string index overflows")?;
            return self.table.get(index).cloned().ok_or_else(|| format!("string {index} not in the table"));
        }
        let len = c.get()?;
        let bytes = c.take(len)?.to_vec();
        if tag == 1 {
            if bytes.len() > MAX_KEPT_LEN || self.table.len() >= MAX_STRINGS {
                return Err("a string kept beyond the table's limits".into());
            }
            self.table.push(bytes.clone());
        }
        Ok(bytes)
    }
}

/// A path split after its last '/': (directory with the slash, rest).
fn split_path(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => path.split_at(i + 1),
        None => (&[], path),
    }
}

fn put_result(out: &mut Vec<u8>, result: SyscallResult) {
    match result {
        SyscallResult::Ok(v) => {
            out.push(0);
            varint::put_signed(out, v);
        }
        SyscallResult::Err(Errno(e)) => {
            out.push(1);
            varint::put_signed(out, i64::from(e));
        }
        SyscallResult::Unknown => out.push(2),
    }
}

impl Default for Decoder {
    /// A decoder for logs of the format this build writes.
    fn default() -> Decoder {
        Decoder::for_format(super::FORMAT_VERSION)
    }
}

/// An owner or group id: 0 for none (left as it was), else the id + 1.
fn get_id(c: &mut Cursor) -> Result<Option<u32>, Malformed> {
    match c.get()? {
        0 => Ok(None),
        n => u32::try_from(n - 1).map(Some).map_err(|_| "an id out of range".into()),
    }
}

fn get_result(c: &mut Cursor) -> Result<SyscallResult, Malformed> {
    Ok(match c.byte()? {
        0 => SyscallResult::Ok(c.get_signed()?),
        1 => SyscallResult::Err(Errno(c.get_i32()?)),
        2 => SyscallResult::Unknown,
        _ => return Err("unknown syscall result".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PathState, SockAddr};

    fn ev(time_ns: u64, pid: u32, tid: u32, kind: EventKind) -> Event {
        Event { time_ns, pid, tid, kind }
    }

    /// Encodes `events` in order and decodes them back with a fresh decoder; returns the
    /// payloads' sizes.
    fn round_trip(events: &[Event]) -> Vec<usize> {
        let (mut enc, mut dec) = (Encoder::default(), Decoder::default());
        events
            .iter()
            .map(|e| {
                let mut out = Vec::new();
                enc.encode(e, &mut out);
                assert_eq!(dec.decode(&out).as_ref(), Ok(e));
                out.len()
            })
            .collect()
    }

    #[test]
    fn every_kind_and_unusual_case_round_trips_exactly() {
        let odd = ByteString(b"/t\xff/\n x".to_vec());
        let state = PathState {
            kind: crate::receipt::FileKind::Symlink,
            size: 1,
            mode: 0o777,
            mtime_ns: -5,
            blake3: None,
            target: Some(odd.clone()),
            capped: false,
            stored: false,
            gid: None,
            uid: None,
            xattrs: None,
        };
        let kinds = vec![
            EventKind::Spawn { parent: 1, parent_tid: 1, kind: CloneKind::Root },
            EventKind::Spawn { parent: 7, parent_tid: 9, kind: CloneKind::Thread },
            EventKind::Exec {
                path: odd.clone(),
                argv: vec![odd.clone(), "".into(), ByteString(vec![b'a'; 5000])],
                cwd: "".into(),
                former_tid: Some(u32::MAX),
                result: SyscallResult::Err(Errno(2)),
            },
            EventKind::Exec {
                path: "sh".into(),
                argv: vec![],
                cwd: "/".into(),
                former_tid: None,
                result: SyscallResult::Unknown,
            },
            EventKind::Open {
                path: "/".into(),
                flags: OpenFlags(u32::MAX),
                mode: 0,
                result: SyscallResult::Ok(i64::MIN),
                named: None,
            },
            EventKind::Open {
                path: "rel".into(),
                flags: OpenFlags(0),
                mode: 0o644,
                result: SyscallResult::Err(Errno(-1)),
                named: None,
            },
            EventKind::File {
                op: FileOp::Rename { to: "/b/".into(), flags: 1 },
                path: "a".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File {
                op: FileOp::Link { to: odd.clone() },
                path: odd.clone(),
                result: SyscallResult::Unknown,
                named: None,
            },
            EventKind::File {
                op: FileOp::Symlink { target: "../x".into() },
                path: "y".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File {
                op: FileOp::Truncate { length: -1 },
                path: "z".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File {
                op: FileOp::Mkdir { mode: 0o755 },
                path: "d/".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File {
                op: FileOp::Chmod { mode: 0o4755 },
                path: "f".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File { op: FileOp::Unlink, path: "f".into(), result: SyscallResult::Ok(0), named: None },
            EventKind::File { op: FileOp::Rmdir, path: "d".into(), result: SyscallResult::Ok(0), named: None },
            EventKind::File {
                op: FileOp::Chown { uid: Some(0), gid: None },
                path: "/elsewhere/t".into(),
                result: SyscallResult::Ok(0),
                named: Some("/proc/12/fd/3".into()),
            },
            EventKind::File {
                op: FileOp::Chown { uid: None, gid: Some(u32::MAX) },
                path: "f".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File {
                op: FileOp::SetXattr { name: "security.capability".into() },
                path: odd.clone(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::File {
                op: FileOp::RemoveXattr { name: odd.clone() },
                path: "f".into(),
                result: SyscallResult::Err(Errno(61)),
                named: None,
            },
            EventKind::File {
                op: FileOp::Mknod { mode: 0o10644, dev: u64::MAX },
                path: "p".into(),
                result: SyscallResult::Ok(0),
                named: None,
            },
            EventKind::Open {
                path: "/elsewhere/target".into(),
                flags: OpenFlags(0o1101),
                mode: 0o644,
                result: SyscallResult::Ok(3),
                named: Some("/w/lnk".into()),
            },
            EventKind::ConnectResult {
                addr: SockAddr::Inet { ip: [127, 0, 0, 1].into(), port: 1 },
                result: SyscallResult::Err(Errno(111)),
            },
            EventKind::IoUringSetup { result: SyscallResult::Ok(4) },
            EventKind::Exit { status: ExitStatus::Code(0) },
            EventKind::Exit { status: ExitStatus::Code(-3) },
            EventKind::Exit { status: ExitStatus::Signal { signal: 9, core_dumped: true } },
            EventKind::Connect {
                addr: SockAddr::Unix { path: odd.clone() },
                result: SyscallResult::Ok(0),
                socket: None,
            },
            EventKind::DnsAnswer {
                server: SockAddr::Inet { ip: [127, 0, 0, 53].into(), port: 53 },
                name: "a.test".into(),
                rcode: 0,
                addrs: vec![[10, 0, 0, 1].into()],
            },
            EventKind::Signal { signal: 15 },
            EventKind::Gone,
            EventKind::Before { path: odd.clone(), followed: true, state: Some(state.clone()) },
            EventKind::Before {
                path: odd.clone(),
                followed: false,
                state: Some(PathState { uid: None, gid: Some(7), xattrs: Some(vec![odd.clone(), "".into()]), ..state }),
            },
        ];
        // Times and pids that go backwards, tids apart from pids, wrapping extremes.
        let events: Vec<Event> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| {
                let i = i as u32;
                let pid = if i.is_multiple_of(3) { u32::MAX - i } else { 100 + i };
                let tid = if i.is_multiple_of(2) { pid } else { 5 };
                let time = if i.is_multiple_of(4) { u64::MAX - u64::from(i) } else { u64::from(i) };
                ev(time, pid, tid, kind)
            })
            .collect();
        round_trip(&events);
    }

    #[test]
    fn format_5_rare_kinds_read_in_their_own_layout() {
        // A format-5 `before` event: its state had no owner or extended attributes.
        #[derive(serde::Serialize)]
        struct StateV5 {
            kind: crate::receipt::FileKind,
            size: u64,
            mode: u32,
            mtime_ns: i64,
            blake3: Option<String>,
            target: Option<ByteString>,
            capped: bool,
            stored: bool,
        }
        #[derive(serde::Serialize)]
        #[allow(dead_code)]
        enum WrittenV5 {
            Spawn,
            Exec,
            Open,
            File,
            Connect,
            Bind,
            Listen,
            Send,
            Signal,
            Exit,
            HandedOff,
            Adopted,
            Gone,
            Before { path: ByteString, followed: bool, state: Option<StateV5> },
        }
        let state = StateV5 {
            kind: crate::receipt::FileKind::File,
            size: 3,
            mode: 0o644,
            mtime_ns: 1,
            blake3: None,
            target: None,
            capped: false,
            stored: false,
        };
        let kind = WrittenV5::Before { path: "/h/.bashrc".into(), followed: false, state: Some(state) };
        let mut payload = vec![OTHER | SAME_TID, 0, 2];
        payload.extend(postcard::to_allocvec(&kind).expect("serializes"));
        let event = Decoder::for_format(5).decode(&payload).expect("a format-5 frame");
        let EventKind::Before { state: Some(state), .. } = event.kind else { panic!("{event:?}") };
        assert_eq!((state.size, state.uid, state.xattrs), (3, None, None));
        assert!(Decoder::for_format(6).decode(&payload).is_err(), "today's layout reads it differently");
    }

    #[test]
    fn repeated_strings_and_directories_are_written_once() {
        let open = |path: &str| {
            ev(
                0,
                1,
                1,
                EventKind::Open {
                    path: path.into(),
                    flags: OpenFlags(1),
                    mode: 0,
                    result: SyscallResult::Ok(3),
                    named: None,
                },
            )
        };
        let long_dir = "/home/someone/projects/a-fairly-long-directory-name/src/";
        let sizes = round_trip(&[
            open(&format!("{long_dir}a.rs")),
            open(&format!("{long_dir}b.rs")),
            open(&format!("{long_dir}a.rs")),
        ]);
        assert!(sizes[0] > long_dir.len(), "{sizes:?}");
        assert!(sizes[1] < 15, "the directory is a reference: {sizes:?}");
        assert!(sizes[2] < 10, "the whole path is two references: {sizes:?}");
    }

    #[test]
    fn the_table_stops_growing_at_its_limit() {
        let mut enc = Encoder::default();
        let mut dec = Decoder::default();
        for i in 0..MAX_STRINGS + 10 {
            let e = ev(
                0,
                1,
                1,
                EventKind::Exec {
                    path: format!("p{i}").as_str().into(),
                    argv: vec![],
                    cwd: "/".into(),
                    former_tid: None,
                    result: SyscallResult::Ok(0),
                },
            );
            let mut out = Vec::new();
            enc.encode(&e, &mut out);
            assert_eq!(dec.decode(&out), Ok(e));
        }
        assert_eq!(enc.table.len(), MAX_STRINGS);
        assert_eq!(dec.table.len(), MAX_STRINGS);
    }

    #[test]
    fn damaged_payloads_are_errors_not_panics() {
        let mut dec = Decoder::default();
        for bad in [
            &[][..],
            &[0x40, 0, 0],                                     // unknown head flags
            &[0x1e, 0, 0],                                     // unknown kind
            &[0x31, 0, 0, 9, 0, 0],                            // a string reference not in the table
            &[0x12, 0, 0, 0, 5, b'a'],                         // a length past the end
            &[0x34, 0, 0, 1],                                  // bytes left over
            &[0x32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],             // the usual-case flag on an open
            &[0x12, 0, 0, 0, 1, b'a', 0, 1, b'/', 0, 0, 0, 0], // a path split at the wrong place
            &[0x54, 0, 0, 0],                                  // a named path on an exit
            &[0x13, 0, 0, 8, 0x80, 0x80, 0x80, 0x80, 0x20, 0], // an owner id beyond 32 bits
        ] {
            assert!(dec.decode(bad).is_err(), "{bad:?}");
        }
    }
}
