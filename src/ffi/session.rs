//! Streaming recognition: points arrive one by one, strokes end, candidates are asked for at any
//! time, and a finished stroke is fitted once.
//!
//! # How finished strokes are kept
//!
//! Batch recognition normalizes the whole ink (translate to the bounding box, scale by the writing
//! height) and then fits each stroke. A [`Session`] fits each stroke when it ends and keeps its
//! curves ([`StrokeFit`]) together with the frame they were fitted in (origin and scale):
//!
//! - **With a writing area** (recommended: a keyboard knows its canvas height) the scale does not
//!   change (unless the ink outgrows the area a million times, see `MIN_AREA_TO_EXTENT`), and the frame's origin (the bounding box's top-left corner) is fixed at the first
//!   fit. Features are differences of positions, except the start height `y`, which is shifted
//!   by how far the bounding box's top has moved since; so a later stroke that moves the bounding
//!   box does not make finished strokes be fitted again. Candidates equal batch
//!   recognition of the same strokes up to floating-point rounding of that translation (the tests
//!   see the same texts with scores within 1e-4; bit for bit while the corner has not moved).
//! - **Without one** the scale is the ink's own height, which changes as strokes arrive; when it
//!   has changed since the strokes were fitted, all finished strokes are fitted again in the new
//!   frame, which costs as much as batch recognition.
//!
//! The stroke being written is fitted on each request for candidates and not kept.

use std::sync::Arc;

use super::error::InkjotStatus;
use super::recognizer::InkjotRecognizer;
use super::results::InkjotResults;
use super::{
    InkjotOptions, InkjotPoint, handle, handle_mut, out_ptr, panic, put, recognize_options,
    writing_area,
};
use crate::error::{Error, InkError, Result};
use crate::features::{
    FEATURE_DIM, FitConfig, NormPoint, StrokeFit, WritingArea, Y_FEATURE, curve_features,
    fit_stroke, pen_up_curve, reference_height,
};
use crate::ink::{Ink, InkLimits, Point, Stroke};
use crate::recognizer::{Recognition, RecognizeOptions, Recognizer};

/// The translation and scale finished strokes were fitted with.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    min_x: f64,
    min_y: f64,
    scale: f64,
}

#[derive(Debug, Clone)]
struct Finished {
    points: Vec<Point>,
    /// The fit in the session's current frame.
    fit: StrokeFit,
}

/// An ink being written, recognized incrementally (see the module docs for what is cached).
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use inkjot::Recognizer;
/// use inkjot::features::WritingArea;
/// use inkjot::ffi::Session;
/// use inkjot::ink::Point;
/// use inkjot::recognizer::RecognizeOptions;
/// let model = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-model.safetensors"))?;
/// let recognizer = Arc::new(Recognizer::from_bytes(&model)?);
/// let mut session = Session::new(recognizer, WritingArea::Height(100.0))?;
/// for i in 0..10 {
///     session.add_point(Point { x: 10.0, y: 10.0 * i as f64, t: 10.0 * i as f64 })?;
/// }
/// session.end_stroke();
/// let live = session.recognize(&RecognizeOptions::default())?;
/// assert!(!live.candidates.is_empty());
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    recognizer: Arc<Recognizer>,
    area: WritingArea,
    limits: InkLimits,
    fit: FitConfig,
    finished: Vec<Finished>,
    current: Vec<Point>,
    frame: Option<Frame>,
    /// Bounding box of every point so far: (min x, min y, max x, max y).
    bbox: (f64, f64, f64, f64),
    point_count: usize,
    /// Time of the ink's first point (normalization counts time from it).
    t0: f64,
    last_t: f64,
    stroke_fits: usize,
}

impl Session {
    /// An empty session on `recognizer`; `area` is fixed for the session's life.
    pub fn new(recognizer: Arc<Recognizer>, area: WritingArea) -> Result<Self> {
        if let WritingArea::Height(h) = area {
            if !area.is_valid() {
                return Err(Error::InvalidArgument(format!(
                    "the writing area height must be positive and finite, not {h}"
                )));
            }
        }
        Ok(Session {
            fit: recognizer.feature_config().fit,
            recognizer,
            area,
            limits: InkLimits::default(),
            finished: Vec::new(),
            current: Vec::new(),
            frame: None,
            bbox: EMPTY_BBOX,
            point_count: 0,
            t0: 0.0,
            last_t: f64::NEG_INFINITY,
            stroke_fits: 0,
        })
    }

