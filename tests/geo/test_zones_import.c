/*
 * test_zones_import.c - borderfuse-zones against a real-shaped border built
 * here with GDAL: a seeded random-walk meander of 3000 vertices in ETRS89 /
 * UTM 32N (EPSG:25832), written as an ESRI Shapefile and as a GeoPackage
 * with a decoy feature and foreign attributes, and as a MultiLineString in
 * two touching parts (the second drawn backwards).  Each is imported and
 * checked: vertex counts and the distance bound after simplification, that
 * the output loads with the engine's zone loader, our_side for a point on
 * either side, the buffer, and - the point of it all - that the engine's
 * geofence step finds the same crossings with the imported zones as with
 * hand-written zones of the same line.  The borderfuse-zones binary is run
 * on the Shapefile too (exit status, output file, --help, a bad --where).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "geo/zones_import.h"

#define N_VERTS 3000
#define STEP_E_M 10.0        /* eastward step of the walk */
#define E0_M 430000.0        /* about 8.08 E, 46.8 N in UTM 32N */
#define N0_M 5183000.0

static double walk_xy[2 * N_VERTS];
static double walk_ll[2 * N_VERTS];   /* lon lat, through OGR */
static double walk_nmin, walk_nmax;

/* ---- the data, built with GDAL ----------------------------------------- */

static uint64_t rng = 0x5eed2026u;
static double uniform(void)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* A meander: eastwards 10 m a step, northing a random walk (so it never crosses itself). */
static void make_walk(void)
{
    double n = N0_M, dn = 0;
    walk_nmin = walk_nmax = n;
    for (int i = 0; i < N_VERTS; i++) {
        walk_xy[2 * i] = E0_M + STEP_E_M * i;
        walk_xy[2 * i + 1] = n;
        walk_nmin = fmin(walk_nmin, n);
        walk_nmax = fmax(walk_nmax, n);
        dn = 0.8 * dn + 6.0 * (uniform() - 0.5);   /* smooth bends and fine wiggles */
        n += dn;
    }
}

static OGRSpatialReferenceH srs_epsg(int code)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    CU_ASSERT_EQUAL_FATAL(OSRImportFromEPSG(s, code), OGRERR_NONE);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

static void to_wgs84(void)
{
    OGRSpatialReferenceH utm = srs_epsg(25832), wgs = srs_epsg(4326);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(utm, wgs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
    for (int i = 0; i < N_VERTS; i++) {
        double x = walk_xy[2 * i], y = walk_xy[2 * i + 1], z = 0;
        CU_ASSERT_FATAL(OCTTransform(ct, 1, &x, &y, &z));
        walk_ll[2 * i] = x;
        walk_ll[2 * i + 1] = y;
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(utm);
    OSRDestroySpatialReference(wgs);
}

static OGRGeometryH line_of(int from, int to)   /* vertices from..to, either direction */
{
    OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
    int step = to >= from ? 1 : -1;
    for (int i = from;; i += step) {
        OGR_G_AddPoint_2D(g, walk_xy[2 * i], walk_xy[2 * i + 1]);
        if (i == to)
            break;
    }
    return g;
}

static void add_feature(OGRLayerH layer, OGRGeometryH g, const char *name, const char *iso2,
                        const char *iso3, int pop)
{
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "name"), name);
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "iso_a2"), iso2);
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "iso_a3"), iso3);
    OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "pop_est"), pop);
    OGR_F_SetGeometryDirectly(f, g);
    CU_ASSERT_EQUAL_FATAL(OGR_L_CreateFeature(layer, f), OGRERR_NONE);
    OGR_F_Destroy(f);
}

