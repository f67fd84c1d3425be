//! Stage 2: cubic Bézier curves fitted to strokes by iterative least squares in (x, y, t).
//!
//! For each stroke (after [`normalize`](super::normalize)):
//! 1. Time is rescaled so that the stroke's duration equals its arc length (in writing heights):
//!    time then weighs as much as space in the error, and only the stroke's speed profile is kept,
//!    which makes the result independent of the device's sampling rate and clock.
//! 2. A segment of points is given parameters s_i ∈ [0, 1] by normalized chord length.
//! 3. The inner control points P1, P2 of a cubic Bézier with fixed end points (the segment's first
//!    and last point, so consecutive curves join) are solved by linear least squares in x, y and t
//!    at once (a 2×2 normal system per channel, nalgebra).
//! 4. Each s_i takes a Newton step towards the closest point of the curve (minimizing the same
//!    x, y, t distance), and 3–4 repeat, up to [`FitConfig::max_iterations`] times.
//! 5. When the largest point error stays above [`FitConfig::max_error`], or the points' path is
//!    more than [`FitConfig::max_arc_to_chord`] times longer than the chord (a loop, a retrace, a
//!    sharp corner), the segment is split at its worst point and both halves are fitted again.
//!
//! Pen-up gaps between strokes become straight curves flagged pen-up. Everything is deterministic.

use nalgebra::{Matrix2, Vector2};

use super::normalize::NormPoint;

/// A point in the fitter's space: x, y and rescaled time.
pub type P3 = [f64; 3];

/// Parameters of the fitter; the defaults are the ones the shipped model was trained with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Largest distance (writing heights, in x, y, t) of a point from its curve before splitting.
    pub max_error: f64,
    /// Newton re-parameterization rounds per segment.
    pub max_iterations: usize,
    /// A segment whose point path is longer than this times its chord is split.
    pub max_arc_to_chord: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            max_error: 0.05,
            max_iterations: 4,
            max_arc_to_chord: 3.0,
        }
    }
}

/// One fitted cubic Bézier curve in (x, y, t).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    /// Control points P0..P3 in writing heights; P0 and P3 are the segment's first and last point.
    pub control: [[f64; 2]; 4],
    /// Time polynomial t(s) = γ0 + γ1 s + γ2 s² + γ3 s³ in the stroke's rescaled time.
    pub time: [f64; 4],
    /// True for the synthetic curve joining one stroke's end to the next stroke's start.
    pub pen_up: bool,
    /// Root-mean-square distance of the segment's points from the curve.
    pub rms_error: f64,
    /// Number of ink points the curve stands for (0 for pen-up curves).
    pub point_count: usize,
}

impl Curve {
    /// Point of the curve at parameter `s` in (x, y, t).
    pub fn eval(&self, s: f64) -> P3 {
        let c = &self.control;
        let b = bernstein(s);
        let g = &self.time;
        [
            b[0] * c[0][0] + b[1] * c[1][0] + b[2] * c[2][0] + b[3] * c[3][0],
            b[0] * c[0][1] + b[1] * c[1][1] + b[2] * c[2][1] + b[3] * c[3][1],
            g[0] + s * (g[1] + s * (g[2] + s * g[3])),
        ]
    }

    /// A straight curve from `a` to `b` with control points at thirds.
    fn line(a: P3, b: P3, pen_up: bool, point_count: usize) -> Curve {
        let ctrl = [a, lerp(a, b, 1.0 / 3.0), lerp(a, b, 2.0 / 3.0), b];
        Curve::from_control(ctrl, pen_up, 0.0, point_count)
    }

    fn from_control(p: [P3; 4], pen_up: bool, rms_error: f64, point_count: usize) -> Curve {
        Curve {
            control: [
                [p[0][0], p[0][1]],
                [p[1][0], p[1][1]],
                [p[2][0], p[2][1]],
                [p[3][0], p[3][1]],
            ],
            time: power_basis([p[0][2], p[1][2], p[2][2], p[3][2]]),
            pen_up,
            rms_error,
            point_count,
        }
    }
}

/// Most curves [`fit_strokes`] makes of one ink, pen-up curves included (for inks of fewer than
/// 2,048 strokes; `InkLimits` allows 2,000). The real ink with the most curves in UNIPEN train and
/// valid makes 1,473; every curve is a frame the recognizer's network runs over, so the cap bounds
/// its cost.
pub const MAX_CURVES_PER_INK: usize = 4096;

