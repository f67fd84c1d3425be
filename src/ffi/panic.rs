//! The panic boundary: every exported function's body is wrapped in [`ffi_boundary!`], so that no
//! Rust panic unwinds into C (which would be undefined behaviour).
//!
//! What a function returns when its body panics comes from its return type ([`PanicOrDefault`]):
//! a status is [`InkjotStatus::Internal`] (with the last error "internal error (panic): <message>"),
//! a count 0, a pointer NULL, a score NaN. The few functions whose contract promises more (never
//! NULL strings, the ABI version) name their fallback in the macro.
//!
//! Bodies of status functions return `Result<(), FfiError>` ([`Boundary::Body`]); the boundary
//! turns it into the status and sets or clears the thread's last error. Other bodies return the
//! value itself.
//!
//! The release profile keeps `panic = "unwind"`; with `panic = "abort"` a bug would abort the
//! process instead of returning [`InkjotStatus::Internal`].

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::InkjotOptions;
use super::error::{FfiError, InkjotStatus, clear_last_error, set_last_error};

/// Runs an exported function's body inside the panic boundary.
///
/// `ffi_boundary! { body }` falls back to the return type's [`PanicOrDefault`] value;
/// `ffi_boundary! { fallback: expr; body }` to `expr`.
macro_rules! ffi_boundary {
    (fallback: $fallback:expr; $($body:tt)*) => {
        $crate::ffi::panic::run($fallback, || { $($body)* })
    };
    ($($body:tt)*) => {
        $crate::ffi::panic::run($crate::ffi::panic::PanicOrDefault::value(), || { $($body)* })
    };
}
pub(crate) use ffi_boundary;

/// The value an exported function returns when its body panicked.
pub(crate) trait PanicOrDefault {
    /// The fallback.
    fn value() -> Self;
}

impl PanicOrDefault for InkjotStatus {
    fn value() -> Self {
        InkjotStatus::Internal
    }
}

impl PanicOrDefault for usize {
    fn value() -> Self {
        0
    }
}

impl PanicOrDefault for u32 {
    fn value() -> Self {
        0
    }
}

impl PanicOrDefault for f32 {
    fn value() -> Self {
        f32::NAN
    }
}

impl PanicOrDefault for () {
    fn value() -> Self {}
}

impl PanicOrDefault for InkjotOptions {
    fn value() -> Self {
        super::DEFAULT_OPTIONS
    }
}

impl<T> PanicOrDefault for *const T {
    fn value() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicOrDefault for *mut T {
    fn value() -> Self {
        std::ptr::null_mut()
    }
}

/// How an exported function's return value comes from its body.
pub(crate) trait Boundary: Sized {
    /// What the body returns.
    type Body;
    /// The return value for a body that finished.
    fn finish(body: Self::Body) -> Self;

    /// Called with a caught panic's message before the fallback is returned.
    fn panicked(_message: &str) {}
}

impl Boundary for InkjotStatus {
    type Body = Result<(), FfiError>;

    fn finish(body: Self::Body) -> Self {
        match body {
            Ok(()) => {
                clear_last_error();
                InkjotStatus::Ok
            }
            Err(error) => {
                set_last_error(&error.message);
                error.status
            }
        }
    }

    fn panicked(message: &str) {
        set_last_error(&format!("internal error (panic): {message}"));
    }
}

/// Return types whose body returns the value itself.
macro_rules! plain_boundary {
    ($($t:ty),*) => {
        $(impl Boundary for $t {
            type Body = Self;
            fn finish(body: Self) -> Self {
                body
            }
        })*
    };
}
plain_boundary!(usize, u32, f32, (), InkjotOptions);

impl<T> Boundary for *const T {
    type Body = Self;
    fn finish(body: Self) -> Self {
        body
    }
}

impl<T> Boundary for *mut T {
    type Body = Self;
    fn finish(body: Self) -> Self {
        body
    }
}

/// The boundary itself (use it through [`ffi_boundary!`]): runs `body`; a panic returns
/// `fallback`, and for a status also records "internal error (panic): <message>".
pub(crate) fn run<R: Boundary>(fallback: R, body: impl FnOnce() -> R::Body) -> R {
    // AssertUnwindSafe: after a panic the caller is told to free the object being modified, so
    // no broken invariant is observed through it.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        testing::panic_if_asked();
        body()
    }));
    match outcome {
        Ok(body) => R::finish(body),
        Err(payload) => {
            #[cfg(test)]
            testing::count_caught();
            R::panicked(panic_message(&*payload));
            // Dropping the payload could itself panic; leak it instead of risking that.
            std::mem::forget(payload);
            fallback
        }
    }
}

/// The text of a panic's payload. Only the payload: the backtrace the panic hook prints under
/// `RUST_BACKTRACE` goes to stderr and never into the message.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// Test hooks: make the next boundaries on this thread panic, and count the panics they caught,
/// so that a test can tell that a function runs inside the boundary.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::Cell;

    thread_local! {
        static PANIC: Cell<bool> = const { Cell::new(false) };
        static CAUGHT: Cell<usize> = const { Cell::new(0) };
    }

    /// The message of the panics asked for.
    pub const INJECTED: &str = "injected test panic";

    /// While `on`, every boundary on this thread panics before running its body.
    pub fn inject_panics(on: bool) {
        PANIC.with(|p| p.set(on));
    }

    /// Panics caught by boundaries on this thread so far.
    pub fn caught() -> usize {
        CAUGHT.with(Cell::get)
    }

    pub(super) fn panic_if_asked() {
        if PANIC.with(Cell::get) {
            panic!("{INJECTED}");
        }
    }

    pub(super) fn count_caught() {
        CAUGHT.with(|c| c.set(c.get() + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::error::last_error_message;

    fn status(body: impl FnOnce() -> Result<(), FfiError>) -> InkjotStatus {
        ffi_boundary! { body() }
    }

    #[test]
    fn a_panic_becomes_internal_with_its_message_once() {
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
        let count: usize = ffi_boundary! { panic!("no") };
        assert_eq!(count, 0);
        let score: f32 = ffi_boundary! { panic!("no") };
        assert!(score.is_nan());
        let explicit: u32 = ffi_boundary! { fallback: 7; panic!("no") };
        assert_eq!(explicit, 7);
        let fine: usize = ffi_boundary! { 3 };
        assert_eq!(fine, 3);
        // A value function's panic leaves the last error of status functions alone.
        assert_eq!(last_error_message(), "nbest must be at least 1");
    }
}
