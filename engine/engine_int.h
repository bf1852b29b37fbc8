/*
 * engine_int.h - the engine's own internals, shared by its files and by
 * nothing else:
 *
 *   engine.c            construction, the pipeline (bf_engine_step), stop
 *   engine_sensors.c    sensors in: the plugin host, plugins, platforms, silence
 *   timers.c            the loop's table of periodic tasks (engine/timers.h)
 *   engine_alerts.c     alerts out: delivery (journal, outbox), retention, the journal's
 *                       health: struct bf_eng_alerts
 *   engine_live.c       the live snapshot (alerts/live): struct bf_eng_live
 *   engine_operators.c  operators: alerts/ack in, alerts/result out, the audit log:
 *                       struct bf_eng_operators
 *   engine_outputs.c    status, track picture, zones: struct bf_eng_outputs
 *   engine_dispatch.c   camera cueing (following the sensor set), response units, the
 *                       enrichment's snapshot: struct bf_eng_dispatch
 *   engine_cot.c        CoT out to TAK: tracks, alerts, our units: struct bf_eng_cot
 *   engine_coverage.c   the sensors' coverage (regions, Pd, terrain) and its topic
 *   engine_service.c    systemd notifications, the metrics endpoint's figures:
 *                       struct bf_eng_service
 *   engine_reload.c     a configuration reload (SIGHUP): zones, alert rules and sensors
 *
 * It is not tracker_int.h: that header holds the tracker's parts (JPDA, the
 * grid) for the tracker and its tests, and should not pull in MQTT, the
 * alerts module and pthreads.  Every function here runs on the engine
 * thread unless its comment says otherwise.
 *
 * The seams (sensors, alerts, dispatch, CoT, operators, outputs, live
 * snapshot, service) each own their state, opaque outside their file, with a
 * create, a step and a destroy;
 * struct bf_engine holds a pointer to each, the pipeline's core and the
 * timer table that runs the periodic chores (engine.c, add_timers).
 */
#ifndef BF_ENGINE_INT_H
#define BF_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/dispatch.h"
#include "delivery/delivery.h"
#include "mqtt/mqtt.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/ingest.h"
#include "engine/timers.h"
#include "geo/coverage.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

#define ENGINE_LOG "engine"
#define TRACKS_PERIOD_US BF_US_PER_S
#define MAX_HEALTH 8              /* health figures kept per sensor */
#define PLATFORM_FIXES 128        /* position fixes kept per platform */

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

struct sensor_sub;   /* engine_sensors.c: a plugin's MQTT subscription */

/*
 * One sensor index (docs/engine.md, "Sensor indices"): the slots live in a
 * fixed table that never moves, so an I/O thread may touch its slot at any
 * time.  A slot is present while a configured sensor has its index; a
 * removed sensor's slot keeps its id (old tracks and alerts still name it)
 * and its counters until the index is given to another sensor.
 */
