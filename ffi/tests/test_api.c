/*
 * C test suite of the inkjot API, compiled against the committed header and linked with the
 * shared and with the static library (ffi/run_tests.sh), run under valgrind.
 *
 *     test_api MODEL INKS [MODEL_DIR]
 *
 * MODEL_DIR, when given, holds recognizer-int8.safetensors and the language pack en/ (lm.bin,
 * decoder.json), as an app would lay them out.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkjot.h"
#include "../common/ink_text.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        checks++;                                                                      \
        if (!(cond)) {                                                                 \
            failures++;                                                                \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__,    \
                    __LINE__, #cond, inkjot_last_error_message());                     \
        }                                                                              \
    } while (0)

#define CHECK_STATUS(call, expected) CHECK((call) == (expected))

typedef struct {
    size_t count;
    char text[8][256];
    float score[8];
} Copy;

/* Copies up to 8 candidates and frees the list. */
static Copy take(InkjotResults *results) {
    Copy c;
    memset(&c, 0, sizeof c);
    c.count = inkjot_results_count(results);
    for (size_t i = 0; i < c.count && i < 8; i++) {
        const char *t = inkjot_results_text(results, i);
        CHECK(t != NULL);
        if (t) snprintf(c.text[i], sizeof c.text[i], "%s", t);
        c.score[i] = inkjot_results_score(results, i);
        CHECK(isfinite(c.score[i]));
    }
    CHECK(inkjot_results_text(results, c.count) == NULL);
    CHECK(isnan(inkjot_results_score(results, c.count)));
    inkjot_results_free(results);
    return c;
}

static int same(const Copy *a, const Copy *b, float tolerance) {
    if (a->count != b->count) return 0;
    for (size_t i = 0; i < a->count && i < 8; i++) {
        if (strcmp(a->text[i], b->text[i]) != 0) return 0;
        if (fabsf(a->score[i] - b->score[i]) > tolerance) return 0;
    }
    return 1;
}

static Copy recognize(const InkjotRecognizer *r, const InkText *ink, const InkjotOptions *o) {
    InkjotResults *results = NULL;
    InkjotStatus s = inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, o, &results);
    CHECK(s == INKJOT_STATUS_OK);
    CHECK(results != NULL);
    Copy empty;
    memset(&empty, 0, sizeof empty);
    return results ? take(results) : empty;
}

static void test_version(void) {
    CHECK(inkjot_abi_version() == INKJOT_ABI_VERSION);
    CHECK(strlen(inkjot_version()) > 0);
    CHECK(strcmp(inkjot_status_name(INKJOT_STATUS_OK), "INKJOT_STATUS_OK") == 0);
    CHECK(strcmp(inkjot_status_name(INKJOT_STATUS_INVALID_UTF8), "INKJOT_STATUS_INVALID_UTF8") == 0);
    CHECK(strcmp(inkjot_status_name(12345), "INKJOT_STATUS_UNKNOWN") == 0);
    InkjotOptions o = inkjot_options_default();
    CHECK(o.nbest == 5 && o.pre_context == NULL && o.writing_area_height == 0.0 && o.use_lm && !o.segments);
}

