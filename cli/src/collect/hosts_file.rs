//! /etc/hosts read the way glibc's `files` source reads it, to name the addresses a traced
//! command talked to when no DNS answer named them (`localhost`, names a machine pins).
//!
//! The file is the machine's, but it is read as untrusted bytes all the same: any content
//! gives a table without a panic, and every name comes out escaped as printable ASCII.
//! This file uses only std and runglass_model: the `hosts_file` fuzz target compiles it in.

use std::collections::HashMap;
use std::net::IpAddr;

use runglass_model::host_name;

/// The most lines read. Real hosts files have a few dozen; ad-blocking ones, a few hundred
/// thousand. Past this, the rest is not read.
const MAX_LINES: usize = 1_000_000;

/// The hosts file's names by address: for each address, the canonical (first) name of the
/// first line that lists it, as glibc's reverse lookup in files answers.
#[derive(Debug)]
pub struct HostsFile {
    names: HashMap<IpAddr, String>,
}

impl HostsFile {
    /// Reads a hosts file's bytes. A line is an address, then names, separated by spaces or
    /// tabs; `#` starts a comment. Lines glibc ignores are skipped: no name, or an address
    /// `inet_pton` refuses, which includes IPv6 with a `%scope` suffix.
    pub fn parse(bytes: &[u8]) -> HostsFile {
        let mut names = HashMap::new();
        for line in bytes.split(|&b| b == b'\n').take(MAX_LINES) {
            if let Some((ip, name)) = entry(line) {
                names.entry(ip).or_insert_with(|| host_name::from_text(name));
            }
        }
        HostsFile { names }
    }

    /// The name of `ip`. An IPv4-mapped IPv6 address (a dual-stack socket's peer) is also
    /// looked up as its IPv4 address, as glibc's getnameinfo does.
    pub fn name_of(&self, ip: &IpAddr) -> Option<&str> {
        self.names.get(ip).or_else(|| self.names.get(&ip.to_canonical())).map(String::as_str)
    }
}

/// A line's address and first name, if it has both.
fn entry(line: &[u8]) -> Option<(IpAddr, &[u8])> {
    // glibc handles each line as a C string: a NUL byte ends it as a comment does.
    let content = line.split(|&b| b == b'#' || b == 0).next()?;
    let mut fields = content.split(|&b| is_space(b)).filter(|field| !field.is_empty());
    let ip = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
    Some((ip, fields.next()?))
}

/// C's `isspace` in the C locale, which glibc splits fields at (so CRLF lines read right).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(hosts: &HostsFile, ip: &str) -> Option<String> {
        hosts.name_of(&ip.parse().unwrap()).map(str::to_owned)
    }

    #[test]
    fn a_debian_hosts_file_names_its_addresses_by_their_first_name() {
        let hosts = HostsFile::parse(
            b"127.0.0.1\tlocalhost\n\
              127.0.1.1\tbox.example.org\tbox\n\
              \n\
              # The following lines are desirable for IPv6 capable hosts\n\
              ::1     localhost ip6-localhost ip6-loopback\n\
              ff02::1 ip6-allnodes\n",
        );
        assert_eq!(name_of(&hosts, "127.0.0.1").as_deref(), Some("localhost"));
        assert_eq!(name_of(&hosts, "127.0.1.1").as_deref(), Some("box.example.org"));
        assert_eq!(name_of(&hosts, "::1").as_deref(), Some("localhost"));
        assert_eq!(name_of(&hosts, "ff02::1").as_deref(), Some("ip6-allnodes"));
        assert_eq!(name_of(&hosts, "10.0.0.1"), None);
    }

    #[test]
    fn the_first_line_listing_an_address_wins() {
        let hosts = HostsFile::parse(b"10.0.0.1 first alias\n10.0.0.1 second\n");
        assert_eq!(name_of(&hosts, "10.0.0.1").as_deref(), Some("first"));
    }

    #[test]
    fn comments_end_a_line_wherever_they_start() {
        let hosts = HostsFile::parse(b"#10.0.0.1 commented\n10.0.0.2 two#three\n10.0.0.3#x three\n10.0.0.1 one\n");
        assert_eq!(name_of(&hosts, "10.0.0.1").as_deref(), Some("one"));
        assert_eq!(name_of(&hosts, "10.0.0.2").as_deref(), Some("two"));
        assert_eq!(name_of(&hosts, "10.0.0.3"), None);
    }

    #[test]
    fn tabs_spaces_and_crlf_line_ends_separate_fields() {
        let hosts = HostsFile::parse(b"  10.0.0.1 \t\x0b name\r\n10.0.0.2\tother\t\r\n");
        assert_eq!(name_of(&hosts, "10.0.0.1").as_deref(), Some("name"));
        assert_eq!(name_of(&hosts, "10.0.0.2").as_deref(), Some("other"));
    }

    #[test]
    fn lines_without_a_name_or_with_an_unparsable_address_are_skipped() {
        let hosts = HostsFile::parse(b"10.0.0.1\n300.0.0.1 big\n010.0.0.2 octal\nname 10.0.0.3\n10.0.0.1 later\n");
        assert_eq!(name_of(&hosts, "10.0.0.1").as_deref(), Some("later"));
        assert_eq!(name_of(&hosts, "10.0.0.2"), None);
        assert_eq!(name_of(&hosts, "10.0.0.3"), None);
    }

    #[test]
    fn an_ipv6_address_with_a_scope_is_skipped_as_glibc_does() {
        let hosts = HostsFile::parse(b"fe80::1%eth0 router\n");
        assert_eq!(name_of(&hosts, "fe80::1"), None);
    }

    #[test]
    fn an_ipv4_mapped_address_is_named_by_its_ipv4_line() {
        let hosts = HostsFile::parse(b"127.0.0.1 localhost\n");
        assert_eq!(name_of(&hosts, "::ffff:127.0.0.1").as_deref(), Some("localhost"));
    }

    #[test]
    fn hostile_bytes_in_names_come_out_escaped_and_a_nul_ends_the_line() {
        let hosts = HostsFile::parse(b"10.0.0.1 a\xffb\\c.\n10.0.0.2 x\0y\n10.0.0.3\0 hidden\n");
        assert_eq!(name_of(&hosts, "10.0.0.1").as_deref(), Some("a\\255b\\\\c"));
        assert_eq!(name_of(&hosts, "10.0.0.2").as_deref(), Some("x"));
        assert_eq!(name_of(&hosts, "10.0.0.3"), None);
    }

    #[test]
    fn lines_past_the_millionth_are_not_read() {
        let at_line = |n: usize| {
            let mut bytes = vec![b'\n'; n - 1];
            bytes.extend_from_slice(b"10.0.0.1 late\n");
            name_of(&HostsFile::parse(&bytes), "10.0.0.1")
        };
        assert_eq!(at_line(MAX_LINES).as_deref(), Some("late"));
        assert_eq!(at_line(MAX_LINES + 1), None);
    }
}
