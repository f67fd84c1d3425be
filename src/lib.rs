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
//! - [`session`]: streaming recognition, point by point, fitting each finished stroke once.
//! - [`metrics`]: character and word error rates for evaluation.
//! - [`render`]: SVG pictures of inks and their curves.
//! - [`error`]: the error type shared by every stage.
//! - [`checksum`]: the CRC-32 that model files and language packs carry.
//!
//! # Example
//!
//! What an app needs is re-exported here: [`Models`] resolves the model and a language pack (one
//! model shared by every recognizer made from it), [`Ink`] validates strokes, and a
//! [`Recognizer`] returns ranked [`Candidate`]s.
//!
//! ```
//! use inkjot::{Ink, InkLimits, Models, RecognizeOptions};
//! let models = Models::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/models").as_ref())?;
//! let recognizer = models.recognizer(Some("en"))?;
//! // One stroke: x, y and (optional) time per point.
//! let ink = Ink::from_channels(
//!     vec![(vec![0.0, 2.0, 4.0, 6.0], vec![0.0, 30.0, 30.0, 0.0], None)],
//!     &InkLimits::default(),
//! )?;
//! let result = recognizer.recognize(&ink, &RecognizeOptions::default())?;
//! assert!((1..=inkjot::MAX_NBEST).contains(&result.candidates.len()));
//! // With a language pack, scores are log-shares of the list: they sum to 1.
//! let total: f32 = result.candidates.iter().map(|c| c.score.exp()).sum();
//! assert!((total - 1.0).abs() < 1e-3);
//! # Ok::<(), inkjot::Error>(())
//! ```
#![deny(missing_docs)]
// `unsafe` only in the C ABI (`ffi`) and the SIMD kernels (`model::kernels`), each with an allow.
#![deny(unsafe_code)]

pub mod alphabet;
pub mod checksum;
pub mod decode;
pub mod error;
pub mod features;
#[allow(unsafe_code)] // the C ABI: raw pointers from callers; each block has a SAFETY comment
pub mod ffi;
pub mod ink;
pub mod lines;
pub mod metrics;
pub mod model;
pub mod models;
pub mod recognizer;
pub mod render;
pub mod segment;
pub mod session;
pub mod synth;

pub use decode::{Candidate, LanguagePack};
pub use error::{Error, InkError, Result};
pub use features::WritingArea;
pub use ink::{Ink, InkLimits, InkRecord, Point, Stroke};
pub use model::Model;
pub use models::Models;
pub use recognizer::{MAX_NBEST, Recognition, RecognizeOptions, Recognizer};
pub use session::{Session, SessionOptions};
