//! Property tests: every model type comes back unchanged from the encodings runglass stores
//! it in. Events and the log header go through postcard (the event log's frames, and a
//! whole log written and read back) and JSON (`trace --json`, receipts); the receipt and
//! its parts go through JSON (receipt.json), and the parts that are also postcard frames
//! (file kinds, exit statuses) through postcard.
//!
//! The receipt as a whole is never postcard: [`Diff`] is an internally tagged enum, which
//! only a self-describing format can read back, so [`Receipt`], [`Files`] and
//! [`FileChange`] are checked through JSON alone.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use runglass_model::log::{LogHeader, LogReader, LogWriter, Observer};
use runglass_model::receipt::*;
use runglass_model::{
    ByteString, CloneKind, Errno, Event, EventKind, ExitStatus, FileOp, OpenFlags, PathState, SockAddr, SocketKind,
    SyscallResult,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

// ---- Shared leaves ----

/// Bytes from a traced command: often text, sometimes not UTF-8 at all, sometimes empty.
fn bytes() -> impl Strategy<Value = ByteString> {
    prop_oneof![
        "[a-z/. ]{0,12}".prop_map(|s| ByteString::from(s.as_str())),
        any::<String>().prop_map(|s| ByteString::from(s.as_str())),
        vec(any::<u8>(), 0..12).prop_map(ByteString),
    ]
}

fn argv() -> impl Strategy<Value = Vec<ByteString>> {
    vec(bytes(), 0..4)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9 .:-]{0,12}", any::<String>()]
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    vec(text(), 0..3)
}

fn file_kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![Just(FileKind::File), Just(FileKind::Dir), Just(FileKind::Symlink), Just(FileKind::Other)]
}

fn exit_status() -> impl Strategy<Value = ExitStatus> {
    prop_oneof![
        any::<i32>().prop_map(ExitStatus::Code),
        (any::<i32>(), any::<bool>()).prop_map(|(signal, core_dumped)| ExitStatus::Signal { signal, core_dumped }),
    ]
}

// ---- Events ----

fn syscall_result() -> impl Strategy<Value = SyscallResult> {
    prop_oneof![
        any::<i64>().prop_map(SyscallResult::Ok),
        any::<i32>().prop_map(|e| SyscallResult::Err(Errno(e))),
        Just(SyscallResult::Unknown),
    ]
}

fn clone_kind() -> impl Strategy<Value = CloneKind> {
    prop_oneof![
        Just(CloneKind::Root),
        Just(CloneKind::Fork),
        Just(CloneKind::Vfork),
        Just(CloneKind::Clone),
        Just(CloneKind::Thread),
        Just(CloneKind::Unknown),
    ]
}

fn file_op() -> impl Strategy<Value = FileOp> {
    prop_oneof![
        Just(FileOp::Unlink),
        Just(FileOp::Rmdir),
        (bytes(), any::<u32>()).prop_map(|(to, flags)| FileOp::Rename { to, flags }),
        bytes().prop_map(|to| FileOp::Link { to }),
        bytes().prop_map(|target| FileOp::Symlink { target }),
        any::<u32>().prop_map(|mode| FileOp::Mkdir { mode }),
        any::<i64>().prop_map(|length| FileOp::Truncate { length }),
        any::<u32>().prop_map(|mode| FileOp::Chmod { mode }),
        (option::of(any::<u32>()), option::of(any::<u32>())).prop_map(|(uid, gid)| FileOp::Chown { uid, gid }),
        bytes().prop_map(|name| FileOp::SetXattr { name }),
        bytes().prop_map(|name| FileOp::RemoveXattr { name }),
        (any::<u32>(), any::<u64>()).prop_map(|(mode, dev)| FileOp::Mknod { mode, dev }),
    ]
}

fn sock_addr() -> impl Strategy<Value = SockAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| SockAddr::Inet { ip: Ipv4Addr::from(ip), port }),
        (any::<[u8; 16]>(), any::<u16>(), any::<u32>())
            .prop_map(|(ip, port, scope_id)| SockAddr::Inet6 { ip: Ipv6Addr::from(ip), port, scope_id }),
        bytes().prop_map(|path| SockAddr::Unix { path }),
        bytes().prop_map(|name| SockAddr::UnixAbstract { name }),
        Just(SockAddr::UnixUnnamed),
        any::<u16>().prop_map(|number| SockAddr::Other { number }),
    ]
}

