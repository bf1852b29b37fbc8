/*
 * record.c - the engine's input recording, its reader, and the text form of
 * a track change (docs/replay.md).
 *
 * Problem: a tracking run must be repeatable from its input alone, so that a
 * field incident can be replayed at full speed, a change to the tracker can
 * be judged on the same data, and golden tests can pin the output byte for
 * byte.  The input that matters is the engine's decoded stream - every
 * struct bf_detection accepted into the ingest queue, scan markers included,
 * in the order the engine took them - not the MQTT payloads (the codecs are
 * tested on their own).
 *
 * Approach: one JSON object per detection per line, after a short header of
 * '#' lines (format version, site, sensor list, notes).  Every double is
 * written with the fewest significant digits that read back to the same bits
 * (at most 17), every float likewise (at most 9), times as integers of
 * microseconds; fields whose bits are all zero are left out and read back as
 * zero.  So a record read back rebuilds each struct exactly, field for field.
 * Sensors are written by index and named in the header; the reader maps them
 * to the replaying configuration by id.
 *
 * The writer is used by the engine thread only (it records what it pops from
 * the ingest queue), so it needs no lock and the MQTT threads never wait on
 * the disk.  It is a buffered stdio stream: flushed every status period by
 * the engine and on close.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"

#define REC_LOG "record"
#define REC_MAGIC "# borderfuse-record "
#define LINE_MAX_LEN 2048
#define MAX_EXACT_INT 9007199254740992.0   /* 2^53: integers exact in a double */

struct bf_record_writer {
    FILE *f;
    char *path;
    uint64_t written;
    bool failed;   /* an I/O error was logged already */
};

struct bf_record_reader {
    FILE *f;
    char *line;
    size_t line_cap;
    unsigned long lineno;
    size_t n_map;
    int32_t *map;   /* recorded sensor index -> configuration index, -1 unknown */
};

/* ---- number text ----------------------------------------------------------- */

/* Shortest %.Ng (N = 15..17) that reads back to the same double. */
static int put_double(char *buf, size_t len, double v)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, len, "%.*g", prec, v);
        if (n < 0 || (size_t)n >= len)
            return -1;
        if (strtod(buf, NULL) == v)
            break;
    }
    return n;
}

static int put_float(char *buf, size_t len, float v)
{
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(buf, len, "%.*g", prec, (double)v);
        if (n < 0 || (size_t)n >= len)
            return -1;
        if (strtof(buf, NULL) == v)
            break;
    }
    return n;
}

static bool dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u != 0;
}

static bool fbits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u != 0;
}

/* A small append-only text buffer with an overflow flag. */
struct tb {
    char *p;
    size_t len, cap;
    bool over;
};

