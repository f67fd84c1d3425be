//! Building the character n-gram language model: counting, Witten-Bell smoothing, count pruning,
//! and writing the OpenFST backoff acceptor described in [`lm`](super::lm).
//!
//! # The model
//!
//! Text is a sequence of characters in which a space ends a word. The model is **cased** and
//! keeps digits and punctuation. Two kinds of input are counted:
//!
//! - **Running text** ([`NgramCounter::add_text`]), one sentence or line at a time, read as
//!   `⟨s⟩ line ␣`: `⟨s⟩` is the *start of a text*, a context that is never predicted and has no
//!   label (the acceptor's start state is the history `⟨s⟩`), so the model learns how texts
//!   begin (capitals, digits), how words follow each other and how texts end (`.` before the
//!   final space). Text is normalized by [`normalize_text`]: NFC, whitespace runs collapsed,
//!   typographic apostrophes and English quotes folded to their ASCII forms.
//! - **Words** from a frequency list ([`NgramCounter::add_word`]), for coverage, each read
//!   half as `␣ word ␣` (a word inside a text, after a space) and half as `⟨s⟩ word ␣` (a text
//!   of one word), so inside the word its n-grams count as once. The
//!   word is counted as given (cased); [`CaseStats`] gathered from the running text can split a
//!   lowercase list word's count over the case forms the text shows for it
//!   ([`WordCase::FromText`]).
//!
//! At run time [`CharLm::symbol`](super::CharLm::symbol) reads each character as itself when the
//! model has it, else as its lowercase form (older packs were lowercase).
//!
//! Each word's count is raised to [`LmBuildConfig::count_exponent`] before counting (1: words
//! weigh by their frequency; 0: each word once; the default 0.75 keeps frequent words ahead
//! without drowning the rare ones).
//!
//! # Smoothing
//!
//! Interpolated Witten-Bell, with the chance of a new continuation estimated from word *types*:
//!
//! ```text
//! P(w | h) = (1 - λ(h)) · c(h w) / c(h) + λ(h) · P(w | h'),    λ(h) = T(h) / (n(h) + T(h))
//! ```
//!
//! where `c` are the (exponentiated) counts, `n(h)` is the number of words (and lines) the history
//! `h` occurs in (with repeats), `T(h)` the number of distinct symbols seen after `h`, and `h'` the history
//! without its oldest character. Plain Witten-Bell takes `n(h) = c(h)`; with frequency-weighted
//! counts that makes the frequent histories far too sure of themselves (a frequent prefix followed
//! by a new ending gets almost no probability), while counting in types keeps the novelty rate
//! honest and the seen continuations still follow the frequencies. On the English list this
//! lowers the held-out perplexity of higher orders several-fold (see the language packs' README).
//! The unigram level interpolates with a uniform distribution over the characters seen (add-one)
//! and gives [`UNK_LABEL`](super::lm::UNK_LABEL), every other character, the fixed probability
//! [`LmBuildConfig::unk_prob`].
//!
//! # Pruning and backoff
//!
//! n-grams of two or more characters whose (exponentiated) count is below the pruning threshold
//! get no arc of their own; their probability goes through the backoff arc. The backoff weight
//! of each state is computed *after* pruning,
//! `α(h) = (1 - Σ_kept P(w | h)) / (1 - Σ_kept P_bo(w | h'))`, so every state's distribution
//! (arcs, plus backoff for the other symbols) sums to exactly 1.
//! Counts only shrink as histories grow, so a count threshold keeps the model's hierarchy: a kept
//! n-gram's shorter forms are kept too.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rustfst::prelude::*;
use unicode_normalization::UnicodeNormalization;

use super::lm::{CharLm, LmFormat, Perplexity, UNK_LABEL, WORD_BOUNDARY};
use super::word_pairs::WordPairs;
use crate::error::{Error, Result};

/// Highest supported order.
pub const MAX_ORDER: usize = 8;

const BITS: u32 = 16;
const SPACE_ID: u16 = 1;
/// The start of a text: a history symbol only, never predicted, without a label (character ids
/// stay below it).
const BOS_ID: u16 = u16::MAX;
const MAX_SYMBOLS: usize = u16::MAX as usize - 1;

/// Parameters of an LM build.
#[derive(Debug, Clone, PartialEq)]
pub struct LmBuildConfig {
    /// n-gram order, 1 to [`MAX_ORDER`]: the model conditions on up to `order - 1` characters.
    pub order: usize,
    /// n-grams of two or more characters whose (exponentiated) count is below this are pruned.
    pub min_count: f64,
    /// Keep at most this many n-grams of two or more characters, raising the threshold as
    /// needed (`None`: no limit).
    pub max_ngrams: Option<usize>,
    /// Each word's count is raised to this power (0 to 1) before counting.
    pub count_exponent: f64,
    /// Probability of the unknown-character symbol in the unigram distribution (0 < p < 1).
    pub unk_prob: f64,
}

impl Default for LmBuildConfig {
    fn default() -> Self {
        LmBuildConfig {
            order: 6,
            min_count: 0.0,
            max_ngrams: None,
            count_exponent: 0.75,
            unk_prob: 1e-3,
        }
    }
}

impl LmBuildConfig {
    fn validate(&self) -> Result<()> {
        let bad = |argument, m: String| Err(Error::invalid(argument, m));
        if !(1..=MAX_ORDER).contains(&self.order) {
            return bad(
                "order",
                format!("must be 1 to {MAX_ORDER}, not {}", self.order),
            );
        }
        if !(self.min_count.is_finite() && self.min_count >= 0.0) {
            return bad("min_count", format!("must be >= 0, not {}", self.min_count));
        }
        if !(0.0..=1.0).contains(&self.count_exponent) {
            return bad(
                "count_exponent",
                format!("must be 0 to 1, not {}", self.count_exponent),
            );
        }
        if !(self.unk_prob > 0.0 && self.unk_prob < 1.0) {
            return bad(
                "unk_prob",
                format!("must be in (0, 1), not {}", self.unk_prob),
            );
        }
        Ok(())
    }
}

/// n-gram counts of words and text, the input of [`NgramCounter::build`].
///
/// # Example
/// ```
/// use inkjot::decode::{CharLm, LmBuildConfig, NgramCounter};
/// let config = LmBuildConfig { order: 4, ..LmBuildConfig::default() };
/// let mut counter = NgramCounter::new(&config)?;
/// for (word, count) in [("the", 500.0), ("then", 40.0), ("than", 30.0), ("that", 200.0)] {
///     counter.add_word(word, count);
/// }
/// counter.add_text("then the cat", 1.0);
/// let built = counter.build(&config)?;
/// let lm = CharLm::from_fst(&built.fst)?;
/// assert!(lm.word_log_prob("that") > lm.word_log_prob("tjat"));
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NgramCounter {
    order: usize,
    count_exponent: f64,
    ids: HashMap<char, u16>,
    /// `chars[id - 1]` is the character of symbol `id`.
    chars: Vec<char>,
    /// `counts[k]`: counts of the n-grams of `k + 1` symbols, keyed by packing the symbol ids
    /// 16 bits each, the predicted symbol lowest.
    counts: Vec<HashMap<u128, Count>>,
    added: usize,
    skipped: usize,
}

