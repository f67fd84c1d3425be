package inkjot;

/**
 * Which ink wrote one character or word of a candidate (asked for with {@link Options#segments}).
 */
public final class Segment {
    /** The characters. */
    public final String text;
    /** True for a word (a run of non-whitespace characters), false for one character. */
    public final boolean word;
    /**
     * The points that wrote it, in writing order: triples (stroke, first point, last point), all
     * 0-based and inclusive, indices into the ink as it was passed in.
     */
    public final int[] ranges;
    /** Bounding box of those points in the ink's units (min x, min y, max x, max y); null when none. */
    public final double[] box;

    /** Made by the native bridge. */
    public Segment(String text, boolean word, int[] ranges, double[] box) {
        this.text = text;
        this.word = word;
        this.ranges = ranges;
        this.box = box;
    }

    @Override
    public String toString() {
        return (word ? "word " : "char ") + "\"" + text + "\" " + ranges.length / 3 + " ranges";
    }
}
