/*
 * test_rules_dwell_ugs.c - the dwell and ground-sensor rules: LOITER, UGS_TRIGGER, suppression by
 * class, the severity table, support weighted by sensor kind, episodes and
 * the explanation sentences; and, with the real tracker, that a crossing
 * confirmed by radar and a ground sensor has a higher confidence than the
 * same crossing seen by radar alone.
 *
 * Geometry (tests/alerts/zones.geojson, fixture.h): a border line along local
 * e = 0, our side east; a no_alert farm at about e -1140..-760, n 1110..1670.
 * The hand-made steps follow that geometry (dist = |e|, side = sign(e)); the
 * real-tracker test uses bf_geo_track_step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/alerts_int.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_time.h"
#include "fixture.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/geo.h"

#define N_SENSORS 4   /* fx_sensor_ids: radar-west, radar-east, ugs-1, ugs-2 */
#define UGS1 2
#define UGS2 3

/* ---- alerters, hand-made tracks and steps (the fixture's line: e = 0, ours east) ---------- */

static struct bf_alerter *mk(struct fx_sink *s, void (*tweak)(struct bf_alert_params *))
{
    return fx_alerter(s, N_SENSORS, NULL, fx_zones, tweak);
}

/* The index of the first record of type/state at or after from, or -1. */
static int find(const struct fx_sink *s, int from, enum bf_alert_type t, enum bf_alert_state st)
{
    for (int i = from; i < s->n; i++)
        if (s->r[i].a.type == t && s->r[i].a.state == st)
            return i;
    return -1;
}

/* The track at e (same n) at time now, one more hit. */
static void trk_at(struct bf_track *t, bf_time_us now, double e)
{
    t->t_us = now;
    t->x[0] = e;
    t->n_hits++;
    t->last_hit_us = now;
    fx_hist_push(t, now, e, t->x[1]);
}

static int step(struct bf_alerter *a, const struct bf_track *t, int crossing)
{
    struct bf_geo_step s = fx_step(t, 0);
    if (crossing)
        fx_add_crossing(&s, crossing, 0.5);
    return bf_alerter_on_track(a, t, BF_CHANGE_UPDATED, &s);
}

static cJSON *parse(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    CU_ASSERT_PTR_NOT_NULL(j);
    return j;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : "";
}

/* ---- LOITER ------------------------------------------------------------------------ */

static void no_approach(struct bf_alert_params *p)
{
    p->approach_distance_m = 0;
    p->approach_time_s = 0;
}

/*
 * A walker standing 100 m off the line on their side: LOITER after 90 s of
 * dwell, not at 85 s; it follows the walker within the hysteresis (170 m <
 * 150 * 1.2) and ends beyond it (200 m).
 */
static void test_loiter_after_dwell(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, no_approach);
    struct bf_track t;
    fx_track_init(&t, 11, T0, -100, 0, 0, 0);
    for (int k = 0; k <= 17; k++) {   /* 0, 5, ... 85 s */
        if (k)
            trk_at(&t, T0 + S(5 * k), -100);
        CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    }
    CU_ASSERT_EQUAL(s.n, 0);   /* 85 s: not yet */
    trk_at(&t, T0 + S(90), -100);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    const struct bf_alert *al = &s.r[0].a;
    CU_ASSERT_EQUAL(al->type, BF_ALERT_LOITER);
    CU_ASSERT_EQUAL(al->state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(al->severity, BF_SEV_MEDIUM);   /* their side, person, confidence >= 0.65 */
    BF_ASSERT_NEAR(al->dwell_s, 90.0, 1e-9);
    CU_ASSERT_EQUAL(al->zone_idx, fx_border);
    CU_ASSERT_STRING_EQUAL(al->episode, al->id);   /* its first alert opens the episode */

    cJSON *j = parse(s.r[0].json);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "dwell_s")->valuedouble, 90.0, 1e-9);
    CU_ASSERT_STRING_EQUAL(jstr(j, "episode"), al->id);
    CU_ASSERT_STRING_EQUAL(jstr(j, "explanation"),
                           "Confirmed track 11 (person, 70%) has stayed near State border on "
                           "their side for 90 s (since 01:53:20Z), now 100 m from it; seen by "
                           "radar-west; confidence 76%.");
    cJSON_Delete(j);
    /* field order: ... "hits", "episode", "dwell_s" ... "explanation" */
    const char *js = s.r[0].json;
    const char *hits = strstr(js, "\"hits\":"), *ep = strstr(js, "\"episode\":"),
               *dw = strstr(js, "\"dwell_s\":"), *ex = strstr(js, "\"explanation\":");
    CU_ASSERT_TRUE(hits && ep && dw && ex && hits < ep && ep < dw && dw < ex);

    /* drifting out to 170 m: still inside the band with its hysteresis */
    trk_at(&t, T0 + S(100), -170);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_LOITER, BF_ALERT_RESOLVED), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    BF_ASSERT_NEAR(s.r[1].a.dwell_s, 100.0, 1e-9);
    /* 200 m: out */
    trk_at(&t, T0 + S(105), -200);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_LOITER, BF_ALERT_RESOLVED), 1);
    /* back in: the dwell starts again, no LOITER for another 90 s */
    int n0 = s.n;
    trk_at(&t, T0 + S(110), -100);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    trk_at(&t, T0 + S(195), -100);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL(s.n, n0);
    trk_at(&t, T0 + S(200), -100);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_LOITER, BF_ALERT_NEW), 2);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/*
 * A walker heading for the line at 1.3 m/s from 150 m whose velocity estimate
 * is zero (a noisy track can show that for a scan): it spends 115 s in the
 * band, but moves 117 m in 90 s - passing through, no LOITER.  One who paces
 * 100 m off the line, up and down it, does loiter.
 */
