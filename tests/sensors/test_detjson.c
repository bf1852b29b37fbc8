/*
 * test_detjson.c - the JSON detection codec as a table: good messages decode
 * to the right values; malformed ones (garbage, truncation, wrong types,
 * out-of-range values, another sensor's name, oversized batches) are refused
 * whole with the right fault kind.
 */
#include <math.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

static struct bf_geo_frame *frame;
static struct bf_detjson_ctx ctx;
static struct bf_detection out[BF_DETJSON_MAX_BATCH];

static int setup(void)
{
    char err[256];
    if (bf_geo_frame_create(46.80, 8.20, NULL, &frame, err, sizeof err) < 0)
        return 1;
    ctx = (struct bf_detjson_ctx){
        .sensor_id = "radar-west", .sensor_idx = 3, .sensor_lat_deg = 46.80,
        .sensor_lon_deg = 8.20, .sensor_e_m = 100.0, .sensor_n_m = -50.0,
        .convergence_rad = 0.0, .sigma_m = 10.0, .sigma_range_m = 12.0,
        .sigma_bearing_deg = 0.5, .frame = frame,
    };
    return 0;
}

static int teardown(void)
{
    bf_geo_frame_destroy(frame);
    return 0;
}

static int decode(const char *msg, struct bf_detjson_error *err)
{
    return bf_detjson_decode(&ctx, msg, strlen(msg), 100, out, BF_DETJSON_MAX_BATCH, err);
}

static void test_batch_range_bearing(void)
{
    struct bf_detjson_error err;
    const char *msg = "{\"sensor\":\"radar-west\",\"t\":\"2026-03-01T02:00:01.250Z\","
                      "\"detections\":[{\"range_m\":2000,\"bearing_deg\":90,\"radial_mps\":-1.5,"
                      "\"snr_db\":14,\"target_id\":17},"
                      "{\"range_m\":500.5,\"bearing_deg\":359.5,\"sigma_range_m\":5,"
                      "\"sigma_bearing_deg\":0.2,\"class\":{\"person\":0.7,\"animal\":0.2}}]}";
    int n = decode(msg, &err);
    CU_ASSERT_EQUAL_FATAL(n, 3);   /* two detections + the scan marker */
    CU_ASSERT_EQUAL(out[0].kind, BF_MEAS_RANGE_BEARING);
    CU_ASSERT_EQUAL(out[0].t_us, INT64_C(1772330401250000));
    CU_ASSERT_EQUAL(out[0].sensor_idx, 3);
    CU_ASSERT_EQUAL(out[0].seq, 100);
    BF_ASSERT_NEAR(out[0].z[0], 2000.0, 1e-9);
    BF_ASSERT_NEAR(out[0].z[1], M_PI / 2, 1e-12);
    BF_ASSERT_NEAR(out[0].z[2], -1.5, 1e-12);
    CU_ASSERT(out[0].flags & BF_DET_F_RADIAL);
    CU_ASSERT(out[0].flags & BF_DET_F_TARGET_ID);
    CU_ASSERT_EQUAL(out[0].sensor_target_id, 17);
    BF_ASSERT_NEAR(out[0].R[0][0], 144.0, 1e-9);
    BF_ASSERT_NEAR(out[0].R[1][1], pow(0.5 * M_PI / 180, 2), 1e-15);
    BF_ASSERT_NEAR(out[0].sensor_e_m, 100.0, 0);
    BF_ASSERT_NEAR(out[0].sensor_n_m, -50.0, 0);
    BF_ASSERT_NEAR(out[0].snr_db, 14.0, 1e-6);
    CU_ASSERT_EQUAL(out[1].seq, 101);
    BF_ASSERT_NEAR(out[1].z[1], 359.5 * M_PI / 180, 1e-12);
    BF_ASSERT_NEAR(out[1].R[0][0], 25.0, 1e-9);
    CU_ASSERT(out[1].flags & BF_DET_F_CLASS);
    BF_ASSERT_NEAR(out[1].class_lik[0], 0.7, 1e-6);
    BF_ASSERT_NEAR(out[1].class_lik[2], 0.2, 1e-6);
    BF_ASSERT_NEAR(out[1].class_lik[1], 0.0, 1e-6);
    CU_ASSERT_FALSE(out[1].flags & BF_DET_F_RADIAL);
    CU_ASSERT_EQUAL(out[2].kind, BF_MEAS_SCAN);
    CU_ASSERT_EQUAL(out[2].t_us, out[0].t_us);
    CU_ASSERT_EQUAL(out[2].seq, 102);
}