fn path_state() -> impl Strategy<Value = PathState> {
    let content = (file_kind(), any::<u64>(), any::<u32>(), any::<i64>(), option::of(text()), option::of(bytes()), any::<[bool; 2]>());
    let owner = (option::of(any::<u32>()), option::of(any::<u32>()), option::of(vec(bytes(), 0..3)));
    (content, owner).prop_map(|((kind, size, mode, mtime_ns, blake3, target, [capped, stored]), (uid, gid, xattrs))| {
        PathState { kind, size, mode, mtime_ns, blake3, target, capped, stored, uid, gid, xattrs }
    })
}

/// Every variant of [`EventKind`], each with arbitrary fields.
fn event_kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        (any::<u32>(), any::<u32>(), clone_kind())
            .prop_map(|(parent, parent_tid, kind)| EventKind::Spawn { parent, parent_tid, kind }),
        (bytes(), argv(), bytes(), option::of(any::<u32>()), syscall_result()).prop_map(
            |(path, argv, cwd, former_tid, result)| EventKind::Exec { path, argv, cwd, former_tid, result }
        ),
        (bytes(), any::<u32>(), any::<u32>(), syscall_result(), option::of(bytes())).prop_map(
            |(path, flags, mode, result, named)| EventKind::Open { path, flags: OpenFlags(flags), mode, result, named }
        ),
        (file_op(), bytes(), syscall_result(), option::of(bytes()))
            .prop_map(|(op, path, result, named)| EventKind::File { op, path, result, named }),
        (sock_addr(), syscall_result(), option::of(socket_kind()))
            .prop_map(|(addr, result, socket)| EventKind::Connect { addr, result, socket }),
        (sock_addr(), syscall_result(), option::of(socket_kind()))
            .prop_map(|(addr, result, socket)| EventKind::Bind { addr, result, socket }),
        (option::of(sock_addr()), syscall_result()).prop_map(|(addr, result)| EventKind::Listen { addr, result }),
        sock_addr().prop_map(|addr| EventKind::Send { addr }),
        any::<i32>().prop_map(|signal| EventKind::Signal { signal }),
        exit_status().prop_map(|status| EventKind::Exit { status }),
        any::<u32>().prop_map(|keeper| EventKind::HandedOff { keeper }),
        Just(EventKind::Adopted),
        Just(EventKind::Gone),
        (bytes(), any::<bool>(), option::of(path_state()))
            .prop_map(|(path, followed, state)| EventKind::Before { path, followed, state }),
        (sock_addr(), text(), any::<u8>(), vec(ip_addr(), 0..3))
            .prop_map(|(server, name, rcode, addrs)| EventKind::DnsAnswer { server, name, rcode, addrs }),
        (ip_addr(), text()).prop_map(|(addr, name)| EventKind::HostsName { addr, name }),
        (sock_addr(), syscall_result()).prop_map(|(addr, result)| EventKind::ConnectResult { addr, result }),
        syscall_result().prop_map(|result| EventKind::IoUringSetup { result }),
        (bytes(), option::of(any::<u32>()), option::of(any::<u32>()), any::<u64>(), any::<u32>(), any::<u32>())
            .prop_map(|(path, setuid, setgid, capabilities, euid, egid)| EventKind::PrivilegesDropped {
                path,
                setuid,
                setgid,
                capabilities,
                euid,
                egid,
            }),
    ]
}

fn socket_kind() -> impl Strategy<Value = SocketKind> {
    prop_oneof![
        Just(SocketKind::Stream),
        Just(SocketKind::Datagram),
        Just(SocketKind::SeqPacket),
        Just(SocketKind::Raw),
        Just(SocketKind::Other),
    ]
}

fn ip_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![any::<[u8; 4]>().prop_map(IpAddr::from), any::<[u8; 16]>().prop_map(IpAddr::from)]
}

