/*
 * test_hostile_operator.c - who may act on alerts, against a captured sensor
 * account and names the engine does not know (docs/security.md, "Threat
 * model"; docs/operators.md, "Who may act").
 *
 * Two layers are tested, each with a real mosquitto and the engine as a
 * process fed a walker crossing the border by this test (as radar-a):
 *
 * 1. The broker: mosquitto with a password file and the repository's
 *    config/mosquitto/acl.example as shipped.  The captured sensor account
 *    radar-a publishes false_alarm requests on alerts/ack/radar-a (the topic
 *    a pattern line would have granted it), on the bare alerts/ack and on
 *    alerts/ack/alice: the broker drops all three, the engine never sees a
 *    request (status operators.requests stays 0), and the INCURSION stays
 *    open.  Then alice, a configured operator, acknowledges on
 *    alerts/ack/alice: ACKNOWLEDGED, answered and audited.
 *
 * 2. The engine: a broker without any ACL (a misconfigured site), the engine
 *    with "operators": {"names": ["alice", "bob"], "require_topic_name":
 *    true}.  false_alarm from the sensor's id (alerts/ack/radar-a), from an
 *    unknown name (alerts/ack/mallory) and on the bare topic naming alice are
 *    each refused, answered on alerts/result with the reason and audited;
 *    the INCURSION stays open (no FALSE_ALARM is published); alice's own
 *    false_alarm on alerts/ack/alice then closes it.
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

#define SITE "ithost"
#define ROOT "borderfuse/" SITE "/"
#define PASS "it-hostile-pass"
#define ENGINE_PASS "it-hostile-engine-pass"

static const cJSON *member(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* One run: its files, the broker, the engine, the centre (alerts, results, status). */
struct run {
    char dir[512], url[64], conf[600], elog[600], audit[600];
    pid_t broker, engine;
    struct it_collector *centre;
    struct bf_mqtt *sub, *radar;
    struct it_walker walker;
};

static const char *rf(const struct run *r, const char *name)
{
    static char buf[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", r->dir, name);
    return buf[k];
}

static struct bf_mqtt *login(const struct run *r, const char *client_id, const char *user,
                             const char *pass)
{
    struct bf_mqtt_options o = {.url = r->url, .client_id = client_id, .username = user,
                                .password = pass, .clean_session = true};
    struct bf_mqtt *m = NULL;
    if (bf_mqtt_create(&o, &m) != 0)
        return NULL;
    if (bf_mqtt_wait_connected(m, 5000) != 0) {
        bf_mqtt_destroy(m);
        return NULL;
    }
    return m;
}

/*
 * Start the broker (with_acl: the password file and the shipped ACL), the engine on
 * its config (operators_json: its "operators" section, or "" for none), the centre
 * logged in as alice, and the radar logged in as radar-a.  false when a step failed.
 */
static bool run_start(struct run *r, const char *name, bool with_acl, const char *operators_json)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s/%s", bf_test_tmpdir(), name);
    mkdir(bf_test_tmpdir(), 0700);
    if (mkdir(r->dir, 0700) != 0)
        return false;
    int port = it_free_port();
    snprintf(r->url, sizeof r->url, "tcp://127.0.0.1:%d", port);
    snprintf(r->conf, sizeof r->conf, "%s/engine.json", r->dir);
    snprintf(r->elog, sizeof r->elog, "%s/engine.log", r->dir);
    snprintf(r->audit, sizeof r->audit, "%s/audit.jsonl", r->dir);
    const char *cred = "";
    if (with_acl) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cd '%s' && mosquitto_passwd -b -c passwd borderfuse %s && "
                 "mosquitto_passwd -b passwd radar-a %s && mosquitto_passwd -b passwd alice %s && "
                 "mosquitto_passwd -b passwd bob %s", r->dir, ENGINE_PASS, PASS, PASS, PASS);
        if (system(cmd) != 0)
            return false;
        if (it_write_file(rf(r, "mosquitto.conf"), 0600,
                          "per_listener_settings false\nallow_anonymous false\npassword_file %s\n"
                          "acl_file %s\npersistence false\nlog_dest stdout\nlog_type all\n"
                          "user root\nlistener %d 127.0.0.1\n", rf(r, "passwd"),
                          bf_test_src("config/mosquitto/acl.example"), port) != 0)
            return false;
        char *argv[] = {(char *)it_mosquitto_bin(), "-c", (char *)rf(r, "mosquitto.conf"), NULL};
        if (!argv[0])
            return false;
        r->broker = it_spawn(argv, rf(r, "mosquitto.log"));
        if (r->broker <= 0 || !it_wait_port(port, 5.0))
            return false;
        if (it_write_file(rf(r, "credentials.json"), 0600,
                          "{\"username\": \"borderfuse\", \"password\": \"%s\"}\n", ENGINE_PASS))
            return false;
        cred = ", \"credentials\": \"credentials.json\"";
    } else {
        /* the hostile requests are malformed on purpose: listed by the schema check */
        it_schemas_allow_invalid(ROOT "alerts/ack/#");
        r->broker = it_start_mosquitto(r->dir, port);
        if (r->broker <= 0)
            return false;
    }
    if (it_write_engine_config(r->conf, SITE, bf_test_src("tests/data/straight/zones.geojson"),
            " \"mqtt\": {\"url\": \"%s\"%s},\n"
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\","
            " \"audit_log\": \"audit.jsonl\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3}%s", r->url, cred, operators_json) != 0)
        return false;
    r->centre = it_collector_new();
    r->sub = login(r, "it-hostile-centre", with_acl ? "alice" : NULL, with_acl ? PASS : NULL);
    if (!r->centre || !r->sub)
        return false;
    bf_mqtt_subscribe(r->sub, ROOT "status", 1, it_collector_on_msg, r->centre);
    bf_mqtt_subscribe(r->sub, ROOT "alerts", 1, it_collector_on_msg, r->centre);
    bf_mqtt_subscribe(r->sub, ROOT "alerts/result", 1, it_collector_on_msg, r->centre);
    r->engine = it_start_engine(r->conf, NULL, "info", r->elog);
    if (r->engine <= 0 || !it_wait_online(r->centre, ROOT "status", NULL, 15))
        return false;
    it_sleep_ms(300);   /* the engine's subscriptions land */
    r->radar = login(r, "it-hostile-radar", with_acl ? "radar-a" : NULL, with_acl ? PASS : NULL);
    if (!r->radar)
        return false;
    r->walker = (struct it_walker){
        .pub = r->radar, .topic = ROOT "sensors/radar-a/detections", .sensor = "radar-a",
        .lat0 = 46.80, .north0_m = 30.0, .lon = 8.205, .speed_mps = 2.0, .m_per_deg = 111200.0,
        .t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 120) * BF_US_PER_S,
    };
    return true;
}

