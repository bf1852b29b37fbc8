/*
 * test_jpda.c - JPDA marginal association probabilities against an
 * independent brute-force enumeration of the joint events on random small
 * clusters (up to 4 tracks x 5 detections), hand-computed 1x1 and 2x2
 * cases, the cheap-JPDA fallback above the event bound, and bad input.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "tracker/tracker_int.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/*
 * Brute force on a dense matrix g[i*cols+j] (0: not gated): every joint
 * event, tracks in turn, weight prod(PD g / lambda) over assigned tracks
 * times (1 - PD PG) per missed track; sums into B[i*(cols+1) + 1 + j] and
 * B[i*(cols+1)] (miss), unnormalised.  Returns the total.
 */
struct brute {
    const double *g;
    size_t rows, cols;
    double pd, pg, lambda;
    double *B;
    int pick[8];
};

static double brute_rec(struct brute *b, size_t i, unsigned used, double w)
{
    if (i == b->rows) {
        for (size_t r = 0; r < b->rows; r++)
            b->B[r * (b->cols + 1) + (size_t)(b->pick[r] + 1)] += w;
        return w;
    }
    double total = 0;
    b->pick[i] = -1;
    total += brute_rec(b, i + 1, used, w * (1.0 - b->pd * b->pg));
    for (size_t j = 0; j < b->cols; j++) {
        double g = b->g[i * b->cols + j];
        if (g <= 0 || ((used >> j) & 1u))
            continue;
        b->pick[i] = (int)j;
        total += brute_rec(b, i + 1, used | (1u << j), w * b->pd * g / b->lambda);
    }
    return total;
}

/* Dense to compressed rows (gated entries only). */
static void to_csr(const double *g, size_t rows, size_t cols, uint32_t *rs, uint32_t *col,
                   double *lik)
{
    size_t e = 0;
    for (size_t i = 0; i < rows; i++) {
        rs[i] = (uint32_t)e;
        for (size_t j = 0; j < cols; j++) {
            if (g[i * cols + j] > 0) {
                col[e] = (uint32_t)j;
                lik[e++] = g[i * cols + j];
            }
        }
    }
    rs[rows] = (uint32_t)e;
}

static void test_random_vs_brute(void)
{
    struct bf_jpda_ws *ws;
    CU_ASSERT_EQUAL_FATAL(bf_jpda_ws_create(4, 5, &ws), 0);
    uint64_t seed = 31337;
    double g[20], lik[20], beta[20], beta2[20], beta0[4], beta02[4], B[4 * 6];
    uint32_t rs[5], col[20];
    int n_full = 0;
    for (int trial = 0; trial < 2000; trial++) {
        size_t rows = 1 + (size_t)(rng_next(&seed) % 4), cols = 1 + (size_t)(rng_next(&seed) % 5);
        double p_gate = 0.3 + 0.7 * rng_unit(&seed);
        size_t n_g = 0;
        for (size_t e = 0; e < rows * cols; e++) {
            /* likelihoods over several decades, as Gaussian densities are */
            g[e] = rng_unit(&seed) < p_gate ? 1e-6 * exp(10.0 * rng_unit(&seed)) : 0.0;
            n_g += g[e] > 0;
        }
        n_full += n_g == rows * cols;
        double pd = 0.5 + 0.5 * rng_unit(&seed), pg = 0.9 + 0.099 * rng_unit(&seed);
        double lambda = 1e-7 * exp(8.0 * rng_unit(&seed));
        struct brute b = {.g = g, .rows = rows, .cols = cols, .pd = pd, .pg = pg,
                          .lambda = lambda, .B = B};
        memset(B, 0, sizeof B);
        double total = brute_rec(&b, 0, 0, 1.0);
        to_csr(g, rows, cols, rs, col, lik);
        bool exact = false;
        CU_ASSERT_EQUAL_FATAL(
            bf_jpda_solve(ws, rows, cols, rs, col, lik, lambda, pd, pg, beta, beta0, &exact), 0);
        CU_ASSERT(exact);
        for (size_t i = 0; i < rows; i++) {
            double want0 = B[i * (cols + 1)] / total, sum = beta0[i];
            BF_ASSERT_NEAR(beta0[i], want0, 1e-12);
            for (uint32_t e = rs[i]; e < rs[i + 1]; e++) {
                BF_ASSERT_NEAR(beta[e], B[i * (cols + 1) + 1 + col[e]] / total, 1e-12);
                sum += beta[e];
            }
            BF_ASSERT_NEAR(sum, 1.0, 1e-12);
        }
        /* a detection is at most one track's: column sums <= 1 */
        for (size_t j = 0; j < cols; j++) {
            double cs = 0;
            for (size_t e = 0; e < rs[rows]; e++)
                cs += col[e] == j ? beta[e] : 0.0;
            CU_ASSERT(cs <= 1.0 + 1e-12);
        }
        /* same input, same bits */
        CU_ASSERT_EQUAL(
            bf_jpda_solve(ws, rows, cols, rs, col, lik, lambda, pd, pg, beta2, beta02, &exact), 0);
        CU_ASSERT(memcmp(beta, beta2, rs[rows] * sizeof *beta) == 0);
        CU_ASSERT(memcmp(beta0, beta02, rows * sizeof *beta0) == 0);
    }
    CU_ASSERT(n_full > 100);   /* fully connected clusters were among them */
    bf_jpda_ws_destroy(ws);
}

