/*
 * test_alerts.c - the alerter: rules, lifecycle, rate limit, suppression,
 * identity, sequence and journal, JSON.
 *
 * The zones fixture (fixture.h) has a straight border line along the
 * meridian through the site origin (local e = 0; our side is east, e > 0), a
 * restricted polygon, a buffer polygon and a no_alert polygon.  Most tests
 * feed hand-made geofence steps consistent with that geometry (dist = |e|,
 * side = sign(e)), so the rules are exercised exactly; the real zones give
 * zone info, lat/lon and the line side of history points; one test drives
 * the real bf_geo_track_step end to end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/alerts_int.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_time.h"
#include "fixture.h"
#include "geo/geo.h"

static struct bf_geo_zones *zones_crit;   /* tests/alerts/zones_critical.geojson */
static int Z_DEPOT, Z_BUFFER, Z_FARM;

static int suite_init(void)
{
    if (fx_init() != 0 ||
        bf_geo_zones_load(bf_test_src("tests/alerts/zones_critical.geojson"), fx_frame, NULL,
                          &zones_crit, NULL) < 0)
        return 1;
    Z_DEPOT = bf_geo_zone_find(fx_zones, "depot");
    Z_BUFFER = bf_geo_zone_find(fx_zones, "buffer-east");
    Z_FARM = bf_geo_zone_find(fx_zones, "farm");
    return (Z_DEPOT < 0 || Z_BUFFER < 0 || Z_FARM < 0) ? 1 : 0;
}

static int suite_clean(void)
{
    bf_geo_zones_destroy(zones_crit);
    return fx_clean();
}

/* ---- alerters (three sensors: radar-west, radar-east, ugs-1) ------------------------------ */

static struct bf_alerter *mk_alerter_z(struct fx_sink *s, const char *journal,
                                       struct bf_geo_zones *z,
                                       void (*tweak)(struct bf_alert_params *))
{
    return fx_alerter(s, 3, journal, z, tweak);
}

static struct bf_alerter *mk_alerter(struct fx_sink *s)
{
    return mk_alerter_z(s, NULL, fx_zones, NULL);
}

static uint64_t bit(int z) { return UINT64_C(1) << z; }

static void iso(bf_time_us t, char *buf)
{
    CU_ASSERT_EQUAL(bf_time_format_iso(t, buf, BF_TIME_ISO_LEN), 0);
}

/* ---- identity ----------------------------------------------------------------------- */

static void test_uuid5_known_answer(void)
{
    /* RFC 4122 appendix / Python uuid.uuid5(NAMESPACE_DNS, "www.example.com") */
    static const uint8_t dns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                    0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    char out[BF_ALERT_ID_LEN];
    CU_ASSERT_EQUAL(bf_alert_uuid5(dns, "www.example.com", 15, out), 0);
    CU_ASSERT_STRING_EQUAL(out, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    /* our namespace, computed independently with Python's uuid.uuid5 */
    CU_ASSERT_EQUAL(bf_alert_make_id("demo", BF_ALERT_INCURSION, 42, "border", T0, out), 0);
    CU_ASSERT_STRING_EQUAL(out, "9cf1bec8-9072-51e8-824b-e6e246ec9741");
}

static void raise_incursion(struct bf_alerter *a, uint32_t id, bf_time_us now)
{
    struct bf_track t;
    fx_track_init(&t, id, now, 4, 100, 1, 0);
    struct bf_geo_step s = fx_step(&t, 0);
    fx_add_crossing(&s, +1, 0.6);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s), 0);
}

static void test_ids_stable(void)
{
    struct fx_sink s1, s2;
    struct bf_alerter *a1 = mk_alerter(&s1), *a2 = mk_alerter(&s2);
    raise_incursion(a1, 42, T0);
    raise_incursion(a2, 42, T0);
    raise_incursion(a1, 43, T0);
    CU_ASSERT_EQUAL_FATAL(s1.n, 2);
    CU_ASSERT_EQUAL_FATAL(s2.n, 1);
    CU_ASSERT_STRING_EQUAL(s1.r[0].a.id, "9cf1bec8-9072-51e8-824b-e6e246ec9741");
    CU_ASSERT_STRING_EQUAL(s1.r[0].a.id, s2.r[0].a.id);
    CU_ASSERT_STRING_EQUAL(s1.r[0].json, s2.r[0].json);   /* byte-identical for the same input */
    CU_ASSERT_STRING_NOT_EQUAL(s1.r[0].a.id, s1.r[1].a.id);
    char other[BF_ALERT_ID_LEN];
    bf_alert_make_id("demo", BF_ALERT_INCURSION, 43, "border", T0, other);
    CU_ASSERT_STRING_EQUAL(s1.r[1].a.id, other);
    /* a different first time is a different alert */
    bf_alert_make_id("demo", BF_ALERT_INCURSION, 42, "border", T0 + 1, other);
    CU_ASSERT_STRING_NOT_EQUAL(s1.r[0].a.id, other);
    bf_alerter_destroy(a1);
    bf_alerter_destroy(a2);
}

/* ---- INCURSION ------------------------------------------------------------------------ */