impl NgramCounter {
    /// An empty counter for `config.order` and `config.count_exponent`.
    pub fn new(config: &LmBuildConfig) -> Result<Self> {
        config.validate()?;
        Ok(NgramCounter {
            order: config.order,
            count_exponent: config.count_exponent,
            ids: HashMap::from([(WORD_BOUNDARY, SPACE_ID)]),
            chars: vec![WORD_BOUNDARY],
            counts: vec![HashMap::new(); config.order],
            added: 0,
            skipped: 0,
        })
    }

    /// Counts one word (or a phrase) `count` times, after raising `count` to the configured
    /// exponent, both after a space and at the start of a text (see the module docs). Returns
    /// `false` (and counts nothing) for an empty word, a count that is not positive, or a word
    /// with control characters or U+FFFD.
    pub fn add_word(&mut self, word: &str, count: f64) -> bool {
        self.add_word_share(word, count, 1.0)
    }

    /// [`add_word`](Self::add_word) for one case form of a word that holds `share` (0 to 1) of
    /// the word's count: its weight is `share · count^exponent`, its type count `share`.
    pub fn add_word_share(&mut self, word: &str, count: f64, share: f64) -> bool {
        if !(count.is_finite() && count > 0.0 && share.is_finite() && share > 0.0) {
            self.skipped += 1;
            return false;
        }
        // Half after a space, half at the start of a text: inside the word, the counts are the
        // word's whole weight and one type, as for a word read once.
        let half = 0.5 * share * count.powf(self.count_exponent);
        let Some(mut seq) = self.symbols_of(word, SPACE_ID) else {
            self.skipped += 1;
            return false;
        };
        self.count_sequence(&seq, half, 0.5 * share);
        seq[0] = BOS_ID;
        self.count_sequence(&seq, half, 0.5 * share);
        self.added += 1;
        true
    }

    /// Counts a line of running text (a sentence) with weight `weight` (not exponentiated), from
    /// the start of a text; its n-grams cross word boundaries. Returns `false` when the line was
    /// skipped (see [`add_word`](Self::add_word)).
    pub fn add_text(&mut self, line: &str, weight: f64) -> bool {
        if !(weight.is_finite() && weight > 0.0) {
            self.skipped += 1;
            return false;
        }
        let Some(seq) = self.symbols_of(line, BOS_ID) else {
            self.skipped += 1;
            return false;
        };
        self.count_sequence(&seq, weight, weight);
        self.added += 1;
        true
    }

    /// Number of words and lines counted, and skipped.
    pub fn added(&self) -> (usize, usize) {
        (self.added, self.skipped)
    }

    /// Number of distinct n-grams of each length (index 0: single characters).
    pub fn ngram_counts(&self) -> Vec<usize> {
        self.counts.iter().map(HashMap::len).collect()
    }

    /// Counts every n-gram of `seq` whose last symbol is at index 1 or later.
    fn count_sequence(&mut self, seq: &[u16], weight: f64, types: f64) {
        for i in 1..seq.len() {
            let mut k = 0u128;
            for n in 0..self.order.min(i + 1) {
                k |= (seq[i - n] as u128) << (BITS * n as u32);
                let count = self.counts[n].entry(k).or_default();
                count.weighted += weight;
                count.types += types;
            }
        }
    }

    /// `first text ␣` as symbol ids ([`normalize_text`], whitespace as one space), or `None` to
    /// skip.
    fn symbols_of(&mut self, text: &str, first: u16) -> Option<Vec<u16>> {
        let mut seq = vec![first];
        for c in normalize_text(text).chars() {
            if c == WORD_BOUNDARY {
                if seq.len() > 1 && seq.last() != Some(&SPACE_ID) {
                    seq.push(SPACE_ID);
                }
                continue;
            }
            if c.is_control() || c as u32 == UNK_LABEL {
                return None;
            }
            let id = match self.ids.get(&c) {
                Some(&id) => id,
                None if self.chars.len() < MAX_SYMBOLS => {
                    self.chars.push(c);
                    let id = self.chars.len() as u16;
                    self.ids.insert(c, id);
                    id
                }
                None => return None,
            };
            seq.push(id);
        }
        if seq.last() != Some(&SPACE_ID) {
            seq.push(SPACE_ID);
        }
        (seq.len() > 2).then_some(seq)
    }

    /// Smooths, prunes and converts the counts to the acceptor described in
    /// [`lm`](super::lm). `config.order` and `config.count_exponent` must be those the counter
    /// was made with.
    pub fn build(&self, config: &LmBuildConfig) -> Result<BuiltLm> {
        config.validate()?;
        if config.order != self.order || config.count_exponent != self.count_exponent {
            return Err(Error::invalid(
                "config",
                "the build config's order and count_exponent differ from the counter's",
            ));
        }
        let order = self.order;
        let ngrams: usize = self.counts[1..].iter().map(HashMap::len).sum();
        let mut cut = f64::NEG_INFINITY;
        if let Some(max) = config.max_ngrams {
            if ngrams > max {
                let mut all: Vec<f64> = self.counts[1..]
                    .iter()
                    .flat_map(|m| m.values().map(|c| c.weighted))
                    .collect();
                let (_, nth, _) = all.select_nth_unstable_by(max, |a, b| b.total_cmp(a));
                cut = *nth;
            }
        }
        let keep = |c: f64| c >= config.min_count && c > cut;

        // Per history (1 to order - 1 symbols): totals over all continuations, kept ones apart.
        let mut histories: Vec<HashMap<u128, History>> = vec![HashMap::new(); order];
        for (level, counts) in histories.iter_mut().zip(&self.counts).skip(1) {
            // In key order, so that the sums (and the file) do not depend on hashing.
            let mut entries: Vec<(&u128, &Count)> = counts.iter().collect();
            entries.sort_unstable_by_key(|&(&k, _)| k);
            for (&k, c) in entries {
                let h = level.entry(k >> BITS).or_default();
                h.total += c.weighted;
                h.type_total += c.types;
                h.distinct += 1;
                if keep(c.weighted) {
                    h.kept.push(((k & 0xFFFF) as u16, c.weighted));
                } else {
                    h.pruned += c.weighted;
                }
            }
        }
        for level in &mut histories {
            level.retain(|_, h| !h.kept.is_empty());
            for h in level.values_mut() {
                h.kept.sort_unstable_by_key(|&(w, _)| w);
            }
        }
        if order > 1 {
            histories[1].entry(BOS_ID as u128).or_default();
        }

        // Unigram distribution; index 0 is the unknown symbol.
        let v = self.chars.len();
        let unigram_total: f64 = (1..=v as u128)
            .filter_map(|id| self.counts[0].get(&id))
            .map(|c| c.weighted)
            .sum();
        let mut p0 = vec![config.unk_prob; v + 1];
        for (id, p) in p0.iter_mut().enumerate().skip(1) {
            let c = self.counts[0]
                .get(&(id as u128))
                .map_or(0.0, |c| c.weighted);
            *p = (1.0 - config.unk_prob) * (c + 1.0) / (unigram_total + v as f64);
        }

        let mut model = Probabilities {
            p0,
            prob: HashMap::new(),
            alpha: HashMap::new(),
        };
        for level in histories.iter().skip(1) {
            let mut keys: Vec<u128> = level.keys().copied().collect();
            keys.sort_unstable();
            for hk in keys {
                let h = &level[&hk];
                let lower = drop_oldest(hk);
                // λ: the chance of a continuation not seen after h, from word types.
                let t = h.distinct as f64;
                let lambda = if h.type_total + t > 0.0 {
                    t / (h.type_total + t)
                } else {
                    1.0
                };
                let seen = |c: f64| {
                    if h.total > 0.0 {
                        (1.0 - lambda) * c / h.total
                    } else {
                        0.0
                    }
                };
                let mut lower_kept = 0.0;
                let mut probs = Vec::with_capacity(h.kept.len());
                for &(w, cw) in &h.kept {
                    let pl = model.p_bo(lower, w);
                    lower_kept += pl;
                    probs.push((w, seen(cw) + lambda * pl));
                }
                let d = (1.0 - lower_kept).max(f64::MIN_POSITIVE);
                let alpha = (seen(h.pruned) + lambda * d) / d;
                for (w, p) in probs {
                    model.prob.insert((hk << BITS) | w as u128, p);
                }
                model.alpha.insert(hk, alpha);
            }
        }
        self.to_fst(&histories, &model, order, ngrams, cut.max(config.min_count))
    }

