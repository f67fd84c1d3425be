//! Letter shapes from real inks: vertical extents per character class, scaling a real ink onto a
//! baseline, removing i/j dots, and estimating each letter's place in a word ink.

use super::geometry::{Strokes, bbox};
use crate::alphabet::{Make, make};
use crate::ink::Point;

/// Top and bottom of a character in x-heights above the baseline (y up), for placing and
/// scaling real inks: `x` = (1, 0), `b` = (1.8, 0), `g` = (1, -0.8), `A` = (1.7, 0), ...
pub fn extent(c: char) -> (f64, f64) {
    let c = match make(c) {
        Some(Make::Marked(base, _) | Make::Dotless(base)) => base,
        Some(Make::Ligature(a, _)) => a,
        Some(Make::SharpS) => return (1.8, -0.6),
        None => c,
    };
    match c {
        'b' | 'd' | 'f' | 'h' | 'k' | 'l' => (1.8, 0.0),
        't' => (1.5, 0.0),
        'i' => (1.5, 0.0),
        'j' => (1.5, -0.8),
        'g' | 'p' | 'q' | 'y' => (1.0, -0.8),
        c if c.is_ascii_lowercase() => (1.0, 0.0),
        c if c.is_ascii_uppercase() || c.is_ascii_digit() => (1.7, 0.0),
        '.' => (0.25, 0.0),
        ',' => (0.25, -0.4),
        ';' => (1.0, -0.4),
        '\'' | '"' | '`' => (1.8, 1.2),
        '-' => (0.65, 0.45),
        '(' | ')' | '[' | ']' | '{' | '}' | '/' | '|' => (1.8, -0.4),
        _ => (1.7, 0.0),
    }
}

/// Top and bottom of a text's letters together.
pub fn text_extent(text: &str) -> (f64, f64) {
    text.chars()
        .map(extent)
        .fold((0.25f64, 0.0f64), |(t, b), (ct, cb)| (t.max(ct), b.min(cb)))
}

/// Scales `strokes` (a real ink of `text`) to x-height `h`, its left edge at `x` and its
/// baseline at `baseline` (y down). Marks too flat to scale by height (., -) scale by size.
pub fn fit(strokes: &mut Strokes, text: &str, h: f64, x: f64, baseline: f64) {
    let b = bbox(strokes);
    let (top, bottom) = text_extent(text);
    let span = top - bottom;
    let s = if span < 0.5 {
        0.3 * h / b.width().max(b.height()).max(1e-9)
    } else {
        (span * h / b.height().max(1e-9))
            .min(3.0 * h * text.chars().count() as f64 / b.width().max(1e-9))
    };
    let dx = x - b.min_x * s;
    let dy = (baseline - bottom * h) - b.max_y * s;
    super::geometry::place(strokes, s, dx, dy);
}

/// Removes the dot of an i or j written as its own small stroke near the top, within
/// `[x0, x1]` (returns whether one was found).
pub fn remove_dot(strokes: &mut Strokes, x0: f64, x1: f64) -> bool {
    let all = bbox(strokes);
    let h = all.height().max(1e-9);
    let cx = 0.5 * (x0 + x1);
    let w = (x1 - x0).max(1e-9);
    let mut best: Option<(usize, f64)> = None;
    for (i, s) in strokes.iter().enumerate() {
        let b = bbox(std::slice::from_ref(s));
        let size = b.width().hypot(b.height());
        let (mx, my) = (0.5 * (b.min_x + b.max_x), 0.5 * (b.min_y + b.max_y));
        let small = size < 0.3 * h;
        let high = my < all.min_y + 0.45 * h;
        let near = (mx - cx).abs() < w;
        if small && high && near && strokes.len() > 1 {
            let d = (mx - cx).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
    }
    match best {
        Some((i, _)) => {
            strokes.remove(i);
            true
        }
        None => false,
    }
}

/// Relative width of a letter in a word (for placing letters along a word ink's x-extent).
fn width(c: char) -> f64 {
    match c {
        'm' | 'w' | 'M' | 'W' => 1.5,
        'i' | 'l' | 'j' | 'I' | '\'' | '.' | ',' | '!' => 0.45,
        't' | 'f' | 'r' => 0.7,
        c if c.is_ascii_uppercase() => 1.2,
        _ => 1.0,
    }
}

/// Each letter's x-range in a word ink spanning `[x0, x1]`, from letter widths.
pub fn letter_ranges(text: &str, x0: f64, x1: f64) -> Vec<(f64, f64)> {
    let widths: Vec<f64> = text.chars().map(width).collect();
    let total: f64 = widths.iter().sum::<f64>().max(1e-9);
    let mut x = x0;
    widths
        .iter()
        .map(|w| {
            let next = x + (x1 - x0) * w / total;
            let range = (x, next);
            x = next;
            range
        })
        .collect()
}

/// Top and bottom (y down) of the ink's points within `[xa, xb]`, or `None` when there are none.
pub fn column(strokes: &[Vec<Point>], xa: f64, xb: f64) -> Option<(f64, f64)> {
    let mut range: Option<(f64, f64)> = None;
    for p in strokes.iter().flatten().filter(|p| p.x >= xa && p.x <= xb) {
        range = Some(range.map_or((p.y, p.y), |(t, b)| (t.min(p.y), b.max(p.y))));
    }
    range
}

/// Index of the last stroke (in writing order) whose centre lies in `[xa, xb]`.
pub fn last_stroke_in(strokes: &[Vec<Point>], xa: f64, xb: f64) -> Option<usize> {
    strokes.iter().rposition(|s| {
        let b = bbox(std::slice::from_ref(s));
        let mx = 0.5 * (b.min_x + b.max_x);
        mx >= xa && mx <= xb
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64, t: f64) -> Point {
        Point { x, y, t }
    }

    #[test]
    fn fit_puts_the_baseline_and_height_where_asked() {
        // An "x"-height letter 10 high, scaled to h = 40 on baseline 100.
        let mut s = vec![vec![pt(5.0, 0.0, 0.0), pt(15.0, 10.0, 10.0)]];
        fit(&mut s, "a", 40.0, 0.0, 100.0);
        let b = bbox(&s);
        assert!((b.max_y - 100.0).abs() < 1e-9 && (b.height() - 40.0).abs() < 1e-9);
        assert!((b.min_x - 0.0).abs() < 1e-9);
        // A descender goes below the baseline.
        let mut g = vec![vec![pt(0.0, 0.0, 0.0), pt(5.0, 18.0, 10.0)]];
        fit(&mut g, "g", 40.0, 0.0, 100.0);
        assert!((bbox(&g).max_y - 132.0).abs() < 1e-9);
    }

    #[test]
    fn the_i_dot_is_removed_and_the_stem_kept() {
        let mut s = vec![
            vec![pt(5.0, 10.0, 0.0), pt(5.0, 40.0, 10.0)],
            vec![pt(5.0, 0.0, 30.0), pt(6.0, 1.0, 40.0)],
        ];
        assert!(remove_dot(&mut s, 0.0, 10.0));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0][0].y, 10.0);
        assert!(!remove_dot(&mut s, 0.0, 10.0));
    }

    #[test]
    fn letter_ranges_cover_the_word_in_order() {
        let r = letter_ranges("mil", 0.0, 100.0);
        assert_eq!(r.len(), 3);
        assert!(r[0].1 - r[0].0 > 2.0 * (r[1].1 - r[1].0));
        assert!((r[2].1 - 100.0).abs() < 1e-9);
    }
}
