/*
 * engine_sensors.c - the engine's sensor side: everything between a sensor
 * plugin and the ingest queue.
 *
 * Plugins run on their own I/O threads (Paho's, a UDP reader, GStreamer's,
 * gpsd's) and call the host (struct bf_sensor_host): emit pushes a decoded
 * detection into the bounded ingest queue without ever blocking (a full queue
 * sheds and counts), fault/good/health keep the per-sensor counters the status
 * shows, position feeds the fixes of moving platforms.  The engine thread then
 * places a mobile sensor's detections where its platform was at their event
 * time, and watches each sensor for silence (SENSOR_FAULT on event time, and
 * on the wall clock when live).  Plugins are built in or loaded from a shared
 * object, with their ABI version checked (docs/plugins.md).
 *
 * It is also where hostile input is contained (docs/engine.md): emit sheds a
 * detection over its sensor's ingest budget (a token bucket on the sensor's
 * own event time) before it reaches the queue; the engine thread refuses a
 * detection from the future (bf_eng_future_refused(): ahead of its receipt
 * time, or of the other sensors' quorum, by more than max_future_skew_s) and
 * gives its sensor a clock fault (SENSOR_FAULT "clock: ..."); the tracker's
 * initiation gate (bf_eng_clutter_at()) feeds and reads the clutter map and
 * keeps each sensor's initiation budget; shedding and a full track pool are
 * raised as SYSTEM alerts.
 */
#include <dlfcn.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"

#define PLATFORM_EXTRAPOLATE_US (5 * BF_US_PER_S)   /* dead reckoning past the newest fix */
#define PLATFORM_EARLY_US BF_US_PER_S               /* tolerated before the oldest fix */

/* ---- the host side of the plugin ABI (called on I/O threads) ------------- */

/* n is 1, 4, 16, 64, ...: how often a counted refusal is logged (named, never flooding the log). */
static bool log_due(uint64_t n)
{
    return n > 0 && (n & (n - 1)) == 0 && (__builtin_ctzll(n) & 1) == 0;
}

/* Log the n-th detection of s shed (at log_due() counts). */
static void log_shed(struct bf_engine *e, struct sensor_slot *s, uint64_t n, bool budget)
{
    if (!log_due(n))
        return;
    if (budget)
        BF_LOGW(ENGINE_LOG, "sensor %s: over its ingest budget of %.0f detections/s of event "
                "time: %llu detections shed so far (counted as shed in its status)", s->scfg.id,
                s->rate_hz, (unsigned long long)n);
    else
        BF_LOGW(ENGINE_LOG, "sensor %s: its share of the ingest queue (%u detections, %zu "
                "sensors) is full: %llu detections shed so far (counted as shed in its status)",
                s->scfg.id, e->cfg->engine.queue_capacity, e->cfg->n_sensors,
                (unsigned long long)n);
}

/* The ingest budget: a token bucket refilled by the sensor's own event time. */
static bool take_token(struct sensor_slot *s, bf_time_us t)
{
    if (!(s->rate_hz > 0))
        return true;
    pthread_mutex_lock(&s->bucket_mu);
    if (s->bucket_t == BF_TIME_NONE) {
        s->tokens = s->burst;
        s->bucket_t = t;
    } else if (t > s->bucket_t) {
        s->tokens = fmin(s->burst, s->tokens + s->rate_hz * bf_time_to_s(t - s->bucket_t));
        s->bucket_t = t;
    }
    bool ok = s->tokens >= 1.0;
    if (ok)
        s->tokens -= 1.0;
    pthread_mutex_unlock(&s->bucket_mu);
    return ok;
}

static int host_emit(void *ctx, const struct bf_detection *d)
{
    struct bf_engine *e = ctx;
    if (d->sensor_idx >= e->cfg->n_sensors)
        return BF_EINVAL;
    struct sensor_slot *s = &e->sensors[d->sensor_idx];
    bool bookkept = d->kind != BF_MEAS_SCAN && d->kind != BF_MEAS_HEARTBEAT;
    /* scan markers and heartbeats cost nothing: a sensor over budget still counts misses */
    bool budget = bookkept && !take_token(s, d->t_us);
    if (budget || bf_ingest_queue_push(e->queue, d) < 0) {
        uint64_t n = atomic_fetch_add(&s->shed, 1) + 1;
        atomic_fetch_add(&e->shed, 1);
        if (budget)
            atomic_fetch_add(&s->shed_budget, 1);
        log_shed(e, s, n, budget);
        return BF_EFULL;
    }
    if (bookkept) {   /* bookkeeping only */
        atomic_fetch_add(&s->detections, 1);
        atomic_fetch_add(&e->received, 1);
    }
    return 0;
}

