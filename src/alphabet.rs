//! The multilingual Latin-script alphabet: the one definition of which letters and symbols the
//! model writes beyond printable ASCII, per language, and how each letter is made from ASCII
//! letters (a base letter plus a mark written as a separate stroke, a dotless base, or two
//! letters joined). `inkjot synth` draws the letters from it and `inkjot alphabet` prints the
//! model alphabet for training (`training/`). Every entry is one precomposed scalar value, so
//! labels built from it are NFC.

/// A mark written apart from a letter's body (a diacritic, or the bar of `ł`, `ø`, `đ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// ´ as in é.
    Acute,
    /// ` as in è.
    Grave,
    /// ^ as in ê.
    Circumflex,
    /// ¨ as in ë.
    Diaeresis,
    /// ~ as in ñ.
    Tilde,
    /// ˚ as in å.
    Ring,
    /// ˇ as in č (an apostrophe beside tall letters: ď, ľ, ť).
    Caron,
    /// ˙ as in ż.
    DotAbove,
    /// ¸ as in ç.
    Cedilla,
    /// ˛ as in ą.
    Ogonek,
    /// A bar through the body as in ł, ø, đ.
    Stroke,
    /// ˝ as in ő.
    DoubleAcute,
    /// ˘ as in ă.
    Breve,
    /// A comma below as in ș.
    CommaBelow,
}

impl Mark {
    /// Every mark, in a fixed order.
    pub const ALL: [Mark; 14] = [
        Mark::Acute,
        Mark::Grave,
        Mark::Circumflex,
        Mark::Diaeresis,
        Mark::Tilde,
        Mark::Ring,
        Mark::Caron,
        Mark::DotAbove,
        Mark::Cedilla,
        Mark::Ogonek,
        Mark::Stroke,
        Mark::DoubleAcute,
        Mark::Breve,
        Mark::CommaBelow,
    ];

    /// True for marks written below the letter.
    pub fn is_below(self) -> bool {
        matches!(self, Mark::Cedilla | Mark::Ogonek | Mark::CommaBelow)
    }
}

/// How a letter beyond ASCII is made from ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Make {
    /// A base letter (its dot removed for i and j) plus a mark.
    Marked(char, Mark),
    /// The base letter without its dot (ı from i).
    Dotless(char),
    /// Two letters written close together (æ, œ).
    Ligature(char, char),
    /// ß: a B-like body whose stem goes below the baseline.
    SharpS,
}

