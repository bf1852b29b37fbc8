/*
 * test_camera_emu.c - the emulated cameras (sim/camera_emu.c).
 *
 * The renderer is checked against the camera plugin's own pinhole
 * (sensors/camera_pose.c): a target placed at a known bearing and range is
 * found in the image as a blob (its dark pixels), and bf_camera_pose_measure
 * gives back that bearing within 0.5 deg, its range from the foot's
 * elevation, and the size of its class; its height in pixels is the one an
 * independent projection predicts.  Then the real motion detector finds the
 * same thing in a moving scene, and finally the real camera plugin reads the
 * video server over TCP (GStreamer, Matroska, "time": "pts") and its
 * bearings match the truth.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "sensors/camera_pose.h"
#include "sensors/motion.h"
#include "sensors/sensor.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "../sensors/fake_host.h"

#define DEG (M_PI / 180.0)
#define CAM_E 3000.0              /* 3 km east of the origin: a convergence to get right */
#define CAM_N (-300.0)
#define CAM_H 8.0
#define CAM_HEADING 10.0
#define CAM_TILT (-3.0)
#define CAM_HFOV 40.0
#define DARK 52                   /* person and animal levels are below, the ground above */

static struct bf_sim_scenario *scen;

/* Three targets (person, vehicle, animal) whose positions the tests set by hand. */
static struct bf_sim_scenario *make_scenario(int port, int width, int height, double fps)
{
    double lat, lon;
    fx_ll(CAM_E, CAM_N, &lat, &lon);
    char targets[2048];
    snprintf(targets, sizeof targets,
             "[{\"id\": \"p\", \"class\": \"person\", \"waypoints\": [%s, %s], \"speed_mps\": 1},"
             " {\"id\": \"v\", \"class\": \"vehicle\", \"waypoints\": [%s, %s], \"speed_mps\": 1},"
             " {\"id\": \"a\", \"class\": \"animal\", \"waypoints\": [%s, %s], \"speed_mps\": 1}],"
             "\n  \"cameras\": [{\"id\": \"cam-1\", \"lat\": %.9f, \"lon\": %.9f, \"height_m\": %g,"
             " \"heading_deg\": %g, \"tilt_deg\": %g, \"hfov_deg\": %g, \"width\": %d, "
             "\"height\": %d, \"fps\": %g, \"port\": %d}]",
             fx_pt(0, 100), fx_pt(0, 200), fx_pt(0, 100), fx_pt(0, 200), fx_pt(0, 100),
             fx_pt(0, 200), lat, lon, CAM_H, CAM_HEADING, CAM_TILT, CAM_HFOV, width, height, fps,
             port);
    char *text = fx_scenario_text(NULL, targets, 600);
    struct bf_sim_scenario *s = NULL;
    struct fx_diags d;
    fx_diags_init(&d);
    if (fx_parse(text, &s, &d) != 0)
        fx_diags_dump(&d);
    free(text);
    return s;
}

static int setup(void)
{
    scen = make_scenario(1, 640, 360, 10);
    return scen ? 0 : 1;
}

static int teardown(void)
{
    bf_sim_scenario_destroy(scen);
    return 0;
}

/* Target k at grid bearing b_deg (from the camera) and ground range g_m; the others inactive. */
static void place(struct bf_sim_target_pos tp[3], int k, double b_deg, double g_m)
{
    memset(tp, 0, 3 * sizeof *tp);
    tp[k].active = true;
    tp[k].e_m = scen->cameras[0].e_m + g_m * sin(b_deg * DEG);
    tp[k].n_m = scen->cameras[0].n_m + g_m * cos(b_deg * DEG);
}

