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
 * published again, a clean stop).  Then sensors: a SIGHUP adding a sensor
 * whose plugin cannot open is refused with the reason; one adding radar-b
 * puts it in the status and its walker raises an INCURSION naming it; one
 * removing it takes it out of the status and clears its retained
 * sensors/radar-b/status.  Last, a SIGHUP that shortens status_period_s
 * from an hour to 0.25 s: the status comes again and again at once.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* A test's files in dir and its broker: url, the config, zones and log paths; the zones written. */
struct site_files {
    char url[64], conf[640], zones[640], elog[640];
    pid_t broker;
};

static int start_site(const char *dir, struct site_files *f)
{
    int port = it_free_port();
    f->broker = it_start_mosquitto(dir, port);
    snprintf(f->url, sizeof f->url, "tcp://127.0.0.1:%d", port);
    snprintf(f->conf, sizeof f->conf, "%s/engine.json", dir);
    snprintf(f->zones, sizeof f->zones, "%s/zones.geojson", dir);
    snprintf(f->elog, sizeof f->elog, "%s/engine.log", dir);
    if (f->broker <= 0)
        return -1;
    return it_write_file(f->zones, 0644, "%s]}\n", zones_head);
}

/* A clean stop of the engine (its log shown unless it holds seen), the clients, the broker. */
static void stop_site(struct site_files *f, const char *dir, pid_t engine, struct bf_mqtt *pub,
                      struct bf_mqtt *sub, const char *seen)
{
    bf_mqtt_destroy(pub);
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    if (!log_has(f->elog, seen, 0))
        it_show_log(f->elog);
    bf_mqtt_destroy(sub);
    it_stop(f->broker);
    it_rm_tree(dir);
    it_collector_free(centre);
    centre = NULL;
}

static void test_sighup_reload(void)
{
    const char *tmp = bf_test_tmpdir();
    struct site_files f;
    CU_ASSERT_EQUAL_FATAL(start_site(tmp, &f), 0);
    char *url = f.url, *conf = f.conf, *zones = f.zones, *elog = f.elog;
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

    stop_site(&f, tmp, engine, pub, sub, "reload: zones 2 -> 3");
}

/* ---- sensors by SIGHUP ----------------------------------------------------------------- */

#define SITE_S "itsensors"
#define ROOT_S "borderfuse/" SITE_S "/"

static const char *sensor_a =
    "{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20, \"range_m\": 4000,"
    " \"sigma_m\": 5}";
static const char *sensor_b =
    "{\"id\": \"radar-b\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.26, \"range_m\": 4000,"
    " \"sigma_m\": 5}";
/* a plugin that cannot open: the json plugin takes no options */
static const char *sensor_bad =
    "{\"id\": \"radar-c\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.23, \"range_m\": 4000,"
    " \"options\": {\"bogus\": 1}}";

static int write_sensors_config(const char *conf, const char *b, const char *c)
{
    return it_write_engine_config(conf, SITE_S, "zones.geojson",
        " \"sensors\": [%s%s%s%s%s],\n"
        " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"},\n"
        " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
        " \"idle_flush_s\": 0.3}", sensor_a, b ? ", " : "", b ? b : "", c ? ", " : "",
        c ? c : "");
}

/* A status whose "sensors" list has (arg "+id") or lacks (arg "-id") a sensor. */
static bool status_sensor(const cJSON *st, const void *arg)
{
    const char *want = arg;
    bool has = false;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "sensors"))
        has = has || strcmp(it_jstr(s, "id"), want + 1) == 0;
    return has == (want[0] == '+');
}

/* An alert whose "sensors" names arg. */
static bool alert_from(const cJSON *a, const void *arg)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(a, "sensors"))
        if (cJSON_IsString(s) && strcmp(s->valuestring, arg) == 0)
            return strcmp(it_jstr(a, "type"), "INCURSION") == 0;
    return false;
}

