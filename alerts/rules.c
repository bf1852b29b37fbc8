/*
 * rules.c - the alerter: turns track changes and their geofence steps into
 * alerts, one live alert per (track, zone, type), and drives each alert
 * through NEW -> UPDATED* -> RESOLVED, journaling every change before it is
 * handed to the sink.
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
 * Invariants of struct bf_alerter (checked by bf_alerter_check()):
 *  (1) v[0..n) is sorted by key, strictly ascending (one live alert per key);
 *  (2) v[i].key == key_of(track_id, zone_idx, type) of v[i].a;
 *  (3) a live alert is NEW or UPDATED (RESOLVED ones leave the array);
 *  (4) v[i].a.seq <= seq (seq is the last number handed out);
 *  (5) v[i].last_pub_us <= v[i].last_update_us;
 *  (6) n <= cap.
 */
#include "alerts/alerts_int.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define LOG_COMP "alerts"
#define JSON_BUF0 4096
#define JSON_BUF_MAX (1024 * 1024)

struct live {
    uint64_t key;
    struct bf_alert a;           /* current content: last publication + later updates */
    bf_time_us last_pub_us;      /* event time of the last publication */
    bf_time_us last_update_us;   /* event time of the last update (published or not) */
    uint64_t touched;            /* step_no of the step that last handled it */
};

struct bf_alerter {
    struct bf_alert_params p;
    char *site;
    struct bf_geo_zones *zones;     /* borrowed */
    struct bf_geo_frame *frame;     /* borrowed */
    const char **sensor_ids;        /* array copied, strings borrowed */
    size_t n_sensors;
    struct bf_alert_sink sink;
    struct bf_journal *journal;     /* NULL: none */
    uint64_t seq;                   /* last sequence number handed out */
    struct bf_alerter_stats st;
    size_t n_zones;
    uint64_t mask_no_alert, mask_restricted;
    struct live *v;
    size_t n, cap;
    uint64_t step_no;
    char *json;
    size_t json_cap;
};

/* What one call knows about its track. */
struct step_ctx {
    const struct bf_track *trk;
    const struct bf_geo_step *step;
    bf_time_us now;
    struct bf_alert_conf conf;
    bool base_ok;       /* CONFIRMED/COASTING with min_hits */
    bool have_geo;      /* lat/lon/velocity below computed */
    double lat, lon, ve, vn, speed, heading;
};

/* ---- keys and the live array --------------------------------------------- */

static uint64_t key_of(uint32_t track_id, int zone_idx, enum bf_alert_type type)
{
    return ((uint64_t)track_id << 16) | ((uint64_t)(uint8_t)(zone_idx + 1) << 8) | (uint8_t)type;
}

/* First index whose key is >= key. */
static size_t lower_bound(const struct bf_alerter *a, uint64_t key)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct live *live_find(struct bf_alerter *a, uint64_t key)
{
    size_t i = lower_bound(a, key);
    return (i < a->n && a->v[i].key == key) ? &a->v[i] : NULL;
}

/* A zeroed entry for key (absent), or NULL when memory runs out. */
static struct live *live_insert(struct bf_alerter *a, uint64_t key)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct live *nv = realloc(a->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        a->v = nv;
        a->cap = cap;
    }
    size_t i = lower_bound(a, key);
    memmove(&a->v[i + 1], &a->v[i], (a->n - i) * sizeof *a->v);
    a->n++;
    memset(&a->v[i], 0, sizeof a->v[i]);
    a->v[i].key = key;
    struct bf_alert *al = &a->v[i].a;
    al->sensor_idx = -1;
    al->dwell_s = NAN;
    al->ack_us = BF_TIME_NONE;
    al->intercept_lat = al->intercept_lon = NAN;
    al->camera_idx = -1;
    return &a->v[i];
}

static void live_remove(struct bf_alerter *a, size_t i)
{
    memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof *a->v);
    a->n--;
}

