//! Synthetic training ink from real ink (`inkjot synth`): accents drawn onto real letters and
//! words, words of other languages composed from one writer's letters, text lines composed from
//! one writer's words, and symbols from Hershey fonts written with a human velocity profile.
//! Reproducible: the same corpus, word lists, fonts and seed give the same records. See
//! docs/synth.md.

pub mod corpus;
pub mod geometry;
pub mod hershey;
pub mod letters;
pub mod marks;

use std::io::Write;

use crate::alphabet::{Make, SYMBOLS, base_text, extended_letters, make};
use crate::error::Result;
use crate::features::SplitMix64;
use crate::ink::{Ink, InkLimits, Point};
pub use corpus::{Corpus, SourceInk};
use geometry::{Strokes, bbox, end_time, index, sample_interval, shift_time, uniform};
pub use hershey::HersheyFont;
use marks::LetterBox;

/// What one synthetic record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A real letter with a drawn accent (or a dotless i, a ligature, ß) — kind `char`.
    MarkedLetter,
    /// A real word ink turned into a word of another language by drawing its accents (`fur` →
    /// `für`) — kind `word`.
    MarkedWord,
    /// A word of another language composed from one writer's letters — kind `word`.
    ComposedWord,
    /// A text line composed from one writer's word inks, with punctuation — kind `text`.
    Line,
    /// A sentence of running text ([`Synthesizer::with_sentences`]) composed letter by letter
    /// from one writer's character inks — kind `text`.
    ComposedLine,
    /// A symbol from a Hershey font, alone or with a writer's digits or word — kind `char`/`word`.
    Symbol,
}

impl Mode {
    /// Every mode with its name on the command line.
    pub const NAMES: [(Mode, &'static str); 6] = [
        (Mode::MarkedLetter, "marked-letter"),
        (Mode::MarkedWord, "marked-word"),
        (Mode::ComposedWord, "composed-word"),
        (Mode::Line, "line"),
        (Mode::ComposedLine, "composed-line"),
        (Mode::Symbol, "symbol"),
    ];

    /// The mode's name (`marked-letter`, ...).
    pub fn name(self) -> &'static str {
        Mode::NAMES
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("", |(_, n)| n)
    }
}

/// One synthetic ink with its label and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthRecord {
    /// `<category>/synth-<mode>/<seed>/<n>` (UNIPEN categories: 1s char, 7 word, 8 text).
    pub id: String,
    /// The writer whose ink was used (`hershey-<font>` for a font alone).
    pub writer: String,
    /// `char`, `word` or `text`.
    pub kind: String,
    /// The transcription (NFC).
    pub label: String,
    /// Ids of the real inks used.
    pub sources: Vec<String>,
    /// The ink (valid by [`Ink::new`] with default limits).
    pub ink: Ink,
}

/// Words of one language (wordfreq codes, e.g. `de`), most frequent first.
#[derive(Debug, Clone, PartialEq)]
pub struct WordList {
    /// Language code.
    pub lang: String,
    /// The words (NFC, lower case).
    pub words: Vec<String>,
}

/// Draws synthetic records from a corpus of real inks, word lists and fonts.
pub struct Synthesizer<'a> {
    corpus: &'a Corpus,
    lists: &'a [WordList],
    sentences: &'a [String],
    fonts: Vec<&'a HersheyFont>,
    /// (list, word) pairs whose base text is a word ink of the corpus.
    marked_words: Vec<(usize, usize)>,
    /// Words per list that hold a letter beyond ASCII.
    accented: Vec<Vec<usize>>,
    char_writers: Vec<&'a str>,
    word_writers: Vec<&'a str>,
}

