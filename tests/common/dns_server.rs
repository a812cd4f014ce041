//! A tiny DNS responder for the network-name tests: a thread answering UDP queries on
//! `<loopback address>:53` from a fixed table, so that glibc's resolver, pointed at it by
//! a private resolv.conf, gets known answers without any network.
//!
//! A queries for a known name get its addresses; AAAA (and any other type) for a known
//! name get NOERROR with no records; unknown names get NXDOMAIN. One hostile name gets a
//! malformed answer, the kind a resolver decoder must survive: an answer count of 65535
//! with a single record whose owner name is a compression pointer to itself.

use std::io::ErrorKind::{ConnectionRefused, Interrupted, TimedOut, WouldBlock};
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The address in the hostile answer's one record: no decoder should ever report it.
pub const HOSTILE_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 66);

const TYPE_A: u16 = 1;
const NXDOMAIN: u8 = 3;

/// One question the server was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Lower case, without the trailing dot.
    pub name: String,
    /// 1 for A, 28 for AAAA.
    pub qtype: u16,
}

/// A running responder; it stops when dropped.
pub struct DnsServer {
    address: Ipv4Addr,
    queries: Arc<Mutex<Vec<Query>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the server answers.
struct Zone {
    names: Vec<(String, Vec<Ipv4Addr>)>,
    hostile: String,
}

impl DnsServer {
    /// Serves `names` (name -> its IPv4 addresses) and the malformed answer for `hostile`
    /// on `address`:53. Binding port 53 needs root (or CAP_NET_BIND_SERVICE).
    pub fn start(address: Ipv4Addr, names: &[(&str, &[Ipv4Addr])], hostile: &str) -> std::io::Result<DnsServer> {
        let socket = UdpSocket::bind((address, 53))?;
        // The thread looks at `stop` this often.
        socket.set_read_timeout(Some(Duration::from_millis(50)))?;
        let zone = Zone {
            names: names.iter().map(|(n, a)| (n.to_ascii_lowercase(), a.to_vec())).collect(),
            hostile: hostile.to_ascii_lowercase(),
        };
        let queries = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (queries, stop) = (Arc::clone(&queries), Arc::clone(&stop));
            std::thread::spawn(move || serve(&socket, &zone, &queries, &stop))
        };
        Ok(DnsServer { address, queries, stop, thread: Some(thread) })
    }

    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// Every question asked so far, in order.
    pub fn queries(&self) -> Vec<Query> {
        self.queries.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(socket: &UdpSocket, zone: &Zone, queries: &Mutex<Vec<Query>>, stop: &AtomicBool) {
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            // Time to look at `stop`, or an ICMP error about an earlier reply's client.
            Err(e) if matches!(e.kind(), WouldBlock | TimedOut | Interrupted | ConnectionRefused) => continue,
            Err(e) => panic!("dns server on {:?}: {e}", socket.local_addr()),
        };
        // Anything that is not one plain question goes unanswered, as a real server may.
        let Some((query, question)) = parse(&buf[..len]) else { continue };
        let reply = answer(&buf[..len], question, &query, zone);
        queries.lock().unwrap_or_else(|e| e.into_inner()).push(query);
        let _ = socket.send_to(&reply, from);
    }
}

/// The query's question and the bytes of its question section (header excluded).
fn parse(msg: &[u8]) -> Option<(Query, &[u8])> {
    let is_response = msg.get(2)? & 0x80 != 0;
    if msg.len() < 12 || is_response || u16::from_be_bytes([msg[4], msg[5]]) != 1 {
        return None;
    }
    let mut labels = Vec::new();
    let mut at = 12;
    loop {
        let len = usize::from(*msg.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        // Queries carry no compression pointers; a label is at most 63 bytes.
        if len > 63 || at + len > msg.len() {
            return None;
        }
        labels.push(String::from_utf8_lossy(&msg[at..at + len]).to_ascii_lowercase());
        at += len;
    }
    let fixed = msg.get(at..at + 4)?;
    let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    Some((Query { name: labels.join("."), qtype }, &msg[12..at + 4]))
}

/// The whole reply: the header (id copied, QR and RA set, opcode and RD echoed), the
/// question echoed, then the answers.
fn answer(msg: &[u8], question: &[u8], query: &Query, zone: &Zone) -> Vec<u8> {
    let known = zone.names.iter().find(|(name, _)| *name == query.name).map(|(_, a)| a.as_slice());
    let hostile = query.name == zone.hostile;
    let (rcode, ancount) = match known {
        _ if hostile => (0, u16::MAX),
        Some(addresses) if query.qtype == TYPE_A => (0, addresses.len() as u16),
        Some(_) => (0, 0),
        None => (NXDOMAIN, 0),
    };
    let mut reply = Vec::with_capacity(512);
    reply.extend_from_slice(&msg[0..2]);
    reply.push(0x80 | (msg[2] & 0x79));
    reply.push(0x80 | rcode);
    for count in [1, ancount, 0, 0] {
        reply.extend_from_slice(&u16::to_be_bytes(count));
    }
    reply.extend_from_slice(question);
    if hostile {
        let own_offset = reply.len() as u16;
        reply.extend_from_slice(&(0xC000 | own_offset).to_be_bytes());
        a_record_rest(&mut reply, HOSTILE_ADDRESS);
    } else if ancount > 0 {
        for address in known.unwrap_or_default() {
            // The owner name points at the question's name, at offset 12.
            reply.extend_from_slice(&[0xC0, 12]);
            a_record_rest(&mut reply, *address);
        }
    }
    reply
}

/// An A record after its owner name: type, class IN, TTL 60, the four address bytes.
fn a_record_rest(reply: &mut Vec<u8>, address: Ipv4Addr) {
    reply.extend_from_slice(&TYPE_A.to_be_bytes());
    reply.extend_from_slice(&1u16.to_be_bytes());
    reply.extend_from_slice(&60u32.to_be_bytes());
    reply.extend_from_slice(&4u16.to_be_bytes());
    reply.extend_from_slice(&address.octets());
}
