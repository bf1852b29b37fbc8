/*
 * test_sensor_watch.c - the engine's side of its sensors, without a broker:
 *
 *  - plugins from shared objects: the skeleton built as one loads; one built
 *    for an unknown ABI, one without the exported ops, one whose name is not
 *    the configured type are refused with a message that says what to do, by
 *    the engine and by the configuration check alike;
 *  - silence: a sensor with heartbeat_timeout_s raises one SENSOR_FAULT when
 *    its heartbeats stop (judged in event time, while another sensor moves
 *    time on), keeps it past resolve_after_s, and resolves the same alert when
 *    it is heard again;
 *  - moving platforms: a radar on a truck, placed from the truck's position
 *    fixes at each detection's time, tracks a standing target where it stands;
 *    detections before any fix are dropped and counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

#define T0 INT64_C(1772330400000000)   /* 2026-03-01T02:00:00Z */
#define S(x) ((bf_time_us)((x) * 1e6))

static const char *bin_path(const char *rel)
{
    static char buf[4][512];
    static int k;
    const char *b = getenv("BF_BINARY_DIR");
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", b ? b : ".", rel);
    return buf[k];
}

/* A config with these sensors (a JSON array body) in the test's temp dir. */
static const char *write_config(const char *name, const char *sensors)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", bf_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
            " \"zones\": \"%s\", \"log_level\": \"error\",\n"
            " \"sensors\": [%s],\n"
            " \"alerts\": {\"journal_fsync\": \"never\", \"resolve_after_s\": 5},\n"
            " \"engine\": {\"reorder_window_ms\": 500}}\n",
            bf_test_src("tests/data/straight/zones.geojson"), sensors);
    fclose(f);
    return path;
}

/* ---- plugins from shared objects -------------------------------------------- */

struct msgs {
    char text[2048];
};

static void collect(void *ctx, const char *file, int line, int col, const char *path,
                    const char *msg)
{
    (void)file, (void)line, (void)col, (void)path;
    struct msgs *m = ctx;
    size_t n = strlen(m->text);
    snprintf(m->text + n, sizeof m->text - n, "%s\n", msg);
}

/* Load a config with one plugin sensor; returns bf_engine_create's code and
 * the configuration check's messages. */
static int try_plugin(const char *type, const char *so, struct msgs *m)
{
    char sensors[1024];
    snprintf(sensors, sizeof sensors,
             "{\"id\": \"p1\", \"type\": \"%s\", \"plugin\": \"%s\", \"lat\": 46.78, \"lon\": 8.2}",
             type, so);
    struct bf_diag diag = {.report = collect, .ctx = m};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(write_config("plugin.json", sensors), &cfg, &diag), 0);
    bf_engine_check(cfg, &diag);
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true};
    struct bf_engine *e = NULL;
    int rc = bf_engine_create(cfg, &opt, &e);
    CU_ASSERT_EQUAL(rc == 0, e != NULL);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    return rc;
}

static void test_plugins_from_shared_objects(void)
{
    bf_log_set_level(BF_LOG_ERROR);   /* the refusals are logged as errors: expected here */
    struct msgs m = {""};
    CU_ASSERT_EQUAL(try_plugin("skeleton", bin_path("sensors/bf_sensor_skeleton.so"), &m), 0);
    CU_ASSERT_STRING_EQUAL(m.text, "");

    m.text[0] = '\0';
    CU_ASSERT_EQUAL(try_plugin("badabi", bin_path("tests/sensors/bf_sensor_badabi.so"), &m),
                    BF_EVERSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text, "built for sensor ABI 99"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text, "rebuild the plugin"));

    m.text[0] = '\0';
    CU_ASSERT_EQUAL(try_plugin("badabi", bin_path("tests/sensors/bf_sensor_nosym.so"), &m),
                    BF_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text, "exports no \"bf_sensor_plugin\""));

    m.text[0] = '\0';
    CU_ASSERT_EQUAL(try_plugin("radar", bin_path("sensors/bf_sensor_skeleton.so"), &m), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text, "set \"type\": \"skeleton\""));

    /* a path that is not there is a configuration error, with its line */
    m.text[0] = '\0';
    struct bf_diag diag = {.report = collect, .ctx = &m};
    struct bf_config *cfg = NULL;
    const char *p = write_config("missing.json", "{\"id\": \"p1\", \"type\": \"x\", \"plugin\": "
                                                 "\"no/such/plugin.so\", \"lat\": 46.78, \"lon\": 8.2}");
    CU_ASSERT_NOT_EQUAL(bf_config_load(p, &cfg, &diag), 0);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text, "plugin shared object \"no/such/plugin.so\" not found"));
    bf_log_set_level(BF_LOG_WARN);
}

