//! The poller against real commands: processes, execs, ends and sockets it must see. The
//! commands sleep long enough (0.3 s and more) for polls to find what they do.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use runglass_model::{ByteString, CloneKind, Event, EventKind, ExitStatus, Pid, SockAddr, SocketKind, SyscallResult};

use super::reap::{become_subreaper, reap_orphans};
use super::{PollOptions, PollSummary, Poller};

/// A command being watched by a poller.
struct Watched {
    child: Child,
    poller: Poller,
    events: Receiver<Event>,
}

impl Watched {
    fn start(command: &mut Command) -> Watched {
        Watched::start_with(command, PollOptions::default())
    }

    fn start_with(command: &mut Command, opts: PollOptions) -> Watched {
        let child = command.spawn().expect("spawning the test command");
        let (tx, events) = crossbeam_channel::unbounded();
        let poller = Poller::start(child.id(), Instant::now(), opts, tx).expect("starting the poller");
        Watched { child, poller, events }
    }

    /// The first line the command wrote to its (piped) stdout.
    fn read_line(&mut self) -> String {
        let stdout = self.child.stdout.as_mut().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("reading the command's stdout");
        line.trim().to_string()
    }

    /// Waits for the command, then stops the poller.
    fn finish(mut self) -> Seen {
        let status = self.child.wait().expect("waiting for the test command");
        assert!(status.success(), "the test command failed: {status}");
        let summary = self.poller.stop();
        Seen { root: self.child.id(), events: self.events.try_iter().collect(), summary }
    }
}

/// What a poller reported about one command.
struct Seen {
    root: Pid,
    events: Vec<Event>,
    summary: PollSummary,
}

impl Seen {
    /// The events of the root and its descendants, in order.
    fn tree(&self) -> Vec<&Event> {
        let mut members = vec![self.root];
        let mut tree = Vec::new();
        for event in &self.events {
            if let EventKind::Spawn { parent, .. } = event.kind
                && members.contains(&parent)
            {
                members.push(event.pid);
            }
            if members.contains(&event.pid) {
                tree.push(event);
            }
        }
        tree
    }

    fn kinds_of(&self, pid: Pid) -> Vec<EventKind> {
        self.tree().into_iter().filter(|e| e.pid == pid).map(|e| e.kind.clone()).collect()
    }

    /// The pid that exec'd `argv`, with the parent it was first seen under.
    fn exec_of(&self, argv: &[ByteString]) -> Option<(Pid, Pid)> {
        let tree = self.tree();
        let pid = tree.iter().find(|e| matches!(&e.kind, EventKind::Exec { argv: a, .. } if a == argv))?.pid;
        tree.iter().find_map(|e| match e.kind {
            EventKind::Spawn { parent, .. } if e.pid == pid => Some((pid, parent)),
            _ => None,
        })
    }

    fn has(&self, kind: &EventKind) -> bool {
        self.tree().iter().any(|e| &e.kind == kind)
    }
}

fn argv(args: &[&[u8]]) -> Vec<ByteString> {
    args.iter().map(|a| ByteString::from(*a)).collect()
}

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

fn python(script: &str) -> Command {
    let mut command = Command::new("python3");
    command.args(["-c", script]).stdout(Stdio::piped());
    command
}

fn inet(ip: Ipv4Addr, port: u16) -> SockAddr {
    SockAddr::Inet { ip, port }
}

