//! Ink: the strokes a person wrote, as points of (x, y, t).
//!
//! Coordinates are in any device unit with x growing to the right and y growing downward (screen
//! convention); `t` is in milliseconds from any origin. An [`Ink`] can only be built through
//! [`Ink::new`], which validates it against [`InkLimits`], so every `Ink` in the program is
//! well-formed: at least one stroke, no empty stroke, finite values, time never going backwards.

mod inkml;
mod jsonl;
mod reader;

pub use inkml::parse_inkml;
pub use jsonl::{JsonStroke, JsonlReader, write_jsonl_record};
pub use reader::{InkFormat, read_ink, read_ink_file};

use crate::error::InkError;

/// One sampled pen or finger position.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct Point {
    /// Horizontal position, growing to the right.
    pub x: f64,
    /// Vertical position, growing downward.
    pub y: f64,
    /// Time in milliseconds.
    pub t: f64,
}

/// The points from one pen-down to the next pen-up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stroke {
    /// Points in writing order.
    pub points: Vec<Point>,
}

/// Limits that reject absurd inputs before any work is done on them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InkLimits {
    /// Most points in one ink, over all strokes.
    pub max_points: usize,
    /// Most strokes in one ink.
    pub max_strokes: usize,
    /// Largest magnitude allowed for a coordinate or a time.
    pub max_abs_value: f64,
}

impl Default for InkLimits {
    fn default() -> Self {
        InkLimits {
            max_points: 100_000,
            max_strokes: 2_000,
            max_abs_value: 1e9,
        }
    }
}

impl InkLimits {
    /// Checks the size of an ink of `strokes` strokes and `points` points against the limits (the
    /// one size check of batch inks and streaming sessions).
    pub(crate) fn check_size(&self, strokes: usize, points: usize) -> Result<(), InkError> {
        if strokes > self.max_strokes {
            return Err(InkError::TooManyStrokes {
                count: strokes,
                limit: self.max_strokes,
            });
        }
        if points > self.max_points {
            return Err(InkError::TooManyPoints {
                count: points,
                limit: self.max_points,
            });
        }
        Ok(())
    }

    /// Checks point `point` of stroke `stroke`: finite, within `max_abs_value`, and not earlier
    /// than the ink's previous point at `previous_t` (the one point check of batch inks and
    /// streaming sessions).
    pub(crate) fn check_point(
        &self,
        p: &Point,
        stroke: usize,
        point: usize,
        previous_t: f64,
    ) -> Result<(), InkError> {
        for (channel, value) in [("x", p.x), ("y", p.y), ("t", p.t)] {
            if !value.is_finite() {
                return Err(InkError::NonFinite {
                    stroke,
                    point,
                    channel,
                });
            }
            if value.abs() > self.max_abs_value {
                return Err(InkError::OutOfRange {
                    stroke,
                    point,
                    channel,
                    value,
                    limit: self.max_abs_value,
                });
            }
        }
        if p.t < previous_t {
            return Err(InkError::TimeBackwards {
                stroke,
                point,
                previous: previous_t,
                current: p.t,
            });
        }
        Ok(())
    }
}

/// An axis-aligned bounding box of points; [`BoundingBox::EMPTY`] (min > max) until a point is
/// included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Smallest x.
    pub min_x: f64,
    /// Smallest y (the top: y grows downward).
    pub min_y: f64,
    /// Largest x.
    pub max_x: f64,
    /// Largest y.
    pub max_y: f64,
}

impl BoundingBox {
    /// The box of no points.
    pub const EMPTY: BoundingBox = BoundingBox {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    /// Grows the box to hold `p`.
    pub fn include(&mut self, p: &Point) {
        self.min_x = self.min_x.min(p.x);
        self.min_y = self.min_y.min(p.y);
        self.max_x = self.max_x.max(p.x);
        self.max_y = self.max_y.max(p.y);
    }

    /// True when no point was included.
    pub fn is_empty(&self) -> bool {
        self.min_x > self.max_x
    }

    /// `max_x - min_x` (negative infinity when empty).
    pub fn width(&self) -> f64 {
        self.max_x - self.min_x
    }

    /// `max_y - min_y` (negative infinity when empty).
    pub fn height(&self) -> f64 {
        self.max_y - self.min_y
    }
}

/// One stroke as separate channel arrays: x, y and, when known, t.
pub type StrokeChannels = (Vec<f64>, Vec<f64>, Option<Vec<f64>>);

/// Time step, in milliseconds, used where an input gives no time.
pub const SYNTHETIC_TIME_STEP_MS: f64 = 10.0;

/// A validated ink: one or more strokes of one or more finite points, time non-decreasing.
#[derive(Debug, Clone, PartialEq)]
pub struct Ink {
    strokes: Vec<Stroke>,
}

impl Ink {
    /// Validates `strokes` against `limits` and builds an ink.
    ///
    /// # Example
    /// ```
    /// use inkjot::ink::{Ink, InkLimits, Point, Stroke};
    /// let stroke = Stroke { points: vec![Point { x: 0.0, y: 0.0, t: 0.0 }, Point { x: 1.0, y: 2.0, t: 10.0 }] };
    /// let ink = Ink::new(vec![stroke], &InkLimits::default()).unwrap();
    /// assert_eq!(ink.point_count(), 2);
    /// assert!(Ink::new(vec![], &InkLimits::default()).is_err());
    /// ```
    pub fn new(strokes: Vec<Stroke>, limits: &InkLimits) -> Result<Ink, InkError> {
        if strokes.is_empty() {
            return Err(InkError::NoStrokes);
        }
        let count: usize = strokes.iter().map(|s| s.points.len()).sum();
        limits.check_size(strokes.len(), count)?;
        let mut previous_t = f64::NEG_INFINITY;
        for (si, stroke) in strokes.iter().enumerate() {
            if stroke.points.is_empty() {
                return Err(InkError::EmptyStroke { stroke: si });
            }
            for (pi, p) in stroke.points.iter().enumerate() {
                limits.check_point(p, si, pi, previous_t)?;
                previous_t = p.t;
            }
        }
        Ok(Ink { strokes })
    }

