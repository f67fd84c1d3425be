#!/usr/bin/env python3
"""Writes tests/fixtures/tiny-model.safetensors: a tiny random model in the inkjot model format.

The model is untrained (its output is deterministic gibberish); tests of the C ABI, the JNI bridge
and the streaming session use it so that they run without the shipped model. The layout is the one
documented in src/model/format.rs: one bidirectional QRNN layer (hidden 8, kernel 2) over the 10
curve features, an output layer over a 64-symbol alphabet (blank, space, digits, letters), f32
weights. Needs numpy and safetensors. The file is serialized here with a sorted header (the
safetensors writer orders metadata at random), so the output is byte-for-byte reproducible; it is
read back with safetensors as a check, then sealed with its checksum (scripts/seal.py).

With `--latin` it writes tests/fixtures/tiny-model-latin.safetensors instead: the same network
over an alphabet of accented letters and symbols (blank, a, ü, ß, ł, €, ș, «, é) whose output
layer ignores its input and always favours the last symbol, `é`; tests use it to follow a
non-ASCII symbol through the decoder, the C ABI and the CLI's JSON.

Usage: python3 scripts/make_tiny_model.py [--latin] [OUTPUT]
"""

import json
import string
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seal import seal  # noqa: E402  (scripts/seal.py, beside this file)

LAYERS, HIDDEN, KERNEL, INPUT_DIM = 1, 8, 2, 10


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """The safetensors layout: u64 header length, JSON header (sorted, space-padded to 8 bytes),
    then the tensors' little-endian bytes in header order."""
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.int8): "I8"}
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": dtypes[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        f.writelines(blobs)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--latin"]
    latin = "--latin" in sys.argv[1:]
    name = "tiny-model-latin.safetensors" if latin else "tiny-model.safetensors"
    out = Path(args[0]) if args else (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / name)
    rng = np.random.default_rng(20240605)
    if latin:
        alphabet = ["", "a", "ü", "ß", "ł", "€", "ș", "«", "é"]
    else:
        alphabet = [""] + list(" " + string.digits + string.ascii_lowercase + string.ascii_uppercase)
    tensors = {}
    d_in = INPUT_DIM
    for layer in range(LAYERS):
        for direction in ("fwd", "bwd"):
            scale = 1.0 / np.sqrt(KERNEL * d_in)
            tensors[f"qrnn.{layer}.{direction}.weight"] = (
                rng.standard_normal((3 * HIDDEN, KERNEL * d_in)) * scale
            ).astype(np.float32)
            tensors[f"qrnn.{layer}.{direction}.bias"] = (rng.standard_normal(3 * HIDDEN) * 0.1).astype(np.float32)
        d_in = 2 * HIDDEN
    tensors["out.weight"] = (rng.standard_normal((len(alphabet), 2 * HIDDEN)) * 1.5).astype(np.float32)
    bias = (rng.standard_normal(len(alphabet)) * 0.5).astype(np.float32)
    bias[0] = 1.0  # some blanks, so that outputs are not one symbol per curve
    if latin:
        tensors["out.weight"][:] = 0.0
        bias[:] = -4.0
        bias[0] = 0.0
        bias[-1] = 4.0  # always "é"
    tensors["out.bias"] = bias
    metadata = {
        "format": "inkjot-model",
        "version": "1",
        "alphabet": json.dumps(alphabet),
        "arch": json.dumps(
            {"type": "bi-qrnn", "layers": LAYERS, "hidden": HIDDEN, "kernel": KERNEL, "input_dim": INPUT_DIM}
        ),
        "feature_mean": json.dumps([0.0] * INPUT_DIM),
        "feature_std": json.dumps([1.0] * INPUT_DIM),
        "quantization": "none",
        "description": "tiny random test model (scripts/make_tiny_model.py"
        + (" --latin), always reads é" if latin else "), not trained"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(out, tensors, metadata)
    seal(out)
    check = load_file(str(out))
    assert all(np.array_equal(check[k], v) for k, v in tensors.items())
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