#[test]
fn a_child_is_seen_with_its_exact_argv_and_parent() {
    // The child sh gets "a b" and two bytes that are not UTF-8 as $0 and $1.
    let mut root = sh(r#"sh -c 'sleep 0.5; :' 'a b' "$1"; :"#);
    root.arg("root").arg(OsStr::from_bytes(b"\xff\xfe"));
    let seen = Watched::start(&mut root).finish();

    let child_argv = argv(&[b"sh", b"-c", b"sleep 0.5; :", b"a b", b"\xff\xfe"]);
    let (child, parent) = seen.exec_of(&child_argv).expect("the child's exec with its exact argv");
    assert_eq!(parent, seen.root);
    assert!(seen.kinds_of(child).contains(&EventKind::Gone), "the child ended: {:?}", seen.kinds_of(child));
    let (_, sleep_parent) = seen.exec_of(&argv(&[b"sleep", b"0.5"])).expect("the grandchild sleep");
    assert_eq!(sleep_parent, child);
}

#[test]
fn the_root_is_spawned_by_runglass_and_its_end_is_left_to_the_caller() {
    let seen = Watched::start(&mut sh("sleep 0.3; sleep 0.3")).finish();
    let root = seen.kinds_of(seen.root);
    let me = std::process::id();
    assert_eq!(root[0], EventKind::Spawn { parent: me, parent_tid: me, kind: CloneKind::Root });
    let cwd = ByteString(std::env::current_dir().unwrap().into_os_string().into_encoded_bytes());
    let exec = EventKind::Exec {
        path: ByteString(std::fs::canonicalize("/bin/sh").unwrap().into_os_string().into_encoded_bytes()),
        argv: argv(&[b"sh", b"-c", b"sleep 0.3; sleep 0.3"]),
        cwd,
        former_tid: None,
        result: SyscallResult::Ok(0),
    };
    assert_eq!(root[1], exec);
    assert!(!root.contains(&EventKind::Gone), "{root:?}");
    assert!(seen.summary.polls >= 2, "{:?}", seen.summary);
    assert!(seen.summary.processes_seen >= 3, "{:?}", seen.summary);
}

#[test]
fn an_exec_in_place_is_reported_as_a_second_exec() {
    let seen = Watched::start(&mut sh("sleep 0.3; exec sleep 0.4")).finish();
    let execs: Vec<Vec<ByteString>> = seen
        .kinds_of(seen.root)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::Exec { argv, .. } => Some(argv),
            _ => None,
        })
        .collect();
    let expected = [argv(&[b"sh", b"-c", b"sleep 0.3; exec sleep 0.4"]), argv(&[b"sleep", b"0.4"])];
    assert_eq!(execs, expected, "{:?}", seen.kinds_of(seen.root));
}

#[test]
fn a_tcp_listener_on_every_interface_is_reported_with_its_port_for_each_holder() {
    // A child forked later inherits the listener: it holds it too.
    let script = "import os, socket, time\n\
        s = socket.socket(); s.bind(('0.0.0.0', 0)); s.listen()\n\
        print(s.getsockname()[1], flush=True); time.sleep(0.3)\n\
        pid = os.fork()\n\
        time.sleep(0.5)\n\
        if pid: os.waitpid(pid, 0)";
    let mut watched = Watched::start(&mut python(script));
    let port: u16 = watched.read_line().parse().expect("the listener's port");
    let seen = watched.finish();
    let listen = EventKind::Listen { addr: Some(inet(Ipv4Addr::UNSPECIFIED, port)), result: SyscallResult::Ok(0) };
    let holders: Vec<Pid> = seen.tree().iter().filter(|e| e.kind == listen).map(|e| e.pid).collect();
    assert_eq!(holders.len(), 2, "{holders:?} in {:?}", seen.tree());
    assert_ne!(holders[0], holders[1]);
}

#[test]
fn a_tcp_connection_is_reported_with_the_peer_s_port() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!("import socket, time\ns = socket.create_connection(('127.0.0.1', {port}))\ntime.sleep(0.5)");
    let seen = Watched::start(&mut python(&script)).finish();
    let connect = EventKind::Connect {
        addr: inet(Ipv4Addr::LOCALHOST, port),
        result: SyscallResult::Unknown,
        socket: Some(SocketKind::Stream),
    };
    assert!(seen.has(&connect), "{:?}", seen.tree());
}

#[test]
fn a_connected_udp_socket_is_reported_as_sending_to_its_peer() {
    let receiver = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = receiver.local_addr().unwrap().port();
    let script = format!(
        "import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.connect(('127.0.0.1', {port})); s.send(b'x'); time.sleep(0.5)"
    );
    let seen = Watched::start(&mut python(&script)).finish();
    assert!(seen.has(&EventKind::Send { addr: inet(Ipv4Addr::LOCALHOST, port) }), "{:?}", seen.tree());
}

#[test]
fn unix_sockets_bound_to_paths_are_reported_with_the_exact_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut listening = dir.path().as_os_str().as_bytes().to_vec();
    listening.extend_from_slice(b"/l sock\xff");
    let mut bound = dir.path().as_os_str().as_bytes().to_vec();
    bound.extend_from_slice(b"/dgram");
    // Bound a while after they were made: binding a unix socket moves no socket count, so
    // this needs the poller to look again at sockets it could not settle.
    let script = "import socket, sys, time\n\
        l = socket.socket(socket.AF_UNIX); d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
        time.sleep(0.3)\n\
        l.bind(sys.argv[1].encode('utf-8', 'surrogateescape')); l.listen(); d.bind(sys.argv[2])\n\
        time.sleep(0.5)";
    let mut command = python(script);
    command.arg(OsStr::from_bytes(&listening)).arg(OsStr::from_bytes(&bound));
    let seen = Watched::start(&mut command).finish();

    let listen =
        EventKind::Listen { addr: Some(SockAddr::Unix { path: ByteString(listening) }), result: SyscallResult::Ok(0) };
    assert!(seen.has(&listen), "{:?}", seen.tree());
    let bind = EventKind::Bind {
        addr: SockAddr::Unix { path: ByteString(bound) },
        result: SyscallResult::Ok(0),
        socket: None,
    };
    assert!(seen.has(&bind), "{:?}", seen.tree());
}

