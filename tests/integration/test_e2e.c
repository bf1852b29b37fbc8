/*
 * test_e2e.c - the whole chain for real: a private mosquitto, the borderfuse
 * engine and borderfuse-sim as separate processes, and this test as the
 * situation centre - a real MQTT subscriber on the alerts and status topics.
 *
 * The scenario (tests/data/e2e/scenario.json, on the straight border of
 * tests/data/straight, our side south) has one walker who crosses at about
 * t = 160 s, a runner who turns back short of the line, a truck on the road
 * and a deer grazing near the line.  Asserted: exactly one INCURSION, raised
 * for the walker near the true crossing with the documented fields; none for
 * the others; sequence numbers that grow; the journal holding every message
 * published; the malformed messages this test injects counted per sensor and
 * kind in the retained status while the run goes on; every detection the
 * simulator sent received; the simulator's scorecard agreeing; and the last
 * will ("offline", retained) when the engine dies.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts_int.h"
#include "delivery/delivery_int.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE_TOPIC "borderfuse/it"
#define DET_TOPIC SITE_TOPIC "/sensors/radar-a/detections"
#define STATUS_TOPIC SITE_TOPIC "/status"
#define ALERTS_TOPIC SITE_TOPIC "/alerts"

static struct it_collector *centre;   /* what the centre has received: alerts and status */

/* The state a status must have, and the malformed count n of kind (kind NULL: none). */
struct want_status {
    const char *state, *kind;
    double n;
};

static bool status_is(const cJSON *j, const void *arg)
{
    const struct want_status *w = arg;
    bool ok = strcmp(it_jstr(j, "state"), w->state) == 0;
    if (ok && w->kind) {
        const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sensors"), 0);
        ok = it_jnum(cJSON_GetObjectItem(s0, "malformed"), w->kind) == w->n;
    }
    return ok;
}

/* Wait until the latest status has state and, if kind is given, the malformed count n. */
static bool wait_status(const char *state, const char *kind, double n, double timeout_s)
{
    struct want_status w = {.state = state, .kind = kind, .n = n};
    cJSON *j = it_collector_wait_latest(centre, STATUS_TOPIC, status_is, &w, timeout_s);
    bool ok = j && status_is(j, &w);
    cJSON_Delete(j);
    return ok;
}

static double metres(double lat1, double lon1, double lat2, double lon2)
{
    double dn = (lat2 - lat1) * 111195.0;
    double de = (lon2 - lon1) * 111195.0 * cos(lat1 * M_PI / 180.0);
    return hypot(de, dn);
}

