/*
 * bench_util.h - what every benchmark program needs: a seeded xorshift
 * source (the same options give the same problem), a monotonic clock in
 * milliseconds, and a comparator to sort timings for their percentiles.
 */
#ifndef BF_BENCH_UTIL_H
#define BF_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

struct bench_rng {
    uint64_t s;
};

static inline void bench_rng_seed(struct bench_rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ull + 1;
}

static inline uint64_t bench_rng_next(struct bench_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* Uniform in [0, 1). */
static inline double bench_rng_unit(struct bench_rng *r)
{
    return (double)(bench_rng_next(r) >> 11) / 9007199254740992.0;
}

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
