//! Socket calls: connect and bind peers, listen, datagrams sent to an explicit address
//! (sendto/sendmsg/sendmmsg), DNS answers received with recvfrom, and the SO_ERROR queries
//! that tell a non-blocking connect's result, in the 64-bit and 32-bit layouts.

use runglass_model::{EventKind, SockAddr, SocketKind, SyscallResult};

use super::sockaddr::{self, MAX_SOCKADDR};
use super::{Caller, Entry, Pending, Syscall, dns};
use crate::arch::{Abi, Call, socketcall};
use crate::memory::Memory;
use crate::proc_net::SocketTables;
use crate::sys::{self, Tid};

/// DNS servers answer from this port.
const DNS_PORT: u16 = 53;
/// The largest DNS message (a UDP payload cannot be larger either).
const MAX_DNS_MESSAGE: usize = 65_535;

/// sendmmsg handles at most this many messages per call (UIO_MAXIOV).
const MAX_MMSG: usize = 1024;

pub fn decode(mem: &Memory, pid: Tid, tid: Tid, sc: &Syscall) -> Entry {
    match sc.call {
        Call::Socketcall => socketcall(mem, pid, tid, sc),
        Call::Connect => match read_addr(mem, tid, sc.ptr(1), sc.args[2]) {
            Some(addr) => Entry::AwaitExit(Pending::Connect { addr, fd: sc.int(0) as i32 }),
            None => Entry::Done(Vec::new()),
        },
        Call::Bind => match read_addr(mem, tid, sc.ptr(1), sc.args[2]) {
            Some(addr) => Entry::AwaitExit(Pending::Bind { addr, fd: sc.int(0) as i32 }),
            None => Entry::Done(Vec::new()),
        },
        // Where the datagram came from is known only once it has arrived.
        Call::Recvfrom => Entry::AwaitExit(Pending::Recvfrom(Recvfrom {
            buf: sc.ptr(1),
            len: sc.args[2] as u32 as usize,
            from: sc.ptr(4),
            from_len: sc.ptr(5),
        })),
        Call::Listen => Entry::AwaitExit(Pending::Listen { fd: sc.int(0) }),
        // The filter stops only SO_ERROR queries, except through i386's socketcall.
        Call::Getsockopt if sc.int(1) == i64::from(libc::SOL_SOCKET) && sc.int(2) == i64::from(libc::SO_ERROR) => {
            Entry::AwaitExit(Pending::SoError { fd: sc.int(0) as i32, optval: sc.ptr(3) })
        }
        Call::Getsockopt => Entry::Done(Vec::new()),
        Call::Sendto => Entry::Done(read_addr(mem, tid, sc.ptr(4), sc.args[5]).map(send).into_iter().collect()),
        Call::Sendmsg => {
            let peer = || connected_peer(pid, sc.int(0) as i32);
            Entry::Done(match msghdr_name(mem, tid, sc.abi, sc.ptr(1)) {
                Some(MsgName::Given(addr)) => addr.map(send).into_iter().collect(),
                Some(MsgName::Absent) => peer().map(send).into_iter().collect(),
                None => Vec::new(),
            })
        }
        Call::Sendmmsg => {
            let layout = Msghdr::of(sc.abi);
            let count = (sc.args[2] as u32 as usize).min(MAX_MMSG);
            let mut events: Vec<EventKind> = Vec::new();
            // Asked at most once per call: every message without an address goes to it.
            let mut peer: Option<Option<SockAddr>> = None;
            for i in 0..count {
                let at = sc.ptr(1).wrapping_add((i * layout.mmsg_size) as u64);
                let addr = match msghdr_name(mem, tid, sc.abi, at) {
                    Some(MsgName::Given(addr)) => addr,
                    Some(MsgName::Absent) => peer.get_or_insert_with(|| connected_peer(pid, sc.int(0) as i32)).clone(),
                    None => None,
                };
                if let Some(ev) = addr.map(send) {
                    // A batch to one peer is one fact, not hundreds.
                    if !events.contains(&ev) {
                        events.push(ev);
                    }
                }
            }
            Entry::Done(events)
        }
        other => unreachable!("{other:?} is not a socket call"),
    }
}

