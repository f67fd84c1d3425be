//! CTC prefix beam search, optionally fused with a character LM.
//!
//! # The search
//!
//! Hypotheses are prefixes of the output text, kept in a trie so that a text reached along
//! different paths is one node (the alignments of one text are merged, as CTC requires). Each
//! node carries the probability of the ink's frames so far ending in a blank (`pb`) or in its last
//! symbol (`pnb`), the LM state after its text and the text's LM log-probability. After each frame
//! the `beam_width` best nodes by
//!
//! ```text
//! score = ln P_ctc(text) + lm_weight · ln P_lm(text | context) + insertion_bonus · symbols
//! ```
//!
//! survive (without an LM, or with `lm_weight` 0, the score is `ln P_ctc` alone, no bonus
//! either). Only symbols with `ln p ≥ symbol_threshold` in a frame, at most
//! `max_symbols_per_frame` of them, are tried; a new node whose score cannot reach the beam is
//! not created, and LM lookups happen once per node. Non-finite log-probabilities (NaN, ±∞) read
//! as impossible; when nothing is possible the result is empty.
//!
//! Uppercase letters are scored by the LM as their lowercase forms (the shipped LMs are
//! lowercase), and characters the LM does not know as its unknown symbol.
//!
//! # Pre-context and the leading space
//!
//! The text before the cursor (its last [`MAX_CONTEXT_CHARS`](super::lm::MAX_CONTEXT_CHARS)
//! characters) sets the LM state. When that text is not empty and does not end in whitespace,
//! the ink may continue its last word or start a new one: the search starts from both, the second
//! with a space the ink did not write, scored by the LM alone. A candidate's text is what to
//! insert at the cursor, so it begins with a space exactly when the LM preferred a new word
//! ("I live in new" + ink "york" gives " york"). Without an LM no space is added.
//!
//! # Scores
//!
//! [`BeamDecoder::hypotheses`] returns the terms of each score. [`Candidate::score`] (from
//! [`BeamDecoder::decode`] and [`beam_search`]) is the natural log of the candidate's share of the
//! returned list, `score_i - ln Σ_j exp(score_j)`: the `exp` of the scores sum to 1 over the list
//! and read as the decoder's confidence among its candidates. With `complete_word`, each final
//! score also includes `lm_weight · ln P_lm(space | text)`, the probability that the word ends
//! there.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::lm::{CharLm, LmState, LmSymbol, WORD_BOUNDARY};
use super::{Candidate, LogProbs};
use crate::error::{Error, Result};

/// Largest accepted `beam_width`, `nbest` and `max_symbols_per_frame`.
pub const MAX_BEAM: usize = 4096;

/// Parameters of the beam search (the `decoder.json` of a language pack).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BeamConfig {
    /// Hypotheses kept after each frame (1 to [`MAX_BEAM`]).
    pub beam_width: usize,
    /// Weight of the LM log-probability (0: no LM; finite, at least 0).
    pub lm_weight: f32,
    /// Added per output symbol when an LM is used, against the LM's per-character cost
    /// (finite).
    pub insertion_bonus: f32,
    /// Candidates returned (1 to [`MAX_BEAM`]).
    pub nbest: usize,
    /// Symbols with a smaller natural-log probability in a frame are not tried there.
    pub symbol_threshold: f32,
    /// At most this many symbols (the likeliest) are tried per frame (1 to [`MAX_BEAM`]).
    pub max_symbols_per_frame: usize,
    /// Score the end of the word after the last symbol (the LM's probability of a space).
    pub complete_word: bool,
}

impl Default for BeamConfig {
    fn default() -> Self {
        BeamConfig {
            beam_width: 12,
            lm_weight: 0.5,
            insertion_bonus: 0.5,
            nbest: 5,
            symbol_threshold: -10.0,
            max_symbols_per_frame: 24,
            complete_word: true,
        }
    }
}

impl BeamConfig {
    /// Checks the ranges documented on each field.
    pub fn validate(&self) -> Result<()> {
        let bad = |argument, m: String| Err(Error::invalid(argument, m));
        for (name, v) in [
            ("beam_width", self.beam_width),
            ("nbest", self.nbest),
            ("max_symbols_per_frame", self.max_symbols_per_frame),
        ] {
            if !(1..=MAX_BEAM).contains(&v) {
                return bad(name, format!("must be 1 to {MAX_BEAM}, not {v}"));
            }
        }
        if !(self.lm_weight.is_finite() && self.lm_weight >= 0.0) {
            return bad(
                "lm_weight",
                format!("must be finite and >= 0, not {}", self.lm_weight),
            );
        }
        if !self.insertion_bonus.is_finite() {
            return bad(
                "insertion_bonus",
                format!("must be finite, not {}", self.insertion_bonus),
            );
        }
        if self.symbol_threshold.is_nan() {
            return bad("symbol_threshold", "is NaN".into());
        }
        Ok(())
    }
}

