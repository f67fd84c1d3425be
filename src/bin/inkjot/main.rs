//! The `inkjot` command-line tool.

mod models;
mod replay;
mod serve;
mod synth;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use inkjot::features::{
    AugmentConfig, FeatureConfig, FeatureSet, FitConfig, SplitMix64, WritingArea, augment,
    featurize, fit_ink,
};
use inkjot::ink::{InkLimits, InkRecord, read_ink_file};
use inkjot::metrics::ErrorCounts;
use inkjot::{RecognizeOptions, Recognizer};

/// On-device handwriting recognition: fit, featurize, render and recognize inks.
#[derive(Parser)]
#[command(name = "inkjot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the fitted Bézier curves of each ink as one JSON line.
    Fit {
        /// Ink file (JSONL, .jsonl.gz or InkML; `-` for standard input).
        input: PathBuf,
        /// Print only totals (inks, points, curves per ink, points per curve, mean error, speed).
        #[arg(long)]
        summary: bool,
        #[command(flatten)]
        features: FeatureArgs,
    },
    /// Draw inks and their fitted curves as SVG.
    Render {
        /// Ink file (JSONL, .jsonl.gz or InkML; `-` for standard input).
        input: PathBuf,
        /// Output SVG file.
        #[arg(long)]
        out: PathBuf,
        /// Skip this many inks first.
        #[arg(long, default_value_t = 0)]
        skip: usize,
        /// Draw at most this many inks.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        features: FeatureArgs,
    },
    /// Write features and labels of labelled inks to a safetensors file for training.
    Featurize {
        /// Ink files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output safetensors file.
        #[arg(long)]
        out: PathBuf,
        /// Randomly distorted copies of every ink to write instead of the ink itself (0: the ink as is).
        #[arg(long, default_value_t = 0)]
        augment: usize,
        /// Seed of the distortions.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Stop after this many inks per input file.
        #[arg(long)]
        max_inks: Option<usize>,
        #[command(flatten)]
        features: FeatureArgs,
    },
    /// Recognize inks: one JSON line of ranked candidates per ink, in input order.
    Recognize {
        /// Ink file (JSONL, .jsonl.gz or InkML); `-` or nothing for standard input.
        #[arg(default_value = "-")]
        input: PathBuf,
        #[command(flatten)]
        recognizer: RecognizerArgs,
    },
    /// Measure accuracy (CER, WER, exact matches) and speed on labelled inks.
    Eval {
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
        #[command(flatten)]
        recognizer: RecognizerArgs,
    },
    /// Character language models: build one from word frequencies, or measure one.
    Lm {
        #[command(subcommand)]
        command: LmCommand,
    },
    /// Replay recorded inks in the terminal as they were written, with live candidates.
    Replay(replay::ReplayArgs),
    /// Serve a local web page to write on, recognized as you write.
    Serve(serve::ServeArgs),
    /// Write synthetic training ink (accents, other languages, lines, symbols) from real ink.
    Synth(synth::SynthArgs),
    /// Print the multilingual model alphabet as a JSON list (index 0 = the CTC blank).
    Alphabet {
        /// Print each symbol beyond ASCII with the ASCII character it is drawn from instead.
        #[arg(long)]
        bases: bool,
    },
}

#[derive(Args, Clone)]
struct RecognizerArgs {
    /// Model file (default: $INKJOT_MODELS/recognizer-int8.safetensors, else the embedded one).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Most candidates per ink (1 to 100).
    #[arg(long, default_value_t = 5)]
    nbest: usize,
    /// Height of the writing area in ink units (default: the ink's own height).
    #[arg(long)]
    writing_height: Option<f64>,
    /// Language pack: a code (`en`, `pt-br`: looked up in $INKJOT_MODELS, else the embedded
    /// English pack) or a pack directory (write `./en` for a directory named like a code).
    #[arg(long, default_value = "en")]
    lang: String,
    /// Decode greedily without the language model.
    #[arg(long)]
    no_lm: bool,
    /// Override the pack's beam width.
    #[arg(long)]
    beam_width: Option<usize>,
    /// Override the pack's LM weight.
    #[arg(long)]
    lm_weight: Option<f32>,
    /// Override the pack's insertion bonus.
    #[arg(long)]
    insertion_bonus: Option<f32>,
    /// Text before the cursor, to condition the language model.
    #[arg(long, default_value = "")]
    pre_context: String,
}

