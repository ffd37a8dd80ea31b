#!/usr/bin/env bash
# Packages the engine as a JavaScript module in target/pkg (`make pkg`): loupe.js (the
# API), loupe.d.ts (its types), the worker engine that `trunk build` made for the site
# (worker.js, worker_bg.wasm, worker_loader.js: the same optimised build, not a second
# one), a package.json and a README. Needs dist/ from `trunk build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${1:-dist}
OUT=target/pkg
for f in worker.js worker_bg.wasm worker_loader.js; do
  [ -f "$DIST/$f" ] || { echo "pkg: $DIST/$f is missing: run \`trunk build --release --dist $DIST\` first" >&2; exit 2; }
done
version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
rm -rf "$OUT" && mkdir -p "$OUT"
cp "$DIST"/worker.js "$DIST"/worker_bg.wasm "$DIST"/worker_loader.js src/js/loupe.js src/js/loupe.d.ts "$OUT"/
cat > "$OUT/package.json" <<JSON
{
  "name": "loupe-engine",
  "version": "$version",
  "description": "Product analytics in the browser: funnels, retention, trends, revenue and more over an event export, in a Web Worker",
  "type": "module",
  "main": "loupe.js",
  "module": "loupe.js",
  "types": "loupe.d.ts",
  "files": ["loupe.js", "loupe.d.ts", "worker.js", "worker_bg.wasm", "worker_loader.js", "README.md"],
  "sideEffects": false,
  "license": "MIT"
}
JSON
sed -n '/^## The JavaScript module/,/^## /p' README.md | sed '$d' > "$OUT/README.md"
printf 'pkg: %s (loupe-engine %s), worker_bg.wasm %s bytes gzip\n' "$OUT" "$version" "$(gzip -9c "$OUT/worker_bg.wasm" | wc -c)"