static void test_loiter_passing_through(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, no_approach);
    struct bf_track t;
    fx_track_init(&t, 14, T0, -150, 0, 0, 0);
    for (int k = 1; k <= 22; k++) {   /* 5 .. 110 s: -143.5 .. -7 m */
        trk_at(&t, T0 + S(5 * k), -150 + 1.3 * 5 * k);
        CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    }
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_LOITER, BF_ALERT_NEW), 0);
    /* the same walker, but it stops 60 m short of the line: after 90 s there, LOITER */
    struct bf_track u;
    fx_track_init(&u, 15, T0, -150, 0, 0, 0);
    int k = 1;
    for (; k <= 14; k++) {   /* 91 m in 70 s */
        trk_at(&u, T0 + S(5 * k), -150 + 1.3 * 5 * k);
        step(a, &u, 0);
    }
    int first = -1;
    for (; k <= 60 && first < 0; k++) {
        trk_at(&u, T0 + S(5 * k), -59);
        step(a, &u, 0);
        if (fx_count(&s, BF_ALERT_LOITER, BF_ALERT_NEW) > 0)
            first = 5 * k;
    }
    /* the first window with less than 60 m of progress: 90 s after -119 m (t = 25 s) */
    printf("\n  LOITER for the walker who stopped at t = %d s\n", first);
    CU_ASSERT_TRUE(first >= 115 && first <= 140);
    bf_alerter_destroy(a);
}

/* On our side LOITER is high; a crossing ends it and the INCURSION takes over. */
static void test_loiter_side_and_crossing(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, no_approach);
    struct bf_track t;
    fx_track_init(&t, 12, T0, 40, 500, 0, 0);   /* our side, never on theirs */
    for (int k = 0; k <= 18; k++) {
        if (k)
            trk_at(&t, T0 + S(5 * k), 40);
        step(a, &t, 0);
    }
    int i = find(&s, 0, BF_ALERT_LOITER, BF_ALERT_NEW);
    CU_ASSERT_EQUAL_FATAL(i, 0);
    CU_ASSERT_EQUAL(s.r[i].a.severity, BF_SEV_HIGH);
    CU_ASSERT_TRUE(strstr(s.r[i].json, "on our side for 90 s") != NULL);

    /* a loiterer on their side who then crosses */
    struct bf_track u;
    fx_track_init(&u, 13, T0, -50, -500, 0, 0);
    for (int k = 0; k <= 18; k++) {
        if (k)
            trk_at(&u, T0 + S(5 * k), -50);
        step(a, &u, 0);
    }
    int lo = find(&s, 0, BF_ALERT_LOITER, BF_ALERT_NEW);
    while (lo >= 0 && s.r[lo].a.track_id != 13)
        lo = find(&s, lo + 1, BF_ALERT_LOITER, BF_ALERT_NEW);
    CU_ASSERT_TRUE_FATAL(lo >= 0);
    int n0 = s.n;
    trk_at(&u, T0 + S(95), 10);
    CU_ASSERT_EQUAL(step(a, &u, +1), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, n0 + 2);
    CU_ASSERT_EQUAL(s.r[n0].a.type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(s.r[n0].a.state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(s.r[n0 + 1].a.type, BF_ALERT_LOITER);
    CU_ASSERT_EQUAL(s.r[n0 + 1].a.state, BF_ALERT_RESOLVED);
    /* one episode: the INCURSION joins the LOITER's */
    CU_ASSERT_STRING_EQUAL(s.r[n0].a.episode, s.r[lo].a.id);
    /* 100 s more on our side by the line: the live INCURSION, no new LOITER */
    for (int k = 1; k <= 20; k++) {
        trk_at(&u, T0 + S(95 + 5 * k), 10);
        step(a, &u, 0);
    }
    int loiters = 0;
    for (int k = 0; k < s.n; k++)
        loiters += s.r[k].a.type == BF_ALERT_LOITER && s.r[k].a.state == BF_ALERT_NEW &&
                   s.r[k].a.track_id == 13;
    CU_ASSERT_EQUAL(loiters, 1);
    bf_alerter_destroy(a);
}

/* APPROACH -> INCURSION -> ZONE_ENTRY of one walker: one episode; a new track: another. */
static void test_episode(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 21, T0, -250, 0, 2, 0);
    step(a, &t, 0);                       /* APPROACH */
    trk_at(&t, T0 + S(130), 10);
    step(a, &t, +1);                      /* INCURSION, APPROACH resolved */
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_EQUAL(s.r[1].a.type, BF_ALERT_INCURSION);
    for (int i = 0; i < s.n; i++)
        CU_ASSERT_STRING_EQUAL(s.r[i].a.episode, s.r[0].a.id);
    struct bf_track o;
    fx_track_init(&o, 22, T0 + S(130), -250, 100, 2, 0);
    step(a, &o, 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_STRING_EQUAL(s.r[3].a.episode, s.r[3].a.id);
    CU_ASSERT_STRING_NOT_EQUAL(s.r[3].a.episode, s.r[0].a.id);
    /* non-LOITER alerts carry "dwell_s": null */
    cJSON *j = parse(s.r[1].json);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "dwell_s")));
    CU_ASSERT_STRING_EQUAL(jstr(j, "episode"), s.r[0].a.id);
    cJSON_Delete(j);
    bf_alerter_destroy(a);
}

/* The record (and so the episode) outlives the track's alerts, not a long silence. */
static void test_episode_records_forgotten(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 23, T0, -250, 0, 0.5, 0);
    step(a, &t, 0);                                  /* APPROACH by distance (closing) */
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(120)), 0);   /* idle: resolved */
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    trk_at(&t, T0 + S(200), -250);
    step(a, &t, 0);                                  /* a new APPROACH, the same episode */
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_STRING_NOT_EQUAL(s.r[2].a.id, s.r[0].a.id);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.episode, s.r[0].a.id);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(320)), 0);   /* resolved again */
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(450)), 0);   /* 250 s unseen > 2 x 120: forgotten */
    trk_at(&t, T0 + S(460), -250);
    step(a, &t, 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    CU_ASSERT_STRING_EQUAL(s.r[4].a.episode, s.r[4].a.id);
    bf_alerter_destroy(a);
}

/* ---- suppression by class -------------------------------------------------------------- */

static void no_class_suppression(struct bf_alert_params *p) { p->suppress_classes = 0; }

