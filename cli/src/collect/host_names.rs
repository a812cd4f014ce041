//! Names from the hosts file for the addresses the traced tree talks to.
//!
//! DNS answers come from the trace itself (`dns_answer` events); a name that the resolver
//! found in /etc/hosts never crosses a socket. So when a task connects or sends to an
//! address that no DNS answer of the tree has named, the hosts file that task resolves with
//! (`/proc/PID/root/etc/hosts`, so a chroot or a private mount namespace counts) is looked up,
//! and a `hosts_name` event goes into the log just before that connect. Each address is
//! looked up once per run, and each hosts file read once while it stays the same: in a
//! deep run this happens on the tracer's thread ([`Naming`], in front of the log), at the
//! first connect to each address, where it costs an open and an fstat (tens of
//! microseconds) and the first time a parse of the file; elsewhere in the consumer of
//! the events ([`crate::record::deep::drain`]).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::net::IpAddr;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

use runglass_model::{Event, EventKind};
use runglass_tracer::EventSink;

use crate::collect::hosts_file::HostsFile;

/// A hosts file larger than this is read only this far.
const MAX_HOSTS_FILE: u64 = 16 << 20;

/// Which hosts file: (device, inode, size, mtime). A file that changes is read again.
type FileKey = (u64, u64, u64, i64);

#[derive(Default)]
pub struct HostNames {
    named_by_dns: HashSet<IpAddr>,
    looked_up: HashSet<IpAddr>,
    files: HashMap<FileKey, HostsFile>,
}

impl HostNames {
    /// The `hosts_name` event to write just before `event`, if it names the peer.
    pub fn before(&mut self, event: &Event) -> Option<Event> {
        let ip = match &event.kind {
            EventKind::DnsAnswer { rcode: 0, addrs, .. } => {
                self.named_by_dns.extend(addrs.iter().map(IpAddr::to_canonical));
                return None;
            }
            EventKind::Connect { addr, .. } | EventKind::Send { addr } => addr.ip()?,
            _ => return None,
        };
        if self.named_by_dns.contains(&ip) || !self.looked_up.insert(ip) {
            return None;
        }
        let name = self.hosts_file(event.pid)?.name_of(&ip)?.to_string();
        Some(Event { kind: EventKind::HostsName { addr: ip, name }, ..event.clone() })
    }

    /// The hosts file process `pid` sees, or runglass's own when the process is gone.
    fn hosts_file(&mut self, pid: u32) -> Option<&HostsFile> {
        let file = open_regular(&format!("/proc/{pid}/root/etc/hosts")).or_else(|| open_regular("/etc/hosts"))?;
        let meta = file.metadata().ok()?;
        let key = (meta.dev(), meta.ino(), meta.size(), meta.mtime_nsec() + meta.mtime() * 1_000_000_000);
        match self.files.entry(key) {
            Entry::Occupied(known) => Some(known.into_mut()),
            Entry::Vacant(new) => {
                let mut bytes = Vec::new();
                file.take(MAX_HOSTS_FILE).read_to_end(&mut bytes).ok()?;
                Some(new.insert(HostsFile::parse(&bytes)))
            }
        }
    }
}

/// A sink that writes each event's `hosts_name` event (if any) just before it.
pub struct Naming<S> {
    names: HostNames,
    inner: S,
}

impl<S> Naming<S> {
    pub fn new(inner: S) -> Self {
        Naming { names: HostNames::default(), inner }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: EventSink> EventSink for Naming<S> {
    fn event(&mut self, event: Event) {
        if let Some(named) = self.names.before(&event) {
            self.inner.event(named);
        }
        self.inner.event(event);
    }

    fn flush(&mut self) {
        self.inner.flush();
    }
}

/// Opens `path` for reading if it is a regular file: a fifo put in its place must not
/// block the log writer, nor a terminal become runglass's.
fn open_regular(path: &str) -> Option<File> {
    let file = File::options().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path).ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::{SockAddr, SyscallResult};

    fn connect(pid: u32, ip: IpAddr) -> Event {
        let addr = match ip {
            IpAddr::V4(ip) => SockAddr::Inet { ip, port: 80 },
            IpAddr::V6(ip) => SockAddr::Inet6 { ip, port: 80, scope_id: 0 },
        };
        Event {
            time_ns: 5,
            pid,
            tid: pid,
            kind: EventKind::Connect { addr, result: SyscallResult::Ok(0), socket: None },
        }
    }

    /// This machine's name for 127.0.0.1 (Debian's /etc/hosts always lists it).
    fn localhost_name() -> String {
        let bytes = std::fs::read("/etc/hosts").expect("reading /etc/hosts");
        let hosts = HostsFile::parse(&bytes);
        hosts.name_of(&IpAddr::from([127, 0, 0, 1])).expect("/etc/hosts lists 127.0.0.1").to_string()
    }

    #[test]
    fn a_connect_to_a_listed_address_is_named_once_from_the_processes_hosts_file() {
        let expected = localhost_name();
        let mut names = HostNames::default();
        let me = std::process::id();
        let named = names.before(&connect(me, [127, 0, 0, 1].into())).expect("named");
        assert_eq!(named.kind, EventKind::HostsName { addr: [127, 0, 0, 1].into(), name: expected });
        assert_eq!((named.pid, named.time_ns), (me, 5));
        assert_eq!(names.before(&connect(me, [127, 0, 0, 1].into())), None, "once per run");
        // Through an IPv6 socket, the same IPv4 address is the same peer.
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("an address");
        assert_eq!(names.before(&connect(me, mapped)), None);
    }

    #[test]
    fn an_address_a_dns_answer_gave_is_not_looked_up() {
        let mut names = HostNames::default();
        let server = SockAddr::Inet { ip: [127, 0, 0, 53].into(), port: 53 };
        let answer =
            EventKind::DnsAnswer { server, name: "x.test".into(), rcode: 0, addrs: vec![[127, 0, 0, 1].into()] };
        assert_eq!(names.before(&Event { time_ns: 1, pid: 1, tid: 1, kind: answer }), None);
        assert_eq!(names.before(&connect(std::process::id(), [127, 0, 0, 1].into())), None);
    }

    #[test]
    fn a_gone_process_falls_back_to_runglasss_own_hosts_file() {
        let expected = localhost_name();
        let mut names = HostNames::default();
        let gone = u32::MAX - 1;
        let named = names.before(&connect(gone, [127, 0, 0, 1].into())).expect("named");
        assert_eq!(named.kind, EventKind::HostsName { addr: [127, 0, 0, 1].into(), name: expected });
    }
}
