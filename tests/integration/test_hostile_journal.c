/*
 * test_hostile_journal.c - the alert journal against a second engine, a
 * crash, and a journal torn, corrupted in the middle and zeroed
 * (docs/alerts.md, "Journal"): a private mosquitto, the engine as a process
 * with one "json" radar, this test as the radar and the situation centre.
 *
 * Asserted: a second engine on the same journal refuses to start and names
 * the first one's pid; after the first is SIGKILLed with an INCURSION live,
 * its journal torn at the end and a line in the middle corrupted, the
 * restarted engine publishes that INCURSION's RESOLVED ("engine restarted")
 * and nothing malformed; after the journal is zeroed, a new alert's seq is
 * above every seq seen before; no seq ever names two different messages.
 */
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

#define SITE "ithj"
#define ROOT "borderfuse/" SITE "/"

static struct it_collector *centre;

/* Every alert message parses, has an id and a seq, and no seq names two different messages. */
static void check_alerts(uint64_t *max_seq, int *n_out)
{
    int n = it_collector_count(centre, ROOT "alerts");
    int malformed = 0, reused = 0;
    *max_seq = 0;
    for (int i = 0; i < n; i++) {
        char *ti = it_collector_text(centre, ROOT "alerts", i);
        cJSON *a = cJSON_Parse(ti);
        if (!a || !it_jstr(a, "id")[0] || !(it_jnum(a, "seq") >= 1) || cJSON_HasObjectItem(a, "crc32"))
            malformed++;
        uint64_t s = a ? (uint64_t)it_jnum(a, "seq") : 0;
        if (s > *max_seq)
            *max_seq = s;
        for (int k = 0; k < i && a; k++) {
            char *tk = it_collector_text(centre, ROOT "alerts", k);
            cJSON *b = cJSON_Parse(tk);
            if (b && (uint64_t)it_jnum(b, "seq") == s && strcmp(tk, ti) != 0)
                reused++;
            cJSON_Delete(b);
            free(tk);
        }
        cJSON_Delete(a);
        free(ti);
    }
    CU_ASSERT_EQUAL(malformed, 0);
    CU_ASSERT_EQUAL(reused, 0);
    *n_out = n;
}

static bool has_reason(const cJSON *a, const void *id)
{
    return !strcmp(it_jstr(a, "id"), id) && !strcmp(it_jstr(a, "state"), "RESOLVED") &&
           !strcmp(it_jstr(a, "reason"), "engine restarted");
}

