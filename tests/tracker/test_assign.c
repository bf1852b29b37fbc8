/*
 * test_assign.c - the exact assignment solver against brute force on
 * hundreds of random small problems, and against hand-worked cases.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "tracker/tracker_int.h"

#define F BF_ASSIGN_FORBIDDEN

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

/* Brute force: every partial assignment, rows in order. */
static double brute(const double *c, size_t rows, size_t cols, double un, size_t i,
                    unsigned used)
{
    if (i == rows)
        return 0;
    double best = un + brute(c, rows, cols, un, i + 1, used);
    for (size_t j = 0; j < cols; j++) {
        if ((used >> j) & 1u)
            continue;
        double x = c[i * cols + j];
        if (!(x < F))
            continue;
        double v = x + brute(c, rows, cols, un, i + 1, used | (1u << j));
        if (v < best)
            best = v;
    }
    return best;
}

/* A solution is valid: columns distinct, allowed, total consistent. */
static void check_solution(const double *c, size_t rows, size_t cols, double un,
                           const int *r2c, double total)
{
    bool *used = calloc(cols + 1, sizeof *used);
    CU_ASSERT_PTR_NOT_NULL_FATAL(used);
    double sum = 0;
    for (size_t i = 0; i < rows; i++) {
        int j = r2c[i];
        CU_ASSERT_FATAL(j >= -1 && j < (int)cols);
        if (j < 0) {
            sum += un;
            continue;
        }
        CU_ASSERT(!used[j]);
        used[j] = true;
        CU_ASSERT(c[i * cols + (size_t)j] < F);
        sum += c[i * cols + (size_t)j];
    }
    free(used);
    BF_ASSERT_NEAR(sum, total, 1e-9);
}

static void test_random_vs_brute(void)
{
    struct bf_assign_ws *ws;
    CU_ASSERT_EQUAL_FATAL(bf_assign_ws_create(6, 6, &ws), 0);
    uint64_t seed = 2024;
    double c[36];
    int r2c[6];
    int n_checked = 0, n_partial = 0;
    for (int trial = 0; trial < 600; trial++) {
        size_t rows = (size_t)(rng_next(&seed) % 7), cols = (size_t)(rng_next(&seed) % 7);
        double p_forbid = rng_unit(&seed) * 0.7;
        int kind = trial % 3;   /* 0: real costs, 1: small integers (ties), 2: with negatives */
        for (size_t e = 0; e < rows * cols; e++) {
            double x;
            if (kind == 0)
                x = rng_unit(&seed) * 10.0;
            else if (kind == 1)
                x = (double)(rng_next(&seed) % 4);
            else
                x = rng_unit(&seed) * 10.0 - 4.0;
            c[e] = rng_unit(&seed) < p_forbid ? F : x;
        }
        if (rows * cols > 0 && trial % 7 == 0)
            c[0] = INFINITY;   /* infinities are forbidden too */
        double un = (kind == 1) ? (double)(rng_next(&seed) % 4) : rng_unit(&seed) * 9.0;
        double total = -1;
        for (size_t i = 0; i < 6; i++)
            r2c[i] = 99;
        CU_ASSERT_EQUAL_FATAL(bf_assign_solve(ws, c, rows, cols, un, r2c, &total), 0);
        double want = brute(c, rows, cols, un, 0, 0);
        BF_ASSERT_NEAR(total, want, 1e-9);
        check_solution(c, rows, cols, un, r2c, total);
        n_checked++;
        for (size_t i = 0; i < rows; i++)
            n_partial += r2c[i] < 0;

        /* same matrix again: same answer (determinism) */
        int r2c2[6];
        double total2;
        CU_ASSERT_EQUAL(bf_assign_solve(ws, c, rows, cols, un, r2c2, &total2), 0);
        CU_ASSERT(memcmp(r2c, r2c2, rows * sizeof *r2c) == 0);
        CU_ASSERT(total == total2);
    }
    CU_ASSERT_EQUAL(n_checked, 600);
    CU_ASSERT(n_partial > 100);   /* the non-assignment option was exercised */
    bf_assign_ws_destroy(ws);
}

