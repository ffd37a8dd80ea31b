#!/usr/bin/env bash
# One idempotent set-up for building, serving and testing Loupe on a fresh machine.
# Every tool is pinned; anything already installed at the pinned version is skipped.
# Sources: crates.io (cargo install), Debian packages (apt), the npm registry (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# must equal the wasm-bindgen version in Cargo.lock (checked below)
WASM_BINDGEN_VERSION=0.2.130

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

lock_wb=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$lock_wb" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: Cargo.lock has wasm-bindgen $lock_wb but setup pins $WASM_BINDGEN_VERSION; update scripts/setup.sh" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (takes a few minutes)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # not --locked: the crate's own lock file names a dependency version that is not published
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# chromium + driver for browser tests; Noto CJK so screenshots of the Chinese UI show glyphs
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
   || [ ! -d /usr/share/fonts/opentype/noto ]; then
  log "installing Debian chromium, chromium-driver and fonts-noto-cjk"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    chromium chromium-driver fonts-noto-cjk
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing pinned node tools (binaryen for wasm-opt, playwright-core, axe-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -f target/.fetched ] || [ Cargo.lock -nt target/.fetched ]; then
  log "fetching crates (so Trunk can build offline)"
  cargo fetch --locked
  mkdir -p target && touch target/.fetched
fi
log "ready: trunk $(trunk --version | awk '{print $2}'), wasm-bindgen $WASM_BINDGEN_VERSION, $(chromium --version 2>/dev/null | head -1)"
