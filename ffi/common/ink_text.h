/*
 * A tiny reader for the plain text ink format used by the C example and tests
 * (scripts/ink_to_text.py writes it from JSON Lines; ffi/README.md describes it):
 *
 *     # comment
 *     ink <id> <label>
 *     stroke x y t x y t ...
 *
 * Header-only; define _POSIX_C_SOURCE 200809L (for getline) before including any system header.
 */
#ifndef INKJOT_INK_TEXT_H
#define INKJOT_INK_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkjot.h"

typedef struct {
    char *id;
    char *label;
    InkjotPoint *points; /* all strokes, one after the other */
    size_t point_count;
    size_t *lengths; /* points per stroke */
    size_t stroke_count;
} InkText;

typedef struct {
    InkText *inks;
    size_t count;
} InkTextFile;

static char *ink_text_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

static void ink_text_free(InkTextFile *file) {
    for (size_t i = 0; i < file->count; i++) {
        free(file->inks[i].id);
        free(file->inks[i].label);
        free(file->inks[i].points);
        free(file->inks[i].lengths);
    }
    free(file->inks);
    file->inks = NULL;
    file->count = 0;
}

/* Parses one "stroke" line into `ink`; returns 0 on success. */
static int ink_text_add_stroke(InkText *ink, const char *text) {
    size_t cap = ink->point_count + 16;
    InkjotPoint *points = realloc(ink->points, cap * sizeof *points);
    if (!points) return -1;
    ink->points = points;
    size_t n = 0;
    for (;;) {
        double v[3];
        char *end;
        for (int k = 0; k < 3; k++) {
            v[k] = strtod(text, &end);
            if (end == text) {
                if (k == 0) goto done;
                return -1; /* a point with fewer than three values */
            }
            text = end;
        }
        if (ink->point_count + n == cap) {
            cap *= 2;
            points = realloc(ink->points, cap * sizeof *points);
            if (!points) return -1;
            ink->points = points;
        }
        ink->points[ink->point_count + n] = (InkjotPoint){v[0], v[1], v[2]};
        n++;
    }
done:
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n') text++;
    if (*text != '\0') return -1;
    size_t *lengths = realloc(ink->lengths, (ink->stroke_count + 1) * sizeof *lengths);
    if (!lengths) return -1;
    ink->lengths = lengths;
    ink->lengths[ink->stroke_count++] = n;
    ink->point_count += n;
    return 0;
}

/* Reads a text ink file; returns 0 on success, -1 with a message on stderr otherwise. */
static int ink_text_read(const char *path, InkTextFile *out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    InkTextFile file = {NULL, 0};
    char *line = NULL;
    size_t cap = 0;
    size_t line_no = 0;
    int rc = 0;
    while (getline(&line, &cap, f) != -1) {
        line_no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        if (strncmp(line, "ink ", 4) == 0) {
            InkText *inks = realloc(file.inks, (file.count + 1) * sizeof *inks);
            if (!inks) {
                rc = -1;
                break;
            }
            file.inks = inks;
            InkText *ink = &file.inks[file.count++];
            memset(ink, 0, sizeof *ink);
            char *id = line + 4;
            char *space = strchr(id, ' ');
            const char *label = "";
            if (space) {
                *space = '\0';
                label = space + 1;
            }
            ink->id = ink_text_strdup(id);
            ink->label = ink_text_strdup(label);
            if (!ink->id || !ink->label) {
                rc = -1;
                break;
            }
        } else if (strncmp(line, "stroke ", 7) == 0 && file.count > 0) {
            if (ink_text_add_stroke(&file.inks[file.count - 1], line + 7) != 0) {
                fprintf(stderr, "%s:%zu: bad stroke line\n", path, line_no);
                rc = -1;
                break;
            }
        } else {
            fprintf(stderr, "%s:%zu: expected `ink` or `stroke`\n", path, line_no);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    if (rc != 0) {
        ink_text_free(&file);
        return rc;
    }
    *out = file;
    return 0;
}

#endif /* INKJOT_INK_TEXT_H */
