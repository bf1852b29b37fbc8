/*
 * test_geo.c - the geo module against hand-computed values and brute-force
 * references: frames (round trip, a geodesic reference, convergence), zone
 * loading and every kind of invalid feature, side of a bent line at convex
 * and reflex vertices, crossings (through a vertex, along a segment, touch
 * and return, past a free end, multi-step), hysteresis, distance and time to
 * the line.  Zone files for the geometry tests are written from local
 * coordinates through the frame, so the expected values stay readable.
 */
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bf_test.h"
#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"

#define LAT0 46.8
#define LON0 8.2
#define DEG (M_PI / 180.0)

/* ---- helpers ---------------------------------------------------------- */

struct diag_msg {
    int line, col;
    char path[128];
    char msg[512];
};

struct collector {
    struct diag_msg m[256];
    int n;
};

static void collect(void *ctx, const char *file, int line, int col, const char *path,
                    const char *msg)
{
    struct collector *c = ctx;
    (void)file;
    if (c->n >= (int)(sizeof c->m / sizeof c->m[0]))
        return;
    struct diag_msg *d = &c->m[c->n++];
    d->line = line;
    d->col = col;
    snprintf(d->path, sizeof d->path, "%s", path ? path : "");
    snprintf(d->msg, sizeof d->msg, "%s", msg ? msg : "");
}

static void print_msgs(const struct collector *c)
{
    for (int i = 0; i < c->n; i++)
        printf("    diag %d:%d: %s: %s\n", c->m[i].line, c->m[i].col, c->m[i].path, c->m[i].msg);
}

static struct bf_geo_frame *demo_frame(void)
{
    struct bf_geo_frame *f = NULL;
    char err[256];
    int rc = bf_geo_frame_create(LAT0, LON0, NULL, &f, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    return f;
}

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", bf_test_tmpdir(), name);
    FILE *fp = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* "[[lon, lat], ...]" for local points, through the frame. */
static void coords_json(struct bf_geo_frame *f, const double *xy, int n, char *out, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(out + o, len - o, "[");
    for (int i = 0; i < n; i++) {
        double lat, lon;
        CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(f, xy[2 * i], xy[2 * i + 1], &lat, &lon), 0);
        o += (size_t)snprintf(out + o, len - o, "%s[%.17g, %.17g]", i ? ", " : "", lon, lat);
        CU_ASSERT_FATAL(o < len);
    }
    snprintf(out + o, len - o, "]");
}

static void line_feature(struct bf_geo_frame *f, const char *id, const char *side, const double *xy,
                         int n, char *out, size_t len)
{
    char c[8192];
    coords_json(f, xy, n, c, sizeof c);
    int k = snprintf(out, len,
             "{\"type\": \"Feature\", \"properties\": {\"id\": \"%s\", \"kind\": \"border_line\", "
             "\"our_side\": \"%s\"}, \"geometry\": {\"type\": \"LineString\", \"coordinates\": %s}}",
             id, side, c);
    CU_ASSERT_FATAL(k > 0 && (size_t)k < len);
}

static void poly_feature(struct bf_geo_frame *f, const char *id, const char *kind, const double *xy,
                         int n, char *out, size_t len)
{
    char c[8192];
    coords_json(f, xy, n, c, sizeof c);
    int k = snprintf(out, len,
             "{\"type\": \"Feature\", \"properties\": {\"id\": \"%s\", \"kind\": \"%s\"}, "
             "\"geometry\": {\"type\": \"Polygon\", \"coordinates\": [%s]}}",
             id, kind, c);
    CU_ASSERT_FATAL(k > 0 && (size_t)k < len);
}

/* Load a FeatureCollection of the given feature texts; fails the test if it does not load. */
static struct bf_geo_zones *load_features(struct bf_geo_frame *f, const char *name,
                                          const char *const *features, int n,
                                          const struct bf_geo_zones_options *opt)
{
    static char text[65536];
    size_t o = (size_t)snprintf(text, sizeof text, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s%s\n", features[i], i + 1 < n ? "," : "");
    snprintf(text + o, sizeof text - o, "]}\n");
    struct collector c = {.n = 0};
    struct bf_diag d = {.report = collect, .ctx = &c};
    struct bf_geo_zones *z = NULL;
    int rc = bf_geo_zones_load(write_file(name, text), f, opt, &z, &d);
    if (rc != 0)
        print_msgs(&c);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(d.n_errors, 0);
    return z;
}

/* The zigzag border used by the side and crossing tests; our side is the right (south). */
static const double ZIGZAG[] = {-1000, 0, 0, 0, 500, 500, 1000, 0, 2000, 0};

static struct bf_geo_zones *load_zigzag(struct bf_geo_frame *f)
{
    static char feat[16384];
    line_feature(f, "zigzag", "right", ZIGZAG, 5, feat, sizeof feat);
    const char *fs[] = {feat};
    return load_features(f, "zigzag.geojson", fs, 1, NULL);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double urand(double lo, double hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Brute-force distance to a polyline. */
static double brute_dist(const double *xy, int n, double x, double y)
{
    double best = INFINITY;
    for (int i = 0; i + 1 < n; i++) {
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
        double dx = bx - ax, dy = by - ay;
        double t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy);
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        best = fmin(best, hypot(x - (ax + t * dx), y - (ay + t * dy)));
    }
    return best;
}

/* Ray-casting point-in-polygon, the reference for "which side". */
static bool brute_in_polygon(const double *xy, int n, double x, double y)
{
    bool in = false;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

/* ---- frame ------------------------------------------------------------- */

static void test_frame_round_trip(void)
{
    const char *crss[] = {NULL, "EPSG:32632"};
    for (int k = 0; k < 2; k++) {
        struct bf_geo_frame *f = NULL;
        char err[256];
        CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(LAT0, LON0, crss[k], &f, err, sizeof err), 0);
        double worst_m = 0;
        for (double lat = LAT0 - 0.4; lat <= LAT0 + 0.4; lat += 0.05) {
            for (double lon = LON0 - 0.5; lon <= LON0 + 0.5; lon += 0.05) {
                double e, n, lat2, lon2;
                CU_ASSERT_EQUAL_FATAL(bf_geo_to_local(f, lat, lon, &e, &n), 0);
                CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(f, e, n, &lat2, &lon2), 0);
                double dn = (lat2 - lat) * DEG * 6378137.0;
                double de = (lon2 - lon) * DEG * 6378137.0 * cos(lat * DEG);
                worst_m = fmax(worst_m, hypot(dn, de));
            }
        }
        CU_ASSERT(worst_m < 1e-6);
        double e0, n0;
        CU_ASSERT_EQUAL(bf_geo_to_local(f, LAT0, LON0, &e0, &n0), 0);
        BF_ASSERT_NEAR(e0, 0.0, 1e-9);
        BF_ASSERT_NEAR(n0, 0.0, 1e-9);
        bf_geo_frame_destroy(f);
    }
}

static void test_frame_known_distance(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);   /* WGS84 */
    double lat, lon, e, n;

    /* 1000 m north of the origin along the meridian */
    geod_direct(&g, LAT0, LON0, 0.0, 1000.0, &lat, &lon, NULL);
    CU_ASSERT_EQUAL(bf_geo_to_local(f, lat, lon, &e, &n), 0);
    BF_ASSERT_NEAR(e, 0.0, 0.01);
    BF_ASSERT_NEAR(n, 1000.0, 0.01);

    /* 2500 m from the origin at azimuth 120 degrees */
    geod_direct(&g, LAT0, LON0, 120.0, 2500.0, &lat, &lon, NULL);
    CU_ASSERT_EQUAL(bf_geo_to_local(f, lat, lon, &e, &n), 0);
    BF_ASSERT_NEAR(e, 2500.0 * sin(120 * DEG), 0.01);
    BF_ASSERT_NEAR(n, 2500.0 * cos(120 * DEG), 0.01);

    /* and back: (0, 1000) is 1000 m from the origin, due north */
    double s12, azi1, azi2;
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, 0.0, 1000.0, &lat, &lon), 0);
    geod_inverse(&g, LAT0, LON0, lat, lon, &s12, &azi1, &azi2);
    BF_ASSERT_NEAR(s12, 1000.0, 0.01);
    BF_ASSERT_NEAR(azi1, 0.0, 1e-6);

    /* out-of-range input is an error, not garbage */
    CU_ASSERT_EQUAL(bf_geo_to_local(f, 91.0, 8.0, &e, &n), BF_EPROJ);
    CU_ASSERT_EQUAL(bf_geo_to_local(f, NAN, 8.0, &e, &n), BF_EPROJ);
    CU_ASSERT_EQUAL(bf_geo_to_wgs84(f, INFINITY, 0, &lat, &lon), BF_EPROJ);
    bf_geo_frame_destroy(f);
}

