#!/usr/bin/env python3
"""Tracing overhead of runglass (and strace, for reference) on the standard workloads.

Runs every variant of every workload interleaved (A B C A B C ...), after one untimed
warm-up round, and prints median wall-time ratios traced/untraced as a markdown table,
then a second table comparing the size of runglass's event log with strace's output.

Builds nothing: point --runglass at a release binary (default <repo>/target/release/runglass).
Standard library only (Python 3.11).

    python3 benches/overhead.py --rounds 10
    python3 benches/overhead.py --workload forks.sh --variants "trace,run --deep" --rounds 5
"""

from __future__ import annotations

import argparse
import datetime
import glob
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKLOADS = ("forks.sh", "make-c.sh", "py-imports.sh")
# The syscalls runglass's engine stops on, as the workloads README quotes them.
STRACE_SET = "execve,execveat,connect,openat,openat2,unlinkat,renameat2"

UNTRACED = "untraced"
TRACE = "trace"
TRACE_READS = "trace --reads"
RUN_DEEP = "run --deep"
STRACE_BPF = "strace --seccomp-bpf"
STRACE = "strace"
ALL_VARIANTS = (UNTRACED, TRACE, TRACE_READS, RUN_DEEP, STRACE_BPF, STRACE)
STRACE_VARIANTS = (STRACE_BPF, STRACE)


@dataclass
class Bench:
    runglass: str
    strace: str | None
    scratch: Path  # parent of the per-run RUNGLASS_DATA_HOME directories

    def command(self, variant: str, script: Path) -> list[str]:
        sh = ["sh", str(script)]
        if variant == UNTRACED:
            return sh
        if variant == TRACE:
            return [self.runglass, "trace", "-o", "/dev/null", "--", *sh]
        if variant == TRACE_READS:
            return [self.runglass, "trace", "--reads", "-o", "/dev/null", "--", *sh]
        if variant == RUN_DEEP:
            return [self.runglass, "run", "--deep", "--", *sh]
        if variant == STRACE_BPF:
            return [self.strace, "-f", "--seccomp-bpf", "-e", f"trace={STRACE_SET}", "-o", "/dev/null", *sh]
        if variant == STRACE:
            return [self.strace, "-f", "-e", f"trace={STRACE_SET}", "-o", "/dev/null", *sh]
        raise ValueError(variant)

    def timed(self, workload: str, variant: str, script: Path, cwd: Path) -> float:
        """Wall seconds of one run; exits 1 if the command fails."""
        cmd = self.command(variant, script)
        env = None
        data_home = None
        if variant == RUN_DEEP:
            # A fresh data directory per run, made and removed outside the timed region.
            data_home = Path(tempfile.mkdtemp(prefix="data-", dir=self.scratch))
            env = dict(os.environ, RUNGLASS_DATA_HOME=str(data_home))
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if data_home is not None:
            shutil.rmtree(data_home, ignore_errors=True)
        if proc.returncode != 0:
            print(
                f"error: {workload}: variant {variant!r} exited with status {proc.returncode}: {shlex.join(cmd)}",
                file=sys.stderr,
            )
            sys.exit(1)
        return elapsed


@dataclass
class Result:
    workload: str
    times: dict[str, list[float]] = field(default_factory=dict)

    def ratios(self, variant: str) -> list[float]:
        return [t / u for t, u in zip(self.times[variant], self.times[UNTRACED])]


def machine_line() -> str:
    ncpu = os.cpu_count() or 0
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    kernel = os.uname().release
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"Machine: nproc {ncpu}, kernel {kernel}, CPU {model}; date {date}"


class LoadMeter:
    """CPU time the whole machine spent busy vs. what this script and its children used.

    The difference is load from other processes: on a shared machine a fuzzer or a build
    running next to the benchmark skews the ratios (in either direction), so rounds that
    ran beside too much foreign load are thrown away and run again.
    """

    def __init__(self) -> None:
        self.hz = os.sysconf("SC_CLK_TCK")
        self.ncpu = os.cpu_count() or 1
        self.reset()

    def reset(self) -> None:
        self.wall0 = time.perf_counter()
        self.stat0 = self._stat()
        self.own0 = self._own()

    @staticmethod
    def _stat() -> tuple[int, int]:
        """(busy, steal) jiffies summed over all CPUs."""
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        return user + nice + system + irq + softirq, steal

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def sample(self) -> tuple[float, float, float, float]:
        """(wall s, own CPU-s, other CPU-s, steal s) since the last reset."""
        wall = time.perf_counter() - self.wall0
        (busy1, steal1), (busy0, steal0) = self._stat(), self.stat0
        own = self._own() - self.own0
        other = max(0.0, (busy1 - busy0) / self.hz - own)
        return wall, own, other, (steal1 - steal0) / self.hz

    def other_fraction(self) -> float:
        """Share of the machine's CPU capacity used by other processes since the last reset."""
        wall, _own, other, _steal = self.sample()
        return other / (max(wall, 1e-3) * self.ncpu)

    def report(self) -> str:
        wall, own, other, steal = self.sample()
        return (
            f"Load: this run used {own:.0f} CPU-s in {wall:.0f} s wall; other processes used "
            f"{other:.0f} CPU-s ({100 * other / (max(wall, 1e-3) * self.ncpu):.0f}% of the machine), "
            f"steal {steal:.0f} s"
        )


