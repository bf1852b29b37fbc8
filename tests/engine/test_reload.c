/*
 * test_reload.c - a configuration reload keeps the picture (docs/engine.md,
 * "Reload"), on the engine without a broker.
 *
 * A straight east-west border at the origin's latitude (ours is south), one
 * radar.  Walker W crosses north -> south and raises an INCURSION; walker B
 * walks south 1.8 km north of the line, too far for APPROACH (300 m, 120 s).
 * Then the configuration is reloaded with a new restricted zone "yard" on
 * W's way (appended to the zones file) and approach_distance_m 2000: the
 * tracks keep their ids, W's INCURSION stays live (no second NEW, never
 * RESOLVED or LOST), B raises APPROACH at once under the new threshold and W
 * raises ZONE_ENTRY on the new zone with the same track id.  Bad reloads -
 * a syntax error, another site, a zone removed, the journal moved - are
 * refused with the reason in the log and change nothing.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alerts/alerts.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/coverage.h"

#define T0 INT64_C(1772330400000000)   /* 2026-03-01T02:00:00Z */

struct seen {
    enum bf_alert_type type;
    enum bf_alert_state state;
    uint32_t track_id;
    int zone_idx;
    char id[BF_ALERT_ID_LEN];
    char reason[128];
    int sensor_idx;
    int camera_idx;
    int scan;   /* the scan it came after */
};

static struct seen *seen;
static size_t n_seen, cap_seen;
static int scan_now;

static int tap(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    (void)ctx, (void)json, (void)len;
    if (n_seen == cap_seen) {
        cap_seen = cap_seen ? 2 * cap_seen : 256;
        seen = realloc(seen, cap_seen * sizeof *seen);
    }
    seen[n_seen++] = (struct seen){.type = a->type, .state = a->state, .track_id = a->track_id,
                                   .zone_idx = a->zone_idx, .sensor_idx = a->sensor_idx,
                                   .camera_idx = a->camera_idx, .scan = scan_now};
    snprintf(seen[n_seen - 1].reason, sizeof seen[n_seen - 1].reason, "%s", a->reason);
    snprintf(seen[n_seen - 1].id, sizeof seen[n_seen - 1].id, "%s", a->id);
    return 0;
}

static char dir[PATH_MAX], conf_path[PATH_MAX + 32], zones_path[PATH_MAX + 32];

static const char *zone_border =
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"border\", \"name\": \"Border\", "
    "\"kind\": \"border_line\", \"severity\": 3, \"our_side\": \"right\"}, \"geometry\": "
    "{\"type\": \"LineString\", \"coordinates\": [[8.10, 46.80], [8.20, 46.80], [8.30, 46.80]]}}";
static const char *zone_depot =
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"depot\", \"name\": \"Depot\", "
    "\"kind\": \"restricted\", \"severity\": 4}, \"geometry\": {\"type\": \"Polygon\", "
    "\"coordinates\": [[[8.25, 46.785], [8.26, 46.785], [8.26, 46.79], [8.25, 46.79], "
    "[8.25, 46.785]]]}}";
/* e 1370..1830 m, n -300..-130 m: on W's way south, after the line */
static const char *zone_yard =
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"yard\", \"name\": \"Yard\", "
    "\"kind\": \"restricted\", \"severity\": 4}, \"geometry\": {\"type\": \"Polygon\", "
    "\"coordinates\": [[[8.218, 46.7973], [8.224, 46.7973], [8.224, 46.7988], [8.218, 46.7988], "
    "[8.218, 46.7973]]]}}";

static void write_zones(const char *a, const char *b, const char *c)
{
    FILE *f = fopen(zones_path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "{\"type\": \"FeatureCollection\", \"features\": [%s%s%s%s%s]}\n", a,
            b ? ", " : "", b ? b : "", c ? ", " : "", c ? c : "");
    fclose(f);
}

