/*
 * test_ugs_emu.c - the emulated ground sensors (sim/ugs_emu.c) and the
 * scenario's "ground_sensors" and "cameras" keys (sim/scenario_sensors.c).
 *
 * Every message the emulator makes is read back with the ground-sensor
 * plugin's own decoder (sensors/ugs.h), signature included: a walker who
 * passes a sensor triggers it while within its radius, at most once per
 * 5 s; an animal outside its radius, or of a class the sensor has no radius
 * for, never does; false triggers over ten simulated hours stay within
 * Poisson bounds; heartbeats come at 0, P, 2P...; bearings point at the
 * target; a down sensor is silent; the same seed gives the same bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_time.h"
#include "sensors/ugs.h"
#include "sim/sim.h"
#include "sim_fixture.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* A scenario on the straight border: targets and one ground sensor, with extra top-level text. */
static struct bf_sim_scenario *scenario(const char *targets, const char *ground, const char *extra,
                                        double duration_s)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%s,\n  \"ground_sensors\": [%s]%s", targets, ground,
             extra ? extra : "");
    char *text = fx_scenario_text(NULL, buf, duration_s);
    struct bf_sim_scenario *s = NULL;
    struct fx_diags d;
    fx_diags_init(&d);
    int rc = fx_parse(text, &s, &d);
    if (rc != 0) {
        fprintf(stderr, "\n%s\n", text);
        fx_diags_dump(&d);
    }
    free(text);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return s;
}

/* What the run made, decoded. */
struct run_out {
    struct bf_ugs_msg m[20000];
    double truth_dist_m[20000];   /* events: distance of target 0 at the event time */
    double truth_bearing_deg[20000];
    size_t n;
    size_t events, heartbeats;
    unsigned bad;                 /* messages the decoder refused */
};

static struct run_out out;

/*
 * Run ground sensor 0 over the truth, every truth step up to end_s, decoding
 * every message with key (NULL: unsigned) and the replay guard.
 */
static void run(struct bf_sim_scenario *s, uint64_t seed, double end_s, const unsigned char *key,
                size_t key_len)
{
    memset(&out, 0, sizeof out);
    struct bf_sim_truth *tr;
    CU_ASSERT_EQUAL_FATAL(bf_sim_truth_create(s, 0, &tr), 0);
    struct bf_sim_ugs_emu *e;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(bf_sim_ugs_emu_create(s, 0, seed, &e, err, sizeof err), 0);
    struct bf_ugs_ctx ctx = {.sensor_id = s->ground_sensors[0].id, .key = key, .key_len = key_len,
                             .require_hmac = key != NULL};
    struct bf_ugs_replay replay = {0};
    const struct bf_sim_ground_sensor *g = &s->ground_sensors[0];
    for (double t = 0; t <= end_s + 1e-9; t += BF_SIM_TRUTH_STEP_S) {
        CU_ASSERT_EQUAL_FATAL(bf_sim_truth_advance(tr, t), 0);
        const struct bf_sim_target_pos *tp = bf_sim_truth_positions(tr);
        int k = bf_sim_ugs_emu_step(e, tp, s->n_targets, t);
        CU_ASSERT_TRUE_FATAL(k >= 0);
        for (int i = 0; i < k && out.n < sizeof out.m / sizeof out.m[0]; i++) {
            size_t len;
            const char *msg = bf_sim_ugs_emu_message(e, (size_t)i, &len);
            struct bf_ugs_error ue;
            struct bf_ugs_msg *m = &out.m[out.n];
            if (bf_ugs_decode(&ctx, msg, len, m, &ue) != 0 ||
                bf_ugs_replay_check(&replay, m->counter, &ue) != 0) {
                out.bad++;
                fprintf(stderr, "refused (%s): %.*s\n", ue.detail, (int)len, msg);
                continue;
            }
            bf_ugs_replay_accept(&replay, m->counter);
            if (s->n_targets > 0 && tp[0].active) {
                double de = tp[0].e_m - g->e_m, dn = tp[0].n_m - g->n_m;
                out.truth_dist_m[out.n] = hypot(de, dn);
                out.truth_bearing_deg[out.n] = atan2(de, dn) * 180 / M_PI - g->gamma_rad * 180 / M_PI;
            } else {
                out.truth_dist_m[out.n] = NAN;
                out.truth_bearing_deg[out.n] = NAN;
            }
            if (m->kind == BF_UGS_EVENT)
                out.events++;
            else
                out.heartbeats++;
            out.n++;
        }
    }
    bf_sim_ugs_emu_destroy(e);
    bf_sim_truth_destroy(tr);
}

