//! The LM and language-pack loaders on arbitrary bytes (OpenFST or compact LM files): a clear
//! error, or an LM whose queries give no NaN, that the compact writer stores and the loader reads
//! back within the quantization error, and a pack whose beam search returns valid candidates.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use inkjot::decode::{CharLm, LanguagePack, LmFormat, lm_compact};
use inkjot::recognizer::RecognizeOptions;
use inkjot_fuzz::{check_candidates, tiny};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first two bytes give the length of decoder.json, which comes next; the rest is the LM
    // file (lm.fst or lm.bin).
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
        round_trip(&lm);
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

/// Whatever loads, the compact writer stores and the loader reads back: the same states, next
/// states and symbols, each cost within the quantization error of the written codebooks.
fn round_trip(lm: &CharLm) {
    let Ok((bytes, stats)) = lm_compact::write(lm, lm_compact::DEFAULT_CODES) else {
        return; // more symbols than the compact format holds
    };
    assert_eq!(LmFormat::of(&bytes), LmFormat::Compact);
    let back = CharLm::from_bytes(&bytes).expect("a written compact LM loads");
    assert_eq!(
        (back.num_states(), back.num_arcs(), back.order()),
        (lm.num_states(), lm.num_arcs(), lm.order())
    );
    assert!(back.characters().eq(lm.characters()));
    let bound = (lm.order() - 1) as f32 * stats.max_backoff_error + stats.max_arc_error;
    let mut state = lm.start();
    for c in lm.characters().take(40).chain("the \u{FFFD}q".chars()) {
        let (a, next) = lm.advance_char(state, c);
        let (b, next_back) = back.advance_char(state, c);
        assert_eq!(next, next_back, "{c:?}");
        if a.is_finite() && b.is_finite() {
            let slack = 1e-3 * (1.0 + a.abs() + b.abs());
            assert!(
                (a - b).abs() <= bound * 1.01 + slack,
                "{c:?}: {a} vs {b}, bound {bound}"
            );
        }
        state = next;
    }
    // And the compact model converts back to an OpenFST file that loads the same.
    let fst = back.to_bytes(LmFormat::Fst).expect("OpenFST bytes");
    let again = CharLm::from_bytes(&fst).expect("a written OpenFST LM loads");
    assert_eq!(again.num_arcs(), back.num_arcs());
}