/* site, the "alerts" body; text written as is when raw is given */
static void write_config(const char *site, const char *alerts, const char *raw)
{
    FILE *f = fopen(conf_path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (raw)
        fputs(raw, f);
    else
        fprintf(f,
                "{\"site\": \"%s\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
                " \"zones\": \"zones.geojson\", \"log_level\": \"info\",\n"
                " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, "
                "\"lon\": 8.20, \"range_m\": 9000, \"sigma_m\": 10}],\n"
                " \"alerts\": {%s},\n"
                " \"engine\": {\"reorder_window_ms\": 500}}\n",
                site, alerts);
    fclose(f);
}

/* splitmix64, seeded: every run sees the same noise */
static uint64_t rng = 7;
static double nrand(void)
{
    double u[2];
    for (int k = 0; k < 2; k++) {
        uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        u[k] = (double)(z >> 11) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0] + 1e-300)) * cos(2 * M_PI * u[1]);
}

static uint32_t seq;

static int feed_pos_from(struct bf_engine *e, uint32_t sensor, bf_time_us t, double east,
                         double north)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.sensor_idx = sensor;
    d.t_us = t;
    d.seq = seq++;
    d.kind = BF_MEAS_POSITION;
    d.z[0] = east + 5 * nrand();
    d.z[1] = north + 5 * nrand();
    d.R[0][0] = d.R[1][1] = 100.0;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d.class_lik[k] = 1.0f;
    return bf_engine_feed(e, &d);
}

static void feed_pos(struct bf_engine *e, bf_time_us t, double east, double north)
{
    CU_ASSERT_EQUAL(feed_pos_from(e, 0, t, east, north), 0);
}

static int feed_marker(struct bf_engine *e, uint32_t sensor, bf_time_us t)
{
    struct bf_detection m;
    memset(&m, 0, sizeof m);
    m.sensor_idx = sensor;
    m.t_us = t;
    m.seq = seq++;
    m.kind = BF_MEAS_SCAN;
    return bf_engine_feed(e, &m);
}

/* Scans k0..k1-1 (one a second): W from (1600, 600) and B from (-2500, 1800), both south. */
static void play(struct bf_engine *e, int k0, int k1)
{
    for (int k = k0; k < k1; k++) {
        bf_time_us t = T0 + (bf_time_us)k * BF_US_PER_S;
        scan_now = k;
        feed_pos(e, t, 1600, 600 - 1.4 * k);
        feed_pos(e, t, -2500, 1800 - 1.0 * k);
        struct bf_detection m;
        memset(&m, 0, sizeof m);
        m.t_us = t;
        m.seq = seq++;
        m.kind = BF_MEAS_SCAN;
        CU_ASSERT_EQUAL(bf_engine_feed(e, &m), 0);
        bf_engine_step(e, 0, false);
    }
    bf_engine_step(e, 0, true);
}

/* The confirmed tracks' ids, ascending, into ids; their count. */
static size_t track_ids(struct bf_engine *e, uint32_t *ids, size_t cap)
{
    const struct bf_track *tr[64];
    size_t n = bf_tracker_tracks(bf_engine_tracker(e), tr, 64), k = 0;
    for (size_t i = 0; i < n && i < 64 && k < cap; i++)
        if (tr[i]->status == BF_TRACK_CONFIRMED || tr[i]->status == BF_TRACK_COASTING)
            ids[k++] = tr[i]->id;
    for (size_t i = 1; i < k; i++)   /* insertion sort: a handful */
        for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint32_t x = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = x;
        }
    return k;
}

static size_t count(enum bf_alert_type type, enum bf_alert_state state, uint32_t track, int from)
{
    size_t c = 0;
    for (size_t i = 0; i < n_seen; i++)
        c += seen[i].type == type && seen[i].state == state && seen[i].scan >= from &&
             (track == 0 || seen[i].track_id == track);
    return c;
}

/* The test's folder under the temporary one, and its files' names. */
static void set_dir(const char *name)
{
    snprintf(dir, sizeof dir, "%s/%s", bf_test_tmpdir(), name);
    mkdir(dir, 0700);
    snprintf(conf_path, sizeof conf_path, "%s/engine.json", dir);
    snprintf(zones_path, sizeof zones_path, "%s/zones.geojson", dir);
}

/* An engine without a broker on conf_path, its log in memory, alerts to tap(). */
struct run {
    FILE *log;
    char *logbuf;
    size_t loglen;
    struct bf_config *cfg;
    struct bf_engine *e;
};

