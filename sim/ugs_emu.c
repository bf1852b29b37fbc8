/*
 * ugs_emu.c - an unattended ground sensor in the simulator: what a seismic,
 * acoustic, PIR or magnetic box in the field would say about the truth
 * (docs/scenario.md, "Ground sensors and cameras"; the wire format is
 * docs/ugs.md).
 *
 * The problem: the engine must get exactly the traffic a real sensor sends
 * - signed JSON messages with counters that only grow, events when
 * something passes and heartbeats when nothing does - and it must be
 * reproducible, so that a scenario with a seed gives the same messages every
 * time.  So every message is built by the ground-sensor plugin's own encoder
 * (sensors/ugs.h) and every random draw comes from the sensor's own stream.
 *
 * Per step (the simulator calls it every truth step; any step works):
 *
 *   1. down (a sensor_down event of the scenario): nothing at all; when it
 *      comes up again, a heartbeat at once and the schedule restarts.
 *   2. heartbeats every heartbeat_s from t = 0, battery falling slowly.
 *   3. true triggers: a target whose class has a radius, within that radius
 *      and not within BF_SIM_UGS_HOLDOFF_S of its own last trigger here,
 *      triggers with probability 1 - (1 - pd)^dt over a step of dt seconds
 *      (pd per simulated second, whatever the step).
 *   4. false triggers: a Poisson number with mean false_per_hour dt / 3600,
 *      each at a uniform time within the step.
 *   5. the step's messages sorted by time, encoded (signed with the key when
 *      there is one) with counter = max(previous + 1, event time in ms since
 *      1970): counters grow within a run and across runs with later start
 *      times, as docs/ugs.md asks of a real sensor.
 *
 * Invariants: (1) counter grows by at least 1 per message; (2) messages of
 * one step are in time order and not before the previous step's; (3) the
 * draws depend only on (seed, sensor index) and the truth, never on the
 * clock or on other sensors.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "sensors/ugs.h"
#include "sim/sim.h"

#define SLOT 512                  /* bytes per encoded message: ours are under 300 */
#define FALSE_MAX_PER_STEP 16     /* false triggers beyond this in one step are shed */
#define BATTERY_DRAIN_PCT_H 0.25  /* battery falls by this per simulated hour */
#define DEG (M_PI / 180.0)

enum pend_kind { PEND_HEARTBEAT, PEND_TRUE, PEND_FALSE };

struct pend {
    double t_s;
    enum pend_kind kind;
    double bearing_deg;           /* true bearing with noise, or NAN */
    double confidence;
};

struct bf_sim_ugs_emu {
    const struct bf_sim_scenario *s;
    const struct bf_sim_ground_sensor *g;
    struct bf_sim_rng rng;
    unsigned char key[BF_UGS_KEY_MAX];
    size_t key_len;               /* 0: unsigned */
    char topic[256];
    size_t max_targets;
    int *cls;                     /* per target: enum bf_class, -1 unknown name */
    double *last_trigger_s;       /* per target: NAN never */
    bool started, was_down;
    double prev_s;
    double next_hb_s;
    uint64_t counter;             /* last counter sent; 0 none */
    double battery0_pct;
    struct pend *pend;            /* max_targets + FALSE_MAX_PER_STEP + 2 */
    size_t n_pend, cap_pend;
    char *msgs;                   /* cap_pend slots of SLOT bytes */
    size_t *lens;
    size_t n_msgs;
    struct bf_sim_ugs_stats st;
};

static int class_index(const char *name)
{
    for (int k = 0; name && k < BF_CLASS_COUNT; k++)
        if (strcmp(bf_class_names[k], name) == 0)
            return k;
    return -1;
}

/* Read the hex key file at path into e->key. */
static int load_key(struct bf_sim_ugs_emu *e, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "ground sensor %s: cannot open its hmac_key_file %s: %s",
                 e->g->id, path, strerror(errno));
        return BF_EIO;
    }
    char text[1025];
    size_t len = fread(text, 1, sizeof text - 1, f);
    bool more = fgetc(f) != EOF;
    fclose(f);
    char why[160] = "";
    int rc = more ? BF_EINVAL
                  : bf_ugs_key_from_hex(text, len, e->key, &e->key_len, why, sizeof why);
    OPENSSL_cleanse(text, sizeof text);
    if (rc < 0) {
        snprintf(err, errlen, "ground sensor %s: hmac_key_file %s: %s", e->g->id, path,
                 more ? "longer than 1024 bytes; expected 32 to 128 hex digits" : why);
        e->key_len = 0;
        return BF_EINVAL;
    }
    return 0;
}

