/*
 * test_live.c - the retained snapshot of the live alerts
 * (borderfuse/<site>/alerts/live, docs/alerts.md "Topics"), for real: a
 * private mosquitto, the engine as a process with one "json" radar, and this
 * test as the radar, as the situation centre and as displays that connect
 * late.
 *
 * Asserted: a display that connects before any alert gets the empty
 * snapshot (seq 0); two walkers, one crossing (INCURSION) and one approaching
 * on their side (APPROACH), give a snapshot with both, each exactly as the
 * latest alert message of its id (seq, state), in order of severity then
 * first time, "seq" the highest among them; a display that connects after
 * the engine went quiet receives that snapshot at once although nothing is
 * published any more (it is retained); after an operator resolves the
 * INCURSION on alerts/ack, the next snapshot and the retained one no longer
 * hold it.  On the way, retention at start: an audit log line older than
 * retention_days is purged (bf_audit_purge) and a recent one kept.
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

#define SITE "itlive"
#define ROOT "borderfuse/" SITE "/"
#define LIVE ROOT "alerts/live"

static struct it_collector *centre;   /* status, alerts, alerts/live */
static struct bf_mqtt *pub;
static const char *broker_url;
/* The radar sees two people: A walks south across the line (lat 46.80, our side
 * south) from 30 m north at 2 m/s; B, 1.2 km east, creeps south 250 m north of it. */
static struct it_walker walker_a = {
    .topic = ROOT "sensors/radar-a/detections", .sensor = "radar-a", .lat0 = 46.80,
    .north0_m = 30.0, .lon = 8.205, .speed_mps = 2.0, .m_per_deg = 111200.0};
static struct it_walker walker_b = {
    .topic = ROOT "sensors/radar-a/detections", .sensor = "radar-a", .lat0 = 46.80,
    .north0_m = 250.0, .lon = 8.221, .speed_mps = 0.5, .m_per_deg = 111200.0};

static const cJSON *member(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void walk(int k0, int k1)
{
    for (int k = k0; k < k1; k++) {
        CU_ASSERT_EQUAL(it_publish_walker(&walker_a, k, k + 1), 0);
        CU_ASSERT_EQUAL(it_publish_walker(&walker_b, k, k + 1), 0);
    }
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
}

/* The entry of the snapshot for alert id, or NULL. */
static const cJSON *snap_find(const cJSON *snap, const char *id)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, member(snap, "alerts"))
        if (strcmp(it_jstr(a, "id"), id) == 0)
            return a;
    return NULL;
}

/* it_match_fn: a snapshot holding alert arg (a NULL arg: holding no INCURSION). */
static bool snap_has(const cJSON *snap, const void *arg)
{
    if (arg)
        return snap_find(snap, arg) != NULL;
    const cJSON *a;
    cJSON_ArrayForEach(a, member(snap, "alerts"))
        if (strcmp(it_jstr(a, "type"), "INCURSION") == 0)
            return false;
    return cJSON_IsArray(member(snap, "alerts"));
}

/* The latest message (highest seq) on alerts for id; cJSON_Delete it. */
static cJSON *latest_alert(const char *id)
{
    cJSON *best = NULL, *a;
    for (int i = 0; (a = it_collector_json(centre, ROOT "alerts", i)) != NULL; i++) {
        bool mine = strcmp(it_jstr(a, "id"), id) == 0;
        if (mine && (!best || it_jnum(a, "seq") > it_jnum(best, "seq"))) {
            cJSON_Delete(best);
            best = a;
        } else {
            cJSON_Delete(a);
        }
    }
    return best;
}

static int sev_rank(const char *s)
{
    return !strcmp(s, "critical") ? 4 : !strcmp(s, "high") ? 3 : !strcmp(s, "medium") ? 2
           : !strcmp(s, "low") ? 1 : 0;
}

