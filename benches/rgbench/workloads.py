"""The tracing-overhead benchmark: each standard workload untraced and under every variant,
interleaved, as median wall-time ratios to the same round's untraced time."""

from __future__ import annotations

import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .noise import Noise
from .runner import FRESH, Cmd, Rounds, interleave

DEFAULT_WORKLOADS = ("forks.sh", "make-c.sh", "py-imports.sh")
# The syscalls runglass's engine stops on, as the workloads README quotes them.
STRACE_SET = "execve,execveat,connect,openat,openat2,unlinkat,renameat2"

UNTRACED = "untraced"
RUN = "run"
RUN_DEEP = "run --deep"
RUN_DEEP_READS = "run --deep --reads"
TRACE = "trace"
TRACE_READS = "trace --reads"
STRACE_BPF = "strace --seccomp-bpf"
STRACE = "strace"
ALL_VARIANTS = (UNTRACED, RUN, RUN_DEEP, RUN_DEEP_READS, TRACE, TRACE_READS, STRACE_BPF, STRACE)
STRACE_VARIANTS = (STRACE_BPF, STRACE)


@dataclass
class Tools:
    runglass: str
    strace: str | None
    # Appended to the names of this binary's variants: empty for the binary under test, the
    # file name of a binary it is compared with (--compare).
    label: str = ""

    def argv(self, variant: str, script: Path) -> list[str]:
        sh = ["sh", str(script)]
        rg = self.runglass
        return {
            UNTRACED: sh,
            RUN: [rg, "run", "--", *sh],
            RUN_DEEP: [rg, "run", "--deep", "--", *sh],
            RUN_DEEP_READS: [rg, "run", "--deep", "--reads", "--", *sh],
            TRACE: [rg, "trace", "-o", "/dev/null", "--", *sh],
            TRACE_READS: [rg, "trace", "--reads", "-o", "/dev/null", "--", *sh],
            STRACE_BPF: [str(self.strace), "-f", "--seccomp-bpf", "-e", f"trace={STRACE_SET}", "-o", "/dev/null", *sh],
            STRACE: [str(self.strace), "-f", "-e", f"trace={STRACE_SET}", "-o", "/dev/null", *sh],
        }[variant]

    def name(self, variant: str) -> str:
        return f"{variant} [{self.label}]" if self.label else variant

    def cmd(self, variant: str, script: Path, cwd: Path) -> Cmd:
        # Every `run` gets a fresh data directory: no stat cache, no blobs from earlier runs.
        data_home = FRESH if variant.startswith("run") else None
        return Cmd(self.name(variant), self.argv(variant, script), cwd, data_home)


def uses_runglass(variant: str) -> bool:
    return variant.startswith(("run", "trace"))


def measure(
    tools: list[Tools], name: str, script: Path, variants: list[str], rounds: int, noise: Noise, scratch: Path
) -> Rounds:
    """Interleaved rounds of every variant of one workload, in a private empty working directory;
    the runglass variants once per binary in `tools` (the first is the one under test)."""
    cwd = Path(tempfile.mkdtemp(prefix=f"cwd-{name}-", dir=scratch))
    try:
        cmds = [tools[0].cmd(v, script, cwd) for v in variants]
        cmds += [t.cmd(v, script, cwd) for t in tools[1:] for v in variants if uses_runglass(v)]
        return interleave(name, cmds, rounds, noise, scratch)
    finally:
        shutil.rmtree(cwd, ignore_errors=True)


def ratios(r: Rounds, variant: str) -> list[float]:
    return [t / u for t, u in zip(r.seconds(variant), r.seconds(UNTRACED))]


def table(results: list[Rounds]) -> str:
    lines = [
        "| workload | variant | median ratio | min | max | median s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        for v in r.samples:
            secs = statistics.median(r.seconds(v))
            if v == UNTRACED:
                lines.append(f"| {r.label} | {v} | 1.00x | - | - | {secs:.3f} |")
                continue
            rs = ratios(r, v)
            lines.append(
                f"| {r.label} | {v} | {statistics.median(rs):.2f}x | {min(rs):.2f}x | {max(rs):.2f}x | {secs:.3f} |"
            )
    return "\n".join(lines)
