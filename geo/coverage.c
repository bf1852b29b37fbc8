/*
 * coverage.c - where each sensor can detect: regions, Pd and terrain.
 *
 * The problem: a tracker that counts a miss against every track within a
 * sensor's range disc punishes tracks the sensor could never have seen - a
 * camera looking the other way, a radar whose beam a ridge blocks - and
 * those misses delete real tracks or keep them from confirming.  This module
 * answers "what is sensor i's Pd at (e, n)?" so misses are counted only
 * where a sensor looks, in proportion to how well it sees there.
 *
 * The answer is cheap because everything costly happens once, at create:
 * the DEM (any CRS GDAL reads) is resampled onto a grid of the engine's
 * local frame covering every fixed sensor's square of max range; then per
 * sensor a radial sweep from its eye (ground elevation + height_m) keeps,
 * along rays a half cell apart at max range, the running maximum of the
 * terrain's elevation angle (earth curvature with the standard 4/3
 * refraction radius folded into the heights), and each raster cell is
 * visible when the angle to a target target_height_m above the ground at
 * the cell's centre is at least that maximum over the terrain before it.
 * The raster keeps visibility x Pd(range at the cell's centre) quantised to
 * 1/255.  A query checks range and the angular mask analytically (so a
 * cued camera needs no recompute) and reads one byte.  Without a DEM, and
 * for moving sensors, Pd(range) is computed at query time (a short table
 * walk).
 *
 * Samples the DEM does not cover, or holds no data for, block nothing: an
 * unknown terrain is treated as open (the sensor's plain region).
 */
#include "geo/coverage.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"

#define COV_LOG "coverage"
#define TARGET_HEIGHT_M_DEFAULT 1.5
#define CELL_M_DEFAULT 25.0
#define EARTH_RADIUS_EFF_M (6371000.0 * 4.0 / 3.0)   /* standard refraction */
#define MAX_RASTER_SIDE 4096          /* cells per side of one sensor's raster */
#define MAX_ELEV_CELLS (32u << 20)    /* cells of the resampled DEM grid */
#define DEG (M_PI / 180.0)

/* One angular interval of grid bearings [lo, lo + len], radians, lo in [0, 2 pi). */
struct arc {
    double lo, len;
};

struct cov_sensor {
    char id[65];
    char kind[33];
    enum bf_coverage_shape shape;
    double lat_deg, lon_deg;
    double e_m, n_m;
    double height_m;
    double range_m, min_range_m;
    double gamma_rad;               /* grid bearing = true bearing + gamma */
    double home_heading_deg, heading_deg, hfov_deg;
    double axis_rad, half_fov_rad;  /* wedge: grid bearing of the axis, half the field of view */
    struct arc arcs[BF_COVERAGE_MAX_SECTORS + 1];   /* sectors, merged, grid bearings (one
                                                     * may be split at north) */
    size_t n_arcs;
    size_t n_sectors;
    double sectors_deg[BF_COVERAGE_MAX_SECTORS][2];
    double pd;
    size_t n_pd;
    double pd_r[BF_COVERAGE_MAX_PD_POINTS], pd_v[BF_COVERAGE_MAX_PD_POINTS];
    bool moving;
    /* terrain raster: side x side cells of cell_m, the square [e - R, e + R] x [n - R, n + R],
     * row 0 the southern edge; NULL: analytic */
    uint8_t *raster;
    int side;
    bool absent;                    /* removed (bf_coverage_remove_sensor): no region */
};

struct bf_coverage {
    struct cov_sensor *s;
    size_t n;
    double cell_m;
    double target_height_m;
    bool terrain;                   /* a DEM was read */
    char *dem_path;                 /* ... from here (sensors set later read it again) */
    double lut[256];                /* raster byte -> Pd */
};

/* The resampled DEM: nx x ny values (metres, NAN unknown) at cell centres of the local frame. */
struct elev_grid {
    float *z;
    int nx, ny;
    double e0, n0;                  /* centre of cell (0, 0) */
    double cell;
};

/* ---- small maths ------------------------------------------------------------------ */

static double wrap2pi(double a)
{
    a = fmod(a, 2 * M_PI);
    if (a < 0)
        a += 2 * M_PI;
    return a;
}

/* Is grid bearing b (radians, [0, 2 pi)) in arc a? */
static bool in_arc(const struct arc *a, double b)
{
    return wrap2pi(b - a->lo) <= a->len;
}

static double pd_of_range(const struct cov_sensor *s, double r)
{
    if (s->n_pd == 0)
        return s->pd;
    if (r <= s->pd_r[0])
        return s->pd_v[0];
    for (size_t i = 1; i < s->n_pd; i++) {
        if (r <= s->pd_r[i]) {
            double f = (r - s->pd_r[i - 1]) / (s->pd_r[i] - s->pd_r[i - 1]);
            return s->pd_v[i - 1] + f * (s->pd_v[i] - s->pd_v[i - 1]);
        }
    }
    return s->pd_v[s->n_pd - 1];
}

/* Angular mask only (the range and raster are checked by the caller). */
static bool in_angles(const struct cov_sensor *s, double de, double dn)
{
    if (s->shape == BF_COVERAGE_WEDGE) {
        double b = atan2(de, dn);
        double d = fabs(remainder(b - s->axis_rad, 2 * M_PI));
        return d <= s->half_fov_rad;
    }
    if (s->n_arcs == 0)
        return true;
    double b = wrap2pi(atan2(de, dn));
    for (size_t i = 0; i < s->n_arcs; i++)
        if (in_arc(&s->arcs[i], b))
            return true;
    return false;
}

/* ---- checking and building the sensors -------------------------------------------- */

static int cmp_arc(const void *a, const void *b)
{
    double x = ((const struct arc *)a)->lo, y = ((const struct arc *)b)->lo;
    return x < y ? -1 : x > y;
}

/*
 * Sectors (true degrees) -> merged arcs of grid bearings.  A sector of 360
 * degrees or more is all round (no arcs).
 */
