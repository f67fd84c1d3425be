//! # inkjot
//!
//! On-device online handwriting recognition, after Carbune et al., "Fast multi-language LSTM-based
//! online handwriting recognition" (IJDAR 2020). Data flows one way through one module per stage:
//!
//! ```text
//! ink (strokes of x, y, t) ─▶ features (normalize, Bézier fit, 10 values per curve)
//!   ─▶ model (bidirectional QRNN, f32 or int8) ─▶ decode (CTC) ─▶ candidates
//! ```
//!
//! - [`ink`]: the ink types, validation and file readers (JSON Lines, InkML).
//! - [`features`]: normalization, cubic Bézier fitting in (x, y, t) and the per-curve features.
//! - [`error`]: the error type shared by every stage.
#![deny(missing_docs)]

pub mod decode;
pub mod error;
pub mod features;
pub mod ink;
pub mod model;
pub mod render;

pub use error::{Error, InkError, Result};
