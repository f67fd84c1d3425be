//! CTC forced alignment: which frames (curves) produced which character of a given text.
//!
//! Works for any candidate, whichever decoder found it: the Viterbi path of the text's labels
//! `blank, c1, blank, c2, …, cn, blank` through the per-frame log-probabilities, with the usual CTC
//! transitions (stay, next, or skip a blank between two different labels). Characters that are not
//! in the alphabet, and whitespace before the first written character (the beam search may add a
//! leading space the ink did not write), take no frames.

use std::collections::HashMap;

use super::LogProbs;

/// The best path of a text through the frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Per frame, the character (index into the text's `chars()`) the path emits there, `None`
    /// for blank.
    pub frames: Vec<Option<usize>>,
    /// Per frame, the probability the network gave the path's symbol there (blank or character).
    pub posteriors: Vec<f32>,
    /// Number of characters in the text.
    pub chars: usize,
}

impl Alignment {
    /// Mean per-frame probability along the path (1 for an ink without frames).
    pub fn mean_posterior(&self) -> f32 {
        if self.posteriors.is_empty() {
            1.0
        } else {
            self.posteriors.iter().sum::<f32>() / self.posteriors.len() as f32
        }
    }

    /// The smallest, over aligned characters, of the best probability among a character's frames
    /// (1 when no character is aligned).
    pub fn min_char_posterior(&self) -> f32 {
        let mut best = vec![f32::NAN; self.chars];
        for (frame, p) in self.frames.iter().zip(&self.posteriors) {
            if let Some(c) = frame {
                if let Some(b) = best.get_mut(*c) {
                    *b = if b.is_nan() { *p } else { b.max(*p) };
                }
            }
        }
        best.into_iter().filter(|p| !p.is_nan()).fold(1.0, f32::min)
    }
}

/// Maps characters to alphabet indices (single-character symbols; index 0, the blank, excluded).
#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
    map: HashMap<char, usize>,
}

impl SymbolIndex {
    /// The index of `alphabet` (entry 0 is the blank); entries longer than one character are
    /// left out.
    pub fn new(alphabet: &[String]) -> Self {
        let map = alphabet
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(i, s)| {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some((c, i)),
                    _ => None,
                }
            })
            .collect();
        SymbolIndex { map }
    }

    /// Per character of `text`, its alphabet index when the ink can have written it: `None` for
    /// characters outside the alphabet and for leading whitespace.
    pub fn labels(&self, text: &str) -> Vec<Option<usize>> {
        let mut leading = true;
        text.chars()
            .map(|c| {
                leading &= c.is_whitespace();
                if leading {
                    None
                } else {
                    self.map.get(&c).copied()
                }
            })
            .collect()
    }
}

