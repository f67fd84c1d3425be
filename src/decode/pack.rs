//! Language packs: a directory `models/<lang>/` holding the character LM, either `lm.fst`
//! (OpenFST, see [`lm`](super::lm)) or `lm.bin` (compact, see [`lm_compact`](super::lm_compact)),
//! and `decoder.json` (a [`BeamConfig`]; missing fields take their defaults). A pack holds one
//! LM file: a directory with both is refused.
//!
//! `decoder.json` carries a `checksum` over the LM file and itself ([`crate::checksum`]); a pack
//! whose checksum is missing or does not match is refused, naming the file. After editing
//! `decoder.json` by hand, reseal it: `python3 scripts/seal.py models/<lang>`.

use std::path::Path;
use std::sync::Arc;

use super::beam::{BeamConfig, BeamDecoder};
use super::confidence::ConfidenceMaps;
use super::lm::{CharLm, LmFormat};
use crate::checksum::{self, CHECKSUM_KEY, ChecksumError};
use crate::error::{Error, Result};

/// The member of `decoder.json` holding the confidence maps.
const CONFIDENCE_KEY: &str = "confidence";

/// Largest `decoder.json` read.
const MAX_CONFIG_BYTES: u64 = 1 << 16;

/// A loaded language pack: the LM and the decoder settings tuned for it.
///
/// # Example
/// ```
/// use inkjot::decode::LanguagePack;
/// let pack = LanguagePack::load(concat!(env!("CARGO_MANIFEST_DIR"), "/models/en"))?;
/// let alphabet: Vec<String> =
///     std::iter::once(String::new()).chain((' '..='~').map(String::from)).collect();
/// let decoder = pack.decoder(&alphabet)?;
/// assert_eq!(decoder.config(), &pack.config);
/// # Ok::<(), inkjot::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LanguagePack {
    /// The character LM.
    pub lm: Arc<CharLm>,
    /// Beam width, LM weight and insertion bonus for this LM.
    pub config: BeamConfig,
    /// Confidence calibration for this LM and the model it was tuned with (`decoder.json`'s
    /// `confidence`; none: raw confidences).
    pub confidence: ConfidenceMaps,
}

impl LanguagePack {
    /// File name of an OpenFST LM in a pack.
    pub const LM_FILE: &'static str = "lm.fst";
    /// File name of a compact LM in a pack.
    pub const COMPACT_LM_FILE: &'static str = "lm.bin";
    /// File name of the decoder settings in a pack.
    pub const CONFIG_FILE: &'static str = "decoder.json";

    /// The LM file of the pack in `dir`: `lm.bin` when there is one, else `lm.fst` (which need
    /// not exist); an error when there are both.
    pub fn lm_path(dir: impl AsRef<Path>) -> Result<std::path::PathBuf> {
        let dir = dir.as_ref();
        let (fst, compact) = (dir.join(Self::LM_FILE), dir.join(Self::COMPACT_LM_FILE));
        match (compact.exists(), fst.exists()) {
            (true, true) => Err(Error::pack(
                &compact,
                format!(
                    "the pack also holds {}; keep one LM file (the checksum covers one)",
                    Self::LM_FILE
                ),
            )),
            (true, false) => Ok(compact),
            _ => Ok(fst),
        }
    }

    /// Reads the pack's LM ([`lm_path`](Self::lm_path)) and `dir/decoder.json`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        use std::io::Read;
        let dir = dir.as_ref();
        let lm_path = Self::lm_path(dir)?;
        let lm = read_capped(&lm_path, super::lm::MAX_LM_BYTES)?;
        let path = dir.join(Self::CONFIG_FILE);
        let mut text = String::new();
        std::fs::File::open(&path)
            .map_err(|e| Error::io(&path, e))?
            .take(MAX_CONFIG_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| Error::io(&path, e))?;
        // The checksum in decoder.json covers both files: a mismatch names decoder.json, the
        // file that vouches for the pair.
        let lm_name = lm_path.file_name().and_then(|n| n.to_str());
        let lm_name = lm_name.unwrap_or(Self::LM_FILE);
        let (config, confidence) =
            parse_config(&lm, lm_name, &text).map_err(|e| e.in_file(&path))?;
        let lm = CharLm::from_bytes(&lm).map_err(|e| e.in_file(&lm_path))?;
        Ok(LanguagePack {
            lm: Arc::new(lm),
            config,
            confidence,
        })
    }

    /// A pack from the bytes of its LM file (`lm.fst` or `lm.bin`) and the text of
    /// `decoder.json` (apps that ship the pack inside their package).
    /// `decoder_json` must carry the checksum of the pair, as the shipped files do.
    pub fn from_bytes(lm: &[u8], decoder_json: &str) -> Result<Self> {
        let (config, confidence) = parse_config(lm, LmFormat::of(lm).pack_file(), decoder_json)?;
        Ok(LanguagePack {
            lm: Arc::new(CharLm::from_bytes(lm)?),
            config,
            confidence,
        })
    }

    /// A pack from the bytes of an LM file alone, with the default decoder settings. With no
    /// `decoder.json` there is no checksum to check: the LM is checked for structure and finite
    /// weights only.
    pub fn from_lm_bytes(lm: &[u8]) -> Result<Self> {
        Ok(LanguagePack {
            lm: Arc::new(CharLm::from_bytes(lm)?),
            config: BeamConfig::default(),
            confidence: ConfidenceMaps::default(),
        })
    }

    /// A beam decoder for `alphabet` with this pack's LM and settings.
    pub fn decoder(&self, alphabet: &[String]) -> Result<BeamDecoder> {
        BeamDecoder::new(alphabet, Some(Arc::clone(&self.lm)), self.config.clone())
    }
}