/// Lower-case letters beyond ASCII and how each is made; the upper-case forms are derived
/// ([`make`]).
const LOWER: &[(char, Make)] = {
    use Make::{Dotless, Ligature, Marked, SharpS};
    use Mark::*;
    &[
        ('à', Marked('a', Grave)),
        ('á', Marked('a', Acute)),
        ('â', Marked('a', Circumflex)),
        ('ã', Marked('a', Tilde)),
        ('ä', Marked('a', Diaeresis)),
        ('å', Marked('a', Ring)),
        ('ă', Marked('a', Breve)),
        ('ą', Marked('a', Ogonek)),
        ('æ', Ligature('a', 'e')),
        ('ç', Marked('c', Cedilla)),
        ('ć', Marked('c', Acute)),
        ('č', Marked('c', Caron)),
        ('ď', Marked('d', Caron)),
        ('đ', Marked('d', Stroke)),
        ('è', Marked('e', Grave)),
        ('é', Marked('e', Acute)),
        ('ê', Marked('e', Circumflex)),
        ('ë', Marked('e', Diaeresis)),
        ('ę', Marked('e', Ogonek)),
        ('ě', Marked('e', Caron)),
        ('ğ', Marked('g', Breve)),
        ('ì', Marked('i', Grave)),
        ('í', Marked('i', Acute)),
        ('î', Marked('i', Circumflex)),
        ('ï', Marked('i', Diaeresis)),
        ('ı', Dotless('i')),
        ('ĺ', Marked('l', Acute)),
        ('ľ', Marked('l', Caron)),
        ('ł', Marked('l', Stroke)),
        ('ñ', Marked('n', Tilde)),
        ('ń', Marked('n', Acute)),
        ('ň', Marked('n', Caron)),
        ('ò', Marked('o', Grave)),
        ('ó', Marked('o', Acute)),
        ('ô', Marked('o', Circumflex)),
        ('õ', Marked('o', Tilde)),
        ('ö', Marked('o', Diaeresis)),
        ('ø', Marked('o', Stroke)),
        ('ő', Marked('o', DoubleAcute)),
        ('œ', Ligature('o', 'e')),
        ('ŕ', Marked('r', Acute)),
        ('ř', Marked('r', Caron)),
        ('ś', Marked('s', Acute)),
        ('š', Marked('s', Caron)),
        ('ş', Marked('s', Cedilla)),
        ('ș', Marked('s', CommaBelow)),
        ('ß', SharpS),
        ('ť', Marked('t', Caron)),
        ('ţ', Marked('t', Cedilla)),
        ('ț', Marked('t', CommaBelow)),
        ('ù', Marked('u', Grave)),
        ('ú', Marked('u', Acute)),
        ('û', Marked('u', Circumflex)),
        ('ü', Marked('u', Diaeresis)),
        ('ů', Marked('u', Ring)),
        ('ű', Marked('u', DoubleAcute)),
        ('ý', Marked('y', Acute)),
        ('ÿ', Marked('y', Diaeresis)),
        ('ź', Marked('z', Acute)),
        ('ż', Marked('z', DotAbove)),
        ('ž', Marked('z', Caron)),
    ]
};

/// The languages covered (wordfreq codes; `sh` is Serbo-Croatian, written for hr) and their
/// letters beyond ASCII (lower case).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", ""),
    ("de", "äöüß"),
    ("fr", "àâæçéèêëîïôœùûüÿ"),
    ("es", "áéíñóúü"),
    ("it", "àèéìíîòóùú"),
    ("pt", "áâãàçéêíóôõú"),
    ("pl", "ąćęłńóśźż"),
    ("nl", "éëïóöü"),
    ("sv", "åäöé"),
    ("da", "æøåé"),
    ("nb", "æøåéòô"),
    ("fi", "äöåšž"),
    ("cs", "áčďéěíňóřšťúůýž"),
    ("sk", "áäčďéíĺľňóôŕšťúýž"),
    ("hu", "áéíóöőúüű"),
    ("ro", "ăâîșțşţ"),
    ("sh", "čćđšž"),
    ("sl", "čšž"),
    ("tr", "çğıöşüâîû"),
    ("ca", "àçèéíïòóúü"),
];

/// Symbols beyond ASCII that keyboards of these languages need.
pub const SYMBOLS: &str = "€£¥°§«»„“”‘’¿¡–…·";

/// The ASCII character each symbol of [`SYMBOLS`] looks most like (in the same order).
const SYMBOL_BASES: &str = "CLYoS<>,\"\"''?!-..";

/// The ASCII character `c` is drawn from or looks most like (`é` → `e`, `æ` → `a`, `ß` → `s`,
/// `€` → `C`), e.g. to initialise a new output row from an old one; `None` for ASCII and unknown
/// characters.
pub fn base_of(c: char) -> Option<char> {
    if let Some(i) = SYMBOLS.chars().position(|s| s == c) {
        return SYMBOL_BASES.chars().nth(i);
    }
    Some(match make(c)? {
        Make::Marked(b, _) | Make::Dotless(b) | Make::Ligature(b, _) => b,
        Make::SharpS => 's',
    })
}

/// How `letter` (lower or upper case) is made, or `None` for ASCII and unknown characters.
/// Upper-case forms are made from the upper-case base; `İ` is a dotted capital I.
pub fn make(letter: char) -> Option<Make> {
    if letter == 'İ' {
        return Some(Make::Marked('I', Mark::DotAbove));
    }
    if let Some(&(_, m)) = LOWER.iter().find(|(c, _)| *c == letter) {
        return Some(m);
    }
    let (_, m) = LOWER.iter().find(|(c, _)| upper(*c) == Some(letter))?;
    Some(match *m {
        Make::Marked(base, mark) => Make::Marked(base.to_ascii_uppercase(), mark),
        Make::Ligature(a, b) => Make::Ligature(a.to_ascii_uppercase(), b.to_ascii_uppercase()),
        other => other,
    })
}

