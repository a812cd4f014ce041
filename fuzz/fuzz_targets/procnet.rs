//! The /proc/net/{tcp,tcp6,unix} table parsers. The first byte of the input picks the
//! inode to look for (so that the fuzzer can make lines match); the rest is the table,
//! as text (lossily) for `find_inet` and as raw bytes for `find_unix` and `unix_lines`
//! (polling's reader). The paths and abstract names in the unix table are the tracee's own
//! bytes: every line read must read back the same when the kernel writes it again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runglass_model::SockAddr;
use runglass_tracer::decode::procnet::{UnixLine, find_inet, find_unix, unix_line, unix_lines};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, table)) = data.split_first() else {
        return;
    };
    // Small inodes are easy for the fuzzer to spell in the table; 255 stands for the
    // largest one, to probe the edge of the u64 parse.
    let inode = if selector == u8::MAX { u64::MAX } else { u64::from(selector) };
    let text = String::from_utf8_lossy(table);
    if let Some(addr) = find_inet(&text, inode) {
        let _ = addr.to_string();
    }
    if let Some(addr) = find_unix(table, inode) {
        let _ = addr.to_string();
    }
    for line in unix_lines(table) {
        let rewritten = kernel_line(&line);
        assert_eq!(unix_line(&rewritten).as_ref(), Some(&line), "{:?}", String::from_utf8_lossy(&rewritten));
    }
});

/// The line the kernel writes for `line`'s socket (net/unix/af_unix.c, unix_seq_show).
fn kernel_line(line: &UnixLine) -> Vec<u8> {
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
