/*
 * test_radar.c - the radar emulation: reproducible bytes, detection
 * probability, merging by resolution, measurement noise, true-north bearings,
 * clutter statistics and the message format.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "sim/sim.h"

static struct bf_sim_radar radar(double pd, double sr, double sb, double clutter, double res)
{
    return (struct bf_sim_radar){
        .id = "r1", .e_m = 0, .n_m = 0, .gamma_rad = 0, .range_m = 5000, .scan_period_s = 1,
        .pd = pd, .sigma_range_m = sr, .sigma_bearing_deg = sb, .clutter_per_scan = clutter,
        .resolution_m = res,
    };
}

static bf_time_us t0(void)
{
    bf_time_us t;
    bf_time_parse_iso("2026-03-01T02:00:00Z", &t);
    return t;
}

/* One scan; returns the number of plots. */
static size_t scan(struct bf_sim_radar_emu *e, const struct bf_sim_target_pos *tp, size_t n,
                   bf_time_us t, char *buf, size_t len)
{
    size_t out;
    CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(e, tp, n, t, false, buf, len, &out), 0);
    size_t np;
    bf_sim_radar_emu_plots(e, &np);
    return np;
}

static void test_identical_bytes(void)
{
    struct bf_sim_radar r = radar(0.9, 10, 0.2, 5, 20);
    struct bf_sim_radar_emu *a, *b, *c;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 77, 1, 3, &a), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 77, 1, 3, &b), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 78, 1, 3, &c), 0);
    size_t cap = bf_sim_radar_emu_msg_max(a);
    char *ma = malloc(cap), *mb = malloc(cap), *mc = malloc(cap);
    int differ = 0, same = 0;
    for (int k = 0; k < 100; k++) {
        struct bf_sim_target_pos tp[3] = {
            {.active = true, .e_m = 100 + k, .n_m = 2000},
            {.active = true, .e_m = -1500, .n_m = -300 + 2 * k},
            {.active = k > 50, .e_m = 3000, .n_m = 10},
        };
        bf_time_us t = t0() + k * BF_US_PER_S;
        size_t la, lb, lc;
        CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(a, tp, 3, t, true, ma, cap, &la), 0);
        CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(b, tp, 3, t, true, mb, cap, &lb), 0);
        CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(c, tp, 3, t, true, mc, cap, &lc), 0);
        CU_ASSERT_EQUAL(la, strlen(ma));
        same += la == lb && memcmp(ma, mb, la) == 0;
        differ += strcmp(ma, mc) != 0;
    }
    CU_ASSERT_EQUAL(same, 100);
    CU_ASSERT_TRUE(differ >= 95);
    free(ma);
    free(mb);
    free(mc);
    bf_sim_radar_emu_destroy(a);
    bf_sim_radar_emu_destroy(b);
    bf_sim_radar_emu_destroy(c);
}

static void test_pd(void)
{
    struct bf_sim_radar r = radar(0.9, 10, 0.2, 0, 20);
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 2026, 1, 1, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *m = malloc(cap);
    struct bf_sim_target_pos tp = {.active = true, .e_m = 1000, .n_m = 1000};
    size_t hits = 0;
    for (int k = 0; k < 1000; k++)
        hits += scan(e, &tp, 1, t0() + k * BF_US_PER_S, m, cap);
    CU_ASSERT_TRUE(hits >= 860 && hits <= 940);
    struct bf_sim_radar_stats st;
    bf_sim_radar_emu_stats(e, &st);
    CU_ASSERT_EQUAL(st.scans, 1000);
    CU_ASSERT_EQUAL(st.looks, 1000);
    CU_ASSERT_EQUAL(st.detected, hits);
    CU_ASSERT_EQUAL(st.clutter, 0);
    free(m);
    bf_sim_radar_emu_destroy(e);
}