    fn to_fst(
        &self,
        histories: &[HashMap<u128, History>],
        model: &Probabilities,
        order: usize,
        ngrams: usize,
        threshold: f64,
    ) -> Result<BuiltLm> {
        // State numbering: the start of a text first, then the unigram state, then by length.
        let mut keys: Vec<u128> = histories.iter().flat_map(|l| l.keys().copied()).collect();
        keys.sort_unstable_by_key(|&k| (key_len(k), k));
        let mut ordered = Vec::with_capacity(keys.len() + 1);
        if order > 1 {
            ordered.push(BOS_ID as u128);
        }
        ordered.push(0u128);
        ordered.extend(keys.into_iter().filter(|&k| k != BOS_ID as u128));
        let index: HashMap<u128, u32> = ordered
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        // The state of the longest suffix of `g` that has one (the unigram state at worst).
        let state_of = |mut g: u128| -> u32 {
            loop {
                match index.get(&g) {
                    Some(&s) => return s,
                    None if g == 0 => return 0,
                    None => g = drop_oldest(g),
                }
            }
        };
        let history_mask = mask(order - 1);
        let destination =
            |from: u128, w: u16| state_of(((from << BITS) | w as u128) & history_mask);
        let label = |w: u16| self.chars[w as usize - 1] as u32;
        let cost = |p: f64| TropicalWeight::new(-(p.ln()) as f32);

        let mut fst = VectorFst::<TropicalWeight>::new();
        fst.add_states(ordered.len());
        fst.set_start(0).map_err(model_error)?;
        let mut arcs = 0usize;
        let mut kept = 0usize;
        for (s, &hk) in ordered.iter().enumerate() {
            let s = s as u32;
            let mut trs: Vec<Tr<TropicalWeight>> = Vec::new();
            if hk == 0 {
                for w in 1..=self.chars.len() as u16 {
                    let l = label(w);
                    trs.push(Tr::new(l, l, cost(model.p0[w as usize]), destination(0, w)));
                }
                trs.push(Tr::new(UNK_LABEL, UNK_LABEL, cost(model.p0[0]), s));
            } else {
                let alpha = model.alpha.get(&hk).copied().unwrap_or(1.0);
                trs.push(Tr::new(0, 0, cost(alpha), state_of(drop_oldest(hk))));
                if let Some(h) = histories[key_len(hk)].get(&hk) {
                    for &(w, _) in &h.kept {
                        let p = model
                            .prob
                            .get(&((hk << BITS) | w as u128))
                            .copied()
                            .unwrap_or(0.0);
                        let l = label(w);
                        trs.push(Tr::new(l, l, cost(p), destination(hk, w)));
                        kept += 1;
                    }
                }
                if hk & 0xFFFF == SPACE_ID as u128 {
                    fst.set_final(s, TropicalWeight::one())
                        .map_err(model_error)?;
                }
            }
            trs.sort_by_key(|t| t.ilabel);
            arcs += trs.len();
            for tr in trs {
                fst.add_tr(s, tr).map_err(model_error)?;
            }
        }
        Ok(BuiltLm {
            stats: BuildStats {
                order,
                symbols: self.chars.len(),
                ngrams,
                kept_ngrams: kept,
                count_threshold: threshold,
                states: ordered.len(),
                arcs,
            },
            fst,
        })
    }
}

/// The text the builder counts: NFC, every whitespace run one space (none at the ends), the
/// typographic forms a hand writes like an ASCII character folded to it (apostrophes `’ ‘ ʼ ‛`
/// to `'`, the quotes `“ ” ‟` to `"`, hyphens `‐ ‑ ‒` to `-`, `…` to `...`), invisible
/// characters (soft hyphen, zero-width spaces and joiners, BOM) dropped. Everything else
/// (case, digits, punctuation, letters with diacritics, `„ « » – —`) is kept as it is.
///
/// # Example
/// ```
/// use inkjot::decode::lm_build::normalize_text;
/// assert_eq!(normalize_text("  Don\u{2019}t\t wait\u{2026} "), "Don't wait...");
/// assert_eq!(normalize_text("Cafe\u{301} \u{201E}gut\u{201C}"), "Caf\u{e9} \u{201E}gut\"");
/// ```
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfc() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if matches!(
            c,
            '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        ) {
            continue;
        }
        let folded = typographic_fold(c).unwrap_or("");
        if space {
            out.push(WORD_BOUNDARY);
            space = false;
        }
        if folded.is_empty() {
            out.push(c);
        } else {
            out.push_str(folded);
        }
    }
    out
}

/// The ASCII text a typographic character that a hand writes like ASCII is counted as
/// ([`normalize_text`]): apostrophes `’ ‘ ‛ ʼ` → `'`, quotes `“ ” ‟` → `"`, hyphens `‐ ‑ ‒` → `-`,
/// `…` → `...`; `None` for every other character. The decoder scores these characters as the LM
/// counted them.
///
/// # Example
/// ```
/// use inkjot::decode::lm_build::typographic_fold;
/// assert_eq!(typographic_fold('\u{2019}'), Some("'"));
/// assert_eq!(typographic_fold('\u{201E}'), None); // „ is kept as it is
/// ```
pub fn typographic_fold(c: char) -> Option<&'static str> {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' => Some("'"),
        '\u{201C}' | '\u{201D}' | '\u{201F}' => Some("\""),
        '\u{2010}' | '\u{2011}' | '\u{2012}' => Some("-"),
        '\u{2026}' => Some("..."),
        _ => None,
    }
}

/// How the case forms of a (lowercase) word-list word are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordCase {
    /// Each word as the list spells it.
    #[default]
    AsListed,
    /// A word's count is split over the forms (lower, Capitalized, UPPER) the running text shows
    /// for it inside sentences ([`CaseStats`]); words the text lacks stay as listed.
    FromText,
}

/// How often each word of running text is written lower case, Capitalized or in UPPER case,
/// not counting the first word of a sentence (whose capital says nothing about the word).
#[derive(Debug, Clone, Default)]
pub struct CaseStats {
    /// Lowercase form → counts of (lower, Capitalized, UPPER).
    forms: HashMap<String, [f64; 3]>,
}