static void tb_printf(struct tb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(struct tb *b, const char *fmt, ...)
{
    if (b->over)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->over = true;
    else
        b->len += (size_t)n;
}

static void tb_double(struct tb *b, double v)
{
    if (b->over)
        return;
    if (!isfinite(v)) {   /* JSON has no NaN or infinity: keep the bits */
        uint64_t u;
        memcpy(&u, &v, sizeof u);
        tb_printf(b, "\"0x%016" PRIx64 "\"", u);
        return;
    }
    int n = put_double(b->p + b->len, b->cap - b->len, v);
    if (n < 0)
        b->over = true;
    else
        b->len += (size_t)n;
}

static void tb_float(struct tb *b, float v)
{
    if (b->over)
        return;
    if (!isfinite(v)) {
        uint32_t u;
        memcpy(&u, &v, sizeof u);
        tb_printf(b, "\"0x%08" PRIx32 "\"", u);
        return;
    }
    int n = put_float(b->p + b->len, b->cap - b->len, v);
    if (n < 0)
        b->over = true;
    else
        b->len += (size_t)n;
}

/* "key":[v0,...,vk] up to the last non-zero element; nothing if all are zero. */
static void tb_darray(struct tb *b, const char *key, const double *v, int n)
{
    int last = -1;
    for (int i = 0; i < n; i++)
        if (dbits(v[i]))
            last = i;
    if (last < 0)
        return;
    tb_printf(b, ",\"%s\":[", key);
    for (int i = 0; i <= last; i++) {
        if (i)
            tb_printf(b, ",");
        tb_double(b, v[i]);
    }
    tb_printf(b, "]");
}

/* ---- writer ---------------------------------------------------------------- */

int bf_record_format(const struct bf_detection *d, char *buf, size_t len)
{
    struct tb b = {.p = buf, .cap = len};
    if (len == 0)
        return BF_ERANGE;
    buf[0] = '\0';
    tb_printf(&b, "{\"t_us\":%" PRId64 ",\"sensor\":%" PRIu32 ",\"seq\":%" PRIu32 ",\"kind\":%u",
              (int64_t)d->t_us, d->sensor_idx, d->seq, (unsigned)d->kind);
    if (d->rx_us)
        tb_printf(&b, ",\"rx_us\":%" PRId64, (int64_t)d->rx_us);
    if (d->flags)
        tb_printf(&b, ",\"flags\":%u", (unsigned)d->flags);
    if (d->sensor_target_id)
        tb_printf(&b, ",\"target\":%" PRIu32, d->sensor_target_id);
    tb_darray(&b, "z", d->z, 3);
    tb_darray(&b, "R", &d->R[0][0], 9);
    double pos[2] = {d->sensor_e_m, d->sensor_n_m};
    tb_darray(&b, "sensor_en", pos, 2);
    int last = -1;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        if (fbits(d->class_lik[k]))
            last = k;
    if (last >= 0) {
        tb_printf(&b, ",\"class\":[");
        for (int k = 0; k <= last; k++) {
            if (k)
                tb_printf(&b, ",");
            tb_float(&b, d->class_lik[k]);
        }
        tb_printf(&b, "]");
    }
    if (fbits(d->snr_db)) {
        tb_printf(&b, ",\"snr_db\":");
        tb_float(&b, d->snr_db);
    }
    if (fbits(d->sensor_height_m)) {
        tb_printf(&b, ",\"sensor_height_m\":");
        tb_float(&b, d->sensor_height_m);
    }
    tb_printf(&b, "}\n");
    return b.over ? BF_ERANGE : (int)b.len;
}

int bf_record_writer_open(const char *path, const struct bf_config *cfg, const char *notes,
                          struct bf_record_writer **out)
{
    *out = NULL;
    struct bf_record_writer *w = calloc(1, sizeof *w);
    if (!w)
        return BF_ENOMEM;
    w->path = strdup(path);
    w->f = fopen(path, "w");
    if (!w->path || !w->f) {
        BF_LOGE(REC_LOG, "%s: cannot create: %s", path, strerror(errno));
        if (w->f)
            fclose(w->f);
        free(w->path);
        free(w);
        return BF_EIO;
    }
    setvbuf(w->f, NULL, _IOFBF, 1 << 20);
    fprintf(w->f, REC_MAGIC "%d\n", BF_RECORD_VERSION);
    fprintf(w->f, "# Site: %s\n", cfg->site);
    for (size_t i = 0; i < cfg->n_sensors; i++)
        fprintf(w->f, "# Sensor: %zu %s %s\n", i, cfg->sensors[i].id, cfg->sensors[i].type);
    fputs("# Notes: ", w->f);
    for (const char *c = notes && *notes ? notes : "-"; *c; c++)
        fputc((unsigned char)*c < 0x20 ? ' ' : *c, w->f);   /* one line */
    fputc('\n', w->f);
    if (ferror(w->f)) {
        bf_record_writer_close(w);
        return BF_EIO;
    }
    *out = w;
    return 0;
}

int bf_record_writer_put(struct bf_record_writer *w, const struct bf_detection *d)
{
    char line[LINE_MAX_LEN];
    int n = bf_record_format(d, line, sizeof line);
    if (n < 0)
        return n;   /* cannot happen: a detection's text is well under LINE_MAX_LEN */
    if (fwrite(line, 1, (size_t)n, w->f) != (size_t)n) {
        if (!w->failed)
            BF_LOGE(REC_LOG, "%s: write failed: %s; the recording is incomplete", w->path,
                    strerror(errno));
        w->failed = true;
        return BF_EIO;
    }
    w->written++;
    return 0;
}

int bf_record_writer_flush(struct bf_record_writer *w)
{
    if (fflush(w->f) != 0) {
        if (!w->failed)
            BF_LOGE(REC_LOG, "%s: write failed: %s; the recording is incomplete", w->path,
                    strerror(errno));
        w->failed = true;
        return BF_EIO;
    }
    return 0;
}

uint64_t bf_record_writer_count(const struct bf_record_writer *w) { return w->written; }

int bf_record_writer_close(struct bf_record_writer *w)
{
    if (!w)
        return 0;
    int rc = 0;
    if (fclose(w->f) != 0 || w->failed) {
        if (!w->failed)
            BF_LOGE(REC_LOG, "%s: write failed: %s; the recording is incomplete", w->path,
                    strerror(errno));
        rc = BF_EIO;
    }
    free(w->path);
    free(w);
    return rc;
}

/* ---- reader ---------------------------------------------------------------- */

static int read_line(struct bf_record_reader *r)
{
    size_t n = 0;
    int c;
    while ((c = fgetc(r->f)) != EOF) {
        if (n + 2 > r->line_cap) {
            size_t cap = r->line_cap ? r->line_cap * 2 : 512;
            char *p = realloc(r->line, cap);
            if (!p)
                return BF_ENOMEM;
            r->line = p;
            r->line_cap = cap;
        }
        if (c == '\n')
            break;
        r->line[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return 0;
    if (n > 0 && r->line[n - 1] == '\r')
        n--;
    r->line[n] = '\0';
    r->lineno++;
    return 1;
}

int bf_record_reader_open(const char *path, const struct bf_config *cfg,
                          struct bf_record_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    struct bf_record_reader *r = calloc(1, sizeof *r);
    if (!r)
        return BF_ENOMEM;
    r->f = fopen(path, "r");
    if (!r->f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        free(r);
        return BF_EIO;
    }
    int rc = read_line(r);
    if (rc <= 0 || strncmp(r->line, REC_MAGIC, strlen(REC_MAGIC)) != 0) {
        snprintf(err, errlen, "%s:1: not a borderfuse record (it must start with \"%s<version>\")",
                 path, REC_MAGIC);
        rc = BF_EPARSE;
        goto out_fail;
    }
    int version = atoi(r->line + strlen(REC_MAGIC));
    if (version != BF_RECORD_VERSION) {
        snprintf(err, errlen, "%s:1: record format version %d; this engine reads version %d",
                 path, version, BF_RECORD_VERSION);
        rc = BF_EVERSION;
        goto out_fail;
    }
    /* The rest of the header: '#' lines, up to the first detection. */
    long pos;
    for (;;) {
        pos = ftell(r->f);
        unsigned long lineno = r->lineno;
        rc = read_line(r);
        if (rc < 0)
            goto out_fail;
        if (rc == 0 || r->line[0] != '#') {
            if (pos < 0 || fseek(r->f, pos, SEEK_SET) != 0) {
                snprintf(err, errlen, "%s: cannot seek", path);
                rc = BF_EIO;
                goto out_fail;
            }
            r->lineno = lineno;
            break;
        }
        size_t idx;
        char id[128], type[64];
        if (sscanf(r->line, "# Sensor: %zu %127s %63s", &idx, id, type) == 3) {
            if (idx != r->n_map || idx >= 64) {
                snprintf(err, errlen, "%s:%lu: sensors must be listed 0, 1, ... (at most 64)",
                         path, r->lineno);
                rc = BF_EPARSE;
                goto out_fail;
            }
            int32_t *m = realloc(r->map, (r->n_map + 1) * sizeof *m);
            if (!m) {
                rc = BF_ENOMEM;
                goto out_fail;
            }
            r->map = m;
            r->map[r->n_map] = -1;
            for (size_t i = 0; i < cfg->n_sensors; i++)
                if (strcmp(cfg->sensors[i].id, id) == 0)
                    r->map[r->n_map] = (int32_t)i;
            if (r->map[r->n_map] < 0)
                BF_LOGW(REC_LOG, "%s:%lu: recorded sensor %s is not in the configuration; its "
                        "detections are skipped", path, r->lineno, id);
            r->n_map++;
        } else if (strncmp(r->line, "# Site: ", 8) == 0 && strcmp(r->line + 8, cfg->site) != 0) {
            BF_LOGW(REC_LOG, "%s: recorded at site %s, replayed with the configuration of site %s",
                    path, r->line + 8, cfg->site);
        }
    }
    *out = r;
    return 0;

out_fail:
    if (rc == BF_ENOMEM)
        snprintf(err, errlen, "out of memory");
    bf_record_reader_close(r);
    return rc;
}

/* A number field: a JSON number, or the "0x..." bits of a non-finite value. */
static int get_double(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v) && strncmp(v->valuestring, "0x", 2) == 0 && strlen(v->valuestring) == 18) {
        uint64_t u = strtoull(v->valuestring + 2, NULL, 16);
        memcpy(out, &u, sizeof u);
        return 0;
    }
    return BF_EPARSE;
}

static int get_float(const cJSON *v, float *out)
{
    if (cJSON_IsNumber(v)) {
        *out = (float)v->valuedouble;   /* exact: the text has at most 9 digits */
        return 0;
    }
    if (cJSON_IsString(v) && strncmp(v->valuestring, "0x", 2) == 0 && strlen(v->valuestring) == 10) {
        uint32_t u = (uint32_t)strtoul(v->valuestring + 2, NULL, 16);
        memcpy(out, &u, sizeof u);
        return 0;
    }
    return BF_EPARSE;
}

static int get_int(const cJSON *o, const char *key, bool required, double lo, double hi,
                   int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = 0;
        return required ? BF_EPARSE : 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return BF_EPARSE;
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int get_darray(const cJSON *o, const char *key, double *out, int max)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a)
        return 0;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > max)
        return BF_EPARSE;
    int i = 0;
    for (const cJSON *v = a->child; v; v = v->next)
        if (get_double(v, &out[i++]) < 0)
            return BF_EPARSE;
    return 0;
}