static int run_start(struct run *r)
{
    memset(r, 0, sizeof *r);
    r->log = open_memstream(&r->logbuf, &r->loglen);
    if (!r->log)
        return -1;
    bf_log_set_stream(r->log);
    bf_log_set_level(BF_LOG_INFO);
    struct bf_diag diag = {0};
    if (bf_config_load(conf_path, &r->cfg, &diag) < 0)
        return -1;
    static struct bf_alert_sink sink = {.publish = tap};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink};
    return bf_engine_create(r->cfg, &opt, &r->e);
}

static void run_stop(struct run *r)
{
    bf_engine_destroy(r->e);
    bf_config_destroy(r->cfg);
    bf_log_set_stream(NULL);
    fclose(r->log);
    if (getenv("BF_TEST_SHOW_LOG"))
        fputs(r->logbuf, stdout);
    free(r->logbuf);
}

static void test_reload_keeps_picture(void)
{
    set_dir("reload");
    write_zones(zone_border, zone_depot, NULL);
    write_config("it", "\"approach_distance_m\": 300", NULL);

    struct run r;
    CU_ASSERT_EQUAL_FATAL(run_start(&r), 0);
    struct bf_engine *e = r.e;

    /* W crosses near scan 430; by 520 it is 130 m on our side, B is 1280 m out */
    play(e, 0, 520);
    CU_ASSERT_EQUAL_FATAL(count(BF_ALERT_INCURSION, BF_ALERT_NEW, 0, 0), 1);
    uint32_t w_track = 0;
    char w_alert[BF_ALERT_ID_LEN] = "";
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i].type == BF_ALERT_INCURSION && seen[i].state == BF_ALERT_NEW) {
            w_track = seen[i].track_id;
            snprintf(w_alert, sizeof w_alert, "%s", seen[i].id);
        }
    size_t approach_b_before = 0;
    for (size_t i = 0; i < n_seen; i++)
        approach_b_before += seen[i].type == BF_ALERT_APPROACH && seen[i].track_id != w_track;
    CU_ASSERT_EQUAL(approach_b_before, 0);   /* B is beyond 300 m and 120 s */
    uint32_t before[8], after[8];
    size_t nb = track_ids(e, before, 8);
    CU_ASSERT_EQUAL(nb, 2);

    /* reload: the yard after the kept zones, APPROACH out to 2 km */
    write_zones(zone_border, zone_depot, zone_yard);
    write_config("it", "\"approach_distance_m\": 2000", NULL);
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), 0);
    CU_ASSERT_EQUAL(track_ids(e, after, 8), nb);
    CU_ASSERT_EQUAL(memcmp(before, after, nb * sizeof *before), 0);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "reload: zones 2 -> 3 (+yard), "
                                          "alerts.approach_distance_m 300 -> 2000"));

    /* bad reloads: refused, the reason logged, nothing changed */
    write_config("it", "", "{\"site\": \"it\",\n \"origin\": oops}\n");
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "engine.json:2:"));   /* file:line */
    write_config("other", "\"approach_distance_m\": 2000", NULL);
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    write_config("it", "\"approach_distance_m\": 2000, \"journal\": \"j.jsonl\"", NULL);
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    write_config("it", "\"approach_distance_m\": 2000", NULL);
    write_zones(zone_border, zone_yard, NULL);   /* the depot gone: its index is taken */
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    write_zones(zone_border, zone_depot, zone_yard);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "restart to change site"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "restart to change alerts.journal"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "zone \"depot\""));
    CU_ASSERT_EQUAL(count(BF_ALERT_INCURSION, BF_ALERT_NEW, 0, 0), 1);

    /* W walks into the yard (n -130 .. -300: scans 522 .. 643); B is inside 2 km */
    play(e, 520, 700);
    CU_ASSERT_EQUAL(track_ids(e, after, 8), nb);
    CU_ASSERT_EQUAL(memcmp(before, after, nb * sizeof *before), 0);
    size_t approach_b = 0, entry_w = 0, inc_other = 0;
    int approach_b_scan = -1, entry_scan = -1;
    for (size_t i = 0; i < n_seen; i++) {
        const struct seen *s = &seen[i];
        if (s->type == BF_ALERT_APPROACH && s->state == BF_ALERT_NEW && s->track_id != w_track) {
            approach_b++;
            approach_b_scan = s->scan;
            CU_ASSERT_EQUAL(s->track_id, before[0] == w_track ? before[1] : before[0]);
        }
        if (s->type == BF_ALERT_ZONE_ENTRY && s->state == BF_ALERT_NEW) {
            entry_w++;
            entry_scan = s->scan;
            CU_ASSERT_EQUAL(s->track_id, w_track);
            CU_ASSERT_EQUAL(s->zone_idx, 2);   /* the yard */
        }
        if (s->type == BF_ALERT_INCURSION) {   /* the same alert, live all along */
            CU_ASSERT_STRING_EQUAL(s->id, w_alert);
            inc_other += s->state != BF_ALERT_NEW && s->state != BF_ALERT_UPDATED;
        }
    }
    CU_ASSERT_EQUAL(approach_b, 1);
    CU_ASSERT(approach_b_scan >= 520 && approach_b_scan < 530);   /* at once */
    CU_ASSERT_EQUAL(entry_w, 1);
    CU_ASSERT(entry_scan >= 520 && entry_scan < 560);
    CU_ASSERT_EQUAL(inc_other, 0);
    printf("\n  W track %u: INCURSION %s kept; B's APPROACH after scan %d, W's ZONE_ENTRY "
           "(yard) after scan %d; %zu alert changes\n", w_track, w_alert, approach_b_scan,
           entry_scan, n_seen);

    run_stop(&r);
}

