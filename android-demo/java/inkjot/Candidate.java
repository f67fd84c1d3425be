package inkjot;

/**
 * One recognition candidate: the text (lines joined with '\n'), its natural-log score (higher is
 * better), its confidence, its lines and, when asked for, its segments.
 */
public final class Candidate {
    /** The recognized text. */
    public final String text;
    /** Natural-log score; the decoder defines its scale. */
    public final float score;
    /** Probability in [0, 1] that the candidate is what was written (calibrated where the pack has a map). */
    public final float confidence;
    /** Its characters, then its words, with their ink; empty unless {@link Options#segments} was set. */
    public final Segment[] segments;
    /** The ink's lines, top to bottom, with this candidate's text of each; one unless split. */
    public final Line[] lines;

    /** Made by the native bridge. */
    public Candidate(String text, float score, float confidence, Segment[] segments, Line[] lines) {
        this.text = text;
        this.score = score;
        this.confidence = confidence;
        this.segments = segments;
        this.lines = lines;
    }

    @Override
    public String toString() {
        return "\"" + text + "\" " + score;
    }
}