static void make_arcs(struct cov_sensor *s)
{
    struct arc tmp[2 * BF_COVERAGE_MAX_SECTORS];
    size_t n = 0;
    for (size_t i = 0; i < s->n_sectors; i++) {
        double from = s->sectors_deg[i][0], to = s->sectors_deg[i][1];
        double len = fmod(to - from, 360.0);
        if (len < 0)
            len += 360.0;
        if (to - from >= 360.0 || (len == 0 && to != from)) {
            s->n_arcs = 0;
            return;
        }
        double lo = wrap2pi(from * DEG + s->gamma_rad);
        double l = len * DEG;
        if (lo + l > 2 * M_PI) {   /* split at north to merge simply */
            tmp[n++] = (struct arc){.lo = lo, .len = 2 * M_PI - lo};
            tmp[n++] = (struct arc){.lo = 0, .len = lo + l - 2 * M_PI};
        } else {
            tmp[n++] = (struct arc){.lo = lo, .len = l};
        }
    }
    qsort(tmp, n, sizeof *tmp, cmp_arc);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && tmp[i].lo <= s->arcs[m - 1].lo + s->arcs[m - 1].len) {
            double end = fmax(s->arcs[m - 1].lo + s->arcs[m - 1].len, tmp[i].lo + tmp[i].len);
            s->arcs[m - 1].len = end - s->arcs[m - 1].lo;
        } else {   /* disjoint pieces: at most MAX_SECTORS, + 1 for the one cut at north */
            s->arcs[m++] = tmp[i];
        }
    }
    /* join the piece ending at 2 pi with the one starting at 0 */
    if (m >= 2 && s->arcs[0].lo <= 1e-12 &&
        s->arcs[m - 1].lo + s->arcs[m - 1].len >= 2 * M_PI - 1e-12) {
        s->arcs[m - 1].len += s->arcs[0].len;
        memmove(&s->arcs[0], &s->arcs[1], (m - 1) * sizeof *s->arcs);
        m--;
    }
    if (m == 1 && s->arcs[0].len >= 2 * M_PI - 1e-12)
        m = 0;
    s->n_arcs = m;
}

static int check_sensor(const struct bf_coverage_sensor *in, size_t i, char *err, size_t errlen)
{
    const char *id = in->id ? in->id : "?";
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return BF_EINVAL; } while (0)
    if (!isfinite(in->e_m) || !isfinite(in->n_m))
        BAD("sensor %zu (%s): position is not finite", i, id);
    if (!(in->range_m > 0) || !isfinite(in->range_m))
        BAD("sensor %s: range_m must be > 0, got %g", id, in->range_m);
    if (!(in->min_range_m >= 0) || in->min_range_m >= in->range_m)
        BAD("sensor %s: min_range_m must be in [0, range_m = %g), got %g", id, in->range_m,
            in->min_range_m);
    if (!(in->height_m >= 0) || !isfinite(in->height_m))
        BAD("sensor %s: height_m must be >= 0, got %g", id, in->height_m);
    if (in->shape == BF_COVERAGE_WEDGE) {
        if (!isfinite(in->heading_deg))
            BAD("sensor %s: the heading is not finite", id);
        if (!(in->hfov_deg > 0 && in->hfov_deg < 360))
            BAD("sensor %s: hfov_deg must be in (0, 360), got %g", id, in->hfov_deg);
        if (in->n_sectors)
            BAD("sensor %s: a camera's region is its field of view: no sectors", id);
    } else if (in->shape != BF_COVERAGE_DISC) {
        BAD("sensor %s: unknown shape %d", id, (int)in->shape);
    }
    if (in->n_sectors > BF_COVERAGE_MAX_SECTORS)
        BAD("sensor %s: at most %d sectors, got %zu", id, BF_COVERAGE_MAX_SECTORS, in->n_sectors);
    for (size_t k = 0; k < in->n_sectors; k++)
        if (!isfinite(in->sectors_deg[k][0]) || !isfinite(in->sectors_deg[k][1]) ||
            fabs(in->sectors_deg[k][0]) > 720 || fabs(in->sectors_deg[k][1]) > 720)
            BAD("sensor %s: sector %zu is not a pair of finite bearings", id, k);
    if (in->n_pd_points > BF_COVERAGE_MAX_PD_POINTS)
        BAD("sensor %s: at most %d pd_by_range points, got %zu", id, BF_COVERAGE_MAX_PD_POINTS,
            in->n_pd_points);
    if (in->n_pd_points == 0 && !(in->pd > 0 && in->pd <= 1))
        BAD("sensor %s: pd must be in (0, 1], got %g", id, in->pd);
    for (size_t k = 0; k < in->n_pd_points; k++) {
        double r = in->pd_by_range[k][0], p = in->pd_by_range[k][1];
        if (!(r >= 0) || !isfinite(r) || !(p >= 0 && p <= 1))
            BAD("sensor %s: pd_by_range point %zu must be [range_m >= 0, pd in [0, 1]]", id, k);
        if (k > 0 && !(r > in->pd_by_range[k - 1][0]))
            BAD("sensor %s: pd_by_range ranges must increase (point %zu: %g after %g)", id, k, r,
                in->pd_by_range[k - 1][0]);
    }
#undef BAD
    return 0;
}

void bf_coverage_params_default(struct bf_coverage_params *p)
{
    *p = (struct bf_coverage_params){
        .dem_path = NULL, .target_height_m = TARGET_HEIGHT_M_DEFAULT, .cell_m = CELL_M_DEFAULT,
    };
}

/* ---- the DEM --------------------------------------------------------------------- */

static double elev_at(const struct elev_grid *g, double e, double n)
{
    double x = (e - g->e0) / g->cell, y = (n - g->n0) / g->cell;
    if (!(x >= 0 && y >= 0 && x <= g->nx - 1 && y <= g->ny - 1))
        return NAN;
    int i = (int)x, j = (int)y;
    if (i >= g->nx - 1)
        i = g->nx - 2;
    if (j >= g->ny - 1)
        j = g->ny - 2;
    if (i < 0 || j < 0)   /* a grid of one cell in a direction */
        return g->z[(size_t)(j < 0 ? 0 : j) * (size_t)g->nx + (size_t)(i < 0 ? 0 : i)];
    double fx = x - i, fy = y - j;
    const float *r0 = g->z + (size_t)j * (size_t)g->nx + i, *r1 = r0 + g->nx;
    return (1 - fy) * ((1 - fx) * r0[0] + fx * r0[1]) + fy * ((1 - fx) * r1[0] + fx * r1[1]);
}

