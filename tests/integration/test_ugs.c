/*
 * test_ugs.c - ground sensors for real: a private mosquitto, the borderfuse
 * engine as a process with two "ugs" sensors (ugs-a signs with HMAC-SHA256
 * under a chmod 600 key file and must; ugs-b has no key), and this test as
 * both the sensors (publishing with Paho) and the situation centre (reading
 * the retained status and the alerts).
 *
 * Asserted: only the good messages become detections and good messages; each
 * bad one - forged, replayed, unsigned where a signature is required, signed
 * where no key is known, another sensor's name, bad JSON, bad time, values
 * out of range, a missing member - is counted in the status under its kind;
 * heartbeats show up as health figures; and when ugs-a (heartbeat_timeout_s
 * 3) falls silent a SENSOR_FAULT alert names it, resolved under the same id
 * when its heartbeats resume.
 *
 * The messages are signed here with OpenSSL's one-shot HMAC() over the
 * prefix, the recipe of docs/ugs.md, not with the codec's encoder.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "itugs"
#define TOPIC_A "borderfuse/" SITE "/sensors/ugs-a/ugs"
#define TOPIC_B "borderfuse/" SITE "/sensors/ugs-b/ugs"
#define KEY_HEX "4f1c2e8a9b7d6053a1f2e3d4c5b6a7988796a5b4c3d2e1f0f1e2d3c4b5a69788"
#define TOPIC_STATUS "borderfuse/" SITE "/status"
#define TOPIC_ALERTS "borderfuse/" SITE "/alerts"

static struct it_collector *centre;   /* status and alerts */
static unsigned char key[32];
static struct bf_mqtt *pub;

/* The latest status (cJSON_Delete it) or NULL. */
static cJSON *latest_status(void) { return it_collector_json(centre, TOPIC_STATUS, -1); }

static const cJSON *sensor_of(const cJSON *st, const char *id)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "sensors"))
        if (strcmp(it_jstr(s, "id"), id) == 0)
            return s;
    return NULL;
}

/* What one sensor's status should say. */
struct expect {
    const char *id;
    double messages, detections;
    double syntax, schema, range, time, identity, auth;
};

static bool matches(const cJSON *s, const struct expect *x)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "malformed");
    return s && it_jnum(s, "messages") == x->messages && it_jnum(s, "detections") == x->detections &&
           it_jnum(m, "syntax") == x->syntax && it_jnum(m, "schema") == x->schema &&
           it_jnum(m, "range") == x->range && it_jnum(m, "time") == x->time &&
           it_jnum(m, "identity") == x->identity && it_jnum(m, "auth") == x->auth;
}

/* Wait until the status shows every expectation (or timeout_s), then assert each figure. */
static void expect_status(const struct expect *xs, size_t n, double timeout_s)
{
    cJSON *st = NULL;
    for (int i = 0; i < (int)(timeout_s * 20); i++) {
        cJSON_Delete(st);
        st = latest_status();
        bool all = st != NULL;
        for (size_t k = 0; all && k < n; k++)
            all = matches(sensor_of(st, xs[k].id), &xs[k]);
        if (all)
            break;
        it_sleep_ms(50);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    for (size_t k = 0; k < n; k++) {
        const cJSON *s = sensor_of(st, xs[k].id);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "malformed");
        CU_ASSERT_PTR_NOT_NULL(s);
        CU_ASSERT_EQUAL(it_jnum(s, "messages"), xs[k].messages);
        CU_ASSERT_EQUAL(it_jnum(s, "detections"), xs[k].detections);
        CU_ASSERT_EQUAL(it_jnum(m, "syntax"), xs[k].syntax);
        CU_ASSERT_EQUAL(it_jnum(m, "schema"), xs[k].schema);
        CU_ASSERT_EQUAL(it_jnum(m, "range"), xs[k].range);
        CU_ASSERT_EQUAL(it_jnum(m, "time"), xs[k].time);
        CU_ASSERT_EQUAL(it_jnum(m, "identity"), xs[k].identity);
        CU_ASSERT_EQUAL(it_jnum(m, "auth"), xs[k].auth);
        if (!matches(s, &xs[k])) {
            char *txt = cJSON_PrintUnformatted(s);
            fprintf(stderr, "\n  status of %s: %s\n", xs[k].id, txt ? txt : "(none)");
            free(txt);
        }
    }
    cJSON_Delete(st);
}

