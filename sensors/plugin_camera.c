/*
 * plugin_camera.c - the "camera" sensor plugin: GStreamer video in, bearing
 * (+ elevation) detections out.
 *
 * A fixed camera watches the border; any GStreamer source feeds it (an RTSP
 * camera, a file, videotestsrc, the simulator's appsrc).  The plugin
 * completes the source into "... ! videoconvert ! video/x-raw,format=GRAY8 !
 * appsink", runs the pipeline on its own thread, and hands each frame to the
 * motion detector (motion.c); each blob becomes a BEARING detection through
 * the camera's pose (camera_pose.c), and each processed frame ends with one
 * scan marker, because a frame is one look: a frame without blobs still
 * counts a miss for the tracks in view.
 *
 * Loss of the source: an end of stream, an error on the bus, or no frame for
 * stall_s tears the pipeline down, reports it (a log line when it goes down,
 * health "connected" 0, "reconnects") and rebuilds it after an exponential
 * back-off between reconnect_min_s and reconnect_max_s (back to the minimum
 * once frames flow again).  The thread never blocks for long: it pulls with
 * gst_app_sink_try_pull_sample and a 100 ms timeout (pull_sample blocks
 * forever on an error) and waits out the back-off on a condition variable,
 * so close() returns promptly.
 *
 * Options, faults and time: docs/camera.md.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"
#include "sensors/camera_pose.h"
#include "sensors/motion.h"
#include "sensors/options.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

#define PULL_TIMEOUT_NS (100 * GST_MSECOND)
#define HEALTH_PERIOD_US BF_US_PER_S
#define MAX_CAPTURE_AGE_US (5 * BF_US_PER_S)   /* wall time: older PTS are not trusted */
#define SINK_TAIL " ! videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink"

struct camera_state {
    struct bf_sensor_host *host;
    uint32_t index;
    char id[65];
    /* configuration, fixed at open */
    char *desc;                      /* the whole pipeline description */
    char *uri;                       /* "source": set on the uridecodebin "src" */
    bool time_pts;
    bf_time_us start_time;
    double reconnect_min_s, reconnect_max_s, stall_s;
    double sigma_bearing_rad, sigma_elevation_px;
    double sensor_e_m, sensor_n_m;
    int max_blobs;
    struct bf_motion_params mp;      /* width and height set per stream */
    struct {                         /* options read at open (strings borrowed, open only) */
        const char *source, *pipeline, *start_time;
        int time;                    /* index in time_names */
        double heading_deg, tilt_deg, hfov_deg, vfov_deg;
    } opt;
    struct bf_camera_pose pose;      /* size set per stream */
    /* the camera thread's own */
    struct bf_motion *motion;
    struct bf_motion_blob *blobs;    /* max_blobs, allocated at open */
    uint32_t seq;
    bf_time_us last_t;
    uint64_t frames, reconnects;
    uint64_t fps_frames;
    bf_time_us fps_since, health_at;
    double fps;
    bool up;                         /* frames flowing on the current pipeline */
    /* thread control */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool stop;
};

/* ---- options ---------------------------------------------------------- */

static const char *const time_names[] = {"wall", "pts", NULL};

