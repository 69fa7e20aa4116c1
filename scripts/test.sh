#!/usr/bin/env bash
# Runs every check NetSentry has, in order of cost, and ends with a count of the tests that ran.
# Called by `make test` (which installs the tools first and sets PATH and the target directory).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM=(--target wasm32-unknown-unknown --no-default-features)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

stage() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

stage "format"
cargo fmt --check

stage "lints (native)"
cargo clippy --all-targets --locked -- -D warnings
stage "lints (wasm32)"
cargo clippy "${WASM[@]}" --lib --test browser --test browser_bench --release --locked -- -D warnings

stage "native tests"
cargo test --locked 2>&1 | tee -a "$log"

stage "browser tests (wasm-bindgen-test, headless Chromium with WebGPU)"
cargo test "${WASM[@]}" --release --locked --test browser 2>&1 | tee -a "$log"

stage "end-to-end (release build served from a sub-path, driven in Chromium)"
trunk --config trunk.toml build --release
scripts/bundle-size.sh
node --test e2e/ 2>&1 | tee -a "$log"

stage "summary"
awk '
  /^test result: ok\./ { for (i = 1; i <= NF; i++) if ($(i) ~ /^passed/) cargo += $(i - 1) }
  /^# pass / { e2e += $3 }
  END { printf "rust tests passed: %d (native and browser)\nend-to-end tests passed: %d\n", cargo, e2e }
' "$log"
