//! Reading a model file: safetensors with the `inkjot-model` metadata, every size checked.
//!
//! Metadata (all strings): `format` = `inkjot-model`, `version` = `1`, `alphabet` (JSON list,
//! index 0 = "" the CTC blank), `arch` (JSON `{"type": "bi-qrnn", "layers", "hidden", "kernel",
//! "input_dim"}`), `feature_mean` and `feature_std` (JSON lists of `input_dim` numbers),
//! `quantization` (`none` or `int8-per-channel`), and `checksum` (`crc32:` + 8 hex digits, see
//! [`crate::checksum`]: it covers the whole file, so a damaged byte anywhere is refused; a file
//! without one is refused too).
//!
//! Tensors, for layer `l` and direction `d` ∈ {`fwd`, `bwd`}: `qrnn.{l}.{d}.weight` F32
//! `[3H, K·D]` (or `.weight_q` I8 `[3H, K·D]` + `.weight_scale` F32 `[3H]`) and `qrnn.{l}.{d}.bias`
//! F32 `[3H]`; then `out.weight` (or `out.weight_q` + `out.weight_scale`) `[C, 2H]` and `out.bias`
//! `[C]`. D is `input_dim` for layer 0 and 2H above it. Errors name the tensor.
//!
//! Values (every one finite, every scale positive): weights, biases and dequantized int8 weights within ±[`MAX_PARAMETER`], `feature_std`
//! at least [`MIN_FEATURE_STD`], `feature_mean` within ±[`MAX_FEATURE_MEAN`]. Trained models stay
//! far inside (|w| < 10); beyond these, activations can overflow to inf and NaN. int8 weights are
//! symmetric, within ±127 (the exporter clamps to it; the x86 kernel relies on it), so −128 is
//! refused.

use std::collections::HashMap;

use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use serde::Deserialize;

use super::kernels::{Dense, Weights};
use crate::error::{Error, Num, Result};
use crate::features::{FEATURE_DIM, PAPER_FEATURE_DIM};

/// The only model format version this build reads.
pub const FORMAT_VERSION: &str = "1";

/// Upper bounds on what a model file may declare, checked before anything is allocated.
const MAX_LAYERS: usize = 16;
const MAX_HIDDEN: usize = 2048;
const MAX_KERNEL: usize = 8;
const MAX_SYMBOLS: usize = 4096;

/// Largest magnitude of a weight, a bias or a dequantized int8 weight.
pub const MAX_PARAMETER: f32 = 1e4;
/// Smallest `feature_std` (features are divided by it).
pub const MIN_FEATURE_STD: f32 = 1e-4;
/// Largest magnitude of a `feature_mean` entry.
pub const MAX_FEATURE_MEAN: f32 = 1e6;

/// True for a finite value within ±`limit`.
fn within(v: f32, limit: f32) -> bool {
    v.abs() <= limit
}

/// The network's shape, from the file's `arch` metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Architecture {
    /// Number of bidirectional QRNN layers.
    pub layers: usize,
    /// Hidden units per direction.
    pub hidden: usize,
    /// Width of the causal convolution over time.
    pub kernel: usize,
    /// Values per input frame: the first `input_dim` curve features (10 for models trained before
    /// the position feature `y`, 11 since).
    pub input_dim: usize,
}

#[derive(Deserialize)]
struct RawArch {
    #[serde(rename = "type")]
    kind: String,
    layers: usize,
    hidden: usize,
    kernel: usize,
    input_dim: usize,
}

/// Everything a model file holds, checked.
pub struct ModelParts {
    /// Output symbols; index 0 is the blank.
    pub alphabet: Vec<String>,
    /// Shape of the network.
    pub arch: Architecture,
    /// Per-feature mean subtracted from the input.
    pub feature_mean: Vec<f32>,
    /// Per-feature standard deviation the input is divided by.
    pub feature_std: Vec<f32>,
    /// `[layer][direction]` convolutions producing the z, f, o gates.
    pub layers: Vec<[Dense; 2]>,
    /// The output projection to the alphabet.
    pub output: Dense,
    /// All metadata strings, for display.
    pub metadata: HashMap<String, String>,
}

