/*
 * test_coverage.c - sensor coverage (geo/coverage.h) against hand-computed
 * answers: the camera wedge (in and out of the field of view, min and max
 * range, across north, turned by a cue and back), radar sectors (wrapping
 * through north, min range), Pd by range, a ground sensor's disc, a moving
 * sensor, and terrain line of sight on synthetic DEMs written here with
 * GDAL - a flat plain with one straight wall, once in WGS84 degrees and once
 * in UTM, so the reprojection into the local frame is exercised - and the
 * GeoJSON of the regions.  Prints the cost of one query.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "geo/coverage.h"
#include "geo/geo.h"

#define LAT0 46.8
#define LON0 8.2

static struct bf_geo_frame *frame_at_origin(void)
{
    struct bf_geo_frame *f = NULL;
    char err[256];
    CU_ASSERT_FATAL(bf_geo_frame_create(LAT0, LON0, NULL, &f, err, sizeof err) == 0);
    return f;
}

/* A sensor at the origin (where grid north is true north). */
static struct bf_coverage_sensor at_origin(const char *id, const char *kind, double range_m)
{
    return (struct bf_coverage_sensor){
        .id = id, .kind = kind, .shape = BF_COVERAGE_DISC, .lat_deg = LAT0, .lon_deg = LON0,
        .e_m = 0, .n_m = 0, .height_m = 10, .range_m = range_m, .pd = 0.9,
    };
}

/* The point at true bearing b_deg, range r_m from the origin. */
static double pd_bearing(const struct bf_coverage *c, uint32_t i, double b_deg, double r_m)
{
    double b = b_deg * M_PI / 180;
    return bf_coverage_pd_at(c, i, r_m * sin(b), r_m * cos(b));
}

static void test_camera_wedge(void)
{
    struct bf_geo_frame *f = frame_at_origin();
    /* looking at 350 with 40 degrees: 330 .. 10, across north; 50 .. 2000 m */
    struct bf_coverage_sensor s = at_origin("cam", "camera", 2000);
    s.shape = BF_COVERAGE_WEDGE;
    s.heading_deg = 350;
    s.hfov_deg = 40;
    s.min_range_m = 50;
    struct bf_coverage *c = NULL;
    char err[256];
    CU_ASSERT_FATAL(bf_coverage_create(NULL, &s, 1, f, &c, err, sizeof err) == 0);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 0, 1000), 0.9, 1e-12);     /* north: in */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 9, 1000), 0.9, 1e-12);     /* just inside the right edge */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 11, 1000), 0.0, 1e-12);    /* just outside */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 331, 1000), 0.9, 1e-12);   /* inside the left edge */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 329, 1000), 0.0, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 170, 1000), 0.0, 1e-12);   /* behind */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 350, 40), 0.0, 1e-12);     /* nearer than min range */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 350, 60), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 350, 1999), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 350, 2001), 0.0, 1e-12);   /* beyond max range */
    CU_ASSERT_EQUAL(bf_coverage_pd_at(c, 0, NAN, 0), 0.0);
    CU_ASSERT_EQUAL(bf_coverage_pd_at(c, 1, 0, 1000), 0.0);    /* bad index */

    /* cued to 90: east is seen, north no longer; released: home again */
    CU_ASSERT_EQUAL(bf_coverage_set_heading(c, 0, 90), 0);
    BF_ASSERT_NEAR(bf_coverage_heading(c, 0), 90, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 90, 1000), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 0, 1000), 0.0, 1e-12);
    CU_ASSERT_EQUAL(bf_coverage_set_heading(c, 0, NAN), 0);
    BF_ASSERT_NEAR(bf_coverage_heading(c, 0), 350, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 0, 1000), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 90, 1000), 0.0, 1e-12);
    CU_ASSERT_EQUAL(bf_coverage_set_heading(c, 0, INFINITY), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_coverage_set_heading(c, 3, 10), BF_EINVAL);
    /* a fixed camera does not move */
    CU_ASSERT_EQUAL(bf_coverage_move_sensor(c, 0, 10, 10), BF_EINVAL);
    bf_coverage_destroy(c);
    bf_geo_frame_destroy(f);
}

