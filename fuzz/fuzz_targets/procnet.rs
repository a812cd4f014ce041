//! The /proc/net table parsers (`tracer::proc_net`, read for listen(2) in deep mode and by
//! normal mode's poller). The first byte of the input picks the inode to look for (so that
//! the fuzzer can make lines match); the rest is the table, as a unix table and as an inet
//! one. No table may make them panic, and every unix line read must read back the same
//! when the kernel writes it again.
//!
//! The same bytes also make the lines the kernel writes for one socket of that inode: a
//! unix socket named by the input's first line (a tracee's own bytes), and TCP sockets at
//! addresses taken from the input's first bytes. Each must be found, as written.

#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use runglass_model::{ByteString, SockAddr};
use runglass_tracer::proc_net::{UnixLine, inet_lines, tcp_state, unix_line, unix_lines};

const UNIX_HEADER: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path\n";
const TCP_HEADER: &str =
    concat!("  sl  local_address rem_address   st tx_queue rx_queue", " tr tm->when retrnsmt   uid  timeout inode\n");

fuzz_target!(|data: &[u8]| {
    let Some((&selector, table)) = data.split_first() else {
        return;
    };
    // Small inodes are easy for the fuzzer to spell in the table; 255 stands for the
    // largest one, to probe the edge of the u64 parse.
    let inode = if selector == u8::MAX { u64::MAX } else { u64::from(selector) };
    for line in inet_lines(table) {
        let _ = (line.local.to_string(), line.remote.to_string());
    }
    for line in unix_lines(table) {
        let rewritten = kernel_unix_line(&line);
        assert_eq!(unix_line(&rewritten).as_ref(), Some(&line), "{:?}", String::from_utf8_lossy(&rewritten));
    }

    let first_line = table.split(|&b| b == b'\n').next().unwrap_or_default();
    let name = match first_line {
        [] => None,
        [b'@', name @ ..] => Some(SockAddr::UnixAbstract { name: ByteString::from(name) }),
        path => Some(SockAddr::Unix { path: ByteString::from(path) }),
    };
    let socket = UnixLine { inode, listening: selector & 1 != 0, connected: selector & 2 != 0, name };
    let written = [UNIX_HEADER, &kernel_unix_line(&socket), b"\n"].concat();
    let found: Vec<UnixLine> = unix_lines(&written).collect();
    assert_eq!(found, [socket], "the unix socket");

    let mut octets = [0u8; 18];
    let n = table.len().min(18);
    octets[..n].copy_from_slice(&table[..n]);
    let port = u16::from_be_bytes([octets[16], octets[17]]);
    let v4 = SockAddr::Inet { ip: Ipv4Addr::from([octets[0], octets[1], octets[2], octets[3]]), port };
    let v6_octets: [u8; 16] = octets[..16].try_into().expect("16 bytes");
    let v6 = SockAddr::Inet6 { ip: Ipv6Addr::from(v6_octets), port, scope_id: 0 };
    for (addr, ip_hex) in [(v4, hex_words(&octets[..4])), (v6, hex_words(&octets[..16]))] {
        let written = format!(
            "{TCP_HEADER}   0: {ip_hex}:{port:04X} {ip_hex}:0000 0A 00000000:00000000 00:00000000 00000000  \
             1000        0 {inode} 1 0000000000000000 100 0 0 10 0\n"
        );
        let found: Vec<_> = inet_lines(written.as_bytes()).map(|l| (l.inode, l.state, l.local)).collect();
        assert_eq!(found, [(inode, tcp_state::LISTEN, addr)], "{written}");
    }
});

/// The line the kernel writes for `line`'s socket (net/unix/af_unix.c, unix_seq_show).
fn kernel_unix_line(line: &UnixLine) -> Vec<u8> {
    let flags = if line.listening { 0x10000 } else { 0 };
    let state = if line.connected { 3 } else { 1 };
    let inode = line.inode;
    let mut out = format!("0000000000000000: 00000002 00000000 {flags:08X} 0001 {state:02X} {inode:5}").into_bytes();
    match &line.name {
        None => {}
        Some(SockAddr::Unix { path }) => out.extend([b" ", path.as_bytes()].concat()),
        Some(SockAddr::UnixAbstract { name }) => out.extend([b" @", name.as_bytes()].concat()),
        Some(other) => panic!("{other:?} read from the unix table"),
    }
    out
}

/// An address in network order as the TCP tables show it: each 32-bit word as the host
/// (little-endian) reads it, in hex (tcp4_seq_show's `%08X` of a `__be32`).
fn hex_words(octets: &[u8]) -> String {
    octets.chunks_exact(4).map(|w| format!("{:08X}", u32::from_le_bytes(w.try_into().expect("4 bytes")))).collect()
}
