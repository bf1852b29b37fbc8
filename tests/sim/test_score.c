/*
 * test_score.c - reading alerts, showing them to an operator, and scoring
 * them against true crossings: exact counts and lags on hand-made cases.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "sim/sim.h"
#include "sim_fixture.h"

/* Metres per degree of latitude on the scoring sphere (R = 6371008.8 m). */
#define M_PER_DEG (6371008.8 * M_PI / 180.0)

static bf_time_us T0(void)
{
    bf_time_us t;
    bf_time_parse_iso("2026-03-01T02:00:00Z", &t);
    return t;
}

static const char *example_alert =
    "{\"id\": \"6f1c0b1e-0000-4000-8000-000000000001\", \"seq\": 12, \"site\": \"demo\", "
    "\"type\": \"INCURSION\", \"state\": \"NEW\", \"severity\": \"high\", \"exercise\": false, "
    "\"track_id\": 42, "
    "\"zone\": {\"id\": \"border\", \"name\": \"State border\", \"kind\": \"border_line\"}, "
    "\"first_time\": \"2026-03-01T02:13:05.000Z\", \"time\": \"2026-03-01T02:13:07.000Z\", "
    "\"position\": {\"lat\": 46.8123, \"lon\": 8.2345}, "
    "\"velocity\": {\"east_mps\": 0.1, \"north_mps\": -1.3, \"speed_mps\": 1.3, \"heading_deg\": 175.6}, "
    "\"class\": \"person\", \"class_p\": 0.7, \"confidence\": 0.82, \"time_to_line_s\": null, "
    "\"distance_to_line_m\": 12.5, \"crossing_time\": \"2026-03-01T02:13:04.200Z\", "
    "\"sensors\": [\"radar-west\", \"radar-east\"], \"hits\": 14, \"explanation\": \"...\"}";

static void test_parse_example(void)
{
    struct bf_sim_alert a;
    CU_ASSERT_EQUAL_FATAL(bf_sim_alert_parse(example_alert, strlen(example_alert), &a), 0);
    CU_ASSERT_STRING_EQUAL(a.id, "6f1c0b1e-0000-4000-8000-000000000001");
    CU_ASSERT_EQUAL(a.seq, 12);
    CU_ASSERT_STRING_EQUAL(a.type, "INCURSION");
    CU_ASSERT_STRING_EQUAL(a.state, "NEW");
    CU_ASSERT_STRING_EQUAL(a.severity, "high");
    CU_ASSERT_FALSE(a.exercise);
    CU_ASSERT_EQUAL(a.track_id, 42);
    CU_ASSERT_STRING_EQUAL(a.zone_id, "border");
    CU_ASSERT_STRING_EQUAL(a.zone_name, "State border");
    CU_ASSERT_EQUAL(a.first_us, T0() + (13 * 60 + 5) * BF_US_PER_S);
    CU_ASSERT_EQUAL(a.time_us, T0() + (13 * 60 + 7) * BF_US_PER_S);
    BF_ASSERT_NEAR(a.lat_deg, 46.8123, 0);
    BF_ASSERT_NEAR(a.lon_deg, 8.2345, 0);
    CU_ASSERT_TRUE(a.have_velocity);
    BF_ASSERT_NEAR(a.heading_deg, 175.6, 0);
    CU_ASSERT_STRING_EQUAL(a.cls, "person");
    BF_ASSERT_NEAR(a.class_p, 0.7, 0);
    BF_ASSERT_NEAR(a.confidence, 0.82, 0);
    CU_ASSERT_STRING_EQUAL(a.sensors, "radar-west, radar-east");
}

