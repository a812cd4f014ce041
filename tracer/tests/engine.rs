//! The engine against real processes: one small fixture program per case.
//!
//! Each test traces a command from its own thread; the engine only waits for tasks of
//! the thread that started them, so tests run in parallel safely.

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use runglass_model::{ByteString, CloneKind, Errno, Event, EventKind, ExitStatus, FileOp, SockAddr, SocketKind, SyscallResult};
use runglass_tracer::{BeforeChange, Change, Command, Options, Tracer};

struct Trace {
    status: ExitStatus,
    events: Vec<Event>,
}

impl Trace {
    fn kinds(&self) -> impl Iterator<Item = &EventKind> {
        self.events.iter().map(|e| &e.kind)
    }

    fn opens(&self) -> Vec<(Vec<u8>, SyscallResult)> {
        self.kinds()
            .filter_map(|k| match k {
                EventKind::Open { path, result, .. } => Some((path.0.clone(), *result)),
                _ => None,
            })
            .collect()
    }

    fn execs(&self) -> Vec<(&Event, &ByteString, SyscallResult)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Exec { path, result, .. } => Some((e, path, *result)),
                _ => None,
            })
            .collect()
    }

    fn file_ops(&self) -> Vec<(FileOp, Vec<u8>, SyscallResult)> {
        self.kinds()
            .filter_map(|k| match k {
                EventKind::File { op, path, result, .. } => Some((op.clone(), path.0.clone(), *result)),
                _ => None,
            })
            .collect()
    }

    fn spawns(&self, kind: CloneKind) -> usize {
        self.kinds().filter(|k| matches!(k, EventKind::Spawn { kind: k, .. } if *k == kind)).count()
    }
}

fn trace_with(program: &Path, args: &[&str], opts: Options) -> Trace {
    let cmd = Command::new(program).args(args.iter().map(OsString::from));
    let (mut tx, rx) = crossbeam_channel::unbounded();
    let mut tracer = Tracer::spawn(&cmd, opts, &mut tx).expect("spawn under the tracer");
    let status = tracer.run(&mut tx).expect("trace");
    assert!(tracer.survivors().is_empty(), "unexpected survivors: {:?}", tracer.survivors());
    drop(tracer);
    drop(tx);
    Trace { status, events: rx.iter().collect() }
}

fn trace(program: &Path, args: &[&str]) -> Trace {
    trace_with(program, args, Options::default())
}

fn fixture(name: &str) -> std::path::PathBuf {
    runglass_fixtures::path(name)
}

fn p(dir: &Path, name: &str) -> Vec<u8> {
    dir.join(name).into_os_string().into_encoded_bytes()
}

fn ok(r: SyscallResult) -> bool {
    r.is_ok()
}