static double t_of(const struct bf_sim_scenario *s, const struct bf_ugs_msg *m)
{
    return bf_time_to_s(m->t_us - s->start_us);
}

/* A walker passes 5 m from a seismic sensor: events only while within 20 m, 5 s apart. */
static void test_walker_triggers(void)
{
    char targets[512], ground[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 1.5}]",
             fx_pt(-100, 505), fx_pt(100, 505));
    double lat, lon;
    fx_ll(0, 500, &lat, &lon);
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-1\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"seismic\", "
             "\"radius_m\": {\"person\": 20, \"vehicle\": 50}, \"pd\": 0.9, \"false_per_hour\": 0, "
             "\"heartbeat_s\": 3600}", lat, lon);
    struct bf_sim_scenario *s = scenario(targets, ground, NULL, 200);
    run(s, 42, 150, NULL, 0);
    CU_ASSERT_EQUAL(out.bad, 0);
    CU_ASSERT_EQUAL(out.heartbeats, 1);   /* the one at t = 0 */
    /* 2 sqrt(20^2 - 5^2) = 38.7 m at 1.5 m/s: 25.8 s in range, one event per 5 s at most */
    CU_ASSERT_TRUE(out.events >= 3 && out.events <= 6);
    double last = -1e9;
    for (size_t i = 0; i < out.n; i++) {
        if (out.m[i].kind != BF_UGS_EVENT)
            continue;
        CU_ASSERT_TRUE(out.truth_dist_m[i] <= 20.0 + 1e-6);
        CU_ASSERT_EQUAL(out.m[i].type, BF_UGS_SEISMIC);
        CU_ASSERT_TRUE(out.m[i].confidence >= 0.7 && out.m[i].confidence <= 1.0);
        CU_ASSERT_TRUE(isnan(out.m[i].bearing_deg));   /* "bearing": false */
        CU_ASSERT_FALSE(out.m[i].authenticated);
        CU_ASSERT_STRING_EQUAL(out.m[i].sensor, "ugs-1");
        double t = t_of(s, &out.m[i]);
        CU_ASSERT_TRUE(t - last >= BF_SIM_UGS_HOLDOFF_S - 1e-6);
        last = t;
    }
    bf_sim_scenario_destroy(s);
}

/* An animal grazing 60-100 m away, and one walking over a sensor with no radius for animals. */
static void test_animal_does_not_trigger(void)
{
    char targets[512], ground[512];
    double hlat, hlon, lat, lon;
    fx_ll(0, 1080, &hlat, &hlon);
    snprintf(targets, sizeof targets,
             "[{\"id\": \"deer\", \"class\": \"animal\", \"motion\": \"random_walk\", "
             "\"home\": [%.9f, %.9f], \"radius_m\": 20, \"speed_mps\": 0.8, \"pause_s\": 5}]",
             hlat, hlon);
    fx_ll(0, 1000, &lat, &lon);
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-2\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"pir\", "
             "\"radius_m\": {\"person\": 100, \"animal\": 25}, \"pd\": 1, \"false_per_hour\": 0}",
             lat, lon);
    struct bf_sim_scenario *s = scenario(targets, ground, NULL, 1200);
    run(s, 7, 1200, NULL, 0);
    CU_ASSERT_EQUAL(out.bad, 0);
    CU_ASSERT_EQUAL(out.events, 0);
    CU_ASSERT_EQUAL(out.heartbeats, 21);   /* every 60 s by default, 0 ... 1200 */
    bf_sim_scenario_destroy(s);

    /* over the sensor itself, but the sensor only knows persons */
    snprintf(targets, sizeof targets,
             "[{\"id\": \"fox\", \"class\": \"animal\", \"waypoints\": [%s, %s], \"speed_mps\": 1}]",
             fx_pt(-50, 1000), fx_pt(50, 1000));
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-3\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"magnetic\", "
             "\"radius_m\": {\"person\": 10}, \"pd\": 1, \"false_per_hour\": 0}", lat, lon);
    s = scenario(targets, ground, NULL, 200);
    run(s, 7, 150, NULL, 0);
    CU_ASSERT_EQUAL(out.events, 0);
    bf_sim_scenario_destroy(s);
}

