//! Stage 1: normalization of an ink before fitting.
//!
//! What is done, and why (following Carbune et al. 2020, section 3.1):
//! - **Translate** so that the ink's bounding box starts at (0, 0). Features are relative, so this
//!   only keeps the numbers small.
//! - **Scale** by the writing height, so that handwriting of any size and any device resolution has
//!   a height of about 1. The height is the caller's writing area height when given (a keyboard
//!   knows its canvas), else the ink's bounding-box height. A bounding box that is very flat (a dash,
//!   an underscore) would be blown up, so the automatic height is at least 1/16 of the width
//!   ([`MIN_HEIGHT_TO_WIDTH`]); an ink with no extent (one point) keeps scale 1. A given height is
//!   at least a millionth of the ink's extent ([`MIN_AREA_TO_EXTENT`]).
//! - **Keep time**, in milliseconds from the first point; the fitter rescales it per stroke.
//! - Y keeps growing downward; nothing is flipped.

use crate::ink::{BoundingBox, Ink, Point};

/// The automatic reference height is at least this fraction of the ink's width.
pub const MIN_HEIGHT_TO_WIDTH: f64 = 1.0 / 16.0;

/// A given writing area is widened to at least this fraction of the ink's width and height, so
/// that an area far smaller than the ink cannot scale coordinates past what the fitter can square.
pub const MIN_AREA_TO_EXTENT: f64 = 1e-6;

/// How the scale of an ink is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum WritingArea {
    /// Use the ink's own bounding-box height (guarded for flat inks).
    #[default]
    Auto,
    /// The height of the area the user wrote in, in the ink's units (for example a keyboard's
    /// canvas height); must be valid (see [`WritingArea::is_valid`]), otherwise `Auto` is used.
    Height(f64),
}

impl WritingArea {
    /// True for `Auto` and for a height that can scale an ink: positive, finite and not subnormal
    /// (the reciprocal of a subnormal height can overflow, and scale a zero offset to NaN).
    pub fn is_valid(self) -> bool {
        match self {
            WritingArea::Auto => true,
            WritingArea::Height(h) => h.is_normal() && h > 0.0,
        }
    }
}

/// A point after normalization: x and y in writing heights, t in milliseconds from the ink's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormPoint {
    /// Horizontal position in writing heights.
    pub x: f64,
    /// Vertical position in writing heights, growing downward.
    pub y: f64,
    /// Milliseconds since the first point of the ink.
    pub t: f64,
}

/// Normalizes an ink: the result has one point list per stroke.
///
/// # Example
/// ```
/// use inkjot::features::{normalize, WritingArea};
/// use inkjot::ink::{Ink, InkLimits};
/// let ink = Ink::from_channels(vec![(vec![100.0, 100.0], vec![50.0, 250.0], None)], &InkLimits::default()).unwrap();
/// let strokes = normalize(&ink, WritingArea::Auto);
/// assert_eq!(strokes[0][1].y, 1.0); // height 200 scaled to 1
/// ```
pub fn normalize(ink: &Ink, area: WritingArea) -> Vec<Vec<NormPoint>> {
    let t0 = ink
        .strokes()
        .first()
        .and_then(|s| s.points.first())
        .map_or(0.0, |p| p.t);
    let frame = Frame::new(&ink.bounding_box(), area, t0);
    ink.strokes()
        .iter()
        .map(|s| frame.stroke(&s.points))
        .collect()
}

/// The translation and scale of a normalization: the one place points become [`NormPoint`]s, for
/// whole inks ([`normalize`]) and for the strokes of a streaming session (which keep the frame
/// their finished strokes were fitted in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frame {
    /// The point that becomes (0, 0): the bounding box's top-left corner.
    pub origin_x: f64,
    /// See `origin_x`.
    pub origin_y: f64,
    /// 1 / the reference height.
    pub scale: f64,
    /// The time that becomes 0: the ink's first point's.
    pub t0: f64,
}

impl Frame {
    /// The frame of an ink with bounding box `bbox` written in `area`, starting at time `t0`.
    pub fn new(bbox: &BoundingBox, area: WritingArea, t0: f64) -> Frame {
        Frame {
            origin_x: bbox.min_x,
            origin_y: bbox.min_y,
            scale: 1.0 / reference_height(bbox.width(), bbox.height(), area),
            t0,
        }
    }

    /// One stroke's points in this frame.
    pub fn stroke(&self, points: &[Point]) -> Vec<NormPoint> {
        points
            .iter()
            .map(|p| NormPoint {
                x: (p.x - self.origin_x) * self.scale,
                y: (p.y - self.origin_y) * self.scale,
                t: p.t - self.t0,
            })
            .collect()
    }
}

/// The height that becomes 1 after normalization of an ink whose bounding box is `width` by
/// `height`: the writing area's (widened to a millionth of the ink's extent), else the ink's own
/// (1 when that is zero or subnormal: the ink is a dot).
pub fn reference_height(width: f64, height: f64, area: WritingArea) -> f64 {
    if let WritingArea::Height(h) = area {
        if area.is_valid() {
            return h.max(width.max(height) * MIN_AREA_TO_EXTENT);
        }
    }
    let h = height.max(width * MIN_HEIGHT_TO_WIDTH);
    // Not subnormal: its reciprocal would overflow and scale a zero offset to NaN.
    if h > 0.0 && h.is_normal() { h } else { 1.0 }
}