/* The blob of pixels darker (dark) or brighter (!dark) than the ground; false if none. */
static bool find_blob(const uint8_t *img, int w, int h, bool dark, struct bf_motion_blob *b)
{
    *b = (struct bf_motion_blob){.x0 = w, .y0 = h, .x1 = -1, .y1 = -1};
    double sx = 0, sy = 0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            int v = img[(size_t)j * (size_t)w + (size_t)i];
            bool on = dark ? v < DARK : v > 200;
            /* the sky is bright too: a bright blob is looked for below the horizon only */
            if (!on || (!dark && j < h / 2 - 20))
                continue;
            b->area_px++;
            sx += i;
            sy += j;
            b->x0 = i < b->x0 ? i : b->x0;
            b->x1 = i > b->x1 ? i : b->x1;
            b->y0 = j < b->y0 ? j : b->y0;
            b->y1 = j > b->y1 ? j : b->y1;
        }
    if (b->area_px == 0)
        return false;
    b->cx = sx / b->area_px;
    b->cy = sy / b->area_px;
    return true;
}

/* Row of the point at relative azimuth az and elevation el (an independent pinhole). */
static double row_of(const struct bf_camera_pose *p, double az, double el)
{
    double f = cos(el) * cos(az), u = sin(el), t = p->tilt_rad;
    double zc = f * cos(t) + u * sin(t), yc = f * sin(t) - u * cos(t);
    return p->cy + p->fy * yc / zc;
}

static double wrap_deg(double d)
{
    return fmod(d + 540.0, 360.0) - 180.0;
}

/* A person at known bearings and ranges: bearing, range and size come back. */
static void test_blob_gives_bearing_and_size(void)
{
    struct bf_sim_camera_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 42, &e), 0);
    const struct bf_camera_pose *p = bf_sim_camera_emu_pose(e);
    static const double rel[] = {-15, -6, 0, 0.3, 7.5, 17};
    static const double range[] = {35, 45, 60, 90, 120};   /* the image's bottom: 31 m */
    int checked = 0;
    for (size_t a = 0; a < sizeof rel / sizeof rel[0]; a++) {
        for (size_t r = 0; r < sizeof range / sizeof range[0]; r++) {
            /* grid bearing: heading (true) + the convergence + the offset */
            double b = CAM_HEADING + scen->cameras[0].gamma_rad / DEG + rel[a];
            struct bf_sim_target_pos tp[3];
            place(tp, 0, b, range[r]);
            CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 1);
            struct bf_motion_blob bl;
            CU_ASSERT_TRUE_FATAL(find_blob(bf_sim_camera_emu_image(e), 640, 360, true, &bl));
            struct bf_camera_meas m;
            bf_camera_pose_measure(p, &bl, &m);
            double db = wrap_deg(m.bearing_rad / DEG - b);
            if (fabs(db) >= 0.5)
                fprintf(stderr, "\nbearing %g range %g: off by %.3f deg\n", b, range[r], db);
            CU_ASSERT_TRUE(fabs(db) < 0.5);
            CU_ASSERT_TRUE_FATAL(m.has_elevation);
            /* the foot row is within half a pixel: range to a few per cent */
            double px_per_m_range = p->fy * CAM_H / (range[r] * range[r]);
            CU_ASSERT_TRUE(fabs(m.range_m - range[r]) < 0.75 / px_per_m_range + 0.05 * range[r]);
            /* height in pixels: as an independent projection of foot and head predicts */
            double az = rel[a] * DEG;
            double want_px = row_of(p, az, atan2(-CAM_H, range[r])) -
                             row_of(p, az, atan2(1.7 - CAM_H, range[r]));
            double got_px = bl.y1 - bl.y0 + 1;
            if (fabs(got_px - want_px) > 1.0)
                fprintf(stderr, "\nrange %g: %g px tall, want %.2f\n", range[r], got_px, want_px);
            CU_ASSERT_TRUE(fabs(got_px - want_px) <= 1.0);
            /* and in metres, through the plugin's size estimate */
            CU_ASSERT_TRUE(fabs(m.object_height_m - 1.7) < 1.7 * 1.5 / want_px + 0.1);
            checked++;
        }
    }
    CU_ASSERT_EQUAL(checked, 30);
    bf_sim_camera_emu_destroy(e);
}

