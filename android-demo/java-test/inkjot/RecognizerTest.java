package inkjot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Host-JVM tests of the Java API against the real native library (no JUnit: a minimal assertion
 * harness, so that no dependency has to be downloaded).
 *
 * <p>Usage: {@code java -Djava.library.path=DIR [-Dinkjot.pack=models/en] inkjot.RecognizerTest
 * INKS MODEL...}
 */
public final class RecognizerTest {
    private static int checks = 0;
    private static int failures = 0;

    private static void check(boolean ok, String what) {
        checks++;
        if (!ok) {
            failures++;
            System.err.println("FAILED: " + what);
        }
    }

    /** Runs {@code body} and checks it throws InkjotException with {@code code}. */
    private static void expectCode(int code, String what, Runnable body) {
        try {
            body.run();
            check(false, what + ": no exception");
        } catch (InkjotException e) {
            check(e.code == code, what + ": code " + e.code + " (" + e.getMessage() + "), expected " + code);
            check(e.getMessage() != null && !e.getMessage().isEmpty(), what + ": empty message");
        }
    }

    /** One ink of the text format (ffi/README.md). */
    static final class Ink {
        String id;
        String label;
        final List<float[]> x = new ArrayList<>();
        final List<float[]> y = new ArrayList<>();
        final List<long[]> t = new ArrayList<>();

        float[][] xs() { return x.toArray(new float[0][]); }
        float[][] ys() { return y.toArray(new float[0][]); }
        long[][] ts() { return t.toArray(new long[0][]); }

        float maxY() {
            float m = 1f;
            for (float[] s : y) for (float v : s) m = Math.max(m, v);
            return m;
        }
    }

