/*
 * test_check.c - scenario positions in metres from the origin, the one rule
 * for [lat, lon] arrays (and the refusal of one that reads as [lon, lat]),
 * and the warnings of `borderfuse-sim --check`.
 *
 * On the straight test border (sim_fixture.h: the line n = 0 from e = -5 km
 * to +5 km, our side north), every position form is given for the same
 * places and must land on the same local metres; swapped arrays are refused
 * with their line and column; and one scenario is built to draw each warning
 * exactly once: a walker nobody covers, a crossing where nothing looks, an
 * expected alert for a target that never crosses, a random walk whose disc
 * reaches over the line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "sim/sim.h"
#include "sim_fixture.h"

static bool has(const struct fx_diags *d, const char *needle, int *line)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->e[i].msg, needle) && d->e[i].line > 0) {
            if (line)
                *line = d->e[i].line;
            return true;
        }
    return false;
}

/* Every position form for the same places lands on the same metres. */
static void test_positions_in_metres(void)
{
    char targets[2048];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"a\", \"class\": \"person\", \"speed_mps\": 1.5,\n"
             "  \"waypoints\": [%s, {\"e_m\": 120, \"n_m\": -300}, {\"lat\": %s}, [46.79, 8.21]]},\n"
             " {\"id\": \"w\", \"class\": \"animal\", \"motion\": \"random_walk\",\n"
             "  \"home\": {\"e_m\": -1500, \"n_m\": -800}, \"radius_m\": 100, \"speed_mps\": 0.5}]",
             fx_pt(-400, -900), "46.79, \"lon\": 8.21");
    const char *radars =
        "[{\"id\": \"r1\", \"e_m\": 2500, \"n_m\": 1500, \"range_m\": 9000, \"scan_period_s\": 1}]";
    char *text = fx_scenario_text(radars, targets, 600);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    int rc = fx_parse(text, &s, &d);
    if (rc != 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const struct bf_sim_target *t = &s->targets[0];
    CU_ASSERT_EQUAL_FATAL(t->n_wp, 4);
    BF_ASSERT_NEAR(t->wp[0].e_m, -400.0, 0.01);   /* fx_pt prints 7 decimals of a degree */
    BF_ASSERT_NEAR(t->wp[0].n_m, -900.0, 0.01);
    BF_ASSERT_NEAR(t->wp[1].e_m, 120.0, 1e-6);     /* metres in, metres out */
    BF_ASSERT_NEAR(t->wp[1].n_m, -300.0, 1e-6);
    BF_ASSERT_NEAR(t->wp[2].e_m, t->wp[3].e_m, 1e-9);   /* {"lat","lon"} = [lat, lon] */
    BF_ASSERT_NEAR(t->wp[2].n_m, t->wp[3].n_m, 1e-9);
    BF_ASSERT_NEAR(t->wp[2].lat_deg, 46.79, 1e-12);
    BF_ASSERT_NEAR(s->targets[1].home_e_m, -1500.0, 1e-6);
    BF_ASSERT_NEAR(s->targets[1].home_n_m, -800.0, 1e-6);
    BF_ASSERT_NEAR(s->radars[0].e_m, 2500.0, 1e-6);
    BF_ASSERT_NEAR(s->radars[0].n_m, 1500.0, 1e-6);
    double lat, lon;
    fx_ll(2500, 1500, &lat, &lon);
    BF_ASSERT_NEAR(s->radars[0].lat_deg, lat, 1e-7);
    BF_ASSERT_NEAR(s->radars[0].lon_deg, lon, 1e-7);
    printf("\n    {\"e_m\": 120, \"n_m\": -300} -> %.7f %.7f -> e %.6f n %.6f\n",
           t->wp[1].lat_deg, t->wp[1].lon_deg, t->wp[1].e_m, t->wp[1].n_m);
    bf_sim_scenario_destroy(s);
    free(text);
}

