/*
 * test_scenario.c - scenario parsing: every mistake reported with its line,
 * column, JSON path and what was expected; values and defaults of a valid
 * scenario; the demo scenario (config/demo/) validates, its truth has exactly
 * the three crossings it was designed for, and the engine config matches its
 * radars.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "sim/sim.h"
#include "sim_fixture.h"

/* The valid base scenario, one line per entry; cases replace one line. */
static const char *const base_lines[] = {
    "{",
    "  \"site\": \"t\",",
    "  \"origin\": {\"lat\": 46.8, \"lon\": 8.2},",
    "  \"zones\": \"zones_straight.geojson\",",
    "  \"duration_s\": 100,",
    "  \"radars\": [{\"id\": \"r1\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000, \"scan_period_s\": 1}],",
    "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1.5}]",
    "}",
    NULL,
};

/* Base text with line `line` (1-based; 0: none) replaced by `text`. malloc'd. */
static char *base_with(int line, const char *text)
{
    size_t n = 1;
    for (int i = 0; base_lines[i]; i++)
        n += strlen(base_lines[i]) + 1;
    n += text ? strlen(text) : 0;
    char *t = malloc(n);
    t[0] = '\0';
    for (int i = 0; base_lines[i]; i++) {
        strcat(t, (i + 1 == line) ? text : base_lines[i]);
        strcat(t, "\n");
    }
    return t;
}

struct bad_case {
    int line;             /* line replaced and where the error must be */
    const char *text;     /* its new text */
    const char *marker;   /* the error's column is where this first occurs in text */
    const char *path;     /* expected JSON path */
    const char *msg;      /* expected part of the message */
};

static const struct bad_case bad_cases[] = {
    {2, "  \"site\": \"my site\",", "\"my site\"", "site", "letters, digits"},
    {2, "  \"site\": 7,", "7", "site", "expected a string"},
    {3, "  \"origin\": {\"lat\": 95, \"lon\": 8.2},", "95", "origin.lat", "between -90 and 90"},
    {3, "  \"origin\": {\"lat\": 46.8},", "{", "origin", "\"lon\""},
    {5, "  \"duration_s\": \"long\",", "\"long\"", "duration_s", "expected a number"},
    {5, "  \"duraton_s\": 100,", "\"duraton_s\"", "duraton_s", "did you mean \"duration_s\""},
    {6, "  \"radars\": [{\"id\": \"r1\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000, \"scan_period_s\": 1, \"pd\": 1.5}],",
     "1.5}", "radars[0].pd", "between 0 and 1"},
    {6, "  \"radars\": [{\"id\": \"r/1\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000, \"scan_period_s\": 1}],",
     "\"r/1\"", "radars[0].id", "MQTT topic"},
    {6, "  \"radars\": [{\"id\": \"r1\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000}],", "{\"id\"",
     "radars[0]", "\"scan_period_s\""},
    {6, "  \"radars\": [{\"id\": \"r1\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000, \"scan_period_s\": 1, \"clutter\": 3}],",
     "\"clutter\"", "radars[0].clutter", "unknown key \"clutter\""},
    {6, "  \"radars\": [],", "[]", "radars", "at least one radar"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"alien\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1.5}]",
     "\"alien\"", "targets[0].class", "expected one of"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [91, 8.2]], \"speed_mps\": 1.5}]",
     "91", "targets[0].waypoints[1][0]", "latitude"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81]], \"speed_mps\": 1.5}]",
     "[46.81]", "targets[0].waypoints[1]", "[lat, lon]"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2]], \"speed_mps\": 1.5}]",
     "[[46.79", "targets[0].waypoints", "at least 2 waypoints"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": [1, 2]}]",
     "[1, 2]", "targets[0].speed_mps", "1 speeds"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": -1}]",
     "-1", "targets[0].speed_mps", "expected a speed"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]]}]",
     "{\"id\"", "targets[0]", "speed_mps"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1, \"pause_s\": [5]}]",
     "[5]", "targets[0].pause_s", "one per waypoint"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"start_s\": 100, \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1}]",
     "100", "targets[0].start_s", "before the end"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"home\": [46.8, 8.2], \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1}]",
     "[46.8, 8.2]", "targets[0].home", "random_walk"},
    {7, "  \"targets\": [{\"id\": \"d\", \"class\": \"animal\", \"motion\": \"random_walk\", \"home\": [46.8, 8.2], \"speed_mps\": 1}]",
     "{\"id\"", "targets[0]", "\"radius_m\""},
    {7, "  \"targets\": [{\"id\": \"d\", \"class\": \"animal\", \"motion\": \"wander\", \"home\": [46.8, 8.2], \"speed_mps\": 1}]",
     "\"wander\"", "targets[0].motion", "random_walk"},
    {7, "  \"targets\": [{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1}, {\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1}]",
     "\"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], \"speed_mps\": 1}]",
     "targets[1].id", "duplicate target id"},
    {4, "  \"zones\": \"no-such-file.geojson\",", "\"no-such", "zones", "cannot load the zones"},
    {4, "  \"zones\": \"zones_straight.geojson\", \"start_time\": \"yesterday\",", "\"yesterday\"",
     "start_time", "ISO 8601"},
};

