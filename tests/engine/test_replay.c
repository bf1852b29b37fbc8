/*
 * test_replay.c - record and replay: the record format rebuilds every
 * detection exactly, and the metamorphic checks of docs/replay.md on the
 * golden log recorded from the real chain (tests/golden/e2e-walker.log):
 *
 *   - replaying in two halves (feed, step, feed, flush), or stepping after
 *     every single detection, gives the same tracks and alerts, byte for
 *     byte, as the one-shot replay (also on an input longer than the
 *     engine's release batch);
 *   - shuffling the detections that share a time and sensor, and numbering
 *     them again in the new order as the sensor would, changes nothing;
 *   - a detection older than the reorder window is dropped and counted, the
 *     output is unchanged, and the engine goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"

#define GOLDEN_LOG "tests/golden/e2e-walker.log"
#define GOLDEN_CONFIG "tests/data/straight/engine.json"

/* seeded (bf_test_rng), so every run sees the same draws */
static uint64_t rng_state;
static uint64_t rng(void)
{
    return bf_test_rng(&rng_state);
}

struct text {
    char *p;
    size_t len, cap;
    size_t lines;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
    t->lines++;
}

struct outputs {
    struct text tracks, alerts;
    struct bf_engine_stats st;
};

static int on_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    (void)a;
    struct outputs *o = ctx;
    text_add(&o->alerts, json, len);
    text_add(&o->alerts, "\n", 1);
    o->alerts.lines--;
    return 0;
}

static void on_scan(void *ctx, uint32_t sensor_idx, bf_time_us t_us,
                    const struct bf_track_change *ch, size_t n)
{
    struct outputs *o = ctx;
    char line[1024];
    for (size_t i = 0; i < n; i++) {
        int len = bf_track_change_format(ch[i].track, ch[i].what, sensor_idx, t_us, line,
                                         sizeof line);
        CU_ASSERT_FATAL(len > 0);
        text_add(&o->tracks, line, (size_t)len);
    }
}

static void outputs_free(struct outputs *o)
{
    free(o->tracks.p);
    free(o->alerts.p);
}

static bool same(const struct outputs *a, const struct outputs *b)
{
    return a->tracks.len == b->tracks.len && a->alerts.len == b->alerts.len &&
           memcmp(a->tracks.p, b->tracks.p, a->tracks.len) == 0 &&
           memcmp(a->alerts.p, b->alerts.p, a->alerts.len) == 0;
}

static struct bf_config *cfg;
static struct bf_detection *golden;
static size_t n_golden;

static int suite_init(void)
{
    bf_log_set_level(BF_LOG_ERROR);
    struct bf_diag diag = {0};
    if (bf_config_load(bf_test_src(GOLDEN_CONFIG), &cfg, &diag) < 0)
        return -1;
    char err[256];
    struct bf_record_reader *r;
    if (bf_record_reader_open(bf_test_src(GOLDEN_LOG), cfg, &r, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    size_t cap = 4096;
    golden = malloc(cap * sizeof *golden);
    int rc;
    while ((rc = bf_record_reader_next(r, &golden[n_golden], err, sizeof err)) > 0)
        if (++n_golden == cap)
            golden = realloc(golden, (cap *= 2) * sizeof *golden);
    bf_record_reader_close(r);
    return rc < 0 ? -1 : 0;
}

static int suite_clean(void)
{
    free(golden);
    bf_config_destroy(cfg);
    return 0;
}

/*
 * Replay in[0..n) through an engine without MQTT: feed, and step (without
 * flush) after every `chunk` detections; flush at the end.
 */
static struct outputs replay(const struct bf_detection *in, size_t n, size_t chunk)
{
    struct outputs o = {0};
    struct bf_alert_sink sink = {.publish = on_alert, .ctx = &o};
    struct bf_track_tap tap = {.scan = on_scan, .ctx = &o};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink,
                                    .track_tap = &tap};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(bf_engine_feed(e, &in[i]), 0);
        if ((i + 1) % chunk == 0)
            bf_engine_step(e, 0, false);
    }
    bf_engine_step(e, 0, true);
    bf_engine_get_stats(e, &o.st);
    CU_ASSERT_TRUE(bf_tracker_check(bf_engine_tracker(e)));
    bf_engine_destroy(e);
    return o;
}

