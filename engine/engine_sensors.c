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
#include "tracker/tracker.h"

#define PLATFORM_EXTRAPOLATE_US (5 * BF_US_PER_S)   /* dead reckoning past the newest fix */
#define PLATFORM_EARLY_US BF_US_PER_S               /* tolerated before the oldest fix */

/*
 * A plugin's MQTT subscription.  Paho's thread calls sub_deliver(), which
 * enters the plugin only while its slot accepts and the subscription's
 * generation is the slot's (see slot_quiesce()).  Kept until the seam is
 * destroyed (after the ingest connection): Paho may hold one a little
 * after bf_mqtt_unsubscribe() returned.
 */
struct sensor_sub {
    struct sensor_slot *slot;
    uint32_t gen;
    bf_sensor_msg_fn fn;
    void *state;
    char *filter;
    bool live;                       /* still subscribed */
    struct sensor_sub *next;         /* the slot's (live), then the seam's (all) */
    struct sensor_sub *all_next;
};

struct bf_eng_sensors {
    struct sensor_slot slot[BF_MAX_SENSORS];   /* never moves: the I/O threads index it */
    const char *ids[BF_MAX_SENSORS + 1];       /* slot[i].id, for the alerter and CoT */
    size_t n;                                  /* one past the highest index used */
    pthread_mutex_t health_mu;
    struct platform platform[BF_MAX_SENSORS];
    _Atomic size_t n_platforms;                /* host_position() reads it on an I/O thread */
    struct bf_clutter_map *clutter;            /* NULL: off */
    double clutter_max;                        /* no track starts above this density */
    struct sensor_sub *subs;                   /* every subscription ever made */
    struct bf_config **kept;                   /* released configurations still borrowed */
    size_t n_kept, kept_cap;
    _Atomic uint64_t unknown;                  /* detections for an index without a sensor */
};

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
                "time: %llu detections shed so far (counted as shed in its status)", s->id,
                s->rate_hz, (unsigned long long)n);
    else
        BF_LOGW(ENGINE_LOG, "sensor %s: its share of the ingest queue (%u detections, %zu "
                "sensors) is full: %llu detections shed so far (counted as shed in its status)",
                s->id, e->cfg->engine.queue_capacity, bf_eng_sensors_present(e),
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

/* The slot of index i when it accepts input (any thread), else NULL. */
static struct sensor_slot *accepting(struct bf_eng_sensors *ss, uint32_t i)
{
    if (i >= BF_MAX_SENSORS || !atomic_load(&ss->slot[i].accepting))
        return NULL;
    return &ss->slot[i];
}

/* A detection in (any thread): refused for an index without a sensor, budget, queue. */
static int emit_in(struct bf_engine *e, const struct bf_detection *d)
{
    struct bf_eng_sensors *ss = e->sens;
    struct sensor_slot *s = accepting(ss, d->sensor_idx);
    if (!s) {
        uint64_t n = atomic_fetch_add(&ss->unknown, 1) + 1;
        if (log_due(n))
            BF_LOGW(ENGINE_LOG, "detection for sensor index %u, which has no sensor (removed, "
                    "or never configured): refused (%llu so far)", d->sensor_idx,
                    (unsigned long long)n);
        return BF_EINVAL;
    }
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

static int host_emit(void *ctx, const struct bf_detection *d)
{
    struct sensor_slot *me = ctx;
    return emit_in(me->e, d);
}

static void host_fault(void *ctx, uint32_t index, enum bf_sensor_fault_kind kind, const char *detail)
{
    struct sensor_slot *me = ctx;
    struct sensor_slot *s = accepting(me->e->sens, index);
    if (!s || (unsigned)kind >= BF_FAULT_KIND_COUNT)
        return;
    atomic_fetch_add(&s->faults[kind], 1);
    uint64_t bit = UINT64_C(1) << kind;
    if (!(atomic_fetch_or(&s->logged_kinds, bit) & bit))
        BF_LOGW("sensor", "%s: refused a message (%s): %s; further %s faults from this "
                "sensor are counted in its status, not logged", s->id,
                bf_sensor_fault_name(kind), detail ? detail : "", bf_sensor_fault_name(kind));
}

/*
 * Paho's thread: a message for a plugin's subscription.  The plugin is
 * entered only while its slot accepts and the subscription belongs to the
 * slot's current generation, counted in in_cb; slot_quiesce() stops
 * accepting and waits for in_cb to reach 0, so once it returns no callback
 * is inside the plugin and none will enter it.
 */
static void sub_deliver(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct sensor_sub *sub = ctx;
    struct sensor_slot *s = sub->slot;
    pthread_mutex_lock(&s->cb_mu);
    bool ok = atomic_load(&s->accepting) && sub->gen == s->gen;
    if (ok)
        s->in_cb++;
    pthread_mutex_unlock(&s->cb_mu);
    if (!ok)
        return;
    sub->fn(sub->state, topic, payload, len);
    pthread_mutex_lock(&s->cb_mu);
    if (--s->in_cb == 0)
        pthread_cond_broadcast(&s->cb_idle);
    pthread_mutex_unlock(&s->cb_mu);
}

/* The engine thread, inside the plugin's open(): subscribe for this slot. */
static int host_subscribe(void *ctx, const char *filter, bf_sensor_msg_fn fn, void *state)
{
    struct sensor_slot *s = ctx;
    struct bf_engine *e = s->e;
    if (!e->mqtt_in)
        return BF_ESTATE;
    struct sensor_sub *sub = calloc(1, sizeof *sub);
    if (!sub || !(sub->filter = strdup(filter))) {
        free(sub);
        return BF_ENOMEM;
    }
    sub->slot = s;
    sub->gen = s->gen;
    sub->fn = fn;
    sub->state = state;
    sub->all_next = e->sens->subs;   /* kept until destroy, whatever happens below */
    e->sens->subs = sub;
    int rc = bf_mqtt_subscribe(e->mqtt_in, filter, 0, sub_deliver, sub);
    if (rc < 0)
        return rc;
    sub->live = true;
    sub->next = s->subs;
    s->subs = sub;
    return 0;
}

static void host_good(void *ctx, uint32_t index, bf_time_us t_us)
{
    struct sensor_slot *me = ctx;
    struct sensor_slot *s = accepting(me->e->sens, index);
    if (!s)
        return;
    atomic_fetch_add(&s->messages, 1);
    if (t_us != BF_TIME_NONE)
        atomic_store(&s->last_data_us, t_us);
    atomic_store(&s->last_rx_us, bf_clock_realtime(NULL));
}

static int host_publish(void *ctx, const char *topic, const void *payload, size_t len, int qos,
                        int retain)
{
    struct sensor_slot *me = ctx;
    if (!me->e->mqtt_out)
        return BF_ESTATE;
    return bf_mqtt_publish(me->e->mqtt_out, topic, payload, len, qos, retain != 0);
}

static void host_health(void *ctx, uint32_t index, const char *key, double value)
{
    struct sensor_slot *me = ctx;
    struct bf_eng_sensors *ss = me->e->sens;
    struct sensor_slot *s = accepting(ss, index);
    if (!s || !key || !key[0])
        return;
    pthread_mutex_lock(&ss->health_mu);
    size_t i = 0;
    while (i < s->n_health && strcmp(s->health[i].key, key) != 0)
        i++;
    if (i == s->n_health && i < MAX_HEALTH) {
        snprintf(s->health[i].key, sizeof s->health[i].key, "%s", key);
        s->n_health++;
    }
    if (i < MAX_HEALTH)
        s->health[i].value = value;
    pthread_mutex_unlock(&ss->health_mu);
}

static void position_in(struct bf_eng_sensors *ss, const struct bf_position_fix *fix)
{
    if (!fix || !fix->id || fix->t_us == BF_TIME_NONE || !isfinite(fix->lat_deg) ||
        !isfinite(fix->lon_deg) || fix->mode < 2)
        return;
    size_t n = atomic_load(&ss->n_platforms);
    for (size_t k = 0; k < n; k++) {
        struct platform *p = &ss->platform[k];
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

static void host_position(void *ctx, const struct bf_position_fix *fix)
{
    struct sensor_slot *me = ctx;
    position_in(me->e->sens, fix);
}

/* ---- sensor silence (SENSOR_FAULT) -------------------------------------- */

/* SENSOR_FAULT follows "silent or clock fault": raise or resolve it when that changes. */
static void sync_fault(struct bf_engine *e, struct sensor_slot *s, bf_time_us t, const char *why)
{
    bool want = s->faulty || s->clock_fault;
    if (s->alerted == want)
        return;
    s->alerted = want;
    bf_alerter_sensor_fault(e->alerter, s->idx, want, t, s->sc->lat_deg, s->sc->lon_deg, why);
    bf_eng_publish_sensor_status(e, s->idx);
}

/* Raise or clear the silence fault of sensor s at event time t. */
static void set_fault(struct bf_engine *e, struct sensor_slot *s, bool faulty, bf_time_us t,
                      const char *why)
{
    if (s->faulty == faulty)
        return;
    s->faulty = faulty;
    if (faulty)
        BF_LOGW("sensor", "%s: %s; SENSOR_FAULT raised", s->id, why);
    else
        BF_LOGI("sensor", "%s: heard again; SENSOR_FAULT resolved%s", s->id,
                s->clock_fault ? " once its clock is good again" : "");
    sync_fault(e, s, t, why);
}

/* A sensor's input was released at event time t: it is alive. */
void bf_eng_sensor_alive(struct bf_engine *e, uint32_t i, bf_time_us t)
{
    struct sensor_slot *s = bf_eng_sensor(e, i);
    if (!s)
        return;
    if (s->alive_evt == BF_TIME_NONE || t > s->alive_evt)
        s->alive_evt = t;
    if (s->faulty)
        set_fault(e, s, false, t, NULL);
}

/* Event-time rule: silent for heartbeat_timeout_s of event time at now.  The fault is
 * dated when the timeout elapsed (the last word plus the timeout), not at the event that
 * noticed it: another sensor's scans in between must not move it (docs/engine.md). */
void bf_eng_check_silence(struct bf_engine *e, bf_time_us now)
{
    for (size_t i = 0; i < e->sens->n; i++) {
        struct sensor_slot *s = bf_eng_sensor(e, i);
        if (!s)
            continue;
        double to = s->sc->heartbeat_timeout_s;
        if (!(to > 0) || s->faulty)
            continue;
        bf_time_us since = s->alive_evt != BF_TIME_NONE ? s->alive_evt : e->first_evt;
        if (since == BF_TIME_NONE || now - since <= bf_time_from_s(to))
            continue;
        char why[128];
        snprintf(why, sizeof why, "no message within its timeout (%.0f s of event time)", to);
        set_fault(e, s, true, since + bf_time_from_s(to), why);
    }
}

/* Live only: silent for heartbeat_timeout_s of wall-clock time (nothing else
 * may be moving event time).  The fault is dated at the last word plus the
 * timeout, in event time. */
void bf_eng_check_silence_wall(struct bf_engine *e, bf_time_us now_mono)
{
    bf_time_us released = bf_reorder_released(e->reorder);
    for (size_t i = 0; i < e->sens->n; i++) {
        struct sensor_slot *s = bf_eng_sensor(e, i);
        if (!s)
            continue;
        double to = s->sc->heartbeat_timeout_s;
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
        set_fault(e, s, true, t, why);
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
    return emit_in(e, d);
}

int bf_engine_position(struct bf_engine *e, const struct bf_position_fix *fix)
{
    if (!e || !fix || !fix->id || fix->t_us == BF_TIME_NONE || fix->mode < 2)
        return BF_EINVAL;
    position_in(e->sens, fix);
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
    struct sensor_slot *s = bf_eng_sensor(e, d->sensor_idx);
    if (!(skew_s > 0) || !s)
        return false;
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
                    "clock fault cleared", s->id, skew_s);
            sync_fault(e, s, alert_time(e, ref), NULL);
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
                "refused, %llu so far", s->id, why, skew_s, (unsigned long long)s->future);
    if (!s->clock_fault) {
        s->clock_fault = true;
        BF_LOGW("sensor", "%s: clock fault: its detections ahead of the reference clock are "
                "refused; SENSOR_FAULT raised", s->id);
        sync_fault(e, s, alert_time(e, ref), why);
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

/* Sensor s's ingest and initiation budgets, from its configuration. */
static void set_budgets(struct bf_engine *e, struct sensor_slot *s)
{
    s->rate_hz = s->sc->max_detections_per_s > 0 ? s->sc->max_detections_per_s
                                                  : default_rate_hz(s->sc->type);
    s->burst = fmax(2.0 * s->rate_hz, 64.0);
    s->bucket_t = BF_TIME_NONE;
    s->new_t = BF_TIME_NONE;
    s->new_tokens = 2.0 * e->cfg->engine.new_tracks_per_s;
}

/* Live only: a replay or a test feeds one chunk at a time from one thread, and must
 * not lose a detection to a share (the replay's chunk is the whole queue). */
static int set_shares(struct bf_engine *e)
{
    size_t n = bf_eng_sensors_present(e);
    if (n == 0 || e->opt.no_mqtt)
        return 0;
    return bf_ingest_queue_set_share(e->queue, n);
}

/* The tracker's initiation gate of one sensor. */
static void set_gate(struct bf_engine *e, struct bf_tracker_sensor *ts)
{
    if (e->sens->clutter || e->cfg->engine.new_tracks_per_s > 0) {
        ts->clutter_at = bf_eng_clutter_at;
        ts->clutter_ctx = e;
        ts->clutter_init_max = e->sens->clutter_max;
    }
}

int bf_eng_open_budgets(struct bf_engine *e, struct bf_tracker_sensor *ts)
{
    const struct bf_config *c = e->cfg;
    const struct bf_engine_params *ep = &c->engine;
    struct bf_eng_sensors *ss = e->sens;
    size_t n = ss->n;
    int rc = set_shares(e);
    if (rc < 0)
        return rc;
    if (ep->clutter_factor > 0) {
        struct bf_clutter_sensor *cs = calloc(n ? n : 1, sizeof *cs);
        if (!cs)
            return BF_ENOMEM;
        for (size_t i = 0; i < n; i++)
            cs[i] = (struct bf_clutter_sensor){.e_m = ts[i].e_m, .n_m = ts[i].n_m,
                                               .range_m = ts[i].range_m};
        rc = bf_clutter_create(cs, n, ep->clutter_cell_m, ep->clutter_memory_s, &ss->clutter);
        free(cs);
        if (rc < 0)
            return rc;
        /* a site configured without clutter (0) still needs a scale: the default's */
        double base = c->tracker.clutter_density > 0 ? c->tracker.clutter_density : 1e-6;
        ss->clutter_max = ep->clutter_factor * base;
    } else {
        ss->clutter_max = DBL_MAX;
    }
    for (size_t i = 0; i < n; i++)
        set_gate(e, &ts[i]);
    return 0;
}

void bf_eng_clutter_scan(struct bf_engine *e, uint32_t i, bf_time_us t)
{
    if (e->sens->clutter)
        bf_clutter_scan(e->sens->clutter, i, t);
}

double bf_eng_clutter_at(const void *ctx, uint32_t i, double e_m, double n_m)
{
    struct bf_engine *e = (struct bf_engine *)(uintptr_t)ctx;   /* the engine lent itself */
    struct sensor_slot *s = bf_eng_sensor(e, i);
    if (!s)
        return INFINITY;
    struct bf_clutter_map *map = e->sens->clutter;
    bf_time_us t = e->scan_t;
    double dens = 0.0;
    if (map) {
        dens = bf_clutter_density(map, i, t, e_m, n_m);
        bf_clutter_add(map, i, t, e_m, n_m);   /* no track took it: the map's input */
        if (dens > e->sens->clutter_max) {
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
                        s->id, rate, (unsigned long long)s->budget_refused);
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
            const struct sensor_slot *worst = NULL;
            for (size_t i = 0; i < e->sens->n; i++) {
                const struct sensor_slot *s = bf_eng_sensor(e, i);
                if (s && (!worst || atomic_load(&s->shed) > atomic_load(&worst->shed)))
                    worst = s;
            }
            char why[200];
            snprintf(why, sizeof why, "ingest overload: %llu detections shed, most from sensor %s",
                     (unsigned long long)grew, worst ? worst->id : "?");
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
    struct sensor_slot *s = bf_eng_sensor(e, i);
    if (!s)
        return;
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

void bf_eng_status_sensor_health(struct bf_engine *e, size_t i, cJSON *o)
{
    struct sensor_slot *s = bf_eng_sensor(e, i);
    if (!s)
        return;
    pthread_mutex_lock(&e->sens->health_mu);
    if (s->n_health > 0) {
        cJSON *h = cJSON_AddObjectToObject(o, "health");
        for (size_t k = 0; k < s->n_health; k++)
            cJSON_AddNumberToObject(h, s->health[k].key, s->health[k].value);
    }
    pthread_mutex_unlock(&e->sens->health_mu);
}

/* ---- the slots ---------------------------------------------------------------- */

size_t bf_eng_sensor_count(const struct bf_engine *e) { return e->sens ? e->sens->n : 0; }

struct sensor_slot *bf_eng_sensor(const struct bf_engine *e, size_t i)
{
    if (!e->sens || i >= e->sens->n || !e->sens->slot[i].present)
        return NULL;
    return &e->sens->slot[i];
}

const char *const *bf_eng_sensor_ids(const struct bf_engine *e) { return e->sens->ids; }

size_t bf_eng_sensors_present(const struct bf_engine *e)
{
    size_t n = 0;
    for (size_t i = 0; e->sens && i < e->sens->n; i++)
        n += e->sens->slot[i].present;
    return n;
}

uint64_t bf_eng_sensors_unknown(const struct bf_engine *e)
{
    return e->sens ? atomic_load(&e->sens->unknown) : 0;
}

/* The platform called id, made when new (never removed: its fixes keep coming). */
static struct platform *platform_of(struct bf_eng_sensors *ss, const char *id)
{
    size_t n = atomic_load(&ss->n_platforms);
    for (size_t k = 0; k < n; k++)
        if (strcmp(ss->platform[k].id, id) == 0)
            return &ss->platform[k];
    if (n == BF_MAX_SENSORS)
        return NULL;   /* cannot happen: one platform per sensor at most */
    struct platform *p = &ss->platform[n];
    snprintf(p->id, sizeof p->id, "%s", id);
    pthread_mutex_init(&p->mu, NULL);
    atomic_store(&ss->n_platforms, n + 1);   /* published once ready */
    return p;
}

/*
 * Give slot s the sensor sc (of configuration from): its position in the
 * frame, the plugin's view of it (scfg), its topic, platform and budgets.
 * The counters are zeroed unless keep (a changed sensor keeps its history).
 * The tracker's view into ts.  0, or BF_EPROJ with the reason in err.
 */
static int slot_fill(struct bf_engine *e, struct sensor_slot *s, const struct bf_sensor_cfg *sc,
                     const struct bf_config *from, struct bf_tracker_sensor *ts, char *err,
                     size_t len)
{
    double se = 0, sn = 0;
    if (bf_geo_to_local(e->frame, sc->lat_deg, sc->lon_deg, &se, &sn) < 0) {
        snprintf(err, len, "sensor %s: position cannot be projected", sc->id);
        return BF_EPROJ;
    }
    snprintf(s->id, sizeof s->id, "%s", sc->id);
    s->sc = sc;
    s->from = from;
    s->scfg = (struct bf_sensor_config){
        .abi_version = BF_SENSOR_ABI, .site = e->cfg->site, .id = s->id, .index = s->idx,
        .lat_deg = sc->lat_deg, .lon_deg = sc->lon_deg, .alt_m = sc->alt_m,
        .height_m = sc->height_m,
        .e_m = se, .n_m = sn, .range_m = sc->range_m, .sigma_m = sc->sigma_m,
        .sigma_range_m = sc->sigma_range_m, .sigma_bearing_deg = sc->sigma_bearing_deg,
        .options = sc->options, .doc = from->doc, .frame = e->frame,
    };
    snprintf(s->topic_status, sizeof s->topic_status, "borderfuse/%s/sensors/%s/status",
             e->cfg->site, sc->id);
    s->plat = sc->platform ? platform_of(e->sens, sc->platform) : NULL;
    set_budgets(e, s);
    *ts = (struct bf_tracker_sensor){.e_m = se, .n_m = sn, .range_m = sc->range_m};
    ts->class_confusion = sc->has_class_confusion ? sc->class_confusion
                                                  : bf_class_confusion_default(sc->type);
    return 0;
}

/* A fresh slot: zeroed counters, not faulty, heard "now" (silence counts from here). */
static void slot_reset(struct bf_engine *e, struct sensor_slot *s)
{
    s->no_platform_fix = 0;
    s->alive_evt = BF_TIME_NONE;
    s->alive_wall = e->opt.no_mqtt ? 0 : bf_clock_monotonic(NULL);
    s->faulty = s->clock_fault = s->alerted = false;
    s->clock_bad_ref = 0;
    s->future = s->budget_refused = s->clutter_refused = s->late = 0;
    atomic_store(&s->shed_budget, 0);
    pthread_mutex_lock(&e->sens->health_mu);
    s->n_health = 0;
    pthread_mutex_unlock(&e->sens->health_mu);
    atomic_store(&s->messages, 0);
    atomic_store(&s->detections, 0);
    atomic_store(&s->shed, 0);
    for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
        atomic_store(&s->faults[k], 0);
    atomic_store(&s->logged_kinds, 0);
    atomic_store(&s->last_data_us, BF_TIME_NONE);
    atomic_store(&s->last_rx_us, 0);
}

/*
 * Load slot s's plugin and, live, open it: from the moment it accepts, its
 * callbacks reach it.  On failure it is closed again (slot_quiesce) and the
 * reason is in err.
 */
static void slot_quiesce(struct bf_engine *e, struct sensor_slot *s);

static int slot_open(struct bf_engine *e, struct sensor_slot *s, char *err, size_t len)
{
    char why[400];
    int rc = bf_eng_find_plugin(s->sc, &s->ops, &s->dl, why, sizeof why);
    if (rc < 0) {
        snprintf(err, len, "sensor %s: %s", s->id, why);
        return rc;
    }
    if (s->dl)
        BF_LOGI(ENGINE_LOG, "sensor %s: plugin \"%s\" (ABI %" PRIu32 ") loaded from %s", s->id,
                s->ops->name, s->ops->abi_version, s->sc->plugin_path);
    if (e->opt.no_mqtt) {   /* tests and replay: fed through bf_engine_feed() */
        atomic_store(&s->accepting, true);
        return 0;
    }
    s->state = calloc(1, s->ops->state_size ? s->ops->state_size : 1);
    if (!s->state) {
        snprintf(err, len, "sensor %s: out of memory", s->id);
        slot_quiesce(e, s);
        return BF_ENOMEM;
    }
    atomic_store(&s->accepting, true);
    rc = s->ops->open(s->state, &s->scfg, &s->host);
    if (rc < 0) {
        snprintf(err, len, "sensor %s: plugin \"%s\" failed to open (%s)", s->id, s->sc->type,
                 bf_strerror(rc));
        slot_quiesce(e, s);
        return rc;
    }
    s->open = true;
    return 0;
}

/*
 * Stop slot s's plugin for good, on the engine thread (docs/engine.md,
 * "Reload"): (1) it stops accepting and its generation moves on, under
 * cb_mu, then we wait until no Paho callback is inside the plugin (in_cb 0):
 * from here none enters it, and the plugin's own threads' calls into the
 * host are refused (counted as unknown sensor); (2) its subscriptions are
 * withdrawn from the client (a delivery already under way is dropped by the
 * generation check); (3) close() stops and joins its I/O threads; (4) its
 * state is freed and a shared object closed: nothing can reach them now.
 */
static void slot_quiesce(struct bf_engine *e, struct sensor_slot *s)
{
    pthread_mutex_lock(&s->cb_mu);
    atomic_store(&s->accepting, false);
    s->gen++;
    while (s->in_cb > 0)
        pthread_cond_wait(&s->cb_idle, &s->cb_mu);
    pthread_mutex_unlock(&s->cb_mu);
    for (struct sensor_sub *sub = s->subs; sub; sub = sub->next) {
        if (e->mqtt_in && sub->live)
            bf_mqtt_unsubscribe(e->mqtt_in, sub->filter, sub_deliver, sub);
        sub->live = false;
    }
    s->subs = NULL;
    if (s->open)
        s->ops->close(s->state);
    s->open = false;
    free(s->state);
    s->state = NULL;
    if (s->dl)
        dlclose(s->dl);
    s->dl = NULL;
    s->ops = NULL;
}

int bf_eng_sensors_create(struct bf_engine *e, struct bf_tracker_sensor *ts)
{
    struct bf_eng_sensors *ss = calloc(1, sizeof *ss);
    if (!ss)
        return BF_ENOMEM;
    e->sens = ss;
    pthread_mutex_init(&ss->health_mu, NULL);
    for (size_t i = 0; i < BF_MAX_SENSORS; i++) {
        struct sensor_slot *s = &ss->slot[i];
        s->e = e;
        s->idx = (uint32_t)i;
        s->host = (struct bf_sensor_host){
            .abi_version = BF_SENSOR_ABI, .ctx = s, .emit = host_emit, .fault = host_fault,
            .subscribe = host_subscribe, .good = host_good, .publish = host_publish,
            .health = host_health, .position = host_position,
        };
        pthread_mutex_init(&s->cb_mu, NULL);
        pthread_cond_init(&s->cb_idle, NULL);
        pthread_mutex_init(&s->bucket_mu, NULL);
        ss->ids[i] = s->id;
    }
    const struct bf_config *c = e->cfg;
    if (c->n_sensors > BF_MAX_SENSORS)
        return BF_EINVAL;   /* the loader refuses more */
    for (size_t i = 0; i < c->n_sensors; i++) {
        struct sensor_slot *s = &ss->slot[i];
        char err[256];
        slot_reset(e, s);
        int rc = slot_fill(e, s, &c->sensors[i], c, &ts[i], err, sizeof err);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "%s", err);
            return rc;
        }
        s->present = true;
        ss->n = i + 1;
    }
    return 0;
}

int bf_eng_open_sensors(struct bf_engine *e)
{
    for (size_t i = 0; i < e->sens->n; i++) {
        struct sensor_slot *s = bf_eng_sensor(e, i);
        char err[512];
        int rc = s ? slot_open(e, s, err, sizeof err) : 0;
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "%s", err);
            return rc;
        }
    }
    return 0;
}

void bf_eng_sensors_close(struct bf_engine *e)
{
    for (size_t i = 0; e->sens && i < e->sens->n; i++)
        slot_quiesce(e, &e->sens->slot[i]);
}

void bf_eng_sensors_destroy(struct bf_engine *e)
{
    struct bf_eng_sensors *ss = e->sens;
    if (!ss)
        return;
    bf_eng_sensors_close(e);
    for (struct sensor_sub *sub = ss->subs, *nx; sub; sub = nx) {
        nx = sub->all_next;
        free(sub->filter);
        free(sub);
    }
    bf_clutter_destroy(ss->clutter);
    for (size_t k = 0; k < ss->n_platforms; k++)
        pthread_mutex_destroy(&ss->platform[k].mu);
    for (size_t i = 0; i < BF_MAX_SENSORS; i++) {
        pthread_mutex_destroy(&ss->slot[i].cb_mu);
        pthread_cond_destroy(&ss->slot[i].cb_idle);
        pthread_mutex_destroy(&ss->slot[i].bucket_mu);
    }
    pthread_mutex_destroy(&ss->health_mu);
    for (size_t k = 0; k < ss->n_kept; k++)
        bf_config_destroy(ss->kept[k]);
    free(ss->kept);
    free(ss);
    e->sens = NULL;
}

/* ---- a reload's sensors ---------------------------------------------------------- */

enum plan_what { PLAN_ADD, PLAN_REMOVE, PLAN_CHANGE };

struct plan_item {
    enum plan_what what;
    uint32_t idx;
    const struct bf_sensor_cfg *sc;        /* the new sensor (add, change) */
    const struct bf_sensor_cfg *old_sc;    /* change: the running one ... */
    const struct bf_config *old_from;      /* ... and its configuration */
    struct bf_tracker_sensor ts;           /* the tracker's view of the new one */
    bool done;                             /* opened (add, change) */
};

struct bf_eng_sensor_plan {
    struct plan_item it[2 * BF_MAX_SENSORS];
    size_t n;
};

/* The JSON object that configured sc in its configuration. */
static const cJSON *sensor_json(const struct bf_config *c, const struct bf_sensor_cfg *sc)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(c->doc), "sensors");
    return cJSON_GetArrayItem(arr, (int)(sc - c->sensors));
}

/* Does a running sensor borrow from configuration c? */
static bool borrowed(const struct bf_eng_sensors *ss, const struct bf_config *c)
{
    for (size_t i = 0; i < ss->n; i++)
        if (ss->slot[i].present && ss->slot[i].from == c)
            return true;
    return false;
}

/* Destroy the kept configurations no running sensor borrows from any more. */
static void sweep_kept(struct bf_eng_sensors *ss)
{
    size_t k = 0;
    for (size_t i = 0; i < ss->n_kept; i++) {
        if (borrowed(ss, ss->kept[i]))
            ss->kept[k++] = ss->kept[i];
        else
            bf_config_destroy(ss->kept[i]);
    }
    ss->n_kept = k;
}

void bf_eng_sensors_release_config(struct bf_engine *e, struct bf_config *cfg)
{
    struct bf_eng_sensors *ss = e->sens;
    if (!cfg)
        return;
    if (!borrowed(ss, cfg)) {
        bf_config_destroy(cfg);
        return;
    }
    if (ss->n_kept == ss->kept_cap) {
        size_t cap = ss->kept_cap ? 2 * ss->kept_cap : 4;
        struct bf_config **k = realloc(ss->kept, cap * sizeof *k);
        if (!k) {   /* cannot keep it: the sensors that borrow it must go first */
            BF_LOGE(ENGINE_LOG, "reload: out of memory keeping a configuration; kept in place");
            return;   /* leaked rather than freed under a running plugin */
        }
        ss->kept = k;
        ss->kept_cap = cap;
    }
    ss->kept[ss->n_kept++] = cfg;
}

/*
 * The index for an added sensor called id (docs/engine.md, "Sensor indices"):
 * its own old index when it ran before, else one never used, else a removed
 * sensor's that no live track carries.  taken: indices this plan gave out.
 * -1: none left.
 */
static int index_for(struct bf_engine *e, const char *id, uint64_t taken, size_t *next_new)
{
    struct bf_eng_sensors *ss = e->sens;
    for (size_t i = 0; i < ss->n; i++)
        if (!ss->slot[i].present && !(taken >> i & 1) && strcmp(ss->slot[i].id, id) == 0)
            return (int)i;
    if (*next_new < BF_MAX_SENSORS)
        return (int)(*next_new)++;
    for (size_t i = 0; i < ss->n; i++)
        if (!ss->slot[i].present && !(taken >> i & 1) &&
            !bf_tracker_sensor_in_use(e->tracker, (uint32_t)i))
            return (int)i;
    return -1;
}

/* The tracker's view of slot s: its position, coverage and initiation gate. */
static void tracker_view(struct bf_engine *e, struct plan_item *it)
{
    it->ts.pd_at = bf_coverage_pd_at;
    it->ts.pd_ctx = e->coverage;
    set_gate(e, &it->ts);
}

/* Slot s's region into the coverage; 0 or BF_E* with the reason in err. */
static int coverage_set(struct bf_engine *e, struct sensor_slot *s, char *err, size_t len)
{
    struct bf_coverage_sensor cs;
    bf_eng_coverage_sensor(e, s, &cs);
    char why[400];
    int rc = bf_coverage_set_sensor(e->coverage, s->idx, &cs, e->frame, why, sizeof why);
    if (rc < 0)
        snprintf(err, len, "sensor %s: coverage: %s", s->id, why);
    return rc;
}

/* Undo the items of p that were done, last first. */
void bf_eng_sensors_abort(struct bf_engine *e, struct bf_eng_sensor_plan *p)
{
    if (!p)
        return;
    for (size_t k = p->n; k-- > 0;) {
        struct plan_item *it = &p->it[k];
        struct sensor_slot *s = &e->sens->slot[it->idx];
        if (!it->done)
            continue;
        slot_quiesce(e, s);
        if (it->what == PLAN_ADD) {
            bf_coverage_remove_sensor(e->coverage, it->idx);
            s->sc = NULL;
            s->from = NULL;
            continue;
        }
        /* a changed sensor: as it was */
        char err[512];
        struct bf_tracker_sensor ts;
        if (slot_fill(e, s, it->old_sc, it->old_from, &ts, err, sizeof err) < 0 ||
            coverage_set(e, s, err, sizeof err) < 0 || slot_open(e, s, err, sizeof err) < 0)
            BF_LOGE("reload", "%s: it stays closed until the next reload or restart",
                    err);
    }
    free(p);
}

int bf_eng_sensors_plan(struct bf_engine *e, const struct bf_config *nc,
                        struct bf_eng_sensor_plan **out, char *err, size_t len)
{
    struct bf_eng_sensors *ss = e->sens;
    *out = NULL;
    struct bf_eng_sensor_plan *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, len, "out of memory");
        return BF_ENOMEM;
    }
    uint64_t taken = 0;
    size_t next_new = ss->n;
    for (size_t i = 0; i < ss->n; i++) {
        struct sensor_slot *s = &ss->slot[i];
        if (!s->present)
            continue;
        int j = bf_config_sensor_find(nc, s->id);
        if (j < 0) {
            p->it[p->n++] = (struct plan_item){.what = PLAN_REMOVE, .idx = s->idx};
        } else if (!cJSON_Compare(sensor_json(s->from, s->sc), sensor_json(nc, &nc->sensors[j]),
                                  true)) {
            p->it[p->n++] = (struct plan_item){.what = PLAN_CHANGE, .idx = s->idx,
                                               .sc = &nc->sensors[j], .old_sc = s->sc,
                                               .old_from = s->from};
        }
        taken |= UINT64_C(1) << i;
    }
    for (size_t j = 0; j < nc->n_sensors; j++) {
        const struct bf_sensor_cfg *sc = &nc->sensors[j];
        bool running = false;
        for (size_t i = 0; i < ss->n && !running; i++)
            running = ss->slot[i].present && strcmp(ss->slot[i].id, sc->id) == 0;
        if (running)
            continue;
        int idx = index_for(e, sc->id, taken, &next_new);
        if (idx < 0) {
            snprintf(err, len, "sensor %s: no sensor index is free (all %d are held by sensors "
                     "or by removed sensors whose tracks are still live); restart to add it",
                     sc->id, BF_MAX_SENSORS);
            free(p);
            return BF_EFULL;
        }
        taken |= UINT64_C(1) << idx;
        p->it[p->n++] = (struct plan_item){.what = PLAN_ADD, .idx = (uint32_t)idx, .sc = sc};
    }
    if (p->n == 0) {
        free(p);
        return 0;
    }
    if (e->record) {
        snprintf(err, len, "sensors changed while recording (the record's header names the "
                 "sensors by index): restart to change sensors");
        free(p);
        return BF_EINVAL;
    }
    /* open what is added or changed; a changed sensor's old plugin is closed first */
    for (size_t k = 0; k < p->n; k++) {
        struct plan_item *it = &p->it[k];
        struct sensor_slot *s = &ss->slot[it->idx];
        if (it->what == PLAN_REMOVE)
            continue;
        if (it->what == PLAN_CHANGE)
            slot_quiesce(e, s);
        else
            slot_reset(e, s);
        it->done = true;   /* from here abort() puts it back */
        int rc = slot_fill(e, s, it->sc, nc, &it->ts, err, len);
        if (rc == 0)
            rc = coverage_set(e, s, err, len);
        if (rc == 0)
            rc = slot_open(e, s, err, len);
        if (rc < 0) {
            bf_eng_sensors_abort(e, p);
            return rc;
        }
        tracker_view(e, it);
    }
    *out = p;
    return 0;
}

