/*
 * opt.c - command-line option values (bf_opt.h): one parser per kind of
 * value, so that every program refuses a bad argument the same way, with
 * the option named and the range said, instead of each writing its own
 * strtod wrapper and message.
 */
#include "core/bf_opt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number that is the whole of s; false if s is empty, has trailing text or overflows. */
static bool whole_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static void refuse(const char *prog, const char *opt, const char *expected, const char *note,
                   const char *arg)
{
    fprintf(stderr, "%s: %s: expected %s%s%s, got \"%s\"\n", prog, opt, expected,
            note ? " " : "", note ? note : "", arg);
}

bool bf_opt_double(const char *prog, const char *opt, const char *arg, double lo, double hi,
                   const char *note, double *out)
{
    double v;
    if (whole_double(arg, &v) && v >= lo && v <= hi) {
        *out = v;
        return true;
    }
    char want[96];
    snprintf(want, sizeof want, "a number in [%.15g, %.15g]", lo, hi);
    refuse(prog, opt, want, note, arg);
    return false;
}

bool bf_opt_int(const char *prog, const char *opt, const char *arg, int64_t lo, int64_t hi,
                const char *note, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (!errno && end != arg && !*end && v >= lo && v <= hi) {
        *out = v;
        return true;
    }
    char want[96];
    if (hi == INT64_MAX)
        snprintf(want, sizeof want, "an integer >= %lld", (long long)lo);
    else
        snprintf(want, sizeof want, "an integer in [%lld, %lld]", (long long)lo, (long long)hi);
    refuse(prog, opt, want, note, arg);
    return false;
}

bool bf_opt_pair(const char *prog, const char *opt, const char *arg, const char *form, double lo,
                 double hi, bool ordered, const char *note, double *a, double *b)
{
    char sep = ',';
    for (const char *f = form; *f; f++)
        if (!isalpha((unsigned char)*f))
            sep = *f;
    const char *mid = strchr(arg, sep);
    double x = 0, y = 0;
    bool ok = mid != NULL && (size_t)(mid - arg) < 64;
    if (ok) {
        char first[64];
        memcpy(first, arg, (size_t)(mid - arg));
        first[mid - arg] = '\0';
        ok = whole_double(first, &x) && whole_double(mid + 1, &y) && x >= lo && x <= hi &&
             y >= lo && y <= hi && (!ordered || x <= y);
    }
    if (ok) {
        *a = x;
        *b = y;
        return true;
    }
    char want[160];
    snprintf(want, sizeof want, "%s, two numbers in [%.15g, %.15g]%s%s%s", form, lo, hi,
             note ? " " : "", note ? note : "", ordered ? ", the first not above the second" : "");
    refuse(prog, opt, want, NULL, arg);
    return false;
}

bool bf_opt_choice(const char *prog, const char *opt, const char *arg, const char *const *names,
                   int *out)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(arg, names[i]) == 0) {
            *out = i;
            return true;
        }
    }
    char want[256] = "one of";
    for (int i = 0; names[i]; i++) {
        size_t n = strlen(want);
        snprintf(want + n, sizeof want - n, "%s %s", i ? "," : "", names[i]);
    }
    refuse(prog, opt, want, NULL, arg);
    return false;
}