static void test_merge(void)
{
    struct bf_sim_radar r = radar(1.0, 0, 0, 0, 20);
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 1, 1, 8, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *m = malloc(cap);
    size_t np;
    const struct bf_sim_plot *p;

    /* a group of three within 5 m: one plot at the centroid (0, 3002) */
    struct bf_sim_target_pos g[3] = {
        {.active = true, .e_m = 0, .n_m = 3000}, {.active = true, .e_m = 3, .n_m = 3003},
        {.active = true, .e_m = -3, .n_m = 3003},
    };
    CU_ASSERT_EQUAL(scan(e, g, 3, t0(), m, cap), 1);
    p = bf_sim_radar_emu_plots(e, &np);
    CU_ASSERT_EQUAL(p[0].merged, 3);
    BF_ASSERT_NEAR(p[0].range_m, 3002.0, 0.05);
    BF_ASSERT_NEAR(p[0].bearing_deg, 0.0, 1e-9);

    /* 100 m apart: two plots, sorted by bearing (east one first: 1.9 deg < 358.1) */
    struct bf_sim_target_pos two[2] = {
        {.active = true, .e_m = -50, .n_m = 1500}, {.active = true, .e_m = 50, .n_m = 1500},
    };
    CU_ASSERT_EQUAL(scan(e, two, 2, t0(), m, cap), 2);
    p = bf_sim_radar_emu_plots(e, &np);
    CU_ASSERT_EQUAL(p[0].merged, 1);
    BF_ASSERT_NEAR(p[0].bearing_deg, atan2(50, 1500) * 180 / M_PI, 1e-6);
    BF_ASSERT_NEAR(p[1].bearing_deg, 360 - atan2(50, 1500) * 180 / M_PI, 1e-6);

    /* a chain 15 m + 15 m (ends 30 m apart) merges by single linkage */
    struct bf_sim_target_pos chain[3] = {
        {.active = true, .e_m = 1000, .n_m = 0}, {.active = true, .e_m = 1015, .n_m = 0},
        {.active = true, .e_m = 1030, .n_m = 0},
    };
    CU_ASSERT_EQUAL(scan(e, chain, 3, t0(), m, cap), 1);
    p = bf_sim_radar_emu_plots(e, &np);
    CU_ASSERT_EQUAL(p[0].merged, 3);
    BF_ASSERT_NEAR(p[0].range_m, 1015, 1e-6);
    BF_ASSERT_NEAR(p[0].bearing_deg, 90, 1e-9);

    /* out of range (5001 m) and inactive targets are not seen */
    struct bf_sim_target_pos none[2] = {
        {.active = true, .e_m = 0, .n_m = -5001}, {.active = false, .e_m = 10, .n_m = 10},
    };
    CU_ASSERT_EQUAL(scan(e, none, 2, t0(), m, cap), 0);
    free(m);
    bf_sim_radar_emu_destroy(e);
}

static void test_noise(void)
{
    struct bf_sim_radar r = radar(1.0, 10, 0.2, 0, 20);
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 99, 1, 1, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *m = malloc(cap);
    const double R = 3000, B = 60;
    struct bf_sim_target_pos tp = {.active = true, .e_m = R * sin(B * M_PI / 180),
                                   .n_m = R * cos(B * M_PI / 180)};
    const int n = 5000;
    double sr = 0, sr2 = 0, sb = 0, sb2 = 0;
    for (int k = 0; k < n; k++) {
        CU_ASSERT_EQUAL(scan(e, &tp, 1, t0(), m, cap), 1);
        size_t np;
        const struct bf_sim_plot *p = bf_sim_radar_emu_plots(e, &np);
        double dr = p[0].range_m - R, db = p[0].bearing_deg - B;
        sr += dr;
        sr2 += dr * dr;
        sb += db;
        sb2 += db * db;
    }
    double mr = sr / n, mb = sb / n;
    double stdr = sqrt(sr2 / n - mr * mr), stdb = sqrt(sb2 / n - mb * mb);
    BF_ASSERT_NEAR(stdr, 10.0, 1.0);
    BF_ASSERT_NEAR(stdb, 0.2, 0.02);
    BF_ASSERT_NEAR(mr, 0.0, 0.5);      /* ~3.5 sigma of the mean */
    BF_ASSERT_NEAR(mb, 0.0, 0.01);
    free(m);
    bf_sim_radar_emu_destroy(e);
}

