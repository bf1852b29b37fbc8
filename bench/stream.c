/*
 * stream.c - the benchmark's input: detection scans and truth, from
 * JSON-lines files or from the generator, held in memory.
 *
 * The problem: the benchmark must time the fusion core alone, so every byte
 * of input is parsed (or generated) and arranged into scans before the clock
 * starts, and the arrangement must be compact enough that ten thousand
 * targets over hundreds of scans fit comfortably in memory.
 *
 * Files.  A detection line is {"t": s, "x": m, "y": m} with optional
 * "sigma" (m) and "sensor" (string or integer id); a truth line is
 * {"t", "id", "x", "y", "vx", "vy"} (id, vx, vy optional).  Unknown keys are
 * ignored; blank lines and lines starting with '#' are skipped; a bad line
 * is reported as path:line: reason, counted and skipped.  Detections with
 * equal t and sensor form one scan; lines are sorted stably by (t, sensor),
 * so a scan keeps file order.
 *
 * The generator (docs/bench.md): N targets in the square [0, L]^2 moving
 * with constant velocity plus white acceleration (std a per axis, applied
 * over each scan period), reflected at the edges (velocity component
 * reversed) or wrapped round them; each scan every target is detected with
 * probability Pd at its true position plus N(0, sigma^2) per axis, and a
 * Poisson number of clutter detections falls uniformly over the square; a
 * scan's detections are shuffled.  Positions are rounded to the millimetre
 * and times to the microsecond, which is what the files hold, so a run on
 * written files is bit-identical to a direct run.  Separate random streams
 * (seed, stream) for start states, motion, detection and clutter.
 */
#include "bench/stream.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"

void bf_bench_gen_default(struct bf_bench_gen *g)
{
    *g = (struct bf_bench_gen){
        .targets = 1000, .pd = 0.9, .clutter = 20, .area_m = 20000, .sigma_m = 10,
        .period_s = 1, .scans = 200, .seed = 1, .accel_mps2 = 0.1,
        .speed_min_mps = 1, .speed_max_mps = 15, .wrap = false,
    };
}

void bf_bench_stream_free(struct bf_bench_stream *s)
{
    free(s->det);
    free(s->scans);
    free(s->truth);
    free(s->times);
    memset(s, 0, sizeof *s);
}

/* ---- growing arrays (loading only) -------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return BF_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

/* ---- parsing ---------------------------------------------------------------- */

static bool get_num(const cJSON *o, const char *key, bool required, double *out, const char **why,
                    const char *missing, const char *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required)
            *why = missing;
        return !required;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        *why = bad;
        return false;
    }
    *out = v->valuedouble;
    return true;
}

static cJSON *parse_object(const char *line, const char **why)
{
    cJSON *o = cJSON_ParseWithOpts(line, NULL, true);
    if (!o) {
        *why = "not valid JSON";
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        *why = "not a JSON object";
        return NULL;
    }
    return o;
}

