/*
 * rules_ugs.c - the alerter's ground-sensor rules (docs/alerts.md): UGS_TRIGGER (per ground
 * sensor, a small ring of uncovered trips; raised after ugs_min_events within ugs_window_s,
 * resolved when a track comes to cover the sensor), the sequence INCURSION (a trip at a sensor
 * wholly on our side after one at a sensor of the line's other side: raised before any track,
 * taken over by the track that follows) and the join of a track that starts on our side to the
 * trips of a sensor at the line (joined history).  The alerter's state and the
 * helpers shared with rules.c are in alerts_int.h.
 */
#include "alerts/alerts_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define LOG_COMP "alerts"

/* ---- ground sensors: UGS_TRIGGER (10) ------------------------------------------------ */

#define UGS_BEARING_REACH_M 2000.0   /* a bearing's reach when the sensor has no range */
#define UGS_SIG_BEARING 0xffffffffu  /* channel signature of a bearing trip */
#define UGS_PLAUSIBLE 0.5            /* a class this likely against the hints' best is plausible */
#define UGS_SEQ_CONF 0.5             /* a sequence INCURSION's confidence ... */
#define UGS_SEQ_CONF_KINDS 0.6       /* ... when its two trips came from different channels */

static void ugs_sequence(struct bf_alerter *a, uint32_t bi, const struct bf_detection *d);
static bool ugs_take_over(struct bf_alerter *a, size_t i, const struct bf_track *trk, bf_time_us now);
static bool ugs_join_sequence(struct bf_alerter *a, struct bf_step_ctx *c, int z,
                              const struct bf_track_point *p0);

/* Keyed like SENSOR_FAULT, above every track id, with the sensor's nearest line as zone. */
static uint64_t ugs_key(uint32_t sensor_idx, int line)
{
    return bf_rules_key_of(UINT32_MAX - sensor_idx, line, BF_ALERT_UGS_TRIGGER);
}

/* A sequence INCURSION is keyed by its deeper sensor B the same way. */
static uint64_t ugs_seq_key(uint32_t sensor_idx, int line)
{
    return bf_rules_key_of(UINT32_MAX - sensor_idx, line, BF_ALERT_INCURSION);
}

/* Does track t (CONFIRMED/COASTING) lie where the sensor's latest trip says something is? */
static bool ugs_covered_by(const struct bf_alerter *a, const struct bf_ugs_rec *r,
                           const struct bf_track *t)
{
    if (t->status != BF_TRACK_CONFIRMED && t->status != BF_TRACK_COASTING)
        return false;
    double dx = t->x[0] - r->e_m, dy = t->x[1] - r->n_m, cover = a->p.ugs_cover_m;
    if (!isfinite(dx) || !isfinite(dy))
        return false;
    if (r->kind == BF_MEAS_PRESENCE)
        return hypot(dx, dy) <= r->radius_m + cover;
    /* bearing: along the ray, within cover of it, widened by 3 sigma of the bearing */
    double b = r->bearing_rad, along = dx * sin(b) + dy * cos(b);
    double perp = fabs(dx * cos(b) - dy * sin(b));
    double reach = r->range_m > 0 && isfinite(r->range_m) ? r->range_m : UGS_BEARING_REACH_M;
    double widen = tan(fmin(3.0 * r->sigma_rad, M_PI / 3.0));
    return along >= -cover && along <= reach + cover && perp <= cover + fmax(along, 0.0) * widen;
}

/* Distinct channel signatures among the sensor's trips in the ring. */
static unsigned ugs_modalities(const struct bf_ugs_rec *r)
{
    unsigned m = 0;
    for (unsigned i = 0; i < r->n; i++) {
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = r->sig[j] == r->sig[i];
        m += !seen;
    }
    return m;
}

/* Most likely class of a trip's hints (lowest index on ties), and its normalised probability. */
static enum bf_class ugs_class(const struct bf_detection *d, double *p_out)
{
    *p_out = NAN;
    if (!(d->flags & BF_DET_F_CLASS))
        return BF_CLASS_UNKNOWN;
    double sum = 0.0, best = -1.0;
    enum bf_class cls = BF_CLASS_UNKNOWN;
    for (int k = 0; k < BF_CLASS_COUNT; k++) {
        double l = d->class_lik[k];
        if (!isfinite(l) || l < 0)
            return BF_CLASS_UNKNOWN;
        sum += l;
        if (l > best) {
            best = l;
            cls = (enum bf_class)k;
        }
    }
    if (!(sum > 0))
        return BF_CLASS_UNKNOWN;
    *p_out = best / sum;
    return cls;
}

/* The fastest class speed a trip's hints leave plausible: over the classes whose likelihood is
 * at least UGS_PLAUSIBLE of the best's; a vehicle's when the trip carries no hints. */
