//! Inputs the fuzz targets (fuzz/, see fuzz/README.md) found to break an invariant, kept as tests
//! of the normal suite. Each test names the target and the finding.

use std::ptr::null_mut;
use std::sync::Arc;

use inkjot::Recognizer;
use inkjot::features::{FeatureConfig, WritingArea, featurize, normalize};
use inkjot::ffi::{
    InkjotOptions, InkjotPoint, InkjotStatus, Session, inkjot_options_default, inkjot_recognize,
    inkjot_recognizer_free, inkjot_recognizer_new_from_memory, inkjot_session_new,
};
use inkjot::ink::{Ink, InkLimits, Point, Stroke};
use inkjot::recognizer::RecognizeOptions;

fn tiny() -> Recognizer {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny-model.safetensors"
    ))
    .unwrap();
    Recognizer::from_bytes(&bytes).unwrap()
}

fn ink(strokes: &[&[(f64, f64, f64)]]) -> Ink {
    let strokes = strokes
        .iter()
        .map(|s| Stroke {
            points: s.iter().map(|&(x, y, t)| Point { x, y, t }).collect(),
        })
        .collect();
    Ink::new(strokes, &InkLimits::default()).unwrap()
}

/// recognize: a subnormal writing-area height (1.39e-309) made the scale infinite, so the
/// point's zero offset from the bounding box became 0 * inf = NaN, and the greedy candidate's
/// score was -inf. Such a height now counts as invalid (the ink's own height is used, as for
/// NaN or negative heights).
#[test]
fn subnormal_writing_area_height_is_not_used_as_a_scale() {
    let height = f64::from_le_bytes([0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00]);
    assert!(height > 0.0 && !height.is_normal(), "{height}");
    assert!(!WritingArea::Height(height).is_valid());
    let ink = ink(&[&[(0.0, -1536.0, 0.0)]]);
    let options = RecognizeOptions {
        nbest: 1,
        writing_area: WritingArea::Height(height),
        use_lm: true,
        ..RecognizeOptions::default()
    };
    let result = tiny().recognize(&ink, &options).unwrap();
    assert_eq!(result.candidates.len(), 1);
    assert!(result.candidates[0].score.is_finite(), "{result:?}");
}

/// The same height through the C ABI and the streaming session is an INVALID_ARGUMENT, as a
/// negative or NaN one is.
#[test]
fn subnormal_writing_area_height_is_rejected_by_the_c_abi_and_sessions() {
    let height = 1.391031900851717e-309;
    assert!(Session::new(Arc::new(tiny()), WritingArea::Height(height)).is_err());
    let model = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny-model.safetensors"
    ))
    .unwrap();
    let mut r = null_mut();
    let mut session = null_mut();
    // SAFETY: valid buffers and out pointers; the recognizer is freed once.
    unsafe {
        let s = inkjot_recognizer_new_from_memory(
            model.as_ptr(),
            model.len(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            &mut r,
        );
        assert_eq!(s, InkjotStatus::Ok);
        let s = inkjot_session_new(r, height, &mut session);
        assert_eq!(s, InkjotStatus::InvalidArgument);
        assert!(session.is_null());
        let options = InkjotOptions {
            writing_area_height: height,
            ..inkjot_options_default()
        };
        let points = [InkjotPoint {
            x: 0.0,
            y: -1536.0,
            t: 0.0,
        }];
        let lengths = [1usize];
        let mut out = null_mut();
        let s = inkjot_recognize(r, points.as_ptr(), lengths.as_ptr(), 1, &options, &mut out);
        assert_eq!(s, InkjotStatus::InvalidArgument);
        assert!(out.is_null());
        inkjot_recognizer_free(r);
    }
}

/// fit: a tiny but normal writing-area height (2.3e-308) with coordinates near the 1e9 limit
/// scaled them past f64's range (inf, then NaN in the fit). A given area is now widened to a
/// millionth of the ink's extent, so every normalized value and feature stays finite.
#[test]
fn tiny_writing_area_height_keeps_features_finite() {
    let ink = ink(&[
        &[(-1e9, 0.0, 0.0), (0.0, 5e8, 10.0), (1e9, 0.0, 20.0)],
        &[(0.0, -1e9, 40.0), (3.0, 1e9, 50.0)],
    ]);
    for height in [f64::MIN_POSITIVE, 2.3e-308, 1e-300, 1e-3] {
        let area = WritingArea::Height(height);
        for p in normalize(&ink, area).iter().flatten() {
            assert!(
                p.x.is_finite() && p.y.is_finite() && p.x.abs() <= 2e6,
                "{height}: {p:?}"
            );
        }
        let config = FeatureConfig {
            area,
            ..FeatureConfig::default()
        };
        let rows = featurize(&ink, &config);
        assert!(rows.len() >= 3);
        assert!(rows.iter().flatten().all(|v| v.is_finite()), "{height}");
        let options = RecognizeOptions {
            writing_area: area,
            ..RecognizeOptions::default()
        };
        let result = tiny().recognize(&ink, &options).unwrap();
        assert!(result.candidates[0].score.is_finite(), "{height}");
    }
}
