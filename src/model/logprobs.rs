//! The network's output type: per-curve log-probabilities over the alphabet plus the CTC blank.

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
