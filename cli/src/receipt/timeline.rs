//! The timeline: runglass's phases and the tree's notable events, in time order,
//! bounded so that a build with a million events still makes a readable receipt.

use std::collections::VecDeque;

use runglass_model::receipt::{Timeline, TimelineEntry, TimelineKind};
use runglass_model::{ByteString, Event, EventKind, ExitStatus, OpenFlags, SockAddr, SyscallResult, command_line};

use super::ms;

/// Entries kept from the start and from the end of the run; those between are counted.
const KEEP_FIRST: usize = 300;
const KEEP_LAST: usize = 200;

#[derive(Default)]
pub struct TimelineBuilder {
    first: Vec<TimelineEntry>,
    last: VecDeque<TimelineEntry>,
    omitted: u64,
    phases: Vec<TimelineEntry>,
}

impl TimelineBuilder {
    /// A step of runglass's own (snapshots, start, end); always kept.
    pub fn phase(&mut self, at_ms: i64, text: impl Into<String>) {
        self.phases.push(TimelineEntry { at_ms, kind: TimelineKind::Phase, pid: None, text: text.into() });
    }

    pub fn observe(&mut self, event: &Event, argv: impl FnOnce() -> Vec<ByteString>) {
        let Some((kind, text)) = describe(event, argv) else { return };
        let entry = TimelineEntry { at_ms: ms(event.time_ns) as i64, kind, pid: Some(event.pid), text };
        if self.first.len() < KEEP_FIRST {
            self.first.push(entry);
            return;
        }
        self.last.push_back(entry);
        if self.last.len() > KEEP_LAST {
            self.last.pop_front();
            self.omitted += 1;
        }
    }

    pub fn finish(self) -> Timeline {
        // Stable: events of one instant keep the order they happened in, after a phase
        // up to the start ("command started" before what the command did first) and before
        // a later one ("command ended" after the exit seen in the same millisecond).
        let (opening, closing): (Vec<_>, Vec<_>) = self.phases.into_iter().partition(|p| p.at_ms <= 0);
        let mut entries: Vec<TimelineEntry> =
            opening.into_iter().chain(self.first).chain(self.last).chain(closing).collect();
        entries.sort_by_key(|e| e.at_ms);
        Timeline { entries, omitted: self.omitted }
    }
}

fn describe(event: &Event, argv: impl FnOnce() -> Vec<ByteString>) -> Option<(TimelineKind, String)> {
    let ok = |r: &SyscallResult| !matches!(r, SyscallResult::Err(_));
    Some(match &event.kind {
        EventKind::Exec { argv, result, .. } if ok(result) => {
            (TimelineKind::Exec, format!("ran {}", command_line(argv)))
        }
        EventKind::Exec { path, result, .. } => {
            (TimelineKind::Exec, format!("could not run {} ({result})", path.shell_word()))
        }
        EventKind::Exit { status: ExitStatus::Code(0) } => return None,
        EventKind::Exit { status } if event.pid == event.tid => {
            (TimelineKind::Exit, format!("{} {status}", command_line(&argv())))
        }
        EventKind::Signal { signal } => {
            (TimelineKind::Signal, format!("received {}", runglass_model::event::signal_name(*signal)))
        }
        EventKind::Open { path, flags, result, .. } if flags.has(OpenFlags::TMPFILE) && ok(result) => {
            (TimelineKind::File, format!("opened an unnamed temporary file in {}", path.shell_word()))
        }
        EventKind::Open { path, flags, result, named, .. } if flags.writes() && ok(result) => {
            (TimelineKind::File, format!("opened {}{} for writing", path.shell_word(), via(named)))
        }
        EventKind::File { op, path, result, named } if ok(result) => {
            use runglass_model::FileOp::*;
            let p = format!("{}{}", path.shell_word(), via(named));
            let text = match op {
                Unlink => format!("removed {p}"),
                Rmdir => format!("removed directory {p}"),
                Rename { to, .. } => format!("renamed {p} to {}", to.shell_word()),
                Link { to } => format!("linked {} to {p}", to.shell_word()),
                Symlink { target } => format!("made symlink {p} -> {}", target.shell_word()),
                Mkdir { .. } => format!("made directory {p}"),
                Truncate { length } => format!("truncated {p} to {length} bytes"),
                Chmod { mode } => format!("chmod {mode:o} {p}"),
                Chown { uid, gid } => {
                    let id = |id: &Option<u32>| id.map_or("-".to_string(), |id| id.to_string());
                    format!("chown {}:{} {p}", id(uid), id(gid))
                }
                SetXattr { name } => format!("set extended attribute {} on {p}", name.shell_word()),
                RemoveXattr { name } => format!("removed extended attribute {} from {p}", name.shell_word()),
                Mknod { mode, .. } => format!("made special file {p} ({mode:o})"),
            };
            (TimelineKind::File, text)
        }
        EventKind::Connect { addr, result, .. } => {
            (TimelineKind::Network, format!("connect {} ({result})", peer(addr)))
        }
        EventKind::DnsAnswer { name, rcode, addrs, .. } => {
            let name = ByteString::from(name.as_bytes()).escaped();
            let answer = match rcode {
                0 if addrs.is_empty() => "no addresses".to_string(),
                0 => addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                3 => "no such name".to_string(),
                n => format!("error (rcode {n})"),
            };
            (TimelineKind::Network, format!("looked up {name}: {answer}"))
        }
        EventKind::Listen { addr: Some(addr), result } if ok(result) => {
            (TimelineKind::Network, format!("listening on {}", peer(addr)))
        }
        EventKind::Send { addr } => (TimelineKind::Network, format!("sent a datagram to {}", peer(addr))),
        EventKind::ConnectResult { addr, result } => {
            let how = match result {
                SyscallResult::Ok(_) => "connected".to_string(),
                SyscallResult::Err(e) => format!("failed ({e})"),
                SyscallResult::Unknown => "still pending when its process ended or tracing stopped".to_string(),
            };
            (TimelineKind::Network, format!("connect {}: {how}", peer(addr)))
        }
        EventKind::IoUringSetup { result } if ok(result) => {
            (TimelineKind::File, "set up an io_uring: its file and network operations are not seen".to_string())
        }
        EventKind::HandedOff { .. } => (TimelineKind::Exit, "still running after the command ended".to_string()),
        EventKind::PrivilegesDropped { path, setuid, setgid, capabilities, .. } => {
            let caps = runglass_model::capability::capability_names(*capabilities);
            let what = runglass_model::capability::privileges_text(*setuid, *setgid, &caps);
            (TimelineKind::Exec, format!("ran {} without its privileges ({what}): it was traced", path.shell_word()))
        }
        _ => return None,
    })
}

