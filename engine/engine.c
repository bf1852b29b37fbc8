/*
 * engine.c - the borderfuse engine: sensors in, alerts out.
 *
 * The engine owns everything with state and composes the pipeline of
 * docs/architecture.md on one thread:
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
 * Hostile input (docs/engine.md): a detection from the future is refused
 * before the reorder window, whose watermark follows the quorum of the
 * sensors' own times, so no single sensor moves the site's event time; every
 * turn of the loop releases a bounded amount (step_max_detections,
 * step_budget_ms) so the status, the timers and a stop are always serviced;
 * a stop tracks what is queued for a second at most.
 *
 * Recording (docs/replay.md): with options.record_path, every detection the
 * engine thread takes from the ingest queue is written to the record before
 * it enters the reorder window - the queue's order is the arrival order, the
 * writing happens on the engine thread (the MQTT threads never wait on the
 * disk), and a replay of the record through bf_engine_feed() gives the same
 * tracks and alerts as the live run (bar the idle flush and shed detections).
 *
 * MQTT (every topic: docs/engine.md): an ingest connection carries the
 * sensors' subscriptions, the operators' requests and the response units'
 * reports; an output connection publishes alerts (QoS 1, through the outbox
 * over the journal, which sends again what the broker did not confirm:
 * delivery/outbox.c), the retained snapshot of the live alerts (at most once a
 * second), the answers to operators, the retained status with a last will of
 * "offline", the track picture (QoS 0, at most once a second), camera cues
 * and, once at start, the zones and the sensors' coverage as GeoJSON
 * (retained, for displays: docs/web.md, docs/coverage.md).
 *
 * The periodic chores (the status, the picture, silence, retention, ...) are
 * one timer table (engine/timers.h, add_timers() below): event-time tasks
 * run at the event times the pipeline reaches, wall-clock tasks (live only)
 * after each turn's release, and the loop waits for input until the nearest
 * one is due.
 *
 * The engine's files (engine/engine_int.h holds struct bf_engine): this one
 * builds the engine in named stages, runs the pipeline and stops it;
 * engine_sensors.c is the sensors' side (plugin host, plugins, moving
 * platforms, silence); engine_alerts.c the alerts' (sink, retention, the
 * journal's watch); and the seams, each with its own state: engine_live.c
 * the live snapshot; engine_operators.c the operators' requests;
 * engine_outputs.c the status, track picture and zones; engine_cot.c CoT
 * to TAK; engine_service.c systemd and the metrics figures.
 * engine_dispatch.c does camera cueing and response units.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "mqtt/mqtt.h"
#include "engine/config.h"
#include "engine/engine_int.h"
#include "engine/engine.h"
#include "engine/ingest.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

#define POP_BATCH 1024
#define RELEASE_BATCH 4096
#define STOP_BUDGET_MS 1000   /* a clean stop tracks what is queued for this long at most */
#define LOOP_WAIT_MS 100      /* the longest wait for input: a stop or a reload is seen this soon */
#define ANNOUNCE_WAIT_MS 2000 /* the longest wait for the broker's answers to the subscriptions */
#define TIMERS_MAX 16         /* tasks in the timer table */
#define SILENCE_WALL_US (100 * BF_US_PER_MS)   /* the wall-clock silence check's period */
#define RETENTION_US (3600 * BF_US_PER_S)      /* retention purges every hour */

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

/*
 * A ground sensor's scan, after the tracker took it: each trip (presence or
 * bearing) goes to the alerter with the live tracks, which raises
 * UGS_TRIGGER where no track covers the sensor (docs/alerts.md).
 */
static void feed_ugs(struct bf_engine *e)
{
    const struct sensor_slot *ss = bf_eng_sensor(e, e->scan_sensor);
    if (e->scan_n == 0 || !ss || strcmp(ss->sc->type, "ugs") != 0)
        return;
    size_t nt = bf_tracker_tracks(e->tracker, e->trackbuf, e->cfg->tracker.max_tracks);
    if (nt > e->cfg->tracker.max_tracks)
        nt = e->cfg->tracker.max_tracks;
    for (size_t i = 0; i < e->scan_n; i++)
        bf_alerter_on_ugs(e->alerter, &e->scanbuf[i], ss->sc->range_m,
                          e->trackbuf, nt);
}

