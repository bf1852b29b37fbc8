/*
 * camera_emu.c - a fixed camera in the simulator: the picture it would see
 * of the truth, served as live video the engine's camera plugin reads
 * (docs/scenario.md, "Ground sensors and cameras"; docs/camera.md).
 *
 * The problem: the engine's camera plugin finds what moves in real video and
 * turns it into bearings and elevations through its pinhole pose.  To test
 * that chain the simulator must draw what such a camera sees - the same
 * pinhole, the same pose - and deliver it over a real video transport, at a
 * cost that keeps the simulator fast.
 *
 * Rendering (pure: no I/O, no GStreamer):
 *   - the background is drawn once, at creation: every pixel's ray
 *     (bf_camera_pose_ray of sensors/camera_pose.c, the plugin's own model)
 *     meets the flat ground at g = h / tan(-el); the ground there gets a
 *     value-noise texture in two scales (fine detail fading with distance),
 *     the sky above the horizon a gradient.  Levels stay within [12, 243].
 *   - per frame: background + noise, a row at a time from a table of
 *     Gaussian noise (sd about 2 grey levels, within [-6, 6]) at a random
 *     offset, so the frame costs a copy and an add per pixel;
 *   - every active target in front of the camera is a box of its class's
 *     size (width x height, metres: person 0.5 x 1.7, vehicle 4.5 x 1.6,
 *     animal 1.2 x 0.9, vessel 6 x 2, aircraft 10 x 3, unknown 1 x 1), its
 *     foot on the ground at the target's position, its width across the
 *     line of sight, its height up from the foot (an upright object, as the
 *     plugin assumes), in a flat grey of its class plus the same noise,
 *     drawn farthest first so the nearest hides the others.  A pixel
 *     belongs to the box when its centre lies inside the projected box, so
 *     the box's centroid column and bottom edge give back the foot point to
 *     half a pixel.
 *
 * Transport (GStreamer): appsrc with GRAY8 caps ! matroskamux streamable
 * (a cluster per frame) ! tcpserversink on 127.0.0.1:port, new clients
 * served from the next frame, so a client that connects late starts on a
 * whole frame with its timestamp.  The buffer PTS is the simulated time
 * since the start: the plugin's "time": "pts" with the scenario's
 * start_time gives the frame its event time.  The sink does not sync to a
 * clock: frames go out as fast as the simulator makes them, paced by its
 * time scale.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"
#include "sensors/camera_pose.h"
#include "sim/sim.h"

#define LOG "sim"
#define DEG (M_PI / 180.0)
#define NOISE_N 65536             /* entries of the noise table (plus one row) */
#define NOISE_SD 2.0
#define NOISE_MAX 6
#define LEVEL_MIN 12              /* background levels: noise never overflows */
#define LEVEL_MAX 243

/* Size (metres, width x height) and grey level per class (enum bf_class). */
static const struct {
    double w_m, h_m;
    int level;
} class_look[BF_CLASS_COUNT] = {
    [BF_CLASS_PERSON] = {0.5, 1.7, 30},
    [BF_CLASS_VEHICLE] = {4.5, 1.6, 215},
    [BF_CLASS_ANIMAL] = {1.2, 0.9, 45},
    [BF_CLASS_VESSEL] = {6.0, 2.0, 225},
    [BF_CLASS_AIRCRAFT] = {10.0, 3.0, 220},
    [BF_CLASS_UNKNOWN] = {1.0, 1.0, 35},
};

struct order {
    double range_m;
    size_t target;
};

struct bf_sim_camera_emu {
    const struct bf_sim_scenario *s;
    const struct bf_sim_camera *c;
    struct bf_camera_pose pose;
    int w, h;
    uint8_t *bg;
    uint8_t *img;
    int8_t *noise;                /* NOISE_N + w entries */
    struct bf_sim_rng rng;
    int *cls;                     /* per target: enum bf_class, -1 unknown */
    struct order *order;          /* per target */
    struct bf_sim_camera_blob *blobs;
    size_t n_blobs, max_targets;
    /* video server */
    GstElement *pipe, *src;
    bool bus_error_logged;
    struct bf_sim_camera_stats st;
};

/* ---- texture ------------------------------------------------------------ */

static uint32_t hash2(int32_t x, int32_t y, uint32_t salt)
{
    uint32_t h = (uint32_t)x * 0x8da6b343u ^ (uint32_t)y * 0xd8163841u ^ salt * 0xcb1ab31fu;
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    h *= 0x297a2d39u;
    h ^= h >> 15;
    return h;
}

