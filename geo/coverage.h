/*
 * coverage.h - where each sensor can detect, and how well (docs/coverage.md).
 *
 * Per sensor a detection region and a probability of detection Pd(x):
 *   - a camera: its field-of-view wedge (heading, horizontal field of view,
 *     min and max range); the heading follows the camera when it is cued;
 *   - a radar (any sensor given sectors): min and max range, azimuth
 *     sectors (true bearings, wrapping through north allowed);
 *   - every other sensor: a disc of its range;
 * Pd is flat or by range (a table of (range, pd) points, linear in between),
 * and, when a digital elevation model is given, masked by terrain: the line
 * of sight from the sensor (its ground elevation + height_m) to a target
 * target_height_m above the ground must clear the terrain.
 *
 * Terrain visibility x Pd(range) is precomputed once, at create, into a
 * raster per fixed sensor (cell_m cells over the square of its max range,
 * quantised to 1/255), so a query is O(1); the angular masks (wedge,
 * sectors) and min/max range are applied analytically at query time, so
 * turning a camera costs nothing.  A moving sensor (on a platform) has no
 * raster: its region is analytic only, wherever it goes.  Without a DEM no
 * raster is made at all.
 *
 * Bearings are true (clockwise from north, degrees); the local frame's grid
 * north differs by the convergence at the sensor, which create takes from
 * the frame.  Not thread-safe: queries and changes on one thread (the
 * engine's), or on a coverage no one changes.
 */
#ifndef BF_COVERAGE_H
#define BF_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct bf_geo_frame;

#define BF_COVERAGE_MAX_SECTORS 16     /* azimuth sectors per sensor */
#define BF_COVERAGE_MAX_PD_POINTS 32   /* (range, pd) points per sensor */

enum bf_coverage_shape {
    BF_COVERAGE_DISC = 0,    /* min_range_m .. range_m all round (sectors may restrict it) */
    BF_COVERAGE_WEDGE,       /* camera: heading_deg +- hfov_deg / 2, min_range_m .. range_m */
};

/* One sensor's region, as create takes it (copied). */
struct bf_coverage_sensor {
    const char *id;              /* copied; used in the GeoJSON */
    const char *kind;            /* the sensor's type ("camera", "asterix", "ugs", ...); copied */
    enum bf_coverage_shape shape;
    double lat_deg, lon_deg;     /* position (WGS84) */
    double e_m, n_m;             /* ... in the local frame */
    double height_m;             /* above the ground, for the line of sight */
    double range_m;              /* max range (> 0) */
    double min_range_m;          /* >= 0, < range_m */
    double heading_deg;          /* WEDGE: true bearing of the optical axis (the home heading) */
    double hfov_deg;             /* WEDGE: horizontal field of view, (0, 360) */
    size_t n_sectors;            /* DISC: 0: all round; else the union of these sectors */
    double sectors_deg[BF_COVERAGE_MAX_SECTORS][2];   /* [from, to] true, clockwise from -> to */
    double pd;                   /* flat Pd in (0, 1] when n_pd_points is 0 */
    size_t n_pd_points;          /* Pd by range: points with increasing range; before the
                                  * first and after the last, the end values */
    double pd_by_range[BF_COVERAGE_MAX_PD_POINTS][2];   /* [range_m, pd] */
    bool moving;                 /* on a platform: no terrain raster (analytic region only) */
};

/* Terrain (the config's "terrain" section). */
struct bf_coverage_params {
    const char *dem_path;        /* a raster GDAL reads (GeoTIFF, any CRS); NULL: no terrain */
    double target_height_m;      /* the target's height above the ground; default 1.5 */
    double cell_m;               /* raster cell size; default 25 */
};

void bf_coverage_params_default(struct bf_coverage_params *p);

struct bf_coverage;   /* opaque */

/*
 * Build the coverage of n sensors (n <= 64): check each (BF_EINVAL with err
 * naming the sensor and the fault), read the DEM when p->dem_path is given
 * (BF_EIO: cannot open or read it, err says why), reproject it into the
 * local frame and precompute every fixed sensor's raster.  frame is used
 * during the call only (it is not thread-safe: the caller's thread).  p may
 * be NULL (no terrain).  0, BF_EINVAL, BF_EIO, BF_EPROJ or BF_ENOMEM; *out
 * NULL on failure.
 */
int bf_coverage_create(const struct bf_coverage_params *p, const struct bf_coverage_sensor *s,
                       size_t n, struct bf_geo_frame *frame, struct bf_coverage **out,
                       char *err, size_t errlen);
void bf_coverage_destroy(struct bf_coverage *c);   /* accepts NULL */

