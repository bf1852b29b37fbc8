/*
 * test_features.c - the scenario features of sim/features.c and sim/events.c:
 * every mistake in roads, water, events and the Pd keys reported with its
 * line, column, JSON path and reason; a road-bound vehicle follows its
 * polyline at its speed (both ways); a boat with a waypoint off its water is
 * refused; sensor_down/up windows; the weather factor inside and outside its
 * disc and its time; Pd by class and range, in the formula and in the radar
 * emulation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "sim/sim.h"
#include "sim_fixture.h"

/* A scenario on the straight test border with extra top-level members. */
static char *scen(const char *radar_extra, const char *top_extra, const char *targets)
{
    char radars[512];
    snprintf(radars, sizeof radars,
             "[{\"id\": \"r1\", \"lat\": 46.80, \"lon\": 8.20, \"range_m\": 3000, "
             "\"scan_period_s\": 1, \"pd\": 0.8%s},\n"
             "   {\"id\": \"r2\", \"lat\": 46.81, \"lon\": 8.21, \"range_m\": 3000, "
             "\"scan_period_s\": 1}]",
             radar_extra ? radar_extra : "");
    char *base = fx_scenario_text(radars, targets, 1000);
    size_t n = strlen(base) + (top_extra ? strlen(top_extra) : 0) + 8;
    char *t = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    /* insert the extra members right after the opening brace */
    snprintf(t, n, "{\n%s%s", top_extra ? top_extra : "", base + 2);
    free(base);
    return t;
}

/* Line and column (1-based) of the first occurrence of marker in text. */
static void where(const char *text, const char *marker, int *line, int *col)
{
    const char *p = strstr(text, marker);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    *line = 1;
    const char *bol = text;
    for (const char *q = text; q < p; q++)
        if (*q == '\n') {
            (*line)++;
            bol = q + 1;
        }
    *col = (int)(p - bol) + 1;
}

static const char *const WALKER =
    "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [[46.79, 8.2], [46.81, 8.2]], "
    "\"speed_mps\": 1.5}]";

struct bad_case {
    const char *radar_extra, *top, *targets;
    const char *marker;   /* the error is located where this first occurs */
    const char *path;
    const char *msg;
};

#define ROAD "  \"roads\": {\"lane\": [[46.795, 8.19], [46.795, 8.21]]},\n"
#define RIVER                                                                                     \
    "  \"water\": {\"river\": [[46.7995, 8.18], [46.7995, 8.22], [46.8005, 8.22], "             \
    "[46.8005, 8.18]]},\n"