static void test_radar_sectors(void)
{
    struct bf_geo_frame *f = frame_at_origin();
    /* sectors 300 -> 60 (through north) and 90 -> 120; min range 100 */
    struct bf_coverage_sensor s = at_origin("radar", "asterix", 5000);
    s.min_range_m = 100;
    s.n_sectors = 2;
    s.sectors_deg[0][0] = 300;
    s.sectors_deg[0][1] = 60;
    s.sectors_deg[1][0] = 90;
    s.sectors_deg[1][1] = 120;
    struct bf_coverage *c = NULL;
    char err[256];
    CU_ASSERT_FATAL(bf_coverage_create(NULL, &s, 1, f, &c, err, sizeof err) == 0);
    double in[] = {0, 30, 59, 301, 330, 359.5, 91, 105, 119};
    double out[] = {61, 75, 89, 121, 180, 250, 299};
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++)
        BF_ASSERT_NEAR(pd_bearing(c, 0, in[k], 2000), 0.9, 1e-12);
    for (size_t k = 0; k < sizeof out / sizeof out[0]; k++)
        BF_ASSERT_NEAR(pd_bearing(c, 0, out[k], 2000), 0.0, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 0, 99), 0.0, 1e-12);       /* inside min range */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 0, 101), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 0, 5001), 0.0, 1e-12);
    bf_coverage_destroy(c);

    /* overlapping sectors merge; a bad pair is refused with the sensor's name */
    s.min_range_m = 0;
    s.sectors_deg[1][0] = 40;
    s.sectors_deg[1][1] = 100;
    CU_ASSERT_FATAL(bf_coverage_create(NULL, &s, 1, f, &c, err, sizeof err) == 0);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 80, 1000), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 101, 1000), 0.0, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 10, 0), 0.9, 1e-12);       /* at the radar itself */
    bf_coverage_destroy(c);
    /* sixteen disjoint 10-degree sectors every 22.5 degrees, the first through north */
    s.n_sectors = BF_COVERAGE_MAX_SECTORS;
    for (int k = 0; k < BF_COVERAGE_MAX_SECTORS; k++) {
        s.sectors_deg[k][0] = 355 + 22.5 * k;
        s.sectors_deg[k][1] = 365 + 22.5 * k;
    }
    CU_ASSERT_FATAL(bf_coverage_create(NULL, &s, 1, f, &c, err, sizeof err) == 0);
    int in_ok = 0, out_ok = 0;
    for (int k = 0; k < BF_COVERAGE_MAX_SECTORS; k++) {
        in_ok += pd_bearing(c, 0, fmod(360 + 22.5 * k, 360), 1000) > 0;        /* centres */
        out_ok += pd_bearing(c, 0, fmod(360 + 22.5 * k + 11.25, 360), 1000) == 0;  /* gaps */
    }
    CU_ASSERT_EQUAL(in_ok, 16);
    CU_ASSERT_EQUAL(out_ok, 16);
    bf_coverage_destroy(c);
    s.n_sectors = 2;
    s.sectors_deg[1][1] = NAN;
    CU_ASSERT_EQUAL(bf_coverage_create(NULL, &s, 1, f, &c, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "radar"));
    printf("\n    refused: %s\n", err);
    bf_geo_frame_destroy(f);
}