static void test_hand_cases(void)
{
    struct bf_assign_ws *ws;
    CU_ASSERT_EQUAL_FATAL(bf_assign_ws_create(4, 4, &ws), 0);
    int r2c[4];
    double total;

    /* Greedy would take (0,0)=1 and then (1,1)=9: 10.  Optimal: (0,1)+(1,0) = 2+3 = 5. */
    double a[] = {1, 2, 3, 9};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, a, 2, 2, 100, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 1);
    CU_ASSERT_EQUAL(r2c[1], 0);
    BF_ASSERT_NEAR(total, 5, 0);

    /* With unassigned cost 3.5, (0,0)=1 and row 1 left out (3.5) = 4.5 beats
     * the full matching (5). */
    CU_ASSERT_EQUAL(bf_assign_solve(ws, a, 2, 2, 3.5, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 0);
    CU_ASSERT_EQUAL(r2c[1], -1);
    BF_ASSERT_NEAR(total, 4.5, 1e-12);

    /* Rectangular, more rows than columns: 3 tracks, 1 detection. */
    double b[] = {5, 2, 7};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, b, 3, 1, 9, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], -1);
    CU_ASSERT_EQUAL(r2c[1], 0);
    CU_ASSERT_EQUAL(r2c[2], -1);
    BF_ASSERT_NEAR(total, 20, 0);

    /* Rectangular, more columns than rows: picks the cheapest column per row. */
    double c[] = {4, 3, 8, 1, 6, 2, 5, 7};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, c, 2, 4, 9, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 3);
    CU_ASSERT_EQUAL(r2c[1], 1);
    BF_ASSERT_NEAR(total, 3, 0);

    /* All forbidden: everybody unassigned. */
    double d[] = {F, F, F, F, F, F};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, d, 2, 3, 9, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], -1);
    CU_ASSERT_EQUAL(r2c[1], -1);
    BF_ASSERT_NEAR(total, 18, 0);

    /* A forbidden entry forces the other pairing even though it is dearer. */
    double e[] = {F, 4, 1, 6};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, e, 2, 2, 9, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 1);
    CU_ASSERT_EQUAL(r2c[1], 0);
    BF_ASSERT_NEAR(total, 5, 0);

    /* Ties: all equal.  Any perfect matching is optimal; the answer must be a
     * permutation and must repeat exactly. */
    double f[16];
    for (int i = 0; i < 16; i++)
        f[i] = 1;
    int r1[4], r2[4];
    CU_ASSERT_EQUAL(bf_assign_solve(ws, f, 4, 4, 9, r1, &total), 0);
    BF_ASSERT_NEAR(total, 4, 0);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, f, 4, 4, 9, r2, &total), 0);
    CU_ASSERT(memcmp(r1, r2, sizeof r1) == 0);
    unsigned seen = 0;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT(r1[i] >= 0 && r1[i] < 4);
        if (r1[i] >= 0)
            seen |= 1u << r1[i];
    }
    CU_ASSERT_EQUAL(seen, 0xFu);

    /* Empty problems. */
    CU_ASSERT_EQUAL(bf_assign_solve(ws, NULL, 0, 3, 9, r2c, &total), 0);
    BF_ASSERT_NEAR(total, 0, 0);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, NULL, 3, 0, 2.5, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], -1);
    CU_ASSERT_EQUAL(r2c[2], -1);
    BF_ASSERT_NEAR(total, 7.5, 0);

    /* NaN entries are forbidden. */
    double g[] = {NAN, 1};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, g, 1, 2, 9, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 1);

    /* Errors: too big for the workspace, bad unassigned cost, NULLs. */
    double big[25] = {0};
    CU_ASSERT_EQUAL(bf_assign_solve(ws, big, 5, 5, 9, r2c, &total), BF_EFULL);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, big, 1, 5, 9, r2c, &total), BF_EFULL);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, a, 2, 2, NAN, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, a, 2, 2, INFINITY, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, a, 2, 2, F, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, a, 2, 2, 9, NULL, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve(NULL, a, 2, 2, 9, r2c, &total), BF_EINVAL);

    bf_assign_ws_destroy(ws);
    bf_assign_ws_destroy(NULL);
    struct bf_assign_ws *w2 = (struct bf_assign_ws *)&total;
    CU_ASSERT_EQUAL(bf_assign_ws_create(0, 4, &w2), BF_EINVAL);
    CU_ASSERT_PTR_NULL(w2);
}

/* A larger problem (40 x 50) against a second, independent formulation:
 * the same costs solved with the dummy columns written out explicitly and a
 * forbidden unassigned cost must give the same optimum. */
