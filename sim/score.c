/*
 * score.c - what came back from the engine, and how good it was.
 *
 * The engine's alerts arrive as JSON on borderfuse/<site>/alerts, one message
 * per alert change.  This file reads them (tolerating and counting messages
 * that are not alerts), shows them to the person running the exercise in one
 * readable line each, keeps the first report of every alert id, and finally
 * scores those alerts against the true crossings from the truth:
 *
 *  - an INCURSION alert matches a crossing when its position at first report
 *    is within the crossing's radius (match_radius_m + the target's speed x
 *    match_latency_s: a car at 20 m/s is placed far from where it crossed) of
 *    the crossing point and its first_time lies in [crossing - before_s,
 *    crossing + after_s];
 *  - each INCURSION id is attributed to at most one crossing, the one it
 *    matches best (smallest distance / radius + |lag| / after_s), and alerts
 *    only that one: a target that crosses, goes back and crosses again needs
 *    an alert for each crossing.  A crossing left without one takes a matching
 *    duplicate of another crossing, if any;
 *  - a crossing with an attributed INCURSION is alerted (lag = the earliest
 *    attributed first_time - crossing time), otherwise missed; the extra ids
 *    of a crossing are duplicates;
 *  - an animal's crossing, and one inside an official crossing point, owe no
 *    alert: listed but not counted, and an INCURSION near one matches nothing
 *    (a false alert, caused by the animal or the car);
 *  - an INCURSION that matches no crossing is a false alert;
 *  - the warning lead of a crossing is crossing - the earliest APPROACH of its
 *    own track (the track of an INCURSION attributed to it) within the
 *    APPROACH window, never another track's; an APPROACH that is no
 *    crossing's own and matches none in place (approach_radius_m + speed x
 *    match_latency_s) and time is unmatched.
 *
 * Scoring is a pure function of (crossings, alerts, parameters) so it can be
 * tested on hand-made cases (docs/scorecard.md).
 */
#include "sim/sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "geo/geo.h"

/* ---- parsing ------------------------------------------------------------ */

static bool copy_str(char *dst, size_t cap, const cJSON *v)
{
    if (!cJSON_IsString(v) || !v->valuestring)
        return false;
    size_t n = strlen(v->valuestring);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v->valuestring, n);
    dst[n] = '\0';
    return true;
}

