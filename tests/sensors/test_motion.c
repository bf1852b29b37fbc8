/*
 * test_motion.c - the camera's motion detector and pose on synthetic frames
 * in memory: a bright square moving over a noisy textured background is one
 * blob with the right centroid and area, at full resolution and binned; a
 * slow (and a sudden) change of light, a one-pixel speck and too-small blobs
 * do not fire; two targets are two blobs, largest first; the warm-up and a
 * global change give no blobs.  The pose maths against hand-computed
 * bearings and elevations, and blobs of known size turned into range, size
 * and class hints.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "sensors/camera_pose.h"
#include "sensors/motion.h"

#define W 320
#define H 240
#define DEG (M_PI / 180)

static uint64_t rng = 88172645463325252ull;

static uint32_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Textured background (a gentle gradient and stripes) + noise of std ~4, plus light. */
static void background(uint8_t *img, size_t stride, int w, int h, int light)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = 70 + x / 16 + ((y / 8) % 2) * 10 + light;
            int n = (int)(xorshift() % 15) - 7;   /* uniform [-7, 7]: std 4.3 */
            v += n;
            img[(size_t)y * stride + (size_t)x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

static void square(uint8_t *img, size_t stride, int x0, int y0, int sw, int sh, int value)
{
    for (int y = y0; y < y0 + sh; y++)
        for (int x = x0; x < x0 + sw; x++)
            img[(size_t)y * stride + (size_t)x] = (uint8_t)value;
}

static struct bf_motion *make(int downscale, int warmup, int min_area)
{
    struct bf_motion_params p;
    bf_motion_params_default(&p);
    p.width = W;
    p.height = H;
    p.downscale = downscale;
    p.warmup_frames = warmup;
    p.min_area_px = min_area;
    struct bf_motion *m = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_motion_create(&p, &m), 0);
    return m;
}

static void warm(struct bf_motion *m, uint8_t *img, size_t stride, int frames)
{
    struct bf_motion_blob b[8];
    struct bf_motion_result res;
    for (int i = 0; i < frames; i++) {
        background(img, stride, W, H, 0);
        CU_ASSERT_EQUAL(bf_motion_process(m, img, stride, b, 8, &res), 0);
        CU_ASSERT_TRUE(res.warming_up);
    }
}

/* A 12 x 12 square at 200 moving 3 px a frame: one blob per frame, centroid
   within a pixel, area 144 (full resolution) or 144 ... 196 (binned). */
static void moving_square(int downscale, size_t stride)
{
    static uint8_t img[H * (W + 64)];
    struct bf_motion *m = make(downscale, 10, 24);
    warm(m, img, stride, 10);
    struct bf_motion_blob b[8];
    struct bf_motion_result res;
    for (int i = 0; i < 40; i++) {
        int x0 = 20 + 3 * i, y0 = 100 + i;
        background(img, stride, W, H, 0);
        square(img, stride, x0, y0, 12, 12, 200);
        int n = bf_motion_process(m, img, stride, b, 8, &res);
        CU_ASSERT_FALSE(res.warming_up);
        CU_ASSERT_EQUAL_FATAL(n, 1);
        BF_ASSERT_NEAR(b[0].cx, x0 + 5.5, 1.0);
        BF_ASSERT_NEAR(b[0].cy, y0 + 5.5, 1.0);
        if (downscale == 1) {
            CU_ASSERT_EQUAL(b[0].area_px, 144);
            CU_ASSERT_EQUAL(b[0].x0, x0);
            CU_ASSERT_EQUAL(b[0].x1, x0 + 11);
            CU_ASSERT_EQUAL(b[0].y0, y0);
            CU_ASSERT_EQUAL(b[0].y1, y0 + 11);
        } else {
            CU_ASSERT(b[0].area_px >= 144 && b[0].area_px <= 196);
            CU_ASSERT(b[0].x0 >= x0 - 1 && b[0].x0 <= x0);
            CU_ASSERT(b[0].x1 >= x0 + 11 && b[0].x1 <= x0 + 12);
            CU_ASSERT(b[0].y1 >= y0 + 11 && b[0].y1 <= y0 + 12);
        }
    }
    bf_motion_destroy(m);
}

static void test_square_full(void) { moving_square(1, W); }
static void test_square_binned(void) { moving_square(2, W); }
static void test_square_padded_rows(void) { moving_square(2, W + 64); }