static void test_larger_consistency(void)
{
    enum { R = 40, C = 50 };
    struct bf_assign_ws *ws, *ws2;
    CU_ASSERT_EQUAL_FATAL(bf_assign_ws_create(R, C, &ws), 0);
    CU_ASSERT_EQUAL_FATAL(bf_assign_ws_create(R, C + R, &ws2), 0);
    static double c[R * C], cx[R * (C + R)];
    int r2c[R], r2cx[R];
    uint64_t seed = 99;
    for (int trial = 0; trial < 5; trial++) {
        for (int i = 0; i < R * C; i++)
            c[i] = rng_unit(&seed) < 0.8 ? F : rng_unit(&seed) * 9.0;
        double un = 6.0;
        for (int i = 0; i < R; i++) {
            for (int j = 0; j < C + R; j++)
                cx[i * (C + R) + j] = j < C ? c[i * C + j] : (j - C == i ? un : F);
        }
        double t1, t2;
        CU_ASSERT_EQUAL(bf_assign_solve(ws, c, R, C, un, r2c, &t1), 0);
        /* every row can reach its own dummy, so a huge unassigned cost is never used */
        CU_ASSERT_EQUAL(bf_assign_solve(ws2, cx, R, C + R, 1e20, r2cx, &t2), 0);
        BF_ASSERT_NEAR(t1, t2, 1e-9);
        for (int i = 0; i < R; i++)
            CU_ASSERT(r2cx[i] >= 0);
    }
    bf_assign_ws_destroy(ws);
    bf_assign_ws_destroy(ws2);
}

/* ---- sparse form ------------------------------------------------------- */

/* Dense matrix (forbidden entries left out) to compressed rows. */
static size_t to_csr(const double *c, size_t rows, size_t cols, uint32_t *rs, uint32_t *col,
                     double *val)
{
    size_t e = 0;
    for (size_t i = 0; i < rows; i++) {
        rs[i] = (uint32_t)e;
        for (size_t j = 0; j < cols; j++) {
            if (c[i * cols + j] < F) {
                col[e] = (uint32_t)j;
                val[e++] = c[i * cols + j];
            }
        }
    }
    rs[rows] = (uint32_t)e;
    return e;
}

/* The sparse solver on the same random problems as the dense one: brute
 * force optimum, a valid solution, the same answer twice. */
static void test_sparse_vs_brute(void)
{
    struct bf_assign_sparse_ws *ws;
    CU_ASSERT_EQUAL_FATAL(bf_assign_sparse_ws_create(6, 6, &ws), 0);
    uint64_t seed = 4049;
    double c[36], val[36];
    uint32_t rs[7], col[36];
    int r2c[6], r2c2[6];
    int n_partial = 0;
    for (int trial = 0; trial < 1500; trial++) {
        size_t rows = (size_t)(rng_next(&seed) % 7), cols = (size_t)(rng_next(&seed) % 7);
        double p_forbid = rng_unit(&seed) * 0.8;
        int kind = trial % 3;
        for (size_t e = 0; e < rows * cols; e++) {
            double x = kind == 0 ? rng_unit(&seed) * 10.0
                     : kind == 1 ? (double)(rng_next(&seed) % 4)
                                 : rng_unit(&seed) * 10.0 - 4.0;
            c[e] = rng_unit(&seed) < p_forbid ? F : x;
        }
        double un = (kind == 1) ? (double)(rng_next(&seed) % 4) : rng_unit(&seed) * 9.0;
        to_csr(c, rows, cols, rs, col, val);
        double total = -1, total2 = -2;
        CU_ASSERT_EQUAL_FATAL(bf_assign_solve_sparse(ws, rows, cols, rs, col, val, un, r2c, &total), 0);
        BF_ASSERT_NEAR(total, brute(c, rows, cols, un, 0, 0), 1e-9);
        check_solution(c, rows, cols, un, r2c, total);
        for (size_t i = 0; i < rows; i++)
            n_partial += r2c[i] < 0;
        CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, rows, cols, rs, col, val, un, r2c2, &total2), 0);
        CU_ASSERT(memcmp(r2c, r2c2, rows * sizeof *r2c) == 0);
        CU_ASSERT(total == total2);
    }
    CU_ASSERT(n_partial > 200);

    /* hand case: greedy would give 10, optimum 5; a forbidden entry skipped */
    uint32_t hs[] = {0, 2, 4}, hc[] = {0, 1, 0, 1};
    double hv[] = {1, 2, 3, 9}, total;
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 2, 2, hs, hc, hv, 100, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 1);
    CU_ASSERT_EQUAL(r2c[1], 0);
    BF_ASSERT_NEAR(total, 5, 0);
    hv[1] = F;
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 2, 2, hs, hc, hv, 100, r2c, &total), 0);
    CU_ASSERT_EQUAL(r2c[0], 0);
    CU_ASSERT_EQUAL(r2c[1], 1);
    BF_ASSERT_NEAR(total, 10, 0);
    /* errors */
    uint32_t bad_rs[] = {1, 2, 4}, bad_c[] = {0, 7, 0, 1};
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 2, 2, bad_rs, hc, hv, 9, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 2, 2, hs, bad_c, hv, 9, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 2, 2, hs, hc, hv, NAN, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 7, 2, hs, hc, hv, 9, r2c, &total), BF_EFULL);
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(NULL, 2, 2, hs, hc, hv, 9, r2c, &total), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(ws, 0, 2, NULL, NULL, NULL, 9, NULL, &total), 0);
    BF_ASSERT_NEAR(total, 0, 0);
    bf_assign_sparse_ws_destroy(ws);
    bf_assign_sparse_ws_destroy(NULL);
}

