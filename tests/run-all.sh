#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what the tests need, build
# everything, run every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need beyond the Rust toolchain: gcc and the C/kernel headers for the
# fixture programs; chromium, the real browser the receipts' HTML pages are checked in
# (fonts come with it through libfontconfig1's dependencies, so no recommends are needed).
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v git >/dev/null || need+=(git)
[ -e /usr/include/linux/openat2.h ] || need+=(linux-libc-dev)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
command -v chromium >/dev/null || need+=(chromium)
# docker.io: the docker tests start their own dockerd on a private socket (never a
# system-wide one); busybox-static: the root filesystem of the image they import.
command -v dockerd >/dev/null || need+=(docker.io)
[ -e /bin/busybox ] || need+=(busybox-static)
# python3: the network tests' traced Python programs (tests/network_names.rs runs
# /usr/bin/python3 by that path, so that argv is exactly what it ran).
[ -x /usr/bin/python3 ] || need+=(python3)
# libcap2-bin: setcap, for the file-capability programs of tests/privileges_deep.rs.
command -v setcap >/dev/null || need+=(libcap2-bin)
# strace: the outer tracer of tests/trace_command.rs (an oracle in tests, never used by runglass).
command -v strace >/dev/null || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "tests/run-all.sh: please install: ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends "${need[@]}"
fi

export CARGO_TERM_COLOR=never
cargo build --locked --workspace --all-targets
# The suite runs under `runglass ci`, as a user's CI job would: its exit status is the
# suite's, and the receipt directory it leaves must pass `runglass validate`.
receipt=target/ci-receipt
target/debug/runglass ci --output "$receipt" -- cargo test --locked --workspace --no-fail-fast
target/debug/runglass validate "$receipt"

# The fuzz targets must keep compiling (plain build, no sanitizer instrumentation).
if [ -f fuzz/Cargo.toml ]; then
  CARGO_TARGET_DIR=target/fuzz-build cargo build --manifest-path fuzz/Cargo.toml
fi

# No import cycles between the files of any crate (docs/architecture.md).
python3 tests/module_cycles.py