/* 360 false triggers an hour for ten hours: 3600 expected, Poisson sd 60. */
static void test_false_rate(void)
{
    double lat, lon;
    fx_ll(0, 1000, &lat, &lon);
    char ground[512];
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-f\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"acoustic\", "
             "\"radius_m\": {\"vehicle\": 50}, \"false_per_hour\": 360, \"heartbeat_s\": 600, "
             "\"bearing\": true}", lat, lon);
    struct bf_sim_scenario *s = scenario("[]", ground, NULL, 36000);
    run(s, 99, 36000 - 0.5, NULL, 0);
    CU_ASSERT_EQUAL(out.bad, 0);
    CU_ASSERT_TRUE(out.events >= 3600 - 240 && out.events <= 3600 + 240);   /* 4 sd */
    CU_ASSERT_EQUAL(out.heartbeats, 60);
    /* spread over the run, not bunched: each hour within 4 sd of 360 */
    unsigned per_hour[10] = {0};
    double bsum = 0;
    for (size_t i = 0; i < out.n; i++) {
        if (out.m[i].kind != BF_UGS_EVENT)
            continue;
        int h = (int)(t_of(s, &out.m[i]) / 3600);
        CU_ASSERT_TRUE_FATAL(h >= 0 && h < 10);
        per_hour[h]++;
        CU_ASSERT_TRUE(out.m[i].confidence >= 0.2 && out.m[i].confidence <= 0.6);
        CU_ASSERT_FALSE(isnan(out.m[i].bearing_deg));
        bsum += out.m[i].bearing_deg;
    }
    for (int h = 0; h < 10; h++)
        CU_ASSERT_TRUE(per_hour[h] >= 360 - 76 && per_hour[h] <= 360 + 76);
    /* false bearings uniform: mean near 180 */
    BF_ASSERT_NEAR(bsum / (double)out.events, 180.0, 8.0);
    bf_sim_scenario_destroy(s);
}

