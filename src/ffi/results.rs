//! The candidate list handed to C.

use std::ffi::{CString, c_char};

use super::InkjotStatus;
use super::error::FfiError;
use super::handle::{self, Castable, OwnershipBox};
use super::panic::ffi_boundary;
use crate::lines::TextLine;
use crate::recognizer::Recognition;
use crate::segment::{Segment, SegmentKind};

/// An immutable list of candidates, best first, returned by `inkjot_recognize` and
/// `inkjot_session_candidates`; free it with `inkjot_results_free`. It owns its strings. It may be
/// read from any number of threads at once.
pub struct InkjotResults {
    _private: [u8; 0],
}

impl Castable for InkjotResults {
    type Ownership = OwnershipBox;
    type RustType = CandidateList;
}

/// What a segment stands for.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InkjotSegmentKind {
    /// One character of the candidate (whitespace included; it has no ink).
    Char = 0,
    /// A run of non-whitespace characters.
    Word = 1,
}

/// Points `first..=last` (inclusive, 0-based) of stroke `stroke` of the ink as it was passed in.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InkjotPointRange {
    /// Index of the stroke.
    pub stroke: usize,
    /// First point within the stroke.
    pub first: usize,
    /// Last point within the stroke (inclusive).
    pub last: usize,
}

/// One segment of a candidate, as `inkjot_results_segment` fills it. Its pointers belong to the
/// results and are valid until `inkjot_results_free`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct InkjotSegment {
    /// The segment's characters, NUL-terminated UTF-8.
    pub text: *const c_char,
    /// Character or word.
    pub kind: InkjotSegmentKind,
    /// The points that wrote it, in writing order (`range_count` entries; NULL when 0).
    pub ranges: *const InkjotPointRange,
    /// Number of entries in `ranges`.
    pub range_count: usize,
    /// False when the segment has no ink (whitespace, or a character the ink did not write);
    /// `box` is then all zeros.
    pub has_box: bool,
    /// Bounding box of its points in the ink's units: min x, min y, max x, max y.
    pub r#box: [f64; 4],
}

/// One line of the ink, as `inkjot_results_line` fills it: the best candidate's text for it and
/// its strokes. Its pointers belong to the results and are valid until `inkjot_results_free`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct InkjotLine {
    /// The best candidate's text of the line (no line break), NUL-terminated UTF-8.
    pub text: *const c_char,
    /// Indices of the strokes (as passed in) that form the line, ascending (`stroke_count`
    /// entries; NULL when 0).
    pub strokes: *const usize,
    /// Number of entries in `strokes`.
    pub stroke_count: usize,
    /// False when the line has no points; `box` is then all zeros.
    pub has_box: bool,
    /// Bounding box of its points in the ink's units: min x, min y, max x, max y.
    pub r#box: [f64; 4],
}

/// A line held for C: its text as a C string.
#[derive(Debug)]
struct CLine {
    text: CString,
    strokes: Vec<usize>,
    bbox: Option<[f64; 4]>,
}

impl CLine {
    fn new(line: TextLine) -> Self {
        let b = line.bbox;
        CLine {
            text: c_string(&line.text),
            strokes: line.strokes,
            bbox: (!b.is_empty()).then_some([b.min_x, b.min_y, b.max_x, b.max_y]),
        }
    }

    fn to_c(&self) -> InkjotLine {
        InkjotLine {
            text: self.text.as_ptr(),
            strokes: if self.strokes.is_empty() {
                std::ptr::null()
            } else {
                self.strokes.as_ptr()
            },
            stroke_count: self.strokes.len(),
            has_box: self.bbox.is_some(),
            r#box: self.bbox.unwrap_or([0.0; 4]),
        }
    }
}

/// A segment held for C: its text as a C string and its ranges as C structs.
#[derive(Debug)]
struct CSegment {
    text: CString,
    kind: InkjotSegmentKind,
    ranges: Vec<InkjotPointRange>,
    bbox: Option<[f64; 4]>,
}

impl CSegment {
    fn new(segment: Segment) -> Self {
        CSegment {
            text: c_string(&segment.text),
            kind: match segment.kind {
                SegmentKind::Char => InkjotSegmentKind::Char,
                SegmentKind::Word => InkjotSegmentKind::Word,
            },
            ranges: segment
                .strokes
                .iter()
                .map(|r| InkjotPointRange {
                    stroke: r.stroke,
                    first: r.first,
                    last: r.last,
                })
                .collect(),
            bbox: segment.bbox.map(|b| [b.min_x, b.min_y, b.max_x, b.max_y]),
        }
    }

    fn to_c(&self) -> InkjotSegment {
        InkjotSegment {
            text: self.text.as_ptr(),
            kind: self.kind,
            ranges: if self.ranges.is_empty() {
                std::ptr::null()
            } else {
                self.ranges.as_ptr()
            },
            range_count: self.ranges.len(),
            has_box: self.bbox.is_some(),
            r#box: self.bbox.unwrap_or([0.0; 4]),
        }
    }
}

/// A text as a C string (a NUL inside becomes U+FFFD).
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// The Rust side of `InkjotResults`: per candidate its text as a C string, score, confidence and
/// segments; the ink's lines.
#[derive(Debug)]
pub(crate) struct CandidateList {
    texts: Vec<CString>,
    scores: Vec<f32>,
    confidences: Vec<f32>,
    segments: Vec<Vec<CSegment>>,
    lines: Vec<CLine>,
}

