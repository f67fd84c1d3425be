//! The `inkjot` command-line tool.

/// `println!` that returns the write error instead of panicking, so that `inkjot ... | head`
/// ends quietly when the reader goes away (see `main`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod eval;
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
use inkjot::decode::{BeamConfig, UserWords};
use inkjot::features::{
    AugmentConfig, FeatureConfig, FeatureSet, FitConfig, SplitMix64, WritingArea, augment,
    featurize, fit_ink,
};
use inkjot::ink::{InkLimits, InkRecord, read_ink_file};
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
        /// Add each candidate's segments: the strokes, point ranges and box of every character
        /// and word.
        #[arg(long)]
        segments: bool,
        /// Add each candidate's confidence features (what `scripts/fit_confidence.py` fits).
        #[arg(long, hide = true)]
        confidence_features: bool,
        #[command(flatten)]
        recognizer: RecognizerArgs,
    },
    /// Measure accuracy (CER, WER, exact matches, top-n, final punctuation, case-only errors)
    /// and speed on labelled inks.
    Eval(eval::EvalArgs),
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
    /// English pack; `inkjot lm list` shows the codes there are) or a pack directory (write `./en`
    /// for a directory named like a code).
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
    /// Override decoder settings of the pack: a JSON object of `decoder.json` fields, e.g.
    /// '{"confident_prob": 0.9, "case_penalty": 2}'.
    #[arg(long)]
    decoder: Option<String>,
    /// Words to favour (contacts, a personal dictionary): a UTF-8 file, one word per line.
    #[arg(long)]
    user_words: Option<PathBuf>,
    /// Read each ink as one line (default: split it into lines of writing, each recognized).
    #[arg(long)]
    single_line: bool,
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
            if let Some(json) = &self.decoder {
                pack.config = override_config(&pack.config, json).context("--decoder")?;
            }
            recognizer = recognizer.with_language_pack(&pack)?;
        } else if let Ok(pack) = models.language_pack_or_dir(&self.lang) {
            // Greedy decoding ignores the LM but uses the pack's confidence map when there is one.
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
            user_words: match &self.user_words {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("--user-words {}", path.display()))?;
                    Some(Arc::new(UserWords::parse(&text).with_context(|| {
                        format!("--user-words {}", path.display())
                    })?))
                }
                None => None,
            },
            segments: false,
            lines: !self.single_line,
        };
        Ok((recognizer, options))
    }
}

