//! Hershey fonts (`*.jhf`, printable ASCII) as pen trajectories, and the symbols UNIPEN lacks
//! (€ £ ¥ ° § « » „ “ ” ‘ ’ ¿ ¡ – … ·) composed from their glyphs.

use std::path::Path;

use super::geometry::{Strokes, smooth, trajectory, uniform};
use crate::error::{Error, Result};
use crate::features::SplitMix64;

/// One glyph: strokes as polylines in Hershey units (y down, baseline at 9, cap top at -12).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Glyph {
    /// The pen-down polylines.
    pub strokes: Vec<Vec<(f64, f64)>>,
}

/// A Hershey font: glyphs for ASCII 32 to 127 in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct HersheyFont {
    /// The font's file stem (`futural`, `scripts`, ...).
    pub name: String,
    glyphs: Vec<Glyph>,
}

impl HersheyFont {
    /// Parses the text of a `.jhf` file (glyph lines may wrap; the vertex count says how long a
    /// glyph is).
    pub fn parse(name: &str, text: &str) -> Result<HersheyFont> {
        let bad =
            |line: usize, why: &str| Error::parse(line, format!("Hershey font {name}: {why}"));
        let mut glyphs = Vec::new();
        let mut lines = text.lines().enumerate().peekable();
        while let Some((n, line)) = lines.next() {
            if line.trim().is_empty() {
                continue;
            }
            let count: usize = line
                .get(5..8)
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| bad(n + 1, "no vertex count"))?;
            let mut body: String = line.get(8..).unwrap_or("").to_string();
            while body.len() < 2 * count {
                match lines.next() {
                    Some((_, more)) => body.push_str(more),
                    None => return Err(bad(n + 1, "glyph cut short")),
                }
            }
            let bytes = body.as_bytes();
            let mut glyph = Glyph::default();
            let mut current: Vec<(f64, f64)> = Vec::new();
            // The first pair is the left and right extent.
            for pair in bytes.chunks_exact(2).take(count).skip(1) {
                if pair == b" R" {
                    if current.len() > 1 {
                        glyph.strokes.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    continue;
                }
                let x = f64::from(pair[0]) - f64::from(b'R');
                let y = f64::from(pair[1]) - f64::from(b'R');
                current.push((x, y));
            }
            if current.len() > 1 {
                glyph.strokes.push(current);
            }
            glyphs.push(glyph);
        }
        if glyphs.len() < 95 {
            return Err(bad(0, "fewer than 95 glyphs"));
        }
        Ok(HersheyFont {
            name: name.to_string(),
            glyphs,
        })
    }

    /// Reads every `*.jhf` file of `dir` (sorted by name).
    pub fn read_dir(dir: &Path) -> Result<Vec<HersheyFont>> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jhf"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
                HersheyFont::parse(&stem.unwrap_or_default(), &text).map_err(|e| e.in_file(p))
            })
            .collect()
    }

    /// The glyph of a printable ASCII character.
    pub fn ascii(&self, c: char) -> Option<&Glyph> {
        let code = u32::from(c);
        if !(32..128).contains(&code) {
            return None;
        }
        self.glyphs.get((code - 32) as usize)
    }

    /// The glyph of `c`: printable ASCII, or one of [`crate::alphabet::SYMBOLS`] composed from
    /// ASCII glyphs.
    pub fn glyph(&self, c: char) -> Option<Glyph> {
        let g = |c| self.ascii(c).cloned();
        // (glyph, scale, dx, dy) parts; Hershey units, baseline y = 9, x-height top y = -5.
        let parts: Vec<(Glyph, f64, f64, f64)> = match c {
            '€' => vec![
                (g('C')?, 1.0, 0.0, 0.0),
                (bar(-12.0, 3.0, -2.0), 1.0, 0.0, 0.0),
                (bar(-12.0, 3.0, 2.0), 1.0, 0.0, 0.0),
            ],
            '¥' => vec![
                (g('Y')?, 1.0, 0.0, 0.0),
                (bar(-6.0, 6.0, 1.0), 1.0, 0.0, 0.0),
                (bar(-6.0, 6.0, 4.5), 1.0, 0.0, 0.0),
            ],
            '£' => vec![(pound(), 1.0, 0.0, 0.0)],
            '°' => vec![(g('o')?, 0.5, 0.0, -14.0)],
            '§' => vec![(g('S')?, 0.55, 0.0, -6.0), (g('S')?, 0.55, 0.0, 4.0)],
            '«' => vec![(g('<')?, 0.6, -3.5, -1.0), (g('<')?, 0.6, 3.5, -1.0)],
            '»' => vec![(g('>')?, 0.6, -3.5, -1.0), (g('>')?, 0.6, 3.5, -1.0)],
            '„' => vec![(g(',')?, 1.0, -3.0, 0.0), (g(',')?, 1.0, 3.0, 0.0)],
            '”' => vec![(g(',')?, 1.0, -3.0, -19.0), (g(',')?, 1.0, 3.0, -19.0)],
            '“' => vec![
                (rotated(g(',')?), 1.0, -3.0, -10.0),
                (rotated(g(',')?), 1.0, 3.0, -10.0),
            ],
            '’' => vec![(g(',')?, 1.0, 0.0, -19.0)],
            '‘' => vec![(rotated(g(',')?), 1.0, 0.0, -10.0)],
            '¿' => vec![(rotated(g('?')?), 1.0, 0.0, 3.0)],
            '¡' => vec![(rotated(g('!')?), 1.0, 0.0, 3.0)],
            '–' => vec![(bar(-9.0, 9.0, 0.0), 1.0, 0.0, 0.0)],
            '…' => vec![
                (g('.')?, 1.0, -7.0, 0.0),
                (g('.')?, 1.0, 0.0, 0.0),
                (g('.')?, 1.0, 7.0, 0.0),
            ],
            '·' => vec![(g('.')?, 1.0, 0.0, -7.0)],
            c if c.is_ascii() => return g(c),
            _ => return None,
        };
        let mut out = Glyph::default();
        for (glyph, s, dx, dy) in parts {
            out.strokes.extend(glyph.strokes.into_iter().map(|p| {
                p.into_iter()
                    .map(|(x, y)| (x * s + dx, y * s + dy))
                    .collect()
            }));
        }
        Some(out)
    }
}