/* Write the border (and a decoy) with driver into path; layer "border" (and "border_parts"). */
static void write_source(const char *driver, const char *path, bool with_parts)
{
    GDALDriverH drv = GDALGetDriverByName(driver);
    CU_ASSERT_PTR_NOT_NULL_FATAL(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    OGRSpatialReferenceH utm = srs_epsg(25832);
    const char *layers[2] = {"border", "border_parts"};
    for (int k = 0; k < (with_parts ? 2 : 1); k++) {
        OGRLayerH layer = GDALDatasetCreateLayer(ds, layers[k], utm,
                                                 k ? wkbMultiLineString : wkbLineString, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(layer);
        const char *fields[] = {"name", "iso_a2", "iso_a3"};
        for (int i = 0; i < 3; i++) {
            OGRFieldDefnH fd = OGR_Fld_Create(fields[i], OFTString);
            CU_ASSERT_EQUAL_FATAL(OGR_L_CreateField(layer, fd, 1), OGRERR_NONE);
            OGR_Fld_Destroy(fd);
        }
        OGRFieldDefnH fd = OGR_Fld_Create("pop_est", OFTInteger);
        CU_ASSERT_EQUAL_FATAL(OGR_L_CreateField(layer, fd, 1), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
        if (k == 0) {
            /* a decoy first: a short line 5 km south, another country */
            OGRGeometryH decoy = OGR_G_CreateGeometry(wkbLineString);
            OGR_G_AddPoint_2D(decoy, E0_M, N0_M - 5000);
            OGR_G_AddPoint_2D(decoy, E0_M + 3000, N0_M - 5200);
            add_feature(layer, decoy, "Elsewhere", "XX", "XXX", 7);
            add_feature(layer, line_of(0, N_VERTS - 1), "Testland border", "TL", "TLD", 123456);
        } else {
            OGRGeometryH m = OGR_G_CreateGeometry(wkbMultiLineString);
            OGR_G_AddGeometryDirectly(m, line_of(0, N_VERTS / 2));
            OGR_G_AddGeometryDirectly(m, line_of(N_VERTS - 1, N_VERTS / 2));   /* backwards */
            add_feature(layer, m, "Testland border", "TL", "TLD", 123456);
        }
    }
    OSRDestroySpatialReference(utm);
    GDALClose(ds);
}

static char shp_path[512], gpkg_path[512], hand_path[512];

/* Build the data once, in the first test (CUnit asserts need a running test). */
static void data(void)
{
    static bool built;
    if (built)
        return;
    built = true;
    GDALAllRegister();
    make_walk();
    to_wgs84();
    snprintf(shp_path, sizeof shp_path, "%s/border.shp", bf_test_tmpdir());
    snprintf(gpkg_path, sizeof gpkg_path, "%s/border.gpkg", bf_test_tmpdir());
    write_source("ESRI Shapefile", shp_path, false);
    write_source("GPKG", gpkg_path, true);

    /* the same line written by hand (our side north: left, the line runs east) */
    snprintf(hand_path, sizeof hand_path, "%s/hand.geojson", bf_test_tmpdir());
    FILE *fp = fopen(hand_path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fprintf(fp, "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
                "\"properties\": {\"id\": \"border\", \"kind\": \"border_line\", "
                "\"our_side\": \"left\"}, \"geometry\": {\"type\": \"LineString\", "
                "\"coordinates\": [");
    for (int i = 0; i < N_VERTS; i++)
        fprintf(fp, "%s[%.17g, %.17g]", i ? ", " : "", walk_ll[2 * i], walk_ll[2 * i + 1]);
    fprintf(fp, "]}}]}\n");
    CU_ASSERT_EQUAL_FATAL(fclose(fp), 0);
}

/* ---- helpers ------------------------------------------------------------- */

/* A WGS84 point at UTM (e, n). */
static void utm_point(double e, double n, double *lat, double *lon)
{
    OGRSpatialReferenceH utm = srs_epsg(25832), wgs = srs_epsg(4326);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(utm, wgs);
    double z = 0;
    CU_ASSERT(OCTTransform(ct, 1, &e, &n, &z));
    *lon = e;
    *lat = n;
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(utm);
    OSRDestroySpatialReference(wgs);
}

static struct bf_geo_frame *site_frame(void)
{
    double lat, lon;
    utm_point(E0_M + STEP_E_M * N_VERTS / 2, N0_M, &lat, &lon);
    struct bf_geo_frame *f = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(lat, lon, NULL, &f, err, sizeof err), 0);
    return f;
}

static const char *save(const char *name, const char *text)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", bf_test_tmpdir(), name);
    FILE *fp = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs(text, fp);
    fclose(fp);
    return p;
}

static struct bf_geo_zones *load(const char *path, struct bf_geo_frame *f)
{
    struct bf_geo_zones *z = NULL;
    int rc = bf_geo_zones_load(path, f, NULL, &z, NULL);
    CU_ASSERT_EQUAL(rc, 0);
    return z;
}

/* Our side north of the whole line (left of it), or south (right). */
static void our_side_point(bool north, double *lat, double *lon)
{
    utm_point(E0_M + 1000, north ? walk_nmax + 2000 : walk_nmin - 2000, lat, lon);
}

static char *import(const char *src, struct bf_zones_import_options *o,
                    struct bf_zones_import_report *rep)
{
    char err[1024];
    char *text = NULL;
    int rc = bf_zones_import(src, o, &text, rep, err, sizeof err);
    if (rc < 0)
        printf("\n    import failed: %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    return text;
}

/* ---- tests --------------------------------------------------------------- */

static void test_shapefile_simplified(void)
{
    data();
    struct bf_zones_import_options o = {.attr = "iso_a2=TL", .simplify_m = 5.0,
                                        .have_our_side = true};
    our_side_point(true, &o.our_lat_deg, &o.our_lon_deg);
    struct bf_zones_import_report rep;
    char *text = import(shp_path, &o, &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    printf("\n    shapefile, simplify 5 m: %zu feature, %zu vertices -> %zu (our side %s)\n",
           rep.n_features, rep.vertices_in, rep.vertices_out, rep.our_side);
    CU_ASSERT_EQUAL(rep.n_features, 1);   /* the decoy is not picked */
    CU_ASSERT_EQUAL(rep.vertices_in, N_VERTS);
    CU_ASSERT_TRUE(rep.vertices_out < N_VERTS / 3);
    CU_ASSERT_TRUE(rep.vertices_out > 20);
    CU_ASSERT_STRING_EQUAL(rep.our_side, "left");
    /* only what the engine reads, and the name from the feature */
    CU_ASSERT_PTR_NULL(strstr(text, "pop_est"));
    CU_ASSERT_PTR_NULL(strstr(text, "iso_a2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"name\":\"Testland border\""));

    struct bf_geo_frame *f = site_frame();
    struct bf_geo_zones *z = load(save("simplified.geojson", text), f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_EQUAL(bf_geo_zones_count(z), 1);
    const double *xy;
    CU_ASSERT_EQUAL(bf_geo_line_vertices(z, 0, &xy), rep.vertices_out);
    CU_ASSERT_EQUAL(bf_geo_zone_info(z, 0)->our_side, 1);
    /* every original vertex within the tolerance of the simplified line */
    double worst = 0;
    for (int i = 0; i < N_VERTS; i++) {
        double e, n;
        CU_ASSERT_EQUAL(bf_geo_to_local(f, walk_ll[2 * i + 1], walk_ll[2 * i], &e, &n), 0);
        worst = fmax(worst, bf_geo_zone_distance(z, 0, e, n));
    }
    printf("    farthest original vertex from the simplified line: %.3f m\n", worst);
    CU_ASSERT_TRUE(worst <= 5.0 + 1e-3);
    CU_ASSERT_TRUE(worst > 1.0);   /* it did simplify */
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
    free(text);

    /* a coarser tolerance keeps fewer vertices */
    o.simplify_m = 50;
    struct bf_zones_import_report rep50;
    text = import(shp_path, &o, &rep50);
    printf("    simplify 50 m: %zu vertices\n", rep50.vertices_out);
    CU_ASSERT_TRUE(rep50.vertices_out < rep.vertices_out);
    free(text);
}

static void test_our_side(void)
{
    data();
    struct bf_geo_frame *f = site_frame();
    double nlat, nlon, slat, slon, ne, nn, se, sn;
    our_side_point(true, &nlat, &nlon);
    our_side_point(false, &slat, &slon);
    bf_geo_to_local(f, nlat, nlon, &ne, &nn);
    bf_geo_to_local(f, slat, slon, &se, &sn);
    for (int north = 0; north < 2; north++) {
        struct bf_zones_import_options o = {.where = "iso_a3 = 'TLD'", .have_our_side = true,
                                            .our_lat_deg = north ? nlat : slat,
                                            .our_lon_deg = north ? nlon : slon};
        struct bf_zones_import_report rep;
        char *text = import(gpkg_path, &o, &rep);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        CU_ASSERT_STRING_EQUAL(rep.layer, "border");
        CU_ASSERT_STRING_EQUAL(rep.our_side, north ? "left" : "right");
        struct bf_geo_zones *z = load(save("side.geojson", text), f);
        CU_ASSERT_PTR_NOT_NULL_FATAL(z);
        CU_ASSERT_EQUAL(bf_geo_zone_info(z, 0)->our_side, north ? 1 : -1);
        CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, ne, nn), north ? 1 : -1);
        CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, se, sn), north ? -1 : 1);
        /* points just off the line, 20 m either side of vertex 1000 */
        double lat, lon, e, n;
        utm_point(walk_xy[2000], walk_xy[2001] + 20, &lat, &lon);
        bf_geo_to_local(f, lat, lon, &e, &n);
        CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, e, n), north ? 1 : -1);
        utm_point(walk_xy[2000], walk_xy[2001] - 20, &lat, &lon);
        bf_geo_to_local(f, lat, lon, &e, &n);
        CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, e, n), north ? -1 : 1);
        bf_geo_zones_destroy(z);
        free(text);
    }
    bf_geo_frame_destroy(f);
}