fn event() -> impl Strategy<Value = Event> {
    (any::<u64>(), any::<u32>(), any::<u32>(), event_kind()).prop_map(|(time_ns, pid, tid, kind)| Event {
        time_ns,
        pid,
        tid,
        kind,
    })
}

fn log_header() -> impl Strategy<Value = LogHeader> {
    (text(), any::<u64>(), argv(), bytes(), any::<bool>(), prop_oneof![Just(Observer::Trace), Just(Observer::Polling)])
        .prop_map(|(runglass_version, started_unix_ns, argv, cwd, reads, observer)| LogHeader {
            runglass_version,
            started_unix_ns,
            argv,
            cwd,
            reads,
            observer,
        })
}

// ---- The receipt's parts ----

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![Just(Source::Trace), Just(Source::Polling), Just(Source::Snapshot), Just(Source::Capture)]
}

fn command_info() -> impl Strategy<Value = CommandInfo> {
    (argv(), text(), bytes()).prop_map(|(argv, display, cwd)| CommandInfo { argv, display, cwd })
}

fn timing() -> impl Strategy<Value = Timing> {
    (text(), text(), any::<[u64; 3]>()).prop_map(|(started_at, ended_at, numbers)| {
        let [started_unix_ms, ended_unix_ms, duration_ms] = numbers;
        Timing { started_at, ended_at, started_unix_ms, ended_unix_ms, duration_ms }
    })
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let status = prop_oneof![
        Just(RunStatus::Completed),
        Just(RunStatus::Failed),
        Just(RunStatus::Interrupted),
        Just(RunStatus::TimedOut),
        Just(RunStatus::FailedToStart),
    ];
    (status, option::of(exit_status()), option::of(any::<i32>()), option::of(any::<u64>()), option::of(text()))
        .prop_map(|(status, exit, exit_code, timeout_ms, message)| Outcome {
            status,
            exit,
            exit_code,
            timeout_ms,
            message,
        })
}

fn stream() -> impl Strategy<Value = Stream> {
    (text(), any::<u64>(), bytes(), bytes(), any::<bool>())
        .prop_map(|(file, bytes, head, tail, truncated)| Stream { file, bytes, head, tail, truncated, stored_bytes: None })
}

fn output() -> impl Strategy<Value = Output> {
    let capture = prop_oneof![Just(CaptureMode::Pipes), Just(CaptureMode::Pty), Just(CaptureMode::None)];
    (capture, option::of(stream()), option::of(stream()), option::of(stream()))
        .prop_map(|(capture, stdout, stderr, transcript)| Output { capture, stdout, stderr, transcript })
}

fn exec_record() -> impl Strategy<Value = ExecRecord> {
    (bytes(), argv(), any::<u64>()).prop_map(|(path, argv, at_ms)| ExecRecord { path, argv, at_ms })
}

fn process() -> impl Strategy<Value = Process> {
    let who = (any::<u32>(), option::of(any::<u32>()), argv(), option::of(bytes()), option::of(bytes()));
    let life = (
        vec(exec_record(), 0..2),
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        option::of(exit_status()),
        any::<bool>(),
        source(),
    );
    let parent_ref = (option::of(any::<u32>()), option::of(any::<u32>()));
    (who, life, parent_ref).prop_map(
        |(
            (pid, parent, argv, exe, cwd),
            (execs, started_ms, ended_ms, exit, outlived_command, seen_by),
            (parent_process, parent_exec),
        )| Process {
            pid,
            parent,
            parent_process,
            parent_exec,
            argv,
            exe,
            cwd,
            execs,
            started_ms,
            ended_ms,
            exit,
            outlived_command,
            seen_by,
        },
    )
}

fn file_state() -> impl Strategy<Value = FileState> {
    path_state().prop_map(FileState::from)
}

