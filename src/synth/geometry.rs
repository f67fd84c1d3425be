//! Plain stroke geometry for synthesis: boxes, affine maps, and pen trajectories with a human
//! velocity profile.

use crate::features::SplitMix64;
use crate::ink::{BoundingBox, Point};

/// Strokes being assembled (validated into an [`crate::Ink`] at the end).
pub type Strokes = Vec<Vec<Point>>;

/// The bounding box of some strokes.
pub fn bbox(strokes: &[Vec<Point>]) -> BoundingBox {
    let mut b = BoundingBox::EMPTY;
    for p in strokes.iter().flatten() {
        b.include(p);
    }
    b
}

/// The last time stamp, or 0 for no points.
pub fn end_time(strokes: &[Vec<Point>]) -> f64 {
    strokes.iter().flatten().map(|p| p.t).fold(0.0, f64::max)
}

/// Median interval between consecutive samples (10 ms when there is none).
pub fn sample_interval(strokes: &[Vec<Point>]) -> f64 {
    let mut dts: Vec<f64> = strokes
        .iter()
        .flat_map(|s| s.windows(2).map(|w| w[1].t - w[0].t))
        .filter(|dt| *dt > 0.0)
        .collect();
    if dts.is_empty() {
        return 10.0;
    }
    dts.sort_by(f64::total_cmp);
    dts[dts.len() / 2].clamp(2.0, 50.0)
}

/// Scales every point about the origin by `s`, then moves it by `(dx, dy)`.
pub fn place(strokes: &mut [Vec<Point>], s: f64, dx: f64, dy: f64) {
    for p in strokes.iter_mut().flatten() {
        p.x = p.x * s + dx;
        p.y = p.y * s + dy;
    }
}

/// Shifts every time stamp by `dt`.
pub fn shift_time(strokes: &mut [Vec<Point>], dt: f64) {
    for p in strokes.iter_mut().flatten() {
        p.t += dt;
    }
}

/// Most samples of one sub-movement of [`trajectory`].
const MAX_STEPS: usize = 400;

/// A minimum-jerk pen movement along the polyline `path` (ink units), starting at time `t0`,
/// sampled every `dt` ms: each run between sharp corners (> 60°) is one sub-movement whose
/// speed rises and falls smoothly, lasting `base_ms + ms_per_unit·length^0.6`.
pub fn trajectory(path: &[(f64, f64)], t0: f64, dt: f64, unit: f64) -> Vec<Point> {
    let mut out = Vec::new();
    if path.is_empty() {
        return out;
    }
    // Split at sharp corners.
    let mut runs: Vec<&[(f64, f64)]> = Vec::new();
    let mut start = 0;
    for i in 1..path.len().saturating_sub(1) {
        let (a, b, c) = (path[i - 1], path[i], path[i + 1]);
        let (u, v) = ((b.0 - a.0, b.1 - a.1), (c.0 - b.0, c.1 - b.1));
        let norm = (u.0.hypot(u.1) * v.0.hypot(v.1)).max(1e-12);
        if (u.0 * v.0 + u.1 * v.1) / norm < 0.5 {
            runs.push(&path[start..=i]);
            start = i;
        }
    }
    runs.push(&path[start..]);
    let mut t = t0;
    for run in runs {
        let lengths: Vec<f64> = run
            .windows(2)
            .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
            .collect();
        let total: f64 = lengths.iter().sum();
        let duration = 40.0 + 160.0 * (total / unit.max(1e-9)).powf(0.6);
        // At most MAX_STEPS samples per movement, whatever the (input-derived) unit and rate.
        let steps = ((duration / dt).round() as usize).clamp(1, MAX_STEPS);
        let first = if out.is_empty() { 0 } else { 1 };
        for k in first..=steps {
            let tau = k as f64 / steps as f64;
            let s = total * (10.0 * tau.powi(3) - 15.0 * tau.powi(4) + 6.0 * tau.powi(5));
            let (x, y) = along(run, &lengths, s);
            out.push(Point {
                x,
                y,
                t: t + tau * duration,
            });
        }
        t += duration;
    }
    out
}

/// The point at arc length `s` along `run` (whose segment lengths are `lengths`).
fn along(run: &[(f64, f64)], lengths: &[f64], mut s: f64) -> (f64, f64) {
    for (i, &l) in lengths.iter().enumerate() {
        if s <= l || i + 1 == lengths.len() {
            let f = if l > 0.0 {
                (s / l).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (a, b) = (run[i], run[i + 1]);
            return (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1));
        }
        s -= l;
    }
    run[0]
}

/// A smooth curve through `points` (Catmull-Rom, `per` samples per span), for hand-like marks.
pub fn smooth(points: &[(f64, f64)], per: usize) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let n = points.len();
    let get = |i: isize| points[i.clamp(0, n as isize - 1) as usize];
    let mut out = Vec::with_capacity(n * per);
    for i in 0..n - 1 {
        let (p0, p1, p2, p3) = (
            get(i as isize - 1),
            get(i as isize),
            get(i as isize + 1),
            get(i as isize + 2),
        );
        for k in 0..per {
            let t = k as f64 / per as f64;
            let (t2, t3) = (t * t, t * t * t);
            let f = |a: f64, b: f64, c: f64, d: f64| {
                0.5 * (2.0 * b
                    + (-a + c) * t
                    + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
                    + (-a + 3.0 * b - 3.0 * c + d) * t3)
            };
            out.push((f(p0.0, p1.0, p2.0, p3.0), f(p0.1, p1.1, p2.1, p3.1)));
        }
    }
    out.push(points[n - 1]);
    out
}

/// Uniform in `[lo, hi)`.
pub fn uniform(rng: &mut SplitMix64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.uniform()
}

/// A random index below `n` (`n` > 0).
pub fn index(rng: &mut SplitMix64, n: usize) -> usize {
    ((rng.uniform() * n as f64) as usize).min(n.saturating_sub(1))
}

/// Rounds coordinates to 0.01 and times to 0.1 ms (smaller files; order kept).
pub fn round(strokes: &mut [Vec<Point>]) {
    for p in strokes.iter_mut().flatten() {
        p.x = (p.x * 100.0).round() / 100.0;
        p.y = (p.y * 100.0).round() / 100.0;
        p.t = (p.t * 10.0).round() / 10.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trajectory_is_slow_at_the_ends_and_fast_in_the_middle() {
        let path = [(0.0, 0.0), (100.0, 0.0)];
        let pts = trajectory(&path, 5.0, 10.0, 20.0);
        assert!(pts.len() > 5);
        assert_eq!(pts[0].t, 5.0);
        let steps: Vec<f64> = pts.windows(2).map(|w| w[1].x - w[0].x).collect();
        let mid = steps[steps.len() / 2];
        assert!(steps[0] < mid / 3.0 && steps[steps.len() - 1] < mid / 3.0);
        assert!((pts[pts.len() - 1].x - 100.0).abs() < 1e-9);
        assert!(pts.windows(2).all(|w| w[1].t > w[0].t));
    }

    #[test]
    fn corners_split_the_movement() {
        // A "V": the pen stops at the corner.
        let pts = trajectory(&[(0.0, 0.0), (10.0, 30.0), (20.0, 0.0)], 0.0, 5.0, 20.0);
        let corner = pts.iter().position(|p| p.y == 30.0).unwrap();
        let before = pts[corner].y - pts[corner - 1].y;
        assert!(before.abs() < 2.0, "slow near the corner: {before}");
    }
}
