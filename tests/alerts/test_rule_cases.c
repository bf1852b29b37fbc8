/*
 * test_rule_cases.c - the alert rules on the cases seen in the field, with
 * tracks built by hand (fixture.h): an INCURSION whose track ends goes LOST
 * and is reacquired by the track that continues it; an operator's INCURSION
 * is never closed by a rule; joined history (a predecessor on their side, a
 * ground sensor at the line with radar inside); APPROACH needs closing and
 * does not flap on heading noise; a car on the border road raises nothing; a
 * crossing point is normal traffic; class persistence; test targets.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/alerts_int.h"
#include "bf_test.h"
#include "core/bf_time.h"
#include "fixture.h"
#include "geo/geo.h"

#define N_SENSORS 4   /* radar-west, radar-east, ugs-1, ugs-2 */
#define UGS1 2

static struct bf_geo_zones *cp_zones;   /* zones_crossing.geojson: border, depot, checkpoint */
static int cp_idx = -1;

static int init(void)
{
    if (fx_init())
        return 1;
    if (bf_geo_zones_load(bf_test_src("tests/alerts/zones_crossing.geojson"), fx_frame, NULL,
                          &cp_zones, NULL) < 0)
        return 1;
    cp_idx = bf_geo_zone_find(cp_zones, "checkpoint");
    return cp_idx < 0 || bf_geo_zone_find(cp_zones, "border") != fx_border;
}

static int clean(void)
{
    bf_geo_zones_destroy(cp_zones);
    return fx_clean();
}

static struct bf_alerter *mk(struct fx_sink *s, void (*tweak)(struct bf_alert_params *))
{
    return fx_alerter(s, N_SENSORS, NULL, fx_zones, tweak);
}

static int step(struct bf_alerter *a, const struct bf_track *t, uint64_t inside, int crossing)
{
    struct bf_geo_step s = fx_step(t, inside);
    if (crossing)
        fx_add_crossing(&s, crossing, 0.5);
    return bf_alerter_on_track(a, t, BF_CHANGE_UPDATED, &s);
}

static int end_track(struct bf_alerter *a, struct bf_track *t, bf_time_us t_us)
{
    t->t_us = t_us;
    t->status = BF_TRACK_DELETED;
    return bf_alerter_on_track(a, t, BF_CHANGE_DELETED, NULL);
}

/* Index of the last record of type t (any state) for track id, or -1. */
static int last_of(const struct fx_sink *s, enum bf_alert_type t, uint32_t track_id)
{
    for (int i = s->n - 1; i >= 0; i--)
        if (s->r[i].a.type == t && s->r[i].a.track_id == track_id)
            return i;
    return -1;
}

static int count_type(const struct fx_sink *s, enum bf_alert_type t)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += s->r[i].a.type == t;
    return k;
}

/* An operator's request, as bf_ack_parse would give it. */
static struct bf_ack_request op_req(enum bf_ack_action act, const char *id, const char *unit)
{
    struct bf_ack_request r;
    memset(&r, 0, sizeof r);
    r.action = act;
    snprintf(r.alert_id, sizeof r.alert_id, "%s", id);
    snprintf(r.operator_id, sizeof r.operator_id, "alice");
    if (unit)
        snprintf(r.unit, sizeof r.unit, "%s", unit);
    return r;
}

/* A track continuing `old`: its first change, on our side at e (no history on their side). */
static void successor(struct bf_track *t, uint32_t id, uint32_t old, bf_time_us now, double e,
                      double ve)
{
    fx_track_init(t, id, now, e, 0, ve, 0);
    t->continues_id = old;
    t->hist_len = 0;
    t->hist_head = 0;
    t->first_us = now - S(3);
    for (int k = 3; k >= 0; k--)
        fx_hist_push(t, now - S(k), e - ve * k, 0);
}

/* ---- LOST and reacquisition ---------------------------------------------------------------- */