#define CO(f) offsetof(struct camera_state, f)
static const struct bf_sensor_opt camera_opt[] = {
    {"source", BF_OPT_STRING, 0, CO(opt.source),
     .help = "a URI: rtsp://host/path, file:///path/video.mkv (or give \"pipeline\")"},
    {"pipeline", BF_OPT_STRING, 0, CO(opt.pipeline),
     .help = "a gst-launch source such as \"videotestsrc is-live=true\" (or give \"source\")"},
    {"heading_deg", BF_OPT_DOUBLE, BF_OPT_REQUIRED, CO(opt.heading_deg), -360, 360,
     .help = "azimuth of the optical axis, degrees true"},
    {"tilt_deg", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, CO(opt.tilt_deg), -90, 90, .def = 0,
     .help = "degrees, negative looking down, strictly between -90 and 90"},
    {"hfov_deg", BF_OPT_DOUBLE, BF_OPT_REQUIRED | BF_OPT_MIN_OPEN, CO(opt.hfov_deg), 0, 170,
     .help = "horizontal field of view, degrees"},
    {"vfov_deg", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, CO(opt.vfov_deg), 0, 170, .def = 0,
     .help = "vertical field of view, degrees (leave it out: from hfov_deg and the aspect)"},
    {"threshold", BF_OPT_INT, BF_OPT_KEEP, CO(mp.threshold), 1, 254,
     .help = "grey levels above the background that count as motion"},
    {"learning_rate", BF_OPT_DOUBLE, BF_OPT_KEEP | BF_OPT_MIN_OPEN, CO(mp.learning_rate), 0, 1,
     .help = "background update weight per frame"},
    {"min_area_px", BF_OPT_INT, BF_OPT_KEEP, CO(mp.min_area_px), 1, 1 << 24,
     .help = "smallest blob kept, pixels"},
    {"warmup_frames", BF_OPT_INT, BF_OPT_KEEP, CO(mp.warmup_frames), 1, 100000,
     .help = "frames that only build the background"},
    {"downscale", BF_OPT_INT, BF_OPT_KEEP, CO(mp.downscale), 1, 2,
     .help = "1 (full resolution) or 2 (2x2 binning)"},
    {"max_fg_fraction", BF_OPT_DOUBLE, BF_OPT_KEEP | BF_OPT_MIN_OPEN, CO(mp.max_fg_fraction), 0,
     1, .help = "more foreground than this is a global change (background reseeded)"},
    {"max_blobs", BF_OPT_INT, 0, CO(max_blobs), 1, 1024, .def = 32,
     .help = "blobs kept per frame"},
    {"sigma_elevation_px", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, CO(sigma_elevation_px), 0, 1000,
     .def = 2.0, .help = "accuracy of a blob's foot row, pixels"},
    {"reconnect_min_s", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, CO(reconnect_min_s), 0, 3600, .def = 1,
     .help = "first back-off after the source is lost, seconds"},
    {"reconnect_max_s", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, CO(reconnect_max_s), 0, 86400,
     .def = 30, .help = "longest back-off, seconds"},
    {"stall_s", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, CO(stall_s), 0, 3600, .def = 10,
     .help = "seconds without a frame before the source counts as lost"},
    {"time", BF_OPT_ENUM, 0, CO(opt.time), .def = 0, .choices = time_names,
     .help = "\"wall\" (capture time on the wall clock) or \"pts\" (start_time + buffer PTS)"},
    {"start_time", BF_OPT_STRING, 0, CO(opt.start_time),
     .help = "with \"time\": \"pts\", the event time of PTS 0 as ISO 8601 UTC "
             "(\"2026-01-01T02:00:00Z\")"},
};
#undef CO
static const struct bf_sensor_opts camera_opts =
    BF_SENSOR_OPTS("camera", "docs/camera.md", camera_opt);

static void once_gst_init(void);
static pthread_once_t gst_once = PTHREAD_ONCE_INIT;
static bool gst_ok;

static void once_gst_init(void)
{
    GError *err = NULL;
    gst_ok = gst_init_check(NULL, NULL, &err);
    if (!gst_ok) {
        BF_LOGE("sensor", "GStreamer does not start: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
    }
}

/* Parse the description once at open, so a typo is reported with the config. */
static int check_pipeline(struct camera_state *s)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(s->desc, &err);
    if (!p || err) {
        BF_LOGE("sensor", "%s: camera pipeline \"%s\" does not parse: %s; fix \"%s\"", s->id,
                s->desc, err ? err->message : "unknown error", s->uri ? "source" : "pipeline");
        g_clear_error(&err);
        if (p)
            gst_object_unref(p);
        return BF_EINVAL;
    }
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    bool ok = sink && GST_IS_APP_SINK(sink);
    if (sink)
        gst_object_unref(sink);
    gst_object_unref(p);
    if (!ok) {
        BF_LOGE("sensor", "%s: camera \"pipeline\" must not name an element \"sink\" (the plugin "
                "adds its own appsink of that name)", s->id);
        return BF_EINVAL;
    }
    return 0;
}

