/*
 * test_dispatch.c - response units: interception times worked by hand
 * (head-on, crossing, a target faster than the unit, as fast), the ranking by
 * ETA, the filling of an alert (stale and assigned units left out, at most
 * three, the interception point), and the units message parser on good and
 * bad input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/dispatch.h"
#include "alerts/enrich.h"
#include "bf_test.h"
#include "core/bf_error.h"

static void test_intercept(void)
{
    double t = -1;
    /* head-on: target 1000 m east coming west at 2 m/s, unit at 12 m/s: 1000 / 14 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 0, -2, 0, 0, 0, 12, &t), 0);
    BF_ASSERT_NEAR(t, 1000.0 / 14.0, 1e-9);
    /* crossing: 1000 m north going east at 5, unit at 13: 25 t^2 + 1e6 = 169 t^2, t = 1000/12 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(0, 1000, 5, 0, 0, 0, 13, &t), 0);
    BF_ASSERT_NEAR(t, 1000.0 / 12.0, 1e-9);
    BF_ASSERT_NEAR(5 * t, 416.6667, 1e-3);   /* meets it 416.7 m east of where it is */
    /* moving away faster than the unit: never */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 0, 20, 0, 0, 0, 12, &t), BF_ENOTFOUND);
    /* faster but coming: the first meeting, 1000 / (20 + 12), not the second 1000 / 8 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 0, -20, 0, 0, 0, 12, &t), 0);
    BF_ASSERT_NEAR(t, 31.25, 1e-9);
    /* faster, passing at 300 m abeam: |(-20 t + 1000, 300)| = 12 t has no root when 20 > 12 by
     * enough: disc = b^2 - 4ac with a = 256, b = -40000, c = 1090000: 1.6e9 - 1.116e9 > 0 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 300, -20, 0, 0, 0, 12, &t), 0);
    BF_ASSERT_NEAR(t, (40000 - sqrt(1.6e9 - 4.0 * 256 * 1090000)) / 512, 1e-9);
    /* ... and at 800 m abeam it passes out of reach: 1.6e9 < 4 * 256 * 1.64e6 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 800, -20, 0, 0, 0, 12, &t), BF_ENOTFOUND);
    /* as fast as the unit, coming: linear, 1000 / 24 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 0, -12, 0, 0, 0, 12, &t), 0);
    BF_ASSERT_NEAR(t, 1000.0 / 24.0, 1e-9);
    /* as fast, going away: never */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(1000, 0, 12, 0, 0, 0, 12, &t), BF_ENOTFOUND);
    /* standing: distance / speed; on the spot: 0 */
    CU_ASSERT_EQUAL(bf_dispatch_intercept(300, 400, 0, 0, 0, 0, 10, &t), 0);
    BF_ASSERT_NEAR(t, 50.0, 1e-9);
    CU_ASSERT_EQUAL(bf_dispatch_intercept(7, 7, 3, 1, 7, 7, 10, &t), 0);
    BF_ASSERT_NEAR(t, 0.0, 1e-12);
    CU_ASSERT_EQUAL(bf_dispatch_intercept(7, 7, 3, 1, 0, 0, 0, &t), BF_ENOTFOUND);
    /* every solution satisfies the equation */
    const double cases[][7] = {
        {500, -200, 1.5, 0.7, -300, 100, 8}, {-2000, 50, 9, -1, 100, 100, 12},
        {0, 3000, 0, -15, 0, 0, 11}, {120, 80, -3, 4, 1000, -900, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double *k = cases[i];
        CU_ASSERT_EQUAL_FATAL(bf_dispatch_intercept(k[0], k[1], k[2], k[3], k[4], k[5], k[6], &t), 0);
        double lhs = hypot(k[0] + k[2] * t - k[4], k[1] + k[3] * t - k[5]);
        BF_ASSERT_NEAR(lhs, k[6] * t, 1e-6 * (1 + lhs));
        CU_ASSERT_TRUE(t >= 0);
    }
}

