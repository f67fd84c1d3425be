#!/usr/bin/env bash
# Per-language CER of text lines with and without the word pairs, on synthetic ink of held-back
# running text (models/README.md, "Word pairs in the other languages"). There is no real ink in
# these languages, so for each language with running text ($CORPORA/<lang>.txt from
# scripts/fetch_corpora.sh):
#   1. its sentences are split by a hash of the line: 5% held back, the pairs counted over the
#      rest (never over a held-back sentence);
#   2. the held-back sentences are cut at word boundaries into lines of at most 40 characters
#      (3 words or more), and N lines are written as ink by `inkjot synth --mix composed-line=1`
#      (letters of UNIPEN **valid** writers, seed 11);
#   3. a pack is built as scripts/build_language_packs.sh builds it (same word list, n-grams,
#      --max-pairs 30000 --max-bytes 2000000) but with the pairs of step 1, and the lines are read
#      greedily, with that pack at word_pair_weight 0 (the LM alone) and at the shipped weight 1.
# The text is desktop and system documentation: held-back sentences are of the same kind as the
# pairs, so the gains are larger than on other text (English: the same pairs on real UNIPEN
# valid lines give a third of the gain they give here; models/README.md).
#
#   scripts/word_pairs_table.sh [--count N] [--out DIR] [LANG...]
#
# Needs a release build (target/release/inkjot), the PyPI package wordfreq and the running text.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=600
OUT=target/word_pairs_table
LANGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT=$2; shift ;;
    --out) OUT=$2; shift ;;
    -*) echo "unknown argument $1" >&2; exit 2 ;;
    *) LANGS+=("$1") ;;
  esac
  shift
done
[ ${#LANGS[@]} -gt 0 ] || LANGS=(en de fr es it pt pl nl sv da nb fi cs hu ro hr sl tr ca)
DATA=${DATA:-../shared/data/unipen}
CORPORA=${CORPORA:-target/corpora}
INKJOT=target/release/inkjot
mkdir -p "$OUT"
"$INKJOT" alphabet > "$OUT/alphabet.json"
# CER in percent, from `inkjot eval --json`.
cer() { "$INKJOT" eval "$@" --json 2>/dev/null | python3 -c 'import json,sys; print("%.2f%%" % (100*json.load(sys.stdin)["cer"]))'; }

echo "| language | held-back lines (distinct) | pairs | greedy CER | pack, no pairs | pack with pairs |"
echo "|---|---:|---:|---:|---:|---:|"
for l in "${LANGS[@]}"; do
  text="$CORPORA/$l.txt"
  if [ ! -s "$text" ]; then
    echo "no running text at $text: run scripts/fetch_corpora.sh first" >&2
    exit 1
  fi
  work="$OUT/$l"
  mkdir -p "$work/pack"
  python3 - "$text" "$work" <<'PY'
import hashlib, sys
from pathlib import Path
text, work = Path(sys.argv[1]), Path(sys.argv[2])
train, lines = [], []
for line in text.read_text(encoding="utf-8").splitlines():
    if int(hashlib.md5(line.encode()).hexdigest(), 16) % 20 != 0:
        train.append(line)
        continue
    current = []
    for word in line.split():
        if current and len(" ".join(current + [word])) > 40:
            if len(current) >= 3:
                lines.append(" ".join(current))
            current = []
        current.append(word)
    if len(current) >= 3:
        lines.append(" ".join(current))
(work / "train.txt").write_text("".join(s + "\n" for s in train), encoding="utf-8")
(work / "heldout_lines.txt").write_text("".join(s + "\n" for s in lines), encoding="utf-8")
PY
  spell=()
  [ "$l" != de ] || spell=(--sharp-s "$text")
  words=50000
  [ "$l" != en ] || words=300000
  [ -s "$work/$l.tsv" ] || python3 scripts/export_wordfreq.py "$l" "$words" "$work/$l.tsv" \
    --alphabet "$OUT/alphabet.json" "${spell[@]}" > /dev/null
  "$INKJOT" lm build --words "$work/$l.tsv" --order 6 --max-ngrams 270000 \
    --pairs-text "$work/train.txt" --max-pairs 30000 --pair-min-count 2 --max-bytes 2000000 \
    --format compact --out "$work/pack/lm.bin" > "$work/pack/lm-build.json" 2>/dev/null
  python3 - "models/$l/decoder.json" "$work/pack/decoder.json" <<'PY'
import json, sys
settings = json.load(open(sys.argv[1], encoding="utf-8"))
settings.pop("checksum", None)
settings["word_pair_weight"] = 1.0
json.dump(settings, open(sys.argv[2], "w", encoding="utf-8"), indent=2)
PY
  python3 scripts/seal.py "$work/pack" > /dev/null
  "$INKJOT" synth --input "$DATA/valid.jsonl.gz" --sentences "$work/heldout_lines.txt" \
    --count "$COUNT" --seed 11 --mix composed-line=1 --out "$work/lines.jsonl" 2> /dev/null
  cache=(--logprobs-cache "$work/logprobs.bin")
  greedy=$(cer "$work/lines.jsonl" "${cache[@]}" --no-lm)
  alone=$(cer "$work/lines.jsonl" "${cache[@]}" --lang "$work/pack" --decoder '{"word_pair_weight": 0}')
  paired=$(cer "$work/lines.jsonl" "${cache[@]}" --lang "$work/pack")
  pairs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["word_pairs"])' "$work/pack/lm-build.json")
  echo "| $l | $COUNT ($(wc -l < "$work/heldout_lines.txt")) | $pairs | $greedy | $alone | $paired |"
done