static void test_pd_by_range_and_disc(void)
{
    struct bf_geo_frame *f = frame_at_origin();
    struct bf_coverage_sensor s[3] = {at_origin("radar", "asterix", 3000),
                                      at_origin("ugs-1", "ugs", 300),
                                      at_origin("rover", "asterix", 1000)};
    /* Pd 0.9 to 1000 m, then down to 0.5 at 2000 m, 0.5 beyond */
    s[0].n_pd_points = 3;
    double pts[3][2] = {{0, 0.9}, {1000, 0.9}, {2000, 0.5}};
    memcpy(s[0].pd_by_range, pts, sizeof pts);
    s[1].pd = 0.8;
    s[2].moving = true;
    struct bf_coverage *c = NULL;
    char err[256];
    CU_ASSERT_FATAL(bf_coverage_create(NULL, s, 3, f, &c, err, sizeof err) == 0);
    CU_ASSERT_EQUAL(bf_coverage_count(c), 3);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 45, 500), 0.9, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 45, 1500), 0.7, 1e-12);    /* halfway: (0.9 + 0.5) / 2 */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 45, 1750), 0.6, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 0, 45, 2500), 0.5, 1e-12);    /* past the last point */
    BF_ASSERT_NEAR(pd_bearing(c, 0, 45, 3001), 0.0, 1e-12);
    /* the ground sensor's disc: all round, flat */
    for (double b = 0; b < 360; b += 45)
        BF_ASSERT_NEAR(pd_bearing(c, 1, b, 299), 0.8, 1e-12);
    BF_ASSERT_NEAR(pd_bearing(c, 1, 200, 301), 0.0, 1e-12);
    /* the moving radar follows its platform */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 2, 5000, 0), 0.0, 1e-12);
    CU_ASSERT_EQUAL(bf_coverage_move_sensor(c, 2, 4500, 0), 0);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 2, 5000, 0), 0.9, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 2, 0, 0), 0.0, 1e-12);
    CU_ASSERT_EQUAL(bf_coverage_move_sensor(c, 2, NAN, 0), BF_EINVAL);
    CU_ASSERT_TRUE(bf_coverage_terrain_visible(c, 0, 100, 100));   /* no DEM: all visible */

    /* cost of one query, measured */
    const int N = 2000000;
    double sum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < N; k++)
        sum += bf_coverage_pd_at(c, (uint32_t)(k % 2), (k % 997) * 3.0, (k % 991) * 2.0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N;
    printf("\n    bf_coverage_pd_at, analytic (disc, pd_by_range): %.1f ns per call (sum %.0f)\n",
           ns, sum);
    CU_ASSERT_TRUE(sum > 0);
    bf_coverage_destroy(c);

    /* bad sensors are refused with their name */
    s[0].pd_by_range[2][0] = 500;   /* ranges must increase */
    CU_ASSERT_EQUAL(bf_coverage_create(NULL, s, 3, f, &c, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "radar"));
    s[0].n_pd_points = 0;
    s[0].min_range_m = 4000;        /* beyond its range */
    CU_ASSERT_EQUAL(bf_coverage_create(NULL, s, 3, f, &c, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "min_range_m"));
    CU_ASSERT_PTR_NULL(c);
    bf_geo_frame_destroy(f);
}

/*
 * Write a DEM (GeoTIFF) in CRS epsg covering the local square [-H, H]^2
 * around the origin, pixel ~px_m, whose elevation at local (e, n) is 100 m,
 * plus wall_m on the strip 480 <= e <= 520 (a north-south wall).  In a
 * geographic CRS (4326) the pixel is px_m converted to degrees at LAT0.
 */
static void write_wall_dem(const char *path, int epsg, double wall_m, struct bf_geo_frame *f)
{
    const double H = 2600, px_m = 5;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL), wgs = OSRNewSpatialReference(NULL);
    CU_ASSERT_FATAL(OSRImportFromEPSG(srs, epsg) == OGRERR_NONE);
    CU_ASSERT_FATAL(OSRImportFromEPSG(wgs, 4326) == OGRERR_NONE);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH fwd = OCTNewCoordinateTransformation(wgs, srs);
    OGRCoordinateTransformationH back = OCTNewCoordinateTransformation(srs, wgs);
    CU_ASSERT_FATAL(fwd && back);
    /* the DEM's extent: the local square's corners in the DEM's CRS */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double lat, lon;
        bf_geo_to_wgs84(f, k & 1 ? H : -H, k & 2 ? H : -H, &lat, &lon);
        double x = lon, y = lat;
        OCTTransform(fwd, 1, &x, &y, NULL);
        xmin = fmin(xmin, x), xmax = fmax(xmax, x), ymin = fmin(ymin, y), ymax = fmax(ymax, y);
    }
    double dx = px_m, dy = px_m;
    if (epsg == 4326) {
        dy = px_m / 111132.0;
        dx = px_m / (111320.0 * cos(LAT0 * M_PI / 180));
    }
    int W = (int)ceil((xmax - xmin) / dx), Hh = (int)ceil((ymax - ymin) / dy);
    float *z = malloc((size_t)W * (size_t)Hh * sizeof *z);
    CU_ASSERT_FATAL(z != NULL);
    for (int j = 0; j < Hh; j++) {
        for (int i = 0; i < W; i++) {
            double x = xmin + (i + 0.5) * dx, y = ymax - (j + 0.5) * dy;
            OCTTransform(back, 1, &x, &y, NULL);
            double e, n;
            bf_geo_to_local(f, y, x, &e, &n);
            z[(size_t)j * W + i] = (float)(100 + (e >= 480 && e <= 520 ? wall_m : 0));
        }
    }
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds = GDALCreate(drv, path, W, Hh, 1, GDT_Float32, NULL);
    CU_ASSERT_FATAL(ds != NULL);
    double gt[6] = {xmin, dx, 0, ymax, 0, -dy};
    GDALSetGeoTransform(ds, gt);
    char *wkt = NULL;
    OSRExportToWkt(srs, &wkt);
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    CU_ASSERT(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, W, Hh, z, W, Hh, GDT_Float32,
                           0, 0) == CE_None);
    GDALClose(ds);
    free(z);
    OCTDestroyCoordinateTransformation(fwd);
    OCTDestroyCoordinateTransformation(back);
    OSRDestroySpatialReference(srs);
    OSRDestroySpatialReference(wgs);
}