static void test_class_suppression(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 31, T0, 5, 0, 10, 0);   /* came from e = -5 */
    t.class_p[BF_CLASS_PERSON] = 0.2f;
    t.class_p[BF_CLASS_ANIMAL] = 0.8f;
    CU_ASSERT_EQUAL(step(a, &t, +1), 0);   /* the crossing */
    trk_at(&t, T0 + S(1), 6);              /* late confirmation would fire too */
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(s.n, 0);
    /* once per trigger that would have raised: the crossing and the late-confirmation
     * rule in the first step, the late-confirmation rule in the second */
    CU_ASSERT_EQUAL(st.suppressed_class, 3);
    CU_ASSERT_EQUAL(st.suppressed_confidence + st.suppressed_no_alert + st.suppressed_test, 0);
    bf_alerter_destroy(a);

    /* the same rabbit with an empty suppress_classes raises (the test can fail) */
    a = mk(&s, no_class_suppression);
    fx_track_init(&t, 31, T0, 5, 0, 1, 0);
    t.class_p[BF_CLASS_PERSON] = 0.2f;
    t.class_p[BF_CLASS_ANIMAL] = 0.8f;
    step(a, &t, +1);
    CU_ASSERT_EQUAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.cls, BF_CLASS_ANIMAL);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.suppressed_class, 0);
    bf_alerter_destroy(a);
}

/* ---- severity table ---------------------------------------------------------------------- */

static void test_severity_table(void)
{
    static const struct {
        struct bf_sev_in in;
        enum bf_severity want;
    } rows[] = {
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_PERSON, 0.80, 0.9, false}, BF_SEV_HIGH},
        {{BF_ALERT_INCURSION, 4, 0, 0, BF_CLASS_PERSON, 0.80, 0.9, false}, BF_SEV_CRITICAL},
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_VEHICLE, 0.80, 0.9, false}, BF_SEV_CRITICAL},
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_VEHICLE, 0.80, 0.7, false}, BF_SEV_HIGH},   /* unsure */
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_PERSON, 0.60, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_VEHICLE, 0.60, 0.9, false}, BF_SEV_HIGH},
        {{BF_ALERT_INCURSION, 4, 0, 0, BF_CLASS_VEHICLE, 0.90, 0.9, false}, BF_SEV_CRITICAL},   /* clamped */
        {{BF_ALERT_APPROACH, 3, 0, 0, BF_CLASS_PERSON, 0.70, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_APPROACH, 3, 0, 0, BF_CLASS_VEHICLE, 0.70, 0.9, false}, BF_SEV_HIGH},
        {{BF_ALERT_APPROACH, 3, 0, 0, BF_CLASS_VEHICLE, 0.70, 0.9, true}, BF_SEV_MEDIUM}, /* along */
        {{BF_ALERT_APPROACH, 3, 0, 0, BF_CLASS_PERSON, 0.50, 0.9, false}, BF_SEV_LOW},
        {{BF_ALERT_LOITER, 3, -1, 0, BF_CLASS_PERSON, 0.70, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_LOITER, 3, +1, 0, BF_CLASS_PERSON, 0.70, 0.9, false}, BF_SEV_HIGH},
        {{BF_ALERT_LOITER, 3, +1, 0, BF_CLASS_VEHICLE, 0.70, 0.9, false}, BF_SEV_CRITICAL},
        {{BF_ALERT_ZONE_ENTRY, 4, 0, 0, BF_CLASS_VEHICLE, 0.70, 0.9, false}, BF_SEV_CRITICAL},  /* no +1 */
        {{BF_ALERT_ZONE_ENTRY, 2, 0, 0, BF_CLASS_PERSON, 0.70, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_ZONE_ENTRY, 1, 0, 0, BF_CLASS_PERSON, 0.40, 0.9, false}, BF_SEV_LOW},        /* clamped */
        {{BF_ALERT_ZONE_ENTRY, 0, 0, 0, BF_CLASS_PERSON, 0.70, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_UGS_TRIGGER, 0, 0, 1, BF_CLASS_PERSON, 0.10, 0.9, false}, BF_SEV_LOW},
        {{BF_ALERT_UGS_TRIGGER, 0, 0, 2, BF_CLASS_VEHICLE, 0.10, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_SENSOR_FAULT, 0, 0, 0, BF_CLASS_VEHICLE, 0.10, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_PERSON, NAN, 0.9, false}, BF_SEV_MEDIUM},
        {{BF_ALERT_INCURSION, 3, 0, 0, BF_CLASS_PERSON, BF_SEV_LOW_CONFIDENCE, 0.9, false}, BF_SEV_HIGH},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum bf_severity got = bf_alert_severity(&rows[i].in);
        if (got != rows[i].want)
            fprintf(stderr, "row %zu: got %s want %s\n", i, bf_severity_name(got),
                    bf_severity_name(rows[i].want));
        CU_ASSERT_EQUAL(got, rows[i].want);
    }
}

/* A fresh single-radar incursion (confidence 0.64) is medium; it rises, never falls. */
static void test_severity_follows_confidence(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_track t;
    fx_track_init(&t, 41, T0, 5, 0, 1, 0);
    t.n_hits = 5;
    t.hit_bits = 0x1f;
    struct bf_alert_conf cf;
    bf_alert_confidence(&t, &cf);
    CU_ASSERT_TRUE(cf.confidence < BF_SEV_LOW_CONFIDENCE && cf.confidence > 0.5);
    step(a, &t, +1);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_MEDIUM);
    trk_at(&t, T0 + S(1), 6);   /* 6 hits: 0.66 -> high, published at once */
    t.hit_bits = 0x3f;
    step(a, &t, 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.severity, BF_SEV_HIGH);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_UPDATED);
    /* a gap in its hits drops the confidence below 0.65: the severity stays */
    trk_at(&t, T0 + S(7), 7);
    t.hit_bits = 0x41;
    bf_alert_confidence(&t, &cf);
    CU_ASSERT_TRUE(cf.confidence < BF_SEV_LOW_CONFIDENCE);
    step(a, &t, 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[2].a.severity, BF_SEV_HIGH);
    bf_alerter_destroy(a);
}

/* ---- support by sensor kind ----------------------------------------------------------------- */