/* Vehicle and animal sizes: the plugin's class hints name the right class. */
static void test_class_sizes(void)
{
    struct bf_sim_camera_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 42, &e), 0);
    const struct bf_camera_pose *p = bf_sim_camera_emu_pose(e);
    double b = CAM_HEADING + scen->cameras[0].gamma_rad / DEG + 3;
    struct bf_sim_target_pos tp[3];
    struct bf_motion_blob bl;
    struct bf_camera_meas m;

    place(tp, 1, b, 60);   /* vehicle: bright, 4.5 x 1.6 m */
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 1);
    CU_ASSERT_TRUE_FATAL(find_blob(bf_sim_camera_emu_image(e), 640, 360, false, &bl));
    bf_camera_pose_measure(p, &bl, &m);
    CU_ASSERT_TRUE_FATAL(m.has_class);
    BF_ASSERT_NEAR(m.object_width_m, 4.5, 0.3);
    BF_ASSERT_NEAR(m.object_height_m, 1.6, 0.2);
    CU_ASSERT_TRUE(m.class_lik[BF_CLASS_VEHICLE] > 0.9 && m.class_lik[BF_CLASS_PERSON] < 0.2);

    place(tp, 2, b, 40);   /* animal: dark, 1.2 x 0.9 m */
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 1);
    CU_ASSERT_TRUE_FATAL(find_blob(bf_sim_camera_emu_image(e), 640, 360, true, &bl));
    bf_camera_pose_measure(p, &bl, &m);
    CU_ASSERT_TRUE_FATAL(m.has_class);
    BF_ASSERT_NEAR(m.object_width_m, 1.2, 0.15);
    BF_ASSERT_NEAR(m.object_height_m, 0.9, 0.15);
    CU_ASSERT_TRUE(m.class_lik[BF_CLASS_ANIMAL] > 0.9 && m.class_lik[BF_CLASS_PERSON] < 0.2);

    place(tp, 0, b, 40);   /* person: 0.5 x 1.7 m */
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 1);
    CU_ASSERT_TRUE_FATAL(find_blob(bf_sim_camera_emu_image(e), 640, 360, true, &bl));
    bf_camera_pose_measure(p, &bl, &m);
    CU_ASSERT_TRUE_FATAL(m.has_class);
    CU_ASSERT_TRUE(m.class_lik[BF_CLASS_PERSON] > 0.9 && m.class_lik[BF_CLASS_VEHICLE] < 0.2);
    bf_sim_camera_emu_destroy(e);
}

/* Behind the camera, out of the field of view, or not active: nothing drawn. */
static void test_out_of_view(void)
{
    struct bf_sim_camera_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 42, &e), 0);
    struct bf_sim_target_pos tp[3];
    struct bf_motion_blob bl;
    static const double off[] = {180, 90, -35, 30};
    for (size_t k = 0; k < sizeof off / sizeof off[0]; k++) {
        place(tp, 0, CAM_HEADING + off[k], 50);
        CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 0);
        CU_ASSERT_FALSE(find_blob(bf_sim_camera_emu_image(e), 640, 360, true, &bl));
    }
    place(tp, 0, CAM_HEADING, 50);
    tp[0].active = false;
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 0);
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 4, 1.0), BF_EINVAL);   /* more than targets */
    bf_sim_camera_emu_destroy(e);
}

/* The nearest target hides the farther one; drawn boxes reported. */
static void test_occlusion(void)
{
    struct bf_sim_camera_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 42, &e), 0);
    double b = CAM_HEADING + scen->cameras[0].gamma_rad / DEG;
    struct bf_sim_target_pos tp[3], tv[3];
    place(tp, 0, b, 30);    /* person near */
    place(tv, 1, b, 45);    /* vehicle behind it */
    tp[1] = tv[1];
    CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, 1.0), 2);
    size_t n;
    const struct bf_sim_camera_blob *bl = bf_sim_camera_emu_blobs(e, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(bl[0].target, 1);   /* far first */
    CU_ASSERT_EQUAL(bl[1].target, 0);
    BF_ASSERT_NEAR(bl[1].range_m, 30, 1e-6);
    const uint8_t *img = bf_sim_camera_emu_image(e);
    int cx = (bl[1].x0 + bl[1].x1) / 2, cy = (bl[1].y0 + bl[1].y1) / 2;
    CU_ASSERT_TRUE(cx >= bl[0].x0 && cx <= bl[0].x1);   /* inside the vehicle's box ... */
    CU_ASSERT_TRUE(img[(size_t)cy * 640 + (size_t)cx] < DARK);   /* ... but the person shows */
    bf_sim_camera_emu_destroy(e);
}

