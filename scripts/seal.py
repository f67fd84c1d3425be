#!/usr/bin/env python3
"""Seal inkjot model files and language packs with their CRC-32 checksum (src/checksum.rs).

    python3 scripts/seal.py models/recognizer-int8.safetensors   # a safetensors file
    python3 scripts/seal.py models/en                            # a pack: writes en/decoder.json
    python3 scripts/seal.py --check FILE_OR_DIR...               # verify only, exit 1 on a mismatch

A safetensors file gets the metadata key `checksum` = "crc32:" + 8 hex digits: the CRC-32 (zlib)
of the whole file with those 8 digits written as "00000000". Only the header is rewritten; the
tensor bytes are copied unchanged. A pack's decoder.json gets the member `checksum`: the CRC-32
of the pack's LM file (lm.bin, the compact format, else lm.fst; a pack with both is an error)
followed by decoder.json with the 8 digits written as "00000000". Seal only files you
trust: sealing vouches for the content as it is. Standard library only.
"""

import json
import struct
import sys
import zlib
from pathlib import Path

KEY = "checksum"
ZERO = "crc32:00000000"


def _header(data: bytes):
    (n,) = struct.unpack("<Q", data[:8])
    return n, json.loads(data[8 : 8 + n])


def seal_safetensors_bytes(data: bytes) -> bytes:
    n, header = _header(data)
    header.setdefault("__metadata__", {})[KEY] = ZERO
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    out = bytearray(struct.pack("<Q", len(text)) + text + data[8 + n :])
    at = out.index(ZERO.encode()) + len("crc32:")
    out[at : at + 8] = b"%08x" % zlib.crc32(out)
    return bytes(out)


def seal_decoder_json(lm: bytes, config: dict) -> str:
    config = dict(config)
    config[KEY] = ZERO
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    crc = zlib.crc32(text.encode(), zlib.crc32(lm))
    return text.replace(ZERO, f"crc32:{crc:08x}", 1)


def _verify(data: bytes, stored: str, prefix: bytes = b"") -> bool:
    if not (isinstance(stored, str) and stored.startswith("crc32:")):
        return False
    zeroed = data.replace(stored.encode(), ZERO.encode(), 1)
    return zlib.crc32(zeroed, zlib.crc32(prefix)) == int(stored[6:], 16)


def lm_file(pack: Path) -> Path:
    """The pack's LM file, as inkjot's LanguagePack::lm_path picks it."""
    compact, fst = pack / "lm.bin", pack / "lm.fst"
    if compact.exists() and fst.exists():
        raise SystemExit(f"{pack}: holds both lm.bin and lm.fst; keep one LM file")
    return compact if compact.exists() else fst


def check(path: Path) -> bool:
    if path.is_dir():
        lm = lm_file(path).read_bytes()
        text = (path / "decoder.json").read_bytes()
        return _verify(text, json.loads(text).get(KEY), lm)
    data = path.read_bytes()
    return _verify(data, _header(data)[1].get("__metadata__", {}).get(KEY))


def seal(path: Path) -> None:
    if path.is_dir():
        lm = lm_file(path).read_bytes()
        config = json.loads((path / "decoder.json").read_text())
        (path / "decoder.json").write_text(seal_decoder_json(lm, config))
    else:
        path.write_bytes(seal_safetensors_bytes(path.read_bytes()))


def main(argv) -> int:
    only_check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    ok = True
    for path in paths:
        if not only_check:
            seal(path)
        good = check(path)
        ok &= good
        print(f"{path}: {'ok' if good else 'CHECKSUM MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
