/*
 * reorder.c - the reorder window: detections out in event-time order.
 *
 * Problem: sensors deliver over different paths with different delays, but
 * the tracker must see time go forward.  Detections are held in a binary
 * min-heap keyed on (t_us, sensor_idx, seq) - the tie-breaks make two runs
 * byte-identical - and released once event time has moved window_us past
 * them (Stone Soup's TimeBufferedFeeder).  Late-data policy: a detection
 * older than what was already released cannot be put back in order; it is
 * refused with BF_ELATE and the caller counts it (docs/engine.md).
 *
 * Invariants:
 *  (1) heap[0..count) is a min-heap under key order;
 *  (2) every held t_us >= released (the time of the last released detection);
 *  (3) newest >= every held t_us.
 */
#include <assert.h>
#include <stdlib.h>

#include "core/bf_error.h"
#include "fusion/ingest.h"

struct bf_reorder {
    struct bf_detection *heap;
    size_t cap, count;
    bf_time_us window_us;
    bf_time_us newest;
    bf_time_us released;
};

static bool before(const struct bf_detection *a, const struct bf_detection *b)
{
    if (a->t_us != b->t_us)
        return a->t_us < b->t_us;
    if (a->sensor_idx != b->sensor_idx)
        return a->sensor_idx < b->sensor_idx;
    return a->seq < b->seq;
}

int bf_reorder_create(size_t capacity, bf_time_us window_us, struct bf_reorder **out)
{
    *out = NULL;
    if (capacity == 0 || window_us < 0)
        return BF_EINVAL;
    struct bf_reorder *r = calloc(1, sizeof *r);
    if (!r)
        return BF_ENOMEM;
    r->heap = malloc(capacity * sizeof *r->heap);
    if (!r->heap) {
        free(r);
        return BF_ENOMEM;
    }
    r->cap = capacity;
    r->window_us = window_us;
    r->newest = BF_TIME_NONE;
    r->released = BF_TIME_NONE;
    *out = r;
    return 0;
}

void bf_reorder_destroy(struct bf_reorder *r)
{
    if (!r)
        return;
    free(r->heap);
    free(r);
}

int bf_reorder_push(struct bf_reorder *r, const struct bf_detection *d)
{
    if (r->released != BF_TIME_NONE && d->t_us < r->released)
        return BF_ELATE;
    if (r->count == r->cap)
        return BF_EFULL;
    size_t i = r->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(d, &r->heap[parent]))
            break;
        r->heap[i] = r->heap[parent];
        i = parent;
    }
    r->heap[i] = *d;
    if (r->newest == BF_TIME_NONE || d->t_us > r->newest)
        r->newest = d->t_us;
    return 0;
}

static void pop_min(struct bf_reorder *r, struct bf_detection *out)
{
    *out = r->heap[0];
    struct bf_detection last = r->heap[--r->count];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= r->count)
            break;
        if (c + 1 < r->count && before(&r->heap[c + 1], &r->heap[c]))
            c++;
        if (!before(&r->heap[c], &last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (r->count > 0)
        r->heap[i] = last;
}

size_t bf_reorder_pop(struct bf_reorder *r, bool flush, struct bf_detection *out, size_t max)
{
    size_t n = 0;
    while (n < max && r->count > 0) {
        if (!flush && r->heap[0].t_us > r->newest - r->window_us)
            break;
        pop_min(r, &out[n]);
        assert(r->released == BF_TIME_NONE || out[n].t_us >= r->released);   /* (2) */
        r->released = out[n].t_us;
        n++;
    }
    return n;
}

size_t bf_reorder_count(const struct bf_reorder *r) { return r->count; }
bf_time_us bf_reorder_newest(const struct bf_reorder *r) { return r->newest; }
bf_time_us bf_reorder_released(const struct bf_reorder *r) { return r->released; }