static double ugs_top_speed(const struct bf_detection *d)
{
    double best = 0.0, top = 0.0;
    for (int k = 0; (d->flags & BF_DET_F_CLASS) && k < BF_CLASS_COUNT; k++)
        if (isfinite(d->class_lik[k]) && d->class_lik[k] > best)
            best = d->class_lik[k];
    if (!(best > 0))
        return bf_rules_class_speed_mps(BF_CLASS_VEHICLE);
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        if (d->class_lik[k] >= UGS_PLAUSIBLE * best)
            top = fmax(top, bf_rules_class_speed_mps((enum bf_class)k));
    return top;
}

static bool ugs_in_no_alert(struct bf_alerter *a, double e_m, double n_m)
{
    uint64_t m = a->mask_no_alert;
    while (m) {
        int z = __builtin_ctzll(m);
        m &= m - 1;
        if (bf_geo_zone_contains(a->zones, (size_t)z, e_m, n_m))
            return true;
    }
    return false;
}

/* Resolve the UGS_TRIGGER at v[i]: track t now covers its sensor; t's episode becomes its id. */
static void ugs_resolve_covered(struct bf_alerter *a, size_t i, const struct bf_track *t,
                                bf_time_us now)
{
    struct bf_live *l = &a->v[i];
    snprintf(l->a.reason, sizeof l->a.reason, "covered by track %" PRIu32, t->id);
    struct bf_trk_rec *r = bf_rules_rec_get(a, t->id, now);
    if (r && !r->episode[0])
        memcpy(r->episode, l->a.episode, sizeof r->episode);
    if (l->a.sensor_idx >= 0 && (size_t)l->a.sensor_idx < a->n_sensors)
        a->ugs[l->a.sensor_idx].n = 0;   /* the track explains the trips */
    bf_rules_resolve_at(a, i, now);
}

/* A CONFIRMED/COASTING track stepped: does it now cover a sensor with a live UGS_TRIGGER, or,
 * on our side, the sensor of a sequence INCURSION (which it then takes over)? */
void bf_rules_ugs_cover_by_track(struct bf_alerter *a, const struct bf_track *t)
{
    if (!a->n_sensors)
        return;
    uint64_t lo = bf_rules_key_of(UINT32_MAX - (uint32_t)(a->n_sensors - 1), -1, 0);
    size_t i = bf_rules_lower_bound(a, lo);
    while (i < a->n) {
        const struct bf_live *l = &a->v[i];
        bool covered = l->a.sensor_idx >= 0 && (size_t)l->a.sensor_idx < a->n_sensors &&
                       ugs_covered_by(a, &a->ugs[l->a.sensor_idx], t);
        if (covered && l->a.type == BF_ALERT_UGS_TRIGGER) {
            ugs_resolve_covered(a, i, t, t->t_us);   /* removes v[i] */
        } else if (covered && l->a.type == BF_ALERT_INCURSION && bf_rules_is_line(a, l->a.zone_idx) &&
                   bf_geo_line_side(a->zones, (size_t)l->a.zone_idx, t->x[0], t->x[1]) == +1) {
            ugs_take_over(a, i, t, t->t_us);   /* on our side: the one who crossed */
            i = bf_rules_lower_bound(a, lo);   /* alerts moved and went: look again */
        } else {
            i++;
        }
    }
}

/* The fields of a UGS_TRIGGER from the sensor's ring and its latest trip d. */
static void ugs_fill(struct bf_alerter *a, struct bf_live *l, const struct bf_ugs_rec *r,
                     const struct bf_detection *d)
{
    struct bf_alert *al = &l->a;
    al->last_us = d->t_us;
    if (bf_geo_to_wgs84(a->frame, r->e_m, r->n_m, &al->lat_deg, &al->lon_deg) < 0)
        al->lat_deg = al->lon_deg = NAN;
    al->ve_mps = al->vn_mps = al->speed_mps = al->heading_deg = NAN;
    al->cls = ugs_class(d, &al->class_p);
    al->confidence = 1.0 - pow(0.5, (double)r->n);
    al->time_to_line_s = INFINITY;
    al->dist_to_line_m = r->line >= 0 ? r->line_dist_m : NAN;
    al->crossing_us = BF_TIME_NONE;
    al->sensors = UINT64_C(1) << d->sensor_idx;
    al->n_hits = r->n;
    al->exercise = al->exercise || a->p.exercise || (d->flags & BF_DET_F_EXERCISE);
    unsigned mods = ugs_modalities(r);
    snprintf(al->reason, sizeof al->reason,
             "%u trips in %.0f s, %u channel%s, no track within %.0f m", r->n,
             bf_time_to_s(r->t_us[r->n - 1] - r->t_us[0]), mods, mods == 1 ? "" : "s",
             (r->kind == BF_MEAS_PRESENCE ? r->radius_m : 0.0) + a->p.ugs_cover_m);
    l->last_update_us = d->t_us;
}

