/*
 * test_report.c - scoring over time and the human report on a tiny,
 * hand-checkable case: two targets on the straight test border, three track
 * pictures (plus one before the start and one malformed), four alerts.
 * Asserted: OSPA/GOSPA per picture and their means, the 50 m rule of the time
 * to first confirmed track, false alerts per hour, nuisance alerts by cause,
 * alerts per sensor, the scorecard members, and the files: well-formed
 * enough (balanced tags), the expected trails, markers and legend entries,
 * coordinates inside the viewBox, nothing external in the page.
 *
 * The case (local frame of the fixture, c = 100 m, p = 1):
 *   w: person from (0, -100) north at 1 m/s from t = 0 (crosses n = 0 at 100 s)
 *   v: vehicle from (1000, -500) east at 10 m/s from t = 50 s
 *   t = 10:  no track                       w missed:          OSPA 100, GOSPA 50
 *   t = 60:  A (30, -40), F (-3000, 1000), C = v + (0, 60)
 *            A-w 30, C-v 60, F false:       OSPA 190/3, GOSPA 140 (loc 90, false 50)
 *   t = 120: A at w, C = v + (0, 40):       OSPA 20, GOSPA 40
 *   w is first found at 60 s (A at 30 m); v at 120 s, not 60 s (C at 60 m > 50 m).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "sim/sim.h"
#include "sim_fixture.h"

#define DURATION_S 300.0

static const char *targets_json(void)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 1},"
             " {\"id\": \"v\", \"class\": \"vehicle\", \"start_s\": 50, \"waypoints\": [%s, %s],"
             " \"speed_mps\": 10}]",
             fx_pt(0, -100), fx_pt(0, 100), fx_pt(1000, -500), fx_pt(3000, -500));
    return buf;
}

static void iso_at(const struct bf_sim_scenario *s, double t_s, char *buf, size_t len)
{
    bf_time_format_iso(s->start_us + bf_time_from_s(t_s), buf, len);
}

/* A picture at t_s with n tracks (id, e, n). */
static int picture(struct bf_sim_report *r, const struct bf_sim_scenario *s, double t_s,
                   const double (*trk)[3], size_t n)
{
    char iso[BF_TIME_ISO_LEN], msg[2048];
    iso_at(s, t_s, iso, sizeof iso);
    int p = snprintf(msg, sizeof msg, "{\"site\":\"test\",\"time\":\"%s\",\"tracks\":[", iso);
    for (size_t i = 0; i < n; i++) {
        double lat, lon;
        fx_ll(trk[i][1], trk[i][2], &lat, &lon);
        p += snprintf(msg + p, sizeof msg - (size_t)p,
                      "%s{\"id\":%.0f,\"status\":\"confirmed\",\"lat\":%.9f,\"lon\":%.9f,"
                      "\"speed_mps\":1,\"heading_deg\":0,\"class\":\"person\",\"class_p\":0.5,"
                      "\"exercise\":false}", i ? "," : "", trk[i][0], lat, lon);
    }
    p += snprintf(msg + p, sizeof msg - (size_t)p, "]}");
    return bf_sim_report_picture(r, msg, (size_t)p);
}

/* One alert message, noted in the log and in the report. */
static void alert(struct bf_sim_alert_log *log, struct bf_sim_report *r,
                  const struct bf_sim_scenario *s, const char *id, const char *type,
                  const char *state, double t_s, double e, double n, const char *sensors)
{
    char iso[BF_TIME_ISO_LEN], msg[1024];
    double lat, lon;
    fx_ll(e, n, &lat, &lon);
    iso_at(s, t_s, iso, sizeof iso);
    int len = snprintf(msg, sizeof msg,
                       "{\"id\":\"%s\",\"type\":\"%s\",\"state\":\"%s\",\"first_time\":\"%s\","
                       "\"time\":\"%s\",\"position\":{\"lat\":%.9f,\"lon\":%.9f},"
                       "\"sensors\":[%s],\"exercise\":false}",
                       id, type, state, iso, iso, lat, lon, sensors);
    struct bf_sim_alert a;
    CU_ASSERT_TRUE_FATAL(bf_sim_alert_log_message(log, msg, (size_t)len, false, &a) >= 0);
    CU_ASSERT_EQUAL(bf_sim_report_alert(r, &a), 0);
}