/*
 * The radar stands at the origin on the plain (ground 100 m), eye 10 m up:
 * 110 m.  The target's top is 1.5 m up: 101.5 m on the plain.
 *
 * A wall 20 m high (top 120 m) from e = 480 to 520: the sight line to any
 * target on the plain behind it runs below 110 m everywhere, so below the
 * wall: every point east of the wall (along the e axis, within the range)
 * is hidden; points in front of it, and north, are seen.
 */
static void test_terrain_tall_wall_wgs84(void)
{
    struct bf_geo_frame *f = frame_at_origin();
    char path[512];
    snprintf(path, sizeof path, "%s/wall-wgs84.tif", bf_test_tmpdir());
    write_wall_dem(path, 4326, 20, f);
    struct bf_coverage_sensor s = at_origin("radar", "asterix", 2000);
    struct bf_coverage_params p;
    bf_coverage_params_default(&p);
    p.dem_path = path;
    p.cell_m = 10;
    struct bf_coverage *c = NULL;
    char err[256] = "";
    int rc = bf_coverage_create(&p, &s, 1, f, &c, err, sizeof err);
    if (rc < 0)
        printf("\n    %s\n", err);
    CU_ASSERT_FATAL(rc == 0);
    double q = 230.0 / 255;   /* 0.9 quantised in the raster */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 300, 0), q, 1e-9);       /* in front: seen */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, 1500), q, 1e-9);      /* north: seen */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, -1500, 0), q, 1e-9);     /* west: seen */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 700, 0), 0.0, 1e-12);    /* behind: hidden */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 1500, 0), 0.0, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 1500, 300), 0.0, 1e-12);
    CU_ASSERT_FALSE(bf_coverage_terrain_visible(c, 0, 1500, 0));
    CU_ASSERT_TRUE(bf_coverage_terrain_visible(c, 0, 300, 0));

    /* its outline: strips, some cut short by the wall */
    struct bf_coverage_outline ol;
    CU_ASSERT_EQUAL(bf_coverage_outline(c, 0, 5, &ol), 0);
    CU_ASSERT_TRUE(ol.n_rings >= 72);
    printf("\n    terrain outline: %zu polygons\n", ol.n_rings);
    bf_coverage_outline_free(&ol);

    /* one query with a raster, measured */
    const int N = 2000000;
    double sum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < N; k++)
        sum += bf_coverage_pd_at(c, 0, (k % 997) * 2.0 - 997, (k % 991) * 2.0 - 991);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N;
    printf("    bf_coverage_pd_at, terrain raster: %.1f ns per call (sum %.0f)\n", ns, sum);
    CU_ASSERT_TRUE(sum > 0);
    bf_coverage_destroy(c);
    bf_geo_frame_destroy(f);
}

/*
 * The same plain in UTM zone 32N (EPSG:32632), the wall only 5 m high (top
 * 105 m, back face at e = 520).  The sight line from 110 m to a target top
 * at 101.5 m, d metres away, is at height 110 - 8.5 x / d at x; it clears
 * the wall's back edge when 110 - 8.5 * 520 / d >= 105, i.e. d >= 884 m
 * (earth curvature moves this by well under a metre at these ranges:
 * d^2 / 2kR = 0.13 m at 1500 m).  So e = 700 is hidden, e = 1500 seen; a
 * target right behind the wall (e = 560) is hidden; north is seen.
 */