static void test_support_kinds(void)
{
    struct bf_track t;
    fx_track_init(&t, 1, T0, 0, 0, 0, 0);
    uint8_t kinds[64];
    for (int i = 0; i < 64; i++)
        kinds[i] = (uint8_t)i;
    kinds[1] = 0;   /* sensors 0 and 1: one kind (two radars); 2: another (ugs) */
    struct bf_alert_conf two_radars, radar_ugs, one, three;
    t.sensors = 0x3;
    bf_alert_confidence_kinds(&t, kinds, &two_radars);
    t.sensors = 0x5;
    bf_alert_confidence_kinds(&t, kinds, &radar_ugs);
    t.sensors = 0x1;
    bf_alert_confidence_kinds(&t, kinds, &one);
    t.sensors = 0x7;
    bf_alert_confidence_kinds(&t, kinds, &three);
    BF_ASSERT_NEAR(one.support, 0.5, 1e-12);
    BF_ASSERT_NEAR(two_radars.support, 1 - pow(0.5, 1.5), 1e-12);   /* 0.646 */
    BF_ASSERT_NEAR(radar_ugs.support, 0.75, 1e-12);
    BF_ASSERT_NEAR(three.support, 1 - pow(0.5, 2.5), 1e-12);       /* 0.823 */
    CU_ASSERT_TRUE(radar_ugs.confidence > two_radars.confidence);
    CU_ASSERT_TRUE(two_radars.confidence > one.confidence);
    /* without kinds every sensor is its own kind (the first confidence formula) */
    struct bf_alert_conf plain;
    t.sensors = 0x3;
    bf_alert_confidence_kinds(&t, NULL, &plain);
    BF_ASSERT_NEAR(plain.support, 0.75, 1e-12);

    /* the alerter groups by the configured type */
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    const char *types[N_SENSORS] = {"asterix", "asterix", "ugs", "ugs"};
    CU_ASSERT_EQUAL(bf_alerter_set_sensor_kinds(a, types, N_SENSORS), 0);
    fx_track_init(&t, 51, T0, 5, 0, 1, 0);
    t.sensors = 0x3;
    step(a, &t, +1);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    t.sensors = 0x3;
    bf_alert_confidence_kinds(&t, kinds, &two_radars);
    BF_ASSERT_NEAR(s.r[0].a.confidence, two_radars.confidence, 1e-9);
    bf_alerter_destroy(a);
}

/* ---- UGS_TRIGGER ------------------------------------------------------------------------------ */

/* A seismic (radius 30) or PIR (radius 15) trip of sensor si at (e, n), confidence 0.8. */
static struct bf_detection ugs_trip(uint32_t si, bf_time_us t, double e, double n, double radius,
                                    bool animal)
{
    static const float seismic[BF_CLASS_COUNT] = {1, 1, 0.7f, 0.1f, 0.1f, 0.5f};
    static const float deer[BF_CLASS_COUNT] = {0.2f, 0.1f, 1, 0.1f, 0.1f, 0.5f};
    float lik[BF_CLASS_COUNT];
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        lik[k] = 1.0f - 0.8f * (1.0f - (animal ? deer[k] : seismic[k]));
    return fx_ugs_trip(si, t, e, n, radius, lik);
}

static void test_ugs_trigger(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_alerter_stats st;
    const double ue = -500, un = 0;
    struct bf_detection d = ugs_trip(UGS1, T0, ue, un, 30, false);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), 0);
    CU_ASSERT_EQUAL(s.n, 0);   /* one trip is weak evidence */
    d = ugs_trip(UGS1, T0 + S(20), ue, un, 30, false);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    const struct bf_alert *al = &s.r[0].a;
    CU_ASSERT_EQUAL(al->type, BF_ALERT_UGS_TRIGGER);
    CU_ASSERT_EQUAL(al->state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(al->severity, BF_SEV_LOW);
    CU_ASSERT_EQUAL(al->sensor_idx, UGS1);
    CU_ASSERT_EQUAL(al->n_hits, 2);
    BF_ASSERT_NEAR(al->confidence, 0.75, 1e-12);
    CU_ASSERT_STRING_EQUAL(al->episode, al->id);
    CU_ASSERT_EQUAL(al->first_us, T0 + S(20));
    cJSON *j = parse(s.r[0].json);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "track_id")));
    CU_ASSERT_STRING_EQUAL(jstr(j, "sensor"), "ugs-1");
    CU_ASSERT_STRING_EQUAL(jstr(j, "type"), "UGS_TRIGGER");
    CU_ASSERT_STRING_EQUAL(jstr(cJSON_GetObjectItem(j, "zone"), "id"), "border");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "distance_to_line_m")->valuedouble, 500, 0.5);
    CU_ASSERT_STRING_EQUAL(jstr(j, "class"), "person");
    CU_ASSERT_STRING_EQUAL(jstr(j, "explanation"),
                           "Ground sensor ugs-1 tripped 2 times since 01:53:40Z with no track "
                           "covering it, 500 m from State border; class hint person (26%); "
                           "confidence 75%.");
    cJSON_Delete(j);

    /* a PIR trip: a second channel agrees -> medium, published at once */
    d = ugs_trip(UGS1, T0 + S(22), ue, un, 15, false);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_UPDATED);
    CU_ASSERT_EQUAL(s.r[1].a.severity, BF_SEV_MEDIUM);
    CU_ASSERT_EQUAL(s.r[1].a.n_hits, 3);

    /* a tentative track there covers nothing */
    struct bf_track t;
    fx_track_init(&t, 61, T0 + S(24), -470, 10, 5, 0);
    t.status = BF_TRACK_TENTATIVE;
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    /* confirmed, 31 m from the sensor (< 30 + 50): resolved "covered by track 61"; the
     * track's APPROACH of the same step joins the trigger's episode */
    t.status = BF_TRACK_CONFIRMED;
    trk_at(&t, T0 + S(25), -470);
    CU_ASSERT_EQUAL(step(a, &t, 0), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_EQUAL(s.r[2].a.type, BF_ALERT_UGS_TRIGGER);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.reason, "covered by track 61");
    CU_ASSERT_TRUE(strstr(s.r[2].json, "Resolved at 01:53:45Z: covered by track 61.") != NULL);
    CU_ASSERT_EQUAL(s.r[3].a.type, BF_ALERT_APPROACH);
    CU_ASSERT_STRING_EQUAL(s.r[3].a.episode, s.r[0].a.id);
    /* more trips with that track covering: nothing, counted */
    const struct bf_track *tracks[1] = {&t};
    for (int k = 0; k < 3; k++) {
        d = ugs_trip(UGS1, T0 + S(26 + k), ue, un, 30, false);
        CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, tracks, 1), 0);
    }
    CU_ASSERT_EQUAL(s.n, 4);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.ugs_trips, 6);
    CU_ASSERT_EQUAL(st.ugs_covered, 3);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

