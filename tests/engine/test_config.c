/*
 * test_config.c - the engine configuration loader.
 *
 * A full configuration (tests/engine/data/full.json, every key away from its
 * default) must load with every value as written; a minimal one must get
 * every documented default; and each broken configuration in the table must
 * fail with exactly the listed diagnostics: line:col, JSON path and a
 * fragment of the message telling how to fix it.  Broken configurations are
 * written to the test's temporary directory next to a zones file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "engine/config.h"
#include "engine/engine.h"

/* ---- collecting diagnostics --------------------------------------------------- */

#define MAX_MSGS 16

struct collect {
    int n;
    char file[MAX_MSGS][512];
    char msg[MAX_MSGS][1024];   /* "line:col: path: message", without the file */
};

static void collect_report(void *ctx, const char *file, int line, int col, const char *path,
                           const char *msg)
{
    struct collect *c = ctx;
    if (c->n < MAX_MSGS) {
        snprintf(c->file[c->n], sizeof c->file[0], "%s", file ? file : "");
        bf_diag_format(c->msg[c->n], sizeof c->msg[0], NULL, line, col, path, msg);
    }
    c->n++;
}

static struct collect col;
static struct bf_diag diag;

static void reset(void)
{
    memset(&col, 0, sizeof col);
    diag = (struct bf_diag){.report = collect_report, .ctx = &col, .n_errors = 0};
}

static void dump(void)
{
    for (int i = 0; i < col.n && i < MAX_MSGS; i++)
        printf("\n    [%d] %s", i, col.msg[i]);
    printf("\n");
}

static const char *data_path(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s", bf_test_src("tests/engine/data/"));
    strncat(buf, name, sizeof buf - strlen(buf) - 1);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* A config file in the temporary directory, beside a zones file. */
static const char *tmp_config(const char *name, const char *text)
{
    static char path[1024];
    char zones[1024];
    snprintf(zones, sizeof zones, "%s/zones.geojson", bf_test_tmpdir());
    write_file(zones, "{\"type\": \"FeatureCollection\", \"features\": []}\n");
    snprintf(path, sizeof path, "%s/%s", bf_test_tmpdir(), name);
    write_file(path, text);
    return path;
}

/* ---- a full configuration -------------------------------------------------------- */

static void test_full(void)
{
    reset();
    char path[1024];
    snprintf(path, sizeof path, "%s", data_path("full.json"));
    struct bf_config *c = NULL;
    int r = bf_config_load(path, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(diag.n_errors, 0);

    char want[1200];
    CU_ASSERT_STRING_EQUAL(c->path, path);
    CU_ASSERT_STRING_EQUAL(c->site, "north-ridge_2");
    BF_ASSERT_NEAR(c->origin_lat_deg, 46.80, 0);
    BF_ASSERT_NEAR(c->origin_lon_deg, 8.20, 0);
    CU_ASSERT_STRING_EQUAL(c->crs, "EPSG:32632");
    snprintf(want, sizeof want, "%s", data_path("zones.geojson"));
    CU_ASSERT_STRING_EQUAL(c->zones_path, want);
    CU_ASSERT_EQUAL(c->log_level, BF_LOG_DEBUG);

    CU_ASSERT_STRING_EQUAL(c->mqtt.url, "ssl://broker.example:8883");
    CU_ASSERT_STRING_EQUAL(c->mqtt.client_id, "bf-north");
    snprintf(want, sizeof want, "%s", data_path("mqtt-credentials.json"));
    CU_ASSERT_STRING_EQUAL(c->mqtt.credentials_path, want);
    CU_ASSERT_EQUAL(c->mqtt.keepalive_s, 30);

    CU_ASSERT_EQUAL_FATAL(c->n_sensors, 2);
    const struct bf_sensor_cfg *s = &c->sensors[0];
    CU_ASSERT_STRING_EQUAL(s->id, "radar-west");
    CU_ASSERT_STRING_EQUAL(s->type, "json");
    BF_ASSERT_NEAR(s->lat_deg, 46.79, 0);
    BF_ASSERT_NEAR(s->lon_deg, 8.12, 0);
    BF_ASSERT_NEAR(s->alt_m, 1200.5, 0);
    BF_ASSERT_NEAR(s->range_m, 8000, 0);
    BF_ASSERT_NEAR(s->sigma_m, 12, 0);
    BF_ASSERT_NEAR(s->sigma_range_m, 15, 0);
    BF_ASSERT_NEAR(s->sigma_bearing_deg, 0.3, 0);
    BF_ASSERT_NEAR(s->e_m, 0, 0);
    BF_ASSERT_NEAR(s->n_m, 0, 0);
    /* options are the plugin's: passed through unchecked, borrowed from the doc */
    CU_ASSERT_PTR_NOT_NULL_FATAL(s->options);
    CU_ASSERT_TRUE(cJSON_IsObject(s->options));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(s->options, "anything")), 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(s->options, "port")->valueint, 4000);
    struct bf_json_where w;
    CU_ASSERT_TRUE(bf_json_doc_where(c->doc, s->options, &w));
    CU_ASSERT_STRING_EQUAL(w.path, "sensors[0].options");
    CU_ASSERT_EQUAL(w.line, 11);

    s = &c->sensors[1];
    CU_ASSERT_STRING_EQUAL(s->id, "ugs.7");
    CU_ASSERT_STRING_EQUAL(s->type, "ugs");
    BF_ASSERT_NEAR(s->lat_deg, -33.5, 0);
    BF_ASSERT_NEAR(s->lon_deg, -70.25, 0);
    BF_ASSERT_NEAR(s->alt_m, 0, 0);
    BF_ASSERT_NEAR(s->range_m, 10000, 0);
    BF_ASSERT_NEAR(s->sigma_m, 10, 0);
    BF_ASSERT_NEAR(s->sigma_range_m, 10, 0);
    BF_ASSERT_NEAR(s->sigma_bearing_deg, 0.5, 0);
    CU_ASSERT_PTR_NULL(s->options);
    /* its coverage (docs/coverage.md) */
    BF_ASSERT_NEAR(s->coverage.min_range_m, 5, 0);
    CU_ASSERT_EQUAL_FATAL(s->coverage.n_sectors, 2);
    BF_ASSERT_NEAR(s->coverage.sectors_deg[0][0], 300, 0);
    BF_ASSERT_NEAR(s->coverage.sectors_deg[0][1], 60, 0);
    BF_ASSERT_NEAR(s->coverage.sectors_deg[1][0], 90, 0);
    BF_ASSERT_NEAR(s->coverage.sectors_deg[1][1], 120, 0);
    CU_ASSERT_TRUE(isnan(s->coverage.pd));
    CU_ASSERT_EQUAL_FATAL(s->coverage.n_pd_points, 2);
    BF_ASSERT_NEAR(s->coverage.pd_by_range[1][0], 500, 0);
    BF_ASSERT_NEAR(s->coverage.pd_by_range[1][1], 0.4, 0);
    CU_ASSERT_TRUE(isnan(s->coverage.heading_deg));   /* not a camera */
    snprintf(want, sizeof want, "%s", data_path("../../../config/terrain/ridge-valley.tif"));
    CU_ASSERT_STRING_EQUAL(c->terrain.dem_path, want);
    BF_ASSERT_NEAR(c->terrain.target_height_m, 2, 0);
    BF_ASSERT_NEAR(c->terrain.cell_m, 30, 0);

    const struct bf_tracker_params *t = &c->tracker;
    BF_ASSERT_NEAR(t->q_accel_mps2, 0.8, 0);
    BF_ASSERT_NEAR(t->gate_sigma, 4, 0);
    CU_ASSERT_EQUAL(t->confirm_m, 2);
    CU_ASSERT_EQUAL(t->confirm_n, 5);
    CU_ASSERT_EQUAL(t->delete_misses, 7);
    CU_ASSERT_EQUAL(t->delete_misses_tentative, 3);
    BF_ASSERT_NEAR(t->init_speed_sigma_mps, 6, 0);
    BF_ASSERT_NEAR(t->max_speed_mps, 40, 0);
    BF_ASSERT_NEAR(t->max_pos_sigma_m, 250, 0);
    CU_ASSERT_EQUAL(t->max_tracks, 500);
    BF_ASSERT_NEAR(t->clutter_density, 2e-7, 0);

    const struct bf_alert_params *a = &c->alerts;
    BF_ASSERT_NEAR(a->approach_distance_m, 0, 0);
    BF_ASSERT_NEAR(a->approach_time_s, 60, 0);
    CU_ASSERT_EQUAL(a->min_hits, 3);
    BF_ASSERT_NEAR(a->min_confidence, 0.7, 0);
    BF_ASSERT_NEAR(a->resolve_after_s, 90, 0);
    BF_ASSERT_NEAR(a->update_min_interval_s, 2, 0);
    snprintf(want, sizeof want, "%s", data_path("alerts.jsonl"));
    CU_ASSERT_STRING_EQUAL(a->journal_path, want);
    CU_ASSERT_EQUAL(a->journal_fsync, BF_FSYNC_NEVER);
    CU_ASSERT_TRUE(a->exercise);

    CU_ASSERT_EQUAL(c->engine.reorder_window_us, 250000);
    CU_ASSERT_EQUAL(c->engine.queue_capacity, 1024);
    BF_ASSERT_NEAR(c->engine.status_period_s, 1.5, 0);
    BF_ASSERT_NEAR(c->engine.idle_flush_s, 0.5, 0);

    CU_ASSERT_EQUAL(bf_config_sensor_find(c, "radar-west"), 0);
    CU_ASSERT_EQUAL(bf_config_sensor_find(c, "ugs.7"), 1);
    CU_ASSERT_EQUAL(bf_config_sensor_find(c, "ugs"), -1);
    CU_ASSERT_EQUAL(bf_config_sensor_find(c, NULL), -1);
    CU_ASSERT_EQUAL(bf_config_sensor_find(NULL, "ugs.7"), -1);
    bf_config_destroy(c);
    bf_config_destroy(NULL);
}