static void host_fault(void *ctx, uint32_t index, enum bf_sensor_fault_kind kind, const char *detail)
{
    struct bf_engine *e = ctx;
    if (index >= e->cfg->n_sensors || (unsigned)kind >= BF_FAULT_KIND_COUNT)
        return;
    struct sensor_slot *s = &e->sensors[index];
    atomic_fetch_add(&s->faults[kind], 1);
    uint64_t bit = UINT64_C(1) << kind;
    if (!(atomic_fetch_or(&s->logged_kinds, bit) & bit))
        BF_LOGW("sensor", "%s: refused a message (%s): %s; further %s faults from this "
                "sensor are counted in its status, not logged", s->scfg.id,
                bf_sensor_fault_name(kind), detail ? detail : "", bf_sensor_fault_name(kind));
}

static int host_subscribe(void *ctx, const char *filter, bf_sensor_msg_fn fn, void *state)
{
    struct bf_engine *e = ctx;
    if (!e->mqtt_in)
        return BF_ESTATE;
    return bf_mqtt_subscribe(e->mqtt_in, filter, 0, fn, state);
}

static void host_good(void *ctx, uint32_t index, bf_time_us t_us)
{
    struct bf_engine *e = ctx;
    if (index >= e->cfg->n_sensors)
        return;
    struct sensor_slot *s = &e->sensors[index];
    atomic_fetch_add(&s->messages, 1);
    if (t_us != BF_TIME_NONE)
        atomic_store(&s->last_data_us, t_us);
    atomic_store(&s->last_rx_us, bf_clock_realtime(NULL));
}

static int host_publish(void *ctx, const char *topic, const void *payload, size_t len, int qos,
                        int retain)
{
    struct bf_engine *e = ctx;
    if (!e->mqtt_out)
        return BF_ESTATE;
    return bf_mqtt_publish(e->mqtt_out, topic, payload, len, qos, retain != 0);
}

static void host_health(void *ctx, uint32_t index, const char *key, double value)
{
    struct bf_engine *e = ctx;
    if (index >= e->cfg->n_sensors || !key || !key[0])
        return;
    struct sensor_slot *s = &e->sensors[index];
    pthread_mutex_lock(&e->health_mu);
    size_t i = 0;
    while (i < s->n_health && strcmp(s->health[i].key, key) != 0)
        i++;
    if (i == s->n_health && i < MAX_HEALTH) {
        snprintf(s->health[i].key, sizeof s->health[i].key, "%s", key);
        s->n_health++;
    }
    if (i < MAX_HEALTH)
        s->health[i].value = value;
    pthread_mutex_unlock(&e->health_mu);
}

static void host_position(void *ctx, const struct bf_position_fix *fix)
{
    struct bf_engine *e = ctx;
    if (!fix || !fix->id || fix->t_us == BF_TIME_NONE || !isfinite(fix->lat_deg) ||
        !isfinite(fix->lon_deg) || fix->mode < 2)
        return;
    for (size_t k = 0; k < e->n_platforms; k++) {
        struct platform *p = &e->platforms[k];
        if (strcmp(p->id, fix->id) != 0)
            continue;
        pthread_mutex_lock(&p->mu);
        /* fixes come in time order: one at the same time replaces the last (gpsd
         * may report an epoch twice, 2D then 3D); an older one (a log played
         * again, a receiver reset) starts over */
        bf_time_us last = p->n > 0 ? p->fix[(p->head + p->n - 1) % PLATFORM_FIXES].t_us
                                   : BF_TIME_NONE;
        if (p->n > 0 && fix->t_us < last)
            p->n = 0;
        size_t at;
        if (p->n > 0 && fix->t_us == last) {
            at = (p->head + p->n - 1) % PLATFORM_FIXES;
        } else {
            at = (p->head + p->n) % PLATFORM_FIXES;
            if (p->n == PLATFORM_FIXES)
                p->head = (p->head + 1) % PLATFORM_FIXES;
            else
                p->n++;
        }
        p->fix[at] = *fix;
        p->fix[at].id = NULL;
        p->fixes++;
        pthread_mutex_unlock(&p->mu);
        return;
    }
}