static void test_single_position(void)
{
    struct bf_detjson_error err;
    double e, n;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_local(frame, 46.81, 8.21, &e, &n), 0);
    int k = decode("{\"t_us\":1772330401000000,\"lat\":46.81,\"lon\":8.21,\"sigma_m\":4,"
                   "\"exercise\":true}", &err);
    CU_ASSERT_EQUAL_FATAL(k, 1);   /* a lone detection is not a scan: no marker */
    CU_ASSERT_EQUAL(out[0].kind, BF_MEAS_POSITION);
    CU_ASSERT_EQUAL(out[0].t_us, INT64_C(1772330401000000));
    BF_ASSERT_NEAR(out[0].z[0], e, 1e-6);
    BF_ASSERT_NEAR(out[0].z[1], n, 1e-6);
    BF_ASSERT_NEAR(out[0].R[0][0], 16.0, 1e-12);
    BF_ASSERT_NEAR(out[0].R[1][1], 16.0, 1e-12);
    BF_ASSERT_NEAR(out[0].R[0][1], 0.0, 0);
    CU_ASSERT(out[0].flags & BF_DET_F_EXERCISE);
    /* roughly 1.11 km north, 0.76 km east of the origin */
    BF_ASSERT_NEAR(n, 1111.9, 2.0);
    BF_ASSERT_NEAR(e, 763.0, 2.0);
}

static void test_empty_scan_and_per_detection_time(void)
{
    struct bf_detjson_error err;
    int k = decode("{\"t\":\"2026-03-01T02:00:00Z\",\"detections\":[]}", &err);
    CU_ASSERT_EQUAL_FATAL(k, 1);
    CU_ASSERT_EQUAL(out[0].kind, BF_MEAS_SCAN);
    k = decode("{\"detections\":[{\"t\":\"2026-03-01T02:00:00.5Z\",\"lat\":46.8,\"lon\":8.2}]}",
               &err);
    CU_ASSERT_EQUAL_FATAL(k, 1);   /* untimed batch: no scan marker */
    CU_ASSERT_EQUAL(out[0].t_us, INT64_C(1772330400500000));
}

static void test_convergence_applied(void)
{
    struct bf_detjson_error err;
    ctx.convergence_rad = 0.01;
    int k = decode("{\"t_us\":1,\"range_m\":10,\"bearing_deg\":359.9}", &err);
    ctx.convergence_rad = 0.0;
    CU_ASSERT_EQUAL_FATAL(k, 1);
    double want = fmod(359.9 * M_PI / 180 + 0.01, 2 * M_PI);
    BF_ASSERT_NEAR(out[0].z[1], want, 1e-12);
    CU_ASSERT(out[0].z[1] >= 0 && out[0].z[1] < 2 * M_PI);
}

struct bad_case {
    const char *msg;
    enum bf_sensor_fault_kind kind;
    const char *fragment;
};

/*
 * Bearing-only: -10 deg true (convergence 0 here) is 350 deg grid; sigma
 * 0.2 deg -> R = (0.2 pi/180)^2.  With elevation -2.5 deg (0.1 deg std) and a
 * per-detection height of 12 m, or the configured height.  Presence: radius
 * 25 m, R left 0 (the updater derives it).  A radar detection with
 * sigma_radial_mps 0.5 gets R[2][2] = 0.25.
 */
