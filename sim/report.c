/*
 * report.c - scoring over time: what the engine's track picture was worth at
 * each moment, and the figures of the human report.
 *
 * The scorecard (score.c) judges alerts against crossings; it says nothing
 * about the tracks in between: how far they were from the targets, how soon
 * a target was found, what each sensor contributed.  The engine publishes its
 * picture of confirmed (and coasting) tracks on borderfuse/<site>/tracks at
 * most once a wall second, stamped with its event time.  This module keeps
 * every picture and every alert id while the run goes (from the MQTT thread,
 * under a mutex; no projection there, the frame is not thread-safe), and
 * after the run:
 *
 *   1. replays the truth (no radars) at BF_SIM_REPORT_TRUTH_STEP_S into a
 *      history, positions interpolated linearly between samples;
 *   2. scores each picture inside the run with OSPA and GOSPA (c = 100 m,
 *      p = 1, alpha = 2, metrics.c) of its tracks against the targets that
 *      exist at its time, and averages them;
 *   3. finds for each target the first picture with a track within 50 m;
 *   4. judges the alerts: false INCURSION ids (score.c) and APPROACH ids that
 *      match no crossing are nuisance alerts, counted by cause (cause.c);
 *      each alert id counts once for every sensor it ever named.
 *
 * report_svg.c draws the plots and writes the page.
 *
 * Invariants: (1) before finish only the collected arrays change, always
 * under lock; after it nothing changes.  (2) pics[k].first + pics[k].n <=
 * n_trk and the pictures' track ranges are consecutive in arrival order.
 * (3) every alert index is in hash exactly once.
 */
#include "sim/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/bf_error.h"
#include "geo/geo.h"

/* ---- collecting ----------------------------------------------------------- */

int bf_sim_report_create(const struct bf_sim_scenario *s, struct bf_sim_report **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (!s)
        return BF_EINVAL;
    struct bf_sim_report *r = calloc(1, sizeof *r);
    if (!r)
        return BF_ENOMEM;
    r->s = s;
    r->hash_cap = 1024;
    r->hash = calloc(r->hash_cap, sizeof *r->hash);
    if (!r->hash) {
        free(r);
        return BF_ENOMEM;
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

void bf_sim_report_destroy(struct bf_sim_report *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r->pics);
    free(r->trk);
    for (size_t i = 0; i < r->n_alerts; i++)
        free(r->alerts[i].sensors);
    free(r->alerts);
    free(r->hash);
    for (size_t i = 0; i < r->n_sensor_names; i++)
        free(r->sensor_names[i]);
    free(r->sensor_names);
    free(r->te);
    free(r->tn);
    free(r->cr);
    free(r->targets);
    free(r->sensors);
    free(r->nuisance);
    free(r->series_t);
    free(r->series_m);
    free(r->shapes);
    free(r->zpe);
    free(r->zpn);
    free(r);
}

/* Grow *p (elements of size sz, capacity *cap) to hold need. 0 or BF_ENOMEM. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * sz);
    if (!q)
        return BF_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int bf_sim_report_picture(struct bf_sim_report *r, const void *payload, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(payload, len);
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(root, "time");
    const cJSON *tracks = cJSON_GetObjectItemCaseSensitive(root, "tracks");
    bf_time_us t_us = 0;
    bool ok = cJSON_IsObject(root) && cJSON_IsString(time) && cJSON_IsArray(tracks) &&
              bf_time_parse_iso(time->valuestring, &t_us) == 0;
    pthread_mutex_lock(&r->lock);
    int rc = 0;
    if (r->finished) {
        rc = BF_ESTATE;
        goto out_unlock;
    }
    r->pictures_received++;
    if (!ok) {
        r->pictures_malformed++;
        rc = BF_EPARSE;
        goto out_unlock;
    }
    size_t n = (size_t)cJSON_GetArraySize(tracks);
    if (r->n_trk + n > BF_SIM_REPORT_MAX_TRACKS) {
        r->pictures_dropped++;
        r->tracks_dropped += n;
        rc = BF_EFULL;
        goto out_unlock;
    }
    if (grow((void **)&r->pics, &r->cap_pics, r->n_pics + 1, sizeof *r->pics) < 0 ||
        grow((void **)&r->trk, &r->cap_trk, r->n_trk + n, sizeof *r->trk) < 0) {
        r->pictures_dropped++;
        rc = BF_ENOMEM;
        goto out_unlock;
    }
    struct rep_picture *p = &r->pics[r->n_pics];
    *p = (struct rep_picture){.t_us = t_us, .first = r->n_trk};
    const cJSON *t;
    cJSON_ArrayForEach(t, tracks) {
        double id = jnum(t, "id"), lat = jnum(t, "lat"), lon = jnum(t, "lon");
        if (!(id >= 0 && id < 9007199254740992.0) || !(lat >= -90 && lat <= 90) ||
            !(lon >= -180 && lon <= 180)) {
            r->tracks_bad++;
            continue;
        }
        r->trk[r->n_trk++] = (struct rep_track){.id = (int64_t)id, .lat_deg = lat, .lon_deg = lon,
                                                .e_m = NAN, .n_m = NAN, .pic = (uint32_t)r->n_pics};
        p->n++;
    }
    r->n_pics++;

out_unlock:
    pthread_mutex_unlock(&r->lock);
    cJSON_Delete(root);
    return rc;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

/* Slot of id in the hash: the one holding it, or the empty one where it goes. */
static size_t hash_slot(const struct bf_sim_report *r, const char *id)
{
    size_t m = r->hash_cap - 1;
    for (size_t k = (size_t)fnv1a(id) & m;; k = (k + 1) & m)
        if (r->hash[k] == 0 || strcmp(r->alerts[r->hash[k] - 1].id, id) == 0)
            return k;
}

static int hash_grow(struct bf_sim_report *r)
{
    size_t cap = r->hash_cap * 2;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return BF_ENOMEM;
    free(r->hash);
    r->hash = h;
    r->hash_cap = cap;
    for (size_t i = 0; i < r->n_alerts; i++)
        r->hash[hash_slot(r, r->alerts[i].id)] = (uint32_t)(i + 1);
    return 0;
}

static struct rep_alert *alert_find(const struct bf_sim_report *r, const char *id)
{
    uint32_t k = r->hash[hash_slot(r, id)];
    return k ? &r->alerts[k - 1] : NULL;
}

/* Index of sensor name (added if new), or -1 on no memory. */
static long sensor_index(struct bf_sim_report *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->n_sensor_names; i++)
        if (strlen(r->sensor_names[i]) == len && memcmp(r->sensor_names[i], name, len) == 0)
            return (long)i;
    if (grow((void **)&r->sensor_names, &r->cap_sensor_names, r->n_sensor_names + 1,
             sizeof *r->sensor_names) < 0)
        return -1;
    char *c = strndup(name, len);
    if (!c)
        return -1;
    r->sensor_names[r->n_sensor_names] = c;
    return (long)r->n_sensor_names++;
}

