//! The candidate list handed to C.

use std::ffi::{CString, c_char};

use super::handle::{self, Castable, OwnershipBox};
use super::panic::ffi_boundary;
use crate::recognizer::Recognition;

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

/// The Rust side of `InkjotResults`: the candidates' texts as C strings, and their scores.
#[derive(Debug)]
pub(crate) struct CandidateList {
    texts: Vec<CString>,
    scores: Vec<f32>,
}

impl CandidateList {
    /// The list of a recognition (a NUL inside a text becomes U+FFFD).
    pub(crate) fn new(recognition: Recognition) -> Self {
        let (texts, scores) = recognition
            .candidates
            .into_iter()
            .map(|c| {
                let text = CString::new(c.text.replace('\0', "\u{FFFD}")).unwrap_or_default();
                (text, c.score)
            })
            .unzip();
        CandidateList { texts, scores }
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
