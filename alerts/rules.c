/*
 * rules.c - the alerter: turns track changes and their geofence steps into
 * alerts, one live alert per (track, zone, type), and drives each alert
 * through NEW -> UPDATED* -> RESOLVED, handing every change, numbered and
 * enriched, to the sink (delivery: journal, outbox).
 *
 * The problem: operators want few, clear alerts.  A walker who crosses the
 * line is one INCURSION that follows him, not one per radar scan; a track
 * that only becomes sure after it crossed must still be reported; test
 * targets, known farms (no_alert zones) and weak tracks must stay silent;
 * and the same input must give byte-identical output (replays, the
 * simulator's scorer).  So:
 *
 *  - every step of a track is evaluated in a fixed order: INCURSION
 *    triggers (crossings in step order, then the late-confirmation rule),
 *    ZONE_ENTRY triggers (zone index order), the APPROACH trigger, then a
 *    follow-up pass over the track's remaining live alerts in key order;
 *  - a trigger with a live alert updates it; without one it raises a new
 *    alert if the track passes the gates (status, min_hits, TEST,
 *    no_alert, min_confidence);
 *  - live alerts sit in an array sorted by key (track id, zone, type):
 *    lookups are binary searches, a track's alerts are contiguous, and
 *    deletion and tick resolve in key order, never in hash order;
 *  - UPDATED is published at most every update_min_interval_s of event
 *    time (always on a severity change); RESOLVED is always published.
 *
 * The dwell rule and the rest (docs/alerts.md): LOITER (a per-track dwell record: first
 * time near a line, forgotten on leaving the band past a hysteresis, on a
 * crossing, or with the track); the ground-sensor rules (UGS_TRIGGER, the
 * join of a track to a sensor at the line) are in rules_ugs.c, on the state
 * and helpers alerts_int.h shares; suppression by class;
 * one severity function (bf_alert_severity); support weighted by sensor kind
 * (bf_alert_confidence_kinds); and the episode: every alert of a track
 * carries the id of the track's first alert (or of the UGS_TRIGGER the track
 * came to cover), kept in the same per-track record.
 *
 * Rules in the field (docs/alerts.md): a track that ends does not end its
 * incursion - its INCURSION, restricted ZONE_ENTRY and acknowledged alerts go
 * LOST (last sighting, a growing search area) and wait for an operator or for
 * the track that continues it (bf_track.continues_id), which takes over the
 * alerts (same id, episode), the record and the closed keys; the record of
 * an ended track keeps the side of its last sighting, so a successor on our
 * side is a crossing (joined history), as is a track that starts inside
 * after a ground sensor at the line tripped.  APPROACH needs closing on the
 * line (the velocity normal to it) and has hysteresis and a minimum dwell;
 * the class alerting uses must hold before it changes (a held flip to a
 * suppressed class withdraws the track's alerts); crossing_point zones are
 * normal traffic; an operator's INCURSION is closed only by an operator.
 *
 * Invariants of struct bf_alerter (checked by bf_alerter_check()):
 *  (1) v[0..n) is sorted by key, strictly ascending (one live alert per key);
 *  (2) v[i].key == bf_rules_key_of(track_id, zone_idx, type) of v[i].a;
 *  (3) a live alert is NEW, UPDATED, ACKNOWLEDGED or LOST (RESOLVED and
 *      FALSE_ALARM ones leave the array);
 *  (4) v[i].a.seq <= seq (seq is the last number handed out);
 *  (5) v[i].last_pub_us <= v[i].last_update_us;
 *  (6) n <= cap;
 *  (7) closed[0..n_closed) - keys an operator closed (resolve, false_alarm)
 *      while their track lives - is strictly ascending, and no closed key is
 *      live: a closed key raises nothing until BF_CHANGE_DELETED forgets it;
 *  (8) an ACKNOWLEDGED alert has ack_by and ack_us; a NEW or UPDATED one has
 *      neither, nor an assigned_unit; a LOST one has both or neither, and a
 *      unit only with them (it keeps what it had when its track ended);
 *  (9) tr[0..n_tr) - the per-track records - is sorted by track id, strictly
 *      ascending, n_tr <= cap_tr; sensor alerts (SENSOR_FAULT, UGS_TRIGGER)
 *      are keyed by UINT32_MAX - sensor_idx in place of a track id;
 * (10) every ground sensor's ring holds at most BF_UGS_EVENTS_MAX trips,
 *      oldest first;
 * (11) an alert is LOST exactly when it has a last-seen time (lost_us); it
 *      stays keyed by its ended track until a successor takes it over
 *      (join_predecessor re-keys it) or an operator closes it.
 *
 * Operators (bf_alerter_act, docs/alerts.md): acknowledge and assign make a
 * live alert ACKNOWLEDGED, and update() keeps that state through later
 * updates (only NEW becomes UPDATED); resolve and false_alarm publish the
 * closing change, drop the alert and close its key.
 */
#include "alerts/alerts_int.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define LOG_COMP "alerts"
#define JSON_BUF0 4096
#define JSON_BUF_MAX (1024 * 1024)
/* Closing on the line means moving at least this angle off parallel to it (sin 15 deg: 26 %
 * of the speed towards the line). */
#define APPROACH_MIN_ANGLE_DEG 15.0
#define CP_NEAR_M 10.0     /* within this of a crossing_point zone counts as at it (the geofence's hysteresis) */

/* ---- keys and the live array --------------------------------------------- */

uint64_t bf_rules_key_of(uint32_t track_id, int zone_idx, enum bf_alert_type type)
{
    return ((uint64_t)track_id << 16) | ((uint64_t)(uint8_t)(zone_idx + 1) << 8) | (uint8_t)type;
}

/* First index whose key is >= key. */
size_t bf_rules_lower_bound(const struct bf_alerter *a, uint64_t key)
{
    _Static_assert(offsetof(struct bf_live, key) == 0, "key is the sort key (bf_key_u64)");
    return bf_sorted_lower(a->v, a->n, sizeof *a->v, key, bf_key_u64);
}

struct bf_live *bf_rules_live_find(struct bf_alerter *a, uint64_t key)
{
    size_t i = bf_rules_lower_bound(a, key);
    return (i < a->n && a->v[i].key == key) ? &a->v[i] : NULL;
}

/* A zeroed entry for key (absent), or NULL when memory runs out. */
struct bf_live *bf_rules_live_insert(struct bf_alerter *a, uint64_t key)
{
    size_t i = bf_rules_lower_bound(a, key);
    struct bf_live *nv = bf_sorted_open(a->v, &a->n, &a->cap, sizeof *a->v, i, 64);
    if (!nv)
        return NULL;
    a->v = nv;
    a->v[i].key = key;
    struct bf_alert *al = &a->v[i].a;
    al->sensor_idx = -1;
    al->dwell_s = NAN;
    al->ack_us = BF_TIME_NONE;
    al->intercept_lat = al->intercept_lon = NAN;
    al->camera_idx = -1;
    al->lost_us = BF_TIME_NONE;
    al->lost_radius_m = al->lost_growth_mps = NAN;
    return &a->v[i];
}

static void live_remove(struct bf_alerter *a, size_t i)
{
    bf_sorted_close(a->v, &a->n, sizeof *a->v, i, 1);
}

struct bf_live *bf_rules_live_rekey(struct bf_alerter *a, size_t i, uint64_t nk)
{
    struct bf_live moved = a->v[i];
    live_remove(a, i);
    struct bf_live *l = bf_rules_live_insert(a, nk);
    if (!l) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "out of memory moving alert %s", moved.a.id);
        return NULL;
    }
    moved.key = nk;
    *l = moved;
    return l;
}

/* ---- keys closed by an operator (invariant 7) ----------------------------- */

/* First index of closed[] whose key is >= key. */
size_t bf_rules_closed_lower_bound(const struct bf_alerter *a, uint64_t key)
{
    return bf_sorted_lower(a->closed, a->n_closed, sizeof *a->closed, key, bf_key_u64);
}

static bool closed_find(const struct bf_alerter *a, uint64_t key)
{
    size_t i = bf_rules_closed_lower_bound(a, key);
    return i < a->n_closed && a->closed[i] == key;
}

/* Close key; false when memory runs out (the key may then be raised again). */
static bool closed_add(struct bf_alerter *a, uint64_t key)
{
    size_t i = bf_rules_closed_lower_bound(a, key);
    if (i < a->n_closed && a->closed[i] == key)
        return true;
    uint64_t *nc = bf_sorted_open(a->closed, &a->n_closed, &a->cap_closed, sizeof *nc, i, 16);
    if (!nc)
        return false;
    a->closed = nc;
    a->closed[i] = key;
    return true;
}

/* The track is gone: its closed keys are forgotten (its id is not reused). */
static void closed_forget_track(struct bf_alerter *a, uint32_t track_id)
{
    size_t lo = bf_rules_closed_lower_bound(a, bf_rules_key_of(track_id, -1, 0));
    size_t hi = bf_rules_closed_lower_bound(a, bf_rules_key_of(track_id, -1, 0) + (UINT64_C(1) << 16));
    bf_sorted_close(a->closed, &a->n_closed, sizeof *a->closed, lo, hi - lo);   /* none: nothing */
}

bool bf_alerter_check(const struct bf_alerter *a)
{
    bool ok = a->n <= a->cap;                                                     /* (6) */
    for (size_t i = 0; ok && i < a->n; i++) {
        const struct bf_live *l = &a->v[i];
        ok = (i == 0 || a->v[i - 1].key < l->key)                                 /* (1) */
             && l->key == bf_rules_key_of(l->a.sensor_idx >= 0 ? UINT32_MAX - (uint32_t)l->a.sensor_idx
                                                      : l->a.track_id,
                                 l->a.zone_idx, l->a.type)                        /* (2), (9) */
             && (l->a.state == BF_ALERT_NEW || l->a.state == BF_ALERT_UPDATED ||
                 l->a.state == BF_ALERT_ACKNOWLEDGED || l->a.state == BF_ALERT_LOST) /* (3) */
             && (l->a.state == BF_ALERT_ACKNOWLEDGED                              /* (8) */
                     ? l->a.ack_by[0] && l->a.ack_us != BF_TIME_NONE
                 : l->a.state == BF_ALERT_LOST
                     ? (!l->a.ack_by[0]) == (l->a.ack_us == BF_TIME_NONE) &&
                           (l->a.ack_by[0] || !l->a.assigned_unit[0])
                     : !l->a.ack_by[0] && l->a.ack_us == BF_TIME_NONE && !l->a.assigned_unit[0])
             && ((l->a.state == BF_ALERT_LOST) == (l->a.lost_us != BF_TIME_NONE)) /* (11) */
             && l->a.seq <= a->seq                                                /* (4) */
             && l->last_pub_us <= l->last_update_us;                              /* (5) */
    }
    for (size_t i = 0; ok && i < a->n_closed; i++) {                              /* (7) */
        size_t j = bf_rules_lower_bound(a, a->closed[i]);
        ok = (i == 0 || a->closed[i - 1] < a->closed[i]) &&
             !(j < a->n && a->v[j].key == a->closed[i]);
    }
    for (size_t i = 0; ok && i < a->n_tr; i++)                                    /* (9) */
        ok = i == 0 || a->tr[i - 1].track_id < a->tr[i].track_id;
    ok = ok && a->n_tr <= a->cap_tr;
    for (size_t i = 0; ok && a->ugs && i < a->n_sensors; i++) {                   /* (10) */
        ok = a->ugs[i].n <= BF_UGS_EVENTS_MAX;
        for (unsigned k = 1; ok && k < a->ugs[i].n; k++)
            ok = a->ugs[i].t_us[k - 1] <= a->ugs[i].t_us[k];
    }
    assert(ok);
    return ok;
}

