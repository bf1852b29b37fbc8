/*
 * detjson.c - the JSON detection codec (docs/detections.md).
 *
 * Bytes in, detections out: no I/O, no clock, nothing kept between calls, so
 * it can be fuzzed and tested as a table.  Everything in a message comes from
 * the network, so every field is checked for presence, type and range before
 * use, and a message is accepted or refused whole: a batch with one bad
 * detection emits nothing (a half-applied scan would fake misses).  Unknown
 * members are ignored so that senders may add fields.
 *
 * A batch with a message-level time is one scan: the decoder appends a
 * BF_MEAS_SCAN marker after its detections, so that an empty scan still
 * tells the tracker the sensor looked and saw nothing there.
 *
 * Coordinates: lat/lon become local metres through the caller's frame;
 * range/bearing, bearing-only and elevation stay polar (the tracker's EKF
 * wants them raw), with the true bearing turned into a grid bearing by the
 * convergence at the sensor.  The sensor position of each detection is the
 * configured one, or the detection's own sensor_lat/sensor_lon (a moving
 * sensor), and its height above ground sensor_height_m likewise.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

#define DEG (M_PI / 180.0)

static int fail(struct bf_detjson_error *err, enum bf_sensor_fault_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct bf_detjson_error *err, enum bf_sensor_fault_kind kind, const char *fmt, ...)
{
    if (err) {
        err->kind = kind;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
        va_end(ap);
    }
    return BF_EPARSE;
}

/*
 * Optional number member: 1 absent, 0 read and within [min, max], <0 refused
 * (err filled).  null counts as absent.
 */
static int opt_number(const cJSON *obj, const char *key, double min, double max, double *out,
                      const char *where, struct bf_detjson_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 1;
    if (!cJSON_IsNumber(v))
        return fail(err, BF_FAULT_SCHEMA, "%s%s: expected a number", where, key);
    if (!isfinite(v->valuedouble) || v->valuedouble < min || v->valuedouble > max)
        return fail(err, BF_FAULT_RANGE, "%s%s: %g is outside [%g, %g]", where, key,
                    v->valuedouble, min, max);
    *out = v->valuedouble;
    return 0;
}

/* Event time from "t" (ISO text) or "t_us" (integer); 1 if neither is present. */
static int read_time(const cJSON *obj, bf_time_us *out, const char *where,
                     struct bf_detjson_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "t");
    const cJSON *tus = cJSON_GetObjectItemCaseSensitive(obj, "t_us");
    if (t) {
        if (!cJSON_IsString(t) || bf_time_parse_iso(t->valuestring, out) < 0)
            return fail(err, BF_FAULT_TIME, "%st: expected ISO 8601 UTC text like "
                        "\"2026-03-01T02:00:01.250Z\"", where);
        return 0;
    }
    if (tus) {
        /* 2^53: beyond it a JSON double no longer holds every integer */
        if (!cJSON_IsNumber(tus) || !isfinite(tus->valuedouble) || tus->valuedouble < 0 ||
            tus->valuedouble > 9007199254740992.0 || floor(tus->valuedouble) != tus->valuedouble)
            return fail(err, BF_FAULT_TIME, "%st_us: expected whole microseconds since the epoch",
                        where);
        *out = (bf_time_us)tus->valuedouble;
        return 0;
    }
    return 1;
}

static int read_class(const cJSON *obj, struct bf_detection *d, const char *where,
                      struct bf_detjson_error *err)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, "class");
    if (!c || cJSON_IsNull(c))
        return 0;
    if (!cJSON_IsObject(c))
        return fail(err, BF_FAULT_SCHEMA, "%sclass: expected an object like {\"person\": 0.7}",
                    where);
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d->class_lik[k] = 0.0f;
    bool any = false;
    const cJSON *m;
    cJSON_ArrayForEach(m, c) {
        int k = 0;
        while (k < BF_CLASS_COUNT && strcmp(bf_class_names[k], m->string) != 0)
            k++;
        if (k == BF_CLASS_COUNT)
            return fail(err, BF_FAULT_SCHEMA, "%sclass: unknown class \"%.40s\"", where, m->string);
        if (!cJSON_IsNumber(m) || !(m->valuedouble >= 0.0 && m->valuedouble <= 1.0))
            return fail(err, BF_FAULT_RANGE, "%sclass.%s: expected a number in [0, 1]", where,
                        m->string);
        d->class_lik[k] = (float)m->valuedouble;
        any = any || m->valuedouble > 0.0;
    }
    if (any)
        d->flags |= BF_DET_F_CLASS;
    return 0;
}