/*
 * Where each grid centre of g falls in the DEM's pixels: local -> WGS84
 * (frame) -> the DEM's CRS (wkt, OGR) -> pixel coordinates through inv (the
 * inverse geotransform), centres at +0.5; NaN where it cannot be
 * transformed.  x and y hold nx * ny each.  0 or BF_EPROJ / BF_ENOMEM with err.
 */
static int grid_pixels(const char *path, const char *wkt, const double inv[6],
                       struct bf_geo_frame *frame, const struct elev_grid *g, double *x,
                       double *y, char *err, size_t errlen)
{
    int rc = 0;
    OGRSpatialReferenceH dem_srs = OSRNewSpatialReference(wkt);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    int *ok = NULL;
    if (!dem_srs || !wgs || OSRImportFromEPSG(wgs, 4326) != OGRERR_NONE) {
        snprintf(err, errlen, "DEM %s: its coordinate reference system is not understood", path);
        rc = BF_EPROJ;
        goto out;
    }
    OSRSetAxisMappingStrategy(dem_srs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    ct = OCTNewCoordinateTransformation(wgs, dem_srs);
    if (!ct) {
        snprintf(err, errlen, "DEM %s: no transformation from WGS84 to its CRS", path);
        rc = BF_EPROJ;
        goto out;
    }
    size_t np = (size_t)g->nx * (size_t)g->ny;
    for (int j = 0; j < g->ny; j++) {
        for (int i = 0; i < g->nx; i++) {
            size_t k = (size_t)j * (size_t)g->nx + (size_t)i;
            double lat, lon;
            if (bf_geo_to_wgs84(frame, g->e0 + i * g->cell, g->n0 + j * g->cell, &lat, &lon) < 0) {
                snprintf(err, errlen, "DEM %s: the local frame cannot be projected", path);
                rc = BF_EPROJ;
                goto out;
            }
            x[k] = lon;
            y[k] = lat;
        }
    }
    ok = malloc(np * sizeof *ok);
    if (!ok) {
        rc = BF_ENOMEM;
        goto out;
    }
    if (!OCTTransformEx(ct, (int)np, x, y, NULL, ok)) {
        for (size_t k = 0; k < np; k++)
            if (!ok[k])
                x[k] = y[k] = NAN;
    }
    for (size_t k = 0; k < np; k++) {   /* -> pixel coordinates, centres at +0.5 */
        if (!ok[k] || !isfinite(x[k]) || !isfinite(y[k])) {
            x[k] = y[k] = NAN;
            continue;
        }
        double px = inv[0] + inv[1] * x[k] + inv[2] * y[k];
        double py = inv[3] + inv[4] * x[k] + inv[5] * y[k];
        x[k] = px - 0.5;
        y[k] = py - 0.5;
    }
out:
    free(ok);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (dem_srs)
        OSRDestroySpatialReference(dem_srs);
    if (wgs)
        OSRDestroySpatialReference(wgs);
    return rc;
}

/*
 * g->z at each grid point (x, y: DEM pixels) bilinear from the window win
 * (ww x wh pixels whose first is the DEM's (x0, y0)); NaN outside it or
 * where it has no data.  Returns the number of unknown grid points.
 */
static size_t resample(struct elev_grid *g, const double *x, const double *y, const float *win,
                       int x0, int y0, int ww, int wh)
{
    size_t np = (size_t)g->nx * (size_t)g->ny, unknown = 0;
    for (size_t k = 0; k < np; k++) {
        double px = x[k] - x0, py = y[k] - y0;
        if (!(px >= -0.5 && py >= -0.5 && px <= ww - 0.5 && py <= wh - 0.5)) {
            unknown++;
            continue;
        }
        px = fmin(fmax(px, 0), ww - 1);
        py = fmin(fmax(py, 0), wh - 1);
        int i = (int)px, j = (int)py;
        if (i >= ww - 1)
            i = ww > 1 ? ww - 2 : 0;
        if (j >= wh - 1)
            j = wh > 1 ? wh - 2 : 0;
        double fx = ww > 1 ? px - i : 0, fy = wh > 1 ? py - j : 0;
        const float *r0 = win + (size_t)j * (size_t)ww + i;
        const float *r1 = wh > 1 ? r0 + ww : r0;
        float a = r0[0], b = ww > 1 ? r0[1] : r0[0], c = r1[0], d = ww > 1 ? r1[1] : r1[0];
        g->z[k] = (float)((1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d));
        if (isnan(g->z[k]))
            unknown++;
    }
    return unknown;
}

/*
 * Read the DEM and resample it onto g (its extent and cell set by the
 * caller): each grid centre goes local -> WGS84 (frame) -> the DEM's CRS
 * (OGR), then bilinear in the DEM's pixels.  0 or BF_EIO / BF_EPROJ /
 * BF_ENOMEM with err.
 */
static int read_dem(const char *path, struct bf_geo_frame *frame, struct elev_grid *g,
                    char *err, size_t errlen)
{
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    CPLPopErrorHandler();
    if (!ds) {
        snprintf(err, errlen, "DEM %s: cannot open (%s)", path, CPLGetLastErrorMsg());
        return BF_EIO;
    }
    int rc = 0;
    double gt[6], inv[6];
    double *x = NULL, *y = NULL;
    float *win = NULL;
    const char *wkt = GDALGetProjectionRef(ds);
    if (GDALGetRasterCount(ds) < 1 || GDALGetGeoTransform(ds, gt) != CE_None ||
        !GDALInvGeoTransform(gt, inv) || !wkt || !wkt[0]) {
        snprintf(err, errlen, "DEM %s: needs a band, a geotransform and a coordinate "
                 "reference system", path);
        rc = BF_EIO;
        goto out;
    }
    size_t np = (size_t)g->nx * (size_t)g->ny;
    x = malloc(np * sizeof *x);
    y = malloc(np * sizeof *y);
    if (!x || !y) {
        rc = BF_ENOMEM;
        snprintf(err, errlen, "DEM %s: out of memory", path);
        goto out;
    }
    rc = grid_pixels(path, wkt, inv, frame, g, x, y, err, errlen);
    if (rc < 0)
        goto out;
    /* the window of the DEM the grid needs */
    int W = GDALGetRasterXSize(ds), H = GDALGetRasterYSize(ds);
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t k = 0; k < np; k++) {
        if (isnan(x[k]))
            continue;
        xmin = fmin(xmin, x[k]);
        xmax = fmax(xmax, x[k]);
        ymin = fmin(ymin, y[k]);
        ymax = fmax(ymax, y[k]);
    }
    int x0 = (int)fmax(0, floor(xmin) - 1), x1 = (int)fmin(W - 1, ceil(xmax) + 1);
    int y0 = (int)fmax(0, floor(ymin) - 1), y1 = (int)fmin(H - 1, ceil(ymax) + 1);
    for (size_t k = 0; k < np; k++)
        g->z[k] = NAN;
    if (!(xmin <= xmax) || x0 > x1 || y0 > y1) {
        BF_LOGW(COV_LOG, "DEM %s does not cover the sensors: terrain ignored", path);
        goto out;
    }
    int ww = x1 - x0 + 1, wh = y1 - y0 + 1;
    win = malloc((size_t)ww * (size_t)wh * sizeof *win);
    if (!win) {
        rc = BF_ENOMEM;
        snprintf(err, errlen, "DEM %s: out of memory for a %d x %d window", path, ww, wh);
        goto out;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (GDALRasterIO(band, GF_Read, x0, y0, ww, wh, win, ww, wh, GDT_Float32, 0, 0) != CE_None) {
        snprintf(err, errlen, "DEM %s: read failed (%s)", path, CPLGetLastErrorMsg());
        rc = BF_EIO;
        goto out;
    }
    int has_nd = 0;
    double nd = GDALGetRasterNoDataValue(band, &has_nd);
    for (size_t k = 0; k < (size_t)ww * (size_t)wh; k++)
        if ((has_nd && win[k] == (float)nd) || !isfinite(win[k]) || fabsf(win[k]) > 1e5f)
            win[k] = NAN;
    size_t unknown = resample(g, x, y, win, x0, y0, ww, wh);
    if (unknown > 0)
        BF_LOGI(COV_LOG, "DEM %s: %.1f%% of the terrain grid unknown (outside the DEM or no "
                "data): open there", path, 100.0 * (double)unknown / (double)np);
out:
    free(win);
    free(x);
    free(y);
    GDALClose(ds);
    return rc;
}

int bf_coverage_dem_check(const char *path, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = path ? GDALOpen(path, GA_ReadOnly) : NULL;
    CPLPopErrorHandler();
    if (!ds) {
        snprintf(err, errlen, "DEM %s: cannot open (%s)", path ? path : "(null)",
                 CPLGetLastErrorMsg());
        return BF_EIO;
    }
    double gt[6];
    const char *wkt = GDALGetProjectionRef(ds);
    int rc = 0;
    if (GDALGetRasterCount(ds) < 1 || GDALGetGeoTransform(ds, gt) != CE_None || !wkt || !wkt[0]) {
        snprintf(err, errlen, "DEM %s: needs a band, a geotransform and a coordinate reference "
                 "system", path);
        rc = BF_EIO;
    }
    GDALClose(ds);
    return rc;
}

/*
 * Sensor s's raster from the terrain grid: a radial sweep (see the top of
 * the file).  0 or BF_ENOMEM.
 */
static int make_raster(struct bf_coverage *c, struct cov_sensor *s, const struct elev_grid *g)
{
    double R = s->range_m, cell = c->cell_m;
    int side = (int)ceil(2 * R / cell);
    if (side < 1)
        side = 1;
    double z_ground = elev_at(g, s->e_m, s->n_m);
    if (isnan(z_ground)) {
        BF_LOGW(COV_LOG, "sensor %s: no terrain elevation where it stands: no terrain masking",
                s->id);
        return 0;
    }
    double z_o = z_ground + s->height_m;
    double ds = cell / 2;
    int ns = (int)ceil(R / ds) + 1;
    int nr = (int)ceil(2 * M_PI * R / ds);
    if (nr < 360)
        nr = 360;
    float *maxang = malloc((size_t)nr * (size_t)ns * sizeof *maxang);
    s->raster = malloc((size_t)side * (size_t)side);
    if (!maxang || !s->raster) {
        free(maxang);
        free(s->raster);
        s->raster = NULL;
        return BF_ENOMEM;
    }
    /* maxang[k][i]: the highest slope (tan of elevation) of the terrain at samples 1..i of ray k */
    for (int k = 0; k < nr; k++) {
        double b = 2 * M_PI * k / nr, sb = sin(b), cb = cos(b);
        float *m = maxang + (size_t)k * (size_t)ns;
        float best = -FLT_MAX;
        m[0] = best;
        for (int i = 1; i < ns; i++) {
            double d = i * ds;
            double z = elev_at(g, s->e_m + d * sb, s->n_m + d * cb);
            if (!isnan(z)) {
                double sl = (z - d * d / (2 * EARTH_RADIUS_EFF_M) - z_o) / d;
                if (sl > best)
                    best = (float)sl;
            }
            m[i] = best;
        }
    }
    s->side = side;
    double half = side * cell / 2;
    for (int j = 0; j < side; j++) {
        double dn = -half + (j + 0.5) * cell;
        for (int i = 0; i < side; i++) {
            double de = -half + (i + 0.5) * cell;
            double r = hypot(de, dn);
            double pd = pd_of_range(s, r);
            bool vis = true;
            if (r > ds && r <= R + cell) {
                double zt = elev_at(g, s->e_m + de, s->n_m + dn);
                if (!isnan(zt)) {
                    double b = wrap2pi(atan2(de, dn));
                    int k = (int)lround(b / (2 * M_PI) * nr) % nr;
                    int ib = (int)ceil(r / ds) - 1;   /* samples strictly before the target */
                    if (ib >= ns)
                        ib = ns - 1;
                    double sl = (zt + c->target_height_m - r * r / (2 * EARTH_RADIUS_EFF_M) - z_o) / r;
                    vis = ib < 1 || sl >= maxang[(size_t)k * (size_t)ns + (size_t)ib];
                }
            }
            s->raster[(size_t)j * (size_t)side + (size_t)i] =
                vis ? (uint8_t)lround(fmin(fmax(pd, 0), 1) * 255) : 0;
        }
    }
    free(maxang);
    return 0;
}

/* Does fixed sensor i get a terrain raster (not moving, not too many cells)? */
static bool terrain_wanted(const struct bf_coverage *c, size_t i)
{
    const struct cov_sensor *o = &c->s[i];
    return !o->absent && !o->moving && 2 * o->range_m / c->cell_m <= MAX_RASTER_SIDE;
}

/*
 * Read the DEM onto one terrain grid over the squares of sensor only (or of
 * every sensor wanting terrain, SIZE_MAX) and make their rasters.  0 or BF_E*.
 */
static int terrain_pass(struct bf_coverage *c, const char *dem, struct bf_geo_frame *frame,
                        size_t only, char *err, size_t errlen)
{
    double e0 = INFINITY, e1 = -INFINITY, n0 = INFINITY, n1 = -INFINITY;
    for (size_t i = 0; i < c->n; i++) {
        if ((only != SIZE_MAX && i != only) || !terrain_wanted(c, i))
            continue;
        const struct cov_sensor *o = &c->s[i];
        double R = o->range_m + 2 * c->cell_m;
        e0 = fmin(e0, o->e_m - R);
        e1 = fmax(e1, o->e_m + R);
        n0 = fmin(n0, o->n_m - R);
        n1 = fmax(n1, o->n_m + R);
    }
    if (!(e0 <= e1))
        return 0;
    struct elev_grid g = {.cell = c->cell_m, .e0 = e0, .n0 = n0};
    for (;;) {
        g.nx = (int)ceil((e1 - e0) / g.cell) + 1;
        g.ny = (int)ceil((n1 - n0) / g.cell) + 1;
        if ((size_t)g.nx * (size_t)g.ny <= MAX_ELEV_CELLS)
            break;
        g.cell *= 2;
    }
    if (g.cell != c->cell_m)
        BF_LOGW(COV_LOG, "terrain grid over %.0f x %.0f m: sampled every %.0f m instead of "
                "%.0f m", e1 - e0, n1 - n0, g.cell, c->cell_m);
    g.z = malloc((size_t)g.nx * (size_t)g.ny * sizeof *g.z);
    if (!g.z) {
        snprintf(err, errlen, "out of memory for the terrain grid");
        return BF_ENOMEM;
    }
    int rc = read_dem(dem, frame, &g, err, errlen);
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        if ((only != SIZE_MAX && i != only) || !terrain_wanted(c, i))
            continue;
        rc = make_raster(c, &c->s[i], &g);
        if (rc < 0)
            snprintf(err, errlen, "sensor %s: out of memory for its terrain raster", c->s[i].id);
    }
    free(g.z);
    return rc;
}

