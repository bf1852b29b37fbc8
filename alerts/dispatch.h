/*
 * dispatch.h - which response units to send to an alert (docs/dispatch.md):
 * the units' positions from borderfuse/<site>/units/<id>, the interception
 * of a moving target by a unit driving straight at a known speed, and the
 * nearest available units by estimated time of arrival.  Pure: no I/O, no
 * clock; the engine keeps the table of units and calls these.
 */
#ifndef BF_DISPATCH_H
#define BF_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "core/bf_time.h"
#include "geo/geo.h"

/* A speed for one unit ("dispatch.unit_speeds"). */
struct bf_dispatch_speed {
    const char *id;           /* borrowed */
    double speed_mps;
};

/* The config's "dispatch" section. */
struct bf_dispatch_params {
    bool enabled;             /* default true */
    double unit_speed_mps;    /* default 12 */
    double unit_stale_s;      /* a fix this far from the alert's time is not used; default 60 */
    uint32_t max_units;       /* units remembered; default 256 */
    const struct bf_dispatch_speed *speeds;   /* per-unit overrides (borrowed), n_speeds of them */
    size_t n_speeds;
};

void bf_dispatch_params_default(struct bf_dispatch_params *p);

/* The speed of unit id: its override, else unit_speed_mps. */
double bf_dispatch_speed_of(const struct bf_dispatch_params *p, const char *id);

/* A unit's last reported position. */
struct bf_dispatch_unit {
    char id[BF_UNIT_ID_MAX];
    double lat_deg, lon_deg;
    bf_time_us t_us;          /* the fix time */
};

/*
 * Parse the payload of borderfuse/<site>/units/<topic_id> (the gps plugin's
 * message, docs/gps.md): "id" (equal to topic_id), "time", "lat", "lon" are
 * required; other members are ignored.  Untrusted input: any bytes.
 * Returns 0 (out filled), BF_ENOTFOUND for an empty payload (a retained
 * message cleared: the unit is gone), or BF_EPARSE with a reason in err.
 */
int bf_dispatch_unit_parse(const char *topic_id, const void *payload, size_t len,
                           struct bf_dispatch_unit *out, char *err, size_t errlen);

/*
 * Interception: a target at p moving at constant velocity v, a unit at u
 * moving straight at speed s: the smallest t >= 0 with |p + v t - u| = s t.
 * Returns 0 with *t_s, or BF_ENOTFOUND when the unit cannot catch it (the
 * target is faster and moving away).  Local metres, m/s, seconds.
 */
int bf_dispatch_intercept(double pe, double pn, double ve, double vn, double ue, double un,
                          double speed_mps, double *t_s);

/* A unit able to go (available, not stale), in the local frame. */
struct bf_dispatch_cand {
    const char *id;
    double e_m, n_m;
    double speed_mps;
};

/* The ranking's result beyond the units themselves. */
struct bf_dispatch_best {
    bool intercept;           /* the first unit intercepts (else its ETA is to the target now) */
    double ie_m, in_m;        /* where, local frame (valid with intercept) */
};

/*
 * Rank n candidates for a target at p moving at v: up to max (<= BF_ALERT_UNITS)
 * units into out, by ETA, then distance, then id.  Each unit's ETA is to
 * its interception point, or, without one, to the target's current position.
 * Returns the number written; best describes out[0].
 */
size_t bf_dispatch_rank(const struct bf_dispatch_cand *c, size_t n, double pe, double pn,
                        double ve, double vn, struct bf_alert_unit *out, size_t max,
                        struct bf_dispatch_best *best);

/* Is a unit busy elsewhere (assigned to a live alert)? */
typedef bool (*bf_dispatch_busy_fn)(void *ctx, const char *unit_id);

/*
 * Fill a's units[], n_units, intercept_lat/lon from the known units: those
 * whose fix is within unit_stale_s of a->last_us (either way) and that busy
 * does not claim (busy may be NULL).  The target is the alert's position and
 * velocity (a NAN velocity is taken as standing still).  A SENSOR_FAULT or a
 * closed alert (RESOLVED, FALSE_ALARM) gets no units.  cands is scratch space
 * for n entries.  Returns the number of units proposed.
 */
unsigned bf_dispatch_fill(const struct bf_dispatch_params *p, struct bf_geo_frame *frame,
                          const struct bf_dispatch_unit *units, size_t n,
                          struct bf_dispatch_cand *cands, bf_dispatch_busy_fn busy, void *busy_ctx,
                          struct bf_alert *a);

#endif