/// Fits all strokes and inserts pen-up curves between them.
///
/// An ink whose exact fit would make more than [`MAX_CURVES_PER_INK`] curves (no real writing
/// does) is fitted coarsely instead: every stroke in pieces of equal point count, one curve each,
/// with the piece size chosen so that the ink stays under the cap.
pub fn fit_strokes(strokes: &[Vec<NormPoint>], config: &FitConfig) -> Vec<Curve> {
    let curves = join_strokes(strokes.iter().filter_map(|s| fit_stroke(s, config)));
    if curves.len() <= MAX_CURVES_PER_INK {
        return curves;
    }
    let points: usize = strokes.iter().map(Vec::len).sum();
    let room = MAX_CURVES_PER_INK.saturating_sub(2 * strokes.len()).max(1);
    let points_per_curve = points.div_ceil(room).max(COARSE_POINTS_PER_CURVE);
    join_strokes(strokes.iter().filter_map(|stroke| {
        let points = rescale_time(stroke);
        let (&first, &last) = (points.first()?, points.last()?);
        Some(StrokeFit {
            curves: fit_coarse(&points, config, points_per_curve),
            first,
            last,
        })
    }))
}

/// The curves of consecutive stroke fits with a pen-up curve between each two.
fn join_strokes(fits: impl Iterator<Item = StrokeFit>) -> Vec<Curve> {
    let mut curves = Vec::new();
    let mut previous: Option<StrokeFit> = None;
    for fit in fits {
        if let Some(previous) = &previous {
            curves.push(pen_up_curve(previous, &fit));
        }
        curves.extend_from_slice(&fit.curves);
        previous = Some(fit);
    }
    curves
}

/// One stroke fitted on its own: its curves and its end points in the fitter's space (x, y and the
/// stroke's rescaled time), which the pen-up curve to the next stroke is built from.
///
/// [`fit_strokes`] is `fit_stroke` per stroke with a [`pen_up_curve`] between consecutive strokes;
/// the pieces let a streaming recognizer fit each finished stroke once.
#[derive(Debug, Clone, PartialEq)]
pub struct StrokeFit {
    /// The stroke's curves in writing order (no pen-up curve).
    pub curves: Vec<Curve>,
    /// The stroke's first point in the fitter's space.
    pub first: P3,
    /// The stroke's last point in the fitter's space.
    pub last: P3,
}

/// Fits one normalized stroke; `None` when it has no points. (`src/session.rs` tests that
/// [`fit_strokes`] equals these pieces joined by [`pen_up_curve`]s.)
pub fn fit_stroke(stroke: &[NormPoint], config: &FitConfig) -> Option<StrokeFit> {
    let points = rescale_time(stroke);
    let (&first, &last) = (points.first()?, points.last()?);
    let curves = fit_exact(&points, config)
        .unwrap_or_else(|| fit_coarse(&points, config, COARSE_POINTS_PER_CURVE));
    Some(StrokeFit {
        curves,
        first,
        last,
    })
}

/// The straight pen-up curve from the end of `previous` to the start of `next`.
pub fn pen_up_curve(previous: &StrokeFit, next: &StrokeFit) -> Curve {
    let (end, first) = (previous.last, next.first);
    let gap = distance2(end, first).sqrt();
    Curve::line([end[0], end[1], 0.0], [first[0], first[1], gap], true, 0)
}

/// Rescales a stroke's time so that its duration equals its arc length; a stroke without time
/// progress gets time proportional to arc length (constant speed).
fn rescale_time(stroke: &[NormPoint]) -> Vec<P3> {
    let mut arc = Vec::with_capacity(stroke.len());
    let mut length = 0.0;
    for (i, p) in stroke.iter().enumerate() {
        if i > 0 {
            length += ((p.x - stroke[i - 1].x).powi(2) + (p.y - stroke[i - 1].y).powi(2)).sqrt();
        }
        arc.push(length);
    }
    let (t0, t1) = match (stroke.first(), stroke.last()) {
        (Some(a), Some(b)) => (a.t, b.t),
        _ => return Vec::new(),
    };
    let duration = t1 - t0;
    stroke
        .iter()
        .zip(&arc)
        .map(|(p, &a)| {
            let t = if duration > 0.0 {
                (p.t - t0) / duration * length
            } else {
                a
            };
            [p.x, p.y, t]
        })
        .collect()
}