/*
 * The sensor's position and height for this detection: the optional
 * per-detection "sensor_lat"/"sensor_lon" (a moving sensor, both or neither)
 * and "sensor_height_m", else the configured ones.  *gamma is the grid
 * convergence at that position.  0 or BF_EPARSE.
 */
static int read_sensor(const struct bf_detjson_ctx *ctx, const cJSON *o, struct bf_detection *d,
                       double *gamma, const char *where, struct bf_detjson_error *err)
{
    double slat = NAN, slon = NAN, h = ctx->sensor_height_m;
    int has_slat = opt_number(o, "sensor_lat", -90, 90, &slat, where, err);
    int has_slon = opt_number(o, "sensor_lon", -180, 180, &slon, where, err);
    if (has_slat < 0 || has_slon < 0 || opt_number(o, "sensor_height_m", 0, 1e4, &h, where, err) < 0)
        return BF_EPARSE;
    d->sensor_e_m = ctx->sensor_e_m;
    d->sensor_n_m = ctx->sensor_n_m;
    d->sensor_height_m = (float)h;
    *gamma = ctx->convergence_rad;
    if (has_slat != has_slon)
        return fail(err, BF_FAULT_SCHEMA, "%sgive both sensor_lat and sensor_lon", where);
    if (has_slat == 0) {
        if (bf_geo_to_local(ctx->frame, slat, slon, &d->sensor_e_m, &d->sensor_n_m) < 0 ||
            bf_geo_convergence(ctx->frame, slat, slon, gamma) < 0)
            return fail(err, BF_FAULT_RANGE, "%ssensor_lat/sensor_lon cannot be projected", where);
    }
    return 0;
}

/* Bearing in degrees from true north -> grid bearing in [0, 2 pi) radians. */
static double grid_bearing(double bearing_deg, double gamma)
{
    double b = fmod(bearing_deg * DEG + gamma, 2 * M_PI);
    if (b < 0)
        b += 2 * M_PI;
    if (b >= 2 * M_PI)
        b = 0.0;
    return b;
}

/* Decode one detection object into d; t_msg is the message's time (or NONE). */
static int decode_one(const struct bf_detjson_ctx *ctx, const cJSON *o, bf_time_us t_msg,
                      uint16_t flags, const char *where, struct bf_detection *d,
                      struct bf_detjson_error *err)
{
    memset(d, 0, sizeof *d);
    d->sensor_idx = ctx->sensor_idx;
    d->flags = flags;
    d->sensor_e_m = ctx->sensor_e_m;
    d->sensor_n_m = ctx->sensor_n_m;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d->class_lik[k] = 1.0f;

    if (!cJSON_IsObject(o))
        return fail(err, BF_FAULT_SCHEMA, "%sexpected an object", where);
    int rc = read_time(o, &d->t_us, where, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (t_msg == BF_TIME_NONE)
            return fail(err, BF_FAULT_TIME, "%sno event time: give \"t\" or \"t_us\"", where);
        d->t_us = t_msg;
    }

