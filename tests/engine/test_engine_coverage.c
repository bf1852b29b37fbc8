/*
 * test_engine_coverage.c - the engine's sensor coverage (docs/coverage.md)
 * without a broker: the configuration becomes regions (a radar's sectors
 * and min range, a camera's wedge from its pose), and camera cueing turns
 * the camera's wedge to its target and back home on the release.
 *
 * A radar at the origin feeds a walker 1500 m south-east of a camera that
 * stands 500 m south of the radar looking east (heading 90, 30 degrees).
 * The track confirms, the cuer slews the camera at it: the wedge must now
 * point at the walker (its bearing from the camera, about 135 degrees) and
 * cover it, and no longer cover due east.  When the walker vanishes the
 * track is deleted, the camera released and its wedge back at 90.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/coverage.h"
#include "geo/geo.h"

#define T0 INT64_C(1772330400000000)   /* 2026-03-01T02:00:00Z */

static const char *write_config(bool ptz)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/coverage-engine.json", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    /* the camera 500 m south of the origin (46.8 N): 46.8 - 500 / 111177 */
    fprintf(f,
            "{\"site\": \"cov\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2},\n"
            " \"zones\": \"%s\",\n"
            " \"sensors\": [\n"
            "  {\"id\": \"radar\", \"type\": \"json\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000,\n"
            "   \"coverage\": {\"min_range_m\": 100, \"sectors_deg\": [[90, 270]], \"pd\": 0.8}},\n"
            "  {\"id\": \"cam\", \"type\": \"camera\", \"lat\": 46.795503, \"lon\": 8.2,\n"
            "   \"height_m\": 10, \"range_m\": 3000,\n"
            "   \"options\": {\"pipeline\": \"videotestsrc\", \"heading_deg\": 90, \"hfov_deg\": 30}}],\n"
            " \"tracker\": {\"pd\": 0.85}%s}\n",
            bf_test_src("tests/data/straight/zones.geojson"),
            ptz ? ",\n \"cueing\": {\"cameras\": {\"cam\": {\"pan_min_deg\": -170, "
                  "\"pan_max_deg\": 170}}}" : "");
    fclose(f);
    return path;
}

static void feed_scan(struct bf_engine *e, bf_time_us t, bool walker, double we, double wn,
                      uint32_t *seq)
{
    struct bf_detection d;
    if (walker) {
        memset(&d, 0, sizeof d);
        d.t_us = t;
        d.seq = (*seq)++;
        d.sensor_idx = 0;
        d.kind = BF_MEAS_POSITION;
        d.z[0] = we;
        d.z[1] = wn;
        d.R[0][0] = d.R[1][1] = 25.0;
        for (int k = 0; k < BF_CLASS_COUNT; k++)
            d.class_lik[k] = 1.0f;
        CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
    }
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.seq = (*seq)++;
    d.kind = BF_MEAS_SCAN;
    CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
    bf_engine_step(e, 0, false);
}

static void regions_and_cue(bool ptz)
{
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(write_config(ptz), &cfg, &diag), 0);
    bf_log_set_level(BF_LOG_WARN);
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    const struct bf_coverage *c = bf_engine_coverage(e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(bf_coverage_count(c), 2);

    /* the radar: south half (90 .. 270), 100 .. 5000 m, its own pd 0.8 */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, -1000), 0.8, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, 1000), 0.0, 1e-12);    /* north: no sector */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, -50), 0.0, 1e-12);     /* min range */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, -5100), 0.0, 1e-12);   /* max range */
    /* the camera (at n = -500): its wedge east, the tracker's pd 0.85 */
    BF_ASSERT_NEAR(bf_coverage_heading(c, 1), 90, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1000, -500), 0.85, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1000, -1500), 0.0, 1e-12);   /* south-east */

    /* the walker, 1061 m south-east of the camera, strolling east: the camera is cued */
    uint32_t seq = 0;
    double we = 750, wn = -1250;
    for (int k = 0; k < 20; k++)
        feed_scan(e, T0 + k * BF_US_PER_S, true, we + 1.0 * k, wn, &seq);
    double hd = bf_coverage_heading(c, 1);
    printf("\n    %s camera wedge after the cue: %.2f deg (home 90)\n", ptz ? "pan-tilt" : "fixed",
           hd);
    if (ptz) {
        double want = atan2(we + 19, wn + 500) * 180 / M_PI;   /* bearing from the camera */
        CU_ASSERT_TRUE(fabs(hd - want) < 2.0);
        BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, we + 19, wn), 0.85, 1e-12);
        BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1000, -500), 0.0, 1e-12);   /* east: out of view */
    } else {
        /* not declared in cueing.cameras: it may be fixed, so its view stays its pose's */
        BF_ASSERT_NEAR(hd, 90, 1e-12);
        BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, we + 19, wn), 0.0, 1e-12);
        BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1000, -500), 0.85, 1e-12);
    }

    /* gone: the track is deleted after its misses, the camera released, home again */
    for (int k = 20; k < 60; k++)
        feed_scan(e, T0 + k * BF_US_PER_S, false, 0, 0, &seq);
    bf_engine_step(e, 0, true);
    BF_ASSERT_NEAR(bf_coverage_heading(c, 1), 90, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1000, -500), 0.85, 1e-12);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

static void test_regions_and_cue(void) { regions_and_cue(true); }
static void test_fixed_camera_not_turned(void) { regions_and_cue(false); }

static CU_TestInfo tests[] = {
    {"regions from the configuration; a cue turns a pan-tilt camera's wedge", test_regions_and_cue},
    {"a camera not declared pan-tilt keeps its wedge when cued", test_fixed_camera_not_turned},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/engine coverage", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