int bf_bench_parse_det(const char *line, double sigma_m, struct bf_bench_det *d,
                       char *sensor_name, const char **why)
{
    *why = NULL;
    cJSON *o = parse_object(line, why);
    if (!o)
        return BF_EPARSE;
    double t = 0, x = 0, y = 0, sigma = sigma_m;
    bool ok = get_num(o, "t", true, &t, why, "no \"t\" (seconds)", "\"t\" is not a finite number") &&
              get_num(o, "x", true, &x, why, "no \"x\" (metres east)",
                      "\"x\" is not a finite number") &&
              get_num(o, "y", true, &y, why, "no \"y\" (metres north)",
                      "\"y\" is not a finite number") &&
              get_num(o, "sigma", false, &sigma, why, NULL, "\"sigma\" is not a finite number");
    if (ok && !(sigma > 0 && sigma <= 1e6)) {
        *why = "\"sigma\" must be > 0 and <= 1e6 metres";
        ok = false;
    }
    if (ok && !(fabs(t) <= 1e11)) {
        *why = "\"t\" is out of range (|t| <= 1e11 s)";
        ok = false;
    }
    sensor_name[0] = '\0';
    const cJSON *sv = ok ? cJSON_GetObjectItemCaseSensitive(o, "sensor") : NULL;
    if (sv) {
        if (cJSON_IsString(sv) && sv->valuestring[0] &&
            strlen(sv->valuestring) < BF_BENCH_SENSOR_NAME) {
            strcpy(sensor_name, sv->valuestring);
        } else if (cJSON_IsNumber(sv) && sv->valuedouble >= 0 && sv->valuedouble < 1e15 &&
                   sv->valuedouble == floor(sv->valuedouble)) {
            snprintf(sensor_name, BF_BENCH_SENSOR_NAME, "%.0f", sv->valuedouble);
        } else {
            *why = "\"sensor\" must be a non-empty string (< 64 bytes) or an integer >= 0";
            ok = false;
        }
    }
    cJSON_Delete(o);
    if (!ok)
        return BF_EPARSE;
    *d = (struct bf_bench_det){.t_s = t, .x_m = x, .y_m = y, .sigma_m = (float)sigma};
    return 0;
}

int bf_bench_parse_truth(const char *line, struct bf_bench_truth_pt *tp, const char **why)
{
    *why = NULL;
    cJSON *o = parse_object(line, why);
    if (!o)
        return BF_EPARSE;
    double t = 0, x = 0, y = 0, vx = 0, vy = 0;
    bool ok = get_num(o, "t", true, &t, why, "no \"t\" (seconds)", "\"t\" is not a finite number") &&
              get_num(o, "x", true, &x, why, "no \"x\" (metres east)",
                      "\"x\" is not a finite number") &&
              get_num(o, "y", true, &y, why, "no \"y\" (metres north)",
                      "\"y\" is not a finite number") &&
              get_num(o, "vx", false, &vx, why, NULL, "\"vx\" is not a finite number") &&
              get_num(o, "vy", false, &vy, why, NULL, "\"vy\" is not a finite number");
    if (ok && !(fabs(t) <= 1e11)) {
        *why = "\"t\" is out of range (|t| <= 1e11 s)";
        ok = false;
    }
    const cJSON *id = ok ? cJSON_GetObjectItemCaseSensitive(o, "id") : NULL;
    if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id)) {
        *why = "\"id\" must be a string or a number";
        ok = false;
    }
    cJSON_Delete(o);
    if (!ok)
        return BF_EPARSE;
    *tp = (struct bf_bench_truth_pt){.t_s = t, .p = {x, y}, .vx_mps = (float)vx,
                                     .vy_mps = (float)vy};
    return 0;
}

/* ---- reading files ---------------------------------------------------------- */

static int sensor_index(struct bf_bench_stream *s, const char *name, uint32_t *out)
{
    for (size_t i = 0; i < s->n_sensors; i++) {
        if (strcmp(s->sensor_names[i], name) == 0) {
            *out = (uint32_t)i;
            return 0;
        }
    }
    if (s->n_sensors == BF_BENCH_MAX_SENSORS)
        return BF_EFULL;
    snprintf(s->sensor_names[s->n_sensors], BF_BENCH_SENSOR_NAME, "%s", name);
    *out = (uint32_t)s->n_sensors++;
    return 0;
}

static bool skip_line(const char *line)
{
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    return *line == '\0' || *line == '#';
}

static void report_bad(FILE *err, const char *path, uint64_t line_no, const char *why,
                       uint64_t *reported, unsigned max_report)
{
    if (err && *reported < max_report)
        fprintf(err, "%s:%llu: %s; line skipped\n", path, (unsigned long long)line_no, why);
    (*reported)++;
}

