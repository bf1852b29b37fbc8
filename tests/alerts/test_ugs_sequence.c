/*
 * test_ugs_sequence.c - the ground-sensor sequence (docs/alerts.md, "Ground-sensor sequence"):
 * a trip at a sensor wholly on our side after one at a sensor whose area reaches the line
 * from their side raises INCURSION with no track; the reverse order, too fast, too slow, an
 * animal's hint, a sensor on its own and a deeper sensor that is not deeper do not; the
 * track that follows takes the INCURSION over (one INCURSION in all, the same id).
 *
 * The fixture's border runs along e = 0, our side east.  Sensor A ("ugs-1") stands 25 m on
 * their side with a 20 m radius (its area -45 .. -5 m), B ("ugs-2") 20 m on ours with 15 m
 * (5 .. 35 m): the areas are 10 m apart.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/alerts_int.h"
#include "bf_test.h"
#include "core/bf_time.h"
#include "fixture.h"

#define N_SENSORS 4   /* radar-west, radar-east, ugs-1, ugs-2 */
#define RADAR 0
#define DEEP 1        /* "radar-east" used as a third ground sensor further in */
#define UGS_A 2
#define UGS_B 3
#define A_E (-25.0)
#define A_R 20.0
#define B_E 20.0
#define B_R 15.0

enum hint { NO_HINT, PERSON, ANIMAL };

static struct bf_detection trip(uint32_t si, bf_time_us t, double e, double radius, enum hint h)
{
    static const float person[BF_CLASS_COUNT] = {1.0f, 0.1f, 0.2f, 0.1f, 0.1f, 0.3f};
    static const float deer[BF_CLASS_COUNT] = {0.2f, 0.1f, 1.0f, 0.1f, 0.1f, 0.3f};
    return fx_ugs_trip(si, t, e, 0, radius, h == PERSON ? person : h == ANIMAL ? deer : NULL);
}

static void no_suppression(struct bf_alert_params *p) { p->suppress_classes = 0; }

static struct bf_alerter *mk(struct fx_sink *s, void (*tweak)(struct bf_alert_params *))
{
    struct bf_alerter *a = fx_alerter(s, N_SENSORS, NULL, fx_zones, tweak);
    const char *kinds[N_SENSORS] = {"asterix", "asterix", "ugs", "ugs"};
    CU_ASSERT_EQUAL(bf_alerter_set_sensor_kinds(a, kinds, N_SENSORS), 0);
    return a;
}

/* A trips at t_a, B at t_b (seconds after T0), with hints ha and hb. */
static void pair(struct bf_alerter *a, double t_a, enum hint ha, double t_b, enum hint hb)
{
    struct bf_detection d = trip(UGS_A, T0 + S(t_a), A_E, A_R, ha);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, A_R, NULL, 0), 0);
    d = trip(UGS_B, T0 + S(t_b), B_E, B_R, hb);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
}

static int count(const struct fx_sink *s, enum bf_alert_type t)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += s->r[i].a.type == t;
    return k;
}

static void test_sequence_raises(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    pair(a, 0, PERSON, 5, PERSON);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    const struct bf_alert *al = &s.r[0].a;
    CU_ASSERT_EQUAL(al->type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(al->state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(al->track_id, 0);
    CU_ASSERT_FALSE(bf_alert_has_track(al));
    CU_ASSERT_EQUAL(al->sensor_idx, UGS_B);
    CU_ASSERT_EQUAL(al->zone_idx, fx_border);
    CU_ASSERT_EQUAL(al->sensors, (UINT64_C(1) << UGS_A) | (UINT64_C(1) << UGS_B));
    CU_ASSERT_EQUAL(al->n_hits, 2);
    BF_ASSERT_NEAR(al->confidence, 0.6, 1e-12);   /* a 20 m and a 15 m channel: two kinds */
    CU_ASSERT_EQUAL(al->severity, BF_SEV_MEDIUM);  /* high, one lower below 0.65 */
    CU_ASSERT_EQUAL(al->cls, BF_CLASS_PERSON);
    CU_ASSERT_EQUAL(al->first_us, T0 + S(5));
    CU_ASSERT_EQUAL(al->crossing_us, T0 + S(2.5));  /* the areas stop 5 m either side */
    CU_ASSERT_STRING_EQUAL(al->episode, al->id);
    BF_ASSERT_NEAR(al->dist_to_line_m, 20, 0.5);
    /* 10 m between the areas in 5 s */
    CU_ASSERT_STRING_EQUAL(al->reason, "ugs-1 at 01:53:20Z, then ugs-2 at 01:53:25Z: at least 2.0 m/s");
    cJSON *j = cJSON_Parse(s.r[0].json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "track_id")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "type")->valuestring, "INCURSION");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "sensor")->valuestring, "ugs-2");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "reason")->valuestring, al->reason);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "crossing_time")->valuestring,
                           "2026-03-01T01:53:22.500Z");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sensors")), 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "explanation")->valuestring,
                           "Ground sensors ugs-1 at 01:53:20Z, then ugs-2 at 01:53:25Z: at least "
                           "2.0 m/s; crossed State border onto our side at about 01:53:22Z; no "
                           "track yet; class hint person (56%); confidence 60%.");
    cJSON_Delete(j);
    /* B again: the same INCURSION, updated (not before update_min_interval_s) */
    struct bf_detection d = trip(UGS_B, T0 + S(8), B_E, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.type, BF_ALERT_UGS_TRIGGER);   /* B's own two trips */
    CU_ASSERT_STRING_EQUAL(s.r[1].a.episode, s.r[1].a.id);
    d = trip(UGS_B, T0 + S(13), B_E, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    CU_ASSERT_EQUAL(count(&s, BF_ALERT_INCURSION), 2);
    CU_ASSERT_STRING_EQUAL(s.r[s.n - 1].a.id, s.r[0].a.id);
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.state, BF_ALERT_UPDATED);
    /* a sensor deeper still, paired with the same trip of A: the same crossing, no second one */
    d = trip(DEEP, T0 + S(20), 60, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    for (int i = 0; i < s.n; i++)
        if (s.r[i].a.type == BF_ALERT_INCURSION)
            CU_ASSERT_STRING_EQUAL(s.r[i].a.id, s.r[0].a.id);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);

    /* two channels of one kind (the same radius): 0.5 */
    a = mk(&s, NULL);
    struct bf_detection da = trip(UGS_A, T0, -20, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &da, B_R, NULL, 0), 0);
    d = trip(UGS_B, T0 + S(5), B_E, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    BF_ASSERT_NEAR(s.r[0].a.confidence, 0.5, 1e-12);
    fx_done(&s, a);
}