static const struct bad_case bad_cases[] = {
    {", \"pd_by_class\": {\"persn\": 0.5}", NULL, NULL, "\"persn\"", "radars[0].pd_by_class.persn",
     "unknown key"},
    {", \"pd_by_class\": {\"person\": 1.5}", NULL, NULL, "1.5", "radars[0].pd_by_class.person",
     "between 0 and 1"},
    {", \"pd_far\": 0.9", NULL, NULL, "0.9", "radars[0].pd_far", "at most \"pd\""},
    {", \"pd_near_range_m\": 3000", NULL, NULL, "3000}", "radars[0].pd_near_range_m", "below range_m"},
    {NULL, "  \"evnts\": [],\n", NULL, "\"evnts\"", "evnts", "did you mean \"events\""},
    {NULL, "  \"roads\": {\"lane\": [[46.795, 8.19]]},\n", NULL, "[[46.795", "roads.lane",
     "at least 2"},
    {NULL, "  \"water\": {\"lake\": [[46.79, 8.19], [46.79, 8.2], [46.8, 195]]},\n", NULL, "195",
     "water.lake[2][1]", "longitude"},
    {NULL, ROAD,
     "[{\"id\": \"v\", \"class\": \"vehicle\", \"road\": \"lame\", \"speed_mps\": 10}]", "\"lame\"",
     "targets[0].road", "name of a road"},
    {NULL, ROAD,
     "[{\"id\": \"v\", \"class\": \"vehicle\", \"road\": \"lane\", \"speed_mps\": 10, "
     "\"waypoints\": [[46.79, 8.2], [46.8, 8.2]]}]",
     "[[46.79, 8.2], [46.8", "targets[0].waypoints", "cannot be used with \"road\""},
    {NULL, ROAD,
     "[{\"id\": \"v\", \"class\": \"vehicle\", \"road\": \"lane\", \"to_m\": 99999, "
     "\"speed_mps\": 10}]", "99999", "targets[0].to_m", "within [0, "},
    {NULL, NULL, "[{\"id\": \"v\", \"class\": \"vehicle\", \"from_m\": 10, \"waypoints\": "
     "[[46.79, 8.2], [46.8, 8.2]], \"speed_mps\": 10}]", "10, \"way", "targets[0].from_m",
     "only for a target on a \"road\""},
    {NULL, RIVER,
     "[{\"id\": \"b\", \"class\": \"person\", \"water\": \"river\", \"waypoints\": "
     "[[46.7997, 8.19], [46.8003, 8.2]], \"speed_mps\": 2}]", "\"person\"", "targets[0].class",
     "must be of class \"vessel\""},
    /* a boat whose second waypoint is on land */
    {NULL, RIVER,
     "[{\"id\": \"b\", \"class\": \"vessel\", \"water\": \"river\", \"waypoints\": "
     "[[46.7997, 8.19], [46.802, 8.2], [46.8003, 8.21]], \"speed_mps\": 2}]", "[46.802, 8.2]",
     "targets[0].waypoints[1]", "not on water \"river\""},
    {NULL, "  \"events\": [{\"at_s\": 10, \"type\": \"sensor_down\", \"sensor\": \"r3\"}],\n", NULL,
     "\"r3\"", "events[0].sensor", "radar, ground sensor or camera"},
    {NULL, "  \"events\": [{\"at_s\": 10, \"type\": \"snow\"}],\n", NULL, "\"snow\"",
     "events[0].type", "expected one of"},
    {NULL, "  \"events\": [{\"at_s\": 1000, \"type\": \"sensor_up\", \"sensor\": \"r1\"}],\n", NULL,
     "1000", "events[0].at_s", "before the end"},
    {NULL, "  \"events\": [{\"at_s\": 5, \"type\": \"weather\", \"duration_s\": 60, \"center\": "
     "[46.8, 8.2], \"radius_m\": 500, \"pd_factor\": 1.5}],\n", NULL, "1.5", "events[0].pd_factor",
     "between 0 and 1"},
    {NULL, "  \"events\": [{\"at_s\": 5, \"type\": \"broker_outage\", \"duration_s\": 5, "
     "\"sensor\": \"r1\"}],\n", NULL, "\"sensor\"", "events[0].sensor", "unknown key"},
};

static void test_bad_table(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *bc = &bad_cases[i];
        char *text = scen(bc->radar_extra, bc->top, bc->targets ? bc->targets : WALKER);
        struct fx_diags d;
        fx_diags_init(&d);
        struct bf_sim_scenario *s = NULL;
        int rc = fx_parse(text, &s, &d);
        CU_ASSERT_TRUE(rc < 0);
        CU_ASSERT_PTR_NULL(s);
        int line, col;
        where(text, bc->marker, &line, &col);
        bool found = false;
        for (size_t k = 0; k < d.n && !found; k++)
            found = strcmp(d.e[k].path, bc->path) == 0 && d.e[k].line == line &&
                    d.e[k].col == col && (!bc->msg || strstr(d.e[k].msg, bc->msg));
        if (!found) {
            fprintf(stderr, "\ncase %zu: expected %d:%d: %s: ...%s...\n", i, line, col, bc->path,
                    bc->msg ? bc->msg : "");
            fx_diags_dump(&d);
        }
        CU_ASSERT_TRUE(found);
        bf_sim_scenario_destroy(s);
        free(text);
    }
}

