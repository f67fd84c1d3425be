//! Stage 4: from the network's per-curve log-probabilities to ranked text candidates.
//!
//! The input is a [`LogProbs`] matrix from [`crate::model`] (one row per curve, one column per alphabet symbol, column 0
//! the CTC blank).
//!
//! - [`greedy`] takes the best symbol per row and collapses repeats and blanks.
//! - [`beam`]: CTC prefix beam search ([`BeamDecoder`], [`beam_search`]), optionally fused with a
//!   character LM and started from the text before the cursor.
//! - [`lm`]: the character n-gram LM at run time ([`CharLm`]), an OpenFST backoff acceptor.
//! - [`lm_compact`]: the same LM in a compact runtime file format (quantized costs, `lm.bin`).
//! - [`lm_build`]: building that LM from word frequencies and text (`inkjot lm build`).
//! - [`align`]: CTC forced alignment of any candidate's text (segmentation, confidence).
//! - [`confidence`]: calibrated confidence of candidates.
//! - [`pack`]: language packs, `models/<lang>/{lm.fst or lm.bin, decoder.json}` ([`LanguagePack`]).
//! - [`user_words`]: a user's own words the search favours ([`UserWords`]).

pub mod align;
pub mod beam;
mod case;
pub mod confidence;
mod greedy;
pub mod lm;
pub mod lm_build;
pub mod lm_compact;
pub mod pack;
pub mod user_words;
pub mod word_pairs;

pub use beam::{BeamConfig, BeamDecoder, Hypothesis, beam_search};
pub use confidence::{Calibration, ConfidenceFeatures, ConfidenceMaps};
pub use greedy::greedy;
pub use lm::{CharLm, LmFormat, LmState, LmSymbol, Perplexity};
pub use lm_build::{
    BuildReport, CaseStats, LmBuildConfig, LmBuildJob, NgramCounter, WordCase, WordPairsJob,
    build_from_files,
};
pub use pack::LanguagePack;
pub use user_words::UserWords;
pub use word_pairs::WordPairs;

/// The network's output, decoded here; defined by the model that produces it.
pub use crate::model::LogProbs;

/// One recognition result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// The recognized text.
    pub text: String,
    /// Natural-log score of the candidate (higher is better); see the decoder for its meaning.
    pub score: f32,
    /// Probability in [0, 1] that the candidate is what was written, calibrated on UNIPEN valid
    /// words where the pack has a map ([`confidence`]); decoders set the raw `exp(score)` and the
    /// [`Recognizer`](crate::Recognizer) the calibrated value.
    pub confidence: f32,
    /// Which ink wrote each character and word, when asked for
    /// ([`RecognizeOptions::segments`](crate::RecognizeOptions::segments)); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<crate::segment::Segment>,
}

impl Candidate {
    /// A candidate with its raw confidence (`exp(score)`, in [0, 1]) and no segments.
    pub fn new(text: String, score: f32) -> Self {
        let confidence = if score.is_nan() {
            0.0
        } else {
            score.exp().clamp(0.0, 1.0)
        };
        Candidate {
            text,
            score,
            confidence,
            segments: Vec::new(),
        }
    }
}
