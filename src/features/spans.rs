//! Where each fitted curve comes from: its stroke and the range of that stroke's points.
//!
//! [`fit_strokes`](super::fit_strokes) emits, per non-empty stroke in order, the stroke's curves in
//! writing order (consecutive curves share their joining point, so a stroke of `n` points is
//! covered by curves whose `point_count - 1` sum to `n - 1`), with one pen-up curve between
//! consecutive strokes. That order is all [`curve_spans`] needs.

use super::Curve;

/// A run of points of one stroke: indices `first..=last` of stroke `stroke` of the ink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct PointRange {
    /// Index of the stroke in the ink.
    pub stroke: usize,
    /// First point (index within the stroke).
    pub first: usize,
    /// Last point, inclusive.
    pub last: usize,
}

/// Per curve, the points it was fitted to (`None` for pen-up curves), given the number of points
/// of each stroke of the ink the curves were fitted from. Curves beyond what the strokes can hold
/// (curves that were not fitted from these strokes) get `None`.
///
/// # Example
/// ```
/// use inkjot::features::{curve_spans, fit_ink, FeatureConfig, PointRange};
/// use inkjot::ink::{Ink, InkLimits};
/// let ink = Ink::from_channels(
///     vec![(vec![0.0, 5.0, 10.0], vec![0.0, 10.0, 0.0], None), (vec![20.0], vec![5.0], None)],
///     &InkLimits::default(),
/// ).unwrap();
/// let curves = fit_ink(&ink, &FeatureConfig::default());
/// let spans = curve_spans(&[3, 1], &curves);
/// assert_eq!(spans.last(), Some(&Some(PointRange { stroke: 1, first: 0, last: 0 })));
/// ```
pub fn curve_spans(stroke_points: &[usize], curves: &[Curve]) -> Vec<Option<PointRange>> {
    let mut strokes = stroke_points
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, &n)| (i, n));
    let mut current = strokes.next();
    let mut cursor = 0usize;
    curves
        .iter()
        .map(|curve| {
            if curve.pen_up {
                current = strokes.next();
                cursor = 0;
                return None;
            }
            let (stroke, n) = current?;
            let first = cursor.min(n - 1);
            let last = (first + curve.point_count.saturating_sub(1)).min(n - 1);
            cursor = last;
            Some(PointRange {
                stroke,
                first,
                last,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FitConfig, NormPoint, fit_strokes};

    fn wave(n: usize, x0: f64) -> Vec<NormPoint> {
        (0..n)
            .map(|i| NormPoint {
                x: x0 + i as f64 * 0.02,
                y: (i as f64 * 0.4).sin() * 0.5,
                t: i as f64 * 10.0,
            })
            .collect()
    }

    #[test]
    fn spans_tile_every_stroke_in_order() {
        let strokes = vec![wave(80, 0.0), wave(1, 2.0), wave(35, 3.0)];
        let curves = fit_strokes(&strokes, &FitConfig::default());
        let lens: Vec<usize> = strokes.iter().map(Vec::len).collect();
        let spans = curve_spans(&lens, &curves);
        assert_eq!(spans.len(), curves.len());
        for (span, curve) in spans.iter().zip(&curves) {
            assert_eq!(span.is_none(), curve.pen_up);
        }
        for (s, &n) in lens.iter().enumerate() {
            let ranges: Vec<PointRange> = spans
                .iter()
                .flatten()
                .filter(|r| r.stroke == s)
                .copied()
                .collect();
            assert_eq!(ranges.first().map(|r| r.first), Some(0), "stroke {s}");
            assert_eq!(ranges.last().map(|r| r.last), Some(n - 1), "stroke {s}");
            for w in ranges.windows(2) {
                assert_eq!(w[0].last, w[1].first, "stroke {s}: curves join");
            }
        }
        // The curves' end points are the stroke points the spans name.
        for (span, curve) in spans.iter().zip(&curves) {
            if let Some(r) = span {
                let p = strokes[r.stroke][r.last];
                assert!((curve.control[3][0] - p.x).abs() < 1e-9);
            }
        }
    }
}
