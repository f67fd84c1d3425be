//! Streaming recognition: points arrive one by one, strokes end, candidates are asked for at any
//! time, and a finished stroke is fitted once.
//!
//! # How finished strokes are kept
//!
//! Batch recognition normalizes the whole ink (translate to the bounding box, scale by the writing
//! height) and then fits each stroke. A [`Session`] fits each stroke when it ends and keeps its
//! curves together with the normalization frame they were fitted in (origin and scale, the same
//! `Frame` batch normalization uses):
//!
//! - **With a writing area** (recommended: a keyboard knows its canvas height) the scale never
//!   changes, and the frame's origin (the bounding box's top-left corner) is fixed at the first
//!   fit. Features are differences of positions, except the start height `y`, which is shifted
//!   by how far the bounding box's top has moved since; so a later stroke that moves the bounding
//!   box does not make finished strokes be fitted again. Candidates equal batch recognition of the
//!   same strokes up to floating-point rounding of that translation (the tests see the same texts
//!   with scores within 1e-4; bit for bit while the corner has not moved).
//! - **Without one** the scale is the ink's own height, which changes as strokes arrive; when it
//!   has changed since the strokes were fitted, all finished strokes are fitted again in the new
//!   frame, which costs as much as batch recognition.
//!
//! The stroke being written is fitted on each request for candidates and not kept. Points are
//! validated by the same checks as [`Ink::new`] ([`InkLimits`]).
//!
//! # Allocation
//!
//! Adding points allocates nothing in steady state: the stroke being written is kept in one buffer
//! that a new session reserves for [`STROKE_RESERVE`] points (fewer when
//! [`InkLimits::max_points`] is lower) and that keeps its capacity across strokes, undo and clear
//! (a longer stroke grows it once, for the session's life). [`Session::end_stroke`] copies the
//! points into the finished stroke (one allocation per stroke, besides its fit) and
//! [`Session::candidates`] allocates for the features and the network. `tests/streaming_alloc.rs`
//! counts.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::features::{
    Curve, FEATURE_DIM, FitConfig, Frame, StrokeFit, WritingArea, Y_FEATURE, curve_features,
    curve_spans, fit_stroke, pen_up_curve,
};
use crate::ink::{BoundingBox, Ink, InkLimits, Point, Stroke};
use crate::lines::split_lines;
use crate::recognizer::{Recognition, RecognizeOptions, Recognizer, whole_line};

/// Settings fixed for a session's life.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SessionOptions {
    /// The area the user writes in: `Height(h)` (positive, finite) fits each finished stroke once;
    /// `Auto` scales by the ink's own height and refits finished strokes when it changes.
    pub writing_area: WritingArea,
    /// The limits points are validated against, as for [`Ink::new`].
    pub limits: InkLimits,
}

/// Points a new session reserves for the stroke being written, so that adding points does not
/// allocate (capped by [`InkLimits::max_points`]): 1,024 points (24 KiB) hold a stroke of
/// several seconds at the 100-200 Hz of pens and touch screens (strokes of UNIPEN valid words
/// have 17 points at the median, 57 at most over 200 words); a longer one grows the buffer once.
pub const STROKE_RESERVE: usize = 1024;

#[derive(Debug, Clone)]
struct Finished {
    points: Vec<Point>,
    /// The fit in the session's current frame.
    fit: StrokeFit,
}

/// An ink being written, recognized incrementally (see the module docs for what is cached).
///
/// Sessions are `Send + Sync` and cheap to make: many may share one [`Recognizer`].
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use inkjot::features::WritingArea;
/// use inkjot::ink::Point;
/// use inkjot::{RecognizeOptions, Recognizer, Session, SessionOptions};
/// let model = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-model.safetensors"))?;
/// let recognizer = Arc::new(Recognizer::from_bytes(&model)?);
/// let options = SessionOptions { writing_area: WritingArea::Height(100.0), ..Default::default() };
/// let mut session = Session::new(recognizer, options)?;
/// for i in 0..10 {
///     session.add_point(Point { x: 10.0, y: 10.0 * i as f64, t: 10.0 * i as f64 })?;
/// }
/// session.end_stroke();
/// let live = session.candidates(&RecognizeOptions::default())?;
/// assert!(!live.candidates.is_empty());
/// // A NaN is rejected with a typed error and changes nothing.
/// assert!(session.add_point(Point { x: f64::NAN, y: 0.0, t: 200.0 }).is_err());
/// assert_eq!(session.point_count(), 10);
/// session.undo_stroke();
/// assert_eq!(session.stroke_count(), 0);
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug)]
pub struct Session {
    recognizer: Arc<Recognizer>,
    options: SessionOptions,
    fit: FitConfig,
    finished: Vec<Finished>,
    /// The stroke being written; keeps its capacity (at least [`STROKE_RESERVE`] points, capped by
    /// the limits) across strokes, so adding points does not allocate.
    current: Vec<Point>,
    frame: Option<Frame>,
    /// Bounding box of every point so far.
    bbox: BoundingBox,
    point_count: usize,
    /// Time of the ink's first point (normalization counts time from it).
    t0: f64,
    last_t: f64,
    stroke_fits: usize,
}

