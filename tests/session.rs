//! The streaming `Session` through the Rust API: streaming equals batch recognition of the same
//! strokes (with and without a writing area), finished strokes are fitted once, undo and clear,
//! and bad points rejected with the same typed errors as `Ink::new`.

use std::path::Path;
use std::sync::Arc;

use inkjot::features::{FeatureConfig, WritingArea, featurize};
use inkjot::ink::{Ink, InkLimits, Point, Stroke};
use inkjot::{Error, InkError, RecognizeOptions, Recognizer, Session, SessionOptions};

mod common;
use common::{SHIPPED_MODEL, TINY_MODEL, sample};

/// The tiny fixture model always, the shipped model when it exists.
fn recognizers() -> Vec<Arc<Recognizer>> {
    let mut paths = vec![TINY_MODEL];
    if Path::new(SHIPPED_MODEL).exists() {
        paths.push(SHIPPED_MODEL);
    }
    paths
        .into_iter()
        .map(|p| Arc::new(Recognizer::from_file(Path::new(p)).unwrap()))
        .collect()
}

fn tiny() -> Arc<Recognizer> {
    Arc::new(Recognizer::from_file(Path::new(TINY_MODEL)).unwrap())
}

fn session(recognizer: &Arc<Recognizer>, area: WritingArea) -> Session {
    let options = SessionOptions {
        writing_area: area,
        ..SessionOptions::default()
    };
    Session::new(Arc::clone(recognizer), options).unwrap()
}

/// The areas to test: a writing area a little taller than the ink, and none.
fn areas(ink: &Ink) -> [WritingArea; 2] {
    let height = ink.bounding_box().max_y.max(1.0) * 1.5;
    [WritingArea::Height(height), WritingArea::Auto]
}

fn options(area: WritingArea) -> RecognizeOptions {
    RecognizeOptions {
        writing_area: area,
        ..RecognizeOptions::default()
    }
}

fn ink_of(strokes: &[Stroke]) -> Ink {
    Ink::new(strokes.to_vec(), &InkLimits::default()).unwrap()
}

/// Same texts in the same order, scores within 1e-4 (streaming translates `y` once more than
/// batch does, which may round differently).
fn assert_same_candidates(live: &inkjot::Recognition, batch: &inkjot::Recognition, what: &str) {
    assert_eq!(live.curves, batch.curves, "{what}");
    assert_eq!(live.candidates.len(), batch.candidates.len(), "{what}");
    for (a, b) in live.candidates.iter().zip(&batch.candidates) {
        assert_eq!(a.text, b.text, "{what}");
        assert!((a.score - b.score).abs() <= 1e-4, "{what}: {a:?} vs {b:?}");
    }
}

#[test]
fn streaming_equals_batch_after_every_stroke_with_and_without_a_writing_area() {
    for recognizer in recognizers() {
        for record in sample() {
            for area in areas(&record.ink) {
                let mut session = session(&recognizer, area);
                let strokes = record.ink.strokes();
                for (i, stroke) in strokes.iter().enumerate() {
                    for p in &stroke.points {
                        session.add_point(*p).unwrap();
                    }
                    session.end_stroke();
                    let live = session.candidates(&options(area)).unwrap();
                    let batch = recognizer
                        .recognize(&ink_of(&strokes[..=i]), &options(area))
                        .unwrap();
                    let what = format!("{} {area:?} stroke {i}", record.id);
                    assert_same_candidates(&live, &batch, &what);
                    // `Auto` in the options means the session's own area.
                    let auto = session.candidates(&RecognizeOptions::default()).unwrap();
                    assert_eq!(auto, live, "{what}");
                }
                assert_eq!(session.ink().as_ref(), Some(&record.ink));
            }
        }
    }
}