/* Position of target 0 at t_s (advancing a fresh truth). */
static void pos_at(const struct bf_sim_scenario *s, double t_s, struct bf_sim_target_pos *out)
{
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    CU_ASSERT_EQUAL(bf_sim_truth_advance(tr, t_s), 0);
    *out = bf_sim_truth_positions(tr)[0];
    bf_sim_truth_destroy(tr);
}

/* An L-shaped road on their side: (-1000,-500) -> (0,-500) -> (0,-100). */
static struct bf_sim_scenario *road_scenario(double from_m, double to_m)
{
    char top[256], tg[256];
    snprintf(top, sizeof top, "  \"roads\": {\"ell\": [%s, %s, %s]},\n", fx_pt(-1000, -500),
             fx_pt(0, -500), fx_pt(0, -100));
    snprintf(tg, sizeof tg, "[{\"id\": \"car\", \"class\": \"vehicle\", \"start_s\": 10, "
             "\"road\": \"ell\", \"from_m\": %g, \"to_m\": %g, \"speed_mps\": 10}]", from_m, to_m);
    char *text = scen(NULL, top, tg);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    if (fx_parse(text, &s, &d) < 0)
        fx_diags_dump(&d);
    free(text);
    return s;
}

static void test_road_motion(void)
{
    struct bf_sim_scenario *s = road_scenario(200, 1300);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const struct bf_sim_target *t = &s->targets[0];
    CU_ASSERT_EQUAL(t->motion, BF_SIM_MOTION_ROUTE);
    CU_ASSERT_EQUAL(t->n_wp, 3);   /* from_m, the corner, to_m */
    struct bf_sim_target_pos p;
    pos_at(s, 5, &p);
    CU_ASSERT_FALSE(p.active);   /* not started */
    pos_at(s, 10, &p);
    CU_ASSERT_TRUE(p.active);
    BF_ASSERT_NEAR(p.e_m, -800, 0.5);
    BF_ASSERT_NEAR(p.n_m, -500, 0.5);
    pos_at(s, 60, &p);   /* 500 m on: 700 m along the road */
    BF_ASSERT_NEAR(p.e_m, -300, 0.5);
    BF_ASSERT_NEAR(p.n_m, -500, 0.5);
    BF_ASSERT_NEAR(p.ve_mps, 10, 0.05);
    BF_ASSERT_NEAR(p.vn_mps, 0, 0.05);
    pos_at(s, 110, &p);   /* 1200 m along: round the corner, 200 m north */
    BF_ASSERT_NEAR(p.e_m, 0, 0.5);
    BF_ASSERT_NEAR(p.n_m, -300, 0.5);
    BF_ASSERT_NEAR(p.ve_mps, 0, 0.05);
    BF_ASSERT_NEAR(p.vn_mps, 10, 0.05);
    pos_at(s, 125, &p);   /* 1100 m at 10 m/s: arrived at 120 s, gone */
    CU_ASSERT_FALSE(p.active);
    bf_sim_scenario_destroy(s);

    /* the other way, and to_m defaulting to... the road's end is 1400 m */
    s = road_scenario(1300, 100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    pos_at(s, 20, &p);   /* 100 m back from 1300: 1200 m along */
    BF_ASSERT_NEAR(p.e_m, 0, 0.5);
    BF_ASSERT_NEAR(p.n_m, -300, 0.5);
    BF_ASSERT_NEAR(p.vn_mps, -10, 0.05);
    pos_at(s, 70, &p);   /* 700 m along */
    BF_ASSERT_NEAR(p.e_m, -300, 0.5);
    BF_ASSERT_NEAR(p.n_m, -500, 0.5);
    BF_ASSERT_NEAR(p.ve_mps, -10, 0.05);
    bf_sim_scenario_destroy(s);
}

static void test_road_default_end(void)
{
    char top[256];
    snprintf(top, sizeof top, "  \"roads\": {\"ell\": [%s, %s, %s]},\n", fx_pt(-1000, -500),
             fx_pt(0, -500), fx_pt(0, -100));
    char *text = scen(NULL, top, "[{\"id\": \"car\", \"class\": \"vehicle\", \"road\": \"ell\", "
                                 "\"speed_mps\": 20}]");
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(fx_parse(text, &s, NULL), 0);
    BF_ASSERT_NEAR(s->targets[0].road_to_m, 1400, 0.5);
    BF_ASSERT_NEAR(s->features->roads[0].length_m, 1400, 0.5);
    struct bf_sim_target_pos p;
    pos_at(s, 69, &p);   /* 1380 m along */
    BF_ASSERT_NEAR(p.e_m, 0, 0.5);
    BF_ASSERT_NEAR(p.n_m, -120, 0.5);
    bf_sim_scenario_destroy(s);
    free(text);
}

static void test_boat_on_water(void)
{
    char top[256], tg[512];
    snprintf(top, sizeof top, "  \"water\": {\"river\": [%s, %s, %s, %s, %s]},\n",
             fx_pt(-2000, -80), fx_pt(2000, -80), fx_pt(2000, 80), fx_pt(-2000, 80),
             fx_pt(-2000, -80));
    snprintf(tg, sizeof tg, "[{\"id\": \"boat\", \"class\": \"vessel\", \"water\": \"river\", "
             "\"waypoints\": [%s, %s, %s], \"speed_mps\": 3}]", fx_pt(-500, -50), fx_pt(0, 50),
             fx_pt(500, 70));
    char *text = scen(NULL, top, tg);
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    int rc = fx_parse(text, &s, &d);
    if (rc < 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(s->features->water[0].n, 4);   /* the closing vertex dropped */
    const struct bf_sim_shape *w = &s->features->water[0];
    CU_ASSERT_TRUE(bf_sim_shape_contains(w, 0, 0));
    CU_ASSERT_TRUE(bf_sim_shape_contains(w, 1999, 79));
    CU_ASSERT_FALSE(bf_sim_shape_contains(w, 0, 81));
    CU_ASSERT_FALSE(bf_sim_shape_contains(w, 2001, 0));
    bf_sim_scenario_destroy(s);
    free(text);

    /* the last waypoint 10 m onto the bank: refused, located at that waypoint */
    snprintf(tg, sizeof tg, "[{\"id\": \"boat\", \"class\": \"vessel\", \"water\": \"river\", "
             "\"waypoints\": [%s, %s, %s], \"speed_mps\": 3}]", fx_pt(-500, -50), fx_pt(0, 50),
             fx_pt(500, 90));
    text = scen(NULL, top, tg);
    fx_diags_init(&d);
    CU_ASSERT_TRUE(fx_parse(text, &s, &d) < 0);
    CU_ASSERT_EQUAL_FATAL(d.n, 1);
    CU_ASSERT_STRING_EQUAL(d.e[0].path, "targets[0].waypoints[2]");
    CU_ASSERT_PTR_NOT_NULL(strstr(d.e[0].msg, "not on water"));
    free(text);
}

static void test_sensor_events(void)
{
    char *text = scen(NULL,
                      "  \"events\": [\n"
                      "    {\"at_s\": 300, \"type\": \"sensor_down\", \"sensor\": \"r1\"},\n"
                      "    {\"at_s\": 200, \"type\": \"sensor_up\", \"sensor\": \"r1\"},\n"
                      "    {\"at_s\": 100, \"type\": \"sensor_down\", \"sensor\": \"r1\"},\n"
                      "    {\"at_s\": 150, \"type\": \"sensor_down\", \"sensor\": \"r2\"},\n"
                      "    {\"at_s\": 150, \"type\": \"sensor_up\", \"sensor\": \"r2\"}],\n",
                      WALKER);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(fx_parse(text, &s, NULL), 0);
    size_t n;
    const struct bf_sim_event *ev = bf_sim_events(s, &n);
    CU_ASSERT_EQUAL_FATAL(n, 5);
    for (size_t i = 1; i < n; i++)   /* sorted by time */
        CU_ASSERT_TRUE(ev[i - 1].at_s <= ev[i].at_s);
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "r1", 0));
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "r1", 99.9));
    CU_ASSERT_TRUE(bf_sim_events_sensor_down(s, "r1", 100));
    CU_ASSERT_TRUE(bf_sim_events_sensor_down(s, "r1", 199.9));
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "r1", 200));
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "r1", 299));
    CU_ASSERT_TRUE(bf_sim_events_sensor_down(s, "r1", 300));
    CU_ASSERT_TRUE(bf_sim_events_sensor_down(s, "r1", 999));   /* never up again */
    /* down and up at the same time, in that order: up */
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "r2", 150));
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "r2", 500));
    CU_ASSERT_FALSE(bf_sim_events_sensor_down(s, "nobody", 500));
    char line[128];
    bf_sim_event_describe(&ev[0], line, sizeof line);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "r1 down"));
    bf_sim_scenario_destroy(s);
    free(text);
}