/* Mild noise, different every frame; the same seed gives the same frames. */
static void test_noise_and_seed(void)
{
    struct bf_sim_camera_emu *a, *b;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 7, &a), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 7, &b), 0);
    struct bf_sim_target_pos tp[3];
    memset(tp, 0, sizeof tp);
    size_t px = 640 * 360;
    uint8_t *prev = malloc(px);
    CU_ASSERT_PTR_NOT_NULL_FATAL(prev);
    for (int k = 0; k < 5; k++) {
        bf_sim_camera_emu_render(a, tp, 3, k * 0.1);
        bf_sim_camera_emu_render(b, tp, 3, k * 0.1);
        const uint8_t *ia = bf_sim_camera_emu_image(a), *ib = bf_sim_camera_emu_image(b);
        CU_ASSERT_EQUAL(memcmp(ia, ib, px), 0);
        if (k > 0) {
            double sum = 0;
            int maxd = 0;
            for (size_t i = 0; i < px; i++) {
                int d = abs((int)ia[i] - (int)prev[i]);
                sum += d;
                maxd = d > maxd ? d : maxd;
            }
            double mean = sum / (double)px;
            CU_ASSERT_TRUE(mean > 0.8 && mean < 4.0);   /* sd 2 each: E|a-b| = 2.26 */
            CU_ASSERT_TRUE(maxd <= 12);
        }
        memcpy(prev, ia, px);
    }
    /* a textured ground, not a flat grey: the lower half has spread */
    const uint8_t *ia = bf_sim_camera_emu_image(a);
    int lo = 255, hi = 0;
    for (size_t i = px / 2 + 640 * 20; i < px; i++) {
        lo = ia[i] < lo ? ia[i] : lo;
        hi = ia[i] > hi ? ia[i] : hi;
    }
    CU_ASSERT_TRUE(hi - lo > 30);
    CU_ASSERT_TRUE(lo >= DARK);   /* the ground never looks like a person */
    free(prev);
    bf_sim_camera_emu_destroy(a);
    bf_sim_camera_emu_destroy(b);
}

/* A walker crossing the view: the real motion detector finds it at the right bearing. */
static void test_motion_detector_finds_it(void)
{
    struct bf_sim_camera_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(scen, 0, 3, &e), 0);
    const struct bf_camera_pose *p = bf_sim_camera_emu_pose(e);
    struct bf_motion_params mp;
    bf_motion_params_default(&mp);
    mp.width = 640;
    mp.height = 360;
    struct bf_motion *m;
    CU_ASSERT_EQUAL_FATAL(bf_motion_create(&mp, &m), 0);
    struct bf_sim_target_pos tp[3];
    struct bf_motion_blob blobs[8];
    struct bf_motion_result res;
    int found = 0, frames = 0;
    double b0 = CAM_HEADING + scen->cameras[0].gamma_rad / DEG;
    for (int k = 0; k < 60; k++) {
        double b = b0 - 10 + 0.3 * k;   /* walking across the view at 45 m */
        place(tp, 0, b, 45);
        if (k < 30)
            tp[0].active = false;   /* the background first */
        bf_sim_camera_emu_render(e, tp, 3, k * 0.1);
        int nb = bf_motion_process(m, bf_sim_camera_emu_image(e), 640, blobs, 8, &res);
        if (k < 30) {
            CU_ASSERT_EQUAL(nb, 0);
            continue;
        }
        frames++;
        CU_ASSERT_EQUAL(nb, 1);
        if (nb < 1)
            continue;
        struct bf_camera_meas meas;
        bf_camera_pose_measure(p, &blobs[0], &meas);
        double db = wrap_deg(meas.bearing_rad / DEG - b);
        CU_ASSERT_TRUE(fabs(db) < 0.5);
        CU_ASSERT_TRUE(meas.has_elevation && fabs(meas.range_m - 45) < 4);
        found += fabs(db) < 0.5;
    }
    CU_ASSERT_EQUAL(frames, 30);
    CU_ASSERT_EQUAL(found, 30);
    bf_motion_destroy(m);
    bf_sim_camera_emu_destroy(e);
}