/* Arrays are [lat, lon]; one that reads as [lon, lat] is refused, with where and why. */
static void test_swapped_refused(void)
{
    const char *targets =
        "[{\"id\": \"a\", \"class\": \"person\", \"speed_mps\": 1.5,\n"
        "  \"waypoints\": [[46.79, 8.19],\n"
        "                [8.21, 46.79]]},\n"                        /* line 10: [lon, lat] */
        " {\"id\": \"b\", \"class\": \"person\", \"speed_mps\": 1.5,\n"
        "  \"waypoints\": [[46.79, 8.19], [120.5, 46.8]]},\n"       /* line 12: lat > 90 */
        " {\"id\": \"c\", \"class\": \"animal\", \"motion\": \"random_walk\", \"radius_m\": 50,\n"
        "  \"speed_mps\": 1, \"home\": {\"lat\": 46.79, \"lon\": 8.2, \"e_m\": 3, \"n_m\": 4}}]";
    const char *radars =
        "[{\"id\": \"r1\", \"lat\": 8.2, \"lon\": 46.8, \"range_m\": 9000, \"scan_period_s\": 1}]";
    char *text = fx_scenario_text(radars, targets, 600);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL(fx_parse(text, &s, &d), BF_EPARSE);
    CU_ASSERT_PTR_NULL(s);
    int line = 0;
    CU_ASSERT_TRUE(has(&d, "ambiguous position: read as [lat, lon] (latitude 8.21, longitude "
                           "46.79)", &line));
    CU_ASSERT_EQUAL(line, 10);
    /* far from the origin either way: simply not a latitude */
    CU_ASSERT_TRUE(has(&d, "expected a latitude in [-90, 90] degrees, got 120.5", &line));
    CU_ASSERT_EQUAL(line, 12);
    CU_ASSERT_TRUE(has(&d, "give the position once", &line));
    CU_ASSERT_EQUAL(line, 14);
    CU_ASSERT_TRUE(has(&d, "ambiguous position: read as \"lat\"/\"lon\"", &line));   /* the radar */
    CU_ASSERT_EQUAL(line, 7);
    CU_ASSERT_EQUAL(d.n, 4);
    if (d.n != 4)
        fx_diags_dump(&d);
    free(text);

    /* a site at 120 E: [120.5, 46.8] is GeoJSON's order for a point near the origin */
    const char *east =
        "{\"site\": \"east\", \"origin\": {\"lat\": 46.8, \"lon\": 120.4},\n"
        " \"zones\": \"zones_straight.geojson\", \"duration_s\": 60,\n"
        " \"radars\": [{\"id\": \"r\", \"lat\": 46.8, \"lon\": 120.4, \"range_m\": 5000, "
        "\"scan_period_s\": 1}],\n"
        " \"targets\": [{\"id\": \"a\", \"class\": \"person\", \"speed_mps\": 1,\n"
        "   \"waypoints\": [[46.79, 120.41], [120.5, 46.8]]}]}\n";
    fx_diags_init(&d);
    CU_ASSERT_EQUAL(fx_parse(east, &s, &d), BF_EPARSE);
    CU_ASSERT_TRUE(has(&d, "[120.5, 46.8] reads as [lon, lat] (GeoJSON's order): scenario "
                           "positions are [lat, lon]", &line));
    CU_ASSERT_EQUAL(line, 5);
    CU_ASSERT_EQUAL(d.n, 1);
    if (d.n != 1)
        fx_diags_dump(&d);
}