/* Add the sensors of a "a, b, c" list to alert x (each once). */
static int note_sensors(struct bf_sim_report *r, struct rep_alert *x, const char *list)
{
    for (const char *p = list; *p;) {
        const char *end = strstr(p, ", ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            long k = sensor_index(r, p, len);
            if (k < 0)
                return BF_ENOMEM;
            bool have = false;
            for (size_t i = 0; i < x->n_sensors && !have; i++)
                have = x->sensors[i] == (uint32_t)k;
            if (!have) {
                uint32_t *q = realloc(x->sensors, (x->n_sensors + 1) * sizeof *q);
                if (!q)
                    return BF_ENOMEM;
                x->sensors = q;
                x->sensors[x->n_sensors++] = (uint32_t)k;
            }
        }
        p += len;
        if (*p)
            p += 2;
    }
    return 0;
}

int bf_sim_report_alert(struct bf_sim_report *r, const struct bf_sim_alert *a)
{
    pthread_mutex_lock(&r->lock);
    int rc = 0;
    if (r->finished) {
        rc = BF_ESTATE;
        goto out_unlock;
    }
    struct rep_alert *x = alert_find(r, a->id);
    if (!x) {
        if (r->n_alerts >= BF_SIM_REPORT_MAX_ALERTS) {
            r->alerts_dropped++;
            rc = BF_EFULL;
            goto out_unlock;
        }
        if ((r->n_alerts + 1) * 2 > r->hash_cap && (rc = hash_grow(r)) < 0)
            goto out_unlock;
        if ((rc = grow((void **)&r->alerts, &r->cap_alerts, r->n_alerts + 1,
                       sizeof *r->alerts)) < 0)
            goto out_unlock;
        x = &r->alerts[r->n_alerts];
        *x = (struct rep_alert){.first_us = a->first_us, .lat_deg = NAN, .lon_deg = NAN,
                                .e_m = NAN, .n_m = NAN, .t_s = NAN};
        snprintf(x->id, sizeof x->id, "%s", a->id);
        snprintf(x->type, sizeof x->type, "%s", a->type);
        r->hash[hash_slot(r, a->id)] = (uint32_t)(r->n_alerts + 1);
        r->n_alerts++;
    }
    bool live = strcmp(a->state, "NEW") == 0 || strcmp(a->state, "UPDATED") == 0;
    if (!x->located && live && !isnan(a->lat_deg) && !isnan(a->lon_deg)) {
        x->located = true;
        x->lat_deg = a->lat_deg;
        x->lon_deg = a->lon_deg;
    }
    rc = note_sensors(r, x, a->sensors);

out_unlock:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- truth history ---------------------------------------------------------- */

bool bf_rep_truth_at(const struct bf_sim_report *r, size_t i, double t_s, double *e_m, double *n_m)
{
    size_t nt = r->s->n_targets;
    if (r->n_steps == 0 || !(t_s >= 0))
        return false;
    double x = t_s / BF_SIM_REPORT_TRUTH_STEP_S;
    size_t k = (size_t)floor(x);
    if (k >= r->n_steps)
        return false;
    double f = x - (double)k;
    float e0 = r->te[k * nt + i], n0 = r->tn[k * nt + i];
    bool a0 = !isnan(e0);
    bool a1 = k + 1 < r->n_steps && !isnan(r->te[(k + 1) * nt + i]);
    if (a0 && a1) {
        *e_m = e0 + f * (r->te[(k + 1) * nt + i] - e0);
        *n_m = n0 + f * (r->tn[(k + 1) * nt + i] - n0);
        return true;
    }
    /* appearing or vanishing between two samples: the nearer one decides */
    size_t kk = f < 0.5 || k + 1 >= r->n_steps ? k : k + 1;
    if (isnan(r->te[kk * nt + i]))
        return false;
    *e_m = r->te[kk * nt + i];
    *n_m = r->tn[kk * nt + i];
    return true;
}

static int build_truth(struct bf_sim_report *r, double duration_s)
{
    const struct bf_sim_scenario *s = r->s;
    size_t nt = s->n_targets;
    r->n_steps = (size_t)floor(duration_s / BF_SIM_REPORT_TRUTH_STEP_S) + 1;
    size_t cells = r->n_steps * (nt ? nt : 1);
    r->te = malloc(cells * sizeof *r->te);
    r->tn = malloc(cells * sizeof *r->tn);
    if (!r->te || !r->tn)
        return BF_ENOMEM;
    struct bf_sim_truth *tr = NULL;
    int rc = bf_sim_truth_create(s, BF_SIM_REPORT_TRUTH_STEP_S, &tr);
    for (size_t k = 0; rc == 0 && k < r->n_steps; k++) {
        double t = (double)k * BF_SIM_REPORT_TRUTH_STEP_S;
        if (t > duration_s)
            t = duration_s;
        if ((rc = bf_sim_truth_advance(tr, t)) < 0)
            break;
        const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);
        for (size_t i = 0; i < nt; i++) {
            r->te[k * nt + i] = p[i].active ? (float)p[i].e_m : NAN;
            r->tn[k * nt + i] = p[i].active ? (float)p[i].n_m : NAN;
        }
    }
    bf_sim_truth_destroy(tr);
    return rc;
}

