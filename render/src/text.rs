//! Small phrases every format shares: durations, sizes, how a process or run ended, a
//! mode change, what a path outside the working directory was and is, and long command
//! lines cut to fit one line, the CI build, a DNS lookup's answer, a peer with its name.

use runglass_model::ExitStatus;
use runglass_model::event::signal_name;
use runglass_model::receipt::{
    ChangeKind, CiBuild, FileChange, FileKind, FileState, Lookup, LookupStatus, Outcome, OutsideChange, Peer, Process,
};
use runglass_model::{ByteString, command_line};

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

/// `2 created, 1 modified, 0 deleted`, and type changes when there are some.
pub fn kind_counts(kinds: impl Iterator<Item = ChangeKind>) -> String {
    let kinds: Vec<ChangeKind> = kinds.collect();
    let count = |k| kinds.iter().filter(|&&c| c == k).count();
    let typed = match count(ChangeKind::TypeChanged) {
        0 => String::new(),
        n => format!(", {n} changed type"),
    };
    format!(
        "{} created, {} modified, {} deleted{typed}",
        count(ChangeKind::Created),
        count(ChangeKind::Modified),
        count(ChangeKind::Deleted)
    )
}

/// What changed besides the content, for one line: `mode 644 -> 755`, `owner 1000:1000 ->
/// 0:0`, `xattrs +security.capability`.
pub fn metadata_changes(c: &FileChange) -> Vec<String> {
    metadata_diff(c.before.as_ref(), c.after.as_ref(), c.mode_changed, c.owner_changed, c.xattrs_changed)
}

/// [`metadata_changes`] for a path outside the working directory.
pub fn outside_metadata_changes(c: &OutsideChange) -> Vec<String> {
    metadata_diff(c.before.as_ref(), c.after.as_ref(), c.mode_changed, c.owner_changed, c.xattrs_changed)
}

fn metadata_diff(
    before: Option<&FileState>,
    after: Option<&FileState>,
    mode: bool,
    owner: bool,
    xattrs: bool,
) -> Vec<String> {
    let (Some(b), Some(a)) = (before, after) else { return Vec::new() };
    let mut out = Vec::new();
    if mode {
        out.push(format!("mode {:o} -> {:o}", b.mode, a.mode));
    }
    if owner {
        let id = |v: Option<u32>| v.map_or("?".to_string(), |v| v.to_string());
        out.push(format!("owner {}:{} -> {}:{}", id(b.uid), id(b.gid), id(a.uid), id(a.gid)));
    }
    if xattrs {
        let (old, new) = (b.xattrs.as_deref().unwrap_or_default(), a.xattrs.as_deref().unwrap_or_default());
        let added = new.iter().filter(|x| !old.contains(x)).map(|x| format!("+{}", x.escaped()));
        let removed = old.iter().filter(|x| !new.contains(x)).map(|x| format!("-{}", x.escaped()));
        let names: Vec<String> = added.chain(removed).collect();
        out.push(if names.is_empty() { "xattrs changed".to_string() } else { format!("xattrs {}", names.join(" ")) });
    }
    out
}

/// `file, 12 B, mode 644`, `symlink to ../x`, `directory, mode 755`: one path's state.
/// A symlink's target is escaped for a terminal.
pub fn file_state(s: &FileState) -> String {
    match s.kind {
        FileKind::File => {
            let over = if s.capped { ", over the cap" } else { "" };
            format!("file, {}, mode {:o}{over}", size(s.size), s.mode)
        }
        FileKind::Dir => format!("directory, mode {:o}", s.mode),
        FileKind::Symlink => match &s.target {
            Some(target) => format!("symlink to {}", target.escaped()),
            None => "symlink".to_string(),
        },
        FileKind::Other => "fifo, socket or device".to_string(),
    }
}

/// What a path outside the working directory was before the command: its state (and
/// whether its content was kept for revert), `absent`, or `not captured` when the trace
/// took no before-state.
pub fn outside_before(c: &OutsideChange) -> String {
    let through = if c.followed { " (through the symlink)" } else { "" };
    match (&c.before, c.captured) {
        (_, false) => "not captured".to_string(),
        (None, true) => "absent".to_string(),
        (Some(s), true) if s.stored => format!("{}{through}, content kept", file_state(s)),
        (Some(s), true) => format!("{}{through}", file_state(s)),
    }
}

/// What a path outside the working directory is after the command: its state, or, where
/// none was taken, whether it exists.
pub fn outside_after(c: &OutsideChange) -> String {
    match &c.after {
        Some(s) => file_state(s),
        None if c.exists_after => "exists".to_string(),
        None => "gone".to_string(),
    }
}

/// `6 B`, `1.5 KiB`, `10.0 MiB`: byte counts people compare at a glance.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The line as is when it has at most `max` characters, otherwise its first `max - 1`
/// and an ellipsis, so one long argv cannot push a summary line off the screen.
pub fn shorten(line: &str, max: usize) -> String {
    match line.char_indices().nth(max) {
        None => line.to_string(),
        Some(_) => {
            let cut = line.char_indices().nth(max.saturating_sub(1)).map_or(line.len(), |(i, _)| i);
            format!("{}…", &line[..cut])
        }
    }
}

/// A command line cut to `max` characters.
pub fn short_command(argv: &[ByteString], max: usize) -> String {
    shorten(&command_line(argv), max)
}