/* Light rising 1 grey level a frame for 100 frames, then a sudden +40: no blob. */
static void test_illumination(void)
{
    static uint8_t img[W * H];
    for (int ds = 1; ds <= 2; ds++) {
        struct bf_motion *m = make(ds, 10, 24);
        warm(m, img, W, 10);
        struct bf_motion_blob b[8];
        struct bf_motion_result res;
        int fired = 0;
        for (int i = 0; i < 120; i++) {
            int light = i < 100 ? i : 140;
            background(img, W, W, H, light);
            fired += bf_motion_process(m, img, W, b, 8, &res);
            CU_ASSERT_FALSE(res.global_change);
        }
        CU_ASSERT_EQUAL(fired, 0);
        bf_motion_destroy(m);
    }
}

/* A one-pixel speck at 255 jumping about: filtered out by the opening. */
static void test_speck(void)
{
    static uint8_t img[W * H];
    for (int ds = 1; ds <= 2; ds++) {
        struct bf_motion *m = make(ds, 10, 1);   /* no area filter: the opening alone */
        warm(m, img, W, 10);
        struct bf_motion_blob b[8];
        struct bf_motion_result res;
        int fired = 0;
        for (int i = 0; i < 30; i++) {
            background(img, W, W, H, 0);
            img[(size_t)(10 + 7 * i) * W + (size_t)(5 + 9 * i)] = 255;
            /* and a two-pixel-wide line: also thinner than the 3x3 element at full resolution */
            if (ds == 1)
                square(img, W, 200, 20, 2, 40, 250);
            fired += bf_motion_process(m, img, W, b, 8, &res);
        }
        CU_ASSERT_EQUAL(fired, 0);
        bf_motion_destroy(m);
    }
}

/* Two squares far apart: two blobs, the larger first; a small one under
   min_area is dropped and counted; max 1 keeps the largest. */
static void test_two_blobs(void)
{
    static uint8_t img[W * H];
    struct bf_motion *m = make(1, 5, 50);
    warm(m, img, W, 5);
    struct bf_motion_blob b[8];
    struct bf_motion_result res;
    background(img, W, W, H, 0);
    square(img, W, 30, 40, 10, 10, 220);     /* 100 px */
    square(img, W, 200, 150, 20, 15, 10);    /* 300 px, dark on bright-ish */
    square(img, W, 120, 200, 6, 6, 230);     /* 36 px: below min_area */
    int n = bf_motion_process(m, img, W, b, 8, &res);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(res.components, 3);
    CU_ASSERT_EQUAL(res.dropped_small, 1);
    CU_ASSERT_EQUAL(b[0].area_px, 300);
    BF_ASSERT_NEAR(b[0].cx, 209.5, 0.01);
    BF_ASSERT_NEAR(b[0].cy, 157.0, 0.01);
    CU_ASSERT_EQUAL(b[1].area_px, 100);
    BF_ASSERT_NEAR(b[1].cx, 34.5, 0.01);
    BF_ASSERT_NEAR(b[1].cy, 44.5, 0.01);
    CU_ASSERT_EQUAL(res.fg_pixels, 436);
    /* the same scene again with room for one blob: the largest stays */
    background(img, W, W, H, 0);
    square(img, W, 31, 40, 10, 10, 220);
    square(img, W, 201, 150, 20, 15, 10);
    n = bf_motion_process(m, img, W, b, 1, &res);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(b[0].area_px, 300);
    CU_ASSERT_EQUAL(res.dropped_over_max, 1);
    bf_motion_destroy(m);
}

/* An L shape and a diagonal touch: 8-connectivity joins runs across rows. */
static void test_connectivity(void)
{
    static uint8_t img[W * H];
    struct bf_motion *m = make(1, 5, 1);
    warm(m, img, W, 5);
    struct bf_motion_blob b[8];
    struct bf_motion_result res;
    background(img, W, W, H, 0);
    square(img, W, 50, 50, 4, 20, 220);   /* vertical bar */
    square(img, W, 50, 66, 20, 4, 220);   /* foot of the L */
    square(img, W, 70, 70, 4, 4, 220);    /* touches the foot diagonally only */
    square(img, W, 100, 20, 3, 12, 220);  /* a U: two legs joined at the bottom */
    square(img, W, 127, 20, 3, 12, 220);
    square(img, W, 100, 29, 30, 3, 220);
    int n = bf_motion_process(m, img, W, b, 8, &res);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(b[0].x0, 50);
    CU_ASSERT_EQUAL(b[0].x1, 73);
    CU_ASSERT_EQUAL(b[0].y0, 50);
    CU_ASSERT_EQUAL(b[0].y1, 73);
    CU_ASSERT_EQUAL(b[0].area_px, 80 + 64 + 16);
    CU_ASSERT_EQUAL(b[1].x0, 100);
    CU_ASSERT_EQUAL(b[1].x1, 129);
    CU_ASSERT_EQUAL(b[1].area_px, 90 + 2 * 9 * 3);
    bf_motion_destroy(m);
}

