/*
 * test_cue.c - camera cueing: pan, tilt, zoom for hand-computed geometry; the
 * commanded bearing and range checked against an independent conversion (an
 * azimuthal equidistant frame centred on the camera, where bearing and
 * distance are exact); coverage; the cuer's choice of camera, rate limit,
 * preemption and releases; cameras added, moved and removed while it runs;
 * the command's JSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/cue.h"
#include "bf_test.h"
#include "core/bf_error.h"

#define ORIGIN_LAT 46.80
#define ORIGIN_LON 8.20

static struct bf_cue_camera cam_at(double e, double n, double height, double zero)
{
    return (struct bf_cue_camera){
        .id = "cam", .e_m = e, .n_m = n, .height_m = height, .zero_deg = zero,
        .max_range_m = 3000, .fov_min_deg = 2, .fov_max_deg = 60,
    };
}

static void test_aim_known_geometry(void)
{
    struct bf_cue_camera c = cam_at(0, 0, 10, 0);
    struct bf_cue_aim a;
    /* 200 m north: fov 2 atan(10/200) = 5.72481 deg, tilt -atan(10/200) = -2.86241 deg */
    bf_cue_aim(&c, 0, 200, 20, &a);
    BF_ASSERT_NEAR(a.range_m, 200.0, 1e-9);
    BF_ASSERT_NEAR(a.bearing_deg, 0.0, 1e-9);
    BF_ASSERT_NEAR(a.pan_deg, 0.0, 1e-9);
    BF_ASSERT_NEAR(a.tilt_deg, -2.862405, 1e-6);
    BF_ASSERT_NEAR(a.fov_deg, 5.724810, 1e-6);
    BF_ASSERT_NEAR(a.zoom, 0.577350 / 0.05, 1e-3);   /* tan 30 / tan 2.862405 = 11.547 */
    /* (1000, 1000): 45 deg, 1414.21 m; fov 0.81 clamped to 2, zoom tan 30 / tan 1 = 33.076 */
    bf_cue_aim(&c, 1000, 1000, 20, &a);
    BF_ASSERT_NEAR(a.range_m, 1414.2136, 1e-3);
    BF_ASSERT_NEAR(a.bearing_deg, 45.0, 1e-9);
    BF_ASSERT_NEAR(a.tilt_deg, -0.405142, 1e-5);
    BF_ASSERT_NEAR(a.fov_deg, 2.0, 1e-12);
    BF_ASSERT_NEAR(a.zoom, 33.0763, 1e-3);
    /* far wide: a target 5 m away wants 126 deg, clamped to the widest 60, zoom 1 */
    bf_cue_aim(&c, 3, -4, 20, &a);
    BF_ASSERT_NEAR(a.bearing_deg, 143.130102, 1e-6);
    BF_ASSERT_NEAR(a.fov_deg, 60.0, 1e-12);
    BF_ASSERT_NEAR(a.zoom, 1.0, 1e-12);
    BF_ASSERT_NEAR(a.tilt_deg, -63.434949, 1e-6);   /* atan(10/5) */
}

static void test_aim_pan_and_convergence(void)
{
    struct bf_cue_aim a;
    struct bf_cue_camera c = cam_at(100, 100, 0, 300);
    bf_cue_aim(&c, -400, 100, 20, &a);   /* due west */
    BF_ASSERT_NEAR(a.bearing_deg, 270.0, 1e-9);
    BF_ASSERT_NEAR(a.pan_deg, -30.0, 1e-9);
    BF_ASSERT_NEAR(a.tilt_deg, 0.0, 1e-12);   /* no height: level */
    c.zero_deg = 200;
    bf_cue_aim(&c, -400, 100, 20, &a);
    BF_ASSERT_NEAR(a.pan_deg, 70.0, 1e-9);
    c.zero_deg = 350;                          /* across north: 10 - 350 = +20 */
    bf_cue_aim(&c, 100 + 1000 * sin(10 * M_PI / 180), 100 + 1000 * cos(10 * M_PI / 180), 20, &a);
    BF_ASSERT_NEAR(a.pan_deg, 20.0, 1e-9);
    c.zero_deg = 10;                           /* and back: 350 - 10 = -20 */
    bf_cue_aim(&c, 100 - 1000 * sin(10 * M_PI / 180), 100 + 1000 * cos(10 * M_PI / 180), 20, &a);
    BF_ASSERT_NEAR(a.bearing_deg, 350.0, 1e-9);
    BF_ASSERT_NEAR(a.pan_deg, -20.0, 1e-9);
    /* grid east with the grid turned 0.01 rad: true bearing 90 - 0.573 */
    c = cam_at(0, 0, 5, 0);
    c.convergence_rad = 0.01;
    bf_cue_aim(&c, 1000, 0, 20, &a);
    BF_ASSERT_NEAR(a.bearing_deg, 90.0 - 0.01 * 180 / M_PI, 1e-9);
}