/* ---- a minimal configuration gets every default --------------------------------------- */

static void check_defaults(const struct bf_config *c)
{
    CU_ASSERT_STRING_EQUAL(c->crs, "aeqd");
    CU_ASSERT_EQUAL(c->log_level, BF_LOG_INFO);
    CU_ASSERT_STRING_EQUAL(c->mqtt.url, "tcp://127.0.0.1:1883");
    CU_ASSERT_PTR_NULL(c->mqtt.credentials_path);
    CU_ASSERT_EQUAL(c->mqtt.keepalive_s, 20);

    const struct bf_sensor_cfg *s = &c->sensors[0];
    BF_ASSERT_NEAR(s->alt_m, 0, 0);
    BF_ASSERT_NEAR(s->range_m, 10000, 0);
    BF_ASSERT_NEAR(s->sigma_m, 10, 0);
    BF_ASSERT_NEAR(s->sigma_range_m, 10, 0);
    BF_ASSERT_NEAR(s->sigma_bearing_deg, 0.5, 0);

    const struct bf_tracker_params *t = &c->tracker;
    BF_ASSERT_NEAR(t->q_accel_mps2, 0.5, 0);
    BF_ASSERT_NEAR(t->gate_sigma, 3, 0);
    CU_ASSERT_EQUAL(t->confirm_m, 3);
    CU_ASSERT_EQUAL(t->confirm_n, 4);
    CU_ASSERT_EQUAL(t->delete_misses, 5);
    CU_ASSERT_EQUAL(t->delete_misses_tentative, 2);
    BF_ASSERT_NEAR(t->init_speed_sigma_mps, 5, 0);
    BF_ASSERT_NEAR(t->max_speed_mps, 60, 0);
    BF_ASSERT_NEAR(t->max_pos_sigma_m, 500, 0);
    CU_ASSERT_EQUAL(t->max_tracks, 10000);
    BF_ASSERT_NEAR(t->clutter_density, 1e-6, 0);

    const struct bf_alert_params *a = &c->alerts;
    BF_ASSERT_NEAR(a->approach_distance_m, 300, 0);
    BF_ASSERT_NEAR(a->approach_time_s, 120, 0);
    CU_ASSERT_EQUAL(a->min_hits, 5);
    BF_ASSERT_NEAR(a->min_confidence, 0.5, 0);
    BF_ASSERT_NEAR(a->resolve_after_s, 120, 0);
    BF_ASSERT_NEAR(a->update_min_interval_s, 5, 0);
    CU_ASSERT_EQUAL(a->journal_fsync, BF_FSYNC_ALWAYS);
    CU_ASSERT_FALSE(a->exercise);

    CU_ASSERT_EQUAL(c->engine.reorder_window_us, 500000);
    CU_ASSERT_EQUAL(c->engine.queue_capacity, 65536);
    BF_ASSERT_NEAR(c->engine.status_period_s, 5, 0);
    BF_ASSERT_NEAR(c->engine.idle_flush_s, 2, 0);
}

