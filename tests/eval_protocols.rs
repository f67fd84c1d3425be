//! `inkjot eval --split-words N`: the rest of each text line after its first N words is read and
//! scored on its own (the pre-context protocol inside a line), with the shipped model and pack.

use std::process::{Command, Output};

const SOURCES: &str = env!("CARGO_MANIFEST_DIR");

/// `inkjot eval` on the sample inks (one text line, "a quick brown fox jumps") with `args`.
fn eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inkjot"))
        .current_dir(SOURCES)
        .args([
            "eval",
            "tests/fixtures/unipen_valid_sample.jsonl",
            "--kind",
            "text",
        ])
        .args([
            "--model",
            "models/recognizer-int8.safetensors",
            "--lang",
            "models/en",
        ])
        .args(["--json"])
        .args(args)
        .output()
        .unwrap()
}

fn report(args: &[&str]) -> serde_json::Value {
    let out = eval(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_rest_of_a_line_is_scored_against_the_rest_of_its_label() {
    let whole = report(&[]);
    assert_eq!(whole["counts"]["chars"], "a quick brown fox jumps".len());
    for blind in [false, true] {
        let args: &[&str] = if blind {
            &["--split-words", "2", "--split-blind"]
        } else {
            &["--split-words", "2"]
        };
        let rest = report(args);
        assert_eq!(rest["inks"], 1, "{rest}");
        assert_eq!(rest["counts"]["chars"], "brown fox jumps".len(), "{rest}");
        assert_eq!(rest["counts"]["words"], 3, "{rest}");
        assert!(rest["curves_per_ink"].as_f64() < whole["curves_per_ink"].as_f64());
    }
}

#[test]
fn a_line_of_n_words_or_fewer_is_not_scored() {
    let out = eval(&["--split-words", "5"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no labelled ink"));
    let out = eval(&["--split-blind"]);
    assert!(!out.status.success(), "--split-blind needs --split-words");
}
