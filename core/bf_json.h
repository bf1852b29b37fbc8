/*
 * bf_json.h - JSON documents that remember where every value came from.
 *
 * cJSON parses the text; a second, position-only scan of the same text walks
 * the values in document order and pairs them with the cJSON tree, so any
 * node can be traced back to its line, column and JSON path.  That is what
 * lets configuration and scenario errors say "file:line:col: path: reason".
 *
 * Typical use:
 *
 *   struct bf_json_doc *doc;
 *   if (bf_json_doc_load(path, &doc, diag) < 0) return ...;   // syntax errors reported
 *   const cJSON *root = bf_json_doc_root(doc);
 *   double r;
 *   bf_json_get_number(doc, diag, root, "range_m", true, 1.0, 1e6, &r);
 *   bf_json_check_keys(doc, diag, root, (const char *[]){"range_m", "id", NULL});
 *
 * The getters report a diagnostic (with position and path) and return a
 * negative BF_E* when the key is missing but required, has the wrong type or
 * is out of range; when an optional key is absent they return 1 and leave
 * *out untouched (so callers set defaults first).  They return 0 when a value
 * was read.
 */
#ifndef BF_JSON_H
#define BF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/bf_diag.h"

struct bf_json_doc;   /* opaque */

/* Where a value stands in its source text. path is owned by the doc. */
struct bf_json_where {
    int line;          /* 1-based */
    int col;           /* 1-based, in bytes */
    const char *path;  /* "sensors[1].range_m"; "" for the root */
};

/*
 * Parse text (len bytes, need not be NUL-terminated) named name (used in
 * diagnostics, usually the file path).  Syntax errors are reported through
 * diag with their line and column.  *out is NULL on failure.
 */
int bf_json_doc_parse(const char *text, size_t len, const char *name, struct bf_json_doc **out,
                      struct bf_diag *diag);

/* Read and parse a file. I/O errors are reported through diag too. */
int bf_json_doc_load(const char *path, struct bf_json_doc **out, struct bf_diag *diag);

void bf_json_doc_destroy(struct bf_json_doc *doc);   /* accepts NULL */

const cJSON *bf_json_doc_root(const struct bf_json_doc *doc);
const char *bf_json_doc_name(const struct bf_json_doc *doc);

/* Position and path of a node of this doc; false if node is not from doc. */
bool bf_json_doc_where(const struct bf_json_doc *doc, const cJSON *node, struct bf_json_where *out);

/* Report an error located at node (or at the whole document if node is NULL). */
void bf_json_errorf(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Short description of a node for messages: "a string \"far\"", "an array", "null". */
void bf_json_describe(const cJSON *node, char *buf, size_t len);

/*
 * Report every member of obj whose key is not in allowed (NULL-terminated),
 * with a "did you mean" suggestion when one allowed key is close.  Returns
 * the number of unknown keys (0 when all are known).
 */
int bf_json_check_keys(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *const *allowed);

/* Typed getters; see the header comment for the return convention. */
int bf_json_get_number(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *key, bool required, double min, double max, double *out);
int bf_json_get_int(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                    const char *key, bool required, int64_t min, int64_t max, int64_t *out);
int bf_json_get_bool(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                     const char *key, bool required, bool *out);
/* *out is borrowed from the doc (valid until bf_json_doc_destroy). Empty strings are refused. */
int bf_json_get_string(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *key, bool required, const char **out);
/* A string that must be one of choices (NULL-terminated); *out is its index. */
int bf_json_get_enum(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                     const char *key, bool required, const char *const *choices, int *out);
/* An object or array member; *out borrowed. Wrong type is an error. */
int bf_json_get_object(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *key, bool required, const cJSON **out);
int bf_json_get_array(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                      const char *key, bool required, const cJSON **out);

#endif
