//! The capitalization model the beam search uses with a lowercase LM (which cannot tell "Hello"
//! from "hELLO"): within a word, lower case, a capital first letter and ALL CAPS are free; every
//! letter that switches case against those patterns is a violation, which the search charges
//! [`BeamConfig::case_penalty`](super::BeamConfig::case_penalty). Characters that are not
//! letters (digits, punctuation) leave the state alone; whitespace starts a new word. A word of
//! two or more letters that starts with a capital can also be charged
//! [`BeamConfig::capital_penalty`](super::BeamConfig::capital_penalty) (a prior for lower case,
//! where the ink cannot tell "c" from "C").

/// Where a word stands in its capitalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Case {
    /// No letter yet.
    #[default]
    Start,
    /// The last letter is lowercase and the word follows its pattern.
    Lower,
    /// One letter so far, a capital.
    First,
    /// The last letter is a capital after at least two letters (ALL CAPS so far).
    Upper,
}

impl Case {
    /// The state after `c` and whether `c` breaks the word's pattern.
    pub(crate) fn next(self, c: char) -> (Case, bool) {
        if c.is_whitespace() {
            return (Case::Start, false);
        }
        let (upper, lower) = (c.is_uppercase(), c.is_lowercase());
        match self {
            _ if !upper && !lower => (self, false),
            Case::Start if upper => (Case::First, false),
            Case::Start => (Case::Lower, false),
            Case::First if upper => (Case::Upper, false),
            Case::First => (Case::Lower, false),
            Case::Lower if upper => (Case::Upper, true),
            Case::Lower => (Case::Lower, false),
            Case::Upper if lower => (Case::Lower, true),
            Case::Upper => (Case::Upper, false),
        }
    }

    /// Whether `c` is the second letter of a word that starts with a capital.
    pub(crate) fn capitalizes(self, c: char) -> bool {
        self == Case::First && (c.is_uppercase() || c.is_lowercase())
    }

    /// The state after `text`, and its number of violations.
    pub(crate) fn read(self, text: &str) -> (Case, usize) {
        text.chars().fold((self, 0), |(state, n), c| {
            let (next, bad) = state.next(c);
            (next, n + usize::from(bad))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mixed_case_is_a_violation() {
        let bad = |t: &str| Case::Start.read(t).1;
        for ok in [
            "hello",
            "Hello",
            "HELLO",
            "I",
            "a",
            "I'm",
            "2pm",
            "e.g.",
            "Hi THERE you",
        ] {
            assert_eq!(bad(ok), 0, "{ok}");
        }
        assert_eq!(bad("hELLO"), 1);
        assert_eq!(bad("tHE"), 1);
        assert_eq!(bad("GammER"), 1);
        assert_eq!(bad("HeLLo"), 2);
        assert_eq!(bad("tHE Pro GammER"), 2);
    }
}
