//! Recognizer handles and batch recognition.

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use super::error::{FfiError, InkjotStatus};
use super::handle::{self, Castable, OwnershipArc};
use super::panic::ffi_boundary;
use super::results::{CandidateList, InkjotResults};
use super::{InkjotOptions, InkjotPoint, recognize_options};
use crate::Models;
use crate::decode::LanguagePack;
use crate::ink::{Ink, InkLimits, Stroke};
use crate::recognizer::Recognizer;

/// A loaded recognizer: a model and, optionally, a language pack. Immutable: any number of threads
/// may call `inkjot_recognize` and `inkjot_session_new` on one recognizer at once. Free it with
/// `inkjot_recognizer_free`; sessions made from it keep the model alive on their own.
pub struct InkjotRecognizer {
    _private: [u8; 0],
}

impl Castable for InkjotRecognizer {
    type Ownership = OwnershipArc;
    type RustType = Recognizer;
}

/// Loads the recognizer `inkjot_recognizer_new_from_path` loads (also used by the JNI bridge):
/// `path` is a model file or a directory holding `recognizer-int8.safetensors`; a non-empty
/// `lang` adds the language pack `<model directory>/<lang>/`.
pub fn recognizer_from_path(path: &Path, lang: &str) -> Result<Recognizer, FfiError> {
    if !lang.is_empty() {
        crate::models::check_language_code(lang)?;
    }
    // The one resolver of model + language (crate::Models), shared with the CLI and server.
    let models = Models::from_path(path)?;
    let recognizer = Recognizer::from_shared(Arc::clone(models.model()));
    let language = if lang.is_empty() {
        None
    } else {
        Some(models.language_pack(lang)?)
    };
    with_language(recognizer, language)
}

/// Loads the recognizer `inkjot_recognizer_new_from_memory` loads (also used by the JNI bridge):
/// model bytes, optionally an LM's bytes (empty: none) and its decoder settings as JSON.
pub fn recognizer_from_memory(
    model: &[u8],
    lm: &[u8],
    decoder_config: Option<&str>,
) -> Result<Recognizer, FfiError> {
    if lm.is_empty() && decoder_config.is_some() {
        return Err(FfiError::invalid("decoder_config is given without an LM"));
    }
    let recognizer = Recognizer::from_bytes(model)?;
    let language = if lm.is_empty() {
        None
    } else {
        Some(match decoder_config {
            Some(config) => LanguagePack::from_bytes(lm, config)?,
            // Every decoder setting at its default.
            None => LanguagePack::from_lm_bytes(lm)?,
        })
    };
    with_language(recognizer, language)
}

/// `recognizer` with `language` added.
fn with_language(
    recognizer: Recognizer,
    language: Option<LanguagePack>,
) -> Result<Recognizer, FfiError> {
    Ok(match &language {
        Some(pack) => recognizer.with_language_pack(pack)?,
        None => recognizer,
    })
}

/// Loads a recognizer from a model file, or from a directory holding
/// "recognizer-int8.safetensors", with an optional language.
///
/// - `model_path`: NUL-terminated UTF-8 path of a model file or of a model directory. Required.
/// - `lang`: language code such as "en" or "pt-br" (2 or 3 lowercase ASCII letters, optionally
///   "-" and a region of 2 lowercase letters or 3 digits); its language pack is the directory
///   `<model directory>/<lang>/` holding lm.bin (or lm.fst) and decoder.json (as in models/). NULL or ""
///   loads no language model (greedy decoding, one candidate).
/// - `out`: receives the new recognizer on success (untouched on error); free it with
///   `inkjot_recognizer_free`. Required.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (malformed `lang`), IO (missing or
/// unreadable model or pack file), MODEL (not a valid model, LM or decoder.json). Strings are only
/// read during the call.
/// Thread safety: any thread.
///
/// # Safety
/// `model_path` and `lang` are NULL or NUL-terminated strings; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_recognizer_new_from_path(
    model_path: *const c_char,
    lang: *const c_char,
    out: *mut *mut InkjotRecognizer,
) -> InkjotStatus {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or NUL-terminated strings.
        let path = unsafe { super::req_str(model_path, "model_path") }?;
        // SAFETY: as above.
        let lang = unsafe { super::opt_str(lang, "lang") }?.unwrap_or_default();
        handle::out(out, "out")?;
        let recognizer = Arc::new(recognizer_from_path(Path::new(path), lang)?);
        // SAFETY: `out` was checked; the caller guarantees it is valid for writes.
        unsafe { handle::set_arc(out, recognizer) };
        Ok(())
    }
}

