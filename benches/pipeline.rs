//! Criterion benches, one group per pipeline stage, on real words from UNIPEN valid
//! (`../shared/data/unipen/valid.jsonl.gz` beside the repository).
//!
//! Run: `cargo bench --bench pipeline` (add `-- features` etc. to pick a group: features,
//! recognize, decode, lines, session).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkjot::features::{FeatureConfig, featurize};
use inkjot::ink::{InkLimits, InkRecord, read_ink_file};

const WORDS: usize = 200;

fn valid_words() -> Vec<InkRecord> {
    valid_of_kind("word", WORDS)
}

/// The first `n` inks of a kind in UNIPEN valid.
fn valid_of_kind(kind: &str, n: usize) -> Vec<InkRecord> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/unipen/valid.jsonl.gz");
    let records = read_ink_file(&path, InkLimits::default())
        .unwrap_or_else(|e| panic!("benches need {}: {e}", path.display()));
    records
        .filter_map(Result::ok)
        .filter(|r| r.kind.as_deref() == Some(kind))
        .take(n)
        .collect()
}

fn shipped_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/recognizer-int8.safetensors")
}

/// Recognizes every ink; returns the curves read (so the work cannot be optimized away).
fn recognize_all(
    recognizer: &inkjot::Recognizer,
    inks: &[InkRecord],
    options: &inkjot::RecognizeOptions,
) -> usize {
    inks.iter()
        .map(|r| {
            recognizer
                .recognize(&r.ink, options)
                .map_or(0, |x| x.curves)
        })
        .sum()
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

/// Forward pass and whole recognition of one word (featurize + network + decode: greedy without a
/// language pack, beam search + English LM with one).
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
        b.iter(|| recognize_all(&recognizer, &words, &options))
    });
    let en = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/en");
    match inkjot::decode::LanguagePack::load(&en)
        .and_then(|pack| inkjot::Recognizer::from_file(&path)?.with_language_pack(&pack))
    {
        Ok(with_lm) => {
            group.bench_function(format!("{WORDS}_words_int8_lm_en"), |b| {
                b.iter(|| recognize_all(&with_lm, &words, &options))
            });
            // The same with segments (curve spans, forced alignment, boxes) for all 5 candidates.
            let segments = inkjot::RecognizeOptions {
                segments: true,
                ..options.clone()
            };
            group.bench_function(format!("{WORDS}_words_int8_lm_en_segments"), |b| {
                b.iter(|| recognize_all(&with_lm, &words, &segments))
            });
            // Confidence alone: a forced alignment per candidate (part of every recognition).
            let decoded: Vec<_> = words
                .iter()
                .map(|r| {
                    let logprobs = with_lm.log_probs(&r.ink, options.writing_area);
                    let candidates = with_lm.decode(&logprobs, &options).unwrap_or_default();
                    (logprobs, candidates)
                })
                .collect();
            group.bench_function(format!("{WORDS}_words_confidence_features_lm_en"), |b| {
                b.iter(|| {
                    decoded
                        .iter()
                        .map(|(l, c)| with_lm.confidence_features(c, l).len())
                        .sum::<usize>()
                })
            });
        }
        Err(e) => eprintln!("no English pack at {} ({e}); skipping", en.display()),
    }
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

/// CTC beam search with the English LM (`models/en`) per word, on synthetic network output over
/// blank + printable ASCII (one noisy frame per character and a blank after it, 16-22 frames).
fn decode(c: &mut Criterion) {
    use inkjot::decode::{LanguagePack, LogProbs};
    use inkjot::features::SplitMix64;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/en");
    let pack = match LanguagePack::load(&dir) {
        Ok(pack) => pack,
        Err(e) => {
            eprintln!(
                "no language pack at {} ({e}); skipping the decode benches",
                dir.display()
            );
            return;
        }
    };
    let alphabet: Vec<String> = std::iter::once(String::new())
        .chain((' '..='~').map(String::from))
        .collect();
    let decoder = pack
        .decoder(&alphabet)
        .expect("decoder for printable ASCII");
    let mut rng = SplitMix64::new(1);
    let frame = |target: usize, rng: &mut SplitMix64| {
        let logits: Vec<f64> = (0..alphabet.len())
            .map(|i| rng.normal() + if i == target { 8.0 } else { 0.0 })
            .collect();
        let norm = logits.iter().map(|l| l.exp()).sum::<f64>().ln();
        logits.into_iter().map(move |l| (l - norm) as f32)
    };
    let words = [
        "handwriting",
        "recognition",
        "language",
        "keyboard",
        "morning",
        "because",
        "different",
        "yesterday",
        "probably",
        "question",
    ];
    let matrices: Vec<LogProbs> = words
        .iter()
        .map(|w| {
            let mut rows = Vec::new();
            for ch in w.chars() {
                let target = alphabet.iter().position(|s| s.starts_with(ch)).unwrap_or(0);
                rows.extend(frame(target, &mut rng));
                rows.extend(frame(0, &mut rng));
            }
            LogProbs::new(rows, alphabet.len()).expect("whole rows")
        })
        .collect();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(matrices.len() as u64));
    group.bench_function(format!("beam_lm_en_{}_words", words.len()), |b| {
        b.iter(|| {
            matrices
                .iter()
                .map(|m| decoder.decode(m, "").map_or(0, |c| c.len()))
                .sum::<usize>()
        })
    });
    // A contact list of 200 names, two of them among the words.
    let names: Vec<String> = (0..198)
        .map(|i| format!("name{i}"))
        .chain(["keyboard".into(), "morning".into()])
        .collect();
    let user_words = inkjot::decode::UserWords::new(&names).expect("short words");
    group.bench_function(
        format!("beam_lm_en_200_user_words_{}_words", words.len()),
        |b| {
            b.iter(|| {
                matrices
                    .iter()
                    .map(|m| {
                        decoder
                            .decode_with(m, "", 5, Some(&user_words))
                            .map_or(0, |c| c.len())
                    })
                    .sum::<usize>()
            })
        },
    );
    group.finish();
}

