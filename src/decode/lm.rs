//! The runtime character language model: an OpenFST backoff acceptor prepared for fast lookup.
//!
//! # File format
//!
//! An LM file is an OpenFST binary `VectorFst` with `standard` (tropical, `f32`) arcs, as written
//! by [`lm_build`](super::lm_build) through rustfst and readable by OpenFST (`fstprint`,
//! `fstinfo`):
//!
//! - **Labels are Unicode scalar values**: the arc label of a character is its code point
//!   (`' '` = 32, `'a'` = 97). No symbol table is needed (one, if present, is ignored).
//!   [`UNK_LABEL`] (U+FFFD) stands for every character the model has no arc for.
//! - **Weights are `-ln p`** (natural log).
//! - **Backoff arcs are epsilon arcs** (label 0), at most one per state, and must be read with
//!   *failure* semantics, as in OpenGrm NGram: the backoff arc is taken only when the state has no
//!   arc for the symbol. Plain epsilon semantics (OpenFST composition) over-counts slightly.
//! - One state per history (the last `order - 1` characters or fewer). A space ends a word; the
//!   start state is the *start of a text*, a history no arc leads back to (packs built before
//!   running text was counted used the history "a space", the start of a word, instead).
//!   States whose history ends in a space are final with weight 0, so the acceptor's language is
//!   text made of whole words; the runtime ignores final weights.
//!
//! [`CharLm`] validates such a file (acyclic backoff, in-range states, finite weights, at most
//! one backoff arc per state, labels that are characters) and converts it to flat sorted arrays.
//! A lookup ([`CharLm::advance`]) binary-searches the state's arcs and follows the backoff chain;
//! the state at the end of every chain (the unigram state) is stored as a dense table, so the last
//! step costs one index.
//!
//! The same model can also be stored in the compact runtime format of
//! [`lm_compact`](super::lm_compact) (quantized costs, about 6 bytes per n-gram instead of ~30);
//! [`CharLm::from_bytes`] reads either ([`LmFormat::of`] tells them apart by the magic number)
//! into the same arrays, and [`CharLm::to_bytes`] writes either.

use std::path::Path;

use rustfst::prelude::*;

use super::lm_build::typographic_fold;
use super::lm_compact;
use super::word_pairs::WordPairs;
use crate::error::{Error, Result};

/// The arc label standing for every character without an arc of its own: U+FFFD.
pub const UNK_LABEL: u32 = 0xFFFD;

/// The word separator.
pub const WORD_BOUNDARY: char = ' ';

/// Cost (in nats) of a symbol that has no path at all, not even through [`UNK_LABEL`]; keeps
/// every score finite.
pub const NO_PATH_COST: f32 = 50.0;

/// Largest LM file [`CharLm::load`] reads.
pub const MAX_LM_BYTES: u64 = 512 << 20;

/// How many characters of pre-context [`CharLm::state_after`] reads (the last ones).
pub const MAX_CONTEXT_CHARS: usize = 20;

/// "No state" in the runtime's arrays (no backoff arc, no dense row).
pub(super) const NONE: u32 = u32::MAX;
const FST_MAGIC: i32 = 2_125_659_606;
const SYMBOL_TABLE_MAGIC: i32 = 2_125_658_996;

/// A state of a [`CharLm`]: the relevant history of the text read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LmState(pub(crate) u32);

/// A character as the LM knows it (its compact index), from [`CharLm::symbol`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LmSymbol(pub(crate) u32);

/// A character n-gram model loaded from an OpenFST backoff acceptor (see the module docs).
///
/// Immutable once loaded and `Sync`: share one per language (e.g. in an `Arc`) between threads.
///
/// # Example
/// ```
/// use inkjot::decode::{CharLm, LmBuildConfig, NgramCounter};
/// let config = LmBuildConfig { order: 3, ..LmBuildConfig::default() };
/// let mut counter = NgramCounter::new(&config)?;
/// counter.add_word("the", 100.0);
/// counter.add_word("then", 10.0);
/// let lm = CharLm::from_fst(&counter.build(&config)?.fst)?;
/// let after_th = lm.state_after("th");
/// let (ln_e, _) = lm.advance_char(after_th, 'e');
/// let (ln_x, _) = lm.advance_char(after_th, 'x');
/// assert!(ln_e > ln_x);
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CharLm {
    /// Label (code point) of each compact symbol, sorted.
    pub(super) labels: Vec<u32>,
    pub(super) unk: Option<u32>,
    pub(super) start: u32,
    /// Arcs of state `s` are `arc_first[s]..arc_first[s + 1]`, sorted by symbol.
    pub(super) arc_first: Vec<u32>,
    pub(super) arc_symbol: Vec<u32>,
    pub(super) arc_cost: Vec<f32>,
    pub(super) arc_next: Vec<u32>,
    /// Per state, bit `y` set when it has an arc for symbol `y` (symbols below 128 only, which
    /// hold the printable ASCII), so such a lookup is a bit test and a popcount instead of a
    /// binary search.
    pub(super) arc_mask: Vec<u128>,
    pub(super) backoff_state: Vec<u32>,
    pub(super) backoff_cost: Vec<f32>,
    /// For states without a backoff arc: index into `dense` rows (`labels.len()` entries each).
    pub(super) dense_row: Vec<u32>,
    pub(super) dense_cost: Vec<f32>,
    pub(super) dense_next: Vec<u32>,
    pub(super) order: usize,
    /// Word pairs from running text (compact files only), see [`WordPairs`].
    pub(super) pairs: Option<WordPairs>,
}

