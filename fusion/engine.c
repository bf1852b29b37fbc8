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
 * connection publishes alerts (QoS 1, through the outbox over the journal,
 * which sends again what the broker did not confirm: alerts/outbox.c), the
 * retained status with a last will of "offline", the track picture (QoS 0,
 * at most once a second) and, once at start, the zones as GeoJSON
 * (retained, for displays: docs/web.md).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "alerts/cue.h"
#include "alerts/dispatch.h"
#include "alerts/cot.h"
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
    struct bf_outbox *outbox;         /* alerts never lost (docs/alerts.md); NULL: no journal/MQTT */
    char *persist_dir;                /* Paho persistence of mqtt_out, beside the journal */
    bf_time_us last_purge_wall;       /* retention (docs/retention.md), monotonic */
    struct bf_record_writer *record;
    struct bf_cuer *cuer;             /* camera cueing (docs/cueing.md); NULL: off or no camera */
    struct dispatch_units *units;     /* response units (docs/dispatch.md); NULL: off */
    struct bf_cot_out *cot;           /* TAK output (docs/cot.md), NULL: off */
    struct bf_cot_params cot_params;
    char *cot_buf;                    /* BF_COT_EVENT_MAX: one event being formatted */
    uint64_t cot_format_errors;
    bf_time_us cot_units_wall;        /* when our units were last sent as CoT */

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
    /* operators: Paho's thread parses requests into the inbox, the engine thread acts */
    char topic_ack[160];              /* borderfuse/<site>/alerts/ack (and .../ack/+) */
    char topic_result[160];           /* borderfuse/<site>/alerts/result */
    struct bf_audit *audit;           /* NULL: no audit log (not live) */
    pthread_mutex_t ack_mu;           /* guards the inbox */
    struct bf_ack_request *ack_inbox; /* ACK_INBOX, a ring; NULL when not live */
    size_t ack_head, ack_n;
    _Atomic uint64_t ack_requests, ack_accepted, ack_refused, ack_overflow, audit_errors;

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
    if (e->outbox && bf_outbox_put(e->outbox, a->seq, json, len) == 0) {
        /* the outbox sends it, and again until the broker confirmed it */
    } else if (e->mqtt_out) {
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
    if (e->cot && e->cfg->cot.alerts) {   /* best effort, after the guaranteed path */
        int n = bf_cot_alert(a, e->cfg->site, e->sensor_ids, e->cfg->n_sensors, &e->cot_params,
                             e->cot_buf, BF_COT_EVENT_MAX);
        if (n > 0)
            bf_cot_out_send(e->cot, e->cot_buf, (size_t)n, bf_clock_monotonic(NULL));
        else
            e->cot_format_errors++;
    }
    return rc;
}

/* ---- operators: alerts/ack in, alerts/result out (docs/alerts.md) -------- */

#define ACK_INBOX 64            /* requests waiting for the engine thread */
#define ACK_LOG_FIRST 16        /* refusals logged one by one; then at powers of two */

/* Log a refusal readably, without flooding: the first ACK_LOG_FIRST, then 32, 64, ... */
static bool ack_log_refusal(uint64_t n)
{
    return n <= ACK_LOG_FIRST || (n & (n - 1)) == 0;
}

/* The reply on alerts/result and the audit line of one request (any thread). */
static void ack_answer(struct bf_engine *e, const struct bf_ack_request *req,
                       const struct bf_ack_result *res)
{
    char buf[2048];
    int n = bf_ack_reply_json(req, res, buf, sizeof buf);
    if (n > 0 && e->mqtt_out)
        bf_mqtt_publish(e->mqtt_out, e->topic_result, buf, (size_t)n, 1, false);
    if (e->audit && bf_audit_write(e->audit, bf_clock_realtime(NULL), req, res) < 0) {
        uint64_t k = atomic_fetch_add(&e->audit_errors, 1) + 1;
        if ((k & (k - 1)) == 0)
            BF_LOGE("operator", "audit log write failed (%" PRIu64 " so far): %s %s of alert %s "
                    "is not in the audit log", k, req->operator_id[0] ? req->operator_id : "?",
                    req->action_text[0] ? req->action_text : "?",
                    req->alert_id[0] ? req->alert_id : "?");
    }
}