static void test_lost_reacquired_acknowledged(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 100, T0, 5, 0, 1, 0);
    CU_ASSERT_EQUAL(step(a, &t, 0, +1), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    char id[BF_ALERT_ID_LEN], episode[BF_ALERT_ID_LEN];
    snprintf(id, sizeof id, "%s", s.r[0].a.id);
    snprintf(episode, sizeof episode, "%s", s.r[0].a.episode);
    struct bf_ack_request rq = op_req(BF_ACK_ASSIGN, id, "patrol-1");
    struct bf_ack_result res;
    CU_ASSERT_EQUAL(bf_alerter_act(a, &rq, T0 + S(2), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    for (int k = 0; k < 5; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    }
    /* the track ends 3 s after its last hit: LOST at the last sighting */
    int n0 = s.n;
    CU_ASSERT_EQUAL(end_track(a, &t, T0 + S(8)), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, n0 + 1);
    const struct fx_rec *lost = &s.r[n0];
    CU_ASSERT_STRING_EQUAL(lost->a.id, id);
    CU_ASSERT_EQUAL(lost->a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(lost->a.lost_us, T0 + S(5));
    CU_ASSERT_STRING_EQUAL(lost->a.assigned_unit, "patrol-1");
    cJSON *j = cJSON_Parse(lost->json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "state")->valuestring, "LOST");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "reason")->valuestring, "track lost");
    cJSON *lo = cJSON_GetObjectItem(j, "lost");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lo);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(lo, "last_seen_time")->valuestring,
                           "2026-03-01T01:53:25.000Z");
    /* published 3 s after the last sighting: 50 m + 3 s x 3 m/s (a person) */
    BF_ASSERT_NEAR(cJSON_GetObjectItem(lo, "radius_m")->valuedouble, 59.0, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(lo, "growth_mps")->valuedouble, 3.0, 1e-9);
    double lat = cJSON_GetObjectItem(cJSON_GetObjectItem(lo, "center"), "lat")->valuedouble;
    double lon = cJSON_GetObjectItem(cJSON_GetObjectItem(lo, "center"), "lon")->valuedouble;
    double e, n;
    CU_ASSERT_EQUAL(bf_geo_to_local(fx_frame, lat, lon, &e, &n), 0);
    BF_ASSERT_NEAR(e, 10.0, 0.01);   /* where it was last seen, not where it coasted to */
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(j, "explanation")->valuestring,
                                  "Track lost, last seen at 01:53:25Z"));
    cJSON_Delete(j);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    CU_ASSERT_TRUE(bf_alerter_unit_assigned(a, "patrol-1"));
    /* never idle: an hour later it is still open */
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(3600)), 0);
    CU_ASSERT_EQUAL(s.n, n0 + 1);
    CU_ASSERT_TRUE(bf_alerter_is_live(a, id));

    /* a new track continues it: the same alert, ACKNOWLEDGED, operator fields kept */
    struct bf_track u;
    successor(&u, 105, 100, T0 + S(3630), 60, 1);
    u.status = BF_TRACK_TENTATIVE;   /* not before it is confirmed */
    CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    CU_ASSERT_EQUAL(s.n, n0 + 1);
    u.status = BF_TRACK_CONFIRMED;
    CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, n0 + 2);
    const struct fx_rec *re = &s.r[n0 + 1];
    CU_ASSERT_STRING_EQUAL(re->a.id, id);
    CU_ASSERT_STRING_EQUAL(re->a.episode, episode);
    CU_ASSERT_EQUAL(re->a.state, BF_ALERT_ACKNOWLEDGED);
    CU_ASSERT_EQUAL(re->a.track_id, 105);
    CU_ASSERT_STRING_EQUAL(re->a.ack_by, "alice");
    CU_ASSERT_STRING_EQUAL(re->a.assigned_unit, "patrol-1");
    CU_ASSERT_PTR_NOT_NULL(strstr(re->json, "\"reason\":\"reacquired by track 105\""));
    CU_ASSERT_PTR_NULL(strstr(re->json, "\"lost\":"));
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.lost, 1);
    CU_ASSERT_EQUAL(st.reacquired, 1);
    CU_ASSERT_EQUAL(st.raised, 1);

    /* an operator's INCURSION is never closed by a rule: back on their side ... */
    u.x[0] = -200;
    u.x[2] = -1;
    for (int k = 0; k < 10; k++) {
        fx_track_move(&u, 1.0);
        CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_RESOLVED), 0);
    /* ... nor idle */
    CU_ASSERT_EQUAL(bf_alerter_tick(a, u.t_us + S(600)), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_RESOLVED), 0);
    CU_ASSERT_TRUE(bf_alerter_is_live(a, id));
    /* the operator closes it */
    rq = op_req(BF_ACK_RESOLVE, id, NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &rq, u.t_us + S(601), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.state, BF_ALERT_RESOLVED);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

