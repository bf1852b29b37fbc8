/*
 * test_library.c - every scenario in the repository loads with the real
 * loader, and the library (config/scenarios/) keeps its promises.
 *
 * There is no JSON Schema validator among our dependencies, so the schema
 * (docs/scenario.schema.json) is kept in step with the loader by hand; this
 * suite is the guard that can run: (1) every scenario file found under
 * config/ and tests/data/ (a JSON object with "radars" and "targets") loads
 * without a single diagnostic; (2) every key those files use is named in the
 * schema; (3) each library scenario is short (<= 600 s), says what it
 * expects, and has an engine configuration <name>.engine.json beside it that
 * loads with the engine's own loader and names the same site, origin, frame
 * and radars (JSON over MQTT, same positions and range).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "fusion/config.h"
#include "sim/sim.h"
#include "sim_fixture.h"

#define MAX_FILES 256


/* Is the file a scenario (an object with "radars" and "targets")? */
static bool is_scenario(const char *path)
{
    char *t = bf_test_read_file(path, NULL);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    bool yes = cJSON_IsObject(j) && cJSON_GetObjectItem(j, "radars") &&
               cJSON_GetObjectItem(j, "targets");
    cJSON_Delete(j);
    free(t);
    return yes;
}

/* Every scenario file under dir (recursively), appended to paths. */
static void find_scenarios(const char *dir, char **paths, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        size_t len = strlen(e->d_name);
        if (S_ISDIR(st.st_mode))
            find_scenarios(p, paths, n);
        else if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && is_scenario(p) &&
                 *n < MAX_FILES)
            paths[(*n)++] = strdup(p);
    }
    closedir(d);
}

/* Report object keys of node missing from the schema text (free-form maps skipped). */
static size_t keys_missing(const cJSON *node, const char *schema, const char *file)
{
    size_t missing = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, node) {
        if (cJSON_IsObject(node) && it->string) {
            char q[160];
            snprintf(q, sizeof q, "\"%s\"", it->string);
            if (!strstr(schema, q)) {
                fprintf(stderr, "\n%s: key \"%s\" is not in docs/scenario.schema.json\n", file,
                        it->string);
                missing++;
            }
            /* names, not keys: roads, water bodies; expect is the lead's free-form object */
            if (strcmp(it->string, "roads") == 0 || strcmp(it->string, "water") == 0 ||
                strcmp(it->string, "expect") == 0)
                continue;
        }
        if (cJSON_IsObject(it) || cJSON_IsArray(it))
            missing += keys_missing(it, schema, file);
    }
    return missing;
}

static void test_all_scenarios_load(void)
{
    char *paths[MAX_FILES];
    size_t n = 0;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", bf_test_src("config"));
    find_scenarios(dir, paths, &n);
    size_t in_config = n;
    snprintf(dir, sizeof dir, "%s", bf_test_src("tests/data"));
    find_scenarios(dir, paths, &n);
    CU_ASSERT_TRUE(in_config >= 9);   /* the demo and the library */
    CU_ASSERT_TRUE(n > in_config);    /* tests/data/e2e */
    char *schema = bf_test_read_file(bf_test_src("docs/scenario.schema.json"), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(schema);
    cJSON *sj = cJSON_Parse(schema);
    CU_ASSERT_PTR_NOT_NULL(sj);   /* the schema itself is JSON */
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(sj, "$schema")),
                           "https://json-schema.org/draft/2020-12/schema");
    cJSON_Delete(sj);
    for (size_t i = 0; i < n; i++) {
        struct fx_diags d;
        fx_diags_init(&d);
        struct bf_sim_scenario *s = NULL;
        int rc = bf_sim_scenario_load(paths[i], &s, &d.diag);
        if (rc != 0 || d.n != 0) {
            fprintf(stderr, "\n%s does not load:\n", paths[i]);
            fx_diags_dump(&d);
        }
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(d.n, 0);
        bf_sim_scenario_destroy(s);
        char *t = bf_test_read_file(paths[i], NULL);
        cJSON *j = cJSON_Parse(t);
        CU_ASSERT_EQUAL(keys_missing(j, schema, paths[i]), 0);
        cJSON_Delete(j);
        free(t);
        free(paths[i]);
    }
    free(schema);
}

