/*
 * json.c - JSON documents that remember where every value came from.
 *
 * The problem: cJSON builds a tree but forgets positions, and a person who
 * wrote a 200-line configuration needs "config.json:14:19: sensors[1].range_m:
 * expected a number > 0" to fix it.  So the text is read twice:
 *
 *   1. cJSON parses it into the tree the callers use;
 *   2. a strict, position-only scanner (RFC 8259, no values built) walks the
 *      same text in document order and records, for every value, the byte
 *      offset where it starts and, for object members, where its key starts.
 *
 * A depth-first walk of the cJSON tree visits the values in the same
 * (pre-)order, so value k of the scan is node k of the walk; a hash table
 * (open addressing, below: this file needs nothing beyond libc and cJSON)
 * maps each node to its record.  Line and column come from the offset through
 * a table of line starts; the JSON path ("sensors[1].range_m") is built on
 * demand from parent links and cached.
 *
 * The scanner also explains syntax errors (cJSON only says where it stopped):
 * missing commas, trailing commas, unterminated strings, comments, single
 * quotes.  A document is accepted only when both cJSON and the scanner accept
 * it; duplicate keys in one object are reported as errors too (the document
 * is still returned, the caller fails on diag->n_errors as bf_diag.h says).
 *
 * Invariants: (1) doc->nodes[k].node is the k-th node of a pre-order walk of
 * doc->root; (2) by_node maps every node of the tree to k; (3) line_starts
 * is increasing and line_starts[0] == 0.
 */
#include "core/bf_json.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"

#define NO_PARENT SIZE_MAX
#define NO_KEY SIZE_MAX
#define MAX_DEPTH CJSON_NESTING_LIMIT

struct jpos {
    const cJSON *node;
    size_t val_off;   /* where the value starts */
    size_t key_off;   /* where its key starts (object members), else NO_KEY */
    size_t parent;    /* index of the parent record, NO_PARENT for the root */
    size_t index;     /* position among the parent's children */
    char *path;       /* built on demand by path_of() */
};

/* ---- small helpers: strings, a growable buffer, a hash table ----------- */

static char *str_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* printf into a new malloc'd string; NULL when out of memory. */
static char *str_vprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = str_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

static int ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* strncmp ignoring ASCII case (locale-independent); 0 when equal. */
static int ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = ascii_lower((unsigned char)a[i]), cb = ascii_lower((unsigned char)b[i]);
        if (ca != cb || !ca)
            return ca - cb;
    }
    return 0;
}

static int ascii_casecmp(const char *a, const char *b)
{
    return ascii_ncasecmp(a, b, SIZE_MAX);
}

/* A string being built; oom is set (and the text kept as it was) when a
 * growth fails. */
struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (n >= SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

/* The text, the caller's to free; NULL (and the buffer freed) when a growth failed. */
static char *sbuf_take(struct sbuf *b)
{
    if (b->oom) {
        free(b->s);
        b->s = NULL;
        return NULL;
    }
    return b->s ? b->s : strdup("");
}

/*
 * A fixed-size open-addressing hash table (linear probing) from a non-NULL
 * key to a uintptr_t, sized for the number of keys it will hold (at most half
 * full).  Keys are pointers compared by address, or (strings) NUL-terminated
 * strings compared by content; the table borrows them.
 */
struct ptab {
    const void **keys;   /* NULL: empty slot */
    uintptr_t *vals;
    size_t mask;         /* slots - 1 (a power of two) */
    size_t used;
    bool strings;
};

static int ptab_init(struct ptab *t, size_t n, bool strings)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    t->keys = calloc(cap, sizeof *t->keys);
    t->vals = malloc(cap * sizeof *t->vals);
    t->mask = cap - 1;
    t->used = 0;
    t->strings = strings;
    if (!t->keys || !t->vals) {
        free(t->keys);
        free(t->vals);
        t->keys = NULL;
        t->vals = NULL;
        return BF_ENOMEM;
    }
    return 0;
}

static void ptab_free(struct ptab *t)
{
    free(t->keys);
    free(t->vals);
    t->keys = NULL;
    t->vals = NULL;
}

static size_t ptab_hash(const struct ptab *t, const void *key)
{
    uint64_t h;
    if (t->strings) {   /* FNV-1a */
        h = UINT64_C(14695981039346656037);
        for (const unsigned char *p = key; *p; p++)
            h = (h ^ *p) * UINT64_C(1099511628211);
    } else {   /* the finaliser of MurmurHash3 */
        h = (uint64_t)(uintptr_t)key;
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
    }
    return (size_t)h & t->mask;
}

