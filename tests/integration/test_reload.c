/*
 * test_reload.c - SIGHUP reloads the configuration for real (docs/engine.md,
 * "Reload"): a private mosquitto, the borderfuse engine as a process with one
 * "json" radar, and this test as the radar (a walker crossing the line) and
 * as the situation centre.
 *
 * Asserted: the crossing raises INCURSION NEW; a SIGHUP with a new zone
 * ("yard", on the walker's way) and a changed threshold is applied - the
 * retained zones message is published again with the yard, the log says
 * what changed, and the walker raises ZONE_ENTRY on the yard with the same
 * track id while its INCURSION stays the same live alert (no second NEW, no
 * LOST or RESOLVED); a SIGHUP with another site and one with a syntax error
 * are refused, logged with the reason (file:line for the error), and the
 * engine runs on with the configuration it had (still online, zones not
 * published again, a clean stop).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "itreload"
#define ROOT "borderfuse/" SITE "/"

static struct it_collector *centre;   /* status, alerts, zones */
static struct it_walker walker = {    /* a person walking south along lon 8.205 at 2 m/s from
                                       * 30 m north of the line (lat 46.80, our side south) */
    .topic = ROOT "sensors/radar-a/detections", .sensor = "radar-a", .lat0 = 46.80,
    .north0_m = 30.0, .lon = 8.205, .speed_mps = 2.0, .m_per_deg = 111200.0};

static const char *zones_head =
    "{\"type\": \"FeatureCollection\", \"features\": [\n"
    " {\"type\": \"Feature\", \"properties\": {\"id\": \"border\", \"name\": \"Border\", "
    "\"kind\": \"border_line\", \"severity\": 3, \"our_side\": \"right\"}, \"geometry\": "
    "{\"type\": \"LineString\", \"coordinates\": [[8.10, 46.80], [8.20, 46.80], [8.30, 46.80]]}},\n"
    " {\"type\": \"Feature\", \"properties\": {\"id\": \"depot\", \"name\": \"Depot\", "
    "\"kind\": \"restricted\", \"severity\": 4}, \"geometry\": {\"type\": \"Polygon\", "
    "\"coordinates\": [[[8.25, 46.785], [8.26, 46.785], [8.26, 46.79], [8.25, 46.79], "
    "[8.25, 46.785]]]}}";
/* 150 .. 250 m south of the line around lon 8.205: the walker is in it from scan 90 */
static const char *zone_yard =
    ",\n {\"type\": \"Feature\", \"properties\": {\"id\": \"yard\", \"name\": \"Yard\", "
    "\"kind\": \"restricted\", \"severity\": 4}, \"geometry\": {\"type\": \"Polygon\", "
    "\"coordinates\": [[[8.203, 46.79775], [8.207, 46.79775], [8.207, 46.79865], "
    "[8.203, 46.79865], [8.203, 46.79775]]]}}";

static int write_config(const char *conf, const char *site, double approach_m)
{
    return it_write_engine_config(conf, site, "zones.geojson",
        " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
        " \"range_m\": 9000, \"sigma_m\": 5}],\n"
        " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\","
        " \"approach_distance_m\": %.0f},\n"
        " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
        " \"idle_flush_s\": 0.3}", approach_m);
}

static bool zones_with(const cJSON *z, const void *id)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(z, "features"))
        if (strcmp(it_jstr(cJSON_GetObjectItemCaseSensitive(f, "properties"), "id"), id) == 0)
            return true;
    return false;
}

static bool any(const cJSON *j, const void *arg)
{
    (void)j, (void)arg;
    return true;
}

/* The engine's log holds text, polled up to timeout_s. */
static bool log_has(const char *path, const char *text, double timeout_s)
{
    for (double waited = 0;; waited += 0.05) {
        char *l = bf_test_read_file(path, NULL);
        bool ok = l && strstr(l, text);
        free(l);
        if (ok || waited >= timeout_s)
            return ok;
        it_sleep_ms(50);
    }
}