/* One library scenario against its engine configuration. */
static void check_library_entry(const char *name)
{
    char sp[1024], cp[1024];
    snprintf(sp, sizeof sp, "%s/%s.json", bf_test_src("config/scenarios"), name);
    snprintf(cp, sizeof cp, "%s/%s.engine.json", bf_test_src("config/scenarios"), name);
    struct bf_sim_scenario *s = NULL;
    struct bf_config *c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_sim_scenario_load(sp, &s, NULL), 0);
    struct fx_diags d;
    fx_diags_init(&d);
    int rc = bf_config_load(cp, &c, &d.diag);
    if (rc != 0) {
        fprintf(stderr, "\n%s does not load:\n", cp);
        fx_diags_dump(&d);
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_TRUE(s->duration_s <= 600);
    CU_ASSERT_PTR_NOT_NULL(s->expect);
    CU_ASSERT_STRING_EQUAL(s->site, c->site);
    BF_ASSERT_NEAR(s->origin_lat_deg, c->origin_lat_deg, 1e-9);
    BF_ASSERT_NEAR(s->origin_lon_deg, c->origin_lon_deg, 1e-9);
    CU_ASSERT_STRING_EQUAL(s->crs, c->crs);
    for (size_t i = 0; i < s->n_radars; i++) {
        const struct bf_sim_radar *r = &s->radars[i];
        CU_ASSERT_FALSE(r->asterix);   /* JSON over MQTT keeps scans in order at time scale 0 */
        int k = bf_config_sensor_find(c, r->id);
        CU_ASSERT_TRUE_FATAL(k >= 0);
        const struct bf_sensor_cfg *sc = &c->sensors[k];
        CU_ASSERT_STRING_EQUAL(sc->type, "json");
        BF_ASSERT_NEAR(sc->lat_deg, r->lat_deg, 1e-9);
        BF_ASSERT_NEAR(sc->lon_deg, r->lon_deg, 1e-9);
        BF_ASSERT_NEAR(sc->range_m, r->range_m, 1e-6);
    }
    /* a scenario that takes a sensor down wants the engine to notice */
    size_t n_ev;
    const struct bf_sim_event *ev = bf_sim_events(s, &n_ev);
    for (size_t i = 0; i < n_ev; i++)
        if (ev[i].type == BF_SIM_EVENT_SENSOR_DOWN) {
            int k = bf_config_sensor_find(c, ev[i].sensor);
            CU_ASSERT_TRUE_FATAL(k >= 0);
            CU_ASSERT_TRUE(c->sensors[k].heartbeat_timeout_s > 0);
        }
    bf_config_destroy(c);
    bf_sim_scenario_destroy(s);
}

static void test_library(void)
{
    DIR *d = opendir(bf_test_src("config/scenarios"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
            (len > 12 && strcmp(e->d_name + len - 12, ".engine.json") == 0))
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
        check_library_entry(name);
        n++;
    }
    closedir(d);
    CU_ASSERT_TRUE(n >= 8);
}

/* The truth of the library: what each scenario was designed to do. */
static void test_library_truth(void)
{
    static const struct {
        const char *name;
        size_t crossings;
        const char *first;   /* key of the first crossing, or NULL */
    } want[] = {
        {"quiet-night", 0, NULL},       {"walkers-in-clutter", 2, "walker-1"},
        {"group-split", 1, "group-1"},  {"convoy", 0, NULL},
        {"animals-at-fence", 0, NULL},  {"river-boat", 1, "boat"},
        {"radar-failure", 1, "walker"}, {"exercise-run", 1, "walker"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char sp[1024];
        snprintf(sp, sizeof sp, "%s/%s.json", bf_test_src("config/scenarios"), want[i].name);
        struct bf_sim_scenario *s = NULL;
        CU_ASSERT_EQUAL_FATAL(bf_sim_scenario_load(sp, &s, NULL), 0);
        struct bf_sim_crossing *cr;
        size_t n;
        CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n), 0);
        CU_ASSERT_EQUAL(n, want[i].crossings);
        if (n > 0 && want[i].first) {
            CU_ASSERT_STRING_EQUAL(cr[0].key, want[i].first);
            /* early enough for the alert to come before the end */
            CU_ASSERT_TRUE(cr[0].t_s < s->duration_s - 120);
        }
        if (strcmp(want[i].name, "group-split") == 0 && n == 1)
            CU_ASSERT_EQUAL(cr[0].members, 3);
        if (strcmp(want[i].name, "exercise-run") == 0)
            CU_ASSERT_TRUE(s->exercise);
        free(cr);
        bf_sim_scenario_destroy(s);
    }
}

static CU_TestInfo library_tests[] = {
    {"every scenario in config/ and tests/data loads; its keys are in the schema",
     test_all_scenarios_load},
    {"library: short, with expect, engine config matching site and radars", test_library},
    {"library: the true crossings each scenario was designed for", test_library_truth},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim library", NULL, NULL, NULL, NULL, library_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