impl RecognizerArgs {
    fn load(&self) -> anyhow::Result<(Recognizer, RecognizeOptions)> {
        models::check_nbest(self.nbest)?;
        let models = models::resolve(self.model.as_deref(), None)?.models;
        let mut recognizer = Recognizer::from_shared(Arc::clone(models.model()));
        if !self.no_lm {
            let mut pack = models.language_pack_or_dir(&self.lang).context("--lang")?;
            if let Some(v) = self.beam_width {
                pack.config.beam_width = v;
            }
            if let Some(v) = self.lm_weight {
                pack.config.lm_weight = v;
            }
            if let Some(v) = self.insertion_bonus {
                pack.config.insertion_bonus = v;
            }
            recognizer = recognizer.with_language_pack(&pack)?;
        }
        let features = FeatureArgs {
            writing_height: self.writing_height,
            fit_max_error: FitConfig::default().max_error,
        }
        .config()?;
        let options = RecognizeOptions {
            nbest: self.nbest,
            writing_area: features.area,
            pre_context: self.pre_context.clone(),
            use_lm: !self.no_lm,
        };
        Ok((recognizer, options))
    }
}

#[derive(Args, Clone, Copy)]
struct FeatureArgs {
    /// Height of the writing area in ink units (default: the ink's own height).
    #[arg(long)]
    writing_height: Option<f64>,
    /// Largest point error of a fitted curve, in writing heights, before it is split.
    #[arg(long, default_value_t = FitConfig::default().max_error)]
    fit_max_error: f64,
}

impl FeatureArgs {
    fn config(self) -> anyhow::Result<FeatureConfig> {
        if !(self.fit_max_error.is_finite() && self.fit_max_error > 0.0) {
            bail!("--fit-max-error must be a positive number");
        }
        let area = match self.writing_height {
            None => WritingArea::Auto,
            Some(h) if h.is_finite() && h > 0.0 => WritingArea::Height(h),
            Some(_) => bail!("--writing-height must be a positive number"),
        };
        Ok(FeatureConfig {
            area,
            fit: FitConfig {
                max_error: self.fit_max_error,
                ..FitConfig::default()
            },
        })
    }
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fit {
            input,
            summary,
            features,
        } => cmd_fit(&input, summary, features),
        Command::Render {
            input,
            out,
            skip,
            limit,
            features,
        } => cmd_render(&input, &out, skip, limit, features),
        Command::Featurize {
            inputs,
            out,
            augment,
            seed,
            max_inks,
            features,
        } => cmd_featurize(&inputs, &out, augment, seed, max_inks, features),
        Command::Recognize { input, recognizer } => cmd_recognize(&input, &recognizer),
        Command::Eval {
            input,
            kind,
            limit,
            json,
            recognizer,
        } => cmd_eval(&input, kind.as_deref(), limit, json, &recognizer),
        Command::Lm { command } => cmd_lm(command),
        Command::Replay(args) => replay::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Alphabet { bases } => synth::print_alphabet(bases),
    };
    if let Err(e) = result {
        eprintln!("inkjot: {e:#}");
        std::process::exit(2);
    }
}

fn open(path: &Path) -> anyhow::Result<Box<dyn Iterator<Item = inkjot::Result<InkRecord>>>> {
    read_ink_file(path, InkLimits::default()).map_err(|e| about(e, path, "cannot read"))
}

/// The output line for a record that could not be read: its own `id` when it gave one, else its
/// 0-based position as `record` (which cannot collide with an ink's own id).
fn record_error(index: usize, error: &inkjot::Error) -> serde_json::Value {
    match error.record_id() {
        Some(id) => serde_json::json!({ "id": id, "error": error.to_string() }),
        None => serde_json::json!({ "record": index, "error": error.to_string() }),
    }
}

/// `error` with `what` in front, and `path` unless the error already names it (so a path is
/// printed once).
fn about(error: inkjot::Error, path: &Path, what: &str) -> anyhow::Error {
    let path = path.display().to_string();
    if error.to_string().contains(&path) {
        anyhow::Error::new(error).context(what.to_string())
    } else {
        anyhow::Error::new(error).context(format!("{what} {path}"))
    }
}

