#!/usr/bin/env python3
"""Measure segmentation against the writing order on labelled word inks.

Reads the output of `inkjot recognize --segments` and the labelled inks, and for the best
candidate of each ink (all of them, and those equal to the label) reports how often a character's
ink is

- contiguous: no other character's points lie between its first and last point in writing order
  (stroke by stroke, point by point; shared joining points do not count),
- in order: its first point comes after the previous character's first point,

and how often every character of a word is both, and how often character boxes run left to right
(each character's box centre right of the previous one's).

    inkjot recognize --segments --nbest 1 words.jsonl > seg.jsonl
    python3 scripts/segment_stats.py words.jsonl seg.jsonl
"""

import argparse
import json


def chars_of(candidate):
    return [s for s in candidate.get("segments", []) if s["kind"] == "char" and not s["text"].isspace()]


def stats(chars):
    """Per character (contiguous, in order) and per consecutive pair (left to right)."""
    owner = {}
    for i, c in enumerate(chars):
        for stroke, first, last in c["strokes"]:
            for p in range(first, last + 1):
                owner.setdefault((stroke, p), set()).add(i)
    out = []
    prev_start = None
    for i, c in enumerate(chars):
        if not c["strokes"]:
            out.append((False, False))
            continue
        start = min((s, f) for s, f, _ in c["strokes"])
        end = max((s, last) for s, _, last in c["strokes"])
        between = [k for k, v in owner.items() if start < k < end and i not in v]
        in_order = prev_start is None or start >= prev_start
        out.append((not between, in_order))
        prev_start = start
    boxes = [c["box"] for c in chars if c["box"]]
    centres = [(b[0] + b[2]) / 2 for b in boxes]
    pairs = [b > a for a, b in zip(centres, centres[1:], strict=False)]
    return out, pairs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inks")
    ap.add_argument("segments")
    args = ap.parse_args()
    labels = {}
    with open(args.inks) as f:
        for line in f:
            r = json.loads(line)
            labels[r["id"]] = r.get("label", "")
    groups = {"all": [], "right": []}
    with open(args.segments) as f:
        for line in f:
            r = json.loads(line)
            if not r.get("candidates"):
                continue
            best = r["candidates"][0]
            result = stats(chars_of(best))
            groups["all"].append(result)
            if best["text"].strip() == labels.get(r["id"], "").strip():
                groups["right"].append(result)
    for name, results in groups.items():
        chars = [c for per_char, _ in results for c in per_char]
        pairs = [p for _, per_pair in results for p in per_pair]
        words = [all(a and b for a, b in per_char) for per_char, _ in results if per_char]
        pct = lambda xs: 100 * sum(xs) / max(len(xs), 1)  # noqa: E731
        print(
            f"{name}: {len(results)} words, {len(chars)} characters: contiguous {pct([c[0] for c in chars]):.1f}%, "
            f"in order {pct([c[1] for c in chars]):.1f}%, both {pct([c[0] and c[1] for c in chars]):.1f}%; "
            f"words with every character both {pct(words):.1f}%; boxes left to right {pct(pairs):.1f}% of pairs"
        )


if __name__ == "__main__":
    main()
