"""scripts/extract_corpus_text.py: the Debian documentation packages to one sentence a line per
language, with the sentences each package and locale gave (skipped without wordfreq)."""

import subprocess
import sys

import pytest

pytest.importorskip("wordfreq")

from inkjot_train.config import REPO_ROOT  # noqa: E402

SCRIPT = f"{REPO_ROOT}/scripts/extract_corpus_text.py"

MALLARD = """<page xmlns="http://projectmallard.org/1.0/" id="x">
<info><desc>Nicht im Text.</desc></info>
<title>Die Maus einrichten</title>
<p>Sie können die Maus in den Einstellungen ändern. Klicken Sie auf die Taste, um sie zu sehen.</p>
<p>You can change the mouse in the settings and the keyboard too.</p>
<screen>ls -l /usr/share</screen>
</page>"""

HANDBOOK = """<html><body>
<h2>6.2. Pakker og tjenester</h2>
<div class="para">Du kan installere pakken med apt. Det tar ikke lang tid for de fleste.</div>
<pre>apt install pakke</pre>
</body></html>"""


def test_each_language_gets_its_sentences_and_their_sources(tmp_path):
    root = tmp_path / "root"
    help_dir = root / "usr/share/help/de/gnome-help"
    help_dir.mkdir(parents=True)
    (help_dir / "mouse.page").write_text(MALLARD, encoding="utf-8")
    book = root / "usr/share/doc/debian-handbook/html/nb-NO"
    book.mkdir(parents=True)
    (book / "packages.html").write_text(HANDBOOK, encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, SCRIPT, str(root), str(out), "de", "nb", "sk"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    # German from the help: the English paragraph, the <info> and the <screen> block are left out.
    assert (out / "de.txt").read_text(encoding="utf-8").splitlines() == [
        "Die Maus einrichten",
        "Sie können die Maus in den Einstellungen ändern.",
        "Klicken Sie auf die Taste, um sie zu sehen.",
    ]
    assert (out / "de.sources.tsv").read_text().splitlines() == [
        "package\tlocale\tsentences",
        "gnome-user-docs\tde\t3",
        "debian-handbook\tde-DE\t0",
    ]
    # Norwegian from the handbook alone, the heading without its number, no <pre> block.
    assert (out / "nb.txt").read_text(encoding="utf-8").splitlines() == [
        "Pakker og tjenester",
        "Du kan installere pakken med apt.",
        "Det tar ikke lang tid for de fleste.",
    ]
    assert (out / "nb.sources.tsv").read_text().splitlines()[1:] == ["debian-handbook\tnb-NO\t3"]
    # Slovak is in neither package: no file, and the log says so.
    assert not (out / "sk.txt").exists()
    assert "sk: no running text" in run.stderr
