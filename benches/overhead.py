#!/usr/bin/env python3
"""runglass's benchmark suite: tracing overhead, snapshot cost and event-log size, as one markdown report.

Three sections, all run by default:

- overhead: the standard workloads (../shared/workloads: forks.sh, make-c.sh, py-imports.sh)
  untraced and under `runglass run`, `run --deep`, `run --deep --reads`, `trace`, `trace --reads`
  and, when strace is installed, `strace -f --seccomp-bpf` and `strace -f` with the same syscall
  set; interleaved rounds, median ratios to the same round's untraced time, with min and max.
- snapshot: `runglass run -- true` (and `run --deep`) against bare `true` in a tree made by
  gen-tree.sh (20 000 files, 1 GiB by default), first run and repeated run, with peak RSS.
- sizes: the event log against strace's text output for the same workload (bytes per event).

Then the targets of issue 7, each met or missed. Builds nothing: point --runglass at a release
binary (default <repo>/target/release/runglass). Standard library only (Python 3.11).

    python3 benches/overhead.py                       # everything: the report in docs/performance.md
    python3 benches/overhead.py --sections overhead --workload forks.sh --variants "run --deep" --rounds 5
    python3 benches/overhead.py --sections snapshot --tree 2000:100   # a quick snapshot check
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
from rgbench import logsize, report, snapshot, workloads
from rgbench.noise import LoadMeter, Noise
from rgbench.runner import CommandFailed

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("overhead", "snapshot", "sizes")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runglass", help="runglass binary (default: <repo>/target/release/runglass)")
    ap.add_argument("--workloads", help="directory of the standard workloads (default: <repo>/../shared/workloads)")
    ap.add_argument("--sections", default=",".join(SECTIONS), metavar="LIST",
                    help="comma list of sections to run: " + ", ".join(SECTIONS) + " (default: all)")
    ap.add_argument("--rounds", type=int, default=10, help="timed rounds per workload (default 10)")
    ap.add_argument("--workload", action="append", metavar="NAME", help="only this workload (repeatable)")
    ap.add_argument("--variants", metavar="LIST",
                    help="comma list of variants (untraced always runs): " + ", ".join(workloads.ALL_VARIANTS))
    ap.add_argument("--tree", default="20000:1024", metavar="FILES:MIB",
                    help="the snapshot benchmark's tree (default 20000:1024; 2000:100 for a quick check)")
    ap.add_argument("--snapshot-rounds", type=int, default=5, help="timed rounds of the snapshot benchmark (default 5)")
    ap.add_argument("--snapshot-modes", default="run,run --deep", metavar="LIST",
                    help="comma list of runglass modes in the snapshot benchmark (default: run,run --deep)")
    ap.add_argument("--cpus", metavar="LIST",
                    help="pin this script and every command to these CPUs, e.g. 0 or 0,1 (default: no pinning)")
    ap.add_argument("--max-other-load", type=float, default=10.0, metavar="PCT",
                    help="throw away and rerun a round if other processes used more than PCT%% of the machine "
                    "meanwhile (default 10; 100 keeps every round)")
    ap.add_argument("--compare", metavar="PATH",
                    help="another runglass binary (a build before a change) run beside the first in every "
                    "section; its rows are labelled with its file name")
    ap.add_argument("--scratch", metavar="DIR", help="where temporary trees and data go (default: the system's temp dir)")
    return ap.parse_args()


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def main() -> int:
    args = parse_args()
    runglass = Path(args.runglass) if args.runglass else REPO / "target" / "release" / "runglass"
    if not (runglass.is_file() and os.access(runglass, os.X_OK)):
        return fail(f"{runglass}: no runglass binary; run `cargo build --release -p runglass-cli` first")
    runglass = runglass.resolve()
    binaries = [("", str(runglass))]
    if args.compare:
        other = Path(args.compare)
        if not (other.is_file() and os.access(other, os.X_OK)):
            return fail(f"--compare {other}: not an executable file")
        binaries.append((other.name, str(other.resolve())))
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    if unknown := [s for s in sections if s not in SECTIONS]:
        return fail(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    if args.rounds < 1 or args.snapshot_rounds < 1:
        return fail("--rounds and --snapshot-rounds must be at least 1")
    try:
        tree = snapshot.parse_tree(args.tree)
    except ValueError as e:
        return fail(f"--tree: {e}")
    modes = [m.strip() for m in args.snapshot_modes.split(",") if m.strip()]
    if bad := [m for m in modes if m not in ("run", "run --deep")]:
        return fail(f"--snapshot-modes: unknown mode(s) {', '.join(bad)}; known: run, run --deep")

    workdir = Path(args.workloads) if args.workloads else REPO.parent / "shared" / "workloads"
    scripts = []
    for name in args.workload or list(workloads.DEFAULT_WORKLOADS):
        script = (workdir / name).resolve()
        if not script.is_file():
            return fail(f"{script}: no such workload")
        scripts.append((name, script))
    gen_tree = (workdir / "gen-tree.sh").resolve()
    if "snapshot" in sections and not gen_tree.is_file():
        return fail(f"{gen_tree}: no such script (the snapshot benchmark builds its tree with it)")

    strace = shutil.which("strace")
    wanted = list(workloads.ALL_VARIANTS)
    if args.variants:
        wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
        if unknown := [v for v in wanted if v not in workloads.ALL_VARIANTS]:
            return fail(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(workloads.ALL_VARIANTS)}")
        if strace is None and (skipped := [v for v in wanted if v in workloads.STRACE_VARIANTS]):
            print(f"note: strace is not on PATH; skipping {', '.join(skipped)}", file=sys.stderr)
    variants = [workloads.UNTRACED] + [
        v for v in workloads.ALL_VARIANTS
        if v != workloads.UNTRACED and v in wanted and (strace or v not in workloads.STRACE_VARIANTS)
    ]

    if args.cpus:
        try:
            os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",") if c.strip()})  # inherited by every child
        except (ValueError, OSError) as e:
            return fail(f"--cpus {args.cpus}: {e}")

    scratch = Path(tempfile.mkdtemp(prefix="runglass-bench-", dir=args.scratch))
    load = LoadMeter()
    noise = Noise(limit=args.max_other_load / 100, retries=3 * args.rounds * (len(scripts) + 1), patience=120.0)
    tools = [workloads.Tools(path, strace, label) for label, path in binaries]
    overhead, snap, sizes, tree_took = [], None, [], None
    try:
        if "overhead" in sections:
            overhead = [workloads.measure(tools, n, s, variants, args.rounds, noise, scratch) for n, s in scripts]
        if "snapshot" in sections:
            tree_dir = scratch / "tree"
            tree_took = snapshot.generate(gen_tree, tree, tree_dir)
            snap = snapshot.measure(binaries, modes, tree_dir, args.snapshot_rounds, noise, scratch)
        if "sizes" in sections:
            sizes = [s for n, script in scripts for s in logsize.measure(binaries, strace, n, script, scratch)]
    except CommandFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(report.machine_line())
    pinned = f"pinned to CPUs {args.cpus}" if args.cpus else "not pinned"
    py = shutil.which("python3") or "none"
    compared = f" (compared with {binaries[1][1]})" if len(binaries) > 1 else ""
    print(f"Runglass {runglass}{compared}; strace {strace or 'not found'}; python3 for workloads {py}; {pinned}")
    print(f"{load.report()}; rounds thrown away for other load > {args.max_other_load:g}%: {noise.summary()}")
    if overhead:
        print(f"\nOverhead: {args.rounds} timed rounds (+1 warm-up), variants interleaved; "
              "ratio = variant / same round's untraced.\n")
        print(workloads.table(overhead))
    if snap is not None:
        print(f"\nSnapshot: a tree of {tree.describe()} (generated in {tree_took:.0f} s), "
              f"{args.snapshot_rounds} timed rounds (+1 warm-up), interleaved; added = runglass - same round's `true`.\n")
        print(snapshot.table(snap))
    if sizes:
        print("\nEvent log: `run --deep`'s events.log against `strace -f -e trace=<same set> -o FILE`; "
              "events counted as the lines `runglass trace` prints for the same workload.\n")
        print(logsize.table(sizes))
    print("\nTargets (issue 7):\n")
    print(report.targets(overhead, snap, sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
