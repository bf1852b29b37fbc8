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
#include "fusion/fusion_int.h"

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
