#!/usr/bin/env bash
# The library as WebAssembly: builds it for wasm32-unknown-unknown without the CLI's dependencies
# (adding the target with rustup when missing), checks the .wasm imports nothing (it runs on bare
# WebAssembly, no JavaScript glue), prints its size, and runs tests/wasm/handwriting.mjs in Node:
# the Handwriting API module recognizes UNIPEN valid words exactly as the native CLI does.
#
#   tests/wasm/run.sh [WORDS]     (default 20)
#
# Environment: INKJOT_BIN (the native CLI to compare with; default: a release build),
# INKJOT_MODELS (default models/), INKJOT_DEMO_DATA (default ../shared/data/unipen/valid.jsonl.gz).
set -euo pipefail
source "$(dirname "$0")/../demo/common.sh"

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
echo "== building the library for wasm32-unknown-unknown (release, --no-default-features)"
cargo build --release --lib --target wasm32-unknown-unknown --no-default-features
wasm="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/release/inkjot.wasm"
echo "== $(stat -c %s "$wasm") bytes ($(gzip -9 -c "$wasm" | wc -c) gzipped): $wasm"
imports=$(node -e '
  const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
  console.log(WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}`).join(" "));' "$wasm")
if [ -n "$imports" ]; then echo "FAIL  the .wasm imports $imports"; echo "0 passed, 1 failed"; exit 1; fi
node "$here/../wasm/handwriting.mjs" "$wasm" "${INKJOT_MODELS:-$root/models}" \
  "${INKJOT_DEMO_DATA:-$root/../shared/data/unipen/valid.jsonl.gz}" "$INKJOT_BIN" "${1:-20}"
