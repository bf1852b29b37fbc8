/*
 * test_units.c - response units in a scenario: where they are at each time
 * (waiting, on a leg, at the end), the message dispatch receives (the gps
 * plugin's format, docs/gps.md), and mistakes reported with their line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "sim_fixture.h"

/* The fixture scenario with "units": <units> added (and "exercise" set). */
static int parse_units(const char *units, bool exercise, struct bf_sim_scenario **s,
                       struct fx_diags *d)
{
    char *base = fx_scenario_text(NULL, "[]", 600);
    char *end = strrchr(base, '}');
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    *end = '\0';
    size_t len = strlen(base) + strlen(units) + 64;
    char *text = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    snprintf(text, len, "%s,\n\"exercise\": %s,\n\"units\": %s}\n", base,
             exercise ? "true" : "false", units);
    free(base);
    int rc = fx_parse(text, s, d);
    free(text);
    return rc;
}

static void local(const struct bf_sim_scenario *s, double lat, double lon, double *e, double *n)
{
    CU_ASSERT_EQUAL(bf_geo_to_local(s->frame, lat, lon, e, n), 0);
}

static void test_route(void)
{
    /* patrol-7: waits at (0, 500) until 100 s, drives 1000 m east then 500 m north at 10 m/s */
    char units[512];
    snprintf(units, sizeof units,
             "[{\"id\": \"patrol-7\", \"waypoints\": [%s, %s, %s], \"speed_mps\": 10,"
             "  \"start_s\": 100, \"report_s\": 5},"
             " {\"id\": \"post-1\", \"waypoints\": [%s]}]",
             fx_pt(0, 500), fx_pt(1000, 500), fx_pt(1000, 1000), fx_pt(-300, 800));
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(parse_units(units, true, &s, &d), 0);
    CU_ASSERT_EQUAL_FATAL(s->n_units, 2);
    CU_ASSERT_STRING_EQUAL(s->units[0].id, "patrol-7");
    BF_ASSERT_NEAR(s->units[0].report_s, 5, 0);
    BF_ASSERT_NEAR(s->units[1].report_s, 1, 0);   /* the default */

    static const struct {
        double t, e, n, v, trk;
    } at[] = {
        {0, 0, 500, 0, NAN},          /* waiting */
        {100, 0, 500, 0, NAN},        /* leaving now */
        {101, 10, 500, 10, 90},       /* on its way */
        {150, 500, 500, 10, 90},      /* half the first leg */
        {125 + 100, 1000, 750, 10, 0},/* half the second leg */
        {400, 1000, 1000, 0, NAN},    /* arrived, stopped: no course */
    };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        double lat, lon, v, trk, e, n;
        CU_ASSERT_EQUAL(bf_sim_unit_at(s, 0, at[i].t, &lat, &lon, &v, &trk), 0);
        local(s, lat, lon, &e, &n);
        BF_ASSERT_NEAR(e, at[i].e, 0.5);
        BF_ASSERT_NEAR(n, at[i].n, 0.5);
        BF_ASSERT_NEAR(v, at[i].v, 1e-9);
        if (isnan(at[i].trk)) {
            CU_ASSERT_TRUE(isnan(trk));
        } else {
            BF_ASSERT_NEAR(remainder(trk - at[i].trk, 360.0), 0, 0.1);   /* 359.99 is north */
        }
    }
    /* the post stays where it is */
    double lat, lon, v, trk, e, n;
    CU_ASSERT_EQUAL(bf_sim_unit_at(s, 1, 300, &lat, &lon, &v, &trk), 0);
    local(s, lat, lon, &e, &n);
    BF_ASSERT_NEAR(e, -300, 0.5);
    BF_ASSERT_NEAR(n, 800, 0.5);

    /* the message: the gps plugin's fields, marked as exercise */
    char msg[512];
    int len = bf_sim_unit_message(s, 0, 150, msg, sizeof msg);
    CU_ASSERT_FATAL(len > 0);
    cJSON *j = cJSON_Parse(msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "id")->valuestring, "patrol-7");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "time")->valuestring, "2026-03-01T02:02:30.000Z");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "speed_mps")->valuedouble, 10, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "track_deg")->valuedouble, 90, 0.1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "mode")->valueint, 2);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "alt_m")));
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(j, "exercise")));
    local(s, cJSON_GetObjectItem(j, "lat")->valuedouble, cJSON_GetObjectItem(j, "lon")->valuedouble,
          &e, &n);
    BF_ASSERT_NEAR(e, 500, 0.5);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(bf_sim_unit_message(s, 0, 150, msg, 20), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_sim_unit_message(s, 2, 150, msg, sizeof msg), BF_EINVAL);
    bf_sim_scenario_destroy(s);
}

static bool has(const struct fx_diags *d, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->e[i].msg, needle) && d->e[i].line > 0)
            return true;
    return false;
}

static void test_mistakes(void)
{
    char units[512];
    snprintf(units, sizeof units,
             "[{\"id\": \"bad id\", \"waypoints\": [%s]},"
             " {\"id\": \"p1\", \"waypoints\": [%s, %s]},"
             " {\"id\": \"p1\", \"waypoints\": [[95, 8]], \"colour\": \"blue\"}]",
             fx_pt(0, 0), fx_pt(0, 0), fx_pt(100, 0));
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_NOT_EQUAL(parse_units(units, false, &s, &d), 0);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_TRUE(has(&d, "got \"bad id\""));
    CU_ASSERT_TRUE(has(&d, "needs \"speed_mps\" > 0"));
    CU_ASSERT_TRUE(has(&d, "duplicate unit id \"p1\""));
    CU_ASSERT_TRUE(has(&d, "expected a latitude in [-90, 90] degrees, got 95"));
    CU_ASSERT_TRUE(has(&d, "colour"));
    CU_ASSERT_EQUAL(d.n, 5);
    if (d.n != 5)
        fx_diags_dump(&d);
}

static CU_TestInfo unit_tests[] = {
    {"units: route, waiting, arrival, message", test_route},
    {"units: mistakes reported with their line", test_mistakes},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim units", NULL, NULL, NULL, NULL, unit_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
