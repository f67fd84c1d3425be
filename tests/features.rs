//! The feature stage end to end: snapshots of real inks, invariants, and hostile input.

use inkjot::features::{
    AugmentConfig, FEATURE_DIM, FeatureConfig, SplitMix64, WritingArea, Y_FEATURE, augment,
    featurize, fit_ink,
};
use inkjot::ink::{Ink, InkLimits, Point, Stroke};
use proptest::prelude::*;

mod common;
use common::sample;

/// Features rounded to 4 decimals, so snapshots hold across platforms' last-bit differences.
fn rounded(rows: &[[f32; FEATURE_DIM]]) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|v| (f64::from(*v) * 1e4).round() / 1e4)
                .collect()
        })
        .collect()
}

#[test]
fn features_of_real_inks_are_stable() {
    let records = sample();
    for index in [0, 3, 4] {
        let record = &records[index];
        let rows = featurize(&record.ink, &FeatureConfig::default());
        insta::assert_json_snapshot!(format!("features_{index}"), rounded(&rows));
    }
}

#[test]
fn words_become_a_few_curves_each_close_to_the_ink() {
    let config = FeatureConfig::default();
    for record in sample() {
        let curves = fit_ink(&record.ink, &config);
        let pen_down = curves.iter().filter(|c| !c.pen_up).count();
        let pen_up = curves.iter().filter(|c| c.pen_up).count();
        assert_eq!(
            pen_up,
            record.ink.strokes().len() - 1,
            "one gap curve between strokes"
        );
        // Far fewer curves than points: the point of the representation.
        assert!(
            pen_down * 4 <= record.ink.point_count(),
            "{}: {pen_down} curves",
            record.id
        );
        for c in curves.iter().filter(|c| !c.pen_up) {
            assert!(
                c.rms_error <= config.fit.max_error,
                "{}: rms {}",
                record.id,
                c.rms_error
            );
        }
    }
}

#[test]
fn summing_dx_dy_walks_from_first_to_last_point() {
    for record in sample() {
        let rows = featurize(&record.ink, &FeatureConfig::default());
        let (dx, dy) = rows.iter().fold((0.0f64, 0.0f64), |a, r| {
            (a.0 + f64::from(r[0]), a.1 + f64::from(r[1]))
        });
        let strokes = inkjot::features::normalize(&record.ink, WritingArea::Auto);
        let first = strokes.first().and_then(|s| s.first()).unwrap();
        let last = strokes.last().and_then(|s| s.last()).unwrap();
        assert!((dx - (last.x - first.x)).abs() < 1e-4, "{}", record.id);
        assert!((dy - (last.y - first.y)).abs() < 1e-4, "{}", record.id);
    }
}

#[test]
fn y_is_the_start_height_below_the_top_and_chains_with_dy() {
    for record in sample() {
        let rows = featurize(&record.ink, &FeatureConfig::default());
        let strokes = inkjot::features::normalize(&record.ink, WritingArea::Auto);
        let first = strokes.first().and_then(|s| s.first()).unwrap();
        assert!(
            (f64::from(rows[0][Y_FEATURE]) - first.y).abs() < 1e-5,
            "{}",
            record.id
        );
        for pair in rows.windows(2) {
            let end = pair[0][Y_FEATURE] + pair[0][1];
            assert!((pair[1][Y_FEATURE] - end).abs() < 1e-4, "{}", record.id);
        }
        assert!(
            rows.iter().all(|r| (0.0..=1.0).contains(&r[Y_FEATURE])),
            "{}",
            record.id
        );
    }
}

#[test]
fn features_are_invariant_to_translation_and_scale() {
    let record = &sample()[4];
    let moved = record
        .ink
        .map_points(&InkLimits::default(), |p| Point {
            x: p.x * 3.0 + 500.0,
            y: p.y * 3.0 - 20.0,
            t: p.t + 1e5,
        })
        .unwrap();
    let a = featurize(&record.ink, &FeatureConfig::default());
    let b = featurize(&moved, &FeatureConfig::default());
    assert_eq!(a.len(), b.len());
    for (ra, rb) in a.iter().zip(&b) {
        for (x, y) in ra.iter().zip(rb) {
            assert!((x - y).abs() < 1e-3, "{ra:?} vs {rb:?}");
        }
    }
}

