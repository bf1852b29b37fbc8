/*
 * ingest.h - fusion internals between the sensor threads and the engine
 * thread: the bounded ingest queue and the reorder window.
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

/* ---- ingest queue: many producers, one consumer, bounded, never blocks a producer ---- */

struct bf_ingest_queue;

int bf_ingest_queue_create(size_t capacity, struct bf_ingest_queue **out);
void bf_ingest_queue_destroy(struct bf_ingest_queue *q);   /* accepts NULL */

/* Copy d in. 0, or BF_EFULL when full (the caller counts the loss). Any thread. */
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

/* ---- reorder window ---- */

struct bf_reorder;

/* capacity: detections held at most; window_us: how long event time is held back. */
int bf_reorder_create(size_t capacity, bf_time_us window_us, struct bf_reorder **out);
void bf_reorder_destroy(struct bf_reorder *r);   /* accepts NULL */

/*
 * Add a detection.  0; BF_ELATE if it is late: older than the watermark
 * (newest pushed - window) or than what a flush already released (it is
 * dropped: the caller counts it); BF_EFULL if the window holds capacity
 * detections (the caller should release, then retry).
 */
int bf_reorder_push(struct bf_reorder *r, const struct bf_detection *d);

/* Would a detection at t_us be refused as late now? */
bool bf_reorder_is_late(const struct bf_reorder *r, bf_time_us t_us);

/*
 * Release, in canonical order, every held detection strictly older than the
 * watermark (t_us < newest_seen - window), or all of them when flush is
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

#endif