static void test_lost_unacknowledged(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t, w, u;
    /* an INCURSION (track 110) and an APPROACH (track 120) whose tracks end */
    fx_track_init(&t, 110, T0, 5, 0, 1, 0);
    CU_ASSERT_EQUAL(step(a, &t, 0, +1), 0);
    fx_track_init(&w, 120, T0, -200, 100, 1.5, 0);
    CU_ASSERT_EQUAL(step(a, &w, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(end_track(a, &t, T0 + S(3)), 0);
    CU_ASSERT_EQUAL(end_track(a, &w, T0 + S(3)), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(s.r[3].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.r[3].a.state, BF_ALERT_RESOLVED);   /* an unacknowledged APPROACH resolves */
    CU_ASSERT_PTR_NOT_NULL(strstr(s.r[3].json, "\"reason\":\"track lost\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.r[3].json, "Resolved at 01:53:23Z: track lost."));
    /* reacquired by track 111 on our side: UPDATED, same id, crossing time kept */
    successor(&u, 111, 110, T0 + S(20), 40, 1);
    CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    CU_ASSERT_STRING_EQUAL(s.r[4].a.id, s.r[0].a.id);
    CU_ASSERT_EQUAL(s.r[4].a.state, BF_ALERT_UPDATED);
    CU_ASSERT_EQUAL(s.r[4].a.track_id, 111);
    CU_ASSERT_EQUAL(s.r[4].a.crossing_us, s.r[0].a.crossing_us);
    CU_ASSERT_STRING_EQUAL(s.r[4].a.cause, "reacquired by track 111");
    /* the next publication says nothing about it any more */
    for (int k = 0; k < 6; k++) {
        fx_track_move(&u, 1.0);
        CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    }
    CU_ASSERT_EQUAL_FATAL(s.n, 6);
    CU_ASSERT_EQUAL(s.r[5].a.cause[0], '\0');
    CU_ASSERT_PTR_NULL(strstr(s.r[5].json, "\"reason\""));
    /* the operator resolves the LOST alert of another ended track: its successor cannot raise it */
    struct bf_track v, v2;
    fx_track_init(&v, 130, T0 + S(30), 5, 500, 1, 0);
    CU_ASSERT_EQUAL(step(a, &v, 0, +1), 0);
    CU_ASSERT_EQUAL(end_track(a, &v, T0 + S(32)), 0);
    int li = last_of(&s, BF_ALERT_INCURSION, 130);
    CU_ASSERT_TRUE_FATAL(li >= 0);
    CU_ASSERT_EQUAL(s.r[li].a.state, BF_ALERT_LOST);
    struct bf_ack_request rq = op_req(BF_ACK_ACKNOWLEDGE, s.r[li].a.id, NULL);
    struct bf_ack_result res;
    CU_ASSERT_EQUAL(bf_alerter_act(a, &rq, T0 + S(33), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.state, BF_ALERT_LOST);   /* acknowledged, still LOST */
    rq = op_req(BF_ACK_FALSE_ALARM, s.r[li].a.id, NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &rq, T0 + S(34), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.state, BF_ALERT_FALSE_ALARM);
    fx_track_init(&v2, 131, T0 + S(40), -20, 500, 2, 0);
    v2.continues_id = 130;
    CU_ASSERT_EQUAL(step(a, &v2, 0, 0), 0);
    fx_track_move(&v2, 20.0);   /* crosses onto our side */
    CU_ASSERT_EQUAL(step(a, &v2, 0, +1), 0);
    CU_ASSERT_EQUAL(last_of(&s, BF_ALERT_INCURSION, 131), -1);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_TRUE(st.reraise_blocked >= 1);   /* the crossing (and the late confirmation) */
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* A continuing track that already has its own INCURSION when it is joined to its
 * predecessor: the predecessor's INCURSION, acknowledged and assigned by an operator and LOST,
 * is not closed by the join (no rule closes what an operator holds); an unheld one is
 * resolved "continued by track N". */
static void test_join_keeps_held_alert(void)
{
    for (int held = 0; held < 2; held++) {
        struct fx_sink s;
        struct bf_alerter *a = mk(&s, NULL);
        struct bf_track t, u;
        fx_track_init(&t, 200, T0, 5, 0, 1, 0);
        CU_ASSERT_EQUAL(step(a, &t, 0, +1), 0);
        int first = last_of(&s, BF_ALERT_INCURSION, 200);
        CU_ASSERT_TRUE_FATAL(first >= 0);
        char id[BF_ALERT_ID_LEN];
        snprintf(id, sizeof id, "%s", s.r[first].a.id);
        if (held) {
            struct bf_ack_request rq = op_req(BF_ACK_ASSIGN, id, "patrol-2");
            struct bf_ack_result res;
            CU_ASSERT_EQUAL(bf_alerter_act(a, &rq, T0 + S(1), &res), 0);
            CU_ASSERT_TRUE(res.ok);
        }
        CU_ASSERT_EQUAL(end_track(a, &t, T0 + S(5)), 0);
        CU_ASSERT_EQUAL(s.r[s.n - 1].a.state, BF_ALERT_LOST);
        /* track 201 crosses on its own, then is found to continue 200 */
        fx_track_init(&u, 201, T0 + S(20), 40, 0, 1, 0);
        CU_ASSERT_EQUAL(step(a, &u, 0, +1), 0);
        int own = last_of(&s, BF_ALERT_INCURSION, 201);
        CU_ASSERT_TRUE_FATAL(own >= 0);
        CU_ASSERT_STRING_NOT_EQUAL(s.r[own].a.id, id);
        int before = s.n;
        u.continues_id = 200;
        fx_track_move(&u, 1.0);
        CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
        int closed = 0;
        for (int i = before; i < s.n; i++)
            if (!strcmp(s.r[i].a.id, id) && s.r[i].a.state == BF_ALERT_RESOLVED) {
                closed++;
                CU_ASSERT_STRING_EQUAL(s.r[i].a.cause, "continued by track 201");
            }
        CU_ASSERT_EQUAL(closed, held ? 0 : 1);
        CU_ASSERT_TRUE(bf_alerter_check(a));
        bf_alerter_destroy(a);
    }
}

static void test_idle_lost_own_track(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 140, T0, 5, 0, 1, 0);
    CU_ASSERT_EQUAL(step(a, &t, 0, +1), 0);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(120)), 0);   /* silent: LOST */
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_LOST);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_track_move(&t, 125.0);   /* heard again */
    CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.id, s.r[0].a.id);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_UPDATED);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.cause, "reacquired by track 140");
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* ---- joined history -------------------------------------------------------------------------- */

static void test_joined_predecessor(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t, u;
    /* track 200 walks to the line on their side (APPROACH), breaks up 10 m before it */
    fx_track_init(&t, 200, T0, -40, 0, 1.5, 0);
    CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    for (int k = 0; k < 20; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    }
    CU_ASSERT_EQUAL_FATAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.n, fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_NEW) +
                             fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_UPDATED));
    bf_time_us last_theirs = t.t_us;   /* e = -10 */
    CU_ASSERT_EQUAL(end_track(a, &t, t.t_us + S(4)), 0);
    /* the fragment on our side: its first point at e = +5 */
    int n0 = s.n;
    successor(&u, 201, 200, last_theirs + S(13), 9.5, 1.5);
    CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    int inc = last_of(&s, BF_ALERT_INCURSION, 201);
    CU_ASSERT_TRUE_FATAL(inc >= n0);
    CU_ASSERT_EQUAL(s.r[inc].a.state, BF_ALERT_NEW);
    /* between (-10 at last_theirs) and (+5 at last_theirs + 10 s): 10 / 15 of the way */
    bf_time_us want = last_theirs + S(10.0 * 10.0 / 15.0);
    CU_ASSERT_TRUE(llabs(s.r[inc].a.crossing_us - want) <= 1);
    printf("\n    joined crossing at +%.3f s after the last point on their side (expected %.3f)\n",
           bf_time_to_s(s.r[inc].a.crossing_us - last_theirs), bf_time_to_s(want - last_theirs));
    CU_ASSERT_STRING_EQUAL(s.r[inc].a.episode, s.r[0].a.id);   /* the walker's episode */
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.joined_incursions, 1);
    /* a continuing track whose predecessor ended on our side raises nothing new */
    struct bf_track p, q;
    fx_track_init(&p, 210, T0 + S(100), 300, 800, 1, 0);
    CU_ASSERT_EQUAL(step(a, &p, 0, 0), 0);
    CU_ASSERT_EQUAL(end_track(a, &p, T0 + S(103)), 0);
    int before = s.n;
    successor(&q, 211, 210, T0 + S(110), 310, 1);
    q.x[1] = 800;
    CU_ASSERT_EQUAL(step(a, &q, 0, 0), 0);
    CU_ASSERT_EQUAL(s.n, before);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* A seismic trip (radius 30) of sensor si at (e, n), without hints. */