/* The engine's geofence step over random segments: the same crossings with both zone sets. */
static void test_same_crossings_as_hand_written(void)
{
    data();
    struct bf_zones_import_options o = {.name = "TESTLAND BORDER", .have_our_side = true};
    our_side_point(true, &o.our_lat_deg, &o.our_lon_deg);
    char *from_shp = import(shp_path, &o, NULL);
    o.layer = "border";
    char *from_gpkg = import(gpkg_path, &o, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(from_shp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(from_gpkg);
    CU_ASSERT_STRING_EQUAL(from_shp, from_gpkg);   /* the format makes no difference */

    struct bf_geo_frame *f = site_frame();
    struct bf_geo_zones *zi = load(save("imported.geojson", from_shp), f);
    struct bf_geo_zones *zh = load(hand_path, f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zi);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zh);
    const double *xi, *xh;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(zi, 0, &xi), N_VERTS);
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(zh, 0, &xh), N_VERTS);
    double vmax = 0;
    for (int i = 0; i < 2 * N_VERTS; i++)
        vmax = fmax(vmax, fabs(xi[i] - xh[i]));

    double e0 = xh[0], e1 = xh[2 * N_VERTS - 2], n0 = xh[1], n1 = xh[1];
    for (int i = 0; i < N_VERTS; i++) {
        n0 = fmin(n0, xh[2 * i + 1]);
        n1 = fmax(n1, xh[2 * i + 1]);
    }
    int segments = 4000, crossings = 0, same = 0, incursions = 0;
    double dmax = 0;
    uint64_t saved = rng;
    rng = 20261206;
    for (int s = 0; s < segments; s++) {
        /* short steps near the line, and some long ones across it */
        double ax = e0 + (e1 - e0) * uniform(), ay = n0 - 300 + (n1 - n0 + 600) * uniform();
        double len = s % 4 == 0 ? 2000 * uniform() : 60 * uniform();
        double th = 2 * M_PI * uniform();
        double bx = ax + len * cos(th), by = ay + len * sin(th);
        struct bf_geo_track_state si = {.valid = false}, sh = {.valid = false};
        struct bf_geo_step oi, oh;
        bf_geo_track_step(zi, &si, ax, ay, 0, 0, &oi);
        bf_geo_track_step(zh, &sh, ax, ay, 0, 0, &oh);
        CU_ASSERT_EQUAL(bf_geo_track_step(zi, &si, bx, by, 0, 0, &oi), 0);
        CU_ASSERT_EQUAL(bf_geo_track_step(zh, &sh, bx, by, 0, 0, &oh), 0);
        bool eq = oi.n_crossings == oh.n_crossings && oi.line_side == oh.line_side;
        for (int k = 0; eq && k < oh.n_crossings; k++) {
            eq = oi.crossings[k].dir == oh.crossings[k].dir;
            dmax = fmax(dmax, hypot(oi.crossings[k].e_m - oh.crossings[k].e_m,
                                    oi.crossings[k].n_m - oh.crossings[k].n_m));
            incursions += oh.crossings[k].dir > 0;
        }
        same += eq;
        crossings += oh.n_crossings;
    }
    rng = saved;
    printf("\n    %d segments, %d crossings (%d incursions) by hand-written zones, %d the same "
           "with imported; vertices differ by at most %.2g m, crossing points by %.2g m\n",
           segments, crossings, incursions, same, vmax, dmax);
    CU_ASSERT_EQUAL(same, segments);
    CU_ASSERT_TRUE(crossings > 300);
    CU_ASSERT_TRUE(incursions > 100 && incursions < crossings);
    CU_ASSERT_TRUE(vmax < 1e-6);
    CU_ASSERT_TRUE(dmax < 1e-6);
    bf_geo_zones_destroy(zi);
    bf_geo_zones_destroy(zh);
    bf_geo_frame_destroy(f);
    free(from_shp);
    free(from_gpkg);
}

