/*
 * tracker.h - the tracker: data association over the track store.
 *
 * A tracker is composed the Stone Soup way: hypothesiser (spatial grid +
 * Mahalanobis gate), data associator (global nearest neighbour, exact
 * assignment per independent cluster, or JPDA), initiator (M-of-N or track
 * score), deleter (misses, covariance growth, score drop), over the filter
 * (CV, CT or IMM) and updaters from tracks/.  It reads no clock: the same
 * detections in the same order give the same tracks.  It is built on core/
 * and tracks/ only (docs/architecture.md).
 */
#ifndef BF_TRACKER_H
#define BF_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"
#include "core/bf_time.h"
#include "tracks/tracks.h"

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

/*
 * Sensor indices of a running tracker (a configuration reload: docs/engine.md,
 * "Sensor indices").  set: sensor sensor_idx (< 64: a track's contributing
 * sensors are a 64-bit mask) is s from now on - a new index (the ones
 * skipped over stay absent) or a changed sensor; s is copied like create's.
 * remove: sensor_idx is absent - a scan of it is refused (BF_EINVAL) until it
 * is set again; the tracks it contributed to keep their mask and coast on
 * the other sensors.  Both return 0, BF_EINVAL (bad index or sensor) or
 * BF_ENOMEM (nothing changed).
 */
int bf_tracker_set_sensor(struct bf_tracker *t, uint32_t sensor_idx,
                          const struct bf_tracker_sensor *s);
int bf_tracker_remove_sensor(struct bf_tracker *t, uint32_t sensor_idx);
/* Does a live track carry sensor_idx among its contributing sensors? */
bool bf_tracker_sensor_in_use(const struct bf_tracker *t, uint32_t sensor_idx);

/* Changes made by the last scan, in ascending track id. Borrowed until the next scan. */
size_t bf_tracker_changes(const struct bf_tracker *t, const struct bf_track_change **out);

/* Live (not deleted) tracks in ascending id; returns the count, fills up to max pointers. */
size_t bf_tracker_tracks(const struct bf_tracker *t, const struct bf_track **out, size_t max);

void bf_tracker_get_stats(const struct bf_tracker *t, struct bf_tracker_stats *out);

/* Check the tracker's invariants (debug builds assert; returns false if broken). */
bool bf_tracker_check(const struct bf_tracker *t);

#endif
