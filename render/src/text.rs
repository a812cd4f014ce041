//! Small phrases every format shares: durations, how a process or run ended, a mode change.

use runglass_model::ExitStatus;
use runglass_model::event::signal_name;
use runglass_model::receipt::{FileChange, Outcome};

/// `850 ms`, `2.4 s`, `3 min 05 s`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {:02} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// `exit 0`, `exit 2`, `killed by SIGKILL`.
pub fn exit_text(e: ExitStatus) -> String {
    match e {
        ExitStatus::Code(c) => format!("exit {c}"),
        ExitStatus::Signal { signal, core_dumped } => {
            format!("killed by {}{}", signal_name(signal), if core_dumped { ", core dumped" } else { "" })
        }
    }
}

/// `failed, exit 3`, `interrupted, killed by SIGINT`, `failed to start`: the status, and how
/// the command ended when that was seen.
pub fn outcome(o: &Outcome) -> String {
    match o.exit {
        Some(e) => format!("{}, {}", o.status.as_str(), exit_text(e)),
        None => o.status.as_str().to_string(),
    }
}

/// `mode 644 -> 755` when the change altered the permission bits of a path present before and after.
pub fn mode_change(c: &FileChange) -> Option<String> {
    let (before, after) = (c.before.as_ref()?, c.after.as_ref()?);
    c.mode_changed.then(|| format!("mode {:o} -> {:o}", before.mode, after.mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(2400), "2.4 s");
        assert_eq!(duration(185_000), "3 min 05 s");
    }
}
