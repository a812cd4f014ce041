//! The socket tables of a network namespace (/proc/PID/net/{tcp,tcp6,udp,udp6,unix}), read
//! once per poll, and what polling can honestly say about one socket found in them.
//!
//! TCP and UDP tables are parsed by `procfs`. The unix table is parsed by the tracer's
//! [`procnet::unix_lines`], from bytes: `procfs` reads it as UTF-8 text (a single non-UTF-8
//! path would lose the whole table), splits the path at spaces and drops the flags that tell
//! a listening socket apart.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};

use procfs::net::{TcpNetEntry, TcpState, UdpNetEntry};
use procfs::process::Process;
use runglass_model::{Pid, SockAddr};
use runglass_tracer::decode::procnet::{self, UnixLine};

/// A fact about a socket that polling reports, once per process and socket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Report {
    Listen(SockAddr),
    Connect(SockAddr),
    Bind(SockAddr),
    Send(SockAddr),
}

/// What the tables say about one socket.
#[derive(Debug, PartialEq)]
pub(super) struct Verdict {
    pub report: Option<Report>,
    /// Nothing more will be learnt of this socket by looking again (it listens, is connected,
    /// or was accepted), so later polls need not read the tables for it.
    pub settled: bool,
}

impl Verdict {
    fn pending(report: Option<Report>) -> Self {
        Verdict { report, settled: false }
    }

    fn settled(report: Option<Report>) -> Self {
        Verdict { report, settled: true }
    }
}

#[derive(Debug)]
enum Entry {
    Tcp { local: SocketAddr, remote: SocketAddr, state: TcpState },
    Udp { local: SocketAddr, remote: SocketAddr },
    Unix(UnixLine),
}

/// Every socket of one network namespace, by inode.
#[derive(Debug, Default)]
pub(super) struct Tables {
    by_inode: HashMap<u64, Entry>,
    /// Local (address, port) of TCP listeners, to tell accepted connections from outbound ones.
    tcp_listeners: HashSet<(IpAddr, u16)>,
}

impl Tables {
    /// Reads the tables of `pid`'s network namespace. A table that cannot be read (no IPv6
    /// in this kernel, the process just ended) counts as empty.
    pub fn read(pid: Pid) -> Tables {
        let mut tables = Tables::default();
        let Some(process) = i32::try_from(pid).ok().and_then(|pid| Process::new(pid).ok()) else { return tables };
        for entry in process.tcp().unwrap_or_default().into_iter().chain(process.tcp6().unwrap_or_default()) {
            tables.add_tcp(entry);
        }
        for entry in process.udp().unwrap_or_default().into_iter().chain(process.udp6().unwrap_or_default()) {
            tables.add_udp(entry);
        }
        let mut unix = Vec::new();
        if let Ok(mut file) = process.open_relative("net/unix")
            && file.read_to_end(&mut unix).is_ok()
        {
            for entry in procnet::unix_lines(&unix) {
                tables.by_inode.insert(entry.inode, Entry::Unix(entry));
            }
        }
        tables
    }

    fn add_tcp(&mut self, e: TcpNetEntry) {
        if e.state == TcpState::Listen {
            self.tcp_listeners.insert((e.local_address.ip(), e.local_address.port()));
        }
        let entry = Entry::Tcp { local: e.local_address, remote: e.remote_address, state: e.state };
        self.by_inode.insert(e.inode, entry);
    }

    fn add_udp(&mut self, e: UdpNetEntry) {
        self.by_inode.insert(e.inode, Entry::Udp { local: e.local_address, remote: e.remote_address });
    }

    /// What can be said of socket `inode`; a socket missing from the tables (not bound yet,
    /// or of a family without a table here, such as netlink) may show up later.
    pub fn verdict(&self, inode: u64) -> Verdict {
        match self.by_inode.get(&inode) {
            None => Verdict::pending(None),
            Some(Entry::Tcp { local, remote, state }) => self.tcp_verdict(*local, *remote, state),
            Some(Entry::Udp { local, remote }) => udp_verdict(*local, *remote),
            Some(Entry::Unix(entry)) => unix_verdict(entry),
        }
    }

    fn tcp_verdict(&self, local: SocketAddr, remote: SocketAddr, state: &TcpState) -> Verdict {
        match state {
            TcpState::Listen => Verdict::settled(Some(Report::Listen(sock_addr(local)))),
            // Half-open connections to one of our listeners, not sockets of a process.
            TcpState::SynRecv | TcpState::NewSynRecv => Verdict::settled(None),
            TcpState::Established
            | TcpState::SynSent
            | TcpState::FinWait1
            | TcpState::FinWait2
            | TcpState::CloseWait
            | TcpState::LastAck
            | TcpState::Closing => {
                if self.accepted(local) {
                    Verdict::settled(None)
                } else {
                    Verdict::settled(Some(Report::Connect(sock_addr(remote))))
                }
            }
            TcpState::TimeWait | TcpState::Close => Verdict::pending(None),
        }
    }