/* Append to a reload's change line. */
static void add_word(char *line, size_t len, char sign, const char *id, bool *first)
{
    size_t n = strlen(line);
    if (n + 4 >= len)
        return;
    snprintf(line + n, len - n, "%s%c%s", *first ? (n ? ", sensors " : "sensors ") : " ", sign,
             id);
    *first = false;
}

void bf_eng_sensors_commit(struct bf_engine *e, struct bf_eng_sensor_plan *p, char *line,
                           size_t len)
{
    struct bf_eng_sensors *ss = e->sens;
    if (!p)
        return;
    bool first = true;
    bf_time_us t = alert_time(e, BF_TIME_NONE);
    for (size_t k = 0; k < p->n; k++) {
        struct plan_item *it = &p->it[k];
        struct sensor_slot *s = &ss->slot[it->idx];
        int rc = 0;
        switch (it->what) {
        case PLAN_REMOVE:
            slot_quiesce(e, s);
            if (s->alerted && t != BF_TIME_NONE)   /* its SENSOR_FAULT ends with it */
                bf_alerter_sensor_fault(e->alerter, s->idx, false, t, s->sc->lat_deg,
                                        s->sc->lon_deg, "sensor removed");
            s->alerted = s->faulty = s->clock_fault = false;
            s->present = false;
            s->sc = NULL;
            s->from = NULL;
            bf_tracker_remove_sensor(e->tracker, s->idx);
            bf_coverage_remove_sensor(e->coverage, s->idx);
            bf_clutter_remove_sensor(ss->clutter, s->idx);
            bf_reorder_forget_sensor(e->reorder, s->idx);
            if (e->mqtt_out)   /* its retained status goes away */
                bf_mqtt_publish(e->mqtt_out, s->topic_status, "", 0, 1, true);
            add_word(line, len, '-', s->id, &first);
            BF_LOGI(ENGINE_LOG, "sensor %s (index %u) removed", s->id, s->idx);
            continue;
        case PLAN_ADD:
            s->present = true;
            if (it->idx >= ss->n)
                ss->n = it->idx + 1;
            bf_reorder_forget_sensor(e->reorder, s->idx);   /* a reused index starts afresh */
            add_word(line, len, '+', s->id, &first);
            BF_LOGI(ENGINE_LOG, "sensor %s (%s) added as index %u", s->id, s->sc->type, s->idx);
            break;
        case PLAN_CHANGE:
            add_word(line, len, '~', s->id, &first);
            BF_LOGI(ENGINE_LOG, "sensor %s (index %u) changed: reopened", s->id, s->idx);
            break;
        }
        rc = bf_tracker_set_sensor(e->tracker, s->idx, &it->ts);
        if (rc == 0 && ss->clutter) {
            struct bf_clutter_sensor cs = {.e_m = it->ts.e_m, .n_m = it->ts.n_m,
                                           .range_m = it->ts.range_m};
            rc = bf_clutter_set_sensor(ss->clutter, s->idx, &cs);
        }
        if (rc < 0)   /* out of memory: it runs, but the tracker refuses its scans */
            BF_LOGE(ENGINE_LOG, "sensor %s: cannot be given to the tracker (%s)", s->id,
                    bf_strerror(rc));
        bf_eng_publish_sensor_status(e, s->idx);
    }
    const char *kinds[BF_MAX_SENSORS];   /* sensors of one type are one kind */
    for (size_t i = 0; i < BF_MAX_SENSORS; i++)
        kinds[i] = i < ss->n && ss->slot[i].present ? ss->slot[i].sc->type : NULL;
    bf_alerter_set_sensor_kinds(e->alerter, kinds, BF_MAX_SENSORS);
    if (set_shares(e) < 0)
        BF_LOGW(ENGINE_LOG, "reload: the ingest queue's shares are unchanged");
    sweep_kept(ss);
    free(p);
}