impl<'a> Synthesizer<'a> {
    /// Prepares synthesis (indexes which words can be made from which inks). Fonts holding
    /// other scripts in their ASCII slots (`cyrillic`, `greek`) are not used.
    pub fn new(corpus: &'a Corpus, lists: &'a [WordList], fonts: &'a [HersheyFont]) -> Self {
        let mut marked_words = Vec::new();
        let mut accented = Vec::new();
        for (li, list) in lists.iter().enumerate() {
            let mut acc = Vec::new();
            for (wi, word) in list.words.iter().enumerate() {
                if word.is_ascii() || word.chars().any(|c| !c.is_alphabetic()) {
                    continue;
                }
                acc.push(wi);
                if word.chars().count() > 1
                    && base_text(word).is_some_and(|b| corpus.words.contains_key(&b))
                {
                    marked_words.push((li, wi));
                }
            }
            accented.push(acc);
        }
        let char_writers = corpus
            .writers
            .iter()
            .filter(|(_, w)| w.chars.len() >= 10)
            .map(|(k, _)| k.as_str())
            .collect();
        let word_writers = corpus
            .writers
            .iter()
            .filter(|(_, w)| w.words.len() >= 3)
            .map(|(k, _)| k.as_str())
            .collect();
        Synthesizer {
            corpus,
            lists,
            sentences: &[],
            fonts: fonts
                .iter()
                .filter(|f| f.name != "cyrillic" && f.name != "greek")
                .collect(),
            marked_words,
            accented,
            char_writers,
            word_writers,
        }
    }

    /// Sentences for [`Mode::ComposedLine`] (NFC, one line of writing each); without them that
    /// mode makes no records.
    pub fn with_sentences(mut self, sentences: &'a [String]) -> Self {
        self.sentences = sentences;
        self
    }

    /// How many (word, ink label) pairs [`Mode::MarkedWord`] can draw from.
    pub fn marked_word_count(&self) -> usize {
        self.marked_words.len()
    }

    /// Record `n` of mode `mode` for `seed`: the same arguments give the same record. `None`
    /// when the inputs cannot make one (after some tries), e.g. no writer has the letters.
    pub fn record(&self, mode: Mode, seed: u64, n: u64) -> Option<SynthRecord> {
        let mut rng = SplitMix64::new(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mode as u64);
        for _ in 0..40 {
            let made = match mode {
                Mode::MarkedLetter => self.marked_letter(&mut rng),
                Mode::MarkedWord => self.marked_word(&mut rng),
                Mode::ComposedWord => self.composed_word(&mut rng),
                Mode::Line => self.line(&mut rng),
                Mode::ComposedLine => self.composed_line(&mut rng),
                Mode::Symbol => self.symbol(&mut rng),
            };
            let Some((writer, label, sources, mut strokes)) = made else {
                continue;
            };
            geometry::round(&mut strokes);
            let strokes = strokes
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(|points| crate::ink::Stroke { points })
                .collect();
            let Ok(ink) = Ink::new(strokes, &InkLimits::default()) else {
                continue;
            };
            let (cat, kind) = match mode {
                Mode::Line | Mode::ComposedLine => ("8", "text"),
                Mode::MarkedWord | Mode::ComposedWord => ("7", "word"),
                _ if label.chars().count() > 1 => ("7", "word"),
                _ => ("1s", "char"),
            };
            return Some(SynthRecord {
                id: format!("{cat}/synth-{}/{seed}/{n}", mode.name()),
                writer,
                kind: kind.to_string(),
                label,
                sources,
                ink,
            });
        }
        None
    }

