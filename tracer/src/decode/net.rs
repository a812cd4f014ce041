//! Socket calls: connect and bind peers, listen, and datagrams sent to an explicit
//! address (sendto/sendmsg/sendmmsg), in the 64-bit and 32-bit layouts.

use runglass_model::EventKind;

use super::sockaddr::{self, MAX_SOCKADDR};
use super::{Entry, Pending, Syscall};
use crate::arch::{Abi, Call, socketcall};
use crate::memory::Memory;
use crate::sys::Tid;

/// sendmmsg handles at most this many messages per call (UIO_MAXIOV).
const MAX_MMSG: usize = 1024;

pub fn decode(mem: &Memory, tid: Tid, sc: &Syscall) -> Entry {
    match sc.call {
        Call::Socketcall => socketcall(mem, tid, sc),
        Call::Connect => match read_addr(mem, tid, sc.ptr(1), sc.args[2]) {
            Some(addr) => Entry::AwaitExit(Pending::Connect { addr }),
            None => Entry::Done(Vec::new()),
        },
        Call::Bind => match read_addr(mem, tid, sc.ptr(1), sc.args[2]) {
            Some(addr) => Entry::AwaitExit(Pending::Bind { addr }),
            None => Entry::Done(Vec::new()),
        },
        Call::Listen => Entry::AwaitExit(Pending::Listen { fd: sc.int(0) }),
        Call::Sendto => Entry::Done(read_addr(mem, tid, sc.ptr(4), sc.args[5]).map(send).into_iter().collect()),
        Call::Sendmsg => Entry::Done(msghdr_addr(mem, tid, sc.abi, sc.ptr(1)).map(send).into_iter().collect()),
        Call::Sendmmsg => {
            let layout = Msghdr::of(sc.abi);
            let count = (sc.args[2] as u32 as usize).min(MAX_MMSG);
            let mut events: Vec<EventKind> = Vec::new();
            for i in 0..count {
                let at = sc.ptr(1).wrapping_add((i * layout.mmsg_size) as u64);
                if let Some(ev) = msghdr_addr(mem, tid, sc.abi, at).map(send) {
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

fn msghdr_addr(mem: &Memory, tid: Tid, abi: Abi, msg: u64) -> Option<runglass_model::SockAddr> {
    let layout = Msghdr::of(abi);
    let head = mem.read_exact(tid, msg, layout.name_len_offset + 4).ok()?;
    let name = match layout.word {
        8 => u64::from_le_bytes(head[0..8].try_into().ok()?),
        _ => u64::from(u32::from_le_bytes(head[0..4].try_into().ok()?)),
    };
    let off = layout.name_len_offset;
    let len = u32::from_le_bytes(head[off..off + 4].try_into().ok()?);
    read_addr(mem, tid, name, u64::from(len))
}

/// i386 socketcall(call, unsigned long *args): read the argument block, then decode as
/// the direct call.
fn socketcall(mem: &Memory, tid: Tid, sc: &Syscall) -> Entry {
    let (call, nargs) = match sc.u32(0) {
        socketcall::BIND => (Call::Bind, 3),
        socketcall::CONNECT => (Call::Connect, 3),
        socketcall::LISTEN => (Call::Listen, 2),
        socketcall::SENDTO => (Call::Sendto, 6),
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
    decode(mem, tid, &Syscall { abi: Abi::I386, call, args })
}
