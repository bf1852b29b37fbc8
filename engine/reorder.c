/*
 * reorder.c - the reorder window: detections out in event-time order.
 *
 * Problem: sensors deliver over different paths with different delays, but
 * the tracker must see time go forward, and the same input must give the
 * same tracks however it was cut into batches.  Detections are held in a
 * binary min-heap in the canonical order (t_us, sensor_idx, measurement
 * content, seq; see compare()) and released once event time has moved more
 * than window_us past them (Stone Soup's TimeBufferedFeeder).
 *
 * The watermark is newest - window_us, newest being the latest event time
 * pushed so far.  Late-data policy: a detection older than the watermark
 * (or than what a flush already released) is refused with BF_ELATE and the
 * caller drops and counts it (docs/engine.md).  Release takes only what is
 * strictly older than the watermark, so every detection accepted later is
 * strictly newer than everything released: the released sequence is the
 * canonical sort of the accepted detections, and which detections are
 * accepted depends only on the order they were pushed in - never on when
 * or how often bf_reorder_pop() is called.  (The one exception is an
 * overflow, which forces out the oldest early: the caller counts it.)
 *
 * Per-sensor watermarks (bf_reorder_set_quorum(), on in the engine): one
 * sensor must not decide what is late for the others.  Each sensor keeps its
 * own newest event time; the *site time* is then not the newest of all but
 * the quorum time - the newest time that at least half of the current
 * sensors (rounded up) have reached - and the watermark is the site time
 * minus window_us, never moving back.  A sensor whose clock runs ahead of
 * the others (among three or more) no longer drags the watermark along: its
 * detections simply wait in the window until the others catch up, and the
 * others' detections are not refused as late.  A sensor is current while it
 * was heard within idle_us of the newest receipt time (rx_us, the wall
 * clock at receipt, which the record keeps: a replay decides the same), or,
 * for input without receipt stamps, within idle_us of event time behind the
 * site time.  With
 * one or two current sensors the quorum time is the newest of them: there is
 * no majority to outvote one (the engine's wall-clock check bounds it,
 * docs/engine.md).  bf_reorder_quorum_others() gives the same quorum without
 * one sensor: how far that sensor may be ahead is judged against the others.
 *
 * Invariants:
 *  (1) heap[0..count) is a min-heap under compare();
 *  (2) every held t_us >= released (the time of the last released detection);
 *  (3) newest >= every held t_us;
 *  (4) without a flush or an overflow, released < wm (the watermark), and wm
 *      never decreases.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "engine/ingest.h"

#define SLOTS (BF_REORDER_MAX_SENSORS + 1)   /* the last one: any higher sensor index */

struct bf_reorder {
    struct bf_detection *heap;
    size_t cap, count;
    bf_time_us window_us;
    bf_time_us newest;
    bf_time_us released;
    bf_time_us wm;                 /* watermark: release what is strictly older */
    /* per-sensor watermarks (quorum on) */
    bool quorum;
    bf_time_us idle_us;
    bf_time_us rx_now;             /* newest receipt stamp seen, BF_TIME_NONE: none */
    bf_time_us s_newest[SLOTS];    /* per sensor: newest event time pushed */
    bf_time_us s_rx[SLOTS];        /* per sensor: receipt stamp of its newest push */
    bf_time_us sorted[SLOTS];      /* current sensors' newest, descending */
    uint8_t sorted_slot[SLOTS];
    size_t n_cur;
    bf_time_us site;               /* quorum time, BF_TIME_NONE before any push */
};

/* Doubles and floats in a total order (IEEE totalOrder: -0 < +0, NaNs at the ends). */
static int64_t dkey(double v)
{
    int64_t k;
    memcpy(&k, &v, sizeof k);
    return k ^ (int64_t)((uint64_t)(k >> 63) >> 1);
}