static int parse_options(struct camera_state *s, const struct bf_sensor_config *cfg)
{
    if (bf_sensor_opts_read(cfg, &camera_opts, s) < 0)
        return BF_EINVAL;
    const char *source = s->opt.source, *pipeline = s->opt.pipeline, *start = s->opt.start_time;
    if (!source == !pipeline) {
        bf_sensor_opt_errorf(cfg, &camera_opts, source ? "source" : NULL,
                             "give exactly one of \"source\" (a URI: rtsp://..., file:///...) "
                             "and \"pipeline\" (a gst-launch source such as "
                             "\"videotestsrc is-live=true\")");
        return BF_EINVAL;
    }
    if (s->reconnect_max_s < s->reconnect_min_s) {
        bf_sensor_opt_errorf(cfg, &camera_opts, "reconnect_max_s",
                             "%g is below \"reconnect_min_s\" (%g)", s->reconnect_max_s,
                             s->reconnect_min_s);
        return BF_EINVAL;
    }
    s->pose.heading_rad = s->opt.heading_deg * M_PI / 180;
    s->pose.tilt_rad = s->opt.tilt_deg * M_PI / 180;
    s->pose.hfov_rad = s->opt.hfov_deg * M_PI / 180;
    s->pose.vfov_rad = s->opt.vfov_deg * M_PI / 180;
    if (s->opt.time == 0 && start) {
        bf_sensor_opt_errorf(cfg, &camera_opts, "start_time", "goes with \"time\": \"pts\" only");
        return BF_EINVAL;
    }
    if (s->opt.time == 1) {
        if (!start || bf_time_parse_iso(start, &s->start_time) < 0) {
            bf_sensor_opt_errorf(cfg, &camera_opts, start ? "start_time" : "time",
                                 "\"time\": \"pts\" needs \"start_time\", the event time of "
                                 "PTS 0 as ISO 8601 UTC (\"2026-01-01T02:00:00Z\")%s%s%s",
                                 start ? "; got \"" : "", start ? start : "", start ? "\"" : "");
            return BF_EINVAL;
        }
        s->time_pts = true;
    }
    if (source) {
        if (!gst_uri_is_valid(source)) {
            bf_sensor_opt_errorf(cfg, &camera_opts, "source", "\"%s\" is not a URI", source);
            return BF_EINVAL;
        }
        gchar *proto = gst_uri_get_protocol(source);
        bool ok = proto && gst_uri_protocol_is_supported(GST_URI_SRC, proto);
        if (!ok)
            bf_sensor_opt_errorf(cfg, &camera_opts, "source", "no GStreamer source handles "
                                 "\"%s:\" URIs (install its plugins, or use \"pipeline\")",
                                 proto ? proto : "?");
        g_free(proto);
        if (!ok)
            return BF_EINVAL;
        s->uri = strdup(source);
        s->desc = strdup("uridecodebin name=src" SINK_TAIL);
    } else {
        size_t n = strlen(pipeline) + sizeof SINK_TAIL;
        s->desc = malloc(n);
        if (s->desc)
            snprintf(s->desc, n, "%s%s", pipeline, SINK_TAIL);
    }
    if (!s->desc || (source && !s->uri))
        return BF_ENOMEM;
    return check_pipeline(s);
}

/* ---- health ----------------------------------------------------------- */

