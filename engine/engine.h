/*
 * engine.h - the engine: sensor host, ingest queue, reorder window, the main
 * loop over the tracker (tracker/tracker.h), the alert seams and the outputs;
 * record and replay.
 */
#ifndef BF_ENGINE_H
#define BF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"
#include "core/bf_time.h"
#include "tracker/tracker.h"

struct bf_config;
struct bf_diag;
struct bf_alert_sink;

/*
 * Called after every scan the tracker processed, with that scan's changes in
 * ascending track id (borrowed for the call).  Replay and tests.
 */
struct bf_track_tap {
    void (*scan)(void *ctx, uint32_t sensor_idx, bf_time_us t_us,
                 const struct bf_track_change *changes, size_t n);
    void *ctx;
};

struct bf_engine_options {
    const char *mqtt_url;       /* overrides the config's mqtt.url; NULL: keep */
    const char *journal_path;   /* overrides alerts.journal; NULL: keep */
    const char *audit_path;     /* overrides alerts.audit_log; NULL: keep */
    bool no_journal;            /* replay and tests: no journal at all (overrides both) */
    bool exercise;              /* mark every alert as exercise */
    /* Tests and replay: no broker, no plugins, no wall clock (no idle flush: release
     * follows event time alone); feed with bf_engine_feed(), end with a flushing step. */
    bool no_mqtt;
    /* Also called for every alert change, after the journal and MQTT (tests). */
    const struct bf_alert_sink *alert_tap;
    const struct bf_track_tap *track_tap;   /* NULL: none */
    /* Record every detection taken from the ingest queue to this file (docs/replay.md);
     * NULL: no recording.  record_notes goes to the header's "# Notes:" line. */
    const char *record_path;
    const char *record_notes;
    /* The wall clock the future check (engine.max_future_skew_s) and the ingest
     * alerts read (docs/engine.md); NULL: the real clock when live, none without
     * MQTT (detections are then judged by their receipt stamp rx_us alone).
     * Borrowed for the engine's life. */
    const struct bf_clock *clock;
    /* Set non-zero (from a SIGHUP handler) to have bf_engine_run() reload the
     * configuration file (bf_engine_reload) and clear it; NULL: no reloads. */
    volatile int *reload;
};

struct bf_engine_stats {
    uint64_t received;          /* detections accepted into the ingest queue */
    uint64_t shed;              /* refused: ingest queue full */
    uint64_t late;              /* older than the reorder window: dropped */
    uint64_t processed;         /* released to the tracker (scan markers excluded) */
    uint64_t scans;
    uint64_t alerts_published;
    uint64_t alerts_publish_failed;
    uint64_t malformed;         /* sensor messages refused, all sensors, all kinds */
    uint64_t window_overflow;   /* detections forced out of a full reorder window early */
    uint64_t recorded;          /* detections (and scan markers) written to the record */
    uint64_t unplaced;          /* detections of moving sensors dropped: no recent platform fix */
    uint32_t sensors_faulty;    /* sensors silent beyond their heartbeat_timeout_s now */
    uint64_t future;            /* refused: event time ahead of the reference clock */
    uint64_t shed_budget;       /* of shed: over the sensor's ingest budget */
    uint64_t clutter_refused;   /* started no track: dense clutter there */
    uint64_t budget_refused;    /* started no track: the sensor's initiation budget spent */
    uint32_t sensors_clock_fault;  /* sensors whose event times run ahead now */
    uint64_t unknown_sensor;    /* refused: for a sensor index without a sensor (removed, or
                                 * never configured: docs/engine.md, "Sensor indices") */
};

struct bf_engine;   /* opaque */

/*
 * Build the engine from a loaded configuration (borrowed for the engine's
 * life): frame, zones, tracker, alerter, journal, MQTT connections and sensor
 * plugins.  Problems are reported through the log; *out NULL on failure.
 */
int bf_engine_create(const struct bf_config *cfg, const struct bf_engine_options *opt,
                     struct bf_engine **out);
void bf_engine_destroy(struct bf_engine *e);   /* accepts NULL; publishes "offline" */

/* Run the main loop until *stop becomes non-zero (set from a signal handler). */
int bf_engine_run(struct bf_engine *e, volatile int *stop);

/*
 * Reload the configuration (docs/engine.md, "Reload") from path (NULL: the
 * file the engine's configuration came from), on the engine thread, between
 * steps.  It is loaded and checked like at start (bf_config_load,
 * bf_engine_check); the zones and the "alerts" section (bar the journal,
 * journal_fsync, audit_log and resend_window_s), log_level and log_format are then
 * applied in place, keeping the tracks and the live alerts; the retained
 * zones and coverage are published again and one line logs what changed.
 * A change to anything else, a zone removed, moved or of another kind, or
 * any configuration error is refused: logged with the reason, nothing
 * changed.  Returns 0 (applied) or BF_EINVAL (refused).
 */
int bf_engine_reload(struct bf_engine *e, const char *path);

