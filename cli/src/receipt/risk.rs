//! Risk notes: the rules that read a finished receipt and say what deserves a look.
//!
//! Each rule is a function from the receipt to at most one note, so a rule is easy to
//! find, test and change. The overall level is the highest severity among the notes.

use std::path::Path;

use runglass_model::receipt::{
    Action, Actor, FileKind, Process, PublishedPort, Receipt, Risk, RiskNote, RunStatus, Severity, UnixRole,
};
use runglass_model::{ByteString, command_line};

/// What the rules need beyond the receipt: whose home directory "~" is.
pub struct RiskContext<'a> {
    pub home: Option<&'a Path>,
}

pub fn assess(receipt: &Receipt, ctx: &RiskContext) -> Risk {
    let mut notes: Vec<RiskNote> = [
        command_failed(receipt),
        wildcard_listen(receipt),
        docker_wildcard_port(receipt),
        engine_socket(receipt),
        executable_created(receipt),
        setuid_set(receipt),
        download_executed(receipt),
        package_global_install(receipt),
        secrets_read(receipt, ctx),
        super::git_risk::hook_changed(receipt),
        super::git_risk::config_runs_program(receipt),
    ]
    .into_iter()
    .flatten()
    .collect();
    notes.extend(sensitive_writes(receipt, ctx));
    notes.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let level = notes.iter().map(|n| n.severity).max().unwrap_or(Severity::None);
    Risk { level, notes }
}

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
fn running(pid: u32, argv: &[ByteString]) -> String {
    format!("pid {pid} ({})", command_line(argv))
}

/// `pid N (command)` for a process entry of the receipt and the program it ran.
fn who(r: &Receipt, pid: u32, process: u32, exec: Option<u32>) -> String {
    format!("pid {pid} ({})", command_line(r.command_of(process, exec)))
}

/// `pid N (command)` for an actor, or nothing.
pub(super) fn actor(r: &Receipt, actor: Option<&Actor>) -> String {
    actor.map(|a| who(r, a.pid, a.process, a.exec)).unwrap_or_default()
}

fn command_failed(r: &Receipt) -> Option<RiskNote> {
    let status = r.outcome.status;
    let (id, severity, title, rec) = match status {
        RunStatus::Completed => return None,
        RunStatus::Failed => (
            "command-failed",
            Severity::Medium,
            "The command failed",
            "Check the output: a failed run may have left changes half done.",
        ),
        RunStatus::Interrupted => (
            "command-interrupted",
            Severity::Medium,
            "The command was interrupted",
            "Changes may be half done; review them or revert.",
        ),
        RunStatus::TimedOut => (
            "command-timed-out",
            Severity::Medium,
            "The command timed out",
            "Changes may be half done; review them or revert.",
        ),
        RunStatus::FailedToStart => (
            "command-not-started",
            Severity::Low,
            "The command did not start",
            "Check the command name and its permissions.",
        ),
    };
    let detail = match (&r.outcome.exit, &r.outcome.message) {
        (_, Some(msg)) => msg.clone(),
        (Some(exit), None) => format!("It {exit}."),
        (None, None) => format!("Its status is {}.", status.as_str()),
    };
    Some(note(id, severity, title, detail, vec![r.command.display.clone()], rec))
}

fn wildcard_listen(r: &Receipt) -> Option<RiskNote> {
    let evidence: Vec<String> = r
        .network
        .listening
        .iter()
        .filter(|l| l.wildcard)
        .map(|l| format!("{} port {} on {} by {}", l.protocol.as_str(), l.port, l.address, who(r, l.pid, l.process, l.exec)))
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "wildcard-listen",
            Severity::Medium,
            "Listening on every network interface",
            "A process listened on 0.0.0.0 or ::, reachable from other machines unless a firewall stops it.".into(),
            capped(evidence),
            "Bind development servers to 127.0.0.1 unless they must be reachable from elsewhere.",
        )
    })
}