static void test_true_north(void)
{
    /* A radar 10 km east of the origin, where grid and true north differ by ~0.1 deg;
     * the reported bearing must be the true (geodetic) one. */
    struct bf_geo_frame *f;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(46.8, 8.2, NULL, &f, NULL, 0), 0);
    struct bf_sim_radar r = radar(1.0, 0, 0, 0, 20);
    r.e_m = 10000;
    r.n_m = 2000;
    double rlat, rlon, tlat, tlon;
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, r.e_m, r.n_m, &rlat, &rlon), 0);
    CU_ASSERT_EQUAL(bf_geo_convergence(f, rlat, rlon, &r.gamma_rad), 0);
    struct bf_sim_target_pos tp = {.active = true, .e_m = r.e_m + 1500, .n_m = r.n_m + 1500};
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, tp.e_m, tp.n_m, &tlat, &tlon), 0);

    /* Reference: the ellipsoid's local radii at the mid-latitude give the azimuth at the
     * middle of the line; the radar sees the azimuth at its end, which differs by half the
     * meridians' convergence over the line, dlon * sin(lat) / 2 (~0.007 deg here).  Good to
     * ~1e-4 deg at 2 km. */
    const double a = 6378137.0, fl = 1 / 298.257223563, e2 = fl * (2 - fl);
    double phi = (rlat + tlat) / 2 * M_PI / 180, w = 1 - e2 * sin(phi) * sin(phi);
    double M = a * (1 - e2) / pow(w, 1.5), N = a / sqrt(w);
    double dn = (tlat - rlat) * M_PI / 180 * M, de = (tlon - rlon) * M_PI / 180 * N * cos(phi);
    double want_b = atan2(de, dn) * 180 / M_PI - (tlon - rlon) * sin(phi) / 2;
    double want_r = hypot(de, dn);

    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 5, 1, 1, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *m = malloc(cap);
    CU_ASSERT_EQUAL(scan(e, &tp, 1, t0(), m, cap), 1);
    size_t np;
    const struct bf_sim_plot *p = bf_sim_radar_emu_plots(e, &np);
    BF_ASSERT_NEAR(p[0].bearing_deg, want_b, 0.0005);
    BF_ASSERT_NEAR(p[0].range_m, want_r, 0.5);
    /* and it is not the grid bearing (45 deg): convergence was applied */
    CU_ASSERT_TRUE(fabs(p[0].bearing_deg - 45.0) > 0.05);
    free(m);
    bf_sim_radar_emu_destroy(e);
    bf_geo_frame_destroy(f);
}

static void test_clutter(void)
{
    struct bf_sim_radar r = radar(1.0, 10, 0.2, 8, 20);
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 31, 2, 0, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *m = malloc(cap);
    const int n = 3000;
    size_t total = 0, inner = 0, east = 0;
    bool in_range = true, sorted = true;
    for (int k = 0; k < n; k++) {
        size_t np = scan(e, NULL, 0, t0(), m, cap);
        const struct bf_sim_plot *p = bf_sim_radar_emu_plots(e, &np);
        for (size_t i = 0; i < np; i++) {
            in_range &= p[i].range_m >= 0 && p[i].range_m <= r.range_m && p[i].merged == 0;
            in_range &= p[i].bearing_deg >= 0 && p[i].bearing_deg < 360;
            inner += p[i].range_m < r.range_m / 2;
            east += p[i].bearing_deg < 180;
            if (i > 0)
                sorted &= p[i - 1].bearing_deg <= p[i].bearing_deg;
        }
        total += np;
    }
    CU_ASSERT_TRUE(in_range);
    CU_ASSERT_TRUE(sorted);
    BF_ASSERT_NEAR((double)total / n, 8.0, 0.25);
    /* uniform over the disc: a quarter of the plots within half the range */
    BF_ASSERT_NEAR((double)inner / total, 0.25, 0.02);
    BF_ASSERT_NEAR((double)east / total, 0.5, 0.02);
    struct bf_sim_radar_stats st;
    bf_sim_radar_emu_stats(e, &st);
    CU_ASSERT_EQUAL(st.clutter, total);
    CU_ASSERT_EQUAL(st.clutter_shed, 0);
    free(m);
    bf_sim_radar_emu_destroy(e);
}

