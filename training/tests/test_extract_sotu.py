"""scripts/extract_sotu_text.py: State of the Union addresses to one sentence a line for the
English word pairs (skipped without the wordfreq package, which extract_corpus_text imports)."""

import subprocess
import sys

import pytest

pytest.importorskip("wordfreq")

from inkjot_train.config import REPO_ROOT  # noqa: E402

SCRIPT = f"{REPO_ROOT}/scripts/extract_sotu_text.py"


def test_stage_directions_go_and_sentences_split(load_script):
    es = load_script("scripts/extract_sotu_text.py")
    text = (
        "Thank you. (Applause.) Madam Speaker, Mr. Vice President — members of Congress: "
        "tonight we meet again. Our economy is strong.\nShort one.\nIt grew by 3.5% in the year 2019!"
    )
    assert es.address_sentences(text) == [
        "Madam Speaker, Mr. Vice President — members of Congress: tonight we meet again.",
        "Our economy is strong.",
        "It grew by 3.5% in the year 2019!",
    ]


def test_the_years_are_chosen_and_repeats_kept_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "1899_william_mckinley_r.txt").write_text("The old century ends with us today.")
    (data / "1901_theodore_roosevelt_r.txt").write_text("The century begins with this nation. We work hard every day.")
    (data / "1902_theodore_roosevelt_r.txt").write_text("We work hard every day. (Laughter.) Congress met in the fall.")
    (data / "README.txt").write_text("not an address")
    out = tmp_path / "pairs.txt"
    subprocess.run([sys.executable, SCRIPT, str(data), "1900", str(out)], check=True, capture_output=True)
    assert out.read_text().splitlines() == [
        "The century begins with this nation.",
        "We work hard every day.",
        "Congress met in the fall.",
    ]
    missing = subprocess.run([sys.executable, SCRIPT, str(data), "2050", str(out)], capture_output=True, text=True)
    assert missing.returncode == 1 and "no addresses" in missing.stderr
