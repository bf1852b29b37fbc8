/*
 * engine.c - the borderfuse engine: sensors in, alerts out.
 *
 * The engine owns everything with state and composes the pipeline of
 * DESIGN.md section 1 on one thread:
 *
 *   plugins (I/O threads) -> ingest queue -> reorder window -> tracker
 *        -> geofence step per changed track -> alert rules -> journal -> MQTT
 *
 * Sensor plugins run on their I/O threads and only ever push into the
 * bounded ingest queue (never blocking; a full queue sheds and counts).  The
 * engine thread drains the queue into the reorder window and releases
 * detections in event-time order, grouped into scans (one sensor, one time),
 * so the tracker sees time go forward and the same input always gives the
 * same tracks and alerts.  When input stops, the window is flushed after
 * idle_flush_s of wall-clock silence, so the last detections of a live feed
 * are not held back for ever (the only place the wall clock steers data;
 * without MQTT - tests and replay - the engine reads no clock at all).
 *
 * Recording (docs/replay.md): with options.record_path, every detection the
 * engine thread takes from the ingest queue is written to the record before
 * it enters the reorder window - the queue's order is the arrival order, the
 * writing happens on the engine thread (the MQTT threads never wait on the
 * disk), and a replay of the record through bf_engine_feed() gives the same
 * tracks and alerts as the live run (bar the idle flush and shed detections).
 *
 * MQTT: an ingest connection carries the sensors' subscriptions; an output
 * connection publishes alerts (QoS 1), the retained status with a last will
 * of "offline", and the track picture (QoS 0, at most once a second).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_mqtt.h"
#include "fusion/config.h"
#include "fusion/fusion.h"
#include "fusion/ingest.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

#define ENGINE_LOG "engine"
#define POP_BATCH 1024
#define RELEASE_BATCH 4096
#define TRACKS_PERIOD_US BF_US_PER_S
#define MAX_HEALTH 8              /* health figures kept per sensor */
#define PLATFORM_FIXES 128        /* position fixes kept per platform */
#define PLATFORM_EXTRAPOLATE_US (5 * BF_US_PER_S)   /* dead reckoning past the newest fix */
#define PLATFORM_EARLY_US BF_US_PER_S               /* tolerated before the oldest fix */

struct health_fig {
    char key[32];
    double value;
};

/* A moving platform (a radar on a vehicle): its recent position fixes. */
struct platform {
    char id[65];
    pthread_mutex_t mu;
    struct bf_position_fix fix[PLATFORM_FIXES];   /* ring, oldest at head; id unused */
    size_t head, n;
    uint64_t fixes;
};

struct sensor_slot {
    const struct bf_sensor_ops *ops;
    void *state;
    void *dl;                        /* dlopen handle of a third-party plugin */
    struct bf_sensor_config scfg;
    bool open;
    int platform;                    /* index in platforms[], -1: fixed position */
    uint64_t no_platform_fix;        /* detections dropped: no recent platform fix */
    /* heartbeat watch (engine thread) */
    bf_time_us alive_evt;            /* event time of its latest released input */
    bf_time_us alive_wall;           /* monotonic wall time its latest input was taken */
    bool faulty;
    struct health_fig health[MAX_HEALTH];   /* under bf_engine.health_mu */
    size_t n_health;
    _Atomic uint64_t messages;       /* good messages */
    _Atomic uint64_t detections;     /* detections accepted into the queue */
    _Atomic uint64_t shed;           /* detections refused: queue full */
    _Atomic uint64_t faults[BF_FAULT_KIND_COUNT];
    _Atomic uint64_t logged_kinds;   /* fault kinds already logged (bit per kind) */
    _Atomic int64_t last_data_us;    /* event time of the latest good message */
    _Atomic int64_t last_rx_us;      /* wall time of the latest good message */
};

struct bf_engine {
    const struct bf_config *cfg;
    struct bf_engine_options opt;
    struct bf_alert_params alert_params;

    struct bf_geo_frame *frame;
    struct bf_geo_zones *zones;
    struct bf_tracker *tracker;
    struct bf_alerter *alerter;
    struct bf_ingest_queue *queue;
    struct bf_reorder *reorder;
    struct bf_mqtt *mqtt_in;
    struct bf_mqtt *mqtt_out;
    struct bf_record_writer *record;

    struct sensor_slot *sensors;
    const char **sensor_ids;
    struct bf_sensor_host host;
    pthread_mutex_t health_mu;
    struct platform *platforms;
    size_t n_platforms;
    bf_time_us first_evt;             /* first event time released: silence counts from it */
    char topic_sensor_status[BF_MAX_SENSORS][200];

    struct bf_geo_track_state *geo;   /* per track slot */
    size_t geo_cap;

