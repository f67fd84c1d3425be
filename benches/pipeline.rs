//! Criterion benches, one group per pipeline stage, on real words from UNIPEN valid
//! (`../shared/data/unipen/valid.jsonl.gz` beside the repository).
//!
//! Run: `cargo bench --bench pipeline` (add `-- features` etc. to pick a group).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkjot::features::{FeatureConfig, featurize};
use inkjot::ink::{InkLimits, InkRecord, read_ink_file};

const WORDS: usize = 200;

fn valid_words() -> Vec<InkRecord> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/unipen/valid.jsonl.gz");
    let records = read_ink_file(&path, InkLimits::default())
        .unwrap_or_else(|e| panic!("benches need {}: {e}", path.display()));
    records
        .filter_map(Result::ok)
        .filter(|r| r.kind.as_deref() == Some("word"))
        .take(WORDS)
        .collect()
}

fn shipped_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/recognizer-int8.safetensors")
}

/// Normalization + Bézier fitting + feature vectors, reported in points per second.
fn features(c: &mut Criterion) {
    let words = valid_words();
    let points: usize = words.iter().map(|r| r.ink.point_count()).sum();
    let config = FeatureConfig::default();
    let mut group = c.benchmark_group("features");
    group.throughput(Throughput::Elements(points as u64));
    group.bench_function(format!("featurize_{WORDS}_words"), |b| {
        b.iter(|| {
            words
                .iter()
                .map(|r| featurize(&r.ink, &config).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

/// Forward pass and whole recognition of one word (featurize + network + decode).
fn model(c: &mut Criterion) {
    let path = shipped_model();
    let Ok(recognizer) = inkjot::Recognizer::from_file(&path) else {
        eprintln!("no model at {}; skipping the model benches", path.display());
        return;
    };
    let words = valid_words();
    let options = inkjot::RecognizeOptions::default();
    let mut group = c.benchmark_group("recognize");
    group.throughput(Throughput::Elements(words.len() as u64));
    group.bench_function(format!("{WORDS}_words_int8"), |b| {
        b.iter(|| {
            words
                .iter()
                .map(|r| {
                    recognizer
                        .recognize(&r.ink, &options)
                        .map_or(0, |x| x.curves)
                })
                .sum::<usize>()
        })
    });
    let features: Vec<_> = words
        .iter()
        .map(|r| featurize(&r.ink, &FeatureConfig::default()))
        .collect();
    group.bench_function(format!("{WORDS}_words_forward_int8"), |b| {
        b.iter(|| {
            features
                .iter()
                .map(|f| recognizer.model().forward(f).frames())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, features, model);
criterion_main!(benches);