static struct bf_detection trip(uint32_t si, bf_time_us t, double e, double n)
{
    return fx_ugs_trip(si, t, e, n, 30, NULL);
}

static void test_joined_ground_sensor(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    /* a ground sensor 5 m inside trips twice: UGS_TRIGGER */
    struct bf_detection d = trip(UGS1, T0, 5, 0);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), 0);
    d = trip(UGS1, T0 + S(8), 5, 0);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_UGS_TRIGGER);
    /* radar picks the walker up 120 m inside, 40 s after the first trip */
    struct bf_track t;
    fx_track_init(&t, 300, T0 + S(45), 125, 0, 1.2, 0);
    t.hist_len = 0;
    t.first_us = T0 + S(40);
    for (int k = 0; k <= 5; k++)
        fx_hist_push(&t, T0 + S(40 + k), 119 + 1.2 * k, 0);
    CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[1].a.type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(s.r[1].a.crossing_us, T0);   /* the trip */
    CU_ASSERT_STRING_EQUAL(s.r[1].a.episode, s.r[0].a.id);
    CU_ASSERT_EQUAL(s.r[2].a.type, BF_ALERT_UGS_TRIGGER);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.reason, "covered by track 300");
    /* a track starting 400 m inside, as long after a trip, is someone else */
    d = trip(UGS1, T0 + S(100), 5, 0);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), 0);
    struct bf_track f;
    fx_track_init(&f, 301, T0 + S(145), 405, 50, 1.2, 0);
    f.hist_len = 0;
    f.first_us = T0 + S(140);
    for (int k = 0; k <= 5; k++)
        fx_hist_push(&f, T0 + S(140 + k), 399 + 1.2 * k, 50);
    int before = s.n;
    CU_ASSERT_EQUAL(step(a, &f, 0, 0), 0);
    CU_ASSERT_EQUAL(s.n, before);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* ---- APPROACH ------------------------------------------------------------------------------------ */