/// What fitting one segment of points gives: a curve, or the index (within the segment) at which
/// to split it and fit both halves.
enum SegmentFit {
    Curve(Curve),
    Split(usize),
}

/// The exact fit of a stroke's points: segments are taken from an explicit stack (left half first,
/// so curves come out in writing order, as the recursive definition would emit them) and split at
/// their worst point until they fit. Memory is linear in the points (the stack holds index pairs).
///
/// Returns `None` as soon as the stroke costs more than [`exact_fit_work_budget`]: no pen produces
/// such a stroke, and [`fit_coarse`] fits it at a bounded cost instead.
fn fit_exact(points: &[P3], config: &FitConfig) -> Option<Vec<Curve>> {
    let n = points.len();
    let work_budget = exact_fit_work_budget(n);
    let mut work = 0usize;
    let mut curves = Vec::new();
    let mut pending = vec![(0, n.checked_sub(1)?)];
    while let Some((a, b)) = pending.pop() {
        let seg = points.get(a..=b)?;
        match fit_segment(seg, config, true, &mut work) {
            SegmentFit::Curve(curve) => curves.push(curve),
            SegmentFit::Split(i) => {
                pending.push((a + i, b));
                pending.push((a, a + i));
            }
        }
        if work > work_budget {
            return None;
        }
    }
    Some(curves)
}

/// The fit of a stroke that no pen produces (see [`fit_exact`]): consecutive pieces of
/// `points_per_curve` points (sharing their end points, so curves still join), each fitted by one
/// curve without splitting. Cost and curve count are linear in the stroke's points.
fn fit_coarse(points: &[P3], config: &FitConfig, points_per_curve: usize) -> Vec<Curve> {
    let step = points_per_curve.max(1);
    let mut curves = Vec::with_capacity(points.len() / step + 1);
    let mut work = 0usize;
    let mut start = 0;
    loop {
        let end = (start + step).min(points.len().saturating_sub(1));
        let Some(seg) = points.get(start..=end) else {
            break;
        };
        if let SegmentFit::Curve(curve) = fit_segment(seg, config, false, &mut work) {
            curves.push(curve);
        }
        if end + 1 >= points.len() {
            break;
        }
        start = end;
    }
    curves
}

/// Points per curve in [`fit_coarse`]; real strokes average about 13 points per curve.
const COARSE_POINTS_PER_CURVE: usize = 32;

/// Most work (points visited by the exact fitter, summed over every fit, re-parameterization and
/// path measurement) that a stroke of `n` points may cost before it is fitted coarsely.
///
/// The budget is `400 n + 16,384`. Measured on every stroke of UNIPEN train and valid (710 k
/// strokes, up to 2,422 points): at most 239 per point (a 336-point stroke), so every real stroke
/// stays below 60% of its budget. A zigzag of n points costs up to about 7 n² (each split peels
/// off one point after a full fit), so it crosses the budget from about 100 points on (a 50-point
/// one never does); the work spent before giving up is bounded by the budget, so a stroke's cost
/// stays linear in its points.
fn exact_fit_work_budget(n: usize) -> usize {
    EXACT_FIT_WORK_PER_POINT
        .saturating_mul(n)
        .saturating_add(EXACT_FIT_WORK_BASE)
}

const EXACT_FIT_WORK_PER_POINT: usize = 400;
const EXACT_FIT_WORK_BASE: usize = 16_384;

