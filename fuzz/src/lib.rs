//! Shared pieces of the fuzz targets: inks built from fuzz bytes, the recognizers (loaded once) and
//! the invariants every recognition result must hold.

use std::collections::HashSet;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use inkjot::Recognizer;
use inkjot::decode::{Candidate, LanguagePack};
use inkjot::ink::{Ink, InkLimits, InkRecord, JsonlReader, Point, Stroke, write_jsonl_record};

/// The repository root (the fuzz crate lives in `fuzz/`).
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// One point as fuzz bytes: small integers scaled by the ink's unit (realistic inks whose
/// geometry the fuzzer can shape), or raw values (NaN, infinities, huge, subnormal).
///
/// Byte format (so that `make_seeds.py` can write seeds from real inks): a tag byte; tag
/// [`RAW_POINT`] is followed by x, y, t as little-endian f64; any other tag below
/// [`NEW_STROKE`] is the time step in ms, followed by x and y as little-endian i16.
#[derive(Debug, Clone, Copy)]
pub enum FuzzPoint {
    /// Grid coordinates and a time step in milliseconds.
    Grid { x: i16, y: i16, dt: u8 },
    /// Any values at all.
    Raw { x: f64, y: f64, t: f64 },
}

/// Tag of a raw point.
pub const RAW_POINT: u8 = 0xFD;
/// Tags at or above this start a new stroke (inside an ink).
pub const NEW_STROKE: u8 = 0xFE;

fn le<const N: usize>(u: &mut Unstructured) -> arbitrary::Result<[u8; N]> {
    let mut b = [0u8; N];
    b.copy_from_slice(u.bytes(N)?);
    Ok(b)
}

impl FuzzPoint {
    /// Reads a point whose tag was already read.
    pub fn read_after_tag(tag: u8, u: &mut Unstructured) -> arbitrary::Result<Self> {
        Ok(if tag == RAW_POINT {
            FuzzPoint::Raw {
                x: f64::from_le_bytes(le(u)?),
                y: f64::from_le_bytes(le(u)?),
                t: f64::from_le_bytes(le(u)?),
            }
        } else {
            FuzzPoint::Grid {
                dt: tag,
                x: i16::from_le_bytes(le(u)?),
                y: i16::from_le_bytes(le(u)?),
            }
        })
    }

    /// Reads one point (tag and values).
    pub fn read(u: &mut Unstructured) -> arbitrary::Result<Self> {
        let tag = u8::arbitrary(u)?;
        Self::read_after_tag(tag, u)
    }
}

/// An ink as fuzz bytes: a power-of-two unit the grid is scaled by, then points, with a
/// [`NEW_STROKE`] tag between strokes; it takes the rest of the input.
#[derive(Debug, Clone)]
pub struct FuzzInk {
    /// log2 of the unit grid coordinates are multiplied by (clamped to -64..=24).
    pub unit_exp: i8,
    /// The strokes.
    pub strokes: Vec<Vec<FuzzPoint>>,
}

impl FuzzInk {
    /// Reads an ink from the rest of `u` (a truncated last point is dropped).
    pub fn read_rest(u: &mut Unstructured) -> Self {
        let unit_exp = i8::arbitrary(u).unwrap_or(0);
        let mut strokes = vec![Vec::new()];
        while let Ok(tag) = u8::arbitrary(u) {
            if tag >= NEW_STROKE {
                strokes.push(Vec::new());
                continue;
            }
            let Ok(p) = FuzzPoint::read_after_tag(tag, u) else {
                break;
            };
            if let Some(s) = strokes.last_mut() {
                s.push(p);
            }
        }
        FuzzInk { unit_exp, strokes }
    }

    /// The grid unit: 2^unit_exp.
    pub fn unit(unit_exp: i8) -> f64 {
        2f64.powi(i32::from(unit_exp).clamp(-64, 24))
    }