/*
 * Sensors by reload: radar-a (index 0) tracks walker W across the line
 * (INCURSION); radar-x (index 1) never speaks and raises SENSOR_FAULT.  A
 * reload removes radar-x and adds radar-b (index 2, never used): radar-x's
 * SENSOR_FAULT is resolved "sensor removed", its detections are refused as
 * unknown sensor, W's track and INCURSION carry on, and radar-b's walker V
 * becomes a track of its own.  A reload that moves radar-b moves its
 * coverage; one with a sensor of an unknown type is refused with the reason
 * and radar-b keeps running.
 */
static const char *radar_a = "{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, "
                             "\"lon\": 8.20, \"range_m\": 4000, \"sigma_m\": 10}";
static const char *radar_x = "{\"id\": \"radar-x\", \"type\": \"json\", \"lat\": 46.79, "
                             "\"lon\": 8.21, \"range_m\": 3000, \"heartbeat_timeout_s\": 5}";

static void write_sensors(const char *a, const char *b, const char *c)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"zones.geojson\", \"log_level\": \"info\",\n"
             " \"sensors\": [%s%s%s%s%s],\n"
             " \"engine\": {\"reorder_window_ms\": 500}}\n",
             a, b ? ", " : "", b ? b : "", c ? ", " : "", c ? c : "");
    write_config(NULL, NULL, text);
}

/* radar-b at lat, 3 km west of the origin, range 3 km (W is out of its reach, V of radar-a's) */
static void radar_b(char *buf, size_t len, double lat)
{
    snprintf(buf, len, "{\"id\": \"radar-b\", \"type\": \"json\", \"lat\": %.4f, \"lon\": 8.16, "
             "\"range_m\": 3000, \"sigma_m\": 10}", lat);
}

/* Scans k0..k1-1: W (radar-a) from (1600, 100) south; V (radar-b, when b) from (-3000, 2000) east. */
static void play_two(struct bf_engine *e, int k0, int k1, bool b)
{
    for (int k = k0; k < k1; k++) {
        bf_time_us t = T0 + (bf_time_us)k * BF_US_PER_S;
        scan_now = k;
        feed_pos(e, t, 1600, 100 - 1.4 * k);
        CU_ASSERT_EQUAL(feed_marker(e, 0, t), 0);
        if (b) {
            CU_ASSERT_EQUAL(feed_pos_from(e, 2, t + 200 * BF_US_PER_MS, -3000 + 1.2 * k, 2000), 0);
            CU_ASSERT_EQUAL(feed_marker(e, 2, t + 200 * BF_US_PER_MS), 0);
        }
        bf_engine_step(e, 0, false);
    }
    bf_engine_step(e, 0, true);
}

