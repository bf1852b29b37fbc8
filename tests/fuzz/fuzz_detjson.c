/*
 * fuzz_detjson.c - libFuzzer harness for the JSON detection codec: any bytes
 * must decode or be refused, never crash, never read out of bounds, and every
 * detection decoded must carry finite values.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "geo/geo.h"
#include "sensors/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bf_geo_frame *frame;
    static struct bf_detection out[64];
    if (!frame && bf_geo_frame_create(46.8, 8.2, NULL, &frame, NULL, 0) < 0)
        abort();
    struct bf_detjson_ctx ctx = {
        .sensor_id = "radar-west", .sensor_idx = 0, .sensor_lat_deg = 46.8,
        .sensor_lon_deg = 8.2, .sigma_m = 10, .sigma_range_m = 10, .sigma_bearing_deg = 0.5,
        .frame = frame,
    };
    struct bf_detjson_error err;
    int n = bf_detjson_decode(&ctx, (const char *)data, size, 0, out, 64, &err);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++)
            if (!isfinite(out[i].z[k]) || !isfinite(out[i].R[k][k]) || out[i].R[k][k] < 0)
                abort();
        if (out[i].kind == BF_MEAS_RANGE_BEARING && !(out[i].z[1] >= 0 && out[i].z[1] < 2 * M_PI))
            abort();
    }
    return 0;
}