static void test_minimal(void)
{
    reset();
    struct bf_config *c = NULL;
    int r = bf_config_load(data_path("minimal.json"), &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(diag.n_errors, 0);
    CU_ASSERT_STRING_EQUAL(c->site, "demo");
    BF_ASSERT_NEAR(c->origin_lat_deg, 46.8, 0);
    BF_ASSERT_NEAR(c->origin_lon_deg, 8.2, 0);
    CU_ASSERT_STRING_EQUAL(c->zones_path, data_path("zones.geojson"));
    CU_ASSERT_STRING_EQUAL(c->mqtt.client_id, "borderfuse-demo");
    CU_ASSERT_STRING_EQUAL(c->alerts.journal_path, data_path("journal.jsonl"));
    CU_ASSERT_EQUAL_FATAL(c->n_sensors, 1);
    CU_ASSERT_STRING_EQUAL(c->sensors[0].id, "radar-west");
    CU_ASSERT_STRING_EQUAL(c->sensors[0].type, "json");
    BF_ASSERT_NEAR(c->sensors[0].lat_deg, 46.79, 0);
    BF_ASSERT_NEAR(c->sensors[0].lon_deg, 8.12, 0);
    CU_ASSERT_PTR_NULL(c->sensors[0].options);
    /* coverage: a disc with the tracker's pd; no terrain */
    CU_ASSERT_EQUAL(c->sensors[0].coverage.n_sectors, 0);
    CU_ASSERT_EQUAL(c->sensors[0].coverage.n_pd_points, 0);
    BF_ASSERT_NEAR(c->sensors[0].coverage.min_range_m, 0, 0);
    CU_ASSERT_TRUE(isnan(c->sensors[0].coverage.pd));
    CU_ASSERT_PTR_NULL(c->terrain.dem_path);
    BF_ASSERT_NEAR(c->terrain.target_height_m, 1.5, 0);
    BF_ASSERT_NEAR(c->terrain.cell_m, 25, 0);
    check_defaults(c);
    bf_config_destroy(c);
}

/* Empty sections are allowed and keep the defaults. */
static void test_empty_sections(void)
{
    reset();
    const char *p = tmp_config("empty-sections.json",
        "{\"site\": \"s\", \"origin\": {\"lat\": 0, \"lon\": 0}, \"zones\": \"zones.geojson\",\n"
        " \"sensors\": [{\"id\": \"a\", \"type\": \"json\", \"lat\": 0, \"lon\": 0, \"options\": {}}],\n"
        " \"mqtt\": {}, \"tracker\": {}, \"alerts\": {}, \"engine\": {}}\n");
    struct bf_config *c = NULL;
    int r = bf_config_load(p, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    check_defaults(c);
    CU_ASSERT_PTR_NOT_NULL(c->sensors[0].options);
    CU_ASSERT_STRING_EQUAL(c->mqtt.client_id, "borderfuse-s");
    char want[1024];
    snprintf(want, sizeof want, "%s/zones.geojson", bf_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(c->zones_path, want);
    bf_config_destroy(c);
}

/* "$schema" (for editors, docs/schemas/config.schema.json) is accepted and ignored; a
 * misspelt one is an unknown key like any other. */
static void test_schema_key(void)
{
    reset();
    const char *p = tmp_config("schema-key.json",
        "{\"$schema\": \"../docs/schemas/config.schema.json\",\n"
        " \"site\": \"s\", \"origin\": {\"lat\": 0, \"lon\": 0}, \"zones\": \"zones.geojson\",\n"
        " \"sensors\": [{\"id\": \"a\", \"type\": \"json\", \"lat\": 0, \"lon\": 0}]}\n");
    struct bf_config *c = NULL;
    int r = bf_config_load(p, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(diag.n_errors, 0);
    check_defaults(c);
    bf_config_destroy(c);

    reset();
    p = tmp_config("schema-key-typo.json",
        "{\"$schemas\": \"config.schema.json\",\n"
        " \"site\": \"s\", \"origin\": {\"lat\": 0, \"lon\": 0}, \"zones\": \"zones.geojson\",\n"
        " \"sensors\": [{\"id\": \"a\", \"type\": \"json\", \"lat\": 0, \"lon\": 0}]}\n");
    c = NULL;
    r = bf_config_load(p, &c, &diag);
    CU_ASSERT_EQUAL(r, BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL_FATAL(col.n, 1);
    printf("\n  %s\n", col.msg[0]);
    CU_ASSERT_PTR_NOT_NULL(strstr(col.msg[0], "unknown key \"$schemas\"; did you mean \"$schema\"?"));
    bf_config_destroy(c);
}

/* Absolute paths are kept as they are. */
static void test_absolute_paths(void)
{
    reset();
    char zones[1024], text[4096];
    snprintf(zones, sizeof zones, "%s", data_path("zones.geojson"));
    CU_ASSERT_FATAL(zones[0] == '/' || getenv("BF_SOURCE_DIR") == NULL);
    if (zones[0] != '/')
        return;
    snprintf(text, sizeof text,
             "{\"site\": \"s\", \"origin\": {\"lat\": 0, \"lon\": 0}, \"zones\": \"%s\",\n"
             " \"sensors\": [{\"id\": \"a\", \"type\": \"json\", \"lat\": 0, \"lon\": 0}],\n"
             " \"alerts\": {\"journal\": \"%s/j.jsonl\"}}\n", zones, bf_test_tmpdir());
    const char *p = tmp_config("absolute.json", text);
    struct bf_config *c = NULL;
    int r = bf_config_load(p, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_STRING_EQUAL(c->zones_path, zones);
    char want[1100];
    snprintf(want, sizeof want, "%s/j.jsonl", bf_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(c->alerts.journal_path, want);
    bf_config_destroy(c);
}

/* ---- broken configurations ------------------------------------------------------------ */

struct want {
    const char *where;   /* "line:col: path: " exactly (path may be absent) */
    const char *frag;    /* a part of the message */
};

struct broken {
    const char *name;
    const char *text;
    int n;               /* number of diagnostics */
    struct want w[8];
};

#define HEAD "{\"site\": \"demo\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": \"zones.geojson\",\n"
#define S1 " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12}]"

static const struct broken broken_cases[] = {
    {"wrong type", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
                        "   \"range_m\": \"far\"}]}",
     1, {{"3:15: sensors[0].range_m: ", "expected a number > 0 and <= 1e6 (metres), got a string \"far\""}}},
    {"out of range", HEAD S1 ",\n \"tracker\": {\"gate_sigma\": 12}}",
     1, {{"3:28: tracker.gate_sigma: ", "expected a number between 1 and 10 (standard deviations), got 12"}}},
    {"zero range", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
                        "   \"range_m\": 0}]}",
     1, {{"3:15: sensors[0].range_m: ", "expected a number > 0 and <= 1e6 (metres), got 0"}}},
    {"unknown key with suggestion",
     HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
          "   \"rnage_m\": 100}]}",
     1, {{"3:4: sensors[0].rnage_m: ", "unknown key \"rnage_m\"; did you mean \"range_m\"?"}}},
    {"cot tcp_tls without tcp", HEAD S1 ",\n \"cot\": {\"tcp_tls\": {\"verify_hostname\": false}}}",
     1, {{"3:21: cot.tcp_tls: ", "\"tcp_tls\" is set but \"tcp\" is not"}}},
    {"log_format unknown", HEAD S1 ",\n \"log_format\": \"xml\"}",
     1, {{"3:16: log_format: ", "\"xml\""}}},
    {"unknown root key", HEAD S1 ",\n \"trackr\": {}}",
     1, {{"3:2: trackr: ", "unknown key \"trackr\"; did you mean \"tracker\"?"}}},
    {"unknown key in origin",
     "{\"site\": \"demo\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2, \"height\": 3},\n"
     " \"zones\": \"zones.geojson\",\n" S1 "}",
     1, {{"1:54: origin.height: ", "unknown key \"height\"; the keys allowed here are \"lat\", \"lon\""}}},
    {"unknown key in mqtt", HEAD S1 ",\n \"mqtt\": {\"keepalive\": 20}}",
     1, {{"3:11: mqtt.keepalive: ", "unknown key \"keepalive\"; did you mean \"keepalive_s\"?"}}},
    {"unknown key in engine", HEAD S1 ",\n \"engine\": {\"queue_capacty\": 100}}",
     1, {{"3:13: engine.queue_capacty: ", "did you mean \"queue_capacity\"?"}}},
    {"unknown key in alerts", HEAD S1 ",\n \"alerts\": {\"Exercise\": true}}",
     1, {{"3:13: alerts.Exercise: ", "unknown key \"Exercise\"; did you mean \"exercise\"?"}}},
    {"missing required key", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\",\n   \"lon\": 8.12}]}",
     1, {{"2:14: sensors[0]: ", "missing required key \"lat\": expected a latitude between -90 and 90"}}},
    {"missing sections", "{\"site\": \"demo\", \"zones\": \"zones.geojson\"}",
     2, {{"1:1: ", "missing required key \"origin\""}, {"1:1: ", "missing required key \"sensors\""}}},
    {"duplicate sensor id",
     HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12},\n"
          "   {\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.7, \"lon\": 8.1}]}",
     1, {{"3:11: sensors[1].id: ", "duplicate sensor id \"r1\" (first at line 2)"}}},
    {"bad enum", HEAD S1 ",\n \"alerts\": {\"journal_fsync\": \"sometimes\"}}",
     1, {{"3:30: alerts.journal_fsync: ", "expected one of \"always\", \"never\", got \"sometimes\""}}},
    {"bad log level", HEAD S1 ",\n \"log_level\": \"verbose\"}",
     1, {{"3:15: log_level: ", "expected one of \"error\", \"warn\", \"info\", \"debug\", got \"verbose\""}}},
    {"bad site name",
     "{\"site\": \"demo site\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": \"zones.geojson\",\n" S1 "}",
     1, {{"1:10: site: ", "expected a site name of 1 to 64 letters, digits, '_' or '-'"}}},
    {"missing zones file",
     "{\"site\": \"demo\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": \"x.geojson\",\n" S1 "}",
     1, {{"1:64: zones: ", "zones file \"x.geojson\" not found (resolved to "}}},
    {"zones not a string",
     "{\"site\": \"demo\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": 5,\n" S1 "}",
     1, {{"1:64: zones: ", "expected a string, got a number 5"}}},
    {"bad coverage sector", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
                        "   \"coverage\": {\"sectors_deg\": [[10, 20], [30], [5, 5], [0, 400]]}}]}",
     3, {{"3:43: sensors[0].coverage.sectors_deg[1]: ", "expected a sector [from_deg, to_deg] of two bearings"},
         {"3:49: sensors[0].coverage.sectors_deg[2]: ", "an empty sector [5, 5]"},
         {"3:57: sensors[0].coverage.sectors_deg[3]: ", "got [0, 400]"}}},
    {"coverage pd_by_range and min range", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
                        "   \"range_m\": 1000, \"coverage\": {\"min_range_m\": 1000,\n"
                        "   \"pd_by_range\": [[0, 0.9], [500, 1.5], [600, 0.6], [550, 0.5]]}}]}",
     3, {{"3:49: sensors[0].coverage.min_range_m: ", "must be less than the sensor's range_m (1000)"},
         {"4:30: sensors[0].coverage.pd_by_range[1]: ", "expected a pd between 0 and 1, got 1.5"},
         {"4:54: sensors[0].coverage.pd_by_range[3]: ", "ranges must increase: 550 m after 600 m"}}},
    {"coverage key misspelt", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
                        "   \"coverage\": {\"sector_deg\": [[0, 90]]}}]}",
     1, {{"3:17: sensors[0].coverage.sector_deg: ", "did you mean \"sectors_deg\"?"}}},
    {"camera with sectors", HEAD " \"sensors\": [{\"id\": \"c1\", \"type\": \"camera\", \"lat\": 46.79, \"lon\": 8.12,\n"
                        "   \"coverage\": {\"sectors_deg\": [[0, 90]]}}]}",
     1, {{"3:32: sensors[0].coverage.sectors_deg: ", "a camera's region is its field of view"}}},
    {"missing DEM file", HEAD S1 ",\n \"terrain\": {\"dem\": \"nope.tif\", \"cell_m\": 0}}",
     2, {{"3:21: terrain.dem: ", "DEM (elevation raster) \"nope.tif\" not found"},
         {"3:43: terrain.cell_m: ", "expected a number between 1 and 1000"}}},
    {"missing credentials file", HEAD S1 ",\n \"mqtt\": {\"credentials\": \"secret.json\"}}",
     1, {{"3:26: mqtt.credentials: ", "credentials file \"secret.json\" not found"}}},
    {"journal not a string", HEAD S1 ",\n \"alerts\": {\"journal\": true}}",
     1, {{"3:24: alerts.journal: ", "expected a string, got true"}}},
    {"bad mqtt url", HEAD S1 ",\n \"mqtt\": {\"url\": \"localhost:1883\"}}",
     1, {{"3:18: mqtt.url: ", "expected a broker URL such as \"tcp://127.0.0.1:1883\""}}},
    {"keepalive not integral", HEAD S1 ",\n \"mqtt\": {\"keepalive_s\": 2.5}}",
     1, {{"3:26: mqtt.keepalive_s: ", "expected an integer between 1 and 65535 (seconds), got 2.5"}}},
    {"confirm_m above confirm_n", HEAD S1 ",\n \"tracker\": {\"confirm_m\": 5}}",
     1, {{"3:27: tracker.confirm_m: ", "confirm_m (5) must not exceed confirm_n (4)"}}},
    {"confirm_n too large", HEAD S1 ",\n \"tracker\": {\"confirm_n\": 33}}",
     1, {{"3:27: tracker.confirm_n: ", "expected an integer between 1 and 32 (scans), got 33"}}},
    {"delete_misses zero", HEAD S1 ",\n \"tracker\": {\"delete_misses\": 0}}",
     1, {{"3:31: tracker.delete_misses: ", "expected an integer between 1 and 255"}}},
    {"reorder window too long", HEAD S1 ",\n \"engine\": {\"reorder_window_ms\": 60001}}",
     1, {{"3:34: engine.reorder_window_ms: ", "expected an integer between 0 and 60000 (milliseconds of event time), got 60001"}}},
    {"min_confidence above 1", HEAD S1 ",\n \"alerts\": {\"min_confidence\": 1.5}}",
     1, {{"3:31: alerts.min_confidence: ", "expected a number between 0 and 1, got 1.5"}}},
    {"exercise not a bool", HEAD S1 ",\n \"alerts\": {\"exercise\": \"yes\"}}",
     1, {{"3:25: alerts.exercise: ", "expected true or false, got a string \"yes\""}}},
    {"origin out of range", "{\"site\": \"demo\", \"origin\": {\"lat\": 91, \"lon\": -181}, \"zones\": \"zones.geojson\",\n" S1 "}",
     2, {{"1:36: origin.lat: ", "expected a latitude between -90 and 90 (degrees north, WGS84), got 91"},
         {"1:47: origin.lon: ", "expected a longitude between -180 and 180 (degrees east, WGS84), got -181"}}},
    {"origin not an object", "{\"site\": \"demo\", \"origin\": [46.8, 8.2], \"zones\": \"zones.geojson\",\n" S1 "}",
     1, {{"1:28: origin: ", "expected an object {...}, got an array"}}},
    {"no sensors", HEAD " \"sensors\": []}",
     1, {{"2:13: sensors: ", "expected at least one sensor"}}},
    {"sensor not an object", HEAD " \"sensors\": [\"r1\"]}",
     1, {{"2:14: sensors[0]: ", "expected a sensor object {\"id\": ..., \"type\": ..., \"lat\": ..., \"lon\": ...}, got a string \"r1\""}}},
    {"bad sensor id", HEAD " \"sensors\": [{\"id\": \"r 1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12}]}",
     1, {{"2:21: sensors[0].id: ", "expected a sensor id of 1 to 64 letters, digits, '_', '.' or '-'"}}},
    {"sensor type missing", HEAD " \"sensors\": [{\"id\": \"r1\", \"lat\": 46.79, \"lon\": 8.12}]}",
     1, {{"2:14: sensors[0]: ", "missing required key \"type\""}}},
    {"options not an object", HEAD " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12,\n"
                                   "   \"options\": []}]}",
     1, {{"3:15: sensors[0].options: ", "expected an object {...}, got an array"}}},
    {"duplicate JSON key", HEAD S1 ",\n \"site\": \"other\"}",
     1, {{"3:2: site: ", "duplicate key \"site\" (first at line 1, col 2)"}}},
    {"root not an object", "[1]\n", 1, {{"1:1: ", "expected the configuration to be an object {...}, got an array"}}},
    {"several errors in one file",
     "{\"site\": \"demo/x\", \"origin\": {\"lat\": 95, \"lon\": 8.2}, \"zones\": \"zones.geojson\",\n"
     " \"sensors\": [{\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12, \"sigma_m\": 0}],\n"
     " \"tracker\": {\"confirm_m\": 3.5, \"gate\": 3},\n"
     " \"engine\": {\"reorder_window_ms\": 60001}, \"log_level\": \"verbose\"}",
     7, {{"1:10: site: ", "expected a site name"},
         {"1:38: origin.lat: ", "expected a latitude between -90 and 90"},
         {"4:55: log_level: ", "got \"verbose\""},
         {"2:81: sensors[0].sigma_m: ", "expected a number > 0 (metres, one standard deviation), got 0"},
         {"3:32: tracker.gate: ", "unknown key \"gate\"; the keys allowed here are \"q_accel_mps2\", \"gate_sigma\""},
         {"3:27: tracker.confirm_m: ", "expected an integer between 1 and 32 (hits), got 3.5"},
         {"4:34: engine.reorder_window_ms: ", "got 60001"}}},
};

static void test_broken(void)
{
    for (size_t i = 0; i < sizeof broken_cases / sizeof broken_cases[0]; i++) {
        const struct broken *b = &broken_cases[i];
        reset();
        const char *p = tmp_config("broken.json", b->text);
        char path[1024];
        snprintf(path, sizeof path, "%s", p);
        struct bf_config *c = (struct bf_config *)&col;   /* must become NULL */
        int r = bf_config_load(path, &c, &diag);
        int ok = r == BF_EINVAL && c == NULL && col.n == b->n && (int)diag.n_errors == b->n;
        for (int k = 0; ok && k < b->n; k++) {
            ok = strncmp(col.msg[k], b->w[k].where, strlen(b->w[k].where)) == 0 &&
                 strstr(col.msg[k], b->w[k].frag) != NULL && strcmp(col.file[k], path) == 0;
        }
        if (!ok) {
            printf("\n  case \"%s\": r=%d, %d diagnostics:", b->name, r, col.n);
            dump();
            for (int k = 0; k < b->n; k++)
                printf("    wanted [%s...%s]\n", b->w[k].where, b->w[k].frag);
        }
        CU_ASSERT_TRUE(ok);
        if (c != NULL && c != (struct bf_config *)&col)
            bf_config_destroy(c);
    }
}

/* cot.tcp_tls: paths resolved beside the configuration, verify_hostname on by default;
 * log_format "json". */
static void test_cot_tls_and_log_format(void)
{
    reset();
    char f[1024];
    const char *names[] = {"tak-ca.pem", "tak-client.pem", "tak-client.key", "tak-cred.json"};
    for (int i = 0; i < 4; i++) {
        snprintf(f, sizeof f, "%s/%s", bf_test_tmpdir(), names[i]);
        write_file(f, "x\n");
    }
    const char *p = tmp_config("cot-tls.json", HEAD S1 ",\n \"log_format\": \"json\",\n"
        " \"cot\": {\"udp\": null, \"tcp\": \"tak.example.org:8089\", \"tcp_tls\": {"
        "\"ca_file\": \"tak-ca.pem\", \"cert_file\": \"tak-client.pem\", "
        "\"key_file\": \"tak-client.key\", \"credentials\": \"tak-cred.json\"}}}");
    struct bf_config *c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &c, &diag), 0);
    CU_ASSERT_EQUAL(c->log_format, BF_LOG_FORMAT_JSON);
    CU_ASSERT_TRUE(c->cot.tcp_tls.enabled);
    CU_ASSERT_TRUE(c->cot.tcp_tls.verify_hostname);
    snprintf(f, sizeof f, "%s/tak-client.key", bf_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(c->cot.tcp_tls.key_file, f);
    snprintf(f, sizeof f, "%s/tak-cred.json", bf_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(c->cot.tcp_tls.credentials_path, f);
    bf_config_destroy(c);
    /* without the section: plain TCP, text logs */
    reset();
    p = tmp_config("cot-plain.json", HEAD S1 ",\n \"cot\": {\"tcp\": \"tak.example.org:8087\"}}");
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &c, &diag), 0);
    CU_ASSERT_FALSE(c->cot.tcp_tls.enabled);
    CU_ASSERT_EQUAL(c->log_format, BF_LOG_FORMAT_TEXT);
    bf_config_destroy(c);
}

/* The message for a missing zones file names the resolved path. */
static void test_missing_zones_message(void)
{
    reset();
    const char *p = tmp_config("nozones.json",
        "{\"site\": \"demo\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": \"sub/x.geojson\",\n" S1 "}");
    struct bf_config *c = NULL;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, &diag), BF_EINVAL);
    char want[1500];
    snprintf(want, sizeof want,
             "1:64: zones: zones file \"sub/x.geojson\" not found (resolved to %s/sub/x.geojson): check "
             "the path, relative to the config file", bf_test_tmpdir());
    CU_ASSERT_EQUAL(col.n, 1);
    if (strcmp(col.msg[0], want) != 0)
        printf("\n  got    [%s]\n  wanted [%s]\n", col.msg[0], want);
    CU_ASSERT_STRING_EQUAL(col.msg[0], want);
}

static void test_too_many_sensors(void)
{
    reset();
    size_t cap = 200 + 100 * (BF_MAX_SENSORS + 1);
    char *text = malloc(cap);
    CU_ASSERT_FATAL(text != NULL);
    size_t o = (size_t)snprintf(text, cap, "%s \"sensors\": [\n", HEAD);
    for (int i = 0; i <= BF_MAX_SENSORS; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "  {\"id\": \"s%d\", \"type\": \"json\", \"lat\": 46.8, \"lon\": 8.2}%s\n", i,
                              i < BF_MAX_SENSORS ? "," : "");
    snprintf(text + o, cap - o, "]}\n");
    const char *p = tmp_config("many.json", text);
    free(text);
    struct bf_config *c = NULL;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, &diag), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(col.n, 1);
    CU_ASSERT_STRING_EQUAL(col.msg[0], "2:13: sensors: expected at most 64 sensors, got 65: split the "
                                       "site between several engines");
}