/* Whether a confirmed track has sensor idx among its contributors; its id into *id. */
static bool track_of_sensor(struct bf_engine *e, uint32_t idx, uint32_t *id)
{
    const struct bf_track *tr[64];
    size_t n = bf_tracker_tracks(bf_engine_tracker(e), tr, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if ((tr[i]->status == BF_TRACK_CONFIRMED || tr[i]->status == BF_TRACK_COASTING) &&
            (tr[i]->sensors >> idx & 1)) {
            *id = tr[i]->id;
            return true;
        }
    return false;
}

static void test_reload_sensors(void)
{
    n_seen = 0;
    set_dir("reload-sensors");
    write_zones(zone_border, zone_depot, NULL);
    write_sensors(radar_a, radar_x, NULL);

    struct run r;
    CU_ASSERT_EQUAL_FATAL(run_start(&r), 0);
    struct bf_engine *e = r.e;

    /* W crosses near scan 71; radar-x is silent: SENSOR_FAULT after 5 s */
    CU_ASSERT_EQUAL(feed_pos_from(e, 2, T0, -3000, 2000), BF_EINVAL);   /* no index 2 yet */
    play_two(e, 0, 100, false);
    CU_ASSERT_EQUAL_FATAL(count(BF_ALERT_INCURSION, BF_ALERT_NEW, 0, 0), 1);
    CU_ASSERT_EQUAL(count(BF_ALERT_SENSOR_FAULT, BF_ALERT_NEW, 0, 0), 1);
    CU_ASSERT_EQUAL(count(BF_ALERT_SENSOR_FAULT, BF_ALERT_RESOLVED, 0, 0), 0);
    uint32_t w_track = 0;
    CU_ASSERT_FATAL(track_of_sensor(e, 0, &w_track));
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    CU_ASSERT_EQUAL(st.unknown_sensor, 1);
    CU_ASSERT_EQUAL(st.sensors_faulty, 1);

    /* reload: radar-x removed, radar-b added */
    char b[256];
    radar_b(b, sizeof b, 46.80);
    write_sensors(radar_a, b, NULL);
    CU_ASSERT_EQUAL_FATAL(bf_engine_reload(e, NULL), 0);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "zones 2 -> 2, sensors -radar-x +radar-b"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "sensor radar-b (json) added as index 2"));
    size_t resolved = 0;
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i].type == BF_ALERT_SENSOR_FAULT && seen[i].state == BF_ALERT_RESOLVED) {
            resolved++;
            CU_ASSERT_EQUAL(seen[i].sensor_idx, 1);
            CU_ASSERT_STRING_EQUAL(seen[i].reason, "sensor removed");
        }
    CU_ASSERT_EQUAL(resolved, 1);
    bf_engine_get_stats(e, &st);
    CU_ASSERT_EQUAL(st.sensors_faulty, 0);
    /* radar-x's detections are refused and counted */
    CU_ASSERT_EQUAL(feed_pos_from(e, 1, T0 + 100 * BF_US_PER_S, 500, 500), BF_EINVAL);
    bf_engine_get_stats(e, &st);
    CU_ASSERT_EQUAL(st.unknown_sensor, 2);

    /* radar-b's walker becomes a track; W carries on with its INCURSION */
    play_two(e, 100, 130, true);
    uint32_t v_track = 0, w_after = 0;
    CU_ASSERT(track_of_sensor(e, 2, &v_track));
    CU_ASSERT_NOT_EQUAL(v_track, w_track);
    CU_ASSERT(track_of_sensor(e, 0, &w_after));
    CU_ASSERT_EQUAL(w_after, w_track);
    CU_ASSERT_EQUAL(count(BF_ALERT_INCURSION, BF_ALERT_NEW, 0, 0), 1);
    CU_ASSERT_EQUAL(count(BF_ALERT_INCURSION, BF_ALERT_LOST, 0, 0), 0);
    CU_ASSERT_EQUAL(count(BF_ALERT_INCURSION, BF_ALERT_RESOLVED, 0, 0), 0);

    /* radar-b moves 3.3 km north: its coverage follows */
    const struct bf_coverage *cov = bf_engine_coverage(e);
    CU_ASSERT(bf_coverage_pd_at(cov, 2, -3050, -2500) > 0);
    CU_ASSERT_EQUAL(bf_coverage_pd_at(cov, 2, -3050, 6000), 0);
    radar_b(b, sizeof b, 46.83);
    write_sensors(radar_a, b, NULL);
    CU_ASSERT_EQUAL_FATAL(bf_engine_reload(e, NULL), 0);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "zones 2 -> 2, sensors ~radar-b"));
    cov = bf_engine_coverage(e);
    CU_ASSERT_EQUAL(bf_coverage_pd_at(cov, 2, -3050, -2500), 0);
    CU_ASSERT(bf_coverage_pd_at(cov, 2, -3050, 6000) > 0);
    CU_ASSERT_EQUAL(bf_coverage_pd_at(cov, 1, 0, 0), 0);   /* radar-x has none */

    /* a sensor of an unknown type: refused with the reason, radar-b runs on */
    write_sensors(radar_a, b, "{\"id\": \"radar-c\", \"type\": \"nosuch\", \"lat\": 46.79, "
                              "\"lon\": 8.22, \"range_m\": 4000}");
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "unknown sensor type \"nosuch\""));
    CU_ASSERT_EQUAL(feed_pos_from(e, 3, T0 + 131 * BF_US_PER_S, 0, 0), BF_EINVAL);
    play_two(e, 130, 140, true);
    CU_ASSERT(track_of_sensor(e, 2, &v_track));
    bf_engine_get_stats(e, &st);
    CU_ASSERT_EQUAL(st.unknown_sensor, 3);

    /* radar-x back: it gets its own index again */
    write_sensors(radar_a, b, radar_x);
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), 0);
    CU_ASSERT_EQUAL(feed_marker(e, 1, T0 + 141 * BF_US_PER_S), 0);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "sensor radar-x (json) added as index 1"));
    printf("\n  W track %u kept, V track %u from radar-b; %llu detections refused as unknown "
           "sensor; %zu alert changes\n", w_track, v_track, (unsigned long long)st.unknown_sensor,
           n_seen);

    run_stop(&r);
}

