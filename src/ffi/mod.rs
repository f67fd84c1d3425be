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
//! Conventions, enforced in every function (see the header's preamble for the C view):
//! - each body runs inside the panic boundary (`panic.rs`): no panic ever unwinds into C;
//! - fallible functions return an [`InkjotStatus`] and set the thread's last error message;
//! - pointers are checked for NULL (and alignment) through the helpers below before use; outputs
//!   are written only on success;
//! - strings are NUL-terminated UTF-8; invalid UTF-8 is [`InkjotStatus::InvalidUtf8`];
//! - `unsafe` appears only in this module, each block with its `SAFETY` argument.
//!
//! Rust programs can use the safe [`Session`] directly; the JNI bridge in `android-demo/` does.

mod error;
mod panic;
mod recognizer;
mod results;
mod session;

use std::ffi::{CStr, c_char};

pub use error::{
    FfiError, InkjotStatus, inkjot_last_error_message, inkjot_status_name, last_error_message,
};
pub use recognizer::{
    InkjotRecognizer, inkjot_recognize, inkjot_recognizer_free, inkjot_recognizer_new_from_memory,
    inkjot_recognizer_new_from_path,
};
pub use results::{
    InkjotResults, inkjot_results_count, inkjot_results_free, inkjot_results_score,
    inkjot_results_text,
};
pub use session::{
    InkjotSession, Session, inkjot_session_add_point, inkjot_session_add_points,
    inkjot_session_candidates, inkjot_session_clear, inkjot_session_end_stroke,
    inkjot_session_free, inkjot_session_new, inkjot_session_stroke_count,
};

use crate::features::WritingArea;
use crate::ink::Point;
use crate::recognizer::RecognizeOptions;

/// Version of the C ABI: raised whenever a function signature or a struct layout changes. Compare
/// it with `inkjot_abi_version()` at run time to detect a header/library mismatch.
pub const INKJOT_ABI_VERSION: u32 = 1;

/// Largest accepted `nbest`.
pub const INKJOT_MAX_NBEST: usize = 100;

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
}

/// The default options: 5 candidates, no pre-context, the ink's own height, the LM on.
///
/// Thread safety: any thread. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_options_default() -> InkjotOptions {
    panic::value(DEFAULT_OPTIONS, || DEFAULT_OPTIONS)
}

const DEFAULT_OPTIONS: InkjotOptions = InkjotOptions {
    nbest: 5,
    pre_context: std::ptr::null(),
    writing_area_height: 0.0,
    use_lm: true,
};

/// The library version ("0.1.0"), NUL-terminated.
///
/// Ownership: a static string, never NULL, never freed. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_version() -> *const c_char {
    panic::value(VERSION.as_ptr(), || VERSION.as_ptr())
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
    panic::value(INKJOT_ABI_VERSION, || INKJOT_ABI_VERSION)
}

/// A writing-area height from C: 0 is automatic; negative, NaN, infinite and subnormal are rejected.
fn writing_area(height: f64) -> Result<WritingArea, FfiError> {
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
/// `options` is NULL or points to a valid `InkjotOptions` whose `pre_context` is NULL or a
/// NUL-terminated string, all valid for the duration of the call.
unsafe fn recognize_options(options: *const InkjotOptions) -> Result<RecognizeOptions, FfiError> {
    // SAFETY: the caller guarantees `options` is NULL or valid for reads.
    let options = match unsafe { options.as_ref() } {
        Some(o) => *o,
        None => inkjot_options_default(),
    };
    if !(1..=INKJOT_MAX_NBEST).contains(&options.nbest) {
        return Err(FfiError::invalid(format!(
            "nbest must be 1 to {INKJOT_MAX_NBEST}, not {}",
            options.nbest
        )));
    }
    // SAFETY: the caller guarantees `pre_context` is NULL or a valid NUL-terminated string.
    let pre_context = unsafe { opt_str(options.pre_context, "options->pre_context") }?;
    Ok(RecognizeOptions {
        nbest: options.nbest,
        writing_area: writing_area(options.writing_area_height)?,
        pre_context: pre_context.unwrap_or_default().to_owned(),
        use_lm: options.use_lm,
    })
}

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for `'a`.
unsafe fn req_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { opt_str(ptr, what) }?.ok_or_else(|| FfiError::null(what))
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
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
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

/// A shared reference to a handle.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` (made by this library and not freed) valid for `'a`.
unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::null(what))
}

/// An exclusive reference to a handle.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` (made by this library and not freed), not used by
/// anyone else for `'a`.
unsafe fn handle_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr.as_mut() }.ok_or_else(|| FfiError::null(what))
}

/// Checks that an output pointer is not NULL; write it with [`put`] once nothing can fail.
fn out_ptr<T>(out: *mut *mut T, what: &str) -> Result<(), FfiError> {
    if out.is_null() {
        Err(FfiError::null(what))
    } else {
        Ok(())
    }
}

/// Moves `value` to the heap and stores the pointer in `*out` (checked by [`out_ptr`]).
///
/// # Safety
/// `out` is non-NULL and valid for writes.
unsafe fn put<T>(out: *mut *mut T, value: T) {
    let raw = Box::into_raw(Box::new(value));
    // SAFETY: the caller checked `out` with `out_ptr` and guarantees it is valid for writes.
    unsafe { out.write(raw) };
}

/// Frees a handle made by [`put`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or was made by [`put`] for the same `T` and not freed since.
unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw in `put` and, per the caller, not freed yet.
        drop(unsafe { Box::from_raw(ptr) });
    }
}
