//! Word pairs from running text: how much more often a word follows another than chance would
//! have it (pointwise mutual information, PMI), the context across words that a character
//! 6-gram cannot see (it reads only the last five characters).
//!
//! A word is a maximal run of letters and apostrophes (`’` reads as `'`), lowercased; anything
//! else separates words. A pair is two words in a row within one line of text. The table keeps
//! the most frequent pairs seen at least `min_count` times, each as a 32-bit fingerprint of the
//! two words' 64-bit hashes and its PMI quantized to one byte: no vocabulary is stored, and a pair
//! the table does not hold scores 0. The beam search adds
//! [`BeamConfig::word_pair_weight`](super::BeamConfig::word_pair_weight) × PMI when a word ends
//! after another; the pre-context gives the first word its predecessor. The table travels in the
//! compact LM file (`lm.bin`, see [`lm_compact`](super::lm_compact)).

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Most pairs a table holds.
pub const MAX_WORD_PAIRS: usize = 1 << 22;

/// Hash of "no word": no word has started, or none came before.
pub(crate) const NO_WORD: u64 = 0;
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Whether `c` belongs to a word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || c == '\'' || c == '’'
}

/// The hash of the word `hash` (or [`NO_WORD`] to start one) followed by the word character `c`;
/// never [`NO_WORD`].
pub(crate) fn extend_word(hash: u64, c: char) -> u64 {
    let c = if c == '’' { '\'' } else { c };
    let mut h = if hash == NO_WORD { FNV_BASIS } else { hash };
    for lower in c.to_lowercase() {
        for byte in (lower as u32).to_le_bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }
    if h == NO_WORD { 1 } else { h }
}

/// The word before the cursor and the one being written, as hashes, read character by character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WordTracker {
    /// The last completed word ([`NO_WORD`] when there is none).
    pub(crate) previous: u64,
    /// The word being written ([`NO_WORD`] between words).
    pub(crate) current: u64,
}

impl WordTracker {
    /// Reads `c`; when `c` ends a word, returns `(previous, word)` (`previous` is [`NO_WORD`]
    /// for a first word).
    pub(crate) fn push(&mut self, c: char) -> Option<(u64, u64)> {
        if is_word_char(c) {
            self.current = extend_word(self.current, c);
            return None;
        }
        self.finish()
    }

    /// Ends the word being written, if any, returning it as [`push`](Self::push) does.
    pub(crate) fn finish(&mut self) -> Option<(u64, u64)> {
        if self.current == NO_WORD {
            return None;
        }
        let ended = (self.previous, self.current);
        self.previous = self.current;
        self.current = NO_WORD;
        Some(ended)
    }

    /// The tracker after reading `text`.
    pub(crate) fn after(text: &str) -> Self {
        let mut tracker = WordTracker::default();
        for c in text.chars() {
            tracker.push(c);
        }
        tracker
    }
}

/// The table's key of a pair of word hashes.
fn pair_key(previous: u64, word: u64) -> u32 {
    let mut x = previous.rotate_left(29) ^ word.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 32) as u32
}

/// A table of word pairs and their PMI (see the module docs).
///
/// # Example
/// ```
/// use inkjot::decode::WordPairs;
/// let text = ["we will see you tomorrow", "see you soon", "see you then", "we see it"];
/// let pairs = WordPairs::from_text(text, 2, 1000)?;
/// assert!(pairs.score_words("see", "you") > 0.0);
/// assert_eq!(pairs.score_words("you", "see"), 0.0); // never seen in that order
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WordPairs {
    /// Pair keys, strictly ascending.
    keys: Vec<u32>,
    /// Quantized PMI per key: `values[i] as f32 * scale`.
    values: Vec<i8>,
    scale: f32,
}

