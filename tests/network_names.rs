//! Host names next to addresses (issue 8), end to end. Programs resolve names through
//! glibc against a DNS responder of the test's own (tests/common/dns_server.rs), inside a
//! private mount namespace whose /etc/resolv.conf, hosts and nsswitch.conf lead to it,
//! then reach loopback peers the test serves; the receipt must say which name each
//! address was found by, and how.
//!
//! Names: `api.rg.test` (DNS, 127.0.0.21, a TCP listener), `udp.rg.test` (DNS,
//! 127.0.0.22, a UDP reader), `refused.rg.test` (DNS, 127.0.0.23, nothing listens),
//! `hosts-only.rg.test` (only in the hosts file, 127.0.0.24, a TCP listener),
//! `missing.rg.test` (NXDOMAIN) and `evil.rg.test` (a malformed answer). Each test has its
//! own responder address (127.0.53.N) and its own ports, so they run in parallel. Where
//! mount namespaces are refused, each test prints `SKIP network_names: ...` and passes.

#[path = "common/mod.rs"]
mod common;

use std::ffi::OsStr;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::dns_server::{DnsServer, HOSTILE_ADDRESS, Query};
use common::{command_of, latest_json, runglass, stderr};
use serde_json::{Value, json};

/// A real executable, not a version manager's shim script, so that argv is what we ran.
const PYTHON: &str = "/usr/bin/python3";

const API: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 21);
const UDP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 22);
const REFUSED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 23);
const HOSTS_ONLY: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 24);

/// Sets the private files over /etc's, then runs the command. A missing file, or a
/// symlink leading nowhere, cannot be mounted over: an empty one is created where it leads
/// (glibc reads an empty file as a missing one). A running nscd would answer lookups from
/// its cache instead of these files: its socket directory is hidden.
const SETUP: &str = r#"set -e
files=$1
shift
for f in resolv.conf hosts nsswitch.conf; do
  [ -e "/etc/$f" ] || { mkdir -p "$(dirname "$(readlink -m "/etc/$f")")"; : >> "/etc/$f"; }
  mount --bind "$files/$f" "/etc/$f"
done
[ ! -d /run/nscd ] || mount -t tmpfs none /run/nscd
exec "$@"
"#;

/// The Python side: one network action per run, its pid printed first.
const NET_PY: &str = r#"import os, socket, sys

print(os.getpid(), flush=True)
action = sys.argv[1]
if action == "connect":
    # Family 0 asks for A and AAAA; one socket type gives one result, which keeps glibc
    # from probing each result with a UDP connect to sort them.
    family, kind, proto, _, address = socket.getaddrinfo(sys.argv[2], int(sys.argv[3]), type=socket.SOCK_STREAM)[0]
    s = socket.socket(family, kind, proto)
    s.connect(address)
    print("connected", address[0], flush=True)
elif action == "unix":
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[2])
    print("connected", flush=True)
elif action == "listen-tcp":
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    s.listen()
    print("listening", s.getsockname()[1], flush=True)
elif action == "bind-udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    print("bound", s.getsockname()[1], flush=True)
else:
    sys.exit("net.py: unknown action " + action)
s.close()
"#;

/// Sets the script's variables from the positional parameters [`Harness::run`] passes,
/// so that no path has to be quoted into the script.
const SCRIPT_VARS: &str = "rc=$1 py=$2 net=$3 sock=$4\n";

// ------------------------------------------------------------------ the harness

/// One test's responder, private /etc files and peers.
struct Harness {
    dns: DnsServer,
    peers: Peers,
    /// resolv.conf, hosts, nsswitch.conf and net.py.
    files: tempfile::TempDir,
}

