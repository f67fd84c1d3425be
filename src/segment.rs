//! Segmentation: which strokes, and which points of them, wrote each character and word of a
//! candidate, with their bounding boxes.
//!
//! Derived from the candidate's CTC forced alignment ([`crate::decode::align`]) and the curve each
//! frame was fitted to ([`crate::features::curve_spans`]):
//!
//! 1. Frames where the path emits a (non-whitespace) character belong to it. The blank frames
//!    between two characters are split at the pen-up curve nearest the middle of the run when
//!    there is one (letters often end where the pen lifts), else at the middle; blanks before the
//!    first character go to it, blanks after the last to the last. Whitespace owns no ink.
//! 2. **Delayed strokes.** A dot, accent or bar written after the rest of the word sits at the
//!    end of the frame sequence, so the alignment may give it to the last character. A whole
//!    stroke that starts a return to the left (its horizontal centre lies left of the furthest
//!    point written before it), is owned by one character whose other ink does not overlap it
//!    horizontally, moves to the character whose own ink overlaps it and whose centre is nearest
//!    (a character is never left without ink by such a move). A stroke the network read as the
//!    character itself (an `i` emitted at its dot) keeps the alignment's reading.
//! 3. A character's point ranges are merged where they touch; a word is a run of non-whitespace
//!    characters and holds their ranges. Boxes are in the ink's own coordinates.

use crate::decode::align::Alignment;
use crate::features::PointRange;
use crate::ink::{BoundingBox, Ink};

/// What a segment stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentKind {
    /// One character of the candidate (whitespace included, with no ink).
    Char,
    /// A run of non-whitespace characters.
    Word,
}

/// A piece of a candidate's text and the ink that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The characters.
    pub text: String,
    /// Character or word.
    pub kind: SegmentKind,
    /// The points that wrote it, in writing order, ranges of one stroke merged where they touch.
    pub strokes: Vec<PointRange>,
    /// The box of those points in ink coordinates; `None` when there are none.
    pub bbox: Option<BoundingBox>,
}

impl serde::Serialize for Segment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Segment", 4)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("kind", &self.kind)?;
        let strokes: Vec<[usize; 3]> = self
            .strokes
            .iter()
            .map(|r| [r.stroke, r.first, r.last])
            .collect();
        st.serialize_field("strokes", &strokes)?;
        let bbox = self.bbox.map(|b| [b.min_x, b.min_y, b.max_x, b.max_y]);
        st.serialize_field("box", &bbox)?;
        st.end()
    }
}

/// The segments of `text`: one [`SegmentKind::Char`] per character in order (their texts
/// concatenate to `text`), then one [`SegmentKind::Word`] per word in order. `spans` gives each
/// frame's points (see [`crate::features::curve_spans`]); `alignment` is `text`'s alignment over
/// the same frames, `None` when it has none (every segment is then without ink).
pub fn segment(
    ink: &Ink,
    spans: &[Option<PointRange>],
    alignment: Option<&Alignment>,
    text: &str,
) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let mut owned: Vec<Vec<PointRange>> = vec![Vec::new(); chars.len()];
    if let Some(alignment) = alignment {
        let owners = frame_owners(alignment, spans, &chars);
        for (owner, span) in owners.iter().zip(spans) {
            if let (Some(c), Some(r)) = (owner, span) {
                if let Some(list) = owned.get_mut(*c) {
                    list.push(*r);
                }
            }
        }
        move_delayed_strokes(ink, &mut owned);
    }
    let mut segments: Vec<Segment> = chars
        .iter()
        .zip(owned.iter())
        .map(|(c, ranges)| make_segment(ink, c.to_string(), SegmentKind::Char, ranges.clone()))
        .collect();
    let mut word: Option<(String, Vec<PointRange>)> = None;
    for (c, ranges) in chars.iter().zip(&owned) {
        if c.is_whitespace() {
            if let Some((text, ranges)) = word.take() {
                segments.push(make_segment(ink, text, SegmentKind::Word, ranges));
            }
        } else {
            let w = word.get_or_insert_with(Default::default);
            w.0.push(*c);
            w.1.extend_from_slice(ranges);
        }
    }
    if let Some((text, ranges)) = word {
        segments.push(make_segment(ink, text, SegmentKind::Word, ranges));
    }
    segments
}

