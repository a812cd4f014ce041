#!/usr/bin/env bash
# Remakes docs/receipt-screenshot.png: the page of a real receipt (`runglass demo`, a
# scripted install traced in deep mode), exported and photographed by headless chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p runglass-cli
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export RUNGLASS_DATA_HOME=$scratch/data
./target/release/runglass demo
./target/release/runglass export latest --html --output "$scratch"
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --hide-scrollbars --window-size=1100,1600 --screenshot="$PWD/docs/receipt-screenshot.png" \
  "file://$scratch/receipt.html"
