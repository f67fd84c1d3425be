//! A user's own words (contacts, a personal dictionary) that the beam search favours without
//! rebuilding the language pack.
//!
//! The words are kept in a small case-insensitive trie that the search walks alongside the LM:
//! while the word being read is a prefix of a user word it earns
//! [`BeamConfig::user_prefix_bonus`](super::BeamConfig::user_prefix_bonus) per character, taken
//! back when the word leaves the list; a word that ends (whitespace, punctuation or the end of the
//! ink) as a user word keeps that credit and earns
//! [`BeamConfig::user_word_bonus`](super::BeamConfig::user_word_bonus).

use crate::error::{Error, Result};

/// Most words in one list.
pub const MAX_USER_WORDS: usize = 100_000;
/// Longest user word, in characters.
pub const MAX_USER_WORD_CHARS: usize = 64;

/// State of a walk that has left the list (the current word is not a user word's prefix).
pub(crate) const OUTSIDE: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Default)]
struct TrieNode {
    /// `(lowercase character, child)`, sorted by character.
    children: Vec<(char, u32)>,
    /// A user word ends here.
    word: bool,
}

/// A list of user words, compiled for the beam search; matching ignores case.
///
/// # Example
/// ```
/// use inkjot::decode::UserWords;
/// let words = UserWords::parse("Zofia\nKrzysztof\n\n")?;
/// assert_eq!(words.len(), 2);
/// assert!(words.contains("zofia") && words.contains("ZOFIA") && !words.contains("zof"));
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UserWords {
    nodes: Vec<TrieNode>,
    words: usize,
}

impl UserWords {
    /// The words of `text`: one per line (any whitespace separates words; blank lines are
    /// skipped). Fails on more than [`MAX_USER_WORDS`] words or a word longer than
    /// [`MAX_USER_WORD_CHARS`] characters.
    pub fn parse(text: &str) -> Result<Self> {
        Self::new(text.split_whitespace())
    }

    /// A list from words (each split at whitespace; empty ones skipped; duplicates count once).
    pub fn new<I, S>(words: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = UserWords {
            nodes: vec![TrieNode::default()],
            words: 0,
        };
        for entry in words {
            for word in entry.as_ref().split_whitespace() {
                if word.chars().count() > MAX_USER_WORD_CHARS {
                    return Err(Error::invalid(
                        "user_words",
                        format!("a word is longer than {MAX_USER_WORD_CHARS} characters"),
                    ));
                }
                list.insert(word);
                if list.words > MAX_USER_WORDS {
                    return Err(Error::invalid(
                        "user_words",
                        format!("more than {MAX_USER_WORDS} words"),
                    ));
                }
            }
        }
        Ok(list)
    }

    fn insert(&mut self, word: &str) {
        let mut state = 0u32;
        for c in word.chars().flat_map(char::to_lowercase) {
            state = match self.child(state, c) {
                Some(next) => next,
                None => {
                    let next = self.nodes.len() as u32;
                    self.nodes.push(TrieNode::default());
                    let children = &mut self.nodes[state as usize].children;
                    let at = children.partition_point(|&(k, _)| k < c);
                    children.insert(at, (c, next));
                    next
                }
            };
        }
        let node = &mut self.nodes[state as usize];
        if !node.word {
            node.word = true;
            self.words += 1;
        }
    }

    /// Number of distinct words (ignoring case).
    pub fn len(&self) -> usize {
        self.words
    }

    /// True when the list has no word.
    pub fn is_empty(&self) -> bool {
        self.words == 0
    }

    /// Whether `word` is in the list (ignoring case).
    pub fn contains(&self, word: &str) -> bool {
        let end = word.chars().try_fold(Self::ROOT, |s, c| self.step(s, c));
        end.is_some_and(|s| self.is_word(s))
    }

    /// The start of a word.
    pub(crate) const ROOT: u32 = 0;

    fn child(&self, state: u32, c: char) -> Option<u32> {
        let children = &self.nodes.get(state as usize)?.children;
        children
            .binary_search_by_key(&c, |&(k, _)| k)
            .ok()
            .map(|i| children[i].1)
    }

    /// The state after `c` (compared in lowercase), `None` when no user word continues so.
    pub(crate) fn step(&self, state: u32, c: char) -> Option<u32> {
        c.to_lowercase().try_fold(state, |s, l| self.child(s, l))
    }

    /// Whether a user word ends at `state`.
    pub(crate) fn is_word(&self, state: u32) -> bool {
        self.nodes.get(state as usize).is_some_and(|n| n.word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_ignore_case_and_stop_outside_the_list() {
        let words = UserWords::new(["Zofia", "zofia", "Zoë", "New York"]).unwrap();
        assert_eq!(words.len(), 4, "zofia once, New and York apart");
        let s = "ZO"
            .chars()
            .try_fold(UserWords::ROOT, |s, c| words.step(s, c));
        let s = s.unwrap();
        assert!(!words.is_word(s));
        assert!(words.step(s, 'x').is_none());
        assert!(words.contains("zoË") && words.contains("york"));
        assert!(!words.contains("new york") && !words.contains(""));
        assert!(UserWords::parse("").unwrap().is_empty());
    }

    #[test]
    fn oversized_lists_are_errors() {
        let long = "a".repeat(MAX_USER_WORD_CHARS + 1);
        assert!(matches!(
            UserWords::new([long.as_str()]),
            Err(Error::InvalidArgument { .. })
        ));
        let many: Vec<String> = (0..=MAX_USER_WORDS).map(|i| format!("w{i}")).collect();
        assert!(UserWords::new(&many).is_err());
    }
}
