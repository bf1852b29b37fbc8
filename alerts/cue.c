/*
 * cue.c - camera cueing: the geometry of pointing a pan-tilt-zoom camera at
 * a ground point, and the cuer that decides which camera serves which
 * target (docs/cueing.md).
 *
 * The problem: an operator who gets an alert wants to see the target, and
 * studies of deployed sensor fences found cameras were not turned toward
 * tripped sensors.  So every confirmed track and every alert asks for a
 * camera; there are fewer cameras than targets, a camera that slews back and
 * forth between two targets shows neither, and a controller flooded with
 * commands lags.  Hence:
 *
 *  - a camera serves one target at a time and keeps it until the target ends
 *    (track deleted, alert closed), leaves its coverage (max range, pan
 *    limits), or a target of higher priority needs it and no free camera
 *    covers that one (preemption; the lowest priority, then the nearest
 *    camera is taken);
 *  - a new target takes the nearest free camera that covers it;
 *  - a camera's updates are sent at most every min_interval_s of event time
 *    and only when pan or tilt moved more than min_move_deg or the zoom
 *    changed by more than 10 %; a new target and a release always go out.
 *
 * Geometry (flat ground, local grid frame): d = target - camera; the grid
 * bearing atan2(d_e, d_n) minus the grid convergence at the camera is the
 * true bearing; pan = true bearing - mount zero wrapped to (-180, 180];
 * tilt = -atan(height / range); field of view 2 atan(width / (2 range))
 * clamped to the lens, zoom = tan(fov_max / 2) / tan(fov / 2).
 *
 * Invariants of struct bf_cuer (bf_cuer_check()):
 *  (1) a busy camera serves a track (track_id != 0) or a trackless alert
 *      (alert_id != ""), and no two busy cameras serve the same target;
 *  (2) notes[0..n_notes) is sorted by track id, strictly ascending;
 *  (3) n_notes <= cap_notes.
 */
#include "alerts/cue.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts_int.h"
#include "core/bf_error.h"

#define DEG (180.0 / M_PI)
#define ZOOM_CHANGE 0.10   /* relative zoom change that warrants an update */

void bf_cue_params_default(struct bf_cue_params *p)
{
    *p = (struct bf_cue_params){
        .enabled = true,
        .max_range_m = 3000,
        .target_width_m = 20,
        .fov_min_deg = 2,
        .fov_max_deg = 60,
        .min_interval_s = 1,
        .min_move_deg = 0.5,
    };
}

static double wrap360(double d)
{
    d = fmod(d, 360.0);
    if (d < 0)
        d += 360.0;
    return d >= 360.0 ? 0.0 : d;
}

static double wrap180(double d)
{
    d = wrap360(d);
    return d > 180.0 ? d - 360.0 : d;
}

void bf_cue_aim(const struct bf_cue_camera *cam, double e_m, double n_m, double target_width_m,
                struct bf_cue_aim *out)
{
    double de = e_m - cam->e_m, dn = n_m - cam->n_m;
    double r = hypot(de, dn);
    double grid = atan2(de, dn);
    out->range_m = r;
    out->bearing_deg = wrap360((grid - cam->convergence_rad) * DEG);
    out->pan_deg = wrap180(out->bearing_deg - cam->zero_deg);
    out->tilt_deg = cam->height_m > 0 ? -atan2(cam->height_m, r) * DEG : 0.0;
    double fov = r > 0 ? 2.0 * atan(target_width_m / (2.0 * r)) * DEG : cam->fov_max_deg;
    out->fov_deg = fmin(fmax(fov, cam->fov_min_deg), cam->fov_max_deg);
    out->zoom = tan(cam->fov_max_deg / 2 / DEG) / tan(out->fov_deg / 2 / DEG);
}

bool bf_cue_covers(const struct bf_cue_camera *cam, const struct bf_cue_aim *aim)
{
    if (!(aim->range_m <= cam->max_range_m))
        return false;
    return !cam->pan_limited || (aim->pan_deg >= cam->pan_min_deg && aim->pan_deg <= cam->pan_max_deg);
}