    /// Builds an ink from per-stroke channel arrays; `t` may be `None` for a stroke, in which case
    /// time is synthesized at [`SYNTHETIC_TIME_STEP_MS`] per point, continuing from the previous
    /// stroke with a gap of two steps.
    pub fn from_channels(
        channels: Vec<StrokeChannels>,
        limits: &InkLimits,
    ) -> Result<Ink, InkError> {
        let count: usize = channels.iter().map(|(x, _, _)| x.len()).sum();
        limits.check_size(channels.len(), count)?;
        let mut strokes = Vec::with_capacity(channels.len());
        let mut next_t = 0.0;
        for (si, (x, y, t)) in channels.into_iter().enumerate() {
            let t_len = t.as_ref().map_or(x.len(), Vec::len);
            if x.len() != y.len() || x.len() != t_len {
                return Err(InkError::LengthMismatch {
                    stroke: si,
                    x: x.len(),
                    y: y.len(),
                    t: t.as_ref().map_or(0, Vec::len),
                });
            }
            let points: Vec<Point> = match t {
                Some(t) => x
                    .iter()
                    .zip(&y)
                    .zip(&t)
                    .map(|((&x, &y), &t)| Point { x, y, t })
                    .collect(),
                None => x
                    .iter()
                    .zip(&y)
                    .enumerate()
                    .map(|(i, (&x, &y))| Point {
                        x,
                        y,
                        t: next_t + i as f64 * SYNTHETIC_TIME_STEP_MS,
                    })
                    .collect(),
            };
            if let Some(last) = points.last() {
                next_t = last.t + 2.0 * SYNTHETIC_TIME_STEP_MS;
            }
            strokes.push(Stroke { points });
        }
        Ink::new(strokes, limits)
    }

    /// The strokes, in writing order.
    pub fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }

    /// Total number of points over all strokes.
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(|s| s.points.len()).sum()
    }

    /// Applies `f` to every point and re-validates (used by augmentation).
    pub fn map_points(
        &self,
        limits: &InkLimits,
        mut f: impl FnMut(Point) -> Point,
    ) -> Result<Ink, InkError> {
        let strokes = self
            .strokes
            .iter()
            .map(|s| Stroke {
                points: s.points.iter().map(|&p| f(p)).collect(),
            })
            .collect();
        Ink::new(strokes, limits)
    }

    /// The ink of some of its strokes (`indices` ascending, each in range), still in writing
    /// order; `None` when none is selected. A subset of a valid ink is valid.
    pub(crate) fn select_strokes(&self, indices: &[usize]) -> Option<Ink> {
        let strokes: Vec<Stroke> = indices
            .iter()
            .filter_map(|&i| self.strokes.get(i).cloned())
            .collect();
        (!strokes.is_empty()).then_some(Ink { strokes })
    }

    /// The bounding box of all points.
    pub fn bounding_box(&self) -> BoundingBox {
        let mut bbox = BoundingBox::EMPTY;
        for p in self.strokes.iter().flat_map(|s| &s.points) {
            bbox.include(p);
        }
        bbox
    }
}

/// An ink as read from a file, with its id and (for training and evaluation data) its label.
#[derive(Debug, Clone, PartialEq)]
pub struct InkRecord {
    /// The record's id (or its 0-based index in the file when it has none).
    pub id: String,
    /// The transcription, when known.
    pub label: Option<String>,
    /// What the ink holds, when the file says (`char`, `word` or `text` in UNIPEN).
    pub kind: Option<String>,
    /// The ink.
    pub ink: Ink,
}
