//! Opening ink files by path: JSON Lines (plain or gzip) and InkML, chosen by content.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{InkLimits, InkRecord, JsonlReader, parse_inkml};
use crate::error::{Error, Result};

/// The UTF-8 byte order mark some editors write at the start of a text file; it is skipped.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The ink file formats inkjot reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InkFormat {
    /// JSON Lines, one ink per line.
    Jsonl,
    /// JSON Lines compressed with gzip.
    JsonlGz,
    /// One W3C InkML document.
    InkMl,
}

impl InkFormat {
    /// Guesses the format from the first bytes of the input: gzip magic, `<` for XML, else JSONL.
    pub fn sniff(head: &[u8]) -> InkFormat {
        let trimmed = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |i| &head[i..]);
        if head.starts_with(&[0x1f, 0x8b]) {
            InkFormat::JsonlGz
        } else if trimmed.starts_with(b"<") {
            InkFormat::InkMl
        } else {
            InkFormat::Jsonl
        }
    }
}

/// Opens an ink file (or standard input for `-`) and returns its records in file order.
///
/// Errors opening or reading the file come back as `Err`; errors inside one record come back as
/// that record's item, so callers can report them and go on.
pub fn read_ink_file(
    path: &Path,
    limits: InkLimits,
) -> Result<Box<dyn Iterator<Item = Result<InkRecord>>>> {
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(path, e))?)
    };
    read_ink(input, &path.display().to_string(), limits)
}

/// Reads records from any byte stream, sniffing the format; `name` stands for the input in ids of
/// InkML documents that have none.
pub fn read_ink(
    input: impl Read + 'static,
    name: &str,
    limits: InkLimits,
) -> Result<Box<dyn Iterator<Item = Result<InkRecord>>>> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    if reader.fill_buf()?.starts_with(UTF8_BOM) {
        reader.consume(UTF8_BOM.len());
    }
    let format = InkFormat::sniff(reader.fill_buf()?);
    Ok(match format {
        InkFormat::JsonlGz => {
            let decoder = flate2::read::MultiGzDecoder::new(reader);
            Box::new(JsonlReader::new(
                BufReader::with_capacity(1 << 16, decoder),
                limits,
            ))
        }
        InkFormat::Jsonl => Box::new(JsonlReader::new(reader, limits)),
        InkFormat::InkMl => {
            let max_bytes = (limits.max_points as u64).saturating_mul(64).max(1 << 20);
            let mut text = String::new();
            reader
                .take(max_bytes + 1)
                .read_to_string(&mut text)
                .map_err(|e| Error::parse(0, format!("InkML is not UTF-8 text: {e}")))?;
            if text.len() as u64 > max_bytes {
                return Err(Error::parse(
                    0,
                    format!("InkML document larger than {max_bytes} bytes"),
                ));
            }
            Box::new(std::iter::once(parse_inkml(&text, name, &limits)))
        }
    })
}