/* A deterministic heading noise in [-1, 1] (a 32-bit LCG, seeded). */
static double noise(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (double)(*seed >> 8) / (double)(1u << 23) - 1.0;
}

static void vehicle(struct bf_track *t)
{
    memset(t->class_p, 0, sizeof t->class_p);
    t->class_p[BF_CLASS_VEHICLE] = 0.9f;
    t->class_p[BF_CLASS_PERSON] = 0.1f;
}

static void test_road_vehicle(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    const double offsets[3] = {-100, -150, -200};
    uint32_t seed = 12345;
    for (int v = 0; v < 3; v++) {
        struct bf_track t;
        /* 15 m/s along the road, parallel to the line, heading noise of +-3 degrees */
        fx_track_init(&t, 400 + (uint32_t)v, T0, offsets[v], -1500, 0, 15);
        vehicle(&t);
        for (int k = 0; k < 200; k++) {
            double h = 3.0 * noise(&seed) * M_PI / 180.0;
            t.x[2] = 15 * sin(h);
            t.x[3] = 15 * cos(h);
            fx_track_move(&t, 1.0);
            t.x[0] = offsets[v];   /* the road */
            CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
        }
    }
    int high = 0;
    for (int i = 0; i < s.n; i++)
        high += s.r[i].a.severity >= BF_SEV_HIGH;
    printf("\n    road vehicles (3 x 200 s at 15 m/s, 100-200 m out): %d alerts, %d high\n", s.n,
           high);
    CU_ASSERT_EQUAL(count_type(&s, BF_ALERT_APPROACH), 0);
    CU_ASSERT_EQUAL(count_type(&s, BF_ALERT_LOITER), 0);
    CU_ASSERT_EQUAL(high, 0);
    bf_alerter_destroy(a);
}

static void time_only(struct bf_alert_params *p) { p->approach_distance_m = 0; }