    struct bf_detection *inbuf;       /* POP_BATCH */
    struct bf_detection *relbuf;      /* RELEASE_BATCH */
    struct bf_detection *scanbuf;     /* queue_capacity: the scan being gathered */
    size_t scan_n;                    /* detections in scanbuf */
    bool scan_open, scan_marker;      /* a scan is being gathered; it had a marker */
    bool scan_placed;                 /* a moving sensor's scan: its position below */
    double scan_e_m, scan_n_m;
    bf_time_us scan_t;
    uint32_t scan_sensor;
    const struct bf_track **trackbuf; /* max_tracks */
    char *jsonbuf;
    size_t jsonbuf_len;

    char topic_alerts[160];
    char topic_status[160];
    char topic_tracks[160];

    bf_time_us started_wall;
    bf_time_us last_input_wall;
    bf_time_us last_status_wall;
    bf_time_us last_tracks_wall;
    bool tracks_dirty;                /* released since the last track picture */

    _Atomic uint64_t received, shed;
    uint64_t late, processed, scans, alerts_published, alerts_publish_failed, window_overflow;
};

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

/* ---- alerts out -------------------------------------------------------- */

static int publish_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    struct bf_engine *e = ctx;
    int rc = 0;
    if (e->mqtt_out) {
        rc = bf_mqtt_publish(e->mqtt_out, e->topic_alerts, json, len, 1, false);
        if (rc < 0) {
            e->alerts_publish_failed++;
            BF_LOGE(ENGINE_LOG, "alert %s seq %llu not published (%s); it is in the journal",
                    a->id, (unsigned long long)a->seq, bf_strerror(rc));
        }
    }
    if (rc == 0)
        e->alerts_published++;
    char when[BF_TIME_ISO_LEN];
    bf_time_format_iso(a->last_us, when, sizeof when);
    BF_LOGI("alert", "%s %s %s track %u zone %s at %.5f,%.5f conf %.0f%% (%s)%s",
            bf_alert_state_name(a->state), bf_alert_type_name(a->type),
            bf_severity_name(a->severity), a->track_id, a->zone_id[0] ? a->zone_id : "-",
            a->lat_deg, a->lon_deg, a->confidence * 100.0, when, a->exercise ? " EXERCISE" : "");
    if (e->opt.alert_tap)
        e->opt.alert_tap->publish(e->opt.alert_tap->ctx, a, json, len);
    return rc;
}

/* ---- status and track picture ----------------------------------------- */

/* One sensor's health: open, counters of good and bad input, last data, its
 * own figures (battery, ...), and whether it is silent (SENSOR_FAULT). */
static cJSON *sensor_status(struct bf_engine *e, size_t i)
{
    struct sensor_slot *s = &e->sensors[i];
    char ts[BF_TIME_ISO_LEN];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->scfg.id);
    cJSON_AddStringToObject(o, "type", e->cfg->sensors[i].type);
    cJSON_AddBoolToObject(o, "open", s->open);
    cJSON_AddNumberToObject(o, "messages", (double)atomic_load(&s->messages));
    cJSON_AddNumberToObject(o, "detections", (double)atomic_load(&s->detections));
    cJSON_AddNumberToObject(o, "shed", (double)atomic_load(&s->shed));
    cJSON *f = cJSON_AddObjectToObject(o, "malformed");
    for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
        if (k != BF_FAULT_QUEUE_FULL)
            cJSON_AddNumberToObject(f, bf_sensor_fault_name(k), (double)atomic_load(&s->faults[k]));
    int64_t last = atomic_load(&s->last_data_us);
    if (last != BF_TIME_NONE) {
        bf_time_format_iso(last, ts, sizeof ts);
        cJSON_AddStringToObject(o, "last_data", ts);
    } else {
        cJSON_AddNullToObject(o, "last_data");
    }
    if (e->cfg->sensors[i].heartbeat_timeout_s > 0)
        cJSON_AddBoolToObject(o, "fault", s->faulty);
    if (s->platform >= 0) {
        cJSON_AddStringToObject(o, "platform", e->platforms[s->platform].id);
        cJSON_AddNumberToObject(o, "no_platform_fix", (double)s->no_platform_fix);
    }
    pthread_mutex_lock(&e->health_mu);
    if (s->n_health > 0) {
        cJSON *h = cJSON_AddObjectToObject(o, "health");
        for (size_t k = 0; k < s->n_health; k++)
            cJSON_AddNumberToObject(h, s->health[k].key, s->health[k].value);
    }
    pthread_mutex_unlock(&e->health_mu);
    return o;
}

/* borderfuse/<site>/sensors/<id>/status, retained. */
static void publish_sensor_status(struct bf_engine *e, size_t i)
{
    if (!e->mqtt_out)
        return;
    cJSON *o = sensor_status(e, i);
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, e->topic_sensor_status[i], txt, strlen(txt), 1, true);
        free(txt);
    }
}

