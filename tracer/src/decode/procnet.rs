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

/// Finds `inode` in /proc/net/unix and returns its bound path or abstract name.
pub fn find_unix(table: &[u8], inode: u64) -> Option<SockAddr> {
    for line in table.split(|&b| b == b'\n').skip(1) {
        let mut fields = line.splitn(8, |&b| b == b' ').filter(|f| !f.is_empty());
        let line_inode = fields.nth(6).and_then(|f| std::str::from_utf8(f).ok()?.parse::<u64>().ok());
        if line_inode != Some(inode) {
            continue;
        }
        let path = fields.next();
        return Some(match path {
            None => SockAddr::UnixUnnamed,
            Some(p) if p.first() == Some(&b'@') => SockAddr::UnixAbstract { name: ByteString::from(&p[1..]) },
            Some(p) => SockAddr::Unix { path: ByteString::from(p) },
        });
    }
    None
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
    fn a_malformed_unix_line_is_skipped_not_the_end_of_the_search() {
        let unix = b"header\nshort line\n0000000000000000: 00000002 00000000 00010000 0001 01 557 /run/x.sock\n";
        assert_eq!(find_unix(unix, 557).unwrap().to_string(), "unix:/run/x.sock");
    }
}