static void test_null_pointers(const InkjotRecognizer *r) {
    InkjotRecognizer *rec = NULL;
    InkjotResults *res = NULL;
    InkjotSession *ses = NULL;
    InkjotPoint p = {1, 2, 3};
    size_t one = 1;
    const InkjotStatus N = INKJOT_STATUS_NULL_POINTER;
    CHECK_STATUS(inkjot_recognizer_new_from_path(NULL, NULL, &rec), N);
    CHECK(strstr(inkjot_last_error_message(), "model_path") != NULL);
    CHECK_STATUS(inkjot_recognizer_new_from_path("x", NULL, NULL), N);
    CHECK_STATUS(inkjot_recognizer_new_from_memory(NULL, 0, NULL, 0, NULL, &rec), N);
    CHECK_STATUS(inkjot_recognizer_new_from_memory((const uint8_t *)"x", 1, NULL, 3, NULL, &rec), N);
    CHECK(rec == NULL);
    CHECK_STATUS(inkjot_recognize(NULL, &p, &one, 1, NULL, &res), N);
    CHECK_STATUS(inkjot_recognize(r, NULL, &one, 1, NULL, &res), N);
    CHECK_STATUS(inkjot_recognize(r, &p, NULL, 1, NULL, &res), N);
    CHECK_STATUS(inkjot_recognize(r, &p, &one, 1, NULL, NULL), N);
    CHECK(res == NULL);
    CHECK(inkjot_results_count(NULL) == 0);
    CHECK(inkjot_results_text(NULL, 0) == NULL);
    CHECK(isnan(inkjot_results_score(NULL, 0)));
    CHECK_STATUS(inkjot_session_new(NULL, 0.0, &ses), N);
    CHECK_STATUS(inkjot_session_new(r, 0.0, NULL), N);
    CHECK_STATUS(inkjot_session_add_point(NULL, 0, 0, 0), N);
    CHECK_STATUS(inkjot_session_add_points(NULL, &p, 1), N);
    CHECK_STATUS(inkjot_session_end_stroke(NULL), N);
    CHECK_STATUS(inkjot_session_candidates(NULL, NULL, &res), N);
    CHECK_STATUS(inkjot_session_clear(NULL), N);
    CHECK(inkjot_session_stroke_count(NULL) == 0);
    CHECK(ses == NULL && res == NULL);
    inkjot_recognizer_free(NULL);
    inkjot_results_free(NULL);
    inkjot_session_free(NULL);
}

static void test_bad_input(const InkjotRecognizer *r, const InkText *ink) {
    InkjotResults *res = NULL;
    InkjotRecognizer *rec = NULL;
    const InkjotStatus BAD_INK = INKJOT_STATUS_INVALID_INK;
    const InkjotStatus BAD_ARG = INKJOT_STATUS_INVALID_ARGUMENT;

    /* Model loading. */
    CHECK_STATUS(inkjot_recognizer_new_from_path("/nonexistent/model.safetensors", NULL, &rec),
                 INKJOT_STATUS_IO);
    CHECK(strstr(inkjot_last_error_message(), "/nonexistent/model.safetensors") != NULL);
    CHECK_STATUS(inkjot_recognizer_new_from_memory((const uint8_t *)"junk", 4, NULL, 0, NULL, &rec),
                 INKJOT_STATUS_MODEL);
    CHECK_STATUS(inkjot_recognizer_new_from_path("\xff\xfe", NULL, &rec), INKJOT_STATUS_INVALID_UTF8);
    CHECK_STATUS(inkjot_recognizer_new_from_path("m", "../en", &rec), BAD_ARG);
    CHECK(rec == NULL);

    /* Lengths. */
    size_t zero_stroke[2] = {ink->lengths[0], 0};
    CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, 0, NULL, &res), BAD_INK);
    CHECK(strstr(inkjot_last_error_message(), "no strokes") != NULL);
    CHECK_STATUS(inkjot_recognize(r, ink->points, zero_stroke, 2, NULL, &res), BAD_INK);
    size_t overflow[2] = {(size_t)-1, 2};
    CHECK_STATUS(inkjot_recognize(r, ink->points, overflow, 2, NULL, &res), BAD_ARG);
    size_t huge = 1000000;
    CHECK_STATUS(inkjot_recognize(r, ink->points, &huge, 1, NULL, &res), BAD_INK);

    /* NaN, infinity, time going backwards. */
    InkjotPoint *copy = malloc(ink->point_count * sizeof *copy);
    memcpy(copy, ink->points, ink->point_count * sizeof *copy);
    copy[1].x = NAN;
    CHECK_STATUS(inkjot_recognize(r, copy, ink->lengths, ink->stroke_count, NULL, &res), BAD_INK);
    CHECK(strstr(inkjot_last_error_message(), "not a finite number") != NULL);
    copy[1] = ink->points[1];
    copy[1].y = INFINITY;
    CHECK_STATUS(inkjot_recognize(r, copy, ink->lengths, ink->stroke_count, NULL, &res), BAD_INK);
    copy[1] = ink->points[1];
    copy[1].t = copy[0].t - 1000.0;
    CHECK_STATUS(inkjot_recognize(r, copy, ink->lengths, ink->stroke_count, NULL, &res), BAD_INK);
    free(copy);

    /* Options. */
    InkjotOptions o = inkjot_options_default();
    o.nbest = 0;
    CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res), BAD_ARG);
    o = inkjot_options_default();
    o.writing_area_height = NAN;
    CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res), BAD_ARG);
    o.writing_area_height = -1.0;
    CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res), BAD_ARG);
    o = inkjot_options_default();
    o.pre_context = "caf\xc3";
    CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res),
                 INKJOT_STATUS_INVALID_UTF8);
    CHECK(res == NULL);

    /* Success clears the thread's last error. */
    o.pre_context = "caf\xc3\xa9 ";
    CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res),
                 INKJOT_STATUS_OK);
    CHECK(strcmp(inkjot_last_error_message(), "") == 0);
    inkjot_results_free(res);
}

