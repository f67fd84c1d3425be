//! Streaming sessions: [`crate::Session`] behind an opaque, boxed handle.

use super::error::InkjotStatus;
use super::handle::{self, Castable, OwnershipBox};
use super::panic::ffi_boundary;
use super::recognizer::InkjotRecognizer;
use super::results::{CandidateList, InkjotResults};
use super::{InkjotOptions, InkjotPoint, recognize_options, writing_area};
use crate::error::InkError;
use crate::ink::Point;
use crate::session::{Session, SessionOptions};

/// A streaming recognition session (see `inkjot_session_new`). Use it from one thread at a time;
/// it may move between threads. Free it with `inkjot_session_free`.
pub struct InkjotSession {
    _private: [u8; 0],
}

impl Castable for InkjotSession {
    type Ownership = OwnershipBox;
    type RustType = Session;
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
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live recognizer.
        let recognizer = unsafe { handle::try_clone_arc(recognizer, "recognizer") }?;
        handle::out(out, "out")?;
        let options = SessionOptions {
            writing_area: writing_area(writing_area_height)?,
            ..SessionOptions::default()
        };
        let session = Session::new(recognizer, options)?;
        // SAFETY: `out` was checked; the caller guarantees it is valid for writes.
        unsafe { handle::set_box(out, session) };
        Ok(())
    }
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
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle::try_mut(session, "session") }?;
        s.add_point(Point { x, y, t })?;
        Ok(())
    }
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
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle::try_mut(session, "session") }?;
        // Checked before the points are read and copied.
        let limit = s.options().limits.max_points;
        if count > limit {
            return Err(InkError::TooManyPoints { count, limit }.into());
        }
        // SAFETY: the caller guarantees `count` points at `points`.
        let points = unsafe { super::slice(points, count, "points") }?;
        let points: Vec<Point> = points.iter().map(|&p| p.into()).collect();
        s.add_points(&points)?;
        Ok(())
    }
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
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle::try_mut(session, "session") }?;
        s.end_stroke();
        Ok(())
    }
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
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle::try_mut(session, "session") }?;
        handle::out(out, "out")?;
        // SAFETY: the caller guarantees NULL or valid options.
        let options = unsafe { recognize_options(options) }?;
        let recognition = s.candidates(&options)?;
        // SAFETY: `out` was checked; the caller guarantees it is valid for writes.
        unsafe { handle::set_box(out, CandidateList::new(recognition)) };
        Ok(())
    }
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
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live, unshared session.
        let s = unsafe { handle::try_mut(session, "session") }?;
        s.clear();
        Ok(())
    }
}

/// Number of strokes in the session, the one in progress included (0 for NULL).
///
/// Thread safety: not while another thread modifies the session.
///
/// # Safety
/// `session` is NULL or a live session not being modified during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_stroke_count(session: *const InkjotSession) -> usize {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live session.
        unsafe { handle::try_ref(session, "session") }.map_or(0, Session::stroke_count)
    }
}

/// Frees a session. NULL is a no-op.
///
/// Thread safety: not while another thread uses the session.
///
/// # Safety
/// `session` is NULL or a session from this library not freed before and not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_session_free(session: *mut InkjotSession) {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or an unfreed session.
        unsafe { handle::free_box(session) }
    }
}