/// The room a session reserves for the stroke being written under `limits`.
fn stroke_reserve(limits: &InkLimits) -> usize {
    STROKE_RESERVE.min(limits.max_points)
}

/// A clone keeps the reservation for the stroke being written (a derived one would not: a cloned
/// `Vec` has room for its points only), so adding points to a clone does not allocate either.
impl Clone for Session {
    fn clone(&self) -> Self {
        let mut current = Vec::with_capacity(
            self.current
                .capacity()
                .max(stroke_reserve(&self.options.limits)),
        );
        current.extend_from_slice(&self.current);
        Session {
            recognizer: Arc::clone(&self.recognizer),
            options: self.options,
            fit: self.fit,
            finished: self.finished.clone(),
            current,
            frame: self.frame,
            bbox: self.bbox,
            point_count: self.point_count,
            t0: self.t0,
            last_t: self.last_t,
            stroke_fits: self.stroke_fits,
        }
    }
}

impl Session {
    /// An empty session on `recognizer`. Errors: [`Error::InvalidArgument`] for a writing-area
    /// height that is not positive, finite and normal.
    pub fn new(recognizer: Arc<Recognizer>, options: SessionOptions) -> Result<Self> {
        if let WritingArea::Height(h) = options.writing_area {
            if !options.writing_area.is_valid() {
                return Err(Error::invalid(
                    "writing_area",
                    format!(
                        "the height must be positive, finite and not subnormal, not {}",
                        crate::error::Num(h)
                    ),
                ));
            }
        }
        Ok(Session {
            fit: recognizer.feature_config().fit,
            recognizer,
            options,
            finished: Vec::new(),
            current: Vec::with_capacity(stroke_reserve(&options.limits)),
            frame: None,
            bbox: BoundingBox::EMPTY,
            point_count: 0,
            t0: 0.0,
            last_t: f64::NEG_INFINITY,
            stroke_fits: 0,
        })
    }

    /// The session's settings.
    pub fn options(&self) -> &SessionOptions {
        &self.options
    }

    /// Appends a point to the current stroke (starting one if needed). The point is validated as
    /// [`Ink::new`] would (finite, within the limits, time not going backwards); a rejected point
    /// leaves the session unchanged and is reported as [`Error::Ink`].
    pub fn add_point(&mut self, point: Point) -> Result<()> {
        self.add_points(&[point])
    }

    /// Appends points to the current stroke: all of them or, on error, none.
    pub fn add_points(&mut self, points: &[Point]) -> Result<()> {
        let Some(first) = points.first() else {
            return Ok(());
        };
        let strokes = self.finished.len() + 1;
        let count = self.point_count.saturating_add(points.len());
        let limits = &self.options.limits;
        limits.check_size(strokes, count)?;
        let mut last_t = self.last_t;
        for (i, p) in points.iter().enumerate() {
            limits.check_point(p, strokes - 1, self.current.len() + i, last_t)?;
            last_t = p.t;
        }
        points.iter().for_each(|p| self.bbox.include(p));
        if self.point_count == 0 {
            self.t0 = first.t;
        }
        self.current.extend_from_slice(points);
        self.point_count = count;
        self.last_t = last_t;
        Ok(())
    }

    /// Ends the current stroke and fits it (once, unless the frame changes; see the module docs).
    /// Does nothing when no stroke is in progress.
    pub fn end_stroke(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let frame = self.refresh_frame();
        // A copy, so that `current` keeps its capacity for the next stroke.
        let points = self.current.clone();
        self.current.clear();
        let fit = self.fit_in(&frame, &points);
        self.stroke_fits += 1;
        self.finished.push(Finished { points, fit });
    }

    /// Removes the last stroke (the one in progress if any, else the last finished one); returns
    /// false when there was none. The other strokes keep their fits unless the scale changes.
    pub fn undo_stroke(&mut self) -> bool {
        if self.current.is_empty() {
            if self.finished.pop().is_none() {
                return false;
            }
        } else {
            self.current.clear();
        }
        let remaining = self.finished.iter().flat_map(|f| &f.points);
        if remaining.clone().next().is_none() {
            self.clear();
            return true;
        }
        self.bbox = BoundingBox::EMPTY;
        remaining.clone().for_each(|p| self.bbox.include(p));
        self.point_count = remaining.clone().count();
        self.last_t = remaining.last().map_or(f64::NEG_INFINITY, |p| p.t);
        true
    }