static void test_rank(void)
{
    /* target at the origin going east at 10 m/s: a unit 600 m ahead beats one 500 m behind
     * (ETA 2400 / 88 = 27.27 s against 22000 / 88 = 250 s) */
    const struct bf_dispatch_cand c[] = {
        {.id = "behind", .e_m = -500, .n_m = 0, .speed_mps = 12},
        {.id = "ahead", .e_m = 600, .n_m = 0, .speed_mps = 12},
        {.id = "far", .e_m = 0, .n_m = 5000, .speed_mps = 12},
        {.id = "slow", .e_m = 300, .n_m = 300, .speed_mps = 2},   /* 424 m, cannot catch 10 m/s */
        {.id = "north", .e_m = 0, .n_m = 700, .speed_mps = 25},
    };
    struct bf_alert_unit out[BF_ALERT_UNITS];
    struct bf_dispatch_best best;
    size_t n = bf_dispatch_rank(c, 5, 0, 0, 10, 0, out, BF_ALERT_UNITS, &best);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(out[0].id, "ahead");
    BF_ASSERT_NEAR(out[0].eta_s, 2400.0 / 88.0, 1e-9);
    BF_ASSERT_NEAR(out[0].distance_m, 600, 1e-9);
    /* north at 25: 100 t^2 + 490000 = 625 t^2 -> t = 700 / sqrt(525) = 30.55 */
    CU_ASSERT_STRING_EQUAL(out[1].id, "north");
    BF_ASSERT_NEAR(out[1].eta_s, 700 / sqrt(525.0), 1e-9);
    /* slow: no interception, ETA to the target now: 424.26 / 2 = 212.1 s < behind's 250 */
    CU_ASSERT_STRING_EQUAL(out[2].id, "slow");
    BF_ASSERT_NEAR(out[2].eta_s, sqrt(180000.0) / 2, 1e-9);
    CU_ASSERT_TRUE(best.intercept);
    BF_ASSERT_NEAR(best.ie_m, 10 * 2400.0 / 88.0, 1e-6);
    BF_ASSERT_NEAR(best.in_m, 0, 1e-9);
    /* only one wanted; none at all */
    CU_ASSERT_EQUAL(bf_dispatch_rank(c, 5, 0, 0, 10, 0, out, 1, &best), 1);
    CU_ASSERT_STRING_EQUAL(out[0].id, "ahead");
    CU_ASSERT_EQUAL(bf_dispatch_rank(c, 0, 0, 0, 10, 0, out, 3, &best), 0);
    CU_ASSERT_FALSE(best.intercept);
    /* a standing target: ETA order is distance order; ties by id */
    const struct bf_dispatch_cand s[] = {
        {.id = "b", .e_m = 0, .n_m = 100, .speed_mps = 10}, {.id = "a", .e_m = 100, .n_m = 0, .speed_mps = 10},
        {.id = "c", .e_m = 50, .n_m = 0, .speed_mps = 10}, {.id = "d", .e_m = 400, .n_m = 0, .speed_mps = 10},
    };
    n = bf_dispatch_rank(s, 4, 0, 0, NAN, NAN, out, 3, &best);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(out[0].id, "c");
    CU_ASSERT_STRING_EQUAL(out[1].id, "a");
    CU_ASSERT_STRING_EQUAL(out[2].id, "b");
    BF_ASSERT_NEAR(out[1].eta_s, 10.0, 1e-9);
}

static bool busy_patrol2(void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, "patrol-2") == 0;
}