#[test]
fn finished_strokes_are_fitted_once_and_features_match_batch() {
    let recognizer = tiny();
    for record in sample() {
        for area in areas(&record.ink) {
            let mut session = session(&recognizer, area);
            let n = record.ink.strokes().len();
            for (i, stroke) in record.ink.strokes().iter().enumerate() {
                // Half a stroke: the live candidates cover the stroke in progress.
                let half = stroke.points.len().div_ceil(2);
                session.add_points(&stroke.points[..half]).unwrap();
                let live = session.candidates(&options(area)).unwrap();
                let batch = recognizer
                    .recognize(&session.ink().unwrap(), &options(area))
                    .unwrap();
                assert_same_candidates(&live, &batch, &format!("{} half {i}", record.id));
                session.add_points(&stroke.points[half..]).unwrap();
                session.end_stroke();
                let streamed = session.features();
                let config = FeatureConfig {
                    area,
                    ..FeatureConfig::default()
                };
                let batch = featurize(&session.ink().unwrap(), &config);
                assert_eq!(streamed.len(), batch.len());
                for (a, b) in streamed.iter().flatten().zip(batch.iter().flatten()) {
                    assert!((a - b).abs() <= 1e-5, "{}: {a} vs {b}", record.id);
                }
                if area != WritingArea::Auto {
                    assert_eq!(session.stroke_fits(), i + 1, "{}", record.id);
                }
            }
            assert_eq!(session.stroke_count(), n);
            if area != WritingArea::Auto {
                assert_eq!(
                    session.stroke_fits(),
                    n,
                    "finished strokes are never refitted"
                );
            }
        }
    }
}

#[test]
fn undo_removes_the_last_stroke_and_leaves_the_rest_as_batch_sees_it() {
    let recognizer = tiny();
    for record in sample() {
        let strokes = record.ink.strokes();
        if strokes.len() < 2 {
            continue;
        }
        for area in areas(&record.ink) {
            let mut session = session(&recognizer, area);
            for stroke in strokes {
                session.add_points(&stroke.points).unwrap();
                session.end_stroke();
            }
            // Undo a finished stroke.
            assert!(session.undo_stroke());
            let kept = &strokes[..strokes.len() - 1];
            assert_eq!(session.stroke_count(), kept.len());
            assert_eq!(
                session.point_count(),
                kept.iter().map(|s| s.points.len()).sum::<usize>()
            );
            let batch = recognizer.recognize(&ink_of(kept), &options(area)).unwrap();
            let live = session.candidates(&options(area)).unwrap();
            assert_same_candidates(&live, &batch, &format!("{} undo", record.id));
            // Undo the stroke in progress: the same as never having started it.
            let last = &strokes[strokes.len() - 1];
            session.add_points(&last.points[..1]).unwrap();
            assert!(session.undo_stroke());
            let again = session.candidates(&options(area)).unwrap();
            assert_same_candidates(&again, &batch, &format!("{} undo current", record.id));
            // The undone stroke's time is forgotten: writing it again is accepted.
            session.add_points(&last.points).unwrap();
            session.end_stroke();
            let whole = recognizer.recognize(&record.ink, &options(area)).unwrap();
            let live = session.candidates(&options(area)).unwrap();
            assert_same_candidates(&live, &whole, &format!("{} redo", record.id));
            // Undo everything, then nothing is left to undo.
            while session.undo_stroke() {}
            assert_eq!((session.stroke_count(), session.point_count()), (0, 0));
            assert!(
                session
                    .candidates(&options(area))
                    .unwrap()
                    .candidates
                    .is_empty()
            );
            assert!(!session.undo_stroke());
        }
    }
}

#[test]
fn clear_starts_a_new_ink() {
    let recognizer = tiny();
    let inks = sample();
    let area = WritingArea::Height(200.0);
    let mut session = session(&recognizer, area);
    for record in &inks {
        // Each ink's times start wherever its file says; clear forgets the previous ink's.
        for stroke in record.ink.strokes() {
            session.add_points(&stroke.points).unwrap();
            session.end_stroke();
        }
        let live = session.candidates(&options(area)).unwrap();
        let batch = recognizer.recognize(&record.ink, &options(area)).unwrap();
        assert_same_candidates(&live, &batch, &record.id);
        session.clear();
        assert_eq!((session.stroke_count(), session.point_count()), (0, 0));
        assert_eq!(session.ink(), None);
        let empty = session.candidates(&options(area)).unwrap();
        assert!(empty.candidates.is_empty() && empty.curves == 0);
    }
    assert_eq!(session.options().writing_area, area);
}

