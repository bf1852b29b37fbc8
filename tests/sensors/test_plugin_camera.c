/*
 * test_plugin_camera.c - the "camera" plugin against a real GStreamer
 * pipeline.  The test writes a synthetic video (a person-sized target
 * walking across a noisy textured scene, drawn through the camera's own
 * projection, written appsrc ! matroskamux ! filesink as lossless GRAY8) into
 * a temporary directory, opens the plugin on it with a known pose and
 * "time": "pts", and checks every detection's bearing and elevation against
 * the truth at its frame time; then end of stream (health "connected" 0, a
 * reconnect, the replayed file refused as time going backwards), a missing
 * file (reported and retried, no crash) and the option checks at open.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "fake_host.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

#define W 320
#define H 240
#define FRAMES 45
#define WARMUP 5
#define FRAME_US 100000
#define DEG (M_PI / 180)

/* the camera: 6 m up, looking 120 deg true, 8 deg down, 60 deg wide */
#define CAM_H_M 6.0
#define HEADING_DEG 120.0
#define TILT_DEG (-8.0)
#define HFOV_DEG 60.0
#define START_ISO "2026-03-01T02:00:00Z"
#define START_US INT64_C(1772330400000000)
#define TOL_DEG 0.5

static struct bf_geo_frame *frame;
static char video[512];
static double gamma_rad;   /* convergence at the camera */
static const double cam_lat = 46.80, cam_lon = 8.26;

/* Truth of frame i: bearing relative to the axis and ground range. */
static void truth(int i, double *rel_b, double *g)
{
    *rel_b = (-15.0 + 0.7 * i) * DEG;
    *g = 18.0 + 0.25 * i;
}

/* The test's own forward model: a point at rel_b, ground range g, z metres
   above the ground, to image coordinates (vfov from square pixels). */
static void project(double rel_b, double g, double z, double *u, double *v)
{
    double fx = (W / 2.0) / tan(HFOV_DEG / 2 * DEG), fy = fx;
    double F = g * cos(rel_b), R = g * sin(rel_b), U = z - CAM_H_M;
    double ct = cos(TILT_DEG * DEG), st = sin(TILT_DEG * DEG);
    double fwd = F * ct + U * st, down = F * st - U * ct;
    *u = W / 2.0 + fx * R / fwd;
    *v = H / 2.0 + fy * down / fwd;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static int noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (int)((rng >> 40) % 13) - 6;
}

static void draw_frame(int i, uint8_t *img)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y * W + x] = (uint8_t)(60 + x / 8 + (y / 6 % 2) * 12 + noise());
    if (i < WARMUP)
        return;   /* an empty scene while the background builds */
    double rel_b, g, ul, ur, vf, vt, unused;
    truth(i, &rel_b, &g);
    project(rel_b - 0.4 / g, g, 0, &ul, &vf);   /* 0.8 m wide, 1.8 m tall */
    project(rel_b + 0.4 / g, g, 0, &ur, &unused);
    project(rel_b, g, 1.8, &unused, &vt);
    for (int y = (int)lround(vt); y < (int)lround(vf); y++)
        for (int x = (int)lround(ul); x < (int)lround(ur); x++)
            if (x >= 0 && x < W && y >= 0 && y < H)
                img[y * W + x] = 215;
}