static void test_syntax_and_io(void)
{
    reset();
    const char *p = tmp_config("syntax.json", HEAD S1 "\n \"tracker\": {}}");
    struct bf_config *c = (struct bf_config *)&col;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, &diag), BF_EPARSE);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(col.n, 1);
    CU_ASSERT_STRING_EQUAL(col.msg[0], "3:2: syntax error: expected ',' or '}' after an object member; "
                                       "is a ',' missing before this key?");

    reset();
    char path[1024];
    snprintf(path, sizeof path, "%s/does-not-exist.json", bf_test_tmpdir());
    c = (struct bf_config *)&col;
    CU_ASSERT_EQUAL(bf_config_load(path, &c, &diag), BF_EIO);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(col.n, 1);
    CU_ASSERT_STRING_EQUAL(col.file[0], path);
    CU_ASSERT_STRING_EQUAL(col.msg[0], "cannot open the file: No such file or directory");

    /* Without a diag the errors still count: the load fails. */
    c = (struct bf_config *)&col;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, NULL), BF_EPARSE);
    CU_ASSERT_PTR_NULL(c);
}

/* The example shipped with the sources is valid (its zones file comes with the demo). */
static void test_example_minimal(void)
{
    reset();
    struct bf_config *c = NULL;
    int r = bf_config_load(bf_test_src("config/examples/minimal.json"), &c, &diag);
    struct stat st;
    if (stat(bf_test_src("config/demo/zones.geojson"), &st) == 0) {
        if (r != 0)
            dump();
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_EQUAL(diag.n_errors, 0);
        if (c)
            check_defaults(c);
    } else {
        /* The demo zones are not there yet: that must be the only complaint. */
        CU_ASSERT_EQUAL(r, BF_EINVAL);
        CU_ASSERT_EQUAL(col.n, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(col.msg[0], "zones: zones file \"../demo/zones.geojson\" not found"));
    }
    bf_config_destroy(c);
}