fn make_segment(ink: &Ink, text: String, kind: SegmentKind, ranges: Vec<PointRange>) -> Segment {
    let strokes = merge(ranges);
    let mut bbox = BoundingBox::EMPTY;
    for r in &strokes {
        if let Some(points) = ink
            .strokes()
            .get(r.stroke)
            .and_then(|s| s.points.get(r.first..=r.last))
        {
            points.iter().for_each(|p| bbox.include(p));
        }
    }
    Segment {
        text,
        kind,
        strokes,
        bbox: (!bbox.is_empty()).then_some(bbox),
    }
}

/// Sorted ranges, those of one stroke that touch or overlap joined.
fn merge(mut ranges: Vec<PointRange>) -> Vec<PointRange> {
    ranges.sort();
    let mut out: Vec<PointRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.stroke == r.stroke && r.first <= last.last => {
                last.last = last.last.max(r.last);
            }
            _ => out.push(r),
        }
    }
    out
}

/// Per frame, the character that owns it (step 1 of the module docs).
fn frame_owners(
    alignment: &Alignment,
    spans: &[Option<PointRange>],
    chars: &[char],
) -> Vec<Option<usize>> {
    let emitted: Vec<Option<usize>> = alignment
        .frames
        .iter()
        .map(|f| f.filter(|&c| chars.get(c).is_some_and(|c| !c.is_whitespace())))
        .collect();
    let mut owners = emitted.clone();
    let n = emitted.len();
    let mut t = 0;
    while t < n {
        if emitted[t].is_some() {
            t += 1;
            continue;
        }
        let start = t;
        while t < n && emitted[t].is_none() {
            t += 1;
        }
        let before = start.checked_sub(1).and_then(|i| emitted[i]);
        let after = emitted.get(t).copied().flatten();
        let cut = match (before, after) {
            (None, None) => continue,
            (Some(_), None) => t,
            (None, Some(_)) => start,
            (Some(_), Some(_)) => {
                let middle = (start + t) as f64 / 2.0;
                (start..t)
                    .filter(|&i| spans.get(i).is_some_and(Option::is_none))
                    .min_by(|&a, &b| {
                        (a as f64 + 0.5 - middle)
                            .abs()
                            .total_cmp(&(b as f64 + 0.5 - middle).abs())
                    })
                    .unwrap_or((start + t).div_ceil(2))
            }
        };
        for (i, owner) in owners.iter_mut().enumerate().take(t).skip(start) {
            *owner = if i < cut { before } else { after };
        }
    }
    owners
}