/* ---- confidence ------------------------------------------------------------ */

void bf_alert_confidence(const struct bf_track *trk, struct bf_alert_conf *out)
{
    bf_alert_confidence_kinds(trk, NULL, out);
}

/* k_eff: each kind present counts 1, each further sensor of a kind BF_SAME_KIND_WEIGHT. */
static double effective_sensors(uint64_t sensors, const uint8_t *kind_of)
{
    if (!kind_of)
        return (double)__builtin_popcountll(sensors);
    unsigned per_kind[64] = {0};
    double k = 0.0;
    for (unsigned i = 0; i < 64; i++) {
        if (!(sensors & (UINT64_C(1) << i)))
            continue;
        unsigned kd = kind_of[i] & 63u;
        k += per_kind[kd]++ ? BF_SAME_KIND_WEIGHT : 1.0;
    }
    return k;
}

void bf_alert_confidence_kinds(const struct bf_track *trk, const uint8_t *kind_of,
                               struct bf_alert_conf *out)
{
    /* hit ratio over the opportunities since the oldest hit still in hit_bits */
    unsigned window = trk->hit_bits ? 32u - (unsigned)__builtin_clz(trk->hit_bits) : 0;
    double ratio = window ? (double)__builtin_popcount(trk->hit_bits) / window : 0.0;
    out->quality = (1.0 - exp(-(double)trk->n_hits / 4.0)) * ratio;
    out->support = 1.0 - pow(0.5, effective_sensors(trk->sensors, kind_of));
    out->cls = BF_CLASS_UNKNOWN;
    double best = 0.0;
    for (int c = 0; c < BF_CLASS_COUNT; c++) {
        double p = trk->class_p[c];
        if (isfinite(p) && p > best) {
            best = p;
            out->cls = (enum bf_class)c;
        }
    }
    out->class_term = fmin(best, 1.0);
    double conf = 0.45 * out->quality + 0.35 * out->support + 0.20 * out->class_term;
    out->confidence = fmin(fmax(conf, 0.0), 1.0);
}

double bf_alert_track_confidence(const struct bf_track *trk)
{
    struct bf_alert_conf c;
    bf_alert_confidence(trk, &c);
    return c.confidence;
}

/* ---- severity (docs/alerts.md, "Severity") --------------------------------------- */

enum bf_severity bf_alert_severity(const struct bf_sev_in *in)
{
    int s;
    bool at_line = false, track = true;
    switch (in->type) {
    case BF_ALERT_INCURSION:
        s = in->zone_severity >= 4 ? BF_SEV_CRITICAL : BF_SEV_HIGH;
        at_line = true;
        break;
    case BF_ALERT_ZONE_ENTRY:
        s = in->zone_severity > 0 ? in->zone_severity : BF_SEV_MEDIUM;
        break;
    case BF_ALERT_APPROACH:
        s = BF_SEV_MEDIUM;
        at_line = true;
        break;
    case BF_ALERT_LOITER:
        s = in->line_side > 0 ? BF_SEV_HIGH : BF_SEV_MEDIUM;
        at_line = true;
        break;
    case BF_ALERT_UGS_TRIGGER:
        s = in->modalities >= 2 ? BF_SEV_MEDIUM : BF_SEV_LOW;
        track = false;
        break;
    default:
        return BF_SEV_MEDIUM;
    }
    if (at_line && in->cls == BF_CLASS_VEHICLE && in->class_p >= BF_SEV_VEHICLE_P &&
        !(in->type == BF_ALERT_APPROACH && in->not_closing))
        s++;
    if (track && !(in->confidence >= BF_SEV_LOW_CONFIDENCE))
        s--;
    return (enum bf_severity)(s < BF_SEV_LOW ? BF_SEV_LOW : s > BF_SEV_CRITICAL ? BF_SEV_CRITICAL : s);
}

/* ---- per-track records (9): episode and dwell ----------------------------------------- */

static size_t rec_lower_bound(const struct bf_alerter *a, uint32_t track_id)
{
    _Static_assert(offsetof(struct bf_trk_rec, track_id) == 0, "the sort key (bf_key_u32)");
    return bf_sorted_lower(a->tr, a->n_tr, sizeof *a->tr, track_id, bf_key_u32);
}

static struct bf_trk_rec *rec_find(struct bf_alerter *a, uint32_t track_id)
{
    size_t i = rec_lower_bound(a, track_id);
    return (i < a->n_tr && a->tr[i].track_id == track_id) ? &a->tr[i] : NULL;
}

/* The track's record, created at now if absent; NULL when memory runs out.  Moves
 * the other records: a pointer from rec_find/rec_get is good until the next rec_get. */
struct bf_trk_rec *bf_rules_rec_get(struct bf_alerter *a, uint32_t track_id, bf_time_us now)
{
    size_t i = rec_lower_bound(a, track_id);
    if (i < a->n_tr && a->tr[i].track_id == track_id)
        return &a->tr[i];
    struct bf_trk_rec *nt = bf_sorted_open(a->tr, &a->n_tr, &a->cap_tr, sizeof *nt, i, 64);
    if (!nt)
        return NULL;
    a->tr = nt;
    struct bf_trk_rec *r = &a->tr[i];
    r->track_id = track_id;
    r->loiter_line = -1;
    r->near_since_us = BF_TIME_NONE;
    r->last_us = now;
    r->cls = r->cand_cls = BF_CLASS_COUNT;
    r->cand_since_us = BF_TIME_NONE;
    r->appr_hold_us = BF_TIME_NONE;
    r->cp_us = BF_TIME_NONE;
    r->last_e = r->last_n = NAN;
    r->theirs_line = -1;
    r->theirs_t = BF_TIME_NONE;
    r->join_line = -1;
    r->join_t = BF_TIME_NONE;
    return r;
}

static void rec_remove_at(struct bf_alerter *a, size_t i)
{
    bf_sorted_close(a->tr, &a->n_tr, sizeof *a->tr, i, 1);
}

/* ---- filling an alert from its track ---------------------------------------- */

void bf_rules_copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;   /* do not split a character */
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

bool bf_rules_is_line(const struct bf_alerter *a, int z)
{
    if (z < 0 || (size_t)z >= a->n_zones)
        return false;
    const struct bf_zone_info *zi = bf_geo_zone_info(a->zones, (size_t)z);
    return zi && zi->kind == BF_ZONE_BORDER_LINE;
}

/* Side of line z for the track now: the step's answer for the nearest line, else asked. */
static int side_of(struct bf_alerter *a, const struct bf_step_ctx *c, int z)
{
    if (z == c->step->nearest_line)
        return c->step->line_side;
    return bf_geo_line_side(a->zones, (size_t)z, c->trk->x[0], c->trk->x[1]);
}

/* Distance, time to line (INFINITY unless on their side) for line z, or the nearest line. */
static void line_metrics(struct bf_alerter *a, const struct bf_step_ctx *c, int z, double *dist_m,
                         double *ttl_s)
{
    const struct bf_geo_step *s = c->step;
    *dist_m = NAN;
    *ttl_s = INFINITY;
    if (!bf_rules_is_line(a, z))
        z = s->nearest_line;
    if (z < 0)
        return;
    if (z == s->nearest_line) {
        *dist_m = s->dist_to_line_m;
        if (s->line_side == -1 && c->ttl_s >= 0)
            *ttl_s = c->ttl_s;   /* at the closing speed (docs/alerts.md, APPROACH) */
    } else if (bf_rules_is_line(a, z)) {
        *dist_m = bf_geo_zone_distance(a->zones, (size_t)z, c->trk->x[0], c->trk->x[1]);
    }
}

static void compute_geo(struct bf_alerter *a, struct bf_step_ctx *c)
{
    if (c->have_geo)
        return;
    c->have_geo = true;
    const double *x = c->trk->x;
    double gamma = 0.0;
    if (bf_geo_to_wgs84(a->frame, x[0], x[1], &c->lat, &c->lon) < 0) {
        c->lat = c->lon = NAN;
    } else if (bf_geo_convergence(a->frame, c->lat, c->lon, &gamma) < 0 || !isfinite(gamma)) {
        gamma = 0.0;
    }
    /* grid bearing = true bearing + gamma: rotate the grid velocity by -gamma */
    c->ve = x[2] * cos(gamma) - x[3] * sin(gamma);
    c->vn = x[2] * sin(gamma) + x[3] * cos(gamma);
    c->speed = hypot(c->ve, c->vn);
    double h = atan2(c->ve, c->vn) * 180.0 / M_PI;
    if (h < 0)
        h += 360.0;
    c->heading = h >= 360.0 ? 0.0 : h;
}

/* Refresh the changing fields of l's alert from the track now. */
static void fill(struct bf_alerter *a, struct bf_step_ctx *c, struct bf_live *l)
{
    compute_geo(a, c);
    struct bf_alert *al = &l->a;
    al->last_us = c->now;
    al->lat_deg = c->lat;
    al->lon_deg = c->lon;
    al->ve_mps = c->ve;
    al->vn_mps = c->vn;
    al->speed_mps = c->speed;
    al->heading_deg = c->heading;
    al->cls = c->conf.cls;
    al->class_p = c->conf.class_term;
    al->confidence = c->conf.confidence;
    line_metrics(a, c, al->zone_idx, &al->dist_to_line_m, &al->time_to_line_s);
    al->sensors = c->trk->sensors;
    al->n_hits = c->trk->n_hits;
    al->exercise = a->p.exercise || (c->trk->flags & BF_DET_F_EXERCISE);
    if (al->type == BF_ALERT_LOITER) {
        al->dwell_s = c->dwell_s;
        int side = bf_rules_is_line(a, al->zone_idx) ? side_of(a, c, al->zone_idx) : 0;
        bf_rules_copy_utf8(al->reason, sizeof al->reason,
                  side > 0 ? "on our side" : side < 0 ? "on their side" : "on the line");
    }
    l->last_update_us = c->now;
}

/* ---- publication ------------------------------------------------------------ */

static bool power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

