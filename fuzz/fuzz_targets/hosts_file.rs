//! /etc/hosts: any bytes give a table without a panic, every name in it is printable ASCII
//! without spaces, and the first line's address, when that line is plainly an address and
//! names, is named by its first name.
//!
//! Every address the parser can have taken is probed: the input split at every byte that
//! ends an address field (whitespace, `#`, NUL) yields each field of each line, and more.
//! The parser is the CLI's own file, compiled in here: it depends on nothing else of the
//! CLI (see README.md).

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use runglass_model::host_name;

#[path = "../../cli/src/collect/hosts_file.rs"]
mod hosts_file;

use hosts_file::HostsFile;

fuzz_target!(|data: &[u8]| {
    let hosts = HostsFile::parse(data);
    let is_space = |b: &u8| b.is_ascii_whitespace() || *b == b'\x0b';
    for field in data.split(|b| is_space(b) || *b == b'#' || *b == 0) {
        let Some(ip) = std::str::from_utf8(field).ok().and_then(|text| text.parse::<IpAddr>().ok()) else {
            continue;
        };
        if let Some(name) = hosts.name_of(&ip) {
            assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()), "{ip} named {name:?}");
        }
    }

    let first_line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if first_line.contains(&b'#') || first_line.contains(&0) {
        return;
    }
    let mut fields = first_line.split(is_space).filter(|field| !field.is_empty());
    let (Some(address), Some(name)) = (fields.next(), fields.next()) else {
        return;
    };
    if let Some(ip) = std::str::from_utf8(address).ok().and_then(|text| text.parse::<IpAddr>().ok()) {
        assert_eq!(hosts.name_of(&ip), Some(host_name::from_text(name).as_str()), "{ip}");
    }
});
