/*
 * test_metrics.c - OSPA and GOSPA: hand-computed values, then the cluster
 * solver against a brute force over every assignment on random small sets,
 * symmetry, order independence, and the GOSPA parts adding up.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "sim/sim.h"

#define C 100.0

static struct bf_sim_metric run(const struct bf_sim_xy *est, size_t ne, const struct bf_sim_xy *tr,
                                size_t nt, double c, double p)
{
    struct bf_sim_metric_ws *ws = NULL;
    struct bf_sim_metric m;
    CU_ASSERT_EQUAL_FATAL(bf_sim_metric_ws_create(64, 0, &ws), 0);
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, est, ne, tr, nt, c, p, &m), 0);
    bf_sim_metric_ws_destroy(ws);
    return m;
}

static void test_empty(void)
{
    struct bf_sim_metric m = run(NULL, 0, NULL, 0, C, 1);
    BF_ASSERT_NEAR(m.ospa, 0, 0);
    BF_ASSERT_NEAR(m.gospa, 0, 0);
    BF_ASSERT_NEAR(m.gospa_loc + m.gospa_missed + m.gospa_false, 0, 0);
    CU_ASSERT_EQUAL(m.n_assigned + m.n_missed + m.n_false, 0);
}

static void test_one_miss_one_false(void)
{
    const struct bf_sim_xy a = {10, 20};
    /* a true point and no estimate: OSPA = c; GOSPA^p = c^p / 2 */
    struct bf_sim_metric m = run(NULL, 0, &a, 1, C, 1);
    BF_ASSERT_NEAR(m.ospa, 100, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_missed, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_false, 0, 0);
    CU_ASSERT_EQUAL(m.n_missed, 1);
    CU_ASSERT_EQUAL(m.n_false, 0);
    m = run(NULL, 0, &a, 1, C, 2);
    BF_ASSERT_NEAR(m.ospa, 100, 1e-12);
    BF_ASSERT_NEAR(m.gospa, sqrt(5000.0), 1e-9);
    BF_ASSERT_NEAR(m.gospa_missed, 5000, 1e-9);
    /* an estimate and no truth: the false part */
    m = run(&a, 1, NULL, 0, C, 1);
    BF_ASSERT_NEAR(m.ospa, 100, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_false, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_missed, 0, 0);
    CU_ASSERT_EQUAL(m.n_false, 1);
    CU_ASSERT_EQUAL(m.n_missed, 0);
    m = run(&a, 1, NULL, 0, C, 2);
    BF_ASSERT_NEAR(m.gospa, sqrt(5000.0), 1e-9);
    BF_ASSERT_NEAR(m.gospa_false, 5000, 1e-9);
}

static void test_localisation(void)
{
    const struct bf_sim_xy t = {0, 0}, near = {30, 40}, far = {120, 160};
    /* d = 50 < c: assigned */
    struct bf_sim_metric m = run(&near, 1, &t, 1, C, 1);
    BF_ASSERT_NEAR(m.ospa, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_loc, 50, 1e-12);
    CU_ASSERT_EQUAL(m.n_assigned, 1);
    m = run(&near, 1, &t, 1, C, 2);
    BF_ASSERT_NEAR(m.ospa, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_loc, 2500, 1e-9);
    /* d = 200 >= c: OSPA saturates at c, GOSPA counts a miss and a false track */
    m = run(&far, 1, &t, 1, C, 1);
    BF_ASSERT_NEAR(m.ospa, 100, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 100, 1e-12);
    BF_ASSERT_NEAR(m.gospa_loc, 0, 0);
    BF_ASSERT_NEAR(m.gospa_missed, 50, 1e-12);
    BF_ASSERT_NEAR(m.gospa_false, 50, 1e-12);
    CU_ASSERT_EQUAL(m.n_assigned, 0);
    m = run(&far, 1, &t, 1, C, 2);
    BF_ASSERT_NEAR(m.ospa, 100, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 100, 1e-9);   /* sqrt(5000 + 5000) */
    /* exactly at the cut-off: not a pair */
    const struct bf_sim_xy at_c = {60, 80};
    m = run(&at_c, 1, &t, 1, C, 1);
    CU_ASSERT_EQUAL(m.n_assigned, 0);
    BF_ASSERT_NEAR(m.gospa, 100, 1e-12);
}