    /// Forgets all strokes (for example after the text was committed); the options stay.
    pub fn clear(&mut self) {
        self.finished.clear();
        self.current.clear();
        self.frame = None;
        self.bbox = BoundingBox::EMPTY;
        self.point_count = 0;
        self.t0 = 0.0;
        self.last_t = f64::NEG_INFINITY;
    }

    /// Strokes so far, the one in progress included.
    pub fn stroke_count(&self) -> usize {
        self.finished.len() + usize::from(!self.current.is_empty())
    }

    /// Points so far.
    pub fn point_count(&self) -> usize {
        self.point_count
    }

    /// How many times a finished stroke was fitted since the session was made (one per
    /// [`end_stroke`](Self::end_stroke) plus refits after a change of scale).
    pub fn stroke_fits(&self) -> usize {
        self.stroke_fits
    }

    /// The strokes so far (the one in progress included) as an ink; `None` when there are none.
    pub fn ink(&self) -> Option<Ink> {
        let finished = self.finished.iter().map(|f| f.points.clone());
        let current = (!self.current.is_empty()).then(|| self.current.clone());
        let strokes = finished
            .chain(current)
            .map(|points| Stroke { points })
            .collect();
        Ink::new(strokes, &self.options.limits).ok()
    }

    /// The feature rows of the ink so far, as batch recognition computes them: cached curves for
    /// finished strokes, a fresh fit of the stroke in progress.
    pub fn features(&mut self) -> Vec<[f32; FEATURE_DIM]> {
        self.features_and_curves().0
    }

    /// [`Session::features`] and the curves they were computed from, in the same order.
    fn features_and_curves(&mut self) -> (Vec<[f32; FEATURE_DIM]>, Vec<Curve>) {
        if self.point_count == 0 {
            return (Vec::new(), Vec::new());
        }
        let frame = self.refresh_frame();
        let current = (!self.current.is_empty()).then(|| self.fit_in(&frame, &self.current));
        let mut curves = Vec::new();
        let mut previous: Option<&StrokeFit> = None;
        for fit in self.finished.iter().map(|f| &f.fit).chain(current.as_ref()) {
            if let Some(previous) = previous {
                curves.push(pen_up_curve(previous, fit));
            }
            curves.extend_from_slice(&fit.curves);
            previous = Some(fit);
        }
        let mut rows: Vec<[f32; FEATURE_DIM]> = curves.iter().map(curve_features).collect();
        // `y` is measured from the bounding box's top, which may have moved since the frame was
        // fixed; batch recognition measures from where it is now.
        let shift = ((frame.origin_y - self.bbox.min_y) * frame.scale) as f32;
        if shift != 0.0 {
            rows.iter_mut().for_each(|row| row[Y_FEATURE] += shift);
        }
        (rows, curves)
    }

    /// The candidates for everything written so far, the stroke in progress included; an empty
    /// session gives none. `options.writing_area` must be `Auto` (meaning the session's) or the
    /// session's own area, else [`Error::InvalidArgument`], as is an `nbest` of 0.
    /// With [`RecognizeOptions::lines`], once the ink holds several lines (a line started below
    /// the previous one) it is recognized line by line as [`Recognizer::recognize`] does, each
    /// line fitted afresh; until then [`Recognition::lines`] is the one line.
    pub fn candidates(&mut self, options: &RecognizeOptions) -> Result<Recognition> {
        let area = self.options.writing_area;
        if options.writing_area != WritingArea::Auto && options.writing_area != area {
            return Err(Error::invalid(
                "writing_area",
                format!(
                    "the options' writing area {:?} differs from the session's {area:?}",
                    options.writing_area
                ),
            ));
        }
        crate::recognizer::check_nbest(options.nbest)?;
        let (features, curves) = self.features_and_curves();
        if features.is_empty() {
            return Ok(Recognition {
                candidates: Vec::new(),
                curves: 0,
                lines: Vec::new(),
            });
        }
        let ink = (options.segments || options.lines)
            .then(|| self.ink())
            .flatten();
        let Some(ink) = ink else {
            return self.recognizer.recognize_features(&features, options);
        };
        if options.lines && split_lines(&ink).len() > 1 {
            // A line started below another: recognized line by line, as in batch recognition.
            let options = RecognizeOptions {
                writing_area: area,
                ..options.clone()
            };
            return self.recognizer.recognize(&ink, &options);
        }
        if !options.segments {
            let mut recognition = self.recognizer.recognize_features(&features, options)?;
            recognition.lines = whole_line(&ink, &recognition.candidates);
            return Ok(recognition);
        }
        let lengths: Vec<usize> = ink.strokes().iter().map(|s| s.points.len()).collect();
        let spans = curve_spans(&lengths, &curves);
        self.recognizer
            .recognize_rows(&features, Some((&ink, &spans)), options)
    }

