/*
 * time.c - event time as text and the injected wall clock.
 *
 * Event time crosses the wire as ISO 8601 UTC text.  The parser is a pure
 * function (no locale, no time zone database, no libc mktime with its TZ
 * dependence): days from the civil date are computed directly, so the same
 * text gives the same bf_time_us on every machine.
 */
#include "core/bf_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <time.h>

#include "core/bf_error.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int bf_time_format_iso(bf_time_us t, char *buf, size_t len)
{
    int64_t secs = t / BF_US_PER_S;
    int64_t us = t % BF_US_PER_S;
    if (us < 0) {
        us += BF_US_PER_S;
        secs -= 1;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, (int)(sod / 3600),
                     (int)(sod / 60 % 60), (int)(sod % 60), (int)(us / 1000));
    return (n < 0 || (size_t)n >= len) ? BF_ERANGE : 0;
}

/* Read exactly n digits into *out; returns the pointer after them or NULL. */
static const char *digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return NULL;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return p + n;
}

int bf_time_parse_iso(const char *s, bf_time_us *out)
{
    int y, mo, d, h, mi, se;
    const char *p = s;
    if (!p || !(p = digits(p, 4, &y)) || *p++ != '-' || !(p = digits(p, 2, &mo)) || *p++ != '-' ||
        !(p = digits(p, 2, &d)) || (*p != 'T' && *p != 't' && *p != ' '))
        return BF_EPARSE;
    p++;
    if (!(p = digits(p, 2, &h)) || *p++ != ':' || !(p = digits(p, 2, &mi)) || *p++ != ':' ||
        !(p = digits(p, 2, &se)))
        return BF_EPARSE;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return BF_EPARSE;
    int64_t frac_us = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        int64_t scale = 100000;
        while (isdigit((unsigned char)*p)) {
            if (nd < 6) {
                frac_us += (*p - '0') * scale;
                scale /= 10;
            }
            nd++;
            p++;
        }
        if (nd == 0)
            return BF_EPARSE;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (strncmp(p, "+00:00", 6) == 0) {
        p += 6;
    } else {
        return BF_EPARSE;   /* only UTC on the wire: say so rather than guess */
    }
    if (*p != '\0')
        return BF_EPARSE;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = ((days * 86400 + h * 3600 + mi * 60 + se) * BF_US_PER_S) + frac_us;
    return 0;
}

bf_time_us bf_clock_realtime(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (bf_time_us)ts.tv_sec * BF_US_PER_S + ts.tv_nsec / 1000;
}

bf_time_us bf_clock_monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (bf_time_us)ts.tv_sec * BF_US_PER_S + ts.tv_nsec / 1000;
}

void bf_deadline_after_ms(int timeout_ms, struct timespec *out)
{
    clock_gettime(CLOCK_REALTIME, out);
    out->tv_sec += timeout_ms / 1000;
    out->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
}

const struct bf_clock bf_clock_wall = {.now = bf_clock_realtime, .ctx = NULL};