static double num_or_nan(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static bool get_time(const cJSON *obj, const char *key, bf_time_us *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && bf_time_parse_iso(v->valuestring, out) == 0;
}

int bf_sim_alert_parse(const void *payload, size_t len, struct bf_sim_alert *out)
{
    memset(out, 0, sizeof *out);
    out->track_id = -1;
    out->lat_deg = out->lon_deg = NAN;
    out->class_p = out->confidence = NAN;
    cJSON *root = cJSON_ParseWithLength(payload, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return BF_EPARSE;
    }
    int rc = BF_EPARSE;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) >= BF_SIM_ID_MAX)
        goto out_delete;
    copy_str(out->id, sizeof out->id, id);
    if (!copy_str(out->type, sizeof out->type, cJSON_GetObjectItemCaseSensitive(root, "type")) ||
        !copy_str(out->state, sizeof out->state, cJSON_GetObjectItemCaseSensitive(root, "state")))
        goto out_delete;
    if (!get_time(root, "first_time", &out->first_us) || !get_time(root, "time", &out->time_us))
        goto out_delete;
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(root, "position");
    if (cJSON_IsObject(pos)) {
        out->lat_deg = num_or_nan(pos, "lat");
        out->lon_deg = num_or_nan(pos, "lon");
        if (!(out->lat_deg >= -90 && out->lat_deg <= 90 && out->lon_deg >= -180 &&
              out->lon_deg <= 180))
            goto out_delete;
    } else if (pos && !cJSON_IsNull(pos)) {
        goto out_delete;
    }
    bool located = strcmp(out->type, "INCURSION") == 0 || strcmp(out->type, "APPROACH") == 0;
    if (located && isnan(out->lat_deg))
        goto out_delete;

    /* counters as integers only when they are ones (0 <= x < 2^53): a cast of
     * anything larger is undefined, and the network may send anything */
    double seq = num_or_nan(root, "seq");
    out->seq = seq >= 0 && seq < 9007199254740992.0 ? (uint64_t)seq : 0;
    copy_str(out->severity, sizeof out->severity,
             cJSON_GetObjectItemCaseSensitive(root, "severity"));
    out->exercise = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "exercise"));
    double tid = num_or_nan(root, "track_id");
    if (tid >= 0 && tid < 9007199254740992.0)
        out->track_id = (int64_t)tid;
    const cJSON *zone = cJSON_GetObjectItemCaseSensitive(root, "zone");
    if (cJSON_IsObject(zone)) {
        copy_str(out->zone_id, sizeof out->zone_id, cJSON_GetObjectItemCaseSensitive(zone, "id"));
        if (!copy_str(out->zone_name, sizeof out->zone_name,
                      cJSON_GetObjectItemCaseSensitive(zone, "name")))
            copy_str(out->zone_name, sizeof out->zone_name,
                     cJSON_GetObjectItemCaseSensitive(zone, "id"));
    }
    const cJSON *vel = cJSON_GetObjectItemCaseSensitive(root, "velocity");
    if (cJSON_IsObject(vel)) {
        out->speed_mps = num_or_nan(vel, "speed_mps");
        out->heading_deg = num_or_nan(vel, "heading_deg");
        out->have_velocity = !isnan(out->speed_mps) && !isnan(out->heading_deg);
    }
    copy_str(out->cls, sizeof out->cls, cJSON_GetObjectItemCaseSensitive(root, "class"));
    out->class_p = num_or_nan(root, "class_p");
    out->confidence = num_or_nan(root, "confidence");
    const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(root, "sensors");
    if (cJSON_IsArray(sensors)) {
        size_t p = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, sensors) {
            if (!cJSON_IsString(s))
                continue;
            int n = snprintf(out->sensors + p, sizeof out->sensors - p, "%s%s", p ? ", " : "",
                             s->valuestring);
            if (n < 0 || (size_t)n >= sizeof out->sensors - p) {
                out->sensors[sizeof out->sensors - 1] = '\0';
                break;
            }
            p += (size_t)n;
        }
    }
    const cJSON *units = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "dispatch"), "units");
    const cJSON *u0 = cJSON_IsArray(units) ? cJSON_GetArrayItem(units, 0) : NULL;
    copy_str(out->unit, sizeof out->unit, cJSON_GetObjectItemCaseSensitive(u0, "id"));
    out->unit_eta_s = u0 ? num_or_nan(u0, "eta_s") : NAN;
    copy_str(out->acked_by, sizeof out->acked_by,
             cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "operator"),
                                              "acknowledged_by"));
    rc = 0;

out_delete:
    cJSON_Delete(root);
    return rc;
}

/* ---- formatting ----------------------------------------------------------- */

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (*pos >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos += (size_t)n;
    if (*pos >= len)
        *pos = len - 1;
}

/* "02:13:07Z" from an event time. */
static void hms(bf_time_us t, char *buf, size_t len)
{
    char iso[BF_TIME_ISO_LEN];
    if (bf_time_format_iso(t, iso, sizeof iso) == 0 && strlen(iso) >= 19)
        snprintf(buf, len, "%.8sZ", iso + 11);
    else
        snprintf(buf, len, "??:??:??Z");
}

size_t bf_sim_alert_format(const struct bf_sim_alert *a, bool brief, char *buf, size_t len)
{
    size_t pos = 0;
    if (!buf || len == 0)
        return 0;
    buf[0] = '\0';
    char tm[16];
    hms(a->time_us, tm, sizeof tm);
    put(buf, len, &pos, "[%s] %s%-9s", tm, a->exercise ? "EXERCISE " : "", a->type);
    if (strcmp(a->state, "NEW") != 0)
        put(buf, len, &pos, "  %s", a->state);
    if (!brief && a->severity[0])
        put(buf, len, &pos, "  %s", a->severity);
    if (a->track_id >= 0)
        put(buf, len, &pos, "  track %lld", (long long)a->track_id);
    if (!brief && a->cls[0]) {
        put(buf, len, &pos, "  %s", a->cls);
        if (!isnan(a->class_p))
            put(buf, len, &pos, " %.0f%%", a->class_p * 100.0);
    }
    if (a->zone_name[0])
        put(buf, len, &pos, "  %s", a->zone_name);
    if (brief)
        return pos;
    if (!isnan(a->lat_deg))
        put(buf, len, &pos, "  %.5f%c %.5f%c", fabs(a->lat_deg), a->lat_deg < 0 ? 'S' : 'N',
            fabs(a->lon_deg), a->lon_deg < 0 ? 'W' : 'E');
    if (a->have_velocity)
        put(buf, len, &pos, "  heading %.0f\xc2\xb0 %.1f m/s", bf_geo_angle_round(a->heading_deg, 0),
            a->speed_mps);   /* [0, 360) as printed: 359.6 is 0 */
    if (a->sensors[0])
        put(buf, len, &pos, "  (%s)", a->sensors);
    if (!isnan(a->confidence))
        put(buf, len, &pos, "  conf %.0f%%", a->confidence * 100.0);
    if (a->acked_by[0])
        put(buf, len, &pos, "  ack %s", a->acked_by);
    if (a->unit[0]) {
        put(buf, len, &pos, "  -> %s", a->unit);
        if (isfinite(a->unit_eta_s) && a->unit_eta_s >= 0 && a->unit_eta_s < 360000)
            put(buf, len, &pos, " ETA %dm%02ds", (int)a->unit_eta_s / 60, (int)a->unit_eta_s % 60);
    }
    return pos;
}