static void test_terrain_low_wall_utm(void)
{
    struct bf_geo_frame *f = frame_at_origin();
    char path[512];
    snprintf(path, sizeof path, "%s/wall-utm.tif", bf_test_tmpdir());
    write_wall_dem(path, 32632, 5, f);
    struct bf_coverage_sensor s[2] = {at_origin("radar", "asterix", 2000),
                                      at_origin("cam", "camera", 2000)};
    s[1].shape = BF_COVERAGE_WEDGE;   /* looking north: the wall's shadow is outside its view */
    s[1].heading_deg = 0;
    s[1].hfov_deg = 60;
    struct bf_coverage_params p;
    bf_coverage_params_default(&p);
    p.dem_path = path;
    p.cell_m = 10;
    struct bf_coverage *c = NULL;
    char err[256] = "";
    int rc = bf_coverage_create(&p, s, 2, f, &c, err, sizeof err);
    if (rc < 0)
        printf("\n    %s\n", err);
    CU_ASSERT_FATAL(rc == 0);
    double q = 230.0 / 255;
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 560, 0), 0.0, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 700, 0), 0.0, 1e-12);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 1500, 0), q, 1e-9);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 1900, 0), q, 1e-9);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 0, 0, 1500), q, 1e-9);
    /* the camera: north seen; turned east, the wall hides 700 but not 1500 */
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 0, 1500), q, 1e-9);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1500, 0), 0.0, 1e-12);
    CU_ASSERT_EQUAL(bf_coverage_set_heading(c, 1, 90), 0);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 1500, 0), q, 1e-9);
    BF_ASSERT_NEAR(bf_coverage_pd_at(c, 1, 700, 0), 0.0, 1e-12);

    /* the GeoJSON: parses, one feature per sensor, ids and kinds */
    cJSON *gj = bf_coverage_to_geojson(c, f, 5);
    CU_ASSERT_FATAL(gj != NULL);
    char *txt = cJSON_PrintUnformatted(gj);
    cJSON_Delete(gj);
    CU_ASSERT_FATAL(txt != NULL);
    printf("\n    coverage GeoJSON with terrain: %zu bytes\n", strlen(txt));
    cJSON *back = cJSON_Parse(txt);
    free(txt);
    CU_ASSERT_FATAL(back != NULL);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(back, "type")->valuestring, "FeatureCollection");
    cJSON *fs = cJSON_GetObjectItem(back, "features");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(fs), 2);
    const char *ids[] = {"radar", "cam"}, *kinds[] = {"asterix", "camera"};
    for (int k = 0; k < 2; k++) {
        cJSON *ft = cJSON_GetArrayItem(fs, k);
        cJSON *pr = cJSON_GetObjectItem(ft, "properties");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(pr, "id")->valuestring, ids[k]);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(pr, "kind")->valuestring, kinds[k]);
        CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(pr, "terrain")));
        BF_ASSERT_NEAR(cJSON_GetObjectItem(pr, "pd")->valuedouble, 0.9, 1e-9);
        cJSON *g = cJSON_GetObjectItem(ft, "geometry");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(g, "type")->valuestring, "MultiPolygon");
        CU_ASSERT_TRUE(cJSON_GetArraySize(cJSON_GetObjectItem(g, "coordinates")) > 1);
    }
    /* the camera's wedge as published is where it looks now (east) */
    cJSON *pr1 = cJSON_GetObjectItem(cJSON_GetArrayItem(fs, 1), "properties");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(pr1, "heading_deg")->valuedouble, 90, 1e-9);
    cJSON_Delete(back);
    bf_coverage_destroy(c);

    /* the configuration check: this DEM is fine, a text file is not */
    CU_ASSERT_EQUAL(bf_coverage_dem_check(path, err, sizeof err), 0);
    char txt_path[600];
    snprintf(txt_path, sizeof txt_path, "%s/not-a-dem.tif", bf_test_tmpdir());
    FILE *tf = fopen(txt_path, "w");
    CU_ASSERT_FATAL(tf != NULL);
    fputs("elevation: high\n", tf);
    fclose(tf);
    CU_ASSERT_EQUAL(bf_coverage_dem_check(txt_path, err, sizeof err), BF_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not-a-dem.tif"));
    p.dem_path = txt_path;
    CU_ASSERT_EQUAL(bf_coverage_create(&p, s, 2, f, &c, err, sizeof err), BF_EIO);
    CU_ASSERT_PTR_NULL(c);

    /* a DEM that is not there */
    p.dem_path = "/nonexistent/dem.tif";
    CU_ASSERT_EQUAL(bf_coverage_create(&p, s, 2, f, &c, err, sizeof err), BF_EIO);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dem.tif"));
    bf_geo_frame_destroy(f);
}