/// Docker publishes ports itself (its proxy or NAT rules), so no process of the command
/// listens: the engine's view of the containers is the only place these show.
fn docker_wildcard_port(r: &Receipt) -> Option<RiskNote> {
    let containers = r.docker.iter().flat_map(|d| &d.containers);
    let evidence: Vec<String> = containers
        .filter_map(|c| c.after.as_ref().map(|after| (c, after)))
        .flat_map(|(c, after)| {
            let new = |p: &&PublishedPort| c.before.as_ref().is_none_or(|b| !b.ports.contains(p));
            after.ports.iter().filter(|p| p.wildcard).filter(new).map(move |p| {
                // The engine's strings are untrusted: escaped, as the command's are.
                let esc = |s: &str| ByteString(s.as_bytes().to_vec()).escaped();
                let ip = if p.host_ip.is_empty() { "every address".into() } else { esc(&p.host_ip) };
                let (name, protocol) = (esc(&c.name), esc(&p.protocol));
                format!("container {name}: {ip} port {} -> {}/{protocol}", p.host_port, p.container_port)
            })
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "docker-wildcard-port",
            Severity::Medium,
            "A container port is published on every network interface",
            "A container was given a port on 0.0.0.0 or ::, reachable from other machines; Docker's own rules \
             usually bypass the host firewall."
                .into(),
            capped(evidence),
            "Publish on 127.0.0.1 (`-p 127.0.0.1:PORT:PORT`) unless the port must be reachable from elsewhere.",
        )
    })
}

/// Socket names of container engines: whoever may talk to one can start a privileged
/// container with the host's disk mounted, which is root on this machine.
const ENGINE_SOCKETS: [&[u8]; 3] = [b"docker.sock", b"podman.sock", b"containerd.sock"];

fn engine_socket(r: &Receipt) -> Option<RiskNote> {
    let engine = |path: &[u8]| ENGINE_SOCKETS.contains(&file_name(path));
    let evidence: Vec<String> = r
        .network
        .unix
        .iter()
        .filter(|u| u.role == UnixRole::Connected && engine(u.path.as_bytes()))
        .map(|u| format!("{} by {}", u.path.shell_word(), who(r, u.pid, u.process, u.exec)))
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "docker-socket",
            Severity::Medium,
            "Talked to a container engine's socket",
            "A process connected to the socket of Docker (or Podman, containerd). The engine does what it is asked \
             as root: run any container, with any host directory mounted."
                .into(),
            capped(evidence),
            "Check that the command was meant to drive containers; the Docker section lists what changed in the engine.",
        )
    })
}

fn executable_created(r: &Receipt) -> Option<RiskNote> {
    let evidence: Vec<String> = r
        .files
        .changes
        .iter()
        .filter_map(|c| {
            let after = c.after.as_ref().filter(|a| a.kind == FileKind::File && a.mode & 0o111 != 0)?;
            let was_exec = c.before.as_ref().is_some_and(|b| b.kind == FileKind::File && b.mode & 0o111 != 0);
            (!was_exec).then(|| format!("{} ({:o})", c.path.shell_word(), after.mode))
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "executable-created",
            Severity::Low,
            "Executable files created or made executable",
            format!("{} file(s) can now be run as programs.", evidence.len()),
            capped(evidence),
            "Make sure you know what these programs are before running them.",
        )
    })
}

fn setuid_set(r: &Receipt) -> Option<RiskNote> {
    let evidence: Vec<String> = r
        .files
        .changes
        .iter()
        .filter_map(|c| {
            let after = c.after.as_ref().filter(|a| a.mode & 0o6000 != 0)?;
            let before = c.before.as_ref().map_or(0, |b| b.mode & 0o6000);
            (after.mode & 0o6000 & !before != 0).then(|| format!("{} ({:o})", c.path.shell_word(), after.mode))
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "setuid-setgid",
            Severity::High,
            "setuid or setgid bits set",
            "A program that runs with its owner's or group's privileges was made.".into(),
            capped(evidence),
            "Remove the bits (chmod u-s,g-s) unless the program must have them.",
        )
    })
}

fn base_name(argv: &[ByteString]) -> &[u8] {
    file_name(argv.first().map(ByteString::as_bytes).unwrap_or_default())
}

/// The last component of a path.
fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

const DOWNLOADERS: [&[u8]; 4] = [b"curl", b"wget", b"fetch", b"aria2c"];
const SHELLS: [&[u8]; 7] = [b"sh", b"bash", b"dash", b"zsh", b"ksh", b"fish", b"busybox"];