static void test_sighup_reload(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], conf[512], zones[512], elog[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(zones, sizeof zones, "%s/zones.geojson", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    CU_ASSERT_EQUAL_FATAL(it_write_file(zones, 0644, "%s]}\n", zones_head), 0);
    CU_ASSERT_EQUAL_FATAL(write_config(conf, SITE, 300), 0);

    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub, *pub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-reload-centre",
                                 .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "status", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "alerts", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "zones", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_online(centre, ROOT "status", NULL, 15));
    it_sleep_ms(300);   /* the engine's subscriptions land */
    struct bf_mqtt_options po = {.url = url, .client_id = "it-reload-radar", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    walker.pub = pub;
    cJSON *z0 = it_collector_wait_json(centre, ROOT "zones", any, NULL, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z0);
    CU_ASSERT_FALSE(zones_with(z0, "yard"));
    cJSON_Delete(z0);

    /* ---- the crossing: INCURSION NEW ---- */
    walker.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 150) * BF_US_PER_S;
    CU_ASSERT_EQUAL(it_publish_walker(&walker, 0, 40), 0);
    struct it_alert_want inc = {.type = "INCURSION", .state = "NEW"};
    cJSON *nw = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &inc, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nw);
    char id[64];
    snprintf(id, sizeof id, "%s", it_jstr(nw, "id"));
    double track = it_jnum(nw, "track_id");
    cJSON_Delete(nw);

    /* ---- SIGHUP: the yard and approach_distance_m 300 -> 250 ---- */
    CU_ASSERT_EQUAL_FATAL(it_write_file(zones, 0644, "%s%s]}\n", zones_head, zone_yard), 0);
    CU_ASSERT_EQUAL_FATAL(write_config(conf, SITE, 250), 0);
    bf_time_us sent = bf_clock_monotonic(NULL);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    cJSON *z1 = it_collector_wait_json(centre, ROOT "zones", zones_with, "yard", 10);
    CU_ASSERT_PTR_NOT_NULL(z1);
    printf("\n  reload applied (zones published again) %.0f ms after SIGHUP\n",
           (double)(bf_clock_monotonic(NULL) - sent) / 1e3);
    cJSON_Delete(z1);
    CU_ASSERT_TRUE(log_has(elog, "reload: zones 2 -> 3 (+yard), alerts.approach_distance_m "
                                 "300 -> 250", 5));
    int zones_published = it_collector_count(centre, ROOT "zones");
    CU_ASSERT_EQUAL(zones_published, 2);

    /* the walker goes on into the yard: ZONE_ENTRY for the same track */
    CU_ASSERT_EQUAL(it_publish_walker(&walker, 40, 110), 0);
    struct it_alert_want ze = {.type = "ZONE_ENTRY", .state = "NEW"};
    cJSON *en = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &ze, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(en);
    CU_ASSERT_EQUAL(it_jnum(en, "track_id"), track);
    CU_ASSERT_STRING_EQUAL(it_jstr(cJSON_GetObjectItemCaseSensitive(en, "zone"), "id"), "yard");
    cJSON_Delete(en);
    /* its INCURSION: the same live alert all along */
    struct it_alert_want inc_any = {.type = "INCURSION"};
    struct it_alert_want inc_same = {.type = "INCURSION", .id = id};
    struct it_alert_want inc_new = {.type = "INCURSION", .state = "NEW"};
    int n_inc = it_collector_count_json(centre, ROOT "alerts", it_match_alert, &inc_any);
    CU_ASSERT_TRUE(n_inc >= 1);
    CU_ASSERT_EQUAL(it_collector_count_json(centre, ROOT "alerts", it_match_alert, &inc_same),
                    n_inc);
    CU_ASSERT_EQUAL(it_collector_count_json(centre, ROOT "alerts", it_match_alert, &inc_new), 1);
    const char *closed[] = {"LOST", "RESOLVED"};
    for (int k = 0; k < 2; k++) {
        struct it_alert_want w = {.type = "INCURSION", .state = closed[k]};
        CU_ASSERT_EQUAL(it_collector_count_json(centre, ROOT "alerts", it_match_alert, &w), 0);
    }

    /* ---- SIGHUP with another site, then with a syntax error: refused ---- */
    CU_ASSERT_EQUAL_FATAL(write_config(conf, "elsewhere", 250), 0);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    CU_ASSERT_TRUE(log_has(elog, "site changed: a reload cannot apply it, restart to change site",
                           5));
    CU_ASSERT_EQUAL_FATAL(it_write_file(conf, 0644, "{\"site\": \"%s\",\n \"origin\": ]\n}\n",
                                        SITE), 0);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    CU_ASSERT_TRUE(log_has(elog, "engine.json: 1 problem (above): refused", 5));
    CU_ASSERT_TRUE(log_has(elog, "engine.json:2:", 0));   /* the error's file:line */
    /* still running, online, with the old configuration */
    int n_status = it_collector_count(centre, ROOT "status");
    it_sleep_ms(800);
    CU_ASSERT_EQUAL(kill(engine, 0), 0);
    CU_ASSERT_TRUE(it_collector_count(centre, ROOT "status") > n_status);
    cJSON *st = it_collector_json(centre, ROOT "status", -1);
    CU_ASSERT_STRING_EQUAL(it_jstr(st, "state"), "online");
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(st, "reload");
    CU_ASSERT_EQUAL(it_jnum(rl, "applied"), 1);
    CU_ASSERT_EQUAL(it_jnum(rl, "refused"), 2);
    cJSON_Delete(st);
    CU_ASSERT_EQUAL(it_collector_count(centre, ROOT "zones"), zones_published);
    CU_ASSERT_EQUAL(it_publish_walker(&walker, 110, 120), 0);
    it_sleep_ms(500);
    CU_ASSERT_EQUAL(it_collector_count_json(centre, ROOT "alerts", it_match_alert, &inc_new), 1);

    bf_mqtt_destroy(pub);
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    if (!log_has(elog, "reload: zones 2 -> 3", 0))
        it_show_log(elog);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    it_rm_tree(tmp);
    it_collector_free(centre);
    centre = NULL;
}

static CU_TestInfo tests[] = {
    {"SIGHUP applies a new zone and threshold, keeps the track and its alert; bad ones refused",
     test_sighup_reload},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/reload", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