/// Reads and checks `decoder.json` (`text`) for `lm` (the bytes of the file `lm_name`): the beam
/// settings and the confidence maps; errors name `decoder.json`.
fn parse_config(lm: &[u8], lm_name: &str, text: &str) -> Result<(BeamConfig, ConfidenceMaps)> {
    let bad = |reason: String| Error::pack(LanguagePack::CONFIG_FILE, reason);
    let mut value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| bad(format!("not a JSON object: {e}")))?;
    let stored = value.remove(CHECKSUM_KEY);
    let stored = match &stored {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s.as_str()),
        Some(other) => return Err(bad(format!("`{CHECKSUM_KEY}` is {other}, not a string"))),
    };
    checksum::verify_decoder_json(lm, text, stored).map_err(|e| match e {
        ChecksumError::Mismatch { .. } => {
            bad(format!("{e}; the checksum covers {lm_name} and this file"))
        }
        e => bad(e.to_string()),
    })?;
    let confidence: ConfidenceMaps = match value.remove(CONFIDENCE_KEY) {
        None => ConfidenceMaps::default(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| bad(format!("`{CONFIDENCE_KEY}`: {e}")))?
        }
    };
    if [confidence.beam, confidence.greedy]
        .iter()
        .flatten()
        .any(|m| !m.is_valid())
    {
        return Err(bad(format!("`{CONFIDENCE_KEY}` holds a non-finite number")));
    }
    let config: BeamConfig =
        serde_json::from_value(serde_json::Value::Object(value)).map_err(|e| bad(e.to_string()))?;
    config.validate().map_err(|e| match e {
        Error::InvalidArgument { argument, reason } => bad(format!("`{argument}` {reason}")),
        other => bad(other.to_string()),
    })?;
    Ok((config, confidence))
}

