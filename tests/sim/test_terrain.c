/*
 * test_terrain.c - terrain in the simulator and the engine alike, on the
 * ridge-valley scenario (config/scenarios/ridge-valley.json, its DEM made by
 * scripts/make-dem.py).
 *
 * The DEM, in local metres about the origin: valley floor 500 m (walls
 * rising east and west far from e = 0), plus a spur 60 exp(-((n + 400) /
 * 150)^2) m: crest 560 m at n = -400.  The radar stands at n = +2500, e = 0,
 * 10 m up: eye at 510 m.  On the valley's axis (e = 0):
 *  - n = -700: ground 500 + 60 e^-4 = 501.1, target top 502.6 m.  The sight
 *    line at the crest (2900 m from the radar of 3200) is at 510 - 7.4 *
 *    2900 / 3200 = 503.3 m, under the crest's 560: hidden.  So is n = -1400 (3900 m, within the 4000 m range).
 *  - n = -300, on the spur's north face: ground 500 + 60 e^-0.44 = 538.6,
 *    top 540.1 m; nothing between it and the radar rises above the line
 *    (the valley floor at 500 m, the spur's face below the target): seen.
 *  - n = +1000 on the floor: seen.
 * A camera 5 m up at n = +500 looking south sees n = -200 (ground 510.1 m;
 * the face in front of it lower than the sight line) but not n = -700.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/coverage.h"
#include "sim/sim.h"
#include "sim_fixture.h"

static void test_sim_radar_line_of_sight(void)
{
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    int rc = bf_sim_scenario_load(bf_test_src("config/scenarios/ridge-valley.json"), &s, &d.diag);
    if (rc != 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s->coverage);
    CU_ASSERT_PTR_NOT_NULL(s->dem_path);
    BF_ASSERT_NEAR(s->radars[0].height_m, 10, 1e-12);
    BF_ASSERT_NEAR(s->radars[0].n_m, 2500, 2);
    CU_ASSERT_FALSE(bf_sim_radar_sees(s, 0, 0, -700));
    CU_ASSERT_FALSE(bf_sim_radar_sees(s, 0, 0, -1400));   /* 3900 m: in range */
    CU_ASSERT_TRUE(bf_sim_radar_sees(s, 0, 0, -300));
    CU_ASSERT_TRUE(bf_sim_radar_sees(s, 0, 0, 1000));
    /* the walker's route: hidden until the crest, seen after it */
    int hidden = 0, seen = 0;
    for (double n = -900; n <= 300; n += 10) {
        bool v = bf_sim_radar_sees(s, 0, 0, n);
        if (n < -450)
            hidden += !v;
        if (n > -350)
            seen += v;
    }
    CU_ASSERT_EQUAL(hidden, 45);   /* -900 .. -460 */
    CU_ASSERT_EQUAL(seen, 65);     /* -340 .. 300 */
    bf_sim_scenario_destroy(s);
}

/* The scenario with a camera on a 5 m mast at n = +500, looking south. */
static struct bf_sim_scenario *with_camera(void)
{
    char *text = bf_test_read_file(bf_test_src("config/scenarios/ridge-valley.json"), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    cJSON *cams = cJSON_AddArrayToObject(j, "cameras");
    cJSON *c = cJSON_Parse("{\"id\": \"cam-valley\", \"lat\": 46.804497, \"lon\": 8.2, "
                           "\"height_m\": 5, \"heading_deg\": 180, \"tilt_deg\": -2, "
                           "\"hfov_deg\": 40, \"width\": 1280, \"height\": 720, \"fps\": 5, "
                           "\"port\": 30999}");
    cJSON_AddItemToArray(cams, c);
    char *t2 = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    int rc = bf_sim_scenario_parse(t2, strlen(t2), "ridge-valley+camera",
                                   bf_test_src("config/scenarios"), &s, &d.diag);
    free(t2);
    if (rc != 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return s;
}

static void test_sim_camera_line_of_sight(void)
{
    struct bf_sim_scenario *s = with_camera();
    CU_ASSERT_EQUAL_FATAL(s->n_cameras, 1);
    CU_ASSERT_TRUE(bf_sim_camera_sees(s, 0, 0, -200));
    CU_ASSERT_FALSE(bf_sim_camera_sees(s, 0, 0, -700));
    /* the rendered frame: the walker at n = -200 is drawn, at n = -700 not */
    struct bf_sim_camera_emu *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(s, 0, 7, &e), 0);
    struct bf_sim_target_pos tp[2] = {
        {.active = true, .e_m = 0, .n_m = -200, .cls = "person"},
        {.active = false, .cls = "person"},
    };
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 2, 1.0), 1);
    tp[0].n_m = -700;
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 2, 1.2), 0);
    bf_sim_camera_emu_destroy(e);
    bf_sim_scenario_destroy(s);
}

/*
 * The engine on the scenario's engine configuration: its coverage masks the
 * same terrain (Pd 0 where the radar cannot see: no misses there), and
 * applies the radar's sectors (100 .. 260 degrees) and min range (50 m).
 */
static void test_engine_coverage(void)
{
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_config *cfg = NULL;
    int rc = bf_config_load(bf_test_src("config/scenarios/ridge-valley.engine.json"), &cfg, &d.diag);
    if (rc != 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(cfg->terrain.dem_path);
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    const struct bf_coverage *c = bf_engine_coverage(e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(bf_coverage_count(c), 1);
    double q = 230.0 / 255;   /* Pd 0.9 in the raster */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, -700), 0.0, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, -1400), 0.0, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, -300), q, 1e-9);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, 1000), q, 1e-9);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, 3500), 0.0, 1e-12);   /* north: not a sector */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, 2480), 0.0, 1e-12);   /* within min range */
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

static CU_TestInfo terrain_tests[] = {
    {"the emulated radar does not see past the spur", test_sim_radar_line_of_sight},
    {"the emulated camera does not draw what the spur hides", test_sim_camera_line_of_sight},
    {"the engine's coverage masks the same terrain", test_engine_coverage},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim/terrain", NULL, NULL, NULL, NULL, terrain_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
