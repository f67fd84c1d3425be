//! Damaged model files and language packs are refused with an error naming the file and what is
//! wrong: single-byte flips anywhere, NaN or infinite biases, zero or negative scales, an int8
//! weight of −128, a missing checksum.

use std::path::{Path, PathBuf};

use inkjot::Error;
use inkjot::checksum::{seal_decoder_json, seal_safetensors};
use inkjot::decode::{CharLm, LanguagePack, LmBuildConfig, LmFormat, NgramCounter};
use inkjot::model::Model;
use safetensors::SafeTensors;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tiny_model() -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures/tiny-model.safetensors")).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inkjot-integrity-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `bytes` with element `index` of the f32 tensor `name` set to `value`, resealed (so only the
/// value check can refuse it).
fn with_value(bytes: &[u8], name: &str, index: usize, value: f32) -> Vec<u8> {
    let (n, metadata) = SafeTensors::read_metadata(bytes).unwrap();
    let info = metadata.info(name).unwrap();
    let at = 8 + n + info.data_offsets.0 + 4 * index;
    let mut out = bytes.to_vec();
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
    seal_safetensors(&out).unwrap()
}

#[test]
fn every_single_byte_flip_of_the_tiny_model_is_refused() {
    let bytes = tiny_model();
    Model::from_bytes(&bytes).unwrap();
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] ^= mask;
            let result = Model::from_bytes(&damaged);
            assert!(
                matches!(result, Err(Error::Model { .. })),
                "byte {at} ^ {mask:#04x} loaded: {:?}",
                result.map(|_| ())
            );
        }
    }
}

