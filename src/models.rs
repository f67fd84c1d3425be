//! Where a recognizer's model and language packs come from: the one resolver used by the CLI, the
//! demo server, the C ABI and the JNI bridge.
//!
//! A [`Models`] holds one loaded [`Model`] behind an [`Arc`] (every recognizer made from it shares
//! the weights) and the places language packs are looked up: packs given as bytes (e.g. embedded
//! in a binary with `include_bytes!`), then `<pack directory>/<code>/` (`lm.fst` or `lm.bin`, and
//! `decoder.json`).
//!
//! A language code is 2 or 3 lowercase ASCII letters, optionally followed by `-` and a region of 2
//! lowercase letters or 3 digits (`en`, `fil`, `pt-br`, `es-419`); see [`check_language_code`].
//! Nothing else is accepted as a code, so a code can never name a path outside the pack directory.
//!
//! # Example
//! ```no_run
//! use inkjot::Models;
//! // The shipped layout: models/recognizer-int8.safetensors and models/<code>/.
//! let models = Models::from_path("models".as_ref())?;
//! let english = models.recognizer(Some("en"))?;
//! let greedy = models.recognizer(None)?; // shares the model with `english`
//! # Ok::<(), inkjot::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::decode::LanguagePack;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::recognizer::Recognizer;

/// File name of the model looked up in a model directory.
pub const DEFAULT_MODEL_FILE: &str = "recognizer-int8.safetensors";

/// A language pack given as bytes.
#[derive(Debug, Clone)]
struct PackBytes {
    code: String,
    lm: &'static [u8],
    decoder_json: &'static str,
}

/// A shared model plus the places its language packs are found.
#[derive(Debug, Clone)]
pub struct Models {
    model: Arc<Model>,
    pack_dir: Option<PathBuf>,
    pack_bytes: Vec<PackBytes>,
}

impl Models {
    /// A loaded model with no language packs yet.
    pub fn new(model: Model) -> Self {
        Models::from_shared(Arc::new(model))
    }

    /// A model already shared elsewhere, with no language packs yet.
    pub fn from_shared(model: Arc<Model>) -> Self {
        Models {
            model,
            pack_dir: None,
            pack_bytes: Vec::new(),
        }
    }

    /// Loads a model from `path`: a model file, or a directory holding [`DEFAULT_MODEL_FILE`].
    /// Language packs are then looked up in that directory (the file's directory for a file).
    pub fn from_path(path: &Path) -> Result<Self> {
        let (file, dir) = if path.is_dir() {
            (path.join(DEFAULT_MODEL_FILE), path.to_path_buf())
        } else {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            (path.to_path_buf(), dir)
        };
        Ok(Models::new(Model::load(&file)?).with_pack_dir(dir))
    }

    /// Parses a model from the bytes of its file (e.g. shipped inside an app or a binary).
    pub fn from_bytes(model: &[u8]) -> Result<Self> {
        Ok(Models::new(Model::from_bytes(model)?))
    }

    /// Replaces the model, keeping the language pack sources.
    pub fn with_model(mut self, model: Model) -> Self {
        self.model = Arc::new(model);
        self
    }