void bf_eng_host_init(struct bf_engine *e)
{
    e->host = (struct bf_sensor_host){
        .abi_version = BF_SENSOR_ABI, .ctx = e, .emit = host_emit, .fault = host_fault,
        .subscribe = host_subscribe, .good = host_good, .publish = host_publish,
        .health = host_health, .position = host_position,
    };
}

/* ---- sensor silence (SENSOR_FAULT) -------------------------------------- */

/* SENSOR_FAULT follows "silent or clock fault": raise or resolve it when that changes. */
static void sync_fault(struct bf_engine *e, size_t i, bf_time_us t, const char *why)
{
    struct sensor_slot *s = &e->sensors[i];
    bool want = s->faulty || s->clock_fault;
    if (s->alerted == want)
        return;
    s->alerted = want;
    const struct bf_sensor_cfg *sc = &e->cfg->sensors[i];
    bf_alerter_sensor_fault(e->alerter, (uint32_t)i, want, t, sc->lat_deg, sc->lon_deg, why);
    bf_eng_publish_sensor_status(e, i);
}

/* Raise or clear the silence fault of sensor i at event time t. */
static void set_fault(struct bf_engine *e, size_t i, bool faulty, bf_time_us t, const char *why)
{
    struct sensor_slot *s = &e->sensors[i];
    if (s->faulty == faulty)
        return;
    s->faulty = faulty;
    const struct bf_sensor_cfg *sc = &e->cfg->sensors[i];
    if (faulty)
        BF_LOGW("sensor", "%s: %s; SENSOR_FAULT raised", sc->id, why);
    else
        BF_LOGI("sensor", "%s: heard again; SENSOR_FAULT resolved%s", sc->id,
                s->clock_fault ? " once its clock is good again" : "");
    sync_fault(e, i, t, why);
}

/* A sensor's input was released at event time t: it is alive. */
void bf_eng_sensor_alive(struct bf_engine *e, uint32_t i, bf_time_us t)
{
    struct sensor_slot *s = &e->sensors[i];
    if (s->alive_evt == BF_TIME_NONE || t > s->alive_evt)
        s->alive_evt = t;
    if (s->faulty)
        set_fault(e, i, false, t, NULL);
}

/* Event-time rule: silent for heartbeat_timeout_s of event time at now.  The fault is
 * dated when the timeout elapsed (the last word plus the timeout), not at the event that
 * noticed it: another sensor's scans in between must not move it (docs/engine.md). */
void bf_eng_check_silence(struct bf_engine *e, bf_time_us now)
{
    for (size_t i = 0; i < e->cfg->n_sensors; i++) {
        double to = e->cfg->sensors[i].heartbeat_timeout_s;
        struct sensor_slot *s = &e->sensors[i];
        if (!(to > 0) || s->faulty)
            continue;
        bf_time_us since = s->alive_evt != BF_TIME_NONE ? s->alive_evt : e->first_evt;
        if (since == BF_TIME_NONE || now - since <= bf_time_from_s(to))
            continue;
        char why[128];
        snprintf(why, sizeof why, "no message within its timeout (%.0f s of event time)", to);
        set_fault(e, i, true, since + bf_time_from_s(to), why);
    }
}

/* Live only: silent for heartbeat_timeout_s of wall-clock time (nothing else
 * may be moving event time).  The fault is dated at the last word plus the
 * timeout, in event time. */
