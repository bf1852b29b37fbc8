/*
 * engine_dispatch.c - the engine's dispatch seam: acting on a target
 * with cameras (docs/cueing.md) and response units (docs/dispatch.md), and
 * the delivered alerts handed to the CoT seam (engine_cot.c, docs/cot.md).
 *
 * The cameras are the running sensors of type "camera" with their cueing
 * overrides, and follow the sensor set: a reload that adds, removes or
 * changes a camera changes the cuer's (bf_eng_dispatch_sensors).  The cuer
 * slews the best one to a confirmed or alerted track and publishes its cues
 * on cameras/<id>/cue.  Response units report on
 * units/<id> (Paho's thread writes the table, under its mutex).
 *
 * The flow is one way.  Before the rules run, each step refreshes the
 * enrichment's snapshot (struct bf_enrich_view): the units' positions copied
 * from the table, the units assigned to live alerts, the cuer (read only).
 * The alerter's enrichment step (bf_enrich_alert) reads only that.  Once an
 * alert is delivered, this seam takes it: CoT (through its seam), the cuer (which may take a
 * camera and cue it: the camera the step picked), and the assignment table
 * (so the next alert of the same step sees a unit freed or taken).
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/cue.h"
#include "alerts/dispatch.h"
#include "alerts/enrich.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"

/* ---- camera cueing and dispatch (docs/cueing.md, docs/dispatch.md) ----- */

/* The response units heard on borderfuse/<site>/units/+: written on Paho's
 * thread, read on the engine thread, under mu.  Bounded by max_units. */
struct dispatch_units {
    pthread_mutex_t mu;
    struct bf_dispatch_unit *v;      /* max_units, in arrival order */
    size_t n, cap;
    uint64_t messages, malformed, removed, full;
    struct bf_dispatch_unit *snap;   /* engine thread: the snapshot's copy, each step */
    struct bf_dispatch_cand *cands;  /* engine thread: scratch for the enrichment step */
};

/* The seam's own state (engine thread, but the units' table). */
struct bf_eng_dispatch {
    struct bf_cuer *cuer;             /* camera cueing; NULL: off or no camera */
    struct dispatch_units *units;     /* response units; NULL: off */
    struct bf_enrich_assignment *assigned;   /* units assigned to live alerts, as delivered */
    size_t n_assigned, cap_assigned;
    uint64_t assign_nomem;
    struct bf_enrich_view view;       /* the enrichment's snapshot */
};

static void on_unit_msg(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct dispatch_units *u = ctx;
    const char *slash = strrchr(topic, '/');
    const char *id = slash ? slash + 1 : topic;
    struct bf_dispatch_unit pos;
    char err[160];
    int rc = bf_dispatch_unit_parse(id, payload, len, &pos, err, sizeof err);
    pthread_mutex_lock(&u->mu);
    u->messages++;
    size_t i = 0;
    while (rc != BF_EPARSE && i < u->n && strcmp(u->v[i].id, id) != 0)
        i++;
    if (rc == BF_EPARSE) {
        u->malformed++;
        if ((u->malformed & (u->malformed - 1)) == 0)   /* 1st, 2nd, 4th, ... */
            BF_LOGW("dispatch", "%s: malformed unit message skipped (%s); %llu so far, counted in "
                    "status", topic, err, (unsigned long long)u->malformed);
    } else if (rc == BF_ENOTFOUND) {   /* retained message cleared: the unit is gone */
        if (i < u->n) {
            u->v[i] = u->v[--u->n];
            u->removed++;
        }
    } else if (i < u->n) {
        u->v[i] = pos;
    } else if (u->n < u->cap) {
        u->v[u->n++] = pos;
    } else if (u->full++ == 0) {
        BF_LOGW("dispatch", "unit %s ignored: %zu units known already (raise dispatch.max_units)",
                id, u->cap);
    }
    pthread_mutex_unlock(&u->mu);
}

/* Named in cueing.cameras: the operator says it pans (docs/cueing.md). */
static bool camera_steerable(const struct bf_config *cfg, const char *id)
{
    for (size_t i = 0; id && i < cfg->n_cue_cameras; i++)
        if (cfg->cue_cameras[i].id && strcmp(cfg->cue_cameras[i].id, id) == 0)
            return true;
    return false;
}

