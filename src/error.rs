//! The library's error type: one `#[non_exhaustive]` enum, one kind per failure with its typed
//! context (the file, line, tensor, argument it is about). The C ABI maps kinds to its status
//! codes in `ffi::error`.
//!
//! Each message says each thing once: [`Error`]'s `Display` is the whole story on one line
//! (including the text of an underlying I/O error) and `source()` is `None`, so printing the
//! error together with its chain (`anyhow`'s `{:#}`) does not repeat anything. The underlying
//! [`std::io::Error`] stays available by matching [`Error::Io`].

use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong with an ink, found while validating it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InkError {
    /// The ink has no strokes.
    #[error("ink has no strokes")]
    NoStrokes,
    /// A stroke has no points.
    #[error("stroke {stroke} has no points")]
    EmptyStroke {
        /// Index of the stroke.
        stroke: usize,
    },
    /// A coordinate or time is NaN or infinite.
    #[error("stroke {stroke}, point {point}: {channel} is not a finite number")]
    NonFinite {
        /// Index of the stroke.
        stroke: usize,
        /// Index of the point within the stroke.
        point: usize,
        /// Which channel: "x", "y" or "t".
        channel: &'static str,
    },
    /// A coordinate is larger in magnitude than the limit.
    #[error(
        "stroke {stroke}, point {point}: |{channel}| = {} exceeds the limit {}",
        Num(*.value),
        Num(*.limit)
    )]
    OutOfRange {
        /// Index of the stroke.
        stroke: usize,
        /// Index of the point within the stroke.
        point: usize,
        /// Which channel: "x", "y" or "t".
        channel: &'static str,
        /// The offending value.
        value: f64,
        /// The limit in force.
        limit: f64,
    },
    /// The channel arrays of a stroke differ in length.
    #[error("stroke {stroke}: x, y and t have different lengths ({x}, {y}, {t})")]
    LengthMismatch {
        /// Index of the stroke.
        stroke: usize,
        /// Length of x.
        x: usize,
        /// Length of y.
        y: usize,
        /// Length of t (0 when t was not given).
        t: usize,
    },
    /// More points than the limit allows.
    #[error("ink has {count} points, more than the limit {limit}")]
    TooManyPoints {
        /// Number of points.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// More strokes than the limit allows.
    #[error("ink has {count} strokes, more than the limit {limit}")]
    TooManyStrokes {
        /// Number of strokes.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Time decreases from one point to the next.
    #[error(
        "stroke {stroke}, point {point}: time goes backwards ({} ms then {} ms)",
        Num(*.previous),
        Num(*.current)
    )]
    TimeBackwards {
        /// Index of the stroke.
        stroke: usize,
        /// Index of the point within the stroke.
        point: usize,
        /// Time of the previous point.
        previous: f64,
        /// Time of this point.
        current: f64,
    },
}

/// Where in an input file something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number (JSON Lines) or 0 when unknown.
    pub line: usize,
    /// The record's own `id`, when the input got far enough to give one.
    pub id: Option<String>,
}

impl Location {
    /// A place known by its line alone.
    pub fn line(line: usize) -> Self {
        Location { line, id: None }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.id, self.line) {
            (Some(id), 0) => write!(f, "ink {id:?}"),
            (Some(id), line) => write!(f, "line {line} (ink {id:?})"),
            (None, line) => write!(f, "line {line}"),
        }
    }
}