/* Copy one sensor's region in (create, set_sensor); its raster is made by terrain_pass. */
static void fill_sensor(struct bf_coverage *c, struct cov_sensor *o,
                        const struct bf_coverage_sensor *in, struct bf_geo_frame *frame,
                        const char *dem_path)
{
    *o = (struct cov_sensor){0};
    snprintf(o->id, sizeof o->id, "%s", in->id ? in->id : "");
    snprintf(o->kind, sizeof o->kind, "%s", in->kind ? in->kind : "");
    o->shape = in->shape;
    o->lat_deg = in->lat_deg;
    o->lon_deg = in->lon_deg;
    o->e_m = in->e_m;
    o->n_m = in->n_m;
    o->height_m = in->height_m;
    o->range_m = in->range_m;
    o->min_range_m = in->min_range_m;
    double gamma = 0;
    if (bf_geo_convergence(frame, in->lat_deg, in->lon_deg, &gamma) < 0 || !isfinite(gamma))
        gamma = 0;
    o->gamma_rad = gamma;
    o->home_heading_deg = o->heading_deg = in->heading_deg;
    o->hfov_deg = in->hfov_deg;
    o->axis_rad = (in->heading_deg * DEG) + gamma;
    o->half_fov_rad = in->hfov_deg * DEG / 2;
    o->n_sectors = in->n_sectors;
    memcpy(o->sectors_deg, in->sectors_deg, sizeof o->sectors_deg);
    if (o->shape == BF_COVERAGE_DISC)
        make_arcs(o);
    o->pd = in->pd;
    o->n_pd = in->n_pd_points;
    for (size_t k = 0; k < o->n_pd; k++) {
        o->pd_r[k] = in->pd_by_range[k][0];
        o->pd_v[k] = in->pd_by_range[k][1];
    }
    o->moving = in->moving;
    if (dem_path && dem_path[0] && !o->moving &&
        !(2 * o->range_m / c->cell_m <= MAX_RASTER_SIDE))
        BF_LOGW(COV_LOG, "sensor %s: range %.0f m over %.0f m cells is more than %d cells a "
                "side: no terrain masking (raise terrain.cell_m)", o->id, o->range_m,
                c->cell_m, MAX_RASTER_SIDE);
}