/* borderfuse/<site>/cameras/<id>/cue, QoS 1, not retained (docs/cueing.md). */
static void publish_cue(void *ctx, const struct bf_cue_cmd *c)
{
    struct bf_engine *e = ctx;
    /* The coverage wedge of a pan-tilt camera (one named in cueing.cameras) looks where it is
     * told to, home again on release.  A camera not declared there may be fixed: crediting it
     * with the commanded view would count its empty frames as misses against the very track
     * it was cued to (docs/coverage.md). */
    if (e->coverage && camera_steerable(e->cfg, c->cam->id))
        bf_coverage_set_heading(e->coverage, c->cam->sensor_idx,
                                c->release ? NAN : c->aim.bearing_deg);
    char buf[768], topic[200];
    int n = bf_cue_cmd_to_json(c, buf, sizeof buf);
    if (n < 0)
        return;
    snprintf(topic, sizeof topic, "borderfuse/%s/cameras/%s/cue", e->cfg->site, c->cam->id);
    if (e->mqtt_out)
        bf_mqtt_publish(e->mqtt_out, topic, buf, (size_t)n, 1, false);
    if (c->release)
        BF_LOGI("cue", "%s released (track %u: %s)", c->cam->id, c->track_id, c->reason);
    else
        BF_LOGD("cue", "%s -> track %u pan %.2f tilt %.2f fov %.2f range %.0f m", c->cam->id,
                c->track_id, c->aim.pan_deg, c->aim.tilt_deg, c->aim.fov_deg, c->aim.range_m);
}

/* The units' positions into the snapshot (a copy: Paho's thread writes the table). */
static void refresh_units(struct bf_eng_dispatch *d)
{
    struct dispatch_units *u = d->units;
    if (!u)
        return;
    pthread_mutex_lock(&u->mu);
    size_t n = u->n;
    memcpy(u->snap, u->v, n * sizeof *u->v);
    pthread_mutex_unlock(&u->mu);
    d->view.n_units = n;
}

void bf_eng_dispatch_step(struct bf_engine *e)
{
    if (e->dispatch_seam)
        refresh_units(e->dispatch_seam);
}

/* A delivered alert, after the guaranteed path: CoT, the cuer, the assignments. */
void bf_eng_dispatch_delivered(struct bf_engine *e, const struct bf_alert *a)
{
    bf_eng_cot_alert(e, a);   /* best effort (docs/cot.md) */
    struct bf_eng_dispatch *d = e->dispatch_seam;
    if (!d)
        return;
    if (d->cuer) {
        int cam = bf_cuer_on_alert(d->cuer, a);
        assert(cam == a->camera_idx);   /* the enrichment picked what the cuer takes */
        (void)cam;
    }
    if (d->units && bf_enrich_follow(&d->assigned, &d->n_assigned, &d->cap_assigned, a) < 0 &&
        d->assign_nomem++ == 0)
        BF_LOGE("dispatch", "out of memory: unit %s of alert %s may be proposed elsewhere",
                a->assigned_unit, a->id);
    d->view.assigned = d->assigned;
    d->view.n_assigned = d->n_assigned;
}

/* The cuer follows the tracks one scan changed (after their alerts). */
void bf_eng_cue_changes(struct bf_engine *e)
{
    struct bf_eng_dispatch *d = e->dispatch_seam;
    if (!d || !d->cuer)
        return;
    const struct bf_track_change *ch;
    size_t n = bf_tracker_changes(e->tracker, &ch);
    for (size_t i = 0; i < n; i++)
        bf_cuer_on_track(d->cuer, ch[i].track, ch[i].what);
}

/* Is slot s (present or not) a camera the cuer should have? */
static bool is_camera(const struct sensor_slot *s)
{
    return s && s->sc && s->sc->type && strcmp(s->sc->type, "camera") == 0;
}