static void ugs_raise(struct bf_alerter *a, const struct bf_ugs_rec *r, const struct bf_detection *d,
                      enum bf_severity sev)
{
    uint32_t si = d->sensor_idx;
    const char *sid = a->sensor_ids[si] ? a->sensor_ids[si] : "";
    char id[BF_ALERT_ID_LEN];
    if (bf_alert_make_id(a->site, BF_ALERT_UGS_TRIGGER, 0, sid, d->t_us, id) < 0) {
        a->st.publish_errors++;
        return;
    }
    uint64_t key = ugs_key(si, r->line);
    size_t ci = bf_rules_closed_lower_bound(a, key);    /* an operator closed the last one: a new */
    if (ci < a->n_closed && a->closed[ci] == key) {   /* trigger is a new event */
        bf_sorted_close(a->closed, &a->n_closed, sizeof *a->closed, ci, 1);
    }
    struct bf_live *l = bf_rules_live_insert(a, key);
    if (!l) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "sensor %s: out of memory raising UGS_TRIGGER", sid);
        return;
    }
    struct bf_alert *al = &l->a;
    memcpy(al->id, id, sizeof id);
    memcpy(al->episode, id, sizeof id);
    al->type = BF_ALERT_UGS_TRIGGER;
    al->severity = sev;
    al->state = BF_ALERT_NEW;
    al->track_id = 0;
    al->zone_idx = r->line;
    const struct bf_zone_info *zi = r->line >= 0 ? bf_geo_zone_info(a->zones, (size_t)r->line) : NULL;
    bf_rules_copy_utf8(al->zone_id, sizeof al->zone_id, zi ? zi->id : "");
    bf_rules_copy_utf8(al->zone_name, sizeof al->zone_name, zi ? (zi->name ? zi->name : zi->id) : "");
    al->zone_kind = zi ? zi->kind : BF_ZONE_BORDER_LINE;
    al->first_us = d->t_us;
    al->sensor_idx = (int)si;
    ugs_fill(a, l, r, d);
    bf_rules_publish(a, l);
}

int bf_alerter_on_ugs(struct bf_alerter *a, const struct bf_detection *d, double range_m,
                      const struct bf_track *const *tracks, size_t n_tracks)
{
    if (!a || !d || d->sensor_idx >= a->n_sensors || d->sensor_idx >= 64 ||
        d->t_us == BF_TIME_NONE || (n_tracks && !tracks))
        return BF_EINVAL;
    if (d->kind != BF_MEAS_PRESENCE && d->kind != BF_MEAS_BEARING)
        return 0;
    if (!isfinite(d->sensor_e_m) || !isfinite(d->sensor_n_m) || !isfinite(d->z[0]) ||
        (d->kind == BF_MEAS_PRESENCE && !(d->z[0] > 0)))
        return BF_EINVAL;
    struct bf_ugs_rec *r = &a->ugs[d->sensor_idx];
    r->kind = d->kind;
    r->e_m = d->sensor_e_m;
    r->n_m = d->sensor_n_m;
    r->range_m = range_m;
    if (d->kind == BF_MEAS_PRESENCE) {
        r->radius_m = d->z[0];
    } else {
        r->bearing_rad = d->z[0];
        r->sigma_rad = isfinite(d->R[0][0]) && d->R[0][0] > 0 ? sqrt(d->R[0][0]) : 0.1;
    }
    if (!r->line_known) {   /* the sensor does not move: its nearest line once */
        r->line_known = true;
        r->line = -1;
        r->line_dist_m = INFINITY;
        for (size_t z = 0; z < a->n_zones; z++) {
            if (!bf_rules_is_line(a, (int)z))
                continue;
            double dz = bf_geo_zone_distance(a->zones, z, r->e_m, r->n_m);
            if (isfinite(dz) && dz < r->line_dist_m) {
                r->line_dist_m = dz;
                r->line = (int)z;
            }
        }
    }
    a->st.ugs_trips++;
    double p;
    enum bf_class cls = ugs_class(d, &p);
    if (d->flags & BF_DET_F_TEST) {
        a->st.suppressed_test++;
        return 0;
    }
    if (ugs_in_no_alert(a, r->e_m, r->n_m)) {
        a->st.suppressed_no_alert++;
        return 0;
    }
    if ((d->flags & BF_DET_F_CLASS) && (a->p.suppress_classes & (1u << cls))) {
        a->st.suppressed_class++;
        return 0;
    }
    uint64_t key = ugs_key(d->sensor_idx, r->line);
    for (size_t k = 0; k < n_tracks; k++) {
        if (tracks[k] && ugs_covered_by(a, r, tracks[k])) {
            a->st.ugs_covered++;
            struct bf_live *l = bf_rules_live_find(a, key);
            if (l)
                ugs_resolve_covered(a, (size_t)(l - a->v), tracks[k], d->t_us);
            r->n = 0;
            return 0;
        }
    }
    /* the ring: drop what left the window (and the oldest when full), then add */
    bf_time_us win = bf_time_from_s(a->p.ugs_window_s);
    unsigned drop = 0;
    while (drop < r->n && d->t_us - r->t_us[drop] > win)
        drop++;
    if (r->n - drop == BF_UGS_EVENTS_MAX)
        drop++;
    memmove(r->t_us, r->t_us + drop, (r->n - drop) * sizeof *r->t_us);
    memmove(r->sig, r->sig + drop, (r->n - drop) * sizeof *r->sig);
    memmove(r->z0, r->z0 + drop, (r->n - drop) * sizeof *r->z0);
    memmove(r->cls, r->cls + drop, (r->n - drop) * sizeof *r->cls);
    memmove(r->top_mps, r->top_mps + drop, (r->n - drop) * sizeof *r->top_mps);
    r->n -= drop;
    if (r->n && d->t_us < r->t_us[r->n - 1])
        r->n = 0;   /* time went back (cannot happen after the reorder window): start over */
    r->t_us[r->n] = d->t_us;
    r->sig[r->n] = d->kind == BF_MEAS_BEARING ? UGS_SIG_BEARING
                                               : (uint32_t)fmin(llround(d->z[0] * 10.0), 1e9);
    r->z0[r->n] = d->z[0];
    r->cls[r->n] = (uint8_t)cls;
    r->top_mps[r->n] = (float)ugs_top_speed(d);
    r->n++;
    struct bf_sev_in in = {.type = BF_ALERT_UGS_TRIGGER, .modalities = ugs_modalities(r),
                           .cls = cls, .confidence = 1.0};
    enum bf_severity sev = bf_alert_severity(&in);
    struct bf_live *l = bf_rules_live_find(a, key);
    if (l) {
        ugs_fill(a, l, r, d);
        bool up = sev > l->a.severity;
        if (up)
            l->a.severity = sev;
        if (up || d->t_us - l->last_pub_us >= bf_time_from_s(a->p.update_min_interval_s)) {
            if (l->a.state == BF_ALERT_NEW)
                l->a.state = BF_ALERT_UPDATED;
            bf_rules_publish(a, l);
        }
    } else if (r->n >= a->p.ugs_min_events) {
        ugs_raise(a, r, d, sev);
    }
    ugs_sequence(a, d->sensor_idx, d);
    return 0;
}