/* ---- the alert log -------------------------------------------------------- */

int bf_sim_alert_log_init(struct bf_sim_alert_log *log, size_t cap)
{
    memset(log, 0, sizeof *log);
    log->items = calloc(cap ? cap : 1, sizeof *log->items);
    if (!log->items)
        return BF_ENOMEM;
    log->cap = cap ? cap : 1;
    return 0;
}

void bf_sim_alert_log_free(struct bf_sim_alert_log *log)
{
    if (!log)
        return;
    free(log->items);
    log->items = NULL;
    log->n = log->cap = 0;
}

int bf_sim_alert_log_add(struct bf_sim_alert_log *log, const struct bf_sim_alert *a)
{
    bool reportable = strcmp(a->state, "NEW") == 0 || strcmp(a->state, "UPDATED") == 0;
    struct bf_sim_scored_alert *it = NULL;
    int is_new = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (strcmp(log->items[i].id, a->id) == 0) {
            it = &log->items[i];
            break;
        }
    }
    if (!it) {
        if (log->n == log->cap) {
            log->dropped++;
            return BF_EFULL;
        }
        it = &log->items[log->n++];
        memset(it, 0, sizeof *it);
        snprintf(it->id, sizeof it->id, "%s", a->id);
        it->kind = strcmp(a->type, "INCURSION") == 0  ? BF_SIM_ALERT_INCURSION
                   : strcmp(a->type, "APPROACH") == 0 ? BF_SIM_ALERT_APPROACH
                                                      : BF_SIM_ALERT_OTHER;
        it->track_id = a->track_id;
        snprintf(it->type, sizeof it->type, "%s", a->type);
        is_new = 1;
    }
    if (reportable && !it->reported) {
        it->reported = true;
        it->first_us = a->first_us;
        it->lat_deg = a->lat_deg;
        it->lon_deg = a->lon_deg;
        it->track_id = a->track_id;
    }
    return is_new;
}

int bf_sim_alert_log_message(struct bf_sim_alert_log *log, const void *payload, size_t len,
                             bool exercise, struct bf_sim_alert *a)
{
    if (bf_sim_alert_parse(payload, len, a) < 0) {
        log->malformed++;
        return BF_EPARSE;
    }
    log->received++;
    if (a->exercise != exercise)
        log->exercise_mismatch++;
    return bf_sim_alert_log_add(log, a);
}

/* ---- scoring ---------------------------------------------------------------- */

void bf_sim_score_params_default(struct bf_sim_score_params *p)
{
    *p = (struct bf_sim_score_params){
        .match_radius_m = 500.0, .match_latency_s = 30.0, .before_s = 120.0, .after_s = 300.0,
        .approach_radius_m = 1000.0, .approach_before_s = 900.0, .approach_after_s = 60.0,
    };
}

bool bf_sim_crossing_owes_alert(const struct bf_sim_crossing *c)
{
    return !(c->cls && strcmp(c->cls, "animal") == 0) && !c->at_crossing_point;
}

double bf_sim_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg)
{
    const double r_earth = 6371008.8, d2r = M_PI / 180.0;
    double p1 = lat1_deg * d2r, p2 = lat2_deg * d2r;
    double dp = p2 - p1, dl = (lon2_deg - lon1_deg) * d2r;
    double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    return 2.0 * r_earth * asin(sqrt(h < 1 ? h : 1));
}

/* Does alert a match crossing c within [-before, +after]?  *lag_s and *dist_m set. */
static bool matches(const struct bf_sim_crossing *c, bf_time_us start_us,
                    const struct bf_sim_scored_alert *a, double radius_m, double before_s,
                    double after_s, double *lag_s, double *dist_m)
{
    *lag_s = bf_time_to_s(a->first_us - start_us) - c->t_s;
    *dist_m = bf_sim_distance_m(a->lat_deg, a->lon_deg, c->lat_deg, c->lon_deg);
    return *dist_m <= radius_m && *lag_s >= -before_s && *lag_s <= after_s;
}