/* ---- create / destroy ------------------------------------------------------------- */

int bf_coverage_create(const struct bf_coverage_params *p, const struct bf_coverage_sensor *s,
                       size_t n, struct bf_geo_frame *frame, struct bf_coverage **out,
                       char *err, size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    struct bf_coverage_params def;
    bf_coverage_params_default(&def);
    if (!p)
        p = &def;
    if ((n > 0 && !s) || n > 64 || !frame) {
        snprintf(err, errlen, "bad arguments (%zu sensors)", n);
        return BF_EINVAL;
    }
    if (!(p->cell_m >= 1 && p->cell_m <= 10000) || !(p->target_height_m >= 0) ||
        !isfinite(p->target_height_m)) {
        snprintf(err, errlen, "terrain: cell_m must be in [1, 10000] and target_height_m >= 0");
        return BF_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = check_sensor(&s[i], i, err, errlen);
        if (rc < 0)
            return rc;
    }
    struct bf_coverage *c = calloc(1, sizeof *c);
    if (!c || !(c->s = calloc(n ? n : 1, sizeof *c->s))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return BF_ENOMEM;
    }
    c->n = n;
    c->cell_m = p->cell_m;
    c->target_height_m = p->target_height_m;
    for (int k = 0; k < 256; k++)
        c->lut[k] = k / 255.0;
    for (size_t i = 0; i < n; i++)
        fill_sensor(c, &c->s[i], &s[i], frame, p->dem_path);
    int rc = 0;
    if (p->dem_path && p->dem_path[0]) {
        /* one terrain grid over every fixed sensor's square, or one per sensor when
         * they stand so far apart that the squares' bounding box is larger than
         * the squares together */
        double e0 = INFINITY, e1 = -INFINITY, n0 = INFINITY, n1 = -INFINITY, sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (!terrain_wanted(c, i))
                continue;
            const struct cov_sensor *o = &c->s[i];
            double R = o->range_m + 2 * c->cell_m;
            e0 = fmin(e0, o->e_m - R);
            e1 = fmax(e1, o->e_m + R);
            n0 = fmin(n0, o->n_m - R);
            n1 = fmax(n1, o->n_m + R);
            sum += 4 * R * R;
        }
        if (e0 <= e1 && (e1 - e0) * (n1 - n0) <= sum) {
            rc = terrain_pass(c, p->dem_path, frame, SIZE_MAX, err, errlen);
        } else {
            for (size_t i = 0; rc == 0 && i < n; i++)
                if (terrain_wanted(c, i))
                    rc = terrain_pass(c, p->dem_path, frame, i, err, errlen);
        }
        c->terrain = rc == 0;
        if (rc == 0 && !(c->dem_path = strdup(p->dem_path))) {
            snprintf(err, errlen, "out of memory");
            rc = BF_ENOMEM;
        }
    }
    if (rc < 0) {
        bf_coverage_destroy(c);
        return rc;
    }
    *out = c;
    return 0;
}

