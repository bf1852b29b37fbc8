/*
 * test_engine.c - the whole engine without a broker: detections fed as a
 * plugin would, through the queue, the reorder window, the tracker, the
 * geofences and the alert rules to the journal.
 *
 * Scenario on a straight east-west border at the origin's latitude (ours is
 * south): a walker crosses north -> south at a known time; an animal paces
 * along the line on their side; a walker crosses inside a no_alert farm; a
 * walker on our side enters a restricted depot.  Clutter everywhere.
 *
 * Checks: one INCURSION for the walker, near the true crossing time and
 * place; none for the animal or the farm walker; one ZONE_ENTRY for the
 * depot; the journal has every change; and the same input - replayed, or
 * with each scan's detections fed in another order and numbered again -
 * gives byte-identical alerts.
 *
 * Hostile input (docs/engine.md, "Time you can trust", "Fairness under
 * flood"), on three sensors and an injected clock: a detection from the
 * future is refused and its sensor flagged (SENSOR_FAULT "clock: ...",
 * resolved when its times are good again) while the others go on; a sensor
 * whose clock runs 25 s ahead makes none of the others' detections late; a
 * flooding sensor is shed at its ingest budget and the others are not (SYSTEM
 * "ingest"); a dense patch of clutter is learnt by the clutter map and, with
 * the initiation budget, cannot fill the pool, while a walker seen by another
 * radar is tracked; a full pool raises SYSTEM "track_pool", resolved when it
 * has room again.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/geo.h"

#define T0 INT64_C(1772330400000000)   /* 2026-03-01T02:00:00Z */
#define SCANS 900

struct tap {
    char *text;       /* all alert JSON, one per line */
    size_t len, cap;
    int n;
};

static int tap_publish(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    (void)a;
    struct tap *t = ctx;
    if (t->len + len + 2 > t->cap) {
        t->cap = (t->len + len + 2) * 2;
        t->text = realloc(t->text, t->cap);
    }
    memcpy(t->text + t->len, json, len);
    t->len += len;
    t->text[t->len++] = '\n';
    t->text[t->len] = '\0';
    t->n++;
    return 0;
}

/* a seeded generator (bf_test_rng) so every run sees the same noise */
static uint64_t rng_state;
static double urand(void)
{
    return bf_test_urand(&rng_state);
}
static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static struct bf_detection *stream;
static size_t n_stream;
static double farm_e_min, farm_e_max, cross_e, cross_t_s;

static void add_det(double e, double n, bf_time_us t, uint32_t *seq)
{
    struct bf_detection *d = &stream[n_stream++];
    memset(d, 0, sizeof *d);
    d->t_us = t;
    d->seq = (*seq)++;
    d->kind = BF_MEAS_POSITION;
    d->z[0] = e;
    d->z[1] = n;
    d->R[0][0] = d->R[1][1] = 100.0;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d->class_lik[k] = 1.0f;
}

static void build_stream(void)
{
    struct bf_geo_frame *f;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(46.80, 8.20, NULL, &f, NULL, 0), 0);
    double tmp;
    bf_geo_to_local(f, 46.80, 8.12, &farm_e_min, &tmp);
    bf_geo_to_local(f, 46.80, 8.14, &farm_e_max, &tmp);
    double depot_e, depot_n;
    bf_geo_to_local(f, 46.7875, 8.255, &depot_e, &depot_n);
    bf_geo_frame_destroy(f);

    stream = calloc(SCANS * 16, sizeof *stream);
    rng_state = 42;
    uint32_t seq = 0;
    cross_e = 1500.0;
    cross_t_s = 600.0 / 1.4;
    for (int k = 0; k < SCANS; k++) {
        double ts = k;   /* one scan a second */
        bf_time_us t = T0 + (bf_time_us)k * BF_US_PER_S;
        /* walker: (1500, 600) heading south at 1.4 m/s */
        if (urand() < 0.95)
            add_det(cross_e + 10 * nrand(), 600 - 1.4 * ts + 10 * nrand(), t, &seq);
        /* animal: paces east-west 250 m north of the line */
        double ax = -1000 + 200 * sin(ts / 60.0);
        if (urand() < 0.95)
            add_det(ax + 10 * nrand(), 250 + 20 * sin(ts / 17.0) + 10 * nrand(), t, &seq);
        /* farm walker: crosses in the middle of the no_alert farm */
        double fe = 0.5 * (farm_e_min + farm_e_max);
        if (urand() < 0.95)
            add_det(fe + 10 * nrand(), 500 - 1.2 * ts + 10 * nrand(), t, &seq);
        /* depot walker: on our side, walks south into the depot */
        if (urand() < 0.95)
            add_det(depot_e + 10 * nrand(), depot_n + 500 - 1.0 * ts + 10 * nrand(), t, &seq);
        /* clutter: 3 a scan over a 12 km x 6 km box */
        for (int c = 0; c < 3; c++)
            add_det(-6000 + 12000 * urand(), -3000 + 6000 * urand(), t, &seq);
        struct bf_detection *m = &stream[n_stream++];
        memset(m, 0, sizeof *m);
        m->t_us = t;
        m->seq = seq++;
        m->kind = BF_MEAS_SCAN;
    }
}