/* ---- through GStreamer to the real camera plugin ------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define WALK_B0 (-8.0)            /* the walker's bearing (relative) at frame 0 */
#define WALK_DB 0.25              /* ... and per frame */
#define WALK_G 50.0               /* at this range */
#define WARM 15                   /* frames without the walker first */
#define FRAMES 70

static double walker_bearing(const struct bf_sim_scenario *s, int k)
{
    return CAM_HEADING + s->cameras[0].gamma_rad / DEG + WALK_B0 + WALK_DB * k;
}

static void test_served_to_camera_plugin(void)
{
    int port = free_port();
    CU_ASSERT_TRUE_FATAL(port > 0);
    struct bf_sim_scenario *s = make_scenario(port, 640, 360, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    struct bf_sim_camera_emu *e;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(s, 0, 5, &e), 0);
    char err[512];
    int rc = bf_sim_camera_emu_serve(e, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(bf_sim_camera_emu_clients(e), 0);

    /* the plugin, configured as docs/scenario.md says */
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(s->start_us, iso, sizeof iso);
    char opts[1024];
    snprintf(opts, sizeof opts,
             "{\"pipeline\": \"tcpclientsrc host=127.0.0.1 port=%d ! matroskademux\", "
             "\"heading_deg\": %g, \"tilt_deg\": %g, \"hfov_deg\": %g, \"time\": \"pts\", "
             "\"start_time\": \"%s\", \"warmup_frames\": 10, \"downscale\": 1, "
             "\"reconnect_min_s\": 0.1, \"reconnect_max_s\": 0.2}",
             port, CAM_HEADING, CAM_TILT, CAM_HFOV, iso);
    cJSON *o = cJSON_Parse(opts);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    const struct bf_sim_camera *c = &s->cameras[0];
    struct bf_sensor_config cfg = {
        .abi_version = BF_SENSOR_ABI, .site = "test", .id = "cam-1", .index = 0,
        .lat_deg = c->lat_deg, .lon_deg = c->lon_deg, .e_m = c->e_m, .n_m = c->n_m,
        .sigma_bearing_deg = 0.3, .options = o, .frame = s->frame, .height_m = CAM_H,
    };
    static struct fake_host fh;
    fake_host_init(&fh);
    const struct bf_sensor_ops *ops = bf_sensor_builtin("camera");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    void *state = calloc(1, ops->state_size);
    CU_ASSERT_EQUAL_FATAL(ops->open(state, &cfg, &fh.host), 0);
    cJSON_Delete(o);
    for (int i = 0; i < 100 && bf_sim_camera_emu_clients(e) == 0; i++)
        sleep_ms(50);
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_clients(e), 1);

    struct bf_sim_target_pos tp[3];
    for (int k = 0; k < FRAMES; k++) {
        place(tp, 0, walker_bearing(s, k), WALK_G);
        tp[0].active = k >= WARM;
        CU_ASSERT_EQUAL(bf_sim_camera_emu_render(e, tp, 3, k * 0.1), k >= WARM ? 1 : 0);
        CU_ASSERT_EQUAL(bf_sim_camera_emu_push(e, k * 0.1), 0);
        sleep_ms(5);   /* about 200 fps: the plugin keeps up */
    }
    size_t want = FRAMES - WARM - 2;
    bool got = fake_host_wait(&fh, fake_has_dets, &want, 10000);
    CU_ASSERT_TRUE(got);
    static struct bf_detection dets[FAKE_MAX_DETS];
    size_t n = fake_host_dets(&fh, dets, FAKE_MAX_DETS);
    int checked = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bf_detection *d = &dets[i];
        CU_ASSERT_EQUAL(d->kind, BF_MEAS_BEARING);
        double t = bf_time_to_s(d->t_us - s->start_us);
        int k = (int)lround(t * 10);
        CU_ASSERT_TRUE(fabs(t - k * 0.1) < 1e-6);   /* the event time is the frame's PTS */
        CU_ASSERT_TRUE(k >= WARM && k < FRAMES);
        double db = wrap_deg(d->z[0] / DEG - walker_bearing(s, k));
        worst = fmax(worst, fabs(db));
        CU_ASSERT_TRUE(fabs(db) < 0.5);
        CU_ASSERT_TRUE_FATAL(d->flags & BF_DET_F_ELEVATION);
        double g = CAM_H / tan(-d->z[1]);
        CU_ASSERT_TRUE(fabs(g - WALK_G) < 3.0);
        CU_ASSERT_TRUE((d->flags & BF_DET_F_CLASS) &&
                       d->class_lik[BF_CLASS_PERSON] > d->class_lik[BF_CLASS_VEHICLE]);
        checked++;
    }
    CU_ASSERT_TRUE(checked >= (int)want);
    CU_ASSERT_EQUAL(fh.faults[BF_FAULT_TIME], 0);
    printf("\n    %d bearings from the plugin, worst %.3f deg off the truth\n", checked, worst);
    ops->close(state);
    free(state);
    fake_host_destroy(&fh);
    struct bf_sim_camera_stats st;
    bf_sim_camera_emu_stats(e, &st);
    CU_ASSERT_EQUAL(st.pushed, FRAMES);
    CU_ASSERT_EQUAL(st.push_failed, 0);
    bf_sim_camera_emu_destroy(e);

    /* a second server on a taken port fails with a message saying so */
    struct bf_sim_camera_emu *x, *y;
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(s, 0, 5, &x), 0);
    CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(s, 0, 5, &y), 0);
    CU_ASSERT_EQUAL(bf_sim_camera_emu_serve(x, err, sizeof err), 0);
    CU_ASSERT_EQUAL(bf_sim_camera_emu_serve(y, err, sizeof err), BF_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "port"));
    bf_sim_camera_emu_destroy(y);
    bf_sim_camera_emu_destroy(x);
    bf_sim_scenario_destroy(s);
}

