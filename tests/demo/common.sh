# Shared setup of the demo tests, sourced by run.sh and replay_tmux.sh: the repository root as the
# working directory, apt installs when something is missing, and the inkjot binary to test
# (INKJOT_BIN, else a release build), exported as an absolute path.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  echo "== installing $* (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ -z "${INKJOT_BIN:-}" ]; then
  echo "== building inkjot (release)"
  cargo build --release --bin inkjot
  INKJOT_BIN="${CARGO_TARGET_DIR:-$root/target}/release/inkjot"
fi
INKJOT_BIN=$(realpath "$INKJOT_BIN")
export INKJOT_BIN
