//! The C ABI: opaque handles, status codes, a thread-local last-error message and a streaming
//! session, exported from `libinkjot.so` / `libinkjot.a` and declared in `include/inkjot.h`
//! (generated from this module by cbindgen in `build.rs`).
//!
//! ```text
//! inkjot_recognizer_new_from_path / _from_memory ─▶ InkjotRecognizer (shared, thread-safe)
//!   ├─ inkjot_recognize(points, stroke lengths, options) ─▶ InkjotResults (count / text / score)
//!   └─ inkjot_session_new ─▶ InkjotSession: add points, end strokes, ask for candidates
//! ```
//!
//! Every function is a thin wrapper over the Rust API ([`crate::Recognizer`], [`crate::Session`]):
//! it checks and converts its arguments, calls one method and converts the result. Conventions,
//! enforced in every function (see the header's preamble for the C view):
//! - each body runs inside `ffi_boundary!` (`panic.rs`): no panic ever unwinds into C, and what a
//!   panicking function returns comes from its return type (a status: INTERNAL);
//! - fallible functions return an [`InkjotStatus`] and set the thread's last error message;
//! - each opaque type is tied to its Rust type and its ownership (`Box` or `Arc`), and pointers
//!   are checked for NULL through one helper before use (`handle.rs`); outputs are written only
//!   on success;
//! - strings are NUL-terminated UTF-8; invalid UTF-8 is [`InkjotStatus::InvalidUtf8`];
//! - `unsafe` appears only in this module, each block with its `SAFETY` argument.
//!
//! A unit test (`tests.rs`) calls every function declared in `include/inkjot.h` with a panic
//! injected into the boundary and checks each returns its fallback.

mod error;
mod handle;
mod panic;
mod recognizer;
mod results;
mod session;
#[cfg(test)]
mod tests;

use std::ffi::{CStr, c_char};

use panic::ffi_boundary;

pub use error::{
    FfiError, InkjotStatus, inkjot_last_error_message, inkjot_status_name, last_error_message,
};
pub use recognizer::{
    InkjotRecognizer, inkjot_recognize, inkjot_recognizer_free, inkjot_recognizer_new_from_memory,
    inkjot_recognizer_new_from_path, recognizer_from_memory, recognizer_from_path,
};
pub use results::{
    InkjotLine, InkjotPointRange, InkjotResults, InkjotSegment, InkjotSegmentKind,
    inkjot_results_confidence, inkjot_results_count, inkjot_results_free, inkjot_results_line,
    inkjot_results_line_count, inkjot_results_score, inkjot_results_segment,
    inkjot_results_segment_count, inkjot_results_text,
};
pub use session::{
    InkjotSession, inkjot_session_add_point, inkjot_session_add_points, inkjot_session_candidates,
    inkjot_session_clear, inkjot_session_end_stroke, inkjot_session_free, inkjot_session_new,
    inkjot_session_stroke_count,
};

use crate::features::WritingArea;
use crate::ink::Point;
use crate::recognizer::RecognizeOptions;

/// Version of the C ABI: raised whenever a function signature or a struct layout changes. Compare
/// it with `inkjot_abi_version()` at run time to detect a header/library mismatch.
pub const INKJOT_ABI_VERSION: u32 = 3;

/// Largest accepted `nbest`.
pub const INKJOT_MAX_NBEST: usize = 100;

// The header needs a literal; it is the core's one limit.
const _: () = assert!(INKJOT_MAX_NBEST == crate::MAX_NBEST);

/// One sampled pen position: x to the right, y downward (any device unit), t in milliseconds.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InkjotPoint {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position, growing downward.
    pub y: f64,
    /// Time in milliseconds (any origin; must not decrease within an ink).
    pub t: f64,
}

impl From<InkjotPoint> for Point {
    fn from(p: InkjotPoint) -> Point {
        Point {
            x: p.x,
            y: p.y,
            t: p.t,
        }
    }
}

/// Options of one recognition. Start from `inkjot_options_default()` and change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct InkjotOptions {
    /// Most candidates to return: 1 to INKJOT_MAX_NBEST (default 5).
    pub nbest: usize,
    /// Text before the cursor, NUL-terminated UTF-8, to condition the language model; NULL means
    /// none. Borrowed: only read during the call.
    pub pre_context: *const c_char,
    /// Height of the area the user wrote in, in the ink's units (a keyboard's canvas height); 0
    /// means "use the ink's own height". Must be finite, not negative and not subnormal.
    pub writing_area_height: f64,
    /// Decode with the language model when the recognizer has one (default true).
    pub use_lm: bool,
    /// Words the decoder favours (contacts, a personal dictionary), NUL-terminated UTF-8, one
    /// word per line (any whitespace separates); NULL or empty means none. Borrowed: only read
    /// during the call, which compiles the list (a few microseconds per hundred words).
    pub user_words: *const c_char,
    /// Fill each candidate's segments (`inkjot_results_segment`): which strokes and points wrote
    /// each character and word (default false).
    pub segments: bool,
    /// Read the ink as one line (default false: split it into lines of writing, recognize each,
    /// join them with `\n`; `inkjot_results_line`).
    pub single_line: bool,
}