static void test_frame_convergence(void)
{
    struct bf_geo_frame *f = demo_frame();
    double gamma;

    CU_ASSERT_EQUAL(bf_geo_convergence(f, LAT0, LON0, &gamma), 0);
    BF_ASSERT_NEAR(gamma, 0.0, 1e-9);

    /* east of the origin meridians lean west towards the pole: true north has a
     * negative grid bearing, about -dlon * sin(lat) */
    double expect = -0.1 * DEG * sin(LAT0 * DEG);
    CU_ASSERT_EQUAL(bf_geo_convergence(f, LAT0, LON0 + 0.1, &gamma), 0);
    CU_ASSERT(gamma < 0);
    BF_ASSERT_NEAR(gamma, expect, 0.02 * fabs(expect));
    CU_ASSERT_EQUAL(bf_geo_convergence(f, LAT0, LON0 - 0.1, &gamma), 0);
    CU_ASSERT(gamma > 0);
    BF_ASSERT_NEAR(gamma, -expect, 0.02 * fabs(expect));
    bf_geo_frame_destroy(f);

    /* UTM 32N (central meridian 9E): at 8.2E, dlon = -0.8 deg, so grid north
     * lies west of true north and true north has bearing +dlon*sin(lat) in the grid */
    char err[256];
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(LAT0, LON0, "EPSG:32632", &f, err, sizeof err), 0);
    CU_ASSERT_EQUAL(bf_geo_convergence(f, LAT0, LON0, &gamma), 0);
    expect = atan(tan(0.8 * DEG) * sin(LAT0 * DEG));
    BF_ASSERT_NEAR(gamma, expect, 1e-3 * expect);
    CU_ASSERT_EQUAL(bf_geo_convergence(f, LAT0, 9.0, &gamma), 0);
    BF_ASSERT_NEAR(gamma, 0.0, 1e-9);
    bf_geo_frame_destroy(f);

    /* southern hemisphere: the sign flips */
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(-30.0, 20.0, "aeqd", &f, err, sizeof err), 0);
    CU_ASSERT_EQUAL(bf_geo_convergence(f, -30.0, 20.1, &gamma), 0);
    expect = 0.1 * DEG * sin(30.0 * DEG);
    BF_ASSERT_NEAR(gamma, expect, 0.02 * expect);
    bf_geo_frame_destroy(f);
}

static void test_frame_errors_and_clone(void)
{
    struct bf_geo_frame *f = (struct bf_geo_frame *)&rng_state, *c = NULL;
    char err[256];

    CU_ASSERT(bf_geo_frame_create(LAT0, LON0, "EPSG:99999", &f, err, sizeof err) < 0);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_EQUAL(strncmp(err, "unknown CRS \"EPSG:99999\": ", 26), 0);
    CU_ASSERT(strlen(err) > 26);

    CU_ASSERT(bf_geo_frame_create(LAT0, LON0, "EPSG:4326", &f, err, sizeof err) < 0);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a projected CRS"));

    CU_ASSERT(bf_geo_frame_create(95.0, LON0, NULL, &f, err, sizeof err) < 0);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range"));

    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(LAT0, LON0, "EPSG:32632", &f, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_clone(f, &c), 0);
    double e1, n1, e2, n2;
    CU_ASSERT_EQUAL(bf_geo_to_local(f, 46.9, 8.4, &e1, &n1), 0);
    bf_geo_frame_destroy(f);   /* the clone is independent */
    CU_ASSERT_EQUAL(bf_geo_to_local(c, 46.9, 8.4, &e2, &n2), 0);
    CU_ASSERT_EQUAL(e1, e2);
    CU_ASSERT_EQUAL(n1, n2);
    /* UTM local coordinates are metres about the origin: 0.1 deg due north is the
     * geodesic distance times the UTM scale (k0 (1 + (dlon cos lat)^2 / 2)), in the
     * direction of the grid convergence */
    struct geod_geodesic g;
    double s12, gamma;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    geod_inverse(&g, LAT0, LON0, LAT0 + 0.1, LON0, &s12, NULL, NULL);
    double k = 0.9996 * (1 + pow(0.8 * DEG * cos((LAT0 + 0.05) * DEG), 2) / 2);
    CU_ASSERT_EQUAL(bf_geo_to_local(c, LAT0 + 0.1, LON0, &e2, &n2), 0);
    CU_ASSERT_EQUAL(bf_geo_convergence(c, LAT0 + 0.05, LON0, &gamma), 0);
    BF_ASSERT_NEAR(hypot(e2, n2), s12 * k, 0.05);
    BF_ASSERT_NEAR(atan2(e2, n2), gamma, 1e-5);
    bf_geo_frame_destroy(c);
    bf_geo_frame_destroy(NULL);
}

/* ---- zone loading ------------------------------------------------------- */