#[test]
fn exec_from_a_non_leader_thread_takes_over_the_process_id() {
    let t = trace(&fixture("thread_exec"), &["/bin/true"]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let execs = t.execs();
    assert_eq!(execs.len(), 2, "{:#?}", t.events);
    let (ev, path, result) = execs[1];
    assert_eq!(path.as_bytes(), b"/bin/true");
    assert_eq!(result, SyscallResult::Ok(0));
    let root = t.events[0].pid;
    assert_eq!(ev.pid, root);
    assert_eq!(ev.tid, root, "after exec the thread has the leader's id");
    match &ev.kind {
        EventKind::Exec { former_tid: Some(former), .. } => assert_ne!(*former, root),
        other => panic!("exec should name the former thread: {other:?}"),
    }
    assert_eq!(t.spawns(CloneKind::Thread), 1);
}

#[test]
fn vfork_then_exec_is_followed() {
    let t = trace(&fixture("vfork_exec"), &["/bin/sh", "-c", "exit 4"]);
    assert_eq!(t.status, ExitStatus::Code(4));
    assert_eq!(t.spawns(CloneKind::Vfork), 1);
    let execs = t.execs();
    assert_eq!(execs.len(), 2);
    assert_eq!(execs[1].1.as_bytes(), b"/bin/sh");
    assert_ne!(execs[1].0.pid, execs[0].0.pid);
}

#[test]
fn posix_spawn_children_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("spawned");
    let t = trace(&fixture("posix_spawn"), &["/usr/bin/touch", target.to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    assert_eq!(t.spawns(CloneKind::Fork) + t.spawns(CloneKind::Vfork) + t.spawns(CloneKind::Clone), 1);
    assert!(t.opens().iter().any(|(path, r)| path == &p(dir.path(), "spawned") && ok(*r)), "{:#?}", t.events);
}

#[test]
fn raw_clone3_children_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let t = trace(&fixture("clone3_raw"), &[dir.path().to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    // The kernel reports a clone whose exit signal is SIGCHLD as a fork event.
    assert_eq!(t.spawns(CloneKind::Fork) + t.spawns(CloneKind::Clone), 1, "{:#?}", t.events);
    let child_open = t
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Open { path, .. } if path.0 == p(dir.path(), "clone3-child")))
        .expect("the clone3 child's openat is seen");
    assert_ne!(child_open.pid, t.events[0].pid, "attributed to the child");
}

#[test]
fn a_32_bit_open_through_int_0x80_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("int80");
    let t = trace(&fixture("int80_open"), &[target.to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    assert!(t.opens().iter().any(|(path, r)| path == &p(dir.path(), "int80") && ok(*r)), "{:#?}", t.events);
}

#[test]
fn every_path_syscall_is_decoded_with_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = trace(&fixture("path_syscalls"), &[d.to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let opens = t.opens();
    for name in ["p-open", "p-openat", "p-creat", "p-openat2"] {
        assert!(opens.iter().any(|(path, r)| path == &p(d, name) && ok(*r)), "open of {name}: {opens:?}");
    }
    let ops = t.file_ops();
    let bs = |n: &str| ByteString(p(d, n));
    let expected: Vec<(FileOp, Vec<u8>)> = vec![
        (FileOp::Mkdir { mode: 0o755 }, p(d, "d-mkdir")),
        (FileOp::Mkdir { mode: 0o700 }, p(d, "d-mkdirat")),
        (FileOp::Rename { to: bs("p-renamed"), flags: 0 }, p(d, "p-open")),
        (FileOp::Rename { to: bs("p-renamedat"), flags: 0 }, p(d, "p-openat")),
        (FileOp::Rename { to: bs("p-renamed2"), flags: 1 }, p(d, "p-creat")),
        (FileOp::Link { to: bs("p-link") }, p(d, "p-renamed")),
        (FileOp::Link { to: bs("p-linkat") }, p(d, "p-renamedat")),
        (FileOp::Symlink { target: "target-of-symlink".into() }, p(d, "p-symlink")),
        (FileOp::Symlink { target: "../elsewhere".into() }, p(d, "p-symlinkat")),
        (FileOp::Truncate { length: 5 }, p(d, "p-renamed")),
        (FileOp::Chmod { mode: 0o600 }, p(d, "p-renamed")),
        (FileOp::Chmod { mode: 0o640 }, p(d, "p-renamedat")),
        (FileOp::Unlink, p(d, "p-link")),
        (FileOp::Unlink, p(d, "p-linkat")),
        (FileOp::Rmdir, p(d, "d-mkdir")),
        (FileOp::Rmdir, p(d, "d-mkdirat")),
    ];
    let seen: Vec<(FileOp, Vec<u8>)> = ops.iter().map(|(op, path, _)| (op.clone(), path.clone())).collect();
    assert_eq!(seen[..expected.len()], expected[..], "{ops:#?}");
    assert!(ops[..expected.len()].iter().all(|(_, _, r)| ok(*r)));
    let last = ops.last().unwrap();
    assert_eq!((last.0.clone(), last.1.clone(), last.2), (FileOp::Unlink, p(d, "does-not-exist"), SyscallResult::Err(Errno(2))));
}

#[test]
fn relative_paths_resolve_against_dirfd_and_the_cwd_at_call_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = trace(&fixture("dirfd_opens"), &[d.to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let opens: Vec<Vec<u8>> = t.opens().into_iter().filter(|(_, r)| ok(*r)).map(|(p, _)| p).collect();
    for name in ["via-dirfd", "sub/after-chdir", "after-fchdir"] {
        assert!(opens.contains(&p(d, name)), "{name} in {opens:?}");
    }
    let ops = t.file_ops();
    assert!(ops.iter().any(|(op, path, _)| matches!(op, FileOp::Mkdir { .. }) && path == &p(d, "sub")));
    assert!(ops.iter().any(|(op, path, _)| matches!(op, FileOp::Mkdir { .. }) && path == &p(d, "sub/nested")));
}

#[test]
fn sixteen_threads_creating_files_at_once_are_all_seen() {
    let dir = tempfile::tempdir().unwrap();
    let t = trace(&fixture("threads_create"), &[dir.path().to_str().unwrap(), "16"]);
    assert_eq!(t.status, ExitStatus::Code(0));
    assert_eq!(t.spawns(CloneKind::Thread), 16);
    let root = t.events[0].pid;
    let mut tids = std::collections::BTreeSet::new();
    for i in 0..16 {
        let name = p(dir.path(), &format!("thread-{i}"));
        let e = t
            .events
            .iter()
            .find(|e| matches!(&e.kind, EventKind::Open { path, result, .. } if path.0 == name && result.is_ok()))
            .unwrap_or_else(|| panic!("thread-{i} not seen"));
        assert_eq!(e.pid, root);
        tids.insert(e.tid);
    }
    assert_eq!(tids.len(), 16, "each file is attributed to its own thread");
}

#[test]
fn two_thousand_short_lived_processes_are_counted_exactly() {
    let t = trace(&fixture("many_procs"), &["2000"]);
    assert_eq!(t.status, ExitStatus::Code(0));
    assert_eq!(t.spawns(CloneKind::Fork), 2000);
    let exits = t.kinds().filter(|k| matches!(k, EventKind::Exit { status: ExitStatus::Code(0) })).count();
    assert_eq!(exits, 2001, "every child and the root exit once");
}

#[test]
fn refused_connects_over_ipv4_ipv6_and_unix_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let port4 = closed_port("127.0.0.1:0");
    let port6 = closed_port("[::1]:0");
    let sock = dir.path().join("no.sock");
    let t = trace(&fixture("connect_refused"), &[&port4.to_string(), &port6.to_string(), sock.to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let connects: Vec<(SockAddr, SyscallResult)> = t
        .kinds()
        .filter_map(|k| match k {
            EventKind::Connect { addr, result, .. } => Some((addr.clone(), *result)),
            _ => None,
        })
        .collect();
    assert_eq!(connects[0], (SockAddr::Inet { ip: [127, 0, 0, 1].into(), port: port4 }, SyscallResult::Err(Errno(111))));
    if port6 != 0 {
        assert_eq!(connects[1], (SockAddr::Inet6 { ip: std::net::Ipv6Addr::LOCALHOST, port: port6, scope_id: 0 }, SyscallResult::Err(Errno(111))));
    }
    assert_eq!(connects.last().unwrap(), &(SockAddr::Unix { path: ByteString(sock.into_os_string().into_encoded_bytes()) }, SyscallResult::Err(Errno(2))));
}

#[test]
fn non_blocking_connects_get_their_results_without_taking_the_error_from_the_process() {
    let t = trace(&fixture("connect_nonblocking"), &[]);
    // The fixture read ECONNREFUSED itself: nobody took the error first.
    assert_eq!(t.status, ExitStatus::Code(0));
    let connects: Vec<(SockAddr, SyscallResult)> = t
        .kinds()
        .filter_map(|k| match k {
            EventKind::Connect { addr, result, .. } => Some((addr.clone(), *result)),
            _ => None,
        })
        .collect();
    let in_progress = SyscallResult::Err(Errno(115));
    let [(open, r1), (closed, r2), (closed_again, r3), (_, filled), (full, r5)] = &connects[..] else {
        panic!("five connects: {connects:#?}")
    };
    assert_eq!([r1, r2, r3, r5], [&in_progress; 4]);
    assert_eq!((closed, filled), (closed_again, &SyscallResult::Ok(0)));
    let mut results: Vec<(SockAddr, SyscallResult)> = t
        .kinds()
        .filter_map(|k| match k {
            EventKind::ConnectResult { addr, result } => Some((addr.clone(), *result)),
            _ => None,
        })
        .collect();
    results.sort_by_key(|(addr, _)| addr.port());
    let refused = SyscallResult::Err(Errno(111));
    let mut expected = vec![
        (open.clone(), SyscallResult::Ok(0)),
        // Read by the process, then, for the one it never read, from the socket at its exit.
        (closed.clone(), refused),
        (closed.clone(), refused),
        // Still connecting when the process exited.
        (full.clone(), SyscallResult::Unknown),
    ];
    expected.sort_by_key(|(addr, _)| addr.port());
    assert_eq!(results, expected);
    // Each result comes after its connect, all from the fixture's pid.
    let pid = t.events[0].pid;
    let first_result = t.events.iter().position(|e| matches!(e.kind, EventKind::ConnectResult { .. })).unwrap();
    let first_connect = t.events.iter().position(|e| matches!(e.kind, EventKind::Connect { .. })).unwrap();
    assert!(first_connect < first_result);
    assert!(t.events.iter().filter(|e| matches!(e.kind, EventKind::ConnectResult { .. })).all(|e| e.pid == pid));
}

#[test]
fn a_socket_its_process_closed_is_not_held_open_by_the_engine() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let started = Instant::now();
        let mut byte = [0u8; 1];
        // The process closed its socket at once and sleeps 3 s: the end of the stream
        // must come well before it exits, whatever copy the engine took.
        let read = conn.read(&mut byte);
        (read.map_err(|e| e.kind()), started.elapsed())
    });
    let t = trace(&fixture("connect_nonblocking"), &["close-early", &port]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let (read, waited) = peer.join().unwrap();
    assert_eq!(read, Ok(0), "the peer saw the close (after {waited:?})");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    let result = t.kinds().find_map(|k| match k {
        EventKind::ConnectResult { result, .. } => Some(*result),
        _ => None,
    });
    assert_eq!(result, Some(SyscallResult::Ok(0)), "{:#?}", t.events);
}

/// A loopback port with nothing listening (0 when the address family is unavailable).
fn closed_port(addr: &str) -> u16 {
    match std::net::TcpListener::bind(addr) {
        Ok(l) => l.local_addr().unwrap().port(),
        Err(_) => 0,
    }
}

#[test]
fn udp_peers_of_sendto_sendmsg_and_sendmmsg_are_recorded() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = trace(&fixture("udp_send"), &[&port.to_string()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let sends: Vec<&SockAddr> = t.kinds().filter_map(|k| match k { EventKind::Send { addr } => Some(addr), _ => None }).collect();
    let v4 = SockAddr::Inet { ip: [127, 0, 0, 1].into(), port };
    assert_eq!(sends.iter().filter(|a| ***a == v4).count(), 2, "sendto and one sendmmsg batch: {sends:?}");
    assert!(sends.iter().any(|a| matches!(a, SockAddr::Inet6 { port: p, .. } if *p == port)), "{sends:?}");
}

#[test]
fn bind_and_listen_report_the_listening_address() {
    let t = trace(&fixture("bind_listen"), &[]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let listens: Vec<SockAddr> = t.kinds().filter_map(|k| match k { EventKind::Listen { addr: Some(a), result } if result.is_ok() => Some(a.clone()), _ => None }).collect();
    assert_eq!(listens.len(), 2, "{:#?}", t.events);
    assert!(matches!(listens[0], SockAddr::Inet { ip, port } if ip == std::net::Ipv4Addr::LOCALHOST && port != 0));
    assert!(listens[1].is_wildcard() && listens[1].port() != Some(0));
    let binds = t.kinds().filter(|k| matches!(k, EventKind::Bind { result, .. } if result.is_ok())).count();
    assert_eq!(binds, 2);
}

#[test]
fn a_command_killed_by_sigterm_reports_the_signal() {
    let t = trace(&fixture("kill_self"), &[]);
    assert_eq!(t.status, ExitStatus::Signal { signal: libc::SIGTERM, core_dumped: false });
    assert_eq!(t.status.shell_code(), 143);
    assert!(t.kinds().any(|k| matches!(k, EventKind::Signal { signal } if *signal == libc::SIGTERM)));
}

#[test]
fn a_child_that_stops_itself_is_seen_stopped_by_its_parent_and_continues() {
    let t = trace(&fixture("stop_cont"), &[]);
    assert_eq!(t.status, ExitStatus::Code(0), "the parent saw the stop and the exit: {:#?}", t.events);
    assert!(t.kinds().any(|k| matches!(k, EventKind::Exit { status: ExitStatus::Code(7) })));
}

#[test]
fn a_failed_exec_is_recorded_and_is_not_a_process_image() {
    let t = trace(&fixture("exec_missing"), &[]);
    assert_eq!(t.status, ExitStatus::Code(3));
    let execs = t.execs();
    assert_eq!(execs.len(), 2);
    assert_eq!(execs[1].1.as_bytes(), b"/nonexistent/runglass-missing-binary");
    assert_eq!(execs[1].2, SyscallResult::Err(Errno(2)));
}

#[test]
fn odd_file_names_are_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let t = trace(&fixture("weird_names"), &[dir.path().to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let opens: Vec<Vec<u8>> = t.opens().into_iter().map(|(p, _)| p).collect();
    for name in [&b"with space"[..], b"new\nline", b"quote\"s'", b"\xff\xfe-not-utf8", b"<script>alert(1)<\\script>.txt"] {
        let mut want = p(dir.path(), "");
        want.push(b'/');
        want.extend_from_slice(name);
        let want = runglass_model::path_bytes::normalize(&want);
        assert!(opens.contains(&want), "{:?} in {opens:?}", ByteString(want.clone()));
    }
}

#[test]
fn read_only_opens_are_traced_only_with_reads() {
    let quiet = trace(Path::new("/bin/cat"), &["/etc/hostname"]);
    assert!(!quiet.opens().iter().any(|(p, _)| p == b"/etc/hostname"));
    let reads = trace_with(Path::new("/bin/cat"), &["/etc/hostname"], Options { reads: true, ..Default::default() });
    assert!(reads.opens().iter().any(|(p, r)| p == b"/etc/hostname" && ok(*r)));
}

#[test]
fn a_daemon_outliving_the_root_is_handed_off_unharmed_and_still_traced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let cmd = Command::new(fixture("daemon")).args([d.as_os_str()]);
    let (mut tx, rx) = crossbeam_channel::unbounded();
    let (mut keeper_tx, keeper_rx) = crossbeam_channel::unbounded();
    let started = Instant::now();
    let mut tracer = Tracer::spawn(&cmd, Options::default(), &mut tx).unwrap();
    let status = tracer.run(&mut tx).unwrap();
    let root_done = started.elapsed();
    assert_eq!(status, ExitStatus::Code(0));
    assert!(root_done < Duration::from_millis(1500), "the root's exit is not held up by the daemon");
    let survivors = tracer.survivors();
    assert_eq!(survivors.len(), 1, "{survivors:?}");

    // The background tracer, here a thread (any thread may adopt once detached).
    let handoff = tracer.hand_off(&mut tx, |pids| {
        let pids = pids.to_vec();
        let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || {
            let mut keeper = Tracer::adopt(&pids, Options::default(), &mut keeper_tx).unwrap();
            ready_tx.send(()).unwrap();
            keeper.run_to_end(&mut keeper_tx).unwrap();
        });
        ready_rx.recv().map_err(|e| e.to_string())?;
        Ok(4242)
    });
    assert_eq!(handoff.unwrap(), Some(4242));
    drop(tx);
    let events: Vec<Event> = rx.iter().collect();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::HandedOff { keeper: 4242 })));

    let done = d.join("daemon.done");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(std::fs::read_to_string(&done).unwrap(), "open=ok connect=ECONNREFUSED\n", "no ENOSYS, not killed");
    // The keeper saw the daemon's later activity.
    let later: Vec<Event> = keeper_rx.iter().collect();
    let late_file = d.join("daemon-late-file").into_os_string().into_encoded_bytes();
    assert!(later.iter().any(|e| matches!(&e.kind, EventKind::Open { path, result, .. } if path.0 == late_file && result.is_ok())), "{later:#?}");
    assert!(later.iter().any(|e| matches!(&e.kind, EventKind::Connect { result: SyscallResult::Err(Errno(111)), .. })));
    assert!(later.iter().any(|e| matches!(e.kind, EventKind::Exit { status: ExitStatus::Code(0) })));
}

/// What a [`BeforeChange`] hook saw: each path, whether the call follows it, whether a
/// rename takes it, and the content there at that instant (None: not a readable file).
type Seen = Vec<(Vec<u8>, bool, bool, Option<Vec<u8>>)>;

/// Reads each path's content the moment the engine asks, and marks the log with a
/// `before` event, so the test can check both what was there and where it was recorded.
struct ReadAtStop(std::sync::Arc<std::sync::Mutex<Seen>>);

impl BeforeChange for ReadAtStop {
    fn before_change(&mut self, c: Change<'_>) -> Vec<EventKind> {
        let content = std::fs::read(c.path.as_path()).ok();
        self.0.lock().unwrap().push((c.path.0.clone(), c.follow, c.renamed, content));
        vec![EventKind::Before { path: c.path.clone(), followed: c.follow, state: None }]
    }
}

#[test]
fn the_before_change_hook_sees_each_path_while_its_caller_is_stopped_before_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, content) in [("f", "old"), ("a", "moved"), ("b", "replaced"), ("c", "removed")] {
        std::fs::write(d.join(name), content).unwrap();
    }
    let script = "printf new > f; mv a b; rm c; mkdir d; ln -s f l; chmod 600 b; cat f > /dev/null";
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::new()));
    let cmd = Command::new("/bin/sh").args(["-c", script].map(OsString::from)).current_dir(d);
    let (mut tx, rx) = crossbeam_channel::unbounded();
    let mut tracer = Tracer::spawn(&cmd, Options::default(), &mut tx).expect("spawn under the tracer");
    tracer.set_before_change(Box::new(ReadAtStop(seen.clone())));
    assert_eq!(tracer.run(&mut tx).expect("trace"), ExitStatus::Code(0));
    drop(tracer);
    drop(tx);
    let events: Vec<Event> = rx.iter().collect();
    assert_eq!(std::fs::read(d.join("f")).unwrap(), b"new");

    let seen = seen.lock().unwrap().clone();
    let saw = |name: &str| seen.iter().find(|(path, ..)| path == &p(d, name)).cloned();
    let content = |s: &str| Some(s.as_bytes().to_vec());
    let truncated = Some((p(d, "f"), true, false, content("old")));
    assert_eq!(saw("f"), truncated, "the truncating open is seen before it runs");
    assert_eq!(saw("a"), Some((p(d, "a"), false, true, content("moved"))), "a rename's source");
    assert_eq!(saw("b"), Some((p(d, "b"), false, true, content("replaced"))), "a rename's destination, before it");
    assert_eq!(saw("c"), Some((p(d, "c"), false, false, content("removed"))));
    assert_eq!(saw("d"), Some((p(d, "d"), false, false, None)), "mkdir: nothing there yet");
    assert_eq!(saw("l"), Some((p(d, "l"), false, false, None)), "symlink: the new link's path");
    let chmods: Vec<_> = seen.iter().filter(|(path, follow, ..)| path == &p(d, "b") && *follow).collect();
    assert_eq!(chmods.len(), 1, "chmod follows symlinks: {seen:?}");
    assert_eq!(seen.iter().filter(|s| s.0 == p(d, "f")).count(), 1, "reading f changes nothing: {seen:?}");
    assert!(seen.iter().any(|s| s.0 == b"/dev/null"), "the engine asks about every path; the host filters");

    // Each `before` event precedes the event of the call it was taken for.
    let position = |want: &dyn Fn(&EventKind) -> bool| events.iter().position(|e| want(&e.kind)).unwrap();
    let before_f = position(&|k| matches!(k, EventKind::Before { path, .. } if path.0 == p(d, "f")));
    let open_f = position(&|k| matches!(k, EventKind::Open { path, .. } if path.0 == p(d, "f")));
    assert!(before_f < open_f, "{events:#?}");
    let before_c = position(&|k| matches!(k, EventKind::Before { path, .. } if path.0 == p(d, "c")));
    let unlink_c = position(&|k| matches!(k, EventKind::File { op: FileOp::Unlink, path, .. } if path.0 == p(d, "c")));
    assert!(before_c < unlink_c, "{events:#?}");
}