static void test_recognize(const char *model, const InkjotRecognizer *r, const InkTextFile *file) {
    /* Loading from memory gives the same recognizer. */
    FILE *f = fopen(model, "rb");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    InkjotRecognizer *mem = NULL;
    CHECK_STATUS(inkjot_recognizer_new_from_memory(bytes, (size_t)size, NULL, 0, NULL, &mem),
                 INKJOT_STATUS_OK);
    free(bytes); /* the recognizer keeps its own copy */
    CHECK_STATUS(inkjot_recognizer_new_from_memory((const uint8_t *)"x", 0, (const uint8_t *)"lm", 2, NULL, &mem),
                 INKJOT_STATUS_MODEL);
    InkjotOptions o = inkjot_options_default();
    o.nbest = 3;
    for (size_t i = 0; i < file->count; i++) {
        Copy a = recognize(r, &file->inks[i], &o);
        Copy b = recognize(mem, &file->inks[i], &o);
        CHECK(a.count >= 1 && a.count <= 3);
        CHECK(same(&a, &b, 0.0f));
        Copy again = recognize(r, &file->inks[i], &o);
        CHECK(same(&a, &again, 0.0f));
    }
    inkjot_recognizer_free(mem);
}

/* Feeds an ink into a session, point by point for odd strokes and in bulk for even ones. */
static Copy stream(InkjotSession *s, const InkText *ink) {
    Copy last;
    memset(&last, 0, sizeof last);
    const InkjotPoint *p = ink->points;
    for (size_t k = 0; k < ink->stroke_count; k++) {
        if (k % 2 == 0) {
            CHECK_STATUS(inkjot_session_add_points(s, p, ink->lengths[k]), INKJOT_STATUS_OK);
        } else {
            for (size_t j = 0; j < ink->lengths[k]; j++)
                CHECK_STATUS(inkjot_session_add_point(s, p[j].x, p[j].y, p[j].t), INKJOT_STATUS_OK);
        }
        p += ink->lengths[k];
        CHECK_STATUS(inkjot_session_end_stroke(s), INKJOT_STATUS_OK);
        CHECK(inkjot_session_stroke_count(s) == k + 1);
        InkjotResults *res = NULL;
        CHECK_STATUS(inkjot_session_candidates(s, NULL, &res), INKJOT_STATUS_OK);
        if (res) last = take(res);
    }
    return last;
}

