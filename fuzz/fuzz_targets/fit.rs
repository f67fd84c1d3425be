//! Normalization and Bézier fitting of arbitrary inks: finite curves and features, one chain of
//! curves from the first point to the last (each curve starts where the previous one ended), one
//! pen-up curve between consecutive strokes, every point counted once.
//!
//! Input: a writing-area byte (see `FuzzHeight`), then an ink (see `FuzzInk`).
#![no_main]

use arbitrary::Unstructured;
use inkjot::features::{FitConfig, WritingArea, curve_features, fit_strokes, normalize};
use inkjot_fuzz::{FuzzHeight, FuzzInk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(height) = FuzzHeight::read(&mut u) else {
        return;
    };
    let fuzz_ink = FuzzInk::read_rest(&mut u);
    let Some(ink) = fuzz_ink.ink() else {
        return;
    };
    let height = height.value(FuzzInk::unit(fuzz_ink.unit_exp));
    let area = height.map_or(WritingArea::Auto, WritingArea::Height);
    let strokes = normalize(&ink, area);
    assert_eq!(strokes.len(), ink.strokes().len());
    for p in strokes.iter().flatten() {
        assert!(
            p.x.is_finite() && p.y.is_finite() && p.t.is_finite(),
            "{p:?}"
        );
    }
    let curves = fit_strokes(&strokes, &FitConfig::default());
    let pen_ups = curves.iter().filter(|c| c.pen_up).count();
    assert_eq!(pen_ups, strokes.len() - 1);
    assert!(curves.len() >= 2 * strokes.len() - 1);
    let first = &strokes[0][0];
    assert_eq!(curves[0].control[0], [first.x, first.y]);
    let last = strokes[strokes.len() - 1].last().unwrap();
    assert_eq!(curves[curves.len() - 1].control[3], [last.x, last.y]);
    for pair in curves.windows(2) {
        assert_eq!(
            pair[0].control[3], pair[1].control[0],
            "a gap between curves"
        );
    }
    let points: usize = curves.iter().map(|c| c.point_count).sum();
    let segments = curves.len() - pen_ups;
    // Consecutive curves of a stroke share their joining point.
    assert_eq!(points, ink.point_count() + segments - strokes.len());
    for c in &curves {
        assert!(c.control.iter().flatten().all(|v| v.is_finite()), "{c:?}");
        assert!(c.time.iter().all(|v| v.is_finite()), "{c:?}");
        let row = curve_features(c);
        assert!(row.iter().all(|v| v.is_finite()), "{row:?} from {c:?}");
    }
});
