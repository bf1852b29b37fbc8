/*
 * test_zones_checks.c - zones the loader refuses because they would give a
 * wrong picture: polygons with (almost) no area, and ids or names that are
 * not clean UTF-8 (they would go into every alert, journal line and
 * display).  Each case writes a one- or two-feature zones file and asserts
 * on the message: file, line, the feature and the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_diag.h"
#include "core/bf_error.h"
#include "geo/geo.h"

static struct {
    int n;
    char msg[8][1024];
} col;

static void collect(void *ctx, const char *file, int line, int c, const char *path, const char *msg)
{
    (void)ctx;
    if (col.n < 8)
        bf_diag_format(col.msg[col.n], sizeof col.msg[0], file, line, c, path, msg);
    col.n++;
}

static bool said(const char *a, const char *b)
{
    for (int i = 0; i < col.n && i < 8; i++)
        if (strstr(col.msg[i], a) && (!b || strstr(col.msg[i], b)))
            return true;
    for (int i = 0; i < col.n && i < 8; i++)
        printf("\n    [%d] %s", i, col.msg[i]);
    return false;
}

static struct bf_geo_frame *frame;

#define BORDER "{\"type\":\"Feature\",\"properties\":{\"id\":\"border\",\"kind\":\"border_line\"," \
               "\"our_side\":\"right\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":"  \
               "[[8.10,46.80],[8.30,46.80]]}}"

/* Load a zones file with these features; the number of errors. */
static unsigned load(const char *features)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/zones.geojson", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "{\"type\":\"FeatureCollection\",\"features\":[\n%s\n]}\n", features);
    fclose(f);
    memset(&col, 0, sizeof col);
    struct bf_diag d = {.report = collect};
    struct bf_geo_zones *z = NULL;
    int rc = bf_geo_zones_load(path, frame, NULL, &z, &d);
    CU_ASSERT_EQUAL(rc == 0, d.n_errors == 0);
    bf_geo_zones_destroy(z);
    return d.n_errors;
}

static int init(void)
{
    char err[256];
    return bf_geo_frame_create(46.80, 8.20, "aeqd", &frame, err, sizeof err) == 0 ? 0 : 1;
}

static int clean(void)
{
    bf_geo_frame_destroy(frame);
    return 0;
}

static void polygon(char *buf, size_t cap, const char *id, const char *ring)
{
    snprintf(buf, cap, BORDER ",\n{\"type\":\"Feature\",\"properties\":{\"id\":\"%s\","
             "\"kind\":\"restricted\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[%s]}}",
             id, ring);
}

static void test_area(void)
{
    char f[2048];
    polygon(f, sizeof f, "ok", "[[8.25,46.785],[8.26,46.785],[8.26,46.79],[8.25,46.79],[8.25,46.785]]");
    CU_ASSERT_EQUAL(load(f), 0);
    /* three corners on one parallel: valid for GEOS, a sliver of the projection's curvature */
    polygon(f, sizeof f, "flat", "[[8.25,46.785],[8.26,46.785],[8.27,46.785],[8.25,46.785]]");
    CU_ASSERT_EQUAL(load(f), 1);
    CU_ASSERT_TRUE(said("zones.geojson:3:", "features[1].geometry: zone \"flat\": the polygon has "
                        "almost no area"));
    CU_ASSERT_TRUE(said("corners are repeated or on one line", NULL));
    /* on one meridian: exactly collinear */
    polygon(f, sizeof f, "line", "[[8.25,46.78],[8.25,46.785],[8.25,46.79],[8.25,46.78]]");
    CU_ASSERT_EQUAL(load(f), 1);
    CU_ASSERT_TRUE(said("zone \"line\"", NULL));
    /* a 1 m wide strip 1 km long is thin but real */
    polygon(f, sizeof f, "strip", "[[8.25,46.78],[8.25,46.789],[8.250013,46.789],[8.250013,46.78],"
            "[8.25,46.78]]");
    CU_ASSERT_EQUAL(load(f), 0);
    /* a tiny square (about 0.7 x 1.1 m): under 1 m2 */
    polygon(f, sizeof f, "dot", "[[8.25,46.78],[8.25,46.78001],[8.250009,46.78001],[8.250009,46.78],"
            "[8.25,46.78]]");
    CU_ASSERT_EQUAL(load(f), 1);
    CU_ASSERT_TRUE(said("zone \"dot\": the polygon has almost no area", NULL));
}

static void test_utf8(void)
{
    char f[2048];
    const char *ok = BORDER ",\n{\"type\":\"Feature\",\"properties\":{\"id\":\"depot\",\"name\":"
                     "\"D\xc3\xa9p\xc3\xb4t \xe2\x80\x94 \xe5\x9b\xbd\xe5\xa2\x83\",\"kind\":\"restricted\"},"
                     "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8.25,46.785],[8.26,46.785],"
                     "[8.26,46.79],[8.25,46.79],[8.25,46.785]]]}}";
    CU_ASSERT_EQUAL(load(ok), 0);
    static const struct {
        const char *id, *name, *key, *why, *at;
    } bad[] = {
        {"depot", "D\xe9p\xf4t", "\"name\"", "bytes that are not UTF-8", "at byte 1"},
        {"d\xe9p\xf4t", "Depot", "\"id\"", "bytes that are not UTF-8", "at byte 1"},
        {"depot", "cut \xe2\x80", "\"name\"", "bytes that are not UTF-8", "at byte 4"},
        {"depot", "over\xc0\xaflong", "\"name\"", "bytes that are not UTF-8", "at byte 4"},
        {"depot", "surrogate \xed\xa0\x80", "\"name\"", "bytes that are not UTF-8", "at byte 10"},
        {"depot", "tab\\there", "\"name\"", "a control character", "at byte 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(f, sizeof f, BORDER ",\n{\"type\":\"Feature\",\"properties\":{\"id\":\"%s\","
                 "\"name\":\"%s\",\"kind\":\"restricted\"},\"geometry\":{\"type\":\"Polygon\","
                 "\"coordinates\":[[[8.25,46.785],[8.26,46.785],[8.26,46.79],[8.25,46.79],"
                 "[8.25,46.785]]]}}", bad[i].id, bad[i].name);
        CU_ASSERT_EQUAL(load(f), 1);
        char want[128];
        snprintf(want, sizeof want, "%s holds %s %s", bad[i].key, bad[i].why, bad[i].at);
        CU_ASSERT_TRUE(said("zones.geojson:3:", want));
        CU_ASSERT_TRUE(said("features[1].properties.", "save the file as UTF-8"));
    }
}

static CU_TestInfo tests[] = {
    {"polygons with (almost) no area are refused", test_area},
    {"ids and names must be clean UTF-8", test_utf8},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"geo/zones_checks", init, clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