/* The one-shot replay is what the others are compared with; it must have substance. */
static struct outputs reference(void)
{
    struct outputs o = replay(golden, n_golden, n_golden);
    CU_ASSERT(o.tracks.lines > 100);
    CU_ASSERT(o.alerts.lines > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.alerts.p ? o.alerts.p : "", "\"INCURSION\""));
    CU_ASSERT_EQUAL(o.st.late, 0);
    CU_ASSERT_EQUAL(o.st.window_overflow, 0);
    return o;
}

static void test_record_round_trip(void)
{
    /* Every byte random (NaNs, infinities, -0, denormals included): read back identical. */
    enum { N = 200 };
    static struct bf_detection in[N], back[N];
    rng_state = 5;
    for (size_t i = 0; i < N; i++) {
        unsigned char *p = (unsigned char *)&in[i];
        for (size_t k = 0; k < sizeof in[i]; k++)
            p[k] = (unsigned char)rng();
        in[i].sensor_idx = 0;
        in[i].t_us = (bf_time_us)(rng() % (UINT64_C(1) << 52)) - (INT64_C(1) << 51);
        in[i].rx_us = (bf_time_us)(rng() % (UINT64_C(1) << 52));
        if (i % 4 == 0) {   /* and the zeros that are left out of the text */
            memset(in[i].R, 0, sizeof in[i].R);
            in[i].flags = 0;
            in[i].z[2] = 0.0;
            in[i].snr_db = 0.0f;
        }
    }
    in[1].z[0] = -0.0;
    in[2].z[0] = 5e-324;
    in[3].z[0] = 0.1;
    char path[512];
    snprintf(path, sizeof path, "%s/round.log", bf_test_tmpdir());
    struct bf_record_writer *w;
    CU_ASSERT_EQUAL_FATAL(bf_record_writer_open(path, cfg, "round\ntrip", &w), 0);
    for (size_t i = 0; i < N; i++)
        CU_ASSERT_EQUAL(bf_record_writer_put(w, &in[i]), 0);
    CU_ASSERT_EQUAL(bf_record_writer_count(w), N);
    CU_ASSERT_EQUAL(bf_record_writer_close(w), 0);
    char err[256];
    struct bf_record_reader *r;
    CU_ASSERT_EQUAL_FATAL(bf_record_reader_open(path, cfg, &r, err, sizeof err), 0);
    size_t n = 0;
    while (n < N && bf_record_reader_next(r, &back[n], err, sizeof err) == 1)
        n++;
    struct bf_detection extra;
    CU_ASSERT_EQUAL(bf_record_reader_next(r, &extra, err, sizeof err), 0);
    bf_record_reader_close(r);
    CU_ASSERT_EQUAL_FATAL(n, N);
    for (size_t i = 0; i < N; i++)
        if (memcmp(&in[i], &back[i], sizeof in[i]) != 0) {
            CU_FAIL("a detection did not read back identical");
            break;
        }

    /* A line that is not a detection, and a version we do not read, are refused. */
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("# borderfuse-record 1\n# Sensor: 0 radar-a json\n{\"t_us\":1,\"sensor\":0}\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(bf_record_reader_open(path, cfg, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(bf_record_reader_next(r, &extra, err, sizeof err), BF_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 3"));
    bf_record_reader_close(r);
    f = fopen(path, "w");
    fputs("# borderfuse-record 99\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(bf_record_reader_open(path, cfg, &r, err, sizeof err), BF_EVERSION);
    CU_ASSERT_PTR_NULL(r);
}

static void test_replay_identical(void)
{
    struct outputs a = reference(), b = replay(golden, n_golden, n_golden);
    CU_ASSERT_TRUE(same(&a, &b));
    CU_ASSERT_EQUAL(a.st.processed + 0, b.st.processed);
    outputs_free(&a);
    outputs_free(&b);
}

static void test_two_halves(void)
{
    struct outputs a = reference();
    struct outputs h = replay(golden, n_golden, n_golden / 2);   /* feed, step, feed, flush */
    CU_ASSERT_TRUE(same(&a, &h));
    struct outputs s = replay(golden, n_golden, 1);   /* a step after every detection */
    CU_ASSERT_TRUE(same(&a, &s));
    struct outputs p = replay(golden, n_golden, 97);
    CU_ASSERT_TRUE(same(&a, &p));
    CU_ASSERT_EQUAL(a.st.processed, s.st.processed);
    CU_ASSERT_EQUAL(a.st.scans, s.st.scans);
    outputs_free(&a);
    outputs_free(&h);
    outputs_free(&s);
    outputs_free(&p);
}