/// One result of [`BeamDecoder::hypotheses`], with the terms of its score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hypothesis {
    /// The text to insert at the cursor (may begin with a space the LM predicted).
    pub text: String,
    /// `ln P_ctc`: the log-probability of the ink's symbols, summed over their alignments.
    pub ctc: f32,
    /// `ln P_lm` of the text after the context (with the word's end under `complete_word`);
    /// 0 without an LM.
    pub lm: f32,
    /// Symbols read from the ink.
    pub symbols: usize,
    /// `ctc + lm_weight · lm + insertion_bonus · symbols` (higher is better); `ctc` alone
    /// without an LM.
    pub score: f32,
}

/// A beam search prepared for one alphabet and LM; reuse it for every ink.
///
/// `Send + Sync`; decoding takes `&self`.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use inkjot::decode::{BeamConfig, BeamDecoder, CharLm, LmBuildConfig, LogProbs, NgramCounter};
/// let lm_config = LmBuildConfig { order: 4, ..LmBuildConfig::default() };
/// let mut counter = NgramCounter::new(&lm_config)?;
/// counter.add_text("i live in new york", 50.0);
/// counter.add_word("yolk", 5.0);
/// let lm = Arc::new(CharLm::from_fst(&counter.build(&lm_config)?.fst)?);
///
/// let alphabet: Vec<String> =
///     ["", "y", "o", "r", "l", "k"].iter().map(|s| s.to_string()).collect();
/// // Five frames: y, o, then "r" or "l" (the ink is unsure), k, blank.
/// let p = |v: [f32; 6]| v.map(f32::ln);
/// let rows = [
///     p([0.05, 0.9, 0.01, 0.01, 0.02, 0.01]),
///     p([0.05, 0.01, 0.9, 0.01, 0.02, 0.01]),
///     p([0.05, 0.01, 0.01, 0.45, 0.47, 0.01]),
///     p([0.05, 0.01, 0.01, 0.01, 0.02, 0.9]),
///     p([0.9, 0.02, 0.02, 0.02, 0.02, 0.02]),
/// ];
/// let logprobs = LogProbs::new(rows.concat(), 6).unwrap();
/// let decoder = BeamDecoder::new(&alphabet, Some(lm), BeamConfig::default())?;
/// let candidates = decoder.decode(&logprobs, "I live in new")?;
/// assert_eq!(candidates[0].text, " york");
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BeamDecoder {
    alphabet: Alphabet,
    lm: Option<Arc<CharLm>>,
    config: BeamConfig,
}

