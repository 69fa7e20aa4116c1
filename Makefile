# The two commands of the README: `make serve` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# One target directory for native, wasm32 and trunk builds. Set CARGO_TARGET_DIR to share a cache
# between clones (CI points it outside the checkout).
export CARGO_TARGET_DIR ?= $(CURDIR)/target
# node_modules/.bin first: trunk takes binaryen's wasm-opt 132 from npm, not Debian's broken 108.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
# SwiftShader (headless Chromium's software WebGPU) is slow; the browser tests need more than 20 s.
export WASM_BINDGEN_TEST_TIMEOUT ?= 300

TRUNK := trunk --config trunk.toml

.PHONY: setup serve dist test bench fuzz

setup:
	@scripts/setup.sh

## Build the release site and serve it on http://127.0.0.1:8080/
serve: setup
	$(TRUNK) serve --release

## Build the static site into dist/ (relative URLs: host it under any path)
dist: setup
	$(TRUNK) build --release
	@scripts/bundle-size.sh

## Every check: formatting, lints, native tests, browser tests, end-to-end
test: setup
	@scripts/test.sh

## Benchmarks that print figures: ingest, models (beside Keras when TensorFlow is installed), agents, a day's capture,
## real-time watch and the SQL engine natively and in Chromium (beside TF.js), then the ingest benchmark's 250 MB file
## dropped on the release page and trained
bench: setup
	cargo bench --bench ingest
	cargo bench --bench model
	cargo bench --bench agents
	cargo bench --bench capture
	cargo bench --bench watch
	cargo bench --bench engine
	cargo test --target wasm32-unknown-unknown --no-default-features --release --test browser_bench \
		-- --include-ignored --nocapture
	node e2e/tfjs-peer.mjs
	$(TRUNK) build --release
	node e2e/large-file-bench.mjs

## Fuzz the CSV ingest for FUZZ_SECONDS (cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP)
FUZZ_SECONDS ?= 600
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz@0.13.2
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run ingest -- -max_total_time=$(FUZZ_SECONDS) -max_len=8192