static void test_zones_fixture(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct collector c = {.n = 0};
    struct bf_diag d = {.report = collect, .ctx = &c};
    struct bf_geo_zones *z = NULL;
    int rc = bf_geo_zones_load(bf_test_src("tests/geo/zones_demo.geojson"), f, NULL, &z, &d);
    print_msgs(&c);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(d.n_errors, 0);
    CU_ASSERT_EQUAL_FATAL(bf_geo_zones_count(z), 4);

    const struct bf_zone_info *b = bf_geo_zone_info(z, 0);
    CU_ASSERT_STRING_EQUAL(b->id, "border");
    CU_ASSERT_STRING_EQUAL(b->name, "State border");
    CU_ASSERT_EQUAL(b->kind, BF_ZONE_BORDER_LINE);
    CU_ASSERT_EQUAL(b->severity, 4);
    CU_ASSERT_EQUAL(b->our_side, -1);
    BF_ASSERT_NEAR(b->length_m, 2000 + hypot(1500, 1000) + 1500, 0.01);
    CU_ASSERT_EQUAL(b->area_m2, 0);

    const struct bf_zone_info *buf = bf_geo_zone_info(z, 1);
    CU_ASSERT_EQUAL(buf->kind, BF_ZONE_BUFFER);
    CU_ASSERT_EQUAL(buf->our_side, 0);
    BF_ASSERT_NEAR(buf->area_m2, 2000.0 * 300.0, 2.0);
    BF_ASSERT_NEAR(buf->length_m, 4600.0, 0.01);
    const struct bf_zone_info *depot = bf_geo_zone_info(z, 2);
    CU_ASSERT_EQUAL(depot->kind, BF_ZONE_RESTRICTED);
    CU_ASSERT_EQUAL(depot->severity, 3);
    BF_ASSERT_NEAR(depot->area_m2, 1000.0 * 1000.0 - 200.0 * 200.0, 2.0);
    const struct bf_zone_info *farms = bf_geo_zone_info(z, 3);
    CU_ASSERT_EQUAL(farms->kind, BF_ZONE_NO_ALERT);
    CU_ASSERT_STRING_EQUAL(farms->name, "farms");   /* defaults to the id */
    CU_ASSERT_EQUAL(farms->severity, 2);            /* the default */
    BF_ASSERT_NEAR(farms->area_m2, 2 * 500.0 * 500.0, 2.0);
    CU_ASSERT_PTR_NULL(bf_geo_zone_info(z, 4));

    CU_ASSERT_EQUAL(bf_geo_zone_find(z, "depot"), 2);
    CU_ASSERT_EQUAL(bf_geo_zone_find(z, "nope"), -1);
    CU_ASSERT_STRING_EQUAL(bf_zone_kind_name(BF_ZONE_NO_ALERT), "no_alert");
    CU_ASSERT_STRING_EQUAL(bf_zone_kind_name(BF_ZONE_BORDER_LINE), "border_line");

    const double *xy;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &xy), 4);
    BF_ASSERT_NEAR(xy[2], 0.0, 1e-3);
    BF_ASSERT_NEAR(xy[3], 0.0, 1e-3);
    BF_ASSERT_NEAR(xy[4], 1500.0, 1e-3);
    BF_ASSERT_NEAR(xy[5], 1000.0, 1e-3);
    CU_ASSERT_EQUAL(bf_geo_line_vertices(z, 1, &xy), 0);

    CU_ASSERT_TRUE(bf_geo_zone_contains(z, 1, 0, -250));
    CU_ASSERT_FALSE(bf_geo_zone_contains(z, 1, 0, -450));
    CU_ASSERT_TRUE(bf_geo_zone_contains(z, 2, 700, -1500));
    CU_ASSERT_FALSE(bf_geo_zone_contains(z, 2, 1000, -1500));   /* in the hole */
    CU_ASSERT_TRUE(bf_geo_zone_contains(z, 3, -2750, -2750));
    CU_ASSERT_TRUE(bf_geo_zone_contains(z, 3, -1750, -2750));
    CU_ASSERT_FALSE(bf_geo_zone_contains(z, 3, -2250, -2750));  /* between the farms */
    CU_ASSERT_FALSE(bf_geo_zone_contains(z, 0, 0, 0));          /* a line contains nothing */
    BF_ASSERT_NEAR(bf_geo_zone_distance(z, 2, 1000, -1500), 100.0, 1e-3);   /* hole edge */
    BF_ASSERT_NEAR(bf_geo_zone_distance(z, 1, 0, -250), 0.0, 1e-9);
    BF_ASSERT_NEAR(bf_geo_zone_distance(z, 0, -1000, -30), 30.0, 1e-3);

    /* one step in the buffer, south of the border (ours) */
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;
    CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, -500, -250, 0, 0, &s), 0);
    CU_ASSERT_EQUAL(s.inside, UINT64_C(1) << 1);
    CU_ASSERT_EQUAL(s.entered, UINT64_C(1) << 1);
    CU_ASSERT_EQUAL(s.nearest_line, 0);
    CU_ASSERT_EQUAL(s.line_side, 1);
    BF_ASSERT_NEAR(s.dist_to_line_m, 250.0, 1e-3);
    bf_geo_zones_destroy(z);
    bf_geo_zones_destroy(NULL);
    bf_geo_frame_destroy(f);
}

/* A good border line, used as features[0] of the invalid-feature cases. */
#define GOOD_LINE                                                                                   \
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"border\", \"kind\": \"border_line\", "     \
    "\"our_side\": \"left\"}, \"geometry\": {\"type\": \"LineString\", \"coordinates\": "          \
    "[[8.19, 46.8], [8.21, 46.8]]}}"
#define SQUARE "[[[8.20, 46.79], [8.21, 46.79], [8.21, 46.795], [8.20, 46.795], [8.20, 46.79]]]"
#define PROPS(p) "{\"type\": \"Feature\", \"properties\": {" p "}, "
#define POLY_GEOM "\"geometry\": {\"type\": \"Polygon\", \"coordinates\": " SQUARE "}}"
#define LINE_GEOM(c) "\"geometry\": {\"type\": \"LineString\", \"coordinates\": " c "}}"

struct bad_case {
    const char *feature;   /* features[1], on line 3 of the file */
    const char *path;      /* where the error must point */
    const char *msg;       /* a substring the message must hold */
};

