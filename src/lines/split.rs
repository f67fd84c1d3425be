//! Splitting an ink into lines: which strokes form each line of writing, lines top to bottom.
//!
//! Ink is written line by line, so strokes are walked in writing order with one *current* line.
//! The scale is `h`, the 75th percentile of stroke heights (about a letter with its ascender). A
//! stroke taller than `0.3 h` (not a dot, accent or mark) starts a new line when
//!
//! - its centre lies more than `0.8 h` below the current line's middle (the upper median centre of its
//!   last 8 such strokes, so a slanted or curved line is followed as it drifts) and its top below
//!   the line's bottom (the median bottom of those strokes) less `0.25 h`: a descender of the
//!   current line starts inside the line and is never a new line;
//! - it starts in the left half of the current line, which is wider than `2 h` (a carriage
//!   return, not a word written lower on the same line);
//! - most of the next 5 such strokes (at least 2) lie as low, so one low stroke starts nothing.
//!
//! A stroke that lies that far *above* the current line, inside another line's band, goes to
//! that line (a word or a t-bar added later); outside every band, it starts a new line above
//! under the same conditions of return and confirmation. Small strokes (dots, accents, bars, commas) go to
//! the line that was current when they were written unless they lie outside its band at their
//! position and inside (or nearer to) another line's, so marks added after the whole text join
//! the line they sit on. A line's *band* at a position is the median top less `0.6 h` to the median
//! bottom plus `0.3 h` of its 4 tall strokes horizontally nearest. Lines whose cores (median top
//! to median bottom) overlap by more than half the smaller one are merged. An ink no taller than
//! `1.8 h` is one line without further work.
//!
//! Strokes keep their writing order inside a line; every stroke is in exactly one line.

use super::InkLine;
use crate::ink::{BoundingBox, Ink};

/// A stroke's box and whether it is tall enough to place lines.
#[derive(Debug, Clone, Copy)]
struct StrokeBox {
    bbox: BoundingBox,
    tall: bool,
}

impl StrokeBox {
    fn centre_y(&self) -> f64 {
        (self.bbox.min_y + self.bbox.max_y) / 2.0
    }

    fn centre_x(&self) -> f64 {
        (self.bbox.min_x + self.bbox.max_x) / 2.0
    }
}

/// A line being built: its strokes and horizontal extent.
struct Building {
    strokes: Vec<usize>,
    left: f64,
    right: f64,
}

impl Building {
    /// A new line holding only stroke `i`, whose box is `b`.
    fn starting_with(i: usize, b: &StrokeBox) -> Self {
        Self {
            strokes: vec![i],
            left: b.bbox.min_x,
            right: b.bbox.max_x,
        }
    }
}

/// Recent strokes a line's middle and bottom are taken from.
const RECENT: usize = 8;
/// Following tall strokes that must confirm a new line.
const CONFIRM: usize = 5;
/// Strokes looked at to find them (bounds the work per stroke).
const LOOKAHEAD: usize = 32;
/// Tall strokes nearest in x that give a line's band at a position.
const NEAREST: usize = 4;

/// The lines of `ink`, top to bottom (see the module docs). A single-line ink gives one line
/// holding every stroke.
pub fn split_lines(ink: &Ink) -> Vec<InkLine> {
    let strokes = ink.strokes();
    let boxes: Vec<BoundingBox> = strokes
        .iter()
        .map(|s| {
            let mut b = BoundingBox::EMPTY;
            for p in &s.points {
                b.include(p);
            }
            b
        })
        .collect();
    let whole = || {
        vec![InkLine {
            strokes: (0..strokes.len()).collect(),
            bbox: ink.bounding_box(),
        }]
    };
    let mut heights: Vec<f64> = boxes.iter().map(BoundingBox::height).collect();
    heights.sort_by(f64::total_cmp);
    let h = heights.get(heights.len() * 3 / 4).copied().unwrap_or(0.0);
    let total = ink.bounding_box().height();
    if !(h > 0.0 && total.is_finite()) || total <= 1.8 * h {
        return whole();
    }
    let boxes: Vec<StrokeBox> = boxes
        .into_iter()
        .map(|bbox| StrokeBox {
            bbox,
            tall: bbox.height() > 0.3 * h,
        })
        .collect();
    let groups = group(&boxes, h);
    let groups = merge_overlapping(groups, &boxes);
    if groups.len() < 2 {
        return whole();
    }
    let mut lines: Vec<(f64, InkLine)> = groups
        .into_iter()
        .map(|mut strokes| {
            strokes.sort_unstable();
            let mut bbox = BoundingBox::EMPTY;
            for &i in &strokes {
                for p in &ink.strokes()[i].points {
                    bbox.include(p);
                }
            }
            let (top, bottom) = core(&strokes, &boxes);
            ((top + bottom) / 2.0, InkLine { strokes, bbox })
        })
        .collect();
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines.into_iter().map(|(_, line)| line).collect()
}

