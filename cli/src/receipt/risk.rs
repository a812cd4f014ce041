//! Risk notes: the rules that read a finished receipt and say what deserves a look.
//!
//! Each rule is a function from the receipt to at most one note, so a rule is easy to
//! find, test and change. The overall level is the highest severity among the notes.

use std::path::Path;

use runglass_model::receipt::{
    Action, Actor, ChangeKind, FileKind, FileState, Process, PublishedPort, Receipt, Risk, RiskNote, RunStatus,
    Severity, UnixRole,
};
use runglass_model::ByteString;

use super::git_risk;
use super::risk_note::{actor, capped, note, running, who};

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
        dependency_executables(receipt),
        setuid_set(receipt),
        capabilities_set(receipt),
        io_uring(receipt),
        download_executed(receipt),
        package_global_install(receipt),
        secrets_read(receipt, ctx),
        git_risk::hook_changed(receipt),
        git_risk::config_runs_program(receipt),
    ]
    .into_iter()
    .flatten()
    .collect();
    notes.extend(sensitive_writes(receipt, ctx));
    notes.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let level = notes.iter().map(|n| n.severity).max().unwrap_or(Severity::None);
    Risk { level, notes }
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
        .map(|l| {
            format!("{} port {} on {} by {}", l.protocol.as_str(), l.port, l.address, who(r, l.pid, l.process, l.exec))
        })
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

/// One changed path of the receipt, inside the working directory or outside it, as the
/// file rules look at it: its full path, and its states. Paths left as they were
/// (`unchanged`) are not changes.
struct Changed<'a> {
    /// As the receipt names it: relative to the root inside, absolute outside.
    path: &'a ByteString,
    full: Vec<u8>,
    before: Option<&'a FileState>,
    after: Option<&'a FileState>,
    by: &'a [Actor],
}

fn changed(r: &Receipt) -> impl Iterator<Item = Changed<'_>> {
    let inside = r.files.changes.iter().filter(|c| c.change != ChangeKind::Unchanged).map(|c| Changed {
        path: &c.path,
        full: join_root(&r.files.root, &c.path),
        before: c.before.as_ref(),
        after: c.after.as_ref(),
        by: &c.by,
    });
    let outside = r.files.outside.iter().filter(|o| o.change != ChangeKind::Unchanged).map(|o| Changed {
        path: &o.path,
        full: o.path.as_bytes().to_vec(),
        before: o.before.as_ref(),
        after: o.after.as_ref(),
        by: &o.by,
    });
    inside.chain(outside)
}

/// A regular file that can be run now and could not before (a new one, or one made
/// executable).
fn became_executable(c: &Changed) -> Option<u32> {
    let after = c.after.filter(|a| a.kind == FileKind::File && a.mode & 0o111 != 0)?;
    let was_exec = c.before.is_some_and(|b| b.kind == FileKind::File && b.mode & 0o111 != 0);
    (!was_exec).then_some(after.mode)
}