/* A refused request: counted, logged (bounded), answered and audited. */
static void ack_refuse(struct bf_engine *e, const struct bf_ack_request *req,
                       const struct bf_ack_result *res, const char *why)
{
    uint64_t k = atomic_fetch_add(&e->ack_refused, 1) + 1;
    if (ack_log_refusal(k))
        BF_LOGW("operator", "refused %s of alert %s by %s (request %s): %s%s",
                req->action_text[0] ? req->action_text : "(no action)",
                req->alert_id[0] ? req->alert_id : "(no id)",
                req->operator_id[0] ? req->operator_id : "(nobody)",
                req->has_request_id ? req->request_id : "-", why,
                k == ACK_LOG_FIRST ? "; further refusals are counted in status and logged at "
                                     "powers of two" : "");
    ack_answer(e, req, res);
}

/* Paho's thread: a request on alerts/ack or alerts/ack/<operator>.  Parsed here (pure),
 * acted on by the engine thread; a full inbox is refused at once. */
static void on_ack(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct bf_engine *e = ctx;
    size_t blen = strlen(e->topic_ack);
    if (strncmp(topic, e->topic_ack, blen) != 0 || (topic[blen] != '\0' && topic[blen] != '/'))
        return;   /* not ours (cannot happen with our two filters) */
    const char *suffix = topic[blen] == '/' ? topic + blen + 1 : NULL;
    atomic_fetch_add(&e->ack_requests, 1);
    struct bf_ack_request req;
    bf_ack_parse(payload, len, suffix, &req);
    pthread_mutex_lock(&e->ack_mu);
    bool queued = e->ack_n < ACK_INBOX;
    if (queued) {
        e->ack_inbox[(e->ack_head + e->ack_n) % ACK_INBOX] = req;
        e->ack_n++;
    }
    pthread_mutex_unlock(&e->ack_mu);
    if (!queued) {
        atomic_fetch_add(&e->ack_overflow, 1);
        struct bf_ack_result res = {.ok = false, .t_us = BF_TIME_NONE};
        snprintf(res.error, sizeof res.error, "engine busy: %d operator requests waiting; "
                 "send it again", ACK_INBOX);
        ack_refuse(e, &req, &res, res.error);
    }
}

/* Engine thread: act on what the inbox holds. */
static void drain_acks(struct bf_engine *e)
{
    if (!e->ack_inbox)
        return;
    for (;;) {
        struct bf_ack_request req;
        pthread_mutex_lock(&e->ack_mu);
        bool have = e->ack_n > 0;
        if (have) {
            req = e->ack_inbox[e->ack_head];
            e->ack_head = (e->ack_head + 1) % ACK_INBOX;
            e->ack_n--;
        }
        pthread_mutex_unlock(&e->ack_mu);
        if (!have)
            return;
        if (req.error[0]) {
            ack_refuse(e, &req, NULL, req.error);
            continue;
        }
        /* the action's event time: the alert's last change or the engine's time, the later */
        struct bf_ack_result res;
        bf_alerter_act(e->alerter, &req, bf_reorder_released(e->reorder), &res);
        if (!res.ok) {
            ack_refuse(e, &req, &res, res.error);
            continue;
        }
        atomic_fetch_add(&e->ack_accepted, 1);
        /* (the note, free text, is in the audit log, not in this one) */
        BF_LOGI("operator", "%s: %s %s alert %s (track %" PRIu32 ")%s%s -> %s, seq %" PRIu64,
                req.operator_id, bf_ack_action_name(req.action), bf_alert_type_name(res.type),
                req.alert_id, res.track_id, req.unit[0] ? ", unit " : "", req.unit,
                bf_alert_state_name(res.state), res.seq);
        ack_answer(e, &req, &res);
    }
}

/*
 * Open the audit log and subscribe to the operators' topics (live engine
 * only).  The log is --audit, else alerts.audit_log, else "audit.jsonl"
 * beside the journal in effect (so a --journal elsewhere takes it along);
 * none without a journal (tests).
 */