void bf_coverage_destroy(struct bf_coverage *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].raster);
    free(c->s);
    free(c->dem_path);
    free(c);
}

int bf_coverage_set_sensor(struct bf_coverage *c, uint32_t sensor_idx,
                           const struct bf_coverage_sensor *s, struct bf_geo_frame *frame,
                           char *err, size_t errlen)
{
    if (!err || errlen == 0)   /* the reason is not wanted: it goes to a scratch buffer */
        return bf_coverage_set_sensor(c, sensor_idx, s, frame, (char[8]){0}, 8);
    err[0] = '\0';
    if (!c || !s || !frame || sensor_idx >= 64) {
        snprintf(err, errlen, "bad arguments (sensor index %u)", sensor_idx);
        return BF_EINVAL;
    }
    int rc = check_sensor(s, sensor_idx, err, errlen);
    if (rc < 0)
        return rc;
    size_t n = c->n;
    if (sensor_idx >= n) {
        struct cov_sensor *ns = realloc(c->s, ((size_t)sensor_idx + 1) * sizeof *ns);
        if (!ns) {
            snprintf(err, errlen, "out of memory");
            return BF_ENOMEM;
        }
        c->s = ns;
        for (size_t i = n; i <= sensor_idx; i++)   /* indices skipped over: absent */
            c->s[i] = (struct cov_sensor){.absent = true};
        c->n = (size_t)sensor_idx + 1;
    }
    struct cov_sensor was = c->s[sensor_idx];
    fill_sensor(c, &c->s[sensor_idx], s, frame, c->dem_path);
    if (c->dem_path && terrain_wanted(c, sensor_idx))
        rc = terrain_pass(c, c->dem_path, frame, sensor_idx, err, errlen);
    if (rc < 0) {
        free(c->s[sensor_idx].raster);
        c->s[sensor_idx] = was;   /* as it was, raster and all */
        return rc;
    }
    free(was.raster);
    return 0;
}

int bf_coverage_remove_sensor(struct bf_coverage *c, uint32_t sensor_idx)
{
    if (!c || sensor_idx >= c->n)
        return BF_EINVAL;
    struct cov_sensor *o = &c->s[sensor_idx];
    free(o->raster);
    o->raster = NULL;
    o->absent = true;
    return 0;
}

size_t bf_coverage_count(const struct bf_coverage *c) { return c ? c->n : 0; }

/* ---- queries ---------------------------------------------------------------------- */

/* Raster byte under (de, dn) from the sensor, or -1 outside the raster. */
static int raster_at(const struct bf_coverage *c, const struct cov_sensor *s, double de, double dn)
{
    double half = s->side * c->cell_m / 2;
    double x = (de + half) / c->cell_m, y = (dn + half) / c->cell_m;
    if (!(x >= 0 && y >= 0 && x < s->side && y < s->side))
        return -1;
    return s->raster[(size_t)y * (size_t)s->side + (size_t)x];
}

double bf_coverage_pd_at(const void *cov, uint32_t sensor_idx, double e_m, double n_m)
{
    const struct bf_coverage *c = cov;
    if (!c || sensor_idx >= c->n || c->s[sensor_idx].absent)
        return 0;
    const struct cov_sensor *s = &c->s[sensor_idx];
    double de = e_m - s->e_m, dn = n_m - s->n_m;
    double r2 = de * de + dn * dn;
    if (!(r2 <= s->range_m * s->range_m) || r2 < s->min_range_m * s->min_range_m)
        return 0;   /* NAN lands here too */
    if (!in_angles(s, de, dn))
        return 0;
    if (s->raster) {
        int v = raster_at(c, s, de, dn);
        if (v >= 0)
            return c->lut[v];
    }
    return pd_of_range(s, sqrt(r2));
}