/* How far from sensor u a target of class cls may be dt after its trip: the trip's radius (a
 * bearing's reach) + ugs_cover_m + the class's plausible speed x dt. */
static double ugs_reach(const struct bf_alerter *a, const struct bf_ugs_rec *u, enum bf_class cls,
                        bf_time_us dt)
{
    double reach = (u->kind == BF_MEAS_PRESENCE ? u->radius_m : 0.0) + a->p.ugs_cover_m +
                   bf_rules_class_speed_mps(cls) * bf_time_to_s(dt);
    if (u->kind == BF_MEAS_BEARING)
        reach += u->range_m > 0 && isfinite(u->range_m) ? u->range_m : UGS_BEARING_REACH_M;
    return reach;
}

/*
 * Ground sensors at the line, radar inside (docs/alerts.md, "Joined
 * history"): a track whose history begins at its first detection on our side of line z,
 * starting within reach of the sensor of a live sequence INCURSION of z raised up to ugs_join_s
 * before, takes that INCURSION over (the nearest such sensor).  Whether it did.
 */
static bool ugs_join_sequence(struct bf_alerter *a, struct bf_step_ctx *c, int z,
                              const struct bf_track_point *p0)
{
    const struct bf_track *trk = c->trk;
    bf_time_us join_us = bf_time_from_s(a->p.ugs_join_s);
    struct bf_live *best = NULL;
    double best_d = INFINITY;
    for (uint32_t k = 0; k < a->n_sensors; k++) {
        struct bf_live *l = bf_rules_live_find(a, ugs_seq_key(k, z));
        bf_time_us dt = l ? trk->first_us - l->a.first_us : -1;
        if (dt < 0 || dt > join_us)
            continue;   /* none, or the track was there before the crossing, or long after */
        const struct bf_ugs_rec *u = &a->ugs[k];
        double d = hypot(p0->e_m - u->e_m, p0->n_m - u->n_m);
        if (d <= ugs_reach(a, u, c->cls, dt) && d < best_d) {
            best = l;
            best_d = d;
        }
    }
    if (!best)
        return false;
    if (ugs_take_over(a, (size_t)(best - a->v), trk, c->now)) {
        struct bf_live *l = bf_rules_live_find(a, bf_rules_key_of(trk->id, z, BF_ALERT_INCURSION));
        bf_rules_trigger(a, c, BF_ALERT_INCURSION, z, bf_rules_track_sev(a, c, BF_ALERT_INCURSION, z),
                         l ? l->a.crossing_us : BF_TIME_NONE);   /* updates it: published now */
    }
    c->r->ugs_checked = true;
    a->st.joined_incursions++;
    return true;
}

