/*
 * queue.c - the bounded ingest queue between sensor threads and the engine.
 *
 * Problem: sensors decode on their own threads (Paho, GStreamer, UDP
 * readers) and must never be blocked by the engine; the engine must see
 * every detection that was accepted.  A fixed ring of detections under one
 * mutex does it: push copies in or reports BF_EFULL at once (the sensor
 * counts the loss and it is published in status), pop moves a batch out.
 * The ring is allocated once at start-up; nothing is allocated per detection.
 *
 * Fairness under flood: with bf_ingest_queue_set_share() the ring is
 * partitioned - no sensor may hold more than its share of it - so one
 * sensor flooding fills only its own part: it is shed, never the others.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bf_error.h"
#include "core/bf_time.h"
#include "engine/ingest.h"

#define SLOTS (BF_REORDER_MAX_SENSORS + 1)   /* the last one: any higher sensor index */

struct bf_ingest_queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    struct bf_detection *ring;
    size_t cap, head, count;
    size_t share;            /* most one sensor may hold; cap: no partition */
    size_t held[SLOTS];      /* per sensor: detections in the ring */
    bool woken;
};

static size_t slot_of(uint32_t sensor_idx)
{
    return sensor_idx < BF_REORDER_MAX_SENSORS ? sensor_idx : BF_REORDER_MAX_SENSORS;
}

int bf_ingest_queue_create(size_t capacity, struct bf_ingest_queue **out)
{
    *out = NULL;
    if (capacity == 0)
        return BF_EINVAL;
    struct bf_ingest_queue *q = calloc(1, sizeof *q);
    if (!q)
        return BF_ENOMEM;
    q->ring = calloc(capacity, sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return BF_ENOMEM;
    }
    q->cap = capacity;
    q->share = capacity;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    *out = q;
    return 0;
}

void bf_ingest_queue_destroy(struct bf_ingest_queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    free(q->ring);
    free(q);
}

int bf_ingest_queue_set_share(struct bf_ingest_queue *q, size_t n_sensors)
{
    if (n_sensors == 0)
        return BF_EINVAL;
    pthread_mutex_lock(&q->lock);
    q->share = q->cap / n_sensors > 0 ? q->cap / n_sensors : 1;
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int bf_ingest_queue_push(struct bf_ingest_queue *q, const struct bf_detection *d)
{
    size_t s = slot_of(d->sensor_idx);
    pthread_mutex_lock(&q->lock);
    if (q->count == q->cap || q->held[s] >= q->share) {
        pthread_mutex_unlock(&q->lock);
        return BF_EFULL;
    }
    q->ring[(q->head + q->count) % q->cap] = *d;
    q->held[s]++;
    q->count++;
    if (q->count == 1)
        pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

size_t bf_ingest_queue_pop(struct bf_ingest_queue *q, struct bf_detection *out, size_t max,
                           int timeout_ms)
{
    pthread_mutex_lock(&q->lock);
    if (q->count == 0 && timeout_ms > 0 && !q->woken) {
        struct timespec dl;
        bf_deadline_after_ms(timeout_ms, &dl);
        while (q->count == 0 && !q->woken)
            if (pthread_cond_timedwait(&q->nonempty, &q->lock, &dl) != 0)
                break;
    }
    q->woken = false;
    size_t n = q->count < max ? q->count : max;
    for (size_t i = 0; i < n; i++) {
        out[i] = q->ring[(q->head + i) % q->cap];
        q->held[slot_of(out[i].sensor_idx)]--;
    }
    q->head = (q->head + n) % q->cap;
    q->count -= n;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void bf_ingest_queue_wake(struct bf_ingest_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->woken = true;
    pthread_cond_broadcast(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
}

size_t bf_ingest_queue_held(struct bf_ingest_queue *q, uint32_t sensor_idx)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->held[slot_of(sensor_idx)];
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t bf_ingest_queue_depth(struct bf_ingest_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
