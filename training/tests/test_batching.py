"""The featurize layout round trip, alphabet, filtering and length-bucketed batching."""

import numpy as np

from inkjot_train.data import build_alphabet, collate, load_inkset, make_batches, prepare, save_inkset
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