static void test_incursion_once_then_updates(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    fx_track_init(&t, 42, T0, 4, 100, 1, 0);   /* from e = -6 at T0-1s to e = 4 at T0 */
    /* the crossing point is 0.6 of the way from the previous point: T0 - 0.4 s */
    t.hist_len = 0;
    fx_hist_push(&t, T0 - S(1), -6, 100);
    fx_hist_push(&t, T0, 4, 100);
    struct bf_geo_step st = fx_step(&t, 0);
    fx_add_crossing(&st, +1, 0.6);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    const struct bf_alert *n0 = &s.r[0].a;
    CU_ASSERT_EQUAL(n0->type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(n0->state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(n0->severity, BF_SEV_HIGH);
    CU_ASSERT_EQUAL(n0->seq, 1);
    CU_ASSERT_EQUAL(n0->zone_idx, fx_border);
    CU_ASSERT_STRING_EQUAL(n0->zone_id, "border");
    CU_ASSERT_EQUAL(n0->crossing_us, T0 - S(0.4));
    CU_ASSERT_EQUAL(n0->first_us, T0);
    CU_ASSERT_TRUE(isinf(n0->time_to_line_s));   /* on our side */
    BF_ASSERT_NEAR(n0->dist_to_line_m, 4.0, 1e-9);

    /* 12 more steps, 1 s apart, still on our side: updated, never raised again */
    for (int k = 1; k <= 12; k++) {
        fx_track_move(&t, 1.0);
        struct bf_geo_step s2 = fx_step(&t, 0);
        CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s2), 0);
    }
    /* update_min_interval_s = 5: UPDATED at T0+5 and T0+10 only */
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_UPDATED);
    CU_ASSERT_EQUAL(s.r[1].a.last_us, T0 + S(5));
    CU_ASSERT_EQUAL(s.r[2].a.last_us, T0 + S(10));
    CU_ASSERT_EQUAL(s.r[1].a.seq, 2);
    CU_ASSERT_EQUAL(s.r[2].a.seq, 3);
    CU_ASSERT_STRING_EQUAL(s.r[1].a.id, s.r[0].a.id);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.id, s.r[0].a.id);
    BF_ASSERT_NEAR(s.r[2].a.dist_to_line_m, 14.0, 1e-9);   /* position followed */
    CU_ASSERT_EQUAL(s.r[2].a.first_us, T0);
    CU_ASSERT_EQUAL(s.r[2].a.crossing_us, T0 - S(0.4));
    CU_ASSERT_EQUAL(s.r[2].a.n_hits, 18);

    struct bf_alerter_stats stt;
    bf_alerter_get_stats(a, &stt);
    CU_ASSERT_EQUAL(stt.raised, 1);
    CU_ASSERT_EQUAL(stt.updated, 2);
    CU_ASSERT_EQUAL(stt.live, 1);
    CU_ASSERT_TRUE(bf_alerter_check(a));

    /* back onto their side, beyond the approach distance: the incursion is over */
    t.x[2] = -100;
    fx_track_move(&t, 4.0);   /* e = 16 - 400 = -384 */
    struct bf_geo_step s3 = fx_step(&t, 0);
    fx_add_crossing(&s3, -1, 0.8);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s3), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_EQUAL(s.r[3].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_EQUAL(s.r[3].a.seq, 4);
    CU_ASSERT_EQUAL(s.r[3].a.last_us, T0 + S(16));
    CU_ASSERT_STRING_EQUAL(s.r[3].a.id, s.r[0].a.id);
    bf_alerter_get_stats(a, &stt);
    CU_ASSERT_EQUAL(stt.live, 0);
    CU_ASSERT_EQUAL(stt.resolved, 1);
    bf_alerter_destroy(a);
}

static void test_update_rate_limit(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    fx_track_init(&t, 7, T0, 2, 0, 2, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    fx_add_crossing(&st, +1, 0.5);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    /* 60 steps at 0.25 s: 15 s of event time -> UPDATED at +5, +10, +15 */
    for (int k = 0; k < 60; k++) {
        fx_track_move(&t, 0.25);
        struct bf_geo_step s2 = fx_step(&t, 0);
        bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s2);
    }
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    for (int i = 1; i < s.n; i++) {
        CU_ASSERT_EQUAL(s.r[i].a.state, BF_ALERT_UPDATED);
        CU_ASSERT_EQUAL(s.r[i].a.last_us, T0 + S(5.0 * i));
        CU_ASSERT_TRUE(s.r[i].a.last_us - s.r[i - 1].a.last_us >= S(5));
    }
    /* one more update (not published), then the track ends: LOST, published at once */
    fx_track_move(&t, 0.25);
    struct bf_geo_step s3 = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s3);
    CU_ASSERT_EQUAL(s.n, 4);
    t.t_us += S(0.25);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_DELETED, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    CU_ASSERT_EQUAL(s.r[4].a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(s.r[4].a.last_us, T0 + S(15.5));
    CU_ASSERT_EQUAL(s.r[4].a.lost_us, T0 + S(15.25));   /* its newest history point */
    /* the change carries the latest unpublished update */
    CU_ASSERT_EQUAL(s.r[4].a.n_hits, 8 + 61);
    bf_alerter_destroy(a);
}

static void zero_interval(struct bf_alert_params *p) { p->update_min_interval_s = 0; }

static void test_update_interval_zero(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter_z(&s, NULL, fx_zones, zero_interval);
    struct bf_track t;
    fx_track_init(&t, 7, T0, 2, 0, 2, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    fx_add_crossing(&st, +1, 0.5);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    for (int k = 0; k < 3; k++) {
        fx_track_move(&t, 0.25);
        struct bf_geo_step s2 = fx_step(&t, 0);
        bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s2);
    }
    CU_ASSERT_EQUAL(s.n, 4);   /* every update published */
    bf_alerter_destroy(a);
}

static void test_incursion_critical(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter_z(&s, NULL, zones_crit, NULL);
    struct bf_track t;
    fx_track_init(&t, 3, T0, 1, 0, 1, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    st.nearest_line = 0;
    st.crossings[0] = (struct bf_geo_crossing){.zone = 0, .dir = +1, .frac = 0.5};
    st.n_crossings = 1;
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_CRITICAL);
    bf_alerter_destroy(a);
}

