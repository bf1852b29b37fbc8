/*
 * query.c - what the zones say about a point or a track step: inside which
 * polygons, on which side of each border line, did the last step cross a
 * line and which way, how far is the nearest line, how soon will it be
 * reached.
 *
 * This runs for every track update, so it touches as little as it can.
 * Polygon membership: one box around all polygon zones rejects far tracks
 * without calling GEOS; otherwise one point is made for the step, the
 * STRtree (built at load over envelopes grown by the hysteresis) yields the
 * candidates, and prepared geometries answer contains / distance-within.
 *
 * Border lines use our own exact maths on the local vertices, because the
 * side of a line must be unambiguous everywhere, including at vertices.  The
 * side of a point is taken at its nearest point on the line: inside a
 * segment, the sign of the cross product with that segment; at an inner
 * vertex, the sign against the vertex pseudonormal (the sum of the unit left
 * normals of the two segments meeting there: a point whose nearest feature
 * is a vertex lies on the convex side, and the pseudonormal points into it);
 * at a free end, the end segment extended.  Segments are found through a
 * hierarchy of boxes over runs of consecutive segments (geo_seg_node).
 *
 * Crossings are decided by sides, not by counting intersections: each track
 * remembers, per line, the last definite side it was seen on.  A crossing is
 * reported when a new definite side differs from that memory and the path
 * since then touched the line (the step's segment meets it, or the previous
 * position was on it, i.e. the track ran along the line).  So a track
 * crossing exactly through a vertex, or running along a segment and then
 * leaving it, counts once; touching the line and going back counts zero;
 * and walking round a free end of the line (which flips the side without
 * touching) counts zero.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "geo/geo_int.h"

/* Depth-first stacks: the hierarchy is balanced, so 2*depth + 2 entries suffice. */
#define NODE_STACK 128

static inline double cross2(double ax, double ay, double bx, double by)
{
    return ax * by - ay * bx;
}

static inline int sign_of(double v)
{
    return v > 0 ? 1 : (v < 0 ? -1 : 0);
}

/* ---- the segment hierarchy ------------------------------------------- */

static int32_t build_node(struct geo_line *l, uint32_t lo, uint32_t hi)
{
    int32_t idx = (int32_t)l->n_nodes++;
    struct geo_seg_node *nd = &l->nodes[idx];
    nd->lo = lo;
    nd->hi = hi;
    nd->x0 = nd->x1 = l->xy[2 * lo];
    nd->y0 = nd->y1 = l->xy[2 * lo + 1];
    for (uint32_t v = lo + 1; v <= hi; v++) {
        double x = l->xy[2 * v], y = l->xy[2 * v + 1];
        nd->x0 = fmin(nd->x0, x);
        nd->x1 = fmax(nd->x1, x);
        nd->y0 = fmin(nd->y0, y);
        nd->y1 = fmax(nd->y1, y);
    }
    nd->left = nd->right = -1;
    if (hi - lo > GEO_LEAF_SEGMENTS) {
        uint32_t mid = lo + (hi - lo) / 2;
        int32_t left = build_node(l, lo, mid);
        int32_t right = build_node(l, mid, hi);
        nd = &l->nodes[idx];
        nd->left = left;
        nd->right = right;
    }
    return idx;
}

int bf_geo_line_index(struct geo_line *l)
{
    if (l->n < 2 || l->n - 1 > (size_t)INT32_MAX / 2)
        return BF_ERANGE;
    size_t n_seg = l->n - 1;
    l->nodes = calloc(2 * n_seg, sizeof *l->nodes);
    if (!l->nodes)
        return BF_ENOMEM;
    l->n_nodes = 0;
    build_node(l, 0, (uint32_t)n_seg);
    return 0;
}

void bf_geo_line_free(struct geo_line *l)
{
    free(l->xy);
    free(l->nodes);
    memset(l, 0, sizeof *l);
}

static double box_d2(const struct geo_seg_node *nd, double x, double y)
{
    double dx = x < nd->x0 ? nd->x0 - x : (x > nd->x1 ? x - nd->x1 : 0.0);
    double dy = y < nd->y0 ? nd->y0 - y : (y > nd->y1 ? y - nd->y1 : 0.0);
    return dx * dx + dy * dy;
}