static void test_bearing_presence(void)
{
    struct bf_detjson_error err;
    const double d2r = M_PI / 180;
    const char *msg = "{\"t_us\":1000,\"detections\":["
                      "{\"bearing_deg\":-10,\"sigma_bearing_deg\":0.2},"
                      "{\"bearing_deg\":45,\"elevation_deg\":-2.5,\"sigma_elevation_deg\":0.1,"
                      "\"sensor_height_m\":12},"
                      "{\"presence_radius_m\":25,\"class\":{\"person\":1}},"
                      "{\"range_m\":700,\"bearing_deg\":10,\"radial_mps\":2,"
                      "\"sigma_radial_mps\":0.5}]}";
    int n = decode(msg, &err);
    CU_ASSERT_EQUAL_FATAL(n, 5);
    CU_ASSERT_EQUAL(out[0].kind, BF_MEAS_BEARING);
    CU_ASSERT_EQUAL(bf_detection_dim(&out[0]), 1);
    CU_ASSERT_FALSE(out[0].flags & BF_DET_F_ELEVATION);
    BF_ASSERT_NEAR(out[0].z[0], 350 * d2r, 1e-12);
    BF_ASSERT_NEAR(out[0].R[0][0], pow(0.2 * d2r, 2), 1e-18);
    BF_ASSERT_NEAR(out[0].sensor_e_m, 100.0, 0);
    BF_ASSERT_NEAR(out[0].sensor_height_m, 0.0, 0);

    CU_ASSERT_EQUAL(out[1].kind, BF_MEAS_BEARING);
    CU_ASSERT(out[1].flags & BF_DET_F_ELEVATION);
    CU_ASSERT_EQUAL(bf_detection_dim(&out[1]), 2);
    BF_ASSERT_NEAR(out[1].z[0], 45 * d2r, 1e-12);
    BF_ASSERT_NEAR(out[1].z[1], -2.5 * d2r, 1e-12);
    BF_ASSERT_NEAR(out[1].R[0][0], pow(0.5 * d2r, 2), 1e-18);   /* sensor default */
    BF_ASSERT_NEAR(out[1].R[1][1], pow(0.1 * d2r, 2), 1e-18);
    BF_ASSERT_NEAR(out[1].sensor_height_m, 12.0, 0);

    CU_ASSERT_EQUAL(out[2].kind, BF_MEAS_PRESENCE);
    BF_ASSERT_NEAR(out[2].z[0], 25.0, 0);
    BF_ASSERT_NEAR(out[2].R[0][0], 0.0, 0);
    CU_ASSERT(out[2].flags & BF_DET_F_CLASS);

    CU_ASSERT_EQUAL(out[3].kind, BF_MEAS_RANGE_BEARING);
    CU_ASSERT(out[3].flags & BF_DET_F_RADIAL);
    BF_ASSERT_NEAR(out[3].z[2], 2.0, 0);
    BF_ASSERT_NEAR(out[3].R[2][2], 0.25, 1e-15);
    CU_ASSERT_EQUAL(out[4].kind, BF_MEAS_SCAN);

    /* the configured height serves when the detection gives none; sigma of
     * the elevation defaults to the sensor's bearing sigma */
    struct bf_detjson_ctx saved = ctx;
    ctx.sensor_height_m = 7.5;
    const char *cam = "{\"t_us\":1000,\"bearing_deg\":90,\"elevation_deg\":-1}";
    n = decode(cam, &err);
    ctx = saved;
    CU_ASSERT_EQUAL_FATAL(n, 1);
    BF_ASSERT_NEAR(out[0].sensor_height_m, 7.5, 0);
    BF_ASSERT_NEAR(out[0].R[1][1], pow(0.5 * d2r, 2), 1e-18);
    /* ... and without any height the elevation is refused (schema) */
    CU_ASSERT_EQUAL(decode(cam, &err), BF_EPARSE);
    CU_ASSERT_EQUAL(err.kind, BF_FAULT_SCHEMA);
}