static void test_late_confirmation(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    /* crossed while tentative: -30, -10 | +10, now +20; the step has no crossing */
    struct bf_track t;
    fx_track_init(&t, 9, T0, 20, 50, 10, 0);
    t.hist_len = 0;
    fx_hist_push(&t, T0 - S(3), -30, 50);
    fx_hist_push(&t, T0 - S(2), -10, 50);
    fx_hist_push(&t, T0 - S(1), 10, 50);
    fx_hist_push(&t, T0, 20, 50);
    struct bf_geo_step st = fx_step(&t, 0);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED, &st), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(s.r[0].a.state, BF_ALERT_NEW);
    /* between -10 (T0-2s) and +10 (T0-1s), equal distances: T0 - 1.5 s */
    CU_ASSERT_EQUAL(s.r[0].a.crossing_us, T0 - S(1.5));
    /* next step: updated only, not raised again */
    fx_track_move(&t, 1.0);
    struct bf_geo_step s2 = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &s2);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 1);

    /* a track that was always on our side raises nothing when confirmed */
    struct bf_track u;
    fx_track_init(&u, 10, T0, 40, 50, 10, 0);
    struct bf_geo_step s3 = fx_step(&u, 0);
    int before = s.n;
    bf_alerter_on_track(a, &u, BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED, &s3);
    CU_ASSERT_EQUAL(s.n, before);
    bf_alerter_destroy(a);
}

/* ---- APPROACH ------------------------------------------------------------------------------- */

static void test_approach_by_distance_and_time(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    /* standing still 250 m from the line: not closing, no APPROACH (LOITER's case) */
    fx_track_init(&t, 19, T0, -250, 0, 0, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL(s.n, 0);
    /* by distance: 250 m from the line, walking to it at 1 m/s (250 s away) */
    fx_track_init(&t, 20, T0, -250, 0, 1, 0);
    st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_MEDIUM);
    CU_ASSERT_EQUAL(s.r[0].a.zone_idx, fx_border);
    BF_ASSERT_NEAR(s.r[0].a.time_to_line_s, 250, 1e-9);
    BF_ASSERT_NEAR(s.r[0].a.dist_to_line_m, 250, 1e-9);

    /* by time: 1000 m away at 10 m/s -> 100 s <= 120 s */
    fx_track_init(&t, 21, T0, -1000, 0, 10, 0);
    st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.r[1].a.track_id, 21);
    BF_ASSERT_NEAR(s.r[1].a.time_to_line_s, 100, 1e-9);
    cJSON *j = cJSON_Parse(s.r[1].json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "time_to_line_s")->valuedouble, 100, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "distance_to_line_m")->valuedouble, 1000, 1e-9);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "crossing_time")));
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(j, "explanation")->valuestring,
                                  "is 1000 m from State border on their side, expected to reach it "
                                  "in 100 s (01:55:00Z)"));
    cJSON_Delete(j);

    /* neither: 1000 m at 5 m/s -> 200 s; nor on our side within 250 m */
    fx_track_init(&t, 22, T0, -1000, 0, 5, 0);
    st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    fx_track_init(&t, 23, T0, 250, 0, -1, 0);
    st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL(s.n, 2);
    bf_alerter_destroy(a);
}

static void test_approach_resolution(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    /* raised at 250 m walking in, then walking away at 25 m/s: the hold condition fails
     * at once, the alert clears approach_min_dwell_s (10 s) after it last held */
    fx_track_init(&t, 30, T0, -250, 0, 1, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    t.x[2] = -25;
    for (int k = 0; k < 9; k++) {   /* T0+1 ... T0+9: within the dwell, stays live */
        fx_track_move(&t, 1.0);
        st = fx_step(&t, 0);
        bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), 0);
    fx_track_move(&t, 1.0);   /* T0+10: the dwell is over */
    st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), 1);
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.last_us, T0 + S(10));

    /* far but closing fast: beyond 1.5 x distance yet within approach_time_s: stays */
    fx_track_init(&t, 31, T0, -250, 0, 1, 0);
    st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    t.x[0] = -600;
    t.x[2] = 10;   /* 60 s to the line */
    fx_track_move(&t, 1.0);
    st = fx_step(&t, 0);
    int before = fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), before);

    /* it crosses: INCURSION NEW first, then the APPROACH is RESOLVED in the same step */
    int n0 = s.n;
    t.x[0] = -5;
    fx_track_move(&t, 1.0);   /* e = +5 */
    st = fx_step(&t, 0);
    fx_add_crossing(&st, +1, 0.5);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, n0 + 2);
    CU_ASSERT_EQUAL(s.r[n0].a.type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(s.r[n0].a.state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(s.r[n0 + 1].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.r[n0 + 1].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_EQUAL(s.r[n0 + 1].a.track_id, 31);
    CU_ASSERT_EQUAL(s.r[n0 + 1].a.seq, s.r[n0].a.seq + 1);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* ---- ZONE_ENTRY ------------------------------------------------------------------------------- */

static void test_zone_entry_restricted_only(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    /* inside the buffer (on our side, 100 m from the line, walking along it): nothing */
    fx_track_init(&t, 50, T0, 100, 0, 0, 1);
    struct bf_geo_step st = fx_step(&t, bit(Z_BUFFER));
    st.entered = bit(Z_BUFFER);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL(s.n, 0);
    /* into the depot: ZONE_ENTRY with the depot's severity (4: critical) */
    fx_track_init(&t, 51, T0, 900, 0, 0, 1);
    st = fx_step(&t, bit(Z_DEPOT));
    st.entered = bit(Z_DEPOT);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_ZONE_ENTRY);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_CRITICAL);
    CU_ASSERT_EQUAL(s.r[0].a.zone_idx, Z_DEPOT);
    CU_ASSERT_STRING_EQUAL(s.r[0].a.zone_name, "Fuel depot");
    CU_ASSERT_EQUAL(s.r[0].a.zone_kind, BF_ZONE_RESTRICTED);
    CU_ASSERT_EQUAL(s.r[0].a.crossing_us, BF_TIME_NONE);
    /* still inside: updated, not raised again */
    fx_track_move(&t, 6.0);
    st = fx_step(&t, bit(Z_DEPOT));
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_UPDATED);
    /* out: resolved */
    fx_track_move(&t, 1.0);
    st = fx_step(&t, 0);
    st.exited = bit(Z_DEPOT);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.id, s.r[0].a.id);
    bf_alerter_destroy(a);
}