static void test_session(const InkjotRecognizer *r, const InkTextFile *file) {
    for (size_t i = 0; i < file->count; i++) {
        const InkText *ink = &file->inks[i];
        double max_y = 1.0;
        for (size_t k = 0; k < ink->point_count; k++)
            if (ink->points[k].y > max_y) max_y = ink->points[k].y;
        double height = 1.5 * max_y;
        InkjotSession *s = NULL;
        CHECK_STATUS(inkjot_session_new(r, -1.0, &s), INKJOT_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(inkjot_session_new(r, height, &s), INKJOT_STATUS_OK);
        if (!s) continue;
        InkjotResults *res = NULL;
        CHECK_STATUS(inkjot_session_candidates(s, NULL, &res), INKJOT_STATUS_OK);
        CHECK(inkjot_results_count(res) == 0); /* nothing written yet */
        inkjot_results_free(res);
        Copy streamed = stream(s, ink);
        InkjotOptions o = inkjot_options_default();
        o.writing_area_height = height;
        Copy batch = recognize(r, ink, &o);
        CHECK(same(&streamed, &batch, 1e-4f));
        /* A rejected point changes nothing. */
        CHECK_STATUS(inkjot_session_add_point(s, NAN, 0, 1e6), INKJOT_STATUS_INVALID_INK);
        CHECK_STATUS(inkjot_session_add_point(s, 0, 0, -1e6), INKJOT_STATUS_INVALID_INK);
        CHECK(inkjot_session_stroke_count(s) == ink->stroke_count);
        /* Starting over, the same ink gives the same candidates. */
        CHECK_STATUS(inkjot_session_clear(s), INKJOT_STATUS_OK);
        CHECK(inkjot_session_stroke_count(s) == 0);
        Copy again = stream(s, ink);
        CHECK(same(&streamed, &again, 0.0f));
        inkjot_session_free(s);
    }
}

static void test_session_outlives_recognizer(const char *model, const InkText *ink) {
    InkjotRecognizer *r = NULL;
    CHECK_STATUS(inkjot_recognizer_new_from_path(model, "", &r), INKJOT_STATUS_OK);
    InkjotSession *s = NULL;
    CHECK_STATUS(inkjot_session_new(r, 0.0, &s), INKJOT_STATUS_OK);
    inkjot_recognizer_free(r);
    Copy c = stream(s, ink);
    CHECK(c.count >= 1);
    inkjot_session_free(s);
}

/* Copies the candidates of a session fed with `ink`, asking with `o` after the last stroke. */
static Copy stream_with(InkjotSession *s, const InkText *ink, const InkjotOptions *o) {
    CHECK_STATUS(inkjot_session_add_points(s, ink->points, ink->lengths[0]), INKJOT_STATUS_OK);
    CHECK_STATUS(inkjot_session_end_stroke(s), INKJOT_STATUS_OK);
    const InkjotPoint *p = ink->points + ink->lengths[0];
    for (size_t k = 1; k < ink->stroke_count; k++) {
        CHECK_STATUS(inkjot_session_add_points(s, p, ink->lengths[k]), INKJOT_STATUS_OK);
        p += ink->lengths[k];
        CHECK_STATUS(inkjot_session_end_stroke(s), INKJOT_STATUS_OK);
    }
    InkjotResults *res = NULL;
    CHECK_STATUS(inkjot_session_candidates(s, o, &res), INKJOT_STATUS_OK);
    Copy empty;
    memset(&empty, 0, sizeof empty);
    return res ? take(res) : empty;
}

/* Characters (code points) in a UTF-8 string: the bytes that do not continue a sequence. */
static size_t utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Segments and confidences: the characters' texts concatenate to the candidate, every range lies
 * in the ink, every box inside the ink's box; without the option there are none. */
static void test_segments(const InkjotRecognizer *r, const InkTextFile *file) {
    InkjotOptions o = inkjot_options_default();
    o.segments = true;
    for (size_t i = 0; i < file->count; i++) {
        const InkText *ink = &file->inks[i];
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (size_t k = 0; k < ink->point_count; k++) {
            x0 = fmin(x0, ink->points[k].x);
            x1 = fmax(x1, ink->points[k].x);
            y0 = fmin(y0, ink->points[k].y);
            y1 = fmax(y1, ink->points[k].y);
        }
        InkjotResults *res = NULL;
        CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res), INKJOT_STATUS_OK);
        if (!res) continue;
        size_t count = inkjot_results_count(res);
        for (size_t c = 0; c < count; c++) {
            float conf = inkjot_results_confidence(res, c);
            CHECK(conf >= 0.0f && conf <= 1.0f);
            const char *text = inkjot_results_text(res, c);
            size_t n = inkjot_results_segment_count(res, c);
            CHECK(n >= utf8_chars(text)); /* one segment per character, then words */
            char joined[1024] = "";
            for (size_t k = 0; k < n; k++) {
                InkjotSegment seg;
                CHECK_STATUS(inkjot_results_segment(res, c, k, &seg), INKJOT_STATUS_OK);
                if (seg.kind == INKJOT_SEGMENT_KIND_CHAR && strlen(joined) + strlen(seg.text) < sizeof joined)
                    strcat(joined, seg.text);
                CHECK((seg.ranges == NULL) == (seg.range_count == 0));
                CHECK(seg.has_box == (seg.range_count > 0));
                for (size_t j = 0; j < seg.range_count; j++) {
                    const InkjotPointRange *p = &seg.ranges[j];
                    CHECK(p->stroke < ink->stroke_count);
                    CHECK(p->first <= p->last && p->last < ink->lengths[p->stroke]);
                }
                if (seg.has_box)
                    CHECK(seg.box[0] >= x0 && seg.box[1] >= y0 && seg.box[2] <= x1 && seg.box[3] <= y1 &&
                          seg.box[0] <= seg.box[2] && seg.box[1] <= seg.box[3]);
            }
            CHECK(strcmp(joined, text) == 0);
            InkjotSegment seg;
            CHECK_STATUS(inkjot_results_segment(res, c, n, &seg), INKJOT_STATUS_INVALID_ARGUMENT);
            CHECK_STATUS(inkjot_results_segment(res, c, 0, NULL), INKJOT_STATUS_NULL_POINTER);
        }
        CHECK(inkjot_results_segment_count(res, count) == 0);
        CHECK(isnan(inkjot_results_confidence(res, count)));
        inkjot_results_free(res);
        o.segments = false;
        CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res), INKJOT_STATUS_OK);
        if (res) CHECK(inkjot_results_segment_count(res, 0) == 0);
        inkjot_results_free(res);
        o.segments = true;
    }
}

