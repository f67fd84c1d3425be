//! Multi-line ink with the shipped model and English pack, in batch recognition and streaming
//! sessions, on real UNIPEN valid text inks (`tests/fixtures/multiline_valid.jsonl`: five written
//! over 2 or 4 lines, four single lines, each with the number of lines seen on a rendering).

mod common;

use std::sync::Arc;

use inkjot::ink::{InkLimits, InkRecord, JsonlReader};
use inkjot::metrics::ErrorCounts;
use inkjot::segment::SegmentKind;
use inkjot::{RecognizeOptions, Session, SessionOptions};

/// Each fixture ink with its number of lines.
fn inks() -> Vec<(InkRecord, usize)> {
    let text = include_str!("fixtures/multiline_valid.jsonl");
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let lines = value["lines"].as_u64().unwrap() as usize;
            let record = JsonlReader::new(line.as_bytes(), InkLimits::default())
                .next()
                .unwrap()
                .unwrap();
            (record, lines)
        })
        .collect()
}

#[test]
fn inks_are_read_line_by_line() {
    let recognizer = common::english();
    let options = RecognizeOptions {
        segments: true,
        ..RecognizeOptions::default()
    };
    for (record, expected) in inks() {
        let ink = &record.ink;
        let result = recognizer.recognize(ink, &options).unwrap();
        let id = &record.id;
        assert_eq!(result.lines.len(), expected, "{id}");
        let best = &result.candidates[0];
        let texts: Vec<&str> = result.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(best.text, texts.join("\n"), "{id}");
        // Every stroke in exactly one line; lines top to bottom, boxes around their strokes.
        let mut strokes: Vec<usize> = result
            .lines
            .iter()
            .flat_map(|l| l.strokes.clone())
            .collect();
        strokes.sort_unstable();
        assert_eq!(
            strokes,
            (0..ink.strokes().len()).collect::<Vec<_>>(),
            "{id}"
        );
        for pair in result.lines.windows(2) {
            assert!(pair[0].bbox.min_y < pair[1].bbox.min_y, "{id}");
        }
        for line in &result.lines {
            for p in line.strokes.iter().flat_map(|&s| &ink.strokes()[s].points) {
                assert!(p.y >= line.bbox.min_y && p.y <= line.bbox.max_y, "{id}");
            }
        }
        for c in &result.candidates {
            assert_eq!(
                c.text.matches('\n').count(),
                expected - 1,
                "{id}: {:?}",
                c.text
            );
            assert!((0.0..=1.0).contains(&c.confidence), "{id}");
            let chars: String = c
                .segments
                .iter()
                .filter(|s| s.kind == SegmentKind::Char)
                .map(|s| s.text.as_str())
                .collect();
            assert_eq!(chars, c.text, "{id}");
            // A character's ink lies in the line that reads it.
            let mut line = 0;
            for s in c.segments.iter().filter(|s| s.kind == SegmentKind::Char) {
                if s.text == "\n" {
                    line += 1;
                }
                for range in &s.strokes {
                    assert!(result.lines[line].strokes.contains(&range.stroke), "{id}");
                }
            }
        }
        let shares: f32 = result.candidates.iter().map(|c| c.score.exp()).sum();
        assert!((shares - 1.0).abs() < 1e-4, "{id}: {shares}");
        // Single-line mode reads the whole ink as one line.
        let whole = recognizer
            .recognize(
                ink,
                &RecognizeOptions {
                    lines: false,
                    ..RecognizeOptions::default()
                },
            )
            .unwrap();
        assert_eq!(whole.lines.len(), 1, "{id}");
        assert_eq!(whole.lines[0].strokes.len(), ink.strokes().len(), "{id}");
        assert!(!whole.candidates[0].text.contains('\n'), "{id}");
    }
}

#[test]
fn line_by_line_reads_multi_line_inks_better_than_one_line() {
    let recognizer = common::english();
    let mut split = ErrorCounts::default();
    let mut whole = ErrorCounts::default();
    for (record, _) in inks().into_iter().filter(|(_, lines)| *lines > 1) {
        let label = record.label.as_deref().unwrap();
        for (counts, lines) in [(&mut split, true), (&mut whole, false)] {
            let options = RecognizeOptions {
                lines,
                ..RecognizeOptions::default()
            };
            let result = recognizer.recognize(&record.ink, &options).unwrap();
            counts.add(label, &result.candidates[0].text.replace('\n', " "));
        }
    }
    assert!(
        split.cer() < whole.cer(),
        "{} vs {}",
        split.cer(),
        whole.cer()
    );
}

#[test]
fn a_session_starts_a_new_line_below_the_previous_one() {
    let recognizer = Arc::new(common::english());
    let options = RecognizeOptions::default();
    for (record, expected) in inks() {
        let id = &record.id;
        let mut session = Session::new(Arc::clone(&recognizer), SessionOptions::default()).unwrap();
        let mut most = 0;
        for stroke in record.ink.strokes() {
            for p in &stroke.points {
                session.add_point(*p).unwrap();
            }
            session.end_stroke();
            let live = session.candidates(&options).unwrap();
            // Lines only come (a new one below), never go, as strokes arrive.
            assert!(live.lines.len() >= most, "{id}");
            most = live.lines.len();
            assert_eq!(
                live.candidates[0].text.matches('\n').count() + 1,
                live.lines.len(),
                "{id}"
            );
        }
        let live = session.candidates(&options).unwrap();
        let batch = recognizer.recognize(&record.ink, &options).unwrap();
        assert_eq!(live.lines, batch.lines, "{id}");
        assert_eq!(live.lines.len(), expected, "{id}");
        let texts = |r: &inkjot::Recognition| -> Vec<String> {
            r.candidates.iter().map(|c| c.text.clone()).collect()
        };
        assert_eq!(texts(&live), texts(&batch), "{id}");
    }
}