/* ---- suppression ------------------------------------------------------------------------------- */

static void crossing_step(struct bf_alerter *a, struct bf_track *t, uint64_t inside)
{
    struct bf_geo_step st = fx_step(t, inside);
    fx_add_crossing(&st, +1, 0.5);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, t, BF_CHANGE_UPDATED, &st), 0);
}

static void test_suppression(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_alerter_stats st;
    struct bf_track t;

    fx_track_init(&t, 60, T0, 3, 0, 3, 0);
    t.status = BF_TRACK_TENTATIVE;
    crossing_step(a, &t, 0);
    fx_track_init(&t, 61, T0, 3, 0, 3, 0);
    t.n_hits = 4;   /* min_hits 5 */
    crossing_step(a, &t, 0);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT_EQUAL(st.suppressed_test + st.suppressed_no_alert + st.suppressed_confidence, 0);

    fx_track_init(&t, 62, T0, 3, 0, 3, 0);
    t.flags = BF_DET_F_TEST;
    crossing_step(a, &t, 0);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.suppressed_test, 1);

    fx_track_init(&t, 63, T0, 3, 0, 3, 0);
    crossing_step(a, &t, bit(Z_FARM));
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.suppressed_no_alert, 1);

    /* weak: 5 hits in 16 opportunities, unknown class -> below 0.5 */
    fx_track_init(&t, 64, T0, 3, 0, 3, 0);
    t.n_hits = 5;
    t.hit_bits = 0x8421 | 0x0100;   /* oldest hit 16 back, 5 hits */
    memset(t.class_p, 0, sizeof t.class_p);
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        t.class_p[c] = 1.0f / BF_CLASS_COUNT;
    struct bf_alert_conf cf;
    bf_alert_confidence(&t, &cf);
    CU_ASSERT_TRUE(cf.confidence < 0.5);
    crossing_step(a, &t, 0);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.suppressed_confidence, 1);
    CU_ASSERT_EQUAL(st.suppressed_test, 1);
    CU_ASSERT_EQUAL(st.suppressed_no_alert, 1);
    CU_ASSERT_EQUAL(st.raised, 0);
    CU_ASSERT_EQUAL(s.n, 0);

    /* the same step for a healthy track does raise (the test is not vacuous) */
    fx_track_init(&t, 65, T0, 3, 0, 3, 0);
    crossing_step(a, &t, 0);
    CU_ASSERT_EQUAL(s.n, 1);
    bf_alerter_destroy(a);
}

/* ---- confidence ------------------------------------------------------------------------------------ */

static void test_confidence(void)
{
    struct bf_track t;
    fx_track_init(&t, 1, T0, 0, 0, 0, 0);   /* 8 hits in 8, person 0.7, one sensor */
    struct bf_alert_conf c1, c2, c3;
    bf_alert_confidence(&t, &c1);
    double q = 1 - exp(-2.0);
    BF_ASSERT_NEAR(c1.quality, q, 1e-12);
    BF_ASSERT_NEAR(c1.support, 0.5, 1e-12);
    BF_ASSERT_NEAR(c1.class_term, 0.7, 1e-6);
    BF_ASSERT_NEAR(c1.confidence, 0.45 * q + 0.35 * 0.5 + 0.2 * 0.7, 1e-6);   /* 0.704099 */
    CU_ASSERT_EQUAL(c1.cls, BF_CLASS_PERSON);
    t.sensors = 0x5;   /* two sensors */
    bf_alert_confidence(&t, &c2);
    BF_ASSERT_NEAR(c2.confidence, 0.45 * q + 0.35 * 0.75 + 0.2 * 0.7, 1e-6);
    CU_ASSERT_TRUE(c2.confidence > c1.confidence + 0.08);
    /* a hole in the hit history lowers it: 6 hits in the last 8 */
    t.hit_bits = 0xdb;
    bf_alert_confidence(&t, &c3);
    BF_ASSERT_NEAR(c3.quality, q * 6.0 / 8.0, 1e-12);
    /* class argmax */
    t.class_p[BF_CLASS_VEHICLE] = 0.9f;
    bf_alert_confidence(&t, &c3);
    CU_ASSERT_EQUAL(c3.cls, BF_CLASS_VEHICLE);
}

/* ---- deletion and tick ---------------------------------------------------------------------------------- */

static void test_deletion_loses(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    fx_track_init(&t, 70, T0, 900, 0, 1, 0);   /* crossed long ago; now in the depot */
    struct bf_geo_step st = fx_step(&t, bit(Z_DEPOT));
    fx_add_crossing(&st, +1, 0.5);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    struct bf_track other;
    fx_track_init(&other, 71, T0, 900, 10, 1, 0);
    st = fx_step(&other, bit(Z_DEPOT));
    bf_alerter_on_track(a, &other, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    t.t_us = T0 + S(2);
    t.status = BF_TRACK_DELETED;
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_DELETED, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    /* key order: border (INCURSION) before depot (ZONE_ENTRY) */
    CU_ASSERT_EQUAL(s.r[3].a.type, fx_border < Z_DEPOT ? BF_ALERT_INCURSION : BF_ALERT_ZONE_ENTRY);
    /* an INCURSION and a restricted ZONE_ENTRY go LOST, they are not resolved */
    CU_ASSERT_EQUAL(s.r[3].a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(s.r[4].a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(s.r[3].a.track_id, 70);
    CU_ASSERT_EQUAL(s.r[4].a.track_id, 70);
    CU_ASSERT_EQUAL(s.r[4].a.last_us, T0 + S(2));
    struct bf_alerter_stats stt;
    bf_alerter_get_stats(a, &stt);
    CU_ASSERT_EQUAL(stt.live, 3);   /* track 71's alert lives on, and the two LOST ones */
    CU_ASSERT_EQUAL(stt.resolved, 0);
    CU_ASSERT_EQUAL(stt.lost, 2);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

static void test_tick_idle(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    raise_incursion(a, 80, T0);
    raise_incursion(a, 81, T0 + S(30));
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(119)), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(120)), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[2].a.track_id, 80);
    /* an idle INCURSION's track went silent without ending: LOST at its last update */
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(s.r[2].a.last_us, T0 + S(120));
    CU_ASSERT_EQUAL(s.r[2].a.lost_us, T0);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(150)), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_EQUAL(s.r[3].a.track_id, 81);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(1000)), 0);   /* LOST is never idle */
    CU_ASSERT_EQUAL(s.n, 4);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.live, 2);
    bf_alerter_destroy(a);
}

