//! Full recognition of arbitrary inks with arbitrary options, with the tiny test model (greedy)
//! and with the shipped int8 model and English pack (beam search with the LM): a clear error or
//! candidates that hold the invariants of `check_candidates`.
//!
//! Input: flags (bit 0: shipped model, bit 1: use the LM), n-best (mod 12), a writing-area byte
//! (see `FuzzHeight`), a length byte and the pre-context, then an ink (see `FuzzInk`).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use inkjot::Error;
use inkjot::features::WritingArea;
use inkjot::recognizer::RecognizeOptions;
use inkjot_fuzz::{FuzzHeight, FuzzInk, check_candidates, read_bytes, shipped_en, tiny};
use libfuzzer_sys::fuzz_target;

fn header(u: &mut Unstructured) -> arbitrary::Result<(u8, u8, FuzzHeight, String)> {
    let flags = u8::arbitrary(u)?;
    let nbest = u8::arbitrary(u)? % 12;
    let height = FuzzHeight::read(u)?;
    let pre_context = String::from_utf8_lossy(read_bytes(u)?).into_owned();
    Ok((flags, nbest, height, pre_context))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((flags, nbest, height, pre_context)) = header(&mut u) else {
        return;
    };
    let fuzz_ink = FuzzInk::read_rest(&mut u);
    let Some(ink) = fuzz_ink.ink() else {
        return;
    };
    let unit = FuzzInk::unit(fuzz_ink.unit_exp);
    let recognizer = if flags & 1 == 1 { shipped_en() } else { tiny() };
    let options = RecognizeOptions {
        nbest: usize::from(nbest),
        writing_area: height
            .value(unit)
            .map_or(WritingArea::Auto, WritingArea::Height),
        pre_context,
        use_lm: flags & 2 == 2,
        segments: flags & 4 == 4,
        user_words: None,
        lines: flags & 8 == 8,
    };
    match recognizer.recognize(&ink, &options) {
        Ok(result) => {
            assert!(result.curves > 0);
            let lm = options.use_lm && recognizer.has_language_model();
            let alphabet = recognizer.model().alphabet();
            check_candidates(&result.candidates, options.nbest, alphabet, lm);
        }
        Err(Error::NbestOutOfRange { .. }) if !(1..=inkjot::MAX_NBEST).contains(&options.nbest) => {
        }
        Err(e) => panic!("recognition failed: {e}"),
    }
});
