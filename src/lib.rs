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
//! - [`model`]: the network: loading and validating a model file, the forward pass (kernels and
//!   the file format stay inside the crate).
//! - [`decode`]: CTC decoding of the network's output into candidates.
//! - [`recognizer`]: the facade that runs the whole pipeline.
//! - [`models`]: where the model and language packs come from ([`Models`]).
//! - [`metrics`]: character and word error rates for evaluation.
//! - [`render`]: SVG pictures of inks and their curves.
//! - [`error`]: the error type shared by every stage.
#![deny(missing_docs)]
// `unsafe` only in the C ABI (`ffi`) and the SIMD kernels (`model::kernels`), each with an allow.
#![deny(unsafe_code)]

pub mod decode;
pub mod error;
pub mod features;
#[allow(unsafe_code)] // the C ABI: raw pointers from callers; each block has a SAFETY comment
pub mod ffi;
pub mod ink;
pub mod metrics;
pub mod model;
pub mod models;
pub mod recognizer;
pub mod render;

pub use decode::{Candidate, LanguagePack};
pub use error::{Error, InkError, Result};
pub use features::WritingArea;
pub use ink::{Ink, InkLimits, InkRecord, Point, Stroke};
pub use model::Model;
pub use models::Models;
pub use recognizer::{MAX_NBEST, Recognition, RecognizeOptions, Recognizer};
