#!/usr/bin/env python3
"""Export the top N words of a language from the `wordfreq` package as `word<TAB>count` lines.

Usage: scripts/export_wordfreq.py LANG N OUT.tsv [--alphabet ALPHABET.json]

The count is the word's frequency per billion words (wordfreq's frequency x 1e9, rounded, at
least 1), most frequent first. Only words made of letters of the Latin script, with inner
apostrophes or hyphens, are kept (no digits, punctuation, emoji or other scripts), and with
--alphabet (the JSON list `inkjot alphabet` prints) only words the model can write; the list is
filled up to N with such words. wordfreq lowercases (case-folds) its words, so German ß comes
out as "ss".

Licence of the exported data: wordfreq's README says its "data files ... may be redistributed
under a Creative Commons Attribution-ShareAlike 4.0 license"
(https://creativecommons.org/licenses/by-sa/4.0/), with credit to the SUBTLEX authors; the
script writes that notice next to OUT.tsv as OUT.tsv.LICENSE.
"""

import argparse
import json
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


def acceptable(word: str, alphabet: set[str] | None) -> bool:
    if not word or not latin_letter(word[0]) or not latin_letter(word[-1]):
        return False
    if alphabet is not None and not all(c in alphabet for c in word):
        return False
    return all(latin_letter(c) or c in "'-" for c in word)


# Pack codes that wordfreq lists under another code: Croatian is part of its Serbo-Croatian ("sh",
# Latin script, Croatian, Bosnian and Serbian sources together).
WORDFREQ_CODE = {"hr": "sh"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("lang")
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--alphabet", help="JSON list of the symbols the model writes (`inkjot alphabet`)")
    args = parser.parse_args()
    lang, n, out = args.lang, args.n, args.out
    alphabet = None
    if args.alphabet:
        with open(args.alphabet, encoding="utf-8") as f:
            alphabet = set(json.load(f))
    source = WORDFREQ_CODE.get(lang, lang)
    wordlist = "large" if source in wordfreq.available_languages("large") else "best"
    freqs = wordfreq.get_frequency_dict(source, wordlist)
    rows = []
    for word, freq in sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0])):
        word = unicodedata.normalize("NFC", word)
        if acceptable(word, alphabet):
            rows.append((word, max(1, round(freq * 1e9))))
            if len(rows) == n:
                break
    with open(out, "w", encoding="utf-8") as f:
        for word, count in rows:
            f.write(f"{word}\t{count}\n")
    with open(out + ".LICENSE", "w", encoding="utf-8") as f:
        named = lang if source == lang else f"{source}, for {lang}"
        f.write(LICENSE.format(version=version("wordfreq"), lang=named, n=len(rows)))
    print(f"{lang}: wrote {len(rows)} words ({wordlist} list) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
