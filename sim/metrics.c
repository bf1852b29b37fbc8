/*
 * metrics.c - how far the tracks are from the truth: OSPA and GOSPA.
 *
 * The problem: a tracker's output at one instant is a set of points (track
 * positions) and so is the truth; a single number must say how good the
 * estimate is, counting position error, missed targets and false tracks, and
 * it must not depend on how the two sets happen to be ordered.  OSPA and
 * GOSPA (sim/sim.h has their definitions) both need the optimal assignment
 * between the sets.
 *
 * The approach.  Both reduce to one problem: choose a partial matching of
 * true points to estimates using only pairs at distance d < c, minimising
 *
 *      sum over matched pairs (d^p - c^p).                            (*)
 *
 * GOSPA (alpha = 2): a matching with k pairs costs sum d^p + c^p/2 (m + n - 2k)
 * = c^p/2 (m + n) + (*), and a pair at d >= c is never better than leaving
 * both points out.  OSPA, m <= n: any matching extends to an assignment of
 * all m points at cost min(d, c)^p <= c^p for the added pairs, and back, so
 * min over assignments of sum min(d, c)^p + c^p (n - m) = c^p n + (*).  One
 * optimal matching gives both.
 *
 * (*) falls apart into independent clusters: points linked by pairs below
 * c.  They are found with a grid of cells of side c' slightly above c (any
 * pair below c lies in neighbouring cells; the 1e-6 margin absorbs rounding
 * of e/c' for coordinates below ~1e11 c), the true points sorted by cell and
 * each estimate looking in its 3 x 3 cells, and union-find.  A cluster with
 * one point of each set is matched directly; a bigger one is solved exactly
 * by bf_assign_solve (tracker/assign.c) with rows the smaller side, entries
 * d^p (forbidden at d >= c) and c^p for a row left out, which is (*) plus a
 * constant.  Cost: O((m + n) log m) for the grid and union-find plus the
 * cluster solves; on tracking output clusters are a few points.
 *
 * Invariants: all memory is in the workspace, sized at create; a computation
 * allocates nothing.  Union-find roots are the smallest index of their
 * cluster, so clusters are visited in a fixed order and sums are
 * reproducible bit for bit.
 */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "tracker/assign.h"

#define MAX_POINTS (1u << 24)
#define DEFAULT_CLUSTER 256
#define CELL_MARGIN (1.0 + 1e-6)
#define CELL_CLAMP 1e15   /* cell coordinates are clamped here before conversion */

/* A true point in the grid: its cell and index. */
struct cell_pt {
    int64_t cx, cy;
    uint32_t idx;
};

struct bf_sim_metric_ws {
    size_t max_points, max_cluster;
    struct cell_pt *tsort;       /* [max_points] true points sorted by cell */
    uint32_t *parent;            /* [2 max_points] union-find: truth 0..m-1, est m.. */
    uint32_t *head;              /* [2 max_points] first member of the cluster rooted here */
    uint32_t *next;              /* [2 max_points] next member of the same cluster */
    uint32_t *rows, *cols;       /* [max_cluster] members of one cluster */
    double *cost;                /* [max_cluster^2] */
    int *r2c;                    /* [max_cluster] */
    struct bf_assign_ws *aws;
};

#define NIL UINT32_MAX

int bf_sim_metric_ws_create(size_t max_points, size_t max_cluster, struct bf_sim_metric_ws **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (max_points == 0 || max_points > MAX_POINTS || max_cluster > MAX_POINTS)
        return BF_EINVAL;
    if (max_cluster == 0)
        max_cluster = max_points < DEFAULT_CLUSTER ? max_points : DEFAULT_CLUSTER;
    if (max_cluster > max_points)
        max_cluster = max_points;
    struct bf_sim_metric_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return BF_ENOMEM;
    ws->max_points = max_points;
    ws->max_cluster = max_cluster;
    ws->tsort = malloc(max_points * sizeof *ws->tsort);
    ws->parent = malloc(2 * max_points * sizeof *ws->parent);
    ws->head = malloc(2 * max_points * sizeof *ws->head);
    ws->next = malloc(2 * max_points * sizeof *ws->next);
    ws->rows = malloc(max_cluster * sizeof *ws->rows);
    ws->cols = malloc(max_cluster * sizeof *ws->cols);
    ws->cost = malloc(max_cluster * max_cluster * sizeof *ws->cost);
    ws->r2c = malloc(max_cluster * sizeof *ws->r2c);
    int rc = BF_ENOMEM;
    if (!ws->tsort || !ws->parent || !ws->head || !ws->next || !ws->rows || !ws->cols ||
        !ws->cost || !ws->r2c)
        goto out_destroy;
    rc = bf_assign_ws_create(max_cluster, max_cluster, &ws->aws);
    if (rc < 0)
        goto out_destroy;
    *out = ws;
    return 0;

out_destroy:
    bf_sim_metric_ws_destroy(ws);
    return rc;
}