/* tracker motion keys: values as written, defaults when absent, errors with their place. */
static void test_motion_keys(void)
{
    reset();
    const char *p = tmp_config("motion.json",
        HEAD S1 ",\n \"tracker\": {\"motion\": \"imm\", \"ct_turn_rate_dps\": 12, \"imm_p_stay\": 0.9,\n"
        "  \"q_accel_by_class\": {\"vehicle\": 2, \"person\": 0.3, \"unknown\": 0}}}");
    struct bf_config *c = NULL;
    int r = bf_config_load(p, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(c->tracker.motion, BF_MOTION_IMM);
    BF_ASSERT_NEAR(c->tracker.ct_turn_rate_dps, 12, 0);
    BF_ASSERT_NEAR(c->tracker.imm_p_stay, 0.9, 0);
    BF_ASSERT_NEAR(c->tracker.q_by_class[BF_CLASS_VEHICLE], 2, 0);
    BF_ASSERT_NEAR(c->tracker.q_by_class[BF_CLASS_PERSON], 0.3, 0);
    BF_ASSERT_NEAR(c->tracker.q_by_class[BF_CLASS_UNKNOWN], 0, 0);
    BF_ASSERT_NEAR(c->tracker.q_by_class[BF_CLASS_VESSEL], 0, 0);
    bf_config_destroy(c);

    reset();
    p = tmp_config("motion-ct.json", HEAD S1 ",\n \"tracker\": {\"motion\": \"ct\"}}");
    c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &c, &diag), 0);
    CU_ASSERT_EQUAL(c->tracker.motion, BF_MOTION_CT);
    BF_ASSERT_NEAR(c->tracker.ct_turn_rate_dps, 6, 0);
    BF_ASSERT_NEAR(c->tracker.imm_p_stay, 0.95, 0);
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        BF_ASSERT_NEAR(c->tracker.q_by_class[k], 0, 0);
    bf_config_destroy(c);

    reset();
    p = tmp_config("motion-default.json", HEAD S1 ",\n \"tracker\": {\"q_accel_by_class\": {}}}");
    c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &c, &diag), 0);
    CU_ASSERT_EQUAL(c->tracker.motion, BF_MOTION_CV);
    bf_config_destroy(c);

    reset();
    p = tmp_config("motion-bad.json",
        HEAD S1 ",\n \"tracker\": {\"motion\": \"fast\", \"ct_turn_rate_dps\": 0, \"imm_p_stay\": 1,\n"
        "  \"q_accel_by_class\": {\"vehicel\": 2, \"person\": -1}}}");
    c = (struct bf_config *)&col;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, &diag), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    static const char *const want[] = {
        "3:24: tracker.motion: expected one of \"cv\", \"ct\", \"imm\", got \"fast\"",
        "3:52: tracker.ct_turn_rate_dps: expected a number > 0 and <= 90 (degrees per second, the "
        "coordinated-turn rate), got 0",
        "3:69: tracker.imm_p_stay: expected a number >= 0.5 and < 1 (probability of keeping the "
        "motion mode over one second), got 1",
        "4:24: tracker.q_accel_by_class.vehicel: unknown key \"vehicel\"; did you mean \"vehicle\"?",
        "4:48: tracker.q_accel_by_class.person: expected a number between 0 and 100 (m/s^2, "
        "white-acceleration standard deviation for the class; 0: q_accel_mps2), got -1",
    };
    CU_ASSERT_EQUAL(col.n, 5);
    for (int k = 0; k < 5 && k < col.n; k++) {
        if (strcmp(col.msg[k], want[k]) != 0)
            printf("\n  got    [%s]\n  wanted [%s]\n", col.msg[k], want[k]);
        CU_ASSERT_STRING_EQUAL(col.msg[k], want[k]);
    }
}