    /// Looks up language packs as `dir/<code>/` (after the packs given as bytes).
    pub fn with_pack_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.pack_dir = Some(dir.into());
        self
    }

    /// Adds the pack for language `code` from the bytes of its LM file and the text of its
    /// `decoder.json`. The bytes are parsed when a recognizer for `code` is made.
    pub fn with_pack_bytes(
        mut self,
        code: &str,
        lm: &'static [u8],
        decoder_json: &'static str,
    ) -> Result<Self> {
        check_language_code(code)?;
        self.pack_bytes.retain(|p| p.code != code);
        self.pack_bytes.push(PackBytes {
            code: code.to_owned(),
            lm,
            decoder_json,
        });
        Ok(self)
    }

    /// The shared model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The directory language packs are looked up in, if any.
    pub fn pack_dir(&self) -> Option<&Path> {
        self.pack_dir.as_deref()
    }

    /// The language codes available: packs given as bytes and `<code>/` directories with an
    /// `lm.fst` or `lm.bin` in the pack directory, sorted, without duplicates.
    pub fn languages(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.pack_bytes.iter().map(|p| p.code.clone()).collect();
        if let Some(entries) = self
            .pack_dir
            .as_ref()
            .and_then(|d| std::fs::read_dir(d).ok())
        {
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(code) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let has_lm = [LanguagePack::LM_FILE, LanguagePack::COMPACT_LM_FILE]
                    .iter()
                    .any(|f| path.join(f).is_file());
                if check_language_code(code).is_ok() && has_lm {
                    codes.push(code.to_owned());
                }
            }
        }
        codes.sort();
        codes.dedup();
        codes
    }

    /// The language pack for `code` (see [`check_language_code`]): the one given as bytes, else
    /// `<pack directory>/<code>/`.
    ///
    /// Errors: [`Error::InvalidArgument`] for a malformed code, or when no pack is given as bytes
    /// for it and there is no pack directory; [`Error::Io`] for a missing (the message lists the
    /// codes there are) or unreadable pack;
    /// [`Error::Model`] for an invalid one.
    pub fn language_pack(&self, code: &str) -> Result<LanguagePack> {
        check_language_code(code)?;
        if let Some(pack) = self.pack_bytes.iter().find(|p| p.code == code) {
            return LanguagePack::from_bytes(pack.lm, pack.decoder_json)
                .map_err(|e| in_pack(e, code));
        }
        let Some(dir) = &self.pack_dir else {
            return Err(Error::invalid(
                "language",
                format!(
                    "no language pack `{code}` (available: {}) and no pack directory to look in",
                    self.languages_listed()
                ),
            ));
        };
        let pack_dir = dir.join(code);
        if !pack_dir.is_dir() {
            // Still an I/O error (a missing directory, the status C and JNI callers see), with a
            // message that says which packs there are.
            return Err(Error::Io {
                path: Some(pack_dir),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "no language pack `{code}` here (available: {})",
                        self.languages_listed()
                    ),
                ),
            });
        }
        LanguagePack::load(pack_dir)
    }

    /// [`Models::languages`] joined with `, `, or `none`, for messages.
    fn languages_listed(&self) -> String {
        match self.languages().join(", ") {
            list if list.is_empty() => "none".to_owned(),
            list => list,
        }
    }

    /// A pack named the way command lines name one: a language code (looked up as in
    /// [`Models::language_pack`]), else the path of a pack directory. A code always wins over a
    /// directory of the same name; write `./en` for the directory.
    pub fn language_pack_or_dir(&self, code_or_dir: &str) -> Result<LanguagePack> {
        if check_language_code(code_or_dir).is_ok() {
            return self.language_pack(code_or_dir);
        }
        let dir = Path::new(code_or_dir);
        if dir.is_dir() {
            return LanguagePack::load(dir);
        }
        Err(Error::invalid(
            "language",
            format!(
                "`{code_or_dir}` is neither a language code ({CODE_RULE}) nor a pack directory"
            ),
        ))
    }

    /// A recognizer sharing this model, with the pack for `code` (see
    /// [`Models::language_pack`]), or without a language model for `None`.
    pub fn recognizer(&self, code: Option<&str>) -> Result<Recognizer> {
        let recognizer = Recognizer::from_shared(Arc::clone(&self.model));
        match code {
            Some(code) => recognizer.with_language_pack(&self.language_pack(code)?),
            None => Ok(recognizer),
        }
    }
}

/// How a language code is written, for error messages.
const CODE_RULE: &str = "2 or 3 lowercase ASCII letters, optionally `-` and a region of 2 \
                         lowercase letters or 3 digits, e.g. `en`, `pt-br`";

/// Checks that `code` is a language code: 2 or 3 lowercase ASCII letters, optionally followed by
/// `-` and a region of 2 lowercase ASCII letters or 3 ASCII digits.
///
/// ```
/// use inkjot::models::check_language_code;
/// assert!(check_language_code("en").is_ok() && check_language_code("pt-br").is_ok());
/// assert!(check_language_code("EN").is_err() && check_language_code("../en").is_err());
/// ```
pub fn check_language_code(code: &str) -> Result<()> {
    let (language, region) = match code.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (code, None),
    };
    let language_ok =
        (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = match region {
        None => true,
        Some(r) => {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_lowercase()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        }
    };
    if language_ok && region_ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "language",
            format!("language code `{}` is not {CODE_RULE}", code.escape_debug()),
        ))
    }
}

