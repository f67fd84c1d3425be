#!/usr/bin/env python3
"""Extract running text, one sentence a line, from the documentation packages that
scripts/fetch_corpora.sh unpacked.

Usage: scripts/extract_corpus_text.py ROOT OUT_DIR [LANG...]

ROOT is where the .deb files were unpacked (`dpkg-deb -x`); OUT_DIR/<lang>.txt gets the text
(UTF-8, NFC, one sentence a line, whitespace runs collapsed, exact repeats dropped, in file
order) and OUT_DIR/<lang>.sources.tsv the sentences each package and locale gave. Default
languages: the 19 of the 20 packs that the packages have (Slovak is in neither). Sources per
language (the GNOME and HANDBOOK tables below):

- gnome-user-docs: /usr/share/help/<locale>/gnome-help/*.page (Mallard XML): the text of every
  <p>, <title> and <desc> outside <info>, without <code> and <screen> blocks.
- debian-handbook: /usr/share/doc/debian-handbook/html/<locale>/*.html: the text of every
  <div class="para"> and heading, without <pre> blocks.

Translations leave some paragraphs in English; a paragraph of a non-English language is dropped
when more of its words are frequent English words than frequent words of its own language
(wordfreq's top 100 of each). Lines with fewer than three words or fewer than half letters
(command listings, paths), or with characters other than Latin letters, printable ASCII and
common typographic marks (arrows, ⌘, ™), are dropped too.
"""

import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import wordfreq

GNOME = {
    "en": ["C"],
    "de": ["de"],
    "fr": ["fr"],
    "es": ["es"],
    "it": ["it"],
    "pt": ["pt", "pt_BR"],
    "pl": ["pl"],
    "nl": ["nl"],
    "sv": ["sv"],
    "da": ["da"],
    "nb": [],
    "fi": ["fi"],
    "cs": ["cs"],
    "sk": [],
    "hu": ["hu"],
    "ro": ["ro"],
    "hr": ["hr"],
    "sl": ["sl"],
    "tr": ["tr"],
    "ca": ["ca"],
}
HANDBOOK = {
    "en": ["en-US"],
    "de": ["de-DE"],
    "fr": ["fr-FR"],
    "es": ["es-ES"],
    "it": ["it-IT"],
    "pt": ["pt-BR"],
    "pl": ["pl-PL"],
    "nl": ["nl-NL"],
    "sv": ["sv-SE"],
    "da": ["da-DK"],
    "nb": ["nb-NO"],
    "fi": [],
    "cs": ["cs-CZ"],
    "sk": [],
    "hu": [],
    "ro": ["ro-RO"],
    "hr": ["hr-HR"],
    "sl": [],
    "tr": ["tr-TR"],
    "ca": ["ca-ES"],
}
# wordfreq's code where it differs from the pack's (Croatian is in its Serbo-Croatian list).
WORDFREQ_CODE = {"hr": "sh"}

MALLARD = "{http://projectmallard.org/1.0/}"
SKIP_MALLARD = {MALLARD + t for t in ("info", "code", "screen", "media", "synopsis")}
KEEP_MALLARD = {MALLARD + t for t in ("p", "title", "desc")}

# A sentence ends at . ! ? or … followed by a space and a capital, digit or opening quote,
# unless the word before the mark is one or two letters ("z. B.", "e.g.", "S. 3").
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'«„“‘(¿¡\d\w])")
WORD = re.compile(r"\w+", re.UNICODE)


def clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in SENTENCE_END.finditer(paragraph):
        before = paragraph[start : m.start()]
        last = before.rsplit(" ", 1)[-1].rstrip(".!?…")
        following = paragraph[m.end() : m.end() + 1]
        if len(last) <= 2 and before.endswith("."):
            continue
        if not (following.isupper() or following.isdigit() or not following.isalpha()):
            continue
        out.append(before)
        start = m.end()
    out.append(paragraph[start:])
    return [s.strip() for s in out if s.strip()]


def gnome_paragraphs(path: Path) -> list[str]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []
    out: list[str] = []

    def text_of(e: ET.Element) -> str:
        parts = [e.text or ""]
        for child in e:
            if child.tag not in SKIP_MALLARD:
                parts.append(text_of(child))
            parts.append(child.tail or "")
        return "".join(parts)

    def walk(e: ET.Element) -> None:
        if e.tag in SKIP_MALLARD:
            return
        if e.tag in KEEP_MALLARD:
            out.append(clean(text_of(e)))
            return
        for child in e:
            walk(child)

    walk(root)
    return out


