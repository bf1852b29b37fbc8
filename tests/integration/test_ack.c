/*
 * test_ack.c - operators acting on alerts, for real: a private mosquitto,
 * the borderfuse engine as a process with one "json" radar, and this test
 * as the radar (JSON detection batches of a walker crossing the line), as
 * the situation centre (reading alerts, results and status) and as the
 * operators (publishing requests on alerts/ack and alerts/ack/<operator>).
 *
 * Asserted: the crossing raises INCURSION NEW; alice's acknowledge gives the
 * same id with state ACKNOWLEDGED, acknowledged_by alice and a new seq, the
 * result message says ok, the audit log holds the line with alice and the
 * wall time; later track updates stay ACKNOWLEDGED; bob (named by the topic)
 * assigns patrol-1, then resolves: RESOLVED, closed_by bob, and the track
 * raises no second incursion; a request for an unknown id, garbage and an
 * over-long request are refused with a reason, answered and audited; the
 * engine keeps running, counts it all in status, and journals the changes.
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

#define SITE "itack"
#define ROOT "borderfuse/" SITE "/"
#define UNKNOWN_ID "00000000-0000-5000-8000-000000000000"

static struct it_collector *centre;   /* status, alerts, alerts/result */
static struct bf_mqtt *pub;
static struct it_walker walker = {    /* the radar: a person walking south along lon 8.205 at
                                       * 2 m/s from 30 m north of the line (lat 46.80, our
                                       * side south), one scan per second of event time */
    .topic = ROOT "sensors/radar-a/detections", .sensor = "radar-a", .lat0 = 46.80,
    .north0_m = 30.0, .lon = 8.205, .speed_mps = 2.0, .m_per_deg = 111200.0};

/* The first alert with type, state (and id when not NULL) and seq > min_seq; polled up to
 * timeout_s.  cJSON_Delete it. */
static cJSON *wait_alert(const char *type, const char *state, const char *id, double min_seq,
                         double timeout_s)
{
    struct it_alert_want w = {.type = type, .state = state, .id = id, .min_seq = min_seq};
    return it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &w, timeout_s);
}

/* A result with request_id (or, with NULL, one without request_id whose error holds the text). */
static bool result_is(const cJSON *r, const void *arg)
{
    const char *const *want = arg;   /* request_id, error_has */
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(r, "request_id");
    return want[0] ? cJSON_IsString(rid) && strcmp(rid->valuestring, want[0]) == 0
                   : cJSON_IsNull(rid) && strstr(it_jstr(r, "error"), want[1]);
}

/* The result for request_id (NULL: one without request_id whose error holds error_has). */
static cJSON *wait_result(const char *request_id, const char *error_has, double timeout_s)
{
    const char *want[2] = {request_id, error_has};
    return it_collector_wait_json(centre, ROOT "alerts/result", result_is, want, timeout_s);
}

/* The highest seq published so far for alert id. */
static double last_seq(const char *id)
{
    double best = 0;
    cJSON *a;
    for (int i = 0; (a = it_collector_json(centre, ROOT "alerts", i)) != NULL; i++) {
        if (strcmp(it_jstr(a, "id"), id) == 0 && it_jnum(a, "seq") > best)
            best = it_jnum(a, "seq");
        cJSON_Delete(a);
    }
    return best;
}

static int count_alerts(const char *type, const char *state)
{
    struct it_alert_want w = {.type = type, .state = state};
    return it_collector_count_json(centre, ROOT "alerts", it_match_alert, &w);
}

/* The radar's scans k0 .. k1-1 of the walker. */
static void walk(int k0, int k1)
{
    CU_ASSERT_EQUAL(it_publish_walker(&walker, k0, k1), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
}

static void request(const char *topic, const char *json)
{
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, topic, json, strlen(json), 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
}

/* The audit line for request_id (or, with NULL, the line whose result holds result_has), parsed. */
static cJSON *audit_line(const char *path, const char *request_id, const char *result_has)
{
    char *txt = bf_test_read_file(path, NULL);
    if (!txt)
        return NULL;
    cJSON *found = NULL;
    for (char *line = strtok(txt, "\n"); line && !found; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "request_id");
        bool match = request_id ? cJSON_IsString(rid) && strcmp(rid->valuestring, request_id) == 0
                                : strstr(it_jstr(j, "result"), result_has) != NULL;
        if (j && match)
            found = j;
        else
            cJSON_Delete(j);
    }
    free(txt);
    return found;
}