static int open_operators(struct bf_engine *e)
{
    const char *path = e->opt.audit_path ? e->opt.audit_path : e->alert_params.audit_path;
    char beside[1024];
    const char *jp = e->alert_params.journal_path;
    if (!path && jp) {
        const char *slash = strrchr(jp, '/');
        int dl = slash ? (int)(slash - jp + 1) : 0;
        if (snprintf(beside, sizeof beside, "%.*saudit.jsonl", dl, jp) < (int)sizeof beside)
            path = beside;
    }
    e->ack_inbox = calloc(ACK_INBOX, sizeof *e->ack_inbox);
    if (!e->ack_inbox)
        return BF_ENOMEM;
    pthread_mutex_init(&e->ack_mu, NULL);
    if (path) {
        int rc = bf_audit_open(path, &e->audit);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "operator audit log %s cannot be opened (%s): check "
                    "alerts.audit_log or --audit", path, bf_strerror(rc));
            return rc;
        }
        BF_LOGI(ENGINE_LOG, "operator actions: %s and %s/+ answered on %s, audited in %s",
                e->topic_ack, e->topic_ack, e->topic_result, path);
    }
    char filter[200];
    snprintf(filter, sizeof filter, "%s/+", e->topic_ack);
    int rc = bf_mqtt_subscribe(e->mqtt_in, e->topic_ack, 1, on_ack, e);
    if (rc == 0)
        rc = bf_mqtt_subscribe(e->mqtt_in, filter, 1, on_ack, e);
    if (rc < 0)
        BF_LOGE(ENGINE_LOG, "cannot subscribe to %s (%s)", e->topic_ack, bf_strerror(rc));
    return rc;
}

/* After the MQTT connections are gone (no on_ack any more): what the inbox still holds
 * was not acted on; it is audited as refused (nobody can be answered now). */
static void close_operators(struct bf_engine *e)
{
    if (!e->ack_inbox)
        return;
    for (; e->ack_n > 0; e->ack_n--, e->ack_head = (e->ack_head + 1) % ACK_INBOX) {
        struct bf_ack_result res = {.ok = false, .t_us = BF_TIME_NONE};
        snprintf(res.error, sizeof res.error, "engine stopped before acting on it; send it again");
        if (e->audit)
            bf_audit_write(e->audit, bf_clock_realtime(NULL), &e->ack_inbox[e->ack_head], &res);
    }
    bf_audit_close(e->audit);
    e->audit = NULL;
    pthread_mutex_destroy(&e->ack_mu);
    free(e->ack_inbox);
    e->ack_inbox = NULL;
}