fn executable_created(r: &Receipt) -> Option<RiskNote> {
    let dependency_bins = dependency_bin_dirs(r);
    // git init and clone write their sample hooks executable; they are inert until renamed.
    let sample_hook = |c: &Changed| c.full.ends_with(b".sample") && c.full.windows(12).any(|w| w == b"/.git/hooks/");
    let evidence: Vec<String> = changed(r)
        .filter(|c| !in_any(&c.full, &dependency_bins) && !sample_hook(c))
        .filter_map(|c| became_executable(&c).map(|mode| format!("{} ({mode:o})", c.path.shell_word())))
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

/// The directories whose programs a project's dependencies put on its PATH: every
/// `node_modules/.bin`, and the `bin` of each virtualenv the receipt shows (one holding a
/// `pyvenv.cfg` the command wrote, one a process ran python or pip from, or one named
/// `.venv` or `venv`).
fn dependency_bin_dirs(r: &Receipt) -> Vec<Vec<u8>> {
    let mut venvs: Vec<Vec<u8>> = Vec::new();
    let mut add = |dir: &[u8]| {
        if !venvs.iter().any(|v| v == dir) {
            venvs.push(dir.to_vec());
        }
    };
    for c in changed(r) {
        if let Some(dir) = c.full.strip_suffix(b"/pyvenv.cfg") {
            add(dir);
        }
    }
    for exec in r.processes.iter().flat_map(|p| &p.execs) {
        let path = exec.path.as_bytes();
        let name = file_name(path);
        if (name.starts_with(b"python") || name.starts_with(b"pip"))
            && let Some(bin) = parent(path)
            && let Some(venv) = bin.strip_suffix(b"/bin").filter(|v| !v.is_empty() && !is_system_prefix(v))
        {
            add(venv);
        }
    }
    let mut dirs: Vec<Vec<u8>> = venvs.into_iter().map(|v| [&v[..], b"/bin"].concat()).collect();
    for c in changed(r) {
        for (at, _) in c.full.windows(18).enumerate().filter(|(_, w)| *w == b"/node_modules/.bin") {
            let dir = c.full[..at + 18].to_vec();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        let in_named_venv = c
            .full
            .windows(10)
            .position(|w| w == b"/.venv/bin")
            .or_else(|| c.full.windows(9).position(|w| w == b"/venv/bin"));
        if let Some(at) = in_named_venv {
            let len = if c.full[at..].starts_with(b"/.venv/bin") { 10 } else { 9 };
            let dir = c.full[..at + len].to_vec();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

/// `/usr`, `/usr/local`, `/` and the like: a python there is the system's, not a virtualenv's.
fn is_system_prefix(dir: &[u8]) -> bool {
    matches!(dir, b"/usr" | b"/usr/local" | b"/opt" | b"") || dir.starts_with(b"/usr/lib") || dir == b"/"
}

fn parent(path: &[u8]) -> Option<&[u8]> {
    path.iter().rposition(|&b| b == b'/').map(|at| &path[..at])
}

/// Whether `path` lies directly in one of `dirs`.
fn in_any(path: &[u8], dirs: &[Vec<u8>]) -> bool {
    parent(path).is_some_and(|p| dirs.iter().any(|d| d == p))
}

/// New programs on a project's PATH: what `npx`, npm scripts and an activated virtualenv
/// run by name, so a package can shadow a common command there.
fn dependency_executables(r: &Receipt) -> Option<RiskNote> {
    let dirs = dependency_bin_dirs(r);
    let evidence: Vec<String> = changed(r)
        .filter(|c| in_any(&c.full, &dirs))
        .filter_map(|c| {
            let after = c.after?;
            let new_link = after.kind == FileKind::Symlink && c.before.is_none_or(|b| b.target != after.target);
            match became_executable(&c) {
                Some(mode) => Some(format!("{} ({mode:o})", c.path.shell_word())),
                None if new_link => Some(format!(
                    "{} -> {}",
                    c.path.shell_word(),
                    after.target.as_ref().map(|t| t.shell_word()).unwrap_or_default()
                )),
                None => None,
            }
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "dependency-executables",
            Severity::Medium,
            "New programs in a dependency's bin directory",
            format!(
                "{} program(s) were added to node_modules/.bin or a virtualenv's bin, which npm scripts, npx and an \
                 activated virtualenv run by name.",
                evidence.len()
            ),
            capped(evidence),
            "Check that each program belongs to a package you meant to install; a name like `git` or `node` there \
             shadows the real one.",
        )
    })
}

fn setuid_set(r: &Receipt) -> Option<RiskNote> {
    let evidence: Vec<String> = changed(r)
        .filter_map(|c| {
            let after = c.after.filter(|a| a.mode & 0o6000 != 0)?;
            let before = c.before.map_or(0, |b| b.mode & 0o6000);
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

/// File capabilities (what setcap writes in `security.capability`) given to a file: it has
/// them now, and it did not exist before, had none (where its attributes were read before),
/// or the trace saw an attribute set on it.
fn capabilities_set(r: &Receipt) -> Option<RiskNote> {
    let evidence: Vec<String> = changed(r)
        .filter(|c| c.after.is_some_and(FileState::has_capabilities))
        .filter(|c| match c.before {
            None => true,
            Some(b) => {
                (b.xattrs.is_some() && !b.has_capabilities()) || c.by.iter().any(|a| a.action == Action::SetXattr)
            }
        })
        .map(|c| c.path.shell_word())
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "file-capabilities",
            Severity::High,
            "File capabilities set",
            "A program was given capabilities (security.capability): it runs with root's powers in those areas, \
             whoever starts it."
                .into(),
            capped(evidence),
            "Check with `getcap`; remove them with `setcap -r` unless the program must have them.",
        )
    })
}

/// Processes that set up an io_uring: what they did through it is not in the receipt.
fn io_uring(r: &Receipt) -> Option<RiskNote> {
    let evidence: Vec<String> = r
        .observation
        .io_uring
        .iter()
        .map(|u| format!("{} at {} ms", who(r, u.pid, u.process, u.exec), u.at_ms))
        .collect();
    (!evidence.is_empty()).then(|| {
        note(
            "io-uring",
            Severity::Medium,
            "Work done through io_uring is not in this receipt",
            "A process set up an io_uring: files it opened or wrote and connections it made through the ring pass \
             neither seccomp nor ptrace, so this receipt cannot list them. Changes inside the working directory still \
             show in the snapshots."
                .into(),
            capped(evidence),
            "Treat the file and network lists as incomplete for these processes.",
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
        && !HOME_CACHES.iter().any(|cache| rel.starts_with(cache))
    {
        return Place::HomeDotfile;
    }
    Place::Elsewhere
}

/// Directories under `$HOME` where package managers and build tools keep downloads, caches
/// and logs: written by every install, and configuration of nothing.
const HOME_CACHES: &[&str] = &[
    ".cache/",
    ".npm/_cacache/",
    ".npm/_logs/",
    ".npm/_npx/",
    ".node-gyp/",
    ".yarn/cache/",
    ".yarn/berry/cache/",
    ".pnpm-store/",
    ".local/share/pnpm/store/",
    ".bun/install/cache/",
    ".cargo/registry/",
    ".cargo/git/",
    ".gradle/caches/",
    ".gradle/wrapper/dists/",
    ".m2/repository/",
    ".ivy2/cache/",
    ".nuget/packages/",
    ".composer/cache/",
    ".gem/specs/",
    ".local/share/virtualenv/",
    ".local/state/",
];

/// Writes outside the working directory, one note per kind of place, plus shell startup
/// files changed inside it (a repository of dotfiles).
fn sensitive_writes(r: &Receipt, ctx: &RiskContext) -> Vec<RiskNote> {
    use std::os::unix::ffi::OsStrExt;
    let home = ctx.home.map(|h| h.as_os_str().as_bytes());
    let mut by_place: std::collections::BTreeMap<Place, Vec<String>> = Default::default();
    for o in r.files.outside.iter().filter(|o| o.change != ChangeKind::Unchanged) {
        let actions: Vec<&str> = o.by.iter().map(|a| a.action.as_str()).collect();
        let last = actor(r, o.ended_by());
        by_place.entry(place(o.path.as_bytes(), home)).or_default().push(format!(
            "{} ({}) by {last}",
            o.path.shell_word(),
            dedup(actions).join(", ")
        ));
    }
    // A path made and removed within the run counts only where the place itself matters.
    for t in &r.files.transient {
        let full = if t.inside { join_root(&r.files.root, &t.path) } else { t.path.as_bytes().to_vec() };
        let p = place(&full, home);
        if p.note().1 == Severity::High {
            let last = actor(r, t.by.last());
            by_place
                .entry(p)
                .or_default()
                .push(format!("{} (made and removed again) by {last}", ByteString(full).shell_word()));
        }
    }
    for c in r.files.changes.iter().filter(|c| c.change != ChangeKind::Unchanged) {
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
    use runglass_model::receipt::IoUringUse;

    /// A real deep-mode receipt (the renderers' fixture).
    fn fixture() -> Receipt {
        runglass_model::receipt_json::parse(include_bytes!("../../../render/tests/fixtures/receipt.json")).unwrap()
    }

    fn ids(r: &Receipt) -> Vec<String> {
        assess(r, &RiskContext { home: None }).notes.into_iter().map(|n| n.id).collect()
    }

    #[test]
    fn an_io_uring_is_a_medium_note_naming_the_process_and_time() {
        let mut r = fixture();
        assert!(!ids(&r).contains(&"io-uring".to_string()));
        r.observation.io_uring.push(IoUringUse { pid: r.processes[1].pid, process: 1, exec: None, at_ms: 42 });
        let risk = assess(&r, &RiskContext { home: None });
        let note = risk.notes.iter().find(|n| n.id == "io-uring").expect("an io-uring note");
        assert_eq!(note.severity, Severity::Medium);
        assert!(
            note.evidence[0].contains(&format!("pid {}", r.processes[1].pid)) && note.evidence[0].ends_with("at 42 ms")
        );
    }

    #[test]
    fn capabilities_count_only_where_they_are_new() {
        let mut r = fixture();
        let i = r.files.changes.iter().position(|c| c.before.is_some() && c.after.is_some()).unwrap();
        let caps = Some(vec![ByteString::from("security.capability")]);
        let c = &mut r.files.changes[i];
        c.by.clear();
        c.after.as_mut().unwrap().xattrs = caps.clone();
        c.before.as_mut().unwrap().xattrs = None;
        assert!(!ids(&r).contains(&"file-capabilities".to_string()), "attributes before not read: not claimed new");
        r.files.changes[i].before.as_mut().unwrap().xattrs = Some(Vec::new());
        assert!(ids(&r).contains(&"file-capabilities".to_string()), "none before, some after");
        r.files.changes[i].before.as_mut().unwrap().xattrs = caps;
        assert!(!ids(&r).contains(&"file-capabilities".to_string()), "had them already");
    }

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
        assert!(
            place(b"/home/u/.npm/_cacache/index-v5/28/af/x", home) == Place::Elsewhere,
            "a package cache is not configuration"
        );
        assert!(place(b"/home/u/.npm/_logs/x-debug-0.log", home) == Place::Elsewhere);
        assert!(place(b"/home/u/.npmrc", home) == Place::HomeDotfile);
        assert!(place(b"/home/u/.cargo/config.toml", home) == Place::HomeDotfile);
        assert!(place(b"/home/u/.cargo/registry/cache/x.crate", home) == Place::Elsewhere);
        assert!(place(b"/tmp/x", home) == Place::Elsewhere);
    }
}
