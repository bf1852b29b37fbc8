/*
 * rules_ugs.c - the alerter's ground-sensor rules (docs/alerts.md): UGS_TRIGGER (per ground
 * sensor, a small ring of uncovered trips; raised after ugs_min_events within ugs_window_s,
 * resolved when a track comes to cover the sensor) and the join of a track that starts on our
 * side to the trips of a sensor at the line (joined history).  The alerter's state and the
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

/* Keyed like SENSOR_FAULT, above every track id, with the sensor's nearest line as zone. */
static uint64_t ugs_key(uint32_t sensor_idx, int line)
{
    return bf_rules_key_of(UINT32_MAX - sensor_idx, line, BF_ALERT_UGS_TRIGGER);
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

/* A CONFIRMED/COASTING track stepped: does it now cover a sensor with a live UGS_TRIGGER? */
void bf_rules_ugs_cover_by_track(struct bf_alerter *a, const struct bf_track *t)
{
    if (!a->n_sensors)
        return;
    size_t i = bf_rules_lower_bound(a, bf_rules_key_of(UINT32_MAX - (uint32_t)(a->n_sensors - 1), -1, 0));
    while (i < a->n) {
        const struct bf_live *l = &a->v[i];
        if (l->a.type == BF_ALERT_UGS_TRIGGER && l->a.sensor_idx >= 0 &&
            (size_t)l->a.sensor_idx < a->n_sensors &&
            ugs_covered_by(a, &a->ugs[l->a.sensor_idx], t))
            ugs_resolve_covered(a, i, t, t->t_us);   /* removes v[i] */
        else
            i++;
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
    r->n -= drop;
    if (r->n && d->t_us < r->t_us[r->n - 1])
        r->n = 0;   /* time went back (cannot happen after the reorder window): start over */
    r->t_us[r->n] = d->t_us;
    r->sig[r->n] = d->kind == BF_MEAS_BEARING ? UGS_SIG_BEARING
                                               : (uint32_t)fmin(llround(d->z[0] * 10.0), 1e9);
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
    return 0;
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
        double reach = (u->kind == BF_MEAS_PRESENCE ? u->radius_m : 0.0) + a->p.ugs_cover_m +
                       bf_rules_class_speed_mps(c->cls) * bf_time_to_s(trk->first_us - trip);
        if (u->kind == BF_MEAS_BEARING)
            reach += u->range_m > 0 && isfinite(u->range_m) ? u->range_m : UGS_BEARING_REACH_M;
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
