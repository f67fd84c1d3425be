"""Feature names and count come from the featurize file's metadata."""

import os
import re

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from inkjot_train.config import REPO_ROOT
from inkjot_train.data import load_inkset, parse_feature_names, save_inkset
from inkjot_train.synth import make_synthetic


def rust_feature_names() -> tuple:
    """FEATURE_NAMES as declared in src/features/vector.rs (an independent source of truth)."""
    with open(os.path.join(REPO_ROOT, "src", "features", "vector.rs")) as f:
        src = f.read()
    body = re.search(r"pub const FEATURE_NAMES: \[&str; \w+\] = \[(.*?)\];", src, re.S)
    assert body, "FEATURE_NAMES not found in vector.rs"
    return tuple(re.findall(r'"([^"]+)"', body.group(1)))


def test_names_from_a_real_featurize_file(featurized_sample):
    inks = load_inkset(featurized_sample)
    assert inks.feature_names == rust_feature_names()
    assert inks.features.shape[1] == inks.feature_dim == len(inks.feature_names)
    assert len(inks) == 7 and inks.labels[2] == "a quick brown fox jumps"
    # the pen-up flag is where its name says: 0 or 1 only
    pen_up = inks.features[:, inks.feature_names.index("p")]
    assert set(np.unique(pen_up)) <= {0.0, 1.0} and pen_up.max() == 1.0


def rewrite(path, out, meta_change, features=None):
    t = load_file(path)
    with safe_open(path, framework="numpy") as f:
        meta = dict(f.metadata())
    meta.update(meta_change)
    meta = {k: v for k, v in meta.items() if v is not None}
    if features is not None:
        t["features"] = features
    save_file(t, out, metadata=meta)
    return out


def test_other_feature_layouts_are_read_as_written(tmp_path):
    # a file with a 12th feature: nothing in Python assumes 11
    inks = make_synthetic(20, seed=3)
    src = str(tmp_path / "a.safetensors")
    save_inkset(src, inks)
    wider = np.concatenate([inks.features, np.ones((len(inks.features), 1), np.float32)], axis=1)
    names = ",".join(inks.feature_names) + ",extra"
    out = rewrite(src, str(tmp_path / "b.safetensors"), {"feature_names": names, "feature_dim": "12"}, wider)
    back = load_inkset(out)
    assert back.feature_names[-1] == "extra" and back.features.shape == (len(inks.features), 12)


@pytest.mark.parametrize(
    "meta, match",
    [
        ({"feature_names": None}, "no `feature_names`"),
        ({"feature_names": "dx,dy,,p"}, "bad `feature_names`"),
        ({"feature_names": "dx,dx"}, "bad `feature_names`"),
        ({"feature_dim": "10"}, "feature_dim 10"),
    ],
)
def test_bad_feature_metadata_is_a_clear_error(tmp_path, meta, match):
    src = str(tmp_path / "a.safetensors")
    save_inkset(src, make_synthetic(5, seed=1))
    out = rewrite(src, str(tmp_path / "b.safetensors"), meta)
    with pytest.raises(ValueError, match=match):
        load_inkset(out)


def test_names_that_do_not_match_the_columns(tmp_path):
    src = str(tmp_path / "a.safetensors")
    save_inkset(src, make_synthetic(5, seed=1))
    out = rewrite(src, str(tmp_path / "b.safetensors"), {"feature_names": "dx,dy,p", "feature_dim": "3"})
    with pytest.raises(ValueError, match="features shape"):
        load_inkset(out)


def test_parse_feature_names_without_dim():
    assert parse_feature_names({"feature_names": "a, b ,c"}) == ("a", "b", "c")