static void test_parse_malformed(void)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[1, 2]",
        "{\"type\": \"INCURSION\", \"state\": \"NEW\", \"first_time\": \"2026-03-01T02:00:00Z\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": {\"lat\": 1, \"lon\": 2}}",
        "{\"id\": \"a\", \"type\": \"INCURSION\", \"first_time\": \"2026-03-01T02:00:00Z\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": {\"lat\": 1, \"lon\": 2}}",
        "{\"id\": \"a\", \"type\": \"INCURSION\", \"state\": \"NEW\", \"first_time\": \"yesterday\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": {\"lat\": 1, \"lon\": 2}}",
        "{\"id\": \"a\", \"type\": \"INCURSION\", \"state\": \"NEW\", \"first_time\": \"2026-03-01T02:00:00Z\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": null}",
        "{\"id\": \"a\", \"type\": \"APPROACH\", \"state\": \"NEW\", \"first_time\": \"2026-03-01T02:00:00Z\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": {\"lat\": 100, \"lon\": 2}}",
        "{\"id\": \"0123456789012345678901234567890123456789012345678901234567890123456789\", "
        "\"type\": \"INCURSION\", \"state\": \"NEW\", \"first_time\": \"2026-03-01T02:00:00Z\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": {\"lat\": 1, \"lon\": 2}}",
        "{\"id\": \"a\", \"type\": \"INCURSION\", \"state\": \"NEW\", \"first_time\": \"2026-03-01T02:00:00Z\", "
        "\"time\": \"2026-03-01T02:00:00Z\", \"position\": {\"lat\": 1, \"lon\": 2}",   /* truncated */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bf_sim_alert a;
        int rc = bf_sim_alert_parse(bad[i], strlen(bad[i]), &a);
        if (rc != BF_EPARSE)
            fprintf(stderr, "\nmalformed case %zu accepted\n", i);
        CU_ASSERT_EQUAL(rc, BF_EPARSE);
    }
    /* a sensor fault has no position: fine */
    const char *fault = "{\"id\": \"f\", \"type\": \"SENSOR_FAULT\", \"state\": \"NEW\", "
                        "\"first_time\": \"2026-03-01T02:00:00Z\", \"time\": \"2026-03-01T02:00:00Z\", "
                        "\"position\": null, \"zone\": null}";
    struct bf_sim_alert a;
    CU_ASSERT_EQUAL(bf_sim_alert_parse(fault, strlen(fault), &a), 0);
    CU_ASSERT_TRUE(isnan(a.lat_deg));
    CU_ASSERT_STRING_EQUAL(a.zone_name, "");
}

static void test_format(void)
{
    struct bf_sim_alert a;
    CU_ASSERT_EQUAL_FATAL(bf_sim_alert_parse(example_alert, strlen(example_alert), &a), 0);
    char line[512];
    size_t n = bf_sim_alert_format(&a, false, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, "[02:13:07Z] INCURSION  high  track 42  person 70%  State border  "
                                 "46.81230N 8.23450E  heading 176\xc2\xb0 1.3 m/s  "
                                 "(radar-west, radar-east)  conf 82%");
    CU_ASSERT_EQUAL(n, strlen(line));
    snprintf(a.state, sizeof a.state, "UPDATED");
    bf_sim_alert_format(&a, true, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, "[02:13:07Z] INCURSION  UPDATED  track 42  State border");
    a.exercise = true;
    a.lat_deg = -33.5;
    a.lon_deg = -70.25;
    snprintf(a.state, sizeof a.state, "NEW");
    bf_sim_alert_format(&a, false, line, sizeof line);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "[02:13:07Z] EXERCISE INCURSION  high"));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "33.50000S 70.25000W"));
    CU_ASSERT_PTR_NULL(strstr(line, "->"));   /* no unit proposed */
    CU_ASSERT_PTR_NULL(strstr(line, "  ack "));
    /* the engine's proposal and the operator's acknowledgement */
    const char *dispatched =
        "{\"id\": \"d\", \"type\": \"INCURSION\", \"state\": \"ACKNOWLEDGED\", "
        "\"first_time\": \"2026-03-01T02:00:00Z\", \"time\": \"2026-03-01T02:00:00Z\", "
        "\"position\": {\"lat\": 1, \"lon\": 2}, \"operator\": {\"acknowledged_by\": \"alice\"}, "
        "\"dispatch\": {\"intercept\": null, \"units\": [{\"id\": \"patrol-7\", \"distance_m\": 900, "
        "\"eta_s\": 130.4}, {\"id\": \"patrol-9\", \"eta_s\": 400}]}}";
    struct bf_sim_alert d;
    CU_ASSERT_EQUAL_FATAL(bf_sim_alert_parse(dispatched, strlen(dispatched), &d), 0);
    CU_ASSERT_STRING_EQUAL(d.unit, "patrol-7");
    BF_ASSERT_NEAR(d.unit_eta_s, 130.4, 1e-9);
    bf_sim_alert_format(&d, false, line, sizeof line);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "  ACKNOWLEDGED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "  ack alice  -> patrol-7 ETA 2m10s"));
    /* never past the buffer */
    char small[20];
    bf_sim_alert_format(&a, false, small, sizeof small);
    CU_ASSERT_EQUAL(strlen(small), sizeof small - 1);
}

/* An alert message text. */
static void alert_text(char *buf, size_t len, const char *id, const char *type, const char *state,
                       double lat, double lon, bool exercise)
{
    snprintf(buf, len,
             "{\"id\": \"%s\", \"type\": \"%s\", \"state\": \"%s\", \"exercise\": %s, "
             "\"track_id\": 7, \"first_time\": \"2026-03-01T02:01:00Z\", "
             "\"time\": \"2026-03-01T02:01:30Z\", \"position\": {\"lat\": %.6f, \"lon\": %.6f}}",
             id, type, state, exercise ? "true" : "false", lat, lon);
}