/* Number, enrich, then hand to the sink (delivery); failures are counted, never fatal. */
void bf_rules_publish(struct bf_alerter *a, struct bf_live *l)
{
    uint64_t seq = a->seq + 1, old_seq = l->a.seq;
    l->a.seq = seq;
    if (a->enrich)
        a->enrich(a->enrich_view, &l->a);
    int n;
    while ((n = bf_alert_to_json(&l->a, a->site, (const char *const *)a->sensor_ids, a->n_sensors,
                                 a->json, a->json_cap)) == BF_ERANGE &&
           a->json_cap < JSON_BUF_MAX) {
        char *nb = realloc(a->json, a->json_cap * 2);
        if (!nb)
            break;
        a->json = nb;
        a->json_cap *= 2;
    }
    if (n < 0) {
        l->a.seq = old_seq;   /* nothing went out: the number is not used */
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "alert %s: cannot format: %s", l->a.id, bf_strerror(n));
        return;
    }
    a->seq = seq;
    l->last_pub_us = l->a.last_us;
    switch (l->a.state) {
    case BF_ALERT_NEW: a->st.raised++; break;
    case BF_ALERT_UPDATED: a->st.updated++; break;
    case BF_ALERT_RESOLVED: a->st.resolved++; break;
    case BF_ALERT_FALSE_ALARM: a->st.false_alarms++; break;
    default: break;
    }
    if (a->sink.publish) {
        int rc = a->sink.publish(a->sink.ctx, &l->a, a->json, (size_t)n);
        if (rc < 0) {
            a->st.publish_errors++;
            if (power_of_two(a->st.publish_errors))
                BF_LOGE(LOG_COMP, "sink refused alert %s seq %" PRIu64 ": %s (%" PRIu64 " so far)",
                        l->a.id, seq, bf_strerror(rc), a->st.publish_errors);
        }
    }
}

/* Resolve v[i] at event time t_us (not earlier than its last change) and drop it. */
void bf_rules_resolve_at(struct bf_alerter *a, size_t i, bf_time_us t_us)
{
    struct bf_live *l = &a->v[i];
    l->a.state = BF_ALERT_RESOLVED;
    if (t_us > l->a.last_us)
        l->a.last_us = t_us;
    bf_rules_publish(a, l);
    live_remove(a, i);
}

/* Update l from the track; publish if the severity changed or the interval has passed. */
static void update(struct bf_alerter *a, struct bf_step_ctx *c, struct bf_live *l, enum bf_severity sev)
{
    if (l->a.state == BF_ALERT_LOST) {   /* went LOST idle, and its own track is back */
        l->a.state = l->a.ack_by[0] ? BF_ALERT_ACKNOWLEDGED : BF_ALERT_UPDATED;
        l->a.lost_us = BF_TIME_NONE;
        l->a.lost_radius_m = l->a.lost_growth_mps = NAN;
        snprintf(l->a.cause, sizeof l->a.cause, "reacquired by track %" PRIu32, c->trk->id);
        l->force_pub = true;
        a->st.reacquired++;
    }
    fill(a, c, l);
    l->touched = a->step_no;
    if (sev < l->a.severity)
        sev = l->a.severity;   /* a live alert's severity only rises (docs/alerts.md) */
    bool sev_changed = sev != l->a.severity;
    l->a.severity = sev;
    bf_time_us min_us = bf_time_from_s(a->p.update_min_interval_s);
    if (sev_changed || l->force_pub || c->now - l->last_pub_us >= min_us) {
        if (l->a.state == BF_ALERT_NEW)   /* an operator's ACKNOWLEDGED stays */
            l->a.state = BF_ALERT_UPDATED;
        bf_rules_publish(a, l);
        if (l->force_pub)   /* "reacquired by track N" is said once */
            l->a.cause[0] = '\0';
        l->force_pub = false;
    }
}

/* ---- raising ------------------------------------------------------------------ */

/* May this track raise a new alert now?  Counts the suppressions. */
static bool gate(struct bf_alerter *a, const struct bf_step_ctx *c)
{
    if (!c->base_ok)
        return false;
    if (c->trk->flags & BF_DET_F_TEST) {
        a->st.suppressed_test++;
        return false;
    }
    if (c->step->inside & a->mask_no_alert) {
        a->st.suppressed_no_alert++;
        return false;
    }
    if ((unsigned)c->cls < 32 && (a->p.suppress_classes & (1u << c->cls))) {
        a->st.suppressed_class++;
        return false;
    }
    if (c->conf.confidence < a->p.min_confidence) {
        a->st.suppressed_confidence++;
        return false;
    }
    return true;
}

static void raise_alert(struct bf_alerter *a, struct bf_step_ctx *c, enum bf_alert_type type, int z,
                        enum bf_severity sev, bf_time_us crossing_us)
{
    const struct bf_zone_info *zi = z >= 0 ? bf_geo_zone_info(a->zones, (size_t)z) : NULL;
    char id[BF_ALERT_ID_LEN];
    if (bf_alert_make_id(a->site, type, c->trk->id, zi ? zi->id : "", c->now, id) < 0) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "track %" PRIu32 ": cannot make an alert id", c->trk->id);
        return;
    }
    struct bf_live *l = bf_rules_live_insert(a, bf_rules_key_of(c->trk->id, zi ? z : -1, type));
    if (!l) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "track %" PRIu32 ": out of memory raising %s", c->trk->id,
                bf_alert_type_name(type));
        return;
    }
    struct bf_alert *al = &l->a;
    memcpy(al->id, id, sizeof id);
    al->type = type;
    al->severity = sev;
    al->state = BF_ALERT_NEW;
    al->track_id = c->trk->id;
    al->zone_idx = zi ? z : -1;
    bf_rules_copy_utf8(al->zone_id, sizeof al->zone_id, zi ? zi->id : "");
    bf_rules_copy_utf8(al->zone_name, sizeof al->zone_name, zi ? (zi->name ? zi->name : zi->id) : "");
    al->zone_kind = zi ? zi->kind : BF_ZONE_BORDER_LINE;
    al->first_us = c->now;
    al->crossing_us = crossing_us;
    al->sensor_idx = -1;
    /* the episode: the id of the track's first alert (or of the UGS_TRIGGER it covered) */
    struct bf_trk_rec *r = bf_rules_rec_get(a, c->trk->id, c->now);
    if (r && !r->episode[0])
        memcpy(r->episode, id, sizeof id);
    memcpy(al->episode, r ? r->episode : id, sizeof al->episode);
    fill(a, c, l);
    l->touched = a->step_no;
    bf_rules_publish(a, l);
}

/* A rule fired for (type, zone): update the live alert or raise a new one. */
void bf_rules_trigger(struct bf_alerter *a, struct bf_step_ctx *c, enum bf_alert_type type, int z,
                    enum bf_severity sev, bf_time_us crossing_us)
{
    struct bf_live *l = bf_rules_live_find(a, bf_rules_key_of(c->trk->id, z, type));
    if (l) {
        if (l->touched != a->step_no)
            update(a, c, l, sev);
    } else if (closed_find(a, bf_rules_key_of(c->trk->id, z, type))) {
        a->st.reraise_blocked++;   /* an operator closed it: not again while the track lives */
    } else if (gate(a, c)) {
        raise_alert(a, c, type, z, sev, crossing_us);
    }
}

/* The severity of a track alert of type on zone z now (bf_alert_severity). */
enum bf_severity bf_rules_track_sev(struct bf_alerter *a, const struct bf_step_ctx *c,
                                  enum bf_alert_type type, int z)
{
    const struct bf_zone_info *zi = z >= 0 ? bf_geo_zone_info(a->zones, (size_t)z) : NULL;
    struct bf_sev_in in = {
        .type = type,
        .zone_severity = zi ? zi->severity : 0,
        .line_side = (type == BF_ALERT_LOITER && bf_rules_is_line(a, z)) ? side_of(a, c, z) : 0,
        .cls = c->cls,
        .confidence = c->conf.confidence,
        .class_p = c->cls_p,
        .not_closing = !(c->closing_mps >= c->closing_min_mps),
    };
    if (type == BF_ALERT_ZONE_ENTRY && zi && zi->kind == BF_ZONE_CROSSING_POINT)
        in.zone_severity = BF_SEV_LOW;   /* informational: a passage (crossing_point_events) */
    return bf_alert_severity(&in);
}

const struct bf_track_point *bf_rules_hist_at(const struct bf_track *trk, unsigned i)
{
    return &trk->hist[(trk->hist_head + i) % BF_TRACK_HIST];
}

/*
 * Crossing time for a crossing at fraction frac of the segment from the
 * track's previous history point (the newest one older than now) to now.
 */
static bf_time_us crossing_time(const struct bf_step_ctx *c, double frac)
{
    const struct bf_track *trk = c->trk;
    unsigned len = trk->hist_len <= BF_TRACK_HIST ? trk->hist_len : BF_TRACK_HIST;
    for (unsigned k = len; k-- > 0;) {
        const struct bf_track_point *pt = bf_rules_hist_at(trk, k);
        if (pt->t_us < c->now) {
            if (!isfinite(frac) || frac < 0)
                frac = 0;
            if (frac > 1)
                frac = 1;
            return pt->t_us + (bf_time_us)llround(frac * (double)(c->now - pt->t_us));
        }
    }
    return c->now;
}

/*
 * Late confirmation: the first move from their side to ours in the track's
 * history (then now), interpolated between the two points by their distances
 * to the line.  now if none is found.
 */
static bf_time_us late_crossing_time(struct bf_alerter *a, const struct bf_step_ctx *c, int z)
{
    const struct bf_track *trk = c->trk;
    unsigned len = trk->hist_len <= BF_TRACK_HIST ? trk->hist_len : BF_TRACK_HIST;
    bool have_theirs = false;
    struct bf_track_point theirs = {0};
    for (unsigned k = 0; k <= len; k++) {
        struct bf_track_point pt =
            k < len ? *bf_rules_hist_at(trk, k)
                    : (struct bf_track_point){.t_us = c->now, .e_m = trk->x[0], .n_m = trk->x[1]};
        int side = k < len ? bf_geo_line_side(a->zones, (size_t)z, pt.e_m, pt.n_m) : side_of(a, c, z);
        if (side == -1) {
            have_theirs = true;
            theirs = pt;
        } else if (side == +1 && have_theirs) {
            double d0 = bf_geo_zone_distance(a->zones, (size_t)z, theirs.e_m, theirs.n_m);
            double d1 = bf_geo_zone_distance(a->zones, (size_t)z, pt.e_m, pt.n_m);
            double frac = (isfinite(d0) && isfinite(d1) && d0 + d1 > 0) ? d0 / (d0 + d1) : 0.0;
            return theirs.t_us + (bf_time_us)llround(frac * (double)(pt.t_us - theirs.t_us));
        }
    }
    return c->now;
}

/* ---- the rules ------------------------------------------------------------------ */

/* Is (e, n) inside, or within the geofence hysteresis of, a crossing_point zone? */
static bool at_crossing_point(struct bf_alerter *a, double e_m, double n_m)
{
    uint64_t m = a->mask_cp;
    while (m) {
        int z = __builtin_ctzll(m);
        m &= m - 1;
        if (bf_geo_zone_contains(a->zones, (size_t)z, e_m, n_m) ||
            bf_geo_zone_distance(a->zones, (size_t)z, e_m, n_m) <= CP_NEAR_M)
            return true;
    }
    return false;
}