/// The single upper-case form of a lower-case letter, when it has one (not for ß and ı).
fn upper(c: char) -> Option<char> {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if u != c && !u.is_ascii() => Some(u),
        _ => None,
    }
}

/// The letters beyond ASCII: lower case in table order, then their upper-case forms, then `İ`.
pub fn extended_letters() -> Vec<char> {
    let mut out: Vec<char> = LOWER.iter().map(|(c, _)| *c).collect();
    out.extend(LOWER.iter().filter_map(|(c, _)| upper(*c)));
    out.push('İ');
    out
}

/// The model alphabet: the CTC blank `""`, printable ASCII (space to `~`), the extended letters,
/// then [`SYMBOLS`]; one scalar per entry.
pub fn model_alphabet() -> Vec<String> {
    let mut out = vec![String::new()];
    out.extend((b' '..=b'~').map(|b| char::from(b).to_string()));
    out.extend(extended_letters().into_iter().map(String::from));
    out.extend(SYMBOLS.chars().map(String::from));
    out
}

/// `text` with every extended letter made by [`Make::Marked`] or [`Make::Dotless`] replaced by
/// its base letter, or `None` when `text` holds another character beyond ASCII (a ligature, ß, a
/// symbol) — the ASCII text whose ink can carry `text`'s marks.
pub fn base_text(text: &str) -> Option<String> {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                return Some(c);
            }
            match make(c)? {
                Make::Marked(base, _) | Make::Dotless(base) => Some(base),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_language_letter_has_a_recipe_in_both_cases() {
        for (lang, letters) in LANGUAGES {
            for c in letters.chars() {
                assert!(make(c).is_some(), "{lang}: {c}");
                if let Some(u) = upper(c) {
                    assert!(make(u).is_some(), "{lang}: {u}");
                }
            }
        }
        assert!(LANGUAGES.len() >= 20);
    }

    #[test]
    fn alphabet_is_unique_and_one_scalar_per_symbol() {
        let alphabet = model_alphabet();
        assert_eq!(alphabet[0], "");
        let set: HashSet<&String> = alphabet.iter().collect();
        assert_eq!(set.len(), alphabet.len());
        assert!(alphabet[1..].iter().all(|s| s.chars().count() == 1));
        for c in "äÄßıİŁłŐőȘșŢţ€«…".chars() {
            assert!(alphabet.contains(&c.to_string()), "{c}");
        }
        // Every language's letters are in it, and every mark is used.
        let used: HashSet<Mark> = extended_letters()
            .iter()
            .filter_map(|&c| match make(c) {
                Some(Make::Marked(_, m)) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(used.len(), Mark::ALL.len());
    }

    #[test]
    fn every_entry_beyond_ascii_has_an_ascii_base() {
        assert_eq!(SYMBOLS.chars().count(), SYMBOL_BASES.chars().count());
        for s in &model_alphabet()[96..] {
            let c = s.chars().next().unwrap();
            assert!(base_of(c).is_some_and(|b| b.is_ascii_graphic()), "{c}");
        }
        assert_eq!(base_of('Ő'), Some('O'));
        assert_eq!(base_of('€'), Some('C'));
        assert_eq!(base_of('a'), None);
    }

    #[test]
    fn base_text_maps_marked_letters_only() {
        assert_eq!(base_text("für").as_deref(), Some("fur"));
        assert_eq!(base_text("ŁÓDŹ").as_deref(), Some("LODZ"));
        assert_eq!(base_text("kılıç").as_deref(), Some("kilic"));
        assert_eq!(base_text("straße"), None);
        assert_eq!(base_text("cœur"), None);
    }
}
