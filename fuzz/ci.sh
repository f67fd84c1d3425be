#!/usr/bin/env bash
# Runs every fuzz target briefly (FUZZ_SECONDS each, default 20) on the committed corpus and fails
# on any crash, panic, leak, timeout or out-of-memory. Installs nightly and cargo-fuzz if missing.
# New inputs go to a temporary folder: the committed corpus is never changed. Crashes are kept
# under fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-20}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# Inputs of the targets that fit strokes stay under ~1,600 points (5 bytes a point), so that each
# run stays fast; tests/robustness.rs covers strokes at the 100,000-point limit.
max_len() {
  case "$1" in
    fit | recognize | session) echo "-max_len=8192" ;;
    *) echo "-max_len=16384" ;;
  esac
}

cargo +nightly fuzz build
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
  echo "== fuzz $target (${seconds}s)"
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  if ! cargo +nightly fuzz run "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 "$(max_len "$target")" \
    -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  # The last status line: executions, coverage, corpus.
  grep -E '^#[0-9]+' "$log" | tail -n 1
done
echo "== all fuzz targets ran ${seconds}s without a finding"