/* Crossing time between a point on their side and one on ours, by their distances to line z. */
static bf_time_us between(struct bf_alerter *a, int z, const struct bf_track_point *theirs,
                          const struct bf_track_point *ours)
{
    double d0 = bf_geo_zone_distance(a->zones, (size_t)z, theirs->e_m, theirs->n_m);
    double d1 = bf_geo_zone_distance(a->zones, (size_t)z, ours->e_m, ours->n_m);
    double frac = (isfinite(d0) && isfinite(d1) && d0 + d1 > 0) ? d0 / (d0 + d1) : 0.0;
    return theirs->t_us + (bf_time_us)llround(frac * (double)(ours->t_us - theirs->t_us));
}

/*
 * Joined history (docs/alerts.md): the track continues a lost one whose last
 * sighting was on their side of join_line, and it is on our side of that line
 * now: the predecessor's crossing, which neither fragment saw whole.  The
 * crossing time lies between the predecessor's last point on their side and
 * the successor's first point on ours.  Forgotten when raised, or when the
 * track is seen on their side (the ordinary rules take over).
 */
static void rule_joined(struct bf_alerter *a, struct bf_step_ctx *c)
{
    struct bf_trk_rec *r = c->r;
    if (!r || r->join_line < 0)
        return;
    int z = r->join_line;
    if (!bf_rules_is_line(a, z) || side_of(a, c, z) == -1 ||
        bf_rules_live_find(a, bf_rules_key_of(c->trk->id, z, BF_ALERT_INCURSION))) {
        r->join_line = -1;
        return;
    }
    if (side_of(a, c, z) != +1 || c->cp_recent)
        return;
    struct bf_track_point ours = {.t_us = c->now, .e_m = c->trk->x[0], .n_m = c->trk->x[1]};
    unsigned len = c->trk->hist_len <= BF_TRACK_HIST ? c->trk->hist_len : BF_TRACK_HIST;
    for (unsigned k = 0; k < len; k++) {
        const struct bf_track_point *pt = bf_rules_hist_at(c->trk, k);
        if (bf_geo_line_side(a->zones, (size_t)z, pt->e_m, pt->n_m) == +1) {
            ours = *pt;
            break;
        }
    }
    struct bf_track_point theirs = {.t_us = r->join_t, .e_m = r->join_e, .n_m = r->join_n};
    bf_rules_trigger(a, c, BF_ALERT_INCURSION, z, bf_rules_track_sev(a, c, BF_ALERT_INCURSION, z),
            between(a, z, &theirs, &ours));
    if (bf_rules_live_find(a, bf_rules_key_of(c->trk->id, z, BF_ALERT_INCURSION))) {
        a->st.joined_incursions++;
        r->join_line = -1;
    }
}

static void rule_incursion(struct bf_alerter *a, struct bf_step_ctx *c)
{
    const struct bf_geo_step *s = c->step;
    int nc = s->n_crossings < 0 ? 0 : s->n_crossings > BF_GEO_MAX_CROSSINGS ? BF_GEO_MAX_CROSSINGS
                                                                            : s->n_crossings;
    for (int i = 0; i < nc; i++) {
        const struct bf_geo_crossing *cr = &s->crossings[i];
        if (cr->dir != +1 || !bf_rules_is_line(a, cr->zone))
            continue;
        /* through an official crossing point: normal traffic, not an incursion */
        if (a->mask_cp && (c->cp_recent || at_crossing_point(a, cr->e_m, cr->n_m))) {
            if (!bf_rules_live_find(a, bf_rules_key_of(c->trk->id, cr->zone, BF_ALERT_INCURSION)))
                a->st.crossing_point++;
            continue;
        }
        bf_rules_trigger(a, c, BF_ALERT_INCURSION, cr->zone, bf_rules_track_sev(a, c, BF_ALERT_INCURSION, cr->zone),
                crossing_time(c, cr->frac));
    }
    /* late confirmation: on our side now, its earliest remembered point on theirs */
    int z = s->nearest_line;
    if (!bf_rules_is_line(a, z) || s->line_side != +1 || c->trk->hist_len == 0 || c->cp_recent ||
        bf_rules_live_find(a, bf_rules_key_of(c->trk->id, z, BF_ALERT_INCURSION)))
        goto joined;
    const struct bf_track_point *oldest = bf_rules_hist_at(c->trk, 0);
    if (bf_geo_line_side(a->zones, (size_t)z, oldest->e_m, oldest->n_m) != -1)
        goto joined;
    bf_rules_trigger(a, c, BF_ALERT_INCURSION, z, bf_rules_track_sev(a, c, BF_ALERT_INCURSION, z),
            late_crossing_time(a, c, z));
joined:
    rule_joined(a, c);
}

static void rule_zone_entry(struct bf_alerter *a, struct bf_step_ctx *c)
{
    uint64_t m = c->step->inside & (a->mask_restricted | (a->p.crossing_point_events ? a->mask_cp : 0));
    while (m) {
        int z = __builtin_ctzll(m);
        m &= m - 1;
        bf_rules_trigger(a, c, BF_ALERT_ZONE_ENTRY, z, bf_rules_track_sev(a, c, BF_ALERT_ZONE_ENTRY, z), BF_TIME_NONE);
    }
}

/*
 * Speed (m/s) at which a track at (e, n) moving (ve, vn) closes on border
 * line z: its velocity along the normal to the line at the nearest point
 * (towards the line positive).  Moving along the line closes nothing.  NAN on
 * the line or without geometry.
 */
static double closing_speed(const struct bf_alerter *a, int z, double e, double n, double ve,
                            double vn)
{
    const double *xy = NULL;
    size_t nv = bf_geo_line_vertices(a->zones, (size_t)z, &xy);
    if (nv < 2 || !xy)
        return NAN;
    double best = INFINITY, qx = 0, qy = 0;
    for (size_t i = 0; i + 1 < nv; i++) {
        double ax = xy[2 * i], ay = xy[2 * i + 1], dx = xy[2 * i + 2] - ax, dy = xy[2 * i + 3] - ay;
        double l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? ((e - ax) * dx + (n - ay) * dy) / l2 : 0.0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double px = ax + t * dx, py = ay + t * dy, d2 = (e - px) * (e - px) + (n - py) * (n - py);
        if (d2 < best) {
            best = d2;
            qx = px;
            qy = py;
        }
    }
    double d = sqrt(best);
    if (!(d > 1e-6))
        return NAN;
    return -((e - qx) * ve + (n - qy) * vn) / d;
}

/*
 * The nearest line's closing speed, time to the line at it and APPROACH's
 * hold condition for this step (their side only), into c.
 */
static void approach_metrics(struct bf_alerter *a, struct bf_step_ctx *c)
{
    const struct bf_geo_step *s = c->step;
    c->closing_mps = NAN;
    c->closing_min_mps = a->p.approach_min_closing_mps;
    c->ttl_s = INFINITY;
    c->appr_hold = false;
    if (!bf_rules_is_line(a, s->nearest_line) || s->line_side != -1)
        return;
    c->closing_mps = closing_speed(a, s->nearest_line, c->trk->x[0], c->trk->x[1], c->trk->x[2],
                                   c->trk->x[3]);
    double d = s->dist_to_line_m;
    /* closing: at least approach_min_closing_mps, and at an angle to the line of at least
     * APPROACH_MIN_ANGLE_DEG (a car on the border road with a little heading noise is not) */
    double vmin = fmax(a->p.approach_min_closing_mps,
                       hypot(c->trk->x[2], c->trk->x[3]) * sin(APPROACH_MIN_ANGLE_DEG * M_PI / 180.0));
    c->closing_min_mps = vmin;
    if (c->closing_mps >= vmin && c->closing_mps > 0)
        c->ttl_s = d / c->closing_mps;
    /* hold: closing at half the minimum, within the thresholds widened by the clear factor */
    double f = a->p.approach_clear_factor;
    double ttl_h = c->closing_mps > 0 ? d / c->closing_mps : INFINITY;
    c->appr_hold = c->closing_mps >= 0.5 * vmin &&
                   ((a->p.approach_distance_m > 0 && d <= f * a->p.approach_distance_m) ||
                    (a->p.approach_time_s > 0 && ttl_h <= f * a->p.approach_time_s));
}

/* Is the track heading for a crossing point (inside one now, or its path meets the line in one)? */
static bool heading_for_crossing_point(struct bf_alerter *a, const struct bf_step_ctx *c)
{
    if (!a->mask_cp)
        return false;
    if (c->cp_recent)
        return true;
    double t = c->step->time_to_line_s;
    if (!isfinite(t) || t < 0)
        return false;
    return at_crossing_point(a, c->trk->x[0] + c->trk->x[2] * t, c->trk->x[1] + c->trk->x[3] * t);
}

/*
 * APPROACH (docs/alerts.md): on their side, closing on the nearest line at
 * approach_min_closing_mps or more, and within approach_distance_m of it or
 * approach_time_s of it at that closing speed.  Raised on that; kept while
 * the hold condition (approach_metrics) holds, and for approach_min_dwell_s
 * after it last held (follow_up), so heading noise around a threshold does
 * not make it flap.
 */
static void rule_approach(struct bf_alerter *a, struct bf_step_ctx *c)
{
    const struct bf_geo_step *s = c->step;
    if (!bf_rules_is_line(a, s->nearest_line) || s->line_side != -1)
        return;
    /* a track whose incursion on this line is still live is not approaching it */
    if (bf_rules_live_find(a, bf_rules_key_of(c->trk->id, s->nearest_line, BF_ALERT_INCURSION)))
        return;
    if (c->appr_hold && c->r)
        c->r->appr_hold_us = c->now;
    bool closing = c->closing_mps >= c->closing_min_mps;
    bool raise = closing && ((a->p.approach_distance_m > 0 && s->dist_to_line_m <= a->p.approach_distance_m) ||
                             (a->p.approach_time_s > 0 && c->ttl_s <= a->p.approach_time_s));
    if (!raise || heading_for_crossing_point(a, c))
        return;
    bf_rules_trigger(a, c, BF_ALERT_APPROACH, s->nearest_line,
            bf_rules_track_sev(a, c, BF_ALERT_APPROACH, s->nearest_line), BF_TIME_NONE);
}

static bool crossed_in(const struct bf_geo_step *s, int z)
{
    for (int i = 0; i < s->n_crossings && i < BF_GEO_MAX_CROSSINGS; i++)
        if (s->crossings[i].zone == z && s->crossings[i].dir == +1)
            return true;
    return false;
}

/* Leave the band only this far beyond loiter_distance_m (a fraction of it). */
#define LOITER_HYSTERESIS 0.2
/* Travelling this many loiter_distance_m over loiter_time_s is passing along the line. */
#define LOITER_TRAVEL 2.0

/*
 * LOITER: the dwell record starts when the track is first within
 * loiter_distance_m of its nearest line (either side) and is forgotten when
 * it is farther than loiter_distance_m * (1 + LOITER_HYSTERESIS), when the
 * nearest line changes, or on a crossing onto our side (INCURSION takes
 * over).  Dwell of loiter_time_s event time triggers LOITER, unless the
 * track's INCURSION on that line is live, or it is passing through: its
 * signed distance to the line changed by loiter_progress_m or more over the
 * last loiter_time_s (a walker heading for the line at 1.3 m/s covers 117 m
 * in 90 s; judged on positions, not on the velocity estimate, which a noisy
 * track can show near zero for a scan), or it is on their side closing in to
 * reach the line within loiter_time_s.  A live LOITER keeps following it.
 */