/* Write FRAMES frames of GRAY8 at 10 fps into a Matroska file, losslessly. */
static int write_video(const char *path)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(
        "appsrc name=src format=time ! video/x-raw,format=GRAY8,width=320,height=240,"
        "framerate=10/1 ! matroskamux ! filesink name=out", &err);
    if (!p || err) {
        fprintf(stderr, "writer pipeline: %s\n", err ? err->message : "?");
        return -1;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
    GstElement *out = gst_bin_get_by_name(GST_BIN(p), "out");
    g_object_set(out, "location", path, NULL);
    GstCaps *caps = gst_caps_from_string("video/x-raw,format=GRAY8,width=320,height=240,"
                                         "framerate=10/1");
    g_object_set(src, "caps", caps, NULL);
    gst_caps_unref(caps);
    gst_element_set_state(p, GST_STATE_PLAYING);
    static uint8_t img[W * H];
    for (int i = 0; i < FRAMES; i++) {
        draw_frame(i, img);
        GstBuffer *b = gst_buffer_new_allocate(NULL, sizeof img, NULL);
        gst_buffer_fill(b, 0, img, sizeof img);
        GST_BUFFER_PTS(b) = (GstClockTime)i * FRAME_US * GST_USECOND;
        GST_BUFFER_DURATION(b) = (GstClockTime)FRAME_US * GST_USECOND;
        if (gst_app_src_push_buffer(GST_APP_SRC(src), b) != GST_FLOW_OK)
            return -1;
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstBus *bus = gst_element_get_bus(p);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND,
                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int rc = m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS ? 0 : -1;
    if (m)
        gst_message_unref(m);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(src);
    gst_object_unref(out);
    gst_object_unref(p);
    return rc;
}

static int setup(void)
{
    gst_init(NULL, NULL);
    bf_log_set_level(BF_LOG_WARN);
    char err[256];
    if (bf_geo_frame_create(46.80, 8.20, NULL, &frame, err, sizeof err) < 0)
        return 1;
    if (bf_geo_convergence(frame, cam_lat, cam_lon, &gamma_rad) < 0)
        return 1;
    snprintf(video, sizeof video, "%s/walker.mkv", bf_test_tmpdir());
    return write_video(video) == 0 ? 0 : 1;
}

static int teardown(void)
{
    unlink(video);
    rmdir(bf_test_tmpdir());
    bf_geo_frame_destroy(frame);
    return 0;
}

static struct bf_sensor_config config(const cJSON *options)
{
    return (struct bf_sensor_config){
        .abi_version = BF_SENSOR_ABI, .site = "test", .id = "cam-east", .index = 2,
        .lat_deg = cam_lat, .lon_deg = cam_lon, .e_m = 4566.0, .n_m = 12.0,
        .sigma_bearing_deg = 0.2, .options = options, .frame = frame, .height_m = CAM_H_M,
    };
}

/* open the plugin with the options in JSON; 0 or its error */
static int open_with(const char *json, void **state, struct fake_host *fh)
{
    const struct bf_sensor_ops *ops = bf_sensor_builtin("camera");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    cJSON *o = cJSON_Parse(json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    struct bf_sensor_config cfg = config(o);
    *state = calloc(1, ops->state_size);
    int rc = ops->open(*state, &cfg, &fh->host);
    cJSON_Delete(o);   /* the plugin keeps nothing of its options */
    if (rc < 0) {
        free(*state);
        *state = NULL;
    }
    return rc;
}

static double close_plugin(void *state)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    bf_sensor_builtin("camera")->close(state);
    clock_gettime(CLOCK_MONOTONIC, &b);
    free(state);
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

struct health_want {
    const char *key;
    double at_least;
};

static bool health_at_least(const struct fake_host *f, const void *arg)
{
    const struct health_want *w = arg;
    for (size_t i = 0; i < f->n_health; i++)
        if (strcmp(f->health[i].key, w->key) == 0)
            return f->health[i].value >= w->at_least;
    return false;
}

static bool disconnected_after_frames(const struct fake_host *f, const void *arg)
{
    (void)arg;
    double connected = 1, frames = 0;
    for (size_t i = 0; i < f->n_health; i++) {
        if (strcmp(f->health[i].key, "connected") == 0)
            connected = f->health[i].value;
        if (strcmp(f->health[i].key, "frames") == 0)
            frames = f->health[i].value;
    }
    return connected == 0 && frames >= FRAMES;
}

static bool has_time_fault(const struct fake_host *f, const void *arg)
{
    (void)arg;
    return f->faults[BF_FAULT_TIME] > 0;
}

static double wrap180(double d)
{
    d = fmod(d, 360);
    if (d > 180)
        d -= 360;
    if (d <= -180)
        d += 360;
    return d;
}

static struct fake_host fh;
static struct bf_detection dets[FAKE_MAX_DETS];

/* Bearings and elevations against the truth; end of stream; the replay. */
static void test_file_pts(void)
{
    fake_host_init(&fh);
    char json[1024];
    snprintf(json, sizeof json,
             "{\"pipeline\": \"filesrc location=%s ! matroskademux\", \"heading_deg\": %g, "
             "\"tilt_deg\": %g, \"hfov_deg\": %g, \"warmup_frames\": %d, \"time\": \"pts\", "
             "\"start_time\": \"" START_ISO "\", \"reconnect_min_s\": 0.3, "
             "\"reconnect_max_s\": 1}", video, HEADING_DEG, TILT_DEG, HFOV_DEG, WARMUP);
    void *st = NULL;
    CU_ASSERT_EQUAL_FATAL(open_with(json, &st, &fh), 0);
    size_t want = FRAMES - WARMUP;
    CU_ASSERT_TRUE(fake_host_wait(&fh, fake_has_dets, &want, 10000));
    /* end of stream: down, counted, rebuilt; the replay's times go backwards */
    CU_ASSERT_TRUE(fake_host_wait(&fh, disconnected_after_frames, NULL, 5000));
    struct health_want rec = {"reconnects", 1};
    CU_ASSERT_TRUE(fake_host_wait(&fh, health_at_least, &rec, 5000));
    CU_ASSERT_TRUE(fake_host_wait(&fh, has_time_fault, NULL, 5000));
    double close_s = close_plugin(st);
    CU_ASSERT(close_s < 2.0);

    size_t n = fake_host_dets(&fh, dets, FAKE_MAX_DETS);
    CU_ASSERT_EQUAL(n, want);   /* one per frame after the warm-up, none from the replay */
    size_t markers = 0;
    for (size_t i = 0; i < fh.n_dets; i++)
        markers += fh.dets[i].kind == BF_MEAS_SCAN;
    CU_ASSERT_EQUAL(markers, want);   /* one look per frame after the warm-up */
    CU_ASSERT(fh.good >= FRAMES);
    size_t person = 0;
    double worst_b = 0, worst_el = 0;
    for (size_t k = 0; k < n; k++) {
        const struct bf_detection *d = &dets[k];
        CU_ASSERT_EQUAL(d->kind, BF_MEAS_BEARING);
        CU_ASSERT_EQUAL(d->sensor_idx, 2);
        BF_ASSERT_NEAR(d->sensor_e_m, 4566.0, 1e-9);
        BF_ASSERT_NEAR(d->sensor_height_m, CAM_H_M, 1e-6);
        BF_ASSERT_NEAR(d->R[0][0], (0.2 * DEG) * (0.2 * DEG), 1e-12);
        CU_ASSERT_EQUAL_FATAL((d->t_us - START_US) % FRAME_US, 0);
        int i = (int)((d->t_us - START_US) / FRAME_US);
        CU_ASSERT(i >= WARMUP && i < FRAMES);
        double rel_b, g;
        truth(i, &rel_b, &g);
        double b_true = HEADING_DEG + rel_b / DEG + gamma_rad / DEG;
        double el_true = atan2(-CAM_H_M, g) / DEG;
        double eb = fabs(wrap180(d->z[0] / DEG - b_true));
        CU_ASSERT(eb < TOL_DEG);
        worst_b = fmax(worst_b, eb);
        CU_ASSERT_FATAL(d->flags & BF_DET_F_ELEVATION);
        double ee = fabs(d->z[1] / DEG - el_true);
        CU_ASSERT(ee < TOL_DEG);
        worst_el = fmax(worst_el, ee);
        CU_ASSERT(d->R[1][1] > 0);
        if (d->flags & BF_DET_F_CLASS) {
            int best = 0;
            for (int c = 1; c < BF_CLASS_COUNT; c++)
                if (d->class_lik[c] > d->class_lik[best])
                    best = c;
            person += best == BF_CLASS_PERSON;
        }
    }
    printf("\n    %zu detections, worst bearing error %.3f deg, worst elevation error %.3f deg, "
           "%zu classed person, close %.3f s\n", n, worst_b, worst_el, person, close_s);
    CU_ASSERT(person >= n * 8 / 10);
    CU_ASSERT_EQUAL(fh.faults[BF_FAULT_SYNTAX] + fh.faults[BF_FAULT_SCHEMA], 0);
    fake_host_destroy(&fh);
}

/* The same file through "source" (uridecodebin): the same picture. */
static void test_file_uri(void)
{
    fake_host_init(&fh);
    char json[1024];
    snprintf(json, sizeof json,
             "{\"source\": \"file://%s\", \"heading_deg\": %g, \"tilt_deg\": %g, "
             "\"hfov_deg\": %g, \"warmup_frames\": %d, \"time\": \"pts\", "
             "\"start_time\": \"" START_ISO "\", \"reconnect_min_s\": 5}",
             video, HEADING_DEG, TILT_DEG, HFOV_DEG, WARMUP);
    void *st = NULL;
    CU_ASSERT_EQUAL_FATAL(open_with(json, &st, &fh), 0);
    size_t want = FRAMES - WARMUP;
    CU_ASSERT_TRUE(fake_host_wait(&fh, fake_has_dets, &want, 10000));
    CU_ASSERT(close_plugin(st) < 2.0);   /* during the 5 s back-off: close is prompt */
    size_t n = fake_host_dets(&fh, dets, FAKE_MAX_DETS);
    CU_ASSERT_EQUAL(n, want);
    for (size_t k = 0; k < n; k++) {
        int i = (int)((dets[k].t_us - START_US) / FRAME_US);
        double rel_b, g;
        truth(i, &rel_b, &g);
        double b_true = HEADING_DEG + rel_b / DEG + gamma_rad / DEG;
        CU_ASSERT(fabs(wrap180(dets[k].z[0] / DEG - b_true)) < TOL_DEG);
    }
    fake_host_destroy(&fh);
}

/* A missing file: reported down, retried with back-off, nothing emitted. */
static void test_missing_file(void)
{
    fake_host_init(&fh);
    char json[1024];
    snprintf(json, sizeof json,
             "{\"source\": \"file://%s/no-such-video.mkv\", \"heading_deg\": 0, "
             "\"hfov_deg\": 50, \"reconnect_min_s\": 0.1, \"reconnect_max_s\": 0.2}",
             bf_test_tmpdir());
    void *st = NULL;
    CU_ASSERT_EQUAL_FATAL(open_with(json, &st, &fh), 0);
    struct health_want rec = {"reconnects", 3};
    CU_ASSERT_TRUE(fake_host_wait(&fh, health_at_least, &rec, 5000));
    CU_ASSERT(close_plugin(st) < 2.0);
    CU_ASSERT_EQUAL(fake_host_health(&fh, 2, "connected"), 0);
    CU_ASSERT_EQUAL(fake_host_health(&fh, 2, "frames"), 0);
    CU_ASSERT_EQUAL(fh.n_dets, 0);
    CU_ASSERT_EQUAL(fh.good, 0);
    fake_host_destroy(&fh);
}

/* Bad options are refused at open, before any thread starts. */
static void test_bad_options(void)
{
    static const char *const bad[] = {
        "{\"source\": \"file:///x.mkv\", \"heading_deg\": 0, \"hfov_deg\": 50, \"fov\": 3}",
        "{\"source\": \"file:///x.mkv\", \"pipeline\": \"videotestsrc\", \"heading_deg\": 0, "
        "\"hfov_deg\": 50}",
        "{\"heading_deg\": 0, \"hfov_deg\": 50}",
        "{\"pipeline\": \"videotestsrc\", \"hfov_deg\": 50}",
        "{\"pipeline\": \"videotestsrc\", \"heading_deg\": 0, \"hfov_deg\": 190}",
        "{\"pipeline\": \"no_such_element_anywhere\", \"heading_deg\": 0, \"hfov_deg\": 50}",
        "{\"pipeline\": \"videotestsrc\", \"heading_deg\": 0, \"hfov_deg\": 50, \"time\": \"pts\"}",
        "{\"pipeline\": \"videotestsrc\", \"heading_deg\": 0, \"hfov_deg\": 50, "
        "\"start_time\": \"" START_ISO "\"}",
        "{\"pipeline\": \"videotestsrc\", \"heading_deg\": 0, \"hfov_deg\": 50, \"downscale\": 3}",
        "{\"pipeline\": \"videotestsrc\", \"heading_deg\": 0, \"hfov_deg\": 50, "
        "\"reconnect_min_s\": 5, \"reconnect_max_s\": 1}",
        "{\"source\": \"not a uri\", \"heading_deg\": 0, \"hfov_deg\": 50}",
        "{\"source\": \"nosuchscheme://x\", \"heading_deg\": 0, \"hfov_deg\": 50}",
        "{\"pipeline\": \"videotestsrc ! fakesink name=sink\", \"heading_deg\": 0, "
        "\"hfov_deg\": 50}",
    };
    fake_host_init(&fh);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *st = NULL;
        int rc = open_with(bad[i], &st, &fh);
        if (rc != BF_EINVAL)
            printf("\n    accepted or other error %d: %s\n", rc, bad[i]);
        CU_ASSERT_EQUAL(rc, BF_EINVAL);
        if (st)
            close_plugin(st);
    }
    fake_host_destroy(&fh);
}

/* A live test source with wall time: frames flow, marker times are wall time. */
static void test_live_wall(void)
{
    fake_host_init(&fh);
    void *st = NULL;
    CU_ASSERT_EQUAL_FATAL(
        open_with("{\"pipeline\": \"videotestsrc is-live=true pattern=ball ! "
                  "video/x-raw,width=320,height=240,framerate=30/1\", \"heading_deg\": 10, "
                  "\"hfov_deg\": 40, \"warmup_frames\": 3}", &st, &fh), 0);
    struct health_want fr = {"frames", 10};
    CU_ASSERT_TRUE(fake_host_wait(&fh, health_at_least, &fr, 5000));
    bf_time_us now = bf_clock_realtime(NULL);
    close_plugin(st);
    CU_ASSERT_EQUAL(fake_host_health(&fh, 2, "connected"), 0);   /* closed: down */
    pthread_mutex_lock(&fh.mu);
    CU_ASSERT(fh.good >= 10);
    CU_ASSERT(fh.last_good_t <= now && fh.last_good_t > now - 3 * BF_US_PER_S);
    size_t markers = 0;
    for (size_t i = 0; i < fh.n_dets; i++)
        markers += fh.dets[i].kind == BF_MEAS_SCAN;
    CU_ASSERT(markers >= 5);
    pthread_mutex_unlock(&fh.mu);
    fake_host_destroy(&fh);
}

static CU_TestInfo tests[] = {
    {"file, pts time: bearings and elevations, end of stream", test_file_pts},
    {"file through a URI source", test_file_uri},
    {"missing file: reported and retried", test_missing_file},
    {"bad options refused at open", test_bad_options},
    {"live test source, wall time", test_live_wall},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"camera plugin", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
