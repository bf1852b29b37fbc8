/*
 * tracker_int.h - internals shared by the files of tracker/ (not for other
 * modules).  One section per file; each states its contract here, the
 * algorithm in its .c file.
 */
#ifndef BF_TRACKER_INT_H
#define BF_TRACKER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The assignment solvers (assign.c) are public: tracker/assign.h. */
#include "tracker/assign.h"

/* ---- JPDA marginal association probabilities (jpda.c) ---------------------
 *
 * One cluster: rows (tracks) x cols (detections), the gated pairs in
 * compressed rows (row i's pairs e in [row_start[i], row_start[i + 1]),
 * detection col[e] < cols, each column at most once per row) with the
 * Gaussian likelihood lik[e] = N(nu; 0, S) >= 0 (per m^2 for position
 * measurements: the units of 1 / clutter_density).  clutter_density
 * (lambda > 0), pd in (0, 1], pg (the gate probability) in (0, 1] with
 * pd * pg < 1.
 *
 * Fills beta[e] (probability that pair e's detection is its track's) and
 * beta0[i] (that none is); for every row beta0[i] + sum of its beta is 1
 * within rounding.  *exact is true when every feasible joint event was
 * enumerated, false when the event bound prod_i (1 + pairs of row i)
 * exceeded BF_JPDA_MAX_EVENTS and Fitzgerald's cheap JPDA was used instead
 * (jpda.c gives both).  Deterministic; never allocates.  Returns 0; BF_EFULL
 * beyond the workspace; BF_EINVAL for NULL or out-of-range arguments, a
 * negative or non-finite lik, or lik / lambda overflowing.
 */
#define BF_JPDA_MAX_EVENTS 16384

struct bf_jpda_ws;   /* opaque */

int bf_jpda_ws_create(size_t max_rows, size_t max_cols, struct bf_jpda_ws **out);
void bf_jpda_ws_destroy(struct bf_jpda_ws *ws);   /* accepts NULL */
int bf_jpda_solve(struct bf_jpda_ws *ws, size_t rows, size_t cols, const uint32_t *row_start,
                  const uint32_t *col, const double *lik, double clutter_density, double pd,
                  double pg, double *beta, double *beta0, bool *exact);

/* ---- spatial hash grid (grid.c) -------------------------------------------
 *
 * Items 0..max_items-1 (track pool slots) kept in square cells of side
 * cell_m keyed by floor(e / cell_m), floor(n / cell_m) in a hash table, plus
 * one "wide" cell for items whose reach is larger than a cell or whose
 * position is not finite; every query visits the wide cell.  Each item is in
 * at most one cell.  Insert, move and remove are O(1); a query costs the
 * cells it covers plus the items it returns.  No allocation after create.
 */

#define BF_GRID_NONE UINT32_MAX

struct bf_grid;   /* opaque */

/* *out NULL on failure: BF_EINVAL (max_items 0 or too large, cell_m not
 * finite and > 0), BF_ENOMEM. */
int bf_grid_create(uint32_t max_items, double cell_m, struct bf_grid **out);
void bf_grid_destroy(struct bf_grid *g);   /* accepts NULL */

/* Add an absent item at (e_m, n_m), in the wide cell if wide.  0 or BF_EINVAL
 * (out of range, already present). */
int bf_grid_insert(struct bf_grid *g, uint32_t item, double e_m, double n_m, bool wide);
/* Move a present item; a no-op when its cell does not change.  0 or BF_EINVAL. */
int bf_grid_move(struct bf_grid *g, uint32_t item, double e_m, double n_m, bool wide);
/* Remove an item; a no-op when absent. */
void bf_grid_remove(struct bf_grid *g, uint32_t item);

/* True when item is present and in the cell that (e_m, n_m, wide) maps to. */
bool bf_grid_at(const struct bf_grid *g, uint32_t item, double e_m, double n_m, bool wide);
/* Number of items present. */
uint32_t bf_grid_count(const struct bf_grid *g);

/*
 * Items in the cells overlapping the square [e-r, e+r] x [n-r, n+r], then
 * those in the wide cell.  Writes up to max item numbers to out and returns
 * how many there are in all (may exceed max).  A non-finite radius_m returns
 * every item.  The order depends only on the history of calls (never on
 * addresses): cells row by row, or in the order they became occupied when
 * the square covers more cells than are occupied; items newest first.
 */
size_t bf_grid_query(const struct bf_grid *g, double e_m, double n_m, double radius_m,
                     uint32_t *out, size_t max);

/* Check the grid's own invariants (see grid.c); false if broken. */
bool bf_grid_check(const struct bf_grid *g);

#endif