/* Hand the gathered scan to the tracker, then the geofence and alert stages. */
static void finish_scan(struct bf_engine *e)
{
    if (!e->scan_open)
        return;
    /* a moving sensor looked from where its scan was placed (take_input) */
    const struct sensor_slot *ss = bf_eng_sensor(e, e->scan_sensor);
    if (ss && ss->plat && e->scan_placed) {
        bf_tracker_move_sensor(e->tracker, e->scan_sensor, e->scan_e_m, e->scan_n_m);
        bf_coverage_move_sensor(e->coverage, e->scan_sensor, e->scan_e_m, e->scan_n_m);
    }
    /* A scan marker says the sensor looked: an empty look still counts misses. */
    if (e->scan_n > 0 || e->scan_marker) {
        bf_eng_clutter_scan(e, e->scan_sensor, e->scan_t);
        bf_time_us t0 = bf_eng_service_now(e);   /* the scan-duration histogram */
        if (bf_tracker_scan(e->tracker, e->scan_sensor, e->scan_t, e->scanbuf, e->scan_n) == 0) {
            e->scans++;
            bf_eng_check_pool(e);
            if (e->opt.track_tap) {
                const struct bf_track_change *ch;
                size_t nch = bf_tracker_changes(e->tracker, &ch);
                e->opt.track_tap->scan(e->opt.track_tap->ctx, e->scan_sensor, e->scan_t, ch, nch);
            }
            evaluate_changes(e);
            feed_ugs(e);
            bf_eng_cue_changes(e);
            /* Idle alerts resolve by event time, scan by scan: never by how the
             * input was batched (docs/replay.md). */
            bf_alerter_tick(e->alerter, e->scan_t);
            bf_eng_timers_run(e->timers, BF_ENG_CLOCK_EVENT, e->scan_t);   /* the silence check */
            bf_eng_service_scan(e, t0);
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
        const struct sensor_slot *ss = bf_eng_sensor(e, d[i].sensor_idx);
        if (!ss)
            continue;   /* its sensor was removed while it waited in the window */
        if (e->first_evt == BF_TIME_NONE)
            e->first_evt = d[i].t_us;
        bf_eng_sensor_alive(e, d[i].sensor_idx, d[i].t_us);
        if (d[i].kind == BF_MEAS_HEARTBEAT) {   /* alive, nothing to track: no scan */
            bf_eng_timers_run(e->timers, BF_ENG_CLOCK_EVENT, d[i].t_us);
            continue;
        }
        if (e->scan_open && (d[i].t_us != e->scan_t || d[i].sensor_idx != e->scan_sensor))
            finish_scan(e);
        if (!e->scan_open) {
            e->scan_open = true;
            e->scan_t = d[i].t_us;
            e->scan_sensor = d[i].sensor_idx;
        }
        if (!e->scan_placed && ss->plat) {
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
    bf_time_us wall = e->clock.now && got > 0 ? bf_clock_now(&e->clock) : 0;
    for (size_t i = 0; i < got; i++) {
        if (in[i].rx_us == 0)
            in[i].rx_us = wall;   /* a receipt stamp for the record, so a replay judges alike */
        struct sensor_slot *ss = bf_eng_sensor(e, in[i].sensor_idx);
        if (!ss)
            continue;   /* its sensor was removed while it waited in the queue */
        ss->alive_wall = now;
        /* a mobile sensor's detections get its position at their time; the
         * record holds them placed, so a replay needs no GPS */
        if (ss->plat && in[i].kind != BF_MEAS_HEARTBEAT &&
            !bf_eng_place_on_platform(e, &in[i], ss->plat)) {
            if (in[i].kind == BF_MEAS_SCAN)
                continue;   /* a look from nowhere known: nothing to count misses against */
            if (ss->no_platform_fix++ == 0)
                BF_LOGW("sensor", "%s: detection at a time platform %s has no recent fix for: "
                        "dropped (counted as no_platform_fix in its status)", ss->id,
                        ss->plat->id);
            continue;
        }
        if (e->record)
            bf_record_writer_put(e->record, &in[i]);
        if (bf_eng_future_refused(e, &in[i]))
            continue;   /* from the future: counted, logged, its sensor flagged */
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
            ss->late++;
            if (e->late == 1 || (e->late & (e->late - 1)) == 0)
                BF_LOGW(ENGINE_LOG, "detection from %s at event time older than the reorder "
                        "window dropped (%llu so far; see status)",
                        ss->id, (unsigned long long)e->late);
        }
    }
    return released;
}

size_t bf_engine_step(struct bf_engine *e, int timeout_ms, bool flush)
{
    /* Drain the queue (bounded, so a flood cannot keep the loop here for ever). */
    size_t got = bf_ingest_queue_pop(e->queue, e->inbuf, POP_BATCH, timeout_ms);
    bf_eng_dispatch_step(e);   /* the enrichment's snapshot, before the rules run */
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
    /* Bounded work per turn: at most step_max_detections released, and (live) no more
     * than step_budget_ms of wall time, so the status, the picture, the timers and a
     * stop are serviced however deep the backlog; the rest goes next turn. */
    bool cap = !flush || e->stopping;
    size_t left = e->cfg->engine.step_max_detections;
    bf_time_us budget_end = live ? now + bf_time_from_s(e->cfg->engine.step_budget_ms / 1e3)
                                 : BF_TIME_NONE;
    if (e->stopping && e->stop_deadline < budget_end)
        budget_end = e->stop_deadline;
    e->capped = false;
    for (;;) {
        size_t want = cap && left < RELEASE_BATCH ? left : RELEASE_BATCH;
        if (want == 0) {
            e->capped = true;
            break;
        }
        size_t k = bf_reorder_pop(e->reorder, flush || idle, e->relbuf, want);
        if (k == 0)
            break;
        process_released(e, e->relbuf, k);
        released += k;
        left -= cap ? k : 0;
        if (cap && live && bf_clock_monotonic(NULL) > budget_end) {
            e->capped = true;
            break;
        }
    }
    /* The release stopped: every scan released so far is complete.  Not when it was
     * cut short - the scan being gathered may go on next turn, so the scans the
     * tracker sees never depend on where a turn ended. */
    if (!e->capped)
        finish_scan(e);
    bf_eng_check_ingest(e, e->clock.now ? bf_clock_now(&e->clock) : BF_TIME_NONE);
    /* operators act on the alerts as they stand after this release */
    bf_eng_operators_step(e->operators, bf_reorder_released(e->reorder));
    if (released > 0)
        bf_eng_outputs_changed(e->outputs);   /* the track picture is due */
    size_t depth = bf_ingest_queue_depth(e->queue) + bf_reorder_count(e->reorder);
    if (depth > e->depth_peak)
        e->depth_peak = depth;
    if (live) {   /* the chores about the outside world: the timer table's wall tasks */
        now = bf_clock_monotonic(NULL);
        bf_eng_alerts_step(e, now, true);   /* the journal's health, the outbox's pump */
        bf_eng_service_step(e, now);   /* READY, the metrics endpoint's heartbeat */
        bf_eng_timers_run(e->timers, BF_ENG_CLOCK_WALL, now);
        bf_eng_cot_step(e->cot, now);   /* the TAK connection */
    }
    if (flush && e->record)
        bf_record_writer_flush(e->record);
    return released;
}

int bf_engine_run(struct bf_engine *e, volatile int *stop)
{
    BF_LOGI(ENGINE_LOG, "running: site %s, %zu sensors, %zu zones", e->cfg->site,
            bf_eng_sensors_present(e), bf_geo_zones_count(e->zones));
    while (!*stop) {
        if (e->opt.reload && *e->opt.reload) {   /* SIGHUP: between steps, on this thread */
            *e->opt.reload = 0;
            bf_engine_reload(e, NULL);
        }
        /* wait for input until the nearest chore is due (engine/timers.h) */
        int wait = e->capped ? 0 : e->opt.no_mqtt ? LOOP_WAIT_MS
                 : bf_eng_timers_timeout_ms(e->timers, bf_clock_monotonic(NULL), LOOP_WAIT_MS);
        bf_engine_step(e, wait, false);
    }
    /* Clean stop: what the queue still holds is recorded and tracked, then all is
     * flushed - within STOP_BUDGET_MS, so a stop under flood stays prompt; what is
     * left then is dropped, said in the log. */
    e->stopping = true;
    e->stop_deadline = bf_clock_monotonic(NULL) + STOP_BUDGET_MS * BF_US_PER_MS;
    for (;;) {
        bf_engine_step(e, 0, true);
        size_t left = bf_ingest_queue_depth(e->queue) + bf_reorder_count(e->reorder);
        if (left == 0)
            break;
        if (bf_clock_monotonic(NULL) >= e->stop_deadline) {
            BF_LOGW(ENGINE_LOG, "stopping: %zu detections still queued are not tracked (the "
                    "stop is kept under %d ms)", left, STOP_BUDGET_MS);
            break;
        }
    }
    finish_scan(e);
    BF_LOGI(ENGINE_LOG, "stopping");
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
    for (size_t i = 0; i < bf_eng_sensor_count(m); i++) {
        struct sensor_slot *s = bf_eng_sensor(m, i);
        if (!s)
            continue;
        out->unplaced += s->no_platform_fix;
        out->sensors_faulty += s->faulty;
        out->sensors_clock_fault += s->clock_fault;
        out->shed_budget += atomic_load(&s->shed_budget);
        out->clutter_refused += s->clutter_refused;
        out->budget_refused += s->budget_refused;
        for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
            if (k != BF_FAULT_QUEUE_FULL)
                out->malformed += atomic_load(&s->faults[k]);
    }
    out->future = e->future;
    out->unknown_sensor = bf_eng_sensors_unknown(e);
}

const struct bf_tracker *bf_engine_tracker(const struct bf_engine *e) { return e->tracker; }

const struct bf_coverage *bf_engine_coverage(const struct bf_engine *e) { return e->coverage; }

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
    /* two engines of a site must not share a client id (the broker would drop one for the
     * other, again and again): the default gets this host and pid (docs/config.md) */
    if (c->mqtt.client_id_default) {
        char host[64] = "host";
        gethostname(host, sizeof host);
        host[sizeof host - 1] = '\0';
        snprintf(e->client_id, sizeof e->client_id, "%s-%s-%ld", c->mqtt.client_id, host,
                 (long)getpid());
    } else {
        snprintf(e->client_id, sizeof e->client_id, "%s", c->mqtt.client_id);
    }
    char id_in[176];
    snprintf(id_in, sizeof id_in, "%s-in", e->client_id);
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
    outo.client_id = e->client_id;
    outo.will_topic = bf_eng_outputs_status_topic(e->outputs);
    outo.will_payload = offline;
    outo.will_qos = 1;
    outo.will_retain = true;
    bf_eng_alerts_mqtt_options(e, &outo);   /* the outbox's callbacks (docs/alerts.md, Delivery) */
    int rc = bf_mqtt_create(&in, &e->mqtt_in);
    if (rc == 0)
        rc = bf_mqtt_create(&outo, &e->mqtt_out);
    if (rc == 0)
        bf_eng_alerts_attach(e, e->mqtt_out);
    bf_mqtt_credentials_clear(&cred);
    if (rc < 0)
        return rc;
    if (bf_mqtt_wait_connected(e->mqtt_out, 5000) < 0)
        BF_LOGW(ENGINE_LOG, "broker %s not reachable yet; alerts are journaled and buffered, "
                "and sent once it answers", url);
    return 0;
}

/* The local frame and the zones in it. */
static int open_picture(struct bf_engine *e)
{
    const struct bf_config *cfg = e->cfg;
    char err[512] = "";
    int rc = bf_geo_frame_create(cfg->origin_lat_deg, cfg->origin_lon_deg, cfg->crs, &e->frame,
                                 err, sizeof err);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "frame: %s", err);
        return rc;
    }
    struct bf_diag diag = {0};
    return bf_geo_zones_load(cfg->zones_path, e->frame, NULL, &e->zones, &diag);
}