struct run {
    struct bf_sim_scenario *s;
    struct bf_sim_report *r;
    struct bf_sim_alert_log log;
    struct bf_sim_crossing *cr;
    size_t n_cr;
    struct bf_sim_score sc;
};

static void run_case(struct run *x)
{
    memset(x, 0, sizeof *x);
    char *text = fx_scenario_text(NULL, targets_json(), DURATION_S);
    struct fx_diags d;
    fx_diags_init(&d);
    int rc = fx_parse(text, &x->s, &d);
    free(text);
    if (rc < 0)
        fx_diags_dump(&d);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_report_create(x->s, &x->r), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_alert_log_init(&x->log, 64), 0);

    const double p2[][3] = {{1, 30, -40}, {2, -3000, 1000}, {3, 1100, -440}};
    const double p3[][3] = {{1, 0, 20}, {3, 1700, -460}};
    CU_ASSERT_EQUAL(picture(x->r, x->s, 10, NULL, 0), 0);
    CU_ASSERT_EQUAL(picture(x->r, x->s, 60, p2, 3), 0);
    CU_ASSERT_EQUAL(picture(x->r, x->s, 120, p3, 2), 0);
    CU_ASSERT_EQUAL(picture(x->r, x->s, -5, p3, 2), 0);   /* before the start: kept, not scored */
    CU_ASSERT_EQUAL(bf_sim_report_picture(x->r, "{\"time\": 5, \"tracks\": []}", 26), BF_EPARSE);
    CU_ASSERT_EQUAL(bf_sim_report_picture(x->r, "not json", 8), BF_EPARSE);

    /* a1 alerts w's crossing; a2 is false (caused by v); a3 warns of w; a4 is clutter */
    alert(&x->log, x->r, x->s, "a1", "INCURSION", "NEW", 105, 0, 10, "\"r1\", \"r2\"");
    alert(&x->log, x->r, x->s, "a1", "INCURSION", "UPDATED", 105, 0, 30, "\"r3\", \"r1\"");
    alert(&x->log, x->r, x->s, "a2", "INCURSION", "NEW", 130, 1700, -480, "\"r2\"");
    alert(&x->log, x->r, x->s, "a3", "APPROACH", "NEW", 20, 0, -80, "\"r1\"");
    alert(&x->log, x->r, x->s, "a4", "APPROACH", "NEW", 200, -4000, -3000, "");

    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(x->s, &x->cr, &x->n_cr), 0);
    CU_ASSERT_EQUAL_FATAL(x->n_cr, 1);
    struct bf_sim_score_params sp;
    bf_sim_score_params_default(&sp);
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(x->cr, x->n_cr, x->s->start_us, x->log.items,
                                               x->log.n, &sp, &x->sc), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_targets(&x->sc, x->s, x->cr, x->n_cr, x->log.items,
                                               x->log.n, sp.match_radius_m), 0);
    CU_ASSERT_EQUAL(x->sc.false_alerts, 1);
    struct bf_sim_run_info ri = {.scenario = "test.json", .site = x->s->site,
                                 .duration_s = DURATION_S, .start_us = x->s->start_us,
                                 .seed = 42, .time_scale = 0};
    CU_ASSERT_EQUAL_FATAL(bf_sim_report_finish(x->r, &ri, x->cr, x->n_cr, x->log.items, x->log.n,
                                               &x->sc, &sp), 0);
}

static void free_case(struct run *x)
{
    bf_sim_report_destroy(x->r);
    bf_sim_score_free(&x->sc);
    free(x->cr);
    bf_sim_alert_log_free(&x->log);
    bf_sim_scenario_destroy(x->s);
}