/* Without terrain: a wedge is one Polygon (apex at the camera), an annulus has a hole. */
static void test_geojson_analytic(void)
{
    struct bf_geo_frame *f = frame_at_origin();
    struct bf_coverage_sensor s[3] = {at_origin("cam", "camera", 1000),
                                      at_origin("radar", "asterix", 5000),
                                      at_origin("ugs", "ugs", 200)};
    s[0].shape = BF_COVERAGE_WEDGE;
    s[0].heading_deg = 45;
    s[0].hfov_deg = 30;
    s[1].min_range_m = 200;
    struct bf_coverage *c = NULL;
    char err[256];
    CU_ASSERT_FATAL(bf_coverage_create(NULL, s, 3, f, &c, err, sizeof err) == 0);
    struct bf_coverage_outline ol;
    CU_ASSERT_EQUAL(bf_coverage_outline(c, 0, 5, &ol), 0);
    CU_ASSERT_EQUAL(ol.n_rings, 1);
    /* 30 degrees in 5-degree steps: 7 arc points, the apex, the closing point */
    CU_ASSERT_EQUAL(ol.rings[0].n, 9);
    BF_ASSERT_NEAR(ol.rings[0].xy[0], 1000 * sin(60 * M_PI / 180), 1e-6);   /* starts at 60 */
    BF_ASSERT_NEAR(ol.rings[0].xy[14], 0, 1e-9);   /* apex */
    bf_coverage_outline_free(&ol);
    CU_ASSERT_EQUAL(bf_coverage_outline(c, 1, 5, &ol), 0);
    CU_ASSERT_EQUAL(ol.n_rings, 2);
    CU_ASSERT_TRUE(ol.rings[1].hole);
    bf_coverage_outline_free(&ol);
    cJSON *gj = bf_coverage_to_geojson(c, f, 5);
    CU_ASSERT_FATAL(gj != NULL);
    cJSON *fs = cJSON_GetObjectItem(gj, "features");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(fs), 3);
    cJSON *g1 = cJSON_GetObjectItem(cJSON_GetArrayItem(fs, 1), "geometry");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(g1, "type")->valuestring, "Polygon");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(g1, "coordinates")), 2);  /* + hole */
    cJSON *p0 = cJSON_GetObjectItem(cJSON_GetArrayItem(fs, 0), "properties");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(p0, "shape")->valuestring, "wedge");
    CU_ASSERT_FALSE(cJSON_IsTrue(cJSON_GetObjectItem(p0, "terrain")));
    cJSON *ring = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
                                         cJSON_GetArrayItem(fs, 2), "geometry"), "coordinates"), 0);
    cJSON *pt = cJSON_GetArrayItem(ring, 0);   /* due north of the sensor, 200 m */
    BF_ASSERT_NEAR(cJSON_GetArrayItem(pt, 0)->valuedouble, LON0, 1e-6);
    BF_ASSERT_NEAR(cJSON_GetArrayItem(pt, 1)->valuedouble, LAT0 + 200 / 111170.0, 2e-5);
    cJSON_Delete(gj);
    bf_coverage_destroy(c);
    bf_geo_frame_destroy(f);
}

static CU_TestInfo coverage_tests[] = {
    {"camera wedge: fov, ranges, across north, cued and back", test_camera_wedge},
    {"radar sectors: wrap through north, min range, merge, bad pair", test_radar_sectors},
    {"pd by range, ground disc, moving sensor, cost per query", test_pd_by_range_and_disc},
    {"terrain: a tall wall hides what is behind it (DEM in WGS84)", test_terrain_tall_wall_wgs84},
    {"terrain: a low wall, sight lines that clear it (DEM in UTM)", test_terrain_low_wall_utm},
    {"GeoJSON and outlines without terrain", test_geojson_analytic},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"coverage", NULL, NULL, NULL, NULL, coverage_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