#[test]
fn writing_area_sets_the_scale() {
    let ink = Ink::from_channels(
        vec![(vec![0.0, 0.0], vec![0.0, 50.0], None)],
        &InkLimits::default(),
    )
    .unwrap();
    let auto = featurize(&ink, &FeatureConfig::default());
    let area = featurize(
        &ink,
        &FeatureConfig {
            area: WritingArea::Height(200.0),
            ..Default::default()
        },
    );
    assert!((auto[0][1] - 1.0).abs() < 1e-6);
    assert!((area[0][1] - 0.25).abs() < 1e-6);
}

#[test]
fn augmentation_is_deterministic_and_keeps_the_shape() {
    let record = &sample()[5];
    let limits = InkLimits::default();
    let a = augment(
        &record.ink,
        &AugmentConfig::default(),
        &mut SplitMix64::new(3),
        &limits,
    )
    .unwrap();
    let b = augment(
        &record.ink,
        &AugmentConfig::default(),
        &mut SplitMix64::new(3),
        &limits,
    )
    .unwrap();
    let c = augment(
        &record.ink,
        &AugmentConfig::default(),
        &mut SplitMix64::new(4),
        &limits,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.point_count(), record.ink.point_count());
    assert_eq!(a.strokes().len(), record.ink.strokes().len());
}

fn arbitrary_ink() -> impl Strategy<Value = Vec<Vec<(f64, f64, f64)>>> {
    let value = prop_oneof![
        -1e6..1e6f64,
        Just(0.0),
        Just(1e-300),
        Just(-1e-300),
        Just(1e8),
    ];
    prop::collection::vec(
        prop::collection::vec((value.clone(), value, 0.0..50.0f64), 0..40),
        0..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Whatever the points, validation either rejects the ink or the features come out finite.
    #[test]
    fn hostile_inks_never_panic_and_features_are_finite(strokes in arbitrary_ink()) {
        let mut t = 0.0;
        let strokes: Vec<Stroke> = strokes
            .into_iter()
            .map(|s| Stroke {
                points: s.into_iter().map(|(x, y, dt)| { t += dt; Point { x, y, t } }).collect(),
            })
            .collect();
        if let Ok(ink) = Ink::new(strokes, &InkLimits::default()) {
            let rows = featurize(&ink, &FeatureConfig::default());
            prop_assert!(rows.len() >= ink.strokes().len() * 2 - 1);
            for row in &rows {
                prop_assert!(row.iter().all(|v| v.is_finite()), "{row:?}");
            }
            let aug = augment(&ink, &AugmentConfig::default(), &mut SplitMix64::new(1), &InkLimits::default());
            if let Ok(aug) = aug {
                prop_assert!(featurize(&aug, &FeatureConfig::default()).iter().flatten().all(|v| v.is_finite()));
            }
        }
    }

    /// Arbitrary bytes as an ink file: errors, never a panic.
    #[test]
    fn arbitrary_jsonl_never_panics(text in "\\PC{0,200}") {
        for record in inkjot::ink::JsonlReader::new(text.as_bytes(), InkLimits::default()) {
            let _ = record;
        }
        let _ = inkjot::ink::parse_inkml(&text, "x", &InkLimits::default());
    }

    /// Random wiggly strokes: every pen-down curve fits within the error bound.
    #[test]
    fn fitted_curves_respect_the_error_bound(
        steps in prop::collection::vec((-1.0..1.0f64, -1.0..1.0f64), 2..120),
    ) {
        let (mut x, mut y) = (0.0, 0.0);
        let mut xs = vec![];
        let mut ys = vec![];
        for (dx, dy) in steps {
            x += dx;
            y += dy;
            xs.push(x);
            ys.push(y);
        }
        let ink = Ink::from_channels(vec![(xs, ys, None)], &InkLimits::default()).unwrap();
        let config = FeatureConfig::default();
        for c in fit_ink(&ink, &config) {
            prop_assert!(c.rms_error <= config.fit.max_error + 1e-12);
        }
    }
}