/* max coast, continuation and class confusion keys: values, defaults, errors with file:line. */
static void test_coast_and_confusion_keys(void)
{
    reset();
    const char *p = tmp_config("coast.json",
        HEAD " \"sensors\": [{\"id\": \"c1\", \"type\": \"camera\", \"lat\": 46.79, \"lon\": 8.12,\n"
        "   \"class_confusion\": [[0.9, 0.02, 0.06, 0, 0, 0.02], [0.05, 0.9, 0.05, 0, 0, 0],\n"
        "     [0.1, 0, 0.9, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]]},\n"
        "   {\"id\": \"r1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.12}],\n"
        " \"tracker\": {\"max_coast_s\": 90, \"max_coast_by_class_s\": {\"person\": 300},\n"
        "  \"continue_window_s\": 0}}");
    struct bf_config *c = NULL;
    int r = bf_config_load(p, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    BF_ASSERT_NEAR(c->tracker.max_coast_s, 90, 0);
    BF_ASSERT_NEAR(c->tracker.max_coast_by_class_s[BF_CLASS_PERSON], 300, 0);
    BF_ASSERT_NEAR(c->tracker.max_coast_by_class_s[BF_CLASS_VEHICLE], 60, 0);   /* default kept */
    BF_ASSERT_NEAR(c->tracker.continue_window_s, 0, 0);
    CU_ASSERT(c->sensors[0].has_class_confusion);
    BF_ASSERT_NEAR(c->sensors[0].class_confusion[0 * BF_CLASS_COUNT + 2], 0.06, 0);
    BF_ASSERT_NEAR(c->sensors[0].class_confusion[2 * BF_CLASS_COUNT + 0], 0.1, 0);
    CU_ASSERT(bf_class_confusion_valid(c->sensors[0].class_confusion, NULL, NULL));
    CU_ASSERT_FALSE(c->sensors[1].has_class_confusion);
    bf_config_destroy(c);

    reset();
    p = tmp_config("coast-default.json", HEAD S1 "}");
    c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &c, &diag), 0);
    BF_ASSERT_NEAR(c->tracker.max_coast_s, 120, 0);
    BF_ASSERT_NEAR(c->tracker.max_coast_by_class_s[BF_CLASS_VEHICLE], 60, 0);
    BF_ASSERT_NEAR(c->tracker.max_coast_by_class_s[BF_CLASS_PERSON], 0, 0);
    BF_ASSERT_NEAR(c->tracker.continue_window_s, 60, 0);
    bf_config_destroy(c);

    reset();
    p = tmp_config("coast-bad.json",
        HEAD " \"sensors\": [{\"id\": \"c1\", \"type\": \"camera\", \"lat\": 46.79, \"lon\": 8.12,\n"
        "   \"class_confusion\": [[0.9, 0.2, 0, 0, 0, 0], [0, 1.5, 0, 0, 0, 0],\n"
        "     [1, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]},\n"
        "   {\"id\": \"c2\", \"type\": \"camera\", \"lat\": 46.79, \"lon\": 8.12, \"class_confusion\": [[1]]}],\n"
        " \"tracker\": {\"max_coast_s\": -1, \"max_coast_by_class_s\": {\"vehicel\": 60},\n"
        "  \"continue_window_s\": 7200}}");
    c = (struct bf_config *)&col;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, &diag), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    static const char *const want[] = {
        "3:24: sensors[0].class_confusion[0]: the row of true class person sums to 1.1: each row "
        "gives P(reported class | true class) and must sum to 1",
        "3:52: sensors[0].class_confusion[1][1]: expected a probability between 0 and 1 (vehicle "
        "reported as vehicle), got 1.5",
        "4:66: sensors[0].class_confusion[5]: expected a row of 6 probabilities (true class "
        "unknown), got an array",
        "5:81: sensors[1].class_confusion: expected 6 rows (true class person, vehicle, animal, "
        "vessel, aircraft, unknown) of 6 probabilities of the reported class in the same order, "
        "got 1 rows",
        "6:29: tracker.max_coast_s: expected a number between 0 and 86400 (seconds of event time "
        "without a hit before a track is deleted; 0: no limit), got -1",
        "6:58: tracker.max_coast_by_class_s.vehicel: unknown key \"vehicel\"; did you mean "
        "\"vehicle\"?",
        "7:24: tracker.continue_window_s: expected a number between 0 and 3600 (seconds after a "
        "confirmed track is lost in which a new track may continue it; 0: off), got 7200",
    };
    int nw = (int)(sizeof want / sizeof want[0]);
    CU_ASSERT_EQUAL(col.n, nw);
    for (int k = 0; k < nw && k < col.n; k++) {
        if (strstr(col.msg[k], want[k]) == NULL)
            printf("\n  got    [%s]\n  wanted [%s]\n", col.msg[k], want[k]);
        CU_ASSERT_PTR_NOT_NULL(strstr(col.msg[k], want[k]));
    }
    if (col.n != nw)
        dump();
}