static void report_health(struct camera_state *s, bf_time_us now)
{
    double dt = bf_time_to_s(now - s->fps_since);
    if (dt >= 0.5) {
        s->fps = (double)s->fps_frames / dt;
        s->fps_frames = 0;
        s->fps_since = now;
    }
    bf_sensor_health(s->host, s->index, "connected", s->up ? 1 : 0);
    bf_sensor_health(s->host, s->index, "frames", (double)s->frames);
    bf_sensor_health(s->host, s->index, "fps", s->up ? s->fps : 0);
    bf_sensor_health(s->host, s->index, "reconnects", (double)s->reconnects);
    s->health_at = now;
}

/* ---- one frame -------------------------------------------------------- */

/* Event time of a frame: start_time + PTS, or its capture time on the wall
   clock (the pipeline clock's age of the buffer, when plausible, else now). */
static bool frame_time(struct camera_state *s, GstElement *pipe, GstSample *smp, GstBuffer *buf,
                       bf_time_us rx, bf_time_us *t)
{
    GstClockTime pts = GST_BUFFER_PTS(buf);
    if (s->time_pts) {
        if (!GST_CLOCK_TIME_IS_VALID(pts)) {
            bf_sensor_fault(s->host, s->index, BF_FAULT_TIME, "video frame without a PTS");
            return false;
        }
        *t = s->start_time + (bf_time_us)(pts / GST_USECOND);
        return true;
    }
    *t = rx;
    GstClock *clock = gst_element_get_clock(pipe);
    const GstSegment *seg = gst_sample_get_segment(smp);
    if (clock && seg && GST_CLOCK_TIME_IS_VALID(pts)) {
        guint64 run = gst_segment_to_running_time(seg, GST_FORMAT_TIME, pts);
        GstClockTime base = gst_element_get_base_time(pipe);
        GstClockTime now = gst_clock_get_time(clock);
        if (GST_CLOCK_TIME_IS_VALID(run) && now >= base + run) {
            bf_time_us age = (bf_time_us)((now - base - run) / GST_USECOND);
            if (age <= MAX_CAPTURE_AGE_US)
                *t = rx - age;
        }
    }
    if (clock)
        gst_object_unref(clock);
    return true;
}

/* A detector and a pose for frames of w x h (a new stream, or a new size). */
static int stream_size(struct camera_state *s, int w, int h)
{
    const struct bf_motion_params *cur = s->motion ? bf_motion_params(s->motion) : NULL;
    if (cur && cur->width == w && cur->height == h)
        return 0;
    bf_motion_destroy(s->motion);
    s->motion = NULL;
    struct bf_motion_params mp = s->mp;
    mp.width = w;
    mp.height = h;
    int rc = bf_motion_create(&mp, &s->motion);
    if (rc == 0)
        rc = bf_camera_pose_set_size(&s->pose, w, h);
    if (rc < 0) {
        char detail[96];
        snprintf(detail, sizeof detail, "video frames of %dx%d: %s", w, h, bf_strerror(rc));
        bf_sensor_fault(s->host, s->index, BF_FAULT_RANGE, detail);
        return rc;
    }
    BF_LOGI("sensor", "%s: video %dx%d, motion detection at %dx%d", s->id, w, h,
            w / mp.downscale, h / mp.downscale);
    return 0;
}

