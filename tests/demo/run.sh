#!/usr/bin/env bash
# End-to-end test of `inkjot serve` in real headless Chromium: see e2e.mjs for what it checks.
#
#   tests/demo/run.sh [--screenshots DIR]
#
# Builds the release binary and the wasm library (cargo is a no-op when they are up to date), installs Debian's chromium
# (apt) and playwright-core (npm ci) when missing, starts `inkjot serve` on a free local port, runs
# the test (which kills the server last, to check the page recognizes offline), stops the server.
# Prints `N passed, M failed` last; exits non-zero on any failure.
#
# Environment: INKJOT_BIN (use this binary instead of building one), INKJOT_WASM (use this
# inkjot.wasm instead of building one), INKJOT_MODELS (a model directory laid out like models/),
# INKJOT_DEMO_DATA (default ../shared/data/unipen/valid.jsonl.gz beside the repository),
# CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

shots=""
while [ $# -gt 0 ]; do
  case $1 in
    --screenshots) shots=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: $0 [--screenshots DIR]" >&2; exit 2 ;;
  esac
done

source "$(dirname "$0")/common.sh"

export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || apt_install chromium fonts-dejavu-core
command -v node >/dev/null || apt_install nodejs npm
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "playwright-core needs Node.js 20 or newer, found $(node --version)"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  echo "== installing playwright-core (npm ci)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The library as WebAssembly, for the in-browser recognizer check (tests/wasm/run.sh tests it in Node).
if [ -z "${INKJOT_WASM:-}" ]; then
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  cargo build --release --lib --target wasm32-unknown-unknown --no-default-features
  INKJOT_WASM="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/release/inkjot.wasm"
fi
export INKJOT_WASM

# The page switches between languages: serve every shipped pack, not only the embedded English one.
export INKJOT_MODELS=${INKJOT_MODELS:-$root/models}
export INKJOT_DEMO_DATA=${INKJOT_DEMO_DATA:-$root/../shared/data/unipen/valid.jsonl.gz}
[ -f "$INKJOT_DEMO_DATA" ] || { echo "missing $INKJOT_DEMO_DATA"; echo "0 passed, 1 failed"; exit 1; }

port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
log=$(mktemp)
"$INKJOT_BIN" serve --addr "127.0.0.1:$port" --wasm "$INKJOT_WASM" >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

echo "== browser test against inkjot serve on 127.0.0.1:$port"
out=$(mktemp)
status=0
INKJOT_URL="http://127.0.0.1:$port/" INKJOT_SCREENSHOTS="$shots" INKJOT_SERVER_PID="$server" node "$here/e2e.mjs" | tee "$out" \
  || status=$?
if [ "$status" != 0 ]; then
  echo "-- server log (last 40 lines):"
  tail -n 40 "$log"
  kill -0 "$server" 2>/dev/null || echo "-- the server is not running"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
  echo "${summary:-0 passed, 1 failed}"
fi
rm -f "$out"
exit "$status"
