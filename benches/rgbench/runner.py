"""Running commands for the suite: one timed run (wall time and peak memory), and rounds of several
commands interleaved (A B C A B C ...) with the noise guard.

Each command runs with stdout and stderr discarded. A command whose `data_home` is `FRESH` gets a
new empty `RUNGLASS_DATA_HOME` per run, made and removed outside the timed region; `FRESH_KEPT`
too, but the directory is left for the caller to remove with the scratch directory; one with a
path keeps using that directory (a repeated run).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .noise import LoadMeter, Noise, wait_quiet

FRESH = "fresh"
# Removing a data directory of 20 000 blobs right before the next run skews that run: ext4 then
# scans the just-freed inodes at every file it creates (`recently_deleted` was half of a first
# run's kernel time in a profile). The snapshot benchmark's first runs keep theirs to the end.
FRESH_KEPT = "fresh, kept"


class CommandFailed(Exception):
    pass


@dataclass
class Cmd:
    """One command of a round: its name in the tables, argv, working directory, data directory."""

    name: str
    argv: list[str]
    cwd: Path
    data_home: str | Path | None = None


@dataclass
class Sample:
    seconds: float
    maxrss_kib: int  # peak resident set of the command and the descendants it waited for


def run_once(cmd: Cmd, scratch: Path) -> Sample:
    """Runs `cmd` once; raises CommandFailed if it exits non-zero."""
    env = None
    fresh = None
    if cmd.data_home in (FRESH, FRESH_KEPT):
        home = Path(tempfile.mkdtemp(prefix="data-", dir=scratch))
        env = dict(os.environ, RUNGLASS_DATA_HOME=str(home))
        fresh = home if cmd.data_home == FRESH else None
    elif cmd.data_home is not None:
        env = dict(os.environ, RUNGLASS_DATA_HOME=str(cmd.data_home))
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # wait4 rather than Popen.wait: its rusage carries the child's peak RSS.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
    if proc.returncode != 0:
        raise CommandFailed(f"{cmd.name!r} exited with status {proc.returncode}: {shlex.join(cmd.argv)}")
    return Sample(elapsed, usage.ru_maxrss)


@dataclass
class Rounds:
    """The samples of interleaved rounds, by command name, in round order."""

    label: str
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def seconds(self, name: str) -> list[float]:
        return [s.seconds for s in self.samples[name]]


def interleave(
    label: str, cmds: list[Cmd], rounds: int, noise: Noise, scratch: Path, between=None
) -> Rounds:
    """One untimed warm-up round (fills caches, checks every command succeeds), then `rounds` kept
    rounds of every command in turn. `between`, if given, is called after each command (outside
    the timed region: cleaning up after a run that wrote a lot)."""
    result = Rounds(label, {c.name: [] for c in cmds})
    meter = LoadMeter()
    print(f"  {label}: warm-up", file=sys.stderr, flush=True)
    for cmd in cmds:
        run_once(cmd, scratch)
        if between:
            between()
    done = 0
    while done < rounds:
        wait_quiet(noise.limit, noise.patience)
        print(f"  {label}: round {done + 1}/{rounds}", file=sys.stderr, flush=True)
        meter.reset()
        samples = {}
        for cmd in cmds:
            samples[cmd.name] = run_once(cmd, scratch)
            if between:
                between()
        if noise.throw_away(label, meter.other_fraction()):
            continue
        for name, sample in samples.items():
            result.samples[name].append(sample)
        done += 1
    return result