/* The ingest queue and the reorder window with its per-sensor watermarks. */
static int open_queue(struct bf_engine *e)
{
    const struct bf_config *cfg = e->cfg;
    int rc = bf_ingest_queue_create(cfg->engine.queue_capacity, &e->queue);
    if (rc == 0)
        rc = bf_reorder_create(cfg->engine.queue_capacity, cfg->engine.reorder_window_us,
                               &e->reorder);
    if (rc == 0)   /* per-sensor watermarks (docs/engine.md, "Time you can trust") */
        rc = bf_reorder_set_quorum(e->reorder, bf_time_from_s(cfg->engine.idle_flush_s));
    return rc;
}

/*
 * The sensors' slots, their coverage, the ingest budgets, the tracker and the
 * moving platforms (after the queue: the budgets partition it).
 */
static int open_tracker(struct bf_engine *e)
{
    const struct bf_config *cfg = e->cfg;
    size_t ns = cfg->n_sensors;
    struct bf_tracker_sensor *ts = calloc(BF_MAX_SENSORS, sizeof *ts);
    if (!ts)
        return BF_ENOMEM;
    int rc = bf_eng_sensors_create(e, ts);   /* slots, positions, platforms (engine_sensors.c) */
    if (rc < 0) {
        free(ts);
        return rc;
    }
    rc = bf_eng_open_coverage(e, ts);   /* the tracker borrows it for pd_at */
    if (rc == 0)
        rc = bf_eng_open_budgets(e, ts);
    if (rc == 0)
        rc = bf_tracker_create(&cfg->tracker, ts, ns, &e->tracker);
    free(ts);
    if (rc < 0)
        BF_LOGE(ENGINE_LOG, "tracker: %s", bf_strerror(rc));
    return rc;
}