bool bf_coverage_terrain_visible(const struct bf_coverage *c, uint32_t sensor_idx, double e_m,
                                 double n_m)
{
    if (!c || sensor_idx >= c->n || !c->s[sensor_idx].raster)
        return true;
    const struct cov_sensor *s = &c->s[sensor_idx];
    double de = e_m - s->e_m, dn = n_m - s->n_m;
    if (de * de + dn * dn > s->range_m * s->range_m)
        return true;
    int v = raster_at(c, s, de, dn);
    if (v != 0)
        return true;
    /* 0 is also a Pd of 0 by range: visible iff the Pd there is 0 anyway */
    return pd_of_range(s, hypot(de, dn)) < 0.5 / 255;
}

int bf_coverage_set_heading(struct bf_coverage *c, uint32_t sensor_idx, double heading_deg)
{
    if (!c || sensor_idx >= c->n || c->s[sensor_idx].shape != BF_COVERAGE_WEDGE ||
        isinf(heading_deg))
        return BF_EINVAL;
    struct cov_sensor *s = &c->s[sensor_idx];
    s->heading_deg = isnan(heading_deg) ? s->home_heading_deg : heading_deg;
    s->axis_rad = s->heading_deg * DEG + s->gamma_rad;
    return 0;
}

double bf_coverage_heading(const struct bf_coverage *c, uint32_t sensor_idx)
{
    if (!c || sensor_idx >= c->n || c->s[sensor_idx].shape != BF_COVERAGE_WEDGE)
        return NAN;
    return c->s[sensor_idx].heading_deg;
}

int bf_coverage_move_sensor(struct bf_coverage *c, uint32_t sensor_idx, double e_m, double n_m)
{
    if (!c || sensor_idx >= c->n || !c->s[sensor_idx].moving || !isfinite(e_m) || !isfinite(n_m))
        return BF_EINVAL;
    c->s[sensor_idx].e_m = e_m;
    c->s[sensor_idx].n_m = n_m;
    return 0;
}

/* ---- outlines and GeoJSON ----------------------------------------------------------- */

struct ring_buf {
    struct bf_coverage_outline *o;
    size_t cap;
    double *xy;
    size_t n, xy_cap;
    bool failed;
};

static void ring_pt(struct ring_buf *b, double e, double n)
{
    if (b->failed)
        return;
    if (b->n + 1 > b->xy_cap) {
        size_t cap = b->xy_cap ? 2 * b->xy_cap : 64;
        double *p = realloc(b->xy, cap * 2 * sizeof *p);
        if (!p) {
            b->failed = true;
            return;
        }
        b->xy = p;
        b->xy_cap = cap;
    }
    b->xy[2 * b->n] = e;
    b->xy[2 * b->n + 1] = n;
    b->n++;
}

static void ring_end(struct ring_buf *b, bool hole)
{
    if (b->failed || b->n == 0) {
        free(b->xy);
        b->xy = NULL;
        b->n = b->xy_cap = 0;
        return;
    }
    ring_pt(b, b->xy[0], b->xy[1]);   /* close */
    if (!b->failed && b->o->n_rings == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        struct bf_coverage_ring *r = realloc(b->o->rings, cap * sizeof *r);
        if (!r)
            b->failed = true;
        else {
            b->o->rings = r;
            b->cap = cap;
        }
    }
    if (b->failed) {
        free(b->xy);
    } else {
        b->o->rings[b->o->n_rings++] = (struct bf_coverage_ring){.xy = b->xy, .n = b->n, .hole = hole};
    }
    b->xy = NULL;
    b->n = b->xy_cap = 0;
}

/* An arc at range r from grid bearing a to b (radians), steps of at most step. */
static void arc_pts(struct ring_buf *b, const struct cov_sensor *s, double r, double from,
                    double to, double step)
{
    int k = (int)ceil(fabs(to - from) / step);
    if (k < 1)
        k = 1;
    for (int i = 0; i <= k; i++) {
        double a = from + (to - from) * i / k;
        ring_pt(b, s->e_m + r * sin(a), s->n_m + r * cos(a));
    }
}

int bf_coverage_outline(const struct bf_coverage *c, uint32_t sensor_idx, double step_deg,
                        struct bf_coverage_outline *out)
{
    if (!out)
        return BF_EINVAL;
    *out = (struct bf_coverage_outline){0};
    if (!c || sensor_idx >= c->n || c->s[sensor_idx].absent || !(step_deg > 0.01 && step_deg <= 90))
        return BF_EINVAL;
    const struct cov_sensor *s = &c->s[sensor_idx];
    double step = step_deg * DEG;
    struct ring_buf b = {.o = out};
    /* the angular intervals, grid bearings */
    struct arc arcs[BF_COVERAGE_MAX_SECTORS + 1];
    size_t na = 0;
    if (s->shape == BF_COVERAGE_WEDGE)
        arcs[na++] = (struct arc){.lo = s->axis_rad - s->half_fov_rad, .len = 2 * s->half_fov_rad};
    else
        for (size_t i = 0; i < s->n_arcs; i++)
            arcs[na++] = s->arcs[i];
    double R = s->range_m, r0 = s->min_range_m;
    if (s->raster) {
        /* strips of step by bearing, stretches visible along their middle */
        double dr = fmax(c->cell_m, R / 400);
        size_t nall = na ? na : 1;
        for (size_t ai = 0; ai < nall; ai++) {
            double lo = na ? arcs[ai].lo : 0, len = na ? arcs[ai].len : 2 * M_PI;
            int ks = (int)ceil(len / step);
            for (int k = 0; k < ks; k++) {
                double a0 = lo + len * k / ks, a1 = lo + len * (k + 1) / ks, am = (a0 + a1) / 2;
                double start = -1;
                for (double r = r0; ; r += dr) {
                    double rr = fmin(r, R);
                    double rm = fmin(rr + dr / 2, R);
                    bool vis = r < R && bf_coverage_pd_at(c, sensor_idx, s->e_m + rm * sin(am),
                                                          s->n_m + rm * cos(am)) > 0;
                    if (vis && start < 0)
                        start = rr;
                    if (!vis && start >= 0) {
                        ring_pt(&b, s->e_m + rr * sin(a1), s->n_m + rr * cos(a1));
                        ring_pt(&b, s->e_m + rr * sin(a0), s->n_m + rr * cos(a0));
                        ring_pt(&b, s->e_m + start * sin(a0), s->n_m + start * cos(a0));
                        ring_pt(&b, s->e_m + start * sin(a1), s->n_m + start * cos(a1));
                        ring_end(&b, false);
                        start = -1;
                    }
                    if (r >= R)
                        break;
                }
            }
        }
    } else if (na == 0) {
        arc_pts(&b, s, R, 2 * M_PI, 0, step);   /* counter-clockwise */
        ring_end(&b, false);
        if (r0 > 0) {
            arc_pts(&b, s, r0, 0, 2 * M_PI, step);
            ring_end(&b, true);
        }
    } else {
        for (size_t i = 0; i < na; i++) {
            arc_pts(&b, s, R, arcs[i].lo + arcs[i].len, arcs[i].lo, step);
            if (r0 > 0)
                arc_pts(&b, s, r0, arcs[i].lo, arcs[i].lo + arcs[i].len, step);
            else
                ring_pt(&b, s->e_m, s->n_m);
            ring_end(&b, false);
        }
    }
    if (b.failed) {
        free(b.xy);
        bf_coverage_outline_free(out);
        return BF_ENOMEM;
    }
    return 0;
}