static void report_total(FILE *err, const char *path, uint64_t reported, unsigned max_report)
{
    if (err && reported > max_report)
        fprintf(err, "%s: %llu more bad lines not shown (%llu in all)\n", path,
                (unsigned long long)(reported - max_report), (unsigned long long)reported);
}

/* Read path line by line, calling fn on every line worth parsing. */
static int read_lines(const char *path, FILE *err,
                      int (*fn)(void *ctx, const char *line, uint64_t line_no), void *ctx)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        if (err)
            fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
        return BF_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t line_no = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        line_no++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if ((size_t)len != strlen(line)) {   /* an embedded NUL: not text */
            rc = fn(ctx, "\x01", line_no);
        } else if (!skip_line(line)) {
            rc = fn(ctx, line, line_no);
        }
        if (rc < 0)
            break;
    }
    if (rc == 0 && ferror(f)) {
        if (err)
            fprintf(err, "%s: read error: %s\n", path, strerror(errno));
        rc = BF_EIO;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

struct read_ctx {
    struct bf_bench_stream *s;
    const char *path;
    FILE *err;
    double sigma_m;
    unsigned max_report;
    uint64_t reported;
};

static int on_det_line(void *vctx, const char *line, uint64_t line_no)
{
    struct read_ctx *c = vctx;
    struct bf_bench_det d;
    char name[BF_BENCH_SENSOR_NAME];
    const char *why;
    if (bf_bench_parse_det(line, c->sigma_m, &d, name, &why) < 0) {
        report_bad(c->err, c->path, line_no, why, &c->reported, c->max_report);
        c->s->bad_lines++;
        return 0;
    }
    int rc = sensor_index(c->s, name, &d.sensor);
    if (rc < 0) {
        if (c->err)
            fprintf(c->err, "%s:%llu: more than %d sensors\n", c->path,
                    (unsigned long long)line_no, BF_BENCH_MAX_SENSORS);
        return rc;
    }
    if (grow((void **)&c->s->det, &c->s->cap_det, c->s->n_det + 1, sizeof *c->s->det) < 0)
        return BF_ENOMEM;
    c->s->det[c->s->n_det++] = d;
    return 0;
}

static int on_truth_line(void *vctx, const char *line, uint64_t line_no)
{
    struct read_ctx *c = vctx;
    struct bf_bench_truth_pt t;
    const char *why;
    if (bf_bench_parse_truth(line, &t, &why) < 0) {
        report_bad(c->err, c->path, line_no, why, &c->reported, c->max_report);
        c->s->bad_lines++;
        return 0;
    }
    if (grow((void **)&c->s->truth, &c->s->cap_truth, c->s->n_truth + 1, sizeof *c->s->truth) < 0)
        return BF_ENOMEM;
    c->s->truth[c->s->n_truth++] = t;
    return 0;
}

int bf_bench_stream_read_dets(struct bf_bench_stream *s, const char *path, double sigma_m,
                              FILE *err, unsigned max_report)
{
    struct read_ctx c = {.s = s, .path = path, .err = err, .sigma_m = sigma_m,
                         .max_report = max_report};
    int rc = read_lines(path, err, on_det_line, &c);
    report_total(err, path, c.reported, max_report);
    return rc;
}

int bf_bench_stream_read_truth(struct bf_bench_stream *s, const char *path, FILE *err,
                               unsigned max_report)
{
    struct read_ctx c = {.s = s, .path = path, .err = err, .max_report = max_report};
    s->have_truth = true;
    int rc = read_lines(path, err, on_truth_line, &c);
    report_total(err, path, c.reported, max_report);
    return rc;
}

/* ---- arranging into scans ---------------------------------------------------- */

static bool det_before(const struct bf_bench_det *a, const struct bf_bench_det *b)
{
    return a->t_s < b->t_s || (a->t_s == b->t_s && a->sensor < b->sensor);
}

/* Stable bottom-up merge sort by (t, sensor); a no-op when already in order. */
static int sort_dets(struct bf_bench_det *d, size_t n)
{
    size_t i;
    for (i = 1; i < n && !det_before(&d[i], &d[i - 1]); i++)
        ;
    if (i >= n)
        return 0;
    struct bf_bench_det *tmp = malloc(n * sizeof *tmp), *src = d, *dst = tmp;
    if (!tmp)
        return BF_ENOMEM;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = det_before(&src[b], &src[a]) ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        struct bf_bench_det *x = src;
        src = dst;
        dst = x;
    }
    if (src != d)
        memcpy(d, src, n * sizeof *d);
    free(tmp);
    return 0;
}