/// Loads a recognizer from memory: the bytes of a model file and, optionally, of a language
/// model (apps that ship their models inside the package).
///
/// - `model`, `model_len`: the model file's bytes. Required (NULL is NULL_POINTER).
/// - `lm`, `lm_len`: the bytes of a language pack's LM file (lm.bin or lm.fst); NULL with `lm_len` 0 for none.
/// - `decoder_config`: the text of the pack's decoder.json (UTF-8, NUL-terminated; missing fields
///   take their defaults) or NULL for all defaults; only allowed with an LM.
/// - `out`: receives the new recognizer on success; free it with `inkjot_recognizer_free`.
///
/// The buffers are only read during the call (the recognizer keeps its own copy): the caller may
/// free them as soon as this returns.
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT, MODEL (invalid model, LM or settings).
/// Thread safety: any thread.
///
/// # Safety
/// `model` points to `model_len` readable bytes (or is NULL); `lm` points to `lm_len` readable
/// bytes (or is NULL); `decoder_config` is NULL or a NUL-terminated string; `out` is NULL or valid
/// for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_recognizer_new_from_memory(
    model: *const u8,
    model_len: usize,
    lm: *const u8,
    lm_len: usize,
    decoder_config: *const c_char,
    out: *mut *mut InkjotRecognizer,
) -> InkjotStatus {
    ffi_boundary! {
        handle::required(model, "model")?;
        // SAFETY: the caller guarantees `model_len` readable bytes at `model`.
        let model = unsafe { super::slice(model, model_len, "model") }?;
        // SAFETY: the caller guarantees `lm_len` readable bytes at `lm` (or NULL with 0).
        let lm = unsafe { super::slice(lm, lm_len, "lm") }?;
        // SAFETY: the caller guarantees NULL or a NUL-terminated string.
        let decoder_config = unsafe { super::opt_str(decoder_config, "decoder_config") }?;
        handle::out(out, "out")?;
        let recognizer = Arc::new(recognizer_from_memory(model, lm, decoder_config)?);
        // SAFETY: `out` was checked; the caller guarantees it is valid for writes.
        unsafe { handle::set_arc(out, recognizer) };
        Ok(())
    }
}

/// Frees a recognizer. NULL is a no-op. Sessions made from it stay usable (they share the model).
///
/// Thread safety: must not run while another thread uses the same recognizer.
///
/// # Safety
/// `recognizer` is NULL or a recognizer from this library not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_recognizer_free(recognizer: *mut InkjotRecognizer) {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or an unfreed recognizer.
        unsafe { handle::free_arc(recognizer.cast_const()) }
    }
}

/// Builds and validates an ink from C arrays.
///
/// # Safety
/// See [`inkjot_recognize`]: `stroke_lengths` holds `stroke_count` values and `points` their sum.
pub(crate) unsafe fn ink_from_arrays(
    points: *const InkjotPoint,
    stroke_lengths: *const usize,
    stroke_count: usize,
    limits: &InkLimits,
) -> Result<Ink, FfiError> {
    limits.check_size(stroke_count, 0)?;
    // SAFETY: the caller guarantees `stroke_count` values at `stroke_lengths`.
    let lengths = unsafe { super::slice(stroke_lengths, stroke_count, "stroke_lengths") }?;
    let total = lengths
        .iter()
        .try_fold(0usize, |sum, &n| sum.checked_add(n))
        .ok_or_else(|| FfiError::invalid("the stroke lengths overflow"))?;
    limits.check_size(stroke_count, total)?;
    // SAFETY: the caller guarantees `total` (the sum of the lengths) points at `points`.
    let points = unsafe { super::slice(points, total, "points") }?;
    let mut strokes = Vec::with_capacity(lengths.len());
    let mut rest = points;
    for &n in lengths {
        let (stroke, tail) = rest.split_at(n);
        strokes.push(Stroke {
            points: stroke.iter().map(|&p| p.into()).collect(),
        });
        rest = tail;
    }
    Ok(Ink::new(strokes, limits)?)
}

/// Recognizes one ink.
///
/// - `recognizer`: required.
/// - `points`: all points of all strokes, stroke after stroke (`sum(stroke_lengths)` points; may be
///   NULL only when that sum is 0). Borrowed for the call.
/// - `stroke_lengths`, `stroke_count`: the number of points of each stroke, in writing order.
/// - `options`: NULL for `inkjot_options_default()`. Borrowed for the call.
/// - `out`: receives the candidates on success; free them with `inkjot_results_free`.
///
/// Errors: NULL_POINTER; INVALID_INK for no strokes, an empty stroke, a NaN or infinite value,
/// |value| > 1e9, time going backwards, more than 100000 points or 2000 strokes;
/// INVALID_ARGUMENT for a bad option or overflowing lengths; INVALID_UTF8 for a bad pre-context.
/// Thread safety: any number of threads may recognize with one recognizer at once.
///
/// # Safety
/// `recognizer` is NULL or live; `stroke_lengths` points to `stroke_count` values; `points` to
/// their sum of points; `options` is NULL or valid; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn inkjot_recognize(
    recognizer: *const InkjotRecognizer,
    points: *const InkjotPoint,
    stroke_lengths: *const usize,
    stroke_count: usize,
    options: *const InkjotOptions,
    out: *mut *mut InkjotResults,
) -> InkjotStatus {
    ffi_boundary! {
        // SAFETY: the caller guarantees NULL or a live recognizer.
        let recognizer = unsafe { handle::try_ref(recognizer, "recognizer") }?;
        handle::out(out, "out")?;
        // SAFETY: the caller guarantees NULL or valid options.
        let options = unsafe { recognize_options(options) }?;
        // SAFETY: the caller guarantees the array sizes.
        let ink = unsafe {
            ink_from_arrays(points, stroke_lengths, stroke_count, &InkLimits::default())
        }?;
        let recognition = recognizer.recognize(&ink, &options)?;
        // SAFETY: `out` was checked; the caller guarantees it is valid for writes.
        unsafe { handle::set_box(out, CandidateList::new(recognition)) };
        Ok(())
    }
}