/* The pipeline's buffers: per track slot, one pop, one release, one scan. */
static int alloc_buffers(struct bf_engine *e)
{
    e->geo_cap = e->cfg->tracker.max_tracks;
    e->geo = calloc(e->geo_cap, sizeof *e->geo);
    e->trackbuf = calloc(e->geo_cap, sizeof *e->trackbuf);
    e->inbuf = calloc(POP_BATCH, sizeof *e->inbuf);
    e->relbuf = calloc(RELEASE_BATCH, sizeof *e->relbuf);
    e->scanbuf = calloc(e->cfg->engine.queue_capacity, sizeof *e->scanbuf);
    return e->geo && e->trackbuf && e->inbuf && e->relbuf && e->scanbuf ? 0 : BF_ENOMEM;
}

/* The alerter, its parameters as the options change them, its sink (engine_alerts.c). */
static int open_alerter(struct bf_engine *e)
{
    const struct bf_config *cfg = e->cfg;
    size_t ns = cfg->n_sensors;
    e->alert_params = cfg->alerts;
    if (e->opt.journal_path)
        e->alert_params.journal_path = e->opt.journal_path;
    if (e->opt.no_journal)
        e->alert_params.journal_path = NULL;
    if (e->opt.exercise)
        e->alert_params.exercise = true;
    struct bf_alert_sink sink = {.publish = bf_eng_publish_alert, .ctx = e};
    /* every index a sensor may take: a reload adds sensors (docs/engine.md) */
    int rc = bf_alerter_create(&e->alert_params, cfg->site, e->zones, e->frame,
                               bf_eng_sensor_ids(e), BF_MAX_SENSORS, &sink, &e->alerter);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "alerts: cannot start (%s)", bf_strerror(rc));
        return rc;
    }
    /* sensors of one type are one kind for the confidence (docs/alerts.md) */
    const char *kinds[BF_MAX_SENSORS];
    for (size_t i = 0; i < ns && i < BF_MAX_SENSORS; i++)
        kinds[i] = cfg->sensors[i].type;
    bf_alerter_set_sensor_kinds(e->alerter, kinds, ns < BF_MAX_SENSORS ? ns : BF_MAX_SENSORS);
    return 0;
}

