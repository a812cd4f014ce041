//! Event kinds as formats 2 to 5 wrote them. Those formats store (some) events in postcard,
//! which is positional: a field added to a variant changes how every later byte reads. So
//! the older layouts are kept here, read as they were, and converted into today's
//! [`EventKind`]. Format 5 added the socket type to connect and bind, and the `dns_answer`
//! and `hosts_name` events; format 6 added owners and extended attributes to `before`'s
//! state, and the path as named to opens and file operations.

use serde::Deserialize;

use std::net::IpAddr;

use crate::receipt::FileKind;
use crate::{ByteString, CloneKind, Event, EventKind, ExitStatus, FileOp, OpenFlags, PathState, Pid, SockAddr};
use crate::{SocketKind, SyscallResult};

/// A whole event as formats 2 and 3 wrote it (postcard).
#[derive(Deserialize)]
pub struct EventV4 {
    time_ns: u64,
    pid: Pid,
    tid: Pid,
    kind: KindV4,
}

impl From<EventV4> for Event {
    fn from(e: EventV4) -> Event {
        Event { time_ns: e.time_ns, pid: e.pid, tid: e.tid, kind: e.kind.into() }
    }
}

/// [`EventKind`] up to format 4: the same variants in the same order, connect and bind
/// without their socket type.
#[derive(Deserialize)]
pub enum KindV4 {
    Spawn { parent: Pid, parent_tid: Pid, kind: CloneKind },
    Exec { path: ByteString, argv: Vec<ByteString>, cwd: ByteString, former_tid: Option<Pid>, result: SyscallResult },
    Open { path: ByteString, flags: OpenFlags, mode: u32, result: SyscallResult },
    File { op: FileOp, path: ByteString, result: SyscallResult },
    Connect { addr: SockAddr, result: SyscallResult },
    Bind { addr: SockAddr, result: SyscallResult },
    Listen { addr: Option<SockAddr>, result: SyscallResult },
    Send { addr: SockAddr },
    Signal { signal: i32 },
    Exit { status: ExitStatus },
    HandedOff { keeper: Pid },
    Adopted,
    Gone,
    Before { path: ByteString, followed: bool, state: Option<PathStateV5> },
}

/// A captured state up to format 5: without owner and extended attributes.
#[derive(Deserialize)]
pub struct PathStateV5 {
    kind: FileKind,
    size: u64,
    mode: u32,
    mtime_ns: i64,
    blake3: Option<String>,
    target: Option<ByteString>,
    capped: bool,
    stored: bool,
}

impl From<PathStateV5> for PathState {
    fn from(s: PathStateV5) -> PathState {
        let PathStateV5 { kind, size, mode, mtime_ns, blake3, target, capped, stored } = s;
        PathState { kind, size, mode, mtime_ns, blake3, target, capped, stored, uid: None, gid: None, xattrs: None }
    }
}

/// [`EventKind`] in format 5, as far as the rare kinds (written in postcard) go: open and
/// file events were compact, so their layout here never matters.
#[derive(Deserialize)]
pub enum KindV5 {
    Spawn { parent: Pid, parent_tid: Pid, kind: CloneKind },
    Exec { path: ByteString, argv: Vec<ByteString>, cwd: ByteString, former_tid: Option<Pid>, result: SyscallResult },
    Open { path: ByteString, flags: OpenFlags, mode: u32, result: SyscallResult },
    File { op: FileOp, path: ByteString, result: SyscallResult },
    Connect { addr: SockAddr, result: SyscallResult, socket: Option<SocketKind> },
    Bind { addr: SockAddr, result: SyscallResult, socket: Option<SocketKind> },
    Listen { addr: Option<SockAddr>, result: SyscallResult },
    Send { addr: SockAddr },
    Signal { signal: i32 },
    Exit { status: ExitStatus },
    HandedOff { keeper: Pid },
    Adopted,
    Gone,
    Before { path: ByteString, followed: bool, state: Option<PathStateV5> },
    DnsAnswer { server: SockAddr, name: String, rcode: u8, addrs: Vec<IpAddr> },
    HostsName { addr: IpAddr, name: String },
}