static int parse_detection(const char *text, struct bf_detection *d)
{
    cJSON *o = cJSON_Parse(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return BF_EPARSE;
    }
    memset(d, 0, sizeof *d);
    int64_t t, rx, s, seq, kind, flags, target;
    int rc = 0;
    if (get_int(o, "t_us", true, -MAX_EXACT_INT, MAX_EXACT_INT, &t) < 0 ||
        get_int(o, "rx_us", false, -MAX_EXACT_INT, MAX_EXACT_INT, &rx) < 0 ||
        get_int(o, "sensor", true, 0, 63, &s) < 0 ||
        get_int(o, "seq", true, 0, UINT32_MAX, &seq) < 0 ||
        get_int(o, "kind", true, 0, UINT16_MAX, &kind) < 0 ||
        get_int(o, "flags", false, 0, UINT16_MAX, &flags) < 0 ||
        get_int(o, "target", false, 0, UINT32_MAX, &target) < 0 ||
        get_darray(o, "z", d->z, 3) < 0 || get_darray(o, "R", &d->R[0][0], 9) < 0)
        rc = BF_EPARSE;
    double pos[2] = {0, 0};
    if (rc == 0 && get_darray(o, "sensor_en", pos, 2) < 0)
        rc = BF_EPARSE;
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "class");
    if (rc == 0 && cl) {
        if (!cJSON_IsArray(cl) || cJSON_GetArraySize(cl) > BF_CLASS_COUNT) {
            rc = BF_EPARSE;
        } else {
            int k = 0;
            for (const cJSON *v = cl->child; v && rc == 0; v = v->next)
                rc = get_float(v, &d->class_lik[k++]);
        }
    }
    const cJSON *snr = cJSON_GetObjectItemCaseSensitive(o, "snr_db");
    if (rc == 0 && snr)
        rc = get_float(snr, &d->snr_db);
    const cJSON *height = cJSON_GetObjectItemCaseSensitive(o, "sensor_height_m");
    if (rc == 0 && height)
        rc = get_float(height, &d->sensor_height_m);
    cJSON_Delete(o);
    if (rc < 0)
        return BF_EPARSE;
    d->t_us = t;
    d->rx_us = rx;
    d->sensor_idx = (uint32_t)s;
    d->seq = (uint32_t)seq;
    d->kind = (uint16_t)kind;
    d->flags = (uint16_t)flags;
    d->sensor_target_id = (uint32_t)target;
    d->sensor_e_m = pos[0];
    d->sensor_n_m = pos[1];
    return 0;
}

