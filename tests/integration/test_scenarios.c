/*
 * test_scenarios.c - the scenario library (config/scenarios/) played through
 * the real chain, each with its expected outcome asserted.
 *
 * For every config/scenarios/<name>.json (its engine configuration beside
 * it as <name>.engine.json): a fresh engine process on a private mosquitto,
 * then borderfuse-sim playing the scenario at its own time_scale (0, as fast
 * as the engine keeps up, for those whose sensors all speak MQTT - one
 * connection keeps their order at any speed; a finite scale for those mixing
 * transports), with --broker-pid so that a scripted broker outage really
 * stops the broker.  The simulator checks the scenario's "expect" and exits
 * 3 when it is not met; here the exit status and the scorecard's "expect"
 * result are asserted, and every failed expectation is printed.  A dispatch
 * console subscribed to borderfuse/+/units/+ must see every response unit a
 * scenario names.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "it_util.h"

#define MAX_SCENARIOS 32

/* Topics seen on borderfuse/+/units/+ (response units the simulator reports). */
static struct {
    pthread_mutex_t lock;
    char topics[64][160];
    int n;
} units = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_unit(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)ctx, (void)payload, (void)len;
    pthread_mutex_lock(&units.lock);
    bool known = false;
    for (int i = 0; i < units.n && !known; i++)
        known = strcmp(units.topics[i], topic) == 0;
    if (!known && units.n < 64)
        snprintf(units.topics[units.n++], sizeof units.topics[0], "%s", topic);
    pthread_mutex_unlock(&units.lock);
}

static bool unit_seen(const char *topic)
{
    pthread_mutex_lock(&units.lock);
    bool seen = false;
    for (int i = 0; i < units.n && !seen; i++)
        seen = strcmp(units.topics[i], topic) == 0;
    pthread_mutex_unlock(&units.lock);
    return seen;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Scenario names (without .json) in config/scenarios/, sorted. */
static size_t list_scenarios(char **names, size_t max)
{
    DIR *d = opendir(bf_test_src("config/scenarios"));
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
            (len > 12 && strcmp(e->d_name + len - 12, ".engine.json") == 0))
            continue;
        names[n] = strndup(e->d_name, len - 5);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    return n;
}

/* Play one scenario; returns true when its expected outcome was met. */
static bool play(const char *tmp, const char *name, int port, pid_t broker)
{
    char url[64], scen[512], cfg[600], journal[600], elog[600], slog[600], card[600], bpid[32];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(scen, sizeof scen, "%s", bf_test_src("config/scenarios"));
    snprintf(cfg, sizeof cfg, "%s/%s.engine.json", scen, name);
    snprintf(scen + strlen(scen), sizeof scen - strlen(scen), "/%s.json", name);
    snprintf(journal, sizeof journal, "%s/%s.journal.jsonl", tmp, name);
    snprintf(elog, sizeof elog, "%s/%s.engine.log", tmp, name);
    snprintf(slog, sizeof slog, "%s/%s.sim.log", tmp, name);
    snprintf(card, sizeof card, "%s/%s.scorecard.json", tmp, name);
    snprintf(bpid, sizeof bpid, "%d", (int)broker);

    char *eargv[] = {(char *)it_bin("apps/borderfuse"), "--config", cfg, "--mqtt-url", url,
                     "--journal", journal, NULL};
    pid_t engine = it_spawn(eargv, elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    it_sleep_ms(700);   /* subscribed before the first scan */
    char *sargv[] = {(char *)it_bin("apps/borderfuse-sim"), "--scenario", scen, "--mqtt-url", url,
                     "--settle-s", "2", "--broker-pid", bpid,
                     "--scorecard", card, "--quiet", NULL};
    pid_t sim = it_spawn(sargv, slog);
    CU_ASSERT_TRUE_FATAL(sim > 0);
    int rc = it_wait(sim, 120);
    CU_ASSERT_EQUAL(it_stop(engine), 0);

    bool met = false;
    char *text = bf_test_read_file(card, NULL);
    cJSON *sc = text ? cJSON_Parse(text) : NULL;
    const cJSON *ex = cJSON_GetObjectItem(sc, "expect");
    const cJSON *failed = cJSON_GetObjectItem(ex, "failed");
    CU_ASSERT_PTR_NOT_NULL(ex);   /* every library scenario says what it expects */
    if (cJSON_IsNumber(failed))
        met = rc == 0 && failed->valuedouble == 0;
    printf("\n  %-22s exit %d, %s; crossings %.0f: alerted %.0f, missed %.0f; false alerts %.0f",
           name, rc, met ? "expected outcome met" : "NOT MET", it_jnum(sc, "crossings"),
           it_jnum(sc, "alerted"), it_jnum(sc, "missed"), it_jnum(sc, "false_alerts"));
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(ex, "results"))
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItem(r, "met")))
            printf("\n      FAIL %s", cJSON_GetObjectItem(r, "what")->valuestring);
    }
    if (!met && rc != 0 && rc != 3) {
        char *l = bf_test_read_file(slog, NULL);
        printf("\n--- %s sim log ---\n%s\n", name, l ? l : "(none)");
        free(l);
    }
    cJSON_Delete(sc);
    free(text);

    /* its response units reported for dispatch on borderfuse/<site>/units/<id> */
    char *st = bf_test_read_file(scen, NULL);
    cJSON *sj = st ? cJSON_Parse(st) : NULL;
    const cJSON *u;
    cJSON_ArrayForEach(u, cJSON_GetObjectItem(sj, "units"))
    {
        char topic[200];
        snprintf(topic, sizeof topic, "borderfuse/%s/units/%s",
                 cJSON_GetObjectItem(sj, "site")->valuestring,
                 cJSON_GetObjectItem(u, "id")->valuestring);
        bool seen = false;
        for (int i = 0; i < 40 && !seen; i++) {
            seen = unit_seen(topic);
            if (!seen)
                it_sleep_ms(50);
        }
        printf("\n      unit %s: %s", topic, seen ? "reported" : "NOT REPORTED");
        CU_ASSERT_TRUE(seen);
    }
    cJSON_Delete(sj);
    free(st);
    return met;
}

static void test_library(void)
{
    char *names[MAX_SCENARIOS];
    size_t n = list_scenarios(names, MAX_SCENARIOS);
    CU_ASSERT_FATAL(n >= 17);   /* the library docs/scenario.md lists */
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-dispatch", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/+/units/+", 0, on_unit, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    size_t met = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = play(tmp, names[i], port, broker);
        CU_ASSERT_TRUE(ok);
        met += ok;
        free(names[i]);
    }
    printf("\n  %zu of %zu scenarios met their expected outcome\n", met, n);
    fflush(stdout);
    bf_mqtt_destroy(sub);
    it_stop(broker);
}

static CU_TestInfo tests[] = {
    {"every library scenario meets its expected outcome", test_library},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"scenario library", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