/*
 * A moving sensor: the detection's own sensor_lat/sensor_lon replace the
 * configured position, through the same frame, and the bearing is corrected
 * by the convergence at that position, not at the configured one.
 */
static void test_moving_sensor(void)
{
    struct bf_detjson_error err;
    const char *msg = "{\"t_us\":1000,\"range_m\":300,\"bearing_deg\":20,"
                      "\"sensor_lat\":46.81,\"sensor_lon\":8.26,\"sensor_height_m\":3}";
    CU_ASSERT_EQUAL_FATAL(decode(msg, &err), 1);
    double e, n, gamma;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_local(frame, 46.81, 8.26, &e, &n), 0);
    CU_ASSERT_EQUAL_FATAL(bf_geo_convergence(frame, 46.81, 8.26, &gamma), 0);
    CU_ASSERT(fabs(gamma) > 1e-5);   /* 4.6 km east of the origin: a visible correction */
    BF_ASSERT_NEAR(out[0].sensor_e_m, e, 1e-9);
    BF_ASSERT_NEAR(out[0].sensor_n_m, n, 1e-9);
    CU_ASSERT(e > 4000 && e < 5000 && n > 1000 && n < 1200);
    BF_ASSERT_NEAR(out[0].z[1], 20 * M_PI / 180 + gamma, 1e-12);
    BF_ASSERT_NEAR(out[0].sensor_height_m, 3.0, 0);
}