/* Larger problems: both solvers on the same costs, with room for 300 x 300. */
enum { BIG = 300 };
static double big_c[BIG * BIG], big_val[BIG * BIG];
static uint32_t big_rs[BIG + 1], big_col[BIG * BIG];
static int big_r2c[BIG], big_r2s[BIG];

/* Solve big_c (rows x cols) with the dense and the sparse solver: equal
 * optima and a valid sparse solution; returns the sparse total. */
static double agree_with_dense(struct bf_assign_ws *ws, struct bf_assign_sparse_ws *sw,
                               size_t rows, size_t cols, double un)
{
    double t1 = -1, t2 = -2;
    to_csr(big_c, rows, cols, big_rs, big_col, big_val);
    CU_ASSERT_EQUAL(bf_assign_solve(ws, big_c, rows, cols, un, big_r2c, &t1), 0);
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(sw, rows, cols, big_rs, big_col, big_val, un, big_r2s,
                                           &t2), 0);
    BF_ASSERT_NEAR(t1, t2, 1e-9);
    check_solution(big_c, rows, cols, un, big_r2s, t2);
    return t2;
}

/* Larger problems, dense and sparse solvers on the same costs: equal optima
 * (60 x 70 at several densities, and 300 x 300 banded like tracker clusters). */
static void test_sparse_vs_dense(void)
{
    struct bf_assign_ws *ws;
    struct bf_assign_sparse_ws *sw;
    CU_ASSERT_EQUAL_FATAL(bf_assign_ws_create(BIG, BIG, &ws), 0);
    CU_ASSERT_EQUAL_FATAL(bf_assign_sparse_ws_create(BIG, BIG, &sw), 0);
    uint64_t seed = 7;
    for (int trial = 0; trial < 12; trial++) {
        size_t rows = trial < 8 ? 60 : BIG, cols = trial < 8 ? 70 : BIG;
        double keep = trial < 8 ? 0.05 + 0.13 * trial : 0.0;
        for (size_t i = 0; i < rows; i++) {
            for (size_t j = 0; j < cols; j++) {
                bool on = trial < 8 ? rng_unit(&seed) < keep
                                    : (j + 3 >= i && j <= i + 3 && rng_unit(&seed) < 0.8);
                big_c[i * cols + j] = on ? rng_unit(&seed) * 9.0 : F;
            }
        }
        agree_with_dense(ws, sw, rows, cols, 18.0);
    }
    bf_assign_ws_destroy(ws);
    bf_assign_sparse_ws_destroy(sw);
}

/* Rows with many candidates are cut to their cheapest few and the cut
 * problem's dual is checked against the rest.  Dense and wide-band random
 * problems (continuous costs, and small integers full of ties) against the
 * dense solver; then structured ones where the check must fail: identical
 * rows need more candidates than the first cut (another round), or more than
 * any cut (the whole problem). */
