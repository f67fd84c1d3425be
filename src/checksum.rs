//! Checksums that let a loader refuse a damaged model or language pack.
//!
//! Both use CRC-32 (IEEE, the one Python's `zlib.crc32` computes), written as the string
//! `crc32:` + 8 lowercase hex digits, and each covers every byte that decides the output:
//!
//! - **Model files** (safetensors): the metadata key `checksum` holds the CRC-32 of the whole file
//!   with the checksum's 8 hex digits written as `00000000`, so the header, all metadata and all
//!   tensor data are covered.
//! - **Language packs**: `decoder.json`'s member `checksum` holds the CRC-32 of the pack's LM file
//!   (`lm.fst` or `lm.bin`, whichever it has) followed by `decoder.json` itself with the checksum's 8 hex digits written as `00000000`.
//!
//! [`seal_safetensors`] and [`seal_decoder_json`] write them (the Python twin is
//! `scripts/seal.py`); sealing changes only the metadata, never a tensor byte. A file without a
//! checksum is refused: run `python3 scripts/seal.py FILE` once on a file you trust.

use serde_json::Value;

/// The metadata key (models) and JSON member (decoder.json) that holds the checksum.
pub const CHECKSUM_KEY: &str = "checksum";

const PREFIX: &str = "crc32:";
const ZEROS: &str = "00000000";

/// A running CRC-32 (IEEE 802.3, reflected, as zlib).
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

/// Slicing-by-8 tables: `TABLES[0]` is the classic byte table, `TABLES[k][i]` is byte `i`
/// advanced by `k` further zero bytes (about 4x the byte-at-a-time speed, no `unsafe`).
const TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        tables[0][i] = c;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
};

impl Crc32 {
    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let t = &TABLES;
        let mut c = self.0;
        let mut blocks = bytes.chunks_exact(8);
        for b in &mut blocks {
            let lo = c ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            c = t[7][(lo & 0xFF) as usize]
                ^ t[6][((lo >> 8) & 0xFF) as usize]
                ^ t[5][((lo >> 16) & 0xFF) as usize]
                ^ t[4][(lo >> 24) as usize]
                ^ t[3][b[4] as usize]
                ^ t[2][b[5] as usize]
                ^ t[1][b[6] as usize]
                ^ t[0][b[7] as usize];
        }
        for &b in blocks.remainder() {
            c = t[0][((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The checksum of everything added.
    pub fn finish(self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::default();
    c.update(bytes);
    c.finish()
}

/// Why a checksum check failed (the loader adds the file name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChecksumError {
    /// The file has no checksum.
    #[error(
        "no `checksum` (files are sealed when written; seal one you trust with `python3 scripts/seal.py FILE`)"
    )]
    Missing,
    /// The checksum is not `crc32:` + 8 lowercase hex digits.
    #[error("checksum {0:?} is not `crc32:` followed by 8 hex digits")]
    Malformed(String),
    /// The checksum's text is not found verbatim in the file.
    #[error("checksum {0:?} is not written verbatim (exactly once) in the file")]
    NotVerbatim(String),
    /// The content does not match: the file is damaged or was edited after sealing.
    #[error(
        "checksum mismatch: stored {stored:08x}, content gives {computed:08x} (damaged, or edited without resealing)"
    )]
    Mismatch {
        /// The checksum in the file.
        stored: u32,
        /// The checksum of the content.
        computed: u32,
    },
    /// The file is not one that can carry a checksum (not a safetensors file or JSON object).
    #[error("{0}")]
    Format(String),
}

fn parse_value(text: &str) -> Result<u32, ChecksumError> {
    let malformed = || ChecksumError::Malformed(text.chars().take(40).collect());
    let hex = text.strip_prefix(PREFIX).ok_or_else(malformed)?;
    if hex.len() != 8 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(malformed());
    }
    u32::from_str_radix(hex, 16).map_err(|_| malformed())
}

/// Where `crc32:HHHHHHHH` for `value` stands in `text`: the offset of the 8 hex digits.
fn digits_at(text: &[u8], stored: u32) -> Result<usize, ChecksumError> {
    let needle = format!("{PREFIX}{stored:08x}");
    let needle = needle.as_bytes();
    let mut hits = text
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i + PREFIX.len());
    match (hits.next(), hits.next()) {
        (Some(at), None) => Ok(at),
        _ => Err(ChecksumError::NotVerbatim(format!("{PREFIX}{stored:08x}"))),
    }
}

/// CRC-32 of `prefix` then `text` with the 8 bytes at `digits` read as `00000000`.
fn crc_with_zeroed(prefix: &[u8], text: &[u8], digits: usize) -> u32 {
    let mut c = Crc32::default();
    c.update(prefix);
    c.update(&text[..digits]);
    c.update(ZEROS.as_bytes());
    c.update(&text[digits + ZEROS.len()..]);
    c.finish()
}