static void test_log(void)
{
    struct bf_sim_alert_log log;
    CU_ASSERT_EQUAL_FATAL(bf_sim_alert_log_init(&log, 3), 0);
    char m[512];
    struct bf_sim_alert a;
    alert_text(m, sizeof m, "x", "INCURSION", "NEW", 46.8, 8.2, true);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, m, strlen(m), true, &a), 1);
    alert_text(m, sizeof m, "x", "INCURSION", "UPDATED", 46.9, 8.3, true);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, m, strlen(m), true, &a), 0);
    CU_ASSERT_EQUAL(log.n, 1);
    BF_ASSERT_NEAR(log.items[0].lat_deg, 46.8, 1e-9);   /* the first report's position */
    CU_ASSERT_EQUAL(log.items[0].kind, BF_SIM_ALERT_INCURSION);
    CU_ASSERT_TRUE(log.items[0].reported);
    CU_ASSERT_EQUAL(log.items[0].first_us, T0() + 60 * BF_US_PER_S);
    /* seen first as RESOLVED: not reported until a NEW/UPDATED arrives */
    alert_text(m, sizeof m, "r", "APPROACH", "RESOLVED", 46.0, 8.0, false);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, m, strlen(m), true, &a), 1);
    CU_ASSERT_FALSE(log.items[1].reported);
    CU_ASSERT_EQUAL(log.items[1].kind, BF_SIM_ALERT_APPROACH);
    alert_text(m, sizeof m, "r", "APPROACH", "UPDATED", 46.1, 8.1, true);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, m, strlen(m), true, &a), 0);
    CU_ASSERT_TRUE(log.items[1].reported);
    BF_ASSERT_NEAR(log.items[1].lat_deg, 46.1, 1e-9);
    alert_text(m, sizeof m, "z", "ZONE_ENTRY", "NEW", 46.0, 8.0, true);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, m, strlen(m), true, &a), 1);
    CU_ASSERT_EQUAL(log.items[2].kind, BF_SIM_ALERT_OTHER);
    alert_text(m, sizeof m, "full", "INCURSION", "NEW", 46.0, 8.0, true);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, m, strlen(m), true, &a), BF_EFULL);
    CU_ASSERT_EQUAL(bf_sim_alert_log_message(&log, "{oops", 5, true, &a), BF_EPARSE);
    CU_ASSERT_EQUAL(log.received, 6);
    CU_ASSERT_EQUAL(log.malformed, 1);
    CU_ASSERT_EQUAL(log.dropped, 1);
    CU_ASSERT_EQUAL(log.exercise_mismatch, 1);   /* the RESOLVED one said false */
    bf_sim_alert_log_free(&log);
}

static struct bf_sim_scored_alert mk(const char *id, enum bf_sim_alert_kind kind, double t_s,
                                     double lat, double lon, bool reported)
{
    struct bf_sim_scored_alert a = {.kind = kind, .reported = reported,
                                    .first_us = T0() + bf_time_from_s(t_s), .lat_deg = lat,
                                    .lon_deg = lon, .track_id = 1};
    snprintf(a.id, sizeof a.id, "%s", id);
    return a;
}

/* The main hand-made case (see docs/scorecard.md for the rules). */
static const struct bf_sim_crossing cross3[3] = {
    {.key = "A", .members = 1, .t_s = 100, .lat_deg = 46.80, .lon_deg = 8.20},
    {.key = "B", .members = 1, .t_s = 1000, .lat_deg = 46.80, .lon_deg = 8.30},
    {.key = "G", .is_group = true, .members = 3, .t_s = 2000, .lat_deg = 46.85, .lon_deg = 8.20},
};

static size_t alerts_main(struct bf_sim_scored_alert *al)
{
    size_t n = 0;
    al[n++] = mk("X", BF_SIM_ALERT_INCURSION, 110, 46.80 + 100 / M_PER_DEG, 8.20, true);
    al[n++] = mk("Y", BF_SIM_ALERT_INCURSION, 130, 46.80 + 200 / M_PER_DEG, 8.20, true);
    al[n++] = mk("Z", BF_SIM_ALERT_INCURSION, 900, 46.80, 8.30, true);      /* lag -100 */
    al[n++] = mk("W", BF_SIM_ALERT_INCURSION, 500, 46.90, 8.00, true);      /* nowhere */
    al[n++] = mk("V", BF_SIM_ALERT_INCURSION, 2400, 46.85, 8.20, true);     /* lag 400: late */
    al[n++] = mk("U", BF_SIM_ALERT_INCURSION, 870, 46.80, 8.30, true);      /* lag -130: early */
    al[n++] = mk("AP1", BF_SIM_ALERT_APPROACH, 40, 46.80 - 150 / M_PER_DEG, 8.20, true);
    al[n++] = mk("AP2", BF_SIM_ALERT_APPROACH, 70, 46.80 - 100 / M_PER_DEG, 8.20, true);
    al[n++] = mk("AP3", BF_SIM_ALERT_APPROACH, 500, 46.70, 8.20, true);     /* the turn-back */
    al[n++] = mk("AP4", BF_SIM_ALERT_APPROACH, 950, 46.80 - 800 / M_PER_DEG, 8.30, true);
    al[n++] = mk("AP5", BF_SIM_ALERT_APPROACH, 960, 46.80 - 1100 / M_PER_DEG, 8.30, true);
    al[n++] = mk("ZE", BF_SIM_ALERT_OTHER, 2001, 46.85, 8.20, true);        /* not scored */
    al[n++] = mk("NR", BF_SIM_ALERT_INCURSION, 2010, 46.85, 8.20, false);   /* only RESOLVED seen */
    /* tracks: A's walker is track 1 (X, Y, AP1, AP2), B's track 2 (Z, U, AP4); the turn-back
     * walker track 3 (AP3), AP5 track 5 (another track 1100 m out), the rest track 9 */
    static const struct {
        const char *id;
        int64_t track;
    } tracks[] = {{"X", 1}, {"Y", 1}, {"AP1", 1}, {"AP2", 1}, {"Z", 2}, {"U", 2}, {"AP4", 2},
                  {"AP3", 3}, {"AP5", 5}};
    for (size_t i = 0; i < n; i++) {
        al[i].track_id = 9;
        for (size_t k = 0; k < sizeof tracks / sizeof tracks[0]; k++)
            if (strcmp(al[i].id, tracks[k].id) == 0)
                al[i].track_id = tracks[k].track;
    }
    return n;
}