int bf_sim_ugs_emu_create(const struct bf_sim_scenario *s, size_t idx, uint64_t seed,
                          struct bf_sim_ugs_emu **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!s || idx >= s->n_ground_sensors)
        return BF_EINVAL;
    struct bf_sim_ugs_emu *e = calloc(1, sizeof *e);
    if (!e)
        return BF_ENOMEM;
    e->s = s;
    e->g = &s->ground_sensors[idx];
    bf_sim_rng_seed(&e->rng, seed, BF_SIM_STREAM_UGS + idx);
    snprintf(e->topic, sizeof e->topic, "borderfuse/%s/sensors/%s/ugs", s->site, e->g->id);
    e->max_targets = s->n_targets;
    size_t nt = e->max_targets ? e->max_targets : 1;
    e->cap_pend = e->max_targets + FALSE_MAX_PER_STEP + 2;
    e->cls = calloc(nt, sizeof *e->cls);
    e->last_trigger_s = calloc(nt, sizeof *e->last_trigger_s);
    e->pend = calloc(e->cap_pend, sizeof *e->pend);
    e->msgs = malloc(e->cap_pend * SLOT);
    e->lens = calloc(e->cap_pend, sizeof *e->lens);
    int rc = BF_ENOMEM;
    if (!e->cls || !e->last_trigger_s || !e->pend || !e->msgs || !e->lens)
        goto out_destroy;
    for (size_t i = 0; i < e->max_targets; i++) {
        e->cls[i] = class_index(s->targets[i].cls);
        e->last_trigger_s[i] = NAN;
    }
    e->battery0_pct = 85.0 + 15.0 * bf_sim_rng_uniform(&e->rng);
    e->st.battery_pct = NAN;
    if (e->g->hmac_key_path || e->g->hmac_key_file) {
        char tmp[8];
        rc = load_key(e, e->g->hmac_key_path ? e->g->hmac_key_path : e->g->hmac_key_file,
                      err ? err : tmp, err ? errlen : sizeof tmp);
        if (rc < 0)
            goto out_destroy;
    }
    *out = e;
    return 0;

out_destroy:
    bf_sim_ugs_emu_destroy(e);
    return rc;
}

void bf_sim_ugs_emu_destroy(struct bf_sim_ugs_emu *e)
{
    if (!e)
        return;
    OPENSSL_cleanse(e->key, sizeof e->key);
    free(e->cls);
    free(e->last_trigger_s);
    free(e->pend);
    free(e->msgs);
    free(e->lens);
    free(e);
}

static void add_pend(struct bf_sim_ugs_emu *e, double t_s, enum pend_kind kind, double bearing_deg,
                     double confidence)
{
    if (e->n_pend >= e->cap_pend)
        return;   /* cannot happen: capacity counts every source */
    e->pend[e->n_pend++] = (struct pend){.t_s = t_s, .kind = kind, .bearing_deg = bearing_deg,
                                         .confidence = confidence};
}

static double wrap_deg(double b)
{
    b = fmod(b, 360.0);
    if (b < 0)
        b += 360.0;
    if (b >= 360.0)
        b = 0;
    return b;
}

/* Encode pend[k] into slot k. */
static int encode(struct bf_sim_ugs_emu *e, const struct pend *p, size_t k)
{
    const struct bf_sim_ground_sensor *g = e->g;
    struct bf_ugs_msg m;
    memset(&m, 0, sizeof m);
    snprintf(m.sensor, sizeof m.sensor, "%s", g->id);
    /* event time to the millisecond (the encoder writes milliseconds) */
    int64_t ms = (int64_t)llround(p->t_s * 1000.0);
    m.t_us = e->s->start_us + ms * 1000;
    uint64_t t_ms = m.t_us > 0 ? (uint64_t)(m.t_us / 1000) : 0;
    uint64_t c = e->counter + 1 > t_ms ? e->counter + 1 : t_ms;
    if ((double)c > BF_UGS_COUNTER_MAX)
        return BF_ERANGE;
    m.counter = c;
    m.exercise = e->s->exercise;
    m.bearing_deg = m.sigma_bearing_deg = NAN;
    m.temperature_c = m.rssi_dbm = m.battery_pct = NAN;
    if (p->kind == PEND_HEARTBEAT) {
        m.kind = BF_UGS_HEARTBEAT;
        double b = e->battery0_pct - BATTERY_DRAIN_PCT_H * p->t_s / 3600.0;
        m.battery_pct = round((b > 0 ? b : 0) * 10.0) / 10.0;
        m.temperature_c = round((4.0 + 0.5 * bf_sim_rng_gauss(&e->rng)) * 10.0) / 10.0;
        double rssi = -90.0 + 3.0 * bf_sim_rng_gauss(&e->rng);
        m.rssi_dbm = round(rssi < -200 ? -200 : rssi > 0 ? 0 : rssi);
        e->st.battery_pct = m.battery_pct;
    } else {
        m.kind = BF_UGS_EVENT;
        m.type = (enum bf_ugs_type)g->type;
        m.confidence = round(p->confidence * 100.0) / 100.0;
        if (g->bearing) {
            m.bearing_deg = wrap_deg(round(p->bearing_deg * 10.0) / 10.0);
            m.sigma_bearing_deg = g->sigma_bearing_deg;
        }
    }
    int n = bf_ugs_encode(&m, e->key_len ? e->key : NULL, e->key_len, e->msgs + k * SLOT, SLOT);
    if (n < 0)
        return n;
    e->lens[k] = (size_t)n;
    e->counter = c;
    return 0;
}