/*
 * 1x1: beta = G / (1 - PD PG + G), G = PD g / lambda.  PD 0.9, PG 0.99,
 * g 2e-3, lambda 1e-4: G = 18, 1 - PD PG = 0.109, beta = 18 / 18.109.
 *
 * 2x2 with PD 0.5, PG 1 (miss weight 0.5), lambda 0.5 (G = g):
 * g = [[1, 2], [3, -]].  Events and weights: (miss, miss) 0.25, (A, miss)
 * 0.5, (B, miss) 1, (miss, A) 1.5, (B, A) 6; total 9.25.
 *   beta_1A = 0.5/9.25, beta_1B = 7/9.25, beta_10 = 1.75/9.25,
 *   beta_2A = 7.5/9.25, beta_20 = 1.75/9.25.
 */
static void test_hand_cases(void)
{
    struct bf_jpda_ws *ws;
    CU_ASSERT_EQUAL_FATAL(bf_jpda_ws_create(4, 4, &ws), 0);
    double beta[4], beta0[4];
    bool exact;

    uint32_t rs1[] = {0, 1}, c1[] = {0};
    double l1[] = {2e-3};
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, l1, 1e-4, 0.9, 0.99, beta, beta0, &exact), 0);
    CU_ASSERT(exact);
    BF_ASSERT_NEAR(beta[0], 18.0 / 18.109, 1e-12);
    BF_ASSERT_NEAR(beta0[0], 0.109 / 18.109, 1e-12);

    uint32_t rs2[] = {0, 2, 3}, c2[] = {0, 1, 0};
    double l2[] = {1, 2, 3};
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 2, 2, rs2, c2, l2, 0.5, 0.5, 1.0, beta, beta0, &exact), 0);
    CU_ASSERT(exact);
    BF_ASSERT_NEAR(beta[0], 0.5 / 9.25, 1e-15);
    BF_ASSERT_NEAR(beta[1], 7.0 / 9.25, 1e-15);
    BF_ASSERT_NEAR(beta0[0], 1.75 / 9.25, 1e-15);
    BF_ASSERT_NEAR(beta[2], 7.5 / 9.25, 1e-15);
    BF_ASSERT_NEAR(beta0[1], 1.75 / 9.25, 1e-15);

    /* a track with no gated detection: beta0 = 1; zero likelihoods count as ungated */
    uint32_t rs3[] = {0, 0, 1}, c3[] = {1};
    double l3[] = {0.0};
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 2, 2, rs3, c3, l3, 0.5, 0.5, 1.0, beta, beta0, &exact), 0);
    BF_ASSERT_NEAR(beta0[0], 1.0, 0);
    BF_ASSERT_NEAR(beta0[1], 1.0, 1e-15);
    BF_ASSERT_NEAR(beta[0], 0.0, 0);

    /* errors */
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, l1, 0.0, 0.9, 0.99, beta, beta0, &exact), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, l1, 1e-4, 1.0, 1.0, beta, beta0, &exact), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, l1, 1e-4, 0.0, 0.5, beta, beta0, &exact), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, l1, NAN, 0.9, 0.5, beta, beta0, &exact), BF_EINVAL);
    double lneg[] = {-1};
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, lneg, 1e-4, 0.9, 0.5, beta, beta0, &exact), BF_EINVAL);
    uint32_t cbad[] = {3};
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, cbad, l1, 1e-4, 0.9, 0.5, beta, beta0, &exact), BF_EINVAL);
    double lhuge[] = {1e300};
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, 1, rs1, c1, lhuge, 1e-300, 0.9, 0.5, beta, beta0, &exact), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 5, 1, rs1, c1, l1, 1e-4, 0.9, 0.5, beta, beta0, &exact), BF_EFULL);
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 0, 0, NULL, NULL, NULL, 1e-4, 0.9, 0.5, NULL, NULL, &exact), 0);
    CU_ASSERT(exact);
    bf_jpda_ws_destroy(ws);
    bf_jpda_ws_destroy(NULL);
    struct bf_jpda_ws *w2 = (struct bf_jpda_ws *)&exact;
    CU_ASSERT_EQUAL(bf_jpda_ws_create(0, 3, &w2), BF_EINVAL);
    CU_ASSERT_PTR_NULL(w2);
}

