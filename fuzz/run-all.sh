#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), JOBS at a time (default 1), after
# replaying the inputs kept in regressions/, and fails if any target crashes, hangs (one
# input over 10 s), leaks or goes over 2 GiB. Each target's output is in logs/<target>.log;
# what it finds is in artifacts/<target>/, its corpus grows in corpus/<target>/ (seeded
# from seeds/<target>/, which it never changes).
#
#   fuzz/run-all.sh              # every target, 10 minutes each, one after another
#   fuzz/run-all.sh -j 2 60      # every target, 1 minute each, two at a time
#   fuzz/run-all.sh 60 procnet   # only the named targets
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")"

usage() {
  echo "usage: fuzz/run-all.sh [-j JOBS] [SECONDS [TARGET...]]" >&2
  exit 2
}

# One target: `run-all.sh --one SECONDS TARGET` (what xargs below runs, JOBS at a time).
if [ "${1:-}" = --one ]; then
  seconds=$2 target=$3
  mkdir -p "corpus/$target" "artifacts/$target" logs
  if nice -n 19 "$FUZZ_BIN/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="artifacts/$target/" "corpus/$target" "seeds/$target" \
    >"logs/$target.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$target.log")
    echo "ok    $target: $runs runs"
  else
    echo "FAIL  $target: see fuzz/logs/$target.log and fuzz/artifacts/$target/"
    exit 1
  fi
  exit 0
fi

jobs=1
while getopts j: opt; do
  case $opt in
    j) jobs=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
seconds=${1:-600}
[ $# -gt 0 ] && shift
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[0-9]+$ ]] || usage

# cargo-fuzz passes -Z flags to rustc; RUSTC_BOOTSTRAP lets a stable toolchain take them.
export RUSTC_BOOTSTRAP=1
cargo fuzz build
# serve_connection also attacks a real `runglass open` (the debug binary of the workspace).
cargo build --manifest-path ../Cargo.toml -p runglass-cli --bin runglass
FUZZ_BIN=target/$(rustc -vV | sed -n 's/^host: //p')/release
export FUZZ_BIN

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

failed=0
mkdir -p logs
for target in "${targets[@]}"; do
  kept=(regressions/"$target"-*)
  if [ -e "${kept[0]}" ] && ! "$FUZZ_BIN/$target" "${kept[@]}" >"logs/$target.replay.log" 2>&1; then
    echo "FAIL  $target: an input of regressions/ crashes it again (fuzz/logs/$target.replay.log)"
    failed=1
  fi
done

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} "$self" --one "$seconds" {} || failed=1
exit $failed
