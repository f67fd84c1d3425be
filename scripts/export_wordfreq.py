#!/usr/bin/env python3
"""Export the top N words of a language from the `wordfreq` package as `word<TAB>count` lines.

Usage: scripts/export_wordfreq.py LANG N OUT.tsv

The count is the word's frequency per billion words (wordfreq's frequency x 1e9, rounded, at
least 1), most frequent first. Only words made of letters of the Latin script, with inner
apostrophes or hyphens, are kept (no digits, punctuation, emoji or other scripts); the list is
filled up to N with such words. wordfreq lowercases its words.

Licence of the exported data: wordfreq's README says its "data files ... may be redistributed
under a Creative Commons Attribution-ShareAlike 4.0 license"
(https://creativecommons.org/licenses/by-sa/4.0/), with credit to the SUBTLEX authors; the
script writes that notice next to OUT.tsv as OUT.tsv.LICENSE.
"""

import sys
import unicodedata
from importlib.metadata import version

import wordfreq

LICENSE = """\
Word frequencies from wordfreq {version} (https://github.com/rspeer/wordfreq), language "{lang}",
top {n} words, exported by scripts/export_wordfreq.py.

wordfreq's README: "wordfreq is freely redistributable under the Apache license (see
LICENSE.txt), and it includes data files that may be redistributed under a Creative Commons
Attribution-ShareAlike 4.0 license (<https://creativecommons.org/licenses/by-sa/4.0/>)."
The data are derived from Wikipedia, Google Books Ngrams, the Leeds Internet Corpus, ParaCrawl,
OPUS OpenSubtitles 2018, SUBTLEX (Marc Brysbaert et al.; "Wordfreq and code derived from it
must credit the SUBTLEX authors. It must remain clear that SUBTLEX is freely available data."),
Twitter, Reddit and other sources listed in wordfreq's README.

Robyn Speer. (2022). rspeer/wordfreq: v3.0 (v3.0.2). Zenodo.
https://doi.org/10.5281/zenodo.7199437

The language model built from these counts is an adaptation of the data and is shared under the
same licence, CC BY-SA 4.0.
"""


def latin_letter(c: str) -> bool:
    return c.isalpha() and unicodedata.name(c, "").startswith("LATIN ")


def acceptable(word: str) -> bool:
    if not word or not latin_letter(word[0]) or not latin_letter(word[-1]):
        return False
    return all(latin_letter(c) or c in "'-" for c in word)


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    lang, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    wordlist = "large" if lang in wordfreq.available_languages("large") else "best"
    freqs = wordfreq.get_frequency_dict(lang, wordlist)
    rows = []
    for word, freq in sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0])):
        word = unicodedata.normalize("NFC", word)
        if acceptable(word):
            rows.append((word, max(1, round(freq * 1e9))))
            if len(rows) == n:
                break
    with open(out, "w", encoding="utf-8") as f:
        for word, count in rows:
            f.write(f"{word}\t{count}\n")
    with open(out + ".LICENSE", "w", encoding="utf-8") as f:
        f.write(LICENSE.format(version=version("wordfreq"), lang=lang, n=len(rows)))
    print(f"{lang}: wrote {len(rows)} words ({wordlist} list) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
