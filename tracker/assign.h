/*
 * assign.h - exact minimum-cost assignment with non-assignment, dense and
 * sparse (tracker/assign.c).  The tracker's global-nearest-neighbour
 * associator uses it per cluster; the simulator's OSPA / GOSPA (sim/metrics.c)
 * and the benchmarks use it too, which is why it has a public header of its
 * own rather than living in tracker_int.h.
 */
#ifndef BF_ASSIGN_H
#define BF_ASSIGN_H

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

/*
 * The same problem in sparse form: row i's allowed entries are e in
 * [row_start[i], row_start[i + 1]) with column col[e] < cols and cost
 * cost[e] (an entry >= BF_ASSIGN_FORBIDDEN or NaN is skipped; a column listed
 * twice in a row counts at its cheaper cost).  Same result as
 * bf_assign_solve on the dense matrix (the optimum is unique up to ties;
 * ties may be broken differently), at a cost that follows the entries, not
 * rows x cols.  A workspace for up to max_rows x max_cols, sized once; a
 * solve never allocates.  Returns 0; BF_EFULL beyond the workspace;
 * BF_EINVAL for NULL arguments, a bad row_start (not starting at 0, not
 * non-decreasing), a column out of range or a bad unassigned_cost.
 */
struct bf_assign_sparse_ws;   /* opaque */

int bf_assign_sparse_ws_create(size_t max_rows, size_t max_cols, struct bf_assign_sparse_ws **out);
void bf_assign_sparse_ws_destroy(struct bf_assign_sparse_ws *ws);   /* accepts NULL */
int bf_assign_solve_sparse(struct bf_assign_sparse_ws *ws, size_t rows, size_t cols,
                           const uint32_t *row_start, const uint32_t *col, const double *cost,
                           double unassigned_cost, int *row_to_col, double *total);

/*
 * How the last bf_assign_solve_sparse went.  Rows with many candidates are
 * first cut to their cheapest few and the cut problem solved; its dual either
 * proves the answer optimal for the whole problem, or names the rows that
 * need more candidates (another round), or the whole problem is solved
 * (fell_back).  The answer is exact either way; these say what it cost.
 */
struct bf_assign_sparse_info {
    size_t entries;   /* candidate pairs the solver worked on, all solves counted */
    unsigned rounds;  /* solves of the cut problem (0: nothing was cut) */
    bool pruned;      /* some row was cut to its cheapest candidates */
    bool fell_back;   /* a row needed too many: the whole problem was solved */
};

void bf_assign_sparse_last(const struct bf_assign_sparse_ws *ws, struct bf_assign_sparse_info *out);

#endif
