//! Joining the candidates of an ink's lines, recognized one by one, into candidates for the ink.
//!
//! The n-best list is kept simple: the first candidate is every line's best, joined with `\n`;
//! the others each replace one line's best by one of that line's alternatives (the best of the
//! other lines around it), ranked by the sum of the lines' scores. Scores that are shares of
//! their line's list (beam search with a language model) are renormalized into shares of the
//! joined list; otherwise (greedy decoding, one candidate per line) the sum is kept, the log-
//! probability of the joined paths. A joined candidate's confidence is the product of its lines'
//! (it is right only when every line is), and its segments are its lines' segments with stroke
//! indices into the whole ink and a `\n` character (no ink) between lines.

use super::{InkLine, TextLine};
use crate::decode::Candidate;
use crate::segment::{Segment, SegmentKind};

/// Joins `per_line` (each line's candidates, best first; line `i`'s strokes are `lines[i]`) into
/// at most `nbest` candidates for the whole ink (see the module docs), and the best candidate's
/// lines. `shares`: the lines' scores are log-shares of their lists, to be renormalized.
pub fn join_candidates(
    per_line: &[Vec<Candidate>],
    lines: &[InkLine],
    nbest: usize,
    shares: bool,
) -> (Vec<Candidate>, Vec<TextLine>) {
    let empty = Candidate::new(String::new(), 0.0);
    let pick = |line: usize, k: usize| per_line.get(line).and_then(|c| c.get(k)).unwrap_or(&empty);
    let count = per_line.len().min(lines.len());
    let mut choices: Vec<Vec<usize>> = vec![vec![0; count]];
    for (line, candidates) in per_line.iter().enumerate().take(count) {
        for k in 1..candidates.len() {
            let mut choice = vec![0; count];
            choice[line] = k;
            choices.push(choice);
        }
    }
    let mut joined: Vec<Candidate> = choices
        .iter()
        .map(|choice| {
            let parts: Vec<&Candidate> = choice
                .iter()
                .enumerate()
                .map(|(line, &k)| pick(line, k))
                .collect();
            join_one(&parts, lines)
        })
        .collect();
    // Best first; the all-best candidate stays first among equal scores (a stable sort).
    joined.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut seen = std::collections::HashSet::new();
    joined.retain(|c| seen.insert(c.text.clone()));
    joined.truncate(nbest.max(1));
    if shares {
        let max = joined
            .iter()
            .map(|c| c.score)
            .fold(f32::NEG_INFINITY, f32::max);
        let total: f32 = joined.iter().map(|c| (c.score - max).exp()).sum();
        if max.is_finite() && total > 0.0 {
            for c in &mut joined {
                c.score = c.score - max - total.ln();
            }
        }
    }
    let text_lines = lines
        .iter()
        .take(count)
        .enumerate()
        .map(|(line, ink_line)| TextLine {
            text: pick(line, 0).text.trim().to_string(),
            strokes: ink_line.strokes.clone(),
            bbox: ink_line.bbox,
        })
        .collect();
    (joined, text_lines)
}

/// One joined candidate from one candidate per line.
fn join_one(parts: &[&Candidate], lines: &[InkLine]) -> Candidate {
    let text = parts
        .iter()
        .map(|c| c.text.trim())
        .collect::<Vec<_>>()
        .join("\n");
    let score = parts.iter().map(|c| c.score).sum();
    let mut joined = Candidate::new(text, score);
    joined.confidence = parts.iter().map(|c| c.confidence).product();
    if parts.iter().any(|c| !c.segments.is_empty()) {
        joined.segments = join_segments(parts, lines);
    }
    joined
}