    /// The session's writing area.
    pub fn writing_area(&self) -> WritingArea {
        self.area
    }

    /// Appends a point to the current stroke (starting one if needed). The point is validated as
    /// [`Ink::new`] would (finite, within the limits, time not going backwards); a rejected point
    /// leaves the session unchanged.
    pub fn add_point(&mut self, point: Point) -> Result<()> {
        self.add_points(&[point])
    }

    /// Appends points to the current stroke: all of them or, on error, none.
    pub fn add_points(&mut self, points: &[Point]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        if self.current.is_empty() && self.finished.len() >= self.limits.max_strokes {
            return Err(InkError::TooManyStrokes {
                count: self.finished.len() + 1,
                limit: self.limits.max_strokes,
            }
            .into());
        }
        let count = self.point_count + points.len();
        if count > self.limits.max_points {
            return Err(InkError::TooManyPoints {
                count,
                limit: self.limits.max_points,
            }
            .into());
        }
        let stroke = self.finished.len();
        let mut last_t = self.last_t;
        for (i, p) in points.iter().enumerate() {
            let point = self.current.len() + i;
            for (channel, value) in [("x", p.x), ("y", p.y), ("t", p.t)] {
                if !value.is_finite() {
                    return Err(InkError::NonFinite {
                        stroke,
                        point,
                        channel,
                    }
                    .into());
                }
                if value.abs() > self.limits.max_abs_value {
                    return Err(InkError::OutOfRange {
                        stroke,
                        point,
                        channel,
                        value,
                        limit: self.limits.max_abs_value,
                    }
                    .into());
                }
            }
            if p.t < last_t {
                return Err(InkError::TimeBackwards {
                    stroke,
                    point,
                    previous: last_t,
                    current: p.t,
                }
                .into());
            }
            last_t = p.t;
        }
        for p in points {
            self.bbox = (
                self.bbox.0.min(p.x),
                self.bbox.1.min(p.y),
                self.bbox.2.max(p.x),
                self.bbox.3.max(p.y),
            );
        }
        if self.point_count == 0 {
            self.t0 = points[0].t;
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
        let points = std::mem::take(&mut self.current);
        let fit = self.fit_in(frame, &points);
        self.stroke_fits += 1;
        self.finished.push(Finished { points, fit });
    }

    /// Forgets all strokes (for example after the text was committed); the area stays.
    pub fn clear(&mut self) {
        self.finished.clear();
        self.current.clear();
        self.frame = None;
        self.bbox = EMPTY_BBOX;
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
        let mut strokes: Vec<Stroke> = self
            .finished
            .iter()
            .map(|f| Stroke {
                points: f.points.clone(),
            })
            .collect();
        if !self.current.is_empty() {
            strokes.push(Stroke {
                points: self.current.clone(),
            });
        }
        Ink::new(strokes, &self.limits).ok()
    }

    /// The feature rows of the ink so far: cached curves for finished strokes, a fresh fit of the
    /// stroke in progress.
    pub fn features(&mut self) -> Vec<[f32; FEATURE_DIM]> {
        if self.point_count == 0 {
            return Vec::new();
        }
        let frame = self.refresh_frame();
        let current = (!self.current.is_empty()).then(|| self.fit_in(frame, &self.current));
        let mut rows = Vec::new();
        let mut previous: Option<&StrokeFit> = None;
        for fit in self.finished.iter().map(|f| &f.fit).chain(current.as_ref()) {
            if let Some(previous) = previous {
                rows.push(curve_features(&pen_up_curve(previous, fit)));
            }
            rows.extend(fit.curves.iter().map(curve_features));
            previous = Some(fit);
        }
        // `y` is measured from the bounding box's top, which may have moved up since the frame
        // was fixed; batch recognition measures from where it is now.
        let shift = ((frame.min_y - self.bbox.1) * frame.scale) as f32;
        if shift != 0.0 {
            rows.iter_mut().for_each(|row| row[Y_FEATURE] += shift);
        }
        rows
    }

    /// The current candidates. `options.writing_area` must be `Auto` (meaning the session's) or the
    /// session's own area. An empty session gives no candidates.
    pub fn recognize(&mut self, options: &RecognizeOptions) -> Result<Recognition> {
        if options.writing_area != WritingArea::Auto && options.writing_area != self.area {
            return Err(Error::InvalidArgument(format!(
                "the options' writing area {:?} differs from the session's {:?}",
                options.writing_area, self.area
            )));
        }
        if options.nbest == 0 {
            return Err(Error::InvalidArgument("nbest must be at least 1".into()));
        }
        let features = self.features();
        if features.is_empty() {
            return Ok(Recognition {
                candidates: Vec::new(),
                curves: 0,
            });
        }
        self.recognizer.recognize_features(&features, options)
    }

    fn refresh_frame(&mut self) -> Frame {
        let (min_x, min_y, max_x, max_y) = self.bbox;
        let scale = 1.0 / reference_height(max_x - min_x, max_y - min_y, self.area);
        match self.frame {
            Some(frame) if frame.scale == scale => frame,
            _ => {
                let frame = Frame {
                    min_x,
                    min_y,
                    scale,
                };
                self.frame = Some(frame);
                for i in 0..self.finished.len() {
                    self.finished[i].fit = self.fit_in(frame, &self.finished[i].points);
                }
                self.stroke_fits += self.finished.len();
                frame
            }
        }
    }

    /// Normalizes `points` in `frame` (as `features::normalize` does) and fits them.
    fn fit_in(&self, frame: Frame, points: &[Point]) -> StrokeFit {
        let normalized: Vec<NormPoint> = points
            .iter()
            .map(|p| NormPoint {
                x: (p.x - frame.min_x) * frame.scale,
                y: (p.y - frame.min_y) * frame.scale,
                t: p.t - self.t0,
            })
            .collect();
        let fit = fit_stroke(&normalized, &self.fit);
        // Strokes are never empty; an empty fit would only drop the stroke from the features.
        fit.unwrap_or(StrokeFit {
            curves: Vec::new(),
            first: [0.0; 3],
            last: [0.0; 3],
        })
    }
}

const EMPTY_BBOX: (f64, f64, f64, f64) = (
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
);

/// A streaming recognition session (see `inkjot_session_new`). Use it from one thread at a time;
/// it may move between threads. Free it with `inkjot_session_free`.
#[derive(Debug)]
pub struct InkjotSession {
    session: Session,
}

/// Starts a streaming session on `recognizer`.
///
/// - `writing_area_height`: the height of the area the user writes in, in the points' units; 0
///   means "the ink's own height". With a positive height each finished stroke is fitted exactly
///   once and candidates match `inkjot_recognize` with the same height (up to float rounding);
///   with 0 finished strokes are fitted again whenever the ink's height changes.
/// - `out`: receives the session; free it with `inkjot_session_free`. The session shares the
///   recognizer's model, so the recognizer may be freed first.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (negative, NaN or infinite height).
/// Thread safety: any thread; many sessions may share one recognizer across threads.
///
/// # Safety
/// `recognizer` is NULL or live; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_new(
    recognizer: *const InkjotRecognizer,
    writing_area_height: f64,
    out: *mut *mut InkjotSession,
) -> InkjotStatus {
    panic::status(|| {
        // SAFETY: the caller guarantees NULL or a live recognizer.
        let recognizer = unsafe { handle(recognizer, "recognizer") }?;
        out_ptr(out, "out")?;
        let area = writing_area(writing_area_height)?;
        let session = Session::new(Arc::clone(recognizer.recognizer()), area)?;
        // SAFETY: `out` was checked non-NULL; the caller guarantees it is valid for writes.
        unsafe { put(out, InkjotSession { session }) };
        Ok(())
    })
}