/* The snapshot's own invariants: its site, every entry live, in order, "seq" the highest. */
static void check_snapshot(const cJSON *snap)
{
    CU_ASSERT_STRING_EQUAL(it_jstr(snap, "site"), SITE);
    bf_time_us t = BF_TIME_NONE;   /* wall time: within a minute of now */
    CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(snap, "time"), &t), 0);
    CU_ASSERT_TRUE(llabs(t - bf_clock_realtime(NULL)) < 60 * BF_US_PER_S);
    CU_ASSERT_EQUAL(it_jnum(snap, "left_out"), 0);
    const cJSON *arr = member(snap, "alerts"), *a, *prev = NULL;
    CU_ASSERT_TRUE_FATAL(cJSON_IsArray(arr));
    double top = 0;
    cJSON_ArrayForEach(a, arr) {
        const char *st = it_jstr(a, "state");
        CU_ASSERT_TRUE(!strcmp(st, "NEW") || !strcmp(st, "UPDATED") || !strcmp(st, "ACKNOWLEDGED"));
        if (it_jnum(a, "seq") > top)
            top = it_jnum(a, "seq");
        if (prev) {
            int sp = sev_rank(it_jstr(prev, "severity")), sa = sev_rank(it_jstr(a, "severity"));
            CU_ASSERT_TRUE(sp >= sa);
            if (sp == sa)
                CU_ASSERT_TRUE(strcmp(it_jstr(prev, "first_time"), it_jstr(a, "first_time")) <= 0);
        }
        prev = a;
    }
    CU_ASSERT_EQUAL(it_jnum(snap, "seq"), top);
}

/* A display connecting now: the first alerts/live message it gets within timeout_s, parsed
 * (NULL if none), and how many the centre received meanwhile (*centre_new). */
static cJSON *late_display(const char *client_id, double timeout_s, int *centre_new)
{
    int before = it_collector_count(centre, LIVE);
    struct it_collector *c = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct bf_mqtt *m;
    struct bf_mqtt_options o = {.url = broker_url, .client_id = client_id, .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&o, &m), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(m, LIVE, 1, it_collector_on_msg, c), 0);
    cJSON *j = it_collector_wait(c, LIVE, NULL, timeout_s) ? it_collector_json(c, LIVE, 0) : NULL;
    bf_mqtt_destroy(m);
    it_collector_free(c);
    *centre_new = it_collector_count(centre, LIVE) - before;
    return j;
}

