//! SVG pictures of inks and their fitted curves, for checking the fitter by eye.

use std::fmt::Write;

use crate::features::{Curve, FeatureConfig, fit_ink, normalize};
use crate::ink::InkRecord;

/// Pixels per writing height in the picture.
const SCALE: f64 = 100.0;
/// Margin around each ink, in writing heights.
const MARGIN: f64 = 0.2;

/// Draws each record on its own row: the ink's points in grey, pen-down curves in alternating
/// colours with their control polygons, pen-up curves dashed, and the id and label as a caption.
pub fn render_svg(records: &[InkRecord], config: &FeatureConfig) -> String {
    let mut rows = String::new();
    let mut y_offset = 0.0;
    let mut width: f64 = 1.0;
    for record in records {
        let strokes = normalize(&record.ink, config.area);
        let curves = fit_ink(&record.ink, config);
        let (mut max_x, mut max_y) = (0.0f64, 0.0f64);
        for p in strokes.iter().flatten() {
            max_x = max_x.max(p.x);
            max_y = max_y.max(p.y);
        }
        let top = y_offset + 0.35;
        let _ = writeln!(
            rows,
            r#"<g transform="translate({m},{t})">"#,
            m = MARGIN * SCALE,
            t = top * SCALE
        );
        for stroke in &strokes {
            let pts: Vec<String> = stroke
                .iter()
                .map(|p| format!("{:.2},{:.2}", p.x * SCALE, p.y * SCALE))
                .collect();
            let _ = writeln!(
                rows,
                r##"<polyline points="{}" fill="none" stroke="#bbb" stroke-width="5" stroke-linecap="round"/>"##,
                pts.join(" ")
            );
        }
        for (i, curve) in curves.iter().enumerate() {
            draw_curve(&mut rows, curve, i);
        }
        let caption = format!(
            "{} {} ({} curves)",
            escape(&record.id),
            escape(record.label.as_deref().unwrap_or("")),
            curves.len()
        );
        let _ = writeln!(
            rows,
            r##"<text x="0" y="-8" font-family="sans-serif" font-size="14" fill="#333">{caption}</text></g>"##
        );
        width = width.max(max_x);
        y_offset += max_y + 0.35 + MARGIN;
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}">
<rect width="100%" height="100%" fill="white"/>
{rows}</svg>
"#,
        w = (width + 2.0 * MARGIN) * SCALE + 200.0,
        h = (y_offset + MARGIN) * SCALE
    )
}

fn draw_curve(out: &mut String, curve: &Curve, index: usize) {
    const COLOURS: [&str; 4] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"];
    let c = curve.control.map(|[x, y]| (x * SCALE, y * SCALE));
    let path = format!(
        "M{:.2},{:.2} C{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}",
        c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
    );
    if curve.pen_up {
        let _ = writeln!(
            out,
            r##"<path d="{path}" fill="none" stroke="#999" stroke-width="1" stroke-dasharray="4 3"/>"##
        );
        return;
    }
    let colour = COLOURS[index % COLOURS.len()];
    let _ = writeln!(
        out,
        r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>"#
    );
    let _ = writeln!(
        out,
        r#"<polyline points="{:.2},{:.2} {:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" fill="none" stroke="{colour}" stroke-width="0.6" stroke-opacity="0.5"/>"#,
        c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1, c[3].0, c[3].1
    );
    let _ = writeln!(
        out,
        r#"<circle cx="{:.2}" cy="{:.2}" r="2.5" fill="{colour}"/>"#,
        c[3].0, c[3].1
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