    fn ink(&self, i: usize) -> &'a SourceInk {
        &self.corpus.inks[i]
    }

    /// A random character ink of `c` by `writer` (any writer when `None`).
    fn char_ink(&self, c: char, writer: Option<&str>, rng: &mut SplitMix64) -> Option<usize> {
        let list = match writer {
            Some(w) => self.corpus.writers.get(w)?.chars.get(&c)?,
            None => self.corpus.chars.get(&c)?,
        };
        (!list.is_empty()).then(|| list[index(rng, list.len())])
    }

    fn marked_letter(&self, rng: &mut SplitMix64) -> Option<Made> {
        let letters = extended_letters();
        let letter = letters[index(rng, letters.len())];
        let first = match make(letter)? {
            Make::Marked(b, _) | Make::Dotless(b) | Make::Ligature(b, _) => b,
            Make::SharpS => 'B',
        };
        let src = self.char_ink(first, None, rng)?;
        let writer = self.ink(src).writer.clone();
        let unit = {
            let b = bbox(&self.ink(src).strokes());
            let (top, bottom) = letters::extent(first);
            b.height() / (top - bottom)
        };
        if !(unit.is_finite() && unit > 0.0) {
            return None;
        }
        let mut w = WordBuilder::new(self.ink(src).strokes().as_slice(), unit);
        w.sources.push(self.ink(src).id.clone());
        w.letter(self, &writer, letter, rng, true)?;
        w.finish_marks(rng);
        Some((writer, letter.to_string(), w.sources, w.strokes))
    }

    fn marked_word(&self, rng: &mut SplitMix64) -> Option<Made> {
        if self.marked_words.is_empty() {
            return None;
        }
        let (li, wi) = self.marked_words[index(rng, self.marked_words.len())];
        let target = &self.lists[li].words[wi];
        let base = base_text(target)?;
        let inks = self.corpus.words.get(&base)?;
        let src = self.ink(inks[index(rng, inks.len())]);
        // Keep the ink's capitalization.
        let label: String = src
            .label
            .chars()
            .zip(target.chars())
            .map(|(s, t)| {
                if s.is_uppercase() {
                    t.to_uppercase().next().unwrap_or(t)
                } else {
                    t
                }
            })
            .collect();
        if label.chars().count() != src.label.chars().count() {
            return None;
        }
        let mut strokes = src.strokes();
        let b = bbox(&strokes);
        let (top, bottom) = letters::text_extent(&src.label);
        let unit = b.height() / (top - bottom);
        if !(unit.is_finite() && unit > 0.0) {
            return None;
        }
        let slant = rng.normal() * 0.1;
        let dt = sample_interval(&strokes);
        let ranges = letters::letter_ranges(&src.label, b.min_x, b.max_x);
        let mut pending = Vec::new();
        for ((c, (xa, xb)), s) in label.chars().zip(ranges).zip(src.label.chars()) {
            if c == s {
                continue;
            }
            let w = xb - xa;
            if matches!(s, 'i' | 'j') {
                letters::remove_dot(&mut strokes, xa - 0.3 * w, xb + 0.3 * w);
            }
            let (ctop, cbottom) = letters::column(&strokes, xa + 0.15 * w, xb - 0.15 * w)
                .or_else(|| letters::column(&strokes, xa, xb))?;
            let last = letters::last_stroke_in(&strokes, xa, xb);
            if let Some(Make::Marked(_, mark)) = make(c) {
                let lb = LetterBox {
                    x0: xa,
                    x1: xb,
                    top: ctop,
                    bottom: cbottom.min(b.max_y),
                    unit,
                    tall: matches!(s, 'd' | 'l' | 't' | 'L'),
                };
                pending.push((lb, mark, last));
            }
        }
        // Marks right after their letter (30 %) or at the end of the word, in order.
        let mut at_end = Vec::new();
        for (lb, mark, last) in pending.into_iter().rev() {
            match last {
                Some(i) if rng.uniform() < 0.3 && i + 1 < strokes.len() => {
                    let t0 = strokes[i].last().map_or(0.0, |p| p.t) + uniform(rng, 100.0, 300.0);
                    let m = marks::draw(mark, &lb, slant, t0, dt, rng);
                    let next = strokes[i + 1].first().map_or(0.0, |p| p.t);
                    let shift = (end_time(&m) + uniform(rng, 100.0, 300.0) - next).max(0.0);
                    shift_time(&mut strokes[i + 1..], shift);
                    for (k, s) in m.into_iter().enumerate() {
                        strokes.insert(i + 1 + k, s);
                    }
                }
                _ => at_end.push((lb, mark)),
            }
        }
        for (lb, mark) in at_end.into_iter().rev() {
            let t0 = end_time(&strokes) + uniform(rng, 150.0, 450.0);
            strokes.extend(marks::draw(mark, &lb, slant, t0, dt, rng));
        }
        Some((src.writer.clone(), label, vec![src.id.clone()], strokes))
    }

    fn composed_word(&self, rng: &mut SplitMix64) -> Option<Made> {
        if self.char_writers.is_empty() || self.lists.is_empty() {
            return None;
        }
        let li = index(rng, self.lists.len());
        let list = &self.lists[li];
        // Mostly words with accents (they are what the model lacks).
        let word = if !self.accented[li].is_empty() && rng.uniform() < 0.8 {
            &list.words[self.accented[li][index(rng, self.accented[li].len())]]
        } else {
            list.words.get(index(rng, list.words.len()))?
        };
        let mut label: String = word.clone();
        if rng.uniform() < 0.15 {
            let mut cs = label.chars();
            if let Some(first) = cs.next() {
                label = first.to_uppercase().chain(cs).collect();
            }
        }
        if label.chars().count() > 24 {
            return None;
        }
        for _ in 0..10 {
            let writer = self.char_writers[index(rng, self.char_writers.len())];
            let has = |c: char| {
                self.corpus
                    .writers
                    .get(writer)
                    .is_some_and(|w| w.chars.contains_key(&c))
            };
            let ok = label.chars().all(|c| match make(c) {
                Some(Make::Marked(b, _) | Make::Dotless(b)) => has(b),
                Some(Make::Ligature(a, b)) => has(a) && has(b),
                Some(Make::SharpS) => has('B'),
                None => has(c),
            });
            if !ok {
                continue;
            }
            let unit = self.writer_unit(writer)?;
            let mut w = WordBuilder::empty(unit, rng);
            for c in label.chars() {
                w.letter(self, writer, c, rng, false)?;
            }
            w.finish_marks(rng);
            return Some((writer.to_string(), label, w.sources, w.strokes));
        }
        None
    }

    /// Whether `writer` has character inks for every letter `text` needs (marks are drawn).
    fn can_write(&self, writer: &str, text: &str) -> bool {
        let Some(w) = self.corpus.writers.get(writer) else {
            return false;
        };
        let has = |c: char| w.chars.contains_key(&c);
        text.chars().filter(|c| *c != ' ').all(|c| match make(c) {
            Some(Make::Marked(b, _) | Make::Dotless(b)) => has(b),
            Some(Make::Ligature(a, b)) => has(a) && has(b),
            Some(Make::SharpS) => has('B'),
            None => has(c),
        })
    }

    /// A sentence (2 to 12 words, at most 64 characters) composed letter by letter from one
    /// writer's character inks: words as in [`Mode::ComposedWord`], gaps of 0.7-1.4 x-heights,
    /// baseline drift and a slope as in [`Mode::Line`].
    fn composed_line(&self, rng: &mut SplitMix64) -> Option<Made> {
        if self.char_writers.is_empty() || self.sentences.is_empty() {
            return None;
        }
        let sentence = &self.sentences[index(rng, self.sentences.len())];
        let words: Vec<&str> = sentence.split_whitespace().collect();
        if !(2..=12).contains(&words.len()) || sentence.chars().count() > 64 {
            return None;
        }
        let label = words.join(" ");
        for _ in 0..10 {
            let writer = self.char_writers[index(rng, self.char_writers.len())];
            if !self.can_write(writer, &label) {
                continue;
            }
            let unit = self.writer_unit(writer)?;
            let mut w = WordBuilder::empty(unit, rng);
            let slope = rng.normal() * 0.03;
            for (j, word) in words.iter().enumerate() {
                if j > 0 {
                    w.x += unit * uniform(rng, 0.7, 1.4);
                }
                w.baseline += unit * (rng.normal() * 0.06) + slope * unit;
                w.baseline = w.baseline.clamp(-1.5 * unit, 1.5 * unit);
                for c in word.chars() {
                    w.letter(self, writer, c, rng, false)?;
                }
                w.finish_marks(rng);
            }
            return Some((writer.to_string(), label, w.sources, w.strokes));
        }
        None
    }

    /// A writer's x-height in ink units, from the median height of their lower-case x letters.
    fn writer_unit(&self, writer: &str) -> Option<f64> {
        let w = self.corpus.writers.get(writer)?;
        let mut hs: Vec<f64> = "acemnorsuvwxz"
            .chars()
            .filter_map(|c| w.chars.get(&c))
            .flatten()
            .map(|&i| bbox(&self.ink(i).strokes()).height())
            .filter(|h| *h > 0.0)
            .collect();
        if hs.is_empty() {
            hs = w
                .chars
                .values()
                .flatten()
                .map(|&i| bbox(&self.ink(i).strokes()).height() / 1.7)
                .filter(|h| *h > 0.0)
                .collect();
        }
        hs.sort_by(f64::total_cmp);
        hs.get(hs.len() / 2).copied()
    }

    fn line(&self, rng: &mut SplitMix64) -> Option<Made> {
        if self.word_writers.is_empty() {
            return None;
        }
        let writer = self.word_writers[index(rng, self.word_writers.len())];
        let words = &self.corpus.writers.get(writer)?.words;
        let k = 3 + index(rng, 5);
        let unit = 40.0;
        let mut w = WordBuilder::empty(unit, rng);
        let mut label = String::new();
        let slope = rng.normal() * 0.03;
        for j in 0..k {
            let src = self.ink(words[index(rng, words.len())]);
            let letters = src.label.chars().filter(|c| c.is_alphanumeric()).count();
            if src.label.contains(' ') || letters < 2 {
                continue;
            }
            if j > 0 {
                label.push(' ');
                w.x += unit * uniform(rng, 0.7, 1.4);
            }
            w.baseline += unit * (rng.normal() * 0.06) + slope * w.x / 10.0;
            w.baseline = w.baseline.clamp(-1.5 * unit, 1.5 * unit);
            w.piece(src.strokes(), &src.label, rng);
            w.sources.push(src.id.clone());
            label.push_str(&src.label);
            if j + 1 < k && rng.uniform() < 0.2 || j + 1 == k && rng.uniform() < 0.5 {
                let p = [',', ',', ',', '.', '.', '!', '?', ';', ':'][index(rng, 9)];
                w.x += unit * uniform(rng, 0.05, 0.25);
                match self.char_ink(p, Some(writer), rng) {
                    Some(i) => {
                        w.piece(self.ink(i).strokes(), &p.to_string(), rng);
                        w.sources.push(self.ink(i).id.clone());
                    }
                    None => w.glyph(self.font(rng)?, p, rng)?,
                }
                label.push(p);
            }
        }
        if label.chars().count() < 5 {
            return None;
        }
        Some((writer.to_string(), label, w.sources, w.strokes))
    }

    fn font(&self, rng: &mut SplitMix64) -> Option<&'a HersheyFont> {
        (!self.fonts.is_empty()).then(|| self.fonts[index(rng, self.fonts.len())])
    }

    fn symbol(&self, rng: &mut SplitMix64) -> Option<Made> {
        let font = self.font(rng)?;
        let symbols: Vec<char> = SYMBOLS.chars().collect();
        let sym = symbols[index(rng, symbols.len())];
        let unit = 40.0;
        let mut w = WordBuilder::empty(unit, rng);
        if rng.uniform() < 0.5 || self.word_writers.is_empty() {
            w.glyph(font, sym, rng)?;
            return Some((
                format!("hershey-{}", font.name),
                sym.to_string(),
                w.sources,
                w.strokes,
            ));
        }
        // With a writer's digits or word around it.
        let writer = self.word_writers[index(rng, self.word_writers.len())];
        let words = &self.corpus.writers.get(writer)?.words;
        let src = self.ink(words[index(rng, words.len())]);
        let digits = |w: &mut WordBuilder, rng: &mut SplitMix64| -> Option<String> {
            let n = 1 + index(rng, 3);
            let mut s = String::new();
            for _ in 0..n {
                let d = char::from(b'0' + index(rng, 10) as u8);
                let i = self.char_ink(d, Some(writer), rng)?;
                w.piece(self.ink(i).strokes(), &d.to_string(), rng);
                w.sources.push(self.ink(i).id.clone());
                w.x += unit * uniform(rng, 0.05, 0.3);
                s.push(d);
            }
            Some(s)
        };
        let gap = |w: &mut WordBuilder, rng: &mut SplitMix64| w.x += unit * uniform(rng, 0.1, 0.4);
        let mut label = String::new();
        let (open, close) = match sym {
            '«' => ('«', Some('»')),
            '»' => ('»', Some('«')),
            '„' => ('„', Some('“')),
            '“' => ('“', Some('”')),
            '”' => ('”', Some('”')),
            '‘' => ('‘', Some('’')),
            '’' => ('‘', Some('’')),
            '¿' => ('¿', Some('?')),
            '¡' => ('¡', Some('!')),
            _ => (sym, None),
        };
        match (sym, close) {
            (_, Some(close)) => {
                w.glyph(font, open, rng)?;
                gap(&mut w, rng);
                w.piece(src.strokes(), &src.label, rng);
                w.sources.push(src.id.clone());
                gap(&mut w, rng);
                w.glyph(font, close, rng)?;
                label = format!("{open}{}{close}", src.label);
            }
            ('€' | '£' | '¥' | '§', _) if rng.uniform() < 0.5 => {
                w.glyph(font, sym, rng)?;
                gap(&mut w, rng);
                label.push(sym);
                label.push_str(&digits(&mut w, rng)?);
            }
            ('–', _) => {
                label.push_str(&digits(&mut w, rng)?);
                w.glyph(font, sym, rng)?;
                gap(&mut w, rng);
                label.push(sym);
                label.push_str(&digits(&mut w, rng)?);
            }
            ('…' | '·', _) => {
                w.piece(src.strokes(), &src.label, rng);
                w.sources.push(src.id.clone());
                w.glyph(font, sym, rng)?;
                label = format!("{}{sym}", src.label);
            }
            _ => {
                label.push_str(&digits(&mut w, rng)?);
                w.glyph(font, sym, rng)?;
                label.push(sym);
            }
        }
        Some((writer.to_string(), label, w.sources, w.strokes))
    }
}