static void publish_status(struct bf_engine *e, const char *state)
{
    if (!e->mqtt_out)
        return;
    cJSON *root = cJSON_CreateObject();
    char ts[BF_TIME_ISO_LEN];
    bf_time_us now = bf_clock_realtime(NULL);
    cJSON_AddStringToObject(root, "state", state);
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    bf_time_format_iso(now, ts, sizeof ts);
    cJSON_AddStringToObject(root, "time", ts);
    bf_time_format_iso(e->started_wall, ts, sizeof ts);
    cJSON_AddStringToObject(root, "started", ts);
    bf_time_us released = bf_reorder_released(e->reorder);
    if (released != BF_TIME_NONE) {
        bf_time_format_iso(released, ts, sizeof ts);
        cJSON_AddStringToObject(root, "event_time", ts);
    } else {
        cJSON_AddNullToObject(root, "event_time");
    }
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    cJSON *det = cJSON_AddObjectToObject(root, "detections");
    cJSON_AddNumberToObject(det, "received", (double)st.received);
    cJSON_AddNumberToObject(det, "processed", (double)st.processed);
    cJSON_AddNumberToObject(det, "shed", (double)st.shed);
    cJSON_AddNumberToObject(det, "late", (double)st.late);
    cJSON_AddNumberToObject(det, "malformed_messages", (double)st.malformed);
    cJSON_AddNumberToObject(det, "queue_depth", (double)bf_ingest_queue_depth(e->queue));
    struct bf_tracker_stats ts_;
    bf_tracker_get_stats(e->tracker, &ts_);
    cJSON *trk = cJSON_AddObjectToObject(root, "tracks");
    cJSON_AddNumberToObject(trk, "live", ts_.live);
    cJSON_AddNumberToObject(trk, "confirmed", ts_.live_confirmed);
    cJSON_AddNumberToObject(trk, "initiated", (double)ts_.initiated);
    cJSON_AddNumberToObject(trk, "pool_full", (double)ts_.pool_full);
    struct bf_alerter_stats as;
    bf_alerter_get_stats(e->alerter, &as);
    cJSON *al = cJSON_AddObjectToObject(root, "alerts");
    cJSON_AddNumberToObject(al, "live", as.live);
    cJSON_AddNumberToObject(al, "raised", (double)as.raised);
    cJSON_AddNumberToObject(al, "published", (double)st.alerts_published);
    cJSON_AddNumberToObject(al, "publish_failed", (double)st.alerts_publish_failed);
    cJSON_AddNumberToObject(al, "suppressed_no_alert", (double)as.suppressed_no_alert);
    cJSON_AddNumberToObject(al, "suppressed_confidence", (double)as.suppressed_confidence);
    cJSON_AddNumberToObject(al, "suppressed_test", (double)as.suppressed_test);
    cJSON_AddNumberToObject(al, "journal_errors", (double)as.journal_errors);
    cJSON *sens = cJSON_AddArrayToObject(root, "sensors");
    for (size_t i = 0; i < e->cfg->n_sensors; i++)
        cJSON_AddItemToArray(sens, sensor_status(e, i));
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, e->topic_status, txt, strlen(txt), 1, true);
        free(txt);
    }
    for (size_t i = 0; i < e->cfg->n_sensors; i++)
        publish_sensor_status(e, i);
}

static void publish_tracks(struct bf_engine *e)
{
    if (!e->mqtt_out)
        return;
    size_t n = bf_tracker_tracks(e->tracker, e->trackbuf, e->cfg->tracker.max_tracks);
    cJSON *root = cJSON_CreateObject();
    char ts[BF_TIME_ISO_LEN];
    bf_time_us released = bf_reorder_released(e->reorder);
    bf_time_format_iso(released == BF_TIME_NONE ? 0 : released, ts, sizeof ts);
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    cJSON_AddStringToObject(root, "time", ts);
    cJSON *arr = cJSON_AddArrayToObject(root, "tracks");
    for (size_t i = 0; i < n; i++) {
        const struct bf_track *t = e->trackbuf[i];
        if (t->status != BF_TRACK_CONFIRMED && t->status != BF_TRACK_COASTING)
            continue;
        double lat, lon;
        if (bf_geo_to_wgs84(e->frame, t->x[0], t->x[1], &lat, &lon) < 0)
            continue;
        int best = 0;
        for (int k = 1; k < BF_CLASS_COUNT; k++)
            if (t->class_p[k] > t->class_p[best])
                best = k;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", t->id);
        cJSON_AddStringToObject(o, "status", bf_track_status_name(t->status));
        cJSON_AddNumberToObject(o, "lat", round(lat * 1e7) / 1e7);
        cJSON_AddNumberToObject(o, "lon", round(lon * 1e7) / 1e7);
        double speed = hypot(t->x[2], t->x[3]);
        double hdg = atan2(t->x[2], t->x[3]) * 180.0 / M_PI;
        cJSON_AddNumberToObject(o, "speed_mps", round(speed * 100) / 100);
        cJSON_AddNumberToObject(o, "heading_deg", round(fmod(hdg + 360.0, 360.0) * 10) / 10);
        cJSON_AddStringToObject(o, "class", bf_class_names[best]);
        cJSON_AddNumberToObject(o, "class_p", round(t->class_p[best] * 100) / 100);
        cJSON_AddBoolToObject(o, "exercise", (t->flags & BF_DET_F_EXERCISE) != 0);
        cJSON_AddItemToArray(arr, o);
    }
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, e->topic_tracks, txt, strlen(txt), 0, false);
        free(txt);
    }
}