/* Status: "operators": requests, accepted, refused, ... */
static void status_operators(struct bf_engine *e, cJSON *root, const struct bf_alerter_stats *as)
{
    cJSON *o = cJSON_AddObjectToObject(root, "operators");
    cJSON_AddNumberToObject(o, "requests", (double)atomic_load(&e->ack_requests));
    cJSON_AddNumberToObject(o, "accepted", (double)atomic_load(&e->ack_accepted));
    cJSON_AddNumberToObject(o, "refused", (double)atomic_load(&e->ack_refused));
    cJSON_AddNumberToObject(o, "inbox_overflow", (double)atomic_load(&e->ack_overflow));
    cJSON_AddNumberToObject(o, "audit_errors", (double)atomic_load(&e->audit_errors));
    cJSON_AddNumberToObject(o, "false_alarms", (double)as->false_alarms);
    cJSON_AddNumberToObject(o, "closed_keys", as->closed_keys);
    cJSON_AddNumberToObject(o, "reraise_blocked", (double)as->reraise_blocked);
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

static void status_cue_dispatch(struct bf_engine *e, cJSON *root);   /* cueing, dispatch */

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
    cJSON_AddNumberToObject(al, "suppressed_class", (double)as.suppressed_class);
    cJSON_AddNumberToObject(al, "ugs_trips", (double)as.ugs_trips);
    cJSON_AddNumberToObject(al, "ugs_covered", (double)as.ugs_covered);
    cJSON_AddNumberToObject(al, "journal_errors", (double)as.journal_errors);
    if (e->outbox) {
        struct bf_outbox_stats os;
        bf_outbox_get_stats(e->outbox, &os);
        cJSON *ob = cJSON_AddObjectToObject(al, "outbox");
        cJSON_AddNumberToObject(ob, "backlog", (double)os.backlog);
        cJSON_AddNumberToObject(ob, "delivered_seq", (double)os.delivered_seq);
        cJSON_AddNumberToObject(ob, "recovered", (double)os.recovered);
        cJSON_AddNumberToObject(ob, "sent", (double)os.sent);
        cJSON_AddNumberToObject(ob, "resent", (double)os.resent);
        cJSON_AddNumberToObject(ob, "acked", (double)os.acked);
        cJSON_AddNumberToObject(ob, "refused", (double)os.refused);
        cJSON_AddNumberToObject(ob, "read_errors", (double)os.read_errors);
    }
    status_cue_dispatch(e, root);
    if (e->cot) {
        struct bf_cot_out_stats cs;
        bf_cot_out_get_stats(e->cot, &cs);
        cJSON *co = cJSON_AddObjectToObject(root, "cot");
        cJSON_AddNumberToObject(co, "udp_sent", (double)cs.udp_sent);
        cJSON_AddNumberToObject(co, "udp_dropped", (double)cs.udp_dropped);
        cJSON_AddBoolToObject(co, "tcp_connected", cs.tcp_connected);
        cJSON_AddNumberToObject(co, "tcp_sent", (double)cs.tcp_sent);
        cJSON_AddNumberToObject(co, "tcp_dropped", (double)cs.tcp_dropped);
        cJSON_AddNumberToObject(co, "tcp_connects", (double)cs.tcp_connects);
        cJSON_AddNumberToObject(co, "tcp_disconnects", (double)cs.tcp_disconnects);
        cJSON_AddNumberToObject(co, "format_errors", (double)e->cot_format_errors);
    }
    status_operators(e, root, &as);
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
    bf_time_format_iso(bf_clock_realtime(NULL), ts, sizeof ts);
    cJSON_AddStringToObject(root, "published", ts);   /* wall time: the picture's age */
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
        double conf = bf_alert_track_confidence(t);
        cJSON_AddNumberToObject(o, "confidence", round(conf * 1000) / 1000);
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

/*
 * borderfuse/<site>/zones, retained: the configured zones as a GeoJSON
 * FeatureCollection for displays (the operator page), each feature with the
 * properties id, name, kind, severity and, for a border line, our_side
 * ("left"/"right").  Read from the zones file, which bf_geo_zones_load() has
 * already checked; a feature the loader does not know is left out.
 */
static void publish_zones(struct bf_engine *e)
{
    struct bf_diag diag = {0};
    struct bf_json_doc *doc = NULL;
    if (!e->mqtt_out || bf_json_doc_load(e->cfg->zones_path, &doc, &diag) < 0) {
        bf_json_doc_destroy(doc);
        return;
    }
    const cJSON *features = cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(doc), "features");
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "type", "FeatureCollection");
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    cJSON *out = cJSON_AddArrayToObject(root, "features");
    const cJSON *f;
    cJSON_ArrayForEach(f, features) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(f, "properties");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(props, "id");
        if (!cJSON_IsString(id))
            id = cJSON_GetObjectItemCaseSensitive(f, "id");
        int idx = cJSON_IsString(id) ? bf_geo_zone_find(e->zones, id->valuestring) : -1;
        const cJSON *geom = cJSON_GetObjectItemCaseSensitive(f, "geometry");
        if (idx < 0 || !cJSON_IsObject(geom))
            continue;
        const struct bf_zone_info *zi = bf_geo_zone_info(e->zones, (size_t)idx);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "Feature");
        cJSON *p = cJSON_AddObjectToObject(o, "properties");
        cJSON_AddStringToObject(p, "id", zi->id);
        cJSON_AddStringToObject(p, "name", zi->name);
        cJSON_AddStringToObject(p, "kind", bf_zone_kind_name(zi->kind));
        cJSON_AddNumberToObject(p, "severity", zi->severity);
        if (zi->kind == BF_ZONE_BORDER_LINE)
            cJSON_AddStringToObject(p, "our_side", zi->our_side > 0 ? "left" : "right");
        cJSON_AddItemToObject(o, "geometry", cJSON_Duplicate(geom, true));
        cJSON_AddItemToArray(out, o);
    }
    bf_json_doc_destroy(doc);
    char topic[200];
    snprintf(topic, sizeof topic, "borderfuse/%s/zones", e->cfg->site);
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, topic, txt, strlen(txt), 1, true);
        free(txt);
    }
}

static void cot_units(struct bf_engine *e, bf_time_us now);

