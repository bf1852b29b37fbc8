/*
 * assign.c - the data associator's solver: exact minimum-cost assignment of
 * tracks (rows) to detections (columns) where a track may also stay
 * unassigned, at a fixed cost.
 *
 * The problem: global nearest neighbour must pick, for one cluster of tracks
 * and detections, the pairing with the smallest total cost; a greedy choice
 * (closest pair first) is not optimal once gates overlap.  The rectangular
 * problem with non-assignment is made square-free by giving every row its
 * own way out: the columns are extended with `rows` dummy columns that every
 * row may take at unassigned_cost (they are interchangeable, so one cost per
 * dummy suffices).  Every row can then always be assigned, rows <= columns,
 * and the problem is solved exactly by the shortest augmenting path method
 * of Jonker and Volgenant in the rectangular form described by Crouse
 * ("On implementing 2D rectangular assignment algorithms", IEEE TAES 2016):
 *
 *   for each row in turn, a Dijkstra search over reduced costs
 *   c(i,j) - u(i) - v(j) finds the cheapest alternating path from that row to
 *   a free column; the dual potentials u, v are updated so that reduced
 *   costs stay >= 0 on the rows already assigned, and the path is flipped.
 *
 * Forbidden entries (>= BF_ASSIGN_FORBIDDEN, or NaN) are simply never
 * relaxed.  Each search is O(rows * (cols + rows)), so a solve is
 * O(rows^2 (cols + rows)); clusters are small.  All memory lives in the
 * workspace, sized once; a solve never allocates.
 *
 * Ties: among columns at the same path cost a free column is preferred (it
 * ends the search), then the lowest position in the scan list; the scan list
 * order depends only on the matrix, so equal input gives equal output.
 */
#include <math.h>
#include <stdlib.h>

#include "core/bf_error.h"
#include "tracker/tracker_int.h"

struct bf_assign_ws {
    size_t max_rows, max_cols;   /* max_cols excludes the dummies */
    double *u;                   /* [max_rows] row potentials */
    double *v;                   /* [max_cols + max_rows] column potentials */
    double *spc;                 /* shortest path cost to each column */
    int *path;                   /* row that reaches each column on the path */
    int *row4col;                /* row assigned to each column, -1 free */
    int *col4row;                /* [max_rows] column assigned to each row */
    int *remaining;              /* columns not yet reached in this search */
    unsigned char *sr;           /* [max_rows] row reached in this search */
    unsigned char *sc;           /* column reached in this search */
};

int bf_assign_ws_create(size_t max_rows, size_t max_cols, struct bf_assign_ws **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (max_rows == 0 || max_cols == 0 || max_rows > (1u << 20) || max_cols > (1u << 20))
        return BF_EINVAL;
    struct bf_assign_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return BF_ENOMEM;
    size_t nx = max_cols + max_rows;
    ws->max_rows = max_rows;
    ws->max_cols = max_cols;
    ws->u = malloc(max_rows * sizeof *ws->u);
    ws->v = malloc(nx * sizeof *ws->v);
    ws->spc = malloc(nx * sizeof *ws->spc);
    ws->path = malloc(nx * sizeof *ws->path);
    ws->row4col = malloc(nx * sizeof *ws->row4col);
    ws->col4row = malloc(max_rows * sizeof *ws->col4row);
    ws->remaining = malloc(nx * sizeof *ws->remaining);
    ws->sr = malloc(max_rows);
    ws->sc = malloc(nx);
    if (!ws->u || !ws->v || !ws->spc || !ws->path || !ws->row4col || !ws->col4row ||
        !ws->remaining || !ws->sr || !ws->sc) {
        bf_assign_ws_destroy(ws);
        return BF_ENOMEM;
    }
    *out = ws;
    return 0;
}

void bf_assign_ws_destroy(struct bf_assign_ws *ws)
{
    if (!ws)
        return;
    free(ws->u);
    free(ws->v);
    free(ws->spc);
    free(ws->path);
    free(ws->row4col);
    free(ws->col4row);
    free(ws->remaining);
    free(ws->sr);
    free(ws->sc);
    free(ws);
}