static bool ptab_same(const struct ptab *t, const void *a, const void *b)
{
    return a == b || (t->strings && !strcmp(a, b));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t ptab_slot(const struct ptab *t, const void *key)
{
    size_t i = ptab_hash(t, key);
    while (t->keys[i] && !ptab_same(t, t->keys[i], key))
        i = (i + 1) & t->mask;
    return i;
}

/* Add key -> val; false when key is already there (its value unchanged) or
 * the table is full. */
static bool ptab_add(struct ptab *t, const void *key, uintptr_t val)
{
    if (t->used >= t->mask / 2 + 1)
        return false;   /* half full: a probe always ends at an empty slot */
    size_t i = ptab_slot(t, key);
    if (t->keys[i])
        return false;
    t->keys[i] = key;
    t->vals[i] = val;
    t->used++;
    return true;
}

static bool ptab_get(const struct ptab *t, const void *key, uintptr_t *val)
{
    if (!t->keys)
        return false;
    size_t i = ptab_slot(t, key);
    if (!t->keys[i])
        return false;
    *val = t->vals[i];
    return true;
}

struct bf_json_doc {
    char *name;
    char *text;           /* NUL-terminated copy of the input */
    size_t len;
    cJSON *root;
    size_t *line_starts;
    size_t n_lines;
    struct jpos *nodes;
    size_t n_nodes;
    struct ptab by_node;  /* const cJSON * -> index */
};

/* ---- text positions ---------------------------------------------------- */

static int build_lines(const char *s, size_t len, size_t **out, size_t *n_out)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n')
            n++;
    size_t *ls = malloc(n * sizeof *ls);
    if (!ls)
        return BF_ENOMEM;
    size_t k = 0;
    ls[k++] = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n')
            ls[k++] = i + 1;
    *out = ls;
    *n_out = n;
    return 0;
}

/* 1-based line and byte column of offset off. */
static void line_col(const size_t *ls, size_t n, size_t off, int *line, int *col)
{
    size_t lo = 0, hi = n;   /* find the last start <= off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ls[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = (int)(lo + 1);
    *col = (int)(off - ls[lo] + 1);
}

/* ---- the position scanner ------------------------------------------------ */

struct scan {
    const char *s;
    size_t len;
    size_t pos;
    const size_t *ls;
    size_t n_lines;
    struct jpos *nodes;
    size_t n, cap;
    bool failed;
    bool nomem;
    size_t err_off;
    char err[320];
};

static void scan_fail(struct scan *sc, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void scan_fail(struct scan *sc, size_t off, const char *fmt, ...)
{
    if (sc->failed)
        return;
    sc->failed = true;
    sc->err_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc->err, sizeof sc->err, fmt, ap);
    va_end(ap);
}

/* A character as it should appear in a message: 'x', or "byte 0x01". */
static const char *show_char(unsigned char c, char buf[16])
{
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else if (c == ' ')
        snprintf(buf, 16, "a space");
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static void skip_ws(struct scan *sc)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->pos++;
    }
}

static size_t push_node(struct scan *sc, size_t val_off, size_t key_off, size_t parent, size_t index)
{
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 64;
        struct jpos *p = realloc(sc->nodes, cap * sizeof *p);
        if (!p) {
            sc->nomem = true;
            scan_fail(sc, val_off, "out of memory");
            return NO_PARENT;
        }
        sc->nodes = p;
        sc->cap = cap;
    }
    sc->nodes[sc->n] = (struct jpos){
        .node = NULL, .val_off = val_off, .key_off = key_off, .parent = parent, .index = index,
        .path = NULL,
    };
    return sc->n++;
}

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* "end of input" message pieces for containers left open. */
static void fail_eof_in(struct scan *sc, size_t open, char closer, const char *what)
{
    int line, col;
    line_col(sc->ls, sc->n_lines, open, &line, &col);
    scan_fail(sc, sc->len, "unexpected end of input: the %s opened at line %d, col %d is not closed; add '%c'",
              what, line, col, closer);
}

static void scan_string(struct scan *sc)
{
    size_t open = sc->pos++;
    while (sc->pos < sc->len) {
        unsigned char c = (unsigned char)sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            return;
        }
        if (c == '\\') {
            if (sc->pos + 1 >= sc->len)
                break;
            char e = sc->s[sc->pos + 1];
            if (e == 'u') {
                for (size_t i = 2; i < 6; i++) {
                    if (sc->pos + i >= sc->len || !isxdigit((unsigned char)sc->s[sc->pos + i])) {
                        scan_fail(sc, sc->pos, "invalid escape in string: \\u needs four hex digits");
                        return;
                    }
                }
                sc->pos += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                char cb[16];
                scan_fail(sc, sc->pos,
                          "invalid escape '\\' followed by %s in string; valid escapes are "
                          "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX (write a backslash as \\\\)",
                          show_char((unsigned char)e, cb));
                return;
            }
            sc->pos += 2;
            continue;
        }
        if (c == '\n' || c == '\r') {
            scan_fail(sc, open, "unterminated string: add the closing '\"' before the end of the line");
            return;
        }
        if (c < 0x20) {
            scan_fail(sc, sc->pos, "control character (byte 0x%02x) inside a string; write it escaped (\\t, \\n, \\u00%02x)", c, c);
            return;
        }
        sc->pos++;
    }
    scan_fail(sc, open, "unterminated string: add the closing '\"' before the end of the input");
}

/* The run of word characters (and '.', '+', '-') at off, for messages. */
static int word_len(const struct scan *sc, size_t off)
{
    size_t e = off;
    while (e < sc->len && e - off < 40 &&
           (is_word_char(sc->s[e]) || sc->s[e] == '.' || sc->s[e] == '+' || sc->s[e] == '-'))
        e++;
    return (int)(e - off);
}