static void test_multilinestring_parts(void)
{
    data();
    struct bf_zones_import_options o = {.layer = "border_parts", .have_our_side = true};
    our_side_point(true, &o.our_lat_deg, &o.our_lon_deg);
    struct bf_zones_import_report rep;
    char *text = import(gpkg_path, &o, &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    printf("\n    two parts (%zu vertices) merged into %zu line of %zu vertices, our side %s\n",
           rep.vertices_in, rep.n_lines, rep.vertices_out, rep.our_side);
    CU_ASSERT_EQUAL(rep.n_parts, 2);
    CU_ASSERT_EQUAL(rep.n_lines, 1);
    CU_ASSERT_EQUAL(rep.vertices_in, N_VERTS + 1);
    CU_ASSERT_EQUAL(rep.vertices_out, N_VERTS);   /* the shared vertex once */
    CU_ASSERT_STRING_EQUAL(rep.our_side, "left");  /* the first part runs east */

    struct bf_geo_frame *f = site_frame();
    struct bf_geo_zones *z = load(save("merged.geojson", text), f);
    struct bf_geo_zones *zh = load(hand_path, f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zh);
    const double *xy, *xh;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &xy), N_VERTS);
    bf_geo_line_vertices(zh, 0, &xh);
    double dmax = 0;
    for (int i = 0; i < 2 * N_VERTS; i++)
        dmax = fmax(dmax, fabs(xy[i] - xh[i]));
    CU_ASSERT_TRUE(dmax < 1e-6);   /* same line, same direction as the hand-written one */
    bf_geo_zones_destroy(z);
    bf_geo_zones_destroy(zh);
    free(text);

    /* one zone per part: the second runs west, so north is its right */
    o.split_parts = true;
    o.id = "tl";
    text = import(gpkg_path, &o, &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(rep.n_lines, 2);
    z = load(save("split.geojson", text), f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_EQUAL(bf_geo_zones_count(z), 2);
    CU_ASSERT_EQUAL(bf_geo_zone_find(z, "tl-1"), 0);
    CU_ASSERT_EQUAL(bf_geo_zone_find(z, "tl-2"), 1);
    CU_ASSERT_EQUAL(bf_geo_zone_info(z, 0)->our_side, 1);
    CU_ASSERT_EQUAL(bf_geo_zone_info(z, 1)->our_side, -1);
    CU_ASSERT_EQUAL(bf_geo_line_vertices(z, 0, &xy), N_VERTS / 2 + 1);
    CU_ASSERT_EQUAL(bf_geo_line_vertices(z, 1, &xy), N_VERTS - N_VERTS / 2);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
    free(text);

    /* the engine reads the MultiLineString itself too, merged the same way */
    char *mls = malloc(64 * N_VERTS + 512);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mls);
    size_t at = (size_t)sprintf(mls, "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
                                "\"Feature\", \"properties\": {\"id\": \"b\", \"kind\": "
                                "\"border_line\", \"our_side\": \"left\", \"iso_a2\": \"TL\"}, "
                                "\"geometry\": {\"type\": \"MultiLineString\", \"coordinates\": [[");
    for (int i = 0; i <= N_VERTS / 2; i++)
        at += (size_t)sprintf(mls + at, "%s[%.17g, %.17g]", i ? ", " : "", walk_ll[2 * i],
                              walk_ll[2 * i + 1]);
    at += (size_t)sprintf(mls + at, "], [");
    for (int i = N_VERTS - 1; i >= N_VERTS / 2; i--)
        at += (size_t)sprintf(mls + at, "%s[%.17g, %.17g]", i < N_VERTS - 1 ? ", " : "",
                              walk_ll[2 * i], walk_ll[2 * i + 1]);
    sprintf(mls + at, "]]}}]}\n");
    f = site_frame();
    z = load(save("engine_mls.geojson", mls), f);
    free(mls);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_EQUAL(bf_geo_line_vertices(z, 0, &xy), N_VERTS);
    zh = load(hand_path, f);
    bf_geo_line_vertices(zh, 0, &xh);
    CU_ASSERT_TRUE(memcmp(xy, xh, 2 * N_VERTS * sizeof *xy) == 0);
    bf_geo_zones_destroy(z);
    bf_geo_zones_destroy(zh);
    bf_geo_frame_destroy(f);
}