static void test_ugs_window_and_suppression(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk(&s, NULL);
    struct bf_alerter_stats st;
    /* two trips 61 s apart: not within ugs_window_s (60) */
    struct bf_detection d = ugs_trip(UGS2, T0, -300, -800, 30, false);
    bf_alerter_on_ugs(a, &d, 30, NULL, 0);
    d = ugs_trip(UGS2, T0 + S(61), -300, -800, 30, false);
    bf_alerter_on_ugs(a, &d, 30, NULL, 0);
    CU_ASSERT_EQUAL(s.n, 0);
    /* a confirmed track covering the sensor from the first trip: never raised */
    struct bf_track t;
    fx_track_init(&t, 71, T0 + S(70), -320, -790, 0, 0);
    const struct bf_track *tr[1] = {&t};
    for (int k = 0; k < 4; k++) {
        d = ugs_trip(UGS2, T0 + S(70 + k), -300, -800, 30, false);
        bf_alerter_on_ugs(a, &d, 30, tr, 1);
    }
    CU_ASSERT_EQUAL(s.n, 0);
    /* the same trips with the track far away: raised (the covering test can fail) */
    t.x[0] = -1500;
    for (int k = 0; k < 2; k++) {
        d = ugs_trip(UGS2, T0 + S(80 + k), -300, -800, 30, false);
        bf_alerter_on_ugs(a, &d, 30, tr, 1);
    }
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_UGS_TRIGGER);
    /* idle for resolve_after_s: resolved by the tick */
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(81 + 119)), 0);
    CU_ASSERT_EQUAL(s.n, 1);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(81 + 120)), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_RESOLVED);

    /* an animal hint: suppressed, counted */
    bf_alerter_get_stats(a, &st);
    uint64_t cls0 = st.suppressed_class, na0 = st.suppressed_no_alert;
    for (int k = 0; k < 3; k++) {
        d = ugs_trip(UGS1, T0 + S(300 + k), -2000, 0, 30, true);
        bf_alerter_on_ugs(a, &d, 30, NULL, 0);
    }
    /* inside the no_alert farm (8.1875 E, 46.8125 N) */
    double fe, fn;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_local(fx_frame, 46.8125, 8.1875, &fe, &fn), 0);
    for (int k = 0; k < 3; k++) {
        d = ugs_trip(UGS1, T0 + S(400 + k), fe, fn, 30, false);
        bf_alerter_on_ugs(a, &d, 30, NULL, 0);
    }
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(st.suppressed_class - cls0, 3);
    CU_ASSERT_EQUAL(st.suppressed_no_alert - na0, 3);
    /* bad input is refused, not a crash */
    d = ugs_trip(UGS1, T0 + S(500), NAN, 0, 30, false);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), BF_EINVAL);
    d = ugs_trip(9, T0 + S(500), 0, 0, 30, false);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), BF_EINVAL);
    d = ugs_trip(UGS1, T0 + S(500), 0, 0, 0, false);
    CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, NULL, 0), BF_EINVAL);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
}

/* ---- the real tracker: radar + ground sensor vs radar alone ---------------------------------- */

#define RADAR 0
#define UGS 2   /* "ugs-1" */

struct run {
    double conf_new;        /* confidence of the INCURSION when raised */
    double conf_last;       /* ... in its last message */
    double support;         /* support term of the track at the crossing */
    uint64_t sensors;       /* of the INCURSION */
    int incursions, ugs_alerts;
    uint64_t ugs_covered;
};

/*
 * A walker from e = -300 to +60 along n = 0 at 1.5 m/s, a radar fix every
 * second (POSITION, sigma 5 m, hints person); with_ugs: a seismic sensor at
 * (-20, 0), radius 30, trips every 2 s while the walker is within 30 m.
 */
