"""The snapshot benchmark: `runglass run -- true` against a bare `true` in a big generated tree
(`gen-tree.sh`), first run (a fresh data directory: every file read, and stored in normal mode)
and repeated run (the same data directory: the stat cache vouches for unchanged files), with the
peak memory of runglass."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .noise import Noise
from .runner import FRESH_KEPT, Cmd, Rounds, interleave

BARE = "true"
# The stat cache trusts only files whose times are older than the snapshot by this much
# (cli/src/collect/snapshot/cache.rs, RACY_WINDOW_NS, plus a margin): a tree younger than that is read
# again by every run and the repeated run would measure nothing.
RACY_WINDOW_S = 3.5


@dataclass
class Tree:
    files: int
    mib: int

    def describe(self) -> str:
        return f"{self.files} files, {self.mib} MiB"


def parse_tree(text: str) -> Tree:
    """`FILES:MIB`, e.g. 20000:1024."""
    files, _, mib = text.partition(":")
    tree = Tree(int(files), int(mib))
    if tree.files < 1 or tree.mib < 0:
        raise ValueError(f"{text}: FILES must be at least 1 and MIB at least 0")
    return tree


def generate(gen_tree: Path, tree: Tree, dest: Path) -> float:
    """Builds the tree with the workloads' gen-tree.sh; returns how long that took."""
    print(f"  snapshot: generating a tree of {tree.describe()} in {dest}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    subprocess.run(["sh", str(gen_tree), str(dest), str(tree.files), str(tree.mib)], check=True)
    took = time.perf_counter() - start
    time.sleep(RACY_WINDOW_S)
    return took


def measure(
    binaries: list[tuple[str, str]], modes: list[str], tree_dir: Path, rounds: int, noise: Noise, scratch: Path
) -> Rounds:
    """Interleaved rounds: bare `true`, then for each binary (label, path; the first, unlabelled,
    is the one under test) and mode (`run`, `run --deep`) a first run in a fresh data directory
    and a repeated run in one kept across rounds (primed by the warm-up)."""
    cmds = [Cmd(BARE, ["true"], tree_dir)]
    for n, (label, runglass) in enumerate(binaries):
        suffix = f" [{label}]" if label else ""
        for mode in modes:
            argv = [runglass, *mode.split(), "--", "true"]
            kept = scratch / f"data-kept-{n}-{mode.replace(' ', '')}"
            kept.mkdir()
            cmds.append(Cmd(f"{mode} -- true, first run{suffix}", argv, tree_dir, FRESH_KEPT))
            cmds.append(Cmd(f"{mode} -- true, repeated run{suffix}", argv, tree_dir, kept))
    # A first run in normal mode writes the whole tree into the blob store: sync so that its
    # writeback is not charged to the next command. Its data directory stays until the scratch
    # directory goes (see FRESH_KEPT): up to rounds + 1 copies of the tree on disk.
    return interleave("snapshot", cmds, rounds, noise, scratch, between=os.sync)


def table(r: Rounds) -> str:
    lines = [
        "| command | median s | added s (median) | min added | max added | runglass peak RSS |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    bare = r.seconds(BARE)
    for name, samples in r.samples.items():
        secs = [s.seconds for s in samples]
        if name == BARE:
            lines.append(f"| `{name}` | {statistics.median(secs):.3f} | - | - | - | - |")
            continue
        added = [t - b for t, b in zip(secs, bare)]
        rss = max(s.maxrss_kib for s in samples) / 1024
        lines.append(
            f"| `runglass {name}` | {statistics.median(secs):.3f} | {statistics.median(added):.3f} "
            f"| {min(added):.3f} | {max(added):.3f} | {rss:.0f} MiB |"
        )
    return "\n".join(lines)


def added(r: Rounds, name: str) -> float:
    return statistics.median(t - b for t, b in zip(r.seconds(name), r.seconds(BARE)))


def peak_mib(r: Rounds, name: str) -> float:
    return max(s.maxrss_kib for s in r.samples[name]) / 1024