void bf_eng_check_silence_wall(struct bf_engine *e, bf_time_us now_mono)
{
    bf_time_us released = bf_reorder_released(e->reorder);
    for (size_t i = 0; i < e->cfg->n_sensors; i++) {
        double to = e->cfg->sensors[i].heartbeat_timeout_s;
        struct sensor_slot *s = &e->sensors[i];
        if (!(to > 0) || s->faulty || now_mono - s->alive_wall <= bf_time_from_s(to))
            continue;
        bf_time_us since = s->alive_evt != BF_TIME_NONE ? s->alive_evt : e->first_evt;
        bf_time_us t = since != BF_TIME_NONE ? since + bf_time_from_s(to) : released;
        if (t == BF_TIME_NONE)
            t = bf_clock_realtime(NULL);   /* nothing ever arrived: today's clock */
        if (released != BF_TIME_NONE && released > t)
            t = released;
        char why[128];
        snprintf(why, sizeof why, "nothing received for %.0f s (timeout %.0f s)",
                 bf_time_to_s(now_mono - s->alive_wall), to);
        set_fault(e, i, true, t, why);
    }
}

/* ---- moving platforms ----------------------------------------------------- */

/*
 * Put a mobile sensor's detection where the sensor was at its event time:
 * between two fixes linearly, past the newest by dead reckoning (speed and
 * course) for up to PLATFORM_EXTRAPOLATE_US.  Returns false when no fix is
 * close enough (the detection must not be placed with a stale position).
 */
bool bf_eng_place_on_platform(struct bf_engine *e, struct bf_detection *d, struct platform *p)
{
    struct bf_position_fix a, b;
    bool have_b = false;
    pthread_mutex_lock(&p->mu);
    size_t n = p->n;
    if (n == 0) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    size_t k = 0;   /* first fix at or after d->t_us */
    while (k < n && p->fix[(p->head + k) % PLATFORM_FIXES].t_us < d->t_us)
        k++;
    if (k == 0) {
        a = p->fix[p->head];
        if (a.t_us - d->t_us > PLATFORM_EARLY_US) {
            pthread_mutex_unlock(&p->mu);
            return false;
        }
    } else if (k == n) {
        a = p->fix[(p->head + n - 1) % PLATFORM_FIXES];
    } else {
        a = p->fix[(p->head + k - 1) % PLATFORM_FIXES];
        b = p->fix[(p->head + k) % PLATFORM_FIXES];
        have_b = true;
    }
    pthread_mutex_unlock(&p->mu);
    double ae, an;
    if (bf_geo_to_local(e->frame, a.lat_deg, a.lon_deg, &ae, &an) < 0)
        return false;
    if (have_b) {
        double be, bn;
        if (bf_geo_to_local(e->frame, b.lat_deg, b.lon_deg, &be, &bn) < 0)
            return false;
        double w = (double)(d->t_us - a.t_us) / (double)(b.t_us - a.t_us);
        d->sensor_e_m = ae + w * (be - ae);
        d->sensor_n_m = an + w * (bn - an);
        return true;
    }
    bf_time_us ahead = d->t_us - a.t_us;
    if (ahead > PLATFORM_EXTRAPOLATE_US)
        return false;
    d->sensor_e_m = ae;
    d->sensor_n_m = an;
    if (ahead > 0 && isfinite(a.speed_mps) && isfinite(a.track_deg)) {
        /* course is true; near the origin the grid convergence is negligible for 5 s */
        double s = a.speed_mps * bf_time_to_s(ahead), c = a.track_deg * M_PI / 180.0;
        d->sensor_e_m += s * sin(c);
        d->sensor_n_m += s * cos(c);
    }
    return true;
}

int bf_engine_feed(struct bf_engine *e, const struct bf_detection *d)
{
    return host_emit(e, d);
}

int bf_engine_position(struct bf_engine *e, const struct bf_position_fix *fix)
{
    if (!e || !fix || !fix->id || fix->t_us == BF_TIME_NONE || fix->mode < 2)
        return BF_EINVAL;
    host_position(e, fix);
    return 0;
}

/*
 * The ops of sensor i: a built-in by "type", or a third-party shared object
 * ("plugin") exporting BF_SENSOR_PLUGIN_SYMBOL, whose name must be "type".
 * Either way an ABI outside [BF_SENSOR_ABI_MIN, BF_SENSOR_ABI] is refused.
 * Messages go to err; *dl gets the handle to dlclose (NULL for a built-in).
 */