static void test_sparse_pruned(void)
{
    struct bf_assign_ws *ws;
    struct bf_assign_sparse_ws *sw;
    CU_ASSERT_EQUAL_FATAL(bf_assign_ws_create(BIG, BIG, &ws), 0);
    CU_ASSERT_EQUAL_FATAL(bf_assign_sparse_ws_create(BIG, BIG, &sw), 0);
    struct bf_assign_sparse_info info;
    uint64_t seed = 99;
    int n_pruned = 0, n_rounds2 = 0;
    for (int trial = 0; trial < 24; trial++) {
        size_t rows = 120 + (size_t)(rng_next(&seed) % 121);
        size_t cols = 120 + (size_t)(rng_next(&seed) % 121);
        size_t band = trial % 3 == 0 ? cols : 20 + (size_t)(rng_next(&seed) % 120);
        bool ties = trial % 4 == 1;
        for (size_t i = 0; i < rows; i++) {
            size_t mid = i * cols / rows;
            for (size_t j = 0; j < cols; j++) {
                bool on = j + band / 2 >= mid && j <= mid + band / 2;
                double x = ties ? (double)(rng_next(&seed) % 4) : rng_unit(&seed) * 9.0;
                big_c[i * cols + j] = on ? x : F;
            }
        }
        agree_with_dense(ws, sw, rows, cols, trial % 5 == 2 ? 0.5 : 18.0);
        bf_assign_sparse_last(sw, &info);
        CU_ASSERT(info.pruned);
        CU_ASSERT(!info.fell_back);
        n_pruned += info.pruned;
        n_rounds2 += info.rounds > 1;
    }
    CU_ASSERT_EQUAL(n_pruned, 24);
    CU_ASSERT(n_rounds2 >= 1);   /* some random problem needed a second round */

    /* 30 identical rows over 100 columns, column j costs j: the optimum takes
     * columns 0..29, beyond the first 16 each row keeps */
    size_t cols = 100;
    for (size_t i = 0; i < 100; i++) {
        for (size_t j = 0; j < cols; j++)
            big_c[i * cols + j] = (double)j;
    }
    BF_ASSERT_NEAR(agree_with_dense(ws, sw, 30, cols, 1000.0), 29.0 * 30.0 / 2.0, 0);
    bf_assign_sparse_last(sw, &info);
    CU_ASSERT(info.pruned && info.rounds >= 2 && !info.fell_back);
    /* 100 such rows: more than any row may keep - the whole problem */
    BF_ASSERT_NEAR(agree_with_dense(ws, sw, 100, cols, 1000.0), 99.0 * 100.0 / 2.0, 0);
    bf_assign_sparse_last(sw, &info);
    CU_ASSERT(info.pruned && info.fell_back);
    CU_ASSERT(info.entries >= 100 * cols);   /* the whole problem was worked on */
    /* ... and with a cheap way out the cut problem is right at once: one
     * row takes column 0 (cost 0), the rest stay out at 0.5 */
    BF_ASSERT_NEAR(agree_with_dense(ws, sw, 100, cols, 0.5), 99 * 0.5, 0);
    bf_assign_sparse_last(sw, &info);
    CU_ASSERT(info.pruned && info.rounds == 1 && !info.fell_back);
    /* short rows are never cut */
    uint32_t hs[] = {0, 2, 4}, hc[] = {0, 1, 0, 1};
    double hv[] = {1, 2, 3, 9};
    double t2;
    CU_ASSERT_EQUAL(bf_assign_solve_sparse(sw, 2, 2, hs, hc, hv, 100, big_r2s, &t2), 0);
    BF_ASSERT_NEAR(t2, 5, 0);
    bf_assign_sparse_last(sw, &info);
    CU_ASSERT(!info.pruned && info.rounds == 0 && info.entries == 4);
    bf_assign_ws_destroy(ws);
    bf_assign_sparse_ws_destroy(sw);
}

static CU_TestInfo assign_tests[] = {
    {"sparse: random small problems match brute force", test_sparse_vs_brute},
    {"sparse agrees with dense up to 300x300", test_sparse_vs_dense},
    {"sparse: long rows cut, the dual check, more rounds, the whole problem", test_sparse_pruned},
    {"random small problems match brute force", test_random_vs_brute},
    {"hand cases: rectangular, forbidden, ties, errors", test_hand_cases},
    {"40x50 agrees with explicit dummy columns", test_larger_consistency},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"assign", NULL, NULL, NULL, NULL, assign_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
