//! For the caller: making runglass the reaper of the command's orphans, and reaping them.

use anyhow::Context;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use procfs::process::Process;
use runglass_model::{ExitStatus, Pid};

use super::children;

/// Makes runglass the child subreaper (PR_SET_CHILD_SUBREAPER): processes of the command
/// whose parent ends (daemons, background jobs) then become children of runglass instead of
/// init, where the poller still finds them, and the caller must reap them with
/// [`reap_orphans`]. Call it before starting the command.
pub fn become_subreaper() -> anyhow::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).context("becoming the child subreaper (prctl PR_SET_CHILD_SUBREAPER)")
}

/// Reaps, without waiting, every child of runglass that has ended, except `root` (which
/// the caller waits for itself), and returns how each one ended. It reaps *any* such
/// child, so the caller must have no other children it means to wait for.
pub fn reap_orphans(root: Pid) -> anyhow::Result<Vec<(Pid, ExitStatus)>> {
    let me = Process::myself().context("opening /proc/self")?;
    let threads = me.stat().map(|s| s.num_threads).context("reading /proc/self/stat")?;
    let mut reaped = Vec::new();
    for pid in children::children_now(std::process::id(), threads) {
        if pid == root {
            continue;
        }
        let Ok(raw) = i32::try_from(pid) else { continue };
        // ECHILD: reaped meanwhile by someone else's wait.
        let status = match waitpid(nix::unistd::Pid::from_raw(raw), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => ExitStatus::Code(code),
            Ok(WaitStatus::Signaled(_, signal, core_dumped)) => {
                ExitStatus::Signal { signal: signal as i32, core_dumped }
            }
            Ok(_) | Err(nix::errno::Errno::ECHILD) => continue,
            Err(e) => return Err(e).with_context(|| format!("reaping child {pid}")),
        };
        reaped.push((pid, status));
    }
    Ok(reaped)
}