static const struct bad_case BAD[] = {
    {PROPS("\"id\": \"a\"") POLY_GEOM, "features[1].properties", "zone \"a\": missing \"kind\""},
    {PROPS("\"id\": \"a\", \"kind\": \"fence\"") POLY_GEOM, "features[1].properties.kind",
     "zone \"a\": unknown kind \"fence\""},
    {PROPS("\"kind\": \"buffer\"") POLY_GEOM, "features[1].properties",
     "features[1]: missing \"id\""},
    {PROPS("\"id\": 7, \"kind\": \"buffer\"") POLY_GEOM, "features[1].properties.id",
     "features[1]: \"id\" must be a non-empty string"},
    {PROPS("\"id\": \"border\", \"kind\": \"buffer\"") POLY_GEOM, "features[1].properties.id",
     "zone \"border\": duplicate id (already used by features[0], line 2)"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"") POLY_GEOM,
     "features[1].geometry.type", "zone \"b2\": a border_line zone must be a LineString"},
    {PROPS("\"id\": \"p\", \"kind\": \"restricted\"") LINE_GEOM("[[8.19, 46.8], [8.2, 46.8]]"),
     "features[1].geometry.type", "zone \"p\": a restricted zone must be a Polygon or MultiPolygon"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[8.19, 46.8]]"),
     "features[1].geometry.coordinates", "zone \"b2\": a border_line needs at least 2 points"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[8.19, 46.8], [8.19, 46.8]]"),
     "features[1].geometry.coordinates", "zone \"b2\": a border_line needs at least 2 distinct"},
    {PROPS("\"id\": \"p\", \"kind\": \"buffer\"") "\"geometry\": {\"type\": \"Polygon\", "
                                                  "\"coordinates\": [[[8.20, 46.79], [8.21, 46.79], "
                                                  "[8.21, 46.795], [8.20, 46.795]]]}}",
     "features[1].geometry.coordinates[0]", "zone \"p\": ring 0 is not closed"},
    {PROPS("\"id\": \"p\", \"kind\": \"buffer\"") "\"geometry\": {\"type\": \"Polygon\", "
                                                  "\"coordinates\": [[[8.20, 46.79], [8.21, 46.79], "
                                                  "[8.20, 46.79]]]}}",
     "features[1].geometry.coordinates[0]", "zone \"p\": ring 0: a closed ring needs at least 4"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[8.19, 46.8], [8.2, 95.5]]"),
     "features[1].geometry.coordinates[1][1]", "zone \"b2\": latitude 95.5 out of range"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[-181, 46.8], [8.2, 46.8]]"),
     "features[1].geometry.coordinates[0][0]", "zone \"b2\": longitude -181 out of range"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[8.19, \"46.8\"], [8.2, 46.8]]"),
     "features[1].geometry.coordinates[0][1]", "zone \"b2\": latitude must be a number"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[8.19, 46.8], 8.2]"),
     "features[1].geometry.coordinates[1]", "zone \"b2\": expected a position"},
    {PROPS("\"id\": \"bow\", \"kind\": \"buffer\"") "\"geometry\": {\"type\": \"Polygon\", "
                                                    "\"coordinates\": [[[8.20, 46.79], [8.21, 46.795], "
                                                    "[8.21, 46.79], [8.20, 46.795], [8.20, 46.79]]]}}",
     "features[1].geometry", "zone \"bow\": invalid polygon: Self-intersection near lat 46.79"},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\"") LINE_GEOM("[[8.19, 46.8], [8.2, 46.8]]"),
     "features[1].properties", "zone \"b2\": missing \"our_side\""},
    {PROPS("\"id\": \"b2\", \"kind\": \"border_line\", \"our_side\": \"north\"")
         LINE_GEOM("[[8.19, 46.8], [8.2, 46.8]]"),
     "features[1].properties.our_side", "zone \"b2\": \"our_side\" must be \"left\" or \"right\""},
    {PROPS("\"id\": \"p\", \"kind\": \"buffer\", \"our_side\": \"left\"") POLY_GEOM,
     "features[1].properties.our_side", "zone \"p\": \"our_side\" applies to border_line zones only"},
    {PROPS("\"id\": \"p\", \"kind\": \"buffer\", \"severity\": 5") POLY_GEOM,
     "features[1].properties.severity", "zone \"p\": \"severity\" must be an integer 1..4"},
    {PROPS("\"id\": \"p\", \"kind\": \"buffer\", \"severity\": 2.5") POLY_GEOM,
     "features[1].properties.severity", "zone \"p\": \"severity\" must be an integer 1..4"},
    {PROPS("\"id\": \"m\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         "\"geometry\": {\"type\": \"MultiLineString\", \"coordinates\": "
         "[[[8.19, 46.8], [8.20, 46.8]], [[8.201, 46.8], [8.21, 46.8]]]}}",
     "features[1].geometry", "zone \"m\": the 2 parts of the MultiLineString do not join"},
    {PROPS("\"id\": \"m\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         "\"geometry\": {\"type\": \"MultiLineString\", \"coordinates\": "
         "[[[8.19, 46.8], [8.20, 46.8]], [[8.20, 46.8]]]}}",
     "features[1].geometry.coordinates[1]", "zone \"m\": part 1: a border_line needs at least 2"},
    {PROPS("\"id\": \"p\", \"kind\": \"buffer\"") "\"geometry\": null}", "features[1].geometry",
     "zone \"p\": expected a \"geometry\" object"},
    {PROPS("\"id\": \"zz\", \"kind\": \"border_line\", \"our_side\": \"left\"")
         LINE_GEOM("[[8.19, 46.8], [8.21, 46.81], [8.21, 46.8], [8.19, 46.81]]"),
     "features[1].geometry", "zone \"zz\": the border_line crosses or overlaps itself"},
};

static void test_zones_invalid(void)
{
    struct bf_geo_frame *f = demo_frame();
    char text[4096];

    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"type\": \"FeatureCollection\", \"features\": [\n%s,\n%s\n]}\n", GOOD_LINE,
                 BAD[i].feature);
        struct collector c = {.n = 0};
        struct bf_diag d = {.report = collect, .ctx = &c};
        struct bf_geo_zones *z = (struct bf_geo_zones *)&rng_state;
        int rc = bf_geo_zones_load(write_file("bad.geojson", text), f, NULL, &z, &d);
        bool ok = rc < 0 && z == NULL && c.n == 1 && d.n_errors == 1 && c.m[0].line == 3 &&
                  strcmp(c.m[0].path, BAD[i].path) == 0 && strstr(c.m[0].msg, BAD[i].msg);
        if (!ok) {
            printf("\n  case %zu (expect %s: %s) gave rc %d:\n", i, BAD[i].path, BAD[i].msg, rc);
            print_msgs(&c);
        }
        CU_ASSERT_TRUE(ok);
    }
    bf_geo_frame_destroy(f);
}

/*
 * What a GIS export brings: foreign properties (kept in the file, ignored,
 * listed in one log line with a did-you-mean), a MultiLineString border in
 * two touching parts, the second drawn the other way (merged, in the first
 * part's direction), and a clockwise polygon (rewound for publishing).
 */
static void test_zones_gis_export(void)
{
    struct bf_geo_frame *f = demo_frame();
    const char *text =
        "{\"type\": \"FeatureCollection\", \"features\": [\n"
        PROPS("\"id\": \"border\", \"kind\": \"border_line\", \"our_side\": \"left\", "
              "\"ISO_A2\": \"CH\", \"NAME_EN\": \"Switzerland\"")
        "\"geometry\": {\"type\": \"MultiLineString\", \"coordinates\": "
        "[[[8.19, 46.8], [8.20, 46.8]], [[8.21, 46.801], [8.205, 46.8], [8.20, 46.8]]]}},\n"
        PROPS("\"id\": \"p\", \"kind\": \"buffer\", \"sevrity\": 3, \"ISO_A2\": \"CH\"")
        POLY_GEOM "\n]}\n";
    char logpath[512];
    snprintf(logpath, sizeof logpath, "%s/zones_log.txt", bf_test_tmpdir());
    FILE *log = fopen(logpath, "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    bf_log_set_stream(log);
    struct collector c = {.n = 0};
    struct bf_diag d = {.report = collect, .ctx = &c};
    struct bf_geo_zones *z = NULL;
    int rc = bf_geo_zones_load(write_file("gis.geojson", text), f, NULL, &z, &d);
    bf_log_set_stream(NULL);
    print_msgs(&c);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(bf_geo_zones_count(z), 2);
    CU_ASSERT_EQUAL(bf_geo_zone_info(z, 1)->severity, 2);   /* "sevrity" is not "severity" */

    /* one log line naming each foreign property once, with the did-you-mean */
    char buf[2048] = "";
    rewind(log);
    size_t got = fread(buf, 1, sizeof buf - 1, log);
    buf[got] = '\0';
    fclose(log);
    printf("\n  log: %s", buf);
    int lines = 0;
    for (const char *q = buf; *q; q++)
        lines += *q == '\n';
    CU_ASSERT_EQUAL(lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ignoring 3 properties the engine does not read, in 2 features"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"ISO_A2\", \"NAME_EN\", \"sevrity\" (did you mean \"severity\"?)"));
    char *second = strstr(buf, "ISO_A2");
    CU_ASSERT_TRUE(second && !strstr(second + 1, "ISO_A2"));

    /* merged into one line of 4 vertices, in the direction of the first part */
    const double *xy = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &xy), 4);
    double e0, n0, e3, n3;
    CU_ASSERT_EQUAL(bf_geo_to_local(f, 46.8, 8.19, &e0, &n0), 0);
    CU_ASSERT_EQUAL(bf_geo_to_local(f, 46.801, 8.21, &e3, &n3), 0);
    CU_ASSERT_DOUBLE_EQUAL(xy[0], e0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(xy[1], n0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(xy[6], e3, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(xy[7], n3, 1e-9);
    /* eastwards, "left" is north: ours */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, 0.0, 300.0), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, 0.0, -300.0), -1);
    bf_geo_zones_destroy(z);

    /* RFC 7946 winding: exterior counter-clockwise, holes clockwise */
    cJSON *g = cJSON_Parse("{\"type\": \"Polygon\", \"coordinates\": ["
                           "[[0, 0], [0, 2], [2, 2], [2, 0], [0, 0]],"
                           "[[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]]}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(bf_geo_geojson_rewind(g), 2);
    char *txt = cJSON_PrintUnformatted(g);
    CU_ASSERT_STRING_EQUAL(txt, "{\"type\":\"Polygon\",\"coordinates\":["
                                "[[0,0],[2,0],[2,2],[0,2],[0,0]],"
                                "[[0.5,0.5],[0.5,1.5],[1.5,1.5],[1.5,0.5],[0.5,0.5]]]}");
    free(txt);
    CU_ASSERT_EQUAL(bf_geo_geojson_rewind(g), 0);
    cJSON *ring = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "coordinates"), 0);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(ring), 5);
    CU_ASSERT_PTR_EQUAL(ring->child->prev, cJSON_GetArrayItem(ring, 4));
    cJSON_Delete(g);
    bf_geo_frame_destroy(f);
}