static void test_sequence_rejected(void)
{
    struct fx_sink s;
    /* the reverse order: ours, then theirs */
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_detection d = trip(UGS_B, T0, B_E, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    d = trip(UGS_A, T0 + S(5), A_E, A_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, A_R, NULL, 0), 0);
    CU_ASSERT_EQUAL(s.n, 0);
    fx_done(&s, a);

    /* A at 0 s, B later: too fast for a person (10 m in 2 s is 5 m/s > 3), the same without
     * hints (a vehicle's 25 m/s allow it), too slow (61 s, beyond ugs_window_s) */
    const struct {
        enum hint h;
        double t_b;
        const char *reason;   /* NULL: nothing raised */
    } cases[] = {
        {PERSON, 2, NULL},
        {NO_HINT, 2, "ugs-1 at 01:53:20Z, then ugs-2 at 01:53:22Z: at least 5.0 m/s"},
        {PERSON, 61, NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        a = mk(&s, NULL);
        pair(a, 0, cases[k].h, cases[k].t_b, cases[k].h);
        CU_ASSERT_EQUAL(s.n, cases[k].reason ? 1 : 0);
        if (cases[k].reason && s.n == 1) {
            CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_INCURSION);
            CU_ASSERT_STRING_EQUAL(s.r[0].a.reason, cases[k].reason);
        }
        fx_done(&s, a);
    }

    /* an animal's hint never pairs, at either end, even when animals are not suppressed */
    a = mk(&s, no_suppression);
    pair(a, 0, ANIMAL, 5, PERSON);
    pair(a, 100, PERSON, 105, ANIMAL);
    CU_ASSERT_EQUAL(s.n, 0);
    fx_done(&s, a);
    /* suppressed (the default): counted, never paired */
    a = mk(&s, NULL);
    pair(a, 0, ANIMAL, 5, PERSON);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT_EQUAL(st.suppressed_class, 1);
    fx_done(&s, a);

    /* one sensor alone, however often: its own UGS_TRIGGER, no INCURSION */
    a = mk(&s, NULL);
    for (int k = 0; k < 4; k++) {
        d = trip(UGS_B, T0 + S(5 * k), B_E, B_R, PERSON);
        CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    }
    CU_ASSERT_TRUE(s.n >= 1);
    CU_ASSERT_EQUAL(count(&s, BF_ALERT_INCURSION), 0);
    CU_ASSERT_EQUAL(count(&s, BF_ALERT_UGS_TRIGGER), s.n);
    fx_done(&s, a);

    /* B not deeper: a wide area across the line (-80 .. 80 m), then a small one inside it */
    a = mk(&s, NULL);
    d = trip(UGS_A, T0, 0, 80, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 80, NULL, 0), 0);
    d = trip(UGS_B, T0 + S(5), 30, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    CU_ASSERT_EQUAL(s.n, 0);
    fx_done(&s, a);
    /* both areas on our side: no crossing between them */
    a = mk(&s, NULL);
    d = trip(UGS_A, T0, 25, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    d = trip(UGS_B, T0 + S(10), 60, B_R, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, B_R, NULL, 0), 0);
    CU_ASSERT_EQUAL(s.n, 0);
    fx_done(&s, a);
}

/* A confirmed track first seen at e0 on our side at t0_s, walking east at 1.2 m/s; now t_s. */
static void walker(struct bf_track *t, uint32_t id, double e0, double t0_s, double t_s)
{
    fx_track_init(t, id, T0 + S(t_s), e0 + 1.2 * (t_s - t0_s), 0, 1.2, 0);
    t->hist_len = 0;
    t->first_us = T0 + S(t0_s);
    for (double k = t0_s; k <= t_s; k += 1)
        fx_hist_push(t, T0 + S(k), e0 + 1.2 * (k - t0_s), 0);
}

