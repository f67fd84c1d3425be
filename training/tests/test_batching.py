"""The featurize layout round trip, alphabet, filtering and length-bucketed batching."""

import numpy as np

from inkjot_train.config import parse_sample_weights
from inkjot_train.data import (
    build_alphabet,
    collate,
    load_inkset,
    make_batches,
    prepare,
    sample_group,
    save_inkset,
    weighted_positions,
)
from inkjot_train.synth import make_synthetic


def test_featurize_layout_round_trip(tmp_path):
    inks = make_synthetic(50, seed=5)
    path = str(tmp_path / "x.safetensors")
    save_inkset(path, inks)
    back = load_inkset(path)
    assert back.labels == inks.labels and back.ids == inks.ids
    assert np.array_equal(back.features, inks.features) and back.feature_names == inks.feature_names
    assert back.metadata["format"] == "inkjot-features" and back.metadata["feature_dim"] == str(inks.feature_dim)


def test_batches_cover_every_ink_once_within_the_budget():
    inks = make_synthetic(300, seed=5)
    prep = prepare(inks, build_alphabet(inks.labels, 1))
    batches = make_batches(prep.lengths, 512, 64, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(prep)))
    assert all(len(b) <= 64 and (len(b) * prep.lengths[b].max() <= 512 or len(b) == 1) for b in batches)
    b = collate(prep, batches[0])
    assert b.x.shape == (prep.lengths[batches[0]].max(), len(batches[0]), inks.feature_dim)
    assert int(b.target_lengths.sum()) == len(b.targets)


def test_prepare_drops_what_ctc_cannot_learn():
    inks = make_synthetic(40, seed=2)
    alphabet = build_alphabet(inks.labels, 1)
    rare = alphabet.pop()  # a character now outside the alphabet
    prep = prepare(inks, alphabet)
    outside = sum(1 for s in inks.labels if rare in s)
    assert prep.dropped.get("chars outside alphabet", 0) == outside
    assert len(prep) + sum(prep.dropped.values()) == len(inks)


def test_sample_groups_tell_synthetic_from_real_kinds():
    assert sample_group("7/aga/b84b4d2fbc/0") == "word"
    assert sample_group("1a/aga/b84b4d2fbc/1") == "char"
    assert sample_group("8/apc/68a1f99b84/0") == "text"
    assert sample_group("1s/synth-marked-letter/1/0") == "synthetic"
    assert sample_group("7/synth-composed-word/1/3") == "synthetic"


def test_weighted_positions_repeat_and_thin_groups():
    groups = ["word"] * 1000 + ["synthetic"] * 1000 + ["char"] * 1000
    weights = parse_sample_weights("word=2, synthetic=0.25")
    drawn = weighted_positions(groups, weights, np.random.default_rng(1))
    counts = np.bincount(drawn, minlength=len(groups))
    assert (counts[:1000] == 2).all()  # whole weights: exactly that many times
    assert set(counts[1000:2000].tolist()) <= {0, 1} and 180 < counts[1000:2000].sum() < 320
    assert (counts[2000:] == 1).all()  # groups not named keep weight 1
    assert list(drawn) == sorted(drawn)
    assert np.array_equal(weighted_positions(groups, {}, np.random.default_rng(1)), np.arange(len(groups)))
