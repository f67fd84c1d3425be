#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from tests/fixtures (a few files each).

Run from the repository root: python3 fuzz/make_seeds.py  (needs target/release/inkjot for the
small LM seed of load_pack). The byte formats are documented in fuzz/src/lib.rs and each target.
"""

import gzip
import json
import struct
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
SAMPLE = ROOT / "tests" / "fixtures" / "unipen_valid_sample.jsonl"
NEW_STROKE = 0xFE


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def records():
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


def points(stroke):
    """Grid points of one stroke: (dt, x, y), clamped to the byte format's ranges."""
    t = stroke.get("t") or [10 * i for i in range(len(stroke["x"]))]
    out, last = [], t[0]
    for x, y, ti in zip(stroke["x"], stroke["y"], t):
        dt = max(0, min(252, round(ti - last)))
        last = ti
        out.append((dt, max(-32768, min(32767, round(x))), max(-32768, min(32767, round(y)))))
    return out


def point_bytes(p):
    return struct.pack("<Bhh", *p)


def ink_bytes(record, unit_exp=0):
    out = bytearray(struct.pack("<b", unit_exp))
    for i, stroke in enumerate(record["strokes"]):
        if i:
            out.append(NEW_STROKE)
        for p in points(stroke):
            out += point_bytes(p)
    return bytes(out)


def session_bytes(record, height_byte, candidates_every_stroke):
    out = bytearray([height_byte, 0])
    for stroke in record["strokes"]:
        pts = points(stroke)
        out += bytes([0]) + point_bytes(pts[0])  # AddPoint
        for i in range(1, len(pts), 40):  # AddPoints, 40 at a time
            chunk = pts[i : i + 40]
            out += bytes([1, len(chunk)]) + b"".join(point_bytes(p) for p in chunk)
        out.append(2)  # EndStroke
        if candidates_every_stroke:
            out += bytes([3, 5, 0b011, 0, 3]) + b"I'm"  # Candidates: LM, options, pre-context
    out += bytes([3, 3, 0b001, 0, 0])  # Candidates with NULL options
    out.append(4)  # Clear
    return bytes(out)


def main():
    recs = records()
    lines = SAMPLE.read_text().splitlines()
    # JSON Lines: a char, a word (one with t dropped), a gzip file, two bad lines.
    write("read_jsonl", "char", lines[0] + "\n")
    word = json.loads(lines[3])
    for s in word["strokes"]:
        s.pop("t", None)
    write("read_jsonl", "word_no_t", json.dumps(word) + "\n" + lines[1] + "\n")
    write("read_jsonl", "gzip", gzip.compress((lines[4] + "\n").encode(), mtime=0))
    write("read_jsonl", "bad", '{"id": 3, "strokes": [{"x": [1, 2], "y": [1]}]}\n{"strokes": []}\nnot json\n')
    # InkML: the fixture and two small documents.
    write("read_inkml", "sample", (ROOT / "tests" / "fixtures" / "sample.inkml").read_text())
    write("read_inkml", "plain", '<ink xmlns="http://www.w3.org/2003/InkML"><trace>10 0, 9 14, 8 28</trace></ink>')
    write(
        "read_inkml",
        "groups",
        '<ink><traceFormat><channel name="X"/><channel name="Y"/><channel name="T" units="s"/>'
        "</traceFormat><annotation type=\"truth\">hi</annotation><traceGroup><trace>0 0 0, '1 2 0.01,"
        ' "1 1 0.01</trace><traceGroup><trace>5 5 1, !6 7 1.1</trace></traceGroup></traceGroup></ink>',
    )
    # Fitting: a char, a word, a word in a writing area, a tiny-unit copy.
    write("fit", "char", b"\x00" + ink_bytes(recs[0]))
    write("fit", "word", b"\x00" + ink_bytes(recs[5]))
    write("fit", "word_area", b"\x20" + ink_bytes(recs[4]))
    write("fit", "char_tiny_unit", b"\x00" + ink_bytes(recs[1], unit_exp=-40))
    # Model loader: the tiny model.
    write("load_model", "tiny", (ROOT / "tests" / "fixtures" / "tiny-model.safetensors").read_bytes())
    # Pack loader: a small LM built from a few words, with and without decoder settings.
    with tempfile.TemporaryDirectory() as tmp:
        words = Path(tmp) / "words.tsv"
        words.write_text("the\t100\nquick\t20\nbrown\t10\nfox\t10\nlunch\t5\nhave\t30\n")
        fst = Path(tmp) / "lm.fst"
        subprocess.run(
            [str(ROOT / "target" / "release" / "inkjot"), "lm", "build", "--words", str(words),
             "--order", "3", "--out", str(fst)],
            check=True, capture_output=True,
        )
        lm = fst.read_bytes()
        compact = Path(tmp) / "lm.bin"
        subprocess.run(
            [str(ROOT / "target" / "release" / "inkjot"), "lm", "convert", str(fst), str(compact)],
            check=True, capture_output=True,
        )
        lm_compact = compact.read_bytes()
    config = (ROOT / "models" / "en" / "decoder.json").read_bytes()
    write("load_pack", "small_lm", struct.pack("<H", len(config)) + config + lm)
    write("load_pack", "small_lm_defaults", struct.pack("<H", 2) + b"{}" + lm)
    # The same LM in the compact format (lm.bin).
    write("load_pack", "small_lm_compact", struct.pack("<H", len(config)) + config + lm_compact)
    write("load_pack", "small_lm_compact_defaults", struct.pack("<H", 2) + b"{}" + lm_compact)
    # Recognition: flags (bit 0 shipped, bit 1 LM), n-best, height, pre-context, ink.
    write("recognize", "tiny_char", bytes([0, 1, 0, 0]) + ink_bytes(recs[0]))
    write("recognize", "shipped_lm_word", bytes([3, 5, 0, 4]) + b"I'd " + ink_bytes(recs[5]))
    write("recognize", "shipped_greedy_area", bytes([1, 1, 0x30, 0]) + ink_bytes(recs[4]))
    # Session: a word fed stroke by stroke, with and without a writing area.
    write("session", "word_auto", session_bytes(recs[5], 0, True))
    write("session", "word_area", session_bytes(recs[4], 0x30, False))


if __name__ == "__main__":
    main()