static int step(struct bf_alerter *a, const struct bf_track *t)
{
    struct bf_geo_step g = fx_step(t, 0);
    return bf_alerter_on_track(a, t, BF_CHANGE_UPDATED, &g);
}

static void test_track_takes_over(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    pair(a, 0, PERSON, 5, PERSON);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    char id[BF_ALERT_ID_LEN];
    memcpy(id, s.r[0].a.id, sizeof id);
    /* the radar picks the walker up 120 m inside, 90 s later (joined history) */
    struct bf_track t;
    walker(&t, 300, 120, 90, 95);
    CU_ASSERT_EQUAL(step(a, &t), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    const struct bf_alert *al = &s.r[1].a;
    CU_ASSERT_EQUAL(al->type, BF_ALERT_INCURSION);
    CU_ASSERT_STRING_EQUAL(al->id, id);
    CU_ASSERT_STRING_EQUAL(al->episode, id);
    CU_ASSERT_EQUAL(al->state, BF_ALERT_UPDATED);
    CU_ASSERT_EQUAL(al->track_id, 300);
    CU_ASSERT_EQUAL(al->sensor_idx, -1);
    CU_ASSERT_EQUAL(al->crossing_us, T0 + S(2.5));
    CU_ASSERT_EQUAL(al->first_us, T0 + S(5));
    CU_ASSERT_STRING_EQUAL(al->cause, "taken over by track 300");
    cJSON *j = cJSON_Parse(s.r[1].json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "track_id")->valueint, 300);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(j, "sensor"));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "reason")->valuestring, "taken over by track 300");
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(j, "explanation")->valuestring,
                                  "Confirmed track 300 (person, 70%) crossed State border onto our "
                                  "side at 01:53:22Z;"));
    cJSON_Delete(j);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.joined_incursions, 1);
    /* its later steps update the same alert; nothing raises a second INCURSION */
    for (int k = 0; k < 12; k++) {
        fx_track_move(&t, 1);
        CU_ASSERT_EQUAL(step(a, &t), 0);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_NEW), 1);
    for (int i = 0; i < s.n; i++) {
        CU_ASSERT_EQUAL(s.r[i].a.type, BF_ALERT_INCURSION);
        CU_ASSERT_STRING_EQUAL(s.r[i].a.id, id);
    }
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.cause[0], '\0');   /* said once */
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);

    /* idle: LOST at the sensor; then a track that comes to cover B takes it over */
    a = mk(&s, NULL);
    pair(a, 0, PERSON, 5, PERSON);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(125)), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_LOST);
    CU_ASSERT_EQUAL(s.r[1].a.track_id, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.r[1].json, "\"lost\":{"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.r[1].json, "Nothing since 01:53:25Z; search within"));
    /* a confirmed track on their side within B's cover is not the one who crossed */
    struct bf_track theirs;
    fx_track_init(&theirs, 305, T0 + S(128), -10, 0, 0, 0.5);
    CU_ASSERT_EQUAL(step(a, &theirs), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_INCURSION, BF_ALERT_UPDATED), 0);
    fx_track_init(&t, 310, T0 + S(130), B_E + 30, 10, 1.0, 0);
    t.sensors = UINT64_C(1) << RADAR;
    CU_ASSERT_EQUAL(step(a, &t), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.id, s.r[0].a.id);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_UPDATED);
    CU_ASSERT_EQUAL(s.r[2].a.track_id, 310);
    CU_ASSERT_FALSE(strstr(s.r[2].json, "\"lost\"") != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.r[2].json, "Taken over by track 310."));
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);

    /* a radar track that crosses in the step it comes to cover B: it takes the INCURSION over,
     * and its own crossing finds it (no second INCURSION) */
    a = mk(&s, NULL);
    pair(a, 0, PERSON, 5, PERSON);
    fx_track_init(&t, 320, T0 + S(8), B_E + 10, 0, 1.2, 0);
    struct bf_geo_step g = fx_step(&t, 0);
    fx_add_crossing(&g, +1, 0.5);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_UPDATED, &g), 0);
    int live_inc = 0;
    for (int i = 0; i < s.n; i++)
        if (s.r[i].a.type == BF_ALERT_INCURSION)
            live_inc += s.r[i].a.state == BF_ALERT_NEW ? 1 : 0;
    CU_ASSERT_EQUAL(live_inc, 1);
    CU_ASSERT_STRING_EQUAL(s.r[s.n - 1].a.id, s.r[0].a.id);
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.track_id, 320);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);
}

static CU_TestInfo tests[] = {
    {"a sequence across the line raises INCURSION without a track", test_sequence_raises},
    {"reverse, too fast, too slow, animal, alone, not deeper: nothing", test_sequence_rejected},
    {"the track that follows takes it over: one INCURSION", test_track_takes_over},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"ugs_sequence", fx_init, fx_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
