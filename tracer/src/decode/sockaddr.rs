//! Decoding `struct sockaddr` bytes taken from a tracee. The input is untrusted: any
//! length and content must decode or be rejected without panicking.

use std::net::{Ipv4Addr, Ipv6Addr};

use runglass_model::{ByteString, SockAddr};

/// Largest address we read (sizeof(struct sockaddr_storage)).
pub const MAX_SOCKADDR: usize = 128;

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Decodes the first `bytes.len()` bytes of a sockaddr (the caller passes addrlen bytes).
/// Returns `None` when even the family is missing or a known family is too short.
pub fn parse(bytes: &[u8]) -> Option<SockAddr> {
    let family = u16::from_le_bytes(bytes.get(0..2)?.try_into().ok()?);
    let be16 = |at: usize| -> Option<u16> { Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?)) };
    match family {
        AF_INET => {
            let port = be16(2)?;
            let ip: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Some(SockAddr::Inet { ip: Ipv4Addr::from(ip), port })
        }
        AF_INET6 => {
            let port = be16(2)?;
            let ip: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            let scope_id = bytes
                .get(24..28)
                .map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
                .unwrap_or(0);
            Some(SockAddr::Inet6 { ip: Ipv6Addr::from(ip), port, scope_id })
        }
        AF_UNIX => {
            let path = &bytes[2..];
            match path.first() {
                None => Some(SockAddr::UnixUnnamed),
                Some(0) => Some(SockAddr::UnixAbstract { name: ByteString::from(&path[1..]) }),
                Some(_) => {
                    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                    Some(SockAddr::Unix { path: ByteString::from(&path[..end]) })
                }
            }
        }
        number => Some(SockAddr::Other { number }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_and_inet6_decode_ports_in_network_order() {
        let v4 = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(parse(&v4).unwrap().to_string(), "127.0.0.1:8080");
        let mut v6 = [0u8; 28];
        v6[0] = 10;
        v6[2..4].copy_from_slice(&443u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(parse(&v6).unwrap().to_string(), "[::1]:443");
    }

    #[test]
    fn unix_paths_abstract_names_and_unnamed() {
        let mut p = vec![1, 0];
        p.extend_from_slice(b"/run/docker.sock\0garbage");
        assert_eq!(parse(&p).unwrap().to_string(), "unix:/run/docker.sock");
        assert_eq!(parse(&[1, 0, 0, b'x', 0, b'y']).unwrap(), SockAddr::UnixAbstract { name: ByteString(b"x\0y".to_vec()) });
        assert_eq!(parse(&[1, 0]).unwrap(), SockAddr::UnixUnnamed);
    }

    #[test]
    fn short_or_odd_input_is_rejected_or_kept_opaque() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[2]), None);
        assert_eq!(parse(&[2, 0, 1, 2, 3]), None);
        assert_eq!(parse(&[16, 0, 1]), Some(SockAddr::Other { number: 16 }));
    }
}
