/*
 * fuzz_asterix.c - libFuzzer harness for the ASTERIX datagram decoder: any
 * bytes must decode or be counted as refused, never crash, never read out of
 * bounds; every report decoded must carry values within its item's range,
 * and re-encoding it must give a block that decodes to the same items.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sensors/asterix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Items the encoder writes for each category. */
#define ENC_048 (BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I020 | BF_ASTERIX_I040 | \
                 BF_ASTERIX_I042 | BF_ASTERIX_I161 | BF_ASTERIX_I170 | BF_ASTERIX_I200 | \
                 BF_ASTERIX_I210 | BF_ASTERIX_I220)
#define ENC_010 (BF_ASTERIX_I010 | BF_ASTERIX_I000 | BF_ASTERIX_I020 | BF_ASTERIX_I140 | \
                 BF_ASTERIX_I041 | BF_ASTERIX_I040 | BF_ASTERIX_I042 | BF_ASTERIX_I200 | \
                 BF_ASTERIX_I202 | BF_ASTERIX_I161 | BF_ASTERIX_I170 | BF_ASTERIX_I220 | \
                 BF_ASTERIX_I500)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bf_asterix_report out[64], back[1];
    static uint8_t buf[256];
    struct bf_asterix_stats st, st2;
    size_t n = bf_asterix_decode(data, size, BF_ASTERIX_MASK_ALL, out, 64, &st);
    if (n != st.records || n > 64)
        abort();
    for (size_t i = 0; i < n; i++) {
        const struct bf_asterix_report *r = &out[i];
        if (r->category != 48 && r->category != 10)
            abort();
        if (!(r->tod_s >= 0 && r->tod_s < 86400) || !(r->range_m >= 0 && r->range_m < 500000) ||
            !(r->theta_deg >= 0 && r->theta_deg < 360) || !(fabs(r->lat_deg) <= 90) ||
            !(r->lon_deg >= -180 && r->lon_deg < 180) || !(r->heading_deg >= 0 &&
            r->heading_deg < 360) || r->track_number > 4095 || r->address > 0xFFFFFF ||
            !isfinite(r->x_m) || !isfinite(r->y_m) || !isfinite(r->speed_mps))
            abort();
        /* re-encode what the encoder knows (030 left out: only 4 codes are kept) */
        struct bf_asterix_report c = *r;
        c.items &= r->category == 48 ? ENC_048 : ENC_010;
        if (c.items == 0)
            continue;
        size_t len = 0;
        if (bf_asterix_encode(c.category, &c, 1, buf, sizeof buf, &len) != 0)
            abort();
        if (bf_asterix_decode(buf, len, BF_ASTERIX_MASK_ALL, back, 1, &st2) != 1 ||
            back[0].items != c.items || back[0].sac != c.sac || back[0].sic != c.sic ||
            back[0].track_number != c.track_number || back[0].address != c.address ||
            fabs(back[0].tod_s - c.tod_s) > 1e-9 || fabs(back[0].range_m - c.range_m) > 1e-6 ||
            fabs(back[0].x_m - c.x_m) > 1e-6 || fabs(back[0].lat_deg - c.lat_deg) > 1e-9)
            abort();
    }
    return 0;
}