/* With options.record_path: the record of the input (docs/replay.md). */
static int open_record(struct bf_engine *e)
{
    if (!e->opt.record_path)
        return 0;
    int rc = bf_record_writer_open(e->opt.record_path, e->cfg, e->opt.record_notes, &e->record);
    if (rc == 0)
        BF_LOGI(ENGINE_LOG, "recording the input to %s", e->opt.record_path);
    return rc;
}

/*
 * Live only: the MQTT connections, the zones and coverage for displays, the
 * live snapshot and the operators (the audit log's start purge once it is
 * open).
 */
static int open_live(struct bf_engine *e)
{
    if (e->opt.no_mqtt)
        return 0;
    int rc = open_mqtt(e);
    if (rc < 0)
        return rc;
    bf_eng_publish_zones(e);
    bf_eng_publish_coverage(e);
    rc = bf_eng_live_create(e->cfg->site, e->mqtt_out, &e->live);
    if (rc == 0)
        rc = bf_eng_operators_create(e, &e->operators);
    if (rc == 0)
        rc = bf_eng_operators_subscribe(e->operators, e->mqtt_in);
    if (rc < 0)
        return rc;
    if (bf_eng_operators_audit(e->operators))   /* the journal's purge came before it was open */
        bf_eng_purge(e, ENGINE_PURGE_AUDIT);
    return 0;
}

/* ---- the timer table's tasks (engine/timers.h) -------------------------- */

static void task_silence(void *ctx, bf_time_us t_evt)
{
    bf_eng_check_silence(ctx, t_evt);
}

static void task_silence_wall(void *ctx, bf_time_us now)
{
    bf_eng_check_silence_wall(ctx, now);
}

static void task_picture(void *ctx, bf_time_us now)
{
    bf_eng_outputs_step(ctx, now);
}

static void task_journal_retry(void *ctx, bf_time_us now)
{
    (void)now;
    bf_eng_alerts_watch_journal(ctx, true);
}

static void task_retention(void *ctx, bf_time_us now)
{
    (void)now;
    bf_eng_purge(ctx, ENGINE_PURGE_JOURNAL | ENGINE_PURGE_AUDIT);
}

static void task_live(void *ctx, bf_time_us now)
{
    struct bf_engine *e = ctx;
    (void)now;
    bf_eng_live_step(e->live);
}

static void task_cot_units(void *ctx, bf_time_us now)
{
    bf_eng_cot_units(ctx, now);
}

/*
 * Live only, once every sensor is open: the first status, "online", when the
 * broker has answered the subscriptions of the plugins and the operators (at
 * most ANNOUNCE_WAIT_MS), so that a client that waits for it and then sends
 * detections or requests loses none of them.
 */
static int announce(struct bf_engine *e)
{
    if (e->opt.no_mqtt)
        return 0;
    /* not connected: open_mqtt said so, and waited for the broker already */
    if (bf_mqtt_is_connected(e->mqtt_in) &&
        bf_mqtt_wait_subscribed(e->mqtt_in, ANNOUNCE_WAIT_MS) < 0)
        BF_LOGW(ENGINE_LOG, "the broker has not answered every subscription within %d ms; "
                "online all the same (they are made again on every reconnect)", ANNOUNCE_WAIT_MS);
    bf_eng_publish_status(e, "online");
    return 0;
}