/// Appends one point to the stroke in progress (starting a stroke if none is).
///
/// Errors: NULL_POINTER; INVALID_INK for a NaN or infinite value, |value| > 1e9, time earlier
/// than the previous point's, or more than 100000 points / 2000 strokes. A rejected point leaves
/// the session unchanged.
/// Thread safety: one thread at a time per session (sessions may move between threads).
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_add_point(
    session: *mut InkjotSession,
    x: f64,
    y: f64,
    t: f64,
) -> InkjotStatus {
    panic::status(|| {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle_mut(session, "session") }?;
        Ok(s.session.add_point(Point { x, y, t })?)
    })
}

/// Appends `count` points to the stroke in progress: all of them, or none on error (see
/// `inkjot_session_add_point`). `points` may be NULL when `count` is 0; it is only read during
/// the call.
/// Thread safety: one thread at a time per session (sessions may move between threads).
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call; `points` points
/// to `count` points.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_add_points(
    session: *mut InkjotSession,
    points: *const InkjotPoint,
    count: usize,
) -> InkjotStatus {
    panic::status(|| {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle_mut(session, "session") }?;
        if count > s.session.limits.max_points {
            return Err(InkError::TooManyPoints {
                count,
                limit: s.session.limits.max_points,
            }
            .into());
        }
        // SAFETY: the caller guarantees `count` points at `points`.
        let points = unsafe { super::slice(points, count, "points") }?;
        let points: Vec<Point> = points.iter().map(|&p| p.into()).collect();
        Ok(s.session.add_points(&points)?)
    })
}

