//! One event as one readable line (`runglass trace`) or one JSON object.
//!
//! Everything that came from the traced command (paths, argv, socket names) is escaped:
//! control characters and invalid UTF-8 never reach the terminal raw.

use std::fmt::Write;

use runglass_model::receipt::FileKind;
use runglass_model::{ByteString, CloneKind, Event, EventKind, FileOp, SocketKind, SyscallResult};

/// `[pid] what = result`, or `[pid/tid] ...` for a call made by a non-leader thread.
pub fn text(event: &Event) -> String {
    let mut line =
        if event.pid == event.tid { format!("[{}] ", event.pid) } else { format!("[{}/{}] ", event.pid, event.tid) };
    describe(&mut line, &event.kind).expect("writing to a String cannot fail");
    line
}

fn describe(line: &mut String, kind: &EventKind) -> std::fmt::Result {
    let q = |b: &ByteString| format!("\"{}\"", b.escaped());
    // Where a path led elsewhere: ` (as "/proc/self/fd/3")`.
    let via = |named: &Option<ByteString>| named.as_ref().map_or(String::new(), |n| format!(" (as {})", q(n)));
    // An owner or group id, or `-` for one left as it was.
    let id = |id: Option<u32>| id.map_or("-".to_string(), |id| id.to_string());
    let res = |r: &SyscallResult| match r {
        SyscallResult::Ok(v) => format!(" = {v}"),
        SyscallResult::Err(e) => format!(" = {e}"),
        SyscallResult::Unknown => " = ?".to_string(),
    };
    match kind {
        EventKind::Spawn { kind: CloneKind::Root, .. } => write!(line, "started"),
        EventKind::Spawn { parent, parent_tid, kind } => {
            let how = match kind {
                CloneKind::Root => "root",
                CloneKind::Fork => "fork",
                CloneKind::Vfork => "vfork",
                CloneKind::Clone => "clone",
                CloneKind::Thread => "thread",
                CloneKind::Unknown => "seen",
            };
            if parent == parent_tid {
                write!(line, "{how} from {parent}")
            } else {
                write!(line, "{how} from {parent}/{parent_tid}")
            }
        }
        EventKind::Exec { path, argv, cwd, former_tid, result } => {
            let argv: Vec<String> = argv.iter().map(q).collect();
            write!(line, "exec {} [{}] in {}", q(path), argv.join(", "), q(cwd))?;
            if let Some(former) = former_tid {
                write!(line, " (from thread {former})")?;
            }
            write!(line, "{}", res(result))
        }
        EventKind::Open { path, flags, mode, result, named } => {
            write!(line, "open {}{} {flags}", q(path), via(named))?;
            if flags.has(runglass_model::OpenFlags::CREAT) {
                write!(line, " {mode:#o}")?;
            }
            write!(line, "{}", res(result))
        }
        EventKind::File { op, path, result, named } => {
            let p = format!("{}{}", q(path), via(named));
            match op {
                FileOp::Unlink => write!(line, "unlink {p}"),
                FileOp::Rmdir => write!(line, "rmdir {p}"),
                FileOp::Rename { to, flags: 0 } => write!(line, "rename {p} -> {}", q(to)),
                FileOp::Rename { to, flags } => write!(line, "rename {p} -> {} flags {flags:#x}", q(to)),
                FileOp::Link { to } => write!(line, "link {} -> {p}", q(to)),
                FileOp::Symlink { target } => write!(line, "symlink {p} -> {}", q(target)),
                FileOp::Mkdir { mode } => write!(line, "mkdir {p} {mode:#o}"),
                FileOp::Truncate { length } => write!(line, "truncate {p} {length}"),
                FileOp::Chmod { mode } => write!(line, "chmod {p} {mode:#o}"),
                FileOp::Chown { uid, gid } => write!(line, "chown {p} {}:{}", id(*uid), id(*gid)),
                FileOp::SetXattr { name } => write!(line, "setxattr {p} {}", q(name)),
                FileOp::RemoveXattr { name } => write!(line, "removexattr {p} {}", q(name)),
                FileOp::Mknod { mode, dev } => write!(line, "mknod {p} {}", node(*mode, *dev)),
            }?;
            write!(line, "{}", res(result))
        }
        EventKind::Connect { addr, result, socket } => {
            write!(line, "connect{} {addr}{}", socket_type(socket), res(result))
        }
        EventKind::Bind { addr, result, socket } => write!(line, "bind{} {addr}{}", socket_type(socket), res(result)),
        EventKind::Listen { addr: Some(addr), result } => write!(line, "listen {addr}{}", res(result)),
        EventKind::Listen { addr: None, result } => write!(line, "listen (address unknown){}", res(result)),
        EventKind::Send { addr } => write!(line, "send to {addr}"),
        EventKind::Signal { signal } => write!(line, "signal {}", runglass_model::event::signal_name(*signal)),
        EventKind::Exit { status } => write!(line, "{status}"),
        EventKind::HandedOff { keeper } => write!(line, "still running; handed to background tracer {keeper}"),
        EventKind::Adopted => write!(line, "adopted by background tracer"),
        EventKind::Gone => write!(line, "gone"),
        EventKind::DnsAnswer { server, name, rcode, addrs } => {
            write!(line, "dns answer from {server}: {}", shown(name))?;
            match rcode {
                0 if addrs.is_empty() => write!(line, " (no addresses)"),
                0 => addrs.iter().try_for_each(|a| write!(line, " {a}")),
                3 => write!(line, " (no such name)"),
                n => write!(line, " (rcode {n})"),
            }
        }
        EventKind::HostsName { addr, name } => write!(line, "hosts file names {addr} {}", shown(name)),
        EventKind::ConnectResult { addr, result: SyscallResult::Unknown } => {
            write!(line, "connect {addr} still pending")
        }
        EventKind::ConnectResult { addr, result } => write!(line, "connect {addr} finished{}", res(result)),
        EventKind::IoUringSetup { result } => {
            write!(line, "io_uring_setup{} (what goes through the ring is not seen)", res(result))
        }
        EventKind::PrivilegesDropped { path, setuid, setgid, capabilities, euid, egid } => {
            let caps = runglass_model::capability::capability_names(*capabilities);
            let what = runglass_model::capability::privileges_text(*setuid, *setgid, &caps);
            write!(line, "{} runs without its privileges ({what}) as uid {euid} gid {egid}: it is traced", q(path))
        }
        EventKind::Before { path, followed, state } => {
            write!(line, "before {}", q(path))?;
            if *followed {
                write!(line, " (through a symlink)")?;
            }
            match state {
                None => write!(line, ": nothing there"),
                Some(s) => {
                    write!(line, ": {} {:#o} {} bytes", file_kind(s.kind), s.mode, s.size)?;
                    if let Some(target) = &s.target {
                        write!(line, " -> {}", q(target))?;
                    }
                    if let Some(hash) = &s.blake3 {
                        write!(line, " blake3 {}", hash.get(..16).unwrap_or(hash))?;
                    }
                    match (s.stored, s.capped) {
                        (true, _) => write!(line, ", kept"),
                        (false, true) => write!(line, ", over the cap, not kept"),
                        (false, false) => Ok(()),
                    }
                }
            }
        }
    }
}