static void scan_number(struct scan *sc)
{
    size_t start = sc->pos;
    const char *s = sc->s;
    size_t p = sc->pos;
    if (p < sc->len && s[p] == '-')
        p++;
    if (p >= sc->len || !isdigit((unsigned char)s[p])) {
        scan_fail(sc, start, "invalid number '%.*s': expected a digit after '-'", word_len(sc, start),
                  s + start);
        return;
    }
    if (s[p] == '0') {
        p++;
        if (p < sc->len && isdigit((unsigned char)s[p])) {
            scan_fail(sc, start, "invalid number '%.*s': leading zeros are not allowed",
                      word_len(sc, start), s + start);
            return;
        }
    } else {
        while (p < sc->len && isdigit((unsigned char)s[p]))
            p++;
    }
    if (p < sc->len && s[p] == '.') {
        p++;
        if (p >= sc->len || !isdigit((unsigned char)s[p])) {
            scan_fail(sc, start, "invalid number '%.*s': expected a digit after '.'",
                      word_len(sc, start), s + start);
            return;
        }
        while (p < sc->len && isdigit((unsigned char)s[p]))
            p++;
    }
    if (p < sc->len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < sc->len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= sc->len || !isdigit((unsigned char)s[p])) {
            scan_fail(sc, start, "invalid number '%.*s': expected a digit in the exponent",
                      word_len(sc, start), s + start);
            return;
        }
        while (p < sc->len && isdigit((unsigned char)s[p]))
            p++;
    }
    if (p < sc->len && (is_word_char(s[p]) || s[p] == '.')) {
        scan_fail(sc, start, "invalid number '%.*s' (units belong in the key name, not in the value)",
                  word_len(sc, start), s + start);
        return;
    }
    sc->pos = p;
}

static void scan_value(struct scan *sc, size_t parent, size_t key_off, size_t index, int depth);

static void scan_object(struct scan *sc, size_t self, int depth)
{
    size_t open = sc->pos++;
    size_t index = 0;
    char cb[16];
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
        sc->pos++;
        return;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->pos >= sc->len) {
            fail_eof_in(sc, open, '}', "object");
            return;
        }
        char c = sc->s[sc->pos];
        if (c != '"') {
            if (c == '\'')
                scan_fail(sc, sc->pos, "object keys must be in double quotes, not single quotes");
            else if (c == '/')
                scan_fail(sc, sc->pos, "comments are not allowed in JSON");
            else if (is_word_char(c))
                scan_fail(sc, sc->pos, "object keys must be strings in double quotes: write \"%.*s\"",
                          word_len(sc, sc->pos), sc->s + sc->pos);
            else
                scan_fail(sc, sc->pos, "expected a key in double quotes, got %s",
                          show_char((unsigned char)c, cb));
            return;
        }
        size_t key_off = sc->pos;
        scan_string(sc);
        if (sc->failed)
            return;
        size_t key_end = sc->pos;
        skip_ws(sc);
        if (sc->pos >= sc->len) {
            fail_eof_in(sc, open, '}', "object");
            return;
        }
        if (sc->s[sc->pos] != ':') {
            int klen = (int)(key_end - key_off);
            scan_fail(sc, sc->pos, "expected ':' after the key %.*s, got %s", klen > 60 ? 60 : klen,
                      sc->s + key_off, show_char((unsigned char)sc->s[sc->pos], cb));
            return;
        }
        sc->pos++;
        skip_ws(sc);
        if (sc->pos >= sc->len) {
            scan_fail(sc, sc->len, "unexpected end of input: expected a value after ':'");
            return;
        }
        scan_value(sc, self, key_off, index++, depth + 1);
        if (sc->failed)
            return;
        skip_ws(sc);
        if (sc->pos >= sc->len) {
            fail_eof_in(sc, open, '}', "object");
            return;
        }
        c = sc->s[sc->pos];
        if (c == '}') {
            sc->pos++;
            return;
        }
        if (c == ',') {
            size_t comma = sc->pos++;
            skip_ws(sc);
            if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
                scan_fail(sc, comma,
                          "trailing ',' after the last member of an object: remove it");
                return;
            }
            continue;
        }
        if (c == '"')
            scan_fail(sc, sc->pos,
                      "expected ',' or '}' after an object member; is a ',' missing before this key?");
        else if (c == '/')
            scan_fail(sc, sc->pos, "comments are not allowed in JSON");
        else
            scan_fail(sc, sc->pos, "expected ',' or '}' after an object member, got %s",
                      show_char((unsigned char)c, cb));
        return;
    }
}

