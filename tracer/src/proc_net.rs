//! The socket tables of a network namespace (/proc/PID/net/{tcp,tcp6,udp,udp6,unix}): the
//! workspace's one reader of them, for listen(2)'s local address in deep mode and for
//! normal mode's poller.
//!
//! Every table is read as bytes: a unix socket's path may hold spaces and non-UTF-8 bytes,
//! and the kernel writes it unescaped after the last column. A table the kernel lacks (tcp6
//! without IPv6) or that cannot be read (the process just ended) counts as empty, and a
//! malformed line is skipped, not the end of the table.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use runglass_model::{ByteString, SockAddr};

/// `__SO_ACCEPTCON` in the Flags column of /proc/net/unix: the socket is listening.
const UNIX_ACCEPTCON: u32 = 0x10000;
/// `SS_CONNECTED` in the St column of /proc/net/unix.
const UNIX_CONNECTED: u8 = 3;

/// A TCP socket's state: the `st` column of /proc/net/tcp (include/net/tcp_states.h).
pub mod tcp_state {
    pub const ESTABLISHED: u8 = 1;
    pub const SYN_SENT: u8 = 2;
    pub const SYN_RECV: u8 = 3;
    pub const FIN_WAIT1: u8 = 4;
    pub const FIN_WAIT2: u8 = 5;
    pub const TIME_WAIT: u8 = 6;
    pub const CLOSE: u8 = 7;
    pub const CLOSE_WAIT: u8 = 8;
    pub const LAST_ACK: u8 = 9;
    pub const LISTEN: u8 = 10;
    pub const CLOSING: u8 = 11;
    pub const NEW_SYN_RECV: u8 = 12;
}

/// One line of /proc/net/tcp, tcp6, udp or udp6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InetLine {
    pub inode: u64,
    pub local: SockAddr,
    /// Port 0 when not connected.
    pub remote: SockAddr,
    /// The `st` column: a [`tcp_state`] for TCP (UDP uses 7, "close", for unconnected
    /// sockets and 1 for connected ones).
    pub state: u8,
}

/// One socket of /proc/net/unix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixLine {
    pub inode: u64,
    /// The Flags column has `__SO_ACCEPTCON`.
    pub listening: bool,
    /// The St column is `SS_CONNECTED`.
    pub connected: bool,
    /// The bound path or abstract name; None for an unnamed socket.
    pub name: Option<SockAddr>,
}

/// A socket found in the tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Socket {
    Tcp(InetLine),
    Udp(InetLine),
    Unix(UnixLine),
}

/// Every TCP, UDP and unix socket of one network namespace, by inode.
#[derive(Debug, Default)]
pub struct SocketTables {
    pub by_inode: HashMap<u64, Socket>,
}

impl SocketTables {
    /// The tables of the network namespace of process (or thread) `pid`.
    pub fn read(pid: u32) -> SocketTables {
        let table = |name: &str| std::fs::read(format!("/proc/{pid}/net/{name}")).unwrap_or_default();
        let mut tables = SocketTables::default();
        for name in ["tcp", "tcp6"] {
            tables.by_inode.extend(inet_lines(&table(name)).map(|l| (l.inode, Socket::Tcp(l))));
        }
        for name in ["udp", "udp6"] {
            tables.by_inode.extend(inet_lines(&table(name)).map(|l| (l.inode, Socket::Udp(l))));
        }
        tables.by_inode.extend(unix_lines(&table("unix")).map(|l| (l.inode, Socket::Unix(l))));
        tables
    }

    /// The local address of socket `inode`: its TCP or UDP address, or a unix socket's
    /// path, abstract name or `UnixUnnamed`.
    pub fn local_addr(&self, inode: u64) -> Option<SockAddr> {
        match self.by_inode.get(&inode)? {
            Socket::Tcp(line) | Socket::Udp(line) => Some(line.local.clone()),
            Socket::Unix(line) => Some(line.name.clone().unwrap_or(SockAddr::UnixUnnamed)),
        }
    }
}

/// The sockets of a /proc/net/{tcp,tcp6,udp,udp6} table, after its header line.
pub fn inet_lines(table: &[u8]) -> impl Iterator<Item = InetLine> + '_ {
    table.split(|&b| b == b'\n').skip(1).filter_map(inet_line)
}

/// Parses `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid
/// timeout inode ...`: addresses as `HEX:PORT`, the state in hex, the inode in decimal.
pub fn inet_line(line: &[u8]) -> Option<InetLine> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').filter(|f| !f.is_empty()).take(10).collect();
    let [_, local, remote, state, _, _, _, _, _, inode] = fields[..] else { return None };
    Some(InetLine {
        inode: text(inode)?.parse().ok()?,
        local: inet_addr(local)?,
        remote: inet_addr(remote)?,
        state: u8::from_str_radix(text(state)?, 16).ok()?,
    })
}

/// `0100007F:1F90` → 127.0.0.1:8080. The address is in network order, each 32-bit word
/// printed as the host (little-endian) reads it (tcp4_seq_show's `%08X` of a `__be32`).
fn inet_addr(field: &[u8]) -> Option<SockAddr> {
    let (ip, port) = text(field)?.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| ip.get(i * 8..i * 8 + 8).and_then(|w| u32::from_str_radix(w, 16).ok());
    match ip.len() {
        8 => Some(SockAddr::Inet { ip: Ipv4Addr::from(word(0)?.to_le_bytes()), port }),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?.to_le_bytes());
            }
            Some(SockAddr::Inet6 { ip: Ipv6Addr::from(bytes), port, scope_id: 0 })
        }
        _ => None,
    }
}