static void test_approach_no_flapping(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, time_only);
    struct bf_track t;
    /* 400 m out, closing at about 3.33 m/s (120 s to the line) with heading noise of
     * +-25 degrees: the time to the line wanders between about 110 and 150 s */
    fx_track_init(&t, 500, T0, -400, 0, 3.33, 0);
    uint32_t seed = 777;
    int crossings = 0;
    bool below_prev = false;
    double lo = INFINITY, hi = 0;
    for (int k = 0; k < 120; k++) {
        double h = 25.0 * noise(&seed) * M_PI / 180.0;
        double sp = 3.6;
        t.x[2] = sp * cos(h);
        t.x[3] = sp * sin(h);
        fx_track_move(&t, 1.0);
        t.x[0] = -400;   /* held at the distance: only the heading changes */
        double ttl = 400 / t.x[2];
        lo = fmin(lo, ttl);
        hi = fmax(hi, ttl);
        bool below = ttl <= 120;
        crossings += k > 0 && below != below_prev;
        below_prev = below;
        CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    }
    int raised = fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_NEW);
    int cleared = fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED);
    printf("\n    time to the line %.0f..%.0f s, %d threshold crossings: %d raised, %d cleared\n",
           lo, hi, crossings, raised, cleared);
    CU_ASSERT_TRUE(crossings >= 10);   /* the old rule would have flapped */
    CU_ASSERT_EQUAL(raised, 1);
    CU_ASSERT_EQUAL(cleared, 0);
    /* it turns to walk along the line: cleared approach_min_dwell_s later, not before */
    t.x[2] = 0;
    t.x[3] = 1.5;
    bf_time_us turned = t.t_us;
    for (int k = 0; k < 9; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), 0);
    fx_track_move(&t, 1.0);
    CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_RESOLVED), 1);
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.last_us, turned + S(10));
    bf_alerter_destroy(a);
}

static void test_approach_vehicle_closing(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    /* a sure vehicle driving at the line: high */
    fx_track_init(&t, 520, T0, -250, 0, 5, 0);
    vehicle(&t);
    CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_HIGH);
    /* a car on the road drifting 0.5 m/s towards the line at 15 m/s (2 degrees): not closing */
    struct bf_track u;
    fx_track_init(&u, 521, T0, -250, 2000, 0.5, 15);
    vehicle(&u);
    CU_ASSERT_EQUAL(step(a, &u, 0, 0), 0);
    CU_ASSERT_EQUAL(s.n, 1);
    /* a walker at 20 degrees off the line, 1.5 m/s: 0.51 m/s towards it, closing */
    struct bf_track w;
    fx_track_init(&w, 522, T0, -250, 1000, 1.5 * sin(20 * M_PI / 180), 1.5 * cos(20 * M_PI / 180));
    CU_ASSERT_EQUAL(step(a, &w, 0, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.severity, BF_SEV_MEDIUM);
    bf_alerter_destroy(a);
}

/* ---- crossing points --------------------------------------------------------------------------- */

static uint64_t cp_inside(const struct bf_track *t)
{
    /* with the geofence's 10 m hysteresis, as geo would */
    bool in = bf_geo_zone_contains(cp_zones, (size_t)cp_idx, t->x[0], t->x[1]) ||
              bf_geo_zone_distance(cp_zones, (size_t)cp_idx, t->x[0], t->x[1]) <= 10;
    return in ? UINT64_C(1) << cp_idx : 0;
}

static void events_on(struct bf_alert_params *p) { p->crossing_point_events = true; }

static void run_checkpoint_car(struct fx_sink *s, void (*tweak)(struct bf_alert_params *),
                               struct bf_alerter_stats *st)
{
    struct bf_alerter *a = fx_alerter(s, N_SENSORS, NULL, cp_zones, tweak);
    struct bf_track t;
    /* drives at the checkpoint on the road (n = 0) at 10 m/s from 300 m out */
    fx_track_init(&t, 600, T0, -305, 0, 10, 0);
    vehicle(&t);
    bool crossed = false;
    while (t.x[0] < 20) {
        double prev = t.x[0];
        fx_track_move(&t, 1.0);
        int cr = prev < 0 && t.x[0] > 0 && !crossed ? +1 : 0;
        crossed = crossed || cr;
        struct bf_geo_step g = fx_step(&t, cp_inside(&t));
        if (cr) {
            fx_add_crossing(&g, +1, -prev / (t.x[0] - prev));
            g.crossings[0].n_m = 0;
        }
        CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &g), 0);
    }
    /* stops inside for two minutes */
    t.x[2] = 0;
    for (int k = 0; k < 120; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, cp_inside(&t), 0), 0);
    }
    /* drives out onto our side for a minute */
    t.x[2] = 10;
    for (int k = 0; k < 60; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, cp_inside(&t), 0), 0);
    }
    CU_ASSERT_EQUAL(end_track(a, &t, t.t_us + S(3)), 0);
    bf_alerter_get_stats(a, st);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

