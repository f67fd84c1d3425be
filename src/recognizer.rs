//! The facade applications call: ink in, ranked candidates out.
//!
//! A [`Recognizer`] shares a [`Model`] (an [`Arc`], so recognizers for several languages hold
//! one copy of the weights; [`crate::Models`] makes them) and, optionally, a language pack's beam decoder, and runs the
//! pipeline `ink → features → model → decoder → candidates`.
//!
//! Decoding: with a language pack and [`RecognizeOptions::use_lm`], CTC prefix beam search fused
//! with the pack's character LM, started from the pre-context; candidate scores are then the log of
//! each candidate's share of the returned list (their `exp` sums to 1). Without an LM (no pack, or
//! `use_lm` false): greedy best-path decoding, one candidate whose score is the log-probability of
//! that path. It is immutable after construction
//! (`Send + Sync`), so one recognizer can serve many threads at once.

use std::path::Path;
use std::sync::Arc;

use crate::decode::align::{Alignment, SymbolIndex, forced_align};
use crate::decode::confidence::{ConfidenceFeatures, confidence};
use crate::decode::{
    BeamDecoder, Candidate, ConfidenceMaps, LanguagePack, LogProbs, UserWords, greedy,
};
use crate::error::{Error, Result};
use crate::features::{
    FEATURE_DIM, FeatureConfig, PointRange, WritingArea, curve_features, curve_spans, featurize,
    fit_ink,
};
use crate::ink::Ink;
use crate::lines::{TextLine, join_candidates, split_lines};
use crate::model::Model;
use crate::segment::segment;

/// Most candidates one call may ask for ([`RecognizeOptions::nbest`]); the C ABI, the JNI bridge,
/// the CLI and the demo server all enforce this one limit.
pub const MAX_NBEST: usize = 100;

/// Checks a number of candidates asked for: 1 to [`MAX_NBEST`], else
/// [`Error::NbestOutOfRange`]. Every interface checks through this before doing any work.
pub fn check_nbest(nbest: usize) -> Result<()> {
    if (1..=MAX_NBEST).contains(&nbest) {
        Ok(())
    } else {
        Err(Error::NbestOutOfRange {
            nbest,
            max: MAX_NBEST,
        })
    }
}

/// The library's version (its Cargo package version, e.g. "0.1.0").
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Per-call options.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizeOptions {
    /// Most candidates to return (1 to [`MAX_NBEST`]).
    pub nbest: usize,
    /// The area the user wrote in, for scale normalization.
    pub writing_area: WritingArea,
    /// Text before the cursor (the last ~20 characters are used) to condition the language model.
    pub pre_context: String,
    /// Decode with the language model when the recognizer has one (false: greedy, no LM).
    pub use_lm: bool,
    /// Words the decoder favours (contacts, a personal dictionary), on top of the language pack;
    /// used with the LM only. Shared, so one list serves many calls.
    pub user_words: Option<Arc<UserWords>>,
    /// Fill each candidate's [`Candidate::segments`]: which strokes and points wrote each
    /// character and word ([`crate::segment`]), in batch recognition and streaming sessions.
    pub segments: bool,
    /// Split the ink into lines of writing ([`crate::lines`]), recognize each and join them with
    /// `\n` ([`Recognition::lines`]); false reads the whole ink as one line.
    pub lines: bool,
}

impl Default for RecognizeOptions {
    fn default() -> Self {
        RecognizeOptions {
            nbest: 5,
            writing_area: WritingArea::Auto,
            pre_context: String::new(),
            use_lm: true,
            user_words: None,
            segments: false,
            lines: true,
        }
    }
}

/// The result of recognizing one ink.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognition {
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Number of curves the ink was fitted with (frames the network saw), over all lines.
    pub curves: usize,
    /// The lines of the ink, top to bottom, each with the best candidate's text for it, whose
    /// text joins them with `\n`; one line holding every stroke when the ink is not split.
    /// Empty when there is no candidate, and from [`Recognizer::recognize_features`] (no ink).
    pub lines: Vec<TextLine>,
}

/// Recognizes handwriting with one model.
///
/// # Example
/// ```no_run
/// use inkjot::ink::{Ink, InkLimits};
/// use inkjot::recognizer::{Recognizer, RecognizeOptions};
/// let recognizer = Recognizer::from_file("models/recognizer-int8.safetensors".as_ref())?;
/// let ink = Ink::from_channels(vec![(vec![0.0, 0.0], vec![0.0, 40.0], None)], &InkLimits::default())?;
/// let result = recognizer.recognize(&ink, &RecognizeOptions::default())?;
/// println!("{:?}", result.candidates);
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug)]
pub struct Recognizer {
    model: Arc<Model>,
    features: FeatureConfig,
    decoder: Option<BeamDecoder>,
    confidence: ConfidenceMaps,
    symbols: SymbolIndex,
}

impl Recognizer {
    /// A recognizer around a loaded model, with the default feature settings.
    pub fn new(model: Model) -> Self {
        Recognizer::from_shared(Arc::new(model))
    }

