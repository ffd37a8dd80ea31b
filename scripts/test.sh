#!/usr/bin/env bash
# Runs every test suite in order and prints one closing line per suite and a summary.
# Called by `make test` (after scripts/setup.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

failed=()
step() {
  local name=$1; shift
  local t0=$SECONDS
  printf '\n\033[1m== %s ==\033[0m\n' "$name"
  if "$@"; then
    printf '== %s: ok (%ss)\n' "$name" $((SECONDS - t0))
  else
    printf '== %s: FAILED (%ss)\n' "$name" $((SECONDS - t0))
    failed+=("$name")
  fi
}

step "native tests (unit + integration)" cargo test --locked
step "wasm tests in headless Chromium" cargo test --locked --target wasm32-unknown-unknown --test web --test web_worker
step "cross-check against DuckDB SQL" bash scripts/crosscheck.sh --rebuild
step "build the static site" trunk build --release --dist dist
step "end-to-end tests in Chromium" node --test tests/e2e/

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test suites passed"
else
  echo "failed suites: ${failed[*]}"
  exit 1
fi