/// What a mknod makes: its type (the mode's file-type bits), a device's number as
/// major:minor, and its permission bits: `fifo 0o600`, `char device 1:3 0o666`.
fn node(mode: u32, dev: u64) -> String {
    let kind = match mode & 0o170000 {
        0o010000 => "fifo",
        0o020000 => "char device",
        0o060000 => "block device",
        0o140000 => "socket",
        // Type 0 makes a regular file, as S_IFREG does.
        0o100000 | 0 => "file",
        _ => "node of unknown type",
    };
    let device = match mode & 0o170000 {
        // The kernel's encoding of a device number (new_decode_dev).
        0o020000 | 0o060000 => format!(" {}:{}", (dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00)),
        _ => String::new(),
    };
    format!("{kind}{device} {:#o}", mode & 0o7777)
}

/// A socket type, as a suffix of the call's name.
fn socket_type(socket: &Option<SocketKind>) -> &'static str {
    match socket {
        None => "",
        Some(SocketKind::Stream) => " stream",
        Some(SocketKind::Datagram) => " dgram",
        Some(SocketKind::SeqPacket) => " seqpacket",
        Some(SocketKind::Raw) => " raw",
        Some(SocketKind::Other) => " (other socket)",
    }
}

/// A name from the log, which is a file anyone could have written: escaped like paths.
fn shown(name: &str) -> String {
    ByteString(name.as_bytes().to_vec()).escaped()
}

fn file_kind(kind: FileKind) -> &'static str {
    match kind {
        FileKind::File => "file",
        FileKind::Dir => "dir",
        FileKind::Symlink => "symlink",
        FileKind::Other => "other",
    }
}