static void test_covers(void)
{
    struct bf_cue_camera c = cam_at(0, 0, 10, 90);
    struct bf_cue_aim a;
    bf_cue_aim(&c, 2999, 0, 20, &a);
    CU_ASSERT_TRUE(bf_cue_covers(&c, &a));
    bf_cue_aim(&c, 3001, 0, 20, &a);
    CU_ASSERT_FALSE(bf_cue_covers(&c, &a));
    c.pan_limited = true;
    c.pan_min_deg = -45;
    c.pan_max_deg = 45;
    bf_cue_aim(&c, 1000, 900, 20, &a);    /* bearing 48, pan -42 */
    CU_ASSERT_TRUE(bf_cue_covers(&c, &a));
    bf_cue_aim(&c, 1000, 1100, 20, &a);   /* bearing 42.3, pan -47.7 */
    CU_ASSERT_FALSE(bf_cue_covers(&c, &a));
    bf_cue_aim(&c, -1000, 0, 20, &a);     /* behind: pan 180 */
    CU_ASSERT_FALSE(bf_cue_covers(&c, &a));
}

/*
 * The commanded true bearing and range, taken from the camera on an
 * azimuthal equidistant frame centred on the camera (where both are exact
 * geodesic quantities), land on the target: within 0.2 deg and 1 m.
 */
static void test_points_at_target_independently(void)
{
    struct bf_geo_frame *site = NULL, *camf = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(ORIGIN_LAT, ORIGIN_LON, NULL, &site, NULL, 0), 0);
    const double cam_lat = 46.7912, cam_lon = 8.2315;   /* 3.3 km from the origin */
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(cam_lat, cam_lon, NULL, &camf, NULL, 0), 0);
    struct bf_cue_camera c = cam_at(0, 0, 12, 212.5);
    CU_ASSERT_EQUAL(bf_geo_to_local(site, cam_lat, cam_lon, &c.e_m, &c.n_m), 0);
    CU_ASSERT_EQUAL(bf_geo_convergence(site, cam_lat, cam_lon, &c.convergence_rad), 0);
    const double targets[][2] = {
        {46.8050, 8.2400}, {46.7800, 8.2100}, {46.7912, 8.2650}, {46.7700, 8.2315}, {46.7950, 8.2000},
    };
    double worst = 0;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        double te, tn;
        CU_ASSERT_EQUAL(bf_geo_to_local(site, targets[i][0], targets[i][1], &te, &tn), 0);
        struct bf_cue_aim a;
        bf_cue_aim(&c, te, tn, 20, &a);
        /* independent: where the command points, on the camera's own frame */
        double b = a.bearing_deg * M_PI / 180, lat, lon;
        CU_ASSERT_EQUAL(bf_geo_to_wgs84(camf, a.range_m * sin(b), a.range_m * cos(b), &lat, &lon), 0);
        double xe, xn, ye, yn;   /* commanded point and true target, camera frame */
        bf_geo_to_local(camf, lat, lon, &xe, &xn);
        bf_geo_to_local(camf, targets[i][0], targets[i][1], &ye, &yn);
        double true_bearing = fmod(atan2(ye, yn) * 180 / M_PI + 360, 360);
        double err = fabs(fmod(a.bearing_deg - true_bearing + 540, 360) - 180);
        CU_ASSERT_TRUE(err < 0.2);
        worst = fmax(worst, err);
        CU_ASSERT_TRUE(fabs(a.range_m - hypot(ye, yn)) < 1.0);
        CU_ASSERT_TRUE(hypot(xe - ye, xn - yn) < 1.0 + hypot(ye, yn) * tan(0.2 * M_PI / 180));
        /* pan is the bearing from the mount's zero, tilt from height over range */
        BF_ASSERT_NEAR(a.pan_deg, fmod(a.bearing_deg - 212.5 + 540, 360) - 180, 1e-9);
        BF_ASSERT_NEAR(a.tilt_deg, -atan(12 / hypot(ye, yn)) * 180 / M_PI, 0.01);
    }
    printf("\n    worst bearing error %.2e deg ", worst);
    bf_geo_frame_destroy(camf);
    bf_geo_frame_destroy(site);
}

