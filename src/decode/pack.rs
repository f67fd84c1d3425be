//! Language packs: a directory `models/<lang>/` holding `lm.fst` (the character LM, see
//! [`lm`](super::lm)) and `decoder.json` (a [`BeamConfig`]; missing fields take their defaults).

use std::path::Path;
use std::sync::Arc;

use super::beam::{BeamConfig, BeamDecoder};
use super::lm::CharLm;
use crate::error::{Error, Result};

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
}

impl LanguagePack {
    /// File name of the LM in a pack.
    pub const LM_FILE: &'static str = "lm.fst";
    /// File name of the decoder settings in a pack.
    pub const CONFIG_FILE: &'static str = "decoder.json";

    /// Reads `dir/lm.fst` and `dir/decoder.json`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        use std::io::Read;
        let dir = dir.as_ref();
        let lm = CharLm::load(dir.join(Self::LM_FILE))?;
        let path = dir.join(Self::CONFIG_FILE);
        let mut text = String::new();
        std::fs::File::open(&path)?
            .take(MAX_CONFIG_BYTES)
            .read_to_string(&mut text)?;
        let config =
            parse_config(&text).map_err(|e| Error::Model(format!("{}: {e}", path.display())))?;
        Ok(LanguagePack {
            lm: Arc::new(lm),
            config,
        })
    }

    /// A pack from the bytes of `lm.fst` and the text of `decoder.json` (apps that ship the
    /// pack inside their package).
    pub fn from_bytes(lm: &[u8], decoder_json: &str) -> Result<Self> {
        Ok(LanguagePack {
            lm: Arc::new(CharLm::from_bytes(lm)?),
            config: parse_config(decoder_json)
                .map_err(|e| Error::Model(format!("{}: {e}", Self::CONFIG_FILE)))?,
        })
    }

    /// A beam decoder for `alphabet` with this pack's LM and settings.
    pub fn decoder(&self, alphabet: &[String]) -> Result<BeamDecoder> {
        BeamDecoder::new(alphabet, Some(Arc::clone(&self.lm)), self.config.clone())
    }
}

fn parse_config(text: &str) -> std::result::Result<BeamConfig, String> {
    let config: BeamConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
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
            let bytes = std::fs::metadata(dir.join(LanguagePack::LM_FILE))
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
        }
    }

    #[test]
    fn the_english_pack_sums_to_one_everywhere() {
        let pack = LanguagePack::load(pack_dir("en")).unwrap();
        let lm = &pack.lm;
        let symbols: Vec<char> = lm.characters().chain(['\u{FFFD}']).collect();
        for s in 0..lm.num_states() as u32 {
            let total: f64 = symbols
                .iter()
                .map(|&c| (lm.advance_char(LmState(s), c).0 as f64).exp())
                .sum();
            assert!((total - 1.0).abs() < 1e-4, "state {s}: {total}");
        }
    }

    #[test]
    fn the_english_pack_reads_context() {
        let pack = LanguagePack::load(pack_dir("en")).unwrap();
        let alphabet: Vec<String> = std::iter::once(String::new())
            .chain((' '..='~').map(String::from))
            .collect();
        let decoder = pack.decoder(&alphabet).unwrap();
        // Ink that reads "yolk" a little better than "york".
        let index = |c: char| alphabet.iter().position(|s| s.starts_with(c)).unwrap();
        let mut rows = Vec::new();
        for (c, alt) in [('y', None), ('o', None), ('l', Some('r')), ('k', None)] {
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
        assert_eq!(c[0].text, " york", "{c:?}");
        let total: f32 = c.iter().map(|c| c.score.exp()).sum();
        assert!((total - 1.0).abs() < 1e-4);
    }

    #[test]
    fn a_bad_pack_is_a_model_error() {
        let dir = std::env::temp_dir().join(format!("inkjot-pack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(pack_dir("en").join("lm.fst"), dir.join("lm.fst")).unwrap();
        std::fs::write(dir.join("decoder.json"), r#"{"beam_width": 0}"#).unwrap();
        assert!(matches!(LanguagePack::load(&dir), Err(Error::Model(_))));
        std::fs::write(dir.join("decoder.json"), "not json").unwrap();
        assert!(matches!(LanguagePack::load(&dir), Err(Error::Model(_))));
        // Missing fields take their defaults.
        std::fs::write(dir.join("decoder.json"), r#"{"lm_weight": 0.25}"#).unwrap();
        let pack = LanguagePack::load(&dir).unwrap();
        assert_eq!(pack.config.lm_weight, 0.25);
        assert_eq!(pack.config.beam_width, BeamConfig::default().beam_width);
        std::fs::write(dir.join("lm.fst"), b"garbage").unwrap();
        assert!(matches!(LanguagePack::load(&dir), Err(Error::Model(_))));
        let lm = std::fs::read(pack_dir("en").join("lm.fst")).unwrap();
        let pack = LanguagePack::from_bytes(&lm, "{}").unwrap();
        assert_eq!(pack.config, BeamConfig::default());
        assert!(LanguagePack::from_bytes(&lm, r#"{"nbest": 0}"#).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