/*
 * Cameras by reload (docs/cueing.md): the cuer follows the sensor set.
 * radar-a tracks walker W across the line; no camera at start, so W's
 * INCURSION names none.  A reload adds cam-1 (index 1): the cuer starts and
 * W's alert changes name cam-1.  One that removes cam-1 and adds cam-2
 * (index 2): W's track is released by cam-1 and taken by cam-2 at once, its
 * alert changes name cam-2, never cam-1 again.  One that moves cam-2 20 km
 * north, out of its reach: W's alert changes name no camera.
 */
static void write_cameras(const char *cam)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"zones.geojson\", \"log_level\": \"info\",\n"
             " \"sensors\": [%s%s%s],\n"
             " \"alerts\": {\"update_min_interval_s\": 1},\n"
             " \"engine\": {\"reorder_window_ms\": 500}}\n",
             radar_a, cam ? ", " : "", cam ? cam : "");
    write_config(NULL, NULL, text);
}

static void camera(char *buf, size_t len, const char *id, double lat, double lon)
{
    snprintf(buf, len, "{\"id\": \"%s\", \"type\": \"camera\", \"lat\": %.4f, \"lon\": %.4f, "
             "\"height_m\": 10, \"range_m\": 2000}", id, lat, lon);
}

/* W's alert changes from scan k0 on: how many, and how many name camera cam. */
static size_t w_changes(uint32_t w, int k0, int cam, size_t *naming)
{
    size_t n = 0;
    *naming = 0;
    for (size_t i = 0; i < n_seen; i++)
        if (seen[i].track_id == w && seen[i].scan >= k0) {
            n++;
            *naming += seen[i].camera_idx == cam;
        }
    return n;
}

/* Reload with camera cam (alongside radar-a), the change line in the log; scans k0..k0+29:
 * W's alert changes there all name camera idx (-1: none). */
static void camera_phase(struct run *r, uint32_t w, const char *cam, const char *line, int k0,
                         int idx)
{
    write_cameras(cam);
    CU_ASSERT_EQUAL_FATAL(bf_engine_reload(r->e, NULL), 0);
    fflush(r->log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->logbuf, line));
    play_two(r->e, k0, k0 + 30, false);
    size_t naming, n = w_changes(w, k0, idx, &naming);
    CU_ASSERT(n >= 1);
    CU_ASSERT_EQUAL(naming, n);
}