/* ---- the cuer --------------------------------------------------------------- */

#define MAX_CMDS 64
struct rec {
    int n;
    struct bf_cue_cmd c[MAX_CMDS];
    char alert[MAX_CMDS][BF_ALERT_ID_LEN];
    char json[MAX_CMDS][768];
};

static void rec_publish(void *ctx, const struct bf_cue_cmd *c)
{
    struct rec *r = ctx;
    if (r->n >= MAX_CMDS)
        return;
    r->c[r->n] = *c;
    snprintf(r->alert[r->n], sizeof r->alert[r->n], "%s", c->alert_id ? c->alert_id : "");
    r->c[r->n].alert_id = r->alert[r->n];
    CU_ASSERT_TRUE(bf_cue_cmd_to_json(c, r->json[r->n], sizeof r->json[r->n]) > 0);
    r->n++;
}

static struct bf_track trk(uint32_t id, double e, double n, double t_s)
{
    struct bf_track t;
    memset(&t, 0, sizeof t);
    t.id = id;
    t.status = BF_TRACK_CONFIRMED;
    t.t_us = (bf_time_us)(1772330400.0e6 + t_s * 1e6);
    t.x[0] = e;
    t.x[1] = n;
    return t;
}

static struct bf_alert alert_on(uint32_t track_id, const char *id, enum bf_severity sev,
                                struct bf_geo_frame *f, double e, double n, double t_s)
{
    struct bf_alert a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "%s", id);
    a.type = track_id ? BF_ALERT_INCURSION : BF_ALERT_UGS_TRIGGER;
    a.state = BF_ALERT_NEW;
    a.severity = sev;
    a.track_id = track_id;
    a.last_us = (bf_time_us)(1772330400.0e6 + t_s * 1e6);
    bf_geo_to_wgs84(f, e, n, &a.lat_deg, &a.lon_deg);
    a.camera_idx = -1;
    return a;
}

/* The cuer takes a delivered alert: what the enrichment picked before (sending nothing). */
static int take(struct bf_cuer *c, const struct bf_alert *a, const struct rec *r)
{
    int n0 = r->n;
    int picked = bf_cuer_pick(c, a);
    CU_ASSERT_EQUAL(r->n, n0);
    int k = bf_cuer_on_alert(c, a);
    CU_ASSERT_EQUAL(picked, k);
    return k;
}