/* Squared distance from p to segment a-b; *t the parameter of the nearest point (0..1). */
static double pt_seg_d2(double px, double py, double ax, double ay, double bx, double by,
                        double *t)
{
    double dx = bx - ax, dy = by - ay;
    double len2 = dx * dx + dy * dy;
    double u = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.0;
    double qx, qy;
    if (u <= 0) {
        u = 0;
        qx = ax;
        qy = ay;
    } else if (u >= 1) {
        u = 1;
        qx = bx;
        qy = by;
    } else {
        qx = ax + u * dx;
        qy = ay + u * dy;
    }
    *t = u;
    return (px - qx) * (px - qx) + (py - qy) * (py - qy);
}

struct nearest {
    double d2;
    uint32_t seg;
    double t;        /* 0..1 along seg; exactly 0 or 1 when the nearest point is a vertex */
};

static void line_nearest(const struct geo_line *l, double x, double y, struct nearest *best)
{
    int32_t stack[NODE_STACK];
    int sp = 0;

    best->d2 = INFINITY;
    best->seg = 0;
    best->t = 0;
    stack[sp++] = 0;
    while (sp > 0) {
        const struct geo_seg_node *nd = &l->nodes[stack[--sp]];
        if (box_d2(nd, x, y) > best->d2)
            continue;
        if (nd->left < 0) {
            for (uint32_t i = nd->lo; i < nd->hi; i++) {
                const double *p = &l->xy[2 * i];
                double t;
                double d2 = pt_seg_d2(x, y, p[0], p[1], p[2], p[3], &t);
                if (d2 < best->d2) {
                    best->d2 = d2;
                    best->seg = i;
                    best->t = t;
                }
            }
            continue;
        }
        double dl = box_d2(&l->nodes[nd->left], x, y);
        double dr = box_d2(&l->nodes[nd->right], x, y);
        int32_t near = dl <= dr ? nd->left : nd->right;
        int32_t far = dl <= dr ? nd->right : nd->left;
        if (sp + 2 > NODE_STACK)
            abort();   /* impossible for a balanced tree over < 2^31 segments */
        stack[sp++] = far;   /* popped last */
        stack[sp++] = near;
    }
}

/* The raw side (+1 left, -1 right) at the nearest point found by line_nearest. */
static int side_at(const struct geo_line *l, const struct nearest *b, double x, double y)
{
    const double *xy = l->xy;
    uint32_t i = b->seg;

    if (b->d2 <= GEO_ON_LINE_M * GEO_ON_LINE_M)
        return 0;
    if (b->t > 0 && b->t < 1)
        return sign_of(cross2(xy[2 * i + 2] - xy[2 * i], xy[2 * i + 3] - xy[2 * i + 1],
                              x - xy[2 * i], y - xy[2 * i + 1]));

    size_t k = b->t <= 0 ? i : i + 1;   /* the vertex nearest to the point */
    size_t n = l->n, prev, next;
    if (k == 0 || k == n - 1) {
        if (!l->closed) {
            /* a free end: the end segment, extended */
            size_t s = k == 0 ? 0 : n - 2;
            return sign_of(cross2(xy[2 * s + 2] - xy[2 * s], xy[2 * s + 3] - xy[2 * s + 1],
                                  x - xy[2 * k], y - xy[2 * k + 1]));
        }
        prev = n - 2;   /* vertex 0 and vertex n-1 are the same point */
        next = 1;
    } else {
        prev = k - 1;
        next = k + 1;
    }
    double ax = xy[2 * k] - xy[2 * prev], ay = xy[2 * k + 1] - xy[2 * prev + 1];
    double bx = xy[2 * next] - xy[2 * k], by = xy[2 * next + 1] - xy[2 * k + 1];
    double la = hypot(ax, ay), lb = hypot(bx, by);
    double dx = x - xy[2 * k], dy = y - xy[2 * k + 1];
    double ca = cross2(ax, ay, dx, dy) / la;
    double s = ca + cross2(bx, by, dx, dy) / lb;   /* dot(pseudonormal, d) */
    if (fabs(s) <= 1e-12 * sqrt(b->d2))
        s = ca;   /* a hairpin: the two normals cancel; take the incoming segment */
    return sign_of(s);
}