impl CandidateList {
    /// The list of a recognition.
    pub(crate) fn new(recognition: Recognition) -> Self {
        let mut list = CandidateList {
            texts: Vec::new(),
            scores: Vec::new(),
            confidences: Vec::new(),
            segments: Vec::new(),
            lines: recognition.lines.into_iter().map(CLine::new).collect(),
        };
        for c in recognition.candidates {
            list.texts.push(c_string(&c.text));
            list.scores.push(c.score);
            list.confidences.push(c.confidence);
            list.segments
                .push(c.segments.into_iter().map(CSegment::new).collect());
        }
        list
    }
}

/// Number of candidates in `results` (0 for NULL).
///
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_count(results: *const InkjotResults) -> usize {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        unsafe { handle::try_ref(results, "results") }.map_or(0, |r| r.texts.len())
    }
}

/// The text of candidate `index` (0 = best), NUL-terminated UTF-8; NULL when `results` is NULL or
/// `index` is not below the count.
///
/// Ownership: the string belongs to `results` and is valid until `inkjot_results_free(results)`.
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_text(
    results: *const InkjotResults,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        unsafe { handle::try_ref(results, "results") }
            .ok()
            .and_then(|r| r.texts.get(index))
            .map_or(std::ptr::null(), |t| t.as_ptr())
    }
}

/// The score of candidate `index`: a natural-log probability, higher is better (the decoder
/// defines its scale); NaN when `results` is NULL or `index` is not below the count.
///
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_score(results: *const InkjotResults, index: usize) -> f32 {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        unsafe { handle::try_ref(results, "results") }
            .ok()
            .and_then(|r| r.scores.get(index).copied())
            .unwrap_or(f32::NAN)
    }
}

/// The confidence of candidate `index`: the probability, in [0, 1], that it is what was written
/// (calibrated where the language pack carries a map; see docs/confidence.md); NaN when `results`
/// is NULL or `index` is not below the count.
///
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_confidence(
    results: *const InkjotResults,
    index: usize,
) -> f32 {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        unsafe { handle::try_ref(results, "results") }
            .ok()
            .and_then(|r| r.confidences.get(index).copied())
            .unwrap_or(f32::NAN)
    }
}

/// Number of segments of candidate `index`: its characters, then its words (0 when segments were
/// not asked for with `InkjotOptions.segments`, when `results` is NULL or `index` is not below
/// the count).
///
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_segment_count(
    results: *const InkjotResults,
    index: usize,
) -> usize {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        unsafe { handle::try_ref(results, "results") }
            .ok()
            .and_then(|r| r.segments.get(index))
            .map_or(0, Vec::len)
    }
}

/// Writes segment `segment` of candidate `index` to `out`: one per character of the candidate in
/// order (their texts concatenate to the candidate), then one per word.
///
/// Ownership: the strings and arrays `out` points to belong to `results` and are valid until
/// `inkjot_results_free(results)`.
/// Errors: NULL_POINTER; INVALID_ARGUMENT when `index` or `segment` is out of range.
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_segment(
    results: *const InkjotResults,
    index: usize,
    segment: usize,
    out: *mut InkjotSegment,
) -> InkjotStatus {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        let list = unsafe { handle::try_ref(results, "results") }?;
        handle::required(out, "out")?;
        let segments = list.segments.get(index).ok_or_else(|| {
            FfiError::invalid(format!("candidate {index} of {}", list.segments.len()))
        })?;
        let found = segments.get(segment).ok_or_else(|| {
            FfiError::invalid(format!(
                "segment {segment} of {} (candidate {index})",
                segments.len()
            ))
        })?;
        // SAFETY: `out` is not NULL and the caller guarantees it is valid for writes.
        unsafe { out.write(found.to_c()) };
        Ok(())
    }
}

/// Number of lines of the ink, top to bottom (the best candidate's text joins their texts with
/// `\n`): one when the ink was not split (`InkjotOptions.single_line`, or a single line of
/// writing); 0 when there is no candidate or `results` is NULL.
///
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_line_count(results: *const InkjotResults) -> usize {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        unsafe { handle::try_ref(results, "results") }.map_or(0, |r| r.lines.len())
    }
}

/// Writes line `line` (0 = top) of the ink to `out`.
///
/// Ownership: the string and array `out` points to belong to `results` and are valid until
/// `inkjot_results_free(results)`.
/// Errors: NULL_POINTER; INVALID_ARGUMENT when `line` is out of range.
/// Thread safety: any thread (the list is immutable).
///
/// # Safety
/// `results` is NULL or a live list from this library; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_line(
    results: *const InkjotResults,
    line: usize,
    out: *mut InkjotLine,
) -> InkjotStatus {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live list.
        let list = unsafe { handle::try_ref(results, "results") }?;
        handle::required(out, "out")?;
        let found = list.lines.get(line).ok_or_else(|| {
            FfiError::invalid(format!("line {line} of {}", list.lines.len()))
        })?;
        // SAFETY: `out` is not NULL and the caller guarantees it is valid for writes.
        unsafe { out.write(found.to_c()) };
        Ok(())
    }
}

/// Frees a candidate list and its strings. NULL is a no-op.
///
/// Thread safety: must not run while another thread reads the list.
///
/// # Safety
/// `results` is NULL or a list from this library not freed before; no other thread may be using
/// it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_results_free(results: *mut InkjotResults) {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or an unfreed list.
        unsafe { handle::free_box(results) }
    }
}