void bf_sim_metric_ws_destroy(struct bf_sim_metric_ws *ws)
{
    if (!ws)
        return;
    bf_assign_ws_destroy(ws->aws);
    free(ws->tsort);
    free(ws->parent);
    free(ws->head);
    free(ws->next);
    free(ws->rows);
    free(ws->cols);
    free(ws->cost);
    free(ws->r2c);
    free(ws);
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t cell_of(double v, double side)
{
    double q = floor(v / side);
    if (q > CELL_CLAMP)
        q = CELL_CLAMP;
    if (q < -CELL_CLAMP)
        q = -CELL_CLAMP;
    return (int64_t)q;
}

static int cmp_cell(int64_t ax, int64_t ay, int64_t bx, int64_t by)
{
    if (ax != bx)
        return ax < bx ? -1 : 1;
    if (ay != by)
        return ay < by ? -1 : 1;
    return 0;
}

static int cmp_cell_pt(const void *a, const void *b)
{
    const struct cell_pt *x = a, *y = b;
    int c = cmp_cell(x->cx, x->cy, y->cx, y->cy);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* First position in sorted[0..n) whose cell is >= (cx, cy). */
static size_t lower_bound(const struct cell_pt *sorted, size_t n, int64_t cx, int64_t cy)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_cell(sorted[mid].cx, sorted[mid].cy, cx, cy) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t find_root(uint32_t *parent, uint32_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];   /* path halving */
        i = parent[i];
    }
    return i;
}

/* Link the clusters of a and b; the smaller index stays the root. */
static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    uint32_t ra = find_root(parent, a), rb = find_root(parent, b);
    if (ra == rb)
        return;
    if (ra < rb)
        parent[rb] = ra;
    else
        parent[ra] = rb;
}

static double dist(const struct bf_sim_xy *a, const struct bf_sim_xy *b)
{
    return hypot(a->e_m - b->e_m, a->n_m - b->n_m);
}

static double pow_p(double d, double p)
{
    if (p == 1.0)
        return d;
    if (p == 2.0)
        return d * d;
    return pow(d, p);
}

static double root_p(double v, double p)
{
    if (p == 1.0)
        return v;
    if (p == 2.0)
        return sqrt(v);
    return pow(v, 1.0 / p);
}

static void set_invalid(struct bf_sim_metric *out)
{
    *out = (struct bf_sim_metric){.ospa = NAN, .gospa = NAN, .gospa_loc = NAN,
                                  .gospa_missed = NAN, .gospa_false = NAN};
}

/*
 * Solve one cluster: true points tr[0..nt), estimates es[0..ne) (indexes
 * into truth and est).  Adds the matched pairs to *k and their d^p to *loc.
 */
static int solve_cluster(struct bf_sim_metric_ws *ws, const struct bf_sim_xy *est,
                         const struct bf_sim_xy *truth, const uint32_t *tr, size_t nt,
                         const uint32_t *es, size_t ne, double c, double p, double cp,
                         size_t *k, double *loc)
{
    if (nt == 1 && ne == 1) {   /* linked, so d < c */
        *loc += pow_p(dist(&truth[tr[0]], &est[es[0]]), p);
        (*k)++;
        return 0;
    }
    bool tr_rows = nt <= ne;
    size_t rows = tr_rows ? nt : ne, cols = tr_rows ? ne : nt;
    const uint32_t *ri = tr_rows ? tr : es, *ci = tr_rows ? es : tr;
    const struct bf_sim_xy *rp = tr_rows ? truth : est, *cpnt = tr_rows ? est : truth;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            double d = dist(&rp[ri[i]], &cpnt[ci[j]]);
            ws->cost[i * cols + j] = d < c ? pow_p(d, p) : BF_ASSIGN_FORBIDDEN;
        }
    }
    int rc = bf_assign_solve(ws->aws, ws->cost, rows, cols, cp, ws->r2c, NULL);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < rows; i++) {
        if (ws->r2c[i] < 0)
            continue;
        *loc += ws->cost[i * cols + (size_t)ws->r2c[i]];
        (*k)++;
    }
    return 0;
}

/* ---- the metrics ----------------------------------------------------------- */

int bf_sim_metric_compute(struct bf_sim_metric_ws *ws, const struct bf_sim_xy *est, size_t n_est,
                          const struct bf_sim_xy *truth, size_t n_truth, double c_m, double p,
                          struct bf_sim_metric *out)
{
    if (!out)
        return BF_EINVAL;
    set_invalid(out);
    if (!ws || (n_est && !est) || (n_truth && !truth) || !isfinite(c_m) || !(c_m > 0) ||
        !isfinite(p) || !(p >= 1))
        return BF_EINVAL;
    if (n_est > ws->max_points || n_truth > ws->max_points)
        return BF_EFULL;
    for (size_t i = 0; i < n_est; i++)
        if (!isfinite(est[i].e_m) || !isfinite(est[i].n_m))
            return BF_EINVAL;
    for (size_t i = 0; i < n_truth; i++)
        if (!isfinite(truth[i].e_m) || !isfinite(truth[i].n_m))
            return BF_EINVAL;