/* Warm-up frames give no blobs even with a target; a new picture is a
   global change (no blobs, background reseeded: the next frame is quiet). */
static void test_warmup_and_global(void)
{
    static uint8_t img[W * H];
    struct bf_motion *m = make(2, 8, 24);
    struct bf_motion_blob b[8];
    struct bf_motion_result res;
    for (int i = 0; i < 8; i++) {
        background(img, W, W, H, 0);
        square(img, W, 40 + 10 * i, 60, 16, 16, 230);
        CU_ASSERT_EQUAL(bf_motion_process(m, img, W, b, 8, &res), 0);
        CU_ASSERT_TRUE(res.warming_up);
    }
    /* the target's trace in the warm-up background fades (foreground learns at
       learning_rate / 4): quiet within 100 frames */
    int n = 0;
    for (int i = 0; i < 100; i++) {
        background(img, W, W, H, 0);
        n = bf_motion_process(m, img, W, b, 8, &res);
        CU_ASSERT_FALSE(res.warming_up);
    }
    CU_ASSERT_EQUAL(n, 0);
    /* the camera turned: a picture of another kind (checkerboard) */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y * W + x] = (uint8_t)((((x / 10) + (y / 10)) % 2) ? 220 : 20);
    CU_ASSERT_EQUAL(bf_motion_process(m, img, W, b, 8, &res), 0);
    CU_ASSERT_TRUE(res.global_change);
    CU_ASSERT_EQUAL(bf_motion_process(m, img, W, b, 8, &res), 0);
    CU_ASSERT_FALSE(res.global_change);
    CU_ASSERT_EQUAL(res.components, 0);
    /* reset: warming up again */
    bf_motion_reset(m);
    CU_ASSERT_EQUAL(bf_motion_process(m, img, W, b, 8, &res), 0);
    CU_ASSERT_TRUE(res.warming_up);
    CU_ASSERT_EQUAL(bf_motion_process(m, img, W - 1, b, 8, &res), BF_EINVAL);
    bf_motion_destroy(m);
}

static void test_bad_params(void)
{
    struct bf_motion_params p;
    bf_motion_params_default(&p);
    p.width = W;
    p.height = H;
    struct bf_motion *m = (struct bf_motion *)&p;
    struct bf_motion_params bad = p;
    bad.downscale = 3;
    CU_ASSERT_EQUAL(bf_motion_create(&bad, &m), BF_EINVAL);
    CU_ASSERT_PTR_NULL(m);
    bad = p;
    bad.learning_rate = 0;
    CU_ASSERT_EQUAL(bf_motion_create(&bad, &m), BF_EINVAL);
    bad = p;
    bad.width = 4;
    CU_ASSERT_EQUAL(bf_motion_create(&bad, &m), BF_EINVAL);
    bad = p;
    bad.threshold = 0;
    CU_ASSERT_EQUAL(bf_motion_create(&bad, &m), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_motion_create(&p, &m), 0);
    CU_ASSERT_EQUAL(bf_motion_params(m)->threshold, 25);
    bf_motion_destroy(m);
    bf_motion_destroy(NULL);
}

/* ---- pose --------------------------------------------------------------- */

static struct bf_camera_pose pose(double heading_deg, double tilt_deg, double hfov_deg)
{
    struct bf_camera_pose p = {.heading_rad = heading_deg * DEG, .tilt_rad = tilt_deg * DEG,
                               .hfov_rad = hfov_deg * DEG};
    CU_ASSERT_EQUAL(bf_camera_pose_set_size(&p, 640, 480), 0);
    return p;
}

static void ray_deg(const struct bf_camera_pose *p, double u, double v, double *b, double *e)
{
    bf_camera_pose_ray(p, u, v, b, e);
    *b /= DEG;
    *e /= DEG;
}