static void scan_array(struct scan *sc, size_t self, int depth)
{
    size_t open = sc->pos++;
    size_t index = 0;
    char cb[16];
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
        sc->pos++;
        return;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->pos >= sc->len) {
            fail_eof_in(sc, open, ']', "array");
            return;
        }
        scan_value(sc, self, NO_KEY, index++, depth + 1);
        if (sc->failed)
            return;
        skip_ws(sc);
        if (sc->pos >= sc->len) {
            fail_eof_in(sc, open, ']', "array");
            return;
        }
        char c = sc->s[sc->pos];
        if (c == ']') {
            sc->pos++;
            return;
        }
        if (c == ',') {
            size_t comma = sc->pos++;
            skip_ws(sc);
            if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
                scan_fail(sc, comma, "trailing ',' after the last element of an array: remove it");
                return;
            }
            continue;
        }
        if (c == '/')
            scan_fail(sc, sc->pos, "comments are not allowed in JSON");
        else
            scan_fail(sc, sc->pos, "expected ',' or ']' after an array element%s, got %s",
                      (c == '"' || c == '{' || c == '[' || isdigit((unsigned char)c))
                          ? " (is a ',' missing?)" : "",
                      show_char((unsigned char)c, cb));
        return;
    }
}

static void scan_word(struct scan *sc)
{
    size_t start = sc->pos;
    size_t e = start;
    while (e < sc->len && is_word_char(sc->s[e]))
        e++;
    size_t n = e - start;
    const char *w = sc->s + start;
    int wl = n > 40 ? 40 : (int)n;
    if ((n == 4 && !memcmp(w, "true", 4)) || (n == 5 && !memcmp(w, "false", 5)) ||
        (n == 4 && !memcmp(w, "null", 4))) {
        sc->pos = e;
        return;
    }
    if ((n == 4 && !ascii_ncasecmp(w, "true", 4)) || (n == 5 && !ascii_ncasecmp(w, "false", 5)) ||
        (n == 4 && !ascii_ncasecmp(w, "null", 4))) {
        scan_fail(sc, start, "invalid literal '%.*s': write true, false and null in lower case", wl, w);
        return;
    }
    if ((n == 3 && !memcmp(w, "NaN", 3)) || (n == 8 && !memcmp(w, "Infinity", 8))) {
        scan_fail(sc, start, "'%.*s' is not a valid JSON number", wl, w);
        return;
    }
    scan_fail(sc, start, "unexpected '%.*s': strings must be in double quotes (\"%.*s\")", wl, w, wl, w);
}

static void scan_value(struct scan *sc, size_t parent, size_t key_off, size_t index, int depth)
{
    char cb[16];
    if (depth > MAX_DEPTH) {
        scan_fail(sc, sc->pos, "nesting deeper than %d levels", MAX_DEPTH);
        return;
    }
    size_t self = push_node(sc, sc->pos, key_off, parent, index);
    if (sc->failed)
        return;
    char c = sc->s[sc->pos];
    switch (c) {
    case '{':
        scan_object(sc, self, depth);
        return;
    case '[':
        scan_array(sc, self, depth);
        return;
    case '"':
        scan_string(sc);
        return;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        scan_number(sc);
        return;
    case '+':
        scan_fail(sc, sc->pos, "invalid number: a number may not start with '+'");
        return;
    case '.':
        scan_fail(sc, sc->pos, "invalid number: write a digit before '.' (0.5, not .5)");
        return;
    case '\'':
        scan_fail(sc, sc->pos, "strings must be in double quotes, not single quotes");
        return;
    case '/':
        scan_fail(sc, sc->pos, "comments are not allowed in JSON");
        return;
    case ',':
        scan_fail(sc, sc->pos, "expected a value before ','");
        return;
    case '}':
    case ']':
        scan_fail(sc, sc->pos, "expected a value, got '%c'", c);
        return;
    default:
        if (is_word_char(c)) {
            scan_word(sc);
            return;
        }
        scan_fail(sc, sc->pos, "expected a value, got %s", show_char((unsigned char)c, cb));
        return;
    }
}

/* Scan the whole text; on success sc->nodes holds every value in pre-order. */
static void scan_document(struct scan *sc)
{
    if (sc->len >= 3 && !memcmp(sc->s, "\xEF\xBB\xBF", 3))
        sc->pos = 3;   /* UTF-8 byte order mark */
    skip_ws(sc);
    if (sc->pos >= sc->len) {
        scan_fail(sc, sc->pos, "empty input: expected a JSON value (a configuration is an object: {...})");
        return;
    }
    scan_value(sc, NO_PARENT, NO_KEY, 0, 1);
    if (sc->failed)
        return;
    skip_ws(sc);
    if (sc->pos < sc->len) {
        if (sc->s[sc->pos] == '\0')
            scan_fail(sc, sc->pos, "NUL byte after the end of the JSON document");
        else
            scan_fail(sc, sc->pos, "unexpected text after the end of the JSON document");
    }
}

/* ---- pairing the scan with the tree ----------------------------------- */

/* Give records k.. the nodes of a pre-order walk; returns false on a mismatch. */
static bool pair_nodes(struct bf_json_doc *doc, const cJSON *node, size_t *k)
{
    if (*k >= doc->n_nodes)
        return false;
    size_t self = (*k)++;
    doc->nodes[self].node = node;
    if (!ptab_add(&doc->by_node, node, self))
        return false;
    bool is_obj = cJSON_IsObject(node);
    for (const cJSON *c = node->child; c; c = c->next) {
        if (*k >= doc->n_nodes || doc->nodes[*k].parent != self)
            return false;
        if (is_obj != (doc->nodes[*k].key_off != NO_KEY))
            return false;
        if (!pair_nodes(doc, c, k))
            return false;
    }
    return true;
}