/// Groups strokes into lines in writing order; small strokes are placed after all tall ones.
fn group(boxes: &[StrokeBox], h: f64) -> Vec<Vec<usize>> {
    let mut lines: Vec<Building> = Vec::new();
    let mut current = 0;
    // Small strokes with the line that was current when they were written.
    let mut small: Vec<(usize, usize)> = Vec::new();
    for (i, b) in boxes.iter().enumerate() {
        if !b.tall {
            small.push((i, current));
            continue;
        }
        let Some(line) = lines.get(current) else {
            lines.push(Building::starting_with(i, b));
            continue;
        };
        let (middle, top, bottom) = recent(&line.strokes, boxes);
        let width = line.right - line.left;
        let returns = width > 2.0 * h && b.bbox.min_x < line.left + 0.5 * width;
        let below = b.centre_y() > middle + 0.8 * h && b.bbox.min_y > bottom - 0.25 * h;
        if returns && below && confirmed(boxes, i, |y| y > middle + 0.8 * h) {
            lines.push(Building::starting_with(i, b));
            current = lines.len() - 1;
            continue;
        }
        let above = b.centre_y() < middle - 0.8 * h && b.bbox.max_y < top + 0.25 * h;
        let earlier = if above {
            earlier_line(&lines, b, boxes, h)
        } else {
            None
        };
        if above && earlier.is_none() && returns && confirmed(boxes, i, |y| y < middle - 0.8 * h) {
            // A line started above the others.
            lines.push(Building::starting_with(i, b));
            current = lines.len() - 1;
            continue;
        }
        let target = earlier.unwrap_or(current);
        if let Some(line) = lines.get_mut(target) {
            line.strokes.push(i);
            line.left = line.left.min(b.bbox.min_x);
            line.right = line.right.max(b.bbox.max_x);
        }
    }
    let mut groups: Vec<Vec<usize>> = lines.into_iter().map(|l| l.strokes).collect();
    if groups.is_empty() {
        return vec![small.into_iter().map(|(i, _)| i).collect()];
    }
    let placed = groups.clone();
    for (i, written_with) in small {
        let target = place_small(&placed, written_with, &boxes[i], boxes, h);
        if let Some(g) = groups.get_mut(target) {
            g.push(i);
        }
    }
    groups
}

/// The median centre, top and bottom of a line's last [`RECENT`] strokes.
fn recent(strokes: &[usize], boxes: &[StrokeBox]) -> (f64, f64, f64) {
    let tail = &strokes[strokes.len().saturating_sub(RECENT)..];
    let pick = |f: &dyn Fn(&StrokeBox) -> f64| median(tail.iter().map(|&i| f(&boxes[i])).collect());
    (
        pick(&|b| b.centre_y()),
        pick(&|b| b.bbox.min_y),
        pick(&|b| b.bbox.max_y),
    )
}

/// True when the tall strokes from `i` on (the next [`CONFIRM`] among [`LOOKAHEAD`] strokes, at
/// least 2) are mostly (more than half) at a height whose centre passes `test`.
fn confirmed(boxes: &[StrokeBox], i: usize, test: impl Fn(f64) -> bool) -> bool {
    let ahead: Vec<f64> = boxes[i..]
        .iter()
        .take(LOOKAHEAD)
        .filter(|b| b.tall)
        .take(CONFIRM)
        .map(StrokeBox::centre_y)
        .collect();
    ahead.len() >= 2 && 2 * ahead.iter().filter(|&&y| test(y)).count() > ahead.len()
}

/// Another line whose band at the stroke contains its centre (the latest such).
fn earlier_line(lines: &[Building], b: &StrokeBox, boxes: &[StrokeBox], h: f64) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .map(|(k, line)| (k, band_distance(&line.strokes, b, boxes, h)))
        .filter(|&(_, d)| d == 0.0)
        .map(|(k, _)| k)
        .next_back()
}

/// The line a small stroke goes to: the one current when it was written when its band holds the
/// stroke, else the one whose band is nearest.
fn place_small(
    groups: &[Vec<usize>],
    written_with: usize,
    b: &StrokeBox,
    boxes: &[StrokeBox],
    h: f64,
) -> usize {
    let distances: Vec<f64> = groups
        .iter()
        .map(|g| band_distance(g, b, boxes, h))
        .collect();
    if distances.get(written_with).is_some_and(|&d| d == 0.0) {
        return written_with;
    }
    distances
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(written_with, |(k, _)| k)
}