/// The runtime arrays before the derived tables: what a file format holds.
#[derive(Debug, Clone)]
pub(super) struct LmParts {
    /// Label (code point) of each symbol, strictly ascending.
    pub(super) labels: Vec<u32>,
    pub(super) start: u32,
    /// `states + 1` entries: the arcs of state `s` are `arc_first[s]..arc_first[s + 1]`.
    pub(super) arc_first: Vec<u32>,
    pub(super) arc_symbol: Vec<u32>,
    pub(super) arc_cost: Vec<f32>,
    pub(super) arc_next: Vec<u32>,
    /// [`NONE`] for a state without a backoff arc.
    pub(super) backoff_state: Vec<u32>,
    pub(super) backoff_cost: Vec<f32>,
    /// The compact format's word-pair table, if any.
    pub(super) pairs: Option<WordPairs>,
}

/// The two LM file formats; [`CharLm::from_bytes`] tells them apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LmFormat {
    /// OpenFST binary `VectorFst<StdArc>` (`lm.fst`), the interchange format (see the module
    /// docs).
    #[default]
    Fst,
    /// The compact runtime format (`lm.bin`) of [`lm_compact`](super::lm_compact): quantized
    /// costs, about a fifth of the size.
    Compact,
}

impl LmFormat {
    /// The format of the file whose bytes are `bytes` (OpenFST unless it has the compact
    /// format's magic number).
    pub fn of(bytes: &[u8]) -> Self {
        if lm_compact::is_compact(bytes) {
            LmFormat::Compact
        } else {
            LmFormat::Fst
        }
    }

    /// The file name of an LM in this format in a language pack.
    pub fn pack_file(self) -> &'static str {
        match self {
            LmFormat::Fst => super::LanguagePack::LM_FILE,
            LmFormat::Compact => super::LanguagePack::COMPACT_LM_FILE,
        }
    }
}

impl std::str::FromStr for LmFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fst" => Ok(LmFormat::Fst),
            "compact" => Ok(LmFormat::Compact),
            _ => Err(Error::invalid(
                "format",
                format!("must be `fst` or `compact`, not {s:?}"),
            )),
        }
    }
}

impl CharLm {
    /// Reads an LM file, OpenFST or compact (see the module docs).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        use std::io::Read;
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut bytes = Vec::new();
        file.take(MAX_LM_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_LM_BYTES {
            return Err(Error::pack(
                path,
                format!("larger than {MAX_LM_BYTES} bytes"),
            ));
        }
        Self::from_bytes(&bytes).map_err(|e| e.in_file(path))
    }