static void test_fill(void)
{
    struct bf_geo_frame *f = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(46.80, 8.20, NULL, &f, NULL, 0), 0);
    struct bf_dispatch_params p;
    bf_dispatch_params_default(&p);
    const struct bf_dispatch_speed sp[] = {{.id = "quad-1", .speed_mps = 6.1}};
    p.speeds = sp;
    p.n_speeds = 1;
    CU_ASSERT_EQUAL(bf_dispatch_speed_of(&p, "quad-1"), 6.1);
    CU_ASSERT_EQUAL(bf_dispatch_speed_of(&p, "patrol-1"), 12);
    const bf_time_us t0 = 1772330400000000;
    /* the target stands at local (0, 1000); units placed around it */
    struct { const char *id; double e, n; double age_s; } at[] = {
        {"patrol-1", 0, 0, 5},          /* 1000 m, 83.3 s */
        {"patrol-2", 0, 900, 1},        /* nearest, but assigned elsewhere */
        {"patrol-3", 600, 1800, -20},   /* 1000 m, fix 20 s after the alert: fine */
        {"patrol-4", 0, 1100, 61},      /* stale */
        {"patrol-5", 0, -1000, 0},      /* 2000 m */
        {"quad-1", 300, 1400, 0},       /* 500 m at 6.1 m/s: 82.0 s, before patrol-1 */
        {"patrol-6", 0, 3000, -61},     /* stale the other way */
    };
    struct bf_dispatch_unit units[7];
    for (int i = 0; i < 7; i++) {
        snprintf(units[i].id, sizeof units[i].id, "%s", at[i].id);
        CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, at[i].e, at[i].n, &units[i].lat_deg, &units[i].lon_deg), 0);
        units[i].t_us = t0 - (bf_time_us)(at[i].age_s * 1e6);
    }
    struct bf_alert a;
    memset(&a, 0, sizeof a);
    a.type = BF_ALERT_INCURSION;
    a.state = BF_ALERT_NEW;
    a.last_us = t0;
    a.ve_mps = a.vn_mps = 0;
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, 0, 1000, &a.lat_deg, &a.lon_deg), 0);
    struct bf_dispatch_cand scratch[7];
    unsigned n = bf_dispatch_fill(&p, f, units, 7, scratch, busy_patrol2, NULL, &a);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_EQUAL(a.n_units, 3);
    /* quad-1 500 m / 6.1 = 81.97 s; then patrol-1 and patrol-3, 1000 m / 12 = 83.33 s each */
    CU_ASSERT_STRING_EQUAL(a.units[0].id, "quad-1");
    BF_ASSERT_NEAR(a.units[0].distance_m, 500, 0.05);
    BF_ASSERT_NEAR(a.units[0].eta_s, 500.0 / 6.1, 0.01);
    CU_ASSERT_TRUE(strcmp(a.units[1].id, "patrol-1") == 0 || strcmp(a.units[1].id, "patrol-3") == 0);
    CU_ASSERT_TRUE(strcmp(a.units[2].id, "patrol-1") == 0 || strcmp(a.units[2].id, "patrol-3") == 0);
    CU_ASSERT_STRING_NOT_EQUAL(a.units[1].id, a.units[2].id);
    BF_ASSERT_NEAR(a.units[1].eta_s, 1000.0 / 12, 0.01);
    /* standing target: it is met where it stands */
    BF_ASSERT_NEAR(a.intercept_lat, a.lat_deg, 1e-9);
    BF_ASSERT_NEAR(a.intercept_lon, a.lon_deg, 1e-9);
    /* without the busy check patrol-2 (100 m) comes first */
    n = bf_dispatch_fill(&p, f, units, 7, scratch, NULL, NULL, &a);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_STRING_EQUAL(a.units[0].id, "patrol-2");
    BF_ASSERT_NEAR(a.units[0].distance_m, 100, 0.05);
    /* moving north at 4 m/s: patrol-1 (behind, 1000 m) meets it at 1000 / 8 = 125 s, 500 m on */
    a.vn_mps = 4;
    const struct bf_dispatch_unit only = units[0];
    n = bf_dispatch_fill(&p, f, &only, 1, scratch, NULL, NULL, &a);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    BF_ASSERT_NEAR(a.units[0].eta_s, 125.0, 0.05);
    double ie, in;
    bf_geo_to_local(f, a.intercept_lat, a.intercept_lon, &ie, &in);
    BF_ASSERT_NEAR(ie, 0, 0.5);
    BF_ASSERT_NEAR(in, 1500, 0.5);
    /* closed alerts and SENSOR_FAULT get nothing */
    a.state = BF_ALERT_RESOLVED;
    CU_ASSERT_EQUAL(bf_dispatch_fill(&p, f, units, 7, scratch, NULL, NULL, &a), 0);
    CU_ASSERT_EQUAL(a.n_units, 0);
    CU_ASSERT_TRUE(isnan(a.intercept_lat));
    a.state = BF_ALERT_NEW;
    a.type = BF_ALERT_SENSOR_FAULT;
    CU_ASSERT_EQUAL(bf_dispatch_fill(&p, f, units, 7, scratch, NULL, NULL, &a), 0);
    /* a UGS_TRIGGER has no velocity: a standing target */
    a.type = BF_ALERT_UGS_TRIGGER;
    a.ve_mps = a.vn_mps = NAN;
    CU_ASSERT_EQUAL(bf_dispatch_fill(&p, f, &only, 1, scratch, NULL, NULL, &a), 1);
    BF_ASSERT_NEAR(a.units[0].eta_s, 1000.0 / 12, 0.01);
    bf_geo_frame_destroy(f);
}