/* ---- JSON (on the bounded text writer, struct bf_tw) ----------------------- */

/* A finite number with decimals, or null. */
static void put_num(struct bf_tw *w, const char *key, double v, int decimals)
{
    if (isfinite(v))
        bf_tw_printf(w, ",\"%s\":%.*f", key, decimals, v);
    else
        bf_tw_printf(w, ",\"%s\":null", key);
}

int bf_cue_cmd_to_json(const struct bf_cue_cmd *c, char *buf, size_t len)
{
    if (!c || !c->cam || !buf || len == 0)
        return BF_EINVAL;
    char when[BF_TIME_ISO_LEN] = "";
    if (c->t_us == BF_TIME_NONE || bf_time_format_iso(c->t_us, when, sizeof when) < 0)
        when[0] = '\0';
    struct bf_tw w = {.buf = buf, .len = len};
    buf[0] = '\0';
    bf_tw_printf(&w, "{\"camera\":\"%s\",\"action\":\"%s\",\"track_id\":", c->cam->id,
                 c->release ? "release" : "cue");
    if (c->track_id)
        bf_tw_printf(&w, "%" PRIu32, c->track_id);
    else
        bf_tw_lit(&w, "null");
    if (c->alert_id && c->alert_id[0])
        bf_tw_printf(&w, ",\"alert_id\":\"%s\"", c->alert_id);
    else
        bf_tw_lit(&w, ",\"alert_id\":null");
    bf_tw_printf(&w, ",\"priority\":%d,\"severity\":", c->priority);
    if (c->severity)
        bf_tw_printf(&w, "\"%s\"", bf_severity_name(c->severity));
    else
        bf_tw_lit(&w, "null");
    if (when[0])
        bf_tw_printf(&w, ",\"time\":\"%s\"", when);
    else
        bf_tw_lit(&w, ",\"time\":null");
    if (isfinite(c->lat_deg) && isfinite(c->lon_deg))
        bf_tw_printf(&w, ",\"target\":{\"lat\":%.7f,\"lon\":%.7f}", c->lat_deg, c->lon_deg);
    else
        bf_tw_lit(&w, ",\"target\":{\"lat\":null,\"lon\":null}");
    put_num(&w, "range_m", c->aim.range_m, 1);
    put_num(&w, "bearing_deg", c->aim.bearing_deg, 3);
    put_num(&w, "pan_deg", c->aim.pan_deg, 3);
    put_num(&w, "tilt_deg", c->aim.tilt_deg, 3);
    put_num(&w, "fov_deg", c->aim.fov_deg, 3);
    put_num(&w, "zoom", c->aim.zoom, 2);
    if (c->release && c->reason)
        bf_tw_printf(&w, ",\"reason\":\"%s\"}", c->reason);
    else
        bf_tw_lit(&w, ",\"reason\":null}");
    if (w.overflow) {
        buf[0] = '\0';
        return BF_ERANGE;
    }
    return (int)w.pos;
}

/* ---- the cuer ----------------------------------------------------------------- */

struct cam_state {
    struct bf_cue_camera cam;          /* cam.id points at id below */
    char id[BF_CUE_ID_LEN];
    bool busy;
    uint32_t track_id;                 /* the target: a track, or ... */
    char alert_id[BF_ALERT_ID_LEN];    /* ... with track_id 0 a trackless alert */
    int priority;
    enum bf_severity severity;
    bf_time_us t_us;                   /* the target's latest position */
    double lat_deg, lon_deg;
    struct bf_cue_aim aim;
    bool sent;                         /* something went out for this target */
    bf_time_us sent_us;
    struct bf_cue_aim sent_aim;
};

/* What the alerts say about a track: its highest-priority live alert. */
struct note {
    uint32_t track_id;
    int priority;
    enum bf_severity severity;
    char alert_id[BF_ALERT_ID_LEN];
};