static void test_zones_every_error_reported(void)
{
    struct bf_geo_frame *f = demo_frame();
    const char *text =
        "{\"type\": \"FeatureCollection\", \"features\": [\n" GOOD_LINE ",\n"
        PROPS("\"id\": \"a\", \"kind\": \"fence\"") POLY_GEOM ",\n"
        PROPS("\"id\": \"ok\", \"kind\": \"buffer\"") POLY_GEOM ",\n"
        PROPS("\"kind\": \"buffer\", \"severity\": 0") POLY_GEOM ",\n"
        PROPS("\"id\": \"ok\", \"kind\": \"restricted\"") POLY_GEOM "\n]}\n";
    struct collector c = {.n = 0};
    struct bf_diag d = {.report = collect, .ctx = &c};
    struct bf_geo_zones *z = NULL;
    CU_ASSERT(bf_geo_zones_load(write_file("many.geojson", text), f, NULL, &z, &d) < 0);
    CU_ASSERT_PTR_NULL(z);
    CU_ASSERT_EQUAL_FATAL(c.n, 4);
    CU_ASSERT_EQUAL(c.m[0].line, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.m[0].msg, "zone \"a\": unknown kind"));
    CU_ASSERT_EQUAL(c.m[1].line, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.m[1].msg, "features[3]: missing \"id\""));
    CU_ASSERT_EQUAL(c.m[2].line, 5);
    CU_ASSERT_STRING_EQUAL(c.m[2].path, "features[3].properties.severity");
    CU_ASSERT_EQUAL(c.m[3].line, 6);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.m[3].msg, "zone \"ok\": duplicate id (already used by features[2], line 4)"));

    /* not a FeatureCollection; a missing file */
    c.n = 0;
    CU_ASSERT(bf_geo_zones_load(write_file("fc.geojson", "{\"type\": \"Feature\"}"), f, NULL, &z, &d) < 0);
    CU_ASSERT_EQUAL_FATAL(c.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.m[0].msg, "expected a GeoJSON FeatureCollection"));
    c.n = 0;
    CU_ASSERT(bf_geo_zones_load("/nonexistent/zones.geojson", f, NULL, &z, &d) < 0);
    CU_ASSERT_PTR_NULL(z);
    CU_ASSERT(c.n >= 1);
    /* a projected CRS member is refused */
    c.n = 0;
    CU_ASSERT(bf_geo_zones_load(write_file("crs.geojson",
                                           "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": "
                                           "\"name\", \"properties\": {\"name\": "
                                           "\"urn:ogc:def:crs:EPSG::3857\"}}, \"features\": []}"),
                                f, NULL, &z, &d) < 0);
    CU_ASSERT_EQUAL_FATAL(c.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.m[0].msg, "WGS84"));
    bf_geo_frame_destroy(f);
}

static void test_zones_too_many(void)
{
    struct bf_geo_frame *f = demo_frame();
    static char text[65536], feat[1024];
    size_t o = (size_t)snprintf(text, sizeof text, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    for (int i = 0; i <= BF_GEO_MAX_ZONES; i++) {
        double x = 100.0 * i;
        double sq[] = {x, 0, x + 50, 0, x + 50, 50, x, 50, x, 0};
        char id[16];
        snprintf(id, sizeof id, "z%d", i);
        poly_feature(f, id, "restricted", sq, 5, feat, sizeof feat);
        o += (size_t)snprintf(text + o, sizeof text - o, "%s%s\n", feat, i < BF_GEO_MAX_ZONES ? "," : "");
    }
    snprintf(text + o, sizeof text - o, "]}\n");
    struct collector c = {.n = 0};
    struct bf_diag d = {.report = collect, .ctx = &c};
    struct bf_geo_zones *z = NULL;
    CU_ASSERT(bf_geo_zones_load(write_file("many_zones.geojson", text), f, NULL, &z, &d) < 0);
    CU_ASSERT_PTR_NULL(z);
    CU_ASSERT_EQUAL_FATAL(c.n, 1);
    CU_ASSERT_STRING_EQUAL(c.m[0].path, "features[64]");
    CU_ASSERT_PTR_NOT_NULL(strstr(c.m[0].msg, "zone \"z64\": more than 64 zones"));
    bf_geo_frame_destroy(f);
}

/* ---- side of a line ----------------------------------------------------- */

static void test_side(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = load_zigzag(f);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 5);
    /* P1 = v[2..3] turns left (east -> north-east): its convex side is the right (ours);
     * P2 = v[4..5] turns right: its convex side is the left (theirs). */
    double p1x = v[2], p1y = v[3], p2x = v[4], p2y = v[5];

    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, -500, -100), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, -500, 100), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, 1500, -3), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, 0, 100), -1);   /* nearest: inside segment P1-P2 */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, 600, 300), 1);  /* under the peak */

    /* convex side of P1: nearest feature is the vertex itself */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 5, p1y - 20), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x, p1y - 20), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 1e-3, p1y - 1e-3), 1);
    /* reflex side of P1, on the bisector: equidistant from both segments */
    double bis = atan2(1.0 / sqrt(2.0), -1.0 + 1.0 / sqrt(2.0));   /* (-1,0) + (1,1)/sqrt2 */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 10 * cos(bis), p1y + 10 * sin(bis)), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 1e-4 * cos(bis), p1y + 1e-4 * sin(bis)), -1);
    /* convex side of P2 (north of the peak) and its reflex side */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p2x, p2y + 20), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p2x + 3, p2y + 1e-3), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p2x, p2y - 20), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p2x, p2y - 1e-4), 1);

    /* on the line: vertices, a mid-segment point, within 1e-6 m */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x, p1y), 0);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p2x, p2y), 0);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, v[0], v[1]), 0);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, (v[6] + v[8]) / 2, (v[7] + v[9]) / 2), 0);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, (v[6] + v[8]) / 2, (v[7] + v[9]) / 2 + 5e-7), 0);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, (v[6] + v[8]) / 2, (v[7] + v[9]) / 2 + 1e-5), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, (v[6] + v[8]) / 2, (v[7] + v[9]) / 2 - 1e-5), 1);

    /* beyond the free ends: the end segments extended */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, -1100, 10), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, 2100, -10), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 1, 0, 0), 0);   /* no such zone */
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/* Against ray casting in the polygon closed to the south of the line, and brute distance. */
static void test_side_brute_force(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = load_zigzag(f);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 5);
    double ours[14];
    memcpy(ours, v, 10 * sizeof *v);
    ours[10] = 2000;
    ours[11] = -5000;
    ours[12] = -1000;
    ours[13] = -5000;
    int mismatches = 0, tested = 0;
    double worst = 0;
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;
    for (int i = 0; i < 20000; i++) {
        double x, y;
        if (i % 2) {
            x = urand(-500, 1500);
            y = urand(-400, 900);
        } else {   /* close to a vertex */
            int k = 1 + i % 3;
            x = v[2 * k] + urand(-2, 2);
            y = v[2 * k + 1] + urand(-2, 2);
        }
        double d = brute_dist(v, 5, x, y);
        CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, x, y, 0, 0, &s), 0);
        worst = fmax(worst, fabs(s.dist_to_line_m - d));
        BF_ASSERT_NEAR(bf_geo_zone_distance(z, 0, x, y), d, 1e-9);
        if (d < 1e-5)
            continue;
        tested++;
        int expect = brute_in_polygon(ours, 7, x, y) ? 1 : -1;
        if (bf_geo_line_side(z, 0, x, y) != expect || s.line_side != expect)
            mismatches++;
    }
    CU_ASSERT(tested > 19000);
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT(worst < 1e-9);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/*
 * A sharp vertex (a turn of about 153 degrees at P1), where neither adjacent
 * segment alone gives the right side: on the convex side some points are left
 * of the incoming segment's line and others left of the outgoing one's.
 */