#[test]
fn a_zombie_child_is_gone_before_it_is_reaped() {
    // The root leaves its ended child unreaped while the poller looks its last.
    let script = "import os, time\n\
        pid = os.fork()\n\
        if pid == 0: os._exit(0)\n\
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)\n\
        print(pid, flush=True); time.sleep(5)";
    let mut watched = Watched::start(&mut python(script));
    let zombie: Pid = watched.read_line().parse().expect("the child's pid");
    let summary = watched.poller.stop();
    watched.child.kill().unwrap();
    watched.child.wait().unwrap();
    let seen = Seen { root: watched.child.id(), events: watched.events.try_iter().collect(), summary };
    assert!(seen.kinds_of(zombie).contains(&EventKind::Gone), "{:?}", seen.tree());
}

#[test]
fn processes_that_outlive_the_root_are_survivors() {
    let mut watched = Watched::start(sh("sleep 3 & echo $!; sleep 0.2").stdout(Stdio::piped()));
    let background: Pid = watched.read_line().parse().expect("the background job's pid");
    let seen = watched.finish();
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(background as i32), nix::sys::signal::SIGKILL);
    assert!(seen.summary.survivors.contains(&background), "{:?}", seen.summary);
    assert!(!seen.summary.survivors.contains(&seen.root));
}

#[test]
fn intervals_out_of_order_are_refused() {
    let mut child = Command::new("true").spawn().unwrap();
    let (tx, _rx) = crossbeam_channel::unbounded();
    let opts = PollOptions {
        min_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(5),
        ..Default::default()
    };
    let started = Poller::start(child.id(), Instant::now(), opts, tx);
    child.wait().unwrap();
    assert!(started.is_err());
}

/// Set in the process that runs the orphan test alone (being a subreaper changes the whole
/// process, and other tests' children must not look like orphans).
const ALONE: &str = "RUNGLASS_POLL_ORPHAN_TEST";

#[test]
fn orphans_reparented_to_runglass_join_the_tree_and_are_reaped() {
    let name = "poll::tests::orphans_reparented_to_runglass_join_the_tree_and_are_reaped";
    if std::env::var_os(ALONE).is_none() {
        let exe = std::env::current_exe().unwrap();
        let run = Command::new(exe).args(["--exact", name, "--test-threads=1"]).env(ALONE, "1").output().unwrap();
        let output = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "the test failed in a process of its own:\n{output}");
        return;
    }
    become_subreaper().unwrap();
    let mut before = Command::new("sleep").arg("5").spawn().unwrap();
    // The subshell forks `sleep 3` and ends at once, between two polls (every 400 ms here),
    // so the poller first meets the orphan as a child of runglass.
    let root = &mut sh("sleep 0.1; (sleep 3 &); sleep 0.8");
    let slow = Duration::from_millis(400);
    let seen = Watched::start_with(root, PollOptions { min_interval: slow, max_interval: slow, ..Default::default() })
        .finish();

    let me = std::process::id();
    let orphan = seen
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Exec { argv: a, .. } if a == &argv(&[b"sleep", b"3"])));
    let orphan = orphan.expect("the orphan's exec").pid;
    let spawn = EventKind::Spawn { parent: me, parent_tid: me, kind: CloneKind::Unknown };
    assert!(seen.events.iter().any(|e| e.pid == orphan && e.kind == spawn), "{:?}", seen.events);
    assert!(!seen.events.iter().any(|e| e.pid == before.id()), "a child from before the start joined");
    assert_eq!(seen.summary.survivors, [orphan]);

    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(orphan as i32), nix::sys::signal::SIGKILL);
    before.kill().unwrap();
    before.wait().unwrap();
    let mut reaped = Vec::new();
    for _ in 0..500 {
        reaped.extend(reap_orphans(seen.root).unwrap());
        if !reaped.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(reaped, [(orphan, ExitStatus::Signal { signal: 9, core_dumped: false })]);
}