/* Cost of row i, extended column j; returns false when forbidden. */
static inline bool entry(const double *cost, size_t cols, double unassigned, size_t i, size_t j,
                         double *c)
{
    if (j >= cols) {
        *c = unassigned;
        return true;
    }
    double x = cost[i * cols + j];
    if (!(x < BF_ASSIGN_FORBIDDEN))   /* also catches NaN */
        return false;
    *c = x;
    return true;
}

int bf_assign_solve(struct bf_assign_ws *ws, const double *cost, size_t rows, size_t cols,
                    double unassigned_cost, int *row_to_col, double *total)
{
    if (!ws || (rows > 0 && (!row_to_col || (cols > 0 && !cost))))
        return BF_EINVAL;
    if (!isfinite(unassigned_cost) || !(unassigned_cost < BF_ASSIGN_FORBIDDEN))
        return BF_EINVAL;
    if (rows > ws->max_rows || cols > ws->max_cols)
        return BF_EFULL;
    if (total)
        *total = 0;
    if (rows == 0)
        return 0;

    size_t nx = cols + rows;
    double *u = ws->u, *v = ws->v, *spc = ws->spc;
    int *path = ws->path, *row4col = ws->row4col, *col4row = ws->col4row;
    int *remaining = ws->remaining;
    unsigned char *sr = ws->sr, *sc = ws->sc;

    for (size_t i = 0; i < rows; i++) {
        u[i] = 0;
        col4row[i] = -1;
    }
    for (size_t j = 0; j < nx; j++) {
        v[j] = 0;
        row4col[j] = -1;
    }

    for (size_t cur = 0; cur < rows; cur++) {
        for (size_t j = 0; j < nx; j++) {
            spc[j] = INFINITY;
            path[j] = -1;
            sc[j] = 0;
            remaining[j] = (int)(nx - 1 - j);   /* scanned from the end: column 0 first */
        }
        for (size_t i = 0; i < rows; i++)
            sr[i] = 0;
        size_t n_rem = nx;
        double min_val = 0;
        size_t i = cur;
        int sink = -1;

        while (sink < 0) {
            sr[i] = 1;
            double lowest = INFINITY;
            size_t at = n_rem;
            for (size_t k = n_rem; k-- > 0;) {
                size_t j = (size_t)remaining[k];
                double c;
                if (entry(cost, cols, unassigned_cost, i, j, &c)) {
                    double r = min_val + c - u[i] - v[j];
                    if (r < spc[j]) {
                        path[j] = (int)i;
                        spc[j] = r;
                    }
                }
                if (spc[j] < lowest ||
                    (spc[j] == lowest && lowest < INFINITY && row4col[j] < 0 &&
                     row4col[remaining[at]] >= 0)) {
                    lowest = spc[j];
                    at = k;
                }
            }
            if (!(lowest < INFINITY))   /* cannot happen: dummies are always open */
                return BF_EINVAL;
            min_val = lowest;
            size_t j = (size_t)remaining[at];
            if (row4col[j] < 0)
                sink = (int)j;
            else
                i = (size_t)row4col[j];
            sc[j] = 1;
            remaining[at] = remaining[--n_rem];
        }

        /* Dual update keeps c - u - v >= 0 on assigned pairs, == 0 on the path. */
        u[cur] += min_val;
        for (size_t r = 0; r < rows; r++) {
            if (sr[r] && r != cur)
                u[r] += min_val - spc[col4row[r]];
        }
        for (size_t j = 0; j < nx; j++) {
            if (sc[j])
                v[j] -= min_val - spc[j];
        }

        /* Flip the alternating path back from the sink. */
        int j = sink;
        for (;;) {
            int r = path[j];
            row4col[j] = r;
            int prev = col4row[r];
            col4row[r] = j;
            j = prev;
            if ((size_t)r == cur)
                break;
        }
    }

    double sum = 0;
    for (size_t i = 0; i < rows; i++) {
        int j = col4row[i];
        if (j >= 0 && (size_t)j < cols) {
            row_to_col[i] = j;
            sum += cost[i * cols + (size_t)j];
        } else {
            row_to_col[i] = -1;
            sum += unassigned_cost;
        }
    }
    if (total)
        *total = sum;
    return 0;
}

