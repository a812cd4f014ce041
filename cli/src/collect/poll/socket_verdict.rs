//! What polling can honestly say about one socket found in its network namespace's tables
//! (read once per poll by the tracer's [`SocketTables`], the one reader of /proc/net).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use runglass_model::{Pid, SockAddr};
use runglass_tracer::proc_net::tcp_state::*;
use runglass_tracer::proc_net::{InetLine, Socket, SocketTables, UnixLine};

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

/// Every socket of one network namespace, by inode.
#[derive(Debug, Default)]
pub(super) struct Tables {
    sockets: SocketTables,
    /// Local (address, port) of TCP listeners, to tell accepted connections from outbound ones.
    tcp_listeners: HashSet<(IpAddr, u16)>,
}

impl Tables {
    /// Reads the tables of `pid`'s network namespace. A table that cannot be read (no IPv6
    /// in this kernel, the process just ended) counts as empty.
    pub fn read(pid: Pid) -> Tables {
        Tables::from(SocketTables::read(pid))
    }

    fn from(sockets: SocketTables) -> Tables {
        let tcp_listeners = sockets
            .by_inode
            .values()
            .filter_map(|s| match s {
                Socket::Tcp(line) if line.state == LISTEN => ip_port(&line.local),
                _ => None,
            })
            .collect();
        Tables { sockets, tcp_listeners }
    }

    /// What can be said of socket `inode`; a socket missing from the tables (not bound yet,
    /// or of a family without a table here, such as netlink) may show up later.
    pub fn verdict(&self, inode: u64) -> Verdict {
        match self.sockets.by_inode.get(&inode) {
            None => Verdict::pending(None),
            Some(Socket::Tcp(line)) => self.tcp_verdict(line),
            Some(Socket::Udp(line)) => udp_verdict(line),
            Some(Socket::Unix(entry)) => unix_verdict(entry),
        }
    }

    fn tcp_verdict(&self, line: &InetLine) -> Verdict {
        match line.state {
            LISTEN => Verdict::settled(Some(Report::Listen(line.local.clone()))),
            // Half-open connections to one of our listeners, not sockets of a process.
            SYN_RECV | NEW_SYN_RECV => Verdict::settled(None),
            ESTABLISHED | SYN_SENT | FIN_WAIT1 | FIN_WAIT2 | CLOSE_WAIT | LAST_ACK | CLOSING => {
                if self.accepted(&line.local) {
                    Verdict::settled(None)
                } else {
                    Verdict::settled(Some(Report::Connect(line.remote.clone())))
                }
            }
            // TIME_WAIT, CLOSE, and codes this kernel's headers do not have yet.
            _ => Verdict::pending(None),
        }
    }

    /// True when `local` is the port of a listener: the connection came in through it.
    fn accepted(&self, local: &SockAddr) -> bool {
        let Some((ip, port)) = ip_port(local) else { return false };
        let wildcard = match ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        self.tcp_listeners.contains(&(ip, port)) || self.tcp_listeners.contains(&(wildcard, port))
    }
}

fn udp_verdict(line: &InetLine) -> Verdict {
    let port = |a: &SockAddr| ip_port(a).map_or(0, |(_, port)| port);
    if port(&line.remote) != 0 {
        // connect(2)ed: every datagram goes to this peer.
        Verdict::settled(Some(Report::Send(line.remote.clone())))
    } else if port(&line.local) != 0 {
        // Bound (explicitly, or by a first sendto); it may still connect.
        Verdict::pending(Some(Report::Bind(line.local.clone())))
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

fn ip_port(addr: &SockAddr) -> Option<(IpAddr, u16)> {
    match *addr {
        SockAddr::Inet { ip, port } => Some((IpAddr::V4(ip), port)),
        SockAddr::Inet6 { ip, port, .. } => Some((IpAddr::V6(ip), port)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::ByteString;
    use runglass_tracer::proc_net::unix_lines;

    const UNIX_TABLE: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
        0000000021d086f0: 00000002 00000000 00010000 0001 01 40123 /run/a socket\n\
        000000003d263d49: 00000003 00000000 00000000 0001 03  1062\n\
        000000003d263d4a: 00000002 00000000 00000000 0002 01 77001 /tmp/\xff\xfe\n\
        000000003d263d4b: 00000002 00000000 00000000 0001 01 77002 @0001a\n";

    fn inet(addr: &str) -> SockAddr {
        match addr.parse::<std::net::SocketAddr>().unwrap() {
            std::net::SocketAddr::V4(a) => SockAddr::Inet { ip: *a.ip(), port: a.port() },
            std::net::SocketAddr::V6(a) => SockAddr::Inet6 { ip: *a.ip(), port: a.port(), scope_id: 0 },
        }
    }

    fn tcp(inode: u64, local: &str, remote: &str, state: u8) -> (u64, Socket) {
        (inode, Socket::Tcp(InetLine { inode, local: inet(local), remote: inet(remote), state }))
    }

    #[test]
    fn unix_verdicts_report_listeners_and_bound_paths_only() {
        let sockets = SocketTables { by_inode: unix_lines(UNIX_TABLE).map(|e| (e.inode, Socket::Unix(e))).collect() };
        let tables = Tables::from(sockets);
        let listen = SockAddr::Unix { path: ByteString::from("/run/a socket") };
        assert_eq!(tables.verdict(40123), Verdict::settled(Some(Report::Listen(listen))));
        assert_eq!(tables.verdict(1062), Verdict::settled(None));
        let bound = SockAddr::Unix { path: ByteString::from(&b"/tmp/\xff\xfe"[..]) };
        assert_eq!(tables.verdict(77001), Verdict::pending(Some(Report::Bind(bound))));
        assert_eq!(tables.verdict(99), Verdict::pending(None));
    }

    #[test]
    fn accepted_tcp_connections_are_not_reported_as_outbound() {
        let sockets = SocketTables {
            by_inode: [
                tcp(1, "0.0.0.0:8080", "0.0.0.0:0", LISTEN),
                tcp(2, "127.0.0.1:8080", "127.0.0.1:51000", ESTABLISHED),
                tcp(3, "127.0.0.1:51000", "127.0.0.1:8080", ESTABLISHED),
            ]
            .into_iter()
            .collect(),
        };
        let tables = Tables::from(sockets);
        assert_eq!(tables.verdict(1), Verdict::settled(Some(Report::Listen(inet("0.0.0.0:8080")))));
        assert_eq!(tables.verdict(2), Verdict::settled(None));
        assert_eq!(tables.verdict(3), Verdict::settled(Some(Report::Connect(inet("127.0.0.1:8080")))));
    }

    #[test]
    fn udp_sockets_are_bound_until_they_connect() {
        let line =
            |local: &str, remote: &str| InetLine { inode: 1, local: inet(local), remote: inet(remote), state: 7 };
        let bound = Verdict::pending(Some(Report::Bind(inet("0.0.0.0:5353"))));
        assert_eq!(udp_verdict(&line("0.0.0.0:5353", "0.0.0.0:0")), bound);
        let sent = Verdict::settled(Some(Report::Send(inet("[2001:db8::1]:53"))));
        assert_eq!(udp_verdict(&line("0.0.0.0:5353", "[2001:db8::1]:53")), sent);
        assert_eq!(udp_verdict(&line("0.0.0.0:0", "0.0.0.0:0")), Verdict::pending(None));
    }
}
