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
//! either). Refinements, each a [`BeamConfig`] field: each symbol's LM, bonus and case terms are
//! scaled by the confidence of the frame it was read in (`confident_prob`); characters the LM
//! does not know end its word (`unknown_log_prob`), and a space next to one is priced on its own
//! (`space_after_unknown_log_prob`, `space_before_unknown_log_prob`: "9% high", not "9%high"
//! or "canal ."); a single symbol without pre-context is not
//! scored as a word (`lone_symbol_log_prob`); with a lowercase LM, mixed case and a capital first
//! letter cost `case_penalty` and `capital_penalty`; user words ([`UserWords`]) earn credit; the
//! best-path (greedy) text is never pruned; and `max_ctc_loss` keeps the LM from picking a text
//! the ink supports much less than the best one. Only symbols with `ln p ≥ symbol_threshold` in a frame, at most
//! `max_symbols_per_frame` of them, are tried; a new node whose score cannot reach the beam is
//! not created, and LM lookups happen once per node. Non-finite log-probabilities (NaN, ±∞) read
//! as impossible; when nothing is possible the result is empty.
//!
//! Each character is scored by the LM as itself when the LM has it (the shipped LMs are cased),
//! else as its lowercase form (older, lowercase packs), else as the unknown symbol.
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

use super::case::Case;
use super::lm::{CharLm, LmState, LmSymbol, WORD_BOUNDARY};
use super::user_words::{OUTSIDE, UserWords};
use super::word_pairs::{WordPairs, WordTracker};
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
    /// How sure the network must be before the LM steps back (0 to 1; 1: never). A symbol
    /// read in a frame whose likeliest output has probability `p` gets its LM, bonus and case
    /// terms scaled by `min(1, (1 - p) / (1 - confident_prob))`: a confident network is not
    /// overruled, an unsure one is helped.
    pub confident_prob: f32,
    /// `ln P` given to a character the LM does not know (digits, punctuation in a word-list LM),
    /// which then also ends the LM's word (scored with the LM's space before it) so that "word."
    /// reads as the word and a mark. `None`: the LM's own unknown probability, no word end.
    /// At most 0.
    pub unknown_log_prob: Option<f32>,
    /// With a lowercase LM, charged per letter that switches case inside a word against lower
    /// case, a capital first letter or ALL CAPS ("hELLO", "tHE"); at least 0. Not used with an
    /// LM that has capitals of its own.
    pub case_penalty: f32,
    /// With a lowercase LM, charged per word of two or more letters that starts with a capital
    /// (a prior for lower case where the ink cannot tell "c" from "C"); at least 0.
    pub capital_penalty: f32,
    /// The LM may pick only among candidates whose `ln P_ctc` is within this many nats of the
    /// best one's; the others are ranked after them (`None`: no limit; at least 0).
    pub max_ctc_loss: Option<f32>,
    /// Per character of a prefix of a user word (see [`UserWords`]), taken back when the word
    /// leaves the list (finite, at least 0).
    pub user_prefix_bonus: f32,
    /// Per completed user word (finite, at least 0).
    pub user_word_bonus: f32,
    /// `ln P` the LM gives a text of a single symbol read without pre-context, in place of the
    /// LM's own (which scores it as a one-letter word, then its end): an isolated character or
    /// symbol is not a word. `None`: the LM's own. At most 0.
    pub lone_symbol_log_prob: Option<f32>,
    /// `ln P` of a space written right after a character the LM does not know (with
    /// `unknown_log_prob`): that character already ended the LM's word, so the space ("9% high",
    /// "Hi, you", "2 8 4") costs this, not the LM's price of a space at a word start (a text
    /// the LM never saw). `None`: the LM's own. At most 0.
    pub space_after_unknown_log_prob: Option<f32>,
    /// Added to `ln P` of a character the LM does not know when a space comes right before it
    /// ("canal ." against "canal."): the LM's word end is paid either way, so without it the
    /// space would only earn the insertion bonus. `None`: nothing added. At most 0.
    pub space_before_unknown_log_prob: Option<f32>,
    /// Weight of the LM's word-pair table ([`WordPairs`]): each word that ends after another
    /// (in the text or the pre-context) adds this × the pair's PMI, scaled by the confidence
    /// gate like the LM (0: not used; finite, at least 0).
    pub word_pair_weight: f32,
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
            confident_prob: 1.0,
            unknown_log_prob: None,
            case_penalty: 0.0,
            capital_penalty: 0.0,
            max_ctc_loss: None,
            user_prefix_bonus: 1.0,
            user_word_bonus: 3.0,
            lone_symbol_log_prob: None,
            space_after_unknown_log_prob: None,
            space_before_unknown_log_prob: None,
            word_pair_weight: 0.0,
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
        if !(0.0..=1.0).contains(&self.confident_prob) {
            return bad(
                "confident_prob",
                format!("must be 0 to 1, not {}", self.confident_prob),
            );
        }
        for (name, v) in [
            ("unknown_log_prob", self.unknown_log_prob),
            ("lone_symbol_log_prob", self.lone_symbol_log_prob),
            (
                "space_after_unknown_log_prob",
                self.space_after_unknown_log_prob,
            ),
            (
                "space_before_unknown_log_prob",
                self.space_before_unknown_log_prob,
            ),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v <= 0.0) {
                    return bad(name, format!("must be finite and <= 0, not {v}"));
                }
            }
        }
        for (name, v) in [
            ("case_penalty", self.case_penalty),
            ("capital_penalty", self.capital_penalty),
            ("user_prefix_bonus", self.user_prefix_bonus),
            ("user_word_bonus", self.user_word_bonus),
            ("word_pair_weight", self.word_pair_weight),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, format!("must be finite and >= 0, not {v}"));
            }
        }
        if let Some(m) = self.max_ctc_loss {
            if m.is_nan() || m < 0.0 {
                return bad("max_ctc_loss", format!("must be >= 0, not {m}"));
            }
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
    /// `ctc + lm_weight · lm + insertion_bonus · symbols` (higher is better) with the
    /// refinements of the module docs (gates, case, user words); `ctc` alone without an LM.
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
        self.decode_with(logprobs, context, nbest, None)
    }

    /// [`decode_top`](Self::decode_top) favouring the words of `user_words` (see
    /// [`UserWords`]).
    pub fn decode_with(
        &self,
        logprobs: &LogProbs,
        context: &str,
        nbest: usize,
        user_words: Option<&UserWords>,
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
            user_words,
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
            None,
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
    let mut hypotheses = search(&alphabet, lm, config, logprobs, context, None)?;
    hypotheses.truncate(config.nbest);
    Ok(to_candidates(hypotheses))
}