/// (writer, label, source ids, strokes).
type Made = (String, String, Vec<String>, Strokes);

/// Assembles an ink left to right at a drifting baseline and size, keeping time increasing;
/// marks may be deferred to the end of the word.
struct WordBuilder {
    strokes: Strokes,
    sources: Vec<String>,
    x: f64,
    baseline: f64,
    unit: f64,
    slant: f64,
    dt: f64,
    deferred: Vec<(crate::alphabet::Mark, LetterBox)>,
    /// For a single letter: its strokes as given, not rescaled.
    given: Option<Strokes>,
}

impl WordBuilder {
    fn empty(unit: f64, rng: &mut SplitMix64) -> Self {
        WordBuilder {
            strokes: Vec::new(),
            sources: Vec::new(),
            x: 0.0,
            baseline: 0.0,
            unit,
            slant: rng.normal() * 0.1,
            dt: 10.0,
            deferred: Vec::new(),
            given: None,
        }
    }

    /// A builder for one letter drawn from `strokes` where they are.
    fn new(strokes: &[Vec<Point>], unit: f64) -> Self {
        WordBuilder {
            strokes: Vec::new(),
            sources: Vec::new(),
            x: 0.0,
            baseline: 0.0,
            unit,
            slant: 0.0,
            dt: sample_interval(strokes),
            deferred: Vec::new(),
            given: Some(strokes.to_vec()),
        }
    }

