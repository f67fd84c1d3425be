//! # inkjot
//!
//! On-device online handwriting recognition, after Carbune et al., "Fast multi-language LSTM-based
//! online handwriting recognition" (IJDAR 2020). Data flows one way through one module per stage:
//!
//! ```text
//! ink (strokes of x, y, t) ─▶ features (normalize, Bézier fit, 11 values per curve)
//!   ─▶ model (bidirectional QRNN, f32 or int8) ─▶ decode (CTC) ─▶ candidates
//! ```
//!
//! - [`ink`]: the ink types, validation and file readers (JSON Lines, InkML).
//! - [`features`]: normalization, cubic Bézier fitting in (x, y, t) and the per-curve features.
//! - [`model`]: the network file format, kernels and forward pass.
//! - [`decode`]: CTC decoding of the network's output into candidates.
//! - [`recognizer`]: the facade that runs the whole pipeline.
//! - [`session`]: streaming recognition, point by point, fitting each finished stroke once.
//! - [`metrics`]: character and word error rates for evaluation.
//! - [`render`]: SVG pictures of inks and their curves.
//! - [`error`]: the error type shared by every stage.
#![deny(missing_docs)]

pub mod decode;
pub mod error;
pub mod features;
pub mod ffi;
pub mod ink;
pub mod metrics;
pub mod model;
pub mod recognizer;
pub mod render;
pub mod session;

pub use error::{Error, InkError, Result};
pub use recognizer::{Recognition, RecognizeOptions, Recognizer};
pub use session::{Session, SessionOptions};