impl CaseStats {
    /// Adds the words of one normalized line (see [`normalize_text`]).
    pub fn add_line(&mut self, line: &str) {
        let mut sentence_start = true;
        for token in line.split(WORD_BOUNDARY) {
            let word = token.trim_matches(|c: char| !c.is_alphanumeric());
            let starts = sentence_start;
            sentence_start = token.ends_with(['.', '!', '?', ':']);
            if starts || word.is_empty() || !word.chars().all(char::is_alphabetic) {
                continue;
            }
            let mut chars = word.chars();
            let first_upper = chars.next().is_some_and(char::is_uppercase);
            let rest: Vec<bool> = chars.map(char::is_uppercase).collect();
            let form = match (
                first_upper,
                rest.iter().all(|&u| u),
                rest.iter().any(|&u| u),
            ) {
                (false, _, false) => 0,
                (true, _, false) => 1,
                (true, true, _) => 2,
                _ => continue, // mixed case ("iPhone"): not one of the three forms
            };
            self.forms.entry(word.to_lowercase()).or_default()[form] += 1.0;
        }
    }

    /// The case forms of `word` (as listed, lowercase) with their shares of its count, which sum
    /// to 1: the counts the text shows for (lower, Capitalized, UPPER) plus `prior`. With
    /// `prior = [1, 0, 0]`, a word seen once Capitalized is half lowercase, and a word the text
    /// lacks is only its listed form; a prior such as `[1, 0.2, 0.02]` also lets every word
    /// start a sentence or stand in capitals.
    pub fn forms(&self, word: &str, prior: [f64; 3]) -> Vec<(String, f64)> {
        let counts = self
            .forms
            .get(&word.to_lowercase())
            .copied()
            .unwrap_or_default();
        let capitalized = {
            let mut chars = word.chars();
            chars
                .next()
                .map(|f| {
                    f.to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect()
                })
                .unwrap_or_default()
        };
        let spelled = [word.to_lowercase(), capitalized, word.to_uppercase()];
        let mut out: Vec<(String, f64)> = Vec::new();
        for ((form, n), p) in spelled.into_iter().zip(counts).zip(prior) {
            let n = n + p.max(0.0);
            if n > 0.0 {
                match out.iter_mut().find(|(f, _)| *f == form) {
                    Some(entry) => entry.1 += n,
                    None => out.push((form, n)),
                }
            }
        }
        if out.is_empty()
            || !out
                .iter()
                .any(|(f, _)| f.to_lowercase() == word.to_lowercase())
        {
            out.push((word.to_string(), 1.0));
        }
        let total: f64 = out.iter().map(|f| f.1).sum();
        out.iter_mut().for_each(|f| f.1 /= total);
        out
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Count {
    /// Sum of the (exponentiated) word counts and text weights.
    weighted: f64,
    /// Number of words (and lines) the n-gram occurs in, with repeats.
    types: f64,
}

#[derive(Debug, Clone, Default)]
struct History {
    /// Weighted count of all continuations.
    total: f64,
    /// Type count of all continuations.
    type_total: f64,
    /// Distinct continuations.
    distinct: u32,
    /// Weighted count of the pruned continuations.
    pruned: f64,
    /// Kept continuations and their weighted counts.
    kept: Vec<(u16, f64)>,
}

struct Probabilities {
    /// Unigram probabilities by symbol id; index 0 is the unknown symbol.
    p0: Vec<f64>,
    /// Kept n-grams (two or more symbols): `P(w | h)`.
    prob: HashMap<u128, f64>,
    /// Backoff weight of each history state.
    alpha: HashMap<u128, f64>,
}

impl Probabilities {
    /// `P(w | h)` in the pruned backoff model (`w = 0`: the unknown symbol).
    fn p_bo(&self, mut h: u128, w: u16) -> f64 {
        let mut scale = 1.0;
        loop {
            if h == 0 {
                return scale * self.p0[w as usize];
            }
            if let Some(p) = self.prob.get(&((h << BITS) | w as u128)) {
                return scale * p;
            }
            scale *= self.alpha.get(&h).copied().unwrap_or(1.0);
            h = drop_oldest(h);
        }
    }
}

/// Number of symbols packed in a key (ids are at least 1, 16 bits each, newest lowest).
fn key_len(k: u128) -> usize {
    (128 - k.leading_zeros()).div_ceil(BITS) as usize
}

fn mask(symbols: usize) -> u128 {
    if symbols >= 8 {
        u128::MAX
    } else {
        (1u128 << (BITS * symbols as u32)) - 1
    }
}

/// The key without its oldest symbol.
fn drop_oldest(k: u128) -> u128 {
    k & mask(key_len(k).saturating_sub(1))
}

/// rustfst refusing to build or store the acceptor: a bug here, not bad input.
fn model_error(e: impl std::fmt::Display) -> Error {
    Error::Serialize {
        what: "the LM acceptor",
        reason: e.to_string(),
    }
}

/// A built model: the acceptor and what went into it.
#[derive(Debug, Clone)]
pub struct BuiltLm {
    /// The backoff acceptor (see [`lm`](super::lm) for its conventions).
    pub fst: VectorFst<TropicalWeight>,
    /// Sizes and the pruning threshold.
    pub stats: BuildStats,
}

impl BuiltLm {
    /// The OpenFST binary file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.fst.store(&mut bytes).map_err(model_error)?;
        Ok(bytes)
    }
}

/// Sizes of a built model.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BuildStats {
    /// n-gram order.
    pub order: usize,
    /// Distinct characters (the unknown symbol not included).
    pub symbols: usize,
    /// Distinct n-grams of two or more characters counted.
    pub ngrams: usize,
    /// Those kept as arcs after pruning.
    pub kept_ngrams: usize,
    /// The count below which n-grams were pruned.
    pub count_threshold: f64,
    /// States of the acceptor.
    pub states: usize,
    /// Arcs of the acceptor, backoff arcs included.
    pub arcs: usize,
}

/// Reads a word list: one `word<TAB>count` per line (a line with only a word counts once; empty
/// lines are skipped). Counts must be positive numbers.
pub fn read_word_counts(path: &Path) -> Result<Vec<(String, f64)>> {
    let reader = BufReader::new(std::fs::File::open(path)?);
    let mut words = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        let (word, count) = match line.rsplit_once('\t') {
            Some((word, count)) => {
                let count: f64 = count
                    .trim()
                    .parse()
                    .map_err(|_| Error::parse(i + 1, format!("bad count {count:?}")))?;
                (word, count)
            }
            None => (line, 1.0),
        };
        if !(count.is_finite() && count > 0.0) {
            return Err(Error::parse(
                i + 1,
                format!("count must be positive, not {count}"),
            ));
        }
        words.push((word.to_string(), count));
    }
    Ok(words)
}

/// What `inkjot lm build` does: the inputs, the model parameters and the output.
#[derive(Debug, Clone)]
pub struct LmBuildJob {
    /// Word list (`word<TAB>count` lines, see [`read_word_counts`]).
    pub words: PathBuf,
    /// Running text files, one sentence (or line) per line, each from the start of a text.
    pub text: Vec<PathBuf>,
    /// Weight of each text line relative to a word of count 1 (after the exponent).
    pub text_weight: f64,
    /// How the word list's words get their case forms.
    pub word_case: WordCase,
    /// With [`WordCase::FromText`]: pseudo-counts of (lower, Capitalized, UPPER) added to each
    /// word's counts in the text ([`CaseStats::forms`]).
    pub case_prior: [f64; 3],
    /// Where to write the LM.
    pub out: PathBuf,
    /// The file format of `out`: OpenFST (the interchange format) or compact (quantized).
    pub format: LmFormat,
    /// Order, pruning and smoothing parameters.
    pub config: LmBuildConfig,
    /// Fraction (0 to 1) of the word list held out of training (chosen by a hash of the word)
    /// and used to report the perplexity. 0 for a model to ship.
    pub heldout: f64,
    /// The list's first `heldout_skip` entries (the most frequent words, when the list is
    /// sorted) are never held out: every real vocabulary has them, and held out they would
    /// dominate a frequency-weighted perplexity ("to", "of", "in" and "is" make up half of the
    /// held-out mass of a 5% split of English).
    pub heldout_skip: usize,
    /// Fraction (0 to 1) of the text lines held out of counting (by a hash of the normalized
    /// line, [`is_held_out`]) and used to report the perplexity on running text; their words
    /// do not feed the case statistics either. 0 for a model to ship.
    pub text_heldout: f64,
    /// A word-pair table to store with the LM (compact format only), see [`WordPairs`].
    pub word_pairs: Option<WordPairsJob>,
    /// The written file stays at most this many bytes: word pairs beyond it are left out, the
    /// least frequent first; an LM that is larger alone is an error (nothing is written).
    pub max_bytes: Option<usize>,
}

