package inkjot;

/** One recognition candidate: the text and its natural-log score (higher is better). */
public final class Candidate {
    /** The recognized text. */
    public final String text;
    /** Natural-log score; the decoder defines its scale. */
    public final float score;

    /** Made by the native bridge. */
    public Candidate(String text, float score) {
        this.text = text;
        this.score = score;
    }

    @Override
    public String toString() {
        return "\"" + text + "\" " + score;
    }
}
