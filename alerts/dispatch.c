/*
 * dispatch.c - response units for an alert: where they are, who gets there
 * first, and where they would meet the target (docs/dispatch.md).
 *
 * The problem: the operator who gets an incursion alert must send someone,
 * and the nearest unit by straight line is not always the first there: the
 * target walks on.  So each available unit is given the time to intercept
 * the target, assuming the unit drives straight at its speed s to the point
 * where the target, keeping its current velocity v, will be:
 *
 *     |p + v t - u| = s t,   d = p - u
 *     (v.v - s^2) t^2 + 2 (d.v) t + d.d = 0,   smallest root t >= 0
 *
 * A unit faster than the target always has exactly one positive root; a
 * slower one only when the target comes towards it (d.v < 0 and a real
 * root); without a root the ETA is to the target's current position, and
 * the alert says so by an intercept of null.  Units are ranked by ETA, then
 * distance, then id, so equal inputs give equal output.
 *
 * The message parser (bf_dispatch_unit_parse) takes untrusted bytes: it
 * checks every member it uses and refuses the rest with a reason.
 */
#include "alerts/dispatch.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"

void bf_dispatch_params_default(struct bf_dispatch_params *p)
{
    *p = (struct bf_dispatch_params){
        .enabled = true,
        .unit_speed_mps = 12,
        .unit_stale_s = 60,
        .max_units = 256,
    };
}

double bf_dispatch_speed_of(const struct bf_dispatch_params *p, const char *id)
{
    for (size_t i = 0; id && i < p->n_speeds; i++)
        if (p->speeds[i].id && !strcmp(p->speeds[i].id, id))
            return p->speeds[i].speed_mps;
    return p->unit_speed_mps;
}

/* ---- the units message ------------------------------------------------------ */

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= BF_UNIT_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