fn cmd_fit(input: &Path, summary: bool, features: FeatureArgs) -> anyhow::Result<()> {
    let config = features.config()?;
    if summary {
        return fit_summary(input, &config);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (index, record) in open(input)?.enumerate() {
        let line = match record {
            Ok(record) => {
                let curves: Vec<serde_json::Value> = fit_ink(&record.ink, &config)
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "p": c.control,
                            "t": c.time,
                            "pen_up": c.pen_up,
                            "error": c.rms_error,
                        })
                    })
                    .collect();
                serde_json::json!({ "id": record.id, "curves": curves })
            }
            Err(e) => record_error(index, &e),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn fit_summary(input: &Path, config: &FeatureConfig) -> anyhow::Result<()> {
    let records: Vec<InkRecord> = open(input)?.filter_map(Result::ok).collect();
    let start = Instant::now();
    let fitted: Vec<Vec<inkjot::features::Curve>> =
        records.iter().map(|r| fit_ink(&r.ink, config)).collect();
    let seconds = start.elapsed().as_secs_f64();
    let points: usize = records.iter().map(|r| r.ink.point_count()).sum();
    let curves: usize = fitted.iter().map(Vec::len).sum();
    let pen_down: Vec<&inkjot::features::Curve> =
        fitted.iter().flatten().filter(|c| !c.pen_up).collect();
    let mean_error =
        pen_down.iter().map(|c| c.rms_error).sum::<f64>() / pen_down.len().max(1) as f64;
    let report = serde_json::json!({
        "inks": records.len(),
        "points": points,
        "curves": curves,
        "pen_down_curves": pen_down.len(),
        "curves_per_ink": curves as f64 / records.len().max(1) as f64,
        "points_per_pen_down_curve": points as f64 / pen_down.len().max(1) as f64,
        "mean_rms_error": mean_error,
        "points_per_second": points as f64 / seconds,
        "threads": 1,
    });
    println!("{report}");
    Ok(())
}

fn cmd_render(
    input: &Path,
    out: &Path,
    skip: usize,
    limit: usize,
    features: FeatureArgs,
) -> anyhow::Result<()> {
    let config = features.config()?;
    let mut records = Vec::new();
    for record in open(input)?.skip(skip).take(limit) {
        match record {
            Ok(r) => records.push(r),
            Err(e) => eprintln!("inkjot: skipping: {e}"),
        }
    }
    if records.is_empty() {
        bail!("no readable ink in {}", input.display());
    }
    std::fs::write(out, inkjot::render::render_svg(&records, &config))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("inkjot: drew {} inks to {}", records.len(), out.display());
    Ok(())
}

/// Records are fitted in chunks of this many, spread over the available cores.
const CHUNK: usize = 4096;

