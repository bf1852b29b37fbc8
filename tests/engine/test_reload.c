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

#define T0 INT64_C(1772330400000000)   /* 2026-03-01T02:00:00Z */

struct seen {
    enum bf_alert_type type;
    enum bf_alert_state state;
    uint32_t track_id;
    int zone_idx;
    char id[BF_ALERT_ID_LEN];
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
                                   .zone_idx = a->zone_idx, .scan = scan_now};
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

static void feed_pos(struct bf_engine *e, bf_time_us t, double east, double north)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.seq = seq++;
    d.kind = BF_MEAS_POSITION;
    d.z[0] = east + 5 * nrand();
    d.z[1] = north + 5 * nrand();
    d.R[0][0] = d.R[1][1] = 100.0;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d.class_lik[k] = 1.0f;
    CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
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

static void test_reload_keeps_picture(void)
{
    snprintf(dir, sizeof dir, "%s/reload", bf_test_tmpdir());
    mkdir(dir, 0700);
    snprintf(conf_path, sizeof conf_path, "%s/engine.json", dir);
    snprintf(zones_path, sizeof zones_path, "%s/zones.geojson", dir);
    write_zones(zone_border, zone_depot, NULL);
    write_config("it", "\"approach_distance_m\": 300", NULL);

    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    bf_log_set_stream(log);
    bf_log_set_level(BF_LOG_INFO);

    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(conf_path, &cfg, &diag), 0);
    struct bf_alert_sink sink = {.publish = tap};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);

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
    fflush(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "reload: zones 2 -> 3 (+yard), "
                                          "alerts.approach_distance_m 300 -> 2000"));

    /* bad reloads: refused, the reason logged, nothing changed */
    write_config("it", "", "{\"site\": \"it\",\n \"origin\": oops}\n");
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    fflush(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "engine.json:2:"));   /* file:line */
    write_config("other", "\"approach_distance_m\": 2000", NULL);
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    write_config("it", "\"approach_distance_m\": 2000, \"journal\": \"j.jsonl\"", NULL);
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    write_config("it", "\"approach_distance_m\": 2000", NULL);
    write_zones(zone_border, zone_yard, NULL);   /* the depot gone: its index is taken */
    CU_ASSERT_EQUAL(bf_engine_reload(e, NULL), BF_EINVAL);
    write_zones(zone_border, zone_depot, zone_yard);
    fflush(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "restart to change site"));
    CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "restart to change alerts.journal"));
    CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "zone \"depot\""));
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

    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    bf_log_set_stream(NULL);
    fclose(log);
    if (getenv("BF_TEST_SHOW_LOG"))
        fputs(logbuf, stdout);
    free(logbuf);
    free(seen);
}

static CU_TestInfo tests[] = {
    {"a reload applies a new zone and threshold, keeps tracks and live alerts; bad ones refused",
     test_reload_keeps_picture},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/reload", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