int bf_dispatch_unit_parse(const char *topic_id, const void *payload, size_t len,
                           struct bf_dispatch_unit *out, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (!topic_id || !id_ok(topic_id)) {
        snprintf(err, errlen, "topic unit id is not 1 to 64 letters, digits, '_', '.' or '-'");
        return BF_EPARSE;
    }
    if (len == 0)
        return BF_ENOTFOUND;
    if (!payload) {
        snprintf(err, errlen, "no payload");
        return BF_EPARSE;
    }
    cJSON *root = cJSON_ParseWithLength(payload, len);
    if (!root) {
        snprintf(err, errlen, "not JSON");
        return BF_EPARSE;
    }
    int rc = BF_EPARSE;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(root, "time");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(root, "lat");
    const cJSON *lon = cJSON_GetObjectItemCaseSensitive(root, "lon");
    bf_time_us t = BF_TIME_NONE;
    if (!cJSON_IsObject(root))
        snprintf(err, errlen, "not a JSON object");
    else if (!cJSON_IsString(id) || strcmp(id->valuestring, topic_id) != 0)
        snprintf(err, errlen, "\"id\" missing or not the topic's unit id \"%s\"", topic_id);
    else if (!cJSON_IsString(tm) || bf_time_parse_iso(tm->valuestring, &t) < 0 || t == BF_TIME_NONE)
        snprintf(err, errlen, "\"time\" missing or not an ISO 8601 UTC time");
    else if (!cJSON_IsNumber(lat) || !isfinite(lat->valuedouble) || fabs(lat->valuedouble) > 90)
        snprintf(err, errlen, "\"lat\" missing or not a latitude between -90 and 90");
    else if (!cJSON_IsNumber(lon) || !isfinite(lon->valuedouble) || fabs(lon->valuedouble) > 180)
        snprintf(err, errlen, "\"lon\" missing or not a longitude between -180 and 180");
    else
        rc = 0;
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        snprintf(out->id, sizeof out->id, "%s", topic_id);
        out->lat_deg = lat->valuedouble;
        out->lon_deg = lon->valuedouble;
        out->t_us = t;
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- interception --------------------------------------------------------------- */

int bf_dispatch_intercept(double pe, double pn, double ve, double vn, double ue, double un,
                          double speed_mps, double *t_s)
{
    double de = pe - ue, dn = pn - un;
    double c = de * de + dn * dn;
    if (c == 0) {
        *t_s = 0;
        return 0;
    }
    if (!(speed_mps > 0) || !isfinite(c))
        return BF_ENOTFOUND;
    double s2 = speed_mps * speed_mps;
    double a = ve * ve + vn * vn - s2;
    double b = 2.0 * (de * ve + dn * vn);
    if (fabs(a) <= 1e-12 * s2) {   /* as fast as the target: one root, if it comes closer */
        if (b >= 0)
            return BF_ENOTFOUND;
        *t_s = -c / b;
        return 0;
    }
    double disc = b * b - 4.0 * a * c;
    if (disc < 0)
        return BF_ENOTFOUND;
    /* stable roots: q = -(b + sign(b) sqrt(disc)) / 2, t = q / a and c / q */
    double q = -0.5 * (b + copysign(sqrt(disc), b));
    double r1 = q / a, r2 = q != 0 ? c / q : -1.0;
    double t = INFINITY;
    if (r1 >= 0 && r1 < t)
        t = r1;
    if (r2 >= 0 && r2 < t)
        t = r2;
    if (!isfinite(t))
        return BF_ENOTFOUND;
    *t_s = t;
    return 0;
}

/* ---- ranking ---------------------------------------------------------------------- */

struct ranked {
    struct bf_alert_unit u;
    bool intercept;
    double ie, in;
};

static bool before(const struct ranked *x, const struct ranked *y)
{
    if (x->u.eta_s != y->u.eta_s)
        return x->u.eta_s < y->u.eta_s;
    if (x->u.distance_m != y->u.distance_m)
        return x->u.distance_m < y->u.distance_m;
    return strcmp(x->u.id, y->u.id) < 0;
}

size_t bf_dispatch_rank(const struct bf_dispatch_cand *c, size_t n, double pe, double pn,
                        double ve, double vn, struct bf_alert_unit *out, size_t max,
                        struct bf_dispatch_best *best)
{
    struct ranked top[BF_ALERT_UNITS];
    size_t k = 0;
    if (max > BF_ALERT_UNITS)
        max = BF_ALERT_UNITS;
    if (!isfinite(ve) || !isfinite(vn))
        ve = vn = 0;
    for (size_t i = 0; i < n && max > 0; i++) {
        if (!c[i].id || !(c[i].speed_mps > 0) || !isfinite(c[i].e_m) || !isfinite(c[i].n_m))
            continue;
        struct ranked r = {.intercept = false};
        snprintf(r.u.id, sizeof r.u.id, "%s", c[i].id);
        r.u.distance_m = hypot(pe - c[i].e_m, pn - c[i].n_m);
        double t;
        if (bf_dispatch_intercept(pe, pn, ve, vn, c[i].e_m, c[i].n_m, c[i].speed_mps, &t) == 0) {
            r.intercept = true;
            r.u.eta_s = t;
            r.ie = pe + ve * t;
            r.in = pn + vn * t;
        } else {
            r.u.eta_s = r.u.distance_m / c[i].speed_mps;
        }
        /* insertion into the sorted top list */
        if (k == max && !before(&r, &top[k - 1]))
            continue;
        size_t j = k < max ? k++ : k - 1;
        while (j > 0 && before(&r, &top[j - 1])) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = r;
    }
    for (size_t i = 0; i < k; i++)
        out[i] = top[i].u;
    if (best) {
        best->intercept = k > 0 && top[0].intercept;
        best->ie_m = best->intercept ? top[0].ie : NAN;
        best->in_m = best->intercept ? top[0].in : NAN;
    }
    return k;
}

unsigned bf_dispatch_fill(const struct bf_dispatch_params *p, struct bf_geo_frame *frame,
                          const struct bf_dispatch_unit *units, size_t n,
                          struct bf_dispatch_cand *cands, bf_dispatch_busy_fn busy, void *busy_ctx,
                          struct bf_alert *a)
{
    a->n_units = 0;
    a->intercept_lat = a->intercept_lon = NAN;
    if (a->type == BF_ALERT_SENSOR_FAULT || a->state == BF_ALERT_RESOLVED ||
        a->state == BF_ALERT_FALSE_ALARM || !isfinite(a->lat_deg) || !isfinite(a->lon_deg))
        return 0;
    double pe, pn;
    if (bf_geo_to_local(frame, a->lat_deg, a->lon_deg, &pe, &pn) < 0)
        return 0;
    /* the alert's velocity is true-north based; the frame's grid is turned by gamma */
    double gamma = 0, ve = 0, vn = 0;
    if (bf_geo_convergence(frame, a->lat_deg, a->lon_deg, &gamma) < 0 || !isfinite(gamma))
        gamma = 0;
    /* LOST: units go to where it was last seen (the lost area's centre), not to a
     * point extrapolated from a track that no longer exists */
    if (a->state != BF_ALERT_LOST && isfinite(a->ve_mps) && isfinite(a->vn_mps)) {
        ve = a->ve_mps * cos(gamma) + a->vn_mps * sin(gamma);
        vn = -a->ve_mps * sin(gamma) + a->vn_mps * cos(gamma);
    }
    bf_time_us stale_us = bf_time_from_s(p->unit_stale_s);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bf_dispatch_unit *u = &units[i];
        bf_time_us age = a->last_us - u->t_us;
        if (u->t_us == BF_TIME_NONE || age > stale_us || -age > stale_us)
            continue;
        if (busy && busy(busy_ctx, u->id))
            continue;
        double e, nn;
        if (bf_geo_to_local(frame, u->lat_deg, u->lon_deg, &e, &nn) < 0)
            continue;
        cands[m++] = (struct bf_dispatch_cand){
            .id = u->id, .e_m = e, .n_m = nn, .speed_mps = bf_dispatch_speed_of(p, u->id),
        };
    }
    struct bf_dispatch_best best;
    size_t k = bf_dispatch_rank(cands, m, pe, pn, ve, vn, a->units, BF_ALERT_UNITS, &best);
    a->n_units = (unsigned)k;
    if (best.intercept && bf_geo_to_wgs84(frame, best.ie_m, best.in_m, &a->intercept_lat,
                                          &a->intercept_lon) < 0)
        a->intercept_lat = a->intercept_lon = NAN;
    return a->n_units;
}
