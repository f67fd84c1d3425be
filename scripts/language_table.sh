#!/usr/bin/env bash
# Per-language CER of a model on synthetic valid words (issue #17's table), greedy and with each
# language's pack. For each of the 20 languages: its wordfreq list (scripts/export_wordfreq.py,
# 20,000 words), N synthetic words from UNIPEN **valid** writers only (`inkjot synth --mix
# composed-word=1,marked-word=1`, seed 7: words of that language composed from one writer's
# letters, and real valid word inks given that language's marks), then `inkjot eval --no-lm` and
# `inkjot eval --lang <code>`. Prints a Markdown table; work files go to OUT. English has no marked
# words (its words are ASCII), so it gets only the composed half.
#
#   scripts/language_table.sh [--model FILE] [--count N] [--out DIR]
#
# Needs a release build (target/release/inkjot) and the PyPI package wordfreq.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/recognizer-int8.safetensors
COUNT=300
OUT=target/language_table
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$2; shift ;;
    --count) COUNT=$2; shift ;;
    --out) OUT=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
DATA=${DATA:-../shared/data/unipen}
INKJOT=target/release/inkjot
LANGS="en de fr es it pt pl nl sv da nb fi cs sk hu ro hr sl tr ca"
# CER in percent and the number of inks, from `inkjot eval --json`.
cer() { "$INKJOT" eval "$@" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f%% %d" % (100*d["cer"], d["counts"]["samples"]))'; }

echo "| language | synthetic valid words | greedy CER | with its pack |"
echo "|---|---:|---:|---:|"
for l in $LANGS; do
  mkdir -p "$OUT/$l"
  spell=()   # German words with their ß, as the de pack is built (scripts/build_language_packs.sh)
  [ "$l" != de ] || [ ! -s "${CORPORA:-target/corpora}/de.txt" ] || spell=(--sharp-s "${CORPORA:-target/corpora}/de.txt")
  [ -s "$OUT/$l/$l.tsv" ] || python3 scripts/export_wordfreq.py "$l" 20000 "$OUT/$l/$l.tsv" "${spell[@]}" >/dev/null
  "$INKJOT" synth --input "$DATA/valid.jsonl.gz" --words "$OUT/$l" --count "$COUNT" --seed 7 \
    --mix composed-word=1,marked-word=1 --out "$OUT/$l.jsonl" 2>/dev/null
  read -r greedy n < <(cer "$OUT/$l.jsonl" --model "$MODEL" --no-lm 2>/dev/null)
  read -r packed _ < <(cer "$OUT/$l.jsonl" --model "$MODEL" --lang "models/$l" 2>/dev/null)
  echo "| $l | $n | $greedy | $packed |"
done