fn diff() -> impl Strategy<Value = Diff> {
    prop_oneof![
        Just(Diff::None),
        (text(), any::<u64>(), any::<u64>(), any::<bool>())
            .prop_map(|(unified, added, removed, truncated)| Diff::Text { unified, added, removed, truncated }),
        Just(Diff::Binary),
        Just(Diff::Capped),
        text().prop_map(|reason| Diff::Unavailable { reason }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Wrote),
        Just(Action::Created),
        Just(Action::Truncated),
        Just(Action::RenamedFrom),
        Just(Action::RenamedTo),
        Just(Action::Removed),
        Just(Action::Chmod),
        Just(Action::Mkdir),
        Just(Action::Symlinked),
        Just(Action::Linked),
        Just(Action::Read),
        Just(Action::Chown),
        Just(Action::SetXattr),
        Just(Action::RemoveXattr),
        Just(Action::Mknod),
    ]
}

fn actor() -> impl Strategy<Value = Actor> {
    (any::<u32>(), any::<u32>(), option::of(any::<u32>()), action(), any::<u64>())
        .prop_map(|(pid, process, exec, action, at_ms)| Actor { pid, process, exec, action, at_ms })
}

fn change_kind() -> impl Strategy<Value = ChangeKind> {
    prop_oneof![
        Just(ChangeKind::Created),
        Just(ChangeKind::Modified),
        Just(ChangeKind::Deleted),
        Just(ChangeKind::TypeChanged),
        Just(ChangeKind::Unchanged),
    ]
}

fn file_change() -> impl Strategy<Value = FileChange> {
    let states = (option::of(file_state()), option::of(file_state()));
    let seen = (source(), option::of(bytes()));
    (bytes(), change_kind(), states, any::<[bool; 5]>(), diff(), vec(actor(), 0..2), seen).prop_map(
        |(
            path,
            change,
            (before, after),
            [content_changed, mode_changed, owner_changed, xattrs_changed, captured],
            diff,
            by,
            (seen_by, skipped_dir),
        )| FileChange {
            path,
            change,
            before,
            after,
            content_changed,
            mode_changed,
            diff,
            by,
            owner_changed,
            xattrs_changed,
            seen_by,
            captured,
            skipped_dir,
        },
    )
}

fn outside_change() -> impl Strategy<Value = OutsideChange> {
    let states = (option::of(file_state()), option::of(file_state()));
    (bytes(), vec(actor(), 0..2), any::<[bool; 7]>(), states, change_kind()).prop_map(
        |(
            path,
            by,
            [exists_after, captured, followed, content_changed, mode_changed, owner_changed, xattrs_changed],
            (before, after),
            change,
        )| OutsideChange {
            path,
            by,
            exists_after,
            captured,
            before,
            after,
            followed,
            change,
            content_changed,
            mode_changed,
            owner_changed,
            xattrs_changed,
        },
    )
}

fn transient_path() -> impl Strategy<Value = TransientPath> {
    (bytes(), any::<bool>(), vec(actor(), 0..2)).prop_map(|(path, inside, by)| TransientPath { path, inside, by })
}

fn file_read() -> impl Strategy<Value = FileRead> {
    (bytes(), option::of(text()), option::of(any::<u64>()), vec(actor(), 0..2))
        .prop_map(|(path, blake3, size, by)| FileRead { path, blake3, size, by })
}

fn snapshot_summary() -> impl Strategy<Value = SnapshotSummary> {
    let unreadable = vec((bytes(), text()).prop_map(|(path, error)| Unreadable { path, error }), 0..2);
    (any::<[u64; 7]>(), vec(bytes(), 0..2), unreadable, texts()).prop_map(
        |(numbers, capped, unreadable, ignore_sources)| {
            let [entries_before, entries_after, bytes_hashed, before_ms, after_ms, cap_bytes, ignored] = numbers;
            SnapshotSummary {
                entries_before,
                entries_after,
                bytes_hashed,
                before_ms,
                after_ms,
                cap_bytes,
                capped,
                unreadable,
                ignored,
                ignore_sources,
            }
        },
    )
}