def wait_quiet(limit: float, patience: float) -> None:
    """Waits (up to `patience` s) for a 1 s window with other load below `limit`."""
    deadline = time.monotonic() + patience
    meter = LoadMeter()
    warned = False
    while time.monotonic() < deadline:
        meter.reset()
        time.sleep(1.0)
        frac = meter.other_fraction()
        if frac <= limit:
            return
        if not warned:
            print(f"  waiting for the machine to quiet down (other load {100 * frac:.0f}%)", file=sys.stderr, flush=True)
            warned = True


@dataclass
class Noise:
    limit: float  # max share of the machine other processes may use during a kept round
    retries: int  # how many rounds in all may be thrown away and run again
    patience: float  # seconds to wait for quiet before each round
    discarded: dict[str, int] = field(default_factory=dict)


def measure(bench: Bench, workload: str, script: Path, variants: list[str], rounds: int, noise: Noise) -> Result:
    result = Result(workload, {v: [] for v in variants})
    cwd = Path(tempfile.mkdtemp(prefix=f"cwd-{workload}-", dir=bench.scratch))
    meter = LoadMeter()
    try:
        # Warm-up, untimed: fills caches and checks every variant succeeds.
        print(f"  {workload}: warm-up", file=sys.stderr, flush=True)
        for variant in variants:
            bench.timed(workload, variant, script, cwd)
        done = 0
        while done < rounds:
            wait_quiet(noise.limit, noise.patience)
            print(f"  {workload}: round {done + 1}/{rounds}", file=sys.stderr, flush=True)
            meter.reset()
            times = {variant: bench.timed(workload, variant, script, cwd) for variant in variants}
            frac = meter.other_fraction()
            if frac > noise.limit and noise.retries > 0:
                noise.retries -= 1
                noise.discarded[workload] = noise.discarded.get(workload, 0) + 1
                print(f"  {workload}: round thrown away, other load {100 * frac:.0f}%", file=sys.stderr, flush=True)
                continue
            for variant, t in times.items():
                result.times[variant].append(t)
            done += 1
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    return result


