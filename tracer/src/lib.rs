//! runglass's tracing engine.
//!
//! Starts a command, follows its whole process tree with ptrace (forks, vforks, clones,
//! execs), and uses a seccomp-bpf filter so that only the system calls that matter stop
//! a tracee. Each observed fact becomes a [`runglass_model::Event`] handed to the host's
//! [`EventSink`] on the tracer's thread, kept before the tracee that caused it runs on.
//!
//! Layout: [`sys`] holds every raw call; [`filter`] builds the BPF program from the
//! per-ABI tables in [`arch`]; [`wait`] classifies stops; [`decode`] turns a stopped call
//! into an event, reading memory through [`memory`] and resolving paths with [`paths`];
//! [`engine`] is the loop; at each exec, [`privileges`] tells what a setuid, setgid or
//! file-capability program did not get because it is traced. A host may install a [`BeforeChange`] hook to record a path's
//! state while the call about to change it is stopped.
//!
//! This crate knows nothing of receipts, output formats or command-line flags.

#![deny(unsafe_code)]

pub mod arch;
pub mod before_change;
pub mod connect_results;
pub mod decode;
pub mod engine;
pub mod error;
pub mod filter;
pub mod memory;
pub mod paths;
pub mod privileges;
pub mod proc_net;
pub mod reach;
pub mod sink;
pub mod socket_poller;
pub mod spawn;
#[allow(unsafe_code)]
mod sys;
pub mod tracee;
pub mod wait;

pub use before_change::{BeforeChange, Change};
pub use engine::{Options, Survivor, Tracer};
pub use error::{Error, Subject};
pub use sink::EventSink;
pub use spawn::Command;
pub use sys::Tid;

/// Whether this process may attach to processes that are not its descendants (needed
/// to hand survivors to a background tracer): root, CAP_SYS_PTRACE, or Yama's
/// ptrace_scope 0. Returns the reason when it may not.
pub fn can_attach_non_descendants() -> Result<(), String> {
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if scope == 0 {
        return Ok(());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let cap_eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    const CAP_SYS_PTRACE: u64 = 1 << 19;
    // Scope 1 (descendants only) and 2 (admin only) both yield to CAP_SYS_PTRACE; 3
    // forbids attaching altogether.
    if scope <= 2 && cap_eff & CAP_SYS_PTRACE != 0 {
        return Ok(());
    }
    Err(format!("kernel.yama.ptrace_scope is {scope}"))
}