/* Run the engine over the stream (or another one like it) and return the alert text. */
static struct tap run_engine(const struct bf_detection *in, const char *journal)
{
    struct tap tap = {0};
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(bf_test_src("tests/data/straight/engine.json"), &cfg,
                                         &diag), 0);
    bf_log_set_level(BF_LOG_WARN);
    struct bf_alert_sink sink = {.publish = tap_publish, .ctx = &tap};
    char jpath[512];
    snprintf(jpath, sizeof jpath, "%s/%s", bf_test_tmpdir(), journal);
    struct bf_engine_options opt = {.no_mqtt = true, .alert_tap = &sink, .journal_path = jpath};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    for (size_t i = 0; i < n_stream; i++) {
        CU_ASSERT_EQUAL(bf_engine_feed(e, in ? &in[i] : &stream[i]), 0);
        if (i % 64 == 63)
            bf_engine_step(e, 0, false);
    }
    while (bf_engine_step(e, 0, false) > 0)
        ;
    bf_engine_step(e, 0, true);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    size_t n_det = 0;   /* scan markers are not detections */
    for (size_t i = 0; i < n_stream; i++)
        n_det += stream[i].kind != BF_MEAS_SCAN;
    CU_ASSERT_TRUE(n_det < n_stream);
    CU_ASSERT_EQUAL(st.received, n_det);
    CU_ASSERT_EQUAL(st.processed, n_det);
    CU_ASSERT_EQUAL(st.late, 0);
    CU_ASSERT_EQUAL(st.scans, SCANS);
    CU_ASSERT_TRUE(bf_tracker_check(bf_engine_tracker(e)));
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    return tap;
}

static void test_alerts_from_scenario(void)
{
    build_stream();
    struct tap tap = run_engine(NULL, "j1.jsonl");
    CU_ASSERT_FATAL(tap.n > 0);
    int incursions = 0, entries = 0;
    char *save = NULL;
    char *copy = strdup(tap.text);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *a = cJSON_Parse(line);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        const char *type = cJSON_GetObjectItem(a, "type")->valuestring;
        const char *state = cJSON_GetObjectItem(a, "state")->valuestring;
        const cJSON *zone = cJSON_GetObjectItem(a, "zone");
        const char *zid = cJSON_IsObject(zone) ? cJSON_GetObjectItem(zone, "id")->valuestring : "";
        if (strcmp(type, "INCURSION") == 0 && strcmp(state, "NEW") == 0) {
            incursions++;
            CU_ASSERT_STRING_EQUAL(zid, "border");
            bf_time_us ct;
            const cJSON *c = cJSON_GetObjectItem(a, "crossing_time");
            CU_ASSERT_TRUE_FATAL(cJSON_IsString(c));
            CU_ASSERT_EQUAL(bf_time_parse_iso(c->valuestring, &ct), 0);
            double dt = bf_time_to_s(ct - T0) - cross_t_s;
            CU_ASSERT(fabs(dt) < 10.0);
            double lat = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "position"), "lat")->valuedouble;
            CU_ASSERT(lat < 46.80);   /* reported on our side, south of the line */
            CU_ASSERT(lat > 46.79);
            CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "sensors"), 0)->valuestring,
                                   "radar-a");
        }
        if (strcmp(type, "ZONE_ENTRY") == 0 && strcmp(state, "NEW") == 0) {
            entries++;
            CU_ASSERT_STRING_EQUAL(zid, "depot");
        }
        cJSON_Delete(a);
    }
    free(copy);
    CU_ASSERT_EQUAL(incursions, 1);   /* the walker; not the animal, not the farm walker */
    CU_ASSERT_EQUAL(entries, 1);

    /* The journal holds every published change, in order. */
    char jpath[512];
    snprintf(jpath, sizeof jpath, "%s/j1.jsonl", bf_test_tmpdir());
    FILE *f = fopen(jpath, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int lines = 0;
    char buf[8192];
    while (fgets(buf, sizeof buf, f))
        lines++;
    fclose(f);
    CU_ASSERT_EQUAL(lines, tap.n);
    free(tap.text);
}