/* Smooth value noise in [0, 1) at (x, y) in cells. */
static double value_noise(double x, double y, uint32_t salt)
{
    double fx = floor(x), fy = floor(y);
    int32_t ix = (int32_t)fx, iy = (int32_t)fy;
    double tx = x - fx, ty = y - fy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    double a = hash2(ix, iy, salt) * 0x1.0p-32, b = hash2(ix + 1, iy, salt) * 0x1.0p-32;
    double c = hash2(ix, iy + 1, salt) * 0x1.0p-32, d = hash2(ix + 1, iy + 1, salt) * 0x1.0p-32;
    return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
}

static uint8_t clamp_level(double v)
{
    if (!(v > LEVEL_MIN))
        return LEVEL_MIN;
    if (v > LEVEL_MAX)
        return LEVEL_MAX;
    return (uint8_t)lrint(v);
}

/* The static picture: textured ground below the horizon, sky above. */
static void draw_background(struct bf_sim_camera_emu *e, uint32_t salt)
{
    const struct bf_camera_pose *p = &e->pose;
    for (int j = 0; j < e->h; j++) {
        for (int i = 0; i < e->w; i++) {
            double b, el;
            bf_camera_pose_ray(p, i + 0.5, j + 0.5, &b, &el);
            double v;
            if (el < -1e-4) {
                double g = p->height_m / tan(-el);
                double x = e->c->e_m + g * sin(b), y = e->c->n_m + g * cos(b);
                double fade = 1.0 / (1.0 + g / 80.0);
                v = 105.0 + 40.0 * (value_noise(x / 9.0, y / 9.0, salt) - 0.5) +
                    22.0 * fade * (value_noise(x / 1.3, y / 1.3, salt + 1) - 0.5);
            } else {
                v = 175.0 + 40.0 * fmin(el / (20 * DEG), 1.0);
            }
            e->bg[(size_t)j * (size_t)e->w + (size_t)i] = clamp_level(v);
        }
    }
}

/* ---- projection --------------------------------------------------------- */

/*
 * Image point (u, v) of the point (de, dn) metres from the camera on the
 * grid, up metres above the camera.  false when it is behind the camera.
 * The inverse of bf_camera_pose_ray: the grid offset turned to true north
 * (bearing - convergence), then into the camera's forward / right / up, then
 * the pinhole.
 */
static bool project(const struct bf_camera_pose *p, double de, double dn, double up, double *u,
                    double *v)
{
    double cg = cos(p->convergence_rad), sg = sin(p->convergence_rad);
    double et = de * cg - dn * sg, nt = dn * cg + de * sg;
    double sh = sin(p->heading_rad), ch = cos(p->heading_rad);
    double fwd = et * sh + nt * ch, right = et * ch - nt * sh;
    double ct = cos(p->tilt_rad), st = sin(p->tilt_rad);
    double zc = fwd * ct + up * st, yc = fwd * st - up * ct;
    if (!(zc > 0.05))
        return false;
    *u = p->cx + p->fx * right / zc;
    *v = p->cy + p->fy * yc / zc;
    return true;
}

/* ---- life --------------------------------------------------------------- */

static int class_index(const char *name)
{
    for (int k = 0; name && k < BF_CLASS_COUNT; k++)
        if (strcmp(bf_class_names[k], name) == 0)
            return k;
    return -1;
}

