/*
 * test_blind_sensor.c - a metamorphic test over the whole scenario library:
 * adding a sensor that sees none of the targets changes no alert.
 *
 * The relation: a radar 30 km south of every scenario's area, with a 2 km
 * range that covers no target and no clutter, sends only empty scans.  It
 * adds no information about anything the other sensors watch, so the engine
 * must raise exactly the same alerts with it as without it.  An engine that
 * counts a radar's empty scan as a miss for tracks far outside that radar's
 * coverage (no coverage-aware misses) drops or weakens tracks and changes its
 * alerts: this test catches that.
 *
 * For every config/scenarios/<name>.json, two variants are written to the
 * test's folder - identical but for the extra radar "radar-blind" (in the
 * scenario and, as a JSON radar, in the engine configuration): paths made
 * absolute, and every radar's scan phase written out (the default phase of
 * radar i of n depends on n, and adding a radar must not move the others'
 * scans).  Each is played once, with the scenario's own seed and time
 * scale, against a fresh engine on a private mosquitto, as test_scenarios.c
 * does.  The alert streams are the engines' journals, line by line: id (a
 * UUIDv5 of site, type, track, zone and first_time, so deterministic), type,
 * state, track, zone, first_time and time must be identical.  When they
 * differ, the variant without the radar is played again: if that differs
 * from its first run too, the scenario is not reproducible at its time scale
 * and that is reported instead (both are failures).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "it_util.h"

#define MAX_SCENARIOS 32
#define MAX_LINES 20000

/* The blind radar: 30 km south of the library's origin (46.80 N 8.20 E), 2 km range. */
#define BLIND_LAT 46.530245
#define BLIND_LON 8.2
#define BLIND_RANGE_M 2000

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

static cJSON *read_json(const char *path)
{
    char *t = bf_test_read_file(path, NULL);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    free(t);
    return j;
}

static bool write_json(const char *path, const cJSON *j)
{
    char *t = cJSON_Print(j);
    bool ok = t && it_write_file(path, 0644, "%s\n", t) == 0;
    free(t);
    return ok;
}

/* Make the string member key of o absolute against dir (when it is relative). */
static void absolute(cJSON *o, const char *key, const char *dir)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    if (!cJSON_IsString(v) || v->valuestring[0] == '/')
        return;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, v->valuestring);
    cJSON_ReplaceItemInObject(o, key, cJSON_CreateString(p));
}

/*
 * Write dir/<name>-<tag>.json and dir/<name>-<tag>.engine.json: the library's scenario and
 * engine configuration with absolute paths and explicit radar phases, plus the blind radar
 * when blind.  Returns false when the files cannot be read or written.
 */