int bf_sim_ugs_emu_step(struct bf_sim_ugs_emu *e, const struct bf_sim_target_pos *tp, size_t n,
                        double t_s)
{
    if (!e || (n > 0 && !tp) || n > e->max_targets || !isfinite(t_s) || t_s < 0)
        return BF_EINVAL;
    if (e->started && !(t_s > e->prev_s))
        return BF_ESTATE;
    const struct bf_sim_ground_sensor *g = e->g;
    double t0 = e->started ? e->prev_s : 0.0;
    double dt = t_s - t0;
    bool first = !e->started;
    e->started = true;
    e->prev_s = t_s;
    e->n_pend = 0;
    e->n_msgs = 0;

    if (bf_sim_events_sensor_down(e->s, g->id, t_s)) {
        e->st.down_s += dt;
        e->was_down = true;
        return 0;
    }
    /* heartbeats: at 0, then every heartbeat_s; at once after being down */
    if (e->was_down) {   /* up again: it announces itself; nothing is owed for the gap */
        add_pend(e, t_s, PEND_HEARTBEAT, NAN, 0);
        e->next_hb_s = t_s + g->heartbeat_s;
        e->was_down = false;
        t0 = t_s;
        dt = 0;
    } else if (first) {
        e->next_hb_s = 0;
    }
    while (e->next_hb_s <= t_s + 1e-9) {
        add_pend(e, e->next_hb_s, PEND_HEARTBEAT, NAN, 0);
        e->next_hb_s += g->heartbeat_s;
    }
    /* true triggers */
    double p_step = dt > 0 ? 1.0 - pow(1.0 - g->pd, dt) : 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!tp[i].active || e->cls[i] < 0)
            continue;
        double r = g->radius_m[e->cls[i]];
        double de = tp[i].e_m - g->e_m, dn = tp[i].n_m - g->n_m;
        double d = hypot(de, dn);
        if (!(r > 0) || d > r)
            continue;
        double since = t_s - e->last_trigger_s[i];   /* NAN: never triggered */
        if (since < BF_SIM_UGS_HOLDOFF_S - 1e-9)
            continue;
        if (!(bf_sim_rng_uniform(&e->rng) < p_step))
            continue;
        e->last_trigger_s[i] = t_s;
        double conf = 0.7 + 0.3 * bf_sim_rng_uniform(&e->rng);
        double bearing = NAN;
        if (g->bearing) {
            /* the truth is on the grid; a sensor reports true bearings */
            double grid_deg = atan2(de, dn) / DEG;
            bearing = wrap_deg(grid_deg - g->gamma_rad / DEG +
                               g->sigma_bearing_deg * bf_sim_rng_gauss(&e->rng));
        }
        add_pend(e, t_s, PEND_TRUE, bearing, conf);
    }
    /* false triggers */
    if (g->false_per_hour > 0 && dt > 0) {
        unsigned k = bf_sim_rng_poisson(&e->rng, g->false_per_hour * dt / 3600.0);
        for (unsigned q = 0; q < k; q++) {
            double t = t0 + dt * (1.0 - bf_sim_rng_uniform(&e->rng));   /* (t0, t_s] */
            double conf = 0.2 + 0.4 * bf_sim_rng_uniform(&e->rng);
            double bearing = g->bearing ? 360.0 * bf_sim_rng_uniform(&e->rng) : NAN;
            if (q >= FALSE_MAX_PER_STEP) {
                e->st.shed++;
                continue;
            }
            add_pend(e, t, PEND_FALSE, bearing, conf);
        }
    }
    /* time order (insertion sort: stable, and steps hold few messages) */
    for (size_t i = 1; i < e->n_pend; i++) {
        struct pend p = e->pend[i];
        size_t j = i;
        while (j > 0 && e->pend[j - 1].t_s > p.t_s) {
            e->pend[j] = e->pend[j - 1];
            j--;
        }
        e->pend[j] = p;
    }
    for (size_t i = 0; i < e->n_pend; i++) {
        int rc = encode(e, &e->pend[i], i);
        if (rc < 0)
            return rc;
        e->n_msgs++;
        e->st.messages++;
        switch (e->pend[i].kind) {
        case PEND_HEARTBEAT: e->st.heartbeats++; break;
        case PEND_TRUE: e->st.true_events++; e->st.events++; break;
        case PEND_FALSE: e->st.false_events++; e->st.events++; break;
        }
    }
    return (int)e->n_msgs;
}

const char *bf_sim_ugs_emu_message(const struct bf_sim_ugs_emu *e, size_t i, size_t *len)
{
    if (!e || i >= e->n_msgs)
        return NULL;
    if (len)
        *len = e->lens[i];
    return e->msgs + i * SLOT;
}

const char *bf_sim_ugs_emu_topic(const struct bf_sim_ugs_emu *e)
{
    return e->topic;
}

void bf_sim_ugs_emu_stats(const struct bf_sim_ugs_emu *e, struct bf_sim_ugs_stats *out)
{
    *out = e->st;
}
