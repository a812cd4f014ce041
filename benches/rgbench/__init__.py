"""The parts of runglass's benchmark suite; `benches/overhead.py` is the one command that runs them.

- `noise`: telling a quiet machine from a busy one, and throwing away rounds run beside foreign load.
- `runner`: one timed run of one command (wall time and peak memory), and interleaved rounds.
- `workloads`: the tracing-overhead table (each variant against untraced, on the standard workloads).
- `snapshot`: the snapshot benchmark (`runglass run -- true` against `true` in a big generated tree).
- `logsize`: the event log's size against strace's text output for the same workload.
- `report`: the machine line, the markdown tables and the targets.
"""