/*
 * Ground sensors at the line, radar inside (docs/alerts.md, "Joined
 * history"): a track whose history begins at its first detection on our side
 * of its nearest line, starting within the reach of a ground sensor near that
 * line (ugs_line_m) that tripped, uncovered, up to ugs_join_s before: reach =
 * the trip's radius + ugs_cover_m + the class's plausible speed x the time
 * between trip and track.  The walker crossed at the sensor: INCURSION with
 * crossing_time = the earliest such trip, in the sensor's UGS_TRIGGER episode
 * (that trigger is then resolved "covered by track N").  Decided once the
 * track may alert; the nearest sensor wins.
 */
void bf_rules_ugs_join(struct bf_alerter *a, struct bf_step_ctx *c)
{
    struct bf_trk_rec *r = c->r;
    const struct bf_geo_step *s = c->step;
    const struct bf_track *trk = c->trk;
    if (!r || r->ugs_checked || !a->n_sensors || !c->base_ok || trk->hist_len == 0)
        return;
    int z = s->nearest_line;
    if (!bf_rules_is_line(a, z) || s->line_side != +1 || c->cp_recent ||
        bf_rules_live_find(a, bf_rules_key_of(trk->id, z, BF_ALERT_INCURSION)))
        return;
    const struct bf_track_point *p0 = bf_rules_hist_at(trk, 0);
    if (p0->t_us != trk->first_us || bf_geo_line_side(a->zones, (size_t)z, p0->e_m, p0->n_m) != +1) {
        r->ugs_checked = true;   /* its start is out of its history, or it came from their side */
        return;
    }
    if (ugs_join_sequence(a, c, z, p0))
        return;
    int best = -1;
    double best_d = INFINITY;
    bf_time_us best_t = BF_TIME_NONE;
    bf_time_us join_us = bf_time_from_s(a->p.ugs_join_s);
    for (size_t k = 0; k < a->n_sensors; k++) {
        const struct bf_ugs_rec *u = &a->ugs[k];
        if (!u->n || !u->line_known || u->line != z || !(u->line_dist_m <= a->p.ugs_line_m))
            continue;
        bf_time_us trip = BF_TIME_NONE;
        for (unsigned m = 0; m < u->n && trip == BF_TIME_NONE; m++)
            if (u->t_us[m] <= trk->first_us && trk->first_us - u->t_us[m] <= join_us)
                trip = u->t_us[m];
        if (trip == BF_TIME_NONE)
            continue;
        double reach = ugs_reach(a, u, c->cls, trk->first_us - trip);
        double d = hypot(p0->e_m - u->e_m, p0->n_m - u->n_m);
        if (d <= reach && d < best_d) {
            best = (int)k;
            best_d = d;
            best_t = trip;
        }
    }
    if (best < 0)
        return;
    struct bf_live *tl = bf_rules_live_find(a, ugs_key((uint32_t)best, z));
    if (tl && !r->episode[0])
        memcpy(r->episode, tl->a.episode, sizeof r->episode);
    bf_rules_trigger(a, c, BF_ALERT_INCURSION, z, bf_rules_track_sev(a, c, BF_ALERT_INCURSION, z), best_t);
    if (!bf_rules_live_find(a, bf_rules_key_of(trk->id, z, BF_ALERT_INCURSION)))
        return;   /* not yet (gates): again at its next step */
    r->ugs_checked = true;
    a->st.joined_incursions++;
    tl = bf_rules_live_find(a, ugs_key((uint32_t)best, z));
    if (tl)
        ugs_resolve_covered(a, (size_t)(tl - a->v), trk, c->now);
    a->ugs[best].n = 0;   /* the track explains the trips */
}

/* ---- ground-sensor sequences: INCURSION before any track ------------------------------------ */

/*
 * docs/alerts.md, "Ground-sensor sequence": a trip at sensor B whose area lies wholly on our
 * side of its nearest line, after a trip at sensor A of the same line whose area reaches the
 * line or lies on their side, B's deeper than A's, at a speed the hints allow, within
 * ugs_window_s: something crossed between them.  INCURSION keyed by B, with no track, until a
 * track that covers B (or joins it from deeper inside) takes it over.
 */

/* Where a trip says its target is: the points within r of the segment (e0, n0)-(e1, n1): a
 * presence's disc, or a bearing's ray out to its reach, widened by 3 sigma at its far end. */
struct ugs_area {
    double e0, n0, e1, n1, r;
};

static struct ugs_area ugs_trip_area(const struct bf_ugs_rec *u, unsigned m)
{
    struct ugs_area ar = {u->e_m, u->n_m, u->e_m, u->n_m, u->z0[m]};
    if (u->sig[m] == UGS_SIG_BEARING) {
        double reach = u->range_m > 0 && isfinite(u->range_m) ? u->range_m : UGS_BEARING_REACH_M;
        ar.e1 += reach * sin(u->z0[m]);
        ar.n1 += reach * cos(u->z0[m]);
        ar.r = reach * tan(fmin(3.0 * u->sigma_rad, M_PI / 3.0));
    }
    return ar;
}

/* The least and greatest signed distance (our side > 0) of the area to line z, from its
 * segment's ends. */