impl Harness {
    /// Starts everything with the responder on `dns_address`:53; None, after a `SKIP` line
    /// on stderr, where this machine refuses mount namespaces or port 53.
    fn start(dns_address: Ipv4Addr) -> Option<Harness> {
        let probe = Command::new("unshare").args(["--mount", "true"]).output();
        if let Some(why) = match &probe {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!("unshare --mount: {}", stderr(out).trim())),
            Err(e) => Some(format!("running unshare: {e}")),
        } {
            eprintln!("SKIP network_names: no private mount namespace ({why})");
            return None;
        }
        let names: [(&str, &[Ipv4Addr]); 3] =
            [("api.rg.test", &[API]), ("udp.rg.test", &[UDP]), ("refused.rg.test", &[REFUSED])];
        let dns = match DnsServer::start(dns_address, &names, "evil.rg.test") {
            Ok(dns) => dns,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                eprintln!("SKIP network_names: cannot serve DNS on {dns_address}:53 ({e})");
                return None;
            }
            Err(e) => panic!("starting the DNS responder on {dns_address}:53: {e}"),
        };
        let files = tempfile::tempdir().unwrap();
        let write = |name: &str, content: &str| std::fs::write(files.path().join(name), content).unwrap();
        write("resolv.conf", &format!("nameserver {dns_address}\noptions attempts:1 timeout:1\n"));
        write("hosts", &format!("127.0.0.1 localhost\n{HOSTS_ONLY} hosts-only.rg.test\n"));
        write("nsswitch.conf", "hosts: files dns\n");
        write("net.py", NET_PY);
        let peers = Peers::start(&files.path().join("docker.sock"));
        Some(Harness { dns, peers, files })
    }

    /// `cmd` (program, arguments, environment, directory) run in a new mount namespace
    /// that sees this harness's files as /etc's.
    fn isolated(&self, cmd: &Command) -> Command {
        let mut wrapped = Command::new("unshare");
        wrapped.args(["--mount", "--propagation", "private", "--", "sh", "-c", SETUP, "sh"]);
        wrapped.arg(self.files.path()).arg(cmd.get_program()).args(cmd.get_args());
        for (name, value) in cmd.get_envs() {
            match value {
                Some(value) => wrapped.env(name, value),
                None => wrapped.env_remove(name),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }

    /// `program ARGS` in the namespace, outside runglass.
    fn output<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Output {
        let mut cmd = Command::new(program);
        cmd.args(args);
        self.isolated(&cmd).output().unwrap()
    }

    /// `runglass run ARGS -- sh -c SCRIPT` in `work`, in the namespace. SCRIPT is
    /// [`SCRIPT_VARS`] then `body`: `$rc` is the resolve_connect fixture, `$py` Python,
    /// `$net` net.py, `$sock` the docker.sock the peers listen on.
    fn run(&self, data: &Path, work: &Path, args: &[&str], body: &str) -> Output {
        let mut cmd = runglass(data);
        cmd.current_dir(work).arg("run").args(args).args(["--", "sh", "-c"]).arg(format!("{SCRIPT_VARS}{body}"));
        cmd.arg("sh").arg(resolve_connect()).arg(PYTHON).arg(self.net_py()).arg(&self.peers.docker_sock);
        self.isolated(&cmd).output().unwrap()
    }

    fn net_py(&self) -> PathBuf {
        self.files.path().join("net.py")
    }

    /// The responder's address as the receipt names it.
    fn server(&self) -> String {
        format!("{}:53", self.dns.address())
    }
}

fn resolve_connect() -> PathBuf {
    runglass_fixtures::path("resolve_connect")
}

/// The loopback peers the programs reach, served by one thread until dropped. Accepted
/// connections stay open, so that a client holding its socket stays connected.
struct Peers {
    /// TCP on 127.0.0.21.
    api: u16,
    /// UDP on 127.0.0.22.
    udp: u16,
    /// Free on 127.0.0.23 a moment ago; nothing listens there.
    refused: u16,
    /// TCP on 127.0.0.24.
    hosts_only: u16,
    docker_sock: PathBuf,
    /// What reached which peer, in order: `api`, `hosts-only`, `docker.sock`, or `udp `
    /// and the datagram.
    reached: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Peers {
    fn start(docker_sock: &Path) -> Peers {
        let api = TcpListener::bind((API, 0)).unwrap();
        let hosts_only = TcpListener::bind((HOSTS_ONLY, 0)).unwrap();
        let udp = UdpSocket::bind((UDP, 0)).unwrap();
        let refused = TcpListener::bind((REFUSED, 0)).unwrap().local_addr().unwrap().port();
        let unix = UnixListener::bind(docker_sock).unwrap();
        api.set_nonblocking(true).unwrap();
        hosts_only.set_nonblocking(true).unwrap();
        udp.set_nonblocking(true).unwrap();
        unix.set_nonblocking(true).unwrap();
        let port = |address: std::io::Result<std::net::SocketAddr>| address.unwrap().port();
        let (api_port, udp_port, hosts_only_port) =
            (port(api.local_addr()), port(udp.local_addr()), port(hosts_only.local_addr()));
        let reached = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (reached, stop) = (Arc::clone(&reached), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut open_tcp = Vec::new();
                let mut open_unix: Vec<UnixStream> = Vec::new();
                let mut buf = [0u8; 64];
                while !stop.load(Ordering::Relaxed) {
                    let mut seen = Vec::new();
                    for (listener, name) in [(&api, "api"), (&hosts_only, "hosts-only")] {
                        if let Ok((stream, _)) = listener.accept() {
                            open_tcp.push(stream);
                            seen.push(name.to_string());
                        }
                    }
                    if let Ok((stream, _)) = unix.accept() {
                        open_unix.push(stream);
                        seen.push("docker.sock".to_string());
                    }
                    if let Ok((len, _)) = udp.recv_from(&mut buf) {
                        seen.push(format!("udp {}", String::from_utf8_lossy(&buf[..len])));
                    }
                    reached.lock().unwrap_or_else(|e| e.into_inner()).extend(seen);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        Peers {
            api: api_port,
            udp: udp_port,
            refused,
            hosts_only: hosts_only_port,
            docker_sock: docker_sock.to_path_buf(),
            reached,
            stop,
            thread: Some(thread),
        }
    }

    /// Waits until `expected` have reached the peers (in any order); panics after 5 s
    /// with what did.
    fn wait_reached(&self, expected: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut reached = self.reached.lock().unwrap_or_else(|e| e.into_inner()).clone();
            reached.sort();
            let mut wanted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            wanted.sort();
            if reached == wanted {
                return;
            }
            assert!(Instant::now() < deadline, "peers reached: {reached:?}, expected {wanted:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ------------------------------------------------------- reading what was printed

/// A program's stdout, as the script saved it in `work/<file>`: its pid, then the rest.
fn printed(work: &Path, file: &str) -> (u64, Vec<String>) {
    let path = work.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text.lines().map(str::to_string);
    let pid = lines.next().and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("no pid first in {text:?}"));
    (pid, lines.collect())
}

fn fixture_argv(name: &str, port: u16, extra: &[&str]) -> Value {
    let mut argv = vec![path_text(&resolve_connect()), name.to_string(), port.to_string()];
    argv.extend(extra.iter().map(|s| s.to_string()));
    json!(argv)
}

fn python_argv(h: &Harness, args: &[&str]) -> Value {
    let mut argv = vec![PYTHON.to_string(), path_text(&h.net_py())];
    argv.extend(args.iter().map(|s| s.to_string()));
    json!(argv)
}

/// The tests' own temporary and build paths are UTF-8.
fn path_text(path: &Path) -> String {
    path.to_str().unwrap_or_else(|| panic!("non-UTF-8 test path {}", path.display())).to_string()
}

// ------------------------------------------------------------ reading the receipt

/// The outbound row for (address, port, pid), whatever its protocol.
fn outbound(r: &Value, address: Ipv4Addr, port: u16, pid: u64) -> &Value {
    rows(r, "outbound")
        .iter()
        .find(|p| p["address"] == address.to_string() && p["port"] == port && p["pid"] == pid)
        .unwrap_or_else(|| panic!("no outbound row {address}:{port} by {pid} in {:#}", r["network"]))
}

/// The one lookup row for `name` by `pid`.
fn lookup<'a>(r: &'a Value, name: &str, pid: u64) -> &'a Value {
    let found: Vec<&Value> = rows(r, "lookups").iter().filter(|l| l["name"] == name && l["pid"] == pid).collect();
    assert_eq!(found.len(), 1, "lookup rows for {name} by {pid} in {:#}", r["network"]);
    found[0]
}

fn rows<'a>(r: &'a Value, list: &str) -> &'a [Value] {
    r["network"][list].as_array().unwrap_or_else(|| panic!("no network.{list} list in {:#}", r["network"]))
}

/// The fields `keys` of `row` of receipt `r`, as one object to compare whole; `argv` is the
/// command line of the process the row refers to.
fn pick(r: &Value, row: &Value, keys: &[&str]) -> Value {
    let field = |k: &str| if k == "argv" { command_of(r, row) } else { row[k].clone() };
    Value::Object(keys.iter().map(|k| (k.to_string(), field(k))).collect())
}

const PEER_FIELDS: &[&str] = &["protocol", "host", "host_from", "result", "argv", "count", "seen_by"];
const LOOKUP_FIELDS: &[&str] = &["addresses", "status", "server", "argv"];

fn has_note(r: &Value, id: &str) -> Option<Value> {
    r["risk"]["notes"].as_array()?.iter().find(|n| n["id"] == id).cloned()
}

fn assert_ran(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "runglass: {}", stderr(out));
}

// ------------------------------------------------------------------------ tests

/// The harness alone, without runglass: lookups inside the namespace go to the
/// responder (or to the hosts file), and the programs reach the peers.
#[test]
fn harness_resolves_through_the_private_namespace() {
    let Some(h) = Harness::start(Ipv4Addr::new(127, 0, 53, 1)) else { return };
    let getent = |name: &str| h.output("getent", &["ahostsv4", name]);
    let api = getent("api.rg.test");
    assert!(api.status.success(), "getent api.rg.test: {}", stderr(&api));
    assert!(String::from_utf8_lossy(&api.stdout).starts_with("127.0.0.21 "), "{api:?}");
    let hosts_only = getent("hosts-only.rg.test");
    assert!(String::from_utf8_lossy(&hosts_only.stdout).starts_with("127.0.0.24 "), "{hosts_only:?}");
    assert_eq!(getent("missing.rg.test").status.code(), Some(2), "getent: the name is not found");
    assert!(!std::fs::read_to_string("/etc/hosts").unwrap().contains("rg.test"), "the real /etc is untouched");

    // What resolve_connect printed after its pid, once it exited with `code`.
    let fixture = |args: &[&str], code: i32| {
        let out = h.output(resolve_connect(), args);
        assert_eq!(out.status.code(), Some(code), "resolve_connect {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).lines().skip(1).map(str::to_string).collect::<Vec<_>>()
    };
    let p = &h.peers;
    let (api, udp, refused, hosts_only) =
        (p.api.to_string(), p.udp.to_string(), p.refused.to_string(), p.hosts_only.to_string());
    assert_eq!(fixture(&["api.rg.test", &api], 0), ["resolved 127.0.0.21", "connect OK"]);
    assert_eq!(fixture(&["udp.rg.test", &udp, "udp"], 0), ["resolved 127.0.0.22", "sendto OK"]);
    assert_eq!(fixture(&["refused.rg.test", &refused], 0), ["resolved 127.0.0.23", "connect ECONNREFUSED"]);
    assert_eq!(fixture(&["hosts-only.rg.test", &hosts_only], 0), ["resolved 127.0.0.24", "connect OK"]);
    assert_eq!(fixture(&["missing.rg.test", "9"], 3), ["lookup EAI_NONAME"]);
    let evil = fixture(&["evil.rg.test", "9"], 3);
    assert!(evil[0].starts_with("lookup EAI_"), "glibc refuses the hostile answer: {evil:?}");

    let net = path_text(&h.net_py());
    let py = h.output(PYTHON, &[net.as_str(), "connect", "api.rg.test", &api]);
    assert!(String::from_utf8_lossy(&py.stdout).ends_with("\nconnected 127.0.0.21\n"), "{py:?}");
    let docker = h.output(PYTHON, &[net.as_str(), "unix", &path_text(&p.docker_sock)]);
    assert!(String::from_utf8_lossy(&docker.stdout).ends_with("\nconnected\n"), "{docker:?}");

    p.wait_reached(&["api", "api", "udp ping", "hosts-only", "docker.sock"]);
    let asked = h.dns.queries();
    for name in ["api.rg.test", "udp.rg.test", "refused.rg.test", "missing.rg.test", "evil.rg.test"] {
        assert!(asked.contains(&Query { name: name.into(), qtype: 1 }), "no A query for {name} in {asked:?}");
    }
    let aaaa = Query { name: "api.rg.test".into(), qtype: 28 };
    assert!(asked.contains(&aaaa), "Python asks for AAAA too: {asked:?}");
    assert!(!asked.iter().any(|q| q.name == "hosts-only.rg.test"), "the hosts file answered first: {asked:?}");
}

#[test]
fn deep_mode_names_each_peer_by_the_lookup_that_found_it() {
    let Some(h) = Harness::start(Ipv4Addr::new(127, 0, 53, 2)) else { return };
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let p = &h.peers;
    let (api, udp, refused, hosts_only) = (p.api, p.udp, p.refused, p.hosts_only);
    let body = format!(
        r#""$rc" api.rg.test {api} > api.out
"$rc" udp.rg.test {udp} udp > udp.out
"$rc" refused.rg.test {refused} > refused.out
"$rc" hosts-only.rg.test {hosts_only} > hosts-only.out
"$py" "$net" connect api.rg.test {api} > py-connect.out
"#
    );
    assert_ran(&h.run(data.path(), work.path(), &["--deep"], &body));
    let r = latest_json(data.path());
    let w = work.path();

    let peer = |host: &str, from: &str, protocol: &str, result: &str, argv: Value| {
        json!({"protocol": protocol, "host": host, "host_from": from, "result": result, "argv": argv, "count": 1,
               "seen_by": "trace"})
    };
    let looked_up = |address: Ipv4Addr, argv: Value| json!({"addresses": [address.to_string()], "status": "answered", "server": h.server(), "argv": argv});
    for (file, name, address, port, protocol, result, extra) in [
        ("api.out", "api.rg.test", API, p.api, "tcp", "connected", &[][..]),
        ("udp.out", "udp.rg.test", UDP, p.udp, "udp", "sent", &["udp"][..]),
        ("refused.out", "refused.rg.test", REFUSED, p.refused, "tcp", "refused", &[][..]),
    ] {
        let (pid, _) = printed(w, file);
        let argv = fixture_argv(name, port, extra);
        let row = outbound(&r, address, port, pid);
        assert_eq!(pick(&r, row, PEER_FIELDS), peer(name, "dns", protocol, result, argv.clone()), "{file}");
        assert_eq!(pick(&r, lookup(&r, name, pid), LOOKUP_FIELDS), looked_up(address, argv), "{file}");
    }

    let (pid, _) = printed(w, "hosts-only.out");
    let argv = fixture_argv("hosts-only.rg.test", p.hosts_only, &[]);
    let row = outbound(&r, HOSTS_ONLY, p.hosts_only, pid);
    assert_eq!(pick(&r, row, PEER_FIELDS), peer("hosts-only.rg.test", "hosts", "tcp", "connected", argv));

    let (pid, said) = printed(w, "py-connect.out");
    assert_eq!(said, ["connected 127.0.0.21"]);
    let argv = python_argv(&h, &["connect", "api.rg.test", &p.api.to_string()]);
    let row = outbound(&r, API, p.api, pid);
    assert_eq!(pick(&r, row, PEER_FIELDS), peer("api.rg.test", "dns", "tcp", "connected", argv.clone()));
    // Its A and AAAA answers make one row: lookup() asserts there is exactly one.
    assert_eq!(pick(&r, lookup(&r, "api.rg.test", pid), LOOKUP_FIELDS), looked_up(API, argv));
}

#[test]
fn deep_mode_records_a_missing_name_and_survives_a_hostile_answer() {
    let Some(h) = Harness::start(Ipv4Addr::new(127, 0, 53, 3)) else { return };
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // evil.out's lookup fails: the script's status is its last command's.
    let body = r#""$rc" missing.rg.test 9 > missing.out
"$rc" evil.rg.test 9 > evil.out
exit 0
"#;
    assert_ran(&h.run(data.path(), work.path(), &["--deep"], body));
    let valid = runglass(data.path()).args(["validate", "latest"]).output().unwrap();
    assert!(valid.status.success(), "validate: {}", stderr(&valid));
    let r = latest_json(data.path());
    assert_eq!(r["outcome"]["status"], "completed");

    let (pid, said) = printed(work.path(), "missing.out");
    assert_eq!(said, ["lookup EAI_NONAME"]);
    let expected = json!({"addresses": [], "status": "no_such_name", "server": h.server(),
                          "argv": fixture_argv("missing.rg.test", 9, &[])});
    assert_eq!(pick(&r, lookup(&r, "missing.rg.test", pid), LOOKUP_FIELDS), expected);

    let (pid, said) = printed(work.path(), "evil.out");
    assert!(said.first().is_some_and(|l| l.starts_with("lookup EAI_")), "{said:?}");
    for row in rows(&r, "lookups").iter().filter(|l| l["pid"] == pid) {
        assert_eq!(row["addresses"], json!([]), "the hostile answer gave no addresses: {row:#}");
    }
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains(&HOSTILE_ADDRESS.to_string()), "the hostile record is nowhere in the receipt");
}

#[test]
fn deep_mode_sees_a_docker_socket_and_the_listeners_of_the_traced_tree() {
    let Some(h) = Harness::start(Ipv4Addr::new(127, 0, 53, 4)) else { return };
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let body = r#""$py" "$net" unix "$sock" > unix.out
"$py" "$net" listen-tcp > listen.out
"$py" "$net" bind-udp > bind.out
"#;
    assert_ran(&h.run(data.path(), work.path(), &["--deep"], body));
    let r = latest_json(data.path());
    let w = work.path();
    let sock = path_text(&h.peers.docker_sock);

    let (pid, _) = printed(w, "unix.out");
    let unix: Vec<&Value> = rows(&r, "unix").iter().filter(|u| u["pid"] == pid).collect();
    assert_eq!(unix.len(), 1, "{:#}", r["network"]);
    let expected = json!({"path": sock, "role": "connected", "argv": python_argv(&h, &["unix", &sock]),
                          "count": 1});
    assert_eq!(pick(&r, unix[0], &["path", "role", "argv", "count"]), expected);
    let note = has_note(&r, "docker-socket").unwrap_or_else(|| panic!("no docker-socket note: {:#}", r["risk"]));
    assert!(note["evidence"].to_string().contains(&sock), "{note:#}");

    let fields = &["protocol", "address", "port", "wildcard", "argv"];
    let listener = |file: &str, action: &str| {
        let (pid, said) = printed(w, file);
        let port: u16 = said[0].split(' ').nth(1).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{said:?}"));
        let row = rows(&r, "listening")
            .iter()
            .find(|l| l["pid"] == pid && l["port"] == port)
            .unwrap_or_else(|| panic!("no listening row on {port} by {pid}: {:#}", r["network"]));
        (pick(&r, row, fields), port, python_argv(&h, &[action]))
    };
    let (row, port, argv) = listener("listen.out", "listen-tcp");
    let expected = json!({"protocol": "tcp", "address": "0.0.0.0", "port": port, "wildcard": true, "argv": argv});
    assert_eq!(row, expected);
    assert!(has_note(&r, "wildcard-listen").is_some(), "{:#}", r["risk"]);
    let (row, port, argv) = listener("bind.out", "bind-udp");
    let expected = json!({"protocol": "udp", "address": "127.0.0.1", "port": port, "wildcard": false, "argv": argv});
    assert_eq!(row, expected);
}

#[test]
fn markdown_html_and_the_ai_summary_show_the_name_next_to_its_address() {
    let Some(h) = Harness::start(Ipv4Addr::new(127, 0, 53, 5)) else { return };
    let (data, work, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = h.peers.api.to_string();
    assert_ran(&h.run(data.path(), work.path(), &["--deep"], &format!(r#""$rc" api.rg.test {port} > api.out"#)));
    let export = runglass(data.path())
        .args(["export", "--format", "markdown,html,ai", "--output"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(export.status.success(), "export: {}", stderr(&export));
    let names_it = |part: &str| part.contains("api.rg.test") && part.contains("127.0.0.21") && part.contains(&port);
    let read = |file: &str| std::fs::read_to_string(out.path().join(file)).unwrap();

    let markdown = read("receipt.md");
    assert!(markdown.lines().any(names_it), "no Markdown line names api.rg.test 127.0.0.21 {port}:\n{markdown}");
    let html = read("receipt.html");
    assert!(html.split("<tr").any(names_it), "no HTML table row names api.rg.test 127.0.0.21 {port}");
    let ai = read("ai-summary.txt");
    assert!(ai.lines().any(names_it), "no ai summary line names api.rg.test 127.0.0.21 {port}:\n{ai}");
}

#[test]
fn normal_mode_names_peers_from_the_hosts_file_only_and_says_dns_needs_deep() {
    let Some(h) = Harness::start(Ipv4Addr::new(127, 0, 53, 6)) else { return };
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let p = &h.peers;
    let (api, hosts_only) = (p.api, p.hosts_only);
    let body = format!(
        r#""$rc" hosts-only.rg.test {hosts_only} > hosts-only.out
"$rc" api.rg.test {api} > api.out
"#
    );
    assert_ran(&h.run(data.path(), work.path(), &[], &body));
    let r = latest_json(data.path());

    let (pid, _) = printed(work.path(), "hosts-only.out");
    let row = outbound(&r, HOSTS_ONLY, p.hosts_only, pid);
    let expected = json!({"host": "hosts-only.rg.test", "host_from": "hosts", "seen_by": "polling"});
    assert_eq!(pick(&r, row, &["host", "host_from", "seen_by"]), expected, "{row:#}");

    let (pid, _) = printed(work.path(), "api.out");
    // Polling may or may not have caught the api connection; if it did, it has no name.
    let api = rows(&r, "outbound").iter().find(|row| row["address"] == API.to_string() && row["pid"] == pid);
    if let Some(row) = api {
        assert_eq!(pick(&r, row, &["host", "host_from"]), json!({"host": null, "host_from": null}), "{row:#}");
    }
    let lookups = r["network"]["lookups"].as_array().map_or(0, Vec::len);
    assert_eq!(lookups, 0, "normal mode sees no DNS: {:#}", r["network"]);
    let network = r["observation"]["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["aspect"] == "network")
        .unwrap_or_else(|| panic!("no network coverage: {:#}", r["observation"]));
    assert!(network["note"].as_str().unwrap_or_default().contains("deep"), "{network:#}");
}

/// getaddrinfo ranks the addresses of a name by connecting a UDP socket to each and sending
/// nothing: those connects are address probes, listed apart, never peers.
#[test]
fn address_probes_are_listed_apart_not_as_peers() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let program = "import socket; socket.getaddrinfo(None, 8765, flags=socket.AI_PASSIVE, type=socket.SOCK_STREAM)";
    let out = runglass(data.path())
        .current_dir(work.path())
        .args(["run", "--deep", "--", PYTHON, "-c", program])
        .output()
        .unwrap();
    assert_ran(&out);
    let r = latest_json(data.path());
    assert_eq!(rows(&r, "outbound"), &[] as &[Value], "no traffic: {:#}", r["network"]);
    let probes: Vec<(&str, &Value)> =
        rows(&r, "probes").iter().map(|p| (p["address"].as_str().unwrap(), &p["port"])).collect();
    assert_eq!(probes, [("::", &json!(8765)), ("0.0.0.0", &json!(8765))], "{:#}", r["network"]);
    assert!(stderr(&out).contains("0 peer(s)"), "{}", stderr(&out));
}
