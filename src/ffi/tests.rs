//! Every function the header declares runs inside the panic boundary and returns its fallback
//! when its body panics; a panic's last-error message never carries a backtrace.
//!
//! The boundary panics on demand in test builds (`panic::testing`): a function that forgot the
//! boundary would not panic, would not be counted, and would return its ordinary answer.

// One SAFETY comment covers the table of calls below (each with NULL pointers, which every
// function's contract allows).
#![allow(clippy::undocumented_unsafe_blocks)]

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

use super::panic::testing::{INJECTED, caught, inject_panics};
use super::*;

/// The last error a status function leaves after an injected panic.
fn injected_message() -> String {
    format!("internal error (panic): {INJECTED}")
}

/// True when a status function returned INTERNAL with the panic's message.
fn internal(status: InkjotStatus) -> bool {
    status == InkjotStatus::Internal && last_error_message() == injected_message()
}

fn text(ptr: *const c_char) -> String {
    // SAFETY: the functions tested return static or library-owned NUL-terminated strings.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// One call per exported function, with NULL for every pointer (allowed by each contract); each
/// returns true when the function gave its panic fallback.
type Call = fn() -> bool;

// SAFETY (every block below): NULL handles and outputs are allowed by each function's contract;
// with a panic injected the body does not even run.
const EXPORTS: &[(&str, Call)] = &[
    ("inkjot_options_default", || {
        let o = inkjot_options_default();
        (o.nbest, o.writing_area_height, o.use_lm) == (5, 0.0, true) && o.pre_context.is_null()
    }),
    ("inkjot_version", || {
        text(inkjot_version()) == env!("CARGO_PKG_VERSION")
    }),
    ("inkjot_abi_version", || {
        inkjot_abi_version() == INKJOT_ABI_VERSION
    }),
    ("inkjot_last_error_message", || {
        text(inkjot_last_error_message()).is_empty()
    }),
    ("inkjot_status_name", || {
        text(inkjot_status_name(0)) == "INKJOT_STATUS_UNKNOWN"
    }),
    ("inkjot_recognizer_new_from_path", || {
        let mut out = null_mut();
        internal(unsafe { inkjot_recognizer_new_from_path(null(), null(), &mut out) })
            && out.is_null()
    }),
    ("inkjot_recognizer_new_from_memory", || {
        let mut out = null_mut();
        let status =
            unsafe { inkjot_recognizer_new_from_memory(null(), 0, null(), 0, null(), &mut out) };
        internal(status) && out.is_null()
    }),
    ("inkjot_recognizer_free", || {
        unsafe { inkjot_recognizer_free(null_mut()) };
        true
    }),
    ("inkjot_recognize", || {
        let mut out = null_mut();
        internal(unsafe { inkjot_recognize(null(), null(), null(), 0, null(), &mut out) })
            && out.is_null()
    }),
    ("inkjot_results_count", || unsafe {
        inkjot_results_count(null()) == 0
    }),
    ("inkjot_results_text", || unsafe {
        inkjot_results_text(null(), 0).is_null()
    }),
    ("inkjot_results_score", || unsafe {
        inkjot_results_score(null(), 0).is_nan()
    }),
    ("inkjot_results_confidence", || unsafe {
        inkjot_results_confidence(null(), 0).is_nan()
    }),
    ("inkjot_results_segment_count", || unsafe {
        inkjot_results_segment_count(null(), 0) == 0
    }),
    ("inkjot_results_segment", || {
        internal(unsafe { inkjot_results_segment(null(), 0, 0, null_mut()) })
    }),
    ("inkjot_results_line_count", || unsafe {
        inkjot_results_line_count(null()) == 0
    }),
    ("inkjot_results_line", || {
        internal(unsafe { inkjot_results_line(null(), 0, null_mut()) })
    }),
    ("inkjot_results_free", || {
        unsafe { inkjot_results_free(null_mut()) };
        true
    }),
    ("inkjot_session_new", || {
        let mut out = null_mut();
        internal(unsafe { inkjot_session_new(null(), 0.0, &mut out) }) && out.is_null()
    }),
    ("inkjot_session_add_point", || {
        internal(unsafe { inkjot_session_add_point(null_mut(), 0.0, 0.0, 0.0) })
    }),
    ("inkjot_session_add_points", || {
        internal(unsafe { inkjot_session_add_points(null_mut(), null(), 0) })
    }),
    ("inkjot_session_end_stroke", || {
        internal(unsafe { inkjot_session_end_stroke(null_mut()) })
    }),
    ("inkjot_session_candidates", || {
        let mut out = null_mut();
        internal(unsafe { inkjot_session_candidates(null_mut(), null(), &mut out) })
            && out.is_null()
    }),
    ("inkjot_session_clear", || {
        internal(unsafe { inkjot_session_clear(null_mut()) })
    }),
    ("inkjot_session_stroke_count", || unsafe {
        inkjot_session_stroke_count(null()) == 0
    }),
    ("inkjot_session_free", || {
        unsafe { inkjot_session_free(null_mut()) };
        true
    }),
];

/// The functions `include/inkjot.h` declares (the header cbindgen generates from this module).
fn header_functions() -> BTreeSet<String> {
    let header = include_str!("../../include/inkjot.h");
    header
        .lines()
        .filter(|line| !line.starts_with([' ', '*', '/', '#']) && line.ends_with(");"))
        .filter_map(|line| {
            let name = &line[..line.find('(')?];
            let name = name.rsplit([' ', '*']).next()?;
            name.starts_with("inkjot_").then(|| name.to_owned())
        })
        .collect()
}

#[test]
fn the_list_covers_every_function_in_the_header() {
    let listed: BTreeSet<String> = EXPORTS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(EXPORTS.len(), listed.len(), "a function is listed twice");
    let declared = header_functions();
    assert!(declared.len() >= 20, "the header parse found {declared:?}");
    assert_eq!(listed, declared);
}

#[test]
fn every_export_returns_its_fallback_when_its_body_panics() {
    for (name, call) in EXPORTS {
        let before = caught();
        inject_panics(true);
        let fell_back = call();
        inject_panics(false);
        assert_eq!(
            caught(),
            before + 1,
            "`{name}` did not run its body inside the panic boundary"
        );
        assert!(fell_back, "`{name}` did not return its panic fallback");
    }
}

/// Run by the next test in a child process with `RUST_BACKTRACE=1` (ignored otherwise).
#[test]
#[ignore = "run by panic_messages_carry_no_backtrace in a child process"]
fn child_panic_message_under_rust_backtrace() {
    assert_eq!(std::env::var("RUST_BACKTRACE").as_deref(), Ok("1"));
    inject_panics(true);
    // SAFETY: a NULL session is allowed; the injected panic stops the body first.
    let status = unsafe { inkjot_session_end_stroke(null_mut()) };
    inject_panics(false);
    assert_eq!(status, InkjotStatus::Internal);
    assert_eq!(text(inkjot_last_error_message()), injected_message());
}

#[test]
fn panic_messages_carry_no_backtrace() {
    let exe = std::env::current_exe().unwrap();
    let child = std::process::Command::new(exe)
        .args([
            "--exact",
            "ffi::tests::child_panic_message_under_rust_backtrace",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run: {stdout}"
    );
    // The hook did print a backtrace (to stderr), so the message above was checked with one on.
    assert!(stderr.contains("stack backtrace"), "{stderr}");
}