impl BeamDecoder {
    /// Prepares the search for `alphabet` (index 0 the blank, others non-empty) with an optional
    /// LM. Fails on an invalid `config` or alphabet.
    pub fn new(alphabet: &[String], lm: Option<Arc<CharLm>>, config: BeamConfig) -> Result<Self> {
        config.validate()?;
        Ok(BeamDecoder {
            alphabet: Alphabet::new(alphabet, lm.as_deref())?,
            lm,
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &BeamConfig {
        &self.config
    }

    /// The LM, if any.
    pub fn lm(&self) -> Option<&Arc<CharLm>> {
        self.lm.as_ref()
    }

    /// The `nbest` best candidates, best first, each scored by its log share of the list (see the
    /// module docs). `context` is the text before the cursor (may be empty).
    pub fn decode(&self, logprobs: &LogProbs, context: &str) -> Result<Vec<Candidate>> {
        self.decode_top(logprobs, context, self.config.nbest)
    }

    /// [`decode`](Self::decode) returning at most `nbest` candidates instead of the configured
    /// number (fewer when the beam is narrower; `nbest` must be at least 1).
    pub fn decode_top(
        &self,
        logprobs: &LogProbs,
        context: &str,
        nbest: usize,
    ) -> Result<Vec<Candidate>> {
        if nbest == 0 {
            return Err(Error::invalid("nbest", "must be at least 1"));
        }
        let mut hypotheses = search(
            &self.alphabet,
            self.lm.as_deref(),
            &self.config,
            logprobs,
            context,
        )?;
        hypotheses.truncate(nbest);
        Ok(to_candidates(hypotheses))
    }

    /// The `nbest` best hypotheses with the terms of their scores, best first.
    pub fn hypotheses(&self, logprobs: &LogProbs, context: &str) -> Result<Vec<Hypothesis>> {
        let mut hypotheses = search(
            &self.alphabet,
            self.lm.as_deref(),
            &self.config,
            logprobs,
            context,
        )?;
        hypotheses.truncate(self.config.nbest);
        Ok(hypotheses)
    }
}

/// One-off beam search: [`BeamDecoder::decode`] without keeping the prepared decoder (which
/// maps the alphabet to the LM's symbols, a few microseconds per call).
///
/// # Example
/// ```
/// use inkjot::decode::{BeamConfig, LogProbs, beam_search, greedy};
/// let alphabet: Vec<String> = ["", "a"].iter().map(|s| s.to_string()).collect();
/// // Best path: blank, blank ("" at 0.36), but "a" has more paths (0.64 in total).
/// let m = LogProbs::new([0.6f32, 0.4, 0.6, 0.4].map(f32::ln).to_vec(), 2).unwrap();
/// assert_eq!(greedy(&m, &alphabet).text, "");
/// let best = &beam_search(&m, &alphabet, None, "", &BeamConfig::default())?[0];
/// assert_eq!(best.text, "a");
/// assert!((best.score.exp() - 0.64).abs() < 1e-5); // its share of {"a": 0.64, "": 0.36}
/// # Ok::<(), inkjot::Error>(())
/// ```
pub fn beam_search(
    logprobs: &LogProbs,
    alphabet: &[String],
    lm: Option<&CharLm>,
    context: &str,
    config: &BeamConfig,
) -> Result<Vec<Candidate>> {
    config.validate()?;
    let alphabet = Alphabet::new(alphabet, lm)?;
    let mut hypotheses = search(&alphabet, lm, config, logprobs, context)?;
    hypotheses.truncate(config.nbest);
    Ok(to_candidates(hypotheses))
}

fn to_candidates(hypotheses: Vec<Hypothesis>) -> Vec<Candidate> {
    // Shares are taken relative to the best score: a log-sum-exp of large raw scores (an LM with
    // negative costs can give 1e30) rounds to the score itself in f32, and every share became 1.
    // An infinite best score (inf - inf) counts as a tie with it.
    let best = hypotheses
        .iter()
        .fold(f32::NEG_INFINITY, |acc, h| acc.max(h.score));
    let relative = |score: f32| {
        let d = score - best;
        if d.is_nan() { 0.0 } else { d }
    };
    let norm = hypotheses
        .iter()
        .fold(f32::NEG_INFINITY, |acc, h| log_add(acc, relative(h.score)));
    hypotheses
        .into_iter()
        .map(|h| Candidate::new(h.text, relative(h.score) - norm))
        .collect()
}

/// The alphabet with each symbol's LM symbols.
#[derive(Debug, Clone)]
struct Alphabet {
    symbols: Vec<String>,
    /// LM symbols of symbol `i`: `lm_symbols[lm_first[i]..lm_first[i + 1]]`.
    lm_first: Vec<u32>,
    lm_symbols: Vec<LmSymbol>,
    /// Whether the symbol ends in whitespace (then the word is already complete).
    ends_word: Vec<bool>,
    space: Option<LmSymbol>,
}

impl Alphabet {
    fn new(alphabet: &[String], lm: Option<&CharLm>) -> Result<Self> {
        if alphabet.len() < 2 || !alphabet[0].is_empty() {
            return Err(Error::invalid(
                "alphabet",
                "needs the blank \"\" at index 0 and at least one symbol",
            ));
        }
        if let Some(i) = alphabet.iter().skip(1).position(String::is_empty) {
            return Err(Error::invalid(
                "alphabet",
                format!("entry {} is empty", i + 1),
            ));
        }
        let mut lm_first = vec![0u32];
        let mut lm_symbols = Vec::new();
        for s in alphabet {
            if let Some(lm) = lm {
                lm_symbols.extend(s.chars().filter_map(|c| lm.symbol(c)));
            }
            lm_first.push(lm_symbols.len() as u32);
        }
        Ok(Alphabet {
            symbols: alphabet.to_vec(),
            lm_first,
            lm_symbols,
            ends_word: alphabet
                .iter()
                .map(|s| s.ends_with(char::is_whitespace))
                .collect(),
            space: lm.and_then(|lm| lm.symbol(WORD_BOUNDARY)),
        })
    }

    fn lm_symbols(&self, symbol: u32) -> &[LmSymbol] {
        let i = symbol as usize;
        &self.lm_symbols[self.lm_first[i] as usize..self.lm_first[i + 1] as usize]
    }
}

const NO_NODE: u32 = u32::MAX;
/// `Node::symbol` of a root: the empty text, or the LM-predicted leading space.
const ROOT: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Node {
    parent: u32,
    /// Alphabet index of the last symbol; [`ROOT`] for a root.
    symbol: u32,
    lm_state: LmState,
    /// `ln P_lm` of the node's text after the context.
    lm: f32,
    /// Symbols from the ink.
    len: u32,
    /// Accumulators for the frame being read; valid when `stamp` is the frame's.
    stamp: u32,
    pb: f32,
    pnb: f32,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    node: u32,
    pb: f32,
    pnb: f32,
}

/// Hashes the packed `(parent, symbol)` keys of [`Trie::children`] (a multiplicative hash; the
/// keys are not attacker-chosen beyond the alphabet size).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

struct Trie<'a> {
    nodes: Vec<Node>,
    /// `(parent << 32 | symbol) → child`.
    children: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    alphabet: &'a Alphabet,
    lm: Option<&'a CharLm>,
    /// Nodes with accumulated mass this frame.
    touched: Vec<u32>,
    stamp: u32,
}

impl Trie<'_> {
    fn root(&mut self, lm_state: LmState, lm: f32) -> u32 {
        self.nodes.push(Node {
            parent: NO_NODE,
            symbol: ROOT,
            lm_state,
            lm,
            len: 0,
            stamp: 0,
            pb: f32::NEG_INFINITY,
            pnb: f32::NEG_INFINITY,
        });
        (self.nodes.len() - 1) as u32
    }

    fn find_child(&self, parent: u32, symbol: u32) -> Option<u32> {
        self.children
            .get(&((parent as u64) << 32 | symbol as u64))
            .copied()
    }

    fn new_child(&mut self, parent: u32, symbol: u32) -> u32 {
        let p = self.nodes[parent as usize];
        let (mut lm, mut lm_state) = (p.lm, p.lm_state);
        if let Some(model) = self.lm {
            for &s in self.alphabet.lm_symbols(symbol) {
                let (lp, next) = model.advance(lm_state, s);
                lm += lp;
                lm_state = next;
            }
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            parent,
            symbol,
            lm_state,
            lm,
            len: p.len + 1,
            stamp: 0,
            pb: f32::NEG_INFINITY,
            pnb: f32::NEG_INFINITY,
        });
        self.children
            .insert((parent as u64) << 32 | symbol as u64, id);
        id
    }

