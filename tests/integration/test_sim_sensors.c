/*
 * test_sim_sensors.c - a crossing in radar shadow, seen only by a ground
 * sensor and a camera, through the real chain: a private mosquitto, the
 * borderfuse engine with a "ugs" sensor (HMAC-signed) and a "camera" sensor
 * reading the simulator's video over TCP (tcpclientsrc ! matroskademux,
 * "time": "pts"), and borderfuse-sim emulating both (sim/ugs_emu.c,
 * sim/camera_emu.c).
 *
 * The walker crosses the straight border of tests/data/straight (our side
 * south) 10 m west of a seismic sensor, in front of a camera 8 m up on a
 * mast 111 m south of the line; the only radar is 19 km away and sees none
 * of it.  Asserted from the engine's retained per-sensor statuses: every
 * ground-sensor message the simulator published was received (none refused,
 * events became detections), the camera's frames were processed with
 * detections and no time faults, the radar detected nothing; and since a
 * camera bearing with elevation locates a target (docs/measurements.md), the
 * camera starts a track that the engine confirms and alerts on: one
 * INCURSION near the true crossing, a person, naming the camera; the
 * simulator's scorecard agrees.
 */
#include <math.h>
#include <pthread.h>
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

#define SITE "itsens"
#define MAX_ALERTS 1024
#define KEY_HEX "4f1c2a9be07d3358a6c4e1f09b7d2c5a81e6f3047b9d2ac51e08f7c6b3a59d24"

/* Where things are (the walker crosses 46.80 N at 8.2200 E, going south). */
#define CROSS_LAT 46.80
#define CROSS_LON 8.2200

struct centre {
    pthread_mutex_t lock;
    char *alerts[MAX_ALERTS];
    int n_alerts;
    char *st_ugs, *st_cam, *st_radar, *status;
};

static struct centre centre = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void keep(char **slot, const void *payload, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, payload, len);
    copy[len] = '\0';
    free(*slot);
    *slot = copy;
}

static void on_msg(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct centre *c = ctx;
    pthread_mutex_lock(&c->lock);
    if (strcmp(topic, "borderfuse/" SITE "/sensors/ugs-1/status") == 0) {
        keep(&c->st_ugs, payload, len);
    } else if (strcmp(topic, "borderfuse/" SITE "/sensors/cam-1/status") == 0) {
        keep(&c->st_cam, payload, len);
    } else if (strcmp(topic, "borderfuse/" SITE "/sensors/radar-far/status") == 0) {
        keep(&c->st_radar, payload, len);
    } else if (strcmp(topic, "borderfuse/" SITE "/status") == 0) {
        keep(&c->status, payload, len);
    } else if (strcmp(topic, "borderfuse/" SITE "/alerts") == 0 && c->n_alerts < MAX_ALERTS) {
        c->alerts[c->n_alerts] = NULL;
        keep(&c->alerts[c->n_alerts], payload, len);
        c->n_alerts++;
    }
    pthread_mutex_unlock(&c->lock);
}

/* A parsed copy of *slot (cJSON_Delete it), or NULL. */
static cJSON *parsed(char **slot)
{
    pthread_mutex_lock(&centre.lock);
    cJSON *j = *slot ? cJSON_Parse(*slot) : NULL;
    pthread_mutex_unlock(&centre.lock);
    return j;
}

static double metres(double lat1, double lon1, double lat2, double lon2)
{
    double dn = (lat2 - lat1) * 111195.0;
    double de = (lon2 - lon1) * 111195.0 * cos(lat1 * M_PI / 180.0);
    return hypot(de, dn);
}

/* Wait until the sensor status in *slot has "messages" >= n. */
static bool wait_messages(char **slot, double n, double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 20); i++) {
        cJSON *j = parsed(slot);
        bool ok = j && it_jnum(j, "messages") >= n;
        cJSON_Delete(j);
        if (ok)
            return true;
        it_sleep_ms(50);
    }
    return false;
}