static void emit_blobs(struct camera_state *s, int n, bf_time_us t, bf_time_us rx)
{
    double sb2 = s->sigma_bearing_rad * s->sigma_bearing_rad;
    double se = s->sigma_elevation_px / s->pose.fy;
    for (int i = 0; i < n; i++) {
        struct bf_camera_meas m;
        bf_camera_pose_measure(&s->pose, &s->blobs[i], &m);
        struct bf_detection d = {
            .t_us = t, .rx_us = rx, .sensor_idx = s->index, .seq = s->seq++,
            .kind = BF_MEAS_BEARING, .sensor_e_m = s->sensor_e_m, .sensor_n_m = s->sensor_n_m,
            .sensor_height_m = (float)s->pose.height_m,
        };
        d.z[0] = m.bearing_rad;
        d.R[0][0] = sb2;
        if (m.has_elevation) {
            d.flags |= BF_DET_F_ELEVATION;
            d.z[1] = m.elevation_rad;
            d.R[1][1] = se * se;
        }
        if (m.has_class) {
            d.flags |= BF_DET_F_CLASS;
            memcpy(d.class_lik, m.class_lik, sizeof d.class_lik);
        }
        bf_sensor_emit(s->host, &d);   /* BF_EFULL is counted by the host */
    }
    struct bf_detection marker = {
        .t_us = t, .rx_us = rx, .sensor_idx = s->index, .seq = s->seq++, .kind = BF_MEAS_SCAN,
        .sensor_e_m = s->sensor_e_m, .sensor_n_m = s->sensor_n_m,
        .sensor_height_m = (float)s->pose.height_m,
    };
    bf_sensor_emit(s->host, &marker);
}

static void on_sample(struct camera_state *s, GstElement *pipe, GstSample *smp)
{
    bf_time_us rx = bf_clock_realtime(NULL);
    GstBuffer *buf = gst_sample_get_buffer(smp);
    GstCaps *caps = gst_sample_get_caps(smp);
    GstVideoInfo vi;
    if (!buf || !caps || !gst_video_info_from_caps(&vi, caps) ||
        GST_VIDEO_INFO_FORMAT(&vi) != GST_VIDEO_FORMAT_GRAY8) {
        bf_sensor_fault(s->host, s->index, BF_FAULT_SCHEMA, "video sample is not GRAY8");
        return;
    }
    if (stream_size(s, GST_VIDEO_INFO_WIDTH(&vi), GST_VIDEO_INFO_HEIGHT(&vi)) < 0)
        return;
    bf_time_us t;
    if (!frame_time(s, pipe, smp, buf, rx, &t))
        return;
    GstVideoFrame vf;
    if (!gst_video_frame_map(&vf, &vi, buf, GST_MAP_READ)) {
        bf_sensor_fault(s->host, s->index, BF_FAULT_SYNTAX, "video buffer too small for its caps");
        return;
    }
    struct bf_motion_result res;
    int n = bf_motion_process(s->motion, GST_VIDEO_FRAME_PLANE_DATA(&vf, 0),
                              (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0), s->blobs,
                              (size_t)s->max_blobs, &res);
    gst_video_frame_unmap(&vf);
    s->frames++;
    s->fps_frames++;
    if (!s->up) {
        s->up = true;
        BF_LOGI("sensor", "%s: video up (%llu frames so far, %llu reconnects)", s->id,
                (unsigned long long)s->frames - 1, (unsigned long long)s->reconnects);
        report_health(s, bf_clock_monotonic(NULL));
    }
    if (n < 0) {
        bf_sensor_fault(s->host, s->index, BF_FAULT_SYNTAX, "video frame stride below its width");
        return;
    }
    if (s->time_pts && s->last_t != BF_TIME_NONE && t <= s->last_t) {
        bf_sensor_fault(s->host, s->index, BF_FAULT_TIME,
                        "frame time not after the previous frame's (a replayed file?)");
        return;
    }
    s->last_t = t;
    bf_sensor_good(s->host, s->index, t);
    if (res.warming_up || res.global_change) {
        if (res.global_change)
            BF_LOGD("sensor", "%s: global change of the picture, background reseeded", s->id);
        return;   /* not a look: no marker, so tracks in view are not charged a miss */
    }
    if (res.dropped_over_max > 0)
        bf_sensor_fault(s->host, s->index, BF_FAULT_OVERFLOW, "more moving blobs than max_blobs");
    emit_blobs(s, n, t, rx);
}

/* ---- the pipeline thread ---------------------------------------------- */