    /* Which measurement: lat/lon, range_m + bearing_deg, bearing_deg alone
     * (optionally with elevation_deg), or presence_radius_m - exactly one. */
    double lat = NAN, lon = NAN, range = NAN, bearing = NAN, elev = NAN, radius = NAN;
    double radial = 0;
    int has_lat = opt_number(o, "lat", -90, 90, &lat, where, err);
    int has_lon = opt_number(o, "lon", -180, 180, &lon, where, err);
    int has_rng = opt_number(o, "range_m", 0, 1e7, &range, where, err);
    int has_brg = opt_number(o, "bearing_deg", -360, 360, &bearing, where, err);
    int has_elv = opt_number(o, "elevation_deg", -90, 90, &elev, where, err);
    int has_prs = opt_number(o, "presence_radius_m", 1e-3, 1e5, &radius, where, err);
    int has_rad = opt_number(o, "radial_mps", -1e4, 1e4, &radial, where, err);
    if (has_lat < 0 || has_lon < 0 || has_rng < 0 || has_brg < 0 || has_elv < 0 ||
        has_prs < 0 || has_rad < 0)
        return BF_EPARSE;
    bool pos = has_lat == 0 || has_lon == 0;
    bool polar = has_rng == 0 || has_brg == 0 || has_elv == 0;
    bool pres = has_prs == 0;
    if ((int)pos + (int)polar + (int)pres > 1)
        return fail(err, BF_FAULT_SCHEMA, "%sgive one of lat/lon, range_m/bearing_deg, "
                    "bearing_deg[/elevation_deg] or presence_radius_m, not both", where);
    if (!pos && !polar && !pres)
        return fail(err, BF_FAULT_SCHEMA, "%sno position: give lat/lon, range_m/bearing_deg, "
                    "bearing_deg or presence_radius_m", where);
    if (has_rad == 0 && has_rng != 0)
        return fail(err, BF_FAULT_SCHEMA, "%sradial_mps needs range_m and bearing_deg", where);

    double v = 0;
    if (opt_number(o, "snr_db", -100, 200, &v, where, err) < 0)
        return BF_EPARSE;
    d->snr_db = (float)v;
    double tid = 0;
    rc = opt_number(o, "target_id", 0, 4294967295.0, &tid, where, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        d->sensor_target_id = (uint32_t)tid;
        d->flags |= BF_DET_F_TARGET_ID;
    }
    if (read_class(o, d, where, err) < 0)
        return BF_EPARSE;
    double gamma = 0;
    if (read_sensor(ctx, o, d, &gamma, where, err) < 0)
        return BF_EPARSE;

    if (pos) {
        if (has_lat != 0 || has_lon != 0)
            return fail(err, BF_FAULT_SCHEMA, "%sgive both lat and lon", where);
        double sigma = ctx->sigma_m;
        if (opt_number(o, "sigma_m", 1e-3, 1e5, &sigma, where, err) < 0)
            return BF_EPARSE;
        double e, n;
        if (bf_geo_to_local(ctx->frame, lat, lon, &e, &n) < 0)
            return fail(err, BF_FAULT_RANGE, "%slat/lon cannot be projected", where);
        d->kind = BF_MEAS_POSITION;
        d->z[0] = e;
        d->z[1] = n;
        d->R[0][0] = d->R[1][1] = sigma * sigma;
        return 0;
    }

    if (pres) {
        /* the updater derives its covariance from the radius; R stays 0 */
        d->kind = BF_MEAS_PRESENCE;
        d->z[0] = radius;
        return 0;
    }

    if (has_brg != 0)
        return fail(err, BF_FAULT_SCHEMA, "%sbearing_deg missing: give range_m and bearing_deg, "
                    "or bearing_deg alone", where);
    double sb = ctx->sigma_bearing_deg;
    if (opt_number(o, "sigma_bearing_deg", 1e-6, 90, &sb, where, err) < 0)
        return BF_EPARSE;
    double b = grid_bearing(bearing, gamma);

    if (has_rng != 0) {
        /* bearing-only (a camera, a direction finder) */
        d->kind = BF_MEAS_BEARING;
        d->z[0] = b;
        d->R[0][0] = (sb * DEG) * (sb * DEG);
        if (has_elv == 0) {
            double sel = ctx->sigma_bearing_deg;
            if (opt_number(o, "sigma_elevation_deg", 1e-6, 90, &sel, where, err) < 0)
                return BF_EPARSE;
            if (!(d->sensor_height_m > 0))
                return fail(err, BF_FAULT_SCHEMA, "%selevation_deg needs sensor_height_m > 0 "
                            "(per detection or configured)", where);
            d->flags |= BF_DET_F_ELEVATION;
            d->z[1] = elev * DEG;
            d->R[1][1] = (sel * DEG) * (sel * DEG);
        }
        return 0;
    }

