//! Opaque handles: each C type is tied to the Rust type behind it and to how C owns it
//! ([`Castable`]), and every pointer from C is checked for NULL by [`required`] before use.
//!
//! | C type | Rust type | ownership |
//! |---|---|---|
//! | `InkjotRecognizer` | [`crate::Recognizer`] | `Arc`: sessions share it, so it may be freed first |
//! | `InkjotSession` | [`crate::Session`] | `Box` |
//! | `InkjotResults` | the candidate list | `Box` |

use std::sync::Arc;

use super::error::FfiError;

/// A handle C holds as a `Box<RustType>` pointer.
pub(crate) struct OwnershipBox;

/// A handle C holds as an `Arc<RustType>` pointer (`Arc::into_raw`).
pub(crate) struct OwnershipArc;

/// An opaque C type: the Rust type its pointers point to and how C owns them. A type has one
/// ownership, so a pointer cannot be freed the wrong way.
pub(crate) trait Castable {
    /// [`OwnershipBox`] or [`OwnershipArc`].
    type Ownership;
    /// The type behind the pointer.
    type RustType;
}

/// The one NULL check: `Err(NULL_POINTER "`what` is NULL")` for a NULL pointer.
pub(crate) fn required<T>(ptr: *const T, what: &str) -> Result<(), FfiError> {
    if ptr.is_null() {
        Err(FfiError::null(what))
    } else {
        Ok(())
    }
}

/// A shared reference to a handle's Rust value.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C` made by this library, valid for `'a`.
pub(crate) unsafe fn try_ref<'a, C: Castable>(
    ptr: *const C,
    what: &str,
) -> Result<&'a C::RustType, FfiError> {
    required(ptr, what)?;
    // SAFETY: not NULL; per the caller a live handle, which points to its RustType (a Box's or an
    // Arc's contents).
    Ok(unsafe { &*ptr.cast::<C::RustType>() })
}

/// An exclusive reference to a boxed handle's Rust value.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C` made by this library, used by no one else for `'a`.
pub(crate) unsafe fn try_mut<'a, C: Castable<Ownership = OwnershipBox>>(
    ptr: *mut C,
    what: &str,
) -> Result<&'a mut C::RustType, FfiError> {
    required(ptr, what)?;
    // SAFETY: not NULL; per the caller a live, unshared Box made by `set_box`.
    Ok(unsafe { &mut *ptr.cast::<C::RustType>() })
}

/// A new reference to a shared handle's value (the handle stays the caller's).
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C` made by [`set_arc`].
pub(crate) unsafe fn try_clone_arc<C: Castable<Ownership = OwnershipArc>>(
    ptr: *const C,
    what: &str,
) -> Result<Arc<C::RustType>, FfiError> {
    required(ptr, what)?;
    let raw = ptr.cast::<C::RustType>();
    // SAFETY: made by Arc::into_raw in `set_arc` and not freed (per the caller); the count is
    // raised before the new Arc is made, so C's reference stays valid.
    unsafe {
        Arc::increment_strong_count(raw);
        Ok(Arc::from_raw(raw))
    }
}

/// Checks an output pointer; write it with [`set_box`] or [`set_arc`] once nothing can fail.
pub(crate) fn out<C>(out: *mut *mut C, what: &str) -> Result<(), FfiError> {
    required(out.cast_const(), what)
}

/// Stores `value` in a new boxed handle at `*out`.
///
/// # Safety
/// `out` was checked by [`out`] and is valid for writes.
pub(crate) unsafe fn set_box<C: Castable<Ownership = OwnershipBox>>(
    out: *mut *mut C,
    value: C::RustType,
) {
    let raw = Box::into_raw(Box::new(value)).cast::<C>();
    // SAFETY: per the caller, non-NULL and valid for writes.
    unsafe { out.write(raw) };
}

/// Stores `value` in a new shared handle at `*out`.
///
/// # Safety
/// `out` was checked by [`out`] and is valid for writes.
pub(crate) unsafe fn set_arc<C: Castable<Ownership = OwnershipArc>>(
    out: *mut *mut C,
    value: Arc<C::RustType>,
) {
    let raw = Arc::into_raw(value).cast::<C>().cast_mut();
    // SAFETY: per the caller, non-NULL and valid for writes.
    unsafe { out.write(raw) };
}

/// Frees a boxed handle; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or a handle made by [`set_box`] for `C`, not freed since and not in use.
pub(crate) unsafe fn free_box<C: Castable<Ownership = OwnershipBox>>(ptr: *mut C) {
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw in `set_box` and, per the caller, not freed yet.
        drop(unsafe { Box::from_raw(ptr.cast::<C::RustType>()) });
    }
}

/// Releases C's reference to a shared handle; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or a handle made by [`set_arc`] for `C`, not freed since and not in use.
pub(crate) unsafe fn free_arc<C: Castable<Ownership = OwnershipArc>>(ptr: *const C) {
    if !ptr.is_null() {
        // SAFETY: made by Arc::into_raw in `set_arc` and, per the caller, not freed yet.
        drop(unsafe { Arc::from_raw(ptr.cast::<C::RustType>()) });
    }
}