static void test_cuer(void)
{
    struct bf_geo_frame *f = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(ORIGIN_LAT, ORIGIN_LON, NULL, &f, NULL, 0), 0);
    struct bf_cue_camera cams[2] = {cam_at(0, 0, 10, 0), cam_at(2000, 0, 10, 0)};
    cams[0].id = "cam-a";
    cams[0].sensor_idx = 3;
    cams[1].id = "cam-b";
    cams[1].sensor_idx = 5;
    struct bf_cue_params p;
    bf_cue_params_default(&p);
    struct rec *r = calloc(1, sizeof *r);
    struct bf_cue_sink sink = {.publish = rec_publish, .ctx = r};
    struct bf_cuer *c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_cuer_create(&p, cams, 2, f, &sink, &c), 0);

    /* a tentative track asks for nothing; confirmed, it gets the nearest camera */
    struct bf_track t1 = trk(1, 500, 0, 0);
    t1.status = BF_TRACK_TENTATIVE;
    bf_cuer_on_track(c, &t1, BF_CHANGE_NEW);
    CU_ASSERT_EQUAL(r->n, 0);
    t1.status = BF_TRACK_CONFIRMED;
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED);
    CU_ASSERT_EQUAL_FATAL(r->n, 1);
    CU_ASSERT_STRING_EQUAL(r->c[0].cam->id, "cam-a");
    CU_ASSERT_FALSE(r->c[0].release);
    CU_ASSERT_EQUAL(r->c[0].track_id, 1);
    CU_ASSERT_EQUAL(r->c[0].priority, BF_CUE_PRIO_TRACK);
    BF_ASSERT_NEAR(r->c[0].aim.pan_deg, 90.0, 1e-9);
    CU_ASSERT_EQUAL(bf_cuer_camera_of(c, 1), 3);

    /* too soon (0.5 s) and too small (0.1 deg): held; 2 s later and 11 deg: sent */
    t1 = trk(1, 500, 1, 0.5);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED);
    t1 = trk(1, 500, 80, 0.8);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED);      /* moved 9 deg, but within 1 s */
    t1 = trk(1, 500, 2, 1.5);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED);      /* 1.5 s, moved 0.23 deg only */
    CU_ASSERT_EQUAL(r->n, 1);
    t1 = trk(1, 500, 100, 2.0);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL_FATAL(r->n, 2);
    BF_ASSERT_NEAR(r->c[1].aim.pan_deg, 78.690068, 1e-5);   /* atan2(500, 100) */
    t1 = trk(1, 500, 100, 2.5);
    bf_cuer_on_track(c, &t1, BF_CHANGE_MISSED);       /* a miss moves nothing */
    CU_ASSERT_EQUAL(r->n, 2);

    /* a second track: cam-a is busy at equal priority, cam-b free takes it */
    struct bf_track t2 = trk(2, 600, -50, 3.0);
    bf_cuer_on_track(c, &t2, BF_CHANGE_CONFIRMED | BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL_FATAL(r->n, 3);
    CU_ASSERT_STRING_EQUAL(r->c[2].cam->id, "cam-b");
    /* a third: no camera; a TEST track never asks */
    struct bf_track t3 = trk(3, 1900, 50, 3.0);
    bf_cuer_on_track(c, &t3, BF_CHANGE_CONFIRMED | BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(r->n, 3);
    CU_ASSERT_EQUAL(bf_cuer_camera_of(c, 3), -1);
    struct bf_cuer_stats st;
    bf_cuer_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.uncovered, 1);
    CU_ASSERT_EQUAL(st.busy, 2);

    /* an alert on track 3 (high): it takes the nearest camera of the lowest priority (cam-b) */
    struct bf_alert a3 = alert_on(3, "00000000-0000-5000-8000-000000000003", BF_SEV_HIGH, f, 1900,
                                  50, 3.1);
    CU_ASSERT_EQUAL(take(c, &a3, r), 5);
    CU_ASSERT_EQUAL_FATAL(r->n, 4);
    CU_ASSERT_STRING_EQUAL(r->c[3].cam->id, "cam-b");
    CU_ASSERT_EQUAL(r->c[3].track_id, 3);
    CU_ASSERT_EQUAL(r->c[3].priority, BF_CUE_PRIO_TRACK + BF_SEV_HIGH);
    CU_ASSERT_STRING_EQUAL(r->c[3].alert_id, a3.id);
    CU_ASSERT_EQUAL(bf_cuer_camera_of(c, 2), -1);
    bf_cuer_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.preempted, 1);
    /* track 2 asks again: both cameras busy at a priority not below its own */
    t2 = trk(2, 610, -50, 4.0);
    bf_cuer_on_track(c, &t2, BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(r->n, 4);
    /* the alert's update keeps its camera and says which */
    a3.state = BF_ALERT_UPDATED;
    CU_ASSERT_EQUAL(take(c, &a3, r), 5);
    /* track 3 ends: cam-b released */
    t3 = trk(3, 1900, 60, 5.0);
    bf_cuer_on_track(c, &t3, BF_CHANGE_DELETED);
    CU_ASSERT_EQUAL_FATAL(r->n, 5);
    CU_ASSERT_TRUE(r->c[4].release);
    CU_ASSERT_STRING_EQUAL(r->c[4].cam->id, "cam-b");
    CU_ASSERT_STRING_EQUAL(r->c[4].reason, "track ended");
    /* track 1 leaves cam-a's range (3 km): released, and cam-b (free) takes it */
    t1 = trk(1, 3100, 0, 6.0);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL_FATAL(r->n, 7);
    CU_ASSERT_TRUE(r->c[5].release);
    CU_ASSERT_STRING_EQUAL(r->c[5].cam->id, "cam-a");
    CU_ASSERT_STRING_EQUAL(r->c[5].reason, "out of coverage");
    CU_ASSERT_FALSE(r->c[6].release);
    CU_ASSERT_STRING_EQUAL(r->c[6].cam->id, "cam-b");
    BF_ASSERT_NEAR(r->c[6].aim.range_m, 1100, 1e-6);

    /* a trackless alert (a ground sensor) near cam-a: cued at its position, released when closed */
    struct bf_alert u = alert_on(0, "00000000-0000-5000-8000-0000000000aa", BF_SEV_MEDIUM, f, -300,
                                 400, 7.0);
    CU_ASSERT_EQUAL(take(c, &u, r), 3);
    CU_ASSERT_EQUAL_FATAL(r->n, 8);
    CU_ASSERT_EQUAL(r->c[7].track_id, 0);
    BF_ASSERT_NEAR(r->c[7].aim.range_m, 500, 0.01);
    BF_ASSERT_NEAR(r->c[7].aim.bearing_deg, 323.130102, 0.01);   /* atan2(-300, 400), true */
    u.state = BF_ALERT_RESOLVED;
    u.last_us += 5000000;
    CU_ASSERT_EQUAL(take(c, &u, r), -1);
    CU_ASSERT_EQUAL_FATAL(r->n, 9);
    CU_ASSERT_TRUE(r->c[8].release);
    CU_ASSERT_STRING_EQUAL(r->c[8].reason, "alert closed");
    /* SENSOR_FAULT never cues */
    struct bf_alert sf = alert_on(0, "00000000-0000-5000-8000-0000000000bb", BF_SEV_MEDIUM, f, 0,
                                  100, 8.0);
    sf.type = BF_ALERT_SENSOR_FAULT;
    CU_ASSERT_EQUAL(take(c, &sf, r), -1);
    CU_ASSERT_EQUAL(r->n, 9);

    bf_cuer_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.cues, 6);
    CU_ASSERT_EQUAL(st.releases, 3);
    CU_ASSERT_EQUAL(st.busy, 1);
    bf_cuer_destroy(c);
    free(r);
    bf_geo_frame_destroy(f);
}