    /// The next start time: after the last point, with a pen-up pause.
    fn next_t(&self, rng: &mut SplitMix64) -> f64 {
        if self.strokes.is_empty() {
            0.0
        } else {
            end_time(&self.strokes) + uniform(rng, 80.0, 250.0)
        }
    }

    /// Appends a real ink of `text` at the current position, scaled to the unit, and advances.
    fn piece(&mut self, mut s: Strokes, text: &str, rng: &mut SplitMix64) {
        let t0 = s.iter().flatten().map(|p| p.t).fold(f64::MAX, f64::min);
        let dt = sample_interval(&s);
        if self.strokes.is_empty() {
            self.dt = dt;
        }
        shift_time(&mut s, self.next_t(rng) - t0);
        letters::fit(&mut s, text, self.unit, self.x, self.baseline);
        self.x = bbox(&s).max_x;
        self.strokes.extend(s);
    }

    /// Writes a font glyph at the current position and advances.
    fn glyph(&mut self, font: &HersheyFont, c: char, rng: &mut SplitMix64) -> Option<()> {
        let g = font.glyph(c)?;
        let cap = self.unit * 1.7 * uniform(rng, 0.85, 1.15);
        let t0 = self.next_t(rng);
        let s = hershey::write_glyph(&g, self.x, self.baseline, cap, self.slant, t0, self.dt, rng);
        let b = bbox(&s);
        if !b.is_empty() {
            self.x = b.max_x;
        }
        self.strokes.extend(s);
        Some(())
    }