static int32_t fkey(float v)
{
    int32_t k;
    memcpy(&k, &v, sizeof k);
    return k ^ (int32_t)((uint32_t)(k >> 31) >> 1);
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

/*
 * The canonical order: event time, sensor, then the measurement itself
 * (kind, z, flags, R, sensor position, class hints, SNR, sensor height,
 * the sensor's target id), and only then seq.  Two detections that differ
 * in anything the tracker reads are ordered by content, not by the order
 * they arrived in, so a sensor that sends the same scan in another order -
 * or a recording whose same-time lines are shuffled - gives the tracker
 * the same input.  seq separates exact duplicates only.
 */
static int compare(const struct bf_detection *a, const struct bf_detection *b)
{
    CMP(a->t_us, b->t_us);
    CMP(a->sensor_idx, b->sensor_idx);
    CMP(a->kind, b->kind);
    for (int i = 0; i < 3; i++)
        CMP(dkey(a->z[i]), dkey(b->z[i]));
    CMP(a->flags, b->flags);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            CMP(dkey(a->R[i][j]), dkey(b->R[i][j]));
    CMP(dkey(a->sensor_e_m), dkey(b->sensor_e_m));
    CMP(dkey(a->sensor_n_m), dkey(b->sensor_n_m));
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        CMP(fkey(a->class_lik[k]), fkey(b->class_lik[k]));
    CMP(fkey(a->snr_db), fkey(b->snr_db));
    CMP(fkey(a->sensor_height_m), fkey(b->sensor_height_m));
    CMP(a->sensor_target_id, b->sensor_target_id);
    CMP(a->seq, b->seq);
    return 0;
}

static bool before(const struct bf_detection *a, const struct bf_detection *b)
{
    return compare(a, b) < 0;
}

int bf_reorder_compare(const struct bf_detection *a, const struct bf_detection *b)
{
    return compare(a, b);
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
    r->wm = BF_TIME_NONE;
    r->rx_now = BF_TIME_NONE;
    r->site = BF_TIME_NONE;
    for (size_t i = 0; i < SLOTS; i++)
        r->s_newest[i] = r->s_rx[i] = BF_TIME_NONE;
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

int bf_reorder_set_quorum(struct bf_reorder *r, bf_time_us idle_us)
{
    if (idle_us <= 0 || r->newest != BF_TIME_NONE)
        return BF_EINVAL;
    r->quorum = true;
    r->idle_us = idle_us;
    return 0;
}

static size_t slot_of(uint32_t sensor_idx)
{
    return sensor_idx < BF_REORDER_MAX_SENSORS ? sensor_idx : BF_REORDER_MAX_SENSORS;
}

/* Is sensor slot i current: heard lately (receipt time, else event time)? */
static bool current(const struct bf_reorder *r, size_t i)
{
    if (r->s_newest[i] == BF_TIME_NONE)
        return false;
    if (r->s_rx[i] != BF_TIME_NONE && r->rx_now != BF_TIME_NONE)
        return r->rx_now - r->s_rx[i] <= r->idle_us;
    /* no receipt stamps: in event time, behind the site time (not the newest of all:
     * a sensor far ahead must not make the others look silent) */
    return r->site == BF_TIME_NONE || r->s_newest[i] >= r->site - r->idle_us;
}

/* The k-th highest of a descending list of n: the quorum's time (k = ceil(n/2)). */
static size_t quorum_of(size_t n) { return n == 0 ? 0 : (n + 1) / 2 - 1; }

/* Recompute the current sensors, the site (quorum) time and the watermark. */
static void requorum(struct bf_reorder *r)
{
    size_t n = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        if (!current(r, i))
            continue;
        size_t k = n++;   /* insertion, descending */
        while (k > 0 && r->sorted[k - 1] < r->s_newest[i]) {
            r->sorted[k] = r->sorted[k - 1];
            r->sorted_slot[k] = r->sorted_slot[k - 1];
            k--;
        }
        r->sorted[k] = r->s_newest[i];
        r->sorted_slot[k] = (uint8_t)i;
    }
    r->n_cur = n;
    if (n > 0)
        r->site = r->sorted[quorum_of(n)];
}

static void advance_wm(struct bf_reorder *r)
{
    bf_time_us site = r->quorum ? r->site : r->newest;
    if (site == BF_TIME_NONE)
        return;
    bf_time_us wm = site - r->window_us;
    if (r->wm == BF_TIME_NONE || wm > r->wm)
        r->wm = wm;
}

void bf_reorder_forget_sensor(struct bf_reorder *r, uint32_t sensor_idx)
{
    if (!r || sensor_idx >= BF_REORDER_MAX_SENSORS)
        return;
    r->s_newest[sensor_idx] = r->s_rx[sensor_idx] = BF_TIME_NONE;
    bf_time_us site = r->site;
    requorum(r);
    if (site != BF_TIME_NONE && (r->site == BF_TIME_NONE || r->site < site))
        r->site = site;   /* never back */
}

bf_time_us bf_reorder_quorum_others(const struct bf_reorder *r, uint32_t sensor_idx)
{
    if (!r->quorum)
        return BF_TIME_NONE;
    size_t slot = slot_of(sensor_idx), n = r->n_cur, skip = SIZE_MAX;
    for (size_t k = 0; k < n; k++)
        if (r->sorted_slot[k] == slot)
            skip = k;
    if (skip != SIZE_MAX)
        n--;
    if (n == 0)
        return BF_TIME_NONE;
    size_t q = quorum_of(n);
    return r->sorted[skip != SIZE_MAX && skip <= q ? q + 1 : q];
}

bf_time_us bf_reorder_site_time(const struct bf_reorder *r)
{
    return r->quorum ? r->site : r->newest;
}

bf_time_us bf_reorder_watermark(const struct bf_reorder *r) { return r->wm; }

bool bf_reorder_is_late(const struct bf_reorder *r, bf_time_us t_us)
{
    if (r->released != BF_TIME_NONE && t_us < r->released)
        return true;
    return r->wm != BF_TIME_NONE && t_us < r->wm;
}

int bf_reorder_push(struct bf_reorder *r, const struct bf_detection *d)
{
    if (r->quorum && d->rx_us != 0) {   /* receipt time moves on even for what is refused */
        if (r->rx_now == BF_TIME_NONE || d->rx_us > r->rx_now)
            r->rx_now = d->rx_us;
    }
    if (bf_reorder_is_late(r, d->t_us))
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
    if (r->quorum) {
        size_t s = slot_of(d->sensor_idx);
        if (r->s_newest[s] == BF_TIME_NONE || d->t_us > r->s_newest[s])
            r->s_newest[s] = d->t_us;
        if (d->rx_us != 0)
            r->s_rx[s] = d->rx_us;
        requorum(r);
    }
    advance_wm(r);
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
        if (!flush && (r->wm == BF_TIME_NONE || r->heap[0].t_us >= r->wm))
            break;   /* not strictly older than the watermark: more may come */
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