/* The status; after a burst, the memory given back first: glibc keeps what the I/O threads'
 * arenas and the plugins' parsers freed (a flood's JSON, Paho's buffers). */
static void task_status(void *ctx, bf_time_us now)
{
    struct bf_engine *e = ctx;
    (void)now;
    if (e->depth_peak > POP_BATCH || e->ingest_alert) {
        malloc_trim(0);
        e->trims++;
    }
    e->depth_peak = bf_ingest_queue_depth(e->queue) + bf_reorder_count(e->reorder);
    bf_eng_publish_status(e, "online");
    if (e->record)
        bf_record_writer_flush(e->record);
}

static void task_watchdog(void *ctx, bf_time_us now)
{
    (void)now;
    bf_eng_service_watchdog(ctx);
}

static void task_metrics(void *ctx, bf_time_us now)
{
    bf_eng_service_snapshot(ctx, now);
}

/*
 * The periodic chores.  On event time (every engine): the silence check, at
 * every event time the pipeline reaches (each scan, each heartbeat), as a
 * replay must see it.  On the monotonic wall clock (live only), each first
 * due at the first turn unless it was just done at start.
 */
static int add_timers(struct bf_engine *e)
{
    struct bf_eng_timers *t = e->timers;
    int rc = bf_eng_timers_add(t, "sensor silence", BF_ENG_CLOCK_EVENT, 0, BF_TIME_NONE,
                               task_silence, e);
    if (e->opt.no_mqtt)
        return rc < 0 ? rc : 0;
    const bf_time_us now = bf_clock_monotonic(NULL), second = BF_US_PER_S;
    const bf_time_us status = bf_time_from_s(e->cfg->engine.status_period_s);
    struct {
        bool on;
        const char *name;
        bf_time_us period, first;
        bf_eng_timer_fn fn;
    } v[] = {
        {true, "track picture", TRACKS_PERIOD_US, BF_TIME_NONE, task_picture},
        {true, "sensor silence (wall)", SILENCE_WALL_US, BF_TIME_NONE, task_silence_wall},
        {true, "journal retry", second, BF_TIME_NONE, task_journal_retry},
        {bf_eng_alerts_outbox(e, NULL) || bf_eng_operators_audit(e->operators), "retention",
         RETENTION_US,
         now + RETENTION_US, task_retention},
        {true, "live snapshot", second, now + second, task_live},
        {e->cot != NULL, "cot units", TRACKS_PERIOD_US, BF_TIME_NONE, task_cot_units},
        {true, "status", status, now + status, task_status},
        {bf_eng_service_watchdog_period(e) > 0, "watchdog", bf_eng_service_watchdog_period(e),
         BF_TIME_NONE, task_watchdog},
        {e->service != NULL, "metrics snapshot", second, BF_TIME_NONE, task_metrics},
    };
    for (size_t i = 0; rc >= 0 && i < sizeof v / sizeof v[0]; i++) {
        if (!v[i].on)
            continue;
        rc = bf_eng_timers_add(t, v[i].name, BF_ENG_CLOCK_WALL, v[i].period, v[i].first,
                               v[i].fn, e);
        if (v[i].fn == task_status)
            e->status_task = rc;   /* a reload may change its period */
    }
    return rc < 0 ? rc : 0;
}

/* What the engine is before any stage: its options, the clock, the outputs, the timer table. */
static int open_base(struct bf_engine *e, const struct bf_engine_options *opt)
{
    bool live = !(opt && opt->no_mqtt);
    if (opt)
        e->opt = *opt;
    if (live)   /* no clock at all without MQTT */
        e->last_input_wall = bf_clock_monotonic(NULL);
    if (e->opt.clock)
        e->clock = *e->opt.clock;
    else if (live)
        e->clock = bf_clock_wall;
    e->first_evt = BF_TIME_NONE;
    e->status_task = -1;
    int rc = bf_eng_outputs_create(e->cfg, live, &e->outputs);
    if (rc == 0)
        rc = bf_eng_timers_create(TIMERS_MAX, &e->timers);
    return rc;
}