int bf_sim_camera_emu_create(const struct bf_sim_scenario *s, size_t idx, uint64_t seed,
                             struct bf_sim_camera_emu **out)
{
    *out = NULL;
    if (!s || idx >= s->n_cameras)
        return BF_EINVAL;
    struct bf_sim_camera_emu *e = calloc(1, sizeof *e);
    if (!e)
        return BF_ENOMEM;
    e->s = s;
    e->c = &s->cameras[idx];
    e->w = e->c->width;
    e->h = e->c->height;
    e->pose = (struct bf_camera_pose){
        .heading_rad = e->c->heading_deg * DEG, .tilt_rad = e->c->tilt_deg * DEG,
        .hfov_rad = e->c->hfov_deg * DEG, .convergence_rad = e->c->gamma_rad,
        .height_m = e->c->height_m,
    };
    int rc = bf_camera_pose_set_size(&e->pose, e->w, e->h);
    if (rc < 0)
        goto out_destroy;
    rc = BF_ENOMEM;
    size_t px = (size_t)e->w * (size_t)e->h;
    e->max_targets = s->n_targets;
    size_t nt = e->max_targets ? e->max_targets : 1;
    e->bg = malloc(px);
    e->img = malloc(px);
    e->noise = malloc(NOISE_N + (size_t)e->w);
    e->cls = calloc(nt, sizeof *e->cls);
    e->order = calloc(nt, sizeof *e->order);
    e->blobs = calloc(nt, sizeof *e->blobs);
    if (!e->bg || !e->img || !e->noise || !e->cls || !e->order || !e->blobs)
        goto out_destroy;
    for (size_t i = 0; i < e->max_targets; i++)
        e->cls[i] = class_index(s->targets[i].cls);
    bf_sim_rng_seed(&e->rng, seed, BF_SIM_STREAM_CAMERA + idx);
    for (size_t i = 0; i < NOISE_N + (size_t)e->w; i++) {
        double n = NOISE_SD * bf_sim_rng_gauss(&e->rng);
        long q = lrint(n);
        e->noise[i] = (int8_t)(q < -NOISE_MAX ? -NOISE_MAX : q > NOISE_MAX ? NOISE_MAX : q);
    }
    draw_background(e, (uint32_t)(seed * 2654435761u) ^ (uint32_t)idx);
    memcpy(e->img, e->bg, px);
    *out = e;
    return 0;

out_destroy:
    bf_sim_camera_emu_destroy(e);
    return rc;
}

static void stop_server(struct bf_sim_camera_emu *e)
{
    if (!e->pipe)
        return;
    /* end of stream to the clients, then down */
    gst_app_src_end_of_stream(GST_APP_SRC(e->src));
    GstBus *bus = gst_element_get_bus(e->pipe);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, 500 * GST_MSECOND,
                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (m)
        gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(e->pipe, GST_STATE_NULL);
    gst_object_unref(e->src);
    gst_object_unref(e->pipe);
    e->pipe = NULL;
    e->src = NULL;
}

void bf_sim_camera_emu_destroy(struct bf_sim_camera_emu *e)
{
    if (!e)
        return;
    stop_server(e);
    free(e->bg);
    free(e->img);
    free(e->noise);
    free(e->cls);
    free(e->order);
    free(e->blobs);
    free(e);
}

/* ---- rendering ---------------------------------------------------------- */

static int cmp_far_first(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->range_m != y->range_m)
        return x->range_m > y->range_m ? -1 : 1;
    return x->target < y->target ? -1 : x->target > y->target;
}

/* Pixels whose centres lie in [a, b): first and last index, clipped to [0, n). */
static bool span(double a, double b, int n, int *first, int *last)
{
    double f = ceil(a - 0.5), l = ceil(b - 0.5) - 1;
    if (l < f) {   /* thinner than a pixel: the pixel holding its middle */
        f = l = floor((a + b) / 2);
        if (b - a < 0.5)
            return false;
    }
    if (f < 0)
        f = 0;
    if (l > n - 1)
        l = n - 1;
    if (l < f)
        return false;
    *first = (int)f;
    *last = (int)l;
    return true;
}

/* Project target i and fill its blob record; false when nothing of it is in the image. */
static bool place(const struct bf_sim_camera_emu *e, const struct bf_sim_target_pos *tp,
                  size_t i, struct bf_sim_camera_blob *out)
{
    const struct bf_camera_pose *p = &e->pose;
    int k = e->cls[i] >= 0 ? e->cls[i] : BF_CLASS_UNKNOWN;
    double de = tp->e_m - e->c->e_m, dn = tp->n_m - e->c->n_m;
    double g = hypot(de, dn);
    if (g < 0.5)
        return false;
    /* across the line of sight, on the grid */
    double ax = dn / g, ay = -de / g, half = class_look[k].w_m / 2;
    double uf, vf, ut, vt, ul, vl, ur, vr;
    double h = p->height_m;
    if (!project(p, de, dn, -h, &uf, &vf) ||
        !project(p, de, dn, -h + class_look[k].h_m, &ut, &vt) ||
        !project(p, de - ax * half, dn - ay * half, -h, &ul, &vl) ||
        !project(p, de + ax * half, dn + ay * half, -h, &ur, &vr))
        return false;
    (void)vl;
    (void)vr;
    int x0, x1, y0, y1;
    if (!span(fmin(ul, ur), fmax(ul, ur), e->w, &x0, &x1) || !span(vt, vf, e->h, &y0, &y1))
        return false;
    *out = (struct bf_sim_camera_blob){.target = i, .x0 = x0, .y0 = y0, .x1 = x1, .y1 = y1,
                                       .u_foot = uf, .v_foot = vf, .range_m = g};
    return true;
}

