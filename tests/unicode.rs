//! A non-ASCII alphabet end to end: a model whose symbols are accented letters and symbols
//! (tests/fixtures/tiny-model-latin.safetensors, always reading `é`) through the Rust API, the C
//! ABI (UTF-8), and the CLI's `recognize` and `eval` JSON, whose error rates count characters,
//! not bytes.

use std::ffi::{CStr, CString};
use std::process::Command;
use std::ptr::{null, null_mut};

use inkjot::ffi::*;
use inkjot::{RecognizeOptions, Recognizer};

mod common;
use common::{c_arrays, sample};

const LATIN_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tiny-model-latin.safetensors"
);

fn greedy() -> RecognizeOptions {
    RecognizeOptions {
        use_lm: false,
        ..RecognizeOptions::default()
    }
}

#[test]
fn rust_api_reads_the_accented_symbol() {
    let r = Recognizer::from_file(LATIN_MODEL.as_ref()).unwrap();
    assert_eq!(r.model().alphabet()[8], "é");
    for record in sample() {
        let result = r.recognize(&record.ink, &greedy()).unwrap();
        assert_eq!(result.candidates[0].text, "é", "{}", record.id);
    }
}

#[test]
fn c_abi_returns_utf8() {
    let path = CString::new(LATIN_MODEL).unwrap();
    let mut r = null_mut();
    // SAFETY: a valid path string and out pointer.
    let s = unsafe { inkjot_recognizer_new_from_path(path.as_ptr(), null(), &mut r) };
    assert_eq!(s, InkjotStatus::Ok);
    let options = InkjotOptions {
        use_lm: false,
        ..inkjot_options_default()
    };
    let ink = &sample()[0].ink;
    let (points, lengths) = c_arrays(ink);
    let mut out = null_mut();
    // SAFETY: the arrays, options and out pointer are valid for the call.
    let s = unsafe {
        inkjot_recognize(
            r,
            points.as_ptr(),
            lengths.as_ptr(),
            lengths.len(),
            &options,
            &mut out,
        )
    };
    assert_eq!(s, InkjotStatus::Ok);
    // SAFETY: `out` is a live result list and `r` a live recognizer; both are freed once here.
    unsafe {
        assert!(inkjot_results_count(out) >= 1);
        let text = CStr::from_ptr(inkjot_results_text(out, 0));
        assert_eq!(text.to_bytes(), "é".as_bytes());
        inkjot_results_free(out);
        inkjot_recognizer_free(r);
    }
}

/// Runs the CLI on a JSONL file of the sample's first ink labelled `ée`, then `é`.
#[test]
fn cli_json_carries_the_symbol_and_eval_counts_characters() {
    let dir = std::env::temp_dir().join(format!("inkjot-unicode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("inks.jsonl");
    let ink = &sample()[0].ink;
    let strokes: Vec<serde_json::Value> = ink
        .strokes()
        .iter()
        .map(|s| {
            serde_json::json!({
                "x": s.points.iter().map(|p| p.x).collect::<Vec<_>>(),
                "y": s.points.iter().map(|p| p.y).collect::<Vec<_>>(),
                "t": s.points.iter().map(|p| p.t).collect::<Vec<_>>(),
            })
        })
        .collect();
    let lines: Vec<String> = ["ée", "é"]
        .iter()
        .enumerate()
        .map(|(i, label)| {
            serde_json::json!({"id": i, "label": label, "kind": "word", "strokes": strokes})
                .to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_inkjot"))
            .args(args)
            .arg(&file)
            .args(["--model", LATIN_MODEL, "--no-lm"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let recognized = run(&["recognize"]);
    for line in recognized.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["candidates"][0]["text"], "é");
    }
    let report: serde_json::Value = serde_json::from_str(&run(&["eval", "--json"])).unwrap();
    // One edit over three characters (bytes would give 1 of 5); one of two inks exact.
    assert!(
        (report["cer"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9,
        "{report}"
    );
    assert!((report["exact"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    std::fs::remove_dir_all(&dir).unwrap();
}
