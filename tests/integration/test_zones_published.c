/*
 * test_zones_published.c - a zones file as a GIS export writes it, through
 * the real engine to the retained borderfuse/<site>/zones message: mosquitto
 * and the engine as processes.  The file has a MultiLineString border in two
 * touching parts (the second drawn backwards), foreign properties and a
 * clockwise polygon.  The engine starts (nothing refused), logs the foreign
 * properties once, and publishes the border as the one LineString it merged
 * (in the first part's direction), only the properties it reads, and the
 * polygon wound RFC 7946 (exterior counter-clockwise).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "it_util.h"

#define SITE "itzones"
#define ZONES_TOPIC "borderfuse/" SITE "/zones"

static const char *const ZONES =
    "{\"type\": \"FeatureCollection\", \"features\": [\n"
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"border\", \"kind\": \"border_line\", "
    "\"our_side\": \"right\", \"ISO_A2\": \"CH\", \"NAME_EN\": \"Switzerland\"}, "
    "\"geometry\": {\"type\": \"MultiLineString\", \"coordinates\": "
    "[[[8.10, 46.80], [8.20, 46.80]], [[8.30, 46.801], [8.25, 46.80], [8.20, 46.80]]]}},\n"
    "{\"type\": \"Feature\", \"properties\": {\"id\": \"depot\", \"kind\": \"restricted\", "
    "\"severity\": 4, \"ISO_A2\": \"CH\"}, \"geometry\": {\"type\": \"Polygon\", \"coordinates\": "
    "[[[8.25, 46.785], [8.25, 46.79], [8.26, 46.79], [8.26, 46.785], [8.25, 46.785]]]}}\n"
    "]}\n";

static const cJSON *feature(const cJSON *fc, const char *id)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(fc, "features"))
    {
        const cJSON *p = cJSON_GetObjectItem(f, "properties");
        if (strcmp(it_jstr(p, "id"), id) == 0)
            return f;
    }
    return NULL;
}

static void test_published_zones(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], conf[512], elog[512], zones[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    snprintf(zones, sizeof zones, "%s/zones.geojson", tmp);
    CU_ASSERT_EQUAL_FATAL(it_write_file(zones, 0644, "%s", ZONES), 0);
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"}"), 0);

    struct it_collector *c = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct bf_mqtt *sub = NULL;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-zones-display",
                                 .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ZONES_TOPIC, 1, it_collector_on_msg, c), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    bool got = it_collector_wait(c, ZONES_TOPIC, "FeatureCollection", 20);
    if (!got)
        it_show_log(elog);
    CU_ASSERT_TRUE_FATAL(got);
    cJSON *fc = it_collector_json(c, ZONES_TOPIC, -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fc);

    const cJSON *border = feature(fc, "border"), *depot = feature(fc, "depot");
    CU_ASSERT_PTR_NOT_NULL_FATAL(border);
    CU_ASSERT_PTR_NOT_NULL_FATAL(depot);
    const cJSON *bp = cJSON_GetObjectItem(border, "properties");
    CU_ASSERT_STRING_EQUAL(it_jstr(bp, "our_side"), "right");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(bp, "ISO_A2"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(depot, "properties"), "ISO_A2"));

    /* the border: one LineString, west to east as its first part */
    const cJSON *bg = cJSON_GetObjectItem(border, "geometry");
    CU_ASSERT_STRING_EQUAL(it_jstr(bg, "type"), "LineString");
    const cJSON *bc = cJSON_GetObjectItem(bg, "coordinates");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(bc), 4);
    static const double want[4][2] = {{8.10, 46.80}, {8.20, 46.80}, {8.25, 46.80}, {8.30, 46.801}};
    for (int i = 0; i < 4; i++) {
        const cJSON *pos = cJSON_GetArrayItem(bc, i);
        CU_ASSERT_DOUBLE_EQUAL(cJSON_GetArrayItem(pos, 0)->valuedouble, want[i][0], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(cJSON_GetArrayItem(pos, 1)->valuedouble, want[i][1], 1e-9);
    }

    /* the depot ring, clockwise in the file, counter-clockwise as published */
    const cJSON *ring = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(depot, "geometry"), "coordinates"), 0);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(ring), 5);
    double area2 = 0;
    for (int i = 0; i + 1 < 5; i++) {
        const cJSON *p = cJSON_GetArrayItem(ring, i), *q = cJSON_GetArrayItem(ring, i + 1);
        area2 += cJSON_GetArrayItem(p, 0)->valuedouble * cJSON_GetArrayItem(q, 1)->valuedouble -
                 cJSON_GetArrayItem(q, 0)->valuedouble * cJSON_GetArrayItem(p, 1)->valuedouble;
    }
    printf("\n    published depot ring: twice the signed area %.3g deg2 (> 0: counter-clockwise)\n",
           area2);
    CU_ASSERT_TRUE(area2 > 0);
    cJSON_Delete(fc);

    bf_mqtt_destroy(sub);
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    char *l = bf_test_read_file(elog, NULL);
    const char *hit = l ? strstr(l, "ignoring 2 properties the engine does not read, in 2 "
                                    "features: \"ISO_A2\", \"NAME_EN\"") : NULL;
    CU_ASSERT_PTR_NOT_NULL(hit);
    CU_ASSERT_TRUE(hit && !strstr(hit + 1, "ignoring 2 properties"));   /* once */
    if (!hit || CU_get_number_of_failures() > 0)
        it_show_log(elog);
    free(l);
    it_stop(broker);
    it_rm_tree(tmp);
    it_collector_free(c);
}

static CU_TestInfo tests[] = {
    {"a GIS-style zones file through the engine to the retained zones message",
     test_published_zones},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/zones", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