static void test_weather(void)
{
    char top[512];
    snprintf(top, sizeof top,
             "  \"events\": [\n"
             "    {\"at_s\": 50, \"type\": \"weather\", \"duration_s\": 100, \"center\": %s, "
             "\"radius_m\": 500, \"pd_factor\": 0.3},\n"
             "    {\"at_s\": 100, \"type\": \"weather\", \"duration_s\": 20, \"center\": %s, "
             "\"radius_m\": 300, \"pd_factor\": 0.5}],\n",
             fx_pt(0, 0), fx_pt(400, 0));
    char *text = scen(NULL, top, WALKER);
    struct bf_sim_scenario *s = NULL;
    struct fx_diags d;
    fx_diags_init(&d);
    if (fx_parse(text, &s, &d) < 0)
        fx_diags_dump(&d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 0, 0, 49.9), 1.0, 1e-12);
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 0, 0, 50), 0.3, 1e-12);
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 300, 300, 60), 0.3, 1e-9);     /* 424 m out */
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 400, 400, 60), 1.0, 1e-12);    /* 566 m out */
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, -600, 0, 60), 1.0, 1e-12);
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 300, 0, 110), 0.15, 1e-9);     /* both discs */
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 600, 0, 110), 0.5, 1e-9);      /* only the 2nd */
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 300, 0, 120), 0.3, 1e-9);      /* 2nd over */
    BF_ASSERT_NEAR(bf_sim_events_pd_factor(s, 0, 0, 150), 1.0, 1e-12);       /* 1st over */
    bf_sim_scenario_destroy(s);
    free(text);
}