static void test_score_main(void)
{
    struct bf_sim_scored_alert al[16];
    size_t n_al = alerts_main(al);
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(cross3, 3, T0(), al, n_al, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.crossings, 3);
    CU_ASSERT_EQUAL(sc.alerted, 2);
    CU_ASSERT_EQUAL(sc.missed, 1);
    CU_ASSERT_EQUAL(sc.duplicates, 1);
    CU_ASSERT_EQUAL(sc.false_alerts, 3);
    CU_ASSERT_EQUAL(sc.incursion_alerts, 6);
    CU_ASSERT_EQUAL(sc.approach_alerts, 5);
    CU_ASSERT_EQUAL(sc.approach_unmatched, 2);   /* AP3 nowhere, AP5 1100 m out */
    const struct bf_sim_crossing_score *a = &sc.per_crossing[0], *b = &sc.per_crossing[1],
                                       *g = &sc.per_crossing[2];
    CU_ASSERT_TRUE(a->alerted);
    CU_ASSERT_STRING_EQUAL(a->alert_id, "X");
    BF_ASSERT_NEAR(a->lag_s, 10, 1e-9);
    CU_ASSERT_EQUAL(a->matched, 2);
    CU_ASSERT_TRUE(a->have_approach);
    BF_ASSERT_NEAR(a->approach_lead_s, 60, 1e-9);
    CU_ASSERT_TRUE(b->alerted);
    CU_ASSERT_STRING_EQUAL(b->alert_id, "Z");
    BF_ASSERT_NEAR(b->lag_s, -100, 1e-9);
    CU_ASSERT_EQUAL(b->matched, 1);
    CU_ASSERT_TRUE(b->have_approach);            /* AP4: 800 m short of the line */
    BF_ASSERT_NEAR(b->approach_lead_s, 50, 1e-9);
    CU_ASSERT_FALSE(g->alerted);
    CU_ASSERT_PTR_NULL(g->alert_id);
    CU_ASSERT_TRUE(isnan(g->lag_s));
    BF_ASSERT_NEAR(sc.lag_mean_s, -45, 1e-9);
    BF_ASSERT_NEAR(sc.lag_max_s, 10, 1e-9);
    /* the false alerts, in input order */
    CU_ASSERT_STRING_EQUAL(al[sc.false_alert_idx[0]].id, "W");
    CU_ASSERT_STRING_EQUAL(al[sc.false_alert_idx[1]].id, "V");
    CU_ASSERT_STRING_EQUAL(al[sc.false_alert_idx[2]].id, "U");

    /* The scorecard JSON says the same. */
    struct bf_sim_run_info ri = {.scenario = "s.json", .site = "demo", .exercise = true,
                                 .duration_s = 2500, .start_us = T0(), .seed = 5,
                                 .time_scale = 25, .wall_s = 100, .alerts_received = 20,
                                 .malformed_alerts = 2};
    char *text = bf_sim_scorecard_json(&ri, cross3, 3, al, &sc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    cJSON *j = cJSON_Parse(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "scenario")->valuestring, "s.json");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(j, "exercise")));
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "duration_s")->valuedouble, 2500, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "crossings")->valuedouble, 3, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "alerted")->valuedouble, 2, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "missed")->valuedouble, 1, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "duplicates")->valuedouble, 1, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "false_alerts")->valuedouble, 3, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "alerts_received")->valuedouble, 20, 0);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "malformed_alerts")->valuedouble, 2, 0);
    const cJSON *cl = cJSON_GetObjectItem(j, "crossing_list");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(cl), 3);
    const cJSON *c0 = cJSON_GetArrayItem(cl, 0), *c2 = cJSON_GetArrayItem(cl, 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c0, "target")->valuestring, "A");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c0, "time")->valuestring, "2026-03-01T02:01:40.000Z");
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(c0, "alerted")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c0, "alert_id")->valuestring, "X");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(c0, "lag_s")->valuedouble, 10, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(c0, "lead_s")->valuedouble, -10, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(c0, "approach_lead_s")->valuedouble, 60, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(c0, "duplicates")->valuedouble, 1, 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c2, "group")->valuestring, "G");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(c2, "target"));
    BF_ASSERT_NEAR(cJSON_GetObjectItem(c2, "members")->valuedouble, 3, 0);
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(c2, "alerted")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(c2, "alert_id")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(c2, "lag_s")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(c2, "approach_lead_s")));
    const cJSON *fl = cJSON_GetObjectItem(j, "false_alert_list");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(fl), 3);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(fl, 0), "id")->valuestring, "W");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(fl, 1), "t_s")->valuedouble, 2400, 1e-9);
    cJSON_Delete(j);
    free(text);

    /* and the printed scorecard names every crossing and the totals */
    char path[512];
    snprintf(path, sizeof path, "%s/scorecard.txt", bf_test_tmpdir());
    FILE *f = fopen(path, "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    bf_sim_scorecard_print(f, &ri, cross3, 3, al, &sc);
    rewind(f);
    static char out[8192];
    size_t len = fread(out, 1, sizeof out - 1, f);
    out[len] = '\0';
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "group G (3)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "MISSED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "+10.0 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "crossings 3: alerted 2, missed 1; duplicates 1; false alerts 3"));
    bf_sim_score_free(&sc);
}

