//! Socket addresses as the engine decodes them from `struct sockaddr`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::ByteString;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SockAddr {
    Inet { ip: Ipv4Addr, port: u16 },
    Inet6 { ip: Ipv6Addr, port: u16, scope_id: u32 },
    /// A unix socket bound to a filesystem path.
    Unix { path: ByteString },
    /// A unix socket in the abstract namespace (shown with a leading `@`).
    UnixAbstract { name: ByteString },
    /// A unix socket address with no name.
    UnixUnnamed,
    /// A family runglass does not decode (netlink, packet, ...).
    Other { number: u16 },
}

impl SockAddr {
    pub fn port(&self) -> Option<u16> {
        match self {
            SockAddr::Inet { port, .. } | SockAddr::Inet6 { port, .. } => Some(*port),
            _ => None,
        }
    }

    /// An inet address's IP; an IPv4 address reached through an IPv6 socket
    /// (`::ffff:a.b.c.d`) as that IPv4 address, which is what its DNS answer gave.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            SockAddr::Inet { ip, .. } => Some(IpAddr::V4(*ip)),
            SockAddr::Inet6 { ip, .. } => Some(IpAddr::V6(*ip).to_canonical()),
            _ => None,
        }
    }

    /// True for 0.0.0.0 and [::]: every interface.
    pub fn is_wildcard(&self) -> bool {
        match self {
            SockAddr::Inet { ip, .. } => ip.is_unspecified(),
            SockAddr::Inet6 { ip, .. } => ip.is_unspecified(),
            _ => false,
        }
    }
}

impl fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Inet { ip, port } => write!(f, "{ip}:{port}"),
            SockAddr::Inet6 { ip, port, scope_id: 0 } => write!(f, "[{ip}]:{port}"),
            SockAddr::Inet6 { ip, port, scope_id } => write!(f, "[{ip}%{scope_id}]:{port}"),
            SockAddr::Unix { path } => write!(f, "unix:{}", path.escaped()),
            SockAddr::UnixAbstract { name } => write!(f, "unix:@{}", name.escaped()),
            SockAddr::UnixUnnamed => f.write_str("unix:(unnamed)"),
            SockAddr::Other { number } => write!(f, "address family {number}"),
        }
    }
}