/// Line splitting (`inkjot::lines`) of single-line inks, alone and as part of recognition with
/// the English pack: the same inks with `lines` on (the default) and off.
fn lines(c: &mut Criterion) {
    use inkjot::lines::split_lines;
    let words = valid_words();
    let texts: Vec<InkRecord> = valid_of_kind("text", 400)
        .into_iter()
        .filter(|r| split_lines(&r.ink).len() == 1)
        .take(TEXTS)
        .collect();
    let mut group = c.benchmark_group("lines");
    group.throughput(Throughput::Elements(words.len() as u64));
    group.bench_function(format!("split_{WORDS}_words"), |b| {
        b.iter(|| {
            words
                .iter()
                .map(|r| split_lines(&r.ink).len())
                .sum::<usize>()
        })
    });
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function(format!("split_{TEXTS}_single_line_texts"), |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|r| split_lines(&r.ink).len())
                .sum::<usize>()
        })
    });
    let path = shipped_model();
    let en = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/en");
    let recognizer = match inkjot::decode::LanguagePack::load(&en)
        .and_then(|pack| inkjot::Recognizer::from_file(&path)?.with_language_pack(&pack))
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("no model or English pack ({e}); skipping the recognition benches");
            return;
        }
    };
    for lines in [true, false] {
        let options = inkjot::RecognizeOptions {
            lines,
            ..inkjot::RecognizeOptions::default()
        };
        let mode = if lines { "lines" } else { "single_line" };
        group.bench_function(format!("recognize_{TEXTS}_texts_int8_lm_en_{mode}"), |b| {
            b.iter(|| recognize_all(&recognizer, &texts, &options))
        });
    }
    group.finish();
}

/// Single-line text inks in the `lines` benches.
const TEXTS: usize = 50;

/// The streaming update after the last stroke of a word: per valid word, a `Session` (no writing
/// area) that holds every stroke but the last; timed: adding the last stroke's points one by one,
/// `end_stroke` and `candidates()` with default options (greedy, no LM). Cloning the prepared
/// sessions is setup, not timed; throughput is words.
fn session(c: &mut Criterion) {
    use std::sync::Arc;

    use criterion::BatchSize;
    use inkjot::{RecognizeOptions, Session, SessionOptions};
    let path = shipped_model();
    let Ok(recognizer) = inkjot::Recognizer::from_file(&path) else {
        eprintln!(
            "no model at {}; skipping the session benches",
            path.display()
        );
        return;
    };
    let recognizer = Arc::new(recognizer);
    let words = valid_words();
    // (the session with all strokes but the last, the last stroke's points)
    let prepared: Vec<(Session, Vec<inkjot::Point>)> = words
        .iter()
        .filter_map(|r| {
            let (last, before) = r.ink.strokes().split_last()?;
            let mut session = Session::new(Arc::clone(&recognizer), SessionOptions::default())
                .expect("default options");
            for stroke in before {
                session.add_points(&stroke.points).ok()?;
                session.end_stroke();
            }
            Some((session, last.points.clone()))
        })
        .collect();
    let options = RecognizeOptions::default();
    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(prepared.len() as u64));
    group.bench_function(format!("last_stroke_{WORDS}_words_int8"), |b| {
        b.iter_batched_ref(
            || prepared.clone(),
            |sessions| {
                sessions
                    .iter_mut()
                    .map(|(session, points)| {
                        for p in points.iter() {
                            // Valid points (the ink passed the same checks when it was read).
                            let _ = session.add_point(*p);
                        }
                        session.end_stroke();
                        session.candidates(&options).map_or(0, |r| r.curves)
                    })
                    .sum::<usize>()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, features, model, decode, lines, session);
criterion_main!(benches);
