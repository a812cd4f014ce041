//! The /proc/net/{tcp,tcp6,unix} table parsers. The first byte of the input picks the
//! inode to look for (so that the fuzzer can make lines match); the rest is the table,
//! as text (lossily) for `find_inet` and as raw bytes for `find_unix`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runglass_tracer::decode::procnet::{find_inet, find_unix};

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
});