static void test_hostile_journal(void)
{
    const char *tmp = bf_test_tmpdir();
    struct it_scene sc;
    CU_ASSERT_EQUAL_FATAL(it_scene_broker(&sc, tmp), 0);
    char elog2[512], elog3[512], journal[512];
    snprintf(elog2, sizeof elog2, "%s/engine2.log", tmp);
    snprintf(elog3, sizeof elog3, "%s/engine3.log", tmp);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", tmp);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(sc.conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"always\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3}"), 0);
    CU_ASSERT_EQUAL_FATAL(it_scene_start(&sc, "it-hj", ROOT, NULL), 0);
    centre = sc.centre;
    struct bf_mqtt *pub = sc.pub;
    pid_t engine = sc.engine;
    const char *conf = sc.conf, *url = sc.url, *elog = sc.elog;

    /* ---- a second engine on the same journal: refused, the holder named ---- */
    pid_t second = it_start_engine(conf, url, "info", elog2);
    CU_ASSERT_TRUE_FATAL(second > 0);
    int rc2 = it_wait(second, 15);
    CU_ASSERT_NOT_EQUAL(rc2, 0);
    char want[64];
    snprintf(want, sizeof want, "pid %ld", (long)engine);
    char *log2 = bf_test_read_file(elog2, NULL);
    CU_ASSERT_PTR_NOT_NULL(log2 ? strstr(log2, want) : NULL);
    if (!log2 || !strstr(log2, want))
        it_show_log(elog2);
    free(log2);
    CU_ASSERT_EQUAL(kill(engine, 0), 0);   /* the first one runs on */

    /* ---- an INCURSION, then the engine dies ---- */
    struct it_walker w = {.pub = pub, .topic = ROOT "sensors/radar-a/detections",
                          .sensor = "radar-a", .lat0 = 46.80, .north0_m = 30.0, .lon = 8.205,
                          .speed_mps = 2.0, .m_per_deg = 111200.0};
    w.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 120) * BF_US_PER_S;
    CU_ASSERT_EQUAL(it_publish_walker(&w, 0, 30), 0);
    struct it_alert_want want_inc = {.type = "INCURSION", .state = "NEW"};
    cJSON *inc = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_inc, 15);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inc);
    char id[64];
    snprintf(id, sizeof id, "%s", it_jstr(inc, "id"));
    cJSON_Delete(inc);
    it_sleep_ms(1000);
    kill(engine, SIGKILL);
    it_wait(engine, 10);
    uint64_t max1;
    int n1;
    check_alerts(&max1, &n1);

    /* ---- torn at the end, a line in the middle corrupted ---- */
    size_t jlen;
    char *jt = bf_test_read_file(journal, &jlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(jt);
    char *l2 = strchr(jt, '\n');
    CU_ASSERT_PTR_NOT_NULL_FATAL(l2);
    char *hit = strstr(l2 + 1, "\"site\"");
    if (hit)
        hit[1] = 'S';   /* same length, the crc no longer matches */
    FILE *f = fopen(journal, "wb");
    fwrite(jt, 1, jlen, f);
    fputs("{\"id\":\"torn\",\"seq\":999999,\"si", f);
    fclose(f);
    free(jt);

    engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    cJSON *closed = it_collector_wait_json(centre, ROOT "alerts", has_reason, id, 15);
    CU_ASSERT_PTR_NOT_NULL(closed);
    if (closed)
        CU_ASSERT_TRUE(it_jnum(closed, "seq") > (double)max1);
    cJSON_Delete(closed);
    char *log = bf_test_read_file(elog, NULL);
    CU_ASSERT_PTR_NOT_NULL(log ? strstr(log, "corrupt line") : NULL);
    CU_ASSERT_PTR_NOT_NULL(log ? strstr(log, "torn last line") : NULL);
    free(log);
    it_sleep_ms(1500);
    uint64_t max2;
    int n2;
    check_alerts(&max2, &n2);
    CU_ASSERT_TRUE(max2 > max1);
    CU_ASSERT_TRUE(max2 < 999999);   /* the torn line was never read as an alert */
    it_stop(engine);

    /* ---- the journal zeroed: numbering goes on above everything seen ---- */
    CU_ASSERT_EQUAL(truncate(journal, 0), 0);
    engine = it_start_engine(conf, url, "info", elog3);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    it_sleep_ms(1500);
    w.north0_m = 40.0;
    w.lon = 8.30;
    w.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 60) * BF_US_PER_S;
    int before = it_collector_count(centre, ROOT "alerts");
    CU_ASSERT_EQUAL(it_publish_walker(&w, 0, 30), 0);
    bool got = false;
    uint64_t new_seq = 0;
    for (int t = 0; t < 150 && !got; t++) {
        for (int i = before; i < it_collector_count(centre, ROOT "alerts"); i++) {
            cJSON *a = it_collector_json(centre, ROOT "alerts", i);
            if (a && !strcmp(it_jstr(a, "type"), "INCURSION")) {
                got = true;
                new_seq = (uint64_t)it_jnum(a, "seq");
            }
            cJSON_Delete(a);
        }
        if (!got)
            it_sleep_ms(100);
    }
    CU_ASSERT_TRUE(got);
    CU_ASSERT_TRUE(new_seq > max2);
    uint64_t max3;
    int n3;
    check_alerts(&max3, &n3);
    printf("\n  hostile journal: second engine refused (holder pid named); %d alerts before the "
           "kill (max seq %llu), %d after the torn+corrupt restart (max seq %llu), new INCURSION "
           "after the journal was zeroed: seq %llu\n", n1, (unsigned long long)max1, n2,
           (unsigned long long)max2, (unsigned long long)new_seq);
    it_stop(engine);
    it_scene_close(&sc);
}

static CU_TestInfo tests[] = {
    {"second engine refused; torn, corrupt and zeroed journals; no seq reused", test_hostile_journal},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"hostile journal", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
