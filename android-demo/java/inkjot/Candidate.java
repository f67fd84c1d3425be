package inkjot;

/**
 * One recognition candidate: the text, its natural-log score (higher is better), its confidence
 * and, when asked for, its segments.
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

    /** Made by the native bridge. */
    public Candidate(String text, float score, float confidence, Segment[] segments) {
        this.text = text;
        this.score = score;
        this.confidence = confidence;
        this.segments = segments;
    }

    @Override
    public String toString() {
        return "\"" + text + "\" " + score;
    }
}