/* Lines: the best text joins the lines' texts with '\n', every stroke is in exactly one line,
 * each line's box holds its strokes' points; single_line gives one line of every stroke. */
static void test_lines(const InkjotRecognizer *r, const InkTextFile *file) {
    InkjotOptions o = inkjot_options_default();
    CHECK(!o.single_line);
    for (size_t i = 0; i < file->count; i++) {
        const InkText *ink = &file->inks[i];
        for (int single = 0; single <= 1; single++) {
            o.single_line = single;
            InkjotResults *res = NULL;
            CHECK_STATUS(inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, &o, &res),
                         INKJOT_STATUS_OK);
            if (!res) continue;
            size_t n = inkjot_results_line_count(res);
            CHECK(n >= 1 && n <= ink->stroke_count);
            if (single) CHECK(n == 1);
            char joined[1024] = "";
            size_t seen = 0;
            for (size_t k = 0; k < n; k++) {
                InkjotLine line;
                CHECK_STATUS(inkjot_results_line(res, k, &line), INKJOT_STATUS_OK);
                if (k > 0 && strlen(joined) + 1 < sizeof joined) strcat(joined, "\n");
                if (strlen(joined) + strlen(line.text) < sizeof joined) strcat(joined, line.text);
                CHECK(line.stroke_count > 0 && line.strokes != NULL && line.has_box);
                for (size_t j = 0; j < line.stroke_count; j++) {
                    size_t stroke = line.strokes[j];
                    CHECK(stroke < ink->stroke_count);
                    CHECK(j == 0 || line.strokes[j - 1] < stroke);
                    size_t first = 0;
                    for (size_t q = 0; q < stroke && q < ink->stroke_count; q++) first += ink->lengths[q];
                    for (size_t q = 0; stroke < ink->stroke_count && q < ink->lengths[stroke]; q++) {
                        const InkjotPoint *p = &ink->points[first + q];
                        CHECK(p->x >= line.box[0] && p->y >= line.box[1] && p->x <= line.box[2] && p->y <= line.box[3]);
                    }
                }
                seen += line.stroke_count;
            }
            CHECK(seen == ink->stroke_count);
            /* The best text, trimmed of outer spaces, is the lines joined. */
            const char *best = inkjot_results_text(res, 0);
            CHECK(best != NULL);
            if (!best) best = "";
            while (*best == ' ') best++;
            size_t len = strlen(best);
            while (len > 0 && best[len - 1] == ' ') len--;
            CHECK(strlen(joined) == len && strncmp(joined, best, len) == 0);
            InkjotLine line;
            CHECK_STATUS(inkjot_results_line(res, n, &line), INKJOT_STATUS_INVALID_ARGUMENT);
            CHECK_STATUS(inkjot_results_line(res, 0, NULL), INKJOT_STATUS_NULL_POINTER);
            inkjot_results_free(res);
        }
    }
    CHECK(inkjot_results_line_count(NULL) == 0);
}