    /// A recognizer around a model shared with other recognizers (e.g. one per language).
    pub fn from_shared(model: Arc<Model>) -> Self {
        let symbols = SymbolIndex::new(model.alphabet());
        Recognizer {
            model,
            features: FeatureConfig::default(),
            decoder: None,
            confidence: ConfidenceMaps::default(),
            symbols,
        }
    }

    /// Adds a language pack: its LM and beam settings are used when `use_lm` is set.
    pub fn with_language_pack(mut self, pack: &LanguagePack) -> Result<Self> {
        self.decoder = Some(pack.decoder(self.model.alphabet())?);
        self.confidence = pack.confidence;
        Ok(self)
    }

    /// True when a language pack is loaded.
    pub fn has_language_model(&self) -> bool {
        self.decoder.is_some()
    }

    /// A recognizer from the bytes of a model file (apps that ship the model inside their package).
    pub fn from_bytes(model: &[u8]) -> Result<Self> {
        Ok(Recognizer::new(Model::from_bytes(model)?))
    }

    /// Loads the model file at `path`.
    pub fn from_file(path: &Path) -> Result<Self> {
        Ok(Recognizer::new(Model::load(path)?))
    }

    /// Loads a model and, for `Some(code)`, its language pack from `dir` laid out like the
    /// shipped `models/` (`recognizer-int8.safetensors`, `<code>/lm.fst`, `<code>/decoder.json`);
    /// `dir` may also be a model file, with packs beside it. See [`crate::Models`].
    pub fn from_dir(dir: &Path, lang: Option<&str>) -> Result<Self> {
        crate::Models::from_path(dir)?.recognizer(lang)
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model in use, to share with other recognizers.
    pub fn shared_model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Runs features and network: the per-curve log-probabilities of an ink.
    pub fn log_probs(&self, ink: &Ink, area: WritingArea) -> LogProbs {
        let config = FeatureConfig {
            area,
            ..self.features
        };
        self.model.forward(&featurize(ink, &config))
    }

    /// The feature settings (fitter parameters) this recognizer computes features with.
    pub fn feature_config(&self) -> &FeatureConfig {
        &self.features
    }

    /// Recognizes one ink: line by line when [`RecognizeOptions::lines`] is set and the ink
    /// has several ([`crate::lines`]; each line after the first takes the lines before it as
    /// pre-context), else as one line.
    pub fn recognize(&self, ink: &Ink, options: &RecognizeOptions) -> Result<Recognition> {
        check_nbest(options.nbest)?;
        let lines = if options.lines {
            split_lines(ink)
        } else {
            Vec::new()
        };
        if lines.len() < 2 {
            let mut recognition = self.recognize_line(ink, options)?;
            recognition.lines = whole_line(ink, &recognition.candidates);
            return Ok(recognition);
        }
        let mut per_line = Vec::with_capacity(lines.len());
        let mut curves = 0;
        let mut line_options = options.clone();
        for line in &lines {
            let Some(line_ink) = ink.select_strokes(&line.strokes) else {
                per_line.push(Vec::new());
                continue;
            };
            let recognition = self.recognize_line(&line_ink, &line_options)?;
            curves += recognition.curves;
            if let Some(best) = recognition.candidates.first() {
                line_options.pre_context =
                    format!("{}{} ", line_options.pre_context, best.text.trim());
            }
            per_line.push(recognition.candidates);
        }
        let shares = self.decoder.is_some() && options.use_lm;
        let (candidates, lines) = join_candidates(&per_line, &lines, options.nbest, shares);
        Ok(Recognition {
            candidates,
            curves,
            lines,
        })
    }

    /// Recognizes an ink as one line (no `lines` in the result).
    fn recognize_line(&self, ink: &Ink, options: &RecognizeOptions) -> Result<Recognition> {
        let config = FeatureConfig {
            area: options.writing_area,
            ..self.features
        };
        if !options.segments {
            return self.recognize_features(&featurize(ink, &config), options);
        }
        let curves = fit_ink(ink, &config);
        let rows: Vec<[f32; FEATURE_DIM]> = curves.iter().map(curve_features).collect();
        let lengths: Vec<usize> = ink.strokes().iter().map(|s| s.points.len()).collect();
        let spans = curve_spans(&lengths, &curves);
        let logprobs = self.model.forward(&rows);
        Ok(Recognition {
            candidates: self.finish(
                self.decode(&logprobs, options)?,
                &logprobs,
                options,
                Some((ink, &spans)),
            ),
            curves: logprobs.frames(),
            lines: Vec::new(),
        })
    }

    /// Network and decoder on feature rows computed with [`Recognizer::feature_config`].
    /// Candidates get their confidence; segments need the ink ([`Recognizer::recognize`],
    /// [`crate::Session::candidates`]).
    pub fn recognize_features(
        &self,
        features: &[[f32; FEATURE_DIM]],
        options: &RecognizeOptions,
    ) -> Result<Recognition> {
        self.recognize_rows(features, None, options)
    }

    /// [`Recognizer::recognize_features`] with, for segments, the ink and each row's curve span.
    pub(crate) fn recognize_rows(
        &self,
        features: &[[f32; FEATURE_DIM]],
        ink: Option<(&Ink, &[Option<PointRange>])>,
        options: &RecognizeOptions,
    ) -> Result<Recognition> {
        check_nbest(options.nbest)?;
        let logprobs = self.model.forward(features);
        let candidates = self.finish(self.decode(&logprobs, options)?, &logprobs, options, ink);
        Ok(Recognition {
            lines: ink.map_or_else(Vec::new, |(ink, _)| whole_line(ink, &candidates)),
            candidates,
            curves: logprobs.frames(),
        })
    }

    /// Aligns each candidate to the frames, sets its calibrated confidence and, with the ink and
    /// its curve spans, its segments.
    fn finish(
        &self,
        mut candidates: Vec<Candidate>,
        logprobs: &LogProbs,
        options: &RecognizeOptions,
        ink: Option<(&Ink, &[Option<PointRange>])>,
    ) -> Vec<Candidate> {
        let map = if self.decoder.is_some() && options.use_lm {
            self.confidence.beam
        } else {
            self.confidence.greedy
        };
        let analysed = self.analyse(&candidates, logprobs);
        for (candidate, (features, alignment)) in candidates.iter_mut().zip(analysed) {
            candidate.confidence = confidence(&features, map.as_ref());
            if let Some((ink, spans)) = ink {
                candidate.segments = segment(ink, spans, alignment.as_ref(), &candidate.text);
            }
        }
        candidates
    }

    /// The confidence features of decoded candidates (best first, as [`Recognizer::decode`]
    /// returns them) over the frames they were decoded from: what the confidence maps weigh.
    pub fn confidence_features(
        &self,
        candidates: &[Candidate],
        logprobs: &LogProbs,
    ) -> Vec<ConfidenceFeatures> {
        self.analyse(candidates, logprobs)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    /// Each candidate's confidence features and forced alignment.
    fn analyse(
        &self,
        candidates: &[Candidate],
        logprobs: &LogProbs,
    ) -> Vec<(ConfidenceFeatures, Option<Alignment>)> {
        let shares: Vec<f32> = candidates.iter().map(|c| c.score.exp()).collect();
        candidates
            .iter()
            .enumerate()
            .map(|(i, candidate)| {
                let alignment = forced_align(logprobs, &self.symbols.labels(&candidate.text));
                let features = ConfidenceFeatures {
                    score: candidate.score,
                    margin: shares[i] - shares.get(i + 1).copied().unwrap_or(0.0),
                    mean_posterior: alignment.as_ref().map_or(0.0, Alignment::mean_posterior),
                    min_char_posterior: alignment
                        .as_ref()
                        .map_or(0.0, Alignment::min_char_posterior),
                    length: candidate.text.trim().chars().count(),
                };
                (features, alignment)
            })
            .collect()
    }

    /// Decodes network output: beam search with the language pack when there is one and
    /// `options.use_lm` is set, else greedy (see the module docs for the scores' meaning).
    pub fn decode(
        &self,
        logprobs: &LogProbs,
        options: &RecognizeOptions,
    ) -> Result<Vec<Candidate>> {
        Ok(match &self.decoder {
            Some(decoder) if options.use_lm => decoder.decode_with(
                logprobs,
                &options.pre_context,
                options.nbest,
                options.user_words.as_deref(),
            )?,
            _ => vec![greedy(logprobs, self.model.alphabet())],
        })
    }
}

/// The one line of an ink read whole: the best candidate's text, every stroke, the ink's box
/// (nothing when there is no candidate).
pub(crate) fn whole_line(ink: &Ink, candidates: &[Candidate]) -> Vec<TextLine> {
    candidates
        .first()
        .map(|best| TextLine {
            text: best.text.trim().to_string(),
            strokes: (0..ink.strokes().len()).collect(),
            bbox: ink.bounding_box(),
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ink::InkLimits;

    #[test]
    fn nbest_is_limited_by_one_constant() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-model.safetensors");
        let recognizer = Recognizer::from_file(&path).unwrap();
        let ink = Ink::from_channels(
            vec![(vec![0.0, 4.0, 9.0], vec![0.0, 20.0, 3.0], None)],
            &InkLimits::default(),
        )
        .unwrap();
        for nbest in [0, MAX_NBEST + 1, usize::MAX] {
            let options = RecognizeOptions {
                nbest,
                ..RecognizeOptions::default()
            };
            let err = recognizer.recognize(&ink, &options).unwrap_err();
            assert!(
                matches!(err, Error::NbestOutOfRange { nbest: n, max: MAX_NBEST } if n == nbest),
                "{err}"
            );
            assert!(err.to_string().contains("nbest"), "{err}");
        }
        let options = RecognizeOptions {
            nbest: MAX_NBEST,
            ..RecognizeOptions::default()
        };
        assert!(recognizer.recognize(&ink, &options).is_ok());
        // The C header's constant is the same limit.
        assert_eq!(crate::ffi::INKJOT_MAX_NBEST, MAX_NBEST);
    }
}