/* ---- JSON ------------------------------------------------------------------------------------------------ */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "<missing>";
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void test_json_fields(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    fx_track_init(&t, 42, T0, 12.5, 100, 1.0, -1.3);
    t.n_hits = 14;
    t.hit_bits = 0x3fff;
    t.sensors = 0x3;   /* radar-west, radar-east */
    t.hist_len = 0;
    fx_hist_push(&t, T0 - S(2), -7.5, 102.6);
    struct bf_geo_step st = fx_step(&t, 0);
    fx_add_crossing(&st, +1, 0.7);   /* T0 - 2 s + 0.7 * 2 s = T0 - 0.6 s */
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    const char *json = s.r[0].json;
    cJSON *j = cJSON_Parse(json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    char buf[BF_TIME_ISO_LEN];

    CU_ASSERT_STRING_EQUAL(jstr(j, "id"), "9cf1bec8-9072-51e8-824b-e6e246ec9741");
    BF_ASSERT_NEAR(jnum(j, "seq"), 1, 0);
    CU_ASSERT_STRING_EQUAL(jstr(j, "site"), "demo");
    CU_ASSERT_STRING_EQUAL(jstr(j, "type"), "INCURSION");
    CU_ASSERT_STRING_EQUAL(jstr(j, "state"), "NEW");
    CU_ASSERT_STRING_EQUAL(jstr(j, "severity"), "high");
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(j, "exercise")));
    BF_ASSERT_NEAR(jnum(j, "track_id"), 42, 0);
    const cJSON *z = cJSON_GetObjectItem(j, "zone");
    CU_ASSERT_STRING_EQUAL(jstr(z, "id"), "border");
    CU_ASSERT_STRING_EQUAL(jstr(z, "name"), "State border");
    CU_ASSERT_STRING_EQUAL(jstr(z, "kind"), "border_line");
    CU_ASSERT_STRING_EQUAL(jstr(j, "first_time"), "2026-03-01T01:53:20.000Z");
    CU_ASSERT_STRING_EQUAL(jstr(j, "time"), "2026-03-01T01:53:20.000Z");
    iso(T0 - S(0.6), buf);
    CU_ASSERT_STRING_EQUAL(jstr(j, "crossing_time"), buf);
    CU_ASSERT_STRING_EQUAL(buf, "2026-03-01T01:53:19.400Z");

    double lat, lon, gamma;
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(fx_frame, 12.5, 100, &lat, &lon), 0);
    const cJSON *pos = cJSON_GetObjectItem(j, "position");
    BF_ASSERT_NEAR(jnum(pos, "lat"), lat, 5.1e-8);
    BF_ASSERT_NEAR(jnum(pos, "lon"), lon, 5.1e-8);
    BF_ASSERT_NEAR(lat, 46.80 + 100 / 111180.0, 2e-6);   /* about 100 m north of the origin */
    const char *p = strstr(json, "\"lat\":");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    p = strchr(p, '.');
    CU_ASSERT_EQUAL(strspn(p + 1, "0123456789"), 7);   /* 7 decimals */

    CU_ASSERT_EQUAL(bf_geo_convergence(fx_frame, lat, lon, &gamma), 0);
    const cJSON *v = cJSON_GetObjectItem(j, "velocity");
    double ve = 1.0 * cos(gamma) - (-1.3) * sin(gamma), vn = 1.0 * sin(gamma) + (-1.3) * cos(gamma);
    BF_ASSERT_NEAR(jnum(v, "east_mps"), ve, 0.0051);
    BF_ASSERT_NEAR(jnum(v, "north_mps"), vn, 0.0051);
    BF_ASSERT_NEAR(jnum(v, "speed_mps"), 1.64, 0.0051);
    BF_ASSERT_NEAR(jnum(v, "heading_deg"), 180.0 - atan(1.0 / 1.3) * 180 / M_PI, 0.06);   /* 142.4 */

    CU_ASSERT_STRING_EQUAL(jstr(j, "class"), "person");
    BF_ASSERT_NEAR(jnum(j, "class_p"), 0.7, 0.0005);
    double conf = 0.45 * (1 - exp(-3.5)) + 0.35 * 0.75 + 0.2 * 0.7;   /* 0.8389 */
    BF_ASSERT_NEAR(jnum(j, "confidence"), conf, 0.0005);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "time_to_line_s")));
    BF_ASSERT_NEAR(jnum(j, "distance_to_line_m"), 12.5, 0.05);
    const cJSON *sens = cJSON_GetObjectItem(j, "sensors");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(sens), 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(sens, 0)->valuestring, "radar-west");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(sens, 1)->valuestring, "radar-east");
    BF_ASSERT_NEAR(jnum(j, "hits"), 14, 0);
    CU_ASSERT_STRING_EQUAL(jstr(j, "explanation"),
                           "Confirmed track 42 (person, 70%) crossed State border onto our side at "
                           "01:53:19Z; seen by radar-west, radar-east; confidence 84%.");
    /* no field more, none less: 22 + episode, dwell_s (rules) + operator (lifecycle)
     * + dispatch, camera (dispatch, cueing) */
    CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 27);
    cJSON_Delete(j);

    /* the resolution says so, with nulls where nothing is known */
    struct bf_alert r = s.r[0].a;
    r.state = BF_ALERT_RESOLVED;
    r.last_us = T0 + S(65);
    r.crossing_us = BF_TIME_NONE;
    r.dist_to_line_m = NAN;
    r.lat_deg = NAN;
    r.sensors = UINT64_C(1) << 5;   /* an unnamed sensor */
    r.exercise = true;
    char out[4096];
    int n = bf_alert_to_json(&r, "demo", fx_sensor_ids, 3, out, sizeof out);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_EQUAL((size_t)n, strlen(out));
    j = cJSON_Parse(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(jstr(j, "state"), "RESOLVED");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(j, "exercise")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "crossing_time")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "distance_to_line_m")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "position"), "lat")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sensors"), 0)->valuestring,
                           "sensor-5");
    CU_ASSERT_STRING_EQUAL(jstr(j, "explanation"),
                           "Confirmed track 42 (person, 70%) crossed State border onto our side; "
                           "seen by sensor-5; confidence 84%. Resolved at 01:54:25Z.");
    cJSON_Delete(j);
    /* too small a buffer */
    CU_ASSERT_EQUAL(bf_alert_to_json(&r, "demo", fx_sensor_ids, 3, out, 100), BF_ERANGE);
    /* quotes in names are escaped */
    snprintf(r.zone_name, sizeof r.zone_name, "The \"old\" line");
    n = bf_alert_to_json(&r, "demo", fx_sensor_ids, 3, out, sizeof out);
    j = cJSON_Parse(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(jstr(cJSON_GetObjectItem(j, "zone"), "name"), "The \"old\" line");
    cJSON_Delete(j);
    bf_alerter_destroy(a);
}