    const double cp = pow_p(c_m, p);
    const double side = c_m * CELL_MARGIN;
    const uint32_t m = (uint32_t)n_truth, n = (uint32_t)n_est, total = m + n;

    /* clusters: truth 0..m-1, estimates m..m+n-1 */
    for (uint32_t i = 0; i < total; i++)
        ws->parent[i] = i;
    for (uint32_t i = 0; i < m; i++)
        ws->tsort[i] = (struct cell_pt){.cx = cell_of(truth[i].e_m, side),
                                        .cy = cell_of(truth[i].n_m, side), .idx = i};
    if (m > 1)
        qsort(ws->tsort, m, sizeof *ws->tsort, cmp_cell_pt);
    for (uint32_t j = 0; j < n && m > 0; j++) {
        int64_t cx = cell_of(est[j].e_m, side), cy = cell_of(est[j].n_m, side);
        for (int64_t dx = -1; dx <= 1; dx++) {
            for (int64_t dy = -1; dy <= 1; dy++) {
                size_t s = lower_bound(ws->tsort, m, cx + dx, cy + dy);
                for (; s < m && ws->tsort[s].cx == cx + dx && ws->tsort[s].cy == cy + dy; s++) {
                    uint32_t i = ws->tsort[s].idx;
                    if (dist(&truth[i], &est[j]) < c_m)
                        unite(ws->parent, i, m + j);
                }
            }
        }
    }
    /* member lists per root, ascending (built backwards) */
    for (uint32_t i = 0; i < total; i++)
        ws->head[i] = NIL;
    for (uint32_t i = total; i-- > 0;) {
        uint32_t r = find_root(ws->parent, i);
        ws->next[i] = ws->head[r];
        ws->head[r] = i;
    }

    size_t k = 0;
    double loc = 0;
    for (uint32_t r = 0; r < total; r++) {
        if (ws->head[r] == NIL || ws->head[r] >= m)   /* not a root, or no true point */
            continue;
        size_t nt = 0, ne = 0;
        for (uint32_t i = ws->head[r]; i != NIL; i = ws->next[i]) {
            if (i < m) {
                if (nt == ws->max_cluster)
                    goto out_full;
                ws->rows[nt++] = i;
            } else {
                if (ne == ws->max_cluster)
                    goto out_full;
                ws->cols[ne++] = i - m;
            }
        }
        if (ne == 0)
            continue;
        int rc = solve_cluster(ws, est, truth, ws->rows, nt, ws->cols, ne, c_m, p, cp, &k, &loc);
        if (rc < 0) {
            set_invalid(out);
            return rc;
        }
    }

    size_t nmax = m > n ? m : n;
    out->n_assigned = k;
    out->n_missed = m - k;
    out->n_false = n - k;
    out->gospa_loc = loc;
    out->gospa_missed = 0.5 * cp * (double)(m - k);
    out->gospa_false = 0.5 * cp * (double)(n - k);
    out->gospa = root_p(out->gospa_loc + out->gospa_missed + out->gospa_false, p);
    out->ospa = nmax == 0 ? 0.0 : root_p((loc + cp * (double)(nmax - k)) / (double)nmax, p);
    return 0;

out_full:
    set_invalid(out);
    return BF_EFULL;
}

/* ---- running average ---------------------------------------------------------- */

void bf_sim_metric_avg_add(struct bf_sim_metric_avg *a, const struct bf_sim_metric *m)
{
    a->scans++;
    a->ospa += m->ospa;
    a->gospa += m->gospa;
    a->gospa_loc += m->gospa_loc;
    a->gospa_missed += m->gospa_missed;
    a->gospa_false += m->gospa_false;
    a->n_assigned += (double)m->n_assigned;
    a->n_missed += (double)m->n_missed;
    a->n_false += (double)m->n_false;
}

uint64_t bf_sim_metric_avg_mean(const struct bf_sim_metric_avg *a, struct bf_sim_metric *out)
{
    if (a->scans == 0) {
        set_invalid(out);
        return 0;
    }
    double s = (double)a->scans;
    *out = (struct bf_sim_metric){
        .ospa = a->ospa / s,
        .gospa = a->gospa / s,
        .gospa_loc = a->gospa_loc / s,
        .gospa_missed = a->gospa_missed / s,
        .gospa_false = a->gospa_false / s,
        .n_assigned = (size_t)llround(a->n_assigned / s),
        .n_missed = (size_t)llround(a->n_missed / s),
        .n_false = (size_t)llround(a->n_false / s),
    };
    return a->scans;
}