    static List<Ink> readInks(Path path) throws IOException {
        List<Ink> inks = new ArrayList<>();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("ink ")) {
                Ink ink = new Ink();
                String[] parts = line.substring(4).split(" ", 2);
                ink.id = parts[0];
                ink.label = parts.length > 1 ? parts[1] : "";
                inks.add(ink);
            } else if (line.startsWith("stroke ")) {
                String[] v = line.substring(7).trim().split(" +");
                int n = v.length / 3;
                float[] x = new float[n], y = new float[n];
                long[] t = new long[n];
                for (int k = 0; k < n; k++) {
                    x[k] = Float.parseFloat(v[3 * k]);
                    y[k] = Float.parseFloat(v[3 * k + 1]);
                    t[k] = Math.round(Double.parseDouble(v[3 * k + 2]));
                }
                Ink ink = inks.get(inks.size() - 1);
                ink.x.add(x);
                ink.y.add(y);
                ink.t.add(t);
            } else {
                throw new IOException("bad line: " + line);
            }
        }
        return inks;
    }

    static boolean same(Candidate[] a, Candidate[] b, float tolerance) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) {
            if (!a[i].text.equals(b[i].text) || Math.abs(a[i].score - b[i].score) > tolerance) return false;
        }
        return true;
    }

    /** Same texts, kinds and ink ranges (boxes may differ by rounding between session and batch). */
    static boolean sameSegments(Segment[] a, Segment[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) {
            if (!a[i].text.equals(b[i].text) || a[i].word != b[i].word
                    || !Arrays.equals(a[i].ranges, b[i].ranges)) return false;
        }
        return true;
    }

    static void testVersion() {
        check(Recognizer.abiVersion() == 3, "abi version");
        check(!Recognizer.version().isEmpty(), "version");
    }

    static void testRecognize(String model, List<Ink> inks) throws IOException {
        byte[] bytes = Files.readAllBytes(Paths.get(model));
        try (Recognizer a = Recognizer.fromPath(model, null);
                Recognizer b = Recognizer.fromBytes(bytes, null, null)) {
            for (Ink ink : inks) {
                Candidate[] ca = a.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(3));
                Candidate[] cb = b.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(3));
                check(ca.length >= 1 && ca.length <= 3, ink.id + ": 1 to 3 candidates");
                check(same(ca, cb, 0f), ink.id + ": fromBytes == fromPath");
                check(same(ca, a.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(3)), 0f),
                        ink.id + ": deterministic");
                System.out.println("  " + ink.id + "\t" + ink.label + "\t" + Arrays.toString(ca));
            }
            // Segments: the characters spell the candidate, every range and box lies in the ink.
            for (Ink ink : inks) {
                Candidate[] cs = a.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(3).segments(true));
                for (Candidate c : cs) {
                    check(c.confidence >= 0f && c.confidence <= 1f, ink.id + ": confidence in [0, 1]");
                    StringBuilder chars = new StringBuilder();
                    for (Segment s : c.segments) {
                        if (!s.word) chars.append(s.text);
                        check(s.ranges.length % 3 == 0 && (s.box == null) == (s.ranges.length == 0),
                                ink.id + ": ranges and box");
                        for (int k = 0; k < s.ranges.length; k += 3) {
                            int stroke = s.ranges[k];
                            check(stroke < ink.x.size() && s.ranges[k + 1] <= s.ranges[k + 2]
                                    && s.ranges[k + 2] < ink.xs()[stroke].length, ink.id + ": range in the ink");
                        }
                        if (s.box != null) check(s.box[0] <= s.box[2] && s.box[1] <= s.box[3]
                                && s.box[3] <= ink.maxY(), ink.id + ": box");
                    }
                    check(chars.toString().equals(c.text), ink.id + ": segments spell \"" + c.text + "\"");
                }
                Candidate[] none = a.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(1));
                check(none[0].segments.length == 0, ink.id + ": no segments unless asked");
            }
            // Time may be left out.
            Ink first = inks.get(0);
            check(a.recognize(first.xs(), first.ys(), null).length >= 1, "no time channel");
            // The pre-context is passed through (UTF-8, any text).
            check(a.recognize(first.xs(), first.ys(), first.ts(), new Options().preContext("café ")).length >= 1,
                    "pre-context");
        }
    }

    static void testErrors(String model, List<Ink> inks) {
        Ink ink = inks.get(1);
        expectCode(InkjotException.IO, "missing model", () -> Recognizer.fromPath("/nonexistent/m.safetensors", null));
        expectCode(InkjotException.MODEL, "junk model", () -> Recognizer.fromBytes(new byte[] {1, 2, 3}, null, null));
        expectCode(InkjotException.NULL_POINTER, "null model", () -> Recognizer.fromPath(null, null));
        expectCode(InkjotException.IO, "no language pack beside the model", () -> Recognizer.fromPath(model, "xx"));
        expectCode(InkjotException.MODEL, "junk LM",
                () -> Recognizer.fromBytes(readAll(model), new byte[] {1, 2, 3}, null));
        expectCode(InkjotException.INVALID_ARGUMENT, "decoder settings without an LM",
                () -> Recognizer.fromBytes(readAll(model), null, "{}"));
        expectCode(InkjotException.INVALID_ARGUMENT, "bad language code", () -> Recognizer.fromPath(model, "../en"));
        Recognizer r = Recognizer.fromPath(model, "");
        {
            expectCode(InkjotException.NULL_POINTER, "null x", () -> r.recognize(null, ink.ys(), ink.ts()));
            expectCode(InkjotException.NULL_POINTER, "null stroke",
                    () -> r.recognize(new float[][] {null}, new float[][] {{1f}}, null));
            expectCode(InkjotException.INVALID_INK, "no strokes",
                    () -> r.recognize(new float[0][], new float[0][], new long[0][]));
            expectCode(InkjotException.INVALID_INK, "empty stroke",
                    () -> r.recognize(new float[][] {{}}, new float[][] {{}}, new long[][] {{}}));
            expectCode(InkjotException.INVALID_ARGUMENT, "stroke counts differ",
                    () -> r.recognize(ink.xs(), new float[0][], null));
            expectCode(InkjotException.INVALID_INK, "lengths differ",
                    () -> r.recognize(new float[][] {{1f, 2f}}, new float[][] {{1f}}, null));
            float[][] nan = ink.xs();
            nan[0] = nan[0].clone();
            nan[0][1] = Float.NaN;
            expectCode(InkjotException.INVALID_INK, "NaN", () -> r.recognize(nan, ink.ys(), ink.ts()));
            long[][] back = ink.ts();
            back[0] = back[0].clone();
            back[0][1] = back[0][0] - 1000;
            expectCode(InkjotException.INVALID_INK, "time backwards", () -> r.recognize(ink.xs(), ink.ys(), back));
            expectCode(InkjotException.INVALID_ARGUMENT, "nbest 0",
                    () -> r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(0)));
            expectCode(InkjotException.INVALID_ARGUMENT, "negative writing area",
                    () -> r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().writingAreaHeight(-2)));
            expectCode(InkjotException.INVALID_ARGUMENT, "NaN writing area",
                    () -> r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().writingAreaHeight(Double.NaN)));
            expectCode(InkjotException.INVALID_ARGUMENT, "NUL in pre-context",
                    () -> r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().preContext("a\0b")));
            r.close();
            r.close(); // idempotent
            try {
                r.recognize(ink.xs(), ink.ys(), ink.ts());
                check(false, "closed recognizer must throw");
            } catch (IllegalStateException e) {
                check(true, "closed");
            }
        }
    }

    static void testSession(String model, List<Ink> inks) {
        Session kept;
        try (Recognizer r = Recognizer.fromPath(model, null)) {
            for (Ink ink : inks) {
                double height = 1.5 * ink.maxY();
                try (Session s = r.newSession(height)) {
                    check(s.candidates(null).length == 0, ink.id + ": empty session");
                    Candidate[] live = null;
                    for (int i = 0; i < ink.x.size(); i++) {
                        for (int k = 0; k < ink.x.get(i).length; k++) {
                            s.addPoint(ink.x.get(i)[k], ink.y.get(i)[k], ink.t.get(i)[k]);
                        }
                        s.endStroke();
                        live = s.candidates(null);
                    }
                    check(s.strokeCount() == ink.x.size(), ink.id + ": stroke count");
                    Candidate[] batch = r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().writingAreaHeight(height));
                    check(same(live, batch, 1e-4f), ink.id + ": streaming " + Arrays.toString(live)
                            + " == batch " + Arrays.toString(batch));
                    // Segments and single-line reading on request, as in batch recognition.
                    Options asked = new Options().segments(true).singleLine(true);
                    Candidate[] liveSegments = s.candidates(asked);
                    Candidate[] batchSegments = r.recognize(ink.xs(), ink.ys(), ink.ts(),
                            asked.writingAreaHeight(height));
                    check(same(liveSegments, batchSegments, 1e-4f), ink.id + ": streaming with segments");
                    for (int c = 0; c < liveSegments.length; c++) {
                        check(liveSegments[c].segments.length > 0
                                && sameSegments(liveSegments[c].segments, batchSegments[c].segments),
                                ink.id + ": session segments " + Arrays.toString(liveSegments[c].segments)
                                        + " == batch " + Arrays.toString(batchSegments[c].segments));
                    }
                    check(live[0].segments.length == 0, ink.id + ": no session segments unless asked");
                    expectCode(InkjotException.INVALID_INK, "NaN point", () -> s.addPoint(Float.NaN, 0f, 1_000_000L));
                    s.clear();
                    check(s.strokeCount() == 0, "cleared");
                }
            }
            expectCode(InkjotException.INVALID_ARGUMENT, "negative session area", () -> r.newSession(-1));
            kept = r.newSession(0);
        }
        // The session outlives its recognizer.
        Ink ink = inks.get(0);
        for (int k = 0; k < ink.x.get(0).length; k++) kept.addPoint(ink.x.get(0)[k], ink.y.get(0)[k], ink.t.get(0)[k]);
        check(kept.candidates(new Options().nbest(1)).length == 1, "session after recognizer close");
        kept.close();
        kept.close();
    }

    /** Two inks of the file written one under the other, the second after the first. */
    static Ink stacked(Ink top, Ink bottom) {
        Ink ink = new Ink();
        ink.id = top.id + "+" + bottom.id;
        ink.label = top.label + "\n" + bottom.label;
        float shift = 1.5f * top.maxY();
        long later = 0;
        for (int i = 0; i < top.x.size(); i++) {
            ink.x.add(top.x.get(i));
            ink.y.add(top.y.get(i));
            ink.t.add(top.t.get(i));
            for (long v : top.t.get(i)) later = Math.max(later, v + 100);
        }
        for (int i = 0; i < bottom.x.size(); i++) {
            float[] y = bottom.y.get(i).clone();
            long[] t = bottom.t.get(i).clone();
            for (int k = 0; k < y.length; k++) y[k] += shift;
            for (int k = 0; k < t.length; k++) t[k] += later;
            ink.x.add(bottom.x.get(i));
            ink.y.add(y);
            ink.t.add(t);
        }
        return ink;
    }

    /** Lines: a sentence written over a word is read line by line, batch and streaming alike. */
    static void testLines(String model, List<Ink> inks) {
        Ink sentence = null, word = null;
        for (Ink ink : inks) {
            if (ink.label.equals("a quick brown fox jumps")) sentence = ink;
            if (ink.label.equals("lunch")) word = ink;
        }
        check(sentence != null && word != null, "the sample has the inks stacked");
        if (sentence == null || word == null) return;
        Ink ink = stacked(sentence, word);
        try (Recognizer r = Recognizer.fromPath(model, null)) {
            Candidate[] cs = r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().nbest(3));
            for (Candidate c : cs) {
                check(c.lines.length == 2, ink.id + ": two lines, got " + Arrays.toString(c.lines));
                StringBuilder joined = new StringBuilder();
                int strokes = 0;
                for (Line line : c.lines) {
                    if (joined.length() > 0) joined.append('\n');
                    joined.append(line.text);
                    for (int s : line.strokes) {
                        boolean top = s < sentence.x.size();
                        check(top == (line == c.lines[0]), ink.id + ": stroke " + s + " in its line");
                    }
                    strokes += line.strokes.length;
                    check(line.box.length == 4 && line.box[1] <= line.box[3], ink.id + ": line box");
                }
                check(strokes == ink.x.size(), ink.id + ": every stroke in one line");
                check(joined.toString().equals(c.text), ink.id + ": lines spell \"" + c.text + "\"");
            }
            Candidate[] one = r.recognize(ink.xs(), ink.ys(), ink.ts(), new Options().singleLine(true));
            check(one[0].lines.length == 1 && one[0].text.indexOf('\n') < 0, ink.id + ": single line");
            try (Session s = r.newSession(0)) {
                for (int i = 0; i < ink.x.size(); i++) {
                    for (int k = 0; k < ink.x.get(i).length; k++) {
                        s.addPoint(ink.x.get(i)[k], ink.y.get(i)[k], ink.t.get(i)[k]);
                    }
                    s.endStroke();
                }
                Candidate[] live = s.candidates(new Options().nbest(3));
                check(live[0].lines.length == 2, ink.id + ": the session starts a new line");
                check(same(live, cs, 1e-4f), ink.id + ": streaming " + Arrays.toString(live)
                        + " == batch " + Arrays.toString(cs));
            }
        }
    }

    /** Whether a candidate other than c[k] holds c[k]'s text as one of its words (any case). */
    static boolean inOtherCandidates(Candidate[] c, int k) {
        String word = c[k].text.toLowerCase();
        for (int j = 0; j < c.length; j++) {
            if (j != k && Arrays.asList(c[j].text.toLowerCase().split("[^a-z]+")).contains(word)) {
                return true;
            }
        }
        return false;
    }

    static byte[] readAll(String path) {
        try {
            return Files.readAllBytes(Paths.get(path));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** A language pack loaded from memory, as an app ships it. */
    static void testLanguagePack(String model, Path pack, List<Ink> inks) throws IOException {
        Path compact = pack.resolve("lm.bin");
        byte[] lm = Files.readAllBytes(Files.exists(compact) ? compact : pack.resolve("lm.fst"));
        String config = new String(Files.readAllBytes(pack.resolve("decoder.json")), StandardCharsets.UTF_8);
        try (Recognizer r = Recognizer.fromBytes(readAll(model), lm, config);
                Recognizer plain = Recognizer.fromPath(model, null)) {
            for (Ink ink : inks) {
                Options o = new Options().nbest(3).preContext("see you ");
                Candidate[] c = r.recognize(ink.xs(), ink.ys(), ink.ts(), o);
                check(c.length >= 1 && c.length <= 3, ink.id + ": 1 to 3 candidates with the LM");
                double total = 0;
                for (Candidate x : c) total += Math.exp(x.score);
                check(Math.abs(total - 1.0) < 1e-3, ink.id + ": shares sum to 1");
                if (c.length >= 2 && c[1].text.matches("[A-Za-z]+") && !inOtherCandidates(c, 1)) {
                    // The runner-up as a user word: its share of the candidates grows (unless
                    // another candidate holds the same word, e.g. "tomorrow." and "tomorrow",
                    // which then gains the same credit).
                    Options mine = new Options().nbest(3).preContext("see you ").userWords("Zofia", c[1].text);
                    double before = share(c, c[1].text);
                    double after = share(r.recognize(ink.xs(), ink.ys(), ink.ts(), mine), c[1].text);
                    check(after > before, ink.id + ": user word " + c[1].text + " " + before + " -> " + after);
                }
                Candidate[] greedy = r.recognize(ink.xs(), ink.ys(), ink.ts(), o.useLm(false));
                check(same(greedy, plain.recognize(ink.xs(), ink.ys(), ink.ts(), o), 0f), ink.id + ": LM off");
                double height = 1.5 * ink.maxY();
                try (Session s = r.newSession(height)) {
                    for (int i = 0; i < ink.x.size(); i++) {
                        for (int k = 0; k < ink.x.get(i).length; k++) {
                            s.addPoint(ink.x.get(i)[k], ink.y.get(i)[k], ink.t.get(i)[k]);
                        }
                        s.endStroke();
                    }
                    Options lmOn = new Options().nbest(3).preContext("see you ");
                    Candidate[] live = s.candidates(lmOn);
                    Candidate[] batch = r.recognize(ink.xs(), ink.ys(), ink.ts(), lmOn.writingAreaHeight(height));
                    check(same(live, batch, 1e-3f), ink.id + ": streaming with the LM " + Arrays.toString(live)
                            + " == batch " + Arrays.toString(batch));
                }
            }
        }
    }

    /** The share (exp score) of the candidate spelling `text`, 0 when absent. */
    static double share(Candidate[] candidates, String text) {
        for (Candidate c : candidates) {
            if (c.text.equals(text)) return Math.exp(c.score);
        }
        return 0;
    }

    static void testThreads(String model, List<Ink> inks) throws Exception {
        try (Recognizer r = Recognizer.fromPath(model, null)) {
            Candidate[][] expected = new Candidate[inks.size()][];
            for (int i = 0; i < inks.size(); i++) {
                Ink ink = inks.get(i);
                expected[i] = r.recognize(ink.xs(), ink.ys(), ink.ts());
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 64; task++) {
                final int i = task % inks.size();
                results.add(pool.submit(() -> {
                    Ink ink = inks.get(i);
                    return same(r.recognize(ink.xs(), ink.ys(), ink.ts()), expected[i], 0f);
                }));
            }
            for (Future<Boolean> f : results) check(f.get(), "same result on a pool thread");
            pool.shutdown();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RecognizerTest INKS MODEL...");
            System.exit(2);
        }
        List<Ink> inks = readInks(Paths.get(args[0]));
        testVersion();
        for (int m = 1; m < args.length; m++) {
            System.out.println("model " + args[m]);
            testRecognize(args[m], inks);
            testErrors(args[m], inks);
            testSession(args[m], inks);
            testLines(args[m], inks);
            testThreads(args[m], inks);
            String pack = System.getProperty("inkjot.pack");
            if (pack != null) testLanguagePack(args[m], Paths.get(pack), inks);
        }
        System.out.println("RecognizerTest: " + checks + " checks, " + failures + " failures");
        System.exit(failures == 0 ? 0 : 1);
    }
}