/* The INCURSION match radius of crossing c: the base plus its speed times the latency. */
static double incursion_radius(const struct bf_sim_crossing *c, const struct bf_sim_score_params *p)
{
    double v = isfinite(c->speed_mps) && c->speed_mps > 0 ? c->speed_mps : 0.0;
    return p->match_radius_m + v * (p->match_latency_s > 0 ? p->match_latency_s : 0.0);
}

static bool scored(const struct bf_sim_scored_alert *a, enum bf_sim_alert_kind kind)
{
    return a->reported && a->kind == kind;
}

/* Is a an earlier (then smaller id) INCURSION than b? */
static bool earlier(const struct bf_sim_scored_alert *a, const struct bf_sim_scored_alert *b)
{
    return a->first_us < b->first_us || (a->first_us == b->first_us && strcmp(a->id, b->id) < 0);
}

int bf_sim_score_compute(const struct bf_sim_crossing *cr, size_t n_cr, bf_time_us start_us,
                         const struct bf_sim_scored_alert *al, size_t n_al,
                         const struct bf_sim_score_params *p, struct bf_sim_score *out)
{
    memset(out, 0, sizeof *out);
    out->lag_mean_s = out->lag_max_s = NAN;
    out->per_crossing = calloc(n_cr ? n_cr : 1, sizeof *out->per_crossing);
    out->false_alert_idx = calloc(n_al ? n_al : 1, sizeof *out->false_alert_idx);
    out->unmatched_approach_idx = calloc(n_al ? n_al : 1, sizeof *out->unmatched_approach_idx);
    size_t *attr = malloc((n_al ? n_al : 1) * sizeof *attr);   /* INCURSION -> crossing */
    if (!out->per_crossing || !out->false_alert_idx || !out->unmatched_approach_idx || !attr) {
        free(attr);
        bf_sim_score_free(out);
        return BF_ENOMEM;
    }
    for (size_t c = 0; c < n_cr; c++) {
        struct bf_sim_crossing_score *cs = &out->per_crossing[c];
        cs->owed = bf_sim_crossing_owes_alert(&cr[c]);
        cs->radius_m = incursion_radius(&cr[c], p);
        cs->lag_s = NAN;
        cs->approach_lead_s = NAN;
        if (cs->owed)
            out->crossings++;
        else
            out->exempt_crossings++;
    }
    double lag, dist;

    /* 1. each INCURSION to the one crossing owing an alert that it matches best */
    for (size_t i = 0; i < n_al; i++) {
        attr[i] = SIZE_MAX;
        if (!scored(&al[i], BF_SIM_ALERT_INCURSION))
            continue;
        out->incursion_alerts++;
        double best_cost = INFINITY;
        for (size_t c = 0; c < n_cr; c++) {
            const struct bf_sim_crossing_score *cs = &out->per_crossing[c];
            if (!cs->owed || !matches(&cr[c], start_us, &al[i], cs->radius_m, p->before_s,
                                      p->after_s, &lag, &dist))
                continue;
            double cost = dist / cs->radius_m + fabs(lag) / p->after_s;
            if (cost < best_cost) {
                best_cost = cost;
                attr[i] = c;
            }
        }
        if (attr[i] != SIZE_MAX)
            out->per_crossing[attr[i]].matched++;
        else
            out->false_alert_idx[out->false_alerts++] = i;
    }
    /* 2. a crossing left without an alert takes the earliest matching duplicate of another
     *    (one alert never alerts two crossings, but two alerts on one crossing while the
     *    next had none would be a bad attribution, not the engine's fault) */
    for (size_t c = 0; c < n_cr; c++) {
        struct bf_sim_crossing_score *cs = &out->per_crossing[c];
        if (!cs->owed || cs->matched > 0)
            continue;
        size_t take = SIZE_MAX;
        for (size_t i = 0; i < n_al; i++) {
            if (attr[i] == SIZE_MAX || out->per_crossing[attr[i]].matched < 2 ||
                !matches(&cr[c], start_us, &al[i], cs->radius_m, p->before_s, p->after_s, &lag,
                         &dist))
                continue;
            if (take == SIZE_MAX || earlier(&al[i], &al[take]))
                take = i;
        }
        if (take != SIZE_MAX) {
            out->per_crossing[attr[take]].matched--;
            attr[take] = c;
            cs->matched = 1;
        }
    }
    /* 3. per crossing: the earliest of its own INCURSIONs */
    for (size_t i = 0; i < n_al; i++) {
        if (attr[i] == SIZE_MAX)
            continue;
        struct bf_sim_crossing_score *cs = &out->per_crossing[attr[i]];
        double l = bf_time_to_s(al[i].first_us - start_us) - cr[attr[i]].t_s;
        if (!cs->alerted || l < cs->lag_s || (l == cs->lag_s && strcmp(al[i].id, cs->alert_id) < 0)) {
            cs->alerted = true;
            cs->lag_s = l;
            cs->alert_id = al[i].id;
        }
    }
    /* 4. APPROACH: the warning lead counts only the crossing track's own APPROACH (the track
     *    of an INCURSION attributed to the crossing, in the APPROACH window; the track ties
     *    it to the target wherever it was raised - a car at 25 m/s is 1.4 km out a minute
     *    before the line); an APPROACH that is no crossing's own and matches none in place
     *    (radius + speed x latency) and time either is unmatched (a walker who turned back) */
    for (size_t k = 0; k < n_al; k++) {
        const struct bf_sim_scored_alert *a = &al[k];
        if (!scored(a, BF_SIM_ALERT_APPROACH))
            continue;
        out->approach_alerts++;
        bool any = false;
        for (size_t c = 0; c < n_cr; c++) {
            double v = isfinite(cr[c].speed_mps) && cr[c].speed_mps > 0 ? cr[c].speed_mps : 0;
            double radius = p->approach_radius_m + v * fmax(p->match_latency_s, 0.0);
            bool near = matches(&cr[c], start_us, a, radius, p->approach_before_s,
                                p->approach_after_s, &lag, &dist);
            bool own = false;
            bool in_window = lag >= -p->approach_before_s && lag <= p->approach_after_s;
            for (size_t i = 0; i < n_al && !own && a->track_id >= 0 && in_window; i++)
                own = attr[i] == c && al[i].track_id == a->track_id;
            any = any || near || own;
            struct bf_sim_crossing_score *cs = &out->per_crossing[c];
            if (own && (!cs->have_approach || -lag > cs->approach_lead_s)) {
                cs->have_approach = true;
                cs->approach_lead_s = -lag;
                cs->approach_id = a->id;
            }
        }
        if (!any)
            out->unmatched_approach_idx[out->approach_unmatched++] = k;
    }
    free(attr);
    double lag_sum = 0;
    for (size_t c = 0; c < n_cr; c++) {
        const struct bf_sim_crossing_score *cs = &out->per_crossing[c];
        if (!cs->owed)
            continue;
        if (!cs->alerted) {
            out->missed++;
            continue;
        }
        out->alerted++;
        lag_sum += cs->lag_s;
        if (isnan(out->lag_max_s) || cs->lag_s > out->lag_max_s)
            out->lag_max_s = cs->lag_s;
        if (cs->matched > 1)
            out->duplicates += cs->matched - 1;
    }
    if (out->alerted > 0)
        out->lag_mean_s = lag_sum / (double)out->alerted;
    return 0;
}

