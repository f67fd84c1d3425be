/*
 * One recognizer shared by many pthreads: every thread recognizes every ink several times (batch
 * and streaming) and must get exactly the results of a single-threaded run; error messages stay
 * per thread.
 *
 *     test_threads MODEL INKS [THREADS] [ROUNDS]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkjot.h"
#include "../common/ink_text.h"

typedef struct {
    const InkjotRecognizer *recognizer;
    const InkTextFile *file;
    char **expected; /* best candidate per ink */
    int rounds;
    int index;
    int failures;
} Job;

static char *best(const InkjotRecognizer *r, const InkText *ink) {
    InkjotResults *res = NULL;
    if (inkjot_recognize(r, ink->points, ink->lengths, ink->stroke_count, NULL, &res) !=
        INKJOT_STATUS_OK)
        return NULL;
    const char *t = inkjot_results_text(res, 0);
    char *copy = t ? ink_text_strdup(t) : NULL;
    inkjot_results_free(res);
    return copy;
}

static void *work(void *arg) {
    Job *job = arg;
    for (int round = 0; round < job->rounds; round++) {
        for (size_t k = 0; k < job->file->count; k++) {
            size_t i = (k + (size_t)job->index) % job->file->count;
            const InkText *ink = &job->file->inks[i];
            char *got = best(job->recognizer, ink);
            if (!got || strcmp(got, job->expected[i]) != 0) job->failures++;
            free(got);
            /* Each thread's error message is its own. */
            InkjotResults *res = NULL;
            InkjotOptions o = inkjot_options_default();
            o.nbest = 0;
            if (inkjot_recognize(job->recognizer, ink->points, ink->lengths, ink->stroke_count, &o,
                                 &res) != INKJOT_STATUS_INVALID_ARGUMENT ||
                strstr(inkjot_last_error_message(), "nbest") == NULL)
                job->failures++;
        }
        /* A session per thread on the shared recognizer. */
        const InkText *ink = &job->file->inks[(size_t)job->index % job->file->count];
        InkjotSession *s = NULL;
        if (inkjot_session_new(job->recognizer, 0.0, &s) != INKJOT_STATUS_OK) {
            job->failures++;
            continue;
        }
        if (inkjot_session_add_points(s, ink->points, ink->point_count) != INKJOT_STATUS_OK)
            job->failures++;
        InkjotResults *res = NULL;
        if (inkjot_session_candidates(s, NULL, &res) != INKJOT_STATUS_OK) job->failures++;
        inkjot_results_free(res);
        inkjot_session_free(s);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL INKS [THREADS] [ROUNDS]\n", argv[0]);
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 8;
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (threads < 1 || threads > 64 || rounds < 1) return 2;
    InkTextFile file;
    if (ink_text_read(argv[2], &file) != 0 || file.count == 0) return 2;
    InkjotRecognizer *r = NULL;
    if (inkjot_recognizer_new_from_path(argv[1], NULL, &r) != INKJOT_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], inkjot_last_error_message());
        ink_text_free(&file);
        return 2;
    }
    char **expected = calloc(file.count, sizeof *expected);
    int failures = 0;
    for (size_t i = 0; i < file.count; i++) {
        expected[i] = best(r, &file.inks[i]);
        if (!expected[i]) failures++;
    }
    pthread_t ids[64];
    Job jobs[64];
    int created = 0;
    for (int t = 0; t < threads && failures == 0; t++, created++) {
        jobs[t] = (Job){r, &file, expected, rounds, t, 0};
        if (pthread_create(&ids[t], NULL, work, &jobs[t]) != 0) {
            failures++;
            break;
        }
    }
    for (int t = 0; t < created; t++) {
        pthread_join(ids[t], NULL);
        failures += jobs[t].failures;
    }
    inkjot_recognizer_free(r);
    for (size_t i = 0; i < file.count; i++) free(expected[i]);
    free(expected);
    ink_text_free(&file);
    printf("test_threads: %d threads x %d rounds, %d failures\n", threads, rounds, failures);
    return failures == 0 ? 0 : 1;
}