static void test_metrics_over_time(void)
{
    struct run x;
    run_case(&x);
    const struct bf_sim_report_summary *sm = bf_sim_report_summary(x.r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sm);
    CU_ASSERT_EQUAL(sm->pictures, 4);
    CU_ASSERT_EQUAL(sm->pictures_scored, 3);
    CU_ASSERT_EQUAL(sm->pictures_malformed, 2);
    CU_ASSERT_EQUAL_FATAL(sm->n_series, 3);
    const double ospa[] = {100, 190.0 / 3, 20}, gospa[] = {50, 140, 40};
    const double loc[] = {0, 90, 40}, missed[] = {50, 0, 0}, fals[] = {0, 50, 0};
    const double t[] = {10, 60, 120};
    for (size_t i = 0; i < 3; i++) {
        BF_ASSERT_NEAR(sm->t_s[i], t[i], 1e-6);
        BF_ASSERT_NEAR(sm->metric[i].ospa, ospa[i], 1e-3);
        BF_ASSERT_NEAR(sm->metric[i].gospa, gospa[i], 1e-3);
        BF_ASSERT_NEAR(sm->metric[i].gospa_loc, loc[i], 1e-3);
        BF_ASSERT_NEAR(sm->metric[i].gospa_missed, missed[i], 1e-9);
        BF_ASSERT_NEAR(sm->metric[i].gospa_false, fals[i], 1e-9);
    }
    BF_ASSERT_NEAR(sm->mean.ospa, (100 + 190.0 / 3 + 20) / 3, 1e-3);
    BF_ASSERT_NEAR(sm->mean.gospa, (50 + 140 + 40) / 3.0, 1e-3);
    BF_ASSERT_NEAR(sm->mean.gospa_missed, 50 / 3.0, 1e-9);

    /* time to first confirmed track: the 50 m rule */
    CU_ASSERT_EQUAL_FATAL(sm->n_targets, 2);
    CU_ASSERT_STRING_EQUAL(sm->targets[0].id, "w");
    BF_ASSERT_NEAR(sm->targets[0].appeared_s, 0, 1e-9);
    BF_ASSERT_NEAR(sm->targets[0].confirmed_s, 60, 1e-6);
    BF_ASSERT_NEAR(sm->targets[0].ttfc_s, 60, 1e-6);
    CU_ASSERT_STRING_EQUAL(sm->targets[1].id, "v");
    BF_ASSERT_NEAR(sm->targets[1].appeared_s, 50, 1e-9);
    BF_ASSERT_NEAR(sm->targets[1].confirmed_s, 120, 1e-6);
    BF_ASSERT_NEAR(sm->targets[1].ttfc_s, 70, 1e-6);

    /* one false INCURSION in 300 s */
    BF_ASSERT_NEAR(sm->false_alerts_per_hour, 12, 1e-9);
    /* nuisance: APPROACH a4 (clutter), INCURSION a2 (v); sorted by type then cause */
    CU_ASSERT_EQUAL(sm->nuisance_total, 2);
    CU_ASSERT_EQUAL_FATAL(sm->n_nuisance, 2);
    CU_ASSERT_STRING_EQUAL(sm->nuisance[0].type, "APPROACH");
    CU_ASSERT_STRING_EQUAL(sm->nuisance[0].cause, "clutter");
    CU_ASSERT_EQUAL(sm->nuisance[0].count, 1);
    CU_ASSERT_STRING_EQUAL(sm->nuisance[1].type, "INCURSION");
    CU_ASSERT_STRING_EQUAL(sm->nuisance[1].cause, "v");
    /* every alert id once per sensor it ever named */
    CU_ASSERT_FALSE(sm->picture_sensors);
    CU_ASSERT_EQUAL_FATAL(sm->n_sensors, 3);
    CU_ASSERT_STRING_EQUAL(sm->sensors[0].id, "r1");
    CU_ASSERT_EQUAL(sm->sensors[0].alerts, 2);
    CU_ASSERT_EQUAL(sm->sensors[0].incursions, 1);
    CU_ASSERT_EQUAL(sm->sensors[0].approaches, 1);
    CU_ASSERT_STRING_EQUAL(sm->sensors[1].id, "r2");
    CU_ASSERT_EQUAL(sm->sensors[1].alerts, 2);
    CU_ASSERT_EQUAL(sm->sensors[1].incursions, 2);
    CU_ASSERT_STRING_EQUAL(sm->sensors[2].id, "r3");
    CU_ASSERT_EQUAL(sm->sensors[2].alerts, 1);

    /* the collection is closed */
    CU_ASSERT_EQUAL(picture(x.r, x.s, 130, NULL, 0), BF_ESTATE);
    struct bf_sim_run_info ri = {.duration_s = DURATION_S};
    CU_ASSERT_EQUAL(bf_sim_report_finish(x.r, &ri, NULL, 0, NULL, 0, NULL, NULL), BF_ESTATE);

    /* the scorecard members */
    cJSON *card = cJSON_CreateObject();
    CU_ASSERT_EQUAL(bf_sim_report_scorecard_add(x.r, card), 0);
    const cJSON *acc = cJSON_GetObjectItem(card, "track_accuracy");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(acc, "gospa_mean_m")->valuedouble, 76.67, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(acc, "ospa_mean_m")->valuedouble, 61.11, 1e-9);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(acc, "pictures_scored")->valueint, 3);
    const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetObjectItem(card, "time_to_first_track"), 1);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(t1, "time_to_first_track_s")->valuedouble, 70, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(card, "false_alerts_per_hour")->valuedouble, 12, 1e-9);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(card, "nuisance_alerts"),
                                        "total")->valueint, 2);
    const cJSON *sen = cJSON_GetObjectItem(card, "sensor_contribution");
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(sen, "picture_names_sensors")));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(sen, "sensors")), 3);
    cJSON_Delete(card);
    free_case(&x);
}