int bf_geo_line_side_dist(const struct geo_line *l, double x, double y, double *d_m)
{
    struct nearest b;
    line_nearest(l, x, y, &b);
    if (d_m)
        *d_m = sqrt(b.d2);
    return side_at(l, &b, x, y);
}

/*
 * Where the segment a + s*r (s in 0..1) enters the box nd grown by eps
 * (slab method); false if it misses it.
 */
static bool seg_enters_box(double ax, double ay, double rx, double ry,
                           const struct geo_seg_node *nd, double eps, double *s_in)
{
    double t0 = 0, t1 = 1;
    const double lo[2] = {nd->x0 - eps, nd->y0 - eps};
    const double hi[2] = {nd->x1 + eps, nd->y1 + eps};
    const double a[2] = {ax, ay};
    const double r[2] = {rx, ry};

    for (int k = 0; k < 2; k++) {
        if (r[k] == 0) {
            if (a[k] < lo[k] || a[k] > hi[k])
                return false;
            continue;
        }
        double ta = (lo[k] - a[k]) / r[k], tb = (hi[k] - a[k]) / r[k];
        if (ta > tb) {
            double tmp = ta;
            ta = tb;
            tb = tmp;
        }
        t0 = fmax(t0, ta);
        t1 = fmin(t1, tb);
        if (t0 > t1)
            return false;
    }
    *s_in = t0;
    return true;
}

/*
 * Does segment a-b come within eps of segment c-d?  If so *s is the first
 * such parameter along a-b (exact for a proper crossing; otherwise taken at
 * the endpoint that is within eps, which is where two segments that do not
 * cross come closest).
 */
static bool seg_touch(double ax, double ay, double bx, double by, double cx, double cy, double dx,
                      double dy, double eps, double *s)
{
    double rx = bx - ax, ry = by - ay, qx = dx - cx, qy = dy - cy;
    double o1 = cross2(rx, ry, cx - ax, cy - ay);
    double o2 = cross2(rx, ry, dx - ax, dy - ay);
    double o3 = cross2(qx, qy, ax - cx, ay - cy);
    double o4 = cross2(qx, qy, bx - cx, by - cy);
    double best = INFINITY, t;
    double eps2 = eps * eps;

    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
        best = o3 / (o3 - o4);
    /* segments that do not cross come closest at an endpoint of one of them */
    if (pt_seg_d2(ax, ay, cx, cy, dx, dy, &t) <= eps2)
        best = 0;
    if (pt_seg_d2(cx, cy, ax, ay, bx, by, &t) <= eps2)
        best = fmin(best, t);
    if (pt_seg_d2(dx, dy, ax, ay, bx, by, &t) <= eps2)
        best = fmin(best, t);
    if (pt_seg_d2(bx, by, cx, cy, dx, dy, &t) <= eps2)
        best = fmin(best, 1.0);
    if (best == INFINITY)
        return false;
    *s = fmin(fmax(best, 0.0), 1.0);
    return true;
}

bool bf_geo_line_first_hit(const struct geo_line *l, double ax, double ay, double bx, double by,
                        double *s, double *hx, double *hy)
{
    const double eps = GEO_ON_LINE_M;
    double rx = bx - ax, ry = by - ay;
    double best = INFINITY;
    int32_t stack[NODE_STACK];
    int sp = 0;

    stack[sp++] = 0;
    while (sp > 0) {
        const struct geo_seg_node *nd = &l->nodes[stack[--sp]];
        double s_in;
        if (!seg_enters_box(ax, ay, rx, ry, nd, eps, &s_in) || s_in > best)
            continue;
        if (nd->left < 0) {
            for (uint32_t i = nd->lo; i < nd->hi; i++) {
                const double *p = &l->xy[2 * i];
                double sv;
                if (seg_touch(ax, ay, bx, by, p[0], p[1], p[2], p[3], eps, &sv) && sv < best)
                    best = sv;
            }
            continue;
        }
        if (sp + 2 > NODE_STACK)
            abort();   /* impossible for a balanced tree over < 2^31 segments */
        stack[sp++] = nd->right;
        stack[sp++] = nd->left;
    }
    if (best == INFINITY)
        return false;
    *s = best;
    *hx = ax + best * rx;
    *hy = ay + best * ry;
    return true;
}

/* ---- polygons -------------------------------------------------------- */