    /// Appends letter `c` from `writer`'s character inks (the given strokes for a one-letter
    /// builder); its mark is drawn right after it or deferred to the end of the word.
    fn letter(
        &mut self,
        syn: &Synthesizer<'_>,
        writer: &str,
        c: char,
        rng: &mut SplitMix64,
        alone: bool,
    ) -> Option<()> {
        let recipe = make(c);
        let base = match recipe {
            Some(Make::Marked(b, _) | Make::Dotless(b) | Make::Ligature(b, _)) => b,
            Some(Make::SharpS) => 'B',
            None => c,
        };
        let mut s = match self.given.take() {
            Some(s) => s,
            None => {
                let i = syn.char_ink(base, Some(writer), rng)?;
                self.sources.push(syn.ink(i).id.clone());
                let s = syn.ink(i).strokes();
                if self.strokes.is_empty() {
                    self.dt = sample_interval(&s);
                }
                // Spacing, and baseline and size drift.
                if !self.strokes.is_empty() {
                    self.x += self.unit * (0.2 + 0.1 * rng.normal()).max(-0.05);
                }
                self.baseline += self.unit * rng.normal() * 0.04;
                self.unit *= (rng.normal() * 0.04).exp();
                s
            }
        };
        let t0 = s.iter().flatten().map(|p| p.t).fold(f64::MAX, f64::min);
        shift_time(&mut s, self.next_t(rng) - t0);
        if !alone {
            let fit_as = if recipe == Some(Make::SharpS) {
                'B'
            } else {
                base
            };
            letters::fit(
                &mut s,
                &fit_as.to_string(),
                self.unit,
                self.x,
                self.baseline,
            );
        }
        if matches!(base, 'i' | 'j') && recipe.is_some() {
            let b = bbox(&s);
            letters::remove_dot(&mut s, b.min_x, b.max_x);
        }
        if recipe == Some(Make::SharpS) {
            sharp_s(&mut s, self.unit, self.dt, rng);
        }
        let b = bbox(&s);
        self.x = b.max_x;
        self.strokes.extend(s);
        match recipe {
            Some(Make::Marked(_, mark)) => {
                let lb = LetterBox {
                    x0: b.min_x,
                    x1: b.max_x,
                    top: b.min_y,
                    bottom: b.max_y,
                    unit: self.unit,
                    tall: matches!(base, 'd' | 'l' | 't' | 'L'),
                };
                if alone || rng.uniform() < 0.35 {
                    let t0 = self.next_t(rng);
                    self.strokes
                        .extend(marks::draw(mark, &lb, self.slant, t0, self.dt, rng));
                } else {
                    self.deferred.push((mark, lb));
                }
            }
            Some(Make::Ligature(_, second)) => {
                let i = syn.char_ink(second, Some(writer), rng)?;
                self.sources.push(syn.ink(i).id.clone());
                let mut s2 = syn.ink(i).strokes();
                let t0 = s2.iter().flatten().map(|p| p.t).fold(f64::MAX, f64::min);
                shift_time(&mut s2, self.next_t(rng) - t0);
                // Joined: the second letter starts inside the first's right edge.
                let x = b.max_x - 0.15 * b.width();
                letters::fit(&mut s2, &second.to_string(), self.unit, x, b.max_y);
                self.x = bbox(&s2).max_x;
                self.strokes.extend(s2);
            }
            _ => {}
        }
        Some(())
    }