void bf_coverage_outline_free(struct bf_coverage_outline *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_rings; i++)
        free(o->rings[i].xy);
    free(o->rings);
    *o = (struct bf_coverage_outline){0};
}

static double round_to(double v, double q) { return round(v / q) * q; }

static cJSON *ring_json(const struct bf_coverage_ring *r, struct bf_geo_frame *frame)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t k = 0; a && k < r->n; k++) {
        double lat, lon;
        if (bf_geo_to_wgs84(frame, r->xy[2 * k], r->xy[2 * k + 1], &lat, &lon) < 0) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON *pt = cJSON_CreateArray();
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(round_to(lon, 1e-6)));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(round_to(lat, 1e-6)));
        cJSON_AddItemToArray(a, pt);
    }
    return a;
}

static cJSON *sensor_feature(const struct bf_coverage *c, uint32_t i, struct bf_geo_frame *frame,
                             double step_deg)
{
    const struct cov_sensor *s = &c->s[i];
    struct bf_coverage_outline ol;
    if (bf_coverage_outline(c, i, step_deg, &ol) < 0)
        return NULL;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "type", "Feature");
    cJSON *p = cJSON_AddObjectToObject(f, "properties");
    cJSON_AddStringToObject(p, "id", s->id);
    cJSON_AddStringToObject(p, "kind", s->kind);
    cJSON_AddStringToObject(p, "shape", s->shape == BF_COVERAGE_WEDGE ? "wedge"
                                        : s->n_arcs ? "sectors" : "disc");
    double pd = s->pd;
    if (s->n_pd) {
        pd = 0;
        for (size_t k = 0; k < s->n_pd; k++)
            pd = fmax(pd, s->pd_v[k]);
    }
    cJSON_AddNumberToObject(p, "pd", round_to(pd, 1e-4));
    if (s->n_pd) {
        cJSON *t = cJSON_AddArrayToObject(p, "pd_by_range");
        for (size_t k = 0; k < s->n_pd; k++) {
            cJSON *pt = cJSON_CreateArray();
            cJSON_AddItemToArray(pt, cJSON_CreateNumber(s->pd_r[k]));
            cJSON_AddItemToArray(pt, cJSON_CreateNumber(s->pd_v[k]));
            cJSON_AddItemToArray(t, pt);
        }
    }
    cJSON_AddNumberToObject(p, "min_range_m", s->min_range_m);
    cJSON_AddNumberToObject(p, "range_m", s->range_m);
    if (s->shape == BF_COVERAGE_WEDGE) {
        cJSON_AddNumberToObject(p, "heading_deg", round_to(s->heading_deg, 0.01));
        cJSON_AddNumberToObject(p, "hfov_deg", s->hfov_deg);
    }
    if (s->n_sectors) {
        cJSON *t = cJSON_AddArrayToObject(p, "sectors_deg");
        for (size_t k = 0; k < s->n_sectors; k++) {
            cJSON *pt = cJSON_CreateArray();
            cJSON_AddItemToArray(pt, cJSON_CreateNumber(s->sectors_deg[k][0]));
            cJSON_AddItemToArray(pt, cJSON_CreateNumber(s->sectors_deg[k][1]));
            cJSON_AddItemToArray(t, pt);
        }
    }
    cJSON_AddBoolToObject(p, "terrain", s->raster != NULL);
    cJSON_AddBoolToObject(p, "moving", s->moving);
    /* polygons: a non-hole ring and the holes after it */
    size_t npoly = 0;
    for (size_t k = 0; k < ol.n_rings; k++)
        npoly += !ol.rings[k].hole;
    cJSON *geom = cJSON_AddObjectToObject(f, "geometry");
    cJSON_AddStringToObject(geom, "type", npoly == 1 ? "Polygon" : "MultiPolygon");
    cJSON *coords = cJSON_AddArrayToObject(geom, "coordinates");
    cJSON *poly = NULL;
    bool ok = true;
    for (size_t k = 0; k < ol.n_rings && ok; k++) {
        if (!ol.rings[k].hole) {
            poly = npoly == 1 ? coords : cJSON_CreateArray();
            if (npoly != 1)
                cJSON_AddItemToArray(coords, poly);
        }
        cJSON *r = ring_json(&ol.rings[k], frame);
        ok = r != NULL && poly != NULL;
        if (ok)
            cJSON_AddItemToArray(poly, r);
        else
            cJSON_Delete(r);
    }
    bf_coverage_outline_free(&ol);
    if (!ok) {
        cJSON_Delete(f);
        return NULL;
    }
    return f;
}

cJSON *bf_coverage_to_geojson(const struct bf_coverage *c, struct bf_geo_frame *frame,
                              double step_deg)
{
    if (!c || !frame)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "type", "FeatureCollection");
    cJSON *fs = cJSON_AddArrayToObject(root, "features");
    for (uint32_t i = 0; i < c->n; i++) {
        if (c->s[i].absent)
            continue;
        cJSON *f = sensor_feature(c, i, frame, step_deg);
        if (!f) {
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddItemToArray(fs, f);
    }
    return root;
}