fn cmd_featurize(
    inputs: &[PathBuf],
    out: &Path,
    copies: usize,
    seed: u64,
    max_inks: Option<usize>,
    features: FeatureArgs,
) -> anyhow::Result<()> {
    let config = features.config()?;
    let limits = InkLimits::default();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut set = FeatureSet::new();
    let (mut errors, mut unlabelled, mut seen) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    let mut last_report = Instant::now();
    for input in inputs {
        let mut records = open(input)?.take(max_inks.unwrap_or(usize::MAX)).peekable();
        while records.peek().is_some() {
            let mut chunk = Vec::with_capacity(CHUNK);
            for record in records.by_ref().take(CHUNK) {
                let index = seen;
                seen += 1;
                match record {
                    Ok(InkRecord {
                        id,
                        label: Some(label),
                        ink,
                        ..
                    }) => chunk.push((index, id, label, ink)),
                    Ok(_) => unlabelled += 1,
                    Err(e) => {
                        if errors < 5 {
                            eprintln!("inkjot: {}: skipping: {e}", input.display());
                        }
                        errors += 1;
                    }
                }
            }
            let per_worker = chunk.len().div_ceil(workers).max(1);
            let results: Vec<Vec<_>> = std::thread::scope(|scope| {
                let handles: Vec<_> = chunk
                    .chunks(per_worker)
                    .map(|part| {
                        scope.spawn(|| {
                            part.iter()
                                .map(|(index, id, label, ink)| {
                                    let rows = if copies == 0 {
                                        vec![featurize(ink, &config)]
                                    } else {
                                        let mut rng = SplitMix64::new(
                                            seed ^ (*index as u64)
                                                .wrapping_mul(0x9E37_79B9_7F4A_7C15),
                                        );
                                        (0..copies)
                                            .map(|_| {
                                                augment(
                                                    ink,
                                                    &AugmentConfig::default(),
                                                    &mut rng,
                                                    &limits,
                                                )
                                                .map(|a| featurize(&a, &config))
                                                .unwrap_or_else(|_| featurize(ink, &config))
                                            })
                                            .collect()
                                    };
                                    (id, label, rows)
                                })
                                .collect()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            for (id, label, rows) in results.into_iter().flatten() {
                for r in rows {
                    set.push(id, label, &r);
                }
            }
            if last_report.elapsed().as_secs_f64() > 5.0 {
                last_report = Instant::now();
                eprintln!(
                    "inkjot featurize: {} inks read, {} written, {} curves, {:.0} inks/s",
                    seen,
                    set.len(),
                    set.curve_count(),
                    seen as f64 / start.elapsed().as_secs_f64()
                );
            }
        }
    }
    set.write(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "inkjot featurize: wrote {} inks ({} curves, {:.1} per ink) to {} in {:.1}s; {} unreadable, {} unlabelled skipped",
        set.len(),
        set.curve_count(),
        set.curve_count() as f64 / set.len().max(1) as f64,
        out.display(),
        start.elapsed().as_secs_f64(),
        errors,
        unlabelled
    );
    Ok(())
}

fn cmd_recognize(input: &Path, args: &RecognizerArgs) -> anyhow::Result<()> {
    let (recognizer, options) = args.load()?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (index, record) in open(input)?.enumerate() {
        // An unreadable record has no id of its own; its 0-based position goes in `record`, a
        // field no ink id can collide with.
        let line = match record {
            Ok(r) => match recognizer.recognize(&r.ink, &options) {
                Ok(result) => serde_json::json!({ "id": r.id, "candidates": result.candidates }),
                Err(e) => serde_json::json!({ "id": r.id, "error": e.to_string() }),
            },
            Err(e) => record_error(index, &e),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn cmd_eval(
    input: &Path,
    kind: Option<&str>,
    limit: Option<usize>,
    json: bool,
    args: &RecognizerArgs,
) -> anyhow::Result<()> {
    let (recognizer, options) = args.load()?;
    let mut counts = ErrorCounts::default();
    let mut latencies_ms = Vec::new();
    let (mut unreadable, mut curves) = (0usize, 0usize);
    let start = Instant::now();
    let mut last_report = Instant::now();
    let records = open(input)?.filter(|r| match (r, kind) {
        (Ok(r), Some(k)) => r.kind.as_deref() == Some(k) && r.label.is_some(),
        (Ok(r), None) => r.label.is_some(),
        (Err(_), _) => true,
    });
    for record in records.take(limit.unwrap_or(usize::MAX)) {
        let Ok(record) = record else {
            unreadable += 1;
            continue;
        };
        let begin = Instant::now();
        let result = recognizer.recognize(&record.ink, &options)?;
        latencies_ms.push(begin.elapsed().as_secs_f64() * 1e3);
        curves += result.curves;
        let best = result.candidates.first().map_or("", |c| c.text.as_str());
        counts.add(record.label.as_deref().unwrap_or_default(), best);
        if !json && last_report.elapsed().as_secs_f64() > 5.0 {
            last_report = Instant::now();
            eprintln!(
                "inkjot eval: {} inks, CER {:.4}",
                counts.samples,
                counts.cer()
            );
        }
    }
    if counts.samples == 0 {
        bail!("no labelled ink to evaluate in {}", input.display());
    }
    let seconds = start.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    let percentile = |p: f64| latencies_ms[((latencies_ms.len() - 1) as f64 * p).round() as usize];
    let report = serde_json::json!({
        "inks": counts.samples,
        "unreadable": unreadable,
        "cer": counts.cer(),
        "wer": counts.wer(),
        "exact": counts.exact_rate(),
        "inks_per_second": counts.samples as f64 / seconds,
        "latency_ms": { "p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99), "max": percentile(1.0) },
        "curves_per_ink": curves as f64 / counts.samples as f64,
        "model_int8": recognizer.model().is_int8(),
        "counts": counts,
    });
    if json {
        println!("{report}");
    } else {
        println!(
            "inks {}  CER {:.2}%  WER {:.2}%  exact {:.2}%  {:.0} inks/s  latency p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  ({} unreadable)",
            counts.samples,
            100.0 * counts.cer(),
            100.0 * counts.wer(),
            100.0 * counts.exact_rate(),
            counts.samples as f64 / seconds,
            percentile(0.5),
            percentile(0.9),
            percentile(0.99),
            unreadable
        );
    }
    Ok(())
}

#[derive(Subcommand)]
enum LmCommand {
    /// Build a character n-gram LM (an OpenFST binary acceptor, see `inkjot::decode::lm`) from a
    /// word list and optional text; progress on stderr, a JSON report on stdout.
    Build {
        /// Word list: `word<TAB>count` per line (e.g. from scripts/export_wordfreq.py).
        #[arg(long)]
        words: PathBuf,
        /// Running text, one sentence or paragraph per line (n-grams across words).
        #[arg(long)]
        text: Option<PathBuf>,
        /// Weight of each text line relative to a word of count 1 (after the exponent).
        #[arg(long, default_value_t = 1.0)]
        text_weight: f64,
        /// n-gram order (1 to 8).
        #[arg(long, default_value_t = inkjot::decode::LmBuildConfig::default().order)]
        order: usize,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Keep at most this many n-grams of two or more characters (about 30 bytes each).
        #[arg(long)]
        max_ngrams: Option<usize>,
        /// Prune n-grams of two or more characters with a smaller (exponentiated) count.
        #[arg(long, default_value_t = 0.0)]
        min_count: f64,
        /// Word counts are raised to this power (0: each word once, 1: by frequency).
        #[arg(long, default_value_t = inkjot::decode::LmBuildConfig::default().count_exponent)]
        count_exponent: f64,
        /// Probability of an unknown character in the unigram distribution.
        #[arg(long, default_value_t = inkjot::decode::LmBuildConfig::default().unk_prob)]
        unk_prob: f64,
        /// Hold out this fraction of the words (by a hash of the word) and report the
        /// perplexity on them; 0 for a model to ship.
        #[arg(long, default_value_t = 0.0)]
        heldout: f64,
        /// Never hold out the list's first N words (the most frequent).
        #[arg(long, default_value_t = 1000)]
        heldout_skip: usize,
    },
    /// Per-character perplexity of an LM on a word list (each word from the start of a word,
    /// followed by a space), weighted by count and per word type; JSON on stdout.
    Eval {
        /// The LM file.
        #[arg(long)]
        lm: PathBuf,
        /// Word list: `word<TAB>count` per line.
        #[arg(long)]
        words: PathBuf,
    },
}

fn cmd_lm(command: LmCommand) -> anyhow::Result<()> {
    use inkjot::decode::{CharLm, LmBuildConfig, LmBuildJob, build_from_files, lm_build};
    match command {
        LmCommand::Build {
            words,
            text,
            text_weight,
            order,
            out,
            max_ngrams,
            min_count,
            count_exponent,
            unk_prob,
            heldout,
            heldout_skip,
        } => {
            let job = LmBuildJob {
                words,
                text,
                text_weight,
                out,
                config: LmBuildConfig {
                    order,
                    min_count,
                    max_ngrams,
                    count_exponent,
                    unk_prob,
                },
                heldout,
                heldout_skip,
            };
            let report = build_from_files(&job, &mut |line| eprintln!("inkjot lm build: {line}"))?;
            eprintln!("inkjot lm build: done in {:.1}s", report.seconds);
            println!("{}", serde_json::to_string(&report)?);
        }
        LmCommand::Eval { lm, words } => {
            let model = CharLm::load(&lm).map_err(|e| about(e, &lm, "cannot load the LM"))?;
            let list = lm_build::read_word_counts(&words)?;
            let by_count = model.perplexity(list.iter().map(|(w, c)| (w.as_str(), *c)));
            let by_type = model.perplexity(list.iter().map(|(w, _)| (w.as_str(), 1.0)));
            let report = serde_json::json!({
                "lm": lm,
                "order": model.order(),
                "states": model.num_states(),
                "arcs": model.num_arcs(),
                "weighted_by_count": by_count,
                "per_type": by_type,
            });
            println!("{report}");
        }
    }
    Ok(())
}
