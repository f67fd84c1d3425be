//! The model loader on arbitrary bytes: a clear error or a model whose forward pass gives finite
//! log-probabilities that sum to 1 per frame and a valid greedy candidate. The bytes are tried as
//! they are (almost always refused by the checksum) and sealed, so that the checks behind the
//! checksum (header, shapes, values) are fuzzed too.
#![no_main]

use inkjot::Recognizer;
use inkjot::features::FEATURE_DIM;
use inkjot::model::Model;
use inkjot::recognizer::RecognizeOptions;
use inkjot_fuzz::check_candidates;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Model::from_bytes(data);
    let Ok(sealed) = inkjot::checksum::seal_safetensors(data) else {
        return;
    };
    let Ok(model) = Model::from_bytes(&sealed) else {
        return;
    };
    // Three plausible curves: a short down stroke, a pen-up move, a hook.
    let rows: Vec<[f32; FEATURE_DIM]> = (0..3)
        .map(|i| std::array::from_fn(|j| ((i * FEATURE_DIM + j) as f32 * 0.37).sin()))
        .collect();
    let logprobs = model.forward(&rows);
    assert_eq!(logprobs.frames(), rows.len());
    assert_eq!(logprobs.symbols(), model.alphabet().len());
    for t in 0..logprobs.frames() {
        let row = logprobs.row(t);
        assert!(row.iter().all(|v| v.is_finite()), "frame {t}: {row:?}");
        let total: f64 = row.iter().map(|&v| f64::from(v).exp()).sum();
        assert!((total - 1.0).abs() < 1e-3, "frame {t} sums to {total}");
    }
    let alphabet = model.alphabet().to_vec();
    let recognizer = Recognizer::new(model);
    let options = RecognizeOptions::default();
    let result = recognizer
        .recognize_features(&rows, &options)
        .expect("recognize");
    check_candidates(&result.candidates, options.nbest, &alphabet, false);
});