static void rule_loiter(struct bf_alerter *a, struct bf_step_ctx *c)
{
    if (!(a->p.loiter_distance_m > 0))
        return;
    const struct bf_geo_step *s = c->step;
    int z = s->nearest_line;
    double d = s->dist_to_line_m;
    bool line = bf_rules_is_line(a, z) && isfinite(d);
    struct bf_trk_rec *r = c->r;
    if (r && r->near_since_us != BF_TIME_NONE &&
        (!line || z != r->loiter_line || crossed_in(s, z) ||
         !(d <= a->p.loiter_distance_m * (1.0 + LOITER_HYSTERESIS))))
        r->near_since_us = BF_TIME_NONE;
    if (line && d <= a->p.loiter_distance_m && !crossed_in(s, z) &&
        r && r->near_since_us == BF_TIME_NONE) {
        r->loiter_line = z;
        r->near_since_us = c->now;
    }
    if (!r || r->near_since_us == BF_TIME_NONE)
        return;
    if (r->near_since_us == c->now)
        r->smp_n = 0;   /* a new dwell */
    double sd = s->line_side < 0 ? -d : d;
    bf_time_us every = bf_time_from_s(a->p.loiter_time_s / 4.0);
    if (r->smp_n == 0 || c->now - r->smp_t[r->smp_n - 1] >= every) {
        if (r->smp_n == BF_LOITER_SAMPLES) {
            memmove(r->smp_t, r->smp_t + 1, (BF_LOITER_SAMPLES - 1) * sizeof r->smp_t[0]);
            memmove(r->smp_d, r->smp_d + 1, (BF_LOITER_SAMPLES - 1) * sizeof r->smp_d[0]);
            memmove(r->smp_e, r->smp_e + 1, (BF_LOITER_SAMPLES - 1) * sizeof r->smp_e[0]);
            memmove(r->smp_n_m, r->smp_n_m + 1, (BF_LOITER_SAMPLES - 1) * sizeof r->smp_n_m[0]);
            r->smp_n--;
        }
        r->smp_t[r->smp_n] = c->now;
        r->smp_e[r->smp_n] = c->trk->x[0];
        r->smp_n_m[r->smp_n] = c->trk->x[1];
        r->smp_d[r->smp_n++] = sd;
    }
    c->dwell_s = bf_time_to_s(c->now - r->near_since_us);
    if (c->dwell_s < a->p.loiter_time_s ||
        bf_rules_live_find(a, bf_rules_key_of(c->trk->id, z, BF_ALERT_INCURSION)))
        return;
    bool live = bf_rules_live_find(a, bf_rules_key_of(c->trk->id, z, BF_ALERT_LOITER)) != NULL;
    /* the newest sample at least loiter_time_s old: the progress over the window */
    bf_time_us window = bf_time_from_s(a->p.loiter_time_s);
    unsigned k = r->smp_n;
    while (k > 0 && c->now - r->smp_t[k - 1] < window)
        k--;
    if (!live && k > 0 && fabs(sd - r->smp_d[k - 1]) >= a->p.loiter_progress_m)
        return;
    /* going somewhere along the line (a car on the border road) is not dwelling */
    if (!live && k > 0 &&
        hypot(c->trk->x[0] - r->smp_e[k - 1], c->trk->x[1] - r->smp_n_m[k - 1]) >=
            LOITER_TRAVEL * a->p.loiter_distance_m)
        return;
    if (s->line_side == -1 && c->ttl_s <= a->p.loiter_time_s && !live)
        return;
    if (!live && c->cp_recent)
        return;   /* waiting at a crossing point is normal traffic */
    bf_rules_trigger(a, c, BF_ALERT_LOITER, z, bf_rules_track_sev(a, c, BF_ALERT_LOITER, z), BF_TIME_NONE);
}

/*
 * The track's live alerts no trigger handled in this step: resolve those
 * whose condition has ended, update the others (they follow their track).
 */
static void follow_up(struct bf_alerter *a, struct bf_step_ctx *c)
{
    size_t i = bf_rules_lower_bound(a, bf_rules_key_of(c->trk->id, -1, 0));
    uint64_t end = bf_rules_key_of(c->trk->id, -1, 0) + (UINT64_C(1) << 16);
    while (i < a->n && a->v[i].key < end) {
        struct bf_live *l = &a->v[i];
        if (l->touched == a->step_no) {
            i++;
            continue;
        }
        int z = l->a.zone_idx;
        bool ended = false;
        switch (l->a.type) {
        case BF_ALERT_INCURSION:
            /* back on their side, and clearly so: a track wobbling on the
             * line (noise, a group pausing at the fence) stays one incursion;
             * one an operator took stays until the operator closes it */
            if (bf_rules_is_line(a, z) && side_of(a, c, z) == -1 && l->a.state != BF_ALERT_ACKNOWLEDGED) {
                double dist, ttl;
                line_metrics(a, c, z, &dist, &ttl);
                ended = !(dist <= a->p.rearm_distance_m);
            }
            break;
        case BF_ALERT_ZONE_ENTRY:
            ended = z < 0 || !(c->step->inside & (UINT64_C(1) << z));
            break;
        case BF_ALERT_APPROACH: {
            if (!bf_rules_is_line(a, z)) {
                ended = true;
                break;
            }
            /* onto our side: the INCURSION takes over at once; else the hold
             * condition must have failed for approach_min_dwell_s (hysteresis) */
            bool hold = z == c->step->nearest_line && c->appr_hold;
            bf_time_us since = c->r ? c->r->appr_hold_us : BF_TIME_NONE;
            ended = crossed_in(c->step, z) || side_of(a, c, z) == +1 ||
                    (!hold && (since == BF_TIME_NONE ||
                               c->now - since >= bf_time_from_s(a->p.approach_min_dwell_s)));
            break;
        }
        case BF_ALERT_LOITER:
            ended = true;   /* rule_loiter touches it while the dwell lasts */
            break;
        default:
            break;
        }
        if (ended) {
            fill(a, c, l);
            bf_rules_resolve_at(a, i, c->now);   /* removes v[i]: i now names the next one */
        } else {
            update(a, c, l, bf_rules_track_sev(a, c, l->a.type, z));
            i++;
        }
    }
}

/* ---- track end (LOST), continuation, class persistence (docs/alerts.md) ------------------- */

/* A plausible top speed of a class (m/s): how fast a LOST area grows, how far a walker from a
 * ground sensor may have come. */
double bf_rules_class_speed_mps(enum bf_class c)
{
    switch (c) {
    case BF_CLASS_PERSON: return 3.0;
    case BF_CLASS_VEHICLE: return 25.0;
    case BF_CLASS_ANIMAL: return 8.0;
    case BF_CLASS_VESSEL: return 10.0;
    case BF_CLASS_AIRCRAFT: return 60.0;
    default: return 5.0;
    }
}

/* Does an alert of this type and state go LOST (not RESOLVED) when its track ends? */
static bool goes_lost(const struct bf_alert *al)
{
    if (al->state == BF_ALERT_ACKNOWLEDGED)
        return true;   /* an operator took it: it waits for the operator */
    return al->type == BF_ALERT_INCURSION ||
           (al->type == BF_ALERT_ZONE_ENTRY && al->zone_kind == BF_ZONE_RESTRICTED);
}

/* Make l LOST: last seen at seen_us at (lat, lon), published at t_us. */
static void make_lost(struct bf_alerter *a, struct bf_live *l, bf_time_us seen_us, double lat,
                      double lon, enum bf_class cls, bf_time_us t_us)
{
    struct bf_alert *al = &l->a;
    al->state = BF_ALERT_LOST;
    al->lost_us = seen_us != BF_TIME_NONE ? seen_us : al->last_us;
    if (isfinite(lat) && isfinite(lon)) {
        al->lat_deg = lat;
        al->lon_deg = lon;
    }
    al->lost_radius_m = a->p.lost_radius_m;
    al->lost_growth_mps = bf_rules_class_speed_mps(cls);
    bf_rules_copy_utf8(al->cause, sizeof al->cause, "track lost");
    if (t_us > al->last_us)
        al->last_us = t_us;
    if (al->last_us > l->last_update_us)
        l->last_update_us = al->last_us;
    a->st.lost++;
    bf_rules_publish(a, l);
}

/*
 * The track ended (BF_CHANGE_DELETED): its INCURSION, restricted ZONE_ENTRY
 * and acknowledged alerts become LOST at its last sighting (the newest
 * history point), the others are RESOLVED "track lost"; its record stays,
 * marked lost, with its last sighting's side, for a successor to take over.
 */
static void lose_track(struct bf_alerter *a, const struct bf_track *trk)
{
    bf_time_us t = trk->t_us;
    struct bf_track_point seen = {.t_us = t, .e_m = trk->x[0], .n_m = trk->x[1]};
    unsigned len = trk->hist_len <= BF_TRACK_HIST ? trk->hist_len : BF_TRACK_HIST;
    if (len)
        seen = *bf_rules_hist_at(trk, len - 1);
    double lat = NAN, lon = NAN;
    if (!isfinite(seen.e_m) || !isfinite(seen.n_m) ||
        bf_geo_to_wgs84(a->frame, seen.e_m, seen.n_m, &lat, &lon) < 0)
        lat = lon = NAN;
    struct bf_trk_rec *r = rec_find(a, trk->id);
    enum bf_class cls = r && r->cls < BF_CLASS_COUNT ? (enum bf_class)r->cls : BF_CLASS_UNKNOWN;
    size_t i = bf_rules_lower_bound(a, bf_rules_key_of(trk->id, -1, 0));
    uint64_t end = bf_rules_key_of(trk->id, -1, 0) + (UINT64_C(1) << 16);
    while (i < a->n && a->v[i].key < end) {
        struct bf_live *l = &a->v[i];
        if (l->a.state == BF_ALERT_LOST) {
            i++;
        } else if (goes_lost(&l->a)) {
            make_lost(a, l, seen.t_us, lat, lon, cls, t);
            i++;
        } else {
            bf_rules_copy_utf8(l->a.cause, sizeof l->a.cause, "track lost");
            bf_rules_resolve_at(a, i, t);
        }
    }
    if (r && trk->confirmed_us == BF_TIME_NONE && r->cp_us == BF_TIME_NONE &&
        !(i > 0 && (uint32_t)(a->v[i - 1].key >> 16) == trk->id)) {
        rec_remove_at(a, (size_t)(r - a->tr));   /* never confirmed: nothing to hand over */
        r = NULL;
    }
    if (!r) {
        closed_forget_track(a, trk->id);   /* nothing to hand over */
        return;
    }
    r->lost = true;
    r->last_us = t;
    r->near_since_us = BF_TIME_NONE;
    /* the side of its last sighting, at the nearest line: a successor on our side crossed */
    r->theirs_line = -1;
    double best = INFINITY;
    for (size_t z = 0; z < a->n_zones && isfinite(seen.e_m); z++) {
        if (!bf_rules_is_line(a, (int)z))
            continue;
        double d = bf_geo_zone_distance(a->zones, z, seen.e_m, seen.n_m);
        if (isfinite(d) && d < best) {
            best = d;
            r->theirs_line = bf_geo_line_side(a->zones, z, seen.e_m, seen.n_m) == -1 ? (int)z : -1;
        }
    }
    r->theirs_t = seen.t_us;
    r->theirs_e = seen.e_m;
    r->theirs_n = seen.n_m;
}