struct candidates {
    const struct geo_zone *base;
    uint64_t mask;
};

static void collect_candidate(void *item, void *userdata)
{
    struct candidates *c = userdata;
    const struct geo_zone *zz = item;
    c->mask |= UINT64_C(1) << (zz - c->base);
}

static bool in_envelope(const struct geo_zone *zz, double x, double y)
{
    return x >= zz->x0 && x <= zz->x1 && y >= zz->y0 && y <= zz->y1;
}

/*
 * Polygon zones containing (x, y), keeping those in was_inside that the
 * point is still within hysteresis_m of.  0 or BF_EGEOS (then a zone whose
 * test failed keeps its previous membership).
 */
static int polygons_at(struct bf_geo_zones *z, uint64_t was_inside, double x, double y,
                       uint64_t *now)
{
    *now = 0;
    if (!z->tree || x < z->px0 || x > z->px1 || y < z->py0 || y > z->py1)
        return 0;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(z->gctx, x, y);
    if (!pt) {
        *now = was_inside;
        return BF_EGEOS;
    }
    struct candidates c = {.base = z->zones, .mask = 0};
    GEOSSTRtree_query_r(z->gctx, z->tree, pt, collect_candidate, &c);

    int rc = 0;
    for (uint64_t m = c.mask; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        uint64_t bit = UINT64_C(1) << i;
        const struct geo_zone *zz = &z->zones[i];
        char r = 0;
        if (in_envelope(zz, x, y))
            r = GEOSPreparedContains_r(z->gctx, zz->prep, pt);
        if (r == 0 && (was_inside & bit))
            r = GEOSPreparedDistanceWithin_r(z->gctx, zz->prep, pt, z->opt.hysteresis_m);
        if (r == 2) {
            rc = BF_EGEOS;
            r = (was_inside & bit) != 0;
        }
        if (r == 1)
            *now |= bit;
    }
    GEOSGeom_destroy_r(z->gctx, pt);
    return rc;
}

/* ---- the track step -------------------------------------------------- */

static void record_crossing(const struct bf_geo_zones *z, size_t idx, const struct bf_geo_track_state *st,
                            double x, double y, bool now_ours, struct bf_geo_step *out)
{
    const struct geo_line *l = &z->zones[idx].line;
    double d_prev, s, hx, hy;

    bf_geo_line_side_dist(l, st->e_m, st->n_m, &d_prev);
    if (d_prev <= GEO_ON_LINE_M) {
        /* it ran along the line (or stood on it) and left it now */
        s = 0;
        hx = st->e_m;
        hy = st->n_m;
    } else if (!bf_geo_line_first_hit(l, st->e_m, st->n_m, x, y, &s, &hx, &hy)) {
        return;   /* the side changed round a free end of the line: no crossing */
    }
    if (out->n_crossings >= BF_GEO_MAX_CROSSINGS)
        return;
    struct bf_geo_crossing *c = &out->crossings[out->n_crossings++];
    c->zone = (uint16_t)idx;
    c->dir = now_ours ? 1 : -1;
    c->e_m = hx;
    c->n_m = hy;
    c->frac = s;
}

/* Time to reach line l from (x, y) at (ve, vn); d_m is the current distance. */
static double time_to_line(const struct bf_geo_zones *z, const struct geo_line *l, double x, double y,
                           double ve, double vn, double d_m)
{
    if (d_m <= GEO_ON_LINE_M)
        return 0;
    double speed = hypot(ve, vn);
    if (!isfinite(speed) || speed < GEO_MIN_SPEED_MPS)
        return INFINITY;
    double horizon_s = z->opt.max_ttl_s;
    if (speed * horizon_s < d_m)
        return INFINITY;   /* cannot get there within the look-ahead */
    double s, hx, hy;
    if (!bf_geo_line_first_hit(l, x, y, x + ve * horizon_s, y + vn * horizon_s, &s, &hx, &hy))
        return INFINITY;
    return s * horizon_s;
}