static void test_score_bounds(void)
{
    /* Edges of the match: 499 m in, 501 m out; lag -120 and +300 in, -121 and +301 out. */
    struct bf_sim_crossing c = {.key = "w", .members = 1, .t_s = 1000, .lat_deg = 10.0,
                                .lon_deg = 20.0};
    struct {
        double dn_m, lag_s;
        bool match;
    } cases[] = {
        {499, 0, true}, {501, 0, false}, {0, -120, true}, {0, 300, true},
        {0, -121, false}, {0, 301, false},
    };
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bf_sim_scored_alert a = mk("a", BF_SIM_ALERT_INCURSION, 1000 + cases[i].lag_s,
                                          10.0 + cases[i].dn_m / M_PER_DEG, 20.0, true);
        struct bf_sim_score sc;
        CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), &a, 1, &p, &sc), 0);
        CU_ASSERT_EQUAL(sc.alerted, cases[i].match ? 1 : 0);
        CU_ASSERT_EQUAL(sc.false_alerts, cases[i].match ? 0 : 1);
        if (cases[i].match)
            BF_ASSERT_NEAR(sc.per_crossing[0].lag_s, cases[i].lag_s, 1e-6);
        bf_sim_score_free(&sc);
    }
    /* nothing at all */
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL(bf_sim_score_compute(NULL, 0, T0(), NULL, 0, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.crossings + sc.alerted + sc.missed + sc.false_alerts, 0);
    CU_ASSERT_TRUE(isnan(sc.lag_mean_s));
    bf_sim_score_free(&sc);
}

static void test_score_attribution(void)
{
    /* Two crossings 300 m and 50 s apart; each alert is attributed to the nearer crossing
     * and alerts only that one (one alert never alerts two crossings); no duplicate. */
    struct bf_sim_crossing c[2] = {
        {.key = "e", .members = 1, .t_s = 100, .lat_deg = 10.0, .lon_deg = 20.0},
        {.key = "f", .members = 1, .t_s = 150, .lat_deg = 10.0 + 300 / M_PER_DEG, .lon_deg = 20.0},
    };
    struct bf_sim_scored_alert al[2] = {
        mk("g", BF_SIM_ALERT_INCURSION, 160, 10.0 + 290 / M_PER_DEG, 20.0, true),
        mk("h", BF_SIM_ALERT_INCURSION, 105, 10.0 + 5 / M_PER_DEG, 20.0, true),
    };
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(c, 2, T0(), al, 2, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 2);
    CU_ASSERT_EQUAL(sc.duplicates, 0);
    CU_ASSERT_EQUAL(sc.false_alerts, 0);
    CU_ASSERT_EQUAL(sc.per_crossing[0].matched, 1);
    CU_ASSERT_EQUAL(sc.per_crossing[1].matched, 1);
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[0].alert_id, "h");
    BF_ASSERT_NEAR(sc.per_crossing[0].lag_s, 5, 1e-6);
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[1].alert_id, "g");   /* h matches it, but is e's */
    BF_ASSERT_NEAR(sc.per_crossing[1].lag_s, 10, 1e-6);
    bf_sim_score_free(&sc);
    /* without g, f is missed: h alerted e and cannot alert f too */
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(c, 2, T0(), &al[1], 1, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 1);
    CU_ASSERT_EQUAL(sc.missed, 1);
    CU_ASSERT_TRUE(sc.per_crossing[0].alerted);
    CU_ASSERT_FALSE(sc.per_crossing[1].alerted);
    bf_sim_score_free(&sc);
    /* two alerts both nearer e: f takes the earliest one that also matches it (h2 is 700 m
     * from f, out of its radius), so neither crossing is missed and none has a duplicate */
    struct bf_sim_scored_alert al2[2] = {
        mk("h1", BF_SIM_ALERT_INCURSION, 104, 10.0 + 20 / M_PER_DEG, 20.0, true),
        mk("h2", BF_SIM_ALERT_INCURSION, 102, 10.0 - 400 / M_PER_DEG, 20.0, true),
    };
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(c, 2, T0(), al2, 2, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 2);
    CU_ASSERT_EQUAL(sc.duplicates, 0);
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[0].alert_id, "h2");
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[1].alert_id, "h1");
    BF_ASSERT_NEAR(sc.per_crossing[1].lag_s, -46, 1e-6);
    bf_sim_score_free(&sc);
}

/* A target crosses at 100 s, goes back, crosses again at 500 s at the same place: each
 * crossing needs its own INCURSION; the one alert of the first does not cover the second. */
static void test_score_every_crossing(void)
{
    struct bf_sim_crossing c[2] = {
        {.key = "z", .members = 1, .t_s = 100, .lat_deg = 10.0, .lon_deg = 20.0},
        {.key = "z", .members = 1, .t_s = 500, .lat_deg = 10.0, .lon_deg = 20.0},
    };
    struct bf_sim_scored_alert al[2] = {
        mk("first", BF_SIM_ALERT_INCURSION, 103, 10.0 + 5 / M_PER_DEG, 20.0, true),
        mk("second", BF_SIM_ALERT_INCURSION, 508, 10.0 + 8 / M_PER_DEG, 20.0, true),
    };
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(c, 2, T0(), al, 1, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.crossings, 2);
    CU_ASSERT_EQUAL(sc.alerted, 1);
    CU_ASSERT_EQUAL(sc.missed, 1);
    CU_ASSERT_EQUAL(sc.false_alerts, 0);
    CU_ASSERT_FALSE(sc.per_crossing[1].alerted);
    bf_sim_score_free(&sc);
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(c, 2, T0(), al, 2, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 2);
    CU_ASSERT_EQUAL(sc.duplicates, 0);
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[0].alert_id, "first");
    BF_ASSERT_NEAR(sc.per_crossing[0].lag_s, 3, 1e-6);
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[1].alert_id, "second");
    BF_ASSERT_NEAR(sc.per_crossing[1].lag_s, 8, 1e-6);
    /* the scorecard numbers the second crossing */
    struct bf_sim_run_info ri = {.scenario = "z.json", .site = "t", .duration_s = 600,
                                 .start_us = T0()};
    char *text = bf_sim_scorecard_json(&ri, c, 2, al, &sc);
    cJSON *j = cJSON_Parse(text);
    const cJSON *c1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "crossing_list"), 1);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(c1, "number")->valuedouble, 2, 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c1, "alert_id")->valuestring, "second");
    cJSON_Delete(j);
    free(text);
    bf_sim_score_free(&sc);
}

