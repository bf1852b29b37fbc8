/*
 * ingest.h - fusion internals between the sensor threads and the engine
 * thread: the bounded ingest queue (partitioned between the sensors), the
 * reorder window (per-sensor watermarks) and the clutter map that steers
 * track initiation (docs/engine.md, "Time you can trust", "Fairness under
 * flood").
 *
 *   sensor threads --bf_ingest_queue_push--> [queue] --pop (engine thread)-->
 *   [reorder window, canonical order (t_us, sensor_idx, content, seq)] --released in order-->
 *   tracker
 */
#ifndef BF_FUSION_INGEST_H
#define BF_FUSION_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"
#include "core/bf_time.h"

/* Per-sensor bookkeeping (queue shares, watermarks) covers sensor indexes below this. */
#define BF_REORDER_MAX_SENSORS 64

/* ---- ingest queue: many producers, one consumer, bounded, never blocks a producer ---- */

struct bf_ingest_queue;

int bf_ingest_queue_create(size_t capacity, struct bf_ingest_queue **out);
void bf_ingest_queue_destroy(struct bf_ingest_queue *q);   /* accepts NULL */

/*
 * Partition the queue between n_sensors: from now on one sensor holds at most
 * capacity / n_sensors detections, so a flooding sensor is shed and the others
 * never are (docs/engine.md, "Fairness under flood").  0 or BF_EINVAL.
 */
int bf_ingest_queue_set_share(struct bf_ingest_queue *q, size_t n_sensors);

/*
 * Copy d in. 0, or BF_EFULL when the queue, or d's sensor's share of it, is
 * full (the caller counts the loss). Any thread.
 */
int bf_ingest_queue_push(struct bf_ingest_queue *q, const struct bf_detection *d);

/*
 * Move up to max detections out, waiting up to timeout_ms for the first.
 * Returns the number moved (0 on timeout or after bf_ingest_queue_wake()).
 */
size_t bf_ingest_queue_pop(struct bf_ingest_queue *q, struct bf_detection *out, size_t max,
                           int timeout_ms);

/* Wake a consumer blocked in pop (for shutdown). */
void bf_ingest_queue_wake(struct bf_ingest_queue *q);

size_t bf_ingest_queue_depth(struct bf_ingest_queue *q);
/* Detections of sensor_idx in the queue now. */
size_t bf_ingest_queue_held(struct bf_ingest_queue *q, uint32_t sensor_idx);

/* ---- reorder window ---- */

struct bf_reorder;

/* capacity: detections held at most; window_us: how long event time is held back. */
int bf_reorder_create(size_t capacity, bf_time_us window_us, struct bf_reorder **out);
void bf_reorder_destroy(struct bf_reorder *r);   /* accepts NULL */

/*
 * Add a detection.  0; BF_ELATE if it is late: older than the watermark
 * (site time - window: the newest pushed, or the quorum time) or than what a flush already released (it is
 * dropped: the caller counts it); BF_EFULL if the window holds capacity
 * detections (the caller should release, then retry).
 */
int bf_reorder_push(struct bf_reorder *r, const struct bf_detection *d);

/*
 * Per-sensor watermarks (engine/reorder.c, docs/engine.md): the watermark
 * follows the quorum time of the current sensors instead of the newest time
 * of any one.  idle_us: a sensor not heard for this long (receipt time rx_us;
 * event time behind the newest for input without it) leaves the quorum.  Call
 * before the first push.  0, or BF_EINVAL (idle_us <= 0, or data pushed).
 */
int bf_reorder_set_quorum(struct bf_reorder *r, bf_time_us idle_us);

/*
 * A sensor was removed or changed (a reload): its watermark is forgotten, so
 * it leaves the quorum at once instead of after idle_us.  The site time and
 * the watermark never move back.
 */
void bf_reorder_forget_sensor(struct bf_reorder *r, uint32_t sensor_idx);

/*
 * The quorum time of the current sensors other than sensor_idx - what that
 * sensor's times are judged against (the engine's future check) - or
 * BF_TIME_NONE when no other sensor is current or the quorum is off.
 */