/// How far the stroke's centre lies outside the band of a line's tall strokes horizontally
/// nearest to it (0 inside).
fn band_distance(strokes: &[usize], b: &StrokeBox, boxes: &[StrokeBox], h: f64) -> f64 {
    let mut near: Vec<(f64, usize)> = strokes
        .iter()
        .filter(|&&i| boxes[i].tall)
        .map(|&i| ((boxes[i].centre_x() - b.centre_x()).abs(), i))
        .collect();
    if near.is_empty() {
        return f64::INFINITY;
    }
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    near.truncate(NEAREST);
    let top = median(near.iter().map(|&(_, i)| boxes[i].bbox.min_y).collect()) - 0.6 * h;
    let bottom = median(near.iter().map(|&(_, i)| boxes[i].bbox.max_y).collect()) + 0.3 * h;
    let y = b.centre_y();
    (top - y).max(y - bottom).max(0.0)
}

/// The median top and bottom of a line's tall strokes (of all its strokes when none is tall).
fn core(strokes: &[usize], boxes: &[StrokeBox]) -> (f64, f64) {
    let tall: Vec<usize> = strokes.iter().copied().filter(|&i| boxes[i].tall).collect();
    let used = if tall.is_empty() { strokes } else { &tall };
    (
        median(used.iter().map(|&i| boxes[i].bbox.min_y).collect()),
        median(used.iter().map(|&i| boxes[i].bbox.max_y).collect()),
    )
}

/// Merges lines whose cores overlap by more than half of the smaller core (false splits): in
/// top-to-bottom order of their core centres, each line into the one above when they overlap.
fn merge_overlapping(groups: Vec<Vec<usize>>, boxes: &[StrokeBox]) -> Vec<Vec<usize>> {
    let mut ordered: Vec<((f64, f64), Vec<usize>)> =
        groups.into_iter().map(|g| (core(&g, boxes), g)).collect();
    ordered.sort_by(|a, b| (a.0.0 + a.0.1).total_cmp(&(b.0.0 + b.0.1)));
    let mut merged: Vec<((f64, f64), Vec<usize>)> = Vec::with_capacity(ordered.len());
    for ((top, bottom), group) in ordered {
        if let Some(((above_top, above_bottom), above)) = merged.last_mut() {
            let overlap = bottom.min(*above_bottom) - top.max(*above_top);
            let smaller = (bottom - top).min(*above_bottom - *above_top);
            if overlap > 0.5 * smaller {
                above.extend(group);
                (*above_top, *above_bottom) = core(above, boxes);
                continue;
            }
        }
        merged.push(((top, bottom), group));
    }
    merged.into_iter().map(|(_, g)| g).collect()
}