/// A horizontal bar from `x0` to `x1` at height `y`.
fn bar(x0: f64, x1: f64, y: f64) -> Glyph {
    Glyph {
        strokes: vec![vec![(x0, y), (x1, y)]],
    }
}

/// The glyph turned by 180° about its centre (¿ from ?, ¡ from !, ‘ from ,).
fn rotated(g: Glyph) -> Glyph {
    let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
    for &(x, y) in g.strokes.iter().flatten() {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    let (cx, cy) = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
    Glyph {
        strokes: g
            .strokes
            .into_iter()
            .map(|p| {
                p.into_iter()
                    .map(|(x, y)| (2.0 * cx - x, 2.0 * cy - y))
                    .collect()
            })
            .collect(),
    }
}

/// £ drawn by hand: a hooked stem with a foot, and a cross bar.
fn pound() -> Glyph {
    Glyph {
        strokes: vec![
            vec![
                (6.0, -9.0),
                (4.0, -11.5),
                (0.0, -12.0),
                (-3.0, -10.0),
                (-3.5, -5.0),
                (-3.0, 2.0),
                (-5.0, 7.0),
                (-7.0, 9.0),
                (-3.0, 7.5),
                (2.0, 9.0),
                (7.0, 8.0),
            ],
            vec![(-7.0, -2.0), (3.0, -2.0)],
        ],
    }
}

/// A glyph written as pen strokes: smoothed a little, jittered, slanted by `slant`, scaled so
/// that Hershey's cap height (21 units) is `cap` ink units, placed with its baseline at
/// `(x, baseline)`, moving with a human velocity profile from `t0`, sampled every `dt` ms.
#[allow(clippy::too_many_arguments)]
pub fn write_glyph(
    glyph: &Glyph,
    x: f64,
    baseline: f64,
    cap: f64,
    slant: f64,
    t0: f64,
    dt: f64,
    rng: &mut SplitMix64,
) -> Strokes {
    let s = cap / 21.0;
    let wobble = uniform(rng, 0.2, 0.6);
    let mut t = t0;
    let mut out = Vec::new();
    for path in &glyph.strokes {
        let pts: Vec<(f64, f64)> = path
            .iter()
            .map(|&(gx, gy)| {
                let (gx, gy) = (gx + rng.normal() * wobble, gy + rng.normal() * wobble);
                let h = 9.0 - gy;
                (x + (gx + slant * h) * s, baseline - h * s)
            })
            .collect();
        let stroke = trajectory(&smooth(&pts, 3), t, dt, cap / 2.0);
        t = stroke.last().map_or(t, |p| p.t) + uniform(rng, 80.0, 200.0);
        out.push(stroke);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three of the fonts of `../shared/data/hershey`, with their licence.
    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hershey");

    #[test]
    fn parses_a_glyph_with_pen_ups() {
        // '"' of futural: two vertical strokes.
        let mut text = String::new();
        for _ in 0..96 {
            text.push_str("12345  6JZNFNM RVFVM\n");
        }
        let font = HersheyFont::parse("t", &text).unwrap();
        let g = font.ascii('"').unwrap();
        assert_eq!(
            g.strokes,
            vec![
                vec![(-4.0, -12.0), (-4.0, -5.0)],
                vec![(4.0, -12.0), (4.0, -5.0)]
            ]
        );
        assert!(HersheyFont::parse("t", "12345  9MW\n").is_err());
    }

    #[test]
    fn every_symbol_has_a_glyph_in_every_font() {
        let fonts = HersheyFont::read_dir(Path::new(DIR)).unwrap();
        assert_eq!(fonts.len(), 3);
        for font in &fonts {
            for c in crate::alphabet::SYMBOLS.chars() {
                let g = font.glyph(c).unwrap_or_default();
                assert!(!g.strokes.is_empty(), "{} {c}", font.name);
            }
        }
    }
}