/* ---- zones outlines (for the map) ------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Add one coordinate array ([[lon, lat], ...]) as a shape. */
static int add_ring(struct bf_sim_report *r, const cJSON *props, const cJSON *coords, bool line,
                    size_t *cap_shapes, size_t *cap_pts)
{
    size_t n = (size_t)cJSON_GetArraySize(coords);
    if (grow((void **)&r->shapes, cap_shapes, r->n_shapes + 1, sizeof *r->shapes) < 0)
        return BF_ENOMEM;
    size_t cap_e = *cap_pts;
    if (grow((void **)&r->zpe, &cap_e, r->n_zpt + n, sizeof *r->zpe) < 0 ||
        grow((void **)&r->zpn, cap_pts, r->n_zpt + n, sizeof *r->zpn) < 0)
        return BF_ENOMEM;
    struct rep_shape *sh = &r->shapes[r->n_shapes];
    memset(sh, 0, sizeof *sh);
    snprintf(sh->id, sizeof sh->id, "%s", jstr(props, "id"));
    snprintf(sh->name, sizeof sh->name, "%s", jstr(props, "name"));
    snprintf(sh->kind, sizeof sh->kind, "%s", jstr(props, "kind"));
    sh->line = line;
    sh->our_left = strcmp(jstr(props, "our_side"), "right") != 0;
    sh->first = r->n_zpt;
    const cJSON *c;
    cJSON_ArrayForEach(c, coords) {
        double lon = cJSON_IsNumber(cJSON_GetArrayItem(c, 0)) ? cJSON_GetArrayItem(c, 0)->valuedouble : NAN;
        double lat = cJSON_IsNumber(cJSON_GetArrayItem(c, 1)) ? cJSON_GetArrayItem(c, 1)->valuedouble : NAN;
        double e, nn;
        if (isnan(lat) || isnan(lon) || bf_geo_to_local(r->s->frame, lat, lon, &e, &nn) < 0)
            continue;
        r->zpe[r->n_zpt] = e;
        r->zpn[r->n_zpt] = nn;
        r->n_zpt++;
        sh->n++;
    }
    if (sh->n >= 2)
        r->n_shapes++;
    else
        r->n_zpt = sh->first;
    return 0;
}

/*
 * The zones' outlines: the GEOS zones object does not hand out vertices, so
 * the GeoJSON is read again with cJSON (it was validated at load).  A problem
 * leaves the map without zones and says why in zones_error.
 */