fn files() -> impl Strategy<Value = Files> {
    let lists = (vec(file_change(), 0..3), vec(outside_change(), 0..2), vec(file_read(), 0..2), vec(transient_path(), 0..2));
    let root_id = option::of((any::<u64>(), any::<u64>()).prop_map(|(dev, ino)| DirId { dev, ino }));
    (bytes(), root_id, lists, snapshot_summary()).prop_map(
        |(root, root_id, (changes, outside, reads, transient), snapshot)| Files {
            root,
            root_id,
            changes,
            outside,
            reads,
            transient,
            snapshot,
        },
    )
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![Just(Protocol::Tcp), Just(Protocol::Udp), Just(Protocol::Ip)]
}

fn peer() -> impl Strategy<Value = Peer> {
    let result = prop_oneof![
        Just(PeerResult::Connected),
        Just(PeerResult::Refused),
        Just(PeerResult::InProgress),
        Just(PeerResult::TimedOut),
        Just(PeerResult::Pending),
        text().prop_map(|error| PeerResult::Unreachable { error }),
        text().prop_map(|error| PeerResult::Failed { error }),
        Just(PeerResult::Sent),
        Just(PeerResult::Open),
    ];
    let name_source = prop_oneof![Just(NameSource::Dns), Just(NameSource::Hosts)];
    let address = (protocol(), text(), any::<u16>(), option::of(text()), option::of(name_source));
    let activity = (any::<u32>(), process_ref(), result, any::<[u64; 3]>(), source());
    (address, activity).prop_map(
        |((protocol, address, port, host, host_from), (pid, (process, exec), result, [first_ms, last_ms, count], seen_by))| Peer {
            protocol,
            address,
            port,
            host,
            host_from,
            pid,
            process,
            exec,
            result,
            first_ms,
            last_ms,
            count,
            seen_by,
        },
    )
}

/// A process entry's index and one of its execs.
fn process_ref() -> impl Strategy<Value = (u32, Option<u32>)> {
    (any::<u32>(), option::of(any::<u32>()))
}

fn listener() -> impl Strategy<Value = Listener> {
    (protocol(), text(), any::<u16>(), any::<bool>(), any::<u32>(), process_ref(), any::<u64>(), source()).prop_map(
        |(protocol, address, port, wildcard, pid, (process, exec), at_ms, seen_by)| Listener {
            protocol,
            address,
            port,
            wildcard,
            pid,
            process,
            exec,
            at_ms,
            seen_by,
        },
    )
}

fn unix_socket() -> impl Strategy<Value = UnixSocket> {
    let role = prop_oneof![Just(UnixRole::Connected), Just(UnixRole::Bound), Just(UnixRole::Listening)];
    (bytes(), role, any::<u32>(), process_ref(), any::<u64>(), source()).prop_map(
        |(path, role, pid, (process, exec), count, seen_by)| UnixSocket { path, role, pid, process, exec, count, seen_by },
    )
}

fn lookup() -> impl Strategy<Value = Lookup> {
    let status = prop_oneof![
        Just(LookupStatus::Answered),
        Just(LookupStatus::NoSuchName),
        any::<u8>().prop_map(|rcode| LookupStatus::Failed { rcode }),
    ];
    ((text(), vec(text(), 0..3), status, text()), (any::<u32>(), process_ref(), any::<[u64; 2]>())).prop_map(
        |((name, addresses, status, server), (pid, (process, exec), [first_ms, count]))| Lookup {
            name,
            addresses,
            status,
            server,
            pid,
            process,
            exec,
            first_ms,
            count,
        },
    )
}

fn probe() -> impl Strategy<Value = Probe> {
    (text(), any::<u16>(), any::<u32>(), process_ref(), any::<[u64; 2]>()).prop_map(
        |(address, port, pid, (process, exec), [first_ms, count])| Probe { address, port, pid, process, exec, first_ms, count },
    )
}

fn network() -> impl Strategy<Value = Network> {
    (vec(peer(), 0..2), vec(listener(), 0..2), vec(unix_socket(), 0..2), vec(lookup(), 0..2), vec(probe(), 0..2))
        .prop_map(|(outbound, listening, unix, lookups, probes)| Network { outbound, listening, unix, lookups, probes })
}

fn docker_change() -> impl Strategy<Value = DockerChange> {
    prop_oneof![Just(DockerChange::Added), Just(DockerChange::Removed), Just(DockerChange::Changed)]
}

