//! Per-word latency of the streaming update after the last stroke of a word (what the `session`
//! criterion group of `benches/pipeline.rs` times in bulk): per UNIPEN valid word, a `Session`
//! (no writing area) holding every stroke but the last; timed: adding the last stroke's points one
//! by one, `end_stroke` and `candidates()` with default options (greedy, no LM, shipped int8
//! model). Each word is timed `REPEATS` times on fresh clones; its median is kept, and the p50, p90
//! and max over words are printed.
//!
//! Run: `cargo run --release --example streaming_latency [-- INKS.jsonl[.gz] [LIMIT]]` (default:
//! the first 200 words of `../shared/data/unipen/valid.jsonl.gz`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use inkjot::ink::{InkLimits, read_ink_file};
use inkjot::{RecognizeOptions, Recognizer, Session, SessionOptions};

/// Timings per word.
const REPEATS: usize = 21;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let inks = args.next().map_or_else(
        || root.join("../shared/data/unipen/valid.jsonl.gz"),
        PathBuf::from,
    );
    let limit: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let recognizer = Arc::new(Recognizer::from_file(
        &root.join("models/recognizer-int8.safetensors"),
    )?);
    let options = RecognizeOptions::default();
    let mut medians = Vec::new();
    for record in read_ink_file(&inks, InkLimits::default())?
        .filter_map(Result::ok)
        .filter(|r| r.kind.as_deref().is_none_or(|k| k == "word"))
        .take(limit)
    {
        let Some((last, before)) = record.ink.strokes().split_last() else {
            continue;
        };
        let mut prepared = Session::new(Arc::clone(&recognizer), SessionOptions::default())?;
        for stroke in before {
            prepared.add_points(&stroke.points)?;
            prepared.end_stroke();
        }
        let mut times = Vec::with_capacity(REPEATS);
        for _ in 0..REPEATS {
            let mut session = prepared.clone();
            let start = Instant::now();
            for p in &last.points {
                session.add_point(*p)?;
            }
            session.end_stroke();
            let recognition = session.candidates(&options)?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(recognition);
        }
        times.sort_by(f64::total_cmp);
        medians.push(times[REPEATS / 2]);
    }
    if medians.is_empty() {
        return Err(format!("no words of two strokes or more in {}", inks.display()).into());
    }
    let mean = medians.iter().sum::<f64>() / medians.len() as f64;
    medians.sort_by(f64::total_cmp);
    let at = |q: f64| medians[((medians.len() - 1) as f64 * q).round() as usize];
    println!(
        "{} words: last stroke + end_stroke + candidates, ms per word (median of {REPEATS} runs \
         each): p50 {:.3}, p90 {:.3}, max {:.3}, mean {mean:.3}",
        medians.len(),
        at(0.5),
        at(0.9),
        at(1.0),
    );
    Ok(())
}
