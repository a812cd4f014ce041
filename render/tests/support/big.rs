//! A receipt far bigger than real runs usually are, for the HTML tests and benchmarks:
//! many file changes with small text diffs, a process chain as deep as the process count,
//! and many peers, all built from the fixed fixture so every other field stays real.

use runglass_model::Receipt;
use runglass_model::receipt::{
    Action, Actor, ChangeKind, Diff, FileChange, Peer, PeerResult, Process, Protocol, Source,
};

/// The fixed receipt of a real deep-mode run (render/tests/fixtures/receipt.json).
pub fn fixture() -> Receipt {
    serde_json::from_str(include_str!("../fixtures/receipt.json")).expect("the fixture is a valid receipt")
}

/// The fixture with `files` created files (each a two-line text diff), `procs` processes
/// each the child of the one before (a chain `procs` deep), and `procs * 2 / 5` peers.
/// File changes and peers are spread over the chain's processes.
pub fn big_receipt(files: usize, procs: usize) -> Receipt {
    let mut r = fixture();
    let template = r.processes[1].clone();
    let root_pid = 100_000;
    r.processes = (0..procs)
        .map(|i| {
            let pid = root_pid + i as u32;
            Process {
                pid,
                parent: (i > 0).then(|| pid - 1),
                parent_process: (i > 0).then(|| i as u32 - 1),
                parent_exec: None,
                argv: vec!["sh".into(), "-c".into(), format!("step {i}").as_str().into()],
                started_ms: Some(i as u64),
                ended_ms: Some(10_000 - i as u64),
                ..template.clone()
            }
        })
        .collect();
    let pid_of = |i: usize| root_pid + (i % procs.max(1)) as u32;
    r.files.changes = (0..files)
        .map(|i| {
            let path = format!("src/module{}/file{i}.rs", i % 100);
            FileChange {
                path: path.as_str().into(),
                change: ChangeKind::Created,
                before: None,
                after: r.files.changes[1].after.clone(),
                content_changed: true,
                mode_changed: false,
                diff: Diff::Text {
                    unified: format!("--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,2 @@\n+fn f{i}() {{}}\n+// {i}\n"),
                    added: 2,
                    removed: 0,
                    truncated: false,
                },
                by: vec![Actor {
                    pid: pid_of(i),
                    process: (i % procs.max(1)) as u32,
                    exec: None,
                    action: Action::Created,
                    at_ms: i as u64,
                }],
                owner_changed: false,
                xattrs_changed: false,
                seen_by: Source::Snapshot,
                captured: false,
                skipped_dir: None,
            }
        })
        .collect();
    r.network.outbound = (0..procs * 2 / 5)
        .map(|i| Peer {
            protocol: Protocol::Tcp,
            address: format!("10.0.{}.{}", i / 256, i % 256),
            port: 443,
            host: None,
            host_from: None,
            pid: pid_of(i),
            process: (i % procs.max(1)) as u32,
            exec: None,
            result: PeerResult::Connected,
            first_ms: i as u64,
            last_ms: i as u64,
            count: 1,
            seen_by: Source::Trace,
        })
        .collect();
    r
}