/*
 * Track trk continues the lost track trk->continues_id (the tracker gated it
 * in position, velocity, time and class): once, at its first confirmed (or
 * coasting) change that names it, take over the predecessor's alerts (re-keyed; a LOST one is
 * reacquired: UPDATED, or ACKNOWLEDGED when an operator had taken it, with
 * the same id, episode and operator fields, reason "reacquired by track N",
 * published at its next update, this step), its record (episode, dwell,
 * class, crossing point, and its last sighting on their side as joined
 * history) and its closed keys.
 */
static void join_predecessor(struct bf_alerter *a, const struct bf_track *trk, bf_time_us now)
{
    uint32_t old = trk->continues_id, nid = trk->id;
    if (!old || old == nid || old >= UINT32_MAX - 128)
        return;
    struct bf_trk_rec *nr = rec_find(a, nid);
    if (nr && nr->joined_from == old)
        return;   /* done at an earlier step */
    size_t i = bf_rules_lower_bound(a, bf_rules_key_of(old, -1, 0));
    bool has_alerts = i < a->n && (uint32_t)(a->v[i].key >> 16) == old;
    size_t ci = bf_rules_closed_lower_bound(a, bf_rules_key_of(old, -1, 0));
    bool has_closed = ci < a->n_closed && (uint32_t)(a->closed[ci] >> 16) == old;
    if (!rec_find(a, old) && !has_alerts && !has_closed)
        return;
    nr = bf_rules_rec_get(a, nid, now);
    if (!nr)
        return;
    nr->joined_from = old;
    size_t oi = rec_lower_bound(a, old);
    if (oi < a->n_tr && a->tr[oi].track_id == old) {
        struct bf_trk_rec *o = &a->tr[oi];
        nr = rec_find(a, nid);
        if (!nr->episode[0])
            memcpy(nr->episode, o->episode, sizeof nr->episode);
        if (o->near_since_us != BF_TIME_NONE && nr->near_since_us == BF_TIME_NONE) {
            nr->loiter_line = o->loiter_line;
            nr->near_since_us = o->near_since_us;
            memcpy(nr->smp_t, o->smp_t, sizeof nr->smp_t);
            memcpy(nr->smp_d, o->smp_d, sizeof nr->smp_d);
            memcpy(nr->smp_e, o->smp_e, sizeof nr->smp_e);
            memcpy(nr->smp_n_m, o->smp_n_m, sizeof nr->smp_n_m);
            nr->smp_n = o->smp_n;
        }
        if (o->cls < BF_CLASS_COUNT) {
            nr->cls = o->cls;
            nr->may_alert = o->may_alert;
        }
        if (o->cp_us != BF_TIME_NONE && (nr->cp_us == BF_TIME_NONE || o->cp_us > nr->cp_us))
            nr->cp_us = o->cp_us;
        if (nr->appr_hold_us == BF_TIME_NONE)
            nr->appr_hold_us = o->appr_hold_us;
        if (o->theirs_line >= 0) {   /* joined history (rule_joined) */
            nr->join_line = o->theirs_line;
            nr->join_t = o->theirs_t;
            nr->join_e = o->theirs_e;
            nr->join_n = o->theirs_n;
        }
        nr->ugs_checked = true;   /* it has a history: the ground-sensor join is not for it */
        rec_remove_at(a, rec_lower_bound(a, old));
    }
    /* closed keys: an operator's verdict holds for the successor */
    while ((ci = bf_rules_closed_lower_bound(a, bf_rules_key_of(old, -1, 0))) < a->n_closed &&
           (uint32_t)(a->closed[ci] >> 16) == old) {
        uint64_t k = a->closed[ci];
        bf_sorted_close(a->closed, &a->n_closed, sizeof *a->closed, ci, 1);
        if (!bf_rules_live_find(a, bf_rules_key_of(nid, -1, 0) + (k & 0xffff)) &&
            !closed_add(a, bf_rules_key_of(nid, -1, 0) + (k & 0xffff)))
            BF_LOGE(LOG_COMP, "out of memory moving a closed key to track %" PRIu32, nid);
    }
    /* the alerts, in key order; `kept` of them stay with the old track at the front of its
     * range: those an operator holds while the successor has its own */
    size_t kept = 0;
    while ((i = bf_rules_lower_bound(a, bf_rules_key_of(old, -1, 0)) + kept) < a->n &&
           (uint32_t)(a->v[i].key >> 16) == old) {
        struct bf_live moved = a->v[i];
        uint64_t nk = bf_rules_key_of(nid, -1, 0) + (moved.key & 0xffff);
        if (bf_rules_live_find(a, nk) || closed_find(a, nk)) {   /* the successor has its own already */
            if (moved.a.ack_by[0] || moved.a.assigned_unit[0]) {
                kept++;   /* an operator holds it: no rule closes it (docs/alerts.md, LOST) */
                continue;
            }
            snprintf(a->v[i].a.cause, sizeof a->v[i].a.cause, "continued by track %" PRIu32, nid);
            bf_rules_resolve_at(a, i, now);
            continue;
        }
        struct bf_live *l = bf_rules_live_rekey(a, i, nk);
        if (!l)
            continue;   /* out of memory: lost, counted and logged by the rekey */
        moved.key = nk;
        moved.a.track_id = nid;
        moved.touched = 0;
        if (moved.a.state == BF_ALERT_LOST) {
            moved.a.state = moved.a.ack_by[0] ? BF_ALERT_ACKNOWLEDGED : BF_ALERT_UPDATED;
            moved.a.lost_us = BF_TIME_NONE;
            moved.a.lost_radius_m = moved.a.lost_growth_mps = NAN;
            snprintf(moved.a.cause, sizeof moved.a.cause, "reacquired by track %" PRIu32, nid);
            moved.force_pub = true;
            a->st.reacquired++;
        }
        *l = moved;
    }
}

/* Is class c one of suppress_classes? */
static bool suppressed_class(const struct bf_alerter *a, unsigned c)
{
    return c < 32 && (a->p.suppress_classes & (1u << c));
}

/*
 * Class persistence: the class alerting decisions use (suppression,
 * severity) follows the track's most likely class freely until the track
 * first may alert; after that a new class is taken only once it has been the
 * most likely for class_hold_s of event time and for class_hold_updates
 * updates in a row (both: a fast radar's scans add up quickly, a slow one's
 * time does).  Sets c->cls and c->cls_p; true when the held class just became a
 * suppressed one.
 */
static bool class_step(struct bf_alerter *a, struct bf_step_ctx *c, struct bf_trk_rec *r)
{
    uint8_t raw = (uint8_t)c->conf.cls;
    bool to_suppressed = false;
    if (!r) {
        c->cls = c->conf.cls;
        c->cls_p = c->conf.class_term;
        return false;
    }
    if (r->cls >= BF_CLASS_COUNT || !r->may_alert || raw == r->cls) {
        r->cls = raw;
        r->cand_cls = BF_CLASS_COUNT;
        r->cand_n = 0;
    } else {
        if (raw != r->cand_cls) {
            r->cand_cls = raw;
            r->cand_n = 0;
            r->cand_since_us = c->now;
        }
        if (c->what & BF_CHANGE_UPDATED)
            r->cand_n++;
        if (r->cand_n >= a->p.class_hold_updates &&
            c->now - r->cand_since_us >= bf_time_from_s(a->p.class_hold_s)) {
            to_suppressed = !suppressed_class(a, r->cls) && suppressed_class(a, raw);
            r->cls = raw;
            r->cand_cls = BF_CLASS_COUNT;
            r->cand_n = 0;
        }
    }
    if (c->base_ok)
        r->may_alert = true;
    c->cls = (enum bf_class)r->cls;
    double p = c->trk->class_p[r->cls < BF_CLASS_COUNT ? r->cls : BF_CLASS_UNKNOWN];
    c->cls_p = isfinite(p) ? p : 0.0;
    return to_suppressed;
}

/* The held class became a suppressed one: withdraw the track's alerts (not those an operator took). */
static void withdraw_reclassified(struct bf_alerter *a, struct bf_step_ctx *c)
{
    size_t i = bf_rules_lower_bound(a, bf_rules_key_of(c->trk->id, -1, 0));
    uint64_t end = bf_rules_key_of(c->trk->id, -1, 0) + (UINT64_C(1) << 16);
    while (i < a->n && a->v[i].key < end) {
        struct bf_live *l = &a->v[i];
        if (l->a.state == BF_ALERT_ACKNOWLEDGED || l->a.state == BF_ALERT_LOST) {
            i++;
            continue;
        }
        fill(a, c, l);
        snprintf(l->a.cause, sizeof l->a.cause, "reclassified %s", bf_class_names[c->cls]);
        a->st.withdrawn_class++;
        bf_rules_resolve_at(a, i, c->now);
    }
}

int bf_alerter_set_sensor_kinds(struct bf_alerter *a, const char *const *kinds, size_t n)
{
    if (!a || (n && !kinds))
        return BF_EINVAL;
    for (size_t i = 0; i < 64; i++) {
        a->kind_of[i] = (uint8_t)i;
        for (size_t j = 0; i < n && kinds[i] && j < i; j++) {
            if (kinds[j] && strcmp(kinds[i], kinds[j]) == 0) {
                a->kind_of[i] = a->kind_of[j];
                break;
            }
        }
    }
    return 0;
}

/* ---- public ------------------------------------------------------------------------- */

int bf_alerter_on_track(struct bf_alerter *a, const struct bf_track *trk, uint32_t what,
                        const struct bf_geo_step *step)
{
    if (!a || !trk)
        return BF_EINVAL;
    if ((what & BF_CHANGE_DELETED) || trk->status == BF_TRACK_DELETED) {
        lose_track(a, trk);
        return 0;
    }
    if (!step || !isfinite(trk->x[0]) || !isfinite(trk->x[1]) || !isfinite(trk->x[2]) ||
        !isfinite(trk->x[3]) || trk->t_us == BF_TIME_NONE)
        return BF_EINVAL;
    a->step_no++;
    struct bf_step_ctx c = {
        .trk = trk,
        .step = step,
        .now = trk->t_us,
        .what = what,
        .base_ok = (trk->status == BF_TRACK_CONFIRMED || trk->status == BF_TRACK_COASTING) &&
                   trk->n_hits >= a->p.min_hits,
    };
    c.dwell_s = NAN;
    bf_alert_confidence_kinds(trk, a->kind_of, &c.conf);
    /* a continuation takes over once it is confirmed (a tentative one may be clutter) */
    if (trk->continues_id &&
        (trk->status == BF_TRACK_CONFIRMED || trk->status == BF_TRACK_COASTING))
        join_predecessor(a, trk, c.now);
    /* a record for tracks that may alert (and a tentative one at a crossing point): the
     * clutter's tentative tracks need none */
    bool needs_rec = trk->status == BF_TRACK_CONFIRMED || trk->status == BF_TRACK_COASTING ||
                     (step->inside & a->mask_cp);
    struct bf_trk_rec *r = needs_rec ? bf_rules_rec_get(a, trk->id, c.now) : rec_find(a, trk->id);
    c.r = r;
    bool reclassified = class_step(a, &c, r);
    if (r) {
        r->last_us = c.now;
        r->lost = false;
        if (step->inside & a->mask_cp)
            r->cp_us = c.now;
        c.cp_recent = r->cp_us != BF_TIME_NONE &&
                      c.now - r->cp_us <= bf_time_from_s(a->p.crossing_point_window_s);
    } else {
        c.cp_recent = (step->inside & a->mask_cp) != 0;
    }
    approach_metrics(a, &c);
    if (reclassified)
        withdraw_reclassified(a, &c);
    /* first, so that an alert this step raises joins the covered trigger's episode */
    if (trk->status == BF_TRACK_CONFIRMED || trk->status == BF_TRACK_COASTING)
        bf_rules_ugs_cover_by_track(a, trk);
    rule_incursion(a, &c);
    bf_rules_ugs_join(a, &c);
    rule_zone_entry(a, &c);
    rule_approach(a, &c);
    rule_loiter(a, &c);
    follow_up(a, &c);
    if ((r = rec_find(a, trk->id)) != NULL) {
        r->last_e = trk->x[0];
        r->last_n = trk->x[1];
    }
    return 0;
}