/* A key file: every message signed, verified by the decoder; a change is refused. */
static void test_signed_messages_verify(void)
{
    char keypath[512];
    snprintf(keypath, sizeof keypath, "%s/ugs-k.key", bf_test_tmpdir());
    FILE *f = fopen(keypath, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "%s\n", KEY_HEX);
    fclose(f);
    unsigned char key[BF_UGS_KEY_MAX];
    size_t key_len;
    char err[160];
    CU_ASSERT_EQUAL_FATAL(bf_ugs_key_from_hex(KEY_HEX, strlen(KEY_HEX), key, &key_len, err,
                                              sizeof err), 0);
    char targets[512], ground[1024];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"w\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 1.5}]",
             fx_pt(-60, 490), fx_pt(60, 490));
    double lat, lon;
    fx_ll(0, 500, &lat, &lon);
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-k\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"seismic\", "
             "\"radius_m\": {\"person\": 30}, \"false_per_hour\": 60, \"heartbeat_s\": 20, "
             "\"hmac_key_file\": \"%s\"}", lat, lon, keypath);
    struct bf_sim_scenario *s = scenario(targets, ground, NULL, 200);
    run(s, 5, 150, key, key_len);
    CU_ASSERT_EQUAL(out.bad, 0);
    CU_ASSERT_TRUE(out.events >= 2);
    CU_ASSERT_EQUAL(out.heartbeats, 8);   /* 0, 20, ..., 140 */
    for (size_t i = 0; i < out.n; i++) {
        CU_ASSERT_TRUE(out.m[i].authenticated);
        if (i > 0)
            CU_ASSERT_TRUE(out.m[i].counter > out.m[i - 1].counter);
    }
    /* the counter is the event time in ms since 1970 (or one more than the last) */
    CU_ASSERT_TRUE(out.m[0].counter >= (uint64_t)(s->start_us / 1000));

    /* one message again: altered, or checked with another key, it is refused */
    struct bf_sim_ugs_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_ugs_emu_create(s, 0, 5, &e, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_ugs_emu_step(e, NULL, 0, 0), 1);
    size_t len = 0;
    char msg[BF_UGS_MSG_MAX];
    const char *m0 = bf_sim_ugs_emu_message(e, 0, &len);
    CU_ASSERT_TRUE_FATAL(m0 && len > 0 && len < sizeof msg);
    memcpy(msg, m0, len);
    msg[len] = '\0';
    struct bf_ugs_ctx ctx = {.sensor_id = "ugs-k", .key = key, .key_len = key_len,
                             .require_hmac = true};
    struct bf_ugs_msg m;
    struct bf_ugs_error ue;
    CU_ASSERT_EQUAL(bf_ugs_decode(&ctx, msg, len, &m, &ue), 0);
    char *bp = strstr(msg, "\"battery_pct\":");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bp);
    bp[14] = bp[14] == '9' ? '8' : '9';
    CU_ASSERT_EQUAL(bf_ugs_decode(&ctx, msg, len, &m, &ue), BF_EPARSE);
    CU_ASSERT_EQUAL(ue.kind, BF_FAULT_AUTH);
    unsigned char other[32];
    memset(other, 0x5a, sizeof other);
    ctx.key = other;
    ctx.key_len = sizeof other;
    memcpy(msg, m0, len);
    CU_ASSERT_EQUAL(bf_ugs_decode(&ctx, msg, len, &m, &ue), BF_EPARSE);
    CU_ASSERT_EQUAL(ue.kind, BF_FAULT_AUTH);
    bf_sim_ugs_emu_destroy(e);
    bf_sim_scenario_destroy(s);

    /* a missing key file is an error that names it */
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-k\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"seismic\", "
             "\"radius_m\": {\"person\": 30}, \"hmac_key_file\": \"no-such.key\"}", lat, lon);
    s = scenario("[]", ground, NULL, 100);
    CU_ASSERT_EQUAL(bf_sim_ugs_emu_create(s, 0, 5, &e, err, sizeof err), BF_EIO);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such.key"));
    bf_sim_scenario_destroy(s);
    unlink(keypath);
}

/* Heartbeats at 0, P, 2P, ... with the battery slowly falling. */
static void test_heartbeats_on_schedule(void)
{
    double lat, lon;
    fx_ll(0, 1000, &lat, &lon);
    char ground[512];
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-h\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"pir\", "
             "\"radius_m\": {\"person\": 15}, \"false_per_hour\": 0, \"heartbeat_s\": 45}",
             lat, lon);
    struct bf_sim_scenario *s = scenario("[]", ground, NULL, 40000);
    run(s, 3, 36000, NULL, 0);
    CU_ASSERT_EQUAL(out.events, 0);
    CU_ASSERT_EQUAL(out.heartbeats, 801);   /* 0, 45, ..., 36000 */
    double first = NAN, last = NAN;
    for (size_t i = 0; i < out.n; i++) {
        CU_ASSERT_EQUAL(out.m[i].kind, BF_UGS_HEARTBEAT);
        BF_ASSERT_NEAR(t_of(s, &out.m[i]), 45.0 * (double)i, 1e-3);
        CU_ASSERT_TRUE(out.m[i].battery_pct > 0 && out.m[i].battery_pct <= 100);
        CU_ASSERT_FALSE(isnan(out.m[i].temperature_c));
        CU_ASSERT_FALSE(isnan(out.m[i].rssi_dbm));
        if (i > 0)
            CU_ASSERT_TRUE(out.m[i].battery_pct <= out.m[i - 1].battery_pct);
        if (i == 0)
            first = out.m[i].battery_pct;
        last = out.m[i].battery_pct;
    }
    BF_ASSERT_NEAR(first - last, 2.5, 0.11);   /* 0.25 % per hour for 10 h */
    bf_sim_scenario_destroy(s);
}