/// The type of the socket at `fd` of process `pid`, asked once the call has succeeded or
/// failed (a task killed inside the call has no descriptors left to ask); and, after a
/// successful bind to port 0, the address with the port the kernel chose.
pub fn socket_facts(
    pid: Tid,
    fd: i32,
    result: SyscallResult,
    bound: Option<&SockAddr>,
) -> (Option<SocketKind>, Option<SockAddr>) {
    if result == SyscallResult::Unknown {
        return (None, None);
    }
    let Ok(socket) = sys::socket_of(pid, fd) else { return (None, None) };
    let kind = sys::socket_type(&socket).ok().map(SocketKind::from_so_type);
    let chosen = match bound {
        Some(addr) if addr.port() == Some(0) && result.is_ok() => {
            sys::socket_name(&socket).ok().and_then(|name| sockaddr::parse(&name))
        }
        _ => None,
    };
    (kind, chosen)
}

/// A recvfrom(fd, buf, len, flags, from, from_len) waiting for its datagram.
#[derive(Clone, Debug)]
pub struct Recvfrom {
    buf: u64,
    len: usize,
    from: u64,
    /// Points to a socklen_t (32 bits in every ABI): the source address's length.
    from_len: u64,
}

impl Recvfrom {
    /// A DNS answer, when the datagram came from port 53 and reads as one.
    pub fn finish(self, caller: Caller, result: SyscallResult) -> Option<EventKind> {
        let SyscallResult::Ok(received) = result else { return None };
        let from_len = caller.mem.read_exact(caller.tid, self.from_len, 4).ok()?;
        let from_len = u32::from_le_bytes(from_len.try_into().ok()?);
        let server = read_addr(caller.mem, caller.tid, self.from, u64::from(from_len))?;
        if server.port() != Some(DNS_PORT) {
            return None;
        }
        // With MSG_TRUNC the result is the datagram's length, which may exceed the buffer.
        let len = usize::try_from(received).ok()?.min(self.len).min(MAX_DNS_MESSAGE);
        let message = caller.mem.read_exact(caller.tid, self.buf, len).ok()?;
        let answer = dns::parse_response(&message)?;
        Some(EventKind::DnsAnswer { server, name: answer.name, rcode: answer.rcode, addrs: answer.addrs })
    }
}

fn send(addr: runglass_model::SockAddr) -> EventKind {
    EventKind::Send { addr }
}

fn read_addr(mem: &Memory, tid: Tid, ptr: u64, len: u64) -> Option<runglass_model::SockAddr> {
    if ptr == 0 || len == 0 {
        return None;
    }
    let len = (len as u32 as usize).min(MAX_SOCKADDR);
    let mut buf = vec![0u8; len];
    let n = mem.read(tid, ptr, &mut buf).ok()?;
    sockaddr::parse(&buf[..n])
}

/// Where msg_name and msg_namelen sit in `struct msghdr`, and the size of `struct mmsghdr`.
struct Msghdr {
    name_len_offset: usize,
    word: usize,
    mmsg_size: usize,
}

impl Msghdr {
    fn of(abi: Abi) -> Msghdr {
        match abi {
            // void *msg_name; socklen_t msg_namelen; ... 56 bytes, + unsigned msg_len, padded.
            Abi::X86_64 => Msghdr { name_len_offset: 8, word: 8, mmsg_size: 64 },
            // The compat layout: 32-bit pointers, 28 bytes, + msg_len.
            Abi::I386 | Abi::X32 => Msghdr { name_len_offset: 4, word: 4, mmsg_size: 32 },
        }
    }
}

