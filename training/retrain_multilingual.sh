#!/usr/bin/env bash
# The multilingual retrain (issue #17) as one script: build, word lists, synthetic train and valid
# ink, featurize, widen the shipped model's output layer to `inkjot alphabet`, train from it with
# checkpoints and a log, export f32 + int8, evaluate. Paths are relative to the repository.
#
#   training/retrain_multilingual.sh [--smoke] [--out DIR] [--epochs N] [--max-minutes M]
#       [--init MODEL] [--lr LR] [--average N] [--aug N] [--sample-weights W]
#   training/retrain_multilingual.sh --eval-only DIR   # only the evaluation, of DIR/recognizer{,-int8}.safetensors
#
#   --smoke        tiny sizes end to end (a few minutes of CPU): checks the plumbing, not the model
#   --out DIR      work directory (default training/runs/multilingual, or ...-smoke); everything
#                  it writes lands there: words/, *.jsonl, *.safetensors, run/, export/, *.log
#   --epochs N     training epochs (default 20; smoke: steps instead)
#   --max-minutes  safety stop of the training step (saves last.pt and exports; --resume by
#                  running train.py with the logged command + --resume)
#   --init MODEL   the f32 model to widen and start from (default models/recognizer.safetensors;
#                  a model that already has the whole alphabet is taken as it is: a second stage)
#   --lr LR        peak learning rate (default 7e-4; the second stage used 2.5e-4)
#   --average N    export the mean of the last N epoch checkpoints (training/average.py, measured
#                  against each of them on valid words) instead of the best checkpoint
#   --aug N        distorted copies of the train set to featurize (default 9; a short second stage
#                  needs no more than its epochs - 1)
#   --sample-weights W  how often each group of train inks is drawn per epoch (train.py
#                  --sample-weights, e.g. word=2,synthetic=0.35: the third stage, English-weighted)
#   --eval-only DIR  build, word lists and synthetic valid ink as above, then step 6 on the model
#                  pair in DIR (e.g. models): no featurizing, no training
#
# Environment: DATA (UNIPEN JSON Lines, default ../shared/data/unipen), HERSHEY (default
# ../shared/data/hershey), THREADS (torch threads, default 2), SYNTH_TRAIN (synthetic train
# records, default 60000), AUG (augmented copies of real+synthetic train, default 9).
#
# Valid sets never see train writers: English valid words are UNIPEN valid; the synthetic valid
# set and the accented valid letters are drawn from UNIPEN valid inks only.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

SMOKE=0
OUT=""
EPOCHS=20
MAX_MINUTES=0
EVAL_DIR=""
INIT=models/recognizer.safetensors
LR=7e-4
AVERAGE=0
SAMPLE_WEIGHTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --out) OUT=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --max-minutes) MAX_MINUTES=$2; shift ;;
    --eval-only) EVAL_DIR=$2; shift ;;
    --init) INIT=$2; shift ;;
    --lr) LR=$2; shift ;;
    --average) AVERAGE=$2; shift ;;
    --aug) AUG=$2; shift ;;
    --sample-weights) SAMPLE_WEIGHTS=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
DATA=${DATA:-$REPO/../shared/data/unipen}
HERSHEY=${HERSHEY:-$REPO/../shared/data/hershey}
THREADS=${THREADS:-2}
LANGS="en de fr es it pt pl nl sv da nb fi cs sk hu ro hr sl tr ca"
if [ $SMOKE = 1 ]; then
  OUT=${OUT:-training/runs/multilingual-smoke}
  WORDS=2000; SYNTH_TRAIN=${SYNTH_TRAIN:-600}; SYNTH_VALID=200; LETTERS=200; AUG=${AUG:-1}
  LIMIT=(--max-inks 400); TRAIN_LEN=(--steps 30 --warmup-steps 5 --valid-subset 100); EVAL_LIMIT=(--limit 200)
else
  OUT=${OUT:-training/runs/multilingual}
  WORDS=20000; SYNTH_TRAIN=${SYNTH_TRAIN:-60000}; SYNTH_VALID=6000; LETTERS=3000; AUG=${AUG:-9}
  LIMIT=(); TRAIN_LEN=(--epochs "$EPOCHS"); EVAL_LIMIT=()
fi
mkdir -p "$OUT/words"
LOG=$OUT/retrain.log
[ -z "$EVAL_DIR" ] || LOG=$OUT/eval.log
INKJOT=$REPO/target/release/inkjot
T0=$(date +%s)
step() { echo "== $(date -u +%H:%M:%S) (+$(( $(date +%s) - T0 ))s) $*" | tee -a "$LOG"; }

step "build"
cargo build --release --bin inkjot 2>&1 | tail -1 | tee -a "$LOG"

step "word lists ($WORDS words x ${LANGS// /,})"
for l in $LANGS; do
  [ -s "$OUT/words/$l.tsv" ] || python3 scripts/export_wordfreq.py "$l" "$WORDS" "$OUT/words/$l.tsv" >/dev/null
done
"$INKJOT" alphabet > "$OUT/alphabet.json"
"$INKJOT" alphabet --bases > "$OUT/bases.json"