/// Where [`build_from_files`] takes a word-pair table from ([`WordPairs::from_text`]).
#[derive(Debug, Clone)]
pub struct WordPairsJob {
    /// Running text files, one line per line (pairs do not cross lines).
    pub text: Vec<PathBuf>,
    /// Pairs seen fewer times are left out (at least 1).
    pub min_count: u32,
    /// At most this many pairs, the most frequent.
    pub max_pairs: usize,
}

/// What [`build_from_files`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildReport {
    /// Sizes and pruning threshold.
    pub stats: BuildStats,
    /// Format of the written file.
    pub format: LmFormat,
    /// Size of the written file.
    pub bytes: usize,
    /// Words read from the list; held out; counted.
    pub words: (usize, usize, usize),
    /// Perplexity of the held-out words (when `heldout > 0`), each weighted by its count.
    pub heldout: Option<Perplexity>,
    /// Perplexity of the held-out words, each counted once.
    pub heldout_types: Option<Perplexity>,
    /// Text lines read; held out; counted.
    pub text_lines: (usize, usize, usize),
    /// Perplexity of the held-out text lines (each from the start of a text, with its final
    /// space).
    pub heldout_text: Option<Perplexity>,
    /// Word pairs stored with the LM ([`LmBuildJob::word_pairs`]).
    pub word_pairs: usize,
    /// Wall time of the whole build.
    pub seconds: f64,
}