static void test_message(void)
{
    struct bf_sim_radar r = radar(1.0, 12.5, 0.25, 3, 20);
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 8, 1, 2, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *m = malloc(cap);
    struct bf_sim_target_pos tp[2] = {
        {.active = true, .e_m = 100, .n_m = 200}, {.active = true, .e_m = -2000, .n_m = 10},
    };
    bf_time_us t = t0() + 1250 * BF_US_PER_MS;
    for (int ex = 0; ex < 2; ex++) {
        size_t len;
        CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(e, tp, 2, t, ex == 1, m, cap, &len), 0);
        cJSON *j = cJSON_Parse(m);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "sensor")->valuestring, "r1");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "t")->valuestring, "2026-03-01T02:00:01.250Z");
        const cJSON *exj = cJSON_GetObjectItem(j, "exercise");
        if (ex) {
            CU_ASSERT_TRUE(cJSON_IsTrue(exj));
        } else {
            CU_ASSERT_PTR_NULL(exj);   /* absent: the default false */
        }
        size_t np;
        const struct bf_sim_plot *p = bf_sim_radar_emu_plots(e, &np);
        const cJSON *dets = cJSON_GetObjectItem(j, "detections");
        CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(dets), (int)np);
        CU_ASSERT_TRUE(np >= 2);
        for (size_t i = 0; i < np; i++) {
            const cJSON *d = cJSON_GetArrayItem(dets, (int)i);
            BF_ASSERT_NEAR(cJSON_GetObjectItem(d, "range_m")->valuedouble, p[i].range_m, 0.051);
            BF_ASSERT_NEAR(cJSON_GetObjectItem(d, "bearing_deg")->valuedouble, p[i].bearing_deg,
                           0.00051);
            BF_ASSERT_NEAR(cJSON_GetObjectItem(d, "sigma_range_m")->valuedouble, 12.5, 0);
            BF_ASSERT_NEAR(cJSON_GetObjectItem(d, "sigma_bearing_deg")->valuedouble, 0.25, 0);
        }
        cJSON_Delete(j);
    }
    /* an empty scan is still a valid batch */
    struct bf_sim_radar quiet = radar(1.0, 10, 0.2, 0, 20);
    struct bf_sim_radar_emu *q;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&quiet, 8, 1, 0, &q), 0);
    size_t len;
    CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(q, NULL, 0, t0(), false, m, cap, &len), 0);
    CU_ASSERT_STRING_EQUAL(m, "{\"sensor\":\"r1\",\"t\":\"2026-03-01T02:00:00.000Z\",\"detections\":[]}");
    /* errors: too small a buffer, more targets than sized for */
    CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(e, tp, 2, t, false, m, 40, &len), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(q, tp, 2, t, false, m, cap, &len), BF_EINVAL);
    bf_sim_radar_emu_destroy(q);
    free(m);
    bf_sim_radar_emu_destroy(e);
}

/*
 * classify_p 0.75: a vehicle's plots name "vehicle" three times in four, the
 * rest person or animal; the message carries the hint; clutter names one of
 * the three; classify_p 0 sends no hint at all.
 */