bf_time_us bf_reorder_quorum_others(const struct bf_reorder *r, uint32_t sensor_idx);

/* The site's event time: the quorum time (quorum on) or the newest pushed; BF_TIME_NONE: none. */
bf_time_us bf_reorder_site_time(const struct bf_reorder *r);

/* The watermark: detections older are late, strictly older ones released.  BF_TIME_NONE: none. */
bf_time_us bf_reorder_watermark(const struct bf_reorder *r);

/* Would a detection at t_us be refused as late now? */
bool bf_reorder_is_late(const struct bf_reorder *r, bf_time_us t_us);

/*
 * Release, in canonical order, every held detection strictly older than the
 * watermark (bf_reorder_watermark()), or all of them when flush is
 * true, up to max.  Returns the number written to out.  Without flush, what
 * is released does not depend on how often this is called.
 */
size_t bf_reorder_pop(struct bf_reorder *r, bool flush, struct bf_detection *out, size_t max);

/*
 * The canonical order: <0, 0, >0 as a sorts before, equal to, after b.
 * (t_us, sensor_idx), then the measurement's content (kind, z, flags, R,
 * sensor position, class hints, SNR, sensor height, target id), then seq:
 * detections that share a time and sensor reach the tracker in an order
 * that does not depend on their arrival order (docs/replay.md).
 */
int bf_reorder_compare(const struct bf_detection *a, const struct bf_detection *b);

size_t bf_reorder_count(const struct bf_reorder *r);
/* Newest event time pushed so far, BF_TIME_NONE if none. */
bf_time_us bf_reorder_newest(const struct bf_reorder *r);
/* Time of the last released detection, BF_TIME_NONE if none. */
bf_time_us bf_reorder_released(const struct bf_reorder *r);

/* ---- clutter map (engine/clutter.c) ---- */

/*
 * A coarse grid per sensor learning where its unassociated detections keep
 * coming, forgetting exponentially in event time (docs/engine.md).
 */
struct bf_clutter_map;

/* A sensor's grid is centred on (e_m, n_m) and spans range_m each way (<= 0: 20 km). */
struct bf_clutter_sensor {
    double e_m, n_m, range_m;
};

/* Below this many (forgotten) detections a cell reports no clutter: too little to learn from. */
#define BF_CLUTTER_MIN_EVIDENCE 8.0

/*
 * n sensors (copied), cells of cell_m metres (more where a sensor's range
 * needs over 256 cells a side), time constant memory_s of event time.  0,
 * BF_EINVAL or BF_ENOMEM; *out NULL on failure.
 */
int bf_clutter_create(const struct bf_clutter_sensor *sensors, size_t n, double cell_m,
                      double memory_s, struct bf_clutter_map **out);
void bf_clutter_destroy(struct bf_clutter_map *m);   /* accepts NULL */

/*
 * A reload: sensor (< BF_REORDER_MAX_SENSORS) is s from now on, with an empty
 * grid (indices skipped over have none); 0, BF_EINVAL or BF_ENOMEM (nothing
 * changed).  remove: its grid is gone (no clutter reported) until set again.
 */
int bf_clutter_set_sensor(struct bf_clutter_map *m, uint32_t sensor,
                          const struct bf_clutter_sensor *s);
void bf_clutter_remove_sensor(struct bf_clutter_map *m, uint32_t sensor);

/* Sensor looked at t_us (once per scan). */
void bf_clutter_scan(struct bf_clutter_map *m, uint32_t sensor, bf_time_us t_us);

/* A detection of sensor at (e_m, n_m), t_us, that no track took.  Outside its grid: ignored. */
void bf_clutter_add(struct bf_clutter_map *m, uint32_t sensor, bf_time_us t_us, double e_m,
                    double n_m);

/*
 * The clutter density sensor has learnt at (e_m, n_m) as of t_us: unassociated
 * detections per m^2 per scan; 0 outside its grid or below BF_CLUTTER_MIN_EVIDENCE.
 */
double bf_clutter_density(const struct bf_clutter_map *m, uint32_t sensor, bf_time_us t_us,
                          double e_m, double n_m);

#endif