/* A scenario drawing each warning of --check once. */
static void test_check_warnings(void)
{
    char text[4096];
    char p[8][40];
    const double pts[8][2] = {
        {-3000, -600}, {-3000, 600},   /* crosser: crosses at e -3 km, inside the radar disc */
        {4500, -600},  {4500, 600},    /* blind: crosses at e +4.5 km, outside the disc */
        {1000, -900},  {1000, -300},   /* shy: walks towards the line, never crosses */
        {2000, -150},  {0, 0},         /* walker's home 150 m south of the line (disc 400 m) */
    };
    for (int i = 0; i < 8; i++)
        snprintf(p[i], sizeof p[i], "%s", fx_pt(pts[i][0], pts[i][1]));
    snprintf(text, sizeof text,
             "{\"site\": \"test\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"zones_straight.geojson\", \"duration_s\": 1200, \"seed\": 1,\n"
             " \"radars\": [{\"id\": \"r1\", \"e_m\": -2500, \"n_m\": 0, \"range_m\": 2000,\n"
             "               \"scan_period_s\": 1}],\n"
             " \"targets\": [\n"
             "  {\"id\": \"crosser\", \"class\": \"person\", \"speed_mps\": 2, \"waypoints\": [%s, %s]},\n"
             "  {\"id\": \"blind\", \"class\": \"person\", \"speed_mps\": 2, \"waypoints\": [%s, %s]},\n"
             "  {\"id\": \"shy\", \"class\": \"person\", \"speed_mps\": 2, \"waypoints\": [%s, %s]},\n"
             "  {\"id\": \"goat\", \"class\": \"animal\", \"motion\": \"random_walk\", \"home\": %s,\n"
             "   \"radius_m\": 400, \"speed_mps\": 0.5}],\n"
             " \"expect\": {\"alerted\": [\"crosser\", \"shy\"]}}\n",
             p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    int rc = fx_parse(text, &s, &d);
    if (rc != 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    struct bf_sim_crossing *cr = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n), 0);
    char out[4096] = "";
    FILE *f = fmemopen(out, sizeof out - 1, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int w = bf_sim_check_warnings(s, cr, n, f);
    fclose(f);
    printf("\n%s", out);
    /*
     * goat: disc straddles the line; shy: expected alerted, never crosses and
     * never covered; blind: crosses where nothing looks, never covered.  The
     * goat may or may not cross in its walk: crossings counted as they come.
     */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: target goat: its random-walk disc (400 m"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "straddles border line border (its centre is 150 m"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: expect.alerted names shy, which never crosses"));
    CU_ASSERT_PTR_NULL(strstr(out, "names crosser"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: target blind crosses at"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: target blind is outside every sensor's coverage"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: target shy is outside every sensor's coverage"));
    CU_ASSERT_PTR_NULL(strstr(out, "target crosser crosses"));
    CU_ASSERT_PTR_NULL(strstr(out, "target crosser is outside"));
    int goat_crossings = 0;
    for (size_t k = 0; k < n; k++)
        if (strcmp(cr[k].key, "goat") == 0)
            goat_crossings++;
    /* the goat's disc is only partly covered (r1 at e -2.5 km, 2 km): its crossings, if any,
     * are uncovered too; and it is never inside the disc */
    CU_ASSERT_EQUAL(w, 5 + goat_crossings + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: target goat is outside every sensor's coverage"));
    free(cr);

    /* a camera looking at the blind crossing, a ground sensor on shy's path: warnings go */
    bf_sim_scenario_destroy(s);
    s = NULL;
    char text2[6144];
    char cam[40], ugs[40];
    snprintf(cam, sizeof cam, "%s", fx_pt(4500, 1500));
    snprintf(ugs, sizeof ugs, "%s", fx_pt(1000, -600));
    double clat, clon, glat, glon;
    fx_ll(4500, 1500, &clat, &clon);
    fx_ll(1000, -600, &glat, &glon);
    snprintf(text2, sizeof text2, "%.*s,\n \"cameras\": [{\"id\": \"cam1\", \"lat\": %.7f, "
             "\"lon\": %.7f, \"height_m\": 8, \"heading_deg\": 180, \"hfov_deg\": 30, "
             "\"port\": 18554}],\n \"ground_sensors\": [{\"id\": \"ugs1\", \"lat\": %.7f, "
             "\"lon\": %.7f, \"type\": \"seismic\", \"radius_m\": {\"person\": 50}}]}\n",
             (int)(strrchr(text, '}') - text), text, clat, clon, glat, glon);
    (void)cam;
    (void)ugs;
    fx_diags_init(&d);
    rc = fx_parse(text2, &s, &d);
    if (rc != 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n), 0);
    memset(out, 0, sizeof out);
    f = fmemopen(out, sizeof out - 1, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    w = bf_sim_check_warnings(s, cr, n, f);
    fclose(f);
    printf("    with a camera and a ground sensor:\n%s", out);
    CU_ASSERT_PTR_NULL(strstr(out, "target blind crosses at"));
    CU_ASSERT_PTR_NULL(strstr(out, "target blind is outside"));
    CU_ASSERT_PTR_NULL(strstr(out, "target shy is outside"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "expect.alerted names shy"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "target goat: its random-walk disc"));
    CU_ASSERT_TRUE(w >= 2);
    free(cr);
    bf_sim_scenario_destroy(s);
}

static CU_TestInfo check_tests[] = {
    {"positions in metres from the origin, every form", test_positions_in_metres},
    {"[lon, lat] arrays and doubled positions refused", test_swapped_refused},
    {"--check warnings: coverage, expect, random-walk disc (printed)", test_check_warnings},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim/check", NULL, NULL, NULL, NULL, check_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
