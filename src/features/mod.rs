//! From ink to feature vectors: normalization, Bézier fitting and the per-curve features.
//!
//! ```text
//! Ink ──normalize──▶ strokes in writing heights ──fit_strokes──▶ Vec<Curve> ──curve_features──▶ [f32; 11] per curve
//! ```
//!
//! [`featurize`] runs the whole stage; training (through `inkjot featurize`) and recognition both
//! call it, so the model always sees features computed the same way.

mod augment;
mod bezier;
mod dataset;
mod normalize;
mod spans;
mod vector;

pub use augment::{AugmentConfig, SplitMix64, augment};
pub use bezier::{Curve, FitConfig, MAX_CURVES_PER_INK, P3, fit_strokes};
pub(crate) use bezier::{StrokeFit, fit_stroke, pen_up_curve};
pub use dataset::FeatureSet;
pub(crate) use normalize::Frame;
pub use normalize::{MIN_HEIGHT_TO_WIDTH, NormPoint, WritingArea, normalize, reference_height};
pub use spans::{PointRange, curve_spans};
pub use vector::{
    FEATURE_DIM, FEATURE_NAMES, MAX_RELATIVE_LEG, PAPER_FEATURE_DIM, Y_FEATURE, curve_features,
};

use crate::ink::Ink;

/// Options of the feature stage.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FeatureConfig {
    /// How the ink is scaled.
    pub area: WritingArea,
    /// Fitter parameters.
    pub fit: FitConfig,
}

/// Normalizes and fits an ink, returning its curves (pen-up gaps included) in writing order.
pub fn fit_ink(ink: &Ink, config: &FeatureConfig) -> Vec<Curve> {
    fit_strokes(&normalize(ink, config.area), &config.fit)
}

/// The feature matrix of an ink: one row of [`FEATURE_DIM`] values per curve.
///
/// # Example
/// ```
/// use inkjot::features::{featurize, FeatureConfig, FEATURE_DIM};
/// use inkjot::ink::{Ink, InkLimits};
/// let ink = Ink::from_channels(
///     vec![(vec![0.0, 5.0, 10.0], vec![0.0, 10.0, 0.0], None), (vec![20.0], vec![5.0], None)],
///     &InkLimits::default(),
/// ).unwrap();
/// let rows = featurize(&ink, &FeatureConfig::default());
/// assert!(rows.len() >= 3); // two strokes and the pen-up gap between them
/// assert!(rows.iter().flatten().all(|v| v.is_finite()));
/// assert_eq!(rows[0].len(), FEATURE_DIM);
/// ```
pub fn featurize(ink: &Ink, config: &FeatureConfig) -> Vec<[f32; FEATURE_DIM]> {
    fit_ink(ink, config).iter().map(curve_features).collect()
}