/// Every error the library reports. Match on the kind; the message (`Display`) names the file,
/// line, stroke, point, tensor or argument it is about.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The ink is invalid (see [`InkError`]).
    Ink(InkError),
    /// The ink in a file is invalid.
    InkAt {
        /// Where in the file.
        location: Location,
        /// What is wrong.
        source: InkError,
    },
    /// A file or line could not be parsed (malformed JSON or XML, wrong types).
    Parse {
        /// Where in the file.
        location: Location,
        /// What the parser said.
        message: String,
    },
    /// Reading or writing failed.
    Io {
        /// The file, when the failure is about one (`None` for an already open stream).
        path: Option<PathBuf>,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A model file is damaged, from another version or has the wrong shapes.
    Model {
        /// The file (`None` when the model was given as bytes).
        file: Option<PathBuf>,
        /// What is wrong, naming the tensor or metadata key.
        reason: String,
    },
    /// A language-pack file (`lm.fst` or `decoder.json`) is damaged or invalid.
    LanguagePack {
        /// The file (just the file name when the pack was given as bytes).
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An argument is out of its documented range.
    InvalidArgument {
        /// The argument or setting (`nbest`, `beam_width`, `alphabet`, ...).
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing data in a file format failed (a bug or an unwritable shape, not bad input).
    Serialize {
        /// What was being written.
        what: &'static str,
        /// What the serializer said.
        reason: String,
    },
    /// The number of candidates asked for is outside `1..=max`.
    NbestOutOfRange {
        /// The number asked for.
        nbest: usize,
        /// The largest number allowed ([`crate::MAX_NBEST`]).
        max: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Ink(e) => write!(f, "invalid ink: {e}"),
            Error::InkAt { location, source } => write!(f, "{location}: invalid ink: {source}"),
            Error::Parse { location, message } => write!(f, "{location}: {message}"),
            Error::Io {
                path: Some(path),
                source,
            } => write!(f, "{}: {}", path.display(), IoText(source)),
            Error::Io { path: None, source } => write!(f, "I/O error: {}", IoText(source)),
            Error::Model {
                file: Some(file),
                reason,
            } => write!(f, "{}: invalid model: {reason}", file.display()),
            Error::Model { file: None, reason } => write!(f, "invalid model: {reason}"),
            Error::LanguagePack { file, reason } => {
                write!(f, "{}: invalid language pack: {reason}", file.display())
            }
            Error::InvalidArgument { argument, reason } => {
                write!(f, "invalid argument `{argument}`: {reason}")
            }
            Error::Serialize { what, reason } => write!(f, "cannot write {what}: {reason}"),
            Error::NbestOutOfRange { nbest, max } => {
                write!(
                    f,
                    "invalid argument `nbest`: must be 1 to {max}, not {nbest}"
                )
            }
        }
    }
}

/// `source()` is `None` on purpose: `Display` already says what the source would (see the
/// module docs).
impl std::error::Error for Error {}

impl From<InkError> for Error {
    fn from(error: InkError) -> Self {
        Error::Ink(error)
    }
}

/// An I/O error on a stream that has no file name (stdin, a socket); prefer [`Error::io`].
impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
    }
}

impl Error {
    /// The `id` of the ink record this error is about, when the input gave one.
    pub fn record_id(&self) -> Option<&str> {
        match self {
            Error::InkAt { location, .. } | Error::Parse { location, .. } => location.id.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn parse(line: usize, message: impl Into<String>) -> Self {
        Error::Parse {
            location: Location::line(line),
            message: message.into(),
        }
    }

    /// An I/O error about `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: Some(path.as_ref().to_path_buf()),
            source,
        }
    }

    /// A model error not yet tied to a file (see [`Error::in_file`]).
    pub(crate) fn model(reason: impl Into<String>) -> Self {
        Error::Model {
            file: None,
            reason: reason.into(),
        }
    }

    /// A language-pack error about `file`.
    pub(crate) fn pack(file: impl AsRef<Path>, reason: impl Into<String>) -> Self {
        Error::LanguagePack {
            file: file.as_ref().to_path_buf(),
            reason: reason.into(),
        }
    }

    /// An out-of-range argument.
    pub(crate) fn invalid(argument: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument,
            reason: reason.into(),
        }
    }

    /// The same error, tied to `path` when it is about a file and names none yet.
    pub fn in_file(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        match self {
            Error::Io { path: None, source } => Error::Io {
                path: Some(path),
                source,
            },
            Error::Model { file: None, reason } => Error::Model {
                file: Some(path),
                reason,
            },
            Error::LanguagePack { reason, .. } => Error::LanguagePack { file: path, reason },
            other => other,
        }
    }
}

/// An I/O error's text without Rust's " (os error N)" suffix, which says the same thing again.
struct IoText<'a>(&'a std::io::Error);

impl fmt::Display for IoText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        match text.rfind(" (os error ") {
            Some(cut) if text.ends_with(')') => f.write_str(&text[..cut]),
            _ => f.write_str(&text),
        }
    }
}

/// A number as people read it: plain between 0.0001 and a billion, `1.5e308` style outside, so
/// a huge value is not printed as 309 digits.
pub(crate) struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v == 0.0 || !v.is_finite() || (1e-4..1e9).contains(&v.abs()) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_numbers_are_short() {
        let e = InkError::OutOfRange {
            stroke: 0,
            point: 3,
            channel: "x",
            value: f64::MAX,
            limit: 1e6,
        };
        let text = e.to_string();
        assert!(text.contains("1.7976931348623157e308"), "{text}");
        assert!(text.contains("limit 1000000"), "{text}");
        assert!(text.len() < 80, "{text}");
    }

    #[test]
    fn io_errors_name_the_file_once_and_the_cause_once() {
        let source = std::fs::read("/").unwrap_err();
        let e = Error::io("/", source);
        let text = e.to_string();
        assert!(text.starts_with("/: "), "{text}");
        assert!(!text.contains("os error"), "{text}");
        // Printing the chain (as `anyhow`'s `{:#}` does) adds nothing.
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn a_model_error_takes_its_file_once() {
        let e = Error::model("tensor `out.bias` is missing").in_file("m.safetensors");
        let again = e.in_file("other.safetensors");
        assert_eq!(
            again.to_string(),
            "m.safetensors: invalid model: tensor `out.bias` is missing"
        );
    }
}
