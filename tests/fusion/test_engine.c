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
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "fusion/config.h"
#include "fusion/fusion.h"
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

/* splitmix64: a seeded generator so every run sees the same noise */
static uint64_t rng_state;
static double urand(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
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
    memcpy(shuf, stream, n_stream * sizeof *shuf);
    rng_state = 99;
    size_t moved = 0;
    for (size_t base = 0; base < n_stream;) {
        size_t end = base;
        while (end < n_stream && shuf[end].t_us == shuf[base].t_us)
            end++;
        for (size_t i = end - base - 1; i > 0; i--) {
            size_t j = (size_t)(urand() * (double)(i + 1));
            struct bf_detection t = shuf[base + i];
            shuf[base + i] = shuf[base + j];
            shuf[base + j] = t;
        }
        for (size_t i = base; i < end; i++) {
            moved += shuf[i].seq != stream[i].seq;
            shuf[i].seq = stream[i].seq;
        }
        base = end;
    }
    CU_ASSERT(moved > n_stream / 2);
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

static CU_TestInfo tests[] = {
    {"incursion, zone entry, no alert for animal and farm", test_alerts_from_scenario},
    {"replay and shuffled input give identical alerts", test_replay_identical},
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