/// Fits one segment of points: a curve within [`FitConfig::max_error`], or (when `may_split`) the
/// index at which to split it. Adds the points it visits to `work`.
fn fit_segment(seg: &[P3], config: &FitConfig, may_split: bool, work: &mut usize) -> SegmentFit {
    let n = seg.len();
    let (Some(&first), Some(&last)) = (seg.first(), seg.last()) else {
        return SegmentFit::Curve(Curve::line([0.0; 3], [0.0; 3], false, 0));
    };
    if n <= 2 {
        return SegmentFit::Curve(Curve::line(first, last, false, n));
    }
    *work += n;
    let chord = distance2(first, last).sqrt();
    let path: f64 = seg.windows(2).map(|w| distance2(w[0], w[1]).sqrt()).sum();
    if may_split && path > config.max_arc_to_chord * chord && path > config.max_error {
        return SegmentFit::Split(farthest_from_chord(seg));
    }
    let mut s = initial_parameters(seg);
    let mut control = solve_control_points(seg, &s);
    let mut errors = point_errors(seg, &s, &control);
    *work += 2 * n;
    for _ in 0..config.max_iterations {
        if max_error(&errors).0 <= config.max_error {
            break;
        }
        reparameterize(seg, &mut s, &control);
        control = solve_control_points(seg, &s);
        errors = point_errors(seg, &s, &control);
        *work += 3 * n;
    }
    let (worst, worst_index) = max_error(&errors);
    if may_split && worst > config.max_error {
        return SegmentFit::Split(worst_index.clamp(1, n - 2));
    }
    let rms = (errors.iter().sum::<f64>() / n as f64).sqrt();
    SegmentFit::Curve(Curve::from_control(control, false, rms, n))
}

/// Index (within `seg`) of the interior point farthest from the chord, or from the start point
/// when the chord has no length.
fn farthest_from_chord(seg: &[P3]) -> usize {
    let n = seg.len();
    let (p0, p1) = (seg[0], seg[n - 1]);
    let d = [p1[0] - p0[0], p1[1] - p0[1]];
    let len = (d[0] * d[0] + d[1] * d[1]).sqrt();
    let mut best = (f64::NEG_INFINITY, n / 2);
    for (i, p) in seg.iter().enumerate().take(n - 1).skip(1) {
        let v = [p[0] - p0[0], p[1] - p0[1]];
        let dist = if len > 1e-12 {
            (v[0] * d[1] - v[1] * d[0]).abs() / len
        } else {
            (v[0] * v[0] + v[1] * v[1]).sqrt()
        };
        if dist > best.0 {
            best = (dist, i);
        }
    }
    best.1
}

/// Initial curve parameters: normalized time when time progresses over the segment (pens sample
/// at a steady rate, so time is close to the curve's own parameter), else normalized chord length.
fn initial_parameters(seg: &[P3]) -> Vec<f64> {
    let (t0, t1) = (seg[0][2], seg[seg.len() - 1][2]);
    if t1 - t0 > 1e-12 {
        return seg
            .iter()
            .map(|p| ((p[2] - t0) / (t1 - t0)).clamp(0.0, 1.0))
            .collect();
    }
    chord_parameters(seg)
}

/// Normalized chord-length parameters (uniform when all points coincide).
fn chord_parameters(seg: &[P3]) -> Vec<f64> {
    let mut s = Vec::with_capacity(seg.len());
    let mut total = 0.0;
    s.push(0.0);
    for w in seg.windows(2) {
        total += distance2(w[0], w[1]).sqrt();
        s.push(total);
    }
    let last = seg.len() - 1;
    if total > 1e-12 {
        s.iter_mut().for_each(|v| *v /= total);
    } else {
        s.iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = i as f64 / last as f64);
    }
    s
}

/// Least-squares P1, P2 with P0, P3 fixed at the segment's end points, per channel.
fn solve_control_points(seg: &[P3], s: &[f64]) -> [P3; 4] {
    let p0 = seg[0];
    let p3 = seg[seg.len() - 1];
    let mut ata = Matrix2::<f64>::zeros();
    let mut atb = [Vector2::<f64>::zeros(); 3];
    for (p, &si) in seg.iter().zip(s) {
        let b = bernstein(si);
        ata[(0, 0)] += b[1] * b[1];
        ata[(0, 1)] += b[1] * b[2];
        ata[(1, 1)] += b[2] * b[2];
        for c in 0..3 {
            let r = p[c] - b[0] * p0[c] - b[3] * p3[c];
            atb[c][0] += b[1] * r;
            atb[c][1] += b[2] * r;
        }
    }
    ata[(1, 0)] = ata[(0, 1)];
    let scale = ata[(0, 0)] * ata[(1, 1)];
    let line = [p0, lerp(p0, p3, 1.0 / 3.0), lerp(p0, p3, 2.0 / 3.0), p3];
    if ata.determinant().abs() <= 1e-10 * scale.max(1e-300) {
        return line;
    }
    let Some(inverse) = ata.try_inverse() else {
        return line;
    };
    let mut p1 = [0.0f64; 3];
    let mut p2 = [0.0f64; 3];
    for c in 0..3 {
        let x = inverse * atb[c];
        p1[c] = x[0];
        p2[c] = x[1];
    }
    if p1.iter().chain(&p2).all(|v| v.is_finite()) {
        [p0, p1, p2, p3]
    } else {
        line
    }
}

