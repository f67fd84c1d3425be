#!/usr/bin/env python3
"""Export the top N words of a language from the `wordfreq` package as `word<TAB>count` lines.

Usage: scripts/export_wordfreq.py LANG N OUT.tsv [--alphabet ALPHABET.json] [--sharp-s TEXT]

The count is the word's frequency per billion words (wordfreq's frequency x 1e9, rounded, at
least 1), most frequent first. Only words made of letters of the Latin script, with inner
apostrophes or hyphens, are kept (no digits, punctuation, emoji or other scripts), and with
--alphabet (the JSON list `inkjot alphabet` prints) only words the model can write; the list is
filled up to N with such words. wordfreq lowercases (case-folds) its words, so German ß comes
out as "ss"; --sharp-s TEXT gives it back where running text in that language (e.g.
target/corpora/de.txt from scripts/fetch_corpora.sh) spells the word with ß more often than with
ss ("grosse" -> "große", "dass" stays); words the text lacks keep their "ss".

Licence of the exported data: wordfreq's README says its "data files ... may be redistributed
under a Creative Commons Attribution-ShareAlike 4.0 license"
(https://creativecommons.org/licenses/by-sa/4.0/), with credit to the SUBTLEX authors; the
script writes that notice next to OUT.tsv as OUT.tsv.LICENSE.
"""

import argparse
import collections
import itertools
import json
import re
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


def sharp_s_spellings(text: str) -> collections.Counter:
    """Lowercased word counts of `text`, for choosing between ss and ß spellings."""
    return collections.Counter(re.findall(r"[^\W\d_]+", text.lower()))


def restore_sharp_s(word: str, counts: collections.Counter) -> str:
    """`word` with some of its "ss" written ß, when `counts` has that spelling more often than the
    word as it is (and more often than any other such spelling); else `word`."""
    starts = [m.start() for m in re.finditer("(?=ss)", word)]
    best, best_count = word, counts[word]
    for r in range(1, len(starts) + 1):
        for chosen in itertools.combinations(starts, r):
            if any(b - a < 2 for a, b in itertools.pairwise(chosen)):
                continue  # "sss": overlapping pairs
            spelled = word
            for i in reversed(chosen):
                spelled = spelled[:i] + "ß" + spelled[i + 2 :]
            if counts[spelled] > best_count:
                best, best_count = spelled, counts[spelled]
    return best


# Pack codes that wordfreq lists under another code: Croatian is part of its Serbo-Croatian ("sh",
# Latin script, Croatian, Bosnian and Serbian sources together).
WORDFREQ_CODE = {"hr": "sh"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("lang")
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--alphabet", help="JSON list of the symbols the model writes (`inkjot alphabet`)")
    parser.add_argument(
        "--sharp-s",
        metavar="TEXT",
        help="running text (UTF-8) whose spellings turn ss back into ß where it writes ß more often",
    )
    args = parser.parse_args()
    lang, n, out = args.lang, args.n, args.out
    alphabet = None
    if args.alphabet:
        with open(args.alphabet, encoding="utf-8") as f:
            alphabet = set(json.load(f))
    spellings = None
    if args.sharp_s:
        with open(args.sharp_s, encoding="utf-8") as f:
            spellings = sharp_s_spellings(unicodedata.normalize("NFC", f.read()))
    source = WORDFREQ_CODE.get(lang, lang)
    wordlist = "large" if source in wordfreq.available_languages("large") else "best"
    freqs = wordfreq.get_frequency_dict(source, wordlist)
    rows = []
    sharp = 0
    for word, freq in sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0])):
        word = unicodedata.normalize("NFC", word)
        if spellings is not None and "ss" in word:
            restored = restore_sharp_s(word, spellings)
            sharp += restored != word
            word = restored
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
        if spellings is not None:
            f.write(
                f"\nThe spelling of {sharp} words was changed from ss to ß where the running text "
                f"{args.sharp_s} writes them so (its sources and licences are listed with it).\n"
            )
    restored = f", {sharp} with ß restored from {args.sharp_s}" if spellings is not None else ""
    print(f"{lang}: wrote {len(rows)} words ({wordlist} list{restored}) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