/* ---- sparse form ----------------------------------------------------------
 *
 * The same method over adjacency lists: only the allowed entries are stored
 * (compressed rows), every row has a private dummy column (extended column
 * cols + i) at unassigned_cost, and each search is Dijkstra with an indexed
 * binary heap over the extended columns it reaches.  Everything a search
 * touches is listed and reset afterwards, so a search costs what it visits:
 * O(E' log V') for the E' entries of the rows it reaches, not O(rows x cols).
 * Tracker clusters are sparse (a track gates a few detections), so a cluster
 * of n tracks and n detections costs about O(n log n) when the gates are
 * local.  Heap order: path cost, then free column before assigned one, then
 * column number: deterministic.  A dense cluster is first cut to each row's
 * cheapest entries and the cut proven optimal by its dual (see "Pruning"
 * below), so even a 1000 x 1000 pile-up is solved on 16 000 pairs.
 */

#define PRUNE_K 16     /* entries a long row keeps at first */
#define PRUNE_MAX 64   /* and at most, before the whole problem is solved */

struct bf_assign_sparse_ws {
    size_t max_rows, max_cols;
    double *u;           /* [max_rows] */
    int *col4row;        /* [max_rows] extended column of each row, -1 none */
    unsigned char *sr;   /* [max_rows] row reached in this search */
    uint32_t *vis;       /* [max_rows] rows reached, in order */
    double *v;           /* [nx] column potentials */
    double *spc;         /* [nx] path cost; valid where touched */
    int *path;           /* [nx] row that reaches the column */
    int *row4col;        /* [nx] row assigned, -1 free */
    int *hpos;           /* [nx] position in the heap, -1 not in it */
    unsigned char *st;   /* [nx] 0 untouched, 1 in the heap / reached, 2 scanned */
    uint32_t *touched;   /* [nx] columns touched in this search */
    uint32_t *heap;      /* [nx] */
    /* the pruned problem (see keep_row()): row i's cheapest entries at i * PRUNE_MAX */
    uint32_t *pr_beg;    /* [max_rows] */
    uint32_t *pr_end;    /* [max_rows] */
    uint32_t *pr_col;    /* [max_rows * PRUNE_MAX] */
    double *pr_cost;     /* [max_rows * PRUNE_MAX] */
    double *thr;         /* [max_rows] every entry left out costs >= thr, INFINITY none */
    uint8_t *keep;       /* [max_rows] entries a row may keep */
    struct bf_assign_sparse_info info;
};

int bf_assign_sparse_ws_create(size_t max_rows, size_t max_cols, struct bf_assign_sparse_ws **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (max_rows == 0 || max_cols == 0 || max_rows > (1u << 24) || max_cols > (1u << 24))
        return BF_EINVAL;
    struct bf_assign_sparse_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return BF_ENOMEM;
    size_t nx = max_cols + max_rows;
    ws->max_rows = max_rows;
    ws->max_cols = max_cols;
    ws->u = malloc(max_rows * sizeof *ws->u);
    ws->col4row = malloc(max_rows * sizeof *ws->col4row);
    ws->sr = calloc(max_rows, 1);
    ws->vis = malloc(max_rows * sizeof *ws->vis);
    ws->v = malloc(nx * sizeof *ws->v);
    ws->spc = malloc(nx * sizeof *ws->spc);
    ws->path = malloc(nx * sizeof *ws->path);
    ws->row4col = malloc(nx * sizeof *ws->row4col);
    ws->hpos = malloc(nx * sizeof *ws->hpos);
    ws->st = calloc(nx, 1);
    ws->touched = malloc(nx * sizeof *ws->touched);
    ws->heap = malloc(nx * sizeof *ws->heap);
    ws->pr_beg = malloc(max_rows * sizeof *ws->pr_beg);
    ws->pr_end = malloc(max_rows * sizeof *ws->pr_end);
    ws->pr_col = malloc(max_rows * PRUNE_MAX * sizeof *ws->pr_col);
    ws->pr_cost = malloc(max_rows * PRUNE_MAX * sizeof *ws->pr_cost);
    ws->thr = malloc(max_rows * sizeof *ws->thr);
    ws->keep = malloc(max_rows);
    if (!ws->u || !ws->col4row || !ws->sr || !ws->vis || !ws->v || !ws->spc || !ws->path ||
        !ws->row4col || !ws->hpos || !ws->st || !ws->touched || !ws->heap || !ws->pr_beg ||
        !ws->pr_end || !ws->pr_col || !ws->pr_cost || !ws->thr || !ws->keep) {
        bf_assign_sparse_ws_destroy(ws);
        return BF_ENOMEM;
    }
    *out = ws;
    return 0;
}

