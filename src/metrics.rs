//! Accuracy measures for evaluation: edit distances, character and word error rates.

/// Levenshtein distance between two sequences.
///
/// # Example
/// ```
/// use inkjot::metrics::edit_distance;
/// let a: Vec<char> = "kitten".chars().collect();
/// let b: Vec<char> = "sitting".chars().collect();
/// assert_eq!(edit_distance(&a, &b), 3);
/// ```
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(x != y);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Running totals of errors over many (reference, hypothesis) pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ErrorCounts {
    /// Pairs seen.
    pub samples: usize,
    /// Pairs whose hypothesis equals the reference.
    pub exact: usize,
    /// Character edits needed.
    pub char_errors: usize,
    /// Characters in the references.
    pub chars: usize,
    /// Word edits needed (words split on whitespace).
    pub word_errors: usize,
    /// Words in the references.
    pub words: usize,
}

impl ErrorCounts {
    /// Adds one pair.
    pub fn add(&mut self, reference: &str, hypothesis: &str) {
        let r: Vec<char> = reference.chars().collect();
        let h: Vec<char> = hypothesis.chars().collect();
        let rw: Vec<&str> = reference.split_whitespace().collect();
        let hw: Vec<&str> = hypothesis.split_whitespace().collect();
        self.samples += 1;
        self.exact += usize::from(reference == hypothesis);
        self.char_errors += edit_distance(&r, &h);
        self.chars += r.len();
        self.word_errors += edit_distance(&rw, &hw);
        self.words += rw.len();
    }

    /// Character error rate: character edits / reference characters.
    pub fn cer(&self) -> f64 {
        self.char_errors as f64 / self.chars.max(1) as f64
    }

    /// Word error rate: word edits / reference words.
    pub fn wer(&self) -> f64 {
        self.word_errors as f64 / self.words.max(1) as f64
    }

    /// Share of pairs recognized exactly.
    pub fn exact_rate(&self) -> f64 {
        self.exact as f64 / self.samples.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_errors() {
        let mut c = ErrorCounts::default();
        c.add("the cat", "the cot");
        c.add("dog", "dog");
        assert_eq!(c.char_errors, 1);
        assert_eq!(c.chars, 10);
        assert_eq!(c.word_errors, 1);
        assert_eq!(c.words, 3);
        assert_eq!(c.exact, 1);
        assert!((c.cer() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn edit_distance_handles_empty() {
        assert_eq!(edit_distance::<char>(&[], &['a', 'b']), 2);
        assert_eq!(edit_distance(&['a'], &[]), 1);
    }
}
