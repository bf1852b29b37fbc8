/*
 * text.c - the text helpers the output formats of alerts/ share: a bounded
 * writer into the caller's buffer (the alert JSON, the CoT XML, the cue
 * commands), the UTF-8 decoder that checks operator input and CoT text, the
 * JSON string writer, and the two cJSON habits of the reply and the audit
 * line.  Whatever a string holds, what these write is UTF-8: a byte that
 * does not start a well-formed sequence (a zone name from a Latin-1 file, a
 * name cut in the middle of a character) becomes U+FFFD, so no journal line,
 * alert, reply or audit line is ever invalid UTF-8.
 *
 * The problem: every output of this module is written into a buffer the
 * caller owns, with no allocation, and must come out whole or be reported as
 * too long - never cut in the middle of a token.  The writer keeps that
 * promise once: after the first piece that does not fit it writes nothing
 * more and says so, so the formatters append piece after piece and check
 * once at the end.
 */
#include "alerts/alerts_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"

void bf_tw_raw(struct bf_tw *w, const char *s, size_t n)
{
    if (w->overflow)
        return;
    if (n >= w->len - w->pos) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->pos, s, n);
    w->pos += n;
    w->buf[w->pos] = '\0';
}

void bf_tw_lit(struct bf_tw *w, const char *s) { bf_tw_raw(w, s, strlen(s)); }

void bf_tw_printf(struct bf_tw *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    size_t room = w->len - w->pos;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->pos, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        w->overflow = true;
        w->buf[w->pos] = '\0';
        return;
    }
    w->pos += (size_t)n;
}

size_t bf_utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t k;
    uint32_t c, min;
    if (n == 0)
        return 0;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        k = 2;
        c = p[0] & 0x1fu;
        min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        k = 3;
        c = p[0] & 0x0fu;
        min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        k = 4;
        c = p[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;   /* overlong, out of range, a surrogate */
    *cp = c;
    return k;
}

/* U+FFFD REPLACEMENT CHARACTER, in UTF-8 */
#define REPLACEMENT "\xef\xbf\xbd"

void bf_tw_json_str(struct bf_tw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    uint32_t cp;
    bf_tw_raw(w, "\"", 1);
    while (n > 0) {
        size_t k = 1;
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            bf_tw_raw(w, e, 2);
        } else if (*p == '\n') {
            bf_tw_lit(w, "\\n");
        } else if (*p < 0x20 || *p == 0x7f) {
            bf_tw_printf(w, "\\u%04x", *p);
        } else if (*p < 0x80) {
            bf_tw_raw(w, (const char *)p, 1);
        } else if ((k = bf_utf8_next(p, n, &cp)) > 0) {
            bf_tw_raw(w, (const char *)p, k);
        } else {
            bf_tw_lit(w, REPLACEMENT);   /* one bad byte, one replacement; go on after it */
            k = 1;
        }
        p += k;
        n -= k;
    }
    bf_tw_raw(w, "\"", 1);
}

size_t bf_utf8_clean(const char *s, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), pos = 0;
    uint32_t cp;
    while (n > 0) {
        size_t k = bf_utf8_next(p, n, &cp);
        const char *piece = (const char *)p;
        size_t len = k;
        if (k == 0) {
            piece = REPLACEMENT;
            len = sizeof REPLACEMENT - 1;
            k = 1;
        }
        if (len >= cap - pos)
            break;   /* whole characters only */
        memcpy(out + pos, piece, len);
        pos += len;
        p += k;
        n -= k;
    }
    out[pos] = '\0';
    return pos;
}

void bf_json_add_text(struct cJSON *o, const char *key, const char *s)
{
    char clean[1024];
    s = s ? s : "";
    size_t n = strlen(s);
    bool ok = true;
    uint32_t cp;
    for (size_t i = 0, k; i < n && ok; i += k)
        ok = (k = bf_utf8_next((const unsigned char *)s + i, n - i, &cp)) > 0;
    if (!ok)   /* never a published byte that is not UTF-8 */
        bf_utf8_clean(s, clean, sizeof clean);
    cJSON_AddStringToObject(o, key, ok ? s : clean);
}

void bf_json_add_text_or_null(struct cJSON *o, const char *key, const char *s)
{
    if (s && s[0])
        bf_json_add_text(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

int bf_json_print_free(struct cJSON *o, char *buf, size_t len)
{
    buf[0] = '\0';
    int rc = cJSON_PrintPreallocated(o, buf, (int)len, false) ? (int)strlen(buf) : BF_ERANGE;
    cJSON_Delete(o);
    if (rc < 0)
        buf[0] = '\0';
    return rc;
}

int bf_buf_reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *nb = realloc(*buf, c);
    if (!nb)
        return BF_ENOMEM;
    *buf = nb;
    *cap = c;
    return 0;
}