/*
 * Can path be used as a DEM: GDAL opens it, and it has a band, a
 * geotransform and a coordinate reference system?  0, or BF_EIO with err
 * saying why.  (Configuration checks; create reads it again.)
 */
int bf_coverage_dem_check(const char *path, char *err, size_t errlen);

size_t bf_coverage_count(const struct bf_coverage *c);

/*
 * Pd of sensor sensor_idx for a target at (e_m, n_m), local frame: 0 outside
 * its region or where terrain hides the target, its Pd inside.  cov is a
 * const struct bf_coverage * (the signature of struct bf_tracker_sensor's
 * pd_at, engine/engine.h); a bad index or a position that is not finite
 * gives 0.  O(1), no allocation.
 */
double bf_coverage_pd_at(const void *cov, uint32_t sensor_idx, double e_m, double n_m);

/*
 * Is (e_m, n_m) in sight of sensor sensor_idx as far as terrain goes (the
 * target at target_height_m)?  true without a DEM, for a moving sensor, or
 * outside the raster.  Regions and Pd are not looked at.
 */
bool bf_coverage_terrain_visible(const struct bf_coverage *c, uint32_t sensor_idx, double e_m,
                                 double n_m);

/*
 * A camera (WEDGE) now looks along true bearing heading_deg (it was cued);
 * NAN: back to its home heading (the cue was released).  0, or BF_EINVAL
 * for a bad index, a sensor that is not a wedge, or an infinite heading.
 */
int bf_coverage_set_heading(struct bf_coverage *c, uint32_t sensor_idx, double heading_deg);

/* The current true heading of a wedge (NAN for other shapes or a bad index). */
double bf_coverage_heading(const struct bf_coverage *c, uint32_t sensor_idx);

/*
 * A moving sensor is now at (e_m, n_m): its region follows it.  0, or
 * BF_EINVAL for a bad index, a position that is not finite, or a fixed
 * sensor (its raster is tied to where it stands).
 */
int bf_coverage_move_sensor(struct bf_coverage *c, uint32_t sensor_idx, double e_m, double n_m);

/*
 * Sensor indices of a running coverage (a configuration reload).  set:
 * sensor_idx (< 64) is s from now on - a new index (the ones skipped over
 * stay absent) or a changed sensor - checked as create checks it, its
 * terrain raster made again from the DEM create read (BF_EIO when it cannot
 * be read now); on failure the sensor stays as it was and err says why.
 * frame is used during the call only.  remove: sensor_idx has no region any
 * more (Pd 0, no outline, left out of the GeoJSON) until it is set again.
 * 0 or BF_E*.
 */
int bf_coverage_set_sensor(struct bf_coverage *c, uint32_t sensor_idx,
                           const struct bf_coverage_sensor *s, struct bf_geo_frame *frame,
                           char *err, size_t errlen);
int bf_coverage_remove_sensor(struct bf_coverage *c, uint32_t sensor_idx);

/*
 * The outline of a sensor's region in the local frame, for drawing: rings of
 * points xy[2k], xy[2k+1], each closed (last point = first).  A ring with
 * hole false starts a polygon; the hole rings after it cut it.  Without
 * terrain: the wedge, sectors or disc (an annulus with min range) with arcs
 * of step_deg; with terrain the region is split by bearing into strips of
 * step_deg whose visible stretches (range steps of the raster's cell) are
 * the polygons.  0, BF_EINVAL or BF_ENOMEM.  Free with
 * bf_coverage_outline_free().
 */
struct bf_coverage_ring {
    double *xy;
    size_t n;                    /* points, the closing one included */
    bool hole;
};
struct bf_coverage_outline {
    struct bf_coverage_ring *rings;
    size_t n_rings;
};
int bf_coverage_outline(const struct bf_coverage *c, uint32_t sensor_idx, double step_deg,
                        struct bf_coverage_outline *out);
void bf_coverage_outline_free(struct bf_coverage_outline *o);   /* accepts NULL / empty */

/*
 * Every sensor's region as a GeoJSON FeatureCollection (WGS84, docs/coverage.md,
 * "Topic"): one Feature per sensor, a Polygon or MultiPolygon, properties
 * id, kind, shape, pd, min_range_m, range_m, terrain and what the shape
 * has (heading_deg, hfov_deg, sectors_deg, pd_by_range).  frame is used for
 * the call.  Returns a new cJSON tree (the caller deletes it) or NULL
 * (out of memory, projection failed).
 */
cJSON *bf_coverage_to_geojson(const struct bf_coverage *c, struct bf_geo_frame *frame,
                              double step_deg);

#endif
