/*
 * grid.c - the hypothesiser's spatial index: a uniform hash grid over track
 * positions, so that finding the tracks a detection might belong to costs a
 * few cells, not a pass over every track.
 *
 * The problem: with thousands of tracks and up to a million detections a
 * second, gating every detection against every track is out of the question,
 * and tracks move on every scan, so the index must be cheap to update.  A
 * uniform grid does both: a track sits in the cell containing its position;
 * moving it is an unlink and a link (and nothing when it stays in its cell);
 * a query visits the cells overlapping a square.  Cells are created on
 * demand and kept in a hash table (linear probing, backward-shift deletion,
 * so the table never fills with tombstones), so an empty sky costs nothing.
 * Tracks whose gate is wider than a cell (very uncertain ones) go to one
 * "wide" cell that every query visits; the caller chooses the cell size so
 * that this cell stays small.
 *
 * Memory: everything is sized from max_items at create.  Occupied cells
 * never exceed the number of items, so the cell pool has max_items + 1
 * entries (entry 0 is the wide cell) and the table twice that, rounded up
 * to a power of two.
 *
 * Invariants (checked by bf_grid_check):
 *  (1) item_cell[i] == BF_GRID_NONE, or item i is on the list of that cell,
 *      exactly once; the lists are doubly linked and consistent.
 *  (2) The counts of all cells add up to n_items.
 *  (3) A hashed cell is occupied (count > 0) exactly when it is in the used
 *      list (at used_pos) and findable from its key through the table;
 *      a free cell is on the free stack; used + free == pool size - 1.
 *  (4) Every table entry refers to an occupied hashed cell, and no probe
 *      sequence from a key's home slot crosses an empty slot before it.
 */
#include <math.h>
#include <stdlib.h>

#include "core/bf_error.h"
#include "tracker/tracker_int.h"

#define WIDE 0u
#define COORD_MAX 1073741824.0   /* cell coordinates are clamped to +-2^30 */

struct cell {
    int32_t ix, iy;
    uint32_t head;      /* first item, BF_GRID_NONE if empty */
    uint32_t count;
    uint32_t used_pos;  /* index in used[] while occupied */
};

struct bf_grid {
    double cell_m, inv_cell;
    uint32_t max_items;
    uint32_t n_items;
    uint32_t *item_cell;   /* [max_items] */
    uint32_t *item_next;   /* [max_items] */
    uint32_t *item_prev;   /* [max_items] */
    struct cell *cells;    /* [max_items + 1], [0] is the wide cell */
    uint32_t *cell_free;   /* stack of free hashed cells */
    uint32_t n_cell_free;
    uint32_t *used;        /* occupied hashed cells, in the order they became occupied
                              (with swap-removal) */
    uint32_t n_used;
    uint32_t *table;       /* cell index or BF_GRID_NONE */
    uint32_t table_mask;
};

static uint32_t hash_key(int32_t ix, int32_t iy)
{
    uint64_t h = (uint64_t)(uint32_t)ix * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)(uint32_t)iy * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

static int32_t coord(double v, double inv)
{
    double c = floor(v * inv);
    if (c > COORD_MAX)
        c = COORD_MAX;
    if (c < -COORD_MAX)
        c = -COORD_MAX;
    return (int32_t)c;
}