/* Heading is from TRUE north: far east of the origin grid north is not true north. */
static void test_heading_true_north(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_track t;
    fx_track_init(&t, 90, T0, 50000, 0, 0, 10);   /* 50 km east, moving grid north */
    t.hist_len = 0;
    fx_hist_push(&t, T0 - S(1), -1, -10);   /* was on their side: late-confirmation INCURSION */
    fx_hist_push(&t, T0, 50000, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    /* independent: the geodetic azimuth of a 1 m grid-north step, from the ellipsoid's radii */
    double lat0, lon0, lat1, lon1;
    bf_geo_to_wgs84(fx_frame, 50000, 0, &lat0, &lon0);
    bf_geo_to_wgs84(fx_frame, 50000, 1, &lat1, &lon1);
    double A = 6378137.0, e2 = 0.00669437999014, phi = lat0 * M_PI / 180;
    double w = sqrt(1 - e2 * sin(phi) * sin(phi));
    double M = A * (1 - e2) / (w * w * w), N = A / w;
    double dn = (lat1 - lat0) * M_PI / 180 * M, de = (lon1 - lon0) * M_PI / 180 * N * cos(phi);
    double az = atan2(de, dn) * 180 / M_PI;
    if (az < 0)
        az += 360;
    CU_ASSERT_TRUE(fabs(az - 360.0) > 0.2 && fabs(az) > 0.2);   /* the correction matters here */
    double h = s.r[0].a.heading_deg;
    double diff = fabs(h - az);
    if (diff > 180)
        diff = 360 - diff;
    CU_ASSERT_TRUE(diff < 0.01);
    BF_ASSERT_NEAR(s.r[0].a.speed_mps, 10, 1e-9);
    bf_alerter_destroy(a);
}

/* ---- journal and sequence ---------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void test_journal_before_sink(void)
{
    const char *path = fx_tmp_path("j_fresh.jsonl");
    unlink(path);
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter_z(&s, path, fx_zones, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    s.journal = path;
    raise_incursion(a, 42, T0);
    bf_alerter_on_track(a, &(struct bf_track){.id = 42, .t_us = T0 + S(1), .status = BF_TRACK_DELETED},
                        BF_CHANGE_DELETED, NULL);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_TRUE(s.r[0].journal_first);
    CU_ASSERT_TRUE(s.r[1].journal_first);
    CU_ASSERT_EQUAL(s.r[0].a.seq, 1);
    CU_ASSERT_EQUAL(s.r[1].a.seq, 2);
    fx_done(&s, a);
    uint64_t seq = 0;
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &seq), 0);
    CU_ASSERT_EQUAL(seq, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_LOST);   /* its track ended: LOST, still open */
    /* and the numbering continues after a restart, which first closes the LOST incursion
     * ("engine restarted", seq 3, journaled at open) */
    a = mk_alerter_z(&s, path, fx_zones, NULL);
    raise_incursion(a, 43, T0 + S(5));
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.seq, 4);
    fx_done(&s, a);
}

