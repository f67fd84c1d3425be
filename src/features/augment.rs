//! Random distortions of an ink for training: slant, rotation, anisotropic scale, jitter and a
//! time warp. Deterministic for a given seed (a SplitMix64 generator, no dependency).

use crate::error::InkError;
use crate::ink::{Ink, InkLimits};

use super::normalize::{WritingArea, reference_height};

/// Strength of each distortion (standard deviations unless noted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AugmentConfig {
    /// Slant (shear) angle, radians.
    pub slant: f64,
    /// Rotation angle, radians.
    pub rotation: f64,
    /// Log of the horizontal scale factor.
    pub log_scale_x: f64,
    /// Log of the vertical scale factor.
    pub log_scale_y: f64,
    /// Point jitter, in writing heights.
    pub jitter: f64,
    /// Largest relative speed change of the time warp (uniform in ±this, below 1).
    pub time_warp: f64,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        AugmentConfig {
            slant: 0.2,
            rotation: 0.06,
            log_scale_x: 0.12,
            log_scale_y: 0.06,
            jitter: 0.004,
            time_warp: 0.5,
        }
    }
}

/// A small deterministic random number generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Returns a randomly distorted copy of `ink`.
///
/// # Example
/// ```
/// use inkjot::features::{augment, AugmentConfig, SplitMix64};
/// use inkjot::ink::{Ink, InkLimits};
/// let ink = Ink::from_channels(vec![(vec![0.0, 10.0, 20.0], vec![0.0, 30.0, 0.0], None)], &InkLimits::default()).unwrap();
/// let a = augment(&ink, &AugmentConfig::default(), &mut SplitMix64::new(7), &InkLimits::default()).unwrap();
/// let b = augment(&ink, &AugmentConfig::default(), &mut SplitMix64::new(7), &InkLimits::default()).unwrap();
/// assert_eq!(a, b); // same seed, same distortion
/// assert_ne!(a, ink);
/// ```
pub fn augment(
    ink: &Ink,
    config: &AugmentConfig,
    rng: &mut SplitMix64,
    limits: &InkLimits,
) -> Result<Ink, InkError> {
    let bbox = ink.bounding_box();
    let height = reference_height(bbox.width(), bbox.height(), WritingArea::Auto);
    let (cx, cy) = (
        (bbox.min_x + bbox.max_x) / 2.0,
        (bbox.min_y + bbox.max_y) / 2.0,
    );
    let shear = (config.slant * rng.normal()).tan();
    let angle = config.rotation * rng.normal();
    let (sin, cos) = angle.sin_cos();
    let sx = (config.log_scale_x * rng.normal()).exp();
    let sy = (config.log_scale_y * rng.normal()).exp();
    let jitter = config.jitter * height;
    let warp_amount = config.time_warp.clamp(0.0, 0.95) * (2.0 * rng.uniform() - 1.0);
    let warp_cycles = 1.0 + (rng.uniform() * 2.0).floor();
    let warp_phase = rng.uniform() * std::f64::consts::TAU;
    let first = ink.strokes().first().and_then(|s| s.points.first());
    let last = ink.strokes().last().and_then(|s| s.points.last());
    let (t0, duration) = match (first, last) {
        (Some(a), Some(b)) => (a.t, b.t - a.t),
        _ => (0.0, 0.0),
    };
    // t' = t0 + D·w(u), w(u) = u + a/(2πk)·(sin(2πku + φ) − sin φ): w' = 1 + a·cos(..) > 0 for |a| < 1.
    let omega = std::f64::consts::TAU * warp_cycles;
    let warp = |t: f64| {
        if duration <= 0.0 {
            return t;
        }
        let u = (t - t0) / duration;
        let w = u + warp_amount / omega * ((omega * u + warp_phase).sin() - warp_phase.sin());
        t0 + duration * w
    };
    let mut noise = Vec::with_capacity(ink.point_count() * 2);
    for _ in 0..ink.point_count() * 2 {
        noise.push(jitter * rng.normal());
    }
    let mut k = 0;
    let mut previous_t = f64::NEG_INFINITY;
    ink.map_points(limits, |p| {
        let (x, y) = (p.x - cx, p.y - cy);
        let x = x - shear * y; // y grows downward: positive shear leans the top to the right
        let (x, y) = (cos * x - sin * y, sin * x + cos * y);
        let (x, y) = (x * sx + noise[k], y * sy + noise[k + 1]);
        k += 2;
        // Rounding can reorder equal times by an ulp; keep time non-decreasing.
        let t = warp(p.t).max(previous_t);
        previous_t = t;
        crate::ink::Point {
            x: x + cx,
            y: y + cy,
            t,
        }
    })
}