void bf_sim_score_free(struct bf_sim_score *sc)
{
    if (!sc)
        return;
    free(sc->per_crossing);
    free(sc->false_alert_idx);
    free(sc->unmatched_approach_idx);
    free(sc->cause);
    free(sc->targets);
    sc->per_crossing = NULL;
    sc->false_alert_idx = NULL;
    sc->unmatched_approach_idx = NULL;
    sc->cause = NULL;
    sc->targets = NULL;
    sc->n_targets = 0;
}

/* ---- the scorecard ---------------------------------------------------------- */

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* Round to a number of decimals so the JSON stays readable. */
static double round_to(double v, int decimals)
{
    double k = pow(10.0, decimals);
    return isfinite(v) ? round(v * k) / k : v;
}

static cJSON *iso_item(bf_time_us t)
{
    char iso[BF_TIME_ISO_LEN];
    if (bf_time_format_iso(t, iso, sizeof iso) < 0)
        return cJSON_CreateNull();
    return cJSON_CreateString(iso);
}

/* 1 for a target's (or group's) first crossing, 2 for its next one, ... */
static unsigned crossing_number(const struct bf_sim_crossing *cr, size_t c)
{
    unsigned k = 1;
    for (size_t i = 0; i < c; i++)
        k += strcmp(cr[i].key, cr[c].key) == 0;
    return k;
}

/* One word on a target: did the engine do right by it? */
static const char *verdict(const struct bf_sim_target_verdict *t)
{
    if (t->crossed)
        return t->incursions > 0 ? "crossed, alerted" : "crossed, not alerted";
    return t->incursions == 0 ? "no incursion: right" : "INCURSION raised: wrong";
}

