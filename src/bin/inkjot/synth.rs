//! `inkjot synth` and `inkjot alphabet`: synthetic training ink, and the model alphabet.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use inkjot::synth::{Corpus, HersheyFont, Mode, Synthesizer, WordList, write_record};
use unicode_normalization::UnicodeNormalization;

/// Arguments of `inkjot synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// Real inks (UNIPEN-style JSON Lines, plain or gzip, with `writer`, `kind`, `label`).
    #[arg(long, required = true)]
    input: Vec<PathBuf>,
    /// Directory of word lists `<lang>.tsv` (`word<TAB>count`, most frequent first, as written by
    /// scripts/export_wordfreq.py).
    #[arg(long)]
    words: Option<PathBuf>,
    /// Use at most this many words of each list.
    #[arg(long, default_value_t = 20_000)]
    max_words: usize,
    /// Sentences for the `composed-line` mode: a UTF-8 text file, one sentence a line (e.g.
    /// running text from scripts/fetch_corpora.sh).
    #[arg(long)]
    sentences: Option<PathBuf>,
    /// Directory of Hershey fonts (`*.jhf`).
    #[arg(long)]
    hershey: Option<PathBuf>,
    /// Records to write.
    #[arg(long)]
    count: u64,
    /// Seed: the same inputs and seed write the same file.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of each mode, e.g. `marked-letter=3,marked-word=2,composed-word=3,line=1,symbol=1`.
    #[arg(
        long,
        default_value = "marked-letter=3,marked-word=2,composed-word=3,line=1,symbol=1"
    )]
    mix: String,
    /// Output JSON Lines file.
    #[arg(long)]
    out: PathBuf,
}

/// Parses `name=weight,...` into cumulative weights per mode.
fn parse_mix(text: &str) -> anyhow::Result<Vec<(Mode, f64)>> {
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .context("--mix: expected name=weight")?;
        let mode = Mode::NAMES
            .iter()
            .find(|(_, n)| *n == name.trim())
            .map(|(m, _)| *m)
            .with_context(|| format!("--mix: unknown mode `{name}`"))?;
        let w: f64 = weight.trim().parse().context("--mix: weight")?;
        if !(w.is_finite() && w >= 0.0) {
            bail!("--mix: weights must be non-negative numbers");
        }
        out.push((mode, w));
    }
    if out.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        bail!("--mix: no positive weight");
    }
    Ok(out)
}

/// Reads `<lang>.tsv` word lists (first column), keeping words written with the model alphabet.
fn read_words(dir: &Path, max: usize) -> anyhow::Result<Vec<WordList>> {
    let alphabet: std::collections::HashSet<String> =
        inkjot::alphabet::model_alphabet().into_iter().collect();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--words {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    paths.sort();
    let mut lists = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        let words = text
            .lines()
            .filter_map(|l| l.split('\t').next())
            .filter(|w| {
                !w.is_empty()
                    && w.chars()
                        .all(|c| c != ' ' && alphabet.contains(&c.to_string()))
            })
            .take(max)
            .map(str::to_string)
            .collect();
        let lang = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        lists.push(WordList { lang, words });
    }
    Ok(lists)
}

/// Runs `inkjot synth`.
pub fn run(args: &SynthArgs) -> anyhow::Result<()> {
    let mix = parse_mix(&args.mix)?;
    let inputs: Vec<&Path> = args.input.iter().map(PathBuf::as_path).collect();
    let corpus = Corpus::read(&inputs)?;
    let lists = match &args.words {
        Some(dir) => read_words(dir, args.max_words)?,
        None => Vec::new(),
    };
    let fonts = match &args.hershey {
        Some(dir) => HersheyFont::read_dir(dir)?,
        None => Vec::new(),
    };
    let sentences: Vec<String> = match &args.sentences {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("--sentences {}", path.display()))?
            .lines()
            .map(|l| l.nfc().collect::<String>().trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        None => Vec::new(),
    };
    if mix
        .iter()
        .any(|(m, w)| *m == Mode::ComposedLine && *w > 0.0)
        && sentences.is_empty()
    {
        bail!("--mix composed-line needs --sentences FILE with at least one sentence");
    }
    let synth = Synthesizer::new(&corpus, &lists, &fonts).with_sentences(&sentences);
    eprintln!(
        "synth: {} source inks, {} writers, {} word lists, {} sentences, {} (word, ink) pairs for accents, {} fonts",
        corpus.inks.len(),
        corpus.writers.len(),
        lists.len(),
        sentences.len(),
        synth.marked_word_count(),
        fonts.len()
    );
    let total: f64 = mix.iter().map(|(_, w)| w).sum();
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    let mut written = vec![0u64; mix.len()];
    let mut failed = vec![0u64; mix.len()];
    for n in 0..args.count {
        // The mode of record n: a fixed stratified order, so counts follow the weights exactly.
        let position = (n as f64 + 0.5) / args.count as f64 * total;
        let mut acc = 0.0;
        let k = mix
            .iter()
            .position(|(_, w)| {
                acc += w;
                position < acc
            })
            .unwrap_or(mix.len() - 1);
        match synth.record(mix[k].0, args.seed, n) {
            Some(record) => {
                write_record(&mut out, &record)?;
                written[k] += 1;
            }
            None => failed[k] += 1,
        }
    }
    out.flush()?;
    for (k, (mode, _)) in mix.iter().enumerate() {
        eprintln!(
            "synth: {:<14} {} written, {} not possible",
            mode.name(),
            written[k],
            failed[k]
        );
    }
    Ok(())
}

/// Runs `inkjot alphabet`: the model alphabet as one JSON list (index 0 = the blank), or with
/// `bases` a JSON object from each symbol beyond ASCII to the ASCII character it is drawn from.
pub fn print_alphabet(bases: bool) -> anyhow::Result<()> {
    let alphabet = inkjot::alphabet::model_alphabet();
    if bases {
        let map: serde_json::Map<String, serde_json::Value> = alphabet
            .iter()
            .filter_map(|s| {
                let base = inkjot::alphabet::base_of(s.chars().next()?)?;
                Some((s.clone(), base.to_string().into()))
            })
            .collect();
        outln!("{}", serde_json::Value::Object(map))?;
    } else {
        outln!("{}", serde_json::to_string(&alphabet)?)?;
    }
    Ok(())
}