struct sensor_slot {
    struct bf_engine *e;
    uint32_t idx;
    char id[65];                     /* kept after removal */
    bool present;                    /* a configured sensor has this index now */
    const struct bf_sensor_cfg *sc;  /* its configuration entry (present only) */
    const struct bf_config *from;    /* ... and the configuration that owns it */
    struct bf_sensor_host host;      /* the plugin's host; ctx is this slot */
    const struct bf_sensor_ops *ops;
    void *state;
    void *dl;                        /* dlopen handle of a third-party plugin */
    struct bf_sensor_config scfg;
    bool open;
    /* quiesce (docs/engine.md, "Reload"): callbacks into the plugin run only while
     * accepting, counted in in_cb under cb_mu; a close waits for in_cb to reach 0 */
    _Atomic bool accepting;
    pthread_mutex_t cb_mu;
    pthread_cond_t cb_idle;
    unsigned in_cb;
    uint32_t gen;                    /* bumped at every close: stale subscriptions are ignored */
    struct sensor_sub *subs;         /* its live subscriptions */
    char topic_status[200];          /* borderfuse/<site>/sensors/<id>/status */
    struct platform *plat;           /* NULL: fixed position */
    uint64_t no_platform_fix;        /* detections dropped: no recent platform fix */
    /* heartbeat watch (engine thread) */
    bf_time_us alive_evt;            /* event time of its latest released input */
    bf_time_us alive_wall;           /* monotonic wall time its latest input was taken */
    bool faulty;                     /* silent beyond heartbeat_timeout_s */
    /* time you can trust (engine thread) */
    bool clock_fault;                /* its event times run ahead: refused */
    bool alerted;                    /* SENSOR_FAULT raised (silent or clock) */
    bf_time_us clock_bad_ref;        /* reference time of its latest refusal */
    uint64_t future;                 /* detections refused: ahead of the reference clock */
    /* fairness under flood: ingest budget (I/O threads, under bucket_mu) */
    pthread_mutex_t bucket_mu;
    double rate_hz, burst, tokens;   /* detections per second of event time */
    bf_time_us bucket_t;
    _Atomic uint64_t shed_budget;    /* detections shed: over its budget */
    /* initiation budget and clutter map (engine thread) */
    double new_tokens;
    bf_time_us new_t;
    uint64_t budget_refused;         /* would have started a track: budget spent */
    uint64_t clutter_refused;        /* would have started a track: dense clutter there */
    uint64_t late;                   /* detections older than the reorder window (metrics) */
    struct health_fig health[MAX_HEALTH];   /* under the sensors' health_mu */
    size_t n_health;
    _Atomic uint64_t messages;       /* good messages */
    _Atomic uint64_t detections;     /* detections accepted into the queue */
    _Atomic uint64_t shed;           /* detections refused: queue full */
    _Atomic uint64_t faults[BF_FAULT_KIND_COUNT];
    _Atomic uint64_t logged_kinds;   /* fault kinds already logged (bit per kind) */
    _Atomic int64_t last_data_us;    /* event time of the latest good message */
    _Atomic int64_t last_rx_us;      /* wall time of the latest good message */
};

struct bf_eng_sensors;      /* engine_sensors.c: the sensor slots, platforms, plugins, clutter map */
struct bf_eng_dispatch;     /* engine_dispatch.c */
struct bf_eng_alerts;       /* engine_alerts.c */
struct bf_eng_cot;          /* engine_cot.c */
struct bf_eng_service;      /* engine_service.c */
struct bf_eng_operators;    /* engine_operators.c */
struct bf_eng_outputs;      /* engine_outputs.c */
struct bf_eng_live;         /* engine_live.c */

struct bf_engine {
    const struct bf_config *cfg;
    struct bf_engine_options opt;
    struct bf_alert_params alert_params;

    struct bf_geo_frame *frame;
    struct bf_geo_zones *zones;
    struct bf_tracker *tracker;
    struct bf_coverage *coverage;     /* the sensors' regions; the tracker's pd_at borrows it */
    struct bf_alerter *alerter;
    struct bf_ingest_queue *queue;
    struct bf_reorder *reorder;
    struct bf_mqtt *mqtt_in;
    struct bf_mqtt *mqtt_out;
    char client_id[160];              /* mqtt.client_id, or the default made unique */
    struct bf_eng_alerts *alerts_seam;   /* engine_alerts.c: journal, outbox, retention */
    struct bf_record_writer *record;
    struct bf_eng_dispatch *dispatch_seam;   /* engine_dispatch.c: cueing, units, enrichment */
    struct bf_eng_cot *cot;           /* engine_cot.c: TAK output (docs/cot.md); NULL: off */

    struct bf_eng_sensors *sens;      /* engine_sensors.c */
    bf_time_us first_evt;             /* first event time released: silence counts from it */

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
    const struct bf_track **trackbuf; /* max_tracks: the live tracks for a ground sensor */