/* The track picture as CoT, one event per confirmed or coasting track (docs/cot.md). */
static void cot_tracks(struct bf_engine *e, bf_time_us now)
{
    if (!e->cot || !e->cfg->cot.tracks)
        return;
    size_t n = bf_tracker_tracks(e->tracker, e->trackbuf, e->cfg->tracker.max_tracks);
    for (size_t i = 0; i < n; i++) {
        const struct bf_track *t = e->trackbuf[i];
        if (t->status != BF_TRACK_CONFIRMED && t->status != BF_TRACK_COASTING)
            continue;
        int k = bf_cot_track(t, e->cfg->site, e->frame, e->sensor_ids, e->cfg->n_sensors,
                             &e->cot_params, e->cot_buf, BF_COT_EVENT_MAX);
        if (k > 0)
            bf_cot_out_send(e->cot, e->cot_buf, (size_t)k, now);
        else
            e->cot_format_errors++;
    }
}

/* ---- camera cueing and dispatch (docs/cueing.md, docs/dispatch.md) ----- */

/* The response units heard on borderfuse/<site>/units/+: written on Paho's
 * thread, read on the engine thread, under mu.  Bounded by max_units. */
struct dispatch_units {
    pthread_mutex_t mu;
    struct bf_dispatch_unit *v;      /* max_units, in arrival order */
    size_t n, cap;
    uint64_t messages, malformed, removed, full;
    struct bf_dispatch_unit *snap;   /* engine thread: a copy taken per alert */
    struct bf_dispatch_cand *cands;  /* engine thread: scratch for bf_dispatch_fill */
};

static void on_unit_msg(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct bf_engine *e = ctx;
    struct dispatch_units *u = e->units;
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

/* borderfuse/<site>/cameras/<id>/cue, QoS 1, not retained (docs/cueing.md). */
static void publish_cue(void *ctx, const struct bf_cue_cmd *c)
{
    struct bf_engine *e = ctx;
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

static bool unit_busy(void *ctx, const char *unit_id)
{
    struct bf_engine *e = ctx;
    return bf_alerter_unit_assigned(e->alerter, unit_id);
}

/* The alerter's hook, just before an alert is formatted: its camera and units. */
static void enrich_alert(void *ctx, struct bf_alert *a)
{
    struct bf_engine *e = ctx;
    if (e->cuer)
        a->camera_idx = bf_cuer_on_alert(e->cuer, a);
    if (e->units) {
        struct dispatch_units *u = e->units;
        pthread_mutex_lock(&u->mu);
        size_t n = u->n;
        memcpy(u->snap, u->v, n * sizeof *u->v);
        pthread_mutex_unlock(&u->mu);
        bf_dispatch_fill(&e->cfg->dispatch, e->frame, u->snap, n, u->cands, unit_busy, e, a);
    }
}

/* The cuer follows the tracks one scan changed (after their alerts). */
static void cue_changes(struct bf_engine *e)
{
    if (!e->cuer)
        return;
    const struct bf_track_change *ch;
    size_t n = bf_tracker_changes(e->tracker, &ch);
    for (size_t i = 0; i < n; i++)
        bf_cuer_on_track(e->cuer, ch[i].track, ch[i].what);
}

/* The cameras (sensors of type "camera") with their cueing overrides; the cuer. */
static int open_cueing(struct bf_engine *e)
{
    const struct bf_config *c = e->cfg;
    if (!c->cueing.enabled)
        return 0;
    struct bf_cue_camera *cams = calloc(c->n_sensors ? c->n_sensors : 1, sizeof *cams);
    if (!cams)
        return BF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < c->n_sensors; i++) {
        const struct bf_sensor_cfg *sc = &c->sensors[i];
        if (!sc->type || strcmp(sc->type, "camera") != 0)
            continue;
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
        struct bf_cue_camera *m = &cams[n++];
        *m = (struct bf_cue_camera){
            .id = sc->id, .sensor_idx = (uint32_t)i, .e_m = e->sensors[i].scfg.e_m,
            .n_m = e->sensors[i].scfg.n_m, .height_m = sc->height_m, .convergence_rad = gamma,
            .zero_deg = zero,
            .pan_limited = o && !isnan(o->pan_min_deg) && !isnan(o->pan_max_deg),
            .pan_min_deg = o ? o->pan_min_deg : NAN, .pan_max_deg = o ? o->pan_max_deg : NAN,
            .max_range_m = o && !isnan(o->max_range_m) ? o->max_range_m : c->cueing.max_range_m,
            .fov_min_deg = o && !isnan(o->fov_min_deg) ? o->fov_min_deg : c->cueing.fov_min_deg,
            .fov_max_deg = o && !isnan(o->fov_max_deg) ? o->fov_max_deg : c->cueing.fov_max_deg,
        };
    }
    int rc = 0;
    if (n > 0) {
        struct bf_cue_sink sink = {.publish = publish_cue, .ctx = e};
        rc = bf_cuer_create(&c->cueing, cams, n, e->frame, &sink, &e->cuer);
        if (rc < 0)
            BF_LOGE(ENGINE_LOG, "cueing: cannot start (%s)", bf_strerror(rc));
        else
            BF_LOGI(ENGINE_LOG, "cueing: %zu camera%s on borderfuse/%s/cameras/<id>/cue", n,
                    n == 1 ? "" : "s", c->site);
    }
    free(cams);
    return rc;
}

/* Our response units as friendly CoT, once a second (docs/cot.md); engine thread. */
static void cot_units(struct bf_engine *e, bf_time_us now)
{
    struct dispatch_units *u = e->units;
    if (!e->cot || !e->cfg->cot.units || !u)
        return;
    pthread_mutex_lock(&u->mu);
    size_t n = u->n;
    memcpy(u->snap, u->v, n * sizeof *u->v);
    pthread_mutex_unlock(&u->mu);
    for (size_t i = 0; i < n; i++) {
        int k = bf_cot_unit(e->cfg->site, u->snap[i].id, u->snap[i].lat_deg, u->snap[i].lon_deg,
                            u->snap[i].t_us, &e->cot_params, e->cot_buf, BF_COT_EVENT_MAX);
        if (k > 0)
            bf_cot_out_send(e->cot, e->cot_buf, (size_t)k, now);
        else
            e->cot_format_errors++;
    }
}

/* The units table and its subscription (live only). */
static int open_dispatch(struct bf_engine *e)
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
    e->units = u;
    if (!u->v || !u->snap || !u->cands)
        return BF_ENOMEM;
    char filter[200];
    snprintf(filter, sizeof filter, "borderfuse/%s/units/+", c->site);
    return bf_mqtt_subscribe(e->mqtt_in, filter, 0, on_unit_msg, e);
}