static void test_pd_formula(void)
{
    char *text = scen(", \"pd_by_class\": {\"person\": 0.6, \"vehicle\": 1}, "
                      "\"pd_near_range_m\": 1000, \"pd_far\": 0.4", NULL, WALKER);
    struct bf_sim_scenario *s = NULL;
    struct fx_diags d;
    fx_diags_init(&d);
    if (fx_parse(text, &s, &d) < 0)
        fx_diags_dump(&d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const struct bf_sim_radar *r = &s->radars[0];
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_PERSON, 500), 0.6, 1e-12);
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_ANIMAL, 500), 0.8, 1e-12);
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_ANIMAL, 2000), 0.6, 1e-12);   /* halfway down */
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_ANIMAL, 3000), 0.4, 1e-12);
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_PERSON, 3000), 0.3, 1e-12);   /* same proportion */
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_VEHICLE, 3000), 0.5, 1e-12);
    BF_ASSERT_NEAR(bf_sim_radar_pd(r, BF_CLASS_PERSON, 3001), 0.0, 1e-12);
    /* the radar without the keys: flat "pd" (default 0.9) over its range */
    BF_ASSERT_NEAR(bf_sim_radar_pd(&s->radars[1], BF_CLASS_PERSON, 2999), 0.9, 1e-12);
    /* pd_far without pd_near_range_m: the fall-off starts at the radar */
    bf_sim_scenario_destroy(s);
    free(text);
    text = scen(", \"pd_far\": 0.2", NULL, WALKER);
    CU_ASSERT_EQUAL_FATAL(fx_parse(text, &s, NULL), 0);
    BF_ASSERT_NEAR(bf_sim_radar_pd(&s->radars[0], BF_CLASS_PERSON, 0), 0.8, 1e-12);
    BF_ASSERT_NEAR(bf_sim_radar_pd(&s->radars[0], BF_CLASS_PERSON, 1500), 0.5, 1e-12);
    bf_sim_scenario_destroy(s);
    free(text);
}

