//! Multi-line ink: splitting an ink into lines of writing ([`split_lines`]) and joining the
//! candidates of its lines, recognized one by one, into candidates for the whole ink
//! ([`join_candidates`]); the [`Recognizer`](crate::Recognizer) does both when
//! [`RecognizeOptions::lines`](crate::RecognizeOptions::lines) is set. docs/lines.md.

mod join;
mod split;

pub use join::join_candidates;
pub use split::split_lines;

use crate::ink::BoundingBox;

/// One line of writing found in an ink: its strokes and their box.
#[derive(Debug, Clone, PartialEq)]
pub struct InkLine {
    /// Indices of the ink's strokes that form the line, ascending (writing order).
    pub strokes: Vec<usize>,
    /// The box of those strokes' points, in ink coordinates.
    pub bbox: BoundingBox,
}

/// One line of a recognition: the best candidate's text for it, its strokes and their box.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    /// The best candidate's text of this line (no line break; outer whitespace trimmed).
    pub text: String,
    /// Indices of the ink's strokes that form the line, ascending (writing order).
    pub strokes: Vec<usize>,
    /// The box of those strokes' points, in ink coordinates.
    pub bbox: BoundingBox,
}

impl serde::Serialize for TextLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TextLine", 3)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("strokes", &self.strokes)?;
        let b = &self.bbox;
        let bbox = (!b.is_empty()).then_some([b.min_x, b.min_y, b.max_x, b.max_y]);
        st.serialize_field("box", &bbox)?;
        st.end()
    }
}
