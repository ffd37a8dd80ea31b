#!/usr/bin/env bash
# Ingest fuzzing, not part of `make test` (which runs a 10-second smoke of the stable fuzzer,
# tests/fuzz.rs). Runs each coverage-guided target in fuzz/ (cargo-fuzz, libFuzzer, needs a
# nightly toolchain and `cargo install cargo-fuzz`) for FUZZ_SECS seconds, then the stable
# fuzzer in release mode for FUZZ_SECS seconds. Leak detection is off: LeakSanitizer
# reports the C library's 32-byte record of a Rust thread-local's destructor
# (`__cxa_thread_atexit_impl`), which is not a leak of ours; what is fuzzed is panics,
# hangs and unaccounted rows. Without cargo-fuzz or nightly, only the stable fuzzer runs. Crashes land in fuzz/artifacts/<target>/ and target/fuzz-failures/.
#   FUZZ_SECS=600 make fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
secs="${FUZZ_SECS:-300}"
corpus="$PWD/target/fuzz-corpus"
log="target/fuzz-runs.log"
mkdir -p target
if cargo +nightly fuzz --version >/dev/null 2>&1; then
  targets=$(cd fuzz && cargo +nightly fuzz list)
  LOUPE_FUZZ_CORPUS="$corpus" LOUPE_FUZZ_TARGETS="$targets" \
    cargo test --release --test fuzz -- --ignored --exact write_corpus
  for t in $targets; do
    echo "== cargo fuzz run $t (${secs} s)"
    (cd fuzz && cargo +nightly fuzz run "$t" "$corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -detect_leaks=0)
    echo "$(date -u +%FT%TZ) libfuzzer $t ${secs}s ok" >> "$log"
  done
else
  echo "cargo-fuzz or a nightly toolchain is missing: the stable fuzzer runs alone"
fi
echo "== stable fuzzer (${secs} s)"
LOUPE_FUZZ_SECS="$secs" cargo test --release --test fuzz -- --nocapture
echo "$(date -u +%FT%TZ) stable ${secs}s ok" >> "$log"
echo "fuzz time so far (target/fuzz-runs.log):"
awk '{sub("s","",$4); s+=$4} END {printf "%d s in all\n", s}' "$log"