/// The destination a message header gives.
enum MsgName {
    /// An address (None: one that could not be read or parsed).
    Given(Option<SockAddr>),
    /// No address (msg_name NULL): the message goes to the socket's peer.
    Absent,
}

/// The destination in the message header at `msg`; None when the header cannot be read.
fn msghdr_name(mem: &Memory, tid: Tid, abi: Abi, msg: u64) -> Option<MsgName> {
    let layout = Msghdr::of(abi);
    let head = mem.read_exact(tid, msg, layout.name_len_offset + 4).ok()?;
    let name = match layout.word {
        8 => u64::from_le_bytes(head[0..8].try_into().ok()?),
        _ => u64::from(u32::from_le_bytes(head[0..4].try_into().ok()?)),
    };
    let off = layout.name_len_offset;
    let len = u32::from_le_bytes(head[off..off + 4].try_into().ok()?);
    if name == 0 {
        return Some(MsgName::Absent);
    }
    Some(MsgName::Given(read_addr(mem, tid, name, u64::from(len))))
}

/// The peer of the connected datagram socket at `fd` of process `pid`: where a message
/// sent without an address goes (glibc's resolver sends its queries so, with sendmmsg). A
/// stream socket's messages are traffic on a connection already recorded, and the peers
/// of netlink sockets and of unnamed unix sockets (a socketpair) are no one to list: None.
fn connected_peer(pid: Tid, fd: i32) -> Option<SockAddr> {
    let socket = sys::socket_of(pid, fd).ok()?;
    if SocketKind::from_so_type(sys::socket_type(&socket).ok()?) != SocketKind::Datagram {
        return None;
    }
    match sockaddr::parse(&sys::socket_peer(&socket).ok()?)? {
        SockAddr::UnixUnnamed | SockAddr::Other { .. } => None,
        peer => Some(peer),
    }
}

/// i386 socketcall(call, unsigned long *args): read the argument block, then decode as
/// the direct call.
/// The local address of socket `fd` of thread `tid`, for listen(2): the socket was bound
/// earlier (perhaps by another process, perhaps to port 0), so it is looked up by its
/// inode in the tables of the caller's network namespace.
pub fn listen_addr(tid: Tid, fd: i64) -> Option<SockAddr> {
    let link = crate::paths::fd_path(tid, fd).ok()?;
    let inode = std::str::from_utf8(link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?).ok()?.parse().ok()?;
    SocketTables::read(u32::try_from(tid).ok()?).local_addr(inode)
}

fn socketcall(mem: &Memory, pid: Tid, tid: Tid, sc: &Syscall) -> Entry {
    let (call, nargs) = match sc.u32(0) {
        socketcall::BIND => (Call::Bind, 3),
        socketcall::CONNECT => (Call::Connect, 3),
        socketcall::LISTEN => (Call::Listen, 2),
        socketcall::SENDTO => (Call::Sendto, 6),
        socketcall::RECVFROM => (Call::Recvfrom, 6),
        socketcall::GETSOCKOPT => (Call::Getsockopt, 5),
        socketcall::SENDMSG => (Call::Sendmsg, 3),
        socketcall::SENDMMSG => (Call::Sendmmsg, 4),
        _ => return Entry::Done(Vec::new()),
    };
    let Ok(block) = mem.read_exact(tid, sc.ptr(1), nargs * 4) else {
        return Entry::Done(Vec::new());
    };
    let mut args = [0u64; 6];
    for (i, w) in block.chunks_exact(4).enumerate() {
        args[i] = u64::from(u32::from_le_bytes(w.try_into().expect("4 bytes")));
    }
    match call {
        // The filter cannot look into the argument block: recvfrom without an address
        // stops here too, and needs no exit stop.
        Call::Recvfrom if args[4] == 0 => Entry::Done(Vec::new()),
        _ => decode(mem, pid, tid, &Syscall { abi: Abi::I386, call, args }),
    }
}
