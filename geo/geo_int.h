/*
 * geo_int.h - internals shared by zones.c (which builds the zone set) and
 * query.c (which answers questions about it).  Not for other modules.
 */
#ifndef BF_GEO_INT_H
#define BF_GEO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <geos_c.h>

#include "geo/geo.h"

/* A point this close to a border line (metres) is on it: no definite side. */
#define GEO_ON_LINE_M 1e-6

/* Below this speed (m/s) a track is not going anywhere: time to line is INFINITY. */
#define GEO_MIN_SPEED_MPS 0.05

/* Leaves of a line's segment hierarchy hold at most this many segments. */
#define GEO_LEAF_SEGMENTS 8

/*
 * A box over the run of consecutive segments [lo, hi) of a border line.
 * Consecutive segments of a polyline lie close together, so splitting the
 * run in halves gives tight boxes without sorting anything.
 */
struct geo_seg_node {
    double x0, y0, x1, y1;
    uint32_t lo, hi;
    int32_t left, right;   /* children; -1 in a leaf */
};

/* A border line in local metres, with its segment hierarchy. */
struct geo_line {
    size_t n;              /* vertices, >= 2, no two consecutive ones equal */
    double *xy;            /* x0 y0 x1 y1 ... (owned) */
    bool closed;           /* first vertex == last: vertex 0 is an inner vertex */
    struct geo_seg_node *nodes;   /* nodes[0] is the root (owned) */
    size_t n_nodes;
};

struct geo_zone {
    struct bf_zone_info info;      /* id and name point at the strings below */
    char *id;
    char *name;
    double x0, y0, x1, y1;         /* envelope, local metres */
    GEOSGeometry *geom;            /* polygon kinds: Polygon or MultiPolygon */
    const GEOSPreparedGeometry *prep;
    GEOSGeometry *tree_env;        /* envelope grown by the hysteresis, in the STRtree */
    struct geo_line line;          /* border_line only */
};

/*
 * Invariants (checked by zones_check() in zones.c in debug builds):
 *  (1) n <= BF_GEO_MAX_ZONES;
 *  (2) poly_mask and line_mask are disjoint and together hold exactly the
 *      zones 0..n-1; polygon zones have geom and prep, lines have line.n >= 2;
 *  (3) tree is NULL iff poly_mask is 0, and then holds one tree_env per polygon;
 *  (4) the box (px0, py0, px1, py1) covers every tree_env;
 *  (5) every segment node's box covers its segments and its children.
 */
struct bf_geo_zones {
    GEOSContextHandle_t gctx;      /* owned; this thread only */
    struct bf_geo_frame *frame;    /* borrowed */
    struct bf_geo_zones_options opt;
    size_t n;
    struct geo_zone *zones;        /* n of them */
    uint64_t poly_mask;
    uint64_t line_mask;
    GEOSSTRtree *tree;             /* grown polygon envelopes; items are struct geo_zone * */
    double px0, py0, px1, py1;     /* union of the grown polygon envelopes */
    char geos_msg[256];            /* last GEOS error message */
};

/* query.c: border-line maths */

/* Build l->nodes from l->xy / l->n. 0 or BF_ENOMEM. */
int bf_geo_line_index(struct geo_line *l);
void bf_geo_line_free(struct geo_line *l);

/* Raw side of (x, y): +1 left of the line, -1 right, 0 within GEO_ON_LINE_M. *d_m: distance. */
int bf_geo_line_side_dist(const struct geo_line *l, double x, double y, double *d_m);

/*
 * First contact of the segment a -> b with the line (within GEO_ON_LINE_M):
 * true with *s in [0, 1] along a -> b and the point (*hx, *hy); false if
 * they do not touch.
 */
bool bf_geo_line_first_hit(const struct geo_line *l, double ax, double ay, double bx, double by,
                        double *s, double *hx, double *hy);

#endif
