/*
 * test_hostile_time.c - time you can trust (docs/engine.md), for real: a
 * private mosquitto, the engine as a process with two "json" radars, and
 * this test as both radars and as the situation centre.
 *
 * radar-a sends one detection stamped ten years ahead of the wall clock.
 * Before, that moved the site's event time to 2036: every later detection of
 * every sensor was dropped as late, and a real crossing went unalerted.
 * Asserted now: radar-b's walker crossing the line afterwards is alerted
 * (INCURSION, from radar-b); radar-a is flagged - a SENSOR_FAULT alert whose
 * reason is "clock: event time N s ahead of the wall clock", and its retained
 * status with "clock_fault": true and the refusal counted; the engine log
 * names the sensor and the skew; nothing was dropped as late; and once
 * radar-a's times are good again (10 s after the last refusal) the fault is
 * resolved.  Figures: the skew, the INCURSION's delay after the crossing
 * scan was published.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "ithtime"
#define ROOT "borderfuse/" SITE "/"
#define YEAR_US (INT64_C(365) * 86400 * BF_US_PER_S)

static bool match_clock_status(const cJSON *s, const void *arg)
{
    (void)arg;
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "clock_fault"));
}

static void test_future_time(void)
{
    struct it_scene sc;
    CU_ASSERT_EQUAL_FATAL(it_scene_broker(&sc, bf_test_tmpdir()), 0);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(sc.conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5},\n"
            "  {\"id\": \"radar-b\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.23,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3, \"max_future_skew_s\": 30}"), 0);
    static const char *const extra[] = {"sensors/radar-a/status", NULL};
    CU_ASSERT_EQUAL_FATAL(it_scene_start(&sc, "it-htime", ROOT, extra), 0);
    struct it_collector *centre = sc.centre;
    struct bf_mqtt *pub = sc.pub;
    pid_t engine = sc.engine;
    const char *elog = sc.elog;

    /* Both radars look at the scene in the recent past (event time a minute behind the
     * wall clock, one scan a second); radar-a's one bad detection comes first. */
    bf_time_us now = bf_clock_realtime(NULL);
    bf_time_us t0 = now - 60 * BF_US_PER_S;
    bf_time_us bad_t = now + 10 * YEAR_US;   /* ten years ahead */
    CU_ASSERT_EQUAL(it_publish_detection(pub, ROOT "sensors/radar-a/detections", "radar-a",
                                         t0, 46.805, 8.19, false, false), 0);
    CU_ASSERT_EQUAL(it_publish_detection(pub, ROOT "sensors/radar-a/detections", "radar-a",
                                         bad_t, 46.805, 8.19, false, false), 0);
    bf_time_us bad_sent = bf_clock_realtime(NULL);
    /* radar-b: a walker 30 m north of the line, walking south at 2 m/s: crosses at scan 15 */
    struct it_walker w = {.pub = pub, .topic = ROOT "sensors/radar-b/detections",
                          .sensor = "radar-b", .t0_us = t0 + 500 * BF_US_PER_MS, .lat0 = 46.80,
                          .north0_m = 30.0, .lon = 8.235, .speed_mps = 2.0,
                          .m_per_deg = 111200.0};
    CU_ASSERT_EQUAL(it_publish_walker(&w, 0, 15), 0);
    bf_time_us crossing_sent = bf_clock_realtime(NULL);
    CU_ASSERT_EQUAL(it_publish_walker(&w, 15, 40), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);

    struct it_alert_want want_inc = {.type = "INCURSION", .state = "NEW"};
    cJSON *inc = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_inc, 20);
    bf_time_us inc_at = bf_clock_realtime(NULL);
    CU_ASSERT_PTR_NOT_NULL(inc);
    if (inc) {
        const cJSON *sens = cJSON_GetObjectItemCaseSensitive(inc, "sensors");
        CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(sens, 0)->valuestring, "radar-b");
        bf_time_us at;   /* dated at the walker's time, not in 2036 */
        CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(inc, "time"), &at), 0);
        CU_ASSERT_TRUE(at > t0 && at < t0 + 60 * BF_US_PER_S);
    }
    struct it_alert_want want_fault = {.type = "SENSOR_FAULT", .state = "NEW", .sensor = "radar-a"};
    cJSON *fault = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_fault, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fault);
    const char *why = it_jstr(fault, "reason");
    double skew_s = NAN;
    CU_ASSERT_EQUAL(sscanf(why, "clock: event time %lf s ahead of the wall clock", &skew_s), 1);
    CU_ASSERT_TRUE(skew_s > 10 * 365 * 86400.0 - 60 && skew_s < 10 * 365 * 86400.0 + 60);
    cJSON *st = it_collector_wait_latest(centre, ROOT "sensors/radar-a/status",
                                         match_clock_status, NULL, 5);
    CU_ASSERT_PTR_NOT_NULL(st);
    if (st) {
        CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "clock_fault")));
        CU_ASSERT_TRUE(it_jnum(st, "future") >= 1);
    }
    cJSON_Delete(st);

    /* radar-a good again: a detection at a sane time, 10 s after its last refusal */
    while (bf_clock_realtime(NULL) < bad_sent + 10500 * BF_US_PER_MS)
        it_sleep_ms(100);
    CU_ASSERT_EQUAL(it_publish_detection(pub, ROOT "sensors/radar-a/detections", "radar-a",
                                         t0 + 45 * BF_US_PER_S, 46.805, 8.19, false, false), 0);
    CU_ASSERT_EQUAL(it_publish_walker(&w, 40, 50), 0);
    struct it_alert_want want_ok = {.type = "SENSOR_FAULT", .state = "RESOLVED", .sensor = "radar-a"};
    cJSON *ok = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_ok, 10);
    CU_ASSERT_PTR_NOT_NULL(ok);

    /* nothing dropped as late: the site's time never went to 2036 */
    cJSON *status = it_collector_json(centre, ROOT "status", -1);
    CU_ASSERT_PTR_NOT_NULL(status);
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(status, "detections");
    CU_ASSERT_EQUAL(it_jnum(det, "late"), 0);
    const cJSON *ing = cJSON_GetObjectItemCaseSensitive(status, "ingest");
    CU_ASSERT_EQUAL(it_jnum(ing, "future"), 2);   /* the detection and its batch's scan marker */
    bf_time_us site = 0;
    CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(ing, "site_time"), &site), 0);
    CU_ASSERT_TRUE(site < bf_clock_realtime(NULL));
    printf("\n    refused radar-a's detection %.0f s ahead; INCURSION from radar-b %.2f s after "
           "the crossing scan was sent; site time %.0f s behind the wall clock\n", skew_s,
           bf_time_to_s(inc_at - crossing_sent), bf_time_to_s(bf_clock_realtime(NULL) - site));

    CU_ASSERT_EQUAL(it_stop(engine), 0);
    char *log = bf_test_read_file(elog, NULL);
    CU_ASSERT_PTR_NOT_NULL(log);
    if (log) {   /* the log names the sensor and the skew */
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "radar-a: clock: event time 315"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "s ahead of the wall clock (allowed skew 30 s"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "radar-a: clock fault"));
    }
    if (!inc || !ok)
        it_show_log(elog);
    free(log);
    cJSON_Delete(status);
    cJSON_Delete(inc);
    cJSON_Delete(fault);
    cJSON_Delete(ok);
    it_scene_close(&sc);
}

static CU_TestInfo tests[] = {
    {"a detection from the future is refused and flagged; a crossing after it is alerted",
     test_future_time},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/hostile_time", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