/// A downloaded file that was later run, or a download piped into a shell.
fn download_executed(r: &Receipt) -> Option<RiskNote> {
    let mut evidence = Vec::new();
    let downloaders: Vec<&Process> = r.processes.iter().filter(|p| DOWNLOADERS.contains(&base_name(&p.argv))).collect();
    // curl ... | sh: a shell reading its script from stdin, next to a downloader.
    for sh in r.processes.iter().filter(|p| SHELLS.contains(&base_name(&p.argv))) {
        let reads_stdin = sh.argv[1..].iter().all(|a| a.as_bytes().starts_with(b"-") && a.as_bytes() != b"-c");
        if !reads_stdin || sh.parent.is_none() {
            continue;
        }
        if let Some(d) = downloaders.iter().find(|d| d.parent == sh.parent) {
            evidence.push(format!("{} piped into {}", running(d.pid, &d.argv), running(sh.pid, &sh.argv)));
        }
    }
    // A file a downloader wrote (deep mode) that some process then exec'd.
    let written_by_downloader = |path: &[u8]| {
        let by = r.files.changes.iter().find(|c| join_root(&r.files.root, &c.path) == path).map(|c| &c.by);
        let outside = r.files.outside.iter().find(|o| o.path.as_bytes() == path).map(|o| &o.by);
        by.into_iter().chain(outside).flatten().any(|a| {
            matches!(a.action, Action::Created | Action::Truncated | Action::Wrote | Action::RenamedTo)
                && DOWNLOADERS.contains(&base_name(r.command_of(a.process, a.exec)))
        })
    };
    for p in &r.processes {
        for exec in &p.execs {
            if written_by_downloader(exec.path.as_bytes()) {
                evidence.push(format!(
                    "{} ran {}, which a downloader wrote",
                    running(p.pid, &exec.argv),
                    exec.path.shell_word()
                ));
            }
        }
    }
    (!evidence.is_empty()).then(|| {
        note(
            "download-executed",
            Severity::High,
            "Downloaded code was run",
            "Code fetched from the network was executed without being kept for review first.".into(),
            capped(evidence),
            "Download to a file, read or verify it (checksum, signature), then run it.",
        )
    })
}

fn join_root(root: &ByteString, rel: &ByteString) -> Vec<u8> {
    let mut p = root.as_bytes().to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(rel.as_bytes());
    p
}

/// Installs that change the whole machine or user account rather than the project.
fn package_global_install(r: &Receipt) -> Option<RiskNote> {
    let has = |argv: &[ByteString], word: &str| argv.iter().any(|a| a.as_bytes() == word.as_bytes());
    let evidence: Vec<String> = r
        .processes
        .iter()
        .filter(|p| {
            let a = &p.argv;
            let tool = base_name(a);
            let installs = has(a, "install") || has(a, "i") || has(a, "add");
            match tool {
                b"npm" | b"pnpm" => installs && (has(a, "-g") || has(a, "--global")),
                b"yarn" => has(a, "global") && has(a, "add"),
                b"pip" | b"pip3" => {
                    has(a, "install") && !has(a, "--user") && !has(a, "--target") && !has(a, "-t") && !in_venv(p)
                }
                b"gem" => has(a, "install") && !has(a, "--user-install"),
                b"apt" | b"apt-get" | b"dnf" | b"yum" | b"apk" | b"pacman" | b"zypper" => {
                    has(a, "install") || has(a, "add") || has(a, "-S")
                }
                b"dpkg" => has(a, "-i") || has(a, "--install"),
                b"cargo" | b"go" => has(a, "install"),
                b"brew" => has(a, "install"),
                _ => false,
            }
        })
        .map(|p| running(p.pid, &p.argv))
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "package-global-install",
            Severity::Medium,
            "Packages installed outside the project",
            "A package manager installed into the system or the user's account, not into the project.".into(),
            capped(evidence),
            "Prefer project-local installs (a virtualenv, node_modules, a lock file) so the change is reviewable and reversible.",
        )
    })
}

/// pip run from a virtualenv installs into it, which is local.
fn in_venv(p: &Process) -> bool {
    p.exe.as_ref().is_some_and(|e| {
        let e = e.as_bytes();
        e.windows(5).any(|w| w == b"venv/") || e.windows(9).any(|w| w == b"/.venv/bin")
    })
}

/// What a path outside the working directory is, for the notes about writes there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Ssh,
    ShellStartup,
    Crontab,
    SystemdUnit,
    Sudoers,
    Etc,
    System,
    HomeDotfile,
    Elsewhere,
}