static bool same_time(const struct bf_detection *a, const struct bf_detection *b)
{
    return a->t_us == b->t_us;
}

static void test_replay_identical(void)
{
    struct tap a = run_engine(NULL, "j2.jsonl");
    struct tap b = run_engine(NULL, "j3.jsonl");
    CU_ASSERT_EQUAL(a.n, b.n);
    CU_ASSERT_TRUE(a.len == b.len && memcmp(a.text, b.text, a.len) == 0);
    /*
     * Each scan's detections shuffled, and numbered again in their new order as
     * a sensor would number them: the tracker must see the same input
     * (the reorder window's canonical order, docs/replay.md).
     */
    struct bf_detection *shuf = malloc(n_stream * sizeof *shuf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(shuf);
    memcpy(shuf, stream, n_stream * sizeof *shuf);
    rng_state = 99;
    size_t moved = bf_test_shuffle_runs(shuf, n_stream, same_time, &rng_state);
    CU_ASSERT(moved != SIZE_MAX && moved > n_stream / 2);
    struct tap c = run_engine(shuf, "j4.jsonl");
    CU_ASSERT_EQUAL(a.n, c.n);
    CU_ASSERT_TRUE(a.len == c.len && memcmp(a.text, c.text, a.len) == 0);
    free(shuf);
    free(a.text);
    free(b.text);
    free(c.text);
}

/*
 * Each sensor's class hints go through its confusion matrix: the camera's
 * type default (0.85 on the diagonal) when the config gives none, the
 * config's class_confusion when it does.  One hard person hint each, on a
 * fresh track: P(person) = M[person][person] / sum_t M[t][person].
 */
static void test_class_confusion_from_config(void)
{
    char path[600], text[8192], zones[4096];
    CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(bf_test_src("tests/data/straight/zones.geojson"), zones));
    snprintf(text, sizeof text,
             "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20}, \"zones\": \"%s\",\n"
             " \"sensors\": [\n"
             "  {\"id\": \"cam\", \"type\": \"camera\", \"lat\": 46.78, \"lon\": 8.20},\n"
             "  {\"id\": \"gen\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,\n"
             "   \"class_confusion\": [[0.5, 0.1, 0.1, 0.1, 0.1, 0.1], [0.3, 0.7, 0, 0, 0, 0],\n"
             "     [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]]}],\n"
             " \"alerts\": {\"journal_fsync\": \"never\"}}\n",
             zones);
    snprintf(path, sizeof path, "%s/confusion.json", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(path, &cfg, &diag), 0);
    char jpath[700];
    snprintf(jpath, sizeof jpath, "%s/confusion.jsonl", bf_test_tmpdir());
    struct bf_engine_options opt = {.no_mqtt = true, .journal_path = jpath};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    for (uint32_t s = 0; s < 2; s++) {
        struct bf_detection d;
        memset(&d, 0, sizeof d);
        d.t_us = T0 + (bf_time_us)s * 1000000;
        d.sensor_idx = s;
        d.seq = s;
        d.kind = BF_MEAS_POSITION;
        d.z[0] = s == 0 ? -3000.0 : 3000.0;
        d.z[1] = -2000.0;
        d.R[0][0] = d.R[1][1] = 25.0;
        d.flags = BF_DET_F_CLASS;
        d.class_lik[BF_CLASS_PERSON] = 1.0f;
        CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
    }
    bf_engine_step(e, 0, true);
    const struct bf_track *tr[2];
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(bf_engine_tracker(e), tr, 2), 2);
    BF_ASSERT_NEAR(tr[0]->class_p[BF_CLASS_PERSON], 0.85, 1e-6);   /* camera default */
    BF_ASSERT_NEAR(tr[1]->class_p[BF_CLASS_PERSON], 0.5 / 0.8, 1e-6);   /* its own matrix */
    BF_ASSERT_NEAR(tr[1]->class_p[BF_CLASS_VEHICLE], 0.3 / 0.8, 1e-6);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

