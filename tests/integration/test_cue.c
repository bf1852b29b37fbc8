/*
 * test_cue.c - camera cueing and dispatch for real: a private mosquitto, the
 * borderfuse engine as a process with a radar-like JSON sensor and a camera
 * sensor (its video source is a TCP port nobody listens on, so it only
 * lends its pose), a response unit on borderfuse/<site>/units/patrol-1, and
 * this test as the radar, the unit and the situation centre.
 *
 * A vehicle drives south across the border line at 5 m/s toward the unit.
 * Asserted: cue commands arrive on borderfuse/<site>/cameras/cam-1/cue; each
 * one's bearing and range agree, within 0.2 degree and 1 %, with this test's
 * own computation from the camera to the commanded point (local ellipsoidal
 * radii, not the engine's geo/ module), its tilt with the camera's height,
 * and the commanded point lies on the true target at the command's time;
 * updates come at most once a second of event time; the INCURSION alert
 * names the camera and proposes patrol-1 with a distance and an ETA that
 * match this test's own interception of the alert's position and velocity;
 * once the track is deleted the camera is released.
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

#define SITE "itcue"

/* the camera, the unit and the vehicle */
#define CAM_LAT 46.7960
#define CAM_LON 8.2150
#define CAM_H 10.0
#define UNIT_LAT 46.7950
#define UNIT_LON 8.2200
#define TGT_LAT0 46.8009        /* 100 m north of the line (their side) */
#define TGT_LON 8.2200
#define TGT_VN (-5.0)           /* m/s, due south */
#define SCANS 40
#define ROOT "borderfuse/" SITE "/"

static struct it_collector *box;   /* status, alerts, cameras/+/cue */

/* Local metres of (lat, lon) from (lat0, lon0) on the WGS84 ellipsoid's radii at lat0. */
static void local_m(double lat0, double lon0, double lat, double lon, double *e, double *n)
{
    const double a = 6378137.0, e2 = 6.69437999014e-3;
    double p = lat0 * M_PI / 180, s2 = sin(p) * sin(p);
    double M = a * (1 - e2) / pow(1 - e2 * s2, 1.5), N = a / sqrt(1 - e2 * s2);
    *n = (lat - lat0) * M_PI / 180 * M;
    *e = (lon - lon0) * M_PI / 180 * N * cos(p);
}

/* Where the vehicle truly is t_s after t0. */
static double truth_lat(double t_s)
{
    double e, n;
    local_m(TGT_LAT0, TGT_LON, TGT_LAT0 + 0.01, TGT_LON, &e, &n);   /* metres per 0.01 deg */
    return TGT_LAT0 + TGT_VN * t_s * 0.01 / n;
}

/* The smallest t >= 0 with |p + v t - u| = s t (this test's own solution), or -1. */
static double intercept_s(double de, double dn, double ve, double vn, double s)
{
    double a = ve * ve + vn * vn - s * s, b = 2 * (de * ve + dn * vn), c = de * de + dn * dn;
    if (fabs(a) < 1e-9)
        return b < 0 ? -c / b : -1;
    double disc = b * b - 4 * a * c;
    if (disc < 0)
        return -1;
    double r1 = (-b - sqrt(disc)) / (2 * a), r2 = (-b + sqrt(disc)) / (2 * a);
    double lo = fmin(r1, r2), hi = fmax(r1, r2);
    return lo >= 0 ? lo : hi >= 0 ? hi : -1;
}

/* Online, and the unit known. */
static bool online_with_unit(const cJSON *st, const void *arg)
{
    return it_match_online(st, arg) && it_jnum(cJSON_GetObjectItem(st, "dispatch"), "units") == 1;
}

static bool cues_released(const cJSON *st, const void *arg)
{
    (void)arg;
    return it_jnum(cJSON_GetObjectItem(st, "cueing"), "releases") >= 1;
}