static void test_bad_table(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        char *text = base_with(c->line, c->text);
        struct fx_diags d;
        fx_diags_init(&d);
        struct bf_sim_scenario *s = (struct bf_sim_scenario *)1;
        int rc = fx_parse(text, &s, &d);
        int col = (int)(strstr(c->text, c->marker) - c->text) + 1;
        bool found = false;
        for (size_t k = 0; k < d.n; k++)
            if (d.e[k].line == c->line && d.e[k].col == col && strcmp(d.e[k].path, c->path) == 0 &&
                strstr(d.e[k].msg, c->msg))
                found = true;
        if (!found || rc >= 0 || s != NULL) {
            fprintf(stderr, "\ncase %zu: want %d:%d %s \"%s\"; rc %d; got:\n", i, c->line, col,
                    c->path, c->msg, rc);
            fx_diags_dump(&d);
        }
        CU_ASSERT_TRUE(found);
        CU_ASSERT_TRUE(rc < 0);
        CU_ASSERT_PTR_NULL(s);
        bf_sim_scenario_destroy(s == (struct bf_sim_scenario *)1 ? NULL : s);
        free(text);
    }
}

static void test_syntax_error(void)
{
    char *text = base_with(5, "  \"duration_s\": 100");   /* missing comma */
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s;
    CU_ASSERT_TRUE(fx_parse(text, &s, &d) < 0);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_TRUE(d.n >= 1);
    /* The error is at the end of line 5 or the start of line 6, never elsewhere. */
    CU_ASSERT_TRUE(d.n >= 1 && (d.e[0].line == 5 || d.e[0].line == 6));
    free(text);
}

static void test_all_errors_reported(void)
{
    char *t1 = base_with(5, "  \"duration_s\": -3,");
    char *text = malloc(strlen(t1) + 64);
    strcpy(text, t1);
    /* second error: unknown key on line 2 */
    char *p = strstr(text, "\"site\": \"t\",");
    memcpy(p, "\"sute\": \"t\",", 12);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s;
    CU_ASSERT_TRUE(fx_parse(text, &s, &d) < 0);
    /* unknown "sute", missing "site", bad duration: three errors at once */
    CU_ASSERT_EQUAL(d.diag.n_errors, 3);
    bool unknown = false, missing = false, duration = false;
    for (size_t k = 0; k < d.n; k++) {
        unknown |= strcmp(d.e[k].path, "sute") == 0 && d.e[k].line == 2;
        missing |= strstr(d.e[k].msg, "\"site\"") != NULL && d.e[k].line == 1;
        duration |= strcmp(d.e[k].path, "duration_s") == 0 && d.e[k].line == 5;
    }
    CU_ASSERT_TRUE(unknown && missing && duration);
    free(t1);
    free(text);
}

