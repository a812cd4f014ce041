//! The parts every risk note is made of: the note itself, its evidence (cut short), and
//! how a process is named in it. The rules are in `risk.rs` and `git_risk.rs`.

use runglass_model::receipt::{Actor, Receipt, RiskNote, Severity};
use runglass_model::{ByteString, command_line};

pub(super) fn note(
    id: &str,
    severity: Severity,
    title: &str,
    detail: String,
    evidence: Vec<String>,
    recommendation: &str,
) -> RiskNote {
    RiskNote {
        id: id.to_string(),
        title: title.to_string(),
        detail,
        severity,
        evidence,
        recommendation: recommendation.to_string(),
    }
}

/// Evidence lists stay short; the receipt has the full lists.
const MAX_EVIDENCE: usize = 20;

pub(super) fn capped(mut evidence: Vec<String>) -> Vec<String> {
    if evidence.len() > MAX_EVIDENCE {
        let more = evidence.len() - MAX_EVIDENCE;
        evidence.truncate(MAX_EVIDENCE);
        evidence.push(format!("... and {more} more"));
    }
    evidence
}

/// `pid N (command)` for a process running `argv`.
pub(super) fn running(pid: u32, argv: &[ByteString]) -> String {
    format!("pid {pid} ({})", command_line(argv))
}

/// `pid N (command)` for a process entry of the receipt and the program it ran.
pub(super) fn who(r: &Receipt, pid: u32, process: u32, exec: Option<u32>) -> String {
    format!("pid {pid} ({})", command_line(r.command_of(process, exec)))
}

/// `pid N (command)` for an actor, or nothing.
pub(super) fn actor(r: &Receipt, actor: Option<&Actor>) -> String {
    actor.map(|a| who(r, a.pid, a.process, a.exec)).unwrap_or_default()
}