static void test_language_pack(const char *dir, const InkjotRecognizer *plain, const InkTextFile *file) {
    InkjotRecognizer *r = NULL;
    CHECK_STATUS(inkjot_recognizer_new_from_path(dir, "xx", &r), INKJOT_STATUS_IO);
    /* names the missing pack and the ones that are there */
    CHECK(strstr(inkjot_last_error_message(), "no language pack `xx`") != NULL);
    CHECK(strstr(inkjot_last_error_message(), "(available: ") != NULL);
    CHECK_STATUS(inkjot_recognizer_new_from_path(dir, "en", &r), INKJOT_STATUS_OK);
    if (!r) return;
    test_segments(r, file);
    InkjotOptions lm = inkjot_options_default();
    lm.nbest = 3;
    lm.pre_context = "see you ";
    InkjotOptions greedy = lm;
    greedy.use_lm = false;
    for (size_t i = 0; i < file->count; i++) {
        const InkText *ink = &file->inks[i];
        Copy a = recognize(r, ink, &lm);
        CHECK(a.count >= 1 && a.count <= 3);
        float total = 0.0f; /* scores are each candidate's share of the list */
        for (size_t k = 0; k < a.count; k++) total += expf(a.score[k]);
        CHECK(fabsf(total - 1.0f) < 1e-3f);
        Copy g = recognize(r, ink, &greedy);
        Copy p = recognize(plain, ink, &greedy);
        CHECK(g.count == 1 && same(&g, &p, 0.0f));
        /* A session decodes with the pack as batch recognition does. */
        double max_y = 1.0;
        for (size_t k = 0; k < ink->point_count; k++)
            if (ink->points[k].y > max_y) max_y = ink->points[k].y;
        InkjotSession *s = NULL;
        CHECK_STATUS(inkjot_session_new(r, 1.5 * max_y, &s), INKJOT_STATUS_OK);
        if (!s) continue;
        Copy streamed = stream_with(s, ink, &lm);
        InkjotOptions batch_options = lm;
        batch_options.writing_area_height = 1.5 * max_y;
        Copy batch = recognize(r, ink, &batch_options);
        CHECK(same(&streamed, &batch, 1e-3f));
        inkjot_session_free(s);
    }
    inkjot_recognizer_free(r);
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s MODEL INKS [MODEL_DIR]\n", argv[0]);
        return 2;
    }
    InkTextFile file;
    if (ink_text_read(argv[2], &file) != 0 || file.count == 0) return 2;
    InkjotRecognizer *r = NULL;
    if (inkjot_recognizer_new_from_path(argv[1], NULL, &r) != INKJOT_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], inkjot_last_error_message());
        ink_text_free(&file);
        return 2;
    }
    test_version();
    test_null_pointers(r);
    test_bad_input(r, &file.inks[0]);
    test_recognize(argv[1], r, &file);
    test_session(r, &file);
    test_segments(r, &file);
    test_lines(r, &file);
    test_session_outlives_recognizer(argv[1], &file.inks[1]);
    if (argc == 4) test_language_pack(argv[3], r, &file);
    inkjot_recognizer_free(r);
    ink_text_free(&file);
    printf("test_api: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