int bf_grid_create(uint32_t max_items, double cell_m, struct bf_grid **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (max_items == 0 || max_items > (1u << 28) || !isfinite(cell_m) || !(cell_m > 0))
        return BF_EINVAL;
    struct bf_grid *g = calloc(1, sizeof *g);
    if (!g)
        return BF_ENOMEM;
    g->cell_m = cell_m;
    g->inv_cell = 1.0 / cell_m;
    g->max_items = max_items;
    uint32_t tsize = 8;
    while (tsize < 2u * max_items + 2u)
        tsize <<= 1;
    g->table_mask = tsize - 1;
    g->item_cell = malloc((size_t)max_items * sizeof *g->item_cell);
    g->item_next = malloc((size_t)max_items * sizeof *g->item_next);
    g->item_prev = malloc((size_t)max_items * sizeof *g->item_prev);
    g->cells = calloc((size_t)max_items + 1, sizeof *g->cells);
    g->cell_free = malloc((size_t)max_items * sizeof *g->cell_free);
    g->used = malloc((size_t)max_items * sizeof *g->used);
    g->table = malloc((size_t)tsize * sizeof *g->table);
    if (!g->item_cell || !g->item_next || !g->item_prev || !g->cells || !g->cell_free ||
        !g->used || !g->table) {
        bf_grid_destroy(g);
        return BF_ENOMEM;
    }
    for (uint32_t i = 0; i < max_items; i++) {
        g->item_cell[i] = BF_GRID_NONE;
        g->item_next[i] = BF_GRID_NONE;
        g->item_prev[i] = BF_GRID_NONE;
    }
    for (uint32_t c = 0; c <= max_items; c++)
        g->cells[c].head = BF_GRID_NONE;
    /* free stack pops the lowest cell index first */
    for (uint32_t k = 0; k < max_items; k++)
        g->cell_free[k] = max_items - k;
    g->n_cell_free = max_items;
    for (uint32_t s = 0; s < tsize; s++)
        g->table[s] = BF_GRID_NONE;
    *out = g;
    return 0;
}

void bf_grid_destroy(struct bf_grid *g)
{
    if (!g)
        return;
    free(g->item_cell);
    free(g->item_next);
    free(g->item_prev);
    free(g->cells);
    free(g->cell_free);
    free(g->used);
    free(g->table);
    free(g);
}

/* Table slot holding cell (ix, iy), or the empty slot where it would go. */
static uint32_t probe(const struct bf_grid *g, int32_t ix, int32_t iy)
{
    uint32_t s = hash_key(ix, iy) & g->table_mask;
    for (;;) {
        uint32_t c = g->table[s];
        if (c == BF_GRID_NONE || (g->cells[c].ix == ix && g->cells[c].iy == iy))
            return s;
        s = (s + 1) & g->table_mask;
    }
}

static uint32_t find_cell(const struct bf_grid *g, int32_t ix, int32_t iy)
{
    return g->table[probe(g, ix, iy)];
}

/* Remove cell c from the table by backward shift, so probes stay unbroken. */
static void table_delete(struct bf_grid *g, uint32_t c)
{
    uint32_t mask = g->table_mask;
    uint32_t i = probe(g, g->cells[c].ix, g->cells[c].iy);
    g->table[i] = BF_GRID_NONE;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        uint32_t e = g->table[j];
        if (e == BF_GRID_NONE)
            return;
        uint32_t home = hash_key(g->cells[e].ix, g->cells[e].iy) & mask;
        /* e may move back to i unless its home lies cyclically in (i, j]. */
        bool home_in = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!home_in) {
            g->table[i] = e;
            g->table[j] = BF_GRID_NONE;
            i = j;
        }
    }
}

/* Cell index for (e, n, wide), created if needed (never fails: the pool
 * holds as many cells as items). */
static uint32_t cell_for(struct bf_grid *g, double e_m, double n_m, bool wide)
{
    if (wide || !isfinite(e_m) || !isfinite(n_m))
        return WIDE;
    int32_t ix = coord(e_m, g->inv_cell), iy = coord(n_m, g->inv_cell);
    uint32_t s = probe(g, ix, iy);
    if (g->table[s] != BF_GRID_NONE)
        return g->table[s];
    uint32_t c = g->cell_free[--g->n_cell_free];
    struct cell *cl = &g->cells[c];
    cl->ix = ix;
    cl->iy = iy;
    cl->head = BF_GRID_NONE;
    cl->count = 0;
    cl->used_pos = g->n_used;
    g->used[g->n_used++] = c;
    g->table[s] = c;
    return c;
}

