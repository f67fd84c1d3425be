//! The feature vector of one curve: the single definition used for training and inference.
//!
//! Eleven values per curve, in this order. The first ten are the paper's (Carbune et al. 2020,
//! section 3.2); the eleventh, `y`, is ours: with only relative values the network cannot tell a
//! curve at the top of the writing from one at the bottom (`P` from `p`, `O` from `o`), so the
//! start point's height is given too.
//!
//! | index | name | definition |
//! |---|---|---|
//! | 0 | `dx` | P3.x − P0.x: the curve's end point relative to its start, in writing heights |
//! | 1 | `dy` | P3.y − P0.y (y grows downward) |
//! | 2 | `d1` | \|P1 − P0\| / \|P3 − P0\|: first control leg relative to the chord (0 if the chord is 0) |
//! | 3 | `d2` | \|P2 − P3\| / \|P3 − P0\|: second control leg relative to the chord |
//! | 4 | `a1` | signed angle (radians, −π..π) from the chord P0→P3 to the leg P0→P1 |
//! | 5 | `a2` | signed angle from the reversed chord P3→P0 to the leg P3→P2 |
//! | 6 | `g1` | γ1 of the time polynomial t(s) = γ0 + γ1 s + γ2 s² + γ3 s³ (stroke time rescaled to arc length) |
//! | 7 | `g2` | γ2 |
//! | 8 | `g3` | γ3 (γ0 is dropped: only relative time matters) |
//! | 9 | `p` | 1 for a pen-up curve (the gap between two strokes), 0 for pen-down |
//! | 10 | `y` | P0.y: the curve's start below the top of the ink's bounding box, in writing heights |
//!
//! Legs and angles of a zero-length leg or chord are 0. Relative legs are capped at
//! [`MAX_RELATIVE_LEG`] so that a nearly closed curve cannot produce huge values.
//!
//! A model file declares how many of these it reads (`input_dim`); models trained before `y`
//! existed read the first ten ([`PAPER_FEATURE_DIM`]).

use super::bezier::Curve;

/// Number of values per curve.
pub const FEATURE_DIM: usize = 11;

/// Number of leading values that follow the paper (all but the position `y`).
pub const PAPER_FEATURE_DIM: usize = 10;

/// Index of `y`, the only feature that depends on where the ink's bounding box starts.
pub const Y_FEATURE: usize = 10;

/// Names of the features, in order.
pub const FEATURE_NAMES: [&str; FEATURE_DIM] = [
    "dx", "dy", "d1", "d2", "a1", "a2", "g1", "g2", "g3", "p", "y",
];

/// Upper bound of `d1` and `d2`.
pub const MAX_RELATIVE_LEG: f64 = 10.0;

const TINY: f64 = 1e-9;

/// The feature vector of one curve.
pub fn curve_features(curve: &Curve) -> [f32; FEATURE_DIM] {
    let [p0, p1, p2, p3] = curve.control;
    let chord = sub(p3, p0);
    let leg1 = sub(p1, p0);
    let leg2 = sub(p2, p3);
    let chord_len = norm(chord);
    let (d1, d2, a1, a2) = if chord_len > TINY {
        (
            (norm(leg1) / chord_len).min(MAX_RELATIVE_LEG),
            (norm(leg2) / chord_len).min(MAX_RELATIVE_LEG),
            signed_angle(chord, leg1),
            signed_angle([-chord[0], -chord[1]], leg2),
        )
    } else {
        (0.0, 0.0, 0.0, 0.0)
    };
    let g = curve.time;
    [
        chord[0] as f32,
        chord[1] as f32,
        d1 as f32,
        d2 as f32,
        a1 as f32,
        a2 as f32,
        g[1] as f32,
        g[2] as f32,
        g[3] as f32,
        if curve.pen_up { 1.0 } else { 0.0 },
        p0[1] as f32,
    ]
}

fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

fn norm(v: [f64; 2]) -> f64 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
}

/// Signed angle from `from` to `to`; 0 when either vector has no length.
fn signed_angle(from: [f64; 2], to: [f64; 2]) -> f64 {
    if norm(from) <= TINY || norm(to) <= TINY {
        return 0.0;
    }
    let cross = from[0] * to[1] - from[1] * to[0];
    let dot = from[0] * to[0] + from[1] * to[1];
    cross.atan2(dot)
}