static void ugs_depths(const struct bf_alerter *a, int z, const struct ugs_area *ar, double *lo,
                       double *hi)
{
    double d[2];
    for (int k = 0; k < 2; k++) {
        double e = k ? ar->e1 : ar->e0, n = k ? ar->n1 : ar->n0;
        d[k] = bf_geo_zone_distance(a->zones, (size_t)z, e, n);
        if (bf_geo_line_side(a->zones, (size_t)z, e, n) < 0)
            d[k] = -d[k];
    }
    *lo = fmin(d[0], d[1]) - ar->r;
    *hi = fmax(d[0], d[1]) + ar->r;
}

static double seg_point_dist(const struct ugs_area *s, double e, double n)
{
    double de = s->e1 - s->e0, dn = s->n1 - s->n0, l2 = de * de + dn * dn;
    double f = l2 > 0 ? ((e - s->e0) * de + (n - s->n0) * dn) / l2 : 0.0;
    f = fmin(fmax(f, 0.0), 1.0);
    return hypot(e - (s->e0 + f * de), n - (s->n0 + f * dn));
}

static double cross3(double ae, double an, double be, double bn, double ce, double cn)
{
    return (be - ae) * (cn - an) - (bn - an) * (ce - ae);
}

/* The closest two points of the areas can be (0 when they touch). */
static double ugs_area_gap(const struct ugs_area *p, const struct ugs_area *q)
{
    double d = fmin(fmin(seg_point_dist(q, p->e0, p->n0), seg_point_dist(q, p->e1, p->n1)),
                    fmin(seg_point_dist(p, q->e0, q->n0), seg_point_dist(p, q->e1, q->n1)));
    double o1 = cross3(p->e0, p->n0, p->e1, p->n1, q->e0, q->n0);
    double o2 = cross3(p->e0, p->n0, p->e1, p->n1, q->e1, q->n1);
    double o3 = cross3(q->e0, q->n0, q->e1, q->n1, p->e0, p->n0);
    double o4 = cross3(q->e0, q->n0, q->e1, q->n1, p->e1, p->n1);
    if (o1 * o2 < 0 && o3 * o4 < 0)
        d = 0.0;   /* the segments cross */
    return fmax(0.0, d - p->r - q->r);
}

/* One pairing: A's trip m_a of sensor ai, B's newest trip, and what they imply. */
struct ugs_pair {
    uint32_t ai;
    unsigned m_a;
    double gap_m;      /* the least distance between the two areas */
    double speed_mps;  /* ... over the time between the trips: the least speed that explains them */
    double a_hi, b_lo; /* A's greatest and B's least depth */
};

/* The latest earlier trip of another sensor of B's line that B's newest trip pairs with. */
static bool ugs_find_pair(const struct bf_alerter *a, uint32_t bi, struct ugs_pair *out)
{
    const struct bf_ugs_rec *b = &a->ugs[bi];
    unsigned mb = b->n - 1;
    int z = b->line;
    if (z < 0 || b->cls[mb] == BF_CLASS_ANIMAL)
        return false;
    struct ugs_area ab = ugs_trip_area(b, mb);
    double b_lo, b_hi;
    ugs_depths(a, z, &ab, &b_lo, &b_hi);
    if (!(b_lo > 0))
        return false;   /* B must lie wholly on our side */
    bf_time_us tb = b->t_us[mb], win = bf_time_from_s(a->p.ugs_window_s), best_t = BF_TIME_NONE;
    for (uint32_t k = 0; k < a->n_sensors; k++) {
        const struct bf_ugs_rec *u = &a->ugs[k];
        if (k == bi || !u->line_known || u->line != z)
            continue;
        for (unsigned m = u->n; m-- > 0;) {
            if (u->t_us[m] >= tb || u->cls[m] == BF_CLASS_ANIMAL)
                continue;   /* not earlier; an animal's trip never pairs */
            if (tb - u->t_us[m] > win)
                break;      /* too slow: too long a gap */
            struct ugs_area aa = ugs_trip_area(u, m);
            double a_lo, a_hi;
            ugs_depths(a, z, &aa, &a_lo, &a_hi);
            double dt = bf_time_to_s(tb - u->t_us[m]), gap = ugs_area_gap(&aa, &ab);
            double top = fmax(u->top_mps[m], b->top_mps[mb]);
            if (a_lo <= 0 && b_hi > a_hi && gap <= top * dt &&
                (best_t == BF_TIME_NONE || u->t_us[m] > best_t)) {
                best_t = u->t_us[m];
                *out = (struct ugs_pair){.ai = k, .m_a = m, .gap_m = gap, .speed_mps = gap / dt,
                                         .a_hi = a_hi, .b_lo = b_lo};
            }
            break;   /* only its latest earlier trip */
        }
    }
    return best_t != BF_TIME_NONE;
}

/* A live sequence INCURSION raised from the same trip of A (B's own, or a shallower sensor's:
 * the same crossing seen further in), or NULL. */