    if (has_elv == 0)
        return fail(err, BF_FAULT_SCHEMA, "%selevation_deg only on a bearing-only detection "
                    "(without range_m)", where);
    double sr = ctx->sigma_range_m, srad = 1.0;
    if (opt_number(o, "sigma_range_m", 1e-3, 1e5, &sr, where, err) < 0 ||
        opt_number(o, "sigma_radial_mps", 1e-3, 1e3, &srad, where, err) < 0)
        return BF_EPARSE;
    d->kind = BF_MEAS_RANGE_BEARING;
    d->z[0] = range;
    d->z[1] = b;
    d->R[0][0] = sr * sr;
    d->R[1][1] = (sb * DEG) * (sb * DEG);
    if (has_rad == 0) {
        d->flags |= BF_DET_F_RADIAL;
        d->z[2] = radial;
        d->R[2][2] = srad * srad;
    }
    return 0;
}

int bf_detjson_decode(const struct bf_detjson_ctx *ctx, const char *buf, size_t len,
                      uint32_t seq_base, struct bf_detection *out, size_t max,
                      struct bf_detjson_error *err)
{
    if (!ctx || !buf || !out)
        return BF_EINVAL;
    cJSON *root = cJSON_ParseWithLength(buf, len);
    if (!root)
        return fail(err, BF_FAULT_SYNTAX, "not valid JSON (%zu bytes)", len);
    int rc;
    if (!cJSON_IsObject(root)) {
        rc = fail(err, BF_FAULT_SCHEMA, "expected a JSON object");
        goto out;
    }
    const cJSON *sensor = cJSON_GetObjectItemCaseSensitive(root, "sensor");
    if (sensor && (!cJSON_IsString(sensor) || strcmp(sensor->valuestring, ctx->sensor_id) != 0)) {
        rc = fail(err, BF_FAULT_IDENTITY, "\"sensor\" does not name %s, the sensor of this topic",
                  ctx->sensor_id);
        goto out;
    }
    uint16_t flags = 0;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "exercise");
    if (ex && !cJSON_IsBool(ex)) {
        rc = fail(err, BF_FAULT_SCHEMA, "exercise: expected true or false");
        goto out;
    }
    if (cJSON_IsTrue(ex))
        flags |= BF_DET_F_EXERCISE;

    bf_time_us t_msg = BF_TIME_NONE;
    rc = read_time(root, &t_msg, "", err);
    if (rc < 0)
        goto out;

    const cJSON *batch = cJSON_GetObjectItemCaseSensitive(root, "detections");
    if (!batch) {
        if (max < 1) {
            rc = fail(err, BF_FAULT_OVERFLOW, "no room for a detection");
            goto out;
        }
        rc = decode_one(ctx, root, t_msg, flags, "", &out[0], err);
        if (rc == 0) {
            out[0].seq = seq_base;
            rc = 1;
        }
        goto out;
    }
    if (!cJSON_IsArray(batch)) {
        rc = fail(err, BF_FAULT_SCHEMA, "detections: expected an array");
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(batch);
    bool scan = t_msg != BF_TIME_NONE;   /* a timed batch is one complete look */
    if (n + (scan ? 1 : 0) > max) {
        rc = fail(err, BF_FAULT_OVERFLOW, "%zu detections in one message, at most %zu accepted",
                  n, max);
        goto out;
    }
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, batch) {
        char where[32];
        snprintf(where, sizeof where, "detections[%zu].", i);
        rc = decode_one(ctx, o, t_msg, flags, where, &out[i], err);
        if (rc < 0)
            goto out;
        out[i].seq = seq_base + (uint32_t)i;
        i++;
    }
    if (scan) {
        struct bf_detection *m = &out[i];
        memset(m, 0, sizeof *m);
        m->kind = BF_MEAS_SCAN;
        m->t_us = t_msg;
        m->sensor_idx = ctx->sensor_idx;
        m->seq = seq_base + (uint32_t)i;
        m->flags = flags;
        m->sensor_e_m = ctx->sensor_e_m;
        m->sensor_n_m = ctx->sensor_n_m;
        i++;
    }
    rc = (int)i;
out:
    cJSON_Delete(root);
    return rc;
}