/*
 * The cameras change while the cuer runs (a reload): a camera added takes
 * the next target; one whose pose changes is aimed anew at once (the same
 * settings send nothing); one removed releases its target ("camera removed",
 * its last command) and the target asks again; a camera moved out of reach
 * of its target releases it.  The cuer keeps its own copy of the ids.
 */
static void test_cuer_cameras_change(void)
{
    struct bf_geo_frame *f = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(ORIGIN_LAT, ORIGIN_LON, NULL, &f, NULL, 0), 0);
    struct bf_cue_camera a = cam_at(0, 0, 10, 0);
    a.id = "cam-a";
    a.sensor_idx = 3;
    struct bf_cue_params p;
    bf_cue_params_default(&p);
    struct rec *r = calloc(1, sizeof *r);
    struct bf_cue_sink sink = {.publish = rec_publish, .ctx = r};
    struct bf_cuer *c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_cuer_create(&p, &a, 1, f, &sink, &c), 0);
    struct bf_track t1 = trk(1, 500, 0, 0);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED);
    CU_ASSERT_EQUAL_FATAL(r->n, 1);

    /* cam-b added (its id from a buffer overwritten afterwards): free, it takes track 2 */
    char id_b[8] = "cam-b";
    struct bf_cue_camera b = cam_at(2000, 0, 10, 0);
    b.id = id_b;
    b.sensor_idx = 5;
    CU_ASSERT_EQUAL(bf_cuer_set_camera(c, &b), 0);
    memcpy(id_b, "XXXXX", 5);
    CU_ASSERT_EQUAL(r->n, 1);
    CU_ASSERT_STRING_EQUAL(bf_cuer_camera(c, 5)->id, "cam-b");
    struct bf_track t2 = trk(2, 1900, 0, 1);
    bf_cuer_on_track(c, &t2, BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED);
    CU_ASSERT_EQUAL_FATAL(r->n, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->json[1], "\"camera\":\"cam-b\",\"action\":\"cue\""));
    CU_ASSERT_EQUAL(bf_cuer_camera_of(c, 2), 5);

    /* cam-a moves to (400, 300): aimed at track 1 (500, 0) from there at once */
    struct bf_cue_camera a2 = a;
    a2.e_m = 400;
    a2.n_m = 300;
    CU_ASSERT_EQUAL(bf_cuer_set_camera(c, &a2), 0);
    CU_ASSERT_EQUAL_FATAL(r->n, 3);
    CU_ASSERT_FALSE(r->c[2].release);
    CU_ASSERT_EQUAL(r->c[2].track_id, 1);
    BF_ASSERT_NEAR(r->c[2].aim.range_m, sqrt(100.0 * 100.0 + 300.0 * 300.0), 1e-3);
    BF_ASSERT_NEAR(r->c[2].aim.bearing_deg, 180.0 - atan(1.0 / 3.0) * 180.0 / M_PI, 1e-4);
    CU_ASSERT_EQUAL(bf_cuer_set_camera(c, &a2), 0);   /* the same again: nothing sent */
    CU_ASSERT_EQUAL(r->n, 3);
    struct bf_cue_camera bad = a2;
    bad.fov_min_deg = 0;
    CU_ASSERT_EQUAL(bf_cuer_set_camera(c, &bad), BF_EINVAL);

    /* cam-a removed: track 1 released; it asks again, cam-b is busy at its priority */
    struct bf_cuer_stats st;
    bf_cuer_get_stats(c, &st);
    uint64_t uncovered = st.uncovered;
    CU_ASSERT_EQUAL(bf_cuer_remove_camera(c, 3), 0);
    CU_ASSERT_EQUAL_FATAL(r->n, 4);
    CU_ASSERT_TRUE(r->c[3].release);
    CU_ASSERT_EQUAL(r->c[3].track_id, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->json[3], "\"camera\":\"cam-a\",\"action\":\"release\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->json[3], "\"reason\":\"camera removed\""));
    CU_ASSERT_EQUAL(bf_cuer_camera_of(c, 1), -1);
    CU_ASSERT_PTR_NULL(bf_cuer_camera(c, 3));
    CU_ASSERT_EQUAL(bf_cuer_remove_camera(c, 3), BF_ENOTFOUND);
    bf_cuer_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.uncovered, uncovered + 1);
    CU_ASSERT_EQUAL(st.busy, 1);
    /* track 1 moves on: no command to the removed camera */
    t1 = trk(1, 520, 0, 5);
    bf_cuer_on_track(c, &t1, BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(r->n, 4);

    /* cam-b moves 10 km away: track 2 out of its reach, released */
    struct bf_cue_camera b2 = b;
    b2.id = "cam-b";
    b2.e_m = 12000;
    CU_ASSERT_EQUAL(bf_cuer_set_camera(c, &b2), 0);
    CU_ASSERT_EQUAL_FATAL(r->n, 5);
    CU_ASSERT_TRUE(r->c[4].release);
    CU_ASSERT_EQUAL(r->c[4].track_id, 2);
    CU_ASSERT_STRING_EQUAL(r->c[4].reason, "out of coverage");
    bf_cuer_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.busy, 0);
    CU_ASSERT_EQUAL(st.cues, 3);
    CU_ASSERT_EQUAL(st.releases, 2);
    bf_cuer_destroy(c);
    free(r);
    bf_geo_frame_destroy(f);
}