/* "now" as ISO 8601 UTC: event times follow the wall clock, as a live sensor's do. */
static void now_iso(char *buf, size_t len)
{
    bf_time_format_iso(bf_clock_realtime(NULL), buf, len);
}

/* The sender's recipe: prefix + ,"hmac":"<hex of HMAC-SHA256(key, prefix)>"} */
static void sign(const char *prefix, char *out, size_t cap)
{
    unsigned char tag[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)prefix, strlen(prefix), tag, &n);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", tag[i]);
    snprintf(out, cap, "%s,\"hmac\":\"%s\"}", prefix, hex);
}

static void send(const char *topic, const char *msg)
{
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, topic, msg, strlen(msg), 1, false), 0);
}

/* A heartbeat of ugs-a (signed) or ugs-b (unsigned) at the current time. */
static void heartbeat(char which, unsigned counter, double battery)
{
    char t[BF_TIME_ISO_LEN], prefix[256], msg[512];
    now_iso(t, sizeof t);
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-%c\",\"kind\":\"heartbeat\",\"counter\":%u,"
             "\"t\":\"%s\",\"battery_pct\":%g", which, counter, t, battery);
    if (which == 'a')
        sign(prefix, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "%s}", prefix);
    send(which == 'a' ? TOPIC_A : TOPIC_B, msg);
}

/* The first SENSOR_FAULT alert for sensor id in state, parsed (cJSON_Delete it), or NULL. */
static cJSON *find_fault(const char *id, const char *state)
{
    struct it_alert_want w = {.type = "SENSOR_FAULT", .sensor = id, .state = state};
    return it_collector_wait_json(centre, TOPIC_ALERTS, it_match_alert, &w, 0);
}