int bf_engine_create(const struct bf_config *cfg, const struct bf_engine_options *opt,
                     struct bf_engine **out)
{
    *out = NULL;
    struct bf_engine *e = calloc(1, sizeof *e);
    if (!e)
        return BF_ENOMEM;
    e->cfg = cfg;
    /* in this order: the budgets partition the queue, the tracker borrows the coverage,
     * the outside world comes once the pipeline exists, the chores last */
    static int (*const stages[])(struct bf_engine *) = {
        open_picture, open_queue, open_tracker, alloc_buffers, open_alerter,
        bf_eng_alerts_create, open_record, open_live, bf_eng_cot_create, bf_eng_dispatch_create,
        bf_eng_open_sensors, announce, bf_eng_service_create, add_timers,
    };
    int rc = open_base(e, opt);
    for (size_t i = 0; rc >= 0 && i < sizeof stages / sizeof stages[0]; i++)
        rc = stages[i](e);
    if (rc < 0) {
        bf_engine_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

void bf_engine_destroy(struct bf_engine *e)
{
    if (!e)
        return;
    bf_eng_service_destroy(e);
    /* The ingest connection first: no plugin callback runs after this.  Closing a
     * plugin while Paho's thread may still be in its message callback (a stop
     * under flood) would free the state that callback is using. */
    bf_mqtt_destroy(e->mqtt_in);
    e->mqtt_in = NULL;
    bf_eng_sensors_close(e);
    if (e->mqtt_out) {
        /* Waiting only makes sense with a broker to answer: a stop must stay quick. */
        bool up = bf_mqtt_is_connected(e->mqtt_out);
        bf_eng_alerts_drain(e, up);   /* what the broker has not confirmed yet */
        if (up) {
            bf_eng_live_step(e->live);   /* the last changes, if any */
            bf_eng_publish_status(e, "offline");
            bf_mqtt_flush(e->mqtt_out, 2000);
        }
        bf_mqtt_destroy(e->mqtt_out);
        e->mqtt_out = NULL;
    }
    bf_eng_alerts_close_outbox(e);   /* after the client: no callback reaches it any more */
    bf_eng_operators_destroy(e->operators);   /* after mqtt_in: no request arrives any more */
    bf_alerter_destroy(e->alerter);
    bf_eng_alerts_destroy(e);   /* after the alerter: the journal */
    bf_eng_live_destroy(e->live);   /* after the alerter: its sink keeps the live set */
    bf_eng_outputs_destroy(e->outputs);
    bf_eng_timers_destroy(e->timers);
    bf_eng_dispatch_destroy(e);
    bf_eng_cot_destroy(e);
    if (e->record && bf_record_writer_close(e->record) == 0)
        BF_LOGI(ENGINE_LOG, "recording %s closed", e->opt.record_path);
    bf_reorder_destroy(e->reorder);
    bf_ingest_queue_destroy(e->queue);
    bf_tracker_destroy(e->tracker);
    bf_eng_close_coverage(e);   /* after the tracker: it borrows the coverage */
    bf_geo_zones_destroy(e->zones);
    bf_geo_frame_destroy(e->frame);
    bf_config_destroy(e->reload_cfg);
    free(e->geo);
    free(e->trackbuf);
    free(e->inbuf);
    free(e->relbuf);
    free(e->scanbuf);
    bf_eng_sensors_destroy(e);
    free(e);
}

/* ---- the start-up checks (bf_engine_check) ------------------------------ */

/* The border and every zone's distance to the nearest sensor: a wrong picture is refused. */
static void check_picture(const struct bf_config *cfg, struct bf_geo_frame *frame,
                          struct bf_geo_zones *zones, struct bf_diag *diag)
{
    const cJSON *root = bf_json_doc_root(cfg->doc);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "zones");
    size_t nz = bf_geo_zones_count(zones), borders = 0;
    for (size_t i = 0; i < nz; i++)
        borders += bf_geo_zone_info(zones, i)->kind == BF_ZONE_BORDER_LINE;
    if (borders == 0 && cfg->zones_require_border)
        bf_json_errorf(cfg->doc, diag, at, "the zones file %s has %s: no INCURSION can ever be "
                       "raised; add the border as a LineString feature with \"kind\": "
                       "\"border_line\" and \"our_side\", or set \"zones_require_border\": "
                       "false if this engine only watches areas", cfg->zones_path,
                       nz == 0 ? "no zones at all" : "no border_line zone");
    if (cfg->n_sensors == 0)
        return;
    double se[BF_MAX_SENSORS], sn[BF_MAX_SENSORS];
    size_t ns = 0;
    for (size_t k = 0; k < cfg->n_sensors && ns < BF_MAX_SENSORS; k++)
        if (bf_geo_to_local(frame, cfg->sensors[k].lat_deg, cfg->sensors[k].lon_deg, &se[ns],
                            &sn[ns]) == 0)
            ns++;
    for (size_t i = 0; i < nz && ns > 0; i++) {
        double best = INFINITY;
        size_t best_k = 0;
        for (size_t k = 0; k < ns; k++) {
            double d = bf_geo_zone_distance(zones, i, se[k], sn[k]);
            if (d < best) {
                best = d;
                best_k = k;
            }
        }
        if (!(best <= cfg->zones_max_distance_m)) {
            const struct bf_zone_info *zi = bf_geo_zone_info(zones, i);
            bf_json_errorf(cfg->doc, diag, at, "zone \"%s\" (%s, features[%zu] of %s) is %.1f km "
                           "from the nearest sensor (%s), more than zones_max_distance_m "
                           "(%.1f km): wrong coordinates (lat/lon swapped? another site's file?) "
                           "or a wrong origin; fix the zone or the sensors, or raise "
                           "\"zones_max_distance_m\"", zi->id, bf_zone_kind_name(zi->kind), i,
                           cfg->zones_path, best / 1000.0, cfg->sensors[best_k].id,
                           cfg->zones_max_distance_m / 1000.0);
        }
    }
}

/* A secret file (credentials, a TLS key) readable by group or others is refused. */
static void check_secret_mode(const struct bf_config *cfg, const cJSON *at, const char *path,
                              const char *what, struct bf_diag *diag)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return;   /* a missing file is reported by the loader */
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        bf_json_errorf(cfg->doc, diag, at, "%s %s is readable by group or others (mode %03o): "
                       "run chmod 600 %s", what, path, (unsigned)(st.st_mode & 0777), path);
}

