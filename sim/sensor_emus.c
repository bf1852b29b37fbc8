/*
 * sensor_emus.c - every emulated ground sensor and camera of a scenario,
 * run at its own cadence for borderfuse-sim (docs/scenario.md, "Ground
 * sensors and cameras").
 *
 * The scan loop of the simulator is driven by the radars' scans; the ground
 * sensors and cameras have cadences of their own: a ground sensor looks at
 * every truth step (BF_SIM_TRUTH_STEP_S), a camera makes a frame every 1/fps
 * of simulated time (frame k at k / fps).  This file tells the loop when the
 * next of them is due, and runs what is due once the truth is there:
 * ground-sensor messages go out through the caller's publish function (QoS
 * 1), frames to each camera's video server.  A sensor that a scenario event
 * has taken down sends nothing (bf_sim_events_sensor_down).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"
#include "sim/sim.h"

#define LOG "sim"
#define EPS_S 1e-9

struct bf_sim_sensor_emus {
    const struct bf_sim_scenario *s;
    struct bf_sim_ugs_emu **ugs;
    size_t n_ugs;
    uint64_t ugs_k;               /* next ground-sensor step: ugs_k * BF_SIM_TRUTH_STEP_S */
    struct bf_sim_camera_emu **cam;
    size_t n_cam;
    uint64_t *cam_k;              /* next frame of each camera: cam_k / fps */
    double *cam_down_s;
    struct bf_sim_sensor_emus_stats st;
};

int bf_sim_sensor_emus_create(const struct bf_sim_scenario *s, bool serve,
                              struct bf_sim_sensor_emus **out, char *err, size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    struct bf_sim_sensor_emus *x = calloc(1, sizeof *x);
    if (!x)
        return BF_ENOMEM;
    x->s = s;
    int rc = BF_ENOMEM;
    size_t ng = s->n_ground_sensors, nc = s->n_cameras;
    x->ugs = calloc(ng ? ng : 1, sizeof *x->ugs);
    x->cam = calloc(nc ? nc : 1, sizeof *x->cam);
    x->cam_k = calloc(nc ? nc : 1, sizeof *x->cam_k);
    x->cam_down_s = calloc(nc ? nc : 1, sizeof *x->cam_down_s);
    if (!x->ugs || !x->cam || !x->cam_k || !x->cam_down_s) {
        snprintf(err, errlen, "out of memory");
        goto out_destroy;
    }
    for (size_t i = 0; i < ng; i++) {
        rc = bf_sim_ugs_emu_create(s, i, s->seed, &x->ugs[i], err, errlen);
        if (rc < 0) {
            if (!err[0])
                snprintf(err, errlen, "ground sensor %s: %s", s->ground_sensors[i].id,
                         bf_strerror(rc));
            goto out_destroy;
        }
        x->n_ugs++;
    }
    for (size_t i = 0; i < nc; i++) {
        rc = bf_sim_camera_emu_create(s, i, s->seed, &x->cam[i]);
        if (rc < 0) {
            snprintf(err, errlen, "camera %s: %s", s->cameras[i].id, bf_strerror(rc));
            goto out_destroy;
        }
        x->n_cam++;
        if (serve && (rc = bf_sim_camera_emu_serve(x->cam[i], err, errlen)) < 0)
            goto out_destroy;
    }
    *out = x;
    return 0;

out_destroy:
    bf_sim_sensor_emus_destroy(x);
    return rc;
}

void bf_sim_sensor_emus_destroy(struct bf_sim_sensor_emus *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_ugs; i++)
        bf_sim_ugs_emu_destroy(x->ugs[i]);
    for (size_t i = 0; i < x->n_cam; i++)
        bf_sim_camera_emu_destroy(x->cam[i]);
    free(x->ugs);
    free(x->cam);
    free(x->cam_k);
    free(x->cam_down_s);
    free(x);
}

size_t bf_sim_sensor_emus_count(const struct bf_sim_sensor_emus *x)
{
    return x ? x->n_ugs + x->n_cam : 0;
}

static double frame_time(const struct bf_sim_sensor_emus *x, size_t i)
{
    return (double)x->cam_k[i] / x->s->cameras[i].fps;
}

double bf_sim_sensor_emus_next_s(const struct bf_sim_sensor_emus *x)
{
    double t = INFINITY;
    if (!x)
        return t;
    if (x->n_ugs > 0)
        t = (double)x->ugs_k * BF_SIM_TRUTH_STEP_S;
    for (size_t i = 0; i < x->n_cam; i++)
        t = fmin(t, frame_time(x, i));
    return t;
}