/* ---- silence ---------------------------------------------------------------- */

struct tap {
    cJSON *alerts[64];
    int n;
};

static int tap_publish(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    (void)a, (void)len;
    struct tap *t = ctx;
    if (t->n < 64)
        t->alerts[t->n++] = cJSON_Parse(json);
    return 0;
}

static struct bf_detection marker(uint32_t sensor, uint16_t kind, double t_s, uint32_t seq)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = T0 + S(t_s);
    d.sensor_idx = sensor;
    d.seq = seq;
    d.kind = kind;
    return d;
}

static void test_silent_sensor(void)
{
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    const char *p = write_config(
        "silence.json",
        "{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.2},"
        "{\"id\": \"ugs-1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.21,"
        " \"heartbeat_timeout_s\": 10}");
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &cfg, &diag), 0);
    struct tap tap = {.n = 0};
    struct bf_alert_sink sink = {.publish = tap_publish, .ctx = &tap};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &sink};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq = 0;
    /* the radar looks every second for 90 s; the UGS beats every 5 s until 30 s,
     * then is silent until 70 s */
    for (int t = 0; t <= 90; t++) {
        struct bf_detection d = marker(0, BF_MEAS_SCAN, t, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        if (t % 5 == 0 && (t <= 30 || t >= 70)) {
            d = marker(1, BF_MEAS_HEARTBEAT, t + 0.2, seq++);
            CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        }
        bf_engine_step(e, 0, false);
    }
    bf_engine_step(e, 0, true);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    CU_ASSERT_EQUAL(st.received, 0);   /* markers and heartbeats are not detections */
    CU_ASSERT_EQUAL(st.sensors_faulty, 0);
    CU_ASSERT_EQUAL_FATAL(tap.n, 2);
    const char *id0 = cJSON_GetObjectItem(tap.alerts[0], "id")->valuestring;
    for (int k = 0; k < 2; k++) {
        cJSON *a = tap.alerts[k];
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a, "type")->valuestring, "SENSOR_FAULT");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a, "id")->valuestring, id0);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a, "sensor")->valuestring, "ugs-1");
        CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(a, "track_id")));
        BF_ASSERT_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "position"), "lat")->valuedouble,
                       46.79, 1e-7);
    }
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(tap.alerts[0], "state")->valuestring, "NEW");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(tap.alerts[1], "state")->valuestring, "RESOLVED");
    /* last beat 30.2 s: silent from 40.2 s (dated when the timeout elapsed, not at 41 s when
     * the first radar look noticed it); back at 70.2 s, not resolved in between although
     * resolve_after_s is 5 */
    bf_time_us t_new, t_res;
    CU_ASSERT_EQUAL(bf_time_parse_iso(cJSON_GetObjectItem(tap.alerts[0], "time")->valuestring,
                                      &t_new), 0);
    CU_ASSERT_EQUAL(bf_time_parse_iso(cJSON_GetObjectItem(tap.alerts[1], "time")->valuestring,
                                      &t_res), 0);
    CU_ASSERT_EQUAL(t_new, T0 + S(40.2));
    CU_ASSERT_EQUAL(t_res, T0 + S(70.2));
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(tap.alerts[0], "reason")->valuestring,
                                  "within its timeout (10 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(tap.alerts[1], "explanation")->valuestring,
                                  "Sensor ugs-1 is silent since 02:00:40Z"));
    for (int k = 0; k < tap.n; k++)
        cJSON_Delete(tap.alerts[k]);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