/* ---- the files ---------------------------------------------------------------- */

static char *slurp(const char *dir, const char *name)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return bf_test_read_file(path, NULL);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/*
 * Every element closed in order (a stack of names); void HTML elements
 * (meta) need no end tag.  Returns true when balanced.
 */
static bool balanced(const char *t)
{
    char stack[64][24];
    int depth = 0;
    for (const char *p = strchr(t, '<'); p; p = strchr(p + 1, '<')) {
        if (p[1] == '!')
            continue;   /* <!DOCTYPE> */
        bool closing = p[1] == '/';
        const char *nm = p + 1 + closing;
        size_t len = strcspn(nm, " \t\n/>");
        const char *end = strchr(nm, '>');
        if (!end || len == 0 || len >= sizeof stack[0])
            return false;
        bool self = end[-1] == '/' || (len == 4 && strncmp(nm, "meta", 4) == 0);
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != len ||
                strncmp(stack[depth - 1], nm, len) != 0)
                return false;
            depth--;
        } else if (!self) {
            if (depth == 64)
                return false;
            memcpy(stack[depth], nm, len);
            stack[depth++][len] = '\0';
        }
    }
    return depth == 0;
}

/* Every x/y/cx/cy/x1/.. attribute and every point of a points list within [0, w] x [0, h]. */
static bool inside_viewbox(const char *t, double w, double h)
{
    static const char *const xs[] = {" x=\"", " cx=\"", " x1=\"", " x2=\""};
    static const char *const ys[] = {" y=\"", " cy=\"", " y1=\"", " y2=\""};
    for (size_t k = 0; k < 4; k++) {
        for (const char *p = t; (p = strstr(p, xs[k])); p++)
            if (!(strtod(p + strlen(xs[k]), NULL) >= 0 && strtod(p + strlen(xs[k]), NULL) <= w))
                return false;
        for (const char *p = t; (p = strstr(p, ys[k])); p++)
            if (!(strtod(p + strlen(ys[k]), NULL) >= 0 && strtod(p + strlen(ys[k]), NULL) <= h))
                return false;
    }
    for (const char *p = t; (p = strstr(p, " points=\"")); p++) {
        const char *q = p + 9;
        while (*q && *q != '"') {
            char *e;
            double x = strtod(q, &e);
            if (*e != ',')
                return false;
            double y = strtod(e + 1, &e);
            if (!(x >= 0 && x <= w && y >= 0 && y <= h))
                return false;
            q = e + (*e == ' ');
        }
    }
    return true;
}