/*
 * Above the event bound: cheap JPDA.  One track with 20000 gated detections
 * (bound 20001 > 16384) must give exactly the PDA weights; 8 x 8 fully
 * connected (9^8 events bound) gives probability vectors, and the strongest
 * pairing per track holds the largest weight.
 */
static void test_cheap_fallback(void)
{
    enum { N = 20000 };
    struct bf_jpda_ws *ws;
    CU_ASSERT_EQUAL_FATAL(bf_jpda_ws_create(8, N, &ws), 0);
    static uint32_t col[N];
    static double lik[N], beta[N];
    uint32_t rs[9] = {0, N};
    double beta0[8], sum_g = 0, pd = 0.9, pg = 0.99, lambda = 1e-4;
    for (uint32_t j = 0; j < N; j++) {
        col[j] = j;
        lik[j] = 1e-6 * (1 + j % 7);
        sum_g += pd * lik[j] / lambda;
    }
    bool exact = true;
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 1, N, rs, col, lik, lambda, pd, pg, beta, beta0, &exact), 0);
    CU_ASSERT(!exact);
    double den = 1 - pd * pg + sum_g;
    BF_ASSERT_NEAR(beta0[0], (1 - pd * pg) / den, 1e-12);
    BF_ASSERT_NEAR(beta[5], pd * lik[5] / lambda / den, 1e-15);

    /* 8 x 8: track i strongly gates detection i, weakly all others */
    for (uint32_t i = 0; i <= 8; i++)
        rs[i] = i * 8;
    for (uint32_t i = 0; i < 8; i++) {
        for (uint32_t j = 0; j < 8; j++) {
            col[i * 8 + j] = j;
            lik[i * 8 + j] = i == j ? 1e-3 : 1e-6;
        }
    }
    CU_ASSERT_EQUAL(bf_jpda_solve(ws, 8, 8, rs, col, lik, 1e-5, pd, pg, beta, beta0, &exact), 0);
    CU_ASSERT(!exact);
    for (uint32_t i = 0; i < 8; i++) {
        double s = beta0[i];
        for (uint32_t j = 0; j < 8; j++) {
            CU_ASSERT(beta[i * 8 + j] >= 0);
            s += beta[i * 8 + j];
            if (j != i)
                CU_ASSERT(beta[i * 8 + j] < beta[i * 8 + i]);
        }
        BF_ASSERT_NEAR(s, 1.0, 1e-12);
        CU_ASSERT(beta[i * 8 + i] > 0.9);
    }
    bf_jpda_ws_destroy(ws);
}

static CU_TestInfo jpda_tests[] = {
    {"random clusters up to 4x5 match brute force", test_random_vs_brute},
    {"hand cases 1x1, 2x2, ungated, errors", test_hand_cases},
    {"cheap JPDA above the event bound", test_cheap_fallback},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"jpda", NULL, NULL, NULL, NULL, jpda_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
