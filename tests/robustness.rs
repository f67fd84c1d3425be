//! Hostile inks within `InkLimits` (zigzags, sawtooths, spirals, shading, repeated points,
//! alternating tiny and huge steps, many stacked scribbles) are recognized on a thread with a
//! 512 KB stack, through the Rust API and the C ABI, at a bounded cost.

use std::path::Path;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use inkjot::features::{FeatureConfig, MAX_CURVES_PER_INK, featurize};
use inkjot::ffi::*;
use inkjot::ink::{Ink, InkLimits, Point, Stroke};
use inkjot::{RecognizeOptions, Recognizer};

mod common;
use common::{SHIPPED_MODEL, TINY_MODEL, c_arrays};

const STACK: usize = 512 * 1024;
/// Catches catastrophes (quadratic fitting, unbounded frames), not regressions: a release build
/// takes under a second per ink. Under an emulator (qemu-user in `.ci/mobile.sh`, 10-100x
/// slower) `INKJOT_TIME_BOUND_SCALE` multiplies it.
fn time_bound() -> Duration {
    let scale = std::env::var("INKJOT_TIME_BOUND_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1);
    Duration::from_secs(20) * scale
}

fn model_path() -> String {
    if Path::new(SHIPPED_MODEL).exists() {
        SHIPPED_MODEL
    } else {
        TINY_MODEL
    }
    .to_owned()
}

fn stroke(points: impl Iterator<Item = (f64, f64)>, t0: f64) -> Stroke {
    Stroke {
        points: points
            .enumerate()
            .map(|(i, (x, y))| Point {
                x,
                y,
                t: t0 + i as f64 * 5.0,
            })
            .collect(),
    }
}

/// The hostile shapes, each filling the default point limit.
fn hostile_inks() -> Vec<(&'static str, Ink)> {
    let n = InkLimits::default().max_points;
    let span = |i: usize| i as f64 * 100.0 / n as f64;
    let one = |s: Stroke| vec![s];
    let shapes: Vec<(&'static str, Vec<Stroke>)> = vec![
        (
            "zigzag",
            one(stroke(
                (0..n).map(|i| (span(i), (i % 2) as f64 * 10.0)),
                0.0,
            )),
        ),
        (
            "sawtooth",
            one(stroke((0..n).map(|i| (span(i), (i % 8) as f64)), 0.0)),
        ),
        (
            "spiral",
            one(stroke(
                (0..n).map(|i| {
                    let a = i as f64 * 0.3;
                    (a.cos() * (1.0 + a * 0.01), a.sin() * (1.0 + a * 0.01))
                }),
                0.0,
            )),
        ),
        (
            "shading",
            one(stroke(
                (0..n).map(|i| {
                    let row = (i / 50) as f64;
                    let x = (i % 50) as f64;
                    (if (i / 50) % 2 == 0 { x } else { 50.0 - x }, row * 0.01)
                }),
                0.0,
            )),
        ),
        (
            "repeated point",
            one(stroke((0..n).map(|_| (5.0, 7.0)), 0.0)),
        ),
        (
            "tiny and huge steps",
            one(stroke(
                (0..n).map(|i| {
                    let big = (i / 2) as f64 * 1e4;
                    (big + (i % 2) as f64 * 1e-3, ((i % 4) / 2) as f64 * 1e4)
                }),
                0.0,
            )),
        ),
        (
            "stacked zigzag strokes",
            (0..2_000)
                .map(|s| {
                    stroke(
                        (0..50).map(|i| (i as f64 * 0.04, (i % 2) as f64)),
                        s as f64 * 1_000.0,
                    )
                })
                .collect(),
        ),
    ];
    shapes
        .into_iter()
        .map(|(name, strokes)| (name, Ink::new(strokes, &InkLimits::default()).unwrap()))
        .collect()
}

/// Runs `f` on a thread with a 512 KB stack and returns its result.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the thread finished without overflowing its stack")
}

#[test]
fn hostile_inks_have_a_bounded_number_of_curves() {
    on_small_stack(|| {
        for (name, ink) in hostile_inks() {
            let rows = featurize(&ink, &FeatureConfig::default());
            assert!(!rows.is_empty(), "{name}");
            assert!(rows.len() <= MAX_CURVES_PER_INK, "{name}: {}", rows.len());
            assert!(rows.iter().flatten().all(|v| v.is_finite()), "{name}");
        }
    });
}

#[test]
fn hostile_inks_are_recognized_through_the_rust_api_on_a_small_stack() {
    on_small_stack(|| {
        let recognizer = Recognizer::from_file(model_path().as_ref()).unwrap();
        for (name, ink) in hostile_inks() {
            let start = Instant::now();
            let result = recognizer.recognize(&ink, &RecognizeOptions::default());
            let elapsed = start.elapsed();
            let result = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!result.candidates.is_empty(), "{name}");
            assert!(elapsed < time_bound(), "{name}: {elapsed:?}");
        }
    });
}

#[test]
fn hostile_inks_are_recognized_through_the_c_abi_on_a_small_stack() {
    on_small_stack(|| {
        let path = std::ffi::CString::new(model_path()).unwrap();
        let mut recognizer = null_mut();
        // SAFETY: a valid path string and out pointer.
        let status = unsafe {
            inkjot_recognizer_new_from_path(path.as_ptr(), std::ptr::null(), &mut recognizer)
        };
        assert_eq!(status, InkjotStatus::Ok);
        for (name, ink) in hostile_inks() {
            let (points, lengths) = c_arrays(&ink);
            let mut results = null_mut();
            let start = Instant::now();
            // SAFETY: the arrays are valid for the call; `results` is a local out pointer.
            let status = unsafe {
                inkjot_recognize(
                    recognizer,
                    points.as_ptr(),
                    lengths.as_ptr(),
                    lengths.len(),
                    std::ptr::null(),
                    &mut results,
                )
            };
            let elapsed = start.elapsed();
            assert_eq!(status, InkjotStatus::Ok, "{name}");
            // SAFETY: `results` is a live list from the successful call above; freed once.
            let count = unsafe {
                let count = inkjot_results_count(results);
                inkjot_results_free(results);
                count
            };
            assert!(count > 0, "{name}");
            assert!(elapsed < time_bound(), "{name}: {elapsed:?}");
        }
        // SAFETY: the recognizer from above, freed once.
        unsafe { inkjot_recognizer_free(recognizer) };
    });
}