static void walk(bool with_ugs, struct run *out)
{
    memset(out, 0, sizeof *out);
    struct bf_tracker_params tp;
    bf_tracker_params_default(&tp);
    struct bf_tracker_sensor sens[N_SENSORS] = {
        {.e_m = -1000, .n_m = -1000, .range_m = 0},
        {.e_m = 5000, .n_m = 5000, .range_m = 1},
        {.e_m = -20, .n_m = 0, .range_m = 30},
        {.e_m = 9000, .n_m = 9000, .range_m = 1},
    };
    struct bf_tracker *trk = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_create(&tp, sens, N_SENSORS, &trk), 0);
    struct fx_sink *s = calloc(1, sizeof *s);
    struct bf_alerter *a = mk(s, NULL);
    const char *types[N_SENSORS] = {"asterix", "asterix", "ugs", "ugs"};
    bf_alerter_set_sensor_kinds(a, types, N_SENSORS);
    struct bf_geo_track_state geo[64];
    memset(geo, 0, sizeof geo);
    const struct bf_track *live[64];
    bool checked_support = false;

    for (int k = 0; k <= 480; k++) {   /* half-second ticks */
        double ts = 0.5 * k, e = -300 + 1.5 * ts;
        bf_time_us t = T0 + S(ts);
        struct bf_detection d;
        memset(&d, 0, sizeof d);
        uint32_t si;
        if (k % 2 == 0) {
            si = RADAR;
            d.kind = BF_MEAS_POSITION;
            d.z[0] = e;
            d.z[1] = 0;
            d.R[0][0] = d.R[1][1] = 25;
            d.sensor_e_m = -1000;
            d.sensor_n_m = -1000;
            d.flags = BF_DET_F_CLASS;
            static const float hint[BF_CLASS_COUNT] = {0.8f, 0.5f, 0.5f, 0.2f, 0.2f, 0.5f};
            memcpy(d.class_lik, hint, sizeof hint);
        } else if (with_ugs && k % 4 == 1 && fabs(e - -20) <= 30) {
            si = UGS;
            d = ugs_trip(UGS, t, -20, 0, 30, false);
        } else {
            continue;
        }
        d.t_us = t;
        d.sensor_idx = si;
        CU_ASSERT_EQUAL_FATAL(bf_tracker_scan(trk, si, t, &d, 1), 0);
        const struct bf_track_change *ch;
        size_t nch = bf_tracker_changes(trk, &ch);
        for (size_t i = 0; i < nch; i++) {
            const struct bf_track *tr = ch[i].track;
            CU_ASSERT_FATAL(tr->slot < 64);
            struct bf_geo_track_state *gs = &geo[tr->slot];
            if (ch[i].what & BF_CHANGE_NEW)
                memset(gs, 0, sizeof *gs);
            if (ch[i].what & BF_CHANGE_DELETED) {
                bf_alerter_on_track(a, tr, ch[i].what, NULL);
                continue;
            }
            if (!(ch[i].what & (BF_CHANGE_UPDATED | BF_CHANGE_NEW | BF_CHANGE_CONFIRMED)))
                continue;
            struct bf_geo_step gstep;
            CU_ASSERT_EQUAL_FATAL(bf_geo_track_step(fx_zones, gs, tr->x[0], tr->x[1], tr->x[2],
                                                    tr->x[3], &gstep), 0);
            CU_ASSERT_EQUAL(bf_alerter_on_track(a, tr, ch[i].what, &gstep), 0);
            if (!checked_support && gstep.n_crossings > 0) {
                struct bf_alert_conf cf;
                uint8_t kinds[64];
                for (int q = 0; q < 64; q++)
                    kinds[q] = (uint8_t)q;
                kinds[UGS2] = UGS;
                kinds[1] = RADAR;
                bf_alert_confidence_kinds(tr, kinds, &cf);
                out->support = cf.support;
                checked_support = true;
            }
        }
        if (si == UGS) {
            size_t nt = bf_tracker_tracks(trk, live, 64);
            CU_ASSERT_EQUAL(bf_alerter_on_ugs(a, &d, 30, live, nt), 0);
        }
        bf_alerter_tick(a, t);
    }
    for (int i = 0; i < s->n; i++) {
        const struct bf_alert *al = &s->r[i].a;
        if (al->type == BF_ALERT_UGS_TRIGGER)
            out->ugs_alerts++;
        if (al->type != BF_ALERT_INCURSION)
            continue;
        if (al->state == BF_ALERT_NEW) {
            out->incursions++;
            out->conf_new = al->confidence;
        }
        out->conf_last = al->confidence;
        out->sensors = al->sensors;
    }
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    out->ugs_covered = st.ugs_covered;
    CU_ASSERT_TRUE(bf_alerter_check(a));
    bf_alerter_destroy(a);
    bf_tracker_destroy(trk);
    free(s);
}

static void test_radar_ugs_beats_radar_alone(void)
{
    struct run r, ru;
    walk(false, &r);
    walk(true, &ru);
    printf("\n    radar alone: INCURSION confidence %.3f (last %.3f), support %.3f\n"
           "    radar + UGS: INCURSION confidence %.3f (last %.3f), support %.3f, trips covered %llu\n",
           r.conf_new, r.conf_last, r.support, ru.conf_new, ru.conf_last, ru.support,
           (unsigned long long)ru.ugs_covered);
    CU_ASSERT_EQUAL(r.incursions, 1);
    CU_ASSERT_EQUAL(ru.incursions, 1);
    /* the ground sensor's presence updated the track and set its bit */
    CU_ASSERT_EQUAL(r.sensors, UINT64_C(1) << RADAR);
    CU_ASSERT_EQUAL(ru.sensors, (UINT64_C(1) << RADAR) | (UINT64_C(1) << UGS));
    BF_ASSERT_NEAR(r.support, 0.5, 1e-12);
    BF_ASSERT_NEAR(ru.support, 0.75, 1e-12);
    CU_ASSERT_TRUE(ru.conf_new > r.conf_new + 0.05);
    CU_ASSERT_TRUE(ru.conf_last > r.conf_last + 0.05);
    /* the trips were all covered by the confirmed track: no UGS_TRIGGER */
    CU_ASSERT_TRUE(ru.ugs_covered > 0);
    CU_ASSERT_EQUAL(ru.ugs_alerts, 0);
}

/* ---- parameters -------------------------------------------------------------------------------- */

static void test_params_checked(void)
{
    struct bf_alert_params p;
    struct bf_alerter *a = NULL;
    bf_alert_params_default(&p);
    BF_ASSERT_NEAR(p.loiter_distance_m, 150, 0);
    BF_ASSERT_NEAR(p.loiter_time_s, 90, 0);
    BF_ASSERT_NEAR(p.ugs_cover_m, 50, 0);
    CU_ASSERT_EQUAL(p.ugs_min_events, 2);
    BF_ASSERT_NEAR(p.ugs_window_s, 60, 0);
    CU_ASSERT_EQUAL(p.suppress_classes, 1u << BF_CLASS_ANIMAL);
    p.ugs_min_events = BF_UGS_EVENTS_MAX + 1;
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "demo", fx_zones, fx_frame, fx_sensor_ids, N_SENSORS, NULL,
                                      &a),
                    BF_EINVAL);
    bf_alert_params_default(&p);
    p.ugs_window_s = 0;
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "demo", fx_zones, fx_frame, fx_sensor_ids, N_SENSORS, NULL,
                                      &a),
                    BF_EINVAL);
    bf_alert_params_default(&p);
    p.loiter_time_s = NAN;
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "demo", fx_zones, fx_frame, fx_sensor_ids, N_SENSORS, NULL,
                                      &a),
                    BF_EINVAL);
    CU_ASSERT_PTR_NULL(a);
}

/* ---- the "alerts" keys of the configuration ------------------------------------------------ */

struct msgs {
    int n;
    char text[8][1024];
};

static void msgs_report(void *ctx, const char *file, int line, int col, const char *path,
                        const char *msg)
{
    struct msgs *m = ctx;
    (void)file;
    if (m->n < 8)
        snprintf(m->text[m->n], sizeof m->text[0], "%d:%d: %s: %s", line, col, path ? path : "",
                 msg);
    m->n++;
}