int bf_sim_camera_emu_render(struct bf_sim_camera_emu *e, const struct bf_sim_target_pos *tp,
                             size_t n, double t_s)
{
    (void)t_s;
    if (!e || (n > 0 && !tp) || n > e->max_targets)
        return BF_EINVAL;
    bf_time_us t0 = bf_clock_monotonic(NULL);
    const size_t w = (size_t)e->w;
    for (int j = 0; j < e->h; j++) {
        size_t off = (size_t)(bf_sim_rng_next(&e->rng) % NOISE_N);
        const uint8_t *b = e->bg + (size_t)j * w;
        const int8_t *nz = e->noise + off;
        uint8_t *o = e->img + (size_t)j * w;
        for (size_t i = 0; i < w; i++)
            o[i] = (uint8_t)(b[i] + nz[i]);
    }
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tp[i].active ||
            !bf_sim_camera_sees(e->s, (size_t)(e->c - e->s->cameras), tp[i].e_m, tp[i].n_m))
            continue;   /* gone, or behind the terrain (sim/terrain.c) */
        e->order[no++] = (struct order){.range_m = hypot(tp[i].e_m - e->c->e_m,
                                                         tp[i].n_m - e->c->n_m), .target = i};
    }
    qsort(e->order, no, sizeof *e->order, cmp_far_first);
    e->n_blobs = 0;
    for (size_t q = 0; q < no; q++) {
        size_t i = e->order[q].target;
        struct bf_sim_camera_blob bl;
        if (!place(e, &tp[i], i, &bl))
            continue;
        int k = e->cls[i] >= 0 ? e->cls[i] : BF_CLASS_UNKNOWN;
        int level = class_look[k].level;
        for (int y = bl.y0; y <= bl.y1; y++) {
            const int8_t *nz = e->noise + (size_t)(bf_sim_rng_next(&e->rng) % NOISE_N);
            uint8_t *o = e->img + (size_t)y * w;
            for (int x = bl.x0; x <= bl.x1; x++)
                o[x] = (uint8_t)(level + nz[x]);
        }
        e->blobs[e->n_blobs++] = bl;
    }
    double ms = bf_time_to_s(bf_clock_monotonic(NULL) - t0) * 1000.0;
    e->st.frames++;
    e->st.blobs += e->n_blobs;
    e->st.render_ms_sum += ms;
    if (ms > e->st.render_ms_max)
        e->st.render_ms_max = ms;
    return (int)e->n_blobs;
}

const uint8_t *bf_sim_camera_emu_image(const struct bf_sim_camera_emu *e)
{
    return e->img;
}

const struct bf_sim_camera_blob *bf_sim_camera_emu_blobs(const struct bf_sim_camera_emu *e,
                                                         size_t *n)
{
    *n = e->n_blobs;
    return e->blobs;
}

const struct bf_camera_pose *bf_sim_camera_emu_pose(const struct bf_sim_camera_emu *e)
{
    return &e->pose;
}

/* ---- the video server --------------------------------------------------- */