int bf_sim_sensor_emus_step(struct bf_sim_sensor_emus *x, const struct bf_sim_target_pos *tp,
                            size_t n, double t_s, bf_sim_publish_fn publish, void *ctx)
{
    if (x->n_ugs > 0 && (double)x->ugs_k * BF_SIM_TRUTH_STEP_S <= t_s + EPS_S) {
        for (size_t i = 0; i < x->n_ugs; i++) {
            int k = bf_sim_ugs_emu_step(x->ugs[i], tp, n, t_s);
            if (k < 0)
                return k;
            for (int m = 0; m < k; m++) {
                size_t len = 0;
                const char *msg = bf_sim_ugs_emu_message(x->ugs[i], (size_t)m, &len);
                if (publish(ctx, bf_sim_ugs_emu_topic(x->ugs[i]), msg, len, 1) == 0)
                    x->st.ugs_messages++;
                else
                    x->st.publish_failed++;
            }
        }
        x->ugs_k++;
    }
    for (size_t i = 0; i < x->n_cam; i++) {
        if (frame_time(x, i) > t_s + EPS_S)
            continue;
        double t = frame_time(x, i);
        x->cam_k[i]++;
        if (bf_sim_events_sensor_down(x->s, x->s->cameras[i].id, t)) {
            x->st.camera_frames_down++;
            x->cam_down_s[i] += 1.0 / x->s->cameras[i].fps;
            continue;
        }
        int rc = bf_sim_camera_emu_render(x->cam[i], tp, n, t);
        if (rc < 0)
            return rc;
        if (bf_sim_camera_emu_push(x->cam[i], t) == 0)
            x->st.camera_frames++;
        else
            x->st.publish_failed++;
    }
    return 0;
}

size_t bf_sim_sensor_emus_wait_clients(const struct bf_sim_sensor_emus *x, double timeout_s,
                                       const volatile int *stop)
{
    if (!x)
        return 0;
    double end = bf_time_to_s(bf_clock_monotonic(NULL)) + timeout_s;
    for (;;) {
        size_t missing = 0;
        for (size_t i = 0; i < x->n_cam; i++)
            missing += bf_sim_camera_emu_clients(x->cam[i]) == 0;
        if (missing == 0 || bf_time_to_s(bf_clock_monotonic(NULL)) >= end || (stop && *stop))
            return missing;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000L};
        nanosleep(&ts, NULL);
    }
}

void bf_sim_sensor_emus_stats(const struct bf_sim_sensor_emus *x,
                              struct bf_sim_sensor_emus_stats *out)
{
    *out = x->st;
    for (size_t i = 0; i < x->n_ugs; i++) {
        struct bf_sim_ugs_stats u;
        bf_sim_ugs_emu_stats(x->ugs[i], &u);
        out->ugs_events += u.events;
        out->ugs_heartbeats += u.heartbeats;
    }
}

void bf_sim_sensor_emus_report(const struct bf_sim_sensor_emus *x, FILE *f)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_ugs; i++) {
        struct bf_sim_ugs_stats u;
        bf_sim_ugs_emu_stats(x->ugs[i], &u);
        fprintf(f, "ground sensor %-12s %llu messages: %llu events (%llu by targets, %llu false), "
                "%llu heartbeats, battery %.1f%%", x->s->ground_sensors[i].id,
                (unsigned long long)u.messages, (unsigned long long)u.events,
                (unsigned long long)u.true_events, (unsigned long long)u.false_events,
                (unsigned long long)u.heartbeats, u.battery_pct);
        if (u.down_s > 0)
            fprintf(f, "; down %.0f s", u.down_s);
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < x->n_cam; i++) {
        struct bf_sim_camera_stats c;
        bf_sim_camera_emu_stats(x->cam[i], &c);
        const struct bf_sim_camera *cam = &x->s->cameras[i];
        fprintf(f, "camera %-12s %llu frames %dx%d (%llu pushed, %llu failed), %.2f targets in "
                "view per frame; rendering %.3f ms per frame (max %.3f)",
                cam->id, (unsigned long long)c.frames, cam->width, cam->height,
                (unsigned long long)c.pushed, (unsigned long long)c.push_failed,
                c.frames ? (double)c.blobs / (double)c.frames : 0.0,
                c.frames ? c.render_ms_sum / (double)c.frames : 0.0, c.render_ms_max);
        if (x->cam_down_s[i] > 0)
            fprintf(f, "; down %.0f s", x->cam_down_s[i]);
        fprintf(f, "\n");
    }
}