static void test_malformed_table(void)
{
    static const struct bad_case cases[] = {
        {"", BF_FAULT_SYNTAX, "not valid JSON"},
        {"garbage{\"t_us\":1}", BF_FAULT_SYNTAX, "not valid JSON"},
        {"{\"t_us\":1,\"lat\":46.8,\"lon\":8.2", BF_FAULT_SYNTAX, "not valid JSON"},   /* truncated */
        {"[1,2,3]", BF_FAULT_SCHEMA, "expected a JSON object"},
        {"{\"lat\":46.8,\"lon\":8.2}", BF_FAULT_TIME, "no event time"},
        {"{\"t\":\"yesterday\",\"lat\":46.8,\"lon\":8.2}", BF_FAULT_TIME, "ISO 8601"},
        {"{\"t_us\":1.5,\"lat\":46.8,\"lon\":8.2}", BF_FAULT_TIME, "whole microseconds"},
        {"{\"t_us\":-3,\"lat\":46.8,\"lon\":8.2}", BF_FAULT_TIME, "whole microseconds"},
        {"{\"t_us\":1,\"lat\":123,\"lon\":8.2}", BF_FAULT_RANGE, "lat: 123"},
        {"{\"t_us\":1,\"lat\":\"46.8\",\"lon\":8.2}", BF_FAULT_SCHEMA, "lat: expected a number"},
        {"{\"t_us\":1,\"lat\":46.8}", BF_FAULT_SCHEMA, "both lat and lon"},
        {"{\"t_us\":1}", BF_FAULT_SCHEMA, "no position"},
        {"{\"t_us\":1,\"lat\":46.8,\"lon\":8.2,\"range_m\":5,\"bearing_deg\":3}", BF_FAULT_SCHEMA,
         "not both"},
        {"{\"t_us\":1,\"range_m\":-5,\"bearing_deg\":3}", BF_FAULT_RANGE, "range_m"},
        {"{\"t_us\":1,\"range_m\":5,\"bearing_deg\":3,\"sigma_bearing_deg\":0}", BF_FAULT_RANGE,
         "sigma_bearing_deg"},
        {"{\"t_us\":1,\"lat\":46.8,\"lon\":8.2,\"sigma_m\":-1}", BF_FAULT_RANGE, "sigma_m"},
        {"{\"t_us\":1,\"lat\":46.8,\"lon\":8.2,\"class\":{\"dragon\":1}}", BF_FAULT_SCHEMA,
         "unknown class"},
        {"{\"t_us\":1,\"lat\":46.8,\"lon\":8.2,\"class\":{\"person\":2}}", BF_FAULT_RANGE,
         "class.person"},
        {"{\"sensor\":\"radar-east\",\"t_us\":1,\"lat\":46.8,\"lon\":8.2}", BF_FAULT_IDENTITY,
         "radar-west"},
        {"{\"t_us\":1,\"detections\":{\"lat\":1}}", BF_FAULT_SCHEMA, "expected an array"},
        {"{\"t_us\":1,\"detections\":[{\"lat\":46.8,\"lon\":8.2},{\"lat\":99,\"lon\":8.2}]}",
         BF_FAULT_RANGE, "detections[1].lat"},
        {"{\"t_us\":1,\"detections\":[5]}", BF_FAULT_SCHEMA, "detections[0].expected an object"},
        {"{\"t_us\":1,\"exercise\":\"yes\",\"lat\":46.8,\"lon\":8.2}", BF_FAULT_SCHEMA, "exercise"},
        {"{\"t_us\":1,\"lat\":1e999,\"lon\":8.2}", BF_FAULT_RANGE, "lat"},
        /* bearing-only, elevation, presence, moving sensor */
        {"{\"t_us\":1,\"bearing_deg\":3,\"elevation_deg\":-2}", BF_FAULT_SCHEMA,
         "needs sensor_height_m"},
        {"{\"t_us\":1,\"range_m\":5,\"bearing_deg\":3,\"elevation_deg\":-2,\"sensor_height_m\":5}",
         BF_FAULT_SCHEMA, "only on a bearing-only"},
        {"{\"t_us\":1,\"elevation_deg\":-2,\"sensor_height_m\":5}", BF_FAULT_SCHEMA,
         "bearing_deg missing"},
        {"{\"t_us\":1,\"range_m\":5}", BF_FAULT_SCHEMA, "bearing_deg missing"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"radial_mps\":1}", BF_FAULT_SCHEMA, "radial_mps needs"},
        {"{\"t_us\":1,\"lat\":46.8,\"lon\":8.2,\"radial_mps\":1}", BF_FAULT_SCHEMA,
         "radial_mps needs"},
        {"{\"t_us\":1,\"presence_radius_m\":5,\"radial_mps\":1}", BF_FAULT_SCHEMA,
         "radial_mps needs"},
        {"{\"t_us\":1,\"presence_radius_m\":5,\"bearing_deg\":3}", BF_FAULT_SCHEMA, "not both"},
        {"{\"t_us\":1,\"presence_radius_m\":5,\"lat\":46.8,\"lon\":8.2}", BF_FAULT_SCHEMA,
         "not both"},
        {"{\"t_us\":1,\"presence_radius_m\":0}", BF_FAULT_RANGE, "presence_radius_m"},
        {"{\"t_us\":1,\"presence_radius_m\":\"5\"}", BF_FAULT_SCHEMA,
         "presence_radius_m: expected a number"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"elevation_deg\":-91,\"sensor_height_m\":5}",
         BF_FAULT_RANGE, "elevation_deg"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"elevation_deg\":-2,\"sensor_height_m\":5,"
         "\"sigma_elevation_deg\":0}", BF_FAULT_RANGE, "sigma_elevation_deg"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"sensor_height_m\":-1}", BF_FAULT_RANGE,
         "sensor_height_m"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"sensor_lat\":46.8}", BF_FAULT_SCHEMA,
         "both sensor_lat and sensor_lon"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"sensor_lat\":46.8,\"sensor_lon\":\"x\"}",
         BF_FAULT_SCHEMA, "sensor_lon: expected a number"},
        {"{\"t_us\":1,\"bearing_deg\":3,\"sensor_lat\":146.8,\"sensor_lon\":8}", BF_FAULT_RANGE,
         "sensor_lat"},
        {"{\"t_us\":1,\"detections\":[{\"bearing_deg\":3},{\"bearing_deg\":3,"
         "\"elevation_deg\":-2}]}", BF_FAULT_SCHEMA, "detections[1].elevation_deg"},
        {"xx{\"t_us\":1,\"presence_radius_m\":5}", BF_FAULT_SYNTAX, "not valid JSON"},
        {"{\"t_us\":1,\"presence_radius_m\":5", BF_FAULT_SYNTAX, "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bf_detjson_error err = {.kind = BF_FAULT_KIND_COUNT};
        int rc = decode(cases[i].msg, &err);
        CU_ASSERT_EQUAL(rc, BF_EPARSE);
        CU_ASSERT_EQUAL(err.kind, cases[i].kind);
        if (!strstr(err.detail, cases[i].fragment) || rc != BF_EPARSE || err.kind != cases[i].kind)
            printf("\n  case %zu: rc %d kind %d detail \"%s\" (wanted \"%s\")", i, rc, err.kind,
                   err.detail, cases[i].fragment);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.detail, cases[i].fragment));
    }
}

