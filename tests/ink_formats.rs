//! Reading inks: JSON Lines (plain, gzip), InkML, and every kind of bad input.

use std::io::Write;
use std::path::Path;

use inkjot::ink::{
    InkLimits, InkRecord, JsonlReader, parse_inkml, read_ink, read_ink_file, write_jsonl_record,
};
use inkjot::{Error, InkError};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_one(line: &str) -> Result<InkRecord, Error> {
    JsonlReader::new(line.as_bytes(), InkLimits::default())
        .next()
        .expect("one record")
}

fn ink_error(line: &str) -> InkError {
    match read_one(line) {
        Err(Error::InkAt { source, location }) => {
            assert_eq!(location.line, 1);
            source
        }
        other => panic!("expected an ink error, got {other:?}"),
    }
}

#[test]
fn reads_the_unipen_sample() {
    let records: Vec<_> =
        read_ink_file(&fixture("unipen_valid_sample.jsonl"), InkLimits::default())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(records.len(), 7);
    assert_eq!(records[3].label.as_deref(), Some("Let's"));
    assert_eq!(records[3].kind.as_deref(), Some("word"));
    assert_eq!(records[0].id, "1a/aga/b84b4d2fbc/0");
    assert_eq!(records[0].ink.point_count(), 57);
}

#[test]
fn reads_gzip_by_content() {
    let text = std::fs::read(fixture("unipen_valid_sample.jsonl")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).unwrap();
    let bytes = gz.finish().unwrap();
    let records: Vec<_> = read_ink(std::io::Cursor::new(bytes), "mem", InkLimits::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), 7);
}

#[test]
fn jsonl_round_trips_through_the_writer() {
    let records: Vec<_> =
        read_ink_file(&fixture("unipen_valid_sample.jsonl"), InkLimits::default())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let mut out = Vec::new();
    for r in &records {
        write_jsonl_record(&mut out, r).unwrap();
    }
    let again: Vec<_> = JsonlReader::new(out.as_slice(), InkLimits::default())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(again, records);
}

#[test]
fn reads_inkml_with_time_differences_and_truth() {
    let text = std::fs::read_to_string(fixture("sample.inkml")).unwrap();
    let record = parse_inkml(&text, "fallback", &InkLimits::default()).unwrap();
    assert_eq!(record.id, "sample-hi");
    assert_eq!(record.label.as_deref(), Some("hi"));
    let strokes = record.ink.strokes();
    assert_eq!(strokes.len(), 4);
    // Second trace: explicit start, then first differences that persist.
    let xs: Vec<f64> = strokes[1].points.iter().map(|p| p.x).collect();
    let ys: Vec<f64> = strokes[1].points.iter().map(|p| p.y).collect();
    let ts: Vec<f64> = strokes[1].points.iter().map(|p| p.t).collect();
    assert_eq!(xs, [10.0, 13.0, 16.0, 19.0, 22.0, 25.0]);
    assert_eq!(ys, [25.0, 22.0, 19.0, 22.0, 25.0, 28.0]);
    assert_eq!(ts, [60.0, 70.0, 80.0, 90.0, 100.0, 110.0]);
    assert_eq!(strokes[3].points.len(), 1);
}

#[test]
fn inkml_without_time_gets_synthetic_time() {
    let xml = r#"<ink><trace>0 0, 1 1, 2 2</trace><trace>5 5</trace></ink>"#;
    let record = parse_inkml(xml, "x", &InkLimits::default()).unwrap();
    let ts: Vec<f64> = record
        .ink
        .strokes()
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.t))
        .collect();
    assert_eq!(ts, [0.0, 10.0, 20.0, 40.0]);
    assert_eq!(record.id, "x");
}

#[test]
fn inkml_errors_are_typed() {
    let limits = InkLimits::default();
    assert!(matches!(
        parse_inkml("<ink><trace>1 2", "x", &limits),
        Err(Error::Parse { .. })
    ));
    assert!(matches!(
        parse_inkml("<svg/>", "x", &limits),
        Err(Error::Parse { .. })
    ));
    assert!(matches!(
        parse_inkml("<ink><trace>1 a</trace></ink>", "x", &limits),
        Err(Error::Parse { .. })
    ));
    assert!(matches!(
        parse_inkml("<ink><trace>1</trace></ink>", "x", &limits),
        Err(Error::Parse { .. })
    ));
    assert!(matches!(
        parse_inkml("<ink></ink>", "x", &limits),
        Err(Error::InkAt {
            source: InkError::NoStrokes,
            ..
        })
    ));
    assert!(matches!(
        parse_inkml("<ink><trace>NaN 1</trace></ink>", "x", &limits),
        Err(Error::InkAt {
            source: InkError::NonFinite { .. },
            ..
        })
    ));
}