/// Ends the stroke in progress (the pen went up) and fits it; a no-op when none is in progress.
///
/// Errors: NULL_POINTER.
/// Thread safety: one thread at a time per session (sessions may move between threads).
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_end_stroke(session: *mut InkjotSession) -> InkjotStatus {
    panic::status(|| {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle_mut(session, "session") }?;
        s.session.end_stroke();
        Ok(())
    })
}

/// The candidates for everything written so far, the stroke in progress included.
///
/// - `options`: NULL for the defaults; `writing_area_height` must be 0 (the session's area) or
///   the session's own height.
/// - `out`: receives the candidates (an empty list for an empty session); free them with
///   `inkjot_results_free`.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT, INVALID_UTF8.
/// Thread safety: one thread at a time per session (sessions may move between threads).
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call; `options` is
/// NULL or valid; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_candidates(
    session: *mut InkjotSession,
    options: *const InkjotOptions,
    out: *mut *mut InkjotResults,
) -> InkjotStatus {
    panic::status(|| {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle_mut(session, "session") }?;
        out_ptr(out, "out")?;
        // SAFETY: the caller guarantees NULL or valid options.
        let options = unsafe { recognize_options(options) }?;
        let recognition = s.session.recognize(&options)?;
        // SAFETY: `out` was checked non-NULL; the caller guarantees it is valid for writes.
        unsafe { put(out, InkjotResults::new(recognition)) };
        Ok(())
    })
}

/// Forgets all strokes, keeping the session and its writing area (after the text was committed).
///
/// Errors: NULL_POINTER.
/// Thread safety: one thread at a time per session (sessions may move between threads).
///
/// # Safety
/// `session` is NULL or a live session not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_clear(session: *mut InkjotSession) -> InkjotStatus {
    panic::status(|| {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle_mut(session, "session") }?;
        s.session.clear();
        Ok(())
    })
}

/// Number of strokes in the session, the one in progress included (0 for NULL).
///
/// Thread safety: not while another thread modifies the session.
///
/// # Safety
/// `session` is NULL or a live session not being modified during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_stroke_count(session: *const InkjotSession) -> usize {
    panic::value(0, || {
        // SAFETY: the caller guarantees NULL or a live session.
        unsafe { session.as_ref() }.map_or(0, |s| s.session.stroke_count())
    })
}

/// Frees a session. NULL is a no-op.
///
/// Thread safety: not while another thread uses the session.
///
/// # Safety
/// `session` is NULL or a session from this library not freed before and not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_free(session: *mut InkjotSession) {
    // SAFETY: the caller guarantees NULL or an unfreed session made by `put`.
    panic::value((), || unsafe { super::free(session) })
}