static int count_lines(const char *path)
{
    char *txt = bf_test_read_file(path, NULL);
    int n = 0;
    for (char *p = txt; p && *p; p++)
        n += *p == '\n';
    free(txt);
    return n;
}

static const cJSON *member(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* eight requests received and answered (a status may count one received before the engine
 * thread acted on it) */
static bool eight_requests(const cJSON *st, const void *arg)
{
    (void)arg;
    const cJSON *o = member(st, "operators");
    return it_jnum(o, "requests") == 8 && it_jnum(o, "accepted") + it_jnum(o, "refused") == 8;
}

static void test_operator_actions(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    /* the refusals below are requests malformed on purpose: listed by the schema check */
    it_schemas_allow_invalid(ROOT "alerts/ack/#");
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], conf[512], elog[512], audit[512], journal[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    snprintf(audit, sizeof audit, "%s/ops-audit.jsonl", tmp);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", tmp);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\","
            " \"audit_log\": \"ops-audit.jsonl\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3}"), 0);

    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-ack-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "status", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "alerts", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "alerts/result", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_online(centre, ROOT "status", NULL, 15));
    it_sleep_ms(300);   /* the engine's subscriptions land */
    struct bf_mqtt_options po = {.url = url, .client_id = "it-ack-field", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    walker.pub = pub;

    /* ---- the crossing: INCURSION NEW ---- */
    walker.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 120) * BF_US_PER_S;
    walk(0, 30);
    cJSON *nw = wait_alert("INCURSION", "NEW", NULL, 0, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nw);
    char id[64];
    snprintf(id, sizeof id, "%s", it_jstr(nw, "id"));
    double seq_new = it_jnum(nw, "seq");
    CU_ASSERT_EQUAL(strlen(id), 36);
    CU_ASSERT_TRUE(cJSON_IsNull(member(member(nw, "operator"), "acknowledged_by")));
    cJSON_Delete(nw);

    /* ---- alice acknowledges ---- */
    char msg[1024];
    snprintf(msg, sizeof msg, "{\"request_id\": \"r-1\", \"alert_id\": \"%s\", \"action\": "
             "\"acknowledge\", \"operator\": \"alice\", \"note\": \"camera 2 on it\"}", id);
    bf_time_us wall_before = bf_clock_realtime(NULL);
    request(ROOT "alerts/ack", msg);
    cJSON *r1 = wait_result("r-1", NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r1);
    CU_ASSERT_TRUE(cJSON_IsTrue(member(r1, "ok")));
    CU_ASSERT_STRING_EQUAL(it_jstr(r1, "alert_id"), id);
    CU_ASSERT_STRING_EQUAL(it_jstr(r1, "action"), "acknowledge");
    CU_ASSERT_STRING_EQUAL(it_jstr(r1, "state"), "ACKNOWLEDGED");
    CU_ASSERT_TRUE(cJSON_IsNull(member(r1, "error")));
    cJSON_Delete(r1);
    cJSON *ak = wait_alert("INCURSION", "ACKNOWLEDGED", id, seq_new, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ak);
    double seq_ack = it_jnum(ak, "seq");
    const cJSON *op = member(ak, "operator");
    CU_ASSERT_STRING_EQUAL(it_jstr(op, "acknowledged_by"), "alice");
    CU_ASSERT_STRING_NOT_EQUAL(it_jstr(op, "acknowledged_time"), "");
    CU_ASSERT_TRUE(cJSON_IsNull(member(op, "assigned_unit")));
    CU_ASSERT_PTR_NOT_NULL(strstr(it_jstr(ak, "explanation"), "Acknowledged by alice at "));
    cJSON_Delete(ak);
    cJSON *a1 = audit_line(audit, "r-1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "operator"), "alice");
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "operator_source"), "payload");
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "action"), "acknowledge");
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "alert_id"), id);
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "note"), "camera 2 on it");
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "result"), "ok");
    CU_ASSERT_STRING_EQUAL(it_jstr(a1, "state"), "ACKNOWLEDGED");
    CU_ASSERT_EQUAL(it_jnum(a1, "seq"), seq_ack);
    bf_time_us at = BF_TIME_NONE;   /* the wall time of the action, not the event time */
    CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(a1, "time"), &at), 0);
    CU_ASSERT_TRUE(at >= wall_before - 1000 && at <= bf_clock_realtime(NULL) + 1000);
    cJSON_Delete(a1);

    /* ---- the track walks on: its updates stay ACKNOWLEDGED ---- */
    double seq_ack0 = seq_ack;
    walk(30, 42);
    cJSON *up = wait_alert("INCURSION", "ACKNOWLEDGED", id, seq_ack, 10);
    CU_ASSERT_PTR_NOT_NULL(up);
    if (up) {
        CU_ASSERT_STRING_EQUAL(it_jstr(member(up, "operator"), "acknowledged_by"), "alice");
        cJSON_Delete(up);
    }
    it_sleep_ms(600);   /* the walk's last updates are out (idle flush 0.3 s) */
    seq_ack = last_seq(id);
    cJSON *upd = wait_alert("INCURSION", "UPDATED", id, seq_ack0, 0);   /* none after the ack */
    CU_ASSERT_PTR_NULL(upd);
    cJSON_Delete(upd);

    /* ---- bob, named by the topic, assigns patrol-1 ---- */
    snprintf(msg, sizeof msg, "{\"request_id\": \"r-2\", \"alert_id\": \"%s\", \"action\": "
             "\"assign\", \"unit\": \"patrol-1\"}", id);
    request(ROOT "alerts/ack/bob", msg);
    cJSON *r2 = wait_result("r-2", NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
    CU_ASSERT_TRUE(cJSON_IsTrue(member(r2, "ok")));
    CU_ASSERT_STRING_EQUAL(it_jstr(r2, "state"), "ACKNOWLEDGED");
    cJSON_Delete(r2);
    cJSON *as = wait_alert("INCURSION", "ACKNOWLEDGED", id, seq_ack, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(as);
    CU_ASSERT_STRING_EQUAL(it_jstr(member(as, "operator"), "assigned_unit"), "patrol-1");
    CU_ASSERT_STRING_EQUAL(it_jstr(member(as, "operator"), "acknowledged_by"), "alice");
    CU_ASSERT_PTR_NOT_NULL(strstr(it_jstr(as, "explanation"), "; unit patrol-1 assigned."));
    double seq_as = it_jnum(as, "seq");
    cJSON_Delete(as);

    /* ---- bob resolves it ---- */
    snprintf(msg, sizeof msg, "{\"request_id\": \"r-3\", \"alert_id\": \"%s\", \"action\": "
             "\"resolve\", \"operator\": \"bob\", \"note\": \"caught at the road\"}", id);
    request(ROOT "alerts/ack/bob", msg);
    cJSON *r3 = wait_result("r-3", NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r3);
    CU_ASSERT_TRUE(cJSON_IsTrue(member(r3, "ok")));
    CU_ASSERT_STRING_EQUAL(it_jstr(r3, "state"), "RESOLVED");
    cJSON_Delete(r3);
    cJSON *rs = wait_alert("INCURSION", "RESOLVED", id, seq_as, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
    CU_ASSERT_STRING_EQUAL(it_jstr(member(rs, "operator"), "closed_by"), "bob");
    CU_ASSERT_PTR_NOT_NULL(strstr(it_jstr(rs, "explanation"), "Resolved by bob at "));
    cJSON_Delete(rs);

    /* ---- refusals: unknown id, resolved already, garbage, too long ---- */
    request(ROOT "alerts/ack", "{\"request_id\": \"r-4\", \"alert_id\": \"" UNKNOWN_ID "\", "
                                "\"action\": \"acknowledge\", \"operator\": \"alice\"}");
    snprintf(msg, sizeof msg, "{\"request_id\": \"r-5\", \"alert_id\": \"%s\", \"action\": "
             "\"acknowledge\", \"operator\": \"alice\"}", id);
    request(ROOT "alerts/ack", msg);
    request(ROOT "alerts/ack/mallory", "this is not json {{{");
    char *big = malloc(6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, 'x', 5999);
    big[5999] = '\0';
    request(ROOT "alerts/ack", big);
    free(big);
    request(ROOT "alerts/ack", "{\"request_id\": \"r-6\", \"alert_id\": \"" UNKNOWN_ID "\", "
                                "\"action\": \"assign\", \"operator\": \"alice\"}");
    cJSON *r4 = wait_result("r-4", NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r4);
    CU_ASSERT_TRUE(cJSON_IsFalse(member(r4, "ok")));
    CU_ASSERT_STRING_EQUAL(it_jstr(r4, "error"), "no live alert with that id");
    CU_ASSERT_TRUE(cJSON_IsNull(member(r4, "state")));
    cJSON_Delete(r4);
    cJSON *r5 = wait_result("r-5", NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r5);
    CU_ASSERT_STRING_EQUAL(it_jstr(r5, "error"), "no live alert with that id");
    cJSON_Delete(r5);
    cJSON *rg = wait_result(NULL, "not JSON", 10);
    CU_ASSERT_PTR_NOT_NULL(rg);
    if (rg)
        CU_ASSERT_TRUE(cJSON_IsFalse(member(rg, "ok")));
    cJSON_Delete(rg);
    cJSON *rl = wait_result(NULL, "request too long", 10);
    CU_ASSERT_PTR_NOT_NULL(rl);
    cJSON_Delete(rl);
    cJSON *r6 = wait_result("r-6", NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r6);
    CU_ASSERT_PTR_NOT_NULL(strstr(it_jstr(r6, "error"), "unit missing"));
    cJSON_Delete(r6);
    cJSON *a4 = audit_line(audit, "r-4", NULL);
    CU_ASSERT_PTR_NOT_NULL(a4);
    if (a4) {
        CU_ASSERT_STRING_EQUAL(it_jstr(a4, "result"), "no live alert with that id");
        CU_ASSERT_STRING_EQUAL(it_jstr(a4, "alert_id"), UNKNOWN_ID);
        CU_ASSERT_STRING_EQUAL(it_jstr(a4, "operator"), "alice");
    }
    cJSON_Delete(a4);
    cJSON *ag = audit_line(audit, NULL, "not JSON");
    CU_ASSERT_PTR_NOT_NULL(ag);
    if (ag) {
        CU_ASSERT_STRING_EQUAL(it_jstr(ag, "operator"), "mallory");
        CU_ASSERT_STRING_EQUAL(it_jstr(ag, "operator_source"), "topic");
    }
    cJSON_Delete(ag);
    cJSON *a3 = audit_line(audit, "r-3", NULL);
    CU_ASSERT_PTR_NOT_NULL(a3);
    if (a3) {
        CU_ASSERT_STRING_EQUAL(it_jstr(a3, "operator"), "bob");
        CU_ASSERT_STRING_EQUAL(it_jstr(a3, "result"), "ok");
        CU_ASSERT_STRING_EQUAL(it_jstr(a3, "state"), "RESOLVED");
    }
    cJSON_Delete(a3);

    /* ---- the track goes on: no second incursion for it; the engine lives and counts ---- */
    walk(42, 50);
    it_sleep_ms(800);
    CU_ASSERT_EQUAL(count_alerts("INCURSION", "NEW"), 1);
    CU_ASSERT_EQUAL(kill(engine, 0), 0);
    /* a status published after the last request */
    cJSON *st = it_collector_wait_latest(centre, ROOT "status", eight_requests, NULL, 5);
    const cJSON *ops = member(st, "operators");
    CU_ASSERT_EQUAL(it_jnum(ops, "requests"), 8);
    CU_ASSERT_EQUAL(it_jnum(ops, "accepted"), 3);
    CU_ASSERT_EQUAL(it_jnum(ops, "refused"), 5);
    CU_ASSERT_EQUAL(it_jnum(ops, "inbox_overflow"), 0);
    CU_ASSERT_EQUAL(it_jnum(ops, "audit_errors"), 0);
    cJSON_Delete(st);
    CU_ASSERT_EQUAL(count_lines(audit), 8);   /* every request, accepted or refused */

    bf_mqtt_destroy(pub);
    pub = NULL;
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    bf_mqtt_destroy(sub);
    /* the journal has the operator's changes like any other */
    char *j = bf_test_read_file(journal, NULL);
    CU_ASSERT_PTR_NOT_NULL(j);
    CU_ASSERT_TRUE(j && strstr(j, "\"state\":\"ACKNOWLEDGED\"") != NULL);
    CU_ASSERT_TRUE(j && strstr(j, "\"closed_by\":\"bob\"") != NULL);
    free(j);
    char *l = bf_test_read_file(elog, NULL);
    CU_ASSERT_TRUE(l && strstr(l, "alice: acknowledge INCURSION alert") != NULL);
    CU_ASSERT_TRUE(l && strstr(l, "refused acknowledge of alert " UNKNOWN_ID " by alice") != NULL);
    if (l && !strstr(l, "alice: acknowledge INCURSION alert"))
        fprintf(stderr, "\n--- engine log ---\n%s\n", l);
    free(l);
    it_stop(broker);
    it_rm_tree(tmp);
    it_collector_free(centre);
    centre = NULL;
}

static CU_TestInfo tests[] = {
    {"operators acknowledge, assign, resolve; refusals answered and audited", test_operator_actions},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/ack", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