impl Place {
    fn note(self) -> (&'static str, Severity, &'static str, &'static str) {
        match self {
            Place::Ssh => (
                "ssh-changed",
                Severity::High,
                "SSH configuration or keys changed",
                "Check ~/.ssh: authorized_keys and config decide who and what can log in.",
            ),
            Place::ShellStartup => (
                "shell-startup-changed",
                Severity::High,
                "Shell startup files changed",
                "Read the change: anything added there runs in every new shell.",
            ),
            Place::Crontab => (
                "crontab-changed",
                Severity::High,
                "Scheduled jobs changed",
                "Check the crontab: jobs there run unattended.",
            ),
            Place::SystemdUnit => (
                "systemd-unit-changed",
                Severity::High,
                "systemd units changed",
                "Check the unit: services run at boot or login.",
            ),
            Place::Sudoers => (
                "sudoers-changed",
                Severity::High,
                "sudo rules changed",
                "Check /etc/sudoers and /etc/sudoers.d: they grant root.",
            ),
            Place::Etc => (
                "etc-changed",
                Severity::High,
                "System configuration in /etc changed",
                "Review each change; revert what the command should not have touched.",
            ),
            Place::System => (
                "system-files-changed",
                Severity::Medium,
                "System directories changed",
                "Software was installed or changed outside the project (/usr, /opt, /var).",
            ),
            Place::HomeDotfile => (
                "home-config-changed",
                Severity::Medium,
                "Configuration in the home directory changed",
                "Review the change: settings there affect every program you run.",
            ),
            Place::Elsewhere => (
                "writes-outside-cwd",
                Severity::Low,
                "Files changed outside the working directory",
                "Check that these writes were expected.",
            ),
        }
    }
}

const SHELL_STARTUP: [&str; 12] = [
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".kshrc",
    ".cshrc",
    ".tcshrc",
];

fn place(path: &[u8], home: Option<&[u8]>) -> Place {
    let p = String::from_utf8_lossy(path);
    let in_home =
        home.and_then(|h| super::file_actions::relative(path, h)).map(|r| String::from_utf8_lossy(r).into_owned());
    if let Some(rel) = &in_home {
        if rel.starts_with(".ssh/") {
            return Place::Ssh;
        }
        if SHELL_STARTUP.contains(&rel.as_str())
            || rel == ".config/fish/config.fish"
            || rel.starts_with(".config/fish/conf.d/")
        {
            return Place::ShellStartup;
        }
        if rel.starts_with(".config/systemd/") || rel.starts_with(".local/share/systemd/") {
            return Place::SystemdUnit;
        }
    }
    if p == "/etc/profile"
        || p.starts_with("/etc/profile.d/")
        || p == "/etc/bash.bashrc"
        || p.starts_with("/etc/zsh/")
        || p == "/etc/environment"
    {
        return Place::ShellStartup;
    }
    if p.starts_with("/var/spool/cron/") || p == "/etc/crontab" || p.starts_with("/etc/cron.") {
        return Place::Crontab;
    }
    if p.starts_with("/etc/systemd/")
        || p.starts_with("/lib/systemd/system/")
        || p.starts_with("/usr/lib/systemd/")
        || p.starts_with("/run/systemd/system/")
    {
        return Place::SystemdUnit;
    }
    if p == "/etc/sudoers" || p.starts_with("/etc/sudoers.d/") {
        return Place::Sudoers;
    }
    if p.starts_with("/root/.ssh/") {
        return Place::Ssh;
    }
    if p.starts_with("/etc/") {
        return Place::Etc;
    }
    let temp = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/"];
    if temp.iter().any(|t| p.starts_with(t)) {
        return Place::Elsewhere;
    }
    if ["/usr/", "/opt/", "/var/", "/boot/", "/lib", "/bin/", "/sbin/", "/srv/"].iter().any(|t| p.starts_with(t)) {
        return Place::System;
    }
    if let Some(rel) = &in_home
        && rel.starts_with('.')
        && !rel.starts_with(".cache/")
    {
        return Place::HomeDotfile;
    }
    Place::Elsewhere
}

