#!/usr/bin/env bash
# Terminal test of `inkjot replay`: types the command into a shell in a detached tmux session
# (send-keys), as a person would, watches the pane while the inks play (capture-pane) and checks
# that the strokes appear progressively as braille, that candidates with a recognition latency
# are shown after strokes, and that the replay ends cleanly.
#
#   tests/demo/replay_tmux.sh [--screenshot FILE.png]
#
# --screenshot also replays one word and renders the final pane to a PNG with headless chromium.
# Environment: INKJOT_BIN (default: build target/release/inkjot), INKJOT_MODELS (a model directory), CHROMIUM.
# Prints `N passed, M failed` last; exits non-zero on any failure.
set -euo pipefail

screenshot=""
while [ $# -gt 0 ]; do
  case $1 in
    --screenshot) screenshot=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: $0 [--screenshot FILE.png]" >&2; exit 2 ;;
  esac
done

source "$(dirname "$0")/common.sh"
command -v tmux >/dev/null || apt_install tmux

export LC_ALL=C.UTF-8
socket="inkjot-replay-test-$$"
work=$(mktemp -d)
tmx() { tmux -L "$socket" -f /dev/null "$@"; }
cleanup() {
  tmx kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # check NAME COMMAND...: one line per check
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok    $name"; else failed=$((failed + 1)); echo "FAIL  $name"; fi
}
has() { grep -q "$@" "$work/final"; }

# A fresh shell in a detached session of a fixed size; the model is passed as the user would.
model_env=""
[ -n "${INKJOT_MODELS:-}" ] && model_env="INKJOT_MODELS=$(printf %q "$INKJOT_MODELS") "
tmx new-session -d -s replay -x 120 -y 40 "env -u TMUX TERM=screen PS1='$ ' bash --norc --noprofile"

# Types a command line into the pane and samples the pane every 0.1 s until `marker` followed by
# the exit status shows; samples go to $work/frame.0 .. frame.$((frames - 1)), the last to $work/final.
frames=0
run_in_pane() {
  local line=$1 marker=$2 timeout_s=$3
  local deadline=$((SECONDS + timeout_s))
  rm -f "$work"/frame.*
  frames=0
  tmx send-keys -t replay "clear; $line; echo \"$marker\$?\"" Enter
  while [ $SECONDS -lt $deadline ]; do
    tmx capture-pane -p -t replay >"$work/frame.$frames"
    frames=$((frames + 1))
    if grep -q "^$marker[0-9]" "$work/frame.$((frames - 1))"; then
      cp "$work/frame.$((frames - 1))" "$work/final"
      return 0
    fi
    sleep 0.1
  done
  tmx capture-pane -p -t replay >"$work/final"
  return 1
}

braille='[\x{2801}-\x{28FF}]'
# True when some sample shows an ink part-way (stroke k of n, 0 < k < n) with a candidate list.
partial_frame_with_candidates() {
  local j line
  for ((j = 0; j < frames; j++)); do
    # No `grep | head` pipelines here: under pipefail grep can die of SIGPIPE.
    line=$(grep -m 1 -oE 'stroke [0-9]+/[0-9]+' "$work/frame.$j") || line=""
    line=${line%%$'\n'*}
    if [[ $line =~ ^stroke\ ([0-9]+)/([0-9]+)$ ]] && ((BASH_REMATCH[1] > 0 && BASH_REMATCH[1] < BASH_REMATCH[2])) \
      && grep -qE '^ +1\. ' "$work/frame.$j" && grep -qP "$braille" "$work/frame.$j"; then
      return 0
    fi
  done
  return 1
}
# True when the braille dots of one ink grow from one sample to a later one.
dots_grow() {
  local j ink dots last_ink="" last_dots=0
  for ((j = 0; j < frames; j++)); do
    ink=$(grep -m 1 -oE '^ink [0-9]+ ' "$work/frame.$j") || continue
    dots=$(grep -oP "$braille" "$work/frame.$j" | wc -l)
    if [ "$ink" = "$last_ink" ] && [ "$last_dots" -gt 0 ] && [ "$dots" -gt "$last_dots" ]; then
      return 0
    fi
    last_ink=$ink
    last_dots=$dots
  done
  return 1
}

sample=tests/fixtures/unipen_valid_sample.jsonl
inks=$(grep -c . "$sample")
echo "== inkjot replay of $sample ($inks inks) in tmux"
check "replay finishes within 120 s" \
  run_in_pane "${model_env}$(printf %q "$INKJOT_BIN") replay $sample --speed 4 --hold 200" REPLAY-EXIT= 120
check "replay exits with status 0" has '^REPLAY-EXIT=0'
check "the pane shows the ink as braille dots" has -P "$braille"
check "the pane shows the recognition latency" has -E 'recognized in [0-9]+\.[0-9]+ ms \([0-9]+ curves\)'
check "the pane shows a ranked candidate list with scores" has -E '^ +1\. \S.* -?[0-9]+\.[0-9]{3} +[0-9.]+%$'
check "the summary counts all $inks inks" has -E "^replayed $inks inks; top candidate = label for [0-9]+ of $inks; latency mean"
check "candidates appear after a stroke, before the ink is complete ($frames samples)" partial_frame_with_candidates
check "strokes are drawn as they appear (an ink's dots grow between samples)" dots_grow
if [ "$failed" != 0 ]; then
  echo "-- last pane:"
  cat "$work/final"
fi

if [ -n "$screenshot" ]; then
  echo "== screenshot of one replayed word"
  check "one-word replay for the screenshot" \
    run_in_pane "${model_env}$(printf %q "$INKJOT_BIN") replay $sample --skip 6 --limit 1 --speed 2 --hold 0" SHOT-EXIT= 60
  chromium_bin=${CHROMIUM:-/usr/bin/chromium}
  [ -x "$chromium_bin" ] || apt_install chromium fonts-dejavu-core
  # The pane as an HTML page: drop the marker line and the prompt, show the command on top. Only
  # a proportional font has braille here, so each braille character gets a cell of its own.
  command="\$ inkjot replay $sample --skip 6 --limit 1 --speed 2"
  grep -v -e '^SHOT-EXIT=' -e '^\$ *$' "$work/final" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$work/pane.txt"
  {
    printf '<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#1d1f21}'
    printf 'pre{margin:0;padding:14px 18px;color:#e0e0e0;font:15px/1.17 "DejaVu Sans Mono",monospace}'
    printf '.b{display:inline-block;width:1ch;overflow:visible}.cmd{color:#8abeb7}</style>'
    printf '<pre><span class="cmd">%s</span>\n' "$command"
    perl -CSD -pe 's/&/&amp;/g; s/</&lt;/g; s/>/&gt;/g; s/([\x{2800}-\x{28FF}])/<span class="b">$1<\/span>/g' "$work/pane.txt"
    printf '</pre>'
  } >"$work/pane.html"
  lines=$(($(wc -l <"$work/pane.txt") + 1))
  columns=$(printf '%s\n' "$command" | cat - "$work/pane.txt" | wc -L)
  height=$((lines * 19 + 30))
  width=$((columns * 91 / 10 + 40))
  mkdir -p "$(dirname "$screenshot")"
  "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size="$width,$height" \
    --screenshot="$screenshot" "file://$work/pane.html" >/dev/null 2>&1
  check "screenshot written to $screenshot" test -s "$screenshot"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
