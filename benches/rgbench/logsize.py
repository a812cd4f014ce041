"""The event log's size against strace's text output for the same workload: `run --deep`'s
`events.log` (and with `--reads`, which logs the read-only opens strace prints too), the number of
events (the lines `runglass trace` prints for the same run), and `strace -f -e trace=<same set>`'s
output in bytes and lines."""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .runner import CommandFailed
from .workloads import STRACE_SET


@dataclass
class Size:
    workload: str
    variant: str
    log_bytes: int
    events: int
    strace_bytes: int | None
    strace_lines: int | None

    def ratio(self) -> float | None:
        return self.log_bytes / self.strace_bytes if self.strace_bytes else None


def run(argv: list[str], cwd: Path, env: dict | None = None) -> None:
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise CommandFailed(f"exited with status {proc.returncode}: {shlex.join(argv)}")


def lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def measure(
    binaries: list[tuple[str, str]], strace: str | None, workload: str, script: Path, scratch: Path
) -> list[Size]:
    """The log sizes of `run --deep` and `run --deep --reads` for each binary (label, path; the
    first, unlabelled, is the one under test), and strace's output, for one workload."""
    work = Path(tempfile.mkdtemp(prefix=f"size-{workload}-", dir=scratch))
    try:
        cwd = work / "cwd"
        cwd.mkdir()
        strace_bytes = strace_lines = None
        if strace:
            out = work / "strace.txt"
            run([strace, "-f", "-e", f"trace={STRACE_SET}", "-o", str(out), "sh", str(script)], cwd)
            strace_bytes, strace_lines = os.path.getsize(out), lines(out)
        sizes = []
        for (label, runglass), reads in ((b, r) for b in binaries for r in ([], ["--reads"])):
            data_home = Path(tempfile.mkdtemp(prefix="data-", dir=work))
            run([runglass, "run", "--deep", *reads, "--", "sh", str(script)], cwd,
                dict(os.environ, RUNGLASS_DATA_HOME=str(data_home)))
            logs = glob.glob(str(data_home / "receipts" / "*" / "events.log"))
            if len(logs) != 1:
                raise CommandFailed(f"{workload}: expected one receipts/*/events.log, found {len(logs)}")
            trace_out = work / "trace.txt"
            run([runglass, "trace", *reads, "-o", str(trace_out), "--", "sh", str(script)], cwd)
            variant = " ".join(["run --deep", *reads]) + (f" [{label}]" if label else "")
            sizes.append(Size(workload, variant, os.path.getsize(logs[0]), lines(trace_out), strace_bytes, strace_lines))
        return sizes
    finally:
        shutil.rmtree(work, ignore_errors=True)


def human(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.2f} MiB"


def table(sizes: list[Size]) -> str:
    out = [
        "| workload | log of | events.log | events | bytes/event | strace -f output | strace lines "
        "| bytes/line | log / strace |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in sizes:
        per_event = f"{s.log_bytes / s.events:.1f}" if s.events else "-"
        if s.strace_bytes is None:
            out.append(f"| {s.workload} | {s.variant} | {human(s.log_bytes)} | {s.events} | {per_event} | - | - | - | - |")
            continue
        per_line = f"{s.strace_bytes / s.strace_lines:.1f}" if s.strace_lines else "-"
        ratio = s.ratio()
        out.append(
            f"| {s.workload} | {s.variant} | {human(s.log_bytes)} | {s.events} | {per_event} "
            f"| {human(s.strace_bytes)} | {s.strace_lines} | {per_line} | {'-' if ratio is None else f'{ratio:.3f}'} |"
        )
    return "\n".join(out)