    /* the seams: each owns its state (see the top of this file) */
    struct bf_eng_timers *timers;     /* the periodic chores (engine/timers.h) */
    int status_task;                  /* the "status" task's id; -1: none (not live) */
    struct bf_eng_operators *operators;   /* NULL: not live */
    struct bf_eng_outputs *outputs;
    struct bf_eng_live *live;         /* NULL: not live (replays and tests) */
    struct bf_eng_service *service;   /* systemd and the metrics endpoint; NULL: not live */

    bf_time_us last_input_wall;       /* monotonic: the latest input taken (the idle flush) */

    /* time you can trust and fairness under flood (engine_sensors.c, docs/engine.md) */
    struct bf_clock clock;            /* the wall clock: options.clock, the real one when live;
                                       * .now NULL: none (tests and replay read rx_us only) */
    bool capped;                      /* the last step stopped releasing at its cap */
    bool stopping;                    /* the clean stop: flush steps are capped too */
    bf_time_us stop_deadline;         /* monotonic */
    bool pool_alert, ingest_alert;    /* SYSTEM alerts live */
    uint64_t pool_full_seen, shed_seen, future, pool_logged;
    bf_time_us shed_wall;             /* when shedding was last seen (clock or monotonic) */
    size_t depth_peak;                /* deepest queue since the last memory trim */
    uint64_t trims;

    /* reload (engine_reload.c): the latest configuration read, owned; NULL: none yet.
     * e->cfg stays the one the engine was created with (the I/O threads read it). */
    struct bf_config *reload_cfg;
    uint64_t reloads, reloads_refused;

    _Atomic uint64_t received, shed;
    uint64_t late, processed, scans, alerts_published, alerts_publish_failed, window_overflow;
};

/* ---- engine_sensors.c: sensors in ------------------------------------------- */

/*
 * The sensors' seam (struct bf_eng_sensors, docs/engine.md "Sensor indices"
 * and "Reload"): a fixed table of BF_MAX_SENSORS slots, the platforms, the
 * plugins, the ingest budgets and the clutter map.
 *
 * create: the slots of e->cfg's sensors at indices 0..n-1 (positions
 *   projected, topics, platforms, budgets) and their tracker entries in
 *   ts[0..n); after the frame, the queue and the reorder window.  0 or BF_E*.
 * open: every plugin (not without MQTT: no_mqtt).  0 or BF_E* (logged).
 * close: quiesce and close every plugin; after the ingest connection is gone.
 * destroy: free the rest, and the configurations the seam still kept.
 * The step's parts are bf_eng_check_silence*, bf_eng_future_refused and
 * bf_eng_check_ingest below.
 */
int bf_eng_sensors_create(struct bf_engine *e, struct bf_tracker_sensor *ts);
int bf_eng_open_sensors(struct bf_engine *e);
void bf_eng_sensors_close(struct bf_engine *e);
void bf_eng_sensors_destroy(struct bf_engine *e);   /* accepts e->sens NULL */
/* One past the highest sensor index used so far (the slots below may be absent). */
size_t bf_eng_sensor_count(const struct bf_engine *e);
/* Sensor i's slot when a configured sensor has index i now, else NULL. */
struct sensor_slot *bf_eng_sensor(const struct bf_engine *e, size_t i);
/* The names of indices 0..BF_MAX_SENSORS-1: "" never used; a removed sensor keeps its id. */
const char *const *bf_eng_sensor_ids(const struct bf_engine *e);
/* Configured sensors now; detections refused for an index that has no sensor. */
size_t bf_eng_sensors_present(const struct bf_engine *e);
uint64_t bf_eng_sensors_unknown(const struct bf_engine *e);
/* A scan of sensor i at t: the clutter map counts it (no-op when the map is off). */
void bf_eng_clutter_scan(struct bf_engine *e, uint32_t i, bf_time_us t);
/*
 * The ops of a sensor's plugin (built-in or shared object), ABI checked; *dl
 * the handle to dlclose (NULL for a built-in).  0 or BF_E*, the reason in err.
 */
int bf_eng_find_plugin(const struct bf_sensor_cfg *sc, const struct bf_sensor_ops **ops,
                       void **dl, char *err, size_t len);