/* ---- hostile input ------------------------------------------------------------ */

struct alerts {
    cJSON *a[256];
    int n;
};

static int alerts_publish(void *ctx, const struct bf_alert *al, const char *json, size_t len)
{
    (void)al, (void)len;
    struct alerts *t = ctx;
    if (t->n < 256)
        t->a[t->n++] = cJSON_Parse(json);
    return 0;
}

static void alerts_free(struct alerts *t)
{
    for (int i = 0; i < t->n; i++)
        cJSON_Delete(t->a[i]);
    t->n = 0;
}

/* The k-th alert of type (and state, NULL: any) about what (sensor or reason substring), or NULL. */
static const cJSON *find_alert(const struct alerts *t, const char *type, const char *state,
                               const char *what)
{
    for (int i = 0; i < t->n; i++) {
        const cJSON *a = t->a[i];
        if (!a || strcmp(cJSON_GetObjectItem(a, "type")->valuestring, type) != 0)
            continue;
        if (state && strcmp(cJSON_GetObjectItem(a, "state")->valuestring, state) != 0)
            continue;
        const cJSON *s = cJSON_GetObjectItem(a, "sensor"), *r = cJSON_GetObjectItem(a, "reason");
        if (what && !(cJSON_IsString(s) && strcmp(s->valuestring, what) == 0) &&
            !(cJSON_IsString(r) && strstr(r->valuestring, what)))
            continue;
        return a;
    }
    return NULL;
}

/* Three radars on the straight border; extra: more of the "engine" section; tracker: its section. */
static struct bf_config *hostile_config(const char *name, const char *s0_extra, const char *engine,
                                        const char *tracker)
{
    char path[512], body[8192], zones[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", bf_test_tmpdir(), name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(bf_test_src("tests/data/straight/zones.geojson"), zones));
    snprintf(body, sizeof body,
             "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"%s\", \"log_level\": \"warn\",\n"
             " \"sensors\": [\n"
             "  {\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20%s},\n"
             "  {\"id\": \"radar-b\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.21},\n"
             "  {\"id\": \"radar-c\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.19}],\n"
             " \"tracker\": {%s},\n"
             " \"engine\": {\"reorder_window_ms\": 500%s%s}}\n",
             zones, s0_extra, tracker,
             engine[0] ? ", " : "", engine);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(body, f);
    fclose(f);
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(path, &cfg, &diag), 0);
    return cfg;
}

static bf_time_us clock_now;
static bf_time_us fake_clock(void *ctx)
{
    (void)ctx;
    return clock_now;
}

static struct bf_detection pos(uint32_t sensor, bf_time_us t, double e, double n, uint32_t seq)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.sensor_idx = sensor;
    d.seq = seq;
    d.kind = BF_MEAS_POSITION;
    d.z[0] = e;
    d.z[1] = n;
    d.R[0][0] = d.R[1][1] = 100.0;
    return d;
}

static struct bf_detection scan_marker(uint32_t sensor, bf_time_us t, uint32_t seq)
{
    struct bf_detection d = pos(sensor, t, 0, 0, seq);
    d.kind = BF_MEAS_SCAN;
    return d;
}

#define YEAR_US (INT64_C(365) * 86400 * BF_US_PER_S)