/* The warning lead counts only the crossing track's own APPROACH, never another track's. */
static void test_score_own_approach(void)
{
    struct bf_sim_crossing c = {.key = "w", .members = 1, .t_s = 1000, .lat_deg = 10.0,
                                .lon_deg = 20.0};
    struct bf_sim_scored_alert al[3] = {
        mk("inc", BF_SIM_ALERT_INCURSION, 1002, 10.0 + 5 / M_PER_DEG, 20.0, true),
        mk("other", BF_SIM_ALERT_APPROACH, 700, 10.0 - 300 / M_PER_DEG, 20.0, true),
        mk("own", BF_SIM_ALERT_APPROACH, 880, 10.0 - 150 / M_PER_DEG, 20.0, true),
    };
    al[0].track_id = 7;
    al[1].track_id = 9;   /* another track: a walker who turned back, clutter */
    al[2].track_id = 7;
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), al, 3, &p, &sc), 0);
    CU_ASSERT_TRUE(sc.per_crossing[0].have_approach);
    BF_ASSERT_NEAR(sc.per_crossing[0].approach_lead_s, 120, 1e-6);   /* not 300 */
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[0].approach_id, "own");
    CU_ASSERT_EQUAL(sc.approach_unmatched, 0);   /* "other" is near a crossing in time */
    bf_sim_score_free(&sc);
    /* only the other track warned: no lead at all */
    al[2].track_id = 9;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), al, 3, &p, &sc), 0);
    CU_ASSERT_FALSE(sc.per_crossing[0].have_approach);
    CU_ASSERT_TRUE(isnan(sc.per_crossing[0].approach_lead_s));
    CU_ASSERT_PTR_NULL(sc.per_crossing[0].approach_id);
    bf_sim_score_free(&sc);
    /* a car at 25 m/s: its own APPROACH 1400 m out, 56 s before the line, is its warning
     * wherever it was raised; another track's 1400 m out is near enough not to be a nuisance
     * (1000 m + 25 m/s x 30 s), but for a walker it is one */
    struct bf_sim_crossing car = {.key = "car", .members = 1, .t_s = 1000, .lat_deg = 10.0,
                                  .lon_deg = 20.0, .speed_mps = 25, .cls = "vehicle"};
    struct bf_sim_scored_alert fast[3] = {
        mk("inc", BF_SIM_ALERT_INCURSION, 1001, 10.0 + 10 / M_PER_DEG, 20.0, true),
        mk("own-far", BF_SIM_ALERT_APPROACH, 944, 10.0 - 1400 / M_PER_DEG, 20.0, true),
        mk("other-far", BF_SIM_ALERT_APPROACH, 950, 10.0 - 1400 / M_PER_DEG, 20.0, true),
    };
    fast[0].track_id = fast[1].track_id = 4;
    fast[2].track_id = 8;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&car, 1, T0(), fast, 3, &p, &sc), 0);
    CU_ASSERT_TRUE(sc.per_crossing[0].have_approach);
    BF_ASSERT_NEAR(sc.per_crossing[0].approach_lead_s, 56, 1e-6);
    CU_ASSERT_STRING_EQUAL(sc.per_crossing[0].approach_id, "own-far");
    CU_ASSERT_EQUAL(sc.approach_unmatched, 0);
    bf_sim_score_free(&sc);
    car.speed_mps = 1.3;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&car, 1, T0(), fast, 3, &p, &sc), 0);
    CU_ASSERT_TRUE(sc.per_crossing[0].have_approach);   /* still its own */
    CU_ASSERT_EQUAL(sc.approach_unmatched, 1);
    CU_ASSERT_STRING_EQUAL(fast[sc.unmatched_approach_idx[0]].id, "other-far");
    bf_sim_score_free(&sc);
    /* a missed crossing has no own track, so no lead either */
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), &al[1], 2, &p, &sc), 0);
    CU_ASSERT_FALSE(sc.per_crossing[0].alerted);
    CU_ASSERT_FALSE(sc.per_crossing[0].have_approach);
    bf_sim_score_free(&sc);
}