    fn add(&mut self, node: u32, pb: f32, pnb: f32) {
        let n = &mut self.nodes[node as usize];
        if n.stamp != self.stamp {
            n.stamp = self.stamp;
            n.pb = f32::NEG_INFINITY;
            n.pnb = f32::NEG_INFINITY;
            self.touched.push(node);
        }
        n.pb = log_add(n.pb, pb);
        n.pnb = log_add(n.pnb, pnb);
    }

    fn text(&self, mut node: u32, leading_space: bool) -> String {
        let mut symbols = Vec::new();
        while self.nodes[node as usize].parent != NO_NODE {
            symbols.push(self.nodes[node as usize].symbol);
            node = self.nodes[node as usize].parent;
        }
        let mut text = String::from(if leading_space { " " } else { "" });
        for &s in symbols.iter().rev() {
            text.push_str(&self.alphabet.symbols[s as usize]);
        }
        text
    }
}

fn search(
    alphabet: &Alphabet,
    lm: Option<&CharLm>,
    config: &BeamConfig,
    logprobs: &LogProbs,
    context: &str,
) -> Result<Vec<Hypothesis>> {
    if logprobs.symbols() != alphabet.symbols.len() {
        return Err(Error::invalid(
            "logprobs",
            format!(
                "{} columns for an alphabet of {}",
                logprobs.symbols(),
                alphabet.symbols.len()
            ),
        ));
    }
    let lm = lm.filter(|_| config.lm_weight > 0.0);
    let bonus = if lm.is_some() {
        config.insertion_bonus
    } else {
        0.0
    };
    let mut trie = Trie {
        nodes: Vec::with_capacity(256),
        children: HashMap::with_capacity_and_hasher(
            4 * config.beam_width * config.max_symbols_per_frame.min(alphabet.symbols.len()),
            BuildHasherDefault::default(),
        ),
        alphabet,
        lm,
        touched: Vec::new(),
        stamp: 0,
    };
    let mut beam = Vec::with_capacity(config.beam_width * 2);
    let mut spaced_root = NO_NODE;
    match lm {
        Some(model) => {
            let state = model.state_after(context);
            let root = trie.root(state, 0.0);
            beam.push(Entry {
                node: root,
                pb: 0.0,
                pnb: f32::NEG_INFINITY,
            });
            let mid_word = context
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_whitespace());
            if let (true, Some(space)) = (mid_word, alphabet.space) {
                let (lp, next) = model.advance(state, space);
                spaced_root = trie.root(next, lp);
                beam.push(Entry {
                    node: spaced_root,
                    pb: 0.0,
                    pnb: f32::NEG_INFINITY,
                });
            }
        }
        None => {
            let root = trie.root(LmState(0), 0.0);
            beam.push(Entry {
                node: root,
                pb: 0.0,
                pnb: f32::NEG_INFINITY,
            });
        }
    }

    let score = |n: &Node, p: f32| p + config.lm_weight * n.lm + bonus * n.len as f32;
    let mut candidates: Vec<(u32, f32)> = Vec::new();
    let mut ranked: Vec<(f32, u32)> = Vec::new();
    for t in 0..logprobs.frames() {
        let row = logprobs.row(t);
        candidates.clear();
        for (s, &lp) in row.iter().enumerate().skip(1) {
            if lp >= config.symbol_threshold && lp.is_finite() {
                candidates.push((s as u32, lp));
            }
        }
        if candidates.len() > config.max_symbols_per_frame {
            candidates.select_nth_unstable_by(config.max_symbols_per_frame - 1, |a, b| {
                b.1.total_cmp(&a.1)
            });
            candidates.truncate(config.max_symbols_per_frame);
        }
        let blank = if row[0].is_finite() {
            row[0]
        } else {
            f32::NEG_INFINITY
        };
        // Every node of a full beam keeps at least its blank mass, so the beam_width-th best
        // score after this frame is at least the worst of those: a new node whose score cannot
        // reach it (its LM term can only fall) is not created. The result is the same as without
        // this bound.
        let floor = if beam.len() >= config.beam_width && blank > f32::NEG_INFINITY {
            beam.iter()
                .map(|e| score(&trie.nodes[e.node as usize], log_add(e.pb, e.pnb) + blank))
                .fold(f32::INFINITY, f32::min)
        } else {
            f32::NEG_INFINITY
        };
        trie.stamp += 1;
        trie.touched.clear();
        for e in &beam {
            let total = log_add(e.pb, e.pnb);
            if blank > f32::NEG_INFINITY {
                trie.add(e.node, total + blank, f32::NEG_INFINITY);
            }
            let node = trie.nodes[e.node as usize];
            let bound = config.lm_weight * node.lm + bonus * (node.len + 1) as f32;
            for &(s, lp) in &candidates {
                let mass = if s == node.symbol {
                    trie.add(e.node, f32::NEG_INFINITY, e.pnb + lp);
                    e.pb + lp
                } else {
                    total + lp
                };
                let child = match trie.find_child(e.node, s) {
                    Some(child) => child,
                    None if mass + bound < floor => continue,
                    None => trie.new_child(e.node, s),
                };
                trie.add(child, f32::NEG_INFINITY, mass);
            }
        }
        ranked.clear();
        for &id in &trie.touched {
            let n = &trie.nodes[id as usize];
            let s = score(n, log_add(n.pb, n.pnb));
            if s > f32::NEG_INFINITY {
                ranked.push((s, id));
            }
        }
        if ranked.len() > config.beam_width {
            ranked.select_nth_unstable_by(config.beam_width - 1, |a, b| b.0.total_cmp(&a.0));
            ranked.truncate(config.beam_width);
        }
        beam.clear();
        beam.extend(ranked.iter().map(|&(_, id)| {
            let n = &trie.nodes[id as usize];
            Entry {
                node: id,
                pb: n.pb,
                pnb: n.pnb,
            }
        }));
    }

    let mut out: Vec<Hypothesis> = Vec::with_capacity(beam.len());
    for e in &beam {
        let n = trie.nodes[e.node as usize];
        let ctc = log_add(e.pb, e.pnb);
        let mut lm_total = n.lm;
        let ended = if n.parent == NO_NODE {
            e.node == spaced_root
        } else {
            alphabet.ends_word[n.symbol as usize]
        };
        if let (Some(model), Some(space), true, false) =
            (lm, alphabet.space, config.complete_word, ended)
        {
            lm_total += model.advance(n.lm_state, space).0;
        }
        let mut root = e.node;
        while trie.nodes[root as usize].parent != NO_NODE {
            root = trie.nodes[root as usize].parent;
        }
        // A space written at the end of the ink adds nothing to insert: keyboards add their own.
        // Dropping it also merges "word" and "word " into one candidate below.
        let mut text = trie.text(e.node, root == spaced_root);
        text.truncate(text.trim_end().len());
        let h = Hypothesis {
            text,
            ctc,
            lm: if lm.is_some() { lm_total } else { 0.0 },
            symbols: n.len as usize,
            score: ctc
                + config.lm_weight * if lm.is_some() { lm_total } else { 0.0 }
                + bonus * n.len as f32,
        };
        match out.iter_mut().find(|o| o.text == h.text) {
            // A predicted space and an ink space, or a trailing space, can spell the same text twice.
            Some(o) => {
                let merged = log_add(o.score, h.score);
                if h.score > o.score {
                    *o = h;
                }
                o.score = merged;
            }
            None => out.push(h),
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.text.cmp(&b.text))
    });
    Ok(out)
}