static struct bf_config *load_cfg(const char *alerts, struct msgs *m)
{
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s", bf_test_tmpdir());
    snprintf(path, sizeof path, "%s/zones6.geojson", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\"type\": \"FeatureCollection\", \"features\": []}\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/rules_dwell_ugs.json", dir);
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "{\"site\": \"s\", \"origin\": {\"lat\": 0, \"lon\": 0}, \"zones\": "
               "\"zones6.geojson\",\n \"sensors\": [{\"id\": \"a\", \"type\": \"json\", "
               "\"lat\": 0, \"lon\": 0}],\n \"alerts\": %s}\n", alerts);
    fclose(f);
    memset(m, 0, sizeof *m);
    struct bf_diag diag = {.report = msgs_report, .ctx = m, .n_errors = 0};
    struct bf_config *c = NULL;
    bf_config_load(path, &c, &diag);
    return c;
}

static void test_config_keys(void)
{
    struct msgs m;
    struct bf_config *c = load_cfg("{\"loiter_distance_m\": 200, \"loiter_time_s\": 60, "
                                   "\"ugs_cover_m\": 25, \"ugs_min_events\": 3, "
                                   "\"ugs_window_s\": 30, \"suppress_classes\": [\"animal\", "
                                   "\"unknown\"]}", &m);
    CU_ASSERT_EQUAL(m.n, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    BF_ASSERT_NEAR(c->alerts.loiter_distance_m, 200, 0);
    BF_ASSERT_NEAR(c->alerts.loiter_time_s, 60, 0);
    BF_ASSERT_NEAR(c->alerts.ugs_cover_m, 25, 0);
    CU_ASSERT_EQUAL(c->alerts.ugs_min_events, 3);
    BF_ASSERT_NEAR(c->alerts.ugs_window_s, 30, 0);
    CU_ASSERT_EQUAL(c->alerts.suppress_classes, (1u << BF_CLASS_ANIMAL) | (1u << BF_CLASS_UNKNOWN));
    bf_config_destroy(c);

    c = load_cfg("{\"suppress_classes\": []}", &m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->alerts.suppress_classes, 0);
    bf_config_destroy(c);
    c = load_cfg("{}", &m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->alerts.suppress_classes, 1u << BF_CLASS_ANIMAL);
    CU_ASSERT_EQUAL(c->alerts.ugs_min_events, 2);
    bf_config_destroy(c);

    c = load_cfg("{\"ugs_min_events\": 9, \"suppress_classes\": [\"rabbit\"]}", &m);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL_FATAL(m.n, 2);
    CU_ASSERT_STRING_EQUAL(m.text[0], "3:31: alerts.ugs_min_events: expected an integer between 1 "
                                      "and 8 (uncovered ground-sensor trips before UGS_TRIGGER), "
                                      "got 9");
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text[1], "alerts.suppress_classes[0]: expected a class name"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text[1], "got a string \"rabbit\""));
    if (m.n >= 2)
        printf("\n    %s\n    %s\n", m.text[0], m.text[1]);
}

/* The keys of APPROACH's hysteresis, class persistence, LOST, joined history, crossing points. */
static void test_config_field_keys(void)
{
    struct msgs m;
    struct bf_config *c = load_cfg("{}", &m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    BF_ASSERT_NEAR(c->alerts.approach_min_closing_mps, 0.3, 0);
    BF_ASSERT_NEAR(c->alerts.approach_clear_factor, 1.5, 0);
    BF_ASSERT_NEAR(c->alerts.class_hold_s, 15, 0);
    CU_ASSERT_EQUAL(c->alerts.class_hold_updates, 5);
    CU_ASSERT_FALSE(c->alerts.crossing_point_events);
    bf_config_destroy(c);
    c = load_cfg("{\"approach_min_closing_mps\": 0.5, \"approach_clear_factor\": 2, "
                 "\"approach_min_dwell_s\": 20, \"class_hold_s\": 30, \"class_hold_updates\": 8, "
                 "\"lost_radius_m\": 80, \"ugs_join_s\": 60, \"ugs_line_m\": 40, "
                 "\"crossing_point_window_s\": 600, \"crossing_point_events\": true}", &m);
    CU_ASSERT_EQUAL(m.n, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    BF_ASSERT_NEAR(c->alerts.approach_min_closing_mps, 0.5, 0);
    BF_ASSERT_NEAR(c->alerts.approach_clear_factor, 2, 0);
    BF_ASSERT_NEAR(c->alerts.approach_min_dwell_s, 20, 0);
    BF_ASSERT_NEAR(c->alerts.class_hold_s, 30, 0);
    CU_ASSERT_EQUAL(c->alerts.class_hold_updates, 8);
    BF_ASSERT_NEAR(c->alerts.lost_radius_m, 80, 0);
    BF_ASSERT_NEAR(c->alerts.ugs_join_s, 60, 0);
    BF_ASSERT_NEAR(c->alerts.ugs_line_m, 40, 0);
    BF_ASSERT_NEAR(c->alerts.crossing_point_window_s, 600, 0);
    CU_ASSERT_TRUE(c->alerts.crossing_point_events);
    bf_config_destroy(c);
    c = load_cfg("{\"approach_clear_factor\": 0.5}", &m);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL_FATAL(m.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.text[0], "alerts.approach_clear_factor: expected a number between 1 "
                                             "and 10"));
}

/* ---- the engine: sensor kinds from the configuration, ground sensors fed ------------------- */

/*
 * The engine with a json radar and a ugs sensor (no broker, no plugins):
 * walk (the walker of walk() above, UGS at the crossing when with_ugs), or
 * lone ground-sensor trips (no track anywhere).  Returns the INCURSION's
 * confidence when raised (NAN if none); *n_ugs the UGS_TRIGGER messages.
 */
static double engine_run(bool radar, bool with_ugs, struct fx_sink *s, int *n_ugs)
{
    char zpath[2048], cpath[1100], rel[1024], cwd[512] = "";
    snprintf(rel, sizeof rel, "%s", bf_test_src("tests/alerts/zones.geojson"));
    if (rel[0] != '/')   /* the config resolves relative paths from its own folder */
        CU_ASSERT_FATAL(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(zpath, sizeof zpath, "%s%s%s", cwd, cwd[0] ? "/" : "", rel);
    snprintf(cpath, sizeof cpath, "%s/engine6.json", bf_test_tmpdir());
    FILE *f = fopen(cpath, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "{\"site\": \"t6\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20}, \"zones\": \"%s\",\n"
               " \"log_level\": \"warn\",\n"
               " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.79, "
               "\"lon\": 8.19, \"range_m\": 9000, \"sigma_m\": 5},\n"
               "  {\"id\": \"ugs-1\", \"type\": \"ugs\", \"lat\": 46.80, \"lon\": 8.19974, "
               "\"range_m\": 30}],\n"
               " \"alerts\": {\"journal_fsync\": \"never\"}}\n", zpath);
    fclose(f);
    struct msgs m = {0};
    struct bf_diag diag = {.report = msgs_report, .ctx = &m};
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_config_load(cpath, &cfg, &diag), 0);
    double ue, un;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_local(fx_frame, 46.80, 8.19974, &ue, &un), 0);
    memset(s, 0, sizeof *s);
    struct bf_alert_sink tap = {.publish = fx_sink_publish, .ctx = s};
    struct bf_engine_options opt = {.no_mqtt = true, .no_journal = true, .alert_tap = &tap};
    struct bf_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_engine_create(cfg, &opt, &e), 0);
    uint32_t seq[2] = {0, 0};
    for (int k = 0; k <= 480; k++) {
        double ts = 0.5 * k, we = -300 + 1.5 * ts;
        struct bf_detection d;
        if (radar && k % 2 == 0) {
            memset(&d, 0, sizeof d);
            d.sensor_idx = 0;
            d.kind = BF_MEAS_POSITION;
            d.z[0] = we;
            d.R[0][0] = d.R[1][1] = 25;
            d.flags = BF_DET_F_CLASS;
            static const float hint[BF_CLASS_COUNT] = {0.8f, 0.5f, 0.5f, 0.2f, 0.2f, 0.5f};
            memcpy(d.class_lik, hint, sizeof hint);
        } else if (k % 4 == 1 && ((!radar && k < 60) || (with_ugs && fabs(we - ue) <= 30))) {
            d = ugs_trip(1, 0, ue, un, 30, false);
        } else {
            continue;
        }
        d.t_us = T0 + S(ts);
        d.seq = seq[d.sensor_idx]++;
        CU_ASSERT_EQUAL(bf_engine_feed(e, &d), 0);
        if (k % 32 == 31)
            bf_engine_step(e, 0, false);
    }
    while (bf_engine_step(e, 0, false) > 0)
        ;
    bf_engine_step(e, 0, true);
    bf_engine_destroy(e);
    bf_config_destroy(cfg);
    double conf = NAN;
    *n_ugs = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->r[i].a.type == BF_ALERT_INCURSION && s->r[i].a.state == BF_ALERT_NEW)
            conf = s->r[i].a.confidence;
        *n_ugs += s->r[i].a.type == BF_ALERT_UGS_TRIGGER;
    }
    return conf;
}

