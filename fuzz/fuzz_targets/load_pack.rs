//! The LM and language-pack loaders on arbitrary bytes: a clear error, or an LM whose queries give
//! no NaN and a pack whose beam search returns valid candidates.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use inkjot::decode::{CharLm, LanguagePack};
use inkjot::recognizer::RecognizeOptions;
use inkjot_fuzz::{check_candidates, tiny};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first two bytes give the length of decoder.json, which comes next; the rest is lm.fst.
    let mut u = Unstructured::new(data);
    let Ok(len) = u16::arbitrary(&mut u) else {
        return;
    };
    let Ok(json) = u.bytes(usize::from(len).min(u.len())) else {
        return;
    };
    let json = String::from_utf8_lossy(json).into_owned();
    let lm_bytes = u.take_rest();
    if let Ok(lm) = CharLm::from_bytes(lm_bytes) {
        let state = lm.state_after("the quick brown fox");
        let (logp, _) = lm.log_prob(state, "jumps over\u{e9}\u{1F600}");
        assert!(!logp.is_nan());
        assert!(!lm.word_log_prob("hello").is_nan());
        for c in lm.characters().take(200) {
            let (logp, _) = lm.advance_char(lm.start(), c);
            // Not `logp <= 0`: a file can hold arcs or backoffs of negative cost (probability
            // above 1), which no cheap load-time check can rule out for a backoff model.
            assert!(!logp.is_nan(), "{c:?}: {logp}");
        }
    }
    // As given (refused without a valid checksum), then sealed so the settings and LM checks run.
    let _ = LanguagePack::from_bytes(lm_bytes, &json);
    let Ok(json) = inkjot::checksum::seal_decoder_json(lm_bytes, &json) else {
        return;
    };
    let Ok(pack) = LanguagePack::from_bytes(lm_bytes, &json) else {
        return;
    };
    let recognizer = tiny();
    let Ok(decoder) = pack.decoder(recognizer.model().alphabet()) else {
        return;
    };
    let rows: Vec<[f32; inkjot::features::FEATURE_DIM]> = (0..6)
        .map(|i| std::array::from_fn(|j| ((i * 11 + j) as f32 * 0.61).cos()))
        .collect();
    let logprobs = recognizer.model().forward(&rows);
    let options = RecognizeOptions::default();
    if let Ok(candidates) = decoder.decode_top(&logprobs, "pre ", options.nbest) {
        check_candidates(
            &candidates,
            options.nbest,
            recognizer.model().alphabet(),
            true,
        );
    }
});