/// An error about a pack given as bytes, its file named under the language code (`en/lm.fst`).
fn in_pack(error: Error, code: &str) -> Error {
    match error {
        Error::LanguagePack { file, reason } => Error::LanguagePack {
            file: Path::new(code).join(file),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_model() -> Model {
        Model::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-model.safetensors"),
        )
        .unwrap()
    }

    #[test]
    fn language_codes_follow_one_rule() {
        for good in ["en", "de", "fil", "pt-br", "es-419"] {
            assert!(check_language_code(good).is_ok(), "{good}");
        }
        for bad in [
            "", "e", "english", "EN", "en-US", "en_us", "pt-", "-br", "../en", "en/..", "a b",
            "en-4190", "é", "en\0",
        ] {
            assert!(
                matches!(check_language_code(bad), Err(Error::InvalidArgument { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn shipped_directory_resolves_codes_and_shares_the_model() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let models = Models::from_path(&dir).unwrap();
        let languages = models.languages();
        for code in ["de", "en", "pl"] {
            assert!(languages.iter().any(|c| c == code), "{languages:?}");
        }
        let english = models.recognizer(Some("en")).unwrap();
        let plain = models.recognizer(None).unwrap();
        assert!(english.has_language_model() && !plain.has_language_model());
        // One model in memory: the Models and both recognizers hold the same Arc.
        assert!(std::ptr::eq(english.model(), plain.model()));
        assert!(std::ptr::eq(english.model(), &**models.model()));
        assert_eq!(Arc::strong_count(models.model()), 3);
    }

    #[test]
    fn missing_or_malformed_packs_are_clear_errors() {
        let models = Models::new(tiny_model());
        let err = models.recognizer(Some("en")).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
        let models = models.with_pack_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
        let err = models.language_pack("xx").unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("`xx`") && message.contains("de, en"),
            "{err}"
        );
        let err = models.language_pack("../models/en").unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
        let err = models.language_pack_or_dir("no/such/dir").unwrap_err();
        assert!(err.to_string().contains("neither"), "{err}");
    }

    #[test]
    fn packs_from_bytes_come_before_the_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let lm = LanguagePack::lm_path(dir.join("en")).unwrap();
        let lm: &'static [u8] = std::fs::read(lm).unwrap().leak();
        let models = Models::new(tiny_model())
            .with_pack_dir(&dir)
            .with_pack_bytes(
                "en",
                lm,
                crate::checksum::seal_decoder_json(lm, r#"{"beam_width": 3}"#)
                    .unwrap()
                    .leak(),
            )
            .unwrap();
        assert_eq!(models.language_pack("en").unwrap().config.beam_width, 3);
        assert_ne!(models.language_pack("de").unwrap().config.beam_width, 3);
        let bad = Models::new(tiny_model())
            .with_pack_bytes("en", b"not an fst", "{}")
            .unwrap();
        let err = bad.language_pack("en").unwrap_err();
        assert!(
            matches!(err, Error::Model { .. } | Error::LanguagePack { .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("en/"), "{err}");
        assert!(
            Models::new(tiny_model())
                .with_pack_bytes("EN", lm, "{}")
                .is_err()
        );
    }

    #[test]
    fn recognizer_from_dir_goes_through_the_resolver() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        assert!(
            Recognizer::from_dir(&dir, Some("en"))
                .unwrap()
                .has_language_model()
        );
        assert!(
            !Recognizer::from_dir(&dir, None)
                .unwrap()
                .has_language_model()
        );
        let err = Recognizer::from_dir(&dir, Some("EN")).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    }

    #[test]
    fn a_model_file_path_looks_up_packs_beside_it() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/recognizer-int8.safetensors");
        let models = Models::from_path(&file).unwrap();
        assert_eq!(models.pack_dir(), file.parent());
        let err = Models::from_path(Path::new("no-such-model.safetensors")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