static void run_stop(struct run *r, bool show)
{
    bf_mqtt_destroy(r->radar);
    bf_mqtt_destroy(r->sub);
    if (r->engine > 0)
        CU_ASSERT_EQUAL(it_stop(r->engine), 0);
    if (show) {
        it_show_log(r->elog);
        it_show_log(rf(r, "mosquitto.log"));
    }
    if (r->broker > 0)
        it_stop(r->broker);
    it_collector_free(r->centre);
    it_rm_tree(r->dir);
}

/* The walker crosses: the INCURSION's id into id; false when none came. */
static bool incursion(struct run *r, char *id, size_t cap)
{
    CU_ASSERT_EQUAL(it_publish_walker(&r->walker, 0, 30), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(r->radar, 5000), 0);
    struct it_alert_want w = {.type = "INCURSION", .state = "NEW"};
    cJSON *a = it_collector_wait_json(r->centre, ROOT "alerts", it_match_alert, &w, 10);
    if (!a)
        return false;
    snprintf(id, cap, "%s", it_jstr(a, "id"));
    cJSON_Delete(a);
    return true;
}

static void request(struct bf_mqtt *m, const char *topic, const char *rid, const char *id,
                    const char *action, const char *payload_operator)
{
    char msg[512];
    snprintf(msg, sizeof msg, "{\"request_id\": \"%s\", \"alert_id\": \"%s\", \"action\": \"%s\"%s%s%s}",
             rid, id, action, payload_operator ? ", \"operator\": \"" : "",
             payload_operator ? payload_operator : "", payload_operator ? "\"" : "");
    CU_ASSERT_EQUAL(bf_mqtt_publish(m, topic, msg, strlen(msg), 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(m, 5000), 0);
}

static bool rid_is(const cJSON *r, const void *arg)
{
    return strcmp(it_jstr(r, "request_id"), (const char *)arg) == 0;
}

static cJSON *wait_result(struct run *r, const char *rid, double timeout_s)
{
    return it_collector_wait_json(r->centre, ROOT "alerts/result", rid_is, rid, timeout_s);
}

/* The audit line of request rid, parsed, or NULL. */
static cJSON *audit_line(const struct run *r, const char *rid)
{
    char *txt = bf_test_read_file(r->audit, NULL);
    cJSON *found = NULL;
    for (char *line = txt ? strtok(txt, "\n") : NULL; line && !found; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        if (j && strcmp(it_jstr(j, "request_id"), rid) == 0)
            found = j;
        else
            cJSON_Delete(j);
    }
    free(txt);
    return found;
}

/* Closing states the alert id reached on alerts so far. */
static int count_state(struct run *r, const char *id, const char *state)
{
    struct it_alert_want w = {.type = "INCURSION", .state = state, .id = id};
    return it_collector_count_json(r->centre, ROOT "alerts", it_match_alert, &w);
}

/* want requests received and every one of them answered (accepted or refused): a status
 * published while the engine thread had not yet acted on the last one counts it received only */
static bool requests_seen(const cJSON *st, const void *arg)
{
    const cJSON *o = member(st, "operators");
    double want = *(const double *)arg;
    return it_jnum(o, "requests") == want && it_jnum(o, "accepted") + it_jnum(o, "refused") == want;
}

/* The operators' counters of the latest status once want requests were answered (or after 5 s). */
static double status_count(struct run *r, double want, const char *key)
{
    cJSON *st = it_collector_wait_latest(r->centre, ROOT "status", requests_seen, &want, 5);
    double v = st ? it_jnum(member(st, "operators"), key) : NAN;
    cJSON_Delete(st);
    return v;
}

static void test_broker_keeps_sensors_out(void)
{
    struct run r;
    bool up = run_start(&r, "acl", true, ",\n \"operators\": {\"names\": [\"alice\", \"bob\"]}");
    CU_ASSERT_TRUE(up);
    if (!up) {
        run_stop(&r, true);
        return;
    }
    char id[64];
    CU_ASSERT_TRUE_FATAL(incursion(&r, id, sizeof id));

    /* the captured sensor account tries to close it, three ways: the broker drops all */
    request(r.radar, ROOT "alerts/ack/radar-a", "s-1", id, "false_alarm", NULL);
    request(r.radar, ROOT "alerts/ack", "s-2", id, "false_alarm", "alice");
    request(r.radar, ROOT "alerts/ack/alice", "s-3", id, "false_alarm", NULL);
    it_sleep_ms(1500);
    cJSON *res = wait_result(&r, "s-1", 0);
    CU_ASSERT_PTR_NULL(res);
    cJSON_Delete(res);
    CU_ASSERT_EQUAL(it_collector_count(r.centre, ROOT "alerts/result"), 0);
    double zero = 0;
    cJSON *st = it_collector_wait_latest(r.centre, ROOT "status", requests_seen, &zero, 2);
    CU_ASSERT_EQUAL(st ? it_jnum(member(st, "operators"), "requests") : -1, 0);
    cJSON_Delete(st);
    CU_ASSERT_EQUAL(count_state(&r, id, "FALSE_ALARM"), 0);
    char *blog = bf_test_read_file(rf(&r, "mosquitto.log"), NULL);
    int denied = 0;
    for (const char *p = blog; p && (p = strstr(p, "Denied PUBLISH from it-hostile-radar")); p++)
        denied++;
    printf("\n  figure: broker denied %d of the sensor account's 3 requests\n", denied);
    CU_ASSERT_EQUAL(denied, 3);
    free(blog);

    /* the walker goes on: the INCURSION is still live and updated */
    CU_ASSERT_EQUAL(it_publish_walker(&r.walker, 30, 36), 0);
    struct it_alert_want w = {.type = "INCURSION", .state = "UPDATED", .id = id};
    cJSON *upd = it_collector_wait_json(r.centre, ROOT "alerts", it_match_alert, &w, 10);
    CU_ASSERT_PTR_NOT_NULL(upd);
    cJSON_Delete(upd);

    /* alice, a configured operator, in her own name: taken */
    struct bf_mqtt *alice = login(&r, "it-hostile-alice", "alice", PASS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(alice);
    request(alice, ROOT "alerts/ack/alice", "a-1", id, "acknowledge", NULL);
    cJSON *ok = wait_result(&r, "a-1", 10);
    CU_ASSERT_PTR_NOT_NULL(ok);
    CU_ASSERT_TRUE(ok && cJSON_IsTrue(member(ok, "ok")));
    CU_ASSERT_STRING_EQUAL(ok ? it_jstr(ok, "state") : "", "ACKNOWLEDGED");
    cJSON_Delete(ok);
    cJSON *al = audit_line(&r, "a-1");
    CU_ASSERT_STRING_EQUAL(al ? it_jstr(al, "operator") : "", "alice");
    CU_ASSERT_STRING_EQUAL(al ? it_jstr(al, "operator_source") : "", "topic");
    CU_ASSERT_STRING_EQUAL(al ? it_jstr(al, "result") : "", "ok");
    cJSON_Delete(al);
    CU_ASSERT_EQUAL(status_count(&r, 1, "accepted"), 1);
    bf_mqtt_destroy(alice);
    run_stop(&r, CU_get_number_of_failures() > 0);
}

static void test_engine_refuses_unknown(void)
{
    struct run r;
    bool up = run_start(&r, "engine", false, ",\n \"operators\": {\"names\": [\"alice\", \"bob\"],"
                        " \"require_topic_name\": true}");
    CU_ASSERT_TRUE(up);
    if (!up) {
        run_stop(&r, true);
        return;
    }
    char id[64];
    CU_ASSERT_TRUE_FATAL(incursion(&r, id, sizeof id));

    static const struct {
        const char *topic, *rid, *payload_op, *error, *audit_op;
    } refused[] = {
        {ROOT "alerts/ack/radar-a", "h-1", NULL,
         "\"radar-a\" is a sensor, not an operator", "radar-a"},
        {ROOT "alerts/ack/mallory", "h-2", NULL,
         "\"mallory\" is not an operator of this engine", "mallory"},
        {ROOT "alerts/ack", "h-3", "alice", "bare alerts/ack topic, refused here", "alice"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        request(r.radar, refused[i].topic, refused[i].rid, id, "false_alarm", refused[i].payload_op);
        cJSON *res = wait_result(&r, refused[i].rid, 10);
        CU_ASSERT_PTR_NOT_NULL(res);
        CU_ASSERT_TRUE(res && cJSON_IsFalse(member(res, "ok")));
        const char *err = res ? it_jstr(res, "error") : "";
        CU_ASSERT_PTR_NOT_NULL(strstr(err, refused[i].error));
        if (!strstr(err, refused[i].error))
            fprintf(stderr, "\n%s: error \"%s\"\n", refused[i].rid, err);
        cJSON_Delete(res);
        cJSON *al = audit_line(&r, refused[i].rid);
        CU_ASSERT_PTR_NOT_NULL(al);
        CU_ASSERT_STRING_EQUAL(al ? it_jstr(al, "operator") : "", refused[i].audit_op);
        CU_ASSERT_STRING_EQUAL(al ? it_jstr(al, "action") : "", "false_alarm");
        CU_ASSERT_PTR_NOT_NULL(al ? strstr(it_jstr(al, "result"), refused[i].error) : NULL);
        cJSON_Delete(al);
    }
    CU_ASSERT_EQUAL(status_count(&r, 3, "refused"), 3);
    CU_ASSERT_EQUAL(count_state(&r, id, "FALSE_ALARM"), 0);
    CU_ASSERT_EQUAL(it_publish_walker(&r.walker, 30, 36), 0);
    struct it_alert_want w = {.type = "INCURSION", .state = "UPDATED", .id = id};
    cJSON *upd = it_collector_wait_json(r.centre, ROOT "alerts", it_match_alert, &w, 10);
    CU_ASSERT_PTR_NOT_NULL(upd);
    cJSON_Delete(upd);

    /* alice in her own name closes it */
    request(r.radar, ROOT "alerts/ack/alice", "h-4", id, "false_alarm", NULL);
    cJSON *ok = wait_result(&r, "h-4", 10);
    CU_ASSERT_TRUE(ok && cJSON_IsTrue(member(ok, "ok")));
    CU_ASSERT_STRING_EQUAL(ok ? it_jstr(ok, "state") : "", "FALSE_ALARM");
    cJSON_Delete(ok);
    struct it_alert_want fa = {.type = "INCURSION", .state = "FALSE_ALARM", .id = id};
    cJSON *closed = it_collector_wait_json(r.centre, ROOT "alerts", it_match_alert, &fa, 5);
    CU_ASSERT_PTR_NOT_NULL(closed);
    CU_ASSERT_STRING_EQUAL(closed ? it_jstr(member(closed, "operator"), "closed_by") : "", "alice");
    cJSON_Delete(closed);
    char *log = bf_test_read_file(r.elog, NULL);
    CU_ASSERT_TRUE(log && strstr(log, "2 operators may act on alerts, on alerts/ack/<name> only") != NULL);
    CU_ASSERT_TRUE(log && strstr(log, "refused false_alarm of alert") != NULL);
    free(log);
    printf("\n  figure: engine refused 3 of 4 requests (sensor id, unknown name, bare topic)\n");
    run_stop(&r, CU_get_number_of_failures() > 0);
}

static CU_TestInfo tests[] = {
    {"shipped ACL: a sensor account cannot reach alerts/ack; a configured operator can",
     test_broker_keeps_sensors_out},
    {"engine: a sensor's id, an unknown name and the bare topic are refused and audited",
     test_engine_refuses_unknown},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/hostile_operator", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
