package inkjot;

/** Options of one recognition; the defaults match {@code inkjot_options_default()}. */
public final class Options {
    /** Most candidates to return (1 to 100). */
    public int nbest = 5;
    /** Text before the cursor, to condition the language model; null or "" for none. */
    public String preContext = null;
    /**
     * Height of the area the user wrote in, in the ink's units (the view's height); 0 means the
     * ink's own height. Ignored by {@link Session#candidates}, whose session has its own.
     */
    public double writingAreaHeight = 0.0;
    /** Decode with the language model when the recognizer has one. */
    public boolean useLm = true;
    /** Fill each candidate's {@link Candidate#segments} (batch and session). */
    public boolean segments = false;
    /**
     * Read the ink as one line: by default (batch and session) it is split into lines of writing,
     * each recognized, joined with '\n'.
     */
    public boolean singleLine = false;
    /**
     * Words the decoder favours (contacts, a personal dictionary), one per line; null or "" for
     * none. Used with the language model.
     */
    public String userWords = null;

    /** Sets {@link #nbest}; returns this. */
    public Options nbest(int n) {
        this.nbest = n;
        return this;
    }

    /** Sets {@link #preContext}; returns this. */
    public Options preContext(String text) {
        this.preContext = text;
        return this;
    }

    /** Sets {@link #writingAreaHeight}; returns this. */
    public Options writingAreaHeight(double height) {
        this.writingAreaHeight = height;
        return this;
    }

    /** Sets {@link #segments}; returns this. */
    public Options segments(boolean on) {
        this.segments = on;
        return this;
    }

    /** Sets {@link #singleLine}; returns this. */
    public Options singleLine(boolean on) {
        this.singleLine = on;
        return this;
    }

    /** Sets {@link #userWords} to these words; returns this. */
    public Options userWords(String... words) {
        this.userWords = String.join("\n", words);
        return this;
    }

    /** Sets {@link #useLm}; returns this. */
    public Options useLm(boolean on) {
        this.useLm = on;
        return this;
    }
}
