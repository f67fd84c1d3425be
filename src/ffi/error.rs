//! Status codes and the thread-local last-error message.

use std::cell::RefCell;
use std::ffi::{CString, c_char, c_int};

use crate::error::Error;

/// The result of every fallible C function. The values are stable (ABI); 2 to 6 report the
/// library's error kinds (mapped in `src/ffi/error.rs`), the others are C-only.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InkjotStatus {
    /// Success.
    Ok = 0,
    /// An internal error: a bug in inkjot (a caught panic). The object being modified, if any,
    /// should be freed.
    Internal = 1,
    /// An argument is out of its documented range (zero n-best, negative writing area, ...).
    InvalidArgument = 2,
    /// The ink is invalid: no strokes, an empty stroke, a NaN or infinite value, time going
    /// backwards, too many points or strokes.
    InvalidInk = 3,
    /// A file could not be parsed.
    Parse = 4,
    /// Reading a file failed (missing file, permissions, ...).
    Io = 5,
    /// A model or language-model file is invalid.
    Model = 6,
    /// A required pointer was NULL (or a NULL array was given with a non-zero length).
    NullPointer = 7,
    /// A string is not valid UTF-8.
    InvalidUtf8 = 8,
    /// The request is valid but this build cannot serve it (reserved: no function of this
    /// version returns it).
    Unsupported = 9,
}

impl InkjotStatus {
    /// The status for a library error kind. No wildcard arm: a new kind must be given its status
    /// here.
    pub fn from_error(error: &Error) -> Self {
        match error {
            Error::InvalidArgument { .. } | Error::NbestOutOfRange { .. } => {
                InkjotStatus::InvalidArgument
            }
            Error::Ink(_) | Error::InkAt { .. } => InkjotStatus::InvalidInk,
            Error::Parse { .. } => InkjotStatus::Parse,
            Error::Io { .. } => InkjotStatus::Io,
            Error::Model { .. } | Error::LanguagePack { .. } => InkjotStatus::Model,
            // Serialization is never on a C path; were it reached, it is inkjot's bug.
            Error::Serialize { .. } => InkjotStatus::Internal,
        }
    }

    /// The constant name, as in the header (`"INKJOT_STATUS_OK"`, ...).
    pub fn name(self) -> &'static str {
        status_cstr(self).to_str().unwrap_or("")
    }

    const ALL: [InkjotStatus; 10] = [
        InkjotStatus::Ok,
        InkjotStatus::Internal,
        InkjotStatus::InvalidArgument,
        InkjotStatus::InvalidInk,
        InkjotStatus::Parse,
        InkjotStatus::Io,
        InkjotStatus::Model,
        InkjotStatus::NullPointer,
        InkjotStatus::InvalidUtf8,
        InkjotStatus::Unsupported,
    ];
}

/// An error on its way out through the C ABI: a status and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    /// The code returned to C.
    pub status: InkjotStatus,
    /// The text `inkjot_last_error_message` returns.
    pub message: String,
}

impl FfiError {
    /// An error with `status` and `message`.
    pub fn new(status: InkjotStatus, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
        }
    }

    /// A NULL pointer where `what` was required.
    pub fn null(what: &str) -> Self {
        FfiError::new(InkjotStatus::NullPointer, format!("`{what}` is NULL"))
    }

    /// An out-of-range argument.
    pub fn invalid(message: impl Into<String>) -> Self {
        FfiError::new(InkjotStatus::InvalidArgument, message)
    }
}

impl From<Error> for FfiError {
    fn from(error: Error) -> Self {
        FfiError::new(InkjotStatus::from_error(&error), error.to_string())
    }
}

impl From<crate::error::InkError> for FfiError {
    fn from(error: crate::error::InkError) -> Self {
        Error::from(error).into()
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error (interior NUL bytes become U+FFFD).
pub(crate) fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; then there is nobody to tell.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// Clears this thread's last error.
pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = CString::default());
}

/// This thread's last error as Rust text (empty after a successful call).
pub fn last_error_message() -> String {
    LAST_ERROR
        .try_with(|slot| slot.borrow().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The message of the last failed call on the calling thread, in UTF-8 ("" when the last call
/// that returns an InkjotStatus succeeded, or none was made).
///
/// Ownership: the string belongs to the library and stays valid until the next call of a function
/// that returns an InkjotStatus on the same thread; copy it to keep it. Never NULL.
/// Thread safety: each thread has its own message.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_last_error_message() -> *const c_char {
    super::panic::ffi_boundary! {
        fallback: c"".as_ptr();
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_ptr())
            .unwrap_or(c"".as_ptr())
    }
}

/// The constant name of a status code, e.g. "INKJOT_STATUS_NULL_POINTER"; "INKJOT_STATUS_UNKNOWN"
/// for a value that is not a status.
///
/// Ownership: a static string, never NULL, never freed. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn inkjot_status_name(status: c_int) -> *const c_char {
    super::panic::ffi_boundary! {
        fallback: c"INKJOT_STATUS_UNKNOWN".as_ptr();
        InkjotStatus::ALL
            .iter()
            .find(|s| **s as c_int == status)
            .map_or(c"INKJOT_STATUS_UNKNOWN", |s| status_cstr(*s))
            .as_ptr()
    }
}

fn status_cstr(status: InkjotStatus) -> &'static std::ffi::CStr {
    match status {
        InkjotStatus::Ok => c"INKJOT_STATUS_OK",
        InkjotStatus::Internal => c"INKJOT_STATUS_INTERNAL",
        InkjotStatus::InvalidArgument => c"INKJOT_STATUS_INVALID_ARGUMENT",
        InkjotStatus::InvalidInk => c"INKJOT_STATUS_INVALID_INK",
        InkjotStatus::Parse => c"INKJOT_STATUS_PARSE",
        InkjotStatus::Io => c"INKJOT_STATUS_IO",
        InkjotStatus::Model => c"INKJOT_STATUS_MODEL",
        InkjotStatus::NullPointer => c"INKJOT_STATUS_NULL_POINTER",
        InkjotStatus::InvalidUtf8 => c"INKJOT_STATUS_INVALID_UTF8",
        InkjotStatus::Unsupported => c"INKJOT_STATUS_UNSUPPORTED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_header_constants() {
        assert_eq!(
            InkjotStatus::NullPointer.name(),
            "INKJOT_STATUS_NULL_POINTER"
        );
        let name = inkjot_status_name(7);
        // SAFETY: inkjot_status_name returns a static NUL-terminated string.
        let name = unsafe { std::ffi::CStr::from_ptr(name) };
        assert_eq!(name.to_str().unwrap(), "INKJOT_STATUS_NULL_POINTER");
        // SAFETY: as above.
        let unknown = unsafe { std::ffi::CStr::from_ptr(inkjot_status_name(-3)) };
        assert_eq!(unknown.to_str().unwrap(), "INKJOT_STATUS_UNKNOWN");
    }

    #[test]
    fn library_error_kinds_keep_their_codes() {
        let cases = [
            (Error::invalid("nbest", "must be at least 1"), 2),
            (Error::Ink(crate::error::InkError::NoStrokes), 3),
            (Error::parse(4, "malformed JSON"), 4),
            (Error::io("m", std::io::Error::other("x")), 5),
            (Error::model("x"), 6),
            (Error::pack("lm.fst", "x"), 6),
        ];
        for (error, code) in cases {
            let status = InkjotStatus::from_error(&error);
            assert_eq!(status as i32, code, "{error}");
            assert_eq!(FfiError::from(error).status, status);
        }
    }
}