static struct bf_live *ugs_seq_live(struct bf_alerter *a, uint32_t bi, int z,
                                    const struct ugs_pair *p, bf_time_us t_a)
{
    struct bf_live *l = bf_rules_live_find(a, ugs_seq_key(bi, z));
    for (uint32_t k = 0; !l && p && k < a->n_sensors; k++) {
        struct bf_live *o = bf_rules_live_find(a, ugs_seq_key(k, z));
        if (o && a->ugs[k].seq_a == p->ai && a->ugs[k].seq_a_us == t_a)
            l = o;
    }
    return l;
}

/* Another trip at B (or a deeper sensor of the same crossing): the target is still there. */
static void ugs_seq_update(struct bf_alerter *a, struct bf_live *l, const struct bf_detection *d)
{
    struct bf_alert *al = &l->a;
    if (d->t_us <= al->last_us && al->state != BF_ALERT_LOST)
        return;
    bool force = al->state == BF_ALERT_LOST;
    if (force) {   /* it had gone LOST idle: tripped again */
        al->state = al->ack_by[0] ? BF_ALERT_ACKNOWLEDGED : BF_ALERT_UPDATED;
        al->lost_us = BF_TIME_NONE;
        al->lost_radius_m = al->lost_growth_mps = NAN;
        al->cause[0] = '\0';
    }
    if (d->t_us > al->last_us)
        al->last_us = d->t_us;
    al->sensors |= UINT64_C(1) << d->sensor_idx;
    al->n_hits++;
    l->last_update_us = al->last_us;
    if (force || al->last_us - l->last_pub_us >= bf_time_from_s(a->p.update_min_interval_s)) {
        if (al->state == BF_ALERT_NEW)
            al->state = BF_ALERT_UPDATED;
        bf_rules_publish(a, l);
    }
}

static void ugs_seq_raise(struct bf_alerter *a, uint32_t bi, const struct ugs_pair *p,
                          const struct bf_detection *d)
{
    struct bf_ugs_rec *b = &a->ugs[bi];
    const struct bf_ugs_rec *u = &a->ugs[p->ai];
    int z = b->line;
    bf_time_us t_a = u->t_us[p->m_a];
    char tmp[24], id[BF_ALERT_ID_LEN];
    snprintf(tmp, sizeof tmp, "sensor-%" PRIu32, bi);
    const char *sid = a->sensor_ids[bi] ? a->sensor_ids[bi] : tmp;
    if (bf_alert_make_id(a->site, BF_ALERT_INCURSION, 0, sid, d->t_us, id) < 0) {
        a->st.publish_errors++;
        return;
    }
    uint64_t key = ugs_seq_key(bi, z);
    size_t ci = bf_rules_closed_lower_bound(a, key);   /* an operator closed the last one: a */
    if (ci < a->n_closed && a->closed[ci] == key)      /* new sequence is a new crossing */
        bf_sorted_close(a->closed, &a->n_closed, sizeof *a->closed, ci, 1);
    struct bf_live *l = bf_rules_live_insert(a, key);
    if (!l) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "sensor %s: out of memory raising INCURSION", sid);
        return;
    }
    b->seq_a = p->ai;
    b->seq_a_us = t_a;
    struct bf_alert *al = &l->a;
    memcpy(al->id, id, sizeof id);
    /* the episode: a live UGS_TRIGGER of A (the first alert of this walker), else of B */
    const struct bf_live *tl = bf_rules_live_find(a, ugs_key(p->ai, z));
    if (!tl)
        tl = bf_rules_live_find(a, ugs_key(bi, z));
    memcpy(al->episode, tl ? tl->a.episode : id, sizeof al->episode);
    al->type = BF_ALERT_INCURSION;
    al->state = BF_ALERT_NEW;
    al->track_id = 0;
    al->sensor_idx = (int)bi;
    al->zone_idx = z;
    const struct bf_zone_info *zi = bf_geo_zone_info(a->zones, (size_t)z);
    bf_rules_copy_utf8(al->zone_id, sizeof al->zone_id, zi ? zi->id : "");
    bf_rules_copy_utf8(al->zone_name, sizeof al->zone_name, zi ? (zi->name ? zi->name : zi->id) : "");
    al->zone_kind = zi ? zi->kind : BF_ZONE_BORDER_LINE;
    al->first_us = al->last_us = d->t_us;
    if (bf_geo_to_wgs84(a->frame, b->e_m, b->n_m, &al->lat_deg, &al->lon_deg) < 0)
        al->lat_deg = al->lon_deg = NAN;
    al->ve_mps = al->vn_mps = al->speed_mps = al->heading_deg = NAN;
    al->cls = ugs_class(d, &al->class_p);
    bool kinds = a->kind_of[p->ai] != a->kind_of[bi] || u->sig[p->m_a] != b->sig[b->n - 1];
    al->confidence = kinds ? UGS_SEQ_CONF_KINDS : UGS_SEQ_CONF;
    al->time_to_line_s = INFINITY;
    al->dist_to_line_m = b->line_dist_m;
    /* crossed between the trips, where the gaps of the two areas to the line put it */
    double ga = fmax(-p->a_hi, 0.0), gb = p->b_lo;
    al->crossing_us = t_a + (bf_time_us)llround(ga / (ga + gb) * (double)(d->t_us - t_a));
    al->sensors = (UINT64_C(1) << p->ai) | (UINT64_C(1) << bi);
    al->n_hits = 2;
    al->exercise = a->p.exercise || (d->flags & BF_DET_F_EXERCISE);
    char ta[16], tb[16], tmp_a[24];
    bf_alert_clock_text(t_a, ta);
    bf_alert_clock_text(d->t_us, tb);
    snprintf(tmp_a, sizeof tmp_a, "sensor-%" PRIu32, p->ai);
    int len = snprintf(al->reason, sizeof al->reason, "%s at %s, then %s at %s",
                       a->sensor_ids[p->ai] ? a->sensor_ids[p->ai] : tmp_a, ta, sid, tb);
    if (len > 0 && (size_t)len < sizeof al->reason)
        snprintf(al->reason + len, sizeof al->reason - (size_t)len,
                 p->gap_m > 0 ? ": at least %.1f m/s" : ": their areas touch", p->speed_mps);
    const struct bf_sev_in in = {.type = BF_ALERT_INCURSION, .zone_severity = zi ? zi->severity : 0,
                                 .cls = al->cls, .confidence = al->confidence,
                                 .class_p = al->class_p};
    al->severity = bf_alert_severity(&in);
    l->last_update_us = d->t_us;
    l->touched = a->step_no;
    bf_rules_publish(a, l);
}