/* The secrets: the credentials file read as the engine reads it (mode, JSON), the TLS key's mode. */
static void check_secrets(const struct bf_config *cfg, struct bf_diag *diag)
{
    const cJSON *mqtt = cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(cfg->doc), "mqtt");
    const cJSON *tls = cJSON_GetObjectItemCaseSensitive(mqtt, "tls");
    if (cfg->mqtt.credentials_path) {
        char err[512];
        struct bf_mqtt_credentials cred;
        if (bf_mqtt_credentials_read(cfg->mqtt.credentials_path, &cred, err, sizeof err) < 0)
            bf_json_errorf(cfg->doc, diag, cJSON_GetObjectItemCaseSensitive(mqtt, "credentials"),
                           "%s", err);
        bf_mqtt_credentials_clear(&cred);
    }
    /* the client key is key_file, else inside cert_file */
    const char *key = cfg->mqtt.tls.key_file ? cfg->mqtt.tls.key_file : cfg->mqtt.tls.cert_file;
    check_secret_mode(cfg, cJSON_GetObjectItemCaseSensitive(tls, cfg->mqtt.tls.key_file
                                                                     ? "key_file" : "cert_file"),
                      key, cfg->mqtt.tls.key_file ? "the client key file" :
                      "the client certificate file (which holds its key)", diag);
    /* the same for CoT's TLS to the TAK server (cot.tcp_tls) */
    const struct bf_cot_tls_cfg *ct = &cfg->cot.tcp_tls;
    const cJSON *ctj = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(cfg->doc), "cot"), "tcp_tls");
    if (ct->enabled && ct->credentials_path) {
        char err[512];
        struct bf_mqtt_credentials cred;
        if (bf_mqtt_credentials_read(ct->credentials_path, &cred, err, sizeof err) < 0)
            bf_json_errorf(cfg->doc, diag, cJSON_GetObjectItemCaseSensitive(ctj, "credentials"),
                           "%s", err);
        bf_mqtt_credentials_clear(&cred);
    }
    if (ct->enabled && ct->cert_file)
        check_secret_mode(cfg, cJSON_GetObjectItemCaseSensitive(ctj, ct->key_file ? "key_file"
                                                                               : "cert_file"),
                          ct->key_file ? ct->key_file : ct->cert_file,
                          ct->key_file ? "the TAK client key file" :
                          "the TAK client certificate file (which holds its key)", diag);
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
    } else if (bf_geo_zones_load(cfg->zones_path, frame, NULL, &zones, diag) < 0) {
        if (diag->n_errors == before)
            bf_json_errorf(cfg->doc, diag, cJSON_GetObjectItemCaseSensitive(root, "zones"),
                           "the zones file could not be loaded");
    } else {
        check_picture(cfg, frame, zones, diag);
    }
    check_secrets(cfg, diag);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "sensors");
    for (size_t i = 0; i < cfg->n_sensors; i++) {
        const struct bf_sensor_ops *ops;
        void *dl;
        if (bf_eng_find_plugin(&cfg->sensors[i], &ops, &dl, err, sizeof err) == 0) {
            if (dl)
                dlclose(dl);
            continue;
        }
        const cJSON *item = cJSON_GetArrayItem(arr, (int)i);
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(item, cfg->sensors[i].plugin_path
                                                                     ? "plugin" : "type");
        bf_json_errorf(cfg->doc, diag, at, "%s", err);
    }
    if (cfg->terrain.dem_path &&
        bf_coverage_dem_check(cfg->terrain.dem_path, err, sizeof err) < 0)
        bf_json_errorf(cfg->doc, diag, cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(root, "terrain"), "dem"), "%s", err);
    bf_geo_zones_destroy(zones);
    bf_geo_frame_destroy(frame);
    return diag->n_errors > before ? BF_EINVAL : 0;
}