/* An acoustic array's bearings: the true bearing to the target plus noise of sigma. */
static void test_bearing_to_target(void)
{
    char targets[512], ground[512];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"truck\", \"class\": \"vehicle\", \"waypoints\": [%s, %s], "
             "\"speed_mps\": 2}]", fx_pt(2950, 1060), fx_pt(3050, 940));
    double lat, lon;
    fx_ll(3000, 1000, &lat, &lon);   /* 3 km east of the origin: the convergence matters */
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-b\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"acoustic\", "
             "\"radius_m\": {\"vehicle\": 80}, \"pd\": 1, \"false_per_hour\": 0, "
             "\"bearing\": true, \"sigma_bearing_deg\": 0.5}", lat, lon);
    struct bf_sim_scenario *s = scenario(targets, ground, NULL, 200);
    CU_ASSERT_TRUE(fabs(s->ground_sensors[0].gamma_rad) > 1e-4);
    run(s, 11, 100, NULL, 0);
    CU_ASSERT_TRUE(out.events >= 10);
    for (size_t i = 0; i < out.n; i++) {
        if (out.m[i].kind != BF_UGS_EVENT)
            continue;
        double d = fmod(out.m[i].bearing_deg - out.truth_bearing_deg[i] + 540.0, 360.0) - 180.0;
        CU_ASSERT_TRUE(fabs(d) < 2.5);   /* 5 sigma, plus the 0.1 deg of the wire */
        BF_ASSERT_NEAR(out.m[i].sigma_bearing_deg, 0.5, 1e-9);
    }
    bf_sim_scenario_destroy(s);
}