static bool stopping(struct camera_state *s)
{
    return atomic_load(&s->stop);
}

/* Build, play and pull one pipeline until it is lost or we stop; tears it
   down.  Writes why it ended into why. */
static void run_pipeline(struct camera_state *s, char *why, size_t why_len)
{
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch(s->desc, &err);
    if (!pipe || err) {
        snprintf(why, why_len, "pipeline does not build: %s", err ? err->message : "unknown");
        g_clear_error(&err);
        if (pipe)
            gst_object_unref(pipe);
        return;
    }
    if (s->uri) {
        GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
        if (src) {
            g_object_set(src, "uri", s->uri, NULL);
            gst_object_unref(src);
        }
    }
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    GstBus *bus = gst_element_get_bus(pipe);
    /* wall time: play at the source's pace, drop what we cannot keep up with;
       pts: take every frame as fast as it comes */
    g_object_set(sink, "sync", !s->time_pts, "drop", !s->time_pts, "max-buffers", 4u, NULL);
    bf_time_us last_frame = bf_clock_monotonic(NULL);
    why[0] = '\0';
    bool failed = gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE;
    while (why[0] == '\0' && !stopping(s)) {
        GstSample *smp = failed ? NULL : gst_app_sink_try_pull_sample(GST_APP_SINK(sink),
                                                                      PULL_TIMEOUT_NS);
        bf_time_us now = bf_clock_monotonic(NULL);
        if (smp) {
            on_sample(s, pipe, smp);
            gst_sample_unref(smp);
            last_frame = now;
        } else if (gst_app_sink_is_eos(GST_APP_SINK(sink))) {
            snprintf(why, why_len, "end of stream");
        }
        GstMessage *msg;
        while (why[0] == '\0' &&
               (msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
            if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
                GError *e = NULL;
                gst_message_parse_error(msg, &e, NULL);
                snprintf(why, why_len, "%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                         e ? e->message : "error");
                g_clear_error(&e);
            } else {
                snprintf(why, why_len, "end of stream");
            }
            gst_message_unref(msg);
        }
        if (why[0] == '\0' && failed)
            snprintf(why, why_len, "pipeline does not start");
        if (why[0] == '\0' && now - last_frame > bf_time_from_s(s->stall_s))
            snprintf(why, why_len, "no frame for %g s", s->stall_s);
        if (now - s->health_at >= HEALTH_PERIOD_US)
            report_health(s, now);
    }
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipe);
}

/* Sleep up to seconds, or until close(); true when stopping. */
static bool wait_or_stop(struct camera_state *s, double seconds)
{
    struct timespec until;
    bf_deadline_after_ms((int)(seconds * 1000 + 0.5), &until);
    pthread_mutex_lock(&s->mu);
    while (!stopping(s) && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&s->mu);
    return stopping(s);
}

static void *camera_thread(void *arg)
{
    struct camera_state *s = arg;
    double backoff = s->reconnect_min_s;
    bool reported_down = false;
    char why[256];
    s->fps_since = s->health_at = bf_clock_monotonic(NULL);
    report_health(s, s->health_at);
    for (;;) {
        uint64_t frames_before = s->frames;
        run_pipeline(s, why, sizeof why);
        if (stopping(s))
            break;
        bool had_frames = s->frames > frames_before;
        s->up = false;
        if (had_frames) {
            backoff = s->reconnect_min_s;
            reported_down = false;
        }
        if (!reported_down) {
            BF_LOGW("sensor", "%s: video lost (%s); rebuilding the pipeline in %g s, then "
                    "backing off up to %g s", s->id, why, backoff, s->reconnect_max_s);
            reported_down = true;
        } else {
            BF_LOGD("sensor", "%s: video still down (%s); next try in %g s", s->id, why,
                    backoff);
        }
        if (s->motion)
            bf_motion_reset(s->motion);   /* a new stream warms up again */
        report_health(s, bf_clock_monotonic(NULL));
        if (wait_or_stop(s, backoff))
            break;
        backoff = fmin(backoff * 2, s->reconnect_max_s);
        s->reconnects++;
        report_health(s, bf_clock_monotonic(NULL));
    }
    s->up = false;
    report_health(s, bf_clock_monotonic(NULL));
    return NULL;
}