static void test_oversized_batch(void)
{
    /* max 2: a batch of 2 detections plus its marker does not fit */
    struct bf_detjson_error err;
    const char *msg = "{\"t_us\":1,\"detections\":[{\"lat\":46.8,\"lon\":8.2},"
                      "{\"lat\":46.8,\"lon\":8.2}]}";
    CU_ASSERT_EQUAL(bf_detjson_decode(&ctx, msg, strlen(msg), 0, out, 2, &err), BF_EPARSE);
    CU_ASSERT_EQUAL(err.kind, BF_FAULT_OVERFLOW);
    CU_ASSERT_EQUAL(bf_detjson_decode(&ctx, msg, strlen(msg), 0, out, 3, &err), 3);
}

/* Every prefix of a good message is refused cleanly, never read past its length. */
static void test_every_truncation(void)
{
    static const char *const msgs[] = {
        "{\"t\":\"2026-03-01T02:00:01.250Z\",\"detections\":[{\"range_m\":2000,"
        "\"bearing_deg\":90}]}",
        "{\"t_us\":5,\"detections\":[{\"bearing_deg\":12.5,\"elevation_deg\":-3,"
        "\"sensor_height_m\":9,\"sensor_lat\":46.81,\"sensor_lon\":8.21},"
        "{\"presence_radius_m\":30}]}",
    };
    for (size_t m = 0; m < sizeof msgs / sizeof msgs[0]; m++) {
        const char *msg = msgs[m];
        size_t len = strlen(msg);
        struct bf_detjson_error err;
        CU_ASSERT(bf_detjson_decode(&ctx, msg, len, 0, out, BF_DETJSON_MAX_BATCH, &err) > 0);
        for (size_t cut = 0; cut < len; cut++) {
            char buf[256];
            memcpy(buf, msg, cut);   /* not NUL-terminated on purpose: the length is the bound */
            memset(buf + cut, '}', sizeof buf - cut);
            int rc = bf_detjson_decode(&ctx, buf, cut, 0, out, BF_DETJSON_MAX_BATCH, &err);
            CU_ASSERT_EQUAL(rc, BF_EPARSE);
        }
    }
}

static CU_TestInfo tests[] = {
    {"batch of range/bearing detections", test_batch_range_bearing},
    {"single lat/lon detection", test_single_position},
    {"empty scan, per-detection time", test_empty_scan_and_per_detection_time},
    {"true bearing to grid bearing", test_convergence_applied},
    {"bearing-only, elevation, presence", test_bearing_presence},
    {"moving sensor and sensor height", test_moving_sensor},
    {"malformed messages refused by kind", test_malformed_table},
    {"oversized batch refused", test_oversized_batch},
    {"every truncation refused", test_every_truncation},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sensors/detjson", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
