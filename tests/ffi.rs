//! The C ABI seen from Rust: every exported function with hostile input (NULL, invalid UTF-8, bad
//! lengths, NaN), results against the Rust API, streaming against batch, one recognizer shared by
//! many threads. (That every export runs inside the panic boundary is a unit test in
//! `src/ffi/tests.rs`: it needs a panic injected into the boundary.)

use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr::{null, null_mut};

use inkjot::decode::LanguagePack;
use inkjot::ffi::*;
use inkjot::ink::Ink;
use inkjot::{RecognizeOptions, Recognizer};

mod common;
use common::{SHIPPED_MODEL, TINY_MODEL, c_arrays, sample};

/// The models to test with: the tiny fixture always, the shipped model when it exists.
fn models() -> Vec<&'static str> {
    let mut models = vec![TINY_MODEL];
    if Path::new(SHIPPED_MODEL).exists() {
        models.push(SHIPPED_MODEL);
    }
    models
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    // SAFETY: the library returns a NUL-terminated string valid until the next call.
    unsafe { CStr::from_ptr(inkjot_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn load(path: &str) -> *mut InkjotRecognizer {
    let mut r = null_mut();
    let path = cstr(path);
    // SAFETY: valid string and out pointer.
    let s = unsafe { inkjot_recognizer_new_from_path(path.as_ptr(), null(), &mut r) };
    assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
    assert!(!r.is_null());
    r
}

/// Copies a result list into Rust values and frees it.
fn take(results: *mut InkjotResults) -> Vec<(String, f32)> {
    // SAFETY: `results` is a live list; its strings are valid until it is freed below.
    unsafe {
        let out = (0..inkjot_results_count(results))
            .map(|i| {
                let text = CStr::from_ptr(inkjot_results_text(results, i));
                (
                    text.to_str().unwrap().to_owned(),
                    inkjot_results_score(results, i),
                )
            })
            .collect();
        inkjot_results_free(results);
        out
    }
}

fn recognize_c(
    r: *const InkjotRecognizer,
    ink: &Ink,
    options: &InkjotOptions,
) -> Vec<(String, f32)> {
    let (points, lengths) = c_arrays(ink);
    let (s, out) = call_recognize(r, &points, &lengths, options);
    assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
    take(out)
}

/// `inkjot_recognize` on Rust slices: its status and the results pointer it left.
fn call_recognize(
    r: *const InkjotRecognizer,
    points: &[InkjotPoint],
    lengths: &[usize],
    options: *const InkjotOptions,
) -> (InkjotStatus, *mut InkjotResults) {
    let mut out = null_mut();
    // SAFETY: the slices and options are valid for the call; `out` is a local.
    let s = unsafe {
        inkjot_recognize(
            r,
            points.as_ptr(),
            lengths.as_ptr(),
            lengths.len(),
            options,
            &mut out,
        )
    };
    (s, out)
}

fn status_of_recognize(
    r: *const InkjotRecognizer,
    points: &[InkjotPoint],
    lengths: &[usize],
    options: *const InkjotOptions,
) -> InkjotStatus {
    let (s, out) = call_recognize(r, points, lengths, options);
    if s == InkjotStatus::Ok {
        take(out);
    } else {
        assert!(out.is_null(), "out must be untouched on error");
        assert!(!last_error().is_empty());
    }
    s
}

#[test]
fn version_and_abi() {
    // SAFETY: a static string.
    let v = unsafe { CStr::from_ptr(inkjot_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(inkjot_abi_version(), INKJOT_ABI_VERSION);
    let d = inkjot_options_default();
    assert_eq!((d.nbest, d.writing_area_height, d.use_lm), (5, 0.0, true));
    assert!(d.pre_context.is_null());
}

#[test]
fn recognize_matches_the_rust_api() {
    for model in models() {
        let r = load(model);
        let rust = Recognizer::from_file(Path::new(model)).unwrap();
        let mut options = inkjot_options_default();
        options.nbest = 3;
        let context = cstr("the ");
        options.pre_context = context.as_ptr();
        for record in sample() {
            let c = recognize_c(r, &record.ink, &options);
            let expected = rust
                .recognize(
                    &record.ink,
                    &RecognizeOptions {
                        nbest: 3,
                        pre_context: "the ".into(),
                        ..RecognizeOptions::default()
                    },
                )
                .unwrap();
            let expected: Vec<(String, f32)> = expected
                .candidates
                .into_iter()
                .map(|c| (c.text, c.score))
                .collect();
            assert_eq!(c, expected, "{}", record.id);
        }
        // SAFETY: made above, freed once.
        unsafe { inkjot_recognizer_free(r) };
    }
}

#[test]
fn null_pointers_are_rejected_everywhere() {
    let r = load(TINY_MODEL);
    let path = cstr(TINY_MODEL);
    let mut rec = null_mut();
    let mut res = null_mut();
    let mut ses = null_mut();
    let p = [InkjotPoint {
        x: 0.0,
        y: 0.0,
        t: 0.0,
    }];
    let one = [1usize];
    // SAFETY: every call gets NULL where the library must check for it, valid pointers elsewhere.
    unsafe {
        use InkjotStatus::NullPointer as N;
        assert_eq!(inkjot_recognizer_new_from_path(null(), null(), &mut rec), N);
        assert_eq!(last_error(), "`model_path` is NULL");
        assert_eq!(
            inkjot_recognizer_new_from_path(path.as_ptr(), null(), null_mut()),
            N
        );
        assert_eq!(
            inkjot_recognizer_new_from_memory(null(), 10, null(), 0, null(), &mut rec),
            N
        );
        let bytes = std::fs::read(TINY_MODEL).unwrap();
        assert_eq!(
            inkjot_recognizer_new_from_memory(
                bytes.as_ptr(),
                bytes.len(),
                null(),
                5,
                null(),
                &mut rec
            ),
            N
        );
        assert_eq!(
            inkjot_recognizer_new_from_memory(
                bytes.as_ptr(),
                bytes.len(),
                null(),
                0,
                null(),
                null_mut()
            ),
            N
        );
        assert!(rec.is_null());
        assert_eq!(
            inkjot_recognize(null(), p.as_ptr(), one.as_ptr(), 1, null(), &mut res),
            N
        );
        assert_eq!(
            inkjot_recognize(r, null(), one.as_ptr(), 1, null(), &mut res),
            N
        );
        assert_eq!(
            inkjot_recognize(r, p.as_ptr(), null(), 1, null(), &mut res),
            N
        );
        assert_eq!(
            inkjot_recognize(r, p.as_ptr(), one.as_ptr(), 1, null(), null_mut()),
            N
        );
        assert!(res.is_null());
        assert_eq!(inkjot_results_count(null()), 0);
        assert!(inkjot_results_text(null(), 0).is_null());
        assert!(inkjot_results_score(null(), 0).is_nan());
        assert_eq!(inkjot_session_new(null(), 0.0, &mut ses), N);
        assert_eq!(inkjot_session_new(r, 0.0, null_mut()), N);
        assert_eq!(inkjot_session_add_point(null_mut(), 0.0, 0.0, 0.0), N);
        assert_eq!(inkjot_session_add_points(null_mut(), p.as_ptr(), 1), N);
        assert_eq!(inkjot_session_end_stroke(null_mut()), N);
        assert_eq!(inkjot_session_candidates(null_mut(), null(), &mut res), N);
        assert_eq!(inkjot_session_clear(null_mut()), N);
        assert_eq!(inkjot_session_stroke_count(null()), 0);
        assert!(ses.is_null());
        assert_eq!(inkjot_session_new(r, 0.0, &mut ses), InkjotStatus::Ok);
        assert_eq!(inkjot_session_add_points(ses, null(), 3), N);
        assert_eq!(inkjot_session_add_points(ses, null(), 0), InkjotStatus::Ok);
        assert_eq!(inkjot_session_candidates(ses, null(), null_mut()), N);
        inkjot_session_free(ses);
        // Freeing NULL is a no-op.
        inkjot_recognizer_free(null_mut());
        inkjot_results_free(null_mut());
        inkjot_session_free(null_mut());
        inkjot_recognizer_free(r);
    }
}

#[test]
fn invalid_utf8_and_bad_language_codes_are_rejected() {
    let bad = CString::new(vec![b'm', 0xff, b'x']).unwrap();
    let path = cstr(TINY_MODEL);
    let mut rec = null_mut();
    // SAFETY: valid NUL-terminated strings and out pointers.
    unsafe {
        assert_eq!(
            inkjot_recognizer_new_from_path(bad.as_ptr(), null(), &mut rec),
            InkjotStatus::InvalidUtf8
        );
        assert_eq!(
            inkjot_recognizer_new_from_path(path.as_ptr(), bad.as_ptr(), &mut rec),
            InkjotStatus::InvalidUtf8
        );
        for lang in ["../en", "en/x", "a b", "EN", "en_us", &"x".repeat(33)] {
            let lang = cstr(lang);
            assert_eq!(
                inkjot_recognizer_new_from_path(path.as_ptr(), lang.as_ptr(), &mut rec),
                InkjotStatus::InvalidArgument
            );
        }
        assert!(rec.is_null());
    }
    let r = load(TINY_MODEL);
    let mut options = inkjot_options_default();
    options.pre_context = bad.as_ptr();
    let ink = &sample()[0].ink;
    let (points, lengths) = c_arrays(ink);
    assert_eq!(
        status_of_recognize(r, &points, &lengths, &options),
        InkjotStatus::InvalidUtf8
    );
    assert!(last_error().contains("pre_context"), "{}", last_error());
    // SAFETY: made above.
    unsafe { inkjot_recognizer_free(r) };
}

#[test]
fn model_and_language_pack_errors() {
    let mut rec = null_mut();
    let missing = cstr("/nonexistent/model.safetensors");
    let path = cstr(TINY_MODEL);
    let en = cstr("en");
    let empty = cstr("");
    let json = cstr("{}");
    let bad_json = cstr("{\"beam_width\": 0}");
    let bytes = std::fs::read(TINY_MODEL).unwrap();
    let lm = std::fs::read(LanguagePack::lm_path(EN_PACK).unwrap()).unwrap();
    // SAFETY: valid strings, buffers and out pointers.
    unsafe {
        assert_eq!(
            inkjot_recognizer_new_from_path(missing.as_ptr(), null(), &mut rec),
            InkjotStatus::Io
        );
        assert!(last_error().contains("/nonexistent/model.safetensors"));
        let junk = b"not a model at all";
        assert_eq!(
            inkjot_recognizer_new_from_memory(
                junk.as_ptr(),
                junk.len(),
                null(),
                0,
                null(),
                &mut rec
            ),
            InkjotStatus::Model
        );
        assert_eq!(
            inkjot_recognizer_new_from_memory(bytes.as_ptr(), 0, null(), 0, null(), &mut rec),
            InkjotStatus::Model
        );
        // No pack beside the tiny model: tests/fixtures/en/ does not exist.
        assert_eq!(
            inkjot_recognizer_new_from_path(path.as_ptr(), en.as_ptr(), &mut rec),
            InkjotStatus::Io
        );
        assert!(
            last_error().contains("no language pack `en`"),
            "{}",
            last_error()
        );
        // An LM that is not one, settings out of range, settings without an LM.
        assert_eq!(
            inkjot_recognizer_new_from_memory(
                bytes.as_ptr(),
                bytes.len(),
                bytes.as_ptr(),
                bytes.len(),
                null(),
                &mut rec
            ),
            InkjotStatus::Model
        );
        assert_eq!(
            inkjot_recognizer_new_from_memory(
                bytes.as_ptr(),
                bytes.len(),
                lm.as_ptr(),
                lm.len(),
                bad_json.as_ptr(),
                &mut rec
            ),
            InkjotStatus::Model
        );
        assert_eq!(
            inkjot_recognizer_new_from_memory(
                bytes.as_ptr(),
                bytes.len(),
                null(),
                0,
                json.as_ptr(),
                &mut rec
            ),
            InkjotStatus::InvalidArgument
        );
        assert!(rec.is_null());
        // An empty language is no language.
        assert_eq!(
            inkjot_recognizer_new_from_path(path.as_ptr(), empty.as_ptr(), &mut rec),
            InkjotStatus::Ok
        );
        inkjot_recognizer_free(rec);
    }
}

const EN_PACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/en");

/// A model directory as apps lay it out: `recognizer-int8.safetensors` (the tiny model) and `en/`.
fn model_dir_with_pack() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("inkjot-ffi-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("en")).unwrap();
    std::fs::copy(TINY_MODEL, dir.join("recognizer-int8.safetensors")).unwrap();
    let lm = LanguagePack::lm_path(EN_PACK).unwrap();
    for file in [lm.file_name().unwrap(), "decoder.json".as_ref()] {
        std::fs::copy(Path::new(EN_PACK).join(file), dir.join("en").join(file)).unwrap();
    }
    dir
}

#[test]
fn language_packs_from_a_directory_a_file_path_and_memory() {
    let dir = model_dir_with_pack();
    let en = cstr("en");
    let model = std::fs::read(TINY_MODEL).unwrap();
    let lm = std::fs::read(LanguagePack::lm_path(EN_PACK).unwrap()).unwrap();
    let json = cstr(&std::fs::read_to_string(Path::new(EN_PACK).join("decoder.json")).unwrap());
    let mut handles = Vec::new();
    for path in [dir.clone(), dir.join("recognizer-int8.safetensors")] {
        let path = cstr(path.to_str().unwrap());
        let mut r = null_mut();
        // SAFETY: valid strings and out pointer.
        let s = unsafe { inkjot_recognizer_new_from_path(path.as_ptr(), en.as_ptr(), &mut r) };
        assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
        handles.push(r);
    }
    let mut r = null_mut();
    // SAFETY: valid buffers, string and out pointer.
    let s = unsafe {
        inkjot_recognizer_new_from_memory(
            model.as_ptr(),
            model.len(),
            lm.as_ptr(),
            lm.len(),
            json.as_ptr(),
            &mut r,
        )
    };
    assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
    handles.push(r);
    let plain = load(TINY_MODEL);
    let context = cstr("I will ");
    let with_lm = InkjotOptions {
        nbest: 4,
        pre_context: context.as_ptr(),
        ..inkjot_options_default()
    };
    let without_lm = InkjotOptions {
        use_lm: false,
        ..with_lm
    };
    for record in sample() {
        let a = recognize_c(handles[0], &record.ink, &with_lm);
        assert!((1..=4).contains(&a.len()), "{}: {a:?}", record.id);
        // Scores are each candidate's share of the list.
        let total: f32 = a.iter().map(|(_, s)| s.exp()).sum();
        assert!((total - 1.0).abs() < 1e-3, "{}: {a:?}", record.id);
        for &h in &handles[1..] {
            assert_eq!(recognize_c(h, &record.ink, &with_lm), a, "{}", record.id);
        }
        // The runner-up as a user word (with a name the LM never saw): its share grows.
        if let Some((second, before)) = a.get(1).filter(|(t, _)| t.chars().all(char::is_alphabetic))
        {
            let words = cstr(&format!("Krzysztofa\n{second}\n"));
            let mine = InkjotOptions {
                user_words: words.as_ptr(),
                ..with_lm
            };
            let c = recognize_c(handles[0], &record.ink, &mine);
            let after = c.iter().find(|(t, _)| t == second).map(|(_, s)| *s);
            assert!(
                after.is_some_and(|x| x > *before),
                "{}: {second} {before} -> {after:?}",
                record.id
            );
        }
        // With the LM switched off, the same greedy result as without a pack.
        assert_eq!(
            recognize_c(handles[0], &record.ink, &without_lm),
            recognize_c(plain, &record.ink, &without_lm)
        );
        // Sessions decode with the pack too, as batch recognition does.
        let max_y = record.ink.bounding_box().max_y;
        let height = max_y.max(1.0) * 1.5;
        let mut session = null_mut();
        // SAFETY: a live recognizer and a valid out pointer; then a live session.
        unsafe {
            assert_eq!(
                inkjot_session_new(handles[2], height, &mut session),
                InkjotStatus::Ok
            );
            let streamed = stream_with(session, &record.ink, &with_lm);
            let batch = recognize_c(
                handles[2],
                &record.ink,
                &InkjotOptions {
                    writing_area_height: height,
                    ..with_lm
                },
            );
            assert_close(&streamed, &batch, &record.id);
            inkjot_session_free(session);
        }
    }
    for h in handles.into_iter().chain([plain]) {
        // SAFETY: made above, freed once.
        unsafe { inkjot_recognizer_free(h) };
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_lengths_nan_and_bad_options_are_rejected() {
    let r = load(TINY_MODEL);
    let ink = &sample()[1].ink;
    let (points, lengths) = c_arrays(ink);
    use InkjotStatus::{InvalidArgument, InvalidInk, Ok};
    assert_eq!(status_of_recognize(r, &points, &lengths, null()), Ok);
    // No strokes, an empty stroke.
    assert_eq!(status_of_recognize(r, &points, &[], null()), InvalidInk);
    assert_eq!(
        status_of_recognize(r, &points, &[3, 0, 2], null()),
        InvalidInk
    );
    // Lengths whose sum overflows, or exceeds the point limit (checked before reading points).
    assert_eq!(
        status_of_recognize(r, &points, &[usize::MAX, 2], null()),
        InvalidArgument
    );
    assert_eq!(
        status_of_recognize(r, &points, &[1_000_000], null()),
        InvalidInk
    );
    assert_eq!(
        status_of_recognize(r, &points, &vec![1; 3000], null()),
        InvalidInk
    );
    // NaN, infinity, huge values, time going backwards.
    for bad in [
        InkjotPoint {
            x: f64::NAN,
            y: 0.0,
            t: 0.0,
        },
        InkjotPoint {
            x: 0.0,
            y: f64::INFINITY,
            t: 0.0,
        },
        InkjotPoint {
            x: 0.0,
            y: 0.0,
            t: f64::NAN,
        },
        InkjotPoint {
            x: 2e9,
            y: 0.0,
            t: 0.0,
        },
        InkjotPoint {
            x: 0.0,
            y: 0.0,
            t: -1e6,
        },
    ] {
        let mut p = points.clone();
        p[3] = bad;
        assert_eq!(
            status_of_recognize(r, &p, &lengths, null()),
            InvalidInk,
            "{bad:?}"
        );
    }
    // Options out of range.
    for (nbest, height) in [
        (0, 0.0),
        (INKJOT_MAX_NBEST + 1, 0.0),
        (1, f64::NAN),
        (1, -5.0),
        (1, f64::INFINITY),
    ] {
        let options = InkjotOptions {
            nbest,
            writing_area_height: height,
            ..inkjot_options_default()
        };
        assert_eq!(
            status_of_recognize(r, &points, &lengths, &options),
            InvalidArgument,
            "{nbest} {height}"
        );
    }
    // A user word longer than the limit is an invalid argument.
    let long = cstr(&"a".repeat(inkjot::decode::user_words::MAX_USER_WORD_CHARS + 1));
    let options = InkjotOptions {
        user_words: long.as_ptr(),
        ..inkjot_options_default()
    };
    assert_eq!(
        status_of_recognize(r, &points, &lengths, &options),
        InvalidArgument
    );
    assert!(last_error().contains("user_words"), "{}", last_error());
    // A successful call clears the thread's last error.
    assert_eq!(status_of_recognize(r, &points, &lengths, null()), Ok);
    assert_eq!(last_error(), "");
    // SAFETY: made above.
    unsafe { inkjot_recognizer_free(r) };
}

/// Feeds `ink` point by point into a C session, asking for candidates after every stroke.
fn stream(session: *mut InkjotSession, ink: &Ink) -> Vec<(String, f32)> {
    stream_with(session, ink, &inkjot_options_default())
}

fn stream_with(
    session: *mut InkjotSession,
    ink: &Ink,
    options: &InkjotOptions,
) -> Vec<(String, f32)> {
    let mut last = Vec::new();
    for stroke in ink.strokes() {
        for p in &stroke.points {
            // SAFETY: a live session used by this thread only.
            let s = unsafe { inkjot_session_add_point(session, p.x, p.y, p.t) };
            assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
        }
        // SAFETY: as above.
        let s = unsafe { inkjot_session_end_stroke(session) };
        assert_eq!(s, InkjotStatus::Ok);
        let mut out = null_mut();
        // SAFETY: as above; `out` is valid for writes.
        let s = unsafe { inkjot_session_candidates(session, options, &mut out) };
        assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
        last = take(out);
    }
    last
}

fn assert_close(a: &[(String, f32)], b: &[(String, f32)], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for ((ta, sa), (tb, sb)) in a.iter().zip(b) {
        assert_eq!(ta, tb, "{what}");
        assert!((sa - sb).abs() <= 1e-4, "{what}: {sa} vs {sb}");
    }
}

#[test]
fn streaming_equals_batch_with_a_writing_area() {
    for model in models() {
        let r = load(model);
        for record in sample() {
            let max_y = record.ink.bounding_box().max_y;
            let height = max_y.max(1.0) * 1.5;
            let mut session = null_mut();
            // SAFETY: a live recognizer and a valid out pointer.
            let s = unsafe { inkjot_session_new(r, height, &mut session) };
            assert_eq!(s, InkjotStatus::Ok);
            let streamed = stream(session, &record.ink);
            let options = InkjotOptions {
                writing_area_height: height,
                ..inkjot_options_default()
            };
            let batch = recognize_c(r, &record.ink, &options);
            assert_close(&streamed, &batch, &record.id);
            // SAFETY: as above.
            unsafe {
                assert_eq!(
                    inkjot_session_stroke_count(session),
                    record.ink.strokes().len()
                );
                // Asking with another writing area is an error; with the session's, fine.
                let mut out = null_mut();
                let other = InkjotOptions {
                    writing_area_height: height * 2.0,
                    ..inkjot_options_default()
                };
                assert_eq!(
                    inkjot_session_candidates(session, &other, &mut out),
                    InkjotStatus::InvalidArgument
                );
                assert_eq!(
                    inkjot_session_candidates(session, &options, &mut out),
                    InkjotStatus::Ok
                );
                assert_close(&take(out), &batch, &record.id);
                assert_eq!(inkjot_session_clear(session), InkjotStatus::Ok);
                assert_eq!(inkjot_session_stroke_count(session), 0);
                // An empty session has no candidates.
                let mut out = null_mut();
                assert_eq!(
                    inkjot_session_candidates(session, null(), &mut out),
                    InkjotStatus::Ok
                );
                assert_eq!(take(out), vec![]);
                inkjot_session_free(session);
            }
        }
        // SAFETY: made above.
        unsafe { inkjot_recognizer_free(r) };
    }
}

#[test]
fn sessions_reject_bad_points_and_leave_no_trace() {
    // A NaN point is INVALID_INK and changes nothing (tests/session.rs checks the Rust API).
    let r = load(TINY_MODEL);
    let mut s = null_mut();
    // SAFETY: a live recognizer, a valid out pointer, then a live session.
    unsafe {
        assert_eq!(inkjot_session_new(r, 0.0, &mut s), InkjotStatus::Ok);
        assert_eq!(
            inkjot_session_add_point(s, f64::NAN, 0.0, 0.0),
            InkjotStatus::InvalidInk
        );
        assert_eq!(inkjot_session_stroke_count(s), 0);
        assert_eq!(inkjot_session_end_stroke(s), InkjotStatus::Ok);
        // The recognizer may go first: the session shares the model.
        inkjot_recognizer_free(r);
        assert_eq!(inkjot_session_add_point(s, 1.0, 2.0, 3.0), InkjotStatus::Ok);
        let mut out = null_mut();
        assert_eq!(
            inkjot_session_candidates(s, null(), &mut out),
            InkjotStatus::Ok
        );
        assert_eq!(take(out).len(), 1);
        let mut out = null_mut();
        let zero = InkjotOptions {
            nbest: 0,
            ..inkjot_options_default()
        };
        assert_eq!(
            inkjot_session_candidates(s, &zero, &mut out),
            InkjotStatus::InvalidArgument
        );
        inkjot_session_free(s);
    }
}

/// A recognizer pointer that may cross threads (the C API documents recognizers as thread-safe).
#[derive(Clone, Copy)]
struct Shared(*const InkjotRecognizer);
// SAFETY: InkjotRecognizer is immutable and its inner recognizer is Sync.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

#[test]
fn one_recognizer_serves_many_threads() {
    let r = load(TINY_MODEL);
    let inks = sample();
    let options = inkjot_options_default();
    let expected: Vec<_> = inks
        .iter()
        .map(|rec| recognize_c(r, &rec.ink, &options))
        .collect();
    let shared = Shared(r);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (inks, expected) = (&inks, &expected);
            scope.spawn(move || {
                let shared = shared;
                for round in 0..10 {
                    let i = (t + round) % inks.len();
                    let got = recognize_c(shared.0, &inks[i].ink, &inkjot_options_default());
                    assert_eq!(got, expected[i]);
                    // Errors are per thread.
                    let s = status_of_recognize(shared.0, &[], &[], null());
                    assert_eq!(s, InkjotStatus::InvalidInk);
                    assert!(last_error().contains("no strokes"));
                }
            });
        }
    });
    // SAFETY: every thread has finished.
    unsafe { inkjot_recognizer_free(r) };
}

#[test]
fn lines_match_the_rust_api() {
    if !Path::new(SHIPPED_MODEL).exists() {
        return;
    }
    let r = load(SHIPPED_MODEL);
    let rust = Recognizer::from_file(Path::new(SHIPPED_MODEL)).unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/multiline_valid.jsonl"
    );
    let records = inkjot::ink::read_ink_file(Path::new(fixture), Default::default()).unwrap();
    let mut several = 0;
    for record in records {
        let record = record.unwrap();
        let (points, lengths) = c_arrays(&record.ink);
        for single_line in [false, true] {
            let mut options = inkjot_options_default();
            options.single_line = single_line;
            let expected = rust
                .recognize(
                    &record.ink,
                    &RecognizeOptions {
                        lines: !single_line,
                        ..RecognizeOptions::default()
                    },
                )
                .unwrap()
                .lines;
            let (s, res) = call_recognize(r, &points, &lengths, &options);
            assert_eq!(s, InkjotStatus::Ok, "{}", last_error());
            // SAFETY: `res` is a live list until freed below; `line` is a local; the strings and
            // arrays it points to are read before the list is freed.
            unsafe {
                let count = inkjot_results_line_count(res);
                assert_eq!(count, expected.len(), "{}", record.id);
                for (k, want) in expected.iter().enumerate() {
                    let mut line = std::mem::zeroed::<InkjotLine>();
                    assert_eq!(inkjot_results_line(res, k, &mut line), InkjotStatus::Ok);
                    assert_eq!(CStr::from_ptr(line.text).to_str().unwrap(), want.text);
                    let strokes = std::slice::from_raw_parts(line.strokes, line.stroke_count);
                    assert_eq!(strokes, want.strokes.as_slice());
                    let b = want.bbox;
                    assert!(line.has_box);
                    assert_eq!(line.r#box, [b.min_x, b.min_y, b.max_x, b.max_y]);
                }
                let mut line = std::mem::zeroed::<InkjotLine>();
                assert_eq!(
                    inkjot_results_line(res, count, &mut line),
                    InkjotStatus::InvalidArgument
                );
                assert_eq!(
                    inkjot_results_line(res, 0, null_mut()),
                    InkjotStatus::NullPointer
                );
                inkjot_results_free(res);
            }
            if single_line {
                assert_eq!(expected.len(), 1, "{}", record.id);
            } else {
                several += usize::from(expected.len() > 1);
            }
        }
    }
    assert_eq!(several, 5);
    // SAFETY: made above, freed once.
    unsafe { inkjot_recognizer_free(r) };
}