/* The cuer's view of camera slot s: its pose, its cueing overrides. */
static void cue_camera(const struct bf_engine *e, const struct sensor_slot *s,
                       struct bf_cue_camera *m)
{
    const struct bf_config *c = e->cfg;   /* "cueing" is not reloaded: it is the one at start */
    const struct bf_sensor_cfg *sc = s->sc;
    const struct bf_cue_camera_cfg *o = NULL;
    for (size_t k = 0; k < c->n_cue_cameras; k++)
        if (!strcmp(c->cue_cameras[k].id, sc->id))
            o = &c->cue_cameras[k];
    /* the mount's zero: configured, else the fixed camera's heading option, else north */
    const cJSON *hd = sc->options ? cJSON_GetObjectItemCaseSensitive(sc->options, "heading_deg")
                                  : NULL;
    double zero = o && !isnan(o->zero_deg) ? o->zero_deg
                  : cJSON_IsNumber(hd) && isfinite(hd->valuedouble) ? hd->valuedouble : 0.0;
    double gamma = 0;
    if (bf_geo_convergence(e->frame, sc->lat_deg, sc->lon_deg, &gamma) < 0 || !isfinite(gamma))
        gamma = 0;
    *m = (struct bf_cue_camera){
        .id = s->id, .sensor_idx = s->idx, .e_m = s->scfg.e_m, .n_m = s->scfg.n_m,
        .height_m = sc->height_m, .convergence_rad = gamma, .zero_deg = zero,
        .pan_limited = o && !isnan(o->pan_min_deg) && !isnan(o->pan_max_deg),
        .pan_min_deg = o ? o->pan_min_deg : NAN, .pan_max_deg = o ? o->pan_max_deg : NAN,
        .max_range_m = o && !isnan(o->max_range_m) ? o->max_range_m : c->cueing.max_range_m,
        .fov_min_deg = o && !isnan(o->fov_min_deg) ? o->fov_min_deg : c->cueing.fov_min_deg,
        .fov_max_deg = o && !isnan(o->fov_max_deg) ? o->fov_max_deg : c->cueing.fov_max_deg,
    };
}

/* The cuer over the cameras in cams[0..n) (n may be 0); logged.  0 or BF_E*. */
static int start_cuer(struct bf_engine *e, struct bf_eng_dispatch *d,
                      const struct bf_cue_camera *cams, size_t n)
{
    struct bf_cue_sink sink = {.publish = publish_cue, .ctx = e};
    int rc = bf_cuer_create(&e->cfg->cueing, cams, n, e->frame, &sink, &d->cuer);
    if (rc < 0)
        BF_LOGE(ENGINE_LOG, "cueing: cannot start (%s)", bf_strerror(rc));
    else
        BF_LOGI(ENGINE_LOG, "cueing: %zu camera%s on borderfuse/%s/cameras/<id>/cue", n,
                n == 1 ? "" : "s", e->cfg->site);
    return rc;
}

/* The cameras (sensors of type "camera") with their cueing overrides; the cuer, when any. */
static int open_cueing(struct bf_engine *e, struct bf_eng_dispatch *d)
{
    if (!e->cfg->cueing.enabled)
        return 0;
    size_t ns = bf_eng_sensor_count(e), n = 0;
    struct bf_cue_camera *cams = calloc(ns ? ns : 1, sizeof *cams);
    if (!cams)
        return BF_ENOMEM;
    for (size_t i = 0; i < ns; i++)
        if (is_camera(bf_eng_sensor(e, i)))
            cue_camera(e, bf_eng_sensor(e, i), &cams[n++]);
    int rc = n > 0 ? start_cuer(e, d, cams, n) : 0;
    free(cams);
    return rc;
}

/* The enrichment reads the snapshot (after the alerter), once there is a cuer or units. */
static void enrich_on(struct bf_engine *e, struct bf_eng_dispatch *d)
{
    d->view.params = d->units ? &e->cfg->dispatch : NULL;
    d->view.frame = e->frame;
    d->view.units = d->units ? d->units->snap : NULL;
    d->view.cands = d->units ? d->units->cands : NULL;
    d->view.cuer = d->cuer;
    bf_alerter_set_enrich(e->alerter, bf_enrich_alert, &d->view);
}

/* Append to a reload's change line. */
static void add_word(char *line, size_t len, char sign, const char *id, bool *first)
{
    size_t n = strlen(line);
    if (n + 4 >= len)
        return;
    snprintf(line + n, len - n, "%s%c%s", *first ? (n ? ", cameras " : "cameras ") : " ", sign,
             id);
    *first = false;
}

void bf_eng_dispatch_sensors(struct bf_engine *e, char *line, size_t len)
{
    struct bf_eng_dispatch *d = e->dispatch_seam;
    if (!d || !e->cfg->cueing.enabled)
        return;
    bool first = true;
    for (uint32_t i = 0; i < BF_MAX_SENSORS; i++) {
        const struct sensor_slot *s = bf_eng_sensor(e, i);
        const struct bf_cue_camera *had = bf_cuer_camera(d->cuer, i);
        bool cam = is_camera(s);
        if (had && (!cam || strcmp(had->id, s->id) != 0)) {   /* removed, or its index reused */
            add_word(line, len, '-', had->id, &first);
            BF_LOGI("cue", "camera %s (index %u) leaves cueing", had->id, i);
            bf_cuer_remove_camera(d->cuer, i);   /* its target released, asks again */
            had = NULL;
        }
        if (!cam)
            continue;
        struct bf_cue_camera m;
        cue_camera(e, s, &m);
        if (had && bf_cue_camera_same(had, &m))
            continue;   /* unchanged */
        if (!d->cuer) {   /* the first camera: the cuer starts, the enrichment reads it */
            if (start_cuer(e, d, NULL, 0) < 0)
                return;
            enrich_on(e, d);
        }
        int rc = bf_cuer_set_camera(d->cuer, &m);
        if (rc < 0) {
            BF_LOGE("cue", "camera %s cannot be cued (%s)", s->id, bf_strerror(rc));
            continue;
        }
        add_word(line, len, had ? '~' : '+', s->id, &first);
    }
}

