#!/usr/bin/env bash
# Download size of the static site: per file in dist/, raw and `gzip -9` bytes; the total
# the first page fetches (index.html and every file it names: CSS, app JS and wasm); and
# the total with the worker files, fetched when a dataset is opened.
#   scripts/size.sh              # builds the site first (trunk build --release --dist dist)
#   scripts/size.sh --no-build   # measures the dist/ already there (as `make test` does)
# Exits 1 when the first page exceeds BUDGET gzip bytes (default 690000: the 600 kB target of
# issue 18 is missed today, 683 kB; this guard stops it growing further).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
BUDGET="${BUDGET:-690000}"
[ "${1:-}" = --no-build ] || trunk build --release --dist dist >&2
first=0 all=0
printf '%-44s %10s %10s\n' file raw gzip
for f in dist/*; do
  [ -f "$f" ] || continue
  n=${f#dist/} raw=$(wc -c <"$f") gz=$(gzip -9c "$f" | wc -c) tag=
  all=$((all + gz))
  if [ "$n" = index.html ] || grep -qF "$n" dist/index.html; then first=$((first + gz)); tag=' first page'; fi
  printf '%-44s %10d %10d%s\n' "$n" "$raw" "$gz" "$tag"
done
printf 'first page: %d bytes gzip (budget %d); with the worker: %d bytes gzip\n' "$first" "$BUDGET" "$all"
[ "$first" -le "$BUDGET" ] || { echo "first page over budget by $((first - BUDGET)) bytes" >&2; exit 1; }