/// Squared distance of each point from the curve at its parameter.
fn point_errors(seg: &[P3], s: &[f64], ctrl: &[P3; 4]) -> Vec<f64> {
    seg.iter()
        .zip(s)
        .map(|(p, &si)| distance2(*p, eval_control(ctrl, si)))
        .collect()
}

/// Largest error (as a distance) and its index.
fn max_error(squared: &[f64]) -> (f64, usize) {
    let (e, i) = squared.iter().enumerate().fold(
        (0.0, 0),
        |best, (i, &e)| if e > best.0 { (e, i) } else { best },
    );
    (e.sqrt(), i)
}

/// One Newton step per interior point towards the closest curve point; end points stay at 0 and 1.
fn reparameterize(seg: &[P3], s: &mut [f64], ctrl: &[P3; 4]) {
    let n = seg.len();
    for i in 1..n - 1 {
        let (c, d1, d2) = eval_derivatives(ctrl, s[i]);
        let diff = [c[0] - seg[i][0], c[1] - seg[i][1], c[2] - seg[i][2]];
        let numerator = dot(diff, d1);
        let denominator = dot(d1, d1) + dot(diff, d2);
        if denominator.abs() > 1e-12 {
            let next = s[i] - numerator / denominator;
            if next.is_finite() {
                s[i] = next.clamp(0.0, 1.0);
            }
        }
    }
}

fn bernstein(s: f64) -> [f64; 4] {
    let u = 1.0 - s;
    [u * u * u, 3.0 * s * u * u, 3.0 * s * s * u, s * s * s]
}

fn eval_control(p: &[P3; 4], s: f64) -> P3 {
    let b = bernstein(s);
    std::array::from_fn(|c| b[0] * p[0][c] + b[1] * p[1][c] + b[2] * p[2][c] + b[3] * p[3][c])
}

/// Curve point, first and second derivative at `s`.
fn eval_derivatives(p: &[P3; 4], s: f64) -> (P3, P3, P3) {
    let u = 1.0 - s;
    let d1 = std::array::from_fn(|c| {
        3.0 * (u * u * (p[1][c] - p[0][c])
            + 2.0 * u * s * (p[2][c] - p[1][c])
            + s * s * (p[3][c] - p[2][c]))
    });
    let d2 = std::array::from_fn(|c| {
        6.0 * (u * (p[2][c] - 2.0 * p[1][c] + p[0][c]) + s * (p[3][c] - 2.0 * p[2][c] + p[1][c]))
    });
    (eval_control(p, s), d1, d2)
}

/// Power-basis coefficients (γ0..γ3) of a 1-D cubic Bézier with control values `c`.
fn power_basis(c: [f64; 4]) -> [f64; 4] {
    [
        c[0],
        3.0 * (c[1] - c[0]),
        3.0 * (c[0] - 2.0 * c[1] + c[2]),
        c[3] - c[0] + 3.0 * (c[1] - c[2]),
    ]
}

fn lerp(a: P3, b: P3, f: f64) -> P3 {
    std::array::from_fn(|c| a[c] + (b[c] - a[c]) * f)
}

fn distance2(a: P3, b: P3) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