fn container_state() -> impl Strategy<Value = ContainerState> {
    let port = (text(), any::<u16>(), any::<u16>(), text(), any::<bool>()).prop_map(
        |(host_ip, host_port, container_port, protocol, wildcard)| PublishedPort {
            host_ip,
            host_port,
            container_port,
            protocol,
            wildcard,
        },
    );
    let mount = (text(), text(), text(), any::<bool>())
        .prop_map(|(destination, kind, source, read_write)| DockerMount { destination, kind, source, read_write });
    (text(), vec(port, 0..2), vec(mount, 0..2))
        .prop_map(|(state, ports, mounts)| ContainerState { state, ports, mounts })
}

fn docker() -> impl Strategy<Value = Docker> {
    let states = (option::of(container_state()), option::of(container_state()));
    let container = (docker_change(), text(), text(), text(), states).prop_map(
        |(change, id, name, image, (before, after))| ContainerChange { change, id, name, image, before, after },
    );
    let image = (docker_change(), text(), texts(), texts(), texts())
        .prop_map(|(change, id, tags, tags_before, digests)| ImageChange { change, id, tags, tags_before, digests });
    let object = || {
        (docker_change(), text(), text()).prop_map(|(change, name, driver)| DockerObjectChange { change, name, driver })
    };
    (text(), option::of(text()), vec(container, 0..2), vec(image, 0..2), vec(object(), 0..2), vec(object(), 0..2))
        .prop_map(|(host, unavailable, containers, images, volumes, networks)| Docker {
            host,
            unavailable,
            containers,
            images,
            volumes,
            networks,
        })
}

fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::None),
        Just(Severity::Info),
        Just(Severity::Low),
        Just(Severity::Medium),
        Just(Severity::High),
    ]
}

fn risk() -> impl Strategy<Value = Risk> {
    let note = (text(), text(), text(), severity(), texts(), text()).prop_map(
        |(id, title, detail, severity, evidence, recommendation)| RiskNote {
            id,
            title,
            detail,
            severity,
            evidence,
            recommendation,
        },
    );
    (severity(), vec(note, 0..2)).prop_map(|(level, notes)| Risk { level, notes })
}

fn timeline() -> impl Strategy<Value = Timeline> {
    let kind = prop_oneof![
        Just(TimelineKind::Phase),
        Just(TimelineKind::Exec),
        Just(TimelineKind::Exit),
        Just(TimelineKind::File),
        Just(TimelineKind::Network),
        Just(TimelineKind::Signal),
    ];
    let entry = (any::<i64>(), kind, option::of(any::<u32>()), text())
        .prop_map(|(at_ms, kind, pid, text)| TimelineEntry { at_ms, kind, pid, text });
    (vec(entry, 0..3), any::<u64>()).prop_map(|(entries, omitted)| Timeline { entries, omitted })
}

fn ci_build() -> impl Strategy<Value = CiBuild> {
    let provider = prop_oneof![Just(CiProvider::Github), Just(CiProvider::Gitlab), Just(CiProvider::Generic)];
    let facts = (option::of(text()), option::of(any::<u64>()), option::of(text()), option::of(text()), option::of(text()));
    (provider, facts).prop_map(|(provider, (repository, pull_request, commit, run_url, server_url))| CiBuild {
        provider,
        repository,
        pull_request,
        commit,
        run_url,
        server_url,
    })
}

fn git_commit() -> impl Strategy<Value = GitCommit> {
    (text(), bytes()).prop_map(|(id, subject)| GitCommit { id, subject })
}

fn git_ref_change() -> impl Strategy<Value = GitRefChange> {
    (bytes(), option::of(text()), option::of(text())).prop_map(|(name, before, after)| GitRefChange { name, before, after })
}

fn git_config_change() -> impl Strategy<Value = GitConfigChange> {
    let change = prop_oneof![Just(GitConfigEdit::Added), Just(GitConfigEdit::Changed), Just(GitConfigEdit::Removed)];
    (bytes(), change, any::<bool>(), argv(), argv(), argv()).prop_map(
        |(key, change, runs_program, before, after, files)| GitConfigChange {
            key,
            change,
            runs_program,
            before,
            after,
            files,
        },
    )
}