struct bf_cuer {
    struct bf_cue_params p;
    struct bf_geo_frame *frame;   /* borrowed */
    struct bf_cue_sink sink;
    struct cam_state *cams;
    size_t n_cams, cap_cams;
    struct note *notes;
    size_t n_notes, cap_notes;
    struct bf_cuer_stats st;
};

/* Debug check of the invariants; false if broken. */
static bool bf_cuer_check(const struct bf_cuer *c)
{
    bool ok = c->n_notes <= c->cap_notes;                                          /* (3) */
    for (size_t i = 1; ok && i < c->n_notes; i++)
        ok = c->notes[i - 1].track_id < c->notes[i].track_id;                     /* (2) */
    for (size_t i = 0; ok && i < c->n_cams; i++) {
        const struct cam_state *a = &c->cams[i];
        if (!a->busy)
            continue;
        ok = a->track_id != 0 || a->alert_id[0] != '\0';                          /* (1) */
        for (size_t j = i + 1; ok && j < c->n_cams; j++) {
            const struct cam_state *b = &c->cams[j];
            ok = !b->busy || (a->track_id ? a->track_id != b->track_id
                                          : (b->track_id || strcmp(a->alert_id, b->alert_id)));
        }
    }
    assert(ok);
    return ok;
}

static size_t note_lower(const struct bf_cuer *c, uint32_t id)
{
    _Static_assert(offsetof(struct note, track_id) == 0, "track_id is the sort key (bf_key_u32)");
    return bf_sorted_lower(c->notes, c->n_notes, sizeof *c->notes, id, bf_key_u32);
}

static struct note *note_find(const struct bf_cuer *c, uint32_t id)
{
    size_t i = note_lower(c, id);
    return i < c->n_notes && c->notes[i].track_id == id ? &c->notes[i] : NULL;
}

/* The note of id, made if absent; NULL when memory runs out. */
static struct note *note_get(struct bf_cuer *c, uint32_t id)
{
    size_t i = note_lower(c, id);
    if (i < c->n_notes && c->notes[i].track_id == id)
        return &c->notes[i];
    struct note *nv = bf_sorted_open(c->notes, &c->n_notes, &c->cap_notes, sizeof *nv, i, 64);
    if (!nv)
        return NULL;
    c->notes = nv;
    c->notes[i] = (struct note){.track_id = id, .priority = BF_CUE_PRIO_TRACK};
    return &c->notes[i];
}

static void note_remove(struct bf_cuer *c, uint32_t id)
{
    size_t i = note_lower(c, id);
    if (i < c->n_notes && c->notes[i].track_id == id)
        bf_sorted_close(c->notes, &c->n_notes, sizeof *c->notes, i, 1);
}

static int cam_of_track(const struct bf_cuer *c, uint32_t track_id)
{
    for (size_t k = 0; k < c->n_cams; k++)
        if (c->cams[k].busy && c->cams[k].track_id == track_id)
            return (int)k;
    return -1;
}

static int cam_of_alert(const struct bf_cuer *c, const char *alert_id)
{
    for (size_t k = 0; k < c->n_cams; k++)
        if (c->cams[k].busy && c->cams[k].track_id == 0 && !strcmp(c->cams[k].alert_id, alert_id))
            return (int)k;
    return -1;
}

static void emit(struct bf_cuer *c, struct cam_state *s, bool release, const char *reason)
{
    struct bf_cue_cmd cmd = {
        .cam = &s->cam, .release = release, .track_id = s->track_id, .alert_id = s->alert_id,
        .priority = s->priority, .severity = s->severity, .t_us = s->t_us,
        .lat_deg = s->lat_deg, .lon_deg = s->lon_deg, .aim = s->aim, .reason = reason,
    };
    if (release)
        c->st.releases++;
    else
        c->st.cues++;
    s->sent = true;
    s->sent_us = s->t_us;
    s->sent_aim = s->aim;
    if (c->sink.publish)
        c->sink.publish(c->sink.ctx, &cmd);
}