static int load_zones(struct bf_sim_report *r)
{
    const char *path = r->s->zones_path;
    if (!path) {
        snprintf(r->zones_error, sizeof r->zones_error, "the scenario names no zones file");
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(r->zones_error, sizeof r->zones_error, "cannot read the zones file: %s",
                 strerror(errno));
        return 0;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (grow((void **)&text, &cap, len + 65536, 1) < 0) {
            rc = BF_ENOMEM;
            break;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    cJSON *root = rc == 0 ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    if (rc < 0)
        return rc;
    size_t cap_shapes = 0, cap_pts = 0;
    const cJSON *feat;
    cJSON_ArrayForEach(feat, cJSON_GetObjectItemCaseSensitive(root, "features")) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(feat, "properties");
        const cJSON *geom = cJSON_GetObjectItemCaseSensitive(feat, "geometry");
        const char *type = jstr(geom, "type");
        const cJSON *co = cJSON_GetObjectItemCaseSensitive(geom, "coordinates");
        const cJSON *x, *y;
        if (strcmp(type, "LineString") == 0) {
            rc = add_ring(r, props, co, true, &cap_shapes, &cap_pts);
        } else if (strcmp(type, "MultiLineString") == 0 || strcmp(type, "Polygon") == 0) {
            bool line = type[0] == 'M';
            cJSON_ArrayForEach(x, co)
                if (rc == 0)
                    rc = add_ring(r, props, x, line, &cap_shapes, &cap_pts);
        } else if (strcmp(type, "MultiPolygon") == 0) {
            cJSON_ArrayForEach(x, co)
                cJSON_ArrayForEach(y, x)
                    if (rc == 0)
                        rc = add_ring(r, props, y, false, &cap_shapes, &cap_pts);
        }
        if (rc < 0)
            break;
    }
    if (!root)
        snprintf(r->zones_error, sizeof r->zones_error, "the zones file is not JSON");
    cJSON_Delete(root);
    return rc;
}

/* ---- finishing ------------------------------------------------------------- */

static int cmp_sensor(const void *a, const void *b)
{
    return strcmp(((const struct bf_sim_report_sensor *)a)->id,
                  ((const struct bf_sim_report_sensor *)b)->id);
}

static int cmp_nuisance(const void *a, const void *b)
{
    const struct bf_sim_report_nuisance *x = a, *y = b;
    int c = strcmp(x->type, y->type);
    return c ? c : strcmp(x->cause, y->cause);
}

/* Score every picture inside the run; time to first confirmed track. */
static int score_pictures(struct bf_sim_report *r)
{
    const struct bf_sim_scenario *s = r->s;
    size_t nt = s->n_targets, max_n = nt;
    for (size_t k = 0; k < r->n_pics; k++)
        if (r->pics[k].n > max_n)
            max_n = r->pics[k].n;
    struct bf_sim_xy *est = malloc((max_n + 1) * sizeof *est);
    struct bf_sim_xy *tru = malloc((nt + 1) * sizeof *tru);
    size_t *tidx = malloc((nt + 1) * sizeof *tidx);
    r->series_t = malloc((r->n_pics + 1) * sizeof *r->series_t);
    r->series_m = malloc((r->n_pics + 1) * sizeof *r->series_m);
    struct bf_sim_metric_ws *ws = NULL;
    int rc = BF_ENOMEM;
    if (!est || !tru || !tidx || !r->series_t || !r->series_m ||
        bf_sim_metric_ws_create(max_n ? max_n : 1, max_n < 1024 ? max_n : 1024, &ws) < 0)
        goto out_free;
    rc = 0;
    struct bf_sim_metric_avg avg = {0};
    size_t n_series = 0;
    for (size_t k = 0; k < r->n_pics; k++) {
        struct rep_picture *p = &r->pics[k];
        p->t_s = bf_time_to_s(p->t_us - s->start_us);
        if (!(p->t_s >= 0 && p->t_s <= r->ri.duration_s))
            continue;
        size_t ne = 0, ntr = 0;
        for (size_t j = p->first; j < p->first + p->n; j++)
            if (!isnan(r->trk[j].e_m))
                est[ne++] = (struct bf_sim_xy){r->trk[j].e_m, r->trk[j].n_m};
        for (size_t i = 0; i < nt; i++) {
            double e, n;
            if (bf_rep_truth_at(r, i, p->t_s, &e, &n)) {
                tidx[ntr] = i;
                tru[ntr++] = (struct bf_sim_xy){e, n};
            }
        }
        if (bf_sim_metric_compute(ws, est, ne, tru, ntr, BF_SIM_REPORT_C_M, BF_SIM_REPORT_P,
                                  &p->m) < 0)
            continue;   /* a cluster too big to solve: this picture is not scored */
        p->scored = true;
        bf_sim_metric_avg_add(&avg, &p->m);
        r->series_t[n_series] = p->t_s;
        r->series_m[n_series++] = p->m;
        /* time to first confirmed track */
        for (size_t q = 0; q < ntr; q++) {
            struct bf_sim_report_target *tg = &r->targets[tidx[q]];
            if (!isnan(tg->confirmed_s))
                continue;
            for (size_t j = 0; j < ne; j++) {
                if (hypot(est[j].e_m - tru[q].e_m, est[j].n_m - tru[q].n_m) <=
                    BF_SIM_REPORT_CONFIRM_RADIUS_M) {
                    tg->confirmed_s = p->t_s;
                    if (!isnan(tg->appeared_s))
                        tg->ttfc_s = p->t_s - tg->appeared_s;
                    break;
                }
            }
        }
    }
    r->sum.pictures_scored = n_series;
    r->sum.n_series = n_series;
    bf_sim_metric_avg_mean(&avg, &r->sum.mean);

out_free:
    bf_sim_metric_ws_destroy(ws);
    free(est);
    free(tru);
    free(tidx);
    return rc;
}

static int judge_alerts(struct bf_sim_report *r, const struct bf_sim_scored_alert *al,
                        size_t n_al, const struct bf_sim_score *sc)
{
    bool *is_false = calloc(n_al ? n_al : 1, sizeof *is_false);
    r->nuisance = calloc(n_al ? n_al : 1, sizeof *r->nuisance);
    if (!is_false || !r->nuisance) {
        free(is_false);
        return BF_ENOMEM;
    }
    for (size_t k = 0; sc && k < sc->false_alerts; k++)
        is_false[sc->false_alert_idx[k]] = true;
    for (size_t k = 0; sc && sc->unmatched_approach_idx && k < sc->approach_unmatched; k++)
        is_false[sc->unmatched_approach_idx[k]] = true;   /* the APPROACHes of nobody's crossing */
    size_t nn = 0;
    for (size_t i = 0; i < n_al; i++) {
        const struct bf_sim_scored_alert *a = &al[i];
        if (!a->reported || a->kind == BF_SIM_ALERT_OTHER)
            continue;
        struct rep_alert *x = alert_find(r, a->id);
        bool nuisance = is_false[i];
        const char *cause = "clutter";
        if (sc && sc->cause && sc->cause[i] >= 0 && (size_t)sc->cause[i] < sc->n_targets)
            cause = sc->targets[sc->cause[i]].key;
        if (x) {
            x->judged = true;
            x->nuisance = nuisance;
            x->cause = cause;
        }
        if (!nuisance)
            continue;
        r->sum.nuisance_total++;
        const char *type = a->kind == BF_SIM_ALERT_INCURSION ? "INCURSION" : "APPROACH";
        size_t j = 0;
        while (j < nn && !(strcmp(r->nuisance[j].type, type) == 0 &&
                           strcmp(r->nuisance[j].cause, cause) == 0))
            j++;
        if (j == nn)
            r->nuisance[nn++] = (struct bf_sim_report_nuisance){.type = type, .cause = cause};
        r->nuisance[j].count++;
    }
    free(is_false);
    qsort(r->nuisance, nn, sizeof *r->nuisance, cmp_nuisance);
    r->sum.nuisance = r->nuisance;
    r->sum.n_nuisance = nn;
    return 0;
}

int bf_sim_report_finish(struct bf_sim_report *r, const struct bf_sim_run_info *ri,
                         const struct bf_sim_crossing *cr, size_t n_cr,
                         const struct bf_sim_scored_alert *al, size_t n_al,
                         const struct bf_sim_score *sc, const struct bf_sim_score_params *p)
{
    pthread_mutex_lock(&r->lock);
    bool again = r->finished;
    r->finished = true;   /* the collection stops here */
    pthread_mutex_unlock(&r->lock);
    if (again)
        return BF_ESTATE;
    const struct bf_sim_scenario *s = r->s;
    struct bf_sim_score_params dp;
    if (!p) {
        bf_sim_score_params_default(&dp);
        p = &dp;
    }
    r->ri = *ri;
    double dur = ri->duration_s > 0 ? ri->duration_s : 0;
    r->ri.duration_s = dur;
    struct bf_sim_report_summary *sum = &r->sum;
    sum->pictures = r->n_pics;
    sum->pictures_malformed = r->pictures_malformed;
    sum->pictures_dropped = r->pictures_dropped;
    sum->tracks_dropped = r->tracks_dropped;
    sum->alerts_dropped = r->alerts_dropped;
    sum->picture_sensors = false;   /* publish_tracks() sends no sensor list */
    sum->false_alerts_per_hour = dur > 0 && sc ? (double)sc->false_alerts * 3600.0 / dur : NAN;
    r->false_alerts = sc ? sc->false_alerts : 0;
    r->incursion_alerts = sc ? sc->incursion_alerts : 0;
    r->approach_alerts = sc ? sc->approach_alerts : 0;

    int rc = build_truth(r, dur);
    if (rc < 0)
        return rc;
    r->targets = calloc(s->n_targets ? s->n_targets : 1, sizeof *r->targets);
    r->cr = calloc(n_cr ? n_cr : 1, sizeof *r->cr);
    r->sensors = calloc(r->n_sensor_names ? r->n_sensor_names : 1, sizeof *r->sensors);
    if (!r->targets || !r->cr || !r->sensors)
        return BF_ENOMEM;
    for (size_t i = 0; i < s->n_targets; i++) {
        struct bf_sim_report_target *t = &r->targets[i];
        *t = (struct bf_sim_report_target){.id = s->targets[i].id, .group = s->targets[i].group,
                                           .appeared_s = NAN, .confirmed_s = NAN, .ttfc_s = NAN};
        for (size_t k = 0; k < r->n_steps; k++)
            if (!isnan(r->te[k * s->n_targets + i])) {
                t->appeared_s = (double)k * BF_SIM_REPORT_TRUTH_STEP_S;
                break;
            }
    }
    sum->targets = r->targets;
    sum->n_targets = s->n_targets;
    for (size_t j = 0; j < r->n_trk; j++) {
        struct rep_track *t = &r->trk[j];
        if (bf_geo_to_local(s->frame, t->lat_deg, t->lon_deg, &t->e_m, &t->n_m) < 0)
            t->e_m = t->n_m = NAN;
    }
    for (size_t i = 0; i < r->n_alerts; i++) {
        struct rep_alert *a = &r->alerts[i];
        a->t_s = bf_time_to_s(a->first_us - s->start_us);
        if (a->located && bf_geo_to_local(s->frame, a->lat_deg, a->lon_deg, &a->e_m, &a->n_m) < 0)
            a->located = false;
    }
    if ((rc = score_pictures(r)) < 0)
        return rc;
    sum->t_s = r->series_t;
    sum->metric = r->series_m;

    r->n_cr = n_cr;
    for (size_t c = 0; c < n_cr; c++) {
        const struct bf_sim_crossing_score *cs =
            sc && c < sc->crossings + sc->exempt_crossings ? &sc->per_crossing[c] : NULL;
        r->cr[c] = (struct rep_crossing){
            .key = cr[c].key, .is_group = cr[c].is_group, .members = cr[c].members,
            .owed = cs ? cs->owed : bf_sim_crossing_owes_alert(&cr[c]),
            .t_s = cr[c].t_s, .e_m = cr[c].e_m, .n_m = cr[c].n_m,
            .alerted = cs && cs->alerted, .lag_s = cs ? cs->lag_s : NAN,
            .have_approach = cs && cs->have_approach,
            .approach_lead_s = cs && cs->have_approach ? cs->approach_lead_s : NAN};
    }
    if ((rc = judge_alerts(r, al, n_al, sc)) < 0)
        return rc;

    for (size_t k = 0; k < r->n_sensor_names; k++)
        r->sensors[k].id = r->sensor_names[k];
    for (size_t i = 0; i < r->n_alerts; i++) {
        const struct rep_alert *a = &r->alerts[i];
        for (size_t k = 0; k < a->n_sensors; k++) {
            struct bf_sim_report_sensor *se = &r->sensors[a->sensors[k]];
            se->alerts++;
            se->incursions += strcmp(a->type, "INCURSION") == 0;
            se->approaches += strcmp(a->type, "APPROACH") == 0;
        }
    }
    qsort(r->sensors, r->n_sensor_names, sizeof *r->sensors, cmp_sensor);
    sum->sensors = r->sensors;
    sum->n_sensors = r->n_sensor_names;
    return load_zones(r);
}

const struct bf_sim_report_summary *bf_sim_report_summary(const struct bf_sim_report *r)
{
    return r && r->finished && r->te ? &r->sum : NULL;
}

/* ---- the scorecard ---------------------------------------------------------- */

static cJSON *num_or_null(double v, double scale)
{
    return isfinite(v) ? cJSON_CreateNumber(round(v * scale) / scale) : cJSON_CreateNull();
}

int bf_sim_report_scorecard_add(const struct bf_sim_report *r, cJSON *card)
{
    const struct bf_sim_report_summary *sm = bf_sim_report_summary(r);
    if (!sm)
        return BF_ESTATE;
    cJSON *acc = cJSON_CreateObject();
    cJSON_AddNumberToObject(acc, "c_m", BF_SIM_REPORT_C_M);
    cJSON_AddNumberToObject(acc, "p", BF_SIM_REPORT_P);
    cJSON_AddNumberToObject(acc, "alpha", 2);
    cJSON_AddNumberToObject(acc, "pictures", (double)sm->pictures);
    cJSON_AddNumberToObject(acc, "pictures_scored", (double)sm->pictures_scored);
    cJSON_AddNumberToObject(acc, "pictures_malformed", (double)sm->pictures_malformed);
    cJSON_AddNumberToObject(acc, "pictures_dropped", (double)sm->pictures_dropped);
    cJSON_AddItemToObject(acc, "ospa_mean_m", num_or_null(sm->mean.ospa, 100));
    cJSON_AddItemToObject(acc, "gospa_mean_m", num_or_null(sm->mean.gospa, 100));
    cJSON_AddItemToObject(acc, "gospa_loc_mean_m", num_or_null(sm->mean.gospa_loc, 100));
    cJSON_AddItemToObject(acc, "gospa_missed_mean_m", num_or_null(sm->mean.gospa_missed, 100));
    cJSON_AddItemToObject(acc, "gospa_false_mean_m", num_or_null(sm->mean.gospa_false, 100));
    cJSON_AddItemToObject(card, "track_accuracy", acc);

    cJSON *ttf = cJSON_CreateArray();
    for (size_t i = 0; i < sm->n_targets; i++) {
        const struct bf_sim_report_target *t = &sm->targets[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "target", t->id);
        if (t->group)
            cJSON_AddStringToObject(o, "group", t->group);
        cJSON_AddItemToObject(o, "appeared_s", num_or_null(t->appeared_s, 10));
        cJSON_AddItemToObject(o, "first_confirmed_s", num_or_null(t->confirmed_s, 10));
        cJSON_AddItemToObject(o, "time_to_first_track_s", num_or_null(t->ttfc_s, 10));
        cJSON_AddItemToArray(ttf, o);
    }
    cJSON_AddItemToObject(card, "time_to_first_track", ttf);
    cJSON_AddItemToObject(card, "false_alerts_per_hour", num_or_null(sm->false_alerts_per_hour, 1000));

    cJSON *nu = cJSON_CreateObject();
    cJSON_AddNumberToObject(nu, "total", (double)sm->nuisance_total);
    cJSON *by = cJSON_AddArrayToObject(nu, "by_cause");
    for (size_t i = 0; i < sm->n_nuisance; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", sm->nuisance[i].type);
        cJSON_AddStringToObject(o, "cause", sm->nuisance[i].cause);
        cJSON_AddNumberToObject(o, "count", sm->nuisance[i].count);
        cJSON_AddItemToArray(by, o);
    }
    cJSON_AddItemToObject(card, "nuisance_alerts", nu);

    cJSON *sen = cJSON_CreateObject();
    cJSON_AddBoolToObject(sen, "picture_names_sensors", sm->picture_sensors);
    cJSON *ls = cJSON_AddArrayToObject(sen, "sensors");
    for (size_t i = 0; i < sm->n_sensors; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sensor", sm->sensors[i].id);
        cJSON_AddNumberToObject(o, "alerts", sm->sensors[i].alerts);
        cJSON_AddNumberToObject(o, "incursion_alerts", sm->sensors[i].incursions);
        cJSON_AddNumberToObject(o, "approach_alerts", sm->sensors[i].approaches);
        cJSON_AddItemToArray(ls, o);
    }
    cJSON_AddItemToObject(card, "sensor_contribution", sen);
    return 0;
}

void bf_sim_report_print(FILE *f, const struct bf_sim_report *r)
{
    const struct bf_sim_report_summary *sm = bf_sim_report_summary(r);
    if (!sm)
        return;
    fprintf(f, "\ntrack pictures %zu (scored %zu, malformed %llu)", sm->pictures,
            sm->pictures_scored, (unsigned long long)sm->pictures_malformed);
    if (sm->pictures_scored)
        fprintf(f, ": OSPA mean %.1f m, GOSPA mean %.1f m (localisation %.1f, missed %.1f, "
                "false %.1f)", sm->mean.ospa, sm->mean.gospa, sm->mean.gospa_loc,
                sm->mean.gospa_missed, sm->mean.gospa_false);
    fprintf(f, "\nfalse alerts per hour %.2f; nuisance alerts %zu", sm->false_alerts_per_hour,
            sm->nuisance_total);
    for (size_t i = 0; i < sm->n_nuisance; i++)
        fprintf(f, "%s %s %s %u", i ? "," : ":", sm->nuisance[i].type, sm->nuisance[i].cause,
                sm->nuisance[i].count);
    fprintf(f, "\ntime to first confirmed track:");
    for (size_t i = 0; i < sm->n_targets; i++) {
        if (isnan(sm->targets[i].ttfc_s))
            fprintf(f, " %s never;", sm->targets[i].id);
        else
            fprintf(f, " %s %.0f s;", sm->targets[i].id, sm->targets[i].ttfc_s);
        if (i >= 19 && sm->n_targets > 21) {
            fprintf(f, " ... (%zu more)", sm->n_targets - i - 1);
            break;
        }
    }
    fprintf(f, "\nalerts naming each sensor:");
    for (size_t i = 0; i < sm->n_sensors; i++)
        fprintf(f, " %s %u;", sm->sensors[i].id, sm->sensors[i].alerts);
    if (sm->n_sensors == 0)
        fprintf(f, " none");
    fprintf(f, "\n");
}

/* ---- writing ---------------------------------------------------------------- */

static int mkdirs(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return BF_ENOMEM;
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return BF_EIO;
        }
        p[i] = c;
    }
    free(p);
    return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
    if (!text)
        return BF_ENOMEM;
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return BF_ENOMEM;
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    int rc = f && fputs(text, f) >= 0 ? 0 : BF_EIO;
    if (f && fclose(f) != 0)
        rc = BF_EIO;
    free(path);
    return rc;
}

