/*
 * bench_cluster.c - borderfuse-bench-cluster: how long the tracker's exact
 * assignment takes on one big cluster.
 *
 * The problem: a pile-up (a crowd at the fence, a flock, a clutter storm
 * over many tracks) can put a thousand tracks and a thousand detections in
 * one cluster, and the engine must not stall on it.  The tracker solves every
 * cluster with bf_assign_solve_sparse (tracker/assign.c) on the gated pairs
 * only.  This program builds such a cluster the way the tracker does - costs
 * are squared Mahalanobis distances of gated pairs, uniform in [0, gate^2),
 * gate 3 sigma, a track left out costs 2 gate^2 - either fully dense (every
 * track gates every detection) or with K candidates per track around its own
 * detection, and times the solve (CLOCK_MONOTONIC, repeated, minimum and
 * median).  Seeded: the same options give the same problem.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "core/bf_error.h"
#include "core/bf_opt.h"
#include "tracker/assign.h"

#define PROG "borderfuse-bench-cluster"

static struct bench_rng rng;

static void usage(FILE *f)
{
    fprintf(f,
"usage: borderfuse-bench-cluster [--size N] [--degree K] [--repeat R] [--seed S] [--json]\n"
"\n"
"Time the tracker's exact assignment (global nearest neighbour) on one cluster\n"
"of N tracks x N detections, built as the tracker builds it: gated pairs with\n"
"squared Mahalanobis costs uniform in [0, 9) (gate 3 sigma), a track left out\n"
"at 18.  docs/bench.md has the figures.\n"
"\n"
"  --size N     tracks and detections in the cluster (default 1000)\n"
"  --degree K   candidates per track, around its own detection; 0 = every\n"
"               detection (a fully dense cluster; default 0)\n"
"  --repeat R   solves to time (default 9); the minimum and median are shown\n"
"  --seed S     random seed (default 1)\n"
"  --json       a last line of JSON: size, candidates, solve_ms_min,\n"
"               solve_ms_median, total_cost, assigned, pruned, rounds,\n"
"               fell_back, pairs_solved (how the solver cut the problem)\n"
"  --help       this text\n"
"\n"
"example: borderfuse-bench-cluster --size 1000 --degree 0   # the 1000 x 1000 figure\n");
}

int main(int argc, char **argv)
{
    int64_t n = 1000, degree = 0, repeat = 9, seed = 1;
    bool json = false;
    static const struct option lo[] = {
        {"size", required_argument, NULL, 'n'}, {"degree", required_argument, NULL, 'k'},
        {"repeat", required_argument, NULL, 'r'}, {"seed", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    bool ok = true;
    while (ok && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'n': ok = bf_opt_int(PROG, "--size", optarg, 1, 100000, NULL, &n); break;
        case 'k': ok = bf_opt_int(PROG, "--degree", optarg, 0, INT64_MAX, "(0: all)", &degree); break;
        case 'r': ok = bf_opt_int(PROG, "--repeat", optarg, 1, 1000, NULL, &repeat); break;
        case 's': ok = bf_opt_int(PROG, "--seed", optarg, 0, INT64_MAX, NULL, &seed); break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!ok)
        return 2;
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return 2;
    }
    size_t rows = (size_t)n, k = degree == 0 || degree > n ? (size_t)n : (size_t)degree;
    size_t np = rows * k;
    uint32_t *row_start = malloc((rows + 1) * sizeof *row_start);
    uint32_t *col = malloc(np * sizeof *col);
    double *cost = malloc(np * sizeof *cost);
    int *r2c = malloc(rows * sizeof *r2c);
    double *ms = malloc((size_t)repeat * sizeof *ms);
    struct bf_assign_sparse_ws *ws = NULL;
    if (!row_start || !col || !cost || !r2c || !ms ||
        bf_assign_sparse_ws_create(rows, rows, &ws) < 0) {
        fprintf(stderr, "borderfuse-bench-cluster: out of memory for a %zu x %zu cluster\n", rows,
                rows);
        return 1;
    }
    bench_rng_seed(&rng, (uint64_t)seed);
    size_t e = 0;
    for (size_t i = 0; i < rows; i++) {
        row_start[i] = (uint32_t)e;
        /* the k detections nearest track i's own one: a band around the diagonal */
        size_t first = i >= k / 2 ? i - k / 2 : 0;
        if (first + k > rows)
            first = rows - k;
        for (size_t j = first; j < first + k; j++) {
            col[e] = (uint32_t)j;
            cost[e] = 9.0 * bench_rng_unit(&rng);
            e++;
        }
    }
    row_start[rows] = (uint32_t)e;

    double total = 0;
    size_t assigned = 0;
    for (long r = 0; r < repeat; r++) {
        double t0 = bench_now_ms();
        int rc = bf_assign_solve_sparse(ws, rows, rows, row_start, col, cost, 18.0, r2c, &total);
        ms[r] = bench_now_ms() - t0;
        if (rc < 0) {
            fprintf(stderr, "borderfuse-bench-cluster: the solver failed: %s\n", bf_strerror(rc));
            return 1;
        }
    }
    for (size_t i = 0; i < rows; i++)
        assigned += r2c[i] >= 0;
    struct bf_assign_sparse_info info;
    bf_assign_sparse_last(ws, &info);
    qsort(ms, (size_t)repeat, sizeof *ms, bench_cmp_double);
    printf("cluster %zu tracks x %zu detections, %zu candidate pairs (%s)\n", rows, rows, np,
           k == rows ? "dense" : "banded");
    printf("solve: min %.3f ms, median %.3f ms over %ld solves; %zu assigned, total cost %.4f\n",
           ms[0], ms[repeat / 2], repeat, assigned, total);
    printf("pruned: %s in %u round(s), fell back to the whole problem: %s, pairs worked on: %zu\n",
           info.pruned ? "yes" : "no", info.rounds, info.fell_back ? "yes" : "no", info.entries);
    if (json)
        printf("{\"size\":%zu,\"candidates\":%zu,\"solve_ms_min\":%.4f,\"solve_ms_median\":%.4f,"
               "\"total_cost\":%.6f,\"assigned\":%zu,\"pruned\":%s,\"rounds\":%u,"
               "\"fell_back\":%s,\"pairs_solved\":%zu}\n",
               rows, np, ms[0], ms[repeat / 2], total, assigned, info.pruned ? "true" : "false",
               info.rounds, info.fell_back ? "true" : "false", info.entries);
    bf_assign_sparse_ws_destroy(ws);
    free(row_start);
    free(col);
    free(cost);
    free(r2c);
    free(ms);
    return 0;
}
