//! `inkjot eval`: accuracy (CER, WER, exact matches, top-n, final punctuation, case-only errors)
//! and speed on labelled inks, with an optional cache of the network's output so that decoder
//! settings can be compared quickly (scripts/tune_decoder.py), and two pre-context protocols
//! (`--pre-context-words`: across the lines of one file; `--split-words`: inside a line).

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use inkjot::decode::LogProbs;
use inkjot::decode::align::{SymbolIndex, forced_align};
use inkjot::metrics::ErrorCounts;

use crate::RecognizerArgs;

/// Marks whose keeping at the end of a text is counted (`final_punctuation`).
const FINAL_MARKS: [char; 4] = ['.', ',', '!', '?'];

/// Options of `inkjot eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Labelled ink file (JSONL, .jsonl.gz or InkML).
    input: PathBuf,
    /// Only inks of this kind (`char`, `word`, `text`), when the file records kinds.
    #[arg(long)]
    kind: Option<String>,
    /// Stop after this many inks.
    #[arg(long)]
    limit: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Keep the network's output for these inks in FILE: read it when it was written for the
    /// same input, kind, limit and model, else compute and write it (latencies then add the
    /// network time measured when the cache was written).
    #[arg(long)]
    logprobs_cache: Option<PathBuf>,
    /// Pre-context protocol for text lines: only lines that follow another line of the same
    /// source file are scored, each with the last N words of the previous line's label (and a
    /// space) as pre-context; N = 0 scores the same lines without pre-context.
    #[arg(long)]
    pre_context_words: Option<usize>,
    /// Pre-context protocol inside a line: of each line with more than N words, the frames of
    /// its first N words (by the CTC forced alignment of its label) are dropped and the rest is
    /// read with those words (and a space) as pre-context, scored against the rest of the label.
    #[arg(long, conflicts_with = "pre_context_words")]
    split_words: Option<usize>,
    /// With `--split-words`: read the rest of each line without pre-context.
    #[arg(long, requires = "split_words")]
    split_blind: bool,
    /// Score what `recognize` returns, ink by ink (no cache): split into lines unless
    /// `--single-line`, line breaks in candidates counted as spaces (labels have none).
    #[arg(long, conflicts_with_all = ["logprobs_cache", "pre_context_words", "split_words"])]
    lines: bool,
    #[command(flatten)]
    recognizer: RecognizerArgs,
}

/// One labelled ink as the decoder sees it.
struct Sample {
    id: String,
    label: String,
    logprobs: LogProbs,
    /// Seconds spent on features and network.
    network_s: f64,
}

/// Counts beyond [`ErrorCounts`].
#[derive(Default, serde::Serialize)]
struct Extra {
    /// Labels found among the candidates.
    in_candidates: usize,
    /// Wrong best candidates.
    misread: usize,
    /// Wrong best candidates that equal the label but for case.
    case_only: usize,
    /// Labels ending in . , ! or ?
    final_marks: usize,
    /// Of those, best candidates ending in the same mark.
    final_marks_kept: usize,
}

/// The source file of a UNIPEN id `<category>/<contributor>/<file>/<n>` (all but the last part).
fn source_of(id: &str) -> &str {
    id.rsplit_once('/').map_or("", |(file, _)| file)
}

/// The last `n` words of `label`, followed by a space (empty for `n` = 0).
fn last_words(label: &str, n: usize) -> String {
    let words: Vec<&str> = label.split_whitespace().collect();
    let tail = &words[words.len().saturating_sub(n)..];
    if tail.is_empty() {
        String::new()
    } else {
        format!("{} ", tail.join(" "))
    }
}

/// A text line cut after its first words ([`split_after_words`]).
struct Split {
    /// The first words, each followed by a space.
    context: String,
    /// The label from the next word on.
    rest: String,
    /// The frames from the first one the label's alignment gives the next word on.
    logprobs: LogProbs,
}

/// `label` and its network output cut where the label's word `n + 1` begins (by the CTC forced
/// alignment of the label): `None` when the label has `n` words or fewer, or cannot be aligned.
fn split_after_words(
    label: &str,
    logprobs: &LogProbs,
    symbols: &SymbolIndex,
    n: usize,
) -> Option<Split> {
    let chars: Vec<char> = label.chars().collect();
    let word_start = (0..chars.len())
        .filter(|&i| !chars[i].is_whitespace() && (i == 0 || chars[i - 1].is_whitespace()))
        .nth(n)?;
    let context = label
        .split_whitespace()
        .take(n)
        .map(|w| format!("{w} "))
        .collect();
    let alignment = forced_align(logprobs, &symbols.labels(label))?;
    let cut = alignment
        .frames
        .iter()
        .position(|f| f.is_some_and(|c| c >= word_start))?;
    let width = logprobs.symbols();
    let rest_frames = logprobs.as_slice().get(cut * width..)?.to_vec();
    Some(Split {
        context,
        rest: chars[word_start..].iter().collect(),
        logprobs: LogProbs::new(rest_frames, width)?,
    })
}