def overhead_table(results: list[Result], variants: list[str]) -> str:
    lines = [
        "| workload | variant | median ratio | min | max | median s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        for v in variants:
            secs = statistics.median(r.times[v])
            if v == UNTRACED:
                lines.append(f"| {r.workload} | {v} | 1.00x | - | - | {secs:.3f} |")
                continue
            ratios = r.ratios(v)
            lines.append(
                f"| {r.workload} | {v} | {statistics.median(ratios):.2f}x "
                f"| {min(ratios):.2f}x | {max(ratios):.2f}x | {secs:.3f} |"
            )
    return "\n".join(lines)


def human(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.2f} MiB"


def log_sizes(bench: Bench, workload: str, script: Path) -> str:
    """One table row: size of run --deep's event log vs strace's text output."""
    work = Path(tempfile.mkdtemp(prefix=f"size-{workload}-", dir=bench.scratch))
    try:
        cwd = work / "cwd"
        cwd.mkdir()
        data_home = work / "data"
        data_home.mkdir()
        cmd = bench.command(RUN_DEEP, script)
        proc = subprocess.run(
            cmd, cwd=cwd, env=dict(os.environ, RUNGLASS_DATA_HOME=str(data_home)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            print(f"error: {workload}: log-size run exited with status {proc.returncode}: {shlex.join(cmd)}", file=sys.stderr)
            sys.exit(1)
        logs = glob.glob(str(data_home / "receipts" / "*" / "events.log"))
        if len(logs) != 1:
            print(f"error: {workload}: expected one receipts/*/events.log, found {len(logs)}", file=sys.stderr)
            sys.exit(1)
        rg_bytes = os.path.getsize(logs[0])

        # Events runglass reports for the same run (one line each in `trace` output).
        trace_out = work / "trace.txt"
        cmd = [bench.runglass, "trace", "-o", str(trace_out), "--", "sh", str(script)]
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if proc.returncode != 0:
            print(f"error: {workload}: trace run exited with status {proc.returncode}: {shlex.join(cmd)}", file=sys.stderr)
            sys.exit(1)
        with open(trace_out, "rb") as f:
            rg_events = sum(1 for _ in f)

        if bench.strace is None:
            return f"| {workload} | {rg_bytes} ({human(rg_bytes)}) | {rg_events} | - | - | - |"
        st_out = work / "strace.txt"
        cmd = [bench.strace, "-f", "-e", f"trace={STRACE_SET}", "-o", str(st_out), "sh", str(script)]
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if proc.returncode != 0:
            print(f"error: {workload}: strace run exited with status {proc.returncode}: {shlex.join(cmd)}", file=sys.stderr)
            sys.exit(1)
        st_bytes = os.path.getsize(st_out)
        with open(st_out, "rb") as f:
            st_lines = sum(1 for _ in f)
        ratio = f"{rg_bytes / st_bytes:.2f}" if st_bytes else "-"
        return (
            f"| {workload} | {rg_bytes} ({human(rg_bytes)}) | {rg_events} "
            f"| {st_bytes} ({human(st_bytes)}) | {st_lines} | {ratio} |"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runglass", help="runglass binary (default: <repo>/target/release/runglass)")
    ap.add_argument("--workloads", help="directory of the standard workloads (default: <repo>/../shared/workloads)")
    ap.add_argument("--rounds", type=int, default=10, help="timed rounds per workload (default 10)")
    ap.add_argument("--workload", action="append", metavar="NAME", help="only this workload (repeatable)")
    ap.add_argument(
        "--variants", metavar="LIST",
        help="comma list of variants to run (untraced is always run): " + ", ".join(ALL_VARIANTS),
    )
    ap.add_argument(
        "--cpus", metavar="LIST",
        help="pin this script and every variant to these CPUs, e.g. 0 or 0,1 (default: no pinning)",
    )
    ap.add_argument(
        "--max-other-load", type=float, default=10.0, metavar="PCT",
        help="throw away and rerun a round if other processes used more than PCT%% of the machine "
        "meanwhile (default 10; 100 keeps every round)",
    )
    ap.add_argument("--no-sizes", action="store_true", help="skip the event-log size table")
    args = ap.parse_args()

    runglass = Path(args.runglass) if args.runglass else REPO / "target" / "release" / "runglass"
    if not (runglass.is_file() and os.access(runglass, os.X_OK)):
        print(f"{runglass}: no runglass binary; run `cargo build --release -p runglass-cli` first", file=sys.stderr)
        return 2
    workdir = Path(args.workloads) if args.workloads else REPO.parent / "shared" / "workloads"
    if args.rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return 2

    names = args.workload or list(DEFAULT_WORKLOADS)
    scripts = []
    for name in names:
        script = (workdir / name).resolve()
        if not script.is_file():
            print(f"{script}: no such workload", file=sys.stderr)
            return 2
        scripts.append((name, script))

    strace = shutil.which("strace")
    if args.variants:
        wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
        unknown = [v for v in wanted if v not in ALL_VARIANTS]
        if unknown:
            print(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(ALL_VARIANTS)}", file=sys.stderr)
            return 2
    else:
        wanted = list(ALL_VARIANTS)
    if strace is None:
        skipped = [v for v in wanted if v in STRACE_VARIANTS]
        if skipped and args.variants:
            print(f"note: strace is not on PATH; skipping {', '.join(skipped)}", file=sys.stderr)
    variants = [UNTRACED] + [
        v for v in ALL_VARIANTS if v != UNTRACED and v in wanted and (strace or v not in STRACE_VARIANTS)
    ]

    if args.cpus:
        try:
            cpus = {int(c) for c in args.cpus.split(",") if c.strip()}
            os.sched_setaffinity(0, cpus)  # inherited by every child
        except (ValueError, OSError) as e:
            print(f"--cpus {args.cpus}: {e}", file=sys.stderr)
            return 2

    scratch = Path(tempfile.mkdtemp(prefix="runglass-bench-"))
    load = LoadMeter()
    noise = Noise(limit=args.max_other_load / 100, retries=3 * args.rounds * len(scripts), patience=120.0)
    try:
        bench = Bench(str(runglass.resolve()), strace, scratch)
        results = [measure(bench, name, script, variants, args.rounds, noise) for name, script in scripts]
        sizes = [] if args.no_sizes else [log_sizes(bench, name, script) for name, script in scripts]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(machine_line())
    pinned = f"pinned to CPUs {args.cpus}" if args.cpus else "not pinned"
    py = shutil.which("python3") or "none"
    print(f"Runglass {runglass.resolve()}; strace {strace or 'not found'}; python3 for workloads {py}; {pinned}")
    thrown = ", ".join(f"{w} {n}" for w, n in noise.discarded.items()) or "none"
    print(f"{load.report()}; rounds thrown away for other load > {args.max_other_load:g}%: {thrown}")
    print(f"Rounds: {args.rounds} timed (+1 warm-up), variants interleaved; ratio = variant / same round's untraced.")
    print()
    print(overhead_table(results, variants))
    if sizes:
        print()
        print(
            "| workload | run --deep events.log bytes | runglass trace events "
            "| strace -f output bytes | strace lines | log / strace |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for row in sizes:
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
