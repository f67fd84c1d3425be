#!/usr/bin/env bash
# Builds the language packs models/<lang>/ from the wordfreq word lists:
#   lm.fst          character 6-gram LM (OpenFST binary, see src/decode/lm.rs), <= ~2 MB, or
#   lm.bin          the same in the compact format (LM_FORMAT=compact, src/decode/lm_compact.rs)
#   lm-build.json   the build report (sizes, pruning threshold)
#   decoder.json    beam-search settings (written only when missing, so tuned values stay),
#                   then sealed with the checksum of the LM file + itself (scripts/seal.py)
#   LICENSE         the word list's licence (CC BY-SA 4.0) and attribution
#
# Usage: scripts/build_language_packs.sh [LANG...]    (default: en de fr es it pt pl)
#        LM_FORMAT=compact scripts/build_language_packs.sh    (lm.bin; MAX_NGRAMS=N to override)
# Needs python3 with `wordfreq` (pip install wordfreq) and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

LANGS=("$@")
[ ${#LANGS[@]} -gt 0 ] || LANGS=(en de fr es it pt pl)
WORDS=50000       # top words per language
ORDER=6           # n-gram order
# LM file format: fst (lm.fst, the interchange format) or compact (lm.bin, quantized costs).
LM_FORMAT=${LM_FORMAT:-fst}
case "$LM_FORMAT" in
  fst) LM_FILE=lm.fst OTHER=lm.bin DEFAULT_NGRAMS=65000 ;;     # ~30 bytes an n-gram
  compact) LM_FILE=lm.bin OTHER=lm.fst DEFAULT_NGRAMS=275000 ;; # ~7.2 bytes an n-gram
  *) echo "LM_FORMAT must be fst or compact, not $LM_FORMAT" >&2; exit 2 ;;
esac
# n-grams of 2+ characters kept: the defaults keep each pack under 2 MB.
MAX_NGRAMS=${MAX_NGRAMS:-$DEFAULT_NGRAMS}

cargo build --release --quiet --bin inkjot
BIN="${CARGO_TARGET_DIR:-target}/release/inkjot"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for lang in "${LANGS[@]}"; do
  dir="models/$lang"
  mkdir -p "$dir"
  python3 scripts/export_wordfreq.py "$lang" "$WORDS" "$tmp/$lang.tsv"
  "$BIN" lm build --words "$tmp/$lang.tsv" --order "$ORDER" --max-ngrams "$MAX_NGRAMS" \
    --format "$LM_FORMAT" --out "$dir/$LM_FILE" > "$dir/lm-build.json"
  rm -f "$dir/$OTHER"   # a pack holds one LM file
  cp "$tmp/$lang.tsv.LICENSE" "$dir/LICENSE"
  if [ ! -f "$dir/decoder.json" ]; then
    cat > "$dir/decoder.json" <<'JSON'
{
  "beam_width": 12,
  "lm_weight": 0.5,
  "insertion_bonus": 0.5,
  "nbest": 5,
  "symbol_threshold": -10.0,
  "max_symbols_per_frame": 24,
  "complete_word": true
}
JSON
  fi
  python3 scripts/seal.py "$dir" >&2   # decoder.json's checksum covers the new LM file
  echo "$lang: $(stat -c %s "$dir/$LM_FILE") bytes" >&2
done