#[test]
fn missing_time_is_synthesized() {
    let r = read_one(r#"{"strokes":[{"x":[0,1],"y":[0,1]},{"x":[2],"y":[2]}]}"#).unwrap();
    let ts: Vec<f64> = r
        .ink
        .strokes()
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.t))
        .collect();
    assert_eq!(ts, [0.0, 10.0, 30.0]);
    assert_eq!(r.id, "0");
}

#[test]
fn numeric_ids_are_kept_and_missing_ids_become_the_index() {
    let text =
        "{\"id\":7,\"strokes\":[{\"x\":[0],\"y\":[0]}]}\n\n{\"strokes\":[{\"x\":[0],\"y\":[0]}]}\n";
    let ids: Vec<String> = JsonlReader::new(text.as_bytes(), InkLimits::default())
        .map(|r| r.unwrap().id)
        .collect();
    assert_eq!(ids, ["7", "1"]);
}

#[test]
fn bad_inks_get_typed_errors() {
    assert_eq!(ink_error(r#"{"strokes":[]}"#), InkError::NoStrokes);
    assert_eq!(
        ink_error(r#"{"strokes":[{"x":[],"y":[]}]}"#),
        InkError::EmptyStroke { stroke: 0 }
    );
    assert_eq!(
        ink_error(r#"{"strokes":[{"x":[1,2],"y":[1]}]}"#),
        InkError::LengthMismatch {
            stroke: 0,
            x: 2,
            y: 1,
            t: 0
        }
    );
    assert_eq!(
        ink_error(r#"{"strokes":[{"x":[1,2],"y":[1,2],"t":[5]}]}"#),
        InkError::LengthMismatch {
            stroke: 0,
            x: 2,
            y: 2,
            t: 1
        }
    );
    assert!(matches!(
        ink_error(r#"{"strokes":[{"x":[1,2],"y":[1,2],"t":[5,4]}]}"#),
        InkError::TimeBackwards {
            stroke: 0,
            point: 1,
            ..
        }
    ));
    assert!(matches!(
        ink_error(r#"{"strokes":[{"x":[1],"y":[1],"t":[5]},{"x":[1],"y":[1],"t":[4]}]}"#),
        InkError::TimeBackwards {
            stroke: 1,
            point: 0,
            ..
        }
    ));
    assert!(matches!(
        ink_error(r#"{"strokes":[{"x":[1e300],"y":[1]}]}"#),
        InkError::OutOfRange { channel: "x", .. }
    ));
}

#[test]
fn malformed_json_names_its_line() {
    let text = "{\"strokes\":[{\"x\":[0],\"y\":[0]}]}\n{\"strokes\": [\n{\"strokes\":[{\"x\":[\"a\"],\"y\":[0]}]}\n";
    let results: Vec<_> = JsonlReader::new(text.as_bytes(), InkLimits::default()).collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok());
    for (i, r) in results.iter().enumerate().skip(1) {
        match r {
            Err(Error::Parse { location, .. }) => assert_eq!(location.line, i + 1),
            other => panic!("line {}: expected a parse error, got {other:?}", i + 1),
        }
    }
    // Infinity is not JSON, NaN neither: both are parse errors.
    assert!(matches!(
        read_one(r#"{"strokes":[{"x":[NaN],"y":[0]}]}"#),
        Err(Error::Parse { .. })
    ));
}

#[test]
fn limits_reject_absurd_sizes() {
    let limits = InkLimits {
        max_points: 3,
        max_strokes: 2,
        max_abs_value: 1e6,
    };
    let many_points = r#"{"strokes":[{"x":[1,2,3,4],"y":[1,2,3,4]}]}"#;
    let many_strokes = r#"{"strokes":[{"x":[1],"y":[1]},{"x":[1],"y":[1]},{"x":[1],"y":[1]}]}"#;
    let first = |t: &str| JsonlReader::new(t.as_bytes(), limits).next().unwrap();
    assert!(matches!(
        first(many_points),
        Err(Error::InkAt {
            source: InkError::TooManyPoints { count: 4, limit: 3 },
            ..
        })
    ));
    assert!(matches!(
        first(many_strokes),
        Err(Error::InkAt {
            source: InkError::TooManyStrokes { count: 3, limit: 2 },
            ..
        })
    ));
    let long = format!(
        "{{\"strokes\":[{{\"x\":[{}],\"y\":[0]}}]}}\n{{\"strokes\":[{{\"x\":[0],\"y\":[0]}}]}}",
        "0,".repeat(100)
    );
    let results: Vec<_> = JsonlReader::new(long.as_bytes(), limits)
        .with_max_line_bytes(64)
        .collect();
    assert!(matches!(results[0], Err(Error::Parse { .. })));
    assert!(
        results[1].is_ok(),
        "reading goes on after an over-long line"
    );
}

#[test]
fn unreadable_file_is_an_io_error() {
    let result = read_ink_file(Path::new("/nonexistent/ink.jsonl"), InkLimits::default());
    let Err(error @ Error::Io { .. }) = result else {
        panic!("not an I/O error");
    };
    // The file is named once, the cause once.
    assert_eq!(
        error.to_string(),
        "/nonexistent/ink.jsonl: No such file or directory"
    );
}

#[test]
fn a_utf8_bom_is_skipped_in_jsonl_and_inkml() {
    let line = "\u{feff}{\"id\":\"a\",\"strokes\":[{\"x\":[0,1],\"y\":[0,5]}]}\n";
    assert_eq!(read_one(line).unwrap().id, "a");
    // Only the first line may carry a BOM; elsewhere it stays malformed JSON.
    let second = format!("{{\"strokes\":[{{\"x\":[0],\"y\":[0]}}]}}\n{line}");
    let records: Vec<_> = JsonlReader::new(second.as_bytes(), InkLimits::default()).collect();
    assert!(records[1].is_err());
    let records: Vec<_> = read_ink(
        std::io::Cursor::new(line.as_bytes().to_vec()),
        "mem",
        InkLimits::default(),
    )
    .unwrap()
    .collect();
    assert_eq!(records[0].as_ref().unwrap().id, "a");
    let xml = "\u{feff}<ink xmlns=\"http://www.w3.org/2003/InkML\"><trace>10 0, 9 14</trace></ink>";
    let records: Vec<_> = read_ink(
        std::io::Cursor::new(xml.as_bytes().to_vec()),
        "doc",
        InkLimits::default(),
    )
    .unwrap()
    .collect();
    assert_eq!(records[0].as_ref().unwrap().ink.point_count(), 2);
}

#[test]
fn an_invalid_ink_names_its_own_id_when_the_line_gives_one() {
    let text = concat!(
        "{\"id\":\"w-7\",\"strokes\":[{\"x\":[0,1],\"y\":[0]}]}\n",
        "{\"strokes\":[{\"x\":[0,1],\"y\":[0]}]}\n",
        "not json\n",
    );
    let errors: Vec<inkjot::Error> = JsonlReader::new(text.as_bytes(), InkLimits::default())
        .map(|r| r.unwrap_err())
        .collect();
    assert_eq!(errors.len(), 3);
    assert_eq!(errors[0].record_id(), Some("w-7"));
    assert!(
        errors[0].to_string().contains("line 1 (ink \"w-7\")"),
        "{}",
        errors[0]
    );
    // No id given, or none readable: nothing to name, so callers fall back to the position.
    assert_eq!(errors[1].record_id(), None);
    assert_eq!(errors[2].record_id(), None);
}

#[test]
fn inkml_nested_too_deep_is_refused_before_parsing() {
    let nest = |depth: usize| {
        format!(
            "<ink xmlns=\"http://www.w3.org/2003/InkML\"><!-- <a> <b> --><traceGroup a='>'>{}<trace>0 0, 1 1</trace>{}</traceGroup></ink>",
            "<traceGroup>".repeat(depth),
            "</traceGroup>".repeat(depth)
        )
    };
    // Shallow nesting (comments, quoted `>` and self-closing tags aside) still parses.
    let ok = nest(10).replace("<trace>", "<annotation/><trace>");
    let record = parse_inkml(&ok, "0", &InkLimits::default()).unwrap();
    assert_eq!(record.ink.point_count(), 2);
    // 20,000 levels: a parse error on a 512 KB stack, not a stack overflow.
    let deep = nest(20_000);
    let err = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || parse_inkml(&deep, "0", &InkLimits::default()).unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert!(matches!(err, Error::Parse { .. }), "{err}");
    assert!(err.to_string().contains("nested deeper than 256"), "{err}");
}
