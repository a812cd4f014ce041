//! Network activity, folded from connect/bind/listen/send events: outbound peers,
//! listening ports and unix sockets, one row per (peer, process); the tree's DNS lookups;
//! and each peer's host name: the name the connecting process itself most recently
//! resolved to that address (from a DNS answer it received, or its hosts file), else the
//! tree's latest name for it. One address reached under two names (a CDN) is two rows.
//!
//! A UDP socket connected to an address and never sent on is an address probe (glibc's
//! getaddrinfo connects one per candidate address to rank them): in deep mode it is listed
//! apart (`probes`), not as a peer. A datagram sent to the address, or a DNS answer received
//! from it, makes it a peer.
//!
//! A non-blocking connect's row takes the result its `connect_result` event brings later.

use std::collections::HashMap;
use std::net::IpAddr;

use runglass_model::receipt::{
    Listener, Lookup, LookupStatus, NameSource, Network, Peer, PeerResult, Probe, Protocol, Source, UnixRole,
    UnixSocket,
};
use runglass_model::{ByteString, Event, EventKind, Pid, SockAddr, SocketKind, SyscallResult};

use super::ms;
use super::processes::Who;

const RCODE_NXDOMAIN: u8 = 3;

const ECONNREFUSED: i32 = 111;
const EINPROGRESS: i32 = 115;
const ETIMEDOUT: i32 = 110;
const ENETUNREACH: i32 = 101;
const EHOSTUNREACH: i32 = 113;

/// A peer row's identity: protocol, host name, address, port, process.
type PeerKey = (Protocol, Option<String>, String, u16, Pid);

pub struct NetworkTable {
    network: Network,
    peers: HashMap<PeerKey, usize>,
    listeners: HashMap<(String, u16, Pid), usize>,
    unix: HashMap<(ByteString, Pid), usize>,
    lookups: HashMap<(String, Pid), usize>,
    /// Each address's latest name in the whole tree.
    names: HashMap<IpAddr, (String, NameSource)>,
    /// Each address's latest name as each process resolved it.
    names_by_pid: HashMap<(Pid, IpAddr), (String, NameSource)>,
    /// UDP connects not yet known to be traffic, by (process, address, port).
    udp_connects: HashMap<(Pid, String, u16), UdpConnect>,
    /// (process, address, port) that datagrams went to or DNS answers came from.
    traffic: std::collections::HashSet<(Pid, String, u16)>,
    /// Connects in progress, by process and address: each one's row, and its place among
    /// the row's connects (its `count` then), latest last.
    in_progress: HashMap<(Pid, SockAddr), Vec<(usize, u64)>>,
    source: Source,
}

/// A UDP connect waiting to be called traffic or a probe.
struct UdpConnect {
    /// Its place among the UDP connects, so that rows keep the order things happened in.
    seq: usize,
    who: Who,
    name: Option<(String, NameSource)>,
    first_ms: u64,
    last_ms: u64,
    count: u64,
}

impl NetworkTable {
    pub fn new(source: Source) -> Self {
        NetworkTable {
            network: Network::default(),
            peers: HashMap::new(),
            listeners: HashMap::new(),
            unix: HashMap::new(),
            lookups: HashMap::new(),
            names: HashMap::new(),
            names_by_pid: HashMap::new(),
            udp_connects: HashMap::new(),
            traffic: Default::default(),
            in_progress: HashMap::new(),
            source,
        }
    }

