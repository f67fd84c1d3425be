package inkjot;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A handwriting recognizer backed by the native inkjot library (libinkjot_jni.so).
 *
 * <p>Thread safety: one recognizer may be used from any number of threads at once. {@link #close}
 * waits for calls in flight and makes later calls throw {@link IllegalStateException}. Sessions
 * made by {@link #newSession} stay usable after the recognizer is closed.
 *
 * <pre>{@code
 * try (Recognizer r = Recognizer.fromPath("/data/.../recognizer-int8.safetensors", null)) {
 *     Candidate[] c = r.recognize(xs, ys, ts, new Options().nbest(3));
 * }
 * }</pre>
 */
public final class Recognizer implements AutoCloseable {
    static {
        System.loadLibrary("inkjot_jni");
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    private Recognizer(long handle) {
        this.handle = handle;
    }

    /**
     * Loads a model file (or a directory holding recognizer-int8.safetensors).
     *
     * @param lang a language code whose pack (lm.bin or lm.fst, decoder.json) is {@code <model dir>/<lang>/},
     *     or null / "" for no language model
     */
    public static Recognizer fromPath(String modelPath, String lang) {
        return new Recognizer(nativeNewFromPath(modelPath, lang));
    }

    /**
     * Loads a model from memory (e.g. read from the APK's assets).
     *
     * @param lm the bytes of a language pack's LM file (lm.bin or lm.fst), or null for none
     * @param decoderConfig the text of the pack's decoder.json, or null for the defaults (only
     *     with an LM)
     */
    public static Recognizer fromBytes(byte[] model, byte[] lm, String decoderConfig) {
        return new Recognizer(nativeNewFromBytes(model, lm, decoderConfig));
    }

    /** The native library's version. */
    public static String version() {
        return nativeVersion();
    }

    /** The C ABI version the native library was built with. */
    public static int abiVersion() {
        return nativeAbiVersion();
    }

    /**
     * Recognizes one ink: stroke {@code i} has points {@code (x[i][k], y[i][k], t[i][k])}, x to
     * the right, y downward, t in milliseconds. {@code t} may be null (10 ms per point is
     * assumed). {@code options} may be null for the defaults.
     *
     * @return the candidates, best first; an ink written over several lines is read line by line
     *     (see {@link Candidate#lines})
     * @throws InkjotException for an invalid ink (code INVALID_INK) or option (INVALID_ARGUMENT)
     */
    public Candidate[] recognize(float[][] x, float[][] y, long[][] t, Options options) {
        Options o = options != null ? options : new Options();
        lock.readLock().lock();
        try {
            return nativeRecognize(live(), x, y, t, o.nbest, o.preContext, o.writingAreaHeight, o.useLm,
                    o.userWords, o.segments, o.singleLine);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@link #recognize(float[][], float[][], long[][], Options)} with the default options. */
    public Candidate[] recognize(float[][] x, float[][] y, long[][] t) {
        return recognize(x, y, t, null);
    }

    /**
     * Starts a streaming session. With a positive {@code writingAreaHeight} (the view's height)
     * each finished stroke is processed once and the candidates equal {@link #recognize} with the
     * same height; with 0 the ink's own height is used.
     */
    public Session newSession(double writingAreaHeight) {
        lock.readLock().lock();
        try {
            return new Session(Session.nativeNew(live(), writingAreaHeight));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Frees the native recognizer; idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (handle != 0) {
                nativeFree(handle);
                handle = 0;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private long live() {
        if (handle == 0) throw new IllegalStateException("the recognizer is closed");
        return handle;
    }

    private static native String nativeVersion();

    private static native int nativeAbiVersion();

    private static native long nativeNewFromPath(String modelPath, String lang);

    private static native long nativeNewFromBytes(byte[] model, byte[] lm, String decoderConfig);

    private static native void nativeFree(long handle);

    private static native Candidate[] nativeRecognize(long handle, float[][] x, float[][] y,
            long[][] t, int nbest, String preContext, double writingAreaHeight, boolean useLm,
            String userWords, boolean segments, boolean singleLine);
}