/* The same for truth, by time. */
static int sort_truth(struct bf_bench_truth_pt *d, size_t n)
{
    size_t i;
    for (i = 1; i < n && !(d[i].t_s < d[i - 1].t_s); i++)
        ;
    if (i >= n)
        return 0;
    struct bf_bench_truth_pt *tmp = malloc(n * sizeof *tmp), *src = d, *dst = tmp;
    if (!tmp)
        return BF_ENOMEM;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = src[b].t_s < src[a].t_s ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        struct bf_bench_truth_pt *x = src;
        src = dst;
        dst = x;
    }
    if (src != d)
        memcpy(d, src, n * sizeof *d);
    free(tmp);
    return 0;
}

int bf_bench_stream_finish(struct bf_bench_stream *s)
{
    if (s->n_sensors == 0) {
        snprintf(s->sensor_names[0], BF_BENCH_SENSOR_NAME, "%s", "");
        s->n_sensors = 1;
    }
    if (sort_dets(s->det, s->n_det) < 0 || sort_truth(s->truth, s->n_truth) < 0)
        return BF_ENOMEM;
    free(s->scans);
    free(s->times);
    s->scans = NULL;
    s->times = NULL;
    s->n_scans = s->n_times = 0;
    size_t ns = 0, nt = 0;
    for (size_t i = 0; i < s->n_det; i++)
        if (i == 0 || det_before(&s->det[i - 1], &s->det[i]))
            ns++;
    for (size_t i = 0; i < s->n_truth; i++)
        if (i == 0 || s->truth[i - 1].t_s < s->truth[i].t_s)
            nt++;
    s->scans = malloc((ns ? ns : 1) * sizeof *s->scans);
    s->times = malloc((nt ? nt : 1) * sizeof *s->times);
    if (!s->scans || !s->times)
        return BF_ENOMEM;
    for (size_t i = 0; i < s->n_det; i++) {
        if (i == 0 || det_before(&s->det[i - 1], &s->det[i]))
            s->scans[s->n_scans++] = (struct bf_bench_scan){
                .t_s = s->det[i].t_s, .sensor = s->det[i].sensor, .first = i};
        s->scans[s->n_scans - 1].n++;
    }
    for (size_t i = 0; i < s->n_truth; i++) {
        if (i == 0 || s->truth[i - 1].t_s < s->truth[i].t_s)
            s->times[s->n_times++] = (struct bf_bench_truth_time){.t_s = s->truth[i].t_s,
                                                                  .first = i};
        s->times[s->n_times - 1].n++;
    }
    return 0;
}

/* ---- generator ------------------------------------------------------------------ */

struct gen_target {
    double x, y, vx, vy;
};

/* v rounded to 1/per (per = 1000: millimetres): the double a printed decimal reads back as. */
static double round_to(double v, double per)
{
    return round(v * per) / per;
}

/* Keep one coordinate inside [0, L]: reflect (and reverse the velocity) or wrap. */
static void keep_inside(double *p, double *v, double L, bool wrap)
{
    if (wrap) {
        *p = fmod(*p, L);
        if (*p < 0)
            *p += L;
        return;
    }
    for (int k = 0; k < 4 && (*p < 0 || *p > L); k++) {
        *p = *p < 0 ? -*p : 2 * L - *p;
        *v = -*v;
    }
    if (*p < 0 || *p > L)   /* moved more than the square in one step */
        *p = *p < 0 ? 0 : L;
}