impl WordPairs {
    /// Counts the words and pairs of `lines` (pairs do not cross lines) and keeps the
    /// `max_pairs` most frequent pairs seen at least `min_count` times (at least 1), with their
    /// PMI `ln(c(a b) · N² / (P · c(a) · c(b)))` (`N` words, `P` pairs in all).
    pub fn from_text<'a, I>(lines: I, min_count: u32, max_pairs: usize) -> Result<Self>
    where
        I: IntoIterator<Item = &'a str>,
    {
        if min_count == 0 || max_pairs > MAX_WORD_PAIRS {
            return Err(Error::invalid(
                "word pairs",
                format!(
                    "min_count must be at least 1 and max_pairs at most {MAX_WORD_PAIRS} \
                     (got {min_count}, {max_pairs})"
                ),
            ));
        }
        let mut words: HashMap<u64, u64> = HashMap::new();
        let mut pairs: HashMap<(u64, u64), u64> = HashMap::new();
        for line in lines {
            let mut tracker = WordTracker::default();
            let ended = line
                .chars()
                .filter_map(|c| tracker.push(c))
                .collect::<Vec<_>>();
            for (previous, word) in ended.into_iter().chain(tracker.finish()) {
                *words.entry(word).or_default() += 1;
                if previous != NO_WORD {
                    *pairs.entry((previous, word)).or_default() += 1;
                }
            }
        }
        let n = words.values().sum::<u64>() as f64;
        let p = pairs.values().sum::<u64>() as f64;
        let mut kept: Vec<((u64, u64), u64)> = pairs
            .into_iter()
            .filter(|&(_, c)| c >= u64::from(min_count))
            .collect();
        // Most frequent first; ties in a fixed order, so that the table is deterministic.
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(max_pairs);
        let mut scored: Vec<(u32, f32)> = Vec::with_capacity(kept.len());
        let mut seen = std::collections::HashSet::new();
        for ((a, b), c) in kept {
            let key = pair_key(a, b);
            // Two pairs with one fingerprint: the more frequent keeps it.
            if seen.insert(key) {
                let pmi = (c as f64 * n * n / (p * words[&a] as f64 * words[&b] as f64)).ln();
                scored.push((key, pmi as f32));
            }
        }
        Ok(Self::quantize(scored))
    }