/* Where a mobile sensor was at d's time, into d; false when no fix is close enough. */
bool bf_eng_place_on_platform(struct bf_engine *e, struct bf_detection *d, struct platform *p);
/* Sensor i's input was released at event time t: it is alive (SENSOR_FAULT cleared). */
void bf_eng_sensor_alive(struct bf_engine *e, uint32_t i, bf_time_us t);
/* SENSOR_FAULT for sensors silent for heartbeat_timeout_s of event time at now. */
void bf_eng_check_silence(struct bf_engine *e, bf_time_us now);
/* Live only: the same on the monotonic wall clock. */
void bf_eng_check_silence_wall(struct bf_engine *e, bf_time_us now_mono);

/*
 * A reload's sensors (engine_reload.c), in three steps so that nothing is
 * half applied:
 *   plan: the diff of the running sensors and nc's by id; the added and
 *     changed sensors' plugins opened (a changed one's old plugin closed
 *     first).  On failure everything it did is undone, the reason is in err
 *     and BF_E* returned; *out NULL when nothing changes.
 *   abort: undo a plan (a later step of the reload failed).
 *   commit: close the removed sensors' plugins, then hand the new set to the
 *     tracker, coverage, clutter map, reorder window, queue shares and the
 *     alerter (a removed sensor's SENSOR_FAULT resolved "sensor removed");
 *     the changes appended to line ("sensors +a -b ~c").  Cannot fail.
 * nc must outlive the sensors it gives (bf_eng_sensors_keep_config).
 */
struct bf_eng_sensor_plan;
int bf_eng_sensors_plan(struct bf_engine *e, const struct bf_config *nc,
                        struct bf_eng_sensor_plan **out, char *err, size_t len);
void bf_eng_sensors_abort(struct bf_engine *e, struct bf_eng_sensor_plan *p);
void bf_eng_sensors_commit(struct bf_engine *e, struct bf_eng_sensor_plan *p, char *line,
                           size_t len);
/*
 * A reloaded configuration is done with (replaced by a later one): destroyed
 * now, or, while a running sensor still borrows from it, kept until the last
 * such sensor is removed or changed (and at the latest by destroy).
 */
void bf_eng_sensors_release_config(struct bf_engine *e, struct bf_config *cfg);

/*
 * Time you can trust: is d (taken off the queue) ahead of the reference clock
 * - its receipt stamp, else the engine's clock, or the quorum of the other
 * sensors when that is later - by more than engine.max_future_skew_s?  Then
 * it is refused: counted, logged, the sensor's clock fault raised.  A good
 * time clears the fault 10 s after the last refusal.  True: drop d.
 */
bool bf_eng_future_refused(struct bf_engine *e, const struct bf_detection *d);
/* The clutter map and the initiation gate of ts[0..n): after create and the coverage. */
int bf_eng_open_budgets(struct bf_engine *e, struct bf_tracker_sensor *ts);
/* The tracker's initiation gate (struct bf_tracker_sensor.clutter_at); ctx is the engine. */
double bf_eng_clutter_at(const void *ctx, uint32_t sensor_idx, double e_m, double n_m);
/* SYSTEM alerts for shedding (BF_SYSTEM_INGEST) and a full pool (BF_SYSTEM_TRACK_POOL). */
void bf_eng_check_ingest(struct bf_engine *e, bf_time_us now_wall);
void bf_eng_check_pool(struct bf_engine *e);
/* The status's per-sensor and engine-wide ingest figures. */
void bf_eng_status_sensor_ingest(struct bf_engine *e, size_t i, cJSON *o);
void bf_eng_status_sensor_health(struct bf_engine *e, size_t i, cJSON *o);
void bf_eng_status_ingest(struct bf_engine *e, cJSON *root);

/* ---- engine_alerts.c: alerts out ------------------------------------------- */

/*
 * The seam's state (create after the alerter: the journal, whose last seq the
 * alerter's numbering continues after; and, live, the outbox over it and the
 * start purge) and its end (after the alerter).  0 or BF_E* (logged).
 */