/// `ln(e^a + e^b)`, exact for infinities.
#[inline]
fn log_add(a: f32, b: f32) -> f32 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f32::NEG_INFINITY || lo.is_nan() {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::greedy;
    use crate::decode::lm_build::{LmBuildConfig, NgramCounter};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn alphabet(symbols: &[&str]) -> Vec<String> {
        std::iter::once("")
            .chain(symbols.iter().copied())
            .map(String::from)
            .collect()
    }

    fn matrix(rows: &[&[f32]]) -> LogProbs {
        let symbols = rows[0].len();
        LogProbs::new(
            rows.iter().flat_map(|r| r.iter().map(|p| p.ln())).collect(),
            symbols,
        )
        .unwrap()
    }

    fn no_lm() -> BeamConfig {
        BeamConfig {
            lm_weight: 0.0,
            insertion_bonus: 0.0,
            symbol_threshold: f32::NEG_INFINITY,
            ..BeamConfig::default()
        }
    }

    fn exhaustive() -> BeamConfig {
        BeamConfig {
            beam_width: MAX_BEAM,
            nbest: MAX_BEAM,
            max_symbols_per_frame: MAX_BEAM,
            ..no_lm()
        }
    }

    /// P(text) for every text, by enumerating every path.
    fn brute_force(m: &LogProbs, alphabet: &[String]) -> HashMap<String, f64> {
        let (t, v) = (m.frames(), m.symbols());
        let mut out = HashMap::new();
        for mut code in 0..v.pow(t as u32) {
            let (mut text, mut lp, mut prev) = (String::new(), 0.0f64, 0usize);
            for f in 0..t {
                let s = code % v;
                code /= v;
                lp += m.row(f)[s] as f64;
                if s != 0 && s != prev {
                    text.push_str(&alphabet[s]);
                }
                prev = s;
            }
            *out.entry(text).or_insert(0.0) += lp.exp();
        }
        out
    }

    #[test]
    fn finds_the_text_with_the_most_paths() {
        // Best path is "-" "-" (0.36) but "a" totals 0.64 over its three paths.
        let a = alphabet(&["a"]);
        let m = matrix(&[&[0.6, 0.4], &[0.6, 0.4]]);
        assert_eq!(greedy(&m, &a).text, "");
        let h = BeamDecoder::new(&a, None, no_lm())
            .unwrap()
            .hypotheses(&m, "")
            .unwrap();
        assert_eq!(h[0].text, "a");
        assert!((h[0].ctc.exp() - 0.64).abs() < 1e-6);
        assert_eq!(h[1].text, "");
        assert!((h[1].ctc.exp() - 0.36).abs() < 1e-6);
    }

    #[test]
    fn repeats_need_a_blank_between() {
        // a a - a b: "aab" (a, a merged; blank; a again; b).
        let a = alphabet(&["a", "b"]);
        let m = matrix(&[
            &[0.01, 0.98, 0.01],
            &[0.01, 0.98, 0.01],
            &[0.98, 0.01, 0.01],
            &[0.01, 0.98, 0.01],
            &[0.01, 0.01, 0.98],
        ]);
        let c = beam_search(&m, &a, None, "", &no_lm()).unwrap();
        assert_eq!(c[0].text, "aab");
        assert_eq!(c[0].text, greedy(&m, &a).text);
        // Scores are log shares of the list: best first, summing to 1.
        let total: f32 = c.iter().map(|c| c.score.exp()).sum();
        assert!((total - 1.0).abs() < 1e-5, "{total}");
        assert!(c.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn a_shared_prefix_merges() {
        // Many alignments of "ab" (a at frames 0-2, b at 1-3, blanks anywhere) and of "aab",
        // "abb"...: every text appears once, with the sum of its paths.
        let a = alphabet(&["a", "b"]);
        let m = matrix(&[
            &[0.2, 0.7, 0.1],
            &[0.3, 0.4, 0.3],
            &[0.3, 0.3, 0.4],
            &[0.2, 0.1, 0.7],
        ]);
        let exact = brute_force(&m, &a);
        let h = BeamDecoder::new(&a, None, exhaustive())
            .unwrap()
            .hypotheses(&m, "")
            .unwrap();
        let mut seen = std::collections::HashSet::new();
        for x in &h {
            assert!(seen.insert(x.text.clone()), "{} twice", x.text);
            assert!(
                (x.ctc.exp() as f64 - exact[&x.text]).abs() < 1e-5,
                "{}",
                x.text
            );
        }
        assert_eq!(h.len(), exact.len());
        assert_eq!(h[0].text, "ab");
    }

    #[test]
    fn narrow_beams_keep_the_best_on_peaky_input() {
        let a = alphabet(&["c", "a", "t"]);
        let m = matrix(&[
            &[0.05, 0.9, 0.03, 0.02],
            &[0.9, 0.05, 0.03, 0.02],
            &[0.05, 0.03, 0.9, 0.02],
            &[0.05, 0.03, 0.02, 0.9],
            &[0.05, 0.03, 0.02, 0.9],
        ]);
        for width in [1, 2, 8] {
            let config = BeamConfig {
                beam_width: width,
                ..no_lm()
            };
            assert_eq!(
                beam_search(&m, &a, None, "", &config).unwrap()[0].text,
                "cat"
            );
        }
    }

    fn lm(order: usize) -> Arc<CharLm> {
        let config = LmBuildConfig {
            order,
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        for (w, c) in [
            ("new", 800.0),
            ("york", 100.0),
            ("yolk", 60.0),
            ("i", 3000.0),
            ("live", 200.0),
            ("in", 5000.0),
            ("running", 80.0),
            ("run", 300.0),
            ("ring", 60.0),
        ] {
            counter.add_word(w, c);
        }
        counter.add_text("i live in new york", 30.0);
        Arc::new(CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap())
    }

    /// Frames spelling `text`, each character at `p`, the rest spread; `confusable` lists
    /// (frame, symbol, p) overrides.
    fn spell(
        alphabet: &[String],
        text: &str,
        p: f32,
        confusable: &[(usize, &str, f32)],
    ) -> LogProbs {
        let v = alphabet.len();
        let mut rows = Vec::new();
        for (f, c) in text.chars().enumerate() {
            let mut row = vec![(1.0 - p) / (v - 1) as f32; v];
            let i = alphabet.iter().position(|s| s == &c.to_string()).unwrap();
            row[i] = p;
            for &(at, s, q) in confusable {
                if at == f {
                    let j = alphabet.iter().position(|x| x == s).unwrap();
                    row[j] = q;
                }
            }
            rows.extend(row.iter().map(|x| x.ln()));
            let mut blank = vec![0.02 / (v - 1) as f32; v];
            blank[0] = 0.98;
            rows.extend(blank.iter().map(|x| x.ln()));
        }
        LogProbs::new(rows, v).unwrap()
    }

    #[test]
    fn context_picks_the_word_and_the_leading_space() {
        let a = alphabet(&["y", "o", "r", "l", "k", "n", "e", "w", " ", "i", "g", "u"]);
        let lm = lm(5);
        // The ink is unsure between "york" and "yolk" (l ahead).
        let m = spell(&a, "yolk", 0.7, &[(2, "r", 0.15)]);
        let decoder = BeamDecoder::new(&a, Some(lm.clone()), BeamConfig::default()).unwrap();
        assert_eq!(
            decoder.decode(&m, "").unwrap()[0].text,
            "yolk",
            "no context: the ink wins"
        );
        let c = decoder.decode(&m, "I live in new").unwrap();
        assert_eq!(c[0].text, " york", "{c:?}");
        let c = decoder.decode(&m, "I live in new ").unwrap();
        assert_eq!(c[0].text, "york", "{c:?}");
        // Mid-word: "runn" + "ing" continues the word, no space.
        let m = spell(&a, "ing", 0.8, &[]);
        let c = decoder.decode(&m, "runn").unwrap();
        assert_eq!(c[0].text, "ing", "{c:?}");
        // Without an LM, no space is ever added.
        let plain = BeamDecoder::new(&a, None, BeamConfig::default()).unwrap();
        assert_eq!(plain.decode(&m, "runn").unwrap()[0].text, "ing");
        assert_eq!(
            plain.decode(&spell(&a, "york", 0.9, &[]), "new").unwrap()[0].text,
            "york"
        );
    }

    #[test]
    fn hypotheses_report_their_terms() {
        let a = alphabet(&["y", "o", "r", "k", " "]);
        let lm = lm(4);
        let config = BeamConfig {
            lm_weight: 0.7,
            insertion_bonus: 0.3,
            ..BeamConfig::default()
        };
        let decoder = BeamDecoder::new(&a, Some(lm.clone()), config.clone()).unwrap();
        let m = spell(&a, "york", 0.9, &[]);
        for h in decoder.hypotheses(&m, "new ").unwrap() {
            // Hypotheses spelling the same text are merged: the score adds their probabilities,
            // so it is at least the kept hypothesis' own terms.
            let expected = h.ctc + 0.7 * h.lm + 0.3 * h.symbols as f32;
            assert!(h.score >= expected - 1e-4, "{h:?}");
            assert!(!h.text.ends_with(' '), "trailing spaces are dropped: {h:?}");
            let state = lm.state_after("new ");
            let (lp, end) = lm.log_prob(state, &h.text);
            let lp = lp
                + if h.text.ends_with(' ') {
                    0.0
                } else {
                    lm.advance_char(end, ' ').0
                };
            assert!((h.lm - lp).abs() < 1e-4, "{h:?}: lm {} vs {lp}", h.lm);
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        let a = alphabet(&["a", "b"]);
        let m = matrix(&[&[0.5, 0.25, 0.25]]);
        for bad in [
            BeamConfig {
                beam_width: 0,
                ..BeamConfig::default()
            },
            BeamConfig {
                nbest: 0,
                ..BeamConfig::default()
            },
            BeamConfig {
                lm_weight: f32::NAN,
                ..BeamConfig::default()
            },
            BeamConfig {
                lm_weight: -1.0,
                ..BeamConfig::default()
            },
            BeamConfig {
                insertion_bonus: f32::INFINITY,
                ..BeamConfig::default()
            },
            BeamConfig {
                symbol_threshold: f32::NAN,
                ..BeamConfig::default()
            },
        ] {
            assert!(matches!(
                beam_search(&m, &a, None, "", &bad),
                Err(Error::InvalidArgument { .. })
            ));
        }
        let short = alphabet(&["a"]);
        assert!(matches!(
            beam_search(&m, &short, None, "", &no_lm()),
            Err(Error::InvalidArgument { .. })
        ));
        let no_blank: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert!(BeamDecoder::new(&no_blank, None, no_lm()).is_err());
        let empty_entry = alphabet(&["a", ""]);
        assert!(BeamDecoder::new(&empty_entry, None, no_lm()).is_err());
    }

    #[test]
    fn degenerate_inputs() {
        let a = alphabet(&["a", "b"]);
        // No frames: the empty text.
        let empty = LogProbs::new(vec![], 3).unwrap();
        assert_eq!(
            beam_search(&empty, &a, None, "", &no_lm()).unwrap()[0].text,
            ""
        );
        // NaN and infinities read as impossible; nothing possible gives no candidate.
        let nan = LogProbs::new(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY], 3).unwrap();
        assert!(
            beam_search(&nan, &a, None, "", &no_lm())
                .unwrap()
                .is_empty()
        );
        let lm = lm(3);
        let d = BeamDecoder::new(&a, Some(lm), BeamConfig::default()).unwrap();
        assert!(d.decode(&nan, "xyz").unwrap().is_empty());
        assert!(!d.decode(&empty, "new").unwrap().is_empty());
    }

    fn row_strategy(symbols: usize) -> impl Strategy<Value = Vec<f32>> {
        proptest::collection::vec(0.01f32..1.0, symbols).prop_map(|r| {
            let total: f32 = r.iter().sum();
            r.iter().map(|x| (x / total).ln()).collect()
        })
    }

    proptest! {
        #[test]
        fn matches_brute_force_without_lm(
            rows in (1usize..=6).prop_flat_map(|t| proptest::collection::vec(row_strategy(3), t)),
        ) {
            let a = alphabet(&["a", "b"]);
            let m = LogProbs::new(rows.concat(), 3).unwrap();
            let exact = brute_force(&m, &a);
            let h = BeamDecoder::new(&a, None, exhaustive()).unwrap().hypotheses(&m, "").unwrap();
            prop_assert_eq!(h.len(), exact.len());
            for x in &h {
                let expected = exact[&x.text].ln();
                prop_assert!((x.ctc as f64 - expected).abs() < 1e-3, "{}: {}", x.text, x.ctc);
            }
            let best = exact.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
            prop_assert!((h[0].ctc as f64 - best.1.ln()).abs() < 1e-4);
        }

        #[test]
        fn lm_and_context_never_break_the_search(
            rows in (0usize..=12).prop_flat_map(|t| proptest::collection::vec(row_strategy(6), t)),
            context in "[a-z ]{0,25}",
            width in 1usize..6,
            lm_weight in 0.0f32..2.0,
            bonus in -2.0f32..2.0,
        ) {
            let a = alphabet(&["n", "e", "w", " ", "Y"]);
            let m = LogProbs::new(rows.concat(), 6).unwrap();
            let config = BeamConfig {
                beam_width: width,
                lm_weight,
                insertion_bonus: bonus,
                ..BeamConfig::default()
            };
            let d = BeamDecoder::new(&a, Some(lm(4)), config).unwrap();
            let h = d.hypotheses(&m, &context).unwrap();
            prop_assert!(!h.is_empty());
            prop_assert!(h.windows(2).all(|w| w[0].score >= w[1].score));
            prop_assert!(h.iter().all(|x| x.score.is_finite()));
        }
    }
}