void bf_assign_sparse_ws_destroy(struct bf_assign_sparse_ws *ws)
{
    if (!ws)
        return;
    free(ws->u);
    free(ws->col4row);
    free(ws->sr);
    free(ws->vis);
    free(ws->v);
    free(ws->spc);
    free(ws->path);
    free(ws->row4col);
    free(ws->hpos);
    free(ws->st);
    free(ws->touched);
    free(ws->heap);
    free(ws->pr_beg);
    free(ws->pr_end);
    free(ws->keep);
    free(ws->pr_col);
    free(ws->pr_cost);
    free(ws->thr);
    free(ws);
}

/* Heap order: a before b. */
static inline bool h_less(const struct bf_assign_sparse_ws *ws, uint32_t a, uint32_t b)
{
    if (ws->spc[a] != ws->spc[b])
        return ws->spc[a] < ws->spc[b];
    bool fa = ws->row4col[a] < 0, fb = ws->row4col[b] < 0;
    if (fa != fb)
        return fa;
    return a < b;
}

static void h_up(struct bf_assign_sparse_ws *ws, size_t k)
{
    uint32_t x = ws->heap[k];
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (!h_less(ws, x, ws->heap[p]))
            break;
        ws->heap[k] = ws->heap[p];
        ws->hpos[ws->heap[k]] = (int)k;
        k = p;
    }
    ws->heap[k] = x;
    ws->hpos[x] = (int)k;
}

static void h_down(struct bf_assign_sparse_ws *ws, size_t k, size_t n)
{
    uint32_t x = ws->heap[k];
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h_less(ws, ws->heap[c + 1], ws->heap[c]))
            c++;
        if (!h_less(ws, ws->heap[c], x))
            break;
        ws->heap[k] = ws->heap[c];
        ws->hpos[ws->heap[k]] = (int)k;
        k = c;
    }
    ws->heap[k] = x;
    ws->hpos[x] = (int)k;
}

/* Offer path cost r to extended column j from row i. */
static inline void relax(struct bf_assign_sparse_ws *ws, size_t *n_heap, size_t *n_touch, uint32_t j,
                         double r, int i)
{
    if (ws->st[j] == 0) {
        ws->st[j] = 1;
        ws->touched[(*n_touch)++] = j;
        ws->spc[j] = r;
        ws->path[j] = i;
        ws->heap[*n_heap] = j;
        ws->hpos[j] = (int)*n_heap;
        h_up(ws, (*n_heap)++);
    } else if (ws->st[j] == 1 && r < ws->spc[j]) {
        ws->spc[j] = r;
        ws->path[j] = i;
        h_up(ws, (size_t)ws->hpos[j]);
    }
}

