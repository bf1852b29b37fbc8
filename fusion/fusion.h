/*
 * fusion.h - the tracker (data association over the track store) and the
 * engine (ingest queue, reorder window, main loop).
 *
 * A tracker is composed the Stone Soup way: hypothesiser (spatial grid +
 * Mahalanobis gate), data associator (global nearest neighbour, exact
 * assignment per independent cluster), initiator (M-of-N), deleter (misses,
 * covariance growth), over a predictor and updaters from tracks/.  It reads
 * no clock: the same detections in the same order give the same tracks.
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
};

/* What happened to a track in the last scan (bit flags). */
#define BF_CHANGE_UPDATED   0x01u  /* a detection was associated */
#define BF_CHANGE_NEW       0x02u  /* created from an unassociated detection */
#define BF_CHANGE_CONFIRMED 0x04u  /* became CONFIRMED */
#define BF_CHANGE_MISSED    0x08u  /* in coverage, no detection */
#define BF_CHANGE_DELETED   0x10u  /* deleted: the track is valid until the next scan */

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

/* Changes made by the last scan, in ascending track id. Borrowed until the next scan. */
size_t bf_tracker_changes(const struct bf_tracker *t, const struct bf_track_change **out);

/* Live (not deleted) tracks in ascending id; returns the count, fills up to max pointers. */
size_t bf_tracker_tracks(const struct bf_tracker *t, const struct bf_track **out, size_t max);

void bf_tracker_get_stats(const struct bf_tracker *t, struct bf_tracker_stats *out);

/* Check the tracker's invariants (debug builds assert; returns false if broken). */
bool bf_tracker_check(const struct bf_tracker *t);

#endif
