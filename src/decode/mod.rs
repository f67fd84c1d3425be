//! Stage 4: from the network's per-curve log-probabilities to ranked text candidates.
//!
//! The input is a [`LogProbs`] matrix (one row per curve, one column per alphabet symbol, column 0
//! the CTC blank).
//!
//! - [`greedy`] takes the best symbol per row and collapses repeats and blanks.
//! - [`beam`]: CTC prefix beam search ([`BeamDecoder`], [`beam_search`]), optionally fused with a
//!   character LM and started from the text before the cursor.
//! - [`lm`]: the character n-gram LM at run time ([`CharLm`]), an OpenFST backoff acceptor.
//! - [`lm_build`]: building that LM from word frequencies and text (`inkjot lm build`).
//! - [`pack`]: language packs, `models/<lang>/{lm.fst, decoder.json}` ([`LanguagePack`]).

pub mod beam;
mod greedy;
pub mod lm;
pub mod lm_build;
pub mod pack;

pub use beam::{BeamConfig, BeamDecoder, Hypothesis, beam_search};
pub use greedy::greedy;
pub use lm::{CharLm, LmState, LmSymbol, Perplexity};
pub use lm_build::{BuildReport, LmBuildConfig, LmBuildJob, NgramCounter, build_from_files};
pub use pack::LanguagePack;

/// A row-major `[frames, symbols]` matrix of natural-log probabilities; column 0 is the CTC blank.
#[derive(Debug, Clone, PartialEq)]
pub struct LogProbs {
    data: Vec<f32>,
    symbols: usize,
}

impl LogProbs {
    /// Wraps `data` as `[data.len() / symbols, symbols]`; `None` when the length does not divide
    /// or `symbols` is 0.
    pub fn new(data: Vec<f32>, symbols: usize) -> Option<Self> {
        (symbols > 0 && data.len() % symbols == 0).then_some(LogProbs { data, symbols })
    }

    /// Wraps rows the caller built with exactly `symbols` values each (`symbols` > 0).
    pub(crate) fn from_rows(data: Vec<f32>, symbols: usize) -> Self {
        debug_assert!(symbols > 0 && data.len() % symbols == 0);
        LogProbs { data, symbols }
    }

    /// Number of frames (rows).
    pub fn frames(&self) -> usize {
        self.data.len() / self.symbols
    }

    /// Number of symbols (columns), blank included.
    pub fn symbols(&self) -> usize {
        self.symbols
    }

    /// The log-probabilities of frame `t`.
    pub fn row(&self, t: usize) -> &[f32] {
        &self.data[t * self.symbols..(t + 1) * self.symbols]
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }
}

/// One recognition result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// The recognized text.
    pub text: String,
    /// Natural-log score of the candidate (higher is better); see the decoder for its meaning.
    pub score: f32,
}