static void test_cmd_json(void)
{
    struct bf_cue_camera cam = cam_at(0, 0, 10, 0);
    cam.id = "cam-ridge";
    struct bf_cue_cmd cmd = {
        .cam = &cam, .track_id = 17, .alert_id = "6f1c2e8a-9b7d-5053-a1f2-e3d4c5b6a798",
        .priority = 4, .severity = BF_SEV_HIGH, .t_us = 1772330402000000, .lat_deg = 46.81,
        .lon_deg = 8.23,
    };
    bf_cue_aim(&cam, 1000, 1000, 20, &cmd.aim);
    char buf[768];
    int n = bf_cue_cmd_to_json(&cmd, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_EQUAL((size_t)n, strlen(buf));
    cJSON *j = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "camera")->valuestring, "cam-ridge");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "action")->valuestring, "cue");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "track_id")->valuedouble, 17);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "alert_id")->valuestring, cmd.alert_id);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "severity")->valuestring, "high");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "time")->valuestring, "2026-03-01T02:00:02.000Z");
    BF_ASSERT_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "target"), "lat")->valuedouble, 46.81, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "pan_deg")->valuedouble, 45.0, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "tilt_deg")->valuedouble, -0.405, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "fov_deg")->valuedouble, 2.0, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "zoom")->valuedouble, 33.08, 1e-9);
    BF_ASSERT_NEAR(cJSON_GetObjectItem(j, "range_m")->valuedouble, 1414.2, 1e-9);
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "reason")));
    cJSON_Delete(j);
    /* a release without an alert */
    cmd.release = true;
    cmd.alert_id = "";
    cmd.severity = 0;
    cmd.reason = "track ended";
    n = bf_cue_cmd_to_json(&cmd, buf, sizeof buf);
    j = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "action")->valuestring, "release");
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "alert_id")));
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "severity")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "reason")->valuestring, "track ended");
    cJSON_Delete(j);
    /* too small a buffer: refused, empty */
    CU_ASSERT_EQUAL(bf_cue_cmd_to_json(&cmd, buf, 40), BF_ERANGE);
    CU_ASSERT_EQUAL(buf[0], '\0');
}

