#!/usr/bin/env python3
"""Tune a language pack's decoder settings jointly on labelled words, text lines and characters.

One command: the network runs once per kind (its output is cached in --cache), then each setting
is only decoded. The search is coordinate descent over the `decoder.json` fields in SEARCH,
minimising

    mean over kinds of CER(LM) / CER(greedy)
    + 10 * (how far any kind is worse than greedy) + 10 * (final marks lost against greedy)

so that no kind gets worse than greedy decoding and no final . , ! ? is lost. The beam width is
searched up to --max-beam-width (a wider beam costs decoding time, which is not in the objective). With --write the
best setting is stored in models/<lang>/decoder.json and the pack is resealed.

    python3 scripts/tune_decoder.py --lang en --data ../shared/data/unipen/valid.jsonl.gz --write
"""

import argparse
import concurrent.futures
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from seal import lm_file, seal_decoder_json  # noqa: E402  (scripts/seal.py)

ROOT = pathlib.Path(__file__).resolve().parent.parent
KINDS = ("word", "text", "char")
# Field -> values tried (the current value is always tried too).
SEARCH = {
    "lm_weight": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0],
    "insertion_bonus": [1.0, 1.5, 2.0, 2.5, 3.0, 3.5],
    "unknown_log_prob": [-6.0, -4.0, -3.0, -2.0, -1.0, 0.0],
    "case_penalty": [0.0, 1.0, 2.0, 3.0, 5.0],
    "capital_penalty": [0.0, 0.25, 0.5, 1.0, 1.5],
    "lone_symbol_log_prob": [-6.0, -4.0, -3.0, -2.0],
    "space_after_unknown_log_prob": [-6.0, -5.0, -4.0, -3.0, -2.0],
    "space_before_unknown_log_prob": [-4.0, -3.0, -2.0, -1.0, 0.0],
    "confident_prob": [0.9, 0.99, 0.999, 1.0],
    "beam_width": [8, 12, 16, 24, 32, 48],
    "word_pair_weight": [0.0, 0.5, 1.0, 1.5, 2.0],
}
START = {
    "lm_weight": 0.8,
    "insertion_bonus": 2.0,
    "unknown_log_prob": -2.0,
    "case_penalty": 2.0,
    "capital_penalty": 0.0,
    "lone_symbol_log_prob": -2.0,
    "space_after_unknown_log_prob": -4.0,
    "space_before_unknown_log_prob": 0.0,
    "confident_prob": 1.0,
    "beam_width": 12,
    "word_pair_weight": 1.0,
}


def evaluate(args, kind, extra):
    cache = pathlib.Path(args.cache) / f"{args.lang}-{kind}.logprobs"
    cmd = [str(args.inkjot), "eval", args.data, "--json", "--lang", args.lang, "--kind", kind]
    cmd += ["--logprobs-cache", str(cache)] + extra
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.model:
        cmd += ["--model", args.model]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def evaluate_all(args, pool, extra):
    futures = {k: pool.submit(evaluate, args, k, extra) for k in KINDS}
    return {k: f.result() for k, f in futures.items()}


def marks(results):
    return sum(r["extra"]["final_marks_kept"] for r in results.values())


def objective(results, greedy):
    ratios = [results[k]["cer"] / greedy[k]["cer"] for k in KINDS]
    worse = sum(max(0.0, r - 1.0) for r in ratios)
    lost = max(0, marks(greedy) - marks(results)) / max(1, marks(greedy))
    return sum(ratios) / len(ratios) + 10 * worse + 10 * lost


def summary(results, greedy=None):
    parts = []
    for k in KINDS:
        r = results[k]
        text = f"{k} CER {r['cer']:.4f}"
        if greedy:
            text += f" ({1 - r['cer'] / greedy[k]['cer']:+.1%} vs greedy)"
        parts.append(text)
    w = results["word"]
    parts.append(f"word top-5 {w['top_n']:.3f}")
    parts.append(f"final marks kept {marks(results)}")
    parts.append(f"case-only {sum(r['extra']['case_only'] for r in results.values())}")
    return ", ".join(parts)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", default="en")
    p.add_argument("--data", required=True, help="labelled inks with kinds (UNIPEN valid)")
    p.add_argument("--limit", type=int, help="at most this many inks per kind")
    p.add_argument("--model")
    p.add_argument("--inkjot", default=ROOT / "target/release/inkjot")
    p.add_argument("--cache", default=pathlib.Path(tempfile.gettempdir()) / "inkjot-tune")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument(
        "--max-beam-width",
        type=int,
        default=24,
        help="widest beam tried: decoding time grows with it (measure with `cargo bench --bench pipeline -- decode`)",
    )
    p.add_argument(
        "--from-pack",
        action="store_true",
        help="start from the pack's decoder.json (its values of the searched fields) instead of START",
    )
    p.add_argument("--write", action="store_true", help="store the best setting in decoder.json")
    args = p.parse_args()
    pathlib.Path(args.cache).mkdir(parents=True, exist_ok=True)

    with concurrent.futures.ThreadPoolExecutor(len(KINDS)) as pool:
        greedy = evaluate_all(args, pool, ["--no-lm"])
        print(f"greedy: {summary(greedy)}", flush=True)
        seen = {}

        def score(setting):
            key = json.dumps(setting, sort_keys=True)
            if key not in seen:
                results = evaluate_all(args, pool, ["--decoder", key])
                seen[key] = (objective(results, greedy), results)
            return seen[key]

        best = dict(START)
        if args.from_pack:
            current = json.loads((ROOT / "models" / args.lang / "decoder.json").read_text())
            best.update({k: current[k] for k in SEARCH if k in current})
        best_score, best_results = score(best)
        print(f"start {json.dumps(best)}: {best_score:.4f}: {summary(best_results, greedy)}", flush=True)
        for _ in range(args.rounds):
            improved = False
            for field, values in SEARCH.items():
                for v in values:
                    if field == "beam_width" and v > args.max_beam_width:
                        continue
                    trial = dict(best, **{field: v})
                    s, results = score(trial)
                    if s < best_score - 1e-6:
                        best, best_score, best_results, improved = trial, s, results, True
                        print(f"{field} = {v}: {s:.4f}: {summary(results, greedy)}", flush=True)
            if not improved:
                break

    print(f"best {json.dumps(best)}")
    print(f"  {summary(best_results, greedy)}")
    if args.write:
        path = ROOT / "models" / args.lang / "decoder.json"
        config = json.loads(path.read_text())
        config.update(best)
        config.pop("checksum", None)
        lm = lm_file(path.parent).read_bytes()
        path.write_text(seal_decoder_json(lm, config))  # the checksum over the LM + decoder.json
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