/*
 * One turn of the main loop: take what the queue holds (waiting up to
 * timeout_ms), release what the reorder window lets go, track, alert.  With
 * flush, release everything held (end of input).  Returns detections released.
 */
size_t bf_engine_step(struct bf_engine *e, int timeout_ms, bool flush);

/* Push a detection as a sensor plugin would (any thread). 0 or BF_EFULL. */
int bf_engine_feed(struct bf_engine *e, const struct bf_detection *d);

void bf_engine_get_stats(const struct bf_engine *e, struct bf_engine_stats *out);

/*
 * A position fix of a platform, as the gps plugin hands it over (any
 * thread): sensors whose config names fix->id as their "platform" take their
 * position at each detection's event time from these fixes.  For tests and
 * tools without plugins; returns 0, or BF_EINVAL for a bad fix.
 */
struct bf_position_fix;
int bf_engine_position(struct bf_engine *e, const struct bf_position_fix *fix);
const struct bf_tracker *bf_engine_tracker(const struct bf_engine *e);
/* The sensors' coverage the tracker asks for Pd (geo/coverage.h, docs/coverage.md). */
struct bf_coverage;
const struct bf_coverage *bf_engine_coverage(const struct bf_engine *e);

/* ---- record and replay (engine/record.c, docs/replay.md) ----------------- */

#define BF_RECORD_VERSION 1

struct bf_record_writer;   /* opaque */
struct bf_record_reader;   /* opaque */

/*
 * Create (truncate) a record file at path and write its header: format
 * version, site, the configuration's sensors (index, id, type) and notes
 * (one line; NULL for none).  *out NULL on failure (logged).  0 or BF_EIO.
 */
int bf_record_writer_open(const char *path, const struct bf_config *cfg, const char *notes,
                          struct bf_record_writer **out);
/* Append one detection (buffered). 0 or BF_EIO (logged once). One thread at a time. */
int bf_record_writer_put(struct bf_record_writer *w, const struct bf_detection *d);
int bf_record_writer_flush(struct bf_record_writer *w);   /* 0 or BF_EIO */
uint64_t bf_record_writer_count(const struct bf_record_writer *w);
/* Flush and close; accepts NULL. 0, or BF_EIO if anything was lost. */
int bf_record_writer_close(struct bf_record_writer *w);

/* One detection as its record line, with the '\n'. Returns the length or BF_ERANGE. */
int bf_record_format(const struct bf_detection *d, char *buf, size_t len);

/*
 * Open a record for replay with cfg: checks the version, maps the recorded
 * sensors to cfg's by id (detections of sensors cfg lacks are skipped, with
 * a warning).  On failure *out is NULL and err says why (file:line).
 */
int bf_record_reader_open(const char *path, const struct bf_config *cfg,
                          struct bf_record_reader **out, char *err, size_t errlen);
/* The next detection: 1, 0 at the end, or BF_EPARSE / BF_ENOMEM with err filled. */
int bf_record_reader_next(struct bf_record_reader *r, struct bf_detection *d, char *err,
                          size_t errlen);
unsigned long bf_record_reader_line(const struct bf_record_reader *r);
void bf_record_reader_close(struct bf_record_reader *r);   /* accepts NULL */

/*
 * A track change as one JSON line (with the '\n') for replay outputs:
 * {"t_us","sensor","id","what","status","x":[e,n,ve,vn],"class","class_p"},
 * metres and m/s to the millimetre.  Returns the length or BF_ERANGE.
 */
int bf_track_change_format(const struct bf_track *t, uint32_t what, uint32_t sensor_idx,
                           bf_time_us t_us, char *buf, size_t len);

/*
 * The start-up checks beyond the file itself, made by borderfuse before the
 * engine starts and by --check-config (docs/config.md, "Start-up checks"):
 * the frame builds; the zones load (zero-area polygons, non-UTF-8 ids and
 * names refused); a border line unless cfg->zones_require_border is false;
 * every zone within cfg->zones_max_distance_m of a sensor; the credentials
 * file reads as the engine reads it (mode 600, shape; wiped at once); the
 * client TLS key is not readable by group or others; every sensor type
 * names a known plugin.  Errors through diag.  Returns 0 or a negative BF_E*.
 * bf_engine_create does not call it (tests build engines on partial pictures).
 */
int bf_engine_check(const struct bf_config *cfg, struct bf_diag *diag);

struct cJSON;
struct bf_geo_frame;
/*
 * One entry of the track picture (docs/engine.md "Track picture") for track
 * t, positions through frame: id, status, lat, lon, speed_mps, heading_deg
 * (degrees clockwise from TRUE north, [0, 360) after rounding to 0.1),
 * class, class_p, confidence, exercise, and "test": true for a radar test
 * target (BF_DET_F_TEST).  NULL when the track is not shown: not confirmed or
 * coasting, not projectable, or a test target when omit_test (the
 * configuration's engine.test_tracks "omit").  The caller owns the object
 * (cJSON_Delete).
 */
struct cJSON *bf_engine_track_json(const struct bf_track *t, struct bf_geo_frame *frame,
                                   bool omit_test);

#endif