static void test_whole_chain(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], journal[512], elog[512], slog[512], scorecard[512], truth[512], report[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    snprintf(slog, sizeof slog, "%s/sim.log", tmp);
    snprintf(scorecard, sizeof scorecard, "%s/scorecard.json", tmp);
    snprintf(truth, sizeof truth, "%s/truth.jsonl", tmp);
    snprintf(report, sizeof report, "%s/report", tmp);

    /* the centre subscribes first: it must see every alert */
    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ALERTS_TOPIC, 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, STATUS_TOPIC, 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    char *engine_argv[] = {(char *)it_bin("apps/borderfuse"), "--config",
                           (char *)bf_test_src("tests/data/straight/engine.json"), "--mqtt-url", url,
                           "--journal", journal, "--log-level", "info", NULL};
    pid_t engine = it_spawn(engine_argv, elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    /* the engine announces itself on the retained status */
    CU_ASSERT_TRUE_FATAL(wait_status("online", NULL, 0, 15));

    /* garbage from the network, one message of each kind of fault */
    struct bf_mqtt *pub;
    struct bf_mqtt_options po = {.url = url, .client_id = "it-vandal", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    static const char *const junk[] = {
        "this is not JSON {",
        "{\"sensor\":\"radar-a\",\"t\":\"2026-03-01T02:00:00Z\",\"detections\":[{\"range_m\":\"far\","
        "\"bearing_deg\":10}]}",
        "{\"sensor\":\"radar-a\",\"t\":\"yesterday\",\"detections\":[{\"range_m\":100,"
        "\"bearing_deg\":10}]}",
        "{\"sensor\":\"radar-b\",\"t\":\"2026-03-01T02:00:00Z\",\"detections\":[]}",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        CU_ASSERT_EQUAL(bf_mqtt_publish(pub, DET_TOPIC, junk[i], strlen(junk[i]), 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
    /* counted per kind in the status, and the engine is still online */
    CU_ASSERT_TRUE(wait_status("online", "syntax", 1, 10));
    CU_ASSERT_TRUE(wait_status("online", "schema", 1, 10));
    CU_ASSERT_TRUE(wait_status("online", "time", 1, 10));
    CU_ASSERT_TRUE(wait_status("online", "identity", 1, 10));
    bf_mqtt_destroy(pub);

    char *sim_argv[] = {(char *)it_bin("apps/borderfuse-sim"), "--scenario",
                        (char *)bf_test_src("tests/data/e2e/scenario.json"), "--mqtt-url", url,
                        "--scorecard", scorecard, "--truth", truth, "--settle-s", "3", "--quiet",
                        "--report", report, NULL};
    pid_t sim = it_spawn(sim_argv, slog);
    CU_ASSERT_TRUE_FATAL(sim > 0);
    int sim_rc = it_wait(sim, 120);
    CU_ASSERT_EQUAL(sim_rc, 0);
    if (sim_rc != 0) {
        char *l = bf_test_read_file(slog, NULL);
        fprintf(stderr, "\n--- sim log ---\n%s\n", l ? l : "(none)");
        free(l);
    }
    it_sleep_ms(1500);   /* three more status periods */

    /* ---- the alerts the centre received ---- */
    int n = it_collector_count(centre, ALERTS_TOPIC);
    CU_ASSERT_TRUE_FATAL(n > 0);
    bf_time_us t0;
    CU_ASSERT_EQUAL_FATAL(bf_time_parse_iso("2026-03-01T02:00:00Z", &t0), 0);
    int incursion_new = 0, malformed = 0;
    char incursion_id[64] = "";
    double last_seq = 0;
    bool seq_grows = true;
    for (int i = 0; i < n; i++) {
        cJSON *a = it_collector_json(centre, ALERTS_TOPIC, i);
        if (!a) {
            malformed++;
            continue;
        }
        double seq = it_jnum(a, "seq");
        seq_grows = seq_grows && seq > last_seq;
        last_seq = seq;
        CU_ASSERT_STRING_EQUAL(it_jstr(a, "site"), "it");
        CU_ASSERT_FALSE(cJSON_IsTrue(cJSON_GetObjectItem(a, "exercise")));
        if (strcmp(it_jstr(a, "type"), "INCURSION") == 0) {
            if (incursion_id[0] == '\0')
                snprintf(incursion_id, sizeof incursion_id, "%s", it_jstr(a, "id"));
            CU_ASSERT_STRING_EQUAL(it_jstr(a, "id"), incursion_id);   /* one alert, updated */
        }
        if (strcmp(it_jstr(a, "type"), "INCURSION") == 0 && strcmp(it_jstr(a, "state"), "NEW") == 0) {
            incursion_new++;
            CU_ASSERT_STRING_EQUAL(it_jstr(a, "severity"), "high");
            CU_ASSERT_STRING_EQUAL(it_jstr(cJSON_GetObjectItem(a, "zone"), "id"), "border");
            const cJSON *pos = cJSON_GetObjectItem(a, "position");
            double d = metres(46.80001, 8.22, it_jnum(pos, "lat"), it_jnum(pos, "lon"));
            CU_ASSERT_TRUE(d < 150);
            bf_time_us first, crossing;
            CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(a, "first_time"), &first), 0);
            CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(a, "crossing_time"), &crossing), 0);
            double lag = bf_time_to_s(first - t0) - 159.7, cross_err = bf_time_to_s(crossing - t0) - 159.7;
            CU_ASSERT_TRUE(lag > -30 && lag < 45);
            CU_ASSERT_TRUE(fabs(cross_err) < 20);
            CU_ASSERT_TRUE(it_jnum(a, "track_id") > 0);
            CU_ASSERT_TRUE(it_jnum(a, "confidence") >= 0.5 && it_jnum(a, "confidence") <= 1);
            CU_ASSERT_TRUE(it_jnum(a, "hits") >= 5);
            CU_ASSERT_STRING_EQUAL(it_jstr(a, "class"), "person");
            const cJSON *sens = cJSON_GetObjectItem(a, "sensors");
            CU_ASSERT_EQUAL(cJSON_GetArraySize(sens), 1);
            CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(sens, 0)->valuestring, "radar-a");
            CU_ASSERT_PTR_NOT_NULL(strstr(it_jstr(a, "explanation"), "crossed Test border"));
        }
        cJSON_Delete(a);
    }
    CU_ASSERT_EQUAL(malformed, 0);
    CU_ASSERT_TRUE(seq_grows);
    CU_ASSERT_EQUAL(incursion_new, 1);
    CU_ASSERT_NOT_EQUAL(incursion_id[0], '\0');

    /* the journal holds exactly what was published, in the same order */
    size_t jlen;
    char *jtext = bf_test_read_file(journal, &jlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(jtext);
    int lines = 0, same = 0;
    for (char *save = NULL, *line = strtok_r(jtext, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), lines++) {
        char *got = lines < n ? it_collector_text(centre, ALERTS_TOPIC, lines) : NULL;
        size_t plen;   /* the journal line without its crc32 member is what was published */
        same += got && bf_journal_line_payload(line, strlen(line), &plen) &&
                plen == strlen(got) && memcmp(line, got, plen) == 0;
        free(got);
    }
    CU_ASSERT_EQUAL(lines, n);
    CU_ASSERT_EQUAL(same, n);
    free(jtext);

    /* ---- the scorecard of the simulator ---- */
    char *sc_text = bf_test_read_file(scorecard, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc_text);
    cJSON *sc = cJSON_Parse(sc_text);
    free(sc_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(it_jnum(sc, "crossings"), 1);
    CU_ASSERT_EQUAL(it_jnum(sc, "alerted"), 1);
    CU_ASSERT_EQUAL(it_jnum(sc, "missed"), 0);
    CU_ASSERT_EQUAL(it_jnum(sc, "duplicates"), 0);
    CU_ASSERT_EQUAL(it_jnum(sc, "false_alerts"), 0);
    CU_ASSERT_EQUAL(it_jnum(sc, "quiet_incursions"), 0);
    CU_ASSERT_EQUAL(it_jnum(sc, "alerts_received"), n);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(sc, "crossing_list"), 0);
    CU_ASSERT_STRING_EQUAL(it_jstr(c0, "target"), "walker");
    CU_ASSERT_STRING_EQUAL(it_jstr(c0, "alert_id"), incursion_id);
    const cJSON *tl = cJSON_GetObjectItem(sc, "targets");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(tl), 4);
    for (int i = 1; i < 4; i++) {   /* runner, truck, deer */
        const cJSON *t = cJSON_GetArrayItem(tl, i);
        CU_ASSERT_FALSE(cJSON_IsTrue(cJSON_GetObjectItem(t, "crossed")));
        CU_ASSERT_EQUAL(it_jnum(t, "incursion_alerts"), 0);
    }
    double sent = it_jnum(sc, "detections_sent");
    CU_ASSERT_TRUE(sent > 100);
    /* --report: the engine's track pictures were followed and the walker was found */
    const cJSON *acc = cJSON_GetObjectItem(sc, "track_accuracy");
    CU_ASSERT_TRUE(it_jnum(acc, "pictures_scored") >= 3);
    CU_ASSERT_TRUE(it_jnum(acc, "gospa_mean_m") >= 0);
    const cJSON *ttf = cJSON_GetArrayItem(cJSON_GetObjectItem(sc, "time_to_first_track"), 0);
    CU_ASSERT_STRING_EQUAL(it_jstr(ttf, "target"), "walker");
    CU_ASSERT_TRUE(it_jnum(ttf, "time_to_first_track_s") >= 0);
    CU_ASSERT_EQUAL(it_jnum(sc, "false_alerts_per_hour"), 0);
    char rpath[600];
    snprintf(rpath, sizeof rpath, "%s/report.html", report);
    char *html = bf_test_read_file(rpath, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    /* the crossings table names the walker's crossing as alerted */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<tr><td>walker</td><td>02:02:3"));
    const char *row = strstr(html, "<tr><td>walker</td>");
    const char *verdict = row ? strstr(row, "<td>alerted</td>") : NULL;
    CU_ASSERT_TRUE(verdict && verdict < strstr(row, "</tr>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<svg "));
    free(html);
    snprintf(rpath, sizeof rpath, "%s/map.svg", report);
    html = bf_test_read_file(rpath, NULL);
    CU_ASSERT_TRUE(html && strstr(html, "class=\"track\"") != NULL);
    free(html);

    /* ---- the status: every detection received, the junk still counted ---- */
    cJSON *st = it_collector_json(centre, STATUS_TOPIC, -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_STRING_EQUAL(it_jstr(st, "state"), "online");
    const cJSON *det = cJSON_GetObjectItem(st, "detections");
    CU_ASSERT_EQUAL(it_jnum(det, "received"), sent);
    CU_ASSERT_EQUAL(it_jnum(det, "processed"), sent);
    CU_ASSERT_EQUAL(it_jnum(det, "late"), 0);
    CU_ASSERT_EQUAL(it_jnum(det, "malformed_messages"), 4);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "sensors"), 0);
    CU_ASSERT_STRING_EQUAL(it_jstr(s0, "id"), "radar-a");
    CU_ASSERT_EQUAL(it_jnum(s0, "detections"), sent);
    CU_ASSERT_EQUAL(it_jnum(cJSON_GetObjectItem(st, "alerts"), "published"), n);
    CU_ASSERT_TRUE(it_jnum(cJSON_GetObjectItem(st, "tracks"), "initiated") >= 4);
    cJSON_Delete(st);
    cJSON_Delete(sc);

    /* ---- the engine dies: the broker publishes its will, retained ---- */
    kill(engine, SIGKILL);
    CU_ASSERT_EQUAL(it_wait(engine, 10), 128 + SIGKILL);
    CU_ASSERT_TRUE(wait_status("offline", NULL, 0, 10));
    bf_mqtt_destroy(sub);
    /* and a centre that connects later still learns it */
    it_collector_free(centre);
    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    so.client_id = "it-centre-late";
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, STATUS_TOPIC, 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_TRUE(wait_status("offline", NULL, 0, 10));
    bf_mqtt_destroy(sub);

    char *l = bf_test_read_file(elog, NULL);
    CU_ASSERT_PTR_NOT_NULL(l);
    /* each kind of fault logged once, naming the sensor */
    CU_ASSERT_TRUE(l && strstr(l, "radar-a: refused a message (syntax)") != NULL);
    free(l);
    it_stop(broker);
    it_collector_free(centre);
    centre = NULL;
}

static CU_TestInfo tests[] = {
    {"simulator -> broker -> engine -> alerts", test_whole_chain},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/e2e", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
