#!/usr/bin/env python3
"""Compare decoders (greedy, language packs) on labelled inks, by kind: CER, how often a line's
final punctuation is kept, and case-only word errors.

Runs `inkjot recognize` once per decoder and kind on the inks of that kind and compares the top
candidate with the label. Prints one Markdown table row per decoder and kind.

    python3 scripts/lm_report.py --data ../shared/data/unipen/valid.jsonl.gz \
        --decoder greedy=--no-lm --decoder old=--lang=models/en --decoder new=--lang=/tmp/en-new

- CER: character edit distance / label characters (as `inkjot eval`).
- final mark kept: of the labels ending in . , ! or ?, those whose output ends in the same mark.
- case-only: words (split on spaces, aligned only where the word counts agree) that differ from
  the label's word only in case, as a share of all label words, and of the wrong words.
"""

import argparse
import gzip
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def split_by_kind(data: str, kinds: list[str], limit: int, tmp: pathlib.Path) -> dict:
    opener = gzip.open if data.endswith(".gz") else open
    files, labels = {}, {k: {} for k in kinds}
    with opener(data, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            k = r.get("kind")
            if k in labels and (not limit or len(labels[k]) < limit):
                if k not in files:
                    files[k] = open(tmp / f"{k}.jsonl", "w", encoding="utf-8")
                files[k].write(line)
                labels[k][r["id"]] = r["label"]
    for f in files.values():
        f.close()
    return labels


def score(labels: dict, outputs: dict) -> dict:
    chars = errors = marks = kept = words = wrong = case_only = 0
    for id_, label in labels.items():
        out = outputs.get(id_, "")
        chars += len(label)
        errors += edit_distance(label, out)
        if label and label[-1] in ".,!?":
            marks += 1
            kept += out.endswith(label[-1])
        lw, ow = label.split(), out.split()
        words += len(lw)
        if len(lw) == len(ow):
            for a, b in zip(lw, ow, strict=True):
                if a != b:
                    wrong += 1
                    case_only += a.lower() == b.lower()
        else:
            wrong += len(lw)
    return {
        "cer": errors / max(chars, 1),
        "marks": marks,
        "kept": kept,
        "words": words,
        "wrong": wrong,
        "case_only": case_only,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--kinds", default="word,text,char")
    p.add_argument("--limit", type=int, default=0, help="most inks per kind (0: all)")
    p.add_argument("--inkjot", default=str(ROOT / "target/release/inkjot"))
    p.add_argument(
        "--decoder",
        action="append",
        required=True,
        help="NAME=ARGS: extra `inkjot recognize` arguments, comma-separated (e.g. old=--lang=models/en)",
    )
    p.add_argument("--json", help="also write the numbers to this file")
    args = p.parse_args()
    kinds = args.kinds.split(",")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        labels = split_by_kind(args.data, kinds, args.limit, tmp)
        print("| decoder | kind | inks | CER | final mark kept | case-only words (of wrong) |")
        print("|---|---|---|---|---|---|")
        for spec in args.decoder:
            name, _, extra = spec.partition("=")
            for kind in kinds:
                cmd = [args.inkjot, "recognize", str(tmp / f"{kind}.jsonl"), "--nbest", "1"]
                cmd += [a for a in extra.split(",") if a]
                run = subprocess.run(cmd, check=True, capture_output=True, text=True)
                outputs = {}
                for line in run.stdout.splitlines():
                    r = json.loads(line)
                    cands = r.get("candidates") or [{"text": ""}]
                    outputs[r["id"]] = cands[0]["text"]
                s = score(labels[kind], outputs)
                results[f"{name}/{kind}"] = s
                mark = f"{s['kept']}/{s['marks']}" if s["marks"] else "-"
                case = f"{s['case_only'] / max(s['words'], 1):.2%} ({s['case_only']}/{s['wrong']})"
                print(
                    f"| {name} | {kind} | {len(labels[kind])} | {s['cer']:.2%} | {mark} | {case} |",
                    flush=True,
                )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
