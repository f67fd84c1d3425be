//! Inputs the fuzz targets (fuzz/, see fuzz/README.md) found to break an invariant, kept as tests
//! of the normal suite. Each test names the target and the finding.

use std::ptr::null_mut;
use std::sync::Arc;

use inkjot::Recognizer;
use inkjot::decode::LanguagePack;
use inkjot::features::{FEATURE_DIM, FeatureConfig, WritingArea, featurize, normalize};
use inkjot::ffi::{
    InkjotOptions, InkjotPoint, InkjotStatus, inkjot_options_default, inkjot_recognize,
    inkjot_recognizer_free, inkjot_recognizer_new_from_memory, inkjot_session_new,
};
use inkjot::ink::{Ink, InkLimits, Point, Stroke};
use inkjot::model::Model;
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
    let options = inkjot::SessionOptions {
        writing_area: WritingArea::Height(height),
        ..inkjot::SessionOptions::default()
    };
    assert!(inkjot::Session::new(Arc::new(tiny()), options).is_err());
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

/// The tiny model with the first value of `tensor` (an F32 tensor) replaced.
fn tiny_with(tensor: &str, value: f32) -> Vec<u8> {
    let mut bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny-model.safetensors"
    ))
    .unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    let start = 8 + len + header[tensor]["data_offsets"][0].as_u64().unwrap() as usize;
    bytes[start..start + 4].copy_from_slice(&value.to_le_bytes());
    // Sealed again, so that the value checks (not the checksum) are what refuses it.
    inkjot::checksum::seal_safetensors(&bytes).unwrap()
}

/// load_model: a model whose `qrnn.0.bwd.bias` held a NaN (biases were not checked) and whose
/// weights reached 3e38 (finite, so accepted) loaded, and its forward pass gave NaN for every
/// symbol. Biases must now be finite and every parameter within ±MAX_PARAMETER.
#[test]
fn model_with_a_nan_bias_or_huge_weights_is_rejected() {
    let found = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fuzz/load_model-nan-bias-huge-weights.safetensors"
    ))
    .unwrap();
    let err = Model::from_bytes(&found).unwrap_err();
    assert!(
        matches!(err, inkjot::Error::Model { .. }) && err.to_string().contains("tensor `"),
        "{err}"
    );
    for (tensor, value) in [
        ("qrnn.0.bwd.bias", f32::NAN),
        ("qrnn.0.fwd.bias", f32::INFINITY),
        ("out.bias", 2.4e38),
        ("qrnn.0.bwd.weight", 2.8e38),
        ("out.weight", -3.2e38),
    ] {
        let err = Model::from_bytes(&tiny_with(tensor, value)).unwrap_err();
        assert!(
            matches!(err, inkjot::Error::Model { .. })
                && err.to_string().contains(&format!("tensor `{tensor}`")),
            "{tensor} = {value}: {err}"
        );
    }
    // A large but plausible value still loads, and the network stays finite.
    let model = Model::from_bytes(&tiny_with("out.weight", 100.0)).unwrap();
    let rows = [[0.5f32; inkjot::features::FEATURE_DIM]; 3];
    assert!(
        model
            .forward(&rows)
            .as_slice()
            .iter()
            .all(|v| v.is_finite())
    );
}

/// Replays a `load_pack` fuzz input (a u16 length, decoder.json, then the LM file) as the target
/// does: the settings sealed here, so that the LM itself (not the missing checksum) is what is
/// exercised, and six rows of the tiny model's output decoded with pre-context "pre ".
fn decode_load_pack_input(fixture: &str) -> Vec<inkjot::Candidate> {
    let input = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz")
            .join(fixture),
    )
    .unwrap();
    let len = usize::from(u16::from_le_bytes([input[0], input[1]]));
    let json = String::from_utf8_lossy(&input[2..2 + len]);
    let lm = &input[2 + len..];
    let json = inkjot::checksum::seal_decoder_json(lm, &json).unwrap();
    let pack = LanguagePack::from_bytes(lm, &json).unwrap();
    let recognizer = tiny();
    let decoder = pack.decoder(recognizer.model().alphabet()).unwrap();
    let rows: Vec<[f32; FEATURE_DIM]> = (0..6)
        .map(|i| std::array::from_fn(|j| ((i * 11 + j) as f32 * 0.61).cos()))
        .collect();
    let logprobs = recognizer.model().forward(&rows);
    decoder.decode_top(&logprobs, "pre ", 5).unwrap()
}

/// load_pack: a pack whose LM (from fuzzed bytes) has large negative costs gave raw beam scores
/// so large that their log-sum-exp rounded to each score in f32: five candidates all scored 0,
/// shares summing to 5. Shares are now taken relative to the best score.
#[test]
fn candidate_shares_sum_to_one_with_huge_raw_scores() {
    let candidates = decode_load_pack_input("load_pack-huge-scores.bin");
    assert_eq!(candidates.len(), 5);
    assert!(
        candidates
            .iter()
            .all(|c| c.score.is_finite() && c.score <= 0.0)
    );
    assert!(candidates.windows(2).all(|w| w[0].score >= w[1].score));
    let total: f64 = candidates.iter().map(|c| f64::from(c.score).exp()).sum();
    assert!((total - 1.0).abs() < 1e-4, "{candidates:?}");
}

/// load_pack: a compact LM from fuzzed bytes made one path impossible (score -inf), and the
/// fifth candidate came back with score -inf and confidence 0 ("BR" after "BroWn", "foX", ...).
/// Impossible hypotheses are now left out of the list.
#[test]
fn an_impossible_hypothesis_is_not_a_candidate() {
    let candidates = decode_load_pack_input("load_pack-impossible-candidate.bin");
    assert!(!candidates.is_empty() && candidates.len() <= 5);
    assert!(
        candidates
            .iter()
            .all(|c| c.score.is_finite() && c.confidence > 0.0),
        "{candidates:?}"
    );
    let total: f64 = candidates.iter().map(|c| f64::from(c.score).exp()).sum();
    assert!((total - 1.0).abs() < 1e-4, "{candidates:?}");
}

/// fit: an ink whose extent is subnormal (8e-317 wide, flat) with an invalid (subnormal) writing
/// area fell back to its own height, whose reciprocal overflowed: 0 * inf gave NaN points. A
/// subnormal extent now normalizes like a dot.
#[test]
fn an_ink_of_subnormal_extent_normalizes_to_finite_points() {
    use inkjot::features::reference_height;
    let p = |x: f64| Point { x, y: 0.0, t: 0.0 };
    let ink = Ink::new(
        vec![Stroke {
            points: vec![p(0.0), p(0.0), p(8.2890456e-317), p(0.0)],
        }],
        &inkjot::InkLimits::default(),
    )
    .unwrap();
    for area in [WritingArea::Auto, WritingArea::Height(3.9857359907e-314)] {
        let points = normalize(&ink, area);
        assert!(
            points
                .iter()
                .flatten()
                .all(|q| q.x.is_finite() && q.y.is_finite()),
            "{area:?}: {points:?}"
        );
    }
    assert_eq!(
        reference_height(8.2890456e-317, 0.0, WritingArea::Auto),
        1.0
    );
}