/// The error `Ink::new` gives for `strokes`, and the one a session gives when fed them point by
/// point (after which the session must be unchanged).
fn batch_and_streamed_errors(strokes: &[Vec<Point>], limits: InkLimits) -> (InkError, InkError) {
    let batch = Ink::new(
        strokes
            .iter()
            .map(|points| Stroke {
                points: points.clone(),
            })
            .collect(),
        &limits,
    )
    .unwrap_err();
    let options = SessionOptions {
        writing_area: WritingArea::Height(100.0),
        limits,
    };
    let mut session = Session::new(tiny(), options).unwrap();
    for (i, points) in strokes.iter().enumerate() {
        if i > 0 {
            session.end_stroke();
        }
        for p in points {
            let (strokes_before, points_before) = (session.stroke_count(), session.point_count());
            match session.add_point(*p) {
                Ok(()) => {}
                Err(Error::Ink(streamed)) => {
                    assert_eq!(
                        (session.stroke_count(), session.point_count()),
                        (strokes_before, points_before),
                        "a rejected point leaves no trace"
                    );
                    return (batch, streamed);
                }
                Err(other) => panic!("not an ink error: {other}"),
            }
        }
    }
    panic!("the session accepted what Ink::new rejects: {batch}");
}

#[test]
fn bad_points_are_rejected_with_the_same_typed_errors_as_batch_inks() {
    let p = |x: f64, y: f64, t: f64| Point { x, y, t };
    let later = |t: f64| vec![p(0.0, 0.0, t), p(1.0, 1.0, t + 10.0)];
    let good = later(0.0);
    let small = InkLimits {
        max_points: 5,
        max_strokes: 2,
        ..InkLimits::default()
    };
    let cases: Vec<(Vec<Vec<Point>>, InkLimits)> = vec![
        (
            vec![good.clone(), vec![p(f64::NAN, 0.0, 20.0)]],
            InkLimits::default(),
        ),
        (
            vec![good.clone(), vec![p(0.0, f64::INFINITY, 20.0)]],
            InkLimits::default(),
        ),
        (
            vec![good.clone(), vec![p(2.0, 0.0, 5.0)]],
            InkLimits::default(),
        ),
        (
            vec![vec![p(0.0, 0.0, 0.0), p(1e10, 0.0, 1.0)]],
            InkLimits::default(),
        ),
        (vec![good.clone(), later(20.0), later(40.0)], small),
        (vec![good.clone(), vec![p(2.0, 2.0, 20.0); 4]], small),
    ];
    for (strokes, limits) in cases {
        let (batch, streamed) = batch_and_streamed_errors(&strokes, limits);
        // Ink::new counts the whole ink, the session the points up to the one rejected.
        match (&batch, &streamed) {
            (
                InkError::TooManyPoints { limit: a, .. },
                InkError::TooManyPoints { limit: b, .. },
            )
            | (
                InkError::TooManyStrokes { limit: a, .. },
                InkError::TooManyStrokes { limit: b, .. },
            ) => assert_eq!(a, b),
            _ => assert_eq!(batch, streamed),
        }
    }
}

#[test]
fn bad_settings_are_invalid_arguments() {
    let recognizer = tiny();
    for height in [-1.0, 0.0, f64::NAN, f64::INFINITY] {
        let options = SessionOptions {
            writing_area: WritingArea::Height(height),
            ..SessionOptions::default()
        };
        let e = Session::new(Arc::clone(&recognizer), options).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{height}: {e}");
    }
    let mut session = session(&recognizer, WritingArea::Height(100.0));
    session
        .add_points(&[
            Point {
                x: 0.0,
                y: 0.0,
                t: 0.0,
            },
            Point {
                x: 0.0,
                y: 50.0,
                t: 10.0,
            },
        ])
        .unwrap();
    for bad in [
        options(WritingArea::Height(50.0)),
        RecognizeOptions {
            nbest: 0,
            ..RecognizeOptions::default()
        },
    ] {
        let e = session.candidates(&bad).unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidArgument { .. } | Error::NbestOutOfRange { .. }
            ),
            "{e}"
        );
    }
    assert_eq!(session.point_count(), 2);
}

#[test]
fn sessions_can_be_sent_and_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Session>();
}