fn git_after() -> impl Strategy<Value = GitAfter> {
    let head = (option::of(text()), option::of(bytes()), any::<[u64; 2]>());
    let history = (vec(git_commit(), 0..3), any::<u64>(), vec(git_commit(), 0..3), any::<u64>());
    let refs = (vec(git_ref_change(), 0..3), any::<u64>());
    (head, history, refs).prop_map(
        |((commit, branch, [head_ahead, head_behind]), (commits, commits_more, dropped, dropped_more), (refs, refs_more))| {
            GitAfter {
                commit,
                branch,
                head_ahead,
                head_behind,
                commits,
                commits_more,
                dropped,
                dropped_more,
                refs,
                refs_more,
            }
        },
    )
}

fn git_info() -> impl Strategy<Value = GitInfo> {
    let before = (bytes(), option::of(text()), option::of(bytes()), any::<[bool; 3]>());
    let after = (option::of(git_after()), vec(git_config_change(), 0..3), any::<u64>(), option::of(bytes()), texts());
    (before, after).prop_map(
        |((root, commit, branch, [dirty_before, dirty_after, created]), (after, config, config_more, hooks_dir, limits))| {
            GitInfo {
                root,
                commit,
                branch,
                dirty_before,
                dirty_after,
                after,
                config,
                config_more,
                hooks_dir,
                created,
                limits,
            }
        },
    )
}

fn observation() -> impl Strategy<Value = Observation> {
    let aspect = prop_oneof![
        Just(Aspect::Processes),
        Just(Aspect::Files),
        Just(Aspect::FilesOutside),
        Just(Aspect::Reads),
        Just(Aspect::Network),
        Just(Aspect::Output),
        Just(Aspect::Docker),
    ];
    let confidence = prop_oneof![Just(Confidence::Complete), Just(Confidence::Partial), Just(Confidence::None)];
    let coverage = (aspect, option::of(source()), confidence, text())
        .prop_map(|(aspect, source, confidence, note)| Coverage { aspect, source, confidence, note });
    let io_uring = vec(
        (any::<u32>(), process_ref(), any::<u64>())
            .prop_map(|(pid, (process, exec), at_ms)| IoUringUse { pid, process, exec, at_ms }),
        0..2,
    );
    let dropped = vec(
        (
            (any::<u32>(), process_ref(), any::<u64>(), bytes()),
            (option::of(any::<u32>()), option::of(any::<u32>()), texts(), any::<u32>(), any::<u32>()),
        )
            .prop_map(|((pid, (process, exec), at_ms, path), (setuid, setgid, capabilities, euid, egid))| {
                DroppedPrivileges { pid, process, exec, at_ms, path, setuid, setgid, capabilities, euid, egid }
            }),
        0..2,
    );
    (vec(coverage, 0..3), texts(), io_uring, dropped).prop_map(|(coverage, limits, io_uring, privileges_dropped)| {
        Observation { coverage, limits, io_uring, privileges_dropped }
    })
}

fn artifacts() -> impl Strategy<Value = Artifacts> {
    (option::of(text()), option::of(text()), option::of(text()), option::of(text())).prop_map(
        |(event_log, survivors_log, snapshot_before, snapshot_after)| Artifacts {
            event_log,
            survivors_log,
            snapshot_before,
            snapshot_after,
        },
    )
}

fn receipt() -> impl Strategy<Value = Receipt> {
    let mode = prop_oneof![Just(Mode::Normal), Just(Mode::Deep)];
    let head = (any::<u32>(), text(), text(), command_info(), mode, timing(), outcome(), output());
    let body = (vec(process(), 0..3), files(), network(), option::of(docker()), risk(), timeline());
    let tail = (option::of(git_info()), option::of(ci_build()), observation(), artifacts());
    (head, body, tail).prop_map(
        |(
            (format_version, id, runglass_version, command, mode, timing, outcome, output),
            (processes, files, network, docker, risk, timeline),
            (git, ci, observation, artifacts),
        )| Receipt {
            format_version,
            id,
            runglass_version,
            command,
            mode,
            timing,
            outcome,
            output,
            processes,
            files,
            network,
            docker,
            risk,
            timeline,
            git,
            ci,
            observation,
            artifacts,
        },
    )
}

