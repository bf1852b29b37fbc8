/*
 * test_expect.c - a scenario's expected outcome: validated where it is
 * written (unknown targets, alert types and keys reported with their line),
 * and checked against a scored run: every expectation gives one result, met
 * or not, and the failures are counted.
 *
 * The run: on the straight test border a walker "w" crosses at 500 s, a
 * truck drives along the line on their side, a group "g" stays back.  The
 * engine (hand-made alerts here) raised an INCURSION for the walker, a false
 * one for the truck, one far from everything, an APPROACH for the group and a
 * SENSOR_FAULT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "sim_fixture.h"

static const char *targets_text(void)
{
    static char t[1024];
    snprintf(t, sizeof t,
             "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 2},"
             " {\"id\": \"truck\", \"class\": \"vehicle\", \"waypoints\": [%s, %s], \"speed_mps\": 10},"
             " {\"id\": \"g1\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s],"
             "  \"speed_mps\": 1},"
             " {\"id\": \"g2\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s],"
             "  \"speed_mps\": 1}]",
             fx_pt(0, -1000), fx_pt(0, 1000), fx_pt(-3000, -200), fx_pt(3000, -200),
             fx_pt(2000, -1500), fx_pt(2000, -1000), fx_pt(2005, -1500), fx_pt(2005, -1000));
    return t;
}

/* The fixture scenario with "expect": <expect> added. */
static int parse_with(const char *expect, struct bf_sim_scenario **s, struct fx_diags *d)
{
    char *base = fx_scenario_text(NULL, targets_text(), 700);
    char *end = strrchr(base, '}');
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    *end = '\0';
    size_t len = strlen(base) + strlen(expect) + 32;
    char *text = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    snprintf(text, len, "%s,\n\"expect\": %s}\n", base, expect);
    free(base);
    int rc = fx_parse(text, s, d);
    free(text);
    return rc;
}

static bool has_error(const struct fx_diags *d, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->e[i].msg, needle) && d->e[i].line > 0)
            return true;
    return false;
}

static void test_validated(void)
{
    struct fx_diags d;
    fx_diags_init(&d);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_NOT_EQUAL(parse_with("{\"alerted\": [\"w\", \"nobody\"], \"alert_types\": "
                                   "{\"ALIEN\": {\"min\": 1}, \"APPROACH\": {\"least\": 1}},"
                                   " \"max_false\": 0}",
                                   &s, &d), 0);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_TRUE(has_error(&d, "expected the id of a target or group of this scenario"));
    CU_ASSERT_TRUE(has_error(&d, "unknown alert type \"ALIEN\""));
    CU_ASSERT_TRUE(has_error(&d, "least"));
    CU_ASSERT_TRUE(has_error(&d, "max_false"));
    CU_ASSERT_EQUAL(d.n, 4);
    if (d.n != 4)
        fx_diags_dump(&d);

    fx_diags_init(&d);
    CU_ASSERT_NOT_EQUAL(parse_with("[1]", &s, &d), 0);
    CU_ASSERT_TRUE(has_error(&d, "expected an object"));
}