    /// True when `local` is the port of a listener: the connection came in through it.
    fn accepted(&self, local: SocketAddr) -> bool {
        let port = local.port();
        let wildcard = match local.ip() {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        };
        self.tcp_listeners.contains(&(local.ip(), port)) || self.tcp_listeners.contains(&(wildcard, port))
    }
}

fn udp_verdict(local: SocketAddr, remote: SocketAddr) -> Verdict {
    if remote.port() != 0 {
        // connect(2)ed: every datagram goes to this peer.
        Verdict::settled(Some(Report::Send(sock_addr(remote))))
    } else if local.port() != 0 {
        // Bound (explicitly, or by a first sendto); it may still connect.
        Verdict::pending(Some(Report::Bind(sock_addr(local))))
    } else {
        Verdict::pending(None)
    }
}

fn unix_verdict(entry: &UnixLine) -> Verdict {
    match (&entry.name, entry.listening, entry.connected) {
        (Some(name), true, _) => Verdict::settled(Some(Report::Listen(name.clone()))),
        // A connected socket: a client (no name of its own; its peer is not in the table) or
        // the accepted end of a listener, which shows the listener's name.
        (_, _, true) => Verdict::settled(None),
        (Some(name), false, false) => Verdict::pending(Some(Report::Bind(name.clone()))),
        (None, _, false) => Verdict::pending(None),
    }
}

fn sock_addr(addr: SocketAddr) -> SockAddr {
    match addr {
        SocketAddr::V4(a) => SockAddr::Inet { ip: *a.ip(), port: a.port() },
        SocketAddr::V6(a) => SockAddr::Inet6 { ip: *a.ip(), port: a.port(), scope_id: a.scope_id() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::ByteString;

    const UNIX_TABLE: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
        0000000021d086f0: 00000002 00000000 00010000 0001 01 40123 /run/a socket\n\
        000000003d263d49: 00000003 00000000 00000000 0001 03  1062\n\
        000000003d263d4a: 00000002 00000000 00000000 0002 01 77001 /tmp/\xff\xfe\n\
        000000003d263d4b: 00000002 00000000 00000000 0001 01 77002 @0001a\n";

    #[test]
    fn unix_verdicts_report_listeners_and_bound_paths_only() {
        let tables = Tables {
            by_inode: procnet::unix_lines(UNIX_TABLE).map(|e| (e.inode, Entry::Unix(e))).collect(),
            ..Tables::default()
        };
        let listen = SockAddr::Unix { path: ByteString::from("/run/a socket") };
        assert_eq!(tables.verdict(40123), Verdict::settled(Some(Report::Listen(listen))));
        assert_eq!(tables.verdict(1062), Verdict::settled(None));
        let bound = SockAddr::Unix { path: ByteString::from(&b"/tmp/\xff\xfe"[..]) };
        assert_eq!(tables.verdict(77001), Verdict::pending(Some(Report::Bind(bound))));
        assert_eq!(tables.verdict(99), Verdict::pending(None));
    }

    #[test]
    fn accepted_tcp_connections_are_not_reported_as_outbound() {
        let mut tables = Tables::default();
        let listener: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        tables.by_inode.insert(1, Entry::Tcp { local: listener, remote: any, state: TcpState::Listen });
        tables.tcp_listeners.insert((listener.ip(), 8080));
        let accepted_local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let client: SocketAddr = "127.0.0.1:51000".parse().unwrap();
        tables.by_inode.insert(2, Entry::Tcp { local: accepted_local, remote: client, state: TcpState::Established });
        tables.by_inode.insert(3, Entry::Tcp { local: client, remote: accepted_local, state: TcpState::Established });

        let wildcard = SockAddr::Inet { ip: std::net::Ipv4Addr::UNSPECIFIED, port: 8080 };
        assert_eq!(tables.verdict(1), Verdict::settled(Some(Report::Listen(wildcard))));
        assert_eq!(tables.verdict(2), Verdict::settled(None));
        let server = SockAddr::Inet { ip: std::net::Ipv4Addr::LOCALHOST, port: 8080 };
        assert_eq!(tables.verdict(3), Verdict::settled(Some(Report::Connect(server))));
    }

    #[test]
    fn udp_sockets_are_bound_until_they_connect() {
        let local: SocketAddr = "0.0.0.0:5353".parse().unwrap();
        let unset: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let peer: SocketAddr = "[2001:db8::1]:53".parse().unwrap();
        let bound = SockAddr::Inet { ip: std::net::Ipv4Addr::UNSPECIFIED, port: 5353 };
        assert_eq!(udp_verdict(local, unset), Verdict::pending(Some(Report::Bind(bound))));
        let sent = SockAddr::Inet6 { ip: "2001:db8::1".parse().unwrap(), port: 53, scope_id: 0 };
        assert_eq!(udp_verdict(local, peer), Verdict::settled(Some(Report::Send(sent))));
        assert_eq!(udp_verdict(unset, unset), Verdict::pending(None));
    }
}
