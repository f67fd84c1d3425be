//! Fixtures and helpers shared by the integration tests (each test binary uses a part of them).
#![allow(dead_code)]

use std::path::Path;

use inkjot::ffi::InkjotPoint;
use inkjot::ink::{Ink, InkLimits, InkRecord, read_ink_file};
use inkjot::{Models, Recognizer};

/// The tiny model committed for tests.
pub const TINY_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tiny-model.safetensors"
);

/// The shipped int8 model.
pub const SHIPPED_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/recognizer-int8.safetensors"
);

/// A recognizer with the shipped int8 model and English pack (`models/`).
pub fn english() -> Recognizer {
    Models::from_path(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .as_ref(),
    )
    .unwrap()
    .recognizer(Some("en"))
    .unwrap()
}

/// The seven UNIPEN valid inks of `tests/fixtures/unipen_valid_sample.jsonl`.
pub fn sample() -> Vec<InkRecord> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unipen_valid_sample.jsonl");
    read_ink_file(&path, InkLimits::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Flattens an ink into the C ABI's arrays: all points, and each stroke's point count.
pub fn c_arrays(ink: &Ink) -> (Vec<InkjotPoint>, Vec<usize>) {
    let points = ink
        .strokes()
        .iter()
        .flat_map(|s| &s.points)
        .map(|p| InkjotPoint {
            x: p.x,
            y: p.y,
            t: p.t,
        })
        .collect();
    let lengths = ink.strokes().iter().map(|s| s.points.len()).collect();
    (points, lengths)
}