static bool write_variant(const char *dir, const char *name, const char *tag, bool blind,
                          char *scen_out, char *cfg_out, size_t cap)
{
    const char *lib = bf_test_src("config/scenarios");
    char libdir[1024], p[1200];
    snprintf(libdir, sizeof libdir, "%s", lib);
    snprintf(p, sizeof p, "%s/%s.json", libdir, name);
    cJSON *s = read_json(p);
    snprintf(p, sizeof p, "%s/%s.engine.json", libdir, name);
    cJSON *e = read_json(p);
    if (!s || !e) {
        cJSON_Delete(s);
        cJSON_Delete(e);
        return false;
    }
    absolute(s, "zones", libdir);
    cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(s, "ground_sensors"))
        absolute(g, "hmac_key_file", libdir);
    cJSON *radars = cJSON_GetObjectItem(s, "radars");
    int n = cJSON_GetArraySize(radars), i = 0;
    cJSON *r;
    cJSON_ArrayForEach(r, radars)
    {
        if (!cJSON_GetObjectItem(r, "phase_s"))   /* docs/scenario.md: scan_period_s * i / n */
            cJSON_AddNumberToObject(r, "phase_s",
                                    it_jnum(r, "scan_period_s") * (double)i / (double)n);
        i++;
    }
    absolute(e, "zones", libdir);
    if (blind) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "id", "radar-blind");
        cJSON_AddNumberToObject(b, "lat", BLIND_LAT);
        cJSON_AddNumberToObject(b, "lon", BLIND_LON);
        cJSON_AddNumberToObject(b, "range_m", BLIND_RANGE_M);
        cJSON_AddNumberToObject(b, "scan_period_s", 2.0);
        cJSON_AddNumberToObject(b, "phase_s", 0.25);
        cJSON_AddNumberToObject(b, "pd", 0.9);
        cJSON_AddNumberToObject(b, "clutter_per_scan", 0);
        cJSON_AddItemToArray(radars, b);
        cJSON *eb = cJSON_CreateObject();
        cJSON_AddStringToObject(eb, "id", "radar-blind");
        cJSON_AddStringToObject(eb, "type", "json");
        cJSON_AddNumberToObject(eb, "lat", BLIND_LAT);
        cJSON_AddNumberToObject(eb, "lon", BLIND_LON);
        cJSON_AddNumberToObject(eb, "alt_m", 0);
        cJSON_AddNumberToObject(eb, "range_m", BLIND_RANGE_M);
        cJSON_AddNumberToObject(eb, "sigma_m", 10);
        cJSON_AddNumberToObject(eb, "sigma_range_m", 10);
        cJSON_AddNumberToObject(eb, "sigma_bearing_deg", 0.2);
        cJSON_AddItemToArray(cJSON_GetObjectItem(e, "sensors"), eb);
    }
    snprintf(scen_out, cap, "%s/%s-%s.json", dir, name, tag);
    snprintf(cfg_out, cap, "%s/%s-%s.engine.json", dir, name, tag);
    bool ok = write_json(scen_out, s) && write_json(cfg_out, e);
    cJSON_Delete(s);
    cJSON_Delete(e);
    return ok;
}

/* The alert stream of a journal: one normalised line per alert change. */
struct stream {
    char **line;
    size_t n;
};

static void stream_free(struct stream *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->line[i]);
    free(st->line);
    st->line = NULL;
    st->n = 0;
}

static void stream_read(const char *journal, struct stream *st)
{
    st->line = calloc(MAX_LINES, sizeof *st->line);
    st->n = 0;
    char *text = bf_test_read_file(journal, NULL);
    if (!text || !st->line) {
        free(text);
        return;
    }
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && st->n < MAX_LINES;
         l = strtok_r(NULL, "\n", &save)) {
        cJSON *a = cJSON_Parse(l);
        if (!a)
            continue;
        char buf[512];
        snprintf(buf, sizeof buf, "%s %s %s track %.0f zone %s first %s time %s",
                 it_jstr(a, "id"), it_jstr(a, "type"), it_jstr(a, "state"),
                 it_jnum(a, "track_id"), it_jstr(cJSON_GetObjectItem(a, "zone"), "id"),
                 it_jstr(a, "first_time"), it_jstr(a, "time"));
        st->line[st->n++] = strdup(buf);
        cJSON_Delete(a);
    }
    free(text);
}

/* Index of the first line where a and b differ, or -1 when they are the same. */
static long stream_diff(const struct stream *a, const struct stream *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->line[i], b->line[i]) != 0)
            return (long)i;
    return a->n == b->n ? -1 : (long)n;
}

