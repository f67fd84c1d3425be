//! Where the CLI finds its model and language packs, in this order:
//!
//! 1. flags: `--model FILE` for the model, `--lang DIR` (or `serve --packs DIR`) for packs;
//! 2. `$INKJOT_MODELS`: a directory laid out like the shipped `models/`
//!    (`recognizer-int8.safetensors`, `<code>/lm.fst` or `<code>/lm.bin`, `<code>/decoder.json`);
//! 3. the int8 model and English pack embedded in the binary (cargo feature `embedded-models`,
//!    on by default), so an installed `inkjot` works from any directory.
//!
//! The resolution itself (codes, directories, a shared model) is the library's [`Models`].

use std::path::{Path, PathBuf};

use anyhow::Context;
use inkjot::Models;
use inkjot::model::Model;
use inkjot::models::DEFAULT_MODEL_FILE;

/// Environment variable naming a model directory.
pub const MODELS_ENV: &str = "INKJOT_MODELS";

/// The shipped model and English pack, compiled into the binary.
#[cfg(feature = "embedded-models")]
mod embedded {
    pub const MODEL: &[u8] = include_bytes!("../../../models/recognizer-int8.safetensors");
    /// `models/en/lm.bin` or `models/en/lm.fst`, whichever the pack has (see build.rs).
    pub const EN_LM: &[u8] = include_bytes!(env!("INKJOT_EMBEDDED_EN_LM"));
    pub const EN_DECODER: &str = include_str!("../../../models/en/decoder.json");
}

/// The resolved models and a short description of where the model came from.
pub struct Resolved {
    /// The shared model and its pack sources.
    pub models: Models,
    /// The model's origin, for messages (`recognizer-int8.safetensors (embedded)`, a path).
    pub model_name: String,
    /// The model file, or `None` for the model embedded in the binary.
    pub model_file: Option<PathBuf>,
}

/// Resolves the model (`model` flag, else `$INKJOT_MODELS`, else embedded) and the pack sources
/// (`packs` flag, else `$INKJOT_MODELS`, else embedded).
pub fn resolve(model: Option<&Path>, packs: Option<&Path>) -> anyhow::Result<Resolved> {
    let env_dir = std::env::var_os(MODELS_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let (loaded, model_name, model_file) = match (model, &env_dir) {
        (Some(file), _) => (
            load(file)?,
            file.display().to_string(),
            Some(file.to_path_buf()),
        ),
        (None, Some(dir)) => {
            let file = dir.join(DEFAULT_MODEL_FILE);
            let loaded = load(&file).with_context(|| format!("${MODELS_ENV}={}", dir.display()))?;
            (loaded, file.display().to_string(), Some(file))
        }
        (None, None) => (
            embedded_model()?,
            format!("{DEFAULT_MODEL_FILE} (embedded)"),
            None,
        ),
    };
    let models = Models::new(loaded);
    let models = match (packs, env_dir) {
        (Some(dir), _) => models.with_pack_dir(dir),
        (None, Some(dir)) => models.with_pack_dir(dir),
        (None, None) => with_embedded_packs(models)?,
    };
    Ok(Resolved {
        models,
        model_name,
        model_file,
    })
}

fn load(file: &Path) -> anyhow::Result<Model> {
    // The library's error names the file.
    Model::load(file).context("cannot load model")
}

/// The bytes of the embedded model and of the embedded English pack (`lm`, `decoder.json`), or
/// `None` when the binary was built without them.
#[cfg(feature = "embedded-models")]
pub fn embedded_bytes() -> Option<(&'static [u8], &'static [u8], &'static str)> {
    Some((embedded::MODEL, embedded::EN_LM, embedded::EN_DECODER))
}

/// The bytes of the embedded model and English pack: none in this build.
#[cfg(not(feature = "embedded-models"))]
pub fn embedded_bytes() -> Option<(&'static [u8], &'static [u8], &'static str)> {
    None
}

#[cfg(feature = "embedded-models")]
fn embedded_model() -> anyhow::Result<Model> {
    Model::from_bytes(embedded::MODEL).context("the embedded model")
}

#[cfg(not(feature = "embedded-models"))]
fn embedded_model() -> anyhow::Result<Model> {
    bail!(
        "no model: pass --model FILE or set {MODELS_ENV}=DIR \
         (this inkjot was built without the `embedded-models` feature)"
    )
}

#[cfg(feature = "embedded-models")]
fn with_embedded_packs(models: Models) -> anyhow::Result<Models> {
    Ok(models.with_pack_bytes("en", embedded::EN_LM, embedded::EN_DECODER)?)
}

#[cfg(not(feature = "embedded-models"))]
fn with_embedded_packs(models: Models) -> anyhow::Result<Models> {
    Ok(models)
}

/// Rejects an n-best count outside 1..=[`inkjot::MAX_NBEST`] before any work is done.
pub fn check_nbest(nbest: usize) -> anyhow::Result<()> {
    inkjot::recognizer::check_nbest(nbest).context("--nbest")
}
