#!/usr/bin/env bash
# Installs what NetSentry's build and tests need and is missing, at the pinned versions.
# Safe to run again: each step checks first. Everything comes from a package registry
# (rustup, crates.io, Debian, npm); trunk runs offline, so it never downloads a binary itself.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock, or trunk and the test runner refuse.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

step() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
  # Not --locked: its lock file pins crates that no longer build with this toolchain.
  cargo install --force wasm-bindgen-cli@"$WASM_BINDGEN_VERSION"
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "installing trunk $TRUNK_VERSION (about 10 minutes)"
  cargo install --locked --force trunk@"$TRUNK_VERSION"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "installing Debian's chromium and chromium-driver"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  step "installing Node.js and npm"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
fi

# binaryen's wasm-opt (version 132; Debian's 108 breaks the module) shrinks the release wasm, and
# playwright-core drives the system Chromium in the end-to-end test (it never downloads a browser),
# axe-core checks the page's accessibility inside it, and TensorFlow.js is the browser benchmark's
# peer (`make bench`).
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.netsentry-lock; then
  step "installing npm packages (binaryen, playwright-core, axe-core, TensorFlow.js)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.netsentry-lock
fi