/* ---- the pipeline ------------------------------------------------------ */

/* Geofence and alert stage for the tracks one scan changed. */
static void evaluate_changes(struct bf_engine *e)
{
    const struct bf_track_change *ch;
    size_t n = bf_tracker_changes(e->tracker, &ch);
    for (size_t i = 0; i < n; i++) {
        const struct bf_track *t = ch[i].track;
        uint32_t what = ch[i].what;
        if (t->slot >= e->geo_cap)
            continue;   /* cannot happen: the pool and geo[] have one size */
        struct bf_geo_track_state *st = &e->geo[t->slot];
        if (what & BF_CHANGE_NEW)
            memset(st, 0, sizeof *st);
        struct bf_geo_step step;
        if (what & BF_CHANGE_DELETED) {
            memset(&step, 0, sizeof step);
            step.inside = st->inside;
            step.nearest_line = -1;
            step.dist_to_line_m = NAN;
            step.time_to_line_s = INFINITY;
            bf_alerter_on_track(e->alerter, t, what, &step);
            memset(st, 0, sizeof *st);
            continue;
        }
        if (!(what & (BF_CHANGE_UPDATED | BF_CHANGE_NEW | BF_CHANGE_CONFIRMED)))
            continue;   /* a miss moves nothing we can trust */
        if (bf_geo_track_step(e->zones, st, t->x[0], t->x[1], t->x[2], t->x[3], &step) < 0)
            continue;
        bf_alerter_on_track(e->alerter, t, what, &step);
    }
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
    publish_sensor_status(e, i);
}

/* A sensor's input was released at event time t: it is alive. */
static void sensor_alive(struct bf_engine *e, uint32_t i, bf_time_us t)
{
    struct sensor_slot *s = &e->sensors[i];
    if (s->alive_evt == BF_TIME_NONE || t > s->alive_evt)
        s->alive_evt = t;
    if (s->faulty)
        set_fault(e, i, false, t, NULL);
}

/* Event-time rule: silent for heartbeat_timeout_s of event time at now. */
static void check_silence(struct bf_engine *e, bf_time_us now)
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
static void check_silence_wall(struct bf_engine *e, bf_time_us now_mono)
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
static bool place_on_platform(struct bf_engine *e, struct bf_detection *d, struct platform *p)
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

/* Hand the gathered scan to the tracker, then the geofence and alert stages. */
static void finish_scan(struct bf_engine *e)
{
    if (!e->scan_open)
        return;
    /* a moving sensor looked from where its scan was placed (take_input) */
    if (e->sensors[e->scan_sensor].platform >= 0 && e->scan_placed)
        bf_tracker_move_sensor(e->tracker, e->scan_sensor, e->scan_e_m, e->scan_n_m);
    /* A scan marker says the sensor looked: an empty look still counts misses. */
    if (e->scan_n > 0 || e->scan_marker) {
        if (bf_tracker_scan(e->tracker, e->scan_sensor, e->scan_t, e->scanbuf, e->scan_n) == 0) {
            e->scans++;
            if (e->opt.track_tap) {
                const struct bf_track_change *ch;
                size_t nch = bf_tracker_changes(e->tracker, &ch);
                e->opt.track_tap->scan(e->opt.track_tap->ctx, e->scan_sensor, e->scan_t, ch, nch);
            }
            evaluate_changes(e);
            /* Idle alerts resolve by event time, scan by scan: never by how the
             * input was batched (docs/replay.md). */
            bf_alerter_tick(e->alerter, e->scan_t);
            check_silence(e, e->scan_t);
        }
    }
    e->processed += e->scan_n;
    e->scan_n = 0;
    e->scan_open = e->scan_marker = e->scan_placed = false;
}

/*
 * Gather released detections into scans (one sensor, one time).  A scan is
 * handed on when the next scan begins or when the release stops
 * (finish_scan()), never at a buffer boundary: how the window's output was
 * cut into batches does not change the scans the tracker sees.
 */