class HandbookParser(HTMLParser):
    """Collects the text of <div class="para"> blocks and headings, skipping <pre>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buffer: list[str] = []
        self.depth = 0  # open para/heading blocks
        self.pre = 0
        self.divs: list[bool] = []  # open <div>s: whether each is a para

    def flush(self) -> None:
        text = clean("".join(self.buffer))
        if text:
            self.blocks.append(text)
        self.buffer = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "pre":
            self.pre += 1
        elif tag == "div":
            self.divs.append("para" in classes)
            if self.divs[-1]:
                self.flush()
                self.depth += 1
        elif tag in ("h1", "h2", "h3"):
            self.flush()
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag == "div" and self.divs:
            if self.divs.pop():
                self.flush()
                self.depth -= 1
        elif tag in ("h1", "h2", "h3") and self.depth > 0:
            self.flush()
            self.depth -= 1

    def handle_data(self, data):
        if self.depth > 0 and self.pre == 0:
            self.buffer.append(data)


def handbook_paragraphs(path: Path) -> list[str]:
    parser = HandbookParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.flush()
    # Headings start with their section number ("6.2. "): drop it.
    return [re.sub(r"^[\d.]+\s+", "", b) for b in parser.blocks]


def looks_like(lang: str, text: str, own: set[str], english: set[str]) -> bool:
    if lang == "en":
        return True
    words = [w.lower() for w in WORD.findall(text)]
    return sum(w in english for w in words) <= sum(w in own for w in words)


# Characters a sentence may have besides Latin letters and printable ASCII: the typographic marks
# a hand writes. A sentence with anything else (arrows, ⌘, ™, box drawing) is dropped, which
# keeps the LM's alphabet small.
TYPOGRAPHIC = set("«»„“”‘’‚–—…€£°§·")


def allowed(c: str) -> bool:
    if " " <= c <= "~" or c in TYPOGRAPHIC:
        return True
    return c.isalpha() and unicodedata.name(c, "").startswith("LATIN ")


def acceptable(line: str) -> bool:
    if len(line.split()) < 3 or not all(allowed(c) for c in line):
        return False
    letters = sum(c.isalpha() for c in line)
    return letters >= 0.5 * len(line)


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    langs = sys.argv[3:] or [lang for lang in GNOME if GNOME[lang] or HANDBOOK[lang]]
    top = {lang: set(wordfreq.top_n_list(WORDFREQ_CODE.get(lang, lang), 100)) for lang in set(langs) | {"en"}}
    out.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        own = top[lang] - top["en"]
        english = top["en"] - top[lang]
        sources: list[tuple[str, str, list[str]]] = []  # (package, locale, paragraphs)
        for locale in GNOME[lang]:
            paragraphs: list[str] = []
            for page in sorted((root / "usr/share/help" / locale / "gnome-help").glob("*.page")):
                paragraphs.extend(gnome_paragraphs(page))
            sources.append(("gnome-user-docs", locale, paragraphs))
        for locale in HANDBOOK[lang]:
            paragraphs = []
            html = root / "usr/share/doc/debian-handbook/html" / locale
            for page in sorted(html.glob("*.html")):
                paragraphs.extend(handbook_paragraphs(page))
            sources.append(("debian-handbook", locale, paragraphs))
        seen: set[str] = set()
        lines: list[str] = []
        counts: list[tuple[str, str, int]] = []
        dropped = 0
        for package, locale, paragraphs in sources:
            before = len(lines)
            for paragraph in paragraphs:
                if not looks_like(lang, paragraph, own, english):
                    dropped += 1
                    continue
                for s in sentences(paragraph):
                    if acceptable(s) and s not in seen:
                        seen.add(s)
                        lines.append(s)
            counts.append((package, locale, len(lines) - before))
        if not lines:
            print(f"{lang}: no running text in these packages", file=sys.stderr)
            continue
        (out / f"{lang}.sources.tsv").write_text(
            "package\tlocale\tsentences\n" + "".join(f"{p}\t{loc}\t{n}\n" for p, loc, n in counts),
            encoding="utf-8",
        )
        (out / f"{lang}.txt").write_text("".join(f"{s}\n" for s in lines), encoding="utf-8")
        chars = sum(len(s) + 1 for s in lines)
        print(
            f"{lang}: {len(lines)} sentences, {chars} characters ({dropped} paragraphs dropped as English)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