/* ---- moving platforms --------------------------------------------------------- */

static void test_radar_on_a_truck(void)
{
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    /* the configured position is 2 km off: only the fixes put the radar right */
    const char *p = write_config(
        "truck.json",
        "{\"id\": \"radar-t\", \"type\": \"json\", \"lat\": 46.70, \"lon\": 8.2, \"range_m\": 5000,"
        " \"platform\": \"truck-1\", \"sigma_range_m\": 5, \"sigma_bearing_deg\": 0.2}");
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &cfg, &diag), 0);
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    struct bf_geo_frame *frame = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(46.80, 8.20, NULL, &frame, err, sizeof err), 0);

    /* the truck drives east at 10 m/s along y = -1500 m from x = -500 m; fixes at 1 Hz,
     * the first at 3 s; a person stands at (300, -700) */
    const double tx = 300, ty = -700;
    uint32_t seq = 0;
    for (int k = 0; k <= 60; k++) {
        double t = k;
        double ex = -500 + 10 * t, ny = -1500;
        if (k >= 3) {
            double lat, lon;
            CU_ASSERT_EQUAL(bf_geo_to_wgs84(frame, ex, ny, &lat, &lon), 0);
            struct bf_position_fix fix = {.id = "truck-1", .t_us = T0 + S(t), .lat_deg = lat,
                                          .lon_deg = lon, .alt_m = NAN, .speed_mps = 10,
                                          .track_deg = 90, .mode = 2};
            CU_ASSERT_EQUAL(bf_engine_position(e, &fix), 0);
        }
        /* the radar looks half a second after each fix: between two fixes */
        double tl = t + 0.5, rx = -500 + 10 * tl;
        struct bf_detection d;
        memset(&d, 0, sizeof d);
        d.t_us = T0 + S(tl);
        d.seq = seq++;
        d.kind = BF_MEAS_RANGE_BEARING;
        d.z[0] = hypot(tx - rx, ty - ny);
        d.z[1] = fmod(atan2(tx - rx, ty - ny) + 2 * M_PI, 2 * M_PI);
        d.R[0][0] = 25;
        d.R[1][1] = pow(0.2 * M_PI / 180, 2);
        d.sensor_e_m = 12345;   /* whatever the plugin said: the platform decides */
        d.sensor_n_m = 12345;
        CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        struct bf_detection m = marker(0, BF_MEAS_SCAN, tl, seq++);
        CU_ASSERT_EQUAL(bf_engine_feed(e, &m), 0);
        bf_engine_step(e, 0, false);
    }
    bf_engine_step(e, 0, true);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    /* looks at 0.5, 1.5 and 2.5 s are taken before the first fix exists: dropped */
    CU_ASSERT_EQUAL(st.unplaced, 3);
    CU_ASSERT_EQUAL(st.processed, 58);
    const struct bf_track *tracks[16];
    size_t n = bf_tracker_tracks(bf_engine_tracker(e), tracks, 16);

    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(tracks[0]->status, BF_TRACK_CONFIRMED);
    CU_ASSERT(hypot(tracks[0]->x[0] - tx, tracks[0]->x[1] - ty) < 10.0);
    CU_ASSERT(hypot(tracks[0]->x[2], tracks[0]->x[3]) < 1.0);   /* standing, as it is */
    bf_geo_frame_destroy(frame);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
}

static CU_TestInfo watch_tests[] = {
    {"plugins from shared objects: loaded, or refused with a reason", test_plugins_from_shared_objects},
    {"a silent sensor raises SENSOR_FAULT, resolved when heard again", test_silent_sensor},
    {"a radar on a truck is placed from the truck's fixes", test_radar_on_a_truck},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sensor watch", NULL, NULL, NULL, NULL, watch_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
