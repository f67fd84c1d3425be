//! The JSON Lines ink format: one ink per line,
//! `{"id": ..., "label": ..., "strokes": [{"x": [..], "y": [..], "t": [..]}, ...]}`.
//!
//! `id` may be a string or a number and is optional (the 0-based record index stands in for it);
//! `label` and `kind` are optional; `t` is optional per stroke (time is then synthesized). Other fields are
//! ignored. Blank lines are skipped.

use std::io::{BufRead, Write};

use serde::Deserialize;

use super::{Ink, InkLimits, InkRecord};
use crate::error::{Error, Location, Result};

/// Longest line accepted, in bytes; longer lines are reported as errors and skipped.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// One stroke as the JSON Lines format spells it, before validation.
#[derive(Debug, Clone, Deserialize)]
pub struct JsonStroke {
    /// Horizontal positions.
    pub x: Vec<f64>,
    /// Vertical positions.
    pub y: Vec<f64>,
    /// Times in milliseconds, when given.
    #[serde(default)]
    pub t: Option<Vec<f64>>,
}

impl JsonStroke {
    /// The stroke's channels, ready for [`Ink::from_channels`].
    pub fn into_channels(self) -> super::StrokeChannels {
        (self.x, self.y, self.t)
    }
}

#[derive(Deserialize)]
struct RawRecord {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    strokes: Vec<JsonStroke>,
}

/// Reads records from JSON Lines one at a time; each item is one non-blank line.
///
/// A line that cannot be parsed or holds an invalid ink yields an `Err` naming its line number, and
/// reading goes on with the next line. I/O errors end the iteration after being reported once.
///
/// # Example
/// ```
/// use inkjot::ink::{InkLimits, JsonlReader};
/// let text = "{\"id\":\"a\",\"label\":\"l\",\"strokes\":[{\"x\":[0,1],\"y\":[0,5]}]}\n{\"strokes\":[]}\n";
/// let records: Vec<_> = JsonlReader::new(text.as_bytes(), InkLimits::default()).collect();
/// assert_eq!(records[0].as_ref().unwrap().label.as_deref(), Some("l"));
/// assert!(records[1].is_err()); // no strokes
/// ```
pub struct JsonlReader<R> {
    input: R,
    limits: InkLimits,
    max_line_bytes: usize,
    line_number: usize,
    record_index: usize,
    buffer: Vec<u8>,
    failed: bool,
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads from `input`, validating every ink against `limits`.
    pub fn new(input: R, limits: InkLimits) -> Self {
        JsonlReader {
            input,
            limits,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            line_number: 0,
            record_index: 0,
            buffer: Vec::new(),
            failed: false,
        }
    }

    /// Sets the longest line accepted, in bytes.
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Self {
        self.max_line_bytes = max_line_bytes;
        self
    }

    /// Reads one line into `self.buffer`, returning `Ok(false)` at end of input and
    /// `Ok(true)` with `truncated` set when the line exceeded the limit.
    fn read_line(&mut self, truncated: &mut bool) -> std::io::Result<bool> {
        self.buffer.clear();
        *truncated = false;
        let mut any = false;
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Ok(any);
            }
            any = true;
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1),
                None => (available, available.len()),
            };
            let room = self.max_line_bytes.saturating_sub(self.buffer.len());
            if chunk.len() > room {
                *truncated = true;
            } else {
                self.buffer.extend_from_slice(chunk);
            }
            let found_newline = done > chunk.len();
            self.input.consume(done);
            if found_newline {
                return Ok(true);
            }
        }
    }

    fn parse_buffer(&self, line: usize, index: usize) -> Result<InkRecord> {
        let text = match self.buffer.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if line == 1 => rest,
            _ => &self.buffer[..],
        };
        let raw: RawRecord = serde_json::from_slice(text)
            .map_err(|e| Error::parse(line, format!("malformed JSON: {e}")))?;
        let given = match raw.id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                return Err(Error::parse(
                    line,
                    format!("`id` must be a string or a number, found {other}"),
                ));
            }
        };
        let channels = raw
            .strokes
            .into_iter()
            .map(JsonStroke::into_channels)
            .collect();
        let ink = Ink::from_channels(channels, &self.limits).map_err(|source| Error::InkAt {
            location: Location {
                line,
                id: given.clone(),
            },
            source,
        })?;
        Ok(InkRecord {
            id: given.unwrap_or_else(|| index.to_string()),
            label: raw.label,
            kind: raw.kind,
            ink,
        })
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<InkRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let mut truncated = false;
            match self.read_line(&mut truncated) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(Error::from(e)));
                }
            }
            self.line_number += 1;
            let line = self.line_number;
            if truncated {
                self.record_index += 1;
                return Some(Err(Error::parse(
                    line,
                    format!("line longer than {} bytes", self.max_line_bytes),
                )));
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let index = self.record_index;
            self.record_index += 1;
            return Some(self.parse_buffer(line, index));
        }
    }
}

/// Writes one record as a JSON line (`id`, `label` when present, `strokes` with x, y, t).
pub fn write_jsonl_record(out: &mut impl Write, record: &InkRecord) -> Result<()> {
    let strokes: Vec<serde_json::Value> = record
        .ink
        .strokes()
        .iter()
        .map(|s| {
            serde_json::json!({
                "x": s.points.iter().map(|p| p.x).collect::<Vec<_>>(),
                "y": s.points.iter().map(|p| p.y).collect::<Vec<_>>(),
                "t": s.points.iter().map(|p| p.t).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut value = serde_json::json!({ "id": record.id, "strokes": strokes });
    if let Some(map) = value.as_object_mut() {
        for (key, field) in [("label", &record.label), ("kind", &record.kind)] {
            if let Some(text) = field {
                map.insert(key.into(), serde_json::Value::String(text.clone()));
            }
        }
    }
    serde_json::to_writer(&mut *out, &value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    Ok(())
}