/// Writes outside the working directory, one note per kind of place, plus shell startup
/// files changed inside it (a repository of dotfiles).
fn sensitive_writes(r: &Receipt, ctx: &RiskContext) -> Vec<RiskNote> {
    use std::os::unix::ffi::OsStrExt;
    let home = ctx.home.map(|h| h.as_os_str().as_bytes());
    let mut by_place: std::collections::BTreeMap<Place, Vec<String>> = Default::default();
    for o in &r.files.outside {
        let actions: Vec<&str> = o.by.iter().map(|a| a.action.as_str()).collect();
        let last = actor(r, o.ended_by());
        by_place.entry(place(o.path.as_bytes(), home)).or_default().push(format!(
            "{} ({}) by {last}",
            o.path.shell_word(),
            dedup(actions).join(", ")
        ));
    }
    for c in &r.files.changes {
        let full = join_root(&r.files.root, &c.path);
        let p = place(&full, home);
        if matches!(p, Place::ShellStartup | Place::Ssh) {
            by_place.entry(p).or_default().push(format!("{} ({})", ByteString(full).shell_word(), c.change.as_str()));
        }
    }
    by_place
        .into_iter()
        .map(|(p, evidence)| {
            let (id, severity, title, rec) = p.note();
            let detail = format!("{} path(s) changed.", evidence.len());
            note(id, severity, title, detail, capped(evidence), rec)
        })
        .collect()
}

fn dedup(mut v: Vec<&str>) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(*x));
    v
}

/// Reads of credentials (deep mode with --reads).
fn secrets_read(r: &Receipt, ctx: &RiskContext) -> Option<RiskNote> {
    use std::os::unix::ffi::OsStrExt;
    let home = ctx.home.map(|h| h.as_os_str().as_bytes());
    let secret = |path: &[u8]| -> bool {
        let p = String::from_utf8_lossy(path);
        let name = p.rsplit('/').next().unwrap_or_default();
        if name == ".env" || (name.starts_with(".env.") && !name.ends_with(".example") && !name.ends_with(".sample")) {
            return true;
        }
        let rel =
            home.and_then(|h| super::file_actions::relative(path, h)).map(|r| String::from_utf8_lossy(r).into_owned());
        let rel = rel.as_deref().or_else(|| p.strip_prefix("/root/")).unwrap_or_default();
        (rel.starts_with(".ssh/") && !rel.ends_with(".pub") && rel != ".ssh/known_hosts" && rel != ".ssh/config")
            || [
                ".aws/credentials",
                ".aws/config",
                ".netrc",
                ".git-credentials",
                ".pypirc",
                ".npmrc",
                ".kube/config",
                ".docker/config.json",
            ]
            .contains(&rel)
            || rel.starts_with(".config/gcloud/")
            || rel.starts_with(".azure/")
            || rel.starts_with(".gnupg/private-keys")
            || rel == ".config/gh/hosts.yml"
    };
    let evidence: Vec<String> = r
        .files
        .reads
        .iter()
        .filter(|f| secret(f.path.as_bytes()))
        .map(|f| {
            let by = actor(r, f.by.last());
            format!("{} read by {by}", f.path.shell_word())
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "secrets-read",
            Severity::High,
            "Credentials were read",
            "The command read files that hold keys, tokens or passwords.".into(),
            capped(evidence),
            "Make sure the command needed them; rotate them if it was not trusted.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_outside_the_working_directory() {
        let home = Some(&b"/home/u"[..]);
        assert!(place(b"/home/u/.ssh/authorized_keys", home) == Place::Ssh);
        assert!(place(b"/home/u/.bashrc", home) == Place::ShellStartup);
        assert!(place(b"/etc/profile.d/x.sh", home) == Place::ShellStartup);
        assert!(place(b"/var/spool/cron/crontabs/u", home) == Place::Crontab);
        assert!(place(b"/etc/systemd/system/x.service", home) == Place::SystemdUnit);
        assert!(place(b"/etc/sudoers.d/x", home) == Place::Sudoers);
        assert!(place(b"/etc/hosts", home) == Place::Etc);
        assert!(place(b"/usr/local/bin/tool", home) == Place::System);
        assert!(place(b"/home/u/.gitconfig", home) == Place::HomeDotfile);
        assert!(place(b"/home/u/.cache/pip/x", home) == Place::Elsewhere);
        assert!(place(b"/tmp/x", home) == Place::Elsewhere);
    }
}