int bf_record_reader_next(struct bf_record_reader *r, struct bf_detection *d, char *err,
                          size_t errlen)
{
    for (;;) {
        int rc = read_line(r);
        if (rc <= 0) {
            if (rc < 0)
                snprintf(err, errlen, "out of memory");
            return rc;
        }
        if (r->line[0] == '\0' || r->line[0] == '#')
            continue;
        if (parse_detection(r->line, d) < 0) {
            snprintf(err, errlen, "line %lu: not a recorded detection", r->lineno);
            return BF_EPARSE;
        }
        if (d->sensor_idx >= r->n_map) {
            snprintf(err, errlen, "line %lu: sensor %" PRIu32 " is not in the header", r->lineno,
                     d->sensor_idx);
            return BF_EPARSE;
        }
        if (r->map[d->sensor_idx] < 0)
            continue;   /* warned about at open */
        d->sensor_idx = (uint32_t)r->map[d->sensor_idx];
        return 1;
    }
}

unsigned long bf_record_reader_line(const struct bf_record_reader *r) { return r->lineno; }

void bf_record_reader_close(struct bf_record_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->line);
    free(r->map);
    free(r);
}

/* ---- track changes as text --------------------------------------------------- */

static double r3(double v)
{
    double r = round(v * 1000.0) / 1000.0;
    return r == 0.0 ? 0.0 : r;   /* no "-0.000" */
}