static void test_ugs_chain(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], keyfile[512], conf[512], elog[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(keyfile, sizeof keyfile, "%s/ugs-a.key", tmp);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);

    for (int i = 0; i < 32; i++) {
        unsigned v;
        sscanf(&KEY_HEX[2 * i], "%2x", &v);
        key[i] = (unsigned char)v;
    }
    CU_ASSERT_EQUAL_FATAL(it_write_file(keyfile, 0600, "%s\n", KEY_HEX), 0);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [\n"
            "  {\"id\": \"ugs-a\", \"type\": \"ugs\", \"lat\": 46.7990, \"lon\": 8.2010,"
            " \"range_m\": 50, \"sigma_bearing_deg\": 8, \"heartbeat_timeout_s\": 3,\n"
            "   \"options\": {\"hmac_key_file\": \"%s\", \"radius_m\": {\"seismic\": 25}}},\n"
            "  {\"id\": \"ugs-b\", \"type\": \"ugs\", \"lat\": 46.7985, \"lon\": 8.2030,"
            " \"range_m\": 50}\n"
            " ],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.5}", keyfile), 0);

    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-ugs-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, TOPIC_STATUS, 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, TOPIC_ALERTS, 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    bool online = it_wait_online(centre, TOPIC_STATUS, NULL, 15);
    if (!online)
        it_show_log(elog);
    CU_ASSERT_TRUE_FATAL(online);
    it_sleep_ms(300);   /* the engine's own subscriptions land */

    struct bf_mqtt_options po = {.url = url, .client_id = "it-ugs-field", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);

    /* ---- ugs-a: keyed, signatures required ---- */
    char t[BF_TIME_ISO_LEN], prefix[512], a1[600], msg[600];
    now_iso(t, sizeof t);
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-a\",\"kind\":\"event\",\"counter\":1,"
             "\"t\":\"%s\",\"type\":\"seismic\",\"confidence\":0.8", t);
    sign(prefix, a1, sizeof a1);
    send(TOPIC_A, a1);                                   /* good event */
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-a\",\"kind\":\"heartbeat\",\"counter\":2,"
             "\"t\":\"%s\",\"battery_pct\":80,\"temperature_c\":4.5", t);
    sign(prefix, msg, sizeof msg);
    send(TOPIC_A, msg);                                  /* good heartbeat */
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-a\",\"kind\":\"event\",\"counter\":3,"
             "\"t\":\"%s\",\"type\":\"seismic\",\"confidence\":0.8", t);
    sign(prefix, msg, sizeof msg);
    strstr(msg, "0.8")[2] = '9';
    send(TOPIC_A, msg);                                  /* forged: auth */
    send(TOPIC_A, a1);                                   /* replayed: auth */
    snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-a\",\"kind\":\"event\",\"counter\":10,"
             "\"t\":\"%s\",\"type\":\"pir\",\"confidence\":0.5}", t);
    send(TOPIC_A, msg);                                  /* unsigned: auth */
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-a\",\"kind\":\"event\",\"counter\":4,"
             "\"t\":\"%s\",\"type\":\"acoustic\",\"confidence\":0.6,\"bearing_deg\":120", t);
    sign(prefix, msg, sizeof msg);
    send(TOPIC_A, msg);                                  /* good event with a bearing */
    send(TOPIC_A, "{\"sensor\":\"ugs-a\",\"kind\":");    /* syntax */
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-b\",\"kind\":\"heartbeat\",\"counter\":5,"
             "\"t\":\"%s\",\"battery_pct\":80", t);
    sign(prefix, msg, sizeof msg);
    send(TOPIC_A, msg);                                  /* another sensor's name: identity */

    /* ---- ugs-b: no key ---- */
    snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-b\",\"kind\":\"event\",\"counter\":1,"
             "\"t\":\"%s\",\"type\":\"pir\",\"confidence\":0.9}", t);
    send(TOPIC_B, msg);                                  /* good event */
    snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-b\",\"kind\":\"heartbeat\",\"counter\":2,"
             "\"t\":\"%s\",\"battery_pct\":12.5}", t);
    send(TOPIC_B, msg);                                  /* good heartbeat */
    send(TOPIC_B, msg);                                  /* the same again: auth (replay) */
    snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-b\",\"kind\":\"event\",\"counter\":3,"
             "\"t\":\"yesterday\",\"type\":\"pir\",\"confidence\":0.9}");
    send(TOPIC_B, msg);                                  /* time */
    snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-b\",\"kind\":\"event\",\"counter\":4,"
             "\"t\":\"%s\",\"type\":\"pir\",\"confidence\":1.5}", t);
    send(TOPIC_B, msg);                                  /* range */
    snprintf(prefix, sizeof prefix, "{\"sensor\":\"ugs-b\",\"kind\":\"heartbeat\",\"counter\":5,"
             "\"t\":\"%s\",\"battery_pct\":12", t);
    sign(prefix, msg, sizeof msg);
    send(TOPIC_B, msg);                                  /* signed, but no key here: auth */
    snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-b\",\"kind\":\"heartbeat\",\"counter\":6,"
             "\"t\":\"%s\"}", t);
    send(TOPIC_B, msg);                                  /* no battery_pct: schema */
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);

    const struct expect x[] = {
        {.id = "ugs-a", .messages = 3, .detections = 2, .syntax = 1, .identity = 1, .auth = 3},
        {.id = "ugs-b", .messages = 2, .detections = 1, .schema = 1, .range = 1, .time = 1,
         .auth = 2},
    };
    expect_status(x, 2, 10);
    cJSON *st = latest_status();
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const cJSON *ha = cJSON_GetObjectItemCaseSensitive(sensor_of(st, "ugs-a"), "health");
    const cJSON *hb = cJSON_GetObjectItemCaseSensitive(sensor_of(st, "ugs-b"), "health");
    CU_ASSERT_EQUAL(it_jnum(ha, "battery_pct"), 80);
    CU_ASSERT_EQUAL(it_jnum(ha, "temperature_c"), 4.5);
    CU_ASSERT_EQUAL(it_jnum(hb, "battery_pct"), 12.5);
    CU_ASSERT_EQUAL(it_jnum(cJSON_GetObjectItem(st, "detections"), "received"), 3);
    CU_ASSERT_STRING_EQUAL(it_jstr(st, "state"), "online");
    cJSON_Delete(st);

    /* ---- SENSOR_FAULT: ugs-a's heartbeats stop while ugs-b carries on ---- */
    unsigned ca = 5, cb = 7;
    for (int i = 0; i < 4; i++) {
        heartbeat('a', ca++, 79);
        heartbeat('b', cb++, 12);
        it_sleep_ms(250);
    }
    CU_ASSERT_PTR_NULL(find_fault("ugs-a", "NEW"));   /* alive so far */
    cJSON *raised = NULL;
    for (int i = 0; i < 40 && !raised; i++) {          /* up to 10 s */
        heartbeat('b', cb++, 12);
        it_sleep_ms(250);
        raised = find_fault("ugs-a", "NEW");
    }
    CU_ASSERT_PTR_NOT_NULL(raised);
    char fault_id[128] = "";
    if (raised) {
        snprintf(fault_id, sizeof fault_id, "%s", it_jstr(raised, "id"));
        CU_ASSERT_NOT_EQUAL(fault_id[0], '\0');
        CU_ASSERT_STRING_EQUAL(it_jstr(raised, "site"), SITE);
        const cJSON *pos = cJSON_GetObjectItem(raised, "position");
        CU_ASSERT_TRUE(fabs(it_jnum(pos, "lat") - 46.7990) < 1e-4);
        CU_ASSERT_TRUE(fabs(it_jnum(pos, "lon") - 8.2010) < 1e-4);
        cJSON_Delete(raised);
    }
    CU_ASSERT_PTR_NULL(find_fault("ugs-b", "NEW"));   /* no timeout configured for it */

    /* ---- heartbeats resume: the same alert, resolved ---- */
    cJSON *resolved = NULL;
    for (int i = 0; i < 40 && !resolved; i++) {        /* up to 10 s */
        heartbeat('a', ca++, 78);
        heartbeat('b', cb++, 12);
        it_sleep_ms(250);
        resolved = find_fault("ugs-a", "RESOLVED");
    }
    CU_ASSERT_PTR_NOT_NULL(resolved);
    if (resolved) {
        CU_ASSERT_STRING_EQUAL(it_jstr(resolved, "id"), fault_id);
        cJSON_Delete(resolved);
    }

    /* the engine is still up, and said why it refused (once per kind, never the key) */
    CU_ASSERT_EQUAL(kill(engine, 0), 0);
    bf_mqtt_destroy(pub);
    pub = NULL;
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    bf_mqtt_destroy(sub);
    char *l = bf_test_read_file(elog, NULL);
    CU_ASSERT_PTR_NOT_NULL(l);
    CU_ASSERT_TRUE(l && strstr(l, "ugs-a: refused a message (auth)") != NULL);
    CU_ASSERT_TRUE(l && strstr(l, "ugs-b: refused a message (range)") != NULL);
    CU_ASSERT_TRUE(l && strstr(l, "HMAC required") != NULL);
    CU_ASSERT_TRUE(l && strstr(l, KEY_HEX) == NULL);
    CU_ASSERT_TRUE(l && strstr(l, "4f1c2e8a") == NULL);
    if (l && !strstr(l, "HMAC required"))
        fprintf(stderr, "\n--- engine log ---\n%s\n", l);
    free(l);
    it_stop(broker);
    it_rm_tree(tmp);   /* key, config, logs, journal */
    it_collector_free(centre);
    centre = NULL;
}

static CU_TestInfo tests[] = {
    {"ground sensors -> broker -> engine: auth, faults, SENSOR_FAULT", test_ugs_chain},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/ugs", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