    /// The frame for the points so far; when its scale differs from the one finished strokes were
    /// fitted with, they are fitted again in the new frame.
    fn refresh_frame(&mut self) -> Frame {
        let fresh = Frame::new(&self.bbox, self.options.writing_area, self.t0);
        match self.frame {
            Some(frame) if frame.scale == fresh.scale => frame,
            _ => {
                self.frame = Some(fresh);
                let refits: Vec<StrokeFit> = self
                    .finished
                    .iter()
                    .map(|f| self.fit_in(&fresh, &f.points))
                    .collect();
                for (finished, fit) in self.finished.iter_mut().zip(refits) {
                    finished.fit = fit;
                }
                self.stroke_fits += self.finished.len();
                fresh
            }
        }
    }

    /// Normalizes `points` in `frame` and fits them.
    fn fit_in(&self, frame: &Frame, points: &[Point]) -> StrokeFit {
        // Strokes are never empty; an empty fit would only drop the stroke from the features.
        fit_stroke(&frame.stroke(points), &self.fit).unwrap_or(StrokeFit {
            curves: Vec::new(),
            first: [0.0; 3],
            last: [0.0; 3],
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{STROKE_RESERVE, Session, SessionOptions};
    use crate::features::{FitConfig, NormPoint, fit_stroke, fit_strokes, pen_up_curve};
    use crate::ink::{InkLimits, Point};
    use crate::recognizer::Recognizer;

    fn tiny() -> Arc<Recognizer> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tiny-model.safetensors"
        );
        Arc::new(Recognizer::from_file(std::path::Path::new(path)).unwrap())
    }

    fn stroke(n: usize, t0: f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                x: i as f64,
                y: (i % 7) as f64,
                t: t0 + i as f64,
            })
            .collect()
    }

    /// The buffer of the stroke being written is reserved once and keeps its capacity through
    /// end_stroke, undo, clear and clone; a stroke longer than the reservation grows it for good.
    #[test]
    fn the_stroke_buffer_keeps_its_capacity() {
        let mut session = Session::new(tiny(), SessionOptions::default()).unwrap();
        assert_eq!(session.current.capacity(), STROKE_RESERVE);
        session.add_points(&stroke(10, 0.0)).unwrap();
        session.end_stroke();
        assert_eq!(session.current.capacity(), STROKE_RESERVE);
        assert_eq!((session.stroke_count(), session.point_count()), (1, 10));
        session
            .add_points(&stroke(STROKE_RESERVE + 1, 100.0))
            .unwrap();
        let grown = session.current.capacity();
        assert!(grown > STROKE_RESERVE);
        assert!(session.undo_stroke());
        assert_eq!(session.current.capacity(), grown);
        assert_eq!((session.stroke_count(), session.point_count()), (1, 10));
        assert_eq!(session.clone().current.capacity(), grown);
        session.clear();
        assert_eq!(session.current.capacity(), grown);
        assert_eq!((session.stroke_count(), session.point_count()), (0, 0));
        // The reservation never exceeds the limits.
        let limits = InkLimits {
            max_points: 16,
            ..InkLimits::default()
        };
        let options = SessionOptions {
            limits,
            ..SessionOptions::default()
        };
        let small = Session::new(tiny(), options).unwrap();
        assert_eq!(small.current.capacity(), 16);
        assert_eq!(small.clone().current.capacity(), 16);
    }

    /// Sessions rebuild the curves of an ink from per-stroke fits; that is what batch fitting
    /// does too.
    #[test]
    fn fit_strokes_is_fit_stroke_joined_by_pen_up_curves() {
        let point = |x: f64, y: f64, t: f64| NormPoint { x, y, t };
        let a: Vec<NormPoint> = (0..5)
            .map(|i| point(f64::from(i) * 0.1, 0.0, f64::from(i) * 10.0))
            .collect();
        let b: Vec<NormPoint> = (0..5)
            .map(|i| point(0.2, f64::from(i) * 0.1, 100.0 + f64::from(i) * 10.0))
            .collect();
        let config = FitConfig::default();
        let (fa, fb) = (
            fit_stroke(&a, &config).unwrap(),
            fit_stroke(&b, &config).unwrap(),
        );
        let pieces: Vec<_> = fa
            .curves
            .iter()
            .copied()
            .chain([pen_up_curve(&fa, &fb)])
            .chain(fb.curves.iter().copied())
            .collect();
        assert_eq!(pieces, fit_strokes(&[a, b], &config));
    }
}