static void test_live_snapshot(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], conf[512], elog[512], audit[512], recent[BF_TIME_ISO_LEN];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    broker_url = url;
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    snprintf(audit, sizeof audit, "%s/audit.jsonl", tmp);   /* beside the journal */
    bf_time_format_iso(bf_clock_realtime(NULL) - 3600 * BF_US_PER_S, recent, sizeof recent);
    CU_ASSERT_EQUAL_FATAL(it_write_file(audit, 0600,
            "{\"time\": \"2020-01-01T00:00:00.000Z\", \"operator\": \"old\", \"result\": \"ok\"}\n"
            "{\"time\": \"%s\", \"operator\": \"recent\", \"result\": \"ok\"}\n", recent), 0);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3}"), 0);

    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-live-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "status", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "alerts", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, LIVE, 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_online(centre, ROOT "status", NULL, 15));
    it_sleep_ms(300);   /* the engine's subscriptions land */
    char *au = bf_test_read_file(audit, NULL);   /* purged at start: 2020 is over 30 days ago */
    CU_ASSERT_TRUE(au && !strstr(au, "\"old\"") && strstr(au, "\"recent\""));
    free(au);

    /* ---- at start: the empty snapshot, retained ---- */
    int fresh = 0;
    cJSON *s0 = late_display("it-live-early", 5, &fresh);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s0);
    check_snapshot(s0);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(member(s0, "alerts")), 0);
    CU_ASSERT_EQUAL(it_jnum(s0, "seq"), 0);
    cJSON_Delete(s0);

    struct bf_mqtt_options po = {.url = url, .client_id = "it-live-field", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    walker_a.pub = walker_b.pub = pub;
    walker_a.t0_us = walker_b.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 120) * BF_US_PER_S;

    /* ---- the crossing, and B approaching ---- */
    walk(0, 30);
    struct it_alert_want want_inc = {.type = "INCURSION", .state = "NEW"};
    cJSON *inc = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_inc, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inc);
    char id[64];
    snprintf(id, sizeof id, "%s", it_jstr(inc, "id"));
    cJSON_Delete(inc);
    struct it_alert_want want_app = {.type = "APPROACH", .state = "NEW"};
    cJSON *app = NULL;
    char app_id[64] = "";
    for (int tries = 0; tries < 100 && !app; tries++) {   /* B's, not A's before it crossed */
        for (int i = 0; !app; i++) {
            cJSON *a = it_collector_json(centre, ROOT "alerts", i);
            if (!a)
                break;
            double lon = it_jnum(member(a, "position"), "lon");
            if (it_match_alert(a, &want_app) && fabs(lon - 8.221) < 1e-3)
                app = a;
            else
                cJSON_Delete(a);
        }
        if (!app)
            it_sleep_ms(50);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(app);
    snprintf(app_id, sizeof app_id, "%s", it_jstr(app, "id"));
    cJSON_Delete(app);

    /* the centre sees a snapshot with both (within a second or so of the last change) */
    cJSON *s1 = it_collector_wait_json(centre, LIVE, snap_has, id, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
    cJSON_Delete(s1);
    it_sleep_ms(2500);   /* the input ended: no change, so no new snapshot from now on */

    /* ---- a display connecting now gets it at once, from the broker's retained copy ---- */
    cJSON *s2 = late_display("it-live-late", 3, &fresh);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
    CU_ASSERT_EQUAL(fresh, 0);   /* nothing was published meanwhile: it was retained */
    check_snapshot(s2);
    CU_ASSERT_TRUE(cJSON_GetArraySize(member(s2, "alerts")) >= 2);
    const char *ids[2] = {id, app_id};
    for (int k = 0; k < 2; k++) {
        const cJSON *e = snap_find(s2, ids[k]);
        cJSON *m = latest_alert(ids[k]);
        CU_ASSERT_PTR_NOT_NULL(e);
        CU_ASSERT_PTR_NOT_NULL(m);
        if (e && m) {   /* exactly the alert's latest message */
            CU_ASSERT_EQUAL(it_jnum(e, "seq"), it_jnum(m, "seq"));
            CU_ASSERT_STRING_EQUAL(it_jstr(e, "state"), it_jstr(m, "state"));
            CU_ASSERT_STRING_EQUAL(it_jstr(e, "severity"), it_jstr(m, "severity"));
            CU_ASSERT_TRUE(cJSON_Compare(e, m, true));
        }
        cJSON_Delete(m);
    }
    const cJSON *e_inc = snap_find(s2, id);
    CU_ASSERT_STRING_EQUAL(it_jstr(e_inc, "type"), "INCURSION");
    CU_ASSERT_STRING_EQUAL(it_jstr(snap_find(s2, app_id), "type"), "APPROACH");
    cJSON_Delete(s2);

    /* ---- an operator resolves the incursion: it leaves the snapshot ---- */
    char msg[512];
    snprintf(msg, sizeof msg, "{\"request_id\": \"r-1\", \"alert_id\": \"%s\", \"action\": "
             "\"resolve\", \"operator\": \"bob\", \"note\": \"caught\"}", id);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, ROOT "alerts/ack", msg, strlen(msg), 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
    struct it_alert_want want_res = {.type = "INCURSION", .state = "RESOLVED", .id = id};
    cJSON *res = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_res, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_STRING_EQUAL(it_jstr(member(res, "operator"), "closed_by"), "bob");
    cJSON_Delete(res);
    cJSON *s3 = it_collector_wait_latest(centre, LIVE, snap_has, NULL, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s3);
    CU_ASSERT_PTR_NULL(snap_find(s3, id));
    CU_ASSERT_PTR_NOT_NULL(snap_find(s3, app_id));   /* B still approaches */
    cJSON_Delete(s3);
    it_sleep_ms(1500);
    cJSON *s4 = late_display("it-live-after", 3, &fresh);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s4);
    CU_ASSERT_EQUAL(fresh, 0);
    check_snapshot(s4);
    CU_ASSERT_PTR_NULL(snap_find(s4, id));
    CU_ASSERT_PTR_NOT_NULL(snap_find(s4, app_id));
    cJSON_Delete(s4);

    bf_mqtt_destroy(pub);
    pub = NULL;
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    bf_mqtt_destroy(sub);
    char *l = bf_test_read_file(elog, NULL);
    bool ok = l && strstr(l, "bob: resolve INCURSION alert") &&
              strstr(l, "retention: 1 audit log lines older than 30 days purged, 1 kept");
    CU_ASSERT_TRUE(ok);
    au = bf_test_read_file(audit, NULL);   /* bob's request went to the purged file */
    CU_ASSERT_TRUE(au && strstr(au, "\"recent\"") && strstr(au, "\"operator\":\"bob\"") &&
                   !strstr(au, "\"old\""));
    free(au);
    if (!ok || CU_get_number_of_failures() > 0)
        it_show_log(elog);
    free(l);
    it_stop(broker);
    it_rm_tree(tmp);
    it_collector_free(centre);
    centre = NULL;
}

static CU_TestInfo tests[] = {
    {"alerts/live: the retained snapshot of the live alerts, seen by late displays",
     test_live_snapshot},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/live", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