static void test_future_refused(void)
{
    struct bf_config *cfg = hostile_config("future.json", "", "\"max_future_skew_s\": 30", "");
    struct alerts tap = {.n = 0};
    struct bf_alert_sink sink = {.publish = alerts_publish, .ctx = &tap};
    struct bf_clock clk = {.now = fake_clock};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink,
                                    .clock = &clk};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq = 0;
    size_t fed = 0;
    rng_state = 3;
    for (int k = 0; k <= 120; k++) {
        bf_time_us t = T0 + k * BF_US_PER_S;
        clock_now = t + 200 * BF_US_PER_MS;   /* the wall clock: just after the scan */
        /* a walker crossing the line (north to south) at about 71 s */
        double we = 1000 + 3 * nrand(), wn = 100 - 1.4 * k + 3 * nrand();
        for (uint32_t s = 1; s < 3; s++) {    /* radar-b and radar-c see him all along */
            struct bf_detection d = pos(s, t, we, wn, seq++);
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
            fed++;
        }
        /* radar-a: good until 10 s, one detection stamped ten years ahead at 10 s,
         * silent, then good again from 40 s */
        if (k <= 10 || k >= 40) {
            struct bf_detection d = pos(0, t, we, wn, seq++);
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
            fed++;
        }
        if (k == 10) {
            struct bf_detection d = pos(0, t + 10 * YEAR_US, -1000, 500, seq++);
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        }
        bf_engine_step(e, 0, false);
        if (k == 20) {   /* the fault is live, the others go on */
            struct bf_engine_stats st;
            bf_engine_get_stats(e, &st);
            CU_ASSERT_EQUAL(st.future, 1);
            CU_ASSERT_EQUAL(st.sensors_clock_fault, 1);
            CU_ASSERT_EQUAL(st.late, 0);
        }
    }
    bf_engine_step(e, 0, true);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    printf("\n    future %llu, late %llu, processed %llu of %zu\n",
           (unsigned long long)st.future, (unsigned long long)st.late,
           (unsigned long long)st.processed, fed);
    CU_ASSERT_EQUAL(st.future, 1);
    CU_ASSERT_EQUAL(st.late, 0);
    CU_ASSERT_EQUAL(st.processed, fed);   /* everything else tracked: the site time held */
    CU_ASSERT_EQUAL(st.sensors_clock_fault, 0);   /* good again */
    const cJSON *raised = find_alert(&tap, "SENSOR_FAULT", "NEW", "radar-a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(raised);
    const char *why = cJSON_GetObjectItem(raised, "reason")->valuestring;
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "clock: event time 315"));   /* 3650 days = 315360000 s */
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "s ahead of the wall clock"));
    /* dated at the site's time, not in 2036 */
    bf_time_us at;
    CU_ASSERT_EQUAL(bf_time_parse_iso(cJSON_GetObjectItem(raised, "time")->valuestring, &at), 0);
    CU_ASSERT(at >= T0 && at <= T0 + 20 * BF_US_PER_S);
    CU_ASSERT_PTR_NOT_NULL(find_alert(&tap, "SENSOR_FAULT", "RESOLVED", "radar-a"));
    CU_ASSERT_PTR_NULL(find_alert(&tap, "SENSOR_FAULT", NULL, "radar-b"));
    /* the walker crossed: alerted */
    CU_ASSERT_PTR_NOT_NULL(find_alert(&tap, "INCURSION", "NEW", NULL));
    CU_ASSERT_TRUE(bf_tracker_check(bf_engine_tracker(e)));
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    alerts_free(&tap);
}

static void test_sensor_ahead(void)
{
    /* no clock: only the other sensors are a reference (a replay without receipt stamps) */
    struct bf_config *cfg = hostile_config("ahead.json", "", "\"max_future_skew_s\": 30", "");
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq = 0;
    size_t fed = 0;
    for (int k = 0; k < 60; k++) {
        bf_time_us t = T0 + k * BF_US_PER_S;
        struct bf_detection d[3] = {pos(0, t, -1000, 500, seq), pos(1, t, 0, 500, seq + 1),
                                    pos(2, t + 25 * BF_US_PER_S, 1000, 500, seq + 2)};  /* fast */
        seq += 3;
        for (int i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d[i]), 0);
        fed += 3;
        bf_engine_step(e, 0, false);
    }
    /* radar-c jumps an hour ahead of the other two: refused against them */
    struct bf_detection jump = pos(2, T0 + 3600 * BF_US_PER_S, 1000, 500, seq++);
    CU_ASSERT_EQUAL(bf_engine_feed(e, &jump), 0);
    bf_engine_step(e, 0, false);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    CU_ASSERT_EQUAL(st.late, 0);   /* one sensor ahead decides nothing for the others */
    CU_ASSERT_EQUAL(st.future, 1);
    CU_ASSERT_EQUAL(st.sensors_clock_fault, 1);
    bf_engine_step(e, 0, true);
    bf_engine_get_stats(e, &st);
    printf("\n    one sensor 25 s ahead: late %llu, processed %llu of %zu, future %llu\n",
           (unsigned long long)st.late, (unsigned long long)st.processed, fed,
           (unsigned long long)st.future);
    CU_ASSERT_EQUAL(st.processed, fed);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