/* The page: summary tables, the three plots inline, how the figures are made. */
static char *html_page(const struct bf_sim_report *r, const char *map, const char *gospa,
                       const char *alerts);

int bf_sim_report_write(const struct bf_sim_report *r, const char *dir)
{
    if (!bf_sim_report_summary(r))
        return BF_ESTATE;
    int rc = mkdirs(dir);
    if (rc < 0)
        return rc;
    char *map = bf_rep_svg_map(r), *gospa = bf_rep_svg_gospa(r), *alerts = bf_rep_svg_alerts(r);
    char *html = map && gospa && alerts ? html_page(r, map, gospa, alerts) : NULL;
    if (!html)
        rc = BF_ENOMEM;
    if (rc == 0)
        rc = write_file(dir, "map.svg", map);
    if (rc == 0)
        rc = write_file(dir, "gospa.svg", gospa);
    if (rc == 0)
        rc = write_file(dir, "alerts.svg", alerts);
    if (rc == 0)
        rc = write_file(dir, "report.html", html);
    free(map);
    free(gospa);
    free(alerts);
    free(html);
    return rc;
}

static void fmt_s(struct rep_buf *b, double v, bool sign)
{
    if (isnan(v))
        bf_rep_printf(b, "&#8212;");
    else
        bf_rep_printf(b, sign ? "%+.1f s" : "%.1f s", v);
}

