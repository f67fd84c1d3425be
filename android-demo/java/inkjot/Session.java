package inkjot;

/**
 * Streaming recognition: add points as the pen moves, end each stroke when it lifts, and ask for
 * the current candidates at any time. Made by {@link Recognizer#newSession}.
 *
 * <p>Thread safety: the methods are synchronized; a session may be used from any thread.
 */
public final class Session implements AutoCloseable {
    private long handle;

    Session(long handle) {
        this.handle = handle;
    }

    /** Appends a point (t in milliseconds) to the stroke in progress, starting one if needed. */
    public synchronized void addPoint(float x, float y, long t) {
        nativeAddPoint(live(), x, y, t);
    }

    /** Ends the stroke in progress (pen up); does nothing when none is in progress. */
    public synchronized void endStroke() {
        nativeEndStroke(live());
    }

    /**
     * The candidates for everything written so far, the stroke in progress included; empty when
     * nothing was written. {@code options} may be null; its writing area is ignored (the
     * session's applies).
     */
    public synchronized Candidate[] candidates(Options options) {
        Options o = options != null ? options : new Options();
        return nativeCandidates(live(), o.nbest, o.preContext, o.useLm, o.userWords, o.segments,
                o.singleLine);
    }

    /** Forgets all strokes (after the text was committed). */
    public synchronized void clear() {
        nativeClear(live());
    }

    /** Strokes so far, the one in progress included. */
    public synchronized int strokeCount() {
        return nativeStrokeCount(live());
    }

    /** Frees the native session; idempotent. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            nativeFree(handle);
            handle = 0;
        }
    }

    private long live() {
        if (handle == 0) throw new IllegalStateException("the session is closed");
        return handle;
    }

    static native long nativeNew(long recognizer, double writingAreaHeight);

    private static native void nativeAddPoint(long session, float x, float y, long t);

    private static native void nativeEndStroke(long session);

    private static native Candidate[] nativeCandidates(long session, int nbest, String preContext,
            boolean useLm, String userWords, boolean segments, boolean singleLine);

    private static native void nativeClear(long session);

    private static native int nativeStrokeCount(long session);

    private static native void nativeFree(long session);
}