/// Parses and validates model bytes.
pub fn parse(bytes: &[u8]) -> Result<ModelParts> {
    let bad = |m: String| Error::model(m);
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    crate::checksum::verify_safetensors(bytes).map_err(|e| bad(e.to_string()))?;
    let get = |key: &str| {
        metadata
            .get(key)
            .ok_or_else(|| bad(format!("metadata `{key}` is missing")))
    };
    if get("format")? != "inkjot-model" {
        return Err(bad(format!(
            "format is `{}`, expected `inkjot-model`",
            get("format")?
        )));
    }
    if get("version")? != FORMAT_VERSION {
        return Err(bad(format!(
            "format version {} is not supported (this build reads version {FORMAT_VERSION})",
            get("version")?
        )));
    }
    let raw: RawArch =
        serde_json::from_str(get("arch")?).map_err(|e| bad(format!("bad `arch`: {e}")))?;
    if raw.kind != "bi-qrnn" {
        return Err(bad(format!("architecture `{}` is not supported", raw.kind)));
    }
    let arch = Architecture {
        layers: raw.layers,
        hidden: raw.hidden,
        kernel: raw.kernel,
        input_dim: raw.input_dim,
    };
    if arch.layers == 0 || arch.layers > MAX_LAYERS {
        return Err(bad(format!(
            "{} layers (1..={MAX_LAYERS} allowed)",
            arch.layers
        )));
    }
    if arch.hidden == 0 || arch.hidden > MAX_HIDDEN {
        return Err(bad(format!(
            "hidden size {} (1..={MAX_HIDDEN} allowed)",
            arch.hidden
        )));
    }
    if arch.kernel == 0 || arch.kernel > MAX_KERNEL {
        return Err(bad(format!(
            "kernel width {} (1..={MAX_KERNEL} allowed)",
            arch.kernel
        )));
    }
    if arch.input_dim != FEATURE_DIM && arch.input_dim != PAPER_FEATURE_DIM {
        return Err(bad(format!(
            "input_dim {} (this build reads models of {PAPER_FEATURE_DIM} or {FEATURE_DIM} features per curve)",
            arch.input_dim
        )));
    }
    let alphabet: Vec<String> =
        serde_json::from_str(get("alphabet")?).map_err(|e| bad(format!("bad `alphabet`: {e}")))?;
    if let Some(i) = alphabet.iter().skip(1).position(String::is_empty) {
        return Err(bad(format!("`alphabet` entry {} is empty", i + 1)));
    }
    if alphabet.len() < 2 || alphabet.len() > MAX_SYMBOLS {
        return Err(bad(format!(
            "alphabet of {} symbols (2..={MAX_SYMBOLS} allowed)",
            alphabet.len()
        )));
    }
    let feature_mean = float_list(get("feature_mean")?, "feature_mean", arch.input_dim)?;
    let feature_std = float_list(get("feature_std")?, "feature_std", arch.input_dim)?;
    if feature_std
        .iter()
        .any(|s| !(s.is_finite() && *s >= MIN_FEATURE_STD))
    {
        return Err(bad(format!(
            "feature_std must be at least {MIN_FEATURE_STD}"
        )));
    }
    if feature_mean.iter().any(|m| !within(*m, MAX_FEATURE_MEAN)) {
        return Err(bad(format!(
            "feature_mean must be within ±{MAX_FEATURE_MEAN}"
        )));
    }
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| bad(format!("bad tensors: {e}")))?;
    let h = arch.hidden;
    let mut layers = Vec::with_capacity(arch.layers);
    for l in 0..arch.layers {
        let d_in = if l == 0 { arch.input_dim } else { 2 * h };
        let fwd = dense(
            &tensors,
            &format!("qrnn.{l}.fwd"),
            3 * h,
            arch.kernel * d_in,
        )?;
        let bwd = dense(
            &tensors,
            &format!("qrnn.{l}.bwd"),
            3 * h,
            arch.kernel * d_in,
        )?;
        layers.push([fwd, bwd]);
    }
    let output = dense(&tensors, "out", alphabet.len(), 2 * h)?;
    Ok(ModelParts {
        alphabet,
        arch,
        feature_mean,
        feature_std,
        layers,
        output,
        metadata,
    })
}