static void test_reload_cameras(void)
{
    n_seen = 0;
    set_dir("reload-cameras");
    write_zones(zone_border, zone_depot, NULL);
    write_cameras(NULL);
    struct run r;
    CU_ASSERT_EQUAL_FATAL(run_start(&r), 0);
    struct bf_engine *e = r.e;

    play_two(e, 0, 100, false);
    CU_ASSERT_EQUAL_FATAL(count(BF_ALERT_INCURSION, BF_ALERT_NEW, 0, 0), 1);
    uint32_t w = 0;
    CU_ASSERT_FATAL(track_of_sensor(e, 0, &w));
    size_t naming, n = w_changes(w, 0, -1, &naming);
    CU_ASSERT(n >= 1);
    CU_ASSERT_EQUAL(naming, n);   /* no camera at all */

    /* cam-1 added, 1.5 km from W */
    char c1[256], c2[256];
    camera(c1, sizeof c1, "cam-1", 46.7950, 8.2200);
    camera_phase(&r, w, c1, "sensors +cam-1, cameras +cam-1", 100, 1);
    /* cam-1 removed, cam-2 added: W's track goes to cam-2 at once, never back to cam-1 */
    camera(c2, sizeof c2, "cam-2", 46.7900, 8.2300);
    camera_phase(&r, w, c2, "sensors -cam-1 +cam-2, cameras -cam-1 +cam-2", 130, 2);
    w_changes(w, 130, 1, &naming);
    CU_ASSERT_EQUAL(naming, 0);
    /* cam-2 moved 20 km north: out of W's reach, no camera any more */
    camera(c2, sizeof c2, "cam-2", 46.9800, 8.2300);
    camera_phase(&r, w, c2, "sensors ~cam-2, cameras ~cam-2", 160, -1);
    CU_ASSERT_EQUAL(count(BF_ALERT_INCURSION, BF_ALERT_NEW, 0, 0), 1);   /* the same alert */
    printf("\n  W track %u: %zu alert changes, their camera following the reloads\n", w,
           n_seen);
    run_stop(&r);
}

/*
 * engine.status_period_s may change on reload (the "status" task follows: the
 * timer table's test and tests/integration/test_reload.c); any other key of
 * "engine" is refused with "restart to change engine.<key>".
 */
static void write_engine(const char *engine)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"zones.geojson\",\n \"sensors\": [%s],\n \"engine\": {%s}}\n",
             radar_a, engine);
    write_config(NULL, NULL, text);
}

static void test_reload_engine(void)
{
    set_dir("reload-engine");
    write_zones(zone_border, zone_depot, NULL);
    write_engine("\"reorder_window_ms\": 500");
    struct run r;
    CU_ASSERT_EQUAL_FATAL(run_start(&r), 0);
    write_engine("\"reorder_window_ms\": 500, \"status_period_s\": 0.5");
    CU_ASSERT_EQUAL(bf_engine_reload(r.e, NULL), 0);
    write_engine("\"reorder_window_ms\": 400, \"status_period_s\": 0.5");
    CU_ASSERT_EQUAL(bf_engine_reload(r.e, NULL), BF_EINVAL);
    write_engine("\"reorder_window_ms\": 500, \"status_period_s\": 60");
    CU_ASSERT_EQUAL(bf_engine_reload(r.e, NULL), 0);
    fflush(r.log);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "reload: zones 2 -> 2, engine.status_period_s 5 -> 0.5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "engine.reorder_window_ms changed: a reload cannot "
                                            "apply it, restart to change engine.reorder_window_ms"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.logbuf, "engine.status_period_s 0.5 -> 60"));
    run_stop(&r);
}

static CU_TestInfo tests[] = {
    {"a reload applies a new zone and threshold, keeps tracks and live alerts; bad ones refused",
     test_reload_keeps_picture},
    {"a reload adds, removes and changes sensors; tracks and live alerts kept; a bad sensor "
     "refused", test_reload_sensors},
    {"a reload's cameras: added, removed and moved cameras followed by the cuer",
     test_reload_cameras},
    {"a reload may change engine.status_period_s, no other key of engine", test_reload_engine},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/reload", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    int rc = bf_test_main(suites);
    free(seen);
    return rc;
}