/* Our response units, copied into the snapshot under the table's lock. */
size_t bf_eng_dispatch_units(struct bf_engine *e, const struct bf_dispatch_unit **u)
{
    struct bf_eng_dispatch *d = e->dispatch_seam;
    *u = NULL;
    if (!d || !d->units)
        return 0;
    refresh_units(d);
    *u = d->units->snap;
    return d->view.n_units;
}

/* The units table and its subscription (live only). */
static int open_dispatch(struct bf_engine *e, struct bf_eng_dispatch *d)
{
    const struct bf_config *c = e->cfg;
    if (!c->dispatch.enabled || !e->mqtt_in)
        return 0;
    struct dispatch_units *u = calloc(1, sizeof *u);
    if (!u)
        return BF_ENOMEM;
    pthread_mutex_init(&u->mu, NULL);
    u->cap = c->dispatch.max_units;
    u->v = calloc(u->cap, sizeof *u->v);
    u->snap = calloc(u->cap, sizeof *u->snap);
    u->cands = calloc(u->cap, sizeof *u->cands);
    d->units = u;
    if (!u->v || !u->snap || !u->cands)
        return BF_ENOMEM;
    char filter[200];
    snprintf(filter, sizeof filter, "borderfuse/%s/units/+", c->site);
    return bf_mqtt_subscribe(e->mqtt_in, filter, 0, on_unit_msg, u);
}

int bf_eng_dispatch_create(struct bf_engine *e)
{
    struct bf_eng_dispatch *d = calloc(1, sizeof *d);
    if (!d)
        return BF_ENOMEM;
    e->dispatch_seam = d;
    int rc = open_cueing(e, d);
    if (rc == 0)
        rc = open_dispatch(e, d);
    if (rc < 0 || (!d->cuer && !d->units))
        return rc;
    enrich_on(e, d);
    return 0;
}

/* After the ingest connection is gone (no callback runs any more). */
void bf_eng_dispatch_destroy(struct bf_engine *e)
{
    struct bf_eng_dispatch *d = e->dispatch_seam;
    if (!d)
        return;
    bf_cuer_destroy(d->cuer);
    if (d->units) {
        pthread_mutex_destroy(&d->units->mu);
        free(d->units->v);
        free(d->units->snap);
        free(d->units->cands);
        free(d->units);
    }
    free(d->assigned);
    free(d);
    e->dispatch_seam = NULL;
}

/* Status: {"cueing": {...}, "dispatch": {...}}. */
void bf_eng_status_cue_dispatch(struct bf_engine *e, cJSON *root)
{
    struct bf_eng_dispatch *d = e->dispatch_seam;
    if (!d)
        return;
    if (d->cuer) {
        struct bf_cuer_stats cs;
        bf_cuer_get_stats(d->cuer, &cs);
        cJSON *o = cJSON_AddObjectToObject(root, "cueing");
        cJSON_AddNumberToObject(o, "cameras_busy", cs.busy);
        cJSON_AddNumberToObject(o, "cues", (double)cs.cues);
        cJSON_AddNumberToObject(o, "releases", (double)cs.releases);
        cJSON_AddNumberToObject(o, "held", (double)cs.held);
        cJSON_AddNumberToObject(o, "preempted", (double)cs.preempted);
        cJSON_AddNumberToObject(o, "uncovered", (double)cs.uncovered);
    }
    if (d->units) {
        struct dispatch_units *u = d->units;
        cJSON *o = cJSON_AddObjectToObject(root, "dispatch");
        pthread_mutex_lock(&u->mu);
        cJSON_AddNumberToObject(o, "units", (double)u->n);
        cJSON_AddNumberToObject(o, "messages", (double)u->messages);
        cJSON_AddNumberToObject(o, "malformed", (double)u->malformed);
        cJSON_AddNumberToObject(o, "removed", (double)u->removed);
        cJSON_AddNumberToObject(o, "ignored_full", (double)u->full);
        pthread_mutex_unlock(&u->mu);
    }
}