/// The lines' segments with strokes renumbered into the ink: characters of every line (a `\n`
/// between lines), then words of every line.
fn join_segments(parts: &[&Candidate], lines: &[InkLine]) -> Vec<Segment> {
    let mut chars = Vec::new();
    let mut words = Vec::new();
    for (line, (candidate, ink_line)) in parts.iter().zip(lines).enumerate() {
        if line > 0 {
            chars.push(Segment {
                text: "\n".to_string(),
                kind: SegmentKind::Char,
                strokes: Vec::new(),
                bbox: None,
            });
        }
        let text = &candidate.text;
        let lead = text.chars().count() - text.trim_start().chars().count();
        let trail = text.chars().count() - text.trim_end().chars().count();
        let renumber = |segment: &Segment| {
            let mut segment = segment.clone();
            for range in &mut segment.strokes {
                if let Some(&stroke) = ink_line.strokes.get(range.stroke) {
                    range.stroke = stroke;
                }
            }
            segment
        };
        let own: Vec<&Segment> = candidate
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Char)
            .collect();
        let kept = own.len().saturating_sub(trail);
        chars.extend(own.iter().take(kept).skip(lead).map(|s| renumber(s)));
        words.extend(
            candidate
                .segments
                .iter()
                .filter(|s| s.kind == SegmentKind::Word)
                .map(renumber),
        );
    }
    chars.extend(words);
    chars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::PointRange;
    use crate::ink::BoundingBox;

    fn candidate(text: &str, share: f32) -> Candidate {
        Candidate::new(text.to_string(), share.ln())
    }

    fn line(strokes: Vec<usize>) -> InkLine {
        InkLine {
            strokes,
            bbox: BoundingBox::EMPTY,
        }
    }

    #[test]
    fn best_lines_first_then_one_alternative_at_a_time() {
        let per_line = vec![
            vec![candidate("hello", 0.6), candidate("hallo", 0.4)],
            vec![candidate(" world", 0.9), candidate("word", 0.1)],
        ];
        let lines = vec![line(vec![0, 1]), line(vec![2])];
        let (joined, text_lines) = join_candidates(&per_line, &lines, 10, true);
        let texts: Vec<&str> = joined.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["hello\nworld", "hallo\nworld", "hello\nword"]);
        // Shares of the joined list: 0.54, 0.36, 0.06 renormalized.
        let total = 0.54 + 0.36 + 0.06;
        for (c, p) in joined.iter().zip([0.54f32, 0.36, 0.06]) {
            assert!((c.score.exp() - p / total).abs() < 1e-5, "{c:?}");
        }
        assert!((joined[0].confidence - 0.54).abs() < 1e-5);
        assert_eq!(text_lines[1].text, "world");
        assert_eq!(text_lines[1].strokes, [2]);
        let (top, _) = join_candidates(&per_line, &lines, 1, true);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].score, 0.0);
    }

    #[test]
    fn segments_are_renumbered_with_a_line_break_between_lines() {
        let seg = |text: &str, kind, stroke| Segment {
            text: text.to_string(),
            kind,
            strokes: vec![PointRange {
                stroke,
                first: 0,
                last: 1,
            }],
            bbox: None,
        };
        let mut a = candidate("ab", 1.0);
        a.segments = vec![
            seg("a", SegmentKind::Char, 0),
            seg("b", SegmentKind::Char, 1),
            seg("ab", SegmentKind::Word, 0),
        ];
        let mut b = candidate(" c", 1.0);
        b.segments = vec![
            seg(" ", SegmentKind::Char, 0),
            seg("c", SegmentKind::Char, 0),
            seg("c", SegmentKind::Word, 0),
        ];
        let lines = vec![line(vec![0, 2]), line(vec![1])];
        let (joined, _) = join_candidates(&[vec![a], vec![b]], &lines, 5, true);
        let segments = &joined[0].segments;
        let chars: String = segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Char)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(chars, joined[0].text);
        let strokes: Vec<(String, usize)> = segments
            .iter()
            .filter(|s| !s.strokes.is_empty())
            .map(|s| (s.text.clone(), s.strokes[0].stroke))
            .collect();
        let expected = [("a", 0), ("b", 2), ("c", 1), ("ab", 0), ("c", 1)];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(t, s)| (t.to_string(), *s)).collect();
        assert_eq!(strokes, expected);
    }
}
