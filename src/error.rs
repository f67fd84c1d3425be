//! The library's error type: one enum, each variant a stable kind that maps to one C error code.

use std::fmt;

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
    #[error("stroke {stroke}, point {point}: |{channel}| = {value} exceeds the limit {limit}")]
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
        "stroke {stroke}, point {point}: time goes backwards ({previous} ms then {current} ms)"
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
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)
    }
}

/// Every error the library reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ink is invalid (see [`InkError`]).
    #[error("invalid ink: {0}")]
    Ink(#[from] InkError),
    /// The ink in a file is invalid.
    #[error("{location}: invalid ink: {source}")]
    InkAt {
        /// Where in the file.
        location: Location,
        /// What is wrong.
        source: InkError,
    },
    /// A file or line could not be parsed (malformed JSON or XML, wrong types).
    #[error("{location}: {message}")]
    Parse {
        /// Where in the file.
        location: Location,
        /// What the parser said.
        message: String,
    },
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A model or language-model file is missing pieces, has the wrong version or bad shapes.
    #[error("invalid model: {0}")]
    Model(String),
    /// An argument is out of its documented range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// More or fewer candidates were asked for than allowed (1 to `MAX_NBEST`).
    #[error("invalid argument: nbest must be 1 to {max}, not {nbest}")]
    NbestOutOfRange {
        /// The number asked for.
        nbest: usize,
        /// The limit, [`crate::recognizer::MAX_NBEST`].
        max: usize,
    },
}

impl Error {
    /// Stable numeric code of this error's kind, as used by the C ABI.
    pub fn code(&self) -> i32 {
        match self {
            Error::InvalidArgument(_) | Error::NbestOutOfRange { .. } => 2,
            Error::Ink(_) | Error::InkAt { .. } => 3,
            Error::Parse { .. } => 4,
            Error::Io(_) => 5,
            Error::Model(_) => 6,
        }
    }

    pub(crate) fn parse(line: usize, message: impl Into<String>) -> Self {
        Error::Parse {
            location: Location { line },
            message: message.into(),
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