    /// Parses the bytes of an LM file, OpenFST or compact (see the module docs).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if lm_compact::is_compact(bytes) {
            return Self::from_parts(lm_compact::read(bytes)?)
                .map_err(|e| e.in_file(super::LanguagePack::COMPACT_LM_FILE));
        }
        check_header(bytes)?;
        // The header check above rules out the inputs rustfst is known to panic on; the unwind
        // guard keeps any other malformed file an error rather than a crash.
        let parsed = std::panic::catch_unwind(|| VectorFst::<TropicalWeight>::load(bytes))
            .map_err(|_| lm_error("malformed LM file"))?
            .map_err(|e| lm_error(format!("malformed LM file: {e}")))?;
        Self::from_fst(&parsed)
    }

    /// Prepares an in-memory acceptor (e.g. fresh from [`NgramCounter::build`]) for lookup.
    ///
    /// [`NgramCounter::build`]: super::NgramCounter::build
    pub fn from_fst(fst: &VectorFst<TropicalWeight>) -> Result<Self> {
        let states = fst.num_states();
        if states == 0 || states >= NONE as usize {
            return Err(lm_error(format!("LM has {states} states")));
        }
        let start = fst
            .start()
            .ok_or_else(|| lm_error("LM has no start state"))?;
        let mut labels = Vec::new();
        for s in 0..states as u32 {
            for tr in fst.get_trs(s).map_err(model)?.trs() {
                if tr.ilabel != 0 {
                    labels.push(tr.ilabel);
                }
            }
        }
        labels.sort_unstable();
        labels.dedup();
        if let Some(&bad) = labels.iter().find(|&&l| char::from_u32(l).is_none()) {
            return Err(lm_error(format!(
                "arc label {bad} is not a Unicode scalar value (labels must be code points)"
            )));
        }
        let symbol_of = |label: u32| labels.binary_search(&label).map(|i| i as u32).ok();

        let mut lm = LmParts {
            labels: Vec::new(),
            start,
            arc_first: Vec::with_capacity(states + 1),
            arc_symbol: Vec::new(),
            arc_cost: Vec::new(),
            arc_next: Vec::new(),
            backoff_state: vec![NONE; states],
            backoff_cost: vec![0.0; states],
            pairs: None,
        };
        let mut arcs: Vec<(u32, f32, u32)> = Vec::new();
        for s in 0..states as u32 {
            arcs.clear();
            for tr in fst.get_trs(s).map_err(model)?.trs() {
                let cost = *tr.weight.value();
                if cost.is_nan() || cost == f32::NEG_INFINITY {
                    return Err(lm_error(format!(
                        "state {s}: arc weight {cost} is not a cost"
                    )));
                }
                if tr.nextstate as usize >= states {
                    return Err(lm_error(format!(
                        "state {s}: arc to state {} of {states}",
                        tr.nextstate
                    )));
                }
                if tr.ilabel != tr.olabel {
                    return Err(lm_error(format!(
                        "state {s}: input label {} differs from output label {} (not an acceptor)",
                        tr.ilabel, tr.olabel
                    )));
                }
                if cost == f32::INFINITY {
                    continue; // a zero-probability arc: the same as none
                }
                if tr.ilabel == 0 {
                    if lm.backoff_state[s as usize] != NONE {
                        return Err(lm_error(format!("state {s}: more than one backoff arc")));
                    }
                    lm.backoff_state[s as usize] = tr.nextstate;
                    lm.backoff_cost[s as usize] = cost;
                } else if let Some(symbol) = symbol_of(tr.ilabel) {
                    arcs.push((symbol, cost, tr.nextstate));
                }
            }
            arcs.sort_unstable_by_key(|a| a.0);
            if arcs.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(lm_error(format!("state {s}: two arcs with the same label")));
            }
            lm.arc_first.push(lm.arc_symbol.len() as u32);
            for &(symbol, cost, next) in &arcs {
                lm.arc_symbol.push(symbol);
                lm.arc_cost.push(cost);
                lm.arc_next.push(next);
            }
        }
        lm.arc_first.push(lm.arc_symbol.len() as u32);
        lm.labels = labels;
        Self::from_parts(lm)
    }

    /// The runtime structure from validated arrays (in-range states and symbols, sorted arcs,
    /// finite costs): the bit masks, the order (an error when backoff arcs loop) and the dense
    /// rows.
    pub(super) fn from_parts(parts: LmParts) -> Result<Self> {
        let LmParts {
            labels,
            start,
            arc_first,
            arc_symbol,
            arc_cost,
            arc_next,
            backoff_state,
            backoff_cost,
            pairs,
        } = parts;
        let states = backoff_state.len();
        let mut lm = CharLm {
            unk: labels.binary_search(&UNK_LABEL).ok().map(|i| i as u32),
            start,
            arc_first,
            arc_symbol,
            arc_cost,
            arc_next,
            arc_mask: Vec::new(),
            backoff_state,
            backoff_cost,
            dense_row: vec![NONE; states],
            dense_cost: Vec::new(),
            dense_next: Vec::new(),
            order: 1,
            labels,
            pairs,
        };
        // Arcs are sorted by symbol, so the arcs of symbols below 128 come first and the
        // popcount below a symbol's bit is its arc's index; larger symbols binary-search.
        lm.arc_mask = (0..states)
            .map(|s| {
                let arcs = lm.arc_first[s] as usize..lm.arc_first[s + 1] as usize;
                lm.arc_symbol[arcs]
                    .iter()
                    .filter(|&&y| y < 128)
                    .fold(0u128, |m, &y| m | 1u128 << y)
            })
            .collect();
        lm.order = 1 + lm.backoff_depths()?;
        lm.build_dense_rows();
        Ok(lm)
    }

    /// The bytes of an LM file of this model in `format`. The compact format quantizes the costs
    /// ([`lm_compact::write`] with [`lm_compact::DEFAULT_CODES`]); OpenFST keeps them exactly.
    pub fn to_bytes(&self, format: LmFormat) -> Result<Vec<u8>> {
        match format {
            LmFormat::Compact => Ok(lm_compact::write(self, lm_compact::DEFAULT_CODES)?.0),
            LmFormat::Fst => {
                let mut bytes = Vec::new();
                self.to_fst()?.store(&mut bytes).map_err(serialize)?;
                Ok(bytes)
            }
        }
    }

    /// This model as an OpenFST backoff acceptor (the module docs' conventions). Final weights
    /// are not kept at run time: the start state and every state a space leads to are made final,
    /// as in a model from [`lm_build`](super::lm_build).
    pub fn to_fst(&self) -> Result<VectorFst<TropicalWeight>> {
        let states = self.num_states();
        let mut fst = VectorFst::<TropicalWeight>::new();
        fst.add_states(states);
        fst.set_start(self.start).map_err(serialize)?;
        let space = self.labels.binary_search(&(WORD_BOUNDARY as u32)).ok();
        let mut is_final = vec![false; states];
        if let Some(flag) = is_final.get_mut(self.start as usize) {
            *flag = true;
        }
        for s in 0..states {
            if self.backoff_state[s] != NONE {
                let tr = Tr::new(0, 0, self.backoff_cost[s], self.backoff_state[s]);
                fst.add_tr(s as u32, tr).map_err(serialize)?;
            }
            for a in self.arc_first[s] as usize..self.arc_first[s + 1] as usize {
                let label = self.labels[self.arc_symbol[a] as usize];
                let tr = Tr::new(label, label, self.arc_cost[a], self.arc_next[a]);
                fst.add_tr(s as u32, tr).map_err(serialize)?;
                if Some(self.arc_symbol[a] as usize) == space {
                    is_final[self.arc_next[a] as usize] = true;
                }
            }
        }
        for (s, _) in is_final.iter().enumerate().filter(|(_, f)| **f) {
            fst.set_final(s as u32, TropicalWeight::one())
                .map_err(serialize)?;
        }
        Ok(fst)
    }

    /// The longest backoff chain; an error when a chain loops.
    fn backoff_depths(&self) -> Result<usize> {
        let n = self.backoff_state.len();
        let mut depth = vec![NONE; n];
        let mut path = Vec::new();
        let mut deepest = 0;
        for s in 0..n {
            let mut cur = s;
            path.clear();
            while depth[cur] == NONE {
                if path.len() > n {
                    return Err(lm_error(format!(
                        "backoff arcs from state {s} form a cycle"
                    )));
                }
                path.push(cur);
                match self.backoff_state[cur] {
                    NONE => break,
                    next => cur = next as usize,
                }
            }
            let mut d = if depth[cur] == NONE { 0 } else { depth[cur] };
            if depth[cur] == NONE {
                depth[cur] = 0;
                path.pop();
            }
            while let Some(p) = path.pop() {
                d += 1;
                depth[p] = d;
            }
            deepest = deepest.max(depth[s] as usize);
        }
        Ok(deepest)
    }

    /// Dense symbol tables for the states that end backoff chains (usually only the unigram
    /// state); at most 64 of them.
    fn build_dense_rows(&mut self) {
        let symbols = self.labels.len();
        let mut rows = 0u32;
        for s in 0..self.backoff_state.len() {
            if self.backoff_state[s] != NONE || rows >= 64 {
                continue;
            }
            let base = self.dense_cost.len();
            self.dense_cost.resize(base + symbols, NO_PATH_COST);
            self.dense_next.resize(base + symbols, s as u32);
            let (lo, hi) = (self.arc_first[s] as usize, self.arc_first[s + 1] as usize);
            for a in lo..hi {
                let symbol = self.arc_symbol[a] as usize;
                self.dense_cost[base + symbol] = self.arc_cost[a];
                self.dense_next[base + symbol] = self.arc_next[a];
            }
            self.dense_row[s] = rows;
            rows += 1;
        }
    }

    /// The start state: the start of a text.
    pub fn start(&self) -> LmState {
        LmState(self.start)
    }

    /// The word-pair table that came with the model (compact files only), if any.
    pub fn word_pairs(&self) -> Option<&WordPairs> {
        self.pairs.as_ref()
    }

    /// This model with `pairs` as its word-pair table (kept by the compact format only).
    pub fn with_word_pairs(mut self, pairs: Option<WordPairs>) -> Self {
        self.pairs = pairs;
        self
    }

    /// The model's effective order (1 + the longest backoff chain): its histories are at most
    /// `order - 1` characters. Pruning can make it lower than the order it was built with.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Number of states.
    pub fn num_states(&self) -> usize {
        self.backoff_state.len()
    }

    /// Number of arcs, backoff arcs included.
    pub fn num_arcs(&self) -> usize {
        self.arc_symbol.len() + self.backoff_state.iter().filter(|&&b| b != NONE).count()
    }

    /// The characters the model has arcs for (excluding [`UNK_LABEL`]), sorted.
    pub fn characters(&self) -> impl Iterator<Item = char> + '_ {
        self.labels
            .iter()
            .filter(|&&l| l != UNK_LABEL)
            .filter_map(|&l| char::from_u32(l))
    }

    /// The LM symbol of `c`: its own when the model has one, else that of its lowercase form
    /// (models built from word lists alone are lowercase; see [`lm_build`](super::lm_build)), else,
    /// for a typographic apostrophe, quote or hyphen that the builder folds into one ASCII
    /// character ([`typographic_fold`]), that character's, else the unknown symbol.
    /// `None` only when the model has none of these.
    pub fn symbol(&self, c: char) -> Option<LmSymbol> {
        let find = |c: char| self.labels.binary_search(&(c as u32)).ok();
        let c = if c.is_whitespace() { WORD_BOUNDARY } else { c };
        find(c)
            .or_else(|| {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) if l != c => find(l),
                    _ => None,
                }
            })
            .or_else(|| {
                // The builder counted `’` as `'`, `“` as `"` (`typographic_fold`): score them so.
                let mut folded = typographic_fold(c).unwrap_or_default().chars();
                match (folded.next(), folded.next()) {
                    (Some(ascii), None) => find(ascii),
                    _ => None,
                }
            })
            .or(self.unk.map(|u| u as usize))
            .map(|i| LmSymbol(i as u32))
    }

    /// `(ln P(symbol | state), next state)`, following backoff arcs while `state` has no arc for
    /// `symbol`. A symbol without any path costs [`NO_PATH_COST`] and leads to the state that
    /// ends the backoff chain.
    #[inline]
    pub fn advance(&self, state: LmState, symbol: LmSymbol) -> (f32, LmState) {
        let mut s = state.0 as usize;
        let mut cost = 0.0f32;
        loop {
            let Some(&row) = self.dense_row.get(s) else {
                return (-(cost + NO_PATH_COST), LmState(self.start)); // a state of another model
            };
            if row != NONE {
                let i = row as usize * self.labels.len() + symbol.0 as usize;
                return match (self.dense_cost.get(i), self.dense_next.get(i)) {
                    (Some(&c), Some(&n)) => (-(cost + c), LmState(n)),
                    _ => (-(cost + NO_PATH_COST), LmState(s as u32)),
                };
            }
            let lo = self.arc_first[s] as usize;
            let found = match self.arc_mask.get(s) {
                Some(&mask) if symbol.0 < 128 => {
                    let bit = 1u128 << symbol.0;
                    (mask & bit != 0).then(|| (mask & (bit - 1)).count_ones() as usize)
                }
                _ => {
                    let hi = self.arc_first[s + 1] as usize;
                    self.arc_symbol[lo..hi].binary_search(&symbol.0).ok()
                }
            };
            if let Some(i) = found {
                return (
                    -(cost + self.arc_cost[lo + i]),
                    LmState(self.arc_next[lo + i]),
                );
            }
            match self.backoff_state[s] {
                NONE => return (-(cost + NO_PATH_COST), LmState(s as u32)),
                next => {
                    cost += self.backoff_cost[s];
                    s = next as usize;
                }
            }
        }
    }

    /// [`advance`](Self::advance) for a character (mapped with [`symbol`](Self::symbol)).
    pub fn advance_char(&self, state: LmState, c: char) -> (f32, LmState) {
        match self.symbol(c) {
            Some(symbol) => self.advance(state, symbol),
            None => (-NO_PATH_COST, self.chain_end(state)),
        }
    }

    fn chain_end(&self, state: LmState) -> LmState {
        let mut s = if (state.0 as usize) < self.num_states() {
            state.0
        } else {
            self.start
        };
        while self.backoff_state[s as usize] != NONE {
            s = self.backoff_state[s as usize];
        }
        LmState(s)
    }

    /// `(ln P(text | state), state after text)`: the sum over the characters of `text`.
    pub fn log_prob(&self, state: LmState, text: &str) -> (f32, LmState) {
        text.chars().fold((0.0, state), |(total, s), c| {
            let (lp, next) = self.advance_char(s, c);
            (total + lp, next)
        })
    }

    /// `ln P(word, then a space | start of a text)`: the probability of a whole word.
    pub fn word_log_prob(&self, word: &str) -> f32 {
        let (lp, state) = self.log_prob(self.start(), word);
        lp + self.advance_char(state, WORD_BOUNDARY).0
    }

    /// The state after reading the text before the cursor: the last [`MAX_CONTEXT_CHARS`]
    /// characters of `context`, read from the start state (whitespace reads as a space).
    pub fn state_after(&self, context: &str) -> LmState {
        let skip = context.chars().count().saturating_sub(MAX_CONTEXT_CHARS);
        context
            .chars()
            .skip(skip)
            .fold(self.start(), |s, c| self.advance_char(s, c).1)
    }

    /// Per-character perplexity of `words` (each with a weight such as its frequency), every word
    /// read from the start state and followed by its ending space.
    pub fn perplexity<'a>(&self, words: impl IntoIterator<Item = (&'a str, f64)>) -> Perplexity {
        let (mut nats, mut chars, mut weight, mut count) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        for (word, w) in words {
            if !(w.is_finite() && w > 0.0) {
                continue;
            }
            nats -= w * self.word_log_prob(word) as f64;
            chars += w * (word.chars().count() + 1) as f64;
            weight += w;
            count += 1;
        }
        Perplexity {
            per_char: if chars > 0.0 {
                (nats / chars).exp()
            } else {
                f64::NAN
            },
            nats_per_word: if weight > 0.0 {
                nats / weight
            } else {
                f64::NAN
            },
            words: count,
        }
    }
}