/// The default options: 5 candidates, no pre-context, the ink's own height, the LM on.
///
/// Thread safety: any thread. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_options_default() -> InkjotOptions {
    ffi_boundary! { DEFAULT_OPTIONS }
}

const DEFAULT_OPTIONS: InkjotOptions = InkjotOptions {
    nbest: 5,
    pre_context: std::ptr::null(),
    writing_area_height: 0.0,
    use_lm: true,
    user_words: std::ptr::null(),
    segments: false,
    single_line: false,
};

/// The library version ("0.1.0"), NUL-terminated.
///
/// Ownership: a static string, never NULL, never freed. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_version() -> *const c_char {
    ffi_boundary! { fallback: VERSION.as_ptr(); VERSION.as_ptr() }
}

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The ABI version the library was built with (INKJOT_ABI_VERSION of its header).
///
/// Thread safety: any thread. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_abi_version() -> u32 {
    ffi_boundary! { fallback: INKJOT_ABI_VERSION; INKJOT_ABI_VERSION }
}

/// A writing-area height as C and Java give it: 0 is automatic; negative, NaN, infinite and
/// subnormal are rejected.
pub fn writing_area(height: f64) -> Result<WritingArea, FfiError> {
    if height == 0.0 {
        Ok(WritingArea::Auto)
    } else if WritingArea::Height(height).is_valid() {
        Ok(WritingArea::Height(height))
    } else {
        Err(FfiError::invalid(format!(
            "writing_area_height must be 0 or positive, finite and not subnormal, not {height}"
        )))
    }
}

/// Converts C options (NULL: the defaults) into Rust ones.
///
/// # Safety
/// `options` is NULL or points to a valid `InkjotOptions` whose `pre_context` and `user_words`
/// are NULL or NUL-terminated strings, all valid for the duration of the call.
unsafe fn recognize_options(options: *const InkjotOptions) -> Result<RecognizeOptions, FfiError> {
    // SAFETY: the caller guarantees `options` is NULL or valid for reads.
    let options = match unsafe { options.as_ref() } {
        Some(o) => *o,
        None => inkjot_options_default(),
    };
    // SAFETY: the caller guarantees `pre_context` is NULL or a valid NUL-terminated string.
    let pre_context = unsafe { opt_str(options.pre_context, "options->pre_context") }?;
    // SAFETY: the caller guarantees `user_words` is NULL or a valid NUL-terminated string.
    let user_words = unsafe { opt_str(options.user_words, "options->user_words") }?;
    Ok(RecognizeOptions {
        segments: options.segments,
        lines: !options.single_line,
        ..checked_options(
            options.nbest,
            pre_context.unwrap_or_default(),
            options.writing_area_height,
            options.use_lm,
            user_words.unwrap_or_default(),
        )?
    })
}

/// The fields of [`InkjotOptions`] checked (nbest 1 to [`INKJOT_MAX_NBEST`], a valid writing
/// area height, a user-word list within [`crate::decode::UserWords`]' limits) and converted;
/// the JNI bridge takes its options through this too. `user_words` empty: none.
pub fn checked_options(
    nbest: usize,
    pre_context: &str,
    writing_area_height: f64,
    use_lm: bool,
    user_words: &str,
) -> Result<RecognizeOptions, FfiError> {
    crate::recognizer::check_nbest(nbest)?;
    let user_words = crate::decode::UserWords::parse(user_words)?;
    Ok(RecognizeOptions {
        nbest,
        writing_area: writing_area(writing_area_height)?,
        pre_context: pre_context.to_owned(),
        use_lm,
        user_words: (!user_words.is_empty()).then(|| std::sync::Arc::new(user_words)),
        segments: false,
        lines: true,
    })
}

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for `'a`.
unsafe fn req_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, FfiError> {
    handle::required(ptr, what)?;
    // SAFETY: forwarded from the caller (and not NULL).
    Ok(unsafe { opt_str(ptr, what) }?.unwrap_or_default())
}

/// An optional NUL-terminated UTF-8 string (NULL: `None`).
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for `'a`.
unsafe fn opt_str<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, and the caller guarantees a NUL-terminated string living for 'a.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map(Some).map_err(|e| {
        FfiError::new(
            InkjotStatus::InvalidUtf8,
            format!("`{what}` is not valid UTF-8: {e}"),
        )
    })
}

/// An array of `len` values; NULL is accepted only when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` initialized values valid for `'a`.
unsafe fn slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    handle::required(ptr, what)?;
    if !ptr.is_aligned() {
        return Err(FfiError::invalid(format!("`{what}` is not aligned")));
    }
    if len
        .checked_mul(size_of::<T>())
        .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(FfiError::invalid(format!(
            "`{what}`: length {len} is too large"
        )));
    }
    // SAFETY: not NULL, aligned, the total size fits isize, and the caller guarantees `len`
    // initialized values that live for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}