int bf_eng_find_plugin(const struct bf_sensor_cfg *sc, const struct bf_sensor_ops **ops,
                       void **dl, char *err, size_t len)
{
    *ops = NULL;
    *dl = NULL;
    if (sc->plugin_path) {
        void *h = dlopen(sc->plugin_path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(err, len, "cannot load plugin %s: %s", sc->plugin_path, dlerror());
            return BF_ENOTFOUND;
        }
        const struct bf_sensor_ops *o = dlsym(h, BF_SENSOR_PLUGIN_SYMBOL);
        if (!o) {
            snprintf(err, len, "%s exports no \"%s\": a sensor plugin defines "
                     "`const struct bf_sensor_ops %s` (see sensors/skeleton.c)", sc->plugin_path,
                     BF_SENSOR_PLUGIN_SYMBOL, BF_SENSOR_PLUGIN_SYMBOL);
            dlclose(h);
            return BF_ENOTFOUND;
        }
        *ops = o;
        *dl = h;
    } else {
        *ops = bf_sensor_builtin(sc->type);
        if (!*ops) {
            char names[256] = "";
            for (const char *const *n = bf_sensor_builtin_names(); *n; n++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s\"%s\"",
                         names[0] ? ", " : "", *n);
            snprintf(err, len, "unknown sensor type \"%s\": built-in types are %s (or name a "
                     "shared object with \"plugin\")", sc->type, names);
            return BF_ENOTFOUND;
        }
    }
    int rc = 0;
    if ((*ops)->abi_version < BF_SENSOR_ABI_MIN || (*ops)->abi_version > BF_SENSOR_ABI) {
        snprintf(err, len, "plugin \"%s\" was built for sensor ABI %" PRIu32 "; this engine "
                 "loads ABI %d to %d: rebuild the plugin against this sensors/sensor.h",
                 (*ops)->name ? (*ops)->name : "?", (*ops)->abi_version, BF_SENSOR_ABI_MIN,
                 BF_SENSOR_ABI);
        rc = BF_EVERSION;
    } else if (!(*ops)->name || !(*ops)->open || !(*ops)->close) {
        snprintf(err, len, "plugin has no name, open or close");
        rc = BF_EINVAL;
    } else if (sc->plugin_path && strcmp((*ops)->name, sc->type) != 0) {
        snprintf(err, len, "plugin %s is \"%s\", not \"%s\": set \"type\": \"%s\"",
                 sc->plugin_path, (*ops)->name, sc->type, (*ops)->name);
        rc = BF_EINVAL;
    }
    if (rc < 0) {
        if (*dl)
            dlclose(*dl);
        *dl = NULL;
        *ops = NULL;
    }
    return rc;
}

int bf_eng_open_sensors(struct bf_engine *e)
{
    const struct bf_config *c = e->cfg;
    for (size_t i = 0; i < c->n_sensors; i++) {
        struct sensor_slot *s = &e->sensors[i];
        const struct bf_sensor_cfg *sc = &c->sensors[i];
        char err[512];
        int rc = bf_eng_find_plugin(sc, &s->ops, &s->dl, err, sizeof err);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "sensor %s: %s", sc->id, err);
            return rc;
        }
        if (s->dl)
            BF_LOGI(ENGINE_LOG, "sensor %s: plugin \"%s\" (ABI %" PRIu32 ") loaded from %s",
                    sc->id, s->ops->name, s->ops->abi_version, sc->plugin_path);
        if (e->opt.no_mqtt)
            continue;
        s->state = calloc(1, s->ops->state_size ? s->ops->state_size : 1);
        if (!s->state)
            return BF_ENOMEM;
        rc = s->ops->open(s->state, &s->scfg, &e->host);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "sensor %s: plugin \"%s\" failed to open (%s)", sc->id, sc->type,
                    bf_strerror(rc));
            return rc;
        }
        s->open = true;
    }
    return 0;
}

/* One platform per distinct "platform" id among the sensors. */
int bf_eng_make_platforms(struct bf_engine *e)
{
    const struct bf_config *c = e->cfg;
    e->platforms = calloc(c->n_sensors ? c->n_sensors : 1, sizeof *e->platforms);
    if (!e->platforms)
        return BF_ENOMEM;
    for (size_t i = 0; i < c->n_sensors; i++) {
        e->sensors[i].platform = -1;
        const char *id = c->sensors[i].platform;
        if (!id)
            continue;
        size_t k = 0;
        while (k < e->n_platforms && strcmp(e->platforms[k].id, id) != 0)
            k++;
        if (k == e->n_platforms) {
            snprintf(e->platforms[k].id, sizeof e->platforms[k].id, "%s", id);
            pthread_mutex_init(&e->platforms[k].mu, NULL);
            e->n_platforms++;
        }
        e->sensors[i].platform = (int)k;
    }
    return 0;
}