    /// The strokes as points, time accumulated from the grid points' steps.
    pub fn strokes(&self) -> Vec<Stroke> {
        let unit = Self::unit(self.unit_exp);
        let mut t = 0.0;
        self.strokes
            .iter()
            .map(|s| Stroke {
                points: s
                    .iter()
                    .map(|p| match *p {
                        FuzzPoint::Grid { x, y, dt } => {
                            t += f64::from(dt);
                            Point {
                                x: f64::from(x) * unit,
                                y: f64::from(y) * unit,
                                t,
                            }
                        }
                        FuzzPoint::Raw { x, y, t: raw_t } => {
                            if raw_t.is_finite() && raw_t > t {
                                t = raw_t;
                            }
                            Point { x, y, t: raw_t }
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    /// The validated ink, or `None` when validation rejects it (which must not panic).
    pub fn ink(&self) -> Option<Ink> {
        Ink::new(self.strokes(), &InkLimits::default()).ok()
    }
}

/// The tiny test model without a language pack (greedy decoding).
pub fn tiny() -> &'static Recognizer {
    static R: OnceLock<Recognizer> = OnceLock::new();
    R.get_or_init(|| {
        let bytes = std::fs::read(format!("{ROOT}/tests/fixtures/tiny-model.safetensors"))
            .expect("tests/fixtures/tiny-model.safetensors");
        Recognizer::from_bytes(&bytes).expect("the tiny model loads")
    })
}

/// The shipped int8 model with the English pack (beam search with the LM).
pub fn shipped_en() -> &'static Recognizer {
    static R: OnceLock<Recognizer> = OnceLock::new();
    R.get_or_init(|| {
        let pack = LanguagePack::load(format!("{ROOT}/models/en")).expect("models/en loads");
        Recognizer::from_file(format!("{ROOT}/models/recognizer-int8.safetensors").as_ref())
            .and_then(|r| r.with_language_pack(&pack))
            .expect("the shipped model loads")
    })
}

/// Bytes of the English pack's LM file (`lm.fst` or `lm.bin`) and `decoder.json` (seeds and
/// oracles).
pub fn en_pack_bytes() -> &'static (Vec<u8>, String) {
    static B: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    B.get_or_init(|| {
        (
            std::fs::read(LanguagePack::lm_path(format!("{ROOT}/models/en")).expect("one LM"))
                .expect("the English LM file"),
            std::fs::read_to_string(format!("{ROOT}/models/en/decoder.json"))
                .expect("decoder.json"),
        )
    })
}

/// Checks what every successful recognition must hold: 1..=nbest candidates, best first, finite
/// scores, distinct texts made of the alphabet's symbols, and (with an LM) scores that are the
/// log of each candidate's share of the list.
pub fn check_candidates(candidates: &[Candidate], nbest: usize, alphabet: &[String], lm: bool) {
    assert!(!candidates.is_empty(), "no candidates");
    assert!(
        candidates.len() <= nbest,
        "{} > nbest {nbest}",
        candidates.len()
    );
    for c in candidates {
        assert!(c.score.is_finite(), "score {} for {:?}", c.score, c.text);
        assert!(
            c.score <= 1e-3,
            "log score {} above 0 for {:?}",
            c.score,
            c.text
        );
        assert!(
            made_of(&c.text, alphabet),
            "{:?} is not made of the alphabet",
            c.text
        );
    }
    for pair in candidates.windows(2) {
        assert!(pair[0].score >= pair[1].score, "not sorted: {pair:?}");
    }
    if lm {
        let texts: HashSet<&str> = candidates.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts.len(),
            candidates.len(),
            "repeated texts: {candidates:?}"
        );
        let total: f64 = candidates.iter().map(|c| f64::from(c.score).exp()).sum();
        assert!(
            (total - 1.0).abs() < 1e-3,
            "shares sum to {total}: {candidates:?}"
        );
    }
}

/// True when `text` is lines joined by `\n` (an ink read line by line), each a concatenation of
/// the alphabet's non-blank symbols.
fn made_of(text: &str, alphabet: &[String]) -> bool {
    text.split('\n').all(|line| line_made_of(line, alphabet))
}

/// True when `text` is a concatenation of the alphabet's non-blank symbols.
fn line_made_of(text: &str, alphabet: &[String]) -> bool {
    // Every shipped alphabet has one-character symbols; check characters, then fall back to a
    // greedy match for multi-character symbols.
    let chars: HashSet<char> = alphabet
        .iter()
        .filter(|s| s.chars().count() == 1)
        .filter_map(|s| s.chars().next())
        .collect();
    if text.chars().all(|c| chars.contains(&c)) {
        return true;
    }
    let symbols: Vec<&str> = alphabet
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect();
    let mut rest = text;
    while !rest.is_empty() {
        match symbols.iter().find(|s| rest.starts_with(**s)) {
            Some(s) => rest = &rest[s.len()..],
            None => return false,
        }
    }
    true
}

/// Writes `record` as a JSON line and reads it back: the same id, label, kind and ink (values
/// equal up to serde_json's last-bit float parsing).
pub fn check_round_trip(record: &InkRecord) {
    let mut line = Vec::new();
    write_jsonl_record(&mut line, record).expect("writing a record");
    let back: Vec<_> = JsonlReader::new(line.as_slice(), InkLimits::default()).collect();
    let [Ok(back)] = back.as_slice() else {
        panic!(
            "{record:?} written as {} reads back as {back:?}",
            String::from_utf8_lossy(&line)
        );
    };
    assert_eq!(back.id, record.id);
    assert_eq!(back.label, record.label);
    assert_eq!(back.kind, record.kind);
    let (a, b) = (record.ink.strokes(), back.ink.strokes());
    assert_eq!(a.len(), b.len());
    for (sa, sb) in a.iter().zip(b) {
        assert_eq!(sa.points.len(), sb.points.len());
        for (pa, pb) in sa.points.iter().zip(&sb.points) {
            for (va, vb) in [(pa.x, pb.x), (pa.y, pb.y), (pa.t, pb.t)] {
                assert!(
                    (va - vb).abs() <= va.abs() * 1e-15,
                    "{va} read back as {vb}"
                );
            }
        }
    }
}

/// A writing-area height as fuzz bytes: byte 0 is none (the ink's own height), 1 is followed by a
/// raw little-endian f64 (any value), any other byte `b` is `16 b` grid units.
#[derive(Debug, Clone, Copy)]
pub enum FuzzHeight {
    /// No height: the ink's own.
    Auto,
    /// Any value at all.
    Raw(f64),
    /// Sixteenths of grid units.
    Grid(u8),
}

impl FuzzHeight {
    /// Reads a height.
    pub fn read(u: &mut Unstructured) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? {
            0 => FuzzHeight::Auto,
            1 => FuzzHeight::Raw(f64::from_le_bytes(le(u)?)),
            b => FuzzHeight::Grid(b),
        })
    }

    /// The height in ink units for a grid `unit`; `None` for [`FuzzHeight::Auto`].
    pub fn value(self, unit: f64) -> Option<f64> {
        match self {
            FuzzHeight::Auto => None,
            FuzzHeight::Raw(h) => Some(h),
            FuzzHeight::Grid(b) => Some(f64::from(b) * 16.0 * unit),
        }
    }
}

/// Reads a length byte and that many bytes (fewer at the end of the input).
pub fn read_bytes<'a>(u: &mut Unstructured<'a>) -> arbitrary::Result<&'a [u8]> {
    let len = usize::from(u8::arbitrary(u)?);
    u.bytes(len.min(u.len()))
}
