//! A reader for W3C InkML (<https://www.w3.org/TR/InkML/>): `<trace>` elements with the channels
//! declared by `<traceFormat>` (X and Y required, T optional; default format X Y).
//!
//! Supported: explicit values, the `!` (explicit), `'` (first difference) and `"` (second
//! difference) prefixes with the spec's persistence rules, `<traceGroup>` nesting (traces are taken
//! in document order), time units `s` and `ms` on the T channel, and a label from
//! `<annotation type="truth">` (or the first `<annotation>`). Other elements are ignored.

use super::{Ink, InkLimits, InkRecord, StrokeChannels};
use crate::error::{Error, Location, Result};

/// Prefix mode of one channel while decoding a trace.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Explicit,
    FirstDifference,
    SecondDifference,
}

struct ChannelState {
    mode: Mode,
    value: f64,
    velocity: f64,
}

/// Deepest element nesting accepted. Real InkML nests a handful of levels (`ink`, `traceGroup`,
/// `trace`); the XML parser and the tree it builds recurse over depth, so a document nested
/// thousands deep could exhaust a thread's stack.
pub const MAX_ELEMENT_DEPTH: usize = 256;

/// Refuses a document whose elements nest deeper than `max`, before it is parsed. A cheap scan:
/// comments, CDATA sections, processing instructions and declarations are skipped, quoted
/// attribute values may hold `>`; a malformed document is left for the parser to describe.
fn check_depth(text: &str, max: usize) -> Result<()> {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut line) = (0, 0usize, 1);
    let skip_to = |from: usize, end: &[u8]| {
        bytes[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(bytes.len(), |p| from + p + end.len())
    };
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'<' => {
                let rest = &bytes[i + 1..];
                if rest.starts_with(b"!--") {
                    i = skip_to(i, b"-->");
                } else if rest.starts_with(b"![CDATA[") {
                    i = skip_to(i, b"]]>");
                } else if rest.starts_with(b"?") {
                    i = skip_to(i, b"?>");
                } else if rest.starts_with(b"!") {
                    i = skip_to(i, b">");
                } else if rest.starts_with(b"/") {
                    depth = depth.saturating_sub(1);
                    i = skip_to(i, b">");
                } else {
                    // An opening tag: find its end outside quotes; `/>` closes it at once.
                    let mut j = i + 1;
                    let mut quote = None;
                    while j < bytes.len() {
                        match (quote, bytes[j]) {
                            (None, b'"' | b'\'') => quote = Some(bytes[j]),
                            (Some(q), c) if c == q => quote = None,
                            (None, b'>') => break,
                            _ => {}
                        }
                        j += 1;
                    }
                    if !(j > i + 1 && bytes.get(j - 1) == Some(&b'/')) {
                        depth += 1;
                        if depth > max {
                            return Err(Error::parse(
                                line,
                                format!("elements nested deeper than {max}"),
                            ));
                        }
                    }
                    i = j + 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Parses one InkML document into a record; `id` is used when the document has no `<ink>` id.
///
/// # Example
/// ```
/// use inkjot::ink::{parse_inkml, InkLimits};
/// let xml = r#"<ink xmlns="http://www.w3.org/2003/InkML"><trace>10 0, 9 14, 8 28</trace></ink>"#;
/// let record = parse_inkml(xml, "0", &InkLimits::default()).unwrap();
/// assert_eq!(record.ink.point_count(), 3);
/// ```
pub fn parse_inkml(text: &str, id: &str, limits: &InkLimits) -> Result<InkRecord> {
    check_depth(text, MAX_ELEMENT_DEPTH)?;
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| Error::parse(e.pos().row as usize, format!("malformed XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "ink" {
        return Err(Error::parse(
            0,
            format!(
                "root element is <{}>, expected <ink>",
                root.tag_name().name()
            ),
        ));
    }
    let mut channels: Vec<String> = vec!["X".into(), "Y".into()];
    let mut time_scale = 1.0;
    let mut label = None;
    let mut strokes = Vec::new();
    let mut point_count = 0usize;
    for node in root.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "traceFormat" => {
                channels.clear();
                for channel in node.children().filter(|c| {
                    c.has_tag_name(("http://www.w3.org/2003/InkML", "channel"))
                        || c.tag_name().name() == "channel"
                }) {
                    let name = channel.attribute("name").unwrap_or_default().to_string();
                    if name == "T" {
                        time_scale = match channel.attribute("units") {
                            Some("s") => 1000.0,
                            Some("ms") | None => 1.0,
                            Some(other) => {
                                return Err(Error::parse(
                                    line_of(&doc, node),
                                    format!("unsupported time unit `{other}` (use s or ms)"),
                                ));
                            }
                        };
                    }
                    channels.push(name);
                }
            }
            "annotation" => {
                let is_truth = node.attribute("type") == Some("truth");
                if is_truth || label.is_none() {
                    label = node.text().map(|t| t.trim().to_string());
                }
            }
            "trace" => {
                let stroke = parse_trace(node.text().unwrap_or_default(), &channels, time_scale)
                    .map_err(|m| Error::parse(line_of(&doc, node), m))?;
                point_count += stroke.0.len();
                if point_count > limits.max_points {
                    return Err(Error::InkAt {
                        location: Location::line(line_of(&doc, node)),
                        source: crate::error::InkError::TooManyPoints {
                            count: point_count,
                            limit: limits.max_points,
                        },
                    });
                }
                strokes.push(stroke);
            }
            _ => {}
        }
    }
    let record_id = root
        .attribute(("http://www.w3.org/XML/1998/namespace", "id"))
        .or_else(|| root.attribute("id"))
        .unwrap_or(id)
        .to_string();
    let ink = Ink::from_channels(strokes, limits).map_err(|source| Error::InkAt {
        location: Location {
            line: 0,
            id: Some(record_id.clone()),
        },
        source,
    })?;
    Ok(InkRecord {
        id: record_id,
        label,
        kind: None,
        ink,
    })
}

fn line_of(doc: &roxmltree::Document, node: roxmltree::Node) -> usize {
    doc.text_pos_at(node.range().start).row as usize
}

fn parse_trace(text: &str, channels: &[String], time_scale: f64) -> Result<StrokeChannels, String> {
    let ix = channels
        .iter()
        .position(|c| c == "X")
        .ok_or("traceFormat has no X channel")?;
    let iy = channels
        .iter()
        .position(|c| c == "Y")
        .ok_or("traceFormat has no Y channel")?;
    let it = channels.iter().position(|c| c == "T");
    let mut state: Vec<ChannelState> = channels
        .iter()
        .map(|_| ChannelState {
            mode: Mode::Explicit,
            value: 0.0,
            velocity: 0.0,
        })
        .collect();
    let (mut xs, mut ys, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    for (pi, point) in text.split(',').enumerate() {
        let point = point.trim();
        if point.is_empty() {
            continue;
        }
        let values = tokenize(point);
        if values.len() < channels.len() {
            return Err(format!(
                "trace point {pi} has {} values, the trace format declares {} channels",
                values.len(),
                channels.len()
            ));
        }
        for (ci, token) in values.iter().take(channels.len()).enumerate() {
            let s = &mut state[ci];
            let (mode, number) = match token.as_bytes().first() {
                Some(b'!') => (Some(Mode::Explicit), &token[1..]),
                Some(b'\'') => (Some(Mode::FirstDifference), &token[1..]),
                Some(b'"') => (Some(Mode::SecondDifference), &token[1..]),
                _ => (None, token.as_str()),
            };
            if let Some(mode) = mode {
                s.mode = mode;
            }
            let v: f64 = number
                .parse()
                .map_err(|_| format!("trace point {pi}: `{token}` is not a number"))?;
            match s.mode {
                Mode::Explicit => {
                    s.velocity = v - s.value;
                    s.value = v;
                }
                Mode::FirstDifference => {
                    s.velocity = v;
                    s.value += v;
                }
                Mode::SecondDifference => {
                    s.velocity += v;
                    s.value += s.velocity;
                }
            }
        }
        xs.push(state[ix].value);
        ys.push(state[iy].value);
        if let Some(it) = it {
            ts.push(state[it].value * time_scale);
        }
    }
    Ok((xs, ys, it.map(|_| ts)))
}

/// Splits one trace point into value tokens, separating prefixes and signs without whitespace
/// (InkML allows `'1'-2` for two first differences).
fn tokenize(point: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in point.chars() {
        let starts_new = matches!(c, '!' | '\'' | '"')
            || (c == '-' && !current.is_empty() && !current.ends_with(['!', '\'', '"', 'e', 'E']));
        if c.is_whitespace() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else if starts_new
            && !current.is_empty()
            && !current.chars().all(|c| matches!(c, '!' | '\'' | '"'))
        {
            tokens.push(std::mem::take(&mut current));
            current.push(c);
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}
