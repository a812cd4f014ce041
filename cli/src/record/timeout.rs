//! `--timeout`: ending a command that runs too long, TERM first, then KILL, and the
//! duration syntax of the flag.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long the command has to exit after SIGTERM before SIGKILL.
pub const KILL_AFTER: Duration = Duration::from_secs(5);

/// Parses `90`, `90s`, `1500ms`, `2m`, `1h`, `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("{text:?} is not a duration; write it like 30s, 1500ms, 5m or 1h"))?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?} has an unknown unit {unit:?}; use ms, s, m or h")),
    };
    if !(secs > 0.0 && secs < 1e9) {
        return Err(format!("{text:?}: the timeout must be more than zero"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Ends the command's tree when the limit passes, unless disarmed first.
pub struct Watchdog {
    stop: Sender<()>,
    thread: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    /// Starts the clock; the root's pid arrives on `root` once it exists.
    pub fn start(limit: Duration, root: Receiver<Option<i32>>) -> std::io::Result<Watchdog> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let thread = std::thread::Builder::new().name("timeout".into()).spawn(move || {
            let Ok(Some(pid)) = root.recv() else { return false };
            if stopped.recv_timeout(limit) != Err(RecvTimeoutError::Timeout) {
                return false;
            }
            eprintln!("runglass: timed out after {}; sending SIGTERM to the command", show(limit));
            signal_tree(pid, Signal::SIGTERM);
            if stopped.recv_timeout(KILL_AFTER) == Err(RecvTimeoutError::Timeout) {
                eprintln!("runglass: still running {} after SIGTERM; sending SIGKILL", show(KILL_AFTER));
                signal_tree(pid, Signal::SIGKILL);
            }
            true
        })?;
        Ok(Watchdog { stop, thread })
    }

    /// Stops the clock (the command has ended); returns whether it had fired.
    pub fn disarm(self) -> bool {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or(false)
    }
}

fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

/// Signals the root, then every descendant. The root goes first: a shell whose child was
/// killed before it would carry on with its next line. The descendants are listed before
/// the root dies, while the parent links still lead to them.
fn signal_tree(root: i32, sig: Signal) {
    let below = descendants(root);
    for pid in std::iter::once(root).chain(below) {
        let _ = kill(Pid::from_raw(pid), sig);
    }
}

/// All processes below `root`, from one scan of /proc's parent links.
pub fn descendants(root: i32) -> Vec<i32> {
    let Ok(all) = procfs::process::all_processes() else { return Vec::new() };
    let links: Vec<(i32, i32)> = all.flatten().filter_map(|p| p.stat().ok().map(|s| (s.pid, s.ppid))).collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(links.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    found.remove(0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1500ms").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("0").unwrap_err().contains("more than zero"));
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn descendants_include_grandchildren() {
        let mut child = std::process::Command::new("sh").args(["-c", "sleep 5 & wait"]).spawn().unwrap();
        let pid = child.id() as i32;
        let mut found = Vec::new();
        for _ in 0..100 {
            found = descendants(pid);
            if !found.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(found.len(), 1, "the sleep under the shell: {found:?}");
        signal_tree(pid, Signal::SIGKILL);
        let _ = child.wait();
    }
}