/* ---- time you can trust ---------------------------------------------------- */

#define CLOCK_GOOD_US (10 * BF_US_PER_S)   /* a clock fault clears this long after the last refusal */

/* The event time SENSOR_FAULT and SYSTEM alerts are dated at: the site's, else ref. */
static bf_time_us alert_time(const struct bf_engine *e, bf_time_us ref)
{
    bf_time_us t = bf_reorder_released(e->reorder);
    if (t == BF_TIME_NONE)
        t = bf_reorder_site_time(e->reorder);
    return t != BF_TIME_NONE ? t : ref;
}

bool bf_eng_future_refused(struct bf_engine *e, const struct bf_detection *d)
{
    double skew_s = e->cfg->engine.max_future_skew_s;
    if (!(skew_s > 0) || d->sensor_idx >= e->cfg->n_sensors)
        return false;
    struct sensor_slot *s = &e->sensors[d->sensor_idx];
    bf_time_us ref = d->rx_us != 0 ? d->rx_us
                                   : e->clock.now ? bf_clock_now(&e->clock) : BF_TIME_NONE;
    bool by_others = false;
    bf_time_us q = bf_reorder_quorum_others(e->reorder, d->sensor_idx);
    if (q != BF_TIME_NONE && (ref == BF_TIME_NONE || q > ref)) {
        ref = q;   /* a simulation or replay running ahead of the wall clock: the others lead */
        by_others = true;
    }
    if (ref == BF_TIME_NONE)
        return false;
    bf_time_us ahead = d->t_us - ref;
    if (ahead <= bf_time_from_s(skew_s)) {
        if (s->clock_fault && ref - s->clock_bad_ref >= CLOCK_GOOD_US) {
            s->clock_fault = false;
            BF_LOGI("sensor", "%s: event times within %.0f s of the reference clock again; "
                    "clock fault cleared", s->scfg.id, skew_s);
            sync_fault(e, d->sensor_idx, alert_time(e, ref), NULL);
        }
        return false;
    }
    s->future++;
    e->future++;
    s->clock_bad_ref = ref;
    char why[160];
    snprintf(why, sizeof why, "clock: event time %.0f s ahead of the %s", bf_time_to_s(ahead),
             by_others ? "other sensors" : "wall clock");
    if (log_due(s->future))
        BF_LOGW("sensor", "%s: %s (allowed skew %.0f s, engine.max_future_skew_s): detection "
                "refused, %llu so far", s->scfg.id, why, skew_s, (unsigned long long)s->future);
    if (!s->clock_fault) {
        s->clock_fault = true;
        BF_LOGW("sensor", "%s: clock fault: its detections ahead of the reference clock are "
                "refused; SENSOR_FAULT raised", s->scfg.id);
        sync_fault(e, d->sensor_idx, alert_time(e, ref), why);
    }
    return true;
}

/* ---- fairness under flood ----------------------------------------------------- */

/* Detections per second of event time a sensor of this type may feed by default. */
static double default_rate_hz(const char *type)
{
    if (!strcmp(type, "ugs"))
        return 50.0;      /* ground sensors: a few events a second at most */
    if (!strcmp(type, "camera"))
        return 200.0;     /* motion blobs at the frame rate */
    return 2000.0;        /* radars (asterix, json) and anything else */
}

