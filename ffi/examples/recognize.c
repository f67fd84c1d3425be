/*
 * Example: recognize every ink of a text ink file and print the candidates.
 *
 *     recognize MODEL INKS [NBEST [LANG]]
 *
 * MODEL is a model file (or a directory holding recognizer-int8.safetensors), INKS a file in the
 * text ink format (ffi/README.md), LANG a language whose pack is MODEL's directory/LANG/ (none by
 * default). For each ink it prints its id, its label and the candidates
 * with their scores; with INKJOT_STREAM=1 in the environment it feeds the points one by one into
 * a streaming session instead and prints the live candidates after each stroke.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "inkjot.h"
#include "../common/ink_text.h"

static int fail(const char *what, InkjotStatus status) {
    fprintf(stderr, "%s: %s: %s\n", what, inkjot_status_name((int)status),
            inkjot_last_error_message());
    return 1;
}

static void print_results(const InkjotResults *results) {
    size_t n = inkjot_results_count(results);
    for (size_t i = 0; i < n; i++) {
        printf("%s\"%s\" %.3f", i ? " | " : "", inkjot_results_text(results, i),
               (double)inkjot_results_score(results, i));
    }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL INKS [NBEST [LANG]]\n", argv[0]);
        return 2;
    }
    if (inkjot_abi_version() != INKJOT_ABI_VERSION) {
        fprintf(stderr, "header and library disagree on the ABI version\n");
        return 1;
    }
    InkTextFile file;
    if (ink_text_read(argv[2], &file) != 0) return 1;

    InkjotRecognizer *recognizer = NULL;
    const char *lang = argc > 4 ? argv[4] : NULL;
    InkjotStatus status = inkjot_recognizer_new_from_path(argv[1], lang, &recognizer);
    if (status != INKJOT_STATUS_OK) {
        ink_text_free(&file);
        return fail(argv[1], status);
    }
    InkjotOptions options = inkjot_options_default();
    if (argc > 3) options.nbest = (size_t)strtoul(argv[3], NULL, 10);
    const char *stream = getenv("INKJOT_STREAM");
    int streaming = stream && stream[0] == '1';

    int rc = 0;
    for (size_t i = 0; i < file.count && rc == 0; i++) {
        const InkText *ink = &file.inks[i];
        printf("%s\t%s\t", ink->id, ink->label);
        InkjotResults *results = NULL;
        if (!streaming) {
            status = inkjot_recognize(recognizer, ink->points, ink->lengths, ink->stroke_count,
                                      &options, &results);
            if (status != INKJOT_STATUS_OK) {
                rc = fail(ink->id, status);
                break;
            }
            print_results(results);
            inkjot_results_free(results);
            continue;
        }
        InkjotSession *session = NULL;
        status = inkjot_session_new(recognizer, 0.0, &session);
        const InkjotPoint *p = ink->points;
        for (size_t s = 0; s < ink->stroke_count && status == INKJOT_STATUS_OK; s++) {
            for (size_t k = 0; k < ink->lengths[s] && status == INKJOT_STATUS_OK; k++, p++)
                status = inkjot_session_add_point(session, p->x, p->y, p->t);
            if (status == INKJOT_STATUS_OK) status = inkjot_session_end_stroke(session);
            if (status == INKJOT_STATUS_OK)
                status = inkjot_session_candidates(session, &options, &results);
            if (status == INKJOT_STATUS_OK) {
                printf("\n  after stroke %zu: ", s + 1);
                print_results(results);
                inkjot_results_free(results);
                results = NULL;
            }
        }
        if (status != INKJOT_STATUS_OK) rc = fail(ink->id, status);
        inkjot_session_free(session);
    }
    inkjot_recognizer_free(recognizer);
    ink_text_free(&file);
    return rc;
}