    /// Folds one event in; `who` gives the acting process as it is at that moment.
    pub fn observe(&mut self, event: &Event, who: impl FnOnce() -> Who) {
        let at = ms(event.time_ns);
        let pid = event.pid;
        match &event.kind {
            // A failed connect to a unix socket reached nothing (glibc tries nscd's socket
            // before every lookup); inet peers that refused are listed, they exist.
            EventKind::Connect { addr: SockAddr::Unix { .. } | SockAddr::UnixAbstract { .. }, result, .. }
                if !result.is_ok() && *result != SyscallResult::Unknown => {}
            // Traced, a connected UDP socket is a peer only once something goes to it.
            EventKind::Connect { addr, result: SyscallResult::Ok(_), socket: Some(SocketKind::Datagram) }
                if self.source == Source::Trace && addr.ip().is_some() =>
            {
                self.udp_connect(addr, pid, at, who);
            }
            EventKind::Connect { addr, result, socket } => {
                let row = self.peer(protocol(*socket), addr, pid, at, connect_result(*result), who);
                if let (Some(row), SyscallResult::Err(e)) = (row, result)
                    && e.0 == EINPROGRESS
                {
                    let count = self.network.outbound[row].count;
                    self.in_progress.entry((pid, addr.clone())).or_default().push((row, count));
                }
            }
            EventKind::ConnectResult { addr, result } => self.late_result(pid, addr, *result),
            EventKind::Send { addr } => {
                if let Some(key) = endpoint(addr) {
                    self.traffic.insert((pid, key.0, key.1));
                }
                self.peer(Protocol::Udp, addr, pid, at, PeerResult::Sent, who);
            }
            EventKind::Bind { addr, result, socket } if result.is_ok() || *result == SyscallResult::Unknown => {
                match addr {
                    // A bound stream socket listens only once listen(2) says so (a client may
                    // bind its source port); a bound datagram socket receives from anyone.
                    SockAddr::Inet { .. } | SockAddr::Inet6 { .. } if addr.port() == Some(0) => {}
                    SockAddr::Inet { .. } | SockAddr::Inet6 { .. } => match socket {
                        Some(SocketKind::Stream) => {}
                        _ => self.listener(protocol(*socket), addr, pid, at, who),
                    },
                    _ => self.unix_socket(addr, UnixRole::Bound, pid, who),
                }
            }
            EventKind::Listen { addr: Some(addr), result } if result.is_ok() || *result == SyscallResult::Unknown => {
                match addr {
                    SockAddr::Inet { .. } | SockAddr::Inet6 { .. } => self.listener(Protocol::Tcp, addr, pid, at, who),
                    _ => self.unix_socket(addr, UnixRole::Listening, pid, who),
                }
            }
            EventKind::DnsAnswer { server, name, rcode, addrs } => {
                for ip in addrs {
                    self.name(pid, *ip, name, NameSource::Dns);
                }
                // An answer came back: the query went to the server.
                if let Some(key) = endpoint(server) {
                    self.traffic.insert((pid, key.0, key.1));
                }
                self.lookup(server, name, *rcode, addrs, pid, at, who);
            }
            EventKind::HostsName { addr, name } => self.name(pid, *addr, name, NameSource::Hosts),
            _ => {}
        }
    }

    fn name(&mut self, pid: Pid, ip: IpAddr, name: &str, from: NameSource) {
        let ip = ip.to_canonical();
        self.names.insert(ip, (name.to_string(), from));
        self.names_by_pid.insert((pid, ip), (name.to_string(), from));
    }

    /// The name `pid` knows `addr` by: its own latest, else the tree's latest.
    fn name_of(&self, pid: Pid, addr: &SockAddr) -> Option<(String, NameSource)> {
        let ip = addr.ip()?;
        self.names_by_pid.get(&(pid, ip)).or_else(|| self.names.get(&ip)).cloned()
    }

