#!/usr/bin/env python3
"""Select the multi-line inks of a UNIPEN JSON Lines file: free texts written over several lines.

UNIPEN labels carry no line breaks, so lines are found in the ink alone, with a detector kept
independent of the recognizer's line splitter (src/lines.rs) so that the set does not favour it:
walking the strokes in writing order, a *carriage return* is a stroke that is not small (taller
than 0.3 h, h = the 75th percentile of stroke heights), has its centre more than 0.8 h below the middle
of the current line (the median centre of its last 8 strokes) and its top below the line's bottom
(the median bottom of those strokes) less 0.25 h, and starts in
the left half of the current line, which is wider than 2 h; the next (up to) 5 strokes that are
not small must lie that low too. An ink is multi-line when it has at least one carriage return and
is taller than 1.8 h. Each selected record gets `"lines"`: the number of
lines found (carriage returns + 1). Deterministic: same input, same output.

    python3 scripts/multiline_valid.py ../shared/data/unipen/valid.jsonl.gz --out multiline_valid.jsonl \
        --single singleline_valid.jsonl
"""

import argparse
import gzip
import json
import statistics


def boxes_of(record):
    return [(min(s["x"]), max(s["x"]), min(s["y"]), max(s["y"])) for s in record["strokes"] if s["x"]]


def count_lines(boxes):
    """Lines of an ink (1 + carriage returns) from its strokes' boxes in writing order."""
    if len(boxes) < 2:
        return 1
    heights = sorted(b[3] - b[2] for b in boxes)
    h = max(1.0, heights[len(heights) * 3 // 4])
    total = max(b[3] for b in boxes) - min(b[2] for b in boxes)
    if total <= 1.8 * h:
        return 1
    lines = 1
    left, right = boxes[0][0], boxes[0][1]
    centres = [(boxes[0][2] + boxes[0][3]) / 2]
    bottoms = [boxes[0][3]]
    for i, (x0, x1, y0, y1) in enumerate(boxes[1:], start=1):
        centre = (y0 + y1) / 2
        middle = statistics.median(centres[-8:])
        returns = right - left > 2 * h and x0 < left + 0.5 * (right - left)
        below = y0 > statistics.median(bottoms[-8:]) - 0.25 * h and centre > middle + 0.8 * h
        if returns and below and y1 - y0 > 0.3 * h:
            # confirmed by the strokes that follow: the next (up to) 5 that are not small stay low
            ahead = [(b[2] + b[3]) / 2 for b in boxes[i : i + 12] if b[3] - b[2] > 0.3 * h][:5]
            if statistics.median(ahead) > middle + 0.8 * h:
                lines += 1
                left, right, centres, bottoms = x0, x1, [centre], [y1]
                continue
        right = max(right, x1)
        centres.append(centre)
        bottoms.append(y1)
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="UNIPEN JSON Lines (.jsonl or .jsonl.gz)")
    ap.add_argument("--out", required=True, help="JSON Lines of the multi-line text inks")
    ap.add_argument("--kind", default="text", help="record kind to look at (default: text)")
    ap.add_argument("--single", help="also write the other inks of that kind (one line) here")
    args = ap.parse_args()
    opener = gzip.open if args.input.endswith(".gz") else open
    seen = kept = 0
    by_lines = {}
    single = open(args.single, "w", encoding="utf-8") if args.single else None
    with opener(args.input, "rt", encoding="utf-8") as f, open(args.out, "w", encoding="utf-8") as out:
        for line in f:
            record = json.loads(line)
            if record.get("kind") != args.kind:
                continue
            seen += 1
            lines = count_lines(boxes_of(record))
            if lines < 2:
                if single:
                    single.write(line if line.endswith("\n") else line + "\n")
                continue
            kept += 1
            by_lines[lines] = by_lines.get(lines, 0) + 1
            record["lines"] = lines
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    if single:
        single.close()
    print(f"{kept} of {seen} {args.kind} inks span several lines; by lines found: {dict(sorted(by_lines.items()))}")


if __name__ == "__main__":
    main()
