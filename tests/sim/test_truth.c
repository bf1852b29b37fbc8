/*
 * test_truth.c - the random generator, target motion and true crossings.
 *
 * The border of zones_straight.geojson runs west to east along n = 0 (its
 * vertices are the local points (-5000, 0), (0, 0), (5000, 0)) from
 * e = -5000 to e = +5000 m, our side north; expectations are hand-computed
 * from distances and speeds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "sim/sim.h"
#include "sim_fixture.h"

/* Parse a scenario of these targets on the straight border; fails the test on error. */
static struct bf_sim_scenario *load(const char *targets, double duration_s)
{
    char *text = fx_scenario_text(NULL, targets, duration_s);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    if (fx_parse(text, &s, &d) < 0) {
        fprintf(stderr, "\n%s", text);
        fx_diags_dump(&d);
    }
    free(text);
    return s;
}

/* ---- random numbers ---------------------------------------------------- */

static void test_rng_determinism(void)
{
    struct bf_sim_rng a, b, c, d;
    bf_sim_rng_seed(&a, 7, 1);
    bf_sim_rng_seed(&b, 7, 1);
    bf_sim_rng_seed(&c, 7, 2);
    bf_sim_rng_seed(&d, 8, 1);
    int same_c = 0, same_d = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = bf_sim_rng_next(&a);
        CU_ASSERT_EQUAL(x, bf_sim_rng_next(&b));
        same_c += x == bf_sim_rng_next(&c);
        same_d += x == bf_sim_rng_next(&d);
    }
    CU_ASSERT_EQUAL(same_c, 0);
    CU_ASSERT_EQUAL(same_d, 0);
    /* Gaussian and Poisson draws are reproducible too (Box-Muller keeps a spare). */
    bf_sim_rng_seed(&a, 99, 3);
    bf_sim_rng_seed(&b, 99, 3);
    for (int i = 0; i < 101; i++) {
        CU_ASSERT_EQUAL(bf_sim_rng_gauss(&a), bf_sim_rng_gauss(&b));
        CU_ASSERT_EQUAL(bf_sim_rng_poisson(&a, 4.5), bf_sim_rng_poisson(&b, 4.5));
    }
}

static void test_rng_distributions(void)
{
    struct bf_sim_rng r;
    bf_sim_rng_seed(&r, 12345, 0);
    const int n = 200000;
    double su = 0, sg = 0, sg2 = 0, sp = 0, sp2 = 0, sbig = 0;
    double umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        double u = bf_sim_rng_uniform(&r);
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        su += u;
        double g = bf_sim_rng_gauss(&r);
        sg += g;
        sg2 += g * g;
    }
    for (int i = 0; i < 20000; i++) {
        unsigned k = bf_sim_rng_poisson(&r, 6.0);
        sp += k;
        sp2 += (double)k * k;
        sbig += bf_sim_rng_poisson(&r, 75.0);   /* split into parts internally */
    }
    CU_ASSERT_TRUE(umin >= 0 && umax < 1);
    BF_ASSERT_NEAR(su / n, 0.5, 0.005);
    BF_ASSERT_NEAR(sg / n, 0.0, 0.01);
    BF_ASSERT_NEAR(sqrt(sg2 / n), 1.0, 0.01);
    double pm = sp / 20000, pv = sp2 / 20000 - pm * pm;
    BF_ASSERT_NEAR(pm, 6.0, 0.1);
    BF_ASSERT_NEAR(pv, 6.0, 0.3);   /* Poisson: variance = mean */
    BF_ASSERT_NEAR(sbig / 20000, 75.0, 0.3);
    CU_ASSERT_EQUAL(bf_sim_rng_poisson(&r, 0), 0);
}

/* ---- motion -------------------------------------------------------------- */

static void test_walker_leg(void)
{
    /* 300 m due north at 1.5 m/s from t = 10 s: arrives at 210 s, then vanishes. */
    char targets[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"start_s\": 10, \"waypoints\": [%s, %s], "
             "\"speed_mps\": 1.5}]", fx_pt(-2000, 1000), fx_pt(-2000, 1300));
    struct bf_sim_scenario *s = load(targets, 600);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);

    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 9.9), 0);
    CU_ASSERT_FALSE(p[0].active);                /* not yet started */
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 10), 0);
    CU_ASSERT_TRUE(p[0].active);
    BF_ASSERT_NEAR(p[0].n_m, 1000, 0.01);
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 110), 0);
    BF_ASSERT_NEAR(p[0].e_m, -2000, 0.01);
    BF_ASSERT_NEAR(p[0].n_m, 1150, 0.01);
    BF_ASSERT_NEAR(p[0].ve_mps, 0, 1e-3);
    BF_ASSERT_NEAR(p[0].vn_mps, 1.5, 1e-3);
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 209.9), 0);
    CU_ASSERT_TRUE(p[0].active);
    BF_ASSERT_NEAR(p[0].n_m, 1299.85, 0.01);
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 210), 0);
    CU_ASSERT_TRUE(p[0].active);
    BF_ASSERT_NEAR(p[0].n_m, 1300, 0.01);
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 210.5), 0);
    CU_ASSERT_FALSE(p[0].active);               /* the route is over */
    /* time never runs backwards */
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 100), BF_ESTATE);
    bf_sim_truth_destroy(tr);
    bf_sim_scenario_destroy(s);
}