/* associator and track-management keys: values, defaults, errors with their place. */
static void test_assoc_keys(void)
{
    reset();
    const char *p = tmp_config("assoc.json",
        HEAD S1 ",\n \"tracker\": {\"associator\": \"jpda\", \"confirm\": \"score\", \"pd\": 0.8,\n"
        "  \"confirm_llr\": 9.2, \"delete_llr_drop\": 4.5, \"max_cluster\": 100000}}");
    struct bf_config *c = NULL;
    int r = bf_config_load(p, &c, &diag);
    if (r != 0)
        dump();
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(c->tracker.associator, BF_ASSOC_JPDA);
    CU_ASSERT_EQUAL(c->tracker.confirm, BF_CONFIRM_SCORE);
    BF_ASSERT_NEAR(c->tracker.pd, 0.8, 0);
    BF_ASSERT_NEAR(c->tracker.confirm_llr, 9.2, 0);
    BF_ASSERT_NEAR(c->tracker.delete_llr_drop, 4.5, 0);
    CU_ASSERT_EQUAL(c->tracker.max_cluster, 100000);
    bf_config_destroy(c);

    reset();
    p = tmp_config("assoc-default.json", HEAD S1 ",\n \"tracker\": {\"associator\": \"gnn\"}}");
    c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(p, &c, &diag), 0);
    CU_ASSERT_EQUAL(c->tracker.associator, BF_ASSOC_GNN);
    CU_ASSERT_EQUAL(c->tracker.confirm, BF_CONFIRM_M_OF_N);
    BF_ASSERT_NEAR(c->tracker.pd, 0.9, 0);
    BF_ASSERT_NEAR(c->tracker.confirm_llr, 6.9, 0);
    BF_ASSERT_NEAR(c->tracker.delete_llr_drop, 6.9, 0);
    CU_ASSERT_EQUAL(c->tracker.max_cluster, 4096);
    bf_config_destroy(c);

    reset();
    p = tmp_config("assoc-bad.json",
        HEAD S1 ",\n \"tracker\": {\"associator\": \"mht\", \"confirm\": \"sprt\", \"pd\": 0,\n"
        "  \"confirm_llr\": -1, \"delete_llr_drop\": \"big\", \"max_cluster\": 8}}");
    c = (struct bf_config *)&col;
    CU_ASSERT_EQUAL(bf_config_load(p, &c, &diag), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    static const char *const want[] = {
        "3:28: tracker.associator: expected one of \"gnn\", \"jpda\", got \"mht\"",
        "3:46: tracker.confirm: expected one of \"m_of_n\", \"score\", got \"sprt\"",
        "3:60: tracker.pd: expected a number > 0 and <= 1 (detection probability), got 0",
        "4:18: tracker.confirm_llr: expected a number > 0 and <= 100 (track score, natural log of "
        "a likelihood ratio), got -1",
        "4:41: tracker.delete_llr_drop: expected a number > 0 and <= 100 (fall of the track score "
        "below its peak), got a string \"big\"",
        "4:63: tracker.max_cluster: expected an integer between 16 and 1000000 (tracks + "
        "detections per exact cluster solve), got 8",
    };
    CU_ASSERT_EQUAL(col.n, 6);
    for (int k = 0; k < 6 && k < col.n; k++) {
        if (strcmp(col.msg[k], want[k]) != 0)
            printf("\n  got    [%s]\n  wanted [%s]\n", col.msg[k], want[k]);
        CU_ASSERT_STRING_EQUAL(col.msg[k], want[k]);
    }
}

