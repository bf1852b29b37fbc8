/*
 * test_demo.c - the demo scenario (config/demo/, what scripts/demo.sh plays)
 * through a private mosquitto, the real engine with its demo configuration
 * and the simulator, four times faster than the demo itself.
 *
 * Asserted: the scenario's own expected outcome (both walkers and the group
 * alerted; the walker who turns back, the patrol car and the deer not; no
 * false alert from the radars' clutter); in the journal, no INCURSION for a
 * track classed animal and exactly one INCURSION per crossing; and the
 * confidence claim of docs/alerts.md: the walker who crosses at the ford,
 * seen by radar-west AND the seismic sensor ugs-ford, is alerted with a higher
 * confidence than the walker seen by one radar alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "it_util.h"

#define MAX_IDS 256

struct incursion {
    char id[40];
    double max_conf;
    bool ugs;           /* ugs-ford among its sensors in some message */
    int n_sensors;      /* most sensors named in one message */
    char cls[16];
};

static bool names(const cJSON *arr, const char *who)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, arr)
    {
        if (cJSON_IsString(s) && strcmp(s->valuestring, who) == 0)
            return true;
    }
    return false;
}

static void test_demo(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], journal[600], elog[600], slog[600], card[600], bpid[32];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(journal, sizeof journal, "%s/demo.journal.jsonl", tmp);
    snprintf(elog, sizeof elog, "%s/demo.engine.log", tmp);
    snprintf(slog, sizeof slog, "%s/demo.sim.log", tmp);
    snprintf(card, sizeof card, "%s/demo.scorecard.json", tmp);
    snprintf(bpid, sizeof bpid, "%d", (int)broker);
    char cfg[512], scen[512];
    snprintf(cfg, sizeof cfg, "%s", bf_test_src("config/demo/borderfuse.json"));
    snprintf(scen, sizeof scen, "%s", bf_test_src("config/demo/scenario.json"));

    char *eargv[] = {(char *)it_bin("apps/borderfuse"), "--config", cfg, "--mqtt-url", url,
                     "--journal", journal, NULL};
    pid_t engine = it_spawn(eargv, elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    it_sleep_ms(700);
    char *sargv[] = {(char *)it_bin("apps/borderfuse-sim"), "--scenario", scen, "--mqtt-url", url,
                     "--time-scale", "100", "--settle-s", "2", "--broker-pid", bpid,
                     "--scorecard", card, "--quiet", NULL};
    pid_t sim = it_spawn(sargv, slog);
    CU_ASSERT_TRUE_FATAL(sim > 0);
    int rc = it_wait(sim, 120);
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    it_stop(broker);
    CU_ASSERT_EQUAL(rc, 0);   /* 3: the expected outcome was not met */

    /* the scorecard's expectations, one by one, so a failure says which */
    char *text = bf_test_read_file(card, NULL);
    cJSON *sc = text ? cJSON_Parse(text) : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    const cJSON *r;
    int results = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "expect"), "results"))
    {
        results++;
        bool met = cJSON_IsTrue(cJSON_GetObjectItem(r, "met"));
        const cJSON *what = cJSON_GetObjectItem(r, "what");
        printf("\n  %s: %s", met ? "met" : "NOT MET", cJSON_IsString(what) ? what->valuestring : "?");
        CU_ASSERT_TRUE(met);
    }
    CU_ASSERT_TRUE(results >= 7);   /* 3 alerted + 3 not alerted + false alerts */
    cJSON_Delete(sc);
    free(text);

    /* the journal: every INCURSION, its best confidence and its sensors */
    struct incursion inc[MAX_IDS];
    int n = 0;
    char *j = bf_test_read_file(journal, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    for (char *line = strtok(j, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *a = cJSON_Parse(line);
        const cJSON *type = cJSON_GetObjectItem(a, "type");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "INCURSION") != 0) {
            cJSON_Delete(a);
            continue;
        }
        const char *id = cJSON_GetObjectItem(a, "id")->valuestring;
        int k = 0;
        while (k < n && strcmp(inc[k].id, id) != 0)
            k++;
        if (k == n && n < MAX_IDS) {
            memset(&inc[n], 0, sizeof inc[n]);
            snprintf(inc[n].id, sizeof inc[n].id, "%s", id);
            n++;
        }
        if (k < n) {
            const cJSON *sens = cJSON_GetObjectItem(a, "sensors");
            double c = cJSON_GetNumberValue(cJSON_GetObjectItem(a, "confidence"));
            if (c > inc[k].max_conf)
                inc[k].max_conf = c;
            inc[k].ugs |= names(sens, "ugs-ford");
            if (cJSON_GetArraySize(sens) > inc[k].n_sensors)
                inc[k].n_sensors = cJSON_GetArraySize(sens);
            snprintf(inc[k].cls, sizeof inc[k].cls, "%s",
                     cJSON_GetObjectItem(a, "class")->valuestring);
        }
        cJSON_Delete(a);
    }
    free(j);

    CU_ASSERT_EQUAL(n, 3);   /* walker-1, walker-2, the group: one each */
    double best_fused = -1, best_single = -1;
    for (int k = 0; k < n; k++) {
        printf("\n  INCURSION %s class %s, best confidence %.3f, %d sensor(s)%s", inc[k].id,
               inc[k].cls, inc[k].max_conf, inc[k].n_sensors, inc[k].ugs ? ", ugs-ford among them" : "");
        CU_ASSERT_STRING_NOT_EQUAL(inc[k].cls, "animal");
        if (inc[k].ugs && inc[k].max_conf > best_fused)
            best_fused = inc[k].max_conf;
        if (!inc[k].ugs && inc[k].n_sensors == 1 && inc[k].max_conf > best_single)
            best_single = inc[k].max_conf;
    }
    printf("\n  radar + ground sensor %.3f, one radar alone %.3f\n", best_fused, best_single);
    CU_ASSERT_TRUE(best_fused > 0);
    CU_ASSERT_TRUE(best_single > 0);
    CU_ASSERT_TRUE(best_fused > best_single);
}

static CU_TestInfo tests[] = {
    {"the demo scenario: expected outcome, no animal, fused confidence", test_demo},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"demo", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