static void test_pauses_and_leg_speeds(void)
{
    /* Waits 5 s at the start, 100 m east at 2 m/s (50 s), waits 20 s, 100 m north at
     * 1 m/s (100 s), waits 7 s at the end: leaves at 5, at 2nd point 55..75, arrives
     * at 175, vanishes after 182. */
    char targets[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [%s, %s, %s], "
             "\"speed_mps\": [2, 1], \"pause_s\": [5, 20, 7]}]",
             fx_pt(1000, 1000), fx_pt(1100, 1000), fx_pt(1100, 1100));
    struct bf_sim_scenario *s = load(targets, 600);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);
    static const struct { double t, e, n, ve, vn; bool active; } want[] = {
        {0, 1000, 1000, 0, 0, true},     {5, 1000, 1000, 0, 0, true},
        {30, 1050, 1000, 2, 0, true},    {55, 1100, 1000, 2, 0, true},
        {60, 1100, 1000, 0, 0, true},    {74.9, 1100, 1000, 0, 0, true},
        {125, 1100, 1050, 0, 1, true},   {175, 1100, 1100, 0, 1, true},
        {181.5, 1100, 1100, 0, 0, true}, {182.5, 0, 0, 0, 0, false},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, want[i].t), 0);
        CU_ASSERT_EQUAL(p[0].active, want[i].active);
        if (!want[i].active)
            continue;
        BF_ASSERT_NEAR(p[0].e_m, want[i].e, 0.01);
        BF_ASSERT_NEAR(p[0].n_m, want[i].n, 0.01);
        /* at a segment boundary either neighbour's velocity is right; test inside */
        if (want[i].t == 30 || want[i].t == 125 || want[i].t == 60 || want[i].t == 181.5) {
            BF_ASSERT_NEAR(p[0].ve_mps, want[i].ve, 1e-3);
            BF_ASSERT_NEAR(p[0].vn_mps, want[i].vn, 1e-3);
        }
    }
    bf_sim_truth_destroy(tr);
    bf_sim_scenario_destroy(s);
}

/* Max and min distance from home over an hour of random walk, and a position sample. */
static void walk_stats(uint64_t seed, double *dmax, double *dmin_late, double *e_at_1000)
{
    char targets[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"d\", \"class\": \"animal\", \"motion\": \"random_walk\", \"home\": %s, "
             "\"radius_m\": 200, \"speed_mps\": 1.0, \"pause_s\": 5}]", fx_pt(-3000, -1000));
    struct bf_sim_scenario *s = load(targets, 3600);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    s->seed = seed;
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);
    *dmax = 0;
    *dmin_late = INFINITY;
    for (double t = 0; t <= 3600; t += 0.5) {
        CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, t), 0);
        CU_ASSERT_TRUE(p[0].active);
        double dd = hypot(p[0].e_m - s->targets[0].home_e_m, p[0].n_m - s->targets[0].home_n_m);
        *dmax = fmax(*dmax, dd);
        if (t > 100)
            *dmin_late = fmin(*dmin_late, dd);
        if (t == 1000)
            *e_at_1000 = p[0].e_m;
    }
    size_t n;
    bf_sim_truth_crossings(tr, &n);
    CU_ASSERT_EQUAL(n, 0);
    bf_sim_truth_destroy(tr);
    bf_sim_scenario_destroy(s);
}

static void test_random_walk_bounded(void)
{
    double dmax, dmin, e1, e1b, e2;
    walk_stats(42, &dmax, &dmin, &e1);
    CU_ASSERT_TRUE(dmax <= 200.0 + 1e-6);
    CU_ASSERT_TRUE(dmax > 150.0);     /* it does roam over its disc */
    CU_ASSERT_TRUE(dmin < 50.0);      /* ... and comes back near home */
    walk_stats(42, &dmax, &dmin, &e1b);
    CU_ASSERT_EQUAL(e1, e1b);         /* same seed: same walk */
    walk_stats(43, &dmax, &dmin, &e2);
    CU_ASSERT_NOT_EQUAL(e1, e2);      /* another seed: another walk */
}

/* ---- crossings -------------------------------------------------------------- */