static void test_seq_from_existing_journal(void)
{
    const char *path = fx_tmp_path("j_old.jsonl");
    write_file(path, "{\"id\":\"a\",\"seq\":7,\"site\":\"demo\"}\n"
                     "{\"id\":\"b\",\"seq\":41,\"site\":\"demo\"}\n");
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter_z(&s, path, fx_zones, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    raise_incursion(a, 42, T0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.seq, 42);
    fx_done(&s, a);
}

static void test_seq_truncated_journal(void)
{
    const char *path = fx_tmp_path("j_torn.jsonl");
    write_file(path, "{\"id\":\"a\",\"seq\":7,\"site\":\"demo\"}\n"
                     "{\"id\":\"b\",\"seq\":41,\"site\":\"demo\"}\n"
                     "{\"id\":\"c\",\"seq\":99,\"si");   /* a crash mid-write */
    uint64_t seq = 0;
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &seq), 0);
    CU_ASSERT_EQUAL(seq, 41);
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter_z(&s, path, fx_zones, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    s.journal = path;
    raise_incursion(a, 42, T0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.seq, 42);
    CU_ASSERT_TRUE(s.r[0].journal_first);   /* on a line of its own after the torn one */
    fx_done(&s, a);
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &seq), 0);
    CU_ASSERT_EQUAL(seq, 42);
    /* next start: the torn line went aside; alert 42 was left open by the engine that
     * stopped: closed with seq 43 (RESOLVED, "engine restarted"), the next alert is 44 */
    a = mk_alerter_z(&s, path, fx_zones, NULL);
    raise_incursion(a, 43, T0);
    CU_ASSERT_EQUAL(s.r[0].a.seq, 44);
    fx_done(&s, a);
    char *text = bf_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"seq\":43,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"reason\":\"engine restarted\""));
    CU_ASSERT_PTR_NULL(strstr(text, "\"seq\":99"));   /* the torn line is not in it */
    free(text);

    /* only a torn first line: numbering starts at 1 */
    path = fx_tmp_path("j_torn_only.jsonl");
    write_file(path, "{\"id\":\"c\",\"se");
    a = mk_alerter_z(&s, path, fx_zones, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    raise_incursion(a, 44, T0);
    CU_ASSERT_EQUAL(s.r[0].a.seq, 1);
    fx_done(&s, a);
}

static void test_journal_long_tail(void)
{
    /* the last good line is more than the first 64 KiB window back */
    const char *path = fx_tmp_path("j_long.jsonl");
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "{\"id\":\"a\",\"seq\":500}\n");
    for (int i = 0; i < 2000; i++)
        fprintf(f, "{\"torn\":\"%0100d\"\n", i);   /* JSON-ish, no seq */
    fclose(f);
    uint64_t seq = 0;
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &seq), 0);
    CU_ASSERT_EQUAL(seq, 500);
}

static void test_journal_foreign_file(void)
{
    const char *path = fx_tmp_path("j_foreign.txt");
    write_file(path, "hello\nworld\n");
    uint64_t last = 0;
    struct bf_journal *j = (struct bf_journal *)&last;   /* must be reset to NULL */
    CU_ASSERT_EQUAL(bf_journal_open(path, BF_FSYNC_ALWAYS, &last, &j), BF_EPARSE);
    CU_ASSERT_PTR_NULL(j);
    /* an unopenable path fails at start */
    j = (struct bf_journal *)&last;
    CU_ASSERT_EQUAL(bf_journal_open(fx_tmp_path("no-such-dir/j.jsonl"), BF_FSYNC_ALWAYS, &last, &j),
                    BF_EIO);
    CU_ASSERT_PTR_NULL(j);
}

static void test_journal_error_still_publishes(void)
{
    if (access("/dev/full", W_OK) != 0)
        return;   /* no device that fails every write */
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter_z(&s, "/dev/full", fx_zones, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    raise_incursion(a, 42, T0);
    CU_ASSERT_EQUAL(s.n, 1);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(s.journal_errors, 1);   /* delivery's count: the journal failed ... */
    CU_ASSERT_EQUAL(st.raised, 1);           /* ... and the alert went out all the same */
    fx_done(&s, a);
}

static void test_sink_error_counted(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    s.fail_rc = BF_ECONN;
    raise_incursion(a, 42, T0);
    raise_incursion(a, 43, T0);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.publish_errors, 2);
    CU_ASSERT_EQUAL(s.r[1].a.seq, 2);   /* numbers still advance: the journal has them */
    bf_alerter_destroy(a);
}

static void test_bad_arguments(void)
{
    struct bf_alert_params p;
    bf_alert_params_default(&p);
    struct bf_alerter *a = (struct bf_alerter *)&p;
    p.min_confidence = 1.5;
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "demo", fx_zones, fx_frame, fx_sensor_ids, 3, NULL, &a), BF_EINVAL);
    CU_ASSERT_PTR_NULL(a);
    bf_alert_params_default(&p);
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "", fx_zones, fx_frame, fx_sensor_ids, 3, NULL, &a), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "demo", fx_zones, fx_frame, fx_sensor_ids, 3, NULL, &a), 0);
    struct bf_track t;
    fx_track_init(&t, 1, T0, NAN, 0, 0, 0);
    struct bf_geo_step st = fx_step(&t, 0);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), BF_EINVAL);
    fx_track_init(&t, 1, T0, 1, 0, 0, 0);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, NULL), BF_EINVAL);
    /* a crossing naming a zone that is not a border line is ignored, not a crash */
    st = fx_step(&t, 0);
    st.crossings[0] = (struct bf_geo_crossing){.zone = 60, .dir = 1, .frac = 0.5};
    st.n_crossings = 1;
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), 0);
    struct bf_alerter_stats stt;
    bf_alerter_get_stats(a, &stt);
    CU_ASSERT_EQUAL(stt.raised, 0);
    bf_alerter_destroy(a);
    bf_alerter_destroy(NULL);
    CU_ASSERT_STRING_EQUAL(bf_alert_type_name(BF_ALERT_ZONE_ENTRY), "ZONE_ENTRY");
    CU_ASSERT_STRING_EQUAL(bf_alert_state_name(BF_ALERT_RESOLVED), "RESOLVED");
    CU_ASSERT_STRING_EQUAL(bf_severity_name(BF_SEV_CRITICAL), "critical");
}

/* ---- end to end with the real geofence --------------------------------------------------------------------- */

