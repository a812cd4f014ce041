//! Finding a socket's local address from /proc, for listen(2): the socket was bound
//! earlier (perhaps by another process, perhaps to port 0), so the address is looked up
//! by the socket's inode in the tables of the caller's network namespace.

use std::net::{Ipv4Addr, Ipv6Addr};

use runglass_model::{ByteString, SockAddr};

use crate::paths;
use crate::sys::Tid;

/// The local address of socket `fd` of thread `tid`, if it is a TCP or unix socket.
pub fn local_addr(tid: Tid, fd: i64) -> Option<SockAddr> {
    let target = paths::fd_path(tid, fd).ok()?;
    let inode = socket_inode(&target)?;
    // A table the kernel lacks (tcp6 without IPv6) is skipped, not the end of the search.
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{tid}/net/{table}")) else { continue };
        if let Some(addr) = find_inet(&text, inode) {
            return Some(addr);
        }
    }
    let unix = std::fs::read(format!("/proc/{tid}/net/unix")).ok()?;
    find_unix(&unix, inode)
}

/// `socket:[12345]` → 12345.
fn socket_inode(link: &[u8]) -> Option<u64> {
    let inner = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(inner).ok()?.parse().ok()
}

/// Finds `inode` in a /proc/net/tcp or tcp6 table and decodes its local address.
pub fn find_inet(table: &str, inode: u64) -> Option<SockAddr> {
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(9).and_then(|f| f.parse::<u64>().ok()) != Some(inode) {
            continue;
        }
        let (ip, port) = fields.get(1)?.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        return match ip.len() {
            8 => {
                let word = u32::from_str_radix(ip, 16).ok()?;
                Some(SockAddr::Inet { ip: Ipv4Addr::from(word.to_le_bytes()), port })
            }
            32 => {
                let mut bytes = [0u8; 16];
                for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                    let word = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
                    chunk.copy_from_slice(&word.to_le_bytes());
                }
                Some(SockAddr::Inet6 { ip: Ipv6Addr::from(bytes), port, scope_id: 0 })
            }
            _ => None,
        };
    }
    None
}

/// `__SO_ACCEPTCON` in the Flags column of /proc/net/unix: the socket is listening.
const UNIX_ACCEPTCON: u32 = 0x10000;
/// `SS_CONNECTED` in the St column of /proc/net/unix.
const UNIX_CONNECTED: u8 = 3;

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

/// Finds `inode` in /proc/net/unix and returns its bound path or abstract name.
pub fn find_unix(table: &[u8], inode: u64) -> Option<SockAddr> {
    let line = unix_lines(table).find(|line| line.inode == inode)?;
    Some(line.name.unwrap_or(SockAddr::UnixUnnamed))
}

/// The sockets of /proc/net/unix, after its header line; malformed lines are skipped.
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
    let flags = u32::from_str_radix(std::str::from_utf8(flags).ok()?, 16).ok()?;
    let state = u8::from_str_radix(std::str::from_utf8(state).ok()?, 16).ok()?;
    let inode = std::str::from_utf8(inode).ok()?.parse().ok()?;
    let name = match rest.strip_prefix(b" ") {
        None | Some(b"") => None,
        Some(abstract_name) if abstract_name.starts_with(b"@") => {
            Some(SockAddr::UnixAbstract { name: ByteString::from(&abstract_name[1..]) })
        }
        Some(path) => Some(SockAddr::Unix { path: ByteString::from(path) }),
    };
    Some(UnixLine { inode, listening: flags & UNIX_ACCEPTCON != 0, connected: state == UNIX_CONNECTED, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_listening_inet_sockets_by_inode() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(find_inet(tcp, 4242).unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(find_inet(tcp, 1), None);
        let tcp6 = "header\n   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(find_inet(tcp6, 77).unwrap().to_string(), "[::1]:80");
    }

    #[test]
    fn finds_unix_sockets_by_inode() {
        let unix = b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 555 /run/a b.sock\n0000000000000000: 00000002 00000000 00010000 0001 01 556 @abstract\n";
        assert_eq!(find_unix(unix, 555).unwrap().to_string(), "unix:/run/a b.sock");
        assert_eq!(find_unix(unix, 556).unwrap().to_string(), "unix:@abstract");
    }

    #[test]
    fn unix_lines_keep_paths_with_spaces_and_non_utf8_bytes() {
        let table = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000021d086f0: 00000002 00000000 00010000 0001 01 40123 /run/a socket\n\
            000000003d263d49: 00000003 00000000 00000000 0001 03  1062\n\
            000000003d263d4a: 00000002 00000000 00000000 0002 01 77001 /tmp/\xff\xfe\n\
            000000003d263d4b: 00000002 00000000 00000000 0001 01 77002 @0001a\n";
        let lines: Vec<UnixLine> = unix_lines(table).collect();
        assert_eq!(lines.len(), 4);
        let path = SockAddr::Unix { path: ByteString::from("/run/a socket") };
        assert_eq!(lines[0], UnixLine { inode: 40123, listening: true, connected: false, name: Some(path) });
        assert_eq!(lines[1], UnixLine { inode: 1062, listening: false, connected: true, name: None });
        assert_eq!(lines[2].name, Some(SockAddr::Unix { path: ByteString::from(&b"/tmp/\xff\xfe"[..]) }));
        assert_eq!(lines[3].name, Some(SockAddr::UnixAbstract { name: ByteString::from("0001a") }));
    }

    #[test]
    fn a_unix_socket_with_an_inode_under_five_digits_is_found() {
        // The kernel pads the inode column to five places, so a small inode follows two spaces.
        let unix = b"header\n0000000000000000: 00000002 00000000 00010000 0001 01  1062 /run/small.sock\n";
        assert_eq!(find_unix(unix, 1062).unwrap().to_string(), "unix:/run/small.sock");
    }

    #[test]
    fn a_malformed_unix_line_is_skipped_not_the_end_of_the_search() {
        let unix = b"header\nshort line\n0000000000000000: 00000002 00000000 00010000 0001 01 557 /run/x.sock\n";
        assert_eq!(find_unix(unix, 557).unwrap().to_string(), "unix:/run/x.sock");
    }
}
