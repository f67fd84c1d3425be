"""scripts/export_wordfreq.py: giving German words back the ß that wordfreq's case folding took
(skipped without the wordfreq package, which the script imports)."""

import pytest

pytest.importorskip("wordfreq")


@pytest.fixture(scope="module")
def ew(load_script):
    return load_script("scripts/export_wordfreq.py")


def test_sharp_s_follows_the_text(ew):
    counts = ew.sharp_s_spellings("Die große Straße. Das heißt: Große Größe, dass es muss. Maße und Masse, Masse.")
    assert ew.restore_sharp_s("grosse", counts) == "große"
    assert ew.restore_sharp_s("heisst", counts) == "heißt"  # one of two ss pairs
    assert ew.restore_sharp_s("strasse", counts) == "straße"
    assert ew.restore_sharp_s("dass", counts) == "dass"  # the text writes ss
    assert ew.restore_sharp_s("masse", counts) == "masse"  # ss more often than ß
    assert ew.restore_sharp_s("fuss", counts) == "fuss"  # not in the text: unchanged
    assert ew.restore_sharp_s("grösse", counts) == "größe"


def test_overlapping_pairs_are_not_both_replaced(ew):
    counts = ew.sharp_s_spellings("ßs sß ßß")
    assert ew.restore_sharp_s("sss", counts) in {"ßs", "sß"}
    assert ew.restore_sharp_s("ssss", counts) == "ßß"
