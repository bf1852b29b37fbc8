/*
 * fuzz_ugs.c - libFuzzer harness for the ground-sensor codec: any bytes must
 * decode or be refused with a fault kind, never crash or read out of bounds,
 * under each kind of sensor: no key, a key that is required, a key that is
 * optional.  Whatever decodes must hold values within their documented
 * ranges, and must survive a round trip through the encoder (signed) and the
 * decoder again with the same values.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/ugs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the key of the seed corpus: bytes 0x00 .. 0x1f */
static const unsigned char key[32] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static void check(const struct bf_ugs_ctx *ctx, const struct bf_ugs_msg *m)
{
    if (m->counter > (uint64_t)BF_UGS_COUNTER_MAX || strcmp(m->sensor, ctx->sensor_id) != 0)
        abort();
    if (m->authenticated && !ctx->key)
        abort();
    if (ctx->key && ctx->require_hmac && !m->authenticated)
        abort();
    if (m->kind == BF_UGS_EVENT) {
        if ((unsigned)m->type >= BF_UGS_TYPE_COUNT || !(m->confidence >= 0 && m->confidence <= 1))
            abort();
        if (!isnan(m->bearing_deg) && !(m->bearing_deg >= 0 && m->bearing_deg < 360))
            abort();
    } else if (m->kind == BF_UGS_HEARTBEAT) {
        if (!(m->battery_pct >= 0 && m->battery_pct <= 100))
            abort();
    } else {
        abort();
    }
    /* round trip: what decoded re-encodes, signed, and decodes to the same values */
    char buf[BF_UGS_MSG_MAX];
    int n = bf_ugs_encode(m, key, sizeof key, buf, sizeof buf);
    if (n <= 0)
        abort();
    struct bf_ugs_ctx kc = {.sensor_id = ctx->sensor_id, .key = key, .key_len = sizeof key,
                            .require_hmac = true};
    struct bf_ugs_msg r;
    struct bf_ugs_error err;
    if (bf_ugs_decode(&kc, buf, (size_t)n, &r, &err) != 0 || !r.authenticated ||
        r.kind != m->kind || r.counter != m->counter || r.exercise != m->exercise ||
        r.t_us / 1000 != m->t_us / 1000 - (m->t_us % 1000 < 0))
        abort();
    if (m->kind == BF_UGS_EVENT && (r.type != m->type || fabs(r.confidence - m->confidence) > 1e-9))
        abort();
    if (m->kind == BF_UGS_HEARTBEAT && fabs(r.battery_pct - m->battery_pct) > 1e-7)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct bf_ugs_ctx ctxs[] = {
        {.sensor_id = "ugs-7"},
        {.sensor_id = "ugs-7", .key = key, .key_len = sizeof key, .require_hmac = true},
        {.sensor_id = "ugs-7", .key = key, .key_len = sizeof key, .require_hmac = false},
    };
    for (size_t i = 0; i < sizeof ctxs / sizeof ctxs[0]; i++) {
        struct bf_ugs_msg m;
        struct bf_ugs_error err;
        err.kind = BF_FAULT_KIND_COUNT;
        int rc = bf_ugs_decode(&ctxs[i], (const char *)data, size, &m, &err);
        if (rc == 0)
            check(&ctxs[i], &m);
        else if (rc != BF_EPARSE || (unsigned)err.kind >= BF_FAULT_KIND_COUNT ||
                 !memchr(err.detail, '\0', sizeof err.detail))
            abort();
    }
    unsigned char k[BF_UGS_KEY_MAX];
    size_t kl;
    if (bf_ugs_key_from_hex((const char *)data, size, k, &kl, NULL, 0) == 0 &&
        (kl < BF_UGS_KEY_MIN || kl > BF_UGS_KEY_MAX))
        abort();
    return 0;
}