/* Score the hand-made alerts and check expect against them. */
static cJSON *check(const char *expect)
{
    struct bf_sim_scenario *s = NULL;
    struct fx_diags d;
    fx_diags_init(&d);
    CU_ASSERT_EQUAL_FATAL(parse_with(expect, &s, &d), 0);
    struct bf_sim_crossing *cr;
    size_t n_cr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n_cr), 0);
    CU_ASSERT_EQUAL_FATAL(n_cr, 1);
    struct bf_sim_scored_alert al[5];
    memset(al, 0, sizeof al);
    static const struct {
        const char *id, *type;
        enum bf_sim_alert_kind kind;
        double t_s, e, n;
    } mk[5] = {
        {"I1", "INCURSION", BF_SIM_ALERT_INCURSION, 505, 0, 10},
        {"I2", "INCURSION", BF_SIM_ALERT_INCURSION, 100, -2000, -190},   /* the truck */
        {"A1", "APPROACH", BF_SIM_ALERT_APPROACH, 200, 2003, -1290},     /* the group */
        {"I3", "INCURSION", BF_SIM_ALERT_INCURSION, 250, -4500, 3000},   /* nothing there */
        {"F1", "SENSOR_FAULT", BF_SIM_ALERT_OTHER, 300, 0, 0},
    };
    for (int i = 0; i < 5; i++) {
        snprintf(al[i].id, sizeof al[i].id, "%s", mk[i].id);
        snprintf(al[i].type, sizeof al[i].type, "%s", mk[i].type);
        al[i].kind = mk[i].kind;
        al[i].reported = true;
        al[i].first_us = s->start_us + bf_time_from_s(mk[i].t_s);
        al[i].track_id = 1;
        fx_ll(mk[i].e, mk[i].n, &al[i].lat_deg, &al[i].lon_deg);
    }
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(cr, n_cr, s->start_us, al, 5, &p, &sc), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_targets(&sc, s, cr, n_cr, al, 5, p.match_radius_m), 0);
    FILE *out = fopen("/dev/null", "w");
    cJSON *res = bf_sim_expect_check(s, cr, n_cr, al, 5, &sc, out);
    if (out)
        fclose(out);
    bf_sim_score_free(&sc);
    free(cr);
    bf_sim_scenario_destroy(s);
    return res;
}

static int failed(const cJSON *res)
{
    return (int)cJSON_GetObjectItem(res, "failed")->valuedouble;
}

static bool result(const cJSON *res, const char *what, bool met)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(res, "results"))
    {
        if (strstr(cJSON_GetObjectItem(r, "what")->valuestring, what))
            return cJSON_IsTrue(cJSON_GetObjectItem(r, "met")) == met;
    }
    return false;
}

static void test_checked(void)
{
    cJSON *ok = check("{\"alerted\": [\"w\"], \"not_alerted\": [\"g\"], \"max_false_alerts\": 2,"
                      " \"alert_types\": {\"SENSOR_FAULT\": {\"min\": 1, \"max\": 1}}}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
    CU_ASSERT_EQUAL(failed(ok), 0);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(ok, "results")), 4);
    CU_ASSERT_TRUE(result(ok, "w alerted (lag +5.0 s)", true));
    CU_ASSERT_TRUE(result(ok, "g not alerted: 0 INCURSIONs", true));
    CU_ASSERT_TRUE(result(ok, "at most 2 false alerts: 2", true));
    CU_ASSERT_TRUE(result(ok, "SENSOR_FAULT alerts, 1 to 1: 1", true));
    cJSON_Delete(ok);

    cJSON *bad = check("{\"alerted\": [\"w\", \"g\"], \"not_alerted\": [\"truck\"],"
                       " \"max_false_alerts\": 0, \"alert_types\": {\"INCURSION\": {\"min\": 5}}}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    CU_ASSERT_EQUAL(failed(bad), 4);
    CU_ASSERT_TRUE(result(bad, "w alerted", true));
    CU_ASSERT_TRUE(result(bad, "g alerted: it never crossed the line in the truth", false));
    CU_ASSERT_TRUE(result(bad, "truck not alerted: 1 INCURSION", false));
    CU_ASSERT_TRUE(result(bad, "at most 0 false alerts: 2", false));
    CU_ASSERT_TRUE(result(bad, "INCURSION alerts, at least 5: 3", false));
    cJSON_Delete(bad);
}

/*
 * "alerted" checks every crossing: z walks north over the line (100 s), back south (300 s,
 * not a crossing onto our side) and north again (500 s); a deer crosses at e = 1000 m.
 */
