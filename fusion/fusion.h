/*
 * fusion.h - the tracker (data association over the track store) and the
 * engine (ingest queue, reorder window, main loop).
 *
 * A tracker is composed the Stone Soup way: hypothesiser (spatial grid +
 * Mahalanobis gate), data associator (global nearest neighbour, exact
 * assignment per independent cluster, or JPDA), initiator (M-of-N or track
 * score), deleter (misses, covariance growth, score drop), over the filter
 * (CV, CT or IMM) and updaters from tracks/.  It reads no clock: the same
 * detections in the same order give the same tracks.
 */
#ifndef BF_FUSION_H
#define BF_FUSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"
#include "core/bf_time.h"
#include "tracks/tracks.h"

/* ---- tracker ---------------------------------------------------------- */

/* A sensor's coverage, for deciding who missed a track on a scan. */
struct bf_tracker_sensor {
    double e_m, n_m;   /* position, local frame */
    double range_m;    /* coverage radius; <= 0: unlimited */
    /*
     * Probability of detection of a target at (e_m, n_m) by this sensor
     * (its detection region, Pd by range, terrain masking: docs/coverage.md).
     * NULL: params.pd inside range_m, 0 outside.  Called on the engine thread
     * only; ctx is borrowed for the tracker's life.
     */
    double (*pd_at)(const void *ctx, uint32_t sensor_idx, double e_m, double n_m);
    const void *pd_ctx;
    /*
     * The sensor's class confusion matrix: BF_CLASS_COUNT x BF_CLASS_COUNT,
     * row-major, entry [true * BF_CLASS_COUNT + reported] = P(reported class |
     * true class), each row summing to 1 (docs/tracking.md, "Classification").
     * NULL: bf_class_confusion_default(NULL), the generic sensor's.  Copied by
     * bf_tracker_create.
     */
    const double *class_confusion;
    /*
     * Initiation gate (the engine's clutter map and initiation budget:
     * docs/engine.md, "Fairness under flood").  Called once for each located
     * detection of this sensor that no track took, in detection order, just
     * before it would start a track at (e_m, n_m); returns the clutter density
     * there (false detections per m^2 per scan).  The detection starts no
     * track unless it is <= clutter_init_max (INFINITY or NaN: never).  The
     * callee may learn from each call (it is the map's input).  NULL: every
     * such detection starts a track.  Engine thread only; ctx borrowed.
     */
    double (*clutter_at)(const void *ctx, uint32_t sensor_idx, double e_m, double n_m);
    const void *clutter_ctx;
    double clutter_init_max;
};

/*
 * The default class confusion matrix of a sensor type (the config's sensor
 * "type"): "asterix" (radar: weak evidence), "camera" (stronger), "ugs"
 * (modest), anything else or NULL the generic sensor's.  Returns a pointer to
 * a static BF_CLASS_COUNT x BF_CLASS_COUNT row-major table (never NULL).
 */
const double *bf_class_confusion_default(const char *sensor_type);

/*
 * Check a class confusion matrix: entries finite in [0, 1], each row summing
 * to 1 within 1e-6.  Returns true when valid; else false with *bad_row set to
 * the first bad row (and *bad_col to the bad entry's column, or -1 for a row
 * whose sum is off).
 */
bool bf_class_confusion_valid(const double *m, int *bad_row, int *bad_col);

/* What happened to a track in the last scan: BF_CHANGE_* flags, in tracks/tracks.h. */
struct bf_track_change {
    const struct bf_track *track;  /* borrowed until the next bf_tracker_scan() */
    uint32_t what;                 /* BF_CHANGE_* */
};

struct bf_tracker_stats {
    uint64_t scans;
    uint64_t detections;
    uint64_t associated;      /* detections that updated a track */
    uint64_t initiated;       /* tentative tracks started */
    uint64_t confirmed;       /* tracks confirmed */
    uint64_t deleted;
    uint64_t gated_pairs;     /* (track, detection) pairs inside the gate */
    uint64_t clusters;
    uint64_t max_cluster;     /* largest cluster seen (tracks + detections) */
    uint64_t pool_full;       /* detections that could not start a track: pool full (shed) */
    uint64_t bad_detections;  /* detections the updaters refused (counted, skipped) */
    uint32_t live;            /* tracks not deleted */
    uint32_t live_confirmed;  /* CONFIRMED or COASTING */
    uint64_t unlocated;       /* detections that cannot start a track because they carry no
                               * position (bearing-only, presence); they still update the
                               * tracks they gate with (docs/measurements.md) */
    uint64_t clusters_bounded;  /* clusters over max_cluster tracks + detections (or whose exact
                                 * solve failed), resolved greedily instead */
    uint64_t jpda_approx;       /* JPDA clusters beyond exact enumeration (cheap JPDA used) */
    uint64_t coast_expired;     /* tracks deleted because max_coast_s passed without a hit */
    uint64_t continued;         /* tracks that continue a recently lost track (continues_id) */
};

struct bf_tracker;   /* opaque */

/* sensors[] is copied. *out NULL on failure. */
int bf_tracker_create(const struct bf_tracker_params *p, const struct bf_tracker_sensor *sensors,
                      size_t n_sensors, struct bf_tracker **out);
void bf_tracker_destroy(struct bf_tracker *t);   /* accepts NULL */

/*
 * Process one scan: all detections of sensor sensor_idx at event time t_us
 * (every dets[i] has that sensor_idx and t_us).  n may be 0 (an empty scan
 * still counts misses).  Scans must come in non-decreasing t_us.
 * Returns 0 or a negative BF_E* (BF_EINVAL for a bad sensor_idx).
 */
int bf_tracker_scan(struct bf_tracker *t, uint32_t sensor_idx, bf_time_us t_us,
                    const struct bf_detection *dets, size_t n);

/*
 * A moving sensor (a radar on a vehicle) is now at (e_m, n_m): its coverage
 * for the next scans follows it.  Returns 0, or BF_EINVAL for a bad index or
 * a position that is not finite.
 */
int bf_tracker_move_sensor(struct bf_tracker *t, uint32_t sensor_idx, double e_m, double n_m);

/* Changes made by the last scan, in ascending track id. Borrowed until the next scan. */
size_t bf_tracker_changes(const struct bf_tracker *t, const struct bf_track_change **out);

/* Live (not deleted) tracks in ascending id; returns the count, fills up to max pointers. */
size_t bf_tracker_tracks(const struct bf_tracker *t, const struct bf_track **out, size_t max);

void bf_tracker_get_stats(const struct bf_tracker *t, struct bf_tracker_stats *out);

/* Check the tracker's invariants (debug builds assert; returns false if broken). */
bool bf_tracker_check(const struct bf_tracker *t);

/* ---- engine ------------------------------------------------------------ */

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

/* ---- record and replay (fusion/record.c, docs/replay.md) ----------------- */

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