int bf_track_change_format(const struct bf_track *t, uint32_t what, uint32_t sensor_idx,
                           bf_time_us t_us, char *buf, size_t len)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{BF_CHANGE_NEW, "new"}, {BF_CHANGE_UPDATED, "updated"},
                 {BF_CHANGE_CONFIRMED, "confirmed"}, {BF_CHANGE_MISSED, "missed"},
                 {BF_CHANGE_DELETED, "deleted"}, {BF_CHANGE_CONTINUES, "continues"}};
    struct tb b = {.p = buf, .cap = len};
    if (len == 0)
        return BF_ERANGE;
    buf[0] = '\0';
    tb_printf(&b, "{\"t_us\":%" PRId64 ",\"sensor\":%" PRIu32 ",\"id\":%" PRIu32 ",\"what\":\"",
              (int64_t)t_us, sensor_idx, t->id);
    bool first = true;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (what & names[i].bit) {
            tb_printf(&b, "%s%s", first ? "" : ",", names[i].name);
            first = false;
        }
    int best = 0;
    for (int k = 1; k < BF_CLASS_COUNT; k++)
        if (t->class_p[k] > t->class_p[best])
            best = k;
    tb_printf(&b, "\",\"status\":\"%s\",\"x\":[%.3f,%.3f,%.3f,%.3f],\"class\":\"%s\","
              "\"class_p\":%.3f}\n", bf_track_status_name(t->status), r3(t->x[0]), r3(t->x[1]),
              r3(t->x[2]), r3(t->x[3]), bf_class_names[best], r3(t->class_p[best]));
    return b.over ? BF_ERANGE : (int)b.len;
}