int bf_eng_alerts_create(struct bf_engine *e);
/* Each loop turn: live, the journal's health (no retry: the "journal retry" task does it);
 * the outbox's pump. */
void bf_eng_alerts_step(struct bf_engine *e, bf_time_us now_mono, bool live);
void bf_eng_alerts_destroy(struct bf_engine *e);
/* The journal's counters, whether it fails now, and failed appends; false without a journal. */
bool bf_eng_alerts_journal(const struct bf_engine *e, struct bf_journal_stats *js, bool *failing,
                           uint64_t *append_errors);
/*
 * The outbox (docs/alerts.md, "Delivery"; live with a journal only), through
 * the output connection's life: mqtt_options sets the callbacks the outbox
 * needs on the options of the connection about to be created; attach: it
 * sends on out (borderfuse/<site>/alerts) from now on; drain, at a stop
 * before the connection goes: with the broker up, wait (2 s at most) for it
 * to confirm what the outbox holds - a warning when something stays
 * unconfirmed (sent again at the next start); close_outbox, once the
 * connection is gone (no callback reaches the outbox any more).  Each is a
 * no-op without an outbox.
 */
void bf_eng_alerts_mqtt_options(const struct bf_engine *e, struct bf_mqtt_options *o);
void bf_eng_alerts_attach(struct bf_engine *e, struct bf_mqtt *out);
void bf_eng_alerts_drain(struct bf_engine *e, bool up);
void bf_eng_alerts_close_outbox(struct bf_engine *e);
/* Whether alerts go out through an outbox; when so and os is not NULL, its figures. */
bool bf_eng_alerts_outbox(const struct bf_engine *e, struct bf_outbox_stats *os);
/* The alerter's sink (struct bf_alert_sink): journal, outbox or MQTT, log, taps, live set,
 * then the dispatch seam (and through it the CoT seam). */
int bf_eng_publish_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len);
/*
 * Retention (docs/retention.md): purge what is older than retention_days from
 * the journal and/or the audit log (what: ENGINE_PURGE_*), each when open;
 * the engine's "retention" task runs it every hour.
 */
#define ENGINE_PURGE_JOURNAL 1u
#define ENGINE_PURGE_AUDIT 2u
void bf_eng_purge(struct bf_engine *e, unsigned what);

/*
 * Live only: a failing journal raises the SYSTEM storage alert and, once it
 * writes again, the alert is resolved (docs/alerts.md, "Journal"); with retry
 * (the engine's "journal retry" task, once a second) a failing journal is
 * tried again first.
 */
void bf_eng_alerts_watch_journal(struct bf_engine *e, bool retry);

/* ---- engine_live.c: the live snapshot on alerts/live (docs/alerts.md) ------- */

/*
 * Live only (after the output connection exists): keep the live alerts and
 * publish the empty snapshot, retained, on borderfuse/<site>/alerts/live
 * (site is borrowed).  0 or BF_ENOMEM.
 */
int bf_eng_live_create(const char *site, struct bf_mqtt *out, struct bf_eng_live **live);
/* The alerter's sink saw a change: keep its JSON while the alert is live.  Accepts NULL. */
void bf_eng_live_note(struct bf_eng_live *l, const struct bf_alert *a, const char *json,
                      size_t len);
/* Publish the snapshot if it changed since the last one published.  Accepts NULL. */
void bf_eng_live_step(struct bf_eng_live *l);
/* After the alerter is gone (its sink notes changes).  Accepts NULL. */
void bf_eng_live_destroy(struct bf_eng_live *l);

/* ---- engine_operators.c: alerts/ack in, alerts/result out ------------------ */

/*
 * Live only, after the alerter and both MQTT connections: the inbox, the
 * authority (the operators section, the sensors' ids) and the audit log.
 * 0 or BF_E* (logged).
 */