static void test_engine_ground_sensors(void)
{
    struct fx_sink *s = calloc(1, sizeof *s);
    int n_ugs;
    /* lone trips every 2 s for 30 s, no track: one UGS_TRIGGER from the 2nd trip */
    engine_run(false, false, s, &n_ugs);
    CU_ASSERT_TRUE_FATAL(n_ugs >= 1);
    CU_ASSERT_EQUAL(s->r[0].a.type, BF_ALERT_UGS_TRIGGER);
    CU_ASSERT_EQUAL(s->r[0].a.state, BF_ALERT_NEW);
    CU_ASSERT_EQUAL(s->r[0].a.first_us, T0 + S(2.5));   /* trips at 0.5, 2.5, 4.5 ... s */
    CU_ASSERT_EQUAL(s->r[0].a.sensor_idx, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(s->r[0].json, "\"sensor\":\"ugs-1\""));
    /* 15 trips: the last message counts the 8 the ring keeps (event time stops at 28.5 s,
     * so nothing resolves it) */
    CU_ASSERT_EQUAL(s->r[s->n - 1].a.state, BF_ALERT_UPDATED);
    CU_ASSERT_EQUAL(s->r[s->n - 1].a.n_hits, BF_UGS_EVENTS_MAX);
    /* the crossing: radar alone, then radar + the ground sensor (kinds json, ugs) */
    double c_radar = engine_run(true, false, s, &n_ugs);
    CU_ASSERT_EQUAL(n_ugs, 0);
    double c_both = engine_run(true, true, s, &n_ugs);
    CU_ASSERT_EQUAL(n_ugs, 0);   /* every trip covered by the walker's track */
    int inc = find(s, 0, BF_ALERT_INCURSION, BF_ALERT_NEW);
    CU_ASSERT_TRUE_FATAL(inc >= 0);
    CU_ASSERT_EQUAL(s->r[inc].a.sensors, UINT64_C(3));
    CU_ASSERT_PTR_NOT_NULL(strstr(s->r[inc].json, "\"sensors\":[\"radar-a\",\"ugs-1\"]"));
    printf("\n    engine: INCURSION confidence radar alone %.3f, radar + UGS %.3f\n", c_radar,
           c_both);
    CU_ASSERT_TRUE(isfinite(c_radar) && isfinite(c_both));
    CU_ASSERT_TRUE(c_both > c_radar + 0.05);
    free(s);
}

static CU_TestInfo tests[] = {
    {"LOITER: passing through is not loitering", test_loiter_passing_through},
    {"LOITER after the dwell, not before", test_loiter_after_dwell},
    {"LOITER side, crossing ends it", test_loiter_side_and_crossing},
    {"episode of one walker", test_episode},
    {"episode records forgotten after a silence", test_episode_records_forgotten},
    {"suppression by class", test_class_suppression},
    {"severity table", test_severity_table},
    {"severity follows confidence, never falls", test_severity_follows_confidence},
    {"support by sensor kind", test_support_kinds},
    {"UGS_TRIGGER raised, covered, joined", test_ugs_trigger},
    {"UGS_TRIGGER window and suppression", test_ugs_window_and_suppression},
    {"radar + UGS beats radar alone (real tracker)", test_radar_ugs_beats_radar_alone},
    {"parameters checked", test_params_checked},
    {"configuration keys", test_config_keys},
    {"configuration keys of the field rules", test_config_field_keys},
    {"engine feeds ground sensors", test_engine_ground_sensors},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"rules: dwell, ground sensors, suppression", fx_init, fx_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
