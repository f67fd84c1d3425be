//! Greedy (best path) CTC decoding.

use super::{Candidate, LogProbs};

/// Best-path decoding: the most likely symbol per frame, repeats merged, blanks dropped.
///
/// The score is the log-probability of that single best path (a lower bound of the text's
/// probability). `alphabet[0]` is the blank and is never emitted; symbols beyond the alphabet are
/// skipped.
///
/// # Example
/// ```
/// use inkjot::decode::{greedy, LogProbs};
/// let alphabet: Vec<String> = ["", "a", "b"].iter().map(|s| s.to_string()).collect();
/// let ln = |p: f32| p.ln();
/// let m = LogProbs::new(vec![
///     ln(0.1), ln(0.8), ln(0.1),   // a
///     ln(0.1), ln(0.8), ln(0.1),   // a (repeat, merged)
///     ln(0.8), ln(0.1), ln(0.1),   // blank
///     ln(0.1), ln(0.1), ln(0.8),   // b
/// ], 3).unwrap();
/// assert_eq!(greedy(&m, &alphabet).text, "ab");
/// ```
pub fn greedy(logprobs: &LogProbs, alphabet: &[String]) -> Candidate {
    let mut text = String::new();
    let mut score = 0.0f32;
    let mut previous = 0usize;
    for t in 0..logprobs.frames() {
        let row = logprobs.row(t);
        let (best, value) = row
            .iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
            );
        score += value;
        if best != 0 && best != previous {
            if let Some(symbol) = alphabet.get(best) {
                text.push_str(symbol);
            }
        }
        previous = best;
    }
    Candidate::new(text, score)
}