/* Send s's aim if it is new, or if enough time passed and it moved enough. */
static void maybe_send(struct bf_cuer *c, struct cam_state *s)
{
    if (s->sent) {
        bool soon = s->t_us - s->sent_us < bf_time_from_s(c->p.min_interval_s);
        double dz = s->sent_aim.zoom > 0 ? fabs(s->aim.zoom / s->sent_aim.zoom - 1.0) : 1.0;
        bool moved = fabs(wrap180(s->aim.pan_deg - s->sent_aim.pan_deg)) > c->p.min_move_deg ||
                     fabs(s->aim.tilt_deg - s->sent_aim.tilt_deg) > c->p.min_move_deg ||
                     dz > ZOOM_CHANGE;
        if (soon || !moved) {
            c->st.held++;
            return;
        }
    }
    emit(c, s, false, NULL);
}

static void release_cam(struct bf_cuer *c, int k, const char *reason)
{
    struct cam_state *s = &c->cams[k];
    emit(c, s, true, reason);
    s->busy = false;
    s->track_id = 0;
    s->alert_id[0] = '\0';
    s->priority = 0;
    s->severity = 0;
    s->sent = false;
}

/* A target asking for a camera. */
struct target {
    uint32_t track_id;
    const char *alert_id;
    int priority;
    enum bf_severity severity;
    bf_time_us t_us;
    double e_m, n_m, lat_deg, lon_deg;
};

/*
 * The camera for t: the nearest free camera that covers it; else the busy
 * one covering it with the lowest priority below t's, the nearest among
 * those.  Camera freed (-1: none) counts as free (it is about to be
 * released).  Returns its index (aim in *aim) or -1.  Reads c only.
 */
static int choose(const struct bf_cuer *c, const struct target *t, int freed,
                  struct bf_cue_aim *aim)
{
    int best_free = -1, best_busy = -1;
    struct bf_cue_aim af = {0}, ab = {0};
    for (size_t k = 0; k < c->n_cams; k++) {
        const struct cam_state *s = &c->cams[k];
        struct bf_cue_aim a;
        bf_cue_aim(&s->cam, t->e_m, t->n_m, c->p.target_width_m, &a);
        if (!bf_cue_covers(&s->cam, &a))
            continue;
        if (!s->busy || (int)k == freed) {
            if (best_free < 0 || a.range_m < af.range_m) {
                best_free = (int)k;
                af = a;
            }
        } else if (s->priority < t->priority) {
            int bp = best_busy >= 0 ? c->cams[best_busy].priority : 0;
            if (best_busy < 0 || s->priority < bp || (s->priority == bp && a.range_m < ab.range_m)) {
                best_busy = (int)k;
                ab = a;
            }
        }
    }
    if (best_free >= 0) {
        *aim = af;
        return best_free;
    }
    *aim = ab;
    return best_busy;
}

/* Give t a camera if one may take it; returns its index or -1. */
static int assign(struct bf_cuer *c, const struct target *t)
{
    struct bf_cue_aim aim;
    int k = choose(c, t, -1, &aim);
    if (k < 0) {
        c->st.uncovered++;
        return -1;
    }
    struct cam_state *s = &c->cams[k];
    if (s->busy)
        c->st.preempted++;   /* the new cue replaces the old target's; no release */
    s->busy = true;
    s->track_id = t->track_id;
    snprintf(s->alert_id, sizeof s->alert_id, "%s", t->alert_id ? t->alert_id : "");
    s->priority = t->priority;
    s->severity = t->severity;
    s->t_us = t->t_us;
    s->lat_deg = t->lat_deg;
    s->lon_deg = t->lon_deg;
    s->aim = aim;
    s->sent = false;
    maybe_send(c, s);
    return k;
}

