/*
 * diag.c - one place where mistakes in input files become messages.
 *
 * Loaders of configuration, zones and scenarios find mistakes deep inside
 * nested JSON; the person who wrote the file needs to be told where (file,
 * line, column, JSON path) and what was expected, for every mistake at once,
 * in the "file:line:col: path: message" form editors can jump to.  This file
 * formats such messages, hands them to a collector (tests, a GUI) or prints
 * them on stderr, and counts them so a loader can tell whether it failed.
 */
#include "core/bf_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Append the formatted text to buf at *pos, never writing past len (the
 * result is always NUL-terminated when len > 0).  *pos keeps counting past
 * the end so truncation is harmless.
 */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (*pos < len) {
        int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
        if (n > 0)
            *pos += (size_t)n;
    }
    va_end(ap);
}

/*
 * "file:line:col: path: msg"; parts that are unknown are left out: line 0
 * drops ":line:col", col 0 drops ":col", an empty or NULL file drops the
 * file, an empty or NULL path drops "path: ".
 */
void bf_diag_format(char *buf, size_t len, const char *file, int line, int col, const char *path,
                    const char *msg)
{
    size_t pos = 0;
    if (!buf || len == 0)
        return;
    buf[0] = '\0';
    int have_loc = 0;
    if (file && file[0]) {
        put(buf, len, &pos, "%s", file);
        have_loc = 1;
    }
    if (line > 0) {
        put(buf, len, &pos, have_loc ? ":%d" : "%d", line);
        if (col > 0)
            put(buf, len, &pos, ":%d", col);
        have_loc = 1;
    }
    if (have_loc)
        put(buf, len, &pos, ": ");
    if (path && path[0])
        put(buf, len, &pos, "%s: ", path);
    put(buf, len, &pos, "%s", msg ? msg : "");
}

/*
 * Format the message, then give it to d->report, or print it on stderr when
 * d (or d->report) is NULL; d->n_errors counts it.  The message may be of
 * any length (it is allocated when it does not fit a line).
 */
void bf_diag_errorf(struct bf_diag *d, const char *file, int line, int col, const char *path,
                    const char *fmt, ...)
{
    char small[512];
    char *msg = small;
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        snprintf(small, sizeof small, "(unprintable message)");
    } else if ((size_t)n >= sizeof small) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            va_start(ap, fmt);
            vsnprintf(big, (size_t)n + 1, fmt, ap);
            va_end(ap);
            msg = big;
        }   /* else keep the truncated text */
    }

    if (d && d->report) {
        d->report(d->ctx, file, line, col, path ? path : "", msg);
    } else {
        size_t need = strlen(msg) + (file ? strlen(file) : 0) + (path ? strlen(path) : 0) + 64;
        char *line_buf = malloc(need);
        if (line_buf) {
            bf_diag_format(line_buf, need, file, line, col, path, msg);
            fprintf(stderr, "%s\n", line_buf);
            free(line_buf);
        } else {
            fprintf(stderr, "%s\n", msg);
        }
    }
    if (d)
        d->n_errors++;
    if (msg != small)
        free(msg);
}