static void test_buffer_and_props(void)
{
    data();
    static const char *keep[] = {"iso_a2"};
    static const char *map[] = {"iso_a3=description", "pop_est=population"};
    struct bf_zones_import_options o = {.attr = "iso_a2=TL", .simplify_m = 2, .buffer_m = 500,
                                        .have_our_side = true, .severity = 4,
                                        .keep_props = keep, .n_keep_props = 1,
                                        .map_props = map, .n_map_props = 2};
    our_side_point(false, &o.our_lat_deg, &o.our_lon_deg);
    struct bf_zones_import_report rep;
    char *text = import(shp_path, &o, &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(rep.n_zones, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"iso_a2\":\"TL\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"description\":\"TLD\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"population\":123456"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"severity\":4"));
    CU_ASSERT_PTR_NULL(strstr(text, "pop_est"));

    struct bf_geo_frame *f = site_frame();
    struct bf_geo_zones *z = load(save("buffer.geojson", text), f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    int b = bf_geo_zone_find(z, "border-buffer");
    CU_ASSERT_EQUAL_FATAL(b, 1);
    const struct bf_zone_info *bi = bf_geo_zone_info(z, (size_t)b);
    CU_ASSERT_EQUAL(bi->kind, BF_ZONE_BUFFER);
    /* about 500 m x the line's length (a meander's buffer is a little less than that) */
    double len = bf_geo_zone_info(z, 0)->length_m;
    printf("\n    buffer 500 m on our (south) side: %.3g km2 for a %.1f km line (%.2f of 500 m x "
           "length)\n", bi->area_m2 / 1e6, len / 1000, bi->area_m2 / (500 * len));
    CU_ASSERT_TRUE(bi->area_m2 > 0.7 * 500 * len && bi->area_m2 < 1.05 * 500 * len);
    int inside_south = 0, inside_north = 0, tries = 0;
    for (int i = 100; i < N_VERTS - 100; i += 50, tries++) {
        double lat, lon, e, n;
        utm_point(walk_xy[2 * i], walk_xy[2 * i + 1] - 200, &lat, &lon);
        bf_geo_to_local(f, lat, lon, &e, &n);
        inside_south += bf_geo_zone_contains(z, (size_t)b, e, n);
        utm_point(walk_xy[2 * i], walk_xy[2 * i + 1] + 200, &lat, &lon);
        bf_geo_to_local(f, lat, lon, &e, &n);
        inside_north += bf_geo_zone_contains(z, (size_t)b, e, n);
    }
    CU_ASSERT_EQUAL(inside_south, tries);
    CU_ASSERT_EQUAL(inside_north, 0);
    bf_geo_zones_destroy(z);
    free(text);

    /* both sides: points north and south are inside; RFC 7946: the first ring counter-clockwise */
    o.buffer_both_sides = true;
    text = import(shp_path, &o, &rep);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    z = load(save("buffer2.geojson", text), f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    double lat, lon, e, n;
    utm_point(walk_xy[3000], walk_xy[3001] + 200, &lat, &lon);
    bf_geo_to_local(f, lat, lon, &e, &n);
    CU_ASSERT_TRUE(bf_geo_zone_contains(z, 1, e, n));
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
    free(text);
}

static void expect_error(const char *src, struct bf_zones_import_options *o, const char *want1,
                         const char *want2)
{
    char err[1024] = "";
    char *text = (char *)"untouched";
    int rc = bf_zones_import(src, o, &text, NULL, err, sizeof err);
    printf("\n    %s", err);
    CU_ASSERT_EQUAL(rc, BF_EINVAL);
    CU_ASSERT_PTR_NULL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want1));
    if (want2)
        CU_ASSERT_PTR_NOT_NULL(strstr(err, want2));
}