/* Follow: camera k's target is now at t; keep it if covered, else release and look again. */
static int follow(struct bf_cuer *c, int k, const struct target *t)
{
    struct cam_state *s = &c->cams[k];
    struct bf_cue_aim aim;
    bf_cue_aim(&s->cam, t->e_m, t->n_m, c->p.target_width_m, &aim);
    s->t_us = t->t_us;
    s->lat_deg = t->lat_deg;
    s->lon_deg = t->lon_deg;
    s->priority = t->priority;
    s->severity = t->severity;
    snprintf(s->alert_id, sizeof s->alert_id, "%s", t->alert_id ? t->alert_id : "");
    if (bf_cue_covers(&s->cam, &aim)) {
        s->aim = aim;
        maybe_send(c, s);
        return k;
    }
    release_cam(c, k, "out of coverage");
    return assign(c, t);
}

void bf_cuer_on_track(struct bf_cuer *c, const struct bf_track *trk, uint32_t what)
{
    if (!c || !trk)
        return;
    if ((what & BF_CHANGE_DELETED) || trk->status == BF_TRACK_DELETED) {
        int k = cam_of_track(c, trk->id);
        if (k >= 0) {
            c->cams[k].t_us = trk->t_us;
            release_cam(c, k, "track ended");
        }
        note_remove(c, trk->id);
        return;
    }
    if (!(what & (BF_CHANGE_UPDATED | BF_CHANGE_NEW | BF_CHANGE_CONFIRMED)) ||
        (trk->status != BF_TRACK_CONFIRMED && trk->status != BF_TRACK_COASTING) ||
        (trk->flags & BF_DET_F_TEST) || !isfinite(trk->x[0]) || !isfinite(trk->x[1]))
        return;
    const struct note *nt = note_find(c, trk->id);
    struct target t = {
        .track_id = trk->id, .alert_id = nt ? nt->alert_id : "",
        .priority = nt ? nt->priority : BF_CUE_PRIO_TRACK, .severity = nt ? nt->severity : 0,
        .t_us = trk->t_us, .e_m = trk->x[0], .n_m = trk->x[1],
    };
    if (bf_geo_to_wgs84(c->frame, t.e_m, t.n_m, &t.lat_deg, &t.lon_deg) < 0)
        t.lat_deg = t.lon_deg = NAN;
    int k = cam_of_track(c, trk->id);
    if (k >= 0)
        follow(c, k, &t);
    else
        assign(c, &t);
    bf_cuer_check(c);
}