/// Result of [`CharLm::perplexity`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Perplexity {
    /// `exp(total nats / total characters)`, the word-ending space counted as a character.
    pub per_char: f64,
    /// Mean `-ln P(word)` in nats.
    pub nats_per_word: f64,
    /// Number of words evaluated.
    pub words: usize,
}

/// rustfst refusing to build or store an acceptor: a bug, not bad input.
fn serialize(e: impl std::fmt::Display) -> Error {
    Error::Serialize {
        what: "the LM acceptor",
        reason: e.to_string(),
    }
}

fn model(e: impl std::fmt::Display) -> Error {
    lm_error(e.to_string())
}

/// An error about the LM file (named `lm.fst` until [`CharLm::load`] names the real path).
fn lm_error(reason: impl Into<String>) -> Error {
    Error::pack(super::LanguagePack::LM_FILE, reason)
}

/// Checks the OpenFST header (and any symbol tables) before rustfst parses the file: magic
/// number, type strings, and counts that the file's length can hold.
fn check_header(bytes: &[u8]) -> Result<()> {
    let mut r = Reader { bytes, pos: 0 };
    if r.i32()? != FST_MAGIC {
        return Err(lm_error(
            "neither an OpenFST binary file nor a compact LM (bad magic number)",
        ));
    }
    let fst_type = r.string()?;
    if fst_type != "vector" {
        return Err(lm_error(format!(
            "FST type {fst_type:?}, expected \"vector\""
        )));
    }
    let arc_type = r.string()?;
    if arc_type != "standard" {
        return Err(lm_error(format!(
            "arc type {arc_type:?}, expected \"standard\""
        )));
    }
    let version = r.i32()?;
    if version < 2 {
        return Err(lm_error(format!(
            "FST version {version} (at least 2 expected)"
        )));
    }
    let flags = r.u32()?;
    if flags & !0b111 != 0 {
        return Err(lm_error(format!("unknown FST header flags {flags:#x}")));
    }
    r.take(8)?; // properties
    let start = r.i64()?;
    let num_states = r.i64()?;
    let num_arcs = r.i64()?;
    for bit in [1, 2] {
        if flags & bit != 0 {
            r.symbol_table()?;
        }
    }
    let body = (bytes.len() - r.pos) as i128;
    if num_states < 0 || num_arcs < 0 || start < -1 || start >= num_states {
        return Err(lm_error(format!(
            "bad FST header: start {start}, {num_states} states, {num_arcs} arcs"
        )));
    }
    if num_states as i128 * 12 + num_arcs as i128 * 16 > body {
        return Err(lm_error(format!(
            "LM file too short for {num_states} states and {num_arcs} arcs"
        )));
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| lm_error("LM file truncated in its header"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn string(&mut self) -> Result<&'a str> {
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| lm_error("negative string length"))?;
        std::str::from_utf8(self.take(n)?).map_err(|_| lm_error("header string is not UTF-8"))
    }
    fn symbol_table(&mut self) -> Result<()> {
        if self.i32()? != SYMBOL_TABLE_MAGIC {
            return Err(lm_error("bad symbol table magic number"));
        }
        self.string()?;
        self.i64()?;
        let n = self.i64()?;
        // Each entry holds at least 12 bytes, so the count is bounded by the file's length.
        if n < 0 || n as u128 * 12 > (self.bytes.len() - self.pos) as u128 {
            return Err(lm_error(format!("bad symbol table size {n}")));
        }
        for _ in 0..n {
            self.string()?;
            self.i64()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::lm_build::{LmBuildConfig, NgramCounter};
    use proptest::prelude::*;

    const WORDS: &[(&str, f64)] = &[
        ("the", 5000.0),
        ("then", 300.0),
        ("than", 250.0),
        ("that", 2000.0),
        ("this", 1500.0),
        ("these", 400.0),
        ("those", 300.0),
        ("there", 900.0),
        ("where", 600.0),
        ("when", 800.0),
        ("new", 700.0),
        ("york", 90.0),
        ("yolk", 5.0),
        ("don't", 100.0),
        ("café", 3.0),
    ];

    fn build(config: &LmBuildConfig) -> CharLm {
        let mut counter = NgramCounter::new(config).unwrap();
        for &(w, c) in WORDS {
            counter.add_word(w, c);
        }
        counter.add_text("i live in new york", 20.0);
        CharLm::from_fst(&counter.build(config).unwrap().fst).unwrap()
    }

    /// Σ over every symbol of P(symbol | state), following backoff, for every state.
    fn assert_normalized(lm: &CharLm) {
        for s in 0..lm.num_states() as u32 {
            let total: f64 = (0..lm.labels.len() as u32)
                .map(|y| (lm.advance(LmState(s), LmSymbol(y)).0 as f64).exp())
                .sum();
            assert!((total - 1.0).abs() < 1e-4, "state {s}: mass {total}");
        }
    }

    #[test]
    fn typographic_characters_are_scored_as_the_builder_counted_them() {
        let mut counter = NgramCounter::new(&LmBuildConfig::default()).unwrap();
        counter.add_text("don't say \"no\" - it's fine", 5.0);
        let lm = CharLm::from_fst(&counter.build(&LmBuildConfig::default()).unwrap().fst).unwrap();
        let unknown = lm.symbol('\u{FFFD}');
        for (typographic, ascii) in [
            ('\u{2019}', '\''),
            ('\u{2018}', '\''),
            ('\u{201C}', '"'),
            ('\u{2010}', '-'),
        ] {
            assert_eq!(lm.symbol(typographic), lm.symbol(ascii), "{typographic}");
            assert_ne!(lm.symbol(typographic), unknown, "{typographic}");
        }
        // `…` folds into three characters: no single symbol stands for it.
        assert_eq!(lm.symbol('\u{2026}'), unknown);
        // A scored apostrophe costs what the ASCII one does after the same context.
        let state = "don"
            .chars()
            .fold(lm.start(), |s, c| lm.advance(s, lm.symbol(c).unwrap()).1);
        let ascii = lm.advance(state, lm.symbol('\'').unwrap()).0;
        let curly = lm.advance(state, lm.symbol('\u{2019}').unwrap()).0;
        assert_eq!(ascii, curly);
        assert!(ascii > lm.advance(state, unknown.unwrap()).0);
    }

    #[test]
    fn every_state_sums_to_one() {
        for order in 1..=6 {
            for (min_count, max_ngrams) in
                [(0.0, None), (3.0, None), (0.0, Some(40)), (0.0, Some(0))]
            {
                let config = LmBuildConfig {
                    order,
                    min_count,
                    max_ngrams,
                    ..LmBuildConfig::default()
                };
                let lm = build(&config);
                if max_ngrams.is_none() && min_count == 0.0 {
                    assert_eq!(lm.order(), order, "{config:?}");
                }
                assert!(lm.order() <= order, "{config:?}");
                assert_normalized(&lm);
            }
        }
    }

    #[test]
    fn sums_to_one_with_the_fst_itself() {
        // The same check read straight off the rustfst acceptor, independent of the runtime:
        // follow the epsilon (backoff) arc only when the state has no arc for the label.
        let config = LmBuildConfig {
            order: 4,
            max_ngrams: Some(60),
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        for &(w, c) in WORDS {
            counter.add_word(w, c);
        }
        let fst = counter.build(&config).unwrap().fst;
        let mut labels: Vec<u32> = (0..fst.num_states() as u32)
            .flat_map(|s| {
                fst.get_trs(s)
                    .unwrap()
                    .trs()
                    .iter()
                    .map(|t| t.ilabel)
                    .collect::<Vec<_>>()
            })
            .filter(|&l| l != 0)
            .collect();
        labels.sort_unstable();
        labels.dedup();
        for s in 0..fst.num_states() as u32 {
            let mut total = 0.0f64;
            for &l in &labels {
                let (mut state, mut cost) = (s, 0.0f64);
                loop {
                    let trs = fst.get_trs(state).unwrap();
                    if let Some(t) = trs.trs().iter().find(|t| t.ilabel == l) {
                        cost += *t.weight.value() as f64;
                        break;
                    }
                    let back = trs
                        .trs()
                        .iter()
                        .find(|t| t.ilabel == 0)
                        .expect("backoff arc");
                    cost += *back.weight.value() as f64;
                    state = back.nextstate;
                }
                total += (-cost).exp();
            }
            assert!((total - 1.0).abs() < 1e-4, "state {s}: mass {total}");
        }
    }

    #[test]
    fn witten_bell_by_hand() {
        // Order 2, exponent 1: "ab" ×3 and "b" ×1, each half read as "␣ab␣" and half as
        // "⟨s⟩ab␣" (⟨s⟩: the start of a text, the start state).
        let config = LmBuildConfig {
            order: 2,
            count_exponent: 1.0,
            unk_prob: 0.01,
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        counter.add_word("ab", 3.0);
        counter.add_word("b", 1.0);
        let lm = CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap();
        let p = |lp: f32| (lp as f64).exp();
        // Unigrams over {␣, a, b}: c(␣) = 4, c(a) = 3, c(b) = 4, total 11, add-one (T = V = 3).
        let p0 = |c: f64| 0.99 * (c + 1.0) / (11.0 + 3.0);
        let start = lm.start();
        // After ⟨s⟩: a (weight 1.5, half a word), b (weight 0.5, half a word): 2 distinct
        // continuations in 1 word, so λ = 2 / (1 + 2); the seen part follows the weights.
        let pa = 1.0 / 3.0 * 1.5 / 2.0 + 2.0 / 3.0 * p0(3.0);
        let pb = 1.0 / 3.0 * 0.5 / 2.0 + 2.0 / 3.0 * p0(4.0);
        assert!((p(lm.advance_char(start, 'a').0) - pa).abs() < 1e-6);
        assert!((p(lm.advance_char(start, 'b').0) - pb).abs() < 1e-6);
        // ␣ after ⟨s⟩ is unseen: backoff α(⟨s⟩) · P0(␣), α = (1 - pa - pb) / (1 - P0(a) - P0(b)).
        let alpha = (1.0 - pa - pb) / (1.0 - p0(3.0) - p0(4.0));
        assert!((p(lm.advance_char(start, ' ').0) - alpha * p0(4.0)).abs() < 1e-6);
        assert!((p(lm.advance_char(start, '%').0) - alpha * 0.01).abs() < 1e-6);
        // After a: b only (weight 3, one word): λ = 1 / (1 + 1).
        let (_, after_a) = lm.advance_char(start, 'a');
        assert!((p(lm.advance_char(after_a, 'b').0) - (0.5 + 0.5 * p0(4.0))).abs() < 1e-6);
        // After a space (inside a text): the other half, the same shares.
        let after_space = lm.state_after("b ");
        assert_ne!(after_space, start);
        let (pa_mid, _) = lm.advance_char(after_space, 'a');
        assert!((p(pa_mid) - pa).abs() < 1e-6);
    }

    #[test]
    fn backoff_reaches_lower_orders() {
        let lm = build(&LmBuildConfig {
            order: 5,
            ..LmBuildConfig::default()
        });
        // "thez" was never seen: the model backs off down to the unigram of 'z'... but never
        // gives it zero.
        let (lp, state) = lm.log_prob(lm.start(), "thez");
        assert!(lp.is_finite() && lp < lm.log_prob(lm.start(), "then").0);
        // After an unseen character, the history is lost: the next state is the same as after
        // reading the unknown character from anywhere.
        let (_, from_start) = lm.advance_char(lm.start(), '#');
        assert_eq!(lm.advance_char(state, '#').1, from_start);
        // Uppercase reads as lowercase; an unknown character as the unknown symbol.
        assert_eq!(
            lm.advance_char(lm.start(), 'T'),
            lm.advance_char(lm.start(), 't')
        );
        assert_eq!(lm.symbol('%'), lm.symbol('#'));
        assert_eq!(lm.symbol('\n'), lm.symbol(' '));
        // Context: only the last MAX_CONTEXT_CHARS characters matter.
        let long = format!("{}new ", "x".repeat(100));
        assert_eq!(
            lm.state_after(&long),
            lm.state_after("xxxxxxxxxxxxxxxxnew ")
        );
        assert!(
            lm.advance_char(lm.state_after("new "), 'y').0 > lm.advance_char(lm.start(), 'y').0
        );
    }

    #[test]
    fn bytes_round_trip() {
        let config = LmBuildConfig {
            order: 4,
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        for &(w, c) in WORDS {
            counter.add_word(w, c);
        }
        let built = counter.build(&config).unwrap();
        let bytes = built.to_bytes().unwrap();
        assert_eq!(&bytes[..4], &FST_MAGIC.to_le_bytes());
        let a = CharLm::from_fst(&built.fst).unwrap();
        let b = CharLm::from_bytes(&bytes).unwrap();
        assert_eq!(
            (a.num_states(), a.num_arcs()),
            (b.num_states(), b.num_arcs())
        );
        assert_eq!(b.num_arcs(), built.stats.arcs);
        for w in ["the", "york", "zzz", "café"] {
            assert_eq!(a.word_log_prob(w), b.word_log_prob(w));
        }
        // Truncated files are errors.
        for cut in [0, 3, 20, 60, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                matches!(
                    CharLm::from_bytes(&bytes[..cut]),
                    Err(Error::LanguagePack { .. })
                ),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn rejects_malformed_models() {
        let mut fst = VectorFst::<TropicalWeight>::new();
        let s0 = fst.add_state();
        let s1 = fst.add_state();
        fst.set_start(s0).unwrap();
        fst.add_tr(s0, Tr::new(0, 0, 0.5, s1)).unwrap();
        fst.add_tr(s1, Tr::new(0, 0, 0.5, s0)).unwrap();
        assert!(
            matches!(CharLm::from_fst(&fst), Err(Error::LanguagePack { reason: m, .. }) if m.contains("cycle"))
        );

        let mut fst = VectorFst::<TropicalWeight>::new();
        let s0 = fst.add_state();
        fst.set_start(s0).unwrap();
        fst.add_tr(s0, Tr::new(97, 98, 0.5, s0)).unwrap();
        assert!(
            matches!(CharLm::from_fst(&fst), Err(Error::LanguagePack { reason: m, .. }) if m.contains("acceptor"))
        );

        let mut fst = VectorFst::<TropicalWeight>::new();
        let s0 = fst.add_state();
        fst.set_start(s0).unwrap();
        fst.add_tr(s0, Tr::new(0xD800, 0xD800, 0.5, s0)).unwrap();
        assert!(
            matches!(CharLm::from_fst(&fst), Err(Error::LanguagePack { reason: m, .. }) if m.contains("Unicode"))
        );

        let mut fst = VectorFst::<TropicalWeight>::new();
        let s0 = fst.add_state();
        fst.set_start(s0).unwrap();
        fst.add_tr(s0, Tr::new(97, 97, f32::NAN, s0)).unwrap();
        assert!(CharLm::from_fst(&fst).is_err());

        assert!(CharLm::from_fst(&VectorFst::<TropicalWeight>::new()).is_err());
        assert!(matches!(
            CharLm::from_bytes(b"not an fst at all"),
            Err(Error::LanguagePack { .. })
        ));
    }

    #[test]
    fn an_lm_without_unk_still_scores_everything() {
        // A one-state model over {a}: other characters have no path and cost NO_PATH_COST.
        let mut fst = VectorFst::<TropicalWeight>::new();
        let s0 = fst.add_state();
        fst.set_start(s0).unwrap();
        fst.add_tr(s0, Tr::new(97, 97, 0.0, s0)).unwrap();
        let lm = CharLm::from_fst(&fst).unwrap();
        assert_eq!(lm.symbol('b'), None);
        assert_eq!(
            lm.advance_char(lm.start(), 'b'),
            (-NO_PATH_COST, lm.start())
        );
        assert_eq!(lm.advance_char(lm.start(), 'a'), (0.0, lm.start()));
        assert_eq!(lm.order(), 1);
    }

    proptest! {
        #[test]
        fn corrupted_files_never_panic(
            cut in 0usize..2000,
            flips in proptest::collection::vec((0usize..2000, any::<u8>()), 0..8),
        ) {
            let config = LmBuildConfig { order: 3, ..LmBuildConfig::default() };
            let mut counter = NgramCounter::new(&config).unwrap();
            counter.add_word("then", 3.0);
            counter.add_word("that", 2.0);
            let mut bytes = counter.build(&config).unwrap().to_bytes().unwrap();
            for (at, b) in flips {
                let n = bytes.len();
                bytes[at % n] = b;
            }
            bytes.truncate(cut.max(1));
            if let Ok(lm) = CharLm::from_bytes(&bytes) {
                // Whatever loads is usable.
                let _ = lm.word_log_prob("that");
                let _ = lm.state_after("the cat");
            }
        }

        #[test]
        fn random_corpora_sum_to_one(
            words in proptest::collection::vec(("[abc' ]{1,6}", 1.0f64..1000.0), 1..30),
            order in 1usize..6,
            max_ngrams in proptest::option::of(0usize..50),
            exponent in 0.0f64..=1.0,
        ) {
            let config = LmBuildConfig {
                order,
                max_ngrams,
                count_exponent: exponent,
                ..LmBuildConfig::default()
            };
            let mut counter = NgramCounter::new(&config).unwrap();
            for (w, c) in &words {
                counter.add_word(w, *c);
            }
            let lm = CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap();
            assert_normalized(&lm);
        }
    }
}