static bool lookup(const struct bf_json_doc *doc, const cJSON *node, size_t *k)
{
    uintptr_t v;
    if (!doc || !node || !ptab_get(&doc->by_node, node, &v))
        return false;
    *k = (size_t)v;
    return true;
}

static bool is_identifier(const char *s)
{
    if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (const char *p = s; *p; p++)
        if (!is_word_char(*p))
            return false;
    return true;
}

/* The JSON path of record k, built once and cached (the cache is not a
 * visible change of the doc, hence the const).  Out of memory: "" (not
 * cached). */
static const char *path_of(const struct bf_json_doc *doc, size_t k)
{
    struct jpos *j = &doc->nodes[k];
    if (j->path)
        return j->path;
    if (j->parent == NO_PARENT) {
        j->path = strdup("");
        return j->path ? j->path : "";
    }
    const char *pp = path_of(doc, j->parent);
    struct sbuf b = {0};
    sbuf_puts(&b, pp);
    if (j->key_off != NO_KEY) {
        const char *key = j->node->string ? j->node->string : "";
        if (is_identifier(key)) {
            if (pp[0])
                sbuf_puts(&b, ".");
            sbuf_puts(&b, key);
        } else {
            sbuf_puts(&b, "[\"");
            for (const char *p = key; *p; p++) {
                if (*p == '"' || *p == '\\')
                    sbuf_puts(&b, "\\");
                sbuf_add(&b, p, 1);
            }
            sbuf_puts(&b, "\"]");
        }
    } else {
        char ix[32];
        snprintf(ix, sizeof ix, "[%zu]", j->index);
        sbuf_puts(&b, ix);
    }
    j->path = sbuf_take(&b);
    return j->path ? j->path : "";
}

/* What is reported when a message could not be allocated. */
#define NOMEM_MSG "out of memory while reporting an error"

/* Report at a raw offset of the text with a path; msg NULL: NOMEM_MSG. */
static void report_at(const struct bf_json_doc *doc, struct bf_diag *diag, size_t off, const char *path,
                      const char *msg)
{
    int line, col;
    line_col(doc->line_starts, doc->n_lines, off, &line, &col);
    bf_diag_errorf(diag, doc->name, line, col, path, "%s", msg ? msg : NOMEM_MSG);
}

/* Duplicate keys anywhere in the tree: each later occurrence is an error. */
static void check_duplicates(const struct bf_json_doc *doc, struct bf_diag *diag)
{
    for (size_t k = 0; k < doc->n_nodes; k++) {
        const cJSON *obj = doc->nodes[k].node;
        if (!cJSON_IsObject(obj))
            continue;
        int n = cJSON_GetArraySize(obj);
        if (n < 2)
            continue;
        /* small objects (nearly all): compare pairs; large ones: a set (pairs
         * when it cannot be allocated) */
        struct ptab seen = {0};
        bool hashed = n > 8 && ptab_init(&seen, (size_t)n, true) == 0;
        for (const cJSON *c = obj->child; c; c = c->next) {
            const char *key = c->string ? c->string : "";
            const cJSON *first = NULL;
            if (hashed) {
                uintptr_t v;
                if (ptab_get(&seen, key, &v))
                    first = (const cJSON *)v;
                else
                    ptab_add(&seen, key, (uintptr_t)c);
            } else {
                for (const cJSON *e = obj->child; e != c && !first; e = e->next)
                    if (!strcmp(e->string ? e->string : "", key))
                        first = e;
            }
            if (!first)
                continue;
            size_t kf = 0, kc = 0;
            if (!lookup(doc, first, &kf) || !lookup(doc, c, &kc))
                continue;
            int fl, fc;
            line_col(doc->line_starts, doc->n_lines, doc->nodes[kf].key_off, &fl, &fc);
            char *msg = str_printf("duplicate key \"%s\" (first at line %d, col %d): "
                                   "a key may appear only once in an object; remove one",
                                   key, fl, fc);
            report_at(doc, diag, doc->nodes[kc].key_off, path_of(doc, kc), msg);
            free(msg);
        }
        ptab_free(&seen);
    }
}

/* ---- documents ------------------------------------------------------------ */

void bf_json_doc_destroy(struct bf_json_doc *doc)
{
    if (!doc)
        return;
    if (doc->nodes) {
        for (size_t k = 0; k < doc->n_nodes; k++)
            free(doc->nodes[k].path);
        free(doc->nodes);
    }
    ptab_free(&doc->by_node);
    cJSON_Delete(doc->root);
    free(doc->line_starts);
    free(doc->text);
    free(doc->name);
    free(doc);
}

int bf_json_doc_parse(const char *text, size_t len, const char *name, struct bf_json_doc **out,
                      struct bf_diag *diag)
{
    int err = BF_ENOMEM;
    *out = NULL;
    if (!name)
        name = "";
    if (!text && len > 0) {
        bf_diag_errorf(diag, name, 0, 0, "", "no text to parse");
        return BF_EINVAL;
    }