/*
 * Longer than one release batch of the engine (4096): the golden log played
 * five times over, 200 s apart.  Fed in one go, the window releases it in
 * several batches; no scan may be cut in two at a batch boundary.
 */
static void test_long_input(void)
{
    enum { REPS = 5 };
    size_t n = n_golden * REPS;
    struct bf_detection *in = malloc(n * sizeof *in);
    bf_time_us span = golden[n_golden - 1].t_us - golden[0].t_us + 10 * BF_US_PER_S;
    for (size_t r = 0; r < REPS; r++)
        for (size_t i = 0; i < n_golden; i++) {
            in[r * n_golden + i] = golden[i];
            in[r * n_golden + i].t_us += (bf_time_us)r * span;
        }
    CU_ASSERT_FATAL(n > 4096);
    struct outputs a = replay(in, n, n), b = replay(in, n, 50);
    CU_ASSERT_TRUE(same(&a, &b));
    size_t markers = 0;
    for (size_t i = 0; i < n; i++)
        markers += in[i].kind == BF_MEAS_SCAN;
    CU_ASSERT_EQUAL(a.st.scans, markers);   /* one scan per marker: none was split */
    CU_ASSERT_EQUAL(b.st.scans, markers);
    free(in);
    outputs_free(&a);
    outputs_free(&b);
}

static bool same_time_and_sensor(const struct bf_detection *a, const struct bf_detection *b)
{
    return a->t_us == b->t_us && a->sensor_idx == b->sensor_idx;
}

static void test_shuffle_same_time(void)
{
    struct outputs a = reference();
    struct bf_detection *shuf = malloc(n_golden * sizeof *shuf);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        memcpy(shuf, golden, n_golden * sizeof *shuf);
        rng_state = seed;
        size_t moved = bf_test_shuffle_runs(shuf, n_golden, same_time_and_sensor, &rng_state);
        CU_ASSERT(moved != SIZE_MAX && moved > n_golden / 2);
        struct outputs b = replay(shuf, n_golden, n_golden);
        CU_ASSERT_TRUE(same(&a, &b));
        outputs_free(&b);
    }
    free(shuf);
    outputs_free(&a);
}

static void test_late_detection(void)
{
    struct outputs a = reference();
    /* A copy of a real detection (near a real target), arriving 3 s of event time too late. */
    size_t at = n_golden / 2, src = at;
    while (src > 0 && golden[src].t_us > golden[at].t_us - 3 * BF_US_PER_S)
        src--;
    while (src > 0 && golden[src].kind == BF_MEAS_SCAN)
        src--;
    CU_ASSERT_FATAL(golden[src].kind != BF_MEAS_SCAN);
    struct bf_detection *in = malloc((n_golden + 1) * sizeof *in);
    memcpy(in, golden, at * sizeof *in);
    in[at] = golden[src];
    in[at].seq = 999999;
    memcpy(in + at + 1, golden + at, (n_golden - at) * sizeof *in);
    struct outputs b = replay(in, n_golden + 1, 64);
    CU_ASSERT_EQUAL(b.st.late, 1);                           /* counted */
    CU_ASSERT_EQUAL(b.st.received, a.st.received + 1);
    CU_ASSERT_EQUAL(b.st.processed, a.st.processed);          /* not tracked */
    CU_ASSERT_EQUAL(b.st.scans, a.st.scans);                  /* the engine went on */
    CU_ASSERT_TRUE(same(&a, &b));                              /* tracks and alerts unchanged */
    /* The same detection in its place is not late, and it does change the tracks. */
    memcpy(in, golden, (src + 1) * sizeof *in);
    memcpy(in + src + 1, golden + src, (n_golden - src) * sizeof *in);
    in[src + 1].seq = 999999;
    struct outputs c = replay(in, n_golden + 1, 64);
    CU_ASSERT_EQUAL(c.st.late, 0);
    CU_ASSERT_EQUAL(c.st.processed, a.st.processed + 1);
    CU_ASSERT_FALSE(same(&a, &c));
    free(in);
    outputs_free(&a);
    outputs_free(&b);
    outputs_free(&c);
}

static CU_TestInfo tests[] = {
    {"record format: every detection reads back identical", test_record_round_trip},
    {"replay twice: identical", test_replay_identical},
    {"replay in two halves (and in small steps): identical", test_two_halves},
    {"longer than a release batch: no scan cut in two", test_long_input},
    {"same-time detections shuffled and renumbered: identical", test_shuffle_same_time},
    {"late detection: dropped, counted, nothing changed, engine goes on", test_late_detection},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/replay", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
