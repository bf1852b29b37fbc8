/*
 * bf_diag.h - diagnostics for input files (configuration, zones, scenarios).
 *
 * Every mistake found in a file is reported with the file, line, column, the
 * JSON path of the offending value ("sensors[1].range_m") and what was
 * expected, in the compiler form people and editors understand:
 *
 *   config/demo.json:14:19: sensors[1].range_m: expected a number > 0 (metres), got "far"
 *
 * A loader reports every error it finds (not only the first) through a
 * struct bf_diag and fails if diag->n_errors grew.  By default (report ==
 * NULL) messages are printed on stderr; tests install a callback to collect
 * them.
 */
#ifndef BF_DIAG_H
#define BF_DIAG_H

#include <stddef.h>

struct bf_diag {
    /* Called for each error; NULL prints to stderr. line/col are 1-based, 0 if unknown. */
    void (*report)(void *ctx, const char *file, int line, int col, const char *path,
                   const char *msg);
    void *ctx;
    unsigned n_errors;
};

/* Report one error; path may be NULL or "" for "the whole file". */
void bf_diag_errorf(struct bf_diag *d, const char *file, int line, int col, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Format one diagnostic the standard way into buf ("file:line:col: path: msg"). */
void bf_diag_format(char *buf, size_t len, const char *file, int line, int col, const char *path,
                    const char *msg);

#endif