int bf_geo_track_step(struct bf_geo_zones *z, struct bf_geo_track_state *st, double e_m, double n_m,
                      double ve_mps, double vn_mps, struct bf_geo_step *out)
{
    if (!z || !st || !out)
        return BF_EINVAL;
    memset(out, 0, sizeof *out);
    out->nearest_line = -1;
    out->dist_to_line_m = INFINITY;
    out->time_to_line_s = INFINITY;
    if (!isfinite(e_m) || !isfinite(n_m))
        return BF_EINVAL;
    if (!st->valid) {
        st->inside = 0;
        st->side_known = 0;
        st->side_ours = 0;
    }

    uint64_t now;
    int rc = polygons_at(z, st->inside, e_m, n_m, &now);
    out->inside = now;
    out->entered = now & ~st->inside;
    out->exited = st->inside & ~now;

    double best_d = INFINITY;
    for (uint64_t m = z->line_mask; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        uint64_t bit = UINT64_C(1) << i;
        const struct geo_zone *zz = &z->zones[i];
        double d;
        int ours = bf_geo_line_side_dist(&zz->line, e_m, n_m, &d) * zz->info.our_side;
        if (d < best_d) {
            best_d = d;
            out->nearest_line = (int)i;
            out->line_side = ours;
        }
        if (ours == 0)
            continue;   /* on the line: the memory keeps the last definite side */
        bool now_ours = ours > 0;
        if (st->valid && (st->side_known & bit) && ((st->side_ours & bit) != 0) != now_ours)
            record_crossing(z, i, st, e_m, n_m, now_ours, out);
        st->side_known |= bit;
        if (now_ours)
            st->side_ours |= bit;
        else
            st->side_ours &= ~bit;
    }
    if (out->nearest_line >= 0) {
        out->dist_to_line_m = best_d;
        out->time_to_line_s = time_to_line(z, &z->zones[out->nearest_line].line, e_m, n_m, ve_mps,
                                           vn_mps, best_d);
    }

    st->valid = true;
    st->e_m = e_m;
    st->n_m = n_m;
    st->inside = now;
    return rc;
}

/* ---- single queries -------------------------------------------------- */

static bool is_polygon(const struct bf_geo_zones *z, size_t idx)
{
    return z && idx < z->n && (z->poly_mask & (UINT64_C(1) << idx));
}

static bool is_line(const struct bf_geo_zones *z, size_t idx)
{
    return z && idx < z->n && (z->line_mask & (UINT64_C(1) << idx));
}

bool bf_geo_zone_contains(struct bf_geo_zones *z, size_t idx, double e_m, double n_m)
{
    if (!is_polygon(z, idx) || !isfinite(e_m) || !isfinite(n_m))
        return false;
    const struct geo_zone *zz = &z->zones[idx];
    if (!in_envelope(zz, e_m, n_m))
        return false;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(z->gctx, e_m, n_m);
    if (!pt)
        return false;
    char r = GEOSPreparedContains_r(z->gctx, zz->prep, pt);
    GEOSGeom_destroy_r(z->gctx, pt);
    return r == 1;
}

int bf_geo_line_side(const struct bf_geo_zones *z, size_t idx, double e_m, double n_m)
{
    if (!is_line(z, idx) || !isfinite(e_m) || !isfinite(n_m))
        return 0;
    const struct geo_zone *zz = &z->zones[idx];
    return bf_geo_line_side_dist(&zz->line, e_m, n_m, NULL) * zz->info.our_side;
}

double bf_geo_zone_distance(struct bf_geo_zones *z, size_t idx, double e_m, double n_m)
{
    if (!z || idx >= z->n || !isfinite(e_m) || !isfinite(n_m))
        return NAN;
    const struct geo_zone *zz = &z->zones[idx];
    if (is_line(z, idx)) {
        double d;
        bf_geo_line_side_dist(&zz->line, e_m, n_m, &d);
        return d;
    }
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(z->gctx, e_m, n_m);
    if (!pt)
        return NAN;
    double d = NAN;
    if (GEOSPreparedDistance_r(z->gctx, zz->prep, pt, &d) != 1)
        d = NAN;
    GEOSGeom_destroy_r(z->gctx, pt);
    return d;
}

size_t bf_geo_line_vertices(const struct bf_geo_zones *z, size_t idx, const double **xy)
{
    if (!is_line(z, idx)) {
        if (xy)
            *xy = NULL;
        return 0;
    }
    if (xy)
        *xy = z->zones[idx].line.xy;
    return z->zones[idx].line.n;
}
