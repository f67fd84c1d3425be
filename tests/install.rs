//! The `inkjot` binary works away from its sources: copied into an empty directory and run from
//! there (as after `cargo install`), it recognizes with the model and English pack it embeds, and
//! the documented overrides (`--model`, `--lang DIR`, `$INKJOT_MODELS`) take precedence.
//!
//! `.ci/run` also does a real `cargo install --path . --root $TMP` and runs the installed binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

const SOURCES: &str = env!("CARGO_MANIFEST_DIR");
const FIXTURE: &str = "unipen_valid_sample.jsonl";

/// Held while a test writes a copy of the binary and while one starts a process: a child forked
/// while another thread still has the copy open for writing inherits that descriptor, and the
/// copy then cannot be executed ("Text file busy").
static SPAWN_LOCK: Mutex<()> = Mutex::new(());

fn spawn_lock() -> MutexGuard<'static, ()> {
    SPAWN_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A fresh directory holding a copy of the binary and of the sample inks, nothing else.
fn installed() -> PathBuf {
    let _guard = spawn_lock();
    let dir = std::env::temp_dir().join(format!(
        "inkjot-install-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_inkjot"), dir.join("inkjot")).unwrap();
    std::fs::copy(
        Path::new(SOURCES).join("tests/fixtures").join(FIXTURE),
        dir.join(FIXTURE),
    )
    .unwrap();
    dir
}

/// Runs the copied binary in `dir` with `args`, `$INKJOT_MODELS` set to `models` or unset.
fn run(dir: &Path, args: &[&str], models: Option<&Path>) -> Output {
    let mut command = Command::new(dir.join("inkjot"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("INKJOT_MODEL");
    match models {
        Some(m) => command.env("INKJOT_MODELS", m),
        None => command.env_remove("INKJOT_MODELS"),
    };
    let child = {
        let _guard = spawn_lock();
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn copied_binary_recognizes_with_its_embedded_models() {
    let dir = installed();
    let shipped = Path::new(SOURCES).join("models");
    let embedded = stdout(&run(&dir, &["recognize", FIXTURE], None));
    let lines: Vec<&str> = embedded.lines().collect();
    let inks = std::fs::read_to_string(dir.join(FIXTURE))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(lines.len(), inks);
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let candidates = value["candidates"].as_array().unwrap();
        assert!(!candidates.is_empty() && candidates.len() <= 5, "{line}");
    }
    // The embedded model and English pack are the shipped files: same output as reading them.
    let from_files = stdout(&run(&dir, &["recognize", FIXTURE], Some(&shipped)));
    assert_eq!(embedded, from_files);
    // Greedy decoding with the embedded model equals greedy with the shipped model file.
    let model = shipped.join("recognizer-int8.safetensors");
    let greedy = stdout(&run(&dir, &["recognize", "--no-lm", FIXTURE], None));
    let greedy_file = stdout(&run(
        &dir,
        &[
            "recognize",
            "--no-lm",
            "--model",
            model.to_str().unwrap(),
            FIXTURE,
        ],
        None,
    ));
    assert_eq!(greedy, greedy_file);
    assert_ne!(greedy, embedded, "the LM changes some candidate lists");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn overrides_come_before_the_embedded_models() {
    let dir = installed();
    let shipped = Path::new(SOURCES).join("models");
    // $INKJOT_MODELS pointing nowhere is an error, not a silent fallback to the embedded model.
    let missing = run(
        &dir,
        &["recognize", FIXTURE],
        Some(Path::new("/nonexistent/inkjot-models")),
    );
    assert_eq!(missing.status.code(), Some(2));
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(message.contains("INKJOT_MODELS"), "{message}");
    // --model: the tiny test model gives other candidates than the embedded one.
    let tiny = Path::new(SOURCES).join("tests/fixtures/tiny-model.safetensors");
    let embedded = stdout(&run(&dir, &["recognize", "--no-lm", FIXTURE], None));
    let with_tiny = stdout(&run(
        &dir,
        &[
            "recognize",
            "--no-lm",
            "--model",
            tiny.to_str().unwrap(),
            FIXTURE,
        ],
        None,
    ));
    assert_ne!(embedded, with_tiny);
    // Only English is embedded; other codes need $INKJOT_MODELS or a directory.
    let german = run(&dir, &["recognize", "--lang", "de", FIXTURE], None);
    assert_eq!(german.status.code(), Some(2));
    let message = String::from_utf8_lossy(&german.stderr);
    assert!(
        message.contains("`de`") && message.contains("en"),
        "{message}"
    );
    let by_env = stdout(&run(
        &dir,
        &["recognize", "--lang", "de", FIXTURE],
        Some(&shipped),
    ));
    let de = shipped.join("de");
    let by_dir = stdout(&run(
        &dir,
        &["recognize", "--lang", de.to_str().unwrap(), FIXTURE],
        None,
    ));
    assert_eq!(by_env, by_dir);
    assert_ne!(by_env, stdout(&run(&dir, &["recognize", FIXTURE], None)));
    // One n-best limit, checked before any work.
    for nbest in ["0", "101"] {
        let out = run(&dir, &["recognize", "--nbest", nbest, FIXTURE], None);
        assert_eq!(out.status.code(), Some(2), "--nbest {nbest}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 100"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