static void test_side_sharp_vertex(void)
{
    struct bf_geo_frame *f = demo_frame();
    static char feat[8192];
    const double spike[] = {-1000, 0, 0, 0, -600, 300, -600, 1000};
    line_feature(f, "spike", "right", spike, 4, feat, sizeof feat);
    const char *fs[] = {feat};
    struct bf_geo_zones *z = load_features(f, "spike.geojson", fs, 1, NULL);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 4);
    double p1x = v[2], p1y = v[3];

    /* convex side of P1 (ours), at 40 and -60 degrees from east */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 20 * cos(40 * DEG), p1y + 20 * sin(40 * DEG)), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 20 * cos(-60 * DEG), p1y + 20 * sin(-60 * DEG)), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x + 1e-3, p1y + 1e-4), 1);
    /* beyond the free west end: the first segment extended */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, -1100, 10), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, -1100, -10), 1);
    /* inside the pocket between the two segments (theirs) */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x - 20, p1y + 5), -1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, p1x - 1e-3, p1y + 2e-4), -1);

    /* the left side is the inside of the polygon closed round to the west */
    double theirs[] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                       -600, 5000, -5000, 5000, -5000, 0};
    int mismatches = 0, tested = 0;
    for (int i = 0; i < 20000; i++) {
        double r = i % 2 ? 300 : 3;
        double x = p1x + urand(-r, r), y = p1y + urand(-r, r * 250 / 300);
        if (brute_dist(v, 4, x, y) < 1e-5)
            continue;
        tested++;
        int expect = brute_in_polygon(theirs, 7, x, y) ? -1 : 1;
        mismatches += bf_geo_line_side(z, 0, x, y) != expect;
    }
    CU_ASSERT(tested > 19000);
    CU_ASSERT_EQUAL(mismatches, 0);

    /* a track going round the convex side of the spike stays on our side */
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;
    int crossings = 0;
    for (int a = -120; a <= 120; a += 5) {
        CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, p1x + 10 * cos(a * DEG), p1y + 10 * sin(a * DEG),
                                          0, 0, &s), 0);
        CU_ASSERT_EQUAL(s.line_side, 1);
        crossings += s.n_crossings;
    }
    CU_ASSERT_EQUAL(crossings, 0);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/*
 * A closed border line (an island, anticlockwise, ours outside): its first
 * vertex is an ordinary corner, here a sharp one (a turn of 147 degrees), where
 * the first or last segment alone would give the wrong side.
 */
static void test_side_closed_line(void)
{
    struct bf_geo_frame *f = demo_frame();
    static char feat[8192];
    const double ring[] = {0, 0, 1000, -300, 1000, 300, 0, 0};
    line_feature(f, "island", "right", ring, 4, feat, sizeof feat);
    const char *fs[] = {feat};
    struct bf_geo_zones *z = load_features(f, "island.geojson", fs, 1, NULL);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 4);
    BF_ASSERT_NEAR(bf_geo_zone_info(z, 0)->length_m, 600 + 2 * hypot(1000, 300), 1e-6);

    for (int a = 120; a <= 240; a += 10)   /* all round the tip, outside */
        CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, v[0] + 5 * cos(a * DEG), v[1] + 5 * sin(a * DEG)), 1);
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, v[0] + 5, v[1]), -1);   /* inside the tip */
    CU_ASSERT_EQUAL(bf_geo_line_side(z, 0, v[0], v[1]), 0);

    int mismatches = 0, tested = 0;
    for (int i = 0; i < 20000; i++) {
        double r = 4;
        double x = urand(-r, r), y = urand(-r, r);   /* round corner 0 */
        if (i % 2) {
            x = urand(-200, 1200);
            y = urand(-400, 400);
        }
        if (brute_dist(v, 4, x, y) < 1e-5)
            continue;
        tested++;
        int expect = brute_in_polygon(v, 3, x, y) ? -1 : 1;
        mismatches += bf_geo_line_side(z, 0, x, y) != expect;
    }
    CU_ASSERT(tested > 19000);
    CU_ASSERT_EQUAL(mismatches, 0);

    /* onto the island exactly through corner 0: one crossing, ours -> theirs */
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;
    bf_geo_track_step(z, &st, v[0] - 10, v[1], 0, 0, &s);
    CU_ASSERT_EQUAL(s.n_crossings, 0);
    CU_ASSERT_EQUAL(s.line_side, 1);
    bf_geo_track_step(z, &st, v[0] + 10, v[1], 0, 0, &s);
    CU_ASSERT_EQUAL_FATAL(s.n_crossings, 1);
    CU_ASSERT_EQUAL(s.crossings[0].dir, -1);
    BF_ASSERT_NEAR(s.crossings[0].frac, 0.5, 1e-8);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/* ---- crossings ------------------------------------------------------------ */

struct walk {
    int n;
    int8_t dir[16];
    double e[16], n_m[16], frac[16];
    int step[16];
};

/* Walk the points (x y pairs); collect every crossing reported. */
static void walk(struct bf_geo_zones *z, const double *pts, int n, struct walk *w)
{
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;
    memset(w, 0, sizeof *w);
    for (int i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, pts[2 * i], pts[2 * i + 1], 0, 0, &s), 0);
        for (int k = 0; k < s.n_crossings && w->n < 16; k++) {
            CU_ASSERT_EQUAL(s.crossings[k].zone, 0);
            w->dir[w->n] = s.crossings[k].dir;
            w->e[w->n] = s.crossings[k].e_m;
            w->n_m[w->n] = s.crossings[k].n_m;
            w->frac[w->n] = s.crossings[k].frac;
            w->step[w->n] = i;
            w->n++;
        }
    }
}