/// Answers three queries on `socket` as `dns_exchange` asks them: "a.test" with two A
/// records (compression pointers to the question, as servers write them), "loop.test"
/// with an answer whose name is a compression pointer to itself, "quiet.test" normally.
fn answer_three_queries(socket: std::net::UdpSocket) {
    for _ in 0..3 {
        let mut q = [0u8; 512];
        let Ok((n, from)) = socket.recv_from(&mut q) else { return };
        let question = &q[12..n];
        let mut a = vec![q[0], q[1], 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        a.extend_from_slice(question);
        let hostile = question.starts_with(b"\x04loop");
        for last in [7u8, 8] {
            let at = a.len() as u8;
            // Owner: a pointer to the question (offset 12), or to this very pointer.
            a.extend_from_slice(&[0xc0, if hostile { at } else { 12 }]);
            a.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, last]);
        }
        socket.send_to(&a, from).expect("answer");
    }
}

#[test]
fn dns_answers_received_with_an_address_are_decoded_and_sockets_have_their_type() {
    let server = std::net::UdpSocket::bind("127.0.0.53:53")
        .or_else(|_| std::net::UdpSocket::bind("127.0.0.153:53"))
        .expect("binding a loopback DNS port (the tests run as root)");
    let server_ip = server.local_addr().unwrap().ip();
    let responder = std::thread::spawn(move || answer_three_queries(server));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let t = trace(&fixture("dns_exchange"), &[&server_ip.to_string(), &port]);
    responder.join().unwrap();
    assert_eq!(t.status, ExitStatus::Code(0));
    let server = SockAddr::Inet { ip: server_ip.to_string().parse().unwrap(), port: 53 };
    let answers: Vec<&EventKind> = t.kinds().filter(|k| matches!(k, EventKind::DnsAnswer { .. })).collect();
    // The hostile answer's records are dropped (its question still names the lookup), and
    // recv(2) without an address is never stopped.
    let answer = |name: &str, addrs: Vec<std::net::IpAddr>| EventKind::DnsAnswer {
        server: server.clone(),
        name: name.into(),
        rcode: 0,
        addrs,
    };
    assert_eq!(
        answers,
        [&answer("a.test", vec![[10, 0, 0, 7].into(), [10, 0, 0, 8].into()]), &answer("loop.test", vec![])]
    );
    let connects: Vec<(SockAddr, Option<SocketKind>)> = t
        .kinds()
        .filter_map(|k| match k {
            EventKind::Connect { addr, socket, .. } => Some((addr.clone(), *socket)),
            _ => None,
        })
        .collect();
    let tcp = SockAddr::Inet { ip: [127, 0, 0, 1].into(), port: port.parse().unwrap() };
    assert_eq!(connects, [(server, Some(SocketKind::Datagram)), (tcp, Some(SocketKind::Stream))]);
}