static void test_mixed(void)
{
    /* two targets seen 5 m and 10 m off, one false track far away */
    const struct bf_sim_xy tr[] = {{0, 0}, {1000, 0}};
    const struct bf_sim_xy es[] = {{3, 4}, {1000, 10}, {5000, 5000}};
    struct bf_sim_metric m = run(es, 3, tr, 2, C, 1);
    BF_ASSERT_NEAR(m.ospa, 115.0 / 3.0, 1e-12);
    BF_ASSERT_NEAR(m.gospa, 65, 1e-12);
    BF_ASSERT_NEAR(m.gospa_loc, 15, 1e-12);
    BF_ASSERT_NEAR(m.gospa_false, 50, 1e-12);
    CU_ASSERT_EQUAL(m.n_assigned, 2);
    CU_ASSERT_EQUAL(m.n_false, 1);
    m = run(es, 3, tr, 2, C, 2);
    BF_ASSERT_NEAR(m.ospa, sqrt(10125.0 / 3.0), 1e-9);
    BF_ASSERT_NEAR(m.gospa, sqrt(5125.0), 1e-9);
    /* greedy (closest pair first: B-X 10, then A-Y 70) is not optimal: A-X 30 + B-Y 30 */
    const struct bf_sim_xy tr2[] = {{0, 0}, {40, 0}};
    const struct bf_sim_xy es2[] = {{30, 0}, {70, 0}};
    m = run(es2, 2, tr2, 2, C, 1);
    BF_ASSERT_NEAR(m.gospa, 60, 1e-12);
    BF_ASSERT_NEAR(m.ospa, 30, 1e-12);
    CU_ASSERT_EQUAL(m.n_assigned, 2);
}

/* ---- brute force ------------------------------------------------------------ */

static double dcut_p(const struct bf_sim_xy *a, const struct bf_sim_xy *b, double c, double p)
{
    double d = hypot(a->e_m - b->e_m, a->n_m - b->n_m);
    return pow(d < c ? d : c, p);
}

/*
 * Minimum over every partial assignment of the first-set points i.. to unused
 * second-set points of sum min(d, c)^p + `leave` per first-set point left out
 * and `leave` per second-set point left unused, given `used`.
 */
static double brute(const struct bf_sim_xy *a, size_t na, const struct bf_sim_xy *b, size_t nb,
                    size_t i, unsigned used, double c, double p, double leave, bool all_small)
{
    if (i == na) {
        double s = 0;
        for (size_t j = 0; j < nb; j++)
            if (!(used & (1u << j)))
                s += leave;
        return s;
    }
    double best = INFINITY;
    if (!all_small) {   /* OSPA: every point of the smaller set is assigned */
        double v = leave + brute(a, na, b, nb, i + 1, used, c, p, leave, all_small);
        best = v < best ? v : best;
    }
    for (size_t j = 0; j < nb; j++) {
        if (used & (1u << j))
            continue;
        double v = dcut_p(&a[i], &b[j], c, p) +
                   brute(a, na, b, nb, i + 1, used | (1u << j), c, p, leave, all_small);
        best = v < best ? v : best;
    }
    return best;
}

static double brute_gospa(const struct bf_sim_xy *es, size_t ne, const struct bf_sim_xy *tr,
                          size_t nt, double c, double p)
{
    return pow(brute(tr, nt, es, ne, 0, 0, c, p, pow(c, p) / 2, false), 1 / p);
}

static double brute_ospa(const struct bf_sim_xy *es, size_t ne, const struct bf_sim_xy *tr,
                         size_t nt, double c, double p)
{
    if (ne == 0 && nt == 0)
        return 0;
    const struct bf_sim_xy *small = ne <= nt ? es : tr, *big = ne <= nt ? tr : es;
    size_t ns = ne <= nt ? ne : nt, nb = ne <= nt ? nt : ne;
    double s = brute(small, ns, big, nb, 0, 0, c, p, pow(c, p), true);
    return pow(s / (double)nb, 1 / p);
}

static void random_set(struct bf_sim_rng *r, struct bf_sim_xy *out, size_t n, double side)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct bf_sim_xy){side * bf_sim_rng_uniform(r), side * bf_sim_rng_uniform(r)};
}