static void test_valid_values(void)
{
    char targets[2048];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"group\": \"g\", \"start_s\": 5, "
             "\"waypoints\": [%s, %s, %s], \"speed_mps\": [1.5, 2], \"pause_s\": [1, 2, 3]},"
             " {\"id\": \"d\", \"class\": \"animal\", \"motion\": \"random_walk\", \"home\": %s, "
             "\"radius_m\": 100, \"speed_mps\": 0.5, \"pause_s\": 10}]",
             fx_pt(0, 0), fx_pt(0, 300), fx_pt(400, 300), fx_pt(-1000, -500));
    const char *radars =
        "[{\"id\": \"a\", \"lat\": 46.8, \"lon\": 8.2, \"range_m\": 5000, \"scan_period_s\": 2},"
        " {\"id\": \"b\", \"lat\": 46.81, \"lon\": 8.21, \"range_m\": 6000, \"scan_period_s\": 1.5,"
        " \"phase_s\": 0.25, \"pd\": 0.8, \"sigma_range_m\": 7, \"sigma_bearing_deg\": 0.3,"
        " \"clutter_per_scan\": 4, \"resolution_m\": 30}]";
    char *text = fx_scenario_text(radars, targets, 600);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s;
    int rc = fx_parse(text, &s, &d);
    if (rc < 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(s->site, "test");
    CU_ASSERT_EQUAL(s->seed, 42);
    BF_ASSERT_NEAR(s->time_scale, 1.0, 0);
    CU_ASSERT_FALSE(s->exercise);
    bf_time_us want;
    bf_time_parse_iso("2026-03-01T02:00:00Z", &want);
    CU_ASSERT_EQUAL(s->start_us, want);
    CU_ASSERT_EQUAL(s->n_radars, 2);
    /* defaults of radar a; its phase is 0 (first of two) */
    BF_ASSERT_NEAR(s->radars[0].pd, 0.9, 0);
    BF_ASSERT_NEAR(s->radars[0].sigma_range_m, 10, 0);
    BF_ASSERT_NEAR(s->radars[0].sigma_bearing_deg, 0.2, 0);
    BF_ASSERT_NEAR(s->radars[0].clutter_per_scan, 0, 0);
    BF_ASSERT_NEAR(s->radars[0].resolution_m, 15, 0);
    BF_ASSERT_NEAR(s->radars[0].phase_s, 0, 0);
    BF_ASSERT_NEAR(s->radars[0].e_m, 0, 1e-6);
    BF_ASSERT_NEAR(s->radars[0].n_m, 0, 1e-6);
    BF_ASSERT_NEAR(s->radars[1].phase_s, 0.25, 0);
    BF_ASSERT_NEAR(s->radars[1].pd, 0.8, 0);
    BF_ASSERT_NEAR(s->radars[1].resolution_m, 30, 0);
    /* 0.01 deg of latitude is about 1112 m north */
    BF_ASSERT_NEAR(s->radars[1].n_m, 1112, 5);
    /* east of the origin true north leans west of grid north: a true bearing of 0 is a
     * small negative grid bearing */
    CU_ASSERT_TRUE(s->radars[1].gamma_rad < 0 && s->radars[1].gamma_rad > -0.01);
    CU_ASSERT_EQUAL(s->n_targets, 2);
    const struct bf_sim_target *w = &s->targets[0];
    CU_ASSERT_STRING_EQUAL(w->cls, "person");
    CU_ASSERT_STRING_EQUAL(w->group, "g");
    BF_ASSERT_NEAR(w->start_s, 5, 0);
    CU_ASSERT_EQUAL(w->n_wp, 3);
    BF_ASSERT_NEAR(w->wp[1].e_m, 0, 0.01);
    BF_ASSERT_NEAR(w->wp[1].n_m, 300, 0.01);
    BF_ASSERT_NEAR(w->wp[2].e_m, 400, 0.01);
    BF_ASSERT_NEAR(w->leg_speed_mps[0], 1.5, 0);
    BF_ASSERT_NEAR(w->leg_speed_mps[1], 2, 0);
    BF_ASSERT_NEAR(w->wp[2].pause_s, 3, 0);
    const struct bf_sim_target *a = &s->targets[1];
    CU_ASSERT_EQUAL(a->motion, BF_SIM_MOTION_RANDOM_WALK);
    CU_ASSERT_PTR_NULL(a->group);
    BF_ASSERT_NEAR(a->home_e_m, -1000, 0.01);
    BF_ASSERT_NEAR(a->home_n_m, -500, 0.01);
    BF_ASSERT_NEAR(a->radius_m, 100, 0);
    BF_ASSERT_NEAR(a->walk_pause_s, 10, 0);
    CU_ASSERT_EQUAL(bf_sim_scenario_target_find(s, "d"), 1);
    CU_ASSERT_EQUAL(bf_sim_scenario_target_find(s, "x"), -1);
    bf_sim_scenario_destroy(s);
    free(text);
}