static void test_cue_and_dispatch(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port(), vport = it_free_port();
    /* the junk unit below is malformed on purpose: listed by the schema check */
    it_schemas_allow_invalid(ROOT "units/patrol-9");
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], conf[512], elog[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [\n"
            "  {\"id\": \"radar-1\", \"type\": \"json\", \"lat\": 46.7900, \"lon\": 8.2100,"
            " \"range_m\": 5000, \"sigma_m\": 5},\n"
            "  {\"id\": \"cam-1\", \"type\": \"camera\", \"lat\": %.4f, \"lon\": %.4f,"
            " \"height_m\": %.1f, \"range_m\": 1,\n"
            "   \"options\": {\"pipeline\": \"tcpclientsrc host=127.0.0.1 port=%d ! matroskademux\","
            " \"heading_deg\": 90, \"hfov_deg\": 30, \"reconnect_min_s\": 5,"
            " \"reconnect_max_s\": 30}}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\","
            " \"update_min_interval_s\": 2},\n"
            " \"cueing\": {\"min_interval_s\": 1, \"cameras\": {\"cam-1\": {\"zero_deg\": 0}}},\n"
            " \"dispatch\": {\"unit_speed_mps\": 12},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.5}", CAM_LAT, CAM_LON, CAM_H, vport), 0);

    box = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(box);
    struct bf_mqtt *sub, *pub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-cue-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "status", 1, it_collector_on_msg, box), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "alerts", 1, it_collector_on_msg, box), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "cameras/+/cue", 1, it_collector_on_msg, box), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "coverage", 1, it_collector_on_msg, box), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    struct bf_mqtt_options po = {.url = url, .client_id = "it-cue-field", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);

    /* event time: the run starts 50 s ago and goes faster than the wall clock */
    bf_time_us t0 = bf_clock_realtime(NULL) - 50 * BF_US_PER_S;
    char ts[BF_TIME_ISO_LEN], msg[512];
    /* the unit, retained before the engine starts (it reads it on subscribing), and junk */
    bf_time_format_iso(t0 + 20 * BF_US_PER_S, ts, sizeof ts);
    snprintf(msg, sizeof msg, "{\"id\":\"patrol-1\",\"time\":\"%s\",\"lat\":%.8f,\"lon\":%.8f,"
             "\"alt_m\":null,\"speed_mps\":0.0,\"track_deg\":null,\"mode\":2}", ts, UNIT_LAT, UNIT_LON);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, ROOT "units/patrol-1", msg, strlen(msg), 1, true), 0);
    const char *junk = "{\"id\":\"patrol-9\",\"time\":\"never\",\"lat\":1,\"lon\":2}";
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, ROOT "units/patrol-9", junk, strlen(junk), 1, true), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    cJSON *on = it_collector_wait_latest(box, ROOT "status", online_with_unit, NULL, 15);
    bool online = on && online_with_unit(on, NULL);
    cJSON_Delete(on);
    if (!online)
        it_show_log(elog);
    CU_ASSERT_TRUE_FATAL(online);   /* up, and patrol-1 known (patrol-9 refused) */

    /* the coverage, published at start (docs/coverage.md): the radar's disc, the camera's wedge */
    for (int i = 0; i < 50 && it_collector_count(box, ROOT "coverage") == 0; i++)
        it_sleep_ms(100);
    CU_ASSERT_EQUAL(it_collector_count(box, ROOT "coverage"), 1);
    cJSON *cov = it_collector_json(box, ROOT "coverage", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cov);
    CU_ASSERT_STRING_EQUAL(it_jstr(cov, "type"), "FeatureCollection");
    CU_ASSERT_STRING_EQUAL(it_jstr(cov, "site"), SITE);
    const cJSON *cf = cJSON_GetObjectItem(cov, "features");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cf), 2);
    const cJSON *p0 = cJSON_GetObjectItem(cJSON_GetArrayItem(cf, 0), "properties");
    const cJSON *p1 = cJSON_GetObjectItem(cJSON_GetArrayItem(cf, 1), "properties");
    CU_ASSERT_STRING_EQUAL(it_jstr(p0, "id"), "radar-1");
    CU_ASSERT_STRING_EQUAL(it_jstr(p0, "shape"), "disc");
    BF_ASSERT_NEAR(it_jnum(p0, "range_m"), 5000, 1e-9);
    BF_ASSERT_NEAR(it_jnum(p0, "pd"), 0.9, 1e-9);   /* the tracker's default pd */
    CU_ASSERT_STRING_EQUAL(it_jstr(p1, "id"), "cam-1");
    CU_ASSERT_STRING_EQUAL(it_jstr(p1, "kind"), "camera");
    CU_ASSERT_STRING_EQUAL(it_jstr(p1, "shape"), "wedge");
    BF_ASSERT_NEAR(it_jnum(p1, "heading_deg"), 90, 1e-9);
    BF_ASSERT_NEAR(it_jnum(p1, "hfov_deg"), 30, 1e-9);
    const cJSON *g1 = cJSON_GetObjectItem(cJSON_GetArrayItem(cf, 1), "geometry");
    CU_ASSERT_STRING_EQUAL(it_jstr(g1, "type"), "Polygon");
    cJSON_Delete(cov);

    /* the radar: one scan a second of event time, ten a second of wall time */
    for (int k = 0; k < SCANS + 12; k++) {   /* then empty scans until the track is deleted */
        CU_ASSERT_EQUAL(it_publish_detection(pub, ROOT "sensors/radar-1/detections", "radar-1",
                                             t0 + k * BF_US_PER_S, k < SCANS ? truth_lat(k) : NAN,
                                             TGT_LON, false, false), 0);
        it_sleep_ms(100);
    }
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
    /* wait for the release (the track deleted after its misses), up to 30 s on a loaded machine */
    bool released = false;
    for (int i = 0; i < 300 && !released; i++) {
        char *last = it_collector_text(box, ROOT "cameras/cam-1/cue", -1);
        released = last && strstr(last, "\"release\"") != NULL;
        free(last);
        if (!released)
            it_sleep_ms(100);
    }
    it_sleep_ms(500);

    /* ---- the cues ---- */
    int n_cues = it_collector_count(box, ROOT "cameras/cam-1/cue");
    CU_ASSERT_TRUE(n_cues >= 3);
    int n_checked = 0, n_with_alert = 0;
    char high_ids[8][40];   /* alert ids of the cues at priority 4 (a high alert) */
    int n_high = 0;
    double worst_bearing = 0, worst_truth_m = 0;
    bf_time_us last_cue_t = BF_TIME_NONE;
    uint32_t track = 0;
    for (int i = 0; i < n_cues; i++) {
        cJSON *c = it_collector_json(box, ROOT "cameras/cam-1/cue", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_STRING_EQUAL(it_jstr(c, "camera"), "cam-1");
        bool rel = strcmp(it_jstr(c, "action"), "release") == 0;
        if (rel) {
            CU_ASSERT_EQUAL(i, n_cues - 1);   /* the last word */
            CU_ASSERT_STRING_EQUAL(it_jstr(c, "reason"), "track ended");
            CU_ASSERT_EQUAL((uint32_t)it_jnum(c, "track_id"), track);
            cJSON_Delete(c);
            continue;
        }
        CU_ASSERT_STRING_EQUAL(it_jstr(c, "action"), "cue");
        if (track == 0)
            track = (uint32_t)it_jnum(c, "track_id");
        CU_ASSERT_EQUAL((uint32_t)it_jnum(c, "track_id"), track);   /* one target throughout */
        const cJSON *tg = cJSON_GetObjectItem(c, "target");
        double lat = it_jnum(tg, "lat"), lon = it_jnum(tg, "lon");
        double te, tn;
        local_m(CAM_LAT, CAM_LON, lat, lon, &te, &tn);
        double want_b = fmod(atan2(te, tn) * 180 / M_PI + 360, 360), want_r = hypot(te, tn);
        double db = fabs(fmod(it_jnum(c, "bearing_deg") - want_b + 540, 360) - 180);
        worst_bearing = fmax(worst_bearing, db);
        CU_ASSERT_TRUE(db < 0.2);
        CU_ASSERT_TRUE(fabs(it_jnum(c, "range_m") - want_r) < 0.01 * want_r);
        BF_ASSERT_NEAR(it_jnum(c, "pan_deg"), it_jnum(c, "bearing_deg") > 180
                                                  ? it_jnum(c, "bearing_deg") - 360
                                                  : it_jnum(c, "bearing_deg"), 1e-3);   /* zero 0 */
        BF_ASSERT_NEAR(it_jnum(c, "tilt_deg"), -atan(CAM_H / want_r) * 180 / M_PI, 0.05);
        BF_ASSERT_NEAR(it_jnum(c, "fov_deg"), fmax(2.0, 2 * atan(10 / want_r) * 180 / M_PI), 0.05);
        /* on the vehicle: the commanded point is where it truly was at that time */
        bf_time_us t;
        CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(c, "time"), &t), 0);
        double ve, vn;
        local_m(truth_lat(bf_time_to_s(t - t0)), TGT_LON, lat, lon, &ve, &vn);
        worst_truth_m = fmax(worst_truth_m, hypot(ve, vn));
        CU_ASSERT_TRUE(hypot(ve, vn) < 15);
        /* at most one update a second of event time */
        if (last_cue_t != BF_TIME_NONE)
            CU_ASSERT_TRUE(t - last_cue_t >= BF_US_PER_S);
        last_cue_t = t;
        if (it_jstr(c, "alert_id")[0]) {
            n_with_alert++;
            CU_ASSERT_TRUE(it_jnum(c, "priority") >= 2);   /* 1 + the alert's severity */
            if (it_jnum(c, "priority") == 4 && strcmp(it_jstr(c, "severity"), "high") == 0 &&
                n_high < 8)
                snprintf(high_ids[n_high++], sizeof high_ids[0], "%s", it_jstr(c, "alert_id"));
        }
        n_checked++;
        cJSON_Delete(c);
    }
    CU_ASSERT_TRUE(n_checked >= 3);
    CU_ASSERT_TRUE(n_with_alert >= 1);
    CU_ASSERT_TRUE(released);
    printf("\n  cues %d (with the alert %d), worst bearing error %.4f deg, worst distance to "
           "truth %.2f m\n", n_checked, n_with_alert, worst_bearing, worst_truth_m);

    /* ---- the INCURSION: camera and unit ---- */
    struct it_alert_want want = {.type = "INCURSION", .state = "NEW"};
    cJSON *inc = it_collector_wait_json(box, ROOT "alerts", it_match_alert, &want, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inc);
    CU_ASSERT_STRING_EQUAL(it_jstr(inc, "camera"), "cam-1");
    /* once raised, the incursion (high) drives the camera: its cues name it */
    bool named = false;
    for (int i = 0; i < n_high; i++)
        named = named || strcmp(high_ids[i], it_jstr(inc, "id")) == 0;
    CU_ASSERT_TRUE(named);
    CU_ASSERT_EQUAL((uint32_t)it_jnum(inc, "track_id"), track);
    const cJSON *disp = cJSON_GetObjectItem(inc, "dispatch");
    const cJSON *units = cJSON_GetObjectItem(disp, "units");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(units), 1);
    const cJSON *u = cJSON_GetArrayItem(units, 0);
    CU_ASSERT_STRING_EQUAL(it_jstr(u, "id"), "patrol-1");
    const cJSON *pos = cJSON_GetObjectItem(inc, "position");
    const cJSON *vel = cJSON_GetObjectItem(inc, "velocity");
    double de, dn;   /* target - unit */
    local_m(UNIT_LAT, UNIT_LON, it_jnum(pos, "lat"), it_jnum(pos, "lon"), &de, &dn);
    double dist = hypot(de, dn);
    double eta = intercept_s(de, dn, it_jnum(vel, "east_mps"), it_jnum(vel, "north_mps"), 12);
    printf("  INCURSION: patrol-1 at %.1f m (own %.1f), ETA %.1f s (own %.1f; head-on %.1f)\n",
           it_jnum(u, "distance_m"), dist, it_jnum(u, "eta_s"), eta, dist / 17);
    CU_ASSERT_TRUE(fabs(it_jnum(u, "distance_m") - dist) < 0.01 * dist);
    CU_ASSERT_TRUE(eta > 0 && fabs(it_jnum(u, "eta_s") - eta) < 0.01 * eta + 0.2);
    CU_ASSERT_TRUE(fabs(eta - dist / 17) < 0.05 * eta);   /* plausible: head-on, 12 + 5 m/s */
    const cJSON *ic = cJSON_GetObjectItem(disp, "intercept");
    CU_ASSERT_TRUE_FATAL(cJSON_IsObject(ic));
    double ie, in;   /* the meeting point: on the unit's meridian, eta * 12 m north of it */
    local_m(UNIT_LAT, UNIT_LON, it_jnum(ic, "lat"), it_jnum(ic, "lon"), &ie, &in);
    CU_ASSERT_TRUE(fabs(hypot(ie, in) - 12 * eta) < 0.01 * 12 * eta + 1);
    cJSON_Delete(inc);

    /* status: the junk unit counted, the cuer's figures (once the release is in it) */
    cJSON *st = it_collector_wait_latest(box, ROOT "status", cues_released, NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(it_jnum(cJSON_GetObjectItem(st, "dispatch"), "malformed"), 1);
    CU_ASSERT_EQUAL(it_jnum(cJSON_GetObjectItem(st, "cueing"), "releases"), 1);
    CU_ASSERT_EQUAL(it_jnum(cJSON_GetObjectItem(st, "cueing"), "cameras_busy"), 0);
    cJSON_Delete(st);

    bf_mqtt_destroy(pub);
    int est = it_stop(engine);
    CU_ASSERT_EQUAL(est, 0);
    bf_mqtt_destroy(sub);
    char *l = bf_test_read_file(elog, NULL);
    if (est != 0 || !released)
        fprintf(stderr, "\n--- engine log (exit %d) ---\n%s\n", est, l ? l : "(none)");
    CU_ASSERT_TRUE(l && strstr(l, "malformed unit message skipped") != NULL);
    CU_ASSERT_TRUE(l && strstr(l, "cueing: 1 camera") != NULL);
    free(l);
    it_stop(broker);
    it_rm_tree(tmp);
    it_collector_free(box);
    box = NULL;
}

static CU_TestInfo tests[] = {
    {"radar crossing -> camera cued, unit proposed, camera released", test_cue_and_dispatch},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/cue", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