fn to_candidates(mut hypotheses: Vec<Hypothesis>) -> Vec<Candidate> {
    // A hypothesis of score -inf (an LM file can make a path impossible) has no share of the
    // list: it is left out, unless every hypothesis is one (then they tie).
    if hypotheses.iter().any(|h| h.score > f32::NEG_INFINITY) {
        hypotheses.retain(|h| h.score > f32::NEG_INFINITY);
    }
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

/// The alphabet with each symbol's characters as the LM reads them.
#[derive(Debug, Clone)]
struct Alphabet {
    symbols: Vec<String>,
    /// Characters of symbol `i`: `chars[first[i]..first[i + 1]]`.
    first: Vec<u32>,
    chars: Vec<SymbolChar>,
    space: Option<LmSymbol>,
    /// The LM has no capitals of its own: the case model applies.
    lowercase_lm: bool,
}

/// One character of an alphabet symbol.
#[derive(Debug, Clone, Copy)]
struct SymbolChar {
    c: char,
    /// Its LM symbol (`None` without an LM, or when the LM has no symbol for it at all).
    lm: Option<LmSymbol>,
    /// The LM reads it as its unknown symbol.
    unknown: bool,
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
        // `symbol` falls back to the unknown symbol for a character the LM has in neither case.
        let unk = lm.and_then(|lm| lm.symbol(char::REPLACEMENT_CHARACTER));
        let mut first = vec![0u32];
        let mut chars = Vec::new();
        for s in alphabet {
            for c in s.chars() {
                let symbol = lm.and_then(|lm| lm.symbol(c));
                chars.push(SymbolChar {
                    c,
                    lm: symbol,
                    unknown: symbol.is_some()
                        && symbol == unk
                        && c != char::REPLACEMENT_CHARACTER
                        && !c.is_whitespace(),
                });
            }
            first.push(chars.len() as u32);
        }
        Ok(Alphabet {
            symbols: alphabet.to_vec(),
            first,
            chars,
            space: lm.and_then(|lm| lm.symbol(WORD_BOUNDARY)),
            lowercase_lm: lm.is_some_and(|lm| !lm.characters().any(char::is_uppercase)),
        })
    }

    fn chars(&self, symbol: u32) -> &[SymbolChar] {
        let i = symbol as usize;
        &self.chars[self.first[i] as usize..self.first[i + 1] as usize]
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
    /// The score's terms besides `ln P_ctc`: LM, bonus and case terms scaled by the confidence
    /// gate of the frame each symbol was read in, and user-word credit.
    fusion: f32,
    /// The gate of the frame the last symbol was read in (1 for a root).
    gate: f32,
    /// The LM is inside a word (its end is still to be scored).
    in_word: bool,
    /// The last symbol was one the LM does not know: its word end is paid and the LM state is at
    /// a word start, so a space written next is priced by
    /// [`BeamConfig::space_after_unknown_log_prob`].
    after_unknown: bool,
    /// The last symbol was a space.
    after_space: bool,
    case: Case,
    /// User-word trie state of the current word ([`OUTSIDE`] when it left the list).
    user: u32,
    /// User-word prefix credit of the current word, taken back if it leaves the list.
    credit: f32,
    /// The previous and the current word, for the word-pair table (context included).
    words: WordTracker,
    /// What `fusion` holds beyond the LM's own terms because the node is a lone symbol (see
    /// [`BeamConfig::lone_symbol_log_prob`]); its children take it back. `None`: not one.
    lone: Option<f32>,
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
    config: &'a BeamConfig,
    user_words: Option<&'a UserWords>,
    /// The LM's word pairs when [`BeamConfig::word_pair_weight`] uses them.
    pairs: Option<&'a WordPairs>,
    /// The insertion bonus in force (0 without an LM).
    bonus: f32,
    /// Case and capital penalties in force (0 unless a lowercase LM is used).
    case_penalty: f32,
    capital_penalty: f32,
    /// The root whose children are lone symbols (no pre-context), if any.
    lone_root: u32,
    /// Nodes with accumulated mass this frame.
    touched: Vec<u32>,
    stamp: u32,
}

impl Trie<'_> {
    fn root(&mut self, lm_state: LmState, lm: f32, context_word: &str, words: WordTracker) -> u32 {
        let (case, _) = Case::Start.read(context_word);
        let user = match self.user_words {
            Some(words) => context_word
                .chars()
                .try_fold(UserWords::ROOT, |s, c| words.step(s, c))
                .unwrap_or(OUTSIDE),
            None => OUTSIDE,
        };
        self.nodes.push(Node {
            parent: NO_NODE,
            symbol: ROOT,
            lm_state,
            lm,
            fusion: self.config.lm_weight * lm,
            gate: 1.0,
            in_word: !context_word.is_empty(),
            after_unknown: false,
            after_space: false,
            case,
            user,
            credit: 0.0,
            words,
            lone: None,
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

    /// Ends the current user word: its credit is kept and the word bonus added when it is a user
    /// word, else the credit is taken back. Returns the change of score.
    fn end_user_word(&self, n: &mut Node) -> f32 {
        let Some(words) = self.user_words else {
            return 0.0;
        };
        let delta = if n.user != OUTSIDE && words.is_word(n.user) {
            self.config.user_word_bonus
        } else {
            -n.credit
        };
        n.credit = 0.0;
        n.user = UserWords::ROOT;
        delta
    }

    fn new_child(&mut self, parent: u32, symbol: u32, gate: f32) -> u32 {
        let p = self.nodes[parent as usize];
        let mut n = Node {
            parent,
            symbol,
            gate,
            fusion: p.fusion - p.lone.unwrap_or(0.0),
            lone: None,
            len: p.len + 1,
            stamp: 0,
            pb: f32::NEG_INFINITY,
            pnb: f32::NEG_INFINITY,
            ..p
        };
        let (mut lm_delta, mut penalty, mut user_delta) = (0.0f32, 0.0f32, 0.0f32);
        let mut pair_delta = 0.0f32;
        for &sc in self.alphabet.chars(symbol) {
            if let Some(pairs) = self.pairs {
                if let Some((previous, word)) = n.words.push(sc.c) {
                    pair_delta += pairs.score(previous, word);
                }
            }
            if let (Some(model), Some(symbol)) = (self.lm, sc.lm) {
                match (sc.unknown, self.config.unknown_log_prob) {
                    (true, Some(unknown)) => {
                        if let (true, Some(space)) = (n.in_word, self.alphabet.space) {
                            let (lp, next) = model.advance(n.lm_state, space);
                            lm_delta += lp;
                            n.lm_state = next;
                        }
                        lm_delta += unknown;
                        if n.after_space {
                            lm_delta += self.config.space_before_unknown_log_prob.unwrap_or(0.0);
                        }
                        n.in_word = false;
                        n.after_unknown = true;
                    }
                    _ if n.after_unknown && sc.c.is_whitespace() => {
                        if let Some(space) = self.config.space_after_unknown_log_prob {
                            lm_delta += space;
                        } else {
                            let (lp, next) = model.advance(n.lm_state, symbol);
                            lm_delta += lp;
                            n.lm_state = next;
                        }
                        n.in_word = false;
                        n.after_unknown = false;
                    }
                    _ => {
                        let (lp, next) = model.advance(n.lm_state, symbol);
                        lm_delta += lp;
                        n.lm_state = next;
                        n.in_word = !sc.c.is_whitespace();
                        n.after_unknown = false;
                    }
                }
            }
            if self.case_penalty > 0.0 || self.capital_penalty > 0.0 {
                if n.case.capitalizes(sc.c) {
                    penalty += self.capital_penalty;
                }
                let (case, bad) = n.case.next(sc.c);
                n.case = case;
                if bad {
                    penalty += self.case_penalty;
                }
            }
            if let Some(words) = self.user_words {
                let inside = if n.user == OUTSIDE {
                    None
                } else {
                    words.step(n.user, sc.c)
                };
                match inside {
                    Some(next) => {
                        n.user = next;
                        n.credit += self.config.user_prefix_bonus;
                        user_delta += self.config.user_prefix_bonus;
                    }
                    None if sc.c.is_alphanumeric() => {
                        user_delta -= n.credit;
                        n.credit = 0.0;
                        n.user = OUTSIDE;
                    }
                    None => user_delta += self.end_user_word(&mut n),
                }
            }
            n.after_space = sc.c.is_whitespace();
        }
        n.lm += lm_delta;
        n.fusion += gate
            * (self.config.lm_weight * lm_delta
                + self.bonus
                + self.config.word_pair_weight * pair_delta
                - penalty)
            + user_delta;
        if let (true, Some(lone)) = (parent == self.lone_root, self.config.lone_symbol_log_prob) {
            let extra = gate * (self.config.lm_weight * (lone - lm_delta) + penalty);
            n.fusion += extra;
            n.lone = Some(extra);
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(n);
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

/// The confidence gate of a frame whose likeliest output has log-probability `best`.
#[inline]
fn gate(best: f32, confident_prob: f32) -> f32 {
    if confident_prob >= 1.0 {
        return 1.0;
    }
    let unsure = 1.0 - best.exp().min(1.0);
    (unsure / (1.0 - confident_prob)).clamp(0.0, 1.0)
}

/// The last word of `context` (empty when it ends in whitespace).
fn trailing_word(context: &str) -> &str {
    let start = context
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    &context[start..]
}

fn search(
    alphabet: &Alphabet,
    lm: Option<&CharLm>,
    config: &BeamConfig,
    logprobs: &LogProbs,
    context: &str,
    user_words: Option<&UserWords>,
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
    let user_words = user_words.filter(|w| !w.is_empty());
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
        config,
        user_words,
        pairs: lm
            .and_then(CharLm::word_pairs)
            .filter(|p| config.word_pair_weight > 0.0 && !p.is_empty()),
        bonus,
        case_penalty: if lm.is_some() && alphabet.lowercase_lm {
            config.case_penalty
        } else {
            0.0
        },
        capital_penalty: if lm.is_some() && alphabet.lowercase_lm {
            config.capital_penalty
        } else {
            0.0
        },
        lone_root: NO_NODE,
        touched: Vec::new(),
        stamp: 0,
    };
    let mut beam = Vec::with_capacity(config.beam_width * 2);
    let mut spaced_root = NO_NODE;
    let context_word = trailing_word(context);
    let words = match trie.pairs {
        Some(_) => WordTracker::after(context),
        None => WordTracker::default(),
    };
    let start = |node| Entry {
        node,
        pb: 0.0,
        pnb: f32::NEG_INFINITY,
    };
    match lm {
        Some(model) => {
            let state = model.state_after(context);
            let root = trie.root(state, 0.0, context_word, words);
            beam.push(start(root));
            if context.trim().is_empty() {
                trie.lone_root = root;
            }
            if let (false, Some(space)) = (context_word.is_empty(), alphabet.space) {
                let (lp, next) = model.advance(state, space);
                let mut spaced = words;
                spaced.finish();
                spaced_root = trie.root(next, lp, "", spaced);
                beam.push(start(spaced_root));
            }
        }
        None => {
            let root = trie.root(LmState(0), 0.0, context_word, words);
            beam.push(start(root));
        }
    }
    // The most a new symbol can add to a node's fusion besides its gated bonus: user credit.
    let max_chars = (1..alphabet.symbols.len())
        .map(|s| alphabet.chars(s as u32).len())
        .max()
        .unwrap_or(0) as f32;
    let user_gain = if user_words.is_some() {
        max_chars * (config.user_prefix_bonus + config.user_word_bonus)
    } else {
        0.0
    };
    // The most one symbol's word pairs can add (at most one pair per character), before the gate.
    let pair_gain = trie
        .pairs
        .map_or(0.0, |p| max_chars * config.word_pair_weight * p.max_score());

    let score = |n: &Node, p: f32| p + n.fusion;
    let mut candidates: Vec<(u32, f32)> = Vec::new();
    let mut ranked: Vec<(f32, u32)> = Vec::new();
    // The node of the best-path (greedy) text so far, kept in the beam whatever the LM says.
    let mut greedy_node = beam[0].node;
    let mut greedy_prev = 0usize;
    for t in 0..logprobs.frames() {
        let row = logprobs.row(t);
        candidates.clear();
        let (mut best, mut best_symbol) = (f32::NEG_INFINITY, 0usize);
        for (s, &lp) in row.iter().enumerate() {
            if lp > best {
                (best, best_symbol) = (lp, s);
            }
            if s > 0 && lp >= config.symbol_threshold && lp.is_finite() {
                candidates.push((s as u32, lp));
            }
        }
        let g = gate(best, config.confident_prob);
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
        // reach it (its LM and case terms can only lower it) is not created. The result is the
        // same as without this bound, the greedy path apart (always created).
        let floor = if beam.len() >= config.beam_width && blank > f32::NEG_INFINITY {
            beam.iter()
                .map(|e| score(&trie.nodes[e.node as usize], log_add(e.pb, e.pnb) + blank))
                .fold(f32::INFINITY, f32::min)
        } else {
            f32::NEG_INFINITY
        };
        let greedy_step = best_symbol != 0 && best_symbol != greedy_prev && best.is_finite();
        trie.stamp += 1;
        trie.touched.clear();
        for e in &beam {
            let total = log_add(e.pb, e.pnb);
            if blank > f32::NEG_INFINITY {
                trie.add(e.node, total + blank, f32::NEG_INFINITY);
            }
            let node = trie.nodes[e.node as usize];
            let bound = node.fusion + g * (bonus + pair_gain) + user_gain;
            for &(s, lp) in &candidates {
                let mass = if s == node.symbol {
                    trie.add(e.node, f32::NEG_INFINITY, e.pnb + lp);
                    e.pb + lp
                } else {
                    total + lp
                };
                let child = match trie.find_child(e.node, s) {
                    Some(child) => child,
                    None if mass + bound < floor
                        && !(greedy_step && e.node == greedy_node && s as usize == best_symbol) =>
                    {
                        continue;
                    }
                    None => trie.new_child(e.node, s, g),
                };
                trie.add(child, f32::NEG_INFINITY, mass);
            }
        }
        if best.is_finite() {
            if greedy_step && greedy_node != NO_NODE {
                greedy_node = trie
                    .find_child(greedy_node, best_symbol as u32)
                    .unwrap_or(NO_NODE);
            }
            greedy_prev = best_symbol;
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
            let kept = ranked[..config.beam_width]
                .iter()
                .any(|&(_, id)| id == greedy_node);
            let greedy = ranked[config.beam_width..]
                .iter()
                .copied()
                .find(|&(_, id)| id == greedy_node);
            ranked.truncate(config.beam_width);
            if let (false, Some(g)) = (kept, greedy) {
                // Replace the worst survivor (the selection put it anywhere in the kept part).
                if let Some(worst) = ranked.iter_mut().min_by(|a, b| a.0.total_cmp(&b.0)) {
                    *worst = g;
                }
            }
        }
        if !ranked.iter().any(|&(_, id)| id == greedy_node) {
            greedy_node = NO_NODE;
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
        let mut n = trie.nodes[e.node as usize];
        let ctc = log_add(e.pb, e.pnb);
        let mut fusion = n.fusion;
        if let (Some(model), Some(space), true, true, None) =
            (lm, alphabet.space, config.complete_word, n.in_word, n.lone)
        {
            let lp = model.advance(n.lm_state, space).0;
            n.lm += lp;
            fusion += n.gate * config.lm_weight * lp;
        }
        fusion += trie.end_user_word(&mut n);
        if let (Some(pairs), Some((previous, word))) = (trie.pairs, n.words.finish()) {
            fusion += n.gate * config.word_pair_weight * pairs.score(previous, word);
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
            lm: if lm.is_some() { n.lm } else { 0.0 },
            symbols: n.len as usize,
            score: ctc + fusion,
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
    if let Some(limit) = config.max_ctc_loss {
        demote_unlikely_ink(&mut out, limit);
    }
    Ok(out)
}

/// Ranks hypotheses whose `ln P_ctc` is more than `limit` below the best one's after the others,
/// their scores capped at the lowest score kept in front (so the list stays sorted by score).
fn demote_unlikely_ink(out: &mut Vec<Hypothesis>, limit: f32) {
    let best = out.iter().fold(f32::NEG_INFINITY, |a, h| a.max(h.ctc));
    let (front, mut back): (Vec<_>, Vec<_>) = out.drain(..).partition(|h| h.ctc >= best - limit);
    let floor = front.last().map_or(f32::INFINITY, |h| h.score);
    for h in &mut back {
        h.score = h.score.min(floor);
    }
    out.extend(front);
    out.extend(back);
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
    fn word_pairs_let_the_previous_word_choose() {
        let config = LmBuildConfig {
            order: 4,
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        for w in ["new", "york", "yolk", "egg", "an"] {
            counter.add_word(w, 100.0);
        }
        let plain = CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap();
        let text = [
            "new york is big",
            "in new york",
            "the new york times",
            "an egg yolk",
        ];
        let pairs = WordPairs::from_text(text, 1, 100).unwrap();
        let lm = Arc::new(plain.clone().with_word_pairs(Some(pairs)));
        let a = alphabet(&["y", "o", "r", "l", "k", " "]);
        // The ink reads "yolk" a little better than "york".
        let m = spell(&a, "yolk", 0.9, &[(2, "l", 0.5), (2, "r", 0.4)]);
        let read = |lm: &Arc<CharLm>, weight: f32, context: &str| {
            let config = BeamConfig {
                word_pair_weight: weight,
                ..BeamConfig::default()
            };
            let decoder = BeamDecoder::new(&a, Some(lm.clone()), config).unwrap();
            decoder.decode(&m, context).unwrap()[0].text.clone()
        };
        assert_eq!(read(&lm, 0.0, "new "), "yolk");
        assert_eq!(read(&lm, 2.0, "new "), "york");
        assert_eq!(
            read(&lm, 2.0, "The New "),
            "york",
            "words are read in lower case"
        );
        assert_eq!(read(&lm, 2.0, "an egg "), "yolk");
        assert_eq!(read(&lm, 2.0, ""), "yolk", "no previous word, no pair");
        // Mid-word context: "new" still being written ends at the ink's leading space.
        assert_eq!(read(&lm, 2.0, "new"), " york");
        // Without a table the weight changes nothing.
        assert_eq!(read(&Arc::new(plain), 2.0, "new "), "yolk");
        let negative = BeamConfig {
            word_pair_weight: -1.0,
            ..BeamConfig::default()
        };
        assert!(negative.validate().is_err());
    }

    #[test]
    fn user_words_lift_a_name_the_lm_never_saw() {
        let a = alphabet(&["y", "o", "r", "n", "k", "l", " "]);
        let lm = lm(5);
        // The ink reads "yonk" (a name the LM never saw) better than "york", which the LM knows
        // so well that it reads "york" anyway.
        let m = spell(&a, "york", 0.9, &[(2, "r", 0.2), (2, "n", 0.75)]);
        let decoder = BeamDecoder::new(&a, Some(lm.clone()), BeamConfig::default()).unwrap();
        let plain = decoder.decode_top(&m, "", 5).unwrap();
        assert_eq!(plain[0].text, "york", "{plain:?}");
        let words = UserWords::new(["Yonk", "Zofia"]).unwrap();
        let mine = decoder.decode_with(&m, "", 5, Some(&words)).unwrap();
        assert_eq!(mine[0].text, "yonk", "{mine:?}");
        let h = |d: &BeamDecoder, m: &LogProbs, w| {
            search(&d.alphabet, d.lm.as_deref(), &d.config, m, "", w).unwrap()
        };
        let find = |v: Vec<Hypothesis>, text: &str| v.into_iter().find(|h| h.text == text).unwrap();
        // Ink far from every user word reads the same, with the same score of its own (the
        // shares of the n-best may move when a runner-up such as "yol" starts like a user word).
        let other = spell(&a, "lol", 0.9, &[]);
        let with = decoder.decode_with(&other, "", 5, Some(&words)).unwrap();
        assert_eq!(with[0].text, "lol", "{with:?}");
        let (with, without) = (
            find(h(&decoder, &other, Some(&words)), "lol"),
            find(h(&decoder, &other, None), "lol"),
        );
        assert!(
            (with.score - without.score).abs() < 1e-4,
            "{with:?} {without:?}"
        );
        // A prefix of a user word keeps no credit: "yo" + "r" leaves the list, the credit of
        // "yo" is taken back, so "york" scores as without user words.
        let (with, without) = (
            find(h(&decoder, &m, Some(&words)), "york"),
            find(h(&decoder, &m, None), "york"),
        );
        assert!(
            (with.score - without.score).abs() < 1e-4,
            "{with:?} {without:?}"
        );
        // Mid-word context continues the name: "Yo" + ink "nk" gains ("Yo" itself earns nothing).
        let rest = spell(&a, "rk", 0.9, &[(0, "r", 0.1), (0, "n", 0.85)]);
        let share = |c: Vec<Candidate>| c.iter().find(|c| c.text == "nk").unwrap().score;
        let before = share(decoder.decode_top(&rest, "Yo", 5).unwrap());
        let after = share(decoder.decode_with(&rest, "Yo", 5, Some(&words)).unwrap());
        assert!(after > before + 1.0, "{before} -> {after}");
        assert_eq!(
            decoder.decode_with(&rest, "Ya", 5, Some(&words)).unwrap(),
            decoder.decode_top(&rest, "Ya", 5).unwrap(),
            "\"ya\" starts no user word"
        );
        // An empty list changes nothing.
        let empty = UserWords::new([""; 0]).unwrap();
        assert_eq!(decoder.decode_with(&m, "", 5, Some(&empty)).unwrap(), plain);
    }

    #[test]
    fn unknown_symbols_end_the_word_and_survive() {
        let a = alphabet(&["y", "o", "r", "k", ".", "!", " "]);
        let lm = lm(5);
        // "york." with an uncertain final mark: a word-list LM does not know ".", and scored as
        // its unknown symbol inside the word it is dropped.
        let m = spell(&a, "york.", 0.9, &[(4, ".", 0.5)]);
        let base = BeamConfig {
            unknown_log_prob: None,
            ..BeamConfig::default()
        };
        let config = |unknown| BeamConfig {
            unknown_log_prob: unknown,
            lm_weight: 1.0,
            insertion_bonus: 1.0,
            ..base.clone()
        };
        let without = BeamDecoder::new(&a, Some(lm.clone()), config(None)).unwrap();
        assert_eq!(
            without.decode(&m, "").unwrap()[0].text,
            "york",
            "the LM drops the mark"
        );
        let with = BeamDecoder::new(&a, Some(lm.clone()), config(Some(-1.0))).unwrap();
        let h = with.hypotheses(&m, "").unwrap();
        assert_eq!(h[0].text, "york.", "{h:?}");
        // The word's end was scored before the mark: ln P("york" then space) + the mark's -1.
        let expected = lm.word_log_prob("york") - 1.0;
        assert!(
            (h[0].lm - expected).abs() < 1e-4,
            "{} vs {expected}",
            h[0].lm
        );
    }

    #[test]
    fn a_space_after_an_unknown_symbol_costs_its_own_price() {
        // "new, new": the comma ends the LM's first word; the space after it is not a second
        // word end (a text the LM never saw) but costs `space_after_unknown_log_prob`.
        let a = alphabet(&["n", "e", "w", ",", " "]);
        let lm = lm(5);
        let m = spell(&a, "new, new", 0.9, &[]);
        let lm_of = |space| {
            let config = BeamConfig {
                unknown_log_prob: Some(-1.0),
                space_after_unknown_log_prob: space,
                ..BeamConfig::default()
            };
            let decoder = BeamDecoder::new(&a, Some(lm.clone()), config).unwrap();
            let h = decoder.hypotheses(&m, "").unwrap();
            let h = h
                .iter()
                .find(|h| h.text == "new, new")
                .expect("in the beam");
            h.lm
        };
        let start = lm.start();
        let priced = lm.log_prob(start, "new new ").0 - 1.0 - 1.5;
        assert!((lm_of(Some(-1.5)) - priced).abs() < 1e-4);
        // Without a price the LM scores the space at a word start, as a second space.
        let doubled = lm.log_prob(start, "new  new ").0 - 1.0;
        assert!((lm_of(None) - doubled).abs() < 1e-4);
        assert!(doubled < priced, "{doubled} vs {priced}");
        // The fields are validated like the other log-probabilities.
        for bad in [
            BeamConfig {
                space_after_unknown_log_prob: Some(0.5),
                ..BeamConfig::default()
            },
            BeamConfig {
                space_before_unknown_log_prob: Some(f32::NAN),
                ..BeamConfig::default()
            },
        ] {
            assert!(bad.validate().is_err());
        }
    }

    #[test]
    fn a_space_before_an_unknown_symbol_is_not_free() {
        // "new ." against "new.": the LM pays the word end either way, so the written space
        // would only earn the insertion bonus; `space_before_unknown_log_prob` prices it.
        let a = alphabet(&["n", "e", "w", ".", " "]);
        let lm = lm(5);
        let m = spell(&a, "new.", 0.9, &[]);
        let spaced = spell(&a, "new .", 0.9, &[]);
        let config = |before| BeamConfig {
            unknown_log_prob: Some(-1.0),
            space_before_unknown_log_prob: before,
            ..BeamConfig::default()
        };
        let lm_of = |before, m: &LogProbs, text: &str| {
            let decoder = BeamDecoder::new(&a, Some(lm.clone()), config(before)).unwrap();
            let h = decoder.hypotheses(m, "").unwrap();
            h.iter().find(|h| h.text == text).expect("in the beam").lm
        };
        let plain = lm_of(None, &m, "new.");
        assert!((plain - (lm.word_log_prob("new") - 1.0)).abs() < 1e-4);
        // Without a price the space changes nothing at the LM.
        assert!((lm_of(None, &spaced, "new .") - plain).abs() < 1e-4);
        assert!((lm_of(Some(-2.0), &spaced, "new .") - (plain - 2.0)).abs() < 1e-4);
        // A mark without a space before it pays nothing more.
        assert!((lm_of(Some(-2.0), &m, "new.") - plain).abs() < 1e-4);
    }

    #[test]
    fn lone_symbols_are_not_scored_as_words() {
        // One frame: "k" a little above "i"; the LM loves the word "i", not "k".
        let a = alphabet(&["i", "k"]);
        let m = matrix(&[&[0.02, 0.46, 0.52]]);
        let lm = lm(4);
        let config = |lone| BeamConfig {
            lone_symbol_log_prob: lone,
            ..BeamConfig::default()
        };
        let word_lm = BeamDecoder::new(&a, Some(lm.clone()), config(None)).unwrap();
        assert_eq!(word_lm.decode(&m, "").unwrap()[0].text, "i");
        let lone = BeamDecoder::new(&a, Some(lm.clone()), config(Some(-3.0))).unwrap();
        assert_eq!(lone.decode(&m, "").unwrap()[0].text, "k");
        // With pre-context the LM reads it as part of the text again.
        assert_eq!(lone.decode(&m, "live ").unwrap()[0].text, "i");
    }

    #[test]
    fn the_case_model_prefers_consistent_case_with_a_lowercase_lm() {
        let a = alphabet(&["n", "e", "w", "N", "E", "W"]);
        let lm = lm(4);
        // "nEw": the middle letter is a little more likely a capital.
        let m = spell(&a, "nEw", 0.6, &[(1, "e", 0.38)]);
        let config = |case_penalty| BeamConfig {
            case_penalty,
            ..BeamConfig::default()
        };
        let off = BeamDecoder::new(&a, Some(lm.clone()), config(0.0)).unwrap();
        assert_eq!(off.decode(&m, "").unwrap()[0].text, "nEw");
        let on = BeamDecoder::new(&a, Some(lm.clone()), config(2.0)).unwrap();
        assert_eq!(on.decode(&m, "").unwrap()[0].text, "new");
        // ALL CAPS and a capital first letter cost nothing.
        for text in ["NEW", "New"] {
            let m = spell(&a, text, 0.9, &[]);
            let h = on.hypotheses(&m, "").unwrap();
            let off_h = off.hypotheses(&m, "").unwrap();
            assert_eq!(h[0].text, text);
            assert!((h[0].score - off_h[0].score).abs() < 1e-5, "{text}");
        }
        // A cased LM (one with capitals of its own) gets no case penalty.
        use rustfst::prelude::*;
        let mut fst = VectorFst::<TropicalWeight>::new();
        let s0 = fst.add_state();
        fst.set_start(s0).unwrap();
        for c in "newNEW ".chars() {
            fst.add_tr(s0, Tr::new(c as u32, c as u32, 7f32.ln(), s0))
                .unwrap();
        }
        let cased = Arc::new(CharLm::from_fst(&fst).unwrap());
        let with = BeamDecoder::new(&a, Some(cased.clone()), config(2.0)).unwrap();
        let without = BeamDecoder::new(&a, Some(cased), config(0.0)).unwrap();
        assert_eq!(
            with.hypotheses(&m, "").unwrap(),
            without.hypotheses(&m, "").unwrap()
        );
    }

    #[test]
    fn a_confident_network_is_not_overruled() {
        let a = alphabet(&["y", "o", "r", "l", "k", " "]);
        let lm = lm(5);
        // "yolk" read with confidence 0.9 against "york" (0.05) after "new ": the LM would pick
        // "york" at full weight; gated by the frame's confidence it does not.
        let m = spell(&a, "yolk", 0.9, &[(2, "r", 0.05)]);
        let config = |confident_prob| BeamConfig {
            confident_prob,
            lm_weight: 2.0,
            ..BeamConfig::default()
        };
        let full = BeamDecoder::new(&a, Some(lm.clone()), config(1.0)).unwrap();
        assert_eq!(full.decode(&m, "i live in new ").unwrap()[0].text, "york");
        let gated = BeamDecoder::new(&a, Some(lm.clone()), config(0.5)).unwrap();
        assert_eq!(gated.decode(&m, "i live in new ").unwrap()[0].text, "yolk");
        // The CTC-loss limit does the same on the whole text.
        let limited = BeamDecoder::new(
            &a,
            Some(lm.clone()),
            BeamConfig {
                max_ctc_loss: Some(1.0),
                ..config(1.0)
            },
        )
        .unwrap();
        let c = limited.decode(&m, "i live in new ").unwrap();
        assert_eq!(c[0].text, "yolk", "{c:?}");
        assert!(c.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn the_greedy_text_stays_in_a_narrow_beam() {
        // With a beam of 1 the LM's favourite replaces the ink's best path early; the greedy
        // path is kept anyway, so it is among the final hypotheses.
        let a = alphabet(&["y", "o", "r", "l", "k"]);
        let lm = lm(5);
        let m = spell(&a, "yolk", 0.5, &[(2, "r", 0.45)]);
        let config = BeamConfig {
            beam_width: 1,
            nbest: 5,
            lm_weight: 3.0,
            ..BeamConfig::default()
        };
        let d = BeamDecoder::new(&a, Some(lm), config).unwrap();
        let texts: Vec<String> = d
            .hypotheses(&m, "new ")
            .unwrap()
            .into_iter()
            .map(|h| h.text)
            .collect();
        assert!(texts.contains(&greedy(&m, &a).text), "{texts:?}");
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
