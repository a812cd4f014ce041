//! Network activity, folded from connect/bind/listen/send events: outbound peers,
//! listening ports and unix sockets, one row per (peer, process).

use std::collections::HashMap;

use runglass_model::receipt::{Listener, Network, Peer, PeerResult, Protocol, Source, UnixRole, UnixSocket};
use runglass_model::{ByteString, Event, EventKind, Pid, SockAddr, SyscallResult};

use super::ms;

const ECONNREFUSED: i32 = 111;
const EINPROGRESS: i32 = 115;

pub struct NetworkTable {
    network: Network,
    peers: HashMap<(Protocol, String, u16, Pid), usize>,
    listeners: HashMap<(String, u16, Pid), usize>,
    unix: HashMap<(ByteString, Pid), usize>,
    source: Source,
}

impl NetworkTable {
    pub fn new(source: Source) -> Self {
        NetworkTable {
            network: Network::default(),
            peers: HashMap::new(),
            listeners: HashMap::new(),
            unix: HashMap::new(),
            source,
        }
    }

    /// Folds one event in; `argv` is the acting process's command line at that moment.
    pub fn observe(&mut self, event: &Event, argv: impl FnOnce() -> Vec<ByteString>) {
        let at = ms(event.time_ns);
        let pid = event.pid;
        match &event.kind {
            EventKind::Connect { addr, result } => {
                let outcome = match result {
                    SyscallResult::Ok(_) => PeerResult::Connected,
                    SyscallResult::Err(e) if e.0 == ECONNREFUSED => PeerResult::Refused,
                    SyscallResult::Err(e) if e.0 == EINPROGRESS => PeerResult::InProgress,
                    SyscallResult::Err(e) => PeerResult::Failed { error: e.to_string() },
                    SyscallResult::Unknown => PeerResult::Open,
                };
                // The trace sees connect(2) on any inet socket; polling reads it from the TCP table.
                let protocol = if self.source == Source::Polling { Protocol::Tcp } else { Protocol::Ip };
                self.peer(protocol, addr, pid, at, outcome, argv);
            }
            EventKind::Send { addr } => self.peer(Protocol::Udp, addr, pid, at, PeerResult::Sent, argv),
            EventKind::Bind { addr, result } if result.is_ok() || *result == SyscallResult::Unknown => {
                // A bound port is a listener only until a listen(2) says which kind; polling
                // reports binds for UDP sockets only.
                let protocol = if self.source == Source::Polling { Protocol::Udp } else { Protocol::Ip };
                match addr {
                    SockAddr::Inet { .. } | SockAddr::Inet6 { .. } if addr.port() != Some(0) => {
                        self.listener(protocol, addr, pid, at, argv)
                    }
                    _ => self.unix_socket(addr, UnixRole::Bound, pid, argv),
                }
            }
            EventKind::Listen { addr: Some(addr), result } if result.is_ok() || *result == SyscallResult::Unknown => {
                match addr {
                    SockAddr::Inet { .. } | SockAddr::Inet6 { .. } => self.listener(Protocol::Tcp, addr, pid, at, argv),
                    _ => self.unix_socket(addr, UnixRole::Listening, pid, argv),
                }
            }
            _ => {}
        }
    }

    fn peer(
        &mut self,
        protocol: Protocol,
        addr: &SockAddr,
        pid: Pid,
        at: u64,
        result: PeerResult,
        argv: impl FnOnce() -> Vec<ByteString>,
    ) {
        let (address, port) = match addr {
            SockAddr::Inet { ip, port } => (ip.to_string(), *port),
            SockAddr::Inet6 { ip, port, .. } => (ip.to_string(), *port),
            SockAddr::Unix { .. } | SockAddr::UnixAbstract { .. } => {
                return self.unix_socket(addr, UnixRole::Connected, pid, argv);
            }
            SockAddr::UnixUnnamed | SockAddr::Other { .. } => return,
        };
        let key = (protocol, address.clone(), port, pid);
        match self.peers.get(&key) {
            Some(&i) => {
                let p = &mut self.network.outbound[i];
                p.last_ms = at;
                p.count += 1;
                p.result = result;
            }
            None => {
                self.peers.insert(key, self.network.outbound.len());
                self.network.outbound.push(Peer {
                    protocol,
                    address,
                    port,
                    host: None,
                    pid,
                    argv: argv(),
                    result,
                    first_ms: at,
                    last_ms: at,
                    count: 1,
                    seen_by: self.source,
                });
            }
        }
    }

    fn listener(&mut self, protocol: Protocol, addr: &SockAddr, pid: Pid, at: u64, argv: impl FnOnce() -> Vec<ByteString>) {
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
        self.listeners.insert(key, self.network.listening.len());
        self.network.listening.push(Listener {
            protocol,
            address,
            port,
            wildcard: addr.is_wildcard(),
            pid,
            argv: argv(),
            at_ms: at,
            seen_by: self.source,
        });
    }

    fn unix_socket(&mut self, addr: &SockAddr, role: UnixRole, pid: Pid, argv: impl FnOnce() -> Vec<ByteString>) {
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
                self.network.unix.push(UnixSocket { path, role, pid, argv: argv(), count: 1, seen_by: self.source });
            }
        }
    }

    pub fn finish(self) -> Network {
        self.network
    }
}