/* B's newest trip (uncovered, in its ring): raise or update the sequence INCURSION it makes. */
static void ugs_sequence(struct bf_alerter *a, uint32_t bi, const struct bf_detection *d)
{
    struct ugs_pair p;
    bool paired = ugs_find_pair(a, bi, &p);
    int z = a->ugs[bi].line;
    if (z < 0)
        return;
    struct bf_live *l = ugs_seq_live(a, bi, z, paired ? &p : NULL,
                                     paired ? a->ugs[p.ai].t_us[p.m_a] : BF_TIME_NONE);
    if (l)
        ugs_seq_update(a, l, d);
    else if (paired)
        ugs_seq_raise(a, bi, &p, d);
}

/*
 * The sequence INCURSION v[i] moves onto track trk: same id and episode, UPDATED (ACKNOWLEDGED
 * if an operator took it; a LOST one is back), reason "taken over by track N", published at
 * the track's update in this step; the trips of its two sensors are explained, their
 * UGS_TRIGGERs resolved "covered by track N".  If the track has its own INCURSION on that line
 * (or an operator closed it), the sequence one is RESOLVED "covered by track N" instead.
 * Returns whether it moved.
 */
static bool ugs_take_over(struct bf_alerter *a, size_t i, const struct bf_track *trk, bf_time_us now)
{
    struct bf_live *l = &a->v[i];
    int z = l->a.zone_idx;
    uint32_t bi = (uint32_t)l->a.sensor_idx, ai = a->ugs[bi].seq_a;
    uint64_t nk = bf_rules_key_of(trk->id, z, BF_ALERT_INCURSION);
    size_t ci = bf_rules_closed_lower_bound(a, nk);
    bool moved = !bf_rules_live_find(a, nk) && !(ci < a->n_closed && a->closed[ci] == nk);
    char why[64];
    snprintf(why, sizeof why, "covered by track %" PRIu32, trk->id);
    if (!moved) {
        bf_rules_copy_utf8(l->a.cause, sizeof l->a.cause, why);
        bf_rules_resolve_at(a, i, now);
    } else {
        struct bf_alert *al = &l->a;
        if (al->state == BF_ALERT_LOST) {
            al->lost_us = BF_TIME_NONE;
            al->lost_radius_m = al->lost_growth_mps = NAN;
        }
        if (al->state != BF_ALERT_ACKNOWLEDGED)
            al->state = al->ack_by[0] ? BF_ALERT_ACKNOWLEDGED : BF_ALERT_UPDATED;
        al->track_id = trk->id;
        al->sensor_idx = -1;
        snprintf(al->cause, sizeof al->cause, "taken over by track %" PRIu32, trk->id);
        l->force_pub = true;
        l->touched = 0;
        if ((l = bf_rules_live_rekey(a, i, nk)) != NULL) {
            struct bf_trk_rec *r = bf_rules_rec_get(a, trk->id, now);
            if (r && !r->episode[0])
                memcpy(r->episode, l->a.episode, sizeof r->episode);
        }
    }
    uint32_t both[2] = {ai, bi};
    for (int k = 0; k < 2; k++) {
        struct bf_live *tl = bf_rules_live_find(a, ugs_key(both[k], z));
        if (tl)
            ugs_resolve_covered(a, (size_t)(tl - a->v), trk, now);
        a->ugs[both[k]].n = 0;   /* the track explains the trips */
    }
    return moved;
}
