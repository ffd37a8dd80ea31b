#!/usr/bin/env bash
# Runs every test suite in order, then prints one line per suite and a closing count.
# Called by `make test` (after scripts/setup.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
LOGS=target/test-logs
mkdir -p "$LOGS"

failed=()
summary=()
passed_total=0
failed_total=0
step() {
  local name=$1 log="$LOGS/$2.log"; shift 2
  local t0=$SECONDS status
  printf '\n\033[1m== %s ==\033[0m\n' "$name"
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # count tests from the runners' own closing lines (cargo/libtest and node:test)
  local p f
  p=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
  f=$(grep -oE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
  p=$((p + $(grep -oE '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  f=$((f + $(grep -oE '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed_total=$((passed_total + p))
  failed_total=$((failed_total + f))
  if [ "$status" -eq 0 ]; then
    summary+=("ok      $name: $p passed ($((SECONDS - t0)) s)")
  else
    summary+=("FAILED  $name: $p passed, $f failed ($((SECONDS - t0)) s)")
    failed+=("$name")
  fi
}

step "native tests (unit + integration)" native cargo test --locked --lib --bins --tests
step "wasm tests in headless Chromium" wasm cargo test --locked --target wasm32-unknown-unknown --test web --test web_worker
step "cross-check against DuckDB SQL" crosscheck bash scripts/crosscheck.sh --rebuild
step "build the static site" dist trunk build --release --dist dist
step "package the JavaScript module" pkg bash scripts/pkg.sh
# the first page's download (gzip) against its budget (issue 18), on the site just built
step "first page download size" size bash scripts/size.sh --no-build
step "end-to-end tests in Chromium" e2e node --test tests/e2e/
# the benchmark page speaks the worker protocol too: one quick run on the e2e data
step "benchmark page smoke run" bench timeout 300 node bench/browser.mjs --dist dist --runs 1 target/e2e/events.csv

echo
printf '%s\n' "${summary[@]}"
grep -h '^first page:' "$LOGS/size.log" | sed 's/^/size    /'
echo
echo "tests: $passed_total passed, $failed_total failed"
[ ${#failed[@]} -eq 0 ]