/* The target an alert is blamed on (bf_sim_score_targets), or "clutter". */
static const char *cause_name(const struct bf_sim_score *sc, size_t alert)
{
    int v = sc->cause ? sc->cause[alert] : -1;
    return v >= 0 && (size_t)v < sc->n_targets ? sc->targets[v].key : "clutter";
}

char *bf_sim_scorecard_json(const struct bf_sim_run_info *ri, const struct bf_sim_crossing *cr,
                            size_t n_cr, const struct bf_sim_scored_alert *al,
                            const struct bf_sim_score *sc)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "scenario", ri->scenario ? ri->scenario : "");
    cJSON_AddStringToObject(o, "site", ri->site ? ri->site : "");
    cJSON_AddBoolToObject(o, "exercise", ri->exercise);
    cJSON_AddItemToObject(o, "start_time", iso_item(ri->start_us));
    cJSON_AddNumberToObject(o, "duration_s", ri->duration_s);
    cJSON_AddBoolToObject(o, "interrupted", ri->interrupted);
    cJSON_AddNumberToObject(o, "seed", (double)ri->seed);
    cJSON_AddNumberToObject(o, "time_scale", ri->time_scale);
    cJSON_AddNumberToObject(o, "wall_s", round_to(ri->wall_s, 3));
    cJSON_AddNumberToObject(o, "crossings", (double)sc->crossings);
    cJSON_AddNumberToObject(o, "exempt_crossings", (double)sc->exempt_crossings);
    cJSON_AddNumberToObject(o, "alerted", (double)sc->alerted);
    cJSON_AddNumberToObject(o, "missed", (double)sc->missed);
    cJSON_AddNumberToObject(o, "duplicates", (double)sc->duplicates);
    cJSON_AddNumberToObject(o, "false_alerts", (double)sc->false_alerts);
    cJSON_AddItemToObject(o, "lag_mean_s", num_or_null(round_to(sc->lag_mean_s, 3)));
    cJSON_AddItemToObject(o, "lag_max_s", num_or_null(round_to(sc->lag_max_s, 3)));
    cJSON_AddNumberToObject(o, "incursion_alerts", (double)sc->incursion_alerts);
    cJSON_AddNumberToObject(o, "approach_alerts", (double)sc->approach_alerts);
    cJSON_AddNumberToObject(o, "approach_unmatched", (double)sc->approach_unmatched);
    cJSON_AddNumberToObject(o, "alerts_received", (double)ri->alerts_received);
    cJSON_AddNumberToObject(o, "malformed_alerts", (double)ri->malformed_alerts);
    cJSON_AddNumberToObject(o, "exercise_mismatch", (double)ri->exercise_mismatch);
    cJSON_AddNumberToObject(o, "detections_sent", (double)ri->detections_sent);
    cJSON_AddNumberToObject(o, "messages_sent", (double)ri->messages_sent);
    cJSON_AddNumberToObject(o, "publish_failed", (double)ri->publish_failed);
    cJSON_AddNumberToObject(o, "broker_outages_skipped", (double)ri->broker_outages_skipped);
    cJSON_AddNumberToObject(o, "ugs_messages", (double)ri->ugs_messages);  
    cJSON_AddNumberToObject(o, "camera_frames", (double)ri->camera_frames);

    cJSON *list = cJSON_AddArrayToObject(o, "crossing_list");
    for (size_t c = 0; list && c < n_cr; c++) {
        const struct bf_sim_crossing_score *cs = &sc->per_crossing[c];
        cJSON *e = cJSON_CreateObject();
        if (!e)
            break;
        cJSON_AddStringToObject(e, cr[c].is_group ? "group" : "target", cr[c].key);
        cJSON_AddNumberToObject(e, "members", cr[c].members);
        cJSON_AddNumberToObject(e, "number", crossing_number(cr, c));
        cJSON_AddStringToObject(e, "class", cr[c].cls ? cr[c].cls : "unknown");
        cJSON_AddBoolToObject(e, "owes_alert", cs->owed);
        cJSON_AddBoolToObject(e, "at_crossing_point", cr[c].at_crossing_point);
        cJSON_AddNumberToObject(e, "speed_mps", round_to(cr[c].speed_mps, 2));
        cJSON_AddNumberToObject(e, "match_radius_m", round_to(cs->radius_m, 1));
        cJSON_AddItemToObject(e, "time", iso_item(ri->start_us + bf_time_from_s(cr[c].t_s)));
        cJSON_AddNumberToObject(e, "t_s", round_to(cr[c].t_s, 3));
        cJSON_AddNumberToObject(e, "lat", round_to(cr[c].lat_deg, 7));
        cJSON_AddNumberToObject(e, "lon", round_to(cr[c].lon_deg, 7));
        cJSON_AddBoolToObject(e, "alerted", cs->alerted);
        if (cs->alert_id)
            cJSON_AddStringToObject(e, "alert_id", cs->alert_id);
        else
            cJSON_AddNullToObject(e, "alert_id");
        cJSON_AddItemToObject(e, "lag_s", num_or_null(round_to(cs->lag_s, 3)));
        cJSON_AddItemToObject(e, "lead_s", num_or_null(round_to(-cs->lag_s, 3)));
        cJSON_AddNumberToObject(e, "duplicates", cs->matched > 1 ? cs->matched - 1 : 0);
        cJSON_AddItemToObject(e, "approach_lead_s",
                              num_or_null(cs->have_approach ? round_to(cs->approach_lead_s, 3)
                                                            : NAN));
        if (cs->approach_id)
            cJSON_AddStringToObject(e, "approach_alert_id", cs->approach_id);
        else
            cJSON_AddNullToObject(e, "approach_alert_id");
        cJSON_AddItemToArray(list, e);
    }
    cJSON *fl = cJSON_AddArrayToObject(o, "false_alert_list");
    for (size_t k = 0; fl && k < sc->false_alerts; k++) {
        const struct bf_sim_scored_alert *a = &al[sc->false_alert_idx[k]];
        cJSON *e = cJSON_CreateObject();
        if (!e)
            break;
        cJSON_AddStringToObject(e, "id", a->id);
        cJSON_AddItemToObject(e, "first_time", iso_item(a->first_us));
        cJSON_AddNumberToObject(e, "t_s", round_to(bf_time_to_s(a->first_us - ri->start_us), 3));
        cJSON_AddNumberToObject(e, "lat", round_to(a->lat_deg, 7));
        cJSON_AddNumberToObject(e, "lon", round_to(a->lon_deg, 7));
        if (a->track_id >= 0)
            cJSON_AddNumberToObject(e, "track_id", (double)a->track_id);
        else
            cJSON_AddNullToObject(e, "track_id");
        if (sc->cause)
            cJSON_AddStringToObject(e, "cause", cause_name(sc, sc->false_alert_idx[k]));
        cJSON_AddItemToArray(fl, e);
    }
    if (sc->targets) {
        cJSON_AddNumberToObject(o, "quiet_incursions", (double)sc->quiet_incursions);
        cJSON *tl = cJSON_AddArrayToObject(o, "targets");
        for (size_t v = 0; tl && v < sc->n_targets; v++) {
            const struct bf_sim_target_verdict *t = &sc->targets[v];
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            cJSON_AddStringToObject(e, t->is_group ? "group" : "target", t->key);
            cJSON_AddStringToObject(e, "class", t->cls ? t->cls : "unknown");
            cJSON_AddNumberToObject(e, "members", t->members);
            cJSON_AddBoolToObject(e, "crossed", t->crossed);
            cJSON_AddNumberToObject(e, "incursion_alerts", t->incursions);
            cJSON_AddNumberToObject(e, "approach_alerts", t->approaches);
            cJSON_AddStringToObject(e, "verdict", verdict(t));
            cJSON_AddItemToArray(tl, e);
        }
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    return text;
}

