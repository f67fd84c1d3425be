package inkjot;

/**
 * One line of writing of the ink, top to bottom: a candidate's text for it and the strokes that
 * form it (the ink is split into lines unless {@link Options#singleLine} is set).
 */
public final class Line {
    /** The candidate's text of this line (its text split at '\n'). */
    public final String text;
    /** Indices of the strokes (as passed in) that form the line, ascending. */
    public final int[] strokes;
    /** Bounding box of those strokes' points in the ink's units (min x, min y, max x, max y). */
    public final double[] box;

    /** Made by the native bridge. */
    public Line(String text, int[] strokes, double[] box) {
        this.text = text;
        this.strokes = strokes;
        this.box = box;
    }

    @Override
    public String toString() {
        return "\"" + text + "\" " + strokes.length + " strokes";
    }
}