static int open_cue_dispatch(struct bf_engine *e)
{
    int rc = open_cueing(e);
    if (rc == 0)
        rc = open_dispatch(e);
    if (rc == 0 && (e->cuer || e->units))
        bf_alerter_set_enrich(e->alerter, enrich_alert, e);
    return rc;
}

/* After the ingest connection is gone (no callback runs any more). */
static void close_cue_dispatch(struct bf_engine *e)
{
    bf_cuer_destroy(e->cuer);
    e->cuer = NULL;
    if (e->units) {
        pthread_mutex_destroy(&e->units->mu);
        free(e->units->v);
        free(e->units->snap);
        free(e->units->cands);
        free(e->units);
        e->units = NULL;
    }
}

/* Status: {"cueing": {...}, "dispatch": {...}}. */
static void status_cue_dispatch(struct bf_engine *e, cJSON *root)
{
    if (e->cuer) {
        struct bf_cuer_stats cs;
        bf_cuer_get_stats(e->cuer, &cs);
        cJSON *o = cJSON_AddObjectToObject(root, "cueing");
        cJSON_AddNumberToObject(o, "cameras_busy", cs.busy);
        cJSON_AddNumberToObject(o, "cues", (double)cs.cues);
        cJSON_AddNumberToObject(o, "releases", (double)cs.releases);
        cJSON_AddNumberToObject(o, "held", (double)cs.held);
        cJSON_AddNumberToObject(o, "preempted", (double)cs.preempted);
        cJSON_AddNumberToObject(o, "uncovered", (double)cs.uncovered);
    }
    if (e->units) {
        struct dispatch_units *u = e->units;
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

/*
 * A ground sensor's scan, after the tracker took it: each trip (presence or
 * bearing) goes to the alerter with the live tracks, which raises
 * UGS_TRIGGER where no track covers the sensor (docs/alerts.md).
 */
static void feed_ugs(struct bf_engine *e)
{
    if (e->scan_n == 0 || e->scan_sensor >= e->cfg->n_sensors ||
        strcmp(e->cfg->sensors[e->scan_sensor].type, "ugs") != 0)
        return;
    size_t nt = bf_tracker_tracks(e->tracker, e->trackbuf, e->cfg->tracker.max_tracks);
    if (nt > e->cfg->tracker.max_tracks)
        nt = e->cfg->tracker.max_tracks;
    for (size_t i = 0; i < e->scan_n; i++)
        bf_alerter_on_ugs(e->alerter, &e->scanbuf[i], e->cfg->sensors[e->scan_sensor].range_m,
                          e->trackbuf, nt);
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
            feed_ugs(e);
            cue_changes(e);
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

/* Retention (docs/retention.md): closed alerts older than retention_days leave the journal. */
static void purge_journal(struct bf_engine *e, bf_time_us now_mono)
{
    e->last_purge_wall = now_mono;
    double days = e->alert_params.retention_days;
    if (!e->outbox || !(days > 0))
        return;
    bf_time_us cutoff = bf_clock_realtime(NULL) - bf_time_from_s(days * 86400.0);
    struct bf_purge_stats ps;
    if (bf_outbox_purge(e->outbox, e->alerter, cutoff, &ps) == 0 && ps.lines_purged > 0)
        BF_LOGI(ENGINE_LOG, "retention: %llu journal lines older than %g days purged, %llu kept",
                (unsigned long long)ps.lines_purged, days, (unsigned long long)ps.lines_kept);
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
    drain_acks(e);    /* operators act on the alerts as they stand after this release */
    /* the picture at most once a second, and once more after the last change:
     * what the operator sees is never older than the last detection */
    if (released > 0)
        e->tracks_dirty = true;
    if (e->tracks_dirty && live && now - e->last_tracks_wall >= TRACKS_PERIOD_US) {
        e->tracks_dirty = false;
        publish_tracks(e);
        cot_tracks(e, now);
        e->last_tracks_wall = now;
    }
    if (live)
        check_silence_wall(e, now);
    if (e->outbox) {
        bf_outbox_pump(e->outbox, now);
        if (now - e->last_purge_wall >= 3600 * BF_US_PER_S)
            purge_journal(e, now);
    }
    if (e->cot) {
        bf_cot_out_poll(e->cot, now);
        if (now - e->cot_units_wall >= TRACKS_PERIOD_US) {
            cot_units(e, now);
            e->cot_units_wall = now;
        }
    }
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
    struct bf_mqtt_credentials cred = {0};   /* wiped below; never logged */
    if (c->mqtt.credentials_path) {
        char err[512];
        int rc = bf_mqtt_credentials_read(c->mqtt.credentials_path, &cred, err, sizeof err);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "%s", err);
            return rc;
        }
        user = cred.username;
        pass = cred.password;
    }
    const char *url = e->opt.mqtt_url ? e->opt.mqtt_url : c->mqtt.url;
    char id_in[160];
    snprintf(id_in, sizeof id_in, "%s-in", c->mqtt.client_id);
    const char *offline = "{\"state\":\"offline\"}";
    struct bf_mqtt_options in = {
        .url = url, .client_id = id_in, .username = user, .password = pass,
        .keepalive_s = c->mqtt.keepalive_s, .clean_session = true,
    };
    in.tls = (struct bf_mqtt_tls){
        .ca_file = c->mqtt.tls.ca_file, .cert_file = c->mqtt.tls.cert_file,
        .key_file = c->mqtt.tls.key_file, .key_password = cred.key_password,
        .no_hostname_check = !c->mqtt.tls.verify_hostname,
    };
    struct bf_mqtt_options outo = in;
    outo.client_id = c->mqtt.client_id;
    outo.will_topic = e->topic_status;
    outo.will_payload = offline;
    outo.will_qos = 1;
    outo.will_retain = true;
    if (e->outbox) {   /* docs/alerts.md, Delivery */
        /* clean session kept: Paho 1.3.12 resending its own in-flight messages
         * of a persistent session after a reconnect reads freed memory (ASan,
         * tests/integration/test_noloss.c); the outbox resends them anyway */
        outo.clean_session = true;
        outo.persist_dir = e->persist_dir;
        outo.on_connection = bf_outbox_on_connection;
        outo.on_acked = bf_outbox_on_acked;
        outo.ctx = e->outbox;
    }
    int rc = bf_mqtt_create(&in, &e->mqtt_in);
    if (rc == 0)
        rc = bf_mqtt_create(&outo, &e->mqtt_out);
    if (rc == 0 && e->outbox)
        bf_outbox_attach(e->outbox, e->mqtt_out, e->topic_alerts);
    bf_mqtt_credentials_clear(&cred);
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
    snprintf(e->topic_ack, sizeof e->topic_ack, "borderfuse/%s/alerts/ack", cfg->site);
    snprintf(e->topic_result, sizeof e->topic_result, "borderfuse/%s/alerts/result", cfg->site);
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
    {   /* sensors of one type are one kind for the confidence (docs/alerts.md) */
        const char *kinds[BF_MAX_SENSORS];
        for (size_t i = 0; i < ns && i < BF_MAX_SENSORS; i++)
            kinds[i] = cfg->sensors[i].type;
        bf_alerter_set_sensor_kinds(e->alerter, kinds, ns < BF_MAX_SENSORS ? ns : BF_MAX_SENSORS);
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
    if (!e->opt.no_mqtt && e->alert_params.journal_path) {
        /* the outbox over the journal; Paho keeps its in-flight messages beside it */
        rc = bf_outbox_open(e->alert_params.journal_path, e->alert_params.resend_window_s,
                            &e->outbox);
        size_t pl = strlen(e->alert_params.journal_path);
        e->persist_dir = rc == 0 ? malloc(pl + sizeof ".mqtt") : NULL;
        if (rc == 0 && !e->persist_dir)
            rc = BF_ENOMEM;
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "alerts: cannot open the outbox over %s (%s)",
                    e->alert_params.journal_path, bf_strerror(rc));
            goto out_fail;
        }
        memcpy(e->persist_dir, e->alert_params.journal_path, pl);
        memcpy(e->persist_dir + pl, ".mqtt", sizeof ".mqtt");
        purge_journal(e, bf_clock_monotonic(NULL));
    }
    if (!e->opt.no_mqtt) {
        rc = open_mqtt(e);
        if (rc < 0)
            goto out_fail;
        publish_status(e, "online");
        e->last_status_wall = bf_clock_monotonic(NULL);
        publish_zones(e);
        rc = open_operators(e);
        if (rc < 0)
            goto out_fail;
    }
    if (cfg->cot.enabled && !e->opt.no_mqtt) {   /* live only: its back-off reads the clock */
        bf_cot_params_default(&e->cot_params);
        e->cot_params.stale_s = cfg->cot.stale_s;
        e->cot_params.alert_stale_s = e->alert_params.resolve_after_s;
        snprintf(e->cot_params.alert_type, sizeof e->cot_params.alert_type, "%s",
                 cfg->cot.alert_type);
        struct bf_cot_out_options co = {
            .udp = cfg->cot.udp, .tcp = cfg->cot.tcp, .ttl = cfg->cot.ttl,
            .loopback = cfg->cot.loopback,
        };
        e->cot_buf = malloc(BF_COT_EVENT_MAX);
        rc = e->cot_buf ? bf_cot_out_create(&co, &e->cot, err, sizeof err) : BF_ENOMEM;
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "cot: %s", e->cot_buf ? err : "out of memory");
            goto out_fail;
        }
        BF_LOGI(ENGINE_LOG, "CoT: udp %s, tcp %s", cfg->cot.udp ? cfg->cot.udp : "off",
                cfg->cot.tcp ? cfg->cot.tcp : "off");
    }
    rc = open_cue_dispatch(e);
    if (rc < 0)
        goto out_fail;
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
        /* Waiting only makes sense with a broker to answer: a stop must stay quick. */
        bool up = bf_mqtt_is_connected(e->mqtt_out);
        struct bf_outbox_stats os = {0};
        if (e->outbox)
            bf_outbox_get_stats(e->outbox, &os);
        if (e->outbox && (up ? bf_outbox_drain(e->outbox, 2000) < 0 : os.backlog > 0))
            BF_LOGW(ENGINE_LOG, "stopping with alerts not yet confirmed by the broker; they are "
                    "sent again on the next start");
        if (up) {
            publish_status(e, "offline");
            bf_mqtt_flush(e->mqtt_out, 2000);
        }
        bf_mqtt_destroy(e->mqtt_out);
    }
    bf_outbox_close(e->outbox);   /* after the client: no callback reaches it any more */
    if (e->persist_dir)
        rmdir(e->persist_dir);    /* Paho leaves it empty when all was delivered */
    free(e->persist_dir);
    close_operators(e);   /* after mqtt_in: no request arrives any more */
    bf_alerter_destroy(e->alerter);
    close_cue_dispatch(e);
    bf_cot_out_destroy(e->cot);
    free(e->cot_buf);
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