void bf_sim_scorecard_print(FILE *f, const struct bf_sim_run_info *ri,
                            const struct bf_sim_crossing *cr, size_t n_cr,
                            const struct bf_sim_scored_alert *al, const struct bf_sim_score *sc)
{
    if (ri->exercise)   /* nobody should mistake an exercise's card for a real night's */
        fprintf(f, "\n*** EXERCISE *** EXERCISE *** EXERCISE: simulated targets, not a real "
                "incursion ***\n");
    fprintf(f, "\n=== scorecard: %s (site %s%s) ===\n", ri->scenario ? ri->scenario : "?",
            ri->site ? ri->site : "?", ri->exercise ? ", EXERCISE" : "");
    fprintf(f, "simulated %.0f s%s in %.1f s wall; %llu detections in %llu messages",
            ri->duration_s, ri->interrupted ? " (interrupted)" : "", ri->wall_s,
            (unsigned long long)ri->detections_sent, (unsigned long long)ri->messages_sent);
    if (ri->ugs_messages || ri->camera_frames)
        fprintf(f, "; %llu ground-sensor messages, %llu camera frames",
                (unsigned long long)ri->ugs_messages, (unsigned long long)ri->camera_frames);
    if (ri->publish_failed)
        fprintf(f, " (%llu publishes failed)", (unsigned long long)ri->publish_failed);
    if (ri->broker_outages_skipped)
        fprintf(f, "\nnote: %u broker outage event%s not played (no --broker-pid, or the broker could not be stopped)",
                ri->broker_outages_skipped, ri->broker_outages_skipped == 1 ? "" : "s");
    fprintf(f, "\nalerts received %llu (malformed %llu): INCURSION %zu, APPROACH %zu\n\n",
            (unsigned long long)ri->alerts_received, (unsigned long long)ri->malformed_alerts,
            sc->incursion_alerts, sc->approach_alerts);
    if (n_cr > 0)
        fprintf(f, "  %-24s %-10s %-22s %-8s %9s %14s\n", "crossing", "time", "where", "result",
                "lag", "approach lead");
    for (size_t c = 0; c < n_cr; c++) {
        const struct bf_sim_crossing_score *cs = &sc->per_crossing[c];
        char name[64], tm[16], where[40], lagb[16] = "", appb[16] = "-";
        unsigned no = crossing_number(cr, c);
        char nos[16] = "";
        if (no > 1)
            snprintf(nos, sizeof nos, " #%u", no % 100000u);
        if (cr[c].is_group)
            snprintf(name, sizeof name, "group %.20s (%u)%s", cr[c].key, cr[c].members, nos);
        else
            snprintf(name, sizeof name, "%.32s%s", cr[c].key, nos);
        hms(ri->start_us + bf_time_from_s(cr[c].t_s), tm, sizeof tm);
        snprintf(where, sizeof where, "%.5f%c %.5f%c", fabs(cr[c].lat_deg),
                 cr[c].lat_deg < 0 ? 'S' : 'N', fabs(cr[c].lon_deg), cr[c].lon_deg < 0 ? 'W' : 'E');
        if (cs->alerted)
            snprintf(lagb, sizeof lagb, "%+.1f s", cs->lag_s);
        if (cs->have_approach)
            snprintf(appb, sizeof appb, "%.1f s", cs->approach_lead_s);
        fprintf(f, "  %-24s %-10s %-22s %-8s %9s %14s", name, tm, where,
                !cs->owed ? (cr[c].at_crossing_point ? "LAWFUL" : "ANIMAL") : cs->alerted ? "ALERTED" : "MISSED",
                lagb, appb);
        if (cs->matched > 1)
            fprintf(f, "  (%u duplicates)", cs->matched - 1);
        fprintf(f, "\n");
    }
    for (size_t k = 0; k < sc->false_alerts; k++) {
        const struct bf_sim_scored_alert *a = &al[sc->false_alert_idx[k]];
        char tm[16];
        hms(a->first_us, tm, sizeof tm);
        fprintf(f, "  false alert %s at %s, %.5f %.5f, track %lld, caused by %s\n", a->id, tm,
                a->lat_deg, a->lon_deg, (long long)a->track_id,
                cause_name(sc, sc->false_alert_idx[k]));
    }
    bool header = false;
    for (size_t v = 0; v < sc->n_targets; v++) {
        const struct bf_sim_target_verdict *t = &sc->targets[v];
        if (t->crossed)
            continue;
        if (!header) {
            fprintf(f, "\n  %-24s %-8s %9s %9s  %s\n", "did not cross", "class", "INCURSION",
                    "APPROACH", "verdict");
            header = true;
        }
        char name[48];
        if (t->is_group)
            snprintf(name, sizeof name, "group %.24s (%u)", t->key, t->members);
        else
            snprintf(name, sizeof name, "%.40s", t->key);
        fprintf(f, "  %-24s %-8s %9u %9u  %s\n", name, t->cls ? t->cls : "?", t->incursions,
                t->approaches, verdict(t));
    }
    fprintf(f, "\ncrossings %zu: alerted %zu, missed %zu; duplicates %zu; false alerts %zu",
            sc->crossings, sc->alerted, sc->missed, sc->duplicates, sc->false_alerts);
    if (sc->exempt_crossings)
        fprintf(f, " (and %zu crossing%s owing no alert: animals, crossing points)",
                sc->exempt_crossings, sc->exempt_crossings == 1 ? "" : "s");
    if (sc->alerted > 0)
        fprintf(f, "; lag mean %+.1f s, max %+.1f s", sc->lag_mean_s, sc->lag_max_s);
    if (sc->targets)
        fprintf(f, "; INCURSION for targets that did not cross %zu", sc->quiet_incursions);
    fprintf(f, "\n");
}