int bf_bench_stream_generate(struct bf_bench_stream *s, const struct bf_bench_gen *g)
{
    if (!(g->targets > 0 || g->clutter > 0) || g->scans == 0 || !(g->pd >= 0 && g->pd <= 1) ||
        !(g->area_m > 0) || !(g->sigma_m > 0) || !(g->period_s > 0) || !(g->clutter >= 0) ||
        !(g->speed_min_mps >= 0 && g->speed_max_mps >= g->speed_min_mps) || !(g->accel_mps2 >= 0))
        return BF_EINVAL;
    bf_bench_stream_free(s);
    struct bf_sim_rng r_init, r_move, r_det, r_clut;
    bf_sim_rng_seed(&r_init, g->seed, 1);
    bf_sim_rng_seed(&r_move, g->seed, 2);
    bf_sim_rng_seed(&r_det, g->seed, 3);
    bf_sim_rng_seed(&r_clut, g->seed, 4);

    /* sizes: expected detections plus a margin; arrays grow if a run exceeds it */
    size_t per_scan = (size_t)(g->targets * g->pd + g->clutter + 6 * sqrt(g->clutter + 1) + 16);
    int rc = BF_ENOMEM;
    struct gen_target *tg = malloc((g->targets ? g->targets : 1) * sizeof *tg);
    if (!tg)
        return BF_ENOMEM;
    if (grow((void **)&s->det, &s->cap_det, per_scan * g->scans, sizeof *s->det) < 0 ||
        grow((void **)&s->truth, &s->cap_truth, (size_t)g->targets * g->scans,
             sizeof *s->truth) < 0)
        goto out_free;
    const double L = g->area_m, dt = g->period_s;
    for (uint32_t i = 0; i < g->targets; i++) {
        double heading = 2 * M_PI * bf_sim_rng_uniform(&r_init);
        double speed = g->speed_min_mps +
                       (g->speed_max_mps - g->speed_min_mps) * bf_sim_rng_uniform(&r_init);
        tg[i] = (struct gen_target){.x = L * bf_sim_rng_uniform(&r_init),
                                    .y = L * bf_sim_rng_uniform(&r_init),
                                    .vx = speed * sin(heading), .vy = speed * cos(heading)};
    }
    s->have_truth = g->targets > 0;
    s->n_sensors = 1;
    s->sensor_names[0][0] = '\0';
    for (uint32_t k = 0; k < g->scans; k++) {
        double t = round_to(k * dt, 1e6);
        size_t first = s->n_det;
        for (uint32_t i = 0; i < g->targets; i++) {
            struct bf_sim_xy p = {round_to(tg[i].x, 1e3), round_to(tg[i].y, 1e3)};
            s->truth[s->n_truth++] = (struct bf_bench_truth_pt){
                .t_s = t, .p = p, .vx_mps = (float)tg[i].vx, .vy_mps = (float)tg[i].vy};
            if (bf_sim_rng_uniform(&r_det) >= g->pd)
                continue;
            double ex = g->sigma_m * bf_sim_rng_gauss(&r_det);
            double ey = g->sigma_m * bf_sim_rng_gauss(&r_det);
            if (grow((void **)&s->det, &s->cap_det, s->n_det + 1, sizeof *s->det) < 0)
                goto out_free;
            s->det[s->n_det++] = (struct bf_bench_det){
                .t_s = t, .x_m = round_to(tg[i].x + ex, 1e3), .y_m = round_to(tg[i].y + ey, 1e3),
                .sigma_m = (float)g->sigma_m};
        }
        unsigned nc = g->clutter > 0 ? bf_sim_rng_poisson(&r_clut, g->clutter) : 0;
        for (unsigned c = 0; c < nc; c++) {
            if (grow((void **)&s->det, &s->cap_det, s->n_det + 1, sizeof *s->det) < 0)
                goto out_free;
            double x = L * bf_sim_rng_uniform(&r_clut), y = L * bf_sim_rng_uniform(&r_clut);
            s->det[s->n_det++] = (struct bf_bench_det){
                .t_s = t, .x_m = round_to(x, 1e3), .y_m = round_to(y, 1e3),
                .sigma_m = (float)g->sigma_m};
        }
        /* shuffle the scan: a sensor does not report in target order */
        for (size_t i = s->n_det - first; i > 1; i--) {
            size_t j = (size_t)(bf_sim_rng_next(&r_clut) % i);
            struct bf_bench_det x = s->det[first + i - 1];
            s->det[first + i - 1] = s->det[first + j];
            s->det[first + j] = x;
        }
        /* move: constant velocity plus white acceleration over the period */
        for (uint32_t i = 0; i < g->targets; i++) {
            struct gen_target *q = &tg[i];
            double ax = g->accel_mps2 * bf_sim_rng_gauss(&r_move);
            double ay = g->accel_mps2 * bf_sim_rng_gauss(&r_move);
            q->x += q->vx * dt + 0.5 * ax * dt * dt;
            q->y += q->vy * dt + 0.5 * ay * dt * dt;
            q->vx += ax * dt;
            q->vy += ay * dt;
            keep_inside(&q->x, &q->vx, L, g->wrap);
            keep_inside(&q->y, &q->vy, L, g->wrap);
        }
    }
    rc = bf_bench_stream_finish(s);
out_free:
    free(tg);
    return rc;
}

