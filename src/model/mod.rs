//! Stage 3: the recognition network, a bidirectional QRNN over curve features, run on small Rust
//! kernels with f32 or int8 weights.
//!
//! Load → validate → run: [`Model::from_bytes`] (or [`Model::load`]) parses the safetensors file
//! and checks its version, sizes and shapes (`src/model/format.rs` documents the layout); [`Model::forward`]
//! turns a feature matrix into per-curve log-probabilities over the alphabet plus the CTC blank.

pub(crate) mod format;
pub(crate) mod kernels;
mod logprobs;
mod qrnn;

use std::collections::HashMap;
use std::path::Path;

pub use format::Architecture;
use kernels::{Dense, Weights};
pub use logprobs::LogProbs;

use crate::error::{Error, Result};
use crate::features::FEATURE_DIM;

/// The instruction set of the kernels this processor runs (`"avx2+fma"`, `"portable"`), for
/// reports; chosen once at run time.
pub fn kernel_name() -> &'static str {
    kernels::kernels().name
}

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
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_bytes(&bytes).map_err(|e| e.in_file(path))
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
        let mut x: Vec<f32> = Vec::with_capacity(features.len() * self.arch.input_dim);
        for row in features {
            // `feature_mean` has `input_dim` entries: a model reads the first `input_dim` features.
            for ((v, m), s) in row.iter().zip(&self.feature_mean).zip(&self.feature_std) {
                x.push((v - m) / s);
            }
        }
        let mut scratch = qrnn::Scratch::default();
        let mut d_in = self.arch.input_dim;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FEATURE_DIM, PAPER_FEATURE_DIM, SplitMix64, Y_FEATURE};
    use safetensors::tensor::{Dtype, TensorView};

    const HIDDEN: usize = 4;
    const KERNEL: usize = 2;
    const SYMBOLS: usize = 3;

    /// An f32 model file with one layer; `first_layer(row, column)` gives layer 0's weights.
    fn model_bytes(input_dim: usize, first_layer: impl Fn(usize, usize) -> f32) -> Vec<u8> {
        let mut rng = SplitMix64::new(7);
        let mut random = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| (rng.next_u64() % 2001) as f32 / 1000.0 - 1.0)
                .collect()
        };
        let cols = KERNEL * input_dim;
        let mut tensors: Vec<(String, Vec<f32>, Vec<usize>)> = Vec::new();
        for dir in ["fwd", "bwd"] {
            let w = (0..3 * HIDDEN * cols)
                .map(|i| first_layer(i / cols, i % cols))
                .collect();
            tensors.push((format!("qrnn.0.{dir}.weight"), w, vec![3 * HIDDEN, cols]));
            tensors.push((
                format!("qrnn.0.{dir}.bias"),
                random(3 * HIDDEN),
                vec![3 * HIDDEN],
            ));
        }
        let out = random(SYMBOLS * 2 * HIDDEN);
        tensors.push(("out.weight".into(), out, vec![SYMBOLS, 2 * HIDDEN]));
        tensors.push(("out.bias".into(), random(SYMBOLS), vec![SYMBOLS]));
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
            .into_iter()
            .map(|(n, v, s)| (n, v.iter().flat_map(|x| x.to_le_bytes()).collect(), s))
            .collect();
        let views: Vec<(String, TensorView)> = bytes
            .iter()
            .map(|(n, b, s)| {
                (
                    n.clone(),
                    TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
                )
            })
            .collect();
        let ones = format!("{:?}", vec![1.0f32; input_dim]);
        let zeros = format!("{:?}", vec![0.0f32; input_dim]);
        let metadata: HashMap<String, String> = [
            ("format", "inkjot-model".to_string()),
            ("version", format::FORMAT_VERSION.to_string()),
            ("alphabet", r#"["", "a", "b"]"#.to_string()),
            (
                "arch",
                format!(
                    r#"{{"type": "bi-qrnn", "layers": 1, "hidden": {HIDDEN}, "kernel": {KERNEL}, "input_dim": {input_dim}}}"#
                ),
            ),
            ("feature_mean", zeros),
            ("feature_std", ones),
            ("quantization", "none".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let bytes = safetensors::serialize(views, &Some(metadata)).unwrap();
        crate::checksum::seal_safetensors(&bytes).unwrap()
    }

    /// Layer-0 weight of the paper-feature model at (row, column of `KERNEL * PAPER_FEATURE_DIM`).
    fn paper_weight(row: usize, col: usize) -> f32 {
        ((row * 31 + col * 17) % 23) as f32 / 23.0 - 0.5
    }

    fn rows(y: f32) -> Vec<[f32; FEATURE_DIM]> {
        (0..5)
            .map(|t| {
                let mut row = [0.0; FEATURE_DIM];
                for (i, v) in row.iter_mut().enumerate() {
                    *v = ((t * 7 + i * 3) % 11) as f32 / 10.0 - 0.4;
                }
                row[Y_FEATURE] = y;
                row
            })
            .collect()
    }

    #[test]
    fn a_model_of_the_paper_features_ignores_the_position_and_matches_its_widened_copy() {
        let paper = Model::from_bytes(&model_bytes(PAPER_FEATURE_DIM, paper_weight)).unwrap();
        assert_eq!(paper.architecture().input_dim, PAPER_FEATURE_DIM);
        // The same weights with a zero column for `y` in each kernel tap.
        let widened = Model::from_bytes(&model_bytes(FEATURE_DIM, |r, c| {
            let (tap, i) = (c / FEATURE_DIM, c % FEATURE_DIM);
            if i < PAPER_FEATURE_DIM {
                paper_weight(r, tap * PAPER_FEATURE_DIM + i)
            } else {
                0.0
            }
        }))
        .unwrap();
        let a = paper.forward(&rows(0.2));
        assert_eq!(a.frames(), 5);
        assert_eq!(a.as_slice(), paper.forward(&rows(0.9)).as_slice());
        for (x, y) in a
            .as_slice()
            .iter()
            .zip(widened.forward(&rows(0.9)).as_slice())
        {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
        // A model that does read `y` answers differently when it changes.
        let reads_y = Model::from_bytes(&model_bytes(FEATURE_DIM, |r, c| {
            paper_weight(r, c % (KERNEL * PAPER_FEATURE_DIM))
        }))
        .unwrap();
        assert_ne!(
            reads_y.forward(&rows(0.2)).as_slice(),
            reads_y.forward(&rows(0.9)).as_slice()
        );
    }

    #[test]
    fn other_input_widths_are_refused_with_a_clear_error() {
        let err = Model::from_bytes(&model_bytes(7, |_, _| 0.1)).unwrap_err();
        assert!(err.to_string().contains("input_dim 7"), "{err}");
    }
}
