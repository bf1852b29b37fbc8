/*
 * fuzz_units.c - libFuzzer harness for the response units message
 * (borderfuse/<site>/units/<id>, docs/dispatch.md): any bytes must parse or
 * be refused with a reason, never crash or read out of bounds; what parses
 * holds the topic's id, a valid time and a position within range.  The
 * first byte picks the topic id, so a mismatched id is exercised too.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/dispatch.h"
#include "core/bf_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ids[] = {"truck-1", "patrol-7", "bad id", ""};
    const char *id = ids[size ? data[0] % 4 : 0];
    struct bf_dispatch_unit u;
    char err[160];
    /* the whole input as the payload, and the rest after the selector byte */
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *p = pass ? data + (size ? 1 : 0) : data;
        size_t n = pass ? (size ? size - 1 : 0) : size;
        memset(err, 0x55, sizeof err);
        int rc = bf_dispatch_unit_parse(pass ? id : "truck-1", p, n, &u, err, sizeof err);
        if (rc == 0) {
            const char *want = pass ? id : "truck-1";
            if (strcmp(u.id, want) != 0 || !(fabs(u.lat_deg) <= 90) || !(fabs(u.lon_deg) <= 180) ||
                u.t_us == BF_TIME_NONE)
                abort();
        } else if (rc == BF_ENOTFOUND) {
            if (n != 0)
                abort();
        } else if (rc != BF_EPARSE || !memchr(err, '\0', sizeof err) || err[0] == '\0') {
            abort();
        }
    }
    return 0;
}
