//! Drawing diacritics (and the bars of ł, ø, đ) as delayed pen strokes onto a letter's box,
//! varied in shape, size, slant and position.

use super::geometry::{smooth, trajectory, uniform};
use crate::alphabet::Mark;
use crate::features::SplitMix64;
use crate::ink::Point;

/// Where a letter's body lies in an ink (y grows downward).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LetterBox {
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Top of the body (without a removed i dot).
    pub top: f64,
    /// Bottom of the body (the baseline, or the descender's end).
    pub bottom: f64,
    /// The writing's x-height (height of `a`), the unit of mark sizes.
    pub unit: f64,
    /// Whether the caron is written as an apostrophe beside the letter (ď, ľ, ť, Ľ).
    pub tall: bool,
}

/// The mark's strokes as pen trajectories starting at `t0` (ms), sampled every `dt` ms.
pub fn draw(
    mark: Mark,
    b: &LetterBox,
    slant: f64,
    t0: f64,
    dt: f64,
    rng: &mut SplitMix64,
) -> Vec<Vec<Point>> {
    let u = b.unit;
    let size = u * uniform(rng, 0.32, 0.55);
    let aspect = uniform(rng, 0.75, 1.3);
    let rot = rng.normal() * 0.12;
    let cx = 0.5 * (b.x0 + b.x1) + u * rng.normal() * 0.07;
    let gap = u * uniform(rng, 0.08, 0.35);
    let w = (b.x1 - b.x0).max(0.3 * u);
    // Shapes in mark units: x right, y down, (0, 0) = the mark's anchor.
    let above = |shape: Vec<Vec<(f64, f64)>>, rng: &mut SplitMix64| {
        let anchor = (cx + slant * (gap + 0.5 * size), b.top - gap);
        transform(shape, anchor, size, aspect, rot, slant, rng)
    };
    let below = |shape: Vec<Vec<(f64, f64)>>, x: f64, rng: &mut SplitMix64| {
        let anchor = (x - slant * 0.3 * size, b.bottom + 0.02 * u);
        transform(shape, anchor, size, aspect, rot, slant, rng)
    };
    let dot = |x: f64, y: f64, rng: &mut SplitMix64| -> Vec<(f64, f64)> {
        if rng.uniform() < 0.6 {
            vec![(x - 0.04, y - 0.03), (x + 0.05, y + 0.03)]
        } else {
            let r = 0.07;
            (0..=6)
                .map(|k| {
                    let a = k as f64 * std::f64::consts::TAU / 6.0;
                    (x + r * a.cos(), y + r * a.sin())
                })
                .collect()
        }
    };
    let paths: Vec<Vec<(f64, f64)>> = match mark {
        Mark::Acute => above(vec![vec![(0.3, -0.8), (-0.2, 0.0)]], rng),
        Mark::Grave => above(vec![vec![(-0.3, -0.8), (0.2, 0.0)]], rng),
        Mark::Circumflex => above(vec![vec![(-0.45, 0.0), (0.0, -0.7), (0.45, 0.0)]], rng),
        Mark::Caron if b.tall => {
            let x = b.x1 + 0.15 * u;
            let shape = vec![vec![(0.05, 0.0), (0.0, 0.35), (-0.12, 0.7)]];
            transform(shape, (x, b.top), size, 1.0, rot, slant, rng)
        }
        Mark::Caron => above(vec![vec![(-0.45, -0.7), (0.0, 0.0), (0.45, -0.7)]], rng),
        Mark::Diaeresis => {
            let d = vec![dot(-0.35, -0.25, rng), dot(0.35, -0.25, rng)];
            above(d, rng)
        }
        Mark::DotAbove => {
            let d = vec![dot(0.0, -0.25, rng)];
            above(d, rng)
        }
        Mark::Tilde => {
            let wave: Vec<(f64, f64)> = (0..=8)
                .map(|k| {
                    let v = k as f64 / 8.0;
                    (v - 0.5, -0.3 - 0.22 * (std::f64::consts::TAU * v).sin())
                })
                .collect();
            above(vec![wave], rng)
        }
        Mark::Ring => {
            let ring: Vec<(f64, f64)> = (0..=10)
                .map(|k| {
                    let a = -std::f64::consts::FRAC_PI_2 - k as f64 * std::f64::consts::TAU / 10.0;
                    (0.3 * a.cos(), -0.35 + 0.3 * a.sin())
                })
                .collect();
            above(vec![ring], rng)
        }
        Mark::DoubleAcute => above(
            vec![
                vec![(0.05, -0.8), (-0.35, 0.0)],
                vec![(0.5, -0.8), (0.1, 0.0)],
            ],
            rng,
        ),
        Mark::Breve => above(
            vec![vec![(-0.45, -0.7), (-0.2, -0.1), (0.2, -0.1), (0.45, -0.7)]],
            rng,
        ),
        Mark::Cedilla => below(
            vec![vec![
                (0.0, -0.05),
                (0.05, 0.3),
                (0.35, 0.45),
                (0.1, 0.75),
                (-0.25, 0.7),
            ]],
            cx,
            rng,
        ),
        Mark::Ogonek => below(
            vec![vec![(0.0, -0.05), (-0.3, 0.35), (-0.1, 0.7), (0.25, 0.65)]],
            b.x1 - 0.2 * w,
            rng,
        ),
        Mark::CommaBelow => {
            let top = 0.15 * u / size;
            below(
                vec![vec![(0.05, top), (0.08, top + 0.2), (-0.15, top + 0.65)]],
                cx,
                rng,
            )
        }
        Mark::Stroke => stroke_bar(b, rng),
    };
    // Keep marks clear of the body: above ones end above its top, below ones start near its bottom.
    let (lo, hi) = paths
        .iter()
        .flatten()
        .fold((f64::MAX, f64::MIN), |(a, c), p| (a.min(p.1), c.max(p.1)));
    let shift = match mark {
        Mark::Stroke => 0.0,
        Mark::Caron if b.tall => 0.0,
        m if m.is_below() => (b.bottom - 0.1 * u - lo).max(0.0),
        _ => (b.top - 0.03 * u - hi).min(0.0),
    };
    let paths: Vec<Vec<(f64, f64)>> = paths
        .into_iter()
        .map(|p| p.into_iter().map(|(x, y)| (x, y + shift)).collect())
        .collect();
    let mut t = t0;
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let stroke = trajectory(&smooth(&path, 4), t, dt, u);
        t = stroke.last().map_or(t, |p| p.t) + uniform(rng, 60.0, 180.0);
        if !stroke.is_empty() {
            out.push(stroke);
        }
    }
    out
}