/* Same seed, same bytes; another seed, other draws. */
static void test_deterministic(void)
{
    double lat, lon;
    fx_ll(0, 1000, &lat, &lon);
    char ground[512];
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-d\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"seismic\", "
             "\"radius_m\": {\"person\": 30}, \"false_per_hour\": 600, \"heartbeat_s\": 30}",
             lat, lon);
    struct bf_sim_scenario *s = scenario("[]", ground, NULL, 2000);
    struct bf_sim_ugs_emu *a, *b, *c;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(bf_sim_ugs_emu_create(s, 0, 1, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_ugs_emu_create(s, 0, 1, &b, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_ugs_emu_create(s, 0, 2, &c, err, sizeof err), 0);
    bool same = true, differ = false;
    for (double t = 0; t < 1800; t += 0.5) {
        int ka = bf_sim_ugs_emu_step(a, NULL, 0, t), kb = bf_sim_ugs_emu_step(b, NULL, 0, t);
        int kc = bf_sim_ugs_emu_step(c, NULL, 0, t);
        same = same && ka == kb;
        differ = differ || ka != kc;
        for (int i = 0; same && i < ka; i++) {
            size_t la, lb;
            const char *ma = bf_sim_ugs_emu_message(a, (size_t)i, &la);
            const char *mb = bf_sim_ugs_emu_message(b, (size_t)i, &lb);
            same = la == lb && memcmp(ma, mb, la) == 0;
        }
    }
    CU_ASSERT_TRUE(same);
    CU_ASSERT_TRUE(differ);
    struct bf_sim_ugs_stats st;
    bf_sim_ugs_emu_stats(a, &st);
    CU_ASSERT_TRUE(st.false_events > 200);
    CU_ASSERT_EQUAL(st.messages, st.events + st.heartbeats);
    /* time never goes back */
    CU_ASSERT_EQUAL(bf_sim_ugs_emu_step(a, NULL, 0, 100), BF_ESTATE);
    bf_sim_ugs_emu_destroy(a);
    bf_sim_ugs_emu_destroy(b);
    bf_sim_ugs_emu_destroy(c);
    bf_sim_scenario_destroy(s);
}

/* A sensor_down event silences it; sensor_up brings a heartbeat at once. */
static void test_down_is_silent(void)
{
    double lat, lon;
    fx_ll(0, 1000, &lat, &lon);
    char ground[512];
    snprintf(ground, sizeof ground,
             "{\"id\": \"ugs-x\", \"lat\": %.9f, \"lon\": %.9f, \"type\": \"seismic\", "
             "\"radius_m\": {\"person\": 30}, \"false_per_hour\": 1800, \"heartbeat_s\": 60}",
             lat, lon);
    const char *events = ",\n  \"events\": [{\"at_s\": 100, \"type\": \"sensor_down\", "
                         "\"sensor\": \"ugs-x\"}, {\"at_s\": 250.25, \"type\": \"sensor_up\", "
                         "\"sensor\": \"ugs-x\"}]";
    struct bf_sim_scenario *s = scenario("[]", ground, events, 400);
    run(s, 8, 399, NULL, 0);
    CU_ASSERT_EQUAL(out.bad, 0);
    bool up_hb = false;
    size_t before = 0;
    for (size_t i = 0; i < out.n; i++) {
        double t = t_of(s, &out.m[i]);
        CU_ASSERT_FALSE(t > 100.0 - 1e-6 && t < 250.25);
        before += t < 100;
        if (out.m[i].kind == BF_UGS_HEARTBEAT && fabs(t - 250.5) < 1e-6)
            up_hb = true;   /* the first step at or after the event */
    }
    CU_ASSERT_TRUE(before > 10);   /* 0.5 false triggers a second before it went down */
    CU_ASSERT_TRUE(up_hb);
    bf_sim_scenario_destroy(s);
}

/* ---- the scenario keys -------------------------------------------------- */

struct bad_key {
    const char *ground;      /* the ground_sensors array text */
    const char *cameras;     /* the cameras array text, or NULL */
    const char *path;        /* expected JSON path */
    const char *msg;         /* expected part of the message */
};

#define G_OK "{\"id\": \"g1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"pir\", \"radius_m\": {\"person\": 15}"
#define C_OK "{\"id\": \"c1\", \"lat\": 46.79, \"lon\": 8.2, \"height_m\": 8, \"heading_deg\": 0, \"hfov_deg\": 40, \"port\": 47000"

static const struct bad_key bad_keys[] = {
    {"[" G_OK ", \"pd\": 1.5}]", NULL, "ground_sensors[0].pd", "between 0 and 1"},
    {"[" G_OK ", \"radus\": 3}]", NULL, "ground_sensors[0].radus", "unknown key"},
    {"[{\"id\": \"g1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"sonar\", \"radius_m\": {\"person\": 15}}]",
     NULL, "ground_sensors[0].type", "expected one of"},
    {"[{\"id\": \"g1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"pir\", \"radius_m\": {\"alien\": 15}}]",
     NULL, "ground_sensors[0].radius_m.alien", "unknown key"},
    {"[{\"id\": \"g1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"pir\", \"radius_m\": {}}]", NULL,
     "ground_sensors[0].radius_m", "at least one class"},
    {"[{\"id\": \"g1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"pir\"}]", NULL,
     "ground_sensors[0]", "radius_m"},
    {"[" G_OK ", \"sigma_bearing_deg\": 3}]", NULL, "ground_sensors[0].sigma_bearing_deg",
     "\"bearing\": true"},
    {"[{\"id\": \"r1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"pir\", \"radius_m\": {\"person\": 15}}]",
     NULL, "ground_sensors[0].id", "duplicate sensor id \"r1\" (also radars[0])"},
    {"[{\"id\": \"g/1\", \"lat\": 46.81, \"lon\": 8.2, \"type\": \"pir\", \"radius_m\": {\"person\": 15}}]",
     NULL, "ground_sensors[0].id", "MQTT topic"},
    {"[]", "[" C_OK ", \"width\": 642}]", "cameras[0].width", "multiple of 4"},
    {"[]", "[" C_OK ", \"fov\": 40}]", "cameras[0].fov", "unknown key"},
    {"[]", "[" C_OK ", \"tilt_deg\": -95}]", "cameras[0].tilt_deg", "between"},
    {"[" G_OK "}]", "[{\"id\": \"g1\", \"lat\": 46.79, \"lon\": 8.2, \"height_m\": 8, \"heading_deg\": 0, \"hfov_deg\": 40, \"port\": 47000}]",
     "cameras[0].id", "also ground_sensors[0]"},
    {"[]", "[" C_OK "}, {\"id\": \"c2\", \"lat\": 46.79, \"lon\": 8.2, \"height_m\": 8, \"heading_deg\": 0, \"hfov_deg\": 40, \"port\": 47000}]",
     "cameras[1].port", "already cameras[0]"},
    {"[]", "[{\"id\": \"c1\", \"lat\": 46.79, \"lon\": 8.2, \"heading_deg\": 0, \"hfov_deg\": 40, \"port\": 47000}]",
     "cameras[0]", "height_m"},
};

static void test_scenario_keys(void)
{
    /* valid: defaults, positions projected */
    char extra[1024];
    snprintf(extra, sizeof extra, ",\n  \"cameras\": [%s}]", C_OK);
    char text_ground[512];
    snprintf(text_ground, sizeof text_ground, "%s}", G_OK);
    struct bf_sim_scenario *s = scenario("[]", text_ground, extra, 100);
    CU_ASSERT_EQUAL_FATAL(s->n_ground_sensors, 1);
    CU_ASSERT_EQUAL_FATAL(s->n_cameras, 1);
    const struct bf_sim_ground_sensor *g = &s->ground_sensors[0];
    BF_ASSERT_NEAR(g->pd, 0.9, 1e-12);
    BF_ASSERT_NEAR(g->false_per_hour, 1, 1e-12);
    BF_ASSERT_NEAR(g->heartbeat_s, 60, 1e-12);
    CU_ASSERT_FALSE(g->bearing);
    CU_ASSERT_EQUAL(g->type, BF_UGS_PIR);
    BF_ASSERT_NEAR(g->radius_m[0], 15, 1e-12);
    BF_ASSERT_NEAR(g->radius_m[1], 0, 1e-12);
    BF_ASSERT_NEAR(g->n_m, 1112, 2);   /* 0.01 deg north of the origin */
    BF_ASSERT_NEAR(g->e_m, 0, 0.01);
    const struct bf_sim_camera *c = &s->cameras[0];
    CU_ASSERT_EQUAL(c->width, 640);
    CU_ASSERT_EQUAL(c->height, 360);
    BF_ASSERT_NEAR(c->fps, 10, 1e-12);
    BF_ASSERT_NEAR(c->tilt_deg, 0, 1e-12);
    BF_ASSERT_NEAR(c->n_m, -1112, 2);
    CU_ASSERT_EQUAL(c->port, 47000);
    bf_sim_scenario_destroy(s);

    for (size_t k = 0; k < sizeof bad_keys / sizeof bad_keys[0]; k++) {
        const struct bad_key *b = &bad_keys[k];
        char targets[4096];
        snprintf(targets, sizeof targets, "[],\n  \"ground_sensors\": %s%s%s", b->ground,
                 b->cameras ? ",\n  \"cameras\": " : "", b->cameras ? b->cameras : "");
        char *text = fx_scenario_text(NULL, targets, 100);
        struct fx_diags d;
        fx_diags_init(&d);
        struct bf_sim_scenario *bad = NULL;
        CU_ASSERT_EQUAL(fx_parse(text, &bad, &d), BF_EPARSE);
        CU_ASSERT_PTR_NULL(bad);
        bool found = false;
        for (size_t i = 0; i < d.n; i++)
            found = found || (strcmp(d.e[i].path, b->path) == 0 && strstr(d.e[i].msg, b->msg) &&
                              d.e[i].line > 0 && d.e[i].col > 0);
        if (!found) {
            fprintf(stderr, "\ncase %zu: want %s: ...%s...\n", k, b->path, b->msg);
            fx_diags_dump(&d);
        }
        CU_ASSERT_TRUE(found);
        free(text);
    }
}

static CU_TestInfo tests[] = {
    {"a walker passing a sensor triggers it, 5 s apart", test_walker_triggers},
    {"an animal outside its radius does not trigger", test_animal_does_not_trigger},
    {"false triggers: Poisson rate over 10 h", test_false_rate},
    {"signed messages verify with the plugin's decoder", test_signed_messages_verify},
    {"heartbeats on schedule, battery falling", test_heartbeats_on_schedule},
    {"bearings point at the target (true north)", test_bearing_to_target},
    {"same seed, same bytes", test_deterministic},
    {"a down sensor is silent", test_down_is_silent},
    {"scenario keys: defaults, errors with their path", test_scenario_keys},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim_ugs_emu", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