/// Builds an LM from a word list (and optional running text) and writes it: the body of
/// `inkjot lm build`. `progress` receives one line per stage.
///
/// # Example
/// ```
/// use inkjot::decode::{CharLm, LmBuildConfig, LmBuildJob, WordCase, build_from_files};
/// let dir = std::env::temp_dir().join(format!("inkjot-doc-lm-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("words.tsv"), "the\t500\nthen\t40\nthat\t200\n")?;
/// let job = LmBuildJob {
///     words: dir.join("words.tsv"),
///     text: vec![],
///     text_weight: 1.0,
///     word_case: WordCase::AsListed,
///     case_prior: [1.0, 0.0, 0.0],
///     out: dir.join("lm.fst"),
///     format: Default::default(),
///     config: LmBuildConfig { order: 3, ..LmBuildConfig::default() },
///     heldout: 0.0,
///     heldout_skip: 0,
///     text_heldout: 0.0,
///     word_pairs: None,
///     max_bytes: None,
/// };
/// let report = build_from_files(&job, &mut |line| eprintln!("{line}"))?;
/// let lm = CharLm::load(dir.join("lm.fst"))?;
/// assert_eq!(lm.num_states(), report.stats.states);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), inkjot::Error>(())
/// ```
pub fn build_from_files(job: &LmBuildJob, progress: &mut dyn FnMut(&str)) -> Result<BuildReport> {
    let start = Instant::now();
    for (name, fraction) in [("heldout", job.heldout), ("text_heldout", job.text_heldout)] {
        if !(0.0..1.0).contains(&fraction) {
            return Err(Error::invalid(
                name,
                format!("must be in [0, 1), not {fraction}"),
            ));
        }
    }
    let mut counter = NgramCounter::new(&job.config)?;
    let (lines, heldout_lines) = read_text_lines(&job.text, job.text_heldout, progress)?;
    let mut case = CaseStats::default();
    if job.word_case == WordCase::FromText {
        lines.iter().for_each(|line| case.add_line(line));
    }
    if !job.case_prior.iter().all(|p| p.is_finite() && *p >= 0.0) {
        return Err(Error::invalid(
            "case_prior",
            format!("must be three counts >= 0, not {:?}", job.case_prior),
        ));
    }
    let words = read_word_counts(&job.words).map_err(|e| at_path(e, &job.words))?;
    let mut heldout = Vec::new();
    for (i, (word, count)) in words.iter().enumerate() {
        if job.heldout > 0.0 && i >= job.heldout_skip && is_held_out(word, job.heldout) {
            heldout.push((word.as_str(), *count));
        } else {
            let forms = match job.word_case {
                WordCase::AsListed => vec![(word.clone(), 1.0)],
                WordCase::FromText => case.forms(word, job.case_prior),
            };
            for (form, share) in forms {
                counter.add_word_share(&form, *count, share);
            }
        }
    }
    let used = words.len() - heldout.len();
    progress(&format!(
        "read {} words from {} ({} held out, {used} counted as {} case forms)",
        words.len(),
        job.words.display(),
        heldout.len(),
        counter.added().0
    ));
    for line in &lines {
        counter.add_text(line, job.text_weight);
    }
    if !job.text.is_empty() {
        progress(&format!(
            "counted {} text lines ({} held out)",
            lines.len(),
            heldout_lines.len()
        ));
    }
    progress(&format!(
        "{} distinct n-grams by length: {:?}; smoothing and pruning",
        counter.ngram_counts().iter().sum::<usize>(),
        counter.ngram_counts()
    ));
    let pairs_text = match &job.word_pairs {
        None => None,
        Some(_) if job.format != LmFormat::Compact => {
            return Err(Error::invalid(
                "word_pairs",
                "need the compact format (OpenFST holds no word pairs)",
            ));
        }
        Some(pairs_job) => Some((
            read_text_lines(&pairs_job.text, 0.0, progress)?.0,
            pairs_job,
        )),
    };
    let make_pairs = |max_pairs: usize| -> Result<Option<WordPairs>> {
        pairs_text
            .as_ref()
            .map(|(text, pairs_job)| {
                WordPairs::from_text(
                    text.iter().map(String::as_str),
                    pairs_job.min_count,
                    max_pairs.min(pairs_job.max_pairs),
                )
            })
            .transpose()
    };
    let built = counter.build(&job.config)?;
    let bytes = match job.format {
        LmFormat::Fst => built.to_bytes()?,
        format => {
            let lm = CharLm::from_fst(&built.fst)?;
            let pairs = make_pairs(usize::MAX)?;
            let pair_bytes = pairs.as_ref().map_or(0, WordPairs::byte_len);
            let mut bytes = lm.clone().with_word_pairs(pairs).to_bytes(format)?;
            if let Some(limit) = job
                .max_bytes
                .filter(|&limit| bytes.len() > limit && pair_bytes > 0)
            {
                // The pairs are appended after the LM (`WordPairs::byte_len`: an 8-byte head and
                // 5 bytes a pair): keep as many as the bytes left hold, or no table at all.
                let lm_bytes = bytes.len() - pair_bytes;
                let fit = limit.saturating_sub(lm_bytes + 8) / 5;
                let pairs = if fit == 0 { None } else { make_pairs(fit)? };
                bytes = lm.with_word_pairs(pairs).to_bytes(format)?;
            }
            bytes
        }
    };
    if let Some(limit) = job.max_bytes.filter(|&limit| bytes.len() > limit) {
        return Err(Error::invalid(
            "max_bytes",
            format!(
                "the LM alone is {} bytes, over the limit of {limit}: keep fewer n-grams",
                bytes.len()
            ),
        ));
    }
    std::fs::write(&job.out, &bytes).map_err(|e| Error::io(&job.out, e))?;
    progress(&format!(
        "wrote {} ({} bytes, {} states, {} arcs, {} of {} n-grams kept, count threshold {:.3})",
        job.out.display(),
        bytes.len(),
        built.stats.states,
        built.stats.arcs,
        built.stats.kept_ngrams,
        built.stats.ngrams,
        built.stats.count_threshold
    ));
    // The model as written (quantized, in the compact format).
    let lm = CharLm::from_bytes(&bytes)?;
    if let Some(pairs) = lm.word_pairs() {
        progress(&format!(
            "{} word pairs ({} bytes)",
            pairs.len(),
            pairs.byte_len()
        ));
    }
    let (heldout_ppl, heldout_types) = if heldout.is_empty() {
        (None, None)
    } else {
        let ppl = lm.perplexity(heldout.iter().copied());
        let types = lm.perplexity(heldout.iter().map(|&(w, _)| (w, 1.0)));
        progress(&format!(
            "held-out perplexity per character {:.3} weighted by count, {:.3} per word type \
             ({} words)",
            ppl.per_char, types.per_char, ppl.words
        ));
        (Some(ppl), Some(types))
    };
    let heldout_text = (!heldout_lines.is_empty()).then(|| {
        let ppl = lm.perplexity(heldout_lines.iter().map(|l| (l.as_str(), 1.0)));
        progress(&format!(
            "held-out text perplexity per character {:.3} ({} lines)",
            ppl.per_char, ppl.words
        ));
        ppl
    });
    Ok(BuildReport {
        stats: built.stats,
        format: job.format,
        bytes: bytes.len(),
        words: (words.len(), heldout.len(), used),
        heldout: heldout_ppl,
        heldout_types,
        text_lines: (
            lines.len() + heldout_lines.len(),
            heldout_lines.len(),
            lines.len(),
        ),
        heldout_text,
        word_pairs: lm.word_pairs().map_or(0, WordPairs::len),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Reads running text files: each non-empty line normalized ([`normalize_text`]), split into
/// those counted and those held out (`fraction` of them, by a hash of the normalized line).
pub fn read_text_lines(
    files: &[PathBuf],
    fraction: f64,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<String>, Vec<String>)> {
    let (mut counted, mut held) = (Vec::new(), Vec::new());
    for file in files {
        let reader = BufReader::new(std::fs::File::open(file).map_err(|e| Error::io(file, e))?);
        let before = counted.len() + held.len();
        for line in reader.lines() {
            let line = normalize_text(&line.map_err(|e| Error::io(file, e))?);
            if line.is_empty() {
                continue;
            }
            if fraction > 0.0 && is_held_out(&line, fraction) {
                held.push(line);
            } else {
                counted.push(line);
            }
        }
        progress(&format!(
            "read {} lines of {}",
            counted.len() + held.len() - before,
            file.display()
        ));
    }
    Ok((counted, held))
}

fn at_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { path: None, source } => Error::io(path, source),
        Error::Parse { location, message } => Error::Parse {
            location,
            message: format!("{}: {message}", path.display()),
        },
        other => other,
    }
}

/// Whether `word` is in the held-out `fraction` (a fixed hash of the word, so the split is the
/// same for every order and run).
pub fn is_held_out(word: &str, fraction: f64) -> bool {
    let hash = word.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    ((hash >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::SplitMix64;

    /// Words from a random order-3 character chain over a small alphabet, with Zipf-like counts.
    fn markov_words(n: usize, seed: u64) -> Vec<(String, f64)> {
        let letters: Vec<char> = "abcdefghij".chars().collect();
        let mut rng = SplitMix64::new(seed);
        // A fixed random successor table per (previous two letters): three likely successors.
        let mut table = HashMap::new();
        for &a in &letters {
            for &b in &letters {
                let next: Vec<char> = (0..3)
                    .map(|_| letters[(rng.next_u64() % letters.len() as u64) as usize])
                    .collect();
                table.insert((a, b), next);
            }
        }
        let mut words = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while words.len() < n {
            let len = 3 + (rng.next_u64() % 6) as usize;
            let mut w: Vec<char> = (0..2)
                .map(|_| letters[(rng.next_u64() % letters.len() as u64) as usize])
                .collect();
            while w.len() < len {
                let next = &table[&(w[w.len() - 2], w[w.len() - 1])];
                w.push(next[(rng.next_u64() % 3) as usize]);
            }
            let w: String = w.into_iter().collect();
            if seen.insert(w.clone()) {
                words.push((w, 1e6 / (words.len() + 1) as f64));
            }
        }
        words
    }

    fn perplexity(order: usize, train: &[(String, f64)], test: &[(String, f64)]) -> f64 {
        let config = LmBuildConfig {
            order,
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        for (w, c) in train {
            counter.add_word(w, *c);
        }
        let lm = CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap();
        lm.perplexity(test.iter().map(|(w, c)| (w.as_str(), *c)))
            .per_char
    }

    #[test]
    fn higher_orders_predict_held_out_words_better() {
        let words = markov_words(3000, 5);
        let (test, train): (Vec<_>, Vec<_>) =
            words.into_iter().partition(|(w, _)| is_held_out(w, 0.1));
        assert!(test.len() > 200, "{}", test.len());
        let ppl: Vec<f64> = (1..=4)
            .map(|order| perplexity(order, &train, &test))
            .collect();
        assert!(ppl[0] > ppl[1] && ppl[1] > ppl[2], "{ppl:?}");
        // The chain is order 3: order 4 adds little but must not hurt much.
        assert!(ppl[3] < ppl[1], "{ppl:?}");
    }

    #[test]
    fn pruning_keeps_the_budget_and_the_hierarchy() {
        let words = markov_words(2000, 9);
        let config = LmBuildConfig {
            order: 5,
            max_ngrams: Some(1500),
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        for (w, c) in &words {
            counter.add_word(w, *c);
        }
        let built = counter.build(&config).unwrap();
        assert!(built.stats.kept_ngrams <= 1500, "{:?}", built.stats);
        assert!(built.stats.kept_ngrams > 1000, "{:?}", built.stats);
        assert!(built.stats.ngrams > built.stats.kept_ngrams);
        // Arcs: one per kept n-gram, one per unigram symbol and unk, one backoff per other state.
        assert_eq!(
            built.stats.arcs,
            built.stats.kept_ngrams + built.stats.symbols + 1 + built.stats.states - 1
        );
        // Every kept n-gram's lower-order form is kept: the arc from each state's backoff
        // target exists for each of the state's labels.
        let fst = &built.fst;
        for s in 0..fst.num_states() as u32 {
            let trs = fst.get_trs(s).unwrap();
            let Some(back) = trs.trs().iter().find(|t| t.ilabel == 0) else {
                continue;
            };
            let lower = fst.get_trs(back.nextstate).unwrap();
            for t in trs.trs().iter().filter(|t| t.ilabel != 0) {
                assert!(
                    lower.trs().iter().any(|u| u.ilabel == t.ilabel),
                    "state {s} label {}",
                    t.ilabel
                );
            }
        }
    }

    #[test]
    fn words_are_normalized() {
        let config = LmBuildConfig::default();
        let mut counter = NgramCounter::new(&config).unwrap();
        assert!(counter.add_word("Hello", 2.0));
        assert!(counter.add_word("  new   york ", 1.0));
        assert!(!counter.add_word("", 1.0));
        assert!(!counter.add_word("   ", 1.0));
        assert!(!counter.add_word("tab\u{7}bell", 1.0));
        assert!(!counter.add_word("bad\u{FFFD}", 1.0));
        assert!(!counter.add_word("zero", 0.0));
        assert!(!counter.add_word("nan", f64::NAN));
        assert!(!counter.add_word("half", f64::NAN));
        assert!(!counter.add_word_share("share", 1.0, 0.0));
        assert!(!counter.add_text("line", -1.0));
        assert!(!counter.add_text(" \u{200B} ", 1.0));
        assert_eq!(counter.added(), (2, 10));
        // Cased, one space between words: "Hello␣" and "new␣york␣" give 6 + 9 predictions, each
        // word half after a space and half at the start of a text.
        let unigrams: f64 = counter.counts[0].values().map(|c| c.types).sum();
        assert_eq!(unigrams, 6.0 + 9.0);
        assert!(counter.ids.contains_key(&'H') && !counter.ids.contains_key(&'h'));
        let key = |c: &NgramCounter, a: u16, b: char| ((a as u128) << BITS) | c.ids[&b] as u128;
        assert_eq!(counter.counts[1][&key(&counter, SPACE_ID, 'H')].types, 0.5);
        assert_eq!(counter.counts[1][&key(&counter, BOS_ID, 'H')].types, 0.5);
        // Text: from the start of a text only, typographic apostrophes folded.
        assert!(counter.add_text("It\u{2019}s 5.", 1.0));
        assert_eq!(counter.counts[1][&key(&counter, BOS_ID, 'I')].types, 1.0);
        assert!(!counter.counts[1].contains_key(&key(&counter, SPACE_ID, 'I')));
        assert!(counter.ids.contains_key(&'\'') && counter.ids.contains_key(&'5'));
        assert!(!counter.ids.contains_key(&'\u{2019}'));
    }

    #[test]
    fn text_is_normalized() {
        assert_eq!(normalize_text(" a\t\n b  "), "a b");
        assert_eq!(normalize_text("e\u{301}t\u{e9}"), "\u{e9}t\u{e9}");
        assert_eq!(
            normalize_text("\u{201C}Hi\u{201D} \u{2018}x\u{2019}"),
            "\"Hi\" 'x'"
        );
        assert_eq!(normalize_text("so\u{AD}ft\u{2026}"), "soft...");
        assert_eq!(
            normalize_text("\u{AB} a \u{2013} b \u{BB}"),
            "\u{AB} a \u{2013} b \u{BB}"
        );
        assert_eq!(normalize_text("\u{A0}\u{200B}"), "");
    }

    #[test]
    fn case_forms_come_from_inside_sentences() {
        let mut case = CaseStats::default();
        for line in [
            "The kernel runs Linux. Linux is a kernel.",
            "I think the kernel is fine, and I use the GNU tools.",
            "Read the GNU manual: The end.",
        ] {
            case.add_line(line);
        }
        let share = |word: &str, form: &str| {
            case.forms(word, [1.0, 0.0, 0.0])
                .iter()
                .find(|(f, _)| f == form)
                .map_or(0.0, |f| f.1)
        };
        // "The" starts sentences only ("The end" follows a colon): never a case form of "the".
        let prior = [1.0, 0.0, 0.0];
        assert_eq!(case.forms("the", prior), vec![("the".to_string(), 1.0)]);
        // "Linux" once inside a sentence (the second is sentence-initial), plus the listed form.
        assert_eq!(share("linux", "Linux"), 0.5);
        assert_eq!(share("linux", "linux"), 0.5);
        assert_eq!(share("i", "I"), 0.5);
        assert_eq!(share("gnu", "GNU"), 2.0 / 3.0);
        assert_eq!(
            case.forms("unseen", prior),
            vec![("unseen".to_string(), 1.0)]
        );
        // A prior gives every word its capitalized and upper-case forms.
        let with_prior = case.forms("unseen", [1.0, 0.5, 0.5]);
        assert_eq!(
            with_prior,
            vec![
                ("unseen".to_string(), 0.5),
                ("Unseen".to_string(), 0.25),
                ("UNSEEN".to_string(), 0.25)
            ]
        );
        assert_eq!(
            case.forms("i", [1.0, 0.5, 0.5])[1],
            ("I".to_string(), 2.0 / 3.0)
        );
        for word in ["the", "linux", "i", "gnu", "kernel", "don't"] {
            for prior in [prior, [1.0, 0.3, 0.1], [0.0, 0.0, 0.0]] {
                let total: f64 = case.forms(word, prior).iter().map(|f| f.1).sum();
                assert!((total - 1.0).abs() < 1e-12, "{word}: {total}");
            }
        }
    }

    #[test]
    fn running_text_conditions_on_the_words_before() {
        let config = LmBuildConfig::default();
        let mut counter = NgramCounter::new(&config).unwrap();
        for (w, c) in [
            ("you", 3000.0),
            ("yes", 2000.0),
            ("year", 1000.0),
            ("see", 800.0),
            ("soon", 300.0),
            ("the", 9000.0),
            ("then", 900.0),
        ] {
            counter.add_word(w, c);
        }
        for line in [
            "See you soon.",
            "I will see you then.",
            "Yes, see you.",
            "The year is over.",
        ] {
            counter.add_text(line, 20.0);
        }
        let lm = CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap();
        let after_see = lm.state_after("see ");
        assert_ne!(after_see, lm.start());
        assert_ne!(after_see, lm.state_after("the "));
        let you = |state| lm.log_prob(state, "you ").0;
        assert!(you(after_see) > you(lm.start()) + 1.0);
        assert!(you(after_see) > you(lm.state_after("the ")) + 1.0);
        // Texts start with a capital, words inside them do not; a text ends with its mark.
        let (upper, lower) = (lm.symbol('S').unwrap(), lm.symbol('s').unwrap());
        assert_ne!(upper, lower);
        assert!(lm.advance(lm.start(), upper).0 > lm.advance(lm.state_after("I will "), upper).0);
        let end = lm.state_after("See you soon");
        assert!(lm.advance_char(end, '.').0 > lm.advance_char(end, ',').0);
    }

    #[test]
    fn bad_configs_are_errors() {
        for config in [
            LmBuildConfig {
                order: 0,
                ..LmBuildConfig::default()
            },
            LmBuildConfig {
                order: MAX_ORDER + 1,
                ..LmBuildConfig::default()
            },
            LmBuildConfig {
                min_count: -1.0,
                ..LmBuildConfig::default()
            },
            LmBuildConfig {
                count_exponent: 1.5,
                ..LmBuildConfig::default()
            },
            LmBuildConfig {
                unk_prob: 0.0,
                ..LmBuildConfig::default()
            },
            LmBuildConfig {
                unk_prob: 1.0,
                ..LmBuildConfig::default()
            },
        ] {
            assert!(
                matches!(
                    NgramCounter::new(&config),
                    Err(Error::InvalidArgument { .. })
                ),
                "{config:?}"
            );
        }
        let counter = NgramCounter::new(&LmBuildConfig::default()).unwrap();
        let other = LmBuildConfig {
            order: 3,
            ..LmBuildConfig::default()
        };
        assert!(matches!(
            counter.build(&other),
            Err(Error::InvalidArgument { .. })
        ));
        // An empty counter still gives a valid (unigram-only) model.
        let lm = CharLm::from_fst(&counter.build(&LmBuildConfig::default()).unwrap().fst).unwrap();
        assert!(lm.word_log_prob("x").is_finite());
    }

    #[test]
    fn build_from_files_end_to_end() {
        let dir = std::env::temp_dir().join(format!("inkjot-lm-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let words = markov_words(1000, 3);
        let list: String = words
            .iter()
            .map(|(w, c)| format!("{w}\t{}\n", c.round()))
            .collect();
        std::fs::write(dir.join("words.tsv"), list).unwrap();
        let text: String = (0..400)
            .map(|i| format!("{} {}.\n", words[i].0, words[i + 1].0))
            .collect();
        std::fs::write(dir.join("text.txt"), text).unwrap();
        std::fs::write(dir.join("more.txt"), "Abc  def\n\nghi abc\n").unwrap();
        let job = LmBuildJob {
            words: dir.join("words.tsv"),
            text: vec![dir.join("text.txt"), dir.join("more.txt")],
            text_weight: 2.0,
            word_case: WordCase::FromText,
            case_prior: [1.0, 0.2, 0.0],
            out: dir.join("lm.fst"),
            format: LmFormat::Fst,
            config: LmBuildConfig {
                order: 4,
                ..LmBuildConfig::default()
            },
            heldout: 0.1,
            heldout_skip: 10,
            text_heldout: 0.1,
            word_pairs: None,
            max_bytes: None,
        };
        let mut lines = Vec::new();
        let report = build_from_files(&job, &mut |l| lines.push(l.to_string())).unwrap();
        assert!(lines.len() >= 4, "{lines:?}");
        let (read, held, used) = report.words;
        assert_eq!(read, 1000);
        assert_eq!(held + used, 1000);
        let heldout = report.heldout.unwrap();
        assert_eq!(heldout.words, held);
        assert!(
            heldout.per_char > 1.0 && heldout.per_char < 11.0,
            "{heldout:?}"
        );
        let (lines, held_lines, counted) = report.text_lines;
        assert_eq!(lines, 402);
        assert_eq!(held_lines + counted, 402);
        assert!(held_lines > 10 && held_lines < 80, "{held_lines}");
        let text_ppl = report.heldout_text.unwrap();
        assert_eq!(text_ppl.words, held_lines);
        assert!(
            text_ppl.per_char > 1.0 && text_ppl.per_char < 11.0,
            "{text_ppl:?}"
        );
        let lm = CharLm::load(&job.out).unwrap();
        assert_eq!(lm.num_arcs(), report.stats.arcs);
        assert!(lm.characters().any(|c| c == 'A') && lm.characters().any(|c| c == '.'));
        assert_eq!(
            std::fs::metadata(&job.out).unwrap().len() as usize,
            report.bytes
        );

        // Errors name the file and line.
        std::fs::write(dir.join("bad.tsv"), "good\t3\nbad\tthree\n").unwrap();
        let bad = LmBuildJob {
            words: dir.join("bad.tsv"),
            ..job.clone()
        };
        let e = build_from_files(&bad, &mut |_| {}).unwrap_err();
        assert!(
            matches!(&e, Error::Parse { location, .. } if location.line == 2),
            "{e}"
        );
        assert!(e.to_string().contains("bad.tsv"), "{e}");
        std::fs::write(dir.join("neg.tsv"), "w\t-3\n").unwrap();
        assert!(read_word_counts(&dir.join("neg.tsv")).is_err());
        let missing = LmBuildJob {
            words: dir.join("missing.tsv"),
            ..job.clone()
        };
        assert!(matches!(
            build_from_files(&missing, &mut |_| {}),
            Err(Error::Io { .. })
        ));
        for bad_fraction in [
            LmBuildJob {
                heldout: 1.0,
                ..job.clone()
            },
            LmBuildJob {
                text_heldout: -0.1,
                ..job.clone()
            },
        ] {
            assert!(matches!(
                build_from_files(&bad_fraction, &mut |_| {}),
                Err(Error::InvalidArgument { .. })
            ));
        }
        // Word pairs from the running text: stored in the compact format, refused in OpenFST.
        let pairs = WordPairsJob {
            text: vec![dir.join("text.txt")],
            min_count: 1,
            max_pairs: 1000,
        };
        let with_pairs = LmBuildJob {
            out: dir.join("lm.bin"),
            format: LmFormat::Compact,
            word_pairs: Some(pairs.clone()),
            ..job.clone()
        };
        let report = build_from_files(&with_pairs, &mut |_| {}).unwrap();
        let lm = CharLm::load(&with_pairs.out).unwrap();
        assert!(report.word_pairs > 0);
        assert_eq!(lm.word_pairs().map(WordPairs::len), Some(report.word_pairs));
        assert_eq!(
            report.bytes,
            std::fs::metadata(&with_pairs.out).unwrap().len() as usize
        );
        // A byte limit drops the least frequent pairs; an LM over it alone is refused unwritten.
        let limit = report.bytes - 52;
        let fitted = LmBuildJob {
            out: dir.join("fitted.bin"),
            max_bytes: Some(limit),
            ..with_pairs.clone()
        };
        let fitted_report = build_from_files(&fitted, &mut |_| {}).unwrap();
        assert!(fitted_report.bytes <= limit, "{}", fitted_report.bytes);
        assert_eq!(fitted_report.word_pairs, report.word_pairs - 11);
        assert_eq!(fitted_report.bytes, report.bytes - 55);
        let too_small = LmBuildJob {
            out: dir.join("too_small.bin"),
            max_bytes: Some(report.bytes - 5 * report.word_pairs - 9),
            ..with_pairs.clone()
        };
        let e = build_from_files(&too_small, &mut |_| {}).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        assert!(!too_small.out.exists());
        // Room for the LM but not one pair: the LM is written without a table.
        let bare = LmBuildJob {
            out: dir.join("bare.bin"),
            max_bytes: Some(report.bytes - 5 * report.word_pairs - 4),
            ..with_pairs.clone()
        };
        let bare_report = build_from_files(&bare, &mut |_| {}).unwrap();
        assert_eq!(bare_report.word_pairs, 0);
        assert_eq!(bare_report.bytes, report.bytes - 5 * report.word_pairs - 8);
        assert!(CharLm::load(&bare.out).unwrap().word_pairs().is_none());
        let fst_pairs = LmBuildJob {
            word_pairs: Some(pairs),
            ..job.clone()
        };
        assert!(matches!(
            build_from_files(&fst_pairs, &mut |_| {}),
            Err(Error::InvalidArgument { .. })
        ));
        let missing_text = LmBuildJob {
            text: vec![dir.join("missing.txt")],
            ..job
        };
        let e = build_from_files(&missing_text, &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("missing.txt"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_pack_and_unpack() {
        let k = (3u128 << 32) | (2 << 16) | 1;
        assert_eq!(key_len(k), 3);
        assert_eq!(drop_oldest(k), (2 << 16) | 1);
        assert_eq!(drop_oldest(1), 0);
        assert_eq!(key_len(0), 0);
        assert_eq!(mask(8), u128::MAX);
        assert!(is_held_out("x", 1.0) && !is_held_out("x", 0.0));
    }
}