/// What a process ran: its program, or the first and last of its execs (a chain of
/// wrappers between them, like pyenv's seven execs, would only make the line unreadable).
pub fn exec_chain(p: &Process, max: usize) -> String {
    match p.execs.as_slice() {
        [] if p.argv.is_empty() => "(not seen running a program)".into(),
        [] => format!("{} (forked, no exec)", short_command(&p.argv, max)),
        [_] => short_command(&p.argv, max),
        [first, last] => format!("{} => {}", short_command(&first.argv, max), short_command(&last.argv, max)),
        [first, middle @ .., last] => format!(
            "{} => ({} more) => {}",
            short_command(&first.argv, max),
            middle.len(),
            short_command(&last.argv, max)
        ),
    }
}

/// `exit 0`, `killed by SIGTERM`, `still running`, `ended`, `end not seen`.
pub fn process_end(p: &Process) -> String {
    match (p.exit, p.outlived_command, p.ended_ms) {
        (Some(e), _, _) => exit_text(e),
        (None, true, _) => "still running".into(),
        (None, false, Some(_)) => "ended".into(),
        (None, false, None) => "end not seen".into(),
    }
}

/// `127.0.0.21 127.0.0.22`, `no such name`, `no addresses`, `server failure (rcode 2)`.
pub fn lookup_answer(l: &Lookup) -> String {
    match &l.status {
        LookupStatus::Answered if l.addresses.is_empty() => "no addresses".to_string(),
        LookupStatus::Answered => l.addresses.join(" "),
        LookupStatus::NoSuchName => "no such name".to_string(),
        LookupStatus::Failed { rcode } => format!("{} (rcode {rcode})", rcode_name(*rcode)),
    }
}

/// RFC 1035 / 6895 names of the usual DNS error codes.
fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        1 => "format error",
        2 => "server failure",
        4 => "not implemented",
        5 => "refused",
        _ => "error",
    }
}

/// `127.0.0.1:80`, `[::1]:80`.
pub fn socket_address(address: &str, port: u16) -> String {
    if address.contains(':') { format!("[{address}]:{port}") } else { format!("{address}:{port}") }
}

/// `registry.example.org:443 (93.184.216.34)` when the peer's name is known, else the
/// address and port.
pub fn named_peer(p: &Peer) -> String {
    match &p.host {
        Some(host) => format!("{host}:{} ({})", p.port, p.address),
        None => socket_address(&p.address, p.port),
    }
}

/// `GitHub Actions, owner/name, pull request #12, commit 0123456789ab` (what is known of it).
/// The names come from the CI's environment: control characters are shown escaped.
pub fn ci_build(ci: &CiBuild) -> String {
    let shown = |s: &str| ByteString(s.as_bytes().to_vec()).escaped();
    let mut parts = vec![ci.provider.title().to_string()];
    parts.extend(ci.repository.as_deref().map(shown));
    parts.extend(ci.pull_request.map(|n| format!("pull request #{n}")));
    parts.extend(ci.commit.as_deref().map(|c| format!("commit {}", shown(c.get(..12).unwrap_or(c)))));
    parts.join(", ")
}

/// The CI run's page, when it is a web address a reader can follow (http or https, with no
/// spaces or control characters).
pub fn ci_run_url(ci: &CiBuild) -> Option<&str> {
    let clean = |u: &&str| !u.chars().any(|c| c.is_control() || c.is_whitespace());
    ci.run_url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")).filter(clean)
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

    #[test]
    fn sizes_use_binary_units_past_a_kibibyte() {
        assert_eq!(size(6), "6 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(10 * 1024 * 1024), "10.0 MiB");
    }

    #[test]
    fn outside_states_say_what_was_there_and_whether_revert_has_it() {
        let file = FileState {
            kind: FileKind::File,
            size: 12,
            mode: 0o644,
            mtime_ns: 0,
            blake3: Some("ab".repeat(32)),
            target: None,
            capped: false,
            stored: true,
            gid: None,
            uid: None,
            xattrs: None,
        };
        let link = FileState { kind: FileKind::Symlink, target: Some("x\ny".into()), stored: false, ..file.clone() };
        let mut c = OutsideChange {
            path: "/h/.bashrc".into(),
            by: vec![],
            exists_after: true,
            captured: true,
            before: Some(file.clone()),
            after: Some(link),
            followed: false,
            change: ChangeKind::Modified,
            content_changed: true,
            mode_changed: false,
            owner_changed: false,
            xattrs_changed: false,
        };
        assert_eq!(outside_before(&c), "file, 12 B, mode 644, content kept");
        assert_eq!(outside_after(&c), "symlink to x\\ny");
        c.followed = true;
        assert_eq!(outside_before(&c), "file, 12 B, mode 644 (through the symlink), content kept");
        c.before = None;
        c.after = None;
        assert_eq!((outside_before(&c), outside_after(&c)), ("absent".to_string(), "exists".to_string()));
        c.captured = false;
        c.exists_after = false;
        assert_eq!((outside_before(&c), outside_after(&c)), ("not captured".to_string(), "gone".to_string()));
    }

    #[test]
    fn shorten_keeps_short_lines_and_cuts_long_ones_on_characters() {
        assert_eq!(shorten("ls -l", 5), "ls -l");
        assert_eq!(shorten("échoué", 4), "éch…");
    }
}