#[test]
fn a_damaged_model_file_is_named_in_the_error() {
    let bytes = tiny_model();
    let dir = temp_dir("model");
    let path = dir.join("damaged.safetensors");
    // Header, metadata and tensor data.
    for at in [3, 100, bytes.len() / 2, bytes.len() - 5] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        std::fs::write(&path, &damaged).unwrap();
        let message = Model::load(&path).unwrap_err().to_string();
        assert_eq!(
            message.matches(path.to_str().unwrap()).count(),
            1,
            "byte {at}: {message}"
        );
        assert!(message.contains("invalid model"), "{message}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_finite_values_are_refused_naming_the_tensor() {
    let bytes = tiny_model();
    for (name, value) in [
        ("out.bias", f32::NAN),
        ("qrnn.0.fwd.bias", f32::INFINITY),
        ("qrnn.0.bwd.bias", f32::NEG_INFINITY),
        ("out.weight", f32::NAN),
    ] {
        let damaged = with_value(&bytes, name, 1, value);
        let message = Model::from_bytes(&damaged).unwrap_err().to_string();
        assert!(message.contains(&format!("`{name}`")), "{message}");
        assert!(message.contains("value 1"), "{message}");
    }
}

#[test]
fn zero_and_negative_scales_are_refused_naming_the_tensor() {
    let bytes = std::fs::read(root().join("models/recognizer-int8.safetensors")).unwrap();
    for (name, value) in [
        ("out.weight_scale", 0.0),
        ("qrnn.2.fwd.weight_scale", -0.01),
        ("qrnn.0.bwd.weight_scale", f32::NAN),
    ] {
        let damaged = with_value(&bytes, name, 3, value);
        let message = Model::from_bytes(&damaged).unwrap_err().to_string();
        assert!(message.contains(&format!("`{name}`")), "{message}");
        assert!(message.contains("row 3"), "{message}");
    }
}

#[test]
fn an_int8_weight_of_minus_128_is_refused_naming_the_tensor() {
    // Int8 weights are symmetric (within ±127), which the x86 kernel's sign trick relies on.
    let bytes = std::fs::read(root().join("models/recognizer-int8.safetensors")).unwrap();
    let name = "qrnn.1.bwd.weight_q";
    let (n, metadata) = SafeTensors::read_metadata(&bytes).unwrap();
    let at = 8 + n + metadata.info(name).unwrap().data_offsets.0 + 7;
    let mut damaged = bytes.clone();
    damaged[at] = 0x80;
    let message = Model::from_bytes(&seal_safetensors(&damaged).unwrap())
        .unwrap_err()
        .to_string();
    assert!(message.contains(&format!("`{name}`")), "{message}");
    assert!(message.contains("value 7 is -128"), "{message}");
    damaged[at] = 0x81; // -127 is allowed
    Model::from_bytes(&seal_safetensors(&damaged).unwrap()).unwrap();
}

#[test]
fn a_model_without_a_checksum_is_refused_and_sealing_restores_it() {
    let bytes = tiny_model();
    let (n, _) = SafeTensors::read_metadata(&bytes).unwrap();
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    // Rename the key (same length, so the offsets stay right).
    let unsealed_header = header.replace("\"checksum\"", "\"checksun\"");
    let mut unsealed = bytes[..8].to_vec();
    unsealed.extend_from_slice(unsealed_header.as_bytes());
    unsealed.extend_from_slice(&bytes[8 + n..]);
    let message = Model::from_bytes(&unsealed).unwrap_err().to_string();
    assert!(message.contains("no `checksum`"), "{message}");
    assert!(message.contains("scripts/seal.py"), "{message}");
    let resealed = seal_safetensors(&unsealed).unwrap();
    let a = Model::from_bytes(&resealed).unwrap();
    let b = Model::from_bytes(&bytes).unwrap();
    let rows = vec![[0.25f32; inkjot::features::FEATURE_DIM]; 4];
    assert_eq!(a.forward(&rows), b.forward(&rows));
}

/// A small pack in a temporary directory: an LM of a few words (OpenFST, `lm.fst`) and a sealed
/// decoder.json.
fn small_pack(dir: &Path) -> (Vec<u8>, String) {
    small_pack_in(dir, LmFormat::Fst)
}

/// [`small_pack`] with its LM in `format` (`lm.fst` or `lm.bin`).
fn small_pack_in(dir: &Path, format: LmFormat) -> (Vec<u8>, String) {
    let config = LmBuildConfig {
        order: 3,
        ..LmBuildConfig::default()
    };
    let mut counter = NgramCounter::new(&config).unwrap();
    for (word, count) in [("the", 50.0), ("then", 9.0), ("ink", 5.0), ("jot", 3.0)] {
        counter.add_word(word, count);
    }
    let lm = counter.build(&config).unwrap().to_bytes().unwrap();
    let lm = CharLm::from_bytes(&lm).unwrap().to_bytes(format).unwrap();
    let json = seal_decoder_json(&lm, r#"{"beam_width": 8, "lm_weight": 0.5}"#).unwrap();
    std::fs::write(dir.join(format.pack_file()), &lm).unwrap();
    std::fs::write(dir.join(LanguagePack::CONFIG_FILE), &json).unwrap();
    (lm, json)
}

#[test]
fn every_single_byte_flip_of_a_small_pack_is_refused_naming_the_file() {
    for format in [LmFormat::Fst, LmFormat::Compact] {
        byte_flips_refused(format);
    }
}

fn byte_flips_refused(format: LmFormat) {
    let dir = temp_dir(&format!("pack-{format:?}"));
    let (lm, json) = small_pack_in(&dir, format);
    assert_eq!(
        LanguagePack::lm_path(&dir).unwrap(),
        dir.join(format.pack_file())
    );
    let pack = LanguagePack::load(&dir).unwrap();
    assert_eq!(pack.config.beam_width, 8);
    let decoder = dir.join(LanguagePack::CONFIG_FILE);
    for (file, original) in [
        (format.pack_file(), lm.clone()),
        (LanguagePack::CONFIG_FILE, json.clone().into_bytes()),
    ] {
        let path = dir.join(file);
        for at in 0..original.len() {
            let mut damaged = original.clone();
            damaged[at] ^= 0x01;
            std::fs::write(&path, &damaged).unwrap();
            let message = match LanguagePack::load(&dir) {
                Err(e @ Error::LanguagePack { .. }) => e.to_string(),
                other => panic!("{file} byte {at}: {:?}", other.map(|_| ())),
            };
            // The checksum in decoder.json vouches for both files, so a mismatch names it.
            let named = message.contains(decoder.to_str().unwrap())
                || message.contains(path.to_str().unwrap());
            assert!(named, "{file} byte {at}: {message}");
        }
        std::fs::write(&path, &original).unwrap();
    }
    // From memory as well.
    let mut damaged = lm.clone();
    damaged[lm.len() / 2] ^= 0x04;
    let message = LanguagePack::from_bytes(&damaged, &json)
        .unwrap_err()
        .to_string();
    assert!(message.starts_with("decoder.json: "), "{message}");
    assert!(message.contains("checksum mismatch"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pack_with_both_lm_files_is_refused() {
    let dir = temp_dir("both");
    let (_, json) = small_pack_in(&dir, LmFormat::Compact);
    LanguagePack::load(&dir).unwrap();
    // The checksum covers lm.bin: an lm.fst beside it would be loaded unchecked by one reader or
    // the other, so the pack is refused, naming the file.
    let fst = CharLm::load(dir.join(LanguagePack::COMPACT_LM_FILE))
        .unwrap()
        .to_bytes(LmFormat::Fst)
        .unwrap();
    std::fs::write(dir.join(LanguagePack::LM_FILE), &fst).unwrap();
    let message = LanguagePack::load(&dir).unwrap_err().to_string();
    assert!(message.contains("keep one LM file"), "{message}");
    assert!(message.contains("lm.bin"), "{message}");
    // Without lm.bin, lm.fst is read, and decoder.json sealed for lm.bin does not vouch for it.
    std::fs::remove_file(dir.join(LanguagePack::COMPACT_LM_FILE)).unwrap();
    let message = LanguagePack::load(&dir).unwrap_err().to_string();
    assert!(message.contains("checksum mismatch"), "{message}");
    assert!(message.contains("covers lm.fst"), "{message}");
    std::fs::write(
        dir.join(LanguagePack::CONFIG_FILE),
        seal_decoder_json(&fst, &json).unwrap(),
    )
    .unwrap();
    LanguagePack::load(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_pack_without_a_checksum_or_with_bad_values_is_refused() {
    let dir = temp_dir("unsealed");
    let (lm, _) = small_pack(&dir);
    let decoder = dir.join(LanguagePack::CONFIG_FILE);
    std::fs::write(&decoder, r#"{"beam_width": 8}"#).unwrap();
    let message = LanguagePack::load(&dir).unwrap_err().to_string();
    assert!(message.contains(decoder.to_str().unwrap()), "{message}");
    assert!(message.contains("no `checksum`"), "{message}");
    // Sealed but out of range: the value is named with the file.
    let json = seal_decoder_json(&lm, r#"{"beam_width": 0}"#).unwrap();
    std::fs::write(&decoder, json).unwrap();
    let message = LanguagePack::load(&dir).unwrap_err().to_string();
    assert!(message.contains(decoder.to_str().unwrap()), "{message}");
    assert!(message.contains("`beam_width` must be"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_shipped_files_are_sealed() {
    for file in [
        "models/recognizer.safetensors",
        "models/recognizer-int8.safetensors",
        "tests/fixtures/tiny-model.safetensors",
    ] {
        Model::load(&root().join(file)).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut packs = 0;
    for entry in std::fs::read_dir(root().join("models")).unwrap().flatten() {
        if entry.path().join("decoder.json").is_file() {
            LanguagePack::load(entry.path()).unwrap_or_else(|e| panic!("{e}"));
            packs += 1;
        }
    }
    assert!(packs >= 20, "{packs} packs");
}
