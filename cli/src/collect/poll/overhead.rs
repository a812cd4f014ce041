//! Measuring the poller's cost on the standard workloads (by hand, not in the suite):
//!
//! ```text
//! RUNGLASS_WORKLOADS=/path/to/workloads cargo test --release -p runglass-cli --bin runglass \
//!     poll::overhead -- --ignored --nocapture
//! ```
//!
//! Each workload runs unobserved and polled in turns (A B A B ...), copied to a temporary
//! directory; what is printed is the median wall-time ratio, the poller's CPU time and how
//! many processes it saw. Nothing is asserted: timings on a shared machine are noise-prone.
//! `RUNGLASS_WORKLOAD=make-c.sh` runs one workload only; `RUNGLASS_POLL_MIN_MS`,
//! `RUNGLASS_POLL_MAX_MS` and `RUNGLASS_POLL_SOCKET_MS` override the default intervals.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use procfs::process::Process;

use super::{PollOptions, PollSummary, Poller};

const ROUNDS: usize = 5;

#[test]
#[ignore = "a measurement, run by hand with RUNGLASS_WORKLOADS set"]
fn overhead_on_the_standard_workloads() {
    let dir = std::env::var_os("RUNGLASS_WORKLOADS").expect("RUNGLASS_WORKLOADS: the workloads directory");
    let default = PollOptions::default();
    let opts = PollOptions {
        min_interval: env_ms("RUNGLASS_POLL_MIN_MS").unwrap_or(default.min_interval),
        max_interval: env_ms("RUNGLASS_POLL_MAX_MS").unwrap_or(default.max_interval),
        socket_interval: env_ms("RUNGLASS_POLL_SOCKET_MS").unwrap_or(default.socket_interval),
    };
    println!("{opts:?}, {ROUNDS} rounds, median of ratios");
    let only = std::env::var("RUNGLASS_WORKLOAD").ok();
    for name in
        ["forks.sh", "make-c.sh", "py-imports.sh"].into_iter().filter(|n| only.as_deref().is_none_or(|o| o == *n))
    {
        let work = tempfile::tempdir().unwrap();
        let script = work.path().join(name);
        std::fs::copy(Path::new(&dir).join(name), &script).unwrap();
        let mut ratios = Vec::new();
        let (mut cpu, mut seen, mut polls) = (Duration::ZERO, 0, 0);
        for _ in 0..ROUNDS {
            let (plain, _) = run(&script, work.path(), None);
            let cpu_before = own_cpu();
            let (polled, summary) = run(&script, work.path(), Some(opts));
            let summary = summary.unwrap();
            cpu += own_cpu() - cpu_before;
            seen += summary.processes_seen;
            polls += summary.polls;
            ratios.push(polled.as_secs_f64() / plain.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        let n = ROUNDS as u32;
        println!(
            "{name}: median ratio {:.3} (min {:.3}, max {:.3}); per run: poller cpu {:?}, {} polls, {} processes seen",
            ratios[ROUNDS / 2],
            ratios[0],
            ratios[ROUNDS - 1],
            cpu / n,
            polls / n as u64,
            seen / n as u64
        );
    }
}

/// Runs `script` once, polled when `opts` is given, and returns its wall time.
fn run(script: &Path, cwd: &Path, opts: Option<PollOptions>) -> (Duration, Option<PollSummary>) {
    let started = Instant::now();
    let mut child = Command::new("sh").arg(script).current_dir(cwd).stdout(Stdio::null()).spawn().unwrap();
    let polling = opts.map(|opts| {
        let (tx, rx) = crossbeam_channel::unbounded();
        // Events are taken off the channel as a real run's log writer would.
        let drain = std::thread::spawn(move || rx.iter().count());
        (Poller::start(child.id(), started, opts, tx).unwrap(), drain)
    });
    assert!(child.wait().unwrap().success());
    let summary = polling.map(|(poller, drain)| {
        let summary = poller.stop();
        drain.join().unwrap();
        summary
    });
    (started.elapsed(), summary)
}

/// CPU time this process (the test, and so the poller) has used so far.
fn own_cpu() -> Duration {
    let stat = Process::myself().unwrap().stat().unwrap();
    let ticks = stat.utime + stat.stime;
    Duration::from_secs_f64(ticks as f64 / procfs::ticks_per_second() as f64)
}

fn env_ms(name: &str) -> Option<Duration> {
    Some(Duration::from_micros((std::env::var(name).ok()?.parse::<f64>().ok()? * 1000.0) as u64))
}

#[test]
#[ignore = "a measurement, run by hand"]
fn cost_of_one_poll() {
    let mut child = Command::new("sh").args(["-c", "sleep 5 & sleep 5 & sleep 5"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut watch = super::Watch {
        tree: super::Tree::new(child.id()).unwrap(),
        sockets: super::Sockets::new(child.id()),
        socket_interval: Duration::ZERO,
        sockets_seen: None,
        start: Instant::now(),
        sink: tx,
        polls: 0,
    };
    watch.poll(false).unwrap();
    let n = 2000;
    let started = Instant::now();
    for _ in 0..n {
        watch.poll(false).unwrap();
    }
    let each = started.elapsed() / n;
    child.kill().unwrap();
    child.wait().unwrap();
    println!("one poll of a tree of {} processes: {each:?} ({} events)", watch.tree.seen(), rx.len());
}