int bf_cuer_on_alert(struct bf_cuer *c, const struct bf_alert *a)
{
    if (!c || !a || a->type == BF_ALERT_SENSOR_FAULT || a->type == BF_ALERT_SYSTEM)
        return -1;
    /* a LOST alert releases its camera: there is no track to look at (reacquired, it cues again) */
    bool closed = a->state == BF_ALERT_RESOLVED || a->state == BF_ALERT_FALSE_ALARM ||
                  a->state == BF_ALERT_LOST;
    int prio = BF_CUE_PRIO_TRACK + (int)a->severity;
    int k;
    if (a->track_id != 0) {
        struct note *nt = closed ? note_find(c, a->track_id) : note_get(c, a->track_id);
        if (closed) {
            if (nt && !strcmp(nt->alert_id, a->id)) {
                nt->priority = BF_CUE_PRIO_TRACK;
                nt->severity = 0;
                nt->alert_id[0] = '\0';
                k = cam_of_track(c, a->track_id);
                if (k >= 0) {
                    c->cams[k].priority = BF_CUE_PRIO_TRACK;
                    c->cams[k].severity = 0;
                    c->cams[k].alert_id[0] = '\0';
                }
            }
            return -1;
        }
        if (nt && (!strcmp(nt->alert_id, a->id) || prio >= nt->priority)) {
            nt->priority = prio;
            nt->severity = a->severity;
            snprintf(nt->alert_id, sizeof nt->alert_id, "%s", a->id);
        }
        k = cam_of_track(c, a->track_id);
        if (k >= 0) {
            if (nt) {
                c->cams[k].priority = nt->priority;
                c->cams[k].severity = nt->severity;
                snprintf(c->cams[k].alert_id, sizeof c->cams[k].alert_id, "%s", nt->alert_id);
            }
            return (int)c->cams[k].cam.sensor_idx;
        }
    } else {
        k = cam_of_alert(c, a->id);
        if (closed) {
            if (k >= 0) {
                c->cams[k].t_us = a->last_us;
                release_cam(c, k, "alert closed");
            }
            return -1;
        }
    }
    struct target t = {
        .track_id = a->track_id, .alert_id = a->id, .priority = prio, .severity = a->severity,
        .t_us = a->last_us, .lat_deg = a->lat_deg, .lon_deg = a->lon_deg,
    };
    const struct note *best = a->track_id ? note_find(c, a->track_id) : NULL;
    if (best && best->alert_id[0]) {   /* the track's highest alert speaks for it */
        t.alert_id = best->alert_id;
        t.priority = best->priority;
        t.severity = best->severity;
    }
    if (!isfinite(a->lat_deg) || !isfinite(a->lon_deg) ||
        bf_geo_to_local(c->frame, a->lat_deg, a->lon_deg, &t.e_m, &t.n_m) < 0)
        return k >= 0 ? (int)c->cams[k].cam.sensor_idx : -1;
    if (k >= 0)
        k = follow(c, k, &t);
    else
        k = assign(c, &t);
    bf_cuer_check(c);
    return k >= 0 ? (int)c->cams[k].cam.sensor_idx : -1;
}

/*
 * What bf_cuer_on_alert(c, a) will return, from c as it stands, changing
 * nothing: the same steps (the track's note as the alert leaves it, the
 * camera its target has, follow or choose) without their effects.
 */
int bf_cuer_pick(const struct bf_cuer *c, const struct bf_alert *a)
{
    if (!c || !a || a->type == BF_ALERT_SENSOR_FAULT || a->type == BF_ALERT_SYSTEM)
        return -1;
    if (a->state == BF_ALERT_RESOLVED || a->state == BF_ALERT_FALSE_ALARM ||
        a->state == BF_ALERT_LOST)
        return -1;
    int prio = BF_CUE_PRIO_TRACK + (int)a->severity;
    struct target t = {
        .track_id = a->track_id, .alert_id = a->id, .priority = prio, .severity = a->severity,
        .t_us = a->last_us, .lat_deg = a->lat_deg, .lon_deg = a->lon_deg,
    };
    int k;
    if (a->track_id != 0) {
        k = cam_of_track(c, a->track_id);
        if (k >= 0)
            return (int)c->cams[k].cam.sensor_idx;
        /* the track's note after the alert: it takes the alert unless a higher one holds it */
        const struct note *nt = note_find(c, a->track_id);
        if (nt && strcmp(nt->alert_id, a->id) != 0 && prio < nt->priority) {
            if (nt->alert_id[0]) {
                t.alert_id = nt->alert_id;
                t.priority = nt->priority;
                t.severity = nt->severity;
            }
        }
    } else {
        k = cam_of_alert(c, a->id);
    }
    if (!isfinite(a->lat_deg) || !isfinite(a->lon_deg) ||
        bf_geo_to_local(c->frame, a->lat_deg, a->lon_deg, &t.e_m, &t.n_m) < 0)
        return k >= 0 ? (int)c->cams[k].cam.sensor_idx : -1;
    struct bf_cue_aim aim;
    if (k >= 0) {   /* follow: kept while it covers the target, else released and chosen again */
        bf_cue_aim(&c->cams[k].cam, t.e_m, t.n_m, c->p.target_width_m, &aim);
        if (bf_cue_covers(&c->cams[k].cam, &aim))
            return (int)c->cams[k].cam.sensor_idx;
    }
    int j = choose(c, &t, k, &aim);
    return j >= 0 ? (int)c->cams[j].cam.sensor_idx : -1;
}