// ---- The round trips ----

fn through_json<T: Serialize + DeserializeOwned>(value: &T) -> T {
    let json = serde_json::to_vec(value).expect("serializes to JSON");
    serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json)))
}

fn through_postcard<T: Serialize + DeserializeOwned>(value: &T) -> T {
    let bin = postcard::to_stdvec(value).expect("serializes to postcard");
    postcard::from_bytes(&bin).expect("postcard output reads back")
}

proptest! {
    #[test]
    fn events_survive_postcard_and_json(event in event()) {
        prop_assert_eq!(&through_postcard(&event), &event);
        prop_assert_eq!(&through_json(&event), &event);
    }

    #[test]
    fn the_log_header_survives_postcard_and_json(header in log_header()) {
        prop_assert_eq!(&through_postcard(&header), &header);
        prop_assert_eq!(&through_json(&header), &header);
    }

    #[test]
    fn a_written_log_reads_back_whole(header in log_header(), events in vec(event(), 0..8)) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("events.log");
        let mut writer = LogWriter::create(&path, &header).expect("create the log");
        for event in &events {
            writer.append(event).expect("append an event");
        }
        writer.finish().expect("finish the log");
        let mut reader = LogReader::open(&path).expect("open the log");
        prop_assert_eq!(reader.header(), &header);
        let read: Vec<Event> = reader.by_ref().map(|e| e.expect("an event reads back")).collect();
        prop_assert_eq!(read, events);
        prop_assert!(!reader.truncated());
    }

    #[test]
    fn byte_strings_survive_postcard_and_json(b in bytes()) {
        prop_assert_eq!(&through_postcard(&b), &b);
        prop_assert_eq!(&through_json(&b), &b);
    }

    #[test]
    fn receipts_survive_json(r in receipt()) {
        prop_assert_eq!(&through_json(&r), &r);
        // The reader the store uses agrees, for every version up to the current one.
        if r.format_version <= RECEIPT_FORMAT_VERSION {
            let json = serde_json::to_vec(&r).expect("serializes to JSON");
            let parsed = runglass_model::receipt_json::parse(&json).expect("a receipt reads back");
            prop_assert_eq!(&parsed, &r);
        }
    }

    #[test]
    fn receipt_parts_survive_json(
        change in file_change(),
        outside in outside_change(),
        process in process(),
        peer in peer(),
        docker in docker(),
        observation in observation(),
    ) {
        prop_assert_eq!(&through_json(&change), &change);
        prop_assert_eq!(&through_json(&outside), &outside);
        prop_assert_eq!(&through_json(&process), &process);
        prop_assert_eq!(&through_json(&peer), &peer);
        prop_assert_eq!(&through_json(&docker), &docker);
        prop_assert_eq!(&through_json(&observation), &observation);
    }

    /// Everything of the receipt but `Diff` also reads back from postcard (file kinds and
    /// states are postcard in snapshot manifests and `before` events).
    #[test]
    fn receipt_parts_without_a_diff_survive_postcard(
        state in file_state(),
        outside in outside_change(),
        process in process(),
        network in network(),
        docker in docker(),
        risk in risk(),
        timeline in timeline(),
        git in git_info(),
        observation in observation(),
        output in output(),
    ) {
        prop_assert_eq!(&through_postcard(&state), &state);
        prop_assert_eq!(&through_postcard(&outside), &outside);
        prop_assert_eq!(&through_postcard(&process), &process);
        prop_assert_eq!(&through_postcard(&network), &network);
        prop_assert_eq!(&through_postcard(&docker), &docker);
        prop_assert_eq!(&through_postcard(&risk), &risk);
        prop_assert_eq!(&through_postcard(&timeline), &timeline);
        prop_assert_eq!(&through_postcard(&git), &git);
        prop_assert_eq!(&through_postcard(&observation), &observation);
        prop_assert_eq!(&through_postcard(&output), &output);
    }
}