static void test_brute_force(void)
{
    struct bf_sim_metric_ws *ws = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_sim_metric_ws_create(8, 0, &ws), 0);
    struct bf_sim_rng r;
    bf_sim_rng_seed(&r, 42, 7);
    const double ps[] = {1, 2, 1.5};
    unsigned multi = 0, checked = 0;
    for (int trial = 0; trial < 600; trial++) {
        size_t ne = bf_sim_rng_next(&r) % 7, nt = bf_sim_rng_next(&r) % 7;
        double side = trial % 2 ? 150 : 400;   /* dense: big clusters; sparse: several */
        double p = ps[trial % 3];
        struct bf_sim_xy es[6], tr[6];
        random_set(&r, es, ne, side);
        random_set(&r, tr, nt, side);
        struct bf_sim_metric m;
        CU_ASSERT_EQUAL_FATAL(bf_sim_metric_compute(ws, es, ne, tr, nt, C, p, &m), 0);
        double go = brute_gospa(es, ne, tr, nt, C, p), os = brute_ospa(es, ne, tr, nt, C, p);
        if (fabs(m.gospa - go) > 1e-9 * (1 + go) || fabs(m.ospa - os) > 1e-9 * (1 + os)) {
            printf("\ntrial %d ne %zu nt %zu p %g: gospa %.12g brute %.12g, ospa %.12g brute %.12g\n",
                   trial, ne, nt, p, m.gospa, go, m.ospa, os);
            CU_FAIL("metric differs from the brute force");
        }
        /* the parts add up and count every point once */
        BF_ASSERT_NEAR(pow(m.gospa, p), m.gospa_loc + m.gospa_missed + m.gospa_false,
                       1e-9 * (1 + pow(m.gospa, p)));
        CU_ASSERT_EQUAL(m.n_assigned + m.n_missed, nt);
        CU_ASSERT_EQUAL(m.n_assigned + m.n_false, ne);
        BF_ASSERT_NEAR(m.gospa_missed, pow(C, p) / 2 * (double)m.n_missed, 1e-9 * pow(C, p));
        BF_ASSERT_NEAR(m.gospa_false, pow(C, p) / 2 * (double)m.n_false, 1e-9 * pow(C, p));
        CU_ASSERT(m.ospa >= 0 && m.ospa <= C + 1e-9);
        if (m.n_assigned >= 2)
            multi++;
        checked++;
    }
    CU_ASSERT(checked == 600);
    CU_ASSERT(multi > 100);   /* the solver path, not only single pairs, was exercised */
    bf_sim_metric_ws_destroy(ws);
}

static void test_symmetry_and_order(void)
{
    struct bf_sim_metric_ws *ws = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_sim_metric_ws_create(40, 0, &ws), 0);
    struct bf_sim_rng r;
    bf_sim_rng_seed(&r, 9, 1);
    for (int trial = 0; trial < 100; trial++) {
        size_t ne = bf_sim_rng_next(&r) % 41, nt = bf_sim_rng_next(&r) % 41;
        struct bf_sim_xy es[40], tr[40], es_rev[40];
        random_set(&r, es, ne, 600);
        random_set(&r, tr, nt, 600);
        for (size_t i = 0; i < ne; i++)
            es_rev[i] = es[ne - 1 - i];
        double p = trial % 2 ? 1 : 2;
        struct bf_sim_metric a, b, c;
        CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, es, ne, tr, nt, C, p, &a), 0);
        CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, tr, nt, es, ne, C, p, &b), 0);
        CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, es_rev, ne, tr, nt, C, p, &c), 0);
        BF_ASSERT_NEAR(a.ospa, b.ospa, 1e-9);
        BF_ASSERT_NEAR(a.gospa, b.gospa, 1e-9);
        BF_ASSERT_NEAR(a.gospa_missed, b.gospa_false, 1e-9);
        BF_ASSERT_NEAR(a.gospa_false, b.gospa_missed, 1e-9);
        BF_ASSERT_NEAR(a.ospa, c.ospa, 1e-9);
        BF_ASSERT_NEAR(a.gospa, c.gospa, 1e-9);
    }
    bf_sim_metric_ws_destroy(ws);
}