int bf_eng_operators_create(struct bf_engine *e, struct bf_eng_operators **out);
/* Subscribe to alerts/ack and alerts/ack/+ on in.  0 or BF_E* (logged). */
int bf_eng_operators_subscribe(struct bf_eng_operators *o, struct bf_mqtt *in);
/* Act on the requests waiting in the inbox at event time t_evt: answer, audit.  Accepts NULL. */
void bf_eng_operators_step(struct bf_eng_operators *o, bf_time_us t_evt);
/* After the ingest connection is gone: audit what the inbox still holds as refused, close
 * the log.  Accepts NULL. */
void bf_eng_operators_destroy(struct bf_eng_operators *o);
/* The status's "operators" object (zeros without operators: o NULL). */
void bf_eng_operators_status(const struct bf_eng_operators *o, cJSON *root,
                             const struct bf_alerter_stats *as);
/* The audit log (retention purges it), or NULL. */
struct bf_audit *bf_eng_operators_audit(const struct bf_eng_operators *o);

/* ---- engine_outputs.c: status, track picture, zones, CoT tracks ------------ */

/*
 * The outputs' topics and picture buffer (any engine; it publishes only with
 * mqtt_out).  live: it stamps the start time (reads the wall clock).  0 or
 * BF_ENOMEM.
 */
int bf_eng_outputs_create(const struct bf_config *cfg, bool live, struct bf_eng_outputs **out);
void bf_eng_outputs_destroy(struct bf_eng_outputs *o);   /* accepts NULL */
/* borderfuse/<site>/status (the output connection's last will). */
const char *bf_eng_outputs_status_topic(const struct bf_eng_outputs *o);
/* Detections were released: the track picture is due at its next step. */
void bf_eng_outputs_changed(struct bf_eng_outputs *o);
/* The engine's "track picture" task (once a second): when changed, the track picture and the
 * CoT tracks (now: monotonic, for CoT's back-off). */
void bf_eng_outputs_step(struct bf_engine *e, bf_time_us now);
void bf_eng_publish_status(struct bf_engine *e, const char *state);   /* and every sensor's */
void bf_eng_publish_sensor_status(struct bf_engine *e, size_t i);
void bf_eng_publish_zones(struct bf_engine *e);

/* ---- engine_dispatch.c: camera cueing and response units ------------------- */

/*
 * The seam's state: the cuer, the units table with its subscription (live),
 * and the enrichment's snapshot, which the alerter's enrichment step reads
 * (after the alerter).  step: refresh the snapshot's units (each engine step,
 * before the rules run).  delivered: an alert was delivered (the alerts
 * seam's last step): CoT (the CoT seam), the cuer, the assignments.
 * destroy: after the ingest connection is gone (no callback runs any more).
 * 0 or BF_E*.
 */
int bf_eng_dispatch_create(struct bf_engine *e);
void bf_eng_dispatch_step(struct bf_engine *e);
void bf_eng_dispatch_delivered(struct bf_engine *e, const struct bf_alert *a);
void bf_eng_dispatch_destroy(struct bf_engine *e);
/* The cuer follows the tracks one scan changed (after their alerts). */
void bf_eng_cue_changes(struct bf_engine *e);
/*
 * The cameras follow the sensor set (a reload, after bf_eng_sensors_commit):
 * a camera added is given to the cuer (which is started if it had none), one
 * removed is taken out of it (the track it was cued to released, its last
 * command a release), one changed gets its new pose and limits.  Out of
 * memory: logged, that camera is not cued.  Names the changes in line
 * ("cameras +c -d ~e").
 */
void bf_eng_dispatch_sensors(struct bf_engine *e, char *line, size_t len);
/* The response units heard now, copied into the snapshot: *u, their count (0: none/off). */
size_t bf_eng_dispatch_units(struct bf_engine *e, const struct bf_dispatch_unit **u);
/* The status's "cueing" and "dispatch" objects. */
void bf_eng_status_cue_dispatch(struct bf_engine *e, cJSON *root);

/* ---- engine_cot.c: CoT out to TAK (docs/cot.md) ------------------------------ */