/// Reads at most `cap` bytes of `path`; a longer file is an error naming it.
fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(cap + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(Error::pack(path, format!("larger than {cap} bytes")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{LogProbs, lm::LmState};

    const SHIPPED: &[&str] = &["en", "de", "fr", "es", "it", "pt", "pl"];

    fn pack_dir(lang: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(lang)
    }

    #[test]
    fn shipped_packs_load_and_are_small() {
        for lang in SHIPPED {
            let dir = pack_dir(lang);
            let pack = LanguagePack::load(&dir).unwrap_or_else(|e| panic!("{lang}: {e}"));
            let bytes = std::fs::metadata(LanguagePack::lm_path(&dir).unwrap())
                .unwrap()
                .len();
            assert!(bytes <= 2_100_000, "{lang}: {bytes} bytes");
            assert_eq!(pack.lm.order(), 6, "{lang}");
            let licence = std::fs::read_to_string(dir.join("LICENSE")).unwrap();
            assert!(licence.contains("CC BY-SA 4.0"), "{lang}");
            // Common words beat their misspellings.
            let lm = &pack.lm;
            let common = match *lang {
                "en" => ("the", "tje"),
                "de" => ("und", "umd"),
                "fr" => ("les", "lcs"),
                "es" => ("que", "qce"),
                "it" => ("che", "cbe"),
                "pt" => ("não", "nõa"),
                _ => ("się", "sję"),
            };
            assert!(
                lm.word_log_prob(common.0) > lm.word_log_prob(common.1) + 3.0,
                "{lang}"
            );
            // Word lists, lowercase (case comes from the decoder's case model; a `TEXT=1`
            // build is cased, models/README.md): every letter a..z, no capitals.
            let has = |c: char| lm.characters().any(|x| x == c);
            assert!(('a'..='z').all(has), "{lang}");
            assert!(!('A'..='Z').any(has), "{lang}");
        }
    }

    #[test]
    fn the_english_pack_knows_which_words_go_together() {
        let pack = LanguagePack::load(pack_dir("en")).unwrap();
        let pairs = pack
            .lm
            .word_pairs()
            .expect("the English pack has word pairs");
        assert!(pairs.len() >= 10_000, "{}", pairs.len());
        assert!(pairs.score_words("United", "States") > 2.0);
        assert!(pairs.score_words("interest", "rates") > 2.0);
        assert_eq!(pairs.score_words("states", "united"), 0.0);
        assert!(pack.config.word_pair_weight > 0.0);
    }

    #[test]
    fn every_pack_with_running_text_has_word_pairs() {
        // The other packs' pairs come from their languages' documentation text.
        for (lang, first, second) in [
            ("de", "zum", "Beispiel"),
            ("fr", "par", "exemple"),
            ("es", "por", "ejemplo"),
        ] {
            let pack = LanguagePack::load(pack_dir(lang)).unwrap();
            let pairs = pack.lm.word_pairs().expect(lang);
            assert!(pairs.score_words(first, second) > 2.0, "{lang}");
            assert_eq!(pairs.score_words(second, first), 0.0, "{lang}");
            assert!(pack.config.word_pair_weight > 0.0, "{lang}");
        }
        for lang in [
            "nl", "sv", "da", "nb", "fi", "cs", "hu", "ro", "hr", "sl", "tr", "ca",
        ] {
            let pack = LanguagePack::load(pack_dir(lang)).unwrap();
            assert!(
                pack.lm.word_pairs().is_some_and(|p| p.len() > 100),
                "{lang}"
            );
        }
        // Slovak has no running text, so no pairs.
        let sk = LanguagePack::load(pack_dir("sk")).unwrap();
        assert!(sk.lm.word_pairs().is_none());
    }

    #[test]
    fn the_english_pack_reads_pre_context_inside_a_word() {
        let pack = LanguagePack::load(pack_dir("en")).unwrap();
        let lm = &pack.lm;
        let p = |context: &str, text: &str| lm.log_prob(lm.state_after(context), text).0;
        // A word list knows how words go on ("th" + "e " is "the "), and a finished word
        // starts the next from scratch (running text would condition on it: lm_build's
        // `running_text_conditions_on_the_words_before`).
        assert!(p("th", "e ") > p("", "e ") + 3.0);
        assert!(p("hando", "ut ") > p("", "ut ") + 3.0);
        assert!((p("such ", "as ") - p("the ", "as ")).abs() < 1e-3);
    }

    #[test]
    fn the_english_pack_sums_to_one_everywhere() {
        let pack = LanguagePack::load(pack_dir("en")).unwrap();
        let lm = &pack.lm;
        // Exact costs (OpenFST) sum to 1; quantized ones (compact: errors up to ~0.1 nats an
        // arc) within 6% (4.4% measured on `en`; renormalizing the backoffs after quantizing
        // is left to do).
        let file = std::fs::read(LanguagePack::lm_path(pack_dir("en")).unwrap()).unwrap();
        let tolerance = match LmFormat::of(&file) {
            LmFormat::Fst => 1e-4,
            LmFormat::Compact => 6e-2,
        };
        let symbols: Vec<char> = lm.characters().chain(['\u{FFFD}']).collect();
        for s in 0..lm.num_states() as u32 {
            let total: f64 = symbols
                .iter()
                .map(|&c| (lm.advance_char(LmState(s), c).0 as f64).exp())
                .sum();
            assert!((total - 1.0).abs() < tolerance, "state {s}: {total}");
        }
        // The quantized model of the same pack, whichever file it ships, stays within 6%.
        let compact = CharLm::from_bytes(&lm.to_bytes(LmFormat::Compact).unwrap()).unwrap();
        let mut worst = 0.0f64;
        for s in 0..compact.num_states() as u32 {
            let total: f64 = symbols
                .iter()
                .map(|&c| (compact.advance_char(LmState(s), c).0 as f64).exp())
                .sum();
            worst = worst.max((total - 1.0).abs());
        }
        assert!(worst < 6e-2, "compact: {worst}");
    }

    #[test]
    fn the_english_pack_reads_context() {
        let pack = LanguagePack::load(pack_dir("en")).unwrap();
        let alphabet: Vec<String> = std::iter::once(String::new())
            .chain((' '..='~').map(String::from))
            .collect();
        let decoder = pack.decoder(&alphabet).unwrap();
        // Ink that reads "Yolk" a little better than "York".
        let index = |c: char| alphabet.iter().position(|s| s.starts_with(c)).unwrap();
        let mut rows = Vec::new();
        for (c, alt) in [('Y', None), ('o', None), ('l', Some('r')), ('k', None)] {
            let mut row = vec![(0.02f32 / 94.0).ln(); alphabet.len()];
            row[index(c)] = if alt.is_some() {
                0.55f32.ln()
            } else {
                0.97f32.ln()
            };
            if let Some(a) = alt {
                row[index(a)] = 0.42f32.ln();
            }
            rows.extend(row);
            let mut blank = vec![(0.01f32 / 95.0).ln(); alphabet.len()];
            blank[0] = 0.99f32.ln();
            rows.extend(blank);
        }
        let m = LogProbs::new(rows, alphabet.len()).unwrap();
        let c = decoder.decode(&m, "I live in New").unwrap();
        assert_eq!(c[0].text, " York", "{c:?}");
        let total: f32 = c.iter().map(|c| c.score.exp()).sum();
        assert!((total - 1.0).abs() < 1e-4);
    }

    #[test]
    fn a_compact_pack_reads_like_its_openfst_original() {
        let dir = std::env::temp_dir().join(format!("inkjot-compact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let original = LanguagePack::load(pack_dir("en")).unwrap();
        let bin = original.lm.to_bytes(LmFormat::Compact).unwrap();
        assert!(bin.len() <= 2_000_000, "{} bytes", bin.len());
        assert_eq!(
            CharLm::from_bytes(&bin).unwrap().word_pairs(),
            original.lm.word_pairs()
        );
        let json = std::fs::read_to_string(pack_dir("en").join(LanguagePack::CONFIG_FILE)).unwrap();
        let json = crate::checksum::seal_decoder_json(&bin, &json).unwrap();
        std::fs::write(dir.join(LanguagePack::COMPACT_LM_FILE), &bin).unwrap();
        std::fs::write(dir.join(LanguagePack::CONFIG_FILE), &json).unwrap();
        for pack in [
            LanguagePack::load(&dir).unwrap(),
            LanguagePack::from_bytes(&bin, &json).unwrap(),
        ] {
            assert_eq!(pack.config, original.config);
            assert_eq!(pack.lm.num_arcs(), original.lm.num_arcs());
            for word in ["the", "handwriting", "tje", "xqzv"] {
                let (a, b) = (original.lm.word_log_prob(word), pack.lm.word_log_prob(word));
                assert!(
                    (a - b).abs() < 0.02 * a.abs().max(1.0),
                    "{word}: {a} vs {b}"
                );
            }
        }
        // The checksum covers lm.bin: a damaged one is refused, naming it.
        let mut damaged = bin.clone();
        damaged[bin.len() / 2] ^= 1;
        let message = LanguagePack::from_bytes(&damaged, &json)
            .unwrap_err()
            .to_string();
        assert!(message.contains("covers lm.bin"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_pack_is_a_language_pack_error() {
        use crate::checksum::seal_decoder_json;
        let dir = std::env::temp_dir().join(format!("inkjot-pack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lm = std::fs::read(LanguagePack::lm_path(pack_dir("en")).unwrap()).unwrap();
        std::fs::write(dir.join("lm.fst"), &lm).unwrap();
        let sealed = |json: &str| seal_decoder_json(&lm, json).unwrap();
        let is_pack_error = |r: Result<LanguagePack>| matches!(r, Err(Error::LanguagePack { .. }));
        std::fs::write(dir.join("decoder.json"), sealed(r#"{"beam_width": 0}"#)).unwrap();
        assert!(is_pack_error(LanguagePack::load(&dir)));
        std::fs::write(dir.join("decoder.json"), "not json").unwrap();
        assert!(is_pack_error(LanguagePack::load(&dir)));
        // Missing fields take their defaults.
        std::fs::write(dir.join("decoder.json"), sealed(r#"{"lm_weight": 0.25}"#)).unwrap();
        let pack = LanguagePack::load(&dir).unwrap();
        assert_eq!(pack.config.lm_weight, 0.25);
        assert_eq!(pack.config.beam_width, BeamConfig::default().beam_width);
        std::fs::write(dir.join("lm.fst"), b"garbage").unwrap();
        assert!(is_pack_error(LanguagePack::load(&dir)));
        let pack = LanguagePack::from_bytes(&lm, &sealed("{}")).unwrap();
        assert_eq!(pack.config, BeamConfig::default());
        assert_eq!(
            LanguagePack::from_lm_bytes(&lm).unwrap().config,
            pack.config
        );
        assert!(LanguagePack::from_bytes(&lm, &sealed(r#"{"nbest": 0}"#)).is_err());
        // A structurally bad LM that is sealed is refused by the LM check, naming lm.fst.
        let garbage = b"garbage";
        let json = seal_decoder_json(garbage, "{}").unwrap();
        let message = LanguagePack::from_bytes(garbage, &json)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("lm.fst: "), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