/// Traces `program` with a [`ReadAtStop`] hook; returns the trace and what the hook saw.
fn trace_hooked(program: &Path, args: &[&std::ffi::OsStr]) -> (Trace, Seen) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::new()));
    let cmd = Command::new(program).args(args.iter().map(OsString::from));
    let (mut tx, rx) = crossbeam_channel::unbounded();
    let mut tracer = Tracer::spawn(&cmd, Options::default(), &mut tx).expect("spawn under the tracer");
    tracer.set_before_change(Box::new(ReadAtStop(seen.clone())));
    let status = tracer.run(&mut tx).expect("trace");
    drop(tracer);
    drop(tx);
    let seen = seen.lock().unwrap().clone();
    (Trace { status, events: rx.iter().collect() }, seen)
}

/// A call's outcome as the tests compare it: "ok", or the error's name.
fn outcome(r: &SyscallResult) -> String {
    match r {
        SyscallResult::Ok(_) => "ok".into(),
        other => other.to_string(),
    }
}

/// A file event as the tests compare it: (what, path, named, outcome), where `what` is the
/// open's flags or the operation.
type FileEvent = (String, String, Option<String>, String);

fn file_events(t: &Trace) -> Vec<FileEvent> {
    let text = |b: &ByteString| String::from_utf8_lossy(b.as_bytes()).into_owned();
    t.kinds()
        .filter_map(|k| match k {
            EventKind::Open { path, flags, result, named, .. } => {
                Some((format!("open {flags}"), text(path), named.as_ref().map(text), outcome(result)))
            }
            EventKind::File { op, path, result, named } => {
                Some((format!("{op:?}"), text(path), named.as_ref().map(text), outcome(result)))
            }
            _ => None,
        })
        .collect()
}

