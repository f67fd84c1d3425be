//! The panic boundary: every exported function runs its body through [`status`] or [`value`], so
//! that no Rust panic unwinds into C (which would be undefined behaviour).
//!
//! The release profile keeps `panic = "unwind"`; with `panic = "abort"` a bug would abort the
//! process instead of returning [`InkjotStatus::Internal`].

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::error::{FfiError, InkjotStatus, clear_last_error, set_last_error};

/// Runs the body of a function that returns a status: `Ok` clears the thread's last error, an
/// error records its message, a panic becomes [`InkjotStatus::Internal`].
///
/// The body must write its outputs only once everything that can fail has succeeded.
pub(crate) fn status(body: impl FnOnce() -> Result<(), FfiError>) -> InkjotStatus {
    // AssertUnwindSafe: after a panic the caller is told to free the object being modified, so
    // no broken invariant is observed through it.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            clear_last_error();
            InkjotStatus::Ok
        }
        Ok(Err(error)) => {
            set_last_error(&error.message);
            error.status
        }
        Err(payload) => {
            let message = format!("internal error (panic): {}", panic_message(&*payload));
            // Dropping the payload could itself panic; leak it instead of risking that.
            std::mem::forget(payload);
            set_last_error(&message);
            InkjotStatus::Internal
        }
    }
}

/// Runs the body of a function that returns a plain value; a panic returns `fallback`.
pub(crate) fn value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            std::mem::forget(payload);
            fallback
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::error::last_error_message;

    #[test]
    fn a_panic_becomes_internal_with_its_message() {
        let s = status(|| panic!("boom {}", 42));
        assert_eq!(s, InkjotStatus::Internal);
        assert_eq!(last_error_message(), "internal error (panic): boom 42");
        assert_eq!(status(|| Ok(())), InkjotStatus::Ok);
        assert_eq!(last_error_message(), "");
    }

    #[test]
    fn errors_keep_their_status_and_plain_values_fall_back() {
        let s = status(|| Err(FfiError::invalid("nbest must be at least 1")));
        assert_eq!(s, InkjotStatus::InvalidArgument);
        assert_eq!(last_error_message(), "nbest must be at least 1");
        assert_eq!(value(7usize, || panic!("no")), 7);
        assert_eq!(value(7usize, || 3), 3);
    }
}