/* The viewBox of an SVG document: width and height. */
static bool viewbox(const char *t, double *w, double *h)
{
    const char *p = strstr(t, "viewBox=\"0 0 ");
    return p && sscanf(p + 13, "%lf %lf", w, h) == 2 && *w > 0 && *h > 0;
}

static void test_files(void)
{
    struct run x;
    run_case(&x);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/report/sub", bf_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(bf_sim_report_write(x.r, dir), 0);

    char *map = slurp(dir, "map.svg"), *gospa = slurp(dir, "gospa.svg");
    char *alerts = slurp(dir, "alerts.svg"), *html = slurp(dir, "report.html");
    CU_ASSERT_PTR_NOT_NULL_FATAL(map);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gospa);
    CU_ASSERT_PTR_NOT_NULL_FATAL(alerts);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    const char *svgs[] = {map, gospa, alerts};
    for (size_t i = 0; i < 3; i++) {
        double w, h;
        CU_ASSERT_TRUE(balanced(svgs[i]));
        CU_ASSERT_TRUE(viewbox(svgs[i], &w, &h));
        CU_ASSERT_TRUE(w >= 800 && w <= 1000 && h >= 400 && h <= 700);
        CU_ASSERT_TRUE(inside_viewbox(svgs[i], w, h));
        CU_ASSERT_EQUAL(count(svgs[i], "<svg "), 1);
        CU_ASSERT_EQUAL(count(svgs[i], "font-size=\"1"), count(svgs[i], "font-size=\""));   /* >= 10 */
        CU_ASSERT_EQUAL(count(svgs[i], "font-size=\"10\"") + count(svgs[i], "font-size=\"11\""), 0);
    }
    /* map: one trail per target, one per track id (F and the others), the alerts, the legend */
    CU_ASSERT_EQUAL(count(map, "class=\"truth\""), 2);
    CU_ASSERT_EQUAL(count(map, "class=\"truth-label\""), 2);
    CU_ASSERT_EQUAL(count(map, "class=\"track\""), 3);
    CU_ASSERT_EQUAL(count(map, "<polyline class=\"track\""), 2);   /* tracks 1 and 3 */
    CU_ASSERT_EQUAL(count(map, "class=\"alert-INCURSION\""), 2);
    CU_ASSERT_EQUAL(count(map, "class=\"alert-APPROACH\""), 1);   /* a4 is beyond the map */
    CU_ASSERT_PTR_NOT_NULL(strstr(map, ">1 alert beyond the map<"));
    CU_ASSERT_EQUAL(count(map, "class=\"zone zone-border\""), 1);
    CU_ASSERT_EQUAL(count(map, ">OUR SIDE<"), 1);
    CU_ASSERT_EQUAL(count(map, "class=\"scale-bar\""), 1);
    CU_ASSERT_EQUAL(count(map, "class=\"north\""), 1);
    const char *map_legend[] = {">border line<", ">true trail (target id)<",
                                ">confirmed track trail<", ">INCURSION alert<",
                                ">APPROACH alert<", ">radar<", ">radar coverage<"};
    for (size_t i = 0; i < 7; i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(map, map_legend[i]));
    CU_ASSERT_EQUAL(count(map, "class=\"legend\""), 7);
    /* the radar's region (docs/coverage.md): one path, a disc of 2-degree steps, no terrain */
    CU_ASSERT_EQUAL(count(map, "class=\"coverage\""), 1);
    CU_ASSERT_EQUAL(count(map, "fill-rule=\"evenodd\""), 1);
    /* gospa: five series, one point per picture each on GOSPA and OSPA */
    CU_ASSERT_EQUAL(count(gospa, "class=\"series "), 5);
    CU_ASSERT_EQUAL(count(gospa, "class=\"point\""), 6);
    const char *g_legend[] = {">GOSPA<", ">localisation part<", ">missed part<", ">false part<",
                              ">OSPA<", ">true crossing<", ">distance [m]<",
                              ">simulated time since start [s]<"};
    for (size_t i = 0; i < 8; i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(gospa, g_legend[i]));
    CU_ASSERT_EQUAL(count(gospa, "class=\"crossing\""), 1);
    /* alerts: two lanes, four markers (two hollow: a2 and a4), one crossing line */
    CU_ASSERT_EQUAL(count(alerts, "class=\"lane\""), 2);
    CU_ASSERT_EQUAL(count(alerts, "class=\"alert-INCURSION\""), 2);
    CU_ASSERT_EQUAL(count(alerts, "class=\"alert-APPROACH\""), 2);
    CU_ASSERT_EQUAL(count(alerts, "class=\"alert-INCURSION\" fill=\"#ffffff\""), 1);
    CU_ASSERT_EQUAL(count(alerts, "class=\"alert-APPROACH\" fill=\"#ffffff\""), 1);
    CU_ASSERT_EQUAL(count(alerts, "class=\"crossing\""), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(alerts, ">w<"));
    CU_ASSERT_PTR_NOT_NULL(strstr(alerts, ">hollow: nuisance alert<"));

    /* the page: self-contained, the same plots inline, the tables */
    CU_ASSERT_TRUE(balanced(html));
    CU_ASSERT_EQUAL(count(html, "<svg "), 3);
    CU_ASSERT_EQUAL(count(html, "<script"), 0);
    CU_ASSERT_EQUAL(count(html, "href="), 0);
    CU_ASSERT_EQUAL(count(html, "src="), 0);
    CU_ASSERT_EQUAL(count(html, "http"), count(html, "http://www.w3.org/2000/svg"));
    CU_ASSERT_EQUAL(count(html, "EXERCISE"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>w</td><td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>alerted</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td class=\"n\">12.00</td>"));   /* false alerts / h */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "76.7 m"));                       /* GOSPA mean */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>r3</td><td class=\"n\">1</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "track picture carries no sensor list"));
    free(map);
    free(gospa);
    free(alerts);
    free(html);
    free_case(&x);
}