static void test_flood_shed(void)
{
    struct bf_config *cfg = hostile_config("flood.json", ", \"max_detections_per_s\": 100", "", "");
    struct alerts tap = {.n = 0};
    struct bf_alert_sink sink = {.publish = alerts_publish, .ctx = &tap};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq = 0;
    int shed_a = 0, shed_b = 0;
    for (int k = 0; k < 10; k++) {
        bf_time_us t = T0 + k * BF_US_PER_S;
        for (int i = 0; i < 1000; i++) {   /* radar-a: 1000 a second, budget 100 (burst 200) */
            struct bf_detection d = pos(0, t, -3000 + 3 * i, 2000, seq++);
            shed_a += bf_engine_feed(e, &d) == BF_EFULL;
        }
        for (int i = 0; i < 20; i++) {
            struct bf_detection d = pos(1, t, 3 * i, -2000, seq++);
            shed_b += bf_engine_feed(e, &d) == BF_EFULL;
        }
        struct bf_detection m = scan_marker(0, t, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &m), 0);   /* a look is never shed by the budget */
        bf_engine_step(e, 0, false);
    }
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    printf("\n    radar-a 10000 fed, %d shed; radar-b 200 fed, %d shed\n", shed_a, shed_b);
    CU_ASSERT_EQUAL(shed_a, 10000 - 200 - 9 * 100);
    CU_ASSERT_EQUAL(shed_b, 0);
    CU_ASSERT_EQUAL(st.shed, (uint64_t)shed_a);
    CU_ASSERT_EQUAL(st.shed_budget, (uint64_t)shed_a);
    const cJSON *sys = find_alert(&tap, "SYSTEM", "NEW", "radar-a");
    CU_ASSERT_PTR_NOT_NULL(sys);
    CU_ASSERT_PTR_NOT_NULL(sys ? strstr(cJSON_GetObjectItem(sys, "reason")->valuestring,
                                        "ingest overload") : NULL);
    /* a turn without shedding (no clock here): resolved */
    bf_engine_step(e, 0, false);
    CU_ASSERT_PTR_NOT_NULL(find_alert(&tap, "SYSTEM", "RESOLVED", NULL));
    bf_engine_step(e, 0, true);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    alerts_free(&tap);
}

static void test_clutter_cannot_fill_pool(void)
{
    struct bf_config *cfg = hostile_config("clutter.json", ", \"range_m\": 4500",
                                           "\"new_tracks_per_s\": 5",
                                           "\"max_tracks\": 1000");
    struct alerts tap = {.n = 0};
    struct bf_alert_sink sink = {.publish = alerts_publish, .ctx = &tap};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    rng_state = 7;
    uint32_t seq = 0;
    for (int k = 0; k <= 600; k++) {
        bf_time_us t = T0 + k * BF_US_PER_S;
        /* radar-a (4.5 km range): 200 false plots a scan in one square kilometre north
         * of the line */
        for (int i = 0; i < 200; i++) {
            struct bf_detection d = pos(0, t, -1500 + 1000 * urand(), 200 + 1000 * urand(), seq++);
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        }
        struct bf_detection m = scan_marker(0, t, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &m), 0);
        /* radar-b: a walker heading south across the line at 1.4 m/s, beyond radar-a */
        struct bf_detection w = pos(1, t + 100 * BF_US_PER_MS, 5600 + 5 * nrand(),
                                    600 - 1.4 * k + 5 * nrand(), seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &w), 0);
        bf_engine_step(e, 0, false);
    }
    bf_engine_step(e, 0, true);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    struct bf_tracker_stats ts;
    bf_tracker_get_stats(bf_engine_tracker(e), &ts);
    printf("\n    clutter 200/scan: initiated %llu, clutter refused %llu, budget refused %llu, "
           "pool_full %llu, live %u\n", (unsigned long long)ts.initiated,
           (unsigned long long)st.clutter_refused, (unsigned long long)st.budget_refused,
           (unsigned long long)ts.pool_full, ts.live);
    CU_ASSERT_EQUAL(ts.pool_full, 0);
    CU_ASSERT(st.clutter_refused > 100000);   /* the map learnt the patch within seconds */
    CU_ASSERT(st.budget_refused > 0);         /* the first scans, before it had */
    CU_ASSERT(ts.initiated <= 2 * 5 + 600 * 5 + 2);
    CU_ASSERT_PTR_NOT_NULL(find_alert(&tap, "INCURSION", "NEW", NULL));
    CU_ASSERT_PTR_NULL(find_alert(&tap, "SYSTEM", NULL, NULL));
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    alerts_free(&tap);
}

