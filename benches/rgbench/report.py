"""The report's header lines and its last table: each of issue 7's targets, what was measured and
whether it is met."""

from __future__ import annotations

import datetime
import os
import statistics

from . import snapshot, workloads
from .logsize import Size
from .runner import Rounds

# Median ratio to untraced, per workload (issue 7).
RATIO_TARGETS = {workloads.RUN_DEEP: 1.15, workloads.RUN_DEEP_READS: 1.30, workloads.RUN: 1.05}
FIRST_RUN_ADDED_S = 3.0
FIRST_RUN_PEAK_MIB = 150.0
REPEATED_RUN_ADDED_S = 0.5
LOG_TO_STRACE = 0.10


def machine_line() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"Machine: nproc {os.cpu_count() or 0}, kernel {os.uname().release}, CPU {model}; date {date}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(overhead: list[Rounds], snap: Rounds | None, sizes: list[Size]) -> str:
    rows = ["| target | measured | |", "| --- | --- | --- |"]
    for variant, limit in RATIO_TARGETS.items():
        for r in overhead:
            if variant not in r.samples:
                continue
            ratio = statistics.median(workloads.ratios(r, variant))
            rows.append(f"| `{variant}`, {r.label}: <= {limit:.2f}x | {ratio:.2f}x | {verdict(ratio <= limit)} |")
    if snap is not None:
        first, repeated = "run -- true, first run", "run -- true, repeated run"
        if first in snap.samples:
            added = snapshot.added(snap, first)
            peak = snapshot.peak_mib(snap, first)
            rows.append(f"| snapshot, first run: <= {FIRST_RUN_ADDED_S:g} s added | {added:.2f} s "
                        f"| {verdict(added <= FIRST_RUN_ADDED_S)} |")
            rows.append(f"| snapshot, first run: peak RSS <= {FIRST_RUN_PEAK_MIB:g} MiB | {peak:.0f} MiB "
                        f"| {verdict(peak <= FIRST_RUN_PEAK_MIB)} |")
        if repeated in snap.samples:
            added = snapshot.added(snap, repeated)
            rows.append(f"| snapshot, repeated run: <= {REPEATED_RUN_ADDED_S:g} s added | {added:.2f} s "
                        f"| {verdict(added <= REPEATED_RUN_ADDED_S)} |")
    for s in sizes:
        ratio = s.ratio()
        # The target is the log of `run --deep`; the `--reads` rows are for comparison per event.
        if ratio is not None and s.variant == workloads.RUN_DEEP:
            rows.append(f"| event log of `{s.variant}`, {s.workload}: <= 1/10 of strace's | {ratio:.3f} "
                        f"| {verdict(ratio <= LOG_TO_STRACE)} |")
    return "\n".join(rows)