static void test_pose_level(void)
{
    struct bf_camera_pose p = pose(30, 0, 60);
    double b, e;
    ray_deg(&p, 320, 240, &b, &e);       /* centre: the optical axis */
    BF_ASSERT_NEAR(b, 30, 1e-9);
    BF_ASSERT_NEAR(e, 0, 1e-9);
    ray_deg(&p, 0, 240, &b, &e);         /* left edge: heading - hfov / 2 */
    BF_ASSERT_NEAR(b, 0, 1e-9);
    ray_deg(&p, 640, 240, &b, &e);       /* right edge */
    BF_ASSERT_NEAR(b, 60, 1e-9);
    ray_deg(&p, 320, 0, &b, &e);         /* top edge: vfov / 2 = atan(0.75 tan 30) */
    BF_ASSERT_NEAR(e, 23.41322444637054, 1e-9);
    BF_ASSERT_NEAR(b, 30, 1e-9);
    ray_deg(&p, 320, 480, &b, &e);
    BF_ASSERT_NEAR(e, -23.41322444637054, 1e-9);
    /* an explicit vfov overrides square pixels */
    p.vfov_rad = 40 * DEG;
    CU_ASSERT_EQUAL(bf_camera_pose_set_size(&p, 640, 480), 0);
    ray_deg(&p, 320, 0, &b, &e);
    BF_ASSERT_NEAR(e, 20, 1e-9);
    p.hfov_rad = 0;
    CU_ASSERT_EQUAL(bf_camera_pose_set_size(&p, 640, 480), BF_EINVAL);
}

static void test_pose_wrap(void)
{
    struct bf_camera_pose p = pose(359, 0, 10);
    double b, e;
    ray_deg(&p, 320, 240, &b, &e);
    BF_ASSERT_NEAR(b, 359, 1e-9);
    ray_deg(&p, 640, 240, &b, &e);       /* 359 + 5 wraps to 4 */
    BF_ASSERT_NEAR(b, 4, 1e-9);
    ray_deg(&p, 0, 240, &b, &e);
    BF_ASSERT_NEAR(b, 354, 1e-9);
    p = pose(2, 0, 10);
    ray_deg(&p, 0, 240, &b, &e);         /* 2 - 5 wraps to 357 */
    BF_ASSERT_NEAR(b, 357, 1e-9);
    /* grid convergence is added to the true bearing */
    p = pose(90, 0, 60);
    p.convergence_rad = 0.5 * DEG;
    ray_deg(&p, 320, 240, &b, &e);
    BF_ASSERT_NEAR(b, 90.5, 1e-9);
    p = pose(0, 0, 60);
    p.convergence_rad = -0.5 * DEG;
    ray_deg(&p, 320, 240, &b, &e);
    BF_ASSERT_NEAR(b, 359.5, 1e-9);
}

static void test_pose_tilted(void)
{
    struct bf_camera_pose p = pose(100, -10, 60);
    double b, e;
    ray_deg(&p, 320, 240, &b, &e);
    BF_ASSERT_NEAR(b, 100, 1e-9);
    BF_ASSERT_NEAR(e, -10, 1e-9);
    /* the centre column stays in the vertical plane: el = tilt - atan(y) */
    double v = 240 + p.fy * tan(5 * DEG);
    ray_deg(&p, 320, v, &b, &e);
    BF_ASSERT_NEAR(b, 100, 1e-9);
    BF_ASSERT_NEAR(e, -15, 1e-9);
    /* off axis on the centre row: atan(tan 20 / cos 10), atan2(sin -10, hypot(cos 10, tan 20)) */
    double u = 320 + p.fx * tan(20 * DEG);
    ray_deg(&p, u, 240, &b, &e);
    BF_ASSERT_NEAR(b, 100 + 20.283559454529716, 1e-9);
    BF_ASSERT_NEAR(e, -9.391285802043496, 1e-9);
}

/* Project a world point (bearing from the optical axis, ground range, height
   above ground) into the image: the test's own forward model. */
static void project(const struct bf_camera_pose *p, double rel_b, double g, double z,
                    double *u, double *v)
{
    double F = g * cos(rel_b), R = g * sin(rel_b), U = z - p->height_m;
    double ct = cos(p->tilt_rad), st = sin(p->tilt_rad);
    double fwd = F * ct + U * st, down = F * st - U * ct;
    *u = p->cx + p->fx * R / fwd;
    *v = p->cy + p->fy * down / fwd;
}

/* An object of width x height metres at ground range g, centred on rel_b: its blob. */
static struct bf_motion_blob object_blob(const struct bf_camera_pose *p, double rel_b, double g,
                                         double width_m, double height_m)
{
    double ul, ur, vf, vt, uc, unused;
    project(p, rel_b - width_m / 2 / g, g, 0, &ul, &vf);
    project(p, rel_b + width_m / 2 / g, g, 0, &ur, &unused);
    project(p, rel_b, g, height_m, &uc, &vt);
    project(p, rel_b, g, 0, &uc, &unused);
    struct bf_motion_blob b = {
        .x0 = (int)lround(ul), .x1 = (int)lround(ur) - 1, .y0 = (int)lround(vt),
        .y1 = (int)lround(vf) - 1, .cx = uc - 0.5,
    };
    b.cy = (b.y0 + b.y1) / 2.0;
    b.area_px = (b.x1 - b.x0 + 1) * (b.y1 - b.y0 + 1);
    return b;
}