/* The match radius grows with the crossing's speed: 500 m + speed x 30 s. */
static void test_score_speed_radius(void)
{
    struct bf_sim_crossing c = {.key = "car", .members = 1, .t_s = 1000, .lat_deg = 10.0,
                                .lon_deg = 20.0, .speed_mps = 20, .cls = "vehicle"};
    /* placed 900 m on, 12 s after the crossing (a 20 m/s car with a late alert) */
    struct bf_sim_scored_alert a = mk("a", BF_SIM_ALERT_INCURSION, 1012,
                                      10.0 + 900 / M_PER_DEG, 20.0, true);
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    BF_ASSERT_NEAR(p.match_latency_s, 30, 0);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), &a, 1, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 1);
    CU_ASSERT_EQUAL(sc.false_alerts, 0);
    BF_ASSERT_NEAR(sc.per_crossing[0].radius_m, 1100, 1e-9);
    bf_sim_score_free(&sc);
    /* 1101 m: out */
    a.lat_deg = 10.0 + 1101 / M_PER_DEG;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), &a, 1, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 0);
    CU_ASSERT_EQUAL(sc.false_alerts, 1);
    bf_sim_score_free(&sc);
    /* a walker (1.5 m/s) at 900 m: out (radius 545 m) */
    c.speed_mps = 1.5;
    a.lat_deg = 10.0 + 900 / M_PER_DEG;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(&c, 1, T0(), &a, 1, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 0);
    BF_ASSERT_NEAR(sc.per_crossing[0].radius_m, 545, 1e-9);
    bf_sim_score_free(&sc);
}

/* An animal's crossing and a car's through an official crossing point owe no alert: not
 * counted, and an INCURSION on either is false. */
static void test_score_animal_crossing(void)
{
    struct bf_sim_crossing c[3] = {
        {.key = "deer", .members = 1, .t_s = 100, .lat_deg = 10.0, .lon_deg = 20.0,
         .cls = "animal"},
        {.key = "w", .members = 1, .t_s = 300, .lat_deg = 10.0, .lon_deg = 20.1, .cls = "person"},
        {.key = "car", .members = 1, .t_s = 500, .lat_deg = 10.0, .lon_deg = 20.2,
         .cls = "vehicle", .speed_mps = 14, .at_crossing_point = true},
    };
    struct bf_sim_scored_alert al[3] = {
        mk("on-deer", BF_SIM_ALERT_INCURSION, 104, 10.0, 20.0, true),
        mk("on-w", BF_SIM_ALERT_INCURSION, 301, 10.0, 20.1, true),
        mk("on-car", BF_SIM_ALERT_INCURSION, 503, 10.0, 20.2, true),
    };
    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(c, 3, T0(), al, 3, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.crossings, 1);
    CU_ASSERT_EQUAL(sc.exempt_crossings, 2);
    CU_ASSERT_EQUAL(sc.alerted, 1);
    CU_ASSERT_EQUAL(sc.missed, 0);
    CU_ASSERT_EQUAL(sc.false_alerts, 2);
    CU_ASSERT_STRING_EQUAL(al[sc.false_alert_idx[0]].id, "on-deer");
    CU_ASSERT_STRING_EQUAL(al[sc.false_alert_idx[1]].id, "on-car");
    CU_ASSERT_FALSE(sc.per_crossing[0].owed);
    CU_ASSERT_FALSE(sc.per_crossing[0].alerted);
    CU_ASSERT_TRUE(sc.per_crossing[1].owed);
    CU_ASSERT_FALSE(sc.per_crossing[2].owed);
    CU_ASSERT_FALSE(bf_sim_crossing_owes_alert(&c[2]));
    /* the printed card says which is which */
    char path[512];
    snprintf(path, sizeof path, "%s/exempt.txt", bf_test_tmpdir());
    FILE *f = fopen(path, "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    struct bf_sim_run_info ri = {.scenario = "x.json", .site = "t", .duration_s = 600,
                                 .start_us = T0()};
    bf_sim_scorecard_print(f, &ri, c, 3, al, &sc);
    rewind(f);
    static char out[4096];
    size_t len = fread(out, 1, sizeof out - 1, f);
    out[len] = '\0';
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "ANIMAL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "LAWFUL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "crossings 1: alerted 1, missed 0; duplicates 0; "
                                       "false alerts 2 (and 2 crossings owing no alert"));
    bf_sim_score_free(&sc);
}

/*
 * Causes and verdicts on the straight test border: a walker crosses; a truck
 * on the road 200 m short of the line and a group of two at the fence do not.
 * An INCURSION by the walker's crossing, one on the truck (wrong: a quiet
 * target), an APPROACH by the group and an INCURSION in the middle of nowhere
 * (clutter).
 */
