#!/usr/bin/env python3
"""Converts inkjot JSON Lines inks into the plain text ink format read by the C example, the C
tests and the Java host tests (ffi/README.md describes it):

    # comment
    ink <id> <label, may contain spaces, may be empty>
    stroke x y t x y t ...

One `ink` line per ink, then one `stroke` line per stroke holding its points as x y t triples.
Strokes without time get 10 ms per point, as the Rust reader does (continuing from the previous
stroke with a gap of two steps).

Usage: python3 scripts/ink_to_text.py INPUT.jsonl > OUTPUT.txt
"""

import json
import sys


def number(v: float) -> str:
    return repr(float(v)).removesuffix(".0")


def main() -> None:
    src = sys.argv[1]
    print(f"# converted from {src.split('/')[-1]} by scripts/ink_to_text.py")
    with open(src, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            record = json.loads(line)
            label = (record.get("label") or "").replace("\n", " ")
            print(f"ink {record.get('id', i)} {label}".rstrip())
            next_t = 0.0
            for stroke in record["strokes"]:
                xs, ys = stroke["x"], stroke["y"]
                ts = stroke.get("t") or [next_t + 10.0 * k for k in range(len(xs))]
                if ts:
                    next_t = ts[-1] + 20.0
                triples = " ".join(f"{number(x)} {number(y)} {number(t)}" for x, y, t in zip(xs, ys, ts, strict=True))
                print(f"stroke {triples}")


if __name__ == "__main__":
    main()