/// The sockets of /proc/net/unix, after its header line.
pub fn unix_lines(table: &[u8]) -> impl Iterator<Item = UnixLine> + '_ {
    table.split(|&b| b == b'\n').skip(1).filter_map(unix_line)
}

/// Parses `Num RefCount Protocol Flags Type St Inode [Path]`, hex except the inode. The
/// columns are separated by runs of spaces (the kernel pads the inode to five: `%5lu`); the
/// path is the rest of the line after one space, so it keeps its spaces and non-UTF-8
/// bytes, and an abstract name starts with `@`. (A path holding a newline is cut there:
/// the kernel does not escape it.)
pub fn unix_line(line: &[u8]) -> Option<UnixLine> {
    let mut rest = line;
    let mut fields = [&b""[..]; 7];
    for field in &mut fields {
        let start = rest.iter().position(|&b| b != b' ')?;
        rest = &rest[start..];
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        *field = &rest[..end];
        rest = &rest[end..];
    }
    let [_, _, _, flags, _, state, inode] = fields;
    let flags = u32::from_str_radix(text(flags)?, 16).ok()?;
    let state = u8::from_str_radix(text(state)?, 16).ok()?;
    let inode = text(inode)?.parse().ok()?;
    let name = match rest.strip_prefix(b" ") {
        None | Some(b"") => None,
        Some(abstract_name) if abstract_name.starts_with(b"@") => {
            Some(SockAddr::UnixAbstract { name: ByteString::from(&abstract_name[1..]) })
        }
        Some(path) => Some(SockAddr::Unix { path: ByteString::from(path) }),
    };
    Some(UnixLine { inode, listening: flags & UNIX_ACCEPTCON != 0, connected: state == UNIX_CONNECTED, name })
}

fn text(field: &[u8]) -> Option<&str> {
    std::str::from_utf8(field).ok()
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, UdpSocket};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixListener;

    use super::*;

    /// The inode of our own socket `fd`, from its `socket:[N]` link.
    fn inode_of(fd: i32) -> u64 {
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        let link = link.to_str().unwrap();
        link.strip_prefix("socket:[").and_then(|l| l.strip_suffix(']')).unwrap().parse().unwrap()
    }

    #[test]
    fn the_tables_of_our_own_namespace_hold_our_sockets_as_the_kernel_wrote_them() {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a socket");
        let unix = UnixListener::bind(&path).unwrap();

        let tables = SocketTables::read(std::process::id());
        let tcp_addr = tcp.local_addr().unwrap();
        match &tables.by_inode[&inode_of(tcp.as_raw_fd())] {
            Socket::Tcp(line) => {
                assert_eq!(line.local.to_string(), tcp_addr.to_string());
                assert_eq!(line.state, tcp_state::LISTEN);
            }
            other => panic!("{other:?}"),
        }
        let udp_addr = udp.local_addr().unwrap().to_string();
        assert_eq!(tables.local_addr(inode_of(udp.as_raw_fd())).unwrap().to_string(), udp_addr);
        match &tables.by_inode[&inode_of(unix.as_raw_fd())] {
            Socket::Unix(line) => {
                assert!(line.listening);
                assert_eq!(line.name, Some(SockAddr::Unix { path: ByteString::from(path.to_str().unwrap()) }));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inet_lines_read_both_families_and_skip_malformed_ones() {
        let tcp = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            short line\n\
            \x20  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n\
            \x20  1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 01 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0\n";
        let lines: Vec<InetLine> = inet_lines(tcp).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].inode, lines[0].local.to_string()), (4242, "127.0.0.1:8080".into()));
        assert_eq!(lines[0].state, tcp_state::LISTEN);
        assert_eq!((lines[1].inode, lines[1].local.to_string()), (77, "[::1]:80".into()));
        assert_eq!(lines[1].state, tcp_state::ESTABLISHED);
    }

    #[test]
    fn unix_lines_keep_paths_with_spaces_and_non_utf8_bytes() {
        let table = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000021d086f0: 00000002 00000000 00010000 0001 01 40123 /run/a socket\n\
            000000003d263d49: 00000003 00000000 00000000 0001 03  1062\n\
            000000003d263d4a: 00000002 00000000 00000000 0002 01 77001 /tmp/\xff\xfe\n\
            000000003d263d4b: 00000002 00000000 00000000 0001 01 77002 @0001a\n\
            short line\n";
        let lines: Vec<UnixLine> = unix_lines(table).collect();
        assert_eq!(lines.len(), 4);
        let path = SockAddr::Unix { path: ByteString::from("/run/a socket") };
        assert_eq!(lines[0], UnixLine { inode: 40123, listening: true, connected: false, name: Some(path) });
        // The kernel pads the inode column to five places, so a small inode follows two spaces.
        assert_eq!(lines[1], UnixLine { inode: 1062, listening: false, connected: true, name: None });
        assert_eq!(lines[2].name, Some(SockAddr::Unix { path: ByteString::from(&b"/tmp/\xff\xfe"[..]) }));
        assert_eq!(lines[3].name, Some(SockAddr::UnixAbstract { name: ByteString::from("0001a") }));
    }
}
