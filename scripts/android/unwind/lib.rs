//! `libunwind.a` for Android links made without the NDK: re-exports the `unwinding` crate's
//! `_Unwind_*` C functions, which Rust's standard library calls to unwind panics (caught at
//! inkjot's C and JNI boundaries) and to take backtraces.
#![no_std]

pub use unwinding;

unsafe extern "C" {
    fn abort() -> !;
}

/// The unwinder itself never panics on valid unwind tables; if it does, stop the process as the
/// NDK's C++ libunwind would.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: libc's abort takes no arguments and never returns.
    unsafe { abort() }
}