fn float_list(text: &str, key: &str, len: usize) -> Result<Vec<f32>> {
    let values: Vec<f32> =
        serde_json::from_str(text).map_err(|e| Error::model(format!("bad `{key}`: {e}")))?;
    if values.len() != len || values.iter().any(|v| !v.is_finite()) {
        return Err(Error::model(format!(
            "`{key}` must hold {len} finite numbers"
        )));
    }
    Ok(values)
}

/// Reads `{prefix}.weight` (f32) or `{prefix}.weight_q` + `.weight_scale` (int8) and `{prefix}.bias`.
fn dense(tensors: &SafeTensors, prefix: &str, rows: usize, cols: usize) -> Result<Dense> {
    let weights = if tensors
        .names()
        .iter()
        .any(|n| *n == &format!("{prefix}.weight_q"))
    {
        let q = tensor(
            tensors,
            &format!("{prefix}.weight_q"),
            Dtype::I8,
            &[rows, cols],
        )?;
        let scale = f32s(&tensor(
            tensors,
            &format!("{prefix}.weight_scale"),
            Dtype::F32,
            &[rows],
        )?);
        if let Some((i, s)) = scale
            .iter()
            .enumerate()
            .find(|(_, s)| !(s.is_finite() && **s > 0.0 && within(**s * 127.0, MAX_PARAMETER)))
        {
            return Err(Error::model(format!(
                "tensor `{prefix}.weight_scale`: row {i} has scale {} (scales must be positive and at most {})",
                Num(f64::from(*s)),
                Num(f64::from(MAX_PARAMETER / 127.0))
            )));
        }
        let q: Vec<i8> = q.iter().map(|&b| b as i8).collect();
        if let Some(i) = q.iter().position(|&v| v == i8::MIN) {
            return Err(Error::model(format!(
                "tensor `{prefix}.weight_q`: value {i} is -128 (int8 weights are symmetric, within ±127)"
            )));
        }
        Weights::Int8 { q, scale }
    } else {
        let w = f32s(&tensor(
            tensors,
            &format!("{prefix}.weight"),
            Dtype::F32,
            &[rows, cols],
        )?);
        check_values(&w, &format!("{prefix}.weight"))?;
        Weights::F32(w)
    };
    let bias = f32s(&tensor(
        tensors,
        &format!("{prefix}.bias"),
        Dtype::F32,
        &[rows],
    )?);
    check_values(&bias, &format!("{prefix}.bias"))?;
    Ok(Dense {
        rows,
        cols,
        weights,
        bias,
    })
}

/// Every value finite and within ±[`MAX_PARAMETER`]; the error names the tensor and the index.
fn check_values(values: &[f32], name: &str) -> Result<()> {
    match values
        .iter()
        .enumerate()
        .find(|(_, v)| !within(**v, MAX_PARAMETER))
    {
        Some((i, v)) if !v.is_finite() => Err(Error::model(format!(
            "tensor `{name}`: value {i} is {v} (all values must be finite)"
        ))),
        Some((i, v)) => Err(Error::model(format!(
            "tensor `{name}`: value {i} is {} (beyond ±{})",
            Num(f64::from(*v)),
            Num(f64::from(MAX_PARAMETER))
        ))),
        None => Ok(()),
    }
}

fn tensor(tensors: &SafeTensors, name: &str, dtype: Dtype, shape: &[usize]) -> Result<Vec<u8>> {
    let view = tensors
        .tensor(name)
        .map_err(|_| Error::model(format!("tensor `{name}` is missing")))?;
    if view.dtype() != dtype || view.shape() != shape {
        return Err(Error::model(format!(
            "tensor `{name}` is {:?} {:?}, expected {dtype:?} {shape:?}",
            view.dtype(),
            view.shape()
        )));
    }
    Ok(view.data().to_vec())
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
