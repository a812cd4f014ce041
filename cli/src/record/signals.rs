//! Passing runglass's termination signals on to the traced command.
//!
//! SIGINT, SIGTERM, SIGHUP and SIGQUIT must not kill runglass while the command runs:
//! the command decides what they mean, and runglass reports what it did. A signal the
//! kernel generated for the terminal's foreground group (Ctrl-C, Ctrl-\, hang-up) has
//! already reached the command, and so has one sent by a process of the traced tree
//! (`kill 0`); any other sender aimed at runglass, so the signal is forwarded to the
//! command.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::{Cause, Origin};

pub struct Forwarder {
    handle: signal_hook::iterator::Handle,
    thread: JoinHandle<()>,
    received: Arc<AtomicI32>,
}

impl Forwarder {
    /// Takes over the signals now; forwards them to the pid that `root` delivers
    /// (`None`: the command never started, and nothing is forwarded). With
    /// `own_terminal` the command has a terminal of its own (a pty), so the signals our
    /// terminal raises (hang-up) do not reach it by themselves and are forwarded too.
    pub fn start(root: Receiver<Option<i32>>, own_terminal: bool) -> std::io::Result<Forwarder> {
        let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])?;
        let handle = signals.handle();
        let received = Arc::new(AtomicI32::new(0));
        let seen = received.clone();
        let thread = std::thread::Builder::new().name("signals".into()).spawn(move || {
            let mut root_pid: Option<Option<i32>> = None;
            for origin in signals.forever() {
                seen.store(origin.signal, Ordering::Relaxed);
                let from_kernel = origin.cause == Cause::Kernel;
                if !(should_forward(&origin) || own_terminal && from_kernel) {
                    continue;
                }
                let pid = *root_pid.get_or_insert_with(|| root.recv().ok().flatten());
                if let Some(pid) = pid {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::try_from(origin.signal).ok(),
                    );
                }
            }
        })?;
        Ok(Forwarder { handle, thread, received })
    }

    /// The last termination signal runglass received, if any (the run was interrupted).
    pub fn received(&self) -> Option<i32> {
        Some(self.received.load(Ordering::Relaxed)).filter(|&s| s != 0)
    }

    /// Stops taking the signals over; returns the last one received.
    pub fn stop(self) -> Option<i32> {
        let received = self.received();
        self.handle.close();
        let _ = self.thread.join();
        received
    }
}

fn should_forward(origin: &Origin) -> bool {
    match origin.cause {
        Cause::Kernel => false,
        _ => match &origin.process {
            Some(sender) => !is_descendant_of_us(sender.pid),
            None => true,
        },
    }
}

/// Whether `pid` is runglass's descendant (a process of the traced tree).
fn is_descendant_of_us(pid: i32) -> bool {
    let me = std::process::id() as i32;
    let mut current = pid;
    for _ in 0..4096 {
        if current == me {
            return true;
        }
        if current <= 1 {
            return false;
        }
        match parent_of(current) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_parent_chain() {
        let me = std::process::id() as i32;
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        assert!(is_descendant_of_us(child.id() as i32));
        assert_eq!(parent_of(child.id() as i32), Some(me));
        assert!(!is_descendant_of_us(1));
        let _ = child.kill();
        let _ = child.wait();
    }
}