impl From<KindV5> for EventKind {
    fn from(kind: KindV5) -> EventKind {
        match kind {
            KindV5::Spawn { parent, parent_tid, kind } => EventKind::Spawn { parent, parent_tid, kind },
            KindV5::Exec { path, argv, cwd, former_tid, result } => {
                EventKind::Exec { path, argv, cwd, former_tid, result }
            }
            KindV5::Open { path, flags, mode, result } => EventKind::Open { path, flags, mode, result, named: None },
            KindV5::File { op, path, result } => EventKind::File { op, path, result, named: None },
            KindV5::Connect { addr, result, socket } => EventKind::Connect { addr, result, socket },
            KindV5::Bind { addr, result, socket } => EventKind::Bind { addr, result, socket },
            KindV5::Listen { addr, result } => EventKind::Listen { addr, result },
            KindV5::Send { addr } => EventKind::Send { addr },
            KindV5::Signal { signal } => EventKind::Signal { signal },
            KindV5::Exit { status } => EventKind::Exit { status },
            KindV5::HandedOff { keeper } => EventKind::HandedOff { keeper },
            KindV5::Adopted => EventKind::Adopted,
            KindV5::Gone => EventKind::Gone,
            KindV5::Before { path, followed, state } => {
                EventKind::Before { path, followed, state: state.map(Into::into) }
            }
            KindV5::DnsAnswer { server, name, rcode, addrs } => EventKind::DnsAnswer { server, name, rcode, addrs },
            KindV5::HostsName { addr, name } => EventKind::HostsName { addr, name },
        }
    }
}

impl From<KindV4> for EventKind {
    fn from(kind: KindV4) -> EventKind {
        match kind {
            KindV4::Spawn { parent, parent_tid, kind } => EventKind::Spawn { parent, parent_tid, kind },
            KindV4::Exec { path, argv, cwd, former_tid, result } => {
                EventKind::Exec { path, argv, cwd, former_tid, result }
            }
            KindV4::Open { path, flags, mode, result } => EventKind::Open { path, flags, mode, result, named: None },
            KindV4::File { op, path, result } => EventKind::File { op, path, result, named: None },
            KindV4::Connect { addr, result } => EventKind::Connect { addr, result, socket: None },
            KindV4::Bind { addr, result } => EventKind::Bind { addr, result, socket: None },
            KindV4::Listen { addr, result } => EventKind::Listen { addr, result },
            KindV4::Send { addr } => EventKind::Send { addr },
            KindV4::Signal { signal } => EventKind::Signal { signal },
            KindV4::Exit { status } => EventKind::Exit { status },
            KindV4::HandedOff { keeper } => EventKind::HandedOff { keeper },
            KindV4::Adopted => EventKind::Adopted,
            KindV4::Gone => EventKind::Gone,
            KindV4::Before { path, followed, state } => {
                EventKind::Before { path, followed, state: state.map(Into::into) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of `EventKind` before format 5, written with serde so that the test
    /// produces the very bytes a format-4 writer did.
    #[derive(serde::Serialize)]
    enum WrittenV4 {
        #[allow(dead_code)]
        Spawn,
        #[allow(dead_code)]
        Exec,
        #[allow(dead_code)]
        Open,
        #[allow(dead_code)]
        File,
        Connect {
            addr: SockAddr,
            result: SyscallResult,
        },
    }

    #[test]
    fn a_format_4_connect_reads_with_no_socket_type() {
        let addr = SockAddr::Inet { ip: [10, 1, 2, 3].into(), port: 443 };
        let bytes = postcard::to_allocvec(&WrittenV4::Connect { addr: addr.clone(), result: SyscallResult::Ok(0) })
            .expect("serializes");
        let kind: EventKind = postcard::from_bytes::<KindV4>(&bytes).expect("reads").into();
        assert_eq!(kind, EventKind::Connect { addr, result: SyscallResult::Ok(0), socket: None });
        // Today's layout reads the same bytes differently: that is why this module exists.
        assert_ne!(postcard::from_bytes::<EventKind>(&bytes).ok(), Some(kind));
    }
}