static void hms(const struct bf_sim_report *r, double t_s, char *buf, size_t len)
{
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(r->s->start_us + bf_time_from_s(t_s), iso, sizeof iso);
    snprintf(buf, len, "%.8sZ", strlen(iso) >= 19 ? iso + 11 : "??:??:??");
}

static void strip_decl(struct rep_buf *b, const char *svg)
{
    const char *p = strstr(svg, "<svg");
    bf_rep_printf(b, "%s\n", p ? p : svg);
}

/* The page head, the exercise banner and what was run. */
static void html_head(struct rep_buf *b, const struct bf_sim_report *r)
{
    const struct bf_sim_scenario *s = r->s;
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(s->start_us, iso, sizeof iso);
    bf_rep_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>borderfuse simulator report: ");
    bf_rep_escape(b, s->site);
    bf_rep_printf(b, "</title>\n<style>\n"
               "body{font-family:sans-serif;font-size:15px;max-width:960px;margin:1em auto;"
               "color:#111}\n"
               "table{border-collapse:collapse;margin:0.5em 0 1em}\n"
               "th,td{border:1px solid #999;padding:3px 8px;text-align:left}\n"
               "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
               "th{background:#eee}\n"
               ".banner{background:#ffd400;color:#000;font-weight:bold;font-size:20px;"
               "padding:8px;text-align:center;border:3px dashed #000}\n"
               ".bad{color:#b00000;font-weight:bold}\n"
               "figure{margin:1em 0}\nfigcaption{font-size:14px;color:#333}\n"
               "</style>\n</head>\n<body>\n");
    if (r->ri.exercise)
        bf_rep_printf(b, "<div class=\"banner\">EXERCISE &#8212; simulated targets, "
                   "not a real situation</div>\n");
    bf_rep_printf(b, "<h1>Simulator report: ");
    bf_rep_escape(b, r->ri.scenario ? r->ri.scenario : s->path);
    bf_rep_printf(b, "</h1>\n<p>site <b>");
    bf_rep_escape(b, s->site);
    bf_rep_printf(b, "</b>, %.0f s simulated from %s%s, seed %llu, time scale %g "
               "(%.1f s wall for the scans)</p>\n", r->ri.duration_s, iso,
               r->ri.interrupted ? " (interrupted)" : "", (unsigned long long)r->ri.seed,
               r->ri.time_scale, r->ri.wall_s);
    if (s->description && s->description[0]) {
        bf_rep_printf(b, "<p>");
        bf_rep_escape(b, s->description);
        bf_rep_printf(b, "</p>\n");
    }
}

