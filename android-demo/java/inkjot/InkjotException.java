package inkjot;

/**
 * An error reported by the inkjot library. {@link #code} is the C API's status code
 * ({@code INKJOT_STATUS_*} in inkjot.h); the constants below name them.
 */
public final class InkjotException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A bug in inkjot (a caught panic). */
    public static final int INTERNAL = 1;
    /** An argument out of its documented range. */
    public static final int INVALID_ARGUMENT = 2;
    /** An invalid ink: no strokes, empty stroke, NaN, time going backwards, too large. */
    public static final int INVALID_INK = 3;
    /** A file could not be parsed. */
    public static final int PARSE = 4;
    /** Reading a file failed. */
    public static final int IO = 5;
    /** An invalid model or language-model file. */
    public static final int MODEL = 6;
    /** A required value was null (or the object is closed). */
    public static final int NULL_POINTER = 7;
    /** A string is not valid UTF-8. */
    public static final int INVALID_UTF8 = 8;
    /** Valid, but not supported by this build (reserved: not thrown by this version). */
    public static final int UNSUPPORTED = 9;

    /** The status code. */
    public final int code;

    /** Made by the native bridge. */
    public InkjotException(int code, String message) {
        super(message);
        this.code = code;
    }
}