static void link_item(struct bf_grid *g, uint32_t item, uint32_t c)
{
    struct cell *cl = &g->cells[c];
    g->item_cell[item] = c;
    g->item_prev[item] = BF_GRID_NONE;
    g->item_next[item] = cl->head;
    if (cl->head != BF_GRID_NONE)
        g->item_prev[cl->head] = item;
    cl->head = item;
    cl->count++;
    g->n_items++;
}

static void unlink_item(struct bf_grid *g, uint32_t item)
{
    uint32_t c = g->item_cell[item];
    struct cell *cl = &g->cells[c];
    uint32_t p = g->item_prev[item], n = g->item_next[item];
    if (p != BF_GRID_NONE)
        g->item_next[p] = n;
    else
        cl->head = n;
    if (n != BF_GRID_NONE)
        g->item_prev[n] = p;
    g->item_cell[item] = BF_GRID_NONE;
    g->item_next[item] = BF_GRID_NONE;
    g->item_prev[item] = BF_GRID_NONE;
    cl->count--;
    g->n_items--;
    if (cl->count == 0 && c != WIDE) {
        table_delete(g, c);
        uint32_t last = g->used[--g->n_used];
        g->used[cl->used_pos] = last;
        g->cells[last].used_pos = cl->used_pos;
        g->cell_free[g->n_cell_free++] = c;
    }
}

int bf_grid_insert(struct bf_grid *g, uint32_t item, double e_m, double n_m, bool wide)
{
    if (!g || item >= g->max_items || g->item_cell[item] != BF_GRID_NONE)
        return BF_EINVAL;
    link_item(g, item, cell_for(g, e_m, n_m, wide));
    return 0;
}

/* True when cell c is the one (e, n, wide) maps to (c must be occupied). */
static bool cell_is(const struct bf_grid *g, uint32_t c, double e_m, double n_m, bool wide)
{
    if (wide || !isfinite(e_m) || !isfinite(n_m))
        return c == WIDE;
    return c != WIDE && g->cells[c].ix == coord(e_m, g->inv_cell) &&
           g->cells[c].iy == coord(n_m, g->inv_cell);
}

int bf_grid_move(struct bf_grid *g, uint32_t item, double e_m, double n_m, bool wide)
{
    if (!g || item >= g->max_items || g->item_cell[item] == BF_GRID_NONE)
        return BF_EINVAL;
    if (cell_is(g, g->item_cell[item], e_m, n_m, wide))
        return 0;
    /* Unlink first: the old cell may be freed, which guarantees a free
     * cell for the new one. */
    unlink_item(g, item);
    link_item(g, item, cell_for(g, e_m, n_m, wide));
    return 0;
}

void bf_grid_remove(struct bf_grid *g, uint32_t item)
{
    if (!g || item >= g->max_items || g->item_cell[item] == BF_GRID_NONE)
        return;
    unlink_item(g, item);
}

bool bf_grid_at(const struct bf_grid *g, uint32_t item, double e_m, double n_m, bool wide)
{
    if (!g || item >= g->max_items || g->item_cell[item] == BF_GRID_NONE)
        return false;
    return cell_is(g, g->item_cell[item], e_m, n_m, wide);
}

uint32_t bf_grid_count(const struct bf_grid *g)
{
    return g ? g->n_items : 0;
}

static size_t emit_cell(const struct bf_grid *g, uint32_t c, uint32_t *out, size_t max, size_t n)
{
    for (uint32_t it = g->cells[c].head; it != BF_GRID_NONE; it = g->item_next[it]) {
        if (n < max)
            out[n] = it;
        n++;
    }
    return n;
}