/*
 * Augmenting row reduction (the initialisation of Jonker and Volgenant's
 * LAPJV), ARR_PASSES passes from zero prices: a free row takes the column
 * where its reduced cost c - v is lowest (u1) and lowers that column's price by the
 * gap to its second lowest (u2), so that the row's choice stays tight; the
 * row it displaces is processed next (u1 < u2) or in the next pass (a tie).
 * Afterwards u = c - v on each assigned pair, which is then every row's
 * minimum: reduced costs are >= 0 on all entries of assigned rows and 0 on
 * the pairs, the invariant the augmentation phase needs.  The steps per pass
 * are capped (ARR_STEPS_PER_ROW per row) so the phase is bounded whatever
 * the ties; rows it leaves free are augmented by shortest paths.  Prices
 * only fall, and only on columns that are then assigned (and stay so), so
 * every free column keeps v = 0: the dual stays that of the rectangular
 * problem.  (LAPJV's column reduction would price columns that may end
 * free, which the rectangular problem does not allow.)  Uses vis[] as the
 * free list.
 */
/* The rows a solve works on: row i's entries are e in [beg[i], end[i]).  The
 * caller's compressed rows (end = row_start + 1) or the pruned copy. */
struct rows_view {
    const uint32_t *beg, *end, *col;
    const double *cost;
};

#define ARR_PASSES 4
#define ARR_STEPS_PER_ROW 4

static void row_reduction(struct bf_assign_sparse_ws *ws, size_t rows, size_t cols,
                          const struct rows_view *p,
                          double unassigned)
{
    uint32_t *fr = ws->vis;
    size_t n_free = 0;
    for (size_t i = 0; i < rows; i++)
        fr[n_free++] = (uint32_t)i;
    for (int pass = 0; pass < ARR_PASSES && n_free > 0; pass++) {
        size_t k = 0, prv = n_free, steps = 0, cap = ARR_STEPS_PER_ROW * rows;
        n_free = 0;
        while (k < prv) {
            uint32_t i = fr[k++];
            double u1 = INFINITY, u2 = INFINITY;
            int64_t j1 = -1, j2 = -1;
            for (uint32_t e = p->beg[i]; e <= p->end[i]; e++) {
                uint32_t j;
                double c;
                if (e == p->end[i]) {
                    j = (uint32_t)(cols + i);
                    c = unassigned;
                } else {
                    c = p->cost[e];
                    if (!(c < BF_ASSIGN_FORBIDDEN))
                        continue;
                    j = p->col[e];
                }
                double h = c - ws->v[j];
                if (h < u2) {
                    if (h >= u1) {
                        u2 = h;
                        j2 = j;
                    } else {
                        u2 = u1;
                        j2 = j1;
                        u1 = h;
                        j1 = j;
                    }
                }
            }
            int i0 = ws->row4col[j1];
            bool strict = u1 < u2;
            if (strict) {
                if (u2 < INFINITY)
                    ws->v[j1] -= u2 - u1;
            } else if (i0 >= 0 && j2 >= 0) {
                j1 = j2;
                i0 = ws->row4col[j1];
            }
            if (i0 >= 0)
                ws->col4row[i0] = -1;
            ws->row4col[j1] = (int)i;
            ws->col4row[i] = (int)j1;
            if (i0 >= 0) {
                if (strict && ++steps < cap)
                    fr[--k] = (uint32_t)i0;
                else
                    fr[n_free++] = (uint32_t)i0;
            }
        }
    }
    for (size_t i = 0; i < rows; i++) {
        int j = ws->col4row[i];
        if (j < 0)
            continue;
        double c = unassigned;
        if ((size_t)j < cols) {
            c = INFINITY;
            for (uint32_t e = p->beg[i]; e < p->end[i]; e++) {
                if (p->col[e] == (uint32_t)j && p->cost[e] < c)
                    c = p->cost[e];
            }
        }
        ws->u[i] = c - ws->v[j];
    }
}

/* Reset the dual and the assignment, reduce, then augment every row the
 * reduction left free by a shortest path.  Leaves u, v, col4row, row4col. */