static void process_released(struct bf_engine *e, const struct bf_detection *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (e->first_evt == BF_TIME_NONE)
            e->first_evt = d[i].t_us;
        if (d[i].sensor_idx < e->cfg->n_sensors)
            sensor_alive(e, d[i].sensor_idx, d[i].t_us);
        if (d[i].kind == BF_MEAS_HEARTBEAT) {   /* alive, nothing to track: no scan */
            check_silence(e, d[i].t_us);
            continue;
        }
        if (e->scan_open && (d[i].t_us != e->scan_t || d[i].sensor_idx != e->scan_sensor))
            finish_scan(e);
        if (!e->scan_open) {
            e->scan_open = true;
            e->scan_t = d[i].t_us;
            e->scan_sensor = d[i].sensor_idx;
        }
        if (!e->scan_placed && e->sensors[d[i].sensor_idx].platform >= 0) {
            e->scan_placed = true;
            e->scan_e_m = d[i].sensor_e_m;
            e->scan_n_m = d[i].sensor_n_m;
        }
        if (d[i].kind == BF_MEAS_SCAN) {
            e->scan_marker = true;
            continue;
        }
        if (e->scan_n == e->cfg->engine.queue_capacity) {   /* cannot happen: the window is */
            finish_scan(e);                                  /* no bigger than scanbuf */
            e->scan_open = true;
            e->scan_t = d[i].t_us;
            e->scan_sensor = d[i].sensor_idx;
        }
        e->scanbuf[e->scan_n++] = d[i];
    }
}

/* Take what the ingest queue holds into the reorder window; returns detections released. */
static size_t take_input(struct bf_engine *e, struct bf_detection *in, size_t got)
{
    size_t released = 0;
    bool live = !e->opt.no_mqtt;
    bf_time_us now = live ? bf_clock_monotonic(NULL) : 0;
    for (size_t i = 0; i < got; i++) {
        struct sensor_slot *ss = &e->sensors[in[i].sensor_idx];
        ss->alive_wall = now;
        /* a mobile sensor's detections get its position at their time; the
         * record holds them placed, so a replay needs no GPS */
        if (ss->platform >= 0 && in[i].kind != BF_MEAS_HEARTBEAT &&
            !place_on_platform(e, &in[i], &e->platforms[ss->platform])) {
            if (in[i].kind == BF_MEAS_SCAN)
                continue;   /* a look from nowhere known: nothing to count misses against */
            if (ss->no_platform_fix++ == 0)
                BF_LOGW("sensor", "%s: detection at a time platform %s has no recent fix for: "
                        "dropped (counted as no_platform_fix in its status)", ss->scfg.id,
                        e->platforms[ss->platform].id);
            continue;
        }
        if (e->record)
            bf_record_writer_put(e->record, &in[i]);
        int rc = bf_reorder_push(e->reorder, &in[i]);
        while (rc == BF_EFULL) {   /* window full: release the oldest to make room */
            size_t k = bf_reorder_pop(e->reorder, true, e->relbuf, RELEASE_BATCH / 4);
            if (e->window_overflow == 0)
                BF_LOGW(ENGINE_LOG, "reorder window full (%u detections): oldest released "
                        "early; order is no longer guaranteed (raise engine.queue_capacity)",
                        e->cfg->engine.queue_capacity);
            e->window_overflow += k;
            process_released(e, e->relbuf, k);
            finish_scan(e);
            released += k;
            rc = bf_reorder_push(e->reorder, &in[i]);
        }
        if (rc == BF_ELATE) {
            e->late++;
            if (e->late == 1 || (e->late & (e->late - 1)) == 0)
                BF_LOGW(ENGINE_LOG, "detection from %s at event time older than the reorder "
                        "window dropped (%llu so far; see status)",
                        e->sensors[in[i].sensor_idx].scfg.id, (unsigned long long)e->late);
        }
    }
    return released;
}

size_t bf_engine_step(struct bf_engine *e, int timeout_ms, bool flush)
{
    /* Drain the queue (bounded, so a flood cannot keep the loop here for ever). */
    size_t got = bf_ingest_queue_pop(e->queue, e->inbuf, POP_BATCH, timeout_ms);
    size_t total = got, released = take_input(e, e->inbuf, got);
    for (size_t rounds = e->cfg->engine.queue_capacity / POP_BATCH + 1;
         got == POP_BATCH && rounds > 0; rounds--) {
        got = bf_ingest_queue_pop(e->queue, e->inbuf, POP_BATCH, 0);
        total += got;
        released += take_input(e, e->inbuf, got);
    }
    /* No wall clock without MQTT: release follows event time alone (docs/replay.md). */
    bool live = !e->opt.no_mqtt;
    bf_time_us now = live ? bf_clock_monotonic(NULL) : 0;
    if (total > 0)
        e->last_input_wall = now;
    bool idle = live && e->cfg->engine.idle_flush_s > 0 &&
                now - e->last_input_wall > bf_time_from_s(e->cfg->engine.idle_flush_s);
    for (;;) {
        size_t k = bf_reorder_pop(e->reorder, flush || idle, e->relbuf, RELEASE_BATCH);
        if (k == 0)
            break;
        process_released(e, e->relbuf, k);
        released += k;
    }
    finish_scan(e);   /* the release stopped: every scan released so far is complete */
    /* the picture at most once a second, and once more after the last change:
     * what the operator sees is never older than the last detection */
    if (released > 0)
        e->tracks_dirty = true;
    if (e->tracks_dirty && live && now - e->last_tracks_wall >= TRACKS_PERIOD_US) {
        e->tracks_dirty = false;
        publish_tracks(e);
        e->last_tracks_wall = now;
    }
    if (live)
        check_silence_wall(e, now);
    if (live && now - e->last_status_wall >= bf_time_from_s(e->cfg->engine.status_period_s)) {
        publish_status(e, "online");
        if (e->record)
            bf_record_writer_flush(e->record);
        e->last_status_wall = now;
    }
    if (flush && e->record)
        bf_record_writer_flush(e->record);
    return released;
}