bool bf_alerter_check(const struct bf_alerter *a)
{
    bool ok = a->n <= a->cap;                                                     /* (6) */
    for (size_t i = 0; ok && i < a->n; i++) {
        const struct live *l = &a->v[i];
        ok = (i == 0 || a->v[i - 1].key < l->key)                                 /* (1) */
             && l->key == key_of(l->a.track_id, l->a.zone_idx, l->a.type)         /* (2) */
             && (l->a.state == BF_ALERT_NEW || l->a.state == BF_ALERT_UPDATED)    /* (3) */
             && l->a.seq <= a->seq                                                /* (4) */
             && l->last_pub_us <= l->last_update_us;                              /* (5) */
    }
    assert(ok);
    return ok;
}

/* ---- confidence ------------------------------------------------------------ */

void bf_alert_confidence(const struct bf_track *trk, struct bf_alert_conf *out)
{
    /* hit ratio over the opportunities since the oldest hit still in hit_bits */
    unsigned window = trk->hit_bits ? 32u - (unsigned)__builtin_clz(trk->hit_bits) : 0;
    double ratio = window ? (double)__builtin_popcount(trk->hit_bits) / window : 0.0;
    out->quality = (1.0 - exp(-(double)trk->n_hits / 4.0)) * ratio;
    out->support = 1.0 - pow(0.5, (double)__builtin_popcountll(trk->sensors));
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

/* ---- filling an alert from its track ---------------------------------------- */

static void copy_utf8(char *dst, size_t cap, const char *src)
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

static bool is_line(const struct bf_alerter *a, int z)
{
    if (z < 0 || (size_t)z >= a->n_zones)
        return false;
    const struct bf_zone_info *zi = bf_geo_zone_info(a->zones, (size_t)z);
    return zi && zi->kind == BF_ZONE_BORDER_LINE;
}

/* Side of line z for the track now: the step's answer for the nearest line, else asked. */
static int side_of(struct bf_alerter *a, const struct step_ctx *c, int z)
{
    if (z == c->step->nearest_line)
        return c->step->line_side;
    return bf_geo_line_side(a->zones, (size_t)z, c->trk->x[0], c->trk->x[1]);
}

/* Distance, time to line (INFINITY unless on their side) for line z, or the nearest line. */
static void line_metrics(struct bf_alerter *a, const struct step_ctx *c, int z, double *dist_m,
                         double *ttl_s)
{
    const struct bf_geo_step *s = c->step;
    *dist_m = NAN;
    *ttl_s = INFINITY;
    if (!is_line(a, z))
        z = s->nearest_line;
    if (z < 0)
        return;
    if (z == s->nearest_line) {
        *dist_m = s->dist_to_line_m;
        if (s->line_side == -1 && s->time_to_line_s >= 0)
            *ttl_s = s->time_to_line_s;
    } else if (is_line(a, z)) {
        *dist_m = bf_geo_zone_distance(a->zones, (size_t)z, c->trk->x[0], c->trk->x[1]);
    }
}

static void compute_geo(struct bf_alerter *a, struct step_ctx *c)
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
static void fill(struct bf_alerter *a, struct step_ctx *c, struct live *l)
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
    l->last_update_us = c->now;
}

/* ---- publication ------------------------------------------------------------ */

static bool power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