static int solve_csr(struct bf_assign_sparse_ws *ws, size_t rows, size_t cols,
                     const struct rows_view *p,
                     double unassigned_cost)
{
    size_t nx = cols + rows;
    for (size_t i = 0; i < rows; i++) {
        ws->u[i] = 0;
        ws->col4row[i] = -1;
    }
    for (size_t j = 0; j < nx; j++) {
        ws->v[j] = 0;
        ws->row4col[j] = -1;
    }
    row_reduction(ws, rows, cols, p, unassigned_cost);

    for (size_t cur = 0; cur < rows; cur++) {
        if (ws->col4row[cur] >= 0)
            continue;   /* assigned by the reduction */
        size_t n_heap = 0, n_touch = 0, n_vis = 0;
        double min_val = 0;
        int i = (int)cur;
        int sink = -1;
        while (sink < 0) {
            ws->sr[i] = 1;
            ws->vis[n_vis++] = (uint32_t)i;
            double base = min_val - ws->u[i];
            for (uint32_t e = p->beg[i]; e < p->end[i]; e++) {
                double c = p->cost[e];
                if (!(c < BF_ASSIGN_FORBIDDEN))
                    continue;
                uint32_t j = p->col[e];
                if (ws->st[j] != 2)
                    relax(ws, &n_heap, &n_touch, j, base + c - ws->v[j], i);
            }
            uint32_t d = (uint32_t)(cols + (size_t)i);
            if (ws->st[d] != 2)
                relax(ws, &n_heap, &n_touch, d, base + unassigned_cost - ws->v[d], i);
            if (n_heap == 0)   /* cannot happen: a row's own dummy is open */
                return BF_EINVAL;
            uint32_t j = ws->heap[0];
            ws->heap[0] = ws->heap[--n_heap];
            if (n_heap > 0) {
                ws->hpos[ws->heap[0]] = 0;
                h_down(ws, 0, n_heap);
            }
            ws->hpos[j] = -1;
            ws->st[j] = 2;
            min_val = ws->spc[j];
            if (ws->row4col[j] < 0)
                sink = (int)j;
            else
                i = ws->row4col[j];
        }

        /* dual update over what the search reached, then reset it */
        ws->u[cur] += min_val;
        for (size_t k = 0; k < n_vis; k++) {
            uint32_t r = ws->vis[k];
            if (r != cur)
                ws->u[r] += min_val - ws->spc[ws->col4row[r]];
            ws->sr[r] = 0;
        }
        for (size_t k = 0; k < n_touch; k++) {
            uint32_t j = ws->touched[k];
            if (ws->st[j] == 2)
                ws->v[j] -= min_val - ws->spc[j];
            ws->st[j] = 0;
            ws->hpos[j] = -1;
        }

        /* flip the alternating path */
        int j = sink;
        for (;;) {
            int r = ws->path[j];
            ws->row4col[j] = r;
            int prev = ws->col4row[r];
            ws->col4row[r] = j;
            j = prev;
            if ((size_t)r == cur)
                break;
        }
    }
    return 0;
}

/*
 * Pruning with a dual check.  A track that gates many detections is almost
 * never assigned to one far down its list: the optimum of a dense cluster
 * lives among each row's few cheapest entries.  So a row with more than
 * PRUNE_K allowed entries keeps only its PRUNE_K cheapest (thr[i] = the
 * dearest kept, so every entry left out costs >= thr[i]) and the pruned
 * problem is solved.  Its optimum is the optimum of the whole problem when
 * its final dual (u, v) is feasible on the entries left out too, i.e.
 * c - u[i] - v[j] >= 0 for each (linear programming duality: a feasible
 * dual in complementary slackness with a primal solution proves both
 * optimal).  Column potentials only fall from 0 (v <= 0), so u[i] <= thr[i]
 * proves it for a whole row at once; a row where it does not hold has its
 * left-out entries checked one by one.  A row with a violated entry keeps
 * twice as many and the pruned problem is solved again; a row that would
 * need more than PRUNE_MAX sends the whole problem to the unpruned solve.
 * The answer is exact either way; bf_assign_sparse_last says what it took.
 * Kept entries sit at a fixed stride, PRUNE_MAX per row, so a row can grow
 * without moving the others.
 */