static void test_create_refuses(void)
{
    struct bf_geo_frame *f = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(ORIGIN_LAT, ORIGIN_LON, NULL, &f, NULL, 0), 0);
    struct bf_cue_params p;
    bf_cue_params_default(&p);
    struct bf_cue_camera bad = cam_at(0, 0, 10, 0);
    bad.fov_min_deg = 70;   /* wider than fov_max */
    struct bf_cuer *c = (struct bf_cuer *)&p;
    CU_ASSERT_EQUAL(bf_cuer_create(&p, &bad, 1, f, NULL, &c), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    bad = cam_at(0, 0, 10, 0);
    bad.pan_limited = true;
    bad.pan_min_deg = 10;
    bad.pan_max_deg = -10;
    CU_ASSERT_EQUAL(bf_cuer_create(&p, &bad, 1, f, NULL, &c), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_cuer_create(&p, NULL, 0, f, NULL, &c), 0);
    bf_cuer_on_track(c, NULL, 0);   /* no cameras: nothing to do, no crash */
    bf_cuer_destroy(c);
    bf_geo_frame_destroy(f);
}

static CU_TestInfo cue_tests[] = {
    {"pan, tilt, zoom for known geometry", test_aim_known_geometry},
    {"pan from the mount's zero, grid convergence", test_aim_pan_and_convergence},
    {"coverage: range and pan limits", test_covers},
    {"the command points at the target (independent check)", test_points_at_target_independently},
    {"cuer: choice, rate limit, preemption, release", test_cuer},
    {"cuer: cameras added, moved and removed while it runs", test_cuer_cameras_change},
    {"command JSON", test_cmd_json},
    {"bad cameras refused", test_create_refuses},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"cue", NULL, NULL, NULL, NULL, cue_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