    fn udp_connect(&mut self, addr: &SockAddr, pid: Pid, at: u64, who: impl FnOnce() -> Who) {
        let Some((address, port)) = endpoint(addr) else { return };
        let name = self.name_of(pid, addr);
        let seq = self.udp_connects.len();
        let pending = self.udp_connects.entry((pid, address, port)).or_insert_with(|| UdpConnect {
            seq,
            who: who(),
            name: None,
            first_ms: at,
            last_ms: at,
            count: 0,
        });
        pending.count += 1;
        pending.last_ms = at;
        if name.is_some() {
            pending.name = name;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lookup(
        &mut self,
        server: &SockAddr,
        name: &str,
        rcode: u8,
        addrs: &[IpAddr],
        pid: Pid,
        at: u64,
        who: impl FnOnce() -> Who,
    ) {
        let status = match rcode {
            0 => LookupStatus::Answered,
            RCODE_NXDOMAIN => LookupStatus::NoSuchName,
            rcode => LookupStatus::Failed { rcode },
        };
        let key = (name.to_ascii_lowercase(), pid);
        let i = *self.lookups.entry(key).or_insert_with(|| {
            let who = who();
            self.network.lookups.push(Lookup {
                name: name.to_string(),
                addresses: Vec::new(),
                status: status.clone(),
                server: server.to_string(),
                pid,
                process: who.process,
                exec: who.exec,
                first_ms: at,
                count: 0,
            });
            self.network.lookups.len() - 1
        });
        let row = &mut self.network.lookups[i];
        row.count += 1;
        // One answer is enough to call the name answered (the AAAA query of an IPv4-only
        // name fails while the A query succeeds).
        if status == LookupStatus::Answered || row.status != LookupStatus::Answered {
            row.status = status;
        }
        for ip in addrs {
            let ip = ip.to_string();
            if !row.addresses.contains(&ip) {
                row.addresses.push(ip);
            }
        }
    }

    /// The late result of the latest connect in progress of `pid` to `addr`. It is the
    /// row's result unless a later connect of the same row has spoken since.
    fn late_result(&mut self, pid: Pid, addr: &SockAddr, result: SyscallResult) {
        let Some(pending) = self.in_progress.get_mut(&(pid, addr.clone())) else { return };
        let Some((row, count)) = pending.pop() else { return };
        let p = &mut self.network.outbound[row];
        if p.count == count {
            p.result = match result {
                SyscallResult::Unknown => PeerResult::Pending,
                done => connect_result(done),
            };
        }
    }

    /// Adds a connect or send to its peer's row; returns the row (None: not an inet peer).
    fn peer(
        &mut self,
        protocol: Protocol,
        addr: &SockAddr,
        pid: Pid,
        at: u64,
        result: PeerResult,
        who: impl FnOnce() -> Who,
    ) -> Option<usize> {
        let (address, port) = match addr {
            SockAddr::Unix { .. } | SockAddr::UnixAbstract { .. } => {
                self.unix_socket(addr, UnixRole::Connected, pid, who);
                return None;
            }
            _ => endpoint(addr)?,
        };
        let name = self.name_of(pid, addr);
        let key = (protocol, name.as_ref().map(|(host, _)| host.clone()), address.clone(), port, pid);
        match self.peers.get(&key) {
            Some(&i) => {
                let p = &mut self.network.outbound[i];
                p.last_ms = at;
                p.count += 1;
                p.result = result;
                Some(i)
            }
            None => {
                let who = who();
                self.peers.insert(key, self.network.outbound.len());
                self.network.outbound.push(Peer {
                    protocol,
                    address,
                    port,
                    host: name.as_ref().map(|(host, _)| host.clone()),
                    host_from: name.map(|(_, from)| from),
                    pid,
                    process: who.process,
                    exec: who.exec,
                    result,
                    first_ms: at,
                    last_ms: at,
                    count: 1,
                    seen_by: self.source,
                });
                Some(self.network.outbound.len() - 1)
            }
        }
    }

    fn listener(&mut self, protocol: Protocol, addr: &SockAddr, pid: Pid, at: u64, who: impl FnOnce() -> Who) {
        let (address, port) = match addr {
            SockAddr::Inet { ip, port } => (ip.to_string(), *port),
            SockAddr::Inet6 { ip, port, .. } => (ip.to_string(), *port),
            _ => return,
        };
        let key = (address.clone(), port, pid);
        if let Some(&i) = self.listeners.get(&key) {
            // A listen(2) after the bind tells what the bound port is.
            if protocol == Protocol::Tcp {
                self.network.listening[i].protocol = Protocol::Tcp;
            }
            return;
        }
        let who = who();
        self.listeners.insert(key, self.network.listening.len());
        self.network.listening.push(Listener {
            protocol,
            address,
            port,
            wildcard: addr.is_wildcard(),
            pid,
            process: who.process,
            exec: who.exec,
            at_ms: at,
            seen_by: self.source,
        });
    }

    fn unix_socket(&mut self, addr: &SockAddr, role: UnixRole, pid: Pid, who: impl FnOnce() -> Who) {
        let path = match addr {
            SockAddr::Unix { path } => path.clone(),
            SockAddr::UnixAbstract { name } => {
                let mut p = b"@".to_vec();
                p.extend_from_slice(name.as_bytes());
                ByteString(p)
            }
            _ => return,
        };
        let key = (path.clone(), pid);
        match self.unix.get(&key) {
            Some(&i) => {
                let s = &mut self.network.unix[i];
                s.count += 1;
                if role == UnixRole::Listening {
                    s.role = role;
                }
            }
            None => {
                self.unix.insert(key, self.network.unix.len());
                let who = who();
                let (process, exec) = (who.process, who.exec);
                self.network.unix.push(UnixSocket { path, role, pid, process, exec, count: 1, seen_by: self.source });
            }
        }
    }

    /// The network section: UDP connects that carried traffic become peers, the rest probes.
    pub fn finish(mut self) -> Network {
        let mut pending: Vec<((Pid, String, u16), UdpConnect)> = self.udp_connects.drain().collect();
        pending.sort_by_key(|(_, c)| c.seq);
        for ((pid, address, port), c) in pending {
            if !self.traffic.contains(&(pid, address.clone(), port)) {
                let Who { process, exec, .. } = c.who;
                self.network.probes.push(Probe {
                    address,
                    port,
                    pid,
                    process,
                    exec,
                    first_ms: c.first_ms,
                    count: c.count,
                });
                continue;
            }
            let key = (Protocol::Udp, c.name.as_ref().map(|(host, _)| host.clone()), address.clone(), port, pid);
            match self.peers.get(&key) {
                // Sends to it made the row already: the connects count too.
                Some(&i) => {
                    let p = &mut self.network.outbound[i];
                    p.first_ms = p.first_ms.min(c.first_ms);
                    p.count += c.count;
                }
                None => {
                    self.peers.insert(key, self.network.outbound.len());
                    self.network.outbound.push(Peer {
                        protocol: Protocol::Udp,
                        address,
                        port,
                        host: c.name.as_ref().map(|(host, _)| host.clone()),
                        host_from: c.name.map(|(_, from)| from),
                        pid,
                        process: c.who.process,
                        exec: c.who.exec,
                        result: PeerResult::Connected,
                        first_ms: c.first_ms,
                        last_ms: c.last_ms,
                        count: c.count,
                        seen_by: self.source,
                    });
                }
            }
        }
        // In the order they were first reached.
        self.network.outbound.sort_by_key(|p| p.first_ms);
        self.network
    }
}

/// An inet address as (address text, port); None for other families.
fn endpoint(addr: &SockAddr) -> Option<(String, u16)> {
    match addr {
        SockAddr::Inet { ip, port } => Some((ip.to_string(), *port)),
        SockAddr::Inet6 { ip, port, .. } => Some((ip.to_string(), *port)),
        _ => None,
    }
}

/// A connect's row result from its return value: ECONNREFUSED, ETIMEDOUT, ENETUNREACH and
/// EHOSTUNREACH have their own; EINPROGRESS waits for the result a later `connect_result`
/// brings (until then, `in progress`).
pub fn connect_result(result: SyscallResult) -> PeerResult {
    match result {
        SyscallResult::Ok(_) => PeerResult::Connected,
        SyscallResult::Err(e) if e.0 == ECONNREFUSED => PeerResult::Refused,
        SyscallResult::Err(e) if e.0 == ETIMEDOUT => PeerResult::TimedOut,
        SyscallResult::Err(e) if e.0 == ENETUNREACH || e.0 == EHOSTUNREACH => {
            PeerResult::Unreachable { error: e.to_string() }
        }
        SyscallResult::Err(e) if e.0 == EINPROGRESS => PeerResult::InProgress,
        SyscallResult::Err(e) => PeerResult::Failed { error: e.to_string() },
        SyscallResult::Unknown => PeerResult::Open,
    }
}

/// An inet socket's protocol by its type.
fn protocol(socket: Option<SocketKind>) -> Protocol {
    match socket {
        Some(SocketKind::Stream) => Protocol::Tcp,
        Some(SocketKind::Datagram) => Protocol::Udp,
        _ => Protocol::Ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::Errno;

    fn fold(events: &[(u32, EventKind)]) -> Network {
        let mut table = NetworkTable::new(Source::Trace);
        for (i, (pid, kind)) in events.iter().enumerate() {
            let event = Event { time_ns: i as u64 * 1_000_000, pid: *pid, tid: *pid, kind: kind.clone() };
            table.observe(&event, || Who { pid: *pid, process: *pid, exec: None });
        }
        table.finish()
    }

    fn inet(ip: [u8; 4], port: u16) -> SockAddr {
        SockAddr::Inet { ip: ip.into(), port }
    }

    fn answer(name: &str, rcode: u8, addrs: &[[u8; 4]]) -> EventKind {
        let addrs = addrs.iter().map(|a| IpAddr::from(*a)).collect();
        EventKind::DnsAnswer { server: inet([127, 0, 0, 53], 53), name: name.into(), rcode, addrs }
    }

    fn connect(ip: [u8; 4], port: u16, result: SyscallResult, socket: Option<SocketKind>) -> EventKind {
        EventKind::Connect { addr: inet(ip, port), result, socket }
    }

    const TCP: Option<SocketKind> = Some(SocketKind::Stream);

    #[test]
    fn a_connect_takes_the_name_that_last_gave_its_address_before_it() {
        let n = fold(&[
            (7, connect([10, 0, 0, 1], 443, SyscallResult::Ok(0), TCP)),
            (7, answer("old.test", 0, &[[10, 0, 0, 1]])),
            (8, connect([10, 0, 0, 1], 443, SyscallResult::Ok(0), TCP)),
            (9, answer("new.test", 0, &[[10, 0, 0, 1], [10, 0, 0, 2]])),
            (9, connect([10, 0, 0, 1], 80, SyscallResult::Err(Errno(111)), TCP)),
            (9, EventKind::HostsName { addr: [10, 0, 0, 3].into(), name: "h.test".into() }),
            (9, connect([10, 0, 0, 3], 22, SyscallResult::Ok(0), TCP)),
        ]);
        let rows: Vec<_> = n
            .outbound
            .iter()
            .map(|p| (p.pid, p.port, p.host.as_deref(), p.host_from, p.protocol, p.result.clone()))
            .collect();
        assert_eq!(
            rows,
            [
                (7, 443, None, None, Protocol::Tcp, PeerResult::Connected),
                (8, 443, Some("old.test"), Some(NameSource::Dns), Protocol::Tcp, PeerResult::Connected),
                (9, 80, Some("new.test"), Some(NameSource::Dns), Protocol::Tcp, PeerResult::Refused),
                (9, 22, Some("h.test"), Some(NameSource::Hosts), Protocol::Tcp, PeerResult::Connected),
            ]
        );
    }

    #[test]
    fn one_address_under_two_names_is_two_rows_each_with_its_own_name() {
        // Behind a CDN, pypi.org and files.pythonhosted.org share an address.
        let n = fold(&[
            (7, answer("pypi.org", 0, &[[151, 101, 0, 223]])),
            (7, connect([151, 101, 0, 223], 443, SyscallResult::Ok(0), TCP)),
            (7, answer("files.pythonhosted.org", 0, &[[151, 101, 0, 223]])),
            (7, connect([151, 101, 0, 223], 443, SyscallResult::Ok(0), TCP)),
            (7, connect([151, 101, 0, 223], 443, SyscallResult::Ok(0), TCP)),
        ]);
        let rows: Vec<_> = n.outbound.iter().map(|p| (p.host.as_deref(), p.count)).collect();
        assert_eq!(rows, [(Some("pypi.org"), 1), (Some("files.pythonhosted.org"), 2)]);
    }

    #[test]
    fn a_connection_takes_the_name_its_own_process_resolved() {
        let n = fold(&[
            (7, answer("mine.test", 0, &[[10, 0, 0, 9]])),
            (8, answer("theirs.test", 0, &[[10, 0, 0, 9]])),
            (7, connect([10, 0, 0, 9], 443, SyscallResult::Ok(0), TCP)),
            (9, connect([10, 0, 0, 9], 443, SyscallResult::Ok(0), TCP)),
        ]);
        let rows: Vec<_> = n.outbound.iter().map(|p| (p.pid, p.host.as_deref())).collect();
        assert_eq!(
            rows,
            [(7, Some("mine.test")), (9, Some("theirs.test"))],
            "a process with no answer of its own: the latest"
        );
    }

    #[test]
    fn a_udp_connect_that_sends_nothing_is_a_probe_and_one_that_does_is_a_peer() {
        const UDP: Option<SocketKind> = Some(SocketKind::Datagram);
        let n = fold(&[
            // getaddrinfo ranking two addresses: connect, getsockname, close.
            (7, connect([10, 0, 0, 1], 8765, SyscallResult::Ok(0), UDP)),
            (7, connect([10, 0, 0, 2], 8765, SyscallResult::Ok(0), UDP)),
            // A resolver's connected socket: the answer came back from it.
            (7, connect([127, 0, 0, 53], 53, SyscallResult::Ok(0), UDP)),
            (7, answer("a.test", 0, &[[10, 0, 0, 1]])),
            // A client that sends on its connected socket.
            (8, connect([10, 0, 0, 3], 9000, SyscallResult::Ok(0), UDP)),
            (8, EventKind::Send { addr: inet([10, 0, 0, 3], 9000) }),
        ]);
        let peers: Vec<_> =
            n.outbound.iter().map(|p| (p.pid, p.address.as_str(), p.port, p.result.clone(), p.count)).collect();
        assert_eq!(
            peers,
            [(7, "127.0.0.53", 53, PeerResult::Connected, 1), (8, "10.0.0.3", 9000, PeerResult::Sent, 2)]
        );
        let probes: Vec<_> = n.probes.iter().map(|p| (p.pid, p.address.as_str(), p.port)).collect();
        assert_eq!(probes, [(7, "10.0.0.1", 8765), (7, "10.0.0.2", 8765)]);
    }

    #[test]
    fn a_connect_in_progress_takes_the_result_that_comes_later_for_its_process_and_address() {
        let pending = SyscallResult::Err(Errno(115));
        let result = |ip, port, result| EventKind::ConnectResult { addr: inet(ip, port), result };
        let n = fold(&[
            (7, connect([10, 0, 0, 1], 443, pending, TCP)),
            (7, connect([10, 0, 0, 2], 443, pending, TCP)),
            (7, connect([10, 0, 0, 3], 443, pending, TCP)),
            (7, connect([10, 0, 0, 4], 443, pending, TCP)),
            (7, connect([10, 0, 0, 5], 443, pending, TCP)),
            (8, connect([10, 0, 0, 6], 443, pending, TCP)),
            // Another process's result for the same address is not this row's.
            (9, result([10, 0, 0, 6], 443, SyscallResult::Ok(0))),
            (7, result([10, 0, 0, 1], 443, SyscallResult::Ok(0))),
            (7, result([10, 0, 0, 2], 443, SyscallResult::Err(Errno(111)))),
            (7, result([10, 0, 0, 3], 443, SyscallResult::Err(Errno(110)))),
            (7, result([10, 0, 0, 4], 443, SyscallResult::Err(Errno(113)))),
            (7, result([10, 0, 0, 5], 443, SyscallResult::Unknown)),
        ]);
        let rows: Vec<_> = n.outbound.iter().map(|p| (p.pid, p.address.as_str(), p.result.clone())).collect();
        assert_eq!(
            rows,
            [
                (7, "10.0.0.1", PeerResult::Connected),
                (7, "10.0.0.2", PeerResult::Refused),
                (7, "10.0.0.3", PeerResult::TimedOut),
                (7, "10.0.0.4", PeerResult::Unreachable { error: "EHOSTUNREACH".into() }),
                (7, "10.0.0.5", PeerResult::Pending),
                (8, "10.0.0.6", PeerResult::InProgress),
            ]
        );
    }

    #[test]
    fn a_late_result_does_not_overwrite_a_later_connect_of_the_same_row() {
        let n = fold(&[
            (7, connect([10, 0, 0, 1], 443, SyscallResult::Err(Errno(115)), TCP)),
            (7, connect([10, 0, 0, 1], 443, SyscallResult::Ok(0), TCP)),
            (7, EventKind::ConnectResult { addr: inet([10, 0, 0, 1], 443), result: SyscallResult::Err(Errno(111)) }),
        ]);
        assert_eq!((n.outbound[0].count, n.outbound[0].result.clone()), (2, PeerResult::Connected));
    }

    #[test]
    fn connect_errors_map_to_their_results() {
        let err = |e| connect_result(SyscallResult::Err(Errno(e)));
        assert_eq!(err(111), PeerResult::Refused);
        assert_eq!(err(110), PeerResult::TimedOut);
        assert_eq!(err(113), PeerResult::Unreachable { error: "EHOSTUNREACH".into() });
        assert_eq!(err(101), PeerResult::Unreachable { error: "ENETUNREACH".into() });
        assert_eq!(err(115), PeerResult::InProgress);
        assert_eq!(err(13), PeerResult::Failed { error: "EACCES".into() });
    }

    #[test]
    fn an_ipv4_address_reached_through_an_ipv6_socket_keeps_its_name() {
        let mapped = SockAddr::Inet6 { ip: "::ffff:10.0.0.1".parse().expect("an address"), port: 443, scope_id: 0 };
        let n = fold(&[
            (7, answer("a.test", 0, &[[10, 0, 0, 1]])),
            (7, EventKind::Connect { addr: mapped, result: SyscallResult::Ok(0), socket: TCP }),
        ]);
        assert_eq!(n.outbound[0].host.as_deref(), Some("a.test"));
    }

    #[test]
    fn lookups_merge_the_answers_of_one_name_by_one_process() {
        let n = fold(&[
            (7, answer("a.test", 0, &[[10, 0, 0, 1]])),
            (7, answer("A.test", 0, &[])),
            (7, answer("a.test", 2, &[])),
            (8, answer("gone.test", 3, &[])),
            (8, answer("broken.test", 2, &[])),
        ]);
        let rows: Vec<_> = n
            .lookups
            .iter()
            .map(|l| (l.pid, l.name.as_str(), l.addresses.clone(), l.status.clone(), l.count))
            .collect();
        assert_eq!(
            rows,
            [
                (7, "a.test", vec!["10.0.0.1".to_string()], LookupStatus::Answered, 3),
                (8, "gone.test", vec![], LookupStatus::NoSuchName, 1),
                (8, "broken.test", vec![], LookupStatus::Failed { rcode: 2 }, 1),
            ]
        );
        assert_eq!(n.lookups[0].server, "127.0.0.53:53");
    }

    #[test]
    fn a_failed_connect_to_a_unix_socket_is_not_a_peer() {
        let unix = |path: &str| SockAddr::Unix { path: path.into() };
        let n = fold(&[
            (
                7,
                EventKind::Connect {
                    addr: unix("/run/nscd/socket"),
                    result: SyscallResult::Err(Errno(2)),
                    socket: None,
                },
            ),
            (7, EventKind::Connect { addr: unix("/run/docker.sock"), result: SyscallResult::Ok(0), socket: None }),
        ]);
        let paths: Vec<_> = n.unix.iter().map(|u| u.path.to_string_lossy().into_owned()).collect();
        assert_eq!(paths, ["/run/docker.sock"]);
    }

    #[test]
    fn protocols_come_from_the_socket_type_and_only_datagram_binds_listen_without_listen() {
        let bind =
            |port, socket| EventKind::Bind { addr: inet([0, 0, 0, 0], port), result: SyscallResult::Ok(0), socket };
        let n = fold(&[
            (7, connect([10, 0, 0, 1], 53, SyscallResult::Ok(0), Some(SocketKind::Datagram))),
            (7, EventKind::Send { addr: inet([10, 0, 0, 1], 53) }),
            (7, connect([10, 0, 0, 1], 80, SyscallResult::Ok(0), None)),
            (7, bind(5353, Some(SocketKind::Datagram))),
            (7, bind(8080, TCP)),
            (7, bind(9000, None)),
        ]);
        let peers: Vec<_> = n.outbound.iter().map(|p| (p.port, p.protocol)).collect();
        assert_eq!(peers, [(53, Protocol::Udp), (80, Protocol::Ip)]);
        let listening: Vec<_> = n.listening.iter().map(|l| (l.port, l.protocol, l.wildcard)).collect();
        assert_eq!(listening, [(5353, Protocol::Udp, true), (9000, Protocol::Ip, true)]);
    }
}