    struct bf_json_doc *doc = calloc(1, sizeof *doc);
    if (!doc) {
        bf_diag_errorf(diag, name, 0, 0, "", "out of memory while parsing");
        return BF_ENOMEM;
    }
    doc->name = strdup(name);
    doc->text = malloc(len + 1);
    if (!doc->name || !doc->text)
        goto out_destroy;
    if (len)
        memcpy(doc->text, text, len);
    doc->text[len] = '\0';
    doc->len = len;
    if (build_lines(doc->text, len, &doc->line_starts, &doc->n_lines) < 0)
        goto out_destroy;

    struct scan sc = {
        .s = doc->text, .len = len, .ls = doc->line_starts, .n_lines = doc->n_lines,
    };
    scan_document(&sc);
    doc->nodes = sc.nodes;   /* the doc frees them from here on */
    doc->n_nodes = sc.n;
    if (sc.nomem)
        goto out_destroy;

    const char *end = NULL;
    doc->root = cJSON_ParseWithLengthOpts(doc->text, len, &end, false);
    if (sc.failed || !doc->root) {
        char msg[400];
        size_t off;
        if (sc.failed) {
            off = sc.err_off;
            snprintf(msg, sizeof msg, "syntax error: %s", sc.err);
        } else {   /* strict JSON that cJSON still refused: say where it stopped */
            off = end && end >= doc->text ? (size_t)(end - doc->text) : 0;
            snprintf(msg, sizeof msg, "syntax error: the JSON parser stopped here");
        }
        if (off > len)
            off = len;
        report_at(doc, diag, off, "", msg);
        err = BF_EPARSE;
        goto out_destroy;
    }

    if (ptab_init(&doc->by_node, doc->n_nodes, false) < 0)
        goto out_destroy;
    size_t k = 0;
    if (!pair_nodes(doc, doc->root, &k) || k != doc->n_nodes) {
        bf_diag_errorf(diag, doc->name, 0, 0, "",
                       "internal error: value positions do not match the parsed tree");
        err = BF_EPARSE;
        goto out_destroy;
    }
    check_duplicates(doc, diag);
    *out = doc;
    return 0;

out_destroy:
    if (err == BF_ENOMEM)
        bf_diag_errorf(diag, name, 0, 0, "", "out of memory while parsing");
    bf_json_doc_destroy(doc);
    return err;
}

int bf_json_doc_load(const char *path, struct bf_json_doc **out, struct bf_diag *diag)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        bf_diag_errorf(diag, path, 0, 0, "", "cannot open the file: %s", strerror(errno));
        return BF_EIO;
    }
    struct sbuf buf = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !buf.oom)
        sbuf_add(&buf, chunk, n);
    int rd_err = ferror(f) ? errno : buf.oom ? ENOMEM : 0;
    fclose(f);
    if (rd_err) {
        bf_diag_errorf(diag, path, 0, 0, "", "cannot read the file: %s", strerror(rd_err));
        free(buf.s);
        return BF_EIO;
    }
    int err = bf_json_doc_parse(buf.s ? buf.s : "", buf.len, path, out, diag);
    free(buf.s);
    return err;
}

const cJSON *bf_json_doc_root(const struct bf_json_doc *doc)
{
    return doc ? doc->root : NULL;
}

const char *bf_json_doc_name(const struct bf_json_doc *doc)
{
    return doc ? doc->name : NULL;
}

bool bf_json_doc_where(const struct bf_json_doc *doc, const cJSON *node, struct bf_json_where *out)
{
    size_t k;
    if (!lookup(doc, node, &k))
        return false;
    line_col(doc->line_starts, doc->n_lines, doc->nodes[k].val_off, &out->line, &out->col);
    out->path = path_of(doc, k);
    return true;
}

