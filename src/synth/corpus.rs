//! The real inks synthesis draws from: UNIPEN-style JSON Lines records (plain or gzip) with their
//! `writer`, indexed by writer, character label and word label.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;

use super::geometry::Strokes;
use crate::error::{Error, Result};
use crate::ink::{Ink, InkLimits, JsonStroke, Point};

/// One real ink: its id, writer, kind, label and strokes (stored compactly).
#[derive(Debug, Clone)]
pub struct SourceInk {
    /// The record's id.
    pub id: String,
    /// The writer (empty when the file gives none).
    pub writer: String,
    /// `char`, `word` or `text`.
    pub kind: String,
    /// The transcription.
    pub label: String,
    strokes: Vec<Vec<[f32; 3]>>,
}

impl SourceInk {
    /// The strokes as points.
    pub fn strokes(&self) -> Strokes {
        self.strokes
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&[x, y, t]| Point {
                        x: f64::from(x),
                        y: f64::from(y),
                        t: f64::from(t),
                    })
                    .collect()
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct RawRecord {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    writer: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    label: Option<String>,
    strokes: Vec<JsonStroke>,
}

/// Real inks by writer, character and word.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Every ink kept.
    pub inks: Vec<SourceInk>,
    /// Character inks by label.
    pub chars: BTreeMap<char, Vec<usize>>,
    /// Word inks by lower-case label.
    pub words: BTreeMap<String, Vec<usize>>,
    /// Per writer: character inks by label, and word inks.
    pub writers: BTreeMap<String, WriterInks>,
}

/// One writer's inks.
#[derive(Debug, Default)]
pub struct WriterInks {
    /// Character inks by label.
    pub chars: BTreeMap<char, Vec<usize>>,
    /// Word inks.
    pub words: Vec<usize>,
}

impl Corpus {
    /// Reads labelled `char` and `word` records (valid inks only; text lines and unlabelled or
    /// invalid records are skipped) from JSON Lines files, gzip or plain.
    pub fn read(paths: &[&Path]) -> Result<Corpus> {
        let mut corpus = Corpus::default();
        for path in paths {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let mut reader = BufReader::new(file);
            let gz = reader
                .fill_buf()
                .map_err(|e| Error::io(path, e))?
                .starts_with(&[0x1f, 0x8b]);
            let reader: Box<dyn BufRead> = if gz {
                Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(reader)))
            } else {
                Box::new(reader)
            };
            corpus.read_lines(reader).map_err(|e| e.in_file(path))?;
        }
        Ok(corpus)
    }

    /// Reads records from one stream (see [`Corpus::read`]).
    pub fn read_lines(&mut self, reader: impl Read) -> Result<()> {
        let limits = InkLimits::default();
        for (n, line) in BufReader::new(reader).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let Ok(raw) = serde_json::from_str::<RawRecord>(&line) else {
                continue;
            };
            let (Some(label), Some(kind)) = (raw.label, raw.kind) else {
                continue;
            };
            if kind != "char" && kind != "word" {
                continue;
            }
            let channels = raw
                .strokes
                .into_iter()
                .map(JsonStroke::into_channels)
                .collect();
            let Ok(ink) = Ink::from_channels(channels, &limits) else {
                continue;
            };
            let id = match raw.id {
                Some(serde_json::Value::String(s)) => s,
                Some(v) => v.to_string(),
                None => n.to_string(),
            };
            self.push(SourceInk {
                id,
                writer: raw.writer.unwrap_or_default(),
                kind,
                label,
                strokes: ink
                    .strokes()
                    .iter()
                    .map(|s| {
                        s.points
                            .iter()
                            .map(|p| [p.x as f32, p.y as f32, p.t as f32])
                            .collect()
                    })
                    .collect(),
            });
        }
        Ok(())
    }

    /// Adds one ink to the indexes.
    pub fn push(&mut self, ink: SourceInk) {
        let i = self.inks.len();
        let writer = self.writers.entry(ink.writer.clone()).or_default();
        let mut chars = ink.label.chars();
        match (ink.kind.as_str(), chars.next(), chars.next()) {
            ("char", Some(c), None) => {
                self.chars.entry(c).or_default().push(i);
                writer.chars.entry(c).or_default().push(i);
            }
            ("word", Some(_), _) => {
                self.words
                    .entry(ink.label.to_lowercase())
                    .or_default()
                    .push(i);
                writer.words.push(i);
            }
            _ => return,
        }
        self.inks.push(ink);
    }
}