/* Rendering cost per frame (printed; asserts only that it was measured). */
static void test_render_cost(void)
{
    static const int sizes[][2] = {{640, 360}, {1280, 720}};
    for (size_t k = 0; k < 2; k++) {
        struct bf_sim_scenario *s = make_scenario(1, sizes[k][0], sizes[k][1], 25);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        struct bf_sim_camera_emu *e;
        CU_ASSERT_EQUAL_FATAL(bf_sim_camera_emu_create(s, 0, 1, &e), 0);
        struct bf_sim_target_pos tp[3];
        memset(tp, 0, sizeof tp);
        for (int i = 0; i < 3; i++) {
            tp[i].active = true;
            tp[i].e_m = s->cameras[0].e_m + 5 * i;
            tp[i].n_m = s->cameras[0].n_m + 40 + 20 * i;
        }
        for (int f = 0; f < 100; f++)
            bf_sim_camera_emu_render(e, tp, 3, f / 25.0);
        struct bf_sim_camera_stats st;
        bf_sim_camera_emu_stats(e, &st);
        CU_ASSERT_EQUAL(st.frames, 100);
        CU_ASSERT_TRUE(st.render_ms_sum > 0);
        printf("\n    %dx%d: %.3f ms per frame (max %.3f), %.1f targets drawn\n", sizes[k][0],
               sizes[k][1], st.render_ms_sum / 100.0, st.render_ms_max, st.blobs / 100.0);
        bf_sim_camera_emu_destroy(e);
        bf_sim_scenario_destroy(s);
    }
}

static CU_TestInfo tests[] = {
    {"a blob gives back bearing, range and size", test_blob_gives_bearing_and_size},
    {"class sizes: vehicle, animal, person", test_class_sizes},
    {"out of view, behind, inactive: nothing", test_out_of_view},
    {"the nearest hides the farther", test_occlusion},
    {"mild noise; same seed, same frames", test_noise_and_seed},
    {"the motion detector finds the walker", test_motion_detector_finds_it},
    {"served over TCP to the real camera plugin", test_served_to_camera_plugin},
    {"rendering cost", test_render_cost},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sim_camera_emu", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
