//! The Rust forward pass against PyTorch: golden log-probabilities exported by
//! `training/export_golden.py` for a few valid inks (a character, a word, a text line).
//!
//! Tolerances: the f32 path must match the float64 reference within 1e-4 (absolute, on
//! log-probabilities above ln 1e-4, where rounding of tiny probabilities does not matter); the
//! int8 path (int8 weights and dynamically int8-quantized activations) must keep probabilities
//! within 0.06 of the reference computed with the same int8 weights and pick the same best symbol
//! on at least 95% of the frames.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use inkjot::decode::{LogProbs, greedy};
use inkjot::features::FEATURE_DIM;
use inkjot::model::Model;
use safetensors::SafeTensors;

const MODEL: &str = "recognizer";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Golden {
    features: Vec<Vec<[f32; FEATURE_DIM]>>,
    f32_logprobs: Vec<Vec<f32>>,
    int8_logprobs: Vec<Vec<f32>>,
    metadata: HashMap<String, String>,
}

fn floats(tensors: &SafeTensors, name: &str) -> Vec<f32> {
    let view = tensors
        .tensor(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    view.data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn golden() -> Golden {
    let path = root().join(format!("tests/golden/{MODEL}.safetensors"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Golden files are sealed like models (scripts/seal.py): a damaged one fails here, not later.
    inkjot::checksum::verify_safetensors(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let metadata = meta.metadata().clone().unwrap_or_default();
    let tensors = SafeTensors::deserialize(&bytes).unwrap();
    let n: usize = metadata["n"].parse().unwrap();
    let mut g = Golden {
        features: vec![],
        f32_logprobs: vec![],
        int8_logprobs: vec![],
        metadata,
    };
    for i in 0..n {
        let name = format!("features_{i}");
        // Golden files of a model that reads fewer features than this build computes hold only
        // those; the rest stay zero (the model does not read them).
        let width = tensors.tensor(&name).unwrap().shape()[1];
        assert!(width <= FEATURE_DIM, "{name}: {width} features per curve");
        let f = floats(&tensors, &name);
        g.features.push(
            f.chunks_exact(width)
                .map(|c| std::array::from_fn(|j| c.get(j).copied().unwrap_or(0.0)))
                .collect(),
        );
        g.f32_logprobs
            .push(floats(&tensors, &format!("logprobs_{i}")));
        g.int8_logprobs
            .push(floats(&tensors, &format!("logprobs_int8_{i}")));
    }
    g
}

fn model(file: &str) -> Model {
    Model::load(&root().join("models").join(file)).unwrap()
}

fn list(metadata: &HashMap<String, String>, key: &str) -> Vec<String> {
    serde_json::from_str(&metadata[key]).unwrap()
}

#[test]
fn f32_forward_matches_pytorch() {
    let g = golden();
    let m = model(&format!("{MODEL}.safetensors"));
    assert!(!m.is_int8());
    let expected_text = list(&g.metadata, "greedy_f32");
    for (i, (features, want)) in g.features.iter().zip(&g.f32_logprobs).enumerate() {
        let got = m.forward(features);
        assert_eq!(got.as_slice().len(), want.len(), "ink {i}: shape");
        let mut worst = 0.0f32;
        for (a, b) in got.as_slice().iter().zip(want) {
            if *b > (1e-4f32).ln() {
                worst = worst.max((a - b).abs());
            }
        }
        eprintln!("f32 ink {i}: max |Δ log p| = {worst:.2e}");
        assert!(worst <= 1e-4, "ink {i}: max |Δ log p| = {worst}");
        assert_eq!(greedy(&got, m.alphabet()).text, expected_text[i], "ink {i}");
    }
}

#[test]
fn int8_forward_tracks_the_int8_reference() {
    let g = golden();
    let m = model(&format!("{MODEL}-int8.safetensors"));
    assert!(m.is_int8());
    let symbols = m.alphabet().len();
    let (mut agree, mut frames) = (0usize, 0usize);
    let mut worst_p = 0.0f32;
    for (i, (features, want)) in g.features.iter().zip(&g.int8_logprobs).enumerate() {
        let got = m.forward(features);
        let want = LogProbs::new(want.clone(), symbols).unwrap();
        assert_eq!(got.frames(), want.frames(), "ink {i}: frames");
        for t in 0..got.frames() {
            let (a, b) = (got.row(t), want.row(t));
            let worst = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x.exp() - y.exp()).abs())
                .fold(0.0f32, f32::max);
            worst_p = worst_p.max(worst);
            assert!(worst <= 0.06, "ink {i} frame {t}: max |Δp| = {worst}");
            let argmax = |r: &[f32]| {
                r.iter()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |m, (k, &v)| if v > m.1 { (k, v) } else { m },
                    )
                    .0
            };
            agree += usize::from(argmax(a) == argmax(b));
            frames += 1;
        }
    }
    eprintln!("int8: max |Δp| = {worst_p:.3}");
    eprintln!("int8: best symbol agrees on {agree}/{frames} frames");
    assert!(
        agree * 100 >= frames * 95,
        "best symbol agrees on {agree}/{frames} frames"
    );
}

#[test]
fn model_files_are_small_and_described() {
    let int8 = std::fs::metadata(root().join(format!("models/{MODEL}-int8.safetensors"))).unwrap();
    assert!(
        int8.len() <= 1_000_000,
        "int8 model is {} bytes",
        int8.len()
    );
    let m = model(&format!("{MODEL}-int8.safetensors"));
    assert_eq!(m.alphabet()[0], "", "index 0 is the CTC blank");
    assert!(m.metadata().contains_key("valid_cer"));
    assert!(Path::new(&root().join("models/MODEL_CARD.md")).exists());
}