/* "Summary": crossings alerted, false and nuisance alerts, OSPA and GOSPA. */
static void html_summary(struct rep_buf *b, const struct bf_sim_report *r)
{
    const struct bf_sim_report_summary *sm = &r->sum;
    bf_rep_printf(b, "<h2>Summary</h2>\n<table>\n<tr><th>figure</th><th>value</th></tr>\n");
    size_t alerted = 0, owed = 0;
    for (size_t c = 0; c < r->n_cr; c++) {
        alerted += r->cr[c].owed && r->cr[c].alerted;
        owed += r->cr[c].owed;
    }
    bf_rep_printf(b, "<tr><td>true crossings alerted</td><td class=\"n\">%zu of %zu</td></tr>\n",
               alerted, owed);
    if (owed < r->n_cr)
        bf_rep_printf(b, "<tr><td>animals' crossings (owing no alert)</td><td class=\"n\">%zu"
                   "</td></tr>\n", r->n_cr - owed);
    bf_rep_printf(b, "<tr><td>false INCURSION alerts</td><td class=\"n\">%zu</td></tr>\n",
               r->false_alerts);
    bf_rep_printf(b, "<tr><td>false alerts per hour</td><td class=\"n\">%.2f</td></tr>\n",
               sm->false_alerts_per_hour);
    bf_rep_printf(b, "<tr><td>nuisance alerts (false INCURSION + unmatched APPROACH)</td>"
               "<td class=\"n\">%zu</td></tr>\n", sm->nuisance_total);
    bf_rep_printf(b, "<tr><td>track pictures scored</td><td class=\"n\">%zu of %zu</td></tr>\n",
               sm->pictures_scored, sm->pictures);
    if (sm->pictures_scored) {
        bf_rep_printf(b, "<tr><td>OSPA mean (c = 100 m, p = 1)</td><td class=\"n\">%.1f m</td>"
                   "</tr>\n", sm->mean.ospa);
        bf_rep_printf(b, "<tr><td>GOSPA mean (alpha = 2)</td><td class=\"n\">%.1f m</td></tr>\n",
                   sm->mean.gospa);
        bf_rep_printf(b, "<tr><td>&#160;&#160;localisation / missed / false</td><td class=\"n\">"
                   "%.1f / %.1f / %.1f m</td></tr>\n", sm->mean.gospa_loc,
                   sm->mean.gospa_missed, sm->mean.gospa_false);
    }
    bf_rep_printf(b, "</table>\n");
}

/* "Crossings": each true crossing, alerted or missed, its lag and lead. */
static void html_crossings(struct rep_buf *b, const struct bf_sim_report *r)
{
    char t[16];
    bf_rep_printf(b, "<h2>Crossings</h2>\n");
    if (r->n_cr == 0) {
        bf_rep_printf(b, "<p>No target crossed the border.</p>\n");
    } else {
        bf_rep_printf(b, "<table>\n<tr><th>crossing</th><th>time</th><th>result</th>"
                   "<th>lag (alert &#8722; crossing)</th><th>lead (APPROACH before "
                   "crossing)</th></tr>\n");
        for (size_t c = 0; c < r->n_cr; c++) {
            const struct rep_crossing *x = &r->cr[c];
            hms(r, x->t_s, t, sizeof t);
            bf_rep_printf(b, "<tr><td>%s", x->is_group ? "group " : "");
            bf_rep_escape(b, x->key);
            if (x->is_group)
                bf_rep_printf(b, " (%u)", x->members);
            bf_rep_printf(b, "</td><td>%s</td><td%s>%s</td><td class=\"n\">", t,
                       x->alerted || !x->owed ? "" : " class=\"bad\"",
                       !x->owed ? "animal: owes no alert" : x->alerted ? "alerted" : "MISSED");
            fmt_s(b, x->lag_s, true);
            bf_rep_printf(b, "</td><td class=\"n\">");
            fmt_s(b, x->approach_lead_s, false);
            bf_rep_printf(b, "</td></tr>\n");
        }
        bf_rep_printf(b, "</table>\n");
    }
}