/// The Viterbi alignment of `labels` (per character, an alphabet index or `None` for a character
/// that takes no frame) through `logprobs`; `None` when the frames are too few for the text or no
/// path has a finite probability. Non-finite log-probabilities read as impossible.
///
/// # Example
/// ```
/// use inkjot::decode::{LogProbs, align::forced_align};
/// let ln = |p: f32| p.ln();
/// // Three frames over {blank, a, b}: a, blank, b.
/// let m = LogProbs::new(vec![
///     ln(0.1), ln(0.8), ln(0.1),
///     ln(0.8), ln(0.1), ln(0.1),
///     ln(0.1), ln(0.1), ln(0.8),
/// ], 3).unwrap();
/// let a = forced_align(&m, &[Some(1), Some(2)]).unwrap();
/// assert_eq!(a.frames, [Some(0), None, Some(1)]);
/// ```
pub fn forced_align(logprobs: &LogProbs, labels: &[Option<usize>]) -> Option<Alignment> {
    let written: Vec<(usize, usize)> = labels
        .iter()
        .enumerate()
        .filter_map(|(pos, l)| l.map(|l| (pos, l)))
        .collect();
    let frames = logprobs.frames();
    let symbols = logprobs.symbols();
    if written.iter().any(|&(_, l)| l >= symbols) {
        return None;
    }
    // Extended labels: even states are blanks, state 2k + 1 is written[k].
    let states = 2 * written.len() + 1;
    let label = |s: usize| if s % 2 == 0 { 0 } else { written[s / 2].1 };
    let lp = |t: usize, s: usize| {
        let v = logprobs.row(t)[label(s)];
        if v.is_finite() { v } else { f32::NEG_INFINITY }
    };
    if frames == 0 {
        return written.is_empty().then(|| Alignment {
            frames: Vec::new(),
            posteriors: Vec::new(),
            chars: labels.len(),
        });
    }
    let mut score = vec![f32::NEG_INFINITY; states];
    let mut back = vec![0u8; frames * states];
    score[0] = lp(0, 0);
    if states > 1 {
        score[1] = lp(0, 1);
    }
    let mut next = vec![f32::NEG_INFINITY; states];
    for t in 1..frames {
        for s in 0..states {
            let mut best = (score[s], 0u8);
            if s >= 1 && score[s - 1] > best.0 {
                best = (score[s - 1], 1);
            }
            if s >= 2 && s % 2 == 1 && label(s) != label(s - 2) && score[s - 2] > best.0 {
                best = (score[s - 2], 2);
            }
            next[s] = best.0 + lp(t, s);
            back[t * states + s] = best.1;
        }
        std::mem::swap(&mut score, &mut next);
    }
    let last = states - 1;
    let mut s = if states > 1 && score[last - 1] > score[last] {
        last - 1
    } else {
        last
    };
    if !score[s].is_finite() {
        return None;
    }
    let mut path = vec![0usize; frames];
    for t in (0..frames).rev() {
        path[t] = s;
        if t > 0 {
            s -= usize::from(back[t * states + s]);
        }
    }
    Some(Alignment {
        frames: path
            .iter()
            .map(|&s| (s % 2 == 1).then(|| written[s / 2].0))
            .collect(),
        posteriors: path
            .iter()
            .enumerate()
            .map(|(t, &s)| lp(t, s).exp())
            .collect(),
        chars: labels.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alphabet() -> Vec<String> {
        std::iter::once(String::new())
            .chain((' '..='~').map(String::from))
            .collect()
    }

    /// Every CTC path of `labels` over `frames` frames, by brute force: the oracle.
    fn best_by_brute_force(m: &LogProbs, labels: &[usize]) -> Option<(f32, Vec<usize>)> {
        let (t, k) = (m.frames(), m.symbols());
        let mut best: Option<(f32, Vec<usize>)> = None;
        let mut path = vec![0usize; t];
        let total = k.pow(t as u32);
        for code in 0..total {
            let mut c = code;
            for p in path.iter_mut() {
                *p = c % k;
                c /= k;
            }
            let mut collapsed = Vec::new();
            let mut prev = 0;
            for &p in &path {
                if p != 0 && p != prev {
                    collapsed.push(p);
                }
                prev = p;
            }
            if collapsed != labels {
                continue;
            }
            let score: f32 = path.iter().enumerate().map(|(i, &p)| m.row(i)[p]).sum();
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, path.clone()));
            }
        }
        best
    }

    #[test]
    fn viterbi_matches_brute_force() {
        let mut rng = crate::features::SplitMix64::new(3);
        for case in 0..40 {
            let (t, k) = (2 + case % 4, 3);
            let data: Vec<f32> = (0..t * k).map(|_| rng.uniform() as f32 + 0.01).collect();
            let mut rows = Vec::new();
            for row in data.chunks(k) {
                let sum: f32 = row.iter().sum();
                rows.extend(row.iter().map(|v| (v / sum).ln()));
            }
            let m = LogProbs::new(rows, k).unwrap();
            let labels: Vec<usize> = match case % 5 {
                0 => vec![1],
                1 => vec![1, 2],
                2 => vec![1, 1],
                3 => vec![2, 1, 2],
                _ => vec![],
            };
            let got = forced_align(&m, &labels.iter().map(|&l| Some(l)).collect::<Vec<_>>());
            let want = best_by_brute_force(&m, &labels);
            match (got, want) {
                (None, None) => {}
                (Some(a), Some((score, _))) => {
                    let got_score: f32 = a.posteriors.iter().map(|p| p.ln()).sum();
                    assert!((got_score - score).abs() < 1e-4, "case {case}");
                    // The path spells the labels in order.
                    let mut seen: Vec<usize> = a.frames.iter().flatten().copied().collect();
                    seen.dedup();
                    assert_eq!(seen, (0..labels.len()).collect::<Vec<_>>(), "case {case}");
                }
                (got, want) => panic!("case {case}: {got:?} vs {want:?}"),
            }
        }
    }

    #[test]
    fn too_few_frames_and_unwritten_characters() {
        let m = LogProbs::new(vec![0.0, f32::NEG_INFINITY, f32::NAN], 3).unwrap();
        // "aa" needs three frames.
        assert_eq!(forced_align(&m, &[Some(1), Some(1)]), None);
        // Only impossible symbols.
        assert_eq!(forced_align(&m, &[Some(1)]), None);
        // Leading spaces and unknown characters take no frame.
        let index = SymbolIndex::new(&alphabet());
        assert_eq!(index.labels(" a\u{e9}"), [None, Some(66), None]);
        let a = forced_align(&m, &[None, None]).unwrap();
        assert_eq!(a.frames, [None]);
        assert_eq!(a.chars, 2);
    }
}