#define REC_FORGET_S 600.0   /* records idle this long go when resolve_after_s is 0 */
#define REC_PURGE_S 10.0     /* how often (event time) the tick looks for idle records */

int bf_alerter_tick(struct bf_alerter *a, bf_time_us now_us)
{
    if (!a || now_us == BF_TIME_NONE)
        return BF_EINVAL;
    /* forget the records of tracks not seen for long and without live alerts (9);
     * every REC_PURGE_S of event time, not on every scan */
    bf_time_us forget_us = bf_time_from_s(a->p.resolve_after_s > 0 ? 2.0 * a->p.resolve_after_s
                                                                   : REC_FORGET_S);
    bool purge = a->n_tr && (a->purged_us == 0 || now_us - a->purged_us >= bf_time_from_s(REC_PURGE_S) ||
                             now_us < a->purged_us);
    if (purge)
        a->purged_us = now_us;
    size_t kept = 0;   /* one compacting pass: many records may go at once */
    for (size_t k = 0; purge && k < a->n_tr; k++) {
        size_t i = bf_rules_lower_bound(a, bf_rules_key_of(a->tr[k].track_id, -1, 0));
        bool has_live = i < a->n && (a->v[i].key >> 16) == a->tr[k].track_id;
        if (!has_live && now_us - a->tr[k].last_us > forget_us) {
            if (a->tr[k].lost)   /* no successor came: its closed keys go with it */
                closed_forget_track(a, a->tr[k].track_id);
            continue;
        }
        if (kept != k)
            a->tr[kept] = a->tr[k];
        kept++;
    }
    if (purge)
        a->n_tr = kept;
    if (!(a->p.resolve_after_s > 0))
        return 0;
    bf_time_us idle_us = bf_time_from_s(a->p.resolve_after_s);
    size_t i = 0;
    while (i < a->n) {
        struct bf_live *l = &a->v[i];
        bool idle = l->a.type != BF_ALERT_SENSOR_FAULT && l->a.type != BF_ALERT_SYSTEM &&
                    l->a.state != BF_ALERT_LOST && now_us - l->last_update_us >= idle_us;
        if (!idle) {
            i++;
        } else if (l->a.type == BF_ALERT_INCURSION && l->a.state == BF_ALERT_ACKNOWLEDGED) {
            i++;   /* an operator took it: never closed by a rule */
        } else if ((l->a.sensor_idx < 0 || l->a.type == BF_ALERT_INCURSION) && goes_lost(&l->a)) {
            /* dated when it became idle, not at whichever scan noticed it: another sensor's
             * scans in between must not move it.  A ground-sensor sequence INCURSION (no track
             * yet) goes LOST at its sensor alike */
            make_lost(a, l, l->a.last_us, l->a.lat_deg, l->a.lon_deg, l->a.cls,
                      l->last_update_us + idle_us);
            i++;   /* its track went silent without ending: LOST at its last update */
        } else {
            bf_rules_resolve_at(a, i, l->last_update_us + idle_us);   /* likewise */
        }
    }
    return 0;
}

/* SENSOR_FAULT keys live above every track id's (track ids are < 2^31). */
static uint64_t fault_key(uint32_t sensor_idx)
{
    return bf_rules_key_of(UINT32_MAX - sensor_idx, -1, BF_ALERT_SENSOR_FAULT);
}

int bf_alerter_sensor_fault(struct bf_alerter *a, uint32_t sensor_idx, bool faulty, bf_time_us t_us,
                            double lat_deg, double lon_deg, const char *reason)
{
    if (!a || sensor_idx >= a->n_sensors || sensor_idx >= 64 || t_us == BF_TIME_NONE)
        return BF_EINVAL;
    uint64_t key = fault_key(sensor_idx);
    struct bf_live *l = bf_rules_live_find(a, key);
    if (!faulty) {
        if (l && reason && reason[0])   /* why it ends ("sensor removed") */
            bf_rules_copy_utf8(l->a.reason, sizeof l->a.reason, reason);
        if (l)
            bf_rules_resolve_at(a, (size_t)(l - a->v), t_us);
        return 0;
    }
    if (l)
        return 0;
    const char *sid = a->sensor_ids[sensor_idx] ? a->sensor_ids[sensor_idx] : "";
    char id[BF_ALERT_ID_LEN];
    if (bf_alert_make_id(a->site, BF_ALERT_SENSOR_FAULT, 0, sid, t_us, id) < 0)
        return BF_EINVAL;
    l = bf_rules_live_insert(a, key);
    if (!l) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "sensor %s: out of memory raising SENSOR_FAULT", sid);
        return BF_ENOMEM;
    }
    struct bf_alert *al = &l->a;
    memcpy(al->id, id, sizeof id);
    al->type = BF_ALERT_SENSOR_FAULT;
    al->severity = BF_SEV_MEDIUM;
    al->state = BF_ALERT_NEW;
    al->track_id = 0;
    al->zone_idx = -1;
    al->first_us = al->last_us = t_us;
    al->lat_deg = lat_deg;
    al->lon_deg = lon_deg;
    al->ve_mps = al->vn_mps = al->speed_mps = al->heading_deg = NAN;
    al->cls = BF_CLASS_UNKNOWN;
    al->class_p = NAN;
    al->confidence = 1.0;
    al->time_to_line_s = INFINITY;
    al->dist_to_line_m = NAN;
    al->crossing_us = BF_TIME_NONE;
    al->sensors = UINT64_C(1) << sensor_idx;
    al->exercise = a->p.exercise;
    al->sensor_idx = (int)sensor_idx;
    bf_rules_copy_utf8(al->reason, sizeof al->reason, reason ? reason : "");
    l->last_update_us = t_us;
    bf_rules_publish(a, l);
    return 0;
}

const char *bf_system_fault_name(enum bf_system_fault f)
{
    switch (f) {
    case BF_SYSTEM_STORAGE: return "storage";
    case BF_SYSTEM_TRACK_POOL: return "track_pool";
    case BF_SYSTEM_INGEST: return "ingest";
    case BF_SYSTEM_FAULT_COUNT: break;
    }
    return "unknown";
}

/* SYSTEM keys live above the SENSOR_FAULT keys (64 sensors at most). */
static uint64_t system_key(enum bf_system_fault kind)
{
    return bf_rules_key_of(UINT32_MAX - 64 - (uint32_t)kind, -1, BF_ALERT_SYSTEM);
}

int bf_alerter_system_fault(struct bf_alerter *a, enum bf_system_fault kind, bool active,
                            bf_time_us t_us, const char *reason)
{
    if (!a || (unsigned)kind >= BF_SYSTEM_FAULT_COUNT || t_us == BF_TIME_NONE)
        return BF_EINVAL;
    uint64_t key = system_key(kind);
    struct bf_live *l = bf_rules_live_find(a, key);
    if (!active) {
        if (l)
            bf_rules_resolve_at(a, (size_t)(l - a->v), t_us);
        return 0;
    }
    if (l)
        return 0;
    char id[BF_ALERT_ID_LEN];
    if (bf_alert_make_id(a->site, BF_ALERT_SYSTEM, 0, bf_system_fault_name(kind), t_us, id) < 0)
        return BF_EINVAL;
    l = bf_rules_live_insert(a, key);
    if (!l) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "out of memory raising SYSTEM %s", bf_system_fault_name(kind));
        return BF_ENOMEM;
    }
    struct bf_alert *al = &l->a;
    memcpy(al->id, id, sizeof id);
    al->type = BF_ALERT_SYSTEM;
    al->severity = BF_SEV_HIGH;
    al->state = BF_ALERT_NEW;
    al->track_id = UINT32_MAX - 64 - (uint32_t)kind;   /* the key's, shown as null (invariant 2) */
    al->zone_idx = -1;
    al->first_us = al->last_us = t_us;
    al->lat_deg = al->lon_deg = NAN;
    al->ve_mps = al->vn_mps = al->speed_mps = al->heading_deg = NAN;
    al->cls = BF_CLASS_UNKNOWN;
    al->class_p = NAN;
    al->confidence = 1.0;
    al->time_to_line_s = INFINITY;
    al->dist_to_line_m = NAN;
    al->crossing_us = BF_TIME_NONE;
    al->sensors = 0;
    al->exercise = a->p.exercise;
    al->sensor_idx = -1;
    bf_rules_copy_utf8(al->reason, sizeof al->reason, reason ? reason : bf_system_fault_name(kind));
    l->last_update_us = t_us;
    bf_rules_publish(a, l);
    return 0;
}

void bf_alerter_get_stats(const struct bf_alerter *a, struct bf_alerter_stats *out)
{
    *out = a->st;
    out->live = (uint32_t)a->n;
    out->closed_keys = (uint32_t)a->n_closed;
}

static bool params_ok(const struct bf_alert_params *p)
{
    return isfinite(p->approach_distance_m) && p->approach_distance_m >= 0 &&
           isfinite(p->rearm_distance_m) && p->rearm_distance_m >= 0 &&
           isfinite(p->approach_time_s) && p->approach_time_s >= 0 && isfinite(p->min_confidence) &&
           p->min_confidence >= 0 && p->min_confidence <= 1 && isfinite(p->resolve_after_s) &&
           p->resolve_after_s >= 0 && isfinite(p->update_min_interval_s) &&
           p->update_min_interval_s >= 0 &&
           (p->journal_fsync == BF_FSYNC_ALWAYS || p->journal_fsync == BF_FSYNC_NEVER) &&
           isfinite(p->loiter_distance_m) && p->loiter_distance_m >= 0 &&
           isfinite(p->loiter_time_s) && p->loiter_time_s >= 0 &&
           isfinite(p->loiter_progress_m) && p->loiter_progress_m >= 0 && isfinite(p->ugs_cover_m) &&
           p->ugs_cover_m >= 0 && p->ugs_min_events >= 1 &&
           p->ugs_min_events <= BF_UGS_EVENTS_MAX && isfinite(p->ugs_window_s) &&
           p->ugs_window_s > 0 && isfinite(p->approach_min_closing_mps) &&
           p->approach_min_closing_mps > 0 && isfinite(p->approach_clear_factor) &&
           p->approach_clear_factor >= 1 && isfinite(p->approach_min_dwell_s) &&
           p->approach_min_dwell_s >= 0 && isfinite(p->class_hold_s) && p->class_hold_s >= 0 &&
           isfinite(p->lost_radius_m) && p->lost_radius_m >= 0 && isfinite(p->ugs_join_s) &&
           p->ugs_join_s >= 0 && isfinite(p->ugs_line_m) && p->ugs_line_m >= 0 &&
           isfinite(p->crossing_point_window_s) && p->crossing_point_window_s >= 0;
}