/// What a hook saw, readably: (path, follow, renamed, content).
fn seen_text(seen: &Seen) -> Vec<(String, bool, bool, Option<String>)> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    seen.iter().map(|s| (text(&s.0), s.1, s.2, s.3.as_deref().map(text))).collect()
}

/// `dir/name` as text.
fn pt(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// `<step> <number>` lines of a fixture's output.
fn fixture_results(path: &Path, args: &[&std::ffi::OsStr]) -> std::collections::HashMap<String, i64> {
    let out = std::process::Command::new(path).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    parse_results(&out.stdout)
}

fn parse_results(text: &[u8]) -> std::collections::HashMap<String, i64> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn bytes(s: impl AsRef<std::ffi::OsStr>) -> Vec<u8> {
    s.as_ref().as_encoded_bytes().to_vec()
}

#[test]
fn a_write_through_a_symlink_or_a_magic_link_names_the_file_it_reached() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let (t, seen) = trace_hooked(&fixture("reached_paths"), &[d.as_os_str()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    // The fixture printed its descriptor, pipe and pid; the trace has its pid too.
    let pid = t.events[0].pid;
    let existing = pt(&d, "elsewhere/existing");
    let at = |name: &str| pt(&d, name);
    let fd3 = |prefix: &str| format!("{prefix}/3");
    let s = |text: &str| text.to_string();
    let expected: Vec<FileEvent> = vec![
        (s("open O_WRONLY|O_TRUNC"), existing.clone(), Some(at("lnk")), s("ok")),
        (s("open O_WRONLY|O_CREAT|O_TRUNC"), at("elsewhere/created"), Some(at("dangling")), s("ok")),
        (s("open O_WRONLY|O_CREAT|O_EXCL"), at("lnk"), None, s("EEXIST")),
        (s("open O_WRONLY|O_NOFOLLOW"), at("lnk"), None, s("ELOOP")),
        (s("Chmod { mode: 384 }"), existing.clone(), Some(at("lnk")), s("ok")),
        (s("Chmod { mode: 416 }"), existing.clone(), Some(fd3("/proc/self/fd")), s("ok")),
        (s("Truncate { length: 2 }"), existing.clone(), Some(fd3("/proc/thread-self/fd")), s("ok")),
        (s("open O_WRONLY|O_APPEND"), existing.clone(), Some(fd3("/dev/fd")), s("ok")),
        (s("open O_WRONLY|O_CREAT"), at("via-cwd"), Some(s("/proc/self/cwd/via-cwd")), s("ok")),
        (s("open O_WRONLY|O_CREAT"), at("via-root"), Some(format!("/proc/{pid}/root{}/via-root", d.display())), s("ok")),
        (s("Chmod { mode: 420 }"), existing.clone(), Some(fd3(&format!("/proc/{pid}/fd"))), s("ok")),
        (format!("Rename {{ to: {:?}, flags: 0 }}", ByteString::from(at("renamed").as_str())), at("via-cwd"), Some(s("/proc/self/cwd/via-cwd")), s("ok")),
        (s("Unlink"), at("dangling"), None, s("ok")),
        // A pipe has no name: the path stays as named.
        (s("open O_WRONLY"), s("/dev/fd/5"), None, s("ok")),
        // Directories on the way are kept as named; the receipt resolves them.
        (s("open O_WRONLY|O_CREAT"), at("dirlink/through-dir"), None, s("ok")),
        (s("open O_WRONLY|O_APPEND"), existing.clone(), Some(at("lnk2")), s("ok")),
        // openat2 with RESOLVE_NO_SYMLINKS follows nothing: the link itself, refused.
        (s("open O_WRONLY"), at("lnk"), None, s("ELOOP")),
    ];
    let events = file_events(&t);
    let from_step_a = events.iter().position(|e| e.0 == "open O_WRONLY|O_TRUNC").expect("step a");
    assert_eq!(events[from_step_a..], expected[..], "{:#?}", &events[from_step_a..]);

    // The hook was asked about the file each call was about to change, at that instant.
    let seen = seen_text(&seen);
    let asked = |path: &str, follow: bool| seen.iter().filter(|s| s.0 == path && s.1 == follow).count();
    let first = seen.iter().position(|s| s.0 == existing && s.3.as_deref() == Some("old")).expect("existing, before a");
    assert!(seen[first].1, "an open without O_NOFOLLOW follows");
    assert_eq!(seen.iter().find(|s| s.0 == at("elsewhere/created")).map(|s| s.3.clone()), Some(None), "b: nothing there yet");
    let link_itself = "its creation, O_CREAT|O_EXCL, O_NOFOLLOW and RESOLVE_NO_SYMLINKS see the link itself";
    assert_eq!(asked(&at("lnk"), false), 4, "{link_itself}: {seen:#?}");
    assert_eq!(asked(&at("dangling"), false), 2, "its creation, and unlink: the link itself");
    assert_eq!(asked(&at("dangling"), true), 0, "never followed: {seen:#?}");
    let reached = seen.iter().filter(|s| s.0 == existing).count();
    assert_eq!(reached, 9, "the set-up's open and chmod, then a, e, f, g, h, k, p: {seen:#?}");
    assert!(!seen.iter().any(|s| s.0.starts_with("/proc/self") || s.0.starts_with("/dev/fd/3")), "{seen:#?}");
    assert_eq!(seen.iter().find(|s| s.0 == at("via-root")).map(|s| s.1), Some(true));
    let renamed: Vec<&str> = seen.iter().filter(|s| s.2).map(|s| s.0.as_str()).collect();
    assert_eq!(renamed, [at("via-cwd"), at("renamed")], "a rename's two ends, reached through /proc/self/cwd");
}

#[test]
fn owner_attribute_mode_size_and_node_calls_are_decoded_with_their_files_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let (t, seen) = trace_hooked(&fixture("owner_xattr"), &[d.as_os_str()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    // The same calls untraced, in a twin directory: what each returns on this machine.
    let twin = tempfile::tempdir().unwrap();
    let twin = twin.path().canonicalize().unwrap();
    let r = fixture_results(&fixture("owner_xattr"), &[twin.as_os_str()]);
    let res = |step: &str| match r[step] {
        0 => "ok".to_string(),
        e => Errno(-e as i32).to_string(),
    };
    let (u, g) = (Some(r["uid"] as u32), Some(r["gid"] as u32));
    let (f, lnk) = (pt(&d, "f"), pt(&d, "lnk"));
    let x = |n: &str| ByteString::from(n);
    let ev = |op: FileOp, path: &str, named: Option<&str>, step: &str| -> FileEvent {
        (format!("{op:?}"), path.to_string(), named.map(str::to_string), res(step))
    };
    let expected = vec![
        ev(FileOp::Chown { uid: u, gid: None }, &f, Some(&lnk), "chown"),
        ev(FileOp::Chown { uid: None, gid: g }, &lnk, None, "lchown"),
        ev(FileOp::Chown { uid: u, gid: g }, &f, None, "fchown"),
        ev(FileOp::Chown { uid: u, gid: g }, &f, Some(&lnk), "fchownat"),
        ev(FileOp::Chown { uid: None, gid: g }, &lnk, None, "fchownat_nofollow"),
        ev(FileOp::Chown { uid: u, gid: None }, &f, None, "fchownat_empty"),
        ev(FileOp::SetXattr { name: x("user.runglass") }, &f, Some(&lnk), "setxattr"),
        ev(FileOp::SetXattr { name: x("user.link") }, &lnk, None, "lsetxattr"),
        ev(FileOp::SetXattr { name: x("user.fd") }, &f, None, "fsetxattr"),
        ev(FileOp::SetXattr { name: x("user.at") }, &f, None, "setxattrat"),
        ev(FileOp::RemoveXattr { name: x("user.fd") }, &f, None, "removexattr"),
        ev(FileOp::RemoveXattr { name: x("user.none") }, &lnk, None, "lremovexattr"),
        ev(FileOp::RemoveXattr { name: x("user.none") }, &f, None, "fremovexattr"),
        ev(FileOp::RemoveXattr { name: x("user.at") }, &f, None, "removexattrat"),
        ev(FileOp::Chmod { mode: 0o640 }, &f, None, "fchmod"),
        ev(FileOp::Truncate { length: 3 }, &f, None, "ftruncate"),
        ev(FileOp::Mknod { mode: libc::S_IFIFO | 0o600, dev: 0 }, &pt(&d, "fifo"), None, "mknod"),
        ev(FileOp::Mknod { mode: libc::S_IFIFO | 0o644, dev: 0 }, &pt(&d, "fifo2"), None, "mknodat"),
        ev(FileOp::Mknod { mode: libc::S_IFIFO | 0o600, dev: 0 }, &pt(&d, "fifo3"), None, "mkfifo"),
        // fchmod of a pipe changes no path, and fchown(999) no file: neither is an event.
        ev(FileOp::Chown { uid: u, gid: None }, &f, None, "x32_chown"),
    ];
    let events = file_events(&t);
    let first = events.iter().position(|e| e.0.starts_with("Chown")).expect("a chown");
    assert_eq!(events[first..], expected[..], "{:#?}", &events[first..]);

    // The hook is asked before each, following the symlink only where the call does.
    let follows: Vec<(String, bool)> = seen_text(&seen).into_iter().map(|s| (s.0, s.1)).collect();
    assert!(follows.contains(&(f.clone(), true)), "chown through lnk follows it: {follows:#?}");
    assert!(follows.contains(&(lnk.clone(), false)), "lchown, lsetxattr: the link itself: {follows:#?}");
    assert!(follows.contains(&(pt(&d, "fifo"), false)), "{follows:#?}");
    assert!(!follows.iter().any(|(path, _)| path.starts_with("pipe:") || path.is_empty()), "{follows:#?}");
}

#[test]
fn i386_owner_size_attribute_node_and_io_uring_calls_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let twin = tempfile::tempdir().unwrap();
    let r = fixture_results(&fixture("int80_files"), &[twin.path().canonicalize().unwrap().as_os_str()]);
    let t = trace(&fixture("int80_files"), &[d.to_str().unwrap()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let res = |step: &str| match r[step] {
        v if v >= 0 => "ok".to_string(),
        e => Errno(-e as i32).to_string(),
    };
    let (u, g) = (r["uid"] as u32, r["gid"] as u32);
    let g16 = (g < 0xffff).then_some(g);
    let (f, lnk) = (pt(&d, "f"), pt(&d, "lnk"));
    let ev = |op: FileOp, path: &str, named: Option<&str>, step: &str| -> FileEvent {
        (format!("{op:?}"), path.to_string(), named.map(str::to_string), res(step))
    };
    let expected = [
        ev(FileOp::Chown { uid: None, gid: g16 }, &f, Some(&lnk), "chown16"),
        ev(FileOp::Chown { uid: None, gid: Some(g) }, &lnk, None, "lchown32"),
        ev(FileOp::Chown { uid: Some(u), gid: None }, &f, None, "fchown32"),
        ev(FileOp::Truncate { length: 5 }, &f, None, "ftruncate64"),
        ev(FileOp::SetXattr { name: "user.i386".into() }, &f, None, "setxattr"),
        ev(FileOp::Mknod { mode: libc::S_IFIFO | 0o600, dev: 0 }, &pt(&d, "nod"), None, "mknod"),
        ev(FileOp::Chmod { mode: 0o600 }, &f, None, "fchmod"),
    ];
    let events = file_events(&t);
    let first = events.iter().position(|e| e.0.starts_with("Chown")).expect("a chown");
    assert_eq!(events[first..], expected[..], "{:#?}", &events[first..]);
    let rings: Vec<&SyscallResult> = t.kinds().filter_map(|k| match k { EventKind::IoUringSetup { result } => Some(result), _ => None }).collect();
    assert_eq!(rings.len(), 1, "{:#?}", t.events);
    assert_eq!(outcome(rings[0]), res("io_uring_setup"));
}

#[test]
fn io_uring_setup_is_recorded_with_its_result_in_the_native_and_x32_tables() {
    let r = fixture_results(&fixture("uring_setup"), &[]);
    let t = trace(&fixture("uring_setup"), &[]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let rings: Vec<SyscallResult> = t.kinds().filter_map(|k| match k { EventKind::IoUringSetup { result } => Some(*result), _ => None }).collect();
    let expect = |v: i64| if v >= 0 { SyscallResult::Ok(v) } else { SyscallResult::Err(Errno(-v as i32)) };
    assert_eq!(rings, [expect(r["x86_64"]), expect(r["x32"])], "{:#?}", t.events);
}

#[test]
fn a_working_directory_deeper_than_path_max_still_gives_absolute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let t = trace(&fixture("deep_cwd"), &[d.to_str().unwrap(), "25"]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let deep = (0..25).fold(d.clone(), |at, _| at.join("d".repeat(200)));
    assert!(deep.as_os_str().len() > 4096);
    let opens = t.opens();
    assert!(opens.contains(&(p(&deep, "deep-file"), SyscallResult::Ok(3))), "{opens:?}");
    let ops = t.file_ops();
    assert!(ops.contains(&(FileOp::Mkdir { mode: 0o755 }, p(&deep, "deep-dir"), SyscallResult::Ok(0))));
    let mkdirs = ops.iter().filter(|(op, path, _)| matches!(op, FileOp::Mkdir { .. }) && path.starts_with(&p(&d, ""))).count();
    assert_eq!(mkdirs, 26, "every level, each absolute");
    let true_exec = t.execs().into_iter().find(|(_, path, _)| path.as_bytes() == b"/bin/true").expect("the exec");
    match &true_exec.0.kind {
        EventKind::Exec { cwd, .. } => assert_eq!(cwd.0, bytes(&deep)),
        other => panic!("{other:?}"),
    }
    for e in &t.events {
        if let EventKind::Open { path, .. } | EventKind::File { path, .. } = &e.kind {
            assert!(path.0.starts_with(b"/"), "{:?}", path);
        }
    }
}

#[test]
fn messages_without_an_address_on_a_connected_udp_socket_name_its_peer() {
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp = receiver.local_addr().unwrap().port();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = listener.local_addr().unwrap().port();
    let t = trace(&fixture("udp_connected"), &[&udp.to_string(), &tcp.to_string()]);
    assert_eq!(t.status, ExitStatus::Code(0));
    let sends: Vec<&SockAddr> = t.kinds().filter_map(|k| match k { EventKind::Send { addr } => Some(addr), _ => None }).collect();
    let peer = SockAddr::Inet { ip: [127, 0, 0, 1].into(), port: udp };
    // One for the sendmsg, one for the sendmmsg batch; none for the probe that sent nothing,
    // the TCP stream, the unconnected socket or the socketpair's unnamed peer.
    assert_eq!(sends, [&peer, &peer], "{:#?}", t.events);
}

#[test]
fn a_root_program_that_cannot_start_is_an_error_and_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("no-interpreter");
    std::fs::write(&script, "#!/nonexistent/runglass-interpreter\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let plain = dir.path().join("not-executable");
    std::fs::write(&plain, "").unwrap();
    let start = |program: &Path| {
        let (mut tx, rx) = crossbeam_channel::unbounded();
        let result = Tracer::spawn(&Command::new(program), Options::default(), &mut tx).map(drop);
        drop(tx);
        (result, rx.iter().count())
    };
    let (missing, events) = start(Path::new("/nonexistent/runglass-cmd"));
    assert!(matches!(missing, Err(runglass_tracer::Error::CommandNotFound(_))), "{missing:?}");
    assert_eq!(events, 0, "nothing started");
    let (no_interpreter, events) = start(&script);
    assert!(matches!(no_interpreter, Err(runglass_tracer::Error::InterpreterNotFound(_))), "{no_interpreter:?}");
    assert_eq!(events, 0);
    let (denied, events) = start(&plain);
    assert!(matches!(denied, Err(runglass_tracer::Error::CannotExecute { errno: nix::errno::Errno::EACCES, .. })), "{denied:?}");
    assert_eq!(events, 0);
}
