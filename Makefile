# Loupe: every entry point. `make serve` and `make test` install what is missing first.
SHELL := /bin/bash
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CURDIR)/node_modules/.bin:$(CARGO_BIN):$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT ?= 120
PORT ?= 8080

.PHONY: setup serve dist size pkg cli test test-native test-wasm test-e2e crosscheck bench fuzz screenshots fmt lint clean

setup:
	@bash scripts/setup.sh

## the app with live rebuilds, on http://127.0.0.1:$(PORT) ("Try the sample data" on the first screen)
serve: setup
	trunk serve --release --dist target/serve-dist --port $(PORT)

## the static site for any static host, in dist/ (relative URLs: works from any sub-path)
dist: setup
	trunk build --release --dist dist
	-@bash scripts/size.sh --no-build

## the static site's download size per file, and the first page's total against its budget
size: setup
	bash scripts/size.sh

## the engine as a JavaScript module (loupe-engine with TypeScript types), in target/pkg
pkg: dist
	bash scripts/pkg.sh

## the native CLI, in target/release/loupe
cli:
	cargo build --release --bin loupe

## every test: native, wasm in headless Chromium, DuckDB cross-check, end-to-end in Chromium
test: setup
	@bash scripts/test.sh

test-native:
	cargo test --locked --lib --bins --tests

test-wasm: setup
	cargo test --locked --target wasm32-unknown-unknown --test web --test web_worker

crosscheck: cli
	bash scripts/crosscheck.sh --rebuild

test-e2e: pkg cli
	node --test tests/e2e/

## a PNG of every view in en and zh (and 400 px / dark mode) in target/screenshots/
screenshots: dist
	node scripts/screenshots.mjs

## benchmarks (not part of `make test`)
bench: cli
	bash scripts/bench.sh

## ingest fuzzing, FUZZ_SECS per target (default 300; `make test` runs a 10 s smoke of it)
fuzz:
	bash scripts/fuzz.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

clean:
	rm -rf target dist