/// One scored ink: its label, the candidates' texts (best first), seconds and curves spent.
struct Scored {
    label: String,
    texts: Vec<String>,
    seconds: f64,
    curves: usize,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let (recognizer, options) = args.recognizer.load()?;
    let start = Instant::now();
    // `network_s`: the network's time per ink, summed; `sampling_s`: the wall time spent getting
    // it (the same when computed now, almost nothing when read from --logprobs-cache).
    let (scored, network_s, sampling_s) = if args.lines {
        (recognized(args, &recognizer, &options)?, 0.0, 0.0)
    } else {
        let begin = Instant::now();
        let samples = samples(args, &recognizer, options.writing_area)?;
        let sampling_s = begin.elapsed().as_secs_f64();
        let network_s = samples.iter().map(|s| s.network_s).sum::<f64>();
        let scored = decoded(args, &recognizer, &options, &samples)?;
        (scored, network_s, sampling_s)
    };
    let mut counts = ErrorCounts::default();
    let mut extra = Extra::default();
    let mut latencies_ms = Vec::new();
    let mut curves = 0usize;
    for sample in &scored {
        latencies_ms.push(sample.seconds * 1e3);
        curves += sample.curves;
        let best = sample.texts.first().map_or("", |t| t.trim_start());
        let label = sample.label.as_str();
        counts.add(label, best);
        extra.in_candidates += usize::from(sample.texts.iter().any(|t| t.trim_start() == label));
        if best != label {
            extra.misread += 1;
            extra.case_only += usize::from(best.to_lowercase() == label.to_lowercase());
        }
        if let Some(mark) = label.chars().last().filter(|c| FINAL_MARKS.contains(c)) {
            extra.final_marks += 1;
            extra.final_marks_kept += usize::from(best.ends_with(mark));
        }
    }
    if counts.samples == 0 {
        bail!("no labelled ink to evaluate in {}", args.input.display());
    }
    // Each ink's network time counts once, whether computed now or read from the cache.
    let seconds = start.elapsed().as_secs_f64() - sampling_s + network_s;
    latencies_ms.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies_ms[((latencies_ms.len() - 1) as f64 * p).round() as usize];
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let report = serde_json::json!({
        "inks": counts.samples,
        "cer": counts.cer(),
        "wer": counts.wer(),
        "exact": counts.exact_rate(),
        "top_n": ratio(extra.in_candidates, counts.samples),
        "case_only_of_misread": ratio(extra.case_only, extra.misread),
        "final_marks_kept": ratio(extra.final_marks_kept, extra.final_marks),
        "inks_per_second": counts.samples as f64 / seconds,
        "latency_ms": { "p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99), "max": percentile(1.0) },
        "curves_per_ink": curves as f64 / counts.samples as f64,
        "model_int8": recognizer.model().is_int8(),
        "counts": counts,
        "extra": extra,
    });
    if args.json {
        outln!("{report}")?;
    } else {
        outln!(
            "inks {}  CER {:.2}%  WER {:.2}%  exact {:.2}%  label in top-{} {:.2}%  case-only {}/{} misread  final marks kept {}/{}  {:.0} inks/s  latency p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms",
            counts.samples,
            100.0 * counts.cer(),
            100.0 * counts.wer(),
            100.0 * counts.exact_rate(),
            options.nbest,
            100.0 * ratio(extra.in_candidates, counts.samples),
            extra.case_only,
            extra.misread,
            extra.final_marks_kept,
            extra.final_marks,
            counts.samples as f64 / seconds,
            percentile(0.5),
            percentile(0.9),
            percentile(0.99),
        )?;
    }
    Ok(())
}

/// The decoder's candidates for cached or computed network output, with the pre-context protocol.
fn decoded(
    args: &EvalArgs,
    recognizer: &inkjot::Recognizer,
    options: &inkjot::RecognizeOptions,
    samples: &[Sample],
) -> anyhow::Result<Vec<Scored>> {
    let mut scored = Vec::with_capacity(samples.len());
    let mut previous: Option<(String, String)> = None;
    let symbols = SymbolIndex::new(recognizer.model().alphabet());
    for sample in samples {
        let mut options = options.clone();
        if let Some(n) = args.split_words {
            let Some(split) = split_after_words(&sample.label, &sample.logprobs, &symbols, n)
            else {
                continue;
            };
            if !args.split_blind {
                options.pre_context = split.context;
            }
            let begin = Instant::now();
            let candidates = recognizer.decode(&split.logprobs, &options)?;
            scored.push(Scored {
                label: split.rest,
                texts: candidates.into_iter().map(|c| c.text).collect(),
                seconds: begin.elapsed().as_secs_f64(),
                curves: split.logprobs.frames(),
            });
            continue;
        }
        if let Some(n) = args.pre_context_words {
            let follows = previous
                .as_ref()
                .filter(|(id, _)| source_of(id) == source_of(&sample.id));
            let context = follows.map(|(_, label)| last_words(label, n));
            previous = Some((sample.id.clone(), sample.label.clone()));
            match context {
                Some(c) => options.pre_context = c,
                None => continue,
            }
        }
        let begin = Instant::now();
        let candidates = recognizer.decode(&sample.logprobs, &options)?;
        scored.push(Scored {
            label: sample.label.clone(),
            texts: candidates.into_iter().map(|c| c.text).collect(),
            seconds: begin.elapsed().as_secs_f64() + sample.network_s,
            curves: sample.logprobs.frames(),
        });
    }
    Ok(scored)
}

/// Each labelled ink through [`inkjot::Recognizer::recognize`], line breaks turned to spaces.
fn recognized(
    args: &EvalArgs,
    recognizer: &inkjot::Recognizer,
    options: &inkjot::RecognizeOptions,
) -> anyhow::Result<Vec<Scored>> {
    let mut scored = Vec::new();
    for record in labelled(args)?.take(args.limit.unwrap_or(usize::MAX)) {
        let Ok(record) = record else {
            continue;
        };
        let begin = Instant::now();
        let result = recognizer.recognize(&record.ink, options)?;
        scored.push(Scored {
            label: record.label.unwrap_or_default(),
            texts: result
                .candidates
                .into_iter()
                .map(|c| c.text.replace('\n', " "))
                .collect(),
            seconds: begin.elapsed().as_secs_f64(),
            curves: result.curves,
        });
    }
    Ok(scored)
}

/// The records of the input with a label (and of the kind asked for); unreadable ones kept as
/// errors, for the caller to skip.
fn labelled(
    args: &EvalArgs,
) -> anyhow::Result<impl Iterator<Item = inkjot::Result<inkjot::InkRecord>>> {
    let kind = args.kind.clone();
    Ok(
        crate::open(&args.input)?.filter(move |r| match (r, kind.as_deref()) {
            (Ok(r), Some(k)) => r.kind.as_deref() == Some(k) && r.label.is_some(),
            (Ok(r), None) => r.label.is_some(),
            (Err(_), _) => true,
        }),
    )
}

/// The inks to evaluate with the network's output: from the cache when it matches, else computed
/// (and cached when asked).
fn samples(
    args: &EvalArgs,
    recognizer: &inkjot::Recognizer,
    area: inkjot::features::WritingArea,
) -> anyhow::Result<Vec<Sample>> {
    let key = serde_json::json!({
        "input": args.input,
        "kind": args.kind,
        "limit": args.limit,
        "model": args.recognizer.model,
        "area": format!("{area:?}"),
        "version": inkjot::recognizer::VERSION,
    })
    .to_string();
    if let Some(cache) = &args.logprobs_cache {
        if let Some(samples) = read_cache(cache, &key)? {
            return Ok(samples);
        }
    }
    let records = labelled(args)?;
    let mut samples = Vec::new();
    let mut last_report = Instant::now();
    for record in records.take(args.limit.unwrap_or(usize::MAX)) {
        let Ok(record) = record else {
            continue;
        };
        let begin = Instant::now();
        let logprobs = recognizer.log_probs(&record.ink, area);
        samples.push(Sample {
            id: record.id,
            label: record.label.unwrap_or_default(),
            logprobs,
            network_s: begin.elapsed().as_secs_f64(),
        });
        if !args.json && last_report.elapsed().as_secs_f64() > 5.0 {
            last_report = Instant::now();
            eprintln!("inkjot eval: {} inks through the network", samples.len());
        }
    }
    if let Some(cache) = &args.logprobs_cache {
        write_cache(cache, &key, &samples)
            .with_context(|| format!("cannot write {}", cache.display()))?;
    }
    Ok(samples)
}

fn write_cache(path: &Path, key: &str, samples: &[Sample]) -> anyhow::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let text = |out: &mut BufWriter<std::fs::File>, s: &str| -> std::io::Result<()> {
        out.write_all(&(s.len() as u32).to_le_bytes())?;
        out.write_all(s.as_bytes())
    };
    text(&mut out, key)?;
    out.write_all(&(samples.len() as u32).to_le_bytes())?;
    for s in samples {
        text(&mut out, &s.id)?;
        text(&mut out, &s.label)?;
        out.write_all(&s.network_s.to_le_bytes())?;
        out.write_all(&(s.logprobs.frames() as u32).to_le_bytes())?;
        out.write_all(&(s.logprobs.symbols() as u32).to_le_bytes())?;
        for v in s.logprobs.as_slice() {
            out.write_all(&v.to_le_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The cached samples, `None` when there is no cache or it was written for other inputs.
fn read_cache(path: &Path, key: &str) -> anyhow::Result<Option<Vec<Sample>>> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let mut input = BufReader::new(file);
    let bad = || format!("{}: not a logprobs cache (delete it)", path.display());
    let u32_of = |input: &mut BufReader<std::fs::File>| -> anyhow::Result<u32> {
        let mut b = [0u8; 4];
        input.read_exact(&mut b).with_context(bad)?;
        Ok(u32::from_le_bytes(b))
    };
    let text = |input: &mut BufReader<std::fs::File>, n: u32| -> anyhow::Result<String> {
        let mut b = vec![0u8; n as usize];
        input.read_exact(&mut b).with_context(bad)?;
        String::from_utf8(b).with_context(bad)
    };
    let n = u32_of(&mut input)?;
    if n as usize != key.len() || text(&mut input, n)? != key {
        return Ok(None);
    }
    let count = u32_of(&mut input)?;
    let mut samples = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let n = u32_of(&mut input)?;
        let id = text(&mut input, n)?;
        let n = u32_of(&mut input)?;
        let label = text(&mut input, n)?;
        let mut b = [0u8; 8];
        input.read_exact(&mut b).with_context(bad)?;
        let network_s = f64::from_le_bytes(b);
        let frames = u32_of(&mut input)? as usize;
        let symbols = u32_of(&mut input)? as usize;
        if frames.saturating_mul(symbols) > 1 << 26 {
            bail!(bad());
        }
        let mut raw = vec![0u8; frames * symbols * 4];
        input.read_exact(&mut raw).with_context(bad)?;
        let data = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let logprobs = LogProbs::new(data, symbols).with_context(bad)?;
        samples.push(Sample {
            id,
            label,
            logprobs,
            network_s,
        });
    }
    Ok(Some(samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_where_the_alignment_starts_its_next_word() {
        let alphabet: Vec<String> = ["<b>", "a", "b", " "].map(String::from).to_vec();
        let symbols = SymbolIndex::new(&alphabet);
        // Frames over {blank, a, b, space} that spell "a b": a, blank, space, b, b.
        let frame = |best: usize| {
            let mut row = vec![0.02f32.ln(); 4];
            row[best] = 0.94f32.ln();
            row
        };
        let data = [1, 0, 3, 2, 2].into_iter().flat_map(frame).collect();
        let logprobs = LogProbs::new(data, 4).unwrap();
        let split = split_after_words("a b", &logprobs, &symbols, 1).unwrap();
        assert_eq!((split.context.as_str(), split.rest.as_str()), ("a ", "b"));
        assert_eq!(split.logprobs.frames(), 2);
        assert_eq!(split.logprobs.row(0), logprobs.row(3));
        assert!(split_after_words("a b", &logprobs, &symbols, 2).is_none());
        let whole = split_after_words("a b", &logprobs, &symbols, 0).unwrap();
        assert_eq!((whole.context.as_str(), whole.logprobs.frames()), ("", 5));
    }

    #[test]
    fn pre_context_takes_the_last_words_of_the_same_file() {
        assert_eq!(last_words("see you at noon", 2), "at noon ");
        assert_eq!(last_words("hi", 5), "hi ");
        assert_eq!(last_words("hi", 0), "");
        assert_eq!(source_of("8/abc/0123456789/7"), "8/abc/0123456789");
        assert_ne!(source_of("8/abc/01/7"), source_of("8/abd/01/7"));
    }
}