/// The event as one JSON object (no trailing newline).
pub fn json(event: &Event) -> String {
    serde_json::to_string(event).expect("events always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::{Errno, OpenFlags, SockAddr};

    fn ev(kind: EventKind) -> Event {
        Event { time_ns: 0, pid: 10, tid: 10, kind }
    }

    #[test]
    fn lines_escape_what_the_command_controls() {
        let e = ev(EventKind::Open {
            path: ByteString(b"/tmp/\x1b[2Jx\n\xff".to_vec()),
            flags: OpenFlags(0o101),
            mode: 0o644,
            result: SyscallResult::Ok(3),
            named: None,
        });
        assert_eq!(text(&e), "[10] open \"/tmp/\\u{1b}[2Jx\\n\\xff\" O_WRONLY|O_CREAT 0o644 = 3");
    }

    #[test]
    fn dns_lines_list_the_answer_and_escape_a_forged_name() {
        let server = SockAddr::Inet { ip: [127, 0, 0, 53].into(), port: 53 };
        let answer = |name: &str, rcode, addrs| {
            ev(EventKind::DnsAnswer { server: server.clone(), name: name.into(), rcode, addrs })
        };
        let two = vec![[10, 0, 0, 1].into(), "::1".parse().expect("an address")];
        assert_eq!(text(&answer("a.test", 0, two)), "[10] dns answer from 127.0.0.53:53: a.test 10.0.0.1 ::1");
        assert_eq!(text(&answer("b.test", 3, vec![])), "[10] dns answer from 127.0.0.53:53: b.test (no such name)");
        assert_eq!(
            text(&answer("c\x1b[2J", 0, vec![])),
            "[10] dns answer from 127.0.0.53:53: c\\u{1b}[2J (no addresses)"
        );
        assert_eq!(text(&answer("\u{1b}[2J", 2, vec![])), "[10] dns answer from 127.0.0.53:53: \\u{1b}[2J (rcode 2)");
        let hosts = ev(EventKind::HostsName { addr: [127, 0, 0, 24].into(), name: "h\u{7}.test".into() });
        assert_eq!(text(&hosts), "[10] hosts file names 127.0.0.24 h\\u{7}.test");
    }

    #[test]
    fn owner_attribute_and_node_lines_say_what_changed_and_through_what() {
        let file = |op: FileOp, named: Option<&str>| {
            ev(EventKind::File { op, path: "/t/f".into(), result: SyscallResult::Ok(0), named: named.map(Into::into) })
        };
        let chown = file(FileOp::Chown { uid: Some(0), gid: None }, Some("/proc/self/fd/3"));
        assert_eq!(text(&chown), "[10] chown \"/t/f\" (as \"/proc/self/fd/3\") 0:- = 0");
        let set = file(FileOp::SetXattr { name: "security.capability".into() }, None);
        assert_eq!(text(&set), "[10] setxattr \"/t/f\" \"security.capability\" = 0");
        let fifo = file(FileOp::Mknod { mode: 0o010600, dev: 0 }, None);
        assert_eq!(text(&fifo), "[10] mknod \"/t/f\" fifo 0o600 = 0");
        let null = file(FileOp::Mknod { mode: 0o020666, dev: (1 << 8) | 3 }, None);
        assert_eq!(text(&null), "[10] mknod \"/t/f\" char device 1:3 0o666 = 0");
        let ring = ev(EventKind::IoUringSetup { result: SyscallResult::Ok(4) });
        assert_eq!(text(&ring), "[10] io_uring_setup = 4 (what goes through the ring is not seen)");
        let dropped = ev(EventKind::PrivilegesDropped {
            path: "/bin/\x1bping".into(),
            setuid: Some(0),
            setgid: None,
            capabilities: 1 << 13,
            euid: 1000,
            egid: 1000,
        });
        assert_eq!(
            text(&dropped),
            "[10] \"/bin/\\u{1b}ping\" runs without its privileges (setuid to uid 0, capabilities cap_net_raw) \
             as uid 1000 gid 1000: it is traced"
        );
    }

    #[test]
    fn connect_and_exec_lines() {
        let c = ev(EventKind::Connect {
            addr: SockAddr::Inet { ip: [127, 0, 0, 1].into(), port: 9 },
            result: SyscallResult::Err(Errno(111)),
            socket: None,
        });
        assert_eq!(text(&c), "[10] connect 127.0.0.1:9 = ECONNREFUSED");
        let c = ev(EventKind::Connect {
            addr: SockAddr::Inet { ip: [127, 0, 0, 1].into(), port: 9 },
            result: SyscallResult::Ok(0),
            socket: Some(SocketKind::Datagram),
        });
        assert_eq!(text(&c), "[10] connect dgram 127.0.0.1:9 = 0");
        let mut x = ev(EventKind::Exec {
            path: "/bin/ls".into(),
            argv: vec!["ls".into(), "a b".into()],
            cwd: "/".into(),
            former_tid: Some(11),
            result: SyscallResult::Ok(0),
        });
        assert_eq!(text(&x), "[10] exec \"/bin/ls\" [\"ls\", \"a b\"] in \"/\" (from thread 11) = 0");
        x.tid = 12;
        assert!(text(&x).starts_with("[10/12] exec"));
    }

    #[test]
    fn before_lines_say_what_was_there_and_whether_it_was_kept() {
        let state = runglass_model::PathState {
            kind: FileKind::File,
            size: 3,
            mode: 0o644,
            mtime_ns: 0,
            blake3: Some("0123456789abcdef".repeat(4)),
            target: None,
            capped: false,
            stored: true,
            gid: None,
            uid: None,
            xattrs: None,
        };
        let kept = ev(EventKind::Before { path: "/h/.bashrc".into(), followed: true, state: Some(state) });
        assert_eq!(
            text(&kept),
            "[10] before \"/h/.bashrc\" (through a symlink): file 0o644 3 bytes blake3 0123456789abcdef, kept"
        );
        let absent = ev(EventKind::Before { path: "/t/\n".into(), followed: false, state: None });
        assert_eq!(text(&absent), "[10] before \"/t/\\n\": nothing there");
    }

    #[test]
    fn json_is_one_object_named_by_its_kind() {
        let e = ev(EventKind::Signal { signal: 15 });
        let v: serde_json::Value = serde_json::from_str(&json(&e)).unwrap();
        assert_eq!(v["kind"]["signal"]["signal"], 15);
        assert_eq!(v["pid"], 10);
    }
}
