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
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "fusion/engine_int.h"

#define PLATFORM_EXTRAPOLATE_US (5 * BF_US_PER_S)   /* dead reckoning past the newest fix */
#define PLATFORM_EARLY_US BF_US_PER_S               /* tolerated before the oldest fix */

/* ---- the host side of the plugin ABI (called on I/O threads) ------------- */

static int host_emit(void *ctx, const struct bf_detection *d)
{
    struct bf_engine *e = ctx;
    if (d->sensor_idx >= e->cfg->n_sensors)
        return BF_EINVAL;
    struct sensor_slot *s = &e->sensors[d->sensor_idx];
    if (bf_ingest_queue_push(e->queue, d) < 0) {
        atomic_fetch_add(&s->shed, 1);
        atomic_fetch_add(&e->shed, 1);
        uint64_t bit = UINT64_C(1) << BF_FAULT_QUEUE_FULL;
        if (!(atomic_fetch_or(&s->logged_kinds, bit) & bit))
            BF_LOGW(ENGINE_LOG, "ingest queue full (%u detections): shedding detections of %s; "
                    "losses are counted in status (raise engine.queue_capacity if this persists)",
                    e->cfg->engine.queue_capacity, s->scfg.id);
        return BF_EFULL;
    }
    if (d->kind != BF_MEAS_SCAN && d->kind != BF_MEAS_HEARTBEAT) {   /* bookkeeping only */
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

void engine_host_init(struct bf_engine *e)
{
    e->host = (struct bf_sensor_host){
        .abi_version = BF_SENSOR_ABI, .ctx = e, .emit = host_emit, .fault = host_fault,
        .subscribe = host_subscribe, .good = host_good, .publish = host_publish,
        .health = host_health, .position = host_position,
    };
}

/* ---- sensor silence (SENSOR_FAULT) -------------------------------------- */

/* Raise or clear SENSOR_FAULT for sensor i at event time t. */
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
        BF_LOGI("sensor", "%s: heard again; SENSOR_FAULT resolved", sc->id);
    bf_alerter_sensor_fault(e->alerter, (uint32_t)i, faulty, t, sc->lat_deg, sc->lon_deg, why);
    engine_publish_sensor_status(e, i);
}

/* A sensor's input was released at event time t: it is alive. */
void engine_sensor_alive(struct bf_engine *e, uint32_t i, bf_time_us t)
{
    struct sensor_slot *s = &e->sensors[i];
    if (s->alive_evt == BF_TIME_NONE || t > s->alive_evt)
        s->alive_evt = t;
    if (s->faulty)
        set_fault(e, i, false, t, NULL);
}

/* Event-time rule: silent for heartbeat_timeout_s of event time at now. */
void engine_check_silence(struct bf_engine *e, bf_time_us now)
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
        snprintf(why, sizeof why, "no message for %.0f s of event time (timeout %.0f s)",
                 bf_time_to_s(now - since), to);
        set_fault(e, i, true, now, why);
    }
}

/* Live only: silent for heartbeat_timeout_s of wall-clock time (nothing else
 * may be moving event time).  The fault is dated at the last word plus the
 * timeout, in event time. */
void engine_check_silence_wall(struct bf_engine *e, bf_time_us now_mono)
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
bool engine_place_on_platform(struct bf_engine *e, struct bf_detection *d, struct platform *p)
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
int engine_find_plugin(const struct bf_sensor_cfg *sc, const struct bf_sensor_ops **ops,
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

int engine_open_sensors(struct bf_engine *e)
{
    const struct bf_config *c = e->cfg;
    for (size_t i = 0; i < c->n_sensors; i++) {
        struct sensor_slot *s = &e->sensors[i];
        const struct bf_sensor_cfg *sc = &c->sensors[i];
        char err[512];
        int rc = engine_find_plugin(sc, &s->ops, &s->dl, err, sizeof err);
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
int engine_make_platforms(struct bf_engine *e)
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