/* "Time to first confirmed track", per target (the first 200). */
static void html_first_tracks(struct rep_buf *b, const struct bf_sim_report *r)
{
    const struct bf_sim_report_summary *sm = &r->sum;
    bf_rep_printf(b, "<h2>Time to first confirmed track</h2>\n<table>\n<tr><th>target</th>"
               "<th>appeared</th><th>first confirmed track within 50 m</th><th>time to "
               "first track</th></tr>\n");
    for (size_t i = 0; i < sm->n_targets; i++) {
        const struct bf_sim_report_target *tg = &sm->targets[i];
        bf_rep_printf(b, "<tr><td>");
        bf_rep_escape(b, tg->id);
        if (tg->group) {
            bf_rep_printf(b, " (");
            bf_rep_escape(b, tg->group);
            bf_rep_printf(b, ")");
        }
        bf_rep_printf(b, "</td><td class=\"n\">");
        fmt_s(b, tg->appeared_s, false);
        bf_rep_printf(b, "</td><td class=\"n\">");
        fmt_s(b, tg->confirmed_s, false);
        bf_rep_printf(b, "</td><td class=\"n\">");
        if (isnan(tg->ttfc_s))
            bf_rep_printf(b, "<span class=\"bad\">never</span>");
        else
            fmt_s(b, tg->ttfc_s, false);
        bf_rep_printf(b, "</td></tr>\n");
        if (i == 199 && sm->n_targets > 200) {
            bf_rep_printf(b, "<tr><td colspan=\"4\">... %zu more in the scorecard JSON</td></tr>\n",
                       sm->n_targets - 200);
            break;
        }
    }
    bf_rep_printf(b, "</table>\n");
}

/* "Nuisance alerts by cause". */
static void html_nuisance(struct rep_buf *b, const struct bf_sim_report *r)
{
    const struct bf_sim_report_summary *sm = &r->sum;
    bf_rep_printf(b, "<h2>Nuisance alerts by cause</h2>\n");
    if (sm->n_nuisance == 0) {
        bf_rep_printf(b, "<p>None.</p>\n");
    } else {
        bf_rep_printf(b, "<table>\n<tr><th>type</th><th>cause</th><th>alerts</th></tr>\n");
        for (size_t i = 0; i < sm->n_nuisance; i++) {
            bf_rep_printf(b, "<tr><td>%s</td><td>", sm->nuisance[i].type);
            bf_rep_escape(b, sm->nuisance[i].cause);
            bf_rep_printf(b, "</td><td class=\"n\">%u</td></tr>\n", sm->nuisance[i].count);
        }
        bf_rep_printf(b, "</table>\n");
    }
}

/* "Contribution per sensor". */
static void html_sensors(struct rep_buf *b, const struct bf_sim_report *r)
{
    const struct bf_sim_report_summary *sm = &r->sum;
    bf_rep_printf(b, "<h2>Contribution per sensor</h2>\n");
    if (sm->n_sensors == 0) {
        bf_rep_printf(b, "<p>No alert named a sensor.</p>\n");
    } else {
        bf_rep_printf(b, "<table>\n<tr><th>sensor</th><th>alerts naming it</th><th>INCURSION</th>"
                   "<th>APPROACH</th></tr>\n");
        for (size_t i = 0; i < sm->n_sensors; i++) {
            bf_rep_printf(b, "<tr><td>");
            bf_rep_escape(b, sm->sensors[i].id);
            bf_rep_printf(b, "</td><td class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">"
                       "%u</td></tr>\n", sm->sensors[i].alerts, sm->sensors[i].incursions,
                       sm->sensors[i].approaches);
        }
        bf_rep_printf(b, "</table>\n");
    }
    bf_rep_printf(b, "<p>Counted from the alerts' <code>sensors</code> lists (each alert id once per "
               "sensor it ever named). The engine's track picture carries no sensor list, so "
               "the contribution of each sensor to the tracks themselves is not measured.</p>\n");
}

/* The three figures (map, accuracy, alert timeline) with their captions. */
static void html_figures(struct rep_buf *b, const struct bf_sim_report *r, const char *map,
                         const char *gospa, const char *alerts)
{
    bf_rep_printf(b, "<h2>Map</h2>\n<figure>\n");
    strip_decl(b, map);
    bf_rep_printf(b, "<figcaption>Zones, true trails (solid, labelled with the target id), "
               "confirmed track trails from the engine's pictures (dashed) and alert positions "
               "(one marker shape per type). Equal scale in both axes.%s%s</figcaption>\n"
               "</figure>\n", r->zones_error[0] ? " Zones not drawn: " : "", r->zones_error);
    bf_rep_printf(b, "<h2>Track accuracy over time</h2>\n<figure>\n");
    strip_decl(b, gospa);
    bf_rep_printf(b, "<figcaption>GOSPA of the confirmed tracks against the targets existing at "
               "each picture's time, with its localisation, missed and false parts (they add "
               "up to GOSPA for p = 1), and OSPA. One point per picture (the engine publishes "
               "at most one a wall second).</figcaption>\n</figure>\n");
    bf_rep_printf(b, "<h2>Alert timeline</h2>\n<figure>\n");
    strip_decl(b, alerts);
    bf_rep_printf(b, "<figcaption>Each alert id at its first_time, one lane per type; hollow "
               "markers are nuisance alerts. Vertical dashed lines: true crossings."
               "</figcaption>\n</figure>\n");
}

/* "How the figures are made". */
static void html_method(struct rep_buf *b)
{
    bf_rep_printf(b, "<h2>How the figures are made</h2>\n<ul>\n"
               "<li>OSPA and GOSPA per picture: the picture's tracks (confirmed and coasting) "
               "against the true positions, at the picture's event time, of every target that "
               "exists then (in or out of sensor coverage), in the local frame; c = 100 m, "
               "p = 1, alpha = 2. The means are over the scored pictures.</li>\n"
               "<li>Time to first confirmed track: from the target's appearance to the first "
               "picture holding a track within 50 m of it. Its resolution is the picture "
               "period.</li>\n"
               "<li>False alerts per hour: INCURSION ids matching no crossing, per simulated "
               "hour.</li>\n"
               "<li>Nuisance alerts: false INCURSION ids and APPROACH ids matching no crossing, "
               "by the true target nearest to them (or clutter).</li>\n</ul>\n");
}

static char *html_page(const struct bf_sim_report *r, const char *map, const char *gospa,
                       const char *alerts)
{
    struct rep_buf b = {0};
    html_head(&b, r);
    html_summary(&b, r);
    html_crossings(&b, r);
    html_first_tracks(&b, r);
    html_nuisance(&b, r);
    html_sensors(&b, r);
    html_figures(&b, r, map, gospa, alerts);
    html_method(&b);
    bf_rep_printf(&b, "</body>\n</html>\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