fn dot(a: P3, b: P3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn stroke(points: &[(f64, f64, f64)]) -> Vec<NormPoint> {
        points
            .iter()
            .map(|&(x, y, t)| NormPoint { x, y, t })
            .collect()
    }

    fn precise() -> FitConfig {
        FitConfig {
            max_error: 1e-5,
            max_iterations: 200,
            max_arc_to_chord: 3.0,
        }
    }

    #[test]
    fn recovers_a_densely_sampled_cubic() {
        let ctrl = [[0.0, 0.0], [0.3, 0.8], [0.9, 0.9], [1.2, 0.1]];
        let curve = Curve::from_control(ctrl.map(|[x, y]| [x, y, 0.0]), false, 0.0, 0);
        let n = 200;
        let points: Vec<(f64, f64, f64)> = (0..n)
            .map(|i| {
                let s = i as f64 / (n - 1) as f64;
                let p = curve.eval(s);
                (p[0], p[1], s * 500.0) // constant speed in the parameter
            })
            .collect();
        let curves = fit_strokes(&[stroke(&points)], &precise());
        assert_eq!(curves.len(), 1, "a cubic needs one curve: {curves:?}");
        for (got, want) in curves[0].control.iter().zip(&ctrl) {
            assert_abs_diff_eq!(got[0], want[0], epsilon = 1e-3);
            assert_abs_diff_eq!(got[1], want[1], epsilon = 1e-3);
        }
        assert!(curves[0].rms_error < 1e-4);
    }

    #[test]
    fn a_straight_line_is_one_straight_curve() {
        let points: Vec<_> = (0..20)
            .map(|i| (i as f64 * 0.1, i as f64 * 0.05, i as f64 * 10.0))
            .collect();
        let curves = fit_strokes(&[stroke(&points)], &FitConfig::default());
        assert_eq!(curves.len(), 1);
        let c = curves[0].control;
        // Control points lie on the line y = x / 2.
        for p in c {
            assert_abs_diff_eq!(p[1], p[0] / 2.0, epsilon = 1e-9);
        }
        assert_abs_diff_eq!(c[3][0], 1.9, epsilon = 1e-12);
    }

    #[test]
    fn a_single_point_is_a_dot_curve() {
        let curves = fit_strokes(&[stroke(&[(0.5, 0.5, 3.0)])], &FitConfig::default());
        assert_eq!(curves.len(), 1);
        assert!(curves[0].control.iter().all(|p| *p == [0.5, 0.5]));
        assert_eq!(curves[0].time, [0.0; 4]);
    }

    #[test]
    fn repeated_points_form_a_dot() {
        let points = vec![(0.2, 0.3, 0.0); 7];
        let curves = fit_strokes(&[stroke(&points)], &FitConfig::default());
        assert_eq!(curves.len(), 1);
        for p in curves[0].control {
            assert_abs_diff_eq!(p[0], 0.2, epsilon = 1e-12);
            assert_abs_diff_eq!(p[1], 0.3, epsilon = 1e-12);
        }
    }

    #[test]
    fn strokes_are_joined_by_pen_up_curves() {
        let a = stroke(&[(0.0, 0.0, 0.0), (0.0, 1.0, 10.0)]);
        let b = stroke(&[(1.0, 1.0, 30.0), (1.0, 0.0, 40.0)]);
        let curves = fit_strokes(&[a, b], &FitConfig::default());
        let flags: Vec<bool> = curves.iter().map(|c| c.pen_up).collect();
        assert_eq!(flags, [false, true, false]);
        assert_eq!(curves[1].control[0], [0.0, 1.0]);
        assert_eq!(curves[1].control[3], [1.0, 1.0]);
    }

    #[test]
    fn a_retrace_is_split_at_its_turning_point() {
        // Up and straight back down: chord 0, path 2.
        let mut points: Vec<_> = (0..=10)
            .map(|i| (0.0, -(i as f64) * 0.1, i as f64))
            .collect();
        points.extend((1..=10).map(|i| (0.0, -1.0 + i as f64 * 0.1, 10.0 + i as f64)));
        let curves = fit_strokes(&[stroke(&points)], &FitConfig::default());
        assert!(curves.len() >= 2, "{curves:?}");
        assert_abs_diff_eq!(curves[0].control[3][1], -1.0, epsilon = 1e-12);
    }

    #[test]
    fn a_hook_is_fitted_within_tolerance() {
        // A vertical stem ending in a sharp hook to the left.
        let mut points: Vec<_> = (0..=20).map(|i| (0.0, i as f64 * 0.05, i as f64)).collect();
        points
            .extend((1..=5).map(|i| (-(i as f64) * 0.04, 1.0 - i as f64 * 0.02, 20.0 + i as f64)));
        let config = FitConfig::default();
        let curves = fit_strokes(&[stroke(&points)], &config);
        assert!(
            curves.len() >= 2,
            "a sharp corner needs a split: {curves:?}"
        );
        let joined: Vec<[f64; 2]> = curves.iter().map(|c| c.control[3]).collect();
        assert!(
            joined.contains(&[-0.2, 0.9]),
            "last curve ends at the last point"
        );
        for c in &curves {
            assert!(c.rms_error <= config.max_error);
        }
    }

    /// The recursive fitter as it was defined before the explicit stack: the oracle for the order
    /// and values of the exact fitter's curves.
    fn fit_recursive(points: &[P3], a: usize, b: usize, config: &FitConfig, out: &mut Vec<Curve>) {
        let mut work = 0;
        match fit_segment(&points[a..=b], config, true, &mut work) {
            SegmentFit::Curve(curve) => out.push(curve),
            SegmentFit::Split(i) => {
                fit_recursive(points, a, a + i, config, out);
                fit_recursive(points, a + i, b, config, out);
            }
        }
    }

    #[test]
    fn the_explicit_stack_emits_what_recursion_emits() {
        let mut rng = crate::features::SplitMix64::new(7);
        for len in [3, 10, 57, 300] {
            let mut t = 0.0;
            let (mut x, mut y) = (0.0, 0.0);
            let raw: Vec<NormPoint> = (0..len)
                .map(|i| {
                    x += (i as f64 * 0.3).cos() * 0.05 + (rng.uniform() - 0.5) * 0.02;
                    y += (i as f64 * 0.2).sin() * 0.05 + (rng.uniform() - 0.5) * 0.02;
                    t += 5.0 + rng.uniform() * 10.0;
                    NormPoint { x, y, t }
                })
                .collect();
            let points = rescale_time(&raw);
            let mut want = Vec::new();
            fit_recursive(&points, 0, len - 1, &FitConfig::default(), &mut want);
            let got = fit_stroke(&raw, &FitConfig::default()).map(|f| f.curves);
            assert_eq!(got, Some(want), "{len} points");
        }
    }

    #[test]
    fn a_long_zigzag_is_fitted_coarsely_and_still_joins() {
        let n: usize = 5_000;
        let points: Vec<_> = (0..n)
            .map(|i| (i as f64 * 1e-3, (i % 2) as f64, i as f64 * 5.0))
            .collect();
        let points = stroke(&points);
        let curves = fit_stroke(&points, &FitConfig::default())
            .map(|f| f.curves)
            .unwrap_or_default();
        assert_eq!(curves.len(), (n - 1).div_ceil(COARSE_POINTS_PER_CURVE));
        assert_eq!(curves[0].control[0], [0.0, 0.0]);
        assert_eq!(
            curves[curves.len() - 1].control[3],
            [points[n - 1].x, points[n - 1].y]
        );
        for w in curves.windows(2) {
            assert_eq!(w[0].control[3], w[1].control[0]);
        }
        assert_eq!(
            curves.iter().map(|c| c.point_count - 1).sum::<usize>(),
            n - 1
        );
    }

    #[test]
    fn a_short_zigzag_keeps_its_exact_fit() {
        // Well within the work budget: about one curve per tooth, as recursion makes them.
        let points: Vec<_> = (0..50)
            .map(|i| (i as f64 * 0.04, (i % 2) as f64, i as f64 * 5.0))
            .collect();
        let raw = stroke(&points);
        let mut want = Vec::new();
        fit_recursive(&rescale_time(&raw), 0, 49, &FitConfig::default(), &mut want);
        assert!(want.len() > 40, "{}", want.len());
        assert_eq!(fit_strokes(&[raw], &FitConfig::default()), want);
    }

    #[test]
    fn curves_join_end_to_start() {
        let points: Vec<_> = (0..100)
            .map(|i| {
                let a = i as f64 * 0.15;
                (a.cos() * (1.0 + 0.01 * i as f64), a.sin(), i as f64 * 7.0)
            })
            .collect();
        let curves = fit_strokes(&[stroke(&points)], &FitConfig::default());
        assert!(curves.len() > 3);
        for w in curves.windows(2) {
            assert_eq!(w[0].control[3], w[1].control[0]);
        }
        assert_eq!(curves[0].control[0], [points[0].0, points[0].1]);
    }
}