static void test_crossing_point(void)
{
    static struct fx_sink s;
    struct bf_alerter_stats st;
    run_checkpoint_car(&s, NULL, &st);
    printf("\n    checkpoint car: %d alerts, %llu crossing-point passages\n", s.n,
           (unsigned long long)st.crossing_point);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT_EQUAL(st.crossing_point, 1);
    /* with crossing_point_events: one low ZONE_ENTRY on the checkpoint, resolved when it leaves */
    run_checkpoint_car(&s, events_on, &st);
    CU_ASSERT_EQUAL_FATAL(s.n, count_type(&s, BF_ALERT_ZONE_ENTRY));
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_ZONE_ENTRY, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(s.r[0].a.zone_idx, cp_idx);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_LOW);
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.state, BF_ALERT_RESOLVED);   /* left it; no LOST for a passage */
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_ZONE_ENTRY, BF_ALERT_LOST), 0);

    /* a walker crossing 1 km north of the checkpoint is an incursion */
    struct bf_alerter *a = fx_alerter(&s, N_SENSORS, NULL, cp_zones, NULL);
    struct bf_track w;
    fx_track_init(&w, 610, T0, 2, 1000, 1, 0);
    struct bf_geo_step g = fx_step(&w, cp_inside(&w));
    fx_add_crossing(&g, +1, 0.5);
    g.crossings[0].n_m = 1000;
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &w, BF_CHANGE_UPDATED, &g), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_INCURSION);
    bf_alerter_destroy(a);
}

/* ---- class persistence ----------------------------------------------------------------------------- */

static void set_class(struct bf_track *t, enum bf_class c)
{
    memset(t->class_p, 0, sizeof t->class_p);
    t->class_p[c] = 0.8f;
    t->class_p[c == BF_CLASS_PERSON ? BF_CLASS_ANIMAL : BF_CLASS_PERSON] = 0.2f;
}

static void test_class_persistence(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 700, T0, 5, 0, 1, 0);
    CU_ASSERT_EQUAL(step(a, &t, 0, +1), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    /* a 10 s flip to animal (less than class_hold_s 15): the INCURSION stays */
    set_class(&t, BF_CLASS_ANIMAL);
    for (int k = 0; k < 10; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    }
    set_class(&t, BF_CLASS_PERSON);
    fx_track_move(&t, 1.0);
    CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_RESOLVED), 0);
    /* animal for good: withdrawn once it held 15 s */
    set_class(&t, BF_CLASS_ANIMAL);
    bf_time_us flip = t.t_us + S(1);
    for (int k = 0; k < 30; k++) {
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, 0, 0), 0);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_RESOLVED), 1);
    int r = last_of(&s, BF_ALERT_INCURSION, 700);
    CU_ASSERT_EQUAL(s.r[r].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_EQUAL(s.r[r].a.last_us, flip + S(15));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.r[r].json, "\"reason\":\"reclassified animal\""));
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.withdrawn_class, 1);

    /* an animal that crosses and flips to person for 10 s raises nothing ... */
    struct bf_track d;
    fx_track_init(&d, 710, T0, -30, 300, 1, 0);
    set_class(&d, BF_CLASS_ANIMAL);
    CU_ASSERT_EQUAL(step(a, &d, 0, 0), 0);
    int before = s.n;
    set_class(&d, BF_CLASS_PERSON);
    for (int k = 0; k < 10; k++) {
        fx_track_move(&d, 1.0);
        d.x[0] = -30 + 6.0 * (k + 1);
        CU_ASSERT_EQUAL(step(a, &d, 0, k == 5 ? +1 : 0), 0);
    }
    set_class(&d, BF_CLASS_ANIMAL);
    for (int k = 0; k < 10; k++) {
        fx_track_move(&d, 1.0);
        CU_ASSERT_EQUAL(step(a, &d, 0, 0), 0);
    }
    CU_ASSERT_EQUAL(s.n, before);
    /* ... and one that is a person for good raises once it held (late confirmation) */
    set_class(&d, BF_CLASS_PERSON);
    for (int k = 0; k < 20; k++) {
        fx_track_move(&d, 1.0);
        CU_ASSERT_EQUAL(step(a, &d, 0, 0), 0);
    }

    /* its crossing left the 16-point history: nothing to report but the dwell */
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 1);
    CU_ASSERT_EQUAL(last_of(&s, BF_ALERT_INCURSION, 710), -1);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_TRUE(st.suppressed_class >= 10);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* ---- test targets -------------------------------------------------------------------------------- */