    fn quantize(mut scored: Vec<(u32, f32)>) -> Self {
        scored.sort_unstable_by_key(|&(k, _)| k);
        let largest = scored.iter().fold(0.0f32, |m, &(_, v)| m.max(v.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        WordPairs {
            keys: scored.iter().map(|&(k, _)| k).collect(),
            values: scored
                .iter()
                .map(|&(_, v)| (v / scale).round().clamp(-127.0, 127.0) as i8)
                .collect(),
            scale,
        }
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table holds no pair.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The PMI of the word hashed `word` after the word hashed `previous` (0 for a pair the table
    /// does not hold, and when `previous` is [`NO_WORD`]).
    pub(crate) fn score(&self, previous: u64, word: u64) -> f32 {
        if previous == NO_WORD {
            return 0.0;
        }
        match self.keys.binary_search(&pair_key(previous, word)) {
            Ok(i) => f32::from(self.values[i]) * self.scale,
            Err(_) => 0.0,
        }
    }

    /// The PMI of `word` right after `previous` (each read as one word; 0 for a pair the table
    /// does not hold).
    pub fn score_words(&self, previous: &str, word: &str) -> f32 {
        let hash = |w: &str| w.chars().fold(NO_WORD, extend_word);
        self.score(hash(previous), hash(word))
    }

    /// The largest score in the table (0 when every score is negative or there is none).
    pub fn max_score(&self) -> f32 {
        let largest = self.values.iter().copied().max().unwrap_or(0).max(0);
        f32::from(largest) * self.scale
    }

    /// Bytes [`write`](Self::write) appends.
    pub fn byte_len(&self) -> usize {
        8 + 5 * self.keys.len()
    }

    /// Appends the table: `pairs: u32`, `scale: f32`, the keys (`u32` each, strictly ascending),
    /// the quantized scores (`i8` each), little-endian.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.keys.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.scale.to_le_bytes());
        for k in &self.keys {
            out.extend_from_slice(&k.to_le_bytes());
        }
        out.extend(self.values.iter().map(|&v| v as u8));
    }

    /// Reads a table that [`write`](Self::write) wrote, which must fill `bytes` exactly; the error
    /// is a reason for the caller to wrap.
    pub(crate) fn read(bytes: &[u8]) -> std::result::Result<Self, String> {
        let (head, rest) = bytes
            .split_at_checked(8)
            .ok_or("the word-pair table is cut short")?;
        let count = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let scale = f32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if count > MAX_WORD_PAIRS || rest.len() != 5 * count {
            return Err(format!(
                "the word-pair table says {count} pairs in {} bytes",
                rest.len()
            ));
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(format!("the word-pair scale is {scale}"));
        }
        let (keys, values) = rest.split_at(4 * count);
        let keys: Vec<u32> = keys
            .chunks_exact(4)
            .map(|k| u32::from_le_bytes([k[0], k[1], k[2], k[3]]))
            .collect();
        if keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err("the word-pair keys are not strictly ascending".into());
        }
        Ok(WordPairs {
            keys,
            values: values.iter().map(|&v| v as i8).collect(),
            scale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> WordPairs {
        let text = "the united states and the united kingdom\nunited states of america\n\
                    the states\nthe kingdom\nthe people and the states";
        WordPairs::from_text(text.lines(), 1, 100).unwrap()
    }

    #[test]
    fn pairs_that_go_together_score_above_chance() {
        let t = table();
        assert!(t.score_words("united", "states") > 0.5);
        assert!(t.score_words("UNITED", "States") == t.score_words("united", "states"));
        // "the" is everywhere, "the states" is no more than chance would give.
        assert!(t.score_words("the", "states") < t.score_words("united", "states"));
        assert_eq!(t.score_words("states", "united"), 0.0);
        // Pairs do not cross lines: "kingdom" ends line 1, "united" starts line 2.
        assert_eq!(t.score_words("kingdom", "united"), 0.0);
        assert_eq!(t.score(NO_WORD, extend_word(NO_WORD, 'a')), 0.0);
        assert!(t.max_score() >= t.score_words("united", "states"));
    }

    #[test]
    fn the_tracker_reads_words_as_the_builder_does() {
        let mut tracker = WordTracker::default();
        let pairs: Vec<_> = "Don’t stop, now!"
            .chars()
            .filter_map(|c| tracker.push(c))
            .collect();
        let hash = |w: &str| w.chars().fold(NO_WORD, extend_word);
        assert_eq!(
            pairs,
            [
                (NO_WORD, hash("don't")),
                (hash("don't"), hash("stop")),
                (hash("stop"), hash("now"))
            ]
        );
        assert_eq!(tracker, WordTracker::after("don't stop, now!"));
        let mut open = WordTracker::after("see yo");
        assert_eq!(open.current, hash("yo"));
        assert_eq!(open.finish(), Some((hash("see"), hash("yo"))));
    }

    #[test]
    fn min_count_and_max_pairs_prune() {
        let text = ["a b", "a b", "c d"];
        let twice = WordPairs::from_text(text, 2, 10).unwrap();
        assert_eq!(twice.len(), 1);
        assert_eq!(WordPairs::from_text(text, 1, 1).unwrap().len(), 1);
        assert!(WordPairs::from_text(text, 0, 1).is_err());
        assert!(WordPairs::from_text(text, 1, MAX_WORD_PAIRS + 1).is_err());
        assert!(WordPairs::from_text([""; 0], 1, 10).unwrap().is_empty());
    }

    #[test]
    fn the_table_round_trips_and_bad_bytes_are_refused() {
        let t = table();
        let mut bytes = Vec::new();
        t.write(&mut bytes);
        assert_eq!(bytes.len(), t.byte_len());
        assert_eq!(WordPairs::read(&bytes).unwrap(), t);
        assert!(WordPairs::read(&bytes[..bytes.len() - 1]).is_err());
        assert!(WordPairs::read(&bytes[..3]).is_err());
        let mut unsorted = bytes.clone();
        unsorted.swap(8, 12);
        unsorted.swap(9, 13);
        unsorted.swap(10, 14);
        unsorted.swap(11, 15);
        assert!(WordPairs::read(&unsorted).is_err());
        let mut bad_scale = bytes.clone();
        bad_scale[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(WordPairs::read(&bad_scale).is_err());
    }
}
