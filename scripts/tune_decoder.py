#!/usr/bin/env python3
"""Grid-search a language pack's LM weight and insertion bonus on labelled inks.

Runs `inkjot eval --json` for each setting on the same inks and prints a table; with --write it
stores the best setting (lowest CER) in models/<lang>/decoder.json.

    python3 scripts/tune_decoder.py --lang en --data ../shared/data/unipen/valid.jsonl.gz \
        --kind word --limit 1500 --write
"""

import argparse
import itertools
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from seal import lm_file, seal_decoder_json  # noqa: E402  (scripts/seal.py)

ROOT = pathlib.Path(__file__).resolve().parent.parent


def evaluate(args, extra):
    cmd = [str(args.inkjot), "eval", args.data, "--json", "--lang", args.lang] + extra
    if args.kind:
        cmd += ["--kind", args.kind]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.model:
        cmd += ["--model", args.model]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", default="en")
    p.add_argument("--data", required=True)
    p.add_argument("--kind", default="word")
    p.add_argument("--limit", type=int, default=1500)
    p.add_argument("--model")
    p.add_argument("--inkjot", default=ROOT / "target/release/inkjot")
    p.add_argument("--lm-weights", default="0.3,0.5,0.7,0.9,1.1")
    p.add_argument("--bonuses", default="0.0,0.5,1.0,1.5")
    p.add_argument("--write", action="store_true", help="store the best setting in decoder.json")
    args = p.parse_args()

    greedy = evaluate(args, ["--no-lm"])
    print(f"greedy: CER {greedy['cer']:.4f} WER {greedy['wer']:.4f} exact {greedy['exact']:.4f}", flush=True)
    results = []
    for w, b in itertools.product(map(float, args.lm_weights.split(",")), map(float, args.bonuses.split(","))):
        r = evaluate(args, ["--lm-weight", str(w), "--insertion-bonus", str(b)])
        results.append((r["cer"], w, b, r))
        print(
            f"lm_weight {w:.2f} bonus {b:.2f}: CER {r['cer']:.4f} WER {r['wer']:.4f} "
            f"exact {r['exact']:.4f} p50 {r['latency_ms']['p50']:.3f} ms",
            flush=True,
        )
    cer, w, b, best = min(results, key=lambda x: x[0])
    print(
        f"best: lm_weight {w} insertion_bonus {b}: CER {cer:.4f} "
        f"(greedy {greedy['cer']:.4f}, relative reduction {1 - cer / greedy['cer']:.1%})"
    )
    if args.write:
        path = ROOT / "models" / args.lang / "decoder.json"
        config = json.loads(path.read_text())
        config["lm_weight"] = w
        config["insertion_bonus"] = b
        config.pop("checksum", None)
        lm = lm_file(path.parent).read_bytes()
        path.write_text(seal_decoder_json(lm, config))  # the checksum over the LM + decoder.json
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
