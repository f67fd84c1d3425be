//! `inkjot::synth` on one real writer's inks (tests/fixtures/synth_writer.jsonl, UNIPEN valid):
//! reproducible from the seed, labels in the model alphabet (NFC), every ink valid and readable
//! back from its JSON line, and marks above or below the letter they belong to.

use std::path::Path;

use inkjot::alphabet::{Make, Mark, make, model_alphabet};
use inkjot::ink::{InkLimits, JsonlReader};
use inkjot::synth::{Corpus, HersheyFont, Mode, SynthRecord, Synthesizer, WordList, write_record};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn inputs() -> (Corpus, Vec<WordList>, Vec<HersheyFont>) {
    let corpus = Corpus::read(&[&Path::new(FIXTURES).join("synth_writer.jsonl")]).unwrap();
    let words = [
        "tíbia", "jöcund", "feèt", "été", "zöld", "łódź", "ægæ", "ĳ", "oną", "Ďatel", "ıı",
    ];
    let lists = vec![WordList {
        lang: "xx".into(),
        words: words.iter().map(|w| w.to_string()).collect(),
    }];
    let fonts = HersheyFont::read_dir(&Path::new(FIXTURES).join("hershey")).unwrap();
    (corpus, lists, fonts)
}

/// Sentences for composed lines: the fixture writer has their letters (A B E O a c d e g i l n
/// o t u z; marks are drawn); the third is too long.
fn sentences() -> Vec<String> {
    [
        "été zöld Öle",
        "cañón lúcido Águila",
        "a long line of dead code in a long long loop that ends at noon",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn all(synth: &Synthesizer<'_>, seed: u64, n: u64) -> Vec<SynthRecord> {
    let mut out = Vec::new();
    for (mode, _) in Mode::NAMES {
        out.extend((0..n).filter_map(|i| synth.record(mode, seed, i)));
    }
    out
}

#[test]
fn same_seed_same_records_other_seed_other_records() {
    let (corpus, lists, fonts) = inputs();
    let sentences = sentences();
    let synth = Synthesizer::new(&corpus, &lists, &fonts).with_sentences(&sentences);
    let a = all(&synth, 7, 20);
    assert_eq!(a, all(&synth, 7, 20));
    assert_ne!(a, all(&synth, 8, 20));
    // Every mode can make records from one writer's inks.
    for (mode, name) in Mode::NAMES {
        let n = a
            .iter()
            .filter(|r| r.id.contains(&format!("synth-{name}/")))
            .count();
        assert!(n >= 10, "{mode:?}: {n}");
    }
}

#[test]
fn labels_are_nfc_in_the_alphabet_and_inks_round_trip_through_jsonl() {
    let (corpus, lists, fonts) = inputs();
    let sentences = sentences();
    let synth = Synthesizer::new(&corpus, &lists, &fonts).with_sentences(&sentences);
    let alphabet: std::collections::HashSet<String> = model_alphabet().into_iter().collect();
    let records = all(&synth, 1, 40);
    let mut text = Vec::new();
    for r in &records {
        // Precomposed scalars only (no combining marks U+0300..U+036F): NFC.
        assert!(
            r.label.chars().all(|c| alphabet.contains(&c.to_string())),
            "{}: {}",
            r.id,
            r.label
        );
        assert!(
            !r.label.is_empty() && r.writer == "pri-6b6277af" || r.writer.starts_with("hershey-")
        );
        write_record(&mut text, r).unwrap();
    }
    let back: Vec<_> = JsonlReader::new(text.as_slice(), InkLimits::default())
        .map(Result::unwrap)
        .collect();
    assert_eq!(back.len(), records.len());
    for (r, b) in records.iter().zip(&back) {
        assert_eq!(
            (&b.id, b.label.as_deref(), b.kind.as_deref()),
            (&r.id, Some(r.label.as_str()), Some(r.kind.as_str()))
        );
        assert_eq!(b.ink, r.ink);
    }
}

#[test]
fn marks_are_written_last_above_or_below_the_letter() {
    let (corpus, lists, fonts) = inputs();
    let synth = Synthesizer::new(&corpus, &lists, &fonts);
    let mut seen = std::collections::HashSet::new();
    for n in 0..600 {
        let Some(r) = synth.record(Mode::MarkedLetter, 3, n) else {
            continue;
        };
        let letter = r.label.chars().next().unwrap();
        let Some(Make::Marked(_, mark)) = make(letter) else {
            continue;
        };
        if mark == Mark::Stroke || (mark == Mark::Caron && "ďľťĽ".contains(letter)) {
            continue;
        }
        seen.insert(mark);
        let strokes = r.ink.strokes();
        let k = if matches!(mark, Mark::Diaeresis | Mark::DoubleAcute) {
            2
        } else {
            1
        };
        let (body, marks) = strokes.split_at(strokes.len() - k);
        let ys = |s: &[inkjot::Stroke]| {
            s.iter()
                .flat_map(|s| &s.points)
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.y), b.max(p.y)))
        };
        let ((top, bottom), (m_top, m_bottom)) = (ys(body), ys(marks));
        let h = bottom - top;
        // Written after the letter.
        let body_end = body
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| p.t)
            .fold(0.0, f64::max);
        assert!(marks[0].points[0].t > body_end, "{}", r.id);
        if mark.is_below() {
            assert!(
                m_bottom > bottom + 0.1 * h && m_top > top + 0.5 * h,
                "{} {letter}: mark {m_top}..{m_bottom}, body {top}..{bottom}",
                r.id
            );
        } else {
            assert!(
                m_bottom < top + 0.05 * h,
                "{} {letter}: mark {m_top}..{m_bottom}, body {top}..{bottom}",
                r.id
            );
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
}

#[test]
fn composed_lines_write_a_sentence_word_by_word_left_to_right() {
    let (corpus, lists, fonts) = inputs();
    let sentences = sentences();
    let synth = Synthesizer::new(&corpus, &lists, &fonts).with_sentences(&sentences);
    // No sentences, no composed lines.
    let bare = Synthesizer::new(&corpus, &lists, &fonts);
    assert!((0..20).all(|n| bare.record(Mode::ComposedLine, 1, n).is_none()));
    let records: Vec<SynthRecord> = (0..30)
        .filter_map(|n| synth.record(Mode::ComposedLine, 5, n))
        .collect();
    assert!(records.len() >= 20, "{}", records.len());
    for r in &records {
        // A short sentence, whole; the 64-character one never.
        assert!(sentences[..2].contains(&r.label), "{}", r.label);
        assert_eq!(
            (r.kind.as_str(), r.id.starts_with("8/synth-composed-line/")),
            ("text", true)
        );
        // One source ink per letter at least (marks are drawn, not taken from inks).
        let letters = r.label.chars().filter(|c| *c != ' ').count();
        assert!(r.sources.len() >= letters, "{}: {:?}", r.label, r.sources);
        // Three words: the ink's horizontal extent has its two widest gaps between words,
        // wider than any gap between the letters inside a word.
        let mut spans: Vec<(f64, f64)> = r
            .ink
            .strokes()
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.x), b.max(p.x)))
            })
            .collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut gaps = Vec::new();
        let mut right = spans[0].1;
        for &(l, r) in &spans[1..] {
            gaps.push(l - right);
            right = right.max(r);
        }
        gaps.sort_by(|a, b| b.total_cmp(a));
        assert!(
            gaps[1] > 0.0 && gaps[1] > 2.0 * gaps[2].max(0.0),
            "{}: {gaps:?}",
            r.label
        );
    }
}
