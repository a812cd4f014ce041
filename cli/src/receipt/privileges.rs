//! setuid, setgid and file-capability programs that ran without their privileges because
//! they were traced: the receipt's `observation.privileges_dropped` and a limit for each.

use runglass_model::capability::{capability_names, privileges_text};
use runglass_model::receipt::{DroppedPrivileges, Process};
use runglass_model::{Event, EventKind, command_line};

use super::processes::Who;

/// At most this many programs are named one by one in the limits; all are in
/// `observation.privileges_dropped`.
const MAX_LIMITS: usize = 10;

/// The entry for a `privileges_dropped` event of the process `who` (the exec it follows).
pub fn entry(event: &Event, who: Who, at_ms: u64) -> Option<DroppedPrivileges> {
    let EventKind::PrivilegesDropped { path, setuid, setgid, capabilities, euid, egid } = &event.kind else {
        return None;
    };
    Some(DroppedPrivileges {
        pid: who.pid,
        process: who.process,
        exec: who.exec,
        at_ms,
        path: path.clone(),
        setuid: *setuid,
        setgid: *setgid,
        capabilities: capability_names(*capabilities),
        euid: *euid,
        egid: *egid,
    })
}

/// What the program did not get: `setuid to uid 0, capabilities cap_net_raw`.
pub fn what(d: &DroppedPrivileges) -> String {
    privileges_text(d.setuid, d.setgid, &d.capabilities)
}

/// One sentence per program that ran without its privileges, naming the process, the
/// program and what it did not get.
pub fn limits(dropped: &[DroppedPrivileges], processes: &[Process]) -> Vec<String> {
    let mut limits: Vec<String> = dropped
        .iter()
        .take(MAX_LIMITS)
        .map(|d| {
            let argv = processes
                .get(d.process as usize)
                .and_then(|p| d.exec.and_then(|e| p.execs.get(e as usize)))
                .map(|e| command_line(&e.argv))
                .unwrap_or_default();
            let exec = d.exec.map_or("-".to_string(), |e| e.to_string());
            format!(
                "pid {} (process {}, exec {exec}: {argv}) ran {} without its privileges ({}): a traced program does \
                 not get them unless runglass runs as root, so it ran as uid {} gid {} and may have failed or acted \
                 otherwise than untraced.",
                d.pid,
                d.process,
                d.path.escaped(),
                what(d),
                d.euid,
                d.egid
            )
        })
        .collect();
    if dropped.len() > MAX_LIMITS {
        limits.push(format!(
            "{} more programs ran without their privileges; they are listed in observation.privileges_dropped.",
            dropped.len() - MAX_LIMITS
        ));
    }
    limits
}