/* Scans of radar r over targets tp: fraction of scans with a target plot. */
static double detect_rate(const struct bf_sim_radar *r, const struct bf_sim_target_pos *tp,
                          size_t n, const double *factor, int scans)
{
    struct bf_sim_radar_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_radar_emu_create(r, 7, 1, n, &e), 0);
    size_t cap = bf_sim_radar_emu_msg_max(e);
    char *buf = malloc(cap);
    int hits = 0;
    for (int k = 0; k < scans; k++) {
        bf_sim_radar_emu_set_pd_factors(e, factor);
        size_t len, np;
        CU_ASSERT_EQUAL(bf_sim_radar_emu_scan(e, tp, n, (bf_time_us)k * 1000000, false, buf, cap,
                                              &len), 0);
        const struct bf_sim_plot *pl = bf_sim_radar_emu_plots(e, &np);
        for (size_t i = 0; i < np; i++)
            hits += pl[i].merged > 0;
    }
    free(buf);
    bf_sim_radar_emu_destroy(e);
    return (double)hits / scans;
}

static void test_pd_in_emulation(void)
{
    char *text = scen(", \"pd_by_class\": {\"person\": 0.5, \"animal\": 0}, "
                      "\"sigma_range_m\": 0, \"clutter_per_scan\": 0", NULL, WALKER);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(fx_parse(text, &s, NULL), 0);
    const struct bf_sim_radar *r = &s->radars[0];
    struct bf_sim_target_pos person = {.active = true, .e_m = 1000, .n_m = 0, .cls = "person"};
    struct bf_sim_target_pos animal = {.active = true, .e_m = 1000, .n_m = 0, .cls = "animal"};
    struct bf_sim_target_pos car = {.active = true, .e_m = 1000, .n_m = 0, .cls = "vehicle"};
    double rp = detect_rate(r, &person, 1, NULL, 2000);
    CU_ASSERT_TRUE(rp > 0.45 && rp < 0.55);
    CU_ASSERT_EQUAL(detect_rate(r, &animal, 1, NULL, 500), 0.0);
    double rc = detect_rate(r, &car, 1, NULL, 2000);   /* "pd" 0.8 */
    CU_ASSERT_TRUE(rc > 0.76 && rc < 0.84);
    /* weather: factor 0.5 halves it, 0 blinds it */
    double half = 0.5, zero = 0.0;
    double rw = detect_rate(r, &car, 1, &half, 2000);
    CU_ASSERT_TRUE(rw > 0.36 && rw < 0.44);
    CU_ASSERT_EQUAL(detect_rate(r, &car, 1, &zero, 500), 0.0);
    /* merged: an animal 5 m from a car is seen as well as the car */
    struct bf_sim_target_pos pair[2] = {animal, car};
    pair[1].e_m += 5;
    double rm = detect_rate(r, pair, 2, NULL, 2000);
    CU_ASSERT_TRUE(rm > 0.76 && rm < 0.84);
    bf_sim_scenario_destroy(s);
    free(text);
}

static CU_TestInfo feature_tests[] = {
    {"broken roads, water, events, Pd keys: line, column, path, reason", test_bad_table},
    {"road-bound vehicle follows the polyline at its speed, both ways", test_road_motion},
    {"road-bound vehicle: to_m defaults to the road's end", test_road_default_end},
    {"boat: waypoints inside the water accepted, one outside refused", test_boat_on_water},
    {"sensor_down / sensor_up windows", test_sensor_events},
    {"weather factor inside/outside the disc, in/out of time", test_weather},
    {"Pd by class and range: the formula", test_pd_formula},
    {"Pd by class and weather factor in the radar emulation", test_pd_in_emulation},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim features", NULL, NULL, NULL, NULL, feature_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