static void test_sighup_sensors(void)
{
    char tmp[512];   /* its own folder: the test before removed its tree */
    snprintf(tmp, sizeof tmp, "%s/sensors", bf_test_tmpdir());
    mkdir(bf_test_tmpdir(), 0700);
    mkdir(tmp, 0700);
    struct site_files f;
    CU_ASSERT_EQUAL_FATAL(start_site(tmp, &f), 0);
    char *url = f.url, *conf = f.conf, *elog = f.elog;
    CU_ASSERT_EQUAL_FATAL(write_sensors_config(conf, NULL, NULL), 0);

    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub, *pub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-sensors-centre",
                                 .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT_S "status", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT_S "alerts", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT_S "sensors/radar-b/status", 1,
                                      it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_online(centre, ROOT_S "status", NULL, 15));
    struct bf_mqtt_options po = {.url = url, .client_id = "it-sensors-radar",
                                 .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);

    /* a sensor whose plugin cannot open: refused, the reason logged, radar-a runs on */
    CU_ASSERT_EQUAL_FATAL(write_sensors_config(conf, NULL, sensor_bad), 0);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    CU_ASSERT_TRUE(log_has(elog, "sensor radar-c: plugin \"json\" failed to open", 5));
    CU_ASSERT_TRUE(log_has(elog, "(refused, the sensors in use are kept)", 5));

    /* ---- add radar-b: its walker crosses the line, an INCURSION from radar-b ---- */
    CU_ASSERT_EQUAL_FATAL(write_sensors_config(conf, sensor_b, NULL), 0);
    bf_time_us sent = bf_clock_monotonic(NULL);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    cJSON *st = it_collector_wait_json(centre, ROOT_S "status", status_sensor, "+radar-b", 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    printf("\n  radar-b in the status %.0f ms after SIGHUP\n",
           (double)(bf_clock_monotonic(NULL) - sent) / 1e3);
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(st, "reload");
    CU_ASSERT_EQUAL(it_jnum(rl, "refused"), 1);
    cJSON_Delete(st);
    CU_ASSERT_TRUE(log_has(elog, "sensors +radar-b", 5));
    CU_ASSERT_TRUE(it_collector_wait(centre, ROOT_S "sensors/radar-b/status", "radar-b", 5));
    it_sleep_ms(300);   /* its subscription lands */
    struct it_walker wb = {
        .pub = pub, .topic = ROOT_S "sensors/radar-b/detections", .sensor = "radar-b",
        .lat0 = 46.80, .north0_m = 30.0, .lon = 8.255, .speed_mps = 2.0, .m_per_deg = 111200.0};
    wb.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 100) * BF_US_PER_S;
    CU_ASSERT_EQUAL(it_publish_walker(&wb, 0, 40), 0);
    cJSON *inc = it_collector_wait_json(centre, ROOT_S "alerts", alert_from, "radar-b", 10);
    CU_ASSERT_PTR_NOT_NULL(inc);
    cJSON_Delete(inc);

    /* ---- remove radar-b: gone from the status, its retained status cleared ---- */
    int n_b = it_collector_count(centre, ROOT_S "sensors/radar-b/status");
    CU_ASSERT_EQUAL_FATAL(write_sensors_config(conf, NULL, NULL), 0);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    CU_ASSERT_TRUE(log_has(elog, "sensors -radar-b", 5));
    st = it_collector_wait_json(centre, ROOT_S "status", status_sensor, "-radar-b", 10);
    CU_ASSERT_PTR_NOT_NULL(st);   /* the first status without it */
    cJSON_Delete(st);
    for (int k = 0; k < 40 && it_collector_count(centre, ROOT_S "sensors/radar-b/status") == n_b;
         k++)
        it_sleep_ms(50);
    char *last = it_collector_text(centre, ROOT_S "sensors/radar-b/status", -1);
    CU_ASSERT_PTR_NOT_NULL(last);
    CU_ASSERT_STRING_EQUAL(last ? last : "?", "");   /* the retained message cleared */
    free(last);
    /* what radar-b still sends goes nowhere; the engine runs on */
    CU_ASSERT_EQUAL(it_publish_walker(&wb, 40, 45), 0);
    it_sleep_ms(500);
    CU_ASSERT_EQUAL(kill(engine, 0), 0);
    st = it_collector_json(centre, ROOT_S "status", -1);
    CU_ASSERT_STRING_EQUAL(it_jstr(st, "state"), "online");
    CU_ASSERT_TRUE(status_sensor(st, "-radar-b"));
    CU_ASSERT_TRUE(status_sensor(st, "+radar-a"));
    cJSON_Delete(st);

    stop_site(&f, tmp, engine, pub, sub, "sensors -radar-b");
}

/*
 * The status period by SIGHUP: an engine started with status_period_s 3600
 * publishes its status once (online, at start); a SIGHUP with 0.25 makes
 * the "status" task follow - counted from the start, so due at once - and
 * the status comes again and again.
 */
#define SITE_P "itperiod"
#define ROOT_P "borderfuse/" SITE_P "/"

static int write_period_config(const char *conf, double period_s)
{
    return it_write_engine_config(conf, SITE_P, "zones.geojson",
        " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
        " \"range_m\": 9000, \"sigma_m\": 5}],\n"
        " \"engine\": {\"status_period_s\": %g}", period_s);
}

static void test_sighup_status_period(void)
{
    char tmp[512];   /* its own folder: the test before removed its tree */
    snprintf(tmp, sizeof tmp, "%s/period", bf_test_tmpdir());
    mkdir(bf_test_tmpdir(), 0700);
    mkdir(tmp, 0700);
    struct site_files f;
    CU_ASSERT_EQUAL_FATAL(start_site(tmp, &f), 0);
    CU_ASSERT_EQUAL_FATAL(write_period_config(f.conf, 3600), 0);
    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = f.url, .client_id = "it-period-centre",
                                 .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT_P "status", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    pid_t engine = it_start_engine(f.conf, f.url, "info", f.elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_online(centre, ROOT_P "status", NULL, 15));
    int before = it_collector_count(centre, ROOT_P "status");

    CU_ASSERT_EQUAL_FATAL(write_period_config(f.conf, 0.25), 0);
    CU_ASSERT_EQUAL(kill(engine, SIGHUP), 0);
    CU_ASSERT_TRUE(log_has(f.elog, "engine.status_period_s 3600 -> 0.25", 5));
    int after = before;
    for (int i = 0; i < 200 && after < before + 4; i++) {   /* 10 s at most */
        it_sleep_ms(50);
        after = it_collector_count(centre, ROOT_P "status");
    }
    CU_ASSERT(after >= before + 4);
    printf("\n  %d status messages before the SIGHUP, %d once the period followed it\n", before,
           after);
    stop_site(&f, tmp, engine, NULL, sub, "engine.status_period_s 3600 -> 0.25");
}

static CU_TestInfo tests[] = {
    {"SIGHUP applies a new zone and threshold, keeps the track and its alert; bad ones refused",
     test_sighup_reload},
    {"SIGHUP adds a sensor (its walker raises INCURSION) and removes it (its status goes); "
     "a plugin that cannot open refused", test_sighup_sensors},
    {"SIGHUP changes the status period: the status task follows", test_sighup_status_period},
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
