/*
 * bf_time.h - event time.
 *
 * bf_time_us is int64 microseconds since the Unix epoch, UTC.  The engine runs
 * on event time carried by the data; the wall clock is read only through a
 * struct bf_clock that is injected where it is needed (receipt stamps,
 * latency, status periods), so tests can stub it.
 */
#ifndef BF_TIME_H
#define BF_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t bf_time_us;

#define BF_US_PER_S  INT64_C(1000000)
#define BF_US_PER_MS INT64_C(1000)
#define BF_TIME_NONE INT64_MIN   /* "no time": not yet seen */

static inline double bf_time_to_s(bf_time_us t) { return (double)t / 1e6; }

static inline bf_time_us bf_time_from_s(double s)
{
    return (bf_time_us)(s * 1e6 + (s >= 0 ? 0.5 : -0.5));
}

/*
 * Format t as ISO 8601 UTC with milliseconds: "2026-01-01T02:00:00.123Z".
 * buf needs at least 25 bytes.  Returns 0, or BF_ERANGE if it does not fit.
 */
#define BF_TIME_ISO_LEN 32
int bf_time_format_iso(bf_time_us t, char *buf, size_t len);

/*
 * Parse ISO 8601 UTC "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+00:00)".  Returns 0 and
 * sets *out, or BF_EPARSE (nothing written).  Pure function.
 */
int bf_time_parse_iso(const char *s, bf_time_us *out);

/* An injected clock: now() returns wall time in bf_time_us. */
struct bf_clock {
    bf_time_us (*now)(void *ctx);
    void *ctx;
};

/* The real clocks: CLOCK_REALTIME and CLOCK_MONOTONIC in microseconds. */
bf_time_us bf_clock_realtime(void *ctx);
bf_time_us bf_clock_monotonic(void *ctx);

/*
 * The CLOCK_REALTIME instant timeout_ms from now, as pthread_cond_timedwait()
 * wants its deadline.
 */
struct timespec;
void bf_deadline_after_ms(int timeout_ms, struct timespec *out);

/* A struct bf_clock reading CLOCK_REALTIME. */
extern const struct bf_clock bf_clock_wall;

static inline bf_time_us bf_clock_now(const struct bf_clock *c)
{
    return c->now(c->ctx);
}

#endif