static void test_errors(void)
{
    struct bf_sim_metric_ws *ws = NULL;
    CU_ASSERT_EQUAL(bf_sim_metric_ws_create(0, 0, &ws), BF_EINVAL);
    CU_ASSERT_PTR_NULL(ws);
    CU_ASSERT_EQUAL_FATAL(bf_sim_metric_ws_create(4, 2, &ws), 0);
    struct bf_sim_xy pts[5] = {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}};
    struct bf_sim_metric m;
    /* a cluster of 3 x 3 points within c of each other exceeds max_cluster 2 */
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, pts, 3, pts + 1, 3, C, 1, &m), BF_EFULL);
    CU_ASSERT(isnan(m.ospa) && isnan(m.gospa));
    /* ... but 2 x 2 fits, and far-apart points are separate clusters */
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, pts, 2, pts + 1, 2, C, 1, &m), 0);
    BF_ASSERT_NEAR(m.gospa, 2, 1e-12);   /* 0-1 and 1-2 (or 1-1 and 0-2): 1 + 1 */
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, pts, 5, pts, 1, C, 1, &m), BF_EFULL);   /* > max_points */
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, pts, 1, pts, 1, 0, 1, &m), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, pts, 1, pts, 1, C, 0.5, &m), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, pts, 1, pts, 1, INFINITY, 1, &m), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, NULL, 1, pts, 1, C, 1, &m), BF_EINVAL);
    struct bf_sim_xy bad = {NAN, 0};
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, &bad, 1, pts, 1, C, 1, &m), BF_EINVAL);
    CU_ASSERT(isnan(m.ospa));
    /* huge but finite coordinates are fine */
    struct bf_sim_xy huge[2] = {{1e300, -1e300}, {-1e300, 1e300}};
    CU_ASSERT_EQUAL(bf_sim_metric_compute(ws, huge, 2, pts, 1, C, 1, &m), 0);
    BF_ASSERT_NEAR(m.ospa, 100, 1e-12);
    bf_sim_metric_ws_destroy(ws);
    bf_sim_metric_ws_destroy(NULL);
}

static void test_average(void)
{
    struct bf_sim_metric_avg a = {0};
    struct bf_sim_metric mean;
    CU_ASSERT_EQUAL(bf_sim_metric_avg_mean(&a, &mean), 0);
    CU_ASSERT(isnan(mean.ospa));
    struct bf_sim_metric m1 = {.ospa = 10, .gospa = 20, .gospa_loc = 5, .gospa_missed = 10,
                               .gospa_false = 5, .n_assigned = 3, .n_missed = 1, .n_false = 1};
    struct bf_sim_metric m2 = {.ospa = 30, .gospa = 40, .gospa_loc = 15, .gospa_missed = 0,
                               .gospa_false = 25, .n_assigned = 5, .n_missed = 0, .n_false = 4};
    bf_sim_metric_avg_add(&a, &m1);
    bf_sim_metric_avg_add(&a, &m2);
    CU_ASSERT_EQUAL(bf_sim_metric_avg_mean(&a, &mean), 2);
    BF_ASSERT_NEAR(mean.ospa, 20, 1e-12);
    BF_ASSERT_NEAR(mean.gospa, 30, 1e-12);
    BF_ASSERT_NEAR(mean.gospa_loc, 10, 1e-12);
    BF_ASSERT_NEAR(mean.gospa_missed, 5, 1e-12);
    BF_ASSERT_NEAR(mean.gospa_false, 15, 1e-12);
    CU_ASSERT_EQUAL(mean.n_assigned, 4);
    CU_ASSERT_EQUAL(mean.n_false, 3);   /* 2.5 rounds away from zero */
}

static CU_TestInfo metric_tests[] = {
    {"empty sets", test_empty},
    {"one miss, one false track, p = 1 and 2", test_one_miss_one_false},
    {"localisation error below, above and at c", test_localisation},
    {"mixed sets and a case greedy gets wrong", test_mixed},
    {"OSPA and GOSPA against a brute force", test_brute_force},
    {"symmetry and order independence", test_symmetry_and_order},
    {"errors, workspace bounds", test_errors},
    {"running average", test_average},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim metrics", NULL, NULL, NULL, NULL, metric_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