static void test_class_hints(void)
{
    struct bf_sim_radar r = radar(1.0, 10, 0.2, 0, 20);
    r.classify_p = 0.75;
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&r, 31, 1, 1, &e), 0);
    size_t cap = 1 << 16;   /* more than either emulator below needs */
    CU_ASSERT_TRUE_FATAL(cap >= bf_sim_radar_emu_msg_max(e));
    char *m = malloc(cap);
    struct bf_sim_target_pos tp = {.active = true, .e_m = 800, .n_m = -400, .cls = "vehicle"};
    int named[BF_CLASS_COUNT] = {0};
    for (int k = 0; k < 2000; k++) {
        size_t len;
        CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_scan(e, &tp, 1, t0() + k * BF_US_PER_S, false, m,
                                                    cap, &len), 0);
        size_t np;
        const struct bf_sim_plot *p = bf_sim_radar_emu_plots(e, &np);
        CU_ASSERT_EQUAL_FATAL(np, 1);
        CU_ASSERT_TRUE_FATAL(p[0].cls >= 0 && p[0].cls < BF_CLASS_COUNT);
        named[p[0].cls]++;
        if (k == 0) {
            cJSON *j = cJSON_Parse(m);
            CU_ASSERT_PTR_NOT_NULL_FATAL(j);
            const cJSON *c = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "detections"), 0), "class");
            CU_ASSERT_TRUE_FATAL(cJSON_IsObject(c));
            CU_ASSERT_EQUAL(cJSON_GetArraySize(c), BF_CLASS_COUNT);
            BF_ASSERT_NEAR(cJSON_GetObjectItem(c, bf_class_names[p[0].cls])->valuedouble, 0.6, 0);
            BF_ASSERT_NEAR(cJSON_GetObjectItem(c, "aircraft")->valuedouble, 0.08, 0);
            cJSON_Delete(j);
        }
    }
    CU_ASSERT_TRUE(named[BF_CLASS_VEHICLE] >= 1430 && named[BF_CLASS_VEHICLE] <= 1570);
    CU_ASSERT_TRUE(named[BF_CLASS_PERSON] >= 180 && named[BF_CLASS_PERSON] <= 320);
    CU_ASSERT_TRUE(named[BF_CLASS_ANIMAL] >= 180 && named[BF_CLASS_ANIMAL] <= 320);
    CU_ASSERT_EQUAL(named[BF_CLASS_PERSON] + named[BF_CLASS_ANIMAL] + named[BF_CLASS_VEHICLE], 2000);
    bf_sim_radar_emu_destroy(e);

    /* clutter names one of the three; no classify_p: no hint */
    struct bf_sim_radar rc = radar(1.0, 10, 0.2, 20, 20);
    rc.classify_p = 0.9;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&rc, 5, 1, 0, &e), 0);
    size_t len, np;
    CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(e, NULL, 0, t0(), false, m, cap, &len), 0);
    const struct bf_sim_plot *p = bf_sim_radar_emu_plots(e, &np);
    CU_ASSERT_TRUE(np > 5);
    for (size_t i = 0; i < np; i++)
        CU_ASSERT_TRUE(p[i].cls == BF_CLASS_PERSON || p[i].cls == BF_CLASS_VEHICLE ||
                       p[i].cls == BF_CLASS_ANIMAL);
    bf_sim_radar_emu_destroy(e);
    rc.classify_p = 0;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(&rc, 5, 1, 0, &e), 0);
    CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(e, NULL, 0, t0(), false, m, cap, &len), 0);
    p = bf_sim_radar_emu_plots(e, &np);
    CU_ASSERT_TRUE(np > 5);
    for (size_t i = 0; i < np; i++)
        CU_ASSERT_EQUAL(p[i].cls, -1);
    CU_ASSERT_PTR_NULL(strstr(m, "class"));
    bf_sim_radar_emu_destroy(e);
    free(m);
}

static CU_TestInfo radar_tests[] = {
    {"same seed: byte-identical messages", test_identical_bytes},
    {"pd 0.9 over 1000 looks", test_pd},
    {"targets within resolution merge into one plot", test_merge},
    {"range and bearing noise", test_noise},
    {"bearing from true north", test_true_north},
    {"clutter: Poisson count, uniform over the disc", test_clutter},
    {"batch message format", test_message},
    {"class hints from the radar's classifier", test_class_hints},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim radar", NULL, NULL, NULL, NULL, radar_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