static size_t run_crossings(const char *targets, double duration_s, struct bf_sim_crossing **cr)
{
    struct bf_sim_scenario *s = load(targets, duration_s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    size_t n = 0;
    CU_ASSERT_EQUAL(bf_sim_truth_run(s, cr, &n), 0);
    /* keys point into the scenario: copy what the tests read */
    static char keys[8][64];
    for (size_t i = 0; i < n && i < 8; i++) {
        snprintf(keys[i], sizeof keys[i], "%s", (*cr)[i].key);
        (*cr)[i].key = keys[i];
    }
    bf_sim_scenario_destroy(s);
    return n;
}

static void test_crossing_once(void)
{
    /* From 300 m south to 300 m north at 1.5 m/s from t = 20: on the line at t = 220 s. */
    char targets[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"start_s\": 20, \"waypoints\": [%s, %s], "
             "\"speed_mps\": 1.5}]", fx_pt(1234, -300), fx_pt(1234, 300));
    struct bf_sim_crossing *cr;
    size_t n = run_crossings(targets, 600, &cr);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(cr[0].key, "w");
    CU_ASSERT_FALSE(cr[0].is_group);
    CU_ASSERT_EQUAL(cr[0].members, 1);
    BF_ASSERT_NEAR(cr[0].t_s, 220.0, 0.5);
    BF_ASSERT_NEAR(cr[0].e_m, 1234, 0.5);
    BF_ASSERT_NEAR(cr[0].n_m, 0, 0.01);
    BF_ASSERT_NEAR(cr[0].lat_deg, 46.80, 1e-5);
    free(cr);
}

static void test_crossing_group(void)
{
    /* Three walkers a few metres apart cross together: one crossing of the group. A
     * fourth member crossing 200 s later is a second crossing of the same group. */
    char targets[2048];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"a\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s], \"speed_mps\": 1.2},"
             " {\"id\": \"b\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s], \"speed_mps\": 1.2},"
             " {\"id\": \"c\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s], \"speed_mps\": 1.2},"
             " {\"id\": \"late\", \"class\": \"person\", \"group\": \"g\", \"start_s\": 200, \"waypoints\": [%s, %s], \"speed_mps\": 1.2}]",
             fx_pt(-500, -120), fx_pt(-500, 120), fx_pt(-497, -123), fx_pt(-497, 117),
             fx_pt(-503, -118), fx_pt(-503, 122), fx_pt(-500, -120), fx_pt(-500, 120));
    struct bf_sim_crossing *cr;
    size_t n = run_crossings(targets, 600, &cr);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(cr[0].key, "g");
    CU_ASSERT_TRUE(cr[0].is_group);
    CU_ASSERT_EQUAL(cr[0].members, 3);
    /* first member on the line: c at 118 / 1.2 = 98.3 s */
    BF_ASSERT_NEAR(cr[0].t_s, 98.33, 0.5);
    BF_ASSERT_NEAR(cr[0].e_m, -500, 1);     /* mean of -500, -497, -503 */
    CU_ASSERT_EQUAL(cr[1].members, 1);
    BF_ASSERT_NEAR(cr[1].t_s, 300.0, 0.5);
    free(cr);
}

static void test_no_crossing(void)
{
    /* Turns back 60 m short; walks our side to theirs (wrong direction); walks round the
     * east end of the line (e = 5200): none of these is a crossing. */
    char targets[2048];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"turn\", \"class\": \"person\", \"waypoints\": [%s, %s, %s], \"speed_mps\": 1.3, \"pause_s\": [0, 30, 0]},"
             " {\"id\": \"out\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 1.3},"
             " {\"id\": \"round\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 1.3}]",
             fx_pt(0, -400), fx_pt(0, -60), fx_pt(100, -500), fx_pt(2000, 200), fx_pt(2000, -200),
             fx_pt(5200, -300), fx_pt(5200, 300));
    struct bf_sim_crossing *cr = NULL;
    size_t n = run_crossings(targets, 900, &cr);
    CU_ASSERT_EQUAL(n, 0);
    free(cr);
}

static void test_crossing_back_and_forth(void)
{
    /* In, out and in again 10 minutes later: two crossings; in and out and in again
     * within a minute: one. */
    char targets[2048];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"twice\", \"class\": \"person\", \"waypoints\": [%s, %s, %s, %s], \"speed_mps\": 1, \"pause_s\": [0, 0, 600, 0]},"
             " {\"id\": \"jitter\", \"class\": \"person\", \"waypoints\": [%s, %s, %s, %s], \"speed_mps\": 1}]",
             fx_pt(-3000, -50), fx_pt(-3000, 50), fx_pt(-3000, -50), fx_pt(-3000, 50),
             fx_pt(3000, -10), fx_pt(3000, 10), fx_pt(3000, -10), fx_pt(3000, 10));
    struct bf_sim_crossing *cr;
    size_t n = run_crossings(targets, 1200, &cr);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    /* jitter crosses at 10 s (and again at 50 s, merged); twice at 50 s and 850 s */
    CU_ASSERT_STRING_EQUAL(cr[0].key, "jitter");
    BF_ASSERT_NEAR(cr[0].t_s, 10, 0.5);
    CU_ASSERT_EQUAL(cr[0].members, 2);
    CU_ASSERT_STRING_EQUAL(cr[1].key, "twice");
    BF_ASSERT_NEAR(cr[1].t_s, 50, 0.5);
    CU_ASSERT_STRING_EQUAL(cr[2].key, "twice");
    BF_ASSERT_NEAR(cr[2].t_s, 850, 0.5);
    free(cr);
}

