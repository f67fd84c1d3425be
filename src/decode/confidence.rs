//! Calibrated confidence: the probability that a candidate is exactly what was written.
//!
//! Each candidate gets [`ConfidenceFeatures`] from its score, its neighbours in the list and its
//! forced alignment ([`super::align`]); a [`Calibration`] (a logistic map fitted by
//! `scripts/fit_confidence.py` on UNIPEN valid words, see docs/confidence.md) turns them into a
//! number in [0, 1]. Beam search (with an LM) and greedy decoding have a map each, stored in a
//! language pack's `decoder.json` under `confidence` (sealed with the pack). Without a map the
//! confidence is the uncalibrated `exp(score)`: the candidate's share of the list for the beam
//! search, the best path's probability for greedy decoding.

/// Number of features a [`Calibration`] weighs.
pub const CONFIDENCE_FEATURES: usize = 5;

/// Names of the features, in the order of [`ConfidenceFeatures::values`] and of a
/// [`Calibration`]'s weights.
pub const CONFIDENCE_FEATURE_NAMES: [&str; CONFIDENCE_FEATURES] = [
    "log_share",
    "margin",
    "mean_posterior",
    "min_char_posterior",
    "log_length",
];

/// What the confidence of one candidate is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceFeatures {
    /// The candidate's score: for beam search the log of its share of the list, for greedy the
    /// log-probability of the best path.
    pub score: f32,
    /// Its share minus the next candidate's (its share when it is the last).
    pub margin: f32,
    /// Mean per-frame probability along its alignment.
    pub mean_posterior: f32,
    /// Smallest best-frame probability over its characters.
    pub min_char_posterior: f32,
    /// Number of characters.
    pub length: usize,
}

impl ConfidenceFeatures {
    /// The values a [`Calibration`] weighs ([`CONFIDENCE_FEATURE_NAMES`]), finite.
    pub fn values(&self) -> [f32; CONFIDENCE_FEATURES] {
        let finite = |v: f32, low: f32| if v.is_finite() { v.max(low) } else { low };
        [
            finite(self.score, -30.0).min(0.0),
            finite(self.margin, -1.0).min(1.0),
            finite(self.mean_posterior, 0.0).min(1.0),
            finite(self.min_char_posterior, 0.0).min(1.0),
            (1.0 + self.length as f32).ln(),
        ]
    }

    /// The uncalibrated confidence, `exp(score)` in [0, 1].
    pub fn raw(&self) -> f32 {
        self.values()[0].exp()
    }
}

/// A logistic calibration map: `1 / (1 + exp(-(bias + weights · values)))`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// One weight per feature ([`CONFIDENCE_FEATURE_NAMES`]).
    pub weights: [f32; CONFIDENCE_FEATURES],
    /// The intercept.
    pub bias: f32,
}

impl Calibration {
    /// True when every number is finite.
    pub fn is_valid(&self) -> bool {
        self.bias.is_finite() && self.weights.iter().all(|w| w.is_finite())
    }

    /// The calibrated confidence in [0, 1].
    pub fn apply(&self, features: &ConfidenceFeatures) -> f32 {
        let z: f32 = self.bias
            + self
                .weights
                .iter()
                .zip(features.values())
                .map(|(w, v)| w * v)
                .sum::<f32>();
        let p = 1.0 / (1.0 + (-z).exp());
        if p.is_nan() { 0.0 } else { p }
    }
}

/// The calibration maps of a language pack (`decoder.json`'s `confidence`).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceMaps {
    /// For beam search with the pack's LM.
    pub beam: Option<Calibration>,
    /// For greedy decoding (no LM) with the model the pack was tuned for.
    pub greedy: Option<Calibration>,
}

/// The confidence of features under an optional map (the raw estimate without one).
pub fn confidence(features: &ConfidenceFeatures, map: Option<&Calibration>) -> f32 {
    map.map_or_else(|| features.raw(), |m| m.apply(features))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(score: f32) -> ConfidenceFeatures {
        ConfidenceFeatures {
            score,
            margin: 0.5,
            mean_posterior: 0.8,
            min_char_posterior: 0.6,
            length: 4,
        }
    }

    #[test]
    fn confidence_is_a_probability_and_grows_with_its_weights() {
        let map = Calibration {
            weights: [1.0, 2.0, 0.0, 0.0, 0.0],
            bias: 0.5,
        };
        let (low, high) = (features(-3.0), features(-0.1));
        assert!(map.apply(&low) < map.apply(&high));
        for f in [low, high, features(f32::NAN), features(f32::NEG_INFINITY)] {
            for c in [confidence(&f, Some(&map)), confidence(&f, None)] {
                assert!((0.0..=1.0).contains(&c), "{c}");
            }
        }
        assert!((confidence(&high, None) - (-0.1f32).exp()).abs() < 1e-6);
        let huge = Calibration {
            weights: [f32::MAX; 5],
            bias: f32::MAX,
        };
        assert!((0.0..=1.0).contains(&huge.apply(&high)));
    }

    #[test]
    fn maps_read_from_json_and_refuse_unknown_fields() {
        let maps: ConfidenceMaps =
            serde_json::from_str(r#"{"beam": {"weights": [1, 2, 3, 4, 5], "bias": -1}}"#).unwrap();
        assert_eq!(maps.beam.map(|m| m.weights[4]), Some(5.0));
        assert_eq!(maps.greedy, None);
        assert!(serde_json::from_str::<ConfidenceMaps>(r#"{"bean": {}}"#).is_err());
        assert!(
            serde_json::from_str::<ConfidenceMaps>(r#"{"beam": {"weights": [1], "bias": 0}}"#)
                .is_err()
        );
    }
}
