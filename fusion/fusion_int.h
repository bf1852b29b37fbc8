/*
 * fusion_int.h - internals shared by the files of fusion/ (not for other
 * modules).  One section per file; each states its contract here, the
 * algorithm in its .c file.
 */
#ifndef BF_FUSION_INT_H
#define BF_FUSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- assignment solver (assign.c) ----------------------------------------
 *
 * Exact rectangular linear assignment with optional non-assignment: choose
 * for each row at most one column, each column at most once, minimising the
 * sum of the chosen entries plus unassigned_cost for every row left out.
 * An entry >= BF_ASSIGN_FORBIDDEN (or NaN) can never be chosen.
 */

#define BF_ASSIGN_FORBIDDEN 1e30

struct bf_assign_ws;   /* opaque: all the memory a solve needs */

/* A workspace for problems up to max_rows x max_cols.  *out NULL on failure
 * (BF_EINVAL for a zero size, BF_ENOMEM). */
int bf_assign_ws_create(size_t max_rows, size_t max_cols, struct bf_assign_ws **out);
void bf_assign_ws_destroy(struct bf_assign_ws *ws);   /* accepts NULL */

/*
 * Solve for cost (rows x cols, row-major; borrowed).  Fills row_to_col[rows]
 * with the chosen column or -1 (unassigned), and *total (may be NULL) with
 * the optimal sum.  Ties are broken deterministically: the same matrix gives
 * the same answer.  Does not allocate.
 * Returns 0; BF_EFULL if rows/cols exceed the workspace; BF_EINVAL for NULL
 * arguments or an unassigned_cost that is not finite and < BF_ASSIGN_FORBIDDEN.
 * rows == 0 or cols == 0 are valid.
 */
int bf_assign_solve(struct bf_assign_ws *ws, const double *cost, size_t rows, size_t cols,
                    double unassigned_cost, int *row_to_col, double *total);

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