int bf_cuer_camera_of(const struct bf_cuer *c, uint32_t track_id)
{
    if (!c || track_id == 0)
        return -1;
    int k = cam_of_track(c, track_id);
    return k >= 0 ? (int)c->cams[k].cam.sensor_idx : -1;
}

void bf_cuer_get_stats(const struct bf_cuer *c, struct bf_cuer_stats *out)
{
    *out = c->st;
    out->busy = 0;
    for (size_t k = 0; k < c->n_cams; k++)
        out->busy += c->cams[k].busy;
}

/* s takes cam's settings; the id copied (its target, if any, stays). */
static void put_camera(struct cam_state *s, const struct bf_cue_camera *cam)
{
    s->cam = *cam;
    snprintf(s->id, sizeof s->id, "%s", cam->id);
    s->cam.id = s->id;
}

static bool camera_ok(const struct bf_cue_camera *m)
{
    return m->id && m->id[0] && strlen(m->id) < BF_CUE_ID_LEN && isfinite(m->e_m) && isfinite(m->n_m) && m->height_m >= 0 &&
           isfinite(m->convergence_rad) && isfinite(m->zero_deg) && m->max_range_m > 0 &&
           m->fov_min_deg > 0 && m->fov_min_deg <= m->fov_max_deg && m->fov_max_deg < 180 &&
           (!m->pan_limited || (m->pan_min_deg <= m->pan_max_deg && m->pan_min_deg >= -180 &&
                                m->pan_max_deg <= 180));
}

int bf_cuer_create(const struct bf_cue_params *p, const struct bf_cue_camera *cams, size_t n,
                   struct bf_geo_frame *frame, const struct bf_cue_sink *sink, struct bf_cuer **out)
{
    *out = NULL;
    if (!p || !frame || (n && !cams) || !(p->target_width_m > 0) || !(p->min_interval_s >= 0) ||
        !(p->min_move_deg >= 0))
        return BF_EINVAL;
    for (size_t k = 0; k < n; k++)
        if (!camera_ok(&cams[k]))
            return BF_EINVAL;
    struct bf_cuer *c = calloc(1, sizeof *c);
    if (!c)
        return BF_ENOMEM;
    c->cams = calloc(n ? n : 1, sizeof *c->cams);
    if (!c->cams) {
        free(c);
        return BF_ENOMEM;
    }
    c->p = *p;
    c->frame = frame;
    if (sink)
        c->sink = *sink;
    c->cap_cams = n ? n : 1;
    c->n_cams = n;
    for (size_t k = 0; k < n; k++)
        put_camera(&c->cams[k], &cams[k]);
    *out = c;
    return 0;
}

static int cam_of_sensor(const struct bf_cuer *c, uint32_t sensor_idx)
{
    for (size_t k = 0; k < c->n_cams; k++)
        if (c->cams[k].cam.sensor_idx == sensor_idx)
            return (int)k;
    return -1;
}

/*
 * Camera s's target as a target asking for a camera, its alert id copied into
 * alert_id (a release clears s's); false when its position is not known.
 */
static bool target_of(const struct bf_cuer *c, const struct cam_state *s, struct target *t,
                      char alert_id[BF_ALERT_ID_LEN])
{
    snprintf(alert_id, BF_ALERT_ID_LEN, "%s", s->alert_id);
    *t = (struct target){
        .track_id = s->track_id, .alert_id = alert_id, .priority = s->priority,
        .severity = s->severity, .t_us = s->t_us, .lat_deg = s->lat_deg, .lon_deg = s->lon_deg,
    };
    return isfinite(s->lat_deg) && isfinite(s->lon_deg) &&
           bf_geo_to_local(c->frame, s->lat_deg, s->lon_deg, &t->e_m, &t->n_m) == 0;
}