static void test_errors(void)
{
    data();
    double lat, lon;
    our_side_point(true, &lat, &lon);
    struct bf_zones_import_options o = {.layer = "nope", .have_our_side = true,
                                        .our_lat_deg = lat, .our_lon_deg = lon};
    expect_error(gpkg_path, &o, "no layer \"nope\"", "layers: border, border_parts");

    o = (struct bf_zones_import_options){.where = "iso = 'TL'", .have_our_side = true,
                                         .our_lat_deg = lat, .our_lon_deg = lon};
    expect_error(shp_path, &o, "not a valid filter", "name, iso_a2, iso_a3, pop_est");

    o = (struct bf_zones_import_options){.attr = "iso_a2=ZZ", .have_our_side = true,
                                         .our_lat_deg = lat, .our_lon_deg = lon};
    expect_error(shp_path, &o, "no feature matched --attr", "name, iso_a2, iso_a3, pop_est");

    /* a vertex of the line as our side */
    o = (struct bf_zones_import_options){.attr = "iso_a2=TL", .have_our_side = true,
                                         .our_lat_deg = walk_ll[2 * 777 + 1],
                                         .our_lon_deg = walk_ll[2 * 777]};
    expect_error(shp_path, &o, "lies on the border line", NULL);

    o = (struct bf_zones_import_options){.attr = "iso_a2=TL"};
    expect_error(shp_path, &o, "--our-side LAT,LON is required", NULL);

    /* parts that do not join */
    o = (struct bf_zones_import_options){.layer = "border", .have_our_side = true,
                                         .our_lat_deg = lat, .our_lon_deg = lon};
    expect_error(gpkg_path, &o, "do not join end to end", "--split-parts");

    /* empty geometry */
    const char *empty = save("empty.geojson",
                             "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
                             "\"Feature\", \"properties\": {\"name\": \"B\"}, \"geometry\": "
                             "{\"type\": \"LineString\", \"coordinates\": []}}]}");
    o = (struct bf_zones_import_options){.name = "b", .have_our_side = true, .our_lat_deg = 46.8,
                                         .our_lon_deg = 8.2};
    expect_error(empty, &o, "1 feature matched but has empty geometry", NULL);

    char err[256];
    char *text = NULL;
    CU_ASSERT_EQUAL(bf_zones_import(save("nothing.txt", "hello"), &o, &text, NULL, err,
                                    sizeof err), BF_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
}

/* ---- the command --------------------------------------------------------- */

static int run(const char *args, const char *out_name, char *out, size_t len)
{
    char cmd[2048], path[512];
    snprintf(path, sizeof path, "%s/%s", bf_test_tmpdir(), out_name);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1", BF_ZONES_BIN, args, path);
    int st = system(cmd);
    char *text = bf_test_read_file(path, NULL);
    snprintf(out, len, "%s", text ? text : "");
    free(text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_command(void)
{
    data();
    char out[8192], args[1536], zones[512];
    double lat, lon;
    our_side_point(true, &lat, &lon);
    snprintf(zones, sizeof zones, "%s/cmd_zones.geojson", bf_test_tmpdir());
    snprintf(args, sizeof args, "%s --where \"iso_a2 = 'TL'\" --simplify-m 5 --buffer-m 500 "
             "--our-side %.9f,%.9f -o %s", shp_path, lat, lon, zones);
    int rc = run(args, "cmd.txt", out, sizeof out);
    printf("\n    %s", out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 feature, 1 part, 3000 vertices"));
    struct bf_geo_frame *f = site_frame();
    struct bf_geo_zones *z = load(zones, f);
    CU_ASSERT_PTR_NOT_NULL(z);
    CU_ASSERT_EQUAL(bf_geo_zones_count(z), 2);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);

    CU_ASSERT_EQUAL(run("--help", "help.txt", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: borderfuse-zones SOURCE"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Examples:"));

    snprintf(args, sizeof args, "%s --where \"isoo = 'TL'\" --our-side %.9f,%.9f", shp_path, lat,
             lon);
    CU_ASSERT_EQUAL(run(args, "bad.txt", out, sizeof out), 1);
    printf("    %s", out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "borderfuse-zones: --where \"isoo = 'TL'\" is not a valid "
                                       "filter"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "iso_a2"));

    CU_ASSERT_EQUAL(run("", "none.txt", out, sizeof out), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "expected one SOURCE"));
    snprintf(args, sizeof args, "%s --our-side north", shp_path);
    CU_ASSERT_EQUAL(run(args, "side.txt", out, sizeof out), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "expected LAT,LON"));
}

static CU_TestInfo tests[] = {
    {"shapefile in UTM 32N, simplified (printed)", test_shapefile_simplified},
    {"our_side from a point on either side", test_our_side},
    {"same crossings as hand-written zones (printed)", test_same_crossings_as_hand_written},
    {"MultiLineString: merged, or one zone per part", test_multilinestring_parts},
    {"buffer zone and kept / mapped properties", test_buffer_and_props},
    {"errors", test_errors},
    {"the borderfuse-zones command", test_command},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        {"zones import", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return bf_test_main(suites);
}