static cJSON *check_recross(const char *expect, size_t n_al)
{
    char targets[1024];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"z\", \"class\": \"person\", \"waypoints\": [%s, %s, %s, %s],"
             "  \"speed_mps\": 2},"
             " {\"id\": \"d\", \"class\": \"animal\", \"waypoints\": [%s, %s], \"speed_mps\": 1}]",
             fx_pt(0, -200), fx_pt(0, 200), fx_pt(0, -200), fx_pt(0, 200), fx_pt(1000, -50),
             fx_pt(1000, 50));
    char *base = fx_scenario_text(NULL, targets, 700);
    char *end = strrchr(base, '}');
    *end = '\0';
    char text[8192];
    snprintf(text, sizeof text, "%s,\n\"expect\": %s}\n", base, expect);
    free(base);
    struct bf_sim_scenario *s = NULL;
    struct fx_diags d;
    fx_diags_init(&d);
    CU_ASSERT_EQUAL_FATAL(fx_parse(text, &s, &d), 0);
    struct bf_sim_crossing *cr;
    size_t n_cr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n_cr), 0);
    CU_ASSERT_EQUAL_FATAL(n_cr, 3);   /* z twice, the deer once */
    struct bf_sim_scored_alert al[3];
    memset(al, 0, sizeof al);
    static const struct {
        const char *id;
        double t_s, e, n;
    } mk[3] = {{"I1", 101, 0, 3}, {"I2", 503, 0, 6}, {"ID", 52, 1000, 2}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(al[i].id, sizeof al[i].id, "%s", mk[i].id);
        snprintf(al[i].type, sizeof al[i].type, "INCURSION");
        al[i].kind = BF_SIM_ALERT_INCURSION;
        al[i].reported = true;
        al[i].first_us = s->start_us + bf_time_from_s(mk[i].t_s);
        al[i].track_id = (int64_t)i + 1;
        fx_ll(mk[i].e, mk[i].n, &al[i].lat_deg, &al[i].lon_deg);
    }
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(cr, n_cr, s->start_us, al, n_al, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.crossings, 2);
    CU_ASSERT_EQUAL(sc.exempt_crossings, 1);
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_targets(&sc, s, cr, n_cr, al, n_al, p.match_radius_m), 0);
    FILE *out = fopen("/dev/null", "w");
    cJSON *res = bf_sim_expect_check(s, cr, n_cr, al, n_al, &sc, out);
    if (out)
        fclose(out);
    bf_sim_score_free(&sc);
    free(cr);
    bf_sim_scenario_destroy(s);
    return res;
}

static void test_every_crossing(void)
{
    /* only the first crossing alerted (I1; the deer's ID is the third alert, left out) */
    cJSON *r = check_recross("{\"alerted\": [\"z\"]}", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(failed(r), 1);
    CU_ASSERT_TRUE(result(r, "z alerted: 1 of its 2 crossings drew no INCURSION (the first: "
                             "crossing 2)", false));
    cJSON_Delete(r);
    /* both: met, with both lags */
    r = check_recross("{\"alerted\": [\"z\"], \"not_alerted\": [\"d\"]}", 2);
    CU_ASSERT_EQUAL(failed(r), 0);
    CU_ASSERT_TRUE(result(r, "z alerted at each of its 2 crossings (lags +1.0 s, +3.0 s)", true));
    CU_ASSERT_TRUE(result(r, "d not alerted: 0 INCURSIONs", true));
    cJSON_Delete(r);
    /* an INCURSION on the deer: a false alert blamed on it; "alerted" for an animal fails */
    r = check_recross("{\"alerted\": [\"d\"], \"not_alerted\": [\"d\"], \"max_false_alerts\": 0}",
                      3);
    CU_ASSERT_EQUAL(failed(r), 3);
    CU_ASSERT_TRUE(result(r, "d alerted: it is an animal", false));
    CU_ASSERT_TRUE(result(r, "d not alerted: 1 INCURSION", false));
    CU_ASSERT_TRUE(result(r, "at most 0 false alerts: 1", false));
    cJSON_Delete(r);
}

static CU_TestInfo expect_tests[] = {
    {"expect: mistakes reported with their line", test_validated},
    {"expect: each expectation met or failed, failures counted", test_checked},
    {"expect: alerted means every crossing; animals owe none", test_every_crossing},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim expect", NULL, NULL, NULL, NULL, expect_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