/* ---- writing ----------------------------------------------------------------------- */

static FILE *open_out(const char *path, FILE *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f && err)
        fprintf(err, "%s: cannot create: %s\n", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, FILE *err)
{
    int bad = ferror(f);
    if (f == stdout)
        bad |= fflush(f);
    else
        bad |= fclose(f);
    if (bad) {
        if (err)
            fprintf(err, "%s: write error: %s\n", path, strerror(errno));
        return BF_EIO;
    }
    return 0;
}

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

int bf_bench_stream_write_dets(const struct bf_bench_stream *s, const char *path, FILE *err)
{
    FILE *f = open_out(path, err);
    if (!f)
        return BF_EIO;
    bool named = s->n_sensors > 1 || (s->n_sensors == 1 && s->sensor_names[0][0]);
    for (size_t i = 0; i < s->n_det; i++) {
        const struct bf_bench_det *d = &s->det[i];
        fprintf(f, "{\"t\":%.6f,\"x\":%.3f,\"y\":%.3f,\"sigma\":%.9g", d->t_s, d->x_m, d->y_m,
                (double)d->sigma_m);
        if (named) {
            fputs(",\"sensor\":", f);
            put_json_string(f, s->sensor_names[d->sensor]);
        }
        fputs("}\n", f);
    }
    return close_out(f, path, err);
}

int bf_bench_stream_write_truth(const struct bf_bench_stream *s, const char *path, FILE *err)
{
    FILE *f = open_out(path, err);
    if (!f)
        return BF_EIO;
    /* ids: the position within its time (the generator keeps targets in order) */
    for (size_t k = 0; k < s->n_times; k++) {
        const struct bf_bench_truth_time *tt = &s->times[k];
        for (size_t i = 0; i < tt->n; i++) {
            const struct bf_bench_truth_pt *t = &s->truth[tt->first + i];
            fprintf(f, "{\"t\":%.6f,\"id\":%zu,\"x\":%.3f,\"y\":%.3f,\"vx\":%.3f,\"vy\":%.3f}\n",
                    t->t_s, i, t->p.e_m, t->p.n_m, (double)t->vx_mps, (double)t->vy_mps);
        }
    }
    return close_out(f, path, err);
}
