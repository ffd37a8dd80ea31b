#!/usr/bin/env bash
# Benchmarks (not part of `make test`): the native engine (`loupe bench`) and the wasm
# engine in its Web Worker in headless Chromium, on data from ../shared/bench/gen_events.py.
#   scripts/bench.sh            # 1m events
#   SIZES=1m,10m scripts/bench.sh
# Results are appended to target/bench/results.jsonl and printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
SIZES="${SIZES:-1m}"
RUNS="${RUNS:-5}"
mkdir -p target/bench
[ -f dist/index.html ] || trunk build --release --dist dist
for size in ${SIZES//,/ }; do
  # generates the data on first use and checks the answers against DuckDB on it
  bash scripts/crosscheck.sh --size "$size"
  f="target/crosscheck-data/events_$size.csv"
  echo "== native: loupe bench $f"
  target/release/loupe bench "$f" --runs "$RUNS" | tee -a target/bench/results.jsonl
  echo
  echo "== wasm in Chromium: $f"
  node bench/browser.mjs --dist dist --runs "$RUNS" "$f" | tee -a target/bench/results.jsonl
done