int bf_eng_open_budgets(struct bf_engine *e, struct bf_tracker_sensor *ts)
{
    const struct bf_config *c = e->cfg;
    const struct bf_engine_params *ep = &c->engine;
    for (size_t i = 0; i < c->n_sensors; i++) {
        struct sensor_slot *s = &e->sensors[i];
        pthread_mutex_init(&s->bucket_mu, NULL);
        s->rate_hz = c->sensors[i].max_detections_per_s > 0 ? c->sensors[i].max_detections_per_s
                                                             : default_rate_hz(c->sensors[i].type);
        s->burst = fmax(2.0 * s->rate_hz, 64.0);
        s->bucket_t = BF_TIME_NONE;
        s->new_t = BF_TIME_NONE;
        s->new_tokens = 2.0 * ep->new_tracks_per_s;
    }
    e->budgets_open = true;
    /* Live only: a replay or a test feeds one chunk at a time from one thread, and must
     * not lose a detection to a share (the replay's chunk is the whole queue). */
    if (c->n_sensors > 0 && !e->opt.no_mqtt) {
        int rc = bf_ingest_queue_set_share(e->queue, c->n_sensors);
        if (rc < 0)
            return rc;
    }
    if (ep->clutter_factor > 0) {
        struct bf_clutter_sensor *cs = calloc(c->n_sensors ? c->n_sensors : 1, sizeof *cs);
        if (!cs)
            return BF_ENOMEM;
        for (size_t i = 0; i < c->n_sensors; i++)
            cs[i] = (struct bf_clutter_sensor){.e_m = ts[i].e_m, .n_m = ts[i].n_m,
                                               .range_m = ts[i].range_m};
        int rc = bf_clutter_create(cs, c->n_sensors, ep->clutter_cell_m, ep->clutter_memory_s,
                                   &e->clutter);
        free(cs);
        if (rc < 0)
            return rc;
        /* a site configured without clutter (0) still needs a scale: the default's */
        double base = c->tracker.clutter_density > 0 ? c->tracker.clutter_density : 1e-6;
        e->clutter_max = ep->clutter_factor * base;
    } else {
        e->clutter_max = DBL_MAX;
    }
    if (e->clutter || ep->new_tracks_per_s > 0) {
        for (size_t i = 0; i < c->n_sensors; i++) {
            ts[i].clutter_at = bf_eng_clutter_at;
            ts[i].clutter_ctx = e;
            ts[i].clutter_init_max = e->clutter_max;
        }
    }
    return 0;
}

double bf_eng_clutter_at(const void *ctx, uint32_t i, double e_m, double n_m)
{
    struct bf_engine *e = (struct bf_engine *)(uintptr_t)ctx;   /* the engine lent itself */
    if (i >= e->cfg->n_sensors)
        return INFINITY;
    struct sensor_slot *s = &e->sensors[i];
    bf_time_us t = e->scan_t;
    double dens = 0.0;
    if (e->clutter) {
        dens = bf_clutter_density(e->clutter, i, t, e_m, n_m);
        bf_clutter_add(e->clutter, i, t, e_m, n_m);   /* no track took it: the map's input */
        if (dens > e->clutter_max) {
            s->clutter_refused++;
            return dens;
        }
    }
    double rate = e->cfg->engine.new_tracks_per_s;
    if (rate > 0) {
        if (s->new_t != BF_TIME_NONE && t > s->new_t)
            s->new_tokens = fmin(2.0 * rate, s->new_tokens + rate * bf_time_to_s(t - s->new_t));
        if (s->new_t == BF_TIME_NONE || t > s->new_t)
            s->new_t = t;
        if (s->new_tokens < 1.0) {
            if (log_due(++s->budget_refused))
                BF_LOGW(ENGINE_LOG, "sensor %s: more new tracks than its budget of %.0f per "
                        "second (engine.new_tracks_per_s): %llu detections started none so far",
                        s->scfg.id, rate, (unsigned long long)s->budget_refused);
            return INFINITY;
        }
        s->new_tokens -= 1.0;
    }
    return dens;
}

#define INGEST_CALM_US (30 * BF_US_PER_S)   /* the INGEST alert resolves after this long without shedding */
#define POOL_ROOM 0.9                       /* the TRACK_POOL alert resolves below this fill */

