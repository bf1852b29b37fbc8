/*
 * sorted.c - arrays of records kept sorted by an unsigned key, as alerts/
 * keeps its live alerts, its closed keys and per-track records (rules.c),
 * the cuer's notes (cue.c) and the outbox's entries (outbox.c).
 *
 * The problem: those sets are small (tens to thousands), looked up on every
 * track update and must be walked in key order (never hash order: two runs
 * must emit the same bytes, docs/architecture.md).  A sorted array with a
 * binary search does all of that without a tree; the search, the opening
 * of a slot and the closing of one are written once here.
 */
#include "alerts/alerts_int.h"

#include <stdlib.h>
#include <string.h>

size_t bf_sorted_lower(const void *base, size_t n, size_t size, uint64_t key,
                       uint64_t (*key_of)(const void *rec))
{
    const char *b = base;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_of(b + mid * size) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void *bf_sorted_open(void *base, size_t *n, size_t *cap, size_t size, size_t i, size_t cap0)
{
    char *b = base;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : cap0;
        b = realloc(base, c * size);
        if (!b)
            return NULL;
        *cap = c;
    }
    memmove(b + (i + 1) * size, b + i * size, (*n - i) * size);
    memset(b + i * size, 0, size);
    (*n)++;
    return b;
}

void bf_sorted_close(void *base, size_t *n, size_t size, size_t i, size_t count)
{
    char *b = base;
    if (count == 0)
        return;
    memmove(b + i * size, b + (i + count) * size, (*n - i - count) * size);
    *n -= count;
}

uint64_t bf_key_u64(const void *rec)
{
    uint64_t k;
    memcpy(&k, rec, sizeof k);
    return k;
}

uint64_t bf_key_u32(const void *rec)
{
    uint32_t k;
    memcpy(&k, rec, sizeof k);
    return k;
}