int bf_engine_run(struct bf_engine *e, volatile int *stop)
{
    BF_LOGI(ENGINE_LOG, "running: site %s, %zu sensors, %zu zones", e->cfg->site,
            e->cfg->n_sensors, bf_geo_zones_count(e->zones));
    while (!*stop)
        bf_engine_step(e, 100, false);
    /* Clean stop: what the queue still holds is recorded and tracked, then all is flushed. */
    for (int rounds = 0; rounds < 64; rounds++) {
        bf_engine_step(e, 0, true);
        if (bf_ingest_queue_depth(e->queue) == 0)
            break;
    }
    BF_LOGI(ENGINE_LOG, "stopping");
    return 0;
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

void bf_engine_get_stats(const struct bf_engine *e, struct bf_engine_stats *out)
{
    struct bf_engine *m = (struct bf_engine *)e;
    memset(out, 0, sizeof *out);
    out->received = atomic_load(&m->received);
    out->shed = atomic_load(&m->shed);
    out->late = e->late;
    out->processed = e->processed;
    out->scans = e->scans;
    out->alerts_published = e->alerts_published;
    out->alerts_publish_failed = e->alerts_publish_failed;
    out->window_overflow = e->window_overflow;
    out->recorded = e->record ? bf_record_writer_count(e->record) : 0;
    for (size_t i = 0; i < e->cfg->n_sensors; i++) {
        out->unplaced += e->sensors[i].no_platform_fix;
        out->sensors_faulty += e->sensors[i].faulty;
    }
    for (size_t i = 0; i < e->cfg->n_sensors; i++)
        for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
            if (k != BF_FAULT_QUEUE_FULL)
                out->malformed += atomic_load(&m->sensors[i].faults[k]);
}

const struct bf_tracker *bf_engine_tracker(const struct bf_engine *e) { return e->tracker; }

/* ---- construction ------------------------------------------------------ */

static int open_mqtt(struct bf_engine *e)
{
    const struct bf_config *c = e->cfg;
    char *user = NULL, *pass = NULL;
    if (c->mqtt.credentials_path) {
        char err[512];
        int rc = bf_mqtt_read_credentials(c->mqtt.credentials_path, &user, &pass, err, sizeof err);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "%s", err);
            return rc;
        }
    }
    const char *url = e->opt.mqtt_url ? e->opt.mqtt_url : c->mqtt.url;
    char id_in[160];
    snprintf(id_in, sizeof id_in, "%s-in", c->mqtt.client_id);
    const char *offline = "{\"state\":\"offline\"}";
    struct bf_mqtt_options in = {
        .url = url, .client_id = id_in, .username = user, .password = pass,
        .keepalive_s = c->mqtt.keepalive_s, .clean_session = true,
    };
    struct bf_mqtt_options outo = in;
    outo.client_id = c->mqtt.client_id;
    outo.will_topic = e->topic_status;
    outo.will_payload = offline;
    outo.will_qos = 1;
    outo.will_retain = true;
    int rc = bf_mqtt_create(&in, &e->mqtt_in);
    if (rc == 0)
        rc = bf_mqtt_create(&outo, &e->mqtt_out);
    if (pass)
        memset(pass, 0, strlen(pass));
    free(user);
    free(pass);
    if (rc < 0)
        return rc;
    if (bf_mqtt_wait_connected(e->mqtt_out, 5000) < 0)
        BF_LOGW(ENGINE_LOG, "broker %s not reachable yet; alerts are journaled and buffered, "
                "and sent once it answers", url);
    return 0;
}

/*
 * The ops of sensor i: a built-in by "type", or a third-party shared object
 * ("plugin") exporting BF_SENSOR_PLUGIN_SYMBOL, whose name must be "type".
 * Either way an ABI outside [BF_SENSOR_ABI_MIN, BF_SENSOR_ABI] is refused.
 * Messages go to err; *dl gets the handle to dlclose (NULL for a built-in).
 */
static int find_plugin(const struct bf_sensor_cfg *sc, const struct bf_sensor_ops **ops, void **dl,
                       char *err, size_t len)
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