    /// Draws the deferred marks at the end of the word, in writing order.
    fn finish_marks(&mut self, rng: &mut SplitMix64) {
        for (mark, lb) in std::mem::take(&mut self.deferred) {
            let t0 = end_time(&self.strokes) + uniform(rng, 150.0, 450.0);
            let m = marks::draw(mark, &lb, self.slant, t0, self.dt, rng);
            self.strokes.extend(m);
        }
    }
}

/// Turns a B into ß: its first stroke starts lower, below the baseline (the long stem), and the
/// whole letter shrinks to ascender height.
fn sharp_s(s: &mut Strokes, unit: f64, dt: f64, rng: &mut SplitMix64) {
    let b = bbox(s);
    let Some(first) = s.first().and_then(|st| st.first()).copied() else {
        return;
    };
    let start = (
        b.min_x + unit * rng.normal() * 0.05,
        b.max_y + unit * uniform(rng, 0.4, 0.7),
    );
    let lead = geometry::trajectory(&[start, (first.x, first.y)], first.t, dt, unit);
    let duration = lead.last().map_or(0.0, |p| p.t) - first.t;
    shift_time(s, duration);
    if let Some(st) = s.first_mut() {
        let mut points = lead;
        points.pop();
        points.extend(st.iter().copied());
        *st = points;
    }
}

/// Writes one record as a JSON line: `id`, `writer`, `kind`, `label`, `source`, `strokes`.
pub fn write_record(out: &mut impl Write, r: &SynthRecord) -> Result<()> {
    let strokes: Vec<serde_json::Value> = r
        .ink
        .strokes()
        .iter()
        .map(|s| {
            serde_json::json!({
                "x": s.points.iter().map(|p| p.x).collect::<Vec<_>>(),
                "y": s.points.iter().map(|p| p.y).collect::<Vec<_>>(),
                "t": s.points.iter().map(|p| p.t).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = serde_json::json!({
        "id": r.id,
        "writer": r.writer,
        "kind": r.kind,
        "label": r.label,
        "source": r.sources,
        "strokes": strokes,
    });
    serde_json::to_writer(&mut *out, &value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    Ok(())
}
