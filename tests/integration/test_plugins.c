/*
 * test_plugins.c - the engine's side of the plugin ABI against a real
 * mosquitto and the real engine process:
 *
 *  - a third-party plugin from a shared object (the skeleton, built as one)
 *    is loaded and opened; its health figure and its retained per-sensor
 *    status appear on borderfuse/<site>/sensors/<id>/status;
 *  - a sensor that never speaks, on a site where nothing else moves event
 *    time, raises SENSOR_FAULT by the wall-clock rule; one detection from it
 *    resolves the same alert; its per-sensor status says "fault" both ways.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "borderfuse/it"

struct inbox {
    pthread_mutex_t lock;
    char *skel_status, *radar_status;
    char *alerts[16];
    int n_alerts;
};

static struct inbox inbox = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_msg(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct inbox *b = ctx;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, payload, len);
    copy[len] = '\0';
    pthread_mutex_lock(&b->lock);
    if (strcmp(topic, SITE "/sensors/skel/status") == 0) {
        free(b->skel_status);
        b->skel_status = copy;
    } else if (strcmp(topic, SITE "/sensors/radar-q/status") == 0) {
        free(b->radar_status);
        b->radar_status = copy;
    } else if (strcmp(topic, SITE "/alerts") == 0 && b->n_alerts < 16) {
        b->alerts[b->n_alerts++] = copy;
    } else {
        free(copy);
    }
    pthread_mutex_unlock(&b->lock);
}

/* Parsed copy of *slot (cJSON_Delete it) or NULL. */
static cJSON *parsed(char **slot)
{
    pthread_mutex_lock(&inbox.lock);
    cJSON *j = *slot ? cJSON_Parse(*slot) : NULL;
    pthread_mutex_unlock(&inbox.lock);
    return j;
}

static bool skel_ready(void)
{
    cJSON *j = parsed(&inbox.skel_status);
    const cJSON *h = cJSON_GetObjectItem(j, "health");
    bool ok = j && cJSON_IsTrue(cJSON_GetObjectItem(j, "open")) &&
              cJSON_GetObjectItem(h, "skeleton_abi") &&
              cJSON_GetObjectItem(h, "skeleton_abi")->valuedouble == 2;
    cJSON_Delete(j);
    return ok;
}

static bool radar_fault_is(bool want)
{
    cJSON *j = parsed(&inbox.radar_status);
    const cJSON *f = cJSON_GetObjectItem(j, "fault");
    bool ok = j && cJSON_IsBool(f) && cJSON_IsTrue(f) == want;
    cJSON_Delete(j);
    return ok;
}

static int n_alerts(void)
{
    pthread_mutex_lock(&inbox.lock);
    int n = inbox.n_alerts;
    pthread_mutex_unlock(&inbox.lock);
    return n;
}

static bool wait_for(bool (*pred)(void), double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 20); i++) {
        if (pred())
            return true;
        it_sleep_ms(50);
    }
    return false;
}

static bool radar_faulty(void) { return radar_fault_is(true); }
static bool radar_fine(void) { return radar_fault_is(false); }
static bool two_alerts(void) { return n_alerts() >= 2; }
static bool one_alert(void) { return n_alerts() >= 1; }

static void test_plugin_and_silence(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], cfg[512], elog[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(cfg, sizeof cfg, "%s/plugins.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    FILE *f = fopen(cfg, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "{\"site\": \"it\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
            " \"zones\": \"%s\",\n"
            " \"sensors\": [\n"
            "  {\"id\": \"skel\", \"type\": \"skeleton\", \"plugin\": \"%s\", \"lat\": 46.78,"
            "   \"lon\": 8.20},\n"
            "  {\"id\": \"radar-q\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.21,"
            "   \"heartbeat_timeout_s\": 2}],\n"
            " \"alerts\": {\"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"status_period_s\": 0.5, \"idle_flush_s\": 0.5}}\n",
            bf_test_src("tests/data/straight/zones.geojson"), it_bin("sensors/bf_sensor_skeleton.so"));
    fclose(f);

    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, SITE "/sensors/+/status", 1, on_msg, &inbox), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, SITE "/alerts", 1, on_msg, &inbox), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    char journal[512];
    snprintf(journal, sizeof journal, "%s/journal.jsonl", tmp);
    char *argv[] = {(char *)it_bin("apps/borderfuse"), "--config", cfg, "--mqtt-url", url,
                    "--journal", journal, NULL};
    pid_t engine = it_spawn(argv, elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);

    /* the plugin from the shared object is open and reports through ABI 2 */
    CU_ASSERT_TRUE(wait_for(skel_ready, 15));
    cJSON *sk = parsed(&inbox.skel_status);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(sk, "type")->valuestring, "skeleton");
    cJSON_Delete(sk);

    /* radar-q never speaks: after 2 s of wall clock, SENSOR_FAULT */
    CU_ASSERT_TRUE_FATAL(wait_for(one_alert, 15));
    CU_ASSERT_TRUE(wait_for(radar_faulty, 5));
    pthread_mutex_lock(&inbox.lock);
    cJSON *a0 = cJSON_Parse(inbox.alerts[0]);
    pthread_mutex_unlock(&inbox.lock);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a0, "type")->valuestring, "SENSOR_FAULT");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a0, "state")->valuestring, "NEW");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a0, "sensor")->valuestring, "radar-q");
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(a0, "reason")->valuestring,
                                  "nothing received"));

    /* one detection from it, stamped now: heard again, the same alert resolved */
    struct bf_mqtt *pub;
    struct bf_mqtt_options po = {.url = url, .client_id = "it-radar", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    char now[BF_TIME_ISO_LEN], msg[256];
    bf_time_format_iso(bf_clock_realtime(NULL), now, sizeof now);
    snprintf(msg, sizeof msg,
             "{\"sensor\": \"radar-q\", \"t\": \"%s\", \"lat\": 46.795, \"lon\": 8.215}", now);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, SITE "/sensors/radar-q/detections", msg, strlen(msg), 1,
                                    false), 0);
    CU_ASSERT_TRUE(wait_for(two_alerts, 15));
    CU_ASSERT_TRUE(wait_for(radar_fine, 5));
    pthread_mutex_lock(&inbox.lock);
    cJSON *a1 = inbox.n_alerts > 1 ? cJSON_Parse(inbox.alerts[1]) : NULL;
    pthread_mutex_unlock(&inbox.lock);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a1, "state")->valuestring, "RESOLVED");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a1, "id")->valuestring,
                           cJSON_GetObjectItem(a0, "id")->valuestring);
    cJSON_Delete(a0);
    cJSON_Delete(a1);

    CU_ASSERT_EQUAL(it_stop(engine), 0);
    bf_mqtt_destroy(pub);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    free(inbox.skel_status);
    free(inbox.radar_status);
    for (int i = 0; i < inbox.n_alerts; i++)
        free(inbox.alerts[i]);
}

static CU_TestInfo tests[] = {
    {"a plugin from a shared object; a silent sensor faults and comes back", test_plugin_and_silence},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"plugins", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