static void test_with_real_geo_step(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_geo_track_state gs;
    memset(&gs, 0, sizeof gs);
    struct bf_track t;
    /* a walker 60.3 m west of the line heading east at 1.5 m/s: crosses at t = 40.2 s,
     * seen on our side at the step of t = 41 s */
    fx_track_init(&t, 100, T0, -60.3, 20, 1.5, 0);
    for (int k = 0; k <= 80; k++) {
        if (k)
            fx_track_move(&t, 1.0);
        struct bf_geo_step st;
        CU_ASSERT_EQUAL_FATAL(bf_geo_track_step(fx_zones, &gs, t.x[0], t.x[1], t.x[2], t.x[3], &st), 0);
        CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), 0);
    }
    CU_ASSERT_TRUE(bf_alerter_check(a));
    CU_ASSERT_EQUAL_FATAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), 1);
    CU_ASSERT_EQUAL_FATAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_ZONE_ENTRY, BF_ALERT_NEW), 0);   /* buffer only */
    for (int i = 0; i < s.n; i++) {
        if (s.r[i].a.type == BF_ALERT_INCURSION && s.r[i].a.state == BF_ALERT_NEW) {
            CU_ASSERT_EQUAL(s.r[i].a.first_us, T0 + S(41));
            BF_ASSERT_NEAR(bf_time_to_s(s.r[i].a.crossing_us - T0), 40.2, 0.01);
            CU_ASSERT_EQUAL(s.r[i + 1].a.type, BF_ALERT_APPROACH);
            CU_ASSERT_EQUAL(s.r[i + 1].a.state, BF_ALERT_RESOLVED);
        }
    }
    /* first APPROACH: T0, 60.3 m, 40.2 s */
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.r[0].a.first_us, T0);
    BF_ASSERT_NEAR(s.r[0].a.dist_to_line_m, 60.3, 0.01);
    BF_ASSERT_NEAR(s.r[0].a.time_to_line_s, 40.2, 0.01);
    bf_alerter_destroy(a);
}

/*
 * A group that reaches the line and wobbles on it (position noise, a pause at
 * the fence) crosses it back and forth a dozen times: one INCURSION, no
 * APPROACH after it; only going back 50 m+ (rearm_distance_m) ends it, and a
 * second, real crossing afterwards is a second incursion.
 */
static void test_wobble_on_line_one_incursion(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s);
    struct bf_geo_track_state gs;
    memset(&gs, 0, sizeof gs);
    struct bf_track t;
    fx_track_init(&t, 7, T0, -10, 20, 1, 0);
    static const double e_at[] = {-5, 2, -3, 4, -1, 3, -4, 1, -2, 5, -6, 2, -3, 8, 12};
    for (size_t k = 0; k < sizeof e_at / sizeof e_at[0]; k++) {
        double prev = t.x[0];
        fx_track_move(&t, 1.0);
        t.x[0] = e_at[k];
        t.x[2] = e_at[k] - prev;
        t.hist[(t.hist_head + t.hist_len - 1) % BF_TRACK_HIST].e_m = t.x[0];
        struct bf_geo_step st;
        CU_ASSERT_EQUAL_FATAL(bf_geo_track_step(fx_zones, &gs, t.x[0], t.x[1], t.x[2], t.x[3], &st), 0);
        CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), 0);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_RESOLVED), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_NEW), 1);   /* before the line */
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), 1);

    /* back to their side, 60 m out: the incursion ends */
    t.x[2] = -20;
    for (int k = 0; k < 4; k++) {
        fx_track_move(&t, 1.0);
        struct bf_geo_step st;
        CU_ASSERT_EQUAL_FATAL(bf_geo_track_step(fx_zones, &gs, t.x[0], t.x[1], t.x[2], t.x[3], &st), 0);
        CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), 0);
    }
    BF_ASSERT_NEAR(t.x[0], -68, 1e-9);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_RESOLVED), 1);
    /* and crosses again: a new incursion with a new id */
    t.x[2] = 20;
    for (int k = 0; k < 5; k++) {
        fx_track_move(&t, 1.0);
        struct bf_geo_step st;
        CU_ASSERT_EQUAL_FATAL(bf_geo_track_step(fx_zones, &gs, t.x[0], t.x[1], t.x[2], t.x[3], &st), 0);
        CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &st), 0);
    }
    CU_ASSERT_EQUAL_FATAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 2);
    const char *ids[2];
    int n = 0;
    for (int i = 0; i < s.n && n < 2; i++)
        if (s.r[i].a.type == BF_ALERT_INCURSION && s.r[i].a.state == BF_ALERT_NEW)
            ids[n++] = s.r[i].a.id;
    CU_ASSERT_STRING_NOT_EQUAL(ids[0], ids[1]);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

static CU_TestInfo tests[] = {
    {"uuid5 known answers", test_uuid5_known_answer},
    {"ids stable and distinct", test_ids_stable},
    {"incursion raised once, then updated", test_incursion_once_then_updates},
    {"wobble on the line is one incursion", test_wobble_on_line_one_incursion},
    {"UPDATED rate limit", test_update_rate_limit},
    {"update interval 0 publishes all", test_update_interval_zero},
    {"incursion critical on a severity 4 line", test_incursion_critical},
    {"late confirmation", test_late_confirmation},
    {"approach by distance and by time", test_approach_by_distance_and_time},
    {"approach resolution", test_approach_resolution},
    {"zone entry for restricted only", test_zone_entry_restricted_only},
    {"suppression and counters", test_suppression},
    {"confidence formula", test_confidence},
    {"deletion makes INCURSION and ZONE_ENTRY LOST", test_deletion_loses},
    {"tick: idle INCURSION LOST, LOST never idle", test_tick_idle},
    {"JSON fields", test_json_fields},
    {"heading from true north", test_heading_true_north},
    {"journal line before the sink", test_journal_before_sink},
    {"seq continues from a journal", test_seq_from_existing_journal},
    {"seq with a truncated journal", test_seq_truncated_journal},
    {"journal read back beyond 64 KiB", test_journal_long_tail},
    {"foreign or unopenable journal", test_journal_foreign_file},
    {"journal error still publishes", test_journal_error_still_publishes},
    {"sink error counted", test_sink_error_counted},
    {"bad arguments", test_bad_arguments},
    {"end to end with bf_geo_track_step", test_with_real_geo_step},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"alerts", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
