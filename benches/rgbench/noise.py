"""Foreign load on a shared machine: measuring it, waiting for quiet, and the budget of rounds to throw away.

A fuzzer or a build running beside the benchmark skews the ratios in either direction (in one
contaminated run `trace` on `make-c.sh` came out faster than untraced), so the suite compares the
machine's busy time (`/proc/stat`) with its own and its children's CPU time (`os.times()`): the
difference is other processes' load.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field


class LoadMeter:
    """CPU time the whole machine spent busy vs. what this script and its children used."""

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
        """Share of the whole machine's CPU capacity used by other processes since the last reset."""
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

    def throw_away(self, label: str, frac: float) -> bool:
        """True (and counted) when a round that ran beside `frac` foreign load is to be run again."""
        if frac <= self.limit or self.retries <= 0:
            return False
        self.retries -= 1
        self.discarded[label] = self.discarded.get(label, 0) + 1
        print(f"  {label}: round thrown away, other load {100 * frac:.0f}%", file=sys.stderr, flush=True)
        return True

    def summary(self) -> str:
        return ", ".join(f"{label} {n}" for label, n in self.discarded.items()) or "none"