/*
 * Live with "cot" enabled only (else e->cot stays NULL and every call below
 * is a no-op): the UDP/TCP output (TLS: the key's password read and wiped),
 * the events' parameters, the formatting buffer.  0 or BF_E* (logged).
 */
int bf_eng_cot_create(struct bf_engine *e);
void bf_eng_cot_destroy(struct bf_engine *e);
/* Each loop turn (now: monotonic): the TCP connection's reconnect and writes.  Accepts NULL. */
void bf_eng_cot_step(struct bf_eng_cot *c, bf_time_us now);
/* A delivered alert as CoT (cot.alerts; SYSTEM alerts never). */
void bf_eng_cot_alert(struct bf_engine *e, const struct bf_alert *a);
/* The track picture t[0..n) (cot.tracks): one event per confirmed or coasting track. */
void bf_eng_cot_tracks(struct bf_engine *e, const struct bf_track *const *t, size_t n,
                       bf_time_us now);
/* Our response units as friendly CoT (cot.units): the engine's "cot units" task. */
void bf_eng_cot_units(struct bf_engine *e, bf_time_us now);
/* A reload changed alerts.resolve_after_s: the alerts' stale time follows.  Accepts NULL. */
void bf_eng_cot_set_alert_stale(struct bf_eng_cot *c, double alert_stale_s);
/* The status's "cot" object (nothing without the seam). */
void bf_eng_cot_status(const struct bf_eng_cot *c, cJSON *root);

/* ---- engine_coverage.c: the sensors' coverage (docs/coverage.md) ------------ */

/*
 * Build e->coverage from the sensors' slots (after bf_eng_sensors_create;
 * ts[i].e_m/n_m already set) and point every ts[i].pd_at at it.  0 or BF_E*
 * (logged).
 */
int bf_eng_open_coverage(struct bf_engine *e, struct bf_tracker_sensor *ts);
/* The coverage region of slot s as its configuration gives it (strings borrowed). */
void bf_eng_coverage_sensor(const struct bf_engine *e, const struct sensor_slot *s,
                            struct bf_coverage_sensor *out);
/* After the tracker is gone (it borrows the coverage). */
void bf_eng_close_coverage(struct bf_engine *e);
/* borderfuse/<site>/coverage, retained: the regions as GeoJSON (live only). */
void bf_eng_publish_coverage(struct bf_engine *e);

/* ---- engine_service.c: systemd and the metrics endpoint -------------------- */

/*
 * Live engines only (nothing without MQTT): the metrics endpoint when the
 * config has a "metrics" section, the systemd watchdog when asked for; into
 * e->service.  0 or BF_E* (logged: a metrics address that cannot be bound
 * fails the start).
 */
int bf_eng_service_create(struct bf_engine *e);
/* STOPPING=1, the endpoint stopped; accepts an engine without a service. */
void bf_eng_service_destroy(struct bf_engine *e);
/* Each loop turn (now: monotonic): READY=1 once ready, the endpoint's heartbeat. */
void bf_eng_service_step(struct bf_engine *e, bf_time_us now);
/* How often systemd wants WATCHDOG=1 (a quarter of WATCHDOG_USEC); 0: no watchdog or service. */
bf_time_us bf_eng_service_watchdog_period(const struct bf_engine *e);
/* The engine's "watchdog" task: WATCHDOG=1. */
void bf_eng_service_watchdog(struct bf_engine *e);
/* The engine's "metrics snapshot" task (once a second): STATUS= when it changed, the
 * endpoint's snapshot. */
void bf_eng_service_snapshot(struct bf_engine *e, bf_time_us now);
/* The monotonic clock when there is a service, else 0 (no clock read). */
bf_time_us bf_eng_service_now(const struct bf_engine *e);
/* A scan that started at t0_mono (bf_eng_service_now) is done: the duration histogram. */
void bf_eng_service_scan(struct bf_engine *e, bf_time_us t0_mono);
/* An alert change was published: counters by type and state, the live alerts. */
void bf_eng_service_alert(struct bf_engine *e, const struct bf_alert *a);

#endif