/// Checks the checksum of a safetensors file (a model, or a golden file of the tests).
pub fn verify_safetensors(bytes: &[u8]) -> Result<(), ChecksumError> {
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| ChecksumError::Format(format!("not a safetensors file: {e}")))?;
    let stored = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(CHECKSUM_KEY))
        .ok_or(ChecksumError::Missing)?;
    let stored = parse_value(stored)?;
    let header = header_len(bytes)
        .and_then(|n| bytes.get(..8 + n))
        .ok_or_else(|| ChecksumError::NotVerbatim(format!("{PREFIX}{stored:08x}")))?;
    let digits = digits_at(header, stored)?;
    let computed = crc_with_zeroed(&[], bytes, digits);
    if computed != stored {
        return Err(ChecksumError::Mismatch { stored, computed });
    }
    Ok(())
}

fn header_len(bytes: &[u8]) -> Option<usize> {
    let n: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    usize::try_from(u64::from_le_bytes(n)).ok()
}

/// A safetensors file with its `checksum` metadata set: the header is rewritten (keys sorted,
/// padded to 8 bytes), the tensor data is copied unchanged.
pub fn seal_safetensors(bytes: &[u8]) -> Result<Vec<u8>, ChecksumError> {
    let bad = |m: &str| ChecksumError::Format(format!("cannot seal: {m}"));
    let n = header_len(bytes).ok_or_else(|| bad("shorter than a safetensors header"))?;
    let end = n
        .checked_add(8)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("header longer than the file"))?;
    let mut header: serde_json::Map<String, Value> = serde_json::from_slice(&bytes[8..end])
        .map_err(|e| {
            ChecksumError::Format(format!("cannot seal: header is not a JSON object: {e}"))
        })?;
    let metadata = header
        .entry("__metadata__")
        .or_insert_with(|| Value::Object(Default::default()));
    let Value::Object(metadata) = metadata else {
        return Err(bad("`__metadata__` is not an object"));
    };
    metadata.insert(
        CHECKSUM_KEY.into(),
        Value::String(format!("{PREFIX}{ZEROS}")),
    );
    let mut text = serde_json::to_string(&header).map_err(|e| bad(&e.to_string()))?;
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - end);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[end..]);
    let digits = digits_at(&out[..8 + text.len()], 0)?;
    let crc = crc32(&out);
    out[digits..digits + 8].copy_from_slice(format!("{crc:08x}").as_bytes());
    Ok(out)
}

/// Checks `decoder.json` (`text`) against `lm` (the bytes of the LM file).
pub(crate) fn verify_decoder_json(
    lm: &[u8],
    text: &str,
    stored: Option<&str>,
) -> Result<(), ChecksumError> {
    let stored = parse_value(stored.ok_or(ChecksumError::Missing)?)?;
    let digits = digits_at(text.as_bytes(), stored)?;
    let computed = crc_with_zeroed(lm, text.as_bytes(), digits);
    if computed != stored {
        return Err(ChecksumError::Mismatch { stored, computed });
    }
    Ok(())
}

/// `decoder.json` (a JSON object) with its `checksum` member set for `lm`, pretty-printed.
pub fn seal_decoder_json(lm: &[u8], decoder_json: &str) -> Result<String, ChecksumError> {
    let mut config: serde_json::Map<String, Value> = serde_json::from_str(decoder_json)
        .map_err(|e| ChecksumError::Format(format!("cannot seal: not a JSON object: {e}")))?;
    config.insert(
        CHECKSUM_KEY.into(),
        Value::String(format!("{PREFIX}{ZEROS}")),
    );
    let mut text =
        serde_json::to_string_pretty(&config).map_err(|e| ChecksumError::Format(e.to_string()))?;
    text.push('\n');
    let digits = digits_at(text.as_bytes(), 0)?;
    let crc = crc_with_zeroed(lm, text.as_bytes(), digits);
    text.replace_range(digits..digits + 8, &format!("{crc:08x}"));
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        // zlib.crc32(b"123456789") == 0xcbf43926, the standard check value.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
        // zlib.crc32(bytes(i * 31 % 251 for i in range(777))) == 0xd9c74a52; the slicing-by-8
        // path must agree with it and with the bit-at-a-time definition, whatever the split.
        let data: Vec<u8> = (0..777u32).map(|i| (i * 31 % 251) as u8).collect();
        let reference = data.iter().fold(0xFFFF_FFFFu32, |c, &b| {
            (0..8).fold(c ^ u32::from(b), |c, _| {
                if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        }) ^ 0xFFFF_FFFF;
        assert_eq!(reference, 0xd9c7_4a52);
        for split in [0, 1, 7, 8, 9, 100, 776] {
            let mut c = Crc32::default();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.finish(), reference, "split at {split}");
        }
    }

    #[test]
    fn sealing_a_decoder_json_verifies_and_any_edit_fails() {
        let lm = b"some lm bytes";
        let text = seal_decoder_json(lm, r#"{"beam_width": 12}"#).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let stored = value[CHECKSUM_KEY].as_str();
        verify_decoder_json(lm, &text, stored).unwrap();
        assert!(matches!(
            verify_decoder_json(b"other lm", &text, stored),
            Err(ChecksumError::Mismatch { .. })
        ));
        let edited = text.replace("12", "13");
        assert!(verify_decoder_json(lm, &edited, stored).is_err());
        assert_eq!(
            verify_decoder_json(lm, &text, None),
            Err(ChecksumError::Missing)
        );
    }
}