/* Number, journal, then hand to the sink; failures are counted, never fatal. */
static void publish(struct bf_alerter *a, struct live *l)
{
    uint64_t seq = a->seq + 1, old_seq = l->a.seq;
    l->a.seq = seq;
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
    if (a->journal && bf_journal_append(a->journal, a->json, (size_t)n) < 0) {
        /* Published anyway: the operator must see an incursion even with a full
         * disk; the gap is counted in status and logged (docs/alerts.md). */
        a->st.journal_errors++;
        if (power_of_two(a->st.journal_errors))
            BF_LOGE(LOG_COMP, "journal append failed (%" PRIu64 " so far); alert %s seq %" PRIu64
                    " published without its journal line", a->st.journal_errors, l->a.id, seq);
    }
    switch (l->a.state) {
    case BF_ALERT_NEW: a->st.raised++; break;
    case BF_ALERT_UPDATED: a->st.updated++; break;
    case BF_ALERT_RESOLVED: a->st.resolved++; break;
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
static void resolve_at(struct bf_alerter *a, size_t i, bf_time_us t_us)
{
    struct live *l = &a->v[i];
    l->a.state = BF_ALERT_RESOLVED;
    if (t_us > l->a.last_us)
        l->a.last_us = t_us;
    publish(a, l);
    live_remove(a, i);
}

/* Update l from the track; publish if the severity changed or the interval has passed. */
static void update(struct bf_alerter *a, struct step_ctx *c, struct live *l, enum bf_severity sev)
{
    fill(a, c, l);
    l->touched = a->step_no;
    bool sev_changed = sev != l->a.severity;
    l->a.severity = sev;
    bf_time_us min_us = bf_time_from_s(a->p.update_min_interval_s);
    if (sev_changed || c->now - l->last_pub_us >= min_us) {
        l->a.state = BF_ALERT_UPDATED;
        publish(a, l);
    }
}

/* ---- raising ------------------------------------------------------------------ */

/* May this track raise a new alert now?  Counts the suppressions. */
static bool gate(struct bf_alerter *a, const struct step_ctx *c)
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
    if (c->conf.confidence < a->p.min_confidence) {
        a->st.suppressed_confidence++;
        return false;
    }
    return true;
}

static void raise_alert(struct bf_alerter *a, struct step_ctx *c, enum bf_alert_type type, int z,
                        enum bf_severity sev, bf_time_us crossing_us)
{
    const struct bf_zone_info *zi = z >= 0 ? bf_geo_zone_info(a->zones, (size_t)z) : NULL;
    char id[BF_ALERT_ID_LEN];
    if (bf_alert_make_id(a->site, type, c->trk->id, zi ? zi->id : "", c->now, id) < 0) {
        a->st.publish_errors++;
        BF_LOGE(LOG_COMP, "track %" PRIu32 ": cannot make an alert id", c->trk->id);
        return;
    }
    struct live *l = live_insert(a, key_of(c->trk->id, zi ? z : -1, type));
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
    copy_utf8(al->zone_id, sizeof al->zone_id, zi ? zi->id : "");
    copy_utf8(al->zone_name, sizeof al->zone_name, zi ? (zi->name ? zi->name : zi->id) : "");
    al->zone_kind = zi ? zi->kind : BF_ZONE_BORDER_LINE;
    al->first_us = c->now;
    al->crossing_us = crossing_us;
    al->sensor_idx = -1;
    fill(a, c, l);
    l->touched = a->step_no;
    publish(a, l);
}

/* A rule fired for (type, zone): update the live alert or raise a new one. */
static void trigger(struct bf_alerter *a, struct step_ctx *c, enum bf_alert_type type, int z,
                    enum bf_severity sev, bf_time_us crossing_us)
{
    struct live *l = live_find(a, key_of(c->trk->id, z, type));
    if (l) {
        if (l->touched != a->step_no)
            update(a, c, l, sev);
    } else if (gate(a, c)) {
        raise_alert(a, c, type, z, sev, crossing_us);
    }
}

static enum bf_severity zone_severity(const struct bf_zone_info *zi)
{
    int s = zi ? zi->severity : BF_SEV_MEDIUM;
    return (enum bf_severity)(s < 1 ? 1 : s > 4 ? 4 : s);
}

static enum bf_severity incursion_severity(const struct bf_zone_info *zi)
{
    return (zi && zi->severity >= 4) ? BF_SEV_CRITICAL : BF_SEV_HIGH;
}

static const struct bf_track_point *hist_at(const struct bf_track *trk, unsigned i)
{
    return &trk->hist[(trk->hist_head + i) % BF_TRACK_HIST];
}

/*
 * Crossing time for a crossing at fraction frac of the segment from the
 * track's previous history point (the newest one older than now) to now.
 */
static bf_time_us crossing_time(const struct step_ctx *c, double frac)
{
    const struct bf_track *trk = c->trk;
    unsigned len = trk->hist_len <= BF_TRACK_HIST ? trk->hist_len : BF_TRACK_HIST;
    for (unsigned k = len; k-- > 0;) {
        const struct bf_track_point *pt = hist_at(trk, k);
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
static bf_time_us late_crossing_time(struct bf_alerter *a, const struct step_ctx *c, int z)
{
    const struct bf_track *trk = c->trk;
    unsigned len = trk->hist_len <= BF_TRACK_HIST ? trk->hist_len : BF_TRACK_HIST;
    bool have_theirs = false;
    struct bf_track_point theirs = {0};
    for (unsigned k = 0; k <= len; k++) {
        struct bf_track_point pt =
            k < len ? *hist_at(trk, k)
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

static void rule_incursion(struct bf_alerter *a, struct step_ctx *c)
{
    const struct bf_geo_step *s = c->step;
    int nc = s->n_crossings < 0 ? 0 : s->n_crossings > BF_GEO_MAX_CROSSINGS ? BF_GEO_MAX_CROSSINGS
                                                                            : s->n_crossings;
    for (int i = 0; i < nc; i++) {
        const struct bf_geo_crossing *cr = &s->crossings[i];
        if (cr->dir != +1 || !is_line(a, cr->zone))
            continue;
        trigger(a, c, BF_ALERT_INCURSION, cr->zone,
                incursion_severity(bf_geo_zone_info(a->zones, cr->zone)), crossing_time(c, cr->frac));
    }
    /* late confirmation: on our side now, its earliest remembered point on theirs */
    int z = s->nearest_line;
    if (!is_line(a, z) || s->line_side != +1 || c->trk->hist_len == 0 ||
        live_find(a, key_of(c->trk->id, z, BF_ALERT_INCURSION)))
        return;
    const struct bf_track_point *oldest = hist_at(c->trk, 0);
    if (bf_geo_line_side(a->zones, (size_t)z, oldest->e_m, oldest->n_m) != -1)
        return;
    trigger(a, c, BF_ALERT_INCURSION, z, incursion_severity(bf_geo_zone_info(a->zones, (size_t)z)),
            late_crossing_time(a, c, z));
}

static void rule_zone_entry(struct bf_alerter *a, struct step_ctx *c)
{
    uint64_t m = c->step->inside & a->mask_restricted;
    while (m) {
        int z = __builtin_ctzll(m);
        m &= m - 1;
        trigger(a, c, BF_ALERT_ZONE_ENTRY, z, zone_severity(bf_geo_zone_info(a->zones, (size_t)z)),
                BF_TIME_NONE);
    }
}

static bool approaching(const struct bf_alerter *a, double dist_m, double ttl_s)
{
    return (a->p.approach_distance_m > 0 && dist_m <= a->p.approach_distance_m) ||
           (a->p.approach_time_s > 0 && ttl_s <= a->p.approach_time_s);
}

static void rule_approach(struct bf_alerter *a, struct step_ctx *c)
{
    const struct bf_geo_step *s = c->step;
    if (!is_line(a, s->nearest_line) || s->line_side != -1 ||
        !approaching(a, s->dist_to_line_m, s->time_to_line_s))
        return;
    /* a track whose incursion on this line is still live is not approaching it */
    if (live_find(a, key_of(c->trk->id, s->nearest_line, BF_ALERT_INCURSION)))
        return;
    trigger(a, c, BF_ALERT_APPROACH, s->nearest_line, BF_SEV_MEDIUM, BF_TIME_NONE);
}

static bool crossed_in(const struct bf_geo_step *s, int z)
{
    for (int i = 0; i < s->n_crossings && i < BF_GEO_MAX_CROSSINGS; i++)
        if (s->crossings[i].zone == z && s->crossings[i].dir == +1)
            return true;
    return false;
}

/*
 * The track's live alerts no trigger handled in this step: resolve those
 * whose condition has ended, update the others (they follow their track).
 */
static void follow_up(struct bf_alerter *a, struct step_ctx *c)
{
    size_t i = lower_bound(a, key_of(c->trk->id, -1, 0));
    uint64_t end = key_of(c->trk->id, -1, 0) + (UINT64_C(1) << 16);
    while (i < a->n && a->v[i].key < end) {
        struct live *l = &a->v[i];
        if (l->touched == a->step_no) {
            i++;
            continue;
        }
        int z = l->a.zone_idx;
        bool ended = false;
        switch (l->a.type) {
        case BF_ALERT_INCURSION:
            /* back on their side, and clearly so: a track wobbling on the
             * line (noise, a group pausing at the fence) stays one incursion */
            if (is_line(a, z) && side_of(a, c, z) == -1) {
                double dist, ttl;
                line_metrics(a, c, z, &dist, &ttl);
                ended = !(dist <= a->p.rearm_distance_m);
            }
            break;
        case BF_ALERT_ZONE_ENTRY:
            ended = z < 0 || !(c->step->inside & (UINT64_C(1) << z));
            break;
        case BF_ALERT_APPROACH: {
            if (!is_line(a, z)) {
                ended = true;
                break;
            }
            double dist, ttl;
            line_metrics(a, c, z, &dist, &ttl);
            ended = crossed_in(c->step, z) || side_of(a, c, z) == +1 ||
                    (dist > 1.5 * a->p.approach_distance_m && !(a->p.approach_time_s > 0 &&
                                                               ttl <= a->p.approach_time_s));
            break;
        }
        default:
            break;
        }
        if (ended) {
            fill(a, c, l);
            resolve_at(a, i, c->now);   /* removes v[i]: i now names the next one */
        } else {
            update(a, c, l, l->a.severity);
            i++;
        }
    }
}

/* Resolve every live alert of a track, in key order. */
static void resolve_track(struct bf_alerter *a, uint32_t track_id, bf_time_us t_us)
{
    size_t i = lower_bound(a, key_of(track_id, -1, 0));
    uint64_t end = key_of(track_id, -1, 0) + (UINT64_C(1) << 16);
    while (i < a->n && a->v[i].key < end)
        resolve_at(a, i, t_us);
}

/* ---- public ------------------------------------------------------------------------- */

int bf_alerter_on_track(struct bf_alerter *a, const struct bf_track *trk, uint32_t what,
                        const struct bf_geo_step *step)
{
    if (!a || !trk)
        return BF_EINVAL;
    if ((what & BF_CHANGE_DELETED) || trk->status == BF_TRACK_DELETED) {
        resolve_track(a, trk->id, trk->t_us);
        return 0;
    }
    if (!step || !isfinite(trk->x[0]) || !isfinite(trk->x[1]) || !isfinite(trk->x[2]) ||
        !isfinite(trk->x[3]) || trk->t_us == BF_TIME_NONE)
        return BF_EINVAL;
    a->step_no++;
    struct step_ctx c = {
        .trk = trk,
        .step = step,
        .now = trk->t_us,
        .base_ok = (trk->status == BF_TRACK_CONFIRMED || trk->status == BF_TRACK_COASTING) &&
                   trk->n_hits >= a->p.min_hits,
    };
    bf_alert_confidence(trk, &c.conf);
    rule_incursion(a, &c);
    rule_zone_entry(a, &c);
    rule_approach(a, &c);
    follow_up(a, &c);
    return 0;
}

int bf_alerter_tick(struct bf_alerter *a, bf_time_us now_us)
{
    if (!a || now_us == BF_TIME_NONE)
        return BF_EINVAL;
    if (!(a->p.resolve_after_s > 0))
        return 0;
    bf_time_us idle_us = bf_time_from_s(a->p.resolve_after_s);
    size_t i = 0;
    while (i < a->n) {
        if (a->v[i].a.type != BF_ALERT_SENSOR_FAULT && now_us - a->v[i].last_update_us >= idle_us)
            resolve_at(a, i, now_us);
        else
            i++;
    }
    return 0;
}

/* SENSOR_FAULT keys live above every track id's (track ids are < 2^31). */
static uint64_t fault_key(uint32_t sensor_idx)
{
    return key_of(UINT32_MAX - sensor_idx, -1, BF_ALERT_SENSOR_FAULT);
}

int bf_alerter_sensor_fault(struct bf_alerter *a, uint32_t sensor_idx, bool faulty, bf_time_us t_us,
                            double lat_deg, double lon_deg, const char *reason)
{
    if (!a || sensor_idx >= a->n_sensors || sensor_idx >= 64 || t_us == BF_TIME_NONE)
        return BF_EINVAL;
    uint64_t key = fault_key(sensor_idx);
    struct live *l = live_find(a, key);
    if (!faulty) {
        if (l)
            resolve_at(a, (size_t)(l - a->v), t_us);
        return 0;
    }
    if (l)
        return 0;
    const char *sid = a->sensor_ids[sensor_idx] ? a->sensor_ids[sensor_idx] : "";
    char id[BF_ALERT_ID_LEN];
    if (bf_alert_make_id(a->site, BF_ALERT_SENSOR_FAULT, 0, sid, t_us, id) < 0)
        return BF_EINVAL;
    l = live_insert(a, key);
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
    copy_utf8(al->reason, sizeof al->reason, reason ? reason : "");
    l->last_update_us = t_us;
    publish(a, l);
    return 0;
}

void bf_alerter_get_stats(const struct bf_alerter *a, struct bf_alerter_stats *out)
{
    *out = a->st;
    out->live = (uint32_t)a->n;
}

static bool params_ok(const struct bf_alert_params *p)
{
    return isfinite(p->approach_distance_m) && p->approach_distance_m >= 0 &&
           isfinite(p->rearm_distance_m) && p->rearm_distance_m >= 0 &&
           isfinite(p->approach_time_s) && p->approach_time_s >= 0 && isfinite(p->min_confidence) &&
           p->min_confidence >= 0 && p->min_confidence <= 1 && isfinite(p->resolve_after_s) &&
           p->resolve_after_s >= 0 && isfinite(p->update_min_interval_s) &&
           p->update_min_interval_s >= 0 &&
           (p->journal_fsync == BF_FSYNC_ALWAYS || p->journal_fsync == BF_FSYNC_NEVER);
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
    a->p.journal_path = NULL;   /* borrowed; only needed here */
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
    a->n_zones = bf_geo_zones_count(zones);
    if (a->n_zones > BF_GEO_MAX_ZONES)
        a->n_zones = BF_GEO_MAX_ZONES;
    for (size_t z = 0; z < a->n_zones; z++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(zones, z);
        if (zi && zi->kind == BF_ZONE_NO_ALERT)
            a->mask_no_alert |= UINT64_C(1) << z;
        if (zi && zi->kind == BF_ZONE_RESTRICTED)
            a->mask_restricted |= UINT64_C(1) << z;
    }
    if (p->journal_path) {
        rc = bf_journal_open(p->journal_path, p->journal_fsync, &a->seq, &a->journal);
        if (rc < 0)
            goto out_free_json;
        BF_LOGI(LOG_COMP, "journal %s: continuing after seq %" PRIu64, p->journal_path, a->seq);
    }
    *out = a;
    return 0;

out_free_json:
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
    bf_journal_close(a->journal);
    free(a->json);
    free(a->v);
    free(a->sensor_ids);
    free(a->site);
    free(a);
}