/// The upper median of values (the larger middle one for an even count, so that the bottom of
/// two strokes is the lower one; NaN when empty).
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ink::{InkLimits, JsonlReader};
    use proptest::prelude::*;

    /// A word-like run of `letters` tall strokes starting at (x, y), each 10 wide and 30 high.
    fn word(x: f64, y: f64, letters: usize, slope: f64) -> Vec<Vec<(f64, f64)>> {
        (0..letters)
            .map(|k| {
                let x0 = x + 15.0 * k as f64;
                let y0 = y + slope * 15.0 * k as f64;
                vec![(x0, y0), (x0 + 5.0, y0 + 30.0), (x0 + 10.0, y0 + 10.0)]
            })
            .collect()
    }

    fn ink(strokes: Vec<Vec<(f64, f64)>>) -> Ink {
        let channels = strokes
            .into_iter()
            .map(|s| {
                (
                    s.iter().map(|p| p.0).collect(),
                    s.iter().map(|p| p.1).collect(),
                    None,
                )
            })
            .collect();
        Ink::from_channels(channels, &InkLimits::default()).unwrap()
    }

    fn stroke_sets(lines: &[InkLine]) -> Vec<Vec<usize>> {
        lines.iter().map(|l| l.strokes.clone()).collect()
    }

    #[test]
    fn two_lines_with_a_late_dot_and_a_descender() {
        let mut strokes = word(0.0, 0.0, 8, 0.0); // line 1: strokes 0..8
        strokes.push(vec![(60.0, 20.0), (62.0, 70.0)]); // a descender of line 1 reaching down: 8
        strokes.extend(word(0.0, 80.0, 8, 0.0)); // line 2: 9..17
        strokes.push(vec![(20.0, -8.0), (21.0, -7.0)]); // a dot for line 1, written last: 17
        strokes.push(vec![(35.0, 72.0), (36.0, 73.0)]); // a dot for line 2: 18
        let lines = split_lines(&ink(strokes));
        let mut first: Vec<usize> = (0..9).collect();
        first.push(17);
        let mut second: Vec<usize> = (9..17).collect();
        second.push(18);
        assert_eq!(stroke_sets(&lines), vec![first, second]);
        assert_eq!(lines[0].bbox.min_y, -8.0);
        assert_eq!(lines[1].bbox.max_y, 110.0);
    }

    #[test]
    fn slanted_lines_stay_whole() {
        // Each line drops 40 over its width (more than a line height): followed, not split.
        let mut strokes = word(0.0, 0.0, 12, 40.0 / 180.0);
        strokes.extend(word(0.0, 120.0, 12, 40.0 / 180.0));
        let lines = split_lines(&ink(strokes));
        assert_eq!(
            stroke_sets(&lines),
            vec![(0..12).collect::<Vec<_>>(), (12..24).collect()]
        );
    }

    #[test]
    fn a_word_added_later_to_the_first_line_joins_it() {
        let mut strokes = word(0.0, 0.0, 6, 0.0);
        strokes.extend(word(0.0, 80.0, 6, 0.0));
        strokes.extend(word(120.0, 0.0, 3, 0.0)); // back up to line 1, after it
        let lines = split_lines(&ink(strokes));
        let mut first: Vec<usize> = (0..6).collect();
        first.extend(12..15);
        assert_eq!(stroke_sets(&lines), vec![first, (6..12).collect()]);
    }

    #[test]
    fn a_low_word_on_the_same_line_is_no_new_line() {
        // The writer moves right and lower, without returning left: still one line.
        let mut strokes = word(0.0, 0.0, 6, 0.0);
        strokes.extend(word(100.0, 60.0, 6, 0.0));
        assert_eq!(split_lines(&ink(strokes)).len(), 1);
    }

    #[test]
    fn lines_come_top_to_bottom_whatever_the_writing_order() {
        let mut strokes = word(0.0, 100.0, 8, 0.0);
        strokes.extend(word(0.0, 0.0, 8, 0.0)); // written second, but above
        strokes.extend(word(0.0, 200.0, 8, 0.0));
        let lines = split_lines(&ink(strokes));
        assert_eq!(lines.len(), 3);
        assert!(lines.windows(2).all(|w| w[0].bbox.min_y < w[1].bbox.min_y));
    }

    #[test]
    fn real_multi_and_single_line_inks() {
        let text = include_str!("../../tests/fixtures/multiline_valid.jsonl");
        let mut seen = 0;
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let expected = value["lines"].as_u64().unwrap() as usize;
            let record = JsonlReader::new(line.as_bytes(), InkLimits::default())
                .next()
                .unwrap()
                .unwrap();
            let lines = split_lines(&record.ink);
            assert_eq!(lines.len(), expected, "{}", record.id);
            seen += 1;
        }
        assert_eq!(seen, 9);
    }

    fn arbitrary_ink() -> impl Strategy<Value = Ink> {
        let point = (-1e4f64..1e4, -1e4f64..1e4);
        let stroke = prop::collection::vec(point, 1..6);
        prop::collection::vec(stroke, 1..40).prop_map(ink)
    }

    proptest! {
        #[test]
        fn every_stroke_in_exactly_one_line(ink in arbitrary_ink()) {
            let lines = split_lines(&ink);
            let mut all: Vec<usize> = lines.iter().flat_map(|l| l.strokes.clone()).collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..ink.strokes().len()).collect::<Vec<_>>());
            for line in &lines {
                prop_assert!(!line.strokes.is_empty());
                prop_assert!(line.strokes.windows(2).all(|w| w[0] < w[1]));
            }
        }

        #[test]
        fn a_single_line_stays_one(letters in 1usize..40, slope in -0.1f64..0.1, jitter in prop::collection::vec(-8.0f64..8.0, 40)) {
            let strokes: Vec<Vec<(f64, f64)>> = word(0.0, 0.0, letters, slope)
                .into_iter()
                .zip(&jitter)
                .map(|(s, j)| s.into_iter().map(|(x, y)| (x, y + j)).collect())
                .collect();
            prop_assert_eq!(split_lines(&ink(strokes)).len(), 1);
        }
    }
}