static int open_sensors(struct bf_engine *e)
{
    const struct bf_config *c = e->cfg;
    for (size_t i = 0; i < c->n_sensors; i++) {
        struct sensor_slot *s = &e->sensors[i];
        const struct bf_sensor_cfg *sc = &c->sensors[i];
        char err[512];
        int rc = find_plugin(sc, &s->ops, &s->dl, err, sizeof err);
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
static int make_platforms(struct bf_engine *e)
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

int bf_engine_create(const struct bf_config *cfg, const struct bf_engine_options *opt,
                     struct bf_engine **out)
{
    *out = NULL;
    struct bf_engine *e = calloc(1, sizeof *e);
    if (!e)
        return BF_ENOMEM;
    e->cfg = cfg;
    if (opt)
        e->opt = *opt;
    int rc = BF_ENOMEM;
    snprintf(e->topic_alerts, sizeof e->topic_alerts, "borderfuse/%s/alerts", cfg->site);
    snprintf(e->topic_status, sizeof e->topic_status, "borderfuse/%s/status", cfg->site);
    snprintf(e->topic_tracks, sizeof e->topic_tracks, "borderfuse/%s/tracks", cfg->site);
    if (!e->opt.no_mqtt) {   /* no clock at all without MQTT */
        e->started_wall = bf_clock_realtime(NULL);
        e->last_input_wall = bf_clock_monotonic(NULL);
    }
    pthread_mutex_init(&e->health_mu, NULL);
    e->first_evt = BF_TIME_NONE;

    char err[512] = "";
    rc = bf_geo_frame_create(cfg->origin_lat_deg, cfg->origin_lon_deg, cfg->crs, &e->frame, err,
                             sizeof err);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "frame: %s", err);
        goto out_fail;
    }
    struct bf_diag diag = {0};
    rc = bf_geo_zones_load(cfg->zones_path, e->frame, NULL, &e->zones, &diag);
    if (rc < 0)
        goto out_fail;

    size_t ns = cfg->n_sensors;
    e->sensors = calloc(ns, sizeof *e->sensors);
    e->sensor_ids = calloc(ns + 1, sizeof *e->sensor_ids);
    struct bf_tracker_sensor *ts = calloc(ns ? ns : 1, sizeof *ts);
    if (!e->sensors || !e->sensor_ids || !ts) {
        free(ts);
        rc = BF_ENOMEM;
        goto out_fail;
    }
    for (size_t i = 0; i < ns; i++) {
        const struct bf_sensor_cfg *sc = &cfg->sensors[i];
        struct sensor_slot *s = &e->sensors[i];
        double se = 0, sn = 0;
        if (bf_geo_to_local(e->frame, sc->lat_deg, sc->lon_deg, &se, &sn) < 0) {
            BF_LOGE(ENGINE_LOG, "sensor %s: position cannot be projected", sc->id);
            free(ts);
            rc = BF_EPROJ;
            goto out_fail;
        }
        s->scfg = (struct bf_sensor_config){
            .abi_version = BF_SENSOR_ABI, .site = cfg->site, .id = sc->id, .index = (uint32_t)i,
            .lat_deg = sc->lat_deg, .lon_deg = sc->lon_deg, .alt_m = sc->alt_m,
            .height_m = sc->height_m,
            .e_m = se, .n_m = sn, .range_m = sc->range_m, .sigma_m = sc->sigma_m,
            .sigma_range_m = sc->sigma_range_m, .sigma_bearing_deg = sc->sigma_bearing_deg,
            .options = sc->options, .frame = e->frame,
        };
        atomic_store(&s->last_data_us, BF_TIME_NONE);
        s->alive_evt = BF_TIME_NONE;
        s->alive_wall = e->last_input_wall;
        snprintf(e->topic_sensor_status[i], sizeof e->topic_sensor_status[i],
                 "borderfuse/%s/sensors/%s/status", cfg->site, sc->id);
        e->sensor_ids[i] = sc->id;
        ts[i] = (struct bf_tracker_sensor){.e_m = se, .n_m = sn, .range_m = sc->range_m};
    }
    rc = bf_tracker_create(&cfg->tracker, ts, ns, &e->tracker);
    free(ts);
    if (rc == 0)
        rc = make_platforms(e);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "tracker: %s", bf_strerror(rc));
        goto out_fail;
    }
    e->geo_cap = cfg->tracker.max_tracks;
    e->geo = calloc(e->geo_cap, sizeof *e->geo);
    e->trackbuf = calloc(e->geo_cap, sizeof *e->trackbuf);
    e->inbuf = calloc(POP_BATCH, sizeof *e->inbuf);
    e->relbuf = calloc(RELEASE_BATCH, sizeof *e->relbuf);
    e->scanbuf = calloc(cfg->engine.queue_capacity, sizeof *e->scanbuf);
    if (!e->geo || !e->trackbuf || !e->inbuf || !e->relbuf || !e->scanbuf) {
        rc = BF_ENOMEM;
        goto out_fail;
    }
    rc = bf_ingest_queue_create(cfg->engine.queue_capacity, &e->queue);
    if (rc == 0)
        rc = bf_reorder_create(cfg->engine.queue_capacity, cfg->engine.reorder_window_us,
                               &e->reorder);
    if (rc < 0)
        goto out_fail;

    e->alert_params = cfg->alerts;
    if (e->opt.journal_path)
        e->alert_params.journal_path = e->opt.journal_path;
    if (e->opt.no_journal)
        e->alert_params.journal_path = NULL;
    if (e->opt.exercise)
        e->alert_params.exercise = true;
    struct bf_alert_sink sink = {.publish = publish_alert, .ctx = e};
    rc = bf_alerter_create(&e->alert_params, cfg->site, e->zones, e->frame, e->sensor_ids, ns,
                           &sink, &e->alerter);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "alerts: cannot start (%s)", bf_strerror(rc));
        goto out_fail;
    }

    if (e->opt.record_path) {
        rc = bf_record_writer_open(e->opt.record_path, cfg, e->opt.record_notes, &e->record);
        if (rc < 0)
            goto out_fail;
        BF_LOGI(ENGINE_LOG, "recording the input to %s", e->opt.record_path);
    }

    e->host = (struct bf_sensor_host){
        .abi_version = BF_SENSOR_ABI, .ctx = e, .emit = host_emit, .fault = host_fault,
        .subscribe = host_subscribe, .good = host_good, .publish = host_publish,
        .health = host_health, .position = host_position,
    };
    if (!e->opt.no_mqtt) {
        rc = open_mqtt(e);
        if (rc < 0)
            goto out_fail;
        publish_status(e, "online");
        e->last_status_wall = bf_clock_monotonic(NULL);
    }
    rc = open_sensors(e);
    if (rc < 0)
        goto out_fail;
    *out = e;
    return 0;