static void test_parse(void)
{
    struct bf_dispatch_unit u;
    char err[160];
    const char *good = "{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12.000Z\",\"lat\":47.10053960,"
                       "\"lon\":8.50137297,\"alt_m\":null,\"speed_mps\":10.0,\"track_deg\":60.0,\"mode\":3}";
    CU_ASSERT_EQUAL_FATAL(bf_dispatch_unit_parse("truck-1", good, strlen(good), &u, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(u.id, "truck-1");
    BF_ASSERT_NEAR(u.lat_deg, 47.1005396, 1e-9);
    BF_ASSERT_NEAR(u.lon_deg, 8.50137297, 1e-9);
    bf_time_us t;
    bf_time_parse_iso("2026-03-15T10:00:12Z", &t);
    CU_ASSERT_EQUAL(u.t_us, t);
    /* a cleared retained message: the unit is gone */
    CU_ASSERT_EQUAL(bf_dispatch_unit_parse("truck-1", "", 0, &u, err, sizeof err), BF_ENOTFOUND);
    /* not NUL-terminated: only len bytes are read */
    char buf[256];
    memcpy(buf, good, strlen(good));
    memset(buf + strlen(good), 'x', 10);
    CU_ASSERT_EQUAL(bf_dispatch_unit_parse("truck-1", buf, strlen(good), &u, err, sizeof err), 0);
    static const struct { const char *topic_id, *payload; } bad[] = {
        {"truck-1", "{\"id\":\"truck-2\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\":2}"},
        {"truck-1", "{\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\":2}"},
        {"truck-1", "{\"id\":\"truck-1\",\"time\":\"yesterday\",\"lat\":1,\"lon\":2}"},
        {"truck-1", "{\"id\":\"truck-1\",\"lat\":1,\"lon\":2}"},
        {"truck-1", "{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":91,\"lon\":2}"},
        {"truck-1", "{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":\"1\",\"lon\":2}"},
        {"truck-1", "{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\":-180.5}"},
        {"truck-1", "{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1}"},
        {"truck-1", "{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\""},   /* truncated */
        {"truck-1", "xx{\"id\":\"truck-1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\":2}"},
        {"truck-1", "[1,2,3]"},
        {"truck-1", "null"},
        {"truck 1", "{\"id\":\"truck 1\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\":2}"},
        {"", "{\"id\":\"\",\"time\":\"2026-03-15T10:00:12Z\",\"lat\":1,\"lon\":2}"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = bf_dispatch_unit_parse(bad[i].topic_id, bad[i].payload, strlen(bad[i].payload), &u,
                                        err, sizeof err);
        CU_ASSERT_EQUAL(rc, BF_EPARSE);
        CU_ASSERT_NOT_EQUAL(err[0], '\0');
        if (rc != BF_EPARSE)
            fprintf(stderr, "\n  accepted bad case %zu: %s\n", i, bad[i].payload);
    }
}


/* The enrichment step reads a snapshot: a unit assigned to another live alert is busy, one the
 * alert holds itself (its current fields, not its stale entry) is busy for it only. */
static void test_enrich_view(void)
{
    struct bf_geo_frame *f = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(46.80, 8.20, NULL, &f, NULL, 0), 0);
    struct bf_dispatch_params p;
    bf_dispatch_params_default(&p);
    const bf_time_us t0 = 1772330400000000;
    struct bf_dispatch_unit units[3] = {{.id = "u1"}, {.id = "u2"}, {.id = "u3"}};
    for (int i = 0; i < 3; i++) {   /* 100, 200, 300 m south of the target */
        CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, 0, 900 - 100 * i, &units[i].lat_deg, &units[i].lon_deg), 0);
        units[i].t_us = t0;
    }
    struct bf_enrich_assignment *asg = NULL;
    size_t n_asg = 0, cap = 0;
    struct bf_alert b = {.id = "b", .type = BF_ALERT_INCURSION, .state = BF_ALERT_ACKNOWLEDGED,
                         .last_us = t0};
    snprintf(b.assigned_unit, sizeof b.assigned_unit, "u1");
    CU_ASSERT_EQUAL(bf_enrich_follow(&asg, &n_asg, &cap, &b), 0);   /* b holds u1 */
    CU_ASSERT_EQUAL_FATAL(n_asg, 1);
    struct bf_alert a = {.id = "a", .type = BF_ALERT_INCURSION, .state = BF_ALERT_ACKNOWLEDGED,
                         .last_us = t0, .camera_idx = 7};
    snprintf(a.assigned_unit, sizeof a.assigned_unit, "u2");
    CU_ASSERT_EQUAL(bf_enrich_follow(&asg, &n_asg, &cap, &a), 0);   /* a held u2 ... */
    CU_ASSERT_EQUAL_FATAL(n_asg, 2);
    snprintf(a.assigned_unit, sizeof a.assigned_unit, "u3");          /* ... and now takes u3 */
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, 0, 1000, &a.lat_deg, &a.lon_deg), 0);
    struct bf_dispatch_cand scratch[3];
    struct bf_enrich_view v = {.params = &p, .frame = f, .units = units, .n_units = 3,
                               .assigned = asg, .n_assigned = n_asg, .cands = scratch};
    bf_enrich_alert(&v, &a);
    CU_ASSERT_EQUAL_FATAL(a.n_units, 1);   /* u1 is b's, u3 its own: u2, freed by a, remains */
    CU_ASSERT_STRING_EQUAL(a.units[0].id, "u2");
    CU_ASSERT_EQUAL(a.camera_idx, 7);      /* no cuer in the view: the camera is left alone */
    /* b resolved: delivered, it leaves the table and u1 is free again */
    b.state = BF_ALERT_RESOLVED;
    CU_ASSERT_EQUAL(bf_enrich_follow(&asg, &n_asg, &cap, &b), 0);
    CU_ASSERT_EQUAL_FATAL(n_asg, 1);
    CU_ASSERT_STRING_EQUAL(asg[0].alert_id, "a");
    v.assigned = asg;
    v.n_assigned = n_asg;
    bf_enrich_alert(&v, &a);
    CU_ASSERT_EQUAL_FATAL(a.n_units, 2);
    CU_ASSERT_STRING_EQUAL(a.units[0].id, "u1");
    CU_ASSERT_STRING_EQUAL(a.units[1].id, "u2");
    free(asg);
    bf_geo_frame_destroy(f);
}

static CU_TestInfo dispatch_tests[] = {
    {"interception: head-on, crossing, faster, as fast", test_intercept},
    {"ranking by ETA", test_rank},
    {"an alert's units: stale and assigned left out", test_fill},
    {"units message parser", test_parse},
    {"enrichment: the snapshot's assignments and the alert's own", test_enrich_view},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"dispatch", NULL, NULL, NULL, NULL, dispatch_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