/* Play one variant; its journal's stream into *st.  Returns the simulator's exit status. */
static int play(const char *tmp, const char *scen, const char *cfg, const char *tag, int port,
                pid_t broker, struct stream *st)
{
    char url[64], journal[1200], elog[1200], slog[1200], bpid[32];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(journal, sizeof journal, "%s/%s.journal.jsonl", tmp, tag);
    snprintf(elog, sizeof elog, "%s/%s.engine.log", tmp, tag);
    snprintf(slog, sizeof slog, "%s/%s.sim.log", tmp, tag);
    snprintf(bpid, sizeof bpid, "%d", (int)broker);
    remove(journal);
    char delivered[1300];
    snprintf(delivered, sizeof delivered, "%s.delivered", journal);
    remove(delivered);
    char *eargv[] = {(char *)it_bin("apps/borderfuse"), "--config", (char *)cfg, "--mqtt-url", url,
                     "--journal", journal, NULL};
    pid_t engine = it_spawn(eargv, elog);
    if (engine <= 0)
        return -1;
    it_sleep_ms(700);   /* subscribed before the first scan */
    char *sargv[] = {(char *)it_bin("apps/borderfuse-sim"), "--scenario", (char *)scen,
                     "--mqtt-url", url, "--settle-s", "2", "--broker-pid", bpid, "--quiet", NULL};
    pid_t sim = it_spawn(sargv, slog);
    int rc = sim > 0 ? it_wait(sim, 180) : -1;
    it_stop(engine);
    stream_read(journal, st);
    return rc;
}

static void test_blind_radar_changes_nothing(void)
{
    char *names[MAX_SCENARIOS];
    size_t n = list_scenarios(names, MAX_SCENARIOS);
    CU_ASSERT_FATAL(n >= 9);
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    size_t same = 0, differ = 0, unrepro = 0, unplayable = 0;
    char failed[2048] = "";
    for (size_t i = 0; i < n; i++) {
        char s0[1200], c0[1200], s1[1200], c1[1200];
        bool ok = write_variant(tmp, names[i], "plain", false, s0, c0, sizeof s0) &&
                  write_variant(tmp, names[i], "blind", true, s1, c1, sizeof s1);
        CU_ASSERT_TRUE(ok);
        struct stream a = {0}, b = {0};
        int ra = ok ? play(tmp, s0, c0, "plain", port, broker, &a) : -1;
        int rb = ok ? play(tmp, s1, c1, "blind", port, broker, &b) : -1;
        const char *verdict;
        if ((ra != 0 && ra != 3) || (rb != 0 && rb != 3)) {
            verdict = "NOT PLAYED";   /* the scenario does not load, or the run failed */
            unplayable++;
            printf("\n  %-22s simulator exit %d without, %d with the blind radar (logs in %s)",
                   names[i], ra, rb, tmp);
        } else {
            long d = stream_diff(&a, &b);
            if (d < 0) {
                verdict = "same";
                same++;
            } else {
                struct stream a2 = {0};
                play(tmp, s0, c0, "plain-again", port, broker, &a2);
                bool repro = stream_diff(&a, &a2) < 0;
                stream_free(&a2);
                verdict = repro ? "DIFFERENT" : "NOT REPRODUCIBLE";
                if (repro)
                    differ++;
                else
                    unrepro++;
                printf("\n  %-22s %zu alert changes without, %zu with; first difference at %ld:"
                       "\n      without: %s\n      with:    %s",
                       names[i], a.n, b.n, d, (size_t)d < a.n ? a.line[d] : "(end)",
                       (size_t)d < b.n ? b.line[d] : "(end)");
            }
        }
        if (strcmp(verdict, "same") != 0)
            snprintf(failed + strlen(failed), sizeof failed - strlen(failed), "%s%s (%s)",
                     failed[0] ? ", " : "", names[i], verdict);
        printf("\n  %-22s %s (%zu alert changes)", names[i], verdict, a.n);
        fflush(stdout);
        stream_free(&a);
        stream_free(&b);
        free(names[i]);
    }
    printf("\n  blind radar: %zu of %zu scenarios kept every alert; %zu changed, %zu not "
           "reproducible, %zu not played%s%s\n",
           same, n, differ, unrepro, unplayable, failed[0] ? ": " : "", failed);
    CU_ASSERT_EQUAL(differ, 0);
    CU_ASSERT_EQUAL(unrepro, 0);
    CU_ASSERT_EQUAL(unplayable, 0);
    it_stop(broker);
}

static CU_TestInfo tests[] = {
    {"a radar that sees no target changes no alert, in every library scenario",
     test_blind_radar_changes_nothing},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"blind sensor (metamorphic)", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