static unsigned long gcd_ul(unsigned long a, unsigned long b)
{
    while (b) {
        unsigned long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The first error on the pipeline's bus, without waiting; NULL if none. */
static GstMessage *bus_error(GstElement *pipe, GstClockTime wait)
{
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, wait, GST_MESSAGE_ERROR);
    gst_object_unref(bus);
    return m;
}

/*
 * Is 127.0.0.1:port free to listen on?  tcpserversink binds with address
 * and port reuse, so a second server on a port another one (or another
 * program) listens on would start without complaint and the clients would
 * reach either: a plain bind (address reuse only, which TIME_WAIT leftovers
 * do not block) tells first.
 */
static int port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int bf_sim_camera_emu_serve(struct bf_sim_camera_emu *e, char *err, size_t errlen)
{
    if (e->pipe)
        return 0;
    GError *gerr = NULL;
    int perr = port_free(e->c->port);
    if (perr != 0) {
        snprintf(err, errlen, "camera %s: cannot serve video on 127.0.0.1:%d: %s (another "
                 "program or camera listens there? each camera needs a free \"port\")", e->c->id,
                 e->c->port, strerror(-perr));
        return BF_EIO;
    }
    if (!gst_init_check(NULL, NULL, &gerr)) {
        snprintf(err, errlen, "camera %s: GStreamer does not start: %s", e->c->id,
                 gerr ? gerr->message : "unknown error");
        g_clear_error(&gerr);
        return BF_EIO;
    }
    unsigned long num = (unsigned long)lround(e->c->fps * 1000.0), den = 1000;
    unsigned long g = gcd_ul(num, den);
    num /= g;
    den /= g;
    char desc[768];
    snprintf(desc, sizeof desc,
             "appsrc name=src is-live=true format=time do-timestamp=false "
             "caps=video/x-raw,format=GRAY8,width=%d,height=%d,framerate=%lu/%lu ! "
             "video/x-raw,format=GRAY8,width=%d,height=%d,framerate=%lu/%lu ! "
             "matroskamux streamable=true min-cluster-duration=0 ! "
             "tcpserversink host=127.0.0.1 port=%d sync=false sync-method=next-keyframe",
             e->w, e->h, num, den, e->w, e->h, num, den, e->c->port);
    GstElement *pipe = gst_parse_launch(desc, &gerr);
    if (!pipe || gerr) {
        snprintf(err, errlen, "camera %s: cannot build the video pipeline: %s (the "
                 "gstreamer1.0-plugins-base and -good packages provide appsrc, matroskamux and "
                 "tcpserversink)", e->c->id, gerr ? gerr->message : "unknown error");
        g_clear_error(&gerr);
        if (pipe)
            gst_object_unref(pipe);
        return BF_EIO;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        GstMessage *m = bus_error(pipe, 0);
        GError *me = NULL;
        if (m)
            gst_message_parse_error(m, &me, NULL);
        snprintf(err, errlen, "camera %s: the video server on 127.0.0.1:%d does not start: %s "
                 "(is the port taken? each camera needs a free \"port\")", e->c->id, e->c->port,
                 me ? me->message : "unknown error");
        g_clear_error(&me);
        if (m)
            gst_message_unref(m);
        gst_element_set_state(pipe, GST_STATE_NULL);
        gst_object_unref(src);
        gst_object_unref(pipe);
        return BF_EIO;
    }
    e->pipe = pipe;
    e->src = src;
    BF_LOGI(LOG, "camera %s: serving %dx%d GRAY8 at %g fps (simulated time) on "
            "tcp://127.0.0.1:%d (Matroska)", e->c->id, e->w, e->h, e->c->fps, e->c->port);
    return 0;
}

int bf_sim_camera_emu_push(struct bf_sim_camera_emu *e, double t_s)
{
    if (!e->pipe || !(t_s >= 0)) {
        e->st.push_failed++;
        return BF_EIO;
    }
    size_t px = (size_t)e->w * (size_t)e->h;
    GstBuffer *buf = gst_buffer_new_allocate(NULL, px, NULL);
    if (!buf) {
        e->st.push_failed++;
        return BF_ENOMEM;
    }
    gst_buffer_fill(buf, 0, e->img, px);
    GST_BUFFER_PTS(buf) = (GstClockTime)llround(t_s * 1e9);
    GST_BUFFER_DURATION(buf) = (GstClockTime)llround(1e9 / e->c->fps);
    if (gst_app_src_push_buffer(GST_APP_SRC(e->src), buf) != GST_FLOW_OK) {   /* takes buf */
        e->st.push_failed++;
        return BF_EIO;
    }
    GstMessage *m = bus_error(e->pipe, 0);
    if (m) {
        if (!e->bus_error_logged) {
            GError *me = NULL;
            gst_message_parse_error(m, &me, NULL);
            BF_LOGW(LOG, "camera %s: video server error: %s", e->c->id,
                    me ? me->message : "unknown");
            g_clear_error(&me);
            e->bus_error_logged = true;
        }
        gst_message_unref(m);
        e->st.push_failed++;
        return BF_EIO;
    }
    e->st.pushed++;
    return 0;
}

unsigned bf_sim_camera_emu_clients(const struct bf_sim_camera_emu *e)
{
    if (!e->pipe)
        return 0;
    GstElement *sink = NULL;
    GstIterator *it = gst_bin_iterate_sinks(GST_BIN(e->pipe));
    GValue v = G_VALUE_INIT;
    if (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        sink = g_value_get_object(&v);
        gst_object_ref(sink);
        g_value_unset(&v);
    }
    gst_iterator_free(it);
    if (!sink)
        return 0;
    guint n = 0;
    g_object_get(sink, "num-handles", &n, NULL);
    gst_object_unref(sink);
    return n;
}

void bf_sim_camera_emu_stats(const struct bf_sim_camera_emu *e, struct bf_sim_camera_stats *out)
{
    *out = e->st;
}