static void test_crossing_plain(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = load_zigzag(f);
    struct walk w;

    const double in[] = {-500, 100, -500, -300};   /* their side (north) onto ours */
    walk(z, in, 2, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);
    CU_ASSERT_EQUAL(w.dir[0], 1);
    CU_ASSERT_EQUAL(w.step[0], 1);
    BF_ASSERT_NEAR(w.e[0], -500, 1e-6);
    BF_ASSERT_NEAR(w.n_m[0], 0, 1e-6);
    BF_ASSERT_NEAR(w.frac[0], 0.25, 1e-9);

    const double out[] = {700, 100, 700, 500};   /* ours (under the peak) to theirs */
    walk(z, out, 2, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);
    CU_ASSERT_EQUAL(w.dir[0], -1);
    BF_ASSERT_NEAR(w.e[0], 700, 1e-6);
    BF_ASSERT_NEAR(w.n_m[0], 300, 1e-6);
    BF_ASSERT_NEAR(w.frac[0], 0.5, 1e-9);

    /* crosses, then re-crosses two steps later, then crosses again */
    const double multi[] = {-500, 100, -500, -100, -400, -100, -400, 100, -300, 100, -300, -50};
    walk(z, multi, 6, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 3);
    CU_ASSERT_EQUAL(w.dir[0], 1);
    CU_ASSERT_EQUAL(w.step[0], 1);
    CU_ASSERT_EQUAL(w.dir[1], -1);
    CU_ASSERT_EQUAL(w.step[1], 3);
    BF_ASSERT_NEAR(w.e[1], -400, 1e-6);
    CU_ASSERT_EQUAL(w.dir[2], 1);
    CU_ASSERT_EQUAL(w.step[2], 5);
    BF_ASSERT_NEAR(w.frac[2], 100.0 / 150.0, 1e-9);

    /* one step over the peak crosses twice and ends on the same side: no crossing */
    const double twice[] = {100, 250, 900, 250};
    walk(z, twice, 2, &w);
    CU_ASSERT_EQUAL(w.n, 0);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

static void test_crossing_vertex(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = load_zigzag(f);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 5);
    struct walk w;

    /* straight through P1 in one step: both segments are touched, one crossing */
    double through[] = {v[2] - 100, v[3] + 100, v[2] + 100, v[3] - 100};
    walk(z, through, 2, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);
    CU_ASSERT_EQUAL(w.dir[0], 1);
    BF_ASSERT_NEAR(w.e[0], v[2], 1e-6);
    BF_ASSERT_NEAR(w.n_m[0], v[3], 1e-6);
    BF_ASSERT_NEAR(w.frac[0], 0.5, 1e-8);

    /* and back through P3 (convex side south) from ours to theirs */
    double back[] = {v[6] + 50, v[7] - 80, v[6] - 50, v[7] + 80};
    walk(z, back, 2, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);
    CU_ASSERT_EQUAL(w.dir[0], -1);

    /* stopping exactly on the vertex, then going on: one crossing, when it leaves */
    double stop[] = {v[4] - 100, v[5] + 10, v[4], v[5], v[4] + 10, v[5] - 100};
    walk(z, stop, 3, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);
    CU_ASSERT_EQUAL(w.step[0], 2);
    CU_ASSERT_EQUAL(w.dir[0], 1);
    BF_ASSERT_NEAR(w.e[0], v[4], 1e-9);
    BF_ASSERT_NEAR(w.n_m[0], v[5], 1e-9);
    CU_ASSERT_EQUAL(w.frac[0], 0.0);

    /* grazing the peak vertex P2 along y = 500 and staying north: zero */
    double graze[] = {v[4] - 100, v[5], v[4] + 100, v[5]};
    walk(z, graze, 2, &w);
    CU_ASSERT_EQUAL(w.n, 0);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

static void test_crossing_along_touch_end(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = load_zigzag(f);
    struct walk w;

    /* onto the line, along segment P0-P1, off to our side: one crossing where it left */
    const double along[] = {-600, 50, -500, 0, -400, 0, -300, 0, -200, -50};
    walk(z, along, 5, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);
    CU_ASSERT_EQUAL(w.dir[0], 1);
    CU_ASSERT_EQUAL(w.step[0], 4);
    BF_ASSERT_NEAR(w.e[0], -300, 1e-6);
    BF_ASSERT_NEAR(w.n_m[0], 0, 1e-6);
    CU_ASSERT_EQUAL(w.frac[0], 0.0);

    /* along the line and back off to their side: zero */
    const double along_back[] = {-600, 50, -500, 0, -400, 0, -300, 50};
    walk(z, along_back, 4, &w);
    CU_ASSERT_EQUAL(w.n, 0);

    /* touch and return, in two steps */
    const double touch[] = {-500, 100, -500, 0, -500, 100, -450, 80};
    walk(z, touch, 4, &w);
    CU_ASSERT_EQUAL(w.n, 0);

    /* passing beyond the free east end (2000, 0): the side flips, nothing was touched */
    const double end[] = {2100, 100, 2100, -100, 1900, -100, 1900, 100};
    walk(z, end, 4, &w);
    CU_ASSERT_EQUAL_FATAL(w.n, 1);   /* only the last step, which crosses the line itself */
    CU_ASSERT_EQUAL(w.step[0], 3);
    CU_ASSERT_EQUAL(w.dir[0], -1);
    BF_ASSERT_NEAR(w.e[0], 1900, 1e-6);

    /* and round the west end, in one step */
    const double west[] = {-1050, 100, -1050, -100};
    walk(z, west, 2, &w);
    CU_ASSERT_EQUAL(w.n, 0);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/*
 * Random walks well inside the line's extent: every change of the reference
 * side is a real crossing, so the crossings reported must match them one for
 * one and alternate in direction.
 */
static void test_crossing_random_walk(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = load_zigzag(f);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 5);
    double ours[14];
    memcpy(ours, v, 10 * sizeof *v);
    ours[10] = 2000;
    ours[11] = -5000;
    ours[12] = -1000;
    ours[13] = -5000;
    int bad = 0, total = 0;
    for (int trial = 0; trial < 200; trial++) {
        struct bf_geo_track_state st = {0};
        struct bf_geo_step s;
        double x = urand(-400, 1400), y = urand(-300, 700);
        bool was_ours = brute_in_polygon(ours, 7, x, y);
        bf_geo_track_step(z, &st, x, y, 0, 0, &s);
        for (int i = 0; i < 100; i++) {
            x = fmin(fmax(x + urand(-150, 150), -400), 1400);
            y = fmin(fmax(y + urand(-150, 150), -300), 700);
            bool is_ours = brute_in_polygon(ours, 7, x, y);
            bf_geo_track_step(z, &st, x, y, 0, 0, &s);
            int expect = is_ours != was_ours;
            if (s.n_crossings != expect || (expect && s.crossings[0].dir != (is_ours ? 1 : -1)))
                bad++;
            total += expect;
            was_ours = is_ours;
        }
    }
    CU_ASSERT(total > 500);
    CU_ASSERT_EQUAL(bad, 0);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/* ---- hysteresis ------------------------------------------------------------ */

static void test_hysteresis(void)
{
    struct bf_geo_frame *f = demo_frame();
    static char feat[8192];
    const double sq[] = {0, 0, 1000, 0, 1000, 1000, 0, 1000, 0, 0};
    poly_feature(f, "square", "restricted", sq, 5, feat, sizeof feat);
    const char *fs[] = {feat};
    struct bf_geo_zones *z = load_features(f, "square.geojson", fs, 1, NULL);   /* 10 m */
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;

    CU_ASSERT_TRUE(bf_geo_zone_contains(z, 0, 5, 500));
    CU_ASSERT_FALSE(bf_geo_zone_contains(z, 0, -5, 500));

    const struct {
        double x;
        uint64_t inside, entered, exited;
    } steps[] = {
        {-50, 0, 0, 0},    /* outside */
        {-5, 0, 0, 0},     /* within 10 m but never entered: still outside */
        {5, 1, 1, 0},      /* contained: enters */
        {-5, 1, 0, 0},     /* 5 m out: stays inside */
        {-9.9, 1, 0, 0},   /* 9.9 m out: stays inside */
        {-10.5, 0, 0, 1},  /* beyond 10 m: exits */
        {-5, 0, 0, 0},     /* back within 10 m: not contained, so not inside */
        {500, 1, 1, 0},    /* deep inside */
        {-3000, 0, 0, 1},  /* far away (outside the index box): exits */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, steps[i].x, 500, 0, 0, &s), 0);
        if (s.inside != steps[i].inside || s.entered != steps[i].entered ||
            s.exited != steps[i].exited)
            printf("\n  hysteresis step %zu (x %g): inside %llu entered %llu exited %llu\n", i,
                   steps[i].x, (unsigned long long)s.inside, (unsigned long long)s.entered,
                   (unsigned long long)s.exited);
        CU_ASSERT_EQUAL(s.inside, steps[i].inside);
        CU_ASSERT_EQUAL(s.entered, steps[i].entered);
        CU_ASSERT_EQUAL(s.exited, steps[i].exited);
        CU_ASSERT_EQUAL(s.nearest_line, -1);
        CU_ASSERT(isinf(s.time_to_line_s));
    }
    BF_ASSERT_NEAR(bf_geo_zone_distance(z, 0, -30, -40), 50.0, 1e-6);
    BF_ASSERT_NEAR(bf_geo_zone_distance(z, 0, 500, 500), 0.0, 1e-9);
    bf_geo_zones_destroy(z);

    /* a custom hysteresis of 50 m */
    struct bf_geo_zones_options opt = {.hysteresis_m = 50, .max_ttl_s = 3600};
    z = load_features(f, "square50.geojson", fs, 1, &opt);
    memset(&st, 0, sizeof st);
    bf_geo_track_step(z, &st, 10, 500, 0, 0, &s);
    CU_ASSERT_EQUAL(s.entered, 1);
    bf_geo_track_step(z, &st, -45, 500, 0, 0, &s);
    CU_ASSERT_EQUAL(s.inside, 1);
    bf_geo_track_step(z, &st, -55, 500, 0, 0, &s);
    CU_ASSERT_EQUAL(s.exited, 1);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/* ---- distance and time to the line ----------------------------------------- */

static void test_distance_and_ttl(void)
{
    struct bf_geo_frame *f = demo_frame();
    static char feat[8192];
    const double straight[] = {-5000, 0, 5000, 0};
    line_feature(f, "straight", "right", straight, 2, feat, sizeof feat);
    const char *fs[] = {feat};
    struct bf_geo_zones *z = load_features(f, "straight.geojson", fs, 1, NULL);
    const double *v;
    CU_ASSERT_EQUAL_FATAL(bf_geo_line_vertices(z, 0, &v), 2);
    double y0 = v[1] + (v[3] - v[1]) * 0.5;   /* the line's y at x = 0 (~0) */
    struct bf_geo_track_state st = {0};
    struct bf_geo_step s;

    CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, 0, -100, 0, 2, &s), 0);
    CU_ASSERT_EQUAL(s.nearest_line, 0);
    CU_ASSERT_EQUAL(s.line_side, 1);
    BF_ASSERT_NEAR(s.dist_to_line_m, 100, 1e-6);
    BF_ASSERT_NEAR(s.time_to_line_s, 50, 1e-6);

    bf_geo_track_step(z, &st, 0, -100, 2, 0, &s);   /* moving east: parallel */
    CU_ASSERT(isinf(s.time_to_line_s));
    bf_geo_track_step(z, &st, 0, -100, 0, -2, &s);  /* moving away */
    CU_ASSERT(isinf(s.time_to_line_s));
    bf_geo_track_step(z, &st, 0, -100, sqrt(2), sqrt(2), &s);   /* north-east at 2 m/s */
    BF_ASSERT_NEAR(s.time_to_line_s, 100 / sqrt(2), 1e-6);
    bf_geo_track_step(z, &st, 0, -100, 0, 0.04, &s);   /* too slow to be going anywhere */
    CU_ASSERT(isinf(s.time_to_line_s));
    bf_geo_track_step(z, &st, 0, -100000, 0, 2, &s);   /* 50000 s away: beyond 3600 s */
    CU_ASSERT(isinf(s.time_to_line_s));
    BF_ASSERT_NEAR(s.dist_to_line_m, 100000, 1e-3);
    bf_geo_track_step(z, &st, 0, -100000, 0, 30, &s);  /* 3333 s */
    BF_ASSERT_NEAR(s.time_to_line_s, 100000.0 / 30.0, 1e-3);
    bf_geo_track_step(z, &st, 6000, -100, 0, 2, &s);   /* passes east of the end */
    CU_ASSERT(isinf(s.time_to_line_s));
    BF_ASSERT_NEAR(s.dist_to_line_m, hypot(1000, 100), 1e-3);
    bf_geo_track_step(z, &st, 0, y0, 0, 2, &s);        /* on the line */
    CU_ASSERT_EQUAL(s.time_to_line_s, 0.0);
    CU_ASSERT_EQUAL(s.line_side, 0);
    CU_ASSERT(s.dist_to_line_m <= 1e-6);
    bf_geo_track_step(z, &st, 300, 400, -3, -4, &s);   /* their side, coming at 5 m/s */
    CU_ASSERT_EQUAL(s.line_side, -1);
    BF_ASSERT_NEAR(s.time_to_line_s, 100, 1e-6);        /* 500 m of path */
    BF_ASSERT_NEAR(bf_geo_zone_distance(z, 0, 300, 400), 400, 1e-6);
    bf_geo_zones_destroy(z);

    /* a shorter look-ahead */
    struct bf_geo_zones_options opt = {.hysteresis_m = 10, .max_ttl_s = 100};
    z = load_features(f, "straight100.geojson", fs, 1, &opt);
    memset(&st, 0, sizeof st);
    bf_geo_track_step(z, &st, 0, -100, 0, 0.5, &s);    /* 200 s */
    CU_ASSERT(isinf(s.time_to_line_s));
    bf_geo_track_step(z, &st, 0, -100, 0, 1, &s);      /* exactly 100 s */
    BF_ASSERT_NEAR(s.time_to_line_s, 100, 1e-6);

    /* bad input */
    CU_ASSERT_EQUAL(bf_geo_track_step(z, &st, NAN, 0, 0, 0, &s), BF_EINVAL);
    CU_ASSERT(isnan(bf_geo_zone_distance(z, 5, 0, 0)));
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