static void test_merge_pure(void)
{
    struct bf_sim_crossing raw[] = {
        {.target = 2, .key = "g", .is_group = true, .members = 1, .t_s = 130, .e_m = 30, .n_m = 0,
         .lat_deg = 1, .lon_deg = 3},
        {.target = 0, .key = "x", .members = 1, .t_s = 100, .e_m = 0},
        {.target = 1, .key = "g", .is_group = true, .members = 1, .t_s = 90, .e_m = 0, .n_m = 6,
         .lat_deg = 3, .lon_deg = 1},
        {.target = 3, .key = "g", .is_group = true, .members = 1, .t_s = 151, .e_m = 99},
    };
    struct bf_sim_crossing out[4];
    size_t n = bf_sim_crossings_merge(raw, 4, 60.0, out);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(out[0].key, "g");
    BF_ASSERT_NEAR(out[0].t_s, 90, 0);
    CU_ASSERT_EQUAL(out[0].members, 2);
    CU_ASSERT_EQUAL(out[0].target, 1);
    BF_ASSERT_NEAR(out[0].e_m, 15, 1e-9);
    BF_ASSERT_NEAR(out[0].n_m, 3, 1e-9);
    BF_ASSERT_NEAR(out[0].lat_deg, 2, 1e-9);
    CU_ASSERT_STRING_EQUAL(out[1].key, "x");
    /* 151 is 61 s after the group's first crossing at 90: a new crossing */
    CU_ASSERT_STRING_EQUAL(out[2].key, "g");
    BF_ASSERT_NEAR(out[2].t_s, 151, 0);
    CU_ASSERT_EQUAL(bf_sim_crossings_merge(raw, 0, 60.0, out), 0);
}

static void test_record(void)
{
    char targets[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"group\": \"g\", \"start_s\": 2, "
             "\"waypoints\": [%s, %s], \"speed_mps\": 2}]", fx_pt(0, -10), fx_pt(0, 10));
    struct bf_sim_scenario *s = load(targets, 60);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    char path[512];
    snprintf(path, sizeof path, "%s/truth.jsonl", bf_test_tmpdir());
    FILE *f = fopen(path, "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    bf_sim_truth_record(tr, f, 1.0);
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, 60), 0);
    bf_sim_truth_destroy(tr);
    rewind(f);
    char line[1024];
    int n = 0;
    cJSON *third = NULL;
    while (fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        CU_ASSERT_PTR_NOT_NULL(j);
        if (n == 2)
            third = j;
        else
            cJSON_Delete(j);
        n++;
    }
    fclose(f);
    /* active from 2 s to 12 s, one line per simulated second: 11 lines */
    CU_ASSERT_EQUAL(n, 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(third);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(third, "t")->valuestring, "2026-03-01T02:00:04.000Z");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(third, "t_s")->valuedouble, 4, 1e-9);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(third, "id")->valuestring, "w");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(third, "group")->valuestring, "g");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(third, "class")->valuestring, "person");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(third, "n_m")->valuedouble, -6, 0.01);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(third, "vn_mps")->valuedouble, 2, 1e-3);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(third, "lat")->valuedouble, 46.80 - 6 / 111180.0, 2e-6);
    cJSON_Delete(third);
    bf_sim_scenario_destroy(s);
}

static CU_TestInfo truth_tests[] = {
    {"rng: same seed and stream, same draws", test_rng_determinism},
    {"rng: uniform, Gaussian, Poisson moments", test_rng_distributions},
    {"walker: 300 m at 1.5 m/s arrives at 200 s", test_walker_leg},
    {"pauses and per-leg speeds", test_pauses_and_leg_speeds},
    {"random walk stays in its disc, seeded", test_random_walk_bounded},
    {"one walker crossing: time and place", test_crossing_once},
    {"group of three: one crossing", test_crossing_group},
    {"turn back, wrong way, round the end: none", test_no_crossing},
    {"back and forth: merged within a minute", test_crossing_back_and_forth},
    {"crossings merge (pure)", test_merge_pure},
    {"truth recorded as JSON lines", test_record},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim truth", NULL, NULL, NULL, NULL, truth_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