static void test_score_targets(void)
{
    char targets[1024];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 2},"
             " {\"id\": \"truck\", \"class\": \"vehicle\", \"waypoints\": [%s, %s], \"speed_mps\": 10},"
             " {\"id\": \"g1\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s],"
             "  \"speed_mps\": 1},"
             " {\"id\": \"g2\", \"class\": \"person\", \"group\": \"g\", \"waypoints\": [%s, %s],"
             "  \"speed_mps\": 1}]",
             fx_pt(0, -1000), fx_pt(0, 1000), fx_pt(-3000, -200), fx_pt(3000, -200),
             fx_pt(2000, -1500), fx_pt(2000, -1000), fx_pt(2005, -1500), fx_pt(2005, -1000));
    char *text = fx_scenario_text(NULL, targets, 700);
    struct bf_sim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(fx_parse(text, &s, NULL), 0);
    free(text);
    struct bf_sim_crossing *cr;
    size_t n_cr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_run(s, &cr, &n_cr), 0);
    CU_ASSERT_EQUAL_FATAL(n_cr, 1);
    BF_ASSERT_NEAR(cr[0].t_s, 500, 0.01);

    struct bf_sim_scored_alert al[4];
    double lat, lon;
    fx_ll(0, 10, &lat, &lon);
    al[0] = mk("I1", BF_SIM_ALERT_INCURSION, 505, lat, lon, true);
    fx_ll(-2000, -190, &lat, &lon);   /* the truck at t = 100 */
    al[1] = mk("I2", BF_SIM_ALERT_INCURSION, 100, lat, lon, true);
    fx_ll(2003, -1290, &lat, &lon);   /* the group at t = 200 */
    al[2] = mk("A1", BF_SIM_ALERT_APPROACH, 200, lat, lon, true);
    fx_ll(-4500, 3000, &lat, &lon);
    al[3] = mk("I3", BF_SIM_ALERT_INCURSION, 250, lat, lon, true);
    for (int i = 0; i < 4; i++)   /* mk() counts from T0(): move to the scenario's start */
        al[i].first_us = al[i].first_us - T0() + s->start_us;

    struct bf_sim_score_params p;
    bf_sim_score_params_default(&p);
    struct bf_sim_score sc;
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_compute(cr, n_cr, s->start_us, al, 4, &p, &sc), 0);
    CU_ASSERT_EQUAL(sc.alerted, 1);
    CU_ASSERT_EQUAL(sc.false_alerts, 2);
    CU_ASSERT_EQUAL_FATAL(bf_sim_score_targets(&sc, s, cr, n_cr, al, 4, p.match_radius_m), 0);
    CU_ASSERT_EQUAL_FATAL(sc.n_targets, 3);
    CU_ASSERT_STRING_EQUAL(sc.targets[0].key, "w");
    CU_ASSERT_TRUE(sc.targets[0].crossed);
    CU_ASSERT_EQUAL(sc.targets[0].incursions, 1);
    CU_ASSERT_STRING_EQUAL(sc.targets[1].key, "truck");
    CU_ASSERT_STRING_EQUAL(sc.targets[1].cls, "vehicle");
    CU_ASSERT_FALSE(sc.targets[1].crossed);
    CU_ASSERT_EQUAL(sc.targets[1].incursions, 1);
    CU_ASSERT_STRING_EQUAL(sc.targets[2].key, "g");
    CU_ASSERT_TRUE(sc.targets[2].is_group);
    CU_ASSERT_EQUAL(sc.targets[2].members, 2);
    CU_ASSERT_EQUAL(sc.targets[2].incursions, 0);
    CU_ASSERT_EQUAL(sc.targets[2].approaches, 1);
    CU_ASSERT_EQUAL(sc.quiet_incursions, 1);
    CU_ASSERT_EQUAL(sc.cause[0], 0);
    CU_ASSERT_EQUAL(sc.cause[1], 1);
    CU_ASSERT_EQUAL(sc.cause[2], 2);
    CU_ASSERT_EQUAL(sc.cause[3], -1);

    struct bf_sim_run_info ri = {.scenario = "t", .site = "test", .start_us = s->start_us};
    char *json = bf_sim_scorecard_json(&ri, cr, n_cr, al, &sc);
    cJSON *j = cJSON_Parse(json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "quiet_incursions")->valueint, 1);
    const cJSON *fl = cJSON_GetObjectItem(j, "false_alert_list");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(fl), 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(fl, 0), "cause")->valuestring, "truck");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(fl, 1), "cause")->valuestring, "clutter");
    const cJSON *tl = cJSON_GetObjectItem(j, "targets");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(tl), 3);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(tl, 1), "verdict")->valuestring,
                           "INCURSION raised: wrong");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(tl, 2), "verdict")->valuestring,
                           "no incursion: right");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(tl, 2), "group")->valuestring, "g");
    cJSON_Delete(j);
    free(json);
    bf_sim_score_free(&sc);
    free(cr);
    bf_sim_scenario_destroy(s);
}

static void test_distance(void)
{
    BF_ASSERT_NEAR(bf_sim_distance_m(0, 0, 1, 0), M_PER_DEG, 1e-6);
    BF_ASSERT_NEAR(bf_sim_distance_m(46.8, 8.2, 46.8, 8.2), 0, 0);
    /* along a parallel at 60 deg: half as long */
    BF_ASSERT_NEAR(bf_sim_distance_m(60, 0, 60, 0.001), M_PER_DEG * 0.001 * 0.5, 0.01);
}

static CU_TestInfo score_tests[] = {
    {"causes and per-target verdicts", test_score_targets},
    {"alert message parsed", test_parse_example},
    {"malformed alerts refused", test_parse_malformed},
    {"operator line", test_format},
    {"alert log: first report, states, counters", test_log},
    {"score: alerted, missed, duplicates, false, lags", test_score_main},
    {"score: radius and window edges", test_score_bounds},
    {"score: attribution to the nearest crossing", test_score_attribution},
    {"score: every crossing of a target needs its own alert", test_score_every_crossing},
    {"score: the warning lead is the crossing track's own APPROACH", test_score_own_approach},
    {"score: match radius grows with the target's speed", test_score_speed_radius},
    {"score: animals' and crossing points' crossings owe no alert", test_score_animal_crossing},
    {"great-circle distance", test_distance},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim score", NULL, NULL, NULL, NULL, score_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