/* ---- open / close ----------------------------------------------------- */

static void camera_free(struct camera_state *s)
{
    bf_motion_destroy(s->motion);
    s->motion = NULL;
    free(s->blobs);
    s->blobs = NULL;
    free(s->desc);
    s->desc = NULL;
    free(s->uri);
    s->uri = NULL;
}

static int camera_open(void *state, const struct bf_sensor_config *cfg,
                       struct bf_sensor_host *host)
{
    struct camera_state *s = state;
    s->host = host;
    s->index = cfg->index;
    snprintf(s->id, sizeof s->id, "%s", cfg->id);
    pthread_once(&gst_once, once_gst_init);
    if (!gst_ok)
        return BF_ESTATE;
    bf_motion_params_default(&s->mp);
    s->last_t = BF_TIME_NONE;
    int rc = parse_options(s, cfg);
    if (rc < 0)
        goto out_free;
    if (s->reconnect_min_s > s->reconnect_max_s)
        s->reconnect_max_s = s->reconnect_min_s;
    s->pose.height_m = cfg->height_m;
    s->sensor_e_m = cfg->e_m;
    s->sensor_n_m = cfg->n_m;
    s->sigma_bearing_rad = (cfg->sigma_bearing_deg > 0 ? cfg->sigma_bearing_deg : 0.5) * M_PI / 180;
    struct bf_geo_frame *frame = NULL;
    double gamma = 0;
    rc = bf_geo_frame_clone(cfg->frame, &frame);
    if (rc == 0)
        rc = bf_geo_convergence(frame, cfg->lat_deg, cfg->lon_deg, &gamma);
    bf_geo_frame_destroy(frame);
    if (rc < 0) {
        BF_LOGE("sensor", "%s: no grid convergence at the camera: %s", cfg->id, bf_strerror(rc));
        goto out_free;
    }
    s->pose.convergence_rad = gamma;
    if (!(cfg->height_m > 0))
        BF_LOGW("sensor", "%s: camera without \"height_m\": bearings only, no elevation (no "
                "range, no class hints); give the camera's height above the ground", cfg->id);
    s->blobs = calloc((size_t)s->max_blobs, sizeof *s->blobs);
    if (!s->blobs) {
        rc = BF_ENOMEM;
        goto out_free;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    atomic_init(&s->stop, false);
    if (pthread_create(&s->thread, NULL, camera_thread, s) != 0) {
        rc = BF_ENOMEM;
        goto out_sync;
    }
    s->started = true;
    BF_LOGI("sensor", "%s: camera on %s, heading %.1f deg, tilt %.1f deg, hfov %.1f deg, "
            "time %s", cfg->id, s->uri ? s->uri : s->desc, s->pose.heading_rad * 180 / M_PI,
            s->pose.tilt_rad * 180 / M_PI, s->pose.hfov_rad * 180 / M_PI,
            s->time_pts ? "pts" : "wall");
    return 0;

out_sync:
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
out_free:
    camera_free(s);
    return rc;
}

static void camera_close(void *state)
{
    struct camera_state *s = state;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        atomic_store(&s->stop, true);
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        s->started = false;
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
    }
    camera_free(s);
}

const struct bf_sensor_ops bf_sensor_camera_ops = {
    .abi_version = BF_SENSOR_ABI,
    .name = "camera",
    .summary = "GStreamer video (RTSP, file, test source): moving blobs as bearing (+ elevation) "
               "detections",
    .state_size = sizeof(struct camera_state),
    .open = camera_open,
    .close = camera_close,
};