static int best_class(const struct bf_camera_meas *m)
{
    int best = 0;
    for (int k = 1; k < BF_CLASS_COUNT; k++)
        if (m->class_lik[k] > m->class_lik[best])
            best = k;
    return best;
}

static void test_measure(void)
{
    struct bf_camera_pose p = pose(45, -6, 40);
    p.height_m = 8;
    CU_ASSERT_EQUAL(bf_camera_pose_set_size(&p, 1280, 720), 0);
    struct bf_camera_meas m;
    /* a person 1.8 x 0.6 m at 60 m, 5 degrees right of the axis */
    struct bf_motion_blob b = object_blob(&p, 5 * DEG, 60, 0.6, 1.8);
    bf_camera_pose_measure(&p, &b, &m);
    CU_ASSERT_TRUE(m.has_elevation);
    BF_ASSERT_NEAR(m.bearing_rad / DEG, 50, 0.1);
    BF_ASSERT_NEAR(m.elevation_rad / DEG, -atan2(8, 60) / DEG, 0.05);
    BF_ASSERT_NEAR(m.range_m, 60, 1.5);
    BF_ASSERT_NEAR(m.object_height_m, 1.8, 0.15);
    BF_ASSERT_NEAR(m.object_width_m, 0.6, 0.15);
    CU_ASSERT_TRUE(m.has_class);
    CU_ASSERT_EQUAL(best_class(&m), BF_CLASS_PERSON);
    /* a car 4.5 x 1.5 m at 120 m, 8 degrees left */
    b = object_blob(&p, -8 * DEG, 120, 4.5, 1.5);
    bf_camera_pose_measure(&p, &b, &m);
    BF_ASSERT_NEAR(m.bearing_rad / DEG, 37, 0.1);
    BF_ASSERT_NEAR(m.range_m, 120, 5);
    CU_ASSERT_EQUAL(best_class(&m), BF_CLASS_VEHICLE);
    /* a deer-sized animal 1.4 x 0.9 m at 40 m */
    b = object_blob(&p, 0, 40, 1.4, 0.9);
    bf_camera_pose_measure(&p, &b, &m);
    BF_ASSERT_NEAR(m.range_m, 40, 1);
    CU_ASSERT_EQUAL(best_class(&m), BF_CLASS_ANIMAL);
    /* something 6 m tall: none of the three */
    bf_camera_class_hint(6, 2, m.class_lik);
    CU_ASSERT_EQUAL(best_class(&m), BF_CLASS_UNKNOWN);
    /* above the horizon (a bird): bearing only */
    b = (struct bf_motion_blob){.x0 = 600, .x1 = 610, .y0 = 20, .y1 = 30, .cx = 605, .cy = 25,
                                .area_px = 121};
    bf_camera_pose_measure(&p, &b, &m);
    CU_ASSERT_FALSE(m.has_elevation);
    CU_ASSERT_FALSE(m.has_class);
    CU_ASSERT_TRUE(isnan(m.range_m));
    /* cut by the bottom edge: the ground point is out of view */
    b = (struct bf_motion_blob){.x0 = 600, .x1 = 610, .y0 = 700, .y1 = 719, .cx = 605, .cy = 710,
                                .area_px = 200};
    bf_camera_pose_measure(&p, &b, &m);
    CU_ASSERT_FALSE(m.has_elevation);
    /* no height: no elevation either */
    p.height_m = 0;
    b = object_blob(&p, 0, 40, 1.4, 0.9);
    bf_camera_pose_measure(&p, &b, &m);
    CU_ASSERT_FALSE(m.has_elevation);
    BF_ASSERT_NEAR(m.bearing_rad / DEG, 45, 0.1);
}

static CU_TestInfo motion_tests[] = {
    {"moving square, full resolution", test_square_full},
    {"moving square, 2x2 binning", test_square_binned},
    {"moving square, padded rows", test_square_padded_rows},
    {"slow and sudden light change", test_illumination},
    {"one-pixel speck and thin line", test_speck},
    {"two blobs, area filter, max", test_two_blobs},
    {"8-connectivity across rows", test_connectivity},
    {"warm-up, global change, reset", test_warmup_and_global},
    {"bad parameters", test_bad_params},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo pose_tests[] = {
    {"level camera: centre and edges", test_pose_level},
    {"wrap at 0/360, convergence", test_pose_wrap},
    {"tilted camera", test_pose_tilted},
    {"blob to range, size, class", test_measure},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"motion", NULL, NULL, NULL, NULL, motion_tests},
    {"camera pose", NULL, NULL, NULL, NULL, pose_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