/// Step 2 of the module docs.
fn move_delayed_strokes(ink: &Ink, owned: &mut [Vec<PointRange>]) {
    let strokes = ink.strokes();
    let x_range = |r: &PointRange| -> Option<(f64, f64)> {
        let points = strokes.get(r.stroke)?.points.get(r.first..=r.last)?;
        Some(
            points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| {
                    (a.0.min(p.x), a.1.max(p.x))
                }),
        )
    };
    let union = |ranges: &mut dyn Iterator<Item = &PointRange>| -> Option<(f64, f64)> {
        ranges
            .filter_map(x_range)
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    };
    let tolerance = 0.05 * ink.bounding_box().height().max(0.0);
    let overlaps = |a: (f64, f64), b: (f64, f64)| a.0 <= b.1 + tolerance && b.0 <= a.1 + tolerance;
    let mut furthest = f64::NEG_INFINITY;
    for (s, stroke) in strokes.iter().enumerate() {
        let Some(whole) = stroke.points.iter().fold(None, |a: Option<(f64, f64)>, p| {
            Some(a.map_or((p.x, p.x), |a| (a.0.min(p.x), a.1.max(p.x))))
        }) else {
            continue;
        };
        let delayed = (whole.0 + whole.1) / 2.0 < furthest;
        furthest = furthest.max(whole.1);
        if !delayed {
            continue;
        }
        let owners: Vec<usize> = (0..owned.len())
            .filter(|&c| owned[c].iter().any(|r| r.stroke == s))
            .collect();
        let [owner] = owners[..] else { continue };
        let other = union(&mut owned[owner].iter().filter(|r| r.stroke != s));
        let Some(other) = other else { continue };
        if overlaps(other, whole) {
            continue;
        }
        let centre = (whole.0 + whole.1) / 2.0;
        let target = (0..owned.len())
            .filter(|&c| c != owner)
            .filter_map(|c| {
                let own = union(&mut owned[c].iter().filter(|r| r.stroke != s))?;
                overlaps(own, whole).then_some((c, ((own.0 + own.1) / 2.0 - centre).abs()))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c);
        if let Some(target) = target {
            let (moving, keep): (Vec<PointRange>, Vec<PointRange>) =
                owned[owner].iter().partition(|r| r.stroke == s);
            owned[owner] = keep;
            owned[target].extend(moving);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ink::InkLimits;

    fn range(stroke: usize, first: usize, last: usize) -> PointRange {
        PointRange {
            stroke,
            first,
            last,
        }
    }

    #[test]
    fn ranges_merge_where_they_touch() {
        let merged = merge(vec![
            range(1, 0, 3),
            range(0, 4, 9),
            range(0, 0, 4),
            range(1, 5, 6),
        ]);
        assert_eq!(merged, [range(0, 0, 9), range(1, 0, 3), range(1, 5, 6)]);
    }

    #[test]
    fn a_late_dot_goes_to_the_letter_below_it() {
        // "ix": a stem at x=0, an x at x=10..14, then the i's dot at x=0 written last.
        let ink = Ink::from_channels(
            vec![
                (vec![0.0, 0.0, 0.0], vec![4.0, 7.0, 10.0], None),
                (vec![10.0, 12.0, 14.0], vec![4.0, 7.0, 10.0], None),
                (vec![0.2, 0.0], vec![0.0, 0.2], None),
            ],
            &InkLimits::default(),
        )
        .unwrap();
        // Frames: stem, pen-up, x, pen-up, dot; the path emits i at the stem, x at the x and
        // nothing at the dot (so the dot, a trailing blank, falls to the x first).
        let spans = vec![
            Some(range(0, 0, 2)),
            None,
            Some(range(1, 0, 2)),
            None,
            Some(range(2, 0, 1)),
        ];
        let alignment = Alignment {
            frames: vec![Some(0), None, Some(1), None, None],
            posteriors: vec![0.9; 5],
            chars: 2,
        };
        let segments = segment(&ink, &spans, Some(&alignment), "ix");
        assert_eq!(segments[0].strokes, [range(0, 0, 2), range(2, 0, 1)]);
        assert_eq!(segments[1].strokes, [range(1, 0, 2)]);
        let word = &segments[2];
        assert_eq!((word.kind, word.text.as_str()), (SegmentKind::Word, "ix"));
        assert_eq!(word.strokes.len(), 3);
        let b = segments[0].bbox.unwrap();
        assert_eq!([b.min_x, b.min_y, b.max_x, b.max_y], [0.0, 0.0, 0.2, 10.0]);
    }

    #[test]
    fn whitespace_owns_no_ink_and_words_split_there() {
        let ink = Ink::from_channels(
            vec![
                (vec![0.0, 1.0], vec![0.0, 1.0], None),
                (vec![5.0, 6.0], vec![0.0, 1.0], None),
            ],
            &InkLimits::default(),
        )
        .unwrap();
        let spans = vec![Some(range(0, 0, 1)), None, Some(range(1, 0, 1))];
        let alignment = Alignment {
            frames: vec![Some(1), Some(2), Some(3)],
            posteriors: vec![0.9; 3],
            chars: 4,
        };
        let segments = segment(&ink, &spans, Some(&alignment), " a b");
        let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, [" ", "a", " ", "b", "a", "b"]);
        assert!(segments[0].strokes.is_empty() && segments[0].bbox.is_none());
        assert!(segments[2].strokes.is_empty());
        assert_eq!(segments[1].strokes, [range(0, 0, 1)]);
        assert_eq!(segments[3].strokes, [range(1, 0, 1)]);
        // Without an alignment: the texts, no ink.
        let bare = segment(&ink, &spans, None, " a b");
        assert_eq!(bare.len(), 6);
        assert!(bare.iter().all(|s| s.strokes.is_empty()));
    }
}