out_fail:
    bf_engine_destroy(e);
    return rc;
}

void bf_engine_destroy(struct bf_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; e->sensors && i < e->cfg->n_sensors; i++) {
        struct sensor_slot *s = &e->sensors[i];
        if (s->open)
            s->ops->close(s->state);
        free(s->state);
    }
    bf_mqtt_destroy(e->mqtt_in);   /* no plugin callback runs after this */
    /* plugin code may still be referenced by the client's callbacks until here */
    for (size_t i = 0; e->sensors && i < e->cfg->n_sensors; i++)
        if (e->sensors[i].dl)
            dlclose(e->sensors[i].dl);
    if (e->mqtt_out) {
        publish_status(e, "offline");
        bf_mqtt_flush(e->mqtt_out, 2000);
        bf_mqtt_destroy(e->mqtt_out);
    }
    bf_alerter_destroy(e->alerter);
    if (e->record && bf_record_writer_close(e->record) == 0)
        BF_LOGI(ENGINE_LOG, "recording %s closed", e->opt.record_path);
    bf_reorder_destroy(e->reorder);
    bf_ingest_queue_destroy(e->queue);
    bf_tracker_destroy(e->tracker);
    bf_geo_zones_destroy(e->zones);
    bf_geo_frame_destroy(e->frame);
    free(e->geo);
    free(e->trackbuf);
    free(e->inbuf);
    free(e->relbuf);
    free(e->scanbuf);
    for (size_t k = 0; k < e->n_platforms; k++)
        pthread_mutex_destroy(&e->platforms[k].mu);
    free(e->platforms);
    pthread_mutex_destroy(&e->health_mu);
    free(e->sensors);
    free(e->sensor_ids);
    free(e);
}

int bf_engine_check(const struct bf_config *cfg, struct bf_diag *diag)
{
    char err[512] = "";
    struct bf_geo_frame *frame = NULL;
    struct bf_geo_zones *zones = NULL;
    unsigned before = diag->n_errors;
    const cJSON *root = bf_json_doc_root(cfg->doc);
    if (bf_geo_frame_create(cfg->origin_lat_deg, cfg->origin_lon_deg, cfg->crs, &frame, err,
                            sizeof err) < 0) {
        bf_json_errorf(cfg->doc, diag, cJSON_GetObjectItemCaseSensitive(root, "frame"), "%s", err);
    } else if (bf_geo_zones_load(cfg->zones_path, frame, NULL, &zones, diag) < 0 &&
               diag->n_errors == before) {
        bf_json_errorf(cfg->doc, diag, cJSON_GetObjectItemCaseSensitive(root, "zones"),
                       "the zones file could not be loaded");
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "sensors");
    for (size_t i = 0; i < cfg->n_sensors; i++) {
        const struct bf_sensor_ops *ops;
        void *dl;
        if (find_plugin(&cfg->sensors[i], &ops, &dl, err, sizeof err) == 0) {
            if (dl)
                dlclose(dl);
            continue;
        }
        const cJSON *item = cJSON_GetArrayItem(arr, (int)i);
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(item, cfg->sensors[i].plugin_path
                                                                     ? "plugin" : "type");
        bf_json_errorf(cfg->doc, diag, at, "%s", err);
    }
    bf_geo_zones_destroy(zones);
    bf_geo_frame_destroy(frame);
    return diag->n_errors > before ? BF_EINVAL : 0;
}
