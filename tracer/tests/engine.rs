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
        let want = runglass_tracer::paths::normalize(&want);
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
