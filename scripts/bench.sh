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
touch target/bench/results.jsonl
before=$(wc -l <target/bench/results.jsonl)
for size in ${SIZES//,/ }; do
  # generates the data on first use and checks the answers against DuckDB on it
  bash scripts/crosscheck.sh --size "$size"
  f="target/crosscheck-data/events_$size.csv"
  echo "== native: loupe bench $f"
  target/release/loupe bench "$f" --runs "$RUNS" | tee -a target/bench/results.jsonl
  echo
  echo "== wasm in Chromium: $f"
  node bench/browser.mjs --dist dist --runs "$RUNS" "$f" | tee -a target/bench/results.jsonl
  # load throughput of the same events as NDJSON and as Parquet (snappy), written from the
  # CSV by DuckDB on first use; one cheap analysis, the load is what is measured
  for fmt in ndjson parquet; do
    g="target/crosscheck-data/events_$size.$fmt"
    if [ ! -f "$g" ]; then
      # NDJSON keeps the CSV's timestamp text; Parquet gets a typed UTC timestamp
      case $fmt in
        ndjson) read="read_csv('$f', types={'timestamp': 'VARCHAR'})" copy="(FORMAT json)" ;;
        parquet) read="read_csv('$f')" copy="(FORMAT parquet, COMPRESSION snappy)" ;;
      esac
      .venv/bin/python -c "import duckdb, sys; duckdb.sql(sys.argv[1])" \
        "COPY (SELECT * FROM $read) TO '$g' $copy"
    fi
    echo "== native load: loupe bench $g"
    target/release/loupe bench "$g" --runs 1 --only trends | tee -a target/bench/results.jsonl
    echo
    echo "== wasm load in Chromium: $g"
    node bench/browser.mjs --dist dist --runs 1 "$g" | tee -a target/bench/results.jsonl
  done
done

# load throughput of this run, one line per file and engine: MB/s and rows/s over the load
# time, and (in Chromium) the wasm memory once loaded, its peak while loading
echo "== load throughput"
tail -n +"$((before + 1))" target/bench/results.jsonl | node -e '
  const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  for (const r of lines) {
    const mem = r.wasm_memory_bytes ? `  peak wasm memory ${(r.wasm_memory_bytes / 1e6).toFixed(0)} MB` : "";
    console.log(`${r.engine.padEnd(12)} ${String(r.file).split("/").pop().padEnd(22)} ${r.load_mb_per_s.toFixed(1).padStart(6)} MB/s ` +
      `${Math.round(r.load_rows_per_s).toLocaleString("en").padStart(10)} rows/s${mem}`);
  }'

# DuckDB-WASM side by side, same machine, same files (DUCKDB=0 skips it)
if [ "${DUCKDB:-1}" = 1 ]; then
  dd=target/duckdb-bench
  if [ ! -d "$dd/duckdb-wasm/node_modules/@duckdb" ]; then
    rm -rf "$dd" && mkdir -p "$dd"
    cp -r ../shared/bench/*.sql ../shared/bench/duckdb-wasm "$dd/"
    (cd "$dd/duckdb-wasm" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  echo "== DuckDB-WASM in Chromium"
  node "$dd/duckdb-wasm/run.mjs" --sizes "$SIZES" --runs "$RUNS" --data target/crosscheck-data \
    --out target/bench/duckdb-wasm.jsonl
fi