/* a before b in the keep heap (a max-heap by cost; ties: the later entry is
 * the larger, so the choice is deterministic) */
static inline bool kept_after(const double *kc, const uint32_t *ke, size_t a, size_t b)
{
    return kc[a] > kc[b] || (kc[a] == kc[b] && ke[a] > ke[b]);
}

static inline void keep_swap(double *kc, uint32_t *ke, size_t a, size_t b)
{
    double tc = kc[a];
    kc[a] = kc[b];
    kc[b] = tc;
    uint32_t te = ke[a];
    ke[a] = ke[b];
    ke[b] = te;
}

static void keep_push(double *kc, uint32_t *ke, size_t n, double c, uint32_t e)
{
    size_t k = n;
    kc[k] = c;
    ke[k] = e;
    while (k > 0 && kept_after(kc, ke, k, (k - 1) / 2)) {
        keep_swap(kc, ke, k, (k - 1) / 2);
        k = (k - 1) / 2;
    }
}

static void keep_replace_top(double *kc, uint32_t *ke, size_t n, double c, uint32_t e)
{
    size_t k = 0;
    kc[0] = c;
    ke[0] = e;
    for (;;) {
        size_t l = 2 * k + 1, m = k;
        if (l < n && kept_after(kc, ke, l, m))
            m = l;
        if (l + 1 < n && kept_after(kc, ke, l + 1, m))
            m = l + 1;
        if (m == k)
            break;
        keep_swap(kc, ke, k, m);
        k = m;
    }
}

/* Keep row i's `keep` cheapest allowed entries in its slot, in entry order. */
static void keep_row(struct bf_assign_sparse_ws *ws, size_t i, size_t keep,
                     const uint32_t *row_start, const uint32_t *col, const double *cost)
{
    double kc[PRUNE_MAX];
    uint32_t ke[PRUNE_MAX];
    size_t n = 0;
    /* the dearest kept once `keep` are kept; until then the bound that also
     * turns away forbidden entries and NaN.  Entries come in increasing e,
     * so an equal cost never displaces a kept one. */
    double top = BF_ASSIGN_FORBIDDEN;
    for (uint32_t e = row_start[i]; e < row_start[i + 1]; e++) {
        double c = cost[e];
        if (!(c < top))
            continue;
        if (n < keep)
            keep_push(kc, ke, n++, c, e);
        else
            keep_replace_top(kc, ke, n, c, e);
        if (n == keep)
            top = kc[0];
    }
    /* a row cut short: what was left out costs >= top (or is forbidden) */
    ws->thr[i] = row_start[i + 1] - row_start[i] > keep && n == keep ? top : INFINITY;
    ws->keep[i] = (uint8_t)keep;
    for (size_t a = 1; a < n; a++) {
        for (size_t b = a; b > 0 && ke[b - 1] > ke[b]; b--)
            keep_swap(kc, ke, b, b - 1);
    }
    uint32_t at = (uint32_t)(i * PRUNE_MAX);
    ws->pr_beg[i] = at;
    ws->pr_end[i] = at + (uint32_t)n;
    for (size_t a = 0; a < n; a++) {
        ws->pr_col[at + a] = col[ke[a]];
        ws->pr_cost[at + a] = kc[a];
    }
}

/*
 * After a pruned solve: rows whose dual does not cover their left-out
 * entries keep twice as many.  Returns the number of rows grown, or -1 when
 * a row would need more than PRUNE_MAX (solve the whole problem).
 */
static long grow_uncovered(struct bf_assign_sparse_ws *ws, size_t rows,
                           const uint32_t *row_start, const uint32_t *col, const double *cost)
{
    long grown = 0;
    for (size_t i = 0; i < rows; i++) {
        if (!(ws->u[i] > ws->thr[i]))
            continue;   /* thr = INFINITY (nothing left out) or u <= thr */
        /* kept entries (c < thr) are tight or above, within rounding: only
         * what may have been left out is checked */
        bool covered = true;
        for (uint32_t e = row_start[i]; e < row_start[i + 1] && covered; e++) {
            double c = cost[e];
            covered = !(c >= ws->thr[i] && c < BF_ASSIGN_FORBIDDEN &&
                        c - ws->u[i] - ws->v[col[e]] < 0);
        }
        if (covered)
            continue;
        if (2 * (size_t)ws->keep[i] > PRUNE_MAX)
            return -1;
        keep_row(ws, i, 2 * (size_t)ws->keep[i], row_start, col, cost);
        grown++;
    }
    return grown;
}