/// ` (as lnk)` when a path was named otherwise (through a symlink or a magic link).
fn via(named: &Option<ByteString>) -> String {
    named.as_ref().map_or(String::new(), |n| format!(" (as {})", n.shell_word()))
}

/// An address for a line of text; unix paths come from the command, so they are escaped.
fn peer(addr: &SockAddr) -> String {
    match addr {
        SockAddr::Unix { path } => path.shell_word(),
        SockAddr::UnixAbstract { name } => format!("@{}", name.escaped()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_timelines_keep_their_start_and_end() {
        let mut t = TimelineBuilder::default();
        t.phase(-3, "snapshot before");
        for i in 0..1000u64 {
            let kind = EventKind::Connect {
                addr: SockAddr::Inet { ip: [10, 0, 0, 1].into(), port: 80 },
                result: SyscallResult::Ok(0),
                socket: None,
            };
            t.observe(&Event { time_ns: i * 1_000_000, pid: 1, tid: 1, kind }, Vec::new);
        }
        let t = t.finish();
        assert_eq!(t.entries.len(), KEEP_FIRST + KEEP_LAST + 1);
        assert_eq!(t.omitted, 1000 - (KEEP_FIRST + KEEP_LAST) as u64);
        assert_eq!(t.entries[0].text, "snapshot before");
        assert_eq!(t.entries.last().unwrap().at_ms, 999);
    }

    #[test]
    fn dns_answers_are_lookups_with_their_answer_and_an_escaped_name() {
        let mut t = TimelineBuilder::default();
        let server = SockAddr::Inet { ip: [127, 0, 0, 53].into(), port: 53 };
        let answers = [
            ("a.test", 0, vec![[10, 0, 0, 1].into(), "::1".parse().unwrap()]),
            ("b.test", 3, vec![]),
            ("c\u{1b}[2J", 2, vec![]),
        ];
        for (i, (name, rcode, addrs)) in answers.into_iter().enumerate() {
            let kind = EventKind::DnsAnswer { server: server.clone(), name: name.into(), rcode, addrs };
            t.observe(&Event { time_ns: i as u64 * 1_000_000, pid: 1, tid: 1, kind }, Vec::new);
        }
        let texts: Vec<String> = t.finish().entries.into_iter().map(|e| e.text).collect();
        assert_eq!(
            texts,
            [
                "looked up a.test: 10.0.0.1 ::1",
                "looked up b.test: no such name",
                "looked up c\\u{1b}[2J: error (rcode 2)"
            ]
        );
    }

    #[test]
    fn an_instant_opens_with_the_start_and_closes_with_the_end() {
        let mut t = TimelineBuilder::default();
        t.phase(0, "command started");
        t.phase(5, "command ended: exited with 1");
        let exec = EventKind::Exec {
            path: "/bin/x".into(),
            argv: vec!["x".into()],
            cwd: "/".into(),
            former_tid: None,
            result: SyscallResult::Ok(0),
        };
        t.observe(&Event { time_ns: 0, pid: 1, tid: 1, kind: exec }, Vec::new);
        let exit = EventKind::Exit { status: ExitStatus::Code(1) };
        t.observe(&Event { time_ns: 5_000_000, pid: 1, tid: 1, kind: exit }, || vec!["x".into()]);
        let texts: Vec<String> = t.finish().entries.into_iter().map(|e| e.text).collect();
        assert_eq!(texts, ["command started", "ran x", "x exited with 1", "command ended: exited with 1"]);
    }

    #[test]
    fn text_from_the_command_is_escaped() {
        let kind = EventKind::Exec {
            path: "/bin/x".into(),
            argv: vec!["x".into(), ByteString(b"\x1b[31m<b>".to_vec())],
            cwd: "/".into(),
            former_tid: None,
            result: SyscallResult::Ok(0),
        };
        let (_, text) = describe(&Event { time_ns: 0, pid: 1, tid: 1, kind }, Vec::new).unwrap();
        assert_eq!(text, "ran x '\\u{1b}[31m<b>'");
    }

    #[test]
    fn a_program_that_lost_its_privileges_is_on_the_timeline() {
        let kind = EventKind::PrivilegesDropped {
            path: "/usr/bin/ping".into(),
            setuid: None,
            setgid: None,
            capabilities: 1 << 13,
            euid: 1000,
            egid: 1000,
        };
        let (at, text) = describe(&Event { time_ns: 0, pid: 1, tid: 1, kind }, Vec::new).unwrap();
        assert_eq!(at, TimelineKind::Exec);
        assert_eq!(text, "ran /usr/bin/ping without its privileges (capabilities cap_net_raw): it was traced");
    }
}