step "synthetic ink: train $SYNTH_TRAIN (train writers), valid $SYNTH_VALID + accented letters $LETTERS (valid writers)"
SYN=(--words "$OUT/words" --hershey "$HERSHEY")
[ -n "$EVAL_DIR" ] || { [ -s "$OUT/synth_train.jsonl" ] && [ $SMOKE = 0 ]; } || "$INKJOT" synth --input "$DATA/train.jsonl.gz" "${SYN[@]}" --count "$SYNTH_TRAIN" --seed 1 --out "$OUT/synth_train.jsonl" 2>&1 | tee -a "$LOG"
"$INKJOT" synth --input "$DATA/valid.jsonl.gz" "${SYN[@]}" --count "$SYNTH_VALID" --seed 2 --out "$OUT/synth_valid.jsonl" 2>&1 | tee -a "$LOG"
"$INKJOT" synth --input "$DATA/valid.jsonl.gz" "${SYN[@]}" --count "$LETTERS" --seed 3 --mix marked-letter=1 --out "$OUT/valid_letters.jsonl" 2>&1 | tee -a "$LOG"

if [ -z "$EVAL_DIR" ]; then
step "featurize: real + synthetic train (clean + $AUG distorted copies), valid real + synthetic"
TRAIN_FILES=()
for k in $(seq 0 "$AUG"); do
  f=$OUT/train_$k.safetensors
  aug=(); [ "$k" = 0 ] || aug=(--augment 1 --seed "$k")
  [ -s "$f" ] && [ $SMOKE = 0 ] || "$INKJOT" featurize "$DATA/train.jsonl.gz" "$OUT/synth_train.jsonl" "${aug[@]}" "${LIMIT[@]}" --out "$f"
  TRAIN_FILES+=("$f")
done
"$INKJOT" featurize "$DATA/valid.jsonl.gz" "$OUT/synth_valid.jsonl" "${LIMIT[@]}" --out "$OUT/valid.safetensors"

step "widen $INIT to the alphabet"
python3 training/widen.py --model "$INIT" --alphabet "$OUT/alphabet.json" \
  --bases "$OUT/bases.json" --features "$OUT/train_0.safetensors" --out "$OUT/widened.pt" | tee -a "$LOG"

step "train (log: $OUT/run/train.log)"
mkdir -p "$OUT/run" "$OUT/export"
STOP=(); [ "$MAX_MINUTES" = 0 ] || STOP=(--max-minutes "$MAX_MINUTES")
KEEP=(); [ "$AVERAGE" = 0 ] || KEEP=(--keep-epochs "$AVERAGE")
WEIGHTS=(); [ -z "$SAMPLE_WEIGHTS" ] || WEIGHTS=(--sample-weights "$SAMPLE_WEIGHTS")
python3 training/train.py --name recognizer --init-from "$OUT/widened.pt" \
  --train "$(IFS=,; echo "${TRAIN_FILES[*]}")" --valid "$OUT/valid.safetensors" \
  --lr "$LR" --no-curriculum --select-metric word "${TRAIN_LEN[@]}" "${STOP[@]}" "${KEEP[@]}" "${WEIGHTS[@]}" \
  --threads "$THREADS" --run-dir "$OUT/run" --export-dir "$OUT/export" \
  --trained "multilingual retrain from $INIT, lr $LR${SAMPLE_WEIGHTS:+, sample weights $SAMPLE_WEIGHTS} (training/retrain_multilingual.sh)" \
  2>&1 | tee "$OUT/run/train.log" | grep -E "epoch|export|params|alphabet:|dropped|error" | tee -a "$LOG"

if [ "$AVERAGE" != 0 ]; then
  step "average the last $AVERAGE epoch checkpoints, export"
  mapfile -t EPOCH_FILES < <(ls "$OUT"/run/epoch-*.pt | tail -n "$AVERAGE")
  python3 training/average.py "${EPOCH_FILES[@]}" --out "$OUT/run/average.pt" \
    --valid "$OUT/valid.safetensors" --kinds word --threads "$THREADS" 2>&1 | tee -a "$LOG"
  python3 training/export.py --checkpoint "$OUT/run/average.pt" --name recognizer \
    --export-dir "$OUT/export" --valid "$OUT/valid.safetensors" --threads "$THREADS" \
    --trained "multilingual retrain from $INIT, lr $LR${SAMPLE_WEIGHTS:+, sample weights $SAMPLE_WEIGHTS}, mean of the last $AVERAGE epochs (training/retrain_multilingual.sh)" \
    2>&1 | tee -a "$LOG"
fi
EVAL_DIR=$OUT/export
fi

step "evaluate (greedy)"
for q in "" "-int8"; do
  M=$EVAL_DIR/recognizer$q.safetensors
  echo "recognizer$q: English valid words" | tee -a "$LOG"
  "$INKJOT" eval "$DATA/valid.jsonl.gz" --kind word --no-lm --model "$M" "${EVAL_LIMIT[@]}" | tee -a "$LOG"
  echo "recognizer$q: synthetic valid words (valid writers)" | tee -a "$LOG"
  "$INKJOT" eval "$OUT/synth_valid.jsonl" --kind word --no-lm --model "$M" "${EVAL_LIMIT[@]}" | tee -a "$LOG"
  "$INKJOT" recognize "$OUT/valid_letters.jsonl" --no-lm --nbest 1 --model "$M" > "$OUT/valid_letters$q.out"
  python3 - "$OUT/valid_letters.jsonl" "$OUT/valid_letters$q.out" <<'PY' | tee -a "$LOG"
import json, sys
labels = [json.loads(line)["label"] for line in open(sys.argv[1], encoding="utf-8")]
texts = [json.loads(line).get("candidates", [{}])[0].get("text", "") for line in open(sys.argv[2], encoding="utf-8")]
ok = sum(a.lower() == b.lower() for a, b in zip(labels, texts))
print(f"accented valid letters: {ok}/{len(labels)} = {100 * ok / max(len(labels), 1):.1f}% read exactly, ignoring case")
PY
done
step "done: $EVAL_DIR/recognizer{,-int8}.safetensors, log $LOG"