/// The bar through ł/Ł (across the stem), ø/Ø (a slash over the whole body) or đ/Đ (across the
/// stem near the top), in ink units. Which one is told by the box: a narrow tall body is a stem.
fn stroke_bar(b: &LetterBox, rng: &mut SplitMix64) -> Vec<Vec<(f64, f64)>> {
    let u = b.unit;
    let (w, h) = (b.x1 - b.x0, b.bottom - b.top);
    let j = |rng: &mut SplitMix64| u * rng.normal() * 0.05;
    if w > 0.6 * h {
        // ø: a slash from below left to above right.
        let (x0, y0) = (b.x0 - 0.15 * w + j(rng), b.bottom + 0.15 * h + j(rng));
        let (x1, y1) = (b.x1 + 0.15 * w + j(rng), b.top - 0.15 * h + j(rng));
        return vec![vec![(x0, y0), (x1, y1)]];
    }
    // A stem: a bar at 35-60 % of its height, rising slightly.
    let y = b.top + h * uniform(rng, 0.35, 0.6);
    let half = u * uniform(rng, 0.3, 0.5);
    let rise = u * uniform(rng, 0.0, 0.35);
    let cx = 0.5 * (b.x0 + b.x1) + j(rng);
    vec![vec![
        (cx - half, y + rise / 2.0),
        (cx + half, y - rise / 2.0),
    ]]
}

/// Shape points (mark units around `anchor`) jittered, scaled, rotated and slanted into ink units.
fn transform(
    shape: Vec<Vec<(f64, f64)>>,
    anchor: (f64, f64),
    size: f64,
    aspect: f64,
    rot: f64,
    slant: f64,
    rng: &mut SplitMix64,
) -> Vec<Vec<(f64, f64)>> {
    let (sin, cos) = rot.sin_cos();
    shape
        .into_iter()
        .map(|path| {
            path.into_iter()
                .map(|(x, y)| {
                    let (x, y) = (x + rng.normal() * 0.05, y + rng.normal() * 0.05);
                    let (x, y) = (x * aspect, y);
                    let (x, y) = (x * cos - y * sin, x * sin + y * cos);
                    let x = x - slant * y;
                    (anchor.0 + x * size, anchor.1 + y * size)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> LetterBox {
        LetterBox {
            x0: 100.0,
            x1: 140.0,
            top: 200.0,
            bottom: 240.0,
            unit: 40.0,
            tall: false,
        }
    }

    #[test]
    fn marks_lie_above_or_below_the_letter_and_are_timed_after_t0() {
        let mut rng = SplitMix64::new(3);
        for _ in 0..20 {
            for mark in Mark::ALL {
                let strokes = draw(mark, &letter(), 0.2, 1000.0, 10.0, &mut rng);
                assert!(!strokes.is_empty(), "{mark:?}");
                let pts: Vec<&Point> = strokes.iter().flatten().collect();
                assert!(pts.iter().all(|p| p.t >= 1000.0));
                assert!(pts.windows(2).all(|w| w[1].t >= w[0].t));
                let (min_y, max_y) = pts
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.y), b.max(p.y)));
                let mid_y = (min_y + max_y) / 2.0;
                match mark {
                    Mark::Stroke => assert!(mid_y > 190.0 && mid_y < 250.0, "{mid_y}"),
                    m if m.is_below() => assert!(mid_y > 240.0, "{m:?} {mid_y}"),
                    m => assert!(max_y < 202.0, "{m:?} {max_y}"),
                }
            }
        }
    }
}
