//! Stage 3: the recognition network, a bidirectional QRNN over curve features, run on small Rust
//! kernels with f32 or int8 weights.
//!
//! Load → validate → run: [`Model::from_bytes`] (or [`Model::load`]) parses the safetensors file
//! and checks its version, sizes and shapes ([`format`] documents the layout); [`Model::forward`]
//! turns a feature matrix into per-curve log-probabilities over the alphabet plus the CTC blank.

pub mod format;
pub mod kernels;
mod qrnn;

use std::collections::HashMap;
use std::path::Path;

pub use format::Architecture;
use kernels::{Dense, Weights};

use crate::decode::LogProbs;
use crate::error::{Error, Result};
use crate::features::FEATURE_DIM;

/// A loaded, validated recognition model. Immutable: one model can serve many threads at once.
pub struct Model {
    alphabet: Vec<String>,
    arch: Architecture,
    feature_mean: Vec<f32>,
    feature_std: Vec<f32>,
    layers: Vec<[Dense; 2]>,
    output: Dense,
    metadata: HashMap<String, String>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("arch", &self.arch)
            .field("symbols", &self.alphabet.len())
            .field("int8", &self.is_int8())
            .finish()
    }
}

impl Model {
    /// Parses and validates a model from the bytes of its safetensors file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let parts = format::parse(bytes)?;
        Ok(Model {
            alphabet: parts.alphabet,
            arch: parts.arch,
            feature_mean: parts.feature_mean,
            feature_std: parts.feature_std,
            layers: parts.layers,
            output: parts.output,
            metadata: parts.metadata,
        })
    }

    /// Reads and validates a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", path.display()),
            ))
        })?;
        Model::from_bytes(&bytes)
    }

    /// The output symbols; index 0 is the CTC blank ("").
    pub fn alphabet(&self) -> &[String] {
        &self.alphabet
    }

    /// The network's shape.
    pub fn architecture(&self) -> Architecture {
        self.arch
    }

    /// True when the weights are int8-quantized.
    pub fn is_int8(&self) -> bool {
        matches!(self.output.weights, Weights::Int8 { .. })
    }

    /// The file's metadata strings (training description, measured CER, ...).
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .chain(std::iter::once(&self.output))
            .map(|d| d.rows * d.cols + d.rows)
            .sum()
    }

    /// Runs the network on the feature rows of one ink (see [`crate::features::featurize`]).
    ///
    /// Returns one row of log-probabilities per curve; an ink with no curves gives an empty matrix.
    pub fn forward(&self, features: &[[f32; FEATURE_DIM]]) -> LogProbs {
        let mut x: Vec<f32> = Vec::with_capacity(features.len() * FEATURE_DIM);
        for row in features {
            for ((v, m), s) in row.iter().zip(&self.feature_mean).zip(&self.feature_std) {
                x.push((v - m) / s);
            }
        }
        let mut scratch = qrnn::Scratch::default();
        let mut d_in = FEATURE_DIM;
        for convs in &self.layers {
            x = qrnn::layer(
                convs,
                self.arch.kernel,
                self.arch.hidden,
                &x,
                d_in,
                &mut scratch,
            );
            d_in = 2 * self.arch.hidden;
        }
        let mut logits = Vec::new();
        self.output.apply(&x, &mut logits);
        for row in logits.chunks_exact_mut(self.alphabet.len()) {
            log_softmax(row);
        }
        LogProbs::from_rows(logits, self.alphabet.len())
    }
}

fn log_softmax(row: &mut [f32]) {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
    let log_sum = max + sum.ln();
    row.iter_mut().for_each(|v| *v -= log_sum);
}
