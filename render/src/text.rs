//! Small phrases every format shares: durations and how a process ended.

use runglass_model::ExitStatus;
use runglass_model::event::signal_name;

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