static double malformed_total(const cJSON *st)
{
    double sum = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(st, "malformed"))
        sum += cJSON_IsNumber(m) ? m->valuedouble : 0;
    return sum;
}

static bool write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok && chmod(path, mode) == 0;
}

static void dump(const char *what, const char *path)
{
    char *l = bf_test_read_file(path, NULL);
    fprintf(stderr, "\n--- %s ---\n%s\n", what, l ? l : "(none)");
    free(l);
}

static void test_shadow_crossing(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port(), vport = it_free_port();
    while (vport == port)
        vport = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], key[512], scen[512], conf[512], elog[512], slog[512], card[512], journal[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(key, sizeof key, "%s/ugs-1.key", tmp);
    snprintf(scen, sizeof scen, "%s/scenario.json", tmp);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    snprintf(slog, sizeof slog, "%s/sim.log", tmp);
    snprintf(card, sizeof card, "%s/scorecard.json", tmp);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", tmp);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_TRUE_FATAL(write_text(key, KEY_HEX "\n", 0600));

    /* the scenario: a walker in radar shadow, a seismic sensor and a camera */
    static char text[8192];
    snprintf(text, sizeof text,
             "{\"site\": \"" SITE "\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"%s\", \"start_time\": \"2026-03-01T02:00:00Z\",\n"
             " \"duration_s\": 100, \"seed\": 11, \"time_scale\": 20,\n"
             " \"radars\": [{\"id\": \"radar-far\", \"lat\": 46.70, \"lon\": 8.00, \"range_m\": 2000,"
             " \"scan_period_s\": 2, \"clutter_per_scan\": 0}],\n"
             " \"targets\": [{\"id\": \"walker\", \"class\": \"person\", \"start_s\": 2,"
             " \"waypoints\": [[46.8010, 8.2200], [46.7996, 8.2200]], \"speed_mps\": 1.5}],\n"
             " \"ground_sensors\": [{\"id\": \"ugs-1\", \"lat\": 46.8000, \"lon\": 8.22013,"
             " \"type\": \"seismic\", \"radius_m\": {\"person\": 30, \"vehicle\": 30},"
             " \"pd\": 0.9, \"false_per_hour\": 0, \"heartbeat_s\": 20, \"hmac_key_file\": \"%s\"}],\n"
             " \"cameras\": [{\"id\": \"cam-1\", \"lat\": 46.7990, \"lon\": 8.2200, \"height_m\": 8,"
             " \"heading_deg\": 0, \"tilt_deg\": -4, \"hfov_deg\": 30, \"width\": 640,"
             " \"height\": 360, \"fps\": 5, \"port\": %d}]}\n",
             zones, key, vport);
    CU_ASSERT_TRUE_FATAL(write_text(scen, text, 0644));
    /* the engine: the same sensors as the site would configure them */
    snprintf(text, sizeof text,
             "{\"site\": \"" SITE "\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"%s\", \"log_level\": \"info\",\n"
             " \"sensors\": [\n"
             "  {\"id\": \"radar-far\", \"type\": \"json\", \"lat\": 46.70, \"lon\": 8.00,"
             " \"range_m\": 2000},\n"
             "  {\"id\": \"ugs-1\", \"type\": \"ugs\", \"lat\": 46.8000, \"lon\": 8.22013,"
             " \"range_m\": 30, \"heartbeat_timeout_s\": 120,"
             " \"options\": {\"hmac_key_file\": \"%s\", \"radius_m\": {\"seismic\": 30}}},\n"
             "  {\"id\": \"cam-1\", \"type\": \"camera\", \"lat\": 46.7990, \"lon\": 8.2200,"
             " \"height_m\": 8, \"range_m\": 400, \"sigma_bearing_deg\": 0.3,"
             " \"options\": {\"pipeline\": \"tcpclientsrc host=127.0.0.1 port=%d ! matroskademux\","
             " \"heading_deg\": 0, \"tilt_deg\": -4, \"hfov_deg\": 30, \"time\": \"pts\","
             " \"start_time\": \"2026-03-01T02:00:00Z\", \"warmup_frames\": 10, \"downscale\": 1,"
             " \"reconnect_min_s\": 0.2, \"reconnect_max_s\": 0.5}}],\n"
             " \"alerts\": {\"journal\": \"%s\", \"journal_fsync\": \"never\"},\n"
             " \"engine\": {\"reorder_window_ms\": 5000, \"status_period_s\": 0.5,"
             " \"idle_flush_s\": 1}}\n",
             zones, key, vport, journal);
    CU_ASSERT_TRUE_FATAL(write_text(conf, text, 0644));

    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-sens-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/" SITE "/alerts", 1, on_msg, &centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/" SITE "/status", 1, on_msg, &centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/" SITE "/sensors/+/status", 1, on_msg,
                                      &centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    char *engine_argv[] = {(char *)it_bin("apps/borderfuse"), "--config", conf, "--mqtt-url", url,
                           "--log-level", "info", NULL};
    pid_t engine = it_spawn(engine_argv, elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    /* the engine is up once its ground sensor says so (it publishes statuses from the start) */
    bool up = wait_messages(&centre.st_ugs, 0, 15);
    if (!up)
        dump("engine log", elog);
    CU_ASSERT_TRUE_FATAL(up);

    char *sim_argv[] = {(char *)it_bin("apps/borderfuse-sim"), "--scenario", scen, "--mqtt-url",
                        url, "--scorecard", card, "--settle-s", "2", "--camera-wait-s", "10",
                        "--quiet", NULL};
    pid_t sim = it_spawn(sim_argv, slog);
    CU_ASSERT_TRUE_FATAL(sim > 0);
    int sim_rc = it_wait(sim, 60);
    CU_ASSERT_EQUAL(sim_rc, 0);
    if (sim_rc != 0) {
        dump("sim log", slog);
        dump("engine log", elog);
    }

    /* ---- what the simulator says it sent ---- */
    char *sc_text = bf_test_read_file(card, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc_text);
    cJSON *sc = cJSON_Parse(sc_text);
    free(sc_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    double ugs_sent = it_jnum(sc, "ugs_messages"), frames = it_jnum(sc, "camera_frames");
    CU_ASSERT_TRUE(ugs_sent >= 6);          /* heartbeats at 0, 20, ..., 80 and events */
    CU_ASSERT_EQUAL(frames, 500);           /* 100 s at 5 fps */
    CU_ASSERT_EQUAL(it_jnum(sc, "detections_sent"), 0);   /* the radar sees nothing */
    CU_ASSERT_EQUAL(it_jnum(sc, "publish_failed"), 0);

    /* ---- the engine's retained per-sensor statuses ---- */
    CU_ASSERT_TRUE(wait_messages(&centre.st_ugs, ugs_sent, 10));
    cJSON *su = parsed(&centre.st_ugs), *scam = parsed(&centre.st_cam);
    cJSON *srad = parsed(&centre.st_radar);
    CU_ASSERT_PTR_NOT_NULL_FATAL(su);
    CU_ASSERT_PTR_NOT_NULL_FATAL(scam);
    CU_ASSERT_PTR_NOT_NULL_FATAL(srad);
    /* every signed message accepted; the walker passing 10 m away triggered it */
    CU_ASSERT_EQUAL(it_jnum(su, "messages"), ugs_sent);
    CU_ASSERT_TRUE(it_jnum(su, "detections") >= 2);
    CU_ASSERT_EQUAL(malformed_total(su), 0);
    CU_ASSERT_TRUE(it_jnum(cJSON_GetObjectItem(su, "health"), "battery_pct") > 80);
    /* the camera: frames processed (warm-up excepted), detections, no time faults */
    double cam_msgs = it_jnum(scam, "messages"), cam_dets = it_jnum(scam, "detections");
    CU_ASSERT_TRUE(cam_msgs >= frames - 10 - 5 && cam_msgs <= frames);
    CU_ASSERT_TRUE(cam_dets >= 100);   /* the walker is in view for most of the run */
    CU_ASSERT_EQUAL(malformed_total(scam), 0);
    CU_ASSERT_EQUAL(it_jnum(srad, "detections"), 0);
    fprintf(stderr, "\n    ugs-1: %.0f messages, %.0f detections; cam-1: %.0f frames, %.0f "
            "detections\n", it_jnum(su, "messages"), it_jnum(su, "detections"), cam_msgs, cam_dets);
    cJSON_Delete(su);
    cJSON_Delete(scam);
    cJSON_Delete(srad);

    /* ---- the camera located the walker: a track, confirmed, and one INCURSION ---- */
    pthread_mutex_lock(&centre.lock);
    int n = centre.n_alerts;
    pthread_mutex_unlock(&centre.lock);
    int incursions = 0;
    bool ugs_named = false;
    bf_time_us t0;
    CU_ASSERT_EQUAL_FATAL(bf_time_parse_iso("2026-03-01T02:00:00Z", &t0), 0);
    for (int i = 0; i < n; i++) {
        cJSON *a = cJSON_Parse(centre.alerts[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        if (strcmp(it_jstr(a, "type"), "INCURSION") == 0 && strcmp(it_jstr(a, "state"), "NEW") == 0) {
            incursions++;
            const cJSON *pos = cJSON_GetObjectItem(a, "position");
            double d = metres(CROSS_LAT, CROSS_LON, it_jnum(pos, "lat"), it_jnum(pos, "lon"));
            CU_ASSERT_TRUE(d < 30);
            bf_time_us first;
            CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(a, "first_time"), &first), 0);
            double lag = bf_time_to_s(first - t0) - 75.9;   /* the true crossing: 2 + 111.2/1.5 */
            CU_ASSERT_TRUE(lag > -10 && lag < 15);
            fprintf(stderr, "\n    INCURSION %.1f m from the true crossing, lag %+.1f s", d, lag);
            CU_ASSERT_STRING_EQUAL(it_jstr(a, "class"), "person");
            bool cam = false;
            const cJSON *s;
            cJSON_ArrayForEach(s, cJSON_GetObjectItem(a, "sensors")) {
                cam = cam || strcmp(s->valuestring, "cam-1") == 0;
                ugs_named = ugs_named || strcmp(s->valuestring, "ugs-1") == 0;
                CU_ASSERT_STRING_NOT_EQUAL(s->valuestring, "radar-far");
            }
            CU_ASSERT_TRUE(cam);
        }
        cJSON_Delete(a);
    }
    CU_ASSERT_EQUAL(incursions, 1);
    CU_ASSERT_TRUE(ugs_named);   /* its presence detections updated the camera's track */
    fprintf(stderr, "\n    %d alert messages, %d INCURSION; ugs-1 %s among its sensors\n", n,
            incursions, ugs_named ? "is" : "is not");
    CU_ASSERT_EQUAL(it_jnum(sc, "crossings"), 1);
    CU_ASSERT_EQUAL(it_jnum(sc, "alerted"), 1);
    CU_ASSERT_EQUAL(it_jnum(sc, "false_alerts"), 0);
    cJSON_Delete(sc);
    if (incursions != 1) {
        dump("sim log", slog);
        dump("engine log", elog);
    }

    CU_ASSERT_EQUAL(it_stop(engine), 0);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    pthread_mutex_lock(&centre.lock);
    for (int i = 0; i < centre.n_alerts; i++)
        free(centre.alerts[i]);
    free(centre.st_ugs);
    free(centre.st_cam);
    free(centre.st_radar);
    free(centre.status);
    pthread_mutex_unlock(&centre.lock);
    unlink(key);
    unlink(scen);
    unlink(conf);
}

static CU_TestInfo tests[] = {
    {"a crossing in radar shadow: ground sensor + camera", test_shadow_crossing},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/sim_sensors", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