size_t bf_grid_query(const struct bf_grid *g, double e_m, double n_m, double radius_m,
                     uint32_t *out, size_t max)
{
    if (!g || (max > 0 && !out))
        return 0;
    size_t n = 0;
    if (isnan(radius_m) || isinf(radius_m)) {
        for (uint32_t k = 0; k < g->n_used; k++)
            n = emit_cell(g, g->used[k], out, max, n);
    } else if (isfinite(e_m) && isfinite(n_m)) {
        double r = radius_m > 0 ? radius_m : 0;
        int32_t ix0 = coord(e_m - r, g->inv_cell), ix1 = coord(e_m + r, g->inv_cell);
        int32_t iy0 = coord(n_m - r, g->inv_cell), iy1 = coord(n_m + r, g->inv_cell);
        double n_box = ((double)ix1 - ix0 + 1) * ((double)iy1 - iy0 + 1);
        if (n_box > (double)g->n_used) {
            for (uint32_t k = 0; k < g->n_used; k++) {
                const struct cell *cl = &g->cells[g->used[k]];
                if (cl->ix >= ix0 && cl->ix <= ix1 && cl->iy >= iy0 && cl->iy <= iy1)
                    n = emit_cell(g, g->used[k], out, max, n);
            }
        } else {
            for (int64_t iy = iy0; iy <= iy1; iy++) {
                for (int64_t ix = ix0; ix <= ix1; ix++) {
                    uint32_t c = find_cell(g, (int32_t)ix, (int32_t)iy);
                    if (c != BF_GRID_NONE)
                        n = emit_cell(g, c, out, max, n);
                }
            }
        }
    }
    return emit_cell(g, WIDE, out, max, n);
}

bool bf_grid_check(const struct bf_grid *g)
{
    if (!g)
        return false;
    /* (1) every present item is on its cell's list, links consistent */
    uint64_t total = 0;
    for (uint32_t c = 0; c <= g->max_items; c++) {
        const struct cell *cl = &g->cells[c];
        bool occupied = (c == WIDE) || (cl->count > 0);
        if (!occupied)
            continue;
        uint32_t n = 0, prev = BF_GRID_NONE;
        for (uint32_t it = cl->head; it != BF_GRID_NONE; it = g->item_next[it]) {
            if (it >= g->max_items || g->item_cell[it] != c || g->item_prev[it] != prev)
                return false;
            prev = it;
            if (++n > g->max_items)
                return false;
        }
        if (n != cl->count)
            return false;
        total += n;
    }
    /* (2) */
    if (total != g->n_items)
        return false;
    uint32_t present = 0;
    for (uint32_t i = 0; i < g->max_items; i++) {
        if (g->item_cell[i] != BF_GRID_NONE) {
            if (g->item_cell[i] > g->max_items)
                return false;
            present++;
        }
    }
    if (present != g->n_items)
        return false;
    /* (3) used list <-> occupied hashed cells <-> table */
    if (g->n_used + g->n_cell_free != g->max_items)
        return false;
    for (uint32_t k = 0; k < g->n_used; k++) {
        uint32_t c = g->used[k];
        if (c == WIDE || c > g->max_items || g->cells[c].count == 0 || g->cells[c].used_pos != k)
            return false;
        if (find_cell(g, g->cells[c].ix, g->cells[c].iy) != c)
            return false;
    }
    for (uint32_t k = 0; k < g->n_cell_free; k++) {
        uint32_t c = g->cell_free[k];
        if (c == WIDE || c > g->max_items || g->cells[c].count != 0)
            return false;
    }
    /* (4) table entries are occupied cells reachable from their home slot */
    uint32_t in_table = 0;
    for (uint32_t s = 0; s <= g->table_mask; s++) {
        uint32_t c = g->table[s];
        if (c == BF_GRID_NONE)
            continue;
        if (c == WIDE || c > g->max_items || g->cells[c].count == 0)
            return false;
        if (probe(g, g->cells[c].ix, g->cells[c].iy) != s)
            return false;
        in_table++;
    }
    return in_table == g->n_used;
}