static void test_test_targets_never_alert(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    /* approaches, crosses, late confirmation, the depot, dwelling: all as a test target */
    fx_track_init(&t, 800, T0, -250, 0, 5, 0);
    t.flags = BF_DET_F_TEST;
    for (int k = 0; k < 60; k++) {
        double prev = t.x[0];
        fx_track_move(&t, 1.0);
        CU_ASSERT_EQUAL(step(a, &t, 0, prev < 0 && t.x[0] >= 0 ? +1 : 0), 0);
    }
    struct bf_track u;   /* confirmed only after it crossed */
    fx_track_init(&u, 801, T0, 20, 400, 1, 0);
    u.flags = BF_DET_F_TEST;
    u.hist_len = 0;
    fx_hist_push(&u, T0 - S(2), -10, 400);
    fx_hist_push(&u, T0, 20, 400);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &u, BF_CHANGE_CONFIRMED, &(struct bf_geo_step){
                        .nearest_line = fx_border, .dist_to_line_m = 20, .line_side = 1,
                        .time_to_line_s = INFINITY}), 0);
    struct bf_track w;   /* stands 50 m from the line for 5 minutes */
    fx_track_init(&w, 802, T0, -50, -900, 0, 0);
    w.flags = BF_DET_F_TEST;
    for (int k = 0; k < 300; k++) {
        fx_track_move(&w, 1.0);
        CU_ASSERT_EQUAL(step(a, &w, 0, 0), 0);
    }
    struct bf_track d;   /* in the depot */
    fx_track_init(&d, 803, T0, 900, 0, 1, 0);
    d.flags = BF_DET_F_TEST | BF_DET_F_EXERCISE;
    CU_ASSERT_EQUAL(step(a, &d, UINT64_C(1) << bf_geo_zone_find(fx_zones, "depot"), 0), 0);
    /* a test target continuing a real track that ended on their side */
    struct bf_track p, q;
    fx_track_init(&p, 804, T0, -15, 2000, 1, 0);
    CU_ASSERT_EQUAL(step(a, &p, 0, 0), 0);
    int real = s.n;   /* its own APPROACH */
    CU_ASSERT_EQUAL(end_track(a, &p, T0 + S(3)), 0);
    successor(&q, 805, 804, T0 + S(20), 10, 1);
    q.x[1] = 2000;
    q.flags = BF_DET_F_TEST;
    for (int k = 0; k < 5; k++) {
        CU_ASSERT_EQUAL(step(a, &q, 0, 0), 0);
        fx_track_move(&q, 1.0);
    }
    int incursions = count_type(&s, BF_ALERT_INCURSION), zone = count_type(&s, BF_ALERT_ZONE_ENTRY);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    printf("\n    test targets: %d incursions, %d zone entries, %llu suppressed (test)\n",
           incursions, zone, (unsigned long long)st.suppressed_test);
    CU_ASSERT_EQUAL(incursions, 0);
    CU_ASSERT_EQUAL(zone, 0);
    CU_ASSERT_EQUAL(count_type(&s, BF_ALERT_LOITER), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_APPROACH, BF_ALERT_NEW), real);
    for (int i = 0; i < s.n; i++)
        CU_ASSERT_EQUAL(s.r[i].a.track_id, 804);
    CU_ASSERT_TRUE(st.suppressed_test > 100);
    bf_alerter_destroy(a);
}

static CU_TestInfo tests[] = {
    {"LOST, acknowledged, reacquired, never closed by a rule", test_lost_reacquired_acknowledged},
    {"LOST and reacquired; APPROACH resolves; closed key moves", test_lost_unacknowledged},
    {"a join keeps the predecessor's alert an operator holds", test_join_keeps_held_alert},
    {"idle LOST, its own track heard again", test_idle_lost_own_track},
    {"joined history: predecessor on their side", test_joined_predecessor},
    {"joined history: ground sensor at the line, radar inside", test_joined_ground_sensor},
    {"border road vehicle raises nothing", test_road_vehicle},
    {"APPROACH does not flap on heading noise", test_approach_no_flapping},
    {"APPROACH vehicle step up needs closing", test_approach_vehicle_closing},
    {"crossing point: car stops inside and drives out", test_crossing_point},
    {"class persistence and withdrawal", test_class_persistence},
    {"test targets never alert", test_test_targets_never_alert},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"rule_cases", init, clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