/* "metrics": off when absent; a loopback listen address unless allow_remote (docs/config.md). */
static void test_metrics_keys(void)
{
    static const struct {
        const char *section;   /* the "metrics" member, or "" for none */
        bool ok, enabled;
        const char *listen, *frag;   /* the listen address when ok; a fragment of the error */
    } cases[] = {
        {"", true, false, "127.0.0.1:9464", NULL},
        {",\n \"metrics\": {}", true, true, "127.0.0.1:9464", NULL},
        {",\n \"metrics\": {\"listen\": \"127.0.0.1:19000\"}", true, true, "127.0.0.1:19000", NULL},
        {",\n \"metrics\": {\"listen\": \"[::1]:9464\"}", true, true, "[::1]:9464", NULL},
        {",\n \"metrics\": {\"listen\": \"localhost:9464\"}", true, true, "localhost:9464", NULL},
        {",\n \"metrics\": {\"listen\": \"0.0.0.0:9464\"}", false, true, NULL,
         "0.0.0.0 is not a loopback address"},
        {",\n \"metrics\": {\"listen\": \"10.1.2.3:9464\", \"allow_remote\": true}", true, true,
         "10.1.2.3:9464", NULL},
        {",\n \"metrics\": {\"listen\": \"127.0.0.1\"}", false, true, NULL, "expected \"host:port\""},
        {",\n \"metrics\": {\"listn\": \"127.0.0.1:9464\"}", false, true, NULL, "listen"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reset();
        char text[2048];
        snprintf(text, sizeof text, "{\"site\": \"demo\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, "
                 "\"zones\": \"zones.geojson\",\n" S1 "%s}", cases[i].section);
        struct bf_config *c = NULL;
        int r = bf_config_load(tmp_config("metrics.json", text), &c, &diag);
        if ((r == 0) != cases[i].ok || (!cases[i].ok && (col.n < 1 || !strstr(col.msg[0],
                                                                              cases[i].frag)))) {
            printf("\n  case %zu (%s): r=%d", i, cases[i].section, r);
            dump();
        }
        CU_ASSERT_EQUAL(r == 0, cases[i].ok);
        if (!cases[i].ok) {
            CU_ASSERT_TRUE(col.n >= 1 && strstr(col.msg[0], cases[i].frag) != NULL);
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_EQUAL(c->metrics.enabled, cases[i].enabled);
        CU_ASSERT_STRING_EQUAL(c->metrics.listen, cases[i].listen);
        bf_config_destroy(c);
    }
    CU_ASSERT_TRUE(bf_config_host_is_loopback("127.0.0.1"));
    CU_ASSERT_TRUE(bf_config_host_is_loopback("127.8.9.10"));
    CU_ASSERT_TRUE(bf_config_host_is_loopback("::1"));
    CU_ASSERT_TRUE(bf_config_host_is_loopback("localhost"));
    CU_ASSERT_FALSE(bf_config_host_is_loopback("128.0.0.1"));
    CU_ASSERT_FALSE(bf_config_host_is_loopback("0.0.0.0"));
    CU_ASSERT_FALSE(bf_config_host_is_loopback("::"));
    CU_ASSERT_FALSE(bf_config_host_is_loopback("example.org"));
}

static CU_TestInfo config_tests[] = {
    {"full configuration", test_full},
    {"minimal configuration: defaults", test_minimal},
    {"empty sections keep defaults", test_empty_sections},
    {"\"$schema\" is accepted and ignored", test_schema_key},
    {"absolute paths", test_absolute_paths},
    {"broken configurations", test_broken},
    {"missing zones file message", test_missing_zones_message},
    {"too many sensors", test_too_many_sensors},
    {"syntax and I/O errors", test_syntax_and_io},
    {"config/examples/minimal.json", test_example_minimal},
    {"tracker motion keys", test_motion_keys},
    {"tracker associator and track-management keys", test_assoc_keys},
    {"max coast, continuation and class confusion keys", test_coast_and_confusion_keys},
    {"metrics endpoint keys", test_metrics_keys},
    {"cot.tcp_tls and log_format", test_cot_tls_and_log_format},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"config", NULL, NULL, NULL, NULL, config_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