int bf_cuer_set_camera(struct bf_cuer *c, const struct bf_cue_camera *cam)
{
    if (!c || !cam || !camera_ok(cam))
        return BF_EINVAL;
    int k = cam_of_sensor(c, cam->sensor_idx);
    if (k < 0) {
        if (c->n_cams == c->cap_cams) {
            struct cam_state *v = realloc(c->cams, 2 * c->cap_cams * sizeof *v);
            if (!v)
                return BF_ENOMEM;
            c->cams = v;
            c->cap_cams *= 2;
            for (size_t j = 0; j < c->n_cams; j++)   /* the ids moved with the array */
                c->cams[j].cam.id = c->cams[j].id;
        }
        memset(&c->cams[c->n_cams], 0, sizeof *c->cams);
        put_camera(&c->cams[c->n_cams++], cam);
        return 0;
    }
    struct cam_state *s = &c->cams[k];
    if (bf_cue_camera_same(&s->cam, cam))
        return 0;
    put_camera(s, cam);
    struct target t;
    char alert_id[BF_ALERT_ID_LEN];
    if (!s->busy)
        return 0;
    if (!target_of(c, s, &t, alert_id)) {
        s->sent = false;   /* the next position is sent at once, from the new pose */
        return 0;
    }
    /* aimed anew from where it is now: sent at once, or released when it cannot see it */
    struct bf_cue_aim aim;
    bf_cue_aim(&s->cam, t.e_m, t.n_m, c->p.target_width_m, &aim);
    if (bf_cue_covers(&s->cam, &aim)) {
        s->aim = aim;
        emit(c, s, false, NULL);
    } else {
        release_cam(c, k, "out of coverage");
        assign(c, &t);
    }
    bf_cuer_check(c);
    return 0;
}

int bf_cuer_remove_camera(struct bf_cuer *c, uint32_t sensor_idx)
{
    int k = c ? cam_of_sensor(c, sensor_idx) : -1;
    if (k < 0)
        return BF_ENOTFOUND;
    struct target t = {0};
    char alert_id[BF_ALERT_ID_LEN];
    bool again = c->cams[k].busy && target_of(c, &c->cams[k], &t, alert_id);
    if (c->cams[k].busy)
        release_cam(c, k, "camera removed");   /* its last command */
    memmove(&c->cams[k], &c->cams[k + 1], (c->n_cams - (size_t)k - 1) * sizeof *c->cams);
    c->n_cams--;
    for (size_t j = (size_t)k; j < c->n_cams; j++)   /* the ids moved with their cameras */
        c->cams[j].cam.id = c->cams[j].id;
    if (again)   /* its target asks for another camera at once */
        assign(c, &t);
    bf_cuer_check(c);
    return 0;
}

const struct bf_cue_camera *bf_cuer_camera(const struct bf_cuer *c, uint32_t sensor_idx)
{
    int k = c ? cam_of_sensor(c, sensor_idx) : -1;
    return k >= 0 ? &c->cams[k].cam : NULL;
}

static bool same_num(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

bool bf_cue_camera_same(const struct bf_cue_camera *a, const struct bf_cue_camera *b)
{
    return a->id && b->id && strcmp(a->id, b->id) == 0 && a->sensor_idx == b->sensor_idx &&
           same_num(a->e_m, b->e_m) && same_num(a->n_m, b->n_m) &&
           same_num(a->height_m, b->height_m) && same_num(a->convergence_rad, b->convergence_rad) &&
           same_num(a->zero_deg, b->zero_deg) && a->pan_limited == b->pan_limited &&
           same_num(a->pan_min_deg, b->pan_min_deg) && same_num(a->pan_max_deg, b->pan_max_deg) &&
           same_num(a->max_range_m, b->max_range_m) && same_num(a->fov_min_deg, b->fov_min_deg) &&
           same_num(a->fov_max_deg, b->fov_max_deg);
}

void bf_cuer_destroy(struct bf_cuer *c)
{
    if (!c)
        return;
    free(c->notes);
    free(c->cams);
    free(c);
}