static void verrorf(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void verrorf(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                    const char *fmt, va_list ap)
{
    char *msg = str_vprintf(fmt, ap);
    struct bf_json_where w = {0, 0, ""};
    if (node)
        bf_json_doc_where(doc, node, &w);
    bf_diag_errorf(diag, doc ? doc->name : NULL, w.line, w.col, w.path, "%s", msg ? msg : NOMEM_MSG);
    free(msg);
}

void bf_json_errorf(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verrorf(doc, diag, node, fmt, ap);
    va_end(ap);
}

/* ---- describing values -------------------------------------------------- */

/* Shortest "%.Ng" that reads back as v. */
static void fmt_double(double v, char *buf, size_t len)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* s quoted and escaped, cut after max bytes with "...". */
static void quote(const char *s, size_t max, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 8) {
        if (len)
            buf[0] = '\0';
        return;
    }
    buf[o++] = '"';
    size_t i;
    for (i = 0; s[i] && i < max && o + 8 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(buf + o, len - o, "\\u%04x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (s[i]) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

void bf_json_describe(const cJSON *node, char *buf, size_t len)
{
    char tmp[64];
    if (!buf || !len)
        return;
    if (!node) {
        snprintf(buf, len, "nothing");
    } else if (cJSON_IsString(node)) {
        char q[128];
        quote(node->valuestring ? node->valuestring : "", 60, q, sizeof q);
        snprintf(buf, len, "a string %s", q);
    } else if (cJSON_IsNumber(node)) {
        fmt_double(node->valuedouble, tmp, sizeof tmp);
        snprintf(buf, len, "a number %s", tmp);
    } else if (cJSON_IsTrue(node)) {
        snprintf(buf, len, "true");
    } else if (cJSON_IsFalse(node)) {
        snprintf(buf, len, "false");
    } else if (cJSON_IsNull(node)) {
        snprintf(buf, len, "null");
    } else if (cJSON_IsArray(node)) {
        snprintf(buf, len, "an array");
    } else if (cJSON_IsObject(node)) {
        snprintf(buf, len, "an object");
    } else {
        snprintf(buf, len, "an invalid value");
    }
}

/* A number as the user wrote it (from the text), else formatted. */
static void number_text(const struct bf_json_doc *doc, const cJSON *node, char *buf, size_t len)
{
    size_t k;
    if (lookup(doc, node, &k)) {
        size_t s = doc->nodes[k].val_off, e = s;
        while (e < doc->len && e - s < 40 && strchr("+-.0123456789eE", doc->text[e]) && doc->text[e])
            e++;
        if (e > s) {
            snprintf(buf, len, "%.*s", (int)(e - s), doc->text + s);
            return;
        }
    }
    fmt_double(node->valuedouble, buf, len);
}

/* ---- typed getters --------------------------------------------------------- */

/*
 * Find key in obj.  Returns 0 with *item set, 1 when absent and optional,
 * BF_ENOTFOUND (reported at obj) when absent and required; BF_EINVAL without
 * a report when obj is not an object (its caller reported that already).
 */
static int find(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj, const char *key,
                bool required, const cJSON **item)
{
    if (!obj || !cJSON_IsObject(obj) || !key)
        return required ? BF_EINVAL : 1;
    *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (*item)
        return 0;
    if (!required)
        return 1;
    char q[160];
    quote(key, 100, q, sizeof q);
    bf_json_errorf(doc, diag, obj, "missing required key %s", q);
    return BF_ENOTFOUND;
}

/*
 * find() and a type check: 0 with *item of the type is() accepts; 1 when
 * absent and optional; BF_EINVAL reported as "expected <what>, got ..." when
 * of another type; find()'s errors otherwise.
 */
static int find_typed(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                      const char *key, bool required, cJSON_bool (*is)(const cJSON *const),
                      const char *what, const cJSON **item)
{
    int r = find(doc, diag, obj, key, required, item);
    if (r != 0)
        return r;
    if (!is(*item)) {
        char got[96];
        bf_json_describe(*item, got, sizeof got);
        bf_json_errorf(doc, diag, *item, "expected %s, got %s", what, got);
        return BF_EINVAL;
    }
    return 0;
}

static bool unbounded_hi(double max) { return isinf(max) || max >= DBL_MAX; }
static bool unbounded_lo(double min) { return isinf(min) || min <= -DBL_MAX; }

int bf_json_get_number(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *key, bool required, double min, double max, double *out)
{
    const cJSON *it;
    int r = find_typed(doc, diag, obj, key, required, cJSON_IsNumber, "a number", &it);
    if (r != 0)
        return r;
    char got[96];
    double v = it->valuedouble;
    number_text(doc, it, got, sizeof got);
    if (!isfinite(v)) {
        bf_json_errorf(doc, diag, it, "expected a finite number, got %s", got);
        return BF_ERANGE;
    }
    if (v < min || v > max) {
        char a[40], b[40];
        snprintf(a, sizeof a, "%g", min);
        snprintf(b, sizeof b, "%g", max);
        if (unbounded_hi(max))
            bf_json_errorf(doc, diag, it, "expected a number >= %s, got %s", a, got);
        else if (unbounded_lo(min))
            bf_json_errorf(doc, diag, it, "expected a number <= %s, got %s", b, got);
        else
            bf_json_errorf(doc, diag, it, "expected a number between %s and %s, got %s", a, b, got);
        return BF_ERANGE;
    }
    *out = v;
    return 0;
}

int bf_json_get_int(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                    const char *key, bool required, int64_t min, int64_t max, int64_t *out)
{
    const cJSON *it;
    int r = find_typed(doc, diag, obj, key, required, cJSON_IsNumber, "an integer", &it);
    if (r != 0)
        return r;
    char got[96];
    number_text(doc, it, got, sizeof got);
    int64_t v = 0;
    bool in_int64 = true;
    bool plain = got[0] != '\0';
    for (const char *p = got; *p; p++)
        if (!(isdigit((unsigned char)*p) || (p == got && *p == '-')))
            plain = false;
    if (plain) {   /* exact, not through a double */
        errno = 0;
        long long ll = strtoll(got, NULL, 10);
        if (errno == ERANGE)
            in_int64 = false;
        v = (int64_t)ll;
    } else {
        double d = it->valuedouble;
        if (!isfinite(d) || d != floor(d)) {
            bf_json_errorf(doc, diag, it, "expected an integer (no fraction), got %s", got);
            return BF_EINVAL;
        }
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            in_int64 = false;
        else
            v = (int64_t)d;
    }
    if (!in_int64 || v < min || v > max) {
        if (max == INT64_MAX && min != INT64_MIN)
            bf_json_errorf(doc, diag, it, "expected an integer >= %lld, got %s", (long long)min, got);
        else if (min == INT64_MIN && max != INT64_MAX)
            bf_json_errorf(doc, diag, it, "expected an integer <= %lld, got %s", (long long)max, got);
        else
            bf_json_errorf(doc, diag, it, "expected an integer between %lld and %lld, got %s",
                           (long long)min, (long long)max, got);
        return BF_ERANGE;
    }
    *out = v;
    return 0;
}

int bf_json_get_bool(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                     const char *key, bool required, bool *out)
{
    const cJSON *it;
    int r = find_typed(doc, diag, obj, key, required, cJSON_IsBool, "true or false", &it);
    if (r != 0)
        return r;
    *out = cJSON_IsTrue(it);
    return 0;
}

int bf_json_get_string(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *key, bool required, const char **out)
{
    const cJSON *it;
    int r = find_typed(doc, diag, obj, key, required, cJSON_IsString, "a string", &it);
    if (r != 0)
        return r;
    if (it->valuestring[0] == '\0') {
        bf_json_errorf(doc, diag, it, "expected a non-empty string, got \"\"");
        return BF_EINVAL;
    }
    *out = it->valuestring;
    return 0;
}

/* Optimal string alignment distance (edits incl. swapping two neighbours). */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* The allowed word closest to w (case-insensitive equal first, then within
 * 2 edits and less than the word's own length), or NULL. */
static const char *suggest(const char *w, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (!ascii_casecmp(w, allowed[i]))
            return allowed[i];
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; allowed[i]; i++) {
        int d = edit_distance(w, allowed[i]);
        if (d < best_d && (size_t)d < strlen(allowed[i])) {
            best = allowed[i];
            best_d = d;
        }
    }
    return best;
}

/* "\"a\", \"b\", \"c\""; NULL when out of memory. */
static char *list_words(const char *const *words)
{
    struct sbuf b = {0};
    for (size_t i = 0; words[i]; i++) {
        char q[160];
        quote(words[i], 100, q, sizeof q);
        if (i)
            sbuf_puts(&b, ", ");
        sbuf_puts(&b, q);
    }
    return sbuf_take(&b);
}

int bf_json_get_enum(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                     const char *key, bool required, const char *const *choices, int *out)
{
    const cJSON *it;
    int r = find(doc, diag, obj, key, required, &it);
    if (r != 0)
        return r;
    if (cJSON_IsString(it) && it->valuestring) {
        for (int i = 0; choices[i]; i++) {
            if (!strcmp(it->valuestring, choices[i])) {
                *out = i;
                return 0;
            }
        }
    }
    char *list = list_words(choices);
    const char *ls = list ? list : "(a list that did not fit in memory)";
    char got[160];
    if (cJSON_IsString(it) && it->valuestring) {
        quote(it->valuestring, 60, got, sizeof got);
        const char *s = suggest(it->valuestring, choices);
        if (s)
            bf_json_errorf(doc, diag, it, "expected one of %s, got %s; did you mean \"%s\"?", ls, got, s);
        else
            bf_json_errorf(doc, diag, it, "expected one of %s, got %s", ls, got);
    } else {
        bf_json_describe(it, got, sizeof got);
        bf_json_errorf(doc, diag, it, "expected one of %s, got %s", ls, got);
    }
    free(list);
    return BF_EINVAL;
}

int bf_json_get_object(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *key, bool required, const cJSON **out)
{
    const cJSON *it;
    int r = find_typed(doc, diag, obj, key, required, cJSON_IsObject, "an object {...}", &it);
    if (r == 0)
        *out = it;   /* untouched unless found and right */
    return r;
}

int bf_json_get_array(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                      const char *key, bool required, const cJSON **out)
{
    const cJSON *it;
    int r = find_typed(doc, diag, obj, key, required, cJSON_IsArray, "an array [...]", &it);
    if (r == 0)
        *out = it;   /* untouched unless found and right */
    return r;
}

int bf_json_check_keys(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                       const char *const *allowed)
{
    if (!obj || !cJSON_IsObject(obj))
        return 0;
    int unknown = 0;
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *key = c->string ? c->string : "";
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(key, allowed[i]);
        if (ok)
            continue;
        unknown++;
        char q[160];
        quote(key, 100, q, sizeof q);
        const char *s = suggest(key, allowed);
        char *msg;
        if (s) {
            msg = str_printf("unknown key %s; did you mean \"%s\"?", q, s);
        } else {
            char *list = list_words(allowed);
            msg = list ? str_printf("unknown key %s; the keys allowed here are %s", q, list) : NULL;
            free(list);
        }
        size_t k;
        if (lookup(doc, c, &k))
            report_at(doc, diag, doc->nodes[k].key_off, path_of(doc, k), msg);
        else
            bf_diag_errorf(diag, doc ? doc->name : NULL, 0, 0, "", "%s", msg ? msg : NOMEM_MSG);
        free(msg);
    }
    return unknown;
}