/* The initiation budget alone: 5 new tracks a second of event time, 10 at once. */
static void test_initiation_budget(void)
{
    struct bf_config *cfg = hostile_config("budget.json", "",
                                           "\"new_tracks_per_s\": 5, \"clutter_factor\": 0", "");
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq = 0;
    for (int k = 0; k < 3; k++) {   /* 50 plots far apart a scan, never the same place twice */
        for (int i = 0; i < 50; i++) {
            struct bf_detection d = pos(0, T0 + k * BF_US_PER_S, -5000 + 200 * i,
                                        3000 - 1000 * k, seq++);
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        }
        /* radar-b, same second: its own budget */
        struct bf_detection b = pos(1, T0 + k * BF_US_PER_S + 1000, 4000, -1500 - 500 * k, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &b), 0);
        bf_engine_step(e, 0, k == 2);
    }
    bf_engine_step(e, 0, true);
    struct bf_tracker_stats ts;
    bf_tracker_get_stats(bf_engine_tracker(e), &ts);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    printf("\n    50 plots a second: tracks started %llu, refused %llu\n",
           (unsigned long long)ts.initiated, (unsigned long long)st.budget_refused);
    /* radar-a: 10 at once, then 5 a second; radar-b: one a second, always */
    CU_ASSERT_EQUAL(ts.initiated, 10 + 5 + 5 + 3);
    CU_ASSERT_EQUAL(st.budget_refused, 40 + 45 + 45);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

static void test_pool_full_alert(void)
{
    struct bf_config *cfg = hostile_config("pool.json", "",
                                           "\"new_tracks_per_s\": 0, \"clutter_factor\": 0",
                                           "\"max_tracks\": 20");
    struct alerts tap = {.n = 0};
    struct bf_alert_sink sink = {.publish = alerts_publish, .ctx = &tap};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq = 0;
    for (int i = 0; i < 50; i++) {   /* 50 plots far apart: 50 would-be tracks, 20 slots */
        struct bf_detection d = pos(0, T0, -5000 + 200 * i, 3000, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
    }
    for (int k = 1; k <= 10; k++) {   /* then empty looks: the tentative tracks die */
        struct bf_detection m = scan_marker(0, T0 + k * BF_US_PER_S, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &m), 0);
    }
    bf_engine_step(e, 0, true);
    struct bf_tracker_stats ts;
    bf_tracker_get_stats(bf_engine_tracker(e), &ts);
    CU_ASSERT_EQUAL(ts.pool_full, 30);
    const cJSON *raised = find_alert(&tap, "SYSTEM", "NEW", "track pool full");
    CU_ASSERT_PTR_NOT_NULL(raised);
    CU_ASSERT_PTR_NOT_NULL(find_alert(&tap, "SYSTEM", "RESOLVED", NULL));
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    alerts_free(&tap);
}

static CU_TestInfo tests[] = {
    {"incursion, zone entry, no alert for animal and farm", test_alerts_from_scenario},
    {"replay and shuffled input give identical alerts", test_replay_identical},
    {"a detection from the future is refused, its sensor flagged, the others go on",
     test_future_refused},
    {"a sensor 25 s ahead makes nothing of the others late", test_sensor_ahead},
    {"a flooding sensor is shed at its budget, the others never", test_flood_shed},
    {"dense clutter cannot fill the pool; a walker elsewhere is tracked",
     test_clutter_cannot_fill_pool},
    {"a sensor starts at most new_tracks_per_s tracks", test_initiation_budget},
    {"a full pool raises SYSTEM track_pool, resolved when it has room", test_pool_full_alert},
    {"class hints through each sensor's confusion matrix", test_class_confusion_from_config},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/engine", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    int rc = bf_test_main(suites);
    free(stream);
    return rc;
}