int bf_assign_solve_sparse(struct bf_assign_sparse_ws *ws, size_t rows, size_t cols,
                           const uint32_t *row_start, const uint32_t *col, const double *cost,
                           double unassigned_cost, int *row_to_col, double *total)
{
    if (!ws || (rows > 0 && (!row_to_col || !row_start)))
        return BF_EINVAL;
    if (!isfinite(unassigned_cost) || !(unassigned_cost < BF_ASSIGN_FORBIDDEN))
        return BF_EINVAL;
    if (rows > ws->max_rows || cols > ws->max_cols)
        return BF_EFULL;
    ws->info = (struct bf_assign_sparse_info){0};
    if (total)
        *total = 0;
    if (rows == 0)
        return 0;
    if (row_start[0] != 0)
        return BF_EINVAL;
    for (size_t i = 0; i < rows; i++) {
        if (row_start[i + 1] < row_start[i])
            return BF_EINVAL;
    }
    size_t np = row_start[rows];
    if (np > 0 && (!col || !cost))
        return BF_EINVAL;
    uint32_t top_col = 0;
    for (size_t e = 0; e < np; e++)
        top_col = col[e] > top_col ? col[e] : top_col;
    if (np > 0 && top_col >= cols)
        return BF_EINVAL;

    const struct rows_view whole = {row_start, row_start + 1, col, cost};
    const struct rows_view pruned = {ws->pr_beg, ws->pr_end, ws->pr_col, ws->pr_cost};
    bool cut = false;
    for (size_t i = 0; i < rows && !cut; i++)
        cut = row_start[i + 1] - row_start[i] > PRUNE_K;
    int rc;
    if (cut) {
        ws->info.pruned = true;
        for (size_t i = 0; i < rows; i++)
            keep_row(ws, i, PRUNE_K, row_start, col, cost);
        for (;;) {
            ws->info.rounds++;
            for (size_t i = 0; i < rows; i++)
                ws->info.entries += ws->pr_end[i] - ws->pr_beg[i];
            rc = solve_csr(ws, rows, cols, &pruned, unassigned_cost);
            if (rc != 0)
                break;
            long grown = grow_uncovered(ws, rows, row_start, col, cost);
            if (grown == 0)
                break;
            if (grown < 0) {
                ws->info.fell_back = true;
                ws->info.entries += np;
                rc = solve_csr(ws, rows, cols, &whole, unassigned_cost);
                break;
            }
        }
    } else {
        ws->info.entries = np;
        rc = solve_csr(ws, rows, cols, &whole, unassigned_cost);
    }
    if (rc != 0)
        return rc;

    /* a kept entry is its column's cheapest in the row: look costs up there */
    const struct rows_view *p = ws->info.pruned && !ws->info.fell_back ? &pruned : &whole;
    double sum = 0;
    for (size_t i = 0; i < rows; i++) {
        int j = ws->col4row[i];
        if (j >= 0 && (size_t)j < cols) {
            row_to_col[i] = j;
            double best = INFINITY;
            for (uint32_t e = p->beg[i]; e < p->end[i]; e++) {
                if (p->col[e] == (uint32_t)j && p->cost[e] < best)
                    best = p->cost[e];
            }
            sum += best;
        } else {
            row_to_col[i] = -1;
            sum += unassigned_cost;
        }
    }
    if (total)
        *total = sum;
    return 0;
}

void bf_assign_sparse_last(const struct bf_assign_sparse_ws *ws, struct bf_assign_sparse_info *out)
{
    if (ws && out)
        *out = ws->info;
}
