#!/usr/bin/env bash
# Prints the size of the built wasm module in dist/, as served and gzipped (what a browser
# downloads from a server that compresses).
set -euo pipefail
cd "$(dirname "$0")/.."
for wasm in dist/*.wasm; do
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  awk -v f="$wasm" -v r="$raw" -v g="$gz" 'BEGIN { printf "%s: %.2f MB, %.2f MB gzipped\n", f, r / 1e6, g / 1e6 }'
done