int bf_alerter_create(const struct bf_alert_params *p, const char *site, struct bf_geo_zones *zones,
                      struct bf_geo_frame *frame, const char *const *sensor_ids, size_t n_sensors,
                      const struct bf_alert_sink *sink, struct bf_alerter **out)
{
    *out = NULL;
    if (!p || !site || !*site || !zones || !frame || (n_sensors && !sensor_ids) || !params_ok(p))
        return BF_EINVAL;
    int rc = BF_ENOMEM;
    struct bf_alerter *a = calloc(1, sizeof *a);
    if (!a)
        return BF_ENOMEM;
    a->p = *p;
    a->p.journal_path = NULL;   /* delivery's, not the alerter's */
    a->zones = zones;
    a->frame = frame;
    if (sink)
        a->sink = *sink;
    a->site = strdup(site);
    if (!a->site)
        goto out_free_alerter;
    if (n_sensors) {
        a->sensor_ids = calloc(n_sensors, sizeof *a->sensor_ids);
        if (!a->sensor_ids)
            goto out_free_site;
        memcpy(a->sensor_ids, sensor_ids, n_sensors * sizeof *a->sensor_ids);
        a->n_sensors = n_sensors;
    }
    a->json_cap = JSON_BUF0;
    a->json = malloc(a->json_cap);
    if (!a->json)
        goto out_free_ids;
    a->ugs = calloc(n_sensors ? n_sensors : 1, sizeof *a->ugs);
    if (!a->ugs)
        goto out_free_json;
    bf_alerter_set_sensor_kinds(a, NULL, 0);   /* every sensor a kind of its own */
    a->n_zones = bf_geo_zones_count(zones);
    if (a->n_zones > BF_GEO_MAX_ZONES)
        a->n_zones = BF_GEO_MAX_ZONES;
    for (size_t z = 0; z < a->n_zones; z++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(zones, z);
        if (zi && zi->kind == BF_ZONE_NO_ALERT)
            a->mask_no_alert |= UINT64_C(1) << z;
        if (zi && zi->kind == BF_ZONE_RESTRICTED)
            a->mask_restricted |= UINT64_C(1) << z;
        if (zi && zi->kind == BF_ZONE_CROSSING_POINT)
            a->mask_cp |= UINT64_C(1) << z;
    }
    *out = a;
    return 0;

out_free_json:
    free(a->ugs);
    free(a->json);
out_free_ids:
    free(a->sensor_ids);
out_free_site:
    free(a->site);
out_free_alerter:
    free(a);
    return rc;
}

void bf_alerter_destroy(struct bf_alerter *a)
{
    if (!a)
        return;
    free(a->json);
    free(a->v);
    free(a->closed);
    free(a->tr);
    free(a->ugs);
    free(a->sensor_ids);
    free(a->site);
    free(a);
}

/*
 * A reload (docs/engine.md, "Reload"): live alerts, per-track records and
 * closed keys name zones by index, so the zones a reload brings must keep
 * every zone the alerter knows at its index, with its id and kind (its
 * geometry, name and severity may change); new zones come after them.
 */
int bf_alerter_reconfigure(struct bf_alerter *a, const struct bf_alert_params *p,
                           struct bf_geo_zones *zones, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!a || !p || !zones)
        return BF_EINVAL;
    if (!params_ok(p)) {
        snprintf(err, errlen, "the alerts parameters are out of range");
        return BF_EINVAL;
    }
    size_t nz = bf_geo_zones_count(zones);
    if (nz > BF_GEO_MAX_ZONES)
        nz = BF_GEO_MAX_ZONES;
    for (size_t z = 0; z < a->n_zones; z++) {
        const struct bf_zone_info *was = bf_geo_zone_info(a->zones, z);
        const struct bf_zone_info *now = z < nz ? bf_geo_zone_info(zones, z) : NULL;
        if (!was)
            continue;
        if (!now || strcmp(was->id, now->id) != 0) {
            snprintf(err, errlen, "zone \"%s\" (features[%zu]) is %s: a reload keeps the zones "
                     "in their order and adds new ones after them; restart to remove or "
                     "reorder zones", was->id, z, now ? "no longer in its place" : "gone");
            return BF_EINVAL;
        }
        if (was->kind != now->kind) {
            snprintf(err, errlen, "zone \"%s\" changes kind (%s -> %s): restart to change a "
                     "zone's kind", was->id, bf_zone_kind_name(was->kind),
                     bf_zone_kind_name(now->kind));
            return BF_EINVAL;
        }
    }
    uint64_t no_alert = 0, restricted = 0, cp = 0;
    for (size_t z = 0; z < nz; z++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(zones, z);
        if (zi && zi->kind == BF_ZONE_NO_ALERT)
            no_alert |= UINT64_C(1) << z;
        if (zi && zi->kind == BF_ZONE_RESTRICTED)
            restricted |= UINT64_C(1) << z;
        if (zi && zi->kind == BF_ZONE_CROSSING_POINT)
            cp |= UINT64_C(1) << z;
    }
    a->zones = zones;
    a->n_zones = nz;
    a->mask_no_alert = no_alert;
    a->mask_restricted = restricted;
    a->mask_cp = cp;
    a->p = *p;
    a->p.journal_path = NULL;   /* the journal is delivery's */
    return 0;
}

/* ---- retention (docs/retention.md) ---------------------------------------------------- */

bool bf_alerter_is_live(const struct bf_alerter *a, const char *alert_id)
{
    for (size_t i = 0; a && alert_id && i < a->n; i++)
        if (strcmp(a->v[i].a.id, alert_id) == 0)
            return true;
    return false;
}

/* ---- operators ------------------------------------------------------------------------ */

/* The live alert with this id (a linear scan: operators act seldom), or NULL. */
static struct bf_live *live_by_id(struct bf_alerter *a, const char *id)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].a.id, id) == 0)
            return &a->v[i];
    return NULL;
}

int bf_alerter_act(struct bf_alerter *a, const struct bf_ack_request *req, bf_time_us now_us,
                   struct bf_ack_result *out)
{
    if (!a || !req || !out)
        return BF_EINVAL;
    memset(out, 0, sizeof *out);
    out->t_us = BF_TIME_NONE;
    if (req->error[0] || req->action == BF_ACK_NONE || !req->operator_id[0] || !req->alert_id[0]) {
        snprintf(out->error, sizeof out->error, "%s", req->error[0] ? req->error : "invalid request");
        return 0;
    }
    struct bf_live *l = live_by_id(a, req->alert_id);
    if (!l) {
        snprintf(out->error, sizeof out->error, "no live alert with that id");
        return 0;
    }
    struct bf_alert *al = &l->a;
    out->state = al->state;
    out->type = al->type;
    out->track_id = al->track_id;
    /* never before the alert's own last change; else the engine's event time now */
    bf_time_us t = al->last_us;
    if (now_us != BF_TIME_NONE && (t == BF_TIME_NONE || now_us > t))
        t = now_us;
    bool acked = al->ack_by[0] != '\0';   /* ACKNOWLEDGED, or LOST after it */
    switch (req->action) {
    case BF_ACK_ACKNOWLEDGE:
        if (acked) {
            snprintf(out->error, sizeof out->error, "already acknowledged by %s", al->ack_by);
            return 0;
        }
        break;
    case BF_ACK_ASSIGN:
        if (!req->unit[0]) {
            snprintf(out->error, sizeof out->error, "unit missing: assign needs the unit's id");
            return 0;
        }
        if (acked && strcmp(al->assigned_unit, req->unit) == 0) {
            snprintf(out->error, sizeof out->error, "unit %s is already assigned", req->unit);
            return 0;
        }
        bf_rules_copy_utf8(al->assigned_unit, sizeof al->assigned_unit, req->unit);
        break;
    case BF_ACK_RESOLVE:
    case BF_ACK_FALSE_ALARM:
        break;
    case BF_ACK_NONE:
        return 0;   /* cannot happen: refused above */
    }
    out->t_us = t;
    al->last_us = t;
    if (l->last_update_us < t)
        l->last_update_us = t;
    a->st.operator_actions++;
    if (req->action == BF_ACK_ACKNOWLEDGE || req->action == BF_ACK_ASSIGN) {
        if (!acked) {
            al->ack_us = t;
            bf_rules_copy_utf8(al->ack_by, sizeof al->ack_by, req->operator_id);
        }
        if (al->state != BF_ALERT_LOST)   /* a LOST alert stays LOST, now acknowledged */
            al->state = BF_ALERT_ACKNOWLEDGED;
        bf_rules_publish(a, l);
        out->ok = true;
        out->state = al->state;
        out->seq = al->seq;
        return 0;
    }
    /* resolve / false_alarm: the closing change, then out of the live set, key closed */
    al->state = req->action == BF_ACK_RESOLVE ? BF_ALERT_RESOLVED : BF_ALERT_FALSE_ALARM;
    bf_rules_copy_utf8(al->closed_by, sizeof al->closed_by, req->operator_id);
    bf_rules_publish(a, l);
    out->ok = true;
    out->state = al->state;
    out->seq = al->seq;
    uint64_t key = l->key;
    bool fault = al->type == BF_ALERT_SENSOR_FAULT;
    live_remove(a, (size_t)(l - a->v));
    /* a SENSOR_FAULT has no track to wait for: the next silence of the sensor raises anew */
    if (!fault && !closed_add(a, key))
        BF_LOGE(LOG_COMP, "out of memory closing alert %s: its track may raise it again",
                req->alert_id);
    return 0;
}

bool bf_alerter_unit_assigned(const struct bf_alerter *a, const char *unit_id)
{
    if (!a || !unit_id || !unit_id[0])
        return false;
    for (size_t i = 0; i < a->n; i++)
        if ((a->v[i].a.state == BF_ALERT_ACKNOWLEDGED || a->v[i].a.state == BF_ALERT_LOST) &&
            strcmp(a->v[i].a.assigned_unit, unit_id) == 0)
            return true;
    return false;
}

void bf_alerter_set_enrich(struct bf_alerter *a, bf_alert_enrich_fn fn, const void *view)
{
    if (!a)
        return;
    a->enrich = fn;
    a->enrich_view = view;
}

void bf_alerter_continue_after(struct bf_alerter *a, uint64_t seq)
{
    if (a && seq > a->seq)
        a->seq = seq;
}