void bf_eng_check_ingest(struct bf_engine *e, bf_time_us now_wall)
{
    uint64_t shed = atomic_load(&e->shed);
    if (shed > e->shed_seen) {
        uint64_t grew = shed - e->shed_seen;
        e->shed_seen = shed;
        e->shed_wall = now_wall;
        if (!e->ingest_alert) {
            /* name the sensor that sheds most */
            size_t worst = 0;
            for (size_t i = 1; i < e->cfg->n_sensors; i++)
                if (atomic_load(&e->sensors[i].shed) > atomic_load(&e->sensors[worst].shed))
                    worst = i;
            char why[200];
            snprintf(why, sizeof why, "ingest overload: %llu detections shed, most from sensor %s",
                     (unsigned long long)grew,
                     e->cfg->n_sensors ? e->sensors[worst].scfg.id : "?");
            BF_LOGW(ENGINE_LOG, "%s; SYSTEM alert raised", why);
            e->ingest_alert = true;
            bf_alerter_system_fault(e->alerter, BF_SYSTEM_INGEST, true,
                                    alert_time(e, now_wall != BF_TIME_NONE ? now_wall : 0), why);
        }
        return;
    }
    /* without any clock (tests, replay) a turn without shedding is calm enough */
    if (e->ingest_alert && (now_wall == BF_TIME_NONE || now_wall - e->shed_wall > INGEST_CALM_US)) {
        e->ingest_alert = false;
        BF_LOGI(ENGINE_LOG, "ingest: no detection shed lately; SYSTEM alert resolved");
        bf_alerter_system_fault(e->alerter, BF_SYSTEM_INGEST, false, alert_time(e, 0),
                                "no detection shed lately");
    }
}

void bf_eng_check_pool(struct bf_engine *e)
{
    struct bf_tracker_stats ts;
    bf_tracker_get_stats(e->tracker, &ts);
    uint32_t cap = e->cfg->tracker.max_tracks;
    if (ts.pool_full > e->pool_full_seen) {
        e->pool_full_seen = ts.pool_full;
        if (log_due(++e->pool_logged))
            BF_LOGW(ENGINE_LOG, "track pool full (%u tracks, tracker.max_tracks): detections "
                    "start no track (%llu so far; status tracks.pool_full)", cap,
                    (unsigned long long)ts.pool_full);
        if (!e->pool_alert) {
            char why[160];
            snprintf(why, sizeof why, "track pool full: %u live tracks, new targets cannot start "
                     "a track", ts.live);
            e->pool_alert = true;
            bf_alerter_system_fault(e->alerter, BF_SYSTEM_TRACK_POOL, true, e->scan_t, why);
        }
    } else if (e->pool_alert && ts.live < (uint32_t)(POOL_ROOM * cap)) {
        e->pool_alert = false;
        BF_LOGI(ENGINE_LOG, "track pool has room again (%u of %u); SYSTEM alert resolved",
                ts.live, cap);
        bf_alerter_system_fault(e->alerter, BF_SYSTEM_TRACK_POOL, false, e->scan_t,
                                "the track pool has room again");
    }
}

void bf_eng_status_sensor_ingest(struct bf_engine *e, size_t i, cJSON *o)
{
    struct sensor_slot *s = &e->sensors[i];
    cJSON_AddNumberToObject(o, "shed_budget", (double)atomic_load(&s->shed_budget));
    cJSON_AddNumberToObject(o, "max_detections_per_s", s->rate_hz);
    cJSON_AddBoolToObject(o, "clock_fault", s->clock_fault);
    cJSON_AddNumberToObject(o, "future", (double)s->future);
    cJSON_AddNumberToObject(o, "clutter_refused", (double)s->clutter_refused);
    cJSON_AddNumberToObject(o, "budget_refused", (double)s->budget_refused);
}

void bf_eng_status_ingest(struct bf_engine *e, cJSON *root)
{
    cJSON *o = cJSON_AddObjectToObject(root, "ingest");
    bf_time_us site = bf_reorder_site_time(e->reorder);
    char ts[BF_TIME_ISO_LEN];
    if (site != BF_TIME_NONE && bf_time_format_iso(site, ts, sizeof ts) == 0)
        cJSON_AddStringToObject(o, "site_time", ts);
    else
        cJSON_AddNullToObject(o, "site_time");
    cJSON_AddNumberToObject(o, "future", (double)e->future);
    cJSON_AddBoolToObject(o, "shedding", e->ingest_alert);
    cJSON_AddBoolToObject(o, "pool_full", e->pool_alert);
    cJSON_AddNumberToObject(o, "memory_trims", (double)e->trims);
}