static void test_exercise_and_no_pictures(void)
{
    char *text = fx_scenario_text(NULL, targets_json(), DURATION_S);
    char *ex = malloc(strlen(text) + 32);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    const char *at = strstr(text, "\"seed\"");
    snprintf(ex, strlen(text) + 32, "%.*s\"exercise\": true,\n  %s", (int)(at - text), text, at);
    free(text);
    struct bf_sim_scenario *s;
    CU_ASSERT_EQUAL_FATAL(fx_parse(ex, &s, NULL), 0);
    free(ex);
    struct bf_sim_report *r;
    CU_ASSERT_EQUAL_FATAL(bf_sim_report_create(s, &r), 0);
    CU_ASSERT_PTR_NULL(bf_sim_report_summary(r));
    CU_ASSERT_EQUAL(bf_sim_report_write(r, bf_test_tmpdir()), BF_ESTATE);
    struct bf_sim_run_info ri = {.exercise = true, .duration_s = 0};
    CU_ASSERT_EQUAL_FATAL(bf_sim_report_finish(r, &ri, NULL, 0, NULL, 0, NULL, NULL), 0);
    const struct bf_sim_report_summary *sm = bf_sim_report_summary(r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sm);
    CU_ASSERT_EQUAL(sm->pictures_scored, 0);
    CU_ASSERT_TRUE(isnan(sm->mean.gospa));
    CU_ASSERT_TRUE(isnan(sm->false_alerts_per_hour));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/report-ex", bf_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(bf_sim_report_write(r, dir), 0);
    char *html = slurp(dir, "report.html"), *gospa = slurp(dir, "gospa.svg");
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gospa);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "class=\"banner\">EXERCISE"));
    CU_ASSERT_TRUE(balanced(html));
    CU_ASSERT_PTR_NOT_NULL(strstr(gospa, "no track picture was received"));
    CU_ASSERT_TRUE(balanced(gospa));
    free(html);
    free(gospa);
    bf_sim_report_destroy(r);
    bf_sim_scenario_destroy(s);
}

static CU_TestInfo tests[] = {
    {"OSPA/GOSPA per picture, first track, alerts per hour, causes, sensors",
     test_metrics_over_time},
    {"report.html and the SVG plots", test_files},
    {"exercise banner; a run without pictures", test_exercise_and_no_pictures},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim/report", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