/* Not an assertion: how long one track step takes against the demo zones. */
static void test_speed(void)
{
    struct bf_geo_frame *f = demo_frame();
    struct bf_geo_zones *z = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_zones_load(bf_test_src("tests/geo/zones_demo.geojson"), f, NULL, &z,
                                            NULL),
                          0);
    enum { N_TRACKS = 100, N_STEPS = 2000 };
    static struct bf_geo_track_state st[N_TRACKS];
    double x[N_TRACKS], y[N_TRACKS];
    for (int i = 0; i < N_TRACKS; i++) {
        x[i] = urand(-3000, 3000);
        y[i] = urand(-3000, 2000);
    }
    struct bf_geo_step s;
    long crossings = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < N_STEPS; k++) {
        for (int i = 0; i < N_TRACKS; i++) {
            x[i] += urand(-20, 20);
            y[i] += urand(-20, 20);
            bf_geo_track_step(z, &st[i], x[i], y[i], 1.0, 1.0, &s);
            crossings += s.n_crossings;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
                (N_TRACKS * N_STEPS);
    printf("\n  bf_geo_track_step: %.3f us per step (4 zones, %ld crossings)\n", us, crossings);
    bf_geo_zones_destroy(z);
    bf_geo_frame_destroy(f);
}

static CU_TestInfo frame_tests[] = {
    {"round trip WGS84 -> local -> WGS84", test_frame_round_trip},
    {"known distances (geodesic reference)", test_frame_known_distance},
    {"grid convergence", test_frame_convergence},
    {"errors and clone", test_frame_errors_and_clone},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo zones_tests[] = {
    {"demo fixture loads", test_zones_fixture},
    {"each invalid feature reported", test_zones_invalid},
    {"every error reported, with positions", test_zones_every_error_reported},
    {"GIS export: foreign properties, MultiLineString, winding", test_zones_gis_export},
    {"more than 64 zones", test_zones_too_many},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo line_tests[] = {
    {"side of a bent line", test_side},
    {"side and distance vs brute force", test_side_brute_force},
    {"side at a sharp vertex", test_side_sharp_vertex},
    {"side of a closed line", test_side_closed_line},
    {"plain and multiple crossings", test_crossing_plain},
    {"crossing through a vertex", test_crossing_vertex},
    {"along, touch, and past the end", test_crossing_along_touch_end},
    {"random walks vs reference", test_crossing_random_walk},
    {"enter and exit with hysteresis", test_hysteresis},
    {"distance and time to line", test_distance_and_ttl},
    {"speed (printed)", test_speed},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"geo frame", NULL, NULL, NULL, NULL, frame_tests},
    {"geo zones", NULL, NULL, NULL, NULL, zones_tests},
    {"geo lines", NULL, NULL, NULL, NULL, line_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
