//! Criterion benches of the English LM (`models/en`) in its two file formats: loading the bytes,
//! `advance` over running text, and beam search + LM per word (the same in-memory model either
//! way, so only loading should differ).
//!
//! Run: `cargo bench --bench lm`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkjot::decode::{CharLm, LanguagePack, LmFormat, LogProbs};

const TEXT: &str = "the quick brown fox jumps over the lazy dog while handwriting recognition \
    reads every word of a sentence written on a phone keyboard in the morning or yesterday ";

/// The English pack's LM file as OpenFST and as compact bytes.
fn formats() -> Option<[(LmFormat, Vec<u8>); 2]> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/en");
    let path = LanguagePack::lm_path(&dir).ok()?;
    let lm = CharLm::load(&path).ok()?;
    let fst = lm.to_bytes(LmFormat::Fst).ok()?;
    let compact = lm.to_bytes(LmFormat::Compact).ok()?;
    Some([(LmFormat::Fst, fst), (LmFormat::Compact, compact)])
}

fn lm(c: &mut Criterion) {
    let Some(formats) = formats() else {
        eprintln!("no English pack under models/en; skipping the LM benches");
        return;
    };
    let mut group = c.benchmark_group("lm");
    for (format, bytes) in &formats {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("load_{format:?}"), |b| {
            b.iter(|| CharLm::from_bytes(bytes).map(|lm| lm.num_states()))
        });
    }
    let text: Vec<char> = TEXT.chars().collect();
    group.throughput(Throughput::Elements(text.len() as u64));
    for (format, bytes) in &formats {
        let lm = CharLm::from_bytes(bytes).expect("the English LM loads");
        let symbols: Vec<_> = text.iter().filter_map(|&c| lm.symbol(c)).collect();
        group.bench_function(format!("advance_{format:?}"), |b| {
            b.iter(|| {
                symbols.iter().fold((0.0f32, lm.start()), |(total, s), &y| {
                    let (lp, next) = lm.advance(s, y);
                    (total + lp, next)
                })
            })
        });
    }
    group.finish();

    // Beam search + LM on synthetic output: one confident frame per character, then a blank.
    let alphabet: Vec<String> = std::iter::once(String::new())
        .chain((' '..='~').map(String::from))
        .collect();
    let words = [
        "handwriting",
        "keyboard",
        "morning",
        "different",
        "question",
    ];
    let matrices: Vec<LogProbs> = words
        .iter()
        .map(|w| {
            let mut rows = Vec::new();
            for target in w.chars().flat_map(|ch| {
                [
                    alphabet.iter().position(|s| s.starts_with(ch)).unwrap_or(0),
                    0,
                ]
            }) {
                let row = (0..alphabet.len()).map(|i| if i == target { -0.05f32 } else { -12.0 });
                rows.extend(row);
            }
            LogProbs::new(rows, alphabet.len()).expect("whole rows")
        })
        .collect();
    let mut group = c.benchmark_group("lm_decode");
    group.throughput(Throughput::Elements(matrices.len() as u64));
    for (format, bytes) in &formats {
        let pack = LanguagePack::from_lm_bytes(bytes).expect("the English LM loads");
        let decoder = pack
            .decoder(&alphabet)
            .expect("decoder for printable ASCII");
        group.bench_function(format!("beam_{format:?}_{}_words", words.len()), |b| {
            b.iter(|| {
                matrices
                    .iter()
                    .map(|m| decoder.decode(m, "").map_or(0, |c| c.len()))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lm);
criterion_main!(benches);