static void test_missing_file(void)
{
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s;
    CU_ASSERT_EQUAL(bf_sim_scenario_load("/nonexistent/scenario.json", &s, &d.diag), BF_EIO);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(d.diag.n_errors, 1);
}

/* Distance of local point (e, n) to border line zone zi. */
static double line_dist(struct bf_geo_zones *z, size_t zi, double e, double n)
{
    return bf_geo_zone_distance(z, zi, e, n);
}

static void test_demo(void)
{
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s;
    int rc = bf_sim_scenario_load(bf_test_src("config/demo/scenario.json"), &s, &d.diag);
    if (rc < 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(s->site, "demo");
    CU_ASSERT_EQUAL(s->n_radars, 2);
    CU_ASSERT_TRUE(s->exercise);
    /* 40..80 s of wall time at its own time scale */
    CU_ASSERT_TRUE(s->duration_s / s->time_scale >= 40 && s->duration_s / s->time_scale <= 80);

    int border = bf_geo_zone_find(s->zones, "border");
    CU_ASSERT_FATAL(border >= 0);
    const double *xy;
    size_t nv = bf_geo_line_vertices(s->zones, (size_t)border, &xy);
    CU_ASSERT_TRUE(nv >= 15 && nv <= 40);
    BF_ASSERT_NEAR(bf_geo_zone_info(s->zones, (size_t)border)->length_m, 20500, 1500);

    struct bf_sim_crossing *cr;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n), 0);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(cr[0].key, "walker-1");
    CU_ASSERT_FALSE(cr[0].is_group);
    CU_ASSERT_STRING_EQUAL(cr[1].key, "walker-2");
    CU_ASSERT_STRING_EQUAL(cr[2].key, "group-1");
    CU_ASSERT_TRUE(cr[2].is_group);
    CU_ASSERT_EQUAL(cr[2].members, 3);
    /* the designed times (docs/scenario.md), within a second */
    BF_ASSERT_NEAR(cr[0].t_s, 630.1, 1.0);
    BF_ASSERT_NEAR(cr[1].t_s, 928.7, 1.0);
    BF_ASSERT_NEAR(cr[2].t_s, 1145.1, 1.0);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_TRUE(line_dist(s->zones, (size_t)border, cr[i].e_m, cr[i].n_m) < 1.0);
    free(cr);

    /* The decoys: the deer stays >= 150 m from the line on their side, the turn-back
     * walker comes within 50..100 m and never crosses, the patrol car keeps 300..400 m. */
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    int deer = bf_sim_scenario_target_find(s, "deer");
    int turn = bf_sim_scenario_target_find(s, "turn-back");
    int car = bf_sim_scenario_target_find(s, "patrol-car");
    CU_ASSERT_FATAL(deer >= 0 && turn >= 0 && car >= 0);
    double deer_min = INFINITY, turn_min = INFINITY, car_min = INFINITY, car_max = 0;
    bool deer_ours = false, turn_ours = false, car_ours = false;
    for (double t = 0; t <= s->duration_s; t += 1.0) {
        CU_ASSERT_EQUAL_FATAL(bf_sim_truth_advance(tr, t), 0);
        const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);
        if (p[deer].active) {
            deer_min = fmin(deer_min, line_dist(s->zones, (size_t)border, p[deer].e_m, p[deer].n_m));
            deer_ours |= bf_geo_line_side(s->zones, (size_t)border, p[deer].e_m, p[deer].n_m) > 0;
        }
        if (p[turn].active) {
            turn_min = fmin(turn_min, line_dist(s->zones, (size_t)border, p[turn].e_m, p[turn].n_m));
            turn_ours |= bf_geo_line_side(s->zones, (size_t)border, p[turn].e_m, p[turn].n_m) > 0;
        }
        if (p[car].active) {
            double dd = line_dist(s->zones, (size_t)border, p[car].e_m, p[car].n_m);
            car_min = fmin(car_min, dd);
            car_max = fmax(car_max, dd);
            car_ours |= bf_geo_line_side(s->zones, (size_t)border, p[car].e_m, p[car].n_m) > 0;
        }
    }
    CU_ASSERT_TRUE(deer_min >= 150);
    CU_ASSERT_FALSE(deer_ours);
    CU_ASSERT_TRUE(turn_min >= 50 && turn_min <= 100);
    CU_ASSERT_FALSE(turn_ours);
    CU_ASSERT_TRUE(car_min >= 300 && car_max <= 400);
    CU_ASSERT_FALSE(car_ours);
    bf_sim_truth_destroy(tr);

    /* The engine's demo config names the same radars, positions, range and noise. */
    FILE *f = fopen(bf_test_src("config/demo/borderfuse.json"), "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char buf[65536];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    cJSON *cfg = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cfg, "site")->valuestring, s->site);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cfg, "zones")->valuestring, "zones.geojson");
    const cJSON *origin = cJSON_GetObjectItem(cfg, "origin");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(origin, "lat")->valuedouble, s->origin_lat_deg, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(origin, "lon")->valuedouble, s->origin_lon_deg, 0);
    const cJSON *sensors = cJSON_GetObjectItem(cfg, "sensors");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(sensors), (int)(s->n_radars + s->n_ground_sensors));
    for (size_t i = 0; i < s->n_ground_sensors; i++) {
        const cJSON *j = cJSON_GetArrayItem(sensors, (int)(s->n_radars + i));
        const struct bf_sim_ground_sensor *g = &s->ground_sensors[i];
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "id")->valuestring, g->id);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "type")->valuestring, "ugs");
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "lat")->valuedouble, g->lat_deg, 0);
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "lon")->valuedouble, g->lon_deg, 0);
    }
    for (size_t i = 0; i < s->n_radars; i++) {
        const cJSON *j = cJSON_GetArrayItem(sensors, (int)i);
        const struct bf_sim_radar *r = &s->radars[i];
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "id")->valuestring, r->id);
        /* the radars speak ASTERIX: the engine listens where the simulator sends */
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "type")->valuestring, "asterix");
        CU_ASSERT_TRUE(r->asterix);
        const cJSON *ax = cJSON_GetObjectItem(j, "options");
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(ax, "port")->valueint, r->asterix_port);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(ax, "sac")->valueint, r->asterix_sac);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(ax, "sic")->valueint, r->asterix_sic);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ax, "date")->valuestring, "2026-03-01");
        CU_ASSERT_EQUAL(s->start_us % (INT64_C(86400) * BF_US_PER_S),
                        INT64_C(2) * 3600 * BF_US_PER_S);   /* 02:00 of that date */
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "lat")->valuedouble, r->lat_deg, 0);
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "lon")->valuedouble, r->lon_deg, 0);
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "range_m")->valuedouble, r->range_m, 0);
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "sigma_range_m")->valuedouble, r->sigma_range_m, 0);
        BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "sigma_bearing_deg")->valuedouble,
                       r->sigma_bearing_deg, 0);
    }
    cJSON_Delete(cfg);
    bf_sim_scenario_destroy(s);
}

static CU_TestInfo scenario_tests[] = {
    {"broken scenarios: line, column, path, reason", test_bad_table},
    {"syntax error located", test_syntax_error},
    {"every error reported at once", test_all_errors_reported},
    {"valid scenario: values and defaults", test_valid_values},
    {"missing file", test_missing_file},
    {"demo scenario: valid, 3 crossings, decoys stay back", test_demo},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim scenario", NULL, NULL, NULL, NULL, scenario_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
