"""Shared fixtures: synthetic featurize files and a real one written by `inkjot featurize`."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import warnings

import pytest

from inkjot_train.config import REPO_ROOT
from inkjot_train.data import save_inkset
from inkjot_train.synth import make_synthetic

warnings.filterwarnings("ignore", category=FutureWarning)

INKJOT_BIN = os.environ.get("INKJOT_BIN", os.path.join(REPO_ROOT, "target", "release", "inkjot"))
SAMPLE_JSONL = os.path.join(REPO_ROOT, "tests", "fixtures", "unipen_valid_sample.jsonl")


@pytest.fixture(scope="session")
def load_script():
    """A function that imports a script of the repository by its path (e.g. "scripts/x.py") as a
    module, for testing its functions without running it."""

    def load(relative_path: str):
        name = os.path.splitext(os.path.basename(relative_path))[0]
        spec = importlib.util.spec_from_file_location(f"inkjot_script_{name}", os.path.join(REPO_ROOT, relative_path))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def featurized_sample(tmp_path_factory) -> str:
    """tests/fixtures/unipen_valid_sample.jsonl featurized by the Rust CLI (`cargo build --release`
    first). Skipped without the binary, except under CI, where that is a failure."""
    if not os.path.exists(INKJOT_BIN):
        msg = f"{INKJOT_BIN} not built (cargo build --release, or set INKJOT_BIN)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    out = str(tmp_path_factory.mktemp("featurize") / "sample.safetensors")
    subprocess.run([INKJOT_BIN, "featurize", SAMPLE_JSONL, "--out", out], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def synthetic_files(tmp_path_factory) -> tuple[str, str]:
    """(train, valid) synthetic featurize files: 300 and 60 inks."""
    d = tmp_path_factory.mktemp("synth")
    train, valid = str(d / "train.safetensors"), str(d / "valid.safetensors")
    save_inkset(train, make_synthetic(300, seed=1))
    save_inkset(valid, make_synthetic(60, seed=2))
    return train, valid
