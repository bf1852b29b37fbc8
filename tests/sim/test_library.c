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
#include "engine/config.h"
#include "geo/geo.h"
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
    int lrc = bf_sim_scenario_load(sp, &s, NULL);
    CU_ASSERT_EQUAL(lrc, 0);   /* not fatal: the other entries are still checked */
    if (lrc != 0) {
        fprintf(stderr, "\n%s does not load\n", sp);
        return;
    }
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
        {"long-range-edge", 4, "edge-4"},   {"camera-looking-away", 2, "walker-2"},
        {"ground-sensor-gap", 1, "walker"}, {"parallel-road", 0, NULL},
        {"animal-herd", 2, "herd"},         {"fast-shallow-vehicle", 2, "car-fast"},
        {"zigzag-border", 3, "runner"},
        /* crossing-point needs the zone kind "crossing_point" (geo/zones.c) to load */
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

static struct bf_sim_scenario *load_library(const char *name, struct bf_sim_crossing **cr,
                                            size_t *n)
{
    char sp[1024];
    snprintf(sp, sizeof sp, "%s/%s.json", bf_test_src("config/scenarios"), name);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_sim_scenario_load(sp, &s, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, cr, n), 0);
    return s;
}

/* The hard cases are as hard as they say: the geometry each one was written for. */
static void test_library_hard_cases(void)
{
    struct bf_sim_crossing *cr;
    size_t n;
    /* long-range edge: every crossing at 90-99 % of the radar's range, Pd 0.3-0.4 there */
    struct bf_sim_scenario *s = load_library("long-range-edge", &cr, &n);
    const struct bf_sim_radar *r = &s->radars[0];
    for (size_t i = 0; i < n; i++) {
        double d = hypot(cr[i].e_m - r->e_m, cr[i].n_m - r->n_m);
        double pd = bf_sim_radar_pd(r, BF_CLASS_PERSON, d);
        printf("\n    %s crosses at %.1f %% of the range, Pd %.2f", cr[i].key,
               100 * d / r->range_m, pd);
        CU_ASSERT_TRUE(d >= 0.9 * r->range_m && d <= 0.99 * r->range_m);
        CU_ASSERT_TRUE(pd >= 0.3 && pd <= 0.4);
    }
    free(cr);
    bf_sim_scenario_destroy(s);
    /* camera looking away: walker-1's crossing is outside the camera's field of view */
    s = load_library("camera-looking-away", &cr, &n);
    const struct bf_sim_camera *cam = &s->cameras[0];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cr[i].key, "walker-1") != 0)
            continue;
        double b = atan2(cr[i].e_m - cam->e_m, cr[i].n_m - cam->n_m) * 180 / M_PI;
        double off = fabs(fmod(b - cam->heading_deg + 540.0, 360.0) - 180.0);
        printf("\n    walker-1 crosses %.0f m from the camera, %.0f deg off its axis",
               hypot(cr[i].e_m - cam->e_m, cr[i].n_m - cam->n_m), off);
        CU_ASSERT_TRUE(off > 90);   /* behind it */
        CU_ASSERT_TRUE(hypot(cr[i].e_m - cam->e_m, cr[i].n_m - cam->n_m) < 300);
    }
    free(cr);
    bf_sim_scenario_destroy(s);
    /* ground-sensor gap: the radar's coverage ends 100-140 m inside, north of the crossing */
    s = load_library("ground-sensor-gap", &cr, &n);
    r = &s->radars[0];
    CU_ASSERT_EQUAL_FATAL(n, 1);
    double reach_n = r->n_m - sqrt(r->range_m * r->range_m -
                                   (cr[0].e_m - r->e_m) * (cr[0].e_m - r->e_m));
    printf("\n    the radar first sees the walker %.0f m inside", reach_n - cr[0].n_m);
    CU_ASSERT_TRUE(reach_n - cr[0].n_m >= 100 && reach_n - cr[0].n_m <= 140);
    free(cr);
    bf_sim_scenario_destroy(s);
    /* animal herd: both crossings are the herd's, owing no alert */
    s = load_library("animal-herd", &cr, &n);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_FALSE(bf_sim_crossing_owes_alert(&cr[i]));
    free(cr);
    bf_sim_scenario_destroy(s);
    /* fast vehicles: 25 and 30 m/s at the line */
    s = load_library("fast-shallow-vehicle", &cr, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    BF_ASSERT_NEAR(cr[0].speed_mps, 25, 0.01);
    BF_ASSERT_NEAR(cr[1].speed_mps, 30, 0.01);
    free(cr);
    bf_sim_scenario_destroy(s);
    /* zig-zag: a border of 200+ vertices; the runner crosses twice, minutes apart */
    s = load_library("zigzag-border", &cr, &n);
    const double *xy;
    CU_ASSERT_TRUE(bf_geo_line_vertices(s->zones, 0, &xy) >= 200);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(cr[2].key, "runner");
    CU_ASSERT_TRUE(cr[2].t_s - cr[0].t_s > 300);
    free(cr);
    bf_sim_scenario_destroy(s);
}

static CU_TestInfo library_tests[] = {
    {"every scenario in config/ and tests/data loads; its keys are in the schema",
     test_all_scenarios_load},
    {"library: short, with expect, engine config matching site and radars", test_library},
    {"library: the true crossings each scenario was designed for", test_library_truth},
    {"library: the hard cases are as hard as they say", test_library_hard_cases},
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