/// `config` with the fields of the JSON object `json` replaced, checked.
fn override_config(config: &BeamConfig, json: &str) -> anyhow::Result<BeamConfig> {
    let serde_json::Value::Object(mut merged) = serde_json::to_value(config)? else {
        bail!("decoder settings are not a JSON object");
    };
    let serde_json::Value::Object(changes) = serde_json::from_str(json)? else {
        bail!("not a JSON object: {json}");
    };
    for (key, value) in changes {
        if !merged.contains_key(&key) {
            bail!("unknown decoder setting `{key}`");
        }
        merged.insert(key, value);
    }
    let config: BeamConfig = serde_json::from_value(serde_json::Value::Object(merged))?;
    config.validate()?;
    Ok(config)
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
        Command::Recognize {
            input,
            segments,
            confidence_features,
            recognizer,
        } => cmd_recognize(&input, segments, confidence_features, &recognizer),
        Command::Eval(args) => eval::run(&args),
        Command::Lm { command } => cmd_lm(command),
        Command::Replay(args) => replay::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Alphabet { bases } => synth::print_alphabet(bases),
    };
    if let Err(e) = result {
        // A closed stdout (`| head`) is the reader's choice, not an error.
        let broken_pipe = e.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
        if broken_pipe {
            std::process::exit(0);
        }
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
    outln!("{report}")?;
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

fn cmd_recognize(
    input: &Path,
    segments: bool,
    confidence_features: bool,
    args: &RecognizerArgs,
) -> anyhow::Result<()> {
    let (recognizer, mut options) = args.load()?;
    options.segments = segments;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (index, record) in open(input)?.enumerate() {
        // An unreadable record has no id of its own; its 0-based position goes in `record`, a
        // field no ink id can collide with.
        let line = match record {
            Ok(r) => match recognizer.recognize(&r.ink, &options) {
                Ok(result) if confidence_features => {
                    let logprobs = recognizer.log_probs(&r.ink, options.writing_area);
                    let features = recognizer.confidence_features(&result.candidates, &logprobs);
                    let mut candidates = serde_json::to_value(&result.candidates)?;
                    if let Some(list) = candidates.as_array_mut() {
                        for (c, f) in list.iter_mut().zip(&features) {
                            c["features"] = serde_json::json!(f.values());
                        }
                    }
                    serde_json::json!({ "id": r.id, "candidates": candidates, "lines": result.lines })
                }
                Ok(result) => serde_json::json!({
                    "id": r.id,
                    "candidates": result.candidates,
                    "lines": result.lines,
                }),
                Err(e) => serde_json::json!({ "id": r.id, "error": e.to_string() }),
            },
            Err(e) => record_error(index, &e),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

#[derive(Subcommand)]
enum LmCommand {
    /// Build a character n-gram LM (an OpenFST binary acceptor, see `inkjot::decode::lm`, or the
    /// compact format) from a word list and optional text; progress on stderr, a JSON report on
    /// stdout.
    Build {
        /// Word list: `word<TAB>count` per line (e.g. from scripts/export_wordfreq.py).
        #[arg(long)]
        words: PathBuf,
        /// Running text, one sentence per line, each from the start of a text (cased, with
        /// digits and punctuation); repeatable.
        #[arg(long)]
        text: Vec<PathBuf>,
        /// Weight of each text line relative to a word of count 1 (after the exponent).
        #[arg(long, default_value_t = 1.0)]
        text_weight: f64,
        /// Case forms of the listed words: `listed` (as spelled), or `text` (split each word's
        /// count over the lower/Capitalized/UPPER forms the text shows for it).
        #[arg(long, value_enum, default_value_t = WordCaseArg::Text)]
        word_case: WordCaseArg,
        /// With `--word-case text`: pseudo-counts `LOWER,CAPITALIZED,UPPER` added to each listed
        /// word's case counts in the text (`1,0,0`: words the text lacks stay lowercase).
        #[arg(long, value_delimiter = ',', default_values_t = [1.0, 0.0, 0.0])]
        case_prior: Vec<f64>,
        /// n-gram order (1 to 8).
        #[arg(long, default_value_t = inkjot::decode::LmBuildConfig::default().order)]
        order: usize,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Output format: `fst` (OpenFST, the interchange format) or `compact` (quantized costs,
        /// about 6 bytes per n-gram; a pack's `lm.bin`).
        #[arg(long, default_value = "fst")]
        format: inkjot::decode::LmFormat,
        /// Keep at most this many n-grams of two or more characters (about 30 bytes each in
        /// OpenFST, 6 to 8 compact).
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
        /// Hold out this fraction of the text lines (by a hash of the line) and report the
        /// perplexity on them; 0 for a model to ship.
        #[arg(long, default_value_t = 0.0)]
        text_heldout: f64,
        /// Running text for a word-pair table (`inkjot::decode::WordPairs`, compact format
        /// only), one line per line; repeatable.
        #[arg(long)]
        pairs_text: Vec<PathBuf>,
        /// Keep at most this many word pairs (the most frequent; about 5 bytes each).
        #[arg(long, default_value_t = 30_000)]
        max_pairs: usize,
        /// Keep only word pairs seen at least this many times.
        #[arg(long, default_value_t = 2)]
        pair_min_count: u32,
        /// Keep the written file at most this many bytes: word pairs beyond it are left out
        /// (the least frequent first); an LM larger alone is an error.
        #[arg(long)]
        max_bytes: Option<usize>,
    },
    /// Per-character perplexity of an LM on a word list (each word from the start of a text,
    /// followed by a space), weighted by count and per word type, and/or on running text (each
    /// line from the start of a text, with its final space); JSON on stdout.
    Eval {
        /// The LM file (OpenFST or compact).
        #[arg(long)]
        lm: PathBuf,
        /// Word list: `word<TAB>count` per line.
        #[arg(long)]
        words: Option<PathBuf>,
        /// Running text, one line per sample (normalized as `lm build` does); repeatable.
        #[arg(long)]
        text: Vec<PathBuf>,
        /// Score only the text lines `lm build --text-heldout FRACTION` holds out.
        #[arg(long)]
        text_heldout: Option<f64>,
    },
    /// List the language packs `--lang` can name (from `--packs DIR`, else $INKJOT_MODELS, else
    /// the embedded English pack): one JSON line each with its size, its word pairs, the
    /// characters its LM knows and those of them the model cannot write.
    List {
        /// Pack directory (a directory of `<code>/` packs).
        #[arg(long)]
        packs: Option<PathBuf>,
        /// Model file whose alphabet the packs are compared with (default as for `recognize`).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Convert an LM file between the OpenFST and compact formats (compact quantizes the costs);
    /// a JSON report on stdout.
    Convert {
        /// The LM file to read (OpenFST or compact).
        input: PathBuf,
        /// The file to write.
        output: PathBuf,
        /// Output format, `fst` or `compact`; default: the one the input is not in.
        #[arg(long)]
        format: Option<inkjot::decode::LmFormat>,
    },
}

/// `--word-case` of `inkjot lm build`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum WordCaseArg {
    /// As the list spells them.
    Listed,
    /// Case forms from the running text.
    Text,
}

fn cmd_lm(command: LmCommand) -> anyhow::Result<()> {
    use inkjot::decode::{
        CharLm, LmBuildConfig, LmBuildJob, WordCase, WordPairsJob, build_from_files, lm_build,
    };
    match command {
        LmCommand::Build {
            words,
            text,
            text_weight,
            word_case,
            case_prior,
            order,
            out,
            format,
            max_ngrams,
            min_count,
            count_exponent,
            unk_prob,
            heldout,
            heldout_skip,
            text_heldout,
            pairs_text,
            max_pairs,
            pair_min_count,
            max_bytes,
        } => {
            let job = LmBuildJob {
                words,
                text,
                text_weight,
                word_case: match word_case {
                    WordCaseArg::Listed => WordCase::AsListed,
                    WordCaseArg::Text => WordCase::FromText,
                },
                case_prior: <[f64; 3]>::try_from(case_prior.as_slice())
                    .map_err(|_| anyhow::anyhow!("--case-prior takes three numbers"))?,
                out,
                format,
                config: LmBuildConfig {
                    order,
                    min_count,
                    max_ngrams,
                    count_exponent,
                    unk_prob,
                },
                heldout,
                heldout_skip,
                text_heldout,
                word_pairs: (!pairs_text.is_empty()).then_some(WordPairsJob {
                    text: pairs_text,
                    min_count: pair_min_count,
                    max_pairs,
                }),
                max_bytes,
            };
            let report = build_from_files(&job, &mut |line| eprintln!("inkjot lm build: {line}"))?;
            eprintln!("inkjot lm build: done in {:.1}s", report.seconds);
            outln!("{}", serde_json::to_string(&report)?)?;
        }
        LmCommand::Eval {
            lm,
            words,
            text,
            text_heldout,
        } => {
            let model = CharLm::load(&lm).map_err(|e| about(e, &lm, "cannot load the LM"))?;
            let mut report = serde_json::json!({
                "lm": lm,
                "order": model.order(),
                "states": model.num_states(),
                "arcs": model.num_arcs(),
            });
            if let Some(words) = words {
                let list = lm_build::read_word_counts(&words)?;
                let by_count = model.perplexity(list.iter().map(|(w, c)| (w.as_str(), *c)));
                let by_type = model.perplexity(list.iter().map(|(w, _)| (w.as_str(), 1.0)));
                report["weighted_by_count"] = serde_json::to_value(by_count)?;
                report["per_type"] = serde_json::to_value(by_type)?;
            }
            if !text.is_empty() {
                let fraction = text_heldout.unwrap_or(0.0);
                let (counted, held) = lm_build::read_text_lines(&text, fraction, &mut |_| {})?;
                let lines = if text_heldout.is_some() {
                    held
                } else {
                    counted
                };
                let ppl = model.perplexity(lines.iter().map(|l| (l.as_str(), 1.0)));
                report["text"] = serde_json::to_value(ppl)?;
            }
            outln!("{report}")?;
        }
        LmCommand::List { packs, model } => {
            let resolved = models::resolve(model.as_deref(), packs.as_deref())?;
            let alphabet = resolved.models.model().alphabet();
            for code in resolved.models.languages() {
                let pack = resolved
                    .models
                    .language_pack(&code)
                    .with_context(|| format!("language pack `{code}`"))?;
                let characters: String = pack.lm.characters().collect();
                let unwritable: String = characters
                    .chars()
                    .filter(|c| !alphabet.iter().any(|a| a.chars().eq(std::iter::once(*c))))
                    .collect();
                let report = serde_json::json!({
                    "lang": code,
                    "order": pack.lm.order(),
                    "states": pack.lm.num_states(),
                    "arcs": pack.lm.num_arcs(),
                    "word_pairs": pack.lm.word_pairs().map_or(0, |p| p.len()),
                    "characters": characters,
                    "not_in_model": unwritable,
                });
                outln!("{report}")?;
            }
        }
        LmCommand::Convert {
            input,
            output,
            format,
        } => {
            use inkjot::decode::{LmFormat, lm_compact};
            let bytes = std::fs::read(&input).with_context(|| input.display().to_string())?;
            let from = LmFormat::of(&bytes);
            let model = CharLm::from_bytes(&bytes)
                .map_err(|e| about(e.in_file(&input), &input, "cannot load the LM"))?;
            let to = format.unwrap_or(match from {
                LmFormat::Fst => LmFormat::Compact,
                _ => LmFormat::Fst,
            });
            let (out, quantization) = match to {
                LmFormat::Compact => {
                    let (out, stats) = lm_compact::write(&model, lm_compact::DEFAULT_CODES)?;
                    (out, Some(stats))
                }
                _ => (model.to_bytes(to)?, None),
            };
            std::fs::write(&output, &out).with_context(|| output.display().to_string())?;
            let report = serde_json::json!({
                "input": input,
                "output": output,
                "from": from,
                "to": to,
                "bytes_in": bytes.len(),
                "bytes_out": out.len(),
                "states": model.num_states(),
                "arcs": model.num_arcs(),
                "quantization": quantization,
            });
            outln!("{report}")?;
        }
    }
    Ok(())
}
